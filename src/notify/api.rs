//! The notification API (the caller's own notices, grouped per kind and day;
//! another user's id answers 404) and an org's robots, and the domain's router.

use axum::{
    extract::State,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    GroupParams, GroupRef, LIMIT, ListParams, ReadResult, Unread, ops, pages,
    robot::{Robots, RobotsInput, TestInput, store::DeliveryView},
    store::{self, NoticeGroup, Notification},
};
use crate::{
    auth::Caller,
    date::Day,
    db::OrgId,
    error::{AppError, AppResult},
    web::{AppState, Json, Path, Query, errors::ErrorBody, openapi},
};

/// Every route of notifications and robots: one `routes!` per API path, then the pages.
pub fn router() -> OpenApiRouter<AppState> {
    openapi::domain(
        "notifications",
        "The caller's reminders (deadlines, overdue problems, escalations, returned plans, chases), grouped per kind and day, and the group robots (WeCom, DingTalk) each org's notifications are posted to",
    )
    .routes(routes!(api_list))
    .routes(routes!(api_unread))
    .routes(routes!(api_read_all))
    .routes(routes!(api_read))
    .routes(routes!(api_groups))
    .routes(routes!(api_read_group))
    .routes(routes!(api_robots, api_put_robots))
    .routes(routes!(api_test_robot))
    .route("/notifications", get(pages::list))
    .route("/notifications/read-all", post(pages::read_all))
    .route("/notifications/{id}/open", post(pages::open))
    .route("/notifications/{id}/read", post(pages::read))
    .route("/notifications/groups/read", post(pages::read_group))
    .route("/orgs/{id}/robots", get(pages::robots).post(pages::save_robots))
    .route("/orgs/{id}/robots/test", post(pages::test_robot))
}

/// The caller's notifications, newest first (at most 200); `kind` and `day` together: one
/// group's notices. With `group=day` the answer is the groups instead (see
/// `/api/v1/notifications/groups`).
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications", params(ListParams),
    responses((status = 200, body = Vec<Notification>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
async fn api_list(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ListParams>,
) -> AppResult<Response> {
    if p.group.as_deref() == Some("day") {
        let groups = store::groups(
            &state.db,
            caller.user_id,
            p.unread_only(),
            LIMIT,
            caller.lang,
            Day::today(),
        )
        .await?;
        return Ok(Json(groups).into_response());
    }
    let list = match p.group()? {
        Some((kind, day)) => {
            store::list_group(&state.db, caller.user_id, kind, day, LIMIT, caller.lang).await?
        }
        None => {
            store::list(
                &state.db,
                caller.user_id,
                p.unread_only(),
                LIMIT,
                caller.lang,
            )
            .await?
        }
    };
    Ok(Json(list).into_response())
}

/// The caller's notifications grouped: one entry per kind per day (in Beijing), newest first,
/// with the count and a link to the group's list (a group of one links to its record).
#[utoipa::path(get, path = "/api/v1/notifications/groups", tag = "notifications", params(GroupParams),
    responses((status = 200, body = Vec<NoticeGroup>), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
async fn api_groups(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<GroupParams>,
) -> AppResult<Json<Vec<NoticeGroup>>> {
    let unread_only = matches!(p.unread.as_deref(), Some("yes" | "true" | "1"));
    Ok(Json(
        store::groups(
            &state.db,
            caller.user_id,
            unread_only,
            LIMIT,
            caller.lang,
            Day::today(),
        )
        .await?,
    ))
}

/// Marks every notification of one group (kind and day) read.
#[utoipa::path(post, path = "/api/v1/notifications/groups/read", tag = "notifications",
    request_body = GroupRef, responses((status = 200, body = ReadResult), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_read_group(
    State(state): State<AppState>,
    caller: Caller,
    Json(g): Json<GroupRef>,
) -> AppResult<Json<ReadResult>> {
    let marked = store::mark_group_read(&state.db, caller.user_id, g.kind, g.day()?).await?;
    Ok(Json(ReadResult {
        marked,
        unread: store::unread(&state.db, caller.user_id).await?,
    }))
}

/// How many of the caller's notifications are unread.
#[utoipa::path(get, path = "/api/v1/notifications/unread", tag = "notifications",
    responses((status = 200, body = Unread), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
async fn api_unread(State(state): State<AppState>, caller: Caller) -> AppResult<Json<Unread>> {
    Ok(Json(Unread {
        unread: store::unread(&state.db, caller.user_id).await?,
        groups: store::unread_groups(&state.db, caller.user_id).await?,
    }))
}

/// Marks one notification read.
#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "notifications",
    params(("id" = i64, Path)), responses((status = 200, body = ReadResult), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_read(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> AppResult<Json<ReadResult>> {
    store::mark_read(&state.db, caller.user_id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(ReadResult {
        marked: 1,
        unread: store::unread(&state.db, caller.user_id).await?,
    }))
}

/// Marks all of the caller's notifications read.
#[utoipa::path(post, path = "/api/v1/notifications/read-all", tag = "notifications",
    responses((status = 200, body = ReadResult)), security(("bearer" = [])))]
async fn api_read_all(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Json<ReadResult>> {
    let marked = store::mark_all_read(&state.db, caller.user_id).await?;
    Ok(Json(ReadResult { marked, unread: 0 }))
}
/// An org's group robots (addresses and secrets masked) and their recent deliveries with every attempt.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/robots", tag = "notifications", params(("id" = i64, Path)),
    responses((status = 200, body = Robots), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_robots(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<OrgId>,
) -> AppResult<Json<Robots>> {
    Ok(Json(ops::robots(&state.db, &caller, id).await?))
}

/// Changes an org's group robots (admins over the org). Absent fields stay as they are; an empty
/// webhook removes that robot; an empty `dingtalk_secret` clears it; masked values sent back change nothing.
#[utoipa::path(put, path = "/api/v1/orgs/{id}/robots", tag = "notifications", params(("id" = i64, Path)),
    request_body = RobotsInput,
    responses((status = 200, body = Robots), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_put_robots(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<OrgId>,
    Json(input): Json<RobotsInput>,
) -> AppResult<Json<Robots>> {
    ops::save_robots(&state.db, &caller, id, &input).await?;
    Ok(Json(ops::robots(&state.db, &caller, id).await?))
}

/// Posts a test message to one of the org's robots now (admins over the org) and answers the
/// delivery with its attempt. A failed test is not retried.
#[utoipa::path(post, path = "/api/v1/orgs/{id}/robots/test", tag = "notifications", params(("id" = i64, Path)),
    request_body = TestInput,
    responses((status = 200, body = DeliveryView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_test_robot(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<OrgId>,
    Json(input): Json<TestInput>,
) -> AppResult<Json<DeliveryView>> {
    Ok(Json(
        ops::test_robot(&state.db, &state.settings, &caller, id, input.platform).await?,
    ))
}
