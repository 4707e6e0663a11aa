//! Service queries, SQL only. A service belongs to the org that did it
//! (`services.org_id`); reads filter with the caller's scope on that column.
//! The row decodes straight into domain types (`ServiceKind`, `Day`, `Fen`).

use serde::Serialize;
use sqlx::AssertSqlSafe;

use super::{Service, ServiceFields, ServiceFilter, ServiceKind};
use crate::{
    auth::Scope,
    date::Day,
    db::{ActivityId, CampaignId, Db, DbError, OrgId, Sql, Tx, UserId, now},
    error::AppError,
    formation::MemberGroup,
    money::Fen,
};

const SELECT: &str = "SELECT s.id, s.client_id, s.org_id, o.name AS org_name, s.campaign_id, \
    c.title AS campaign_title, s.activity_id, s.kind, s.description, s.cadres, s.beneficiary, \
    s.worker_group, s.workers, s.amount_fen, s.served_on, s.created_at \
    FROM services s JOIN orgs o ON o.id = s.org_id LEFT JOIN campaigns c ON c.id = s.campaign_id";

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    client_id: String,
    org_id: OrgId,
    org_name: String,
    campaign_id: Option<CampaignId>,
    campaign_title: Option<String>,
    activity_id: Option<ActivityId>,
    kind: ServiceKind,
    description: String,
    cadres: String,
    beneficiary: String,
    worker_group: Option<String>,
    workers: i64,
    amount_fen: Fen,
    served_on: Day,
    created_at: i64,
}

impl From<Row> for Service {
    fn from(r: Row) -> Self {
        Service {
            id: r.id,
            client_id: r.client_id,
            org_id: r.org_id,
            org_name: r.org_name,
            campaign_id: r.campaign_id,
            campaign_title: r.campaign_title,
            activity_id: r.activity_id,
            kind: r.kind,
            description: r.description,
            cadres: r.cadres,
            beneficiary: r.beneficiary,
            worker_group: r.worker_group.as_deref().and_then(MemberGroup::parse),
            workers: r.workers,
            amount_fen: r.amount_fen,
            served_on: r.served_on,
            created_at: r.created_at,
        }
    }
}

fn conditions(q: &mut Sql, scope: &Scope, f: &ServiceFilter) {
    q.push(" WHERE ").push(&scope.sql("s.org_id"));
    if let Some(c) = f.campaign {
        q.push(" AND s.campaign_id = ").bind(c);
    }
    if let Some(org) = f.org {
        q.push(" AND s.org_id IN (SELECT descendant_id FROM org_tree WHERE ancestor_id = ")
            .bind(org)
            .push(")");
    }
    if let Some(k) = f.kind {
        q.push(" AND s.kind = ").bind(k);
    }
    if let Some(a) = f.activity {
        q.push(" AND s.activity_id = ").bind(a);
    }
    if let Some(d) = f.from {
        q.push(" AND s.served_on >= ").bind(d);
    }
    if let Some(d) = f.to {
        q.push(" AND s.served_on <= ").bind(d);
    }
}

/// A page of services in the scope, latest first, and how many match.
pub async fn list(
    db: &Db,
    scope: &Scope,
    f: &ServiceFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Service>, i64), DbError> {
    let mut count = Sql::new("SELECT COUNT(*) FROM services s");
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
    q.push(" ORDER BY s.served_on DESC, s.id DESC LIMIT ")
        .bind(limit)
        .push(" OFFSET ")
        .bind(offset);
    let (sql, args) = q.build();
    let rows: Vec<Row> = sqlx::query_as_with(sql, args).fetch_all(db.pool()).await?;
    Ok((rows.into_iter().map(Service::from).collect(), total))
}

/// One service, if the scope reaches the org that did it.
pub async fn get(db: &Db, scope: &Scope, id: i64) -> Result<Option<Service>, DbError> {
    let sql = format!("{SELECT} WHERE s.id = $1 AND {}", scope.sql("s.org_id"));
    let row: Option<Row> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(Service::from))
}

/// The services recorded with an activity (those the scope reaches).
pub async fn of_activity(
    db: &Db,
    scope: &Scope,
    activity: ActivityId,
) -> Result<Vec<Service>, DbError> {
    let f = ServiceFilter {
        activity: Some(activity),
        ..Default::default()
    };
    Ok(list(db, scope, &f, 200, 0).await?.0)
}

/// Records a service. `Ok((id, false))` when the org already recorded this
/// client id (a retried save): the first record.
pub async fn insert(
    tx: &mut Tx,
    org: OrgId,
    f: &ServiceFields,
    user: UserId,
) -> Result<(i64, bool), DbError> {
    let ts = now();
    let inserted: Result<i64, DbError> = sqlx::query_scalar(
        "INSERT INTO services (org_id, client_id, campaign_id, activity_id, kind, description, cadres, \
         beneficiary, worker_group, workers, amount_fen, served_on, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14) \
         ON CONFLICT (org_id, client_id) DO NOTHING RETURNING id",
    )
    .bind(org)
    .bind(&f.client_id)
    .bind(f.campaign)
    .bind(f.activity)
    .bind(f.kind)
    .bind(&f.description)
    .bind(&f.cadres)
    .bind(&f.beneficiary)
    .bind(f.group.map(MemberGroup::as_str))
    .bind(f.workers)
    .bind(f.amount_fen)
    .bind(f.served_on)
    .bind(user)
    .bind(ts)
    .fetch_one(&mut **tx)
    .await;
    match inserted {
        Ok(id) => Ok((id, true)),
        Err(sqlx::Error::RowNotFound) => {
            let id =
                sqlx::query_scalar("SELECT id FROM services WHERE org_id = $1 AND client_id = $2")
                    .bind(org)
                    .bind(&f.client_id)
                    .fetch_one(&mut **tx)
                    .await?;
            Ok((id, false))
        }
        Err(e) => Err(e),
    }
}

/// One kind's share of the figures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct KindFigures {
    pub kind: ServiceKind,
    pub count: i64,
    pub workers: i64,
    pub amount_fen: Fen,
}

/// Services over a scope, for dashboards and the campaign figures.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = ServiceFigures)]
pub struct Figures {
    /// How many services.
    pub count: i64,
    /// Workers benefited, summed.
    pub workers: i64,
    /// The amount in fen, summed.
    pub amount_fen: Fen,
    /// Every kind, in `ServiceKind::ALL` order.
    pub by_kind: Vec<KindFigures>,
    /// Services and their amount per month of the service date (`served_on`),
    /// months without services left out, in order.
    pub by_month: Vec<MonthFigures>,
}

/// One month's services.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[schema(as = ServiceMonth)]
pub struct MonthFigures {
    /// The month, `YYYY-MM`.
    #[schema(example = "2019-11")]
    pub month: String,
    /// How many services.
    pub count: i64,
    /// The amount in fen, summed.
    pub amount_fen: Fen,
}

/// Per recording org: services and workers served, for a board's lines.
pub async fn counts_by_org(
    db: &Db,
    scope: &Scope,
    campaign: Option<CampaignId>,
    under: Option<OrgId>,
) -> Result<Vec<(OrgId, i64, i64)>, DbError> {
    let f = ServiceFilter {
        campaign,
        org: under,
        ..Default::default()
    };
    let mut q = Sql::new(
        "SELECT s.org_id, COUNT(*), CAST(COALESCE(SUM(s.workers), 0) AS BIGINT) FROM services s",
    );
    conditions(&mut q, scope, &f);
    q.push(" GROUP BY s.org_id");
    let (sql, args) = q.build();
    sqlx::query_as_with(sql, args).fetch_all(db.pool()).await
}

/// The service figures over `scope`, optionally a campaign's only and only
/// services of orgs under `under`.
pub async fn figures(
    db: &Db,
    scope: &Scope,
    campaign: Option<CampaignId>,
    under: Option<OrgId>,
) -> Result<Figures, AppError> {
    let f = ServiceFilter {
        campaign,
        org: under,
        ..Default::default()
    };
    let mut q = Sql::new(
        "SELECT s.kind, COUNT(*), CAST(COALESCE(SUM(s.workers), 0) AS BIGINT), CAST(COALESCE(SUM(s.amount_fen), 0) AS BIGINT) FROM services s",
    );
    conditions(&mut q, scope, &f);
    q.push(" GROUP BY s.kind");
    let (sql, args) = q.build();
    let rows: Vec<(ServiceKind, i64, i64, Fen)> =
        sqlx::query_as_with(sql, args).fetch_all(db.pool()).await?;
    let by_kind: Vec<KindFigures> = ServiceKind::ALL
        .into_iter()
        .map(|kind| {
            let r = rows.iter().find(|r| r.0 == kind);
            KindFigures {
                kind,
                count: r.map_or(0, |r| r.1),
                workers: r.map_or(0, |r| r.2),
                amount_fen: r.map_or(Fen(0), |r| r.3),
            }
        })
        .collect();
    let mut q = Sql::new(
        "SELECT SUBSTR(s.served_on, 1, 7) AS month, COUNT(*) AS count, CAST(COALESCE(SUM(s.amount_fen), 0) AS BIGINT) AS amount_fen FROM services s",
    );
    conditions(&mut q, scope, &f);
    q.push(" GROUP BY SUBSTR(s.served_on, 1, 7) ORDER BY month");
    let (sql, args) = q.build();
    let by_month: Vec<MonthFigures> = sqlx::query_as_with(sql, args).fetch_all(db.pool()).await?;
    Ok(Figures {
        count: by_kind.iter().map(|k| k.count).sum(),
        workers: by_kind.iter().map(|k| k.workers).sum(),
        amount_fen: by_kind.iter().map(|k| k.amount_fen).sum(),
        by_kind,
        by_month,
    })
}
