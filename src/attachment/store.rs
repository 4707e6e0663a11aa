//! Attachment rows and the files on disk.
//!
//! Files are content-addressed: `{data_dir}/files/ab/cdef…` where `abcdef…` is
//! the SHA-256 of the bytes, so a photo attached twice is stored once, and no
//! part of a path ever comes from the client. A file is written to
//! `{data_dir}/files/tmp/` first, flushed, then renamed into place, so a crash
//! never leaves half a file under a hash. Thumbnails live the same way under
//! `{data_dir}/thumbs/`.
//!
//! Access: these functions do not check who asks. Every caller in `http` first
//! loads the owning record through its own module's scoped `get` (an activity,
//! problem, campaign or plan the caller cannot read is not found), so an
//! attachment is readable exactly when its owner is.

use std::path::{Path, PathBuf};

use tokio::io::AsyncWriteExt;

use super::{Attachment, FileType, Owner, OwnerKind};
use crate::{
    db::{AttachmentId, CampaignId, Db, DbError, OrgId, PlanId, Tx, UserId, now},
    error::AppError,
};

/// Serialises "write file + insert row" against "delete row + remove file", so
/// a delete never removes a file that an upload of the same bytes has just
/// found on disk and is about to reference. One process owns a data dir.
static FILES: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The guard held while files and rows change together.
pub async fn lock() -> tokio::sync::MutexGuard<'static, ()> {
    FILES.lock().await
}

fn split(sha256: &str) -> Option<(&str, &str)> {
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    Some(sha256.split_at(2))
}

/// Where the content with this hash lives.
pub fn file_path(data_dir: &Path, sha256: &str) -> Option<PathBuf> {
    let (a, b) = split(sha256)?;
    Some(data_dir.join("files").join(a).join(b))
}

/// Where the thumbnail of the content with this hash lives.
pub fn thumb_path(data_dir: &Path, sha256: &str) -> Option<PathBuf> {
    let (a, b) = split(sha256)?;
    Some(data_dir.join("thumbs").join(a).join(b))
}

/// Writes `bytes` to `path` unless it is already there (same hash, same bytes):
/// through a temporary file in `{data_dir}/files/tmp`, flushed, then renamed.
pub async fn put(data_dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if tokio::fs::try_exists(path).await.unwrap_or(false) {
        return Ok(());
    }
    let tmp_dir = data_dir.join("files").join("tmp");
    tokio::fs::create_dir_all(&tmp_dir).await?;
    if let Some(parent) = path.parent() {
        tokio::fs::create_dir_all(parent).await?;
    }
    let tmp = tmp_dir.join(crate::auth::random_token(12));
    let mut f = tokio::fs::File::create(&tmp).await?;
    let written = async {
        f.write_all(bytes).await?;
        f.sync_all().await
    }
    .await;
    drop(f);
    if let Err(e) = written {
        let _ = tokio::fs::remove_file(&tmp).await;
        return Err(e);
    }
    if let Err(e) = tokio::fs::rename(&tmp, path).await {
        let _ = tokio::fs::remove_file(&tmp).await;
        return Err(e);
    }
    Ok(())
}

/// Removes the file and thumbnail of a hash (missing files are fine).
pub async fn remove_files(data_dir: &Path, sha256: &str) -> std::io::Result<()> {
    for p in [file_path(data_dir, sha256), thumb_path(data_dir, sha256)]
        .into_iter()
        .flatten()
    {
        match tokio::fs::remove_file(&p).await {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

const SELECT: &str = "SELECT a.id, a.org_id, a.owner_kind, a.owner_id, a.filename, a.mime, \
    a.size_bytes, a.sha256, a.is_image, a.has_thumbnail, a.uploaded_by, u.display_name AS uploader_name, \
    a.created_at FROM attachments a LEFT JOIN users u ON u.id = a.uploaded_by";

#[derive(sqlx::FromRow)]
struct Row {
    id: AttachmentId,
    org_id: OrgId,
    owner_kind: OwnerKind,
    owner_id: i64,
    filename: String,
    mime: String,
    size_bytes: i64,
    sha256: String,
    is_image: i64,
    has_thumbnail: i64,
    uploaded_by: Option<UserId>,
    uploader_name: Option<String>,
    created_at: i64,
}

impl From<Row> for Attachment {
    fn from(r: Row) -> Self {
        let has_thumbnail = r.has_thumbnail != 0;
        Attachment {
            url: format!("/api/v1/attachments/{}/file", r.id),
            thumbnail_url: has_thumbnail.then(|| format!("/api/v1/attachments/{}/thumbnail", r.id)),
            id: r.id,
            org_id: r.org_id,
            owner_kind: r.owner_kind,
            owner_id: r.owner_id,
            filename: r.filename,
            mime: r.mime,
            size_bytes: r.size_bytes,
            sha256: r.sha256,
            is_image: r.is_image != 0,
            has_thumbnail,
            uploaded_by: r.uploaded_by,
            uploader_name: r.uploader_name,
            created_at: r.created_at,
        }
    }
}

/// The live attachments of a record, oldest first. The caller has checked it
/// may read the owner.
pub async fn list(db: &Db, owner: Owner) -> Result<Vec<Attachment>, DbError> {
    let sql = format!(
        "{SELECT} WHERE a.owner_kind = $1 AND a.owner_id = $2 AND a.deleted_at IS NULL ORDER BY a.id"
    );
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(owner.kind.as_str())
        .bind(owner.id)
        .fetch_all(db.pool())
        .await?;
    Ok(rows.into_iter().map(Attachment::from).collect())
}

/// A live attachment by id, whoever asks: the caller must then check its owner
/// is readable (see the module comment).
pub async fn get_unchecked(db: &Db, id: AttachmentId) -> Result<Option<Attachment>, DbError> {
    let sql = format!("{SELECT} WHERE a.id = $1 AND a.deleted_at IS NULL");
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(Attachment::from))
}

/// A file about to be recorded.
#[derive(Debug)]
pub struct NewFile {
    pub filename: String,
    pub file_type: FileType,
    pub size_bytes: i64,
    pub sha256: String,
    pub has_thumbnail: bool,
}

/// Inserts one attachment row.
pub async fn insert(
    tx: &mut Tx,
    org: OrgId,
    owner: Owner,
    f: &NewFile,
    user: UserId,
) -> Result<AttachmentId, DbError> {
    sqlx::query_scalar(
        "INSERT INTO attachments (org_id, owner_kind, owner_id, filename, mime, size_bytes, sha256, \
         is_image, has_thumbnail, uploaded_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(org)
    .bind(owner.kind.as_str())
    .bind(owner.id)
    .bind(&f.filename)
    .bind(f.file_type.mime())
    .bind(f.size_bytes)
    .bind(&f.sha256)
    .bind(i64::from(f.file_type.is_image()))
    .bind(i64::from(f.has_thumbnail))
    .bind(user)
    .bind(now())
    .fetch_one(&mut **tx)
    .await
}

/// Marks an attachment deleted and says whether any live row still names its
/// hash (if not, the caller removes the file after committing).
pub async fn delete(tx: &mut Tx, id: AttachmentId, sha256: &str) -> Result<bool, DbError> {
    sqlx::query("UPDATE attachments SET deleted_at = $1 WHERE id = $2 AND deleted_at IS NULL")
        .bind(now())
        .bind(id)
        .execute(&mut **tx)
        .await?;
    let live: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM attachments WHERE sha256 = $1 AND deleted_at IS NULL",
    )
    .bind(sha256)
    .fetch_one(&mut **tx)
    .await?;
    Ok(live > 0)
}

/// The campaign and unit of a plan.
pub async fn plan_key(db: &Db, plan: PlanId) -> Result<Option<(CampaignId, OrgId)>, DbError> {
    sqlx::query_as("SELECT campaign_id, org_id FROM plans WHERE id = $1")
        .bind(plan)
        .fetch_optional(db.pool())
        .await
}

/// Reads a stored file; a missing file is an internal error (the row says it exists).
pub async fn read(path: &Path) -> Result<Vec<u8>, AppError> {
    tokio::fs::read(path)
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{}: {e}", path.display())))
}
