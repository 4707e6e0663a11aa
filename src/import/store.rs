//! Uploaded files waiting for their uploader to confirm (`pending_imports`).
//! Only the user who uploaded a file can see or commit it.

use super::{ImportKind, already_committed};
use crate::{
    auth::Caller,
    db::{Db, DbError, ImportId, Tx, now},
    error::AppError,
};

/// Uncommitted uploads older than this are deleted when the same user uploads again.
const KEEP_UNCOMMITTED_SECS: i64 = 7 * 24 * 3600;

/// A staged upload.
#[derive(Clone, Debug)]
pub struct Pending {
    pub id: ImportId,
    pub kind: ImportKind,
    pub filename: String,
    pub content: Vec<u8>,
    pub created_at: i64,
    pub committed_at: Option<i64>,
}

/// Keeps an upload for the caller and returns its id; drops the caller's stale ones.
pub async fn stage(
    db: &Db,
    caller: &Caller,
    kind: ImportKind,
    filename: &str,
    content: &[u8],
) -> Result<ImportId, DbError> {
    let t = now();
    let mut tx = db.begin().await?;
    sqlx::query(
        "DELETE FROM pending_imports WHERE user_id = $1 AND committed_at IS NULL AND created_at < $2",
    )
    .bind(caller.user_id)
    .bind(t - KEEP_UNCOMMITTED_SECS)
    .execute(&mut *tx)
    .await?;
    let id: ImportId = sqlx::query_scalar(
        "INSERT INTO pending_imports (org_id, user_id, kind, filename, content, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(caller.home_org)
    .bind(caller.user_id)
    .bind(kind.as_str())
    .bind(filename)
    .bind(content.to_vec())
    .bind(t)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// The caller's own staged upload; `None` for anyone else's.
pub async fn get(db: &Db, caller: &Caller, id: ImportId) -> Result<Option<Pending>, DbError> {
    #[allow(clippy::type_complexity)]
    let row: Option<(ImportId, String, String, Vec<u8>, i64, Option<i64>)> = sqlx::query_as(
        "SELECT id, kind, filename, content, created_at, committed_at FROM pending_imports \
         WHERE id = $1 AND user_id = $2",
    )
    .bind(id)
    .bind(caller.user_id)
    .fetch_optional(db.pool())
    .await?;
    Ok(
        row.and_then(|(id, kind, filename, content, created_at, committed_at)| {
            Some(Pending {
                id,
                kind: ImportKind::parse(&kind)?,
                filename,
                content,
                created_at,
                committed_at,
            })
        }),
    )
}

/// Marks the caller's upload committed inside the import's transaction; refuses
/// one that is already committed (or not the caller's), so it imports only once.
pub async fn mark_committed(tx: &mut Tx, caller: &Caller, id: ImportId) -> Result<(), AppError> {
    let done = sqlx::query(
        "UPDATE pending_imports SET committed_at = $1 WHERE id = $2 AND user_id = $3 AND committed_at IS NULL",
    )
    .bind(now())
    .bind(id)
    .bind(caller.user_id)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() == 1 {
        Ok(())
    } else {
        Err(already_committed())
    }
}
