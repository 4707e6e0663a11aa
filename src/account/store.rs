//! Second-factor secrets, recovery codes and pending logins.

use super::{TotpSecret, recovery_code_hash};
use crate::{
    auth::{hash_token, random_token},
    db::{Db, DbError, Tx, UserId, now},
};

/// How long the second step of a login may wait after the password (seconds).
pub const CHALLENGE_SECONDS: i64 = 300;

/// Wrong codes one pending login may take before the password must be typed again.
pub const CHALLENGE_ATTEMPTS: i64 = 5;

/// The TOTP secret of a user, if they have set one up.
pub async fn totp_secret(db: &Db, user: UserId) -> Result<Option<TotpSecret>, DbError> {
    let s: Option<Option<String>> =
        sqlx::query_scalar("SELECT totp_secret FROM users WHERE id = $1")
            .bind(user)
            .fetch_optional(db.pool())
            .await?;
    Ok(s.flatten().and_then(|s| TotpSecret::parse(&s)))
}

/// Accepts a time step for a user once: false when this or a later step was
/// already used (a code seen over a shoulder or replayed is refused).
pub async fn accept_step(db: &Db, user: UserId, step: i64) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND totp_secret IS NOT NULL \
         AND (totp_last_step IS NULL OR totp_last_step < $1)",
    )
    .bind(step)
    .bind(user)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Turns the second factor on with a confirmed secret (the step of the code
/// that confirmed it counts as used).
pub async fn enable_totp(
    tx: &mut Tx,
    user: UserId,
    secret: &TotpSecret,
    step: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE users SET totp_secret = $1, totp_enabled_at = $2, totp_last_step = $3, updated_at = $2 WHERE id = $4",
    )
    .bind(secret.as_str())
    .bind(now())
    .bind(step)
    .bind(user)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Turns the second factor off and drops the recovery codes.
pub async fn disable_totp(tx: &mut Tx, user: UserId) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE users SET totp_secret = NULL, totp_enabled_at = NULL, totp_last_step = NULL, updated_at = $1 WHERE id = $2",
    )
    .bind(now())
    .bind(user)
    .execute(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Replaces a user's recovery codes with `codes` (stored hashed).
pub async fn replace_recovery_codes(
    tx: &mut Tx,
    user: UserId,
    codes: &[String],
) -> Result<(), DbError> {
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user)
        .execute(&mut **tx)
        .await?;
    let t = now();
    for code in codes {
        let normalized = super::normalize_recovery_code(code).unwrap_or_default();
        sqlx::query(
            "INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES ($1, $2, $3)",
        )
        .bind(user)
        .bind(recovery_code_hash(&normalized))
        .bind(t)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Uses up one recovery code; false when it is not an unused code of the user.
pub async fn use_recovery_code(db: &Db, user: UserId, raw: &str) -> Result<bool, DbError> {
    let Some(normalized) = super::normalize_recovery_code(raw) else {
        return Ok(false);
    };
    let done = sqlx::query(
        "UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL",
    )
    .bind(now())
    .bind(user)
    .bind(recovery_code_hash(&normalized))
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Starts the second step of a login and returns its token (only the hash is stored).
pub async fn create_challenge(db: &Db, user: UserId) -> Result<String, DbError> {
    let token = random_token(32);
    let t = now();
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM login_challenges WHERE expires_at < $1")
        .bind(t)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO login_challenges (token_hash, user_id, attempts, created_at, expires_at) VALUES ($1, $2, 0, $3, $4)",
    )
    .bind(hash_token(&token))
    .bind(user)
    .bind(t)
    .bind(t + CHALLENGE_SECONDS)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(token)
}

/// The user of a pending login that has not expired.
pub async fn challenge_user(db: &Db, token: &str) -> Result<Option<UserId>, DbError> {
    sqlx::query_scalar(
        "SELECT user_id FROM login_challenges WHERE token_hash = $1 AND expires_at >= $2",
    )
    .bind(hash_token(token))
    .bind(now())
    .fetch_optional(db.pool())
    .await
}

/// Counts a wrong code on a pending login; ends it (returns false) once it
/// has taken [`CHALLENGE_ATTEMPTS`].
pub async fn challenge_failed(db: &Db, token: &str) -> Result<bool, DbError> {
    let hash = hash_token(token);
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE login_challenges SET attempts = attempts + 1 WHERE token_hash = $1")
        .bind(&hash)
        .execute(&mut *tx)
        .await?;
    let attempts: Option<i64> =
        sqlx::query_scalar("SELECT attempts FROM login_challenges WHERE token_hash = $1")
            .bind(&hash)
            .fetch_optional(&mut *tx)
            .await?;
    let alive = attempts.is_some_and(|a| a < CHALLENGE_ATTEMPTS);
    if !alive {
        sqlx::query("DELETE FROM login_challenges WHERE token_hash = $1")
            .bind(&hash)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(alive)
}

/// Ends a pending login (it succeeded).
pub async fn end_challenge(db: &Db, token: &str) -> Result<(), DbError> {
    sqlx::query("DELETE FROM login_challenges WHERE token_hash = $1")
        .bind(hash_token(token))
        .execute(db.pool())
        .await?;
    Ok(())
}
