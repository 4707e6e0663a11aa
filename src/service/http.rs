//! Service pages (list with filters, the record form, detail) and the API
//! under `/api/v1/services`.

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
    Service, ServiceFields, ServiceInput, ServiceKind,
    store::{self, Figures, KindFigures, ServiceFilter},
};
use crate::{
    activity::{ActivityKind, store::CampaignChoice},
    audit::{self, Action as AuditAction, Entry},
    auth::{Caller, Need, random_token},
    date::Day,
    db::{ActivityId, CampaignId, OrgId},
    error::{AppError, AppResult, FieldError},
    formation::MemberGroup,
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
        .route("/services", get(list_page).post(create_page))
        .route("/services/new", get(new_page))
        .route("/services/{id}", get(detail_page))
        .route("/api/v1/services", get(api_list).post(api_create))
        .route("/api/v1/services/figures", get(api_figures))
        .route("/api/v1/services/{id}", get(api_get))
}

/// This module's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(api_list, api_create, api_get, api_figures),
    components(schemas(Service, ServiceInput, ServiceKind, ServicePage, Saved, Figures, KindFigures)),
    tags((name = "services", description = "Services (办实事): practical things done for workers"))
)]
pub struct ApiDoc;

const PAGE_SIZE: i64 = 30;

/// Query of the list page and the list API.
#[derive(Deserialize, Default, Debug, Clone, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    #[param(value_type = Option<i64>)]
    pub campaign: Option<String>,
    /// Done by an org in this org's subtree.
    #[param(value_type = Option<i64>)]
    pub org: Option<String>,
    /// hardship, competition, culture, legal_aid, condolence or other.
    pub kind: Option<String>,
    /// On or after (YYYY-MM-DD).
    pub from: Option<String>,
    /// On or before (YYYY-MM-DD).
    pub to: Option<String>,
    #[param(value_type = Option<i64>)]
    pub page: Option<String>,
}

impl ListParams {
    fn parse(&self) -> AppResult<(ServiceFilter, i64)> {
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
                let p = ServiceKind::parse(&k);
                if p.is_none() {
                    errs.push(FieldError::new("kind", "err-svc-kind"));
                }
                p
            }
        };
        let from = errs.take(Day::parse_opt("from", &self.from)).flatten();
        let to = errs.take(Day::parse_opt("to", &self.to)).flatten();
        let page = id(&mut errs, "page", &self.page).unwrap_or(1);
        errs.finish()?;
        Ok((
            ServiceFilter {
                campaign,
                org,
                kind,
                activity: None,
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
            ("from", &self.from),
            ("to", &self.to),
        ]
        .iter()
        .filter_map(|(k, v)| form::opt(v).map(|v| format!("{k}={}", urlencode(&v))))
        .collect::<Vec<_>>()
        .join("&")
    }
}

/// A page of services with the figures of everything that matches.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ServicePage {
    pub items: Vec<Service>,
    pub total: i64,
    pub page: i64,
    pub page_size: i64,
}

async fn filtered(
    state: &AppState,
    caller: &Caller,
    p: &ListParams,
) -> AppResult<(ServicePage, ServiceFilter)> {
    let scope = caller.require(Need::Read)?;
    let (f, page) = p.parse()?;
    if let Some(org) = f.org {
        crate::org::store::get(&state.db, &scope, org)
            .await?
            .ok_or(AppError::NotFound)?;
    }
    let (items, total) =
        store::list(&state.db, &scope, &f, PAGE_SIZE, (page - 1) * PAGE_SIZE).await?;
    Ok((
        ServicePage {
            items,
            total,
            page,
            page_size: PAGE_SIZE,
        },
        f,
    ))
}

/// Services in the caller's scope, latest first.
#[utoipa::path(get, path = "/api/v1/services", tag = "services", params(ListParams),
    responses((status = 200, body = ServicePage), (status = 422, body = crate::web::errors::ErrorBody)),
    security(("bearer" = [])))]
async fn api_list(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ListParams>,
) -> AppResult<Json<ServicePage>> {
    Ok(Json(filtered(&state, &caller, &p).await?.0))
}

/// One service.
#[utoipa::path(get, path = "/api/v1/services/{id}", tag = "services", params(("id" = i64, Path)),
    responses((status = 200, body = Service), (status = 404)), security(("bearer" = [])))]
async fn api_get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> AppResult<Json<Service>> {
    Ok(Json(
        store::get(&state.db, &caller.scope(Need::Read), id)
            .await?
            .ok_or(AppError::NotFound)?,
    ))
}

/// Query of the figures API.
#[derive(Deserialize, Default, Debug, Clone, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FigureParams {
    #[param(value_type = Option<i64>)]
    pub campaign: Option<String>,
    /// Only services of this org's subtree.
    #[param(value_type = Option<i64>)]
    pub org: Option<String>,
}

/// Service figures over the caller's scope: count, workers benefited, amount
/// (fen), by kind, and per month of the service date.
#[utoipa::path(get, path = "/api/v1/services/figures", tag = "services", params(FigureParams),
    responses((status = 200, body = Figures), (status = 404)), security(("bearer" = [])))]
async fn api_figures(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<FigureParams>,
) -> AppResult<Json<Figures>> {
    let scope = caller.require(Need::Read)?;
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
    if let Some(o) = org {
        crate::org::store::get(&state.db, &scope, o)
            .await?
            .ok_or(AppError::NotFound)?;
    }
    Ok(Json(
        store::figures(&state.db, &scope, campaign, org).await?,
    ))
}

/// The outcome of a save.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Saved {
    pub id: i64,
    /// False when a retry found the first record.
    pub created: bool,
}

/// Records a service in one transaction; a retry returns the first record.
async fn record(state: &AppState, caller: &Caller, f: &ServiceFields) -> AppResult<Saved> {
    let org = caller
        .recording_org(&state.db, f.org_code.as_deref())
        .await?;
    let db = &state.db;
    let mut errs = Errors::default();
    if let Some(c) = f.campaign
        && !crate::activity::store::campaign_open_to(db, c, org).await?
    {
        errs.push(FieldError::new("campaign_id", "err-campaign-not-open"));
    }
    if let Some(a) = f.activity {
        match crate::activity::store::get(db, &caller.scope(Need::Write), a).await? {
            Some(act) if act.kind == ActivityKind::Service => {}
            Some(_) => errs.push(FieldError::new("activity_id", "err-svc-activity-kind")),
            None => errs.push(FieldError::new("activity_id", "err-svc-activity").arg("value", a)),
        }
    }
    errs.finish()?;
    let mut tx = db.begin().await?;
    let (id, created) = store::insert(&mut tx, org, f, caller.user_id).await?;
    if created {
        let entry = Entry::by(caller, org, AuditAction::ServiceRecorded)
            .target(format!("service:{id}"))
            .detail(format!("{} {}", f.kind, f.amount_fen));
        audit::store::record(&mut *tx, &entry).await?;
    }
    tx.commit().await?;
    Ok(Saved { id, created })
}

/// Record a service. Send a fresh `client_id` with each new record and the
/// same one when retrying: a retry answers 200 with the first record.
#[utoipa::path(post, path = "/api/v1/services", tag = "services", request_body = ServiceInput,
    responses((status = 201, body = Saved), (status = 200, description = "a retry", body = Saved),
        (status = 422, body = crate::web::errors::ErrorBody), (status = 403)),
    security(("bearer" = [])))]
async fn api_create(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<ServiceInput>,
) -> AppResult<Response> {
    caller.require(Need::Write)?;
    let f = input.parse(Day::today())?;
    let r = record(&state, &caller, &f).await?;
    let status = if r.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(r)).into_response())
}

// ---- pages ----

#[derive(Template)]
#[template(path = "service/list.html")]
struct ListPage {
    c: Chrome,
    d: ServicePage,
    fig: Figures,
    p: ListParams,
    kinds: Vec<ServiceKind>,
    campaigns: Vec<CampaignChoice>,
    pages: i64,
    query: String,
}

impl ListPage {
    fn sel(&self, v: &Option<String>, want: &str) -> bool {
        v.as_deref().map(str::trim) == Some(want)
    }

    fn pager(&self, page: i64) -> String {
        format!("/services?page={page}&{}", self.query)
    }
}

async fn list_page(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ListParams>,
) -> AppResult<Response> {
    let (d, f) = filtered(&state, &caller, &p).await?;
    let scope = caller.scope(Need::Read);
    // The figures of what the filter shows, kind aside (the table is by kind).
    let fig = store::figures(&state.db, &scope, f.campaign, f.org).await?;
    let query = p.query();
    render(ListPage {
        c: Chrome::for_caller(&caller, &format!("/services?{query}")),
        pages: (d.total + PAGE_SIZE - 1) / PAGE_SIZE,
        d,
        fig,
        kinds: ServiceKind::ALL.to_vec(),
        campaigns: crate::activity::store::campaign_choices(&state.db, &scope).await?,
        p,
        query,
    })
}

#[derive(Template)]
#[template(path = "service/form.html")]
struct FormPage {
    c: Chrome,
    input: ServiceInput,
    errors: Vec<(String, String)>,
    kinds: Vec<ServiceKind>,
    groups: Vec<MemberGroup>,
    campaigns: Vec<CampaignChoice>,
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
}

#[derive(Deserialize, Default)]
struct NewParams {
    activity: Option<String>,
    campaign: Option<String>,
}

async fn form_render(
    state: &AppState,
    caller: &Caller,
    input: ServiceInput,
    errors: Vec<(String, String)>,
) -> AppResult<FormPage> {
    Ok(FormPage {
        c: Chrome::for_caller(caller, "/services/new"),
        input,
        errors,
        kinds: ServiceKind::ALL.to_vec(),
        groups: MemberGroup::ALL.to_vec(),
        campaigns: crate::activity::store::campaign_choices(&state.db, &caller.scope(Need::Read))
            .await?,
        today: Day::today().iso(),
    })
}

async fn new_page(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<NewParams>,
) -> AppResult<Response> {
    caller.require(Need::Write)?;
    let campaigns =
        crate::activity::store::campaign_choices(&state.db, &caller.scope(Need::Read)).await?;
    // From a service activity: its campaign, date and cadres.
    let activity = match form::opt(&q.activity).and_then(|a| a.parse::<i64>().ok()) {
        Some(a) => {
            crate::activity::store::get(&state.db, &caller.scope(Need::Read), ActivityId(a)).await?
        }
        None => None,
    };
    let input = ServiceInput {
        client_id: Some(random_token(12)),
        service_kind: Some("hardship".into()),
        served_on: Some(
            activity
                .as_ref()
                .map_or_else(Day::today, |a| a.held_on)
                .iso(),
        ),
        cadres: Some(
            activity
                .as_ref()
                .map_or_else(|| caller.display_name.clone(), |a| a.cadres.clone()),
        ),
        activity_id: activity.as_ref().map(|a| a.id.to_string()),
        campaign_id: activity
            .as_ref()
            .and_then(|a| a.campaign_id)
            .map(|c| c.to_string())
            .or(q.campaign)
            .or_else(|| campaigns.first().map(|c| c.id.to_string())),
        ..Default::default()
    };
    render(form_render(&state, &caller, input, Vec::new()).await?)
}

async fn create_page(
    State(state): State<AppState>,
    caller: Caller,
    Form(input): Form<ServiceInput>,
) -> AppResult<Response> {
    caller.require(Need::Write)?;
    let result = match input.parse(Day::today()) {
        Ok(f) => record(&state, &caller, &f).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(r) => Ok(Redirect::to(&format!("/services/{}", r.id)).into_response()),
        Err(e) => match form::errors_of(&e, &caller) {
            Some(errors) => {
                let page = form_render(&state, &caller, input, errors).await?;
                Ok((StatusCode::UNPROCESSABLE_ENTITY, render(page)?).into_response())
            }
            None => Err(e),
        },
    }
}

#[derive(Template)]
#[template(path = "service/detail.html")]
struct DetailPage {
    c: Chrome,
    s: Service,
}

async fn detail_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let s = store::get(&state.db, &caller.scope(Need::Read), id)
        .await?
        .ok_or(AppError::NotFound)?;
    render(DetailPage {
        c: Chrome::for_caller(&caller, &format!("/services/{id}")),
        s,
    })
}

/// The services of an activity, for its page (`templates/service/_activity.html`).
pub async fn of_activity(
    state: &AppState,
    caller: &Caller,
    activity: ActivityId,
) -> AppResult<Vec<Service>> {
    Ok(store::of_activity(&state.db, &caller.scope(Need::Read), activity).await?)
}
