//! Formation queries. Pipelines belong to the org tracking them
//! (`formation_pipelines.org_id`), members joined to the union they joined
//! (`member_joins.org_id`), applications to the union applied to; every read
//! filters with the caller's scope on that column.

use serde::Serialize;
use sqlx::AssertSqlSafe;

use super::{
    Application, ApplyFields, Event, JoinFields, MemberGroup, Pipeline,
    lifecycle::{self, Action, LifecycleError, OPEN_CODES, Stage, Wish},
};
use crate::{
    auth::Scope,
    date::Day,
    db::{ActivityId, CampaignId, Db, DbError, EnterpriseId, OrgId, Sql, Tx, UserId, now},
    error::AppError,
    org::{OrgCode, OrgFields, OrgKind},
};

const SELECT: &str = "SELECT fp.id, fp.org_id, o.name AS org_name, fp.enterprise_id, \
    e.name AS enterprise_name, e.credit_code, fp.campaign_id, c.title AS campaign_title, \
    fp.activity_id, fp.wish, fp.stage, fp.flagged_on, fp.founded_on, fp.union_org_id, \
    u.name AS union_org_name, fp.reason, fp.created_at, fp.updated_at \
    FROM formation_pipelines fp JOIN orgs o ON o.id = fp.org_id \
    JOIN enterprises e ON e.id = fp.enterprise_id LEFT JOIN campaigns c ON c.id = fp.campaign_id \
    LEFT JOIN orgs u ON u.id = fp.union_org_id";

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    org_id: OrgId,
    org_name: String,
    enterprise_id: EnterpriseId,
    enterprise_name: String,
    credit_code: String,
    campaign_id: Option<CampaignId>,
    campaign_title: Option<String>,
    activity_id: Option<ActivityId>,
    wish: String,
    stage: String,
    flagged_on: String,
    founded_on: Option<String>,
    union_org_id: Option<OrgId>,
    union_org_name: Option<String>,
    reason: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl From<Row> for Pipeline {
    fn from(r: Row) -> Self {
        // Rows are written only through `Stage::columns` and the CHECK
        // constraints refuse anything else; a hand-edited row reads as flagged.
        let stage =
            Stage::from_columns(&r.stage, r.founded_on.as_deref(), r.union_org_id, r.reason)
                .unwrap_or(Stage::Flagged);
        Pipeline {
            id: r.id,
            org_id: r.org_id,
            org_name: r.org_name,
            enterprise_id: r.enterprise_id,
            enterprise_name: r.enterprise_name,
            credit_code: r.credit_code,
            campaign_id: r.campaign_id,
            campaign_title: r.campaign_title,
            activity_id: r.activity_id,
            wish: Wish::parse(&r.wish).unwrap_or(Wish::NoUnion),
            stage,
            flagged_on: Day::from_db(&r.flagged_on)
                .unwrap_or_else(|| Day::of_timestamp(r.created_at)),
            union_org_name: r.union_org_name,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// Filters of the pipeline list; `None` does not filter.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PipelineFilter {
    pub campaign: Option<CampaignId>,
    /// Tracked in this org's subtree.
    pub org: Option<OrgId>,
    /// A stage code.
    pub stage: Option<String>,
    pub enterprise: Option<EnterpriseId>,
    /// Text in the enterprise's name or credit code.
    pub q: Option<String>,
}

fn conditions(q: &mut Sql, scope: &Scope, f: &PipelineFilter, with_stage: bool) {
    q.push(" WHERE ").push(&scope.sql("fp.org_id"));
    if let Some(c) = f.campaign {
        q.push(" AND fp.campaign_id = ").bind(c);
    }
    if let Some(org) = f.org {
        q.push(" AND fp.org_id IN (SELECT descendant_id FROM org_tree WHERE ancestor_id = ")
            .bind(org)
            .push(")");
    }
    if with_stage && let Some(s) = &f.stage {
        q.push(" AND fp.stage = ").bind(s.clone());
    }
    if let Some(e) = f.enterprise {
        q.push(" AND fp.enterprise_id = ").bind(e);
    }
    if let Some(text) = f.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let pat = crate::org::store::like_pattern(&text.to_lowercase());
        q.push(" AND (LOWER(e.name) LIKE ")
            .bind(pat.clone())
            .push(" ESCAPE '\\' OR LOWER(e.credit_code) LIKE ")
            .bind(pat)
            .push(" ESCAPE '\\')");
    }
}

/// A page of pipelines in the scope (latest change first) and how many match.
pub async fn list(
    db: &Db,
    scope: &Scope,
    f: &PipelineFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Pipeline>, i64), DbError> {
    let mut count = Sql::new(
        "SELECT COUNT(*) FROM formation_pipelines fp JOIN enterprises e ON e.id = fp.enterprise_id",
    );
    conditions(&mut count, scope, f, true);
    let (sql, args) = count.build();
    let total: i64 = sqlx::query_scalar_with(sql, args)
        .fetch_one(db.pool())
        .await?;
    if total == 0 || offset >= total {
        return Ok((Vec::new(), total));
    }
    let mut q = Sql::new(SELECT);
    conditions(&mut q, scope, f, true);
    q.push(" ORDER BY fp.updated_at DESC, fp.id DESC LIMIT ")
        .bind(limit)
        .push(" OFFSET ")
        .bind(offset);
    let (sql, args) = q.build();
    let rows: Vec<Row> = sqlx::query_as_with(sql, args).fetch_all(db.pool()).await?;
    Ok((rows.into_iter().map(Pipeline::from).collect(), total))
}

/// How many pipelines match the filter (stage aside) at each stage, in
/// pipeline order: the board's columns.
pub async fn stage_counts(
    db: &Db,
    scope: &Scope,
    f: &PipelineFilter,
) -> Result<Vec<(&'static str, i64)>, DbError> {
    let mut q = Sql::new(
        "SELECT fp.stage, COUNT(*) FROM formation_pipelines fp JOIN enterprises e ON e.id = fp.enterprise_id",
    );
    conditions(&mut q, scope, f, false);
    q.push(" GROUP BY fp.stage");
    let (sql, args) = q.build();
    let rows: Vec<(String, i64)> = sqlx::query_as_with(sql, args).fetch_all(db.pool()).await?;
    Ok(lifecycle::STAGE_CODES
        .iter()
        .map(|s| {
            let n = rows.iter().find(|(k, _)| k == s).map_or(0, |(_, n)| *n);
            (*s, n)
        })
        .collect())
}

/// One pipeline, if the scope reaches the org tracking it.
pub async fn get(db: &Db, scope: &Scope, id: i64) -> Result<Option<Pipeline>, DbError> {
    let sql = format!("{SELECT} WHERE fp.id = $1 AND {}", scope.sql("fp.org_id"));
    let row: Option<Row> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(Pipeline::from))
}

/// One pipeline by id, read on the caller's connection (inside a write, so
/// it sees what the write changed): the record a webhook event carries.
pub async fn get_in(conn: &mut sqlx::AnyConnection, id: i64) -> Result<Option<Pipeline>, DbError> {
    let sql = format!("{SELECT} WHERE fp.id = $1");
    let row: Option<Row> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(Pipeline::from))
}

/// The enterprise's pipelines the scope reaches, newest first (the open one, if
/// any, is first: an enterprise has at most one).
pub async fn of_enterprise(
    db: &Db,
    scope: &Scope,
    enterprise: EnterpriseId,
) -> Result<Vec<Pipeline>, DbError> {
    let sql = format!(
        "{SELECT} WHERE fp.enterprise_id = $1 AND {} ORDER BY fp.id DESC",
        scope.sql("fp.org_id")
    );
    let rows: Vec<Row> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(enterprise)
        .fetch_all(db.pool())
        .await?;
    Ok(rows.into_iter().map(Pipeline::from).collect())
}

/// The timeline, oldest first.
pub async fn events(db: &Db, id: i64) -> Result<Vec<Event>, DbError> {
    sqlx::query_as(
        "SELECT ev.kind, ev.actor, ev.from_stage, ev.to_stage, ev.wish, ev.founded_on, ev.union_org_id, \
         u.name AS union_org_name, ev.reason, ev.activity_id, ev.created_at FROM formation_events ev \
         LEFT JOIN orgs u ON u.id = ev.union_org_id WHERE ev.pipeline_id = $1 ORDER BY ev.id",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await
}

/// Who acted, for the timeline.
#[derive(Clone, Debug)]
pub struct Actor {
    pub user: Option<UserId>,
    pub name: String,
}

/// A refused step becomes a validation error naming the field at fault.
pub fn refusal(e: LifecycleError) -> AppError {
    match e {
        LifecycleError::NotAllowed => AppError::field("action", "err-transition-not-allowed"),
        LifecycleError::ReasonRequired => AppError::field("reason", "err-required"),
        LifecycleError::FutureDate => AppError::field("founded_on", "err-future-date"),
    }
}

/// What opens a pipeline.
#[derive(Clone, Debug)]
pub struct Opening {
    /// The org that will track it.
    pub org: OrgId,
    pub enterprise: EnterpriseId,
    pub campaign: Option<CampaignId>,
    /// The visit that flagged it.
    pub activity: Option<ActivityId>,
    /// For flags made outside a visit: a retry finds the first.
    pub client_id: Option<String>,
    pub wish: Wish,
    pub on: Day,
}

/// Flags an enterprise inside `tx`: opens its pipeline, or — when one is open
/// already — records the new finding on it if it is still only flagged.
/// Returns the pipeline and whether this call opened it. Refused for an
/// enterprise that has a union.
pub async fn open(tx: &mut Tx, o: &Opening, actor: &Actor) -> Result<(i64, bool), AppError> {
    if let Some(c) = &o.client_id
        && let Some(id) = sqlx::query_scalar::<_, i64>(
            "SELECT id FROM formation_pipelines WHERE org_id = $1 AND client_id = $2",
        )
        .bind(o.org)
        .bind(c)
        .fetch_optional(&mut **tx)
        .await?
    {
        return Ok((id, false));
    }
    let has_union: Option<i64> =
        sqlx::query_scalar("SELECT has_union FROM enterprises WHERE id = $1")
            .bind(o.enterprise)
            .fetch_optional(&mut **tx)
            .await?;
    match has_union {
        None => return Err(AppError::field("enterprise", "err-enterprise-unknown")),
        Some(1) => return Err(AppError::field("enterprise", "err-fm-has-union")),
        Some(_) => {}
    }
    if let Some(id) = open_id(tx, o.enterprise).await? {
        // One open pipeline per enterprise: a second flag is a finding on it.
        let (stage, wish) = read_stage(tx, id).await?;
        if stage == Stage::Flagged && wish != o.wish {
            let action = Action::Flag(o.wish);
            let next =
                lifecycle::transition(Some(&stage), &action, Day::today()).map_err(refusal)?;
            apply(tx, id, Some(&stage), &next, &action, actor, o.activity).await?;
        }
        return Ok((id, false));
    }
    let next = lifecycle::transition(None, &Action::Flag(o.wish), Day::today()).map_err(refusal)?;
    let ts = now();
    let inserted: Result<i64, DbError> = sqlx::query_scalar(
        "INSERT INTO formation_pipelines (org_id, enterprise_id, campaign_id, activity_id, client_id, wish, \
         stage, flagged_on, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(o.org)
    .bind(o.enterprise)
    .bind(o.campaign)
    .bind(o.activity)
    .bind(&o.client_id)
    .bind(o.wish.as_str())
    .bind(next.code())
    .bind(o.on.iso())
    .bind(actor.user)
    .bind(ts)
    .fetch_one(&mut **tx)
    .await;
    let id = match inserted {
        Ok(id) => id,
        // Another request opened it first (same client id or the same enterprise).
        Err(sqlx::Error::RowNotFound) => {
            let id = open_id(tx, o.enterprise).await?.ok_or(AppError::NotFound)?;
            return Ok((id, false));
        }
        Err(e) => return Err(e.into()),
    };
    event(
        tx,
        id,
        o.org,
        None,
        &next,
        &Action::Flag(o.wish),
        actor,
        o.activity,
    )
    .await?;
    Ok((id, true))
}

async fn open_id(tx: &mut Tx, enterprise: EnterpriseId) -> Result<Option<i64>, DbError> {
    let sql = format!(
        "SELECT id FROM formation_pipelines WHERE enterprise_id = $1 AND stage IN ('{}')",
        OPEN_CODES.join("', '")
    );
    sqlx::query_scalar(AssertSqlSafe(sql))
        .bind(enterprise)
        .fetch_optional(&mut **tx)
        .await
}

type StageRow = (
    String,
    Option<String>,
    Option<OrgId>,
    Option<String>,
    String,
);

async fn read_stage(tx: &mut Tx, id: i64) -> Result<(Stage, Wish), AppError> {
    let row: Option<StageRow> = sqlx::query_as(
        "SELECT stage, founded_on, union_org_id, reason, wish FROM formation_pipelines WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    let (stage, on, union, reason, wish) = row.ok_or(AppError::NotFound)?;
    let stage = Stage::from_columns(&stage, on.as_deref(), union, reason).ok_or_else(|| {
        AppError::Internal(anyhow::anyhow!("pipeline {id} has unreadable columns"))
    })?;
    Ok((stage, Wish::parse(&wish).unwrap_or(Wish::NoUnion)))
}

#[allow(clippy::too_many_arguments)]
async fn event(
    tx: &mut Tx,
    id: i64,
    org: OrgId,
    from: Option<&Stage>,
    next: &Stage,
    action: &Action,
    actor: &Actor,
    activity: Option<ActivityId>,
) -> Result<(), DbError> {
    let (to, on, union, _) = next.columns();
    let wish = match action {
        Action::Flag(w) => Some(w.as_str()),
        _ => None,
    };
    sqlx::query(
        "INSERT INTO formation_events (pipeline_id, org_id, user_id, actor, kind, from_stage, to_stage, wish, \
         founded_on, union_org_id, reason, activity_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(id)
    .bind(org)
    .bind(actor.user)
    .bind(&actor.name)
    .bind(action.kind())
    .bind(from.map(Stage::code))
    .bind(to)
    .bind(wish)
    .bind(on)
    .bind(union)
    .bind(action.reason().map(|r| r.trim().to_string()))
    .bind(activity)
    .bind(now())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn apply(
    tx: &mut Tx,
    id: i64,
    from: Option<&Stage>,
    next: &Stage,
    action: &Action,
    actor: &Actor,
    activity: Option<ActivityId>,
) -> Result<(), AppError> {
    let (stage, on, union, reason) = next.columns();
    let wish = match action {
        Action::Flag(w) => Some(w.as_str()),
        _ => None,
    };
    sqlx::query(
        "UPDATE formation_pipelines SET stage = $1, founded_on = $2, union_org_id = $3, reason = $4, \
         wish = COALESCE($5, wish), updated_at = $6 WHERE id = $7",
    )
    .bind(stage)
    .bind(on)
    .bind(union)
    .bind(reason)
    .bind(wish)
    .bind(now())
    .bind(id)
    .execute(&mut **tx)
    .await?;
    let org: OrgId = sqlx::query_scalar("SELECT org_id FROM formation_pipelines WHERE id = $1")
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
    event(tx, id, org, from, next, action, actor, activity).await?;
    Ok(())
}

/// Runs one step (anything but founding) inside `tx`: reads the stage, asks the
/// transition function, writes the result and the timeline event.
pub async fn step(tx: &mut Tx, id: i64, action: Action, actor: &Actor) -> Result<Stage, AppError> {
    let (stage, _) = read_stage(tx, id).await?;
    let next = lifecycle::transition(Some(&stage), &action, Day::today()).map_err(refusal)?;
    apply(tx, id, Some(&stage), &next, &action, actor, None).await?;
    Ok(next)
}

/// The new union of a founding.
#[derive(Clone, Debug)]
pub struct Founding {
    pub on: Day,
    /// The org it sits under (the caller checked the right to write there).
    pub parent: OrgId,
    pub name: String,
    pub code: OrgCode,
}

/// Founds the union inside `tx`: checks the step is allowed, creates the
/// grassroots union under `parent` through the org store (closure rows
/// included), marks the enterprise as having that union, moves the pipeline to
/// founded and opens the union's join page. Returns the new org.
pub async fn found(tx: &mut Tx, id: i64, f: &Founding, actor: &Actor) -> Result<OrgId, AppError> {
    let (stage, _) = read_stage(tx, id).await?;
    let today = Day::today();
    // Refuse before anything is created (the id is filled in below).
    lifecycle::transition(
        Some(&stage),
        &Action::Found {
            on: f.on,
            union_org: OrgId(0),
        },
        today,
    )
    .map_err(refusal)?;
    let fields = OrgFields {
        code: f.code.clone(),
        name: f.name.clone(),
        short_name: None,
        kind: OrgKind::Grassroots,
        contact_person: None,
        phone: None,
        email: None,
        address: None,
        display_order: 0,
    };
    let union_org = crate::org::store::insert(tx, &fields, Some(f.parent))
        .await
        .map_err(|e| match e {
            AppError::Validation(fs) => AppError::Validation(
                fs.into_iter()
                    .map(|fe| crate::error::FieldError {
                        field: if fe.field == "code" {
                            "union_code".into()
                        } else {
                            fe.field
                        },
                        ..fe
                    })
                    .collect(),
            ),
            other => other,
        })?;
    let action = Action::Found {
        on: f.on,
        union_org,
    };
    let next = lifecycle::transition(Some(&stage), &action, today).map_err(refusal)?;
    apply(tx, id, Some(&stage), &next, &action, actor, None).await?;
    sqlx::query(
        "UPDATE enterprises SET has_union = 1, union_org_id = $1, updated_at = $2 \
         WHERE id = (SELECT enterprise_id FROM formation_pipelines WHERE id = $3)",
    )
    .bind(union_org)
    .bind(now())
    .bind(id)
    .execute(&mut **tx)
    .await?;
    ensure_link(tx, union_org, actor.user).await?;
    let org: OrgId = sqlx::query_scalar("SELECT org_id FROM formation_pipelines WHERE id = $1")
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
    let record = crate::webhook::Record::Founding {
        pipeline: id,
        org,
        union: union_org,
    };
    crate::webhook::ops::emit(tx, crate::webhook::Event::UnionFounded, record).await?;
    Ok(union_org)
}

// ---- members joined ----

/// A record of members joined.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct Join {
    pub id: i64,
    /// The union they joined.
    pub org_id: OrgId,
    pub org_name: String,
    pub enterprise_id: Option<EnterpriseId>,
    pub enterprise_name: Option<String>,
    pub campaign_id: Option<CampaignId>,
    pub worker_group: String,
    pub members: i64,
    pub joined_on: String,
    /// recorded (by a cadre) or qr (a confirmed application).
    pub source: String,
    pub note: Option<String>,
    pub created_at: i64,
}

impl Join {
    /// The group's catalogue key.
    pub fn group_key(&self) -> String {
        format!("fm-group-{}", self.worker_group)
    }
}

/// Records members joined; a retry (same org and client id) returns the first
/// record and `false`.
pub async fn insert_join(
    tx: &mut Tx,
    org: OrgId,
    enterprise: Option<EnterpriseId>,
    f: &JoinFields,
    user: Option<UserId>,
) -> Result<(i64, bool), DbError> {
    let inserted: Result<i64, DbError> = sqlx::query_scalar(
        "INSERT INTO member_joins (org_id, enterprise_id, campaign_id, worker_group, members, joined_on, \
         source, client_id, note, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'recorded', $7, $8, $9, $10) \
         ON CONFLICT (org_id, client_id) DO NOTHING RETURNING id",
    )
    .bind(org)
    .bind(enterprise)
    .bind(f.campaign)
    .bind(f.group.as_str())
    .bind(f.members)
    .bind(f.joined_on.iso())
    .bind(&f.client_id)
    .bind(&f.note)
    .bind(user)
    .bind(now())
    .fetch_one(&mut **tx)
    .await;
    match inserted {
        Ok(id) => Ok((id, true)),
        Err(sqlx::Error::RowNotFound) => {
            let id = sqlx::query_scalar(
                "SELECT id FROM member_joins WHERE org_id = $1 AND client_id = $2",
            )
            .bind(org)
            .bind(&f.client_id)
            .fetch_one(&mut **tx)
            .await?;
            Ok((id, false))
        }
        Err(e) => Err(e),
    }
}

/// Filters of member figures and lists.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MemberFilter {
    pub campaign: Option<CampaignId>,
    /// Joined a union in this org's subtree.
    pub org: Option<OrgId>,
    pub enterprise: Option<EnterpriseId>,
}

fn member_conditions(q: &mut Sql, scope: &Scope, f: &MemberFilter) {
    q.push(" WHERE ").push(&scope.sql("mj.org_id"));
    if let Some(c) = f.campaign {
        q.push(" AND mj.campaign_id = ").bind(c);
    }
    if let Some(org) = f.org {
        q.push(" AND mj.org_id IN (SELECT descendant_id FROM org_tree WHERE ancestor_id = ")
            .bind(org)
            .push(")");
    }
    if let Some(e) = f.enterprise {
        q.push(" AND mj.enterprise_id = ").bind(e);
    }
}

/// The newest records of members joined, up to `limit`.
pub async fn joins(
    db: &Db,
    scope: &Scope,
    f: &MemberFilter,
    limit: i64,
) -> Result<Vec<Join>, DbError> {
    let mut q = Sql::new(
        "SELECT mj.id, mj.org_id, o.name AS org_name, mj.enterprise_id, e.name AS enterprise_name, \
         mj.campaign_id, mj.worker_group, mj.members, mj.joined_on, mj.source, mj.note, mj.created_at \
         FROM member_joins mj JOIN orgs o ON o.id = mj.org_id LEFT JOIN enterprises e ON e.id = mj.enterprise_id",
    );
    member_conditions(&mut q, scope, f);
    q.push(" ORDER BY mj.joined_on DESC, mj.id DESC LIMIT ")
        .bind(limit);
    let (sql, args) = q.build();
    sqlx::query_as_with(sql, args).fetch_all(db.pool()).await
}

/// One row of the members table: an org (its whole subtree, or only the
/// parent's own level) and its members by group.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct MemberRow {
    pub org_id: OrgId,
    pub org_name: String,
    /// True for the row of the parent org's own records.
    pub own_level: bool,
    /// Members per group, in `MemberGroup::ALL` order.
    pub by_group: Vec<i64>,
    pub total: i64,
}

/// Members joined by worker group × org: one row per child of `parent` (its
/// subtree), one for the parent's own records, and the total row last.
pub async fn member_table(
    db: &Db,
    scope: &Scope,
    parent: OrgId,
    f: &MemberFilter,
) -> Result<Vec<MemberRow>, DbError> {
    let mut q = Sql::new(
        "SELECT ch.id, ch.name, mj.worker_group, CAST(SUM(mj.members) AS BIGINT) FROM orgs ch \
         JOIN org_tree t ON t.ancestor_id = ch.id JOIN member_joins mj ON mj.org_id = t.descendant_id",
    );
    member_conditions(&mut q, scope, f);
    q.push(" AND ch.parent_id = ").bind(parent);
    q.push(" GROUP BY ch.id, ch.name, ch.sort_key, mj.worker_group ORDER BY ch.sort_key");
    let (sql, args) = q.build();
    let rows: Vec<(OrgId, String, String, i64)> =
        sqlx::query_as_with(sql, args).fetch_all(db.pool()).await?;
    let mut own = Sql::new(
        "SELECT o.id, o.name, mj.worker_group, CAST(SUM(mj.members) AS BIGINT) FROM member_joins mj JOIN orgs o ON o.id = mj.org_id",
    );
    member_conditions(&mut own, scope, f);
    own.push(" AND mj.org_id = ").bind(parent);
    own.push(" GROUP BY o.id, o.name, mj.worker_group");
    let (sql, args) = own.build();
    let own_rows: Vec<(OrgId, String, String, i64)> =
        sqlx::query_as_with(sql, args).fetch_all(db.pool()).await?;
    let mut out: Vec<MemberRow> = Vec::new();
    let idx = |g: &str| MemberGroup::ALL.iter().position(|m| m.as_str() == g);
    for (list, own_level) in [(rows, false), (own_rows, true)] {
        for (org, name, group, n) in list {
            let row = match out
                .iter_mut()
                .find(|r| r.org_id == org && r.own_level == own_level)
            {
                Some(r) => r,
                None => {
                    out.push(MemberRow {
                        org_id: org,
                        org_name: name,
                        own_level,
                        by_group: vec![0; MemberGroup::ALL.len()],
                        total: 0,
                    });
                    out.last_mut().expect("just pushed")
                }
            };
            if let Some(i) = idx(&group) {
                row.by_group[i] += n;
            }
            row.total += n;
        }
    }
    Ok(out)
}

// ---- join links and applications ----

/// A union's public join page.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct Link {
    pub org_id: OrgId,
    pub org_code: String,
    pub org_name: String,
    /// The random code of `/j/{code}`.
    pub code: String,
    /// Applications waiting for a decision.
    pub pending: i64,
}

const LINK_SELECT: &str = "SELECT l.org_id, o.code AS org_code, o.name AS org_name, l.code, \
    (SELECT COUNT(*) FROM join_applications a WHERE a.org_id = l.org_id AND a.status = 'pending') AS pending \
    FROM join_links l JOIN orgs o ON o.id = l.org_id";

/// Gives `org` a join page (once: a second call keeps the first code).
pub async fn ensure_link(tx: &mut Tx, org: OrgId, user: Option<UserId>) -> Result<String, DbError> {
    sqlx::query(
        "INSERT INTO join_links (org_id, code, active, created_by, created_at) VALUES ($1, $2, 1, $3, $4) \
         ON CONFLICT (org_id) DO NOTHING",
    )
    .bind(org)
    .bind(crate::survey::store::new_code())
    .bind(user)
    .bind(now())
    .execute(&mut **tx)
    .await?;
    sqlx::query_scalar("SELECT code FROM join_links WHERE org_id = $1")
        .bind(org)
        .fetch_one(&mut **tx)
        .await
}

/// The join pages of unions in the scope.
pub async fn links(db: &Db, scope: &Scope) -> Result<Vec<Link>, DbError> {
    let sql = format!(
        "{LINK_SELECT} WHERE {} ORDER BY o.sort_key",
        scope.sql("l.org_id")
    );
    sqlx::query_as(AssertSqlSafe(sql))
        .fetch_all(db.pool())
        .await
}

/// The active join page with this code, of an active org (public).
pub async fn link_by_code(db: &Db, code: &str) -> Result<Option<Link>, DbError> {
    if !crate::survey::store::is_code(code) {
        return Ok(None);
    }
    let sql = format!("{LINK_SELECT} WHERE l.code = $1 AND l.active = 1 AND o.active = 1");
    sqlx::query_as(AssertSqlSafe(sql))
        .bind(code)
        .fetch_optional(db.pool())
        .await
}

const APP_SELECT: &str = "SELECT a.id, a.org_id, o.name AS org_name, a.receipt_code, a.name, a.phone, \
    a.worker_group, a.employer, a.status, a.reason, a.created_at, a.decided_at \
    FROM join_applications a JOIN orgs o ON o.id = a.org_id";

/// Stores an application; a retry (same union and client id) returns the first.
/// Returns the receipt code and whether this call stored it.
pub async fn submit_application(
    tx: &mut Tx,
    org: OrgId,
    f: &ApplyFields,
) -> Result<(String, bool), DbError> {
    let inserted: Result<String, DbError> = sqlx::query_scalar(
        "INSERT INTO join_applications (org_id, client_id, receipt_code, name, phone, worker_group, employer, \
         status, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8) \
         ON CONFLICT (org_id, client_id) DO NOTHING RETURNING receipt_code",
    )
    .bind(org)
    .bind(&f.client_id)
    .bind(crate::problem::store::receipt_code())
    .bind(&f.name)
    .bind(&f.phone)
    .bind(f.group.as_str())
    .bind(&f.employer)
    .bind(now())
    .fetch_one(&mut **tx)
    .await;
    match inserted {
        Ok(code) => Ok((code, true)),
        Err(sqlx::Error::RowNotFound) => Ok((
            receipt_of(tx, org, &f.client_id).await?.unwrap_or_default(),
            false,
        )),
        Err(e) => Err(e),
    }
}

/// The receipt of the application a union received under a client id.
pub async fn receipt_of(
    tx: &mut Tx,
    org: OrgId,
    client_id: &str,
) -> Result<Option<String>, DbError> {
    sqlx::query_scalar(
        "SELECT receipt_code FROM join_applications WHERE org_id = $1 AND client_id = $2",
    )
    .bind(org)
    .bind(client_id)
    .fetch_optional(&mut **tx)
    .await
}

/// The application with a receipt code (public; the page masks it).
pub async fn application_by_receipt(db: &Db, code: &str) -> Result<Option<Application>, DbError> {
    let sql = format!("{APP_SELECT} WHERE a.receipt_code = $1");
    sqlx::query_as(AssertSqlSafe(sql))
        .bind(code)
        .fetch_optional(db.pool())
        .await
}

/// Applications to unions in the scope, pending first then newest, up to `limit`.
pub async fn applications(
    db: &Db,
    scope: &Scope,
    status: Option<super::ApplicationStatus>,
    limit: i64,
) -> Result<Vec<Application>, DbError> {
    let mut q = Sql::new(APP_SELECT);
    q.push(" WHERE ").push(&scope.sql("a.org_id"));
    if let Some(s) = status {
        q.push(" AND a.status = ").bind(s);
    }
    q.push(" ORDER BY CASE WHEN a.status = 'pending' THEN 0 ELSE 1 END, a.created_at DESC, a.id DESC LIMIT ")
        .bind(limit);
    let (sql, args) = q.build();
    sqlx::query_as_with(sql, args).fetch_all(db.pool()).await
}

/// One application, if the scope reaches its union.
pub async fn application(db: &Db, scope: &Scope, id: i64) -> Result<Option<Application>, DbError> {
    let sql = format!("{APP_SELECT} WHERE a.id = $1 AND {}", scope.sql("a.org_id"));
    sqlx::query_as(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(db.pool())
        .await
}

/// Confirms or declines a pending application inside `tx`. A confirmed one
/// becomes one member joined that day (its enterprise: the one whose union
/// this is; its campaign: the newest active one issued at or above the union).
/// A decision on an application already decided is refused.
pub async fn decide(
    tx: &mut Tx,
    id: i64,
    confirm: bool,
    reason: Option<String>,
    user: UserId,
) -> Result<(), AppError> {
    let ts = now();
    let done = sqlx::query(
        "UPDATE join_applications SET status = $1, decided_by = $2, decided_at = $3, reason = $4 \
         WHERE id = $5 AND status = 'pending'",
    )
    .bind(if confirm {
        super::ApplicationStatus::Confirmed
    } else {
        super::ApplicationStatus::Declined
    })
    .bind(user)
    .bind(ts)
    .bind(reason)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::field("decision", "err-fm-decided"));
    }
    if confirm {
        let (org, group): (OrgId, String) =
            sqlx::query_as("SELECT org_id, worker_group FROM join_applications WHERE id = $1")
                .bind(id)
                .fetch_one(&mut **tx)
                .await?;
        let enterprise: Option<EnterpriseId> = sqlx::query_scalar(
            "SELECT id FROM enterprises WHERE union_org_id = $1 ORDER BY id LIMIT 1",
        )
        .bind(org)
        .fetch_optional(&mut **tx)
        .await?;
        let campaign: Option<CampaignId> = sqlx::query_scalar(
            "SELECT c.id FROM campaigns c JOIN org_tree t ON t.ancestor_id = c.org_id \
             WHERE t.descendant_id = $1 AND c.status = 'active' ORDER BY c.starts_on DESC, c.id DESC LIMIT 1",
        )
        .bind(org)
        .fetch_optional(&mut **tx)
        .await?;
        sqlx::query(
            "INSERT INTO member_joins (org_id, enterprise_id, campaign_id, worker_group, members, joined_on, \
             source, application_id, created_by, created_at) VALUES ($1, $2, $3, $4, 1, $5, 'qr', $6, $7, $8)",
        )
        .bind(org)
        .bind(enterprise)
        .bind(campaign)
        .bind(group)
        .bind(Day::of_timestamp(ts).iso())
        .bind(id)
        .bind(user)
        .bind(ts)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

// ---- figures for dashboards ----

/// Members of one group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct GroupCount {
    pub group: MemberGroup,
    pub members: i64,
}

/// Union formation and membership over a scope, for dashboards and the
/// campaign figures.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = FormationFigures)]
pub struct Figures {
    /// Distinct enterprises with a pipeline (any stage).
    pub enterprises_flagged: i64,
    /// Pipelines at each stage now.
    pub flagged: i64,
    pub preparing: i64,
    pub founded: i64,
    pub stalled: i64,
    pub dropped: i64,
    /// Pipelines whose enterprise wants a union (有建会意愿).
    pub wants_union: i64,
    /// Members joined (recorded counts plus confirmed applications).
    pub members_joined: i64,
    /// Members joined per group, every group listed (`MemberGroup::ALL` order).
    pub members_by_group: Vec<GroupCount>,
    /// Members joined in the new-employment-form groups.
    pub new_form_members: i64,
    /// Unions founded per month of the founding date (成立日期), oldest first.
    pub founded_by_month: Vec<MonthTotal>,
    /// Members joined per month of the join date (入会日期), oldest first.
    pub members_by_month: Vec<MonthTotal>,
}

/// A figure of one month: unions founded, or members joined.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[schema(as = FormationMonthTotal)]
pub struct MonthTotal {
    /// `YYYY-MM`.
    #[schema(example = "2019-11")]
    pub month: String,
    pub total: i64,
}

/// The formation figures over `scope`, optionally only a campaign's records
/// and only records of orgs under `under`. Pipelines count where they are
/// tracked (`org_id`), members where they joined.
pub async fn figures(
    db: &Db,
    scope: &Scope,
    campaign: Option<CampaignId>,
    under: Option<OrgId>,
) -> Result<Figures, AppError> {
    let pf = PipelineFilter {
        campaign,
        org: under,
        ..Default::default()
    };
    let mut q = Sql::new(
        "SELECT COUNT(DISTINCT fp.enterprise_id), \
         COALESCE(SUM(CASE WHEN fp.stage = 'flagged' THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN fp.stage = 'preparing' THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN fp.stage = 'founded' THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN fp.stage = 'stalled' THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN fp.stage = 'dropped' THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN fp.wish = 'wants_union' THEN 1 ELSE 0 END), 0) \
         FROM formation_pipelines fp JOIN enterprises e ON e.id = fp.enterprise_id",
    );
    conditions(&mut q, scope, &pf, false);
    let (sql, args) = q.build();
    let (enterprises_flagged, flagged, preparing, founded, stalled, dropped, wants_union): (
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
    ) = sqlx::query_as_with(sql, args).fetch_one(db.pool()).await?;
    let mut q = Sql::new(
        "SELECT SUBSTR(fp.founded_on, 1, 7) AS month, COUNT(*) AS total FROM formation_pipelines fp \
         JOIN enterprises e ON e.id = fp.enterprise_id",
    );
    conditions(&mut q, scope, &pf, false);
    q.push(" AND fp.stage = 'founded' GROUP BY SUBSTR(fp.founded_on, 1, 7) ORDER BY month");
    let (sql, args) = q.build();
    let founded_by_month: Vec<MonthTotal> =
        sqlx::query_as_with(sql, args).fetch_all(db.pool()).await?;

    let mf = MemberFilter {
        campaign,
        org: under,
        enterprise: None,
    };
    let mut q = Sql::new(
        "SELECT mj.worker_group, CAST(COALESCE(SUM(mj.members), 0) AS BIGINT) FROM member_joins mj",
    );
    member_conditions(&mut q, scope, &mf);
    q.push(" GROUP BY mj.worker_group");
    let (sql, args) = q.build();
    let groups: Vec<(String, i64)> = sqlx::query_as_with(sql, args).fetch_all(db.pool()).await?;
    let members_by_group: Vec<GroupCount> = MemberGroup::ALL
        .iter()
        .map(|g| GroupCount {
            group: *g,
            members: groups
                .iter()
                .filter(|(k, _)| k == g.as_str())
                .map(|(_, n)| n)
                .sum(),
        })
        .collect();
    let mut q = Sql::new(
        "SELECT SUBSTR(mj.joined_on, 1, 7) AS month, CAST(COALESCE(SUM(mj.members), 0) AS BIGINT) AS total \
         FROM member_joins mj",
    );
    member_conditions(&mut q, scope, &mf);
    q.push(" GROUP BY SUBSTR(mj.joined_on, 1, 7) ORDER BY month");
    let (sql, args) = q.build();
    let members_by_month: Vec<MonthTotal> =
        sqlx::query_as_with(sql, args).fetch_all(db.pool()).await?;
    Ok(Figures {
        enterprises_flagged,
        flagged,
        preparing,
        founded,
        stalled,
        dropped,
        wants_union,
        members_joined: members_by_group.iter().map(|g| g.members).sum(),
        new_form_members: members_by_group
            .iter()
            .filter(|g| g.group.is_new_form())
            .map(|g| g.members)
            .sum(),
        members_by_group,
        founded_by_month,
        members_by_month,
    })
}

/// Per org: unions founded and members joined, counted as [`figures`]
/// counts them, for a board's lines.
pub async fn founded_and_members_by_org(
    db: &Db,
    scope: &Scope,
    campaign: Option<CampaignId>,
    under: Option<OrgId>,
) -> Result<Vec<(OrgId, i64, i64)>, DbError> {
    let pf = PipelineFilter {
        campaign,
        org: under,
        ..Default::default()
    };
    let mut q = Sql::new(
        "SELECT fp.org_id, COUNT(*) FROM formation_pipelines fp \
         JOIN enterprises e ON e.id = fp.enterprise_id",
    );
    conditions(&mut q, scope, &pf, false);
    q.push(" AND fp.stage = 'founded' GROUP BY fp.org_id");
    let (sql, args) = q.build();
    let founded: Vec<(OrgId, i64)> = sqlx::query_as_with(sql, args).fetch_all(db.pool()).await?;
    let mf = MemberFilter {
        campaign,
        org: under,
        enterprise: None,
    };
    let mut q = Sql::new(
        "SELECT mj.org_id, CAST(COALESCE(SUM(mj.members), 0) AS BIGINT) FROM member_joins mj",
    );
    member_conditions(&mut q, scope, &mf);
    q.push(" GROUP BY mj.org_id");
    let (sql, args) = q.build();
    let members: Vec<(OrgId, i64)> = sqlx::query_as_with(sql, args).fetch_all(db.pool()).await?;
    let mut by_org: std::collections::HashMap<OrgId, (i64, i64)> = Default::default();
    for (org, n) in founded {
        by_org.entry(org).or_default().0 += n;
    }
    for (org, n) in members {
        by_org.entry(org).or_default().1 += n;
    }
    Ok(by_org.into_iter().map(|(o, (f, m))| (o, f, m)).collect())
}

/// Checks the union flags of a visit against the enterprises it visited and
/// resolves each to the enterprises it opens a pipeline for: a flag naming an
/// enterprise must name a visited one without a union; a flag naming none
/// applies to every visited enterprise without a union. Errors name the flag
/// (`uf1.enterprise`).
pub async fn resolve_visit_flags(
    tx: &mut Tx,
    flags: &[super::VisitFlag],
    visited: &[EnterpriseId],
    errs: &mut crate::web::form::Errors,
) -> Result<Vec<(EnterpriseId, Wish)>, DbError> {
    let mut out: Vec<(EnterpriseId, Wish)> = Vec::new();
    if flags.is_empty() {
        return Ok(out);
    }
    // Every visited enterprise: id, credit code, whether it has a union.
    let mut info: Vec<(EnterpriseId, String, bool)> = Vec::new();
    for e in visited {
        let row: Option<(i64, String)> =
            sqlx::query_as("SELECT has_union, credit_code FROM enterprises WHERE id = $1")
                .bind(*e)
                .fetch_optional(&mut **tx)
                .await?;
        if let Some((has, code)) = row {
            info.push((*e, code, has != 0));
        }
    }
    for f in flags {
        let field = format!("uf{}.enterprise", f.n);
        let targets: Vec<EnterpriseId> = match &f.enterprise {
            None => info.iter().filter(|i| !i.2).map(|i| i.0).collect(),
            Some(key) => {
                let key = key.trim().to_ascii_uppercase();
                match info
                    .iter()
                    .find(|(e, code, _)| e.0.to_string() == key || *code == key)
                {
                    None => {
                        errs.push(
                            crate::error::FieldError::new(field.clone(), "err-fm-not-visited")
                                .arg("value", key),
                        );
                        Vec::new()
                    }
                    Some((_, _, true)) => {
                        errs.push(crate::error::FieldError::new(
                            field.clone(),
                            "err-fm-has-union",
                        ));
                        Vec::new()
                    }
                    Some((e, _, false)) => vec![*e],
                }
            }
        };
        if f.enterprise.is_none() && targets.is_empty() {
            errs.push(crate::error::FieldError::new(
                field,
                "err-fm-none-without-union",
            ));
        }
        for e in targets {
            match out.iter_mut().find(|(x, _)| *x == e) {
                Some(slot) => slot.1 = f.wish,
                None => out.push((e, f.wish)),
            }
        }
    }
    Ok(out)
}

/// Opens (or re-flags) the pipelines a visit flagged, inside the transaction
/// that stores the visit: tracked by the recording org, in the visit's campaign.
pub async fn open_from_visit(
    tx: &mut Tx,
    org: OrgId,
    activity: ActivityId,
    campaign: Option<CampaignId>,
    on: Day,
    flags: &[(EnterpriseId, Wish)],
    actor: &Actor,
) -> Result<(), AppError> {
    for (enterprise, wish) in flags {
        let o = Opening {
            org,
            enterprise: *enterprise,
            campaign,
            activity: Some(activity),
            client_id: None,
            wish: *wish,
            on,
        };
        open(tx, &o, actor).await?;
    }
    Ok(())
}
