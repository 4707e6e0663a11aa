//! Problems and suggestions (问题和意见建议): what workers, enterprises and
//! grassroots unions raise, who owns each now, its lifecycle and timeline, and
//! the feedback given to whoever raised it.
//!
//! A problem is recorded by an org (`org_id`, never changes) and owned by an
//! org (`owner_org_id`) that must decide it; escalation moves ownership to an
//! ancestor. Every org that has owned it keeps read access (`problem_orgs`).

pub mod http;
pub mod lifecycle;
pub mod public;
pub mod store;
pub mod topics;

use serde::{Deserialize, Serialize};

use self::lifecycle::{Outcome, OutcomeError, State};
use crate::{
    date::Day,
    db::{ActivityId, CampaignId, EnterpriseId, OrgId, ProblemId, TopicId, UserId},
    enterprise::WorkerGroup,
    error::{AppError, FieldError},
    org::mask_phone,
    web::form::{self, Errors},
};

/// Who raised a problem: the three blocks of the summary table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// 职工.
    Worker,
    /// 企事业单位.
    Enterprise,
    /// 基层工会.
    Union,
}

impl Source {
    /// The three sources in the order of the summary table.
    pub const ALL: [Source; 3] = [Source::Worker, Source::Enterprise, Source::Union];

    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Worker => "worker",
            Source::Enterprise => "enterprise",
            Source::Union => "union",
        }
    }

    /// Parses the stored spelling or the Chinese name.
    pub fn parse(s: &str) -> Option<Source> {
        match s.trim() {
            "worker" | "职工" => Some(Source::Worker),
            "enterprise" | "企业" | "企事业单位" => Some(Source::Enterprise),
            "union" | "基层工会" => Some(Source::Union),
            _ => None,
        }
    }

    /// The catalogue key of its label.
    pub fn label_key(self) -> String {
        format!("source-{}", self.as_str())
    }
}

/// An entry of the topic list.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct Topic {
    pub id: TopicId,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    #[serde(skip)]
    pub active: i64,
}

impl Topic {
    /// The name in the reader's language.
    pub fn name(&self, lang: impl std::borrow::Borrow<crate::i18n::Lang>) -> &str {
        match lang.borrow() {
            crate::i18n::Lang::Zh => &self.name_zh,
            crate::i18n::Lang::En => &self.name_en,
        }
    }
}

/// A stored problem as readers see it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    pub id: ProblemId,
    /// The org that recorded it.
    pub org_id: OrgId,
    pub org_name: String,
    /// The org that decides it now.
    pub owner_org_id: OrgId,
    pub owner_org_name: String,
    pub campaign_id: Option<CampaignId>,
    pub campaign_title: Option<String>,
    pub activity_id: Option<ActivityId>,
    pub enterprise_id: Option<EnterpriseId>,
    pub enterprise_name: Option<String>,
    pub source: Source,
    pub topic_id: TopicId,
    pub topic_zh: String,
    pub topic_en: String,
    pub worker_group: Option<WorkerGroup>,
    pub description: String,
    pub raiser_name: Option<String>,
    /// Masked in lists and for viewers.
    pub raiser_contact: Option<String>,
    /// Marked as a main problem for the summary table.
    pub is_main: bool,
    #[schema(value_type = Object)]
    pub state: State,
    /// Whether it was ever passed up from the org that recorded it.
    pub escalated: bool,
    /// A deadline or planned date passed unsolved.
    pub overdue: bool,
    /// Raised through the public page.
    pub public_intake: bool,
    /// The code whoever raised it uses to follow it on the public receipt page.
    pub receipt_code: Option<String>,
    /// The cadre assigned to follow it up.
    pub assignee_id: Option<UserId>,
    pub assignee_name: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Problem {
    /// The copy shown to readers who do not need the raiser's contact.
    pub fn masked(mut self) -> Self {
        self.raiser_contact = self.raiser_contact.map(|c| mask_contact(&c));
        self.raiser_name = self.raiser_name.map(|n| mask_name(&n));
        self
    }

    /// The topic in the reader's language.
    pub fn topic(&self, lang: impl std::borrow::Borrow<crate::i18n::Lang>) -> &str {
        match lang.borrow() {
            crate::i18n::Lang::Zh => &self.topic_zh,
            crate::i18n::Lang::En => &self.topic_en,
        }
    }

    /// A one-line excerpt of the description for lists.
    pub fn excerpt(&self) -> String {
        let mut s: String = self.description.chars().take(60).collect();
        if self.description.chars().count() > 60 {
            s.push('…');
        }
        s
    }
}

/// Masks a phone number or other contact: keeps the ends, hides the middle.
pub fn mask_contact(c: &str) -> String {
    mask_phone(c)
}

/// Masks a personal name: 张三丰 → 张**.
pub fn mask_name(n: &str) -> String {
    let mut chars = n.chars();
    match chars.next() {
        Some(first) => format!("{first}{}", "*".repeat(chars.count().clamp(1, 2))),
        None => String::new(),
    }
}

/// A problem as submitted, unparsed (form fields, JSON, or one block of the
/// activity form).
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct ProblemInput {
    /// worker, enterprise or union.
    #[serde(default, deserialize_with = "form::lenient")]
    pub source: Option<String>,
    /// A topic code (wages, organisation, safety, social_security, ideology, stability, other).
    #[serde(default, deserialize_with = "form::lenient")]
    pub topic: Option<String>,
    /// truck_driver, ride_hailing, courier, food_delivery, other; empty for none.
    #[serde(default, deserialize_with = "form::lenient")]
    pub worker_group: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    pub raiser_name: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    pub raiser_contact: Option<String>,
    /// yes/no: a main problem for the summary table.
    #[serde(default, deserialize_with = "form::lenient")]
    pub is_main: Option<String>,
    /// Id of the enterprise it concerns (optional).
    #[serde(default, deserialize_with = "form::lenient")]
    pub enterprise_id: Option<String>,
}

/// The parsed fields of a new problem.
#[derive(Clone, Debug, PartialEq)]
pub struct ProblemFields {
    pub source: Source,
    pub topic_code: String,
    pub worker_group: Option<WorkerGroup>,
    pub description: String,
    pub raiser_name: Option<String>,
    pub raiser_contact: Option<String>,
    pub is_main: bool,
    pub enterprise_id: Option<EnterpriseId>,
}

impl ProblemInput {
    /// Whether nothing was typed (an empty block of the activity form).
    pub fn is_blank(&self) -> bool {
        form::opt(&self.description).is_none()
            && form::opt(&self.raiser_name).is_none()
            && form::opt(&self.raiser_contact).is_none()
    }

    /// Parses every field; errors name `prefix` + the field (e.g. `p1.description`).
    pub fn parse_into(&self, prefix: &str, errs: &mut Errors) -> Option<ProblemFields> {
        let f = |name: &str| format!("{prefix}{name}");
        let source = match form::opt(&self.source) {
            None => {
                errs.push(FieldError::new(f("source"), "err-required"));
                None
            }
            Some(s) => {
                let parsed = Source::parse(&s);
                if parsed.is_none() {
                    errs.push(FieldError::new(f("source"), "err-source"));
                }
                parsed
            }
        };
        let topic_code = form::opt(&self.topic).unwrap_or_else(|| "other".into());
        let worker_group = match form::opt(&self.worker_group) {
            None => None,
            Some(g) => {
                let parsed = WorkerGroup::parse(&g);
                if parsed.is_none() {
                    errs.push(FieldError::new(f("worker_group"), "err-group").arg("value", g));
                }
                parsed
            }
        };
        let description = errs.take(form::required(&f("description"), &self.description, 2000));
        let raiser_name = errs
            .take(form::optional(&f("raiser_name"), &self.raiser_name, 50))
            .flatten();
        let raiser_contact = errs
            .take(form::optional(
                &f("raiser_contact"),
                &self.raiser_contact,
                50,
            ))
            .flatten();
        let is_main = match form::flag(&self.is_main) {
            Ok(b) => b,
            Err(_) => {
                errs.push(FieldError::new(f("is_main"), "err-flag"));
                false
            }
        };
        let enterprise_id = errs
            .take(form::optional_int(
                &f("enterprise_id"),
                &self.enterprise_id,
                1,
                i64::MAX,
            ))
            .flatten()
            .map(EnterpriseId);
        Some(ProblemFields {
            source: source?,
            topic_code,
            worker_group,
            description: description?,
            raiser_name,
            raiser_contact,
            is_main,
            enterprise_id,
        })
    }

    /// Parses a standalone problem.
    pub fn parse(&self) -> Result<ProblemFields, AppError> {
        let mut errs = Errors::default();
        let f = self.parse_into("", &mut errs);
        errs.finish()?;
        f.ok_or(AppError::BadRequest("unparsed problem"))
    }
}

/// A decision, escalation, return, reopening or closing as submitted.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct TransitionInput {
    /// decide, escalate, return, reopen or close.
    #[serde(default, deserialize_with = "form::lenient")]
    pub action: Option<String>,
    /// For decide: solved, in_progress, planned or reference.
    #[serde(default, deserialize_with = "form::lenient")]
    pub outcome: Option<String>,
    /// For decide: the date solved, the completion deadline, or the planned date.
    #[serde(default, deserialize_with = "form::lenient")]
    pub outcome_on: Option<String>,
    /// For decide: what was done (required when solved) or how.
    #[serde(default, deserialize_with = "form::lenient")]
    pub outcome_note: Option<String>,
    /// For escalate: the id of the ancestor org.
    #[serde(default, deserialize_with = "form::lenient")]
    pub to_org: Option<String>,
    /// For escalate, return and reopen.
    #[serde(default, deserialize_with = "form::lenient")]
    pub reason: Option<String>,
}

impl TransitionInput {
    /// Parses into a lifecycle action; every bad field reported.
    pub fn parse(&self) -> Result<lifecycle::Action, AppError> {
        use lifecycle::Action;
        let mut errs = Errors::default();
        let reason = || form::opt(&self.reason);
        let need_reason = |errs: &mut Errors| {
            let r = reason();
            if r.is_none() {
                errs.push(FieldError::new("reason", "err-required"));
            }
            r.unwrap_or_default()
        };
        let action = match form::opt(&self.action).as_deref() {
            Some("decide") => {
                let day = errs
                    .take(Day::parse_opt("outcome_on", &self.outcome_on))
                    .flatten();
                let note = errs
                    .take(form::optional("outcome_note", &self.outcome_note, 2000))
                    .flatten();
                match form::opt(&self.outcome) {
                    None => {
                        errs.push(FieldError::new("outcome", "err-required"));
                        None
                    }
                    Some(code) => match Outcome::build(&code, day, note) {
                        Ok(o) => Some(Action::Decide(o)),
                        Err(OutcomeError::Unknown) => {
                            errs.push(FieldError::new("outcome", "err-outcome"));
                            None
                        }
                        Err(OutcomeError::DateRequired) => {
                            let key = match code.as_str() {
                                "in_progress" => "err-deadline-required",
                                "planned" => "err-planned-required",
                                _ => "err-required",
                            };
                            // A date that failed to parse was already reported.
                            if form::opt(&self.outcome_on).is_none() {
                                errs.push(FieldError::new("outcome_on", key));
                            }
                            None
                        }
                        Err(OutcomeError::NoteRequired) => {
                            errs.push(FieldError::new("outcome_note", "err-solved-note"));
                            None
                        }
                    },
                }
            }
            Some("escalate") => {
                let to = errs
                    .take(form::optional_int("to_org", &self.to_org, 1, i64::MAX))
                    .flatten();
                if to.is_none() && form::opt(&self.to_org).is_none() {
                    errs.push(FieldError::new("to_org", "err-required"));
                }
                let reason = need_reason(&mut errs);
                to.map(|to| Action::Escalate {
                    to: OrgId(to),
                    reason,
                })
            }
            Some("return") => Some(Action::Return {
                reason: need_reason(&mut errs),
            }),
            Some("reopen") => Some(Action::Reopen {
                reason: need_reason(&mut errs),
            }),
            Some("close") => Some(Action::Close),
            Some(_) => {
                errs.push(FieldError::new("action", "err-action"));
                None
            }
            None => {
                errs.push(FieldError::new("action", "err-required"));
                None
            }
        };
        errs.finish()?;
        action.ok_or(AppError::BadRequest("unparsed action"))
    }
}

/// How the raiser was told what became of the problem.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    InPerson,
    Phone,
    Sms,
    Wechat,
    Letter,
}

impl Channel {
    /// Every channel.
    pub const ALL: [Channel; 5] = [
        Channel::InPerson,
        Channel::Phone,
        Channel::Sms,
        Channel::Wechat,
        Channel::Letter,
    ];

    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::InPerson => "in_person",
            Channel::Phone => "phone",
            Channel::Sms => "sms",
            Channel::Wechat => "wechat",
            Channel::Letter => "letter",
        }
    }

    /// Parses the stored spelling.
    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s.trim())
    }

    /// The catalogue key of its label.
    pub fn label_key(self) -> String {
        format!("channel-{}", self.as_str())
    }
}

/// How satisfied the raiser said they were.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Satisfaction {
    Satisfied,
    Basically,
    Unsatisfied,
}

impl Satisfaction {
    /// Every answer.
    pub const ALL: [Satisfaction; 3] = [
        Satisfaction::Satisfied,
        Satisfaction::Basically,
        Satisfaction::Unsatisfied,
    ];

    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Satisfaction::Satisfied => "satisfied",
            Satisfaction::Basically => "basically",
            Satisfaction::Unsatisfied => "unsatisfied",
        }
    }

    /// Parses the stored spelling.
    pub fn parse(s: &str) -> Option<Satisfaction> {
        Satisfaction::ALL
            .into_iter()
            .find(|c| c.as_str() == s.trim())
    }

    /// The catalogue key of its label.
    pub fn label_key(self) -> String {
        format!("satisfaction-{}", self.as_str())
    }
}

/// Feedback as submitted.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct FeedbackInput {
    /// in_person, phone, sms, wechat or letter.
    #[serde(default, deserialize_with = "form::lenient")]
    pub channel: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    pub body: Option<String>,
    /// Defaults to today.
    #[serde(default, deserialize_with = "form::lenient")]
    pub given_on: Option<String>,
    /// satisfied, basically or unsatisfied (optional).
    #[serde(default, deserialize_with = "form::lenient")]
    pub satisfaction: Option<String>,
}

/// Parsed feedback.
#[derive(Clone, Debug, PartialEq)]
pub struct FeedbackFields {
    pub channel: Channel,
    pub body: String,
    pub given_on: Day,
    pub satisfaction: Option<Satisfaction>,
}

impl FeedbackInput {
    /// Parses every field.
    pub fn parse(&self) -> Result<FeedbackFields, AppError> {
        let mut errs = Errors::default();
        let channel = match form::opt(&self.channel) {
            None => {
                errs.push(FieldError::new("channel", "err-required"));
                None
            }
            Some(c) => {
                let p = Channel::parse(&c);
                if p.is_none() {
                    errs.push(FieldError::new("channel", "err-channel"));
                }
                p
            }
        };
        let body = errs.take(form::required("body", &self.body, 2000));
        let given_on = errs
            .take(Day::parse_opt("given_on", &self.given_on))
            .flatten()
            .unwrap_or_else(Day::today);
        if given_on > Day::today() {
            errs.push(FieldError::new("given_on", "err-future-date"));
        }
        let satisfaction = match form::opt(&self.satisfaction) {
            None => None,
            Some(s) => {
                let p = Satisfaction::parse(&s);
                if p.is_none() {
                    errs.push(FieldError::new("satisfaction", "err-satisfaction"));
                }
                p
            }
        };
        errs.finish()?;
        match (channel, body) {
            (Some(channel), Some(body)) => Ok(FeedbackFields {
                channel,
                body,
                given_on,
                satisfaction,
            }),
            _ => Err(AppError::BadRequest("unparsed feedback")),
        }
    }
}

/// One entry of a problem's timeline.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema, sqlx::FromRow)]
#[schema(as = ProblemEvent)]
pub struct Event {
    pub kind: String,
    pub actor: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub from_org_name: Option<String>,
    pub to_org_name: Option<String>,
    pub reason: Option<String>,
    pub created_at: i64,
}

/// One feedback given to the raiser.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Feedback {
    pub actor: String,
    pub channel: Channel,
    pub body: String,
    pub given_on: Day,
    pub satisfaction: Option<Satisfaction>,
    pub created_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decide(outcome: &str, on: &str, note: &str) -> TransitionInput {
        TransitionInput {
            action: Some("decide".into()),
            outcome: Some(outcome.into()),
            outcome_on: Some(on.into()),
            outcome_note: Some(note.into()),
            ..Default::default()
        }
    }

    fn fields_of(e: AppError) -> Vec<(String, &'static str)> {
        match e {
            AppError::Validation(fs) => fs.into_iter().map(|f| (f.field, f.key)).collect(),
            other => panic!("not a validation error: {other:?}"),
        }
    }

    #[test]
    fn in_progress_needs_a_deadline_and_solved_needs_what_was_done() {
        assert_eq!(
            fields_of(decide("in_progress", "", "").parse().unwrap_err()),
            [("outcome_on".to_string(), "err-deadline-required")]
        );
        assert_eq!(
            fields_of(decide("planned", "", "").parse().unwrap_err()),
            [("outcome_on".to_string(), "err-planned-required")]
        );
        assert_eq!(
            fields_of(decide("solved", "2019-11-02", "").parse().unwrap_err()),
            [("outcome_note".to_string(), "err-solved-note")]
        );
        assert_eq!(
            fields_of(decide("in_progress", "2019-13-01", "").parse().unwrap_err()),
            [("outcome_on".to_string(), "err-date")]
        );
        assert!(decide("reference", "", "").parse().is_ok());
    }

    #[test]
    fn escalation_needs_a_target_and_a_reason() {
        let t = TransitionInput {
            action: Some("escalate".into()),
            ..Default::default()
        };
        assert_eq!(
            fields_of(t.parse().unwrap_err()),
            [
                ("to_org".to_string(), "err-required"),
                ("reason".to_string(), "err-required")
            ]
        );
    }

    #[test]
    fn a_problem_block_reports_its_own_fields() {
        let p = ProblemInput {
            source: Some("boss".into()),
            description: Some(" ".into()),
            ..Default::default()
        };
        let mut errs = Errors::default();
        assert!(p.parse_into("p2.", &mut errs).is_none());
        let got: Vec<_> = errs.0.iter().map(|e| (e.field.as_str(), e.key)).collect();
        assert_eq!(
            got,
            [
                ("p2.source", "err-source"),
                ("p2.description", "err-required")
            ]
        );
    }

    #[test]
    fn names_and_contacts_are_masked() {
        assert_eq!(mask_name("张三丰"), "张**");
        assert_eq!(mask_name("李"), "李*");
        assert_eq!(mask_contact("13812345678"), "138****5678");
    }
}
