//! Implementation plans (实施方案): each participating unit files its targets
//! and milestones (时间节点); the issuing org accepts the plan or returns it
//! with a reason; the unit revises and resubmits. The status is one enum and
//! every move goes through [`transition`].

use serde::{Deserialize, Serialize};

use crate::{
    date::Day,
    db::{CampaignId, OrgId, PlanId, code_enum},
    error::{AppError, FieldError},
    web::form::{self, Errors},
};

/// Where a plan is: the summary table's workflow status (draft, submitted,
/// accepted, returned), the same four codes and moves.
pub use crate::summary::workflow::Status as PlanStatus;

/// The catalogue key of a plan status's name (a plan's words, not a summary's).
pub fn label_key(s: &PlanStatus) -> String {
    format!("plan-status-{}", s.as_str())
}

/// The status a stored code names (a row written from a status; draft for an unknown one).
pub fn status_of(code: &str) -> PlanStatus {
    PlanStatus::ALL
        .into_iter()
        .find(|s| s.as_str() == code)
        .unwrap_or(PlanStatus::Draft)
}

code_enum! {
    /// What a plan event records (`plan_events.action`).
    pub enum PlanEventAction: "plan-event" {
        /// 保存.
        Saved = "saved",
        /// 报送.
        Submitted = "submitted",
        /// 通过.
        Accepted = "accepted",
        /// 退回.
        Returned = "returned",
    }
}

/// Something done to a plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlanAction {
    /// The unit saves its text, targets and milestones.
    Save,
    /// The unit files the plan with the issuing org.
    Submit,
    /// The issuing org accepts it.
    Accept,
    /// The issuing org returns it; the reason is required.
    Return(String),
}

impl PlanAction {
    /// The event it records in `plan_events.action`.
    pub fn event(&self) -> PlanEventAction {
        match self {
            PlanAction::Save => PlanEventAction::Saved,
            PlanAction::Submit => PlanEventAction::Submitted,
            PlanAction::Accept => PlanEventAction::Accepted,
            PlanAction::Return(_) => PlanEventAction::Returned,
        }
    }
}

/// Why a move is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanError {
    /// The action is not allowed in this status.
    NotAllowed,
    /// A return without a reason.
    ReasonRequired,
}

impl From<PlanError> for AppError {
    fn from(e: PlanError) -> Self {
        match e {
            PlanError::NotAllowed => AppError::field("status", "err-plan-transition"),
            PlanError::ReasonRequired => AppError::field("reason", "err-required"),
        }
    }
}

/// The status after `action` on a plan in `from`:
///
/// | from | save | submit | accept | return |
/// |---|---|---|---|---|
/// | draft | draft | submitted | – | – |
/// | submitted | – | – | accepted | returned |
/// | accepted | – | – | – | – |
/// | returned | returned | submitted | – | – |
pub fn transition(from: PlanStatus, action: &PlanAction) -> Result<PlanStatus, PlanError> {
    use PlanStatus::*;
    match (from, action) {
        (Draft | Returned, PlanAction::Save) => Ok(from),
        (Draft | Returned, PlanAction::Submit) => Ok(Submitted),
        (Submitted, PlanAction::Accept) => Ok(Accepted),
        (Submitted, PlanAction::Return(reason)) if reason.trim().is_empty() => {
            Err(PlanError::ReasonRequired)
        }
        (Submitted, PlanAction::Return(_)) => Ok(Returned),
        _ => Err(PlanError::NotAllowed),
    }
}

/// A milestone (时间节点).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Milestone {
    pub title: String,
    pub due_on: Day,
}

/// A plan's content, as saved and as frozen in each event's snapshot.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlanContent {
    pub summary: String,
    pub target_enterprises: i64,
    pub target_interviews: i64,
    pub target_symposiums: i64,
    pub milestones: Vec<Milestone>,
}

/// A unit's plan as read. A unit that has not started one reads as an empty
/// draft at version 0 with `id` absent.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Plan {
    pub id: Option<PlanId>,
    pub campaign_id: CampaignId,
    pub org_id: OrgId,
    pub org_name: String,
    pub status: PlanStatus,
    /// How many times it was submitted.
    pub version: i64,
    /// Why it was last returned (shown while returned).
    pub return_reason: Option<String>,
    #[serde(flatten)]
    pub content: PlanContent,
    /// Epoch seconds, UTC; 0 for a plan not started.
    pub updated_at: i64,
}

/// One submission or decision, with the plan as it was.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PlanEvent {
    pub id: i64,
    pub action: PlanEventAction,
    pub version: i64,
    pub actor: String,
    pub reason: Option<String>,
    pub snapshot: PlanContent,
    /// Epoch seconds, UTC.
    pub created_at: i64,
}

/// One milestone row as submitted.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct MilestoneInput {
    #[serde(default)]
    #[schema(example = "动员部署")]
    pub title: Option<String>,
    /// YYYY-MM-DD.
    #[serde(default)]
    #[schema(example = "2019-10-25")]
    pub due_on: Option<String>,
}

/// A plan as submitted by the form or a JSON body.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct PlanInput {
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(value_type = Option<i64>, example = 12)]
    pub target_enterprises: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(value_type = Option<i64>, example = 300)]
    pub target_interviews: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(value_type = Option<i64>, example = 2)]
    pub target_symposiums: Option<String>,
    /// The milestones in order; a row with neither title nor date is dropped.
    #[serde(default)]
    pub milestones: Vec<MilestoneInput>,
}

/// The most milestones a plan holds.
pub const MAX_MILESTONES: usize = 50;

impl PlanInput {
    /// Parses every field; milestone errors name the `milestones` field and the row.
    pub fn parse(&self) -> Result<PlanContent, AppError> {
        let mut errs = Errors::default();
        let summary = errs
            .take(form::optional("summary", &self.summary, 10_000))
            .flatten()
            .unwrap_or_default();
        let mut t = |f: &str, s: &Option<String>| {
            errs.take(form::optional_int(f, s, 0, super::MAX_TARGET))
                .flatten()
                .unwrap_or(0)
        };
        let target_enterprises = t("target_enterprises", &self.target_enterprises);
        let target_interviews = t("target_interviews", &self.target_interviews);
        let target_symposiums = t("target_symposiums", &self.target_symposiums);
        let mut milestones = Vec::new();
        let rows = self
            .milestones
            .iter()
            .enumerate()
            .filter(|(_, m)| form::opt(&m.title).is_some() || form::opt(&m.due_on).is_some());
        // Errors name the JSON path of the field (`milestones[2].due_on`) and
        // the row among those filled in, for the message.
        for (row, (i, m)) in rows.enumerate() {
            let row = row + 1;
            let title = match form::required("title", &m.title, 200) {
                Ok(t) => Some(t),
                Err(_) => {
                    errs.push(
                        FieldError::new(format!("milestones[{i}].title"), "err-milestone-title")
                            .arg("row", row),
                    );
                    None
                }
            };
            let due = match form::opt(&m.due_on).as_deref().map(Day::parse_str) {
                Some(Some(d)) => Some(d),
                _ => {
                    errs.push(
                        FieldError::new(format!("milestones[{i}].due_on"), "err-milestone-date")
                            .arg("row", row),
                    );
                    None
                }
            };
            if let (Some(title), Some(due_on)) = (title, due) {
                milestones.push(Milestone { title, due_on });
            }
        }
        if milestones.len() > MAX_MILESTONES {
            errs.push(
                FieldError::new("milestones", "err-milestone-count").arg("max", MAX_MILESTONES),
            );
        }
        errs.finish()?;
        Ok(PlanContent {
            summary,
            target_enterprises,
            target_interviews,
            target_symposiums,
            milestones,
        })
    }

    /// The input that edits `c`.
    pub fn from_content(c: &PlanContent) -> Self {
        PlanInput {
            summary: Some(c.summary.clone()),
            target_enterprises: Some(c.target_enterprises.to_string()),
            target_interviews: Some(c.target_interviews.to_string()),
            target_symposiums: Some(c.target_symposiums.to_string()),
            milestones: c
                .milestones
                .iter()
                .map(|m| MilestoneInput {
                    title: Some(m.title.clone()),
                    due_on: Some(m.due_on.iso()),
                })
                .collect(),
        }
    }
}

/// The body of returning a plan: the reason is required.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = PlanReturnInput)]
pub struct ReturnInput {
    #[serde(default)]
    #[schema(example = "目标偏低，请按通知要求调整")]
    pub reason: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transitions_follow_the_table() {
        use PlanStatus::*;
        let ret = PlanAction::Return("目标偏低".into());
        let blank = PlanAction::Return("  ".into());
        let table: [(PlanStatus, &PlanAction, Result<PlanStatus, PlanError>); 20] = [
            (Draft, &PlanAction::Save, Ok(Draft)),
            (Draft, &PlanAction::Submit, Ok(Submitted)),
            (Draft, &PlanAction::Accept, Err(PlanError::NotAllowed)),
            (Draft, &ret, Err(PlanError::NotAllowed)),
            (Draft, &blank, Err(PlanError::NotAllowed)),
            (Submitted, &PlanAction::Save, Err(PlanError::NotAllowed)),
            (Submitted, &PlanAction::Submit, Err(PlanError::NotAllowed)),
            (Submitted, &PlanAction::Accept, Ok(Accepted)),
            (Submitted, &ret, Ok(Returned)),
            (Submitted, &blank, Err(PlanError::ReasonRequired)),
            (Accepted, &PlanAction::Save, Err(PlanError::NotAllowed)),
            (Accepted, &PlanAction::Submit, Err(PlanError::NotAllowed)),
            (Accepted, &PlanAction::Accept, Err(PlanError::NotAllowed)),
            (Accepted, &ret, Err(PlanError::NotAllowed)),
            (Accepted, &blank, Err(PlanError::NotAllowed)),
            (Returned, &PlanAction::Save, Ok(Returned)),
            (Returned, &PlanAction::Submit, Ok(Submitted)),
            (Returned, &PlanAction::Accept, Err(PlanError::NotAllowed)),
            (Returned, &ret, Err(PlanError::NotAllowed)),
            (Returned, &blank, Err(PlanError::NotAllowed)),
        ];
        for (from, action, want) in table {
            assert_eq!(transition(from, action), want, "{from:?} {action:?}");
        }
        for s in PlanStatus::ALL {
            assert_eq!(status_of(s.as_str()), s);
        }
    }

    #[test]
    fn a_plan_input_parses_and_names_bad_milestone_rows() {
        let input = PlanInput {
            summary: Some(" 分三步走 ".into()),
            target_enterprises: Some("12".into()),
            milestones: vec![
                MilestoneInput {
                    title: Some("动员部署".into()),
                    due_on: Some("2019-10-25".into()),
                },
                MilestoneInput::default(),
                MilestoneInput {
                    title: Some("走访".into()),
                    due_on: Some("2019-11-31".into()),
                },
                MilestoneInput {
                    title: None,
                    due_on: Some("2019-11-10".into()),
                },
            ],
            ..Default::default()
        };
        let AppError::Validation(errs) = input.parse().unwrap_err() else {
            panic!()
        };
        let got: Vec<_> = errs
            .iter()
            .map(|e| (e.field.as_str(), e.key, e.args[0].1.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("milestones[2].due_on", "err-milestone-date", "2"),
                ("milestones[3].title", "err-milestone-title", "3"),
            ]
        );
        let mut ok = input.clone();
        ok.milestones.truncate(2);
        let c = ok.parse().unwrap();
        assert_eq!(c.summary, "分三步走");
        assert_eq!(c.target_enterprises, 12);
        assert_eq!(c.milestones.len(), 1, "the empty row is dropped");
        assert_eq!(PlanInput::from_content(&c).parse().unwrap(), c);
    }
}
