//! The to-do home page (the first page after login) and `GET /api/v1/todo`.

use crate::web::Json;
use askama::Template;
use axum::{Router, extract::State, response::Response, routing::get};
use serde::Serialize;
use utoipa::OpenApi;

use super::{
    Item, ItemKind,
    store::{self, Ctx},
};
use crate::{
    auth::{Caller, Need},
    date::Day,
    error::AppResult,
    org::{
        SubtreeCounts,
        store::{self as org_store, OrgNode},
    },
    web::{
        AppState,
        page::{Chrome, render},
    },
    workday::Light,
};

/// The routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/api/v1/todo", get(api_todo))
}

/// This module's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(api_todo),
    components(schemas(TodoList, TodoEntry, ItemKind, Light)),
    tags((name = "todo", description = "The caller's to-do list (工作台): what needs them now, most urgent first"))
)]
pub struct ApiDoc;

/// The caller's to-do list as of `today`.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TodoList {
    pub today: Day,
    /// Items per light.
    pub red: usize,
    pub yellow: usize,
    pub green: usize,
    pub items: Vec<TodoEntry>,
}

/// One item with its sentence in the caller's language.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TodoEntry {
    #[serde(flatten)]
    pub item: Item,
    /// What needs doing, in the caller's language.
    pub text: String,
    /// How late or how long left, in working days, in the caller's language.
    pub when: String,
}

/// The items waiting for `caller`, most urgent first.
async fn list(state: &AppState, caller: &Caller) -> AppResult<(Day, Vec<Item>)> {
    let today = Day::today();
    let ctx = Ctx {
        orgs: caller.scope(Need::Write).roots().to_vec(),
        today,
        days: crate::workday::store::workdays(&state.db).await?,
        within: state.settings.reminders.days_before,
        open_days: state.settings.reminders.open_days,
    };
    Ok((today, store::items(&state.db, &ctx).await?))
}

fn count(items: &[Item], light: Light) -> usize {
    items.iter().filter(|i| i.light == light).count()
}

#[derive(Template)]
#[template(path = "todo/home.html")]
struct HomePage {
    c: Chrome,
    items: Vec<TodoEntry>,
    red: usize,
    yellow: usize,
    orgs: Vec<(OrgNode, SubtreeCounts)>,
    /// The caller's problem work: open, waiting in the inbox, overdue.
    work: crate::problem::store::ProblemCounts,
    /// The caller's login before this one (时间、地址), shown under the title.
    last_login: Option<crate::user::store::LastLogin>,
}

fn entries(caller: &Caller, items: Vec<Item>) -> Vec<TodoEntry> {
    items
        .into_iter()
        .map(|item| TodoEntry {
            text: item.text(caller.lang),
            when: item.when(caller.lang),
            item,
        })
        .collect()
}

/// The to-do home: the list, then the figures of the caller's orgs.
async fn home(State(state): State<AppState>, caller: Caller) -> AppResult<Response> {
    let scope = caller.scope(Need::Read);
    let (_, items) = list(&state, &caller).await?;
    let mut orgs = Vec::new();
    for root in org_store::roots(&state.db, &scope).await? {
        let counts = org_store::counts(&state.db, root.org.id).await?;
        orgs.push((root, counts));
    }
    render(HomePage {
        c: Chrome::for_caller(&caller, "/"),
        red: count(&items, Light::Red),
        yellow: count(&items, Light::Yellow),
        items: entries(&caller, items),
        work: crate::problem::store::counts(&state.db, &scope).await?,
        orgs,
        last_login: crate::user::store::last_login(&state.db, caller.user_id).await?,
    })
}

/// The caller's to-do list: what waits for the orgs where they hold a cadre or
/// admin role, most urgent first (red, then yellow, then green; a chase leads
/// its colour; then the earliest deadline). A viewer gets an empty list.
#[utoipa::path(get, path = "/api/v1/todo", tag = "todo",
    responses((status = 200, body = TodoList), (status = 401, description = "Not logged in")))]
pub async fn api_todo(State(state): State<AppState>, caller: Caller) -> AppResult<Json<TodoList>> {
    let (today, items) = list(&state, &caller).await?;
    Ok(Json(TodoList {
        today,
        red: count(&items, Light::Red),
        yellow: count(&items, Light::Yellow),
        green: count(&items, Light::Green),
        items: entries(&caller, items),
    }))
}
