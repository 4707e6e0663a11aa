//! The JSON API under `/api/v1/campaigns` and the domain's router: each API
//! route is declared once, by its handler's `#[utoipa::path]`, and `routes!`
//! registers it with axum and the OpenAPI document together.

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    Campaign, CampaignDetail, CampaignInput, LIST_LIMIT, ListParams, PlanDetail, StatusInput, ops,
    pages,
    plan::{PlanAction, PlanInput, ReturnInput},
    store,
};
use crate::{
    auth::{Caller, Need},
    db::{CampaignId, OrgId},
    error::AppResult,
    web::{AppState, Json, Path, Query, errors::ErrorBody, openapi},
};

/// Every route of campaigns and plans, pages and API: one `routes!` per API
/// path (its methods together), then the pages, which stay out of the document.
pub fn router() -> OpenApiRouter<AppState> {
    openapi::domain(
        "campaigns",
        "Campaigns, their participating units, targets and live progress, and the units' implementation plans",
    )
    .routes(routes!(api_list, api_create))
    .routes(routes!(api_get, api_update))
    .routes(routes!(api_status))
    .routes(routes!(api_copy))
    .routes(routes!(api_plan, api_plan_put))
    .routes(routes!(api_plan_submit))
    .routes(routes!(api_plan_accept))
    .routes(routes!(api_plan_return))
    .route("/campaigns", get(pages::list_page).post(pages::create_page))
    .route("/campaigns/new", get(pages::new_page))
    .route("/campaigns/{id}", get(pages::detail_page))
    .route(
        "/campaigns/{id}/edit",
        get(pages::edit_page).post(pages::update_page),
    )
    .route("/campaigns/{id}/copy", post(pages::copy_page))
    .route("/campaigns/{id}/status", post(pages::status_page))
    .route(
        "/campaigns/{id}/plans/{org}",
        get(pages::plan_page).post(pages::plan_save_page),
    )
    .route(
        "/campaigns/{id}/plans/{org}/accept",
        post(pages::plan_accept_page),
    )
    .route(
        "/campaigns/{id}/plans/{org}/return",
        post(pages::plan_return_page),
    )
}

/// Campaigns the caller issues or takes part in, newest first.
#[utoipa::path(get, path = "/api/v1/campaigns", tag = "campaigns", params(ListParams),
    responses((status = 200, body = Vec<Campaign>),
        (status = 422, description = "`status` is not draft, active or closed", body = ErrorBody),
        (status = 401, body = ErrorBody)))]
async fn api_list(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ListParams>,
) -> AppResult<Json<Vec<Campaign>>> {
    let status = p.status()?;
    Ok(Json(
        store::list(&state.db, &caller.scope(Need::Read), status, LIST_LIMIT).await?,
    ))
}

/// One campaign with its units, their targets, live progress and plan status.
/// Readers of the issuing org see every unit; participants see their own.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}", tag = "campaigns", params(("id" = i64, Path)),
    responses((status = 200, body = CampaignDetail), (status = 404, body = ErrorBody)))]
async fn api_get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
) -> AppResult<Json<CampaignDetail>> {
    let c = ops::visible(&state.db, &caller, id).await?;
    Ok(Json(ops::detail(&state.db, &caller, c).await?))
}

/// Creates a draft campaign issued by `issuer_code` (default: the caller's
/// org; the caller must be admin there). Units: every active org of `kinds`
/// strictly under the issuer, plus `org_codes`; default targets plus `overrides`.
#[utoipa::path(post, path = "/api/v1/campaigns", tag = "campaigns", request_body = CampaignInput,
    responses((status = 201, body = CampaignDetail), (status = 422, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
async fn api_create(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<CampaignInput>,
) -> AppResult<Response> {
    let id = ops::create(&state.db, &caller, &input).await?;
    let c = ops::visible(&state.db, &caller, id).await?;
    Ok((
        StatusCode::CREATED,
        Json(ops::detail(&state.db, &caller, c).await?),
    )
        .into_response())
}

/// Changes the given fields. Mentioning any of `kinds`, `org_codes`, the
/// default targets or `overrides` replaces the whole unit choice; a unit that
/// holds a plan cannot leave an issued campaign; a closed campaign is read only.
#[utoipa::path(patch, path = "/api/v1/campaigns/{id}", tag = "campaigns", params(("id" = i64, Path)), request_body = CampaignInput,
    responses((status = 200, body = CampaignDetail), (status = 422, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn api_update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
    Json(patch): Json<CampaignInput>,
) -> AppResult<Json<CampaignDetail>> {
    let c = ops::manageable(&state.db, &caller, id).await?;
    let units = store::units(&state.db, id, None).await?;
    let full = store::full_kinds(&state.db, c.org_id, &units).await?;
    let merged = patch.over(CampaignInput::from_campaign(&c, &units, &full));
    ops::update(&state.db, &caller, id, &merged).await?;
    let c = ops::visible(&state.db, &caller, id).await?;
    Ok(Json(ops::detail(&state.db, &caller, c).await?))
}

/// Issues (draft → active), closes (active → closed) or reopens (closed → active).
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/status", tag = "campaigns", params(("id" = i64, Path)), request_body = StatusInput,
    responses((status = 200, body = Campaign), (status = 422, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn api_status(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
    Json(input): Json<StatusInput>,
) -> AppResult<Json<Campaign>> {
    ops::change_status(&state.db, &caller, id, &input).await?;
    Ok(Json(ops::visible(&state.db, &caller, id).await?))
}

/// Copies a campaign into a new draft: same texts, units and targets, dates a
/// year later, no document number, `copied_from` set.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/copy", tag = "campaigns", params(("id" = i64, Path)),
    responses((status = 201, body = CampaignDetail), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn api_copy(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
) -> AppResult<Response> {
    let new = ops::copy(&state.db, &caller, id).await?;
    let c = ops::visible(&state.db, &caller, new).await?;
    Ok((
        StatusCode::CREATED,
        Json(ops::detail(&state.db, &caller, c).await?),
    )
        .into_response())
}

/// A unit's plan with its history; a plan not started reads as an empty draft.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/plans/{org}", tag = "campaigns",
    params(("id" = i64, Path), ("org" = i64, Path, description = "the participating unit")),
    responses((status = 200, body = PlanDetail), (status = 404, body = ErrorBody)))]
async fn api_plan(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, org)): Path<(CampaignId, OrgId)>,
) -> AppResult<Json<PlanDetail>> {
    Ok(Json(
        ops::plan_visible(&state.db, &caller, id, org).await?.2,
    ))
}

/// Saves a draft or returned plan (cadres and admins over the unit, campaign active).
#[utoipa::path(put, path = "/api/v1/campaigns/{id}/plans/{org}", tag = "campaigns",
    params(("id" = i64, Path), ("org" = i64, Path)), request_body = PlanInput,
    responses((status = 200, body = PlanDetail), (status = 422, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn api_plan_put(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, org)): Path<(CampaignId, OrgId)>,
    Json(input): Json<PlanInput>,
) -> AppResult<Json<PlanDetail>> {
    ops::save_plan(&state.db, &caller, id, org, &input, false).await?;
    Ok(Json(
        ops::plan_visible(&state.db, &caller, id, org).await?.2,
    ))
}

/// Submits the saved plan to the issuing org (version + 1, snapshot kept).
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/plans/{org}/submit", tag = "campaigns",
    params(("id" = i64, Path), ("org" = i64, Path)),
    responses((status = 200, body = PlanDetail), (status = 422, description = "not a draft or returned plan", body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn api_plan_submit(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, org)): Path<(CampaignId, OrgId)>,
) -> AppResult<Json<PlanDetail>> {
    ops::submit_plan(&state.db, &caller, id, org).await?;
    Ok(Json(
        ops::plan_visible(&state.db, &caller, id, org).await?.2,
    ))
}

/// Accepts a submitted plan (admins over the issuing org).
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/plans/{org}/accept", tag = "campaigns",
    params(("id" = i64, Path), ("org" = i64, Path)),
    responses((status = 200, body = PlanDetail), (status = 422, description = "not a submitted plan", body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn api_plan_accept(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, org)): Path<(CampaignId, OrgId)>,
) -> AppResult<Json<PlanDetail>> {
    ops::decide(&state.db, &caller, id, org, PlanAction::Accept).await?;
    Ok(Json(
        ops::plan_visible(&state.db, &caller, id, org).await?.2,
    ))
}

/// Returns a submitted plan with a reason (required) for the unit to revise.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/plans/{org}/return", tag = "campaigns",
    params(("id" = i64, Path), ("org" = i64, Path)), request_body = ReturnInput,
    responses((status = 200, body = PlanDetail), (status = 422, description = "no reason, or not a submitted plan", body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn api_plan_return(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, org)): Path<(CampaignId, OrgId)>,
    Json(input): Json<ReturnInput>,
) -> AppResult<Json<PlanDetail>> {
    ops::decide(&state.db, &caller, id, org, ops::return_action(&input)).await?;
    Ok(Json(
        ops::plan_visible(&state.db, &caller, id, org).await?.2,
    ))
}
