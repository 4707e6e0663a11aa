//! Webhook queries: subscriptions (read through the caller's admin scope),
//! the outbox, the deliveries with their claims, and the attempt log. Lists
//! of ids inlined into SQL come from the database, so they cannot inject.

use sqlx::{AnyConnection, AssertSqlSafe};

use super::{
    Attempt, Delivery, DeliveryBrief, DeliveryStatus, Disabled, Event, OrgRef, Subscription,
};
use crate::{
    auth::Scope,
    db::{Db, DbError, OrgId, Tx, UserId, WebhookDeliveryId, WebhookId},
};

fn id_list<T: std::fmt::Display>(ids: &[T]) -> String {
    let list: Vec<String> = ids.iter().map(ToString::to_string).collect();
    list.join(",")
}

// ---- subscriptions ----

#[derive(sqlx::FromRow)]
struct SubscriptionRow {
    id: WebhookId,
    org_id: OrgId,
    org_code: String,
    org_name: String,
    url: String,
    active: i64,
    disabled_reason: Option<String>,
    disabled_at: Option<i64>,
    failures: i64,
    created_by: UserId,
    created_by_name: String,
    created_at: i64,
    updated_at: i64,
    secret_rotated_at: i64,
}

const SELECT: &str = "SELECT s.id, s.org_id, o.code AS org_code, o.name AS org_name, s.url, s.active, \
    s.disabled_reason, s.disabled_at, s.failures, s.created_by, u.display_name AS created_by_name, \
    s.created_at, s.updated_at, s.secret_rotated_at \
    FROM webhook_subscriptions s JOIN orgs o ON o.id = s.org_id JOIN users u ON u.id = s.created_by";

type BriefRow = (
    WebhookId,
    WebhookDeliveryId,
    String,
    String,
    i64,
    Option<i64>,
);

/// The subscriptions of orgs inside `scope`, with `only` one of them when given.
async fn subscriptions(
    db: &Db,
    scope: &Scope,
    only: Option<WebhookId>,
) -> Result<Vec<Subscription>, DbError> {
    let mut sql = format!("{SELECT} WHERE {}", scope.sql("s.org_id"));
    if only.is_some() {
        sql.push_str(" AND s.id = $1");
    }
    sql.push_str(" ORDER BY o.code, s.id");
    let mut q = sqlx::query_as::<_, SubscriptionRow>(AssertSqlSafe(sql));
    if let Some(id) = only {
        q = q.bind(id);
    }
    let rows = q.fetch_all(db.pool()).await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<WebhookId> = rows.iter().map(|r| r.id).collect();
    let list = id_list(&ids);
    let events: Vec<(WebhookId, String)> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT subscription_id, event FROM webhook_subscription_events \
         WHERE subscription_id IN ({list}) ORDER BY subscription_id, event"
    )))
    .fetch_all(db.pool())
    .await?;
    let briefs: Vec<BriefRow> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT d.subscription_id, d.id, o.event, d.status, d.created_at, \
         (SELECT a.http_status FROM webhook_attempts a WHERE a.delivery_id = d.id ORDER BY a.id DESC LIMIT 1) \
         FROM webhook_deliveries d JOIN webhook_outbox o ON o.id = d.outbox_id \
         WHERE d.id IN (SELECT MAX(id) FROM webhook_deliveries WHERE subscription_id IN ({list}) \
         GROUP BY subscription_id)"
    )))
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let mut wanted: Vec<Event> = events
                .iter()
                .filter(|(s, _)| *s == r.id)
                .filter_map(|(_, e)| Event::parse(e))
                .collect();
            wanted.sort();
            let last_delivery =
                briefs
                    .iter()
                    .find(|b| b.0 == r.id)
                    .and_then(|(_, id, event, status, at, http)| {
                        Some(DeliveryBrief {
                            id: *id,
                            event: event.clone(),
                            status: DeliveryStatus::parse(status)?,
                            created_at: *at,
                            http_status: *http,
                        })
                    });
            Subscription {
                id: r.id,
                org_id: r.org_id,
                org_code: r.org_code,
                org_name: r.org_name,
                url: r.url,
                events: wanted,
                active: r.active == 1,
                disabled_reason: r.disabled_reason.as_deref().and_then(Disabled::parse),
                disabled_at: r.disabled_at,
                failures: r.failures,
                created_by: r.created_by,
                created_by_name: r.created_by_name,
                created_at: r.created_at,
                updated_at: r.updated_at,
                secret_rotated_at: r.secret_rotated_at,
                last_delivery,
            }
        })
        .collect())
}

/// The subscriptions of orgs inside `scope`, by org code.
pub async fn list(db: &Db, scope: &Scope) -> Result<Vec<Subscription>, DbError> {
    subscriptions(db, scope, None).await
}

/// One subscription, if its org lies inside `scope`.
pub async fn get(db: &Db, scope: &Scope, id: WebhookId) -> Result<Option<Subscription>, DbError> {
    Ok(subscriptions(db, scope, Some(id)).await?.pop())
}

/// The events some active subscription wants (for [`super::Wants`]).
pub async fn wanted_events(db: &Db) -> Result<Vec<Event>, DbError> {
    let codes: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT e.event FROM webhook_subscription_events e \
         JOIN webhook_subscriptions s ON s.id = e.subscription_id WHERE s.active = 1",
    )
    .fetch_all(db.pool())
    .await?;
    Ok(codes.iter().filter_map(|c| Event::parse(c)).collect())
}

/// Stores a new subscription with its events; returns its id.
pub async fn insert(
    tx: &mut Tx,
    org: OrgId,
    url: &str,
    secret: &str,
    active: bool,
    by: UserId,
    at: i64,
) -> Result<WebhookId, DbError> {
    sqlx::query_scalar(
        "INSERT INTO webhook_subscriptions (org_id, url, secret, active, failures, disabled_reason, \
         disabled_at, created_by, created_at, updated_by, updated_at, secret_rotated_at) \
         VALUES ($1, $2, $3, $4, 0, $5, $6, $7, $8, $7, $8, $8) RETURNING id",
    )
    .bind(org)
    .bind(url)
    .bind(secret)
    .bind(i64::from(active))
    .bind((!active).then_some(Disabled::Admin.as_str()))
    .bind((!active).then_some(at))
    .bind(by)
    .bind(at)
    .fetch_one(&mut **tx)
    .await
}

/// Replaces the events a subscription wants.
pub async fn set_events(tx: &mut Tx, id: WebhookId, events: &[Event]) -> Result<(), DbError> {
    sqlx::query("DELETE FROM webhook_subscription_events WHERE subscription_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    for e in events {
        sqlx::query(
            "INSERT INTO webhook_subscription_events (subscription_id, event) VALUES ($1, $2)",
        )
        .bind(id)
        .bind(e.as_str())
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// What a change of a subscription sets, besides who changed it and when.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Set<'a> {
    Url(&'a str),
    Secret(&'a str),
    /// On again: the failure count and the reason it was off are cleared.
    On,
    /// Off by an admin.
    Off,
    /// Only who and when (its events changed).
    Touch,
}

/// Applies one change; returns whether the row changed (turning on what is
/// on, or off what is off, changes nothing).
pub async fn set(
    tx: &mut Tx,
    id: WebhookId,
    what: Set<'_>,
    by: UserId,
    at: i64,
) -> Result<bool, DbError> {
    let (columns, only, value) = match what {
        Set::Url(url) => ("url = $3, ", "", Some(url)),
        Set::Secret(secret) => ("secret = $3, secret_rotated_at = $2, ", "", Some(secret)),
        Set::On => (
            "active = 1, failures = 0, disabled_reason = NULL, disabled_at = NULL, ",
            " AND active = 0",
            None,
        ),
        Set::Off => (
            "active = 0, disabled_reason = 'admin', disabled_at = $2, ",
            " AND active = 1",
            None,
        ),
        Set::Touch => ("", "", None),
    };
    // The id is an integer, inlined like a scope's org ids.
    let sql = format!(
        "UPDATE webhook_subscriptions SET {columns}updated_by = $1, updated_at = $2 WHERE id = {}{only}",
        id.0
    );
    let mut q = sqlx::query(AssertSqlSafe(sql)).bind(by).bind(at);
    if let Some(v) = value {
        q = q.bind(v);
    }
    Ok(q.execute(&mut **tx).await?.rows_affected() > 0)
}

/// Deletes a subscription with its events, deliveries and their log (the
/// audit entry keeps that it existed).
pub async fn delete(tx: &mut Tx, id: WebhookId) -> Result<(), DbError> {
    for sql in [
        "DELETE FROM webhook_attempts WHERE subscription_id = $1",
        "DELETE FROM webhook_deliveries WHERE subscription_id = $1",
        "DELETE FROM webhook_subscription_events WHERE subscription_id = $1",
        "DELETE FROM webhook_subscriptions WHERE id = $1",
    ] {
        sqlx::query(sql).bind(id).execute(&mut **tx).await?;
    }
    Ok(())
}

// ---- the outbox ----

/// Whether an active subscription over `org` (its org is `org` or an
/// ancestor) wants `event`: one indexed look-up through the closure table.
pub async fn wanted(tx: &mut Tx, event: Event, org: OrgId) -> Result<bool, DbError> {
    let hit: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM webhook_subscription_events e \
         JOIN webhook_subscriptions s ON s.id = e.subscription_id AND s.active = 1 \
         JOIN org_tree t ON t.ancestor_id = s.org_id AND t.descendant_id = $2 \
         WHERE e.event = $1 LIMIT 1",
    )
    .bind(event.as_str())
    .bind(org)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(hit.is_some())
}

/// An org's id, code and name, read inside a transaction (a union founded in it).
pub async fn org_ref(conn: &mut AnyConnection, id: OrgId) -> Result<Option<OrgRef>, DbError> {
    let row: Option<(OrgId, String, String)> =
        sqlx::query_as("SELECT id, code, name FROM orgs WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(row.map(|(id, code, name)| OrgRef { id, code, name }))
}

/// Writes an event into the outbox; `fanned` marks it fanned out already
/// (a test event, queued for one subscription by its writer).
pub async fn push(
    tx: &mut Tx,
    event: &str,
    org: OrgId,
    record: &str,
    link: &str,
    at: i64,
    fanned: bool,
) -> Result<i64, DbError> {
    sqlx::query_scalar(
        "INSERT INTO webhook_outbox (event, org_id, record, link, occurred_at, fanned_out_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(event)
    .bind(org)
    .bind(record)
    .bind(link)
    .bind(at)
    .bind(fanned.then_some(at))
    .fetch_one(&mut **tx)
    .await
}

/// Fans out up to `limit` waiting outbox events, oldest first, in one
/// transaction: each gets a delivery for every active subscription that
/// wants it and whose org's subtree holds the event's org. The events are
/// marked first (`UPDATE … WHERE fanned_out_at IS NULL`), so a second worker
/// on PostgreSQL waits for this one and then finds them taken. Returns the
/// deliveries made.
pub async fn fan_out(db: &Db, at: i64, limit: i64) -> Result<u64, DbError> {
    let mut tx = db.begin().await?;
    let waiting: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM webhook_outbox WHERE fanned_out_at IS NULL ORDER BY id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    if waiting.is_empty() {
        return Ok(0);
    }
    let mut taken = Vec::with_capacity(waiting.len());
    for id in waiting {
        let done = sqlx::query(
            "UPDATE webhook_outbox SET fanned_out_at = $1 WHERE id = $2 AND fanned_out_at IS NULL",
        )
        .bind(at)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() > 0 {
            taken.push(id);
        }
    }
    let mut made = 0;
    if !taken.is_empty() {
        made = sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO webhook_deliveries (subscription_id, outbox_id, status, attempts, retry, \
             next_attempt_at, created_at) \
             SELECT s.id, o.id, 'pending', 0, 1, $1, $1 FROM webhook_outbox o \
             JOIN webhook_subscription_events e ON e.event = o.event \
             JOIN webhook_subscriptions s ON s.id = e.subscription_id AND s.active = 1 \
             JOIN org_tree t ON t.ancestor_id = s.org_id AND t.descendant_id = o.org_id \
             WHERE o.id IN ({}) ORDER BY o.id, s.id",
            id_list(&taken)
        )))
        .bind(at)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    }
    tx.commit().await?;
    Ok(made)
}

/// Queues one delivery of an outbox event to one subscription (a test
/// event, a redelivery), due now.
pub async fn queue(
    tx: &mut Tx,
    subscription: WebhookId,
    outbox: i64,
    retry: bool,
    redelivery_of: Option<WebhookDeliveryId>,
    at: i64,
) -> Result<WebhookDeliveryId, DbError> {
    sqlx::query_scalar(
        "INSERT INTO webhook_deliveries (subscription_id, outbox_id, status, attempts, retry, \
         next_attempt_at, redelivery_of, created_at) VALUES ($1, $2, 'pending', 0, $3, $4, $5, $4) \
         RETURNING id",
    )
    .bind(subscription)
    .bind(outbox)
    .bind(i64::from(retry))
    .bind(at)
    .bind(redelivery_of)
    .fetch_one(&mut **tx)
    .await
}

/// The outbox event (id and code) of a delivery of a subscription inside `scope`.
pub async fn outbox_of(
    db: &Db,
    scope: &Scope,
    subscription: WebhookId,
    delivery: WebhookDeliveryId,
) -> Result<Option<(i64, String)>, DbError> {
    let sql = format!(
        "SELECT d.outbox_id, o.event FROM webhook_deliveries d \
         JOIN webhook_subscriptions s ON s.id = d.subscription_id JOIN webhook_outbox o ON o.id = d.outbox_id \
         WHERE d.id = $1 AND d.subscription_id = $2 AND {}",
        scope.sql("s.org_id")
    );
    sqlx::query_as(AssertSqlSafe(sql))
        .bind(delivery)
        .bind(subscription)
        .fetch_optional(db.pool())
        .await
}

// ---- claims and attempts ----

/// A claimed delivery with what its post needs. No `Debug`: it holds the secret.
#[derive(Clone)]
pub struct Claimed {
    pub id: WebhookDeliveryId,
    pub subscription: WebhookId,
    pub url: String,
    pub secret: String,
    pub event: String,
    pub record: String,
    pub link: String,
    pub occurred_at: i64,
    pub org: OrgRef,
    /// Attempts including this one.
    pub attempts: i64,
    /// Whether a failure is retried (test events are not).
    pub retry: bool,
}

#[derive(sqlx::FromRow)]
struct ClaimRow {
    id: WebhookDeliveryId,
    subscription_id: WebhookId,
    url: String,
    secret: String,
    event: String,
    record: String,
    link: String,
    occurred_at: i64,
    org_id: OrgId,
    org_code: String,
    org_name: String,
    attempts: i64,
    retry: i64,
}

/// Claims up to `limit` deliveries due at `at` of active subscriptions (or
/// only `only`, due or not, active or not): each becomes 'sending' with one
/// more attempt and a lease until `at + lease`, in one transaction, so two
/// workers never post the same delivery. A 'sending' row whose lease ran out
/// (the process died mid-post) is claimable again.
pub async fn claim(
    db: &Db,
    at: i64,
    lease: i64,
    limit: i64,
    only: Option<WebhookDeliveryId>,
) -> Result<Vec<Claimed>, DbError> {
    let mut tx = db.begin().await?;
    let ids: Vec<WebhookDeliveryId> = match only {
        Some(id) => vec![id],
        None => {
            sqlx::query_scalar(
                "SELECT d.id FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id \
                 WHERE d.status IN ('pending', 'sending') AND d.next_attempt_at <= $1 AND s.active = 1 \
                 ORDER BY d.next_attempt_at, d.id LIMIT $2",
            )
            .bind(at)
            .bind(limit)
            .fetch_all(&mut *tx)
            .await?
        }
    };
    let due = if only.is_some() {
        "status = 'pending'"
    } else {
        "status IN ('pending', 'sending') AND next_attempt_at <= $3"
    };
    let update = format!(
        "UPDATE webhook_deliveries SET status = 'sending', attempts = attempts + 1, next_attempt_at = $1 \
         WHERE id = $2 AND {due} RETURNING id"
    );
    let mut claimed = Vec::new();
    for id in ids {
        // Checked again in the UPDATE: on PostgreSQL another worker may have
        // claimed the row since the SELECT.
        let mut q = sqlx::query_scalar::<_, WebhookDeliveryId>(AssertSqlSafe(update.clone()))
            .bind(at + lease)
            .bind(id);
        if only.is_none() {
            q = q.bind(at);
        }
        if q.fetch_optional(&mut *tx).await?.is_none() {
            continue;
        }
        let row: ClaimRow = sqlx::query_as(
            "SELECT d.id, d.subscription_id, s.url, s.secret, o.event, o.record, o.link, o.occurred_at, \
             o.org_id, g.code AS org_code, g.name AS org_name, d.attempts, d.retry \
             FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id \
             JOIN webhook_outbox o ON o.id = d.outbox_id JOIN orgs g ON g.id = o.org_id WHERE d.id = $1",
        )
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        claimed.push(Claimed {
            id: row.id,
            subscription: row.subscription_id,
            url: row.url,
            secret: row.secret,
            event: row.event,
            record: row.record,
            link: row.link,
            occurred_at: row.occurred_at,
            org: OrgRef {
                id: row.org_id,
                code: row.org_code,
                name: row.org_name,
            },
            attempts: row.attempts,
            retry: row.retry == 1,
        });
    }
    tx.commit().await?;
    Ok(claimed)
}

/// What one post came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub http_status: Option<u16>,
    /// The first 2 KB of the answer.
    pub response: Option<String>,
    /// `None` when the receiver answered 2xx.
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// Logs one attempt.
pub async fn log_attempt(
    tx: &mut Tx,
    d: &Claimed,
    outcome: &Outcome,
    at: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO webhook_attempts (delivery_id, subscription_id, attempt, at, http_status, response, \
         error, duration_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(d.id)
    .bind(d.subscription)
    .bind(d.attempts)
    .bind(at)
    .bind(outcome.http_status.map(i64::from))
    .bind(outcome.response.as_deref())
    .bind(outcome.error.as_deref())
    .bind(outcome.duration_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Moves a claimed delivery on: delivered, back to pending at `retry_at`,
/// or failed.
pub async fn settle(
    tx: &mut Tx,
    id: WebhookDeliveryId,
    delivered: bool,
    retry_at: Option<i64>,
    at: i64,
) -> Result<(), DbError> {
    let q = match (delivered, retry_at) {
        (true, _) => sqlx::query(
            "UPDATE webhook_deliveries SET status = 'delivered', delivered_at = $1 WHERE id = $2 AND status = 'sending'",
        )
        .bind(at),
        (false, Some(retry)) => sqlx::query(
            "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $1 WHERE id = $2 AND status = 'sending'",
        )
        .bind(retry),
        (false, None) => sqlx::query(
            "UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = $1 WHERE id = $2 AND status = 'sending'",
        )
        .bind(at),
    };
    q.bind(id).execute(&mut **tx).await?;
    Ok(())
}

/// The active users among `ids`, with their e-mail addresses (for a notice).
pub async fn people(tx: &mut Tx, ids: &[UserId]) -> Result<Vec<(UserId, Option<String>)>, DbError> {
    let mut ids = ids.to_vec();
    ids.sort();
    ids.dedup();
    sqlx::query_as(AssertSqlSafe(format!(
        "SELECT id, email FROM users WHERE id IN ({}) AND active = 1 ORDER BY id",
        id_list(&ids)
    )))
    .fetch_all(&mut **tx)
    .await
}

/// A success clears the count of failures in a row.
pub async fn clear_failures(tx: &mut Tx, id: WebhookId) -> Result<(), DbError> {
    sqlx::query("UPDATE webhook_subscriptions SET failures = 0 WHERE id = $1 AND failures <> 0")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A subscription turned off by its failures: who to tell.
#[derive(Clone, Debug)]
pub struct TurnedOff {
    pub org: OrgId,
    pub url: String,
    pub created_by: UserId,
    pub updated_by: UserId,
    pub failures: i64,
}

/// Counts one failure; at `limit` failures in a row an active subscription
/// is turned off (`disabled_reason` 'failures') and returned, once.
pub async fn count_failure(
    tx: &mut Tx,
    id: WebhookId,
    limit: i64,
    at: i64,
) -> Result<Option<TurnedOff>, DbError> {
    sqlx::query("UPDATE webhook_subscriptions SET failures = failures + 1 WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    let row: Option<(OrgId, String, UserId, UserId, i64)> = sqlx::query_as(
        "UPDATE webhook_subscriptions SET active = 0, disabled_reason = 'failures', disabled_at = $1 \
         WHERE id = $2 AND active = 1 AND failures >= $3 \
         RETURNING org_id, url, created_by, updated_by, failures",
    )
    .bind(at)
    .bind(id)
    .bind(limit)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(
        row.map(|(org, url, created_by, updated_by, failures)| TurnedOff {
            org,
            url,
            created_by,
            updated_by,
            failures,
        }),
    )
}

// ---- the delivery log ----

#[derive(sqlx::FromRow)]
struct DeliveryRow {
    id: WebhookDeliveryId,
    subscription_id: WebhookId,
    event: String,
    status: String,
    attempts: i64,
    next_attempt_at: i64,
    delivered_at: Option<i64>,
    occurred_at: i64,
    created_at: i64,
    redelivery_of: Option<WebhookDeliveryId>,
    link: String,
}

type AttemptRow = (
    WebhookDeliveryId,
    i64,
    i64,
    Option<i64>,
    Option<String>,
    Option<String>,
    i64,
);

/// A page of a subscription's deliveries (inside `scope`), newest first,
/// each with its attempts; and how many there are in all.
pub async fn deliveries(
    db: &Db,
    scope: &Scope,
    subscription: WebhookId,
    only: Option<WebhookDeliveryId>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Delivery>, i64), DbError> {
    // A delivery id is an integer, inlined like the scope's org ids.
    let visible = format!(
        "FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id \
         JOIN webhook_outbox o ON o.id = d.outbox_id WHERE d.subscription_id = $1 AND {}{}",
        scope.sql("s.org_id"),
        only.map(|d| format!(" AND d.id = {}", d.0))
            .unwrap_or_default()
    );
    let total: i64 = sqlx::query_scalar(AssertSqlSafe(format!("SELECT COUNT(*) {visible}")))
        .bind(subscription)
        .fetch_one(db.pool())
        .await?;
    let sql = format!(
        "SELECT d.id, d.subscription_id, o.event, d.status, d.attempts, d.next_attempt_at, d.delivered_at, \
         o.occurred_at, d.created_at, d.redelivery_of, o.link {visible} ORDER BY d.id DESC LIMIT $2 OFFSET $3"
    );
    let q = sqlx::query_as::<_, DeliveryRow>(AssertSqlSafe(sql))
        .bind(subscription)
        .bind(limit)
        .bind(offset);
    let rows = q.fetch_all(db.pool()).await?;
    if rows.is_empty() {
        return Ok((Vec::new(), total));
    }
    let ids: Vec<WebhookDeliveryId> = rows.iter().map(|r| r.id).collect();
    let attempts: Vec<AttemptRow> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT delivery_id, attempt, at, http_status, response, error, duration_ms FROM webhook_attempts \
         WHERE delivery_id IN ({}) ORDER BY id",
        id_list(&ids)
    )))
    .fetch_all(db.pool())
    .await?;
    let list = rows
        .into_iter()
        .filter_map(|r| {
            let status = DeliveryStatus::parse(&r.status)?;
            Some(Delivery {
                id: r.id,
                subscription_id: r.subscription_id,
                event: r.event,
                status,
                attempts: r.attempts,
                next_attempt_at: (status == DeliveryStatus::Pending).then_some(r.next_attempt_at),
                delivered_at: r.delivered_at,
                occurred_at: r.occurred_at,
                created_at: r.created_at,
                redelivery_of: r.redelivery_of,
                link: r.link,
                log: attempts
                    .iter()
                    .filter(|a| a.0 == r.id)
                    .map(|a| Attempt {
                        attempt: a.1,
                        at: a.2,
                        http_status: a.3,
                        response: a.4.clone(),
                        error: a.5.clone(),
                        duration_ms: a.6,
                    })
                    .collect(),
            })
        })
        .collect();
    Ok((list, total))
}

/// Removes finished deliveries created before `before` with their attempts,
/// and outbox events fanned out before it that no delivery needs any more.
/// Returns the deliveries removed.
pub async fn purge(db: &Db, before: i64) -> Result<u64, DbError> {
    let mut tx = db.begin().await?;
    let old = "SELECT id FROM webhook_deliveries WHERE created_at < $1 AND status IN ('delivered', 'failed')";
    sqlx::query(AssertSqlSafe(format!(
        "DELETE FROM webhook_attempts WHERE delivery_id IN ({old})"
    )))
    .bind(before)
    .execute(&mut *tx)
    .await?;
    // A newer redelivery of an old delivery stays, without its link.
    sqlx::query(AssertSqlSafe(format!(
        "UPDATE webhook_deliveries SET redelivery_of = NULL WHERE redelivery_of IN ({old})"
    )))
    .bind(before)
    .execute(&mut *tx)
    .await?;
    let removed = sqlx::query(
        "DELETE FROM webhook_deliveries WHERE created_at < $1 AND status IN ('delivered', 'failed')",
    )
    .bind(before)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    sqlx::query(
        "DELETE FROM webhook_outbox WHERE fanned_out_at IS NOT NULL AND fanned_out_at < $1 \
         AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.outbox_id = webhook_outbox.id)",
    )
    .bind(before)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(removed)
}
