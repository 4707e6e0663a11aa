//! Reminders (提醒): in-app notifications and their e-mail copies.
//!
//! Four things make notifications: a problem escalated to an org (its cadres
//! and admins), a plan returned (the unit's cadres and admins), and the
//! scheduled [`sweep`] — deadlines within N Chinese working days (problems in
//! progress or planned, campaign report deadlines, plan milestones) and
//! overdue problems. Each notification carries a dedup key naming its event;
//! the unique key (user, dedup key) makes every rule fire once per user however
//! often the sweep runs.
//!
//! A notification for a user with an e-mail address also writes an [`store`]
//! outbox row in the same transaction; the [`mail`] worker sends it (see
//! `mail` for the exactly-once argument), and the org's enabled group robots
//! (WeCom, DingTalk) get a [`robot`] delivery, posted by the robot worker.
//! The loops run inside the server ([`spawn`]) and can be called directly
//! (tests, a CLI).

pub mod api;
pub mod demo;
pub mod mail;
pub mod ops;
pub mod pages;
pub mod robot;
pub mod store;
pub mod sweep;

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use serde::{Deserialize, Serialize};

use crate::{
    config::Settings,
    date::Day,
    db::{Db, OrgId},
    error::{AppError, AppResult},
    i18n::Lang,
};

/// What a notification is about. The stored spelling is `as_str`; the message
/// keys are `notify-<kind>` (in-app and mail body) and `notify-<kind>-subject`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = NotificationKind)]
pub enum Kind {
    /// A problem was escalated to the reader's org.
    Escalated,
    /// The issuing org returned the unit's plan.
    PlanReturned,
    /// A problem's completion deadline or planned date is near.
    ProblemDue,
    /// A problem's deadline or planned date passed unsolved.
    ProblemOverdue,
    /// A campaign's report deadline is near.
    CampaignDue,
    /// A plan milestone is near.
    MilestoneDue,
    /// The issuing org returned the unit's summary table.
    SummaryReturned,
    /// An org above chased the unit (催报 / 催办) with a message.
    Chased,
    /// A campaign was issued to the unit: it should confirm receipt (签收).
    CampaignIssued,
    /// A unit submitted its summary table to the issuing org, for review.
    SummarySubmitted,
    /// A webhook subscription was turned off after failing too often.
    WebhookDisabled,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 11] = [
        Kind::Escalated,
        Kind::PlanReturned,
        Kind::ProblemDue,
        Kind::ProblemOverdue,
        Kind::CampaignDue,
        Kind::MilestoneDue,
        Kind::SummaryReturned,
        Kind::Chased,
        Kind::CampaignIssued,
        Kind::SummarySubmitted,
        Kind::WebhookDisabled,
    ];

    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Escalated => "escalated",
            Kind::PlanReturned => "plan_returned",
            Kind::ProblemDue => "problem_due",
            Kind::ProblemOverdue => "problem_overdue",
            Kind::CampaignDue => "campaign_due",
            Kind::MilestoneDue => "milestone_due",
            Kind::SummaryReturned => "summary_returned",
            Kind::Chased => "chased",
            Kind::CampaignIssued => "campaign_issued",
            Kind::SummarySubmitted => "summary_submitted",
            Kind::WebhookDisabled => "webhook_disabled",
        }
    }

    /// Parses the stored spelling.
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The catalogue key of the message.
    pub fn text_key(self) -> String {
        format!("notify-{}", self.as_str())
    }

    /// The catalogue key of the mail subject.
    pub fn subject_key(self) -> String {
        format!("notify-{}-subject", self.as_str())
    }
}

/// A notification to be written for some users.
#[derive(Clone, Debug)]
pub struct Notice {
    pub kind: Kind,
    /// The org the event concerns (the problem's owner, the plan's unit).
    pub org: OrgId,
    /// Message arguments.
    pub args: BTreeMap<String, String>,
    /// The path of the record, e.g. `/problems/42`.
    pub link: String,
    /// Names the event: the same key never notifies the same user twice.
    pub dedup_key: String,
}

impl Notice {
    /// A notice without arguments yet.
    pub fn new(kind: Kind, org: OrgId, link: String, dedup_key: String) -> Self {
        Notice {
            kind,
            org,
            args: BTreeMap::new(),
            link,
            dedup_key,
        }
    }

    /// Adds a message argument.
    pub fn arg(mut self, name: &str, value: impl ToString) -> Self {
        self.args.insert(name.to_string(), value.to_string());
        self
    }

    /// The message in `lang`.
    pub fn text(&self, lang: Lang) -> String {
        render(lang, &self.kind.text_key(), &self.args)
    }

    /// The mail subject in `lang`.
    pub fn subject(&self, lang: Lang) -> String {
        render(lang, &self.kind.subject_key(), &self.args)
    }
}

/// A catalogue message with arguments from a map.
pub fn render(lang: Lang, key: &str, args: &BTreeMap<String, String>) -> String {
    let list: Vec<(&str, String)> = args.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    lang.ta(key, &list)
}

/// A short excerpt of a description for a message line.
pub fn excerpt(s: &str) -> String {
    let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out: String = one_line.chars().take(40).collect();
    if one_line.chars().count() > 40 {
        out.push('…');
    }
    out
}

/// Starts the reminder sweep, the outbox worker and the robot worker inside the server, each on
/// its own interval (0 starts none). Errors are logged and the loop goes on.
pub fn spawn(db: Db, settings: Arc<Settings>) {
    let minutes = settings.reminders.sweep_interval_minutes;
    if minutes > 0 {
        let db = db.clone();
        let settings = settings.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(minutes * 60));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                match sweep::run(&db, &settings.reminders, Day::today()).await {
                    Ok(r) => tracing::debug!(notify.created = r.created, "reminder sweep"),
                    Err(e) => tracing::error!(error = %e, "reminder sweep failed"),
                }
            }
        });
    }
    let robot_secs = settings.robots.poll_seconds;
    if robot_secs > 0 {
        let db = db.clone();
        let settings = settings.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(robot_secs));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                match robot::deliver_pending(&db, &settings, crate::db::now()).await {
                    Ok(r) if r.sent + r.failed > 0 => {
                        tracing::info!(robot.sent = r.sent, robot.failed = r.failed, "robot run");
                    }
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = %e, "robot run failed"),
                }
            }
        });
    }
    let secs = settings.mail.poll_seconds;
    if settings.mail.enabled && secs > 0 {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(secs));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                match mail::deliver_pending(&db, &settings, crate::db::now()).await {
                    Ok(r) if r.sent + r.failed > 0 => {
                        tracing::info!(mail.sent = r.sent, mail.failed = r.failed, "outbox run");
                    }
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = %e, "outbox run failed"),
                }
            }
        });
    }
}

/// How many notifications a list shows.
pub const LIMIT: i64 = 200;

/// Query of the list.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// `yes`: unread only.
    pub unread: Option<String>,
    /// `day`: answer the groups (one per kind per day, as `/api/v1/notifications/groups`).
    pub group: Option<String>,
    /// Only this kind (with `day`: one group's notices).
    pub kind: Option<String>,
    /// Only this day in Beijing, `YYYY-MM-DD` (with `kind`).
    pub day: Option<String>,
}

impl ListParams {
    pub fn unread_only(&self) -> bool {
        matches!(self.unread.as_deref(), Some("yes" | "true" | "1"))
    }

    /// The group asked for, if both `kind` and `day` are given; a bad value is a 400.
    pub fn group(&self) -> AppResult<Option<(Kind, Day)>> {
        match (self.kind.as_deref(), self.day.as_deref()) {
            (None | Some(""), None | Some("")) => Ok(None),
            (Some(k), Some(d)) => {
                let kind = Kind::parse(k).ok_or(AppError::BadRequest("kind"))?;
                let day = Day::parse_str(d).ok_or(AppError::BadRequest("day"))?;
                Ok(Some((kind, day)))
            }
            _ => Err(AppError::BadRequest("kind and day")),
        }
    }
}

/// A group: one kind on one day.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct GroupRef {
    pub kind: Kind,
    /// `YYYY-MM-DD`, a day in Beijing.
    pub day: String,
}

impl GroupRef {
    pub fn day(&self) -> AppResult<Day> {
        Day::parse_str(&self.day).ok_or_else(|| AppError::field("day", "err-date"))
    }
}

/// The unread count (the badge in the menu).
#[derive(Clone, Copy, Debug, Serialize, utoipa::ToSchema)]
pub struct Unread {
    /// Unread notifications.
    pub unread: i64,
    /// Groups (kind and day) with unread notifications: the number on the bell.
    pub groups: i64,
}

/// How many notifications a mark changed.
#[derive(Clone, Copy, Debug, Serialize, utoipa::ToSchema)]
pub struct ReadResult {
    pub marked: u64,
    pub unread: i64,
}

/// Query of the groups.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GroupParams {
    /// `yes`: groups with unread notices only.
    pub unread: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_have_messages_in_both_languages() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
            let args: BTreeMap<String, String> = [
                "id",
                "excerpt",
                "from",
                "reason",
                "campaign",
                "due",
                "milestone",
                "outcome",
                "version",
                "message",
                "unit",
                "url",
                "org",
                "n",
            ]
            .into_iter()
            .map(|a| (a.to_string(), format!("<{a}>")))
            .collect();
            for lang in Lang::ALL {
                for key in [k.text_key(), k.subject_key()] {
                    let text = render(lang, &key, &args);
                    assert!(text.contains("<"), "{} {key}: {text}", lang.code());
                    assert!(
                        !text.contains(&key),
                        "{} {key} missing: {text}",
                        lang.code()
                    );
                }
            }
        }
    }

    #[test]
    fn keys_built_at_run_time_exist_in_both_languages() {
        let mut keys: Vec<String> = Vec::new();
        for k in Kind::ALL {
            keys.push(format!("notify-kind-{}", k.as_str()));
            keys.push(format!("notify-group-{}", k.as_str()));
        }
        for p in robot::Platform::ALL {
            keys.push(p.label_key());
        }
        for s in ["pending", "sending", "sent", "failed"] {
            keys.push(format!("robot-status-{s}"));
        }
        // Rendered with the arguments the groups pass: a message that needs
        // arguments is not found by a bare look-up.
        let args = [("day", "<day>".to_string()), ("n", "<n>".to_string())];
        for lang in Lang::ALL {
            for k in &keys {
                let text = lang.ta(k, &args);
                assert!(
                    !text.is_empty() && !text.contains(k.as_str()),
                    "{} {k}",
                    lang.code()
                );
            }
        }
    }

    #[test]
    fn excerpts_are_one_short_line() {
        assert_eq!(excerpt("食堂\n饭菜  太贵"), "食堂 饭菜 太贵");
        assert_eq!(excerpt(&"长".repeat(50)).chars().count(), 41);
    }
}
