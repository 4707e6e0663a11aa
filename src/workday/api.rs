//! The working-day calendar API and the domain's router. Reading it is open
//! to every logged-in user; replacing it is for admins of a top-level org.

use axum::{
    extract::State,
    routing::{get, post},
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{WorkdayFile, WorkdayInput, ops, pages};
use crate::{
    auth::Caller,
    error::AppResult,
    web::{AppState, Json, errors::ErrorBody, openapi},
};

/// Every route of the working-day calendar, pages and API.
pub fn router() -> OpenApiRouter<AppState> {
    openapi::domain(
        "workdays",
        "The Chinese working-day calendar (public holidays and make-up working days)",
    )
    .routes(routes!(api_get, api_put))
    .route("/admin/workdays", get(pages::page).post(pages::save_page))
    .route("/admin/workdays/reset", post(pages::reset_page))
}

/// The working-day file in force.
#[utoipa::path(get, path = "/api/v1/workdays", tag = "workdays",
    responses((status = 200, body = WorkdayFile), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_get(State(state): State<AppState>, _caller: Caller) -> AppResult<Json<WorkdayFile>> {
    Ok(Json(ops::file(&state.db).await?))
}

/// Replaces the working-day file (admins of a top-level org). Every problem of
/// the file is listed in the 422 answer.
#[utoipa::path(put, path = "/api/v1/workdays", tag = "workdays", request_body = WorkdayInput,
    responses((status = 200, body = WorkdayFile), (status = 422, body = ErrorBody),
        (status = 403, body = ErrorBody)), security(("bearer" = [])))]
async fn api_put(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<WorkdayInput>,
) -> AppResult<Json<WorkdayFile>> {
    ops::replace(&state.db, &caller, &input).await?;
    Ok(Json(ops::file(&state.db).await?))
}
