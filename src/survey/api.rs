//! The JSON API under `/api/v1/surveys` and the survey domain's router: each
//! API route is declared once, by its handler's `#[utoipa::path]`, and
//! `routes!` registers it with axum and the OpenAPI document together. The
//! analysis (`analysis::api`) and the respondents' side (`public`) keep
//! routers of their own, listed beside this one in `web::declared`.

use axum::{
    body::Bytes,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    FormQuery, FormSource, OverrideInput, ReviewQuery, SavedVersion, StatusInput, Survey,
    SurveyDetail, SurveyInput, ValidityState,
    builder::{self, ExpressionCheck, ExpressionInput},
    form::Form,
    ops, pages,
    privacy::AnswerView,
    store,
    validity::{ResponseItem, ResponsePage, RulesInput},
};
use crate::{
    auth::{Caller, Need},
    db::{ResponseId, SurveyId, SurveyVersionId},
    error::{AppError, AppResult},
    web::{AppState, Json, Path, Query, errors::ErrorBody, openapi},
};

/// The media type of an XLSX workbook.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Every route of survey management, pages and API: one `routes!` per API
/// path (its methods together), then the pages, which stay out of the document.
pub fn router() -> OpenApiRouter<AppState> {
    openapi::domain(
        "surveys",
        "Questionnaires: settings, form versions (XLSForm or JSON), publication",
    )
    .routes(routes!(api_list, api_create))
    .routes(routes!(api_get, api_update))
    .routes(routes!(api_form, api_put_form))
    .routes(routes!(api_import))
    .routes(routes!(api_publish))
    .routes(routes!(api_status))
    .routes(routes!(api_export_xlsform))
    .routes(routes!(api_validity, api_set_validity))
    .routes(routes!(api_responses))
    .routes(routes!(api_override))
    .routes(routes!(api_check_expression))
    .route("/surveys", get(pages::list).post(pages::create))
    .route("/surveys/{id}", get(pages::detail))
    .route("/surveys/{id}/edit", get(pages::edit).post(pages::update))
    .route("/surveys/{id}/xlsform", post(pages::import))
    .route("/surveys/{id}/publish", post(pages::publish))
    .route("/surveys/{id}/status", post(pages::status))
    .route("/surveys/{id}/preview", get(pages::preview))
    .route("/surveys/{id}/build", get(pages::build))
    .route(
        "/surveys/{id}/validity",
        get(pages::validity).post(pages::set_validity),
    )
    .route("/surveys/{id}/responses", get(pages::responses))
    .route(
        "/surveys/{id}/responses/{response}/validity",
        post(pages::override_response),
    )
}

async fn detail_of(state: &AppState, caller: &Caller, id: SurveyId) -> AppResult<SurveyDetail> {
    let s = ops::visible(&state.db, caller, id).await?;
    ops::detail(&state.db, &state.settings.server.public_url, s).await
}

/// The surveys of the caller's orgs, newest first.
#[utoipa::path(get, path = "/api/v1/surveys", tag = "surveys",
    responses((status = 200, body = Vec<Survey>), (status = 401, body = ErrorBody)))]
async fn api_list(State(state): State<AppState>, caller: Caller) -> AppResult<Json<Vec<Survey>>> {
    Ok(Json(
        store::list(&state.db, &caller.scope(Need::Read), super::LIST_LIMIT).await?,
    ))
}

/// Creates a draft survey owned by `org_code` (default: the caller's org; the
/// caller must be a cadre or admin there), with its settings. Its form comes
/// next, by XLSForm or JSON.
#[utoipa::path(post, path = "/api/v1/surveys", tag = "surveys",
    request_body(content = SurveyInput, example = json!({"title": "新就业形态劳动者调查",
        "target_groups": "courier,food_delivery", "opens_at": "2026-11-20 08:00",
        "one_per_device": true, "quotas": [{"worker_group": "courier", "region": "", "max_responses": 500}]})),
    responses((status = 201, body = SurveyDetail), (status = 422, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
async fn api_create(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<SurveyInput>,
) -> AppResult<Response> {
    let id = ops::create(&state.db, &caller, &input).await?;
    Ok((
        StatusCode::CREATED,
        Json(detail_of(&state, &caller, id).await?),
    )
        .into_response())
}

/// One survey with its versions, quotas and public addresses.
#[utoipa::path(get, path = "/api/v1/surveys/{id}", tag = "surveys", params(("id" = i64, Path)),
    responses((status = 200, body = SurveyDetail), (status = 404, body = ErrorBody)))]
async fn api_get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<SurveyId>,
) -> AppResult<Json<SurveyDetail>> {
    Ok(Json(detail_of(&state, &caller, id).await?))
}

/// Changes the given settings; `quotas` (or `quota_lines`) replaces every quota.
#[utoipa::path(patch, path = "/api/v1/surveys/{id}", tag = "surveys", params(("id" = i64, Path)),
    request_body(content = SurveyInput, example = json!({"closes_at": "2026-12-31 18:00"})),
    responses((status = 200, body = SurveyDetail), (status = 422, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn api_update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<SurveyId>,
    Json(patch): Json<SurveyInput>,
) -> AppResult<Json<SurveyDetail>> {
    ops::patch(&state.db, &caller, id, patch).await?;
    Ok(Json(detail_of(&state, &caller, id).await?))
}

/// The form of a version (default: the newest) as JSON, expressions as trees:
/// the shape `PUT …/form` takes (see docs/surveys.md).
#[utoipa::path(get, path = "/api/v1/surveys/{id}/form", tag = "surveys", params(("id" = i64, Path), FormQuery),
    responses((status = 200, description = "the form (docs/surveys.md)", content_type = "application/json"),
        (status = 404, body = ErrorBody)))]
async fn api_form(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<SurveyId>,
    Query(q): Query<FormQuery>,
) -> AppResult<Json<Form>> {
    let (_, _, form) = ops::form_of(&state.db, &caller, id, q.version).await?;
    Ok(Json(form))
}

/// Saves a form given as JSON into the draft version (a new version when the
/// newest is published). Expressions may be written as text
/// (`"relevant": "${age} >= 16"`) or as the trees `GET …/form` returns.
#[utoipa::path(put, path = "/api/v1/surveys/{id}/form", tag = "surveys", params(("id" = i64, Path)),
    request_body(content = String, description = "the form (docs/surveys.md)", content_type = "application/json"),
    responses((status = 200, body = SavedVersion), (status = 400, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn api_put_form(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<SurveyId>,
    body: Bytes,
) -> AppResult<Json<SavedVersion>> {
    ops::manageable(&state.db, &caller, id).await?;
    let form = super::form_json::parse(&body, caller.lang)?;
    Ok(Json(
        ops::save_form(&state.db, &caller, id, form, FormSource::Json, None).await?,
    ))
}

/// Imports an XLSForm workbook (the request body is the .xlsx file) into the
/// draft version. Every refusal names the sheet, row and column.
#[utoipa::path(post, path = "/api/v1/surveys/{id}/xlsform", tag = "surveys", params(("id" = i64, Path)),
    request_body(content = Vec<u8>, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    responses((status = 200, body = SavedVersion), (status = 422, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 413, body = ErrorBody)))]
async fn api_import(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<SurveyId>,
    body: Bytes,
) -> AppResult<Json<SavedVersion>> {
    Ok(Json(
        ops::import(&state.db, &caller, id, &body, None).await?,
    ))
}

/// Publishes the newest (draft) version after checking the form; it is frozen
/// from then on and the public link answers with it.
#[utoipa::path(post, path = "/api/v1/surveys/{id}/publish", tag = "surveys", params(("id" = i64, Path)),
    responses((status = 200, body = SurveyDetail), (status = 422, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn api_publish(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<SurveyId>,
) -> AppResult<Json<SurveyDetail>> {
    ops::publish(&state.db, &caller, id).await?;
    Ok(Json(detail_of(&state, &caller, id).await?))
}

/// Closes a published survey (`closed`) or reopens it (`published`).
#[utoipa::path(post, path = "/api/v1/surveys/{id}/status", tag = "surveys", params(("id" = i64, Path)),
    request_body = StatusInput,
    responses((status = 200, body = SurveyDetail), (status = 422, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn api_status(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<SurveyId>,
    Json(input): Json<StatusInput>,
) -> AppResult<Json<SurveyDetail>> {
    ops::change_status(&state.db, &caller, id, input.parse()).await?;
    Ok(Json(detail_of(&state, &caller, id).await?))
}

/// A version as an XLSForm workbook (importing it gives the same form). Audited.
#[utoipa::path(get, path = "/api/v1/surveys/{id}/versions/{version}/xlsform", tag = "surveys",
    params(("id" = i64, Path), ("version" = i64, Path)),
    responses((status = 200, description = "the .xlsx file", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn api_export_xlsform(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, version)): Path<(SurveyId, SurveyVersionId)>,
) -> AppResult<Response> {
    let (bytes, name) = ops::export_xlsform(&state.db, &caller, id, version).await?;
    Ok(crate::web::download::attachment(bytes, &name, XLSX))
}

/// A survey's validity rules, the progress of a recomputation and the
/// responses counted by verdict (readers over the owning org).
#[utoipa::path(get, path = "/api/v1/surveys/{id}/validity", tag = "surveys", params(("id" = i64, Path)),
    responses((status = 200, body = ValidityState), (status = 404, body = ErrorBody)))]
async fn api_validity(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<SurveyId>,
) -> AppResult<Json<ValidityState>> {
    let s = ops::visible(&state.db, &caller, id).await?;
    Ok(Json(ops::validity_state(&state.db, &s).await?))
}

/// Replaces the validity rules (absent or empty: that rule is off) and judges
/// every response again. Small surveys are done before the answer; otherwise
/// `recompute` shows the progress and `GET` follows it. Overrides stay.
#[utoipa::path(put, path = "/api/v1/surveys/{id}/validity", tag = "surveys", params(("id" = i64, Path)),
    request_body = RulesInput,
    responses((status = 200, body = ValidityState), (status = 422, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn api_set_validity(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<SurveyId>,
    Json(input): Json<RulesInput>,
) -> AppResult<Json<ValidityState>> {
    ops::set_validity(&state.db, &caller, id, &input).await?;
    let s = ops::visible(&state.db, &caller, id).await?;
    Ok(Json(ops::validity_state(&state.db, &s).await?))
}

/// The responses for review, newest first, 50 a page, with their verdicts,
/// reasons (in the caller's language) and overrides.
#[utoipa::path(get, path = "/api/v1/surveys/{id}/responses", tag = "surveys",
    params(("id" = i64, Path), ReviewQuery),
    responses((status = 200, body = ResponsePage), (status = 404, body = ErrorBody)))]
async fn api_responses(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<SurveyId>,
    Query(q): Query<ReviewQuery>,
) -> AppResult<Json<ResponsePage>> {
    let s = ops::visible(&state.db, &caller, id).await?;
    Ok(Json(ops::review(&state.db, &caller, &s, &q).await?))
}

/// Overrides a response's verdict (`valid` true or false) or removes the
/// override (`valid` null), with a required note. The override wins over the
/// rules and survives their recomputation; it is audited.
#[utoipa::path(post, path = "/api/v1/surveys/{id}/responses/{response}/validity", tag = "surveys",
    params(("id" = i64, Path), ("response" = i64, Path)), request_body = OverrideInput,
    responses((status = 200, body = ResponseItem), (status = 422, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn api_override(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, response)): Path<(SurveyId, ResponseId)>,
    Json(input): Json<OverrideInput>,
) -> AppResult<Json<ResponseItem>> {
    let s = ops::override_response(&state.db, &caller, id, response, &input).await?;
    let mut item = store::response(&state.db, id, response, caller.lang)
        .await?
        .ok_or(AppError::NotFound)?;
    let view = AnswerView::of(&state.db, &caller, &s).await?;
    if view.response(&mut item) {
        view.audit(&state.db, &caller, "review verdict", &[item.id])
            .await?;
    }
    Ok(Json(item))
}

/// Parses an expression the way saving a form does, for the builder's live
/// check; any signed-in user may ask (nothing is read or stored). An empty
/// text is "no condition" and passes.
#[utoipa::path(post, path = "/api/v1/surveys/expression", tag = "surveys",
    request_body(content = ExpressionInput, example = json!({"expr": "${age} >= 16 and selected(${groups}, 'courier')"})),
    responses((status = 200, body = ExpressionCheck), (status = 401, body = ErrorBody)))]
async fn api_check_expression(
    caller: Caller,
    Json(input): Json<ExpressionInput>,
) -> Json<ExpressionCheck> {
    Json(builder::check(&input.expr, caller.lang))
}
