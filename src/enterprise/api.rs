//! The enterprise API under `/api/v1/enterprises` and the domain's router.

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{Enterprise, EnterpriseInput, EnterprisePage, ListParams, ops, pages, store};
use crate::{
    auth::{Caller, Need},
    db::EnterpriseId,
    error::{AppError, AppResult},
    web::{AppState, Json, Path, Query, errors::ErrorBody, openapi},
};

/// Every route of enterprises, pages and API: one `routes!` per API path, then the pages.
pub fn router() -> OpenApiRouter<AppState> {
    openapi::domain(
        "enterprises",
        "Enterprises and institutions that are visited, with their unified social credit codes",
    )
    .routes(routes!(api_list, api_create))
    .routes(routes!(api_get, api_update))
    .route("/enterprises", get(pages::list).post(pages::create))
    .route("/enterprises/new", get(pages::new))
    .route("/enterprises/{id}", get(pages::detail))
    .route(
        "/enterprises/{id}/edit",
        get(pages::edit).post(pages::update),
    )
}

/// Enterprises in the caller's scope matching the filters, by name, fifty a page; phones masked.
#[utoipa::path(get, path = "/api/v1/enterprises", tag = "enterprises", params(ListParams),
    responses((status = 200, body = EnterprisePage),
        (status = 404, description = "`org` is not in the caller's scope", body = ErrorBody),
        (status = 422, description = "a parameter is invalid", body = ErrorBody),
        (status = 401, body = ErrorBody)))]
async fn api_list(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ListParams>,
) -> AppResult<Json<EnterprisePage>> {
    Ok(Json(ops::list(&state.db, &caller, &p).await?.0))
}

/// One enterprise. The contact phone is shown in full (and the view audited)
/// to cadres and admins over the enterprise, masked to others.
#[utoipa::path(get, path = "/api/v1/enterprises/{id}", tag = "enterprises", params(("id" = i64, Path)),
    responses((status = 200, body = Enterprise), (status = 404, body = ErrorBody)))]
async fn api_get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<EnterpriseId>,
) -> AppResult<Json<Enterprise>> {
    Ok(Json(ops::shown(&state.db, &caller, id).await?.0))
}

/// Creates an enterprise in the jurisdiction `org_code` (an org in the caller's
/// write scope). A duplicate or invalid credit code is a 422 naming `credit_code`.
#[utoipa::path(post, path = "/api/v1/enterprises", tag = "enterprises",
    request_body(content = EnterpriseInput, example = json!({"name": "翠湖物流有限公司",
        "credit_code": "91110108MA01A2B3C4", "industry": "交通运输", "address": "翠湖路 8 号",
        "employee_count": 120, "new_form_groups": ["truck_driver", "courier"], "has_union": false,
        "org_code": "UA", "contact_person": "赵强", "contact_phone": "13812345678"})),
    responses((status = 201, body = Enterprise), (status = 422, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
async fn api_create(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<EnterpriseInput>,
) -> AppResult<Response> {
    let id = ops::create(&state.db, &caller, &input).await?;
    // The caller has just written the phone: it is echoed, not a new view of it.
    let e = store::get(&state.db, &caller.scope(Need::Write), id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((StatusCode::CREATED, Json(e)).into_response())
}

/// Changes the given fields of an enterprise; absent or null fields keep their
/// values, an empty string clears an optional one.
#[utoipa::path(patch, path = "/api/v1/enterprises/{id}", tag = "enterprises", params(("id" = i64, Path)),
    request_body(content = EnterpriseInput, example = json!({"employee_count": 150, "has_union": true,
        "union_org_code": "UA-07"})),
    responses((status = 200, body = Enterprise), (status = 422, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn api_update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<EnterpriseId>,
    Json(patch): Json<EnterpriseInput>,
) -> AppResult<Json<Enterprise>> {
    ops::patch(&state.db, &caller, id, patch).await?;
    Ok(Json(ops::shown(&state.db, &caller, id).await?.0))
}
