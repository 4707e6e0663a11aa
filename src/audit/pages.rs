//! The audit page: the log of the caller's admin subtrees, filtered, with
//! links to its exports (served by the API).

use askama::Template;
use axum::{extract::State, response::Response};

use super::{
    Action, AuditQuery, PAGE_SIZE,
    store::{self, AuditFilter, AuditRow},
};
use crate::{
    auth::{Caller, Need},
    error::{AppError, AppResult},
    web::{
        AppState, Query,
        list::{Pager, Paging},
        page::{Chrome, render},
    },
};

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
    total: i64,
    query: String,
    pager: Pager,
    error: Option<String>,
}

/// `GET /audit`: a bad filter is shown above the unfiltered log.
pub(super) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<AuditQuery>,
) -> AppResult<Response> {
    let scope = caller.require(Need::Admin)?;
    let read = q.filter().and_then(|f| Ok((f, q.paging(PAGE_SIZE)?)));
    let ((filter, paging), error) = match read {
        Ok(v) => (v, None),
        Err(AppError::Validation(fs)) => (
            (
                AuditFilter::default(),
                Paging {
                    page: 1,
                    size: PAGE_SIZE.default,
                },
            ),
            Some(
                fs.iter()
                    .map(|f| f.message(caller.lang))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
        ),
        Err(e) => return Err(e),
    };
    // The page shows its own size, whatever `per_page` says.
    let paging = Paging {
        page: paging.page,
        size: PAGE_SIZE.default,
    };
    let (rows, total) =
        store::list(&state.db, &scope, &filter, paging.size, paging.offset()).await?;
    let query = q.query_string();
    render(ListPage {
        c: Chrome::for_caller(&caller, "/audit"),
        rows,
        actions: Action::ALL.to_vec(),
        pager: paging.pager(total, "/audit", &query),
        query,
        action: q.action.unwrap_or_default(),
        username: q.username.unwrap_or_default(),
        from: q.from.unwrap_or_default(),
        to: q.to.unwrap_or_default(),
        total,
        error,
    })
}
