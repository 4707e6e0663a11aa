//! Activity pages (list, the one-minute record form, detail) and the activity
//! API under `/api/v1/activities`.

use crate::web::{Form, Json, Path, Query};
use askama::Template;
use axum::{
    Router,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use serde::{Deserialize, Serialize};
use utoipa::OpenApi;

use super::{
    Activity, ActivityFields, ActivityInput, ActivityKind, Composition, EnterpriseKey,
    EnterpriseRef,
    store::{self, ActivityFilter, CampaignChoice},
};
use crate::{
    auth::{Caller, Need, random_token},
    date::Day,
    db::{ActivityId, CampaignId, EnterpriseId, OrgId},
    enterprise::WorkerGroup,
    error::{AppError, AppResult, FieldError},
    problem::{self, Problem, ProblemInput, Source, Topic, store::Origin},
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
        .route("/activities", get(list_page).post(create_page))
        .route("/activities/new", get(new_page))
        .route(
            "/activities/export.xlsx",
            export_route(tabular::Format::Xlsx),
        )
        .route("/activities/export.csv", export_route(tabular::Format::Csv))
        .route("/activities/{id}", get(detail_page))
        .route("/api/v1/activities", get(api_list).post(api_create))
        .route("/api/v1/activities/{id}", get(api_get))
}

/// The export route of one format (the list's filters in the query).
fn export_route(format: tabular::Format) -> axum::routing::MethodRouter<AppState> {
    get(move |s: State<AppState>, c: Caller, Query(p): Query<ListParams>| export(s.0, c, p, format))
}

/// This module's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(api_list, api_get, api_create),
    components(schemas(Activity, ActivityInput, ActivityKind, Composition, EnterpriseRef, ActivityPage, Recorded, ProblemInput)),
    tags((name = "activities", description = "Field activities: visits, interviews, symposiums and the problems heard"))
)]
pub struct ApiDoc;

const PAGE_SIZE: i64 = 30;

/// Query of the list page and the list API.
#[derive(Deserialize, Default, Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only this campaign.
    #[param(value_type = Option<i64>)]
    pub campaign: Option<String>,
    /// Only activities recorded in this org's subtree.
    #[param(value_type = Option<i64>)]
    pub org: Option<String>,
    /// Only this kind.
    pub kind: Option<String>,
    /// Text in the notes, place or cadres (two Chinese characters are enough).
    pub q: Option<String>,
    /// Held on or after (YYYY-MM-DD).
    pub from: Option<String>,
    /// Held on or before (YYYY-MM-DD).
    pub to: Option<String>,
    /// 1-based page of 30.
    #[param(value_type = Option<i64>)]
    pub page: Option<String>,
}

impl ListParams {
    fn parse(&self) -> AppResult<(ActivityFilter, i64)> {
        let mut errs = Errors::default();
        let id = |errs: &mut Errors, field: &str, v: &Option<String>| {
            errs.take(form::optional_int(field, v, 1, i64::MAX))
                .flatten()
        };
        let campaign = id(&mut errs, "campaign", &self.campaign).map(CampaignId);
        let org = id(&mut errs, "org", &self.org).map(OrgId);
        let kind = match form::opt(&self.kind) {
            None => None,
            Some(k) => {
                let p = ActivityKind::parse(&k);
                if p.is_none() {
                    errs.push(FieldError::new("kind", "err-activity-kind"));
                }
                p
            }
        };
        let from = errs.take(Day::parse_opt("from", &self.from)).flatten();
        let to = errs.take(Day::parse_opt("to", &self.to)).flatten();
        let page = errs
            .take(form::optional_int("page", &self.page, 1, 1_000_000))
            .flatten()
            .unwrap_or(1);
        errs.finish()?;
        Ok((
            ActivityFilter {
                campaign,
                work_group: None,
                org,
                kind,
                enterprise: None,
                q: form::opt(&self.q),
                from,
                to,
            },
            page,
        ))
    }

    fn query(&self) -> String {
        [
            ("campaign", &self.campaign),
            ("org", &self.org),
            ("kind", &self.kind),
            ("q", &self.q),
            ("from", &self.from),
            ("to", &self.to),
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
) -> AppResult<(Vec<Activity>, i64, i64)> {
    let scope = caller.scope(Need::Read);
    let (filter, page) = p.parse()?;
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
    Ok((items, total, page))
}

#[derive(Template)]
#[template(path = "activity/list.html")]
struct ListPage {
    c: Chrome,
    items: Vec<Activity>,
    total: i64,
    page: i64,
    pages: i64,
    p: ListParams,
    kinds: Vec<ActivityKind>,
    campaigns: Vec<CampaignChoice>,
    query: String,
}

impl ListPage {
    fn sel(&self, v: &Option<String>, want: &str) -> bool {
        v.as_deref().map(str::trim) == Some(want)
    }

    fn pager(&self, page: i64) -> String {
        if self.query.is_empty() {
            format!("/activities?page={page}")
        } else {
            format!("/activities?page={page}&{}", self.query)
        }
    }
}

async fn list_page(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ListParams>,
) -> AppResult<Response> {
    let (items, total, page) = filtered(&state, &caller, &p).await?;
    let query = p.query();
    render(ListPage {
        c: Chrome::for_caller(&caller, &format!("/activities?{query}")),
        pages: (total + PAGE_SIZE - 1) / PAGE_SIZE,
        items,
        total,
        page,
        kinds: ActivityKind::ALL.to_vec(),
        campaigns: store::campaign_choices(&state.db, &caller.scope(Need::Read)).await?,
        p,
        query,
    })
}

/// A page of activities.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ActivityPage {
    pub items: Vec<Activity>,
    pub total: i64,
    pub page: i64,
    pub page_size: i64,
}

/// List the activities in the caller's scope.
#[utoipa::path(get, path = "/api/v1/activities", tag = "activities", params(ListParams),
    responses((status = 200, body = ActivityPage), (status = 422, body = crate::web::errors::ErrorBody)),
    security(("bearer" = [])))]
async fn api_list(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ListParams>,
) -> AppResult<Json<ActivityPage>> {
    let (items, total, page) = filtered(&state, &caller, &p).await?;
    Ok(Json(ActivityPage {
        items,
        total,
        page,
        page_size: PAGE_SIZE,
    }))
}

// ---- recording ----

/// The outcome of a save: the activity, and whether this request created it
/// (false when a retry found the first save).
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ActivityRecorded)]
pub struct Recorded {
    pub id: ActivityId,
    pub created: bool,
    pub problems: Vec<crate::db::ProblemId>,
}

/// Records an activity and its problems in one transaction. A second save with
/// the same client id returns the first record, whatever its body says.
pub async fn record(state: &AppState, caller: &Caller, f: &ActivityFields) -> AppResult<Recorded> {
    let db = &state.db;
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
                    format!("p{}.enterprise_id", i + 1),
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

    let mut tx = db.begin().await?;
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
    tx.commit().await?;
    Ok(Recorded {
        id,
        created: true,
        problems,
    })
}

/// Record an activity with the problems heard. Send a fresh `client_id` with
/// each new activity and the same one when retrying: a retry answers 200 with
/// the first record instead of creating a second.
#[utoipa::path(post, path = "/api/v1/activities", tag = "activities", request_body = ActivityInput,
    responses((status = 201, body = Recorded), (status = 200, description = "a retry: the first record", body = Recorded),
        (status = 422, body = crate::web::errors::ErrorBody), (status = 403)),
    security(("bearer" = [])))]
async fn api_create(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<ActivityInput>,
) -> AppResult<Response> {
    let f = input.parse(Day::today())?;
    let r = record(&state, &caller, &f).await?;
    let status = if r.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(r)).into_response())
}

/// One activity with its problems.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ActivityDetail {
    #[serde(flatten)]
    pub activity: Activity,
    pub problems: Vec<Problem>,
    /// A symposium without frontline workers (the notice asks for breadth).
    pub lacks_frontline: bool,
}

/// One activity in the caller's scope, with its problems (contacts masked).
#[utoipa::path(get, path = "/api/v1/activities/{id}", tag = "activities",
    params(("id" = i64, Path)), responses((status = 200, body = Object), (status = 404)),
    security(("bearer" = [])))]
async fn api_get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ActivityId>,
) -> AppResult<Json<ActivityDetail>> {
    let (activity, problems) = load(&state, &caller, id).await?;
    Ok(Json(ActivityDetail {
        lacks_frontline: activity.lacks_frontline(),
        activity,
        problems,
    }))
}

async fn load(
    state: &AppState,
    caller: &Caller,
    id: ActivityId,
) -> AppResult<(Activity, Vec<Problem>)> {
    let scope = caller.scope(Need::Read);
    let a = store::get(&state.db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let problems = problem::store::of_activity(&state.db, &scope, id)
        .await?
        .into_iter()
        .map(Problem::masked)
        .collect();
    Ok((a, problems))
}

// ---- pages ----

/// How many problem blocks the form offers before the script adds more.
const PROBLEM_BLOCKS: usize = 3;

#[derive(Template)]
#[template(path = "activity/form.html")]
struct FormPage {
    c: Chrome,
    input: ActivityInput,
    errors: Vec<(String, String)>,
    kinds: Vec<ActivityKind>,
    campaigns: Vec<CampaignChoice>,
    work_groups: Vec<crate::stationing::store::GroupChoice>,
    enterprises: Vec<EnterpriseRef>,
    sources: Vec<Source>,
    topics: Vec<Topic>,
    groups: Vec<WorkerGroup>,
    composition: Vec<&'static str>,
    today: String,
}

impl FormPage {
    fn value<'a>(&self, v: &'a Option<String>) -> &'a str {
        v.as_deref().unwrap_or("")
    }

    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    fn field(&self, name: &str) -> &str {
        let i = &self.input;
        let v = match name {
            "frontline_workers" => &i.frontline_workers,
            "women_workers" => &i.women_workers,
            "migrant_workers" => &i.migrant_workers,
            "new_form_workers" => &i.new_form_workers,
            "enterprise_side" => &i.enterprise_side,
            _ => &i.union_cadres,
        };
        v.as_deref().unwrap_or("")
    }

    fn problem(&self, n: &usize) -> ProblemInput {
        self.input.problems.get(*n).cloned().unwrap_or_default()
    }

    fn perr(&self, n: &usize, field: &str) -> Option<&str> {
        self.error(&format!("p{}.{field}", n + 1))
    }

    fn blocks(&self) -> Vec<usize> {
        (0..self.input.problems.len().max(PROBLEM_BLOCKS)).collect()
    }

    fn is_kind(&self, k: &ActivityKind) -> bool {
        self.input.kind.as_deref() == Some(k.as_str())
    }

    fn is_campaign(&self, id: &CampaignId) -> bool {
        self.input.campaign_id.as_deref() == Some(id.to_string().as_str())
    }

    fn is_group(&self, id: &crate::db::WorkGroupId) -> bool {
        self.input.work_group_id.as_deref() == Some(id.to_string().as_str())
    }

    /// The union-flag rows of the form (`templates/formation/_activity_flags.html`).
    fn union_flags(&self) -> Vec<(usize, crate::formation::UnionFlagInput)> {
        (0..self.input.union_flags.len().max(2))
            .map(|i| {
                (
                    i + 1,
                    self.input.union_flags.get(i).cloned().unwrap_or_default(),
                )
            })
            .collect()
    }
}

#[derive(Deserialize, Default)]
struct NewParams {
    kind: Option<String>,
    campaign: Option<String>,
    enterprise: Option<String>,
    /// A stationing work group to record for (with its programme as `campaign`).
    group: Option<String>,
}

/// The campaigns the form offers and the work groups the caller records for:
/// a stationing programme is offered only to those who record for one of its
/// groups (its activities are the groups').
async fn recordable(
    state: &AppState,
    caller: &Caller,
) -> AppResult<(
    Vec<CampaignChoice>,
    Vec<crate::stationing::store::GroupChoice>,
)> {
    let mut campaigns = store::campaign_choices(&state.db, &caller.scope(Need::Read)).await?;
    let groups = crate::stationing::store::choices(&state.db, &caller.scope(Need::Write)).await?;
    campaigns.retain(|c| c.kind != "stationing" || groups.iter().any(|g| g.campaign_id == c.id));
    Ok((campaigns, groups))
}

async fn form_page(
    state: &AppState,
    caller: &Caller,
    input: ActivityInput,
    errors: Vec<(String, String)>,
) -> AppResult<FormPage> {
    let (campaigns, work_groups) = recordable(state, caller).await?;
    Ok(FormPage {
        c: Chrome::for_caller(caller, "/activities/new"),
        input,
        errors,
        kinds: ActivityKind::ALL.to_vec(),
        campaigns,
        work_groups,
        enterprises: store::enterprise_choices(&state.db, &caller.scope(Need::Write), 2000).await?,
        sources: Source::ALL.to_vec(),
        topics: problem::store::topics(&state.db).await?,
        groups: WorkerGroup::ALL.to_vec(),
        composition: Composition::FIELDS.to_vec(),
        today: Day::today().iso(),
    })
}

async fn new_page(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<NewParams>,
) -> AppResult<Response> {
    caller.require(Need::Write)?;
    let (campaigns, _) = recordable(&state, &caller).await?;
    let input = ActivityInput {
        // A fresh id per form: every retry of this form's submission carries it.
        client_id: Some(random_token(12)),
        kind: Some(q.kind.unwrap_or_else(|| "enterprise_visit".into())),
        campaign_id: q
            .campaign
            .or_else(|| campaigns.first().map(|c| c.id.to_string())),
        enterprises: q.enterprise,
        work_group_id: q.group,
        held_on: Some(Day::today().iso()),
        cadres: Some(caller.display_name.clone()),
        ..Default::default()
    };
    render(form_page(&state, &caller, input, Vec::new()).await?)
}

/// Reads the submitted form: activity fields by name, problem blocks as
/// `p1.source`, `p1.description`, …, enterprises as repeated `enterprises`.
fn form_input(raw: Vec<(String, String)>) -> ActivityInput {
    let mut a = ActivityInput::default();
    let mut enterprises: Vec<String> = Vec::new();
    for (k, v) in raw {
        if let Some(rest) = k.strip_prefix('p')
            && let Some((n, field)) = rest.split_once('.')
            && let Ok(n) = n.parse::<usize>()
            && (1..=20).contains(&n)
        {
            if a.problems.len() < n {
                a.problems.resize(n, ProblemInput::default());
            }
            let p = &mut a.problems[n - 1];
            let slot = match field {
                "source" => &mut p.source,
                "topic" => &mut p.topic,
                "worker_group" => &mut p.worker_group,
                "description" => &mut p.description,
                "raiser_name" => &mut p.raiser_name,
                "raiser_contact" => &mut p.raiser_contact,
                "is_main" => &mut p.is_main,
                _ => continue,
            };
            *slot = Some(v);
            continue;
        }
        if let Some(rest) = k.strip_prefix("uf")
            && let Some((n, field)) = rest.split_once('.')
            && let Ok(n) = n.parse::<usize>()
            && (1..=10).contains(&n)
        {
            if a.union_flags.len() < n {
                a.union_flags
                    .resize(n, crate::formation::UnionFlagInput::default());
            }
            let f = &mut a.union_flags[n - 1];
            match field {
                "enterprise" => f.enterprise = Some(v),
                "wish" => f.wish = Some(v),
                _ => {}
            }
            continue;
        }
        let slot = match k.as_str() {
            "client_id" => &mut a.client_id,
            "campaign_id" => &mut a.campaign_id,
            "work_group_id" => &mut a.work_group_id,
            "org_code" => &mut a.org_code,
            "kind" => &mut a.kind,
            "held_on" => &mut a.held_on,
            "place" => &mut a.place,
            "enterprises" => {
                if !v.trim().is_empty() {
                    enterprises.push(v);
                }
                continue;
            }
            "new_enterprise_name" => &mut a.new_enterprise_name,
            "new_enterprise_credit_code" => &mut a.new_enterprise_credit_code,
            "cadres" => &mut a.cadres,
            "others" => &mut a.others,
            "workers_interviewed" => &mut a.workers_interviewed,
            "participants" => &mut a.participants,
            "frontline_workers" => &mut a.frontline_workers,
            "women_workers" => &mut a.women_workers,
            "migrant_workers" => &mut a.migrant_workers,
            "new_form_workers" => &mut a.new_form_workers,
            "enterprise_side" => &mut a.enterprise_side,
            "union_cadres" => &mut a.union_cadres,
            "notes" => &mut a.notes,
            _ => continue,
        };
        *slot = Some(v);
    }
    if !enterprises.is_empty() {
        a.enterprises = Some(enterprises.join(","));
    }
    a
}

async fn create_page(
    State(state): State<AppState>,
    caller: Caller,
    Form(raw): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let input = form_input(raw);
    let result = match input.parse(Day::today()) {
        Ok(f) => record(&state, &caller, &f).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(r) => Ok(Redirect::to(&format!(
            "/activities/{}?saved={}",
            r.id,
            input.client_id.as_deref().unwrap_or("")
        ))
        .into_response()),
        Err(AppError::Validation(fs)) => {
            let errors = fs
                .iter()
                .map(|f| (f.field.clone(), f.message(caller.lang)))
                .collect();
            let page = form_page(&state, &caller, input, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(page)?).into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "activity/detail.html")]
struct DetailPage {
    c: Chrome,
    a: Activity,
    problems: Vec<Problem>,
    saved: Option<String>,
    panel: crate::attachment::pages::Panel,
    /// The service records of a service activity (办实事).
    services: Vec<crate::service::Service>,
}

#[derive(Deserialize, Default)]
struct DetailParams {
    saved: Option<String>,
}

async fn detail_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ActivityId>,
    Query(q): Query<DetailParams>,
) -> AppResult<Response> {
    let (a, problems) = load(&state, &caller, id).await?;
    let owner = crate::attachment::Owner::of(crate::attachment::OwnerKind::Activity, id.0);
    let panel = crate::attachment::pages::panel(&state, &caller, Some(owner)).await?;
    let services =
        crate::service::store::of_activity(&state.db, &caller.scope(Need::Read), id).await?;
    render(DetailPage {
        panel,
        services,
        c: Chrome::for_caller(&caller, &format!("/activities/{id}")),
        // Only this activity's own client id clears the phone's draft.
        saved: q.saved.filter(|s| *s == a.client_id),
        a,
        problems,
    })
}

// ---- exports ----

async fn export(
    state: AppState,
    caller: Caller,
    p: ListParams,
    format: tabular::Format,
) -> AppResult<Response> {
    let scope = caller.require(Need::Read)?;
    let (filter, _) = p.parse()?;
    if let Some(org) = filter.org {
        crate::org::store::get(&state.db, &scope, org)
            .await?
            .ok_or(AppError::NotFound)?;
    }
    let (items, _) = store::list(&state.db, &scope, &filter, 200_000, 0).await?;
    let lang = caller.lang;
    let t = |k: &str| lang.t(k);
    let col = |k: &str, width: f64| Header {
        title: t(k),
        width,
        text: false,
    };
    let mut heads = vec![
        col("field-held_on", 12.0),
        col("field-kind", 14.0),
        col("field-org", 24.0),
        col("field-campaign_id", 24.0),
        col("field-enterprises", 36.0),
        col("field-workers_interviewed", 10.0),
        col("field-participants", 10.0),
    ];
    heads.extend(
        Composition::FIELDS
            .iter()
            .map(|f| col(&format!("field-{f}"), 10.0)),
    );
    heads.extend([
        col("field-place", 20.0),
        col("field-cadres", 20.0),
        col("field-notes", 50.0),
        col("act-problems", 10.0),
    ]);
    let rows: Vec<Vec<Cell>> = items
        .iter()
        .map(|a| {
            let mut row = vec![
                Cell::Text(a.held_on.iso()),
                Cell::Text(t(&a.kind.label_key())),
                Cell::Text(a.org_name.clone()),
                Cell::opt(a.campaign_title.as_deref()),
                Cell::opt(Some(a.enterprise_names().as_str())),
                Cell::Int(a.workers_interviewed),
                Cell::Int(a.participants),
            ];
            row.extend(a.composition.values().into_iter().map(Cell::Int));
            row.extend([
                Cell::opt(a.place.as_deref()),
                Cell::opt(Some(a.cadres.as_str())),
                Cell::opt(a.notes.as_deref()),
                Cell::Int(a.problem_count),
            ]);
            row
        })
        .collect();
    crate::web::download::send_table(
        &state,
        &caller,
        "activities",
        format,
        (&t("nav-activities"), &heads, &rows),
        format!("{} rows", rows.len()),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_reads_problem_blocks_and_repeated_enterprises() {
        let raw = vec![
            ("client_id".into(), "abcdefgh12".into()),
            ("kind".into(), "enterprise_visit".into()),
            ("enterprises".into(), "3".into()),
            ("enterprises".into(), "".into()),
            ("enterprises".into(), "7".into()),
            ("p2.description".into(), "停车难".into()),
            ("p2.source".into(), "worker".into()),
            ("p1.description".into(), "".into()),
            ("p99.description".into(), "ignored".into()),
        ];
        let a = form_input(raw);
        assert_eq!(a.enterprises.as_deref(), Some("3,7"));
        assert_eq!(a.problems.len(), 2);
        assert!(a.problems[0].is_blank());
        assert_eq!(a.problems[1].description.as_deref(), Some("停车难"));
    }
}
