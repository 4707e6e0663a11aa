//! Robot queries: the robots of an org (read through the caller's scope), the
//! delivery queue, its claims and the attempt log.

use serde::Serialize;

use super::{Change, Outcome, Platform, RobotView, mask_secret, mask_url};
use crate::{
    auth::Scope,
    db::{Db, DbError, OrgId, Tx, UserId, now},
    i18n::Lang,
    notify::Notice,
};

/// Queues `notice` for every enabled robot of its org, once per robot and
/// dedup key, in the caller's transaction. Returns how many were new.
pub async fn queue(tx: &mut Tx, notice: &Notice) -> Result<u64, DbError> {
    let done = sqlx::query(
        "INSERT INTO robot_deliveries (robot_id, org_id, kind, dedup_key, subject, body, link, \
         status, attempts, next_attempt_at, created_at) \
         SELECT r.id, r.org_id, $2, $3, $4, $5, $6, 'pending', 0, $7, $7 FROM robots r \
         WHERE r.org_id = $1 AND r.enabled = 1 AND r.webhook <> '' \
         ON CONFLICT (robot_id, dedup_key) DO NOTHING",
    )
    .bind(notice.org)
    .bind(notice.kind.as_str())
    .bind(&notice.dedup_key)
    .bind(notice.subject(Lang::Zh))
    .bind(notice.text(Lang::Zh))
    .bind(&notice.link)
    .bind(now())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}

/// Whether `org` is inside `scope`.
async fn reaches(db: &Db, scope: &Scope, org: OrgId) -> Result<bool, DbError> {
    scope.contains(db, org).await
}

type RobotRow = (String, String, String, i64, i64);

/// The robots of `org`, one per platform (unconfigured ones too), masked;
/// `None` when the org lies outside `scope`.
pub async fn robots(db: &Db, scope: &Scope, org: OrgId) -> Result<Option<Vec<RobotView>>, DbError> {
    if !reaches(db, scope, org).await? {
        return Ok(None);
    }
    let rows: Vec<RobotRow> = sqlx::query_as(
        "SELECT platform, webhook, secret, enabled, updated_at FROM robots WHERE org_id = $1",
    )
    .bind(org)
    .fetch_all(db.pool())
    .await?;
    Ok(Some(
        Platform::ALL
            .into_iter()
            .map(|p| {
                let row = rows.iter().find(|r| r.0 == p.as_str());
                match row {
                    Some((_, webhook, secret, enabled, updated_at)) => RobotView {
                        platform: p,
                        configured: !webhook.is_empty(),
                        enabled: *enabled == 1,
                        webhook: (!webhook.is_empty()).then(|| mask_url(webhook)),
                        secret: (!secret.is_empty()).then(|| mask_secret(secret)),
                        updated_at: Some(*updated_at),
                    },
                    None => RobotView {
                        platform: p,
                        configured: false,
                        enabled: false,
                        webhook: None,
                        secret: None,
                        updated_at: None,
                    },
                }
            })
            .collect(),
    ))
}

/// Applies the changes to `org`'s robots; returns a description of what
/// changed per platform (no addresses or secrets) for the audit entry, empty
/// when nothing did. A robot enabled without an address is refused by the
/// schema; callers check that first.
pub async fn save(
    tx: &mut Tx,
    org: OrgId,
    changes: &[Change],
    by: UserId,
) -> Result<Vec<String>, DbError> {
    let mut done = Vec::new();
    for c in changes {
        let old: Option<(String, String, i64)> = sqlx::query_as(
            "SELECT webhook, secret, enabled FROM robots WHERE org_id = $1 AND platform = $2",
        )
        .bind(org)
        .bind(c.platform.as_str())
        .fetch_optional(&mut **tx)
        .await?;
        let (old_webhook, old_secret, old_enabled) =
            old.clone().unwrap_or((String::new(), String::new(), 0));
        let (webhook, secret, enabled) = if c.removes() {
            (String::new(), String::new(), false)
        } else {
            let webhook = c.webhook.clone().unwrap_or(old_webhook.clone());
            let secret = if c.platform == Platform::Dingtalk {
                c.secret.clone().unwrap_or(old_secret.clone())
            } else {
                String::new()
            };
            // A new address turns a robot on unless the change says otherwise.
            let enabled = c
                .enabled
                .unwrap_or(old_enabled == 1 || (old_webhook.is_empty() && !webhook.is_empty()));
            (webhook.clone(), secret, enabled && !webhook.is_empty())
        };
        if (webhook.as_str(), secret.as_str(), i64::from(enabled))
            == (old_webhook.as_str(), old_secret.as_str(), old_enabled)
        {
            continue;
        }
        let mut what = Vec::new();
        if webhook != old_webhook {
            what.push(if webhook.is_empty() {
                "removed"
            } else {
                "webhook"
            });
        }
        if secret != old_secret && !webhook.is_empty() {
            what.push(if secret.is_empty() {
                "secret cleared"
            } else {
                "secret"
            });
        }
        if i64::from(enabled) != old_enabled && !webhook.is_empty() {
            what.push(if enabled { "enabled" } else { "disabled" });
        }
        done.push(format!("{}: {}", c.platform.as_str(), what.join(", ")));
        let ts = now();
        if old.is_some() {
            sqlx::query(
                "UPDATE robots SET webhook = $1, secret = $2, enabled = $3, updated_by = $4, updated_at = $5 \
                 WHERE org_id = $6 AND platform = $7",
            )
            .bind(&webhook)
            .bind(&secret)
            .bind(i64::from(enabled))
            .bind(by)
            .bind(ts)
            .bind(org)
            .bind(c.platform.as_str())
            .execute(&mut **tx)
            .await?;
        } else {
            sqlx::query(
                "INSERT INTO robots (org_id, platform, webhook, secret, enabled, updated_by, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(org)
            .bind(c.platform.as_str())
            .bind(&webhook)
            .bind(&secret)
            .bind(i64::from(enabled))
            .bind(by)
            .bind(ts)
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(done)
}

/// Queues a test message for `org`'s robot on `platform` (configured, enabled
/// or not); `None` when that robot has no address.
pub async fn queue_test(
    tx: &mut Tx,
    org: OrgId,
    platform: Platform,
    subject: &str,
    text: &str,
    link: &str,
) -> Result<Option<i64>, DbError> {
    let ts = now();
    sqlx::query_scalar(
        "INSERT INTO robot_deliveries (robot_id, org_id, kind, dedup_key, subject, body, link, \
         status, attempts, next_attempt_at, created_at) \
         SELECT r.id, r.org_id, 'test', $3, $4, $5, $6, 'pending', 0, $7, $7 FROM robots r \
         WHERE r.org_id = $1 AND r.platform = $2 AND r.webhook <> '' RETURNING id",
    )
    .bind(org)
    .bind(platform.as_str())
    .bind(format!("test:{}", crate::auth::random_token(8)))
    .bind(subject)
    .bind(text)
    .bind(link)
    .bind(ts)
    .fetch_optional(&mut **tx)
    .await
}

/// A claimed delivery with its robot's address and secret. No `Debug`: it
/// holds secrets.
#[derive(Clone)]
pub struct Claimed {
    pub id: i64,
    pub org_id: OrgId,
    pub platform: Platform,
    pub webhook: String,
    pub secret: String,
    /// Attempts including this one.
    pub attempts: i64,
    pub subject: String,
    pub text: String,
    pub link: String,
}

type ClaimRow = (
    i64,
    OrgId,
    String,
    String,
    String,
    i64,
    String,
    String,
    String,
);

/// Claims up to `limit` deliveries due at `at` (or only `only`, due or not,
/// enabled or not): each becomes 'sending' with one more attempt and a lease
/// until `at + lease`, in one transaction, so two workers never post the same
/// delivery. A 'sending' row whose lease ran out is claimable again.
/// Deliveries of a disabled robot wait until it is enabled again.
pub async fn claim(
    db: &Db,
    at: i64,
    lease: i64,
    limit: i64,
    only: Option<i64>,
) -> Result<Vec<Claimed>, DbError> {
    let mut tx = db.begin().await?;
    let ids: Vec<i64> = match only {
        Some(id) => vec![id],
        None => {
            sqlx::query_scalar(
                "SELECT d.id FROM robot_deliveries d JOIN robots r ON r.id = d.robot_id \
                 WHERE d.status IN ('pending', 'sending') AND d.next_attempt_at <= $1 \
                 AND r.enabled = 1 AND r.webhook <> '' ORDER BY d.next_attempt_at, d.id LIMIT $2",
            )
            .bind(at)
            .bind(limit)
            .fetch_all(&mut *tx)
            .await?
        }
    };
    let mut claimed = Vec::new();
    for id in ids {
        // Checked again in the UPDATE: on PostgreSQL another worker may have
        // claimed the row since the SELECT.
        let due = if only.is_some() {
            "status = 'pending'"
        } else {
            "status IN ('pending', 'sending') AND next_attempt_at <= $3"
        };
        let sql = format!(
            "UPDATE robot_deliveries SET status = 'sending', attempts = attempts + 1, next_attempt_at = $1 \
             WHERE id = $2 AND {due} RETURNING id"
        );
        let mut q = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql))
            .bind(at + lease)
            .bind(id);
        if only.is_none() {
            q = q.bind(at);
        }
        let Some(id) = q.fetch_optional(&mut *tx).await? else {
            continue;
        };
        let row: Option<ClaimRow> = sqlx::query_as(
            "SELECT d.id, d.org_id, r.platform, r.webhook, r.secret, d.attempts, d.subject, d.body, d.link \
             FROM robot_deliveries d JOIN robots r ON r.id = d.robot_id WHERE d.id = $1 AND r.webhook <> ''",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((id, org_id, platform, webhook, secret, attempts, subject, text, link)) = row
        else {
            continue;
        };
        let Some(platform) = Platform::parse(&platform) else {
            continue;
        };
        claimed.push(Claimed {
            id,
            org_id,
            platform,
            webhook,
            secret,
            attempts,
            subject,
            text,
            link,
        });
    }
    tx.commit().await?;
    Ok(claimed)
}

/// Logs one attempt and moves the delivery: sent, back to pending at
/// `retry_at`, or failed — in one transaction.
pub async fn record_attempt(
    db: &Db,
    d: &Claimed,
    outcome: &Outcome,
    duration_ms: i64,
    at: i64,
    retry_at: Option<i64>,
) -> Result<(), DbError> {
    let error: Option<String> = outcome
        .error
        .as_ref()
        .map(|e| e.chars().take(500).collect());
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO robot_attempts (delivery_id, org_id, attempt, at, http_status, errcode, error, duration_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(d.id)
    .bind(d.org_id)
    .bind(d.attempts)
    .bind(at)
    .bind(outcome.http_status.map(i64::from))
    .bind(outcome.errcode)
    .bind(error.as_deref())
    .bind(duration_ms)
    .execute(&mut *tx)
    .await?;
    match (&error, retry_at) {
        (None, _) => {
            sqlx::query(
                "UPDATE robot_deliveries SET status = 'sent', sent_at = $1, last_error = NULL \
                 WHERE id = $2 AND status = 'sending'",
            )
            .bind(at)
            .bind(d.id)
            .execute(&mut *tx)
            .await?;
        }
        (Some(e), Some(retry)) => {
            sqlx::query(
                "UPDATE robot_deliveries SET status = 'pending', next_attempt_at = $1, last_error = $2 \
                 WHERE id = $3 AND status = 'sending'",
            )
            .bind(retry)
            .bind(e)
            .bind(d.id)
            .execute(&mut *tx)
            .await?;
        }
        (Some(e), None) => {
            sqlx::query(
                "UPDATE robot_deliveries SET status = 'failed', last_error = $1 WHERE id = $2 AND status = 'sending'",
            )
            .bind(e)
            .bind(d.id)
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// One attempt to post a delivery.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AttemptView {
    pub attempt: i64,
    pub at: i64,
    /// None when no answer came (connection refused, timeout).
    pub http_status: Option<i64>,
    pub errcode: Option<i64>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// A delivery as the robot page lists it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct DeliveryView {
    pub id: i64,
    pub platform: Platform,
    /// The notification kind, or `test`.
    pub kind: String,
    pub subject: String,
    /// `pending`, `sending`, `sent` or `failed`.
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    pub last_error: Option<String>,
    /// Every attempt, oldest first.
    pub log: Vec<AttemptView>,
}

type DeliveryRow = (
    i64,
    String,
    String,
    String,
    String,
    i64,
    i64,
    i64,
    Option<i64>,
    Option<String>,
);
type AttemptRow = (i64, i64, i64, Option<i64>, Option<i64>, Option<String>, i64);

/// The newest `limit` deliveries of `org` (inside `scope`) with their attempts.
pub async fn deliveries(
    db: &Db,
    scope: &Scope,
    org: OrgId,
    limit: i64,
) -> Result<Option<Vec<DeliveryView>>, DbError> {
    if !reaches(db, scope, org).await? {
        return Ok(None);
    }
    let rows: Vec<DeliveryRow> = sqlx::query_as(
        "SELECT d.id, r.platform, d.kind, d.subject, d.status, d.attempts, d.next_attempt_at, \
         d.created_at, d.sent_at, d.last_error FROM robot_deliveries d JOIN robots r ON r.id = d.robot_id \
         WHERE d.org_id = $1 ORDER BY d.id DESC LIMIT $2",
    )
    .bind(org)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    let (lo, hi) = (
        rows.iter().map(|r| r.0).min().unwrap_or(0),
        rows.iter().map(|r| r.0).max().unwrap_or(0),
    );
    let attempts: Vec<AttemptRow> = sqlx::query_as(
        "SELECT delivery_id, attempt, at, http_status, errcode, error, duration_ms FROM robot_attempts \
         WHERE org_id = $1 AND delivery_id >= $2 AND delivery_id <= $3 ORDER BY id",
    )
    .bind(org)
    .bind(lo)
    .bind(hi)
    .fetch_all(db.pool())
    .await?;
    Ok(Some(
        rows.into_iter()
            .filter_map(
                |(
                    id,
                    platform,
                    kind,
                    subject,
                    status,
                    tries,
                    next,
                    created_at,
                    sent_at,
                    last_error,
                )| {
                    Some(DeliveryView {
                        id,
                        platform: Platform::parse(&platform)?,
                        kind,
                        subject,
                        status,
                        attempts: tries,
                        next_attempt_at: next,
                        created_at,
                        sent_at,
                        last_error,
                        log: attempts
                            .iter()
                            .filter(|a| a.0 == id)
                            .map(|a| AttemptView {
                                attempt: a.1,
                                at: a.2,
                                http_status: a.3,
                                errcode: a.4,
                                error: a.5.clone(),
                                duration_ms: a.6,
                            })
                            .collect(),
                    })
                },
            )
            .collect(),
    ))
}
