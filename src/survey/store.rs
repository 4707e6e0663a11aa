//! Survey queries. Management reads take the caller's [`Scope`] and filter on
//! the owning org; the public side finds a survey by its link code only.
//! Writes run inside the caller's transaction.

use sqlx::AssertSqlSafe;

use std::collections::{BTreeMap, HashMap};

use super::{
    FormSource, Quota, Survey, SurveyFields, SurveyStatus, Version,
    form::Form,
    validity::{self, Facts, Progress, Reason, Rules},
};
use crate::{
    auth::Scope,
    db::{CampaignId, Db, DbError, OrgId, ResponseId, SurveyId, SurveyVersionId, Tx, UserId, now},
    enterprise::WorkerGroup,
};

/// The count of a survey's responses in [`SELECT`].
const RESPONSE_COUNT: &str = "(SELECT COUNT(*) FROM survey_responses r WHERE r.survey_id = s.id)";

const SELECT: &str = "SELECT s.id, s.org_id, o.name AS org_name, s.campaign_id, c.title AS campaign_title, \
    s.title, s.intro, s.code, s.status, s.live_version_id, s.opens_at, s.closes_at, s.target_groups, \
    s.one_per_device, s.group_question, s.region_question, \
    (SELECT COUNT(*) FROM survey_responses r WHERE r.survey_id = s.id) AS response_count, \
    s.validity_rules, s.validity_cursor, s.validity_done, s.validity_total, \
    s.created_at, s.updated_at \
    FROM surveys s JOIN orgs o ON o.id = s.org_id LEFT JOIN campaigns c ON c.id = s.campaign_id";

#[derive(sqlx::FromRow)]
struct Row {
    id: SurveyId,
    org_id: OrgId,
    org_name: String,
    campaign_id: Option<CampaignId>,
    campaign_title: Option<String>,
    title: String,
    intro: Option<String>,
    code: String,
    status: SurveyStatus,
    live_version_id: Option<SurveyVersionId>,
    opens_at: Option<i64>,
    closes_at: Option<i64>,
    target_groups: String,
    one_per_device: i64,
    group_question: String,
    region_question: String,
    response_count: i64,
    validity_rules: String,
    validity_cursor: Option<i64>,
    validity_done: i64,
    validity_total: i64,
    created_at: i64,
    updated_at: i64,
}

impl From<Row> for Survey {
    fn from(r: Row) -> Self {
        Survey {
            id: r.id,
            org_id: r.org_id,
            org_name: r.org_name,
            campaign_id: r.campaign_id,
            campaign_title: r.campaign_title,
            title: r.title,
            intro: r.intro,
            code: r.code,
            status: r.status,
            live_version_id: r.live_version_id,
            opens_at: r.opens_at,
            closes_at: r.closes_at,
            target_groups: r
                .target_groups
                .split(',')
                .filter_map(WorkerGroup::parse)
                .collect(),
            one_per_device: r.one_per_device != 0,
            group_question: r.group_question,
            region_question: r.region_question,
            response_count: r.response_count,
            validity: Rules::from_json(&r.validity_rules),
            recompute: r.validity_cursor.map(|_| Progress {
                done: r.validity_done,
                total: r.validity_total,
            }),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// The surveys the scope reaches, newest first.
pub async fn list(db: &Db, scope: &Scope, limit: i64) -> Result<Vec<Survey>, DbError> {
    let sql = format!(
        "{SELECT} WHERE {} ORDER BY s.created_at DESC, s.id DESC LIMIT $1",
        scope.sql("s.org_id")
    );
    let rows: Vec<Row> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(limit)
        .fetch_all(db.pool())
        .await?;
    Ok(rows.into_iter().map(Survey::from).collect())
}

/// The active orgs a write scope reaches as (code, name), upper levels
/// first: the owners the create form offers.
pub async fn org_choices(db: &Db, write: &Scope) -> Result<Vec<(String, String)>, DbError> {
    if write.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT o.code, o.name FROM orgs o WHERE o.active = 1 AND {} \
         ORDER BY (SELECT COUNT(*) FROM org_tree x WHERE x.descendant_id = o.id), o.display_order, o.sort_key, o.id LIMIT 300",
        write.sql("o.id")
    );
    sqlx::query_as(AssertSqlSafe(sql))
        .fetch_all(db.pool())
        .await
}

/// One survey, if the scope reaches its org.
pub async fn get(db: &Db, scope: &Scope, id: SurveyId) -> Result<Option<Survey>, DbError> {
    let sql = format!("{SELECT} WHERE s.id = $1 AND {}", scope.sql("s.org_id"));
    let row: Option<Row> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(Survey::from))
}

/// The survey behind a public link, whatever its status (the caller decides
/// what a draft or closed survey shows).
///
/// Every submission reads the survey this way, so its responses are not
/// counted here (`response_count` is 0): the count grows with the survey, and
/// the public side never shows it.
pub async fn by_code(db: &Db, code: &str) -> Result<Option<Survey>, DbError> {
    let select = SELECT.replacen(RESPONSE_COUNT, "0", 1);
    debug_assert_ne!(select, SELECT);
    let row: Option<Row> = sqlx::query_as(AssertSqlSafe(format!("{select} WHERE s.code = $1")))
        .bind(code)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(Survey::from))
}

/// The alphabet of link codes: lower-case letters and digits without the ones
/// people misread (0/o, 1/l/i).
const CODE_ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyz";

/// A new link code: 12 characters, about 59 bits, so links cannot be guessed.
pub fn new_code() -> String {
    use rand::Rng;
    let mut rng = rand::rngs::OsRng;
    (0..12)
        .map(|_| CODE_ALPHABET[rng.gen_range(0..CODE_ALPHABET.len())] as char)
        .collect()
}

/// Whether `s` could be a link code (anything else is not looked up).
pub fn is_code(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| CODE_ALPHABET.contains(&b))
}

fn groups_text(groups: &[WorkerGroup]) -> String {
    groups
        .iter()
        .map(|g| g.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// Creates a draft survey of `org` with its settings.
pub async fn insert(
    tx: &mut Tx,
    org: OrgId,
    f: &SurveyFields,
    user: UserId,
) -> Result<SurveyId, DbError> {
    let t = now();
    let id: SurveyId = sqlx::query_scalar(
        "INSERT INTO surveys (org_id, campaign_id, title, intro, code, status, opens_at, closes_at, \
         target_groups, one_per_device, group_question, region_question, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 'draft', $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING id",
    )
    .bind(org)
    .bind(f.campaign_id)
    .bind(&f.title)
    .bind(&f.intro)
    .bind(new_code())
    .bind(f.opens_at)
    .bind(f.closes_at)
    .bind(groups_text(&f.target_groups))
    .bind(i64::from(f.one_per_device))
    .bind(&f.group_question)
    .bind(&f.region_question)
    .bind(user)
    .bind(t)
    .fetch_one(&mut **tx)
    .await?;
    if let Some(q) = &f.quotas {
        set_quotas(tx, id, org, q).await?;
    }
    Ok(id)
}

/// Changes a survey's settings (and its quotas when given).
pub async fn update(tx: &mut Tx, s: &Survey, f: &SurveyFields) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE surveys SET campaign_id = $2, title = $3, intro = $4, opens_at = $5, closes_at = $6, \
         target_groups = $7, one_per_device = $8, group_question = $9, region_question = $10, updated_at = $11 \
         WHERE id = $1",
    )
    .bind(s.id)
    .bind(f.campaign_id)
    .bind(&f.title)
    .bind(&f.intro)
    .bind(f.opens_at)
    .bind(f.closes_at)
    .bind(groups_text(&f.target_groups))
    .bind(i64::from(f.one_per_device))
    .bind(&f.group_question)
    .bind(&f.region_question)
    .bind(now())
    .execute(&mut **tx)
    .await?;
    if let Some(q) = &f.quotas {
        set_quotas(tx, s.id, s.org_id, q).await?;
    }
    Ok(())
}

/// Replaces a survey's quotas, each counting the responses already stored.
async fn set_quotas(
    tx: &mut Tx,
    id: SurveyId,
    org: OrgId,
    quotas: &[Quota],
) -> Result<(), DbError> {
    sqlx::query("DELETE FROM survey_quotas WHERE survey_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    for q in quotas {
        sqlx::query(
            "INSERT INTO survey_quotas (survey_id, org_id, worker_group, region, max_responses, filled) \
             VALUES ($1, $2, $3, $4, $5, (SELECT COUNT(*) FROM survey_responses r WHERE r.survey_id = $1 \
             AND ($3 = '' OR r.worker_group = $3) AND ($4 = '' OR r.region = $4)))",
        )
        .bind(id)
        .bind(org)
        .bind(&q.worker_group)
        .bind(&q.region)
        .bind(q.max_responses)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// A survey's quotas, most specific last.
pub async fn quotas(db: &Db, id: SurveyId) -> Result<Vec<Quota>, DbError> {
    let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(
        "SELECT worker_group, region, max_responses, filled FROM survey_quotas WHERE survey_id = $1 \
         ORDER BY worker_group, region",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(worker_group, region, max_responses, filled)| Quota {
            worker_group,
            region,
            max_responses,
            filled,
        })
        .collect())
}

/// Counts a new response against every quota it matches; `false` when one of
/// them is now over its cap (the caller rolls back). The row locks taken by the
/// UPDATE make concurrent submissions on PostgreSQL count one after another.
pub async fn take_quota(
    tx: &mut Tx,
    id: SurveyId,
    group: Option<&str>,
    region: Option<&str>,
) -> Result<bool, DbError> {
    // One statement: the counters go up and say whether any went over.
    let over: Vec<i64> = sqlx::query_scalar(
        "UPDATE survey_quotas SET filled = filled + 1 \
         WHERE survey_id = $1 AND (worker_group = '' OR worker_group = $2) AND (region = '' OR region = $3) \
         RETURNING CASE WHEN filled > max_responses THEN 1 ELSE 0 END",
    )
    .bind(id)
    .bind(group.unwrap_or(""))
    .bind(region.unwrap_or(""))
    .fetch_all(&mut **tx)
    .await?;
    Ok(over.iter().all(|o| *o == 0))
}

/// Moves a survey to `status`.
pub async fn set_status(tx: &mut Tx, id: SurveyId, status: SurveyStatus) -> Result<(), DbError> {
    sqlx::query("UPDATE surveys SET status = $2, updated_at = $3 WHERE id = $1")
        .bind(id)
        .bind(status.as_str())
        .bind(now())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

// ---- versions ----

const VERSION_SELECT: &str = "SELECT v.id, v.survey_id, v.number, v.question_count, v.source, v.filename, \
    v.published_at, v.created_at, v.updated_at, \
    (SELECT COUNT(*) FROM survey_responses r WHERE r.survey_id = v.survey_id AND r.version_id = v.id) AS response_count \
    FROM survey_versions v";

#[derive(sqlx::FromRow)]
struct VersionRow {
    id: SurveyVersionId,
    survey_id: SurveyId,
    number: i64,
    question_count: i64,
    source: FormSource,
    filename: Option<String>,
    published_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
    response_count: i64,
}

impl From<VersionRow> for Version {
    fn from(r: VersionRow) -> Self {
        Version {
            id: r.id,
            survey_id: r.survey_id,
            number: r.number,
            question_count: r.question_count,
            source: r.source,
            filename: r.filename,
            published_at: r.published_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
            response_count: r.response_count,
        }
    }
}

/// A survey's versions, newest first.
pub async fn versions(db: &Db, survey: SurveyId) -> Result<Vec<Version>, DbError> {
    let rows: Vec<VersionRow> = sqlx::query_as(AssertSqlSafe(format!(
        "{VERSION_SELECT} WHERE v.survey_id = $1 ORDER BY v.number DESC"
    )))
    .bind(survey)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(Version::from).collect())
}

/// One version of a survey with its form.
pub async fn version(
    db: &Db,
    survey: SurveyId,
    id: SurveyVersionId,
) -> Result<Option<(Version, Form)>, anyhow::Error> {
    let row: Option<VersionRow> = sqlx::query_as(AssertSqlSafe(format!(
        "{VERSION_SELECT} WHERE v.survey_id = $1 AND v.id = $2"
    )))
    .bind(survey)
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let json: String = sqlx::query_scalar("SELECT form FROM survey_versions WHERE id = $1")
        .bind(id)
        .fetch_one(db.pool())
        .await?;
    Ok(Some((Version::from(row), serde_json::from_str(&json)?)))
}

/// The newest version of a survey, if it has one.
pub async fn latest(db: &Db, survey: SurveyId) -> Result<Option<SurveyVersionId>, DbError> {
    sqlx::query_scalar(
        "SELECT id FROM survey_versions WHERE survey_id = $1 ORDER BY number DESC LIMIT 1",
    )
    .bind(survey)
    .fetch_optional(db.pool())
    .await
}

/// Saves a form into the survey's draft: the newest version when it is still a
/// draft, else a new version numbered after it. Returns the version and
/// whether it is new.
pub async fn save_form(
    tx: &mut Tx,
    s: &Survey,
    form: &Form,
    source: FormSource,
    filename: Option<&str>,
    user: UserId,
) -> Result<(SurveyVersionId, bool), anyhow::Error> {
    let json = serde_json::to_string(form)?;
    let count = form
        .questions()
        .iter()
        .filter(|q| q.kind != super::form::QuestionKind::Note)
        .count() as i64;
    let t = now();
    let newest: Option<(SurveyVersionId, i64, Option<i64>)> = sqlx::query_as(
        "SELECT id, number, published_at FROM survey_versions WHERE survey_id = $1 ORDER BY number DESC LIMIT 1",
    )
    .bind(s.id)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some((id, _, None)) = newest {
        sqlx::query(
            "UPDATE survey_versions SET form = $2, question_count = $3, source = $4, filename = $5, \
             created_by = $6, updated_at = $7 WHERE id = $1 AND published_at IS NULL",
        )
        .bind(id)
        .bind(&json)
        .bind(count)
        .bind(source)
        .bind(filename)
        .bind(user)
        .bind(t)
        .execute(&mut **tx)
        .await?;
        return Ok((id, false));
    }
    let number = newest.map_or(1, |(_, n, _)| n + 1);
    let id: SurveyVersionId = sqlx::query_scalar(
        "INSERT INTO survey_versions (survey_id, org_id, number, form, question_count, source, filename, \
         created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
    )
    .bind(s.id)
    .bind(s.org_id)
    .bind(number)
    .bind(&json)
    .bind(count)
    .bind(source)
    .bind(filename)
    .bind(user)
    .bind(t)
    .fetch_one(&mut **tx)
    .await?;
    Ok((id, true))
}

/// Freezes a draft version and makes it the survey's live version.
pub async fn publish(tx: &mut Tx, s: &Survey, v: SurveyVersionId) -> Result<(), DbError> {
    let t = now();
    sqlx::query("UPDATE survey_versions SET published_at = $2, updated_at = $2 WHERE id = $1 AND published_at IS NULL")
        .bind(v)
        .bind(t)
        .execute(&mut **tx)
        .await?;
    sqlx::query("UPDATE surveys SET status = 'published', live_version_id = $2, updated_at = $3 WHERE id = $1")
        .bind(s.id)
        .bind(v)
        .bind(t)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The form of a published version of the survey (what a response may answer).
pub async fn published_form(
    db: &Db,
    survey: SurveyId,
    v: SurveyVersionId,
) -> Result<Option<Form>, anyhow::Error> {
    let json: Option<String> = sqlx::query_scalar(
        "SELECT form FROM survey_versions WHERE survey_id = $1 AND id = $2 AND published_at IS NOT NULL",
    )
    .bind(survey)
    .bind(v)
    .fetch_optional(db.pool())
    .await?;
    json.map(|j| serde_json::from_str(&j))
        .transpose()
        .map_err(Into::into)
}

// ---- responses ----

/// A response to store.
#[derive(Clone, Debug)]
pub struct NewResponse {
    pub survey: SurveyId,
    pub version: SurveyVersionId,
    pub org: OrgId,
    pub instance_id: String,
    /// The kept answers as a JSON object of texts.
    pub answers: String,
    pub lang: String,
    pub worker_group: Option<String>,
    pub region: Option<String>,
    pub device_id: Option<String>,
    /// Set only when the survey takes one response per device.
    pub device_key: Option<String>,
    pub started_at: Option<i64>,
    pub ended_at: Option<i64>,
    /// The validity rules' reasons; none: valid.
    pub reasons: Vec<Reason>,
}

/// Stores a response unless one with the same instance id (or, for a
/// one-per-device survey, the same device) exists: `None` then, and nothing written.
pub async fn insert_response(
    tx: &mut Tx,
    r: &NewResponse,
    submitted_at: i64,
) -> Result<Option<ResponseId>, DbError> {
    sqlx::query_scalar(
        "INSERT INTO survey_responses (survey_id, version_id, org_id, instance_id, answers, lang, worker_group, \
         region, device_id, device_key, started_at, ended_at, submitted_at, rules_valid, valid, invalid_reasons) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, $15) \
         ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(r.survey)
    .bind(r.version)
    .bind(r.org)
    .bind(&r.instance_id)
    .bind(&r.answers)
    .bind(&r.lang)
    .bind(&r.worker_group)
    .bind(&r.region)
    .bind(&r.device_id)
    .bind(&r.device_key)
    .bind(r.started_at)
    .bind(r.ended_at)
    .bind(submitted_at)
    .bind(i64::from(r.reasons.is_empty()))
    .bind(Reason::list_to_json(&r.reasons))
    .fetch_optional(&mut **tx)
    .await
}

/// The response a phone already sent with this instance id.
pub async fn response_by_instance<'e, E>(
    exec: E,
    survey: SurveyId,
    instance: &str,
) -> Result<Option<ResponseId>, DbError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query_scalar("SELECT id FROM survey_responses WHERE survey_id = $1 AND instance_id = $2")
        .bind(survey)
        .bind(instance)
        // Planned on every run, with its values: a pooled PostgreSQL
        // connection would otherwise keep the generic plan it settles on
        // after five runs, made while a new survey had no responses, and that
        // plan walked the survey's responses by (survey_id, valid) — every
        // submission slower than the one before.
        .persistent(false)
        .fetch_optional(exec)
        .await
}

/// Whether the device has answered the survey.
pub async fn device_answered(db: &Db, survey: SurveyId, device: &str) -> Result<bool, DbError> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM survey_responses WHERE survey_id = $1 AND device_id = $2",
    )
    .bind(survey)
    .bind(device)
    .fetch_one(db.pool())
    .await?;
    Ok(n > 0)
}

/// Whether any response of the survey was stored: the one-per-device rule then
/// cannot be switched on (earlier responses carry no device key).
pub async fn has_responses(db: &Db, survey: SurveyId) -> Result<bool, DbError> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM survey_responses WHERE survey_id = $1")
        .bind(survey)
        .fetch_one(db.pool())
        .await?;
    Ok(n > 0)
}

/// Campaigns a survey of `org` may belong to: issued at or above it.
pub async fn campaign_open_to(db: &Db, campaign: CampaignId, org: OrgId) -> Result<bool, DbError> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM campaigns c JOIN org_tree t ON t.ancestor_id = c.org_id \
         WHERE c.id = $1 AND t.descendant_id = $2",
    )
    .bind(campaign)
    .bind(org)
    .fetch_one(db.pool())
    .await?;
    Ok(n > 0)
}

// ---- validity ----

/// The condition under which a response of `survey_responses {alias}` is a
/// valid questionnaire (有效问卷). `valid` is the effective verdict — the
/// reviewer's override when there is one, else the rules' — and the schema's
/// CHECK keeps it so; every count of valid responses goes through this.
pub fn valid_sql(alias: &str) -> String {
    format!("{alias}.valid = 1")
}

/// The number of valid responses of a survey (an index range count).
pub async fn valid_count<'e, E>(exec: E, survey: SurveyId) -> Result<i64, DbError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM survey_responses r WHERE r.survey_id = $1 AND {}",
        valid_sql("r")
    )))
    .bind(survey)
    .fetch_one(exec)
    .await
}

/// A survey's responses counted by verdict.
pub async fn counts(db: &Db, survey: SurveyId) -> Result<validity::Counts, DbError> {
    let (total, overridden): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COUNT(override_valid) FROM survey_responses WHERE survey_id = $1",
    )
    .bind(survey)
    .fetch_one(db.pool())
    .await?;
    let valid = valid_count(db.pool(), survey).await?;
    Ok(validity::Counts {
        total,
        valid,
        invalid: total - valid,
        overridden,
    })
}

/// Responses of the survey already stored from this device (the device rule
/// of validity; the `(survey_id, device_id)` index answers it).
pub async fn device_count(tx: &mut Tx, survey: SurveyId, device: &str) -> Result<i64, DbError> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM survey_responses WHERE survey_id = $1 AND device_id = $2",
    )
    .bind(survey)
    .bind(device)
    .fetch_one(&mut **tx)
    .await
}

/// Replaces a survey's validity rules and starts judging every response
/// again from the first ([`recompute_chunk`] does the work).
pub async fn set_rules(tx: &mut Tx, survey: SurveyId, rules: &Rules) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE surveys SET validity_rules = $2, validity_rev = validity_rev + 1, validity_cursor = 0, \
         validity_done = 0, validity_total = (SELECT COUNT(*) FROM survey_responses WHERE survey_id = $1), \
         updated_at = $3 WHERE id = $1",
    )
    .bind(survey)
    .bind(rules.to_json())
    .bind(now())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// How many responses one recomputation step judges (one transaction each,
/// so submissions wait at most one step).
pub const RECOMPUTE_CHUNK: i64 = 2000;

#[derive(sqlx::FromRow)]
struct JudgeRow {
    id: ResponseId,
    version_id: SurveyVersionId,
    answers: String,
    device_id: Option<String>,
    started_at: Option<i64>,
    ended_at: Option<i64>,
    rules_valid: i64,
    invalid_reasons: String,
}

/// Judges the next `limit` responses of a running recomputation under the
/// survey's current rules, in one transaction that also advances the cursor.
/// Overrides are left alone (`valid` follows them). Rows whose verdict does
/// not change are not written. Returns the progress, or `None` once every
/// response is judged (or none was running).
pub async fn recompute_chunk(
    db: &Db,
    survey: SurveyId,
    limit: i64,
    forms: &mut HashMap<SurveyVersionId, Form>,
) -> anyhow::Result<Option<Progress>> {
    let mut tx = db.begin().await?;
    // A no-op UPDATE takes the survey row's lock on PostgreSQL (SQLite's
    // BEGIN IMMEDIATE already holds the write lock), so a rule change and a
    // step never interleave.
    let (rules, cursor, done, total): (String, Option<i64>, i64, i64) = sqlx::query_as(
        "UPDATE surveys SET validity_rev = validity_rev WHERE id = $1 \
         RETURNING validity_rules, validity_cursor, validity_done, validity_total",
    )
    .bind(survey)
    .fetch_one(&mut *tx)
    .await?;
    let Some(cursor) = cursor else {
        return Ok(None);
    };
    let rules = Rules::from_json(&rules);
    let rows: Vec<JudgeRow> = sqlx::query_as(
        "SELECT id, version_id, answers, device_id, started_at, ended_at, rules_valid, invalid_reasons \
         FROM survey_responses WHERE survey_id = $1 AND id > $2 ORDER BY id LIMIT $3",
    )
    .bind(survey)
    .bind(cursor)
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    for r in &rows {
        if let std::collections::hash_map::Entry::Vacant(slot) = forms.entry(r.version_id) {
            let json: String = sqlx::query_scalar("SELECT form FROM survey_versions WHERE id = $1")
                .bind(r.version_id)
                .fetch_one(&mut *tx)
                .await?;
            slot.insert(serde_json::from_str(&json)?);
        }
    }
    // Earlier responses per device: counted once for the step's devices, then
    // carried along in id order.
    let mut per_device: HashMap<String, i64> = HashMap::new();
    if rules.max_per_device.is_some() {
        let devices: std::collections::BTreeSet<&str> =
            rows.iter().filter_map(|r| r.device_id.as_deref()).collect();
        if !devices.is_empty() {
            let mut q = crate::db::Sql::new(
                "SELECT device_id, COUNT(*) FROM survey_responses WHERE survey_id = ",
            );
            q.bind(survey)
                .push(" AND id <= ")
                .bind(cursor)
                .push(" AND device_id IN (");
            for (i, d) in devices.iter().enumerate() {
                if i > 0 {
                    q.push(", ");
                }
                q.bind(d.to_string());
            }
            q.push(") GROUP BY device_id");
            let (sql, args) = q.build();
            let counted: Vec<(String, i64)> =
                sqlx::query_as_with(sql, args).fetch_all(&mut *tx).await?;
            per_device.extend(counted);
        }
    }
    let today = crate::date::Day::today();
    for r in &rows {
        let answers: BTreeMap<String, String> = serde_json::from_str(&r.answers)?;
        let earlier = r
            .device_id
            .as_ref()
            .map(|d| *per_device.get(d).unwrap_or(&0));
        let form = &forms[&r.version_id];
        let reasons = validity::judge(
            &rules,
            form,
            &Facts {
                answers: &answers,
                started_at: r.started_at,
                ended_at: r.ended_at,
                earlier_from_device: earlier,
            },
            today,
        );
        if let Some(d) = &r.device_id {
            *per_device.entry(d.clone()).or_default() += 1;
        }
        let ok = i64::from(reasons.is_empty());
        let json = Reason::list_to_json(&reasons);
        if ok != r.rules_valid || json != r.invalid_reasons {
            sqlx::query(
                "UPDATE survey_responses SET rules_valid = $2, invalid_reasons = $3, \
                 valid = COALESCE(override_valid, $2) WHERE id = $1",
            )
            .bind(r.id)
            .bind(ok)
            .bind(&json)
            .execute(&mut *tx)
            .await?;
        }
    }
    let finished = (rows.len() as i64) < limit;
    let next = if finished {
        None
    } else {
        rows.last().map(|r| r.id.0)
    };
    sqlx::query(
        "UPDATE surveys SET validity_cursor = $2, validity_done = validity_done + $3 WHERE id = $1",
    )
    .bind(survey)
    .bind(next)
    .bind(rows.len() as i64)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok((!finished).then_some(Progress {
        done: done + rows.len() as i64,
        total,
    }))
}

/// Runs recomputation steps until every response is judged or `budget` has
/// passed; `on_step` sees the progress after each step. Returns whether it finished.
pub async fn recompute(
    db: &Db,
    survey: SurveyId,
    budget: Option<std::time::Duration>,
    mut on_step: impl FnMut(Progress),
) -> anyhow::Result<bool> {
    let start = std::time::Instant::now();
    let mut forms = HashMap::new();
    loop {
        match recompute_chunk(db, survey, RECOMPUTE_CHUNK, &mut forms).await? {
            None => return Ok(true),
            Some(p) => on_step(p),
        }
        if budget.is_some_and(|b| start.elapsed() >= b) {
            return Ok(false);
        }
    }
}

/// The surveys whose recomputation was left unfinished (a restart).
pub async fn unfinished_recomputations(db: &Db) -> Result<Vec<SurveyId>, DbError> {
    sqlx::query_scalar("SELECT id FROM surveys WHERE validity_cursor IS NOT NULL ORDER BY id")
        .fetch_all(db.pool())
        .await
}

const RESPONSE_SELECT: &str = "SELECT r.id, r.version_id, r.submitted_at, r.started_at, r.ended_at, \
    r.worker_group, r.region, r.valid, r.rules_valid, r.invalid_reasons, r.override_valid, r.override_note, \
    u.username AS override_by, r.override_at, r.answers \
    FROM survey_responses r LEFT JOIN users u ON u.id = r.override_by";

#[derive(sqlx::FromRow)]
struct ResponseRow {
    id: ResponseId,
    version_id: SurveyVersionId,
    submitted_at: i64,
    started_at: Option<i64>,
    ended_at: Option<i64>,
    worker_group: Option<String>,
    region: Option<String>,
    valid: i64,
    rules_valid: i64,
    invalid_reasons: String,
    override_valid: Option<i64>,
    override_note: Option<String>,
    override_by: Option<String>,
    override_at: Option<i64>,
    answers: String,
}

impl ResponseRow {
    fn item(self, lang: crate::i18n::Lang) -> validity::ResponseItem {
        validity::ResponseItem {
            id: self.id,
            version_id: self.version_id,
            submitted_at: self.submitted_at,
            duration_seconds: validity::duration(self.started_at, self.ended_at),
            worker_group: self.worker_group,
            region: self.region,
            valid: self.valid != 0,
            rules_valid: self.rules_valid != 0,
            reasons: Reason::list_from_json(&self.invalid_reasons)
                .into_iter()
                .map(|reason| validity::Explained {
                    message: reason.message(lang),
                    reason,
                })
                .collect(),
            overridden: self.override_valid.map(|v| validity::Override {
                valid: v != 0,
                note: self.override_note.unwrap_or_default(),
                by: self.override_by,
                at: self.override_at.unwrap_or_default(),
            }),
            answers: serde_json::from_str(&self.answers).unwrap_or_default(),
        }
    }
}

/// The responses to review, newest first, `per_page` a page (pages from 1);
/// reasons are explained in `lang`.
pub async fn responses(
    db: &Db,
    survey: SurveyId,
    filter: validity::Filter,
    page: i64,
    per_page: i64,
    lang: crate::i18n::Lang,
) -> Result<validity::ResponsePage, DbError> {
    let total: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM survey_responses r WHERE r.survey_id = $1 AND {}",
        filter.sql()
    )))
    .bind(survey)
    .fetch_one(db.pool())
    .await?;
    let pages = ((total + per_page - 1) / per_page).max(1);
    let page = page.clamp(1, pages);
    let rows: Vec<ResponseRow> = sqlx::query_as(AssertSqlSafe(format!(
        "{RESPONSE_SELECT} WHERE r.survey_id = $1 AND {} ORDER BY r.id DESC LIMIT $2 OFFSET $3",
        filter.sql()
    )))
    .bind(survey)
    .bind(per_page)
    .bind((page - 1) * per_page)
    .fetch_all(db.pool())
    .await?;
    Ok(validity::ResponsePage {
        filter,
        page,
        pages,
        total,
        items: rows.into_iter().map(|r| r.item(lang)).collect(),
    })
}

/// One response of the survey.
pub async fn response(
    db: &Db,
    survey: SurveyId,
    id: ResponseId,
    lang: crate::i18n::Lang,
) -> Result<Option<validity::ResponseItem>, DbError> {
    let row: Option<ResponseRow> = sqlx::query_as(AssertSqlSafe(format!(
        "{RESPONSE_SELECT} WHERE r.survey_id = $1 AND r.id = $2"
    )))
    .bind(survey)
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(|r| r.item(lang)))
}

/// Sets a reviewer's verdict on a response (`None` removes it, back to the
/// rules'). Returns whether the survey has that response.
pub async fn set_override(
    tx: &mut Tx,
    survey: SurveyId,
    id: ResponseId,
    valid: Option<bool>,
    note: &str,
    user: UserId,
) -> Result<bool, DbError> {
    let v = valid.map(i64::from);
    let done = sqlx::query(
        "UPDATE survey_responses SET override_valid = $3, override_note = $4, override_by = $5, \
         override_at = $6, valid = COALESCE($3, rules_valid) WHERE survey_id = $1 AND id = $2",
    )
    .bind(survey)
    .bind(id)
    .bind(v)
    .bind(v.map(|_| note))
    .bind(v.map(|_| user))
    .bind(v.map(|_| now()))
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_codes_are_long_and_readable() {
        let a = new_code();
        assert!(is_code(&a), "{a}");
        assert_ne!(a, new_code());
        assert!(!is_code("0000000000ol"));
        assert!(!is_code("short"));
    }
}
