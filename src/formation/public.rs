//! The public join page of a union, `/j/{code}`: a worker joins from a phone
//! without logging in (name, mobile, worker group, employer), is rate-limited
//! per address, never stored twice for one form (client id), and gets a
//! receipt that shows where the application stands. The QR code and a
//! printable poster point at it.

use std::net::SocketAddr;

use crate::web::{Form, Path, Query};
use askama::Template;
use axum::{
    extract::{ConnectInfo, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;

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

/// The join link of `code`, or 404.
pub(super) async fn link(state: &AppState, code: &str) -> AppResult<Link> {
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

pub(super) async fn form_page(
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

pub(super) async fn submit_page(
    State(state): State<AppState>,
    lang: Lang,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(code): Path<String>,
    Form(input): Form<ApplyInput>,
) -> AppResult<Response> {
    let link = link(&state, &code).await?;
    let client = client_ip(addr.ip(), &headers, &state.settings.server.trusted_proxies).to_string();
    let limit = (&*state.limiter, client.as_str());
    match super::ops::apply(&state.db, &link, &input, limit).await {
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

#[derive(Template)]
#[template(path = "formation/join_receipt.html")]
struct ReceiptPage {
    c: Chrome,
    link: Link,
    a: super::Application,
    new: bool,
}

#[derive(Deserialize, Default)]
pub(super) struct ReceiptQuery {
    new: Option<String>,
}

/// The receipt: the application masked and where it stands. A wrong code is
/// counted against the address like a wrong problem receipt.
pub(super) async fn receipt_page(
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
        return Err(match state.limiter.hit(&format!("receipt-miss:{client}")) {
            Ok(()) => AppError::NotFound,
            Err(refused) => refused,
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

pub(super) async fn qr_svg(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let link = link(&state, &code).await?;
    crate::web::qr::svg_response(&public_link(&state, &link))
}

pub(super) async fn qr_png(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> AppResult<Response> {
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
pub(super) async fn poster_page(
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
