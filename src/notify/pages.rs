//! The notification pages (the caller's own notices, grouped per kind and
//! day) and an org's robot page (`/orgs/{id}/robots`): readers of the org see
//! the robots (masked) and the recent deliveries; admins over the org change
//! them and send a test message.

use askama::Template;
use axum::{
    extract::State,
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;

use super::{
    Kind, LIMIT, ListParams, ops,
    robot::{Platform, RobotView, Robots, RobotsInput},
    store::{self, NoticeGroup, Notification},
};
use crate::{
    auth::{Caller, Need},
    date::Day,
    db::OrgId,
    error::{AppError, AppResult},
    org::Org,
    web::{
        AppState, Form, Path, Query,
        form::{FieldMessages, submitted},
        page::{Chrome, render},
    },
};

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

/// `GET /notifications`: the groups, or one group's notices.
pub(super) async fn list(
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

/// `POST /notifications/read-all`.
pub(super) async fn read_all(State(state): State<AppState>, caller: Caller) -> AppResult<Response> {
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

/// `POST /notifications/groups/read`.
pub(super) async fn read_group(
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
pub(super) async fn open(
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

/// `POST /notifications/{id}/read`.
pub(super) async fn read(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    store::mark_read(&state.db, caller.user_id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Redirect::to("/notifications").into_response())
}

#[derive(Template)]
#[template(path = "notify/robots.html")]
struct RobotsPage {
    c: Chrome,
    org: Org,
    data: Robots,
    can_admin: bool,
    /// The form as sent, when it had errors.
    form: Option<RobotsForm>,
    errors: FieldMessages,
}

impl RobotsPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field)
    }

    fn robot(&self, p: &str) -> Option<&RobotView> {
        self.data.robots.iter().find(|r| r.platform.as_str() == p)
    }

    /// The value the address field shows: what was sent, else the masked address.
    fn webhook_value(&self, p: &str) -> String {
        if let Some(f) = &self.form {
            return match p {
                "wecom" => f.wecom_webhook.clone(),
                _ => f.dingtalk_webhook.clone(),
            }
            .unwrap_or_default();
        }
        self.robot(p)
            .and_then(|r| r.webhook.clone())
            .unwrap_or_default()
    }

    fn enabled(&self, p: &str) -> bool {
        if let Some(f) = &self.form {
            return match p {
                "wecom" => f.wecom_enabled.is_some(),
                _ => f.dingtalk_enabled.is_some(),
            };
        }
        self.robot(p).is_some_and(|r| r.enabled || !r.configured)
    }

    fn configured(&self, p: &str) -> bool {
        self.robot(p).is_some_and(|r| r.configured)
    }

    fn secret(&self) -> String {
        self.robot("dingtalk")
            .and_then(|r| r.secret.clone())
            .unwrap_or_default()
    }

    fn status_key(&self, status: &str) -> String {
        format!("robot-status-{status}")
    }

    fn kind_text(&self, kind: &str) -> String {
        if kind == "test" {
            self.c.t("robot-kind-test")
        } else {
            self.c.t(&format!("notify-kind-{kind}"))
        }
    }
}

/// The robot form as the page sends it (unchecked boxes are absent).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct RobotsForm {
    pub wecom_webhook: Option<String>,
    pub wecom_enabled: Option<String>,
    pub dingtalk_webhook: Option<String>,
    pub dingtalk_secret: Option<String>,
    pub dingtalk_secret_clear: Option<String>,
    pub dingtalk_enabled: Option<String>,
}

impl RobotsForm {
    fn input(&self) -> RobotsInput {
        let secret = if self.dingtalk_secret_clear.is_some() {
            Some(String::new())
        } else {
            // An empty secret field keeps the stored secret (it is never shown).
            self.dingtalk_secret
                .clone()
                .filter(|s| !s.trim().is_empty())
        };
        RobotsInput {
            wecom_webhook: Some(self.wecom_webhook.clone().unwrap_or_default()),
            wecom_enabled: Some(self.wecom_enabled.is_some()),
            dingtalk_webhook: Some(self.dingtalk_webhook.clone().unwrap_or_default()),
            dingtalk_secret: secret,
            dingtalk_enabled: Some(self.dingtalk_enabled.is_some()),
        }
    }
}

async fn robots_page(
    state: &AppState,
    caller: &Caller,
    id: OrgId,
    form: Option<RobotsForm>,
    errors: FieldMessages,
) -> AppResult<RobotsPage> {
    let org = ops::org_for(&state.db, caller, id).await?;
    let can_admin = caller.scope(Need::Admin).contains(&state.db, id).await?;
    Ok(RobotsPage {
        c: Chrome::for_caller(caller, &format!("/orgs/{id}/robots")),
        data: ops::robots(&state.db, caller, id).await?,
        org,
        can_admin,
        form,
        errors,
    })
}

/// `GET /orgs/{id}/robots`.
pub(super) async fn robots(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<OrgId>,
) -> AppResult<Response> {
    render(robots_page(&state, &caller, id, None, FieldMessages::default()).await?)
}

/// `POST /orgs/{id}/robots`.
pub(super) async fn save_robots(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<OrgId>,
    Form(form): Form<RobotsForm>,
) -> AppResult<Response> {
    let saved = ops::save_robots(&state.db, &caller, id, &form.input()).await;
    submitted(
        &caller,
        saved,
        |()| format!("/orgs/{id}/robots"),
        |errors| robots_page(&state, &caller, id, Some(form), errors),
    )
    .await
}

/// The test button's form.
#[derive(Clone, Debug, Deserialize)]
pub struct TestForm {
    pub platform: String,
}

/// `POST /orgs/{id}/robots/test`.
pub(super) async fn test_robot(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<OrgId>,
    Form(f): Form<TestForm>,
) -> AppResult<Response> {
    let platform = Platform::parse(&f.platform).ok_or(AppError::BadRequest("platform"))?;
    ops::test_robot(&state.db, &state.settings, &caller, id, platform).await?;
    Ok(Redirect::to(&format!("/orgs/{id}/robots#deliveries")).into_response())
}
