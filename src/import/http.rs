//! The import wizard, export downloads and the import API.
//!
//! Pages: `GET /import` (choose a kind, upload), `POST /import` (preview with
//! every row error), `GET /import/{id}` (a staged upload's preview again),
//! `POST /import/{id}/commit` (all or nothing). Downloads: `GET /export/orgs.xlsx`,
//! `/export/orgs.csv`, `/export/enterprises.xlsx`, `/export/enterprises.csv`
//! (`?template=1` for an empty template). API: `POST /api/v1/import/{kind}` and
//! `POST /api/v1/imports/{id}/commit`.

use std::collections::HashSet;

use askama::Template;
use axum::{
    Json, Router,
    extract::{Multipart, Path, Query, State, multipart::MultipartError},
    http::{HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
    routing::{MethodRouter, get, post},
};
use serde::{Deserialize, Serialize};
use utoipa::OpenApi;

use super::{
    Committed, ImportKind, Outcome, Preview, analyse, apply, clean_filename, commit, store,
};
use crate::{
    audit::{self, Action, Entry},
    auth::{Caller, Need, Scope},
    db::{Db, DbError, ImportId, OrgId},
    error::{AppError, AppResult},
    i18n::Lang,
    tabular::{
        self, Cell,
        Format::{Csv, Xlsx},
        Header,
    },
    web::{
        AppState,
        errors::{ErrorDetail, FieldMessage},
        page::{Chrome, render},
    },
};

/// The routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/import", get(index_page).post(upload_page))
        .route("/import/{id}", get(pending_page))
        .route("/import/{id}/commit", post(commit_page))
        .route("/export/orgs.xlsx", export_route(ImportKind::Orgs, Xlsx))
        .route("/export/orgs.csv", export_route(ImportKind::Orgs, Csv))
        .route(
            "/export/enterprises.xlsx",
            export_route(ImportKind::Enterprises, Xlsx),
        )
        .route(
            "/export/enterprises.csv",
            export_route(ImportKind::Enterprises, Csv),
        )
        .route("/api/v1/import/{kind}", post(api_import))
        .route("/api/v1/imports/{id}/commit", post(api_commit))
}

fn export_route(kind: ImportKind, format: tabular::Format) -> MethodRouter<AppState> {
    get(move |s: State<AppState>, c: Caller, q: Query<ExportQuery>| export(s, c, q, kind, format))
}

/// This module's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(api_import, api_commit),
    components(schemas(
        ImportKind,
        ImportReport,
        ImportErrorBody,
        Preview,
        super::RowIssue,
        super::SampleRow,
        Committed,
        UploadForm
    )),
    tags((name = "import", description = "Importing orgs and enterprises from XLSX and CSV"))
)]
pub struct ApiDoc;

// ---- uploads ----

/// A multipart upload: the kind (pages only) and the file.
struct Upload {
    kind: Option<String>,
    filename: String,
    bytes: Vec<u8>,
}

fn multipart_error(e: MultipartError) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::TooLarge
    } else {
        AppError::BadRequest("malformed multipart body")
    }
}

/// Reads the form, refusing a file over `max_bytes` as soon as it grows past it.
async fn read_upload(mut form: Multipart, max_bytes: usize) -> AppResult<Upload> {
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

// ---- pages ----

/// One kind on the upload page.
struct KindChoice {
    kind: ImportKind,
    allowed: bool,
}

#[derive(Template)]
#[template(path = "import/index.html")]
struct IndexPage {
    c: Chrome,
    kinds: Vec<KindChoice>,
    selected: ImportKind,
    errors: Vec<String>,
    max_mb: usize,
    max_rows: i64,
}

impl IndexPage {
    fn limits(&self) -> String {
        self.c.lang.ta(
            "import-limits",
            &[
                ("mb", self.max_mb.to_string()),
                ("rows", self.c.lang.number(self.max_rows)),
            ],
        )
    }
}

fn kind_choices(caller: &Caller) -> Vec<KindChoice> {
    ImportKind::ALL
        .into_iter()
        .map(|kind| KindChoice {
            kind,
            allowed: !caller.scope(kind.need()).is_empty(),
        })
        .collect()
}

fn index(
    state: &AppState,
    caller: &Caller,
    selected: Option<ImportKind>,
    errors: Vec<String>,
) -> IndexPage {
    let kinds = kind_choices(caller);
    let selected = selected
        .filter(|k| kinds.iter().any(|c| c.kind == *k && c.allowed))
        .or_else(|| kinds.iter().rev().find(|c| c.allowed).map(|c| c.kind))
        .unwrap_or(ImportKind::Enterprises);
    IndexPage {
        c: Chrome::for_caller(caller, "/import"),
        kinds,
        selected,
        errors,
        max_mb: state.settings.import.max_upload_bytes.div_ceil(1024 * 1024),
        max_rows: state.settings.import.max_rows as i64,
    }
}

#[derive(Deserialize, Default)]
struct IndexQuery {
    kind: Option<String>,
}

async fn index_page(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<IndexQuery>,
) -> AppResult<Response> {
    caller.require(Need::Write)?;
    let kind = q.kind.as_deref().and_then(ImportKind::parse);
    render(index(&state, &caller, kind, Vec::new()))
}

#[derive(Template)]
#[template(path = "import/preview.html")]
struct PreviewPage {
    c: Chrome,
    preview: Preview,
    /// The staged upload, when it can be committed.
    import_id: Option<ImportId>,
    /// Set when a commit was refused.
    commit_failed: bool,
}

impl PreviewPage {
    fn kind_label(&self) -> String {
        self.c.t(self.preview.kind.label_key())
    }

    fn n(&self, v: impl std::borrow::Borrow<usize>) -> String {
        self.c.lang.number(*v.borrow() as i64)
    }

    fn column(&self, i: &usize) -> &str {
        self.preview.columns.get(*i).map_or("", String::as_str)
    }
}

#[derive(Template)]
#[template(path = "import/done.html")]
struct DonePage {
    c: Chrome,
    done: Committed,
    /// When set, the upload had been committed before (at this time).
    earlier: Option<i64>,
}

impl DonePage {
    fn created(&self) -> String {
        self.c.lang.number(self.done.created as i64)
    }

    fn kind_label(&self) -> String {
        self.c.t(self.done.kind.label_key())
    }

    fn list_url(&self) -> &'static str {
        match self.done.kind {
            ImportKind::Orgs => "/orgs",
            ImportKind::Enterprises => "/enterprises",
        }
    }
}

/// Messages of a validation error, for pages that show them in an alert.
fn messages(e: &AppError, lang: Lang, max_bytes: usize) -> Option<Vec<String>> {
    match e {
        AppError::Validation(fs) => Some(fs.iter().map(|f| f.message(lang)).collect()),
        AppError::TooLarge => Some(vec![
            tabular::TableError::TooLarge { max_bytes }
                .field_error()
                .message(lang),
        ]),
        _ => None,
    }
}

async fn upload_page(
    State(state): State<AppState>,
    caller: Caller,
    form: Multipart,
) -> AppResult<Response> {
    caller.require(Need::Write)?;
    let limits = &state.settings.import;
    let up = match read_upload(form, limits.max_upload_bytes).await {
        Ok(up) => up,
        Err(e) => return rejected_index(&state, &caller, None, e),
    };
    let Some(kind) = up.kind.as_deref().and_then(ImportKind::parse) else {
        let e = AppError::field("import_kind", "err-required");
        return rejected_index(&state, &caller, None, e);
    };
    let analysis = match analyse(
        &state.db,
        &caller,
        kind,
        &up.filename,
        &up.bytes,
        limits.max_rows,
    )
    .await
    {
        Ok(a) => a,
        Err(e) => return rejected_index(&state, &caller, Some(kind), e),
    };
    let import_id = if analysis.is_clean() {
        Some(store::stage(&state.db, &caller, kind, &up.filename, &up.bytes).await?)
    } else {
        None
    };
    let status = if analysis.is_clean() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = PreviewPage {
        c: Chrome::for_caller(&caller, "/import"),
        preview: analysis.preview,
        import_id,
        commit_failed: false,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// The upload page again with the reasons a file was refused (422, also for a
/// file too large: a 413 would be replaced by the generic error page); other
/// errors (forbidden, internal) go to the error page.
fn rejected_index(
    state: &AppState,
    caller: &Caller,
    kind: Option<ImportKind>,
    e: AppError,
) -> AppResult<Response> {
    let max_bytes = state.settings.import.max_upload_bytes;
    let Some(msgs) = messages(&e, caller.lang, max_bytes) else {
        return Err(e);
    };
    let page = index(state, caller, kind, msgs);
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}

async fn pending_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ImportId>,
) -> AppResult<Response> {
    let pending = store::get(&state.db, &caller, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let analysis = analyse(
        &state.db,
        &caller,
        pending.kind,
        &pending.filename,
        &pending.content,
        state.settings.import.max_rows,
    )
    .await?;
    if let Some(at) = pending.committed_at {
        return render(DonePage {
            c: Chrome::for_caller(&caller, &format!("/import/{id}")),
            done: Committed {
                kind: pending.kind,
                filename: pending.filename,
                created: analysis.preview.rows,
                import_id: Some(id),
            },
            earlier: Some(at),
        });
    }
    let clean = analysis.is_clean();
    render(PreviewPage {
        c: Chrome::for_caller(&caller, &format!("/import/{id}")),
        preview: analysis.preview,
        import_id: clean.then_some(id),
        commit_failed: false,
    })
}

async fn commit_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ImportId>,
) -> AppResult<Response> {
    let path = format!("/import/{id}");
    match commit(&state.db, &caller, id, state.settings.import.max_rows).await {
        Ok(Outcome::Done(done)) => render(DonePage {
            c: Chrome::for_caller(&caller, &path),
            done,
            earlier: None,
        }),
        Ok(Outcome::Rejected(preview)) => {
            let page = PreviewPage {
                c: Chrome::for_caller(&caller, &path),
                preview: *preview,
                import_id: None,
                commit_failed: true,
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
        Err(e) => Err(e),
    }
}

// ---- exports ----

#[derive(Deserialize, Default)]
struct ExportQuery {
    /// `1` for an empty template with notes instead of the data.
    template: Option<String>,
}

/// The orgs of a scope, as a set (to decide whose phones an export may show).
async fn org_ids(db: &Db, scope: &Scope) -> Result<HashSet<OrgId>, DbError> {
    if scope.is_empty() {
        return Ok(HashSet::new());
    }
    let sql = format!("SELECT id FROM orgs WHERE {}", scope.sql("id"));
    let ids: Vec<OrgId> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .fetch_all(db.pool())
        .await?;
    Ok(ids.into_iter().collect())
}

/// The header row of a kind in `lang`.
pub fn headers(kind: ImportKind, lang: Lang) -> Vec<Header> {
    kind.columns()
        .iter()
        .map(|c| Header {
            title: c.title(lang).to_string(),
            width: c.width,
            text: c.text,
        })
        .collect()
}

/// The rows the caller may export, and how many show an unmasked phone: phones
/// show in full only on rows of orgs where the caller may write (cadre and up).
pub async fn export_rows(
    db: &Db,
    caller: &Caller,
    kind: ImportKind,
) -> AppResult<(Vec<Vec<Cell>>, usize)> {
    let scope = caller.require(Need::Read)?;
    let writable = org_ids(db, &caller.scope(Need::Write)).await?;
    Ok(match kind {
        ImportKind::Orgs => {
            let orgs = crate::org::store::list_all(db, &scope).await?;
            super::orgs::export_rows(&orgs, caller.lang, &writable)
        }
        ImportKind::Enterprises => {
            super::enterprises::export(db, &scope, caller.lang, &writable).await?
        }
    })
}

/// The notes sheet of a template: each column, whether it is required, its format.
fn notes(kind: ImportKind, lang: Lang) -> Vec<Vec<String>> {
    let mut lines = vec![vec![
        lang.t("import-notes-column"),
        lang.t("import-notes-required"),
        lang.t("import-notes-format"),
    ]];
    for c in kind.columns() {
        lines.push(vec![
            c.title(lang).to_string(),
            lang.t(if c.required {
                "import-notes-yes"
            } else {
                "import-notes-no"
            }),
            c.note.map(|k| lang.t(k)).unwrap_or_default(),
        ]);
    }
    lines
}

async fn export(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ExportQuery>,
    kind: ImportKind,
    format: tabular::Format,
) -> AppResult<Response> {
    let lang = caller.lang;
    let template = q
        .template
        .as_deref()
        .is_some_and(|t| t == "1" || t == "true");
    let heads = headers(kind, lang);
    let sheet_name = lang.t(kind.label_key());
    let (rows, shown) = if template {
        caller.require(Need::Read)?;
        (Vec::new(), 0)
    } else {
        export_rows(&state.db, &caller, kind).await?
    };
    let body = match format {
        tabular::Format::Xlsx if template => {
            let notes = notes(kind, lang);
            let title = lang.t("import-notes-sheet");
            tabular::write_xlsx_with_notes(&sheet_name, &heads, &rows, Some((&title, &notes)))
                .map_err(|e| AppError::Internal(e.into()))?
        }
        tabular::Format::Xlsx => tabular::write_xlsx(&sheet_name, &heads, &rows)
            .map_err(|e| AppError::Internal(e.into()))?,
        tabular::Format::Csv => tabular::write_csv(&heads, &rows),
    };
    let (ext, mime) = match format {
        tabular::Format::Xlsx => (
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        tabular::Format::Csv => ("csv", "text/csv; charset=utf-8"),
    };
    let stem = if template {
        format!("{}-template", kind.as_str())
    } else {
        format!(
            "{}-{}",
            kind.as_str(),
            // The date in China Standard Time.
            (chrono::Utc::now() + chrono::TimeDelta::hours(8)).format("%Y%m%d")
        )
    };
    if !template {
        let e = Entry::by(&caller, caller.home_org, Action::Export)
            .target(format!("export:{}.{ext}", kind.as_str()))
            .detail(format!(
                "{} rows, {shown} with phone numbers shown",
                rows.len()
            ));
        audit::store::record(state.db.pool(), &e).await?;
    }
    let disposition = format!("attachment; filename=\"{stem}.{ext}\"");
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
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
/// and the preview with every row error.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ImportErrorBody {
    pub error: ErrorDetail,
    pub preview: Preview,
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
        preview,
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
        (status = 413, body = crate::web::errors::ErrorBody),
        (status = 403, body = crate::web::errors::ErrorBody)))]
pub async fn api_import(
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
        (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_commit(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_document_describes_the_import_paths() {
        let doc = ApiDoc::openapi();
        let json = serde_json::to_value(&doc).unwrap();
        let paths = json["paths"].as_object().unwrap();
        assert!(paths.contains_key("/api/v1/import/{kind}"));
        assert!(paths.contains_key("/api/v1/imports/{id}/commit"));
        let body = &paths["/api/v1/import/{kind}"]["post"]["requestBody"]["content"];
        assert!(body.get("multipart/form-data").is_some(), "{body}");
    }
}
