//! Keeping the audit log for `[audit] keep_days` (at least 180) and purging
//! what is older, once a day inside the server.
//!
//! The database guards the log on its own: its triggers refuse every UPDATE,
//! and a DELETE of any entry younger than the retention recorded in the
//! one-row table `audit_policy`, whose CHECK refuses less than 180 days. The
//! purge first records the configured retention there, then deletes by the
//! database's own clock, the same clock the trigger reads, so the two always
//! agree on where "old enough" starts.

use std::{sync::Arc, time::Duration};

use super::{Action, Entry, store};
use crate::{
    config::Settings,
    db::{Backend, Db, DbError, OrgId, now},
};

/// The current time in epoch seconds, as an SQL expression of the backend.
fn db_now(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "CAST(strftime('%s', 'now') AS INTEGER)",
        Backend::Postgres => "CAST(EXTRACT(EPOCH FROM now()) AS BIGINT)",
    }
}

/// The retention the database enforces, in days.
pub async fn recorded_keep_days(db: &Db) -> Result<i64, DbError> {
    sqlx::query_scalar("SELECT keep_days FROM audit_policy WHERE id = 1")
        .fetch_one(db.pool())
        .await
}

/// Records `keep_days` as the database's retention and deletes the entries
/// older than it, in one transaction; a purge that removed anything leaves an
/// `audit_purged` entry for each top-level org (their admins read the log).
/// Returns how many entries were deleted.
pub async fn purge(db: &Db, keep_days: i64) -> Result<u64, DbError> {
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE audit_policy SET keep_days = $1, updated_at = $2 WHERE id = 1")
        .bind(keep_days)
        .bind(now())
        .execute(&mut *tx)
        .await?;
    let sql = format!(
        "DELETE FROM audit_log WHERE created_at < {} - $1 * 86400",
        db_now(db.backend())
    );
    let deleted = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(keep_days)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if deleted > 0 {
        let roots: Vec<OrgId> = sqlx::query_scalar("SELECT id FROM orgs WHERE parent_id IS NULL")
            .fetch_all(&mut *tx)
            .await?;
        for org in roots {
            let e = Entry {
                org_id: Some(org),
                user_id: None,
                username: None,
                action: Action::AuditPurged,
                target: None,
                detail: Some(format!("{deleted} entries older than {keep_days} days")),
                ip: None,
            };
            store::record(&mut *tx, &e).await?;
        }
    }
    tx.commit().await?;
    Ok(deleted)
}

/// Runs [`purge`] at start and then once a day.
pub fn spawn(db: Db, settings: Arc<Settings>) {
    let keep_days = settings.audit.keep_days;
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(24 * 3600));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match purge(&db, keep_days).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(
                    audit.purged = n,
                    audit.keep_days = keep_days,
                    "audit log purged"
                ),
                Err(e) => tracing::error!(error = %e, "audit purge failed"),
            }
        }
    });
}
