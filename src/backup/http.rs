//! The backups page `/admin/backups` and its API: the last result, the runs,
//! the archives in the folder, and "back up now" with its progress. Only an
//! admin of a top-level org (the root federation of the deployment) may see
//! or start backups: an archive holds everyone's data.

use askama::Template;
use axum::{
    Json, Router,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use serde::Serialize;
use utoipa::OpenApi;

use super::{
    BackupError,
    schedule::{self, LiveView},
    store::{self, Origin, Run},
};
use crate::{
    audit::{self, Action, Entry},
    auth::Caller,
    error::{AppError, AppResult},
    web::{
        AppState,
        page::{Chrome, render},
    },
};

/// The routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/backups", get(page).post(start_page))
        .route("/api/v1/admin/backups", get(api_get).post(api_start))
}

/// This module's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(api_get, api_start),
    components(schemas(Status, Archive, Run, Origin, LiveView, super::Stage)),
    tags((name = "backups", description = "Backups of the database and attachments (admins of the top-level federation)"))
)]
pub struct ApiDoc;

impl From<BackupError> for AppError {
    fn from(e: BackupError) -> Self {
        match e {
            BackupError::Busy => AppError::Conflict(vec![crate::error::FieldError::new(
                "backup",
                "backup-err-busy",
            )]),
            other => AppError::Internal(anyhow::anyhow!("{other}")),
        }
    }
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
    pub running: Option<LiveView>,
    /// The newest run.
    pub last: Option<Run>,
    /// The newest successful run.
    pub last_success: Option<Run>,
    /// The newest runs (at most 20), newest first.
    pub runs: Vec<Run>,
    /// The archives in the folder, newest first.
    pub archives: Vec<Archive>,
}

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

async fn status(state: &AppState) -> AppResult<Status> {
    let s = &state.settings;
    let runs = store::recent(&state.db, 20).await?;
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
        running: schedule::running(&state.db),
        last: runs.first().cloned(),
        last_success: store::last_success(&state.db).await?,
        runs,
        archives: list,
    })
}

/// Starts a backup in the background and audits who did.
async fn start(state: &AppState, caller: &Caller) -> AppResult<()> {
    let org = caller.top_admin.ok_or(AppError::Forbidden)?;
    schedule::start(state.db.clone(), state.settings.clone(), Origin::Manual)?;
    let e = Entry::by(caller, org, Action::BackupStarted);
    audit::store::record(state.db.pool(), &e).await?;
    Ok(())
}

#[derive(Template)]
#[template(path = "backup/index.html")]
struct IndexPage {
    c: Chrome,
    s: Status,
    /// Percent done of the running stage.
    percent: u64,
}

impl IndexPage {
    fn size(&self, bytes: &i64) -> String {
        human_size(*bytes)
    }

    fn stage_key(&self, v: &LiveView) -> &'static str {
        match v.stage {
            super::Stage::Database => "backup-stage-database",
            super::Stage::Archive => "backup-stage-archive",
            super::Stage::Verify => "backup-stage-verify",
            super::Stage::Restore => "backup-stage-restore",
        }
    }

    fn origin_key(&self, o: &Origin) -> &'static str {
        match o {
            Origin::Schedule => "backup-origin-schedule",
            Origin::Manual => "backup-origin-manual",
            Origin::Cli => "backup-origin-cli",
        }
    }
}

/// Bytes for people: 1.5 MB.
fn human_size(bytes: i64) -> String {
    let b = bytes.max(0) as f64;
    if b < 1024.0 {
        format!("{bytes} B")
    } else if b < 1024.0 * 1024.0 {
        format!("{:.1} KB", b / 1024.0)
    } else if b < 1024.0 * 1024.0 * 1024.0 {
        format!("{:.1} MB", b / 1024.0 / 1024.0)
    } else {
        format!("{:.2} GB", b / 1024.0 / 1024.0 / 1024.0)
    }
}

async fn page(State(state): State<AppState>, caller: Caller) -> AppResult<Response> {
    caller.top_admin.ok_or(AppError::Forbidden)?;
    let s = status(&state).await?;
    let percent = s.running.as_ref().map_or(0, |r| {
        (r.done * 100).checked_div(r.total).unwrap_or(0).min(100)
    });
    render(IndexPage {
        c: Chrome::for_caller(&caller, "/admin/backups"),
        s,
        percent,
    })
}

async fn start_page(State(state): State<AppState>, caller: Caller) -> AppResult<Response> {
    match start(&state, &caller).await {
        // A second click while one runs just shows the running one.
        Ok(()) | Err(AppError::Conflict(_)) => Ok(Redirect::to("/admin/backups").into_response()),
        Err(e) => Err(e),
    }
}

/// Backups: schedule, the backup running now, runs and archives.
#[utoipa::path(get, path = "/api/v1/admin/backups", tag = "backups",
    responses((status = 200, body = Status), (status = 401), (status = 403)),
    security(("bearer" = [])))]
pub async fn api_get(State(state): State<AppState>, caller: Caller) -> AppResult<Json<Status>> {
    caller.top_admin.ok_or(AppError::Forbidden)?;
    Ok(Json(status(&state).await?))
}

/// Starts a backup now, in the background; follow it with `GET`. 409 while
/// one is running.
#[utoipa::path(post, path = "/api/v1/admin/backups", tag = "backups",
    responses((status = 202, body = Status), (status = 401), (status = 403),
        (status = 409, body = crate::web::errors::ErrorBody)),
    security(("bearer" = [])))]
pub async fn api_start(State(state): State<AppState>, caller: Caller) -> AppResult<Response> {
    start(&state, &caller).await?;
    Ok((StatusCode::ACCEPTED, Json(status(&state).await?)).into_response())
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes_read_naturally() {
        assert_eq!(super::human_size(512), "512 B");
        assert_eq!(super::human_size(1536), "1.5 KB");
        assert_eq!(super::human_size(3 * 1024 * 1024), "3.0 MB");
    }
}
