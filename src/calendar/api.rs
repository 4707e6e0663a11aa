//! The calendar API and the domain's router: the feed token, and the feed
//! itself under `/api/v1/calendar/feed/{token}.ics`, which needs no login
//! (calendar apps cannot log in): the token in the address names the user,
//! whose scope decides what the feed shows.

use axum::{
    extract::State,
    http::{StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use serde::Serialize;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{FEED_PREFIX, feed_url, ops, pages};
use crate::{
    auth::Caller,
    error::AppResult,
    web::{AppState, Json, Path, errors::ErrorBody, openapi},
};

/// Every route of the calendar, pages and API.
pub fn router() -> OpenApiRouter<AppState> {
    openapi::domain("calendar", "The caller's iCalendar feed of deadlines")
        .routes(routes!(api_create, api_revoke))
        .routes(routes!(api_feed))
        .route("/calendar", get(pages::page))
        .route("/calendar/new", post(pages::create_page))
        .route("/calendar/revoke", post(pages::revoke_page))
        // Addresses handed out before the feed moved under /api/v1 keep working.
        .route("/calendar/{file}", get(moved))
}

/// A new feed URL (shown once: only a hash of its token is kept).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct FeedUrl {
    #[schema(example = "https://qingting.example.org/api/v1/calendar/feed/3f9a…c2.ics")]
    pub url: String,
}

/// Creates the caller's feed URL, revoking the previous one.
#[utoipa::path(post, path = "/api/v1/calendar/token", tag = "calendar",
    responses((status = 200, body = FeedUrl), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_create(State(state): State<AppState>, caller: Caller) -> AppResult<Json<FeedUrl>> {
    let token = ops::create(&state.db, &caller).await?;
    Ok(Json(FeedUrl {
        url: feed_url(&state.settings.server.public_url, &token),
    }))
}

/// Revokes the caller's feed URL.
#[utoipa::path(delete, path = "/api/v1/calendar/token", tag = "calendar",
    responses((status = 204), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
async fn api_revoke(State(state): State<AppState>, caller: Caller) -> AppResult<StatusCode> {
    ops::revoke(&state.db, &caller).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The iCalendar feed (`{token}.ics`, the address `POST /api/v1/calendar/token`
/// gave): report deadlines, plan milestones and problem deadlines in the
/// token's user's scope. The token is the credential: an unknown or revoked
/// one is 404.
#[utoipa::path(get, path = "/api/v1/calendar/feed/{file}", tag = "calendar", security(()),
    params(("file" = String, Path, description = "the token and `.ics`")),
    responses((status = 200, description = "the feed", content_type = "text/calendar", body = String),
        (status = 404, body = ErrorBody)))]
async fn api_feed(State(state): State<AppState>, Path(file): Path<String>) -> AppResult<Response> {
    let body = ops::feed(&state.db, &file, &state.settings.server.public_url).await?;
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (header::CACHE_CONTROL, "private, max-age=300"),
        ],
        body,
    )
        .into_response())
}

/// The feed's old address, `/calendar/{token}.ics`: moved permanently.
async fn moved(Path(file): Path<String>) -> Response {
    Redirect::permanent(&format!(
        "{FEED_PREFIX}{}",
        crate::web::errors::urlencode(&file)
    ))
    .into_response()
}
