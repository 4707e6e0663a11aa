//! The use cases of services, shared by the pages and the API: recording one
//! (the one write: its transaction and audit entry) and reading the list a
//! query asks for. No HTTP here: no `Form`, `Json` or `Html`.

use super::{ListParams, Saved, ServiceFields, ServiceFilter, ServicePage, store};
use crate::{
    activity::ActivityKind,
    audit::{Action, Audited, Entry},
    auth::{Caller, Need},
    db::Db,
    error::{AppError, AppResult, FieldError},
    web::form::Errors,
};

/// Records a service in one transaction with its audit entry; a retry (same
/// org and client id) returns the first record and writes nothing.
pub async fn record(db: &Db, caller: &Caller, f: &ServiceFields) -> AppResult<Saved> {
    let org = caller.recording_org(db, f.org_code.as_deref()).await?;
    let mut errs = Errors::default();
    if let Some(c) = f.campaign
        && !crate::activity::store::campaign_open_to(db, c, org).await?
    {
        errs.push(FieldError::new("campaign_id", "err-campaign-not-open"));
    }
    if let Some(a) = f.activity {
        match crate::activity::store::get(db, &caller.scope(Need::Write), a).await? {
            Some(act) if act.kind == ActivityKind::Service => {}
            Some(_) => errs.push(FieldError::new("activity_id", "err-svc-activity-kind")),
            None => errs.push(FieldError::new("activity_id", "err-svc-activity").arg("value", a)),
        }
    }
    errs.finish()?;
    let mut tx = Audited::begin(db).await?;
    let (id, created) = store::insert(&mut tx, org, f, caller.user_id).await?;
    let entry = created.then(|| {
        Entry::by(caller, org, Action::ServiceRecorded)
            .target(format!("service:{id}"))
            .detail(format!("{} {}", f.kind, f.amount_fen))
    });
    tx.commit(entry).await?;
    Ok(Saved { id, created })
}

/// The page of services a list query asks for, within the caller's read
/// scope, and the filter it was read as; an `org` outside the scope is not found.
pub async fn list(
    db: &Db,
    caller: &Caller,
    p: &ListParams,
) -> AppResult<(ServicePage, ServiceFilter)> {
    let scope = caller.require(Need::Read)?;
    let (filter, paging) = p.parse()?;
    if let Some(org) = filter.org {
        crate::org::store::get(db, &scope, org)
            .await?
            .ok_or(AppError::NotFound)?;
    }
    let (items, total) = store::list(db, &scope, &filter, paging.size, paging.offset()).await?;
    let page = ServicePage {
        items,
        total,
        page: paging.page,
        page_size: paging.size,
    };
    Ok((page, filter))
}
