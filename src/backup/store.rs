//! The record of backup runs (`backup_runs`, migration 0018).

use serde::Serialize;

use crate::db::{Db, DbError};

/// What started a backup.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// The daily schedule inside `serve` (the only runs `keep` prunes).
    Schedule,
    /// The admin page's button or the API.
    Manual,
    /// `qingting backup` on the command line.
    Cli,
}

impl Origin {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Schedule => "schedule",
            Origin::Manual => "manual",
            Origin::Cli => "cli",
        }
    }

    /// Parses the stored spelling.
    pub fn parse(s: &str) -> Option<Origin> {
        match s {
            "schedule" => Some(Origin::Schedule),
            "manual" => Some(Origin::Manual),
            "cli" => Some(Origin::Cli),
            _ => None,
        }
    }
}

/// One finished run.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Run {
    pub id: i64,
    pub origin: Origin,
    /// Epoch seconds (UTC).
    pub started_at: i64,
    pub finished_at: i64,
    pub ok: bool,
    /// The archive's file name; empty when the run failed.
    pub archive: String,
    /// The folder the archive was written to.
    pub dir: String,
    pub size_bytes: i64,
    /// Why the run failed; empty when it succeeded.
    pub error: String,
    /// When the schedule's `keep` removed the archive.
    pub pruned_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    origin: String,
    started_at: i64,
    finished_at: i64,
    ok: i64,
    archive: String,
    dir: String,
    size_bytes: i64,
    error: String,
    pruned_at: Option<i64>,
}

impl From<Row> for Run {
    fn from(r: Row) -> Run {
        Run {
            id: r.id,
            origin: Origin::parse(&r.origin).unwrap_or(Origin::Manual),
            started_at: r.started_at,
            finished_at: r.finished_at,
            ok: r.ok != 0,
            archive: r.archive,
            dir: r.dir,
            size_bytes: r.size_bytes,
            error: r.error,
            pruned_at: r.pruned_at,
        }
    }
}

const SELECT: &str = "SELECT id, origin, started_at, finished_at, ok, archive, dir, size_bytes, \
    error, pruned_at FROM backup_runs";

/// A run about to be recorded.
#[derive(Clone, Debug)]
pub struct NewRun<'a> {
    pub origin: Origin,
    pub started_at: i64,
    pub finished_at: i64,
    pub ok: bool,
    pub archive: &'a str,
    pub dir: &'a str,
    pub size_bytes: i64,
    pub error: &'a str,
}

/// Records a finished run.
pub async fn record(db: &Db, r: &NewRun<'_>) -> Result<i64, DbError> {
    let mut tx = db.begin().await?;
    let id = sqlx::query_scalar(
        "INSERT INTO backup_runs (origin, started_at, finished_at, ok, archive, dir, size_bytes, error) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(r.origin.as_str())
    .bind(r.started_at)
    .bind(r.finished_at)
    .bind(i64::from(r.ok))
    .bind(r.archive)
    .bind(r.dir)
    .bind(r.size_bytes)
    .bind(r.error)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// The newest runs, newest first.
pub async fn recent(db: &Db, limit: i64) -> Result<Vec<Run>, DbError> {
    let sql = format!("{SELECT} ORDER BY finished_at DESC, id DESC LIMIT $1");
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(limit)
        .fetch_all(db.pool())
        .await?;
    Ok(rows.into_iter().map(Run::from).collect())
}

/// The newest successful run.
pub async fn last_success(db: &Db) -> Result<Option<Run>, DbError> {
    let sql = format!("{SELECT} WHERE ok = 1 ORDER BY finished_at DESC, id DESC LIMIT 1");
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(Run::from))
}

/// Successful scheduled runs into `dir` beyond the newest `keep`, whose
/// archives are still there: the ones to prune.
pub async fn beyond_keep(db: &Db, dir: &str, keep: i64) -> Result<Vec<Run>, DbError> {
    let sql = format!(
        "{SELECT} WHERE origin = 'schedule' AND ok = 1 AND dir = $1 AND pruned_at IS NULL \
         ORDER BY finished_at DESC, id DESC LIMIT -1 OFFSET $2"
    );
    // PostgreSQL has no LIMIT -1; LIMIT ALL is its spelling, which SQLite lacks.
    let sql = match db.backend() {
        crate::db::Backend::Sqlite => sql,
        crate::db::Backend::Postgres => sql.replace("LIMIT -1", "LIMIT ALL"),
    };
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(dir)
        .bind(keep)
        .fetch_all(db.pool())
        .await?;
    Ok(rows.into_iter().map(Run::from).collect())
}

/// Notes that a run's archive was removed.
pub async fn mark_pruned(db: &Db, id: i64, at: i64) -> Result<(), DbError> {
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE backup_runs SET pruned_at = $1 WHERE id = $2")
        .bind(at)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}
