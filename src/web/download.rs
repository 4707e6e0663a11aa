//! File downloads: the headers every export answers with, and the audited
//! ending of every record list's XLSX/CSV export.

use axum::{
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};

use super::AppState;
use crate::{
    audit::{self, Action, Entry},
    auth::Caller,
    error::{AppError, AppResult},
    tabular::{self, Cell, Header},
};

/// A downloaded file's bytes, as the OpenAPI document names the body of a
/// binary download (`body = FileBody` beside its `content_type`): a string
/// of format `binary`, not an array of numbers.
pub struct FileBody(pub Vec<u8>);

impl utoipa::PartialSchema for FileBody {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .into()
    }
}

impl utoipa::ToSchema for FileBody {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("FileBody")
    }
}

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

/// Sends a table as an XLSX or CSV download named `{stem}-{date}.{ext}`, after
/// writing the export to the audit log (`detail` says what it held): the one
/// ending every record list's export shares.
pub async fn send_table(
    state: &AppState,
    caller: &Caller,
    stem: &str,
    format: tabular::Format,
    table: (&str, &[Header], &[Vec<Cell>]),
    detail: String,
) -> AppResult<Response> {
    let (sheet, heads, rows) = table;
    let (body, ext, mime) =
        tabular::encode(format, sheet, heads, rows).map_err(|e| AppError::Internal(e.into()))?;
    let entry = Entry::by(caller, caller.home_org, Action::Export)
        .target(format!("export:{stem}.{ext}"))
        .detail(detail);
    audit::store::record(state.db.pool(), &entry).await?;
    Ok(attachment(body, &format!("{stem}-{}.{ext}", stamp()), mime))
}
