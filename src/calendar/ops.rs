//! The use cases of the calendar feed: creating and revoking the caller's
//! feed token (each with its audit entry), and reading the feed a token
//! names. No HTTP here.

use super::{Event, render, store};
use crate::{
    audit::{Action, Audited, Entry},
    auth::{Caller, Scope},
    db::Db,
    error::{AppError, AppResult},
};

/// Creates the caller's feed token, revoking the previous one; returns the
/// token (shown once: only its hash is kept).
pub async fn create(db: &Db, caller: &Caller) -> AppResult<String> {
    let mut tx = Audited::begin(db).await?;
    let token = store::create(&mut tx, caller.user_id).await?;
    let e = Entry::by(caller, caller.home_org, Action::CalendarTokenCreated)
        .target(format!("user:{}", caller.user_id));
    tx.commit([e]).await?;
    Ok(token)
}

/// Revokes the caller's feed token; how many were live (0 writes no entry).
pub async fn revoke(db: &Db, caller: &Caller) -> AppResult<u64> {
    let mut tx = Audited::begin(db).await?;
    let n = store::revoke(&mut tx, caller.user_id).await?;
    let e = (n > 0).then(|| {
        Entry::by(caller, caller.home_org, Action::CalendarTokenRevoked)
            .target(format!("user:{}", caller.user_id))
    });
    tx.commit(e).await?;
    Ok(n)
}

/// The feed file (`{token}.ics`) as iCalendar text, for the user the token
/// names and within that user's scope. An unknown or revoked token, a user
/// who left, or another file name is not found.
pub async fn feed(db: &Db, file: &str, public_url: &str) -> AppResult<String> {
    let token = file.strip_suffix(".ics").ok_or(AppError::NotFound)?;
    if token.is_empty() || token.len() > 128 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AppError::NotFound);
    }
    let user_id = store::resolve(db, token).await?.ok_or(AppError::NotFound)?;
    let p = crate::user::store::principal(db, user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let scope = Scope::of(p.grants.iter().map(|(o, _)| *o).collect());
    let host = public_url
        .split_once("://")
        .map_or(public_url, |(_, r)| r)
        .split(['/', ':'])
        .next()
        .filter(|h| !h.is_empty())
        .unwrap_or("qingting")
        .to_string();
    let events: Vec<Event> = store::events(db, &scope, public_url, &host).await?;
    let name = format!("倾听 · {}", p.display_name);
    Ok(render(&name, chrono::Utc::now(), &events))
}
