//! Supervision (督办) of a campaign: the grid the issuing org follows its
//! units on, receipt of the notice (签收), and chases (催报 / 催办).
//!
//! The grid has one row per participating unit (or, one level down, per
//! child org of a unit). Its figures come from the modules that own the
//! records: problems and their outcomes from `summary::store::figures` (a
//! problem counts where it is owned now, as in the summary table), summary
//! standings (`summary::workflow::Standing`) from `summary::unit_state`, plans from `campaign::store`. Each cell
//! is coloured by one [`Light`] rule per column, defined here ([`lights`]):
//!
//! | column    | green                         | yellow                                   | red |
//! |-----------|-------------------------------|------------------------------------------|-----|
//! | received  | confirmed                     | not yet, within N working days of issue  | not confirmed N working days after issue |
//! | plan      | submitted or accepted         | missing, draft or returned, early on     | still not submitted `open_days` working days after issue |
//! | activities| at least one record           | none, campaign window ends within N days | none after the window ended |
//! | problems  | none overdue, none undecided  | some undecided                           | any overdue (in progress / planned past its date) |
//! | summary   | submitted (on time or late: the table is in, its lateness is shown as text) or accepted; owed but deadline beyond N days | owed, deadline within N working days | owed after the deadline |
//!
//! N is `reminders.days_before`, the same horizon as the reminders and the
//! to-do list.

pub mod api;
pub mod demo;
pub mod export;
pub mod ops;
pub mod pages;
pub mod store;

use serde::{Deserialize, Serialize};

use crate::{
    campaign::plan::PlanStatus,
    date::Day,
    db::{CampaignId, OrgId, code_enum},
    error::{AppError, FieldError},
    i18n::Lang,
    org::OrgKind,
    summary::workflow::{Decision, Standing},
    workday::{Light, Workdays},
};
use store::Chase;

/// The longest chase message.
pub const MESSAGE_MAX: usize = 500;

code_enum! {
    /// What a chase presses for.
    pub enum ChaseKind: "chase-kind" {
        /// 催报: submit the summary table.
        Report = "report",
        /// 催办: act (plan, records, problems).
        Act = "act",
    }
}

/// A chase as submitted (API body or the grid's form).
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ChaseInput {
    /// `report` (催报) or `act` (催办).
    #[schema(value_type = Option<ChaseKind>, example = "report")]
    pub kind: Option<String>,
    /// Required, at most 500 characters.
    pub message: Option<String>,
    /// The orgs chased: rows of the grid at `level`.
    #[serde(default)]
    pub org_ids: Vec<OrgId>,
    /// The client's id of this action: a retry with the same id chases no one twice.
    pub client_id: Option<String>,
    /// The unit whose child orgs are chased; absent: the campaign's units.
    pub level: Option<OrgId>,
}

/// A validated chase.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChaseFields {
    pub kind: ChaseKind,
    pub message: String,
    pub org_ids: Vec<OrgId>,
    pub batch: String,
    pub level: Option<OrgId>,
}

impl ChaseInput {
    /// Checks every field; each error names its field.
    pub fn parse(&self) -> Result<ChaseFields, AppError> {
        let mut errors = Vec::new();
        let kind = match self.kind.as_deref().map(str::trim).unwrap_or("") {
            "" => {
                errors.push(FieldError::new("kind", "err-required"));
                None
            }
            k => match k.parse::<ChaseKind>() {
                Ok(kind) => Some(kind),
                Err(e) => {
                    errors.push(e.field("kind", "err-chase-kind"));
                    None
                }
            },
        };
        let message = self.message.as_deref().unwrap_or("").trim().to_string();
        if message.is_empty() {
            errors.push(FieldError::new("message", "err-required"));
        } else if message.chars().count() > MESSAGE_MAX {
            errors.push(FieldError::new("message", "err-too-long").arg("max", MESSAGE_MAX));
        }
        let mut org_ids = self.org_ids.clone();
        org_ids.sort();
        org_ids.dedup();
        if org_ids.is_empty() {
            errors.push(FieldError::new("org_ids", "err-chase-none"));
        }
        let batch = self.client_id.as_deref().unwrap_or("").trim().to_string();
        if batch.is_empty() {
            errors.push(FieldError::new("client_id", "err-required"));
        } else if batch.chars().count() > 100 {
            errors.push(FieldError::new("client_id", "err-too-long").arg("max", 100));
        }
        match kind {
            Some(kind) if errors.is_empty() => Ok(ChaseFields {
                kind,
                message,
                org_ids,
                batch,
                level: self.level,
            }),
            _ => Err(AppError::Validation(errors)),
        }
    }
}

/// Who confirmed receipt, and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = CampaignReceipt)]
pub struct Receipt {
    pub campaign_id: crate::db::CampaignId,
    pub org_id: OrgId,
    /// The user's display name as it was then.
    pub receiver: String,
    /// Epoch seconds.
    pub received_at: i64,
}

/// How often a row was chased, and the last time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ChaseCount {
    /// 催报 count.
    pub report: i64,
    /// 催办 count.
    pub act: i64,
    /// The last chase of either kind (epoch seconds).
    pub last_at: Option<i64>,
}

impl ChaseCount {
    /// Both kinds.
    pub fn total(&self) -> i64 {
        self.report + self.act
    }
}

/// The light of each coloured cell of a row; `None` where the column does
/// not apply (one level down: receipt, plan and summary).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Lights {
    pub received: Option<Light>,
    pub plan: Option<Light>,
    pub activities: Option<Light>,
    pub problems: Option<Light>,
    pub summary: Option<Light>,
}

/// One row of the grid.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct GridRow {
    pub org_id: OrgId,
    pub code: String,
    pub name: String,
    pub kind: OrgKind,
    /// Whether the row is a participating unit (receipt, plan and summary apply).
    pub is_unit: bool,
    /// Whether the row has orgs under it to drill into.
    pub has_children: bool,
    /// Confirmed receipt, or none (also none where it does not apply).
    pub receipt: Option<Receipt>,
    /// The plan's status; none when missing or not applicable.
    pub plan: Option<PlanStatus>,
    /// Activity records of the campaign in the row's subtree.
    pub activities: i64,
    /// The latest activity date.
    pub last_activity: Option<Day>,
    /// Problems owned in the row's subtree (as the summary table counts them).
    pub problems: i64,
    /// Of those, decided (any of the four outcomes).
    pub decided: i64,
    /// Of those, in progress or planned past their date.
    pub overdue: i64,
    /// The summary table's state; none where it does not apply.
    pub summary: Option<Standing>,
    pub chases: ChaseCount,
    pub lights: Lights,
}

/// What the lights of a row are judged against.
#[derive(Clone, Copy, Debug)]
pub struct Clock<'a> {
    pub days: &'a Workdays,
    pub today: Day,
    /// The day the campaign was issued (its start date when unknown).
    pub issued: Day,
    pub window_end: Day,
    pub report_due: Day,
    /// The reminder horizon N, working days.
    pub horizon: u32,
    /// Working days after which an unsubmitted plan is red.
    pub plan_days: u32,
}

/// The lights of a row (see the module's table).
pub fn lights(row: &GridRow, k: &Clock<'_>) -> Lights {
    let mut out = Lights {
        activities: Some(if row.activities > 0 {
            Light::Green
        } else {
            Light::of(k.days, k.today, k.window_end, k.horizon)
        }),
        problems: Some(if row.overdue > 0 {
            Light::Red
        } else if row.decided < row.problems {
            Light::Yellow
        } else {
            Light::Green
        }),
        ..Lights::default()
    };
    if !row.is_unit {
        return out;
    }
    out.received = Some(if row.receipt.is_some() {
        Light::Green
    } else {
        Light::of(k.days, k.today, k.days.add(k.issued, k.horizon), k.horizon)
    });
    out.plan = Some(match row.plan {
        Some(PlanStatus::Submitted | PlanStatus::Accepted) => Light::Green,
        _ => {
            let due = k.days.add(k.issued, k.plan_days);
            if due < k.today {
                Light::Red
            } else {
                Light::Yellow
            }
        }
    });
    out.summary = row.summary.map(|s| match s {
        // The light says whether the unit still owes something: a late
        // table is in (its lateness is the cell's text), so it is green.
        Standing::Late | Standing::OnTime | Standing::Accepted => Light::Green,
        _ => Light::of(k.days, k.today, k.report_due, k.horizon),
    });
    out
}

code_enum! {
    /// A column of the grid (sorting and the XLSX).
    pub enum Column: "sv-col" {
        Unit = "unit",
        Received = "received",
        Plan = "plan",
        Activities = "activities",
        Problems = "problems",
        Decided = "decided",
        Overdue = "overdue",
        Summary = "summary",
        LastActivity = "last_activity",
        Chases = "chases",
    }
}

impl Column {
    /// Whether the column applies one level down (to child orgs).
    pub fn applies_below(self) -> bool {
        !matches!(self, Column::Received | Column::Plan | Column::Summary)
    }
}

fn plan_rank(p: Option<PlanStatus>) -> u8 {
    match p {
        None => 0,
        Some(PlanStatus::Draft) => 1,
        Some(PlanStatus::Returned) => 2,
        Some(PlanStatus::Submitted) => 3,
        Some(PlanStatus::Accepted) => 4,
    }
}

/// Sorts rows by `col` (ascending unless `desc`), ties kept in tree order.
/// Ascending puts what needs attention first where a column has a state
/// (not received, no plan, missing summary).
pub fn sort(rows: &mut [GridRow], col: Column, desc: bool) {
    // The slice arrives in tree order; a stable sort keeps it for ties.
    rows.sort_by(|a, b| {
        let o = match col {
            Column::Unit => std::cmp::Ordering::Equal,
            Column::Received => a
                .receipt
                .as_ref()
                .map(|r| r.received_at)
                .cmp(&b.receipt.as_ref().map(|r| r.received_at)),
            Column::Plan => plan_rank(a.plan).cmp(&plan_rank(b.plan)),
            Column::Activities => a.activities.cmp(&b.activities),
            Column::Problems => a.problems.cmp(&b.problems),
            Column::Decided => a.decided.cmp(&b.decided),
            Column::Overdue => a.overdue.cmp(&b.overdue),
            Column::Summary => a
                .summary
                .map(Standing::rank)
                .cmp(&b.summary.map(Standing::rank)),
            Column::LastActivity => a.last_activity.cmp(&b.last_activity),
            Column::Chases => a
                .chases
                .total()
                .cmp(&b.chases.total())
                .then(a.chases.last_at.cmp(&b.chases.last_at)),
        };
        if desc { o.reverse() } else { o }
    });
    if col == Column::Unit && desc {
        rows.reverse();
    }
}

/// Which rows to show.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only units whose summary is in this state.
    pub summary: Option<Standing>,
    /// Only units that have (true) or have not (false) confirmed receipt.
    pub received: Option<bool>,
    /// Only rows with overdue problems.
    pub overdue: bool,
}

impl Filter {
    /// Whether `row` passes.
    pub fn keeps(&self, row: &GridRow) -> bool {
        if let Some(s) = self.summary
            && row.summary != Some(s)
        {
            return false;
        }
        if let Some(r) = self.received
            && (!row.is_unit || row.receipt.is_some() != r)
        {
            return false;
        }
        !(self.overdue && row.overdue == 0)
    }
}

/// The counts and rates at the top of the grid, over all its rows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Totals {
    /// Rows (units, or child orgs one level down).
    pub rows: i64,
    /// Units that confirmed receipt.
    pub received: i64,
    /// Plans submitted or accepted.
    pub plans_in: i64,
    /// Plans accepted.
    pub plans_accepted: i64,
    /// Summary tables submitted or accepted.
    pub summaries_in: i64,
    /// Of those, submitted on time (the stored verdict of the first submission;
    /// accepted tables count as on time unless submitted late).
    pub summaries_on_time: i64,
    /// Summary tables still owed (missing, draft, returned).
    pub summaries_owed: i64,
    /// Summary tables in each state, in [`Standing::ALL`] order.
    pub summary_states: Vec<i64>,
    pub activities: i64,
    pub problems: i64,
    pub decided: i64,
    pub overdue: i64,
    /// Percentages (whole numbers); none when the base is zero.
    pub received_rate: Option<i64>,
    pub summaries_rate: Option<i64>,
    pub on_time_rate: Option<i64>,
    pub decided_rate: Option<i64>,
}

/// `part` of `whole` as a rounded percentage.
pub fn rate(part: i64, whole: i64) -> Option<i64> {
    (whole > 0).then(|| (part * 100 + whole / 2) / whole)
}

/// Adds up `rows`; `on_time` tells, per org, whether its latest submission
/// was on time (for accepted tables, whose state does not carry it).
pub fn totals(rows: &[GridRow], on_time: &dyn Fn(OrgId) -> bool) -> Totals {
    let mut t = Totals {
        rows: rows.len() as i64,
        summary_states: vec![0; Standing::ALL.len()],
        ..Totals::default()
    };
    let mut units = 0;
    for r in rows {
        t.activities += r.activities;
        t.problems += r.problems;
        t.decided += r.decided;
        t.overdue += r.overdue;
        if !r.is_unit {
            continue;
        }
        units += 1;
        if r.receipt.is_some() {
            t.received += 1;
        }
        match r.plan {
            Some(PlanStatus::Accepted) => {
                t.plans_in += 1;
                t.plans_accepted += 1;
            }
            Some(PlanStatus::Submitted) => t.plans_in += 1,
            _ => {}
        }
        if let Some(s) = r.summary {
            t.summary_states[s.rank()] += 1;
            if s.is_in() {
                t.summaries_in += 1;
                let timely = match s {
                    Standing::Late => false,
                    Standing::OnTime => true,
                    _ => on_time(r.org_id),
                };
                if timely {
                    t.summaries_on_time += 1;
                }
            } else {
                t.summaries_owed += 1;
            }
        }
    }
    t.received_rate = rate(t.received, units);
    t.summaries_rate = rate(t.summaries_in, units);
    t.on_time_rate = rate(t.summaries_on_time, t.summaries_in);
    t.decided_rate = rate(t.decided, t.problems);
    t
}

/// One event on a unit's timeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TimelineEvent {
    /// Epoch seconds.
    pub at: i64,
    /// What happened.
    pub kind: SupervisionEventKind,
    /// Who acted.
    pub actor: String,
    /// A version number, a chase message or a return reason.
    pub detail: Option<String>,
    /// Whether a summary submission was late.
    pub late: bool,
}

code_enum! {
    /// What happened on a unit's timeline.
    pub enum SupervisionEventKind: "sv-event" {
        /// The notice was received (签收).
        Received = "received",
        PlanSaved = "plan_saved",
        PlanSubmitted = "plan_submitted",
        PlanAccepted = "plan_accepted",
        PlanReturned = "plan_returned",
        SummarySubmitted = "summary_submitted",
        SummaryAccepted = "summary_accepted",
        SummaryReturned = "summary_returned",
        ChasedReport = "chased_report",
        ChasedAct = "chased_act",
    }
}

impl SupervisionEventKind {
    /// The event of a chase of `kind`.
    pub fn chased(kind: ChaseKind) -> SupervisionEventKind {
        match kind {
            ChaseKind::Report => SupervisionEventKind::ChasedReport,
            ChaseKind::Act => SupervisionEventKind::ChasedAct,
        }
    }

    /// The event of a decision on a summary version.
    pub fn summary(d: Decision) -> SupervisionEventKind {
        match d {
            Decision::Accepted => SupervisionEventKind::SummaryAccepted,
            Decision::Returned => SupervisionEventKind::SummaryReturned,
        }
    }
}

// ---- what the pages and the API read and send ----

/// The org a grid one level down shows the children of.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct LevelInfo {
    pub org_id: OrgId,
    pub name: String,
}

/// The grid as the API and the page show it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Grid {
    pub campaign_id: CampaignId,
    pub title: String,
    /// Present one level down: whose child orgs the rows are.
    pub level: Option<LevelInfo>,
    /// The day the lights are judged on.
    pub today: Day,
    /// When the campaign was issued (its start when not recorded).
    pub issued_on: Day,
    pub report_due_on: Day,
    /// Over all rows, before filtering.
    pub totals: Totals,
    /// The rows shown: filtered and sorted.
    pub rows: Vec<GridRow>,
    pub sort: Column,
    pub desc: bool,
    /// Whether the caller may chase the rows.
    pub can_chase: bool,
}

/// Sorting and filters of the grid (query string of the page, the XLSX and the API).
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GridQuery {
    /// One level down: the unit (or org under one) whose child orgs to show.
    #[param(value_type = Option<i64>)]
    pub org: Option<String>,
    /// The column to sort by.
    #[param(value_type = Option<Column>)]
    pub sort: Option<String>,
    /// asc or desc.
    pub dir: Option<String>,
    /// Only rows whose summary table stands so.
    #[param(value_type = Option<Standing>)]
    pub summary: Option<String>,
    /// yes (confirmed) or no.
    pub receipt: Option<String>,
    /// Any value but empty/0: only rows with overdue problems.
    pub overdue: Option<String>,
}

impl GridQuery {
    /// The org one level down; a value that is no id is not found.
    pub fn org(&self) -> Result<Option<OrgId>, AppError> {
        match self.org.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => s.parse().map(Some).map_err(|_| AppError::NotFound),
        }
    }

    pub fn column(&self) -> Column {
        self.sort
            .as_deref()
            .and_then(|s| s.parse().ok())
            .unwrap_or(Column::Unit)
    }

    pub fn desc(&self) -> bool {
        self.dir.as_deref() == Some("desc")
    }

    pub fn filter(&self) -> Filter {
        Filter {
            summary: self
                .summary
                .as_deref()
                .and_then(|s| s.parse::<Standing>().ok()),
            received: match self.receipt.as_deref() {
                Some("yes") => Some(true),
                Some("no") => Some(false),
                _ => None,
            },
            overdue: self
                .overdue
                .as_deref()
                .is_some_and(|v| !v.is_empty() && v != "0"),
        }
    }

    /// The query string for the same grid sorted by `col` (toggling the
    /// direction when it is already sorted by it).
    pub fn sort_link(&self, col: Column) -> String {
        let dir = if self.column() == col && !self.desc() {
            "desc"
        } else {
            "asc"
        };
        self.query_with(&[("sort", col.as_str()), ("dir", dir)])
    }

    /// The query string with some parameters replaced.
    pub fn query_with(&self, set: &[(&str, &str)]) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        let cur = [
            ("org", &self.org),
            ("sort", &self.sort),
            ("dir", &self.dir),
            ("summary", &self.summary),
            ("receipt", &self.receipt),
            ("overdue", &self.overdue),
        ];
        for (k, v) in cur {
            if let Some((_, nv)) = set.iter().find(|(sk, _)| *sk == k) {
                if !nv.is_empty() {
                    pairs.push((k, nv.to_string()));
                }
            } else if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                pairs.push((k, v.to_string()));
            }
        }
        let q: Vec<String> = pairs
            .into_iter()
            .map(|(k, v)| format!("{k}={}", crate::web::errors::urlencode(&v)))
            .collect();
        if q.is_empty() {
            String::new()
        } else {
            format!("?{}", q.join("&"))
        }
    }
}

/// How a row's chases read: "催报 2 次，最近 12月8日".
pub fn chases_text(lang: Lang, c: &ChaseCount) -> String {
    let mut parts = Vec::new();
    if c.report > 0 {
        parts.push(lang.ta("sv-chased-report", &[("n", c.report.to_string())]));
    }
    if c.act > 0 {
        parts.push(lang.ta("sv-chased-act", &[("n", c.act.to_string())]));
    }
    match (parts.is_empty(), c.last_at) {
        (true, _) | (_, None) => String::new(),
        (false, Some(at)) => lang.ta(
            "sv-chased-last",
            &[
                ("counts", parts.join(lang.t("sv-list-sep").as_str())),
                ("day", short_day(lang, Day::of_timestamp(at))),
            ],
        ),
    }
}

/// A day without its year: 12月8日 or 12-08.
pub fn short_day(lang: Lang, d: Day) -> String {
    let iso = d.iso();
    let (m, day) = (&iso[5..7], &iso[8..10]);
    match lang {
        Lang::Zh => format!(
            "{}月{}日",
            m.trim_start_matches('0'),
            day.trim_start_matches('0')
        ),
        Lang::En => format!("{m}-{day}"),
    }
}

/// The label of a row's plan cell.
pub fn plan_label(lang: Lang, p: Option<PlanStatus>) -> String {
    match p {
        Some(s) => lang.t(&crate::campaign::plan::label_key(&s)),
        None => lang.t("plan-missing"),
    }
}

/// What a chase did.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ChaseResult {
    /// Orgs chased now (0 for a retry of the same action).
    pub created: u64,
    /// Every chase of the action.
    pub chases: Vec<Chase>,
}

/// One org's timeline in a campaign.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Timeline {
    pub campaign_id: CampaignId,
    pub title: String,
    pub org_id: OrgId,
    pub name: String,
    /// Whether the org is a participating unit (else an org under one).
    pub is_unit: bool,
    pub events: Vec<TimelineEvent>,
}

/// Which unit confirms receipt.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ReceiptInput {
    /// The unit; needed only when the caller writes for several units.
    pub org: Option<OrgId>,
}

/// A receipt and whether this call made it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ReceiptResult {
    pub receipt: Receipt,
    /// False when the unit had already confirmed (nothing changed).
    pub created: bool,
}

/// What the campaign page shows of supervision: the receipt button for each
/// participating unit the caller writes for that has not confirmed, the
/// receipts of the caller's units, and whether the grid opens for the caller.
#[derive(Clone, Debug, Default)]
pub struct CampaignPanel {
    /// Units the caller may confirm for: id, name.
    pub to_confirm: Vec<(OrgId, String)>,
    /// Confirmed receipts of the caller's units: unit name, receipt.
    pub confirmed: Vec<(String, Receipt)>,
    /// Whether the caller may open the grid.
    pub grid: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Day {
        Day::parse_str(s).unwrap()
    }

    fn row(is_unit: bool) -> GridRow {
        GridRow {
            org_id: OrgId(1),
            code: "A".into(),
            name: "甲".into(),
            kind: OrgKind::Street,
            is_unit,
            has_children: false,
            receipt: None,
            plan: None,
            activities: 0,
            last_activity: None,
            problems: 0,
            decided: 0,
            overdue: 0,
            summary: is_unit.then_some(Standing::Missing),
            chases: ChaseCount::default(),
            lights: Lights::default(),
        }
    }

    #[test]
    fn each_column_has_its_light() {
        let w = Workdays::built_in();
        // Issued Monday 2026-11-30; N = 3 working days; report due 2026-12-09.
        let k = |today: &str| Clock {
            days: &w,
            today: day(today),
            issued: day("2026-11-30"),
            window_end: day("2026-12-31"),
            report_due: day("2026-12-09"),
            horizon: 3,
            plan_days: 10,
        };
        let mut r = row(true);
        // Three working days after issue is Thursday 3 December.
        assert_eq!(lights(&r, &k("2026-12-01")).received, Some(Light::Yellow));
        assert_eq!(lights(&r, &k("2026-12-03")).received, Some(Light::Yellow));
        assert_eq!(lights(&r, &k("2026-12-04")).received, Some(Light::Red));
        // Missing summary: green early, yellow within N days, red after.
        assert_eq!(lights(&r, &k("2026-12-01")).summary, Some(Light::Green));
        assert_eq!(lights(&r, &k("2026-12-04")).summary, Some(Light::Yellow));
        assert_eq!(lights(&r, &k("2026-12-10")).summary, Some(Light::Red));
        // Plan: yellow until ten working days after issue (14 December), then red.
        assert_eq!(lights(&r, &k("2026-12-14")).plan, Some(Light::Yellow));
        assert_eq!(lights(&r, &k("2026-12-15")).plan, Some(Light::Red));
        r.plan = Some(PlanStatus::Submitted);
        assert_eq!(lights(&r, &k("2026-12-15")).plan, Some(Light::Green));
        r.receipt = Some(Receipt {
            campaign_id: crate::db::CampaignId(1),
            org_id: OrgId(1),
            receiver: "x".into(),
            received_at: 0,
        });
        assert_eq!(lights(&r, &k("2026-12-10")).received, Some(Light::Green));
        // A late table is in: nothing is owed any more.
        r.summary = Some(Standing::Late);
        assert_eq!(lights(&r, &k("2026-12-10")).summary, Some(Light::Green));
        r.summary = Some(Standing::Accepted);
        assert_eq!(lights(&r, &k("2026-12-10")).summary, Some(Light::Green));
        // Problems: red with any overdue, yellow with undecided ones.
        r.problems = 3;
        r.decided = 2;
        assert_eq!(lights(&r, &k("2026-12-10")).problems, Some(Light::Yellow));
        r.overdue = 1;
        assert_eq!(lights(&r, &k("2026-12-10")).problems, Some(Light::Red));
        // One level down, receipt, plan and summary do not apply.
        let below = lights(&row(false), &k("2026-12-10"));
        assert_eq!(
            (below.received, below.plan, below.summary),
            (None, None, None)
        );
        assert!(below.activities.is_some());
    }

    #[test]
    fn sorting_by_summary_puts_missing_first_and_filters_select() {
        let mut rows: Vec<GridRow> = [Standing::Accepted, Standing::Missing, Standing::Late]
            .into_iter()
            .enumerate()
            .map(|(i, s)| GridRow {
                org_id: OrgId(i as i64),
                summary: Some(s),
                overdue: i as i64,
                ..row(true)
            })
            .collect();
        sort(&mut rows, Column::Summary, false);
        let order: Vec<i64> = rows.iter().map(|r| r.org_id.0).collect();
        assert_eq!(order, vec![1, 2, 0]);
        sort(&mut rows, Column::Summary, true);
        assert_eq!(rows[0].org_id.0, 0);
        sort(&mut rows, Column::Overdue, true);
        assert_eq!(rows[0].overdue, 2);
        let f = Filter {
            summary: Some(Standing::Missing),
            ..Filter::default()
        };
        assert_eq!(rows.iter().filter(|r| f.keeps(r)).count(), 1);
        let f = Filter {
            overdue: true,
            ..Filter::default()
        };
        assert_eq!(rows.iter().filter(|r| f.keeps(r)).count(), 2);
        let t = totals(&rows, &|_| true);
        assert_eq!((t.rows, t.summaries_in, t.summaries_on_time), (3, 2, 1));
        assert_eq!(t.on_time_rate, Some(50));
    }

    #[test]
    fn a_chase_names_every_bad_field() {
        let AppError::Validation(errs) = ChaseInput::default().parse().unwrap_err() else {
            panic!()
        };
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["kind", "message", "org_ids", "client_id"]);
        let long = ChaseInput {
            kind: Some("report".into()),
            message: Some("催".repeat(501)),
            org_ids: vec![OrgId(2), OrgId(2)],
            client_id: Some("b1".into()),
            level: None,
        };
        let AppError::Validation(errs) = long.parse().unwrap_err() else {
            panic!()
        };
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].field, "message");
        let ok = ChaseInput {
            message: Some(" 请于周五前报送 ".into()),
            ..long
        }
        .parse()
        .unwrap();
        assert_eq!(ok.org_ids, vec![OrgId(2)]);
        assert_eq!(ok.message, "请于周五前报送");
        assert_eq!(ok.kind, ChaseKind::Report);
    }
}
