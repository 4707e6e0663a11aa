//! Report pages and API: the list and the new-report form, the report read
//! live with its figures, timeline and versions, the editor, frozen versions,
//! submission and the issuing org's decision, DOCX/PDF downloads.
//!
//! Who may do what: readers over the author org's subtree read the report;
//! once submitted, readers over the campaign's issuing org read it too;
//! everyone else gets 404. Cadres and admins over the author org write it
//! (viewers get 403); cadres and admins over the issuing org accept or
//! return it.

use askama::Template;
use axum::{
    Form, Json, Router,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use serde::{Deserialize, Serialize};
use utoipa::OpenApi;

use super::{
    Body, Element, Report, ReportInput, Status, chart,
    compute::{Cell, Computer, Figure, FigureKind, Quote, Table},
    export,
    store::{self, By, Event, ListFilter, NoteCandidate, ReportCounts, Snapshot, VersionInfo},
};
use crate::{
    audit::{self, Action, Entry},
    auth::{Caller, Need, Scope},
    db::{CampaignId, OrgId, ReportId, ResponseId, SurveyId, now},
    error::{AppError, AppResult, FieldError},
    summary::workflow::{self, Action as Move, ReturnReasons},
    survey::analysis::{self, Filter, tally::Kind},
    web::{
        AppState,
        page::{Chrome, render},
    },
};

/// The routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/reports", get(list_page).post(create_page))
        .route("/reports/{id}", get(view_page))
        .route("/reports/{id}/edit", get(edit_page))
        .route("/reports/{id}/versions", post(version_page_post))
        .route("/reports/{id}/versions/{n}", get(version_page))
        .route("/reports/{id}/submit", post(submit_page))
        .route("/reports/{id}/accept", post(accept_page))
        .route("/reports/{id}/return", post(return_page))
        .route("/reports/{id}/report.docx", get(docx_download))
        .route("/reports/{id}/report.pdf", get(pdf_download))
        .route("/api/v1/reports", get(api_list).post(api_create))
        .route("/api/v1/reports/counts", get(api_counts))
        .route("/api/v1/reports/{id}", get(api_get).put(api_save))
        .route("/api/v1/reports/{id}/preview", post(api_preview))
        .route("/api/v1/reports/{id}/sources", get(api_sources))
        .route("/api/v1/reports/{id}/candidates", get(api_candidates))
        .route(
            "/api/v1/reports/{id}/versions",
            get(api_versions).post(api_add_version),
        )
        .route("/api/v1/reports/{id}/versions/{n}", get(api_version))
        .route("/api/v1/reports/{id}/submit", post(api_submit))
        .route("/api/v1/reports/{id}/accept", post(api_accept))
        .route("/api/v1/reports/{id}/return", post(api_return))
        .route("/api/v1/reports/{id}/export", get(api_export))
}

/// This module's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(api_list, api_create, api_counts, api_get, api_save, api_preview, api_sources, api_candidates,
        api_versions, api_add_version, api_version, api_submit, api_accept, api_return, api_export),
    components(schemas(Report, ReportInput, Body, super::Section, Element, super::AnalysisSpec, super::ProblemsSpec,
        super::SurveyQuotesSpec, super::ActivityQuotesSpec, super::Display, Status, ReportDetail, ReportCounts,
        CountsBody, Figure, FigureKind, Cell, Table, Quote, chart::Chart, chart::Series, Snapshot,
        store::FrozenSection, VersionInfo, Event, VersionBody, NewVersion, SubmitInput, ReturnInput, Preview,
        PreviewInput, SourceSurvey, SourceQuestion, Candidates, TextCandidate, NoteCandidate, Created)),
    tags((name = "reports", description = "Special reports (专题报告): sections with live figures, versions, submission, DOCX/PDF"))
)]
pub struct ApiDoc;

// ---- access ----

/// The report if the caller reads it, else 404.
async fn visible(state: &AppState, caller: &Caller, id: ReportId) -> AppResult<Report> {
    store::get(&state.db, &caller.scope(Need::Read), id)
        .await?
        .ok_or(AppError::NotFound)
}

async fn may_write(state: &AppState, caller: &Caller, r: &Report) -> AppResult<bool> {
    Ok(caller
        .scope(Need::Write)
        .contains(&state.db, r.org_id)
        .await?)
}

async fn may_decide(state: &AppState, caller: &Caller, r: &Report) -> AppResult<bool> {
    Ok(caller
        .scope(Need::Write)
        .contains(&state.db, r.issuer_id)
        .await?)
}

/// The report if the caller may write it: 404 when unseen, 403 when only read.
async fn writable(state: &AppState, caller: &Caller, id: ReportId) -> AppResult<Report> {
    let r = visible(state, caller, id).await?;
    if !may_write(state, caller, &r).await? {
        return Err(AppError::Forbidden);
    }
    Ok(r)
}

fn by(caller: &Caller) -> By<'_> {
    By {
        user: Some(caller.user_id),
        name: &caller.display_name,
        at: now(),
    }
}

/// The version just stored, as made now.
async fn stored(state: &AppState, id: ReportId, n: i64) -> AppResult<(VersionInfo, bool)> {
    let (v, _) = store::version(&state.db, id, n)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((v, true))
}

/// 201 with the body when something was made now, 200 when a retry found it.
fn created_or_ok(created: bool, body: impl Serialize) -> Response {
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    (status, Json(body)).into_response()
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(anyhow::anyhow!("{e}"))
}

/// The live figures of a report as a snapshot, computed with the caller's
/// read scope: a cited source the caller cannot read is "unavailable".
async fn live(state: &AppState, caller: &Caller, r: &Report) -> AppResult<Snapshot> {
    let lang = caller.lang;
    let read = caller.scope(Need::Read);
    let figures = Computer::new(&state.db, r.org_id, r.campaign_id, read, lang)
        .body(&r.body)
        .await
        .map_err(AppError::Internal)?;
    Ok(Snapshot::of(r, figures, lang))
}

// ---- list and create ----

/// Query of the report list.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    #[param(value_type = Option<i64>)]
    pub campaign: Option<String>,
    /// Written in this org's subtree.
    #[param(value_type = Option<i64>)]
    pub org: Option<String>,
    /// draft, submitted, accepted or returned.
    pub status: Option<String>,
}

fn int_param<T: From<i64>>(field: &str, v: &Option<String>) -> AppResult<Option<T>> {
    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s
            .parse::<i64>()
            .map(|n| Some(T::from(n)))
            .map_err(|_| AppError::Validation(vec![FieldError::new(field, "err-number")])),
    }
}

impl ListQuery {
    fn filter(&self) -> AppResult<ListFilter> {
        let status = match self
            .status
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(s) => Some(
                Status::parse(s).ok_or_else(|| AppError::field("status", "report-err-status"))?,
            ),
        };
        Ok(ListFilter {
            campaign: int_param::<i64>("campaign", &self.campaign)?.map(CampaignId),
            under: int_param::<i64>("org", &self.org)?.map(OrgId),
            status,
        })
    }
}

/// The reports the caller reads, most recently changed first.
#[utoipa::path(get, path = "/api/v1/reports", tag = "reports", params(ListQuery),
    responses((status = 200, body = Vec<Report>), (status = 422, body = crate::web::errors::ErrorBody)))]
pub async fn api_list(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<Vec<Report>>> {
    let f = q.filter()?;
    Ok(Json(
        store::list(&state.db, &caller.scope(Need::Read), &f).await?,
    ))
}

/// A report created (or found again by its client id).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Created {
    pub report: Report,
    /// False when a retry found the report made by the first attempt.
    pub created: bool,
}

/// The elements of `new` that `old` does not already hold must cite what
/// the caller may cite: a survey the caller reads (`caller.scope(Need::Read)`;
/// belonging to the report's campaign is not enough); activities the caller
/// reads in the author org's subtree. Any other is refused with a field error
/// naming the element (`sections[i].elements[j]`, `report-err-source`), 422 —
/// a save and a preview alike.
async fn check_sources(
    state: &AppState,
    caller: &Caller,
    org: OrgId,
    old: &Body,
    new: &Body,
) -> AppResult<()> {
    let read = caller.scope(Need::Read);
    let mut errs = Vec::new();
    for (i, s) in new.sections.iter().enumerate() {
        for (j, e) in s.elements.iter().enumerate() {
            if old.elements().any(|o| o == e) {
                continue;
            }
            let ok = match e {
                Element::Analysis(a) => citable(state, &read, a.survey_id).await?,
                Element::SurveyQuotes(q) => citable(state, &read, q.survey_id).await?,
                Element::Problems(p) => p
                    .group
                    .as_deref()
                    .is_none_or(|g| crate::enterprise::WorkerGroup::parse(g).is_some()),
                Element::ActivityQuotes(q) => {
                    let author = Scope::of(vec![org]);
                    let mut all = true;
                    for a in &q.activity_ids {
                        let a = crate::activity::store::get(&state.db, &read, *a).await?;
                        match a {
                            Some(a) if author.contains(&state.db, a.org_id).await? => {}
                            _ => all = false,
                        }
                    }
                    all
                }
            };
            if !ok {
                errs.push(FieldError::new(
                    format!("sections[{i}].elements[{j}]"),
                    "report-err-source",
                ));
            }
        }
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errs))
    }
}

/// Whether the caller (read scope `read`) may cite `survey`: only if they
/// read it themselves.
async fn citable(state: &AppState, read: &Scope, survey: SurveyId) -> AppResult<bool> {
    Ok(crate::survey::store::get(&state.db, read, survey)
        .await?
        .is_some())
}

async fn topic_of(
    tx: &mut crate::db::Tx,
    code: Option<&str>,
) -> AppResult<Option<crate::db::TopicId>> {
    match code {
        None => Ok(None),
        Some(c) => {
            Ok(Some(store::topic_id(tx, c).await?.ok_or_else(|| {
                AppError::field("topic", "report-err-topic")
            })?))
        }
    }
}

async fn create(state: &AppState, caller: &Caller, input: &ReportInput) -> AppResult<Created> {
    let head = input.head()?;
    let client_id = input
        .client_id
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| c.chars().take(64).collect::<String>())
        .unwrap_or_else(|| crate::auth::random_token(12));
    let campaign_id = input
        .campaign_id
        .ok_or_else(|| AppError::field("campaign_id", "err-required"))?;
    let campaign = crate::campaign::store::get(&state.db, &caller.scope(Need::Read), campaign_id)
        .await?
        .ok_or_else(|| AppError::field("campaign_id", "report-err-campaign"))?;
    let org = input.org_id.unwrap_or(caller.home_org);
    if !caller.scope(Need::Write).contains(&state.db, org).await? {
        return Err(
            if caller.scope(Need::Read).contains(&state.db, org).await? {
                AppError::Forbidden
            } else {
                AppError::NotFound
            },
        );
    }
    let body = match &input.sections {
        Some(s) => Body {
            sections: s.clone(),
        }
        .cleaned()?,
        None => Body::default(),
    };
    check_sources(state, caller, org, &Body::default(), &body).await?;
    let mut tx = state.db.begin().await?;
    let topic = topic_of(&mut tx, head.topic.as_deref()).await?;
    let (id, created) = store::insert(
        &mut tx,
        org,
        campaign.id,
        &client_id,
        &head,
        topic,
        &body,
        Some(caller.user_id),
    )
    .await?;
    if created {
        store::event(&mut tx, id, org, "created", None, None, &by(caller)).await?;
        let e = Entry::by(caller, org, Action::ReportCreated)
            .target(format!("report:{id}"))
            .detail(head.title.clone());
        audit::store::record(&mut *tx, &e).await?;
    }
    tx.commit().await?;
    let report = visible(state, caller, id).await?;
    Ok(Created { report, created })
}

/// Creates a report (author org: `org_id` or the caller's home org; a
/// campaign the caller reads; a topic code and/or a worker group). A retry
/// with the same `client_id` answers 200 with the first report.
#[utoipa::path(post, path = "/api/v1/reports", tag = "reports", request_body = ReportInput,
    responses((status = 201, body = Created), (status = 200, description = "a retry", body = Created),
        (status = 403, body = crate::web::errors::ErrorBody), (status = 404, body = crate::web::errors::ErrorBody),
        (status = 422, body = crate::web::errors::ErrorBody)))]
pub async fn api_create(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<ReportInput>,
) -> AppResult<Response> {
    let made = create(&state, &caller, &input).await?;
    Ok(created_or_ok(made.created, made))
}

// ---- one report ----

/// A report with its live figures, versions, timeline and what the caller may do.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ReportDetail {
    pub report: Report,
    /// The report as it reads now: every element's figure computed live.
    pub live: Snapshot,
    pub versions: Vec<VersionInfo>,
    pub timeline: Vec<Event>,
    pub can_edit: bool,
    pub can_decide: bool,
}

async fn detail(state: &AppState, caller: &Caller, id: ReportId) -> AppResult<ReportDetail> {
    let report = visible(state, caller, id).await?;
    let live = live(state, caller, &report).await?;
    let can_edit = may_write(state, caller, &report).await?;
    let can_decide = may_decide(state, caller, &report).await?;
    Ok(ReportDetail {
        versions: store::versions(&state.db, id).await?,
        timeline: store::events(&state.db, id).await?,
        live,
        report,
        can_edit,
        can_decide,
    })
}

/// One report with every element's figure computed now, each with links to
/// its evidence.
#[utoipa::path(get, path = "/api/v1/reports/{id}", tag = "reports", params(("id" = i64, Path)),
    responses((status = 200, body = ReportDetail), (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ReportId>,
) -> AppResult<Json<ReportDetail>> {
    Ok(Json(detail(&state, &caller, id).await?))
}

async fn save(
    state: &AppState,
    caller: &Caller,
    id: ReportId,
    input: &ReportInput,
) -> AppResult<Report> {
    let r = writable(state, caller, id).await?;
    if !r.editable() {
        return Err(AppError::field("status", "report-err-not-editable"));
    }
    let head = input.head()?;
    let body = match &input.sections {
        Some(s) => Body {
            sections: s.clone(),
        }
        .cleaned()?,
        None => r.body.clone(),
    };
    check_sources(state, caller, r.org_id, &r.body, &body).await?;
    let mut tx = state.db.begin().await?;
    let topic = topic_of(&mut tx, head.topic.as_deref()).await?;
    if !store::save(&mut tx, id, &head, topic, &body, caller.user_id).await? {
        return Err(AppError::field("status", "report-err-not-editable"));
    }
    store::event(&mut tx, id, r.org_id, "saved", None, None, &by(caller)).await?;
    let e = Entry::by(caller, r.org_id, Action::ReportSaved).target(format!("report:{id}"));
    audit::store::record(&mut *tx, &e).await?;
    tx.commit().await?;
    visible(state, caller, id).await
}

/// Replaces the title, topic, worker group and sections (all of them, in
/// order) of a draft or returned report.
#[utoipa::path(put, path = "/api/v1/reports/{id}", tag = "reports", params(("id" = i64, Path)),
    request_body = ReportInput,
    responses((status = 200, body = Report), (status = 403, body = crate::web::errors::ErrorBody),
        (status = 404, body = crate::web::errors::ErrorBody), (status = 422, body = crate::web::errors::ErrorBody)))]
pub async fn api_save(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ReportId>,
    Json(input): Json<ReportInput>,
) -> AppResult<Json<Report>> {
    Ok(Json(save(&state, &caller, id, &input).await?))
}

/// One element to preview.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct PreviewInput {
    pub element: Element,
}

/// An element's figure and its HTML as the report page shows it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = ElementPreview)]
pub struct Preview {
    pub figure: Figure,
    pub html: String,
}

/// Computes one element (not saved) as the report would show it, with the
/// caller's read scope. An element citing a survey or activity the caller
/// cannot read is refused: 422 with a field error naming the element.
#[utoipa::path(post, path = "/api/v1/reports/{id}/preview", tag = "reports", params(("id" = i64, Path)),
    request_body = PreviewInput,
    responses((status = 200, body = Preview), (status = 403, body = crate::web::errors::ErrorBody),
        (status = 404, body = crate::web::errors::ErrorBody), (status = 422, body = crate::web::errors::ErrorBody)))]
pub async fn api_preview(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ReportId>,
    Json(input): Json<PreviewInput>,
) -> AppResult<Json<Preview>> {
    let r = writable(&state, &caller, id).await?;
    let body = Body {
        sections: vec![super::Section {
            elements: vec![input.element.clone()],
            ..Default::default()
        }],
    };
    body.cleaned()?;
    check_sources(&state, &caller, r.org_id, &Body::default(), &body).await?;
    let read = caller.scope(Need::Read);
    let figure = Computer::new(&state.db, r.org_id, r.campaign_id, read, caller.lang)
        .element(&input.element)
        .await
        .map_err(AppError::Internal)?;
    let c = Chrome::for_caller(&caller, "");
    let html = figure_html(&c, &figure, 0)?;
    Ok(Json(Preview { figure, html }))
}

/// A question the editor offers.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SourceQuestion {
    pub name: String,
    pub label: String,
    /// single, multiple, number, date or text.
    pub kind: String,
}

/// A survey the editor offers, with its questions.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SourceSurvey {
    #[schema(value_type = i64)]
    pub id: SurveyId,
    pub title: String,
    pub questions: Vec<SourceQuestion>,
    /// The regions answered (for the region filter).
    pub regions: Vec<(String, String)>,
}

fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Single => "single",
        Kind::Multiple => "multiple",
        Kind::Number => "number",
        Kind::Date => "date",
        Kind::Text => "text",
    }
}

/// The surveys the caller may cite in this report (those the caller reads),
/// with their questions.
#[utoipa::path(get, path = "/api/v1/reports/{id}/sources", tag = "reports", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<SourceSurvey>), (status = 403, body = crate::web::errors::ErrorBody),
        (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_sources(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ReportId>,
) -> AppResult<Json<Vec<SourceSurvey>>> {
    let r = writable(&state, &caller, id).await?;
    let read = caller.scope(Need::Read);
    let mut list = crate::survey::store::list(&state.db, &read, 200).await?;
    // Also the surveys the report already cites, when the caller reads them.
    for e in r.body.elements() {
        let sid = match e {
            Element::Analysis(a) => a.survey_id,
            Element::SurveyQuotes(q) => q.survey_id,
            _ => continue,
        };
        if !list.iter().any(|s| s.id == sid)
            && let Some(s) = crate::survey::store::get(&state.db, &read, sid).await?
        {
            list.push(s);
        }
    }
    let lang = caller.lang;
    let mut out = Vec::new();
    for s in list {
        let forms = analysis::store::forms(&state.db, s.id)
            .await
            .map_err(AppError::Internal)?;
        if forms.is_empty() {
            continue;
        }
        let book = analysis::store::codebook(&forms);
        let questions = book
            .entries
            .iter()
            .map(|e| SourceQuestion {
                name: e.name.clone(),
                label: e.label.get(lang.code()).unwrap_or(&e.name).to_string(),
                kind: kind_name(e.kind).to_string(),
            })
            .collect();
        let regions = book
            .find(&s.region_question)
            .map(|i| {
                book.entries[i]
                    .choices
                    .iter()
                    .map(|(n, l)| (n.clone(), l.get(lang.code()).unwrap_or(n).to_string()))
                    .collect()
            })
            .unwrap_or_default();
        out.push(SourceSurvey {
            id: s.id,
            title: s.title,
            questions,
            regions,
        });
    }
    Ok(Json(out))
}

/// What to look for to quote.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct CandidateQuery {
    /// `survey` (free-text answers of `survey` to `question`) or `activities` (notes).
    pub source: Option<String>,
    #[param(value_type = Option<i64>)]
    pub survey: Option<String>,
    pub question: Option<String>,
    /// Only those containing this text.
    pub q: Option<String>,
    /// Survey answers: only this worker group.
    pub group: Option<String>,
}

/// A free-text answer that may be quoted.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TextCandidate {
    #[schema(value_type = i64)]
    pub response_id: ResponseId,
    pub text: String,
    pub source: String,
}

/// Answers or notes to pick quotes from.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Candidates {
    pub answers: Vec<TextCandidate>,
    pub notes: Vec<NoteCandidate>,
}

/// Answers to search among (the newest valid ones).
const CANDIDATE_SCAN: i64 = 2_000;
/// Candidates returned.
const CANDIDATES: usize = 50;

/// Free-text answers of a survey's question, or activity notes of the
/// report's campaign in the author org's subtree, containing `q` — only what
/// the caller reads: a survey outside the caller's read scope is 404.
#[utoipa::path(get, path = "/api/v1/reports/{id}/candidates", tag = "reports",
    params(("id" = i64, Path), CandidateQuery),
    responses((status = 200, body = Candidates), (status = 403, body = crate::web::errors::ErrorBody),
        (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_candidates(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ReportId>,
    Query(q): Query<CandidateQuery>,
) -> AppResult<Json<Candidates>> {
    let r = writable(&state, &caller, id).await?;
    let text = q.q.clone().unwrap_or_default();
    let text = text.trim();
    if q.source.as_deref() == Some("activities") {
        let read = caller.scope(Need::Read);
        let notes = store::note_candidates(
            &state.db,
            &read,
            r.org_id,
            r.campaign_id,
            text,
            CANDIDATES as i64,
        )
        .await?;
        return Ok(Json(Candidates {
            answers: Vec::new(),
            notes,
        }));
    }
    let sid = int_param::<i64>("survey", &q.survey)?
        .map(SurveyId)
        .ok_or_else(|| AppError::field("survey", "err-required"))?;
    if !citable(&state, &caller.scope(Need::Read), sid).await? {
        return Err(AppError::NotFound);
    }
    let question = q.question.clone().unwrap_or_default();
    let filter = Filter {
        group: q
            .group
            .as_deref()
            .map(str::trim)
            .filter(|g| !g.is_empty())
            .and_then(crate::survey::group_value),
        ..Default::default()
    };
    let rows =
        analysis::store::texts(&state.db, sid, &question, &filter, 0, CANDIDATE_SCAN).await?;
    let lang = caller.lang;
    // Searched as shown (masked), so a search cannot probe a hidden digit.
    let answers = rows
        .into_iter()
        .map(|mut a| {
            if let std::borrow::Cow::Owned(t) = crate::privacy::mask(&a.text) {
                a.text = t;
            }
            a
        })
        .filter(|a| text.is_empty() || a.text.contains(text))
        .take(CANDIDATES)
        .map(|a| {
            let mut who = Vec::new();
            if let Some(g) = a.worker_group.as_deref().filter(|g| !g.is_empty()) {
                who.push(analysis::group_label(g, lang));
            }
            if let Some(reg) = a.region.as_deref().filter(|g| !g.is_empty()) {
                who.push(reg.to_string());
            }
            who.push(crate::date::Day::of_timestamp(a.submitted_at).iso());
            TextCandidate {
                response_id: a.response_id,
                // What a report quotes is masked (`Figure::mask_personal`), so its candidates are too.
                text: a.text,
                source: who.join(" · "),
            }
        })
        .collect();
    Ok(Json(Candidates {
        answers,
        notes: Vec::new(),
    }))
}

// ---- versions ----

/// A version's name.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct NewVersion {
    /// What the author calls it (default: 第 n 版).
    #[serde(default)]
    pub name: Option<String>,
    /// The version the author was looking at (default: the current one); a
    /// retry that finds its version already stored answers 200.
    #[serde(default)]
    pub seen: Option<i64>,
}

/// A stored version with its frozen content and figures.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct VersionBody {
    pub version: VersionInfo,
    pub snapshot: Snapshot,
}

/// The versions of a report, newest first.
#[utoipa::path(get, path = "/api/v1/reports/{id}/versions", tag = "reports", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<VersionInfo>), (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_versions(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ReportId>,
) -> AppResult<Json<Vec<VersionInfo>>> {
    visible(&state, &caller, id).await?;
    Ok(Json(store::versions(&state.db, id).await?))
}

async fn add_version(
    state: &AppState,
    caller: &Caller,
    id: ReportId,
    input: &NewVersion,
) -> AppResult<(VersionInfo, bool)> {
    let r = writable(state, caller, id).await?;
    let seen = input.seen.unwrap_or(r.version);
    if seen != r.version {
        // A retry of a save that went through: its version is the next one.
        if seen + 1 == r.version
            && let Some((v, _)) = store::version(&state.db, id, r.version).await?
            && v.kind == "named"
        {
            return Ok((v, false));
        }
        return Err(AppError::field("seen", "report-err-stale"));
    }
    let name = input
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| n.chars().take(100).collect::<String>())
        .unwrap_or_else(|| {
            caller
                .lang
                .ta("report-version-n", &[("n", (seen + 1).to_string())])
        });
    let snap = live(state, caller, &r).await?;
    let b = by(caller);
    let mut tx = state.db.begin().await?;
    let Some(n) = store::add_version(&mut tx, &r, seen, &name, "named", &snap, &b, false).await?
    else {
        return Err(AppError::field("seen", "report-err-stale"));
    };
    store::event(&mut tx, id, r.org_id, "version", Some(n), Some(&name), &b).await?;
    let e = Entry::by(caller, r.org_id, Action::ReportVersionSaved)
        .target(format!("report:{id}"))
        .detail(format!("v{n} {name}"));
    audit::store::record(&mut *tx, &e).await?;
    tx.commit().await?;
    stored(state, id, n).await
}

/// Freezes the report as it reads now — content and every element's
/// figures — as a named version.
#[utoipa::path(post, path = "/api/v1/reports/{id}/versions", tag = "reports", params(("id" = i64, Path)),
    request_body = NewVersion,
    responses((status = 201, body = VersionInfo), (status = 200, description = "a retry", body = VersionInfo),
        (status = 403, body = crate::web::errors::ErrorBody), (status = 404, body = crate::web::errors::ErrorBody),
        (status = 422, body = crate::web::errors::ErrorBody)))]
pub async fn api_add_version(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ReportId>,
    Json(input): Json<NewVersion>,
) -> AppResult<Response> {
    let (v, created) = add_version(&state, &caller, id, &input).await?;
    Ok(created_or_ok(created, v))
}

/// One version with its frozen content and figures.
#[utoipa::path(get, path = "/api/v1/reports/{id}/versions/{n}", tag = "reports",
    params(("id" = i64, Path), ("n" = i64, Path)),
    responses((status = 200, body = VersionBody), (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_version(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, n)): Path<(ReportId, i64)>,
) -> AppResult<Json<VersionBody>> {
    visible(&state, &caller, id).await?;
    let (version, snapshot) = store::version(&state.db, id, n)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(VersionBody { version, snapshot }))
}

// ---- submission ----

/// The version the author was looking at.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = ReportSubmitInput)]
pub struct SubmitInput {
    /// Default: the current one. A retry after a submission went through
    /// answers 200 with that submission.
    #[serde(default)]
    pub seen: Option<i64>,
}

async fn submit(
    state: &AppState,
    caller: &Caller,
    id: ReportId,
    input: &SubmitInput,
) -> AppResult<(VersionInfo, bool)> {
    let r = writable(state, caller, id).await?;
    let seen = input.seen.unwrap_or(r.version);
    if matches!(r.status, Status::Submitted | Status::Accepted)
        && (input.seen.is_none() || seen + 1 == r.version)
    {
        // A retry: answer with the submission that went through.
        if let Some((v, _)) = store::version(&state.db, id, r.version).await?
            && v.kind == "submitted"
        {
            return Ok((v, false));
        }
    }
    workflow::transition(r.status, &Move::Submit)?;
    if seen != r.version {
        return Err(AppError::field("seen", "report-err-stale"));
    }
    let snap = live(state, caller, &r).await?;
    let b = by(caller);
    let late = workflow::is_late(b.at, r.report_due_on.end_timestamp());
    let name = caller.lang.t("report-submitted-version");
    let mut tx = state.db.begin().await?;
    let Some(n) =
        store::add_version(&mut tx, &r, seen, &name, "submitted", &snap, &b, late).await?
    else {
        return Err(AppError::field("seen", "report-err-stale"));
    };
    if !store::set_status(
        &mut tx,
        id,
        &[Status::Draft, Status::Returned],
        Status::Submitted,
        b.at,
        Some(late),
    )
    .await?
    {
        return Err(AppError::field("status", "err-summary-transition"));
    }
    store::event(&mut tx, id, r.org_id, "submitted", Some(n), None, &b).await?;
    let e = Entry::by(caller, r.org_id, Action::ReportSubmitted)
        .target(format!("report:{id}"))
        .detail(format!("v{n}{}", if late { " late" } else { "" }));
    audit::store::record(&mut *tx, &e).await?;
    tx.commit().await?;
    stored(state, id, n).await
}

/// Submits the report to the campaign's issuing org: freezes it as a
/// version (content and figures), on time or late against the campaign's
/// report deadline (24:00 Beijing time).
#[utoipa::path(post, path = "/api/v1/reports/{id}/submit", tag = "reports", params(("id" = i64, Path)),
    request_body = SubmitInput,
    responses((status = 201, body = VersionInfo), (status = 200, description = "a retry", body = VersionInfo),
        (status = 403, body = crate::web::errors::ErrorBody), (status = 404, body = crate::web::errors::ErrorBody),
        (status = 422, body = crate::web::errors::ErrorBody)))]
pub async fn api_submit(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ReportId>,
    Json(input): Json<SubmitInput>,
) -> AppResult<Response> {
    let (v, created) = submit(&state, &caller, id, &input).await?;
    Ok(created_or_ok(created, v))
}

/// Why a report is returned.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = ReportReturnInput)]
pub struct ReturnInput {
    #[serde(default)]
    pub reason: String,
}

async fn decide(
    state: &AppState,
    caller: &Caller,
    id: ReportId,
    reason: Option<&str>,
) -> AppResult<Report> {
    let r = visible(state, caller, id).await?;
    if !may_decide(state, caller, &r).await? {
        return Err(AppError::Forbidden);
    }
    let (action, to, kind, audit_action) = match reason {
        None => (
            Move::Accept,
            Status::Accepted,
            "accepted",
            Action::ReportAccepted,
        ),
        Some(text) => (
            Move::Return(ReturnReasons {
                reason: text.trim().to_string(),
                lines: Vec::new(),
            }),
            Status::Returned,
            "returned",
            Action::ReportReturned,
        ),
    };
    workflow::transition(r.status, &action)?;
    let b = by(caller);
    let mut tx = state.db.begin().await?;
    if !store::set_status(&mut tx, id, &[Status::Submitted], to, b.at, None).await? {
        return Err(AppError::field("status", "err-summary-transition"));
    }
    let reason = reason.map(str::trim);
    store::event(&mut tx, id, r.org_id, kind, Some(r.version), reason, &b).await?;
    let mut e = Entry::by(caller, r.org_id, audit_action).target(format!("report:{id}"));
    if let Some(x) = reason {
        e = e.detail(x.to_string());
    }
    audit::store::record(&mut *tx, &e).await?;
    tx.commit().await?;
    visible(state, caller, id).await
}

/// The issuing org accepts the submitted report.
#[utoipa::path(post, path = "/api/v1/reports/{id}/accept", tag = "reports", params(("id" = i64, Path)),
    responses((status = 200, body = Report), (status = 403, body = crate::web::errors::ErrorBody),
        (status = 404, body = crate::web::errors::ErrorBody), (status = 422, body = crate::web::errors::ErrorBody)))]
pub async fn api_accept(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ReportId>,
) -> AppResult<Json<Report>> {
    Ok(Json(decide(&state, &caller, id, None).await?))
}

/// The issuing org returns the submitted report with a reason; the author
/// may edit it again and resubmit.
#[utoipa::path(post, path = "/api/v1/reports/{id}/return", tag = "reports", params(("id" = i64, Path)),
    request_body = ReturnInput,
    responses((status = 200, body = Report), (status = 403, body = crate::web::errors::ErrorBody),
        (status = 404, body = crate::web::errors::ErrorBody), (status = 422, body = crate::web::errors::ErrorBody)))]
pub async fn api_return(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ReportId>,
    Json(input): Json<ReturnInput>,
) -> AppResult<Json<Report>> {
    Ok(Json(
        decide(&state, &caller, id, Some(&input.reason)).await?,
    ))
}

// ---- figures for dashboards ----

/// Query of the counts.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct CountsQuery {
    #[param(value_type = Option<i64>)]
    pub campaign: Option<String>,
    /// Written in this org's subtree.
    #[param(value_type = Option<i64>)]
    pub org: Option<String>,
}

/// Reports by status and by month of first submission.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CountsBody {
    pub counts: ReportCounts,
    /// (`YYYY-MM`, reports first submitted that month), Beijing time.
    pub monthly: Vec<(String, i64)>,
}

/// How many reports the caller reads are in each status, how many were
/// submitted on time or late, and first submissions per month.
#[utoipa::path(get, path = "/api/v1/reports/counts", tag = "reports", params(CountsQuery),
    responses((status = 200, body = CountsBody)))]
pub async fn api_counts(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<CountsQuery>,
) -> AppResult<Json<CountsBody>> {
    let scope = caller.scope(Need::Read);
    let campaign = int_param::<i64>("campaign", &q.campaign)?.map(CampaignId);
    let under = int_param::<i64>("org", &q.org)?.map(OrgId);
    Ok(Json(CountsBody {
        counts: store::counts(&state.db, &scope, campaign, under).await?,
        monthly: store::monthly(&state.db, &scope, campaign, under).await?,
    }))
}

// ---- exports ----

/// Which file, and of which version.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct ExportQuery {
    /// `docx` (default) or `pdf`.
    pub format: Option<String>,
    /// A version's number; default: the report as it reads now.
    #[param(value_type = Option<i64>)]
    pub version: Option<String>,
}

const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

async fn export_file(
    state: &AppState,
    caller: &Caller,
    id: ReportId,
    format: &str,
    version: Option<i64>,
) -> AppResult<Response> {
    let r = visible(state, caller, id).await?;
    let lang = caller.lang;
    let (snap, frozen) = match version {
        Some(n) => {
            let (v, s) = store::version(&state.db, id, n)
                .await?
                .ok_or(AppError::NotFound)?;
            let label = lang.ta(
                "report-frozen-label",
                &[("n", v.number.to_string()), ("name", v.name.clone())],
            );
            (s, Some(label))
        }
        None => (live(state, caller, &r).await?, None),
    };
    let (ext, mime) = match format {
        "docx" => ("docx", DOCX),
        "pdf" => ("pdf", "application/pdf"),
        _ => return Err(AppError::field("format", "report-err-format")),
    };
    let settings = state.settings.clone();
    let base = settings.server.public_url.clone();
    let body = tokio::task::spawn_blocking(move || {
        let fonts = crate::pdf::PdfFonts::load(&settings)?;
        if ext == "pdf" {
            export::pdf(&snap, &fonts, lang, &base, frozen.as_deref())
        } else {
            export::docx(&snap, &fonts, lang, &base, frozen.as_deref())
        }
    })
    .await
    .map_err(internal)?
    .map_err(internal)?;
    let name = match version {
        Some(n) => format!("report-{id}-v{n}.{ext}"),
        None => format!("report-{id}-{}.{ext}", crate::web::download::stamp()),
    };
    let e = Entry::by(caller, r.org_id, Action::Export)
        .target(format!("report:{id}"))
        .detail(name.clone());
    audit::store::record(state.db.pool(), &e).await?;
    Ok(crate::web::download::attachment(body, &name, mime))
}

/// The report as DOCX or A4 PDF (charts drawn on the server, the Chinese
/// font embedded), as it reads now or as a stored version. Audited.
#[utoipa::path(get, path = "/api/v1/reports/{id}/export", tag = "reports",
    params(("id" = i64, Path), ExportQuery),
    responses((status = 200, description = "the .docx or .pdf file"), (status = 404, body = crate::web::errors::ErrorBody),
        (status = 422, body = crate::web::errors::ErrorBody)))]
pub async fn api_export(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ReportId>,
    Query(q): Query<ExportQuery>,
) -> AppResult<Response> {
    let version = int_param::<i64>("version", &q.version)?;
    export_file(
        &state,
        &caller,
        id,
        q.format.as_deref().unwrap_or("docx"),
        version,
    )
    .await
}

async fn docx_download(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ReportId>,
    Query(q): Query<ExportQuery>,
) -> AppResult<Response> {
    let version = int_param::<i64>("version", &q.version)?;
    export_file(&state, &caller, id, "docx", version).await
}

async fn pdf_download(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ReportId>,
    Query(q): Query<ExportQuery>,
) -> AppResult<Response> {
    let version = int_param::<i64>("version", &q.version)?;
    export_file(&state, &caller, id, "pdf", version).await
}

// ---- pages ----

#[derive(Template)]
#[template(path = "report/_figure.html")]
struct FigureHtml<'a> {
    c: &'a Chrome,
    f: &'a Figure,
    n: usize,
    svg: String,
}

impl FigureHtml<'_> {
    fn kind(&self) -> &'static str {
        match self.f.kind {
            FigureKind::Chart => "chart",
            FigureKind::Table => "table",
            FigureKind::Problems => "problems",
            FigureKind::Quotes => "quotes",
            FigureKind::Unavailable => "unavailable",
        }
    }
}

/// A figure as the pages show it: the chart (SVG drawn on the server), the
/// table with each counted cell linking to its records, quotes linking to
/// their response or activity, and the link to the whole evidence.
fn figure_html(c: &Chrome, f: &Figure, n: usize) -> AppResult<String> {
    let svg = f
        .chart
        .as_ref()
        .map(|ch| chart::svg(ch, &f.title))
        .unwrap_or_default();
    Ok(FigureHtml { c, f, n, svg }.render()?)
}

/// A section as a page shows it.
struct SectionView {
    heading: String,
    paragraphs: Vec<String>,
    figures: Vec<String>,
}

fn sections_view(c: &Chrome, s: &Snapshot) -> AppResult<Vec<SectionView>> {
    let mut n = 0;
    let mut out = Vec::new();
    for sec in &s.sections {
        let mut figures = Vec::new();
        for f in &sec.figures {
            n += 1;
            figures.push(figure_html(c, f, n)?);
        }
        out.push(SectionView {
            heading: sec.heading.clone(),
            paragraphs: sec
                .text
                .split('\n')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(String::from)
                .collect(),
            figures,
        });
    }
    Ok(out)
}

#[derive(Template)]
#[template(path = "report/list.html")]
struct ListPage {
    c: Chrome,
    reports: Vec<Report>,
    campaigns: Vec<crate::campaign::Campaign>,
    topics: Vec<crate::problem::Topic>,
    orgs: Vec<(OrgId, String)>,
    campaign: Option<CampaignId>,
    errors: Vec<(String, String)>,
    client_id: String,
}

impl ListPage {
    fn is_current(&self, k: &crate::campaign::Campaign) -> bool {
        self.campaign == Some(k.id)
    }

    fn status_label(&self, s: &Status) -> String {
        self.c.t(&format!("report-status-{}", s.as_str()))
    }

    fn subject(&self, r: &Report) -> String {
        r.subject(self.c.lang)
    }
}

async fn list_model(
    state: &AppState,
    caller: &Caller,
    campaign: Option<CampaignId>,
    errors: Vec<(String, String)>,
) -> AppResult<ListPage> {
    let read = caller.scope(Need::Read);
    let reports = store::list(
        &state.db,
        &read,
        &ListFilter {
            campaign,
            ..Default::default()
        },
    )
    .await?;
    let campaigns = crate::campaign::store::list(&state.db, &read, None, 200).await?;
    let topics = crate::problem::store::topics(&state.db).await?;
    let write = caller.scope(Need::Write);
    let mut orgs = Vec::new();
    if !write.is_empty() {
        let sql = format!(
            "SELECT id, name FROM orgs WHERE {} ORDER BY CASE WHEN id = $1 THEN 0 ELSE 1 END, id LIMIT 500",
            write.sql("id")
        );
        orgs = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(caller.home_org)
            .fetch_all(state.db.pool())
            .await?;
    }
    Ok(ListPage {
        c: Chrome::for_caller(caller, "/reports"),
        reports,
        campaigns,
        topics,
        orgs,
        campaign,
        errors,
        client_id: crate::auth::random_token(12),
    })
}

#[derive(Clone, Debug, Default, Deserialize)]
struct ListPageQuery {
    campaign: Option<String>,
}

async fn list_page(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ListPageQuery>,
) -> AppResult<Response> {
    let campaign = int_param::<i64>("campaign", &q.campaign)?.map(CampaignId);
    render(list_model(&state, &caller, campaign, Vec::new()).await?)
}

#[derive(Clone, Debug, Default, Deserialize)]
struct CreateForm {
    client_id: Option<String>,
    campaign_id: Option<String>,
    org_id: Option<String>,
    title: Option<String>,
    topic: Option<String>,
    worker_group: Option<String>,
}

async fn create_page(
    State(state): State<AppState>,
    caller: Caller,
    Form(f): Form<CreateForm>,
) -> AppResult<Response> {
    let input = ReportInput {
        client_id: f.client_id.clone(),
        campaign_id: int_param::<i64>("campaign_id", &f.campaign_id)?.map(CampaignId),
        org_id: int_param::<i64>("org_id", &f.org_id)?.map(OrgId),
        title: f.title.clone(),
        topic: f.topic.clone(),
        worker_group: f.worker_group.clone(),
        sections: Some(vec![super::Section::default()]),
    };
    match create(&state, &caller, &input).await {
        Ok(made) => Ok(Redirect::to(&format!("/reports/{}/edit", made.report.id)).into_response()),
        Err(e) => {
            let Some(errors) = crate::web::form::errors_of(&e, &caller) else {
                return Err(e);
            };
            let page = list_model(&state, &caller, input.campaign_id, errors).await?;
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                axum::response::Html(page.render()?),
            )
                .into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "report/view.html")]
struct ViewPage {
    c: Chrome,
    d: ReportDetail,
    sections: Vec<SectionView>,
    errors: Vec<(String, String)>,
    late_now: bool,
}

impl ViewPage {
    fn status_label(&self) -> String {
        self.c
            .t(&format!("report-status-{}", self.d.report.status.as_str()))
    }

    fn event_label(&self, e: &Event) -> String {
        self.c.t(&format!("report-event-{}", e.kind))
    }

    fn subject(&self) -> String {
        self.d.report.subject(self.c.lang)
    }

    fn submitted(&self) -> bool {
        self.d.report.status == Status::Submitted
    }
}

async fn view_model(
    state: &AppState,
    caller: &Caller,
    id: ReportId,
    errors: Vec<(String, String)>,
) -> AppResult<ViewPage> {
    let d = detail(state, caller, id).await?;
    let c = Chrome::for_caller(caller, &format!("/reports/{id}"));
    let sections = sections_view(&c, &d.live)?;
    let late_now = now() > d.report.report_due_on.end_timestamp();
    Ok(ViewPage {
        c,
        d,
        sections,
        errors,
        late_now,
    })
}

async fn view_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ReportId>,
) -> AppResult<Response> {
    render(view_model(&state, &caller, id, Vec::new()).await?)
}

/// A page form's outcome: back to the report, or the report with the errors.
async fn after(
    state: &AppState,
    caller: &Caller,
    id: ReportId,
    result: AppResult<()>,
) -> AppResult<Response> {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/reports/{id}")).into_response()),
        Err(e) => {
            let Some(errors) = crate::web::form::errors_of(&e, caller) else {
                return Err(e);
            };
            let page = view_model(state, caller, id, errors).await?;
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                axum::response::Html(page.render()?),
            )
                .into_response())
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
struct PageForm {
    name: Option<String>,
    seen: Option<String>,
    reason: Option<String>,
}

async fn version_page_post(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ReportId>,
    Form(f): Form<PageForm>,
) -> AppResult<Response> {
    let input = NewVersion {
        name: f.name,
        seen: int_param::<i64>("seen", &f.seen)?,
    };
    let r = add_version(&state, &caller, id, &input).await.map(|_| ());
    after(&state, &caller, id, r).await
}

async fn submit_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ReportId>,
    Form(f): Form<PageForm>,
) -> AppResult<Response> {
    let input = SubmitInput {
        seen: int_param::<i64>("seen", &f.seen)?,
    };
    let r = submit(&state, &caller, id, &input).await.map(|_| ());
    after(&state, &caller, id, r).await
}

async fn accept_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ReportId>,
) -> AppResult<Response> {
    let r = decide(&state, &caller, id, None).await.map(|_| ());
    after(&state, &caller, id, r).await
}

async fn return_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ReportId>,
    Form(f): Form<PageForm>,
) -> AppResult<Response> {
    let reason = f.reason.unwrap_or_default();
    let r = decide(&state, &caller, id, Some(&reason)).await.map(|_| ());
    after(&state, &caller, id, r).await
}

#[derive(Template)]
#[template(path = "report/version.html")]
struct VersionPage {
    c: Chrome,
    report: Report,
    v: VersionInfo,
    snap: Snapshot,
    sections: Vec<SectionView>,
}

async fn version_page(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, n)): Path<(ReportId, i64)>,
) -> AppResult<Response> {
    let report = visible(&state, &caller, id).await?;
    let (v, snap) = store::version(&state.db, id, n)
        .await?
        .ok_or(AppError::NotFound)?;
    let c = Chrome::for_caller(&caller, &format!("/reports/{id}/versions/{n}"));
    let sections = sections_view(&c, &snap)?;
    render(VersionPage {
        c,
        report,
        v,
        snap,
        sections,
    })
}

#[derive(Template)]
#[template(path = "report/edit.html")]
struct EditPage {
    c: Chrome,
    report: Report,
    /// The editor's configuration and the report's content, as JSON.
    config: String,
}

/// Messages the editor's script shows, in the caller's language.
const EDITOR_MESSAGES: &[&str] = &[
    "report-field-title",
    "report-section",
    "report-heading",
    "report-text",
    "report-add-section",
    "report-add-element",
    "report-remove",
    "report-up",
    "report-down",
    "report-preview",
    "report-save",
    "report-saved",
    "report-unsaved",
    "report-save-failed",
    "report-kind-analysis",
    "report-kind-problems",
    "report-kind-survey_quotes",
    "report-kind-activity_quotes",
    "report-survey",
    "report-question",
    "report-display-chart",
    "report-display-table",
    "report-by",
    "report-by-none",
    "report-valid-only",
    "report-all-responses",
    "report-group",
    "report-any",
    "report-region",
    "report-topic",
    "report-search",
    "report-pick",
    "report-picked",
    "report-add",
    "report-cancel",
    "report-no-candidates",
    "field-worker_group",
    "field-region",
];

async fn edit_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ReportId>,
) -> AppResult<Response> {
    let report = writable(&state, &caller, id).await?;
    let lang = caller.lang;
    let topics: Vec<(String, String)> = crate::problem::store::topics(&state.db)
        .await?
        .into_iter()
        .map(|t| (t.code.clone(), t.name(lang).to_string()))
        .collect();
    let groups: Vec<(String, String)> = crate::enterprise::WorkerGroup::ALL
        .iter()
        .map(|g| (g.as_str().to_string(), lang.t(&g.label_key())))
        .collect();
    let messages: serde_json::Map<String, serde_json::Value> = EDITOR_MESSAGES
        .iter()
        // Messages with a count get `{n}` in its place, filled in by the script.
        .map(|k| {
            let text = lang.ta(k, &[("n", "{n}".to_string())]);
            (k.to_string(), serde_json::Value::String(text))
        })
        .collect();
    let config = serde_json::json!({
        "report": {
            "id": report.id,
            "title": report.title,
            "topic": report.topic_code,
            "worker_group": report.worker_group.map(|g| g.as_str()),
            "sections": report.body.sections,
        },
        "editable": report.editable(),
        "urls": {
            "save": format!("/api/v1/reports/{id}"),
            "preview": format!("/api/v1/reports/{id}/preview"),
            "sources": format!("/api/v1/reports/{id}/sources"),
            "candidates": format!("/api/v1/reports/{id}/candidates"),
            "view": format!("/reports/{id}"),
        },
        "topics": topics,
        "groups": groups,
        "t": messages,
    });
    // `</` cannot end the script element the JSON sits in.
    let config = serde_json::to_string(&config)
        .map_err(internal)?
        .replace("</", "<\\/");
    render(EditPage {
        c: Chrome::for_caller(&caller, &format!("/reports/{id}/edit")),
        report,
        config,
    })
}
