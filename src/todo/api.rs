//! `GET /api/v1/todo` and the domain's router (the home page `/` too).

use axum::{extract::State, routing::get};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{TodoList, count, entries, ops, pages};
use crate::{
    auth::Caller,
    error::AppResult,
    web::{AppState, Json, errors::ErrorBody, openapi},
    workday::Light,
};

/// Every route of the to-do home, page and API.
pub fn router() -> OpenApiRouter<AppState> {
    openapi::domain(
        "todo",
        "The caller's to-do list (工作台): what needs them now, most urgent first",
    )
    .routes(routes!(api_todo))
    .route("/", get(pages::home))
}

/// The caller's to-do list: what waits for the orgs where they hold a cadre or
/// admin role, most urgent first (red, then yellow, then green; a chase leads
/// its colour; then the earliest deadline). A viewer gets an empty list.
#[utoipa::path(get, path = "/api/v1/todo", tag = "todo",
    responses((status = 200, body = TodoList), (status = 401, description = "Not logged in", body = ErrorBody)))]
async fn api_todo(State(state): State<AppState>, caller: Caller) -> AppResult<Json<TodoList>> {
    let (today, items) = ops::list(&state.db, &caller, &state.settings.reminders).await?;
    Ok(Json(TodoList {
        today,
        red: count(&items, Light::Red),
        yellow: count(&items, Light::Yellow),
        green: count(&items, Light::Green),
        items: entries(&caller, items),
    }))
}
