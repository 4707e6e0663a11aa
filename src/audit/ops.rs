//! The reads of the audit log that the page and the API share: a page of
//! entries, and the table an export holds. The log is written by every other
//! module's use case (see [`super::Audited`]); nothing here writes but the
//! export's own entry, which `web::download::send_table` appends.

use super::{AuditPage, AuditQuery, PAGE_SIZE, store};
use crate::{
    auth::{Caller, Need},
    db::Db,
    error::{AppError, AppResult, FieldError},
    tabular::{Cell, Header},
};

/// The most entries one export holds.
const EXPORT_MAX: i64 = 200_000;

/// The page of the audit log a query asks for, in the caller's admin scope.
pub async fn list(db: &Db, caller: &Caller, q: &AuditQuery) -> AppResult<AuditPage> {
    let scope = caller.require(Need::Admin)?;
    let filter = q.filter()?;
    let paging = q.paging(PAGE_SIZE)?;
    let (items, total) = store::list(db, &scope, &filter, paging.size, paging.offset()).await?;
    Ok(AuditPage {
        items,
        total,
        page: paging.page,
        per_page: paging.size,
    })
}

/// An export of the entries a query matches: the columns, the rows and the
/// description of what it held (for its own audit entry).
pub struct Export {
    pub title: String,
    pub heads: Vec<Header>,
    pub cells: Vec<Vec<Cell>>,
    pub detail: String,
}

/// The entries a query matches in the caller's admin scope, as a table in
/// the caller's language; more than [`EXPORT_MAX`] is a 422.
pub async fn export(db: &Db, caller: &Caller, q: &AuditQuery) -> AppResult<Export> {
    let scope = caller.require(Need::Admin)?;
    let filter = q.filter()?;
    let (rows, total) = store::list(db, &scope, &filter, EXPORT_MAX, 0).await?;
    if total > EXPORT_MAX {
        return Err(AppError::Validation(vec![
            FieldError::new("from", "audit-export-too-many")
                .arg("count", total)
                .arg("max", EXPORT_MAX),
        ]));
    }
    let lang = caller.lang;
    let col = |k: &str, width: f64, text: bool| Header {
        title: lang.t(k),
        width,
        text,
    };
    let heads = vec![
        col("field-time", 18.0, true),
        col("field-username", 16.0, true),
        col("field-action", 18.0, false),
        col("field-target", 20.0, true),
        col("audit-detail", 40.0, false),
        col("field-org", 24.0, false),
        col("audit-ip", 16.0, true),
    ];
    let cells: Vec<Vec<Cell>> = rows
        .iter()
        .map(|r| {
            vec![
                Cell::Text(lang.datetime(r.created_at)),
                Cell::opt(r.username.as_deref()),
                Cell::Text(lang.t(&format!("audit-{}", r.action))),
                Cell::opt(r.target.as_deref()),
                Cell::opt(r.detail.as_deref()),
                Cell::opt(r.org_name.as_deref()),
                Cell::opt(r.ip.as_deref()),
            ]
        })
        .collect();
    let filters = q.describe();
    let detail = if filters.is_empty() {
        format!("{} rows", cells.len())
    } else {
        format!("{} rows; {filters}", cells.len())
    };
    Ok(Export {
        title: lang.t("audit-title"),
        heads,
        cells,
        detail,
    })
}
