//! Calendar tokens and the events of a feed. A user has at most one live
//! token; creating a new one revokes the old. Events are read with the
//! owner's scope, like every other read.

use sha2::Digest;
use sqlx::AssertSqlSafe;

use super::Event;
use crate::{
    auth::{Scope, hash_token, random_token},
    date::Day,
    db::{Db, DbError, Tx, UserId, now},
};

/// Revokes the user's live token and makes a new one; returns the token itself
/// (shown once in the feed URL; only its hash is stored).
pub async fn create(tx: &mut Tx, user: UserId) -> Result<String, DbError> {
    revoke(tx, user).await?;
    let token = random_token(24);
    sqlx::query(
        "INSERT INTO calendar_tokens (user_id, token_hash, created_at) VALUES ($1, $2, $3)",
    )
    .bind(user)
    .bind(hash_token(&token))
    .bind(now())
    .execute(&mut **tx)
    .await?;
    Ok(token)
}

/// Revokes the user's live token; returns how many were revoked.
pub async fn revoke(tx: &mut Tx, user: UserId) -> Result<u64, DbError> {
    let done = sqlx::query(
        "UPDATE calendar_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
    )
    .bind(now())
    .bind(user)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}

/// When the user's live token was created, if there is one.
pub async fn live_since(db: &Db, user: UserId) -> Result<Option<i64>, DbError> {
    sqlx::query_scalar(
        "SELECT created_at FROM calendar_tokens WHERE user_id = $1 AND revoked_at IS NULL \
         ORDER BY id DESC LIMIT 1",
    )
    .bind(user)
    .fetch_optional(db.pool())
    .await
}

/// The user a live token belongs to.
pub async fn resolve(db: &Db, token: &str) -> Result<Option<UserId>, DbError> {
    sqlx::query_scalar(
        "SELECT user_id FROM calendar_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
    )
    .bind(hash_token(token))
    .fetch_optional(db.pool())
    .await
}

/// How many events of each kind a feed holds at most.
const LIMIT: i64 = 1000;

fn short_digest(s: &str) -> String {
    hex::encode(&sha2::Sha256::digest(s.as_bytes())[..6])
}

/// The events of a feed for `scope`: report deadlines of issued campaigns the
/// scope issues or takes part in, milestones of plans of units in the scope,
/// and the deadlines and planned dates of problems the scope owns.
/// `base` is the public URL, `host` names the UIDs' domain.
pub async fn events(db: &Db, scope: &Scope, base: &str, host: &str) -> Result<Vec<Event>, DbError> {
    let base = base.trim_end_matches('/');
    let mut out = Vec::new();

    let sql = format!(
        "SELECT c.id, c.title, c.report_due_on, o.name FROM campaigns c JOIN orgs o ON o.id = c.org_id \
         WHERE c.status <> 'draft' AND {} ORDER BY c.report_due_on, c.id LIMIT {LIMIT}",
        crate::campaign::store::visible_sql(scope)
    );
    let rows: Vec<(i64, String, String, String)> = sqlx::query_as(AssertSqlSafe(sql))
        .fetch_all(db.pool())
        .await?;
    for (id, title, due, issuer) in rows {
        let Some(day) = Day::from_db(&due) else {
            continue;
        };
        out.push(Event {
            uid: format!("campaign-{id}-report@{host}"),
            day,
            summary: format!("【报送截止】{title}"),
            description: format!("{issuer}：{title}，情况汇总表报送截止"),
            url: format!("{base}/campaigns/{id}"),
        });
    }

    let sql = format!(
        "SELECT pm.plan_id, pm.title, pm.due_on, pm.org_id, o.name, c.id, c.title FROM plan_milestones pm \
         JOIN plans pl ON pl.id = pm.plan_id JOIN campaigns c ON c.id = pl.campaign_id \
         JOIN orgs o ON o.id = pm.org_id \
         WHERE c.status <> 'draft' AND {} ORDER BY pm.due_on, pm.plan_id, pm.position LIMIT {LIMIT}",
        scope.sql("pm.org_id")
    );
    type MilestoneRow = (i64, String, String, i64, String, i64, String);
    let rows: Vec<MilestoneRow> = sqlx::query_as(AssertSqlSafe(sql))
        .fetch_all(db.pool())
        .await?;
    for (plan, title, due, unit, unit_name, campaign, campaign_title) in rows {
        let Some(day) = Day::from_db(&due) else {
            continue;
        };
        out.push(Event {
            uid: format!(
                "milestone-{plan}-{}@{host}",
                short_digest(&format!("{due}|{title}"))
            ),
            day,
            summary: format!("【方案节点】{title}（{unit_name}）"),
            description: format!("{campaign_title}：{unit_name}实施方案时间节点“{title}”"),
            url: format!("{base}/campaigns/{campaign}/plans/{unit}"),
        });
    }

    let sql = format!(
        "SELECT p.id, p.outcome, p.outcome_on, p.description, w.name FROM problems p \
         JOIN orgs w ON w.id = p.owner_org_id \
         WHERE p.state = 'decided' AND p.outcome IN ('in_progress', 'planned') \
         AND p.outcome_on IS NOT NULL AND {} ORDER BY p.outcome_on, p.id LIMIT {LIMIT}",
        scope.sql("p.owner_org_id")
    );
    let rows: Vec<(i64, String, String, String, String)> = sqlx::query_as(AssertSqlSafe(sql))
        .fetch_all(db.pool())
        .await?;
    for (id, outcome, due, description, owner) in rows {
        let Some(day) = Day::from_db(&due) else {
            continue;
        };
        let label = if outcome == "planned" {
            "计划解决"
        } else {
            "完成时限"
        };
        out.push(Event {
            uid: format!("problem-{id}-due@{host}"),
            day,
            summary: format!("【问题{label}】{}", crate::notify::excerpt(&description)),
            description: format!("{owner}：{description}"),
            url: format!("{base}/problems/{id}"),
        });
    }
    Ok(out)
}
