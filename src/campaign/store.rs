//! Campaign and plan queries. Every read takes the caller's [`Scope`]: a
//! campaign is visible to readers of its issuing org and, once issued, to
//! readers related to one of its units — those over the unit, and those under
//! it (a grassroots cadre under a participating street works for the street's
//! numbers). Writes run inside the caller's transaction.

use std::collections::HashMap;

use sqlx::AssertSqlSafe;

use super::{
    Campaign, CampaignFields, CampaignKind, CampaignStatus, Progress, Targets, Unit,
    plan::{
        self, Milestone, Plan, PlanAction, PlanContent, PlanEvent, PlanEventAction, PlanStatus,
    },
};
use crate::{
    auth::Scope,
    date::Day,
    db::{CampaignId, Db, DbError, OrgId, PlanId, Sql, Tx, UserId, now},
    error::AppError,
    org::OrgKind,
};

/// An SQL condition that the unit `column` is related to the scope: inside it,
/// or an ancestor of one of its roots.
pub fn related_sql(scope: &Scope, column: &str) -> String {
    if scope.is_empty() {
        return "1 = 0".into();
    }
    let roots: Vec<String> = scope.roots().iter().map(|r| r.0.to_string()).collect();
    format!(
        "({} OR {column} IN (SELECT ancestor_id FROM org_tree WHERE descendant_id IN ({})))",
        scope.sql(column),
        roots.join(",")
    )
}

/// An SQL condition that the campaign `c` is visible to the scope.
pub fn visible_sql(scope: &Scope) -> String {
    format!(
        "({} OR (c.status <> 'draft' AND EXISTS (SELECT 1 FROM campaign_units cu \
         WHERE cu.campaign_id = c.id AND {})))",
        scope.sql("c.org_id"),
        related_sql(scope, "cu.org_id")
    )
}

const SELECT: &str = "SELECT c.id, c.org_id, o.code AS org_code, o.name AS org_name, c.kind, c.title, c.doc_number, \
    c.theme, c.notice, c.starts_on, c.ends_on, c.report_due_on, c.status, c.copied_from, \
    (SELECT COUNT(*) FROM campaign_units n WHERE n.campaign_id = c.id) AS unit_count, \
    c.created_at, c.updated_at FROM campaigns c JOIN orgs o ON o.id = c.org_id";

#[derive(sqlx::FromRow)]
struct Row {
    id: CampaignId,
    org_id: OrgId,
    org_code: String,
    org_name: String,
    kind: CampaignKind,
    title: String,
    doc_number: Option<String>,
    theme: Option<String>,
    notice: Option<String>,
    starts_on: Day,
    ends_on: Day,
    report_due_on: Day,
    status: CampaignStatus,
    copied_from: Option<CampaignId>,
    unit_count: i64,
    created_at: i64,
    updated_at: i64,
}

impl From<Row> for Campaign {
    fn from(r: Row) -> Self {
        Campaign {
            id: r.id,
            org_id: r.org_id,
            org_code: r.org_code,
            org_name: r.org_name,
            kind: r.kind,
            title: r.title,
            doc_number: r.doc_number,
            theme: r.theme,
            notice: r.notice,
            starts_on: r.starts_on,
            ends_on: r.ends_on,
            report_due_on: r.report_due_on,
            status: r.status,
            copied_from: r.copied_from,
            unit_count: r.unit_count,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// The campaigns the scope sees, newest first, optionally of one status.
pub async fn list(
    db: &Db,
    scope: &Scope,
    status: Option<CampaignStatus>,
    limit: i64,
) -> Result<Vec<Campaign>, DbError> {
    let mut q = Sql::new(SELECT);
    q.push(" WHERE ").push(&visible_sql(scope));
    if let Some(s) = status {
        q.push(" AND c.status = ").bind(s);
    }
    q.push(" ORDER BY c.starts_on DESC, c.id DESC LIMIT ")
        .bind(limit);
    let (sql, args) = q.build();
    let rows: Vec<Row> = sqlx::query_as_with(sql, args).fetch_all(db.pool()).await?;
    Ok(rows.into_iter().map(Campaign::from).collect())
}

/// One campaign, if the scope sees it.
pub async fn get(db: &Db, scope: &Scope, id: CampaignId) -> Result<Option<Campaign>, DbError> {
    let sql = format!("{SELECT} WHERE c.id = $1 AND {}", visible_sql(scope));
    let row: Option<Row> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(Campaign::from))
}

#[derive(sqlx::FromRow)]
struct UnitRow {
    org_id: OrgId,
    code: String,
    name: String,
    kind: String,
    target_enterprises: i64,
    target_interviews: i64,
    target_symposiums: i64,
    target_problems: i64,
}

/// The units of a campaign in tree order; with `only`, just those related to
/// that scope (see [`related_sql`]).
pub async fn units(db: &Db, id: CampaignId, only: Option<&Scope>) -> Result<Vec<Unit>, DbError> {
    let filter = only
        .map(|s| format!(" AND {}", related_sql(s, "cu.org_id")))
        .unwrap_or_default();
    let sql = format!(
        "SELECT cu.org_id, o.code, o.name, o.kind, cu.target_enterprises, cu.target_interviews, \
         cu.target_symposiums, cu.target_problems FROM campaign_units cu JOIN orgs o ON o.id = cu.org_id \
         WHERE cu.campaign_id = $1{filter} ORDER BY (SELECT COUNT(*) FROM org_tree x WHERE x.descendant_id = o.id), o.display_order, o.sort_key, o.id"
    );
    let rows: Vec<UnitRow> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(id)
        .fetch_all(db.pool())
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| Unit {
            org_id: r.org_id,
            code: r.code,
            name: r.name,
            kind: OrgKind::parse(&r.kind).unwrap_or(OrgKind::Grassroots),
            targets: Targets {
                enterprises: r.target_enterprises,
                interviews: r.target_interviews,
                symposiums: r.target_symposiums,
                problems: r.target_problems,
            },
        })
        .collect())
}

/// The kinds every active org of which, strictly under `issuer`, is among `units`.
pub async fn full_kinds(db: &Db, issuer: OrgId, units: &[Unit]) -> Result<Vec<OrgKind>, DbError> {
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT o.id, o.kind FROM orgs o JOIN org_tree t ON t.descendant_id = o.id \
         WHERE t.ancestor_id = $1 AND t.depth > 0 AND o.active = 1",
    )
    .bind(issuer)
    .fetch_all(db.pool())
    .await?;
    let mut out = Vec::new();
    for kind in OrgKind::ALL {
        let of_kind: Vec<i64> = rows
            .iter()
            .filter(|(_, k)| k == kind.as_str())
            .map(|(id, _)| *id)
            .collect();
        if !of_kind.is_empty()
            && of_kind
                .iter()
                .all(|id| units.iter().any(|u| u.org_id.0 == *id))
        {
            out.push(kind);
        }
    }
    Ok(out)
}

/// The orgs strictly under `issuer` that are active and of one of `kinds`, or
/// (active or not) have one of `codes`: id and code, in tree order.
pub async fn units_under(
    db: &Db,
    issuer: OrgId,
    kinds: &[OrgKind],
    codes: &[String],
) -> Result<Vec<(OrgId, String)>, DbError> {
    if kinds.is_empty() && codes.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Sql::new(
        "SELECT o.id, o.code FROM orgs o JOIN org_tree t ON t.descendant_id = o.id WHERE t.ancestor_id = ",
    );
    q.bind(issuer).push(" AND t.depth > 0 AND (1 = 0");
    if !kinds.is_empty() {
        q.push(" OR (o.active = 1 AND o.kind IN (");
        for (i, k) in kinds.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.bind(k.as_str().to_string());
        }
        q.push("))");
    }
    if !codes.is_empty() {
        q.push(" OR o.code IN (");
        for (i, c) in codes.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.bind(c.clone());
        }
        q.push(")");
    }
    q.push(") ORDER BY t.depth, o.display_order, o.sort_key, o.id");
    let (sql, args) = q.build();
    sqlx::query_as_with(sql, args).fetch_all(db.pool()).await
}

/// The live progress of every unit of a campaign, from the activities and
/// problems of the unit's subtree: three grouped queries over `org_tree`.
pub async fn progress(db: &Db, id: CampaignId) -> Result<HashMap<OrgId, Progress>, DbError> {
    let mut out: HashMap<OrgId, Progress> = HashMap::new();
    let visited: Vec<(OrgId, i64)> = sqlx::query_as(
        "SELECT cu.org_id, COUNT(DISTINCT ae.enterprise_id) FROM campaign_units cu \
         JOIN org_tree t ON t.ancestor_id = cu.org_id \
         JOIN activities a ON a.campaign_id = cu.campaign_id AND a.org_id = t.descendant_id \
         JOIN activity_enterprises ae ON ae.activity_id = a.id \
         WHERE cu.campaign_id = $1 GROUP BY cu.org_id",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    for (org, n) in visited {
        out.entry(org).or_default().enterprises = n;
    }
    let acts: Vec<(OrgId, i64, i64, i64)> = sqlx::query_as(
        "SELECT cu.org_id, CAST(COALESCE(SUM(a.workers_interviewed), 0) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN a.kind = 'symposium' THEN 1 ELSE 0 END), 0) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN a.kind = 'symposium' THEN a.participants ELSE 0 END), 0) AS BIGINT) \
         FROM campaign_units cu JOIN org_tree t ON t.ancestor_id = cu.org_id \
         JOIN activities a ON a.campaign_id = cu.campaign_id AND a.org_id = t.descendant_id \
         WHERE cu.campaign_id = $1 GROUP BY cu.org_id",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    for (org, interviews, symposiums, participants) in acts {
        let p = out.entry(org).or_default();
        p.interviews = interviews;
        p.symposiums = symposiums;
        p.participants = participants;
    }
    let probs: Vec<(OrgId, i64, i64)> = sqlx::query_as(
        "SELECT cu.org_id, COUNT(*), \
         CAST(COALESCE(SUM(CASE WHEN p.state <> 'open' AND p.outcome = 'solved' THEN 1 ELSE 0 END), 0) AS BIGINT) \
         FROM campaign_units cu JOIN org_tree t ON t.ancestor_id = cu.org_id \
         JOIN problems p ON p.campaign_id = cu.campaign_id AND p.org_id = t.descendant_id \
         WHERE cu.campaign_id = $1 GROUP BY cu.org_id",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    for (org, problems, solved) in probs {
        let p = out.entry(org).or_default();
        p.problems = problems;
        p.solved = solved;
    }
    Ok(out)
}

/// The status and version of every plan of a campaign, by unit.
pub async fn plan_statuses(
    db: &Db,
    id: CampaignId,
) -> Result<HashMap<OrgId, (PlanStatus, i64)>, DbError> {
    let rows: Vec<(OrgId, String, i64)> =
        sqlx::query_as("SELECT org_id, status, version FROM plans WHERE campaign_id = $1")
            .bind(id)
            .fetch_all(db.pool())
            .await?;
    Ok(rows
        .into_iter()
        .map(|(o, s, v)| (o, (plan::status_of(&s), v)))
        .collect())
}

/// Creates a campaign (its units are set by [`set_units`]).
pub async fn insert(
    tx: &mut Tx,
    issuer: OrgId,
    f: &CampaignFields,
    status: CampaignStatus,
    copied_from: Option<CampaignId>,
    by: Option<UserId>,
) -> Result<CampaignId, DbError> {
    sqlx::query_scalar(
        "INSERT INTO campaigns (org_id, title, doc_number, theme, notice, starts_on, ends_on, report_due_on, \
         status, copied_from, created_by, created_at, updated_at, kind) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13) RETURNING id",
    )
    .bind(issuer)
    .bind(&f.title)
    .bind(&f.doc_number)
    .bind(&f.theme)
    .bind(&f.notice)
    .bind(f.starts_on)
    .bind(f.ends_on)
    .bind(f.report_due_on)
    .bind(status)
    .bind(copied_from)
    .bind(by)
    .bind(now())
    .bind(f.kind)
    .fetch_one(&mut **tx)
    .await
}

/// Rewrites a campaign's own fields.
pub async fn update(tx: &mut Tx, id: CampaignId, f: &CampaignFields) -> Result<(), AppError> {
    let done = sqlx::query(
        "UPDATE campaigns SET title = $1, doc_number = $2, theme = $3, notice = $4, starts_on = $5, \
         ends_on = $6, report_due_on = $7, updated_at = $8, kind = $10 WHERE id = $9",
    )
    .bind(&f.title)
    .bind(&f.doc_number)
    .bind(&f.theme)
    .bind(&f.notice)
    .bind(f.starts_on)
    .bind(f.ends_on)
    .bind(f.report_due_on)
    .bind(now())
    .bind(id)
    .bind(f.kind)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// Replaces the units of a campaign and their targets.
pub async fn set_units(
    tx: &mut Tx,
    id: CampaignId,
    units: &[(OrgId, Targets)],
) -> Result<(), DbError> {
    sqlx::query("DELETE FROM campaign_units WHERE campaign_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    for (org, t) in units {
        sqlx::query(
            "INSERT INTO campaign_units (campaign_id, org_id, target_enterprises, target_interviews, \
             target_symposiums, target_problems) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(*org)
        .bind(t.enterprises)
        .bind(t.interviews)
        .bind(t.symposiums)
        .bind(t.problems)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Those of `orgs` that are active.
pub async fn active_among(db: &Db, orgs: &[OrgId]) -> Result<Vec<OrgId>, DbError> {
    let ids: Vec<OrgId> = sqlx::query_scalar("SELECT id FROM orgs WHERE active = 1")
        .fetch_all(db.pool())
        .await?;
    Ok(orgs.iter().copied().filter(|o| ids.contains(o)).collect())
}

/// The orgs where the admin scope may issue campaigns (active, not
/// grassroots): code and name, in tree order.
pub async fn issuer_choices(db: &Db, admin: &Scope) -> Result<Vec<(String, String)>, DbError> {
    let sql = format!(
        "SELECT o.code, o.name FROM orgs o WHERE o.active = 1 AND o.kind <> 'grassroots' AND {} \
         ORDER BY o.display_order, o.sort_key, o.id LIMIT 200",
        admin.sql("o.id")
    );
    sqlx::query_as(AssertSqlSafe(sql))
        .fetch_all(db.pool())
        .await
}

/// Units that hold a plan (they cannot leave an issued campaign).
pub async fn units_with_plans(db: &Db, id: CampaignId) -> Result<Vec<OrgId>, DbError> {
    sqlx::query_scalar("SELECT org_id FROM plans WHERE campaign_id = $1")
        .bind(id)
        .fetch_all(db.pool())
        .await
}

/// Sets a campaign's status.
pub async fn set_status(
    tx: &mut Tx,
    id: CampaignId,
    status: CampaignStatus,
) -> Result<(), DbError> {
    sqlx::query("UPDATE campaigns SET status = $1, updated_at = $2 WHERE id = $3")
        .bind(status)
        .bind(now())
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

// ---- plans ----

#[derive(sqlx::FromRow)]
struct PlanRow {
    id: PlanId,
    status: String,
    version: i64,
    summary: String,
    target_enterprises: i64,
    target_interviews: i64,
    target_symposiums: i64,
    return_reason: Option<String>,
    updated_at: i64,
}

/// The plan of `unit` in a campaign (an empty draft when none was started).
/// The caller has checked that it may see it.
pub async fn plan(db: &Db, campaign: CampaignId, unit: OrgId) -> Result<Plan, DbError> {
    let org_name: String = sqlx::query_scalar("SELECT name FROM orgs WHERE id = $1")
        .bind(unit)
        .fetch_one(db.pool())
        .await?;
    let row: Option<PlanRow> = sqlx::query_as(
        "SELECT id, status, version, summary, target_enterprises, target_interviews, target_symposiums, \
         return_reason, updated_at FROM plans WHERE campaign_id = $1 AND org_id = $2",
    )
    .bind(campaign)
    .bind(unit)
    .fetch_optional(db.pool())
    .await?;
    let Some(r) = row else {
        return Ok(Plan {
            id: None,
            campaign_id: campaign,
            org_id: unit,
            org_name,
            status: PlanStatus::Draft,
            version: 0,
            return_reason: None,
            content: PlanContent::default(),
            updated_at: 0,
        });
    };
    let ms: Vec<(String, Day)> = sqlx::query_as(
        "SELECT title, due_on FROM plan_milestones WHERE plan_id = $1 ORDER BY position, id",
    )
    .bind(r.id)
    .fetch_all(db.pool())
    .await?;
    Ok(Plan {
        id: Some(r.id),
        campaign_id: campaign,
        org_id: unit,
        org_name,
        status: plan::status_of(&r.status),
        version: r.version,
        return_reason: r.return_reason,
        content: PlanContent {
            summary: r.summary,
            target_enterprises: r.target_enterprises,
            target_interviews: r.target_interviews,
            target_symposiums: r.target_symposiums,
            milestones: ms
                .into_iter()
                .map(|(title, due_on)| Milestone { title, due_on })
                .collect(),
        },
        updated_at: r.updated_at,
    })
}

/// Writes a plan's content (creating the plan as a draft when missing) and
/// returns its id.
pub async fn save_plan(
    tx: &mut Tx,
    campaign: CampaignId,
    unit: OrgId,
    existing: Option<PlanId>,
    c: &PlanContent,
) -> Result<PlanId, DbError> {
    let id = match existing {
        Some(id) => {
            sqlx::query(
                "UPDATE plans SET summary = $1, target_enterprises = $2, target_interviews = $3, \
                 target_symposiums = $4, updated_at = $5 WHERE id = $6",
            )
            .bind(&c.summary)
            .bind(c.target_enterprises)
            .bind(c.target_interviews)
            .bind(c.target_symposiums)
            .bind(now())
            .bind(id)
            .execute(&mut **tx)
            .await?;
            id
        }
        None => {
            sqlx::query_scalar(
                "INSERT INTO plans (campaign_id, org_id, status, version, summary, target_enterprises, \
                 target_interviews, target_symposiums, updated_at) VALUES ($1, $2, 'draft', 0, $3, $4, $5, $6, $7) \
                 RETURNING id",
            )
            .bind(campaign)
            .bind(unit)
            .bind(&c.summary)
            .bind(c.target_enterprises)
            .bind(c.target_interviews)
            .bind(c.target_symposiums)
            .bind(now())
            .fetch_one(&mut **tx)
            .await?
        }
    };
    sqlx::query("DELETE FROM plan_milestones WHERE plan_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    for (i, m) in c.milestones.iter().enumerate() {
        sqlx::query(
            "INSERT INTO plan_milestones (plan_id, org_id, position, title, due_on) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(unit)
        .bind(i as i64)
        .bind(&m.title)
        .bind(m.due_on)
        .execute(&mut **tx)
        .await?;
    }
    Ok(id)
}

/// Moves a plan to `status` at `version`, records why it was returned (or
/// clears it), and appends the event with the plan as it now is.
#[allow(clippy::too_many_arguments)]
pub async fn record_move(
    tx: &mut Tx,
    plan: PlanId,
    unit: OrgId,
    status: PlanStatus,
    version: i64,
    action: &PlanAction,
    by: (Option<UserId>, &str),
    snapshot: &PlanContent,
) -> Result<(), DbError> {
    let reason = match action {
        PlanAction::Return(r) => Some(r.trim().to_string()),
        _ => None,
    };
    // The reason stays visible while the unit revises; a new submission clears it.
    let keep_reason = matches!(action, PlanAction::Save);
    sqlx::query(
        "UPDATE plans SET status = $1, version = $2, \
         return_reason = CASE WHEN $3 = 1 THEN return_reason ELSE $4 END, updated_at = $5 WHERE id = $6",
    )
    .bind(status.as_str())
    .bind(version)
    .bind(i64::from(keep_reason))
    .bind(&reason)
    .bind(now())
    .bind(plan)
    .execute(&mut **tx)
    .await?;
    let json = serde_json::to_string(snapshot).unwrap_or_else(|_| "{}".into());
    sqlx::query(
        "INSERT INTO plan_events (plan_id, org_id, user_id, actor, action, version, reason, snapshot, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(plan)
    .bind(unit)
    .bind(by.0)
    .bind(by.1)
    .bind(action.event())
    .bind(version)
    .bind(&reason)
    .bind(json)
    .bind(now())
    .execute(&mut **tx)
    .await?;
    if let Some(reason) = &reason {
        crate::notify::store::on_plan_returned(tx, plan, unit, version, reason).await?;
    }
    Ok(())
}

/// A `plan_events` row: id, action, version, actor, reason, snapshot JSON, time.
type EventRow = (
    i64,
    PlanEventAction,
    i64,
    String,
    Option<String>,
    String,
    i64,
);

/// The history of a plan, oldest first.
pub async fn plan_events(db: &Db, plan: PlanId) -> Result<Vec<PlanEvent>, DbError> {
    let rows: Vec<EventRow> = sqlx::query_as(
        "SELECT id, action, version, actor, reason, snapshot, created_at FROM plan_events \
         WHERE plan_id = $1 ORDER BY id",
    )
    .bind(plan)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, action, version, actor, reason, snapshot, created_at)| PlanEvent {
                id,
                action,
                version,
                actor,
                reason,
                snapshot: serde_json::from_str(&snapshot).unwrap_or_default(),
                created_at,
            },
        )
        .collect())
}
