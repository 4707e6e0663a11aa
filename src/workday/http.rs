//! The working-day calendar page and API. Reading it is open to every logged-in
//! user; replacing it is for admins of a top-level org (a federation at the top
//! of the tree), since it applies to the whole deployment.

use crate::web::{Form, Json};
use askama::Template;
use axum::{
    Router,
    extract::State,
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use serde::{Deserialize, Serialize};
use utoipa::OpenApi;

use super::{Workdays, store};
use crate::{
    audit::{self, Action, Entry},
    auth::Caller,
    error::{AppError, AppResult, FieldError},
    web::{
        AppState,
        page::{Chrome, render},
    },
};

/// The routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/workdays", get(page).post(save_page))
        .route("/admin/workdays/reset", post(reset_page))
        .route("/api/v1/workdays", get(api_get).put(api_put))
}

/// This module's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(api_get, api_put),
    components(schemas(WorkdayFile, WorkdayInput)),
    tags((name = "workdays", description = "The Chinese working-day calendar (public holidays and make-up working days)"))
)]
pub struct ApiDoc;

/// The file in force.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct WorkdayFile {
    /// The TOML text.
    pub body: String,
    /// Whether it is the file built into the binary.
    pub built_in: bool,
    /// When it was uploaded (epoch seconds), if it was.
    pub uploaded_at: Option<i64>,
    /// The years it covers.
    pub years: Vec<i32>,
}

/// A replacement file.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct WorkdayInput {
    /// The TOML text (see `assets/holidays/cn-workdays.toml` for the format).
    #[serde(default)]
    pub body: String,
}

fn check(body: &str) -> Result<Workdays, (Vec<String>, AppError)> {
    Workdays::parse(body).map_err(|problems| {
        let joined = problems.join("; ");
        (
            problems,
            AppError::Validation(vec![
                FieldError::new("body", "err-workdays").arg("problems", joined),
            ]),
        )
    })
}

async fn replace(
    state: &AppState,
    caller: &Caller,
    body: &str,
) -> Result<(), (Vec<String>, AppError)> {
    let org = caller
        .top_admin
        .ok_or(AppError::Forbidden)
        .map_err(|e| (Vec::new(), e))?;
    let w = check(body)?;
    let run = async {
        let mut tx = state.db.begin().await?;
        store::save(&mut tx, body, caller.user_id).await?;
        let years = w.years();
        let e = Entry::by(caller, org, Action::WorkdaysUpdated).detail(format!(
            "{}–{}",
            years.first().copied().unwrap_or_default(),
            years.last().copied().unwrap_or_default()
        ));
        audit::store::record(&mut *tx, &e).await?;
        tx.commit().await?;
        Ok::<(), AppError>(())
    };
    run.await.map_err(|e| (Vec::new(), e))
}

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

async fn edit_page(
    state: &AppState,
    caller: &Caller,
    body: Option<String>,
    problems: Vec<String>,
) -> AppResult<EditPage> {
    let cur = store::current(&state.db).await?;
    let years = Workdays::parse(&cur.text)
        .map(|w| w.years())
        .unwrap_or_default();
    let years = match (years.first(), years.last()) {
        (Some(a), Some(b)) => format!("{a}–{b}"),
        _ => String::new(),
    };
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

async fn page(State(state): State<AppState>, caller: Caller) -> AppResult<Response> {
    render(edit_page(&state, &caller, None, Vec::new()).await?)
}

async fn save_page(
    State(state): State<AppState>,
    caller: Caller,
    Form(input): Form<WorkdayInput>,
) -> AppResult<Response> {
    match replace(&state, &caller, &input.body).await {
        Ok(()) => Ok(Redirect::to("/admin/workdays").into_response()),
        Err((problems, AppError::Validation(_))) => {
            let page = edit_page(&state, &caller, Some(input.body), problems).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
        Err((_, e)) => Err(e),
    }
}

async fn reset_page(State(state): State<AppState>, caller: Caller) -> AppResult<Response> {
    let org = caller.top_admin.ok_or(AppError::Forbidden)?;
    let mut tx = state.db.begin().await?;
    store::reset(&mut tx).await?;
    let e = Entry::by(&caller, org, Action::WorkdaysUpdated).detail("built-in");
    audit::store::record(&mut *tx, &e).await?;
    tx.commit().await?;
    Ok(Redirect::to("/admin/workdays").into_response())
}

/// The working-day file in force.
#[utoipa::path(get, path = "/api/v1/workdays", tag = "workdays",
    responses((status = 200, body = WorkdayFile), (status = 401)), security(("bearer" = [])))]
pub async fn api_get(
    State(state): State<AppState>,
    _caller: Caller,
) -> AppResult<Json<WorkdayFile>> {
    let cur = store::current(&state.db).await?;
    Ok(Json(WorkdayFile {
        years: Workdays::parse(&cur.text)
            .map(|w| w.years())
            .unwrap_or_default(),
        built_in: cur.uploaded.is_none(),
        uploaded_at: cur.uploaded.map(|u| u.at),
        body: cur.text,
    }))
}

/// Replaces the working-day file (admins of a top-level org). Every problem of
/// the file is listed in the 422 answer.
#[utoipa::path(put, path = "/api/v1/workdays", tag = "workdays", request_body = WorkdayInput,
    responses((status = 200, body = WorkdayFile), (status = 422, body = crate::web::errors::ErrorBody),
        (status = 403)), security(("bearer" = [])))]
pub async fn api_put(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<WorkdayInput>,
) -> AppResult<Json<WorkdayFile>> {
    replace(&state, &caller, &input.body)
        .await
        .map_err(|(_, e)| e)?;
    api_get(State(state), caller).await
}
