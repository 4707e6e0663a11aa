//! The use cases of enterprises, shared by the pages and the API: the list a
//! query asks for, one enterprise as the caller may see it, and the writes
//! (each owns its transaction and audit entry). No HTTP here.

use super::{
    Enterprise, EnterpriseInput, EnterprisePage, ListParams, resolve_orgs,
    store::{self, EnterpriseFilter},
};
use crate::{
    audit::{self, Action, Audited, Entry},
    auth::{Caller, Need},
    db::{Db, EnterpriseId},
    error::{AppError, AppResult},
};

/// The page of enterprises a list query asks for in the caller's read scope,
/// phones masked, and the filter it was read as; an `org` outside the scope
/// is not found.
pub async fn list(
    db: &Db,
    caller: &Caller,
    p: &ListParams,
) -> AppResult<(EnterprisePage, EnterpriseFilter)> {
    let scope = caller.scope(Need::Read);
    let (filter, paging) = p.parse()?;
    if let Some(org) = filter.org {
        crate::org::store::get(db, &scope, org)
            .await?
            .ok_or(AppError::NotFound)?;
    }
    let (items, counts) =
        store::list_with_counts(db, &scope, &filter, paging.size, paging.offset()).await?;
    // Lists always mask: an unmasked number is shown one record at a time, audited.
    let page = EnterprisePage {
        items: items.into_iter().map(Enterprise::masked).collect(),
        total: counts.total,
        without_union: counts.without_union,
        with_new_forms: counts.with_new_forms,
        page: paging.page,
        per_page: paging.size,
        pages: paging.pages(counts.total),
    };
    Ok((page, filter))
}

/// One enterprise for the caller, and whether they may edit it. The phone is
/// unmasked only for cadres and admins over the enterprise's org, and then the
/// view is audited.
pub async fn shown(db: &Db, caller: &Caller, id: EnterpriseId) -> AppResult<(Enterprise, bool)> {
    let e = store::get(db, &caller.scope(Need::Read), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let can_write = caller.scope(Need::Write).contains(db, e.org_id).await?;
    if !can_write {
        return Ok((e.masked(), false));
    }
    if e.contact_phone.is_some() {
        let entry = Entry::by(caller, e.org_id, Action::PersonalDataViewed)
            .target(format!("enterprise:{id}"))
            .detail("contact_phone");
        audit::store::record(db.pool(), &entry).await?;
    }
    Ok((e, true))
}

/// The enterprise if the caller may edit it: 404 when out of read scope, 403
/// when readable but not writable.
pub async fn writable(db: &Db, caller: &Caller, id: EnterpriseId) -> AppResult<Enterprise> {
    let current = store::get(db, &caller.scope(Need::Read), id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !caller
        .scope(Need::Write)
        .contains(db, current.org_id)
        .await?
    {
        return Err(AppError::Forbidden);
    }
    Ok(current)
}

/// Creates an enterprise in an org of the caller's write scope.
pub async fn create(db: &Db, caller: &Caller, input: &EnterpriseInput) -> AppResult<EnterpriseId> {
    let scope = caller.require(Need::Write)?;
    let f = input.parse()?;
    let (org, union) = resolve_orgs(db, &scope, &f).await?;
    let mut tx = Audited::begin(db).await?;
    let id = store::insert(&mut tx, &f, org, union).await?;
    let e = Entry::by(caller, org, Action::EnterpriseCreated)
        .target(format!("enterprise:{id}"))
        .detail(format!("{} {}", f.credit_code, f.name));
    tx.commit([e]).await?;
    Ok(id)
}

/// Edits an enterprise the caller may write.
pub async fn update(
    db: &Db,
    caller: &Caller,
    id: EnterpriseId,
    input: &EnterpriseInput,
) -> AppResult<()> {
    let current = writable(db, caller, id).await?;
    let f = input.parse()?;
    let (org, union) = resolve_orgs(db, &caller.scope(Need::Write), &f).await?;
    let mut tx = Audited::begin(db).await?;
    store::update(&mut tx, id, &f, org, union).await?;
    let mut detail = format!("{} {}", f.credit_code, f.name);
    if org != current.org_id {
        detail.push_str(&format!(" ({} → {})", current.org_code, f.org_code));
    }
    let e = Entry::by(caller, org, Action::EnterpriseUpdated)
        .target(format!("enterprise:{id}"))
        .detail(detail);
    tx.commit([e]).await?;
    Ok(())
}

/// Changes the given fields of an enterprise; the others keep their values.
pub async fn patch(
    db: &Db,
    caller: &Caller,
    id: EnterpriseId,
    patch: EnterpriseInput,
) -> AppResult<()> {
    let current = writable(db, caller, id).await?;
    let merged = patch.over(EnterpriseInput::from_enterprise(&current));
    update(db, caller, id, &merged).await
}
