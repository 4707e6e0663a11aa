//! Attachment routes: upload (pages and `/api/v1/attachments`), list, metadata,
//! download, thumbnail and delete, and the panel model the owners' pages show.
//!
//! Access is the owner's: every request first loads the owning activity,
//! problem, campaign or plan through that module's scoped store read, so a
//! record the caller cannot read yields 404 for its attachments too. Uploading
//! and deleting need the write right on the owner:
//! - activity: the caller's write scope contains the recording org;
//! - problem: the caller may act on it (owner org) or writes for the recording org;
//! - campaign: admin over the issuing org;
//! - plan: writer of the unit, while the plan may be edited (an active campaign,
//!   a plan not under review or accepted), so a submitted plan's document does
//!   not change under the reviewer.

use askama::Template;
use axum::{
    Json, Router,
    extract::{DefaultBodyLimit, Multipart, Path, Query, State, multipart::MultipartError},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use serde::{Deserialize, Serialize};
use utoipa::OpenApi;

use super::{Attachment, FileType, Owner, OwnerKind, ThumbError, store};
use crate::{
    activity,
    audit::{self, Action, Entry},
    auth::{Caller, Need},
    campaign::{
        self, CampaignStatus,
        plan::{self as plan_rules, PlanAction},
    },
    config::UploadSettings,
    db::{ActivityId, AttachmentId, CampaignId, OrgId, PlanId, ProblemId},
    error::{AppError, AppResult, FieldError},
    problem,
    web::{
        AppState,
        download::attachment as download_file,
        page::{Chrome, render},
    },
};

/// The routes of this module. Upload routes accept up to `max_files` files of
/// `max_file_bytes` each (plus the form's own fields); everything else keeps
/// the app's default body limit.
pub fn routes(uploads: &UploadSettings) -> Router<AppState> {
    let limit = uploads
        .max_file_bytes
        .saturating_mul(uploads.max_files.max(1))
        .saturating_add(256 * 1024);
    Router::new()
        .route(
            "/attachments",
            post(upload_page).layer(DefaultBodyLimit::max(limit)),
        )
        .route("/attachments/{id}/file", get(download))
        .route("/attachments/{id}/thumb", get(thumbnail))
        .route("/attachments/{id}/delete", post(delete_page))
        .route(
            "/api/v1/attachments",
            get(api_list)
                .post(api_upload)
                .layer(DefaultBodyLimit::max(limit)),
        )
        .route("/api/v1/attachments/{id}", get(api_get).delete(api_delete))
        .route("/api/v1/attachments/{id}/file", get(api_download))
        .route("/api/v1/attachments/{id}/thumbnail", get(api_thumbnail))
}

/// This module's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(api_upload, api_list, api_get, api_download, api_thumbnail, api_delete),
    components(schemas(Attachment, OwnerKind, AttachmentList, UploadForm)),
    tags((name = "attachments", description = "Photos and documents of activities, problems, campaigns and implementation plans"))
)]
pub struct ApiDoc;

// ---- access ----

/// The owning record as this caller sees it.
struct Resolved {
    /// The org the attachment rows belong to.
    org: OrgId,
    /// The owner's page.
    back: String,
    /// Whether the caller may upload and delete.
    writable: bool,
}

/// Loads the owner through its module's scoped read: 404 when the caller cannot read it.
async fn resolve(state: &AppState, caller: &Caller, owner: Owner) -> AppResult<Resolved> {
    let db = &state.db;
    let read = caller.scope(Need::Read);
    let write = caller.scope(Need::Write);
    match owner.kind {
        OwnerKind::Activity => {
            let a = activity::store::get(db, &read, ActivityId(owner.id))
                .await?
                .ok_or(AppError::NotFound)?;
            Ok(Resolved {
                org: a.org_id,
                back: format!("/activities/{}", a.id),
                writable: write.contains(db, a.org_id).await?,
            })
        }
        OwnerKind::Problem => {
            let p = problem::store::get(db, &read, ProblemId(owner.id))
                .await?
                .ok_or(AppError::NotFound)?;
            let writable =
                write.contains(db, p.owner_org_id).await? || write.contains(db, p.org_id).await?;
            Ok(Resolved {
                org: p.org_id,
                back: format!("/problems/{}", p.id),
                writable,
            })
        }
        OwnerKind::Campaign => {
            let c = campaign::store::get(db, &read, CampaignId(owner.id))
                .await?
                .ok_or(AppError::NotFound)?;
            Ok(Resolved {
                org: c.org_id,
                back: format!("/campaigns/{}", c.id),
                writable: caller.scope(Need::Admin).contains(db, c.org_id).await?,
            })
        }
        OwnerKind::Plan => {
            let (cid, unit) = store::plan_key(db, PlanId(owner.id))
                .await?
                .ok_or(AppError::NotFound)?;
            let c = campaign::store::get(db, &read, cid)
                .await?
                .ok_or(AppError::NotFound)?;
            // As on the plan page: readers of the issuing org, or readers related to the unit.
            if !read.contains(db, c.org_id).await?
                && !campaign::store::units(db, cid, Some(&read))
                    .await?
                    .iter()
                    .any(|u| u.org_id == unit)
            {
                return Err(AppError::NotFound);
            }
            let plan = campaign::store::plan(db, cid, unit).await?;
            let writable = write.contains(db, unit).await?
                && c.status == CampaignStatus::Active
                && plan_rules::transition(plan.status, &PlanAction::Save).is_ok();
            Ok(Resolved {
                org: unit,
                back: format!("/campaigns/{cid}/plans/{unit}"),
                writable,
            })
        }
    }
}

/// An attachment whose owner the caller reads, else 404.
async fn readable(
    state: &AppState,
    caller: &Caller,
    id: AttachmentId,
) -> AppResult<(Attachment, Resolved)> {
    let a = store::get_unchecked(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let r = resolve(
        state,
        caller,
        Owner {
            kind: a.owner_kind,
            id: a.owner_id,
        },
    )
    .await?;
    Ok((a, r))
}

/// Reads `owner_kind` and `owner_id` as given by a form or a query.
fn parse_owner(kind: Option<&str>, id: Option<&str>) -> AppResult<Owner> {
    let mut errs = Vec::new();
    let kind = kind.and_then(OwnerKind::parse);
    if kind.is_none() {
        errs.push(FieldError::new("owner_kind", "err-attachment-owner"));
    }
    let id = id
        .and_then(|s| s.trim().parse::<i64>().ok())
        .filter(|i| *i > 0);
    if id.is_none() {
        errs.push(FieldError::new("owner_id", "err-attachment-owner"));
    }
    match (kind, id) {
        (Some(kind), Some(id)) => Ok(Owner { kind, id }),
        _ => Err(AppError::Validation(errs)),
    }
}

// ---- upload ----

/// What an upload form carried.
#[derive(Default)]
struct Incoming {
    owner_kind: Option<String>,
    owner_id: Option<String>,
    files: Vec<(String, Vec<u8>)>,
}

/// Why reading the form stopped.
enum ReadError {
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
async fn read_form(
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

/// A file checked and ready to store.
struct Ready {
    new: store::NewFile,
    bytes: Vec<u8>,
    thumb: Option<Vec<u8>>,
}

/// Checks every file (type from content, name agreeing, thumbnail for photos);
/// refuses them all, naming each bad file, if any is bad.
async fn check(u: &UploadSettings, files: Vec<(String, Vec<u8>)>) -> AppResult<Vec<Ready>> {
    if files.is_empty() {
        return Err(AppError::field("file", "err-required"));
    }
    let allowed = FileType::parse_list(&u.allowed_types);
    let mut errs = Vec::new();
    let mut ready = Vec::new();
    for (name, bytes) in files {
        if bytes.is_empty() {
            errs.push(FieldError::new("file", "err-attachment-empty").arg("name", &name));
            continue;
        }
        let (ty, name) = match super::classify(&name, &bytes, &allowed) {
            Ok(v) => v,
            Err(e) => {
                errs.push(e);
                continue;
            }
        };
        let (bytes, thumb) = if ty.is_image() {
            let (side, pixels) = (u.thumbnail_px, u.max_image_pixels);
            let (bytes, made) = tokio::task::spawn_blocking(move || {
                let t = super::thumbnail(&bytes, side, pixels);
                (bytes, t)
            })
            .await
            .map_err(|e| AppError::Internal(e.into()))?;
            match made {
                Ok(t) => (bytes, Some(t.bytes)),
                Err(ThumbError::TooLarge) => {
                    errs.push(
                        FieldError::new("file", "err-attachment-image-too-large")
                            .arg("name", &name),
                    );
                    continue;
                }
                Err(ThumbError::Unreadable) => {
                    errs.push(
                        FieldError::new("file", "err-attachment-unreadable").arg("name", &name),
                    );
                    continue;
                }
            }
        } else {
            (bytes, None)
        };
        ready.push(Ready {
            new: store::NewFile {
                filename: name,
                file_type: ty,
                size_bytes: bytes.len() as i64,
                sha256: super::sha256_hex(&bytes),
                has_thumbnail: thumb.is_some(),
            },
            bytes,
            thumb,
        });
    }
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    Ok(ready)
}

/// Stores checked files for an owner the caller may write: files first (once
/// per hash), then the rows and their audit entries in one transaction.
async fn store_all(
    state: &AppState,
    caller: &Caller,
    owner: Owner,
    r: &Resolved,
    ready: Vec<Ready>,
) -> AppResult<Vec<AttachmentId>> {
    let dir = &state.settings.data_dir;
    let _files = store::lock().await;
    for f in &ready {
        let path = store::file_path(dir, &f.new.sha256).ok_or(AppError::NotFound)?;
        store::put(dir, &path, &f.bytes)
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("storing an attachment: {e}")))?;
        if let Some(t) = &f.thumb {
            let path = store::thumb_path(dir, &f.new.sha256).ok_or(AppError::NotFound)?;
            store::put(dir, &path, t)
                .await
                .map_err(|e| AppError::Internal(anyhow::anyhow!("storing a thumbnail: {e}")))?;
        }
    }
    let mut tx = state.db.begin().await?;
    let mut ids = Vec::new();
    for f in &ready {
        let id = store::insert(&mut tx, r.org, owner, &f.new, caller.user_id).await?;
        let entry = Entry::by(caller, r.org, Action::AttachmentUploaded)
            .target(format!("{}:{}", owner.kind.as_str(), owner.id))
            .detail(format!(
                "attachment:{id} {} ({} bytes, sha256 {})",
                f.new.filename, f.new.size_bytes, f.new.sha256
            ));
        audit::store::record(&mut *tx, &entry).await?;
        ids.push(id);
    }
    tx.commit().await?;
    Ok(ids)
}

/// The whole upload after the form is read: owner access, checks, storage.
async fn accept(
    state: &AppState,
    caller: &Caller,
    incoming: Incoming,
) -> AppResult<(Resolved, Vec<AttachmentId>)> {
    let owner = parse_owner(incoming.owner_kind.as_deref(), incoming.owner_id.as_deref())?;
    let r = resolve(state, caller, owner).await?;
    if !r.writable {
        return Err(AppError::Forbidden);
    }
    let ready = check(&state.settings.uploads, incoming.files).await?;
    let ids = store_all(state, caller, owner, &r, ready).await?;
    Ok((r, ids))
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
        (status = 422, description = "a file of a refused type, a name that disagrees with the content, an unreadable or oversized image", body = crate::web::errors::ErrorBody),
        (status = 413, description = "a file over uploads.max_file_bytes", body = crate::web::errors::ErrorBody),
        (status = 403, body = crate::web::errors::ErrorBody), (status = 404, body = crate::web::errors::ErrorBody)),
    security(("bearer" = [])))]
async fn api_upload(
    State(state): State<AppState>,
    caller: Caller,
    mut form: Multipart,
) -> AppResult<Response> {
    let mut incoming = Incoming::default();
    read_form(&mut form, &state.settings.uploads, &mut incoming).await?;
    let (_, ids) = accept(&state, &caller, incoming).await?;
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
    responses((status = 200, body = AttachmentList), (status = 404), (status = 422, body = crate::web::errors::ErrorBody)),
    security(("bearer" = [])))]
async fn api_list(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<OwnerParams>,
) -> AppResult<Json<AttachmentList>> {
    let owner = parse_owner(q.owner_kind.as_deref(), q.owner_id.as_deref())?;
    resolve(&state, &caller, owner).await?;
    Ok(Json(AttachmentList {
        items: store::list(&state.db, owner).await?,
    }))
}

/// One attachment's metadata.
#[utoipa::path(get, path = "/api/v1/attachments/{id}", tag = "attachments", params(("id" = i64, Path)),
    responses((status = 200, body = Attachment), (status = 404)), security(("bearer" = [])))]
async fn api_get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<AttachmentId>,
) -> AppResult<Json<Attachment>> {
    Ok(Json(readable(&state, &caller, id).await?.0))
}

/// The file: photos inline with their own type, documents as a download.
#[utoipa::path(get, path = "/api/v1/attachments/{id}/file", tag = "attachments", params(("id" = i64, Path)),
    responses((status = 200, description = "the bytes"), (status = 404)), security(("bearer" = [])))]
async fn api_download(
    state: State<AppState>,
    caller: Caller,
    id: Path<AttachmentId>,
) -> AppResult<Response> {
    download(state, caller, id).await
}

/// The thumbnail of a photo (JPEG, or PNG when it has transparency).
#[utoipa::path(get, path = "/api/v1/attachments/{id}/thumbnail", tag = "attachments", params(("id" = i64, Path)),
    responses((status = 200, description = "the thumbnail"), (status = 404)), security(("bearer" = [])))]
async fn api_thumbnail(
    state: State<AppState>,
    caller: Caller,
    id: Path<AttachmentId>,
) -> AppResult<Response> {
    thumbnail(state, caller, id).await
}

/// Delete an attachment. Its file goes when no other record attaches the same content.
#[utoipa::path(delete, path = "/api/v1/attachments/{id}", tag = "attachments", params(("id" = i64, Path)),
    responses((status = 204), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn api_delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<AttachmentId>,
) -> AppResult<StatusCode> {
    remove(&state, &caller, id).await?;
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

async fn download(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<AttachmentId>,
) -> AppResult<Response> {
    let (a, _) = readable(&state, &caller, id).await?;
    let path = store::file_path(&state.settings.data_dir, &a.sha256).ok_or(AppError::NotFound)?;
    let bytes = store::read(&path).await?;
    Ok(match FileType::from_mime(&a.mime) {
        Some(t) if t.is_image() => inline(bytes, &a.filename, t.mime()),
        Some(t) => download_file(bytes, &a.filename, t.mime()),
        None => download_file(bytes, &a.filename, "application/octet-stream"),
    })
}

async fn thumbnail(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<AttachmentId>,
) -> AppResult<Response> {
    let (a, _) = readable(&state, &caller, id).await?;
    if !a.has_thumbnail {
        return Err(AppError::NotFound);
    }
    let path = store::thumb_path(&state.settings.data_dir, &a.sha256).ok_or(AppError::NotFound)?;
    let bytes = store::read(&path).await?;
    let mime = super::thumbnail_mime(&bytes);
    Ok(inline(bytes, &a.filename, mime))
}

/// Deletes an attachment the caller may write; returns the owner's page.
async fn remove(state: &AppState, caller: &Caller, id: AttachmentId) -> AppResult<String> {
    let (a, r) = readable(state, caller, id).await?;
    if !r.writable {
        return Err(AppError::Forbidden);
    }
    let _files = store::lock().await;
    let mut tx = state.db.begin().await?;
    let still_used = store::delete(&mut tx, id, &a.sha256).await?;
    let entry = Entry::by(caller, r.org, Action::AttachmentDeleted)
        .target(format!("{}:{}", a.owner_kind.as_str(), a.owner_id))
        .detail(format!("attachment:{id} {}", a.filename));
    audit::store::record(&mut *tx, &entry).await?;
    tx.commit().await?;
    if !still_used && let Err(e) = store::remove_files(&state.settings.data_dir, &a.sha256).await {
        // The row is gone; a leftover file is harmless and logged once here.
        tracing::warn!(error = %e, attachment.sha256 = %a.sha256, "could not remove an attachment file");
    }
    Ok(r.back)
}

// ---- pages ----

/// The attachments block of an owner's page (`{% include "attachment/_panel.html" %}`).
#[derive(Debug)]
pub struct Panel {
    pub owner_kind: &'static str,
    pub owner_id: i64,
    pub images: Vec<Attachment>,
    pub documents: Vec<Attachment>,
    pub can_write: bool,
    /// The owner does not exist yet (a plan never saved): nothing to attach to.
    pub pending: bool,
    /// "JPEG, PNG … at most 10 MB each", in the caller's language.
    pub limits: String,
    /// The `accept` attribute of the document input.
    pub accept: String,
    /// The `accept` attribute of the photo input.
    pub accept_images: String,
}

impl Panel {
    /// How many attachments there are.
    pub fn count(&self) -> usize {
        self.images.len() + self.documents.len()
    }
}

/// The panel of an owner the caller has already been shown (its page loaded it).
/// `None` for a plan that has no row yet.
pub async fn panel(state: &AppState, caller: &Caller, owner: Option<Owner>) -> AppResult<Panel> {
    let u = &state.settings.uploads;
    let allowed = FileType::parse_list(&u.allowed_types);
    let labels: Vec<&str> = allowed.iter().map(|t| t.label()).collect();
    let limits = caller.lang.ta(
        "att-limits",
        &[
            ("types", labels.join(", ")),
            ("size", super::human_size(u.max_file_bytes as i64)),
            ("files", u.max_files.to_string()),
        ],
    );
    let accept = allowed
        .iter()
        .map(|t| {
            if t.is_image() {
                t.mime().to_string()
            } else {
                format!(".{}", t.extensions()[0])
            }
        })
        .collect::<Vec<_>>()
        .join(",");
    let accept_images = allowed
        .iter()
        .filter(|t| t.is_image())
        .map(|t| t.mime())
        .collect::<Vec<_>>()
        .join(",");
    let mut p = Panel {
        owner_kind: owner.map_or("plan", |o| o.kind.as_str()),
        owner_id: owner.map_or(0, |o| o.id),
        images: Vec::new(),
        documents: Vec::new(),
        can_write: false,
        pending: owner.is_none(),
        limits,
        accept,
        accept_images,
    };
    let Some(owner) = owner else {
        return Ok(p);
    };
    let r = resolve(state, caller, owner).await?;
    p.can_write = r.writable;
    for a in store::list(&state.db, owner).await? {
        if a.is_image && a.has_thumbnail {
            p.images.push(a);
        } else {
            p.documents.push(a);
        }
    }
    Ok(p)
}

/// The page shown when an upload from a page is refused.
#[derive(Template)]
#[template(path = "attachment/refused.html")]
struct RefusedPage {
    c: Chrome,
    messages: Vec<String>,
    back: String,
}

async fn upload_page(
    State(state): State<AppState>,
    caller: Caller,
    mut form: Multipart,
) -> AppResult<Response> {
    let u = &state.settings.uploads;
    let mut incoming = Incoming::default();
    let read = read_form(&mut form, u, &mut incoming).await;
    // Where to go back to, if the owner is readable (the form sends it before the files).
    let back = match parse_owner(incoming.owner_kind.as_deref(), incoming.owner_id.as_deref()) {
        Ok(owner) => resolve(&state, &caller, owner).await?.back,
        Err(_) => "/".to_string(),
    };
    let refused = |status: StatusCode, messages: Vec<String>| -> AppResult<Response> {
        let page = RefusedPage {
            c: Chrome::for_caller(&caller, "/attachments"),
            messages,
            back: back.clone(),
        };
        Ok((status, render(page)?).into_response())
    };
    match read {
        Ok(()) => {}
        Err(ReadError::TooLarge(name)) => {
            let name = if name.is_empty() {
                caller.lang.t("field-file")
            } else {
                name
            };
            let size = super::human_size(u.max_file_bytes as i64);
            let msg = caller.lang.ta(
                "err-attachment-too-large",
                &[("name", name), ("size", size)],
            );
            // 422, not 413: `web::errors` answers every bare 413 with its generic page,
            // and this page names the file and the limit.
            return refused(StatusCode::UNPROCESSABLE_ENTITY, vec![msg]);
        }
        Err(ReadError::Other(AppError::Validation(fs))) => {
            return refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                fs.iter().map(|f| f.message(caller.lang)).collect(),
            );
        }
        Err(ReadError::Other(e)) => return Err(e),
    }
    match accept(&state, &caller, incoming).await {
        Ok((r, _)) => Ok(Redirect::to(&format!("{}#attachments", r.back)).into_response()),
        Err(AppError::Validation(fs)) => refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            fs.iter().map(|f| f.message(caller.lang)).collect(),
        ),
        Err(e) => Err(e),
    }
}

async fn delete_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<AttachmentId>,
) -> AppResult<Response> {
    let back = remove(&state, &caller, id).await?;
    Ok(Redirect::to(&format!("{back}#attachments")).into_response())
}
