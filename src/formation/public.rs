//! The public join page of a union, `/j/{code}`: a worker joins from a phone
//! without logging in (name, mobile, worker group, employer), is rate-limited
//! per address, never stored twice for one form (client id), and gets a
//! receipt that shows where the application stands. The QR code and a
//! printable poster point at it.

use std::net::SocketAddr;

use crate::web::{Form, Json, Path, Query};
use askama::Template;
use axum::{
    Router,
    extract::{ConnectInfo, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use serde::{Deserialize, Serialize};
use utoipa::OpenApi;

use super::{
    ApplyInput, MemberGroup,
    store::{self, Link},
};
use crate::{
    auth::random_token,
    error::{AppError, AppResult},
    i18n::Lang,
    problem::store::normalise_receipt,
    web::{
        AppState,
        client::client_ip,
        page::{Chrome, render},
    },
};

/// The routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/j/{code}", get(form_page).post(submit_page))
        .route("/j/{code}/qr.svg", get(qr_svg))
        .route("/j/{code}/qr.png", get(qr_png))
        .route("/j/{code}/poster", get(poster_page))
        .route("/j/{code}/receipt/{receipt}", get(receipt_page))
        .route("/api/v1/join/{code}", post(api_apply))
}

/// This module's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(api_apply), components(schemas(ApplyInput, JoinReceipt)),
    tags((name = "public", description = "What anyone may see without logging in")))]
pub struct ApiDoc;

async fn link(state: &AppState, code: &str) -> AppResult<Link> {
    store::link_by_code(&state.db, code.trim())
        .await?
        .ok_or(AppError::NotFound)
}

#[derive(Template)]
#[template(path = "formation/join.html")]
struct JoinPage {
    c: Chrome,
    link: Link,
    input: ApplyInput,
    errors: Vec<(String, String)>,
    groups: Vec<MemberGroup>,
}

impl JoinPage {
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

fn page(lang: Lang, link: Link, input: ApplyInput, errors: Vec<(String, String)>) -> JoinPage {
    JoinPage {
        c: Chrome::bare(lang, &format!("/j/{}", link.code)),
        link,
        input,
        errors,
        groups: MemberGroup::ALL.to_vec(),
    }
}

async fn form_page(
    State(state): State<AppState>,
    lang: Lang,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let link = link(&state, &code).await?;
    let input = ApplyInput {
        client_id: Some(random_token(12)),
        ..Default::default()
    };
    render(page(lang, link, input, Vec::new()))
}

/// What the worker is told after applying.
#[derive(Serialize, utoipa::ToSchema)]
pub struct JoinReceipt {
    /// Keep it to look the application up: `/j/{code}/receipt/{receipt_code}`.
    pub receipt_code: String,
    /// The union applied to.
    pub org_name: String,
    /// pending, confirmed or declined.
    pub status: String,
    /// False when this was a retry of an application already stored.
    pub created: bool,
}

/// Checks and stores an application: a retry of the same form (same client id)
/// finds the first before it counts against the per-address limit.
async fn apply(
    state: &AppState,
    addr: SocketAddr,
    headers: &HeaderMap,
    link: &Link,
    input: &ApplyInput,
) -> AppResult<(String, bool)> {
    let f = input.parse()?;
    let mut tx = state.db.begin().await?;
    if let Some(receipt) = store::receipt_of(&mut tx, link.org_id, &f.client_id).await? {
        return Ok((receipt, false));
    }
    let client = client_ip(addr.ip(), headers, &state.settings.server.trusted_proxies);
    if !state.limiter.allow(&format!("join:{client}")) {
        return Err(AppError::TooManyRequests);
    }
    let (receipt, created) = store::submit_application(&mut tx, link.org_id, &f).await?;
    tx.commit().await?;
    Ok((receipt, created))
}

async fn submit_page(
    State(state): State<AppState>,
    lang: Lang,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(code): Path<String>,
    Form(input): Form<ApplyInput>,
) -> AppResult<Response> {
    let link = link(&state, &code).await?;
    match apply(&state, addr, &headers, &link, &input).await {
        Ok((receipt, _)) => {
            Ok(Redirect::to(&format!("/j/{}/receipt/{receipt}?new=1", link.code)).into_response())
        }
        Err(AppError::Validation(fs)) => {
            let errors = fs
                .iter()
                .map(|f| (f.field.clone(), f.message(lang)))
                .collect();
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                render(page(lang, link, input, errors))?,
            )
                .into_response())
        }
        Err(e) => Err(e),
    }
}

/// Apply to join a union through its join page (no login). Send a fresh
/// `client_id` with each new application and the same one when retrying: a
/// retry answers 200 with the first receipt. Limited per client address.
#[utoipa::path(post, path = "/api/v1/join/{code}", tag = "public", params(("code" = String, Path)),
    request_body = ApplyInput,
    responses((status = 201, body = JoinReceipt), (status = 200, description = "a retry", body = JoinReceipt),
        (status = 422, body = crate::web::errors::ErrorBody), (status = 404), (status = 429)),
    security(()))]
async fn api_apply(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(code): Path<String>,
    Json(input): Json<ApplyInput>,
) -> AppResult<Response> {
    let link = link(&state, &code).await?;
    let (receipt, created) = apply(&state, addr, &headers, &link, &input).await?;
    let a = store::application_by_receipt(&state.db, &receipt)
        .await?
        .ok_or(AppError::NotFound)?;
    let body = JoinReceipt {
        receipt_code: receipt,
        org_name: link.org_name,
        status: a.status,
        created,
    };
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(body)).into_response())
}

#[derive(Template)]
#[template(path = "formation/join_receipt.html")]
struct ReceiptPage {
    c: Chrome,
    link: Link,
    a: super::Application,
    new: bool,
}

#[derive(Deserialize, Default)]
struct ReceiptQuery {
    new: Option<String>,
}

/// The receipt: the application masked and where it stands. A wrong code is
/// counted against the address like a wrong problem receipt.
async fn receipt_page(
    State(state): State<AppState>,
    lang: Lang,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path((code, receipt)): Path<(String, String)>,
    Query(q): Query<ReceiptQuery>,
) -> AppResult<Response> {
    let link = link(&state, &code).await?;
    let found = match normalise_receipt(&receipt) {
        Some(r) => store::application_by_receipt(&state.db, &r)
            .await?
            .filter(|a| a.org_id == link.org_id),
        None => None,
    };
    let Some(a) = found else {
        let client = client_ip(addr.ip(), &headers, &state.settings.server.trusted_proxies);
        return Err(if state.limiter.allow(&format!("receipt-miss:{client}")) {
            AppError::NotFound
        } else {
            AppError::TooManyRequests
        });
    };
    render(ReceiptPage {
        c: Chrome::bare(
            lang,
            &format!("/j/{}/receipt/{}", link.code, a.receipt_code),
        ),
        link,
        a: a.masked(),
        new: q.new.is_some(),
    })
}

// ---- QR codes and the poster ----

/// The address a worker's phone opens: the join page under `server.public_url`.
fn public_link(state: &AppState, link: &Link) -> String {
    crate::web::qr::public_url(&state.settings, "j", &link.code)
}

async fn qr_svg(State(state): State<AppState>, Path(code): Path<String>) -> AppResult<Response> {
    let link = link(&state, &code).await?;
    crate::web::qr::svg_response(&public_link(&state, &link))
}

async fn qr_png(State(state): State<AppState>, Path(code): Path<String>) -> AppResult<Response> {
    let link = link(&state, &code).await?;
    crate::web::qr::png_download(
        &public_link(&state, &link),
        &format!("join-{}.png", link.org_code),
    )
}

#[derive(Template)]
#[template(path = "formation/poster.html")]
struct PosterPage {
    c: Chrome,
    link: Link,
    url: String,
    svg: String,
}

/// A page to print and post in canteens, stations and rider hubs.
async fn poster_page(
    State(state): State<AppState>,
    lang: Lang,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let link = link(&state, &code).await?;
    let url = public_link(&state, &link);
    let svg = crate::web::qr::svg_of(&url)?;
    render(PosterPage {
        c: Chrome::bare(lang, &format!("/j/{}/poster", link.code)),
        link,
        url,
        svg,
    })
}
