//! The backups API under `/api/v1/admin/backups` and the domain's router.

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{Status, ops, pages};
use crate::{
    auth::Caller,
    error::{AppError, AppResult},
    web::{AppState, Json, errors::ErrorBody, openapi},
};

/// Every route of backups, API and page.
pub fn router() -> OpenApiRouter<AppState> {
    openapi::domain(
        "backups",
        "Backups of the database and attachments (admins of the top-level federation)",
    )
    .routes(routes!(api_get, api_start))
    .route("/admin/backups", get(pages::index).post(pages::start))
}

/// Backups: schedule, the backup running now, runs and archives.
#[utoipa::path(get, path = "/api/v1/admin/backups", tag = "backups",
    responses((status = 200, body = Status), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_get(State(state): State<AppState>, caller: Caller) -> AppResult<Json<Status>> {
    caller.top_admin.ok_or(AppError::Forbidden)?;
    Ok(Json(ops::status(&state.db, &state.settings).await?))
}

/// Starts a backup now, in the background; follow it with `GET`. 409 while
/// one is running.
#[utoipa::path(post, path = "/api/v1/admin/backups", tag = "backups",
    responses((status = 202, body = Status), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_start(State(state): State<AppState>, caller: Caller) -> AppResult<Response> {
    ops::start(&state.db, &state.settings, &caller).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(ops::status(&state.db, &state.settings).await?),
    )
        .into_response())
}
