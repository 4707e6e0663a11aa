//! Backups (issue 14 §1): one zip archive per backup holding the database
//! image (an SQLite file made by `VACUUM INTO`, or a `pg_dump` custom-format
//! dump), every attachment file and thumbnail the image's live rows name, and
//! `manifest.json` with the versions, per-table counts and the SHA-256 of
//! every other entry.
//!
//! - [`snapshot`] takes one while the server runs and takes writes;
//! - [`verify`] checks an archive against its manifest;
//! - [`restore`] puts one back into an empty data dir or database;
//! - [`schedule`] runs them inside `serve` and records each run ([`store`]);
//! - [`http`] is the admin page `/admin/backups`.

pub mod api;
pub mod ops;
pub mod pages;
pub mod restore;
pub mod schedule;
pub mod snapshot;
pub mod store;
pub mod verify;

use std::{
    collections::BTreeMap,
    io::{self, Read, Write},
    path::{Path, PathBuf},
};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::db::Backend;

/// The manifest's own entry; every other entry is listed in it.
pub const MANIFEST: &str = "manifest.json";
/// The database image of an SQLite deployment.
pub const SQLITE_ENTRY: &str = "database/qingting.db";
/// The `pg_dump --format=custom` dump of a PostgreSQL deployment.
pub const POSTGRES_ENTRY: &str = "database/qingting.pgdump";
/// Version of the archive layout; a reader refuses a newer one.
pub const FORMAT: u32 = 1;

/// Which database an archive holds, spelt as in the manifest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    /// The engine of a connected database.
    pub fn of(backend: Backend) -> Engine {
        match backend {
            Backend::Sqlite => Engine::Sqlite,
            Backend::Postgres => Engine::Postgres,
        }
    }

    /// The entry holding the database.
    pub fn entry(self) -> &'static str {
        match self {
            Engine::Sqlite => SQLITE_ENTRY,
            Engine::Postgres => POSTGRES_ENTRY,
        }
    }

    /// How operators call it.
    pub fn label(self) -> &'static str {
        match self {
            Engine::Sqlite => "SQLite",
            Engine::Postgres => "PostgreSQL",
        }
    }
}

/// One entry of the archive with its checksum.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryInfo {
    pub name: String,
    pub size: u64,
    pub sha256: String,
}

/// `manifest.json`: what the archive holds and how to check it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    /// The Qingting release that wrote it.
    pub qingting_version: String,
    /// The latest migration applied to the database image.
    pub schema_version: i64,
    pub backend: Engine,
    /// When the database snapshot was taken (UTC epoch seconds) …
    pub created_at: i64,
    /// … and the same instant for people, RFC 3339 in UTC.
    pub created_at_utc: String,
    /// Rows per table in the database image.
    pub counts: BTreeMap<String, i64>,
    /// Every entry but the manifest.
    pub entries: Vec<EntryInfo>,
    /// Attachment contents whose last live row was deleted between the
    /// snapshot and the copy of the files: the file was gone, so a restore
    /// marks those rows deleted, as they now are on the live system.
    #[serde(default)]
    pub deleted_after_snapshot: Vec<String>,
    /// Thumbnails a live row announces but that were missing on disk (the
    /// original file is in the archive; the gallery shows its icon instead).
    #[serde(default)]
    pub missing_thumbnails: Vec<String>,
}

/// Why a backup, a verification or a restore did not succeed. Every message
/// says what is wrong and, where there is one, what to do.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0} is not a complete backup archive (truncated, or not a zip file): {1}")]
    NotAnArchive(String, String),
    #[error("the archive is damaged or incomplete:\n  - {}", .0.join("\n  - "))]
    Damaged(Vec<String>),
    #[error(
        "the target {target} is not empty; restore only into an empty one. It holds: {}",
        .contents.join(", ")
    )]
    TargetNotEmpty {
        target: String,
        contents: Vec<String>,
    },
    #[error(
        "this archive holds a {} database but the target is {}; a backup restores onto the same kind of database (to move between SQLite and PostgreSQL, restore onto the original kind and use `qingting move`)",
        .archive.label(), .target.label()
    )]
    BackendMismatch { archive: Engine, target: Engine },
    #[error(
        "the archive was written by a newer Qingting (schema version {archive}); this binary knows schema versions up to {binary}: upgrade Qingting first"
    )]
    TooNew { archive: i64, binary: i64 },
    #[error(
        "{0} was not found on PATH or in /usr/lib/postgresql/*/bin; install the Debian package postgresql-client (apt-get install postgresql-client)"
    )]
    MissingTool(&'static str),
    #[error("{tool} failed ({status}): {stderr}")]
    Tool {
        tool: &'static str,
        status: String,
        stderr: String,
    },
    #[error(
        "attachment file {0} is missing from the data dir although a live attachment names it; restore it from an earlier backup before backing up"
    )]
    FileLost(String),
    #[error("a backup is already running")]
    Busy,
    #[error("{0}")]
    Io(String),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0:#}")]
    Other(#[from] anyhow::Error),
}

impl From<io::Error> for BackupError {
    fn from(e: io::Error) -> Self {
        BackupError::Io(e.to_string())
    }
}

impl From<zip::result::ZipError> for BackupError {
    fn from(e: zip::result::ZipError) -> Self {
        BackupError::Io(format!("zip: {e}"))
    }
}

/// An I/O error with the path it concerns.
pub(crate) fn io_at(path: &Path, e: io::Error) -> BackupError {
    BackupError::Io(format!("{}: {e}", path.display()))
}

/// Which part of the work is going on, for progress bars.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Taking the database snapshot.
    Database,
    /// Writing the database and files into the archive.
    Archive,
    /// Checking an archive's checksums.
    Verify,
    /// Putting the database and files back.
    Restore,
}

/// Receives progress; the CLI draws a bar, the server keeps numbers for its page.
pub trait Progress: Send + Sync {
    /// A stage begins with `total` bytes to go (0: unknown).
    fn stage(&self, stage: Stage, total: u64);
    /// `n` more bytes done.
    fn advance(&self, n: u64);
}

/// Progress nobody watches.
#[derive(Debug, Default)]
pub struct Silent;

impl Progress for Silent {
    fn stage(&self, _: Stage, _: u64) {}
    fn advance(&self, _: u64) {}
}

/// The highest migration version this binary knows for `engine`.
pub fn binary_schema_version(engine: Engine) -> i64 {
    let m = match engine {
        Engine::Sqlite => sqlx::migrate!("migrations/sqlite"),
        Engine::Postgres => sqlx::migrate!("migrations/postgres"),
    };
    m.migrations.iter().map(|m| m.version).max().unwrap_or(0)
}

/// `qingting-20261207T023000Z.zip` for a UTC instant.
pub fn archive_name(ts: i64) -> String {
    let t = chrono::DateTime::from_timestamp(ts, 0).unwrap_or_default();
    format!("qingting-{}.zip", t.format("%Y%m%dT%H%M%SZ"))
}

/// Whether a file name is one of our archives (the page lists only those).
pub fn is_archive_name(name: &str) -> bool {
    name.starts_with("qingting-") && name.ends_with(".zip") && !name.starts_with('.')
}

/// RFC 3339 in UTC.
pub(crate) fn utc_text(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// The archive's name for an attachment file (`files/ab/cdef…`) or thumbnail.
pub(crate) fn content_entry(folder: &str, sha256: &str) -> String {
    format!("{folder}/{}/{}", &sha256[..2], &sha256[2..])
}

/// Parses `files/ab/cdef…` or `thumbs/…` back into the folder and the hash; any
/// other shape (a `..`, an absolute path, a bad hash) is `None`, so nothing in
/// an archive can write outside `files/` and `thumbs/`.
pub(crate) fn parse_content_entry(name: &str) -> Option<(&'static str, String)> {
    let mut parts = name.split('/');
    let folder = match parts.next()? {
        "files" => "files",
        "thumbs" => "thumbs",
        _ => return None,
    };
    let a = parts.next()?;
    let b = parts.next()?;
    if parts.next().is_some() || a.len() != 2 || b.len() != 62 {
        return None;
    }
    let sha = format!("{a}{b}");
    sha.bytes()
        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        .then_some((folder, sha))
}

/// Copies `from` into `to`, hashing and counting what passes.
pub(crate) fn copy_hashed(
    from: &mut impl Read,
    to: &mut impl Write,
    progress: &dyn Progress,
) -> io::Result<(u64, String)> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    loop {
        let n = from.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        to.write_all(&buf[..n])?;
        total += n as u64;
        progress.advance(n as u64);
    }
    Ok((total, hex::encode(hasher.finalize())))
}

/// A file removed when dropped (scratch copies of database images).
pub(crate) struct Scratch(pub PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
        for suffix in ["-wal", "-shm", "-journal"] {
            let mut p = self.0.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(p));
        }
    }
}

/// A scratch path in `dir` that nothing else uses.
pub(crate) fn scratch_in(dir: &Path, what: &str) -> Scratch {
    Scratch(dir.join(format!(
        ".qingting-{what}-{}.partial",
        crate::auth::random_token(8)
    )))
}

/// Finds a PostgreSQL client tool on PATH, else in Debian's versioned
/// folders (newest first: pg_dump must be at least the server's version).
pub(crate) fn pg_tool(name: &'static str) -> Result<PathBuf, BackupError> {
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let p = dir.join(name);
            if p.is_file() {
                return Ok(p);
            }
        }
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v: u32 = e.file_name().to_string_lossy().parse().ok()?;
            let p = e.path().join("bin").join(name);
            p.is_file().then_some((v, p))
        })
        .collect();
    found.sort();
    found
        .pop()
        .map(|(_, p)| p)
        .ok_or(BackupError::MissingTool(name))
}

/// A libpq connection URI without its password, and the password, so the
/// password goes to the tool through `PGPASSWORD` instead of its command line
/// (which every local user can read in `ps`).
pub(crate) fn split_password(url: &str) -> (String, Option<String>) {
    if let Some((scheme, rest)) = url.split_once("://")
        && let Some((userinfo, host)) = rest.rsplit_once('@')
        && let Some((user, pw)) = userinfo.split_once(':')
    {
        return (format!("{scheme}://{user}@{host}"), Some(pw.to_string()));
    }
    (url.to_string(), None)
}

/// Runs a PostgreSQL client tool and turns a failure into [`BackupError::Tool`].
pub(crate) fn run_pg_tool(
    tool: &'static str,
    path: &Path,
    args: &[std::ffi::OsString],
    password: Option<&str>,
) -> Result<(), BackupError> {
    let mut cmd = std::process::Command::new(path);
    cmd.args(args).stdin(std::process::Stdio::null());
    if let Some(pw) = password {
        cmd.env("PGPASSWORD", pw);
    }
    let out = cmd.output().map_err(|e| io_at(path, e))?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stderr: String = stderr.trim().chars().take(2000).collect();
    Err(BackupError::Tool {
        tool,
        status: out.status.to_string(),
        stderr,
    })
}

/// One archive in the backup folder.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Archive {
    pub name: String,
    pub size_bytes: i64,
    /// Last modified, epoch seconds.
    pub modified_at: i64,
}

/// The state of backups.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = BackupStatus)]
pub struct Status {
    /// Whether the daily schedule is on.
    pub enabled: bool,
    /// Its local time (China Standard Time), `HH:MM`.
    pub at: String,
    /// Scheduled archives kept.
    pub keep: u32,
    /// The folder of the archives.
    pub dir: String,
    /// The next scheduled run (epoch seconds), when the schedule is on.
    pub next_at: Option<i64>,
    /// The backup running now, if any.
    pub running: Option<schedule::LiveView>,
    /// The newest run.
    pub last: Option<store::Run>,
    /// The newest successful run.
    pub last_success: Option<store::Run>,
    /// The newest runs (at most 20), newest first.
    pub runs: Vec<store::Run>,
    /// The archives in the folder, newest first.
    pub archives: Vec<Archive>,
}

impl From<BackupError> for crate::error::AppError {
    fn from(e: BackupError) -> Self {
        match e {
            BackupError::Busy => {
                crate::error::AppError::Conflict(vec![crate::error::FieldError::new(
                    "backup",
                    "backup-err-busy",
                )])
            }
            other => crate::error::AppError::Internal(anyhow::anyhow!("{other}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_names_carry_the_utc_time() {
        // 2026-12-07T02:30:00Z
        assert_eq!(archive_name(1_796_610_600), "qingting-20261207T023000Z.zip");
        assert!(is_archive_name("qingting-20261207T023000Z.zip"));
        assert!(!is_archive_name(".qingting-x.partial"));
    }

    #[test]
    fn only_content_addressed_entries_are_accepted() {
        let sha = "ab".to_string() + &"c".repeat(62);
        assert_eq!(
            parse_content_entry(&content_entry("files", &sha)),
            Some(("files", sha.clone()))
        );
        assert_eq!(
            parse_content_entry(&content_entry("thumbs", &sha)),
            Some(("thumbs", sha.clone()))
        );
        for bad in [
            "files/../etc/passwd",
            "/files/ab/cc",
            "db/ab/cccc",
            "files/ab/cd/ef",
            &format!("files/AB/{}", "C".repeat(62)),
            &format!("files/ab/{}", "g".repeat(62)),
        ] {
            assert_eq!(parse_content_entry(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_password_leaves_the_url() {
        assert_eq!(
            split_password("postgres://u:p@ss@h:5432/db"),
            (
                "postgres://u@h:5432/db".to_string(),
                Some("p@ss".to_string())
            )
        );
        assert_eq!(
            split_password("postgres://postgres@127.0.0.1/x"),
            ("postgres://postgres@127.0.0.1/x".to_string(), None)
        );
    }
}
