//! The JSON API of users, roles and sessions, and the domain's router (with
//! the login flow's pages).

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    Grant, GrantInput, ListQuery, Me, MeRole, User, UserInput, UserPage, login, ops, ops::Target,
    pages, store,
};
use crate::{
    auth::{
        Caller,
        password::Policy,
        session::{End, Session},
    },
    db::{GrantId, SessionId, UserId},
    error::{AppError, AppResult},
    web::{AppState, Json, Path, Query, errors::ErrorBody, openapi},
};

/// Every route of users, pages and API: one `routes!` per API path, then the pages.
pub fn router() -> OpenApiRouter<AppState> {
    openapi::domain("users", "People, their roles and their sessions")
        .routes(routes!(api_me))
        .routes(routes!(api_list, api_create))
        .routes(routes!(api_get))
        .routes(routes!(api_roles, api_grant))
        .routes(routes!(api_revoke))
        .routes(routes!(api_own_sessions, api_own_end_others))
        .routes(routes!(api_own_end))
        .routes(routes!(api_user_sessions, api_user_end_all))
        .routes(routes!(api_user_end))
        .route("/login", get(login::page).post(login::submit))
        .route("/login/code", post(login::code))
        .route("/logout", post(pages::logout))
        .route("/users", get(pages::list).post(pages::create))
        .route("/users/new", get(pages::new))
        .route("/users/{id}", get(pages::detail))
        .route("/users/{id}/grants", post(pages::grant))
        .route("/users/{id}/grants/{grant}/revoke", post(pages::revoke))
        .route("/users/{id}/password", post(pages::password))
        .route("/users/{id}/active", post(pages::active))
        .route("/account/sessions", get(pages::own_sessions))
        .route("/account/sessions/end-others", post(pages::own_end_others))
        .route("/account/sessions/{sid}/end", post(pages::own_end))
        .route("/users/{id}/sessions/end-all", post(pages::user_end_all))
        .route("/users/{id}/sessions/{sid}/end", post(pages::user_end))
}

/// The logged-in user and their roles.
#[utoipa::path(get, path = "/api/v1/me", tag = "users",
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
async fn api_me(State(state): State<AppState>, caller: Caller) -> AppResult<Json<Me>> {
    let security = store::security(&state.db, caller.user_id)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    Ok(Json(Me {
        totp_enabled: security.totp_enabled_at.is_some(),
        last_login: security.last_login,
        id: caller.user_id,
        username: caller.username.clone(),
        display_name: caller.display_name.clone(),
        org_id: caller.home_org,
        roles: caller
            .grants
            .iter()
            .map(|(o, r)| MeRole {
                org_id: *o,
                role: *r,
            })
            .collect(),
    }))
}

/// Users whose org lies in the caller's admin scope (phones masked), fifty a page.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(ListQuery),
    responses((status = 200, body = UserPage), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn api_list(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<UserPage>> {
    Ok(Json(
        ops::list(&state.db, &state.settings.security, &caller, &q).await?,
    ))
}

/// Creates a user at an org in the caller's admin scope.
#[utoipa::path(post, path = "/api/v1/users", tag = "users",
    request_body(content = UserInput, example = json!({"username": "zhang.san", "display_name": "张三",
        "org_code": "UA", "phone": "13912345678", "password": "long-enough-1", "role": "cadre"})),
    responses((status = 201, body = User), (status = 422, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
async fn api_create(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<UserInput>,
) -> AppResult<Response> {
    caller.require(crate::auth::Need::Admin)?;
    let new = input.parse(&Policy::from_settings(&state.settings.security))?;
    let id = ops::create(&state.db, &caller, &new).await?;
    let user = ops::load(&state.db, &state.settings.security, &caller, id).await?;
    Ok((StatusCode::CREATED, Json(user)).into_response())
}

/// One user in the caller's admin scope.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = i64, Path)),
    responses((status = 200, body = User), (status = 404, body = ErrorBody)))]
async fn api_get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<UserId>,
) -> AppResult<Json<User>> {
    Ok(Json(
        ops::view(&state.db, &state.settings.security, &caller, id).await?,
    ))
}

/// The roles a user holds.
#[utoipa::path(get, path = "/api/v1/users/{id}/roles", tag = "users", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<Grant>), (status = 404, body = ErrorBody)))]
async fn api_roles(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<UserId>,
) -> AppResult<Json<Vec<Grant>>> {
    Ok(Json(
        ops::load(&state.db, &state.settings.security, &caller, id)
            .await?
            .grants,
    ))
}

/// Grants a role at an org in the caller's admin scope.
#[utoipa::path(post, path = "/api/v1/users/{id}/roles", tag = "users", params(("id" = i64, Path)),
    request_body(content = GrantInput, example = json!({"org_code": "UA", "role": "viewer"})),
    responses((status = 201, body = Vec<Grant>), (status = 422, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn api_grant(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<UserId>,
    Json(input): Json<GrantInput>,
) -> AppResult<Response> {
    ops::grant(&state.db, &caller, id, &input).await?;
    let grants = ops::load(&state.db, &state.settings.security, &caller, id)
        .await?
        .grants;
    Ok((StatusCode::CREATED, Json(grants)).into_response())
}

/// Revokes one role.
#[utoipa::path(delete, path = "/api/v1/users/{id}/roles/{grant}", tag = "users",
    params(("id" = i64, Path), ("grant" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn api_revoke(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, grant)): Path<(UserId, GrantId)>,
) -> AppResult<StatusCode> {
    ops::revoke(&state.db, &caller, id, grant).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's live sessions, most recently active first (`current` marks this one).
#[utoipa::path(get, path = "/api/v1/me/sessions", tag = "users",
    responses((status = 200, body = Vec<Session>), (status = 401, body = ErrorBody)))]
async fn api_own_sessions(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Json<Vec<Session>>> {
    let t = Target::own(&caller);
    Ok(Json(
        ops::sessions(&state.db, &state.settings.security, &caller, &t).await?,
    ))
}

/// Ends every session of the caller but the one asking (with a bearer token: every session).
#[utoipa::path(delete, path = "/api/v1/me/sessions", tag = "users",
    responses((status = 204), (status = 401, body = ErrorBody)))]
async fn api_own_end_others(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<StatusCode> {
    let which = ops::all_but_current(&caller);
    ops::end_sessions(&state.db, &caller, &Target::own(&caller), which).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ends one of the caller's sessions; at once, its next request is not logged in.
#[utoipa::path(delete, path = "/api/v1/me/sessions/{sid}", tag = "users", params(("sid" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn api_own_end(
    State(state): State<AppState>,
    caller: Caller,
    Path(sid): Path<SessionId>,
) -> AppResult<StatusCode> {
    ops::end_sessions(&state.db, &caller, &Target::own(&caller), End::One(sid)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The live sessions of a user whose home org lies in the caller's admin scope.
#[utoipa::path(get, path = "/api/v1/users/{id}/sessions", tag = "users", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<Session>), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn api_user_sessions(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<UserId>,
) -> AppResult<Json<Vec<Session>>> {
    let t = Target::managed(&state.db, &caller, id).await?;
    Ok(Json(
        ops::sessions(&state.db, &state.settings.security, &caller, &t).await?,
    ))
}

/// Ends every session of a user in the caller's admin scope.
#[utoipa::path(delete, path = "/api/v1/users/{id}/sessions", tag = "users", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn api_user_end_all(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<UserId>,
) -> AppResult<StatusCode> {
    let t = Target::managed(&state.db, &caller, id).await?;
    ops::end_sessions(&state.db, &caller, &t, End::All).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ends one session of a user in the caller's admin scope.
#[utoipa::path(delete, path = "/api/v1/users/{id}/sessions/{sid}", tag = "users",
    params(("id" = i64, Path), ("sid" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn api_user_end(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, sid)): Path<(UserId, SessionId)>,
) -> AppResult<StatusCode> {
    let t = Target::managed(&state.db, &caller, id).await?;
    ops::end_sessions(&state.db, &caller, &t, End::One(sid)).await?;
    Ok(StatusCode::NO_CONTENT)
}
