//! The to-do home page (the first page after login).

use askama::Template;
use axum::{extract::State, response::Response};

use super::{TodoEntry, count, entries, ops};
use crate::{
    auth::{Caller, Need},
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

/// `GET /`: the list, then the figures of the caller's orgs.
pub(super) async fn home(State(state): State<AppState>, caller: Caller) -> AppResult<Response> {
    let scope = caller.scope(Need::Read);
    let (_, items) = ops::list(&state.db, &caller, &state.settings.reminders).await?;
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
