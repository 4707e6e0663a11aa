//! Sessions for people: a random token in an HttpOnly, SameSite=Lax cookie, only
//! its hash in the database. A new session is made at every login (rotation);
//! it ends after an idle period or a maximum age, whichever comes first, or
//! when its owner or an admin over them ends it. Each session has a plain
//! numeric id to name it by on pages and in the API (the token hash never
//! leaves the server), and keeps the client address and user agent it was
//! created from and last seen with.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::{header, request::Parts},
};
use serde::Serialize;

use super::{Scope, hash_token, random_token};
use crate::{
    config::{SecuritySettings, Settings},
    db::{Db, DbError, OrgId, SessionId, Tx, UserId, now},
    i18n::Lang,
    web::AppState,
};

/// The longest user agent kept; longer ones are cut (they are for people to read).
const MAX_AGENT_CHARS: usize = 256;

/// Where a request comes from, as a session records it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Client {
    /// The client address (behind a trusted proxy, the one it forwards).
    pub ip: Option<String>,
    /// The `User-Agent` header, cut to [`MAX_AGENT_CHARS`].
    pub agent: Option<String>,
}

impl Client {
    /// A client from its address and raw user agent.
    pub fn new(ip: Option<String>, agent: Option<&str>) -> Client {
        let agent = agent
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(|a| a.chars().take(MAX_AGENT_CHARS).collect());
        Client { ip, agent }
    }

    /// The client of a request: its address as `web::client` resolves it, and its user agent.
    pub fn of(parts: &Parts, settings: &Settings) -> Client {
        let ip = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| {
            crate::web::client::client_ip(
                c.0.ip(),
                &parts.headers,
                &settings.server.trusted_proxies,
            )
            .to_string()
        });
        let agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok());
        Client::new(ip, agent)
    }
}

impl FromRequestParts<AppState> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Client::of(parts, &state.settings))
    }
}

/// Starts a session and returns the token for the cookie.
pub async fn create(
    db: &Db,
    user: UserId,
    org: OrgId,
    s: &SecuritySettings,
    client: &Client,
) -> Result<String, DbError> {
    let token = random_token(32);
    let t = now();
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, org_id, created_at, last_seen_at, expires_at, \
         created_ip, created_agent, last_ip, last_agent) \
         VALUES ($1, $2, $3, $4, $4, $5, $6, $7, $6, $7)",
    )
    .bind(hash_token(&token))
    .bind(user)
    .bind(org)
    .bind(t)
    .bind(t + s.session_max_hours * 3600)
    .bind(&client.ip)
    .bind(&client.agent)
    .execute(db.pool())
    .await?;
    Ok(token)
}

/// A live session found by its token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Live {
    pub id: SessionId,
    pub user: UserId,
}

/// Whether a session last seen at `last_seen` and ending at `expires` is still live at `t`.
fn is_live(t: i64, last_seen: i64, expires: i64, s: &SecuritySettings) -> bool {
    t < expires && t - last_seen <= s.session_idle_minutes * 60
}

/// The live session of a token, touching its idle clock and the address and
/// user agent it was last seen with; `None` when absent, expired or ended.
pub async fn resolve(
    db: &Db,
    token: &str,
    s: &SecuritySettings,
    client: &Client,
) -> Result<Option<Live>, DbError> {
    let hash = hash_token(token);
    let row: Option<(SessionId, UserId, i64, i64)> = sqlx::query_as(
        "SELECT id, user_id, last_seen_at, expires_at FROM sessions WHERE token_hash = $1",
    )
    .bind(&hash)
    .fetch_optional(db.pool())
    .await?;
    let Some((id, user, last_seen, expires)) = row else {
        return Ok(None);
    };
    let t = now();
    if !is_live(t, last_seen, expires, s) {
        destroy(db, token).await?;
        return Ok(None);
    }
    // Writing on every request would serialise readers behind SQLite's writer lock.
    if t - last_seen >= 60 {
        sqlx::query(
            "UPDATE sessions SET last_seen_at = $1, last_ip = $2, last_agent = $3 WHERE id = $4",
        )
        .bind(t)
        .bind(&client.ip)
        .bind(&client.agent)
        .bind(id)
        .execute(db.pool())
        .await?;
    }
    Ok(Some(Live { id, user }))
}

/// Ends one session by its token (logout).
pub async fn destroy(db: &Db, token: &str) -> Result<(), DbError> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(hash_token(token))
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Ends every session of a user (password change, deactivation).
pub async fn destroy_all_for(db: &Db, user: UserId) -> Result<(), DbError> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Whose sessions a caller asks for: their own, or those of a user whose home
/// org lies in the caller's admin scope (checked in the SQL, not before it).
#[derive(Clone, Copy, Debug)]
pub enum Whose<'a> {
    Own(UserId),
    Managed(&'a Scope, UserId),
}

impl Whose<'_> {
    /// The condition on `sessions` (aliased `s`) that selects these sessions.
    fn sql(&self) -> (String, UserId) {
        match self {
            Whose::Own(u) => ("s.user_id = $1".to_string(), *u),
            Whose::Managed(scope, u) => (
                format!(
                    "s.user_id = $1 AND s.user_id IN (SELECT u.id FROM users u WHERE {})",
                    scope.sql("u.org_id")
                ),
                *u,
            ),
        }
    }
}

/// A session as its owner and admins see it.
#[derive(Clone, Debug, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Session {
    pub id: SessionId,
    /// Epoch seconds.
    pub created_at: i64,
    /// Epoch seconds; refreshed at most once a minute.
    pub last_seen_at: i64,
    /// Epoch seconds: the session ends then at the latest.
    pub expires_at: i64,
    pub created_ip: Option<String>,
    pub last_ip: Option<String>,
    /// The user agent when last seen (cut to 256 characters).
    pub user_agent: Option<String>,
    /// The browser read from the user agent: `wechat`, `dingtalk`, `edge`, `chrome`, …
    #[sqlx(skip)]
    pub browser: Option<String>,
    /// The operating system read from the user agent: `android`, `ios`, `windows`, …
    #[sqlx(skip)]
    pub os: Option<String>,
    /// Whether this is the session of the request that asked.
    #[sqlx(skip)]
    pub current: bool,
}

impl Session {
    /// "Chrome · Android", in the reader's language; "unknown device" when nothing is recognised.
    pub fn device(&self, lang: &Lang) -> String {
        let parts: Vec<String> = [self.browser.as_deref(), self.os.as_deref()]
            .into_iter()
            .flatten()
            .map(|k| lang.t(&format!("ua-{k}")))
            .collect();
        if parts.is_empty() {
            lang.t("session-device-unknown")
        } else {
            parts.join(" · ")
        }
    }
}

/// The live sessions of `whose`, most recently active first; `current` marks the asking one.
pub async fn list(
    db: &Db,
    whose: Whose<'_>,
    s: &SecuritySettings,
    current: Option<SessionId>,
) -> Result<Vec<Session>, DbError> {
    let (cond, user) = whose.sql();
    let sql = format!(
        "SELECT s.id, s.created_at, s.last_seen_at, s.expires_at, s.created_ip, s.last_ip, \
         s.last_agent AS user_agent FROM sessions s \
         WHERE {cond} AND s.expires_at > $2 AND s.last_seen_at >= $3 \
         ORDER BY s.last_seen_at DESC, s.id DESC"
    );
    let t = now();
    let mut rows: Vec<Session> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(user)
        .bind(t)
        .bind(t - s.session_idle_minutes * 60)
        .fetch_all(db.pool())
        .await?;
    for r in &mut rows {
        let (browser, os) = r.user_agent.as_deref().map(device).unwrap_or_default();
        r.browser = browser.map(str::to_string);
        r.os = os.map(str::to_string);
        r.current = Some(r.id) == current;
    }
    Ok(rows)
}

/// Which sessions to end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// One session, by id.
    One(SessionId),
    /// Every session.
    All,
    /// Every session but this one (the caller's own).
    AllBut(SessionId),
}

/// Ends sessions of `whose` inside the caller's transaction (the audit entry
/// commits with it); returns how many ended. The next request of an ended
/// session finds no row, so it takes effect at once.
pub async fn end(tx: &mut Tx, whose: Whose<'_>, which: End) -> Result<u64, DbError> {
    let (cond, user) = whose.sql();
    let (extra, id) = match which {
        End::One(id) => (" AND s.id = $2", Some(id)),
        End::All => ("", None),
        End::AllBut(id) => (" AND s.id <> $2", Some(id)),
    };
    // DELETE cannot alias its table on every backend: select the ids first.
    let sql = format!(
        "DELETE FROM sessions WHERE id IN (SELECT s.id FROM sessions s WHERE {cond}{extra})"
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(user);
    if let Some(id) = id {
        q = q.bind(id);
    }
    Ok(q.execute(&mut **tx).await?.rows_affected())
}

/// Deletes sessions past their maximum age or idle longer than allowed.
pub async fn purge_expired(db: &Db, s: &SecuritySettings) -> Result<u64, DbError> {
    let t = now();
    let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at < $2")
        .bind(t)
        .bind(t - s.session_idle_minutes * 60)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected())
}

/// Purges expired sessions every ten minutes inside the server: `resolve`
/// already refuses them, this keeps the table (and the lists) small.
pub fn spawn_purge(db: Db, settings: Arc<Settings>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(600));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match purge_expired(&db, &settings.security).await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(session.purged = n, "expired sessions purged"),
                Err(e) => tracing::error!(error = %e, "session purge failed"),
            }
        }
    });
}

/// Browsers by the tokens of their user agents. The order matters: WeChat's
/// and Edge's agents also say Chrome and Safari, so the specific token comes first.
const BROWSERS: [(&[&str], &str); 10] = [
    (&["MicroMessenger"], "wechat"),
    (&["DingTalk"], "dingtalk"),
    (&["QQBrowser"], "qqbrowser"),
    (&["UCBrowser"], "ucbrowser"),
    (&["Edg/", "EdgA/", "EdgiOS/"], "edge"),
    (&["OPR/", "Opera"], "opera"),
    (&["Firefox/", "FxiOS/"], "firefox"),
    (&["Chrome/", "CriOS/", "Chromium/"], "chrome"),
    (&["Safari/"], "safari"),
    (&["curl/"], "curl"),
];

/// Operating systems likewise: Android's and HarmonyOS's agents also say Linux.
const SYSTEMS: [(&[&str], &str); 7] = [
    (&["HarmonyOS", "OpenHarmony"], "harmonyos"),
    (&["Android"], "android"),
    (&["iPhone", "iPad", "iPod"], "ios"),
    (&["Windows"], "windows"),
    (&["Macintosh", "Mac OS X"], "macos"),
    (&["CrOS"], "chromeos"),
    (&["Linux", "X11"], "linux"),
];

/// Every name [`device`] can give; each has a `ua-<name>` message.
pub fn device_names() -> impl Iterator<Item = &'static str> {
    BROWSERS.iter().chain(SYSTEMS.iter()).map(|(_, name)| *name)
}

/// The browser and operating system a user agent names, for a person to
/// recognise their phone or computer; not a security decision.
pub fn device(ua: &str) -> (Option<&'static str>, Option<&'static str>) {
    let find = |table: &[(&[&str], &'static str)]| {
        table
            .iter()
            .find(|(tokens, _)| tokens.iter().any(|t| ua.contains(t)))
            .map(|(_, name)| *name)
    };
    (find(&BROWSERS), find(&SYSTEMS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_agents_are_named_by_browser_and_system() {
        let cases = [
            (
                "Mozilla/5.0 (Linux; Android 13; V2183A Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160065 MMWEBSDK/20231202 MMWEBID/2247 MicroMessenger/8.0.47.2560(0x28002F30) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64",
                (Some("wechat"), Some("android")),
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0",
                (Some("edge"), Some("windows")),
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
                (Some("safari"), Some("ios")),
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.0.0 Safari/537.36",
                (Some("chrome"), Some("macos")),
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
                (Some("firefox"), Some("linux")),
            ),
            (
                "Mozilla/5.0 (Linux; Android 12; HarmonyOS; NOH-AN00) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/99.0 Mobile Safari/537.36",
                (Some("chrome"), Some("harmonyos")),
            ),
            ("curl/8.5.0", (Some("curl"), None)),
            ("reqwest", (None, None)),
        ];
        for (ua, want) in cases {
            assert_eq!(device(ua), want, "{ua}");
        }
    }

    #[test]
    fn a_session_is_live_until_idle_or_old() {
        let s = SecuritySettings {
            session_idle_minutes: 30,
            ..Default::default()
        };
        assert!(is_live(1000, 1000, 2000, &s));
        assert!(is_live(1000 + 30 * 60, 1000, 1_000_000, &s));
        assert!(
            !is_live(1001 + 30 * 60, 1000, 1_000_000, &s),
            "idle too long"
        );
        assert!(!is_live(2000, 1999, 2000, &s), "past its maximum age");
    }

    #[test]
    fn a_long_user_agent_is_cut_and_an_empty_one_dropped() {
        let long = "x".repeat(1000);
        assert_eq!(
            Client::new(None, Some(&long))
                .agent
                .unwrap()
                .chars()
                .count(),
            MAX_AGENT_CHARS
        );
        assert_eq!(Client::new(None, Some("  ")).agent, None);
    }
}
