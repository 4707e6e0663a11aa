//! The working-day calendar page: the file in force, and for admins of a
//! top-level org the form that replaces it and the way back to the built-in one.

use askama::Template;
use axum::{
    extract::State,
    response::{IntoResponse, Redirect, Response},
};

use super::{WorkdayInput, Workdays, ops, store};
use crate::{
    auth::Caller,
    error::AppResult,
    web::{
        AppState, Form,
        form::submitted,
        page::{Chrome, render},
    },
};

#[derive(Template)]
#[template(path = "workday/edit.html")]
struct EditPage {
    c: Chrome,
    body: String,
    built_in: bool,
    uploaded_at: i64,
    uploaded_by: String,
    years: String,
    problems: Vec<String>,
    can_edit: bool,
}

impl EditPage {
    /// The page with `body` in the form (the file in force when `None`) and
    /// the problems of that body, if any.
    async fn build(state: &AppState, caller: &Caller, body: Option<String>) -> AppResult<EditPage> {
        let cur = store::current(&state.db).await?;
        let years = Workdays::parse(&cur.text)
            .map(|w| w.years())
            .unwrap_or_default();
        let years = match (years.first(), years.last()) {
            (Some(a), Some(b)) => format!("{a}–{b}"),
            _ => String::new(),
        };
        let problems = body
            .as_deref()
            .and_then(|b| Workdays::parse(b).err())
            .unwrap_or_default();
        Ok(EditPage {
            c: Chrome::for_caller(caller, "/admin/workdays"),
            built_in: cur.uploaded.is_none(),
            uploaded_at: cur.uploaded.as_ref().map(|u| u.at).unwrap_or_default(),
            uploaded_by: cur
                .uploaded
                .as_ref()
                .and_then(|u| u.by.clone())
                .unwrap_or_default(),
            body: body.unwrap_or(cur.text),
            years,
            problems,
            can_edit: caller.top_admin.is_some(),
        })
    }
}

/// `GET /admin/workdays`.
pub(super) async fn page(State(state): State<AppState>, caller: Caller) -> AppResult<Response> {
    render(EditPage::build(&state, &caller, None).await?)
}

/// `POST /admin/workdays`: replaces the file, or shows it again with its problems.
pub(super) async fn save_page(
    State(state): State<AppState>,
    caller: Caller,
    Form(input): Form<WorkdayInput>,
) -> AppResult<Response> {
    let saved = ops::replace(&state.db, &caller, &input).await;
    submitted(
        &caller,
        saved,
        |()| "/admin/workdays".to_string(),
        |_| EditPage::build(&state, &caller, Some(input.body)),
    )
    .await
}

/// `POST /admin/workdays/reset`.
pub(super) async fn reset_page(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Response> {
    ops::reset(&state.db, &caller).await?;
    Ok(Redirect::to("/admin/workdays").into_response())
}
