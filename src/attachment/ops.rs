//! The use cases of attachments, shared by the pages and the API: access
//! through the owner (every request first loads the owning activity,
//! problem, campaign or plan through that module's scoped store read, so a
//! record the caller cannot read yields 404 for its attachments too),
//! uploading and deleting (each owns its transaction and audit entries), and
//! reading a file. No HTTP here.
//!
//! Uploading and deleting need the write right on the owner:
//! - activity: the caller's write scope contains the recording org;
//! - problem: the caller may act on it (owner org) or writes for the recording org;
//! - campaign: admin over the issuing org;
//! - plan: writer of the unit, while the plan may be edited (an active campaign,
//!   a plan not under review or accepted), so a submitted plan's document does
//!   not change under the reviewer.

use super::{Attachment, FileType, Owner, OwnerKind, ThumbError, store};
use crate::{
    activity,
    audit::{Action, Audited, Entry},
    auth::{Caller, Need},
    campaign::{
        self, CampaignStatus,
        plan::{self as plan_rules, PlanAction},
    },
    config::{Settings, UploadSettings},
    db::{ActivityId, AttachmentId, CampaignId, Db, OrgId, PlanId, ProblemId},
    error::{AppError, AppResult, FieldError},
    problem,
};

/// The owning record as this caller sees it.
pub struct Resolved {
    /// The org the attachment rows belong to.
    pub org: OrgId,
    /// The owner's page.
    pub back: String,
    /// Whether the caller may upload and delete.
    pub writable: bool,
}

/// Loads the owner through its module's scoped read: 404 when the caller cannot read it.
pub async fn resolve(db: &Db, caller: &Caller, owner: Owner) -> AppResult<Resolved> {
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
pub async fn readable(
    db: &Db,
    caller: &Caller,
    id: AttachmentId,
) -> AppResult<(Attachment, Resolved)> {
    let a = store::get_unchecked(db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let r = resolve(
        db,
        caller,
        Owner {
            kind: a.owner_kind,
            id: a.owner_id,
        },
    )
    .await?;
    Ok((a, r))
}

/// A file checked and ready to store.
pub struct Ready {
    new: store::NewFile,
    bytes: Vec<u8>,
    thumb: Option<Vec<u8>>,
}

/// Checks every file (type from content, name agreeing, thumbnail for photos);
/// refuses them all, naming each bad file, if any is bad.
pub async fn check(u: &UploadSettings, files: Vec<(String, Vec<u8>)>) -> AppResult<Vec<Ready>> {
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
    db: &Db,
    dir: &std::path::Path,
    caller: &Caller,
    owner: Owner,
    r: &Resolved,
    ready: Vec<Ready>,
) -> AppResult<Vec<AttachmentId>> {
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
    let mut tx = Audited::begin(db).await?;
    let mut ids = Vec::new();
    let mut entries = Vec::new();
    for f in &ready {
        let id = store::insert(&mut tx, r.org, owner, &f.new, caller.user_id).await?;
        let entry = Entry::by(caller, r.org, Action::AttachmentUploaded)
            .target(format!("{}:{}", owner.kind.as_str(), owner.id))
            .detail(format!(
                "attachment:{id} {} ({} bytes, sha256 {})",
                f.new.filename, f.new.size_bytes, f.new.sha256
            ));
        entries.push(entry);
        ids.push(id);
    }
    tx.commit(entries).await?;
    Ok(ids)
}

/// Uploads files to an owner the caller may write, after reading the form:
/// owner access, every file checked (all refused if one is), then storage.
pub async fn upload(
    db: &Db,
    settings: &Settings,
    caller: &Caller,
    owner: Owner,
    files: Vec<(String, Vec<u8>)>,
) -> AppResult<(Resolved, Vec<AttachmentId>)> {
    let r = resolve(db, caller, owner).await?;
    if !r.writable {
        return Err(AppError::Forbidden);
    }
    let ready = check(&settings.uploads, files).await?;
    let ids = store_all(db, &settings.data_dir, caller, owner, &r, ready).await?;
    Ok((r, ids))
}

/// Deletes an attachment the caller may write; returns the owner's page.
pub async fn remove(
    db: &Db,
    dir: &std::path::Path,
    caller: &Caller,
    id: AttachmentId,
) -> AppResult<String> {
    let (a, r) = readable(db, caller, id).await?;
    if !r.writable {
        return Err(AppError::Forbidden);
    }
    let _files = store::lock().await;
    let mut tx = Audited::begin(db).await?;
    let still_used = store::delete(&mut tx, id, &a.sha256).await?;
    let entry = Entry::by(caller, r.org, Action::AttachmentDeleted)
        .target(format!("{}:{}", a.owner_kind.as_str(), a.owner_id))
        .detail(format!("attachment:{id} {}", a.filename));
    tx.commit([entry]).await?;
    if !still_used && let Err(e) = store::remove_files(dir, &a.sha256).await {
        // The row is gone; a leftover file is harmless and logged once here.
        tracing::warn!(error = %e, attachment.sha256 = %a.sha256, "could not remove an attachment file");
    }
    Ok(r.back)
}

/// What of an attachment is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bytes {
    /// The file as uploaded.
    File,
    /// The thumbnail of a photo (404 for a document).
    Thumbnail,
}

/// An attachment's file or thumbnail, for a caller who reads its owner.
pub async fn read(
    db: &Db,
    dir: &std::path::Path,
    caller: &Caller,
    id: AttachmentId,
    what: Bytes,
) -> AppResult<(Attachment, Vec<u8>)> {
    let (a, _) = readable(db, caller, id).await?;
    let path = match what {
        Bytes::File => store::file_path(dir, &a.sha256),
        Bytes::Thumbnail if a.has_thumbnail => store::thumb_path(dir, &a.sha256),
        Bytes::Thumbnail => None,
    }
    .ok_or(AppError::NotFound)?;
    let bytes = store::read(&path).await?;
    Ok((a, bytes))
}
