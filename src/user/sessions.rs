//! Sessions a person can see and end: their own at `/account/sessions`, and an
//! admin's view of another user's on the user's page, with the same in the
//! API. Another user's sessions are read and ended through the admin scope
//! over the user's home org (`session::Whose::Managed`), in the SQL itself.
//! Every ending is audited in the transaction that deletes the sessions.

use crate::web::{Json, Path};
use askama::Template;
use axum::{
    Router,
    extract::State,
    http::StatusCode,
    response::{Redirect, Response},
    routing::{delete, get, post},
};
use utoipa::OpenApi;

use crate::{
    audit::{self, Action, Entry},
    auth::{
        Caller, Need,
        session::{self, End, Session, Whose},
    },
    db::{OrgId, SessionId, UserId},
    error::{AppError, AppResult},
    web::{
        AppState,
        page::{Chrome, render},
    },
};

/// The routes of this part; merged into the user module's router.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/account/sessions", get(own_page))
        .route("/account/sessions/end-others", post(own_end_others_page))
        .route("/account/sessions/{sid}/end", post(own_end_page))
        .route("/users/{id}/sessions/end-all", post(user_end_all_page))
        .route("/users/{id}/sessions/{sid}/end", post(user_end_page))
        .route(
            "/api/v1/me/sessions",
            get(api_own).delete(api_own_end_others),
        )
        .route("/api/v1/me/sessions/{sid}", delete(api_own_end))
        .route(
            "/api/v1/users/{id}/sessions",
            get(api_user).delete(api_user_end_all),
        )
        .route("/api/v1/users/{id}/sessions/{sid}", delete(api_user_end))
}

/// This part's share of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(
        api_own,
        api_own_end_others,
        api_own_end,
        api_user,
        api_user_end_all,
        api_user_end
    ),
    components(schemas(Session))
)]
pub struct ApiDoc;

/// Whose sessions a request is about, resolved for access: the caller's own,
/// or a user in the caller's admin scope (404 otherwise).
struct Target {
    user: UserId,
    /// The org the audit entry belongs to: the user's home org.
    org: OrgId,
    managed: Option<crate::auth::Scope>,
}

impl Target {
    fn own(caller: &Caller) -> Target {
        Target {
            user: caller.user_id,
            org: caller.home_org,
            managed: None,
        }
    }

    async fn managed(state: &AppState, caller: &Caller, id: UserId) -> AppResult<Target> {
        let scope = caller.require(Need::Admin)?;
        let user = super::store::get(&state.db, &scope, id)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok(Target {
            user: id,
            org: user.org_id,
            managed: Some(scope),
        })
    }

    fn whose(&self) -> Whose<'_> {
        match &self.managed {
            Some(scope) => Whose::Managed(scope, self.user),
            None => Whose::Own(self.user),
        }
    }
}

/// The target's live sessions, the caller's own one marked.
async fn list(state: &AppState, caller: &Caller, t: &Target) -> AppResult<Vec<Session>> {
    Ok(session::list(
        &state.db,
        t.whose(),
        &state.settings.security,
        caller.session,
    )
    .await?)
}

/// The sessions of a user for their admin page (`/users/{id}`); the caller
/// has already been found to administer the user.
pub async fn for_user_page(
    state: &AppState,
    caller: &Caller,
    id: UserId,
) -> AppResult<Vec<Session>> {
    let t = Target::managed(state, caller, id).await?;
    list(state, caller, &t).await
}

/// Ends sessions of the target and audits it in the same transaction; ending
/// one session that is not there (or not theirs) is 404.
async fn end(state: &AppState, caller: &Caller, t: &Target, which: End) -> AppResult<u64> {
    let mut tx = state.db.begin().await?;
    let n = session::end(&mut tx, t.whose(), which).await?;
    if n == 0 && matches!(which, End::One(_)) {
        return Err(AppError::NotFound);
    }
    let detail = match which {
        End::One(id) => format!("session {id}"),
        End::All => format!("all sessions ({n})"),
        End::AllBut(_) => format!("all other sessions ({n})"),
    };
    let e = Entry::by(caller, t.org, Action::SessionEnded)
        .target(format!("user:{}", t.user))
        .detail(detail);
    audit::store::record(&mut *tx, &e).await?;
    tx.commit().await?;
    Ok(n)
}

/// Every session of the caller but the asking one; with a bearer token, which
/// is not a session, every session.
fn all_but_current(caller: &Caller) -> End {
    match caller.session {
        Some(id) => End::AllBut(id),
        None => End::All,
    }
}

#[derive(Template)]
#[template(path = "user/sessions.html")]
struct OwnPage {
    c: Chrome,
    sessions: Vec<Session>,
    idle_minutes: i64,
}

async fn own_page(State(state): State<AppState>, caller: Caller) -> AppResult<Response> {
    let sessions = list(&state, &caller, &Target::own(&caller)).await?;
    render(OwnPage {
        c: Chrome::for_caller(&caller, "/account/sessions"),
        sessions,
        idle_minutes: state.settings.security.session_idle_minutes,
    })
}

async fn own_end_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(sid): Path<SessionId>,
) -> AppResult<Redirect> {
    end(&state, &caller, &Target::own(&caller), End::One(sid)).await?;
    Ok(Redirect::to("/account/sessions"))
}

async fn own_end_others_page(State(state): State<AppState>, caller: Caller) -> AppResult<Redirect> {
    end(
        &state,
        &caller,
        &Target::own(&caller),
        all_but_current(&caller),
    )
    .await?;
    Ok(Redirect::to("/account/sessions"))
}

async fn user_end_page(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, sid)): Path<(UserId, SessionId)>,
) -> AppResult<Redirect> {
    let t = Target::managed(&state, &caller, id).await?;
    end(&state, &caller, &t, End::One(sid)).await?;
    Ok(Redirect::to(&format!("/users/{id}#sessions")))
}

async fn user_end_all_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<UserId>,
) -> AppResult<Redirect> {
    let t = Target::managed(&state, &caller, id).await?;
    end(&state, &caller, &t, End::All).await?;
    Ok(Redirect::to(&format!("/users/{id}#sessions")))
}

/// The caller's live sessions, most recently active first (`current` marks this one).
#[utoipa::path(get, path = "/api/v1/me/sessions", tag = "users",
    responses((status = 200, body = Vec<Session>), (status = 401, body = crate::web::errors::ErrorBody)))]
pub async fn api_own(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Json<Vec<Session>>> {
    Ok(Json(list(&state, &caller, &Target::own(&caller)).await?))
}

/// Ends every session of the caller but the one asking (with a bearer token: every session).
#[utoipa::path(delete, path = "/api/v1/me/sessions", tag = "users",
    responses((status = 204), (status = 401, body = crate::web::errors::ErrorBody)))]
pub async fn api_own_end_others(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<StatusCode> {
    end(
        &state,
        &caller,
        &Target::own(&caller),
        all_but_current(&caller),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ends one of the caller's sessions; at once, its next request is not logged in.
#[utoipa::path(delete, path = "/api/v1/me/sessions/{sid}", tag = "users", params(("sid" = i64, Path)),
    responses((status = 204), (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_own_end(
    State(state): State<AppState>,
    caller: Caller,
    Path(sid): Path<SessionId>,
) -> AppResult<StatusCode> {
    end(&state, &caller, &Target::own(&caller), End::One(sid)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The live sessions of a user whose home org lies in the caller's admin scope.
#[utoipa::path(get, path = "/api/v1/users/{id}/sessions", tag = "users", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<Session>), (status = 403, body = crate::web::errors::ErrorBody),
        (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<UserId>,
) -> AppResult<Json<Vec<Session>>> {
    let t = Target::managed(&state, &caller, id).await?;
    Ok(Json(list(&state, &caller, &t).await?))
}

/// Ends every session of a user in the caller's admin scope.
#[utoipa::path(delete, path = "/api/v1/users/{id}/sessions", tag = "users", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = crate::web::errors::ErrorBody),
        (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_user_end_all(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<UserId>,
) -> AppResult<StatusCode> {
    let t = Target::managed(&state, &caller, id).await?;
    end(&state, &caller, &t, End::All).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ends one session of a user in the caller's admin scope.
#[utoipa::path(delete, path = "/api/v1/users/{id}/sessions/{sid}", tag = "users",
    params(("id" = i64, Path), ("sid" = i64, Path)),
    responses((status = 204), (status = 403, body = crate::web::errors::ErrorBody),
        (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_user_end(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, sid)): Path<(UserId, SessionId)>,
) -> AppResult<StatusCode> {
    let t = Target::managed(&state, &caller, id).await?;
    end(&state, &caller, &t, End::One(sid)).await?;
    Ok(StatusCode::NO_CONTENT)
}
