//! The lifecycle of a problem: one state enum, one transition function.
//!
//! Seed 000 asks that reasonable suggestions be solved promptly (solved /
//! adopted), long-running ones get a timetable (in progress with a completion
//! deadline, or planned with a date), and those needing the higher level be
//! passed up (escalate). The four outcomes and the date each requires are one
//! enum, so an "in progress" problem without a deadline cannot be built.

use serde::{Deserialize, Serialize};

use crate::{date::Day, db::OrgId};

/// One of the four outcomes of the summary table, with what it requires.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// 已经解决或采纳: when, and what was done.
    Solved { on: Day, note: String },
    /// 正在解决: the completion deadline (完成时限).
    InProgress { deadline: Day, note: Option<String> },
    /// 计划解决: the planned date (计划时间).
    Planned { on: Day, note: Option<String> },
    /// 留作参考.
    #[serde(rename = "reference", alias = "for_reference")]
    ForReference { note: Option<String> },
}

/// The stored spellings of the four outcomes, in the order of the attachment.
pub const OUTCOME_CODES: [&str; 4] = ["solved", "in_progress", "planned", "reference"];

impl Outcome {
    /// The stored spelling.
    pub fn code(&self) -> &'static str {
        match self {
            Outcome::Solved { .. } => "solved",
            Outcome::InProgress { .. } => "in_progress",
            Outcome::Planned { .. } => "planned",
            Outcome::ForReference { .. } => "reference",
        }
    }

    /// The date the outcome carries (solved on, deadline, planned date).
    pub fn day(&self) -> Option<Day> {
        match self {
            Outcome::Solved { on, .. } | Outcome::Planned { on, .. } => Some(*on),
            Outcome::InProgress { deadline, .. } => Some(*deadline),
            Outcome::ForReference { .. } => None,
        }
    }

    /// The note (what was done, or how it will be).
    pub fn note(&self) -> Option<&str> {
        match self {
            Outcome::Solved { note, .. } => Some(note),
            Outcome::InProgress { note, .. }
            | Outcome::Planned { note, .. }
            | Outcome::ForReference { note } => note.as_deref(),
        }
    }

    /// Builds an outcome from its code, date and note, or says which field is
    /// missing: `outcome_on` for the date, `outcome_note` for what was done.
    pub fn build(
        code: &str,
        day: Option<Day>,
        note: Option<String>,
    ) -> Result<Outcome, OutcomeError> {
        let note = note.filter(|n| !n.trim().is_empty());
        match code {
            "solved" => Ok(Outcome::Solved {
                on: day.ok_or(OutcomeError::DateRequired)?,
                note: note.ok_or(OutcomeError::NoteRequired)?,
            }),
            "in_progress" => Ok(Outcome::InProgress {
                deadline: day.ok_or(OutcomeError::DateRequired)?,
                note,
            }),
            "planned" => Ok(Outcome::Planned {
                on: day.ok_or(OutcomeError::DateRequired)?,
                note,
            }),
            "reference" => Ok(Outcome::ForReference { note }),
            _ => Err(OutcomeError::Unknown),
        }
    }

    /// Whether the outcome finishes the matter (nothing left to do but feedback).
    pub fn is_final(&self) -> bool {
        matches!(self, Outcome::Solved { .. } | Outcome::ForReference { .. })
    }
}

/// Why an outcome could not be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutcomeError {
    /// Not one of the four outcomes.
    Unknown,
    /// Solved, in progress and planned each need their date.
    DateRequired,
    /// Solved needs what was done.
    NoteRequired,
}

/// Where a problem stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum State {
    /// Recorded (or passed up / returned) and waiting for its owner to decide.
    Open,
    /// The owner decided one of the four outcomes.
    Decided(Outcome),
    /// Finished and closed after feedback; the outcome is kept for the counts.
    Closed(Outcome),
}

impl State {
    /// A short label for timelines and filters.
    pub fn label(&self) -> &'static str {
        match self {
            State::Open => "open",
            State::Decided(o) => o.code(),
            State::Closed(_) => "closed",
        }
    }

    /// The stored `state` column.
    pub fn code(&self) -> &'static str {
        match self {
            State::Open => "open",
            State::Decided(_) => "decided",
            State::Closed(_) => "closed",
        }
    }

    /// The outcome, if one was decided.
    pub fn outcome(&self) -> Option<&Outcome> {
        match self {
            State::Open => None,
            State::Decided(o) | State::Closed(o) => Some(o),
        }
    }

    /// Whether an in-progress deadline or a planned date has passed unsolved.
    pub fn is_overdue(&self, today: Day) -> bool {
        match self {
            State::Decided(Outcome::InProgress { deadline: d, .. })
            | State::Decided(Outcome::Planned { on: d, .. }) => *d < today,
            _ => false,
        }
    }

    /// Reads the stored columns; `None` for a combination this code never writes.
    pub fn from_columns(
        state: &str,
        outcome: Option<&str>,
        day: Option<&str>,
        note: Option<String>,
    ) -> Option<State> {
        let build = || Outcome::build(outcome?, day.and_then(Day::from_db), note.clone()).ok();
        match state {
            "open" => Some(State::Open),
            "decided" => build().map(State::Decided),
            "closed" => build().map(State::Closed),
            _ => None,
        }
    }

    /// The stored columns: state, outcome, outcome date, note.
    pub fn columns(
        &self,
    ) -> (
        &'static str,
        Option<&'static str>,
        Option<String>,
        Option<String>,
    ) {
        match self.outcome() {
            None => (self.code(), None, None, None),
            Some(o) => (
                self.code(),
                Some(o.code()),
                o.day().map(Day::iso),
                o.note().map(str::to_string),
            ),
        }
    }
}

/// Something a user does to a problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Record (or change) the outcome.
    Decide(Outcome),
    /// Pass it to an ancestor of the owner, which then owns it.
    Escalate { to: OrgId, reason: String },
    /// Send it back down to the org that passed it up.
    Return { reason: String },
    /// Open a finished problem again.
    Reopen { reason: String },
    /// Close a finished problem (after feedback).
    Close,
}

impl Action {
    /// The stored event kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Action::Decide(_) => "decided",
            Action::Escalate { .. } => "escalated",
            Action::Return { .. } => "returned",
            Action::Reopen { .. } => "reopened",
            Action::Close => "closed",
        }
    }

    /// The reason given, if the action takes one.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Action::Escalate { reason, .. }
            | Action::Return { reason }
            | Action::Reopen { reason } => Some(reason),
            Action::Decide(o) => o.note(),
            Action::Close => None,
        }
    }
}

/// Who owns the problem and where it came from, as the transition needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ownership {
    /// The org that decides now.
    pub owner: OrgId,
    /// The owner's ancestors (not itself): where it may be escalated to.
    pub ancestors: Vec<OrgId>,
    /// The org that escalated it to the owner, if it came up from below.
    pub escalated_from: Option<OrgId>,
}

/// The state and owner after a legal transition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Next {
    pub state: State,
    pub owner: OrgId,
}

/// Why a transition is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LifecycleError {
    #[error("this action is not allowed in the problem's current state")]
    NotAllowed,
    #[error("a reason is required")]
    ReasonRequired,
    #[error("a problem can only be escalated to an ancestor of its owner")]
    NotAnAncestor,
    #[error("the problem was not escalated to its owner, so it cannot be returned")]
    NothingToReturn,
}

/// The one transition function: the state and owner after `action`, or why not.
pub fn transition(state: &State, own: &Ownership, action: Action) -> Result<Next, LifecycleError> {
    use LifecycleError::*;
    let stay = |state: State| Next {
        state,
        owner: own.owner,
    };
    if action.reason().is_some_and(|r| r.trim().is_empty()) && !matches!(action, Action::Decide(_))
    {
        return Err(ReasonRequired);
    }
    match (state, action) {
        (State::Open | State::Decided(_), Action::Decide(o)) => Ok(stay(State::Decided(o))),
        (State::Open, Action::Escalate { to, .. })
        | (
            State::Decided(
                Outcome::InProgress { .. } | Outcome::Planned { .. } | Outcome::ForReference { .. },
            ),
            Action::Escalate { to, .. },
        ) => {
            if own.ancestors.contains(&to) {
                Ok(Next {
                    state: State::Open,
                    owner: to,
                })
            } else {
                Err(NotAnAncestor)
            }
        }
        (State::Open, Action::Return { .. }) => match own.escalated_from {
            Some(below) => Ok(Next {
                state: State::Open,
                owner: below,
            }),
            None => Err(NothingToReturn),
        },
        (State::Decided(o), Action::Reopen { .. }) if o.is_final() => Ok(stay(State::Open)),
        (State::Closed(_), Action::Reopen { .. }) => Ok(stay(State::Open)),
        (State::Decided(o), Action::Close) if o.is_final() => Ok(stay(State::Closed(o.clone()))),
        _ => Err(NotAllowed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> Day {
        Day::from_ymd(2019, 11, d).unwrap()
    }

    fn solved() -> Outcome {
        Outcome::Solved {
            on: day(5),
            note: "已协调食堂延长供餐".into(),
        }
    }
    fn in_progress() -> Outcome {
        Outcome::InProgress {
            deadline: day(30),
            note: None,
        }
    }
    fn planned() -> Outcome {
        Outcome::Planned {
            on: day(20),
            note: None,
        }
    }
    fn reference() -> Outcome {
        Outcome::ForReference { note: None }
    }

    const STREET: OrgId = OrgId(2);
    const DISTRICT: OrgId = OrgId(1);
    const OTHER: OrgId = OrgId(9);

    fn at_street() -> Ownership {
        Ownership {
            owner: STREET,
            ancestors: vec![DISTRICT],
            escalated_from: None,
        }
    }

    fn states() -> Vec<(&'static str, State)> {
        vec![
            ("open", State::Open),
            ("solved", State::Decided(solved())),
            ("in_progress", State::Decided(in_progress())),
            ("planned", State::Decided(planned())),
            ("reference", State::Decided(reference())),
            ("closed", State::Closed(solved())),
        ]
    }

    fn actions() -> Vec<(&'static str, Action)> {
        let r = || "需要区总工会协调".to_string();
        vec![
            ("decide-solved", Action::Decide(solved())),
            ("decide-in_progress", Action::Decide(in_progress())),
            (
                "escalate",
                Action::Escalate {
                    to: DISTRICT,
                    reason: r(),
                },
            ),
            ("return", Action::Return { reason: r() }),
            ("reopen", Action::Reopen { reason: r() }),
            ("close", Action::Close),
        ]
    }

    /// Every (state, action) pair for a street-owned problem that was not
    /// escalated: the expected next label, or the error.
    #[test]
    fn every_legal_and_illegal_transition() {
        use LifecycleError::*;
        type Expect = Result<(&'static str, OrgId), LifecycleError>;
        let ok = |l: &'static str| -> Expect { Ok((l, STREET)) };
        let up: Expect = Ok(("open", DISTRICT));
        #[rustfmt::skip]
        let table: Vec<(&str, [Expect; 6])> = vec![
            //             decide-solved   decide-in_progress  escalate  return                reopen            close
            ("open",        [ok("solved"), ok("in_progress"), up,        Err(NothingToReturn), Err(NotAllowed), Err(NotAllowed)]),
            ("solved",      [ok("solved"), ok("in_progress"), Err(NotAllowed), Err(NotAllowed), ok("open"),     ok("closed")]),
            ("in_progress", [ok("solved"), ok("in_progress"), up,        Err(NotAllowed),      Err(NotAllowed), Err(NotAllowed)]),
            ("planned",     [ok("solved"), ok("in_progress"), up,        Err(NotAllowed),      Err(NotAllowed), Err(NotAllowed)]),
            ("reference",   [ok("solved"), ok("in_progress"), up,        Err(NotAllowed),      ok("open"),      ok("closed")]),
            ("closed",      [Err(NotAllowed), Err(NotAllowed), Err(NotAllowed), Err(NotAllowed), ok("open"),   Err(NotAllowed)]),
        ];
        let states = states();
        let actions = actions();
        let mut checked = 0;
        for (state_label, expected) in &table {
            let state = &states.iter().find(|(l, _)| l == state_label).unwrap().1;
            for ((action_label, action), want) in actions.iter().zip(expected) {
                let got = transition(state, &at_street(), action.clone())
                    .map(|n| (n.state.label(), n.owner));
                assert_eq!(&got, want, "{state_label} + {action_label}");
                checked += 1;
            }
        }
        assert_eq!(
            checked,
            states.len() * actions.len(),
            "the table covers every pair"
        );
    }

    #[test]
    fn escalation_goes_only_to_an_ancestor_and_needs_a_reason() {
        let to_other = Action::Escalate {
            to: OTHER,
            reason: "x".into(),
        };
        assert_eq!(
            transition(&State::Open, &at_street(), to_other),
            Err(LifecycleError::NotAnAncestor)
        );
        let to_self = Action::Escalate {
            to: STREET,
            reason: "x".into(),
        };
        assert_eq!(
            transition(&State::Open, &at_street(), to_self),
            Err(LifecycleError::NotAnAncestor)
        );
        let blank = Action::Escalate {
            to: DISTRICT,
            reason: "  ".into(),
        };
        assert_eq!(
            transition(&State::Open, &at_street(), blank),
            Err(LifecycleError::ReasonRequired)
        );
        for blank in [
            Action::Return { reason: "".into() },
            Action::Reopen { reason: " ".into() },
        ] {
            assert_eq!(
                transition(&State::Decided(solved()), &at_street(), blank),
                Err(LifecycleError::ReasonRequired)
            );
        }
    }

    #[test]
    fn the_district_returns_an_escalated_problem_to_the_street() {
        let at_district = Ownership {
            owner: DISTRICT,
            ancestors: vec![],
            escalated_from: Some(STREET),
        };
        let back = transition(
            &State::Open,
            &at_district,
            Action::Return {
                reason: "属街道职责".into(),
            },
        )
        .unwrap();
        assert_eq!(
            back,
            Next {
                state: State::Open,
                owner: STREET
            }
        );
        // Once the district decides, it no longer returns it.
        assert_eq!(
            transition(
                &State::Decided(in_progress()),
                &at_district,
                Action::Return { reason: "x".into() }
            ),
            Err(LifecycleError::NotAllowed)
        );
    }

    #[test]
    fn outcomes_require_their_dates() {
        assert_eq!(
            Outcome::build("in_progress", None, None),
            Err(OutcomeError::DateRequired)
        );
        assert_eq!(
            Outcome::build("planned", None, Some("x".into())),
            Err(OutcomeError::DateRequired)
        );
        assert_eq!(
            Outcome::build("solved", Some(day(1)), Some("  ".into())),
            Err(OutcomeError::NoteRequired)
        );
        assert_eq!(
            Outcome::build("reference", None, None),
            Ok(Outcome::ForReference { note: None })
        );
        assert_eq!(
            Outcome::build("done", None, None),
            Err(OutcomeError::Unknown)
        );
    }

    #[test]
    fn overdue_means_a_passed_deadline_or_planned_date() {
        let today = day(21);
        assert!(!State::Decided(planned()).is_overdue(day(20)));
        assert!(State::Decided(planned()).is_overdue(today));
        assert!(!State::Decided(in_progress()).is_overdue(today));
        assert!(State::Decided(in_progress()).is_overdue(day(30).plus_days(1)));
        assert!(!State::Decided(solved()).is_overdue(day(30)));
        assert!(!State::Open.is_overdue(day(30)));
    }

    #[test]
    fn states_round_trip_through_their_columns() {
        for (_, s) in states() {
            let (state, outcome, day, note) = s.columns();
            let back = State::from_columns(state, outcome, day.as_deref(), note).unwrap();
            assert_eq!(back, s);
        }
        assert_eq!(
            State::from_columns("decided", Some("planned"), None, None),
            None
        );
        assert_eq!(State::from_columns("weird", None, None, None), None);
    }
}
