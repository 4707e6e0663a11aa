//! Settings, layered: built-in defaults < TOML file < `QINGTING_*` environment
//! variables < command-line flags. Settings are passed in, never read from a
//! global, and secrets never reach a log line (see the `Debug` impls).

use std::{fmt, path::PathBuf};

use serde::{Deserialize, Serialize};

/// Every setting Qingting reads, with the defaults documented in [`EXAMPLE`].
#[derive(Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Folder for the SQLite database, uploads and backups.
    pub data_dir: PathBuf,
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub security: SecuritySettings,
    pub import: ImportSettings,
    pub uploads: UploadSettings,
    pub log: LogSettings,
    pub mail: MailSettings,
    pub reminders: ReminderSettings,
    pub robots: RobotSettings,
    pub webhooks: WebhookSettings,
    pub pdf: PdfSettings,
    pub backup: BackupSettings,
    pub audit: AuditSettings,
    pub metrics: MetricsSettings,
}

/// Where the HTTP server listens and how it is reached.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSettings {
    pub bind: String,
    /// The address users type; its scheme decides whether cookies are `Secure`.
    pub public_url: String,
    /// Reverse proxies (comma-separated IP addresses) whose `X-Forwarded-For`
    /// names the real client; empty trusts none.
    pub trusted_proxies: String,
}

/// Which database to use; empty `url` means the embedded SQLite file.
#[derive(Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: String,
    pub max_connections: u32,
}

/// Sessions and login protection.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct SecuritySettings {
    pub session_idle_minutes: i64,
    pub session_max_hours: i64,
    /// Failed logins one client address may make, over all accounts, before it must wait.
    pub throttle_per_address: i64,
    /// Failed logins on one account from one address before that pair must wait.
    pub throttle_per_account_and_address: i64,
    /// Failed logins on one account from all addresses before addresses that
    /// have failed must wait for it (a clean address still may try).
    pub throttle_per_account: i64,
    /// The first wait (seconds); each further failure doubles it...
    pub throttle_first_wait_seconds: i64,
    /// ...up to this many seconds.
    pub throttle_max_wait_seconds: i64,
    /// Failures are forgotten after this many minutes without one.
    pub throttle_forget_minutes: i64,
    /// Fewest characters of a new password.
    pub password_min_length: i64,
    /// Days a password may be used before its owner must change it; 0: no limit.
    pub password_max_days: i64,
    /// Whoever holds an admin role must set up a second factor (TOTP) first.
    pub totp_required_for_admins: bool,
    /// Problems one address may raise through the public page per hour.
    pub public_intake_per_hour: u32,
}

/// Limits on uploaded import files.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ImportSettings {
    pub max_upload_bytes: usize,
    pub max_rows: usize,
}

/// Limits on attachments (photos and documents of activities, problems,
/// campaigns and plans).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct UploadSettings {
    /// Largest accepted file (bytes).
    pub max_file_bytes: usize,
    /// Most files one upload may carry.
    pub max_files: usize,
    /// Accepted types, comma-separated, from: jpeg, png, webp, pdf, docx, xlsx, doc, xls, txt.
    pub allowed_types: String,
    /// Longest side of a thumbnail (pixels).
    pub thumbnail_px: u32,
    /// Largest image accepted (width × height pixels): a guard against decompression bombs.
    pub max_image_pixels: u64,
}

/// Log format and filter.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct LogSettings {
    /// `text` or `json`.
    pub format: String,
    /// A `tracing` filter such as `info,qingting=debug`.
    pub level: String,
}

/// How the outbox reaches an SMTP server.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// Plain SMTP (a relay on the same host or a trusted segment).
    None,
    /// Plain connection upgraded with STARTTLS (usually port 587 or 25); refused if the server does not offer it.
    Starttls,
    /// TLS from the first byte (SMTPS, usually port 465).
    Tls,
}

/// E-mail delivery of notifications.
#[derive(Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct MailSettings {
    /// Off by default: notifications are then in-app only.
    pub enabled: bool,
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    /// Empty: no authentication.
    pub username: String,
    pub password: String,
    /// The sender, e.g. `倾听 <qingting@example.org>`.
    pub from: String,
    /// Accept self-signed or otherwise invalid certificates (intranet servers).
    pub accept_invalid_certs: bool,
    /// Seconds between outbox runs inside the server; 0 runs none (tests, or
    /// another node sends).
    pub poll_seconds: u64,
    /// Attempts before a message is given up as failed.
    pub max_attempts: i64,
    /// Seconds one SMTP conversation may take.
    pub timeout_seconds: u64,
}

/// The reminder sweep.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ReminderSettings {
    /// Minutes between sweeps inside the server; 0 runs none.
    pub sweep_interval_minutes: u64,
    /// Remind of a deadline this many Chinese working days ahead; the same
    /// horizon turns a to-do item or a supervision cell yellow.
    pub days_before: u32,
    /// A problem still undecided after this many working days is on its
    /// owner's to-do list as waiting too long.
    pub open_days: u32,
}

/// Delivery of notifications to the WeCom and DingTalk group robots that orgs
/// configure (their webhook addresses live in the database, per org).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct RobotSettings {
    /// Seconds between robot delivery runs inside the server; 0 runs none.
    pub poll_seconds: u64,
    /// Attempts before a post is given up as failed.
    pub max_attempts: i64,
    /// Seconds one post (connect, TLS, request, answer) may take.
    pub timeout_seconds: u64,
}

/// Delivery of events to the webhooks admins subscribe (the subscriptions
/// live in the database, per org).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookSettings {
    /// Seconds between delivery runs inside the server; 0 runs none.
    pub poll_seconds: u64,
    /// Seconds one POST (connect, TLS, request, answer) may take.
    pub timeout_seconds: u64,
    /// The waits before the second, third, … attempt of a delivery, in
    /// seconds, comma-separated; after the last the delivery has failed.
    pub retry_seconds: String,
    /// Failed attempts in a row after which a subscription is turned off.
    pub disable_after: i64,
    /// Days finished deliveries and their attempts are kept.
    pub keep_days: i64,
}

impl WebhookSettings {
    /// The waits of the retry schedule, in seconds; `None` when the setting
    /// is not a comma-separated list of whole numbers.
    pub fn retries(&self) -> Option<Vec<i64>> {
        self.retry_seconds
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| s.parse::<i64>().ok().filter(|n| *n >= 0))
            .collect()
    }
}

/// Fonts of PDF exports (summary tables). Empty paths are looked for in the
/// usual places of Debian's `fonts-noto-cjk` and other distributions.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct PdfSettings {
    /// A TrueType/OpenType font or collection (`.ttf`, `.otf`, `.ttc`) with
    /// Simplified Chinese glyphs; in a collection the Simplified Chinese face is used.
    pub font: String,
    /// The bold face for titles; empty: the `Bold` file beside `font`, else `font` itself.
    pub bold_font: String,
}

/// Scheduled backups inside `serve` (see `qingting backup` for one by hand).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct BackupSettings {
    /// Whether `serve` backs up every day; on by default, since an install
    /// nobody configured is the one that most needs it.
    pub enabled: bool,
    /// Local time (China Standard Time, like every date of the app), `HH:MM`.
    pub at: String,
    /// Scheduled archives kept; older ones of the schedule are removed
    /// (archives made by hand are never removed).
    pub keep: u32,
    /// Folder of the archives; empty: `{data_dir}/backups`.
    pub dir: String,
}

impl Default for BackupSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            at: "02:30".into(),
            keep: 14,
            dir: String::new(),
        }
    }
}

/// How long the audit log is kept.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct AuditSettings {
    /// Entries older than this many days are purged once a day; at least
    /// [`AuditSettings::MIN_KEEP_DAYS`], which the database enforces as well.
    pub keep_days: i64,
}

impl AuditSettings {
    /// Six months: what 等保三级 asks an application to keep its logs for.
    pub const MIN_KEEP_DAYS: i64 = 180;
}

impl Default for AuditSettings {
    fn default() -> Self {
        Self {
            keep_days: Self::MIN_KEEP_DAYS,
        }
    }
}

impl BackupSettings {
    /// The time of day of the scheduled backup, checked.
    pub fn time(&self) -> anyhow::Result<chrono::NaiveTime> {
        chrono::NaiveTime::parse_from_str(self.at.trim(), "%H:%M").map_err(|_| {
            anyhow::anyhow!(
                "backup.at must be a time of day as HH:MM (e.g. \"02:30\"), got {:?}",
                self.at
            )
        })
    }
}

/// Who may read the Prometheus metrics, and where.
#[derive(Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsSettings {
    /// Off (the default): metrics are served nowhere. On, they need a token,
    /// a separate address, or both: never open on the main application.
    pub enabled: bool,
    /// When set, `/metrics` answers only requests carrying
    /// `Authorization: Bearer <token>`.
    pub token: String,
    /// When set, metrics are served on their own listener at this address
    /// (and no longer by the main application).
    pub bind: String,
}

impl fmt::Debug for MetricsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetricsSettings")
            .field("enabled", &self.enabled)
            .field(
                "token",
                &if self.token.is_empty() {
                    ""
                } else {
                    "[redacted]"
                },
            )
            .field("bind", &self.bind)
            .finish()
    }
}

impl Default for MailSettings {
    fn default() -> Self {
        Self {
            enabled: false,
            host: "localhost".into(),
            port: 25,
            tls: TlsMode::Starttls,
            username: String::new(),
            password: String::new(),
            from: "倾听 <qingting@localhost>".into(),
            accept_invalid_certs: false,
            poll_seconds: 30,
            max_attempts: 8,
            timeout_seconds: 30,
        }
    }
}

impl Default for ReminderSettings {
    fn default() -> Self {
        Self {
            sweep_interval_minutes: 60,
            days_before: 3,
            open_days: 10,
        }
    }
}

impl Default for RobotSettings {
    fn default() -> Self {
        Self {
            poll_seconds: 15,
            max_attempts: 8,
            timeout_seconds: 10,
        }
    }
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            poll_seconds: 5,
            timeout_seconds: 10,
            retry_seconds: "60,300,1800,7200,43200".into(),
            disable_after: 10,
            keep_days: 30,
        }
    }
}

impl fmt::Debug for MailSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MailSettings")
            .field("enabled", &self.enabled)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field(
                "password",
                &if self.password.is_empty() {
                    ""
                } else {
                    "[redacted]"
                },
            )
            .field("from", &self.from)
            .field("accept_invalid_certs", &self.accept_invalid_certs)
            .field("poll_seconds", &self.poll_seconds)
            .field("max_attempts", &self.max_attempts)
            .field("timeout_seconds", &self.timeout_seconds)
            .finish()
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./data"),
            server: ServerSettings::default(),
            database: DatabaseSettings::default(),
            security: SecuritySettings::default(),
            import: ImportSettings::default(),
            uploads: UploadSettings::default(),
            log: LogSettings::default(),
            mail: MailSettings::default(),
            reminders: ReminderSettings::default(),
            robots: RobotSettings::default(),
            webhooks: WebhookSettings::default(),
            pdf: PdfSettings::default(),
            backup: BackupSettings::default(),
            audit: AuditSettings::default(),
            metrics: MetricsSettings::default(),
        }
    }
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            public_url: "http://127.0.0.1:8080".into(),
            trusted_proxies: String::new(),
        }
    }
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: String::new(),
            max_connections: 8,
        }
    }
}

impl Default for SecuritySettings {
    fn default() -> Self {
        Self {
            session_idle_minutes: 120,
            session_max_hours: 24,
            throttle_per_address: 10,
            throttle_per_account_and_address: 5,
            throttle_per_account: 20,
            throttle_first_wait_seconds: 30,
            throttle_max_wait_seconds: 900,
            throttle_forget_minutes: 60,
            password_min_length: 10,
            password_max_days: 0,
            totp_required_for_admins: false,
            public_intake_per_hour: 10,
        }
    }
}

impl Default for ImportSettings {
    fn default() -> Self {
        Self {
            max_upload_bytes: 20 * 1024 * 1024,
            max_rows: 100_000,
        }
    }
}

impl Default for UploadSettings {
    fn default() -> Self {
        Self {
            max_file_bytes: 10 * 1024 * 1024,
            max_files: 10,
            allowed_types: "jpeg,png,webp,pdf,docx,xlsx,doc,xls,txt".into(),
            thumbnail_px: 320,
            max_image_pixels: 50_000_000,
        }
    }
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            format: "text".into(),
            level: "info".into(),
        }
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("data_dir", &self.data_dir)
            .field("server", &self.server)
            .field("database", &self.database)
            .field("security", &self.security)
            .field("import", &self.import)
            .field("uploads", &self.uploads)
            .field("log", &self.log)
            .field("mail", &self.mail)
            .field("reminders", &self.reminders)
            .field("robots", &self.robots)
            .field("webhooks", &self.webhooks)
            .field("pdf", &self.pdf)
            .field("backup", &self.backup)
            .field("audit", &self.audit)
            .field("metrics", &self.metrics)
            .finish()
    }
}

impl fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("url", &redact_url(&self.url))
            .field("max_connections", &self.max_connections)
            .finish()
    }
}

impl Settings {
    /// The database URL to connect to: the configured one, or the SQLite file in the data dir.
    pub fn database_url(&self) -> String {
        if self.database.url.is_empty() {
            crate::db::sqlite_url(&self.data_dir.join("qingting.db"))
        } else {
            self.database.url.clone()
        }
    }

    /// The folder of backup archives.
    pub fn backup_dir(&self) -> PathBuf {
        if self.backup.dir.is_empty() {
            self.data_dir.join("backups")
        } else {
            PathBuf::from(&self.backup.dir)
        }
    }

    /// Whether session cookies carry the `Secure` flag.
    pub fn cookie_secure(&self) -> bool {
        self.server.public_url.starts_with("https://")
    }

    /// Loads defaults, then the TOML file if given, then `QINGTING_*` variables from `env`.
    pub fn load(
        file: Option<&std::path::Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> anyhow::Result<Self> {
        let mut value = toml::Value::try_from(Settings::default())?;
        if let Some(path) = file {
            let text = std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
            let from_file: toml::Value =
                toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            merge(&mut value, from_file);
        }
        let env: Vec<(String, String)> = env
            .into_iter()
            .filter(|(k, _)| k.starts_with("QINGTING_"))
            .collect();
        apply_env(&mut value, &mut Vec::new(), &env)?;
        let settings: Settings = value
            .try_into()
            .map_err(|e| anyhow::anyhow!("invalid settings: {e}"))?;
        settings.validate()?;
        Ok(settings)
    }

    /// Refuses values that would weaken what the settings promise, naming the
    /// setting and what it must be.
    pub fn validate(&self) -> anyhow::Result<()> {
        let mut errors = Vec::new();
        if self.audit.keep_days < AuditSettings::MIN_KEEP_DAYS {
            errors.push(format!(
                "[audit] keep_days must be at least {} (six months of audit log, as 等保三级 requires); got {}",
                AuditSettings::MIN_KEEP_DAYS,
                self.audit.keep_days
            ));
        }
        if self.security.session_idle_minutes < 1 {
            errors.push(format!(
                "[security] session_idle_minutes must be at least 1; got {}",
                self.security.session_idle_minutes
            ));
        }
        if self.security.session_max_hours < 1 {
            errors.push(format!(
                "[security] session_max_hours must be at least 1; got {}",
                self.security.session_max_hours
            ));
        }
        if self.metrics.enabled && self.metrics.token.is_empty() && self.metrics.bind.is_empty() {
            errors.push(
                "[metrics] enabled = true needs a token (QINGTING_METRICS_TOKEN) or a separate bind address such as \"127.0.0.1:9100\": /metrics is never open to everyone on the main port".to_string(),
            );
        }
        if self.webhooks.retries().is_none() {
            errors.push(format!(
                "[webhooks] retry_seconds must be whole numbers of seconds separated by commas, e.g. \"60,300,1800\"; got {:?}",
                self.webhooks.retry_seconds
            ));
        }
        if self.webhooks.disable_after < 1 {
            errors.push(format!(
                "[webhooks] disable_after must be at least 1; got {}",
                self.webhooks.disable_after
            ));
        }
        if self.metrics.token.chars().any(char::is_whitespace) {
            errors.push("[metrics] token must not contain spaces".to_string());
        }
        if errors.is_empty() {
            Ok(())
        } else {
            anyhow::bail!("invalid settings:\n  {}", errors.join("\n  "))
        }
    }
}

fn merge(base: &mut toml::Value, over: toml::Value) {
    match (base, over) {
        (toml::Value::Table(b), toml::Value::Table(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(slot) => merge(slot, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (slot, v) => *slot = v,
    }
}

/// Every leaf of the settings tree can be set by `QINGTING_` + its path joined by `_`,
/// e.g. `QINGTING_DATABASE_URL`, `QINGTING_SERVER_BIND`, `QINGTING_DATA_DIR`.
fn apply_env(
    value: &mut toml::Value,
    path: &mut Vec<String>,
    env: &[(String, String)],
) -> anyhow::Result<()> {
    if let toml::Value::Table(table) = value {
        for (k, v) in table.iter_mut() {
            path.push(k.clone());
            apply_env(v, path, env)?;
            path.pop();
        }
        return Ok(());
    }
    let name = format!("QINGTING_{}", path.join("_").to_uppercase());
    if let Some((_, raw)) = env.iter().find(|(k, _)| *k == name) {
        *value = match value {
            toml::Value::Integer(_) => toml::Value::Integer(
                raw.parse()
                    .map_err(|_| anyhow::anyhow!("{name} must be a whole number, got {raw:?}"))?,
            ),
            toml::Value::Boolean(_) => toml::Value::Boolean(
                raw.parse()
                    .map_err(|_| anyhow::anyhow!("{name} must be true or false, got {raw:?}"))?,
            ),
            _ => toml::Value::String(raw.clone()),
        };
    }
    Ok(())
}

/// Hides the password of a database URL so it can be logged.
pub fn redact_url(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://")
        && let Some((userinfo, host)) = rest.split_once('@')
    {
        let user = userinfo.split(':').next().unwrap_or("");
        return format!("{scheme}://{user}:[redacted]@{host}");
    }
    url.to_string()
}

/// The documented default configuration printed by `qingting config example`.
pub const EXAMPLE: &str = r#"# Qingting configuration. Every value shown is the default.
# Pass the file with `qingting --config qingting.toml serve`.
# Any value can also be set by an environment variable named QINGTING_ + its
# section and key in capitals, e.g. QINGTING_DATABASE_URL, QINGTING_SERVER_BIND.

# Folder for the embedded SQLite database, uploads and backups.
data_dir = "./data"

[server]
# Address and port to listen on.
bind = "127.0.0.1:8080"
# The address users type into their browser. When it starts with https://,
# session cookies are marked Secure.
public_url = "http://127.0.0.1:8080"
# Reverse proxies in front of Qingting (comma-separated IP addresses, e.g.
# "127.0.0.1"). Their X-Forwarded-For header then names the client for rate
# limits and the audit log; without this every client would look like the proxy.
trusted_proxies = ""

[database]
# Empty: the embedded SQLite file <data_dir>/qingting.db.
# PostgreSQL: "postgres://user:password@host:5432/qingting".
url = ""
max_connections = 8

[security]
# A session ends after this many minutes without a request (checked on every
# request; expired sessions are purged every ten minutes)...
session_idle_minutes = 120
# ...and in any case after this many hours. People see their own sessions at
# /account/sessions and can end them; admins end others' on the user's page.
session_max_hours = 24
# Login throttling: no account is ever locked. After a number of failed
# logins the next attempt must wait, first throttle_first_wait_seconds, twice
# as long after each further failure, at most throttle_max_wait_seconds;
# failures are forgotten throttle_forget_minutes after the last one, and a
# successful login forgets the account's. Counted separately:
# - per client address, over all accounts (stops one machine trying many
#   accounts; an office behind one NAT address shares this count):
throttle_per_address = 10
# - per account from one address (a stranger who hammers an account only
#   makes their own address wait):
throttle_per_account_and_address = 5
# - per account from all addresses (a spread-out attack): then addresses
#   that have failed must wait, while an address without failures may still
#   try, so nobody can keep the real user out.
throttle_per_account = 20
throttle_first_wait_seconds = 30
throttle_max_wait_seconds = 900
throttle_forget_minutes = 60
# Fewest characters of a new or changed password. Passwords are also refused
# when they are among the 10,000 most common ones (plus common Chinese ones)
# or contain the login or display name. Existing passwords keep working.
password_min_length = 10
# Days a password may be used; then its owner is sent to change it after
# login. 0: passwords do not expire.
password_max_days = 0
# Whoever holds an admin role must set up a second factor (an authenticator
# app, TOTP) before anything else. API tokens are not affected.
totp_required_for_admins = false
# Problems one network address may raise through the public page per hour.
public_intake_per_hour = 10

[import]
# Largest accepted upload (bytes) and the most rows one import may hold.
max_upload_bytes = 20971520
max_rows = 100000

[uploads]
# Attachments of activities, problems, campaigns and plans. The type is read
# from the file's content, never from its name. HEIC photos are refused: ask
# phones to send JPEG ("Most Compatible" on iPhones).
# Largest accepted file (bytes) and the most files one upload may carry.
max_file_bytes = 10485760
max_files = 10
# Accepted types: any of jpeg, png, webp, pdf, docx, xlsx, doc, xls, txt.
allowed_types = "jpeg,png,webp,pdf,docx,xlsx,doc,xls,txt"
# Longest side of the thumbnails shown in galleries (pixels).
thumbnail_px = 320
# Largest image accepted, width x height: a guard against decompression bombs.
max_image_pixels = 50000000

[log]
# "text" for people, "json" for log collectors.
format = "text"
# A tracing filter, e.g. "info" or "info,qingting=debug".
level = "info"

[mail]
# E-mail copies of notifications (deadlines, overdue problems, escalations,
# returned plans) to users who have an e-mail address. Off: in-app only.
enabled = false
host = "localhost"
port = 25
# "none" (plain), "starttls" (upgrade, usually port 587) or "tls" (SMTPS, 465).
tls = "starttls"
# Leave both empty when the server needs no login. The password never appears
# in logs; QINGTING_MAIL_PASSWORD keeps it out of the file.
username = ""
password = ""
from = "倾听 <qingting@localhost>"
# Accept self-signed certificates (intranet mail servers). Prefer adding the
# intranet CA to the system trust store, which is consulted by default.
accept_invalid_certs = false
# Seconds between outbox runs; 0 sends nothing from this server.
poll_seconds = 30
# A message that failed this many times is given up (retries back off
# from 1 minute, doubling, up to 6 hours).
max_attempts = 8
timeout_seconds = 30

[reminders]
# Minutes between reminder sweeps (deadlines due soon, overdue problems);
# 0 runs none in this server.
sweep_interval_minutes = 60
# Remind this many Chinese working days before a deadline (weekends, public
# holidays and make-up working days from the holiday file).
days_before = 3
# A problem still undecided after this many working days is listed on its
# owner's to-do home (工作台) as waiting too long.
open_days = 10

[robots]
# Orgs may configure a WeCom (企业微信) and a DingTalk (钉钉) group robot on
# their robot page (/orgs/<id>/robots); every notification for the org is then
# also posted to its group. Seconds between delivery runs; 0 posts nothing
# from this server.
poll_seconds = 15
# A post that failed this many times is given up (retries back off from
# 30 seconds, doubling, up to 6 hours). Success is HTTP 2xx with errcode 0.
max_attempts = 8
# Seconds one post (connect, TLS, request, answer) may take.
timeout_seconds = 10

[webhooks]
# Admins subscribe URLs to events of their org's subtree at /webhooks; every
# event is POSTed as signed JSON (see README, "Webhooks"). Seconds between
# delivery runs; 0 delivers nothing from this server.
poll_seconds = 5
# Seconds one POST (connect, TLS, request, answer) may take. Success is any
# HTTP 2xx answer.
timeout_seconds = 10
# Waits before the second, third, ... attempt of a delivery, in seconds (1 min,
# 5 min, 30 min, 2 h, 12 h); after the last the delivery has failed.
retry_seconds = "60,300,1800,7200,43200"
# A subscription whose attempts failed this many times in a row is turned
# off, and whoever made it gets a notice.
disable_after = 10
# Days finished deliveries and their log are kept.
keep_days = 30

[pdf]
# Chinese font of PDF exports (summary tables), embedded as a subset. Empty:
# the first found of /usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc
# (Debian package fonts-noto-cjk, a Song face like 宋体), NotoSansCJK-Regular.ttc
# and the same files where other distributions put them. A .ttc collection
# is fine: its Simplified Chinese face is used.
font = ""
# Bold face for the title. Empty: the Bold file beside the font above
# (NotoSerifCJK-Bold.ttc), or the font itself when there is none.
bold_font = ""

[backup]
# `serve` backs up the database and every attachment once a day into one zip
# archive (see `qingting backup`, `qingting backup verify`, `qingting restore`).
# On PostgreSQL this needs pg_dump (Debian package postgresql-client).
enabled = true
# Local time, China Standard Time (HH:MM).
at = "02:30"
# Archives of the schedule kept; older ones are removed. Archives made by hand
# (the admin page's button, `qingting backup`) are never removed.
keep = 14
# Folder of the archives. Empty: the backups folder in data_dir. Better on
# another disk, and copied off the machine.
dir = ""
[audit]
# Days the audit log is kept; older entries are purged once a day. At least
# 180 (six months): a smaller value is refused at start, and the database
# itself refuses to delete entries younger than the retention it records.
keep_days = 180

[metrics]
# Prometheus metrics at /metrics (requests, durations). Off by default. When
# on, set a token, a separate address, or both: metrics are never open to
# everyone on the main port (behind a reverse proxy on the same host every
# client would look local, so "loopback only" would protect nothing).
enabled = false
# With a token, /metrics answers only "Authorization: Bearer <token>"
# (Prometheus: `authorization: { credentials: <token> }`). Better set through
# QINGTING_METRICS_TOKEN; never logged.
token = ""
# With an address such as "127.0.0.1:9100", metrics are served there on their
# own listener (and no longer by the main application), so a firewall or the
# loopback interface keeps them private. The token applies there too when set.
bind = ""
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_example_is_the_defaults() {
        let parsed: Settings = toml::from_str(EXAMPLE).unwrap();
        assert_eq!(parsed, Settings::default());
    }

    #[test]
    fn environment_overrides_file_overrides_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("q.toml");
        std::fs::write(
            &file,
            "[server]\nbind = \"0.0.0.0:9000\"\n[security]\nthrottle_per_address = 3\n",
        )
        .unwrap();
        let s = Settings::load(
            Some(&file),
            [
                (
                    "QINGTING_SECURITY_THROTTLE_PER_ADDRESS".to_string(),
                    "7".to_string(),
                ),
                (
                    "QINGTING_DATABASE_URL".to_string(),
                    "postgres://u:pw@h/db".to_string(),
                ),
                (
                    "QINGTING_MAIL_PASSWORD".to_string(),
                    "smtp-secret".to_string(),
                ),
                ("QINGTING_MAIL_TLS".to_string(), "tls".to_string()),
                ("UNRELATED".to_string(), "x".to_string()),
            ],
        )
        .unwrap();
        assert_eq!(s.server.bind, "0.0.0.0:9000");
        assert_eq!(s.security.throttle_per_address, 7);
        assert_eq!(s.database.url, "postgres://u:pw@h/db");
        assert!(
            !format!("{s:?}").contains("pw"),
            "password leaked into Debug"
        );
        assert_eq!(s.mail.tls, TlsMode::Tls);
        assert_eq!(s.mail.password, "smtp-secret");
        assert!(
            !format!("{s:?}").contains("smtp-secret"),
            "mail password leaked into Debug"
        );
    }

    #[test]
    fn an_audit_retention_under_six_months_is_refused_by_name() {
        let err = Settings::load(None, [("QINGTING_AUDIT_KEEP_DAYS".into(), "90".into())])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("[audit] keep_days must be at least 180"),
            "{err}"
        );
        assert!(err.contains("got 90"), "{err}");
        let s = Settings::load(None, [("QINGTING_AUDIT_KEEP_DAYS".into(), "400".into())]).unwrap();
        assert_eq!(s.audit.keep_days, 400);
    }

    #[test]
    fn metrics_are_off_by_default_and_never_open_when_on() {
        assert!(!Settings::default().metrics.enabled);
        let err = Settings::load(None, [("QINGTING_METRICS_ENABLED".into(), "true".into())])
            .unwrap_err()
            .to_string();
        assert!(err.contains("needs a token"), "{err}");
        let s = Settings::load(
            None,
            [
                ("QINGTING_METRICS_ENABLED".into(), "true".into()),
                ("QINGTING_METRICS_TOKEN".into(), "prom-secret".into()),
            ],
        )
        .unwrap();
        assert!(
            !format!("{s:?}").contains("prom-secret"),
            "metrics token leaked into Debug"
        );
        let s = Settings::load(
            None,
            [
                ("QINGTING_METRICS_ENABLED".into(), "true".into()),
                ("QINGTING_METRICS_BIND".into(), "127.0.0.1:9100".into()),
            ],
        )
        .unwrap();
        assert_eq!(s.metrics.bind, "127.0.0.1:9100");
    }

    #[test]
    fn session_timeouts_must_be_positive() {
        let err = Settings::load(
            None,
            [("QINGTING_SECURITY_SESSION_IDLE_MINUTES".into(), "0".into())],
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("session_idle_minutes must be at least 1"),
            "{err}"
        );
    }

    #[test]
    fn a_bad_number_in_the_environment_names_the_variable() {
        let err = Settings::load(
            None,
            [(
                "QINGTING_SECURITY_THROTTLE_FORGET_MINUTES".into(),
                "soon".into(),
            )],
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("QINGTING_SECURITY_THROTTLE_FORGET_MINUTES")
        );
    }
}
