//! The JSON API of the org tree and the domain's router.

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    ActiveInput, ListParams, MoveInput, Org, OrgInput, SubtreeCounts, ops, pages, store,
    store::OrgNode,
};
use crate::{
    auth::Caller,
    db::OrgId,
    error::AppResult,
    web::{AppState, Json, Path, Query, errors::ErrorBody, openapi},
};

/// Every route of the org tree, pages and API: one `routes!` per API path, then the pages.
pub fn router() -> OpenApiRouter<AppState> {
    openapi::domain("orgs", "The organisation tree")
        .routes(routes!(api_list, api_create))
        .routes(routes!(api_get, api_update))
        .routes(routes!(api_children))
        .routes(routes!(api_counts))
        .routes(routes!(api_move))
        .routes(routes!(api_active))
        .route("/orgs", get(pages::tree).post(pages::create))
        .route("/orgs/new", get(pages::new))
        .route("/orgs/{id}", get(pages::detail))
        .route("/orgs/{id}/children", get(pages::children))
        .route("/orgs/{id}/edit", get(pages::edit).post(pages::update))
        .route("/orgs/{id}/move", post(pages::move_under))
        .route("/orgs/{id}/active", post(pages::active))
}

/// Orgs in the caller's scope: the top ones, the children of `parent`, or search results.
#[utoipa::path(get, path = "/api/v1/orgs", tag = "orgs", params(ListParams),
    responses((status = 200, body = Vec<OrgNode>), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn api_list(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ListParams>,
) -> AppResult<Json<Vec<OrgNode>>> {
    Ok(Json(ops::list(&state.db, &caller, &p).await?))
}

/// One org.
#[utoipa::path(get, path = "/api/v1/orgs/{id}", tag = "orgs", params(("id" = i64, Path)),
    responses((status = 200, body = Org), (status = 404, body = ErrorBody)))]
async fn api_get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<OrgId>,
) -> AppResult<Json<Org>> {
    let org = ops::get(&state.db, &caller, id).await?;
    Ok(Json(ops::shown(&state.db, &caller, org).await?))
}

/// The children of an org.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/children", tag = "orgs", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<OrgNode>), (status = 404, body = ErrorBody)))]
async fn api_children(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<OrgId>,
) -> AppResult<Json<Vec<OrgNode>>> {
    Ok(Json(ops::children(&state.db, &caller, id).await?))
}

/// What lies under an org: orgs by kind, enterprises, users.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/counts", tag = "orgs", params(("id" = i64, Path)),
    responses((status = 200, body = SubtreeCounts), (status = 404, body = ErrorBody)))]
async fn api_counts(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<OrgId>,
) -> AppResult<Json<SubtreeCounts>> {
    ops::get(&state.db, &caller, id).await?;
    Ok(Json(store::counts(&state.db, id).await?))
}

/// Creates an org under `parent_code`.
#[utoipa::path(post, path = "/api/v1/orgs", tag = "orgs",
    request_body(content = OrgInput, example = json!({"code": "UA-07", "name": "翠湖科技园联合工会",
        "short_name": "翠湖园区", "kind": "grassroots", "parent_code": "UA", "contact_person": "李明",
        "phone": "13912345678", "display_order": 7})),
    responses((status = 201, body = Org), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn api_create(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<OrgInput>,
) -> AppResult<Response> {
    let id = ops::create(&state.db, &caller, &input).await?;
    let org = ops::get(&state.db, &caller, id).await?;
    Ok((StatusCode::CREATED, Json(org)).into_response())
}

/// Changes an org's fields: those absent keep their values.
#[utoipa::path(patch, path = "/api/v1/orgs/{id}", tag = "orgs", params(("id" = i64, Path)),
    request_body(content = OrgInput, example = json!({"contact_person": "王芳", "display_order": 3})),
    responses((status = 200, body = Org), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn api_update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<OrgId>,
    Json(patch): Json<OrgInput>,
) -> AppResult<Json<Org>> {
    Ok(Json(ops::patch(&state.db, &caller, id, patch).await?))
}

/// Moves an org (and its subtree) under a new parent.
#[utoipa::path(post, path = "/api/v1/orgs/{id}/move", tag = "orgs", params(("id" = i64, Path)),
    request_body = MoveInput,
    responses((status = 204), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn api_move(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<OrgId>,
    Json(m): Json<MoveInput>,
) -> AppResult<StatusCode> {
    ops::move_under(&state.db, &caller, id, &m.parent_code).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deactivates or reactivates an org.
#[utoipa::path(post, path = "/api/v1/orgs/{id}/active", tag = "orgs", params(("id" = i64, Path)),
    request_body = ActiveInput,
    responses((status = 204), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn api_active(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<OrgId>,
    Json(a): Json<ActiveInput>,
) -> AppResult<StatusCode> {
    ops::set_active(&state.db, &caller, id, a.active).await?;
    Ok(StatusCode::NO_CONTENT)
}
