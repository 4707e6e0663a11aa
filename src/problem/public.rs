//! The public side: a page per org where a worker raises a problem from a phone
//! without logging in or giving personal data, and the receipt page where the
//! code they were given shows that problem's status and feedback — nothing else.

use std::net::SocketAddr;

use askama::Template;
use axum::{
    Form, Json, Router,
    extract::{ConnectInfo, Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use serde::{Deserialize, Serialize};
use utoipa::OpenApi;

use super::{
    Feedback, Problem, ProblemInput, Source, Topic,
    store::{self, Origin, normalise_receipt},
};
use crate::{
    activity::valid_client_id,
    auth::random_token,
    date::Day,
    db::{CampaignId, OrgId},
    enterprise::WorkerGroup,
    error::{AppError, AppResult, FieldError},
    i18n::Lang,
    web::{
        AppState,
        client::client_ip,
        form::Errors,
        page::{Chrome, render},
    },
};

/// The routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/p/{code}", get(form_page).post(submit_page))
        .route("/p/{code}/qr.svg", get(qr_svg))
        .route("/p/{code}/qr.png", get(qr_png))
        .route("/p/{code}/poster", get(poster_page))
        .route("/receipt", get(lookup_page))
        .route("/receipt/{code}", get(receipt_page))
        .route("/api/v1/receipts/{code}", get(api_receipt))
}

/// This module's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(api_receipt), components(schemas(Receipt)),
    tags((name = "public", description = "What anyone may see without logging in")))]
pub struct ApiDoc;

/// An org that takes problems from the public: active, and not a federation's
/// internal department.
#[derive(Clone, Debug, sqlx::FromRow)]
struct IntakeOrg {
    id: OrgId,
    code: String,
    name: String,
}

async fn intake_org(state: &AppState, code: &str) -> AppResult<IntakeOrg> {
    sqlx::query_as(
        "SELECT id, code, name FROM orgs WHERE code = $1 AND active = 1 AND kind <> 'department'",
    )
    .bind(code.trim().to_ascii_uppercase())
    .fetch_optional(state.db.pool())
    .await?
    .ok_or(AppError::NotFound)
}

/// The newest active campaign issued at or above the org, which public problems join.
async fn campaign_for(state: &AppState, org: OrgId) -> AppResult<Option<CampaignId>> {
    Ok(sqlx::query_scalar(
        "SELECT c.id FROM campaigns c JOIN org_tree t ON t.ancestor_id = c.org_id \
         WHERE t.descendant_id = $1 AND c.status = 'active' ORDER BY c.starts_on DESC, c.id DESC LIMIT 1",
    )
    .bind(org)
    .fetch_optional(state.db.pool())
    .await?)
}

/// What a worker types on the public page.
#[derive(Deserialize, Default, Debug, Clone)]
struct PublicForm {
    client_id: Option<String>,
    source: Option<String>,
    topic: Option<String>,
    worker_group: Option<String>,
    description: Option<String>,
    raiser_name: Option<String>,
    raiser_contact: Option<String>,
}

#[derive(Template)]
#[template(path = "problem/public_form.html")]
struct FormPage {
    c: Chrome,
    org: IntakeOrg,
    input: PublicForm,
    errors: Vec<(String, String)>,
    sources: Vec<Source>,
    topics: Vec<Topic>,
    groups: Vec<WorkerGroup>,
}

impl FormPage {
    fn value<'a>(&self, v: &'a Option<String>) -> &'a str {
        v.as_deref().unwrap_or("")
    }

    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }
}

async fn page(
    state: &AppState,
    lang: Lang,
    org: IntakeOrg,
    input: PublicForm,
    errors: Vec<(String, String)>,
) -> AppResult<FormPage> {
    Ok(FormPage {
        c: Chrome::bare(lang, &format!("/p/{}", org.code)),
        org,
        input,
        errors,
        sources: Source::ALL.to_vec(),
        topics: store::topics(&state.db).await?,
        groups: WorkerGroup::ALL.to_vec(),
    })
}

async fn form_page(
    State(state): State<AppState>,
    lang: Lang,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let org = intake_org(&state, &code).await?;
    let input = PublicForm {
        client_id: Some(random_token(12)),
        source: Some("worker".into()),
        ..Default::default()
    };
    render(page(&state, lang, org, input, Vec::new()).await?)
}

async fn submit_page(
    State(state): State<AppState>,
    lang: Lang,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(code): Path<String>,
    Form(input): Form<PublicForm>,
) -> AppResult<Response> {
    let org = intake_org(&state, &code).await?;
    let mut errs = Errors::default();
    let client_id = input.client_id.clone().unwrap_or_default();
    if !valid_client_id(client_id.trim()) {
        errs.push(FieldError::new("client_id", "err-client-id"));
    }
    let fields = ProblemInput {
        source: input.source.clone(),
        topic: input.topic.clone(),
        worker_group: input.worker_group.clone(),
        description: input.description.clone(),
        raiser_name: input.raiser_name.clone(),
        raiser_contact: input.raiser_contact.clone(),
        is_main: None,
        enterprise_id: None,
    }
    .parse_into("", &mut errs);
    if let Err(AppError::Validation(fs)) = errs.finish() {
        let errors = fs
            .iter()
            .map(|f| (f.field.clone(), f.message(lang)))
            .collect();
        let page = page(&state, lang, org, input, errors).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(page)?).into_response());
    }
    let fields = fields.ok_or(AppError::BadRequest("unparsed problem"))?;
    let client_id = client_id.trim().to_string();
    // A retry of the same form finds the first record before it counts against the limit.
    let mut tx = state.db.begin().await?;
    if let Some(id) = store::id_by_client(&mut tx, org.id, &client_id).await? {
        drop(tx);
        return redirect_to_receipt(&state, id).await;
    }
    if !state.limiter.allow(&format!(
        "intake:{}",
        client_ip(addr.ip(), &headers, &state.settings.server.trusted_proxies)
    )) {
        return Err(AppError::TooManyRequests);
    }
    let origin = Origin {
        org: org.id,
        client_id: client_id.clone(),
        campaign: campaign_for(&state, org.id).await?,
        activity: None,
        user: None,
        actor: lang.t("public-actor"),
        public: true,
    };
    let id = match store::insert(&mut tx, &origin, &fields).await? {
        Some(id) => {
            tx.commit().await?;
            id
        }
        None => {
            let id = store::id_by_client(&mut tx, org.id, &client_id)
                .await?
                .ok_or(AppError::NotFound)?;
            drop(tx);
            id
        }
    };
    redirect_to_receipt(&state, id).await
}

async fn redirect_to_receipt(state: &AppState, id: crate::db::ProblemId) -> AppResult<Response> {
    let code: Option<String> =
        sqlx::query_scalar("SELECT receipt_code FROM problems WHERE id = $1")
            .bind(id)
            .fetch_one(state.db.pool())
            .await?;
    let code = code.ok_or(AppError::NotFound)?;
    Ok(Redirect::to(&format!("/receipt/{code}?new=1")).into_response())
}

/// What a receipt code shows: the problem as raised, where it stands, and the feedback.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ProblemReceipt)]
pub struct Receipt {
    pub code: String,
    pub description: String,
    /// The org it was raised to.
    pub org_name: String,
    pub raised_on: Day,
    /// open, solved, in_progress, planned, reference or closed.
    pub status: String,
    /// The date of the outcome: solved on, the completion deadline or the planned date.
    pub outcome_on: Option<Day>,
    /// What was done (or how it will be).
    pub outcome_note: Option<String>,
    /// Whether it was passed to a higher union to solve.
    pub escalated: bool,
    pub feedback: Vec<Feedback>,
}

impl Receipt {
    fn of(code: String, p: Problem, feedback: Vec<Feedback>) -> Receipt {
        let outcome = p.state.outcome();
        Receipt {
            code,
            description: p.description.clone(),
            org_name: p.org_name.clone(),
            raised_on: Day::of_timestamp(p.created_at),
            status: p.state.label().to_string(),
            outcome_on: outcome.and_then(|o| o.day()),
            outcome_note: outcome.and_then(|o| o.note()).map(str::to_string),
            escalated: p.escalated,
            // Who gave the feedback is internal; the worker sees what they were told.
            feedback: feedback
                .into_iter()
                .map(|f| Feedback {
                    actor: String::new(),
                    ..f
                })
                .collect(),
        }
    }
}

/// Finds a receipt; repeated misses from one address are refused, so codes
/// cannot be guessed by trying.
async fn find(
    state: &AppState,
    addr: SocketAddr,
    headers: &HeaderMap,
    raw: &str,
) -> AppResult<Receipt> {
    let client = client_ip(addr.ip(), headers, &state.settings.server.trusted_proxies);
    let miss = || {
        if state.limiter.allow(&format!("receipt-miss:{}", client)) {
            AppError::NotFound
        } else {
            AppError::TooManyRequests
        }
    };
    let Some(code) = normalise_receipt(raw) else {
        return Err(miss());
    };
    let Some(p) = store::by_receipt(&state.db, &code).await? else {
        return Err(miss());
    };
    let feedback = store::feedback(&state.db, p.id).await?;
    Ok(Receipt::of(code, p, feedback))
}

#[derive(Template)]
#[template(path = "problem/receipt.html")]
struct ReceiptPage {
    c: Chrome,
    r: Option<Receipt>,
    new: bool,
    not_found: bool,
}

impl ReceiptPage {
    fn status_key(&self, s: &str) -> String {
        format!("status-{s}")
    }
}

#[derive(Deserialize, Default)]
struct ReceiptQuery {
    code: Option<String>,
    new: Option<String>,
}

async fn lookup_page(
    State(state): State<AppState>,
    lang: Lang,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(q): Query<ReceiptQuery>,
) -> AppResult<Response> {
    let c = Chrome::bare(lang, "/receipt");
    match q.code.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => render(ReceiptPage {
            c,
            r: None,
            new: false,
            not_found: false,
        }),
        Some(raw) => match find(&state, addr, &headers, raw).await {
            Ok(r) => Ok(Redirect::to(&format!("/receipt/{}", r.code)).into_response()),
            Err(AppError::NotFound) => Ok((
                StatusCode::NOT_FOUND,
                render(ReceiptPage {
                    c,
                    r: None,
                    new: false,
                    not_found: true,
                })?,
            )
                .into_response()),
            Err(e) => Err(e),
        },
    }
}

async fn receipt_page(
    State(state): State<AppState>,
    lang: Lang,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(code): Path<String>,
    Query(q): Query<ReceiptQuery>,
) -> AppResult<Response> {
    let r = find(&state, addr, &headers, &code).await?;
    render(ReceiptPage {
        c: Chrome::bare(lang, &format!("/receipt/{}", r.code)),
        r: Some(r),
        new: q.new.is_some(),
        not_found: false,
    })
}

/// The status and feedback of the problem a receipt code belongs to (no login).
#[utoipa::path(get, path = "/api/v1/receipts/{code}", tag = "public", params(("code" = String, Path)),
    responses((status = 200, body = Receipt), (status = 404), (status = 429)), security(()))]
async fn api_receipt(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> AppResult<Json<Receipt>> {
    Ok(Json(find(&state, addr, &headers, &code).await?))
}

// ---- QR codes and the poster ----

/// The address a worker's phone opens: the public page under `server.public_url`.
fn public_link(state: &AppState, org: &IntakeOrg) -> String {
    crate::web::qr::public_url(&state.settings, "p", &org.code)
}

async fn qr_svg(State(state): State<AppState>, Path(code): Path<String>) -> AppResult<Response> {
    let org = intake_org(&state, &code).await?;
    crate::web::qr::svg_response(&public_link(&state, &org))
}

async fn qr_png(State(state): State<AppState>, Path(code): Path<String>) -> AppResult<Response> {
    let org = intake_org(&state, &code).await?;
    crate::web::qr::png_download(&public_link(&state, &org), &format!("qr-{}.png", org.code))
}

#[derive(Template)]
#[template(path = "problem/poster.html")]
struct PosterPage {
    c: Chrome,
    org: IntakeOrg,
    link: String,
    svg: String,
}

/// A page to print and post at stations and canteens: the org, the QR code, the address.
async fn poster_page(
    State(state): State<AppState>,
    lang: Lang,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let org = intake_org(&state, &code).await?;
    let link = public_link(&state, &org);
    let svg = crate::web::qr::svg_of(&link)?;
    render(PosterPage {
        c: Chrome::bare(lang, &format!("/p/{}/poster", org.code)),
        org,
        link,
        svg,
    })
}
