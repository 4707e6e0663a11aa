//! The JSON API of problems (`/api/v1/problems`, their exports, the topic
//! list and the public receipt) and the domain's router: each API route is
//! declared once, by its handler's `#[utoipa::path]`, and `routes!` registers
//! it with axum and the OpenAPI document together.

use std::net::SocketAddr;

use axum::{
    extract::{ConnectInfo, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    BulkInput, BulkResult, FeedbackInput, ListParams, MainInput, NewProblem, ProblemDetail,
    ProblemPage, Receipt, TopicInput, TopicRow, TransitionInput, ops, pages,
    store::{self, ProblemCounts},
};
use crate::{
    auth::{Caller, Need},
    db::{ProblemId, TopicId},
    error::{AppError, AppResult},
    tabular,
    web::{AppState, Json, Path, Query, client::client_ip, errors::ErrorBody, openapi},
};

/// Schemas that only query parameters name, which `routes!` does not collect.
#[derive(utoipa::OpenApi)]
#[openapi(components(schemas(super::store::Sort)))]
struct QuerySchemas;

/// Every route of problems, pages and API: one `routes!` per API path (its
/// methods together), then the pages, which stay out of the document.
pub fn router() -> OpenApiRouter<AppState> {
    let mut router = openapi::domain(
        "problems",
        "Problems and suggestions: outcomes, escalation, timeline and feedback",
    )
    .routes(routes!(api_list, api_create))
    .routes(routes!(api_counts))
    .routes(routes!(api_bulk))
    .routes(routes!(api_export_xlsx))
    .routes(routes!(api_export_csv))
    .routes(routes!(api_get))
    .routes(routes!(api_transition))
    .routes(routes!(api_feedback))
    .routes(routes!(api_main))
    .merge(
        openapi::domain("topics", "The problem topic list")
            .routes(routes!(api_topics, api_create_topic))
            .routes(routes!(api_update_topic)),
    )
    .merge(
        openapi::domain("public", "What anyone may see without logging in")
            .routes(routes!(api_receipt)),
    )
    .route("/problems", get(pages::list))
    .route("/problems/inbox", get(pages::inbox))
    .route("/problems/overdue", get(pages::overdue))
    .route("/problems/bulk", post(pages::bulk))
    .route("/problems/{id}", get(pages::detail))
    .route("/problems/{id}/transition", post(pages::transition))
    .route("/problems/{id}/feedback", post(pages::feedback))
    .route("/problems/{id}/main", post(pages::main))
    .route("/topics", get(pages::topics).post(pages::create_topic))
    .route("/topics/{id}", post(pages::update_topic))
    .route(
        "/p/{code}",
        get(pages::public_form).post(pages::public_submit),
    )
    .route("/p/{code}/qr.svg", get(pages::qr_svg))
    .route("/p/{code}/qr.png", get(pages::qr_png))
    .route("/p/{code}/poster", get(pages::poster))
    .route("/receipt", get(pages::lookup))
    .route("/receipt/{code}", get(pages::receipt));
    router
        .get_openapi_mut()
        .merge(<QuerySchemas as utoipa::OpenApi>::openapi());
    router
}

/// List the problems visible to the caller (contacts masked).
#[utoipa::path(get, path = "/api/v1/problems", tag = "problems", params(ListParams),
    responses((status = 200, body = ProblemPage), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_list(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ListParams>,
) -> AppResult<Json<ProblemPage>> {
    let (filter, paging) = p.parse(&caller)?;
    let (items, total) = ops::list(&state.db, &caller, &filter, paging).await?;
    Ok(Json(ProblemPage {
        items,
        total,
        page: paging.page,
        page_size: paging.size,
    }))
}

/// How many problems the caller sees, open, overdue, and waiting in their inbox.
#[utoipa::path(get, path = "/api/v1/problems/counts", tag = "problems",
    responses((status = 200, body = ProblemCounts)), security(("bearer" = [])))]
async fn api_counts(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Json<ProblemCounts>> {
    Ok(Json(
        store::counts(&state.db, &caller.scope(Need::Read)).await?,
    ))
}

/// Record a problem outside an activity. Send a fresh `client_id` with each
/// new problem and the same one when retrying: a retry answers 200 with the
/// first record.
#[utoipa::path(post, path = "/api/v1/problems", tag = "problems", request_body = NewProblem,
    responses((status = 201, body = ProblemDetail), (status = 200, description = "a retry", body = ProblemDetail),
        (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_create(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<NewProblem>,
) -> AppResult<Response> {
    let (id, created) = ops::record(&state.db, &caller, &input).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let d = ops::detail(&state.db, &caller, id).await?;
    Ok((status, Json(d)).into_response())
}

/// One problem with its timeline and feedback.
#[utoipa::path(get, path = "/api/v1/problems/{id}", tag = "problems", params(("id" = i64, Path)),
    responses((status = 200, body = ProblemDetail), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ProblemId>,
) -> AppResult<Json<ProblemDetail>> {
    Ok(Json(ops::detail(&state.db, &caller, id).await?))
}

/// Decide, escalate, return, reopen or close a problem.
#[utoipa::path(post, path = "/api/v1/problems/{id}/transition", tag = "problems", params(("id" = i64, Path)),
    request_body = TransitionInput,
    responses((status = 200, body = ProblemDetail), (status = 422, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_transition(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ProblemId>,
    Json(input): Json<TransitionInput>,
) -> AppResult<Json<ProblemDetail>> {
    let action = input.parse()?;
    ops::transition(&state.db, &caller, id, action).await?;
    Ok(Json(ops::detail(&state.db, &caller, id).await?))
}

/// Record feedback given to whoever raised the problem.
#[utoipa::path(post, path = "/api/v1/problems/{id}/feedback", tag = "problems", params(("id" = i64, Path)),
    request_body = FeedbackInput,
    responses((status = 200, body = ProblemDetail), (status = 422, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_feedback(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ProblemId>,
    Json(input): Json<FeedbackInput>,
) -> AppResult<Json<ProblemDetail>> {
    let f = input.parse()?;
    ops::give_feedback(&state.db, &caller, id, &f).await?;
    Ok(Json(ops::detail(&state.db, &caller, id).await?))
}

/// Mark or unmark a main problem (for the summary table).
#[utoipa::path(post, path = "/api/v1/problems/{id}/main", tag = "problems", params(("id" = i64, Path)),
    request_body = MainInput,
    responses((status = 200, body = ProblemDetail), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_main(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ProblemId>,
    Json(input): Json<MainInput>,
) -> AppResult<Json<ProblemDetail>> {
    ops::set_main(&state.db, &caller, id, input.main).await?;
    Ok(Json(ops::detail(&state.db, &caller, id).await?))
}

/// Change many problems at once; those the caller does not own are skipped.
#[utoipa::path(post, path = "/api/v1/problems/bulk", tag = "problems", request_body = BulkInput,
    responses((status = 200, body = BulkResult), (status = 422, body = ErrorBody),
        (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_bulk(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<BulkInput>,
) -> AppResult<Json<BulkResult>> {
    Ok(Json(ops::bulk(&state.db, &caller, &input).await?))
}

/// The problems a list query shows as a table, contacts masked; the export
/// is audited.
async fn export(
    state: &AppState,
    caller: &Caller,
    p: &ListParams,
    format: tabular::Format,
) -> AppResult<Response> {
    let (filter, _) = p.parse(caller)?;
    let (heads, rows) = ops::export_table(&state.db, caller, &filter).await?;
    crate::web::download::send_table(
        state,
        caller,
        "problems",
        format,
        (&caller.lang.t("nav-problems"), &heads, &rows),
        format!("{} rows; contacts masked", rows.len()),
    )
    .await
}

/// The problems the list's filters show, as an Excel workbook (contacts masked).
#[utoipa::path(get, path = "/api/v1/problems/export.xlsx", tag = "problems", params(ListParams),
    responses(
        (status = 200, description = "the workbook",
            content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_export_xlsx(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ListParams>,
) -> AppResult<Response> {
    export(&state, &caller, &p, tabular::Format::Xlsx).await
}

/// The problems the list's filters show, as CSV (UTF-8, contacts masked).
#[utoipa::path(get, path = "/api/v1/problems/export.csv", tag = "problems", params(ListParams),
    responses(
        (status = 200, description = "the table", content_type = "text/csv"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_export_csv(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ListParams>,
) -> AppResult<Response> {
    export(&state, &caller, &p, tabular::Format::Csv).await
}

/// The topic list (every logged-in user may read it).
#[utoipa::path(get, path = "/api/v1/topics", tag = "topics",
    responses((status = 200, body = [TopicRow])), security(("bearer" = [])))]
async fn api_topics(
    State(state): State<AppState>,
    _caller: Caller,
) -> AppResult<Json<Vec<TopicRow>>> {
    Ok(Json(store::topic_rows(&state.db).await?))
}

/// Add a topic (admins of a top-level federation).
#[utoipa::path(post, path = "/api/v1/topics", tag = "topics", request_body = TopicInput,
    responses((status = 201, body = TopicRow), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_create_topic(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<TopicInput>,
) -> AppResult<Response> {
    let id = ops::create_topic(&state.db, &caller, &input).await?;
    let row = store::topic_row(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((StatusCode::CREATED, Json(row)).into_response())
}

/// Rename, reorder, deactivate or reactivate a topic; what the body does not
/// name is kept.
#[utoipa::path(patch, path = "/api/v1/topics/{id}", tag = "topics", params(("id" = i64, Path)),
    request_body = TopicInput,
    responses((status = 200, body = TopicRow), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_update_topic(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<TopicId>,
    Json(input): Json<TopicInput>,
) -> AppResult<Json<TopicRow>> {
    let current = store::topic_row(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let merged = TopicInput {
        code: None,
        name_zh: input.name_zh.or(Some(current.name_zh)),
        name_en: input.name_en.or(Some(current.name_en)),
        display_order: input
            .display_order
            .or(Some(current.display_order.to_string())),
        active: input.active.or(Some(current.active.to_string())),
    };
    ops::change_topic(&state.db, &caller, id, &merged).await?;
    store::topic_row(&state.db, id)
        .await?
        .map(Json)
        .ok_or(AppError::NotFound)
}

/// The status and feedback of the problem a receipt code belongs to (no login).
#[utoipa::path(get, path = "/api/v1/receipts/{code}", tag = "public", params(("code" = String, Path)),
    responses((status = 200, body = Receipt), (status = 404, body = ErrorBody),
        (status = 429, body = ErrorBody)),
    security(()))]
async fn api_receipt(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> AppResult<Json<Receipt>> {
    let client = client_ip(addr.ip(), &headers, &state.settings.server.trusted_proxies).to_string();
    Ok(Json(
        ops::receipt(&state.db, &code, (&*state.limiter, client.as_str())).await?,
    ))
}
