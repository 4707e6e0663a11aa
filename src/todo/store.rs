//! The to-do list's reads. Each query takes the orgs the person acts for (the
//! roots of their write scope) and returns only rows of those orgs, or of
//! campaigns those orgs issued: access is in the SQL, like every store.
//!
//! This is a read model over other modules' tables (as a dashboard is): the
//! rules of what is waiting are stated once here, next to each other, so the
//! list cannot disagree with itself. States are read in the modules' stored
//! spellings (`summaries.status`, `problems.state`, `mediation_cases.state`).

use sqlx::AssertSqlSafe;

use super::{Item, ItemKind, item, sort};
use crate::{
    date::Day,
    db::{Db, DbError, OrgId},
    notify::excerpt,
    workday::{Light, Workdays},
};

/// More items than this of one kind at one org and colour fold into one line
/// that opens the filtered list (a street with 40 overdue problems sees one
/// red line, not 40).
const FOLD_OVER: usize = 5;

/// What the list is computed for.
#[derive(Clone, Debug)]
pub struct Ctx {
    /// The orgs the person acts for.
    pub orgs: Vec<OrgId>,
    pub today: Day,
    pub days: Workdays,
    /// The yellow horizon, in working days.
    pub within: u32,
    /// Working days an undecided problem may wait before it is listed.
    pub open_days: u32,
}

impl Ctx {
    /// The org ids as an SQL list; ids are integers read from the database.
    fn ids(&self) -> String {
        if self.orgs.is_empty() {
            return "0".into();
        }
        self.orgs
            .iter()
            .map(|o| o.0.to_string())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The deadline of work that has none of its own: the day it arrived plus
    /// the reminder horizon.
    fn answer_by(&self, arrived_at: i64) -> Day {
        self.days.add(Day::of_timestamp(arrived_at), self.within)
    }

    fn timed(&self, i: Item) -> Item {
        i.timed(&self.days, self.today, self.within)
    }
}

fn day(s: &str) -> Option<Day> {
    Day::from_db(s)
}

/// Everything waiting for the person, most urgent first.
pub async fn items(db: &Db, ctx: &Ctx) -> Result<Vec<Item>, DbError> {
    let mut out = Vec::new();
    if ctx.orgs.is_empty() {
        return Ok(out);
    }
    chased(db, ctx, &mut out).await?;
    receipts(db, ctx, &mut out).await?;
    summaries_to_submit(db, ctx, &mut out).await?;
    units_missing(db, ctx, &mut out).await?;
    reviews(db, ctx, &mut out).await?;
    problems(db, ctx, &mut out).await?;
    mediation(db, ctx, &mut out).await?;
    applications(db, ctx, &mut out).await?;
    milestones(db, ctx, &mut out).await?;
    let mut out = fold(out);
    sort(&mut out);
    Ok(out)
}

type ChaseRow = (
    i64,
    String,
    i64,
    String,
    String,
    String,
    String,
    i64,
    String,
);

/// The latest chase per campaign, unit and kind, while its matter is open: a
/// 催报 until the unit submits after it, a 催办 for the waiting period.
async fn chased(db: &Db, ctx: &Ctx, out: &mut Vec<Item>) -> Result<(), DbError> {
    let sql = format!(
        "SELECT ch.campaign_id, COALESCE(NULLIF(c.doc_number, ''), c.title), ch.org_id, o.name, fo.name, ch.kind, ch.message, \
         ch.created_at, c.report_due_on \
         FROM chases ch JOIN campaigns c ON c.id = ch.campaign_id \
         JOIN orgs o ON o.id = ch.org_id JOIN orgs fo ON fo.id = ch.from_org_id \
         WHERE ch.org_id IN ({ids}) AND c.status = 'active' \
         AND ch.id = (SELECT MAX(x.id) FROM chases x WHERE x.campaign_id = ch.campaign_id \
           AND x.org_id = ch.org_id AND x.kind = ch.kind) \
         AND (ch.kind <> 'report' OR NOT EXISTS (SELECT 1 FROM summary_versions v \
           WHERE v.campaign_id = ch.campaign_id AND v.org_id = ch.org_id \
           AND v.submitted_at >= ch.created_at))",
        ids = ctx.ids()
    );
    let rows: Vec<ChaseRow> = sqlx::query_as(AssertSqlSafe(sql))
        .fetch_all(db.pool())
        .await?;
    for (campaign, title, org, name, from, kind, message, at, report_due) in rows {
        let sent = Day::of_timestamp(at);
        let (due, link) = if kind == "report" {
            (
                day(&report_due),
                format!("/campaigns/{campaign}/summary/{}", org),
            )
        } else {
            if ctx.days.add(sent, ctx.open_days) < ctx.today {
                continue;
            }
            (Some(sent), format!("/campaigns/{campaign}"))
        };
        let mut i = item(ItemKind::Chased, (OrgId(org), name), title, link);
        i.from = Some(from);
        i.message = Some(message);
        i.due = due;
        let mut i = ctx.timed(i);
        // Someone above is waiting: a chase is always red.
        i.light = Light::Red;
        out.push(i);
    }
    Ok(())
}

type CampaignUnitRow = (i64, String, i64, String, String, String);

/// Campaigns issued to our units that nobody confirmed (签收): due within the
/// horizon after the campaign was issued.
async fn receipts(db: &Db, ctx: &Ctx, out: &mut Vec<Item>) -> Result<(), DbError> {
    for r in crate::supervision::store::pending_receipts(db, &ctx.orgs).await? {
        let mut i = item(
            ItemKind::ReceiptPending,
            (r.org_id, r.org_name),
            r.title,
            format!("/campaigns/{}", r.campaign_id.0),
        );
        i.from = Some(r.issuer);
        i.due = Some(ctx.days.add(r.issued_on, ctx.within));
        out.push(ctx.timed(i));
    }
    Ok(())
}

/// Our units' summary tables not yet submitted (missing, draft or returned).
async fn summaries_to_submit(db: &Db, ctx: &Ctx, out: &mut Vec<Item>) -> Result<(), DbError> {
    let sql = format!(
        "SELECT c.id, COALESCE(NULLIF(c.doc_number, ''), c.title), cu.org_id, o.name, c.report_due_on, COALESCE(s.status, 'missing') \
         FROM campaign_units cu JOIN campaigns c ON c.id = cu.campaign_id \
         JOIN orgs o ON o.id = cu.org_id \
         LEFT JOIN summaries s ON s.campaign_id = c.id AND s.org_id = cu.org_id \
         WHERE cu.org_id IN ({ids}) AND c.status = 'active' AND c.kind = 'campaign' \
         AND (s.status IS NULL OR s.status IN ('draft', 'returned'))",
        ids = ctx.ids()
    );
    let rows: Vec<CampaignUnitRow> = sqlx::query_as(AssertSqlSafe(sql))
        .fetch_all(db.pool())
        .await?;
    for (campaign, title, org, name, due, status) in rows {
        let mut i = item(
            ItemKind::SummaryToSubmit,
            (OrgId(org), name),
            title,
            format!("/campaigns/{campaign}/summary/{org}"),
        );
        i.due = day(&due);
        // The state ("returned", "draft", "missing") goes with the item so
        // the page can say which.
        i.message = Some(status);
        out.push(ctx.timed(i));
    }
    Ok(())
}

/// Campaigns we issued whose units have not all submitted, once the deadline
/// is near or past: one line per campaign, opening the grid on those units.
async fn units_missing(db: &Db, ctx: &Ctx, out: &mut Vec<Item>) -> Result<(), DbError> {
    let sql = format!(
        "SELECT c.id, COALESCE(NULLIF(c.doc_number, ''), c.title), c.org_id, o.name, c.report_due_on, COUNT(*) \
         FROM campaigns c JOIN orgs o ON o.id = c.org_id \
         JOIN campaign_units cu ON cu.campaign_id = c.id \
         LEFT JOIN summaries s ON s.campaign_id = c.id AND s.org_id = cu.org_id \
         WHERE c.org_id IN ({ids}) AND c.status = 'active' AND c.kind = 'campaign' \
         AND (s.status IS NULL OR s.status IN ('draft', 'returned')) \
         GROUP BY c.id, c.title, c.doc_number, c.org_id, o.name, c.report_due_on",
        ids = ctx.ids()
    );
    let rows: Vec<(i64, String, i64, String, String, i64)> = sqlx::query_as(AssertSqlSafe(sql))
        .fetch_all(db.pool())
        .await?;
    for (campaign, title, org, name, due, n) in rows {
        let mut i = item(
            ItemKind::UnitsMissing,
            (OrgId(org), name),
            title,
            format!("/campaigns/{campaign}/supervision"),
        );
        i.count = n;
        i.due = day(&due);
        let i = ctx.timed(i);
        if i.light != Light::Green {
            out.push(i);
        }
    }
    Ok(())
}

type ReviewRow = (i64, i64, String, i64, String, i64);

/// Tables, plans and reports units submitted to us, waiting for a decision,
/// and our plans returned to us for revision.
async fn reviews(db: &Db, ctx: &Ctx, out: &mut Vec<Item>) -> Result<(), DbError> {
    let ids = ctx.ids();
    let queries = [
        (
            ItemKind::SummaryToReview,
            format!(
                "SELECT c.id, s.org_id, o.name, c.id, COALESCE(NULLIF(c.doc_number, ''), c.title), \
                 COALESCE((SELECT MAX(v.submitted_at) FROM summary_versions v WHERE v.summary_id = s.id), s.updated_at) \
                 FROM summaries s JOIN campaigns c ON c.id = s.campaign_id JOIN orgs o ON o.id = s.org_id \
                 WHERE c.org_id IN ({ids}) AND s.status = 'submitted'"
            ),
        ),
        (
            ItemKind::PlanToReview,
            format!(
                "SELECT c.id, p.org_id, o.name, c.id, COALESCE(NULLIF(c.doc_number, ''), c.title), p.updated_at \
                 FROM plans p JOIN campaigns c ON c.id = p.campaign_id JOIN orgs o ON o.id = p.org_id \
                 WHERE c.org_id IN ({ids}) AND p.status = 'submitted'"
            ),
        ),
        (
            ItemKind::PlanReturned,
            format!(
                "SELECT c.id, p.org_id, o.name, c.id, COALESCE(NULLIF(c.doc_number, ''), c.title), p.updated_at \
                 FROM plans p JOIN campaigns c ON c.id = p.campaign_id JOIN orgs o ON o.id = p.org_id \
                 WHERE p.org_id IN ({ids}) AND p.status = 'returned' AND c.status = 'active'"
            ),
        ),
        (
            ItemKind::ReportToReview,
            format!(
                "SELECT c.id, r.org_id, o.name, r.id, r.title, COALESCE(r.submitted_at, r.updated_at) \
                 FROM reports r JOIN campaigns c ON c.id = r.campaign_id JOIN orgs o ON o.id = r.org_id \
                 WHERE c.org_id IN ({ids}) AND r.status = 'submitted'"
            ),
        ),
    ];
    for (kind, sql) in queries {
        let rows: Vec<ReviewRow> = sqlx::query_as(AssertSqlSafe(sql))
            .fetch_all(db.pool())
            .await?;
        for (campaign, org, name, record, title, at) in rows {
            let link = match kind {
                ItemKind::SummaryToReview => format!("/campaigns/{campaign}/summary/{org}"),
                ItemKind::PlanToReview | ItemKind::PlanReturned => {
                    format!("/campaigns/{campaign}/plans/{org}")
                }
                _ => format!("/reports/{record}"),
            };
            let mut i = item(kind, (OrgId(org), name), title, link);
            i.due = Some(ctx.answer_by(at));
            out.push(ctx.timed(i));
        }
    }
    Ok(())
}

type ProblemRow = (i64, i64, String, String, Option<String>, i64);

/// Problems our orgs own that wait on us: escalated to us and undecided,
/// decided with a deadline near or past, undecided too long, or decided
/// without feedback to whoever raised them.
async fn problems(db: &Db, ctx: &Ctx, out: &mut Vec<Item>) -> Result<(), DbError> {
    let ids = ctx.ids();
    let horizon = ctx.days.add(ctx.today, ctx.within).iso();
    let last_event = "(SELECT MAX(e.created_at) FROM problem_events e WHERE e.problem_id = p.id)";
    let escalated_to_us = "p.escalated = 1 AND p.owner_org_id <> p.org_id";
    let queries = [
        (
            ItemKind::ProblemEscalated,
            format!(
                "SELECT p.id, p.owner_org_id, o.name, p.description, NULL, \
                 COALESCE((SELECT MAX(e.created_at) FROM problem_events e WHERE e.problem_id = p.id \
                   AND e.kind = 'escalated'), p.created_at) \
                 FROM problems p JOIN orgs o ON o.id = p.owner_org_id \
                 WHERE p.owner_org_id IN ({ids}) AND p.state = 'open' AND {escalated_to_us}"
            ),
        ),
        (
            ItemKind::ProblemDue,
            format!(
                "SELECT p.id, p.owner_org_id, o.name, p.description, p.outcome_on, p.updated_at \
                 FROM problems p JOIN orgs o ON o.id = p.owner_org_id \
                 WHERE p.owner_org_id IN ({ids}) AND p.state = 'decided' \
                 AND p.outcome IN ('in_progress', 'planned') AND p.outcome_on <= '{horizon}'"
            ),
        ),
        (
            ItemKind::ProblemWaiting,
            format!(
                "SELECT p.id, p.owner_org_id, o.name, p.description, NULL, p.created_at \
                 FROM problems p JOIN orgs o ON o.id = p.owner_org_id \
                 WHERE p.owner_org_id IN ({ids}) AND p.state = 'open' AND NOT ({escalated_to_us})"
            ),
        ),
        (
            ItemKind::FeedbackOwed,
            format!(
                "SELECT p.id, p.owner_org_id, o.name, p.description, NULL, COALESCE({last_event}, p.updated_at) \
                 FROM problems p JOIN orgs o ON o.id = p.owner_org_id \
                 WHERE p.owner_org_id IN ({ids}) AND p.state = 'decided' \
                 AND p.outcome IN ('solved', 'reference') \
                 AND NOT EXISTS (SELECT 1 FROM problem_feedback f WHERE f.problem_id = p.id)"
            ),
        ),
    ];
    for (kind, sql) in queries {
        let rows: Vec<ProblemRow> = sqlx::query_as(AssertSqlSafe(sql))
            .fetch_all(db.pool())
            .await?;
        for (id, org, name, description, due, at) in rows {
            let mut i = item(
                kind,
                (OrgId(org), name),
                excerpt(&description),
                format!("/problems/{id}"),
            );
            i.due = match kind {
                ItemKind::ProblemDue => due.as_deref().and_then(day),
                ItemKind::ProblemWaiting => {
                    Some(ctx.days.add(Day::of_timestamp(at), ctx.open_days))
                }
                _ => Some(ctx.answer_by(at)),
            };
            let i = ctx.timed(i);
            // An undecided problem is listed once it has waited too long.
            if kind == ItemKind::ProblemWaiting && i.light != Light::Red {
                continue;
            }
            out.push(i);
        }
    }
    Ok(())
}

/// Open mediation cases whose fifteen days end within the horizon or ended.
async fn mediation(db: &Db, ctx: &Ctx, out: &mut Vec<Item>) -> Result<(), DbError> {
    let sql = format!(
        "SELECT m.id, m.org_id, o.name, m.matter, m.received_on \
         FROM mediation_cases m JOIN orgs o ON o.id = m.org_id \
         WHERE m.org_id IN ({ids}) AND m.state IN ('received', 'mediating')",
        ids = ctx.ids()
    );
    let rows: Vec<(i64, i64, String, String, String)> = sqlx::query_as(AssertSqlSafe(sql))
        .fetch_all(db.pool())
        .await?;
    for (id, org, name, matter, received) in rows {
        let mut i = item(
            ItemKind::MediationDue,
            (OrgId(org), name),
            excerpt(&matter),
            format!("/mediation/{id}"),
        );
        i.due = day(&received).map(crate::mediation::lifecycle::due_on);
        let i = ctx.timed(i);
        if i.light != Light::Green {
            out.push(i);
        }
    }
    Ok(())
}

/// Join applications waiting for a cadre, one line per union.
async fn applications(db: &Db, ctx: &Ctx, out: &mut Vec<Item>) -> Result<(), DbError> {
    let sql = format!(
        "SELECT a.org_id, o.name, COUNT(*), MIN(a.created_at) \
         FROM join_applications a JOIN orgs o ON o.id = a.org_id \
         WHERE a.org_id IN ({ids}) AND a.status = 'pending' GROUP BY a.org_id, o.name",
        ids = ctx.ids()
    );
    let rows: Vec<(i64, String, i64, i64)> = sqlx::query_as(AssertSqlSafe(sql))
        .fetch_all(db.pool())
        .await?;
    for (org, name, n, oldest) in rows {
        let mut i = item(
            ItemKind::JoinApplications,
            (OrgId(org), name.clone()),
            name,
            "/formation/applications".into(),
        );
        i.count = n;
        i.due = Some(ctx.answer_by(oldest));
        out.push(ctx.timed(i));
    }
    Ok(())
}

/// Milestones of our implementation plans due within the horizon.
async fn milestones(db: &Db, ctx: &Ctx, out: &mut Vec<Item>) -> Result<(), DbError> {
    let sql = format!(
        "SELECT c.id, pm.org_id, o.name, pm.title, pm.due_on, COALESCE(NULLIF(c.doc_number, ''), c.title) \
         FROM plan_milestones pm JOIN plans pl ON pl.id = pm.plan_id \
         JOIN campaigns c ON c.id = pl.campaign_id JOIN orgs o ON o.id = pm.org_id \
         WHERE pm.org_id IN ({ids}) AND c.status = 'active' AND pm.due_on >= $1 AND pm.due_on <= $2",
        ids = ctx.ids()
    );
    let rows: Vec<(i64, i64, String, String, String, String)> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(ctx.today.iso())
        .bind(ctx.days.add(ctx.today, ctx.within).iso())
        .fetch_all(db.pool())
        .await?;
    for (campaign, org, name, milestone, due, campaign_title) in rows {
        let mut i = item(
            ItemKind::MilestoneDue,
            (OrgId(org), name),
            milestone,
            format!("/campaigns/{campaign}/plans/{org}"),
        );
        i.from = Some(campaign_title);
        i.due = day(&due);
        out.push(ctx.timed(i));
    }
    Ok(())
}

/// Where a folded line of many problems leads: the list that shows them.
fn folded_link(kind: ItemKind, org: OrgId) -> String {
    match kind {
        ItemKind::ProblemEscalated => "/problems/inbox".into(),
        ItemKind::ProblemDue => "/problems/overdue".into(),
        ItemKind::FeedbackOwed => format!("/problems?org={}&status=solved", org.0),
        _ => format!("/problems?org={}&status=open", org.0),
    }
}

/// Folds many problem items of one kind, org and colour into one line with
/// their count, the earliest deadline and a link to the list.
fn fold(items: Vec<Item>) -> Vec<Item> {
    use std::collections::BTreeMap;
    let mut groups: BTreeMap<(ItemKind, OrgId, Light), Vec<Item>> = BTreeMap::new();
    let mut out = Vec::new();
    for i in items {
        if i.kind.folds() {
            groups
                .entry((i.kind, i.org_id, i.light))
                .or_default()
                .push(i);
        } else {
            out.push(i);
        }
    }
    for ((kind, org, _), mut group) in groups {
        if group.len() <= FOLD_OVER {
            out.append(&mut group);
            continue;
        }
        sort(&mut group);
        let n = group.len() as i64;
        let mut first = group.swap_remove(0);
        first.count = n;
        first.title = String::new();
        first.link = folded_link(kind, org);
        out.push(first);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn many_problems_of_one_kind_and_colour_fold_into_one_line() {
        let w = Workdays::built_in();
        let today = Day::from_db("2026-12-04").unwrap();
        let mk = |kind, org: i64, due: &str| {
            let mut i = item(
                kind,
                (OrgId(org), "街道".into()),
                "问题".into(),
                "/p".into(),
            );
            i.due = Day::from_db(due);
            i.timed(&w, today, 3)
        };
        let mut items: Vec<Item> = (0..7)
            .map(|k| mk(ItemKind::ProblemDue, 1, &format!("2026-11-0{}", k + 1)))
            .collect();
        items.push(mk(ItemKind::ProblemDue, 2, "2026-11-01"));
        items.push(mk(ItemKind::SummaryToSubmit, 1, "2026-11-01"));
        let out = fold(items);
        assert_eq!(out.len(), 3);
        let folded = out
            .iter()
            .find(|i| i.kind == ItemKind::ProblemDue && i.org_id == OrgId(1))
            .unwrap();
        assert_eq!(folded.count, 7);
        assert_eq!(folded.due, Day::from_db("2026-11-01"));
        assert_eq!(folded.link, "/problems/overdue");
        let single = out.iter().find(|i| i.org_id == OrgId(2)).unwrap();
        assert_eq!((single.count, single.link.as_str()), (1, "/p"));
    }
}
