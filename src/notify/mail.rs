//! The outbox worker: sends pending e-mail through SMTP (lettre) with retries.
//!
//! Exactly once, as far as SMTP allows: a message is claimed (status
//! 'sending', attempts + 1, a lease) and committed before the SMTP
//! conversation, and marked 'sent' after the server accepted it. Two workers
//! never claim the same row. If the process dies after the server accepted the
//! message but before the mark, the lease runs out and the message is sent a
//! second time — at most once more per crash; it carries the same Message-ID
//! (`<outbox-ID.CREATED@host>`), so mail clients can recognise the copy. A
//! failure puts the message back with a backoff (1 min, doubling, at most 6 h);
//! after `max_attempts` it is marked failed with the last error.

use std::time::Duration;

use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Body, Mailbox, header::ContentTransferEncoding, header::ContentType},
    transport::smtp::{
        authentication::Credentials,
        client::{Tls, TlsParameters},
        extension::ClientId,
    },
};

use super::store::{self, Outgoing};
use crate::{
    config::{MailSettings, Settings, TlsMode},
    db::{Db, DbError},
    i18n::Lang,
};

/// How long a claim holds a message before another run may take it over.
const LEASE_SECONDS: i64 = 600;
/// Messages sent per run.
const BATCH: i64 = 50;

/// What one outbox run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    pub sent: u64,
    /// Failed attempts (put back for a retry or given up).
    pub failed: u64,
}

/// The host part of the public URL, for HELO and Message-IDs.
fn public_host(settings: &Settings) -> String {
    let url = &settings.server.public_url;
    let rest = url.split_once("://").map_or(url.as_str(), |(_, r)| r);
    let host = rest.split(['/', ':']).next().unwrap_or("");
    if host.is_empty() {
        "localhost".into()
    } else {
        host.to_string()
    }
}

/// Builds the SMTP transport from the settings.
pub fn transport(
    m: &MailSettings,
    hello: &str,
) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    let tls_params = || {
        TlsParameters::builder(m.host.clone())
            .dangerous_accept_invalid_certs(m.accept_invalid_certs)
            .build_rustls()
    };
    let tls = match m.tls {
        TlsMode::None => Tls::None,
        TlsMode::Starttls => Tls::Required(tls_params()?),
        TlsMode::Tls => Tls::Wrapper(tls_params()?),
    };
    let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(m.host.clone())
        .port(m.port)
        .tls(tls)
        .hello_name(ClientId::Domain(hello.to_string()))
        .timeout(Some(Duration::from_secs(m.timeout_seconds.max(1))));
    if !m.username.is_empty() {
        b = b.credentials(Credentials::new(m.username.clone(), m.password.clone()));
    }
    Ok(b.build())
}

/// The message for one outbox row: Chinese subject (RFC 2047), plain text
/// body in base64 (safe through any relay), a link to the record.
pub fn message(o: &Outgoing, settings: &Settings, host: &str) -> anyhow::Result<Message> {
    let from: Mailbox = settings
        .mail
        .from
        .parse()
        .map_err(|e| anyhow::anyhow!("mail.from {:?}: {e}", settings.mail.from))?;
    let to: Mailbox = o
        .to_address
        .parse()
        .map_err(|e| anyhow::anyhow!("address {:?}: {e}", o.to_address))?;
    let mut text = o.body.clone();
    if let Some(link) = &o.link {
        let url = format!("{}{link}", settings.server.public_url.trim_end_matches('/'));
        text.push_str("\n\n");
        text.push_str(&Lang::Zh.ta("notify-mail-link", &[("url", url)]));
    }
    text.push_str("\n\n-- \n");
    text.push_str(&Lang::Zh.t("notify-mail-footer"));
    text.push('\n');
    let body = Body::new_with_encoding(text, ContentTransferEncoding::Base64)
        .map_err(|_| anyhow::anyhow!("body cannot be encoded"))?;
    Ok(Message::builder()
        .from(from)
        .to(to)
        .subject(o.subject.clone())
        .message_id(Some(format!("<outbox-{}.{}@{host}>", o.id, o.created_at)))
        .header(ContentType::TEXT_PLAIN)
        .body(body)?)
}

/// The wait before attempt `attempts + 1`.
pub fn backoff(attempts: i64) -> i64 {
    let exp = attempts.clamp(1, 20) - 1;
    (60_i64 << exp).min(6 * 3600)
}

/// Sends the messages due at `at`. Does nothing when mail is disabled.
pub async fn deliver_pending(
    db: &Db,
    settings: &Settings,
    at: i64,
) -> Result<DeliveryReport, DbError> {
    let mut report = DeliveryReport::default();
    if !settings.mail.enabled {
        return Ok(report);
    }
    let host = public_host(settings);
    let batch = store::claim(db, at, LEASE_SECONDS, BATCH).await?;
    if batch.is_empty() {
        return Ok(report);
    }
    let mailer = transport(&settings.mail, &host);
    for o in batch {
        let result = match &mailer {
            Ok(t) => match message(&o, settings, &host) {
                Ok(m) => t.send(m).await.map(|_| ()).map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            },
            Err(e) => Err(e.to_string()),
        };
        match result {
            Ok(()) => {
                store::mark_sent(db, o.id, crate::db::now()).await?;
                report.sent += 1;
            }
            Err(e) => {
                let retry =
                    (o.attempts < settings.mail.max_attempts).then(|| at + backoff(o.attempts));
                tracing::warn!(outbox.id = o.id, outbox.attempts = o.attempts, error = %e, "mail not sent");
                store::mark_failed(db, o.id, &e, retry).await?;
                report.failed += 1;
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_a_minute_up_to_six_hours() {
        assert_eq!(backoff(1), 60);
        assert_eq!(backoff(2), 120);
        assert_eq!(backoff(5), 960);
        assert_eq!(backoff(30), 6 * 3600);
    }

    #[test]
    fn public_host_is_taken_from_the_url() {
        let mut s = Settings::default();
        s.server.public_url = "https://qt.example.org:8443/app".into();
        assert_eq!(public_host(&s), "qt.example.org");
    }
}
