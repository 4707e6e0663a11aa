//! The activity API under `/api/v1/activities` (the list's XLSX and CSV
//! exports included) and the domain's router: each API route is declared
//! once, by its handler's `#[utoipa::path]`.

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    ActivityDetail, ActivityInput, ActivityPage, ListParams, Recorded, export_table, ops, pages,
};
use crate::{
    auth::Caller,
    date::Day,
    db::ActivityId,
    error::AppResult,
    tabular,
    web::{AppState, Json, Path, Query, download, errors::ErrorBody, openapi},
};

/// Every route of activities, pages and API.
pub fn router() -> OpenApiRouter<AppState> {
    openapi::domain(
        "activities",
        "Field activities: visits, interviews, symposiums and the problems heard",
    )
    .routes(routes!(api_list, api_create))
    .routes(routes!(api_export_xlsx))
    .routes(routes!(api_export_csv))
    .routes(routes!(api_get))
    .route(
        "/activities",
        get(pages::list_page).post(pages::create_page),
    )
    .route("/activities/new", get(pages::new_page))
    .route("/activities/{id}", get(pages::detail_page))
}

/// List the activities in the caller's scope.
#[utoipa::path(get, path = "/api/v1/activities", tag = "activities", params(ListParams),
    responses((status = 200, body = ActivityPage), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_list(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ListParams>,
) -> AppResult<Json<ActivityPage>> {
    Ok(Json(ops::list(&state.db, &caller, &p).await?))
}

/// The activities a list query matches, as a spreadsheet (every page; the
/// export is audited).
#[utoipa::path(get, path = "/api/v1/activities/export.xlsx", tag = "activities", params(ListParams),
    responses((status = 200, description = "the XLSX file",
            content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = download::FileBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "`org` outside the caller's scope", body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_export_xlsx(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ListParams>,
) -> AppResult<Response> {
    export(state, caller, p, tabular::Format::Xlsx).await
}

/// The activities a list query matches, as CSV (UTF-8; every page; audited).
#[utoipa::path(get, path = "/api/v1/activities/export.csv", tag = "activities", params(ListParams),
    responses((status = 200, description = "the CSV file", content_type = "text/csv", body = String),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "`org` outside the caller's scope", body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_export_csv(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ListParams>,
) -> AppResult<Response> {
    export(state, caller, p, tabular::Format::Csv).await
}

async fn export(
    state: AppState,
    caller: Caller,
    p: ListParams,
    format: tabular::Format,
) -> AppResult<Response> {
    let items = ops::export_rows(&state.db, &caller, &p).await?;
    let (heads, rows) = export_table(caller.lang, &items);
    download::send_table(
        &state,
        &caller,
        "activities",
        format,
        (&caller.lang.t("nav-activities"), &heads, &rows),
        format!("{} rows", rows.len()),
    )
    .await
}

/// Record an activity with the problems heard. Send a fresh `client_id` with
/// each new activity and the same one when retrying: a retry answers 200 with
/// the first record instead of creating a second.
#[utoipa::path(post, path = "/api/v1/activities", tag = "activities", request_body = ActivityInput,
    responses((status = 201, body = Recorded), (status = 200, description = "a retry: the first record", body = Recorded),
        (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_create(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<ActivityInput>,
) -> AppResult<Response> {
    let f = input.parse(Day::today())?;
    let r = ops::record(&state.db, &caller, &f).await?;
    let status = if r.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(r)).into_response())
}

/// One activity in the caller's scope, with its problems (contacts masked).
#[utoipa::path(get, path = "/api/v1/activities/{id}", tag = "activities",
    params(("id" = i64, Path)), responses((status = 200, body = ActivityDetail), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ActivityId>,
) -> AppResult<Json<ActivityDetail>> {
    let (activity, problems) = ops::load(&state.db, &caller, id).await?;
    Ok(Json(ActivityDetail {
        lacks_frontline: activity.lacks_frontline(),
        activity,
        problems,
    }))
}
