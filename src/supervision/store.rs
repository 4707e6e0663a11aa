//! Supervision queries: receipts, chases, the grid's rows and a unit's
//! timeline. Reads that list records take the caller's [`Scope`]; the grid's
//! figures are asked of the modules that own them (`summary::store::figures`
//! for problems by outcome, `summary::unit_state` for tables,
//! `campaign::store` for plans) and folded into rows with the summary
//! table's own line map, so a row and the unit's summary table count the
//! same records. SQL only: writes run inside the transaction `ops` begins,
//! which also writes their audit entries and notices.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use sqlx::AssertSqlSafe;

use super::{
    ChaseCount, ChaseFields, ChaseKind, GridRow, Lights, Receipt, SupervisionEventKind,
    TimelineEvent,
};
use crate::{
    auth::Scope,
    campaign::{Campaign, Unit},
    date::Day,
    db::{CampaignId, Db, DbError, OrgId, Tx, UserId, now},
    org::OrgKind,
    summary::{
        LineFigures,
        store::{self as summary_store, Lines},
        unit_state,
        workflow::{Decision, Standing},
    },
};

// ---- issue and receipt ----

/// The day a campaign was first issued; its start date when not recorded
/// (campaigns issued before the column existed).
pub async fn issued_on(db: &Db, campaign: &Campaign) -> Result<Day, DbError> {
    let at: Option<i64> = sqlx::query_scalar("SELECT issued_at FROM campaigns WHERE id = $1")
        .bind(campaign.id)
        .fetch_one(db.pool())
        .await?;
    Ok(at.map_or(campaign.starts_on, Day::of_timestamp))
}

/// Records when a campaign was first issued (once).
pub async fn mark_issued(tx: &mut Tx, campaign: CampaignId) -> Result<(), DbError> {
    sqlx::query("UPDATE campaigns SET issued_at = COALESCE(issued_at, $1) WHERE id = $2")
        .bind(now())
        .bind(campaign)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The participating units of a campaign, read inside a write.
pub async fn unit_ids(tx: &mut Tx, campaign: CampaignId) -> Result<Vec<OrgId>, DbError> {
    sqlx::query_scalar("SELECT org_id FROM campaign_units WHERE campaign_id = $1 ORDER BY org_id")
        .bind(campaign)
        .fetch_all(&mut **tx)
        .await
}

/// Whether `org` is one of `units` or lies under one.
pub async fn under_any(db: &Db, units: &[OrgId], org: OrgId) -> Result<bool, DbError> {
    if units.is_empty() {
        return Ok(false);
    }
    let ids: Vec<String> = units.iter().map(|u| u.0.to_string()).collect();
    let n: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM org_tree WHERE descendant_id = $1 AND ancestor_id IN ({})",
        ids.join(",")
    )))
    .bind(org)
    .fetch_one(db.pool())
    .await?;
    Ok(n > 0)
}

/// An org's name (the caller has checked it may read it).
pub async fn org_name(db: &Db, org: OrgId) -> Result<String, DbError> {
    sqlx::query_scalar("SELECT name FROM orgs WHERE id = $1")
        .bind(org)
        .fetch_one(db.pool())
        .await
}

type ReceiptRow = (CampaignId, OrgId, String, i64);

fn receipt_of((campaign_id, org_id, receiver, received_at): ReceiptRow) -> Receipt {
    Receipt {
        campaign_id,
        org_id,
        receiver,
        received_at,
    }
}

/// The unit's receipt of `campaign`, if confirmed and the scope reads the
/// unit or the issuing org.
pub async fn receipt(
    db: &Db,
    scope: &Scope,
    campaign: CampaignId,
    org: OrgId,
) -> Result<Option<Receipt>, DbError> {
    let sql = format!(
        "SELECT r.campaign_id, r.org_id, r.receiver, r.received_at FROM campaign_receipts r \
         JOIN campaigns c ON c.id = r.campaign_id WHERE r.campaign_id = $1 AND r.org_id = $2 \
         AND ({} OR {})",
        scope.sql("r.org_id"),
        scope.sql("c.org_id")
    );
    let row: Option<ReceiptRow> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(campaign)
        .bind(org)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(receipt_of))
}

/// Every confirmed receipt of a campaign, by unit (the caller has checked
/// which rows it may show).
async fn receipts(db: &Db, campaign: CampaignId) -> Result<HashMap<OrgId, Receipt>, DbError> {
    let rows: Vec<ReceiptRow> = sqlx::query_as(
        "SELECT campaign_id, org_id, receiver, received_at FROM campaign_receipts WHERE campaign_id = $1",
    )
    .bind(campaign)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(|r| (r.1, receipt_of(r))).collect())
}

/// Confirms `org`'s receipt of `campaign` by `by` (user, display name). A
/// second confirmation finds the first (the primary key) and changes
/// nothing: the receipt and whether it is new.
pub async fn confirm(
    tx: &mut Tx,
    campaign: CampaignId,
    org: OrgId,
    by: (Option<UserId>, &str),
) -> Result<(Receipt, bool), DbError> {
    let done = sqlx::query(
        "INSERT INTO campaign_receipts (campaign_id, org_id, received_by, receiver, received_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (campaign_id, org_id) DO NOTHING",
    )
    .bind(campaign)
    .bind(org)
    .bind(by.0)
    .bind(by.1)
    .bind(now())
    .execute(&mut **tx)
    .await?;
    let row: ReceiptRow = sqlx::query_as(
        "SELECT campaign_id, org_id, receiver, received_at FROM campaign_receipts \
         WHERE campaign_id = $1 AND org_id = $2",
    )
    .bind(campaign)
    .bind(org)
    .fetch_one(&mut **tx)
    .await?;
    Ok((receipt_of(row), done.rows_affected() == 1))
}

/// An active campaign one of a person's units has not confirmed yet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PendingReceipt {
    pub campaign_id: CampaignId,
    /// The short name: its document number (文号) when it has one, else its title.
    pub title: String,
    /// The issuing org's name.
    pub issuer: String,
    /// The unit that should confirm.
    pub org_id: OrgId,
    pub org_name: String,
    /// When it was issued (its start date when not recorded).
    pub issued_on: Day,
    pub report_due_on: Day,
}

/// For the to-do list: the active campaigns in which one of `orgs` (the
/// units a person writes for, typically the orgs of their cadre and admin
/// grants) participates and has not confirmed receipt, oldest issue first.
pub async fn pending_receipts(db: &Db, orgs: &[OrgId]) -> Result<Vec<PendingReceipt>, DbError> {
    if orgs.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = orgs.iter().map(|o| o.0.to_string()).collect();
    let sql = format!(
        "SELECT c.id, COALESCE(NULLIF(c.doc_number, ''), c.title), io.name, cu.org_id, uo.name, \
         c.issued_at, c.starts_on, c.report_due_on \
         FROM campaign_units cu JOIN campaigns c ON c.id = cu.campaign_id \
         JOIN orgs io ON io.id = c.org_id JOIN orgs uo ON uo.id = cu.org_id \
         WHERE c.status = 'active' AND cu.org_id IN ({}) AND NOT EXISTS \
         (SELECT 1 FROM campaign_receipts r WHERE r.campaign_id = c.id AND r.org_id = cu.org_id) \
         ORDER BY c.starts_on, c.id, cu.org_id",
        ids.join(",")
    );
    type Row = (
        CampaignId,
        String,
        String,
        OrgId,
        String,
        Option<i64>,
        String,
        String,
    );
    let rows: Vec<Row> = sqlx::query_as(AssertSqlSafe(sql))
        .fetch_all(db.pool())
        .await?;
    Ok(rows
        .into_iter()
        .map(
            |(campaign_id, title, issuer, org_id, org_name, issued_at, starts, due)| {
                let starts = Day::from_db(&starts).unwrap_or_else(Day::today);
                PendingReceipt {
                    campaign_id,
                    title,
                    issuer,
                    org_id,
                    org_name,
                    issued_on: issued_at.map_or(starts, Day::of_timestamp),
                    report_due_on: Day::from_db(&due).unwrap_or(starts),
                }
            },
        )
        .collect())
}

// ---- chases ----

/// One recorded chase.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Chase {
    pub id: i64,
    pub campaign_id: CampaignId,
    /// The org chased.
    pub org_id: OrgId,
    /// The org that chased.
    pub from_org_id: OrgId,
    pub kind: ChaseKind,
    pub message: String,
    /// The action's client id, shared by the orgs chased together.
    pub batch: String,
    pub sender: String,
    pub created_at: i64,
}

type ChaseRow = (
    i64,
    CampaignId,
    OrgId,
    OrgId,
    ChaseKind,
    String,
    String,
    String,
    i64,
);

const CHASE_COLUMNS: &str = "SELECT id, campaign_id, org_id, from_org_id, kind, message, batch, sender, created_at FROM chases";

fn chase_of(r: ChaseRow) -> Chase {
    Chase {
        id: r.0,
        campaign_id: r.1,
        org_id: r.2,
        from_org_id: r.3,
        kind: r.4,
        message: r.5,
        batch: r.6,
        sender: r.7,
        created_at: r.8,
    }
}

/// Who chases: the org chasing and the user.
pub struct Chaser<'a> {
    pub from: (OrgId, &'a str),
    pub user: Option<UserId>,
    pub username: Option<&'a str>,
    pub display_name: &'a str,
    pub ip: Option<&'a str>,
}

/// Records one chase of each org of `f` (already checked to be rows of the
/// chaser's level). A retried action (same batch) finds its rows and chases
/// no one again: the chases of the batch, and the ids of the new ones.
pub async fn chase(
    tx: &mut Tx,
    campaign: &Campaign,
    who: &Chaser<'_>,
    f: &ChaseFields,
) -> Result<(Vec<Chase>, Vec<(OrgId, i64)>), DbError> {
    let at = now();
    let mut created = Vec::new();
    for org in &f.org_ids {
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO chases (campaign_id, org_id, from_org_id, kind, message, batch, sent_by, sender, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (batch, org_id) DO NOTHING RETURNING id",
        )
        .bind(campaign.id)
        .bind(*org)
        .bind(who.from.0)
        .bind(f.kind)
        .bind(&f.message)
        .bind(&f.batch)
        .bind(who.user)
        .bind(who.display_name)
        .bind(at)
        .fetch_optional(&mut **tx)
        .await?;
        if let Some(id) = id {
            created.push((*org, id));
        }
    }
    let rows: Vec<ChaseRow> = sqlx::query_as(AssertSqlSafe(format!(
        "{CHASE_COLUMNS} WHERE batch = $1 AND campaign_id = $2 ORDER BY id"
    )))
    .bind(&f.batch)
    .bind(campaign.id)
    .fetch_all(&mut **tx)
    .await?;
    Ok((rows.into_iter().map(chase_of).collect(), created))
}

/// How often each org was chased in a campaign, by kind, and the last time.
async fn chase_counts(
    db: &Db,
    campaign: CampaignId,
) -> Result<HashMap<OrgId, ChaseCount>, DbError> {
    let rows: Vec<(OrgId, ChaseKind, i64, i64)> = sqlx::query_as(
        "SELECT org_id, kind, COUNT(*), MAX(created_at) FROM chases WHERE campaign_id = $1 \
         GROUP BY org_id, kind",
    )
    .bind(campaign)
    .fetch_all(db.pool())
    .await?;
    let mut out: HashMap<OrgId, ChaseCount> = HashMap::new();
    for (org, kind, n, last) in rows {
        let c = out.entry(org).or_default();
        match kind {
            ChaseKind::Report => c.report += n,
            ChaseKind::Act => c.act += n,
        }
        c.last_at = c.last_at.max(Some(last));
    }
    Ok(out)
}

/// The chases of `org` in a campaign, oldest first, if the scope reads it.
pub async fn chases_of(
    db: &Db,
    scope: &Scope,
    campaign: CampaignId,
    org: OrgId,
) -> Result<Vec<Chase>, DbError> {
    let rows: Vec<ChaseRow> = sqlx::query_as(AssertSqlSafe(format!(
        "{CHASE_COLUMNS} WHERE campaign_id = $1 AND org_id = $2 AND ({} OR {}) ORDER BY id",
        scope.sql("org_id"),
        scope.sql("from_org_id")
    )))
    .bind(campaign)
    .bind(org)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(chase_of).collect())
}

// ---- the grid ----

/// Which rows a grid has.
#[derive(Clone, Debug)]
pub enum Level {
    /// The campaign's units (all, or those the caller reads).
    Units(Vec<Unit>),
    /// The child orgs of one org (one level down).
    Children(OrgId),
}

/// An org of a row: id, code, name, kind.
type OrgRow = (OrgId, String, String, String);

/// The active child orgs of `org`, in tree order.
pub async fn children(
    db: &Db,
    org: OrgId,
) -> Result<Vec<(OrgId, String, String, OrgKind)>, DbError> {
    let rows: Vec<OrgRow> = sqlx::query_as(
        "SELECT id, code, name, kind FROM orgs WHERE parent_id = $1 AND active = 1 \
         ORDER BY display_order, sort_key, id",
    )
    .bind(org)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, code, name, kind)| {
            (
                id,
                code,
                name,
                OrgKind::parse(&kind).unwrap_or(OrgKind::Grassroots),
            )
        })
        .collect())
}

/// Which of `orgs` have active child orgs.
async fn with_children(db: &Db, orgs: &[OrgId]) -> Result<HashSet<OrgId>, DbError> {
    if orgs.is_empty() {
        return Ok(HashSet::new());
    }
    let ids: Vec<String> = orgs.iter().map(|o| o.0.to_string()).collect();
    let rows: Vec<OrgId> = sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT DISTINCT parent_id FROM orgs WHERE active = 1 AND parent_id IN ({})",
        ids.join(",")
    )))
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().collect())
}

/// Groups of rows whose subtrees do not overlap, so each group is one
/// [`Lines`] for the summary table's figures (a unit nested under another
/// unit is a group of its own).
async fn line_groups(db: &Db, orgs: &[OrgId]) -> Result<Vec<Lines>, DbError> {
    let nested = summary_store::nested(db, orgs).await?;
    let mut out = vec![Lines {
        units: orgs
            .iter()
            .filter(|o| !nested.contains(o))
            .copied()
            .collect(),
        own: None,
    }];
    out.extend(
        orgs.iter()
            .filter(|o| nested.contains(o))
            .map(|o| Lines::unit(*o)),
    );
    Ok(out)
}

/// The per-row figures that are not the summary table's: activity records,
/// the last activity day and overdue problems (owned in the row's subtree,
/// in progress or planned with a date before `today`, as the reminder sweep
/// and the problem list's overdue filter define it).
#[derive(Clone, Copy, Debug, Default)]
struct Extra {
    activities: i64,
    last: Option<Day>,
    overdue: i64,
}

async fn extras(
    db: &Db,
    scope: &Scope,
    campaign: CampaignId,
    lines: &Lines,
    today: Day,
) -> Result<HashMap<OrgId, Extra>, DbError> {
    let map = summary_store::line_map(db, scope, lines).await?;
    let mut out: HashMap<OrgId, Extra> = HashMap::new();
    if map.is_empty() {
        return Ok(out);
    }
    let ids: Vec<String> = map.keys().map(|o| o.0.to_string()).collect();
    let ids = ids.join(",");
    let acts: Vec<(OrgId, i64, Option<String>)> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT org_id, COUNT(*), MAX(held_on) FROM activities WHERE campaign_id = $1 \
         AND org_id IN ({ids}) GROUP BY org_id"
    )))
    .bind(campaign)
    .fetch_all(db.pool())
    .await?;
    for (org, n, last) in acts {
        let Some(line) = map.get(&org) else { continue };
        let e = out.entry(*line).or_default();
        e.activities += n;
        e.last = e.last.max(last.as_deref().and_then(Day::from_db));
    }
    let overdue: Vec<(OrgId, i64)> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT owner_org_id, COUNT(*) FROM problems WHERE campaign_id = $1 AND state = 'decided' \
         AND outcome IN ('in_progress', 'planned') AND outcome_on < $2 AND owner_org_id IN ({ids}) \
         GROUP BY owner_org_id"
    )))
    .bind(campaign)
    .bind(today.iso())
    .fetch_all(db.pool())
    .await?;
    for (org, n) in overdue {
        let Some(line) = map.get(&org) else { continue };
        out.entry(*line).or_default().overdue += n;
    }
    Ok(out)
}

/// The rows of a grid, in tree order, with their figures (lights are set by
/// the caller, which knows the clock). `scope` is the caller's read scope:
/// the summary table's figures read nothing outside it.
pub async fn grid(
    db: &Db,
    scope: &Scope,
    campaign: &Campaign,
    level: &Level,
    today: Day,
) -> Result<Vec<GridRow>, DbError> {
    let id = campaign.id;
    let (orgs, is_unit): (Vec<(OrgId, String, String, OrgKind)>, bool) = match level {
        Level::Units(units) => (
            units
                .iter()
                .map(|u| (u.org_id, u.code.clone(), u.name.clone(), u.kind))
                .collect(),
            true,
        ),
        Level::Children(org) => (children(db, *org).await?, false),
    };
    let ids: Vec<OrgId> = orgs.iter().map(|o| o.0).collect();
    let mut figs: HashMap<OrgId, LineFigures> = HashMap::new();
    let mut extra: HashMap<OrgId, Extra> = HashMap::new();
    if !ids.is_empty() {
        for lines in line_groups(db, &ids).await? {
            figs.extend(summary_store::figures(db, scope, id, &lines).await?);
            extra.extend(extras(db, scope, id, &lines, today).await?);
        }
    }
    let parents = with_children(db, &ids).await?;
    let chases = chase_counts(db, id).await?;
    let (receipts, plans, states) = if is_unit {
        (
            receipts(db, id).await?,
            crate::campaign::store::plan_statuses(db, id).await?,
            unit_state::states(db, scope, id).await?,
        )
    } else {
        Default::default()
    };
    Ok(orgs
        .into_iter()
        .map(|(org_id, code, name, kind)| {
            let f = figs.get(&org_id).cloned().unwrap_or_default();
            let problems: i64 = f.outcomes.all().total();
            let undecided: i64 = f.outcomes.all().open;
            let x = extra.get(&org_id).copied().unwrap_or_default();
            GridRow {
                is_unit,
                has_children: parents.contains(&org_id),
                receipt: receipts.get(&org_id).cloned(),
                plan: plans.get(&org_id).map(|p| p.0),
                activities: x.activities,
                last_activity: x.last,
                problems,
                decided: problems - undecided,
                overdue: x.overdue,
                summary: is_unit.then(|| states.get(&org_id).copied().unwrap_or(Standing::Missing)),
                chases: chases.get(&org_id).copied().unwrap_or_default(),
                lights: Lights::default(),
                org_id,
                code,
                name,
                kind,
            }
        })
        .collect())
}

/// Whether each unit that submitted did so on time: the verdict stored with
/// its first submission, as the summary roll-up judges it.
pub async fn on_time(
    db: &Db,
    scope: &Scope,
    campaign: CampaignId,
) -> Result<HashMap<OrgId, bool>, DbError> {
    Ok(summary_store::facts(db, scope, campaign)
        .await?
        .into_iter()
        .map(|(org, f)| (org, !f.first_late))
        .collect())
}

// ---- the timeline ----

/// Everything that happened between the campaign and one org, oldest first:
/// receipt, plan events, summary versions and their decisions, chases. The
/// caller has checked that it reads the org or the issuing org.
pub async fn timeline(
    db: &Db,
    scope: &Scope,
    campaign: CampaignId,
    org: OrgId,
) -> Result<Vec<TimelineEvent>, DbError> {
    let mut out = Vec::new();
    if let Some(r) = receipt(db, scope, campaign, org).await? {
        out.push(TimelineEvent {
            at: r.received_at,
            kind: SupervisionEventKind::Received,
            actor: r.receiver,
            detail: None,
            late: false,
        });
    }
    let plan: Vec<(String, i64, String, Option<String>, i64)> = sqlx::query_as(
        "SELECT e.action, e.version, e.actor, e.reason, e.created_at FROM plan_events e \
         JOIN plans p ON p.id = e.plan_id WHERE p.campaign_id = $1 AND p.org_id = $2 ORDER BY e.id",
    )
    .bind(campaign)
    .bind(org)
    .fetch_all(db.pool())
    .await?;
    for (action, version, actor, reason, at) in plan {
        // Plan events this grid does not show (none today) are left out.
        let Ok(kind) = format!("plan_{action}").parse::<SupervisionEventKind>() else {
            continue;
        };
        out.push(TimelineEvent {
            at,
            kind,
            actor,
            detail: reason.or_else(|| (version > 0).then(|| format!("v{version}"))),
            late: false,
        });
    }
    type VersionRow = (
        i64,
        String,
        i64,
        i64,
        Option<Decision>,
        Option<String>,
        Option<i64>,
        Option<String>,
    );
    let versions: Vec<VersionRow> = sqlx::query_as(
        "SELECT version, submitter, submitted_at, late, decision, decider, decided_at, reasons \
         FROM summary_versions WHERE campaign_id = $1 AND org_id = $2 ORDER BY version",
    )
    .bind(campaign)
    .bind(org)
    .fetch_all(db.pool())
    .await?;
    for (version, submitter, at, late, decision, decider, decided_at, reasons) in versions {
        out.push(TimelineEvent {
            at,
            kind: SupervisionEventKind::SummarySubmitted,
            actor: submitter,
            detail: Some(format!("v{version}")),
            late: late != 0,
        });
        if let (Some(d), Some(when)) = (decision, decided_at) {
            let reason = reasons
                .and_then(|r| {
                    serde_json::from_str::<crate::summary::workflow::ReturnReasons>(&r).ok()
                })
                .map(|r| {
                    let mut parts: Vec<String> = Vec::new();
                    if !r.reason.trim().is_empty() {
                        parts.push(r.reason.trim().to_string());
                    }
                    parts.extend(r.lines.iter().map(|l| format!("{}: {}", l.line, l.reason)));
                    parts.join("；")
                })
                .filter(|s| !s.is_empty());
            out.push(TimelineEvent {
                at: when,
                kind: SupervisionEventKind::summary(d),
                actor: decider.unwrap_or_default(),
                detail: Some(match reason {
                    Some(r) => format!("v{version} {r}"),
                    None => format!("v{version}"),
                }),
                late: false,
            });
        }
    }
    for c in chases_of(db, scope, campaign, org).await? {
        out.push(TimelineEvent {
            at: c.created_at,
            kind: SupervisionEventKind::chased(c.kind),
            actor: c.sender,
            detail: Some(c.message),
            late: false,
        });
    }
    out.sort_by_key(|e| e.at);
    Ok(out)
}
