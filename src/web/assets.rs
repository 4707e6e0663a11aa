//! Every asset is compiled into the binary: intranets have no internet, and an
//! install is one file.

use super::Path;
use axum::{
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};

struct Asset {
    path: &'static str,
    mime: &'static str,
    body: &'static [u8],
}

/// Vendored libraries: their path names the version they are (refreshing one
/// replaces the file and its README), so a browser may keep them a year
/// instead of an hour. Only the analysis page loads them.
const VENDORED: &[Asset] = &[Asset {
    path: "vendor/echarts/echarts.simple.min.js",
    mime: "text/javascript; charset=utf-8",
    body: include_bytes!("../../assets/vendor/echarts/echarts.simple.min.js"),
}];

/// The path of the vendored ECharts, with its version as a query so a
/// refreshed file is never read from an old cache.
pub const ECHARTS: &str = "/assets/vendor/echarts/echarts.simple.min.js?v=6.1.0";

const ASSETS: &[Asset] = &[
    Asset {
        path: "app.css",
        mime: "text/css; charset=utf-8",
        body: include_bytes!("../../assets/app.css"),
    },
    Asset {
        path: "app.js",
        mime: "text/javascript; charset=utf-8",
        body: include_bytes!("../../assets/app.js"),
    },
    Asset {
        path: "survey-expr.js",
        mime: "text/javascript; charset=utf-8",
        body: include_bytes!("../../assets/survey-expr.js"),
    },
    Asset {
        path: "survey-fill.js",
        mime: "text/javascript; charset=utf-8",
        body: include_bytes!("../../assets/survey-fill.js"),
    },
    Asset {
        path: "survey-builder.js",
        mime: "text/javascript; charset=utf-8",
        body: include_bytes!("../../assets/survey-builder.js"),
    },
    Asset {
        path: "survey-analysis.js",
        mime: "text/javascript; charset=utf-8",
        body: include_bytes!("../../assets/survey-analysis.js"),
    },
    Asset {
        path: "dashboard.js",
        mime: "text/javascript; charset=utf-8",
        body: include_bytes!("../../assets/dashboard.js"),
    },
    Asset {
        path: "report-editor.js",
        mime: "text/javascript; charset=utf-8",
        body: include_bytes!("../../assets/report-editor.js"),
    },
    Asset {
        path: "favicon.svg",
        mime: "image/svg+xml",
        body: include_bytes!("../../assets/favicon.svg"),
    },
];

/// Serves `/assets/{path}`.
pub async fn serve(Path(path): Path<String>) -> Response {
    if let Some(a) = VENDORED.iter().find(|a| a.path == path) {
        return (
            [
                (header::CONTENT_TYPE, a.mime),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            a.body,
        )
            .into_response();
    }
    match ASSETS.iter().find(|a| a.path == path) {
        Some(a) => (
            [
                (header::CONTENT_TYPE, a.mime),
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            a.body,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
