//! The JSON API under `/api/v1/services` and the domain's router: each API
//! route is declared once, by its handler's `#[utoipa::path]`, and `routes!`
//! registers it with axum and the OpenAPI document together.

use axum::{
    Json,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
};
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    ListParams, Saved, Service, ServiceInput, ServicePage, ops, pages,
    store::{self, Figures},
};
use crate::{
    auth::{Caller, Need},
    date::Day,
    db::{CampaignId, OrgId},
    error::{AppError, AppResult},
    web::{
        AppState,
        errors::ErrorBody,
        form::{self, Errors},
        openapi,
    },
};

/// Every route of services, pages and API: one `routes!` per API path (its
/// methods together), then the pages, which stay out of the document.
pub fn router() -> OpenApiRouter<AppState> {
    openapi::domain(
        "services",
        "Services (办实事): practical things done for workers",
    )
    .routes(routes!(api_list, api_create))
    .routes(routes!(api_figures))
    .routes(routes!(api_get))
    .route("/services", get(pages::list).post(pages::create))
    .route("/services/new", get(pages::new))
    .route("/services/{id}", get(pages::detail))
}

/// Services in the caller's scope, latest first.
#[utoipa::path(get, path = "/api/v1/services", tag = "services", params(ListParams),
    responses((status = 200, body = ServicePage), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_list(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ListParams>,
) -> AppResult<Json<ServicePage>> {
    Ok(Json(ops::list(&state.db, &caller, &p).await?.0))
}

/// Record a service. Send a fresh `client_id` with each new record and the
/// same one when retrying: a retry answers 200 with the first record.
#[utoipa::path(post, path = "/api/v1/services", tag = "services", request_body = ServiceInput,
    responses((status = 201, body = Saved), (status = 200, description = "a retry", body = Saved),
        (status = 422, body = ErrorBody), (status = 403)),
    security(("bearer" = [])))]
async fn api_create(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<ServiceInput>,
) -> AppResult<Response> {
    caller.require(Need::Write)?;
    let f = input.parse(Day::today())?;
    let saved = ops::record(&state.db, &caller, &f).await?;
    let status = if saved.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(saved)).into_response())
}

/// One service.
#[utoipa::path(get, path = "/api/v1/services/{id}", tag = "services", params(("id" = i64, Path)),
    responses((status = 200, body = Service), (status = 404)), security(("bearer" = [])))]
async fn api_get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> AppResult<Json<Service>> {
    Ok(Json(
        store::get(&state.db, &caller.scope(Need::Read), id)
            .await?
            .ok_or(AppError::NotFound)?,
    ))
}

/// Query of the figures API.
#[derive(Deserialize, Default, Debug, Clone, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FigureParams {
    #[param(value_type = Option<i64>)]
    pub campaign: Option<String>,
    /// Only services of this org's subtree.
    #[param(value_type = Option<i64>)]
    pub org: Option<String>,
}

/// Service figures over the caller's scope: count, workers benefited, amount
/// (fen), by kind, and per month of the service date.
#[utoipa::path(get, path = "/api/v1/services/figures", tag = "services", params(FigureParams),
    responses((status = 200, body = Figures), (status = 404)), security(("bearer" = [])))]
async fn api_figures(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<FigureParams>,
) -> AppResult<Json<Figures>> {
    let scope = caller.require(Need::Read)?;
    let mut errs = Errors::default();
    let campaign = errs
        .take(form::optional_int("campaign", &p.campaign, 1, i64::MAX))
        .flatten()
        .map(CampaignId);
    let org = errs
        .take(form::optional_int("org", &p.org, 1, i64::MAX))
        .flatten()
        .map(OrgId);
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
