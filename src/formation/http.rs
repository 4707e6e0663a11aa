//! Union-formation pages (the pipeline board, a pipeline with its timeline and
//! steps, the founding form, members joined by group × org, applications from
//! the join pages, the join pages themselves) and the API under
//! `/api/v1/formation`.

use askama::Template;
use axum::{
    Form, Json, Router,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use serde::{Deserialize, Serialize};
use utoipa::OpenApi;

use super::{
    Application, DecisionInput, Event, FlagInput, JoinInput, MemberGroup, Pipeline, StepInput,
    lifecycle::{Action, STAGE_CODES, Stage, Wish},
    parse_wish,
    store::{
        self, Actor, Figures, Founding, GroupCount, Join, Link, MemberFilter, MemberRow, Opening,
        PipelineFilter,
    },
};
use crate::{
    activity::store::CampaignChoice,
    audit::{self, Action as AuditAction, Entry},
    auth::{Caller, Need, random_token},
    date::Day,
    db::{CampaignId, EnterpriseId, OrgId},
    error::{AppError, AppResult, FieldError},
    org::OrgCode,
    web::{
        AppState,
        errors::urlencode,
        form::{self, Errors},
        page::{Chrome, render},
    },
};

/// The routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/formation", get(board_page))
        .route(
            "/formation/members",
            get(members_page).post(members_create_page),
        )
        .route("/formation/applications", get(applications_page))
        .route("/formation/applications/{id}/decision", post(decision_page))
        .route("/formation/links", get(links_page).post(links_create_page))
        .route("/formation/{id}", get(detail_page))
        .route("/formation/{id}/step", post(step_page))
        .route(
            "/formation/{id}/found",
            get(found_form_page).post(found_page),
        )
        .route("/enterprises/{id}/formation", post(flag_page))
        .route("/api/v1/formation/pipelines", get(api_list).post(api_flag))
        .route("/api/v1/formation/pipelines/{id}", get(api_get))
        .route("/api/v1/formation/pipelines/{id}/steps", post(api_step))
        .route(
            "/api/v1/formation/members",
            get(api_members).post(api_record_members),
        )
        .route("/api/v1/formation/applications", get(api_applications))
        .route(
            "/api/v1/formation/applications/{id}/decision",
            post(api_decision),
        )
        .route(
            "/api/v1/formation/links",
            get(api_links).post(api_create_link),
        )
        .route("/api/v1/formation/figures", get(api_figures))
}

/// This module's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(api_list, api_flag, api_get, api_step, api_members, api_record_members, api_applications,
        api_decision, api_links, api_create_link, api_figures),
    components(schemas(Pipeline, PipelinePage, PipelineDetail, Event, FlagInput, StepInput, JoinInput,
        Join, MemberRow, MembersPage, MemberGroup, Wish, Application, DecisionInput, Link, LinkInput,
        Figures, GroupCount, Recorded)),
    tags((name = "formation", description = "Union formation (建会) pipelines, members joined (入会), join pages and applications"))
)]
pub struct ApiDoc;

const PAGE_SIZE: i64 = 30;

fn actor(caller: &Caller) -> Actor {
    Actor {
        user: Some(caller.user_id),
        name: caller.display_name.clone(),
    }
}

/// Query of the board and the list API.
#[derive(Deserialize, Default, Debug, Clone, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only this campaign.
    #[param(value_type = Option<i64>)]
    pub campaign: Option<String>,
    /// Only pipelines tracked in this org's subtree.
    #[param(value_type = Option<i64>)]
    pub org: Option<String>,
    /// flagged, preparing, founded, stalled or dropped.
    pub stage: Option<String>,
    /// Text in the enterprise's name or credit code.
    pub q: Option<String>,
    /// 1-based page of 30.
    #[param(value_type = Option<i64>)]
    pub page: Option<String>,
}

fn id_param(errs: &mut Errors, field: &str, v: &Option<String>) -> Option<i64> {
    errs.take(form::optional_int(field, v, 1, i64::MAX))
        .flatten()
}

impl ListParams {
    fn parse(&self) -> AppResult<(PipelineFilter, i64)> {
        let mut errs = Errors::default();
        let campaign = id_param(&mut errs, "campaign", &self.campaign).map(CampaignId);
        let org = id_param(&mut errs, "org", &self.org).map(OrgId);
        let stage = form::opt(&self.stage);
        if let Some(s) = &stage
            && !STAGE_CODES.contains(&s.as_str())
        {
            errs.push(FieldError::new("stage", "err-fm-stage"));
        }
        let page = id_param(&mut errs, "page", &self.page).unwrap_or(1);
        errs.finish()?;
        Ok((
            PipelineFilter {
                campaign,
                org,
                stage,
                enterprise: None,
                q: form::opt(&self.q),
            },
            page,
        ))
    }

    fn query(&self, with_stage: bool) -> String {
        let mut parts = Vec::new();
        for (k, v) in [
            ("campaign", &self.campaign),
            ("org", &self.org),
            ("stage", &self.stage),
            ("q", &self.q),
        ] {
            if k == "stage" && !with_stage {
                continue;
            }
            if let Some(v) = form::opt(v) {
                parts.push(format!("{k}={}", urlencode(&v)));
            }
        }
        parts.join("&")
    }
}

/// A page of pipelines with the count at each stage.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PipelinePage {
    pub items: Vec<Pipeline>,
    pub total: i64,
    pub page: i64,
    pub page_size: i64,
    /// (stage, count) for the filter without its stage: the board's columns.
    #[schema(value_type = Vec<Object>)]
    pub stages: Vec<(String, i64)>,
}

async fn filtered(state: &AppState, caller: &Caller, p: &ListParams) -> AppResult<PipelinePage> {
    let scope = caller.require(Need::Read)?;
    let (f, page) = p.parse()?;
    if let Some(org) = f.org {
        crate::org::store::get(&state.db, &scope, org)
            .await?
            .ok_or(AppError::NotFound)?;
    }
    let (items, total) =
        store::list(&state.db, &scope, &f, PAGE_SIZE, (page - 1) * PAGE_SIZE).await?;
    let stages = store::stage_counts(&state.db, &scope, &f)
        .await?
        .into_iter()
        .map(|(s, n)| (s.to_string(), n))
        .collect();
    Ok(PipelinePage {
        items,
        total,
        page,
        page_size: PAGE_SIZE,
        stages,
    })
}

/// Union-formation pipelines in the caller's scope, latest change first.
#[utoipa::path(get, path = "/api/v1/formation/pipelines", tag = "formation", params(ListParams),
    responses((status = 200, body = PipelinePage), (status = 422, body = crate::web::errors::ErrorBody)),
    security(("bearer" = [])))]
async fn api_list(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ListParams>,
) -> AppResult<Json<PipelinePage>> {
    Ok(Json(filtered(&state, &caller, &p).await?))
}

/// A pipeline with its timeline.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PipelineDetail {
    pub pipeline: Pipeline,
    pub events: Vec<Event>,
    /// Whether the caller may take its steps.
    pub can_act: bool,
}

async fn detail(state: &AppState, caller: &Caller, id: i64) -> AppResult<PipelineDetail> {
    let pipeline = store::get(&state.db, &caller.scope(Need::Read), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let can_act = caller
        .scope(Need::Write)
        .contains(&state.db, pipeline.org_id)
        .await?;
    Ok(PipelineDetail {
        events: store::events(&state.db, id).await?,
        pipeline,
        can_act,
    })
}

/// One pipeline with its timeline.
#[utoipa::path(get, path = "/api/v1/formation/pipelines/{id}", tag = "formation",
    params(("id" = i64, Path)), responses((status = 200, body = PipelineDetail), (status = 404)),
    security(("bearer" = [])))]
async fn api_get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> AppResult<Json<PipelineDetail>> {
    Ok(Json(detail(&state, &caller, id).await?))
}

/// Resolves an enterprise named by id or credit code within the read scope.
async fn find_enterprise(
    state: &AppState,
    caller: &Caller,
    field: &str,
    key: &str,
) -> AppResult<crate::enterprise::Enterprise> {
    let read = caller.scope(Need::Read);
    let key = key.trim();
    let id = match key.parse::<i64>() {
        Ok(id) if key.len() < 18 => Some(EnterpriseId(id)),
        _ => {
            crate::enterprise::store::id_by_credit_code(&state.db, &read, &key.to_ascii_uppercase())
                .await?
        }
    };
    let found = match id {
        Some(id) => crate::enterprise::store::get(&state.db, &read, id).await?,
        None => None,
    };
    found.ok_or_else(|| {
        AppError::Validation(vec![
            FieldError::new(field, "err-enterprise-unknown").arg("value", key),
        ])
    })
}

/// Flags an enterprise: opens its pipeline (or answers with the open one).
async fn flag(state: &AppState, caller: &Caller, input: &FlagInput) -> AppResult<(i64, bool)> {
    let write = caller.require(Need::Write)?;
    let mut errs = Errors::default();
    let wish = parse_wish(&mut errs, "wish", &input.wish);
    let campaign = id_param(&mut errs, "campaign_id", &input.campaign_id).map(CampaignId);
    let client_id = form::opt(&input.client_id);
    if let Some(c) = &client_id
        && !crate::activity::valid_client_id(c)
    {
        errs.push(FieldError::new("client_id", "err-client-id"));
    }
    let enterprise = match form::opt(&input.enterprise) {
        None => {
            errs.push(FieldError::new("enterprise", "err-required"));
            None
        }
        Some(key) => match find_enterprise(state, caller, "enterprise", &key).await {
            Ok(e) => Some(e),
            Err(AppError::Validation(fs)) => {
                errs.0.extend(fs);
                None
            }
            Err(e) => return Err(e),
        },
    };
    errs.finish()?;
    let (Some(e), Some(wish)) = (enterprise, wish) else {
        return Err(AppError::BadRequest("unparsed flag"));
    };
    let org = match form::opt(&input.org_code) {
        Some(code) => crate::org::store::get_by_code(&state.db, &write, &code)
            .await?
            .map(|o| o.id)
            .ok_or_else(|| AppError::field("org_code", "err-org-out-of-scope"))?,
        None if write.contains(&state.db, e.org_id).await? => e.org_id,
        None => caller.recording_org(&state.db, None).await?,
    };
    if let Some(c) = campaign
        && !crate::activity::store::campaign_open_to(&state.db, c, org).await?
    {
        return Err(AppError::field("campaign_id", "err-campaign-not-open"));
    }
    let mut tx = state.db.begin().await?;
    let opening = Opening {
        org,
        enterprise: e.id,
        campaign,
        activity: None,
        client_id,
        wish,
        on: Day::today(),
    };
    let (id, created) = store::open(&mut tx, &opening, &actor(caller)).await?;
    if created {
        let entry = Entry::by(caller, org, AuditAction::FormationFlagged)
            .target(format!("formation:{id}"))
            .detail(format!("enterprise:{} {}", e.id, wish.as_str()));
        audit::store::record(&mut *tx, &entry).await?;
    }
    tx.commit().await?;
    Ok((id, created))
}

/// Flag an enterprise without a union ("no union" or "wants a union"): opens its
/// pipeline, or answers 200 with the open one (a retry, or a second flag).
#[utoipa::path(post, path = "/api/v1/formation/pipelines", tag = "formation", request_body = FlagInput,
    responses((status = 201, body = PipelineDetail), (status = 200, description = "already open", body = PipelineDetail),
        (status = 422, body = crate::web::errors::ErrorBody), (status = 403)),
    security(("bearer" = [])))]
async fn api_flag(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<FlagInput>,
) -> AppResult<Response> {
    let (id, created) = flag(&state, &caller, &input).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(detail(&state, &caller, id).await?)).into_response())
}

/// Takes one step on a pipeline the caller may write to.
async fn take_step(state: &AppState, caller: &Caller, id: i64, input: &StepInput) -> AppResult<()> {
    let p = store::get(&state.db, &caller.scope(Need::Read), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let write = caller.require(Need::Write)?;
    if !write.contains(&state.db, p.org_id).await? {
        return Err(AppError::Forbidden);
    }
    let reason = || form::opt(&input.reason).unwrap_or_default();
    let action = match form::opt(&input.action).as_deref() {
        Some("prepare" | "resume") => Action::Prepare,
        Some("stall") => Action::Stall { reason: reason() },
        Some("drop") => Action::Drop { reason: reason() },
        Some("flag") => {
            let mut errs = Errors::default();
            let wish = parse_wish(&mut errs, "wish", &input.wish);
            errs.finish()?;
            Action::Flag(wish.ok_or(AppError::BadRequest("unparsed wish"))?)
        }
        Some("found") => return found(state, caller, &p, input).await,
        None => return Err(AppError::field("action", "err-required")),
        Some(_) => return Err(AppError::field("action", "err-fm-action")),
    };
    if let Some(r) = action.reason()
        && r.chars().count() > 500
    {
        return Err(AppError::Validation(vec![
            FieldError::new("reason", "err-too-long").arg("max", 500),
        ]));
    }
    let mut tx = state.db.begin().await?;
    let next = store::step(&mut tx, id, action, &actor(caller)).await?;
    let entry = Entry::by(caller, p.org_id, AuditAction::FormationStep)
        .target(format!("formation:{id}"))
        .detail(next.code());
    audit::store::record(&mut *tx, &entry).await?;
    tx.commit().await?;
    Ok(())
}

/// The founding step: the new union's fields, its parent (write scope), then
/// one transaction through `store::found`.
async fn found(
    state: &AppState,
    caller: &Caller,
    p: &Pipeline,
    input: &StepInput,
) -> AppResult<()> {
    let write = caller.require(Need::Write)?;
    let mut errs = Errors::default();
    let on = errs.take(Day::parse_req("founded_on", &input.founded_on));
    if let Some(d) = on
        && d > Day::today()
    {
        errs.push(FieldError::new("founded_on", "err-future-date"));
    }
    let name = match form::opt(&input.union_name) {
        None => Some(format!("{}工会委员会", p.enterprise_name)),
        Some(_) => errs.take(form::required("union_name", &input.union_name, 100)),
    };
    let code_raw = form::opt(&input.union_code).unwrap_or_else(|| format!("JC-{}", p.credit_code));
    let code = errs.take(OrgCode::parse("union_code", &code_raw));
    let parent = match form::opt(&input.parent_code) {
        Some(c) => match crate::org::store::get_by_code(&state.db, &write, &c).await? {
            Some(o) => Some(o.id),
            None => {
                errs.push(FieldError::new("parent_code", "err-org-out-of-scope"));
                None
            }
        },
        None => {
            let jurisdiction: OrgId =
                sqlx::query_scalar("SELECT org_id FROM enterprises WHERE id = $1")
                    .bind(p.enterprise_id)
                    .fetch_one(state.db.pool())
                    .await?;
            if write.contains(&state.db, jurisdiction).await? {
                Some(jurisdiction)
            } else {
                errs.push(FieldError::new("parent_code", "err-required"));
                None
            }
        }
    };
    errs.finish()?;
    let (Some(on), Some(name), Some(code), Some(parent)) = (on, name, code, parent) else {
        return Err(AppError::BadRequest("unparsed founding"));
    };
    let f = Founding {
        on,
        parent,
        name: name.clone(),
        code,
    };
    let mut tx = state.db.begin().await?;
    let union = store::found(&mut tx, p.id, &f, &actor(caller))
        .await
        .map_err(|e| match e {
            AppError::Validation(fs) => AppError::Validation(
                fs.into_iter()
                    .map(|fe| FieldError {
                        field: match fe.field.as_str() {
                            "code" => "union_code".into(),
                            "kind" => "parent_code".into(),
                            "name" => "union_name".into(),
                            _ => fe.field,
                        },
                        ..fe
                    })
                    .collect(),
            ),
            other => other,
        })?;
    let created = Entry::by(caller, union, AuditAction::OrgCreated)
        .target(format!("org:{union}"))
        .detail(&name);
    audit::store::record(&mut *tx, &created).await?;
    let entry = Entry::by(caller, p.org_id, AuditAction::UnionFounded)
        .target(format!("formation:{}", p.id))
        .detail(format!("org:{union} {name}"));
    audit::store::record(&mut *tx, &entry).await?;
    tx.commit().await?;
    Ok(())
}

/// Take a step: `prepare` (or `resume` a stalled one), `stall` or `drop` with a
/// `reason`, `flag` with a new `wish`, or `found` with `founded_on` (and
/// optionally `parent_code`, `union_name`, `union_code`): founding creates the
/// grassroots union in the org tree and marks the enterprise as having it.
#[utoipa::path(post, path = "/api/v1/formation/pipelines/{id}/steps", tag = "formation",
    params(("id" = i64, Path)), request_body = StepInput,
    responses((status = 200, body = PipelineDetail), (status = 422, body = crate::web::errors::ErrorBody),
        (status = 403), (status = 404)),
    security(("bearer" = [])))]
async fn api_step(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(input): Json<StepInput>,
) -> AppResult<Json<PipelineDetail>> {
    take_step(&state, &caller, id, &input).await?;
    Ok(Json(detail(&state, &caller, id).await?))
}

// ---- members joined ----

/// Query of the members page and API.
#[derive(Deserialize, Default, Debug, Clone, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MemberParams {
    /// Only this campaign.
    #[param(value_type = Option<i64>)]
    pub campaign: Option<String>,
    /// The org whose children are the table's rows (default: the caller's top org).
    #[param(value_type = Option<i64>)]
    pub org: Option<String>,
    /// Only this enterprise (id).
    #[param(value_type = Option<i64>)]
    pub enterprise: Option<String>,
}

/// Members joined by group × org, and the latest records.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MembersPage {
    pub org_id: OrgId,
    pub org_name: String,
    /// The group codes of the columns.
    pub groups: Vec<MemberGroup>,
    pub rows: Vec<MemberRow>,
    /// Column totals (same order as `groups`) and the grand total.
    pub totals: Vec<i64>,
    pub total: i64,
    pub recent: Vec<Join>,
}

async fn members(state: &AppState, caller: &Caller, p: &MemberParams) -> AppResult<MembersPage> {
    let scope = caller.require(Need::Read)?;
    let mut errs = Errors::default();
    let campaign = id_param(&mut errs, "campaign", &p.campaign).map(CampaignId);
    let org = id_param(&mut errs, "org", &p.org).map(OrgId);
    let enterprise = id_param(&mut errs, "enterprise", &p.enterprise).map(EnterpriseId);
    errs.finish()?;
    let root = match org {
        Some(o) => o,
        None if scope.contains(&state.db, caller.home_org).await? => caller.home_org,
        None => scope.roots()[0],
    };
    let org = crate::org::store::get(&state.db, &scope, root)
        .await?
        .ok_or(AppError::NotFound)?;
    let f = MemberFilter {
        campaign,
        org: Some(root),
        enterprise,
    };
    let rows = store::member_table(&state.db, &scope, root, &f).await?;
    let mut totals = vec![0; MemberGroup::ALL.len()];
    for r in &rows {
        for (t, n) in totals.iter_mut().zip(&r.by_group) {
            *t += n;
        }
    }
    Ok(MembersPage {
        org_id: org.id,
        org_name: org.name,
        groups: MemberGroup::ALL.to_vec(),
        total: totals.iter().sum(),
        totals,
        rows,
        recent: store::joins(&state.db, &scope, &f, 30).await?,
    })
}

/// Members joined under an org, by worker group × its child orgs, with the latest records.
#[utoipa::path(get, path = "/api/v1/formation/members", tag = "formation", params(MemberParams),
    responses((status = 200, body = MembersPage), (status = 404)), security(("bearer" = [])))]
async fn api_members(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<MemberParams>,
) -> AppResult<Json<MembersPage>> {
    Ok(Json(members(&state, &caller, &p).await?))
}

/// What a save answered: the record, and whether this request created it.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = FormationRecorded)]
pub struct Recorded {
    pub id: i64,
    pub created: bool,
}

async fn record_members(
    state: &AppState,
    caller: &Caller,
    input: &JoinInput,
) -> AppResult<Recorded> {
    let write = caller.require(Need::Write)?;
    let f = input.parse(Day::today())?;
    let enterprise = match &f.enterprise {
        Some(key) => Some(find_enterprise(state, caller, "enterprise", key).await?),
        None => None,
    };
    let org = match &f.org_code {
        Some(code) => crate::org::store::get_by_code(&state.db, &write, code)
            .await?
            .map(|o| o.id)
            .ok_or_else(|| AppError::field("org_code", "err-org-out-of-scope"))?,
        None => match enterprise.as_ref().and_then(|e| e.union_org_id) {
            Some(u) if write.contains(&state.db, u).await? => u,
            _ => caller.recording_org(&state.db, None).await?,
        },
    };
    if let Some(c) = f.campaign
        && !crate::activity::store::campaign_open_to(&state.db, c, org).await?
    {
        return Err(AppError::field("campaign_id", "err-campaign-not-open"));
    }
    let mut tx = state.db.begin().await?;
    let (id, created) = store::insert_join(
        &mut tx,
        org,
        enterprise.map(|e| e.id),
        &f,
        Some(caller.user_id),
    )
    .await?;
    if created {
        let entry = Entry::by(caller, org, AuditAction::MembersRecorded)
            .target(format!("member_joins:{id}"))
            .detail(format!("{} {}", f.group.as_str(), f.members));
        audit::store::record(&mut *tx, &entry).await?;
    }
    tx.commit().await?;
    Ok(Recorded { id, created })
}

/// Record members joined (a count of one worker group on a date). Send a fresh
/// `client_id`; a retry with the same one answers 200 with the first record.
#[utoipa::path(post, path = "/api/v1/formation/members", tag = "formation", request_body = JoinInput,
    responses((status = 201, body = Recorded), (status = 200, description = "a retry", body = Recorded),
        (status = 422, body = crate::web::errors::ErrorBody), (status = 403)),
    security(("bearer" = [])))]
async fn api_record_members(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<JoinInput>,
) -> AppResult<Response> {
    let r = record_members(&state, &caller, &input).await?;
    let status = if r.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(r)).into_response())
}

// ---- applications ----

/// Query of the applications list.
#[derive(Deserialize, Default, Debug, Clone, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AppParams {
    /// pending, confirmed or declined.
    pub status: Option<String>,
}

/// Applications readable by the caller, names and phones shown to those who
/// may act on them (the view audited) and masked for the rest.
async fn visible_applications(
    state: &AppState,
    caller: &Caller,
    status: Option<&str>,
) -> AppResult<Vec<(Application, bool)>> {
    let scope = caller.require(Need::Read)?;
    if let Some(s) = status
        && !["pending", "confirmed", "declined"].contains(&s)
    {
        return Err(AppError::field("status", "err-fm-status"));
    }
    let items = store::applications(&state.db, &scope, status, 500).await?;
    let write = caller.scope(Need::Write);
    let mut out = Vec::with_capacity(items.len());
    let mut shown = 0;
    for a in items {
        let can = write.contains(&state.db, a.org_id).await?;
        if can {
            shown += 1;
            out.push((a, true));
        } else {
            out.push((a.masked(), false));
        }
    }
    if shown > 0 {
        let entry = Entry::by(caller, caller.home_org, AuditAction::PersonalDataViewed)
            .target("join_applications")
            .detail(format!("{shown} applicants"));
        audit::store::record(state.db.pool(), &entry).await?;
    }
    Ok(out)
}

/// Applications from the join pages of unions in the caller's scope, pending
/// first. Names and phones are masked unless the caller may decide them (each
/// unmasked view is audited).
#[utoipa::path(get, path = "/api/v1/formation/applications", tag = "formation", params(AppParams),
    responses((status = 200, body = [Application])), security(("bearer" = [])))]
async fn api_applications(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<AppParams>,
) -> AppResult<Json<Vec<Application>>> {
    let status = form::opt(&p.status);
    Ok(Json(
        visible_applications(&state, &caller, status.as_deref())
            .await?
            .into_iter()
            .map(|(a, _)| a)
            .collect(),
    ))
}

async fn decide(
    state: &AppState,
    caller: &Caller,
    id: i64,
    input: &DecisionInput,
) -> AppResult<()> {
    let a = store::application(&state.db, &caller.scope(Need::Read), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let write = caller.require(Need::Write)?;
    if !write.contains(&state.db, a.org_id).await? {
        return Err(AppError::Forbidden);
    }
    let confirm = match form::opt(&input.decision).as_deref() {
        Some("confirm") => true,
        Some("decline") => false,
        None => return Err(AppError::field("decision", "err-required")),
        Some(_) => return Err(AppError::field("decision", "err-fm-decision")),
    };
    let mut errs = Errors::default();
    let reason = errs
        .take(form::optional("reason", &input.reason, 200))
        .flatten();
    errs.finish()?;
    let mut tx = state.db.begin().await?;
    store::decide(&mut tx, id, confirm, reason, caller.user_id).await?;
    let entry = Entry::by(caller, a.org_id, AuditAction::JoinApplicationDecided)
        .target(format!("join_application:{id}"))
        .detail(if confirm { "confirmed" } else { "declined" });
    audit::store::record(&mut *tx, &entry).await?;
    tx.commit().await?;
    Ok(())
}

/// Confirm (it counts as one member joined today) or decline an application.
#[utoipa::path(post, path = "/api/v1/formation/applications/{id}/decision", tag = "formation",
    params(("id" = i64, Path)), request_body = DecisionInput,
    responses((status = 204), (status = 422, body = crate::web::errors::ErrorBody), (status = 403), (status = 404)),
    security(("bearer" = [])))]
async fn api_decision(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(input): Json<DecisionInput>,
) -> AppResult<StatusCode> {
    decide(&state, &caller, id, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- join links ----

/// Which union gets a join page.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct LinkInput {
    /// The union's org code (in the caller's write scope).
    #[serde(default, deserialize_with = "form::lenient")]
    pub org_code: Option<String>,
}

async fn create_link(state: &AppState, caller: &Caller, input: &LinkInput) -> AppResult<Link> {
    let write = caller.require(Need::Write)?;
    let code =
        form::opt(&input.org_code).ok_or_else(|| AppError::field("org_code", "err-required"))?;
    let org = crate::org::store::get_by_code(&state.db, &write, &code)
        .await?
        .ok_or_else(|| AppError::field("org_code", "err-org-out-of-scope"))?;
    if org.kind == crate::org::OrgKind::Department {
        return Err(AppError::field("org_code", "err-fm-department"));
    }
    let mut tx = state.db.begin().await?;
    let link = store::ensure_link(&mut tx, org.id, Some(caller.user_id)).await?;
    let entry =
        Entry::by(caller, org.id, AuditAction::JoinLinkCreated).target(format!("org:{}", org.id));
    audit::store::record(&mut *tx, &entry).await?;
    tx.commit().await?;
    store::link_by_code(&state.db, &link)
        .await?
        .ok_or(AppError::NotFound)
}

/// The join pages of unions in the caller's scope.
#[utoipa::path(get, path = "/api/v1/formation/links", tag = "formation",
    responses((status = 200, body = [Link])), security(("bearer" = [])))]
async fn api_links(State(state): State<AppState>, caller: Caller) -> AppResult<Json<Vec<Link>>> {
    let scope = caller.require(Need::Read)?;
    Ok(Json(store::links(&state.db, &scope).await?))
}

/// Give a union a public join page `/j/{code}` (a second call returns the same page).
#[utoipa::path(post, path = "/api/v1/formation/links", tag = "formation", request_body = LinkInput,
    responses((status = 200, body = Link), (status = 422, body = crate::web::errors::ErrorBody), (status = 403)),
    security(("bearer" = [])))]
async fn api_create_link(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<LinkInput>,
) -> AppResult<Json<Link>> {
    Ok(Json(create_link(&state, &caller, &input).await?))
}

// ---- figures ----

/// Query of the figures API.
#[derive(Deserialize, Default, Debug, Clone, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FigureParams {
    #[param(value_type = Option<i64>)]
    pub campaign: Option<String>,
    /// Only records of this org's subtree.
    #[param(value_type = Option<i64>)]
    pub org: Option<String>,
}

/// Formation figures over the caller's scope: enterprises flagged, pipelines by
/// stage, members joined (total and by group), and per-month series (unions by
/// founding date, members by join date).
#[utoipa::path(get, path = "/api/v1/formation/figures", tag = "formation", params(FigureParams),
    responses((status = 200, body = Figures), (status = 404)), security(("bearer" = [])))]
async fn api_figures(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<FigureParams>,
) -> AppResult<Json<Figures>> {
    let scope = caller.require(Need::Read)?;
    let mut errs = Errors::default();
    let campaign = id_param(&mut errs, "campaign", &p.campaign).map(CampaignId);
    let org = id_param(&mut errs, "org", &p.org).map(OrgId);
    errs.finish()?;
    if let Some(o) = org {
        crate::org::store::get(&state.db, &scope, o)
            .await?
            .ok_or(AppError::NotFound)?;
    }
    Ok(Json(
        store::figures(&state.db, &scope, campaign, org).await?,
    ))
}

// ---- pages ----

fn errors_of(caller: &Caller, e: &AppError) -> Option<Vec<(String, String)>> {
    form::errors_of(e, caller)
}

#[derive(Template)]
#[template(path = "formation/board.html")]
struct BoardPage {
    c: Chrome,
    d: PipelinePage,
    p: ListParams,
    campaigns: Vec<CampaignChoice>,
    pages: i64,
    query: String,
    base_query: String,
}

impl BoardPage {
    fn sel(&self, v: &Option<String>, want: &str) -> bool {
        v.as_deref().map(str::trim) == Some(want)
    }

    fn stage_link(&self, stage: &str) -> String {
        if self.base_query.is_empty() {
            format!("/formation?stage={stage}")
        } else {
            format!("/formation?stage={stage}&{}", self.base_query)
        }
    }

    fn all_count(&self) -> i64 {
        self.d.stages.iter().map(|s| s.1).sum()
    }

    fn all_link(&self) -> String {
        format!("/formation?{}", self.base_query)
    }

    fn pager(&self, page: i64) -> String {
        format!("/formation?page={page}&{}", self.query)
    }

    fn stage_key(&self, s: &str) -> String {
        format!("fm-stage-{s}")
    }
}

async fn board_page(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ListParams>,
) -> AppResult<Response> {
    let d = filtered(&state, &caller, &p).await?;
    let query = p.query(true);
    render(BoardPage {
        c: Chrome::for_caller(&caller, &format!("/formation?{query}")),
        pages: (d.total + PAGE_SIZE - 1) / PAGE_SIZE,
        d,
        campaigns: crate::activity::store::campaign_choices(&state.db, &caller.scope(Need::Read))
            .await?,
        base_query: p.query(false),
        query,
        p,
    })
}

#[derive(Template)]
#[template(path = "formation/detail.html")]
struct DetailPage {
    c: Chrome,
    d: PipelineDetail,
    errors: Vec<(String, String)>,
    input: StepInput,
    wishes: Vec<Wish>,
}

impl DetailPage {
    fn stage_key(&self, s: &str) -> String {
        format!("fm-stage-{s}")
    }

    fn event_key(&self, e: &Event) -> String {
        format!("fm-event-{}", e.kind)
    }

    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    fn stage(&self) -> &'static str {
        self.d.pipeline.stage.code()
    }

    fn reason(&self) -> Option<&str> {
        match &self.d.pipeline.stage {
            Stage::Stalled { reason } | Stage::Dropped { reason } => Some(reason),
            _ => None,
        }
    }

    fn founded(&self) -> Option<(Day, OrgId)> {
        match &self.d.pipeline.stage {
            Stage::Founded { on, union_org } => Some((*on, *union_org)),
            _ => None,
        }
    }
}

async fn detail_render(
    state: &AppState,
    caller: &Caller,
    id: i64,
    input: StepInput,
    errors: Vec<(String, String)>,
) -> AppResult<DetailPage> {
    Ok(DetailPage {
        c: Chrome::for_caller(caller, &format!("/formation/{id}")),
        d: detail(state, caller, id).await?,
        errors,
        input,
        wishes: Wish::ALL.to_vec(),
    })
}

async fn detail_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    render(detail_render(&state, &caller, id, StepInput::default(), Vec::new()).await?)
}

async fn step_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Form(input): Form<StepInput>,
) -> AppResult<Response> {
    match take_step(&state, &caller, id, &input).await {
        Ok(()) => Ok(Redirect::to(&format!("/formation/{id}")).into_response()),
        Err(e) => match errors_of(&caller, &e) {
            Some(errors) => {
                let page = detail_render(&state, &caller, id, input, errors).await?;
                Ok((StatusCode::UNPROCESSABLE_ENTITY, render(page)?).into_response())
            }
            None => Err(e),
        },
    }
}

#[derive(Template)]
#[template(path = "formation/found.html")]
struct FoundPage {
    c: Chrome,
    p: Pipeline,
    input: StepInput,
    errors: Vec<(String, String)>,
    parents: Vec<(String, String)>,
    today: String,
}

impl FoundPage {
    fn value<'a>(&self, v: &'a Option<String>) -> &'a str {
        v.as_deref().unwrap_or("")
    }

    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }
}

async fn found_render(
    state: &AppState,
    caller: &Caller,
    id: i64,
    input: Option<StepInput>,
    errors: Vec<(String, String)>,
) -> AppResult<FoundPage> {
    let p = store::get(&state.db, &caller.scope(Need::Read), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let write = caller.require(Need::Write)?;
    if !write.contains(&state.db, p.org_id).await? {
        return Err(AppError::Forbidden);
    }
    let jurisdiction: (String, String) = sqlx::query_as(
        "SELECT o.code, o.name FROM enterprises e JOIN orgs o ON o.id = e.org_id WHERE e.id = $1",
    )
    .bind(p.enterprise_id)
    .fetch_one(state.db.pool())
    .await?;
    // The orgs the caller may write to that a union may sit under: the
    // jurisdiction first, then the tracking org, then the caller's roots.
    let mut parents: Vec<(String, String)> = Vec::new();
    let j_id = crate::org::store::id_by_code(&state.db, &jurisdiction.0).await?;
    if let Some(j) = j_id
        && write.contains(&state.db, j).await?
    {
        parents.push(jurisdiction.clone());
    }
    for o in std::iter::once(p.org_id).chain(write.roots().iter().copied()) {
        if let Some(org) = crate::org::store::get(&state.db, &write, o).await?
            && org.kind != crate::org::OrgKind::Department
            && !parents.iter().any(|(c, _)| *c == org.code)
        {
            parents.push((org.code, org.name));
        }
    }
    let input = input.unwrap_or_else(|| StepInput {
        action: Some("found".into()),
        founded_on: Some(Day::today().iso()),
        union_name: Some(format!("{}工会委员会", p.enterprise_name)),
        union_code: Some(format!("JC-{}", p.credit_code)),
        parent_code: parents.first().map(|(c, _)| c.clone()),
        ..Default::default()
    });
    Ok(FoundPage {
        c: Chrome::for_caller(caller, &format!("/formation/{id}/found")),
        p,
        input,
        errors,
        parents,
        today: Day::today().iso(),
    })
}

async fn found_form_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    render(found_render(&state, &caller, id, None, Vec::new()).await?)
}

async fn found_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Form(mut input): Form<StepInput>,
) -> AppResult<Response> {
    input.action = Some("found".into());
    match take_step(&state, &caller, id, &input).await {
        Ok(()) => Ok(Redirect::to(&format!("/formation/{id}")).into_response()),
        Err(e) => match errors_of(&caller, &e) {
            Some(errors) => {
                let page = found_render(&state, &caller, id, Some(input), errors).await?;
                Ok((StatusCode::UNPROCESSABLE_ENTITY, render(page)?).into_response())
            }
            None => Err(e),
        },
    }
}

async fn flag_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<EnterpriseId>,
    Form(mut input): Form<FlagInput>,
) -> AppResult<Response> {
    input.enterprise = Some(id.to_string());
    match flag(&state, &caller, &input).await {
        Ok((pid, _)) => Ok(Redirect::to(&format!("/formation/{pid}")).into_response()),
        Err(AppError::Validation(fs)) => {
            let msg = fs
                .iter()
                .map(|f| f.message(caller.lang))
                .collect::<Vec<_>>()
                .join(" ");
            Ok(Redirect::to(&format!(
                "/enterprises/{id}?formation_error={}",
                urlencode(&msg)
            ))
            .into_response())
        }
        Err(e) => Err(e),
    }
}

/// What the enterprise page shows about union formation.
pub struct EnterprisePanel {
    pub pipelines: Vec<Pipeline>,
    pub wishes: Vec<Wish>,
    pub client_id: String,
    pub error: Option<String>,
}

impl EnterprisePanel {
    /// The open pipeline, if any.
    pub fn open(&self) -> Option<&Pipeline> {
        self.pipelines.iter().find(|p| p.stage.is_open())
    }
}

/// The enterprise page's union-formation panel (`templates/formation/_enterprise.html`).
pub async fn enterprise_panel(
    state: &AppState,
    caller: &Caller,
    enterprise: EnterpriseId,
    error: Option<String>,
) -> AppResult<EnterprisePanel> {
    Ok(EnterprisePanel {
        pipelines: store::of_enterprise(&state.db, &caller.scope(Need::Read), enterprise).await?,
        wishes: Wish::ALL.to_vec(),
        client_id: random_token(12),
        error,
    })
}

#[derive(Template)]
#[template(path = "formation/members.html")]
struct MembersHtml {
    c: Chrome,
    d: MembersPage,
    p: MemberParams,
    campaigns: Vec<CampaignChoice>,
    input: JoinInput,
    errors: Vec<(String, String)>,
    today: String,
    saved: bool,
}

impl MembersHtml {
    fn value<'a>(&self, v: &'a Option<String>) -> &'a str {
        v.as_deref().unwrap_or("")
    }

    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    fn sel(&self, v: &Option<String>, want: &str) -> bool {
        v.as_deref().map(str::trim) == Some(want)
    }

    /// The group columns worth a column: those with members (all when none has).
    fn cols(&self) -> Vec<(usize, MemberGroup)> {
        let all: Vec<(usize, MemberGroup)> = self.d.groups.iter().copied().enumerate().collect();
        if self.d.total == 0 {
            return all;
        }
        all.into_iter()
            .filter(|(i, _)| self.d.totals[*i] > 0)
            .collect()
    }

    /// A cell of the table, formatted; `None` for zero.
    fn cell(&self, r: &MemberRow, i: &usize) -> Option<String> {
        let n = r.by_group.get(*i).copied().unwrap_or(0);
        (n > 0).then(|| self.c.int(n))
    }

    fn col_total(&self, i: &usize) -> String {
        self.c.int(self.d.totals.get(*i).copied().unwrap_or(0))
    }

    fn drill(&self, r: &MemberRow) -> String {
        let mut s = format!("/formation/members?org={}", r.org_id);
        if let Some(c) = form::opt(&self.p.campaign) {
            s.push_str(&format!("&campaign={}", urlencode(&c)));
        }
        s
    }
}

#[derive(Deserialize, Default)]
struct SavedParam {
    saved: Option<String>,
    #[serde(flatten)]
    p: MemberParams,
}

async fn members_render(
    state: &AppState,
    caller: &Caller,
    p: MemberParams,
    input: Option<JoinInput>,
    errors: Vec<(String, String)>,
    saved: bool,
) -> AppResult<MembersHtml> {
    let d = members(state, caller, &p).await?;
    let campaigns =
        crate::activity::store::campaign_choices(&state.db, &caller.scope(Need::Read)).await?;
    let input = input.unwrap_or_else(|| JoinInput {
        client_id: Some(random_token(12)),
        joined_on: Some(Day::today().iso()),
        member_group: Some("employee".into()),
        campaign_id: campaigns.first().map(|c| c.id.to_string()),
        ..Default::default()
    });
    Ok(MembersHtml {
        c: Chrome::for_caller(caller, "/formation/members"),
        d,
        p,
        campaigns,
        input,
        errors,
        today: Day::today().iso(),
        saved,
    })
}

async fn members_page(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<SavedParam>,
) -> AppResult<Response> {
    render(members_render(&state, &caller, q.p, None, Vec::new(), q.saved.is_some()).await?)
}

async fn members_create_page(
    State(state): State<AppState>,
    caller: Caller,
    Form(input): Form<JoinInput>,
) -> AppResult<Response> {
    match record_members(&state, &caller, &input).await {
        Ok(_) => Ok(Redirect::to("/formation/members?saved=1").into_response()),
        Err(e) => match errors_of(&caller, &e) {
            Some(errors) => {
                let page = members_render(
                    &state,
                    &caller,
                    MemberParams::default(),
                    Some(input),
                    errors,
                    false,
                )
                .await?;
                Ok((StatusCode::UNPROCESSABLE_ENTITY, render(page)?).into_response())
            }
            None => Err(e),
        },
    }
}

#[derive(Template)]
#[template(path = "formation/applications.html")]
struct ApplicationsHtml {
    c: Chrome,
    items: Vec<(Application, bool)>,
    status: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
struct AppPageParams {
    status: Option<String>,
    error: Option<String>,
}

async fn applications_page(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<AppPageParams>,
) -> AppResult<Response> {
    let status = form::opt(&q.status);
    let items = visible_applications(&state, &caller, status.as_deref()).await?;
    render(ApplicationsHtml {
        c: Chrome::for_caller(&caller, "/formation/applications"),
        items,
        status,
        error: q.error,
    })
}

async fn decision_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Form(input): Form<DecisionInput>,
) -> AppResult<Response> {
    match decide(&state, &caller, id, &input).await {
        Ok(()) => Ok(Redirect::to("/formation/applications").into_response()),
        Err(AppError::Validation(fs)) => {
            let msg = fs
                .iter()
                .map(|f| f.message(caller.lang))
                .collect::<Vec<_>>()
                .join(" ");
            Ok(Redirect::to(&format!(
                "/formation/applications?error={}",
                urlencode(&msg)
            ))
            .into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "formation/links.html")]
struct LinksHtml {
    c: Chrome,
    links: Vec<Link>,
    errors: Vec<(String, String)>,
    input: LinkInput,
}

impl LinksHtml {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }
}

async fn links_render(
    state: &AppState,
    caller: &Caller,
    input: LinkInput,
    errors: Vec<(String, String)>,
) -> AppResult<LinksHtml> {
    let scope = caller.require(Need::Read)?;
    Ok(LinksHtml {
        c: Chrome::for_caller(caller, "/formation/links"),
        links: store::links(&state.db, &scope).await?,
        errors,
        input,
    })
}

async fn links_page(State(state): State<AppState>, caller: Caller) -> AppResult<Response> {
    render(links_render(&state, &caller, LinkInput::default(), Vec::new()).await?)
}

async fn links_create_page(
    State(state): State<AppState>,
    caller: Caller,
    Form(input): Form<LinkInput>,
) -> AppResult<Response> {
    match create_link(&state, &caller, &input).await {
        Ok(link) => Ok(Redirect::to(&format!("/j/{}/poster", link.code)).into_response()),
        Err(e) => match errors_of(&caller, &e) {
            Some(errors) => {
                let page = links_render(&state, &caller, input, errors).await?;
                Ok((StatusCode::UNPROCESSABLE_ENTITY, render(page)?).into_response())
            }
            None => Err(e),
        },
    }
}
