//! The users-and-roles pages, the session pages and logout. Writes go
//! through `ops`, like the API's.

use askama::Template;
use axum::{
    extract::State,
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::{CookieJar, cookie::Cookie};
use serde::Deserialize;

use super::{AccountAction, GrantInput, ListQuery, User, UserInput, ops, ops::Target};
use crate::{
    auth::{
        Caller, Need, Role, SESSION_COOKIE,
        password::Policy,
        session::{End, Session},
    },
    db::{GrantId, SessionId, UserId},
    error::{AppError, AppResult},
    web::{
        AppState, Form, Path, Query,
        form::{FieldMessages, submitted},
        list::{Pager, Paging},
        page::{Chrome, render},
    },
};

/// The password rules of this server.
fn policy(state: &AppState) -> Policy {
    Policy::from_settings(&state.settings.security)
}

/// `POST /logout`.
pub(super) async fn logout(
    State(state): State<AppState>,
    jar: CookieJar,
    caller: Option<Caller>,
) -> AppResult<Response> {
    let cookie = jar.get(SESSION_COOKIE).map(|c| c.value().to_string());
    ops::logout(&state.db, cookie.as_deref(), caller.as_ref()).await?;
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/"));
    Ok((jar, Redirect::to("/login")).into_response())
}

#[derive(Template)]
#[template(path = "user/list.html")]
struct ListPage {
    c: Chrome,
    users: Vec<User>,
    q: String,
    total: i64,
    pager: Pager,
}

/// `GET /users`.
pub(super) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let d = ops::list(&state.db, &state.settings.security, &caller, &q).await?;
    let pager = Paging {
        page: d.page,
        size: d.per_page,
    }
    .pager(d.total, "/users", &q.query());
    render(ListPage {
        c: Chrome::for_caller(&caller, "/users"),
        users: d.items,
        q: q.q.unwrap_or_default(),
        total: d.total,
        pager,
    })
}

#[derive(Template)]
#[template(path = "user/new.html")]
struct NewPage {
    c: Chrome,
    input: UserInput,
    errors: FieldMessages,
    roles: Vec<Role>,
    /// Fewest characters of a new password, for the hint.
    password_min: usize,
}

impl NewPage {
    fn build(state: &AppState, caller: &Caller, input: UserInput, errors: FieldMessages) -> Self {
        NewPage {
            password_min: policy(state).min_length,
            c: Chrome::for_caller(caller, "/users/new"),
            input,
            errors,
            roles: Role::ALL.to_vec(),
        }
    }
}

/// `GET /users/new`.
pub(super) async fn new(State(state): State<AppState>, caller: Caller) -> AppResult<Response> {
    caller.require(Need::Admin)?;
    render(NewPage::build(
        &state,
        &caller,
        UserInput::default(),
        FieldMessages::default(),
    ))
}

/// `POST /users`: creates through the same use case as the API.
pub(super) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Form(input): Form<UserInput>,
) -> AppResult<Response> {
    caller.require(Need::Admin)?;
    let created = match input.parse(&policy(&state)) {
        Ok(new) => ops::create(&state.db, &caller, &new).await,
        Err(e) => Err(e),
    };
    let input = UserInput {
        password: None,
        ..input
    };
    submitted(
        &caller,
        created,
        |id| format!("/users/{id}"),
        |errors| async { Ok(NewPage::build(&state, &caller, input, errors)) },
    )
    .await
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
    sessions: Vec<Session>,
}

impl DetailPage {
    async fn build(
        state: &AppState,
        caller: &Caller,
        user: User,
        errors: FieldMessages,
    ) -> AppResult<DetailPage> {
        let id = user.id;
        let t = Target::managed(&state.db, caller, id).await?;
        let sessions = ops::sessions(&state.db, &state.settings.security, caller, &t).await?;
        let error = (!errors.is_empty()).then(|| {
            errors
                .0
                .into_iter()
                .map(|m| m.1)
                .collect::<Vec<_>>()
                .join("; ")
        });
        Ok(DetailPage {
            password_min: policy(state).min_length,
            c: Chrome::for_caller(caller, &format!("/users/{id}")),
            is_self: user.id == caller.user_id,
            user,
            roles: Role::ALL.to_vec(),
            error,
            sessions,
        })
    }
}

/// `GET /users/{id}`.
pub(super) async fn detail(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<UserId>,
) -> AppResult<Response> {
    let user = ops::view(&state.db, &state.settings.security, &caller, id).await?;
    render(DetailPage::build(&state, &caller, user, FieldMessages::default()).await?)
}

/// `POST /users/{id}/grants`.
pub(super) async fn grant(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<UserId>,
    Form(input): Form<GrantInput>,
) -> AppResult<Response> {
    let granted = ops::grant(&state.db, &caller, id, &input).await;
    submitted(
        &caller,
        granted,
        |_| format!("/users/{id}"),
        |errors| async {
            let user = ops::load(&state.db, &state.settings.security, &caller, id).await?;
            DetailPage::build(&state, &caller, user, errors).await
        },
    )
    .await
}

/// `POST /users/{id}/grants/{grant}/revoke`.
pub(super) async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, grant)): Path<(UserId, GrantId)>,
) -> AppResult<Response> {
    ops::revoke(&state.db, &caller, id, grant).await?;
    Ok(Redirect::to(&format!("/users/{id}")).into_response())
}

#[derive(Deserialize)]
pub(super) struct PasswordForm {
    password: String,
}

/// `POST /users/{id}/password`.
pub(super) async fn password(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<UserId>,
    Form(f): Form<PasswordForm>,
) -> AppResult<Response> {
    let user = ops::load(&state.db, &state.settings.security, &caller, id).await?;
    ops::set_password(&state.db, &caller, &user, &policy(&state), f.password).await?;
    Ok(Redirect::to(&format!("/users/{id}")).into_response())
}

#[derive(Deserialize)]
pub(super) struct ActiveForm {
    /// `activate`, `deactivate` or `unlock`.
    action: String,
}

/// `POST /users/{id}/active`.
pub(super) async fn active(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<UserId>,
    Form(f): Form<ActiveForm>,
) -> AppResult<Response> {
    let user = ops::load(&state.db, &state.settings.security, &caller, id).await?;
    let action: AccountAction = f
        .action
        .parse()
        .map_err(|_| AppError::BadRequest("unknown action"))?;
    ops::account(&state.db, &caller, &user, action).await?;
    Ok(Redirect::to(&format!("/users/{id}")).into_response())
}

#[derive(Template)]
#[template(path = "user/sessions.html")]
struct OwnSessionsPage {
    c: Chrome,
    sessions: Vec<Session>,
    idle_minutes: i64,
}

/// `GET /account/sessions`.
pub(super) async fn own_sessions(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Response> {
    let sessions = ops::sessions(
        &state.db,
        &state.settings.security,
        &caller,
        &Target::own(&caller),
    )
    .await?;
    render(OwnSessionsPage {
        c: Chrome::for_caller(&caller, "/account/sessions"),
        sessions,
        idle_minutes: state.settings.security.session_idle_minutes,
    })
}

/// `POST /account/sessions/{sid}/end`.
pub(super) async fn own_end(
    State(state): State<AppState>,
    caller: Caller,
    Path(sid): Path<SessionId>,
) -> AppResult<Redirect> {
    ops::end_sessions(&state.db, &caller, &Target::own(&caller), End::One(sid)).await?;
    Ok(Redirect::to("/account/sessions"))
}

/// `POST /account/sessions/end-others`.
pub(super) async fn own_end_others(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Redirect> {
    let which = ops::all_but_current(&caller);
    ops::end_sessions(&state.db, &caller, &Target::own(&caller), which).await?;
    Ok(Redirect::to("/account/sessions"))
}

/// `POST /users/{id}/sessions/{sid}/end`.
pub(super) async fn user_end(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, sid)): Path<(UserId, SessionId)>,
) -> AppResult<Redirect> {
    let t = Target::managed(&state.db, &caller, id).await?;
    ops::end_sessions(&state.db, &caller, &t, End::One(sid)).await?;
    Ok(Redirect::to(&format!("/users/{id}#sessions")))
}

/// `POST /users/{id}/sessions/end-all`.
pub(super) async fn user_end_all(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<UserId>,
) -> AppResult<Redirect> {
    let t = Target::managed(&state.db, &caller, id).await?;
    ops::end_sessions(&state.db, &caller, &t, End::All).await?;
    Ok(Redirect::to(&format!("/users/{id}#sessions")))
}
