//! User, role and login-attempt queries.

use sqlx::AssertSqlSafe;

use super::{Grant, NewUser, User};
use crate::{
    auth::{Role, Scope},
    db::{Db, DbError, GrantId, OrgId, Tx, UserId, is_unique_violation, now},
    error::AppError,
};

/// What the `Caller` extractor needs about a user.
pub struct Principal {
    pub username: String,
    pub display_name: String,
    pub org_id: OrgId,
    pub grants: Vec<(OrgId, Role)>,
    /// The top-level org (no parent) the user administers, if any.
    pub top_admin: Option<OrgId>,
    /// Whether a second factor (TOTP) is set up.
    pub totp: bool,
    /// When the password was last set (epoch seconds).
    pub password_changed_at: i64,
}

/// An active user with their roles at active orgs; `None` if absent or deactivated.
pub async fn principal(db: &Db, id: UserId) -> Result<Option<Principal>, DbError> {
    let row: Option<(String, String, OrgId, Option<i64>, i64)> = sqlx::query_as(
        "SELECT username, display_name, org_id, totp_enabled_at, password_changed_at FROM users WHERE id = $1 AND active = 1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    let Some((username, display_name, org_id, totp, password_changed_at)) = row else {
        return Ok(None);
    };
    let rows: Vec<(OrgId, String, i64)> = sqlx::query_as(
        "SELECT g.org_id, g.role, CASE WHEN o.parent_id IS NULL THEN 1 ELSE 0 END \
         FROM role_grants g JOIN orgs o ON o.id = g.org_id \
         WHERE g.user_id = $1 AND o.active = 1 ORDER BY g.org_id",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    let grants: Vec<(OrgId, Role, bool)> = rows
        .into_iter()
        .filter_map(|(o, r, top)| Role::parse(&r).map(|r| (o, r, top == 1)))
        .collect();
    Ok(Some(Principal {
        username,
        display_name,
        org_id,
        top_admin: grants
            .iter()
            .find(|(_, r, top)| *r == Role::Admin && *top)
            .map(|(o, _, _)| *o),
        grants: grants.into_iter().map(|(o, r, _)| (o, r)).collect(),
        totp: totp.is_some(),
        password_changed_at,
    }))
}

/// What the login needs about an active user.
pub struct LoginUser {
    pub id: UserId,
    pub org: OrgId,
    pub username: String,
    pub password_hash: String,
    /// Whether a second factor (TOTP) is set up.
    pub totp: bool,
}

/// An active user by login name, for the login.
pub async fn login_user(db: &Db, username: &str) -> Result<Option<LoginUser>, DbError> {
    let row: Option<(UserId, OrgId, String, String, Option<String>)> = sqlx::query_as(
        "SELECT id, org_id, username, password_hash, totp_secret FROM users WHERE username = $1 AND active = 1",
    )
    .bind(username.trim().to_lowercase())
    .fetch_optional(db.pool())
    .await?;
    Ok(
        row.map(|(id, org, username, password_hash, totp)| LoginUser {
            id,
            org,
            username,
            password_hash,
            totp: totp.is_some(),
        }),
    )
}

/// An active user by id, for the second step of a login.
pub async fn login_user_by_id(db: &Db, id: UserId) -> Result<Option<LoginUser>, DbError> {
    let name: Option<String> =
        sqlx::query_scalar("SELECT username FROM users WHERE id = $1 AND active = 1")
            .bind(id)
            .fetch_optional(db.pool())
            .await?;
    match name {
        Some(n) => login_user(db, &n).await,
        None => Ok(None),
    }
}

/// Counts a failed or refused attempt on the account named, if there is one;
/// the same statement runs for unknown names, so both take the same time.
pub async fn count_failure(tx: &mut Tx, username: &str) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE users SET failed_logins = failed_logins + 1 WHERE username = $1 AND active = 1",
    )
    .bind(username.trim().to_lowercase())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Records a successful login: the last one becomes the previous one, with
/// the failed attempts counted since it.
pub async fn record_login(tx: &mut Tx, id: UserId, ip: Option<&str>) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE users SET prev_login_at = last_login_at, prev_login_ip = last_login_ip,          prev_login_failures = failed_logins, failed_logins = 0, last_login_at = $2, last_login_ip = $3          WHERE id = $1",
    )
    .bind(id)
    .bind(now())
    .bind(ip)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The login before the current one, as shown after logging in.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct LastLogin {
    /// When (epoch seconds).
    pub at: i64,
    /// From which client address, when known.
    pub ip: Option<String>,
    /// Failed or refused login attempts on the account between that login and this one.
    pub failed_attempts: i64,
}

/// The login before the current one, if there was one.
pub async fn last_login(db: &Db, id: UserId) -> Result<Option<LastLogin>, DbError> {
    let row: Option<(Option<i64>, Option<String>, i64)> = sqlx::query_as(
        "SELECT prev_login_at, prev_login_ip, prev_login_failures FROM users WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.and_then(|(at, ip, failed_attempts)| {
        at.map(|at| LastLogin {
            at,
            ip,
            failed_attempts,
        })
    }))
}

/// A person's own login security: second factor, password age, last login.
#[derive(Clone, Debug)]
pub struct Security {
    pub totp_enabled_at: Option<i64>,
    pub password_changed_at: i64,
    pub last_login: Option<LastLogin>,
    /// Unused recovery codes left.
    pub recovery_codes_left: i64,
}

/// TOTP since, password set, previous login time, address and failures since.
type SecurityRow = (Option<i64>, i64, Option<i64>, Option<String>, i64);

/// The login security of one user.
pub async fn security(db: &Db, id: UserId) -> Result<Option<Security>, DbError> {
    let row: Option<SecurityRow> = sqlx::query_as(
        "SELECT totp_enabled_at, password_changed_at, prev_login_at, prev_login_ip, prev_login_failures \
         FROM users WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    let Some((totp_enabled_at, password_changed_at, prev_at, prev_ip, failures)) = row else {
        return Ok(None);
    };
    let left: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL",
    )
    .bind(id)
    .fetch_one(db.pool())
    .await?;
    Ok(Some(Security {
        totp_enabled_at,
        password_changed_at,
        last_login: prev_at.map(|at| LastLogin {
            at,
            ip: prev_ip,
            failed_attempts: failures,
        }),
        recovery_codes_left: left,
    }))
}

/// Creates a user at `org` (already checked to be in the caller's scope).
pub async fn insert(
    tx: &mut Tx,
    u: &NewUser,
    org: OrgId,
    password_hash: &str,
) -> Result<UserId, AppError> {
    let t = now();
    let id: UserId = sqlx::query_scalar(
        "INSERT INTO users (org_id, username, display_name, phone, email, password_hash, active, failed_logins, \
         password_changed_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 1, 0, $7, $7, $7) RETURNING id",
    )
    .bind(org)
    .bind(u.username.as_str())
    .bind(&u.display_name)
    .bind(u.phone.as_ref().map(|p| p.as_str().to_string()))
    .bind(&u.email)
    .bind(password_hash)
    .bind(t)
    .fetch_one(&mut **tx)
    .await
    .map_err(|e| if is_unique_violation(&e) { AppError::field("username", "err-username-taken") } else { e.into() })?;
    if let Some(role) = u.role {
        grant(tx, id, org, role).await?;
    }
    Ok(id)
}

/// Gives `user` a role at `org`; granting a role already held changes nothing.
pub async fn grant(
    tx: &mut Tx,
    user: UserId,
    org: OrgId,
    role: Role,
) -> Result<Option<GrantId>, DbError> {
    let existing: Option<GrantId> = sqlx::query_scalar(
        "SELECT id FROM role_grants WHERE user_id = $1 AND org_id = $2 AND role = $3",
    )
    .bind(user)
    .bind(org)
    .bind(role.as_str())
    .fetch_optional(&mut **tx)
    .await?;
    if existing.is_some() {
        return Ok(None);
    }
    let id = sqlx::query_scalar(
        "INSERT INTO role_grants (user_id, org_id, role, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(user)
    .bind(org)
    .bind(role.as_str())
    .bind(now())
    .fetch_one(&mut **tx)
    .await?;
    Ok(Some(id))
}

/// Removes a grant, if it belongs to `user` and its org lies in `scope`; returns it.
pub async fn revoke(
    tx: &mut Tx,
    scope: &Scope,
    user: UserId,
    grant: GrantId,
) -> Result<Option<(OrgId, Role)>, DbError> {
    let sql = format!(
        "SELECT org_id, role FROM role_grants WHERE id = $1 AND user_id = $2 AND {}",
        scope.sql("org_id")
    );
    let row: Option<(OrgId, String)> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(grant)
        .bind(user)
        .fetch_optional(&mut **tx)
        .await?;
    let Some((org, role)) = row else {
        return Ok(None);
    };
    sqlx::query("DELETE FROM role_grants WHERE id = $1")
        .bind(grant)
        .execute(&mut **tx)
        .await?;
    Ok(Role::parse(&role).map(|r| (org, r)))
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: UserId,
    org_id: OrgId,
    org_name: String,
    username: String,
    display_name: String,
    phone: Option<String>,
    email: Option<String>,
    active: i64,
}

const USER_COLS: &str = "u.id, u.org_id, o.name AS org_name, u.username, u.display_name, u.phone, u.email, \
                         u.active";

async fn grants_of(db: &Db, ids: &[UserId]) -> Result<Vec<(UserId, Grant)>, DbError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list: Vec<String> = ids.iter().map(|i| i.0.to_string()).collect();
    let sql = format!(
        "SELECT g.user_id, g.id, g.org_id, o.code, o.name, g.role FROM role_grants g JOIN orgs o ON o.id = g.org_id \
         WHERE g.user_id IN ({}) ORDER BY o.display_order, o.sort_key, g.role",
        list.join(",")
    );
    let rows: Vec<(UserId, GrantId, OrgId, String, String, String)> =
        sqlx::query_as(AssertSqlSafe(sql))
            .fetch_all(db.pool())
            .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(u, id, org_id, org_code, org_name, role)| {
            Role::parse(&role).map(|role| {
                (
                    u,
                    Grant {
                        id,
                        org_id,
                        org_code,
                        org_name,
                        role,
                    },
                )
            })
        })
        .collect())
}

async fn with_grants(db: &Db, rows: Vec<UserRow>) -> Result<Vec<User>, DbError> {
    let ids: Vec<UserId> = rows.iter().map(|r| r.id).collect();
    let grants = grants_of(db, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|r| User {
            grants: grants
                .iter()
                .filter(|(u, _)| *u == r.id)
                .map(|(_, g)| g.clone())
                .collect(),
            id: r.id,
            org_id: r.org_id,
            org_name: r.org_name,
            username: r.username,
            display_name: r.display_name,
            phone: r.phone,
            email: r.email,
            active: r.active != 0,
            throttled_until: None,
        })
        .collect())
}

/// Users whose home org lies in the scope, optionally matching `q`, and the total.
pub async fn list(
    db: &Db,
    scope: &Scope,
    q: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<User>, i64), DbError> {
    let pattern = crate::org::store::like_pattern(q.unwrap_or(""));
    let cond = format!(
        "{} AND (u.username LIKE $1 ESCAPE '\\' OR u.display_name LIKE $1 ESCAPE '\\')",
        scope.sql("u.org_id")
    );
    let total: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM users u WHERE {cond}"
    )))
    .bind(&pattern)
    .fetch_one(db.pool())
    .await?;
    let sql = format!(
        "SELECT {USER_COLS} FROM users u JOIN orgs o ON o.id = u.org_id WHERE {cond} \
         ORDER BY o.display_order, o.sort_key, u.username LIMIT $2 OFFSET $3"
    );
    let rows: Vec<UserRow> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(&pattern)
        .bind(limit)
        .bind(offset)
        .fetch_all(db.pool())
        .await?;
    Ok((with_grants(db, rows).await?, total))
}

/// One user whose home org lies in the scope.
pub async fn get(db: &Db, scope: &Scope, id: UserId) -> Result<Option<User>, DbError> {
    let sql = format!(
        "SELECT {USER_COLS} FROM users u JOIN orgs o ON o.id = u.org_id WHERE u.id = $1 AND {}",
        scope.sql("u.org_id")
    );
    let rows: Vec<UserRow> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(id)
        .fetch_all(db.pool())
        .await?;
    Ok(with_grants(db, rows).await?.into_iter().next())
}

/// A user's id by login name, ignoring scope (CLI only).
pub async fn id_by_username(db: &Db, username: &str) -> Result<Option<(UserId, OrgId)>, DbError> {
    sqlx::query_as("SELECT id, org_id FROM users WHERE username = $1")
        .bind(username.trim().to_ascii_lowercase())
        .fetch_optional(db.pool())
        .await
}

/// Sets a new password hash, dating it.
pub async fn set_password(tx: &mut Tx, id: UserId, hash: &str) -> Result<(), DbError> {
    sqlx::query("UPDATE users SET password_hash = $1, password_changed_at = $2, updated_at = $2 WHERE id = $3")
        .bind(hash)
        .bind(now())
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Activates or deactivates a user.
pub async fn set_active(tx: &mut Tx, id: UserId, active: bool) -> Result<(), DbError> {
    sqlx::query("UPDATE users SET active = $1, updated_at = $2 WHERE id = $3")
        .bind(i64::from(active))
        .bind(now())
        .bind(id)
        .execute(&mut **tx)
        .await?;
    if !active {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Lifts an account's login throttle early (every address may try again).
pub async fn unlock(tx: &mut Tx, username: &str) -> Result<(), DbError> {
    crate::auth::throttle::clear_account(tx, username).await
}
