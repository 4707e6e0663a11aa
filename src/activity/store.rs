//! Activity queries. Reads take the caller's scope and filter on the recording org.

use sqlx::AssertSqlSafe;

use super::{Activity, ActivityFields, ActivityKind, Composition, EnterpriseRef};
use crate::{
    auth::Scope,
    date::Day,
    db::{
        ActivityId, CampaignId, Db, DbError, EnterpriseId, OrgId, Sql, Tx, UserId, WorkGroupId, now,
    },
    org::store::like_pattern,
};

const SELECT: &str = "SELECT a.id, a.client_id, a.campaign_id, c.title AS campaign_title, \
    a.work_group_id, (SELECT g.name FROM work_groups g WHERE g.id = a.work_group_id) AS work_group_name, a.org_id, \
    o.name AS org_name, a.kind, a.held_on, a.place, a.cadres, a.others, a.workers_interviewed, \
    a.participants, a.frontline_workers, a.women_workers, a.migrant_workers, a.new_form_workers, \
    a.enterprise_side, a.union_cadres, a.notes, a.created_at, \
    (SELECT COUNT(*) FROM problems p WHERE p.activity_id = a.id) AS problem_count \
    FROM activities a JOIN orgs o ON o.id = a.org_id LEFT JOIN campaigns c ON c.id = a.campaign_id";

#[derive(sqlx::FromRow)]
struct Row {
    id: ActivityId,
    client_id: String,
    campaign_id: Option<CampaignId>,
    campaign_title: Option<String>,
    work_group_id: Option<WorkGroupId>,
    work_group_name: Option<String>,
    org_id: OrgId,
    org_name: String,
    kind: ActivityKind,
    held_on: Day,
    place: Option<String>,
    cadres: String,
    others: Option<String>,
    workers_interviewed: i64,
    participants: i64,
    frontline_workers: i64,
    women_workers: i64,
    migrant_workers: i64,
    new_form_workers: i64,
    enterprise_side: i64,
    union_cadres: i64,
    notes: Option<String>,
    created_at: i64,
    problem_count: i64,
}

impl From<Row> for Activity {
    fn from(r: Row) -> Self {
        Activity {
            id: r.id,
            client_id: r.client_id,
            campaign_id: r.campaign_id,
            campaign_title: r.campaign_title,
            work_group_id: r.work_group_id,
            work_group_name: r.work_group_name,
            org_id: r.org_id,
            org_name: r.org_name,
            kind: r.kind,
            held_on: r.held_on,
            place: r.place,
            cadres: r.cadres,
            others: r.others,
            workers_interviewed: r.workers_interviewed,
            participants: r.participants,
            composition: Composition {
                frontline_workers: r.frontline_workers,
                women_workers: r.women_workers,
                migrant_workers: r.migrant_workers,
                new_form_workers: r.new_form_workers,
                enterprise_side: r.enterprise_side,
                union_cadres: r.union_cadres,
            },
            notes: r.notes,
            enterprises: Vec::new(),
            problem_count: r.problem_count,
            created_at: r.created_at,
        }
    }
}

/// Filters of the activity list.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ActivityFilter {
    pub campaign: Option<CampaignId>,
    /// Recorded for this stationing work group.
    pub work_group: Option<WorkGroupId>,
    /// Recorded in this org's subtree.
    pub org: Option<OrgId>,
    pub kind: Option<ActivityKind>,
    pub enterprise: Option<EnterpriseId>,
    /// Text in the notes, place or cadres.
    pub q: Option<String>,
    pub from: Option<Day>,
    pub to: Option<Day>,
}

fn conditions(q: &mut Sql, scope: &Scope, f: &ActivityFilter) {
    q.push(" WHERE ").push(&scope.sql("a.org_id"));
    if let Some(c) = f.campaign {
        q.push(" AND a.campaign_id = ").bind(c);
    }
    if let Some(g) = f.work_group {
        q.push(" AND a.work_group_id = ").bind(g);
    }
    if let Some(org) = f.org {
        q.push(" AND a.org_id IN (SELECT descendant_id FROM org_tree WHERE ancestor_id = ")
            .bind(org)
            .push(")");
    }
    if let Some(k) = f.kind {
        q.push(" AND a.kind = ").bind(k);
    }
    if let Some(e) = f.enterprise {
        q.push(" AND EXISTS (SELECT 1 FROM activity_enterprises ae WHERE ae.activity_id = a.id AND ae.enterprise_id = ")
            .bind(e)
            .push(")");
    }
    if let Some(d) = f.from {
        q.push(" AND a.held_on >= ").bind(d);
    }
    if let Some(d) = f.to {
        q.push(" AND a.held_on <= ").bind(d);
    }
    if let Some(text) = f.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let pat = like_pattern(&text.to_lowercase());
        q.push(" AND (LOWER(COALESCE(a.notes, '')) LIKE ")
            .bind(pat.clone())
            .push(" ESCAPE '\\' OR LOWER(COALESCE(a.place, '')) LIKE ")
            .bind(pat.clone())
            .push(" ESCAPE '\\' OR LOWER(a.cadres) LIKE ")
            .bind(pat)
            .push(" ESCAPE '\\')");
    }
}

/// A page of activities in the scope, latest first, and how many match.
pub async fn list(
    db: &Db,
    scope: &Scope,
    f: &ActivityFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Activity>, i64), DbError> {
    let mut count = Sql::new("SELECT COUNT(*) FROM activities a");
    conditions(&mut count, scope, f);
    let (sql, args) = count.build();
    let total: i64 = sqlx::query_scalar_with(sql, args)
        .fetch_one(db.pool())
        .await?;
    if total == 0 || offset >= total {
        return Ok((Vec::new(), total));
    }
    let mut q = Sql::new(SELECT);
    conditions(&mut q, scope, f);
    q.push(" ORDER BY a.held_on DESC, a.id DESC LIMIT ")
        .bind(limit)
        .push(" OFFSET ")
        .bind(offset);
    let (sql, args) = q.build();
    let rows: Vec<Row> = sqlx::query_as_with(sql, args).fetch_all(db.pool()).await?;
    let mut items: Vec<Activity> = rows.into_iter().map(Activity::from).collect();
    attach_enterprises(db, &mut items).await?;
    Ok((items, total))
}

async fn attach_enterprises(db: &Db, items: &mut [Activity]) -> Result<(), DbError> {
    if items.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = items.iter().map(|a| a.id.0.to_string()).collect();
    let sql = format!(
        "SELECT ae.activity_id, e.id, e.name, e.credit_code FROM activity_enterprises ae \
         JOIN enterprises e ON e.id = ae.enterprise_id WHERE ae.activity_id IN ({}) \
         ORDER BY e.sort_key",
        ids.join(",")
    );
    let rows: Vec<(ActivityId, EnterpriseId, String, String)> = sqlx::query_as(AssertSqlSafe(sql))
        .fetch_all(db.pool())
        .await?;
    for (activity, id, name, credit_code) in rows {
        if let Some(a) = items.iter_mut().find(|a| a.id == activity) {
            a.enterprises.push(EnterpriseRef {
                id,
                name,
                credit_code,
            });
        }
    }
    Ok(())
}

/// One activity, if the scope reaches it.
pub async fn get(db: &Db, scope: &Scope, id: ActivityId) -> Result<Option<Activity>, DbError> {
    let sql = format!("{SELECT} WHERE a.id = $1 AND {}", scope.sql("a.org_id"));
    let row: Option<Row> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    let Some(row) = row else { return Ok(None) };
    let mut items = [Activity::from(row)];
    attach_enterprises(db, &mut items).await?;
    let [a] = items;
    Ok(Some(a))
}

/// Inserts an activity and its enterprises. `Ok(None)` when the org already
/// recorded this client id (a retried save).
pub async fn insert(
    tx: &mut Tx,
    f: &ActivityFields,
    org: OrgId,
    enterprises: &[EnterpriseId],
    user: UserId,
) -> Result<Option<ActivityId>, DbError> {
    let c = &f.composition;
    let ts = now();
    let inserted: Result<ActivityId, DbError> = sqlx::query_scalar(
        "INSERT INTO activities (client_id, campaign_id, org_id, kind, held_on, place, cadres, others, \
         workers_interviewed, participants, frontline_workers, women_workers, migrant_workers, \
         new_form_workers, enterprise_side, union_cadres, notes, created_by, created_at, updated_at, work_group_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $19, $20) \
         ON CONFLICT (org_id, client_id) DO NOTHING RETURNING id",
    )
    .bind(&f.client_id)
    .bind(f.campaign)
    .bind(org)
    .bind(f.kind)
    .bind(f.held_on)
    .bind(&f.place)
    .bind(&f.cadres)
    .bind(&f.others)
    .bind(f.workers_interviewed)
    .bind(f.participants)
    .bind(c.frontline_workers)
    .bind(c.women_workers)
    .bind(c.migrant_workers)
    .bind(c.new_form_workers)
    .bind(c.enterprise_side)
    .bind(c.union_cadres)
    .bind(&f.notes)
    .bind(user)
    .bind(ts)
    .bind(f.work_group)
    .fetch_one(&mut **tx)
    .await;
    let id = match inserted {
        Ok(id) => id,
        Err(sqlx::Error::RowNotFound) => return Ok(None),
        Err(e) => return Err(e),
    };
    for e in enterprises {
        sqlx::query(
            "INSERT INTO activity_enterprises (activity_id, enterprise_id, org_id) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(*e)
        .bind(org)
        .execute(&mut **tx)
        .await?;
    }
    Ok(Some(id))
}

/// The id of the activity an org recorded under a client id.
pub async fn id_by_client(
    db: &Db,
    org: OrgId,
    client_id: &str,
) -> Result<Option<ActivityId>, DbError> {
    sqlx::query_scalar("SELECT id FROM activities WHERE org_id = $1 AND client_id = $2")
        .bind(org)
        .bind(client_id)
        .fetch_optional(db.pool())
        .await
}

/// Whether `org` may record activities for a campaign: it is active and the
/// org lies under the issuing org.
pub async fn campaign_open_to(db: &Db, campaign: CampaignId, org: OrgId) -> Result<bool, DbError> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM campaigns c WHERE c.id = $1 AND c.status = 'active' AND EXISTS \
         (SELECT 1 FROM org_tree t WHERE t.ancestor_id = c.org_id AND t.descendant_id = $2)",
    )
    .bind(campaign)
    .bind(org)
    .fetch_one(db.pool())
    .await?;
    Ok(n > 0)
}

/// A campaign offered in pickers.
#[derive(Clone, Debug, sqlx::FromRow, serde::Serialize)]
pub struct CampaignChoice {
    pub id: CampaignId,
    pub title: String,
    pub doc_number: Option<String>,
    /// campaign or stationing.
    pub kind: crate::campaign::CampaignKind,
}

/// The active campaigns issued at or above any of the scope's orgs, newest first.
pub async fn campaign_choices(db: &Db, scope: &Scope) -> Result<Vec<CampaignChoice>, DbError> {
    if scope.is_empty() {
        return Ok(Vec::new());
    }
    let roots: Vec<String> = scope.roots().iter().map(|r| r.0.to_string()).collect();
    let sql = format!(
        "SELECT c.id, c.title, c.doc_number, c.kind FROM campaigns c WHERE c.status = 'active' AND EXISTS \
         (SELECT 1 FROM org_tree t WHERE t.ancestor_id = c.org_id AND t.descendant_id IN ({})) \
         ORDER BY c.starts_on DESC, c.id DESC",
        roots.join(",")
    );
    sqlx::query_as(AssertSqlSafe(sql))
        .fetch_all(db.pool())
        .await
}

/// Enterprises of the scope offered in the form's picker: id, name, credit code.
pub async fn enterprise_choices(
    db: &Db,
    scope: &Scope,
    limit: i64,
) -> Result<Vec<EnterpriseRef>, DbError> {
    let sql = format!(
        "SELECT e.id, e.name, e.credit_code FROM enterprises e WHERE {} ORDER BY e.sort_key LIMIT $1",
        scope.sql("e.org_id")
    );
    sqlx::query_as(AssertSqlSafe(sql))
        .bind(limit)
        .fetch_all(db.pool())
        .await
}
