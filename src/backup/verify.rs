//! Checking an archive: every entry against the manifest's size and SHA-256,
//! the manifest listing exactly the entries present, and (SQLite) the
//! database image's `PRAGMA integrity_check` and per-table counts. Every
//! problem found is named; a restore verifies first and stops on any.

use std::{
    collections::{BTreeMap, BTreeSet},
    fs::File,
    io::{BufReader, Read},
    path::{Path, PathBuf},
    sync::Arc,
};

use zip::ZipArchive;

use super::{BackupError, Engine, FORMAT, MANIFEST, Manifest, Progress, Stage, copy_hashed, io_at};

/// Reads only the manifest (cheap: for messages before the full check).
pub fn read_manifest(archive: &Path) -> Result<Manifest, BackupError> {
    let mut zip = open(archive)?;
    manifest_of(&mut zip).map_err(|p| BackupError::Damaged(vec![p]))
}

fn open(archive: &Path) -> Result<ZipArchive<BufReader<File>>, BackupError> {
    let f = File::open(archive).map_err(|e| io_at(archive, e))?;
    ZipArchive::new(BufReader::new(f))
        .map_err(|e| BackupError::NotAnArchive(archive.display().to_string(), e.to_string()))
}

fn manifest_of(zip: &mut ZipArchive<BufReader<File>>) -> Result<Manifest, String> {
    let mut entry = zip
        .by_name(MANIFEST)
        .map_err(|_| format!("{MANIFEST} is missing"))?;
    let mut text = Vec::new();
    entry
        .by_ref()
        .take(64 * 1024 * 1024)
        .read_to_end(&mut text)
        .map_err(|e| format!("{MANIFEST} cannot be read: {e}"))?;
    let m: Manifest =
        serde_json::from_slice(&text).map_err(|e| format!("{MANIFEST} is not valid: {e}"))?;
    if m.format > FORMAT {
        return Err(format!(
            "archive format {} is newer than this Qingting reads ({FORMAT}): upgrade Qingting",
            m.format
        ));
    }
    Ok(m)
}

/// Checks `archive` completely and returns its manifest. When `database_to`
/// is given, the database entry is also written there (the restore's copy).
pub async fn verify(
    archive: &Path,
    database_to: Option<PathBuf>,
    progress: Arc<dyn Progress>,
) -> Result<Manifest, BackupError> {
    let archive = archive.to_path_buf();
    let scratch = match &database_to {
        Some(_) => None,
        None => Some(super::scratch_in(&std::env::temp_dir(), "verify")),
    };
    let db_path = database_to
        .clone()
        .or_else(|| scratch.as_ref().map(|s| s.0.clone()))
        .unwrap_or_default();
    let out = db_path.clone();
    let (manifest, mut problems, db_ok) =
        tokio::task::spawn_blocking(move || check_entries(&archive, &out, &*progress))
            .await
            .map_err(|e| BackupError::Other(e.into()))??;
    if db_ok {
        match manifest.backend {
            Engine::Sqlite => problems.extend(check_sqlite(&db_path, &manifest).await?),
            Engine::Postgres => problems.extend(check_dump(&db_path).await),
        }
    }
    drop(scratch);
    if problems.is_empty() {
        Ok(manifest)
    } else {
        Err(BackupError::Damaged(problems))
    }
}

/// The checksum pass: the manifest, the problems found, and whether the
/// database entry came out intact (written to `db_out`).
fn check_entries(
    archive: &Path,
    db_out: &Path,
    progress: &dyn Progress,
) -> Result<(Manifest, Vec<String>, bool), BackupError> {
    let mut zip = open(archive)?;
    let manifest = manifest_of(&mut zip).map_err(|p| BackupError::Damaged(vec![p]))?;
    let mut problems = Vec::new();
    let mut present = BTreeSet::new();
    for name in zip.file_names() {
        match name {
            Ok(n) if n == MANIFEST || n.ends_with('/') => {}
            Ok(n) => {
                present.insert(n.into_owned());
            }
            Err(e) => problems.push(format!("an entry name cannot be read: {e}")),
        }
    }
    let mut listed = BTreeMap::new();
    for e in &manifest.entries {
        if listed.insert(e.name.clone(), e).is_some() {
            problems.push(format!("{} is listed twice in the manifest", e.name));
        }
    }
    for n in present.difference(&listed.keys().cloned().collect()) {
        problems.push(format!("{n} is in the archive but not in the manifest"));
    }
    let db_entry = manifest.backend.entry();
    if !listed.contains_key(db_entry) {
        problems.push(format!("the database ({db_entry}) is not in the manifest"));
    }
    let total = manifest.entries.iter().map(|e| e.size).sum();
    progress.stage(Stage::Verify, total);
    let mut db_ok = false;
    for e in listed.values() {
        if !present.contains(&e.name) {
            problems.push(format!("{} is listed in the manifest but missing", e.name));
            continue;
        }
        let mut entry = match zip.by_name(&e.name) {
            Ok(x) => x,
            Err(err) => {
                problems.push(format!("{} cannot be read: {err}", e.name));
                continue;
            }
        };
        let result = if e.name == db_entry {
            File::create(db_out)
                .map_err(|err| err.to_string())
                .and_then(|mut f| {
                    copy_hashed(&mut entry, &mut f, progress).map_err(|err| err.to_string())
                })
        } else {
            copy_hashed(&mut entry, &mut std::io::sink(), progress).map_err(|err| err.to_string())
        };
        match result {
            Err(err) => problems.push(format!("{} cannot be read: {err}", e.name)),
            Ok((size, sha)) if size != e.size || sha != e.sha256 => problems.push(format!(
                "{}: checksum does not match the manifest ({size} bytes, SHA-256 {sha}; expected {} bytes, {})",
                e.name, e.size, e.sha256
            )),
            Ok(_) => db_ok |= e.name == db_entry,
        }
    }
    Ok((manifest, problems, db_ok))
}

/// Integrity, schema version and per-table counts of an SQLite image.
async fn check_sqlite(path: &Path, manifest: &Manifest) -> Result<Vec<String>, BackupError> {
    let mut problems = Vec::new();
    let mut conn = match super::snapshot::open_image(path).await {
        Ok(c) => c,
        Err(e) => return Ok(vec![format!("the database cannot be opened: {e}")]),
    };
    let integrity: Vec<String> = match sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(&mut conn)
        .await
    {
        Ok(rows) => rows,
        Err(e) => vec![e.to_string()],
    };
    if integrity != ["ok"] {
        problems.push(format!(
            "the database fails PRAGMA integrity_check: {}",
            integrity.join("; ")
        ));
        return Ok(problems);
    }
    let version: i64 = sqlx::query_scalar(
        "SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success = 1",
    )
    .fetch_one(&mut conn)
    .await?;
    if version != manifest.schema_version {
        problems.push(format!(
            "the database is at schema version {version}, the manifest says {}",
            manifest.schema_version
        ));
    }
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .fetch_all(&mut conn)
    .await?;
    let counts = super::snapshot::count_sqlite(&mut conn, &tables).await?;
    sqlx::Connection::close(conn).await?;
    for (t, n) in &counts {
        match manifest.counts.get(t) {
            Some(m) if m == n => {}
            Some(m) => problems.push(format!("table {t} has {n} rows, the manifest says {m}")),
            None => problems.push(format!("table {t} is not in the manifest's counts")),
        }
    }
    for t in manifest.counts.keys() {
        if !counts.contains_key(t) {
            problems.push(format!("table {t} of the manifest is not in the database"));
        }
    }
    Ok(problems)
}

/// A dump is read back by `pg_restore --list` when the tool is installed
/// (its checksum has already matched; this catches a dump pg_dump wrote badly).
async fn check_dump(path: &Path) -> Vec<String> {
    let Ok(tool) = super::pg_tool("pg_restore") else {
        return Vec::new();
    };
    let args = vec![std::ffi::OsString::from("--list"), path.as_os_str().into()];
    let r =
        tokio::task::spawn_blocking(move || super::run_pg_tool("pg_restore", &tool, &args, None))
            .await;
    match r {
        Ok(Ok(())) => Vec::new(),
        Ok(Err(e)) => vec![format!("the database dump cannot be read: {e}")],
        Err(e) => vec![format!("the database dump cannot be read: {e}")],
    }
}
