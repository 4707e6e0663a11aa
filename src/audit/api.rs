//! The audit API under `/api/v1/audit` (the log and its exports) and the
//! domain's router.

use axum::{extract::State, response::Response, routing::get};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{AuditPage, AuditQuery, ops, pages};
use crate::{
    auth::Caller,
    error::AppResult,
    tabular::Format,
    web::{AppState, Json, Query, download::send_table, errors::ErrorBody, openapi},
};

/// Every route of the audit log, API and page.
pub fn router() -> OpenApiRouter<AppState> {
    openapi::domain("audit", "The audit log of the caller's admin subtrees")
        .routes(routes!(api_list))
        .routes(routes!(api_export_csv))
        .routes(routes!(api_export_xlsx))
        .route("/audit", get(pages::list))
}

/// The log of the caller's admin subtrees, newest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn api_list(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<AuditQuery>,
) -> AppResult<Json<AuditPage>> {
    Ok(Json(ops::list(&state.db, &caller, &q).await?))
}

/// The entries the filters match, as CSV (the export itself is audited).
#[utoipa::path(get, path = "/api/v1/audit/export.csv", tag = "audit", params(AuditQuery),
    responses((status = 200, description = "the entries", content_type = "text/csv"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn api_export_csv(
    state: State<AppState>,
    caller: Caller,
    q: Query<AuditQuery>,
) -> AppResult<Response> {
    export(state, caller, q, Format::Csv).await
}

/// The entries the filters match, as XLSX (the export itself is audited).
#[utoipa::path(get, path = "/api/v1/audit/export.xlsx", tag = "audit", params(AuditQuery),
    responses((status = 200, description = "the entries",
            content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn api_export_xlsx(
    state: State<AppState>,
    caller: Caller,
    q: Query<AuditQuery>,
) -> AppResult<Response> {
    export(state, caller, q, Format::Xlsx).await
}

async fn export(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<AuditQuery>,
    format: Format,
) -> AppResult<Response> {
    let t = ops::export(&state.db, &caller, &q).await?;
    send_table(
        &state,
        &caller,
        "audit",
        format,
        (&t.title, &t.heads, &t.cells),
        t.detail,
    )
    .await
}
