//! The use cases of mediation, shared by the pages and the API: recording a
//! case, recording a step, the reads that audit what they show, and the
//! agreement document. Each write owns its transaction and its audit entry;
//! no HTTP here: no `Form`, `Json` or `Html`.

use super::{
    Case, CaseDetail, CaseInput, Intake, TransitionInput, lifecycle,
    store::{self, CaseFilter, Origin},
};
use crate::{
    audit::{self, Action as AuditAction, Audited, Entry},
    auth::{Caller, Need},
    date::Day,
    db::{Db, MediationCaseId},
    error::{AppError, AppResult, FieldError},
    web::{form::Errors, list::Paging},
};

/// The page of cases a filter asks for within the caller's read scope
/// (workers masked: their details are shown one case at a time, audited); an
/// `org` outside the scope is not found.
pub async fn list(
    db: &Db,
    caller: &Caller,
    filter: &CaseFilter,
    paging: Paging,
) -> AppResult<(Vec<Case>, i64)> {
    let scope = caller.scope(Need::Read);
    if let Some(org) = filter.org {
        crate::org::store::get(db, &scope, org)
            .await?
            .ok_or(AppError::NotFound)?;
    }
    let (items, total) = store::list(db, &scope, filter, paging.size, paging.offset()).await?;
    Ok((items.into_iter().map(Case::masked).collect(), total))
}

/// Records a case for the caller: checks the receiving org, campaign,
/// problem, employer and committee against the caller's reach. A retry with
/// the same client id returns the first case (`false`).
pub async fn record(
    db: &Db,
    caller: &Caller,
    input: &CaseInput,
) -> AppResult<(MediationCaseId, bool)> {
    caller.require(Need::Write)?;
    let f = input.parse(Day::today())?;
    let org = caller.recording_org(db, f.org_code.as_deref()).await?;
    if let Some(id) = store::find_by_client(db, org, &f.client_id).await? {
        return Ok((id, false));
    }
    let read = caller.scope(Need::Read);
    let write = caller.scope(Need::Write);
    let mut errs = Errors::default();
    if let Some(c) = f.campaign
        && !crate::activity::store::campaign_open_to(db, c, org).await?
    {
        errs.push(FieldError::new("campaign_id", "err-campaign-not-open"));
    }
    if let Some(p) = f.problem {
        match crate::problem::store::get(db, &read, p).await? {
            None => errs.push(FieldError::new("problem_id", "err-med-problem-unknown")),
            Some(problem) => {
                if !(write.contains(db, problem.owner_org_id).await?
                    || write.contains(db, problem.org_id).await?)
                {
                    return Err(AppError::Forbidden);
                }
                if store::problem_has_case(db, p).await? {
                    errs.push(FieldError::new("problem_id", "err-med-problem-has-case"));
                }
            }
        }
    }
    let mut employer_name = f.employer_name.clone();
    if let Some(e) = f.employer_enterprise {
        match crate::enterprise::store::get(db, &read, e).await? {
            Some(ent) => employer_name = Some(ent.name),
            None => errs.push(
                FieldError::new("employer_enterprise_id", "err-enterprise-unknown").arg("value", e),
            ),
        }
    }
    let committee_org = f.committee_org.unwrap_or(org);
    if !write.contains(db, committee_org).await? {
        errs.push(FieldError::new("committee_org_id", "err-org-out-of-scope"));
    }
    errs.finish()?;
    let committee_name = match &f.committee_name {
        Some(n) => n.clone(),
        None => format!(
            "{}劳动争议调解委员会",
            store::org_name(db, committee_org).await?
        ),
    };
    let origin = Origin {
        org,
        committee_org,
        committee_name,
        employer_name: employer_name.unwrap_or_default(),
        user: Some(caller.user_id),
        actor: caller.display_name.clone(),
    };
    let mut tx = Audited::begin(db).await?;
    match store::insert(&mut tx, &origin, &f).await? {
        Some(id) => {
            let entry = Entry::by(caller, org, AuditAction::MediationCaseCreated)
                .target(format!("mediation:{id}"))
                .detail(f.dispute_type.as_str());
            tx.commit(Some(entry)).await?;
            Ok((id, true))
        }
        None => {
            let id = store::id_by_client(&mut tx, org, &f.client_id)
                .await?
                .ok_or(AppError::NotFound)?;
            Ok((id, false))
        }
    }
}

/// Loads a case for the caller: 404 outside their reach; the workers' details
/// unmasked (and the view audited) only for cadres and admins over its org.
pub async fn detail(db: &Db, caller: &Caller, id: MediationCaseId) -> AppResult<CaseDetail> {
    let case = store::get(db, &caller.scope(Need::Read), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let can_act = caller.scope(Need::Write).contains(db, case.org_id).await?;
    let case = if can_act {
        let personal = case.workers.iter().any(|w| w.phone.is_some())
            || matches!(case.intake, Intake::Oral { .. });
        if personal {
            let entry = Entry::by(caller, case.org_id, AuditAction::PersonalDataViewed)
                .target(format!("mediation:{id}"))
                .detail("parties");
            audit::store::record(db.pool(), &entry).await?;
        }
        case
    } else {
        case.masked()
    };
    let actions = if can_act {
        lifecycle::offered(&case.state, case.clock(Day::today()))
    } else {
        Vec::new()
    };
    Ok(CaseDetail {
        events: store::events(db, id).await?,
        case,
        can_act,
        actions,
    })
}

/// 404 when the caller cannot see the case, 403 when they see it but may not write.
async fn may_act(db: &Db, caller: &Caller, id: MediationCaseId) -> AppResult<Case> {
    let case = store::get(db, &caller.scope(Need::Read), id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !caller.scope(Need::Write).contains(db, case.org_id).await? {
        return Err(AppError::Forbidden);
    }
    Ok(case)
}

/// Records a step (begin, agree, sign, fail, withdraw, transfer, recover)
/// with its audit entry.
pub async fn step(
    db: &Db,
    caller: &Caller,
    id: MediationCaseId,
    input: &TransitionInput,
) -> AppResult<()> {
    let case = may_act(db, caller, id).await?;
    let today = Day::today();
    let action = input.parse(today)?;
    let kind = action.kind();
    let mut tx = Audited::begin(db).await?;
    let actor = (Some(caller.user_id), caller.display_name.as_str());
    let next = store::transition(&mut tx, id, action, actor, today).await?;
    let entry = Entry::by(caller, case.org_id, AuditAction::MediationCaseChanged)
        .target(format!("mediation:{id}"))
        .detail(format!("{kind} → {}", next.label()));
    tx.commit(Some(entry)).await?;
    Ok(())
}

/// The agreement as DOCX, named for its case: only for a valid agreement (422
/// otherwise), only for cadres and admins over the case's org (it names the
/// parties); the download is audited.
pub async fn agreement(
    db: &Db,
    caller: &Caller,
    id: MediationCaseId,
) -> AppResult<(Vec<u8>, String)> {
    let case = may_act(db, caller, id).await?;
    let bytes = super::docx::agreement(&case)
        .ok_or_else(|| AppError::field("agreement", "err-med-agreement-not-valid"))?;
    let entry = Entry::by(caller, case.org_id, AuditAction::Export)
        .target(format!("mediation:{id}:agreement.docx"))
        .detail("调解协议书");
    audit::store::record(db.pool(), &entry).await?;
    Ok((bytes, format!("调解协议书-{}.docx", case.id)))
}

/// For a new case opened from a problem ("转为调解案件"): the problem's id
/// and excerpt, after checking the caller may act on it; when `fresh`, the
/// form is filled from what the problem says (the raiser's contact copied is
/// a view of personal data, audited). A problem that already became a case
/// is refused with the case's id (`err-med-problem-has-case`, arg `id`).
pub async fn from_problem(
    db: &Db,
    caller: &Caller,
    input: &mut CaseInput,
    fresh: bool,
) -> AppResult<Option<(crate::db::ProblemId, String)>> {
    use crate::{db::ProblemId, web::form};
    let Some(pid) = form::opt(&input.problem_id).and_then(|p| p.parse::<i64>().ok()) else {
        return Ok(None);
    };
    let write = caller.require(Need::Write)?;
    let read = caller.scope(Need::Read);
    let p = crate::problem::store::get(db, &read, ProblemId(pid))
        .await?
        .ok_or(AppError::NotFound)?;
    if !(write.contains(db, p.owner_org_id).await? || write.contains(db, p.org_id).await?) {
        return Err(AppError::Forbidden);
    }
    if !fresh {
        return Ok(Some((p.id, p.excerpt())));
    }
    if let Some(case) = store::case_of_problem(db, &read, p.id).await? {
        // One case per problem: show the one it already became.
        return Err(AppError::Validation(vec![
            FieldError::new("problem_id", "err-med-problem-has-case").arg("id", case.id),
        ]));
    }
    let topic = crate::problem::store::topics(db)
        .await?
        .into_iter()
        .find(|t| t.id == p.topic_id)
        .map(|t| t.code)
        .unwrap_or_default();
    input.matter = Some(p.description.clone());
    input.dispute_type = Some(super::DisputeType::from_topic(&topic).as_str().to_string());
    input.workers = p.raiser_name.clone();
    if p.raiser_contact.is_some() {
        let entry = Entry::by(caller, p.org_id, AuditAction::PersonalDataViewed)
            .target(format!("problem:{}", p.id))
            .detail("raiser (mediation form)");
        audit::store::record(db.pool(), &entry).await?;
        input.worker_phones = p.raiser_contact.clone();
    }
    input.employer_enterprise_id = p.enterprise_id.map(|e| e.to_string());
    input.employer_name = p.enterprise_name.clone();
    input.campaign_id = p.campaign_id.map(|c| c.to_string());
    Ok(Some((p.id, p.excerpt())))
}
