//! The webhook pages: `/webhooks` (the caller's subscriptions, their status
//! and last delivery), the form that creates or edits one with a checkbox per
//! event, and a subscription's page with its settings, the one-time secret
//! after creation or rotation, the test-event button and the delivery log
//! (paged) with a redeliver button per delivery. Admins only, like the API.

use askama::Template;
use axum::{
    extract::State,
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
};

use crate::web::{Form, Path, Query};

use super::{
    Disabled, Event, Subscription, WebhookInput, WebhookUpdate, code_label_key, ops,
    ops::{DeliveryPage, PageQuery},
    store,
};
use crate::{
    auth::Caller,
    db::{OrgId, WebhookDeliveryId, WebhookId},
    error::{AppError, AppResult},
    web::{
        AppState,
        form::errors_of,
        page::{Chrome, render},
    },
};

#[derive(Template)]
#[template(path = "webhook/list.html")]
struct ListPage {
    c: Chrome,
    subs: Vec<Subscription>,
}

impl ListPage {
    fn event_text(&self, code: &str) -> String {
        self.c.t(&code_label_key(code))
    }
}

/// The caller's subscriptions.
pub async fn list_page(State(state): State<AppState>, caller: Caller) -> AppResult<Response> {
    let scope = ops::admin_scope(&caller)?;
    render(ListPage {
        c: Chrome::for_caller(&caller, "/webhooks"),
        subs: store::list(&state.db, &scope).await?,
    })
}

/// The form as sent (checkboxes absent when unticked), or as it stands.
#[derive(Clone, Debug, Default)]
struct FormValues {
    org_id: Option<OrgId>,
    url: String,
    events: Vec<String>,
    active: bool,
}

impl FormValues {
    fn of(raw: &[(String, String)]) -> FormValues {
        let mut f = FormValues::default();
        for (k, v) in raw {
            match k.as_str() {
                "org_id" => f.org_id = v.trim().parse().ok().map(OrgId),
                "url" => f.url = v.clone(),
                "events" => f.events.push(v.clone()),
                "active" => f.active = true,
                _ => {}
            }
        }
        f
    }

    fn of_subscription(s: &Subscription) -> FormValues {
        FormValues {
            org_id: Some(s.org_id),
            url: s.url.clone(),
            events: s.events.iter().map(|e| e.as_str().to_string()).collect(),
            active: s.active,
        }
    }
}

#[derive(Template)]
#[template(path = "webhook/form.html")]
struct FormPage {
    c: Chrome,
    /// The subscription edited; `None` for a new one.
    sub: Option<Subscription>,
    /// The orgs a new subscription may be for (the caller's admin roots).
    orgs: Vec<(OrgId, String)>,
    form: FormValues,
    events: Vec<Event>,
    errors: Vec<(String, String)>,
}

impl FormPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field || f.starts_with(&format!("{field}[")))
            .map(|(_, m)| m.as_str())
    }

    fn checked(&self, e: &Event) -> bool {
        self.form.events.iter().any(|c| c == e.as_str())
    }

    fn org_selected(&self, id: &OrgId) -> bool {
        self.form.org_id == Some(*id)
    }

    fn action(&self) -> String {
        match &self.sub {
            Some(s) => format!("/webhooks/{}", s.id),
            None => "/webhooks".to_string(),
        }
    }
}

async fn form_page(
    state: &AppState,
    caller: &Caller,
    sub: Option<Subscription>,
    form: FormValues,
    errors: Vec<(String, String)>,
) -> AppResult<FormPage> {
    let scope = ops::admin_scope(caller)?;
    let mut orgs = Vec::new();
    for root in scope.roots() {
        if let Some(o) = crate::org::store::get(&state.db, &scope, *root).await? {
            orgs.push((o.id, o.name));
        }
    }
    let path = match &sub {
        Some(s) => format!("/webhooks/{}/edit", s.id),
        None => "/webhooks/new".to_string(),
    };
    Ok(FormPage {
        c: Chrome::for_caller(caller, &path),
        sub,
        orgs,
        form,
        events: Event::ALL.to_vec(),
        errors,
    })
}

/// The form of a new subscription.
pub async fn new_page(State(state): State<AppState>, caller: Caller) -> AppResult<Response> {
    let form = FormValues {
        org_id: Some(caller.home_org),
        active: true,
        ..FormValues::default()
    };
    render(form_page(&state, &caller, None, form, Vec::new()).await?)
}

/// Re-renders a form with its field errors (422), or passes other errors on.
async fn refused(
    state: &AppState,
    caller: &Caller,
    sub: Option<Subscription>,
    form: FormValues,
    e: AppError,
) -> AppResult<Response> {
    match errors_of(&e, caller) {
        Some(errors) => {
            let page = form_page(state, caller, sub, form, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
        None => Err(e),
    }
}

/// Creates a subscription and shows its page with the secret, this once.
pub async fn create_page(
    State(state): State<AppState>,
    caller: Caller,
    Form(raw): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let form = FormValues::of(&raw);
    let input = WebhookInput {
        org_id: form.org_id,
        url: Some(form.url.clone()),
        events: Some(form.events.clone()),
        active: Some(form.active),
    };
    match ops::subscribe(&state.db, &state.webhooks, &caller, &input).await {
        Ok(created) => {
            let page = detail(
                &state,
                &caller,
                created.subscription.id,
                &PageQuery::default(),
                Some(created.secret),
            )
            .await?;
            Ok((StatusCode::CREATED, Html(page.render()?)).into_response())
        }
        Err(e) => refused(&state, &caller, None, form, e).await,
    }
}

/// The form of an existing subscription.
pub async fn edit_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<WebhookId>,
) -> AppResult<Response> {
    let (sub, _) = ops::find(&state.db, &caller, id).await?;
    let form = FormValues::of_subscription(&sub);
    render(form_page(&state, &caller, Some(sub), form, Vec::new()).await?)
}

/// Saves the edit form.
pub async fn update_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<WebhookId>,
    Form(raw): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let (sub, _) = ops::find(&state.db, &caller, id).await?;
    let form = FormValues::of(&raw);
    let input = WebhookUpdate {
        url: Some(form.url.clone()),
        events: Some(form.events.clone()),
        active: Some(form.active),
    };
    match ops::change(&state.db, &state.webhooks, &caller, id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/webhooks/{id}")).into_response()),
        Err(e) => refused(&state, &caller, Some(sub), form, e).await,
    }
}

#[derive(Template)]
#[template(path = "webhook/detail.html")]
struct DetailPage {
    c: Chrome,
    sub: Subscription,
    page: DeliveryPage,
    /// The secret, right after it was made.
    secret: Option<String>,
}

impl DetailPage {
    fn event_text(&self, code: &str) -> String {
        self.c.t(&code_label_key(code))
    }

    fn pages(&self) -> i64 {
        (self.page.total + self.page.per_page - 1) / self.page.per_page
    }

    fn off_by_failures(&self) -> bool {
        self.sub.disabled_reason == Some(Disabled::Failures)
    }
}

async fn detail(
    state: &AppState,
    caller: &Caller,
    id: WebhookId,
    q: &PageQuery,
    secret: Option<String>,
) -> AppResult<DetailPage> {
    let (sub, page) = ops::deliveries(&state.db, caller, id, q).await?;
    Ok(DetailPage {
        c: Chrome::for_caller(caller, &format!("/webhooks/{id}")),
        sub,
        page,
        secret,
    })
}

/// A subscription with its delivery log.
pub async fn detail_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<WebhookId>,
    Query(q): Query<PageQuery>,
) -> AppResult<Response> {
    render(detail(&state, &caller, id, &q, None).await?)
}

/// Deletes a subscription.
pub async fn delete_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<WebhookId>,
) -> AppResult<Response> {
    ops::delete(&state.db, &state.webhooks, &caller, id).await?;
    Ok(Redirect::to("/webhooks").into_response())
}

/// Replaces the secret and shows the new one, this once.
pub async fn rotate_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<WebhookId>,
) -> AppResult<Response> {
    let secret = ops::rotate(&state.db, &caller, id).await?;
    render(detail(&state, &caller, id, &PageQuery::default(), Some(secret)).await?)
}

/// Sends a test event and returns to the log.
pub async fn ping_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<WebhookId>,
) -> AppResult<Response> {
    ops::ping(&state.db, &state.settings, &caller, id).await?;
    Ok(Redirect::to(&format!("/webhooks/{id}#deliveries")).into_response())
}

/// Posts a delivery's event again and returns to the log.
pub async fn redeliver_page(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, delivery)): Path<(WebhookId, WebhookDeliveryId)>,
) -> AppResult<Response> {
    ops::redeliver(&state.db, &state.settings, &caller, id, delivery).await?;
    Ok(Redirect::to(&format!("/webhooks/{id}#deliveries")).into_response())
}
