//! Errors become responses here and nowhere else: JSON naming the code, a
//! message and the offending fields under `/api`, a page elsewhere. Internal
//! causes are logged once, here, and never shown.

use askama::Template;
use axum::{
    Json,
    extract::{FromRequestParts, Request, State},
    http::{StatusCode, header},
    middleware::Next,
    response::{Html, IntoResponse, Redirect, Response},
};
use serde::Serialize;

use super::AppState;
use crate::{
    error::{AppError, PendingError},
    i18n::Lang,
};

/// The JSON body of every API error.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong, for machines (`code`, `fields[].field`) and people (`message`).
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable: `unauthenticated` 401, `forbidden` 403, `account_action_required` 403,
    /// `not_found` 404, `method_not_allowed` 405, `timeout` 408, `conflict` 409,
    /// `too_large` 413, `unsupported_media_type` 415, `validation` 422 (the body's
    /// values, each in `fields`), `too_many_requests` 429, `bad_request` 400,
    /// `malformed_json` 400 (not JSON at all), `invalid_query` / `invalid_path` 400
    /// (each parameter in `fields`), `internal` 500, `unavailable` 503.
    #[schema(example = "validation")]
    pub code: String,
    pub message: String,
    pub fields: Vec<FieldMessage>,
}

/// One invalid field and why.
#[derive(Serialize, utoipa::ToSchema)]
pub struct FieldMessage {
    /// The field's path in the JSON body (`lines[0].value`), or the name of the
    /// query or path parameter.
    pub field: String,
    pub message: String,
    /// For a questionnaire form's errors: the question or group they are
    /// about (`list/choice` for a choice), so a page can show each one there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    /// With `item`: the property at fault (`relevant`, `constraint`, `name`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    c: super::page::Chrome,
    title: String,
    messages: Vec<String>,
}

/// Middleware: renders any [`AppError`] a handler returned.
pub async fn render(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let lang = Lang::from_request_parts(&mut parts, &state)
        .await
        .unwrap_or_default();
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().map(str::to_string);
    let is_api = path.starts_with("/api/");
    let mut res = next.run(Request::from_parts(parts, body)).await;
    let Some(PendingError(err)) = res.extensions_mut().remove::<PendingError>() else {
        if res.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return respond(&AppError::TooLarge, lang, is_api, &path, query.as_deref());
        }
        return res;
    };
    respond(&err, lang, is_api, &path, query.as_deref())
}

/// Middleware on the whole app, outside the timeout and the CSRF check: any
/// error under `/api/` that is not JSON yet (an unknown route, a wrong method,
/// a timeout, a refusal by a layer or an extractor of axum's own) becomes the
/// one error shape, with the status it had and its headers (`Allow`,
/// `Retry-After`, `WWW-Authenticate`) kept.
pub async fn api_json(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if !req.uri().path().starts_with("/api/") {
        return next.run(req).await;
    }
    let (mut parts, body) = req.into_parts();
    let lang = Lang::from_request_parts(&mut parts, &state)
        .await
        .unwrap_or_default();
    let path = parts.uri.path().to_string();
    let res = next.run(Request::from_parts(parts, body)).await;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) || is_json(&res) {
        return res;
    }
    let (head, _) = res.into_parts();
    let mut out = respond(&AppError::of_status(status), lang, true, &path, None);
    *out.status_mut() = status;
    for (name, value) in &head.headers {
        if !matches!(
            *name,
            header::CONTENT_TYPE | header::CONTENT_LENGTH | header::CONTENT_ENCODING
        ) {
            out.headers_mut().append(name.clone(), value.clone());
        }
    }
    out
}

fn is_json(res: &Response) -> bool {
    res.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

fn respond(err: &AppError, lang: Lang, is_api: bool, path: &str, query: Option<&str>) -> Response {
    let mut res = respond_body(err, lang, is_api, path, query);
    if let AppError::TooManyRequests(Some(secs)) = err {
        res.headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from(*secs));
    }
    res
}

fn respond_body(
    err: &AppError,
    lang: Lang,
    is_api: bool,
    path: &str,
    query: Option<&str>,
) -> Response {
    if let AppError::Internal(cause) = err {
        tracing::error!(error = ?cause, "request failed");
    }
    let message = lang.t(&format!("error-{}", err.code()));
    let fields: Vec<FieldMessage> = match err {
        AppError::Validation(fs)
        | AppError::Conflict(fs)
        | AppError::InvalidQuery(fs)
        | AppError::InvalidPath(fs) => fs
            .iter()
            .map(|f| FieldMessage {
                field: f.field.clone(),
                message: f.message(lang),
                item: f.arg_value("item").map(str::to_string),
                column: f.arg_value("column").map(str::to_string),
            })
            .collect(),
        _ => Vec::new(),
    };
    if is_api {
        let body = ErrorBody {
            error: ErrorDetail {
                code: err.code().to_string(),
                message,
                fields,
            },
        };
        return (err.status(), Json(body)).into_response();
    }
    if let AppError::AccountAction(page) = err {
        return Redirect::to(page).into_response();
    }
    if matches!(err, AppError::Unauthenticated) {
        let next = match query {
            Some(q) => format!("{path}?{q}"),
            None => path.to_string(),
        };
        return Redirect::to(&format!("/login?next={}", urlencode(&next))).into_response();
    }
    let page = ErrorPage {
        c: super::page::Chrome::bare(lang, path),
        title: message,
        messages: fields.into_iter().map(|f| f.message).collect(),
    };
    match page.render() {
        Ok(html) => (err.status(), Html(html)).into_response(),
        Err(_) => err.status().into_response(),
    }
}

/// Percent-encodes a string for a query parameter.
pub fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
