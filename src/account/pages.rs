//! `/account`: the person's own security page, second-factor enrolment and
//! removal, recovery codes, and changing their own password. Writes go
//! through `ops`.

use askama::Template;
use axum::{
    extract::State,
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
};
use axum_extra::extract::{
    CookieJar,
    cookie::{Cookie, SameSite},
};
use serde::Deserialize;

use super::{TotpSecret, new_recovery_codes, ops};
use crate::{
    auth::{
        Caller, PASSWORD_PAGE, SESSION_COOKIE, TOTP_SETUP_PAGE, password, required_page, session,
    },
    error::{AppError, AppResult, FieldError},
    user::store::{self as users, Security},
    web::{
        AppState, Form,
        page::{Chrome, render},
    },
};

#[derive(Template)]
#[template(path = "account/index.html")]
struct AccountPage {
    c: Chrome,
    username: String,
    security: Security,
    /// Admins must have a second factor here and this one has none.
    totp_required: bool,
    password_max_days: i64,
    error: Option<String>,
}

async fn security_of(state: &AppState, caller: &Caller) -> AppResult<Security> {
    users::security(&state.db, caller.user_id)
        .await?
        .ok_or(AppError::Unauthenticated)
}

fn totp_required(state: &AppState, caller: &Caller, s: &Security) -> bool {
    state.settings.security.totp_required_for_admins
        && caller.is_admin()
        && s.totp_enabled_at.is_none()
}

async fn account_page(
    state: &AppState,
    caller: &Caller,
    status: StatusCode,
    error: Option<String>,
) -> AppResult<Response> {
    let security = security_of(state, caller).await?;
    let page = AccountPage {
        c: Chrome::for_caller(caller, "/account"),
        username: caller.username.clone(),
        totp_required: totp_required(state, caller, &security),
        security,
        password_max_days: state.settings.security.password_max_days,
        error,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// The person's own security page.
pub(super) async fn index(State(state): State<AppState>, caller: Caller) -> AppResult<Response> {
    account_page(&state, &caller, StatusCode::OK, None).await
}

#[derive(Template)]
#[template(path = "account/totp.html")]
struct EnrolPage {
    c: Chrome,
    secret: String,
    grouped: String,
    svg: String,
    required: bool,
    error: Option<String>,
}

fn enrol_view(
    caller: &Caller,
    secret: &TotpSecret,
    required: bool,
    error: Option<String>,
) -> AppResult<EnrolPage> {
    let url = secret
        .url(&caller.username)
        .ok_or(AppError::BadRequest("secret"))?;
    Ok(EnrolPage {
        c: Chrome::for_caller(caller, TOTP_SETUP_PAGE),
        secret: secret.as_str().to_string(),
        grouped: secret.grouped(),
        svg: crate::web::qr::svg_of(&url)?,
        required,
        error,
    })
}

/// Enrolment: a fresh secret as a QR code and as text. Nothing is stored until
/// a code confirms that the app has it.
pub(super) async fn enrol_page(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Response> {
    let security = security_of(&state, &caller).await?;
    if security.totp_enabled_at.is_some() {
        return Ok(Redirect::to("/account").into_response());
    }
    let required = totp_required(&state, &caller, &security);
    render(enrol_view(
        &caller,
        &TotpSecret::generate(),
        required,
        None,
    )?)
}

#[derive(Deserialize)]
pub(super) struct EnrolForm {
    secret: String,
    code: String,
}

#[derive(Template)]
#[template(path = "account/codes.html")]
struct CodesPage {
    c: Chrome,
    codes: Vec<String>,
    /// Where to go on: the page the person was kept from, or the account.
    next: String,
}

/// Recovery codes, shown this once.
fn codes_page(caller: &Caller, codes: Vec<String>, next: &str) -> AppResult<Response> {
    let mut res = render(CodesPage {
        c: Chrome::for_caller(caller, "/account"),
        codes,
        next: next.to_string(),
    })?;
    res.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(res)
}

/// Confirms enrolment with a code from the app, turns the second factor on
/// and shows the recovery codes once.
pub(super) async fn enrol(
    State(state): State<AppState>,
    caller: Caller,
    Form(f): Form<EnrolForm>,
) -> AppResult<Response> {
    let security = security_of(&state, &caller).await?;
    if security.totp_enabled_at.is_some() {
        return Ok(Redirect::to("/account").into_response());
    }
    let secret = TotpSecret::parse(&f.secret).ok_or(AppError::BadRequest("secret"))?;
    let Some(step) = secret.check(&f.code, crate::db::now()) else {
        let required = totp_required(&state, &caller, &security);
        let error = FieldError::new("totp_code", "err-totp-code").message(caller.lang);
        let page = enrol_view(&caller, &secret, required, Some(error))?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response());
    };
    let codes = new_recovery_codes();
    ops::enable_totp(&state.db, &caller, &secret, step, &codes).await?;
    codes_page(&caller, codes, "/")
}

#[derive(Deserialize)]
pub(super) struct DisableForm {
    password: String,
    code: String,
}

/// Turns the second factor off: needs the password and a current code (or a
/// recovery code, for a lost phone).
pub(super) async fn disable(
    State(state): State<AppState>,
    caller: Caller,
    Form(f): Form<DisableForm>,
) -> AppResult<Response> {
    if let Some(e) = ops::check_own_password(
        &state.db,
        &state.settings.security,
        &caller,
        "password",
        &f.password,
    )
    .await?
    {
        return account_page(&state, &caller, StatusCode::UNPROCESSABLE_ENTITY, Some(e)).await;
    }
    if let Some(e) =
        ops::check_own_code(&state.db, &state.settings.security, &caller, &f.code, true).await?
    {
        return account_page(&state, &caller, StatusCode::UNPROCESSABLE_ENTITY, Some(e)).await;
    }
    ops::disable_totp(&state.db, &caller).await?;
    Ok(Redirect::to("/account").into_response())
}

#[derive(Deserialize)]
pub(super) struct CodeForm {
    code: String,
}

/// New recovery codes for old ones (a current TOTP code is needed).
pub(super) async fn regenerate(
    State(state): State<AppState>,
    caller: Caller,
    Form(f): Form<CodeForm>,
) -> AppResult<Response> {
    if let Some(e) =
        ops::check_own_code(&state.db, &state.settings.security, &caller, &f.code, false).await?
    {
        return account_page(&state, &caller, StatusCode::UNPROCESSABLE_ENTITY, Some(e)).await;
    }
    let codes = new_recovery_codes();
    ops::replace_recovery_codes(&state.db, &caller, &codes).await?;
    codes_page(&caller, codes, "/account")
}

#[derive(Template)]
#[template(path = "account/password.html")]
struct PasswordPage {
    c: Chrome,
    expired: bool,
    password_min: usize,
    errors: Vec<String>,
}

fn expired(state: &AppState, s: &Security) -> bool {
    let max = state.settings.security.password_max_days;
    max > 0 && crate::db::now() - s.password_changed_at > max * 86_400
}

async fn password_view(
    state: &AppState,
    caller: &Caller,
    errors: Vec<String>,
) -> AppResult<PasswordPage> {
    let security = security_of(state, caller).await?;
    Ok(PasswordPage {
        c: Chrome::for_caller(caller, PASSWORD_PAGE),
        expired: expired(state, &security),
        password_min: password::Policy::from_settings(&state.settings.security).min_length,
        errors,
    })
}

/// The form to change one's own password.
pub(super) async fn password_page(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Response> {
    render(password_view(&state, &caller, Vec::new()).await?)
}

#[derive(Deserialize)]
pub(super) struct PasswordForm {
    current_password: String,
    new_password: String,
    confirm_password: String,
}

/// Changes one's own password: the current one, then a new one meeting the
/// rules, typed twice. Every session of the person ends but a fresh one here.
pub(super) async fn change_password(
    State(state): State<AppState>,
    caller: Caller,
    client: session::Client,
    jar: CookieJar,
    Form(f): Form<PasswordForm>,
) -> AppResult<Response> {
    let policy = password::Policy::from_settings(&state.settings.security);
    let mut errors = Vec::new();
    if let Err(e) = policy.check(
        "new_password",
        &f.new_password,
        &[caller.username.as_str(), caller.display_name.as_str()],
    ) {
        errors.push(e.message(caller.lang));
    } else if f.new_password == f.current_password {
        errors.push(FieldError::new("new_password", "err-password-same").message(caller.lang));
    }
    if f.confirm_password != f.new_password {
        errors
            .push(FieldError::new("confirm_password", "err-password-confirm").message(caller.lang));
    }
    if errors.is_empty()
        && let Some(e) = ops::check_own_password(
            &state.db,
            &state.settings.security,
            &caller,
            "current_password",
            &f.current_password,
        )
        .await?
    {
        errors.push(e);
    }
    if !errors.is_empty() {
        let page = password_view(&state, &caller, errors).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response());
    }
    ops::change_password(&state.db, &caller, f.new_password).await?;
    let token = session::create(
        &state.db,
        caller.user_id,
        caller.home_org,
        &state.settings.security,
        &client,
    )
    .await?;
    let cookie = Cookie::build((SESSION_COOKIE, token))
        .path("/")
        .http_only(true)
        .secure(state.settings.cookie_secure())
        .same_site(SameSite::Lax)
        .build();
    // A required second factor may still be waiting.
    let next = match users::principal(&state.db, caller.user_id).await? {
        Some(p) => required_page(
            &state.settings.security,
            caller.is_admin(),
            p.totp,
            p.password_changed_at,
            crate::db::now(),
        )
        .unwrap_or("/account"),
        None => "/account",
    };
    Ok((jar.add(cookie), Redirect::to(next)).into_response())
}
