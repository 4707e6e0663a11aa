//! The use cases of work groups, shared by the pages and the API: reading a
//! programme or a group the caller may see or change, creating and editing a
//! group, adding and editing its contacts, studies and visits, each write in
//! one transaction with its audit entry. No HTTP here.
//!
//! Who may do what:
//! - read: see [`store`] — readers over the host org, which includes readers
//!   over the programme's issuing org; everyone else gets 404;
//! - write (create and edit a group, add and edit its contacts, studies and
//!   visits): cadres and admins over the group's org or over the programme's
//!   issuing org; other readers get 403;
//! - contact phones are unmasked only for writers, and that view is audited.

use super::{
    Contact, ContactInput, GroupDetail, GroupFields, GroupInput, ItemInput, ItemKind, LeaderVisit,
    ProgrammeOutputs, Study, StudyInput, VisitInput, WorkGroup, store,
};
use crate::{
    audit::{self, Action, Audited, Entry},
    auth::{Caller, Need, Scope},
    campaign::{Campaign, CampaignKind},
    date::Day,
    db::{CampaignId, Db, GroupContactId, GroupStudyId, GroupVisitId, OrgId, UserId, WorkGroupId},
    error::{AppError, AppResult},
};

/// How many of a group's activities its page lists.
const RECENT: i64 = 20;

/// The stationing programme if the caller sees it, else 404.
pub async fn programme(db: &Db, caller: &Caller, id: CampaignId) -> AppResult<Campaign> {
    let c = crate::campaign::store::get(db, &caller.scope(Need::Read), id)
        .await?
        .ok_or(AppError::NotFound)?;
    if c.kind != CampaignKind::Stationing {
        return Err(AppError::NotFound);
    }
    Ok(c)
}

/// The programme of a group the caller reached (read with the issuer's own
/// scope: a host need not be one of the programme's units).
async fn programme_of(db: &Db, g: &WorkGroup) -> AppResult<Campaign> {
    crate::campaign::store::get(db, &Scope::of(vec![g.issuer_org_id]), g.campaign_id)
        .await?
        .ok_or(AppError::NotFound)
}

/// A closed programme is read only, like any closed campaign.
fn open(c: &Campaign) -> AppResult<()> {
    if c.status == crate::campaign::CampaignStatus::Closed {
        return Err(AppError::field("status", "err-campaign-closed"));
    }
    Ok(())
}

/// The group if the caller sees it, else 404.
pub async fn visible(db: &Db, caller: &Caller, id: WorkGroupId) -> AppResult<WorkGroup> {
    store::get(db, &caller.scope(Need::Read), id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Whether the caller may write for a group hosted by `org` in a programme
/// issued by `issuer`.
pub async fn may_write(db: &Db, caller: &Caller, org: OrgId, issuer: OrgId) -> AppResult<bool> {
    let w = caller.scope(Need::Write);
    Ok(w.contains(db, org).await? || w.contains(db, issuer).await?)
}

/// The group if the caller may write for it: 404 when invisible, 403 when
/// only readable.
pub async fn writable(db: &Db, caller: &Caller, id: WorkGroupId) -> AppResult<WorkGroup> {
    let g = visible(db, caller, id).await?;
    if !may_write(db, caller, g.org_id, g.issuer_org_id).await? {
        return Err(AppError::Forbidden);
    }
    Ok(g)
}

/// A group the caller may edit, with its programme: 404 when invisible, 403
/// when only readable. The one check of the edit page, its form's POST and
/// the API PATCH, so the page opens exactly when a save may succeed.
pub async fn editable(
    db: &Db,
    caller: &Caller,
    id: WorkGroupId,
) -> AppResult<(WorkGroup, Campaign)> {
    let g = writable(db, caller, id).await?;
    let c = programme_of(db, &g).await?;
    Ok((g, c))
}

/// The host org named by `code`: inside the programme issuer's subtree.
async fn host(db: &Db, issuer: OrgId, code: &str) -> AppResult<OrgId> {
    crate::org::store::get_by_code(db, &Scope::of(vec![issuer]), code)
        .await?
        .map(|o| o.id)
        .ok_or_else(|| AppError::field("host_org_code", "err-host-not-under"))
}

/// Parses a group for programme `c` and resolves its host and members'
/// accounts; the caller must be a writer over the host or the issuer.
async fn resolve(
    db: &Db,
    caller: &Caller,
    c: &Campaign,
    input: &GroupInput,
) -> AppResult<(GroupFields, OrgId, Vec<Option<UserId>>)> {
    let f = input.parse((c.starts_on, c.ends_on), Day::today())?;
    let org = host(db, c.org_id, &f.host_org_code).await?;
    if !may_write(db, caller, org, c.org_id).await? {
        return Err(AppError::Forbidden);
    }
    let names: Vec<Option<String>> = f.members.iter().map(|m| m.username.clone()).collect();
    let users = store::resolve_users(db, &Scope::of(vec![c.org_id]), &names).await?;
    Ok((f, org, users))
}

/// Creates a group of the programme.
pub async fn create(
    db: &Db,
    caller: &Caller,
    id: CampaignId,
    input: &GroupInput,
) -> AppResult<WorkGroupId> {
    caller.require(Need::Write)?;
    let c = programme(db, caller, id).await?;
    open(&c)?;
    let (f, org, users) = resolve(db, caller, &c, input).await?;
    let mut tx = Audited::begin(db).await?;
    let gid = store::insert(&mut tx, id, org, &f, &users, caller.user_id).await?;
    let e = Entry::by(caller, org, Action::WorkGroupCreated)
        .target(format!("work_group:{gid}"))
        .detail(f.name.clone());
    tx.commit([e]).await?;
    Ok(gid)
}

/// Rewrites a group (a PATCH merges over the group as it is).
pub async fn update(
    db: &Db,
    caller: &Caller,
    id: WorkGroupId,
    input: GroupInput,
    patch: bool,
) -> AppResult<()> {
    let (g, c) = editable(db, caller, id).await?;
    open(&c)?;
    let input = if patch {
        let members = store::members(db, id).await?;
        input.over(GroupInput::from_group(&g, &members))
    } else {
        input
    };
    let (f, org, users) = resolve(db, caller, &c, &input).await?;
    let mut tx = Audited::begin(db).await?;
    store::update(&mut tx, id, org, &f, &users).await?;
    let e = Entry::by(caller, org, Action::WorkGroupUpdated)
        .target(format!("work_group:{id}"))
        .detail(f.name.clone());
    tx.commit([e]).await?;
    Ok(())
}

/// The programme's comparison of groups the caller reaches, and its total.
pub async fn programme_outputs(
    db: &Db,
    caller: &Caller,
    id: CampaignId,
) -> AppResult<(Campaign, ProgrammeOutputs)> {
    let c = programme(db, caller, id).await?;
    let groups = store::group_outputs(db, &caller.scope(Need::Read), id).await?;
    let total = store::total_outputs(db, &groups).await?;
    Ok((
        c,
        ProgrammeOutputs {
            campaign_id: id,
            groups,
            total,
        },
    ))
}

/// A group with everything its page shows; phones unmasked (and that view
/// audited) for those who may write for it.
pub async fn detail(db: &Db, caller: &Caller, g: WorkGroup) -> AppResult<GroupDetail> {
    let can_write = may_write(db, caller, g.org_id, g.issuer_org_id).await?;
    let mut contacts = store::contacts(db, g.id).await?;
    if !can_write {
        contacts = contacts.into_iter().map(Contact::masked).collect();
    } else if contacts.iter().any(|c| c.phone.is_some()) {
        let entry = Entry::by(caller, g.org_id, Action::PersonalDataViewed)
            .target(format!("work_group:{}", g.id))
            .detail("contact_phone");
        audit::store::record(db.pool(), &entry).await?;
    }
    let read = caller.scope(Need::Read);
    let outputs = store::group_outputs(db, &read, g.campaign_id)
        .await?
        .into_iter()
        .find(|o| o.group_id == g.id)
        .map(|o| o.outputs)
        .unwrap_or_default();
    let filter = crate::activity::store::ActivityFilter {
        work_group: Some(g.id),
        ..Default::default()
    };
    let (recent_activities, _) =
        crate::activity::store::list(db, &read, &filter, RECENT, 0).await?;
    Ok(GroupDetail {
        members: store::members(db, g.id).await?,
        contacts,
        studies: store::studies(db, g.id).await?,
        visits: store::visits(db, g.id).await?,
        outputs,
        recent_activities,
        can_write,
        group: g,
    })
}

/// A group's detail after the caller's write.
pub async fn detail_of(db: &Db, caller: &Caller, id: WorkGroupId) -> AppResult<GroupDetail> {
    let g = visible(db, caller, id).await?;
    detail(db, caller, g).await
}

/// Adds (`existing: None`) or rewrites a contact, study or visit of a group
/// the caller may write for; returns the record's id.
pub async fn save_item(
    db: &Db,
    caller: &Caller,
    id: WorkGroupId,
    existing: Option<i64>,
    input: &ItemInput,
) -> AppResult<i64> {
    let g = writable(db, caller, id).await?;
    open(&programme_of(db, &g).await?)?;
    let today = Day::today();
    let mut tx = Audited::begin(db).await?;
    let (item, detail) = match input {
        ItemInput::Contact(i) => {
            let f = i.parse()?;
            let n = store::save_contact(&mut tx, id, g.org_id, existing.map(GroupContactId), &f)
                .await?;
            (n.0, f.name)
        }
        ItemInput::Study(i) => {
            let f = i.parse(today)?;
            let n =
                store::save_study(&mut tx, id, g.org_id, existing.map(GroupStudyId), &f).await?;
            (n.0, format!("{} {}", f.held_on, f.subject))
        }
        ItemInput::Visit(i) => {
            let f = i.parse(today)?;
            let n =
                store::save_visit(&mut tx, id, g.org_id, existing.map(GroupVisitId), &f).await?;
            (n.0, format!("{} {}", f.visited_on, f.leader_name))
        }
    };
    let e = Entry::by(caller, g.org_id, input.kind().action())
        .target(format!("work_group:{id}/{}/{item}", input.kind().path()))
        .detail(detail);
    tx.commit([e]).await?;
    Ok(item)
}

/// A saved contact of a group.
pub async fn contact(db: &Db, id: WorkGroupId, item: i64) -> AppResult<Contact> {
    store::contacts(db, id)
        .await?
        .into_iter()
        .find(|c| c.id.0 == item)
        .ok_or(AppError::NotFound)
}

/// A saved study of a group.
pub async fn study(db: &Db, id: WorkGroupId, item: i64) -> AppResult<Study> {
    store::studies(db, id)
        .await?
        .into_iter()
        .find(|c| c.id.0 == item)
        .ok_or(AppError::NotFound)
}

/// A saved leader's visit of a group.
pub async fn visit(db: &Db, id: WorkGroupId, item: i64) -> AppResult<LeaderVisit> {
    store::visits(db, id)
        .await?
        .into_iter()
        .find(|c| c.id.0 == item)
        .ok_or(AppError::NotFound)
}

/// A record of a group the caller may write for, as its edit form starts;
/// opening a contact (its phone in full) is audited.
pub async fn item_input(
    db: &Db,
    caller: &Caller,
    id: WorkGroupId,
    kind: ItemKind,
    item: i64,
) -> AppResult<(WorkGroup, ItemInput)> {
    let g = writable(db, caller, id).await?;
    let input = match kind {
        ItemKind::Contact => {
            let c = contact(db, id, item).await?;
            ItemInput::Contact(ContactInput {
                name: Some(c.name),
                job_title: c.job_title,
                org_name: c.org_name,
                phone: c.phone,
            })
        }
        ItemKind::Study => {
            let s = study(db, id, item).await?;
            ItemInput::Study(StudyInput {
                held_on: Some(s.held_on.iso()),
                subject: Some(s.subject),
                attendees: Some(s.attendees.to_string()),
                remarks: s.remarks,
            })
        }
        ItemKind::Visit => {
            let v = visit(db, id, item).await?;
            ItemInput::Visit(VisitInput {
                visited_on: Some(v.visited_on.iso()),
                leader_name: Some(v.leader_name),
                leader_title: v.leader_title,
                remarks: v.remarks,
            })
        }
    };
    if kind == ItemKind::Contact {
        let entry = Entry::by(caller, g.org_id, Action::PersonalDataViewed)
            .target(format!("work_group:{id}/contacts/{item}"))
            .detail("contact_phone");
        audit::store::record(db.pool(), &entry).await?;
    }
    Ok((g, input))
}
