//! The notification page and API. Every route works on the caller's own
//! notifications only: another user's id answers 404.

use crate::web::{Form, Json, Path, Query};
use askama::Template;
use axum::{
    Router,
    extract::State,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use serde::{Deserialize, Serialize};
use utoipa::OpenApi;

use super::{
    Kind,
    store::{self, NoticeGroup, Notification},
};
use crate::{
    auth::Caller,
    date::Day,
    error::{AppError, AppResult},
    web::{
        AppState,
        page::{Chrome, render},
    },
};

/// How many notifications a list shows.
const LIMIT: i64 = 200;

/// The routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/notifications", get(page))
        .route("/notifications/read-all", post(read_all_page))
        .route("/notifications/{id}/open", post(open_page))
        .route("/notifications/{id}/read", post(read_page))
        .route("/api/v1/notifications", get(api_list))
        .route("/api/v1/notifications/unread", get(api_unread))
        .route("/api/v1/notifications/read-all", post(api_read_all))
        .route("/api/v1/notifications/{id}/read", post(api_read))
        .route("/notifications/groups/read", post(read_group_page))
        .route("/api/v1/notifications/groups", get(api_groups))
        .route("/api/v1/notifications/groups/read", post(api_read_group))
        .merge(super::robot::http::routes())
}

/// This module's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(api_list, api_unread, api_read, api_read_all, api_groups, api_read_group,
        super::robot::http::api_get, super::robot::http::api_put, super::robot::http::api_test),
    components(schemas(Notification, Kind, Unread, ReadResult, NoticeGroup, GroupRef,
        super::robot::Platform, super::robot::RobotView, super::robot::RobotsInput,
        super::robot::http::Robots, super::robot::http::TestInput,
        super::robot::store::DeliveryView, super::robot::store::AttemptView)),
    tags((name = "notifications", description = "The caller's reminders (deadlines, overdue problems, escalations, returned plans, chases), grouped per kind and day, and the group robots (WeCom, DingTalk) each org's notifications are posted to"))
)]
pub struct ApiDoc;

/// Query of the list.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct ListParams {
    /// `yes`: unread only.
    pub unread: Option<String>,
    /// `day`: answer the groups (one per kind per day, as `/api/v1/notifications/groups`).
    pub group: Option<String>,
    /// Only this kind (with `day`: one group's notices).
    pub kind: Option<String>,
    /// Only this day in Beijing, `YYYY-MM-DD` (with `kind`).
    pub day: Option<String>,
}

impl ListParams {
    fn unread_only(&self) -> bool {
        matches!(self.unread.as_deref(), Some("yes" | "true" | "1"))
    }

    /// The group asked for, if both `kind` and `day` are given; a bad value is a 400.
    fn group(&self) -> AppResult<Option<(Kind, Day)>> {
        match (self.kind.as_deref(), self.day.as_deref()) {
            (None | Some(""), None | Some("")) => Ok(None),
            (Some(k), Some(d)) => {
                let kind = Kind::parse(k).ok_or(AppError::BadRequest("kind"))?;
                let day = Day::parse_str(d).ok_or(AppError::BadRequest("day"))?;
                Ok(Some((kind, day)))
            }
            _ => Err(AppError::BadRequest("kind and day")),
        }
    }
}

/// A group: one kind on one day.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct GroupRef {
    pub kind: Kind,
    /// `YYYY-MM-DD`, a day in Beijing.
    pub day: String,
}

impl GroupRef {
    fn day(&self) -> AppResult<Day> {
        Day::parse_str(&self.day).ok_or_else(|| AppError::field("day", "err-date"))
    }
}

/// The unread count (the badge in the menu).
#[derive(Clone, Copy, Debug, Serialize, utoipa::ToSchema)]
pub struct Unread {
    /// Unread notifications.
    pub unread: i64,
    /// Groups (kind and day) with unread notifications: the number on the bell.
    pub groups: i64,
}

/// How many notifications a mark changed.
#[derive(Clone, Copy, Debug, Serialize, utoipa::ToSchema)]
pub struct ReadResult {
    pub marked: u64,
    pub unread: i64,
}

#[derive(Template)]
#[template(path = "notify/list.html")]
struct ListPage {
    c: Chrome,
    /// The groups, newest first (the default view).
    groups: Vec<NoticeGroup>,
    /// The group the page shows, if it shows one...
    head: Option<NoticeGroup>,
    /// ...and its notices.
    items: Vec<Notification>,
    unread: i64,
    unread_only: bool,
}

impl ListPage {
    fn kind_label(&self, kind: &Kind) -> String {
        self.c.t(&format!("notify-kind-{}", kind.as_str()))
    }
}

async fn page(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ListParams>,
) -> AppResult<Response> {
    let unread = store::unread(&state.db, caller.user_id).await?;
    let today = Day::today();
    let (groups, head, items) = match p.group()? {
        Some((kind, day)) => {
            let items =
                store::list_group(&state.db, caller.user_id, kind, day, LIMIT, caller.lang).await?;
            let head = NoticeGroup {
                kind,
                day: day.iso(),
                count: items.len() as i64,
                unread: items.iter().filter(|n| n.read_at.is_none()).count() as i64,
                text: caller.lang.ta(
                    &format!("notify-group-{}", kind.as_str()),
                    &[
                        ("n", caller.lang.number(items.len() as i64)),
                        ("day", store::day_label(caller.lang, day, today)),
                    ],
                ),
                link: String::new(),
                notification_id: None,
                latest_at: items.first().map_or(0, |n| n.created_at),
            };
            (Vec::new(), Some(head), items)
        }
        None => (
            store::groups(
                &state.db,
                caller.user_id,
                p.unread_only(),
                LIMIT,
                caller.lang,
                today,
            )
            .await?,
            None,
            Vec::new(),
        ),
    };
    render(ListPage {
        c: Chrome::for_caller(&caller, "/notifications"),
        groups,
        head,
        items,
        unread,
        unread_only: p.unread_only(),
    })
}

async fn read_all_page(State(state): State<AppState>, caller: Caller) -> AppResult<Response> {
    store::mark_all_read(&state.db, caller.user_id).await?;
    Ok(Redirect::to("/notifications").into_response())
}

/// The form of "mark this group read".
#[derive(Clone, Debug, Deserialize)]
pub struct GroupForm {
    pub kind: String,
    pub day: String,
    /// `list`: back to the group's own list rather than to the groups.
    pub back: Option<String>,
}

async fn read_group_page(
    State(state): State<AppState>,
    caller: Caller,
    Form(f): Form<GroupForm>,
) -> AppResult<Response> {
    let kind = Kind::parse(&f.kind).ok_or(AppError::BadRequest("kind"))?;
    let day = Day::parse_str(&f.day).ok_or(AppError::BadRequest("day"))?;
    store::mark_group_read(&state.db, caller.user_id, kind, day).await?;
    let to = if f.back.as_deref() == Some("list") {
        format!("/notifications?kind={}&day={}", kind.as_str(), day.iso())
    } else {
        "/notifications".to_string()
    };
    Ok(Redirect::to(&to).into_response())
}

/// Marks read and goes to the record.
async fn open_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let link = store::mark_read(&state.db, caller.user_id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    // Links are written by this code, but a stored one must still never send
    // the browser off-site or break the Location header.
    let link = crate::web::local_path::same_origin_path(&link).unwrap_or("/notifications");
    Ok(Redirect::to(link).into_response())
}

async fn read_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    store::mark_read(&state.db, caller.user_id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Redirect::to("/notifications").into_response())
}

/// The caller's notifications, newest first (at most 200); `kind` and `day` together: one
/// group's notices. With `group=day` the answer is the groups instead (see
/// `/api/v1/notifications/groups`).
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications", params(ListParams),
    responses((status = 200, body = Vec<Notification>), (status = 400), (status = 401)), security(("bearer" = [])))]
pub async fn api_list(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ListParams>,
) -> AppResult<Response> {
    if p.group.as_deref() == Some("day") {
        let groups = store::groups(
            &state.db,
            caller.user_id,
            p.unread_only(),
            LIMIT,
            caller.lang,
            Day::today(),
        )
        .await?;
        return Ok(Json(groups).into_response());
    }
    let list = match p.group()? {
        Some((kind, day)) => {
            store::list_group(&state.db, caller.user_id, kind, day, LIMIT, caller.lang).await?
        }
        None => {
            store::list(
                &state.db,
                caller.user_id,
                p.unread_only(),
                LIMIT,
                caller.lang,
            )
            .await?
        }
    };
    Ok(Json(list).into_response())
}

/// Query of the groups.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct GroupParams {
    /// `yes`: groups with unread notices only.
    pub unread: Option<String>,
}

/// The caller's notifications grouped: one entry per kind per day (in Beijing), newest first,
/// with the count and a link to the group's list (a group of one links to its record).
#[utoipa::path(get, path = "/api/v1/notifications/groups", tag = "notifications", params(GroupParams),
    responses((status = 200, body = Vec<NoticeGroup>), (status = 401)), security(("bearer" = [])))]
pub async fn api_groups(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<GroupParams>,
) -> AppResult<Json<Vec<NoticeGroup>>> {
    let unread_only = matches!(p.unread.as_deref(), Some("yes" | "true" | "1"));
    Ok(Json(
        store::groups(
            &state.db,
            caller.user_id,
            unread_only,
            LIMIT,
            caller.lang,
            Day::today(),
        )
        .await?,
    ))
}

/// Marks every notification of one group (kind and day) read.
#[utoipa::path(post, path = "/api/v1/notifications/groups/read", tag = "notifications",
    request_body = GroupRef, responses((status = 200, body = ReadResult), (status = 422)),
    security(("bearer" = [])))]
pub async fn api_read_group(
    State(state): State<AppState>,
    caller: Caller,
    Json(g): Json<GroupRef>,
) -> AppResult<Json<ReadResult>> {
    let marked = store::mark_group_read(&state.db, caller.user_id, g.kind, g.day()?).await?;
    Ok(Json(ReadResult {
        marked,
        unread: store::unread(&state.db, caller.user_id).await?,
    }))
}

/// How many of the caller's notifications are unread.
#[utoipa::path(get, path = "/api/v1/notifications/unread", tag = "notifications",
    responses((status = 200, body = Unread), (status = 401)), security(("bearer" = [])))]
pub async fn api_unread(State(state): State<AppState>, caller: Caller) -> AppResult<Json<Unread>> {
    Ok(Json(Unread {
        unread: store::unread(&state.db, caller.user_id).await?,
        groups: store::unread_groups(&state.db, caller.user_id).await?,
    }))
}

/// Marks one notification read.
#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "notifications",
    params(("id" = i64, Path)), responses((status = 200, body = ReadResult), (status = 404)),
    security(("bearer" = [])))]
pub async fn api_read(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> AppResult<Json<ReadResult>> {
    store::mark_read(&state.db, caller.user_id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(ReadResult {
        marked: 1,
        unread: store::unread(&state.db, caller.user_id).await?,
    }))
}

/// Marks all of the caller's notifications read.
#[utoipa::path(post, path = "/api/v1/notifications/read-all", tag = "notifications",
    responses((status = 200, body = ReadResult)), security(("bearer" = [])))]
pub async fn api_read_all(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Json<ReadResult>> {
    let marked = store::mark_all_read(&state.db, caller.user_id).await?;
    Ok(Json(ReadResult { marked, unread: 0 }))
}
