//! The topic list (问题类别): seeded with the six topics of seed 002 plus
//! "other", editable by the admins of a top-level federation. Topics are never
//! deleted (problems refer to them); a retired one is deactivated.

use crate::web::{Form, Json, Path};
use askama::Template;
use axum::{
    Router,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use serde::{Deserialize, Serialize};
use utoipa::OpenApi;

use crate::{
    auth::{Caller, Need},
    db::{Db, DbError, TopicId, Tx, is_unique_violation},
    error::{AppError, AppResult, FieldError},
    web::{
        AppState,
        form::{self, Errors},
        page::{Chrome, render},
    },
};

/// The routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/topics", get(list_page).post(create_page))
        .route("/topics/{id}", post(update_page))
        .route("/api/v1/topics", get(api_list).post(api_create))
        .route("/api/v1/topics/{id}", axum::routing::patch(api_update))
}

/// This module's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(api_list, api_create, api_update), components(schemas(TopicRow, TopicInput)),
    tags((name = "topics", description = "The problem topic list")))]
pub struct ApiDoc;

/// A topic with everything an editor sees.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct TopicRow {
    pub id: TopicId,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub display_order: i64,
    #[schema(value_type = bool)]
    pub active: i64,
    /// How many problems use it.
    pub problems: i64,
}

/// A topic as submitted.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct TopicInput {
    /// Letters, digits and `_` (new topics only; codes never change).
    #[serde(default, deserialize_with = "form::lenient")]
    pub code: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    pub name_zh: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    pub name_en: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    pub display_order: Option<String>,
    /// yes/no.
    #[serde(default, deserialize_with = "form::lenient")]
    pub active: Option<String>,
}

struct TopicFields {
    name_zh: String,
    name_en: String,
    display_order: i64,
    active: bool,
}

impl TopicInput {
    fn parse(&self, errs: &mut Errors) -> Option<TopicFields> {
        let name_zh = errs.take(form::required("name_zh", &self.name_zh, 30));
        let name_en = errs.take(form::required("name_en", &self.name_en, 60));
        let display_order = errs
            .take(form::optional_int(
                "display_order",
                &self.display_order,
                0,
                9999,
            ))
            .flatten()
            .unwrap_or(0);
        let active = match self.active.as_deref() {
            None => true,
            Some(_) => match form::flag(&self.active) {
                Ok(b) => b,
                Err(_) => {
                    errs.push(FieldError::new("active", "err-flag"));
                    true
                }
            },
        };
        Some(TopicFields {
            name_zh: name_zh?,
            name_en: name_en?,
            display_order,
            active,
        })
    }

    fn code(&self, errs: &mut Errors) -> Option<String> {
        match form::opt(&self.code) {
            None => {
                errs.push(FieldError::new("code", "err-required"));
                None
            }
            Some(c)
                if c.len() <= 32
                    && c.chars()
                        .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_') =>
            {
                Some(c)
            }
            Some(_) => {
                errs.push(FieldError::new("code", "err-topic-code"));
                None
            }
        }
    }
}

/// Every topic, active ones first, with their use counts.
pub async fn all(db: &Db) -> Result<Vec<TopicRow>, DbError> {
    sqlx::query_as(
        "SELECT t.id, t.code, t.name_zh, t.name_en, t.display_order, t.active, \
         (SELECT COUNT(*) FROM problems p WHERE p.topic_id = t.id) AS problems \
         FROM topics t ORDER BY t.active DESC, t.display_order, t.id",
    )
    .fetch_all(db.pool())
    .await
}

/// Whether the caller administers a top-level federation: the topic list is shared by all.
async fn may_edit(db: &Db, caller: &Caller) -> AppResult<bool> {
    let roots = caller.scope(Need::Admin);
    if roots.is_empty() {
        return Ok(false);
    }
    let ids: Vec<String> = roots.roots().iter().map(|r| r.0.to_string()).collect();
    let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM orgs WHERE parent_id IS NULL AND id IN ({})",
        ids.join(",")
    )))
    .fetch_one(db.pool())
    .await?;
    Ok(n > 0)
}

async fn insert(tx: &mut Tx, code: &str, f: &TopicFields) -> AppResult<TopicId> {
    sqlx::query_scalar(
        "INSERT INTO topics (code, name_zh, name_en, display_order, active) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(code)
    .bind(&f.name_zh)
    .bind(&f.name_en)
    .bind(f.display_order)
    .bind(i64::from(f.active))
    .fetch_one(&mut **tx)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            AppError::field("code", "err-topic-taken")
        } else {
            e.into()
        }
    })
}

async fn update(tx: &mut Tx, id: TopicId, f: &TopicFields) -> AppResult<()> {
    let done = sqlx::query(
        "UPDATE topics SET name_zh = $1, name_en = $2, display_order = $3, active = $4 WHERE id = $5",
    )
    .bind(&f.name_zh)
    .bind(&f.name_en)
    .bind(f.display_order)
    .bind(i64::from(f.active))
    .bind(id)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}

async fn create(state: &AppState, caller: &Caller, input: &TopicInput) -> AppResult<TopicId> {
    if !may_edit(&state.db, caller).await? {
        return Err(AppError::Forbidden);
    }
    let mut errs = Errors::default();
    let code = input.code(&mut errs);
    let fields = input.parse(&mut errs);
    errs.finish()?;
    let (Some(code), Some(fields)) = (code, fields) else {
        return Err(AppError::BadRequest("unparsed topic"));
    };
    let mut tx = state.db.begin().await?;
    let id = insert(&mut tx, &code, &fields).await?;
    tx.commit().await?;
    Ok(id)
}

async fn change(
    state: &AppState,
    caller: &Caller,
    id: TopicId,
    input: &TopicInput,
) -> AppResult<()> {
    if !may_edit(&state.db, caller).await? {
        return Err(AppError::Forbidden);
    }
    let mut errs = Errors::default();
    let fields = input.parse(&mut errs);
    errs.finish()?;
    let fields = fields.ok_or(AppError::BadRequest("unparsed topic"))?;
    let mut tx = state.db.begin().await?;
    update(&mut tx, id, &fields).await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Template)]
#[template(path = "problem/topics.html")]
struct ListPage {
    c: Chrome,
    topics: Vec<TopicRow>,
    editable: bool,
    errors: Vec<String>,
}

async fn page(state: &AppState, caller: &Caller, errors: Vec<String>) -> AppResult<ListPage> {
    Ok(ListPage {
        c: Chrome::for_caller(caller, "/topics"),
        topics: all(&state.db).await?,
        editable: may_edit(&state.db, caller).await?,
        errors,
    })
}

async fn list_page(State(state): State<AppState>, caller: Caller) -> AppResult<Response> {
    render(page(&state, &caller, Vec::new()).await?)
}

async fn answer(state: &AppState, caller: &Caller, r: AppResult<()>) -> AppResult<Response> {
    match r {
        Ok(()) => Ok(Redirect::to("/topics").into_response()),
        Err(AppError::Validation(fs)) => {
            let errors = fs.iter().map(|f| f.message(caller.lang)).collect();
            let p = page(state, caller, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(p)?).into_response())
        }
        Err(e) => Err(e),
    }
}

async fn create_page(
    State(state): State<AppState>,
    caller: Caller,
    Form(input): Form<TopicInput>,
) -> AppResult<Response> {
    let r = create(&state, &caller, &input).await.map(|_| ());
    answer(&state, &caller, r).await
}

async fn update_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<TopicId>,
    Form(mut input): Form<TopicInput>,
) -> AppResult<Response> {
    // An unticked box is absent from the form: absent means inactive here.
    input.active = Some(input.active.unwrap_or_else(|| "0".into()));
    let r = change(&state, &caller, id, &input).await;
    answer(&state, &caller, r).await
}

/// The topic list (every logged-in user may read it).
#[utoipa::path(get, path = "/api/v1/topics", tag = "topics", responses((status = 200, body = [TopicRow])),
    security(("bearer" = [])))]
async fn api_list(
    State(state): State<AppState>,
    _caller: Caller,
) -> AppResult<Json<Vec<TopicRow>>> {
    Ok(Json(all(&state.db).await?))
}

/// Add a topic (admins of a top-level federation).
#[utoipa::path(post, path = "/api/v1/topics", tag = "topics", request_body = TopicInput,
    responses((status = 201, body = TopicRow), (status = 403), (status = 422, body = crate::web::errors::ErrorBody)),
    security(("bearer" = [])))]
async fn api_create(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<TopicInput>,
) -> AppResult<Response> {
    let id = create(&state, &caller, &input).await?;
    let row = all(&state.db)
        .await?
        .into_iter()
        .find(|t| t.id == id)
        .ok_or(AppError::NotFound)?;
    Ok((StatusCode::CREATED, Json(row)).into_response())
}

/// Rename, reorder, deactivate or reactivate a topic.
#[utoipa::path(patch, path = "/api/v1/topics/{id}", tag = "topics", params(("id" = i64, Path)),
    request_body = TopicInput,
    responses((status = 200, body = TopicRow), (status = 403), (status = 404), (status = 422, body = crate::web::errors::ErrorBody)),
    security(("bearer" = [])))]
async fn api_update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<TopicId>,
    Json(input): Json<TopicInput>,
) -> AppResult<Json<TopicRow>> {
    let current = all(&state.db)
        .await?
        .into_iter()
        .find(|t| t.id == id)
        .ok_or(AppError::NotFound)?;
    // A PATCH keeps what it does not name.
    let merged = TopicInput {
        code: None,
        name_zh: input.name_zh.or(Some(current.name_zh)),
        name_en: input.name_en.or(Some(current.name_en)),
        display_order: input
            .display_order
            .or(Some(current.display_order.to_string())),
        active: input.active.or(Some(current.active.to_string())),
    };
    change(&state, &caller, id, &merged).await?;
    all(&state.db)
        .await?
        .into_iter()
        .find(|t| t.id == id)
        .map(Json)
        .ok_or(AppError::NotFound)
}
