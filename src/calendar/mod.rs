//! The per-user iCalendar feed (RFC 5545): campaign report deadlines, plan
//! milestones and problem deadlines within the user's scope, as all-day
//! events. The feed URL carries a token (stored as its SHA-256) instead of a
//! login, since calendar apps cannot log in; the user revokes and re-creates it
//! at `/calendar`.
//!
//! In the shape of a domain: this file the events and the iCalendar text,
//! `store` the SQL, `ops` the use cases, `pages` the page, `api` the API (the
//! feed included) and the router.

pub mod api;
pub mod ops;
pub mod pages;
pub mod store;

/// Where the feed lives: this prefix, the token, `.ics`.
pub const FEED_PREFIX: &str = "/api/v1/calendar/feed/";

/// The absolute address of the feed of `token`.
pub fn feed_url(public_url: &str, token: &str) -> String {
    format!(
        "{}{FEED_PREFIX}{token}.ics",
        public_url.trim_end_matches('/')
    )
}

use crate::date::Day;

/// One all-day event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// Globally unique and stable across fetches (calendar apps update by UID).
    pub uid: String,
    pub day: Day,
    pub summary: String,
    pub description: String,
    /// Absolute URL of the record.
    pub url: String,
}

/// Escapes a TEXT value (RFC 5545 §3.3.11): backslash, semicolon, comma, newline.
pub fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line to at most 75 octets per physical line (RFC 5545
/// §3.1), never splitting a UTF-8 character; each line ends with CRLF.
pub fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + line.len() / 70 * 3 + 2);
    let mut used = 0;
    let mut first = true;
    for ch in line.chars() {
        let len = ch.len_utf8();
        let limit = if first { 75 } else { 74 };
        if used + len > limit {
            out.push_str("\r\n ");
            used = 0;
            first = false;
        }
        out.push(ch);
        used += len;
    }
    out.push_str("\r\n");
    out
}

/// The whole calendar.
pub fn render(name: &str, stamp: chrono::DateTime<chrono::Utc>, events: &[Event]) -> String {
    let mut out = String::new();
    let dtstamp = stamp.format("%Y%m%dT%H%M%SZ").to_string();
    for line in [
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".into(),
        "PRODID:-//Qingting//Qingting reminders//ZH".into(),
        "CALSCALE:GREGORIAN".into(),
        "METHOD:PUBLISH".into(),
        format!("X-WR-CALNAME:{}", escape_text(name)),
        "X-WR-TIMEZONE:Asia/Shanghai".into(),
    ] {
        out.push_str(&fold(&line));
    }
    for e in events {
        let start = e.day.naive().format("%Y%m%d").to_string();
        let end = e.day.plus_days(1).naive().format("%Y%m%d").to_string();
        for line in [
            "BEGIN:VEVENT".to_string(),
            format!("UID:{}", e.uid),
            format!("DTSTAMP:{dtstamp}"),
            format!("DTSTART;VALUE=DATE:{start}"),
            format!("DTEND;VALUE=DATE:{end}"),
            format!("SUMMARY:{}", escape_text(&e.summary)),
            format!("DESCRIPTION:{}", escape_text(&e.description)),
            format!("URL:{}", e.url),
            "TRANSP:TRANSPARENT".into(),
            "END:VEVENT".into(),
        ] {
            out.push_str(&fold(&line));
        }
    }
    out.push_str(&fold("END:VCALENDAR"));
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape_text("a,b;c\\d\r\ne"), "a\\,b\\;c\\\\d\\ne");
    }

    #[test]
    fn short_lines_are_left_alone() {
        assert_eq!(fold("SUMMARY:短"), "SUMMARY:短\r\n");
    }

    proptest! {
        #[test]
        fn folding_keeps_lines_short_and_characters_whole(s in "[a-z,;中文工会问题\\-]{0,200}") {
            let line = format!("SUMMARY:{s}");
            let folded = fold(&line);
            for (i, physical) in folded.split("\r\n").enumerate() {
                prop_assert!(physical.len() <= 75, "line {i} has {} octets", physical.len());
            }
            // Unfolding gives the line back.
            let unfolded = folded.trim_end_matches("\r\n").replace("\r\n ", "");
            prop_assert_eq!(unfolded, line);
        }
    }
}
