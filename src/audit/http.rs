//! The audit log page for admins, filterable by action, user and date.

use askama::Template;
use axum::{
    Router,
    extract::{Query, State},
    response::Response,
    routing::get,
};
use serde::Deserialize;

use super::{
    Action,
    store::{self, AuditFilter, AuditRow},
};
use crate::{
    auth::{Caller, Need},
    error::AppResult,
    web::{
        AppState,
        page::{Chrome, render},
    },
};

/// The routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new().route("/audit", get(list_page))
}

#[derive(Deserialize, Default)]
struct AuditQuery {
    action: Option<String>,
    username: Option<String>,
    /// `YYYY-MM-DD`, China Standard Time.
    from: Option<String>,
    to: Option<String>,
    page: Option<i64>,
}

/// Midnight of a `YYYY-MM-DD` day in China Standard Time, as epoch seconds.
fn day_start(s: &str) -> Option<i64> {
    let d = chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()?;
    Some(d.and_hms_opt(0, 0, 0)?.and_utc().timestamp() - 8 * 3600)
}

#[derive(Template)]
#[template(path = "audit/list.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<AuditRow>,
    actions: Vec<Action>,
    action: String,
    username: String,
    from: String,
    to: String,
    page: i64,
    pages: i64,
    total: i64,
    query: String,
}

const PAGE_SIZE: i64 = 100;

async fn list_page(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<AuditQuery>,
) -> AppResult<Response> {
    let scope = caller.require(Need::Admin)?;
    let nonempty = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let filter = AuditFilter {
        action: nonempty(&q.action).filter(|a| Action::parse(a).is_some()),
        username: nonempty(&q.username).map(|u| u.to_ascii_lowercase()),
        from: nonempty(&q.from).and_then(|d| day_start(&d)),
        to: nonempty(&q.to)
            .and_then(|d| day_start(&d))
            .map(|t| t + 86_400),
    };
    let page = q.page.unwrap_or(1).max(1);
    let (rows, total) = store::list(
        &state.db,
        &scope,
        &filter,
        PAGE_SIZE,
        (page - 1) * PAGE_SIZE,
    )
    .await?;
    let query = format!(
        "action={}&username={}&from={}&to={}",
        q.action.as_deref().unwrap_or(""),
        q.username.as_deref().unwrap_or(""),
        q.from.as_deref().unwrap_or(""),
        q.to.as_deref().unwrap_or("")
    );
    render(ListPage {
        c: Chrome::for_caller(&caller, "/audit"),
        rows,
        actions: Action::ALL.to_vec(),
        action: q.action.unwrap_or_default(),
        username: q.username.unwrap_or_default(),
        from: q.from.unwrap_or_default(),
        to: q.to.unwrap_or_default(),
        page,
        pages: (total + PAGE_SIZE - 1) / PAGE_SIZE,
        total,
        query,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_day_starts_at_midnight_in_shanghai() {
        assert_eq!(super::day_start("2019-11-15"), Some(1_573_747_200));
        assert_eq!(super::day_start("15/11/2019"), None);
    }
}
