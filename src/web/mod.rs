//! HTTP plumbing: the shared state, the router that mounts each domain's
//! routes, the middleware stack, and the one place errors become responses.

pub mod assets;
pub mod client;
pub mod download;
pub mod errors;
pub mod extract;
pub mod form;
pub mod list;
pub mod local_path;
pub mod openapi;
pub mod page;
pub mod qr;
pub mod ratelimit;

use std::{sync::Arc, time::Duration};

pub use extract::{Form, Json, Path, Query};

use axum::{
    Router,
    extract::{DefaultBodyLimit, Request, State},
    http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use axum_extra::extract::{CookieJar, cookie::Cookie};
use tower_http::{
    compression::CompressionLayer,
    csrf::CsrfLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    set_header::SetResponseHeaderLayer,
    timeout::TimeoutLayer,
    trace::TraceLayer,
};

use utoipa_axum::router::OpenApiRouter;

use crate::{
    config::{MetricsSettings, Settings},
    db::Db,
    i18n::Lang,
};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub settings: Arc<Settings>,
    /// Limits anonymous writes (the public problem page) per client address.
    pub limiter: Arc<ratelimit::Limiter>,
    /// Stores questionnaire responses, committing concurrent ones together.
    pub intake: crate::survey::intake::Intake,
    /// Which events active webhook subscriptions want (kept in memory).
    pub webhooks: crate::webhook::Wants,
}

/// The domains in the shape of ARCHITECTURE.md ("The shape of a domain"): each
/// `api::router()` serves the domain's pages and API and carries the OpenAPI
/// entries of its API routes, declared once; this is the one list of routes.
pub fn declared() -> Vec<(&'static str, OpenApiRouter<AppState>)> {
    vec![
        ("service", crate::service::api::router()),
        ("problem", crate::problem::api::router()),
        ("mediation", crate::mediation::api::router()),
        ("user", crate::user::api::router()),
        ("org", crate::org::api::router()),
        ("enterprise", crate::enterprise::api::router()),
        ("webhook", crate::webhook::api::router()),
        ("attachment", crate::attachment::api::router()),
        ("audit", crate::audit::api::router()),
        ("notify", crate::notify::api::router()),
        ("backup", crate::backup::api::router()),
        ("account", crate::account::api::router()),
        ("import", crate::import::api::router()),
        ("campaign", crate::campaign::api::router()),
        ("calendar", crate::calendar::api::router()),
        ("workday", crate::workday::api::router()),
        ("todo", crate::todo::api::router()),
        ("activity", crate::activity::api::router()),
        ("report", crate::report::api::router()),
        ("survey", crate::survey::api::router()),
        ("survey::analysis", crate::survey::analysis::api::router()),
        ("survey::public", crate::survey::public::router()),
        ("stationing", crate::stationing::api::router()),
        ("formation", crate::formation::api::router()),
        ("summary", crate::summary::api::router()),
        ("supervision", crate::supervision::api::router()),
        ("dashboard", crate::dashboard::api::router()),
    ]
}

/// The whole application: pages, API, assets, health and metrics.
pub fn router(state: AppState) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    let max_body = state.settings.import.max_upload_bytes + 64 * 1024;
    let mut app = Router::new();
    for (name, domain) in declared() {
        let routes = Router::from(domain);
        app = app.merge(if name == "attachment" {
            // Uploads may be larger than any other body.
            routes.layer(crate::attachment::api::upload_limit(
                &state.settings.uploads,
            ))
        } else {
            routes
        });
    }
    app
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/lang", post(switch_lang))
        .route("/assets/{*path}", get(assets::serve))
        .route("/api/v1/openapi.json", get(openapi::document))
        .layer(middleware::from_fn_with_state(state.clone(), errors::render))
        .layer(middleware::from_fn(record_metrics))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(CsrfLayer::new())
        // A page may allow its own origin to frame it (the survey preview, shown
        // in the questionnaire builder); every other page refuses framing.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
            ),
        ))
        .layer(CompressionLayer::new())
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(120),
        ))
        .layer(middleware::from_fn_with_state(state.clone(), errors::api_json))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let id = req
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            tracing::info_span!("http", http.method = %req.method(), http.path = %req.uri().path(), request.id = %id)
        }))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}

async fn healthz(State(state): State<AppState>) -> Response {
    match sqlx::query("SELECT 1").execute(state.db.pool()).await {
        Ok(_) => "ok".into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "database unavailable",
            )
                .into_response()
        }
    }
}

static METRICS: std::sync::OnceLock<Option<metrics_exporter_prometheus::PrometheusHandle>> =
    std::sync::OnceLock::new();

/// Installs the process-wide metrics recorder once (tests start many apps in one process).
pub fn install_metrics() {
    METRICS.get_or_init(|| {
        metrics_exporter_prometheus::PrometheusBuilder::new()
            .install_recorder()
            .ok()
    });
}

/// `/metrics` on the main application: served only when metrics are on, not
/// moved to a listener of their own, and protected by a token. Otherwise the
/// path does not exist here.
async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let m = &state.settings.metrics;
    if !m.enabled || !m.bind.is_empty() || m.token.is_empty() {
        return StatusCode::NOT_FOUND.into_response();
    }
    metrics_answer(m, &headers)
}

/// The router of the separate metrics listener (`[metrics] bind`).
pub fn metrics_router(settings: MetricsSettings) -> Router {
    Router::new()
        .route(
            "/metrics",
            get(
                |State(m): State<Arc<MetricsSettings>>, headers: HeaderMap| async move {
                    metrics_answer(&m, &headers)
                },
            ),
        )
        .with_state(Arc::new(settings))
}

/// The metrics text, or 401 when a token is configured and the request does not carry it.
fn metrics_answer(m: &MetricsSettings, headers: &HeaderMap) -> Response {
    if !metrics_allowed(&m.token, headers) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "metrics need Authorization: Bearer <token>",
        )
            .into_response();
    }
    let body = METRICS
        .get()
        .and_then(|h| h.as_ref())
        .map(|h| h.render())
        .unwrap_or_default();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}

/// Whether a request may read the metrics: anyone when no token is set (only
/// on the separate listener), else only the bearer of that token. Hashes are
/// compared, so the time taken tells nothing about the token.
fn metrics_allowed(token: &str, headers: &HeaderMap) -> bool {
    if token.is_empty() {
        return true;
    }
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|given| {
            crate::auth::hash_token(given.trim()) == crate::auth::hash_token(token)
        })
}

async fn record_metrics(req: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    let method = req.method().to_string();
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    metrics::counter!("qingting_http_requests_total", "method" => method, "status" => status)
        .increment(1);
    metrics::histogram!("qingting_http_request_duration_seconds")
        .record(started.elapsed().as_secs_f64());
    res
}

#[derive(serde::Deserialize)]
struct LangForm {
    lang: String,
    #[serde(default)]
    back: String,
}

/// Switches the interface language (a cookie) and returns to the page the user was on.
async fn switch_lang(jar: CookieJar, Form(f): Form<LangForm>) -> impl IntoResponse {
    let lang = Lang::from_tag(&f.lang).unwrap_or_default();
    let back = local_path::or_home(Some(&f.back));
    let cookie = Cookie::build(("lang", lang.code()))
        .path("/")
        .http_only(true)
        .same_site(axum_extra::extract::cookie::SameSite::Lax)
        .permanent()
        .build();
    (jar.add(cookie), Redirect::to(&back))
}

#[cfg(test)]
mod tests {
    #[test]
    fn metrics_need_the_exact_bearer_token_when_one_is_set() {
        use axum::http::{HeaderMap, header};
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::AUTHORIZATION, v.parse().unwrap());
            h
        };
        assert!(super::metrics_allowed("", &HeaderMap::new()));
        assert!(!super::metrics_allowed("s3cret-token", &HeaderMap::new()));
        assert!(super::metrics_allowed(
            "s3cret-token",
            &with("Bearer s3cret-token")
        ));
        assert!(!super::metrics_allowed(
            "s3cret-token",
            &with("Bearer s3cret-toke")
        ));
        assert!(!super::metrics_allowed(
            "s3cret-token",
            &with("Basic s3cret-token")
        ));
    }

    /// Every template under `templates/`, with its path.
    fn templates() -> Vec<(std::path::PathBuf, String)> {
        fn walk(dir: &std::path::Path, out: &mut Vec<(std::path::PathBuf, String)>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, out);
                } else if path.extension().is_some_and(|e| e == "html") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    out.push((path, text));
                }
            }
        }
        let mut out = Vec::new();
        walk(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates"),
            &mut out,
        );
        out
    }

    /// The CSP (`script-src 'self'; style-src 'self'`) blocks inline handlers,
    /// inline styles and inline scripts, so a page using one silently breaks.
    #[test]
    fn no_template_uses_what_the_csp_blocks() {
        let handler = regex::Regex::new(r#"\son[a-z]+\s*="#).unwrap();
        let style = regex::Regex::new(r#"\sstyle\s*="#).unwrap();
        let script = regex::Regex::new(r#"<script(\s[^>]*)?>"#).unwrap();
        let all = templates();
        assert!(all.len() > 50, "templates found: {}", all.len());
        for (path, text) in all {
            for (what, re) in [("inline handler", &handler), ("inline style", &style)] {
                assert!(
                    !re.is_match(&text),
                    "{what} in {}: {:?}",
                    path.display(),
                    re.find(&text).map(|m| m.as_str())
                );
            }
            assert!(
                !text.contains("javascript:"),
                "javascript: URL in {}",
                path.display()
            );
            for m in script.find_iter(&text) {
                let tag = m.as_str();
                assert!(
                    tag.contains("src=") || tag.contains("application/json"),
                    "inline script in {}: {tag}",
                    path.display()
                );
            }
        }
    }
}
