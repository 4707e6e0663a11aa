//! Campaigns (调研活动): a notice issued by an org — title, document number,
//! theme, notice text, window and report deadline — to participating units in
//! its subtree, each with targets; and each unit's implementation plan
//! (实施方案, see [`plan`]).
//!
//! [`CampaignInput::parse`] turns submitted text into [`CampaignFields`];
//! [`ops::resolve_units`] turns the chosen kinds and org codes into the
//! participating units, checked to lie strictly under the issuing org.
//!
//! In the shape of a domain: this file the types and rules, `store` the SQL,
//! `ops` the use cases (every write with its transaction and audit entry),
//! `pages` the pages, `api` the JSON API and the router.
//!
//! Who may do what:
//! - read a campaign: see [`store::visible_sql`]; everyone else gets 404;
//! - create, edit, copy, change the status: admins over the issuing org (403
//!   for other readers);
//! - edit and submit a plan: cadres and admins over the unit;
//! - accept or return a plan: admins over the issuing org.

pub mod api;
pub mod demo;
pub mod ops;
pub mod pages;
pub mod plan;
pub mod store;

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use self::plan::{Plan, PlanEvent, PlanStatus};
use crate::{
    date::Day,
    db::{CampaignId, OrgId, code_enum},
    error::{AppError, FieldError},
    org::{OrgCode, OrgKind},
    web::form::{self, Errors},
};

code_enum! {
    /// Where a campaign is in its life.
    pub enum CampaignStatus: "campaign-status" {
        /// 草稿: only the issuing org sees it; its units may change freely.
        Draft = "draft",
        /// 进行中: issued; units file plans and record activities.
        Active = "active",
        /// 已结束: read only, until an admin reopens it.
        Closed = "closed",
    }
}

impl CampaignStatus {
    /// Whether an admin may move a campaign from `self` to `to`: draft → active
    /// (issue), active → closed, closed → active (reopen).
    pub fn can_become(self, to: CampaignStatus) -> bool {
        use CampaignStatus::*;
        matches!(
            (self, to),
            (Draft, Active) | (Active, Closed) | (Closed, Active)
        )
    }
}

code_enum! {
    /// What kind of programme a campaign is.
    #[derive(Default)]
    pub enum CampaignKind: "campaign-kind" {
        /// 调研活动: a campaign of visits, interviews and symposiums (seed 000).
        #[default]
        Campaign = "campaign",
        /// 蹲点活动: cadres stationed at the grassroots in work groups (seed 002,
        /// see `crate::stationing`).
        Stationing = "stationing",
    }
}

/// The four targets of a participating unit.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
pub struct Targets {
    /// Enterprises to visit (走访企事业单位数).
    pub enterprises: i64,
    /// Workers to interview (访谈职工数).
    pub interviews: i64,
    /// Symposiums to hold (座谈会次数).
    pub symposiums: i64,
    /// Problems to solve (解决问题数).
    pub problems: i64,
}

/// A campaign as read.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Campaign {
    pub id: CampaignId,
    /// The issuing org.
    pub org_id: OrgId,
    pub org_code: String,
    pub org_name: String,
    /// A campaign or a stationing programme.
    pub kind: CampaignKind,
    pub title: String,
    /// Document number, e.g. 杨工〔2019〕28号.
    pub doc_number: Option<String>,
    pub theme: Option<String>,
    pub notice: Option<String>,
    pub starts_on: Day,
    pub ends_on: Day,
    pub report_due_on: Day,
    pub status: CampaignStatus,
    /// The campaign this one was copied from.
    pub copied_from: Option<CampaignId>,
    pub unit_count: i64,
    /// Epoch seconds, UTC.
    pub created_at: i64,
    /// Epoch seconds, UTC.
    pub updated_at: i64,
}

/// A participating unit and its targets.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Unit {
    pub org_id: OrgId,
    pub code: String,
    pub name: String,
    pub kind: OrgKind,
    pub targets: Targets,
}

/// One unit's targets that differ from the defaults; an absent or empty value
/// takes the default.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize, utoipa::ToSchema)]
pub struct UnitTargetsInput {
    pub org_code: String,
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 1000000)]
    pub target_enterprises: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 1000000)]
    pub target_interviews: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 1000000)]
    pub target_symposiums: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 1000000)]
    pub target_problems: Option<String>,
}

/// A campaign as submitted by the form or a JSON body: text, unparsed.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct CampaignInput {
    /// Id of the issuing org (creating only; an org where the caller is
    /// admin); or give `issuer_code`. Defaults to the caller's own org.
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(value_type = Option<i64>)]
    pub issuer_id: Option<String>,
    /// Code of the issuing org, instead of `issuer_id`.
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(example = "YP")]
    pub issuer_code: Option<String>,
    /// campaign (default) or stationing (a programme of work groups).
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(value_type = Option<CampaignKind>, example = "campaign")]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(example = "大走访、大调解、大服务")]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(example = "杨工〔2019〕28号")]
    pub doc_number: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    pub theme: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    pub notice: Option<String>,
    /// YYYY-MM-DD (2019/10/21 and 2019年10月21日 also work).
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(example = "2019-10-21")]
    pub starts_on: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(example = "2019-11-15")]
    pub ends_on: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(example = "2019-11-15")]
    pub report_due_on: Option<String>,
    /// Org kinds whose every active org under the issuer takes part:
    /// industry, street, direct, grassroots, department, federation (a list or
    /// comma-separated).
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(value_type = Option<Vec<String>>, example = json!(["industry", "street", "direct"]))]
    pub kinds: Option<String>,
    /// Codes of further participating orgs (a list or comma-separated), each
    /// strictly under the issuing org.
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(value_type = Option<Vec<String>>, example = json!(["YP-JC-0001"]))]
    pub org_codes: Option<String>,
    /// Default targets of every unit.
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 1000000)]
    pub target_enterprises: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 1000000)]
    pub target_interviews: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 1000000)]
    pub target_symposiums: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 1000000)]
    pub target_problems: Option<String>,
    /// Per-unit targets that differ from the defaults.
    #[serde(default)]
    pub overrides: Option<Vec<UnitTargetsInput>>,
}

/// How the participating units are chosen.
#[derive(Clone, Debug, PartialEq)]
pub struct UnitChoice {
    pub kinds: Vec<OrgKind>,
    /// Upper-case org codes.
    pub org_codes: Vec<String>,
    pub defaults: Targets,
    /// Upper-case org code → the unit's targets.
    pub overrides: Vec<(String, Targets)>,
}

/// The issuing org as a body names it.
#[derive(Clone, Debug, PartialEq)]
pub enum Issuer {
    Id(OrgId),
    Code(String),
}

/// The parsed fields of a campaign.
#[derive(Clone, Debug, PartialEq)]
pub struct CampaignFields {
    /// `None`: the caller's own org.
    pub issuer: Option<Issuer>,
    pub kind: CampaignKind,
    pub title: String,
    pub doc_number: Option<String>,
    pub theme: Option<String>,
    pub notice: Option<String>,
    pub starts_on: Day,
    pub ends_on: Day,
    pub report_due_on: Day,
    /// `None` keeps the units as they are (a PATCH that does not mention them).
    pub units: Option<UnitChoice>,
}

/// The largest target accepted.
const MAX_TARGET: i64 = 1_000_000;

fn target(field: &str, s: &Option<String>, default: i64) -> Result<i64, FieldError> {
    Ok(form::optional_int(field, s, 0, MAX_TARGET)?.unwrap_or(default))
}

/// Splits a list typed with commas, 、, semicolons or spaces.
fn split_list(raw: &str) -> impl Iterator<Item = &str> {
    raw.split(|c: char| matches!(c, ',' | '，' | '、' | ';' | '；') || c.is_whitespace())
        .filter(|p| !p.is_empty())
}

impl CampaignInput {
    /// Whether the input says anything about the units or their targets.
    fn mentions_units(&self) -> bool {
        self.kinds.is_some()
            || self.org_codes.is_some()
            || self.target_enterprises.is_some()
            || self.target_interviews.is_some()
            || self.target_symposiums.is_some()
            || self.target_problems.is_some()
            || self.overrides.is_some()
    }

    /// Parses every field, reporting all problems at once.
    pub fn parse(&self) -> Result<CampaignFields, AppError> {
        let mut errs = Errors::default();
        let issuer_id = errs
            .take(form::optional_int(
                "issuer_id",
                &self.issuer_id,
                1,
                i64::MAX,
            ))
            .flatten();
        let issuer_code = match form::opt(&self.issuer_code) {
            None => Some(None),
            Some(c) => errs
                .take(OrgCode::parse("issuer_code", &c))
                .map(|c| Some(c.as_str().to_string())),
        };
        let issuer = issuer_code.map(|code| match (issuer_id, code) {
            (Some(id), _) => Some(Issuer::Id(OrgId(id))),
            (None, Some(c)) => Some(Issuer::Code(c)),
            (None, None) => None,
        });
        let kind = match form::opt(&self.kind) {
            None => Some(CampaignKind::Campaign),
            Some(k) => match k.parse::<CampaignKind>() {
                Ok(k) => Some(k),
                Err(e) => {
                    errs.push(e.field("kind", "err-campaign-kind"));
                    None
                }
            },
        };
        let title = errs.take(form::required("title", &self.title, 200));
        let doc_number = errs.take(form::optional("doc_number", &self.doc_number, 50));
        let theme = errs.take(form::optional("theme", &self.theme, 100));
        let notice = errs.take(form::optional("notice", &self.notice, 20_000));
        let starts_on = errs.take(Day::parse_req("starts_on", &self.starts_on));
        let ends_on = errs.take(Day::parse_req("ends_on", &self.ends_on));
        let report_due_on = errs.take(Day::parse_req("report_due_on", &self.report_due_on));
        if let (Some(s), Some(e)) = (starts_on, ends_on)
            && e < s
        {
            errs.push(FieldError::new("ends_on", "err-window").arg("start", s));
        }
        if let (Some(s), Some(r)) = (starts_on, report_due_on)
            && r < s
        {
            errs.push(FieldError::new("report_due_on", "err-report-due").arg("start", s));
        }
        let units = if self.mentions_units() {
            self.parse_units(&mut errs)
        } else {
            Some(None)
        };
        errs.finish()?;
        match (
            issuer,
            kind,
            title,
            starts_on,
            ends_on,
            report_due_on,
            units,
        ) {
            (
                Some(issuer),
                Some(kind),
                Some(title),
                Some(starts_on),
                Some(ends_on),
                Some(r),
                Some(units),
            ) => Ok(CampaignFields {
                issuer,
                kind,
                title,
                doc_number: doc_number.flatten(),
                theme: theme.flatten(),
                notice: notice.flatten(),
                starts_on,
                ends_on,
                report_due_on: r,
                units,
            }),
            _ => Err(AppError::BadRequest("unparsed campaign field")),
        }
    }

    fn parse_units(&self, errs: &mut Errors) -> Option<Option<UnitChoice>> {
        let mut ok = true;
        let mut kinds = Vec::new();
        for k in split_list(self.kinds.as_deref().unwrap_or("")) {
            match OrgKind::parse(k) {
                Some(kind) if !kinds.contains(&kind) => kinds.push(kind),
                Some(_) => {}
                None => {
                    errs.push(FieldError::new("kinds", "err-org-kind"));
                    ok = false;
                }
            }
        }
        let mut org_codes = Vec::new();
        for c in split_list(self.org_codes.as_deref().unwrap_or("")) {
            match OrgCode::parse("org_codes", c) {
                Ok(code) => {
                    let code = code.as_str().to_string();
                    if !org_codes.contains(&code) {
                        org_codes.push(code);
                    }
                }
                Err(e) => {
                    errs.push(e);
                    ok = false;
                }
            }
        }
        let mut t = |field: &str, s: &Option<String>, d: i64| match target(field, s, d) {
            Ok(v) => v,
            Err(e) => {
                errs.push(e);
                ok = false;
                d
            }
        };
        let defaults = Targets {
            enterprises: t("target_enterprises", &self.target_enterprises, 0),
            interviews: t("target_interviews", &self.target_interviews, 0),
            symposiums: t("target_symposiums", &self.target_symposiums, 0),
            problems: t("target_problems", &self.target_problems, 0),
        };
        let mut overrides = Vec::new();
        for (i, o) in self.overrides.iter().flatten().enumerate() {
            let code = o.org_code.trim().to_ascii_uppercase();
            let f = |name: &str| format!("overrides[{i}].{name}");
            let targets = Targets {
                enterprises: t(
                    &f("target_enterprises"),
                    &o.target_enterprises,
                    defaults.enterprises,
                ),
                interviews: t(
                    &f("target_interviews"),
                    &o.target_interviews,
                    defaults.interviews,
                ),
                symposiums: t(
                    &f("target_symposiums"),
                    &o.target_symposiums,
                    defaults.symposiums,
                ),
                problems: t(&f("target_problems"), &o.target_problems, defaults.problems),
            };
            if targets != defaults {
                overrides.push((code, targets));
            }
        }
        ok.then_some(Some(UnitChoice {
            kinds,
            org_codes,
            defaults,
            overrides,
        }))
    }

    /// The input that edits `c` with its `units` as they are now: the kinds
    /// every active org of which takes part (`full_kinds`), the other units by
    /// code, the most common targets as defaults and the rest as overrides.
    pub fn from_campaign(c: &Campaign, units: &[Unit], full_kinds: &[OrgKind]) -> Self {
        let mut counts: HashMap<Targets, usize> = HashMap::new();
        for u in units {
            *counts.entry(u.targets).or_default() += 1;
        }
        // The most common targets; ties go to the first unit's, so it is deterministic.
        let defaults = units
            .iter()
            .map(|u| u.targets)
            .max_by_key(|t| {
                (
                    counts[t],
                    std::cmp::Reverse(units.iter().position(|u| u.targets == *t)),
                )
            })
            .unwrap_or_default();
        let codes: Vec<String> = units
            .iter()
            .filter(|u| !full_kinds.contains(&u.kind))
            .map(|u| u.code.clone())
            .collect();
        let overrides: Vec<UnitTargetsInput> = units
            .iter()
            .filter(|u| u.targets != defaults)
            .map(|u| UnitTargetsInput {
                org_code: u.code.clone(),
                target_enterprises: Some(u.targets.enterprises.to_string()),
                target_interviews: Some(u.targets.interviews.to_string()),
                target_symposiums: Some(u.targets.symposiums.to_string()),
                target_problems: Some(u.targets.problems.to_string()),
            })
            .collect();
        CampaignInput {
            issuer_id: None,
            issuer_code: Some(c.org_code.clone()),
            kind: Some(c.kind.as_str().to_string()),
            title: Some(c.title.clone()),
            doc_number: c.doc_number.clone(),
            theme: c.theme.clone(),
            notice: c.notice.clone(),
            starts_on: Some(c.starts_on.iso()),
            ends_on: Some(c.ends_on.iso()),
            report_due_on: Some(c.report_due_on.iso()),
            kinds: Some(
                full_kinds
                    .iter()
                    .map(|k| k.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            org_codes: Some(codes.join(",")),
            target_enterprises: Some(defaults.enterprises.to_string()),
            target_interviews: Some(defaults.interviews.to_string()),
            target_symposiums: Some(defaults.symposiums.to_string()),
            target_problems: Some(defaults.problems.to_string()),
            overrides: Some(overrides),
        }
    }

    /// PATCH: the fields `self` gives replace those of `base`. The unit fields
    /// go together: mentioning any of them replaces the whole choice.
    pub fn over(self, base: CampaignInput) -> CampaignInput {
        let units = self.mentions_units();
        let pick = |a: Option<String>, b: Option<String>| if units { a } else { a.or(b) };
        CampaignInput {
            issuer_id: base.issuer_id,
            issuer_code: base.issuer_code,
            kind: self.kind.or(base.kind),
            title: self.title.or(base.title),
            doc_number: self.doc_number.or(base.doc_number),
            theme: self.theme.or(base.theme),
            notice: self.notice.or(base.notice),
            starts_on: self.starts_on.or(base.starts_on),
            ends_on: self.ends_on.or(base.ends_on),
            report_due_on: self.report_due_on.or(base.report_due_on),
            kinds: pick(self.kinds, base.kinds),
            org_codes: pick(self.org_codes, base.org_codes),
            target_enterprises: pick(self.target_enterprises, base.target_enterprises),
            target_interviews: pick(self.target_interviews, base.target_interviews),
            target_symposiums: pick(self.target_symposiums, base.target_symposiums),
            target_problems: pick(self.target_problems, base.target_problems),
            overrides: if units {
                self.overrides
            } else {
                base.overrides
            },
        }
    }
}

/// The same day a year later (29 February becomes 28 February): copies of a
/// yearly campaign start from last year's dates moved on by a year.
pub fn next_year(d: Day) -> Day {
    use chrono::Datelike;
    let n = d.naive();
    Day::from_ymd(n.year() + 1, n.month(), n.day())
        .or_else(|| Day::from_ymd(n.year() + 1, n.month(), 28))
        .unwrap_or(d)
}

/// The live progress of one unit's subtree in a campaign.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = CampaignProgress)]
pub struct Progress {
    /// Distinct enterprises with an activity of the campaign.
    pub enterprises: i64,
    /// Workers interviewed, summed over activities.
    pub interviews: i64,
    /// Symposiums held.
    pub symposiums: i64,
    /// People who took part in the symposiums.
    pub participants: i64,
    /// Problems recorded.
    pub problems: i64,
    /// Problems decided as solved.
    pub solved: i64,
}

impl Progress {
    /// Adds another unit's numbers.
    pub fn add(&mut self, o: &Progress) {
        self.enterprises += o.enterprises;
        self.interviews += o.interviews;
        self.symposiums += o.symposiums;
        self.participants += o.participants;
        self.problems += o.problems;
        self.solved += o.solved;
    }
}

impl Targets {
    /// Adds another unit's targets.
    pub fn add(&mut self, o: &Targets) {
        self.enterprises += o.enterprises;
        self.interviews += o.interviews;
        self.symposiums += o.symposiums;
        self.problems += o.problems;
    }
}

/// `actual` as a whole percentage of `target`; `None` without a target.
pub fn percent(actual: i64, target: i64) -> Option<i64> {
    (target > 0).then(|| actual * 100 / target)
}

/// The most campaigns a list shows.
pub const LIST_LIMIT: i64 = 500;

/// A participating unit's targets, live progress and plan.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct UnitProgress {
    pub org_id: OrgId,
    pub code: String,
    pub name: String,
    pub kind: OrgKind,
    pub targets: Targets,
    pub actual: Progress,
    pub percent: Percent,
    /// Absent when the unit has not started a plan.
    pub plan_status: Option<PlanStatus>,
    pub plan_version: i64,
}

/// Actual as a whole percentage of target; absent without a target.
#[derive(Clone, Copy, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct Percent {
    pub enterprises: Option<i64>,
    pub interviews: Option<i64>,
    pub symposiums: Option<i64>,
    /// Problems solved against the target.
    pub problems: Option<i64>,
}

impl Percent {
    /// Each actual figure against its target.
    pub fn of(a: &Progress, t: &Targets) -> Percent {
        Percent {
            enterprises: percent(a.enterprises, t.enterprises),
            interviews: percent(a.interviews, t.interviews),
            symposiums: percent(a.symposiums, t.symposiums),
            problems: percent(a.solved, t.problems),
        }
    }
}

/// A campaign with its units (those the caller may see) and their progress.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CampaignDetail {
    pub campaign: Campaign,
    pub units: Vec<UnitProgress>,
    pub total_targets: Targets,
    pub total_actual: Progress,
    pub total_percent: Percent,
    /// Plans accepted / submitted (waiting) / returned / not submitted.
    pub plans_accepted: i64,
    pub plans_waiting: i64,
    pub plans_returned: i64,
    pub plans_missing: i64,
    /// Whether the caller may edit the campaign and decide plans.
    pub can_manage: bool,
    /// Whether the caller reads the issuing org (and so sees the summary overview).
    pub is_issuer_reader: bool,
    /// The campaign's questionnaires the caller reads, with their valid response counts.
    pub surveys: Vec<crate::survey::analysis::store::CampaignSurvey>,
}

/// A plan with its history and what the caller may do with it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PlanDetail {
    pub plan: Plan,
    /// Submissions and decisions, oldest first, each with the plan as it was.
    pub events: Vec<PlanEvent>,
    /// The unit's targets set by the campaign.
    pub campaign_targets: Targets,
    /// Whether the caller may edit and submit it now.
    pub can_edit: bool,
    /// Whether the caller may accept or return it now.
    pub can_decide: bool,
}

/// Query of the list page and the list API.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// draft, active or closed; empty for all.
    #[param(value_type = Option<CampaignStatus>)]
    pub status: Option<String>,
}

impl ListParams {
    /// The status asked for; 422 naming the allowed codes for another.
    pub fn status(&self) -> Result<Option<CampaignStatus>, AppError> {
        match form::opt(&self.status) {
            None => Ok(None),
            Some(s) => s
                .parse::<CampaignStatus>()
                .map(Some)
                .map_err(|e| AppError::Validation(vec![e.field("status", "err-status")])),
        }
    }
}

/// The body of a status change.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = CampaignStatusInput)]
pub struct StatusInput {
    /// draft, active or closed.
    #[schema(value_type = CampaignStatus, example = "active")]
    pub status: String,
}

impl StatusInput {
    /// The status asked for; 422 naming the allowed codes for another.
    pub fn parse(&self) -> Result<CampaignStatus, AppError> {
        self.status
            .parse::<CampaignStatus>()
            .map_err(|e| AppError::Validation(vec![e.field("status", "err-status")]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> CampaignInput {
        CampaignInput {
            title: Some(" 大走访 ".into()),
            starts_on: Some("2019-10-21".into()),
            ends_on: Some("2019年11月15日".into()),
            report_due_on: Some("2019/11/15".into()),
            kinds: Some("street, industry 直属工会".into()),
            org_codes: Some("yp-jc-0001".into()),
            target_enterprises: Some("10".into()),
            overrides: Some(vec![UnitTargetsInput {
                org_code: "yp-jd-dhl".into(),
                target_enterprises: Some("20".into()),
                ..Default::default()
            }]),
            ..Default::default()
        }
    }

    #[test]
    fn a_good_input_parses() {
        let f = good().parse().unwrap();
        assert_eq!(f.title, "大走访");
        assert_eq!(f.ends_on.iso(), "2019-11-15");
        let u = f.units.unwrap();
        assert_eq!(
            u.kinds,
            [OrgKind::Street, OrgKind::Industry, OrgKind::Direct]
        );
        assert_eq!(u.org_codes, ["YP-JC-0001"]);
        assert_eq!(u.defaults.enterprises, 10);
        assert_eq!(u.overrides[0].0, "YP-JD-DHL");
        assert_eq!(u.overrides[0].1.enterprises, 20);
    }

    #[test]
    fn every_bad_field_is_named() {
        let input = CampaignInput {
            title: Some(" ".into()),
            starts_on: Some("2019-11-15".into()),
            ends_on: Some("2019-10-21".into()),
            report_due_on: Some("2019-13-01".into()),
            kind: Some("retreat".into()),
            kinds: Some("pilots".into()),
            target_interviews: Some("-1".into()),
            ..Default::default()
        };
        let AppError::Validation(errs) = input.parse().unwrap_err() else {
            panic!()
        };
        let fields: Vec<_> = errs.iter().map(|e| (e.field.as_str(), e.key)).collect();
        assert_eq!(
            fields,
            [
                ("kind", "err-campaign-kind"),
                ("title", "err-required"),
                ("report_due_on", "err-date"),
                ("ends_on", "err-window"),
                ("kinds", "err-org-kind"),
                ("target_interviews", "err-out-of-range"),
            ]
        );
    }

    #[test]
    fn a_patch_without_units_keeps_them() {
        let patch = CampaignInput {
            title: Some("新".into()),
            ..Default::default()
        };
        assert!(patch.parse().is_err(), "dates are required");
        let merged = patch.over(good());
        assert_eq!(merged.title.as_deref(), Some("新"));
        assert_eq!(merged.kinds, good().kinds);
        let only_title = CampaignInput {
            title: Some("x".into()),
            starts_on: Some("2019-01-01".into()),
            ends_on: Some("2019-01-02".into()),
            report_due_on: Some("2019-01-02".into()),
            ..Default::default()
        };
        assert_eq!(only_title.parse().unwrap().units, None);
        let units = CampaignInput {
            kinds: Some("street".into()),
            ..Default::default()
        }
        .over(good());
        assert_eq!(units.org_codes, None, "unit fields are replaced together");
    }

    #[test]
    fn the_status_moves_only_forwards_or_reopens() {
        use CampaignStatus::*;
        for (from, to, ok) in [
            (Draft, Active, true),
            (Active, Closed, true),
            (Closed, Active, true),
            (Draft, Closed, false),
            (Active, Draft, false),
            (Closed, Draft, false),
            (Active, Active, false),
        ] {
            assert_eq!(from.can_become(to), ok, "{from:?} → {to:?}");
        }
    }

    #[test]
    fn a_year_later() {
        let d = Day::from_ymd(2020, 2, 29).unwrap();
        assert_eq!(next_year(d).iso(), "2021-02-28");
        assert_eq!(
            next_year(Day::from_ymd(2018, 10, 22).unwrap()).iso(),
            "2019-10-22"
        );
        assert_eq!(percent(5, 0), None);
        assert_eq!(percent(5, 10), Some(50));
    }

    #[test]
    fn an_input_from_a_campaign_round_trips() {
        let c = Campaign {
            id: CampaignId(1),
            org_id: OrgId(1),
            org_code: "D".into(),
            org_name: "区".into(),
            kind: CampaignKind::Stationing,
            title: "t".into(),
            doc_number: None,
            theme: None,
            notice: None,
            starts_on: Day::from_ymd(2019, 1, 1).unwrap(),
            ends_on: Day::from_ymd(2019, 1, 2).unwrap(),
            report_due_on: Day::from_ymd(2019, 1, 2).unwrap(),
            status: CampaignStatus::Draft,
            copied_from: None,
            unit_count: 3,
            created_at: 0,
            updated_at: 0,
        };
        let t = |e| Targets {
            enterprises: e,
            interviews: 5,
            symposiums: 1,
            problems: 2,
        };
        let unit = |id, code: &str, kind, e| Unit {
            org_id: OrgId(id),
            code: code.into(),
            name: code.into(),
            kind,
            targets: t(e),
        };
        let units = [
            unit(2, "A", OrgKind::Street, 10),
            unit(3, "B", OrgKind::Street, 10),
            unit(4, "G", OrgKind::Grassroots, 3),
        ];
        let input = CampaignInput::from_campaign(&c, &units, &[OrgKind::Street]);
        assert_eq!(input.kinds.as_deref(), Some("street"));
        assert_eq!(input.parse().unwrap().kind, CampaignKind::Stationing);
        assert_eq!(input.org_codes.as_deref(), Some("G"));
        assert_eq!(input.target_enterprises.as_deref(), Some("10"));
        let f = input.parse().unwrap().units.unwrap();
        assert_eq!(f.overrides, vec![("G".to_string(), t(3))]);
        assert_eq!(f.defaults, t(10));
    }
}
