//! Report queries: scoped reads, writes inside the caller's transaction
//! (the handler adds the audit entry), versions, the timeline, and the
//! figures the dashboards read.
//!
//! Who reads a report: readers over the author org's subtree, and — once it
//! has been submitted — readers over the campaign's issuing org.

use std::collections::BTreeMap;

use sqlx::AssertSqlSafe;

use super::{Body, Head, Report, ReportEventKind, Status, VersionKind, compute::Figure};
use crate::{
    auth::Scope,
    date::Day,
    db::{CampaignId, Db, DbError, OrgId, ReportId, TopicId, Tx, UserId, now},
    enterprise::WorkerGroup,
};

const SELECT: &str = "SELECT r.id, r.org_id, o.name AS org_name, r.campaign_id, c.title AS campaign_title, \
    c.org_id AS issuer_id, c.report_due_on, r.client_id, r.title, r.topic_id, t.code AS topic_code, \
    t.name_zh AS topic_zh, t.name_en AS topic_en, r.worker_group, r.body, r.status, r.version, \
    r.first_submitted_at, r.submitted_at, r.late, r.created_at, r.updated_at \
    FROM reports r JOIN orgs o ON o.id = r.org_id JOIN campaigns c ON c.id = r.campaign_id \
    LEFT JOIN topics t ON t.id = r.topic_id";

#[derive(sqlx::FromRow)]
struct Row {
    id: ReportId,
    org_id: OrgId,
    org_name: String,
    campaign_id: CampaignId,
    campaign_title: String,
    issuer_id: OrgId,
    report_due_on: Day,
    client_id: String,
    title: String,
    topic_id: Option<TopicId>,
    topic_code: Option<String>,
    topic_zh: Option<String>,
    topic_en: Option<String>,
    worker_group: Option<String>,
    body: String,
    status: String,
    version: i64,
    first_submitted_at: Option<i64>,
    submitted_at: Option<i64>,
    late: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

impl From<Row> for Report {
    fn from(r: Row) -> Report {
        Report {
            id: r.id,
            org_id: r.org_id,
            org_name: r.org_name,
            campaign_id: r.campaign_id,
            campaign_title: r.campaign_title,
            issuer_id: r.issuer_id,
            report_due_on: r.report_due_on,
            client_id: r.client_id,
            title: r.title,
            topic_id: r.topic_id,
            topic_code: r.topic_code,
            topic_zh: r.topic_zh,
            topic_en: r.topic_en,
            worker_group: r.worker_group.as_deref().and_then(WorkerGroup::parse),
            body: serde_json::from_str(&r.body).unwrap_or_default(),
            status: Status::parse(&r.status).unwrap_or(Status::Draft),
            version: r.version,
            first_submitted_at: r.first_submitted_at,
            submitted_at: r.submitted_at,
            late: r.late.map(|l| l != 0),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// The orgs a report may be written for (those of the write scope), the
/// caller's home org first: id and name.
pub async fn author_choices(
    db: &Db,
    write: &Scope,
    home: OrgId,
) -> Result<Vec<(OrgId, String)>, DbError> {
    if write.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT id, name FROM orgs WHERE {} ORDER BY CASE WHEN id = $1 THEN 0 ELSE 1 END, id LIMIT 500",
        write.sql("id")
    );
    sqlx::query_as(AssertSqlSafe(sql))
        .bind(home)
        .fetch_all(db.pool())
        .await
}

/// The SQL condition that a report (alias `r`, its campaign `c`) is visible
/// to `scope`: the author org lies in it, or the report was submitted once
/// and the campaign's issuing org lies in it.
pub fn visible_sql(scope: &Scope) -> String {
    format!(
        "({} OR (r.first_submitted_at IS NOT NULL AND {}))",
        scope.sql("r.org_id"),
        scope.sql("c.org_id")
    )
}

/// Filters of the report list.
#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    pub campaign: Option<CampaignId>,
    /// Written in this org's subtree.
    pub under: Option<OrgId>,
    pub status: Option<Status>,
}

/// The visible reports matching the filter, most recently changed first.
pub async fn list(db: &Db, scope: &Scope, f: &ListFilter) -> Result<Vec<Report>, DbError> {
    let mut q = crate::db::Sql::new(SELECT);
    q.push(" WHERE ").push(&visible_sql(scope));
    if let Some(c) = f.campaign {
        q.push(" AND r.campaign_id = ").bind(c);
    }
    if let Some(o) = f.under {
        q.push(" AND r.org_id IN (SELECT descendant_id FROM org_tree WHERE ancestor_id = ")
            .bind(o)
            .push(")");
    }
    if let Some(s) = f.status {
        q.push(" AND r.status = ").bind(s.as_str().to_string());
    }
    q.push(" ORDER BY r.updated_at DESC, r.id DESC LIMIT 1000");
    let (sql, args) = q.build();
    let rows: Vec<Row> = sqlx::query_as_with(sql, args).fetch_all(db.pool()).await?;
    Ok(rows.into_iter().map(Report::from).collect())
}

/// One report, if visible to the scope.
pub async fn get(db: &Db, scope: &Scope, id: ReportId) -> Result<Option<Report>, DbError> {
    let sql = format!("{SELECT} WHERE r.id = $1 AND {}", visible_sql(scope));
    let row: Option<Row> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(Report::from))
}

/// The id of a topic by its code.
pub async fn topic_id(tx: &mut Tx, code: &str) -> Result<Option<TopicId>, DbError> {
    sqlx::query_scalar("SELECT id FROM topics WHERE code = $1")
        .bind(code)
        .fetch_optional(&mut **tx)
        .await
}

/// Creates a report; a retry with the same client id finds the first one.
/// Returns the id and whether it was created now.
#[allow(clippy::too_many_arguments)]
pub async fn insert(
    tx: &mut Tx,
    org: OrgId,
    campaign: CampaignId,
    client_id: &str,
    head: &Head,
    topic: Option<TopicId>,
    body: &Body,
    user: Option<UserId>,
) -> Result<(ReportId, bool), DbError> {
    let at = now();
    let made: Option<ReportId> = sqlx::query_scalar(
        "INSERT INTO reports (org_id, campaign_id, client_id, title, topic_id, worker_group, body, \
         created_by, created_at, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $8, $9) \
         ON CONFLICT (org_id, client_id) DO NOTHING RETURNING id",
    )
    .bind(org)
    .bind(campaign)
    .bind(client_id)
    .bind(&head.title)
    .bind(topic)
    .bind(head.worker_group.map(|g| g.as_str()))
    .bind(serde_json::to_string(body).unwrap_or_else(|_| "{}".into()))
    .bind(user)
    .bind(at)
    .fetch_optional(&mut **tx)
    .await?;
    match made {
        Some(id) => Ok((id, true)),
        None => {
            let id: ReportId =
                sqlx::query_scalar("SELECT id FROM reports WHERE org_id = $1 AND client_id = $2")
                    .bind(org)
                    .bind(client_id)
                    .fetch_one(&mut **tx)
                    .await?;
            Ok((id, false))
        }
    }
}

/// Replaces the head and body of a report that is editable (draft or
/// returned); false when it is not.
pub async fn save(
    tx: &mut Tx,
    id: ReportId,
    head: &Head,
    topic: Option<TopicId>,
    body: &Body,
    user: UserId,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE reports SET title = $1, topic_id = $2, worker_group = $3, body = $4, updated_by = $5, \
         updated_at = $6 WHERE id = $7 AND status IN ('draft', 'returned')",
    )
    .bind(&head.title)
    .bind(topic)
    .bind(head.worker_group.map(|g| g.as_str()))
    .bind(serde_json::to_string(body).unwrap_or_else(|_| "{}".into()))
    .bind(user)
    .bind(now())
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A report frozen: its head, its sections with every element's spec and
/// figure as computed at that moment.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Snapshot {
    pub title: String,
    pub org_name: String,
    pub campaign_title: String,
    /// The topic and/or worker group, in the author's words.
    pub subject: String,
    /// When the figures were computed (epoch seconds).
    pub computed_at: i64,
    pub sections: Vec<FrozenSection>,
}

/// A section with its figures.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct FrozenSection {
    pub heading: String,
    pub text: String,
    pub elements: Vec<super::Element>,
    pub figures: Vec<Figure>,
}

impl Snapshot {
    /// The snapshot of `report` with `figures` (one list per section).
    pub fn of(report: &Report, figures: Vec<Vec<Figure>>, lang: crate::i18n::Lang) -> Snapshot {
        Snapshot {
            title: report.title.clone(),
            org_name: report.org_name.clone(),
            campaign_title: report.campaign_title.clone(),
            subject: report.subject(lang),
            computed_at: now(),
            sections: report
                .body
                .sections
                .iter()
                .zip(figures.into_iter().chain(std::iter::repeat(Vec::new())))
                .map(|(s, f)| FrozenSection {
                    heading: s.heading.clone(),
                    text: s.text.clone(),
                    elements: s.elements.clone(),
                    figures: f,
                })
                .collect(),
        }
    }
}

/// The stored text and SHA-256 of a snapshot.
pub fn freeze(s: &Snapshot) -> (String, String) {
    use sha2::Digest;
    let json = serde_json::to_string(s).unwrap_or_else(|_| "{}".into());
    let hash = hex::encode(sha2::Sha256::digest(json.as_bytes()));
    (json, hash)
}

/// Who did something, and when.
pub struct By<'a> {
    pub user: Option<UserId>,
    pub name: &'a str,
    pub at: i64,
}

#[allow(clippy::too_many_arguments)]
/// Stores version `seen + 1` of the report (kind `named` or `submitted`) and
/// raises the report's version; `None` when the report's version is no
/// longer `seen` (a concurrent save or a retry).
pub async fn add_version(
    tx: &mut Tx,
    report: &Report,
    seen: i64,
    name: &str,
    kind: VersionKind,
    snapshot: &Snapshot,
    by: &By<'_>,
    late: bool,
) -> Result<Option<i64>, DbError> {
    let moved = sqlx::query(
        "UPDATE reports SET version = version + 1, updated_at = $1 WHERE id = $2 AND version = $3",
    )
    .bind(by.at)
    .bind(report.id)
    .bind(seen)
    .execute(&mut **tx)
    .await?;
    if moved.rows_affected() == 0 {
        return Ok(None);
    }
    let number = seen + 1;
    let (json, hash) = freeze(snapshot);
    sqlx::query(
        "INSERT INTO report_versions (report_id, org_id, number, name, kind, snapshot, content_hash, \
         created_by, author, created_at, late) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(report.id)
    .bind(report.org_id)
    .bind(number)
    .bind(name)
    .bind(kind)
    .bind(json)
    .bind(hash)
    .bind(by.user)
    .bind(by.name)
    .bind(by.at)
    .bind(i64::from(late))
    .execute(&mut **tx)
    .await?;
    Ok(Some(number))
}

/// Moves the report from `from` to `to`; false when it was not in `from`.
/// A submission stamps the submission time (and the first one, and whether
/// the first was late).
pub async fn set_status(
    tx: &mut Tx,
    id: ReportId,
    from: &[Status],
    to: Status,
    at: i64,
    late: Option<bool>,
) -> Result<bool, DbError> {
    let from: Vec<String> = from.iter().map(|s| format!("'{}'", s.as_str())).collect();
    let submitted = to == Status::Submitted;
    let sql = if submitted {
        format!(
            "UPDATE reports SET status = $1, updated_at = $2, submitted_at = $2, \
             first_submitted_at = COALESCE(first_submitted_at, $2), late = COALESCE(late, $3) \
             WHERE id = $4 AND status IN ({})",
            from.join(", ")
        )
    } else {
        format!(
            "UPDATE reports SET status = $1, updated_at = $2, late = COALESCE(late, $3) \
             WHERE id = $4 AND status IN ({})",
            from.join(", ")
        )
    };
    let done = sqlx::query(AssertSqlSafe(sql))
        .bind(to.as_str())
        .bind(at)
        .bind(late.map(i64::from))
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// One step of a report's timeline.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
#[schema(as = ReportEvent)]
pub struct Event {
    pub kind: ReportEventKind,
    pub version: Option<i64>,
    pub reason: Option<String>,
    pub actor: String,
    pub created_at: i64,
}

/// Appends a step to the timeline.
#[allow(clippy::too_many_arguments)]
pub async fn event(
    tx: &mut Tx,
    report: ReportId,
    org: OrgId,
    kind: ReportEventKind,
    version: Option<i64>,
    reason: Option<&str>,
    by: &By<'_>,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO report_events (report_id, org_id, kind, version, reason, user_id, actor, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(report)
    .bind(org)
    .bind(kind)
    .bind(version)
    .bind(reason)
    .bind(by.user)
    .bind(by.name)
    .bind(by.at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The timeline, oldest first.
pub async fn events(db: &Db, id: ReportId) -> Result<Vec<Event>, DbError> {
    type EventRow = (ReportEventKind, Option<i64>, Option<String>, String, i64);
    let rows: Vec<EventRow> = sqlx::query_as(
        "SELECT kind, version, reason, actor, created_at FROM report_events WHERE report_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(kind, version, reason, actor, created_at)| Event {
            kind,
            version,
            reason,
            actor,
            created_at,
        })
        .collect())
}

/// A stored version, without its snapshot.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
#[schema(as = ReportVersionInfo)]
pub struct VersionInfo {
    pub number: i64,
    pub name: String,
    pub kind: VersionKind,
    pub author: String,
    pub created_at: i64,
    pub late: bool,
    pub content_hash: String,
}

type VersionRow = (i64, String, VersionKind, String, i64, i64, String);

fn version_of(r: VersionRow) -> VersionInfo {
    VersionInfo {
        number: r.0,
        name: r.1,
        kind: r.2,
        author: r.3,
        created_at: r.4,
        late: r.5 != 0,
        content_hash: r.6,
    }
}

/// The versions of a report, newest first.
pub async fn versions(db: &Db, id: ReportId) -> Result<Vec<VersionInfo>, DbError> {
    let rows: Vec<VersionRow> = sqlx::query_as(
        "SELECT number, name, kind, author, created_at, late, content_hash FROM report_versions \
         WHERE report_id = $1 ORDER BY number DESC",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(version_of).collect())
}

/// One version with its snapshot.
pub async fn version(
    db: &Db,
    id: ReportId,
    number: i64,
) -> Result<Option<(VersionInfo, Snapshot)>, DbError> {
    type Full = (i64, String, VersionKind, String, i64, i64, String, String);
    let row: Option<Full> = sqlx::query_as(
        "SELECT number, name, kind, author, created_at, late, content_hash, snapshot FROM report_versions \
         WHERE report_id = $1 AND number = $2",
    )
    .bind(id)
    .bind(number)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.and_then(|r| {
        let mut snap: Snapshot = serde_json::from_str(&r.7).ok()?;
        // Versions frozen before quotes were masked are masked when read.
        for f in snap.sections.iter_mut().flat_map(|s| s.figures.iter_mut()) {
            f.mask_personal();
        }
        Some((version_of((r.0, r.1, r.2, r.3, r.4, r.5, r.6)), snap))
    }))
}

// ---- figures for the dashboards ----

/// Reports by status, and submitted ones on time or late.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ReportCounts {
    pub total: i64,
    pub draft: i64,
    pub submitted: i64,
    pub accepted: i64,
    pub returned: i64,
    /// Submitted at least once, the first time by the campaign's deadline.
    pub on_time: i64,
    /// Submitted at least once, the first time after the deadline.
    pub late: i64,
}

fn figures_sql(scope: &Scope, campaign: Option<CampaignId>, under: Option<OrgId>) -> String {
    let mut sql = format!(
        "FROM reports r JOIN campaigns c ON c.id = r.campaign_id WHERE {}",
        visible_sql(scope)
    );
    // Ids are integers, so inlining them cannot inject anything.
    if let Some(c) = campaign {
        sql.push_str(&format!(" AND r.campaign_id = {}", c.0));
    }
    if let Some(o) = under {
        sql.push_str(&format!(
            " AND r.org_id IN (SELECT descendant_id FROM org_tree WHERE ancestor_id = {})",
            o.0
        ));
    }
    sql
}

/// The reports the scope reads, optionally of one campaign and written in
/// one org's subtree: how many in each status, and how many were first
/// submitted on time or late.
pub async fn counts(
    db: &Db,
    scope: &Scope,
    campaign: Option<CampaignId>,
    under: Option<OrgId>,
) -> Result<ReportCounts, DbError> {
    let sql = format!(
        "SELECT COUNT(*), \
         COALESCE(SUM(CASE WHEN r.status = 'draft' THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN r.status = 'submitted' THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN r.status = 'accepted' THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN r.status = 'returned' THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN r.first_submitted_at IS NOT NULL AND r.late = 0 THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN r.first_submitted_at IS NOT NULL AND r.late = 1 THEN 1 ELSE 0 END), 0) {}",
        figures_sql(scope, campaign, under)
    );
    let (total, draft, submitted, accepted, returned, on_time, late): (
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
    ) = sqlx::query_as(AssertSqlSafe(sql))
        .fetch_one(db.pool())
        .await?;
    Ok(ReportCounts {
        total,
        draft,
        submitted,
        accepted,
        returned,
        on_time,
        late,
    })
}

/// Reports first submitted (on time or late) per writing org, over the same
/// reports as [`counts`]: a board's lines fold these instead of asking once
/// per line.
pub async fn submitted_by_org(
    db: &Db,
    scope: &Scope,
    campaign: Option<CampaignId>,
    under: Option<OrgId>,
) -> Result<Vec<(OrgId, i64)>, DbError> {
    let sql = format!(
        "SELECT r.org_id, COUNT(*) {} AND r.first_submitted_at IS NOT NULL GROUP BY r.org_id",
        figures_sql(scope, campaign, under)
    );
    sqlx::query_as(AssertSqlSafe(sql))
        .fetch_all(db.pool())
        .await
}

/// Reports first submitted per month (`YYYY-MM`, Beijing time), oldest
/// first, over the same reports as [`counts`]; the date is the first
/// submission's (a returned and resubmitted report counts once).
pub async fn monthly(
    db: &Db,
    scope: &Scope,
    campaign: Option<CampaignId>,
    under: Option<OrgId>,
) -> Result<Vec<(String, i64)>, DbError> {
    let sql = format!(
        "SELECT r.first_submitted_at {} AND r.first_submitted_at IS NOT NULL",
        figures_sql(scope, campaign, under)
    );
    let stamps: Vec<i64> = sqlx::query_scalar(AssertSqlSafe(sql))
        .fetch_all(db.pool())
        .await?;
    let mut months: BTreeMap<String, i64> = BTreeMap::new();
    for t in stamps {
        let d = Day::of_timestamp(t).iso();
        *months.entry(d[..7].to_string()).or_default() += 1;
    }
    Ok(months.into_iter().collect())
}

/// An activity whose notes may be quoted.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct NoteCandidate {
    #[schema(value_type = i64)]
    pub id: crate::db::ActivityId,
    pub org_name: String,
    pub held_on: String,
    pub notes: String,
}

/// Activities of the campaign recorded in `org`'s subtree that the reader
/// (read scope `read`) reads, with notes containing `q` (all with notes when
/// `q` is empty), newest first.
pub async fn note_candidates(
    db: &Db,
    read: &Scope,
    org: OrgId,
    campaign: CampaignId,
    q: &str,
    limit: i64,
) -> Result<Vec<NoteCandidate>, DbError> {
    let pat = crate::org::store::like_pattern(q.trim());
    let sql = format!(
        "SELECT a.id, o.name, a.held_on, a.notes FROM activities a JOIN orgs o ON o.id = a.org_id \
         WHERE a.campaign_id = $1 AND {} AND {} AND a.notes IS NOT NULL AND a.notes <> '' \
         AND a.notes LIKE $2 ESCAPE '\\' ORDER BY a.held_on DESC, a.id DESC LIMIT {}",
        Scope::of(vec![org]).sql("a.org_id"),
        read.sql("a.org_id"),
        limit.clamp(1, 200)
    );
    let rows: Vec<(crate::db::ActivityId, String, String, String)> =
        sqlx::query_as(AssertSqlSafe(sql))
            .bind(campaign)
            .bind(pat)
            .fetch_all(db.pool())
            .await?;
    Ok(rows
        .into_iter()
        .map(|(id, org_name, held_on, notes)| NoteCandidate {
            id,
            org_name,
            held_on,
            notes,
        })
        .collect())
}
