//! Putting a backup back: into an empty data dir (SQLite) or an empty
//! database (PostgreSQL, through `pg_restore`), never over anything. The
//! archive is verified completely before anything is written; the SQLite
//! file is moved into place last, so an interrupted restore leaves no
//! database that looks whole.

use std::{
    fs::File,
    io::BufReader,
    path::{Path, PathBuf},
    sync::Arc,
};

use zip::ZipArchive;

use super::{BackupError, Engine, Manifest, Progress, Stage, io_at, parse_content_entry};
use crate::{config::Settings, db::Db};

/// What a restore did.
#[derive(Clone, Debug)]
pub struct Restored {
    pub manifest: Manifest,
    /// Attachment files and thumbnails written.
    pub files: usize,
    /// The schema version after migrating (the archive's, or newer).
    pub schema_version: i64,
}

/// Restores `archive` into the data dir and database of `settings`.
pub async fn restore(
    settings: &Settings,
    archive: &Path,
    progress: Arc<dyn Progress>,
) -> Result<Restored, BackupError> {
    let url = settings.database_url();
    let target = if url.starts_with("sqlite:") {
        Engine::Sqlite
    } else {
        Engine::Postgres
    };
    // The manifest alone first: a wrong kind of archive is named before any
    // long check.
    let head = super::verify::read_manifest(archive)?;
    if head.backend != target {
        return Err(BackupError::BackendMismatch {
            archive: head.backend,
            target,
        });
    }
    let known = super::binary_schema_version(target);
    if head.schema_version > known {
        return Err(BackupError::TooNew {
            archive: head.schema_version,
            binary: known,
        });
    }
    let data_dir = settings.data_dir.clone();
    match target {
        Engine::Sqlite => restore_sqlite(settings, archive, &data_dir, progress).await,
        Engine::Postgres => restore_postgres(&url, settings, archive, &data_dir, progress).await,
    }
}

/// The SQLite file a `sqlite://` URL names.
fn sqlite_path(url: &str) -> PathBuf {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    PathBuf::from(rest.split('?').next().unwrap_or(rest))
}

/// Refuses a data dir with anything in it but a `backups` folder (and the
/// archive itself), naming what is there.
fn refuse_files(data_dir: &Path, archive: &Path, url: &str) -> Result<(), BackupError> {
    let mut contents = Vec::new();
    let archive = archive.canonicalize().ok();
    match std::fs::read_dir(data_dir) {
        Ok(rd) => {
            for e in rd.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if name == "backups" || e.path().canonicalize().ok() == archive {
                    continue;
                }
                contents.push(if e.path().is_dir() {
                    format!("{name}/")
                } else {
                    name
                });
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_at(data_dir, e)),
    }
    if url.starts_with("sqlite:") {
        let db = sqlite_path(url);
        if db.exists() && !db.starts_with(data_dir) {
            contents.push(db.display().to_string());
        }
    }
    if contents.is_empty() {
        return Ok(());
    }
    contents.sort();
    let more = contents.len().saturating_sub(10);
    contents.truncate(10);
    if more > 0 {
        contents.push(format!("and {more} more"));
    }
    Err(BackupError::TargetNotEmpty {
        target: format!("data dir {}", data_dir.display()),
        contents,
    })
}

async fn restore_sqlite(
    settings: &Settings,
    archive: &Path,
    data_dir: &Path,
    progress: Arc<dyn Progress>,
) -> Result<Restored, BackupError> {
    let url = settings.database_url();
    refuse_files(data_dir, archive, &url)?;
    let db_path = sqlite_path(&url);
    std::fs::create_dir_all(data_dir).map_err(|e| io_at(data_dir, e))?;
    let parent = db_path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| io_at(parent, e))?;
    let scratch = super::scratch_in(parent, "restore");
    let manifest =
        super::verify::verify(archive, Some(scratch.0.clone()), progress.clone()).await?;
    let files = extract_files(archive, data_dir, progress).await?;
    std::fs::rename(&scratch.0, &db_path).map_err(|e| io_at(&db_path, e))?;
    std::mem::forget(scratch);
    finish(&url, settings, manifest, files).await
}

async fn restore_postgres(
    url: &str,
    settings: &Settings,
    archive: &Path,
    data_dir: &Path,
    progress: Arc<dyn Progress>,
) -> Result<Restored, BackupError> {
    let pg_restore = super::pg_tool("pg_restore")?;
    let db = Db::connect(url, 1).await?;
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename",
    )
    .fetch_all(db.pool())
    .await?;
    db.close().await;
    if !tables.is_empty() {
        let mut contents: Vec<String> = tables
            .iter()
            .take(10)
            .map(|t| format!("table {t}"))
            .collect();
        if tables.len() > 10 {
            contents.push(format!("and {} more tables", tables.len() - 10));
        }
        return Err(BackupError::TargetNotEmpty {
            target: format!("database {}", crate::config::redact_url(url)),
            contents,
        });
    }
    refuse_files(data_dir, archive, url)?;
    std::fs::create_dir_all(data_dir).map_err(|e| io_at(data_dir, e))?;
    let scratch = super::scratch_in(&std::env::temp_dir(), "restore-pgdump");
    let manifest =
        super::verify::verify(archive, Some(scratch.0.clone()), progress.clone()).await?;
    progress.stage(Stage::Restore, 0);
    let (conn_url, password) = super::split_password(url);
    let args: Vec<std::ffi::OsString> = vec![
        "--no-owner".into(),
        "--no-privileges".into(),
        "--exit-on-error".into(),
        "--single-transaction".into(),
        format!("--dbname={conn_url}").into(),
        scratch.0.as_os_str().into(),
    ];
    tokio::task::spawn_blocking(move || {
        super::run_pg_tool("pg_restore", &pg_restore, &args, password.as_deref())
    })
    .await
    .map_err(|e| BackupError::Other(e.into()))??;
    drop(scratch);
    let files = extract_files(archive, data_dir, progress).await?;
    finish(url, settings, manifest, files).await
}

/// Writes `files/…` and `thumbs/…` entries under the data dir.
async fn extract_files(
    archive: &Path,
    data_dir: &Path,
    progress: Arc<dyn Progress>,
) -> Result<usize, BackupError> {
    let archive = archive.to_path_buf();
    let data_dir = data_dir.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let f = File::open(&archive).map_err(|e| io_at(&archive, e))?;
        let mut zip = ZipArchive::new(BufReader::new(f))
            .map_err(|e| BackupError::NotAnArchive(archive.display().to_string(), e.to_string()))?;
        let total = (0..zip.len())
            .filter_map(|i| zip.by_index_raw(i).ok().map(|e| e.size()))
            .sum();
        progress.stage(Stage::Restore, total);
        let mut n = 0;
        for i in 0..zip.len() {
            let mut entry = zip.by_index(i)?;
            let name = entry.name()?.into_owned();
            let Some((folder, sha)) = parse_content_entry(&name) else {
                progress.advance(entry.size());
                continue;
            };
            let path = data_dir.join(folder).join(&sha[..2]).join(&sha[2..]);
            if let Some(p) = path.parent() {
                std::fs::create_dir_all(p).map_err(|e| io_at(p, e))?;
            }
            let mut out = File::create(&path).map_err(|e| io_at(&path, e))?;
            super::copy_hashed(&mut entry, &mut out, &*progress).map_err(|e| io_at(&path, e))?;
            out.sync_all().map_err(|e| io_at(&path, e))?;
            n += 1;
        }
        Ok(n)
    })
    .await
    .map_err(|e| BackupError::Other(e.into()))?
}

/// Migrates a restored database to this binary's schema and marks deleted
/// the attachments whose files were removed while the backup ran.
async fn finish(
    url: &str,
    settings: &Settings,
    manifest: Manifest,
    files: usize,
) -> Result<Restored, BackupError> {
    let db = Db::connect(url, settings.database.max_connections.min(2)).await?;
    db.migrate().await?;
    if !manifest.deleted_after_snapshot.is_empty() {
        let mut tx = db.begin().await?;
        for sha in &manifest.deleted_after_snapshot {
            sqlx::query(
                "UPDATE attachments SET deleted_at = $1 WHERE sha256 = $2 AND deleted_at IS NULL",
            )
            .bind(manifest.created_at)
            .bind(sha)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
    }
    if !manifest.missing_thumbnails.is_empty() {
        let mut tx = db.begin().await?;
        for sha in &manifest.missing_thumbnails {
            sqlx::query("UPDATE attachments SET has_thumbnail = 0 WHERE sha256 = $1")
                .bind(sha)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
    }
    let schema_version: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations")
            .fetch_one(db.pool())
            .await?;
    db.close().await;
    Ok(Restored {
        manifest,
        files,
        schema_version,
    })
}
