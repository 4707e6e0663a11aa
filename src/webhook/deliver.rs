//! The delivery worker, started by `serve`: every `[webhooks] poll_seconds`
//! it fans waiting outbox events out to the subscriptions that want them,
//! claims the deliveries due (see [`store::claim`] for why two workers never
//! post the same one), POSTs each — a few at a time, each within
//! `timeout_seconds` — and records the attempt ([`ops::record_attempt`]).
//! Once an hour it removes finished deliveries older than `keep_days`.
//!
//! A crash after the receiver accepted a post and before the attempt was
//! recorded posts it once more when the claim's lease runs out: receivers
//! see a delivery at least once and may drop a repeated `X-Qingting-Delivery`.

use std::{sync::Arc, time::Duration};

use serde_json::Value;
use tokio::task::JoinSet;

use super::{
    Payload, Wants, absolute_link, answer_excerpt, ops, rfc3339, signature,
    store::{self, Claimed, Outcome},
};
use crate::{
    config::Settings,
    db::{Db, DbError, WebhookDeliveryId, now},
    notify::robot::webhook as http,
};

/// Outbox events fanned out per run.
const FAN_OUT: i64 = 500;
/// Deliveries claimed per run.
const BATCH: i64 = 100;
/// Posts in flight at once.
const PARALLEL: usize = 8;

/// What one run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Deliveries made from outbox events.
    pub fanned_out: u64,
    pub delivered: u64,
    /// Failed attempts (retried later or given up).
    pub failed: u64,
    /// Subscriptions turned off by their failures.
    pub turned_off: u64,
}

/// What a post needs from the settings, owned so posts can run as tasks.
struct Poster {
    public_url: String,
    timeout: Duration,
    schedule: Vec<i64>,
    disable_after: i64,
}

impl Poster {
    fn of(settings: &Settings) -> Poster {
        let w = &settings.webhooks;
        Poster {
            public_url: settings.server.public_url.clone(),
            timeout: Duration::from_secs(w.timeout_seconds.max(1)),
            // Checked at start (`Settings::validate`).
            schedule: w.retries().unwrap_or_default(),
            disable_after: w.disable_after.max(1),
        }
    }

    /// How long a claim holds a delivery: longer than any post may take.
    fn lease(&self) -> i64 {
        self.timeout.as_secs() as i64 * 3 + 60
    }
}

/// Starts the worker inside the server (nothing when `poll_seconds` is 0).
/// Errors are logged and the loop goes on.
pub fn spawn(db: Db, settings: Arc<Settings>, wants: Wants) {
    let secs = settings.webhooks.poll_seconds;
    if secs == 0 {
        return;
    }
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(secs));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut purged_at = 0;
        loop {
            tick.tick().await;
            let at = now();
            match run(&db, &settings, &wants, at).await {
                Ok(r) if r != Report::default() => {
                    tracing::info!(
                        webhook.fanned_out = r.fanned_out,
                        webhook.delivered = r.delivered,
                        webhook.failed = r.failed,
                        webhook.turned_off = r.turned_off,
                        "webhook run"
                    );
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "webhook run failed"),
            }
            if at - purged_at >= 3600 {
                purged_at = at;
                let before = at - settings.webhooks.keep_days.max(1) * 86_400;
                if let Err(e) = store::purge(&db, before).await {
                    tracing::error!(error = %e, "webhook purge failed");
                }
            }
        }
    });
}

/// One run at `at` (epoch seconds): fan out, post what is due, and read the
/// wanted events again (another server may have changed subscriptions).
pub async fn run(db: &Db, settings: &Settings, wants: &Wants, at: i64) -> Result<Report, DbError> {
    let poster = Arc::new(Poster::of(settings));
    let mut report = Report {
        fanned_out: store::fan_out(db, at, FAN_OUT).await?,
        ..Report::default()
    };
    let batch = store::claim(db, at, poster.lease(), BATCH, None).await?;
    let mut tasks = JoinSet::new();
    let mut results = Vec::new();
    for d in batch {
        if tasks.len() >= PARALLEL
            && let Some(done) = tasks.join_next().await
        {
            results.push(done);
        }
        tasks.spawn(attempt(db.clone(), poster.clone(), d, at));
    }
    while let Some(done) = tasks.join_next().await {
        results.push(done);
    }
    for done in results {
        let (delivered, turned_off) = done.map_err(|e| DbError::Protocol(e.to_string()))??;
        if delivered {
            report.delivered += 1;
        } else {
            report.failed += 1;
        }
        report.turned_off += u64::from(turned_off);
    }
    ops::refresh(db, wants).await?;
    Ok(report)
}

/// Posts one queued delivery now, whatever its due time and whether its
/// subscription is active (a test event, a redelivery). Returns whether it
/// was delivered, or `None` when it was not pending.
pub async fn deliver_now(
    db: &Db,
    settings: &Settings,
    id: WebhookDeliveryId,
    at: i64,
) -> Result<Option<bool>, DbError> {
    let poster = Arc::new(Poster::of(settings));
    let batch = store::claim(db, at, poster.lease(), 1, Some(id)).await?;
    match batch.into_iter().next() {
        Some(d) => Ok(Some(attempt(db.clone(), poster, d, at).await?.0)),
        None => Ok(None),
    }
}

/// The exact bytes posted for a delivery.
fn body(poster: &Poster, d: &Claimed) -> Vec<u8> {
    let payload = Payload {
        event: d.event.clone(),
        id: d.id.0,
        occurred_at: rfc3339(d.occurred_at),
        org: d.org.clone(),
        record: serde_json::from_str(&d.record).unwrap_or(Value::Null),
        link: absolute_link(&poster.public_url, &d.link),
    };
    serde_json::to_vec(&payload).unwrap_or_default()
}

/// One signed POST of a claimed delivery, its attempt recorded. Returns
/// whether it was delivered and whether its subscription was turned off.
async fn attempt(
    db: Db,
    poster: Arc<Poster>,
    d: Claimed,
    at: i64,
) -> Result<(bool, bool), DbError> {
    let bytes = body(&poster, &d);
    let headers = [
        ("x-qingting-event", d.event.clone()),
        ("x-qingting-delivery", d.id.to_string()),
        ("x-qingting-signature", signature(&d.secret, &bytes)),
    ];
    let started = std::time::Instant::now();
    let answer = http::post_json_with(&d.url, bytes, &headers, poster.timeout).await;
    let duration_ms = started.elapsed().as_millis() as i64;
    let outcome = match answer {
        Ok(a) => Outcome {
            http_status: Some(a.status),
            response: Some(answer_excerpt(&a.body)),
            error: (!(200..300).contains(&a.status)).then(|| format!("HTTP {}", a.status)),
            duration_ms,
        },
        Err(e) => Outcome {
            http_status: None,
            response: None,
            error: Some(e.0),
            duration_ms,
        },
    };
    if let Some(e) = &outcome.error {
        // The error text never holds the URL (it may carry a key).
        tracing::warn!(webhook.delivery = d.id.0, webhook.subscription = d.subscription.0,
            webhook.attempts = d.attempts, error = %e, "webhook delivery not accepted");
    }
    let turned_off = ops::record_attempt(
        &db,
        &poster.schedule,
        poster.disable_after,
        &d,
        &outcome,
        at,
    )
    .await?;
    Ok((outcome.error.is_none(), turned_off))
}
