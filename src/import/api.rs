//! The import API (`POST /api/v1/import/{kind}`, `POST /api/v1/imports/{id}/commit`),
//! the exports (`/api/v1/export/orgs.xlsx`, `.csv`, `/api/v1/export/enterprises.xlsx`,
//! `.csv`; `?template=1` for an empty template) and the domain's router.

use axum::{
    extract::{Multipart, State, multipart::MultipartError},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::{Deserialize, Serialize};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{ImportKind, Outcome, Preview, analyse, apply, clean_filename, ops, pages, store};
use crate::{
    auth::Caller,
    db::ImportId,
    error::{AppError, AppResult},
    i18n::Lang,
    tabular::{
        self,
        Format::{Csv, Xlsx},
    },
    web::{
        AppState, Json, Path, Query, download,
        errors::{ErrorBody, ErrorDetail, FieldMessage},
        openapi,
    },
};

/// Every route of import and export: one `routes!` per API path, then the pages.
pub fn router() -> OpenApiRouter<AppState> {
    openapi::domain(
        "import",
        "Importing orgs and enterprises from XLSX and CSV, and exporting them",
    )
    .routes(routes!(api_import))
    .routes(routes!(api_commit))
    .routes(routes!(api_export_orgs_xlsx))
    .routes(routes!(api_export_orgs_csv))
    .routes(routes!(api_export_enterprises_xlsx))
    .routes(routes!(api_export_enterprises_csv))
    .route("/import", get(pages::index_page).post(pages::upload_page))
    .route("/import/{id}", get(pages::pending_page))
    .route("/import/{id}/commit", post(pages::commit_page))
}

/// A multipart upload: the kind (pages only) and the file.
pub(super) struct Upload {
    pub(super) kind: Option<String>,
    pub(super) filename: String,
    pub(super) bytes: Vec<u8>,
}

fn multipart_error(e: MultipartError) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::TooLarge
    } else {
        AppError::BadRequest("malformed multipart body")
    }
}

/// Reads the form, refusing a file over `max_bytes` as soon as it grows past it.
pub(super) async fn read_upload(mut form: Multipart, max_bytes: usize) -> AppResult<Upload> {
    let mut up = Upload {
        kind: None,
        filename: String::new(),
        bytes: Vec::new(),
    };
    while let Some(mut field) = form.next_field().await.map_err(multipart_error)? {
        match field.name() {
            Some("kind") => up.kind = Some(field.text().await.map_err(multipart_error)?),
            Some("file") => {
                up.filename = clean_filename(field.file_name().unwrap_or(""));
                while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
                    if up.bytes.len() + chunk.len() > max_bytes {
                        // 413 from the API; the upload page shows the limit.
                        return Err(AppError::TooLarge);
                    }
                    up.bytes.extend_from_slice(&chunk);
                }
            }
            _ => {}
        }
    }
    if up.filename.is_empty() && up.bytes.is_empty() {
        return Err(AppError::field("file", "err-required"));
    }
    if up.bytes.is_empty() {
        return Err(tabular::TableError::Empty.into());
    }
    Ok(up)
}

// ---- JSON API ----

/// The multipart body of an API import.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
#[schema(as = ImportUpload)]
pub struct UploadForm {
    /// The XLSX or CSV file (UTF-8 or GBK/GB18030); its name's extension decides the format.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Whether to commit a clean file at once.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CommitParams {
    /// `true`: import at once when the file has no errors. `false` (default): only
    /// check it and stage it for `POST /api/v1/imports/{id}/commit`.
    pub commit: Option<bool>,
}

/// The result of an API import.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    /// The staged upload; commit it with `POST /api/v1/imports/{id}/commit`.
    pub import_id: Option<ImportId>,
    /// Whether the rows were inserted.
    pub committed: bool,
    /// Rows inserted.
    pub created: usize,
    pub preview: Preview,
}

/// A refused import: the usual error body (each field named like `row 5, 统一社会信用代码`)
/// and, when the rows could be read, the preview with every row error (a
/// file that cannot be read, or an upload committed already, has none).
#[derive(Serialize, utoipa::ToSchema)]
pub struct ImportErrorBody {
    pub error: ErrorDetail,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    pub preview: Option<Preview>,
}

fn rejected_json(preview: Preview, lang: Lang) -> Response {
    let fields = preview
        .errors
        .iter()
        .map(|e| FieldMessage {
            // The same spelling in both languages, so scripts can parse it.
            field: format!("row {}, {}", e.row, e.column),
            message: e.message.clone(),
            item: None,
            column: None,
        })
        .collect();
    let body = ImportErrorBody {
        error: ErrorDetail {
            code: "validation".into(),
            message: lang.t("error-validation"),
            fields,
        },
        preview: Some(preview),
    };
    (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
}

/// Checks an XLSX or CSV file of orgs or enterprises and stages it, or imports it
/// at once with `commit=true`. Every row error comes back at once; nothing is
/// written unless every row is valid.
#[utoipa::path(post, path = "/api/v1/import/{kind}", tag = "import",
    params(("kind" = ImportKind, Path, description = "orgs (admin) or enterprises (cadre)"), CommitParams),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "Checked and staged", body = ImportReport),
        (status = 201, description = "Imported", body = ImportReport),
        (status = 422, description = "Row errors, or a file that cannot be read", body = ImportErrorBody),
        (status = 413, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
async fn api_import(
    State(state): State<AppState>,
    caller: Caller,
    Path(kind): Path<String>,
    Query(p): Query<CommitParams>,
    form: Multipart,
) -> AppResult<Response> {
    let kind = ImportKind::parse(&kind).ok_or(AppError::NotFound)?;
    caller.require(kind.need())?;
    let limits = &state.settings.import;
    let up = read_upload(form, limits.max_upload_bytes).await?;
    let analysis = analyse(
        &state.db,
        &caller,
        kind,
        &up.filename,
        &up.bytes,
        limits.max_rows,
    )
    .await?;
    if !analysis.is_clean() {
        return Ok(rejected_json(analysis.preview, caller.lang));
    }
    let id = store::stage(&state.db, &caller, kind, &up.filename, &up.bytes).await?;
    if !p.commit.unwrap_or(false) {
        let preview = analysis.preview;
        return Ok(Json(ImportReport {
            import_id: Some(id),
            committed: false,
            created: 0,
            preview,
        })
        .into_response());
    }
    let preview = analysis.preview.clone();
    match apply(&state.db, &caller, analysis, Some(id)).await? {
        Outcome::Done(done) => Ok((
            StatusCode::CREATED,
            Json(ImportReport {
                import_id: Some(id),
                committed: true,
                created: done.created,
                preview,
            }),
        )
            .into_response()),
        Outcome::Rejected(p) => Ok(rejected_json(*p, caller.lang)),
    }
}

/// Imports a staged upload of the caller: checks it again, then inserts every row
/// in one transaction or none. A second commit of the same upload is refused.
#[utoipa::path(post, path = "/api/v1/imports/{id}/commit", tag = "import",
    params(("id" = i64, Path)),
    responses(
        (status = 201, description = "Imported", body = ImportReport),
        (status = 422, description = "Row errors, or already committed", body = ImportErrorBody),
        (status = 404, body = ErrorBody)))]
async fn api_commit(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ImportId>,
) -> AppResult<Response> {
    let pending = store::get(&state.db, &caller, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if pending.committed_at.is_some() {
        return Err(super::already_committed());
    }
    let analysis = analyse(
        &state.db,
        &caller,
        pending.kind,
        &pending.filename,
        &pending.content,
        state.settings.import.max_rows,
    )
    .await?;
    let preview = analysis.preview.clone();
    match apply(&state.db, &caller, analysis, Some(id)).await? {
        Outcome::Done(done) => Ok((
            StatusCode::CREATED,
            Json(ImportReport {
                import_id: Some(id),
                committed: true,
                created: done.created,
                preview,
            }),
        )
            .into_response()),
        Outcome::Rejected(p) => Ok(rejected_json(*p, caller.lang)),
    }
}

/// Query of an export.
#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `1`: an empty template with notes instead of the data.
    pub template: Option<String>,
}

async fn export(
    state: &AppState,
    caller: &Caller,
    q: &ExportQuery,
    kind: ImportKind,
    format: tabular::Format,
) -> AppResult<Response> {
    let template = q
        .template
        .as_deref()
        .is_some_and(|t| t == "1" || t == "true");
    let d = ops::export(&state.db, caller, kind, format, template).await?;
    Ok(download::attachment(d.body, &d.filename, d.mime))
}

/// The orgs the caller reads, as XLSX in the import's columns (phones in full
/// only where the caller writes; audited), or the empty template (`template=1`).
#[utoipa::path(get, path = "/api/v1/export/orgs.xlsx", tag = "import", params(ExportQuery),
    responses((status = 200, description = "the orgs", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn api_export_orgs_xlsx(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ExportQuery>,
) -> AppResult<Response> {
    export(&state, &caller, &q, ImportKind::Orgs, Xlsx).await
}

/// The orgs the caller reads, as CSV (UTF-8), or the empty template (`template=1`).
#[utoipa::path(get, path = "/api/v1/export/orgs.csv", tag = "import", params(ExportQuery),
    responses((status = 200, description = "the orgs", content_type = "text/csv"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn api_export_orgs_csv(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ExportQuery>,
) -> AppResult<Response> {
    export(&state, &caller, &q, ImportKind::Orgs, Csv).await
}

/// The enterprises the caller reads, as XLSX in the import's columns (phones in
/// full only where the caller writes; audited), or the empty template (`template=1`).
#[utoipa::path(get, path = "/api/v1/export/enterprises.xlsx", tag = "import", params(ExportQuery),
    responses((status = 200, description = "the enterprises", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn api_export_enterprises_xlsx(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ExportQuery>,
) -> AppResult<Response> {
    export(&state, &caller, &q, ImportKind::Enterprises, Xlsx).await
}

/// The enterprises the caller reads, as CSV (UTF-8), or the empty template (`template=1`).
#[utoipa::path(get, path = "/api/v1/export/enterprises.csv", tag = "import", params(ExportQuery),
    responses((status = 200, description = "the enterprises", content_type = "text/csv"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn api_export_enterprises_csv(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ExportQuery>,
) -> AppResult<Response> {
    export(&state, &caller, &q, ImportKind::Enterprises, Csv).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_document_describes_the_import_paths() {
        let doc = router().into_openapi();
        let json = serde_json::to_value(&doc).unwrap();
        let paths = json["paths"].as_object().unwrap();
        assert!(paths.contains_key("/api/v1/import/{kind}"));
        assert!(paths.contains_key("/api/v1/imports/{id}/commit"));
        let body = &paths["/api/v1/import/{kind}"]["post"]["requestBody"]["content"];
        assert!(body.get("multipart/form-data").is_some(), "{body}");
    }
}
