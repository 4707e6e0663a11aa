//! The notification page and API. Every route works on the caller's own
//! notifications only: another user's id answers 404.

use askama::Template;
use axum::{
    Json, Router,
    extract::{Path, Query, State},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use serde::{Deserialize, Serialize};
use utoipa::OpenApi;

use super::{
    Kind,
    store::{self, Notification},
};
use crate::{
    auth::Caller,
    error::{AppError, AppResult},
    web::{
        AppState,
        page::{Chrome, render},
    },
};

/// How many notifications a list shows.
const LIMIT: i64 = 200;

/// The routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/notifications", get(page))
        .route("/notifications/read-all", post(read_all_page))
        .route("/notifications/{id}/open", post(open_page))
        .route("/notifications/{id}/read", post(read_page))
        .route("/api/v1/notifications", get(api_list))
        .route("/api/v1/notifications/unread", get(api_unread))
        .route("/api/v1/notifications/read-all", post(api_read_all))
        .route("/api/v1/notifications/{id}/read", post(api_read))
}

/// This module's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(api_list, api_unread, api_read, api_read_all),
    components(schemas(Notification, Kind, Unread, ReadResult)),
    tags((name = "notifications", description = "The caller's reminders: deadlines, overdue problems, escalations, returned plans"))
)]
pub struct ApiDoc;

/// Query of the list.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct ListParams {
    /// `yes`: unread only.
    pub unread: Option<String>,
}

impl ListParams {
    fn unread_only(&self) -> bool {
        matches!(self.unread.as_deref(), Some("yes" | "true" | "1"))
    }
}

/// The unread count (the badge in the menu).
#[derive(Clone, Copy, Debug, Serialize, utoipa::ToSchema)]
pub struct Unread {
    pub unread: i64,
}

/// How many notifications a mark changed.
#[derive(Clone, Copy, Debug, Serialize, utoipa::ToSchema)]
pub struct ReadResult {
    pub marked: u64,
    pub unread: i64,
}

#[derive(Template)]
#[template(path = "notify/list.html")]
struct ListPage {
    c: Chrome,
    items: Vec<Notification>,
    unread: i64,
    unread_only: bool,
}

async fn page(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ListParams>,
) -> AppResult<Response> {
    let items = store::list(
        &state.db,
        caller.user_id,
        p.unread_only(),
        LIMIT,
        caller.lang,
    )
    .await?;
    let unread = store::unread(&state.db, caller.user_id).await?;
    render(ListPage {
        c: Chrome::for_caller(&caller, "/notifications"),
        items,
        unread,
        unread_only: p.unread_only(),
    })
}

async fn read_all_page(State(state): State<AppState>, caller: Caller) -> AppResult<Response> {
    store::mark_all_read(&state.db, caller.user_id).await?;
    Ok(Redirect::to("/notifications").into_response())
}

/// Marks read and goes to the record.
async fn open_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let link = store::mark_read(&state.db, caller.user_id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    // Links are written by this code and always start with one slash.
    let link = if link.starts_with('/') && !link.starts_with("//") {
        link
    } else {
        "/notifications".into()
    };
    Ok(Redirect::to(&link).into_response())
}

async fn read_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    store::mark_read(&state.db, caller.user_id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Redirect::to("/notifications").into_response())
}

/// The caller's notifications, newest first (at most 200).
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications", params(ListParams),
    responses((status = 200, body = Vec<Notification>), (status = 401)), security(("bearer" = [])))]
pub async fn api_list(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ListParams>,
) -> AppResult<Json<Vec<Notification>>> {
    Ok(Json(
        store::list(
            &state.db,
            caller.user_id,
            p.unread_only(),
            LIMIT,
            caller.lang,
        )
        .await?,
    ))
}

/// How many of the caller's notifications are unread.
#[utoipa::path(get, path = "/api/v1/notifications/unread", tag = "notifications",
    responses((status = 200, body = Unread), (status = 401)), security(("bearer" = [])))]
pub async fn api_unread(State(state): State<AppState>, caller: Caller) -> AppResult<Json<Unread>> {
    Ok(Json(Unread {
        unread: store::unread(&state.db, caller.user_id).await?,
    }))
}

/// Marks one notification read.
#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "notifications",
    params(("id" = i64, Path)), responses((status = 200, body = ReadResult), (status = 404)),
    security(("bearer" = [])))]
pub async fn api_read(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> AppResult<Json<ReadResult>> {
    store::mark_read(&state.db, caller.user_id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(ReadResult {
        marked: 1,
        unread: store::unread(&state.db, caller.user_id).await?,
    }))
}

/// Marks all of the caller's notifications read.
#[utoipa::path(post, path = "/api/v1/notifications/read-all", tag = "notifications",
    responses((status = 200, body = ReadResult)), security(("bearer" = [])))]
pub async fn api_read_all(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Json<ReadResult>> {
    let marked = store::mark_all_read(&state.db, caller.user_id).await?;
    Ok(Json(ReadResult { marked, unread: 0 }))
}
