//! Backups inside `serve`: the daily run at `[backup] at` (China Standard
//! Time), the admin page's "back up now", one at a time per database, each
//! recorded in `backup_runs`, the schedule's old archives pruned to `keep`,
//! and the `/metrics` gauges kept in step with the record (runs of the
//! command line included, within a minute).

use std::{
    collections::HashMap,
    path::Path,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU8, AtomicU64, Ordering},
    },
    time::Duration,
};

use chrono::TimeZone;
use serde::Serialize;

use super::{
    BackupError, Progress, Stage,
    snapshot::{self, Outcome},
    store::{self, NewRun, Origin},
};
use crate::{
    config::Settings,
    db::{Db, now},
};

/// A backup running in this process, watched by the admin page.
#[derive(Debug)]
pub struct Live {
    pub origin: Origin,
    pub started_at: i64,
    stage: AtomicU8,
    done: AtomicU64,
    total: AtomicU64,
}

/// What the page and the API show of a running backup.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct LiveView {
    pub origin: Origin,
    pub started_at: i64,
    pub stage: Stage,
    /// Bytes done and to do in this stage (0 total: not known yet).
    pub done: u64,
    pub total: u64,
}

impl Live {
    fn new(origin: Origin) -> Live {
        Live {
            origin,
            started_at: now(),
            stage: AtomicU8::new(0),
            done: AtomicU64::new(0),
            total: AtomicU64::new(0),
        }
    }

    fn view(&self) -> LiveView {
        let stage = match self.stage.load(Ordering::Relaxed) {
            0 => Stage::Database,
            1 => Stage::Archive,
            2 => Stage::Verify,
            _ => Stage::Restore,
        };
        LiveView {
            origin: self.origin,
            started_at: self.started_at,
            stage,
            done: self.done.load(Ordering::Relaxed),
            total: self.total.load(Ordering::Relaxed),
        }
    }
}

impl Progress for Live {
    fn stage(&self, stage: Stage, total: u64) {
        let n = match stage {
            Stage::Database => 0,
            Stage::Archive => 1,
            Stage::Verify => 2,
            Stage::Restore => 3,
        };
        self.stage.store(n, Ordering::Relaxed);
        self.done.store(0, Ordering::Relaxed);
        self.total.store(total, Ordering::Relaxed);
    }

    fn advance(&self, n: u64) {
        self.done.fetch_add(n, Ordering::Relaxed);
    }
}

/// The running backup of each database this process serves (tests serve many).
static RUNNING: Mutex<Option<HashMap<u64, Arc<Live>>>> = Mutex::new(None);

/// The backup running now for `db`, if any.
pub fn running(db: &Db) -> Option<LiveView> {
    let map = RUNNING.lock().unwrap_or_else(|p| p.into_inner());
    map.as_ref()?.get(&db.instance()).map(|l| l.view())
}

/// Claims the one slot of `db`, or says a backup is already running.
fn claim(db: &Db, origin: Origin) -> Result<Arc<Live>, BackupError> {
    let mut map = RUNNING.lock().unwrap_or_else(|p| p.into_inner());
    let map = map.get_or_insert_with(HashMap::new);
    if map.contains_key(&db.instance()) {
        return Err(BackupError::Busy);
    }
    let live = Arc::new(Live::new(origin));
    map.insert(db.instance(), live.clone());
    Ok(live)
}

fn release(db: &Db) {
    let mut map = RUNNING.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(m) = map.as_mut() {
        m.remove(&db.instance());
    }
}

/// Starts a backup in the background (the admin page's button); `Busy` when
/// one is running.
pub fn start(db: Db, settings: Arc<Settings>, origin: Origin) -> Result<(), BackupError> {
    let live = claim(&db, origin)?;
    tokio::spawn(async move {
        let _ = run(&db, &settings, origin, live).await;
        release(&db);
    });
    Ok(())
}

/// Takes one backup into the configured folder, records the run (ok or not),
/// prunes the schedule's old archives after a scheduled success, and sets
/// the gauges.
pub async fn run(
    db: &Db,
    settings: &Settings,
    origin: Origin,
    progress: Arc<dyn Progress>,
) -> Result<Outcome, BackupError> {
    let started_at = now();
    let dir = settings.backup_dir();
    let result = snapshot::take(
        db,
        &settings.database_url(),
        &settings.data_dir,
        &dir,
        progress,
    )
    .await;
    let dir_text = dir.display().to_string();
    let (archive, size, error) = match &result {
        Ok(o) => (o.name.clone(), o.size as i64, String::new()),
        Err(e) => (String::new(), 0, e.to_string()),
    };
    match &result {
        Ok(o) => {
            tracing::info!(archive = %o.path.display(), size = o.size, origin = origin.as_str(), "backup written")
        }
        Err(e) => tracing::error!(error = %e, origin = origin.as_str(), "backup failed"),
    }
    store::record(
        db,
        &NewRun {
            origin,
            started_at,
            finished_at: now(),
            ok: result.is_ok(),
            archive: &archive,
            dir: &dir_text,
            size_bytes: size,
            error: &error,
        },
    )
    .await?;
    if result.is_ok() && origin == Origin::Schedule {
        prune(db, &dir, settings.backup.keep).await?;
    }
    refresh_gauges(db).await;
    result
}

/// Removes the schedule's archives in `dir` beyond the newest `keep`.
pub async fn prune(db: &Db, dir: &Path, keep: u32) -> Result<(), BackupError> {
    let old = store::beyond_keep(db, &dir.display().to_string(), i64::from(keep.max(1))).await?;
    for r in old {
        if !super::is_archive_name(&r.archive) {
            continue;
        }
        let path = dir.join(&r.archive);
        match std::fs::remove_file(&path) {
            Ok(()) => tracing::info!(archive = %path.display(), "old scheduled backup removed"),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                tracing::warn!(error = %e, archive = %path.display(), "cannot remove an old backup");
                continue;
            }
        }
        store::mark_pruned(db, r.id, now()).await?;
    }
    Ok(())
}

/// Sets the backup gauges of `/metrics` from the record.
pub async fn refresh_gauges(db: &Db) {
    let last = store::recent(db, 1)
        .await
        .ok()
        .and_then(|v| v.into_iter().next());
    let success = store::last_success(db).await.ok().flatten();
    if let Some(l) = &last {
        metrics::gauge!("qingting_backup_last_status").set(if l.ok { 1.0 } else { 0.0 });
        metrics::gauge!("qingting_backup_last_run_timestamp_seconds").set(l.finished_at as f64);
    }
    if let Some(s) = &success {
        metrics::gauge!("qingting_backup_last_success_timestamp_seconds").set(s.finished_at as f64);
        metrics::gauge!("qingting_backup_last_size_bytes").set(s.size_bytes as f64);
    }
}

/// The next instant (epoch seconds) at the local time `at`, after `from`.
pub fn next_at(at: chrono::NaiveTime, from: i64) -> i64 {
    let cst = crate::date::cst();
    let local = chrono::DateTime::from_timestamp(from, 0)
        .unwrap_or_default()
        .with_timezone(&cst);
    let mut day = local.date_naive();
    loop {
        let candidate = cst
            .from_local_datetime(&day.and_time(at))
            .single()
            .map(|t| t.timestamp())
            .unwrap_or(i64::MAX);
        if candidate > from {
            return candidate;
        }
        day = day.succ_opt().unwrap_or(day);
    }
}

/// The loop inside `serve`: keeps the gauges fresh every minute and, when
/// `[backup] enabled`, backs up daily at `[backup] at`.
pub fn spawn(db: Db, settings: Arc<Settings>) {
    let at = settings.backup.time().ok();
    tokio::spawn(async move {
        refresh_gauges(&db).await;
        let mut next = at.map(|t| next_at(t, now()));
        loop {
            let wait = match next {
                Some(n) if settings.backup.enabled => (n - now()).clamp(0, 60),
                _ => 60,
            };
            tokio::time::sleep(Duration::from_secs(wait as u64)).await;
            refresh_gauges(&db).await;
            let Some(n) = next else { continue };
            if !settings.backup.enabled || now() < n {
                continue;
            }
            next = at.map(|t| next_at(t, now()));
            match claim(&db, Origin::Schedule) {
                Ok(live) => {
                    let _ = run(&db, &settings, Origin::Schedule, live).await;
                    release(&db);
                }
                Err(_) => tracing::warn!("scheduled backup skipped: another backup is running"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_runs_at_local_time() {
        let at = chrono::NaiveTime::from_hms_opt(2, 30, 0).unwrap();
        // 2026-12-07T00:00:00Z is 08:00 in Shanghai: next 02:30 CST is the
        // 8th, 2026-12-07T18:30:00Z.
        let from = 1_796_601_600;
        assert_eq!(next_at(at, from), 1_796_668_200);
        // Exactly at the time: the next day's.
        assert_eq!(next_at(at, 1_796_668_200), 1_796_668_200 + 86_400);
        // A second before: today's.
        assert_eq!(next_at(at, 1_796_668_199), 1_796_668_200);
    }
}
