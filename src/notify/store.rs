//! Notification and outbox queries. Notifications are per user: every read
//! and write here filters on the user id, so a user can neither see nor mark
//! another user's notices (another id is simply not found).

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Kind, Notice, excerpt};
use crate::{
    date::Day,
    db::{CampaignId, Db, DbError, OrgId, PlanId, ProblemId, Tx, UserId, now},
    i18n::Lang,
};

/// The users told about an org's business: active cadres and admins holding
/// the role at that org itself (not its ancestors, who have their own inbox).
pub async fn recipients(tx: &mut Tx, org: OrgId) -> Result<Vec<(UserId, Option<String>)>, DbError> {
    sqlx::query_as(
        "SELECT DISTINCT u.id, u.email FROM role_grants g JOIN users u ON u.id = g.user_id \
         WHERE g.org_id = $1 AND g.role IN ('cadre', 'admin') AND u.active = 1 ORDER BY u.id",
    )
    .bind(org)
    .fetch_all(&mut **tx)
    .await
}

/// Writes `notice` for each recipient that does not have it yet, an outbox
/// row for each new one whose user has an e-mail address (the mail is in
/// Chinese: users have no language setting), and a delivery for each enabled
/// group robot of the notice's org (once per robot and dedup key, whoever the
/// recipients are). Returns how many notifications were new.
pub async fn notify(
    tx: &mut Tx,
    notice: &Notice,
    to: &[(UserId, Option<String>)],
) -> Result<u64, DbError> {
    super::robot::store::queue(tx, notice).await?;
    let args = serde_json::to_string(&notice.args).unwrap_or_else(|_| "{}".into());
    let ts = now();
    let mut created = 0;
    for (user, email) in to {
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO notifications (user_id, org_id, kind, args, link, dedup_key, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (user_id, dedup_key) DO NOTHING RETURNING id",
        )
        .bind(user)
        .bind(notice.org)
        .bind(notice.kind.as_str())
        .bind(&args)
        .bind(&notice.link)
        .bind(&notice.dedup_key)
        .bind(ts)
        .fetch_optional(&mut **tx)
        .await?;
        let Some(id) = id else { continue };
        created += 1;
        let Some(address) = email.as_deref().map(str::trim).filter(|e| e.contains('@')) else {
            continue;
        };
        sqlx::query(
            "INSERT INTO outbox (notification_id, user_id, to_address, subject, body, link, dedup_key, \
             status, attempts, next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, $8, $8) \
             ON CONFLICT (dedup_key) DO NOTHING",
        )
        .bind(id)
        .bind(user)
        .bind(address)
        .bind(notice.subject(Lang::Zh))
        .bind(notice.text(Lang::Zh))
        .bind(&notice.link)
        .bind(format!("n:{id}"))
        .bind(ts)
        .execute(&mut **tx)
        .await?;
    }
    Ok(created)
}

/// A problem was escalated to `to`: its cadres and admins are told, inside the
/// escalation's own transaction (a rolled-back escalation notifies no one).
pub async fn on_escalated(tx: &mut Tx, problem: ProblemId, to: OrgId) -> Result<(), DbError> {
    let row: Option<(String, Option<String>, i64)> = sqlx::query_as(
        "SELECT p.description, fo.name, ev.id FROM problems p \
         JOIN problem_events ev ON ev.problem_id = p.id AND ev.kind = 'escalated' \
         LEFT JOIN orgs fo ON fo.id = ev.from_org_id \
         WHERE p.id = $1 ORDER BY ev.id DESC LIMIT 1",
    )
    .bind(problem)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((description, from, event)) = row else {
        return Ok(());
    };
    let reason: Option<String> =
        sqlx::query_scalar("SELECT reason FROM problem_events WHERE id = $1")
            .bind(event)
            .fetch_one(&mut **tx)
            .await?;
    let notice = Notice::new(
        Kind::Escalated,
        to,
        format!("/problems/{problem}"),
        format!("escalated:problem:{problem}:event:{event}"),
    )
    .arg("id", problem)
    .arg("excerpt", excerpt(&description))
    .arg("from", from.unwrap_or_default())
    .arg("reason", reason.unwrap_or_default());
    let to_users = recipients(tx, to).await?;
    notify(tx, &notice, &to_users).await?;
    Ok(())
}

/// A plan was returned to its unit: the unit's cadres and admins are told.
pub async fn on_plan_returned(
    tx: &mut Tx,
    plan: PlanId,
    unit: OrgId,
    version: i64,
    reason: &str,
) -> Result<(), DbError> {
    let (campaign, title): (i64, String) = sqlx::query_as(
        "SELECT c.id, c.title FROM plans p JOIN campaigns c ON c.id = p.campaign_id WHERE p.id = $1",
    )
    .bind(plan)
    .fetch_one(&mut **tx)
    .await?;
    let notice = Notice::new(
        Kind::PlanReturned,
        unit,
        format!("/campaigns/{campaign}/plans/{unit}"),
        format!("plan_returned:{plan}:v{version}"),
    )
    .arg("campaign", title)
    .arg("reason", reason.trim());
    let to_users = recipients(tx, unit).await?;
    notify(tx, &notice, &to_users).await?;
    Ok(())
}

/// A summary table was returned to its unit: the unit's cadres and admins are told.
pub async fn on_summary_returned(
    tx: &mut Tx,
    campaign: (CampaignId, &str),
    unit: OrgId,
    version: i64,
    reason: &str,
) -> Result<(), DbError> {
    let notice = Notice::new(
        Kind::SummaryReturned,
        unit,
        format!("/campaigns/{}/summary/{unit}", campaign.0),
        format!("summary_returned:{}:{unit}:v{version}", campaign.0),
    )
    .arg("campaign", campaign.1)
    .arg("version", version)
    .arg("reason", reason.trim());
    let to_users = recipients(tx, unit).await?;
    notify(tx, &notice, &to_users).await?;
    Ok(())
}

/// A notification as its reader sees it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Notification {
    pub id: i64,
    pub kind: Kind,
    /// The message in the reader's language.
    pub text: String,
    /// The path of the record it is about.
    pub link: String,
    pub created_at: i64,
    pub read_at: Option<i64>,
}

type Row = (i64, String, String, String, i64, Option<i64>);

/// The user's notifications, newest first (unread only when asked).
pub async fn list(
    db: &Db,
    user: UserId,
    unread_only: bool,
    limit: i64,
    lang: Lang,
) -> Result<Vec<Notification>, DbError> {
    let sql = if unread_only {
        "SELECT id, kind, args, link, created_at, read_at FROM notifications \
         WHERE user_id = $1 AND read_at IS NULL ORDER BY id DESC LIMIT $2"
    } else {
        "SELECT id, kind, args, link, created_at, read_at FROM notifications \
         WHERE user_id = $1 ORDER BY id DESC LIMIT $2"
    };
    let rows: Vec<Row> = sqlx::query_as(sql)
        .bind(user)
        .bind(limit)
        .fetch_all(db.pool())
        .await?;
    Ok(shown(rows, lang))
}

/// Rows as their reader sees them.
fn shown(rows: Vec<Row>, lang: Lang) -> Vec<Notification> {
    rows.into_iter()
        .filter_map(|(id, kind, args, link, created_at, read_at)| {
            let kind = Kind::parse(&kind)?;
            let args: BTreeMap<String, String> = serde_json::from_str(&args).unwrap_or_default();
            Some(Notification {
                id,
                kind,
                text: super::render(lang, &kind.text_key(), &args),
                link,
                created_at,
                read_at,
            })
        })
        .collect()
}

/// How many unread notifications the user has.
pub async fn unread(db: &Db, user: UserId) -> Result<i64, DbError> {
    sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL")
        .bind(user)
        .fetch_one(db.pool())
        .await
}

/// Marks one of the user's notifications read; returns its link, or `None`
/// when the user has no such notification.
pub async fn mark_read(db: &Db, user: UserId, id: i64) -> Result<Option<String>, DbError> {
    let link: Option<String> =
        sqlx::query_scalar("SELECT link FROM notifications WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(user)
            .fetch_optional(db.pool())
            .await?;
    if link.is_some() {
        sqlx::query(
            "UPDATE notifications SET read_at = $1 WHERE id = $2 AND user_id = $3 AND read_at IS NULL",
        )
        .bind(now())
        .bind(id)
        .bind(user)
        .execute(db.pool())
        .await?;
    }
    Ok(link)
}

/// Marks all of the user's notifications read; returns how many changed.
pub async fn mark_all_read(db: &Db, user: UserId) -> Result<u64, DbError> {
    let done =
        sqlx::query("UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL")
            .bind(now())
            .bind(user)
            .execute(db.pool())
            .await?;
    Ok(done.rows_affected())
}

// ---- groups: one entry per kind per day ----

/// Seconds east of UTC of Beijing: days are grouped as Beijing counts them.
const CST: i64 = 8 * 3600;
/// The Beijing day number of an epoch-second column, in SQL (integer
/// division on both databases).
const DAY_SQL: &str = "(created_at + 28800) / 86400";

fn epoch() -> Day {
    Day::from_ymd(1970, 1, 1).expect("a valid date")
}

/// The Beijing day of a day number.
fn day_of(number: i64) -> Day {
    epoch().plus_days(number)
}

/// The first and the after-last instant (epoch seconds) of a Beijing day.
fn bounds(day: Day) -> (i64, i64) {
    let n = epoch().days_until(day);
    (n * 86400 - CST, (n + 1) * 86400 - CST)
}

/// One kind of notification on one day, as the page and the bell show it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct NoticeGroup {
    pub kind: Kind,
    /// The day in Beijing, `YYYY-MM-DD`.
    pub day: String,
    /// Notifications in the group.
    pub count: i64,
    /// Of which unread.
    pub unread: i64,
    /// E.g. "今天有 16 个问题上报到本单位"; a group of one shows that notice's own text.
    pub text: String,
    /// Where the group opens: the filtered list of its notices, or, for a
    /// group of one, the record itself.
    pub link: String,
    /// The notice of a group of one.
    pub notification_id: Option<i64>,
    /// When the newest member was written.
    pub latest_at: i64,
}

impl NoticeGroup {
    /// The path of the group's filtered list.
    pub fn list_link(&self) -> String {
        format!(
            "/notifications?kind={}&day={}",
            self.kind.as_str(),
            self.day
        )
    }
}

/// How a group names its day: today, yesterday or the date.
pub fn day_label(lang: Lang, day: Day, today: Day) -> String {
    match day.days_until(today) {
        0 => lang.t("notify-day-today"),
        1 => lang.t("notify-day-yesterday"),
        _ => lang.ta("notify-day-on", &[("date", lang.day(day))]),
    }
}

type GroupRow = (String, i64, i64, i64, i64, i64);

/// The user's notifications grouped by kind and Beijing day, newest group
/// first (groups with unread members only, when asked).
pub async fn groups(
    db: &Db,
    user: UserId,
    unread_only: bool,
    limit: i64,
    lang: Lang,
    today: Day,
) -> Result<Vec<NoticeGroup>, DbError> {
    let filter = if unread_only {
        " AND read_at IS NULL"
    } else {
        ""
    };
    let sql = format!(
        "SELECT kind, {DAY_SQL}, COUNT(*), SUM(CASE WHEN read_at IS NULL THEN 1 ELSE 0 END), \
         MAX(id), MAX(created_at) FROM notifications WHERE user_id = $1{filter} \
         GROUP BY kind, {DAY_SQL} ORDER BY MAX(id) DESC LIMIT $2"
    );
    let rows: Vec<GroupRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(user)
        .bind(limit)
        .fetch_all(db.pool())
        .await?;
    // Groups of one show their notice as it is.
    let single: Vec<String> = rows
        .iter()
        .filter(|r| r.2 == 1)
        .map(|r| r.4.to_string())
        .collect();
    let mut singles: BTreeMap<i64, (String, String)> = BTreeMap::new();
    if !single.is_empty() {
        // Ids come from the database: inlining them cannot inject anything.
        let sql = format!(
            "SELECT id, args, link FROM notifications WHERE user_id = $1 AND id IN ({})",
            single.join(",")
        );
        let found: Vec<(i64, String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(user)
            .fetch_all(db.pool())
            .await?;
        singles = found.into_iter().map(|(id, a, l)| (id, (a, l))).collect();
    }
    Ok(rows
        .into_iter()
        .filter_map(|(kind, number, count, unread, newest, latest_at)| {
            let kind = Kind::parse(&kind)?;
            let day = day_of(number);
            let mut g = NoticeGroup {
                kind,
                day: day.iso(),
                count,
                unread,
                text: String::new(),
                link: String::new(),
                notification_id: None,
                latest_at,
            };
            match singles.get(&newest).filter(|_| count == 1) {
                Some((args, link)) => {
                    let args: BTreeMap<String, String> =
                        serde_json::from_str(args).unwrap_or_default();
                    g.text = super::render(lang, &kind.text_key(), &args);
                    g.link = link.clone();
                    g.notification_id = Some(newest);
                }
                None => {
                    g.text = lang.ta(
                        &format!("notify-group-{}", kind.as_str()),
                        &[
                            ("n", lang.number(count)),
                            ("day", day_label(lang, day, today)),
                        ],
                    );
                    g.link = g.list_link();
                }
            }
            Some(g)
        })
        .collect())
}

/// How many groups have unread members (the number on the bell).
pub async fn unread_groups(db: &Db, user: UserId) -> Result<i64, DbError> {
    let sql = format!(
        "SELECT COUNT(*) FROM (SELECT kind FROM notifications WHERE user_id = $1 AND read_at IS NULL \
         GROUP BY kind, {DAY_SQL}) g"
    );
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(user)
        .fetch_one(db.pool())
        .await
}

/// The user's notifications of one kind on one Beijing day, newest first.
pub async fn list_group(
    db: &Db,
    user: UserId,
    kind: Kind,
    day: Day,
    limit: i64,
    lang: Lang,
) -> Result<Vec<Notification>, DbError> {
    let (from, to) = bounds(day);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, kind, args, link, created_at, read_at FROM notifications \
         WHERE user_id = $1 AND kind = $2 AND created_at >= $3 AND created_at < $4 \
         ORDER BY id DESC LIMIT $5",
    )
    .bind(user)
    .bind(kind.as_str())
    .bind(from)
    .bind(to)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    Ok(shown(rows, lang))
}

/// Marks every notification of one kind on one day read; returns how many changed.
pub async fn mark_group_read(db: &Db, user: UserId, kind: Kind, day: Day) -> Result<u64, DbError> {
    let (from, to) = bounds(day);
    let done = sqlx::query(
        "UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND kind = $3 \
         AND created_at >= $4 AND created_at < $5 AND read_at IS NULL",
    )
    .bind(now())
    .bind(user)
    .bind(kind.as_str())
    .bind(from)
    .bind(to)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected())
}

// ---- outbox ----

/// A claimed outbox message.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Outgoing {
    pub id: i64,
    pub to_address: String,
    pub subject: String,
    pub body: String,
    pub link: Option<String>,
    pub attempts: i64,
    pub created_at: i64,
}

/// Claims up to `limit` messages due at `at`: each becomes 'sending' with one
/// more attempt and a lease until `at + lease`, in one transaction, so two
/// workers never send the same row. A 'sending' row whose lease ran out (its
/// worker died) is claimable again.
pub async fn claim(db: &Db, at: i64, lease: i64, limit: i64) -> Result<Vec<Outgoing>, DbError> {
    let mut tx = db.begin().await?;
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM outbox WHERE status IN ('pending', 'sending') AND next_attempt_at <= $1 \
         ORDER BY next_attempt_at, id LIMIT $2",
    )
    .bind(at)
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    let mut claimed = Vec::new();
    for id in ids {
        // The status and time are checked again: on PostgreSQL another worker
        // may have claimed the row since the SELECT (SQLite's BEGIN IMMEDIATE
        // already serialises them).
        let row: Option<Outgoing> = sqlx::query_as(
            "UPDATE outbox SET status = 'sending', attempts = attempts + 1, next_attempt_at = $1 \
             WHERE id = $2 AND status IN ('pending', 'sending') AND next_attempt_at <= $3 \
             RETURNING id, to_address, subject, body, link, attempts, created_at",
        )
        .bind(at + lease)
        .bind(id)
        .bind(at)
        .fetch_optional(&mut *tx)
        .await?;
        claimed.extend(row);
    }
    tx.commit().await?;
    Ok(claimed)
}

/// Marks a claimed message sent.
pub async fn mark_sent(db: &Db, id: i64, at: i64) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE outbox SET status = 'sent', sent_at = $1, last_error = NULL WHERE id = $2 AND status = 'sending'",
    )
    .bind(at)
    .bind(id)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Puts a claimed message back for a retry at `retry_at`, or gives it up.
pub async fn mark_failed(
    db: &Db,
    id: i64,
    error: &str,
    retry_at: Option<i64>,
) -> Result<(), DbError> {
    let error: String = error.chars().take(500).collect();
    match retry_at {
        Some(at) => {
            sqlx::query(
                "UPDATE outbox SET status = 'pending', next_attempt_at = $1, last_error = $2 \
                 WHERE id = $3 AND status = 'sending'",
            )
            .bind(at)
            .bind(error)
            .bind(id)
            .execute(db.pool())
            .await?
        }
        None => {
            sqlx::query(
                "UPDATE outbox SET status = 'failed', last_error = $1 WHERE id = $2 AND status = 'sending'",
            )
            .bind(error)
            .bind(id)
            .execute(db.pool())
            .await?
        }
    };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_counted_in_beijing() {
        // 2026-12-07 00:00 in Beijing is 2026-12-06 16:00 UTC.
        let d = Day::from_ymd(2026, 12, 7).unwrap();
        let (from, to) = bounds(d);
        assert_eq!(Day::of_timestamp(from), d);
        assert_eq!(Day::of_timestamp(from - 1), d.plus_days(-1));
        assert_eq!(Day::of_timestamp(to - 1), d);
        assert_eq!(Day::of_timestamp(to), d.plus_days(1));
        assert_eq!(day_of((from + CST) / 86400), d);
        assert_eq!(day_of((to - 1 + CST) / 86400), d);
    }

    #[test]
    fn group_days_are_named_today_yesterday_or_by_date() {
        let today = Day::from_ymd(2026, 12, 7).unwrap();
        assert_eq!(day_label(Lang::Zh, today, today), "今天");
        assert_eq!(day_label(Lang::Zh, today.plus_days(-1), today), "昨天");
        assert_eq!(
            day_label(Lang::Zh, today.plus_days(-3), today),
            "2026年12月4日"
        );
        assert_eq!(
            day_label(Lang::En, today.plus_days(-3), today),
            "on 2026-12-04"
        );
    }
}
