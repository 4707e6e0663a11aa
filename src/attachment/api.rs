//! The attachment API under `/api/v1/attachments` (upload, list, metadata,
//! the file and its thumbnail, delete) and the domain's router. Pages link
//! to the files here: a session cookie or a bearer token both reach them.

use axum::{
    extract::{DefaultBodyLimit, Multipart, State, multipart::MultipartError},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::post,
};
use serde::{Deserialize, Serialize};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{Attachment, FileType, OwnerKind, ops, pages, store};
use crate::{
    auth::Caller,
    config::UploadSettings,
    db::AttachmentId,
    error::{AppError, AppResult, FieldError},
    web::{
        AppState, Json, Path, Query, download::attachment as download_file, errors::ErrorBody,
        openapi,
    },
};

/// Every route of attachments, pages and API: one `routes!` per API path, then the pages.
pub fn router() -> OpenApiRouter<AppState> {
    openapi::domain(
        "attachments",
        "Photos and documents of activities, problems, campaigns and implementation plans",
    )
    .routes(routes!(api_list, api_upload))
    .routes(routes!(api_get, api_delete))
    .routes(routes!(api_download))
    .routes(routes!(api_thumbnail))
    .route("/attachments", post(pages::upload))
    .route("/attachments/{id}/delete", post(pages::delete))
}

/// The body limit of the routes that upload: up to `max_files` files of
/// `max_file_bytes` each, plus the form's own fields ([`crate::web::router`]
/// lays it over this domain's routes; the others keep the app's default).
pub fn upload_limit(uploads: &UploadSettings) -> DefaultBodyLimit {
    DefaultBodyLimit::max(
        uploads
            .max_file_bytes
            .saturating_mul(uploads.max_files.max(1))
            .saturating_add(256 * 1024),
    )
}

/// What an upload form carried.
#[derive(Default)]
pub(super) struct Incoming {
    pub(super) owner_kind: Option<String>,
    pub(super) owner_id: Option<String>,
    pub(super) files: Vec<(String, Vec<u8>)>,
}

/// Why reading the form stopped.
pub(super) enum ReadError {
    /// A file grew past the limit (its name, when the browser sent one).
    TooLarge(String),
    Other(AppError),
}

impl From<ReadError> for AppError {
    fn from(e: ReadError) -> Self {
        match e {
            ReadError::TooLarge(_) => AppError::TooLarge,
            ReadError::Other(e) => e,
        }
    }
}

fn multipart_error(e: MultipartError) -> ReadError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ReadError::TooLarge(String::new())
    } else {
        ReadError::Other(AppError::BadRequest("malformed multipart body"))
    }
}

/// Reads the form, refusing a file as soon as it grows past the limit and a
/// form with more files than allowed. Empty file inputs (nothing chosen) are skipped.
pub(super) async fn read_form(
    form: &mut Multipart,
    u: &UploadSettings,
    into: &mut Incoming,
) -> Result<(), ReadError> {
    while let Some(mut field) = form.next_field().await.map_err(multipart_error)? {
        match field.name() {
            Some("owner_kind") => {
                into.owner_kind = Some(field.text().await.map_err(multipart_error)?);
            }
            Some("owner_id") => into.owner_id = Some(field.text().await.map_err(multipart_error)?),
            Some("file") => {
                let raw = field.file_name().unwrap_or("").to_string();
                let name = super::clean_name(&raw);
                let mut bytes = Vec::new();
                while let Some(chunk) =
                    field.chunk().await.map_err(|e| match multipart_error(e) {
                        ReadError::TooLarge(_) => ReadError::TooLarge(name.clone()),
                        e => e,
                    })?
                {
                    if bytes.len() + chunk.len() > u.max_file_bytes {
                        return Err(ReadError::TooLarge(name));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                // An `<input type=file>` left empty sends a part with no name and no bytes.
                if bytes.is_empty() && raw.is_empty() {
                    continue;
                }
                if into.files.len() >= u.max_files {
                    return Err(ReadError::Other(AppError::Validation(vec![
                        FieldError::new("file", "err-attachment-too-many").arg("max", u.max_files),
                    ])));
                }
                into.files.push((name, bytes));
            }
            _ => {}
        }
    }
    Ok(())
}

/// The upload form of the API (`multipart/form-data`).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
#[schema(as = AttachmentUpload)]
pub struct UploadForm {
    owner_kind: OwnerKind,
    /// The activity, problem, campaign or plan id.
    owner_id: i64,
    /// One or more files (repeat the field). Photos: JPEG, PNG, WebP; documents:
    /// PDF, DOCX, XLSX, DOC, XLS, TXT. The type is read from the content and
    /// must agree with the name's extension.
    #[schema(value_type = Vec<String>, format = Binary)]
    file: Vec<Vec<u8>>,
}

/// Attachments of one record.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AttachmentList {
    pub items: Vec<Attachment>,
}

/// Upload photos or documents to an activity, problem, campaign or plan.
/// Every file is checked first; if any is refused, none is stored and each
/// refusal names its file.
#[utoipa::path(post, path = "/api/v1/attachments", tag = "attachments",
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, body = AttachmentList),
        (status = 422, description = "a file of a refused type, a name that disagrees with the content, an unreadable or oversized image", body = ErrorBody),
        (status = 413, description = "a file over uploads.max_file_bytes", body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_upload(
    State(state): State<AppState>,
    caller: Caller,
    mut form: Multipart,
) -> AppResult<Response> {
    let mut incoming = Incoming::default();
    read_form(&mut form, &state.settings.uploads, &mut incoming).await?;
    let owner = super::parse_owner(incoming.owner_kind.as_deref(), incoming.owner_id.as_deref())?;
    let (_, ids) = ops::upload(&state.db, &state.settings, &caller, owner, incoming.files).await?;
    let mut items = Vec::new();
    for id in ids {
        if let Some(a) = store::get_unchecked(&state.db, id).await? {
            items.push(a);
        }
    }
    Ok((StatusCode::CREATED, Json(AttachmentList { items })).into_response())
}

/// Query naming an owner.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OwnerParams {
    /// activity, problem, campaign or plan.
    pub owner_kind: Option<String>,
    /// The owner's id.
    #[param(value_type = Option<i64>)]
    pub owner_id: Option<String>,
}

/// The attachments of a record the caller reads, oldest first.
#[utoipa::path(get, path = "/api/v1/attachments", tag = "attachments", params(OwnerParams),
    responses((status = 200, body = AttachmentList), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_list(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<OwnerParams>,
) -> AppResult<Json<AttachmentList>> {
    let owner = super::parse_owner(q.owner_kind.as_deref(), q.owner_id.as_deref())?;
    ops::resolve(&state.db, &caller, owner).await?;
    Ok(Json(AttachmentList {
        items: store::list(&state.db, owner).await?,
    }))
}

/// One attachment's metadata.
#[utoipa::path(get, path = "/api/v1/attachments/{id}", tag = "attachments", params(("id" = i64, Path)),
    responses((status = 200, body = Attachment), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn api_get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<AttachmentId>,
) -> AppResult<Json<Attachment>> {
    Ok(Json(ops::readable(&state.db, &caller, id).await?.0))
}

/// The file: photos inline with their own type, documents as a download.
#[utoipa::path(get, path = "/api/v1/attachments/{id}/file", tag = "attachments", params(("id" = i64, Path)),
    responses((status = 200, description = "the bytes, with the type read from the content at upload",
            content(("image/jpeg"), ("image/png"), ("image/webp"), ("application/pdf"),
                ("application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
                ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                ("application/msword"), ("application/vnd.ms-excel"), ("text/plain"),
                ("application/octet-stream"))),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_download(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<AttachmentId>,
) -> AppResult<Response> {
    let (a, bytes) = ops::read(
        &state.db,
        &state.settings.data_dir,
        &caller,
        id,
        ops::Bytes::File,
    )
    .await?;
    Ok(match FileType::from_mime(&a.mime) {
        Some(t) if t.is_image() => inline(bytes, &a.filename, t.mime()),
        Some(t) => download_file(bytes, &a.filename, t.mime()),
        None => download_file(bytes, &a.filename, "application/octet-stream"),
    })
}

/// The thumbnail of a photo (JPEG, or PNG when it has transparency).
#[utoipa::path(get, path = "/api/v1/attachments/{id}/thumbnail", tag = "attachments", params(("id" = i64, Path)),
    responses((status = 200, description = "the thumbnail", content(("image/jpeg"), ("image/png"))),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_thumbnail(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<AttachmentId>,
) -> AppResult<Response> {
    let (a, bytes) = ops::read(
        &state.db,
        &state.settings.data_dir,
        &caller,
        id,
        ops::Bytes::Thumbnail,
    )
    .await?;
    let mime = super::thumbnail_mime(&bytes);
    Ok(inline(bytes, &a.filename, mime))
}

/// Delete an attachment. Its file goes when no other record attaches the same content.
#[utoipa::path(delete, path = "/api/v1/attachments/{id}", tag = "attachments", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn api_delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<AttachmentId>,
) -> AppResult<StatusCode> {
    ops::remove(&state.db, &state.settings.data_dir, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- files ----

/// A photo shown in the browser: its own content type (read from the content at
/// upload), `nosniff`, and a policy that lets nothing in it run.
fn inline(body: Vec<u8>, filename: &str, mime: &'static str) -> Response {
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; img-src 'self'; sandbox"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    let disposition = format!(
        "inline; filename*=UTF-8''{}",
        crate::web::errors::urlencode(filename)
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}
