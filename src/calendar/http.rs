//! The calendar page (create, show once, revoke the feed URL) and the feed
//! itself at `/calendar/{token}.ics`, which needs no login: the token names
//! the user, whose scope decides what the feed shows.

use crate::web::{Json, Path};
use askama::Template;
use axum::{
    Router,
    extract::State,
    http::{StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use serde::Serialize;
use utoipa::OpenApi;

use super::{render as render_ics, store};
use crate::{
    audit::{self, Action, Entry},
    auth::{Caller, Scope},
    error::{AppError, AppResult},
    user,
    web::{
        AppState,
        page::{Chrome, render},
    },
};

/// The routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/calendar", get(page))
        .route("/calendar/new", post(create_page))
        .route("/calendar/revoke", post(revoke_page))
        .route("/calendar/{file}", get(feed))
        .route(
            "/api/v1/calendar/token",
            post(api_create).delete(api_revoke),
        )
}

/// This module's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(api_create, api_revoke),
    components(schemas(FeedUrl)),
    tags((name = "calendar", description = "The caller's iCalendar feed of deadlines"))
)]
pub struct ApiDoc;

/// A new feed URL (shown once: only a hash of its token is kept).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct FeedUrl {
    pub url: String,
}

fn feed_url(state: &AppState, token: &str) -> String {
    format!(
        "{}/calendar/{token}.ics",
        state.settings.server.public_url.trim_end_matches('/')
    )
}

async fn create(state: &AppState, caller: &Caller) -> AppResult<String> {
    let mut tx = state.db.begin().await?;
    let token = store::create(&mut tx, caller.user_id).await?;
    let e = Entry::by(caller, caller.home_org, Action::CalendarTokenCreated)
        .target(format!("user:{}", caller.user_id));
    audit::store::record(&mut *tx, &e).await?;
    tx.commit().await?;
    Ok(feed_url(state, &token))
}

async fn revoke(state: &AppState, caller: &Caller) -> AppResult<u64> {
    let mut tx = state.db.begin().await?;
    let n = store::revoke(&mut tx, caller.user_id).await?;
    if n > 0 {
        let e = Entry::by(caller, caller.home_org, Action::CalendarTokenRevoked)
            .target(format!("user:{}", caller.user_id));
        audit::store::record(&mut *tx, &e).await?;
    }
    tx.commit().await?;
    Ok(n)
}

#[derive(Template)]
#[template(path = "calendar/index.html")]
struct CalendarPage {
    c: Chrome,
    live_since: Option<i64>,
    /// The URL, right after it was created.
    url: Option<String>,
}

async fn page(State(state): State<AppState>, caller: Caller) -> AppResult<Response> {
    render(CalendarPage {
        c: Chrome::for_caller(&caller, "/calendar"),
        live_since: store::live_since(&state.db, caller.user_id).await?,
        url: None,
    })
}

async fn create_page(State(state): State<AppState>, caller: Caller) -> AppResult<Response> {
    let url = create(&state, &caller).await?;
    let mut res = render(CalendarPage {
        c: Chrome::for_caller(&caller, "/calendar"),
        live_since: store::live_since(&state.db, caller.user_id).await?,
        url: Some(url),
    })?;
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        "no-store".parse().expect("static header"),
    );
    Ok(res)
}

async fn revoke_page(State(state): State<AppState>, caller: Caller) -> AppResult<Response> {
    revoke(&state, &caller).await?;
    Ok(Redirect::to("/calendar").into_response())
}

/// The feed. An unknown or revoked token, or a user who left, is 404.
async fn feed(State(state): State<AppState>, Path(file): Path<String>) -> AppResult<Response> {
    let token = file.strip_suffix(".ics").ok_or(AppError::NotFound)?;
    if token.is_empty() || token.len() > 128 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AppError::NotFound);
    }
    let user_id = store::resolve(&state.db, token)
        .await?
        .ok_or(AppError::NotFound)?;
    let p = user::store::principal(&state.db, user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let scope = Scope::of(p.grants.iter().map(|(o, _)| *o).collect());
    let base = state.settings.server.public_url.clone();
    let host = base
        .split_once("://")
        .map_or(base.as_str(), |(_, r)| r)
        .split(['/', ':'])
        .next()
        .filter(|h| !h.is_empty())
        .unwrap_or("qingting")
        .to_string();
    let events = store::events(&state.db, &scope, &base, &host).await?;
    let name = format!("倾听 · {}", p.display_name);
    let body = render_ics(&name, chrono::Utc::now(), &events);
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

/// Creates the caller's feed URL, revoking the previous one.
#[utoipa::path(post, path = "/api/v1/calendar/token", tag = "calendar",
    responses((status = 200, body = FeedUrl), (status = 401)), security(("bearer" = [])))]
pub async fn api_create(State(state): State<AppState>, caller: Caller) -> AppResult<Json<FeedUrl>> {
    Ok(Json(FeedUrl {
        url: create(&state, &caller).await?,
    }))
}

/// Revokes the caller's feed URL.
#[utoipa::path(delete, path = "/api/v1/calendar/token", tag = "calendar",
    responses((status = 204), (status = 401)), security(("bearer" = [])))]
pub async fn api_revoke(State(state): State<AppState>, caller: Caller) -> AppResult<StatusCode> {
    revoke(&state, &caller).await?;
    Ok(StatusCode::NO_CONTENT)
}
