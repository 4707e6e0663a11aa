//! The org tree pages: the tree and its search, an org, the create and edit
//! forms, moving and (de)activating. Writes go through `ops`, like the API's.

use askama::Template;
use axum::{extract::State, response::Response};
use serde::Deserialize;

use super::{MoveInput, Org, OrgInput, OrgKind, SubtreeCounts, ops, store, store::OrgNode};
use crate::{
    auth::{Caller, Need},
    db::OrgId,
    error::{AppError, AppResult},
    web::{
        AppState, Form, Path, Query,
        form::{FieldMessages, submitted},
        page::{Chrome, render},
    },
};

#[derive(Deserialize, Default)]
pub(super) struct TreeQuery {
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

/// `GET /orgs`: the top of the caller's tree, or search results.
pub(super) async fn tree(
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

/// `GET /orgs/{id}/children`: the rows under a node of the tree.
pub(super) async fn children(
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

impl DetailPage {
    /// The org page, with the messages of a refused move or (de)activation.
    async fn build(
        state: &AppState,
        caller: &Caller,
        id: OrgId,
        errors: FieldMessages,
    ) -> AppResult<DetailPage> {
        let scope = caller.scope(Need::Read);
        let org = ops::get(&state.db, caller, id).await?;
        let can_admin = caller.scope(Need::Admin).contains(&state.db, id).await?;
        let error = (!errors.is_empty()).then(|| {
            errors
                .0
                .into_iter()
                .map(|(_, m)| m)
                .collect::<Vec<_>>()
                .join("; ")
        });
        Ok(DetailPage {
            c: Chrome::for_caller(caller, &format!("/orgs/{id}")),
            path: store::ancestors(&state.db, &scope, id).await?,
            children: store::children(&state.db, &scope, id).await?,
            counts: store::counts(&state.db, id).await?,
            org: ops::shown(&state.db, caller, org).await?,
            can_admin,
            error,
        })
    }
}

/// `GET /orgs/{id}`.
pub(super) async fn detail(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<OrgId>,
) -> AppResult<Response> {
    render(DetailPage::build(&state, &caller, id, FieldMessages::default()).await?)
}

#[derive(Template)]
#[template(path = "org/form.html")]
struct FormPage {
    c: Chrome,
    /// `None` when creating.
    id: Option<OrgId>,
    input: OrgInput,
    kinds: Vec<OrgKind>,
    errors: FieldMessages,
}

impl FormPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field)
    }

    fn build(caller: &Caller, id: Option<OrgId>, input: OrgInput, errors: FieldMessages) -> Self {
        let here = match id {
            Some(id) => format!("/orgs/{id}/edit"),
            None => "/orgs/new".to_string(),
        };
        FormPage {
            c: Chrome::for_caller(caller, &here),
            id,
            input,
            kinds: OrgKind::ALL.to_vec(),
            errors,
        }
    }
}

#[derive(Deserialize, Default)]
pub(super) struct NewQuery {
    parent: Option<String>,
}

/// `GET /orgs/new`.
pub(super) async fn new(caller: Caller, Query(q): Query<NewQuery>) -> AppResult<Response> {
    caller.require(Need::Admin)?;
    let input = OrgInput {
        parent_code: q.parent,
        kind: Some(OrgKind::Grassroots.as_str().into()),
        ..Default::default()
    };
    render(FormPage::build(
        &caller,
        None,
        input,
        FieldMessages::default(),
    ))
}

/// `POST /orgs`.
pub(super) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Form(input): Form<OrgInput>,
) -> AppResult<Response> {
    let created = ops::create(&state.db, &caller, &input).await;
    submitted(
        &caller,
        created,
        |id| format!("/orgs/{id}"),
        |errors| async { Ok(FormPage::build(&caller, None, input, errors)) },
    )
    .await
}

/// `GET /orgs/{id}/edit`.
pub(super) async fn edit(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<OrgId>,
) -> AppResult<Response> {
    let scope = caller.require(Need::Admin)?;
    let org = store::get(&state.db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    render(FormPage::build(
        &caller,
        Some(id),
        OrgInput::from_org(&org),
        FieldMessages::default(),
    ))
}

/// `POST /orgs/{id}/edit`.
pub(super) async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<OrgId>,
    Form(input): Form<OrgInput>,
) -> AppResult<Response> {
    let updated = ops::update(&state.db, &caller, id, &input).await;
    submitted(
        &caller,
        updated,
        |()| format!("/orgs/{id}"),
        |errors| async { Ok(FormPage::build(&caller, Some(id), input, errors)) },
    )
    .await
}

/// `POST /orgs/{id}/move`.
pub(super) async fn move_under(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<OrgId>,
    Form(f): Form<MoveInput>,
) -> AppResult<Response> {
    let moved = ops::move_under(&state.db, &caller, id, &f.parent_code).await;
    submitted(
        &caller,
        moved,
        |()| format!("/orgs/{id}"),
        |errors| DetailPage::build(&state, &caller, id, errors),
    )
    .await
}

#[derive(Deserialize)]
pub(super) struct ActiveForm {
    active: String,
}

/// `POST /orgs/{id}/active`.
pub(super) async fn active(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<OrgId>,
    Form(f): Form<ActiveForm>,
) -> AppResult<Response> {
    let active = f.active == "1" || f.active == "true";
    let done = ops::set_active(&state.db, &caller, id, active).await;
    submitted(
        &caller,
        done,
        |()| format!("/orgs/{id}"),
        |errors| DetailPage::build(&state, &caller, id, errors),
    )
    .await
}
