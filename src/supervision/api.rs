//! The JSON API of supervision (the grid, a unit's timeline, chases,
//! receipt), the grid's XLSX under `/api/v1`, and the domain's router: each
//! API route declared once by its handler's `#[utoipa::path]`.

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    ChaseInput, ChaseResult, Grid, GridQuery, ReceiptInput, ReceiptResult, Timeline, ops, pages,
};
use crate::{
    auth::Caller,
    db::{CampaignId, OrgId},
    error::{AppError, AppResult},
    web::{AppState, Json, Path, Query, download, errors::ErrorBody, openapi},
};

/// Every route of supervision, pages and API: one `routes!` per API path,
/// then the pages, which stay out of the document.
pub fn router() -> OpenApiRouter<AppState> {
    openapi::domain(
        "supervision",
        "The supervision grid (督办) of a campaign, chases (催报/催办), unit timelines and receipt of the notice (签收)",
    )
    .routes(routes!(api_grid))
    .routes(routes!(grid_xlsx))
    .routes(routes!(api_timeline))
    .routes(routes!(api_chase))
    .routes(routes!(api_receipt))
    .route("/campaigns/{id}/supervision", get(pages::grid))
    .route("/campaigns/{id}/supervision/chases", post(pages::chase))
    .route("/campaigns/{id}/supervision/{org}", get(pages::timeline))
    .route("/campaigns/{id}/receipt", post(pages::receipt))
}

/// The supervision grid of a campaign: one row per participating unit (or,
/// with `org`, per child org of that unit), sorted and filtered as asked.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/supervision", tag = "supervision",
    params(("id" = i64, Path, description = "The campaign"), GridQuery),
    responses((status = 200, body = Grid), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_grid(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
    Query(q): Query<GridQuery>,
) -> AppResult<Json<Grid>> {
    let (g, _) = ops::grid(&state.db, &state.settings.reminders, &caller, id, &q).await?;
    Ok(Json(g))
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The grid as a workbook: the same rows, sort and filter as the page and
/// `GET /api/v1/campaigns/{id}/supervision`, each cell filled with its light.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/supervision.xlsx", tag = "supervision",
    params(("id" = i64, Path, description = "The campaign"), GridQuery),
    responses((status = 200, description = "the grid as a workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn grid_xlsx(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
    Query(q): Query<GridQuery>,
) -> AppResult<Response> {
    let (g, ctx) = ops::grid(&state.db, &state.settings.reminders, &caller, id, &q).await?;
    let body =
        super::export::workbook(caller.lang, &g).map_err(|e| AppError::Internal(e.into()))?;
    let name = format!(
        "{}-{}-{}.xlsx",
        caller.lang.t("sv-title"),
        g.title,
        download::stamp()
    );
    let owner = g.level.as_ref().map_or(ctx.campaign.org_id, |l| l.org_id);
    ops::record_export(&state.db, &caller, owner, &name, body.len()).await?;
    Ok(download::attachment(body, &name, XLSX))
}

/// Chases units (or, with `level`, that unit's child orgs) in one action:
/// each gets a chase, an audit entry and a notice. The same `client_id`
/// again chases no one twice (200 with the first action's chases).
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/chases", tag = "supervision",
    params(("id" = i64, Path, description = "The campaign")), request_body = ChaseInput,
    responses((status = 201, body = ChaseResult), (status = 200, description = "A retry: nothing new", body = ChaseResult),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, description = "a field refused; the kind's error lists the codes", body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_chase(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
    Json(input): Json<ChaseInput>,
) -> AppResult<Response> {
    let r = ops::chase(&state.db, &caller, id, &input).await?;
    let status = if r.created > 0 {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(r)).into_response())
}

/// A unit's timeline in the campaign: receipt, plan events, summary versions
/// and decisions, chases, oldest first.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/supervision/{org}/timeline", tag = "supervision",
    params(("id" = i64, Path, description = "The campaign"), ("org" = i64, Path, description = "A unit or an org under one")),
    responses((status = 200, body = Timeline), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_timeline(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, org)): Path<(CampaignId, OrgId)>,
) -> AppResult<Json<Timeline>> {
    Ok(Json(ops::timeline(&state.db, &caller, id, org).await?))
}

/// Confirms receipt (签收) of an issued campaign for the caller's unit (or
/// `org`). A retry changes nothing and answers 200 with the first receipt.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/receipt", tag = "supervision",
    params(("id" = i64, Path, description = "The campaign")), request_body = ReceiptInput,
    responses((status = 201, body = ReceiptResult), (status = 200, description = "Already confirmed", body = ReceiptResult),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_receipt(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
    body: Option<Json<ReceiptInput>>,
) -> AppResult<Response> {
    let org = body.and_then(|b| b.0.org);
    let r = ops::receive(&state.db, &caller, id, org).await?;
    let status = if r.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(r)).into_response())
}
