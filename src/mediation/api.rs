//! The JSON API under `/api/v1/mediation` (cases, steps, figures and the
//! agreement document) and the domain's router: each API route is declared
//! once, by its handler's `#[utoipa::path]`, and `routes!` registers it with
//! axum and the OpenAPI document together.

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    CaseDetail, CaseInput, CasePage, FiguresParams, ListParams, TransitionInput, ops, pages,
    store::{self, Figures},
};
use crate::{
    auth::{Caller, Need},
    db::MediationCaseId,
    error::{AppError, AppResult},
    web::{AppState, Json, Path, Query, errors::ErrorBody, openapi},
};

/// The media type of the agreement document.
const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

/// Every route of mediation, pages and API: one `routes!` per API path (its
/// methods together), then the pages, which stay out of the document.
pub fn router() -> OpenApiRouter<AppState> {
    openapi::domain(
        "mediation",
        "Labour-dispute mediation cases: intake, the fifteen-day clock, outcomes, agreements",
    )
    .routes(routes!(api_list, api_create))
    .routes(routes!(api_figures))
    .routes(routes!(api_get))
    .routes(routes!(api_transition))
    .routes(routes!(api_agreement))
    .route("/mediation", get(pages::list))
    .route("/mediation/new", get(pages::new).post(pages::create))
    .route("/mediation/{id}", get(pages::detail))
    .route("/mediation/{id}/transition", post(pages::transition))
}

/// List the cases visible to the caller (workers masked).
#[utoipa::path(get, path = "/api/v1/mediation/cases", tag = "mediation", params(ListParams),
    responses((status = 200, body = CasePage), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_list(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ListParams>,
) -> AppResult<Json<CasePage>> {
    let (filter, paging) = p.parse()?;
    let (items, total) = ops::list(&state.db, &caller, &filter, paging).await?;
    Ok(Json(CasePage {
        items,
        total,
        page: paging.page,
        page_size: paging.size,
    }))
}

/// Record a new case (a written application, or an oral one recorded on the
/// spot). Send a fresh `client_id` with each new case and the same one when
/// retrying: a retry answers 200 with the first case.
#[utoipa::path(post, path = "/api/v1/mediation/cases", tag = "mediation", request_body = CaseInput,
    responses((status = 201, body = CaseDetail), (status = 200, description = "a retry", body = CaseDetail),
        (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_create(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<CaseInput>,
) -> AppResult<Response> {
    let (id, created) = ops::record(&state.db, &caller, &input).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(ops::detail(&state.db, &caller, id).await?)).into_response())
}

/// Case figures over the caller's scope: statuses, agreements, success rate
/// (valid agreements / cases concluded by agreement, no agreement or
/// arbitration), amounts, overdue and cases per month of receipt.
#[utoipa::path(get, path = "/api/v1/mediation/figures", tag = "mediation", params(FiguresParams),
    responses((status = 200, body = Figures), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_figures(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<FiguresParams>,
) -> AppResult<Json<Figures>> {
    let (campaign, org) = p.parse()?;
    let scope = caller.require(Need::Read)?;
    if let Some(o) = org {
        crate::org::store::get(&state.db, &scope, o)
            .await?
            .ok_or(AppError::NotFound)?;
    }
    Ok(Json(
        store::figures(&state.db, &scope, campaign, org).await?,
    ))
}

/// One case with its timeline.
#[utoipa::path(get, path = "/api/v1/mediation/cases/{id}", tag = "mediation", params(("id" = i64, Path)),
    responses((status = 200, body = CaseDetail), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<MediationCaseId>,
) -> AppResult<Json<CaseDetail>> {
    Ok(Json(ops::detail(&state.db, &caller, id).await?))
}

/// Record a step: begin, agree, sign, fail, withdraw, transfer or recover.
#[utoipa::path(post, path = "/api/v1/mediation/cases/{id}/transition", tag = "mediation",
    params(("id" = i64, Path)), request_body = TransitionInput,
    responses((status = 200, body = CaseDetail), (status = 422, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_transition(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<MediationCaseId>,
    Json(input): Json<TransitionInput>,
) -> AppResult<Json<CaseDetail>> {
    ops::step(&state.db, &caller, id, &input).await?;
    Ok(Json(ops::detail(&state.db, &caller, id).await?))
}

/// The mediation agreement (调解协议书) as a Word document; only once valid,
/// only for cadres and admins over the case's org.
#[utoipa::path(get, path = "/api/v1/mediation/cases/{id}/agreement.docx", tag = "mediation",
    params(("id" = i64, Path)),
    responses(
        (status = 200, description = "the agreement",
            content_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_agreement(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<MediationCaseId>,
) -> AppResult<Response> {
    let (bytes, name) = ops::agreement(&state.db, &caller, id).await?;
    Ok(crate::web::download::attachment(bytes, &name, DOCX))
}
