//! Taking a backup while the server runs and takes writes.
//!
//! The database is copied as of one moment: on SQLite `VACUUM INTO` (one read
//! transaction, so one consistent image while writers go on in the WAL), on
//! PostgreSQL `pg_dump --snapshot` of a REPEATABLE READ transaction that also
//! counts the tables and lists the attachments, so counts, dump and file list
//! agree. Then the files those rows name are copied: a file is on disk before
//! its row commits, so every live row of the image has its file, unless an
//! attachment was deleted (and its file removed) after the snapshot; such a
//! content is listed in the manifest and the restore marks its rows deleted.
//!
//! The archive is written under a dot-name ending in `.partial` and renamed
//! into place once complete and flushed, so a half-written archive is never
//! taken for a backup.

use std::{
    collections::BTreeMap,
    fs::File,
    io::{BufWriter, Write},
    path::{Path, PathBuf},
    sync::Arc,
};

use sha2::{Digest, Sha256};
use sqlx::{Connection, Row, sqlite::SqliteConnection};
use zip::{CompressionMethod, ZipWriter, write::SimpleFileOptions};

use super::{
    BackupError, Engine, EntryInfo, Manifest, Progress, Stage, content_entry, copy_hashed, io_at,
};
use crate::{
    attachment::store::{file_path, thumb_path},
    db::{Backend, Db, now},
};

/// A finished backup.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub path: PathBuf,
    /// The archive's file name.
    pub name: String,
    pub size: u64,
    pub manifest: Manifest,
}

/// One content the image's live attachment rows name.
#[derive(Clone, Debug)]
struct Content {
    sha256: String,
    thumbnail: bool,
}

/// What the database part of a snapshot yields.
struct Image {
    /// The file to put into the archive (an SQLite file or a dump).
    scratch: super::Scratch,
    schema_version: i64,
    counts: BTreeMap<String, i64>,
    contents: Vec<Content>,
}

/// Takes a backup of `db` and the attachments under `data_dir` into a new
/// archive in `dir` (created if missing).
pub async fn take(
    db: &Db,
    database_url: &str,
    data_dir: &Path,
    dir: &Path,
    progress: Arc<dyn Progress>,
) -> Result<Outcome, BackupError> {
    std::fs::create_dir_all(dir).map_err(|e| io_at(dir, e))?;
    let created_at = now();
    progress.stage(Stage::Database, 0);
    let engine = Engine::of(db.backend());
    let image = match db.backend() {
        Backend::Sqlite => sqlite_image(db, dir).await?,
        Backend::Postgres => postgres_image(db, database_url, dir).await?,
    };
    let manifest = Manifest {
        format: super::FORMAT,
        qingting_version: env!("CARGO_PKG_VERSION").to_string(),
        schema_version: image.schema_version,
        backend: engine,
        created_at,
        created_at_utc: super::utc_text(created_at),
        counts: image.counts,
        entries: Vec::new(),
        deleted_after_snapshot: Vec::new(),
        missing_thumbnails: Vec::new(),
    };
    let handle = tokio::runtime::Handle::current();
    let job = Job {
        db: db.clone(),
        data_dir: data_dir.to_path_buf(),
        dir: dir.to_path_buf(),
        image: image.scratch.0.clone(),
        contents: image.contents,
        manifest,
    };
    let outcome = tokio::task::spawn_blocking(move || job.write(&handle, &*progress))
        .await
        .map_err(|e| BackupError::Other(e.into()));
    drop(image.scratch);
    outcome?
}

async fn sqlite_image(db: &Db, dir: &Path) -> Result<Image, BackupError> {
    let scratch = super::scratch_in(dir, "db");
    let mut conn = db.pool().acquire().await?;
    // One statement, one read transaction: the image is the database as of
    // its start, whatever commits meanwhile.
    sqlx::query("VACUUM INTO $1")
        .bind(scratch.0.to_string_lossy().into_owned())
        .execute(&mut *conn)
        .await?;
    drop(conn);
    let mut image = open_image(&scratch.0).await?;
    let schema_version: i64 = sqlx::query_scalar(
        "SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success = 1",
    )
    .fetch_one(&mut image)
    .await?;
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .fetch_all(&mut image)
    .await?;
    let counts = count_sqlite(&mut image, &tables).await?;
    let contents = live_contents_sqlite(&mut image).await?;
    image.close().await?;
    Ok(Image {
        scratch,
        schema_version,
        counts,
        contents,
    })
}

/// Opens an SQLite database image on its own (not through the app's pool,
/// whose settings would turn it into a WAL database with side files).
pub(crate) async fn open_image(path: &Path) -> Result<SqliteConnection, BackupError> {
    use sqlx::ConnectOptions;
    let opts = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(false)
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Delete);
    Ok(opts.connect().await?)
}

/// Rows per table of an SQLite image.
pub(crate) async fn count_sqlite(
    conn: &mut SqliteConnection,
    tables: &[String],
) -> Result<BTreeMap<String, i64>, BackupError> {
    let mut counts = BTreeMap::new();
    for t in tables {
        let sql = format!("SELECT COUNT(*) FROM \"{}\"", t.replace('"', "\"\""));
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(&mut *conn)
            .await?;
        counts.insert(t.clone(), n);
    }
    Ok(counts)
}

const LIVE_CONTENTS: &str = "SELECT sha256, MAX(has_thumbnail) AS thumb FROM attachments \
    WHERE deleted_at IS NULL GROUP BY sha256 ORDER BY sha256";

async fn live_contents_sqlite(conn: &mut SqliteConnection) -> Result<Vec<Content>, BackupError> {
    let rows = sqlx::query(LIVE_CONTENTS).fetch_all(&mut *conn).await?;
    rows.into_iter()
        .map(|r| {
            Ok(Content {
                sha256: r.try_get("sha256")?,
                thumbnail: r.try_get::<i64, _>("thumb")? != 0,
            })
        })
        .collect()
}

async fn postgres_image(db: &Db, url: &str, dir: &Path) -> Result<Image, BackupError> {
    let pg_dump = super::pg_tool("pg_dump")?;
    let scratch = super::scratch_in(dir, "pgdump");
    let mut tx = db
        .pool()
        .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .await?;
    let snapshot: String = sqlx::query_scalar("SELECT pg_export_snapshot()")
        .fetch_one(&mut *tx)
        .await?;
    let schema_version: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success")
            .fetch_one(&mut *tx)
            .await?;
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename",
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut counts = BTreeMap::new();
    for t in &tables {
        let sql = format!("SELECT COUNT(*) FROM \"{}\"", t.replace('"', "\"\""));
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(&mut *tx)
            .await?;
        counts.insert(t.clone(), n);
    }
    let rows = sqlx::query(LIVE_CONTENTS).fetch_all(&mut *tx).await?;
    let contents = rows
        .into_iter()
        .map(|r| {
            Ok(Content {
                sha256: r.try_get("sha256")?,
                thumbnail: r.try_get::<i64, _>("thumb")? != 0,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    // pg_dump reads the exported snapshot, which lives as long as this
    // transaction: it stays open until the dump is written.
    let (conn_url, password) = super::split_password(url);
    let args: Vec<std::ffi::OsString> = vec![
        "--format=custom".into(),
        "--no-owner".into(),
        "--no-privileges".into(),
        format!("--snapshot={snapshot}").into(),
        {
            let mut f = std::ffi::OsString::from("--file=");
            f.push(scratch.0.as_os_str());
            f
        },
        format!("--dbname={conn_url}").into(),
    ];
    let dumped = tokio::task::spawn_blocking(move || {
        super::run_pg_tool("pg_dump", &pg_dump, &args, password.as_deref())
    })
    .await
    .map_err(|e| BackupError::Other(e.into()))?;
    tx.rollback().await?;
    dumped?;
    Ok(Image {
        scratch,
        schema_version,
        counts,
        contents,
    })
}

/// The blocking half: the zip.
struct Job {
    db: Db,
    data_dir: PathBuf,
    dir: PathBuf,
    image: PathBuf,
    contents: Vec<Content>,
    manifest: Manifest,
}

impl Job {
    fn write(
        mut self,
        rt: &tokio::runtime::Handle,
        progress: &dyn Progress,
    ) -> Result<Outcome, BackupError> {
        let total: u64 = std::fs::metadata(&self.image).map(|m| m.len()).unwrap_or(0)
            + self
                .contents
                .iter()
                .map(|c| {
                    let f = file_path(&self.data_dir, &c.sha256)
                        .and_then(|p| std::fs::metadata(p).ok())
                        .map_or(0, |m| m.len());
                    let t = if c.thumbnail {
                        thumb_path(&self.data_dir, &c.sha256)
                            .and_then(|p| std::fs::metadata(p).ok())
                            .map_or(0, |m| m.len())
                    } else {
                        0
                    };
                    f + t
                })
                .sum::<u64>();
        progress.stage(Stage::Archive, total);
        let partial = super::scratch_in(&self.dir, "zip");
        let file = File::create(&partial.0).map_err(|e| io_at(&partial.0, e))?;
        let mut zip = ZipWriter::new(BufWriter::new(file));
        let engine = self.manifest.backend;
        let entry = add_file(&mut zip, engine.entry(), &self.image, true, progress)?
            .ok_or_else(|| BackupError::Io(format!("{}: vanished", self.image.display())))?;
        self.manifest.entries.push(entry);
        for c in std::mem::take(&mut self.contents) {
            let Some(path) = file_path(&self.data_dir, &c.sha256) else {
                continue;
            };
            match add_file(
                &mut zip,
                &content_entry("files", &c.sha256),
                &path,
                false,
                progress,
            )? {
                Some(e) => self.manifest.entries.push(e),
                None => {
                    if rt.block_on(still_live(&self.db, &c.sha256))? {
                        return Err(BackupError::FileLost(c.sha256));
                    }
                    tracing::info!(sha256 = %c.sha256, "attachment deleted after the snapshot; its rows will be restored as deleted");
                    self.manifest.deleted_after_snapshot.push(c.sha256);
                    continue;
                }
            }
            if c.thumbnail
                && let Some(path) = thumb_path(&self.data_dir, &c.sha256)
            {
                match add_file(
                    &mut zip,
                    &content_entry("thumbs", &c.sha256),
                    &path,
                    false,
                    progress,
                )? {
                    Some(e) => self.manifest.entries.push(e),
                    None => {
                        tracing::warn!(sha256 = %c.sha256, "thumbnail missing; backed up without it");
                        self.manifest.missing_thumbnails.push(c.sha256);
                    }
                }
            }
        }
        let json =
            serde_json::to_vec_pretty(&self.manifest).map_err(|e| BackupError::Other(e.into()))?;
        zip.start_file(
            super::MANIFEST,
            SimpleFileOptions::default().compression_method(CompressionMethod::Deflated),
        )?;
        zip.write_all(&json).map_err(|e| io_at(&partial.0, e))?;
        let file = zip
            .finish()?
            .into_inner()
            .map_err(|e| io_at(&partial.0, e.into_error()))?;
        file.sync_all().map_err(|e| io_at(&partial.0, e))?;
        let size = file.metadata().map_err(|e| io_at(&partial.0, e))?.len();
        drop(file);
        let (name, path) = free_name(&self.dir, self.manifest.created_at);
        std::fs::rename(&partial.0, &path).map_err(|e| io_at(&path, e))?;
        std::mem::forget(partial);
        // The rename is durable once the folder is flushed too.
        if let Ok(d) = File::open(&self.dir) {
            let _ = d.sync_all();
        }
        Ok(Outcome {
            path,
            name,
            size,
            manifest: self.manifest,
        })
    }
}

/// The archive's final name: the snapshot's UTC time, with `-2`, `-3` … when
/// two backups fall in the same second.
fn free_name(dir: &Path, ts: i64) -> (String, PathBuf) {
    let base = super::archive_name(ts);
    let mut name = base.clone();
    let mut n = 1;
    while dir.join(&name).exists() {
        n += 1;
        name = format!("{}-{n}.zip", base.trim_end_matches(".zip"));
    }
    let path = dir.join(&name);
    (name, path)
}

/// Whether a live attachment row names the content now.
async fn still_live(db: &Db, sha256: &str) -> Result<bool, BackupError> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM attachments WHERE sha256 = $1 AND deleted_at IS NULL",
    )
    .bind(sha256)
    .fetch_one(db.pool())
    .await?;
    Ok(n > 0)
}

/// Adds one file as an entry, hashing it as it goes; `None` when the file
/// does not exist (the caller decides what that means).
fn add_file<W: Write + std::io::Seek>(
    zip: &mut ZipWriter<W>,
    name: &str,
    path: &Path,
    compress: bool,
    progress: &dyn Progress,
) -> Result<Option<EntryInfo>, BackupError> {
    let mut f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_at(path, e)),
    };
    let len = f.metadata().map_err(|e| io_at(path, e))?.len();
    // Photos and documents are compressed already; the database image is not.
    let method = if compress {
        CompressionMethod::Deflated
    } else {
        CompressionMethod::Stored
    };
    let options = SimpleFileOptions::default()
        .compression_method(method)
        .large_file(len >= 0xFFFF_0000);
    zip.start_file(name, options)?;
    let (size, sha256) = copy_hashed(&mut f, zip, progress).map_err(|e| io_at(path, e))?;
    Ok(Some(EntryInfo {
        name: name.to_string(),
        size,
        sha256,
    }))
}

/// SHA-256 of a whole file (tests and the restore's checks).
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut f = File::open(path)?;
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h)?;
    Ok(hex::encode(h.finalize()))
}
