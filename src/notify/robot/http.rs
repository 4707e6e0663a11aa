//! The robot page of an org (`/orgs/{id}/robots`) and its API. Readers of the
//! org see the robots (masked) and the recent deliveries; admins over the org
//! change them and send a test message. Outside the org's readers: 404; a
//! reader who is not an admin over it: 403 on writes.

use crate::web::{Form, Json, Path};
use askama::Template;
use axum::{
    Router,
    extract::State,
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use serde::{Deserialize, Serialize};

use super::{
    Platform, RobotView, RobotsInput,
    store::{self, DeliveryView},
};
use crate::{
    audit::{self, Action, Entry},
    auth::{Caller, Need},
    db::OrgId,
    error::{AppError, AppResult},
    org::{self, Org},
    web::{
        AppState,
        page::{Chrome, render},
    },
};

/// How many deliveries the page and the API list.
const RECENT: i64 = 30;

/// The routes of the robot page and API.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/orgs/{id}/robots", get(page).post(save_page))
        .route("/orgs/{id}/robots/test", post(test_page))
        .route("/api/v1/orgs/{id}/robots", get(api_get).put(api_put))
        .route("/api/v1/orgs/{id}/robots/test", post(api_test))
}

/// An org's robots and their recent deliveries.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Robots {
    pub org_id: OrgId,
    /// One entry per platform, configured or not; addresses and secrets masked.
    pub robots: Vec<RobotView>,
    /// The newest deliveries, each with its attempts.
    pub deliveries: Vec<DeliveryView>,
}

/// Which robot a test message goes to.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct TestInput {
    pub platform: Platform,
}

/// The org, read through the caller's scope (404 outside it).
async fn org_for(state: &AppState, caller: &Caller, id: OrgId) -> AppResult<Org> {
    org::store::get(&state.db, &caller.scope(Need::Read), id)
        .await?
        .ok_or(AppError::NotFound)
}

/// The org for a write: 404 outside the caller's reach, 403 without admin over it.
async fn org_for_admin(state: &AppState, caller: &Caller, id: OrgId) -> AppResult<Org> {
    let org = org_for(state, caller, id).await?;
    if !caller.scope(Need::Admin).contains(&state.db, id).await? {
        return Err(AppError::Forbidden);
    }
    Ok(org)
}

async fn load(state: &AppState, caller: &Caller, id: OrgId) -> AppResult<Robots> {
    let scope = caller.scope(Need::Read);
    let robots = store::robots(&state.db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let deliveries = store::deliveries(&state.db, &scope, id, RECENT)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Robots {
        org_id: id,
        robots,
        deliveries,
    })
}

/// Saves the changes with their audit entry, in one transaction.
async fn save(state: &AppState, caller: &Caller, id: OrgId, input: &RobotsInput) -> AppResult<()> {
    org_for_admin(state, caller, id).await?;
    let changes = input.parse().map_err(AppError::Validation)?;
    let mut tx = state.db.begin().await?;
    let done = store::save(&mut tx, id, &changes, caller.user_id).await?;
    if !done.is_empty() {
        audit::store::record(
            &mut *tx,
            &Entry::by(caller, id, Action::RobotsUpdated)
                .target(format!("org:{id}"))
                .detail(done.join("; ")),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Queues a test message and posts it at once; returns the delivery.
async fn test(
    state: &AppState,
    caller: &Caller,
    id: OrgId,
    platform: Platform,
) -> AppResult<DeliveryView> {
    let org = org_for_admin(state, caller, id).await?;
    let lang = crate::i18n::Lang::Zh;
    let subject = lang.t("robot-test-subject");
    let text = lang.ta("robot-test-text", &[("org", org.name.clone())]);
    let mut tx = state.db.begin().await?;
    let delivery = store::queue_test(
        &mut tx,
        id,
        platform,
        &subject,
        &text,
        &format!("/orgs/{id}/robots"),
    )
    .await?
    .ok_or_else(|| AppError::field("platform", "err-robot-not-configured"))?;
    audit::store::record(
        &mut *tx,
        &Entry::by(caller, id, Action::RobotTested)
            .target(format!("org:{id}"))
            .detail(platform.as_str()),
    )
    .await?;
    tx.commit().await?;
    super::deliver_now(&state.db, &state.settings, delivery, crate::db::now()).await?;
    let list = store::deliveries(&state.db, &caller.scope(Need::Read), id, RECENT)
        .await?
        .unwrap_or_default();
    list.into_iter()
        .find(|d| d.id == delivery)
        .ok_or(AppError::NotFound)
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
    errors: Vec<(String, String)>,
}

impl RobotsPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
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
    errors: Vec<(String, String)>,
) -> AppResult<RobotsPage> {
    let org = org_for(state, caller, id).await?;
    let can_admin = caller.scope(Need::Admin).contains(&state.db, id).await?;
    Ok(RobotsPage {
        c: Chrome::for_caller(caller, &format!("/orgs/{id}/robots")),
        data: load(state, caller, id).await?,
        org,
        can_admin,
        form,
        errors,
    })
}

async fn page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<OrgId>,
) -> AppResult<Response> {
    render(robots_page(&state, &caller, id, None, Vec::new()).await?)
}

async fn save_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<OrgId>,
    Form(form): Form<RobotsForm>,
) -> AppResult<Response> {
    match save(&state, &caller, id, &form.input()).await {
        Ok(()) => Ok(Redirect::to(&format!("/orgs/{id}/robots")).into_response()),
        Err(AppError::Validation(errs)) => {
            let errors = errs
                .iter()
                .map(|e| (e.field.clone(), e.message(caller.lang)))
                .collect();
            let page = robots_page(&state, &caller, id, Some(form), errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
        Err(e) => Err(e),
    }
}

/// The test button's form.
#[derive(Clone, Debug, Deserialize)]
pub struct TestForm {
    pub platform: String,
}

async fn test_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<OrgId>,
    Form(f): Form<TestForm>,
) -> AppResult<Response> {
    let platform = Platform::parse(&f.platform).ok_or(AppError::BadRequest("platform"))?;
    test(&state, &caller, id, platform).await?;
    Ok(Redirect::to(&format!("/orgs/{id}/robots#deliveries")).into_response())
}

/// An org's group robots (addresses and secrets masked) and their recent deliveries with every attempt.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/robots", tag = "notifications", params(("id" = i64, Path)),
    responses((status = 200, body = Robots), (status = 404, body = crate::web::errors::ErrorBody)),
    security(("bearer" = [])))]
pub async fn api_get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<OrgId>,
) -> AppResult<Json<Robots>> {
    Ok(Json(load(&state, &caller, id).await?))
}

/// Changes an org's group robots (admins over the org). Absent fields stay as they are; an empty
/// webhook removes that robot; an empty `dingtalk_secret` clears it; masked values sent back change nothing.
#[utoipa::path(put, path = "/api/v1/orgs/{id}/robots", tag = "notifications", params(("id" = i64, Path)),
    request_body = RobotsInput,
    responses((status = 200, body = Robots), (status = 403, body = crate::web::errors::ErrorBody),
        (status = 404, body = crate::web::errors::ErrorBody), (status = 422, body = crate::web::errors::ErrorBody)),
    security(("bearer" = [])))]
pub async fn api_put(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<OrgId>,
    Json(input): Json<RobotsInput>,
) -> AppResult<Json<Robots>> {
    save(&state, &caller, id, &input).await?;
    Ok(Json(load(&state, &caller, id).await?))
}

/// Posts a test message to one of the org's robots now (admins over the org) and answers the
/// delivery with its attempt. A failed test is not retried.
#[utoipa::path(post, path = "/api/v1/orgs/{id}/robots/test", tag = "notifications", params(("id" = i64, Path)),
    request_body = TestInput,
    responses((status = 200, body = DeliveryView), (status = 403, body = crate::web::errors::ErrorBody),
        (status = 404, body = crate::web::errors::ErrorBody), (status = 422, body = crate::web::errors::ErrorBody)),
    security(("bearer" = [])))]
pub async fn api_test(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<OrgId>,
    Json(input): Json<TestInput>,
) -> AppResult<Json<DeliveryView>> {
    Ok(Json(test(&state, &caller, id, input.platform).await?))
}
