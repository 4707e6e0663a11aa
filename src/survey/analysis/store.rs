//! Analysis queries: coded copies written with each response, back-filled
//! lazily for responses stored without one, scanned in chunks; free-text
//! answers; responses for exports; the links between answers and problems.
//!
//! Callers check access first (the survey is read through
//! `survey::store::get` with the caller's scope); these functions take a
//! survey id that is known to be visible.

use std::collections::{BTreeMap, HashMap};

use sqlx::{AssertSqlSafe, Row};

use super::{
    Filter, Validity,
    codec::{self, Layout},
    tally::{Codebook, Tally},
};
use crate::{
    auth::Scope,
    db::{
        Backend, CampaignId, Db, DbError, OrgId, ProblemId, ResponseId, SurveyId, SurveyVersionId,
        Tx, UserId, now,
    },
    survey::form::Form,
};

/// Response ids per chunk of a scan: at most about 4 MB of text for a
/// 30-question form, so memory stays flat whatever the number of responses.
pub const CHUNK: i64 = 50_000;

/// The coded copy of one response, with the copies of the response's
/// fields that analysis filters on.
#[derive(Clone, Debug)]
pub struct Coded {
    pub survey: SurveyId,
    pub response: ResponseId,
    pub org: OrgId,
    pub valid: bool,
    pub submitted_at: i64,
    pub group: String,
    pub region: String,
    pub line: String,
}

impl Coded {
    /// Codes `answers` of a response to version `version` laid out by `layout`.
    #[allow(clippy::too_many_arguments)]
    pub fn of(
        survey: SurveyId,
        response: ResponseId,
        org: OrgId,
        valid: bool,
        submitted_at: i64,
        version: SurveyVersionId,
        layout: &Layout,
        answers: &BTreeMap<String, String>,
        group: Option<&str>,
        region: Option<&str>,
    ) -> Coded {
        let group = codec::clean(group.unwrap_or(""));
        let region = codec::clean(region.unwrap_or(""));
        let line = codec::line(version.0, &group, &region, &layout.encode(answers));
        Coded {
            survey,
            response,
            org,
            valid,
            submitted_at,
            group,
            region,
            line,
        }
    }
}

/// Rows per statement of [`write_codes`]: 8 bound values each, far below
/// either database's limit on bound parameters.
const CODES_PER_STATEMENT: usize = 500;

/// Writes the coded copies of responses in the same transaction as the
/// responses (or later, by the back-fill), several rows per statement. An
/// upsert: the row the insert trigger made gets its line, and a row missing
/// for any reason is made.
pub async fn write_codes(tx: &mut Tx, rows: &[Coded]) -> Result<(), DbError> {
    for chunk in rows.chunks(CODES_PER_STATEMENT) {
        let mut q = crate::db::Sql::new(
            "INSERT INTO survey_codes (survey_id, response_id, org_id, valid, submitted_at, worker_group, region, line) VALUES ",
        );
        for (i, c) in chunk.iter().enumerate() {
            q.push(if i == 0 { "(" } else { ", (" });
            q.bind(c.survey).push(", ").bind(c.response).push(", ");
            q.bind(c.org).push(", ").bind(i64::from(c.valid)).push(", ");
            q.bind(c.submitted_at)
                .push(", ")
                .bind(c.group.clone())
                .push(", ");
            q.bind(c.region.clone())
                .push(", ")
                .bind(c.line.clone())
                .push(")");
        }
        q.push(
            " ON CONFLICT (survey_id, response_id) DO UPDATE SET worker_group = excluded.worker_group, \
             region = excluded.region, line = excluded.line",
        );
        let (sql, args) = q.build();
        sqlx::query_with(sql, args).execute(&mut **tx).await?;
    }
    Ok(())
}

/// The published forms of a survey, newest first.
pub async fn forms(db: &Db, survey: SurveyId) -> anyhow::Result<Vec<(i64, Form)>> {
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, form FROM survey_versions WHERE survey_id = $1 AND published_at IS NOT NULL \
         ORDER BY number DESC",
    )
    .bind(survey)
    .fetch_all(db.pool())
    .await?;
    rows.into_iter()
        .map(|(id, json)| Ok((id, serde_json::from_str(&json)?)))
        .collect()
}

/// The codebook of a survey's published versions.
pub fn codebook(forms: &[(i64, Form)]) -> Codebook {
    let refs: Vec<(i64, &Form)> = forms.iter().map(|(id, f)| (*id, f)).collect();
    Codebook::new(&refs)
}

/// Codes every response of the survey whose line is still empty (stored
/// before migration 0008, or by a path that does not code): one look-up in a
/// partial index when there are none, else batches of 2,000. Returns how many
/// were coded.
pub async fn ensure_coded(db: &Db, survey: SurveyId, forms: &[(i64, Form)]) -> anyhow::Result<u64> {
    let uncoded: Option<i64> = sqlx::query_scalar(
        "SELECT response_id FROM survey_codes WHERE survey_id = $1 AND line = '' LIMIT 1",
    )
    .bind(survey)
    .fetch_optional(db.pool())
    .await?;
    if uncoded.is_none() {
        return Ok(0);
    }
    backfill(db, survey, forms, |_| {}).await
}

/// A response without a coded line: id, version, answers, group, region,
/// org, validity, time of submission.
type UncodedRow = (
    ResponseId,
    SurveyVersionId,
    String,
    Option<String>,
    Option<String>,
    OrgId,
    i64,
    i64,
);

/// Codes the responses of `survey` whose line is empty, reporting progress
/// (how many so far) after each batch.
pub async fn backfill(
    db: &Db,
    survey: SurveyId,
    forms: &[(i64, Form)],
    mut progress: impl FnMut(u64),
) -> anyhow::Result<u64> {
    let layouts: HashMap<i64, Layout> = forms.iter().map(|(id, f)| (*id, Layout::of(f))).collect();
    let mut done = 0u64;
    let mut after = 0i64;
    loop {
        let rows: Vec<UncodedRow> = sqlx::query_as(
            "SELECT r.id, r.version_id, r.answers, r.worker_group, r.region, r.org_id, r.valid, r.submitted_at \
             FROM survey_codes c \
             JOIN survey_responses r ON r.id = c.response_id \
             WHERE c.survey_id = $1 AND c.line = '' AND c.response_id > $2 \
             ORDER BY c.response_id LIMIT 2000",
        )
        .bind(survey)
        .bind(after)
        .fetch_all(db.pool())
        .await?;
        let Some(last) = rows.last() else { break };
        after = last.0.0;
        let none = Layout { slots: Vec::new() };
        let coded: Vec<Coded> = rows
            .iter()
            .map(|(id, version, answers, group, region, org, valid, at)| {
                // A response always names a published version; one whose form
                // is gone gets a line without slots (counted nowhere, never
                // retried).
                let layout = layouts.get(&version.0).unwrap_or(&none);
                let answers: BTreeMap<String, String> =
                    serde_json::from_str(answers).unwrap_or_default();
                Coded::of(
                    survey,
                    *id,
                    *org,
                    *valid != 0,
                    *at,
                    *version,
                    layout,
                    &answers,
                    group.as_deref(),
                    region.as_deref(),
                )
            })
            .collect();
        let mut tx = db.begin().await?;
        write_codes(&mut tx, &coded).await?;
        tx.commit().await?;
        done += rows.len() as u64;
        progress(done);
    }
    Ok(done)
}

/// A bound value of a built query.
#[derive(Clone, Debug)]
pub(super) enum Bind {
    I(i64),
    T(String),
}

/// The conditions of a filter on a table with `valid`, `submitted_at`,
/// `worker_group` and `region` (aliased `t`), numbered from `$first`.
pub(super) fn conditions(f: &Filter, t: &str, first: usize) -> (String, Vec<Bind>) {
    let mut sql = String::new();
    let mut binds = Vec::new();
    let mut n = first;
    let mut add = |cond: &str, b: Bind, sql: &mut String| {
        sql.push_str(&format!(" AND {t}.{cond} ${n}"));
        binds.push(b);
        n += 1;
    };
    match f.validity {
        Validity::Valid => sql.push_str(&format!(" AND {t}.valid = 1")),
        Validity::Invalid => sql.push_str(&format!(" AND {t}.valid = 0")),
        Validity::All => {}
    }
    if let Some(d) = f.from {
        add(
            "submitted_at >=",
            Bind::I(d.plus_days(-1).end_timestamp() + 1),
            &mut sql,
        );
    }
    if let Some(d) = f.to {
        add("submitted_at <=", Bind::I(d.end_timestamp()), &mut sql);
    }
    if let Some(g) = &f.group {
        add("worker_group =", Bind::T(g.clone()), &mut sql);
    }
    if let Some(r) = &f.region {
        add("region =", Bind::T(r.clone()), &mut sql);
    }
    (sql, binds)
}

fn bind_all<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    binds: &'q [Bind],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    for b in binds {
        q = match b {
            Bind::I(i) => q.bind(*i),
            Bind::T(s) => q.bind(s.as_str()),
        };
    }
    q
}

async fn fetch_chunk(
    db: Db,
    sql: std::sync::Arc<String>,
    binds: std::sync::Arc<Vec<Bind>>,
    survey: SurveyId,
    from: i64,
) -> Result<Option<String>, DbError> {
    let q = sqlx::query(AssertSqlSafe(sql.as_str().to_string()))
        .bind(survey)
        .bind(from)
        .bind(from + CHUNK);
    let row = bind_all(q, &binds).fetch_one(db.pool()).await?;
    row.try_get(0)
}

/// Scans the coded responses that pass the filter into `tally`, in chunks of
/// [`CHUNK`] response ids: each chunk comes back as one text (the lines
/// joined by the database), so a million responses are 20 rows, not a
/// million. Two chunks are read at once (each on its own connection and
/// database thread) while the one before is counted.
pub async fn scan(
    db: &Db,
    survey: SurveyId,
    f: &Filter,
    tally: &mut Tally<'_>,
) -> anyhow::Result<()> {
    chunks(db, survey, f, |c| tally.add_chunk(c)).await
}

/// Chunks read at once by a scan.
const IN_FLIGHT: usize = 2;

/// Hands each chunk of coded lines that pass the filter to `each`, in no
/// particular order (see [`scan`]).
pub async fn chunks(
    db: &Db,
    survey: SurveyId,
    f: &Filter,
    mut each: impl FnMut(&str),
) -> anyhow::Result<()> {
    let (first, last): (Option<i64>, Option<i64>) = sqlx::query_as(
        "SELECT MIN(response_id), MAX(response_id) FROM survey_codes WHERE survey_id = $1",
    )
    .bind(survey)
    .fetch_one(db.pool())
    .await?;
    let (Some(first), Some(last)) = (first, last) else {
        return Ok(());
    };
    let (cond, binds) = conditions(f, "c", 4);
    let agg = match db.backend() {
        Backend::Sqlite => "group_concat(line, char(10))",
        Backend::Postgres => "string_agg(line, chr(10))",
    };
    let sql = std::sync::Arc::new(format!(
        "SELECT {agg} FROM survey_codes c \
         WHERE c.survey_id = $1 AND c.response_id >= $2 AND c.response_id < $3{cond}"
    ));
    let binds = std::sync::Arc::new(binds);
    let mut pending = std::collections::VecDeque::new();
    let mut from = first;
    loop {
        while pending.len() < IN_FLIGHT && from <= last {
            pending.push_back(tokio::spawn(fetch_chunk(
                db.clone(),
                sql.clone(),
                binds.clone(),
                survey,
                from,
            )));
            from += CHUNK;
        }
        let Some(next) = pending.pop_front() else {
            break;
        };
        if let Some(chunk) = next.await?? {
            each(&chunk);
        }
    }
    Ok(())
}

/// The JSON text of one answer, as SQL of this backend (`$n` is the path or key).
fn answer_sql(db: &Db, n: usize) -> String {
    match db.backend() {
        Backend::Sqlite => format!("json_extract(r.answers, ${n})"),
        Backend::Postgres => format!("(r.answers::jsonb ->> ${n})"),
    }
}

/// The key of a question as the backend's JSON function takes it.
fn answer_key(db: &Db, question: &str) -> String {
    match db.backend() {
        Backend::Sqlite => format!("$.\"{}\"", question.replace('"', "")),
        Backend::Postgres => question.to_string(),
    }
}

/// One free-text answer.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct TextAnswer {
    pub response_id: ResponseId,
    pub submitted_at: i64,
    pub worker_group: Option<String>,
    pub region: Option<String>,
    pub text: String,
    /// The problem this answer became, if it did.
    pub problem_id: Option<ProblemId>,
}

/// A page of a question's non-empty answers that pass the filter, newest
/// first; one more than `limit` is asked for to know whether a next page exists.
pub async fn texts(
    db: &Db,
    survey: SurveyId,
    question: &str,
    f: &Filter,
    offset: i64,
    limit: i64,
) -> Result<Vec<TextAnswer>, DbError> {
    let (cond, binds) = conditions(f, "r", 4);
    let a = answer_sql(db, 2);
    let sql = format!(
        "SELECT r.id, r.submitted_at, r.worker_group, r.region, {a} AS text, \
         (SELECT p.problem_id FROM survey_response_problems p WHERE p.response_id = r.id AND p.question = $3) \
         FROM survey_responses r WHERE r.survey_id = $1 AND {a} IS NOT NULL AND {a} <> ''{cond} \
         ORDER BY r.id DESC LIMIT {limit} OFFSET {offset}",
        limit = limit.clamp(1, 1000),
        offset = offset.max(0)
    );
    let key = answer_key(db, question);
    let q = sqlx::query(AssertSqlSafe(sql))
        .bind(survey)
        .bind(key)
        .bind(question);
    let rows = bind_all(q, &binds).fetch_all(db.pool()).await?;
    rows.into_iter()
        .map(|r| {
            Ok(TextAnswer {
                response_id: ResponseId(r.try_get(0)?),
                submitted_at: r.try_get(1)?,
                worker_group: r.try_get(2)?,
                region: r.try_get(3)?,
                text: r.try_get(4)?,
                problem_id: r.try_get::<Option<i64>, _>(5)?.map(ProblemId),
            })
        })
        .collect()
}

/// The newest `max` non-empty answers of a question that pass the filter (the
/// sample keywords are counted over).
pub async fn text_sample(
    db: &Db,
    survey: SurveyId,
    question: &str,
    f: &Filter,
    max: i64,
) -> Result<Vec<String>, DbError> {
    let (cond, binds) = conditions(f, "r", 3);
    let a = answer_sql(db, 2);
    let sql = format!(
        "SELECT {a} FROM survey_responses r WHERE r.survey_id = $1 AND {a} IS NOT NULL AND {a} <> ''{cond} \
         ORDER BY r.id DESC LIMIT {max}"
    );
    let key = answer_key(db, question);
    let q = sqlx::query(AssertSqlSafe(sql)).bind(survey).bind(key);
    let rows = bind_all(q, &binds).fetch_all(db.pool()).await?;
    rows.into_iter().map(|r| r.try_get(0)).collect()
}

/// One stored response, as exports and the response page read it.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct StoredResponse {
    pub id: ResponseId,
    pub version_id: SurveyVersionId,
    pub submitted_at: i64,
    pub started_at: Option<i64>,
    pub ended_at: Option<i64>,
    pub worker_group: Option<String>,
    pub region: Option<String>,
    pub valid: bool,
    pub invalid_reasons: String,
    pub lang: String,
    /// `{question name: text}` as kept.
    pub answers: BTreeMap<String, String>,
}

type ResponseRow = (
    i64,
    i64,
    i64,
    Option<i64>,
    Option<i64>,
    Option<String>,
    Option<String>,
    i64,
    String,
    String,
    String,
);

const RESPONSE_COLS: &str = "r.id, r.version_id, r.submitted_at, r.started_at, r.ended_at, r.worker_group, \
    r.region, r.valid, r.invalid_reasons, r.lang, r.answers";

fn response_of(r: ResponseRow) -> StoredResponse {
    StoredResponse {
        id: ResponseId(r.0),
        version_id: SurveyVersionId(r.1),
        submitted_at: r.2,
        started_at: r.3,
        ended_at: r.4,
        worker_group: r.5,
        region: r.6,
        valid: r.7 != 0,
        invalid_reasons: r.8,
        lang: r.9,
        answers: serde_json::from_str(&r.10).unwrap_or_default(),
    }
}

/// The next `limit` responses after id `after` that pass the filter, oldest first.
pub async fn responses(
    db: &Db,
    survey: SurveyId,
    f: &Filter,
    after: i64,
    limit: i64,
) -> Result<Vec<StoredResponse>, DbError> {
    let (cond, binds) = conditions(f, "r", 3);
    let sql = format!(
        "SELECT {RESPONSE_COLS} FROM survey_responses r WHERE r.survey_id = $1 AND r.id > $2{cond} \
         ORDER BY r.id LIMIT {limit}"
    );
    let q = sqlx::query(AssertSqlSafe(sql)).bind(survey).bind(after);
    let rows = bind_all(q, &binds).fetch_all(db.pool()).await?;
    rows.into_iter()
        .map(|r| {
            let row: ResponseRow = (
                r.try_get(0)?,
                r.try_get(1)?,
                r.try_get(2)?,
                r.try_get(3)?,
                r.try_get(4)?,
                r.try_get(5)?,
                r.try_get(6)?,
                r.try_get(7)?,
                r.try_get(8)?,
                r.try_get(9)?,
                r.try_get(10)?,
            );
            Ok(response_of(row))
        })
        .collect()
}

/// How many responses pass the filter.
pub async fn count(db: &Db, survey: SurveyId, f: &Filter) -> Result<i64, DbError> {
    let (cond, binds) = conditions(f, "r", 2);
    let sql = format!("SELECT COUNT(*) FROM survey_responses r WHERE r.survey_id = $1{cond}");
    let q = sqlx::query(AssertSqlSafe(sql)).bind(survey);
    let row = bind_all(q, &binds).fetch_one(db.pool()).await?;
    row.try_get(0)
}

/// One response of the survey.
pub async fn response(
    db: &Db,
    survey: SurveyId,
    id: ResponseId,
) -> Result<Option<StoredResponse>, DbError> {
    let row: Option<ResponseRow> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {RESPONSE_COLS} FROM survey_responses r WHERE r.survey_id = $1 AND r.id = $2"
    )))
    .bind(survey)
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(response_of))
}

// ---- answers turned into problems ----

/// A problem made from an answer.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct AnswerProblem {
    pub question: String,
    pub problem_id: ProblemId,
}

/// The problems made from a response's answers.
pub async fn problems_of_response(db: &Db, id: ResponseId) -> Result<Vec<AnswerProblem>, DbError> {
    let rows: Vec<(String, ProblemId)> = sqlx::query_as(
        "SELECT question, problem_id FROM survey_response_problems WHERE response_id = $1 ORDER BY question",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(question, problem_id)| AnswerProblem {
            question,
            problem_id,
        })
        .collect())
}

/// The problem made from one answer, if any (inside a transaction).
pub async fn problem_of_answer(
    tx: &mut Tx,
    id: ResponseId,
    question: &str,
) -> Result<Option<ProblemId>, DbError> {
    sqlx::query_scalar(
        "SELECT problem_id FROM survey_response_problems WHERE response_id = $1 AND question = $2",
    )
    .bind(id)
    .bind(question)
    .fetch_optional(&mut **tx)
    .await
}

/// Records that `problem` was made from an answer. The primary key
/// (response, question) makes a second link impossible.
pub async fn link_problem(
    tx: &mut Tx,
    survey: SurveyId,
    org: OrgId,
    id: ResponseId,
    question: &str,
    problem: ProblemId,
    user: UserId,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO survey_response_problems (response_id, question, survey_id, org_id, problem_id, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(question)
    .bind(survey)
    .bind(org)
    .bind(problem)
    .bind(user)
    .bind(now())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Where a problem came from when it was made from an answer: the survey, its
/// title, the response and the question.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ProblemSource {
    pub survey_id: SurveyId,
    pub survey_title: String,
    pub response_id: ResponseId,
    pub question: String,
}

/// The answer a problem was made from, if it was.
pub async fn source_of_problem(
    db: &Db,
    problem: ProblemId,
) -> Result<Option<ProblemSource>, DbError> {
    let row: Option<(SurveyId, String, ResponseId, String)> = sqlx::query_as(
        "SELECT p.survey_id, s.title, p.response_id, p.question FROM survey_response_problems p \
         JOIN surveys s ON s.id = p.survey_id WHERE p.problem_id = $1",
    )
    .bind(problem)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(
        |(survey_id, survey_title, response_id, question)| ProblemSource {
            survey_id,
            survey_title,
            response_id,
            question,
        },
    ))
}

// ---- campaigns ----

/// A survey linked to a campaign with its response counts.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct CampaignSurvey {
    pub id: SurveyId,
    pub title: String,
    pub org_name: String,
    /// 有效问卷: responses counted as valid.
    pub valid_responses: i64,
    pub responses: i64,
}

/// The surveys of a campaign that the scope reads, with their valid counts.
pub async fn campaign_surveys(
    db: &Db,
    scope: &Scope,
    campaign: CampaignId,
) -> Result<Vec<CampaignSurvey>, DbError> {
    let sql = format!(
        "SELECT s.id, s.title, o.name, \
         (SELECT COUNT(*) FROM survey_responses r WHERE r.survey_id = s.id AND r.valid = 1), \
         (SELECT COUNT(*) FROM survey_responses r WHERE r.survey_id = s.id) \
         FROM surveys s JOIN orgs o ON o.id = s.org_id WHERE s.campaign_id = $1 AND {} ORDER BY s.id",
        scope.sql("s.org_id")
    );
    let rows: Vec<(SurveyId, String, String, i64, i64)> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(campaign)
        .fetch_all(db.pool())
        .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, title, org_name, valid_responses, responses)| CampaignSurvey {
                id,
                title,
                org_name,
                valid_responses,
                responses,
            },
        )
        .collect())
}
