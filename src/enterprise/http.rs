//! Enterprise pages and API.

use askama::Template;
use axum::{
    Form, Json, Router,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
    routing::get,
};
use serde::Deserialize;
use utoipa::OpenApi;

use super::{
    Enterprise, EnterpriseInput, WorkerGroup, resolve_orgs,
    store::{self, EnterpriseFilter},
};
use crate::{
    audit::{self, Action, Entry},
    auth::{Caller, Need},
    db::{EnterpriseId, OrgId},
    error::{AppError, AppResult},
    web::{
        AppState,
        page::{Chrome, render},
    },
};

/// The routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/enterprises", get(list_page).post(create_page))
        .route("/enterprises/new", get(new_page))
        .route("/enterprises/{id}", get(detail_page))
        .route("/enterprises/{id}/edit", get(edit_page).post(update_page))
        .route("/api/v1/enterprises", get(api_list).post(api_create))
        .route("/api/v1/enterprises/{id}", get(api_get).patch(api_update))
}

/// This module's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(api_list, api_get, api_create, api_update), tags((name = "enterprises", description = "Enterprises and their credit codes")))]
pub struct ApiDoc;

/// Query of the list page and the list API.
#[derive(Deserialize, Default, utoipa::IntoParams)]
pub struct ListParams {
    /// Part of the name (two characters are enough) or the start of the credit code.
    pub q: Option<String>,
    /// Only enterprises in this org's subtree.
    pub org: Option<OrgId>,
    /// `yes` or `no`.
    pub union: Option<String>,
    /// `yes` or `no`.
    pub new_forms: Option<String>,
    /// truck_driver, ride_hailing, courier, food_delivery or other.
    pub group: Option<String>,
    pub industry: Option<String>,
    pub page: Option<i64>,
}

const PAGE_SIZE: i64 = 50;

fn yes_no(s: &Option<String>) -> Option<bool> {
    match s.as_deref() {
        Some("yes") => Some(true),
        Some("no") => Some(false),
        _ => None,
    }
}

async fn filtered(
    state: &AppState,
    caller: &Caller,
    p: &ListParams,
) -> AppResult<(Vec<Enterprise>, i64)> {
    let scope = caller.scope(Need::Read);
    if let Some(org) = p.org {
        crate::org::store::get(&state.db, &scope, org)
            .await?
            .ok_or(AppError::NotFound)?;
    }
    let filter = EnterpriseFilter {
        q: p.q.clone(),
        org: p.org,
        union: yes_no(&p.union),
        new_forms: yes_no(&p.new_forms),
        group: p.group.as_deref().and_then(WorkerGroup::parse),
        industry: p.industry.clone(),
    };
    let page = p.page.unwrap_or(1).max(1);
    let (items, total) = store::list(
        &state.db,
        &scope,
        &filter,
        PAGE_SIZE,
        (page - 1) * PAGE_SIZE,
    )
    .await?;
    // Lists always mask: an unmasked number is shown one record at a time, audited.
    Ok((items.into_iter().map(Enterprise::masked).collect(), total))
}

#[derive(Template)]
#[template(path = "enterprise/list.html")]
struct ListPage {
    c: Chrome,
    items: Vec<Enterprise>,
    total: i64,
    page: i64,
    pages: i64,
    p: ListParams,
    groups: Vec<WorkerGroup>,
    industries: Vec<String>,
    query: String,
}

impl ListPage {
    fn sel(&self, v: &Option<String>, want: &str) -> bool {
        v.as_deref() == Some(want)
    }
}

async fn list_page(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ListParams>,
) -> AppResult<Response> {
    let (items, total) = filtered(&state, &caller, &p).await?;
    let page = p.page.unwrap_or(1).max(1);
    let enc = crate::web::errors::urlencode;
    let query = format!(
        "q={}&org={}&union={}&new_forms={}&group={}&industry={}",
        enc(p.q.as_deref().unwrap_or("")),
        p.org.map(|o| o.to_string()).unwrap_or_default(),
        enc(p.union.as_deref().unwrap_or("")),
        enc(p.new_forms.as_deref().unwrap_or("")),
        enc(p.group.as_deref().unwrap_or("")),
        enc(p.industry.as_deref().unwrap_or(""))
    );
    render(ListPage {
        c: Chrome::for_caller(&caller, "/enterprises"),
        items,
        total,
        page,
        pages: (total + PAGE_SIZE - 1) / PAGE_SIZE,
        groups: WorkerGroup::ALL.to_vec(),
        industries: store::industries(&state.db, &caller.scope(Need::Read)).await?,
        p,
        query,
    })
}

/// One enterprise for the caller: the phone unmasked (and audited) only for cadres and admins over it.
async fn shown(
    state: &AppState,
    caller: &Caller,
    id: EnterpriseId,
) -> AppResult<(Enterprise, bool)> {
    let e = store::get(&state.db, &caller.scope(Need::Read), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let can_write = caller
        .scope(Need::Write)
        .contains(&state.db, e.org_id)
        .await?;
    if !can_write {
        return Ok((e.masked(), false));
    }
    if e.contact_phone.is_some() {
        let entry = Entry::by(caller, e.org_id, Action::PersonalDataViewed)
            .target(format!("enterprise:{id}"));
        audit::store::record(state.db.pool(), &entry).await?;
    }
    Ok((e, true))
}

#[derive(Template)]
#[template(path = "enterprise/detail.html")]
struct DetailPage {
    c: Chrome,
    e: Enterprise,
    can_write: bool,
}

async fn detail_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<EnterpriseId>,
) -> AppResult<Response> {
    let (e, can_write) = shown(&state, &caller, id).await?;
    render(DetailPage {
        c: Chrome::for_caller(&caller, &format!("/enterprises/{id}")),
        e,
        can_write,
    })
}

#[derive(Template)]
#[template(path = "enterprise/form.html")]
struct FormPage {
    c: Chrome,
    id: Option<EnterpriseId>,
    input: EnterpriseInput,
    groups: Vec<WorkerGroup>,
    errors: Vec<(String, String)>,
}

impl FormPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    fn has_group(&self, g: &WorkerGroup) -> bool {
        super::parse_groups("g", self.input.new_form_groups.as_deref().unwrap_or(""))
            .map(|gs| gs.contains(g))
            .unwrap_or(false)
    }

    fn value(&self, name: &str) -> &str {
        let i = &self.input;
        let v = match name {
            "name" => &i.name,
            "credit_code" => &i.credit_code,
            "org_code" => &i.org_code,
            "industry" => &i.industry,
            "address" => &i.address,
            "employee_count" => &i.employee_count,
            "union_org_code" => &i.union_org_code,
            "contact_person" => &i.contact_person,
            "contact_phone" => &i.contact_phone,
            _ => &None,
        };
        v.as_deref().unwrap_or("")
    }

    fn union_checked(&self) -> bool {
        crate::web::form::flag(&self.input.has_union).unwrap_or(false)
    }
}

/// HTML forms send one `new_form_groups` value per ticked box.
#[derive(Deserialize, Default)]
struct FormBody {
    #[serde(flatten)]
    input: EnterpriseInput,
}

fn form_input(raw: Vec<(String, String)>) -> EnterpriseInput {
    let mut groups = Vec::new();
    let mut pairs = Vec::new();
    for (k, v) in raw {
        if k == "new_form_groups" {
            groups.push(v);
        } else {
            pairs.push((k, v));
        }
    }
    let mut input: EnterpriseInput = serde_urlencoded_pairs(pairs);
    input.new_form_groups = Some(groups.join(","));
    input
}

fn serde_urlencoded_pairs(pairs: Vec<(String, String)>) -> EnterpriseInput {
    let map: serde_json::Map<String, serde_json::Value> = pairs
        .into_iter()
        .map(|(k, v)| (k, serde_json::Value::String(v)))
        .collect();
    serde_json::from_value::<FormBody>(serde_json::Value::Object(map))
        .map(|b| b.input)
        .unwrap_or_default()
}

async fn new_page(caller: Caller) -> AppResult<Response> {
    caller.require(Need::Write)?;
    render(FormPage {
        c: Chrome::for_caller(&caller, "/enterprises/new"),
        id: None,
        input: EnterpriseInput::default(),
        groups: WorkerGroup::ALL.to_vec(),
        errors: Vec::new(),
    })
}

/// Creates an enterprise; shared by page and API.
async fn create(
    state: &AppState,
    caller: &Caller,
    input: &EnterpriseInput,
) -> AppResult<EnterpriseId> {
    let scope = caller.require(Need::Write)?;
    let f = input.parse()?;
    let (org, union) = resolve_orgs(&state.db, &scope, &f).await?;
    let mut tx = state.db.begin().await?;
    let id = store::insert(&mut tx, &f, org, union).await?;
    let e = Entry::by(caller, org, Action::EnterpriseCreated)
        .target(format!("enterprise:{id}"))
        .detail(&f.name);
    audit::store::record(&mut *tx, &e).await?;
    tx.commit().await?;
    Ok(id)
}

/// Edits an enterprise the caller may write; shared by page and API.
async fn update(
    state: &AppState,
    caller: &Caller,
    id: EnterpriseId,
    input: &EnterpriseInput,
) -> AppResult<()> {
    let scope = caller.scope(Need::Write);
    let current = store::get(&state.db, &caller.scope(Need::Read), id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !scope.contains(&state.db, current.org_id).await? {
        return Err(AppError::Forbidden);
    }
    let f = input.parse()?;
    let (org, union) = resolve_orgs(&state.db, &scope, &f).await?;
    let mut tx = state.db.begin().await?;
    store::update(&mut tx, id, &f, org, union).await?;
    let e = Entry::by(caller, org, Action::EnterpriseUpdated)
        .target(format!("enterprise:{id}"))
        .detail(&f.name);
    audit::store::record(&mut *tx, &e).await?;
    tx.commit().await?;
    Ok(())
}

fn errors_of(e: &AppError, caller: &Caller) -> Option<Vec<(String, String)>> {
    match e {
        AppError::Validation(fs) => Some(
            fs.iter()
                .map(|f| (f.field.clone(), f.message(caller.lang)))
                .collect(),
        ),
        _ => None,
    }
}

async fn create_page(
    State(state): State<AppState>,
    caller: Caller,
    Form(raw): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let input = form_input(raw);
    match create(&state, &caller, &input).await {
        Ok(id) => Ok(Redirect::to(&format!("/enterprises/{id}")).into_response()),
        Err(e) => {
            let Some(errors) = errors_of(&e, &caller) else {
                return Err(e);
            };
            let page = FormPage {
                c: Chrome::for_caller(&caller, "/enterprises/new"),
                id: None,
                input,
                groups: WorkerGroup::ALL.to_vec(),
                errors,
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
    }
}

async fn edit_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<EnterpriseId>,
) -> AppResult<Response> {
    let (e, can_write) = shown(&state, &caller, id).await?;
    if !can_write {
        return Err(AppError::Forbidden);
    }
    render(FormPage {
        c: Chrome::for_caller(&caller, &format!("/enterprises/{id}/edit")),
        id: Some(id),
        input: EnterpriseInput::from_enterprise(&e),
        groups: WorkerGroup::ALL.to_vec(),
        errors: Vec::new(),
    })
}

async fn update_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<EnterpriseId>,
    Form(raw): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let input = form_input(raw);
    match update(&state, &caller, id, &input).await {
        Ok(()) => Ok(Redirect::to(&format!("/enterprises/{id}")).into_response()),
        Err(e) => {
            let Some(errors) = errors_of(&e, &caller) else {
                return Err(e);
            };
            let page = FormPage {
                c: Chrome::for_caller(&caller, &format!("/enterprises/{id}/edit")),
                id: Some(id),
                input,
                groups: WorkerGroup::ALL.to_vec(),
                errors,
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
    }
}

/// A page of enterprises.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct EnterprisePage {
    pub items: Vec<Enterprise>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// Enterprises in the caller's scope (phones masked).
#[utoipa::path(get, path = "/api/v1/enterprises", tag = "enterprises", params(ListParams),
    responses((status = 200, body = EnterprisePage), (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_list(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ListParams>,
) -> AppResult<Json<EnterprisePage>> {
    let (items, total) = filtered(&state, &caller, &p).await?;
    Ok(Json(EnterprisePage {
        items,
        total,
        page: p.page.unwrap_or(1).max(1),
        per_page: PAGE_SIZE,
    }))
}

/// One enterprise.
#[utoipa::path(get, path = "/api/v1/enterprises/{id}", tag = "enterprises", params(("id" = i64, Path)),
    responses((status = 200, body = Enterprise), (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<EnterpriseId>,
) -> AppResult<Json<Enterprise>> {
    Ok(Json(shown(&state, &caller, id).await?.0))
}

/// Creates an enterprise in an org of the caller's write scope.
#[utoipa::path(post, path = "/api/v1/enterprises", tag = "enterprises", request_body = EnterpriseInput,
    responses((status = 201, body = Enterprise), (status = 422, body = crate::web::errors::ErrorBody), (status = 403, body = crate::web::errors::ErrorBody)))]
pub async fn api_create(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<EnterpriseInput>,
) -> AppResult<Response> {
    let id = create(&state, &caller, &input).await?;
    Ok((
        StatusCode::CREATED,
        Json(shown(&state, &caller, id).await?.0),
    )
        .into_response())
}

/// Changes the given fields of an enterprise.
#[utoipa::path(patch, path = "/api/v1/enterprises/{id}", tag = "enterprises", params(("id" = i64, Path)), request_body = EnterpriseInput,
    responses((status = 200, body = Enterprise), (status = 422, body = crate::web::errors::ErrorBody), (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<EnterpriseId>,
    Json(patch): Json<EnterpriseInput>,
) -> AppResult<Json<Enterprise>> {
    let current = store::get(&state.db, &caller.scope(Need::Read), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let base = EnterpriseInput::from_enterprise(&current);
    let merged = EnterpriseInput {
        name: patch.name.or(base.name),
        credit_code: patch.credit_code.or(base.credit_code),
        industry: patch.industry.or(base.industry),
        address: patch.address.or(base.address),
        employee_count: patch.employee_count.or(base.employee_count),
        new_form_groups: patch.new_form_groups.or(base.new_form_groups),
        has_union: patch.has_union.or(base.has_union),
        union_org_code: patch.union_org_code.or(base.union_org_code),
        org_code: patch.org_code.or(base.org_code),
        contact_person: patch.contact_person.or(base.contact_person),
        contact_phone: patch.contact_phone.or(base.contact_phone),
    };
    update(&state, &caller, id, &merged).await?;
    Ok(Json(shown(&state, &caller, id).await?.0))
}
