//! Field activities (走访记录): enterprise visits, worker interviews,
//! symposiums, questionnaire distribution, online consultations and services,
//! with the enterprises involved, who went, how many took part, and the
//! problems heard — recorded in one save that a retry never duplicates.

pub mod demo;
pub mod http;
pub mod store;

use serde::{Deserialize, Serialize};

use crate::{
    date::Day,
    db::{ActivityId, CampaignId, EnterpriseId, OrgId, WorkGroupId},
    error::{AppError, FieldError},
    problem::{ProblemFields, ProblemInput},
    web::form::{self, Errors},
};

/// The kinds of field activity the notice names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    /// 走访企事业单位.
    EnterpriseVisit,
    /// 访谈职工.
    WorkerInterview,
    /// 座谈会.
    Symposium,
    /// 问卷调查.
    Questionnaire,
    /// 网上征询.
    OnlineConsultation,
    /// 办实事.
    Service,
    /// 其他.
    Other,
}

impl ActivityKind {
    /// Every kind, in the order the form offers them.
    pub const ALL: [ActivityKind; 7] = [
        ActivityKind::EnterpriseVisit,
        ActivityKind::WorkerInterview,
        ActivityKind::Symposium,
        ActivityKind::Questionnaire,
        ActivityKind::OnlineConsultation,
        ActivityKind::Service,
        ActivityKind::Other,
    ];

    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ActivityKind::EnterpriseVisit => "enterprise_visit",
            ActivityKind::WorkerInterview => "worker_interview",
            ActivityKind::Symposium => "symposium",
            ActivityKind::Questionnaire => "questionnaire",
            ActivityKind::OnlineConsultation => "online_consultation",
            ActivityKind::Service => "service",
            ActivityKind::Other => "other",
        }
    }

    /// Parses the stored spelling.
    pub fn parse(s: &str) -> Option<ActivityKind> {
        ActivityKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
    }

    /// The catalogue key of its label.
    pub fn label_key(self) -> String {
        format!("kind-{}", self.as_str())
    }
}

/// Who took part in a symposium; the notice asks for breadth and
/// representativeness (广泛性、代表性). Groups overlap (a frontline worker may
/// also be a woman worker), so each is at most the participant count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Composition {
    pub frontline_workers: i64,
    pub women_workers: i64,
    pub migrant_workers: i64,
    pub new_form_workers: i64,
    pub enterprise_side: i64,
    pub union_cadres: i64,
}

impl Composition {
    /// The field names, in form order.
    pub const FIELDS: [&'static str; 6] = [
        "frontline_workers",
        "women_workers",
        "migrant_workers",
        "new_form_workers",
        "enterprise_side",
        "union_cadres",
    ];

    /// The counts in the order of [`Composition::FIELDS`].
    pub fn values(&self) -> [i64; 6] {
        [
            self.frontline_workers,
            self.women_workers,
            self.migrant_workers,
            self.new_form_workers,
            self.enterprise_side,
            self.union_cadres,
        ]
    }
}

/// A stored activity.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Activity {
    pub id: ActivityId,
    pub client_id: String,
    pub campaign_id: Option<CampaignId>,
    pub campaign_title: Option<String>,
    /// The stationing work group that recorded it (see `crate::stationing`).
    pub work_group_id: Option<WorkGroupId>,
    pub work_group_name: Option<String>,
    pub org_id: OrgId,
    pub org_name: String,
    pub kind: ActivityKind,
    pub held_on: Day,
    pub place: Option<String>,
    /// The cadres who went, as written.
    pub cadres: String,
    /// Other participants.
    pub others: Option<String>,
    pub workers_interviewed: i64,
    /// Symposium participants.
    pub participants: i64,
    pub composition: Composition,
    pub notes: Option<String>,
    pub enterprises: Vec<EnterpriseRef>,
    pub problem_count: i64,
    pub created_at: i64,
}

impl Activity {
    /// A symposium without frontline workers lacks the breadth the notice asks for.
    pub fn lacks_frontline(&self) -> bool {
        self.kind == ActivityKind::Symposium && self.composition.frontline_workers == 0
    }

    /// The enterprises' names joined with 、.
    pub fn enterprise_names(&self) -> String {
        self.enterprises
            .iter()
            .map(|e| e.name.as_str())
            .collect::<Vec<_>>()
            .join("、")
    }
}

/// An enterprise involved in an activity.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct EnterpriseRef {
    pub id: EnterpriseId,
    pub name: String,
    pub credit_code: String,
}

/// The most problems one activity record may carry (one visit or symposium
/// rarely hears more than a few dozen).
pub const MAX_PROBLEMS: usize = 100;

/// An activity as submitted (form or JSON), unparsed.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct ActivityInput {
    /// Generated by the client before the first save (8–64 letters, digits, - or _);
    /// saving again with the same id returns the first record instead of a second.
    #[serde(default, deserialize_with = "form::lenient")]
    pub client_id: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    pub campaign_id: Option<String>,
    /// A work group of the campaign (a stationing programme) that the caller
    /// may record for.
    #[serde(default, deserialize_with = "form::lenient")]
    pub work_group_id: Option<String>,
    /// The org recording it; defaults to the caller's own org.
    #[serde(default, deserialize_with = "form::lenient")]
    pub org_code: Option<String>,
    /// enterprise_visit, worker_interview, symposium, questionnaire,
    /// online_consultation, service or other.
    #[serde(default, deserialize_with = "form::lenient")]
    pub kind: Option<String>,
    /// Defaults to today.
    #[serde(default, deserialize_with = "form::lenient")]
    pub held_on: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    pub place: Option<String>,
    /// Enterprise ids or credit codes, separated by commas (a JSON list works too).
    #[serde(default, deserialize_with = "form::lenient")]
    pub enterprises: Option<String>,
    /// An enterprise not yet in the list, created on the spot: its name …
    #[serde(default, deserialize_with = "form::lenient")]
    pub new_enterprise_name: Option<String>,
    /// … and its credit code.
    #[serde(default, deserialize_with = "form::lenient")]
    pub new_enterprise_credit_code: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    pub cadres: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    pub others: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    pub workers_interviewed: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    pub participants: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    pub frontline_workers: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    pub women_workers: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    pub migrant_workers: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    pub new_form_workers: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    pub enterprise_side: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    pub union_cadres: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    pub notes: Option<String>,
    /// The problems heard, recorded with the activity.
    #[serde(default)]
    pub problems: Vec<ProblemInput>,
    /// Enterprise visits: visited enterprises without a union flagged "no union"
    /// or "wants a union"; saving opens their union-formation pipelines.
    #[serde(default)]
    pub union_flags: Vec<crate::formation::UnionFlagInput>,
}

/// An enterprise named by id or by credit code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EnterpriseKey {
    Id(EnterpriseId),
    Code(String),
}

/// The parsed fields of an activity.
#[derive(Clone, Debug)]
pub struct ActivityFields {
    pub client_id: String,
    pub campaign: Option<CampaignId>,
    pub work_group: Option<WorkGroupId>,
    pub org_code: Option<String>,
    pub kind: ActivityKind,
    pub held_on: Day,
    pub place: Option<String>,
    pub enterprises: Vec<EnterpriseKey>,
    pub new_enterprise: Option<crate::enterprise::EnterpriseInput>,
    pub cadres: String,
    pub others: Option<String>,
    pub workers_interviewed: i64,
    pub participants: i64,
    pub composition: Composition,
    pub notes: Option<String>,
    pub problems: Vec<ProblemFields>,
    pub union_flags: Vec<crate::formation::VisitFlag>,
}

/// At most this many people in one activity: larger numbers are typing mistakes.
const MAX_PEOPLE: i64 = 100_000;

/// Whether a client id is acceptable: 8–64 of letters, digits, `-` and `_`.
pub fn valid_client_id(s: &str) -> bool {
    (8..=64).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

impl ActivityInput {
    /// Parses every field and every non-blank problem block, reporting all errors.
    pub fn parse(&self, today: Day) -> Result<ActivityFields, AppError> {
        let mut errs = Errors::default();
        let client_id = match form::opt(&self.client_id) {
            Some(c) if valid_client_id(&c) => Some(c),
            Some(_) => {
                errs.push(FieldError::new("client_id", "err-client-id"));
                None
            }
            None => {
                errs.push(FieldError::new("client_id", "err-required"));
                None
            }
        };
        let campaign = errs
            .take(form::optional_int(
                "campaign_id",
                &self.campaign_id,
                1,
                i64::MAX,
            ))
            .flatten()
            .map(CampaignId);
        let work_group = errs
            .take(form::optional_int(
                "work_group_id",
                &self.work_group_id,
                1,
                i64::MAX,
            ))
            .flatten()
            .map(WorkGroupId);
        let kind = match form::opt(&self.kind) {
            None => {
                errs.push(FieldError::new("kind", "err-required"));
                None
            }
            Some(k) => {
                let p = ActivityKind::parse(&k);
                if p.is_none() {
                    errs.push(FieldError::new("kind", "err-activity-kind"));
                }
                p
            }
        };
        let held_on = errs
            .take(Day::parse_opt("held_on", &self.held_on))
            .flatten()
            .unwrap_or(today);
        if held_on > today {
            errs.push(FieldError::new("held_on", "err-future-date"));
        }
        let place = errs
            .take(form::optional("place", &self.place, 200))
            .flatten();
        let mut enterprises = Vec::new();
        if let Some(list) = form::opt(&self.enterprises) {
            for item in list
                .split([',', '，', '、', ';', '；', '\n', ' '])
                .map(str::trim)
                .filter(|s| !s.is_empty())
            {
                let key = match item.parse::<i64>() {
                    Ok(id) if item.len() < 18 => EnterpriseKey::Id(EnterpriseId(id)),
                    _ => EnterpriseKey::Code(item.to_ascii_uppercase()),
                };
                if !enterprises.contains(&key) {
                    enterprises.push(key);
                }
            }
        }
        if enterprises.len() > 50 {
            errs.push(FieldError::new("enterprises", "err-too-many").arg("max", 50));
        }
        let new_enterprise = match (
            form::opt(&self.new_enterprise_name),
            form::opt(&self.new_enterprise_credit_code),
        ) {
            (None, None) => None,
            (name, code) => Some(crate::enterprise::EnterpriseInput {
                name,
                credit_code: code,
                ..Default::default()
            }),
        };
        let cadres = errs
            .take(form::optional("cadres", &self.cadres, 200))
            .flatten()
            .unwrap_or_default();
        let others = errs
            .take(form::optional("others", &self.others, 500))
            .flatten();
        let mut count = |field: &str, v: &Option<String>| {
            errs.take(form::optional_int(field, v, 0, MAX_PEOPLE))
                .flatten()
                .unwrap_or(0)
        };
        let workers_interviewed = count("workers_interviewed", &self.workers_interviewed);
        let participants = count("participants", &self.participants);
        let composition = Composition {
            frontline_workers: count("frontline_workers", &self.frontline_workers),
            women_workers: count("women_workers", &self.women_workers),
            migrant_workers: count("migrant_workers", &self.migrant_workers),
            new_form_workers: count("new_form_workers", &self.new_form_workers),
            enterprise_side: count("enterprise_side", &self.enterprise_side),
            union_cadres: count("union_cadres", &self.union_cadres),
        };
        if kind == Some(ActivityKind::Symposium) && participants == 0 {
            errs.push(FieldError::new(
                "participants",
                "err-symposium-participants",
            ));
        }
        for (field, v) in Composition::FIELDS.iter().zip(composition.values()) {
            if v > participants {
                errs.push(FieldError::new(*field, "err-more-than-participants"));
            }
        }
        let notes = errs
            .take(form::optional("notes", &self.notes, 5000))
            .flatten();
        let mut problems = Vec::new();
        // One save is one transaction: a bounded number of problems keeps it
        // short (a POST with 10,000 problems was accepted and held the writer).
        if self.problems.len() > MAX_PROBLEMS {
            errs.push(
                FieldError::new("problems", "err-too-many-problems").arg("max", MAX_PROBLEMS),
            );
        }
        for (i, p) in self.problems.iter().take(MAX_PROBLEMS).enumerate() {
            if p.is_blank() {
                continue;
            }
            if let Some(f) = p.parse_into(&format!("p{}.", i + 1), &mut errs) {
                problems.push(f);
            }
        }
        let union_flags = crate::formation::parse_visit_flags(
            &self.union_flags,
            kind == Some(ActivityKind::EnterpriseVisit),
            &mut errs,
        );
        let org_code = form::opt(&self.org_code).map(|c| c.to_ascii_uppercase());
        errs.finish()?;
        match (client_id, kind) {
            (Some(client_id), Some(kind)) => Ok(ActivityFields {
                client_id,
                campaign,
                work_group,
                org_code,
                kind,
                held_on,
                place,
                enterprises,
                new_enterprise,
                cadres,
                others,
                workers_interviewed,
                participants,
                composition,
                notes,
                problems,
                union_flags,
            }),
            _ => Err(AppError::BadRequest("unparsed activity")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Day {
        Day::from_ymd(2019, 11, 1).unwrap()
    }

    fn visit() -> ActivityInput {
        ActivityInput {
            client_id: Some("a1b2c3d4e5".into()),
            kind: Some("enterprise_visit".into()),
            enterprises: Some("12, 91310110MA1G8XXXXX，12".into()),
            ..Default::default()
        }
    }

    fn keys(e: AppError) -> Vec<(String, &'static str)> {
        match e {
            AppError::Validation(fs) => fs.into_iter().map(|f| (f.field, f.key)).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_visit_defaults_to_today_and_dedups_enterprises() {
        let f = visit().parse(today()).unwrap();
        assert_eq!(f.held_on, today());
        assert_eq!(
            f.enterprises,
            [
                EnterpriseKey::Id(EnterpriseId(12)),
                EnterpriseKey::Code("91310110MA1G8XXXXX".into())
            ]
        );
        assert!(f.problems.is_empty());
    }

    #[test]
    fn a_symposium_needs_participants_and_consistent_composition() {
        let mut a = visit();
        a.kind = Some("symposium".into());
        assert_eq!(
            keys(a.parse(today()).unwrap_err()),
            [("participants".to_string(), "err-symposium-participants")]
        );
        a.participants = Some("12".into());
        a.women_workers = Some("13".into());
        assert_eq!(
            keys(a.parse(today()).unwrap_err()),
            [("women_workers".to_string(), "err-more-than-participants")]
        );
    }

    #[test]
    fn more_problems_than_one_record_may_carry_are_refused_naming_the_field() {
        let mut a = visit();
        a.problems = vec![
            ProblemInput {
                description: Some("食堂晚上不供餐".into()),
                source: Some("worker".into()),
                topic: Some("wages".into()),
                ..Default::default()
            };
            MAX_PROBLEMS + 1
        ];
        assert_eq!(
            keys(a.parse(today()).unwrap_err()),
            [("problems".to_string(), "err-too-many-problems")]
        );
        a.problems.truncate(MAX_PROBLEMS);
        assert_eq!(a.parse(today()).unwrap().problems.len(), MAX_PROBLEMS);
    }

    #[test]
    fn bad_ids_dates_and_problem_blocks_are_all_reported() {
        let mut a = visit();
        a.client_id = Some("x".into());
        a.held_on = Some("2019-11-02".into());
        a.problems = vec![
            ProblemInput::default(),
            ProblemInput {
                description: Some("食堂晚上不供餐".into()),
                ..Default::default()
            },
        ];
        assert_eq!(
            keys(a.parse(today()).unwrap_err()),
            [
                ("client_id".to_string(), "err-client-id"),
                ("held_on".to_string(), "err-future-date"),
                ("p2.source".to_string(), "err-required"),
            ]
        );
    }

    #[test]
    fn client_ids_are_bounded_and_plain() {
        assert!(valid_client_id("0b4f0c2e-8d1a-4c6e-9a7b-2f3e4d5c6b7a"));
        assert!(!valid_client_id("short"));
        assert!(!valid_client_id("has space in it"));
        assert!(!valid_client_id(&"x".repeat(65)));
    }
}
