//! Enterprise pages (list with search and filters, detail, new and edit forms)
//! and the enterprise API under `/api/v1/enterprises`.

use crate::web::{Form, Json, Path, Query};
use askama::Template;
use axum::{
    Router,
    extract::State,
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
    routing::get,
};
use serde::Deserialize;
use utoipa::OpenApi;

use super::{
    Enterprise, EnterpriseInput, WorkerGroup, resolve_orgs,
    store::{self, EnterpriseCounts, EnterpriseFilter, OrgChoice},
};
use crate::{
    audit::{self, Action, Entry},
    auth::{Caller, Need},
    db::{EnterpriseId, OrgId},
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
        .route("/enterprises", get(list_page).post(create_page))
        .route("/enterprises/new", get(new_page))
        .route("/enterprises/{id}", get(detail_page))
        .route("/enterprises/{id}/edit", get(edit_page).post(update_page))
        .route("/api/v1/enterprises", get(api_list).post(api_create))
        .route("/api/v1/enterprises/{id}", get(api_get).patch(api_update))
}

/// This module's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(api_list, api_get, api_create, api_update),
    components(schemas(Enterprise, EnterpriseInput, EnterprisePage, EnterpriseCounts, WorkerGroup)),
    tags((name = "enterprises", description = "Enterprises and institutions that are visited, with their unified social credit codes"))
)]
pub struct ApiDoc;

/// Rows per page, in the list page and the list API.
const PAGE_SIZE: i64 = 50;
/// Pages beyond this are refused as nonsense rather than computed.
const MAX_PAGE: i64 = 1_000_000;

/// Query of the list page and the list API. Empty values do not filter.
#[derive(Deserialize, Default, Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Part of the name (two Chinese characters are enough) or the start of the credit code.
    pub q: Option<String>,
    /// Only enterprises in this org's subtree (an org id in the caller's scope).
    #[param(value_type = Option<i64>)]
    pub org: Option<String>,
    /// `yes`: with a union; `no`: without.
    pub union: Option<String>,
    /// `yes`: employing new-employment-form workers; `no`: not.
    pub new_forms: Option<String>,
    /// Employing this group: truck_driver, ride_hailing, courier, food_delivery or other
    /// (`any` and `none` mean new_forms=yes / no).
    pub group: Option<String>,
    /// Exactly this industry.
    pub industry: Option<String>,
    /// 1-based page of 50.
    #[param(value_type = Option<i64>)]
    pub page: Option<String>,
}

/// A yes/no filter: `None` when absent or empty.
fn yes_no(field: &str, s: &Option<String>, errs: &mut Errors) -> Option<bool> {
    form::opt(s)?;
    match form::flag(s) {
        Ok(b) => Some(b),
        Err(_) => {
            errs.push(FieldError::new(field, "err-flag"));
            None
        }
    }
}

impl ListParams {
    /// The filter and the page, every bad parameter reported.
    fn parse(&self) -> AppResult<(EnterpriseFilter, i64)> {
        let mut errs = Errors::default();
        let org = match form::opt(&self.org) {
            None => None,
            Some(o) => match o.parse::<i64>() {
                Ok(id) => Some(OrgId(id)),
                Err(_) => {
                    errs.push(FieldError::new("org", "err-not-a-number"));
                    None
                }
            },
        };
        let union = yes_no("union", &self.union, &mut errs);
        let mut new_forms = yes_no("new_forms", &self.new_forms, &mut errs);
        let group = match form::opt(&self.group).as_deref() {
            None => None,
            Some("any") => {
                new_forms = Some(true);
                None
            }
            Some("none") => {
                new_forms = Some(false);
                None
            }
            Some(g) => match WorkerGroup::parse(g) {
                Some(g) => Some(g),
                None => {
                    errs.push(FieldError::new("group", "err-group").arg("value", g));
                    None
                }
            },
        };
        let page = errs
            .take(form::optional_int("page", &self.page, 1, MAX_PAGE))
            .flatten()
            .unwrap_or(1);
        errs.finish()?;
        let filter = EnterpriseFilter {
            q: form::opt(&self.q),
            org,
            union,
            new_forms,
            group,
            industry: form::opt(&self.industry),
        };
        Ok((filter, page))
    }

    /// The query string that repeats these filters (for pager links), without `page`.
    fn query(&self) -> String {
        [
            ("q", &self.q),
            ("org", &self.org),
            ("union", &self.union),
            ("new_forms", &self.new_forms),
            ("group", &self.group),
            ("industry", &self.industry),
        ]
        .into_iter()
        .filter_map(|(k, v)| form::opt(v).map(|v| format!("{k}={}", urlencode(&v))))
        .collect::<Vec<_>>()
        .join("&")
    }
}

/// A page of enterprises in the caller's read scope, phones masked.
async fn filtered(
    state: &AppState,
    caller: &Caller,
    p: &ListParams,
) -> AppResult<(Vec<Enterprise>, EnterpriseCounts, i64)> {
    let scope = caller.scope(Need::Read);
    let (filter, page) = p.parse()?;
    if let Some(org) = filter.org {
        crate::org::store::get(&state.db, &scope, org)
            .await?
            .ok_or(AppError::NotFound)?;
    }
    let (items, counts) = store::list_with_counts(
        &state.db,
        &scope,
        &filter,
        PAGE_SIZE,
        (page - 1) * PAGE_SIZE,
    )
    .await?;
    // Lists always mask: an unmasked number is shown one record at a time, audited.
    Ok((
        items.into_iter().map(Enterprise::masked).collect(),
        counts,
        page,
    ))
}

#[derive(Template)]
#[template(path = "enterprise/list.html")]
struct ListPage {
    c: Chrome,
    items: Vec<Enterprise>,
    counts: EnterpriseCounts,
    page: i64,
    pages: i64,
    p: ListParams,
    /// The selected value of the group menu (a group, `any` or `none`).
    group: String,
    groups: Vec<WorkerGroup>,
    orgs: Vec<OrgChoice>,
    industries: Vec<String>,
    /// The filters as a query string, for the pager.
    query: String,
}

impl ListPage {
    fn sel(&self, v: &Option<String>, want: &str) -> bool {
        v.as_deref().map(str::trim) == Some(want)
    }

    fn org_selected(&self, id: &OrgId) -> bool {
        self.sel(&self.p.org, &id.to_string())
    }

    fn pager(&self, page: i64) -> String {
        if self.query.is_empty() {
            format!("/enterprises?page={page}")
        } else {
            format!("/enterprises?page={page}&{}", self.query)
        }
    }
}

async fn list_page(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ListParams>,
) -> AppResult<Response> {
    let (items, counts, page) = filtered(&state, &caller, &p).await?;
    let scope = caller.scope(Need::Read);
    let mut orgs = store::org_choices(&state.db, &scope, false, 300).await?;
    // A filter set from an org page may name an org the menu does not offer (a
    // grassroots union, say): offer it too, so the menu shows what is filtered.
    if let Some(id) = form::opt(&p.org).and_then(|o| o.parse::<i64>().ok())
        && !orgs.iter().any(|o| o.id.0 == id)
        && let Some(o) = crate::org::store::get(&state.db, &scope, OrgId(id)).await?
    {
        orgs.insert(
            0,
            OrgChoice {
                id: o.id,
                code: o.code,
                name: o.name,
            },
        );
    }
    let group = match (
        form::opt(&p.group),
        form::opt(&p.new_forms).map(|_| form::flag(&p.new_forms)),
    ) {
        (Some(g), _) => g,
        (None, Some(Ok(true))) => "any".into(),
        (None, Some(Ok(false))) => "none".into(),
        _ => String::new(),
    };
    let query = p.query();
    let path = if query.is_empty() {
        "/enterprises".to_string()
    } else {
        format!("/enterprises?{query}")
    };
    render(ListPage {
        c: Chrome::for_caller(&caller, &path),
        pages: (counts.total + PAGE_SIZE - 1) / PAGE_SIZE,
        items,
        counts,
        page,
        group,
        groups: WorkerGroup::ALL.to_vec(),
        orgs,
        industries: industry_menu(store::industries(&state.db, &scope).await?),
        p,
        query,
    })
}

/// The industries of the filter menu: the usual ones in their usual order, then the rest.
fn industry_menu(mut found: Vec<String>) -> Vec<String> {
    found.sort_by_key(|i| {
        (
            super::INDUSTRIES
                .iter()
                .position(|k| k == i)
                .unwrap_or(usize::MAX),
            crate::i18n::sort_key(i),
        )
    });
    found
}

/// One enterprise for the caller, and whether they may edit it. The phone is
/// unmasked only for cadres and admins over the enterprise's org, and then the
/// view is audited.
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
            .target(format!("enterprise:{id}"))
            .detail("contact_phone");
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
    /// Union formation: the enterprise's pipelines and the flag action.
    formation: crate::formation::pages::EnterprisePanel,
}

#[derive(Deserialize, Default)]
struct DetailParams {
    formation_error: Option<String>,
}

async fn detail_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<EnterpriseId>,
    Query(q): Query<DetailParams>,
) -> AppResult<Response> {
    let (e, can_write) = shown(&state, &caller, id).await?;
    let formation =
        crate::formation::pages::enterprise_panel(&state, &caller, id, q.formation_error).await?;
    render(DetailPage {
        c: Chrome::for_caller(&caller, &format!("/enterprises/{id}")),
        e,
        can_write,
        formation,
    })
}

#[derive(Template)]
#[template(path = "enterprise/form.html")]
struct FormPage {
    c: Chrome,
    /// `None` when creating.
    id: Option<EnterpriseId>,
    input: EnterpriseInput,
    groups: Vec<WorkerGroup>,
    /// Jurisdictions and grassroots unions of the caller's write scope, offered as suggestions.
    orgs: Vec<OrgChoice>,
    unions: Vec<OrgChoice>,
    industries: &'static [&'static str],
    errors: Vec<(String, String)>,
}

impl FormPage {
    async fn new(
        state: &AppState,
        caller: &Caller,
        id: Option<EnterpriseId>,
        input: EnterpriseInput,
        errors: Vec<(String, String)>,
    ) -> AppResult<FormPage> {
        let scope = caller.scope(Need::Write);
        let path = match id {
            Some(i) => format!("/enterprises/{i}/edit"),
            None => "/enterprises/new".to_string(),
        };
        Ok(FormPage {
            c: Chrome::for_caller(caller, &path),
            id,
            input,
            groups: WorkerGroup::ALL.to_vec(),
            orgs: store::org_choices(&state.db, &scope, false, 500).await?,
            unions: store::org_choices(&state.db, &scope, true, 1000).await?,
            industries: &super::INDUSTRIES,
            errors,
        })
    }

    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    /// The submitted (or current) text of a field.
    fn value<'a>(&self, v: &'a Option<String>) -> &'a str {
        v.as_deref().unwrap_or("")
    }

    fn has_group(&self, g: &WorkerGroup) -> bool {
        super::parse_groups("new_form_groups", self.value(&self.input.new_form_groups))
            .is_ok_and(|gs| gs.contains(g))
    }

    fn union_checked(&self) -> bool {
        form::flag(&self.input.has_union).unwrap_or(true)
            || form::opt(&self.input.union_org_code).is_some()
    }
}

/// Reads a submitted form: one `new_form_groups` value per ticked box.
fn form_input(raw: Vec<(String, String)>) -> EnterpriseInput {
    let mut input = EnterpriseInput::default();
    let mut groups: Vec<String> = Vec::new();
    for (k, v) in raw {
        let slot = match k.as_str() {
            "name" => &mut input.name,
            "credit_code" => &mut input.credit_code,
            "industry" => &mut input.industry,
            "address" => &mut input.address,
            "employee_count" => &mut input.employee_count,
            "has_union" => &mut input.has_union,
            "union_org_code" => &mut input.union_org_code,
            "org_code" => &mut input.org_code,
            "contact_person" => &mut input.contact_person,
            "contact_phone" => &mut input.contact_phone,
            "new_form_groups" => {
                groups.push(v);
                continue;
            }
            _ => continue,
        };
        *slot = Some(v);
    }
    input.new_form_groups = Some(groups.join(","));
    input
}

async fn new_page(State(state): State<AppState>, caller: Caller) -> AppResult<Response> {
    let scope = caller.require(Need::Write)?;
    // Suggest the caller's own org as the jurisdiction when they may write there.
    let home = crate::org::store::get(&state.db, &scope, caller.home_org).await?;
    let input = EnterpriseInput {
        org_code: home.map(|o| o.code),
        has_union: Some("0".into()),
        ..Default::default()
    };
    render(FormPage::new(&state, &caller, None, input, Vec::new()).await?)
}

/// Creates an enterprise in an org of the caller's write scope; shared by page and API.
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
        .detail(format!("{} {}", f.credit_code, f.name));
    audit::store::record(&mut *tx, &e).await?;
    tx.commit().await?;
    Ok(id)
}

/// The enterprise if the caller may edit it: 404 when out of read scope, 403
/// when readable but not writable.
async fn writable(state: &AppState, caller: &Caller, id: EnterpriseId) -> AppResult<Enterprise> {
    let current = store::get(&state.db, &caller.scope(Need::Read), id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !caller
        .scope(Need::Write)
        .contains(&state.db, current.org_id)
        .await?
    {
        return Err(AppError::Forbidden);
    }
    Ok(current)
}

/// Edits an enterprise the caller may write; shared by page and API.
async fn update(
    state: &AppState,
    caller: &Caller,
    id: EnterpriseId,
    input: &EnterpriseInput,
) -> AppResult<()> {
    let current = writable(state, caller, id).await?;
    let f = input.parse()?;
    let (org, union) = resolve_orgs(&state.db, &caller.scope(Need::Write), &f).await?;
    let mut tx = state.db.begin().await?;
    store::update(&mut tx, id, &f, org, union).await?;
    let mut detail = format!("{} {}", f.credit_code, f.name);
    if org != current.org_id {
        detail.push_str(&format!(" ({} → {})", current.org_code, f.org_code));
    }
    let e = Entry::by(caller, org, Action::EnterpriseUpdated)
        .target(format!("enterprise:{id}"))
        .detail(detail);
    audit::store::record(&mut *tx, &e).await?;
    tx.commit().await?;
    Ok(())
}

/// Answers a failed form with the form again: 422, each message next to its field.
async fn form_again(
    state: &AppState,
    caller: &Caller,
    id: Option<EnterpriseId>,
    input: EnterpriseInput,
    e: AppError,
) -> AppResult<Response> {
    let Some(errors) = crate::web::form::errors_of(&e, caller) else {
        return Err(e);
    };
    let page = FormPage::new(state, caller, id, input, errors).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}

async fn create_page(
    State(state): State<AppState>,
    caller: Caller,
    Form(raw): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let input = form_input(raw);
    match create(&state, &caller, &input).await {
        Ok(id) => Ok(Redirect::to(&format!("/enterprises/{id}")).into_response()),
        Err(e) => form_again(&state, &caller, None, input, e).await,
    }
}

async fn edit_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<EnterpriseId>,
) -> AppResult<Response> {
    caller.require(Need::Write)?;
    writable(&state, &caller, id).await?;
    // The form shows the phone in full, so it is read (and audited) as on the detail page.
    let (e, _) = shown(&state, &caller, id).await?;
    let input = EnterpriseInput::from_enterprise(&e);
    render(FormPage::new(&state, &caller, Some(id), input, Vec::new()).await?)
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
        Err(e) => form_again(&state, &caller, Some(id), input, e).await,
    }
}

// ---- JSON API ----

/// A page of enterprises and the counts of the whole match.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct EnterprisePage {
    pub items: Vec<Enterprise>,
    /// How many enterprises match (all pages).
    pub total: i64,
    pub without_union: i64,
    pub with_new_forms: i64,
    pub page: i64,
    pub per_page: i64,
    pub pages: i64,
}

/// Enterprises in the caller's scope matching the filters, by name; phones masked.
#[utoipa::path(get, path = "/api/v1/enterprises", tag = "enterprises", params(ListParams),
    responses((status = 200, body = EnterprisePage),
        (status = 404, description = "`org` is not in the caller's scope", body = crate::web::errors::ErrorBody),
        (status = 422, description = "a parameter is invalid", body = crate::web::errors::ErrorBody),
        (status = 401, body = crate::web::errors::ErrorBody)))]
pub async fn api_list(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ListParams>,
) -> AppResult<Json<EnterprisePage>> {
    let (items, counts, page) = filtered(&state, &caller, &p).await?;
    Ok(Json(EnterprisePage {
        items,
        total: counts.total,
        without_union: counts.without_union,
        with_new_forms: counts.with_new_forms,
        page,
        per_page: PAGE_SIZE,
        pages: (counts.total + PAGE_SIZE - 1) / PAGE_SIZE,
    }))
}

/// One enterprise. The contact phone is shown in full (and the view audited)
/// to cadres and admins over the enterprise, masked to others.
#[utoipa::path(get, path = "/api/v1/enterprises/{id}", tag = "enterprises", params(("id" = i64, Path)),
    responses((status = 200, body = Enterprise), (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<EnterpriseId>,
) -> AppResult<Json<Enterprise>> {
    Ok(Json(shown(&state, &caller, id).await?.0))
}

/// Creates an enterprise in the jurisdiction `org_code` (an org in the caller's
/// write scope). A duplicate or invalid credit code is a 422 naming `credit_code`.
#[utoipa::path(post, path = "/api/v1/enterprises", tag = "enterprises", request_body = EnterpriseInput,
    responses((status = 201, body = Enterprise), (status = 422, body = crate::web::errors::ErrorBody), (status = 403, body = crate::web::errors::ErrorBody)))]
pub async fn api_create(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<EnterpriseInput>,
) -> AppResult<Response> {
    let id = create(&state, &caller, &input).await?;
    // The caller has just written the phone: it is echoed, not a new view of it.
    let e = store::get(&state.db, &caller.scope(Need::Write), id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((StatusCode::CREATED, Json(e)).into_response())
}

/// Changes the given fields of an enterprise; absent or null fields keep their
/// values, an empty string clears an optional one.
#[utoipa::path(patch, path = "/api/v1/enterprises/{id}", tag = "enterprises", params(("id" = i64, Path)), request_body = EnterpriseInput,
    responses((status = 200, body = Enterprise), (status = 422, body = crate::web::errors::ErrorBody),
        (status = 403, body = crate::web::errors::ErrorBody), (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<EnterpriseId>,
    Json(patch): Json<EnterpriseInput>,
) -> AppResult<Json<Enterprise>> {
    let current = writable(&state, &caller, id).await?;
    let merged = patch.over(EnterpriseInput::from_enterprise(&current));
    update(&state, &caller, id, &merged).await?;
    Ok(Json(shown(&state, &caller, id).await?.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> ListParams {
        let q: String = pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", urlencode(v)))
            .collect::<Vec<_>>()
            .join("&");
        serde_urlencoded_from(&q)
    }

    fn serde_urlencoded_from(q: &str) -> ListParams {
        let uri: axum::http::Uri = format!("/enterprises?{q}").parse().unwrap();
        Query::<ListParams>::try_from_uri(&uri).unwrap().0
    }

    #[test]
    fn empty_parameters_do_not_filter() {
        let p = serde_urlencoded_from("q=&org=&union=&new_forms=&group=&industry=&page=");
        let (f, page) = p.parse().unwrap();
        assert_eq!(f, EnterpriseFilter::default());
        assert_eq!(page, 1);
        assert_eq!(p.query(), "");
    }

    #[test]
    fn parameters_become_a_filter_and_a_query_string() {
        let p = params(&[
            ("q", " 物流 "),
            ("org", "7"),
            ("union", "no"),
            ("group", "courier"),
            ("industry", "快递"),
            ("page", "3"),
        ]);
        let (f, page) = p.parse().unwrap();
        assert_eq!(f.q.as_deref(), Some("物流"));
        assert_eq!(f.org, Some(OrgId(7)));
        assert_eq!(f.union, Some(false));
        assert_eq!(f.group, Some(WorkerGroup::Courier));
        assert_eq!(f.industry.as_deref(), Some("快递"));
        assert_eq!(page, 3);
        assert_eq!(
            p.query(),
            "q=%E7%89%A9%E6%B5%81&org=7&union=no&group=courier&industry=%E5%BF%AB%E9%80%92"
        );
        let (f, _) = params(&[("group", "any")]).parse().unwrap();
        assert_eq!((f.new_forms, f.group), (Some(true), None));
        let (f, _) = params(&[("new_forms", "false")]).parse().unwrap();
        assert_eq!(f.new_forms, Some(false));
    }

    #[test]
    fn bad_parameters_are_all_reported() {
        let p = params(&[
            ("org", "x"),
            ("union", "maybe"),
            ("group", "pilots"),
            ("page", "0"),
        ]);
        let Err(AppError::Validation(errs)) = p.parse() else {
            panic!()
        };
        let fields: Vec<_> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["org", "union", "group", "page"]);
    }

    #[test]
    fn a_form_with_ticked_boxes_becomes_an_input() {
        let input = form_input(vec![
            ("name".into(), "甲".into()),
            ("new_form_groups".into(), "courier".into()),
            ("new_form_groups".into(), "food_delivery".into()),
            ("has_union".into(), "1".into()),
            ("unknown".into(), "x".into()),
        ]);
        assert_eq!(input.name.as_deref(), Some("甲"));
        assert_eq!(
            input.new_form_groups.as_deref(),
            Some("courier,food_delivery")
        );
        assert_eq!(input.has_union.as_deref(), Some("1"));
        assert_eq!(form_input(Vec::new()).new_form_groups.as_deref(), Some(""));
    }
}
