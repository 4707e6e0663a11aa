//! File downloads: the headers every export answers with.

use axum::{
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};

/// A file the browser saves as `filename` and never caches.
pub fn attachment(body: Vec<u8>, filename: &str, mime: &'static str) -> Response {
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    // RFC 6266: an ASCII fallback and the UTF-8 name for Chinese file names.
    let ascii: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let disposition = format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
        super::errors::urlencode(filename)
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// Today's date in China Standard Time as `YYYYMMDD`, for file names.
pub fn stamp() -> String {
    crate::date::Day::today().iso().replace('-', "")
}
