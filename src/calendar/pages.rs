//! The calendar page: create (the address shown once), renew, revoke.

use askama::Template;
use axum::{
    extract::State,
    http::header,
    response::{IntoResponse, Redirect, Response},
};

use super::{feed_url, ops, store};
use crate::{
    auth::Caller,
    error::AppResult,
    web::{
        AppState,
        page::{Chrome, render},
    },
};

#[derive(Template)]
#[template(path = "calendar/index.html")]
struct CalendarPage {
    c: Chrome,
    live_since: Option<i64>,
    /// The URL, right after it was created.
    url: Option<String>,
}

/// `GET /calendar`.
pub(super) async fn page(State(state): State<AppState>, caller: Caller) -> AppResult<Response> {
    render(CalendarPage {
        c: Chrome::for_caller(&caller, "/calendar"),
        live_since: store::live_since(&state.db, caller.user_id).await?,
        url: None,
    })
}

/// `POST /calendar/new`: the new address, shown this once.
pub(super) async fn create_page(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Response> {
    let token = ops::create(&state.db, &caller).await?;
    let mut res = render(CalendarPage {
        c: Chrome::for_caller(&caller, "/calendar"),
        live_since: store::live_since(&state.db, caller.user_id).await?,
        url: Some(feed_url(&state.settings.server.public_url, &token)),
    })?;
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        "no-store".parse().expect("static header"),
    );
    Ok(res)
}

/// `POST /calendar/revoke`.
pub(super) async fn revoke_page(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Response> {
    ops::revoke(&state.db, &caller).await?;
    Ok(Redirect::to("/calendar").into_response())
}
