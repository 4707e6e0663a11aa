//! The backups page `/admin/backups`: the last result, the runs, the archives
//! in the folder, and "back up now" with its progress. Only an admin of a
//! top-level org (the root federation of the deployment) may see or start
//! backups: an archive holds everyone's data.

use askama::Template;
use axum::{
    extract::State,
    response::{IntoResponse, Redirect, Response},
};

use super::{Status, ops, schedule::LiveView, store::Origin};
use crate::{
    auth::Caller,
    error::{AppError, AppResult},
    web::{
        AppState,
        page::{Chrome, render},
    },
};

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

/// `GET /admin/backups`.
pub(super) async fn index(State(state): State<AppState>, caller: Caller) -> AppResult<Response> {
    caller.top_admin.ok_or(AppError::Forbidden)?;
    let s = ops::status(&state.db, &state.settings).await?;
    let percent = s.running.as_ref().map_or(0, |r| {
        (r.done * 100).checked_div(r.total).unwrap_or(0).min(100)
    });
    render(IndexPage {
        c: Chrome::for_caller(&caller, "/admin/backups"),
        s,
        percent,
    })
}

/// `POST /admin/backups`: back up now.
pub(super) async fn start(State(state): State<AppState>, caller: Caller) -> AppResult<Response> {
    match ops::start(&state.db, &state.settings, &caller).await {
        // A second click while one runs just shows the running one.
        Ok(()) | Err(AppError::Conflict(_)) => Ok(Redirect::to("/admin/backups").into_response()),
        Err(e) => Err(e),
    }
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
