//! Sessions for people: a random token in an HttpOnly, SameSite=Lax cookie, only
//! its hash in the database. A new session is made at every login (rotation);
//! it ends after an idle period or a maximum age, whichever comes first.

use crate::{
    config::SecuritySettings,
    db::{Db, DbError, OrgId, UserId, now},
};

use super::{hash_token, random_token};

/// Starts a session and returns the token for the cookie.
pub async fn create(
    db: &Db,
    user: UserId,
    org: OrgId,
    s: &SecuritySettings,
) -> Result<String, DbError> {
    let token = random_token(32);
    let t = now();
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, org_id, created_at, last_seen_at, expires_at) \
         VALUES ($1, $2, $3, $4, $4, $5)",
    )
    .bind(hash_token(&token))
    .bind(user)
    .bind(org)
    .bind(t)
    .bind(t + s.session_max_hours * 3600)
    .execute(db.pool())
    .await?;
    Ok(token)
}

/// The user of a live session, touching its idle clock; `None` when absent or expired.
pub async fn resolve(
    db: &Db,
    token: &str,
    s: &SecuritySettings,
) -> Result<Option<UserId>, DbError> {
    let hash = hash_token(token);
    let row: Option<(UserId, i64, i64)> = sqlx::query_as(
        "SELECT user_id, last_seen_at, expires_at FROM sessions WHERE token_hash = $1",
    )
    .bind(&hash)
    .fetch_optional(db.pool())
    .await?;
    let Some((user, last_seen, expires)) = row else {
        return Ok(None);
    };
    let t = now();
    if t >= expires || t - last_seen > s.session_idle_minutes * 60 {
        destroy(db, token).await?;
        return Ok(None);
    }
    // Writing on every request would serialise readers behind SQLite's writer lock.
    if t - last_seen >= 60 {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
            .bind(t)
            .bind(&hash)
            .execute(db.pool())
            .await?;
    }
    Ok(Some(user))
}

/// Ends one session.
pub async fn destroy(db: &Db, token: &str) -> Result<(), DbError> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(hash_token(token))
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Ends every session of a user (password change, deactivation).
pub async fn destroy_all_for(db: &Db, user: UserId) -> Result<(), DbError> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user)
        .execute(db.pool())
        .await?;
    Ok(())
}
