//! The use cases that write: subscribe, change, delete, rotate the secret,
//! send a test event, redeliver; emit an event inside another module's
//! write; record a delivery attempt. Each owns its transaction and audit
//! entry; pages and the API call these and never `begin()`.
//!
//! Subscriptions are managed by admins over their org: a caller who is an
//! admin nowhere is refused (403); one who is, but not over the
//! subscription's org, does not find it (404).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{
    Delivery, Event, PING, Record, Subscription, Wants, WebhookInput, WebhookUpdate, new_secret,
    retry_after,
    store::{self, Set},
};
use crate::{
    audit::{self, Action, Entry},
    auth::{Caller, Need, Scope},
    config::Settings,
    db::{Db, DbError, Tx, WebhookDeliveryId, WebhookId, now},
    error::{AppError, AppResult},
    formation::Pipeline,
    notify::{self, Kind, Notice, robot::mask_url},
    web::{
        form::Errors,
        list::{PageSize, Paging},
    },
};

/// Reads the events active subscriptions want into `wants`.
pub async fn refresh(db: &Db, wants: &Wants) -> Result<(), DbError> {
    wants.set(store::wanted_events(db).await?);
    Ok(())
}

/// The caller's admin scope; 403 for a caller who is an admin nowhere.
pub fn admin_scope(caller: &Caller) -> AppResult<Scope> {
    caller.require(Need::Admin)
}

/// A subscription the caller administers: 403 for non-admins, 404 outside
/// the caller's admin subtrees.
pub async fn find(db: &Db, caller: &Caller, id: WebhookId) -> AppResult<(Subscription, Scope)> {
    let scope = admin_scope(caller)?;
    let s = store::get(db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((s, scope))
}

fn codes(events: &[Event]) -> String {
    events
        .iter()
        .map(|e| e.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A new subscription and its secret, shown this once.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = WebhookCreated)]
pub struct Created {
    #[serde(flatten)]
    pub subscription: Subscription,
    /// Signs every body (`X-Qingting-Signature`). Shown only now: keep it.
    pub secret: String,
}

/// Subscribes a URL to events of an org's subtree (an org the caller is an
/// admin over; the caller's own org by default).
pub async fn subscribe(
    db: &Db,
    wants: &Wants,
    caller: &Caller,
    input: &WebhookInput,
) -> AppResult<Created> {
    let scope = admin_scope(caller)?;
    let (org, change) = input.parse().map_err(AppError::Validation)?;
    let org = org.unwrap_or(caller.home_org);
    if !scope.contains(db, org).await? {
        return Err(AppError::field("org_id", "err-webhook-org"));
    }
    let (Some(url), Some(events)) = (change.url, change.events) else {
        return Err(AppError::BadRequest("unparsed subscription"));
    };
    let active = change.active.unwrap_or(true);
    let secret = new_secret();
    let at = now();
    let mut tx = db.begin().await?;
    let id = store::insert(&mut tx, org, &url, &secret, active, caller.user_id, at).await?;
    store::set_events(&mut tx, id, &events).await?;
    let entry = Entry::by(caller, org, Action::WebhookCreated)
        .target(format!("webhook:{id}"))
        .detail(format!("{} → {}", mask_url(&url), codes(&events)));
    audit::store::record(&mut *tx, &entry).await?;
    tx.commit().await?;
    refresh(db, wants).await?;
    let subscription = store::get(db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Created {
        subscription,
        secret,
    })
}

/// Changes a subscription's URL, events or active flag; turning it on again
/// clears its failures. Audited only when something changed.
pub async fn change(
    db: &Db,
    wants: &Wants,
    caller: &Caller,
    id: WebhookId,
    input: &WebhookUpdate,
) -> AppResult<Subscription> {
    let (current, scope) = find(db, caller, id).await?;
    let change = input.parse().map_err(AppError::Validation)?;
    let at = now();
    let mut done = Vec::new();
    let mut tx = db.begin().await?;
    if let Some(url) = change.url.filter(|u| *u != current.url) {
        store::set(&mut tx, id, Set::Url(&url), caller.user_id, at).await?;
        done.push(format!("url {}", mask_url(&url)));
    }
    if let Some(events) = change.events.filter(|e| *e != current.events) {
        store::set_events(&mut tx, id, &events).await?;
        store::set(&mut tx, id, Set::Touch, caller.user_id, at).await?;
        done.push(format!("events {}", codes(&events)));
    }
    let turn = change.active.map(|on| if on { Set::On } else { Set::Off });
    if let Some(what) = turn
        && store::set(&mut tx, id, what, caller.user_id, at).await?
    {
        let active = what == Set::On;
        done.push(if active { "enabled" } else { "disabled" }.to_string());
    }
    if done.is_empty() {
        tx.rollback().await?;
        return Ok(current);
    }
    let entry = Entry::by(caller, current.org_id, Action::WebhookUpdated)
        .target(format!("webhook:{id}"))
        .detail(done.join("; "));
    audit::store::record(&mut *tx, &entry).await?;
    tx.commit().await?;
    refresh(db, wants).await?;
    store::get(db, &scope, id).await?.ok_or(AppError::NotFound)
}

/// Deletes a subscription with its delivery log.
pub async fn delete(db: &Db, wants: &Wants, caller: &Caller, id: WebhookId) -> AppResult<()> {
    let (current, _) = find(db, caller, id).await?;
    let mut tx = db.begin().await?;
    store::delete(&mut tx, id).await?;
    let entry = Entry::by(caller, current.org_id, Action::WebhookDeleted)
        .target(format!("webhook:{id}"))
        .detail(mask_url(&current.url));
    audit::store::record(&mut *tx, &entry).await?;
    tx.commit().await?;
    refresh(db, wants).await?;
    Ok(())
}

/// Replaces the secret; returns the new one, shown this once. Deliveries
/// posted from now on are signed with it.
pub async fn rotate(db: &Db, caller: &Caller, id: WebhookId) -> AppResult<String> {
    let (current, _) = find(db, caller, id).await?;
    let secret = new_secret();
    let mut tx = db.begin().await?;
    store::set(&mut tx, id, Set::Secret(&secret), caller.user_id, now()).await?;
    let entry = Entry::by(caller, current.org_id, Action::WebhookSecretRotated)
        .target(format!("webhook:{id}"));
    audit::store::record(&mut *tx, &entry).await?;
    tx.commit().await?;
    Ok(secret)
}

/// Sends a test event (`ping`, the subscription as its record) now, active
/// or not, and answers the delivery with its attempt. A failed test is not
/// retried and does not count against the subscription.
pub async fn ping(
    db: &Db,
    settings: &Settings,
    caller: &Caller,
    id: WebhookId,
) -> AppResult<Delivery> {
    let (current, scope) = find(db, caller, id).await?;
    let record = serde_json::to_string(&current).map_err(|e| AppError::Internal(e.into()))?;
    let at = now();
    let mut tx = db.begin().await?;
    let outbox = store::push(
        &mut tx,
        PING,
        current.org_id,
        &record,
        &format!("/webhooks/{id}"),
        at,
        true,
    )
    .await?;
    let delivery = store::queue(&mut tx, id, outbox, false, None, at).await?;
    tx.commit().await?;
    sent(db, settings, &scope, id, delivery).await
}

/// Posts a delivery's event again as a new delivery (retried like any
/// other, unless it is a test event) and answers it after its first attempt.
pub async fn redeliver(
    db: &Db,
    settings: &Settings,
    caller: &Caller,
    id: WebhookId,
    of: WebhookDeliveryId,
) -> AppResult<Delivery> {
    let (_, scope) = find(db, caller, id).await?;
    let (outbox, event) = store::outbox_of(db, &scope, id, of)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut tx = db.begin().await?;
    let delivery = store::queue(&mut tx, id, outbox, event != PING, Some(of), now()).await?;
    tx.commit().await?;
    sent(db, settings, &scope, id, delivery).await
}

/// Posts a queued delivery now and reads it back with its attempt.
async fn sent(
    db: &Db,
    settings: &Settings,
    scope: &Scope,
    id: WebhookId,
    delivery: WebhookDeliveryId,
) -> AppResult<Delivery> {
    super::deliver::deliver_now(db, settings, delivery, now()).await?;
    store::deliveries(db, scope, id, Some(delivery), 1, 0)
        .await?
        .0
        .pop()
        .ok_or(AppError::NotFound)
}

/// A founded union as its event's record: the pipeline as the API shows it
/// and the new union.
#[derive(Serialize)]
struct Founded {
    #[serde(flatten)]
    pipeline: Pipeline,
    union_org: super::OrgRef,
}

fn json(v: &impl Serialize) -> Result<Value, DbError> {
    serde_json::to_value(v).map_err(|e| DbError::Protocol(format!("webhook record: {e}")))
}

/// Emits `event` about `record` inside the transaction of the write that
/// caused it: when an active subscription over the record's org wants the
/// event, the record (read in this transaction, personal data masked) goes
/// into the outbox with the path of its page; otherwise nothing is written.
/// A rolled-back write takes its event with it.
pub async fn emit(tx: &mut Tx, event: Event, record: Record) -> Result<(), DbError> {
    let problem = match &record {
        Record::Problem(id) => match crate::problem::store::get_in(tx, *id).await? {
            Some(p) => Some(p),
            None => return Ok(()),
        },
        _ => None,
    };
    let org = match (&record, &problem) {
        (_, Some(p)) => p.org_id,
        (Record::Summary(s), _) => s.unit_org_id,
        (Record::Response(r), _) => r.org_id,
        (Record::MediationCase { org, .. } | Record::Founding { org, .. }, _) => *org,
        (Record::Problem(_), None) => return Ok(()),
    };
    if !store::wanted(tx, event, org).await? {
        return Ok(());
    }
    let (value, link) = match record {
        Record::Problem(id) => {
            let Some(mut p) = problem.map(crate::problem::Problem::masked) else {
                return Ok(());
            };
            // The receipt code opens the public status page: not for third parties.
            p.receipt_code = None;
            (json(&p)?, format!("/problems/{id}"))
        }
        Record::Summary(s) => {
            let link = format!("/campaigns/{}/summary/{}", s.campaign_id, s.unit_org_id);
            (json(&s)?, link)
        }
        Record::Response(r) => {
            let link = format!("/surveys/{}/responses/{}", r.survey_id, r.id);
            (json(&r)?, link)
        }
        Record::MediationCase { id, .. } => {
            let Some(case) = crate::mediation::store::get_in(tx, id).await? else {
                return Ok(());
            };
            (json(&case.masked())?, format!("/mediation/{id}"))
        }
        Record::Founding {
            pipeline, union, ..
        } => {
            let Some(p) = crate::formation::store::get_in(tx, pipeline).await? else {
                return Ok(());
            };
            let Some(union_org) = store::org_ref(tx, union).await? else {
                return Ok(());
            };
            (
                json(&Founded {
                    pipeline: p,
                    union_org,
                })?,
                format!("/formation/{pipeline}"),
            )
        }
    };
    store::push(
        tx,
        event.as_str(),
        org,
        &value.to_string(),
        &link,
        now(),
        false,
    )
    .await?;
    Ok(())
}

/// Records one attempt of a claimed delivery in one transaction: the log
/// line, the delivery's new state (delivered, retried after the schedule's
/// next wait, or failed), and the subscription's failures in a row — at
/// `disable_after` it is turned off, whoever made or last changed it gets a
/// notice, and the audit log says why. Test events leave the count alone.
/// Returns whether the subscription was turned off.
pub async fn record_attempt(
    db: &Db,
    schedule: &[i64],
    disable_after: i64,
    d: &store::Claimed,
    outcome: &store::Outcome,
    at: i64,
) -> Result<bool, DbError> {
    let delivered = outcome.error.is_none();
    let retry_at = if delivered || !d.retry {
        None
    } else {
        retry_after(schedule, d.attempts).map(|wait| at + wait)
    };
    let mut tx = db.begin().await?;
    store::log_attempt(&mut tx, d, outcome, at).await?;
    store::settle(&mut tx, d.id, delivered, retry_at, at).await?;
    let mut turned_off = false;
    if d.event != PING {
        if delivered {
            store::clear_failures(&mut tx, d.subscription).await?;
        } else if let Some(off) =
            store::count_failure(&mut tx, d.subscription, disable_after, at).await?
        {
            turned_off = true;
            let org = store::org_ref(&mut tx, off.org).await?;
            let notice = Notice::new(
                Kind::WebhookDisabled,
                off.org,
                format!("/webhooks/{}", d.subscription),
                format!("webhook_disabled:{}:{at}", d.subscription),
            )
            .arg("url", mask_url(&off.url))
            .arg("n", off.failures)
            .arg("org", org.map(|o| o.name).unwrap_or_default());
            let to = store::people(&mut tx, &[off.created_by, off.updated_by]).await?;
            notify::store::notify(&mut tx, &notice, &to).await?;
            audit::store::record(
                &mut *tx,
                &Entry {
                    org_id: Some(off.org),
                    user_id: None,
                    username: None,
                    action: Action::WebhookUpdated,
                    target: Some(format!("webhook:{}", d.subscription)),
                    detail: Some(format!(
                        "disabled after {} failed attempts in a row",
                        off.failures
                    )),
                    ip: None,
                },
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(turned_off)
}

/// A page of a subscription's deliveries, newest first.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = WebhookDeliveryPage)]
pub struct DeliveryPage {
    pub items: Vec<Delivery>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// Which page of deliveries, unparsed.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// From 1.
    #[param(value_type = Option<i64>)]
    pub page: Option<String>,
    /// 1–100; 20 by default.
    #[param(value_type = Option<i64>)]
    pub per_page: Option<String>,
}

/// Deliveries shown per page: 20 by default, at most 100 (the page and the API).
pub const DELIVERIES_PAGE: PageSize = PageSize {
    default: 20,
    max: 100,
};

/// One page of a subscription's deliveries (the page and the API share it);
/// a page or size out of range is a 422.
pub async fn deliveries(
    db: &Db,
    caller: &Caller,
    id: WebhookId,
    q: &PageQuery,
) -> AppResult<(Subscription, DeliveryPage)> {
    let (sub, scope) = find(db, caller, id).await?;
    let mut errs = Errors::default();
    let paging = Paging::read(&mut errs, &q.page, &q.per_page, DELIVERIES_PAGE);
    errs.finish()?;
    let (items, total) =
        store::deliveries(db, &scope, id, None, paging.size, paging.offset()).await?;
    Ok((
        sub,
        DeliveryPage {
            items,
            total,
            page: paging.page,
            per_page: paging.size,
        },
    ))
}
