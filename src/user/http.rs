//! Login and logout, the users-and-roles pages and their JSON API.

use crate::web::{Form, Json, Path, Query};
use askama::Template;
use axum::{
    Router,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::{delete, get, post},
};
use axum_extra::extract::{CookieJar, cookie::Cookie};
use serde::Deserialize;

use super::{GrantInput, User, UserInput, store};
use crate::{
    audit::{self, Action, Entry},
    auth::{
        Caller, Need, Role, SESSION_COOKIE, password, session,
        throttle::{self, Policies},
    },
    db::{GrantId, OrgId, UserId},
    error::{AppError, AppResult},
    i18n::Lang,
    org,
    web::{
        AppState,
        page::{Chrome, render},
    },
};

/// The routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(super::login::page).post(super::login::submit))
        .route("/login/code", post(super::login::code))
        .route("/logout", post(logout))
        .route("/users", get(list_page).post(create_page))
        .route("/users/new", get(new_page))
        .route("/users/{id}", get(detail_page))
        .route("/users/{id}/grants", post(grant_page))
        .route("/users/{id}/grants/{grant}/revoke", post(revoke_page))
        .route("/users/{id}/password", post(password_page))
        .route("/users/{id}/active", post(active_page))
        .route("/api/v1/me", get(api_me))
        .route("/api/v1/users", get(api_list).post(api_create))
        .route("/api/v1/users/{id}", get(api_get))
        .route("/api/v1/users/{id}/roles", get(api_roles).post(api_grant))
        .route("/api/v1/users/{id}/roles/{grant}", delete(api_revoke))
        .merge(super::sessions::routes())
}

async fn logout(
    State(state): State<AppState>,
    jar: CookieJar,
    caller: Option<Caller>,
) -> AppResult<Response> {
    if let Some(c) = jar.get(SESSION_COOKIE) {
        session::destroy(&state.db, c.value()).await?;
    }
    if let Some(caller) = caller {
        audit::store::record(
            state.db.pool(),
            &Entry::by(&caller, caller.home_org, Action::Logout),
        )
        .await?;
    }
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/"));
    Ok((jar, Redirect::to("/login")).into_response())
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    pub q: Option<String>,
    pub page: Option<i64>,
}

const PAGE_SIZE: i64 = 50;

#[derive(Template)]
#[template(path = "user/list.html")]
struct ListPage {
    c: Chrome,
    users: Vec<User>,
    q: String,
    page: i64,
    pages: i64,
    total: i64,
}

async fn list_page(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let scope = caller.require(Need::Admin)?;
    let page = q.page.unwrap_or(1).max(1);
    let (mut users, total) = store::list(
        &state.db,
        &scope,
        q.q.as_deref(),
        PAGE_SIZE,
        (page - 1) * PAGE_SIZE,
    )
    .await?;
    for u in &mut users {
        u.phone = u.phone.as_deref().map(org::mask_phone);
    }
    with_throttle(&state, &mut users).await?;
    render(ListPage {
        c: Chrome::for_caller(&caller, "/users"),
        users,
        q: q.q.unwrap_or_default(),
        page,
        pages: (total + PAGE_SIZE - 1) / PAGE_SIZE,
        total,
    })
}

#[derive(Template)]
#[template(path = "user/new.html")]
struct NewPage {
    c: Chrome,
    input: UserInput,
    errors: Vec<(String, String)>,
    roles: Vec<Role>,
    /// Fewest characters of a new password, for the hint.
    password_min: usize,
}

async fn new_page(State(state): State<AppState>, caller: Caller) -> AppResult<Response> {
    caller.require(Need::Admin)?;
    render(NewPage {
        password_min: policy(&state).min_length,
        c: Chrome::for_caller(&caller, "/users/new"),
        input: UserInput::default(),
        errors: Vec::new(),
        roles: Role::ALL.to_vec(),
    })
}

/// Creates a user; shared by the page and the API.
async fn create_user(state: &AppState, caller: &Caller, input: &UserInput) -> AppResult<UserId> {
    let scope = caller.require(Need::Admin)?;
    let new = input.parse(&policy(state))?;
    let org = org::store::get_by_code(&state.db, &scope, new.org_code.as_str())
        .await?
        .ok_or_else(|| AppError::field("org_code", "err-org-out-of-scope"))?;
    let hash = password::hash(new.password.clone()).await?;
    let mut tx = state.db.begin().await?;
    let id = store::insert(&mut tx, &new, org.id, &hash).await?;
    let mut e = Entry::by(caller, org.id, Action::UserCreated)
        .target(format!("user:{id}"))
        .detail(new.username.as_str());
    audit::store::record(&mut *tx, &e).await?;
    if let Some(role) = new.role {
        e.action = Action::RoleGranted;
        e.detail = Some(format!("{} {} @ {}", new.username.as_str(), role, org.code));
        audit::store::record(&mut *tx, &e).await?;
    }
    tx.commit().await?;
    Ok(id)
}

fn field_messages(err: &AppError, lang: Lang) -> Option<Vec<(String, String)>> {
    match err {
        AppError::Validation(fs) => Some(
            fs.iter()
                .map(|f| (f.field.clone(), f.message(lang)))
                .collect(),
        ),
        _ => None,
    }
}

async fn create_page(
    State(state): State<AppState>,
    caller: Caller,
    Form(input): Form<UserInput>,
) -> AppResult<Response> {
    match create_user(&state, &caller, &input).await {
        Ok(id) => Ok(Redirect::to(&format!("/users/{id}")).into_response()),
        Err(e) => match field_messages(&e, caller.lang) {
            Some(errors) => {
                let page = NewPage {
                    password_min: policy(&state).min_length,
                    c: Chrome::for_caller(&caller, "/users/new"),
                    input: UserInput {
                        password: None,
                        ..input
                    },
                    errors,
                    roles: Role::ALL.to_vec(),
                };
                Ok((
                    StatusCode::UNPROCESSABLE_ENTITY,
                    axum::response::Html(page.render()?),
                )
                    .into_response())
            }
            None => Err(e),
        },
    }
}

#[derive(Template)]
#[template(path = "user/detail.html")]
struct DetailPage {
    c: Chrome,
    user: User,
    roles: Vec<Role>,
    error: Option<String>,
    is_self: bool,
    /// Fewest characters of a new password, for the hint.
    password_min: usize,
    /// The user's live sessions, which the admin may end.
    sessions: Vec<session::Session>,
}

async fn load_user(state: &AppState, caller: &Caller, id: UserId) -> AppResult<User> {
    let scope = caller.require(Need::Admin)?;
    let mut user = store::get(&state.db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    with_throttle(state, std::slice::from_mut(&mut user)).await?;
    Ok(user)
}

/// Fills in which accounts' login throttles hold failed addresses back now.
async fn with_throttle(state: &AppState, users: &mut [User]) -> AppResult<()> {
    let names: Vec<&str> = users.iter().map(|u| u.username.as_str()).collect();
    let waiting = throttle::accounts_waiting(
        &state.db,
        &Policies::from_settings(&state.settings.security),
        &names,
    )
    .await?;
    for u in users {
        u.throttled_until = waiting.get(&u.username).copied();
    }
    Ok(())
}

/// The password rules of this server.
fn policy(state: &AppState) -> password::Policy {
    password::Policy::from_settings(&state.settings.security)
}

async fn detail_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<UserId>,
) -> AppResult<Response> {
    let user = load_user(&state, &caller, id).await?;
    if user.phone.is_some() {
        audit::store::record(
            state.db.pool(),
            &Entry::by(&caller, user.org_id, Action::PersonalDataViewed)
                .target(format!("user:{id}")),
        )
        .await?;
    }
    let sessions = super::sessions::for_user_page(&state, &caller, id).await?;
    render(DetailPage {
        password_min: policy(&state).min_length,
        c: Chrome::for_caller(&caller, &format!("/users/{id}")),
        is_self: user.id == caller.user_id,
        user,
        roles: Role::ALL.to_vec(),
        error: None,
        sessions,
    })
}

/// Grants a role; shared by the page and the API.
async fn grant_role(
    state: &AppState,
    caller: &Caller,
    id: UserId,
    input: &GrantInput,
) -> AppResult<Option<GrantId>> {
    let scope = caller.require(Need::Admin)?;
    let user = store::get(&state.db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let role = Role::parse(&input.role).ok_or_else(|| AppError::field("role", "err-role"))?;
    let org = org::store::get_by_code(&state.db, &scope, &input.org_code)
        .await?
        .ok_or_else(|| AppError::field("org_code", "err-org-out-of-scope"))?;
    let mut tx = state.db.begin().await?;
    let grant = store::grant(&mut tx, id, org.id, role).await?;
    if grant.is_some() {
        let e = Entry::by(caller, org.id, Action::RoleGranted)
            .target(format!("user:{id}"))
            .detail(format!("{} {} @ {}", user.username, role, org.code));
        audit::store::record(&mut *tx, &e).await?;
    }
    tx.commit().await?;
    Ok(grant)
}

/// Revokes a role; shared by the page and the API.
async fn revoke_role(
    state: &AppState,
    caller: &Caller,
    id: UserId,
    grant: GrantId,
) -> AppResult<()> {
    let scope = caller.require(Need::Admin)?;
    let user = store::get(&state.db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut tx = state.db.begin().await?;
    let (org, role) = store::revoke(&mut tx, &scope, id, grant)
        .await?
        .ok_or(AppError::NotFound)?;
    let e = Entry::by(caller, org, Action::RoleRevoked)
        .target(format!("user:{id}"))
        .detail(format!("{} {}", user.username, role));
    audit::store::record(&mut *tx, &e).await?;
    tx.commit().await?;
    Ok(())
}

async fn grant_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<UserId>,
    Form(input): Form<GrantInput>,
) -> AppResult<Response> {
    match grant_role(&state, &caller, id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/users/{id}")).into_response()),
        Err(e) => match field_messages(&e, caller.lang) {
            Some(msgs) => {
                let user = load_user(&state, &caller, id).await?;
                let sessions = super::sessions::for_user_page(&state, &caller, id).await?;
                let page = DetailPage {
                    password_min: policy(&state).min_length,
                    c: Chrome::for_caller(&caller, &format!("/users/{id}")),
                    is_self: user.id == caller.user_id,
                    user,
                    roles: Role::ALL.to_vec(),
                    error: Some(msgs.into_iter().map(|m| m.1).collect::<Vec<_>>().join("; ")),
                    sessions,
                };
                Ok((
                    StatusCode::UNPROCESSABLE_ENTITY,
                    axum::response::Html(page.render()?),
                )
                    .into_response())
            }
            None => Err(e),
        },
    }
}

async fn revoke_page(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, grant)): Path<(UserId, GrantId)>,
) -> AppResult<Response> {
    revoke_role(&state, &caller, id, grant).await?;
    Ok(Redirect::to(&format!("/users/{id}")).into_response())
}

#[derive(Deserialize)]
struct PasswordForm {
    password: String,
}

async fn password_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<UserId>,
    Form(f): Form<PasswordForm>,
) -> AppResult<Response> {
    let user = load_user(&state, &caller, id).await?;
    policy(&state)
        .check(
            "password",
            &f.password,
            &[user.username.as_str(), user.display_name.as_str()],
        )
        .map_err(|e| AppError::Validation(vec![e]))?;
    let hash = password::hash(f.password).await?;
    let mut tx = state.db.begin().await?;
    store::set_password(&mut tx, id, &hash).await?;
    audit::store::record(
        &mut *tx,
        &Entry::by(&caller, user.org_id, Action::PasswordChanged).target(format!("user:{id}")),
    )
    .await?;
    tx.commit().await?;
    session::destroy_all_for(&state.db, id).await?;
    Ok(Redirect::to(&format!("/users/{id}")).into_response())
}

#[derive(Deserialize)]
struct ActiveForm {
    /// `activate`, `deactivate` or `unlock`.
    action: String,
}

async fn active_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<UserId>,
    Form(f): Form<ActiveForm>,
) -> AppResult<Response> {
    let user = load_user(&state, &caller, id).await?;
    let mut tx = state.db.begin().await?;
    match f.action.as_str() {
        "activate" => store::set_active(&mut tx, id, true).await?,
        "deactivate" if id != caller.user_id => store::set_active(&mut tx, id, false).await?,
        "unlock" => store::unlock(&mut tx, &user.username).await?,
        _ => return Err(AppError::BadRequest("unknown action")),
    }
    let e = Entry::by(&caller, user.org_id, Action::UserUpdated)
        .target(format!("user:{id}"))
        .detail(f.action);
    audit::store::record(&mut *tx, &e).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/users/{id}")).into_response())
}

/// The caller as the API sees them.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Me {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub org_id: OrgId,
    pub roles: Vec<MeRole>,
    /// Whether the second factor (TOTP) is set up. Tokens never ask for it.
    pub totp_enabled: bool,
    /// The login before the current one (time, address, failed attempts since).
    pub last_login: Option<store::LastLogin>,
}

/// A role of the caller.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct MeRole {
    pub org_id: OrgId,
    pub role: Role,
}

/// The logged-in user and their roles.
#[utoipa::path(get, path = "/api/v1/me", tag = "users", responses((status = 200, body = Me), (status = 401, body = crate::web::errors::ErrorBody)))]
pub async fn api_me(State(state): State<AppState>, caller: Caller) -> AppResult<Json<Me>> {
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

/// A page of users.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct UserPage {
    pub items: Vec<User>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// Users whose org lies in the caller's admin scope (phones masked).
#[utoipa::path(get, path = "/api/v1/users", tag = "users",
    params(("q" = Option<String>, Query, description = "part of a login or display name"), ("page" = Option<i64>, Query)),
    responses((status = 200, body = UserPage), (status = 403, body = crate::web::errors::ErrorBody)))]
pub async fn api_list(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<UserPage>> {
    let scope = caller.require(Need::Admin)?;
    let page = q.page.unwrap_or(1).max(1);
    let (mut items, total) = store::list(
        &state.db,
        &scope,
        q.q.as_deref(),
        PAGE_SIZE,
        (page - 1) * PAGE_SIZE,
    )
    .await?;
    for u in &mut items {
        u.phone = u.phone.as_deref().map(org::mask_phone);
    }
    with_throttle(&state, &mut items).await?;
    Ok(Json(UserPage {
        items,
        total,
        page,
        per_page: PAGE_SIZE,
    }))
}

/// Creates a user at an org in the caller's admin scope.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = UserInput,
    responses((status = 201, body = User), (status = 422, body = crate::web::errors::ErrorBody), (status = 403, body = crate::web::errors::ErrorBody)))]
pub async fn api_create(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<UserInput>,
) -> AppResult<Response> {
    let id = create_user(&state, &caller, &input).await?;
    let user = load_user(&state, &caller, id).await?;
    Ok((StatusCode::CREATED, Json(user)).into_response())
}

/// One user in the caller's admin scope.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = i64, Path)),
    responses((status = 200, body = User), (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<UserId>,
) -> AppResult<Json<User>> {
    let user = load_user(&state, &caller, id).await?;
    if user.phone.is_some() {
        audit::store::record(
            state.db.pool(),
            &Entry::by(&caller, user.org_id, Action::PersonalDataViewed)
                .target(format!("user:{id}")),
        )
        .await?;
    }
    Ok(Json(user))
}

/// The roles a user holds.
#[utoipa::path(get, path = "/api/v1/users/{id}/roles", tag = "users", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<super::Grant>), (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_roles(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<UserId>,
) -> AppResult<Json<Vec<super::Grant>>> {
    Ok(Json(load_user(&state, &caller, id).await?.grants))
}

/// Grants a role at an org in the caller's admin scope.
#[utoipa::path(post, path = "/api/v1/users/{id}/roles", tag = "users", params(("id" = i64, Path)), request_body = GrantInput,
    responses((status = 201, body = Vec<super::Grant>), (status = 422, body = crate::web::errors::ErrorBody), (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_grant(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<UserId>,
    Json(input): Json<GrantInput>,
) -> AppResult<Response> {
    grant_role(&state, &caller, id, &input).await?;
    let grants = load_user(&state, &caller, id).await?.grants;
    Ok((StatusCode::CREATED, Json(grants)).into_response())
}

/// Revokes one role.
#[utoipa::path(delete, path = "/api/v1/users/{id}/roles/{grant}", tag = "users", params(("id" = i64, Path), ("grant" = i64, Path)),
    responses((status = 204), (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_revoke(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, grant)): Path<(UserId, GrantId)>,
) -> AppResult<StatusCode> {
    revoke_role(&state, &caller, id, grant).await?;
    Ok(StatusCode::NO_CONTENT)
}
