//! The use cases of backups, shared by the page and the API: the state of
//! backups and "back up now" (audited; the run itself goes on in the
//! background, see [`super::schedule`]). No HTTP here.

use std::sync::Arc;

use super::{
    Archive, Status, schedule,
    store::{self, Origin},
};
use crate::{
    audit::{self, Action, Entry},
    auth::Caller,
    config::Settings,
    db::Db,
    error::{AppError, AppResult},
};

fn archives(dir: &std::path::Path) -> Vec<Archive> {
    let mut out: Vec<Archive> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            if !super::is_archive_name(&name) {
                return None;
            }
            let meta = e.metadata().ok()?;
            let modified_at = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_secs() as i64);
            Some(Archive {
                name,
                size_bytes: meta.len() as i64,
                modified_at,
            })
        })
        .collect();
    out.sort_by(|a, b| b.name.cmp(&a.name));
    out
}

/// The state of backups: the schedule, the run now, the newest runs, the archives.
pub async fn status(db: &Db, s: &Settings) -> AppResult<Status> {
    let runs = store::recent(db, 20).await?;
    let dir = s.backup_dir();
    let list = tokio::task::spawn_blocking({
        let dir = dir.clone();
        move || archives(&dir)
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?;
    Ok(Status {
        enabled: s.backup.enabled,
        at: s.backup.at.clone(),
        keep: s.backup.keep,
        dir: dir.display().to_string(),
        next_at: s
            .backup
            .enabled
            .then(|| s.backup.time().ok())
            .flatten()
            .map(|t| schedule::next_at(t, crate::db::now())),
        running: schedule::running(db),
        last: runs.first().cloned(),
        last_success: store::last_success(db).await?,
        runs,
        archives: list,
    })
}

/// Starts a backup in the background and audits who did.
pub async fn start(db: &Db, settings: &Arc<Settings>, caller: &Caller) -> AppResult<()> {
    let org = caller.top_admin.ok_or(AppError::Forbidden)?;
    schedule::start(db.clone(), settings.clone(), Origin::Manual)?;
    let e = Entry::by(caller, org, Action::BackupStarted);
    audit::store::record(db.pool(), &e).await?;
    Ok(())
}
