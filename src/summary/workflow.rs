//! The submission workflow of a summary table: one status enum, one
//! transition function. A submission freezes the table; the issuing org
//! accepts it or returns it with reasons (for the whole table or for given
//! lines); a returned table is revised and submitted again as a new version.

use serde::{Deserialize, Serialize};

use crate::{db::code_enum, error::AppError};

code_enum! {
    /// Where a unit's summary table stands.
    pub enum Status: "summary-status" {
        /// Being prepared by the unit (nothing submitted yet).
        Draft = "draft",
        /// Submitted and waiting for the issuing org.
        Submitted = "submitted",
        /// Accepted by the issuing org: final.
        Accepted = "accepted",
        /// Returned for correction; the unit revises and resubmits.
        Returned = "returned",
    }
}

impl Status {
    /// Parses the stored code (special reports share this status and still
    /// read it from text).
    pub fn parse(s: &str) -> Option<Status> {
        Status::from_code(s)
    }

    /// The badge class of its label.
    pub fn badge(self) -> &'static str {
        match self {
            Status::Accepted => "yes",
            Status::Returned => "off",
            _ => "",
        }
    }
}

code_enum! {
    /// The decision on a submitted version.
    pub enum Decision: "summary-decision" {
        /// Accepted: final.
        Accepted = "accepted",
        /// Returned with reasons.
        Returned = "returned",
    }
}

code_enum! {
    /// Where a unit's summary table stands in a campaign, as the roll-up, the
    /// supervision grid (督办) and their exports show it. Timeliness is the stored
    /// verdict of the unit's first submission (decided once, when it was made).
    /// The variants are declared most in need of attention first, the order the
    /// grid sorts by.
    pub enum Standing: "summary-standing" {
        /// No summary record at all: the unit never opened a draft to save.
        Missing = "missing",
        /// Choices saved, never submitted.
        Draft = "draft",
        /// Returned for correction and not yet resubmitted.
        Returned = "returned",
        /// Submitted after the deadline, waiting for a decision.
        Late = "late",
        /// Submitted before the deadline, waiting for a decision.
        OnTime = "on_time",
        /// Accepted by the issuing org.
        Accepted = "accepted",
    }
}

impl Standing {
    /// The standing of a unit whose record has `status` (None: no record) and
    /// whose first submission was judged `first_late` when it was made.
    pub fn of(status: Option<Status>, first_late: Option<bool>) -> Standing {
        match status {
            None => Standing::Missing,
            Some(Status::Draft) => Standing::Draft,
            Some(Status::Returned) => Standing::Returned,
            Some(Status::Accepted) => Standing::Accepted,
            Some(Status::Submitted) if first_late == Some(true) => Standing::Late,
            Some(Status::Submitted) => Standing::OnTime,
        }
    }

    /// The position in [`Standing::ALL`]: sorting ascending puts what needs
    /// chasing first.
    pub fn rank(self) -> usize {
        self as usize
    }

    /// Whether the table has reached the issuing org: it waits for a
    /// decision or was accepted.
    pub fn is_in(self) -> bool {
        matches!(self, Standing::OnTime | Standing::Late | Standing::Accepted)
    }

    /// Whether the unit still has to act (nothing submitted, or returned).
    pub fn is_owed(self) -> bool {
        !self.is_in()
    }

    /// Whether the unit's latest version counts in the submitted roll-up:
    /// exactly the tables that are in. A returned version was sent back as
    /// wrong, and a draft or missing unit submitted nothing, so they add
    /// nothing until they submit.
    pub fn counted(self) -> bool {
        self.is_in()
    }

    /// The badge class of its label.
    pub fn badge(self) -> &'static str {
        match self {
            Standing::Accepted | Standing::OnTime => "yes",
            Standing::Missing | Standing::Late | Standing::Returned => "off",
            Standing::Draft => "",
        }
    }
}

/// A reason given for one line of a returned table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LineReason {
    /// The line: a figure (`enterprises`, …), `main:<problem id>`,
    /// `upper:<problem id>` or `remarks`.
    pub line: String,
    /// What is wrong with it.
    pub reason: String,
}

/// Why a table is returned: a general reason, reasons on given lines, or both.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReturnReasons {
    /// About the whole table.
    #[serde(default)]
    pub reason: String,
    /// About given lines.
    #[serde(default)]
    pub lines: Vec<LineReason>,
}

impl ReturnReasons {
    /// The reasons without blank entries.
    pub fn cleaned(&self) -> ReturnReasons {
        ReturnReasons {
            reason: self.reason.trim().to_string(),
            lines: self
                .lines
                .iter()
                .filter(|l| !l.reason.trim().is_empty() && !l.line.trim().is_empty())
                .map(|l| LineReason {
                    line: l.line.trim().to_string(),
                    reason: l.reason.trim().to_string(),
                })
                .collect(),
        }
    }

    /// Whether nothing at all was said.
    pub fn is_empty(&self) -> bool {
        let c = self.cleaned();
        c.reason.is_empty() && c.lines.is_empty()
    }

    /// The reason given for `line`, if any.
    pub fn for_line(&self, line: &str) -> Option<&str> {
        self.lines
            .iter()
            .find(|l| l.line == line)
            .map(|l| l.reason.as_str())
    }
}

/// Something done to a summary table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// The unit saves its choices (main problems, overrides, remarks).
    Save,
    /// The unit submits the table as it is now.
    Submit,
    /// The issuing org accepts the submitted version.
    Accept,
    /// The issuing org returns it; at least one reason is required.
    Return(ReturnReasons),
}

impl Action {
    /// The decision the action records, if it is one.
    pub fn decision(&self) -> Option<Decision> {
        match self {
            Action::Accept => Some(Decision::Accepted),
            Action::Return(_) => Some(Decision::Returned),
            Action::Save | Action::Submit => None,
        }
    }
}

/// Why a move is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkflowError {
    /// The action is not allowed in this status.
    NotAllowed,
    /// A return without any reason.
    ReasonRequired,
}

impl From<WorkflowError> for AppError {
    fn from(e: WorkflowError) -> Self {
        match e {
            WorkflowError::NotAllowed => AppError::field("status", "err-summary-transition"),
            WorkflowError::ReasonRequired => AppError::field("reason", "err-summary-return-reason"),
        }
    }
}

/// The status after `action` on a table in `from`:
///
/// | from | save | submit | accept | return |
/// |---|---|---|---|---|
/// | draft | draft | submitted | – | – |
/// | submitted | – | – | accepted | returned |
/// | accepted | – | – | – | – |
/// | returned | returned | submitted | – | – |
pub fn transition(from: Status, action: &Action) -> Result<Status, WorkflowError> {
    use Status::*;
    match (from, action) {
        (Draft | Returned, Action::Save) => Ok(from),
        (Draft | Returned, Action::Submit) => Ok(Submitted),
        (Submitted, Action::Accept) => Ok(Accepted),
        (Submitted, Action::Return(r)) if r.is_empty() => Err(WorkflowError::ReasonRequired),
        (Submitted, Action::Return(_)) => Ok(Returned),
        _ => Err(WorkflowError::NotAllowed),
    }
}

/// Whether a submission at `submitted_at` (epoch seconds) misses a deadline
/// that ends at `deadline_end` (the last second of the day, Beijing time).
pub fn is_late(submitted_at: i64, deadline_end: i64) -> bool {
    submitted_at > deadline_end
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn returned() -> Action {
        Action::Return(ReturnReasons {
            reason: "请核对".into(),
            lines: vec![],
        })
    }

    #[test]
    fn every_status_and_action() {
        use Status::*;
        let blank = Action::Return(ReturnReasons {
            reason: "  ".into(),
            lines: vec![LineReason {
                line: "enterprises".into(),
                reason: " ".into(),
            }],
        });
        let line_only = Action::Return(ReturnReasons {
            reason: String::new(),
            lines: vec![LineReason {
                line: "enterprises".into(),
                reason: "数字偏大".into(),
            }],
        });
        // (from, action, expected)
        let table: Vec<(Status, Action, Result<Status, WorkflowError>)> = vec![
            (Draft, Action::Save, Ok(Draft)),
            (Draft, Action::Submit, Ok(Submitted)),
            (Draft, Action::Accept, Err(WorkflowError::NotAllowed)),
            (Draft, returned(), Err(WorkflowError::NotAllowed)),
            (Submitted, Action::Save, Err(WorkflowError::NotAllowed)),
            (Submitted, Action::Submit, Err(WorkflowError::NotAllowed)),
            (Submitted, Action::Accept, Ok(Accepted)),
            (Submitted, returned(), Ok(Returned)),
            (Submitted, line_only, Ok(Returned)),
            (Submitted, blank, Err(WorkflowError::ReasonRequired)),
            (Accepted, Action::Save, Err(WorkflowError::NotAllowed)),
            (Accepted, Action::Submit, Err(WorkflowError::NotAllowed)),
            (Accepted, Action::Accept, Err(WorkflowError::NotAllowed)),
            (Accepted, returned(), Err(WorkflowError::NotAllowed)),
            (Returned, Action::Save, Ok(Returned)),
            (Returned, Action::Submit, Ok(Submitted)),
            (Returned, Action::Accept, Err(WorkflowError::NotAllowed)),
            (Returned, returned(), Err(WorkflowError::NotAllowed)),
        ];
        for (from, action, want) in table {
            assert_eq!(transition(from, &action), want, "{from:?} {action:?}");
        }
    }

    #[test]
    fn statuses_round_trip() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        assert_eq!(Status::parse("sent"), None);
    }

    #[test]
    fn late_is_strictly_after_the_last_second() {
        let end = crate::date::Day::from_ymd(2019, 11, 15)
            .unwrap()
            .end_timestamp();
        assert!(!is_late(end, end));
        assert!(is_late(end + 1, end));
        // 15 November 23:59:59 in Beijing is 15:59:59 UTC.
        assert_eq!(end, 1_573_833_599);
    }

    #[test]
    fn standings_follow_the_record_and_the_stored_verdict() {
        use Standing::*;
        let table = [
            (None, None, Missing),
            (Some(Status::Draft), None, Draft),
            (Some(Status::Submitted), Some(false), OnTime),
            (Some(Status::Submitted), Some(true), Late),
            (Some(Status::Returned), Some(true), Returned),
            (Some(Status::Accepted), Some(true), Accepted),
            (Some(Status::Accepted), Some(false), Accepted),
        ];
        for (status, late, want) in table {
            assert_eq!(Standing::of(status, late), want, "{status:?} {late:?}");
        }
        let counted: Vec<Standing> = Standing::ALL.into_iter().filter(|s| s.counted()).collect();
        assert_eq!(counted, [Late, OnTime, Accepted]);
    }

    #[test]
    fn standings_round_trip_and_sort_owed_tables_first() {
        for (i, s) in Standing::ALL.into_iter().enumerate() {
            assert_eq!(Standing::from_code(s.as_str()), Some(s));
            assert_eq!(s.rank(), i);
            assert_ne!(s.is_owed(), s.is_in(), "{s:?}");
        }
        assert_eq!(" late ".parse::<Standing>(), Ok(Standing::Late));
        assert!("submitted".parse::<Standing>().is_err());
        let owed: Vec<Standing> = Standing::ALL.into_iter().filter(|s| s.is_owed()).collect();
        assert_eq!(
            owed,
            [Standing::Missing, Standing::Draft, Standing::Returned]
        );
        // The API spells a standing as the filter does.
        assert_eq!(
            serde_json::to_value(Standing::OnTime).unwrap(),
            serde_json::json!("on_time")
        );
    }

    fn action() -> impl Strategy<Value = Action> {
        prop_oneof![
            Just(Action::Save),
            Just(Action::Submit),
            Just(Action::Accept),
            Just(returned()),
        ]
    }

    proptest! {
        /// Any sequence of moves keeps to the table: accepted is final, and
        /// the number of submissions is one more than the number of returns
        /// whenever the table is waiting or accepted.
        #[test]
        fn random_walks_stay_legal(actions in proptest::collection::vec(action(), 0..40)) {
            let mut s = Status::Draft;
            let (mut submits, mut returns) = (0, 0);
            for a in &actions {
                if let Ok(next) = transition(s, a) {
                    prop_assert!(s != Status::Accepted);
                    if matches!(a, Action::Submit) { submits += 1; }
                    if matches!(a, Action::Return(_)) { returns += 1; }
                    s = next;
                }
                match s {
                    Status::Draft => prop_assert_eq!(submits, 0),
                    Status::Submitted | Status::Accepted => prop_assert_eq!(submits, returns + 1),
                    Status::Returned => prop_assert_eq!(submits, returns),
                }
            }
        }
    }
}
