//! The use cases of campaigns and plans, shared by the pages and the API:
//! what the caller may see and manage, the detail with live progress, and
//! every write (create, edit, status, copy; save, submit, accept and return a
//! plan), each in one transaction with its audit entry. No HTTP here.

use super::{
    Campaign, CampaignDetail, CampaignFields, CampaignInput, CampaignKind, CampaignStatus, Issuer,
    Percent, PlanDetail, Progress, StatusInput, Targets, Unit, UnitChoice, UnitProgress, next_year,
    plan::{self, PlanAction, PlanInput, PlanStatus, ReturnInput},
    store,
};
use crate::{
    audit::{Action, Audited, Entry},
    auth::{Caller, Need},
    db::{CampaignId, Db, OrgId},
    error::{AppError, AppResult, FieldError},
    web::form::Errors,
};

/// The campaign if the caller sees it, else 404.
pub async fn visible(db: &Db, caller: &Caller, id: CampaignId) -> AppResult<Campaign> {
    store::get(db, &caller.scope(Need::Read), id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Whether the caller is an admin over the issuing org.
pub async fn is_issuer_admin(db: &Db, caller: &Caller, c: &Campaign) -> AppResult<bool> {
    Ok(caller.scope(Need::Admin).contains(db, c.org_id).await?)
}

/// The campaign if the caller may manage it: 404 when invisible, 403 when
/// visible but the caller is not an admin over the issuing org.
pub async fn manageable(db: &Db, caller: &Caller, id: CampaignId) -> AppResult<Campaign> {
    let c = visible(db, caller, id).await?;
    if !is_issuer_admin(db, caller, &c).await? {
        return Err(AppError::Forbidden);
    }
    Ok(c)
}

/// Builds the detail. Readers of the issuing org see every unit; participants
/// see the units related to their scope.
pub async fn detail(db: &Db, caller: &Caller, c: Campaign) -> AppResult<CampaignDetail> {
    let read = caller.scope(Need::Read);
    let issuer_reader = read.contains(db, c.org_id).await?;
    let units = store::units(db, c.id, (!issuer_reader).then_some(&read)).await?;
    let progress = store::progress(db, c.id).await?;
    let plans = store::plan_statuses(db, c.id).await?;
    let mut total_targets = Targets::default();
    let mut total_actual = Progress::default();
    let (mut accepted, mut waiting, mut returned, mut missing) = (0, 0, 0, 0);
    let rows: Vec<UnitProgress> = units
        .into_iter()
        .map(|u| {
            let actual = progress.get(&u.org_id).copied().unwrap_or_default();
            let plan = plans.get(&u.org_id).copied();
            match plan.map(|p| p.0) {
                Some(PlanStatus::Accepted) => accepted += 1,
                Some(PlanStatus::Submitted) => waiting += 1,
                Some(PlanStatus::Returned) => returned += 1,
                _ => missing += 1,
            }
            total_targets.add(&u.targets);
            total_actual.add(&actual);
            UnitProgress {
                percent: Percent::of(&actual, &u.targets),
                org_id: u.org_id,
                code: u.code,
                name: u.name,
                kind: u.kind,
                targets: u.targets,
                actual,
                plan_status: plan.map(|p| p.0),
                plan_version: plan.map(|p| p.1).unwrap_or(0),
            }
        })
        .collect();
    let can_manage = is_issuer_admin(db, caller, &c).await?;
    let surveys =
        crate::survey::analysis::store::campaign_surveys(db, &caller.scope(Need::Read), c.id)
            .await?;
    Ok(CampaignDetail {
        surveys,
        total_percent: Percent::of(&total_actual, &total_targets),
        campaign: c,
        units: rows,
        total_targets,
        total_actual,
        plans_accepted: accepted,
        plans_waiting: waiting,
        plans_returned: returned,
        plans_missing: missing,
        can_manage,
        is_issuer_reader: issuer_reader,
    })
}

/// Creates a draft campaign issued by `issuer_id` or `issuer_code` (default:
/// the caller's org), an org where the caller is admin.
pub async fn create(db: &Db, caller: &Caller, input: &CampaignInput) -> AppResult<CampaignId> {
    let admin = caller.require(Need::Admin)?;
    let f = input.parse()?;
    let (issuer, field) = match &f.issuer {
        Some(Issuer::Code(code)) => (
            crate::org::store::get_by_code(db, &admin, code)
                .await?
                .map(|o| o.id),
            "issuer_code",
        ),
        Some(Issuer::Id(id)) => (admin.contains(db, *id).await?.then_some(*id), "issuer_id"),
        None => (
            admin
                .contains(db, caller.home_org)
                .await?
                .then_some(caller.home_org),
            "issuer_code",
        ),
    };
    let issuer = issuer.ok_or_else(|| AppError::field(field, "err-org-out-of-scope"))?;
    let units = match &f.units {
        Some(choice) => resolve_units(db, issuer, choice).await?,
        None => Vec::new(),
    };
    let mut tx = Audited::begin(db).await?;
    let id = store::insert(
        &mut tx,
        issuer,
        &f,
        CampaignStatus::Draft,
        None,
        Some(caller.user_id),
    )
    .await?;
    store::set_units(&mut tx, id, &units).await?;
    let e = Entry::by(caller, issuer, Action::CampaignCreated)
        .target(format!("campaign:{id}"))
        .detail(f.title.clone());
    tx.commit([e]).await?;
    Ok(id)
}

/// Edits a campaign. A closed campaign is read only; units of an issued
/// campaign may be added and retargeted but a unit holding a plan stays.
pub async fn update(
    db: &Db,
    caller: &Caller,
    id: CampaignId,
    input: &CampaignInput,
) -> AppResult<()> {
    let c = manageable(db, caller, id).await?;
    if c.status == CampaignStatus::Closed {
        return Err(AppError::field("status", "err-campaign-closed"));
    }
    let f = input.parse()?;
    if f.kind != CampaignKind::Stationing
        && crate::stationing::store::group_count(db, id).await? > 0
    {
        return Err(AppError::field("kind", "err-campaign-kind-has-groups"));
    }
    let units = match &f.units {
        Some(choice) => Some(resolve_units(db, c.org_id, choice).await?),
        None => None,
    };
    if let Some(new) = &units
        && c.status != CampaignStatus::Draft
    {
        let kept = store::units_with_plans(db, id).await?;
        if kept.iter().any(|o| !new.iter().any(|(n, _)| n == o)) {
            return Err(AppError::field("units", "err-units-locked"));
        }
    }
    let mut tx = Audited::begin(db).await?;
    store::update(&mut tx, id, &f).await?;
    if let Some(units) = &units {
        store::set_units(&mut tx, id, units).await?;
        if c.status == CampaignStatus::Active {
            // Units added to an issued campaign are told too (the others
            // were told already: the notice's key names campaign and unit).
            crate::supervision::ops::on_issued(&mut tx, &c).await?;
        }
    }
    let e = Entry::by(caller, c.org_id, Action::CampaignUpdated)
        .target(format!("campaign:{id}"))
        .detail(f.title.clone());
    tx.commit([e]).await?;
    Ok(())
}

/// Moves a campaign to another status (see [`CampaignStatus::can_become`]).
pub async fn change_status(
    db: &Db,
    caller: &Caller,
    id: CampaignId,
    input: &StatusInput,
) -> AppResult<()> {
    let c = manageable(db, caller, id).await?;
    let to = input.parse()?;
    if !c.status.can_become(to) {
        return Err(AppError::Validation(vec![
            FieldError::new("status", "err-campaign-transition")
                .arg("from", state_name(caller, c.status))
                .arg("to", state_name(caller, to)),
        ]));
    }
    if to == CampaignStatus::Active && c.unit_count == 0 {
        return Err(AppError::field("units", "err-campaign-no-units"));
    }
    let mut tx = Audited::begin(db).await?;
    store::set_status(&mut tx, id, to).await?;
    if to == CampaignStatus::Active {
        // Each unit is told to confirm receipt (签收), in the same transaction.
        crate::supervision::ops::on_issued(&mut tx, &c).await?;
    }
    let e = Entry::by(caller, c.org_id, Action::CampaignStatusChanged)
        .target(format!("campaign:{id}"))
        .detail(format!("{} → {}", c.status.as_str(), to.as_str()));
    tx.commit([e]).await?;
    Ok(())
}

fn state_name(caller: &Caller, s: CampaignStatus) -> String {
    caller.lang.t(s.label_key())
}

/// Copies a campaign into a new draft of the same issuer: same texts, units
/// and targets, dates moved on by a year (a yearly campaign is the usual case;
/// the copy is a draft, so the issuer adjusts them before issuing it), and no
/// document number (a new notice gets its own).
pub async fn copy(db: &Db, caller: &Caller, id: CampaignId) -> AppResult<CampaignId> {
    let c = manageable(db, caller, id).await?;
    let units = store::units(db, id, None).await?;
    // Units that were deactivated or moved away since then are left out.
    let still_under: Vec<OrgId> = store::units_under(
        db,
        c.org_id,
        &[],
        &units.iter().map(|u| u.code.clone()).collect::<Vec<_>>(),
    )
    .await?
    .into_iter()
    .map(|(o, _)| o)
    .collect();
    let active = store::active_among(db, &still_under).await?;
    let keep: Vec<(OrgId, Targets)> = units
        .iter()
        .filter(|u| active.contains(&u.org_id))
        .map(|u| (u.org_id, u.targets))
        .collect();
    let f = CampaignFields {
        issuer: None,
        kind: c.kind,
        title: c.title.clone(),
        doc_number: None,
        theme: c.theme.clone(),
        notice: c.notice.clone(),
        starts_on: next_year(c.starts_on),
        ends_on: next_year(c.ends_on),
        report_due_on: next_year(c.report_due_on),
        units: None,
    };
    let mut tx = Audited::begin(db).await?;
    let new = store::insert(
        &mut tx,
        c.org_id,
        &f,
        CampaignStatus::Draft,
        Some(id),
        Some(caller.user_id),
    )
    .await?;
    store::set_units(&mut tx, new, &keep).await?;
    let e = Entry::by(caller, c.org_id, Action::CampaignCopied)
        .target(format!("campaign:{new}"))
        .detail(format!("campaign:{id} {}", c.title));
    tx.commit([e]).await?;
    Ok(new)
}

/// The campaign and the unit's plan if the caller sees both: readers of the
/// issuing org, and readers related to the unit. Otherwise 404.
pub async fn plan_visible(
    db: &Db,
    caller: &Caller,
    id: CampaignId,
    org: OrgId,
) -> AppResult<(Campaign, Unit, PlanDetail)> {
    let c = visible(db, caller, id).await?;
    let read = caller.scope(Need::Read);
    let issuer_reader = read.contains(db, c.org_id).await?;
    let units = store::units(db, id, (!issuer_reader).then_some(&read)).await?;
    let unit = units
        .into_iter()
        .find(|u| u.org_id == org)
        .ok_or(AppError::NotFound)?;
    let plan = store::plan(db, id, org).await?;
    let events = match plan.id {
        Some(p) => store::plan_events(db, p).await?,
        None => Vec::new(),
    };
    let active = c.status == CampaignStatus::Active;
    let can_edit = active
        && plan::transition(plan.status, &PlanAction::Save).is_ok()
        && caller.scope(Need::Write).contains(db, org).await?;
    let can_decide =
        active && plan.status == PlanStatus::Submitted && is_issuer_admin(db, caller, &c).await?;
    Ok((
        c,
        unit.clone(),
        PlanDetail {
            plan,
            events,
            campaign_targets: unit.targets,
            can_edit,
            can_decide,
        },
    ))
}

/// Saves a plan's content and, with `submit`, files it. The caller must be a
/// cadre or admin over the unit and the campaign active.
pub async fn save_plan(
    db: &Db,
    caller: &Caller,
    id: CampaignId,
    org: OrgId,
    input: &PlanInput,
    submit: bool,
) -> AppResult<()> {
    let (c, _, d) = plan_visible(db, caller, id, org).await?;
    if !caller.scope(Need::Write).contains(db, org).await? {
        return Err(AppError::Forbidden);
    }
    if c.status != CampaignStatus::Active {
        return Err(AppError::field("status", "err-campaign-not-active"));
    }
    plan::transition(d.plan.status, &PlanAction::Save)?;
    let content = input.parse()?;
    let mut tx = Audited::begin(db).await?;
    let pid = store::save_plan(&mut tx, id, org, d.plan.id, &content).await?;
    let mut entry = Entry::by(caller, org, Action::PlanSaved).target(format!("plan:{pid}"));
    if submit {
        let to = plan::transition(d.plan.status, &PlanAction::Submit)?;
        let version = d.plan.version + 1;
        store::record_move(
            &mut tx,
            pid,
            org,
            to,
            version,
            &PlanAction::Submit,
            (Some(caller.user_id), &caller.display_name),
            &content,
        )
        .await?;
        entry = Entry::by(caller, org, Action::PlanSubmitted)
            .target(format!("plan:{pid}"))
            .detail(format!("v{version}"));
    }
    tx.commit([entry]).await?;
    Ok(())
}

/// Submits the plan as it is saved (the API's `submit`).
pub async fn submit_plan(db: &Db, caller: &Caller, id: CampaignId, org: OrgId) -> AppResult<()> {
    let (c, _, d) = plan_visible(db, caller, id, org).await?;
    if !caller.scope(Need::Write).contains(db, org).await? {
        return Err(AppError::Forbidden);
    }
    if c.status != CampaignStatus::Active {
        return Err(AppError::field("status", "err-campaign-not-active"));
    }
    let to = plan::transition(d.plan.status, &PlanAction::Submit)?;
    let version = d.plan.version + 1;
    let mut tx = Audited::begin(db).await?;
    let pid = match d.plan.id {
        Some(p) => p,
        None => store::save_plan(&mut tx, id, org, None, &d.plan.content).await?,
    };
    store::record_move(
        &mut tx,
        pid,
        org,
        to,
        version,
        &PlanAction::Submit,
        (Some(caller.user_id), &caller.display_name),
        &d.plan.content,
    )
    .await?;
    let e = Entry::by(caller, org, Action::PlanSubmitted)
        .target(format!("plan:{pid}"))
        .detail(format!("v{version}"));
    tx.commit([e]).await?;
    Ok(())
}

/// Accepts or returns a submitted plan; admins over the issuing org only.
pub async fn decide(
    db: &Db,
    caller: &Caller,
    id: CampaignId,
    org: OrgId,
    action: PlanAction,
) -> AppResult<()> {
    let (c, _, d) = plan_visible(db, caller, id, org).await?;
    if !is_issuer_admin(db, caller, &c).await? {
        return Err(AppError::Forbidden);
    }
    if c.status != CampaignStatus::Active {
        return Err(AppError::field("status", "err-campaign-not-active"));
    }
    let to = plan::transition(d.plan.status, &action)?;
    let Some(pid) = d.plan.id else {
        return Err(AppError::field("status", "err-plan-transition"));
    };
    let mut tx = Audited::begin(db).await?;
    store::record_move(
        &mut tx,
        pid,
        org,
        to,
        d.plan.version,
        &action,
        (Some(caller.user_id), &caller.display_name),
        &d.plan.content,
    )
    .await?;
    let (act, detail) = match &action {
        PlanAction::Return(r) => (Action::PlanReturned, r.trim().to_string()),
        _ => (Action::PlanAccepted, format!("v{}", d.plan.version)),
    };
    let e = Entry::by(caller, org, act)
        .target(format!("plan:{pid}"))
        .detail(detail);
    tx.commit([e]).await?;
    Ok(())
}

pub fn return_action(input: &ReturnInput) -> PlanAction {
    PlanAction::Return(input.reason.clone().unwrap_or_default())
}

/// The participating units `choice` names under `issuer`, each with its
/// targets, in tree order. Errors name the field: `org_codes` with
/// `err-unit-not-under` (arg `code`) for a code that is not strictly under the
/// issuer, `overrides` with `err-override-not-unit` (arg `code`) for targets
/// of an org that does not take part.
pub async fn resolve_units(
    db: &Db,
    issuer: OrgId,
    choice: &UnitChoice,
) -> Result<Vec<(OrgId, Targets)>, AppError> {
    let mut errs = Errors::default();
    let candidates = store::units_under(db, issuer, &choice.kinds, &choice.org_codes).await?;
    for code in &choice.org_codes {
        if !candidates.iter().any(|(_, c)| c == code) {
            errs.push(FieldError::new("org_codes", "err-unit-not-under").arg("code", code));
        }
    }
    for (code, _) in &choice.overrides {
        if !candidates.iter().any(|(_, c)| c == code) {
            errs.push(FieldError::new("overrides", "err-override-not-unit").arg("code", code));
        }
    }
    errs.finish()?;
    Ok(candidates
        .into_iter()
        .map(|(id, code)| {
            let t = choice
                .overrides
                .iter()
                .find(|(c, _)| *c == code)
                .map(|(_, t)| *t)
                .unwrap_or(choice.defaults);
            (id, t)
        })
        .collect())
}
