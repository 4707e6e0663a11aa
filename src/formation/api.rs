//! The JSON API under `/api/v1/formation` (pipelines, steps, members,
//! applications, join links, figures) and `/api/v1/join/{code}`, and the
//! domain's router: each API route is declared once, by its handler's
//! `#[utoipa::path]`, and `routes!` registers it with axum and the OpenAPI
//! document together.

use std::net::SocketAddr;

use axum::{
    extract::{ConnectInfo, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    AppParams, Application, ApplyInput, DecisionInput, FigureParams, FlagInput, JoinInput,
    JoinReceipt, LinkInput, ListParams, MemberParams, MembersPage, PipelineDetail, PipelinePage,
    Recorded, StepInput, id_param, ops, pages, public,
    store::{self, Figures, Link},
};
use crate::{
    auth::{Caller, Need},
    db::{CampaignId, OrgId},
    error::{AppError, AppResult},
    web::{
        AppState, Json, Path, Query, client::client_ip, errors::ErrorBody, form::Errors, openapi,
    },
};

/// Every route of union formation, pages and API: one `routes!` per API path
/// (its methods together), then the pages, which stay out of the document.
pub fn router() -> OpenApiRouter<AppState> {
    openapi::domain(
        "formation",
        "Union formation (建会) pipelines, members joined (入会), join pages and applications",
    )
    .routes(routes!(api_list, api_flag))
    .routes(routes!(api_get))
    .routes(routes!(api_step))
    .routes(routes!(api_members, api_record_members))
    .routes(routes!(api_applications))
    .routes(routes!(api_decision))
    .routes(routes!(api_links, api_create_link))
    .routes(routes!(api_figures))
    .merge(
        openapi::domain("public", "What anyone may see without logging in")
            .routes(routes!(api_apply)),
    )
    .route("/formation", get(pages::board_page))
    .route(
        "/formation/members",
        get(pages::members_page).post(pages::members_create_page),
    )
    .route("/formation/applications", get(pages::applications_page))
    .route(
        "/formation/applications/{id}/decision",
        post(pages::decision_page),
    )
    .route(
        "/formation/links",
        get(pages::links_page).post(pages::links_create_page),
    )
    .route("/formation/{id}", get(pages::detail_page))
    .route("/formation/{id}/step", post(pages::step_page))
    .route(
        "/formation/{id}/found",
        get(pages::found_form_page).post(pages::found_page),
    )
    .route("/enterprises/{id}/formation", post(pages::flag_page))
    .route(
        "/j/{code}",
        get(public::form_page).post(public::submit_page),
    )
    .route("/j/{code}/qr.svg", get(public::qr_svg))
    .route("/j/{code}/qr.png", get(public::qr_png))
    .route("/j/{code}/poster", get(public::poster_page))
    .route("/j/{code}/receipt/{receipt}", get(public::receipt_page))
}

/// Union-formation pipelines in the caller's scope, latest change first.
#[utoipa::path(get, path = "/api/v1/formation/pipelines", tag = "formation", params(ListParams),
    responses((status = 200, body = PipelinePage), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_list(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ListParams>,
) -> AppResult<Json<PipelinePage>> {
    Ok(Json(ops::list(&state.db, &caller, &p).await?))
}

/// One pipeline with its timeline.
#[utoipa::path(get, path = "/api/v1/formation/pipelines/{id}", tag = "formation",
    params(("id" = i64, Path)), responses((status = 200, body = PipelineDetail), (status = 404)),
    security(("bearer" = [])))]
async fn api_get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> AppResult<Json<PipelineDetail>> {
    Ok(Json(ops::detail(&state.db, &caller, id).await?))
}

/// Flag an enterprise without a union ("no union" or "wants a union"): opens its
/// pipeline, or answers 200 with the open one (a retry, or a second flag).
#[utoipa::path(post, path = "/api/v1/formation/pipelines", tag = "formation", request_body = FlagInput,
    responses((status = 201, body = PipelineDetail), (status = 200, description = "already open", body = PipelineDetail),
        (status = 422, body = ErrorBody), (status = 403)),
    security(("bearer" = [])))]
async fn api_flag(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<FlagInput>,
) -> AppResult<Response> {
    let (id, created) = ops::flag(&state.db, &caller, &input).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(ops::detail(&state.db, &caller, id).await?)).into_response())
}

/// Take a step: `prepare` (or `resume` a stalled one), `stall` or `drop` with a
/// `reason`, `flag` with a new `wish`, or `found` with `founded_on` (and
/// optionally `parent_code`, `union_name`, `union_code`): founding creates the
/// grassroots union in the org tree and marks the enterprise as having it.
#[utoipa::path(post, path = "/api/v1/formation/pipelines/{id}/steps", tag = "formation",
    params(("id" = i64, Path)), request_body = StepInput,
    responses((status = 200, body = PipelineDetail), (status = 422, body = ErrorBody),
        (status = 403), (status = 404)),
    security(("bearer" = [])))]
async fn api_step(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(input): Json<StepInput>,
) -> AppResult<Json<PipelineDetail>> {
    ops::take_step(&state.db, &caller, id, &input).await?;
    Ok(Json(ops::detail(&state.db, &caller, id).await?))
}

/// Members joined under an org, by worker group × its child orgs, with the latest records.
#[utoipa::path(get, path = "/api/v1/formation/members", tag = "formation", params(MemberParams),
    responses((status = 200, body = MembersPage), (status = 404)), security(("bearer" = [])))]
async fn api_members(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<MemberParams>,
) -> AppResult<Json<MembersPage>> {
    Ok(Json(ops::members(&state.db, &caller, &p).await?))
}

/// Record members joined (a count of one worker group on a date). Send a fresh
/// `client_id`; a retry with the same one answers 200 with the first record.
#[utoipa::path(post, path = "/api/v1/formation/members", tag = "formation", request_body = JoinInput,
    responses((status = 201, body = Recorded), (status = 200, description = "a retry", body = Recorded),
        (status = 422, body = ErrorBody), (status = 403)),
    security(("bearer" = [])))]
async fn api_record_members(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<JoinInput>,
) -> AppResult<Response> {
    let r = ops::record_members(&state.db, &caller, &input).await?;
    let status = if r.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(r)).into_response())
}

/// Applications from the join pages of unions in the caller's scope, pending
/// first. Names and phones are masked unless the caller may decide them (each
/// unmasked view is audited).
#[utoipa::path(get, path = "/api/v1/formation/applications", tag = "formation", params(AppParams),
    responses((status = 200, body = [Application])), security(("bearer" = [])))]
async fn api_applications(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<AppParams>,
) -> AppResult<Json<Vec<Application>>> {
    let status = p.parse()?;
    Ok(Json(
        ops::visible_applications(&state.db, &caller, status)
            .await?
            .into_iter()
            .map(|(a, _)| a)
            .collect(),
    ))
}

/// Confirm (it counts as one member joined today) or decline an application.
#[utoipa::path(post, path = "/api/v1/formation/applications/{id}/decision", tag = "formation",
    params(("id" = i64, Path)), request_body = DecisionInput,
    responses((status = 204), (status = 422, body = ErrorBody), (status = 403), (status = 404)),
    security(("bearer" = [])))]
async fn api_decision(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(input): Json<DecisionInput>,
) -> AppResult<StatusCode> {
    ops::decide(&state.db, &caller, id, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The join pages of unions in the caller's scope.
#[utoipa::path(get, path = "/api/v1/formation/links", tag = "formation",
    responses((status = 200, body = [Link])), security(("bearer" = [])))]
async fn api_links(State(state): State<AppState>, caller: Caller) -> AppResult<Json<Vec<Link>>> {
    let scope = caller.require(Need::Read)?;
    Ok(Json(store::links(&state.db, &scope).await?))
}

/// Give a union a public join page `/j/{code}` (a second call returns the same page).
#[utoipa::path(post, path = "/api/v1/formation/links", tag = "formation", request_body = LinkInput,
    responses((status = 200, body = Link), (status = 422, body = ErrorBody), (status = 403)),
    security(("bearer" = [])))]
async fn api_create_link(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<LinkInput>,
) -> AppResult<Json<Link>> {
    Ok(Json(ops::create_link(&state.db, &caller, &input).await?))
}

/// Formation figures over the caller's scope: enterprises flagged, pipelines by
/// stage, members joined (total and by group), and per-month series (unions by
/// founding date, members by join date).
#[utoipa::path(get, path = "/api/v1/formation/figures", tag = "formation", params(FigureParams),
    responses((status = 200, body = Figures), (status = 404)), security(("bearer" = [])))]
async fn api_figures(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<FigureParams>,
) -> AppResult<Json<Figures>> {
    let scope = caller.require(Need::Read)?;
    let mut errs = Errors::default();
    let campaign = id_param(&mut errs, "campaign", &p.campaign).map(CampaignId);
    let org = id_param(&mut errs, "org", &p.org).map(OrgId);
    errs.finish()?;
    if let Some(o) = org {
        crate::org::store::get(&state.db, &scope, o)
            .await?
            .ok_or(AppError::NotFound)?;
    }
    Ok(Json(
        store::figures(&state.db, &scope, campaign, org).await?,
    ))
}

/// Apply to join a union through its join page (no login). Send a fresh
/// `client_id` with each new application and the same one when retrying: a
/// retry answers 200 with the first receipt. Limited per client address.
#[utoipa::path(post, path = "/api/v1/join/{code}", tag = "public", params(("code" = String, Path)),
    request_body = ApplyInput,
    responses((status = 201, body = JoinReceipt), (status = 200, description = "a retry", body = JoinReceipt),
        (status = 422, body = crate::web::errors::ErrorBody), (status = 404), (status = 429)),
    security(()))]
async fn api_apply(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(code): Path<String>,
    Json(input): Json<ApplyInput>,
) -> AppResult<Response> {
    let link = public::link(&state, &code).await?;
    let client = client_ip(addr.ip(), &headers, &state.settings.server.trusted_proxies).to_string();
    let limit = (&*state.limiter, client.as_str());
    let (receipt, created) = ops::apply(&state.db, &link, &input, limit).await?;
    let a = store::application_by_receipt(&state.db, &receipt)
        .await?
        .ok_or(AppError::NotFound)?;
    let body = JoinReceipt {
        receipt_code: receipt,
        org_name: link.org_name,
        status: a.status,
        created,
    };
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(body)).into_response())
}
