//! The use cases of one's own account: the second factor turned on and off,
//! recovery codes renewed, the password changed (each with its audit entry
//! in the same transaction), and the throttled checks of one's own password
//! and codes that guard them. No HTTP here.

use super::{TotpSecret, is_totp_code, store};
use crate::{
    audit::{Action, Audited, Entry},
    auth::{
        Caller, password, session,
        throttle::{self, Gate, Keys, Policies},
    },
    config::SecuritySettings,
    db::Db,
    error::{AppError, AppResult, FieldError},
    user::store as users,
};

/// The audit entry of a change to the caller's own account.
fn own(caller: &Caller, action: Action) -> Entry {
    Entry::by(caller, caller.home_org, action).target(format!("user:{}", caller.user_id))
}

/// Turns the second factor on with a confirmed secret and stores the recovery codes.
pub async fn enable_totp(
    db: &Db,
    caller: &Caller,
    secret: &TotpSecret,
    step: i64,
    codes: &[String],
) -> AppResult<()> {
    let mut tx = Audited::begin(db).await?;
    store::enable_totp(&mut tx, caller.user_id, secret, step).await?;
    store::replace_recovery_codes(&mut tx, caller.user_id, codes).await?;
    tx.commit([own(caller, Action::UserUpdated).detail("totp_enabled")])
        .await?;
    Ok(())
}

/// Turns the second factor off (the password and a code were checked).
pub async fn disable_totp(db: &Db, caller: &Caller) -> AppResult<()> {
    let mut tx = Audited::begin(db).await?;
    store::disable_totp(&mut tx, caller.user_id).await?;
    tx.commit([own(caller, Action::UserUpdated).detail("totp_disabled")])
        .await?;
    Ok(())
}

/// Replaces the recovery codes (a current code was checked).
pub async fn replace_recovery_codes(db: &Db, caller: &Caller, codes: &[String]) -> AppResult<()> {
    let mut tx = Audited::begin(db).await?;
    store::replace_recovery_codes(&mut tx, caller.user_id, codes).await?;
    tx.commit([own(caller, Action::UserUpdated).detail("recovery_codes_regenerated")])
        .await?;
    Ok(())
}

/// Sets the caller's own password (checked) and ends every session of theirs.
pub async fn change_password(db: &Db, caller: &Caller, new: String) -> AppResult<()> {
    let hash = password::hash(new).await?;
    let mut tx = Audited::begin(db).await?;
    users::set_password(&mut tx, caller.user_id, &hash).await?;
    tx.commit([own(caller, Action::PasswordChanged)]).await?;
    session::destroy_all_for(db, caller.user_id).await?;
    Ok(())
}

/// The caller's throttle keys, or the message to show while failed
/// attempts hold them back.
async fn gate(
    db: &Db,
    security: &SecuritySettings,
    caller: &Caller,
) -> AppResult<Result<Keys, String>> {
    let keys = Keys::new(
        &caller.username,
        caller.ip.as_deref().and_then(|i| i.parse().ok()),
    );
    let policies = Policies::from_settings(security);
    Ok(match throttle::begin(db, &policies, &keys).await? {
        Gate::Wait(seconds) => Err(crate::user::throttled_message(caller.lang, seconds)),
        Gate::Open => Ok(keys),
    })
}

/// Checks a code of the caller's (TOTP or, when `recovery` allows, a recovery
/// code), counting a wrong one towards the login throttle. `Ok(None)` when
/// right, else the message to show.
pub async fn check_own_code(
    db: &Db,
    security: &SecuritySettings,
    caller: &Caller,
    code: &str,
    recovery: bool,
) -> AppResult<Option<String>> {
    let keys = match gate(db, security, caller).await? {
        Ok(keys) => keys,
        Err(wait) => return Ok(Some(wait)),
    };
    let secret = store::totp_secret(db, caller.user_id)
        .await?
        .ok_or(AppError::BadRequest("no second factor"))?;
    let ok = if is_totp_code(code) {
        match secret.check(code, crate::db::now()) {
            Some(step) => store::accept_step(db, caller.user_id, step).await?,
            None => false,
        }
    } else {
        recovery && store::use_recovery_code(db, caller.user_id, code).await?
    };
    if ok {
        throttle::succeeded(db, &keys).await?;
        Ok(None)
    } else {
        Ok(Some(
            FieldError::new("totp_code", "err-totp-code").message(caller.lang),
        ))
    }
}

/// Checks the caller's password the same way, throttled.
pub async fn check_own_password(
    db: &Db,
    security: &SecuritySettings,
    caller: &Caller,
    field: &str,
    given: &str,
) -> AppResult<Option<String>> {
    let keys = match gate(db, security, caller).await? {
        Ok(keys) => keys,
        Err(wait) => return Ok(Some(wait)),
    };
    let hash = users::login_user(db, &caller.username)
        .await?
        .map(|u| u.password_hash)
        .unwrap_or_else(|| password::dummy_hash().to_string());
    if password::verify(given.to_string(), hash).await {
        throttle::succeeded(db, &keys).await?;
        Ok(None)
    } else {
        Ok(Some(
            FieldError::new(field, "err-password-wrong").message(caller.lang),
        ))
    }
}
