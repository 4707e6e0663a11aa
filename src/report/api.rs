//! The report API under `/api/v1/reports` (the DOCX and PDF downloads
//! included) and the domain's router: each API route is declared once, by
//! its handler's `#[utoipa::path]`.

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::Serialize;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    Body, CandidateQuery, Candidates, CountsBody, CountsQuery, Created, ExportQuery, FileFormat,
    ListQuery, Month, NewVersion, Preview, PreviewInput, Report, ReportDetail, ReportInput,
    ReturnInput, SourceSurvey, SubmitInput, VersionBody, VersionQuery,
    compute::Computer,
    int_param, ops, pages,
    store::{self, VersionInfo},
};
use crate::{
    auth::{Caller, Need},
    db::{CampaignId, OrgId, ReportId},
    error::{AppError, AppResult},
    web::{AppState, Json, Path, Query, download, errors::ErrorBody, openapi, page::Chrome},
};

/// Every route of reports, pages and API: one `routes!` per API path (its
/// methods together), then the pages, which stay out of the document.
pub fn router() -> OpenApiRouter<AppState> {
    openapi::domain(
        "reports",
        "Special reports (专题报告): sections with live figures, versions, submission, DOCX/PDF",
    )
    .routes(routes!(api_list, api_create))
    .routes(routes!(api_counts))
    .routes(routes!(api_get, api_save))
    .routes(routes!(api_preview))
    .routes(routes!(api_sources))
    .routes(routes!(api_candidates))
    .routes(routes!(api_versions, api_add_version))
    .routes(routes!(api_version))
    .routes(routes!(api_submit))
    .routes(routes!(api_accept))
    .routes(routes!(api_return))
    .routes(routes!(api_export))
    .routes(routes!(api_docx))
    .routes(routes!(api_pdf))
    .route("/reports", get(pages::list_page).post(pages::create_page))
    .route("/reports/{id}", get(pages::view_page))
    .route("/reports/{id}/edit", get(pages::edit_page))
    .route("/reports/{id}/versions", post(pages::version_page_post))
    .route("/reports/{id}/versions/{n}", get(pages::version_page))
    .route("/reports/{id}/submit", post(pages::submit_page))
    .route("/reports/{id}/accept", post(pages::accept_page))
    .route("/reports/{id}/return", post(pages::return_page))
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

/// The reports the caller reads, most recently changed first.
#[utoipa::path(get, path = "/api/v1/reports", tag = "reports", params(ListQuery),
    responses((status = 200, body = Vec<Report>), (status = 422, body = ErrorBody)))]
async fn api_list(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<Vec<Report>>> {
    let f = q.filter()?;
    Ok(Json(
        store::list(&state.db, &caller.scope(Need::Read), &f).await?,
    ))
}

/// Creates a report (author org: `org_id` or the caller's home org; a
/// campaign the caller reads; a topic code and/or a worker group). A retry
/// with the same `client_id` answers 200 with the first report.
#[utoipa::path(post, path = "/api/v1/reports", tag = "reports", request_body = ReportInput,
    responses((status = 201, body = Created), (status = 200, description = "a retry", body = Created),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn api_create(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<ReportInput>,
) -> AppResult<Response> {
    let made = ops::create(&state.db, &caller, &input).await?;
    Ok(created_or_ok(made.created, made))
}

/// One report with every element's figure computed now, each with links to
/// its evidence.
#[utoipa::path(get, path = "/api/v1/reports/{id}", tag = "reports", params(("id" = i64, Path)),
    responses((status = 200, body = ReportDetail), (status = 404, body = ErrorBody)))]
async fn api_get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ReportId>,
) -> AppResult<Json<ReportDetail>> {
    Ok(Json(ops::detail(&state.db, &caller, id).await?))
}

/// Replaces the title, topic, worker group and sections (all of them, in
/// order) of a draft or returned report.
#[utoipa::path(put, path = "/api/v1/reports/{id}", tag = "reports", params(("id" = i64, Path)),
    request_body = ReportInput,
    responses((status = 200, body = Report), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn api_save(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ReportId>,
    Json(input): Json<ReportInput>,
) -> AppResult<Json<Report>> {
    Ok(Json(ops::save(&state.db, &caller, id, &input).await?))
}

/// Computes one element (not saved) as the report would show it, with the
/// caller's read scope. An element citing a survey or activity the caller
/// cannot read is refused: 422 with a field error naming the element.
#[utoipa::path(post, path = "/api/v1/reports/{id}/preview", tag = "reports", params(("id" = i64, Path)),
    request_body = PreviewInput,
    responses((status = 200, body = Preview), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn api_preview(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ReportId>,
    Json(input): Json<PreviewInput>,
) -> AppResult<Json<Preview>> {
    let r = ops::writable(&state.db, &caller, id).await?;
    let body = Body {
        sections: vec![super::Section {
            elements: vec![input.element.clone()],
            ..Default::default()
        }],
    };
    body.cleaned()?;
    ops::check_sources(&state.db, &caller, r.org_id, &Body::default(), &body).await?;
    let read = caller.scope(Need::Read);
    let figure = Computer::new(&state.db, r.org_id, r.campaign_id, read, caller.lang)
        .element(&input.element)
        .await
        .map_err(AppError::Internal)?;
    let c = Chrome::for_caller(&caller, "");
    let html = pages::figure_html(&c, &figure, 0)?;
    Ok(Json(Preview { figure, html }))
}

/// The surveys the caller may cite in this report (those the caller reads),
/// with their questions.
#[utoipa::path(get, path = "/api/v1/reports/{id}/sources", tag = "reports", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<SourceSurvey>), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn api_sources(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ReportId>,
) -> AppResult<Json<Vec<SourceSurvey>>> {
    Ok(Json(ops::sources(&state.db, &caller, id).await?))
}

/// Free-text answers of a survey's question, or activity notes of the
/// report's campaign in the author org's subtree, containing `q` — only what
/// the caller reads: a survey outside the caller's read scope is 404.
#[utoipa::path(get, path = "/api/v1/reports/{id}/candidates", tag = "reports",
    params(("id" = i64, Path), CandidateQuery),
    responses((status = 200, body = Candidates), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn api_candidates(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ReportId>,
    Query(q): Query<CandidateQuery>,
) -> AppResult<Json<Candidates>> {
    Ok(Json(ops::candidates(&state.db, &caller, id, &q).await?))
}

/// The versions of a report, newest first.
#[utoipa::path(get, path = "/api/v1/reports/{id}/versions", tag = "reports", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<VersionInfo>), (status = 404, body = ErrorBody)))]
async fn api_versions(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ReportId>,
) -> AppResult<Json<Vec<VersionInfo>>> {
    ops::visible(&state.db, &caller, id).await?;
    Ok(Json(store::versions(&state.db, id).await?))
}

/// Freezes the report as it reads now — content and every element's
/// figures — as a named version.
#[utoipa::path(post, path = "/api/v1/reports/{id}/versions", tag = "reports", params(("id" = i64, Path)),
    request_body = NewVersion,
    responses((status = 201, body = VersionInfo), (status = 200, description = "a retry", body = VersionInfo),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn api_add_version(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ReportId>,
    Json(input): Json<NewVersion>,
) -> AppResult<Response> {
    let (v, created) = ops::add_version(&state.db, &caller, id, &input).await?;
    Ok(created_or_ok(created, v))
}

/// One version with its frozen content and figures.
#[utoipa::path(get, path = "/api/v1/reports/{id}/versions/{n}", tag = "reports",
    params(("id" = i64, Path), ("n" = i64, Path)),
    responses((status = 200, body = VersionBody), (status = 404, body = ErrorBody)))]
async fn api_version(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, n)): Path<(ReportId, i64)>,
) -> AppResult<Json<VersionBody>> {
    ops::visible(&state.db, &caller, id).await?;
    let (version, snapshot) = store::version(&state.db, id, n)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(VersionBody { version, snapshot }))
}

/// Submits the report to the campaign's issuing org: freezes it as a
/// version (content and figures), on time or late against the campaign's
/// report deadline (24:00 Beijing time).
#[utoipa::path(post, path = "/api/v1/reports/{id}/submit", tag = "reports", params(("id" = i64, Path)),
    request_body = SubmitInput,
    responses((status = 201, body = VersionInfo), (status = 200, description = "a retry", body = VersionInfo),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn api_submit(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ReportId>,
    Json(input): Json<SubmitInput>,
) -> AppResult<Response> {
    let (v, created) = ops::submit(&state.db, &caller, id, &input).await?;
    Ok(created_or_ok(created, v))
}

/// The issuing org accepts the submitted report.
#[utoipa::path(post, path = "/api/v1/reports/{id}/accept", tag = "reports", params(("id" = i64, Path)),
    responses((status = 200, body = Report), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn api_accept(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ReportId>,
) -> AppResult<Json<Report>> {
    Ok(Json(ops::decide(&state.db, &caller, id, None).await?))
}

/// The issuing org returns the submitted report with a reason; the author
/// may edit it again and resubmit.
#[utoipa::path(post, path = "/api/v1/reports/{id}/return", tag = "reports", params(("id" = i64, Path)),
    request_body = ReturnInput,
    responses((status = 200, body = Report), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn api_return(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ReportId>,
    Json(input): Json<ReturnInput>,
) -> AppResult<Json<Report>> {
    Ok(Json(
        ops::decide(&state.db, &caller, id, Some(&input.reason)).await?,
    ))
}

/// How many reports the caller reads are in each status, how many were
/// submitted on time or late, and first submissions per month.
#[utoipa::path(get, path = "/api/v1/reports/counts", tag = "reports", params(CountsQuery),
    responses((status = 200, body = CountsBody), (status = 401, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn api_counts(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<CountsQuery>,
) -> AppResult<Json<CountsBody>> {
    let scope = caller.scope(Need::Read);
    let campaign = int_param::<i64>("campaign", &q.campaign)?.map(CampaignId);
    let under = int_param::<i64>("org", &q.org)?.map(OrgId);
    let monthly = store::monthly(&state.db, &scope, campaign, under)
        .await?
        .into_iter()
        .map(|(month, reports)| Month { month, reports })
        .collect();
    Ok(Json(CountsBody {
        counts: store::counts(&state.db, &scope, campaign, under).await?,
        monthly,
    }))
}

/// The report as DOCX or A4 PDF, by `format` (the same files as
/// `report.docx` and `report.pdf`). Audited.
#[utoipa::path(get, path = "/api/v1/reports/{id}/export", tag = "reports",
    params(("id" = i64, Path), ExportQuery),
    responses((status = 200, description = "the .docx or .pdf file", content(
            (download::FileBody = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
            (download::FileBody = "application/pdf"))),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn api_export(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ReportId>,
    Query(q): Query<ExportQuery>,
) -> AppResult<Response> {
    let version = int_param::<i64>("version", &q.version)?;
    let format = match q.format.as_deref().map(str::trim).unwrap_or("docx") {
        "docx" => FileFormat::Docx,
        "pdf" => FileFormat::Pdf,
        _ => return Err(AppError::field("format", "report-err-format")),
    };
    file(&state, &caller, id, format, version).await
}

/// The report as a Word document (charts drawn on the server), as it reads
/// now or as a stored version. Audited.
#[utoipa::path(get, path = "/api/v1/reports/{id}/report.docx", tag = "reports",
    params(("id" = i64, Path), VersionQuery),
    responses((status = 200, description = "the .docx file",
            content_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document", body = download::FileBody),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn api_docx(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ReportId>,
    Query(q): Query<VersionQuery>,
) -> AppResult<Response> {
    let version = int_param::<i64>("version", &q.version)?;
    file(&state, &caller, id, FileFormat::Docx, version).await
}

/// The report as A4 PDF (charts drawn on the server, the Chinese font
/// embedded), as it reads now or as a stored version. Audited.
#[utoipa::path(get, path = "/api/v1/reports/{id}/report.pdf", tag = "reports",
    params(("id" = i64, Path), VersionQuery),
    responses((status = 200, description = "the .pdf file", content_type = "application/pdf", body = download::FileBody),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn api_pdf(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ReportId>,
    Query(q): Query<VersionQuery>,
) -> AppResult<Response> {
    let version = int_param::<i64>("version", &q.version)?;
    file(&state, &caller, id, FileFormat::Pdf, version).await
}

async fn file(
    state: &AppState,
    caller: &Caller,
    id: ReportId,
    format: FileFormat,
    version: Option<i64>,
) -> AppResult<Response> {
    let (body, name, mime) =
        ops::export_file(&state.db, &state.settings, caller, id, format, version).await?;
    Ok(download::attachment(body, &name, mime))
}
