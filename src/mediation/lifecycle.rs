//! The lifecycle of a mediation case: one state enum, one transition function.
//!
//! 劳动争议调解仲裁法: a committee that receives an application mediates it
//! (Art. 13); an agreement takes effect once both parties signed or sealed it,
//! the mediator signed it and the committee's seal is on it (Art. 14); when no
//! agreement is reached within fifteen days of receipt, a party may apply for
//! arbitration (Art. 14). Each outcome carries what it requires, so "no
//! agreement without a reason" cannot be built, and an agreement's validity is
//! its four signatures.

use serde::Serialize;

use crate::{date::Day, db::code_enum, money::Fen};

code_enum! {
    /// Where a case stands, as badges, filters, timelines and the API name
    /// it: an agreement still unsigned is `agreement_pending`, a valid one `agreed`.
    pub enum CaseStatus: "med-status" {
        /// 已受理.
        Received = "received",
        /// 调解中.
        Mediating = "mediating",
        /// 协议待签.
        AgreementPending = "agreement_pending",
        /// 达成调解协议.
        Agreed = "agreed",
        /// 调解不成.
        NoAgreement = "no_agreement",
        /// 撤回申请.
        Withdrawn = "withdrawn",
        /// 转仲裁.
        Arbitration = "arbitration",
    }
}

code_enum! {
    /// The stored `state` column.
    #[derive(Default)]
    pub enum StateCode: "med-state" {
        #[default]
        Received = "received",
        Mediating = "mediating",
        Agreed = "agreed",
        NoAgreement = "no_agreement",
        Withdrawn = "withdrawn",
        Arbitration = "arbitration",
    }
}

code_enum! {
    /// A step someone records on a case (`POST …/transition`).
    pub enum CaseAction: "med-action" {
        /// The first mediation session.
        Begin = "begin",
        /// An agreement reached.
        Agree = "agree",
        /// Signatures or the seal added.
        Sign = "sign",
        /// Mediation failed.
        Fail = "fail",
        /// The applicant withdrew.
        Withdraw = "withdraw",
        /// A party applied for arbitration.
        Transfer = "transfer",
        /// Money paid under a valid agreement.
        Recover = "recover",
    }
}

code_enum! {
    /// One entry of a case's timeline.
    pub enum CaseEventKind: "med-event" {
        Received = "received",
        Begun = "begun",
        Agreed = "agreed",
        Signed = "signed",
        Failed = "failed",
        Withdrawn = "withdrawn",
        Transferred = "transferred",
        Recovered = "recovered",
    }
}

/// The days the committee has from receipt (Art. 14: 十五日).
pub const MEDIATION_DAYS: i64 = 15;

/// The last day of the fifteen: receipt + 15 calendar days (the day of receipt
/// is not counted). From the day after, a party may apply for arbitration.
pub fn due_on(received_on: Day) -> Day {
    received_on.plus_days(MEDIATION_DAYS)
}

/// Who has signed the agreement (调解协议书) and whether the seal is on it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Signatures {
    /// The worker party (every applying worker) signed or sealed it.
    pub workers: bool,
    /// The employer signed or sealed it.
    pub employer: bool,
    /// The mediator signed it.
    pub mediator: bool,
    /// The committee's seal (调解组织印章) is on it.
    pub seal: bool,
}

impl Signatures {
    /// All four: the agreement takes effect (Art. 14).
    pub fn complete(self) -> bool {
        self.workers && self.employer && self.mediator && self.seal
    }

    /// Both sets together (a later signature adds to earlier ones).
    pub fn with(self, more: Signatures) -> Signatures {
        Signatures {
            workers: self.workers || more.workers,
            employer: self.employer || more.employer,
            mediator: self.mediator || more.mediator,
            seal: self.seal || more.seal,
        }
    }
}

/// Money paid to the workers under the agreement, to date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Recovery {
    /// In fen.
    pub amount: Fen,
    /// The day of the last payment counted.
    pub on: Day,
}

/// A mediation agreement (调解协议).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Agreement {
    /// The day it was signed.
    pub signed_on: Day,
    /// What the parties agreed (协议内容).
    pub terms: String,
    /// The money the employer agreed to pay, in fen.
    pub amount: Fen,
    pub signatures: Signatures,
    /// Recorded only once the agreement is valid.
    pub recovered: Option<Recovery>,
}

impl Agreement {
    /// Valid (生效) once both parties, the mediator and the seal are recorded.
    pub fn is_valid(&self) -> bool {
        self.signatures.complete()
    }
}

/// Where a case stands, with what its outcome carries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "state", rename_all = "snake_case")]
#[schema(as = MediationState)]
pub enum State {
    /// 已受理: received, waiting for the first mediation session.
    Received,
    /// 调解中.
    Mediating,
    /// 达成调解协议 (valid or still waiting for signatures).
    Agreed(Agreement),
    /// 调解不成: when, and why.
    NoAgreement { on: Day, reason: String },
    /// 撤回申请.
    Withdrawn { on: Day, reason: Option<String> },
    /// 转仲裁: a party applied for arbitration.
    Arbitration { on: Day, reason: Option<String> },
}

impl State {
    /// The stored `state` column.
    pub fn code(&self) -> StateCode {
        match self {
            State::Received => StateCode::Received,
            State::Mediating => StateCode::Mediating,
            State::Agreed(_) => StateCode::Agreed,
            State::NoAgreement { .. } => StateCode::NoAgreement,
            State::Withdrawn { .. } => StateCode::Withdrawn,
            State::Arbitration { .. } => StateCode::Arbitration,
        }
    }

    /// Its status for badges and timelines: an agreement still unsigned is
    /// `agreement_pending`, a valid one `agreed`.
    pub fn label(&self) -> CaseStatus {
        match self {
            State::Received => CaseStatus::Received,
            State::Mediating => CaseStatus::Mediating,
            State::Agreed(a) if !a.is_valid() => CaseStatus::AgreementPending,
            State::Agreed(_) => CaseStatus::Agreed,
            State::NoAgreement { .. } => CaseStatus::NoAgreement,
            State::Withdrawn { .. } => CaseStatus::Withdrawn,
            State::Arbitration { .. } => CaseStatus::Arbitration,
        }
    }

    /// Still with the committee: the fifteen-day clock runs.
    pub fn is_open(&self) -> bool {
        match self {
            State::Received | State::Mediating => true,
            State::Agreed(a) => !a.is_valid(),
            _ => false,
        }
    }

    /// The agreement, if one was reached.
    pub fn agreement(&self) -> Option<&Agreement> {
        match self {
            State::Agreed(a) => Some(a),
            _ => None,
        }
    }

    /// The day the outcome was reached (signed, failed, withdrawn, transferred).
    pub fn concluded_on(&self) -> Option<Day> {
        match self {
            State::Received | State::Mediating => None,
            State::Agreed(a) => Some(a.signed_on),
            State::NoAgreement { on, .. }
            | State::Withdrawn { on, .. }
            | State::Arbitration { on, .. } => Some(*on),
        }
    }

    /// The reason of the outcome, if it has one.
    pub fn reason(&self) -> Option<&str> {
        match self {
            State::NoAgreement { reason, .. } => Some(reason),
            State::Withdrawn { reason, .. } | State::Arbitration { reason, .. } => {
                reason.as_deref()
            }
            _ => None,
        }
    }
}

/// Something a user does to a case. Every day is checked against the receipt
/// day and today.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// The first mediation session (调解开始).
    Begin { on: Day },
    /// An agreement was reached and written down.
    Agree {
        signed_on: Day,
        terms: String,
        amount: Fen,
        signatures: Signatures,
    },
    /// More signatures (or the seal) added to an agreement.
    Sign(Signatures),
    /// Mediation failed (调解不成), e.g. a party refused to sign.
    Fail { on: Day, reason: String },
    /// The applicant withdrew.
    Withdraw { on: Day, reason: Option<String> },
    /// A party applied for arbitration.
    Transfer { on: Day, reason: Option<String> },
    /// Money paid under a valid agreement, to date.
    Recover(Recovery),
}

impl Action {
    /// The event it writes to the timeline.
    pub fn kind(&self) -> CaseEventKind {
        match self {
            Action::Begin { .. } => CaseEventKind::Begun,
            Action::Agree { .. } => CaseEventKind::Agreed,
            Action::Sign(_) => CaseEventKind::Signed,
            Action::Fail { .. } => CaseEventKind::Failed,
            Action::Withdraw { .. } => CaseEventKind::Withdrawn,
            Action::Transfer { .. } => CaseEventKind::Transferred,
            Action::Recover(_) => CaseEventKind::Recovered,
        }
    }

    /// The day the action concerns.
    pub fn day(&self) -> Option<Day> {
        match self {
            Action::Begin { on }
            | Action::Fail { on, .. }
            | Action::Withdraw { on, .. }
            | Action::Transfer { on, .. } => Some(*on),
            Action::Agree { signed_on, .. } => Some(*signed_on),
            Action::Recover(r) => Some(r.on),
            Action::Sign(_) => None,
        }
    }
}

/// The days a transition is judged against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Clock {
    /// The day the committee received the application.
    pub received_on: Day,
    /// Today in Beijing: no step is dated in the future.
    pub today: Day,
}

impl Clock {
    /// The last day of the fifteen.
    pub fn due_on(self) -> Day {
        due_on(self.received_on)
    }

    /// Days left until the due day (0 on it, negative after).
    pub fn days_left(self) -> i64 {
        self.today.days_until(self.due_on())
    }
}

/// Why a transition is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LifecycleError {
    #[error("this action is not allowed in the case's current state")]
    NotAllowed,
    #[error("a reason is required")]
    ReasonRequired,
    #[error("the agreement's terms are required")]
    TermsRequired,
    #[error("the day is before the application was received")]
    BeforeReceipt,
    #[error("the day is in the future")]
    InTheFuture,
    #[error("the day is before the outcome it follows")]
    BeforeOutcome,
    #[error("arbitration may be applied for only after the fifteen days or a failed mediation")]
    TooEarly { from: Day },
    #[error("nothing new was signed")]
    NothingSigned,
}

/// The one transition function: the state after `action`, or why not.
pub fn transition(state: &State, clock: Clock, action: Action) -> Result<State, LifecycleError> {
    use LifecycleError::*;
    if let Some(day) = action.day() {
        if day > clock.today {
            return Err(InTheFuture);
        }
        if day < clock.received_on {
            return Err(BeforeReceipt);
        }
    }
    match (state, action) {
        (State::Received, Action::Begin { .. }) => Ok(State::Mediating),
        (
            State::Received | State::Mediating,
            Action::Agree {
                signed_on,
                terms,
                amount,
                signatures,
            },
        ) => {
            if terms.trim().is_empty() {
                return Err(TermsRequired);
            }
            Ok(State::Agreed(Agreement {
                signed_on,
                terms,
                amount,
                signatures,
                recovered: None,
            }))
        }
        (State::Agreed(a), Action::Sign(more)) if !a.is_valid() => {
            let signatures = a.signatures.with(more);
            if signatures == a.signatures {
                return Err(NothingSigned);
            }
            Ok(State::Agreed(Agreement {
                signatures,
                ..a.clone()
            }))
        }
        (State::Received | State::Mediating, Action::Fail { on, reason }) => {
            failed(on, reason, None)
        }
        (State::Agreed(a), Action::Fail { on, reason }) if !a.is_valid() => {
            failed(on, reason, Some(a.signed_on))
        }
        (State::Received | State::Mediating, Action::Withdraw { on, reason }) => {
            Ok(State::Withdrawn { on, reason })
        }
        (State::NoAgreement { on: failed_on, .. }, Action::Transfer { on, reason }) => {
            if on < *failed_on {
                return Err(BeforeOutcome);
            }
            Ok(State::Arbitration { on, reason })
        }
        (s, Action::Transfer { on, reason }) if s.is_open() => {
            let from = clock.due_on().plus_days(1);
            if on < from {
                return Err(TooEarly { from });
            }
            Ok(State::Arbitration { on, reason })
        }
        (State::Agreed(a), Action::Recover(r)) if a.is_valid() => {
            if r.on < a.signed_on {
                return Err(BeforeOutcome);
            }
            Ok(State::Agreed(Agreement {
                recovered: Some(r),
                ..a.clone()
            }))
        }
        _ => Err(NotAllowed),
    }
}

/// The actions worth offering on the case page now (`transfer` only once it
/// would be accepted today).
pub fn offered(state: &State, clock: Clock) -> Vec<CaseAction> {
    let on = clock.today;
    let all = Signatures {
        workers: true,
        employer: true,
        mediator: true,
        seal: true,
    };
    let probes = [
        (CaseAction::Begin, Action::Begin { on }),
        (
            CaseAction::Agree,
            Action::Agree {
                signed_on: on,
                terms: "-".into(),
                amount: Fen(0),
                signatures: Signatures::default(),
            },
        ),
        (CaseAction::Sign, Action::Sign(all)),
        (
            CaseAction::Fail,
            Action::Fail {
                on,
                reason: "-".into(),
            },
        ),
        (CaseAction::Withdraw, Action::Withdraw { on, reason: None }),
        (CaseAction::Transfer, Action::Transfer { on, reason: None }),
        (
            CaseAction::Recover,
            Action::Recover(Recovery { amount: Fen(0), on }),
        ),
    ];
    probes
        .into_iter()
        .filter(|(_, a)| transition(state, clock, a.clone()).is_ok())
        .map(|(name, _)| name)
        .collect()
}

fn failed(on: Day, reason: String, after: Option<Day>) -> Result<State, LifecycleError> {
    if reason.trim().is_empty() {
        return Err(LifecycleError::ReasonRequired);
    }
    if after.is_some_and(|a| on < a) {
        return Err(LifecycleError::BeforeOutcome);
    }
    Ok(State::NoAgreement { on, reason })
}

/// The stored outcome columns of a state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Columns {
    pub state: StateCode,
    pub concluded_on: Option<Day>,
    pub outcome_reason: Option<String>,
    pub agreement_terms: Option<String>,
    pub agreed_fen: Option<i64>,
    pub signed_workers: i64,
    pub signed_employer: i64,
    pub signed_mediator: i64,
    pub sealed: i64,
    pub recovered_fen: Option<i64>,
    pub recovered_on: Option<Day>,
}

impl State {
    /// The columns this state is stored as.
    pub fn columns(&self) -> Columns {
        let mut c = Columns {
            state: self.code(),
            concluded_on: self.concluded_on(),
            outcome_reason: self.reason().map(str::to_string),
            ..Default::default()
        };
        if let State::Agreed(a) = self {
            c.agreement_terms = Some(a.terms.clone());
            c.agreed_fen = Some(a.amount.0);
            c.signed_workers = i64::from(a.signatures.workers);
            c.signed_employer = i64::from(a.signatures.employer);
            c.signed_mediator = i64::from(a.signatures.mediator);
            c.sealed = i64::from(a.signatures.seal);
            c.recovered_fen = a.recovered.map(|r| r.amount.0);
            c.recovered_on = a.recovered.map(|r| r.on);
        }
        c
    }

    /// Reads the stored columns; `None` for a combination this code never writes.
    pub fn from_columns(c: &Columns) -> Option<State> {
        let on = c.concluded_on;
        match c.state {
            StateCode::Received => Some(State::Received),
            StateCode::Mediating => Some(State::Mediating),
            StateCode::Agreed => {
                let recovered = match (c.recovered_fen, c.recovered_on) {
                    (Some(f), Some(on)) => Some(Recovery { amount: Fen(f), on }),
                    (None, None) => None,
                    _ => return None,
                };
                Some(State::Agreed(Agreement {
                    signed_on: on?,
                    terms: c.agreement_terms.clone()?,
                    amount: Fen(c.agreed_fen?),
                    signatures: Signatures {
                        workers: c.signed_workers == 1,
                        employer: c.signed_employer == 1,
                        mediator: c.signed_mediator == 1,
                        seal: c.sealed == 1,
                    },
                    recovered,
                }))
            }
            StateCode::NoAgreement => Some(State::NoAgreement {
                on: on?,
                reason: c.outcome_reason.clone()?,
            }),
            StateCode::Withdrawn => Some(State::Withdrawn {
                on: on?,
                reason: c.outcome_reason.clone(),
            }),
            StateCode::Arbitration => Some(State::Arbitration {
                on: on?,
                reason: c.outcome_reason.clone(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(m: u32, d: u32) -> Day {
        Day::from_ymd(2019, m, d).unwrap()
    }

    const ALL: Signatures = Signatures {
        workers: true,
        employer: true,
        mediator: true,
        seal: true,
    };
    const PARTIES: Signatures = Signatures {
        workers: true,
        employer: true,
        mediator: false,
        seal: false,
    };

    fn agreement(signatures: Signatures) -> Agreement {
        Agreement {
            signed_on: day(10, 28),
            terms: "公司于11月15日前一次性支付拖欠工资".into(),
            amount: Fen(1_234_550),
            signatures,
            recovered: None,
        }
    }

    fn states() -> Vec<(&'static str, State)> {
        vec![
            ("received", State::Received),
            ("mediating", State::Mediating),
            ("pending", State::Agreed(agreement(PARTIES))),
            ("agreed", State::Agreed(agreement(ALL))),
            (
                "no_agreement",
                State::NoAgreement {
                    on: day(10, 30),
                    reason: "用人单位拒绝调解".into(),
                },
            ),
            (
                "withdrawn",
                State::Withdrawn {
                    on: day(10, 29),
                    reason: None,
                },
            ),
            (
                "arbitration",
                State::Arbitration {
                    on: day(11, 20),
                    reason: None,
                },
            ),
        ]
    }

    fn actions() -> Vec<(&'static str, Action)> {
        let on = day(11, 25);
        vec![
            ("begin", Action::Begin { on }),
            (
                "agree",
                Action::Agree {
                    signed_on: on,
                    terms: "支付经济补偿金".into(),
                    amount: Fen(500_000),
                    signatures: ALL,
                },
            ),
            ("sign", Action::Sign(ALL)),
            (
                "fail",
                Action::Fail {
                    on,
                    reason: "双方差距过大".into(),
                },
            ),
            ("withdraw", Action::Withdraw { on, reason: None }),
            ("transfer", Action::Transfer { on, reason: None }),
            (
                "recover",
                Action::Recover(Recovery {
                    amount: Fen(1_234_550),
                    on,
                }),
            ),
        ]
    }

    /// Received on 25 October 2019 (due 9 November), acted on 25 November
    /// (the fifteen days have passed): every (state, action) pair.
    #[test]
    fn every_legal_and_illegal_transition() {
        use LifecycleError::*;
        let clock = Clock {
            received_on: day(10, 25),
            today: day(11, 26),
        };
        type Expect = Result<&'static str, LifecycleError>;
        let no: Expect = Err(NotAllowed);
        #[rustfmt::skip]
        let table: Vec<(&str, [Expect; 7])> = vec![
            //               begin             agree           sign              fail                 withdraw          transfer          recover
            ("received",     [Ok("mediating"), Ok("agreed"),   no,               Ok("no_agreement"),  Ok("withdrawn"),  Ok("arbitration"), no]),
            ("mediating",    [no,              Ok("agreed"),   no,               Ok("no_agreement"),  Ok("withdrawn"),  Ok("arbitration"), no]),
            ("pending",      [no,              no,             Ok("agreed"),     Ok("no_agreement"),  no,               Ok("arbitration"), no]),
            ("agreed",       [no,              no,             no,               no,                  no,               no,                Ok("agreed")]),
            ("no_agreement", [no,              no,             no,               no,                  no,               Ok("arbitration"), no]),
            ("withdrawn",    [no,              no,             no,               no,                  no,               no,                no]),
            ("arbitration",  [no,              no,             no,               no,                  no,               no,                no]),
        ];
        let states = states();
        let actions = actions();
        let mut checked = 0;
        for (label, expected) in &table {
            let state = &states.iter().find(|(l, _)| l == label).unwrap().1;
            for ((action_label, action), want) in actions.iter().zip(expected) {
                let got = transition(state, clock, action.clone()).map(|s| s.label().as_str());
                assert_eq!(&got, want, "{label} + {action_label}");
                checked += 1;
            }
        }
        assert_eq!(checked, states.len() * actions.len(), "every pair");
    }

    #[test]
    fn the_fifteen_days_run_from_the_day_after_receipt() {
        let received_on = day(10, 25);
        assert_eq!(due_on(received_on), day(11, 9));
        let clock = |today| Clock { received_on, today };
        assert_eq!(clock(day(10, 25)).days_left(), 15);
        assert_eq!(clock(day(11, 9)).days_left(), 0);
        assert_eq!(clock(day(11, 12)).days_left(), -3);
        // Arbitration: refused on the fifteenth day, allowed the day after.
        let transfer = |on| Action::Transfer { on, reason: None };
        assert_eq!(
            transition(&State::Mediating, clock(day(11, 9)), transfer(day(11, 9))),
            Err(LifecycleError::TooEarly { from: day(11, 10) })
        );
        assert_eq!(
            transition(&State::Received, clock(day(11, 10)), transfer(day(11, 10)))
                .map(|s| s.code().as_str()),
            Ok("arbitration")
        );
        // After a failed mediation, at once.
        let failed = State::NoAgreement {
            on: day(10, 28),
            reason: "x".into(),
        };
        assert!(transition(&failed, clock(day(10, 28)), transfer(day(10, 28))).is_ok());
        assert_eq!(
            transition(&failed, clock(day(10, 28)), transfer(day(10, 27))),
            Err(LifecycleError::BeforeOutcome)
        );
    }

    #[test]
    fn days_are_between_receipt_and_today() {
        let clock = Clock {
            received_on: day(10, 25),
            today: day(10, 30),
        };
        assert_eq!(
            transition(&State::Received, clock, Action::Begin { on: day(10, 24) }),
            Err(LifecycleError::BeforeReceipt)
        );
        assert_eq!(
            transition(&State::Received, clock, Action::Begin { on: day(10, 31) }),
            Err(LifecycleError::InTheFuture)
        );
    }

    #[test]
    fn an_agreement_takes_effect_with_both_parties_the_mediator_and_the_seal() {
        for missing in 0..4 {
            let mut s = ALL;
            match missing {
                0 => s.workers = false,
                1 => s.employer = false,
                2 => s.mediator = false,
                _ => s.seal = false,
            }
            assert!(!agreement(s).is_valid());
            assert!(State::Agreed(agreement(s)).is_open());
        }
        assert!(agreement(ALL).is_valid());
        let clock = Clock {
            received_on: day(10, 25),
            today: day(10, 30),
        };
        let pending = State::Agreed(agreement(PARTIES));
        let sealed = transition(
            &pending,
            clock,
            Action::Sign(Signatures {
                seal: true,
                ..Default::default()
            }),
        )
        .unwrap();
        assert_eq!(sealed.label(), CaseStatus::AgreementPending);
        assert_eq!(
            transition(&sealed, clock, Action::Sign(PARTIES)),
            Err(LifecycleError::NothingSigned)
        );
        let valid = transition(&sealed, clock, Action::Sign(ALL)).unwrap();
        assert_eq!(valid.label(), CaseStatus::Agreed);
        // Money is recorded only under a valid agreement, not before it was signed.
        let recover = |on| {
            Action::Recover(Recovery {
                amount: Fen(100),
                on,
            })
        };
        assert_eq!(
            transition(&pending, clock, recover(day(10, 29))),
            Err(LifecycleError::NotAllowed)
        );
        assert_eq!(
            transition(&valid, clock, recover(day(10, 27))),
            Err(LifecycleError::BeforeOutcome)
        );
        let blank = Action::Agree {
            signed_on: day(10, 28),
            terms: " ".into(),
            amount: Fen(0),
            signatures: ALL,
        };
        assert_eq!(
            transition(&State::Mediating, clock, blank),
            Err(LifecycleError::TermsRequired)
        );
        let no_reason = Action::Fail {
            on: day(10, 28),
            reason: "".into(),
        };
        assert_eq!(
            transition(&State::Mediating, clock, no_reason),
            Err(LifecycleError::ReasonRequired)
        );
    }

    #[test]
    fn the_page_offers_what_the_transition_accepts() {
        let offered = |s: &State, c: Clock| -> Vec<&str> {
            offered(s, c).into_iter().map(CaseAction::as_str).collect()
        };
        let clock = Clock {
            received_on: day(10, 25),
            today: day(11, 1),
        };
        assert_eq!(
            offered(&State::Received, clock),
            ["begin", "agree", "fail", "withdraw"]
        );
        let later = Clock {
            today: day(11, 10),
            ..clock
        };
        assert_eq!(
            offered(&State::Mediating, later),
            ["agree", "fail", "withdraw", "transfer"]
        );
        assert_eq!(
            offered(&State::Agreed(agreement(PARTIES)), clock),
            ["sign", "fail"]
        );
        assert_eq!(offered(&State::Agreed(agreement(ALL)), clock), ["recover"]);
    }

    #[test]
    fn states_round_trip_through_their_columns() {
        let mut all = states();
        let mut paid = agreement(ALL);
        paid.recovered = Some(Recovery {
            amount: Fen(1_234_550),
            on: day(11, 15),
        });
        all.push(("paid", State::Agreed(paid)));
        for (_, s) in all {
            assert_eq!(State::from_columns(&s.columns()), Some(s));
        }
        let broken = Columns {
            state: StateCode::NoAgreement,
            concluded_on: Day::from_db("2019-10-30"),
            ..Default::default()
        };
        assert_eq!(State::from_columns(&broken), None);
    }
}
