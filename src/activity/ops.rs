//! The use cases of activities, shared by the pages and the API: recording
//! one with its problems (the one write, in one transaction), and the reads
//! both ask for (a page of the list, the export's rows, one activity).
//! No HTTP here.

use super::{
    Activity, ActivityFields, ActivityPage, EnterpriseKey, ListParams, Recorded,
    store::{self, ActivityFilter},
};
use crate::{
    audit::Audited,
    auth::{Caller, Need, Scope},
    db::{ActivityId, Db, EnterpriseId},
    error::{AppError, AppResult, FieldError},
    problem::{self, Problem, store::Origin},
    web::{form::Errors, list::Paging},
};

/// The most rows one export holds.
const EXPORT_LIMIT: i64 = 200_000;

/// The filter a query asks for, within `scope`; an `org` outside the scope
/// is not found.
async fn scoped(db: &Db, scope: &Scope, p: &ListParams) -> AppResult<(ActivityFilter, Paging)> {
    let (filter, paging) = p.parse()?;
    if let Some(org) = filter.org {
        crate::org::store::get(db, scope, org)
            .await?
            .ok_or(AppError::NotFound)?;
    }
    Ok((filter, paging))
}

/// The page of activities a list query asks for, in the caller's read scope.
pub async fn list(db: &Db, caller: &Caller, p: &ListParams) -> AppResult<ActivityPage> {
    let scope = caller.scope(Need::Read);
    let (filter, paging) = scoped(db, &scope, p).await?;
    let (items, total) = store::list(db, &scope, &filter, paging.size, paging.offset()).await?;
    Ok(ActivityPage {
        items,
        total,
        page: paging.page,
        page_size: paging.size,
    })
}

/// Every activity a list query matches (its page aside), for an export; 403
/// for a caller who reads nothing.
pub async fn export_rows(db: &Db, caller: &Caller, p: &ListParams) -> AppResult<Vec<Activity>> {
    let scope = caller.require(Need::Read)?;
    let (filter, _) = scoped(db, &scope, p).await?;
    Ok(store::list(db, &scope, &filter, EXPORT_LIMIT, 0).await?.0)
}

/// One activity in the caller's scope with its problems (contacts masked).
pub async fn load(db: &Db, caller: &Caller, id: ActivityId) -> AppResult<(Activity, Vec<Problem>)> {
    let scope = caller.scope(Need::Read);
    let a = store::get(db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let problems = problem::store::of_activity(db, &scope, id)
        .await?
        .into_iter()
        .map(Problem::masked)
        .collect();
    Ok((a, problems))
}

/// Records an activity and its problems in one transaction. A second save with
/// the same client id returns the first record, whatever its body says.
pub async fn record(db: &Db, caller: &Caller, f: &ActivityFields) -> AppResult<Recorded> {
    let org = caller.recording_org(db, f.org_code.as_deref()).await?;
    if let Some(id) = store::id_by_client(db, org, &f.client_id).await? {
        return Ok(Recorded {
            id,
            created: false,
            problems: Vec::new(),
        });
    }
    let mut errs = Errors::default();
    if let Some(c) = f.campaign
        && !store::campaign_open_to(db, c, org).await?
    {
        errs.push(FieldError::new("campaign_id", "err-campaign-not-open"));
    }
    // A work group must be of the activity's campaign and one the caller records for.
    if let Some(g) = f.work_group {
        match crate::stationing::store::programme_of(db, g).await? {
            Some((campaign, host, issuer)) if Some(campaign) == f.campaign => {
                let write = caller.scope(Need::Write);
                if !(write.contains(db, host).await? || write.contains(db, issuer).await?) {
                    errs.push(FieldError::new("work_group_id", "err-group-out-of-scope"));
                }
            }
            Some(_) => errs.push(FieldError::new(
                "work_group_id",
                "err-group-not-in-campaign",
            )),
            None => errs.push(FieldError::new("work_group_id", "err-group-out-of-scope")),
        }
    }
    let read = caller.scope(Need::Read);
    let mut enterprises: Vec<EnterpriseId> = Vec::new();
    for key in &f.enterprises {
        let found = match key {
            EnterpriseKey::Id(id) => crate::enterprise::store::get(db, &read, *id)
                .await?
                .map(|e| e.id),
            EnterpriseKey::Code(code) => {
                crate::enterprise::store::id_by_credit_code(db, &read, code).await?
            }
        };
        match found {
            Some(id) if !enterprises.contains(&id) => enterprises.push(id),
            Some(_) => {}
            None => {
                let shown = match key {
                    EnterpriseKey::Id(id) => id.to_string(),
                    EnterpriseKey::Code(c) => c.clone(),
                };
                errs.push(
                    FieldError::new("enterprises", "err-enterprise-unknown").arg("value", shown),
                );
            }
        }
    }
    // A problem may name its own enterprise; it must be one the caller reaches.
    for (i, p) in f.problems.iter().enumerate() {
        if let Some(e) = p.enterprise_id
            && crate::enterprise::store::get(db, &read, e).await?.is_none()
        {
            errs.push(
                FieldError::new(
                    format!("problems[{i}].enterprise_id"),
                    "err-enterprise-unknown",
                )
                .arg("value", e),
            );
        }
    }
    let new_enterprise = match &f.new_enterprise {
        None => None,
        Some(input) => {
            let mut input = input.clone();
            input.org_code = crate::org::store::code_of(db, org).await?;
            match input.parse() {
                Ok(fields) => Some(fields),
                Err(AppError::Validation(fs)) => {
                    for e in fs {
                        errs.push(FieldError {
                            field: format!("new_enterprise_{}", e.field),
                            ..e
                        });
                    }
                    None
                }
                Err(e) => return Err(e),
            }
        }
    };
    errs.finish()?;

    let mut tx = Audited::begin(db).await?;
    if let Some(fields) = &new_enterprise {
        let id = crate::enterprise::store::insert(&mut tx, fields, org, None)
            .await
            .map_err(|e| match e {
                AppError::Validation(fs) => AppError::Validation(
                    fs.into_iter()
                        .map(|e| FieldError {
                            field: format!("new_enterprise_{}", e.field),
                            ..e
                        })
                        .collect(),
                ),
                e => e,
            })?;
        enterprises.push(id);
    }
    // Union flags of an enterprise visit: checked before anything is stored.
    let mut flag_errs = Errors::default();
    let union_flags = crate::formation::store::resolve_visit_flags(
        &mut tx,
        &f.union_flags,
        &enterprises,
        &mut flag_errs,
    )
    .await?;
    flag_errs.finish()?;
    let Some(id) = store::insert(&mut tx, f, org, &enterprises, caller.user_id).await? else {
        // Another request with the same client id won the race: answer with its record.
        drop(tx);
        let id = store::id_by_client(db, org, &f.client_id)
            .await?
            .ok_or(AppError::NotFound)?;
        return Ok(Recorded {
            id,
            created: false,
            problems: Vec::new(),
        });
    };
    let mut problems = Vec::new();
    for (i, p) in f.problems.iter().enumerate() {
        let mut p = p.clone();
        if p.enterprise_id.is_none() {
            p.enterprise_id = enterprises.first().copied();
        }
        let origin = Origin {
            org,
            client_id: format!("{}-p{}", f.client_id, i + 1),
            campaign: f.campaign,
            activity: Some(id),
            user: Some(caller.user_id),
            actor: caller.display_name.clone(),
            public: false,
        };
        if let Some(pid) = problem::store::insert(&mut tx, &origin, &p).await? {
            problems.push(pid);
        }
    }
    // The flagged enterprises' pipelines open with the visit, or not at all.
    crate::formation::store::open_from_visit(
        &mut tx,
        org,
        id,
        f.campaign,
        f.held_on,
        &union_flags,
        &crate::formation::store::Actor {
            user: Some(caller.user_id),
            name: caller.display_name.clone(),
        },
    )
    .await?;
    // The problems carry their own history; the activity has no audit entry.
    tx.commit([]).await?;
    Ok(Recorded {
        id,
        created: true,
        problems,
    })
}
