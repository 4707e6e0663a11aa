//! Mediation pages (list, new case, case page with timeline and steps, the
//! agreement download) and the API under `/api/v1/mediation`.

use askama::Template;
use axum::{
    Form, Json, Router,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use serde::{Deserialize, Serialize};
use utoipa::OpenApi;

use super::{
    Case, CaseInput, DisputeType, Event, Intake, TransitionInput,
    lifecycle::{self, LifecycleError, State as CaseState},
    store::{self, CaseFilter, Figures, Origin},
};
use crate::{
    activity::store::CampaignChoice,
    audit::{self, Action as AuditAction, Entry},
    auth::{Caller, Need},
    date::Day,
    db::{CampaignId, MediationCaseId, OrgId, ProblemId},
    error::{AppError, AppResult, FieldError},
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
        .route("/mediation", get(list_page))
        .route("/mediation/new", get(new_page).post(create_page))
        .route("/mediation/{id}", get(detail_page))
        .route(
            "/mediation/{id}/transition",
            axum::routing::post(transition_page),
        )
        .route("/mediation/{id}/agreement.docx", get(agreement_download))
        .route("/api/v1/mediation/cases", get(api_list).post(api_create))
        .route("/api/v1/mediation/figures", get(api_figures))
        .route("/api/v1/mediation/cases/{id}", get(api_get))
        .route(
            "/api/v1/mediation/cases/{id}/transition",
            axum::routing::post(api_transition),
        )
        .route(
            "/api/v1/mediation/cases/{id}/agreement.docx",
            get(api_agreement),
        )
}

/// This module's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(api_list, api_create, api_get, api_transition, api_agreement, api_figures),
    components(schemas(Case, CaseInput, TransitionInput, CasePage, CaseDetail, Event, DisputeType,
        Figures, super::Worker, super::Employer, lifecycle::Signatures, lifecycle::Recovery,
        lifecycle::Agreement)),
    tags((name = "mediation", description = "Labour-dispute mediation cases: intake, the fifteen-day clock, outcomes, agreements"))
)]
pub struct ApiDoc;

const PAGE_SIZE: i64 = 30;

/// A refused step becomes a validation error naming the field at fault.
pub fn refusal(e: LifecycleError) -> AppError {
    let f =
        |field: &str, key: &'static str| AppError::Validation(vec![FieldError::new(field, key)]);
    match e {
        LifecycleError::NotAllowed => f("action", "err-med-not-allowed"),
        LifecycleError::ReasonRequired => f("reason", "err-required"),
        LifecycleError::TermsRequired => f("terms", "err-required"),
        LifecycleError::BeforeReceipt => f("on", "err-med-before-receipt"),
        LifecycleError::InTheFuture => f("on", "err-future-date"),
        LifecycleError::BeforeOutcome => f("on", "err-med-before-outcome"),
        LifecycleError::TooEarly { from } => AppError::Validation(vec![
            FieldError::new("action", "err-med-too-early").arg("from", from.iso()),
        ]),
        LifecycleError::NothingSigned => f("signed_workers", "err-med-nothing-signed"),
    }
}

// ---- the list ----

/// Query of the list page and the list API.
#[derive(Deserialize, Default, Debug, Clone, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// received, mediating, agreement_pending, agreed, no_agreement, withdrawn or arbitration.
    pub status: Option<String>,
    /// A dispute type.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// yes: only cases open past their fifteen days.
    pub overdue: Option<String>,
    /// Received in this org's subtree.
    #[param(value_type = Option<i64>)]
    pub org: Option<String>,
    #[param(value_type = Option<i64>)]
    pub campaign: Option<String>,
    /// Text in the matter, the employer's or a worker's name.
    pub q: Option<String>,
    #[param(value_type = Option<i64>)]
    pub page: Option<String>,
}

/// The status labels, in lifecycle order.
const STATUSES: [&str; 7] = [
    "received",
    "mediating",
    "agreement_pending",
    "agreed",
    "no_agreement",
    "withdrawn",
    "arbitration",
];

impl ListParams {
    fn parse(&self) -> AppResult<(CaseFilter, i64)> {
        let mut errs = Errors::default();
        let id = |errs: &mut Errors, field: &str, v: &Option<String>| {
            errs.take(form::optional_int(field, v, 1, i64::MAX))
                .flatten()
        };
        let org = id(&mut errs, "org", &self.org).map(OrgId);
        let campaign = id(&mut errs, "campaign", &self.campaign).map(CampaignId);
        let status = form::opt(&self.status);
        if let Some(s) = &status
            && !STATUSES.contains(&s.as_str())
        {
            errs.push(FieldError::new("status", "err-med-status"));
        }
        let dispute_type = form::opt(&self.kind).and_then(|t| {
            let p = DisputeType::parse(&t);
            if p.is_none() {
                errs.push(FieldError::new("type", "err-med-type"));
            }
            p
        });
        let overdue = match form::flag(&self.overdue) {
            Ok(b) => b,
            Err(_) => {
                errs.push(FieldError::new("overdue", "err-flag"));
                false
            }
        };
        let page = errs
            .take(form::optional_int("page", &self.page, 1, 1_000_000))
            .flatten()
            .unwrap_or(1);
        errs.finish()?;
        Ok((
            CaseFilter {
                status,
                dispute_type,
                overdue,
                org,
                campaign,
                problem: None,
                q: form::opt(&self.q),
            },
            page,
        ))
    }

    fn query(&self) -> String {
        [
            ("status", &self.status),
            ("type", &self.kind),
            ("overdue", &self.overdue),
            ("org", &self.org),
            ("campaign", &self.campaign),
            ("q", &self.q),
        ]
        .into_iter()
        .filter_map(|(k, v)| form::opt(v).map(|v| format!("{k}={}", urlencode(&v))))
        .collect::<Vec<_>>()
        .join("&")
    }
}

async fn filtered(
    state: &AppState,
    caller: &Caller,
    p: &ListParams,
) -> AppResult<(Vec<Case>, i64, i64)> {
    let (filter, page) = p.parse()?;
    let scope = caller.scope(Need::Read);
    if let Some(org) = filter.org {
        crate::org::store::get(&state.db, &scope, org)
            .await?
            .ok_or(AppError::NotFound)?;
    }
    let (items, total) = store::list(
        &state.db,
        &scope,
        &filter,
        PAGE_SIZE,
        (page - 1) * PAGE_SIZE,
    )
    .await?;
    // Lists always mask: the workers' details are shown one case at a time, audited.
    Ok((items.into_iter().map(Case::masked).collect(), total, page))
}

/// A page of cases.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CasePage {
    pub items: Vec<Case>,
    pub total: i64,
    pub page: i64,
    pub page_size: i64,
}

/// List the cases visible to the caller (workers masked).
#[utoipa::path(get, path = "/api/v1/mediation/cases", tag = "mediation", params(ListParams),
    responses((status = 200, body = CasePage), (status = 422, body = crate::web::errors::ErrorBody)),
    security(("bearer" = [])))]
async fn api_list(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ListParams>,
) -> AppResult<Json<CasePage>> {
    let (items, total, page) = filtered(&state, &caller, &p).await?;
    Ok(Json(CasePage {
        items,
        total,
        page,
        page_size: PAGE_SIZE,
    }))
}

#[derive(Template)]
#[template(path = "mediation/list.html")]
struct ListPage {
    c: Chrome,
    items: Vec<Case>,
    total: i64,
    page: i64,
    pages: i64,
    p: ListParams,
    statuses: Vec<&'static str>,
    types: Vec<DisputeType>,
    campaigns: Vec<CampaignChoice>,
    figures: Figures,
    query: String,
}

impl ListPage {
    fn sel(&self, v: &Option<String>, want: &str) -> bool {
        v.as_deref().map(str::trim) == Some(want)
    }

    fn pager(&self, page: i64) -> String {
        if self.query.is_empty() {
            format!("/mediation?page={page}")
        } else {
            format!("/mediation?page={page}&{}", self.query)
        }
    }

    fn rate(&self) -> String {
        match self.figures.success_rate {
            Some(r) => format!("{:.0}%", r * 100.0),
            None => "—".into(),
        }
    }

    fn yuan(&self, fen: &i64) -> String {
        super::Fen(*fen).yuan()
    }
}

async fn list_page(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ListParams>,
) -> AppResult<Response> {
    let (items, total, page) = filtered(&state, &caller, &p).await?;
    let read = caller.scope(Need::Read);
    let (filter, _) = p.parse()?;
    let query = p.query();
    render(ListPage {
        c: Chrome::for_caller(&caller, &format!("/mediation?{query}")),
        pages: (total + PAGE_SIZE - 1) / PAGE_SIZE,
        items,
        total,
        page,
        statuses: STATUSES.to_vec(),
        types: DisputeType::ALL.to_vec(),
        campaigns: crate::activity::store::campaign_choices(&state.db, &read).await?,
        figures: store::figures(&state.db, &read, filter.campaign, filter.org).await?,
        p,
        query,
    })
}

// ---- figures ----

/// Query of the figures API.
#[derive(Deserialize, Default, Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FiguresParams {
    #[param(value_type = Option<i64>)]
    pub campaign: Option<String>,
    /// Only cases received in this org's subtree.
    #[param(value_type = Option<i64>)]
    pub org: Option<String>,
}

/// Case figures over the caller's scope: statuses, agreements, success rate
/// (valid agreements / cases concluded by agreement, no agreement or
/// arbitration), amounts, overdue and cases per month of receipt.
#[utoipa::path(get, path = "/api/v1/mediation/figures", tag = "mediation", params(FiguresParams),
    responses((status = 200, body = Figures), (status = 404), (status = 422, body = crate::web::errors::ErrorBody)),
    security(("bearer" = [])))]
async fn api_figures(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<FiguresParams>,
) -> AppResult<Json<Figures>> {
    let mut errs = Errors::default();
    let campaign = errs
        .take(form::optional_int("campaign", &p.campaign, 1, i64::MAX))
        .flatten()
        .map(CampaignId);
    let org = errs
        .take(form::optional_int("org", &p.org, 1, i64::MAX))
        .flatten()
        .map(OrgId);
    errs.finish()?;
    let scope = caller.require(Need::Read)?;
    if let Some(o) = org {
        crate::org::store::get(&state.db, &scope, o)
            .await?
            .ok_or(AppError::NotFound)?;
    }
    Ok(Json(
        store::figures(&state.db, &scope, campaign, org).await?,
    ))
}

// ---- a new case ----

/// Records a case for the caller: checks the receiving org, campaign,
/// problem, employer and committee against the caller's reach. A retry with
/// the same client id returns the first case (`false`).
async fn create(
    state: &AppState,
    caller: &Caller,
    input: &CaseInput,
) -> AppResult<(MediationCaseId, bool)> {
    caller.require(Need::Write)?;
    let f = input.parse(Day::today())?;
    let db = &state.db;
    let org = caller
        .recording_org(&state.db, f.org_code.as_deref())
        .await?;
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
        None => {
            let name: String = sqlx::query_scalar("SELECT name FROM orgs WHERE id = $1")
                .bind(committee_org)
                .fetch_one(db.pool())
                .await?;
            format!("{name}劳动争议调解委员会")
        }
    };
    let origin = Origin {
        org,
        committee_org,
        committee_name,
        employer_name: employer_name.unwrap_or_default(),
        user: Some(caller.user_id),
        actor: caller.display_name.clone(),
    };
    let mut tx = db.begin().await?;
    match store::insert(&mut tx, &origin, &f).await? {
        Some(id) => {
            let entry = Entry::by(caller, org, AuditAction::MediationCaseCreated)
                .target(format!("mediation:{id}"))
                .detail(f.dispute_type.as_str());
            audit::store::record(&mut *tx, &entry).await?;
            tx.commit().await?;
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

/// Record a new case (a written application, or an oral one recorded on the spot).
#[utoipa::path(post, path = "/api/v1/mediation/cases", tag = "mediation", request_body = CaseInput,
    responses((status = 201, body = CaseDetail), (status = 200, description = "a retry", body = CaseDetail),
        (status = 422, body = crate::web::errors::ErrorBody), (status = 403)),
    security(("bearer" = [])))]
async fn api_create(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<CaseInput>,
) -> AppResult<Response> {
    let (id, created) = create(&state, &caller, &input).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(detail(&state, &caller, id).await?)).into_response())
}

#[derive(Template)]
#[template(path = "mediation/new.html")]
struct NewPage {
    c: Chrome,
    input: CaseInput,
    errors: Vec<(String, String)>,
    types: Vec<DisputeType>,
    campaigns: Vec<CampaignChoice>,
    committees: Vec<(OrgId, String)>,
    /// The problem the form was opened from.
    problem: Option<(ProblemId, String)>,
    today: String,
}

impl NewPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    fn value<'a>(&self, v: &'a Option<String>) -> &'a str {
        v.as_deref().unwrap_or("")
    }

    fn sel(&self, v: &Option<String>, want: &str) -> bool {
        v.as_deref().map(str::trim) == Some(want)
    }

    fn oral(&self) -> bool {
        self.sel(&self.input.intake, "oral")
    }
}

#[derive(Deserialize, Default)]
struct NewQuery {
    problem: Option<String>,
}

async fn new_view(
    state: &AppState,
    caller: &Caller,
    mut input: CaseInput,
    errors: Vec<(String, String)>,
) -> AppResult<NewPage> {
    let write = caller.require(Need::Write)?;
    let read = caller.scope(Need::Read);
    let home = if write.contains(&state.db, caller.home_org).await? {
        caller.home_org
    } else {
        write.roots()[0]
    };
    let today = Day::today();
    let mut problem = None;
    if let Some(pid) = form::opt(&input.problem_id).and_then(|p| p.parse::<i64>().ok()) {
        let p = crate::problem::store::get(&state.db, &read, ProblemId(pid))
            .await?
            .ok_or(AppError::NotFound)?;
        if !(write.contains(&state.db, p.owner_org_id).await?
            || write.contains(&state.db, p.org_id).await?)
        {
            return Err(AppError::Forbidden);
        }
        if let Some(case) = store::case_of_problem(&state.db, &read, p.id).await?
            && errors.is_empty()
        {
            // One case per problem: show the one it already became.
            return Err(AppError::Validation(vec![
                FieldError::new("problem_id", "err-med-problem-has-case").arg("id", case.id),
            ]));
        }
        // A fresh form from a problem: pre-fill what the problem says.
        if errors.is_empty() {
            input.matter = Some(p.description.clone());
            input.dispute_type = Some(
                super::DisputeType::from_topic(
                    &crate::problem::store::topics(&state.db)
                        .await?
                        .into_iter()
                        .find(|t| t.id == p.topic_id)
                        .map(|t| t.code)
                        .unwrap_or_default(),
                )
                .as_str()
                .to_string(),
            );
            input.workers = p.raiser_name.clone();
            if p.raiser_contact.is_some() {
                let entry = Entry::by(caller, p.org_id, AuditAction::PersonalDataViewed)
                    .target(format!("problem:{}", p.id))
                    .detail("raiser (mediation form)");
                audit::store::record(state.db.pool(), &entry).await?;
                input.worker_phones = p.raiser_contact.clone();
            }
            input.employer_enterprise_id = p.enterprise_id.map(|e| e.to_string());
            input.employer_name = p.enterprise_name.clone();
            input.campaign_id = p.campaign_id.map(|c| c.to_string());
        }
        problem = Some((p.id, p.excerpt()));
    }
    if input.client_id.is_none() {
        input.client_id = Some(format!("case-{}", crate::auth::random_token(12)));
    }
    if input.received_on.is_none() {
        input.received_on = Some(today.iso());
    }
    if input.intake.is_none() {
        input.intake = Some("written".into());
    }
    Ok(NewPage {
        c: Chrome::for_caller(caller, "/mediation/new"),
        input,
        errors,
        types: DisputeType::ALL.to_vec(),
        campaigns: crate::activity::store::campaign_choices(&state.db, &read).await?,
        committees: store::committee_choices(&state.db, &write, home).await?,
        problem,
        today: today.iso(),
    })
}

async fn new_page(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<NewQuery>,
) -> AppResult<Response> {
    let input = CaseInput {
        problem_id: q.problem,
        ..Default::default()
    };
    match new_view(&state, &caller, input, Vec::new()).await {
        Err(AppError::Validation(fs)) if fs.iter().any(|f| f.key == "err-med-problem-has-case") => {
            let id = fs[0].arg_value("id").unwrap_or("").to_string();
            Ok(Redirect::to(&format!("/mediation/{id}")).into_response())
        }
        r => render(r?),
    }
}

async fn create_page(
    State(state): State<AppState>,
    caller: Caller,
    Form(input): Form<CaseInput>,
) -> AppResult<Response> {
    match create(&state, &caller, &input).await {
        Ok((id, _)) => Ok(Redirect::to(&format!("/mediation/{id}")).into_response()),
        Err(AppError::Validation(fs)) => {
            let errors = messages(&fs, &caller);
            let page = new_view(&state, &caller, input, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(page)?).into_response())
        }
        Err(e) => Err(e),
    }
}

fn messages(fs: &[FieldError], caller: &Caller) -> Vec<(String, String)> {
    fs.iter()
        .map(|f| (f.field.clone(), f.message(caller.lang)))
        .collect()
}

// ---- one case ----

/// One case with its timeline.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CaseDetail {
    #[serde(flatten)]
    pub case: Case,
    pub events: Vec<Event>,
    /// Whether the caller may record steps.
    pub can_act: bool,
    /// The steps the case accepts today.
    pub actions: Vec<&'static str>,
}

/// Loads a case for the caller: 404 outside their reach; the workers' details
/// unmasked (and the view audited) only for cadres and admins over its org.
async fn detail(state: &AppState, caller: &Caller, id: MediationCaseId) -> AppResult<CaseDetail> {
    let case = store::get(&state.db, &caller.scope(Need::Read), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let can_act = caller
        .scope(Need::Write)
        .contains(&state.db, case.org_id)
        .await?;
    let case = if can_act {
        let personal = case.workers.iter().any(|w| w.phone.is_some())
            || matches!(case.intake, Intake::Oral { .. });
        if personal {
            let entry = Entry::by(caller, case.org_id, AuditAction::PersonalDataViewed)
                .target(format!("mediation:{id}"))
                .detail("parties");
            audit::store::record(state.db.pool(), &entry).await?;
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
        events: store::events(&state.db, id).await?,
        case,
        can_act,
        actions,
    })
}

/// One case with its timeline.
#[utoipa::path(get, path = "/api/v1/mediation/cases/{id}", tag = "mediation", params(("id" = i64, Path)),
    responses((status = 200, body = CaseDetail), (status = 404)), security(("bearer" = [])))]
async fn api_get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<MediationCaseId>,
) -> AppResult<Json<CaseDetail>> {
    Ok(Json(detail(&state, &caller, id).await?))
}

/// 404 when the caller cannot see the case, 403 when they see it but may not write.
async fn may_act(state: &AppState, caller: &Caller, id: MediationCaseId) -> AppResult<Case> {
    let case = store::get(&state.db, &caller.scope(Need::Read), id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !caller
        .scope(Need::Write)
        .contains(&state.db, case.org_id)
        .await?
    {
        return Err(AppError::Forbidden);
    }
    Ok(case)
}

async fn act(
    state: &AppState,
    caller: &Caller,
    id: MediationCaseId,
    input: &TransitionInput,
) -> AppResult<()> {
    let case = may_act(state, caller, id).await?;
    let today = Day::today();
    let action = input.parse(today)?;
    let kind = action.kind();
    let mut tx = state.db.begin().await?;
    let next = store::transition(
        &mut tx,
        id,
        action,
        (Some(caller.user_id), caller.display_name.as_str()),
        today,
    )
    .await?;
    let entry = Entry::by(caller, case.org_id, AuditAction::MediationCaseChanged)
        .target(format!("mediation:{id}"))
        .detail(format!("{kind} → {}", next.label()));
    audit::store::record(&mut *tx, &entry).await?;
    tx.commit().await?;
    Ok(())
}

/// Record a step: begin, agree, sign, fail, withdraw, transfer or recover.
#[utoipa::path(post, path = "/api/v1/mediation/cases/{id}/transition", tag = "mediation",
    params(("id" = i64, Path)), request_body = TransitionInput,
    responses((status = 200, body = CaseDetail), (status = 422, body = crate::web::errors::ErrorBody),
        (status = 403), (status = 404)),
    security(("bearer" = [])))]
async fn api_transition(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<MediationCaseId>,
    Json(input): Json<TransitionInput>,
) -> AppResult<Json<CaseDetail>> {
    act(&state, &caller, id, &input).await?;
    Ok(Json(detail(&state, &caller, id).await?))
}

#[derive(Template)]
#[template(path = "mediation/detail.html")]
struct DetailPage {
    c: Chrome,
    d: CaseDetail,
    input: TransitionInput,
    errors: Vec<(String, String)>,
    /// Which step's form the errors belong to.
    failed: String,
    today: String,
    /// When arbitration may be applied for, while the case is open.
    transfer_from: Option<Day>,
}

impl DetailPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    fn offers(&self, action: &str) -> bool {
        self.d.actions.contains(&action)
    }

    fn is_failed(&self, step: &str) -> bool {
        self.failed == step
    }

    fn reason_optional(&self, step: &str) -> bool {
        step != "fail"
    }

    fn value<'a>(&self, form: &str, v: &'a Option<String>) -> &'a str {
        if self.failed == form {
            v.as_deref().unwrap_or("")
        } else {
            ""
        }
    }

    fn status_key(&self) -> String {
        format!("med-status-{}", self.d.case.status)
    }

    fn event_key(&self, e: &Event) -> String {
        format!("med-event-{}", e.kind)
    }

    fn state_label(&self, s: &str) -> String {
        self.c.t(&format!("med-status-{s}"))
    }

    /// The signatures named in a "signed" event, in the reader's language.
    fn signed_names(&self, detail: &str) -> String {
        detail
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| self.c.t(&format!("med-sig-{s}")))
            .collect::<Vec<_>>()
            .join("、")
    }

    fn oral_time(&self, ts: &i64) -> String {
        self.c.dt(ts)
    }
}

async fn detail_view(
    state: &AppState,
    caller: &Caller,
    id: MediationCaseId,
    input: TransitionInput,
    errors: Vec<(String, String)>,
) -> AppResult<DetailPage> {
    let d = detail(state, caller, id).await?;
    let today = Day::today();
    let transfer_from = (d.case.state.is_open() && !d.actions.contains(&"transfer"))
        .then(|| d.case.due_on.plus_days(1));
    let failed = if errors.is_empty() {
        String::new()
    } else {
        form::opt(&input.action).unwrap_or_default()
    };
    Ok(DetailPage {
        c: Chrome::for_caller(caller, &format!("/mediation/{id}")),
        d,
        input,
        errors,
        failed,
        today: today.iso(),
        transfer_from,
    })
}

async fn detail_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<MediationCaseId>,
) -> AppResult<Response> {
    render(detail_view(&state, &caller, id, TransitionInput::default(), Vec::new()).await?)
}

async fn transition_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<MediationCaseId>,
    Form(input): Form<TransitionInput>,
) -> AppResult<Response> {
    match act(&state, &caller, id, &input).await {
        Ok(()) => Ok(Redirect::to(&format!("/mediation/{id}")).into_response()),
        Err(AppError::Validation(fs)) => {
            let errors = messages(&fs, &caller);
            let page = detail_view(&state, &caller, id, input, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(page)?).into_response())
        }
        Err(e) => Err(e),
    }
}

// ---- the agreement document ----

/// The agreement as DOCX: only for a valid agreement (422 otherwise), only
/// for cadres and admins over the case's org (it names the parties), audited.
async fn agreement(state: &AppState, caller: &Caller, id: MediationCaseId) -> AppResult<Response> {
    let case = may_act(state, caller, id).await?;
    let bytes = super::docx::agreement(&case)
        .ok_or_else(|| AppError::field("agreement", "err-med-agreement-not-valid"))?;
    let entry = Entry::by(caller, case.org_id, AuditAction::Export)
        .target(format!("mediation:{id}:agreement.docx"))
        .detail("调解协议书");
    audit::store::record(state.db.pool(), &entry).await?;
    Ok(crate::web::download::attachment(
        bytes,
        &format!("调解协议书-{}.docx", case.id),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ))
}

async fn agreement_download(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<MediationCaseId>,
) -> AppResult<Response> {
    agreement(&state, &caller, id).await
}

/// The mediation agreement (调解协议书) as a Word document; only once valid.
#[utoipa::path(get, path = "/api/v1/mediation/cases/{id}/agreement.docx", tag = "mediation",
    params(("id" = i64, Path)),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (status = 422, body = crate::web::errors::ErrorBody), (status = 403), (status = 404)),
    security(("bearer" = [])))]
async fn api_agreement(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<MediationCaseId>,
) -> AppResult<Response> {
    agreement(&state, &caller, id).await
}
