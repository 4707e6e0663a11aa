//! Problems and suggestions (问题和意见建议): what workers, enterprises and
//! grassroots unions raise, who owns each now, its lifecycle and timeline, and
//! the feedback given to whoever raised it.
//!
//! A problem is recorded by an org (`org_id`, never changes) and owned by an
//! org (`owner_org_id`) that must decide it; escalation moves ownership to an
//! ancestor. Every org that has owned it keeps read access (`problem_orgs`).

pub mod api;
pub mod lifecycle;
pub mod ops;
pub mod pages;
pub mod store;

use serde::{Deserialize, Serialize};

use self::lifecycle::{LifecycleError, Outcome, OutcomeError, OutcomeKind, State};
use crate::{
    auth::{Caller, Need},
    date::Day,
    db::{ActivityId, CampaignId, EnterpriseId, OrgId, ProblemId, TopicId, UserId, code_enum},
    enterprise::WorkerGroup,
    error::{AppError, AppResult, FieldError},
    org::mask_phone,
    web::{
        form::{self, Errors},
        list::{self, PageSize, Paging},
    },
};

/// The field error of a value that is none of an enum's codes: the message
/// lists the codes the API reads and writes.
pub fn bad_code(field: impl Into<String>, key: &'static str, allowed: &[&str]) -> FieldError {
    FieldError::new(field, key).arg("allowed", allowed.join(", "))
}

code_enum! {
    /// Who raised a problem: the three blocks of the summary table.
    pub enum Source: "source" {
        /// 职工.
        Worker = "worker",
        /// 企事业单位.
        Enterprise = "enterprise",
        /// 基层工会.
        Union = "union",
    }
}

impl Source {
    /// Parses the stored code or the Chinese name.
    pub fn parse(s: &str) -> Option<Source> {
        match s.trim() {
            "职工" => Some(Source::Worker),
            "企业" | "企事业单位" => Some(Source::Enterprise),
            "基层工会" => Some(Source::Union),
            s => Source::from_code(s),
        }
    }
}

code_enum! {
    /// Where a problem stands, as lists, filters, timelines and receipts name
    /// it: open, one of the four outcomes, or closed.
    pub enum ProblemStatus: "status" {
        /// Waiting for its owner to decide.
        Open = "open",
        /// 已经解决或采纳.
        Solved = "solved",
        /// 正在解决.
        InProgress = "in_progress",
        /// 计划解决.
        Planned = "planned",
        /// 留作参考.
        Reference = "reference",
        /// Closed after feedback.
        Closed = "closed",
    }
}

code_enum! {
    /// What happened to a problem: one entry of its timeline.
    pub enum EventKind: "event" {
        /// Recorded.
        Created = "created",
        /// An outcome decided (or changed).
        Decided = "decided",
        /// Passed up to an ancestor org.
        Escalated = "escalated",
        /// Sent back down to the org that passed it up.
        Returned = "returned",
        /// Opened again.
        Reopened = "reopened",
        /// Closed after feedback.
        Closed = "closed",
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
    #[schema(value_type = lifecycle::ProblemState)]
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
    #[schema(value_type = Option<Source>, example = "worker")]
    pub source: Option<String>,
    /// A topic code (wages, organisation, safety, social_security, ideology, stability, other).
    #[serde(default, deserialize_with = "form::lenient")]
    pub topic: Option<String>,
    /// truck_driver, ride_hailing, courier, food_delivery, other; empty for none.
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(value_type = Option<WorkerGroup>)]
    pub worker_group: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(example = "食堂晚班不供餐，夜班职工吃饭难")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    pub raiser_name: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    pub raiser_contact: Option<String>,
    /// A main problem for the summary table.
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(value_type = Option<bool>)]
    pub is_main: Option<String>,
    /// Id of the enterprise it concerns (optional).
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(value_type = Option<i64>)]
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
                    errs.push(bad_code(f("source"), "err-source", &Source::CODES));
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
    #[schema(value_type = Option<ProblemAction>, example = "decide")]
    pub action: Option<String>,
    /// For decide: solved, in_progress, planned or reference.
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(value_type = Option<OutcomeKind>, example = "in_progress")]
    pub outcome: Option<String>,
    /// For decide: the date solved, the completion deadline, or the planned date.
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(value_type = Option<Day>, example = "2019-12-31")]
    pub outcome_on: Option<String>,
    /// For decide: what was done (required when solved) or how.
    #[serde(default, deserialize_with = "form::lenient")]
    pub outcome_note: Option<String>,
    /// For escalate: the id of the ancestor org.
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(value_type = Option<i64>)]
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
        let action = match form::opt(&self.action)
            .as_deref()
            .map(ProblemAction::from_code)
        {
            Some(Some(ProblemAction::Decide)) => {
                let day = errs
                    .take(Day::parse_opt("outcome_on", &self.outcome_on))
                    .flatten();
                let note = errs
                    .take(form::optional("outcome_note", &self.outcome_note, 2000))
                    .flatten();
                match form::opt(&self.outcome).map(|c| c.parse::<OutcomeKind>()) {
                    None => {
                        errs.push(FieldError::new("outcome", "err-required"));
                        None
                    }
                    Some(Err(e)) => {
                        errs.push(e.field("outcome", "err-outcome"));
                        None
                    }
                    Some(Ok(kind)) => match Outcome::build(kind, day, note) {
                        Ok(o) => Some(Action::Decide(o)),
                        Err(OutcomeError::DateRequired) => {
                            let key = match kind {
                                OutcomeKind::InProgress => "err-deadline-required",
                                OutcomeKind::Planned => "err-planned-required",
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
            Some(Some(ProblemAction::Escalate)) => {
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
            Some(Some(ProblemAction::Return)) => Some(Action::Return {
                reason: need_reason(&mut errs),
            }),
            Some(Some(ProblemAction::Reopen)) => Some(Action::Reopen {
                reason: need_reason(&mut errs),
            }),
            Some(Some(ProblemAction::Close)) => Some(Action::Close),
            Some(None) => {
                errs.push(bad_code("action", "err-action", &ProblemAction::CODES));
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

code_enum! {
    /// How the raiser was told what became of the problem.
    pub enum Channel: "channel" {
        InPerson = "in_person",
        Phone = "phone",
        Sms = "sms",
        Wechat = "wechat",
        Letter = "letter",
    }
}

code_enum! {
    /// How satisfied the raiser said they were.
    pub enum Satisfaction: "satisfaction" {
        Satisfied = "satisfied",
        Basically = "basically",
        Unsatisfied = "unsatisfied",
    }
}

/// Feedback as submitted.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct FeedbackInput {
    /// in_person, phone, sms, wechat or letter.
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(value_type = Option<Channel>, example = "phone")]
    pub channel: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(example = "已电话告知职工食堂延长供餐时间")]
    pub body: Option<String>,
    /// Defaults to today.
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(value_type = Option<Day>)]
    pub given_on: Option<String>,
    /// satisfied, basically or unsatisfied (optional).
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(value_type = Option<Satisfaction>)]
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
                let p = c.parse::<Channel>();
                if let Err(e) = &p {
                    errs.push(e.field("channel", "err-channel"));
                }
                p.ok()
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
                let p = s.parse::<Satisfaction>();
                if let Err(e) = &p {
                    errs.push(e.field("satisfaction", "err-satisfaction"));
                }
                p.ok()
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
    pub kind: EventKind,
    pub actor: String,
    pub from_state: Option<ProblemStatus>,
    pub to_state: ProblemStatus,
    pub from_org_name: Option<String>,
    pub to_org_name: Option<String>,
    pub reason: Option<String>,
    pub created_at: i64,
}

/// One feedback given to the raiser.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct Feedback {
    pub actor: String,
    pub channel: Channel,
    pub body: String,
    pub given_on: Day,
    pub satisfaction: Option<Satisfaction>,
    pub created_at: i64,
}

code_enum! {
    /// What a cadre does to a problem (`POST …/transition`).
    pub enum ProblemAction: "prob-action" {
        /// Record (or change) the outcome.
        Decide = "decide",
        /// Pass it to an ancestor of the owner.
        Escalate = "escalate",
        /// Send it back to the org that passed it up.
        Return = "return",
        /// Open a finished problem again.
        Reopen = "reopen",
        /// Close a finished problem.
        Close = "close",
    }
}

/// A refused transition becomes a validation error naming the field at fault.
pub fn refusal(e: LifecycleError) -> AppError {
    match e {
        LifecycleError::NotAllowed => AppError::field("action", "err-transition-not-allowed"),
        LifecycleError::ReasonRequired => AppError::field("reason", "err-required"),
        LifecycleError::NotAnAncestor => AppError::field("to_org", "err-not-ancestor"),
        LifecycleError::NothingToReturn => AppError::field("action", "err-nothing-to-return"),
    }
}

/// Thirty problems a page, in the lists and the API.
pub const PAGE_SIZE: PageSize = PageSize::fixed(30);

/// Query of the list pages, the list API and the exports.
#[derive(Deserialize, Default, Debug, Clone, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    #[param(value_type = Option<i64>)]
    pub campaign: Option<String>,
    /// Recorded in this org's subtree.
    #[param(value_type = Option<i64>)]
    pub org: Option<String>,
    /// worker, enterprise or union.
    #[param(value_type = Option<Source>)]
    pub source: Option<String>,
    /// A topic code.
    pub topic: Option<String>,
    /// A worker group.
    #[param(value_type = Option<WorkerGroup>)]
    pub group: Option<String>,
    /// open, solved, in_progress, planned, reference or closed.
    #[param(value_type = Option<ProblemStatus>)]
    pub status: Option<String>,
    /// yes: only overdue ones.
    #[param(value_type = Option<bool>)]
    pub overdue: Option<String>,
    /// yes: only those escalated to (and now owned by) an org where I hold a role.
    #[param(value_type = Option<bool>)]
    pub escalated_to_me: Option<String>,
    /// yes: only main problems.
    #[param(value_type = Option<bool>)]
    pub main: Option<String>,
    #[param(value_type = Option<i64>)]
    pub activity: Option<String>,
    /// Text in the description or the enterprise's name (two characters are enough).
    pub q: Option<String>,
    /// new (default), old, due (nearest deadline first) or updated.
    #[param(value_type = Option<store::Sort>)]
    pub sort: Option<String>,
    #[param(value_type = Option<i64>)]
    pub page: Option<String>,
    /// Shown after a bulk action: how many changed.
    #[param(ignore)]
    pub updated: Option<String>,
    /// Shown after a bulk action: how many were not the caller's to change.
    #[param(ignore)]
    pub skipped: Option<String>,
}

fn yes(field: &str, v: &Option<String>, errs: &mut Errors) -> bool {
    match form::flag(v) {
        Ok(b) => b,
        Err(_) => {
            errs.push(FieldError::new(field, "err-flag"));
            false
        }
    }
}

impl ListParams {
    /// The filter and the page asked for, every bad field reported.
    pub fn parse(&self, caller: &Caller) -> AppResult<(store::ProblemFilter, Paging)> {
        let mut errs = Errors::default();
        let id = |errs: &mut Errors, field: &str, v: &Option<String>| {
            errs.take(form::optional_int(field, v, 1, i64::MAX))
                .flatten()
        };
        let campaign = id(&mut errs, "campaign", &self.campaign).map(CampaignId);
        let org = id(&mut errs, "org", &self.org).map(OrgId);
        let activity = id(&mut errs, "activity", &self.activity).map(ActivityId);
        let source = form::opt(&self.source).and_then(|s| {
            let p = Source::parse(&s);
            if p.is_none() {
                errs.push(bad_code("source", "err-source", &Source::CODES));
            }
            p
        });
        let group = form::opt(&self.group).and_then(|g| {
            let p = WorkerGroup::parse(&g);
            if p.is_none() {
                errs.push(FieldError::new("group", "err-group").arg("value", g));
            }
            p
        });
        let status = form::opt(&self.status).and_then(|s| match s.parse::<ProblemStatus>() {
            Ok(s) => Some(s),
            Err(e) => {
                errs.push(e.field("status", "err-problem-status"));
                None
            }
        });
        let overdue = yes("overdue", &self.overdue, &mut errs);
        let mine = yes("escalated_to_me", &self.escalated_to_me, &mut errs);
        let main = yes("main", &self.main, &mut errs);
        let sort = match form::opt(&self.sort) {
            None => store::Sort::default(),
            Some(s) => s.parse().unwrap_or_else(|e: crate::db::CodeError| {
                errs.push(e.field("sort", "err-sort"));
                store::Sort::default()
            }),
        };
        let paging = Paging::read(&mut errs, &self.page, &None, PAGE_SIZE);
        errs.finish()?;
        Ok((
            store::ProblemFilter {
                campaign,
                org,
                source,
                topic: form::opt(&self.topic),
                group,
                status,
                overdue,
                escalated_to: mine.then(|| caller.scope(Need::Read).roots().to_vec()),
                owned_in_scope: false,
                main,
                activity,
                q: form::opt(&self.q),
                sort,
            },
            paging,
        ))
    }

    /// The filters as a query string, for the page's address and its pager.
    pub fn query(&self) -> String {
        list::query(&[
            ("campaign", &self.campaign),
            ("org", &self.org),
            ("source", &self.source),
            ("topic", &self.topic),
            ("group", &self.group),
            ("status", &self.status),
            ("overdue", &self.overdue),
            ("escalated_to_me", &self.escalated_to_me),
            ("main", &self.main),
            ("activity", &self.activity),
            ("q", &self.q),
            ("sort", &self.sort),
        ])
    }
}

/// A page of problems.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ProblemPage {
    pub items: Vec<Problem>,
    pub total: i64,
    pub page: i64,
    pub page_size: i64,
}

/// A standalone problem (not heard at an activity) as the API takes it.
#[derive(Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"client_id": "prob-20191105-0001", "campaign_id": 1, "source": "worker",
    "topic": "wages", "description": "夜班补贴三个月未发", "is_main": true}))]
pub struct NewProblem {
    /// Generated by the client; a retry with the same id returns the first record.
    pub client_id: String,
    /// The recording org's code; defaults to the caller's own org.
    pub org_code: Option<String>,
    pub campaign_id: Option<i64>,
    #[serde(flatten)]
    pub problem: ProblemInput,
}

/// One problem with its timeline and feedback.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ProblemDetail {
    #[serde(flatten)]
    pub problem: Problem,
    pub events: Vec<Event>,
    pub feedback: Vec<Feedback>,
    /// Whether the caller may decide, escalate, return, reopen or close it.
    pub can_act: bool,
    /// The questionnaire answer it was made from ("转为问题"), if it was.
    pub survey_response: Option<crate::survey::analysis::store::ProblemSource>,
    /// The mediation case made from it ("转为调解案件"), if the caller sees one.
    #[schema(value_type = Option<i64>)]
    pub mediation_case: Option<crate::db::MediationCaseId>,
}

/// Whether a problem is one of the unit's main problems.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct MainInput {
    pub main: bool,
}

code_enum! {
    /// A change to many problems at once.
    pub enum BulkAction: "prob-bulk" {
        /// Set the topic (with `topic`).
        Topic = "topic",
        /// Mark as main problems.
        Main = "main",
        /// Unmark as main problems.
        Unmain = "unmain",
        /// Assign a cadre (with `assignee`, a username).
        Assign = "assign",
    }
}

/// A change to many problems: `topic` (with `topic`), `main`, `unmain`, or
/// `assign` (with `assignee`, a username).
#[derive(Deserialize, Default, Debug, utoipa::ToSchema)]
#[schema(example = json!({"ids": [12, 13], "action": "topic", "topic": "wages"}))]
pub struct BulkInput {
    pub ids: Vec<i64>,
    #[schema(value_type = Option<BulkAction>)]
    pub action: Option<String>,
    pub topic: Option<String>,
    pub assignee: Option<String>,
}

/// How many problems changed, and how many were left alone because the
/// caller does not own them.
#[derive(Serialize, utoipa::ToSchema)]
pub struct BulkResult {
    pub updated: u64,
    pub skipped: u64,
}

/// A topic with everything an editor sees.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct TopicRow {
    pub id: TopicId,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub display_order: i64,
    #[schema(value_type = bool)]
    #[serde(serialize_with = "int_as_bool")]
    pub active: i64,
    /// How many problems use it.
    pub problems: i64,
}

/// A topic as submitted.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"code": "housing", "name_zh": "住房保障", "name_en": "Housing", "display_order": 70}))]
pub struct TopicInput {
    /// Letters, digits and `_` (new topics only; codes never change).
    #[serde(default, deserialize_with = "form::lenient")]
    pub code: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    pub name_zh: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    pub name_en: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(value_type = Option<i64>)]
    pub display_order: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(value_type = Option<bool>)]
    pub active: Option<String>,
}

/// A stored 0/1 flag written as the JSON boolean the document promises.
fn int_as_bool<S: serde::Serializer>(v: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_bool(*v != 0)
}

/// The parsed fields of a topic.
pub struct TopicFields {
    pub name_zh: String,
    pub name_en: String,
    pub display_order: i64,
    pub active: bool,
}

impl TopicInput {
    /// The names, order and whether active; every bad field reported in `errs`.
    pub fn parse(&self, errs: &mut Errors) -> Option<TopicFields> {
        let name_zh = errs.take(form::required("name_zh", &self.name_zh, 30));
        let name_en = errs.take(form::required("name_en", &self.name_en, 60));
        let display_order = errs
            .take(form::optional_int(
                "display_order",
                &self.display_order,
                0,
                9999,
            ))
            .flatten()
            .unwrap_or(0);
        let active = match self.active.as_deref() {
            None => true,
            Some(_) => match form::flag(&self.active) {
                Ok(b) => b,
                Err(_) => {
                    errs.push(FieldError::new("active", "err-flag"));
                    true
                }
            },
        };
        Some(TopicFields {
            name_zh: name_zh?,
            name_en: name_en?,
            display_order,
            active,
        })
    }

    /// The code of a new topic.
    pub fn code(&self, errs: &mut Errors) -> Option<String> {
        match form::opt(&self.code) {
            None => {
                errs.push(FieldError::new("code", "err-required"));
                None
            }
            Some(c)
                if c.len() <= 32
                    && c.chars()
                        .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_') =>
            {
                Some(c)
            }
            Some(_) => {
                errs.push(FieldError::new("code", "err-topic-code"));
                None
            }
        }
    }
}

/// What a worker types on the public page.
#[derive(Deserialize, Default, Debug, Clone)]
pub struct PublicForm {
    pub client_id: Option<String>,
    pub source: Option<String>,
    pub topic: Option<String>,
    pub worker_group: Option<String>,
    pub description: Option<String>,
    pub raiser_name: Option<String>,
    pub raiser_contact: Option<String>,
}

impl PublicForm {
    /// The client id and the problem, every bad field reported.
    pub fn parse(&self) -> AppResult<(String, ProblemFields)> {
        let mut errs = Errors::default();
        let client_id = self.client_id.as_deref().unwrap_or_default().trim();
        if !crate::activity::valid_client_id(client_id) {
            errs.push(FieldError::new("client_id", "err-client-id"));
        }
        let fields = ProblemInput {
            source: self.source.clone(),
            topic: self.topic.clone(),
            worker_group: self.worker_group.clone(),
            description: self.description.clone(),
            raiser_name: self.raiser_name.clone(),
            raiser_contact: self.raiser_contact.clone(),
            is_main: None,
            enterprise_id: None,
        }
        .parse_into("", &mut errs);
        errs.finish()?;
        let fields = fields.ok_or(AppError::BadRequest("unparsed problem"))?;
        Ok((client_id.to_string(), fields))
    }
}

/// What a receipt code shows: the problem as raised, where it stands, and the feedback.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ProblemReceipt)]
pub struct Receipt {
    pub code: String,
    pub description: String,
    /// The org it was raised to.
    pub org_name: String,
    pub raised_on: Day,
    pub status: ProblemStatus,
    /// The date of the outcome: solved on, the completion deadline or the planned date.
    pub outcome_on: Option<Day>,
    /// What was done (or how it will be).
    pub outcome_note: Option<String>,
    /// Whether it was passed to a higher union to solve.
    pub escalated: bool,
    pub feedback: Vec<Feedback>,
}

impl Receipt {
    /// What the worker holding `code` sees of `p`.
    pub fn of(code: String, p: Problem, feedback: Vec<Feedback>) -> Receipt {
        let outcome = p.state.outcome();
        Receipt {
            code,
            description: p.description.clone(),
            org_name: p.org_name.clone(),
            raised_on: Day::of_timestamp(p.created_at),
            status: p.state.label(),
            outcome_on: outcome.and_then(|o| o.day()),
            outcome_note: outcome.and_then(|o| o.note()).map(str::to_string),
            escalated: p.escalated,
            // Who gave the feedback is internal; the worker sees what they were told.
            feedback: feedback
                .into_iter()
                .map(|f| Feedback {
                    actor: String::new(),
                    ..f
                })
                .collect(),
        }
    }
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
        assert_eq!(
            fields_of(decide("for_reference", "", "").parse().unwrap_err()),
            [("outcome".to_string(), "err-outcome")]
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
