//! Logging in: the password step, throttled by `auth::throttle`, and for a
//! user with a second factor the code step (`/login/code`).
//!
//! Every attempt takes the same path whatever the name: the user is looked up,
//! the throttle asked, one argon2 verification run (against a dummy hash when
//! the name is unknown or the attempt is held back), and one write made (the
//! audit row with the client address, and the account's failure count, a
//! statement that touches no row for an unknown name). So an unknown name, a
//! wrong password and a held-back attempt cannot be told apart by time, and
//! the answers depend on the name only through the throttle, which counts
//! unknown names exactly like known ones.

use crate::web::{Form, Query};
use askama::Template;
use axum::{
    extract::State,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::{
    CookieJar,
    cookie::{Cookie, SameSite},
};
use serde::Deserialize;

use super::store::{self, LoginUser};
use crate::{
    account,
    audit::{self, Action, Entry},
    auth::{
        Role, SESSION_COOKIE, password, required_page, session,
        throttle::{self, Gate, Keys, Policies},
    },
    error::AppResult,
    i18n::Lang,
    web::{AppState, client::ClientAddr, local_path, page::Chrome},
};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    c: Chrome,
    error: Option<String>,
    username: String,
    next: String,
}

#[derive(Deserialize)]
pub(super) struct NextQuery {
    next: Option<String>,
}

/// The login form.
pub(super) async fn page(lang: Lang, Query(q): Query<NextQuery>) -> AppResult<Response> {
    crate::web::page::render(LoginPage {
        c: Chrome::bare(lang, "/login"),
        error: None,
        username: String::new(),
        next: local_path::or_home(q.next.as_deref()),
    })
}

#[derive(Deserialize)]
pub(super) struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

/// The longest name kept in an audit row: anything can be typed into the field.
const MAX_AUDIT_NAME: usize = 64;

/// The name as typed, normalised the way usernames are stored.
fn typed_name(raw: &str) -> String {
    raw.trim().to_lowercase()
}

/// "Try again in N seconds/minutes", the same for every name.
pub fn throttled_message(lang: Lang, seconds: i64) -> String {
    if seconds >= 120 {
        lang.ta(
            "login-throttled-minutes",
            &[("minutes", ((seconds + 59) / 60).to_string())],
        )
    } else {
        lang.ta(
            "login-throttled-seconds",
            &[("seconds", seconds.to_string())],
        )
    }
}

/// An audit row about a login attempt on `name` from `ip`.
pub(super) fn entry(
    user: Option<&LoginUser>,
    name: &str,
    action: Action,
    ip: &ClientAddr,
) -> Entry {
    Entry {
        org_id: user.map(|u| u.org),
        user_id: user.map(|u| u.id),
        username: Some(name.chars().take(MAX_AUDIT_NAME).collect()),
        action,
        target: None,
        detail: None,
        ip: ip.text(),
    }
}

/// Writes what a refused attempt leaves behind: the audit row and the
/// account's failure count (a no-op statement for unknown names).
pub(super) async fn record_refusal(state: &AppState, name: &str, e: &Entry) -> AppResult<()> {
    let mut tx = state.db.begin().await?;
    store::count_failure(&mut tx, name).await?;
    audit::store::record(&mut *tx, e).await?;
    tx.commit().await?;
    Ok(())
}

/// Checks the name and password and starts a session.
pub(super) async fn submit(
    State(state): State<AppState>,
    lang: Lang,
    ip: ClientAddr,
    client: session::Client,
    jar: CookieJar,
    Form(f): Form<LoginForm>,
) -> AppResult<Response> {
    let policies = Policies::from_settings(&state.settings.security);
    let name = typed_name(&f.username);
    let keys = Keys::new(&name, ip.0);
    let user = store::login_user(&state.db, &name).await?;
    let gate = throttle::begin(&state.db, &policies, &keys).await?;
    let hash = match (&gate, &user) {
        (Gate::Open, Some(u)) => u.password_hash.clone(),
        _ => password::dummy_hash().to_string(),
    };
    let verified = password::verify(f.password, hash).await;
    if let (Gate::Open, Some(u), true) = (&gate, &user, verified) {
        if u.totp {
            // Right password, but no login yet: nothing is forgotten until the code.
            throttle::not_failed(&state.db, &keys).await?;
            let challenge = account::store::create_challenge(&state.db, u.id).await?;
            return crate::web::page::render(CodePage {
                c: Chrome::bare(lang, "/login"),
                error: None,
                challenge,
                next: local_path::or_home(f.next.as_deref()),
            });
        }
        throttle::succeeded(&state.db, &keys).await?;
        return complete(&state, jar, u, &ip, &client, f.next.as_deref(), None).await;
    }
    let (action, status, error) = match gate {
        Gate::Wait(seconds) => (
            Action::LoginLocked,
            StatusCode::TOO_MANY_REQUESTS,
            throttled_message(lang, seconds),
        ),
        Gate::Open => (
            Action::LoginFailed,
            StatusCode::UNAUTHORIZED,
            lang.t("login-failed"),
        ),
    };
    record_refusal(&state, &name, &entry(user.as_ref(), &name, action, &ip)).await?;
    let retry_after = match gate {
        Gate::Wait(seconds) => Some(seconds),
        Gate::Open => None,
    };
    let page = LoginPage {
        c: Chrome::bare(lang, "/login"),
        error: Some(error),
        username: f.username,
        next: local_path::or_home(f.next.as_deref()),
    };
    let mut res = (status, axum::response::Html(page.render()?)).into_response();
    if let Some(seconds) = retry_after
        && let Ok(v) = HeaderValue::from_str(&seconds.to_string())
    {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    Ok(res)
}

#[derive(Template)]
#[template(path = "account/login_code.html")]
struct CodePage {
    c: Chrome,
    error: Option<String>,
    challenge: String,
    next: String,
}

#[derive(Deserialize)]
pub(super) struct CodeForm {
    challenge: String,
    code: String,
    next: Option<String>,
}

/// The second step: a code from the authenticator app, or a recovery code.
/// Wrong codes count towards the login throttle like wrong passwords, and a
/// pending login ends after a few of them.
pub(super) async fn code(
    State(state): State<AppState>,
    lang: Lang,
    ip: ClientAddr,
    client: session::Client,
    jar: CookieJar,
    Form(f): Form<CodeForm>,
) -> AppResult<Response> {
    let next = local_path::or_home(f.next.as_deref());
    let user = match account::store::challenge_user(&state.db, &f.challenge).await? {
        Some(id) => store::login_user_by_id(&state.db, id).await?,
        None => None,
    };
    let Some(u) = user.filter(|u| u.totp) else {
        let page = LoginPage {
            c: Chrome::bare(lang, "/login"),
            error: Some(lang.t("login-code-expired")),
            username: String::new(),
            next,
        };
        return Ok((
            StatusCode::UNAUTHORIZED,
            axum::response::Html(page.render()?),
        )
            .into_response());
    };
    let policies = Policies::from_settings(&state.settings.security);
    let keys = Keys::new(&u.username, ip.0);
    let code_page = |status: StatusCode, error: String| -> AppResult<Response> {
        let page = CodePage {
            c: Chrome::bare(lang, "/login"),
            error: Some(error),
            challenge: f.challenge.clone(),
            next: next.clone(),
        };
        Ok((status, axum::response::Html(page.render()?)).into_response())
    };
    if let Gate::Wait(seconds) = throttle::begin(&state.db, &policies, &keys).await? {
        record_refusal(
            &state,
            &u.username,
            &entry(Some(&u), &u.username, Action::LoginLocked, &ip),
        )
        .await?;
        return code_page(
            StatusCode::TOO_MANY_REQUESTS,
            throttled_message(lang, seconds),
        );
    }
    let how = if account::is_totp_code(&f.code) {
        let secret = account::store::totp_secret(&state.db, u.id).await?;
        match secret.and_then(|s| s.check(&f.code, crate::db::now())) {
            Some(step) if account::store::accept_step(&state.db, u.id, step).await? => Some("totp"),
            _ => None,
        }
    } else if account::store::use_recovery_code(&state.db, u.id, &f.code).await? {
        Some("recovery_code")
    } else {
        None
    };
    if let Some(how) = how {
        throttle::succeeded(&state.db, &keys).await?;
        account::store::end_challenge(&state.db, &f.challenge).await?;
        return complete(&state, jar, &u, &ip, &client, Some(&next), Some(how)).await;
    }
    let mut e = entry(Some(&u), &u.username, Action::LoginFailed, &ip);
    e.detail = Some("second_factor".into());
    record_refusal(&state, &u.username, &e).await?;
    if account::store::challenge_failed(&state.db, &f.challenge).await? {
        code_page(
            StatusCode::UNAUTHORIZED,
            crate::error::FieldError::new("totp_code", "err-totp-code").message(lang),
        )
    } else {
        let page = LoginPage {
            c: Chrome::bare(lang, "/login"),
            error: Some(lang.t("login-code-expired")),
            username: u.username.clone(),
            next,
        };
        Ok((
            StatusCode::UNAUTHORIZED,
            axum::response::Html(page.render()?),
        )
            .into_response())
    }
}

/// Starts the session of a user who passed every step, records the login
/// (with the client address) and sends them on: to a required account page
/// first, else where they were going. `how` names a second factor used.
pub(super) async fn complete(
    state: &AppState,
    jar: CookieJar,
    u: &LoginUser,
    ip: &ClientAddr,
    client: &session::Client,
    next: Option<&str>,
    how: Option<&str>,
) -> AppResult<Response> {
    let s = &state.settings.security;
    let token = session::create(&state.db, u.id, u.org, s, client).await?;
    let mut tx = state.db.begin().await?;
    store::record_login(&mut tx, u.id, ip.text().as_deref()).await?;
    let mut e = entry(Some(u), &u.username, Action::Login, ip);
    e.detail = how.map(str::to_string);
    audit::store::record(&mut *tx, &e).await?;
    tx.commit().await?;
    let cookie = Cookie::build((SESSION_COOKIE, token))
        .path("/")
        .http_only(true)
        .secure(state.settings.cookie_secure())
        .same_site(SameSite::Lax)
        .build();
    let required = match store::principal(&state.db, u.id).await? {
        Some(p) => required_page(
            s,
            p.grants.iter().any(|(_, r)| *r == Role::Admin),
            p.totp,
            p.password_changed_at,
            crate::db::now(),
        ),
        None => None,
    };
    let target = match required {
        Some(page) => page.to_string(),
        None => local_path::or_home(next),
    };
    Ok((jar.add(cookie), Redirect::to(&target)).into_response())
}
