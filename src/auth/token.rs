//! Bearer tokens for scripts: shown once at creation, stored as a hash, revocable.

use crate::db::{Db, DbError, OrgId, TokenId, UserId, now};

use super::{hash_token, random_token};

/// The prefix that makes a Qingting token recognisable in a leaked config file.
pub const PREFIX: &str = "qt_";

/// Creates a token for `user` and returns its id and the secret, which is never stored.
pub async fn create(
    db: &Db,
    user: UserId,
    org: OrgId,
    name: &str,
) -> Result<(TokenId, String), DbError> {
    let secret = format!("{PREFIX}{}", random_token(32));
    let id: TokenId = sqlx::query_scalar(
        "INSERT INTO api_tokens (user_id, org_id, name, token_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(user)
    .bind(org)
    .bind(name)
    .bind(hash_token(&secret))
    .bind(now())
    .fetch_one(db.pool())
    .await?;
    Ok((id, secret))
}

/// The user a live token belongs to.
pub async fn resolve(db: &Db, secret: &str) -> Result<Option<UserId>, DbError> {
    let hash = hash_token(secret);
    let row: Option<(UserId, Option<i64>)> = sqlx::query_as(
        "SELECT user_id, last_used_at FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
    )
    .bind(&hash)
    .fetch_optional(db.pool())
    .await?;
    let Some((user, last_used)) = row else {
        return Ok(None);
    };
    let t = now();
    if last_used.is_none_or(|l| t - l >= 60) {
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE token_hash = $2")
            .bind(t)
            .bind(&hash)
            .execute(db.pool())
            .await?;
    }
    Ok(Some(user))
}

/// Revokes a token; returns whether a live token was revoked.
pub async fn revoke(db: &Db, id: TokenId) -> Result<bool, DbError> {
    let done =
        sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now())
            .bind(id)
            .execute(db.pool())
            .await?;
    Ok(done.rows_affected() > 0)
}
