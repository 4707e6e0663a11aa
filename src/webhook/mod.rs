//! Webhooks (issue 15 §3): events out to integrators.
//!
//! Admins of an org subscribe a URL to chosen [`Event`]s of the org's
//! subtree. A write that causes an event calls [`ops::emit`] inside its own
//! transaction, which puts the event into an outbox (`webhook_outbox`) only
//! when some active subscription over the record's org wants it: a
//! rolled-back write emits nothing, a committed one is never lost. The
//! worker ([`deliver`], started by `serve`) fans each outbox event out to the
//! subscriptions whose org's subtree holds the record's org (one delivery
//! each, through the `org_tree` closure table) and POSTs them, signed with
//! the subscription's secret ([`signature`]), retrying on the configured
//! schedule; every attempt is logged. A subscription whose attempts fail
//! [`crate::config::WebhookSettings::disable_after`] times in a row is turned
//! off and whoever made it gets a notice.
//!
//! Questionnaire responses arrive by the thousand, so their writer asks the
//! in-memory [`Wants`] first: while no active subscription wants
//! `survey.response_stored`, a submission costs no statement more.
//!
//! Layout: this file holds the types and rules; `store.rs` the SQL; `ops.rs`
//! the use cases that write (transaction and audit entry); `deliver.rs` the
//! worker; `pages.rs` the pages; `api.rs` the JSON API and every route.

pub mod api;
pub mod deliver;
pub mod ops;
pub mod pages;
pub mod store;

use std::sync::{
    Arc,
    atomic::{AtomicU32, Ordering},
};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{
    db::{
        CampaignId, MediationCaseId, OrgId, ProblemId, ResponseId, SummaryId, SurveyId,
        SurveyVersionId, UserId, WebhookDeliveryId, WebhookId,
    },
    error::FieldError,
    summary::workflow::Status as SummaryStatus,
};

/// What happened, as integrators subscribe to it. The stored and sent code
/// is [`Event::as_str`].
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[schema(as = WebhookEvent)]
pub enum Event {
    /// A problem was recorded (activity form, API, public page, from an answer).
    #[serde(rename = "problem.recorded")]
    ProblemRecorded,
    /// Its owner recorded an outcome.
    #[serde(rename = "problem.decided")]
    ProblemDecided,
    /// It was passed up to a higher org.
    #[serde(rename = "problem.escalated")]
    ProblemEscalated,
    /// Feedback was given to whoever raised it.
    #[serde(rename = "problem.fed_back")]
    ProblemFedBack,
    /// A unit submitted its summary table.
    #[serde(rename = "summary.submitted")]
    SummarySubmitted,
    /// The issuing org returned a summary table.
    #[serde(rename = "summary.returned")]
    SummaryReturned,
    /// The issuing org accepted a summary table.
    #[serde(rename = "summary.accepted")]
    SummaryAccepted,
    /// A questionnaire response was stored.
    #[serde(rename = "survey.response_stored")]
    ResponseStored,
    /// A step of a mediation case was recorded (its state changed).
    #[serde(rename = "mediation.state_changed")]
    MediationStateChanged,
    /// A union was founded from a formation pipeline.
    #[serde(rename = "formation.union_founded")]
    UnionFounded,
}

impl Event {
    /// Every event, in the order pages list them.
    pub const ALL: [Event; 10] = [
        Event::ProblemRecorded,
        Event::ProblemDecided,
        Event::ProblemEscalated,
        Event::ProblemFedBack,
        Event::SummarySubmitted,
        Event::SummaryReturned,
        Event::SummaryAccepted,
        Event::ResponseStored,
        Event::MediationStateChanged,
        Event::UnionFounded,
    ];

    /// The stored and sent code.
    pub fn as_str(self) -> &'static str {
        match self {
            Event::ProblemRecorded => "problem.recorded",
            Event::ProblemDecided => "problem.decided",
            Event::ProblemEscalated => "problem.escalated",
            Event::ProblemFedBack => "problem.fed_back",
            Event::SummarySubmitted => "summary.submitted",
            Event::SummaryReturned => "summary.returned",
            Event::SummaryAccepted => "summary.accepted",
            Event::ResponseStored => "survey.response_stored",
            Event::MediationStateChanged => "mediation.state_changed",
            Event::UnionFounded => "formation.union_founded",
        }
    }

    /// Parses the stored code.
    pub fn parse(s: &str) -> Option<Event> {
        Event::ALL.into_iter().find(|e| e.as_str() == s.trim())
    }

    /// The catalogue key of the event's name.
    pub fn label_key(self) -> String {
        format!("webhook-event-{}", self.as_str().replace(['.', '_'], "-"))
    }

    fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

/// The code of a subscription's test event ("send test event"); it is not
/// subscribable.
pub const PING: &str = "ping";

/// The catalogue key of an event code as stored on a delivery (an
/// [`Event`] or [`PING`]).
pub fn code_label_key(code: &str) -> String {
    match Event::parse(code) {
        Some(e) => e.label_key(),
        None => "webhook-event-ping".to_string(),
    }
}

/// Which events some active subscription wants, kept in memory (one set per
/// server). The questionnaire writer asks it before emitting, so submissions
/// cost nothing while nobody subscribes to them. Refreshed at start, after
/// every change of a subscription and by every delivery run (which also
/// catches changes made by another server on the same database).
#[derive(Clone, Default)]
pub struct Wants(Arc<AtomicU32>);

impl Wants {
    /// Whether an active subscription wants `event`.
    pub fn wants(&self, event: Event) -> bool {
        self.0.load(Ordering::Acquire) & event.bit() != 0
    }

    /// Replaces the set.
    pub fn set(&self, events: impl IntoIterator<Item = Event>) {
        let bits = events.into_iter().fold(0, |acc, e| acc | e.bit());
        self.0.store(bits, Ordering::Release);
    }
}

impl std::fmt::Debug for Wants {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let on: Vec<&str> = Event::ALL
            .into_iter()
            .filter(|e| self.wants(*e))
            .map(Event::as_str)
            .collect();
        f.debug_tuple("Wants").field(&on).finish()
    }
}

/// Why a subscription is off.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = WebhookDisabledReason)]
pub enum Disabled {
    /// An admin turned it off.
    Admin,
    /// Its attempts failed too many times in a row.
    Failures,
}

impl Disabled {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Disabled::Admin => "admin",
            Disabled::Failures => "failures",
        }
    }

    /// Parses the stored spelling.
    pub fn parse(s: &str) -> Option<Disabled> {
        [Disabled::Admin, Disabled::Failures]
            .into_iter()
            .find(|d| d.as_str() == s)
    }
}

/// Where a delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = WebhookDeliveryStatus)]
pub enum DeliveryStatus {
    /// Waiting for its first or next attempt.
    Pending,
    /// Being posted now.
    Sending,
    /// The receiver answered 2xx.
    Delivered,
    /// Every attempt failed (or a test event's one attempt did).
    Failed,
}

impl DeliveryStatus {
    /// Every status.
    pub const ALL: [DeliveryStatus; 4] = [
        DeliveryStatus::Pending,
        DeliveryStatus::Sending,
        DeliveryStatus::Delivered,
        DeliveryStatus::Failed,
    ];

    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Sending => "sending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }

    /// Parses the stored spelling.
    pub fn parse(s: &str) -> Option<DeliveryStatus> {
        DeliveryStatus::ALL.into_iter().find(|d| d.as_str() == s)
    }

    /// The catalogue key of the status.
    pub fn label_key(self) -> String {
        format!("webhook-status-{}", self.as_str())
    }
}

/// An org as the body of an event names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = WebhookOrg)]
pub struct OrgRef {
    pub id: OrgId,
    pub code: String,
    pub name: String,
}

/// A subscription as its admins see it (never its secret).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = WebhookSubscription)]
pub struct Subscription {
    #[schema(value_type = i64)]
    pub id: WebhookId,
    /// The org whose subtree's events it receives.
    #[schema(value_type = i64)]
    pub org_id: OrgId,
    pub org_code: String,
    pub org_name: String,
    /// Where events are POSTed (http or https).
    pub url: String,
    /// The events it wants, by code.
    pub events: Vec<Event>,
    /// Whether events are delivered to it.
    pub active: bool,
    /// Why it is off, while it is.
    pub disabled_reason: Option<Disabled>,
    pub disabled_at: Option<i64>,
    /// Failed attempts in a row (0 after any success).
    pub failures: i64,
    #[schema(value_type = i64)]
    pub created_by: UserId,
    pub created_by_name: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// When the current secret was made.
    pub secret_rotated_at: i64,
    /// The newest delivery, if any.
    pub last_delivery: Option<DeliveryBrief>,
}

/// The newest delivery of a subscription, for its line in the list.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = WebhookDeliveryBrief)]
pub struct DeliveryBrief {
    #[schema(value_type = i64)]
    pub id: WebhookDeliveryId,
    /// An event code, or `ping` for a test event.
    pub event: String,
    pub status: DeliveryStatus,
    pub created_at: i64,
    /// The HTTP status of its last attempt, if one got an answer.
    pub http_status: Option<i64>,
}

/// One attempt to post a delivery.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = WebhookAttempt)]
pub struct Attempt {
    /// 1 for the first attempt.
    pub attempt: i64,
    pub at: i64,
    /// None when no answer came (connection refused, timeout).
    pub http_status: Option<i64>,
    /// The first 2 KB of the answer's body.
    pub response: Option<String>,
    /// Why the attempt failed, when it did.
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// One event for one subscription, with its attempts.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = WebhookDelivery)]
pub struct Delivery {
    /// Sent as `id` in the body and as `X-Qingting-Delivery`.
    #[schema(value_type = i64)]
    pub id: WebhookDeliveryId,
    #[schema(value_type = i64)]
    pub subscription_id: WebhookId,
    /// An event code, or `ping` for a test event.
    pub event: String,
    pub status: DeliveryStatus,
    /// Attempts made so far.
    pub attempts: i64,
    /// When the next attempt is due, while it is pending.
    pub next_attempt_at: Option<i64>,
    pub delivered_at: Option<i64>,
    /// When the event happened.
    pub occurred_at: i64,
    pub created_at: i64,
    /// The delivery this one repeats (a redelivery).
    #[schema(value_type = Option<i64>)]
    pub redelivery_of: Option<WebhookDeliveryId>,
    /// The path of the record's page.
    pub link: String,
    /// Every attempt, oldest first.
    pub log: Vec<Attempt>,
}

/// Longest URL accepted.
pub const MAX_URL: usize = 500;

/// A subscription as created (the page's form or the API), unparsed.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookInput {
    /// The org whose subtree's events it receives (one the caller is an admin
    /// over); the caller's own org when left out.
    #[schema(value_type = Option<i64>)]
    pub org_id: Option<OrgId>,
    /// Where to POST events: an `http://` or `https://` address.
    pub url: Option<String>,
    /// The event codes wanted (at least one).
    #[schema(value_type = Option<Vec<Event>>)]
    pub events: Option<Vec<String>>,
    /// Whether to deliver at once; true when left out.
    pub active: Option<bool>,
}

/// A change to a subscription; absent fields stay as they are.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookUpdate {
    /// A new `http://` or `https://` address.
    pub url: Option<String>,
    /// The event codes wanted (at least one), replacing the list.
    #[schema(value_type = Option<Vec<Event>>)]
    pub events: Option<Vec<String>>,
    /// Turn deliveries on or off. Turning on again clears the failure count.
    pub active: Option<bool>,
}

/// A checked change: `None` leaves a value as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Change {
    pub url: Option<String>,
    pub events: Option<Vec<Event>>,
    pub active: Option<bool>,
}

/// Checks a URL: present, not too long, an absolute http(s) address.
fn parse_url(raw: Option<&str>, errors: &mut Vec<FieldError>) -> Option<String> {
    let url = raw.map(str::trim).unwrap_or_default();
    if url.is_empty() {
        errors.push(FieldError::new("url", "err-required"));
        None
    } else if url.chars().count() > MAX_URL {
        errors.push(FieldError::new("url", "err-too-long").arg("max", MAX_URL));
        None
    } else if crate::notify::robot::webhook::parse(url).is_none() {
        errors.push(FieldError::new("url", "err-webhook-url"));
        None
    } else {
        Some(url.to_string())
    }
}

/// Checks an event list: at least one, every code known (a wrong one is
/// named with the codes allowed), each once.
fn parse_events(raw: Option<&[String]>, errors: &mut Vec<FieldError>) -> Option<Vec<Event>> {
    let raw = raw.unwrap_or_default();
    if raw.is_empty() {
        errors.push(FieldError::new("events", "err-webhook-no-events"));
        return None;
    }
    let mut out = Vec::new();
    let mut ok = true;
    for (i, code) in raw.iter().enumerate() {
        match Event::parse(code) {
            Some(e) => out.push(e),
            None => {
                ok = false;
                errors.push(
                    FieldError::new(format!("events[{i}]"), "err-webhook-event")
                        .arg("value", code)
                        .arg("allowed", allowed_codes()),
                );
            }
        }
    }
    out.sort();
    out.dedup();
    ok.then_some(out)
}

/// The event codes a subscription may name, for error messages.
pub fn allowed_codes() -> String {
    Event::ALL
        .iter()
        .map(|e| e.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

impl WebhookInput {
    /// Checks every field, naming each bad one as the JSON body spells it.
    pub fn parse(&self) -> Result<(Option<OrgId>, Change), Vec<FieldError>> {
        let mut errors = Vec::new();
        let url = parse_url(self.url.as_deref(), &mut errors);
        let events = parse_events(self.events.as_deref(), &mut errors);
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok((
            self.org_id,
            Change {
                url,
                events,
                active: Some(self.active.unwrap_or(true)),
            },
        ))
    }
}

impl WebhookUpdate {
    /// Checks the fields given.
    pub fn parse(&self) -> Result<Change, Vec<FieldError>> {
        let mut errors = Vec::new();
        let url = match &self.url {
            Some(u) => parse_url(Some(u), &mut errors),
            None => None,
        };
        let events = match &self.events {
            Some(list) => parse_events(Some(list), &mut errors),
            None => None,
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Change {
            url,
            events,
            active: self.active,
        })
    }
}

/// A new secret: 32 random bytes as hex, prefixed so it is recognisable.
pub fn new_secret() -> String {
    format!("whsec_{}", crate::auth::random_token(32))
}

/// The `X-Qingting-Signature` of a body: `sha256=` and the hex HMAC-SHA256
/// of the exact bytes sent, keyed by the subscription's secret.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    let tag = ring::hmac::sign(&key, body);
    format!("sha256={}", hex::encode(tag.as_ref()))
}

/// The JSON body of every delivery (also documented in the OpenAPI
/// components for integrators).
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = WebhookPayload)]
pub struct Payload {
    /// The event code (`ping` for a test event); also `X-Qingting-Event`.
    pub event: String,
    /// The delivery's id, the same on every retry; also `X-Qingting-Delivery`.
    pub id: i64,
    /// When the event happened, RFC 3339 (UTC).
    pub occurred_at: String,
    /// The org of the record.
    pub org: OrgRef,
    /// The record as the API shows it (personal data masked), or a small
    /// object where the API has no single representation.
    #[schema(value_type = Object)]
    pub record: Value,
    /// The record's page: absolute when `server.public_url` is set, else the path.
    pub link: String,
}

/// An epoch second as RFC 3339 in UTC (`2026-12-07T02:30:00Z`).
pub fn rfc3339(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The link of a record as sent: under `public_url` when one is set.
pub fn absolute_link(public_url: &str, path: &str) -> String {
    let base = public_url.trim().trim_end_matches('/');
    if base.is_empty() {
        path.to_string()
    } else {
        format!("{base}{path}")
    }
}

/// The wait before the next attempt after `attempts` failed ones, or `None`
/// when the schedule is used up (the delivery has failed).
pub fn retry_after(schedule: &[i64], attempts: i64) -> Option<i64> {
    let i = usize::try_from(attempts.max(1) - 1).ok()?;
    schedule.get(i).copied()
}

/// Bytes of an answer kept in the attempt log.
pub const KEEP_ANSWER: usize = 2048;

/// The first [`KEEP_ANSWER`] bytes of an answer as text (cut on a character
/// boundary, invalid UTF-8 replaced).
pub fn answer_excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut end = text.len().min(KEEP_ANSWER);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

/// A summary table's event, as an explicit small object (the API's table is
/// a whole computed form).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = WebhookSummaryRecord)]
pub struct SummaryRecord {
    #[schema(value_type = i64)]
    pub summary_id: SummaryId,
    #[schema(value_type = i64)]
    pub campaign_id: CampaignId,
    pub campaign_title: String,
    /// The unit whose table it is.
    #[schema(value_type = i64)]
    pub unit_org_id: OrgId,
    pub unit_name: String,
    pub version: i64,
    pub status: SummaryStatus,
    /// On submission: whether it came after the deadline.
    pub late: Option<bool>,
    /// On return: the reasons given.
    pub reason: Option<String>,
}

/// A stored questionnaire response, without its answers (they may hold
/// personal numbers; read them through the API with a token).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = WebhookResponseRecord)]
pub struct ResponseRecord {
    #[schema(value_type = i64)]
    pub id: ResponseId,
    #[schema(value_type = i64)]
    pub survey_id: SurveyId,
    #[schema(value_type = i64)]
    pub version_id: SurveyVersionId,
    #[schema(value_type = i64)]
    pub org_id: OrgId,
    /// Whether the validity rules counted it valid.
    pub valid: bool,
    pub submitted_at: i64,
    pub worker_group: Option<String>,
    pub region: Option<String>,
}

/// The record an event is about, as the emitting write names it; the
/// outbox stores its JSON ([`ops::emit`] reads it inside the write's
/// transaction, only when a subscription wants the event).
#[derive(Clone, Debug)]
pub enum Record {
    Problem(ProblemId),
    Summary(SummaryRecord),
    Response(ResponseRecord),
    MediationCase {
        id: MediationCaseId,
        org: OrgId,
    },
    /// A founded union: the pipeline (tracked by `org`) and the new union.
    Founding {
        pipeline: i64,
        org: OrgId,
        union: OrgId,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_with_serde_and_have_labels_in_both_languages() {
        for e in Event::ALL {
            assert_eq!(Event::parse(e.as_str()), Some(e));
            assert_eq!(
                serde_json::to_value(e).unwrap(),
                Value::String(e.as_str().into())
            );
            for lang in crate::i18n::Lang::ALL {
                assert!(
                    lang.has(&e.label_key()),
                    "{} {}",
                    lang.code(),
                    e.label_key()
                );
            }
        }
        for lang in crate::i18n::Lang::ALL {
            assert!(lang.has(&code_label_key(PING)));
            for s in DeliveryStatus::ALL {
                assert!(lang.has(&s.label_key()), "{}", s.label_key());
            }
        }
        assert_eq!(Event::parse("problem.unknown"), None);
    }

    #[test]
    fn wants_hold_exactly_the_events_set() {
        let w = Wants::default();
        assert!(Event::ALL.iter().all(|e| !w.wants(*e)));
        w.set([Event::ResponseStored, Event::ProblemDecided]);
        let on: Vec<Event> = Event::ALL.into_iter().filter(|e| w.wants(*e)).collect();
        assert_eq!(on, [Event::ProblemDecided, Event::ResponseStored]);
        w.set([]);
        assert!(!w.wants(Event::ResponseStored));
    }

    #[test]
    fn the_signature_is_the_hex_hmac_sha256_of_the_body() {
        // RFC 4231 test case 2 ("Jefe").
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(new_secret().starts_with("whsec_"));
        assert_eq!(new_secret().len(), 6 + 64);
    }

    #[test]
    fn inputs_name_every_bad_field_and_list_the_allowed_codes() {
        let input = WebhookInput {
            url: Some("ftp://example.org/hook".into()),
            events: Some(vec!["problem.decided".into(), "problem.deleted".into()]),
            ..Default::default()
        };
        let errors = input.parse().unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["url", "events[1]"]);
        assert!(
            errors[1]
                .arg_value("allowed")
                .unwrap()
                .contains("survey.response_stored")
        );
        let none = WebhookInput {
            url: Some(" https://hooks.example.org/qt ".into()),
            events: Some(vec![]),
            ..Default::default()
        };
        assert_eq!(none.parse().unwrap_err()[0].field, "events");
        let ok = WebhookInput {
            url: Some(" https://hooks.example.org/qt ".into()),
            events: Some(vec![
                "summary.accepted".into(),
                "problem.recorded".into(),
                "problem.recorded".into(),
            ]),
            ..Default::default()
        };
        let (_, change) = ok.parse().unwrap();
        assert_eq!(change.url.as_deref(), Some("https://hooks.example.org/qt"));
        assert_eq!(
            change.events,
            Some(vec![Event::ProblemRecorded, Event::SummaryAccepted])
        );
        assert_eq!(change.active, Some(true));
        let update = WebhookUpdate {
            active: Some(false),
            ..Default::default()
        };
        assert_eq!(
            update.parse().unwrap(),
            Change {
                active: Some(false),
                ..Default::default()
            }
        );
    }

    #[test]
    fn retries_follow_the_schedule_then_stop() {
        let s = [60, 300, 1800];
        assert_eq!(retry_after(&s, 1), Some(60));
        assert_eq!(retry_after(&s, 3), Some(1800));
        assert_eq!(retry_after(&s, 4), None);
        assert_eq!(retry_after(&[], 1), None);
    }

    #[test]
    fn links_are_absolute_under_the_public_url_and_times_are_rfc3339() {
        assert_eq!(
            absolute_link("https://qt.example.org/", "/problems/4"),
            "https://qt.example.org/problems/4"
        );
        assert_eq!(absolute_link("", "/problems/4"), "/problems/4");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        let long = "长".repeat(1000);
        let cut = answer_excerpt(long.as_bytes());
        assert!(cut.len() <= KEEP_ANSWER && cut.chars().all(|c| c == '长'));
    }
}
