//! Campaign pages (list, new, detail with live progress, edit, copy, status)
//! and plan pages (view, edit, submit, accept, return, history), and the API
//! under `/api/v1/campaigns`.
//!
//! Who may do what:
//! - read a campaign: see [`store::visible_sql`]; everyone else gets 404;
//! - create, edit, copy, change the status: admins over the issuing org (403
//!   for other readers);
//! - edit and submit a plan: cadres and admins over the unit;
//! - accept or return a plan: admins over the issuing org.

use crate::web::{Form, Json, Path, Query};
use askama::Template;
use axum::{
    Router,
    extract::State,
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use serde::{Deserialize, Serialize};
use utoipa::OpenApi;

use super::{
    Campaign, CampaignInput, CampaignKind, CampaignStatus, Progress, Targets, Unit,
    UnitTargetsInput, next_year, percent,
    plan::{
        self, MilestoneInput, Plan, PlanAction, PlanContent, PlanEvent, PlanInput, PlanStatus,
        ReturnInput,
    },
    resolve_units, store,
};
use crate::{
    audit::{self, Action, Entry},
    auth::{Caller, Need},
    db::{CampaignId, OrgId},
    error::{AppError, AppResult, FieldError},
    org::OrgKind,
    web::{
        AppState,
        page::{Chrome, render},
    },
};

/// The routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/campaigns", get(list_page).post(create_page))
        .route("/campaigns/new", get(new_page))
        .route("/campaigns/{id}", get(detail_page))
        .route("/campaigns/{id}/edit", get(edit_page).post(update_page))
        .route("/campaigns/{id}/copy", post(copy_page))
        .route("/campaigns/{id}/status", post(status_page))
        .route(
            "/campaigns/{id}/plans/{org}",
            get(plan_page).post(plan_save_page),
        )
        .route("/campaigns/{id}/plans/{org}/accept", post(plan_accept_page))
        .route("/campaigns/{id}/plans/{org}/return", post(plan_return_page))
        .route("/api/v1/campaigns", get(api_list).post(api_create))
        .route("/api/v1/campaigns/{id}", get(api_get).patch(api_update))
        .route("/api/v1/campaigns/{id}/status", post(api_status))
        .route("/api/v1/campaigns/{id}/copy", post(api_copy))
        .route(
            "/api/v1/campaigns/{id}/plans/{org}",
            get(api_plan).put(api_plan_put),
        )
        .route(
            "/api/v1/campaigns/{id}/plans/{org}/submit",
            post(api_plan_submit),
        )
        .route(
            "/api/v1/campaigns/{id}/plans/{org}/accept",
            post(api_plan_accept),
        )
        .route(
            "/api/v1/campaigns/{id}/plans/{org}/return",
            post(api_plan_return),
        )
}

/// This module's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(api_list, api_get, api_create, api_update, api_status, api_copy, api_plan, api_plan_put,
        api_plan_submit, api_plan_accept, api_plan_return),
    components(schemas(Campaign, CampaignInput, UnitTargetsInput, CampaignStatus, CampaignKind, CampaignDetail,
        UnitProgress, Percent, Progress, Targets, StatusInput, Plan, PlanInput, MilestoneInput,
        PlanStatus, PlanEvent, PlanDetail, ReturnInput, plan::Milestone, PlanContent)),
    tags((name = "campaigns", description = "Campaigns, their participating units, targets and live progress, and the units' implementation plans"))
)]
pub struct ApiDoc;

/// The most campaigns a list shows.
const LIST_LIMIT: i64 = 500;

// ---- shared logic (pages and API) ----

/// The campaign if the caller sees it, else 404.
async fn visible(state: &AppState, caller: &Caller, id: CampaignId) -> AppResult<Campaign> {
    store::get(&state.db, &caller.scope(Need::Read), id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Whether the caller is an admin over the issuing org.
async fn is_issuer_admin(state: &AppState, caller: &Caller, c: &Campaign) -> AppResult<bool> {
    Ok(caller
        .scope(Need::Admin)
        .contains(&state.db, c.org_id)
        .await?)
}

/// The campaign if the caller may manage it: 404 when invisible, 403 when
/// visible but the caller is not an admin over the issuing org.
async fn manageable(state: &AppState, caller: &Caller, id: CampaignId) -> AppResult<Campaign> {
    let c = visible(state, caller, id).await?;
    if !is_issuer_admin(state, caller, &c).await? {
        return Err(AppError::Forbidden);
    }
    Ok(c)
}

/// A participating unit's targets, live progress and plan.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct UnitProgress {
    pub org_id: OrgId,
    pub code: String,
    pub name: String,
    pub kind: OrgKind,
    pub targets: Targets,
    pub actual: Progress,
    pub percent: Percent,
    /// Absent when the unit has not started a plan.
    pub plan_status: Option<PlanStatus>,
    pub plan_version: i64,
}

/// Actual as a whole percentage of target; absent without a target.
#[derive(Clone, Copy, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct Percent {
    pub enterprises: Option<i64>,
    pub interviews: Option<i64>,
    pub symposiums: Option<i64>,
    /// Problems solved against the target.
    pub problems: Option<i64>,
}

impl Percent {
    fn of(a: &Progress, t: &Targets) -> Percent {
        Percent {
            enterprises: percent(a.enterprises, t.enterprises),
            interviews: percent(a.interviews, t.interviews),
            symposiums: percent(a.symposiums, t.symposiums),
            problems: percent(a.solved, t.problems),
        }
    }
}

/// A campaign with its units (those the caller may see) and their progress.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CampaignDetail {
    pub campaign: Campaign,
    pub units: Vec<UnitProgress>,
    pub total_targets: Targets,
    pub total_actual: Progress,
    pub total_percent: Percent,
    /// Plans accepted / submitted (waiting) / returned / not submitted.
    pub plans_accepted: i64,
    pub plans_waiting: i64,
    pub plans_returned: i64,
    pub plans_missing: i64,
    /// Whether the caller may edit the campaign and decide plans.
    pub can_manage: bool,
    /// Whether the caller reads the issuing org (and so sees the summary overview).
    pub is_issuer_reader: bool,
    /// The campaign's questionnaires the caller reads, with their valid response counts.
    pub surveys: Vec<crate::survey::analysis::store::CampaignSurvey>,
}

/// Builds the detail. Readers of the issuing org see every unit; participants
/// see the units related to their scope.
async fn detail(state: &AppState, caller: &Caller, c: Campaign) -> AppResult<CampaignDetail> {
    let read = caller.scope(Need::Read);
    let issuer_reader = read.contains(&state.db, c.org_id).await?;
    let units = store::units(&state.db, c.id, (!issuer_reader).then_some(&read)).await?;
    let progress = store::progress(&state.db, c.id).await?;
    let plans = store::plan_statuses(&state.db, c.id).await?;
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
    let can_manage = is_issuer_admin(state, caller, &c).await?;
    let surveys = crate::survey::analysis::store::campaign_surveys(
        &state.db,
        &caller.scope(Need::Read),
        c.id,
    )
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

/// Creates a draft campaign issued by `issuer_code` (default: the caller's
/// org), an org where the caller is admin.
async fn create(state: &AppState, caller: &Caller, input: &CampaignInput) -> AppResult<CampaignId> {
    let admin = caller.require(Need::Admin)?;
    let f = input.parse()?;
    let issuer = match &f.issuer_code {
        Some(code) => crate::org::store::get_by_code(&state.db, &admin, code)
            .await?
            .map(|o| o.id),
        None => admin
            .contains(&state.db, caller.home_org)
            .await?
            .then_some(caller.home_org),
    }
    .ok_or_else(|| AppError::field("issuer_code", "err-org-out-of-scope"))?;
    let units = match &f.units {
        Some(choice) => resolve_units(&state.db, issuer, choice).await?,
        None => Vec::new(),
    };
    let mut tx = state.db.begin().await?;
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
    audit::store::record(&mut *tx, &e).await?;
    tx.commit().await?;
    Ok(id)
}

/// Edits a campaign. A closed campaign is read only; units of an issued
/// campaign may be added and retargeted but a unit holding a plan stays.
async fn update(
    state: &AppState,
    caller: &Caller,
    id: CampaignId,
    input: &CampaignInput,
) -> AppResult<()> {
    let c = manageable(state, caller, id).await?;
    if c.status == CampaignStatus::Closed {
        return Err(AppError::field("status", "err-campaign-closed"));
    }
    let f = input.parse()?;
    if f.kind != CampaignKind::Stationing
        && crate::stationing::store::group_count(&state.db, id).await? > 0
    {
        return Err(AppError::field("kind", "err-campaign-kind-has-groups"));
    }
    let units = match &f.units {
        Some(choice) => Some(resolve_units(&state.db, c.org_id, choice).await?),
        None => None,
    };
    if let Some(new) = &units
        && c.status != CampaignStatus::Draft
    {
        let kept = store::units_with_plans(&state.db, id).await?;
        if kept.iter().any(|o| !new.iter().any(|(n, _)| n == o)) {
            return Err(AppError::field("units", "err-units-locked"));
        }
    }
    let mut tx = state.db.begin().await?;
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
    audit::store::record(&mut *tx, &e).await?;
    tx.commit().await?;
    Ok(())
}

/// Moves a campaign to another status (see [`CampaignStatus::can_become`]).
async fn change_status(
    state: &AppState,
    caller: &Caller,
    id: CampaignId,
    raw: &str,
) -> AppResult<()> {
    let c = manageable(state, caller, id).await?;
    let to = CampaignStatus::parse(raw).ok_or_else(|| AppError::field("status", "err-status"))?;
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
    let mut tx = state.db.begin().await?;
    store::set_status(&mut tx, id, to).await?;
    if to == CampaignStatus::Active {
        // Each unit is told to confirm receipt (签收), in the same transaction.
        crate::supervision::ops::on_issued(&mut tx, &c).await?;
    }
    let e = Entry::by(caller, c.org_id, Action::CampaignStatusChanged)
        .target(format!("campaign:{id}"))
        .detail(format!("{} → {}", c.status.as_str(), to.as_str()));
    audit::store::record(&mut *tx, &e).await?;
    tx.commit().await?;
    Ok(())
}

fn state_name(caller: &Caller, s: CampaignStatus) -> String {
    caller.lang.t(&s.label_key())
}

/// Copies a campaign into a new draft of the same issuer: same texts, units
/// and targets, dates moved on by a year (a yearly campaign is the usual case;
/// the copy is a draft, so the issuer adjusts them before issuing it), and no
/// document number (a new notice gets its own).
async fn copy(state: &AppState, caller: &Caller, id: CampaignId) -> AppResult<CampaignId> {
    let c = manageable(state, caller, id).await?;
    let units = store::units(&state.db, id, None).await?;
    // Units that were deactivated or moved away since then are left out.
    let still_under: Vec<OrgId> = store::units_under(
        &state.db,
        c.org_id,
        &[],
        &units.iter().map(|u| u.code.clone()).collect::<Vec<_>>(),
    )
    .await?
    .into_iter()
    .map(|(o, _)| o)
    .collect();
    let active: Vec<OrgId> = {
        let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM orgs WHERE active = 1")
            .fetch_all(state.db.pool())
            .await?;
        still_under
            .into_iter()
            .filter(|o| ids.contains(&o.0))
            .collect()
    };
    let keep: Vec<(OrgId, Targets)> = units
        .iter()
        .filter(|u| active.contains(&u.org_id))
        .map(|u| (u.org_id, u.targets))
        .collect();
    let f = super::CampaignFields {
        issuer_code: None,
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
    let mut tx = state.db.begin().await?;
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
    audit::store::record(&mut *tx, &e).await?;
    tx.commit().await?;
    Ok(new)
}

/// A plan with its history and what the caller may do with it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PlanDetail {
    pub plan: Plan,
    /// Submissions and decisions, oldest first, each with the plan as it was.
    pub events: Vec<PlanEvent>,
    /// The unit's targets set by the campaign.
    pub campaign_targets: Targets,
    /// Whether the caller may edit and submit it now.
    pub can_edit: bool,
    /// Whether the caller may accept or return it now.
    pub can_decide: bool,
}

/// The campaign and the unit's plan if the caller sees both: readers of the
/// issuing org, and readers related to the unit. Otherwise 404.
async fn plan_visible(
    state: &AppState,
    caller: &Caller,
    id: CampaignId,
    org: OrgId,
) -> AppResult<(Campaign, Unit, PlanDetail)> {
    let c = visible(state, caller, id).await?;
    let read = caller.scope(Need::Read);
    let issuer_reader = read.contains(&state.db, c.org_id).await?;
    let units = store::units(&state.db, id, (!issuer_reader).then_some(&read)).await?;
    let unit = units
        .into_iter()
        .find(|u| u.org_id == org)
        .ok_or(AppError::NotFound)?;
    let plan = store::plan(&state.db, id, org).await?;
    let events = match plan.id {
        Some(p) => store::plan_events(&state.db, p).await?,
        None => Vec::new(),
    };
    let active = c.status == CampaignStatus::Active;
    let can_edit = active
        && plan::transition(plan.status, &PlanAction::Save).is_ok()
        && caller.scope(Need::Write).contains(&state.db, org).await?;
    let can_decide = active
        && plan.status == PlanStatus::Submitted
        && is_issuer_admin(state, caller, &c).await?;
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
async fn save_plan(
    state: &AppState,
    caller: &Caller,
    id: CampaignId,
    org: OrgId,
    input: &PlanInput,
    submit: bool,
) -> AppResult<()> {
    let (c, _, d) = plan_visible(state, caller, id, org).await?;
    if !caller.scope(Need::Write).contains(&state.db, org).await? {
        return Err(AppError::Forbidden);
    }
    if c.status != CampaignStatus::Active {
        return Err(AppError::field("status", "err-campaign-not-active"));
    }
    plan::transition(d.plan.status, &PlanAction::Save)?;
    let content = input.parse()?;
    let mut tx = state.db.begin().await?;
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
    audit::store::record(&mut *tx, &entry).await?;
    tx.commit().await?;
    Ok(())
}

/// Submits the plan as it is saved (the API's `submit`).
async fn submit_plan(
    state: &AppState,
    caller: &Caller,
    id: CampaignId,
    org: OrgId,
) -> AppResult<()> {
    let (c, _, d) = plan_visible(state, caller, id, org).await?;
    if !caller.scope(Need::Write).contains(&state.db, org).await? {
        return Err(AppError::Forbidden);
    }
    if c.status != CampaignStatus::Active {
        return Err(AppError::field("status", "err-campaign-not-active"));
    }
    let to = plan::transition(d.plan.status, &PlanAction::Submit)?;
    let version = d.plan.version + 1;
    let mut tx = state.db.begin().await?;
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
    audit::store::record(&mut *tx, &e).await?;
    tx.commit().await?;
    Ok(())
}

/// Accepts or returns a submitted plan; admins over the issuing org only.
async fn decide(
    state: &AppState,
    caller: &Caller,
    id: CampaignId,
    org: OrgId,
    action: PlanAction,
) -> AppResult<()> {
    let (c, _, d) = plan_visible(state, caller, id, org).await?;
    if !is_issuer_admin(state, caller, &c).await? {
        return Err(AppError::Forbidden);
    }
    if c.status != CampaignStatus::Active {
        return Err(AppError::field("status", "err-campaign-not-active"));
    }
    let to = plan::transition(d.plan.status, &action)?;
    let Some(pid) = d.plan.id else {
        return Err(AppError::field("status", "err-plan-transition"));
    };
    let mut tx = state.db.begin().await?;
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
    audit::store::record(&mut *tx, &e).await?;
    tx.commit().await?;
    Ok(())
}

fn return_action(input: &ReturnInput) -> PlanAction {
    PlanAction::Return(input.reason.clone().unwrap_or_default())
}

// ---- pages ----

/// Query of the list page and the list API.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct ListParams {
    /// draft, active or closed; empty for all.
    pub status: Option<String>,
}

impl ListParams {
    fn status(&self) -> AppResult<Option<CampaignStatus>> {
        match self
            .status
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => Ok(None),
            Some(s) => CampaignStatus::parse(s)
                .map(Some)
                .ok_or_else(|| AppError::field("status", "err-status")),
        }
    }
}

#[derive(Template)]
#[template(path = "campaign/list.html")]
struct ListPage {
    c: Chrome,
    items: Vec<Campaign>,
    status: String,
    statuses: Vec<CampaignStatus>,
}

async fn list_page(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ListParams>,
) -> AppResult<Response> {
    let status = p.status()?;
    let items = store::list(&state.db, &caller.scope(Need::Read), status, LIST_LIMIT).await?;
    render(ListPage {
        c: Chrome::for_caller(&caller, "/campaigns"),
        items,
        status: status.map(|s| s.as_str().to_string()).unwrap_or_default(),
        statuses: CampaignStatus::ALL.to_vec(),
    })
}

#[derive(Template)]
#[template(path = "campaign/detail.html")]
struct DetailPage {
    c: Chrome,
    d: CampaignDetail,
    copied_from_title: Option<String>,
    panel: crate::attachment::http::Panel,
    /// Receipt (签收) and the supervision grid's link.
    sv: crate::supervision::CampaignPanel,
}

impl DetailPage {
    fn pct(&self, p: &Option<i64>) -> String {
        p.map(|v| format!("{v}%")).unwrap_or_else(|| "—".into())
    }

    /// A percentage for a `<progress>` bar, capped at 100.
    fn bar(&self, p: &Option<i64>) -> i64 {
        p.unwrap_or(0).min(100)
    }
}

async fn detail_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
) -> AppResult<Response> {
    let c = visible(&state, &caller, id).await?;
    let copied_from_title = match c.copied_from {
        Some(from) => store::get(&state.db, &caller.scope(Need::Read), from)
            .await?
            .map(|f| f.title),
        None => None,
    };
    let sv = crate::supervision::ops::campaign_panel(&state.db, &caller, &c).await?;
    let d = detail(&state, &caller, c).await?;
    let owner = crate::attachment::Owner::of(crate::attachment::OwnerKind::Campaign, id.0);
    let panel = crate::attachment::http::panel(&state, &caller, Some(owner)).await?;
    render(DetailPage {
        panel,
        sv,
        c: Chrome::for_caller(&caller, &format!("/campaigns/{id}")),
        d,
        copied_from_title,
    })
}

#[derive(Template)]
#[template(path = "campaign/form.html")]
struct FormPage {
    c: Chrome,
    id: Option<CampaignId>,
    status: CampaignStatus,
    input: CampaignInput,
    /// Units as they are now (edit only), for the per-unit targets.
    units: Vec<Unit>,
    kinds: Vec<OrgKind>,
    campaign_kinds: Vec<CampaignKind>,
    /// Orgs where the caller may issue campaigns (new only).
    issuers: Vec<(String, String)>,
    errors: Vec<(String, String)>,
}

impl FormPage {
    async fn new(
        state: &AppState,
        caller: &Caller,
        id: Option<CampaignId>,
        input: CampaignInput,
        errors: Vec<(String, String)>,
    ) -> AppResult<FormPage> {
        let (status, units) = match id {
            Some(i) => {
                let c = manageable(state, caller, i).await?;
                (c.status, store::units(&state.db, i, None).await?)
            }
            None => (CampaignStatus::Draft, Vec::new()),
        };
        let issuers = if id.is_none() {
            let admin = caller.scope(Need::Admin);
            let sql = format!(
                "SELECT o.code, o.name FROM orgs o WHERE o.active = 1 AND o.kind <> 'grassroots' AND {} \
                 ORDER BY o.display_order, o.sort_key, o.id LIMIT 200",
                admin.sql("o.id")
            );
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .fetch_all(state.db.pool())
                .await?
        } else {
            Vec::new()
        };
        let path = match id {
            Some(i) => format!("/campaigns/{i}/edit"),
            None => "/campaigns/new".into(),
        };
        Ok(FormPage {
            c: Chrome::for_caller(caller, &path),
            id,
            status,
            input,
            units,
            kinds: vec![
                OrgKind::Industry,
                OrgKind::Street,
                OrgKind::Direct,
                OrgKind::Grassroots,
                OrgKind::Department,
            ],
            campaign_kinds: CampaignKind::ALL.to_vec(),
            issuers,
            errors,
        })
    }

    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    fn errors_for(&self, field: &str) -> Vec<&str> {
        self.errors
            .iter()
            .filter(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
            .collect()
    }

    fn value<'a>(&self, v: &'a Option<String>) -> &'a str {
        v.as_deref().unwrap_or("")
    }

    fn has_kind(&self, k: &OrgKind) -> bool {
        super::split_list(self.value(&self.input.kinds)).any(|s| OrgKind::parse(s) == Some(*k))
    }

    fn is_campaign_kind(&self, k: &CampaignKind) -> bool {
        CampaignKind::parse(self.value(&self.input.kind)).unwrap_or_default() == *k
    }

    fn is_issuer(&self, code: &str) -> bool {
        self.input
            .issuer_code
            .as_deref()
            .is_some_and(|c| c.eq_ignore_ascii_case(code))
    }

    /// The override a unit has in the input for one target ("e", "i", "s", "p"), or "".
    fn ov(&self, code: &str, which: &str) -> String {
        let Some(o) = self
            .input
            .overrides
            .iter()
            .flatten()
            .find(|o| o.org_code.eq_ignore_ascii_case(code))
        else {
            return String::new();
        };
        let v = match which {
            "e" => &o.target_enterprises,
            "i" => &o.target_interviews,
            "s" => &o.target_symposiums,
            _ => &o.target_problems,
        };
        v.clone().unwrap_or_default()
    }
}

/// Reads a submitted campaign form: one `kinds` value per ticked box and the
/// per-unit targets as `oe:CODE`, `oi:CODE`, `os:CODE`, `op:CODE`.
fn form_input(raw: Vec<(String, String)>) -> CampaignInput {
    let mut input = CampaignInput::default();
    let mut kinds: Vec<String> = Vec::new();
    let mut overrides: Vec<UnitTargetsInput> = Vec::new();
    for (k, v) in raw {
        if let Some((which, code)) = k.split_once(':') {
            let code = code.trim().to_ascii_uppercase();
            let o = match overrides.iter_mut().position(|o| o.org_code == code) {
                Some(i) => &mut overrides[i],
                None => {
                    overrides.push(UnitTargetsInput {
                        org_code: code,
                        ..Default::default()
                    });
                    overrides.last_mut().expect("just pushed")
                }
            };
            let v = Some(v).filter(|v| !v.trim().is_empty());
            match which {
                "oe" => o.target_enterprises = v,
                "oi" => o.target_interviews = v,
                "os" => o.target_symposiums = v,
                "op" => o.target_problems = v,
                _ => {}
            }
            continue;
        }
        let slot = match k.as_str() {
            "issuer_code" => &mut input.issuer_code,
            "kind" => &mut input.kind,
            "title" => &mut input.title,
            "doc_number" => &mut input.doc_number,
            "theme" => &mut input.theme,
            "notice" => &mut input.notice,
            "starts_on" => &mut input.starts_on,
            "ends_on" => &mut input.ends_on,
            "report_due_on" => &mut input.report_due_on,
            "org_codes" => &mut input.org_codes,
            "target_enterprises" => &mut input.target_enterprises,
            "target_interviews" => &mut input.target_interviews,
            "target_symposiums" => &mut input.target_symposiums,
            "target_problems" => &mut input.target_problems,
            "kinds" => {
                kinds.push(v);
                continue;
            }
            _ => continue,
        };
        *slot = Some(v);
    }
    input.kinds = Some(kinds.join(","));
    overrides.retain(|o| {
        o.target_enterprises.is_some()
            || o.target_interviews.is_some()
            || o.target_symposiums.is_some()
            || o.target_problems.is_some()
    });
    input.overrides = Some(overrides);
    input
}

async fn form_again(
    state: &AppState,
    caller: &Caller,
    id: Option<CampaignId>,
    input: CampaignInput,
    e: AppError,
) -> AppResult<Response> {
    let Some(errors) = crate::web::form::errors_of(&e, caller) else {
        return Err(e);
    };
    let page = FormPage::new(state, caller, id, input, errors).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}

async fn new_page(State(state): State<AppState>, caller: Caller) -> AppResult<Response> {
    let admin = caller.require(Need::Admin)?;
    let home = crate::org::store::get(&state.db, &admin, caller.home_org).await?;
    let input = CampaignInput {
        issuer_code: home.map(|o| o.code),
        kinds: Some("industry,street,direct".into()),
        ..Default::default()
    };
    render(FormPage::new(&state, &caller, None, input, Vec::new()).await?)
}

async fn create_page(
    State(state): State<AppState>,
    caller: Caller,
    Form(raw): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let input = form_input(raw);
    match create(&state, &caller, &input).await {
        Ok(id) => Ok(Redirect::to(&format!("/campaigns/{id}")).into_response()),
        Err(e) => form_again(&state, &caller, None, input, e).await,
    }
}

async fn edit_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
) -> AppResult<Response> {
    let c = manageable(&state, &caller, id).await?;
    let units = store::units(&state.db, id, None).await?;
    let full = store::full_kinds(&state.db, c.org_id, &units).await?;
    let input = CampaignInput::from_campaign(&c, &units, &full);
    render(FormPage::new(&state, &caller, Some(id), input, Vec::new()).await?)
}

async fn update_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
    Form(raw): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let input = form_input(raw);
    match update(&state, &caller, id, &input).await {
        Ok(()) => Ok(Redirect::to(&format!("/campaigns/{id}")).into_response()),
        Err(e) => form_again(&state, &caller, Some(id), input, e).await,
    }
}

async fn copy_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
) -> AppResult<Response> {
    let new = copy(&state, &caller, id).await?;
    Ok(Redirect::to(&format!("/campaigns/{new}/edit")).into_response())
}

/// The body of a status change.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = CampaignStatusInput)]
pub struct StatusInput {
    /// draft, active or closed.
    pub status: String,
}

async fn status_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
    Form(input): Form<StatusInput>,
) -> AppResult<Response> {
    change_status(&state, &caller, id, &input.status).await?;
    Ok(Redirect::to(&format!("/campaigns/{id}")).into_response())
}

#[derive(Template)]
#[template(path = "campaign/plan.html")]
struct PlanPage {
    c: Chrome,
    campaign: Campaign,
    unit: Unit,
    d: PlanDetail,
    input: PlanInput,
    /// Milestone rows offered in the form: the current ones and a few blank ones.
    rows: Vec<MilestoneInput>,
    errors: Vec<(String, String)>,
    panel: crate::attachment::http::Panel,
}

impl PlanPage {
    async fn build(
        state: &AppState,
        caller: &Caller,
        id: CampaignId,
        org: OrgId,
        input: Option<PlanInput>,
        errors: Vec<(String, String)>,
    ) -> AppResult<PlanPage> {
        let (campaign, unit, d) = plan_visible(state, caller, id, org).await?;
        let input = input.unwrap_or_else(|| {
            let mut content = d.plan.content.clone();
            if d.plan.id.is_none() {
                // A new plan starts from the targets the campaign set.
                content.target_enterprises = unit.targets.enterprises;
                content.target_interviews = unit.targets.interviews;
                content.target_symposiums = unit.targets.symposiums;
            }
            PlanInput::from_content(&content)
        });
        let mut rows = input.milestones.clone();
        rows.extend(std::iter::repeat_n(MilestoneInput::default(), 3));
        let owner = (d.plan.id)
            .map(|p| crate::attachment::Owner::of(crate::attachment::OwnerKind::Plan, p.0));
        let panel = crate::attachment::http::panel(state, caller, owner).await?;
        Ok(PlanPage {
            panel,
            c: Chrome::for_caller(caller, &format!("/campaigns/{id}/plans/{org}")),
            campaign,
            unit,
            d,
            input,
            rows,
            errors,
        })
    }

    fn value<'a>(&self, v: &'a Option<String>) -> &'a str {
        v.as_deref().unwrap_or("")
    }

    fn errors_for(&self, field: &str) -> Vec<&str> {
        self.errors
            .iter()
            .filter(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
            .collect()
    }

    fn action_label(&self, action: &str) -> String {
        self.c.t(&format!("plan-event-{action}"))
    }
}

/// Reads the plan form: milestones as repeated `m_title` / `m_due` pairs.
fn plan_form_input(raw: &[(String, String)]) -> (PlanInput, bool) {
    let mut input = PlanInput::default();
    let mut titles = Vec::new();
    let mut dues = Vec::new();
    let mut submit = false;
    for (k, v) in raw {
        match k.as_str() {
            "summary" => input.summary = Some(v.clone()),
            "target_enterprises" => input.target_enterprises = Some(v.clone()),
            "target_interviews" => input.target_interviews = Some(v.clone()),
            "target_symposiums" => input.target_symposiums = Some(v.clone()),
            "m_title" => titles.push(v.clone()),
            "m_due" => dues.push(v.clone()),
            "submit" => submit = v == "1",
            _ => {}
        }
    }
    let n = titles.len().max(dues.len());
    input.milestones = (0..n)
        .map(|i| MilestoneInput {
            title: titles.get(i).cloned(),
            due_on: dues.get(i).cloned(),
        })
        .collect();
    (input, submit)
}

async fn plan_page(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, org)): Path<(CampaignId, OrgId)>,
) -> AppResult<Response> {
    render(PlanPage::build(&state, &caller, id, org, None, Vec::new()).await?)
}

/// Answers a failed plan action with the plan page again (422) when it is a
/// validation error, with the error otherwise.
async fn plan_again(
    state: &AppState,
    caller: &Caller,
    id: CampaignId,
    org: OrgId,
    input: Option<PlanInput>,
    e: AppError,
) -> AppResult<Response> {
    let Some(errors) = crate::web::form::errors_of(&e, caller) else {
        return Err(e);
    };
    let page = PlanPage::build(state, caller, id, org, input, errors).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}

async fn plan_save_page(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, org)): Path<(CampaignId, OrgId)>,
    Form(raw): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let (input, submit) = plan_form_input(&raw);
    match save_plan(&state, &caller, id, org, &input, submit).await {
        Ok(()) => Ok(Redirect::to(&format!("/campaigns/{id}/plans/{org}")).into_response()),
        Err(e) => plan_again(&state, &caller, id, org, Some(input), e).await,
    }
}

async fn plan_accept_page(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, org)): Path<(CampaignId, OrgId)>,
) -> AppResult<Response> {
    match decide(&state, &caller, id, org, PlanAction::Accept).await {
        Ok(()) => Ok(Redirect::to(&format!("/campaigns/{id}/plans/{org}")).into_response()),
        Err(e) => plan_again(&state, &caller, id, org, None, e).await,
    }
}

async fn plan_return_page(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, org)): Path<(CampaignId, OrgId)>,
    Form(input): Form<ReturnInput>,
) -> AppResult<Response> {
    match decide(&state, &caller, id, org, return_action(&input)).await {
        Ok(()) => Ok(Redirect::to(&format!("/campaigns/{id}/plans/{org}")).into_response()),
        Err(e) => plan_again(&state, &caller, id, org, None, e).await,
    }
}

// ---- JSON API ----

/// Campaigns the caller issues or takes part in, newest first.
#[utoipa::path(get, path = "/api/v1/campaigns", tag = "campaigns", params(ListParams),
    responses((status = 200, body = Vec<Campaign>),
        (status = 422, description = "`status` is not draft, active or closed", body = crate::web::errors::ErrorBody),
        (status = 401, body = crate::web::errors::ErrorBody)))]
pub async fn api_list(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ListParams>,
) -> AppResult<Json<Vec<Campaign>>> {
    let status = p.status()?;
    Ok(Json(
        store::list(&state.db, &caller.scope(Need::Read), status, LIST_LIMIT).await?,
    ))
}

/// One campaign with its units, their targets, live progress and plan status.
/// Readers of the issuing org see every unit; participants see their own.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}", tag = "campaigns", params(("id" = i64, Path)),
    responses((status = 200, body = CampaignDetail), (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
) -> AppResult<Json<CampaignDetail>> {
    let c = visible(&state, &caller, id).await?;
    Ok(Json(detail(&state, &caller, c).await?))
}

/// Creates a draft campaign issued by `issuer_code` (default: the caller's
/// org; the caller must be admin there). Units: every active org of `kinds`
/// strictly under the issuer, plus `org_codes`; default targets plus `overrides`.
#[utoipa::path(post, path = "/api/v1/campaigns", tag = "campaigns", request_body = CampaignInput,
    responses((status = 201, body = CampaignDetail), (status = 422, body = crate::web::errors::ErrorBody),
        (status = 403, body = crate::web::errors::ErrorBody)))]
pub async fn api_create(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<CampaignInput>,
) -> AppResult<Response> {
    let id = create(&state, &caller, &input).await?;
    let c = visible(&state, &caller, id).await?;
    Ok((StatusCode::CREATED, Json(detail(&state, &caller, c).await?)).into_response())
}

/// Changes the given fields. Mentioning any of `kinds`, `org_codes`, the
/// default targets or `overrides` replaces the whole unit choice; a unit that
/// holds a plan cannot leave an issued campaign; a closed campaign is read only.
#[utoipa::path(patch, path = "/api/v1/campaigns/{id}", tag = "campaigns", params(("id" = i64, Path)), request_body = CampaignInput,
    responses((status = 200, body = CampaignDetail), (status = 422, body = crate::web::errors::ErrorBody),
        (status = 403, body = crate::web::errors::ErrorBody), (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
    Json(patch): Json<CampaignInput>,
) -> AppResult<Json<CampaignDetail>> {
    let c = manageable(&state, &caller, id).await?;
    let units = store::units(&state.db, id, None).await?;
    let full = store::full_kinds(&state.db, c.org_id, &units).await?;
    let merged = patch.over(CampaignInput::from_campaign(&c, &units, &full));
    update(&state, &caller, id, &merged).await?;
    let c = visible(&state, &caller, id).await?;
    Ok(Json(detail(&state, &caller, c).await?))
}

/// Issues (draft → active), closes (active → closed) or reopens (closed → active).
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/status", tag = "campaigns", params(("id" = i64, Path)), request_body = StatusInput,
    responses((status = 200, body = Campaign), (status = 422, body = crate::web::errors::ErrorBody),
        (status = 403, body = crate::web::errors::ErrorBody), (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_status(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
    Json(input): Json<StatusInput>,
) -> AppResult<Json<Campaign>> {
    change_status(&state, &caller, id, &input.status).await?;
    Ok(Json(visible(&state, &caller, id).await?))
}

/// Copies a campaign into a new draft: same texts, units and targets, dates a
/// year later, no document number, `copied_from` set.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/copy", tag = "campaigns", params(("id" = i64, Path)),
    responses((status = 201, body = CampaignDetail), (status = 403, body = crate::web::errors::ErrorBody),
        (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_copy(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
) -> AppResult<Response> {
    let new = copy(&state, &caller, id).await?;
    let c = visible(&state, &caller, new).await?;
    Ok((StatusCode::CREATED, Json(detail(&state, &caller, c).await?)).into_response())
}

/// A unit's plan with its history; a plan not started reads as an empty draft.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/plans/{org}", tag = "campaigns",
    params(("id" = i64, Path), ("org" = i64, Path, description = "the participating unit")),
    responses((status = 200, body = PlanDetail), (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_plan(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, org)): Path<(CampaignId, OrgId)>,
) -> AppResult<Json<PlanDetail>> {
    Ok(Json(plan_visible(&state, &caller, id, org).await?.2))
}

/// Saves a draft or returned plan (cadres and admins over the unit, campaign active).
#[utoipa::path(put, path = "/api/v1/campaigns/{id}/plans/{org}", tag = "campaigns",
    params(("id" = i64, Path), ("org" = i64, Path)), request_body = PlanInput,
    responses((status = 200, body = PlanDetail), (status = 422, body = crate::web::errors::ErrorBody),
        (status = 403, body = crate::web::errors::ErrorBody), (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_plan_put(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, org)): Path<(CampaignId, OrgId)>,
    Json(input): Json<PlanInput>,
) -> AppResult<Json<PlanDetail>> {
    save_plan(&state, &caller, id, org, &input, false).await?;
    Ok(Json(plan_visible(&state, &caller, id, org).await?.2))
}

/// Submits the saved plan to the issuing org (version + 1, snapshot kept).
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/plans/{org}/submit", tag = "campaigns",
    params(("id" = i64, Path), ("org" = i64, Path)),
    responses((status = 200, body = PlanDetail), (status = 422, description = "not a draft or returned plan", body = crate::web::errors::ErrorBody),
        (status = 403, body = crate::web::errors::ErrorBody), (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_plan_submit(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, org)): Path<(CampaignId, OrgId)>,
) -> AppResult<Json<PlanDetail>> {
    submit_plan(&state, &caller, id, org).await?;
    Ok(Json(plan_visible(&state, &caller, id, org).await?.2))
}

/// Accepts a submitted plan (admins over the issuing org).
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/plans/{org}/accept", tag = "campaigns",
    params(("id" = i64, Path), ("org" = i64, Path)),
    responses((status = 200, body = PlanDetail), (status = 422, description = "not a submitted plan", body = crate::web::errors::ErrorBody),
        (status = 403, body = crate::web::errors::ErrorBody), (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_plan_accept(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, org)): Path<(CampaignId, OrgId)>,
) -> AppResult<Json<PlanDetail>> {
    decide(&state, &caller, id, org, PlanAction::Accept).await?;
    Ok(Json(plan_visible(&state, &caller, id, org).await?.2))
}

/// Returns a submitted plan with a reason (required) for the unit to revise.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/plans/{org}/return", tag = "campaigns",
    params(("id" = i64, Path), ("org" = i64, Path)), request_body = ReturnInput,
    responses((status = 200, body = PlanDetail), (status = 422, description = "no reason, or not a submitted plan", body = crate::web::errors::ErrorBody),
        (status = 403, body = crate::web::errors::ErrorBody), (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_plan_return(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, org)): Path<(CampaignId, OrgId)>,
    Json(input): Json<ReturnInput>,
) -> AppResult<Json<PlanDetail>> {
    decide(&state, &caller, id, org, return_action(&input)).await?;
    Ok(Json(plan_visible(&state, &caller, id, org).await?.2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_campaign_form_becomes_an_input() {
        let input = form_input(vec![
            ("title".into(), "甲".into()),
            ("kinds".into(), "street".into()),
            ("kinds".into(), "industry".into()),
            ("oe:yp-jd-dhl".into(), "20".into()),
            ("oi:YP-JD-DHL".into(), "".into()),
            ("oe:YP-JD-PLL".into(), " ".into()),
        ]);
        assert_eq!(input.kinds.as_deref(), Some("street,industry"));
        let o = input.overrides.unwrap();
        assert_eq!(o.len(), 1, "rows left blank take the defaults");
        assert_eq!(o[0].org_code, "YP-JD-DHL");
        assert_eq!(o[0].target_enterprises.as_deref(), Some("20"));
        assert_eq!(o[0].target_interviews, None);
    }

    #[test]
    fn a_plan_form_pairs_milestone_rows() {
        let (input, submit) = plan_form_input(&[
            ("summary".into(), "s".into()),
            ("m_title".into(), "动员".into()),
            ("m_due".into(), "2019-10-25".into()),
            ("m_title".into(), "".into()),
            ("m_due".into(), "".into()),
            ("submit".into(), "1".into()),
        ]);
        assert!(submit);
        assert_eq!(input.milestones.len(), 2);
        assert_eq!(input.parse().unwrap().milestones.len(), 1);
    }
}
