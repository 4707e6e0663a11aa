//! The JSON API of questionnaire analysis and its router: figures, free
//! text, one response, an answer turned into a problem, and the exports
//! (XLSX, PDF, CSV) under `/api/v1`, each declared once by its
//! `#[utoipa::path]`.

use axum::{
    extract::State,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    Analysis, AnalysisQuery, ExportQuery, ProblemInput, ProblemMade, ResponseDetail, TextPage,
    TextQuery, ops, pages,
};
use crate::{
    auth::Caller,
    db::{ResponseId, SurveyId},
    error::AppResult,
    survey::{Survey, ops::visible},
    web::{AppState, Json, Path, Query, errors::ErrorBody, openapi},
};

/// Every route of the analysis, API then pages.
pub fn router() -> OpenApiRouter<AppState> {
    openapi::domain(
        "survey analysis",
        "Questionnaire results: frequencies, numeric summaries, cross-tabs, free text, exports, answers turned into problems",
    )
    .routes(routes!(api_analysis))
    .routes(routes!(api_results_export))
    .routes(routes!(api_text))
    .routes(routes!(api_responses_export))
    .routes(routes!(api_response))
    .routes(routes!(api_problem))
    .route("/surveys/{id}/analysis", get(pages::analysis))
    .route("/surveys/{id}/analysis/text/{question}", get(pages::text))
    .route("/surveys/{id}/responses/{rid}", get(pages::response))
    .route("/surveys/{id}/responses/{rid}/problem", post(pages::problem))
}

/// Audits the export and answers with the file (and the page's cookie).
async fn download(
    state: &AppState,
    caller: &Caller,
    s: &Survey,
    f: ops::File,
    dl: Option<&str>,
) -> AppResult<Response> {
    ops::exported(&state.db, caller, s, &f).await?;
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

/// Every question's counts and percentages (multiple choice: percent of
/// respondents), numeric summaries, and one cross-tab (`row` by `by`:
/// `worker_group`, `region` or another choice question; default the first
/// choice question by worker group). Valid responses only unless `valid=all`
/// or `valid=invalid`.
#[utoipa::path(get, path = "/api/v1/surveys/{id}/analysis", tag = "survey analysis",
    params(("id" = i64, Path), AnalysisQuery),
    responses((status = 200, body = Analysis), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn api_analysis(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<SurveyId>,
    Query(q): Query<AnalysisQuery>,
) -> AppResult<Json<Analysis>> {
    let s = visible(&state.db, &caller, id).await?;
    Ok(Json(ops::analysis(&state.db, &s, &q, caller.lang).await?))
}

/// The answers to a text question (newest first, 20 a page) and its most
/// frequent keywords (Chinese word segmentation, stop words removed).
#[utoipa::path(get, path = "/api/v1/surveys/{id}/analysis/text/{question}", tag = "survey analysis",
    params(("id" = i64, Path), ("question" = String, Path), TextQuery, AnalysisQuery),
    responses((status = 200, body = TextPage), (status = 404, body = ErrorBody)))]
async fn api_text(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, question)): Path<(SurveyId, String)>,
    Query(q): Query<TextQuery>,
    Query(fq): Query<AnalysisQuery>,
) -> AppResult<Json<TextPage>> {
    let s = visible(&state.db, &caller, id).await?;
    Ok(Json(
        ops::text_page(&state.db, &caller, &s, &question, &q, &fq, caller.lang).await?,
    ))
}

/// One response: its answers, validity, times and the problems made from it.
#[utoipa::path(get, path = "/api/v1/surveys/{id}/responses/{rid}", tag = "survey analysis",
    params(("id" = i64, Path), ("rid" = i64, Path)),
    responses((status = 200, body = ResponseDetail), (status = 404, body = ErrorBody)))]
async fn api_response(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, rid)): Path<(SurveyId, ResponseId)>,
) -> AppResult<Json<ResponseDetail>> {
    Ok(Json(
        ops::response_detail(&state.db, &caller, id, rid).await?.1,
    ))
}

/// Turns a free-text answer into a problem ("转为问题"), linked both ways;
/// once per answer (201 the first time, 200 with the same problem after).
#[utoipa::path(post, path = "/api/v1/surveys/{id}/responses/{rid}/problem", tag = "survey analysis",
    params(("id" = i64, Path), ("rid" = i64, Path)), request_body = ProblemInput,
    responses((status = 201, body = ProblemMade), (status = 200, description = "already a problem", body = ProblemMade),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn api_problem(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, rid)): Path<(SurveyId, ResponseId)>,
    Json(input): Json<ProblemInput>,
) -> AppResult<Response> {
    let made = ops::make_problem(&state.db, &caller, id, rid, &input).await?;
    let status = if made.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(made)).into_response())
}

/// The results page as XLSX (an overview, one sheet of frequencies per
/// question, the cross-tab) or an A4 PDF with bar charts; filters and
/// cross-tab as for the analysis. Audited.
#[utoipa::path(get, path = "/api/v1/surveys/{id}/analysis/export", tag = "survey analysis",
    params(("id" = i64, Path), ExportQuery, AnalysisQuery),
    responses(
        (status = 200, description = "the .xlsx or .pdf file",
            content((Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (Vec<u8> = "application/pdf"))),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn api_results_export(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<SurveyId>,
    Query(q): Query<ExportQuery>,
    Query(fq): Query<AnalysisQuery>,
) -> AppResult<Response> {
    let (s, file) =
        ops::results_file(&state.db, state.settings.clone(), &caller, id, &q, &fq).await?;
    download(&state, &caller, &s, file, q.dl.as_deref()).await
}

/// The responses that pass the filter, one row each: CSV (UTF-8 with BOM) or
/// XLSX with a codebook sheet; choices as codes (default) or labels; a 0/1
/// column per choice of a multiple choice. `codebook=1` with CSV gives the
/// codebook instead. Audited.
#[utoipa::path(get, path = "/api/v1/surveys/{id}/responses/export", tag = "survey analysis",
    params(("id" = i64, Path), ExportQuery, AnalysisQuery),
    responses(
        (status = 200, description = "the .csv or .xlsx file",
            content((Vec<u8> = "text/csv"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn api_responses_export(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<SurveyId>,
    Query(q): Query<ExportQuery>,
    Query(fq): Query<AnalysisQuery>,
) -> AppResult<Response> {
    let (s, file) = ops::responses_export(&state.db, &caller, id, &q, &fq).await?;
    download(&state, &caller, &s, file, q.dl.as_deref()).await
}
