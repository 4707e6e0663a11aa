//! Appending to and reading the audit log.

use sqlx::{Any, Executor};

use super::Entry;
use crate::{
    auth::Scope,
    db::{Db, DbError, Sql, now},
};

/// Appends an entry; pass the request's transaction so the entry commits with the change.
pub async fn record<'e, E: Executor<'e, Database = Any>>(ex: E, e: &Entry) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO audit_log (org_id, user_id, username, action, target, detail, ip, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(e.org_id)
    .bind(e.user_id)
    .bind(&e.username)
    .bind(e.action.as_str())
    .bind(&e.target)
    .bind(&e.detail)
    .bind(&e.ip)
    .bind(now())
    .execute(ex)
    .await?;
    Ok(())
}

/// A stored entry, for reading.
#[derive(Clone, Debug, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct AuditRow {
    pub id: i64,
    pub org_id: Option<i64>,
    pub org_name: Option<String>,
    pub username: Option<String>,
    pub action: String,
    pub target: Option<String>,
    pub detail: Option<String>,
    pub ip: Option<String>,
    pub created_at: i64,
}

/// Filters of the audit page.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub username: Option<String>,
    /// Inclusive, as epoch seconds.
    pub from: Option<i64>,
    /// Exclusive, as epoch seconds.
    pub to: Option<i64>,
}

/// A page of entries inside the scope, newest first, and the total.
pub async fn list(
    db: &Db,
    scope: &Scope,
    f: &AuditFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<AuditRow>, i64), DbError> {
    let filtered = |head: &str| {
        let mut q = Sql::new(head);
        q.push(" WHERE ").push(&scope.sql("a.org_id"));
        if let Some(a) = &f.action {
            q.push(" AND a.action = ").bind(a.clone());
        }
        if let Some(u) = &f.username {
            q.push(" AND a.username = ").bind(u.clone());
        }
        if let Some(t) = f.from {
            q.push(" AND a.created_at >= ").bind(t);
        }
        if let Some(t) = f.to {
            q.push(" AND a.created_at < ").bind(t);
        }
        q
    };
    let (sql, args) = filtered("SELECT COUNT(*) FROM audit_log a").build();
    let total: i64 = sqlx::query_scalar_with(sql, args)
        .fetch_one(db.pool())
        .await?;
    let mut q = filtered(
        "SELECT a.id, a.org_id, o.name AS org_name, a.username, a.action, a.target, a.detail, a.ip, a.created_at \
         FROM audit_log a LEFT JOIN orgs o ON o.id = a.org_id",
    );
    q.push(" ORDER BY a.id DESC LIMIT ")
        .bind(limit)
        .push(" OFFSET ")
        .bind(offset);
    let (sql, args) = q.build();
    let rows = sqlx::query_as_with(sql, args).fetch_all(db.pool()).await?;
    Ok((rows, total))
}
