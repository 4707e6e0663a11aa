//! The attachment pages: the panel the owners' pages show, the upload form's
//! POST and the delete button's. Writes go through `ops`, like the API's.

use askama::Template;
use axum::{
    extract::{Multipart, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};

use super::{
    Attachment, FileType, Owner,
    api::{Incoming, ReadError, read_form},
    ops, store,
};
use crate::{
    auth::Caller,
    db::AttachmentId,
    error::{AppError, AppResult},
    web::{
        AppState, Path,
        page::{Chrome, render},
    },
};

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
    let r = ops::resolve(&state.db, caller, owner).await?;
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

/// `POST /attachments`: the upload form of an owner's page.
pub(super) async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    mut form: Multipart,
) -> AppResult<Response> {
    let u = &state.settings.uploads;
    let mut incoming = Incoming::default();
    let read = read_form(&mut form, u, &mut incoming).await;
    // Where to go back to, if the owner is readable (the form sends it before the files).
    let back =
        match super::parse_owner(incoming.owner_kind.as_deref(), incoming.owner_id.as_deref()) {
            Ok(owner) => ops::resolve(&state.db, &caller, owner).await?.back,
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
    let uploaded =
        match super::parse_owner(incoming.owner_kind.as_deref(), incoming.owner_id.as_deref()) {
            Ok(owner) => {
                ops::upload(&state.db, &state.settings, &caller, owner, incoming.files).await
            }
            Err(e) => Err(e),
        };
    match uploaded {
        Ok((r, _)) => Ok(Redirect::to(&format!("{}#attachments", r.back)).into_response()),
        Err(AppError::Validation(fs)) => refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            fs.iter().map(|f| f.message(caller.lang)).collect(),
        ),
        Err(e) => Err(e),
    }
}

/// `POST /attachments/{id}/delete`.
pub(super) async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<AttachmentId>,
) -> AppResult<Response> {
    let back = ops::remove(&state.db, &state.settings.data_dir, &caller, id).await?;
    Ok(Redirect::to(&format!("{back}#attachments")).into_response())
}
