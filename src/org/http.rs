//! The org tree pages and the org API.

use crate::web::{Form, Json, Path, Query};
use askama::Template;
use axum::{
    Router,
    extract::State,
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use serde::Deserialize;

use super::{
    Org, OrgInput, OrgKind, SubtreeCounts,
    store::{self, OrgNode},
};
use crate::{
    audit::{self, Action, Entry},
    auth::{Caller, Need, Scope},
    db::OrgId,
    error::{AppError, AppResult},
    web::{
        AppState,
        page::{Chrome, render},
    },
};

/// The routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/orgs", get(tree_page).post(create_page))
        .route("/orgs/new", get(new_page))
        .route("/orgs/{id}", get(detail_page))
        .route("/orgs/{id}/children", get(children_fragment))
        .route("/orgs/{id}/edit", get(edit_page).post(update_page))
        .route("/orgs/{id}/move", post(move_page))
        .route("/orgs/{id}/active", post(active_page))
        .route("/api/v1/orgs", get(api_list).post(api_create))
        .route("/api/v1/orgs/{id}", get(api_get).patch(api_update))
        .route("/api/v1/orgs/{id}/children", get(api_children))
        .route("/api/v1/orgs/{id}/counts", get(api_counts))
        .route("/api/v1/orgs/{id}/move", post(api_move))
        .route("/api/v1/orgs/{id}/active", post(api_active))
}

/// Whether the caller may see an org's contact phone unmasked.
async fn reveal_personal(state: &AppState, caller: &Caller, org: &Org) -> AppResult<bool> {
    Ok(caller
        .scope(Need::Write)
        .contains(&state.db, org.id)
        .await?)
}

/// Masks or reveals an org's phone for the caller, auditing a reveal.
async fn shown(state: &AppState, caller: &Caller, org: Org) -> AppResult<Org> {
    if org.phone.is_none() {
        return Ok(org);
    }
    if reveal_personal(state, caller, &org).await? {
        audit::store::record(
            state.db.pool(),
            &Entry::by(caller, org.id, Action::PersonalDataViewed)
                .target(format!("org:{}", org.id)),
        )
        .await?;
        Ok(org)
    } else {
        Ok(org.masked())
    }
}

#[derive(Deserialize, Default)]
struct TreeQuery {
    q: Option<String>,
}

#[derive(Template)]
#[template(path = "org/tree.html")]
struct TreePage {
    c: Chrome,
    q: String,
    roots: Vec<(OrgNode, Vec<OrgNode>)>,
    results: Vec<Org>,
}

async fn tree_page(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<TreeQuery>,
) -> AppResult<Response> {
    let scope = caller.scope(Need::Read);
    let query = q.q.unwrap_or_default().trim().to_string();
    let mut roots = Vec::new();
    let mut results = Vec::new();
    if query.is_empty() {
        for root in store::roots(&state.db, &scope).await? {
            let kids = store::children(&state.db, &scope, root.org.id).await?;
            roots.push((root, kids));
        }
    } else {
        results = store::search(&state.db, &scope, &query, 200).await?;
    }
    render(TreePage {
        c: Chrome::for_caller(&caller, "/orgs"),
        q: query,
        roots,
        results,
    })
}

#[derive(Template)]
#[template(path = "org/_children.html")]
struct ChildrenFragment {
    c: Chrome,
    nodes: Vec<OrgNode>,
}

async fn children_fragment(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<OrgId>,
) -> AppResult<Response> {
    let scope = caller.scope(Need::Read);
    store::get(&state.db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let nodes = store::children(&state.db, &scope, id).await?;
    render(ChildrenFragment {
        c: Chrome::for_caller(&caller, "/orgs"),
        nodes,
    })
}

#[derive(Template)]
#[template(path = "org/detail.html")]
struct DetailPage {
    c: Chrome,
    org: Org,
    path: Vec<Org>,
    children: Vec<OrgNode>,
    counts: SubtreeCounts,
    can_admin: bool,
    error: Option<String>,
}

async fn detail(
    state: &AppState,
    caller: &Caller,
    id: OrgId,
    error: Option<String>,
) -> AppResult<DetailPage> {
    let scope = caller.scope(Need::Read);
    let org = store::get(&state.db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let can_admin = caller.scope(Need::Admin).contains(&state.db, id).await?;
    Ok(DetailPage {
        c: Chrome::for_caller(caller, &format!("/orgs/{id}")),
        path: store::ancestors(&state.db, &scope, id).await?,
        children: store::children(&state.db, &scope, id).await?,
        counts: store::counts(&state.db, id).await?,
        org: shown(state, caller, org).await?,
        can_admin,
        error,
    })
}

async fn detail_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<OrgId>,
) -> AppResult<Response> {
    render(detail(&state, &caller, id, None).await?)
}

#[derive(Template)]
#[template(path = "org/form.html")]
struct FormPage {
    c: Chrome,
    /// `None` when creating.
    id: Option<OrgId>,
    input: OrgInput,
    kinds: Vec<OrgKind>,
    errors: Vec<(String, String)>,
}

impl FormPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }
}

#[derive(Deserialize, Default)]
struct NewQuery {
    parent: Option<String>,
}

async fn new_page(caller: Caller, Query(q): Query<NewQuery>) -> AppResult<Response> {
    caller.require(Need::Admin)?;
    render(FormPage {
        c: Chrome::for_caller(&caller, "/orgs/new"),
        id: None,
        input: OrgInput {
            parent_code: q.parent,
            kind: Some(OrgKind::Grassroots.as_str().into()),
            ..Default::default()
        },
        kinds: OrgKind::ALL.to_vec(),
        errors: Vec::new(),
    })
}

/// Creates an org under a parent in the caller's admin scope; shared by page and API.
async fn create_org(state: &AppState, caller: &Caller, input: &OrgInput) -> AppResult<OrgId> {
    let scope = caller.require(Need::Admin)?;
    let fields = input.parse()?;
    let parent_code = input.parent_code.as_deref().map(str::trim).unwrap_or("");
    if parent_code.is_empty() {
        // Only the CLI creates roots; in the app every org has a parent in scope.
        return Err(AppError::field("parent_code", "err-required"));
    }
    let parent = store::get_by_code(&state.db, &scope, parent_code)
        .await?
        .ok_or_else(|| AppError::field("parent_code", "err-org-out-of-scope"))?;
    let mut tx = state.db.begin().await?;
    let id = store::insert(&mut tx, &fields, Some(parent.id)).await?;
    let e = Entry::by(caller, id, Action::OrgCreated)
        .target(format!("org:{id}"))
        .detail(&fields.name);
    audit::store::record(&mut *tx, &e).await?;
    tx.commit().await?;
    Ok(id)
}

/// Edits an org in the caller's admin scope; shared by page and API.
async fn update_org(
    state: &AppState,
    caller: &Caller,
    id: OrgId,
    input: &OrgInput,
) -> AppResult<()> {
    let scope = caller.require(Need::Admin)?;
    store::get(&state.db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let fields = input.parse()?;
    let mut tx = state.db.begin().await?;
    store::update(&mut tx, id, &fields).await?;
    audit::store::record(
        &mut *tx,
        &Entry::by(caller, id, Action::OrgUpdated).target(format!("org:{id}")),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Moves an org under a new parent; both must lie in the caller's admin scope.
async fn move_org(
    state: &AppState,
    caller: &Caller,
    id: OrgId,
    parent_code: &str,
) -> AppResult<()> {
    let scope = caller.require(Need::Admin)?;
    let org = store::get(&state.db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if scope.roots().contains(&id) {
        // The org an admin grant sits at is moved by an admin above it, not by itself.
        return Err(AppError::Forbidden);
    }
    let parent = store::get_by_code(&state.db, &scope, parent_code)
        .await?
        .ok_or_else(|| AppError::field("parent_code", "err-org-out-of-scope"))?;
    let mut tx = state.db.begin().await?;
    store::move_to(&mut tx, id, parent.id).await?;
    let e = Entry::by(caller, id, Action::OrgMoved)
        .target(format!("org:{id}"))
        .detail(format!("{} → {}", org.code, parent.code));
    audit::store::record(&mut *tx, &e).await?;
    tx.commit().await?;
    Ok(())
}

/// Deactivates or reactivates an org in the caller's admin scope.
async fn set_active(state: &AppState, caller: &Caller, id: OrgId, active: bool) -> AppResult<()> {
    let scope = caller.require(Need::Admin)?;
    store::get(&state.db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut tx = state.db.begin().await?;
    store::set_active(&mut tx, id, active).await?;
    let action = if active {
        Action::OrgActivated
    } else {
        Action::OrgDeactivated
    };
    audit::store::record(
        &mut *tx,
        &Entry::by(caller, id, action).target(format!("org:{id}")),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

fn form_errors(err: &AppError, caller: &Caller) -> Option<Vec<(String, String)>> {
    match err {
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
    Form(input): Form<OrgInput>,
) -> AppResult<Response> {
    match create_org(&state, &caller, &input).await {
        Ok(id) => Ok(Redirect::to(&format!("/orgs/{id}")).into_response()),
        Err(e) => {
            let Some(errors) = form_errors(&e, &caller) else {
                return Err(e);
            };
            let page = FormPage {
                c: Chrome::for_caller(&caller, "/orgs/new"),
                id: None,
                input,
                kinds: OrgKind::ALL.to_vec(),
                errors,
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
    }
}

async fn edit_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<OrgId>,
) -> AppResult<Response> {
    let scope = caller.require(Need::Admin)?;
    let org = store::get(&state.db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    render(FormPage {
        c: Chrome::for_caller(&caller, &format!("/orgs/{id}/edit")),
        id: Some(id),
        input: OrgInput::from_org(&org),
        kinds: OrgKind::ALL.to_vec(),
        errors: Vec::new(),
    })
}

async fn update_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<OrgId>,
    Form(input): Form<OrgInput>,
) -> AppResult<Response> {
    match update_org(&state, &caller, id, &input).await {
        Ok(()) => Ok(Redirect::to(&format!("/orgs/{id}")).into_response()),
        Err(e) => {
            let Some(errors) = form_errors(&e, &caller) else {
                return Err(e);
            };
            let page = FormPage {
                c: Chrome::for_caller(&caller, &format!("/orgs/{id}/edit")),
                id: Some(id),
                input,
                kinds: OrgKind::ALL.to_vec(),
                errors,
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct MoveInput {
    /// Code of the new parent.
    pub parent_code: String,
}

async fn move_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<OrgId>,
    Form(f): Form<MoveInput>,
) -> AppResult<Response> {
    match move_org(&state, &caller, id, &f.parent_code).await {
        Ok(()) => Ok(Redirect::to(&format!("/orgs/{id}")).into_response()),
        Err(e) => {
            let Some(errors) = form_errors(&e, &caller) else {
                return Err(e);
            };
            let msg = errors
                .into_iter()
                .map(|(_, m)| m)
                .collect::<Vec<_>>()
                .join("; ");
            let page = detail(&state, &caller, id, Some(msg)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ActiveInput {
    pub active: bool,
}

#[derive(Deserialize)]
struct ActiveForm {
    active: String,
}

async fn active_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<OrgId>,
    Form(f): Form<ActiveForm>,
) -> AppResult<Response> {
    match set_active(&state, &caller, id, f.active == "1" || f.active == "true").await {
        Ok(()) => Ok(Redirect::to(&format!("/orgs/{id}")).into_response()),
        Err(e) => {
            let Some(errors) = form_errors(&e, &caller) else {
                return Err(e);
            };
            let msg = errors
                .into_iter()
                .map(|(_, m)| m)
                .collect::<Vec<_>>()
                .join("; ");
            let page = detail(&state, &caller, id, Some(msg)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
    }
}

// ---- JSON API ----

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ListParams {
    /// List the children of this org; without it, the top orgs of the caller's scope.
    pub parent: Option<OrgId>,
    /// Search by name, short name or code instead.
    pub q: Option<String>,
}

/// Orgs in the caller's scope: the top ones, the children of `parent`, or search results.
#[utoipa::path(get, path = "/api/v1/orgs", tag = "orgs", params(ListParams),
    responses((status = 200, body = Vec<OrgNode>), (status = 401, body = crate::web::errors::ErrorBody)))]
pub async fn api_list(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ListParams>,
) -> AppResult<Json<Vec<OrgNode>>> {
    let scope = caller.scope(Need::Read);
    let nodes = match (
        p.q.as_deref().map(str::trim).filter(|q| !q.is_empty()),
        p.parent,
    ) {
        (Some(q), _) => store::search(&state.db, &scope, q, 200)
            .await?
            .into_iter()
            .map(|org| OrgNode {
                org,
                child_count: 0,
            })
            .collect(),
        (None, Some(parent)) => {
            store::get(&state.db, &scope, parent)
                .await?
                .ok_or(AppError::NotFound)?;
            store::children(&state.db, &scope, parent).await?
        }
        (None, None) => store::roots(&state.db, &scope).await?,
    };
    Ok(Json(masked(nodes)))
}

/// Lists always mask: unmasked numbers are shown one record at a time, audited.
fn masked(nodes: Vec<OrgNode>) -> Vec<OrgNode> {
    nodes
        .into_iter()
        .map(|n| OrgNode {
            org: n.org.masked(),
            ..n
        })
        .collect()
}

/// One org.
#[utoipa::path(get, path = "/api/v1/orgs/{id}", tag = "orgs", params(("id" = i64, Path)),
    responses((status = 200, body = Org), (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<OrgId>,
) -> AppResult<Json<Org>> {
    let org = store::get(&state.db, &caller.scope(Need::Read), id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(shown(&state, &caller, org).await?))
}

/// The children of an org.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/children", tag = "orgs", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<OrgNode>), (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_children(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<OrgId>,
) -> AppResult<Json<Vec<OrgNode>>> {
    let scope = caller.scope(Need::Read);
    store::get(&state.db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let nodes = store::children(&state.db, &scope, id).await?;
    Ok(Json(masked(nodes)))
}

/// What lies under an org: orgs by kind, enterprises, users.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/counts", tag = "orgs", params(("id" = i64, Path)),
    responses((status = 200, body = SubtreeCounts), (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_counts(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<OrgId>,
) -> AppResult<Json<SubtreeCounts>> {
    store::get(&state.db, &caller.scope(Need::Read), id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(store::counts(&state.db, id).await?))
}

/// Creates an org under `parent_code`.
#[utoipa::path(post, path = "/api/v1/orgs", tag = "orgs", request_body = OrgInput,
    responses((status = 201, body = Org), (status = 422, body = crate::web::errors::ErrorBody), (status = 403, body = crate::web::errors::ErrorBody)))]
pub async fn api_create(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<OrgInput>,
) -> AppResult<Response> {
    let id = create_org(&state, &caller, &input).await?;
    let org = store::get(&state.db, &caller.scope(Need::Read), id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((StatusCode::CREATED, Json(org)).into_response())
}

/// Replaces an org's fields.
#[utoipa::path(patch, path = "/api/v1/orgs/{id}", tag = "orgs", params(("id" = i64, Path)), request_body = OrgInput,
    responses((status = 200, body = Org), (status = 422, body = crate::web::errors::ErrorBody), (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<OrgId>,
    Json(patch): Json<OrgInput>,
) -> AppResult<Json<Org>> {
    let scope = caller.require(Need::Admin)?;
    let current = store::get(&state.db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    // PATCH: absent fields keep their current values.
    let base = OrgInput::from_org(&current);
    let merged = OrgInput {
        code: patch.code.or(base.code),
        name: patch.name.or(base.name),
        short_name: patch.short_name.or(base.short_name),
        kind: patch.kind.or(base.kind),
        parent_code: None,
        contact_person: patch.contact_person.or(base.contact_person),
        phone: patch.phone.or(base.phone),
        email: patch.email.or(base.email),
        address: patch.address.or(base.address),
        display_order: patch.display_order.or(base.display_order),
    };
    update_org(&state, &caller, id, &merged).await?;
    let org = store::get(&state.db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(org))
}

/// Moves an org (and its subtree) under a new parent.
#[utoipa::path(post, path = "/api/v1/orgs/{id}/move", tag = "orgs", params(("id" = i64, Path)), request_body = MoveInput,
    responses((status = 204), (status = 422, body = crate::web::errors::ErrorBody), (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_move(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<OrgId>,
    Json(m): Json<MoveInput>,
) -> AppResult<StatusCode> {
    move_org(&state, &caller, id, &m.parent_code).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deactivates or reactivates an org.
#[utoipa::path(post, path = "/api/v1/orgs/{id}/active", tag = "orgs", params(("id" = i64, Path)), request_body = ActiveInput,
    responses((status = 204), (status = 422, body = crate::web::errors::ErrorBody), (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_active(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<OrgId>,
    Json(a): Json<ActiveInput>,
) -> AppResult<StatusCode> {
    set_active(&state, &caller, id, a.active).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Exposed for other modules' pages that offer an org picker.
pub async fn scope_roots(state: &AppState, scope: &Scope) -> AppResult<Vec<OrgNode>> {
    Ok(store::roots(&state.db, scope).await?)
}
