//! Analysis pages and API: `/surveys/{id}/analysis` (figures, charts, the
//! cross-tab), free-text answers with their keywords, one response, an
//! answer turned into a problem, and the exports.
//!
//! Who may do what: readers over the survey's org read everything here (and
//! export, audited); cadres and admins there turn answers into problems (403
//! for other readers); everyone else gets 404.

use crate::web::{Form as PageForm, Json, Path, Query};
use askama::Template;
use axum::{
    Router,
    extract::State,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use serde::{Deserialize, Serialize};
use utoipa::OpenApi;

use super::{
    Analysis, AnalysisQuery, Filter, Validity, export, keywords,
    store::{self, AnswerProblem, StoredResponse, TextAnswer},
    tally::Kind,
};
use crate::{
    audit::{self, Action, Entry},
    auth::{Caller, Need},
    db::{ProblemId, ResponseId, SurveyId},
    enterprise::WorkerGroup,
    error::{AppError, AppResult},
    i18n::Lang,
    problem::{ProblemFields, Source, store as problems},
    survey::{Survey, privacy::AnswerView, store as surveys},
    web::{
        AppState,
        page::{Chrome, render},
    },
};

/// The routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/surveys/{id}/analysis", get(analysis_page))
        .route("/surveys/{id}/analysis/text/{question}", get(text_page))
        .route("/surveys/{id}/responses/{rid}", get(response_page))
        .route("/surveys/{id}/responses/{rid}/problem", post(problem_page))
        .route("/api/v1/surveys/{id}/analysis", get(api_analysis))
        .route(
            "/api/v1/surveys/{id}/analysis/export",
            get(api_results_export),
        )
        .route(
            "/api/v1/surveys/{id}/analysis/text/{question}",
            get(api_text),
        )
        .route(
            "/api/v1/surveys/{id}/responses/export",
            get(api_responses_export),
        )
        .route("/api/v1/surveys/{id}/responses/{rid}", get(api_response))
        .route(
            "/api/v1/surveys/{id}/responses/{rid}/problem",
            post(api_problem),
        )
}

/// This module's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(api_analysis, api_results_export, api_text, api_responses_export, api_response, api_problem),
    components(schemas(Analysis, super::QuestionResult, super::ChoiceCount, super::CrossTab, super::DateSummary,
        super::tally::NumberSummary, Kind, Filter, Validity, TextPage, TextAnswer, ResponseDetail, StoredResponse,
        AnswerProblem, ProblemInput, ProblemMade)),
    tags((name = "survey analysis", description = "Questionnaire results: frequencies, numeric summaries, cross-tabs, free text, exports, answers turned into problems"))
)]
pub struct ApiDoc;

/// Answers per page of free text.
const TEXT_PAGE: i64 = 20;
/// Answers the keywords are counted over (the newest that pass the filter).
const KEYWORD_SAMPLE: i64 = 5_000;
/// Keywords shown.
const KEYWORDS: usize = 30;
/// Responses read per query while exporting.
const EXPORT_BATCH: i64 = 5_000;
/// The most rows an XLSX sheet holds (the format's limit, less the header).
const XLSX_MAX_ROWS: u64 = 1_048_575;

/// The survey if the caller reads its org, else 404.
async fn visible(state: &AppState, caller: &Caller, id: SurveyId) -> AppResult<Survey> {
    surveys::get(&state.db, &caller.scope(Need::Read), id)
        .await?
        .ok_or(AppError::NotFound)
}

async fn analysis(
    state: &AppState,
    s: &Survey,
    q: &AnalysisQuery,
    lang: Lang,
) -> AppResult<Analysis> {
    let filter = q.filter()?;
    super::analyse(&state.db, s, &filter, q, lang)
        .await
        .map_err(AppError::Internal)?
}

// ---- API ----

/// Every question's counts and percentages (multiple choice: percent of
/// respondents), numeric summaries, and one cross-tab (`row` by `by`:
/// `worker_group`, `region` or another choice question; default the first
/// choice question by worker group). Valid responses only unless `valid=all`
/// or `valid=invalid`.
#[utoipa::path(get, path = "/api/v1/surveys/{id}/analysis", tag = "survey analysis",
    params(("id" = i64, Path), AnalysisQuery),
    responses((status = 200, body = Analysis), (status = 404, body = crate::web::errors::ErrorBody),
        (status = 422, body = crate::web::errors::ErrorBody)))]
pub async fn api_analysis(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<SurveyId>,
    Query(q): Query<AnalysisQuery>,
) -> AppResult<Json<Analysis>> {
    let s = visible(&state, &caller, id).await?;
    Ok(Json(analysis(&state, &s, &q, caller.lang).await?))
}

/// A page of free-text answers with the question's keywords.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TextPage {
    pub question: String,
    pub label: String,
    pub page: i64,
    pub has_next: bool,
    pub answers: Vec<TextAnswer>,
    /// (word, answers containing it), most frequent first, over the newest
    /// 5,000 answers that pass the filter.
    pub keywords: Vec<(String, u64)>,
    /// How many answers the keywords were counted over.
    pub keyword_sample: usize,
}

/// The page of free-text answers (the filter is [`AnalysisQuery`]'s).
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct TextQuery {
    /// 1, 2, …
    pub page: Option<i64>,
}

async fn text_page_of(
    state: &AppState,
    caller: &Caller,
    s: &Survey,
    question: &str,
    q: &TextQuery,
    fq: &AnalysisQuery,
    lang: Lang,
) -> AppResult<TextPage> {
    let forms = store::forms(&state.db, s.id)
        .await
        .map_err(AppError::Internal)?;
    let book = store::codebook(&forms);
    let entry = book
        .find(question)
        .map(|i| &book.entries[i])
        .filter(|e| e.kind == Kind::Text)
        .ok_or(AppError::NotFound)?;
    let filter = fq.filter()?;
    let page = q.page.unwrap_or(1).max(1);
    let mut answers = store::texts(
        &state.db,
        s.id,
        question,
        &filter,
        (page - 1) * TEXT_PAGE,
        TEXT_PAGE + 1,
    )
    .await?;
    let has_next = answers.len() as i64 > TEXT_PAGE;
    answers.truncate(TEXT_PAGE as usize);
    let view = AnswerView::of(&state.db, caller, s).await?;
    let shown: Vec<ResponseId> = answers
        .iter_mut()
        .filter_map(|a| view.text(&mut a.text).then_some(a.response_id))
        .collect();
    view.audit(
        &state.db,
        caller,
        &format!("free-text answers to {question}, page {page}"),
        &shown,
    )
    .await?;
    // Keywords never include personal numbers: `keywords::words` masks first.
    let sample = store::text_sample(&state.db, s.id, question, &filter, KEYWORD_SAMPLE).await?;
    let n = sample.len();
    let keywords = tokio::task::spawn_blocking(move || keywords::top(&sample, KEYWORDS))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok(TextPage {
        question: question.to_string(),
        label: entry.label.get(lang.code()).unwrap_or(question).to_string(),
        page,
        has_next,
        answers,
        keywords,
        keyword_sample: n,
    })
}

/// The answers to a text question (newest first, 20 a page) and its most
/// frequent keywords (Chinese word segmentation, stop words removed).
#[utoipa::path(get, path = "/api/v1/surveys/{id}/analysis/text/{question}", tag = "survey analysis",
    params(("id" = i64, Path), ("question" = String, Path), TextQuery, AnalysisQuery),
    responses((status = 200, body = TextPage), (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_text(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, question)): Path<(SurveyId, String)>,
    Query(q): Query<TextQuery>,
    Query(fq): Query<AnalysisQuery>,
) -> AppResult<Json<TextPage>> {
    let s = visible(&state, &caller, id).await?;
    Ok(Json(
        text_page_of(&state, &caller, &s, &question, &q, &fq, caller.lang).await?,
    ))
}

/// One response with the problems made from its answers.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ResponseDetail {
    pub survey_id: SurveyId,
    pub response: StoredResponse,
    pub problems: Vec<AnswerProblem>,
}

async fn response_detail(
    state: &AppState,
    caller: &Caller,
    id: SurveyId,
    rid: ResponseId,
) -> AppResult<(Survey, ResponseDetail)> {
    let s = visible(state, caller, id).await?;
    let mut response = store::response(&state.db, id, rid)
        .await?
        .ok_or(AppError::NotFound)?;
    let view = AnswerView::of(&state.db, caller, &s).await?;
    if view.stored(&mut response) {
        view.audit(&state.db, caller, "response", &[rid]).await?;
    }
    let problems = store::problems_of_response(&state.db, rid).await?;
    Ok((
        s,
        ResponseDetail {
            survey_id: id,
            response,
            problems,
        },
    ))
}

/// One response: its answers, validity, times and the problems made from it.
#[utoipa::path(get, path = "/api/v1/surveys/{id}/responses/{rid}", tag = "survey analysis",
    params(("id" = i64, Path), ("rid" = i64, Path)),
    responses((status = 200, body = ResponseDetail), (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_response(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, rid)): Path<(SurveyId, ResponseId)>,
) -> AppResult<Json<ResponseDetail>> {
    Ok(Json(response_detail(&state, &caller, id, rid).await?.1))
}

/// Which answer becomes a problem, and its topic.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = AnswerProblemInput)]
pub struct ProblemInput {
    /// The text question whose answer it is.
    pub question: String,
    /// A topic code (`wages`, …); default `other`.
    #[serde(default)]
    pub topic: Option<String>,
}

/// The problem an answer became.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ProblemMade {
    pub problem_id: ProblemId,
    /// False when the answer had already become this problem.
    pub created: bool,
}

/// Turns a free-text answer into a problem of the survey's org (source:
/// worker; the response's worker group; the survey's campaign), linked both
/// ways. Once per answer: a second call returns the first problem.
async fn make_problem(
    state: &AppState,
    caller: &Caller,
    id: SurveyId,
    rid: ResponseId,
    input: &ProblemInput,
) -> AppResult<ProblemMade> {
    let s = visible(state, caller, id).await?;
    if !caller
        .scope(Need::Write)
        .contains(&state.db, s.org_id)
        .await?
    {
        return Err(AppError::Forbidden);
    }
    let r = store::response(&state.db, id, rid)
        .await?
        .ok_or(AppError::NotFound)?;
    let question = input.question.trim();
    let text = r
        .answers
        .get(question)
        .map(|t| t.trim())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| AppError::field("question", "analysis-err-no-answer"))?;
    let forms = store::forms(&state.db, id)
        .await
        .map_err(AppError::Internal)?;
    let book = store::codebook(&forms);
    if book
        .find(question)
        .is_none_or(|i| book.entries[i].kind != Kind::Text)
    {
        return Err(AppError::field("question", "analysis-err-not-text"));
    }
    let topic = input
        .topic
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .unwrap_or("other")
        .to_string();
    let mut tx = state.db.begin().await?;
    if let Some(p) = store::problem_of_answer(&mut tx, rid, question).await? {
        return Ok(ProblemMade {
            problem_id: p,
            created: false,
        });
    }
    let origin = problems::Origin {
        org: s.org_id,
        // The problems' own unique key (org, client id) backs the link's.
        client_id: format!("survey-{id}-response-{rid}-{question}")
            .chars()
            .take(64)
            .collect(),
        campaign: s.campaign_id,
        activity: None,
        user: Some(caller.user_id),
        actor: caller.display_name.clone(),
        public: false,
    };
    // The problem is read by everyone over the org, so it carries the answer
    // with personal numbers masked; its link back leads to them in full.
    let mut description: String = text.chars().take(2000).collect();
    AnswerView::masked(&s).text(&mut description);
    let fields = ProblemFields {
        source: Source::Worker,
        topic_code: topic,
        worker_group: r.worker_group.as_deref().and_then(WorkerGroup::parse),
        description,
        raiser_name: None,
        raiser_contact: None,
        is_main: false,
        enterprise_id: None,
    };
    let (problem, created) = match problems::insert(&mut tx, &origin, &fields).await? {
        Some(p) => (p, true),
        None => (
            problems::id_by_client(&mut tx, s.org_id, &origin.client_id)
                .await?
                .ok_or(AppError::NotFound)?,
            false,
        ),
    };
    if created {
        store::link_problem(
            &mut tx,
            id,
            s.org_id,
            rid,
            question,
            problem,
            caller.user_id,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(ProblemMade {
        problem_id: problem,
        created,
    })
}

/// Turns a free-text answer into a problem ("转为问题"), linked both ways;
/// once per answer (201 the first time, 200 with the same problem after).
#[utoipa::path(post, path = "/api/v1/surveys/{id}/responses/{rid}/problem", tag = "survey analysis",
    params(("id" = i64, Path), ("rid" = i64, Path)), request_body = ProblemInput,
    responses((status = 201, body = ProblemMade), (status = 200, description = "already a problem", body = ProblemMade),
        (status = 403, body = crate::web::errors::ErrorBody), (status = 404, body = crate::web::errors::ErrorBody),
        (status = 422, body = crate::web::errors::ErrorBody)))]
pub async fn api_problem(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, rid)): Path<(SurveyId, ResponseId)>,
    Json(input): Json<ProblemInput>,
) -> AppResult<Response> {
    let made = make_problem(&state, &caller, id, rid, &input).await?;
    let status = if made.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(made)).into_response())
}

// ---- exports ----

/// The query of exports.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct ExportQuery {
    /// Results: `xlsx` or `pdf`. Responses: `csv` or `xlsx`.
    pub format: Option<String>,
    /// Responses: `codes` (default) or `labels` for choices.
    pub values: Option<String>,
    /// Responses as CSV: `1` for the codebook instead of the responses.
    pub codebook: Option<String>,
    /// A token the page chose: answered back as the `qt_download` cookie so
    /// the page knows the file is ready and hides its progress indicator.
    pub dl: Option<String>,
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn export_err(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(anyhow::anyhow!("{e}"))
}

/// An export ready to send.
struct File {
    body: Vec<u8>,
    name: String,
    mime: &'static str,
    /// What was exported, for the audit log.
    detail: String,
}

/// Audits the export and answers with the file (and the page's cookie).
async fn download(
    state: &AppState,
    caller: &Caller,
    s: &Survey,
    f: File,
    dl: Option<&str>,
) -> AppResult<Response> {
    let e = Entry::by(caller, s.org_id, Action::Export)
        .target(format!("survey:{}", s.id))
        .detail(format!("{}: {}", f.name, f.detail));
    audit::store::record(state.db.pool(), &e).await?;
    let mut res = crate::web::download::attachment(f.body, &f.name, f.mime);
    if let Some(token) =
        dl.filter(|t| t.len() <= 32 && t.chars().all(|c| c.is_ascii_alphanumeric()))
        && let Ok(v) = HeaderValue::from_str(&format!(
            "qt_download={token}; Path=/; Max-Age=120; SameSite=Lax"
        ))
    {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

/// The results page as XLSX (an overview, one sheet of frequencies per
/// question, the cross-tab) or an A4 PDF with bar charts; filters and
/// cross-tab as for the analysis. Audited.
#[utoipa::path(get, path = "/api/v1/surveys/{id}/analysis/export", tag = "survey analysis",
    params(("id" = i64, Path), ExportQuery, AnalysisQuery),
    responses((status = 200, description = "the .xlsx or .pdf file"), (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_results_export(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<SurveyId>,
    Query(q): Query<ExportQuery>,
    Query(fq): Query<AnalysisQuery>,
) -> AppResult<Response> {
    let s = visible(&state, &caller, id).await?;
    let a = analysis(&state, &s, &fq, caller.lang).await?;
    let lang = caller.lang;
    let title = s.title.clone();
    let detail = export::filter_line(&a, lang);
    let settings = state.settings.clone();
    let (ext, mime) = match q.format.as_deref().unwrap_or("xlsx") {
        "xlsx" => ("xlsx", XLSX),
        "pdf" => ("pdf", "application/pdf"),
        _ => return Err(AppError::field("format", "analysis-err-format")),
    };
    let body = tokio::task::spawn_blocking(move || {
        if ext == "pdf" {
            let fonts = crate::pdf::PdfFonts::load(&settings)?;
            export::results_pdf(&title, &a, lang, &fonts)
        } else {
            export::results_xlsx(&title, &a, lang)
        }
    })
    .await
    .map_err(export_err)?
    .map_err(export_err)?;
    let name = format!(
        "survey-{id}-results-{}.{ext}",
        crate::web::download::stamp()
    );
    let file = File {
        body,
        name,
        mime,
        detail,
    };
    download(&state, &caller, &s, file, q.dl.as_deref()).await
}

/// A responses export: the file, how many responses it holds, and how many
/// of those hold personal numbers (masked or, for a reader with the need, in full).
#[derive(Debug)]
pub struct ResponsesFile {
    pub body: Vec<u8>,
    pub responses: u64,
    pub personal: u64,
    pub view: AnswerView,
}

impl ResponsesFile {
    /// What the export's audit row says about personal numbers.
    pub fn personal_note(&self) -> String {
        match (self.personal, self.view.disclosure.is_full()) {
            (0, _) => "no personal numbers".into(),
            (n, true) => format!("personal numbers in full in {n} responses"),
            (n, false) => format!("personal numbers masked in {n} responses"),
        }
    }
}

/// Writes the responses that pass the filter as CSV or XLSX, answers as
/// `view` shows them, reporting how many are done after each batch (the
/// CLI's progress bar).
#[allow(clippy::too_many_arguments)]
pub async fn responses_file(
    db: &crate::db::Db,
    s: &Survey,
    view: AnswerView,
    filter: &Filter,
    xlsx: bool,
    values: export::Values,
    lang: Lang,
    mut progress: impl FnMut(u64),
) -> anyhow::Result<ResponsesFile> {
    let forms = store::forms(db, s.id).await?;
    let book = store::codebook(&forms);
    let columns = export::columns(&book, lang);
    let header: Vec<String> = columns.iter().map(|c| c.name.clone()).collect();
    let cb = export::codebook_rows(&book, &columns, lang);
    let mut csv = if xlsx {
        None
    } else {
        Some(export::CsvOut::new(&header)?)
    };
    let mut wb = if xlsx {
        Some(export::XlsxOut::new(
            &header,
            &lang.t("analysis-sheet-responses"),
        )?)
    } else {
        None
    };
    let mut after = 0;
    let mut n = 0u64;
    let mut personal = 0u64;
    loop {
        let mut batch = store::responses(db, s.id, filter, after, EXPORT_BATCH).await?;
        let Some(last) = batch.last() else { break };
        after = last.id.0;
        for r in &mut batch {
            personal += u64::from(view.stored(r));
            if xlsx && n >= XLSX_MAX_ROWS {
                anyhow::bail!("more responses than an XLSX sheet holds: export CSV");
            }
            let cells = export::row(&book, &columns, r, values, lang);
            if let Some(c) = csv.as_mut() {
                c.row(&cells)?;
            }
            if let Some(w) = wb.as_mut() {
                w.row(&cells)?;
            }
            n += 1;
        }
        progress(n);
    }
    let body = match (csv, wb) {
        (Some(c), _) => c.finish()?,
        (None, Some(w)) => w.finish(&cb, lang)?,
        (None, None) => Vec::new(),
    };
    Ok(ResponsesFile {
        body,
        responses: n,
        personal,
        view,
    })
}

/// The responses that pass the filter, one row each: CSV (UTF-8 with BOM) or
/// XLSX with a codebook sheet; choices as codes (default) or labels; a 0/1
/// column per choice of a multiple choice. `codebook=1` with CSV gives the
/// codebook instead. Audited.
#[utoipa::path(get, path = "/api/v1/surveys/{id}/responses/export", tag = "survey analysis",
    params(("id" = i64, Path), ExportQuery, AnalysisQuery),
    responses((status = 200, description = "the .csv or .xlsx file"), (status = 404, body = crate::web::errors::ErrorBody),
        (status = 422, body = crate::web::errors::ErrorBody)))]
pub async fn api_responses_export(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<SurveyId>,
    Query(q): Query<ExportQuery>,
    Query(fq): Query<AnalysisQuery>,
) -> AppResult<Response> {
    let s = visible(&state, &caller, id).await?;
    let filter = fq.filter()?;
    let lang = caller.lang;
    let values = match q.values.as_deref().unwrap_or("codes") {
        "codes" => export::Values::Codes,
        "labels" => export::Values::Labels,
        _ => return Err(AppError::field("values", "analysis-err-values")),
    };
    let stamp = crate::web::download::stamp();
    let fmt = q.format.as_deref().unwrap_or("csv");
    if !matches!(fmt, "csv" | "xlsx") {
        return Err(AppError::field("format", "analysis-err-format"));
    }
    if fmt == "csv" && q.codebook.as_deref() == Some("1") {
        let forms = store::forms(&state.db, id)
            .await
            .map_err(AppError::Internal)?;
        let book = store::codebook(&forms);
        let cols = export::columns(&book, lang);
        let body = export::codebook_csv(&export::codebook_rows(&book, &cols, lang), lang)
            .map_err(export_err)?;
        let name = format!("survey-{id}-codebook.csv");
        return download(
            &state,
            &caller,
            &s,
            File {
                body,
                name,
                mime: "text/csv; charset=utf-8",
                detail: "codebook".into(),
            },
            q.dl.as_deref(),
        )
        .await;
    }
    let view = AnswerView::of(&state.db, &caller, &s).await?;
    let file = responses_file(
        &state.db,
        &s,
        view,
        &filter,
        fmt == "xlsx",
        values,
        lang,
        |_| {},
    )
    .await
    .map_err(AppError::Internal)?;
    let (name, mime) = if fmt == "xlsx" {
        (format!("survey-{id}-responses-{stamp}.xlsx"), XLSX)
    } else {
        (
            format!("survey-{id}-responses-{stamp}.csv"),
            "text/csv; charset=utf-8",
        )
    };
    // The export's one audit row also says whether personal numbers left in full.
    let detail = format!(
        "{} responses, {}, {}, {}",
        file.responses,
        filter.validity.as_str(),
        if values == export::Values::Codes {
            "codes"
        } else {
            "labels"
        },
        file.personal_note()
    );
    let body = file.body;
    download(
        &state,
        &caller,
        &s,
        File {
            body,
            name,
            mime,
            detail,
        },
        q.dl.as_deref(),
    )
    .await
}

// ---- pages ----

/// A chart the page script draws: horizontal bars of counts.
#[derive(Serialize)]
struct Chart {
    id: String,
    labels: Vec<String>,
    values: Vec<u64>,
    /// Percent per bar, for the tooltip.
    percents: Vec<f64>,
}

/// A cross-tab row as the page shows it: label, (count, row percent) per
/// column, row total.
/// A cross-tab row as shown: label, (count, row percent) per column, total.
type XRow = (String, Vec<(String, String)>, String);

#[derive(Template)]
#[template(path = "survey/analysis.html")]
struct AnalysisPage {
    c: Chrome,
    s: Survey,
    a: Analysis,
    q: AnalysisQuery,
    qs: String,
    validities: Vec<Validity>,
    groups: Vec<WorkerGroup>,
    charts: String,
    echarts: &'static str,
}

impl AnalysisPage {
    fn pct(&self, p: &f64) -> String {
        format!("{p:.1}%")
    }

    /// Width of a table bar (SVG units of 100).
    fn bar(&self, p: &f64) -> String {
        format!("{:.1}", p.clamp(0.0, 100.0))
    }

    fn n(&self, x: &f64) -> String {
        export::fmt_num(*x)
    }

    fn val<'a>(&self, v: &'a Option<String>) -> &'a str {
        v.as_deref().unwrap_or("")
    }

    fn is_validity(&self, v: &Validity) -> bool {
        self.a.filter.validity == *v
    }

    fn is_group(&self, g: &WorkerGroup) -> bool {
        self.a.filter.group.as_deref() == Some(g.as_str())
    }

    fn row_is(&self, name: &str) -> bool {
        self.a.crosstab.as_ref().is_some_and(|x| x.row == name)
    }

    fn by_is(&self, name: &str) -> bool {
        self.a.crosstab.as_ref().is_some_and(|x| x.by == name)
    }

    fn kind_key(&self, k: &Kind) -> String {
        format!(
            "analysis-kind-{}",
            serde_json::to_value(k)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default()
        )
    }

    fn is_text(&self, k: &Kind) -> bool {
        *k == Kind::Text
    }

    fn is_choice(&self, k: &Kind) -> bool {
        k.is_choice()
    }

    fn total(&self) -> String {
        self.c.int(self.a.responses as i64)
    }

    /// The cross-tab's rows: label, (count, row percent) per column, row total.
    fn xrows(&self) -> Vec<XRow> {
        let Some(x) = &self.a.crosstab else {
            return Vec::new();
        };
        x.rows
            .iter()
            .enumerate()
            .map(|(r, label)| {
                let cells = x.cells[r]
                    .iter()
                    .zip(&x.row_percent[r])
                    .map(|(n, p)| (self.count(*n), format!("{p:.1}%")))
                    .collect();
                (label.clone(), cells, self.count(x.row_totals[r]))
            })
            .collect()
    }

    /// The cross-tab's column totals as shown.
    fn xtotals(&self) -> Vec<String> {
        self.a
            .crosstab
            .as_ref()
            .map(|x| x.column_totals.iter().map(|n| self.count(*n)).collect())
            .unwrap_or_default()
    }

    /// A count with the language's digit grouping (12,345).
    fn count(&self, n: u64) -> String {
        self.c.int(i64::try_from(n).unwrap_or(i64::MAX))
    }

    fn link(&self, extra: &str) -> String {
        match (self.qs.is_empty(), extra.is_empty()) {
            (true, _) => extra.to_string(),
            (false, true) => self.qs.clone(),
            (false, false) => format!("{}&{extra}", self.qs),
        }
    }
}

async fn analysis_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<SurveyId>,
    Query(q): Query<AnalysisQuery>,
) -> AppResult<Response> {
    let s = visible(&state, &caller, id).await?;
    let a = analysis(&state, &s, &q, caller.lang).await?;
    let mut charts: Vec<Chart> = a
        .questions
        .iter()
        .enumerate()
        .filter(|(_, q)| q.kind.is_choice() && q.answered > 0)
        .map(|(i, q)| Chart {
            id: format!("chart-{i}"),
            labels: q.choices.iter().map(|c| c.label.clone()).collect(),
            values: q.choices.iter().map(|c| c.count).collect(),
            percents: q
                .choices
                .iter()
                .map(|c| (c.percent * 10.0).round() / 10.0)
                .collect(),
        })
        .collect();
    charts.extend(
        a.questions
            .iter()
            .enumerate()
            .filter(|(_, q)| !q.distribution.is_empty() && q.distribution.len() <= 11)
            .map(|(i, q)| {
                let total: u64 = q.distribution.iter().map(|(_, n)| n).sum();
                Chart {
                    id: format!("chart-{i}"),
                    labels: q
                        .distribution
                        .iter()
                        .map(|(v, _)| export::fmt_num(*v))
                        .collect(),
                    values: q.distribution.iter().map(|(_, n)| *n).collect(),
                    percents: q
                        .distribution
                        .iter()
                        .map(|(_, n)| (*n as f64 * 1000.0 / total.max(1) as f64).round() / 10.0)
                        .collect(),
                }
            }),
    );
    // The data goes into a JSON script element (not run; the CSP allows no
    // inline script): `</` is escaped so no text can close the element.
    let charts = serde_json::to_string(&charts)
        .map_err(|e| AppError::Internal(e.into()))?
        .replace("</", "<\\/");
    render(AnalysisPage {
        c: Chrome::for_caller(&caller, &format!("/surveys/{id}/analysis")),
        qs: q.query_string(),
        s,
        a,
        q,
        validities: Validity::ALL.to_vec(),
        groups: WorkerGroup::ALL.to_vec(),
        charts,
        echarts: crate::web::assets::ECHARTS,
    })
}

#[derive(Template)]
#[template(path = "survey/analysis_text.html")]
struct TextAnswersPage {
    c: Chrome,
    /// Stored region → its name.
    regions: std::collections::HashMap<String, String>,
    s: Survey,
    t: TextPage,
    qs: String,
    can_write: bool,
    topics: Vec<(String, String)>,
}

impl TextAnswersPage {
    fn group(&self, g: &Option<String>) -> String {
        g.as_deref()
            .map(|g| super::group_label(g, self.c.lang))
            .unwrap_or_default()
    }

    fn region(&self, r: &str) -> String {
        self.regions
            .get(r)
            .cloned()
            .unwrap_or_else(|| r.to_string())
    }

    fn page_link(&self, page: i64) -> String {
        if self.qs.is_empty() {
            format!("?page={page}")
        } else {
            format!("?{}&page={page}", self.qs)
        }
    }

    fn prev(&self) -> i64 {
        self.t.page - 1
    }

    fn next(&self) -> i64 {
        self.t.page + 1
    }
}

/// Active topics as (code, name in the reader's language).
async fn topic_choices(state: &AppState, lang: Lang) -> AppResult<Vec<(String, String)>> {
    Ok(problems::topic_rows(&state.db)
        .await?
        .into_iter()
        .filter(|t| t.active != 0)
        .map(|t| {
            let name = if lang == Lang::Zh {
                t.name_zh
            } else {
                t.name_en
            };
            (t.code, name)
        })
        .collect())
}

async fn text_page(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, question)): Path<(SurveyId, String)>,
    Query(q): Query<TextQuery>,
    Query(fq): Query<AnalysisQuery>,
) -> AppResult<Response> {
    let s = visible(&state, &caller, id).await?;
    let t = text_page_of(&state, &caller, &s, &question, &q, &fq, caller.lang).await?;
    let can_write = caller
        .scope(Need::Write)
        .contains(&state.db, s.org_id)
        .await?;
    let forms = store::forms(&state.db, id)
        .await
        .map_err(AppError::Internal)?;
    let book = store::codebook(&forms);
    let regions = t
        .answers
        .iter()
        .filter_map(|a| a.region.clone())
        .map(|r| {
            let l = super::region_label(&book, &s.region_question, &r, caller.lang);
            (r, l)
        })
        .collect();
    render(TextAnswersPage {
        regions,
        c: Chrome::for_caller(
            &caller,
            &format!(
                "/surveys/{id}/analysis/text/{}",
                crate::web::errors::urlencode(&question)
            ),
        ),
        qs: fq.query_string(),
        s,
        t,
        can_write,
        topics: topic_choices(&state, caller.lang).await?,
    })
}

/// One answer as the response page shows it.
struct AnswerRow {
    name: String,
    label: String,
    text: String,
    is_text: bool,
    problem: Option<ProblemId>,
}

#[derive(Template)]
#[template(path = "survey/response.html")]
struct ResponsePage {
    c: Chrome,
    region: String,
    s: Survey,
    d: ResponseDetail,
    rows: Vec<AnswerRow>,
    can_write: bool,
    topics: Vec<(String, String)>,
    notice: Option<String>,
}

impl ResponsePage {
    fn group(&self) -> String {
        self.d
            .response
            .worker_group
            .as_deref()
            .map(|g| super::group_label(g, self.c.lang))
            .unwrap_or_default()
    }

    fn seconds(&self) -> String {
        match (self.d.response.started_at, self.d.response.ended_at) {
            (Some(a), Some(b)) if b >= a => self.c.t1("analysis-seconds", "n", b - a),
            _ => "—".into(),
        }
    }
}

/// The query of the response page.
#[derive(Clone, Debug, Default, Deserialize)]
struct ResponseQuery {
    made: Option<String>,
}

async fn response_page(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, rid)): Path<(SurveyId, ResponseId)>,
    Query(rq): Query<ResponseQuery>,
) -> AppResult<Response> {
    let (s, d) = response_detail(&state, &caller, id, rid).await?;
    let can_write = caller
        .scope(Need::Write)
        .contains(&state.db, s.org_id)
        .await?;
    let forms = store::forms(&state.db, id)
        .await
        .map_err(AppError::Internal)?;
    let book = store::codebook(&forms);
    let lang = caller.lang;
    let rows = book
        .entries
        .iter()
        .filter_map(|e| {
            let raw = d.response.answers.get(&e.name)?;
            let label_of = |v: &str| {
                e.choices
                    .iter()
                    .find(|(n, _)| n == v)
                    .map(|(n, l)| l.get(lang.code()).unwrap_or(n).to_string())
                    .unwrap_or_else(|| {
                        if v == crate::survey::answers::OTHER {
                            lang.t("survey-other")
                        } else {
                            v.to_string()
                        }
                    })
            };
            let mut text = if e.kind.is_choice() {
                raw.split_whitespace()
                    .map(label_of)
                    .collect::<Vec<_>>()
                    .join("、")
            } else {
                raw.clone()
            };
            if let Some(o) = d
                .response
                .answers
                .get(&crate::survey::answers::other_key(&e.name))
                .filter(|o| !o.is_empty())
            {
                text = format!("{text}（{o}）");
            }
            Some(AnswerRow {
                name: e.name.clone(),
                label: e.label.get(lang.code()).unwrap_or(&e.name).to_string(),
                text,
                is_text: e.kind == Kind::Text,
                problem: d
                    .problems
                    .iter()
                    .find(|p| p.question == e.name)
                    .map(|p| p.problem_id),
            })
        })
        .collect();
    let notice = rq.made.map(|_| lang.t("analysis-problem-made"));
    let region = d
        .response
        .region
        .as_deref()
        .map(|r| super::region_label(&book, &s.region_question, r, lang))
        .unwrap_or_default();
    render(ResponsePage {
        region,
        c: Chrome::for_caller(&caller, &format!("/surveys/{id}/responses/{rid}")),
        s,
        d,
        rows,
        can_write,
        topics: topic_choices(&state, lang).await?,
        notice,
    })
}

/// The "转为问题" button: makes (or finds) the problem and opens it.
async fn problem_page(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, rid)): Path<(SurveyId, ResponseId)>,
    PageForm(input): PageForm<ProblemInput>,
) -> AppResult<Response> {
    let made = make_problem(&state, &caller, id, rid, &input).await?;
    Ok(Redirect::to(&format!("/problems/{}", made.problem_id)).into_response())
}
