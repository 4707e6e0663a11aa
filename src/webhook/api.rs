//! The webhook API under `/api/v1/webhooks`, this module's part of the
//! OpenAPI document, and the one list of the module's routes (pages and API).
//! Admins only: 403 for a caller who is an admin nowhere, 404 for a
//! subscription outside the caller's admin subtrees.

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::Serialize;
use utoipa::OpenApi;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::web::{Json, Path, Query};

use super::{
    Attempt, Delivery, DeliveryBrief, DeliveryStatus, Disabled, Event, OrgRef, Payload,
    ResponseRecord, Subscription, SummaryRecord, WebhookInput, WebhookUpdate,
    ops::{self, Created, DeliveryPage, PageQuery},
    pages, store,
};
use crate::{
    auth::Caller,
    db::{WebhookDeliveryId, WebhookId},
    error::AppResult,
    web::{AppState, errors::ErrorBody, openapi},
};

/// The schemas integrators need that no route names: the body each event is
/// POSTed with, and its parts.
#[derive(OpenApi)]
#[openapi(components(schemas(
    Payload,
    Event,
    OrgRef,
    SummaryRecord,
    ResponseRecord,
    Attempt,
    DeliveryBrief,
    DeliveryStatus,
    Disabled
)))]
struct EventSchemas;

/// Every route of the module: one `routes!` per API path, then the pages.
pub fn router() -> OpenApiRouter<AppState> {
    let mut router = openapi::domain(
        "webhooks",
        "Events out to integrators: admins subscribe a URL to events of their org's subtree; each event is POSTed as JSON (`WebhookPayload`) signed with HMAC-SHA256 (`X-Qingting-Signature: sha256=<hex>`), retried with backoff, every attempt logged",
    )
    .routes(routes!(api_list, api_create))
    .routes(routes!(api_get, api_update, api_delete))
    .routes(routes!(api_rotate))
    .routes(routes!(api_ping))
    .routes(routes!(api_deliveries))
    .routes(routes!(api_redeliver))
    .route("/webhooks", get(pages::list_page).post(pages::create_page))
    .route("/webhooks/new", get(pages::new_page))
    .route(
        "/webhooks/{id}",
        get(pages::detail_page).post(pages::update_page),
    )
    .route("/webhooks/{id}/edit", get(pages::edit_page))
    .route("/webhooks/{id}/delete", post(pages::delete_page))
    .route("/webhooks/{id}/secret", post(pages::rotate_page))
    .route("/webhooks/{id}/ping", post(pages::ping_page))
    .route(
        "/webhooks/{id}/deliveries/{delivery}/redeliver",
        post(pages::redeliver_page),
    );
    router.get_openapi_mut().merge(EventSchemas::openapi());
    router
}

/// A new secret, shown this once.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookSecret {
    /// Signs every body from now on.
    pub secret: String,
}

/// The subscriptions of orgs in the caller's admin subtrees.
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks",
    responses((status = 200, body = Vec<Subscription>), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_list(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Json<Vec<Subscription>>> {
    let scope = ops::admin_scope(&caller)?;
    Ok(Json(store::list(&state.db, &scope).await?))
}

/// Subscribe a URL to events of an org's subtree. The answer carries the secret, this once.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = WebhookInput,
    responses((status = 201, body = Created), (status = 403, body = ErrorBody),
        (status = 422, description = "a field is wrong: `url` not an http(s) address, `events[i]` not a known code (the message lists them), `org_id` outside the caller's admin subtrees", body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_create(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<WebhookInput>,
) -> AppResult<Response> {
    let created = ops::subscribe(&state.db, &state.webhooks, &caller, &input).await?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// One subscription (never its secret).
#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = i64, Path)),
    responses((status = 200, body = Subscription), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<WebhookId>,
) -> AppResult<Json<Subscription>> {
    Ok(Json(ops::find(&state.db, &caller, id).await?.0))
}

/// Change a subscription's URL, events or active flag; absent fields stay. Turning it on again clears its failures.
#[utoipa::path(patch, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = i64, Path)),
    request_body = WebhookUpdate,
    responses((status = 200, body = Subscription), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<WebhookId>,
    Json(input): Json<WebhookUpdate>,
) -> AppResult<Json<Subscription>> {
    Ok(Json(
        ops::change(&state.db, &state.webhooks, &caller, id, &input).await?,
    ))
}

/// Delete a subscription and its delivery log.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<WebhookId>,
) -> AppResult<StatusCode> {
    ops::delete(&state.db, &state.webhooks, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replace the secret; the answer carries the new one, this once.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/secret", tag = "webhooks", params(("id" = i64, Path)),
    responses((status = 200, body = WebhookSecret), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_rotate(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<WebhookId>,
) -> AppResult<Json<WebhookSecret>> {
    Ok(Json(WebhookSecret {
        secret: ops::rotate(&state.db, &caller, id).await?,
    }))
}

/// Send a test event (`ping`) now and answer its delivery with the attempt. Not retried.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/ping", tag = "webhooks", params(("id" = i64, Path)),
    responses((status = 200, body = Delivery), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_ping(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<WebhookId>,
) -> AppResult<Json<Delivery>> {
    Ok(Json(
        ops::ping(&state.db, &state.settings, &caller, id).await?,
    ))
}

/// A subscription's deliveries, newest first, each with every attempt (status, first 2 KB of the answer or the error, duration).
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks",
    params(("id" = i64, Path), PageQuery),
    responses((status = 200, body = DeliveryPage), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_deliveries(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<WebhookId>,
    Query(q): Query<PageQuery>,
) -> AppResult<Json<DeliveryPage>> {
    Ok(Json(ops::deliveries(&state.db, &caller, id, &q).await?.1))
}

/// Post a delivery's event again, as a new delivery (retried like any other); answers it after its first attempt.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/deliveries/{delivery}/redeliver", tag = "webhooks",
    params(("id" = i64, Path), ("delivery" = i64, Path)),
    responses((status = 200, body = Delivery), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_redeliver(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, delivery)): Path<(WebhookId, WebhookDeliveryId)>,
) -> AppResult<Json<Delivery>> {
    Ok(Json(
        ops::redeliver(&state.db, &state.settings, &caller, id, delivery).await?,
    ))
}
