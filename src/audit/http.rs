//! The audit log for admins: the page, filterable by action, user and date, its
//! CSV and XLSX export (itself audited) and `GET /api/v1/audit`. Every read
//! goes through the caller's admin scope: entries of other subtrees are not there.

use askama::Template;
use axum::{
    Json, Router,
    extract::{Query, State},
    response::Response,
    routing::get,
};
use serde::Deserialize;
use utoipa::OpenApi;

use super::{
    Action,
    store::{self, AuditFilter, AuditRow},
};
use crate::{
    auth::{Caller, Need},
    error::{AppError, AppResult, FieldError},
    tabular::{self, Cell, Header},
    web::{
        AppState,
        page::{Chrome, render},
    },
};

/// The routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/audit", get(list_page))
        .route(
            "/audit/export.csv",
            get(|s: State<AppState>, c: Caller, q: Query<AuditQuery>| {
                export(s, c, q, tabular::Format::Csv)
            }),
        )
        .route(
            "/audit/export.xlsx",
            get(|s: State<AppState>, c: Caller, q: Query<AuditQuery>| {
                export(s, c, q, tabular::Format::Xlsx)
            }),
        )
        .route("/api/v1/audit", get(api_list))
}

/// This module's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(api_list),
    components(schemas(AuditPage, AuditRow)),
    tags((name = "audit", description = "The audit log of the caller's admin subtrees"))
)]
pub struct ApiDoc;

/// The filters of the page, the export and the API.
#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// An action's stored name, e.g. `login_failed`; unknown names are ignored.
    action: Option<String>,
    /// A login name (exact, any case).
    username: Option<String>,
    /// First day, `YYYY-MM-DD`, China Standard Time.
    from: Option<String>,
    /// Last day (inclusive), `YYYY-MM-DD`, China Standard Time.
    to: Option<String>,
    /// Page number, from 1.
    page: Option<i64>,
    /// Entries per page (API only), 1–500; 100 by default.
    per_page: Option<i64>,
}

impl AuditQuery {
    /// The filter these parameters ask for; a malformed day is an error naming its field.
    fn filter(&self) -> Result<AuditFilter, AppError> {
        let nonempty = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let day = |field: &str, v: &Option<String>| match nonempty(v) {
            None => Ok(None),
            Some(d) => day_start(&d)
                .map(Some)
                .ok_or_else(|| FieldError::new(field, "err-date")),
        };
        let from = day("from", &self.from);
        let to = day("to", &self.to);
        let errors: Vec<FieldError> = [&from, &to]
            .into_iter()
            .filter_map(|r| r.as_ref().err().cloned())
            .collect();
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        Ok(AuditFilter {
            action: nonempty(&self.action).filter(|a| Action::parse(a).is_some()),
            username: nonempty(&self.username).map(|u| u.to_ascii_lowercase()),
            from: from.ok().flatten(),
            to: to.ok().flatten().map(|t| t + 86_400),
        })
    }

    /// The filter as a query string, for pager and export links.
    fn query_string(&self) -> String {
        let enc = |v: &Option<String>| crate::web::errors::urlencode(v.as_deref().unwrap_or(""));
        format!(
            "action={}&username={}&from={}&to={}",
            enc(&self.action),
            enc(&self.username),
            enc(&self.from),
            enc(&self.to)
        )
    }

    /// The filter in words for the export's audit entry.
    fn describe(&self) -> String {
        [
            ("action", &self.action),
            ("username", &self.username),
            ("from", &self.from),
            ("to", &self.to),
        ]
        .into_iter()
        .filter_map(|(k, v)| {
            v.as_deref()
                .filter(|v| !v.trim().is_empty())
                .map(|v| format!("{k}={}", v.trim()))
        })
        .collect::<Vec<_>>()
        .join(", ")
    }
}

/// Midnight of a `YYYY-MM-DD` day in China Standard Time, as epoch seconds.
fn day_start(s: &str) -> Option<i64> {
    let d = chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()?;
    Some(d.and_hms_opt(0, 0, 0)?.and_utc().timestamp() - 8 * 3600)
}

#[derive(Template)]
#[template(path = "audit/list.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<AuditRow>,
    actions: Vec<Action>,
    action: String,
    username: String,
    from: String,
    to: String,
    page: i64,
    pages: i64,
    total: i64,
    query: String,
    error: Option<String>,
}

const PAGE_SIZE: i64 = 100;

/// The most entries one export holds; more asks the reader to narrow the dates.
const EXPORT_MAX: i64 = 200_000;

async fn list_page(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<AuditQuery>,
) -> AppResult<Response> {
    let scope = caller.require(Need::Admin)?;
    let (filter, error) = match q.filter() {
        Ok(f) => (f, None),
        Err(AppError::Validation(fs)) => (
            AuditFilter::default(),
            Some(
                fs.iter()
                    .map(|f| f.message(caller.lang))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
        ),
        Err(e) => return Err(e),
    };
    let page = q.page.unwrap_or(1).max(1);
    let (rows, total) = store::list(
        &state.db,
        &scope,
        &filter,
        PAGE_SIZE,
        (page - 1) * PAGE_SIZE,
    )
    .await?;
    render(ListPage {
        c: Chrome::for_caller(&caller, "/audit"),
        rows,
        actions: Action::ALL.to_vec(),
        query: q.query_string(),
        action: q.action.unwrap_or_default(),
        username: q.username.unwrap_or_default(),
        from: q.from.unwrap_or_default(),
        to: q.to.unwrap_or_default(),
        page,
        pages: (total + PAGE_SIZE - 1) / PAGE_SIZE,
        total,
        error,
    })
}

/// The filtered view as CSV or XLSX, newest first; the export is audited.
async fn export(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<AuditQuery>,
    format: tabular::Format,
) -> AppResult<Response> {
    let scope = caller.require(Need::Admin)?;
    let filter = q.filter()?;
    let (rows, total) = store::list(&state.db, &scope, &filter, EXPORT_MAX, 0).await?;
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
    let heads = [
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
    crate::web::download::send_table(
        &state,
        &caller,
        "audit",
        format,
        (&lang.t("audit-title"), &heads, &cells),
        detail,
    )
    .await
}

/// A page of audit entries.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditRow>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// Audit entries of orgs in the caller's admin subtrees, newest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 403, body = crate::web::errors::ErrorBody),
        (status = 422, body = crate::web::errors::ErrorBody)))]
pub async fn api_list(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<AuditQuery>,
) -> AppResult<Json<AuditPage>> {
    let scope = caller.require(Need::Admin)?;
    let filter = q.filter()?;
    let per_page = q.per_page.unwrap_or(PAGE_SIZE).clamp(1, 500);
    let page = q.page.unwrap_or(1).max(1);
    let (items, total) =
        store::list(&state.db, &scope, &filter, per_page, (page - 1) * per_page).await?;
    Ok(Json(AuditPage {
        items,
        total,
        page,
        per_page,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_starts_at_midnight_in_shanghai() {
        assert_eq!(day_start("2019-11-15"), Some(1_573_747_200));
        assert_eq!(day_start("15/11/2019"), None);
    }

    #[test]
    fn a_bad_day_is_an_error_naming_its_field() {
        let q = AuditQuery {
            from: Some("2019-13-01".into()),
            to: Some("2019-11-15".into()),
            ..Default::default()
        };
        match q.filter() {
            Err(AppError::Validation(fs)) => {
                assert_eq!(fs.len(), 1);
                assert_eq!(fs[0].field, "from");
            }
            other => panic!("{other:?}"),
        }
        let q = AuditQuery {
            to: Some("2019-11-15".into()),
            action: Some("nonsense".into()),
            ..Default::default()
        };
        let f = q.filter().unwrap();
        assert_eq!(
            f.to,
            Some(1_573_747_200 + 86_400),
            "the last day is included"
        );
        assert_eq!(f.action, None, "an unknown action filters nothing");
    }
}
