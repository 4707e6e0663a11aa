//! Group robots (群机器人): every notification written for an org is also
//! posted to the org's WeCom (企业微信) and DingTalk (钉钉) group robots.
//!
//! [`store::queue`] is called by `notify::store::notify`, the one place
//! notices are written, inside the writer's transaction: one delivery per
//! (robot, notice dedup key), so a rolled-back write queues nothing and a
//! notice written again (a sweep run twice) queues nothing more. The worker
//! ([`deliver_pending`]) claims due deliveries the way the mail outbox does
//! (status 'sending', attempts + 1, a lease, all committed before the post),
//! so two workers never post the same row; a crash after the platform accepted
//! a post and before the mark posts it once more when the lease runs out.
//! Success is HTTP 2xx with JSON `errcode` 0; anything else is retried with a
//! backoff (30 s doubling, at most 6 h) until `robots.max_attempts`, then the
//! delivery is failed. Every attempt is a `robot_attempts` row.
//!
//! Webhook URLs carry the robot's key and DingTalk robots may have a signing
//! secret: both are shown masked ([`mask_url`], [`mask_secret`]) and never
//! logged; errors are written without the URL.

pub mod store;
pub mod webhook;

use std::time::Duration;

use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::{
    config::Settings,
    db::{Db, DbError, OrgId},
    error::FieldError,
    i18n::Lang,
};

/// The platforms a group robot can be on.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    /// 企业微信 group robot: `https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…`.
    Wecom,
    /// 钉钉 custom robot: `https://oapi.dingtalk.com/robot/send?access_token=…`,
    /// optionally signed (加签).
    Dingtalk,
}

impl Platform {
    /// Both platforms, in the order pages show them.
    pub const ALL: [Platform; 2] = [Platform::Wecom, Platform::Dingtalk];

    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Wecom => "wecom",
            Platform::Dingtalk => "dingtalk",
        }
    }

    /// Parses the stored spelling.
    pub fn parse(s: &str) -> Option<Platform> {
        Platform::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// The catalogue key of the platform's name.
    pub fn label_key(self) -> String {
        format!("robot-{}", self.as_str())
    }
}

/// Longest webhook address and secret accepted.
const MAX_URL: usize = 500;
const MAX_SECRET: usize = 200;

/// A change to one robot, parsed from a form or a JSON body. `None` leaves
/// the stored value as it is.
#[derive(Clone, PartialEq, Eq)]
pub struct Change {
    pub platform: Platform,
    /// `Some("")` removes the robot (disabled, address and secret cleared).
    pub webhook: Option<String>,
    /// DingTalk only; `Some("")` clears it.
    pub secret: Option<String>,
    pub enabled: Option<bool>,
}

impl Change {
    /// Whether this change removes the robot.
    pub fn removes(&self) -> bool {
        self.webhook.as_deref() == Some("")
    }
}

/// The robot settings of an org as the API takes them. Absent fields are left
/// as they are; an empty webhook removes that robot; an empty secret clears
/// it. The GET answer shows secrets masked, so sending it back unchanged
/// (masked values included) changes nothing.
#[derive(Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RobotsInput {
    /// The WeCom group robot's webhook address (http or https).
    pub wecom_webhook: Option<String>,
    pub wecom_enabled: Option<bool>,
    /// The DingTalk robot's webhook address (http or https).
    pub dingtalk_webhook: Option<String>,
    /// The DingTalk robot's signing secret (加签, usually `SEC…`); `""` clears it.
    pub dingtalk_secret: Option<String>,
    pub dingtalk_enabled: Option<bool>,
}

impl RobotsInput {
    /// Checks every field; every bad one is reported, named as the form and
    /// the JSON body spell it.
    pub fn parse(&self) -> Result<Vec<Change>, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut out = Vec::new();
        for (platform, webhook, enabled) in [
            (Platform::Wecom, &self.wecom_webhook, self.wecom_enabled),
            (
                Platform::Dingtalk,
                &self.dingtalk_webhook,
                self.dingtalk_enabled,
            ),
        ] {
            let field = format!("{}_webhook", platform.as_str());
            let webhook = webhook.as_deref().map(str::trim);
            match webhook {
                Some(w) if w.chars().count() > MAX_URL => {
                    errors.push(FieldError::new(field, "err-too-long").arg("max", MAX_URL));
                }
                Some(w) if !w.is_empty() && !w.contains('*') && webhook::parse(w).is_none() => {
                    errors.push(FieldError::new(field, "err-robot-webhook"));
                }
                _ => {}
            }
            let mut secret = None;
            if platform == Platform::Dingtalk
                && let Some(s) = self.dingtalk_secret.as_deref().map(str::trim)
            {
                if s.chars().count() > MAX_SECRET {
                    errors.push(
                        FieldError::new("dingtalk_secret", "err-too-long").arg("max", MAX_SECRET),
                    );
                } else if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
                    errors.push(FieldError::new("dingtalk_secret", "err-robot-secret"));
                } else if !s.contains('*') {
                    // A masked value sent back is "unchanged".
                    secret = Some(s.to_string());
                }
            }
            out.push(Change {
                platform,
                // A masked address sent back is "unchanged" too.
                webhook: webhook.filter(|w| !w.contains('*')).map(str::to_string),
                secret,
                enabled,
            });
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }
}

/// An org's robot as readers see it: the address and secret masked.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RobotView {
    pub platform: Platform,
    /// Whether a webhook address is set.
    pub configured: bool,
    pub enabled: bool,
    /// The address with its key masked, e.g. `https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a****`.
    pub webhook: Option<String>,
    /// The signing secret masked (`SEC****`), DingTalk only.
    pub secret: Option<String>,
    pub updated_at: Option<i64>,
}

/// The address with every query value and the last path segment masked: the
/// key of a WeCom robot, the access token of a DingTalk robot.
pub fn mask_url(url: &str) -> String {
    let (head, query) = match url.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (url, None),
    };
    let mut out = match head.split_once("://") {
        Some((scheme, rest)) => match rest.split_once('/') {
            Some((host, path)) => {
                let mut segs: Vec<String> = path.split('/').map(str::to_string).collect();
                if let Some(last) = segs.last_mut()
                    && query.is_none()
                {
                    *last = mask_secret(last);
                }
                format!("{scheme}://{host}/{}", segs.join("/"))
            }
            None => format!("{scheme}://{rest}"),
        },
        None => mask_secret(head),
    };
    if let Some(q) = query {
        let pairs: Vec<String> = q
            .split('&')
            .map(|p| match p.split_once('=') {
                Some((k, v)) => format!("{k}={}", mask_secret(v)),
                None => mask_secret(p),
            })
            .collect();
        out.push('?');
        out.push_str(&pairs.join("&"));
    }
    out
}

/// A secret shown as its first few characters and stars; short ones as stars only.
pub fn mask_secret(s: &str) -> String {
    let n = s.chars().count();
    if n == 0 {
        return String::new();
    }
    let keep = if n >= 12 {
        4
    } else if n >= 6 {
        2
    } else {
        0
    };
    let head: String = s.chars().take(keep).collect();
    format!("{head}****")
}

/// The DingTalk signature (加签): HMAC-SHA256 of `timestamp + "\n" + secret`
/// keyed by the secret, base64, URL-encoded.
pub fn sign(secret: &str, timestamp_ms: i64) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    let tag = ring::hmac::sign(&key, format!("{timestamp_ms}\n{secret}").as_bytes());
    let b64 = base64::engine::general_purpose::STANDARD.encode(tag.as_ref());
    // Base64 uses only these three characters that need escaping in a query.
    b64.replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D")
}

/// The address to post to: a signed DingTalk robot gets `&timestamp=…&sign=…`.
pub fn post_url(platform: Platform, webhook: &str, secret: &str, timestamp_ms: i64) -> String {
    if platform != Platform::Dingtalk || secret.is_empty() {
        return webhook.to_string();
    }
    let sep = if webhook.contains('?') { '&' } else { '?' };
    format!(
        "{webhook}{sep}timestamp={timestamp_ms}&sign={}",
        sign(secret, timestamp_ms)
    )
}

/// WeCom refuses markdown over 4,096 bytes; the text is cut well before.
const MAX_TEXT_BYTES: usize = 3000;

/// The markdown of a notice: the subject as a heading, the text, and an
/// absolute link to the record.
pub fn markdown(subject: &str, text: &str, url: &str) -> String {
    let mut text = text.trim().to_string();
    if text.len() > MAX_TEXT_BYTES {
        let mut end = MAX_TEXT_BYTES;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    let open = Lang::Zh.t("robot-open");
    format!("### {subject}\n{text}\n\n[{open}]({url})")
}

/// The JSON a platform expects for a markdown message.
pub fn body(platform: Platform, subject: &str, text: &str, url: &str) -> Value {
    let content = markdown(subject, text, url);
    match platform {
        Platform::Wecom => json!({"msgtype": "markdown", "markdown": {"content": content}}),
        Platform::Dingtalk => {
            json!({"msgtype": "markdown", "markdown": {"title": subject, "text": content}})
        }
    }
}

/// The absolute address of a notice's link.
pub fn absolute(settings: &Settings, link: &str) -> String {
    let base = settings.server.public_url.trim_end_matches('/');
    if link.is_empty() {
        format!("{base}/")
    } else if link.starts_with('/') {
        format!("{base}{link}")
    } else {
        format!("{base}/{link}")
    }
}

/// What one post came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub http_status: Option<u16>,
    pub errcode: Option<i64>,
    /// `None` when the platform accepted the message.
    pub error: Option<String>,
}

impl Outcome {
    /// Reads an answer: accepted only with HTTP 2xx and JSON `errcode` 0.
    pub fn of(answer: Result<webhook::Answer, webhook::PostError>) -> Outcome {
        let a = match answer {
            Ok(a) => a,
            Err(e) => {
                return Outcome {
                    http_status: None,
                    errcode: None,
                    error: Some(e.0),
                };
            }
        };
        let json: Option<Value> = serde_json::from_slice(&a.body).ok();
        let errcode = json
            .as_ref()
            .and_then(|j| j.get("errcode"))
            .and_then(Value::as_i64);
        let errmsg = json
            .as_ref()
            .and_then(|j| j.get("errmsg"))
            .and_then(Value::as_str)
            .map(|m| m.chars().take(200).collect::<String>());
        let error = if !(200..300).contains(&a.status) {
            Some(match &errmsg {
                Some(m) => format!("HTTP {}: {m}", a.status),
                None => format!("HTTP {}", a.status),
            })
        } else {
            match errcode {
                Some(0) => None,
                Some(code) => Some(format!("errcode {code}: {}", errmsg.unwrap_or_default())),
                None => Some("answer without errcode".to_string()),
            }
        };
        Outcome {
            http_status: Some(a.status),
            errcode,
            error,
        }
    }
}

/// The wait before attempt `attempts + 1`: 30 s, doubling, at most 6 h.
pub fn backoff(attempts: i64) -> i64 {
    let exp = attempts.clamp(1, 20) - 1;
    (30_i64 << exp).min(6 * 3600)
}

/// How long a claim holds a delivery before another run may take it over:
/// longer than any post may take.
fn lease(settings: &Settings) -> i64 {
    (settings.robots.timeout_seconds as i64).max(1) * 3 + 60
}

/// Deliveries posted per run.
const BATCH: i64 = 50;

/// What one delivery run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RobotReport {
    pub sent: u64,
    /// Failed attempts (put back for a retry or given up).
    pub failed: u64,
}

/// Posts the deliveries due at `at` (epoch seconds).
pub async fn deliver_pending(
    db: &Db,
    settings: &Settings,
    at: i64,
) -> Result<RobotReport, DbError> {
    let batch = store::claim(db, at, lease(settings), BATCH, None).await?;
    let mut report = RobotReport::default();
    for d in batch {
        if attempt(db, settings, &d, at, true).await? {
            report.sent += 1;
        } else {
            report.failed += 1;
        }
    }
    Ok(report)
}

/// Posts one delivery now, whatever its due time, without a retry on
/// failure (the robot page's test message). Returns whether it was accepted,
/// or `None` when it is not pending.
pub async fn deliver_now(
    db: &Db,
    settings: &Settings,
    id: i64,
    at: i64,
) -> Result<Option<bool>, DbError> {
    let batch = store::claim(db, at, lease(settings), 1, Some(id)).await?;
    match batch.first() {
        Some(d) => Ok(Some(attempt(db, settings, d, at, false).await?)),
        None => Ok(None),
    }
}

/// One post of a claimed delivery, its attempt logged and its state moved.
async fn attempt(
    db: &Db,
    settings: &Settings,
    d: &store::Claimed,
    at: i64,
    retry: bool,
) -> Result<bool, DbError> {
    let url = post_url(d.platform, &d.webhook, &d.secret, crate::db::now() * 1000);
    let json = body(
        d.platform,
        &d.subject,
        &d.text,
        &absolute(settings, &d.link),
    );
    let started = std::time::Instant::now();
    let answer = webhook::post_json(
        &url,
        serde_json::to_vec(&json).unwrap_or_default(),
        Duration::from_secs(settings.robots.timeout_seconds.max(1)),
    )
    .await;
    let ms = started.elapsed().as_millis() as i64;
    let outcome = Outcome::of(answer);
    let retry_at =
        (retry && d.attempts < settings.robots.max_attempts).then(|| at + backoff(d.attempts));
    if let Some(e) = &outcome.error {
        tracing::warn!(robot.delivery = d.id, robot.platform = d.platform.as_str(),
            robot.attempts = d.attempts, error = %e, "robot post not accepted");
    }
    store::record_attempt(db, d, &outcome, ms, crate::db::now(), retry_at).await?;
    Ok(outcome.error.is_none())
}

/// How many deliveries the page and the API list.
pub const RECENT: i64 = 30;

/// An org's robots and their recent deliveries.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Robots {
    pub org_id: OrgId,
    /// One entry per platform, configured or not; addresses and secrets masked.
    pub robots: Vec<RobotView>,
    /// The newest deliveries, each with its attempts.
    pub deliveries: Vec<store::DeliveryView>,
}

/// Which robot a test message goes to.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct TestInput {
    pub platform: Platform,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dingtalk_signature_follows_the_documented_example() {
        // Recomputed independently: HMAC-SHA256("1700000000000\nSECabc", key "SECabc"), base64, escaped.
        let s = sign("SECabc", 1_700_000_000_000);
        assert!(!s.contains(['+', '/', '=']), "{s}");
        let raw = s
            .replace("%2B", "+")
            .replace("%2F", "/")
            .replace("%3D", "=");
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(raw)
            .unwrap();
        assert_eq!(bytes.len(), 32);
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, b"SECabc");
        ring::hmac::verify(&key, b"1700000000000\nSECabc", &bytes).unwrap();
        // RFC 4231 test case 2 through the same path ("Jefe").
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, b"Jefe");
        let tag = ring::hmac::sign(&key, b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(tag.as_ref()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn only_signed_dingtalk_robots_get_a_timestamp_and_sign() {
        let w = "https://oapi.dingtalk.com/robot/send?access_token=abc";
        assert_eq!(post_url(Platform::Dingtalk, w, "", 5), w);
        assert_eq!(post_url(Platform::Wecom, w, "SECx", 5), w);
        let u = post_url(Platform::Dingtalk, w, "SECx", 5);
        assert!(u.starts_with(&format!("{w}&timestamp=5&sign=")), "{u}");
        let u = post_url(Platform::Dingtalk, "http://h/dingtalk/t", "SECx", 5);
        assert!(
            u.starts_with("http://h/dingtalk/t?timestamp=5&sign="),
            "{u}"
        );
    }

    #[test]
    fn keys_and_secrets_are_masked() {
        assert_eq!(
            mask_url(
                "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693axxxx-7aoc-4bc4-97a0-0ec2sifa5aaa"
            ),
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a****"
        );
        assert_eq!(
            mask_url("http://127.0.0.1:8089/wecom/demo-street-a-key"),
            "http://127.0.0.1:8089/wecom/demo****"
        );
        assert_eq!(mask_secret("SEC0123456789abcdef"), "SEC0****");
        assert_eq!(mask_secret("abc"), "****");
        assert_eq!(mask_secret(""), "");
    }

    #[test]
    fn bodies_follow_each_platform() {
        let w = body(Platform::Wecom, "标题", "正文", "http://x/problems/1");
        assert_eq!(
            w,
            json!({"msgtype": "markdown", "markdown": {"content": "### 标题\n正文\n\n[打开倾听查看](http://x/problems/1)"}})
        );
        let d = body(Platform::Dingtalk, "标题", "正文", "http://x/problems/1");
        assert_eq!(d["markdown"]["title"], "标题");
        assert_eq!(d["markdown"]["text"], w["markdown"]["content"]);
        let long = "长".repeat(5000);
        let m = markdown("s", &long, "u");
        assert!(m.len() < 3200, "{}", m.len());
    }

    #[test]
    fn only_2xx_with_errcode_zero_is_accepted() {
        let a = |status: u16, body: &str| {
            Outcome::of(Ok(webhook::Answer {
                status,
                body: body.as_bytes().to_vec(),
            }))
        };
        assert_eq!(a(200, r#"{"errcode":0,"errmsg":"ok"}"#).error, None);
        let o = a(200, r#"{"errcode":310000,"errmsg":"sign not match"}"#);
        assert_eq!(o.errcode, Some(310000));
        assert_eq!(o.error.as_deref(), Some("errcode 310000: sign not match"));
        assert_eq!(a(500, "oops").error.as_deref(), Some("HTTP 500"));
        assert!(a(200, "not json").error.is_some());
        let o = Outcome::of(Err(webhook::PostError("connect: refused".into())));
        assert_eq!(
            (o.http_status, o.error.as_deref()),
            (None, Some("connect: refused"))
        );
    }

    #[test]
    fn backoff_doubles_from_thirty_seconds_up_to_six_hours() {
        assert_eq!(backoff(1), 30);
        assert_eq!(backoff(2), 60);
        assert_eq!(backoff(3), 120);
        assert_eq!(backoff(40), 6 * 3600);
    }

    #[test]
    fn inputs_are_checked_and_masked_values_mean_unchanged() {
        let input = RobotsInput {
            wecom_webhook: Some("ftp://x".into()),
            dingtalk_webhook: Some("https://oapi.dingtalk.com/robot/send?access_token=abc".into()),
            dingtalk_secret: Some("SEC with space".into()),
            ..Default::default()
        };
        let errors = input.parse().err().unwrap();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["wecom_webhook", "dingtalk_secret"]);
        let input = RobotsInput {
            wecom_webhook: Some(
                "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a****".into(),
            ),
            dingtalk_secret: Some("SEC0****".into()),
            dingtalk_enabled: Some(false),
            ..Default::default()
        };
        let changes = input.parse().unwrap();
        assert_eq!(changes[0].webhook, None);
        assert_eq!(changes[1].secret, None);
        assert_eq!(changes[1].enabled, Some(false));
        let removal = RobotsInput {
            wecom_webhook: Some(" ".into()),
            ..Default::default()
        };
        assert!(removal.parse().unwrap()[0].removes());
    }
}
