//! The use cases of the org tree, shared by the pages and the API: each
//! write owns its transaction and audit entry. No HTTP here.

use super::{
    ListParams, Org, OrgInput,
    store::{self, OrgNode},
};
use crate::{
    audit::{self, Action, Audited, Entry},
    auth::{Caller, Need},
    db::{Db, OrgId},
    error::{AppError, AppResult},
};

/// One org in the caller's read scope, not yet shown (see [`shown`]).
pub async fn get(db: &Db, caller: &Caller, id: OrgId) -> AppResult<Org> {
    store::get(db, &caller.scope(Need::Read), id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Masks or reveals an org's phone for the caller (revealed to those who may
/// write in the org), auditing a reveal.
pub async fn shown(db: &Db, caller: &Caller, org: Org) -> AppResult<Org> {
    if org.phone.is_none() {
        return Ok(org);
    }
    if caller.scope(Need::Write).contains(db, org.id).await? {
        audit::store::record(
            db.pool(),
            &Entry::by(caller, org.id, Action::PersonalDataViewed)
                .target(format!("org:{}", org.id)),
        )
        .await?;
        Ok(org)
    } else {
        Ok(org.masked())
    }
}

/// Lists always mask: unmasked numbers are shown one record at a time, audited.
fn masked(nodes: Vec<OrgNode>) -> Vec<OrgNode> {
    nodes
        .into_iter()
        .map(|n| OrgNode {
            org: n.org.masked(),
            ..n
        })
        .collect()
}

/// Orgs in the caller's scope: the top ones, the children of `parent`, or
/// search results; phones masked.
pub async fn list(db: &Db, caller: &Caller, p: &ListParams) -> AppResult<Vec<OrgNode>> {
    let scope = caller.scope(Need::Read);
    let nodes = match (
        p.q.as_deref().map(str::trim).filter(|q| !q.is_empty()),
        p.parent,
    ) {
        (Some(q), _) => store::search(db, &scope, q, 200)
            .await?
            .into_iter()
            .map(|org| OrgNode {
                org,
                child_count: 0,
            })
            .collect(),
        (None, Some(parent)) => children(db, caller, parent).await?,
        (None, None) => store::roots(db, &scope).await?,
    };
    Ok(masked(nodes))
}

/// The children of an org in the caller's read scope, phones masked.
pub async fn children(db: &Db, caller: &Caller, id: OrgId) -> AppResult<Vec<OrgNode>> {
    let scope = caller.scope(Need::Read);
    store::get(db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(masked(store::children(db, &scope, id).await?))
}

/// Creates an org under a parent in the caller's admin scope.
pub async fn create(db: &Db, caller: &Caller, input: &OrgInput) -> AppResult<OrgId> {
    let scope = caller.require(Need::Admin)?;
    let fields = input.parse()?;
    let parent_code = input.parent_code.as_deref().map(str::trim).unwrap_or("");
    if parent_code.is_empty() {
        // Only the CLI creates roots; in the app every org has a parent in scope.
        return Err(AppError::field("parent_code", "err-required"));
    }
    let parent = store::get_by_code(db, &scope, parent_code)
        .await?
        .ok_or_else(|| AppError::field("parent_code", "err-org-out-of-scope"))?;
    let mut tx = Audited::begin(db).await?;
    let id = store::insert(&mut tx, &fields, Some(parent.id)).await?;
    let e = Entry::by(caller, id, Action::OrgCreated)
        .target(format!("org:{id}"))
        .detail(&fields.name);
    tx.commit([e]).await?;
    Ok(id)
}

/// Edits an org in the caller's admin scope.
pub async fn update(db: &Db, caller: &Caller, id: OrgId, input: &OrgInput) -> AppResult<()> {
    let scope = caller.require(Need::Admin)?;
    store::get(db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let fields = input.parse()?;
    let mut tx = Audited::begin(db).await?;
    store::update(&mut tx, id, &fields).await?;
    tx.commit([Entry::by(caller, id, Action::OrgUpdated).target(format!("org:{id}"))])
        .await?;
    Ok(())
}

/// Patches an org: absent fields keep their current values.
pub async fn patch(db: &Db, caller: &Caller, id: OrgId, patch: OrgInput) -> AppResult<Org> {
    let scope = caller.require(Need::Admin)?;
    let current = store::get(db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let base = OrgInput::from_org(&current);
    let merged = OrgInput {
        code: patch.code.or(base.code),
        name: patch.name.or(base.name),
        short_name: patch.short_name.or(base.short_name),
        kind: patch.kind.or(base.kind),
        parent_code: None,
        contact_person: patch.contact_person.or(base.contact_person),
        phone: patch.phone.or(base.phone),
        email: patch.email.or(base.email),
        address: patch.address.or(base.address),
        display_order: patch.display_order.or(base.display_order),
    };
    update(db, caller, id, &merged).await?;
    store::get(db, &scope, id).await?.ok_or(AppError::NotFound)
}

/// Moves an org under a new parent; both must lie in the caller's admin scope.
pub async fn move_under(db: &Db, caller: &Caller, id: OrgId, parent_code: &str) -> AppResult<()> {
    let scope = caller.require(Need::Admin)?;
    let org = store::get(db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if scope.roots().contains(&id) {
        // The org an admin grant sits at is moved by an admin above it, not by itself.
        return Err(AppError::Forbidden);
    }
    let parent = store::get_by_code(db, &scope, parent_code)
        .await?
        .ok_or_else(|| AppError::field("parent_code", "err-org-out-of-scope"))?;
    let mut tx = Audited::begin(db).await?;
    store::move_to(&mut tx, id, parent.id).await?;
    let e = Entry::by(caller, id, Action::OrgMoved)
        .target(format!("org:{id}"))
        .detail(format!("{} → {}", org.code, parent.code));
    tx.commit([e]).await?;
    Ok(())
}

/// Deactivates or reactivates an org in the caller's admin scope.
pub async fn set_active(db: &Db, caller: &Caller, id: OrgId, active: bool) -> AppResult<()> {
    let scope = caller.require(Need::Admin)?;
    store::get(db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut tx = Audited::begin(db).await?;
    store::set_active(&mut tx, id, active).await?;
    let action = if active {
        Action::OrgActivated
    } else {
        Action::OrgDeactivated
    };
    tx.commit([Entry::by(caller, id, action).target(format!("org:{id}"))])
        .await?;
    Ok(())
}
