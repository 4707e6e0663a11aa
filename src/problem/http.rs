//! Problem pages (list, "escalated to us" inbox, "my overdue", detail with
//! timeline, decisions and feedback) and the problem API under `/api/v1/problems`.

use crate::web::{Form, Json, Path, Query};
use askama::Template;
use axum::{
    Router,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use serde::{Deserialize, Serialize};
use utoipa::OpenApi;

use super::{
    Channel, Event, Feedback, FeedbackInput, Problem, ProblemInput, Satisfaction, Source, Topic,
    TransitionInput,
    lifecycle::{LifecycleError, OUTCOME_CODES},
    store::{self, Actor, BulkChange, Origin, ProblemCounts, ProblemFilter},
};
use crate::{
    activity::{store::CampaignChoice, valid_client_id},
    audit::{self, Action as AuditAction, Entry},
    auth::{Caller, Need, Scope},
    date::Day,
    db::{ActivityId, CampaignId, OrgId, ProblemId},
    enterprise::WorkerGroup,
    error::{AppError, AppResult, FieldError},
    tabular::{self, Cell, Header},
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
        .route("/problems", get(list_page))
        .route("/problems/inbox", get(inbox_page))
        .route("/problems/overdue", get(overdue_page))
        .route("/problems/export.xlsx", export_route(tabular::Format::Xlsx))
        .route("/problems/export.csv", export_route(tabular::Format::Csv))
        .route("/problems/bulk", post(bulk_page))
        .route("/problems/{id}", get(detail_page))
        .route("/problems/{id}/transition", post(transition_page))
        .route("/problems/{id}/feedback", post(feedback_page))
        .route("/problems/{id}/main", post(main_page))
        .route("/api/v1/problems", get(api_list).post(api_create))
        .route("/api/v1/problems/counts", get(api_counts))
        .route("/api/v1/problems/bulk", post(api_bulk))
        .route("/api/v1/problems/{id}", get(api_get))
        .route("/api/v1/problems/{id}/transition", post(api_transition))
        .route("/api/v1/problems/{id}/feedback", post(api_feedback))
        .route("/api/v1/problems/{id}/main", post(api_main))
}

/// The export route of one format (the list's filters in the query).
fn export_route(format: tabular::Format) -> axum::routing::MethodRouter<AppState> {
    get(move |s: State<AppState>, c: Caller, Query(p): Query<ListParams>| export(s.0, c, p, format))
}

/// This module's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(api_list, api_create, api_counts, api_bulk, api_get, api_transition, api_feedback, api_main),
    components(schemas(Problem, ProblemInput, NewProblem, TransitionInput, FeedbackInput, ProblemPage,
        ProblemDetail, Event, Feedback, Channel, Satisfaction, Source, ProblemCounts, MainInput, BulkInput, BulkResult)),
    tags((name = "problems", description = "Problems and suggestions: outcomes, escalation, timeline and feedback"))
)]
pub struct ApiDoc;

const PAGE_SIZE: i64 = 30;

/// A refused transition becomes a validation error naming the field at fault.
pub fn refusal(e: LifecycleError) -> AppError {
    match e {
        LifecycleError::NotAllowed => AppError::field("action", "err-transition-not-allowed"),
        LifecycleError::ReasonRequired => AppError::field("reason", "err-required"),
        LifecycleError::NotAnAncestor => AppError::field("to_org", "err-not-ancestor"),
        LifecycleError::NothingToReturn => AppError::field("action", "err-nothing-to-return"),
    }
}

/// Query of the list pages and the list API.
#[derive(Deserialize, Default, Debug, Clone, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    #[param(value_type = Option<i64>)]
    pub campaign: Option<String>,
    /// Recorded in this org's subtree.
    #[param(value_type = Option<i64>)]
    pub org: Option<String>,
    /// worker, enterprise or union.
    pub source: Option<String>,
    /// A topic code.
    pub topic: Option<String>,
    /// A worker group.
    pub group: Option<String>,
    /// open, solved, in_progress, planned, reference or closed.
    pub status: Option<String>,
    /// yes: only overdue ones.
    pub overdue: Option<String>,
    /// yes: only those escalated to (and now owned by) an org where I hold a role.
    pub escalated_to_me: Option<String>,
    /// yes: only main problems.
    pub main: Option<String>,
    #[param(value_type = Option<i64>)]
    pub activity: Option<String>,
    /// Text in the description or the enterprise's name (two characters are enough).
    pub q: Option<String>,
    /// new (default), old, due (nearest deadline first) or updated.
    pub sort: Option<String>,
    #[param(value_type = Option<i64>)]
    pub page: Option<String>,
    /// Shown after a bulk action: how many changed.
    #[param(ignore)]
    pub updated: Option<String>,
    /// Shown after a bulk action: how many were not the caller's to change.
    #[param(ignore)]
    pub skipped: Option<String>,
}

fn yes(field: &str, v: &Option<String>, errs: &mut Errors) -> bool {
    match form::flag(v) {
        Ok(b) => b,
        Err(_) => {
            errs.push(FieldError::new(field, "err-flag"));
            false
        }
    }
}

impl ListParams {
    fn parse(&self, caller: &Caller) -> AppResult<(ProblemFilter, i64)> {
        let mut errs = Errors::default();
        let id = |errs: &mut Errors, field: &str, v: &Option<String>| {
            errs.take(form::optional_int(field, v, 1, i64::MAX))
                .flatten()
        };
        let campaign = id(&mut errs, "campaign", &self.campaign).map(CampaignId);
        let org = id(&mut errs, "org", &self.org).map(OrgId);
        let activity = id(&mut errs, "activity", &self.activity).map(ActivityId);
        let source = form::opt(&self.source).and_then(|s| {
            let p = Source::parse(&s);
            if p.is_none() {
                errs.push(FieldError::new("source", "err-source"));
            }
            p
        });
        let group = form::opt(&self.group).and_then(|g| {
            let p = WorkerGroup::parse(&g);
            if p.is_none() {
                errs.push(FieldError::new("group", "err-group").arg("value", g));
            }
            p
        });
        let status = form::opt(&self.status);
        if let Some(s) = &status
            && !(OUTCOME_CODES.contains(&s.as_str()) || s == "open" || s == "closed")
        {
            errs.push(FieldError::new("status", "err-problem-status"));
        }
        let overdue = yes("overdue", &self.overdue, &mut errs);
        let mine = yes("escalated_to_me", &self.escalated_to_me, &mut errs);
        let main = yes("main", &self.main, &mut errs);
        let sort = match form::opt(&self.sort) {
            None => store::Sort::default(),
            Some(s) => store::Sort::parse(&s).unwrap_or_else(|| {
                errs.push(FieldError::new("sort", "err-sort"));
                store::Sort::default()
            }),
        };
        let page = errs
            .take(form::optional_int("page", &self.page, 1, 1_000_000))
            .flatten()
            .unwrap_or(1);
        errs.finish()?;
        Ok((
            ProblemFilter {
                campaign,
                org,
                source,
                topic: form::opt(&self.topic),
                group,
                status,
                overdue,
                escalated_to: mine.then(|| caller.scope(Need::Read).roots().to_vec()),
                owned_in_scope: false,
                main,
                activity,
                q: form::opt(&self.q),
                sort,
            },
            page,
        ))
    }

    fn query(&self) -> String {
        [
            ("campaign", &self.campaign),
            ("org", &self.org),
            ("source", &self.source),
            ("topic", &self.topic),
            ("group", &self.group),
            ("status", &self.status),
            ("overdue", &self.overdue),
            ("escalated_to_me", &self.escalated_to_me),
            ("main", &self.main),
            ("activity", &self.activity),
            ("q", &self.q),
            ("sort", &self.sort),
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
    filter: &ProblemFilter,
    page: i64,
) -> AppResult<(Vec<Problem>, i64)> {
    let scope = caller.scope(Need::Read);
    if let Some(org) = filter.org {
        crate::org::store::get(&state.db, &scope, org)
            .await?
            .ok_or(AppError::NotFound)?;
    }
    let (items, total) =
        store::list(&state.db, &scope, filter, PAGE_SIZE, (page - 1) * PAGE_SIZE).await?;
    // Lists always mask: the raiser's contact is shown one problem at a time, audited.
    Ok((items.into_iter().map(Problem::masked).collect(), total))
}

/// Which list a page shows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum View {
    All,
    Inbox,
    Overdue,
}

#[derive(Template)]
#[template(path = "problem/list.html")]
struct ListPage {
    c: Chrome,
    view: View,
    base: &'static str,
    items: Vec<Problem>,
    total: i64,
    page: i64,
    pages: i64,
    p: ListParams,
    sources: Vec<Source>,
    topics: Vec<Topic>,
    groups: Vec<WorkerGroup>,
    statuses: Vec<&'static str>,
    campaigns: Vec<CampaignChoice>,
    counts: ProblemCounts,
    query: String,
}

impl ListPage {
    fn sel(&self, v: &Option<String>, want: &str) -> bool {
        v.as_deref().map(str::trim) == Some(want)
    }

    fn pager(&self, page: i64) -> String {
        if self.query.is_empty() {
            format!("{}?page={page}", self.base)
        } else {
            format!("{}?page={page}&{}", self.base, self.query)
        }
    }

    fn status_key(&self, s: &&str) -> String {
        format!("status-{s}")
    }

    fn export_url(&self, ext: &str) -> String {
        let mut q = self.query.clone();
        match self.view {
            View::Inbox => q.push_str("&escalated_to_me=yes"),
            View::Overdue => q.push_str("&overdue=yes"),
            View::All => {}
        }
        format!("/problems/export.{ext}?{}", q.trim_start_matches('&'))
    }

    fn back(&self) -> String {
        if self.query.is_empty() {
            self.base.to_string()
        } else {
            format!("{}?{}", self.base, self.query)
        }
    }
}

async fn list_view(
    state: AppState,
    caller: Caller,
    p: ListParams,
    view: View,
) -> AppResult<Response> {
    let (mut filter, page) = p.parse(&caller)?;
    let base = match view {
        View::All => "/problems",
        View::Inbox => {
            filter.escalated_to = Some(caller.scope(Need::Read).roots().to_vec());
            if filter.status.is_none() {
                filter.status = Some("open".into());
            }
            "/problems/inbox"
        }
        View::Overdue => {
            filter.overdue = true;
            filter.owned_in_scope = true;
            "/problems/overdue"
        }
    };
    let (items, total) = filtered(&state, &caller, &filter, page).await?;
    let read = caller.scope(Need::Read);
    let query = p.query();
    render(ListPage {
        c: Chrome::for_caller(&caller, &format!("{base}?{query}")),
        view,
        base,
        pages: (total + PAGE_SIZE - 1) / PAGE_SIZE,
        items,
        total,
        page,
        sources: Source::ALL.to_vec(),
        topics: store::topics(&state.db).await?,
        groups: WorkerGroup::ALL.to_vec(),
        statuses: [
            "open",
            "solved",
            "in_progress",
            "planned",
            "reference",
            "closed",
        ]
        .to_vec(),
        campaigns: crate::activity::store::campaign_choices(&state.db, &read).await?,
        counts: store::counts(&state.db, &read).await?,
        p,
        query,
    })
}

async fn list_page(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ListParams>,
) -> AppResult<Response> {
    list_view(state, caller, p, View::All).await
}

async fn inbox_page(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ListParams>,
) -> AppResult<Response> {
    list_view(state, caller, p, View::Inbox).await
}

async fn overdue_page(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ListParams>,
) -> AppResult<Response> {
    list_view(state, caller, p, View::Overdue).await
}

/// A page of problems.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ProblemPage {
    pub items: Vec<Problem>,
    pub total: i64,
    pub page: i64,
    pub page_size: i64,
}

/// List the problems visible to the caller (contacts masked).
#[utoipa::path(get, path = "/api/v1/problems", tag = "problems", params(ListParams),
    responses((status = 200, body = ProblemPage), (status = 422, body = crate::web::errors::ErrorBody)),
    security(("bearer" = [])))]
async fn api_list(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ListParams>,
) -> AppResult<Json<ProblemPage>> {
    let (filter, page) = p.parse(&caller)?;
    let (items, total) = filtered(&state, &caller, &filter, page).await?;
    Ok(Json(ProblemPage {
        items,
        total,
        page,
        page_size: PAGE_SIZE,
    }))
}

/// How many problems the caller sees, open, overdue, and waiting in their inbox.
#[utoipa::path(get, path = "/api/v1/problems/counts", tag = "problems",
    responses((status = 200, body = ProblemCounts)), security(("bearer" = [])))]
async fn api_counts(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Json<ProblemCounts>> {
    Ok(Json(
        store::counts(&state.db, &caller.scope(Need::Read)).await?,
    ))
}

/// A standalone problem (not heard at an activity) as the API takes it.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewProblem {
    /// Generated by the client; a retry with the same id returns the first record.
    pub client_id: String,
    /// The recording org's code; defaults to the caller's own org.
    pub org_code: Option<String>,
    pub campaign_id: Option<i64>,
    #[serde(flatten)]
    pub problem: ProblemInput,
}

/// Record a problem outside an activity.
#[utoipa::path(post, path = "/api/v1/problems", tag = "problems", request_body = NewProblem,
    responses((status = 201, body = ProblemDetail), (status = 200, description = "a retry", body = ProblemDetail),
        (status = 422, body = crate::web::errors::ErrorBody)),
    security(("bearer" = [])))]
async fn api_create(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<NewProblem>,
) -> AppResult<Response> {
    caller.require(Need::Write)?;
    let mut errs = Errors::default();
    if !valid_client_id(input.client_id.trim()) {
        errs.push(FieldError::new("client_id", "err-client-id"));
    }
    let fields = input.problem.parse_into("", &mut errs);
    errs.finish()?;
    let fields = fields.ok_or(AppError::BadRequest("unparsed problem"))?;
    let code = input
        .org_code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    let org = caller.recording_org(&state.db, code).await?;
    let campaign = input.campaign_id.map(CampaignId);
    if let Some(c) = campaign
        && !crate::activity::store::campaign_open_to(&state.db, c, org).await?
    {
        return Err(AppError::field("campaign_id", "err-campaign-not-open"));
    }
    if let Some(e) = fields.enterprise_id
        && crate::enterprise::store::get(&state.db, &caller.scope(Need::Read), e)
            .await?
            .is_none()
    {
        return Err(AppError::Validation(vec![
            FieldError::new("enterprise_id", "err-enterprise-unknown").arg("value", e),
        ]));
    }
    let origin = Origin {
        org,
        client_id: input.client_id.trim().to_string(),
        campaign,
        activity: None,
        user: Some(caller.user_id),
        actor: caller.display_name.clone(),
        public: false,
    };
    let mut tx = state.db.begin().await?;
    let created = store::insert(&mut tx, &origin, &fields).await?;
    let (id, status) = match created {
        Some(id) => {
            tx.commit().await?;
            (id, StatusCode::CREATED)
        }
        None => {
            let id = store::id_by_client(&mut tx, org, &origin.client_id)
                .await?
                .ok_or(AppError::NotFound)?;
            drop(tx);
            (id, StatusCode::OK)
        }
    };
    Ok((status, Json(detail(&state, &caller, id).await?.0)).into_response())
}

/// One problem with its timeline and feedback.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ProblemDetail {
    #[serde(flatten)]
    pub problem: Problem,
    pub events: Vec<Event>,
    pub feedback: Vec<Feedback>,
    /// Whether the caller may decide, escalate, return, reopen or close it.
    pub can_act: bool,
    /// The questionnaire answer it was made from ("转为问题"), if it was.
    pub survey_response: Option<crate::survey::analysis::store::ProblemSource>,
    /// The mediation case made from it ("转为调解案件"), if the caller sees one.
    #[schema(value_type = Option<i64>)]
    pub mediation_case: Option<crate::db::MediationCaseId>,
}

/// Loads a problem for the caller: 404 outside their reach; the raiser's
/// contact unmasked (and the view audited) only for cadres over its orgs.
async fn detail(
    state: &AppState,
    caller: &Caller,
    id: ProblemId,
) -> AppResult<(ProblemDetail, Scope)> {
    let read = caller.scope(Need::Read);
    let p = store::get(&state.db, &read, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let write = caller.scope(Need::Write);
    let can_act = write.contains(&state.db, p.owner_org_id).await?;
    let sees_contact = can_act || write.contains(&state.db, p.org_id).await?;
    let p = if sees_contact {
        if p.raiser_contact.is_some() || p.raiser_name.is_some() {
            let entry = Entry::by(caller, p.org_id, AuditAction::PersonalDataViewed)
                .target(format!("problem:{id}"))
                .detail("raiser");
            audit::store::record(state.db.pool(), &entry).await?;
        }
        p
    } else {
        p.masked()
    };
    Ok((
        ProblemDetail {
            events: store::events(&state.db, id).await?,
            feedback: store::feedback(&state.db, id).await?,
            problem: p,
            can_act,
            survey_response: crate::survey::analysis::store::source_of_problem(&state.db, id)
                .await?,
            mediation_case: crate::mediation::store::case_of_problem(&state.db, &read, id)
                .await?
                .map(|m| m.id),
        },
        write,
    ))
}

/// One problem with its timeline and feedback.
#[utoipa::path(get, path = "/api/v1/problems/{id}", tag = "problems", params(("id" = i64, Path)),
    responses((status = 200, body = ProblemDetail), (status = 404)), security(("bearer" = [])))]
async fn api_get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ProblemId>,
) -> AppResult<Json<ProblemDetail>> {
    Ok(Json(detail(&state, &caller, id).await?.0))
}

/// Checks the caller may act on the problem now: 404 when they cannot see it,
/// 403 when they see it but its owner is outside their write scope.
async fn may_act(state: &AppState, caller: &Caller, id: ProblemId) -> AppResult<Problem> {
    let p = store::get(&state.db, &caller.scope(Need::Read), id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !caller
        .scope(Need::Write)
        .contains(&state.db, p.owner_org_id)
        .await?
    {
        return Err(AppError::Forbidden);
    }
    Ok(p)
}

fn actor(caller: &Caller) -> Actor {
    Actor {
        user: Some(caller.user_id),
        name: caller.display_name.clone(),
    }
}

async fn act(
    state: &AppState,
    caller: &Caller,
    id: ProblemId,
    input: &TransitionInput,
) -> AppResult<()> {
    let action = input.parse()?;
    may_act(state, caller, id).await?;
    let mut tx = state.db.begin().await?;
    store::transition(&mut tx, id, action, &actor(caller)).await?;
    tx.commit().await?;
    Ok(())
}

/// Decide, escalate, return, reopen or close a problem.
#[utoipa::path(post, path = "/api/v1/problems/{id}/transition", tag = "problems", params(("id" = i64, Path)),
    request_body = TransitionInput,
    responses((status = 200, body = ProblemDetail), (status = 422, body = crate::web::errors::ErrorBody),
        (status = 403), (status = 404)),
    security(("bearer" = [])))]
async fn api_transition(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ProblemId>,
    Json(input): Json<TransitionInput>,
) -> AppResult<Json<ProblemDetail>> {
    act(&state, &caller, id, &input).await?;
    Ok(Json(detail(&state, &caller, id).await?.0))
}

/// Feedback may be recorded by whoever may act on it, or by the recording org
/// (which usually talks to the raiser).
async fn give_feedback(
    state: &AppState,
    caller: &Caller,
    id: ProblemId,
    input: &FeedbackInput,
) -> AppResult<()> {
    let f = input.parse()?;
    let p = store::get(&state.db, &caller.scope(Need::Read), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let write = caller.scope(Need::Write);
    let org = if write.contains(&state.db, p.owner_org_id).await? {
        p.owner_org_id
    } else if write.contains(&state.db, p.org_id).await? {
        p.org_id
    } else {
        return Err(AppError::Forbidden);
    };
    let mut tx = state.db.begin().await?;
    store::add_feedback(&mut tx, id, org, &actor(caller), &f).await?;
    tx.commit().await?;
    Ok(())
}

/// Record feedback given to whoever raised the problem.
#[utoipa::path(post, path = "/api/v1/problems/{id}/feedback", tag = "problems", params(("id" = i64, Path)),
    request_body = FeedbackInput,
    responses((status = 200, body = ProblemDetail), (status = 422, body = crate::web::errors::ErrorBody),
        (status = 403), (status = 404)),
    security(("bearer" = [])))]
async fn api_feedback(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ProblemId>,
    Json(input): Json<FeedbackInput>,
) -> AppResult<Json<ProblemDetail>> {
    give_feedback(&state, &caller, id, &input).await?;
    Ok(Json(detail(&state, &caller, id).await?.0))
}

/// Whether a problem is one of the unit's main problems.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct MainInput {
    pub main: bool,
}

/// Mark or unmark a main problem (for the summary table).
#[utoipa::path(post, path = "/api/v1/problems/{id}/main", tag = "problems", params(("id" = i64, Path)),
    request_body = MainInput, responses((status = 200, body = ProblemDetail), (status = 403), (status = 404)),
    security(("bearer" = [])))]
async fn api_main(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ProblemId>,
    Json(input): Json<MainInput>,
) -> AppResult<Json<ProblemDetail>> {
    set_main(&state, &caller, id, input.main).await?;
    Ok(Json(detail(&state, &caller, id).await?.0))
}

async fn set_main(state: &AppState, caller: &Caller, id: ProblemId, main: bool) -> AppResult<()> {
    may_act(state, caller, id).await?;
    let mut tx = state.db.begin().await?;
    store::set_main(&mut tx, id, main).await?;
    tx.commit().await?;
    Ok(())
}

// ---- pages ----

#[derive(Template)]
#[template(path = "problem/detail.html")]
struct DetailPage {
    c: Chrome,
    d: ProblemDetail,
    targets: Vec<(OrgId, String)>,
    may_return: bool,
    channels: Vec<Channel>,
    satisfactions: Vec<Satisfaction>,
    outcomes: Vec<&'static str>,
    input: TransitionInput,
    feedback_input: FeedbackInput,
    errors: Vec<(String, String)>,
    /// Which form the errors belong to.
    failed: &'static str,
    today: String,
    panel: crate::attachment::pages::Panel,
}

impl DetailPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    fn value<'a>(&self, v: &'a Option<String>) -> &'a str {
        v.as_deref().unwrap_or("")
    }

    fn is_outcome(&self, o: &&str) -> bool {
        match self.input.outcome.as_deref() {
            Some(v) => v == *o,
            None => self.d.problem.state.outcome().map(|x| x.code()) == Some(*o),
        }
    }

    fn outcome_key(&self, o: &&str) -> String {
        format!("status-{o}")
    }

    fn state_key(&self) -> String {
        format!("status-{}", self.d.problem.state.label())
    }

    fn event_key(&self, e: &Event) -> String {
        format!("event-{}", e.kind)
    }

    fn status_label(&self, s: &str) -> String {
        self.c.t(&format!("status-{s}"))
    }

    fn outcome_day(&self) -> String {
        self.d
            .problem
            .state
            .outcome()
            .and_then(|o| o.day())
            .map(Day::iso)
            .unwrap_or_default()
    }

    fn outcome_note(&self) -> String {
        self.d
            .problem
            .state
            .outcome()
            .and_then(|o| o.note())
            .unwrap_or_default()
            .to_string()
    }
}

async fn detail_view(
    state: &AppState,
    caller: &Caller,
    id: ProblemId,
    input: TransitionInput,
    feedback_input: FeedbackInput,
    errors: Vec<(String, String)>,
    failed: &'static str,
) -> AppResult<DetailPage> {
    let (d, _) = detail(state, caller, id).await?;
    let targets = if d.can_act {
        store::escalation_targets(&state.db, d.problem.owner_org_id).await?
    } else {
        Vec::new()
    };
    let may_return = d.can_act && {
        let mut conn = state.db.pool().acquire().await?;
        let own = store::ownership(&mut conn, id).await?;
        own.is_some_and(|(_, o)| o.escalated_from.is_some())
    };
    let owner = crate::attachment::Owner::of(crate::attachment::OwnerKind::Problem, id.0);
    let panel = crate::attachment::pages::panel(state, caller, Some(owner)).await?;
    Ok(DetailPage {
        panel,
        c: Chrome::for_caller(caller, &format!("/problems/{id}")),
        d,
        targets,
        may_return,
        channels: Channel::ALL.to_vec(),
        satisfactions: Satisfaction::ALL.to_vec(),
        outcomes: OUTCOME_CODES.to_vec(),
        input,
        feedback_input,
        errors,
        failed,
        today: Day::today().iso(),
    })
}

async fn detail_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ProblemId>,
) -> AppResult<Response> {
    let page = detail_view(
        &state,
        &caller,
        id,
        TransitionInput::default(),
        FeedbackInput::default(),
        Vec::new(),
        "",
    )
    .await?;
    render(page)
}

fn messages(fs: &[FieldError], caller: &Caller) -> Vec<(String, String)> {
    fs.iter()
        .map(|f| (f.field.clone(), f.message(caller.lang)))
        .collect()
}

async fn transition_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ProblemId>,
    Form(input): Form<TransitionInput>,
) -> AppResult<Response> {
    match act(&state, &caller, id, &input).await {
        Ok(()) => Ok(Redirect::to(&format!("/problems/{id}")).into_response()),
        Err(AppError::Validation(fs)) => {
            let errors = messages(&fs, &caller);
            let page = detail_view(
                &state,
                &caller,
                id,
                input,
                FeedbackInput::default(),
                errors,
                "transition",
            )
            .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(page)?).into_response())
        }
        Err(e) => Err(e),
    }
}

async fn feedback_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ProblemId>,
    Form(input): Form<FeedbackInput>,
) -> AppResult<Response> {
    match give_feedback(&state, &caller, id, &input).await {
        Ok(()) => Ok(Redirect::to(&format!("/problems/{id}#feedback")).into_response()),
        Err(AppError::Validation(fs)) => {
            let errors = messages(&fs, &caller);
            let page = detail_view(
                &state,
                &caller,
                id,
                TransitionInput::default(),
                input,
                errors,
                "feedback",
            )
            .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(page)?).into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
struct MainForm {
    main: Option<String>,
}

async fn main_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ProblemId>,
    Form(f): Form<MainForm>,
) -> AppResult<Response> {
    let main = form::flag(&f.main).map_err(|_| AppError::field("main", "err-flag"))?;
    set_main(&state, &caller, id, main).await?;
    Ok(Redirect::to(&format!("/problems/{id}")).into_response())
}

// ---- exports ----

/// At most this many rows in one export; narrow the filters for more.
const EXPORT_LIMIT: i64 = 200_000;

async fn export(
    state: AppState,
    caller: Caller,
    p: ListParams,
    format: tabular::Format,
) -> AppResult<Response> {
    let (filter, _) = p.parse(&caller)?;
    let scope = caller.require(Need::Read)?;
    if let Some(org) = filter.org {
        crate::org::store::get(&state.db, &scope, org)
            .await?
            .ok_or(AppError::NotFound)?;
    }
    let items = store::list_all(&state.db, &scope, &filter, EXPORT_LIMIT).await?;
    let lang = caller.lang;
    let t = |k: &str| lang.t(k);
    let col = |k: &str, width: f64| Header {
        title: t(k),
        width,
        text: false,
    };
    let heads = vec![
        col("export-id", 8.0),
        col("prob-recorded", 24.0),
        col("prob-owner", 24.0),
        col("field-campaign_id", 24.0),
        col("field-source", 12.0),
        col("field-topic", 12.0),
        col("field-worker_group", 12.0),
        col("field-description", 60.0),
        col("ent-one", 28.0),
        col("field-is_main", 8.0),
        col("field-status", 14.0),
        col("field-outcome_on", 12.0),
        col("field-outcome_note", 40.0),
        col("prob-escalated", 8.0),
        col("prob-overdue", 8.0),
        col("field-raiser_contact", 16.0),
        col("export-created", 18.0),
    ];
    let yes_no = |b: bool| Cell::Text(if b { t("yes") } else { t("no") });
    let rows: Vec<Vec<Cell>> = items
        .into_iter()
        .map(Problem::masked)
        .map(|p| {
            let outcome = p.state.outcome();
            vec![
                Cell::Int(p.id.0),
                Cell::Text(p.org_name.clone()),
                Cell::Text(p.owner_org_name.clone()),
                Cell::opt(p.campaign_title.as_deref()),
                Cell::Text(t(&p.source.label_key())),
                Cell::Text(p.topic(lang).to_string()),
                p.worker_group
                    .map(|g| Cell::Text(t(&g.label_key())))
                    .unwrap_or(Cell::Empty),
                Cell::Text(p.description.clone()),
                Cell::opt(p.enterprise_name.as_deref()),
                yes_no(p.is_main),
                Cell::Text(t(&format!("status-{}", p.state.label()))),
                Cell::opt(outcome.and_then(|o| o.day()).map(Day::iso).as_deref()),
                Cell::opt(outcome.and_then(|o| o.note())),
                yes_no(p.escalated),
                yes_no(p.overdue),
                Cell::opt(p.raiser_contact.as_deref()),
                Cell::Text(lang.datetime(p.created_at)),
            ]
        })
        .collect();
    crate::web::download::send_table(
        &state,
        &caller,
        "problems",
        format,
        (&t("nav-problems"), &heads, &rows),
        format!("{} rows; contacts masked", rows.len()),
    )
    .await
}

// ---- bulk actions ----

/// A change to many problems: `topic` (with `topic`), `main`, `unmain`, or
/// `assign` (with `assignee`, a username).
#[derive(Deserialize, Default, Debug, utoipa::ToSchema)]
pub struct BulkInput {
    pub ids: Vec<i64>,
    pub action: Option<String>,
    pub topic: Option<String>,
    pub assignee: Option<String>,
}

/// How many problems changed, and how many were left alone because the
/// caller does not own them.
#[derive(Serialize, utoipa::ToSchema)]
pub struct BulkResult {
    pub updated: u64,
    pub skipped: u64,
}

async fn apply_bulk(state: &AppState, caller: &Caller, input: &BulkInput) -> AppResult<BulkResult> {
    let write = caller.require(Need::Write)?;
    let mut ids: Vec<ProblemId> = input.ids.iter().map(|&i| ProblemId(i)).collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Err(AppError::field("ids", "err-bulk-none"));
    }
    if ids.len() > 1000 {
        return Err(AppError::Validation(vec![
            FieldError::new("ids", "err-too-many").arg("max", 1000),
        ]));
    }
    let change = match input.action.as_deref().map(str::trim) {
        Some("main") => BulkChange::Main(true),
        Some("unmain") => BulkChange::Main(false),
        Some("topic") => {
            let code =
                form::opt(&input.topic).ok_or_else(|| AppError::field("topic", "err-required"))?;
            BulkChange::Topic(
                store::topic_id(&state.db, &code)
                    .await?
                    .ok_or_else(|| AppError::field("topic", "err-topic"))?,
            )
        }
        Some("assign") => {
            let name = form::opt(&input.assignee)
                .ok_or_else(|| AppError::field("assignee", "err-required"))?;
            let user = crate::user::store::id_by_username(&state.db, &name).await?;
            // Only people of the caller's own subtree can be given work.
            match user {
                Some((id, org)) if write.contains(&state.db, org).await? => BulkChange::Assign(id),
                _ => return Err(AppError::field("assignee", "err-assignee")),
            }
        }
        Some(_) => return Err(AppError::field("action", "err-action")),
        None => return Err(AppError::field("action", "err-required")),
    };
    let mut tx = state.db.begin().await?;
    let updated = store::bulk(&mut tx, &write, &ids, &change).await?;
    tx.commit().await?;
    Ok(BulkResult {
        updated,
        skipped: ids.len() as u64 - updated,
    })
}

/// Change many problems at once; those the caller does not own are skipped.
#[utoipa::path(post, path = "/api/v1/problems/bulk", tag = "problems", request_body = BulkInput,
    responses((status = 200, body = BulkResult), (status = 422, body = crate::web::errors::ErrorBody), (status = 403)),
    security(("bearer" = [])))]
async fn api_bulk(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<BulkInput>,
) -> AppResult<Json<BulkResult>> {
    Ok(Json(apply_bulk(&state, &caller, &input).await?))
}

async fn bulk_page(
    State(state): State<AppState>,
    caller: Caller,
    Form(raw): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let mut input = BulkInput::default();
    let mut back = "/problems".to_string();
    for (k, v) in raw {
        match k.as_str() {
            "ids" => {
                if let Ok(id) = v.trim().parse() {
                    input.ids.push(id);
                }
            }
            "action" => input.action = Some(v),
            "topic" => input.topic = Some(v),
            "assignee" => input.assignee = Some(v),
            // Only a path of this site's problem lists: never an open
            // redirect, never a header a newline breaks.
            "back"
                if v.starts_with("/problems")
                    && crate::web::local_path::same_origin_path(&v).is_some() =>
            {
                back = v
            }
            _ => {}
        }
    }
    let r = apply_bulk(&state, &caller, &input).await?;
    let sep = if back.contains('?') { '&' } else { '?' };
    Ok(Redirect::to(&format!(
        "{back}{sep}updated={}&skipped={}",
        r.updated, r.skipped
    ))
    .into_response())
}
