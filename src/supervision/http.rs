//! The supervision grid (督办) page, its XLSX and API; chasing from it; a
//! unit's timeline; receipt (签收) of a campaign notice.
//!
//! Who may do what:
//! - the grid of a campaign's units: readers of the issuing org see every
//!   unit; a unit's readers see their own unit's row; others get 404;
//! - one level down (`?org=`): readers of that org or of the issuing org,
//!   when the org is a unit or lies under one; others 404;
//! - chase: writers over the level that chases (the issuing org for its
//!   units, a unit for its child orgs); readers who may not write get 403;
//! - receipt: writers over a participating unit; readers get 403.

use std::collections::HashSet;

use crate::web::{Form, Json, Path, Query};
use askama::Template;
use axum::{
    Router,
    extract::State,
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use serde::{Deserialize, Serialize};
use utoipa::OpenApi;

use super::{
    ChaseCount, ChaseInput, ChaseKind, Clock, Column, Filter, GridRow, Lights, Receipt,
    TimelineEvent, Totals,
    store::{self, Chase, Chaser, Level},
};
use crate::{
    audit::{self, Action, Entry},
    auth::{Caller, Need, Scope},
    campaign::{Campaign, CampaignStatus, Unit, plan::PlanStatus},
    date::Day,
    db::{CampaignId, OrgId},
    error::{AppError, AppResult},
    i18n::Lang,
    summary::workflow::Standing,
    web::{
        AppState,
        page::{Chrome, render},
    },
    workday::Light,
};

/// The routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/campaigns/{id}/supervision", get(grid_page))
        .route("/campaigns/{id}/supervision.xlsx", get(grid_xlsx))
        .route("/campaigns/{id}/supervision/chases", post(chase_page))
        .route("/campaigns/{id}/supervision/{org}", get(timeline_page))
        .route("/campaigns/{id}/receipt", post(receipt_page))
        .route("/api/v1/campaigns/{id}/supervision", get(api_grid))
        .route(
            "/api/v1/campaigns/{id}/supervision/{org}/timeline",
            get(api_timeline),
        )
        .route("/api/v1/campaigns/{id}/chases", post(api_chase))
        .route("/api/v1/campaigns/{id}/receipt", post(api_receipt))
}

/// This module's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(api_grid, api_timeline, api_chase, api_receipt),
    components(schemas(Grid, GridRow, Totals, Lights, Receipt, ChaseCount, ChaseInput, ChaseKind,
        Chase, ChaseResult, ReceiptInput, ReceiptResult, TimelineEvent, Timeline, LevelInfo,
        Standing, Column, Light)),
    tags((name = "supervision", description = "The supervision grid (督办) of a campaign, chases (催报/催办), unit timelines and receipt of the notice (签收)"))
)]
pub struct ApiDoc;

// ---- access ----

/// A grid the caller may open: the campaign, its rows' level and the scope
/// its figures are read with.
struct Ctx {
    campaign: Campaign,
    /// Every participating unit, in tree order.
    units: Vec<Unit>,
    level: Level,
    /// The org one level down, if any.
    below: Option<(OrgId, String)>,
    read: Scope,
}

/// The campaign if the caller sees it and it was issued; else 404.
async fn issued(state: &AppState, caller: &Caller, id: CampaignId) -> AppResult<Campaign> {
    let c = crate::campaign::store::get(&state.db, &caller.scope(Need::Read), id)
        .await?
        .ok_or(AppError::NotFound)?;
    if c.status == CampaignStatus::Draft {
        return Err(AppError::NotFound);
    }
    Ok(c)
}

/// Whether `org` is a unit of the campaign or lies under one.
async fn under_units(state: &AppState, units: &[Unit], org: OrgId) -> AppResult<bool> {
    if units.is_empty() {
        return Ok(false);
    }
    let ids: Vec<String> = units.iter().map(|u| u.org_id.0.to_string()).collect();
    let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM org_tree WHERE descendant_id = $1 AND ancestor_id IN ({})",
        ids.join(",")
    )))
    .bind(org)
    .fetch_one(state.db.pool())
    .await?;
    Ok(n > 0)
}

/// Whether the caller reads `org` directly or as a reader of the issuing org.
async fn reads(state: &AppState, read: &Scope, c: &Campaign, org: OrgId) -> AppResult<bool> {
    Ok(read.contains(&state.db, c.org_id).await? || read.contains(&state.db, org).await?)
}

async fn ctx(
    state: &AppState,
    caller: &Caller,
    id: CampaignId,
    below: Option<OrgId>,
) -> AppResult<Ctx> {
    let campaign = issued(state, caller, id).await?;
    let read = caller.scope(Need::Read);
    let units = crate::campaign::store::units(&state.db, id, None).await?;
    let (level, below) = match below {
        Some(org) => {
            if !under_units(state, &units, org).await?
                || !reads(state, &read, &campaign, org).await?
            {
                return Err(AppError::NotFound);
            }
            let name: String = sqlx::query_scalar("SELECT name FROM orgs WHERE id = $1")
                .bind(org)
                .fetch_one(state.db.pool())
                .await?;
            (Level::Children(org), Some((org, name)))
        }
        None => {
            let rows = if read.contains(&state.db, campaign.org_id).await? {
                units.clone()
            } else {
                let mut mine = Vec::new();
                for u in &units {
                    if read.contains(&state.db, u.org_id).await? {
                        mine.push(u.clone());
                    }
                }
                mine
            };
            if rows.is_empty() {
                return Err(AppError::NotFound);
            }
            (Level::Units(rows), None)
        }
    };
    Ok(Ctx {
        campaign,
        units,
        level,
        below,
        read,
    })
}

/// The org that chases at this level: the issuing org, or the org one level down.
fn chasing_org(ctx: &Ctx) -> (OrgId, String) {
    match &ctx.below {
        Some(b) => b.clone(),
        None => (ctx.campaign.org_id, ctx.campaign.org_name.clone()),
    }
}

// ---- the grid ----

/// The org a grid one level down shows the children of.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct LevelInfo {
    pub org_id: OrgId,
    pub name: String,
}

/// The grid as the API and the page show it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Grid {
    pub campaign_id: CampaignId,
    pub title: String,
    /// Present one level down: whose child orgs the rows are.
    pub level: Option<LevelInfo>,
    /// The day the lights are judged on.
    pub today: Day,
    /// When the campaign was issued (its start when not recorded).
    pub issued_on: Day,
    pub report_due_on: Day,
    /// Over all rows, before filtering.
    pub totals: Totals,
    /// The rows shown: filtered and sorted.
    pub rows: Vec<GridRow>,
    pub sort: Column,
    pub desc: bool,
    /// Whether the caller may chase the rows.
    pub can_chase: bool,
}

/// Sorting and filters of the grid (query string of the page, the XLSX and the API).
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct GridQuery {
    /// One level down: the unit (or org under one) whose child orgs to show.
    pub org: Option<String>,
    /// unit, received, plan, activities, problems, decided, overdue, summary, last_activity, chases.
    pub sort: Option<String>,
    /// asc or desc.
    pub dir: Option<String>,
    /// missing, draft, returned, late, on_time, accepted.
    pub summary: Option<String>,
    /// yes (confirmed) or no.
    pub receipt: Option<String>,
    /// Any value but empty/0: only rows with overdue problems.
    pub overdue: Option<String>,
}

impl GridQuery {
    fn org(&self) -> AppResult<Option<OrgId>> {
        match self.org.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => s.parse().map(Some).map_err(|_| AppError::NotFound),
        }
    }

    fn column(&self) -> Column {
        self.sort
            .as_deref()
            .and_then(Column::parse)
            .unwrap_or(Column::Unit)
    }

    fn desc(&self) -> bool {
        self.dir.as_deref() == Some("desc")
    }

    fn filter(&self) -> Filter {
        Filter {
            summary: self
                .summary
                .as_deref()
                .and_then(|s| s.parse::<Standing>().ok()),
            received: match self.receipt.as_deref() {
                Some("yes") => Some(true),
                Some("no") => Some(false),
                _ => None,
            },
            overdue: self
                .overdue
                .as_deref()
                .is_some_and(|v| !v.is_empty() && v != "0"),
        }
    }

    /// The query string for the same grid sorted by `col` (toggling the
    /// direction when it is already sorted by it).
    fn sort_link(&self, col: Column) -> String {
        let dir = if self.column() == col && !self.desc() {
            "desc"
        } else {
            "asc"
        };
        self.query_with(&[("sort", col.as_str()), ("dir", dir)])
    }

    /// The query string with some parameters replaced.
    fn query_with(&self, set: &[(&str, &str)]) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        let cur = [
            ("org", &self.org),
            ("sort", &self.sort),
            ("dir", &self.dir),
            ("summary", &self.summary),
            ("receipt", &self.receipt),
            ("overdue", &self.overdue),
        ];
        for (k, v) in cur {
            if let Some((_, nv)) = set.iter().find(|(sk, _)| *sk == k) {
                if !nv.is_empty() {
                    pairs.push((k, nv.to_string()));
                }
            } else if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                pairs.push((k, v.to_string()));
            }
        }
        let q: Vec<String> = pairs
            .into_iter()
            .map(|(k, v)| format!("{k}={}", crate::web::errors::urlencode(&v)))
            .collect();
        if q.is_empty() {
            String::new()
        } else {
            format!("?{}", q.join("&"))
        }
    }
}

async fn grid(state: &AppState, caller: &Caller, id: CampaignId, q: &GridQuery) -> AppResult<Grid> {
    let ctx = ctx(state, caller, id, q.org()?).await?;
    grid_of(state, caller, &ctx, q).await
}

async fn grid_of(state: &AppState, caller: &Caller, ctx: &Ctx, q: &GridQuery) -> AppResult<Grid> {
    let c = &ctx.campaign;
    let today = Day::today();
    let days = crate::workday::store::workdays(&state.db).await?;
    let issued_on = store::issued_on(&state.db, c).await?;
    let clock = Clock {
        days: &days,
        today,
        issued: issued_on,
        window_end: c.ends_on,
        report_due: c.report_due_on,
        horizon: state.settings.reminders.days_before,
        plan_days: state.settings.reminders.open_days,
    };
    let mut rows = store::grid(&state.db, &ctx.read, c, &ctx.level, today).await?;
    for r in &mut rows {
        r.lights = super::lights(r, &clock);
    }
    let on_time = store::on_time(&state.db, &ctx.read, c.id).await?;
    let totals = super::totals(&rows, &|o| on_time.get(&o).copied().unwrap_or(true));
    let filter = q.filter();
    rows.retain(|r| filter.keeps(r));
    let (sort, desc) = (q.column(), q.desc());
    super::sort(&mut rows, sort, desc);
    let chaser = chasing_org(ctx).0;
    let can_chase = c.status == CampaignStatus::Active
        && caller
            .scope(Need::Write)
            .contains(&state.db, chaser)
            .await?;
    Ok(Grid {
        campaign_id: c.id,
        title: c.title.clone(),
        level: ctx.below.as_ref().map(|(org_id, name)| LevelInfo {
            org_id: *org_id,
            name: name.clone(),
        }),
        today,
        issued_on,
        report_due_on: c.report_due_on,
        totals,
        rows,
        sort,
        desc,
        can_chase,
    })
}

/// The supervision grid of a campaign: one row per participating unit (or,
/// with `org`, per child org of that unit), sorted and filtered as asked.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/supervision", tag = "supervision",
    params(("id" = i64, Path), GridQuery),
    responses((status = 200, body = Grid), (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_grid(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
    Query(q): Query<GridQuery>,
) -> AppResult<Json<Grid>> {
    Ok(Json(grid(&state, &caller, id, &q).await?))
}

/// How a row's chases read: "催报 2 次，最近 12月8日".
pub fn chases_text(lang: Lang, c: &ChaseCount) -> String {
    let mut parts = Vec::new();
    if c.report > 0 {
        parts.push(lang.ta("sv-chased-report", &[("n", c.report.to_string())]));
    }
    if c.act > 0 {
        parts.push(lang.ta("sv-chased-act", &[("n", c.act.to_string())]));
    }
    match (parts.is_empty(), c.last_at) {
        (true, _) | (_, None) => String::new(),
        (false, Some(at)) => lang.ta(
            "sv-chased-last",
            &[
                ("counts", parts.join(lang.t("sv-list-sep").as_str())),
                ("day", short_day(lang, Day::of_timestamp(at))),
            ],
        ),
    }
}

/// A day without its year: 12月8日 or 12-08.
fn short_day(lang: Lang, d: Day) -> String {
    let iso = d.iso();
    let (m, day) = (&iso[5..7], &iso[8..10]);
    match lang {
        Lang::Zh => format!(
            "{}月{}日",
            m.trim_start_matches('0'),
            day.trim_start_matches('0')
        ),
        Lang::En => format!("{m}-{day}"),
    }
}

/// The label of a row's plan cell.
fn plan_label(lang: Lang, p: Option<PlanStatus>) -> String {
    match p {
        Some(s) => lang.t(&s.label_key()),
        None => lang.t("plan-missing"),
    }
}

#[derive(Template)]
#[template(path = "supervision/grid.html")]
struct GridPage {
    c: Chrome,
    g: Grid,
    q: GridQuery,
    columns: Vec<Column>,
    states: Vec<Standing>,
    /// A fresh id for the chase form, so a form sent twice chases once.
    client_id: String,
    kinds: Vec<ChaseKind>,
    /// The form's values when it is shown again with errors.
    kind: String,
    message: String,
    chosen: Vec<OrgId>,
    errors: Vec<(String, String)>,
    /// How many orgs the last chase reached (after a redirect).
    chased: Option<i64>,
}

impl GridPage {
    fn sort_link(&self, col: &Column) -> String {
        self.q.sort_link(*col)
    }

    fn sort_mark(&self, col: &Column) -> &'static str {
        match (self.g.sort == *col, self.g.desc) {
            (true, false) => " ▲",
            (true, true) => " ▼",
            _ => "",
        }
    }

    fn aria_sort(&self, col: &Column) -> &'static str {
        match (self.g.sort == *col, self.g.desc) {
            (true, false) => "ascending",
            (true, true) => "descending",
            _ => "none",
        }
    }

    fn shows(&self, col: &Column) -> bool {
        self.g.level.is_none() || col.applies_below()
    }

    fn light_class(&self, l: &Option<Light>) -> String {
        l.map(|l| format!("light-{}", l.as_str()))
            .unwrap_or_default()
    }

    fn light_label(&self, l: &Option<Light>) -> String {
        l.map(|l| self.c.t(&l.label_key())).unwrap_or_default()
    }

    fn plan(&self, r: &GridRow) -> String {
        plan_label(self.c.lang, r.plan)
    }

    fn summary(&self, r: &GridRow) -> String {
        r.summary
            .map(|s| self.c.t(s.label_key()))
            .unwrap_or_default()
    }

    fn chases(&self, r: &GridRow) -> String {
        chases_text(self.c.lang, &r.chases)
    }

    fn last(&self, r: &GridRow) -> String {
        r.last_activity
            .map(|d| self.c.lang.day(d))
            .unwrap_or_else(|| "—".into())
    }

    fn state_count(&self, s: &Standing) -> i64 {
        self.g
            .totals
            .summary_states
            .get(s.rank())
            .copied()
            .unwrap_or(0)
    }

    fn pct(&self, p: &Option<i64>) -> String {
        p.map(|v| format!("{v}%")).unwrap_or_else(|| "—".into())
    }

    fn is_chosen(&self, org: &OrgId) -> bool {
        self.chosen.contains(org)
    }

    fn filter_is(&self, name: &str, value: &str) -> bool {
        let v = match name {
            "summary" => &self.q.summary,
            "receipt" => &self.q.receipt,
            _ => &self.q.overdue,
        };
        v.as_deref() == Some(value)
    }

    fn drill(&self, r: &GridRow) -> String {
        format!(
            "/campaigns/{}/supervision?org={}",
            self.g.campaign_id, r.org_id
        )
    }

    fn xlsx_link(&self) -> String {
        format!(
            "/campaigns/{}/supervision.xlsx{}",
            self.g.campaign_id,
            self.q.query_with(&[])
        )
    }

    fn level_value(&self) -> String {
        self.g
            .level
            .as_ref()
            .map(|l| l.org_id.to_string())
            .unwrap_or_default()
    }

    fn day(&self, d: &Day) -> String {
        self.c.lang.day(*d)
    }

    fn up_link(&self) -> String {
        format!("/campaigns/{}/supervision", self.g.campaign_id)
    }
}

/// Query of the page: the grid's, and the outcome of a chase just sent.
#[derive(Clone, Debug, Default, Deserialize)]
struct PageQuery {
    #[serde(flatten)]
    q: GridQuery,
    chased: Option<i64>,
}

async fn grid_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
    Query(p): Query<PageQuery>,
) -> AppResult<Response> {
    let g = grid(&state, &caller, id, &p.q).await?;
    render(page(&caller, g, p.q, p.chased, None))
}

/// The form's values and errors when a chase is shown again.
struct Again {
    kind: String,
    message: String,
    chosen: Vec<OrgId>,
    client_id: String,
    errors: Vec<(String, String)>,
}

fn page(
    caller: &Caller,
    g: Grid,
    q: GridQuery,
    chased: Option<i64>,
    again: Option<Again>,
) -> GridPage {
    let path = format!("/campaigns/{}/supervision", g.campaign_id);
    let again = again.unwrap_or_else(|| Again {
        kind: ChaseKind::Report.as_str().into(),
        message: String::new(),
        chosen: Vec::new(),
        client_id: crate::auth::random_token(12),
        errors: Vec::new(),
    });
    GridPage {
        c: Chrome::for_caller(caller, &path),
        g,
        q,
        columns: Column::ALL.to_vec(),
        states: Standing::ALL.to_vec(),
        client_id: again.client_id,
        kinds: ChaseKind::ALL.to_vec(),
        kind: again.kind,
        message: again.message,
        chosen: again.chosen,
        errors: again.errors,
        chased,
    }
}

// ---- XLSX ----

/// Picks one light of a row.
type LightOf = fn(&Lights) -> Option<Light>;

/// The workbook of a grid: the same rows, sort and filter as the page; each
/// coloured cell filled with its light's colour, and the lights as text.
pub fn workbook(lang: Lang, g: &Grid) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, FormatBorder, Workbook};
    let mut book = Workbook::new();
    let head = Format::new()
        .set_bold()
        .set_background_color("#EAF1FB")
        .set_border_bottom(FormatBorder::Thin)
        .set_text_wrap();
    let fill = |l: Option<Light>| {
        let f = Format::new();
        match l {
            Some(Light::Red) => f.set_background_color("#FFEBE9"),
            Some(Light::Yellow) => f.set_background_color("#FFF8C5"),
            Some(Light::Green) => f.set_background_color("#DAFBE1"),
            None => f,
        }
    };
    let below = g.level.is_some();
    let sheet = book.add_worksheet();
    sheet.set_name(lang.t("sv-title"))?;
    let mut headers: Vec<(String, f64)> =
        vec![(lang.t("sv-col-unit"), 28.0), (lang.t("sv-code"), 14.0)];
    for col in Column::ALL.iter().skip(1) {
        if below && !col.applies_below() {
            continue;
        }
        headers.push((lang.t(&col.label_key()), 14.0));
    }
    let light_cols: Vec<(&str, LightOf)> = if below {
        vec![
            ("sv-light-activities", |l| l.activities),
            ("sv-light-problems", |l| l.problems),
        ]
    } else {
        vec![
            ("sv-light-received", |l| l.received),
            ("sv-light-plan", |l| l.plan),
            ("sv-light-activities", |l| l.activities),
            ("sv-light-problems", |l| l.problems),
            ("sv-light-summary", |l| l.summary),
        ]
    };
    for (key, _) in &light_cols {
        headers.push((lang.t(key), 12.0));
    }
    for (c, (title, width)) in headers.iter().enumerate() {
        sheet.set_column_width(c as u16, *width)?;
        sheet.write_string_with_format(0, c as u16, title, &head)?;
    }
    sheet.set_freeze_panes(1, 1)?;
    for (i, r) in g.rows.iter().enumerate() {
        let row = (i + 1) as u32;
        let mut col: u16 = 0;
        let text = |sheet: &mut rust_xlsxwriter::Worksheet,
                    col: &mut u16,
                    s: &str,
                    l: Option<Light>|
         -> Result<(), rust_xlsxwriter::XlsxError> {
            sheet.write_string_with_format(row, *col, s, &fill(l))?;
            *col += 1;
            Ok(())
        };
        text(sheet, &mut col, &r.name, None)?;
        text(sheet, &mut col, &r.code, None)?;
        if !below {
            let received = match &r.receipt {
                Some(x) => format!("{} {}", x.receiver, lang.datetime(x.received_at)),
                None => lang.t("sv-not-received"),
            };
            text(sheet, &mut col, &received, r.lights.received)?;
            text(sheet, &mut col, &plan_label(lang, r.plan), r.lights.plan)?;
        }
        for (n, l) in [
            (r.activities, r.lights.activities),
            (r.problems, r.lights.problems),
            (r.decided, r.lights.problems),
            (r.overdue, r.lights.problems),
        ] {
            sheet.write_number_with_format(row, col, n as f64, &fill(l))?;
            col += 1;
        }
        if !below {
            let s = r.summary.map(|s| lang.t(s.label_key())).unwrap_or_default();
            text(sheet, &mut col, &s, r.lights.summary)?;
        }
        let last = r.last_activity.map(|d| d.iso()).unwrap_or_default();
        text(sheet, &mut col, &last, None)?;
        text(sheet, &mut col, &chases_text(lang, &r.chases), None)?;
        for (_, get) in &light_cols {
            let l = get(&r.lights);
            let s = l.map(|l| lang.t(&l.label_key())).unwrap_or_default();
            text(sheet, &mut col, &s, l)?;
        }
    }
    book.save_to_buffer()
}

async fn grid_xlsx(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
    Query(q): Query<GridQuery>,
) -> AppResult<Response> {
    let ctx = ctx(&state, &caller, id, q.org()?).await?;
    let g = grid_of(&state, &caller, &ctx, &q).await?;
    let body = workbook(caller.lang, &g).map_err(|e| AppError::Internal(e.into()))?;
    let name = format!(
        "{}-{}-{}.xlsx",
        caller.lang.t("sv-title"),
        g.title,
        crate::web::download::stamp()
    );
    let owner = g.level.as_ref().map_or(ctx.campaign.org_id, |l| l.org_id);
    let e = Entry::by(&caller, owner, Action::Export)
        .target(format!("export:{name}"))
        .detail(format!("{} bytes", body.len()));
    audit::store::record(state.db.pool(), &e).await?;
    Ok(crate::web::download::attachment(
        body,
        &name,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ))
}

// ---- chases ----

/// What a chase did.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ChaseResult {
    /// Orgs chased now (0 for a retry of the same action).
    pub created: u64,
    /// Every chase of the action.
    pub chases: Vec<Chase>,
}

async fn chase(
    state: &AppState,
    caller: &Caller,
    id: CampaignId,
    input: &ChaseInput,
) -> AppResult<ChaseResult> {
    let ctx = ctx(state, caller, id, input.level).await?;
    let (from, from_name) = chasing_org(&ctx);
    if !caller.scope(Need::Write).contains(&state.db, from).await? {
        return Err(AppError::Forbidden);
    }
    if ctx.campaign.status != CampaignStatus::Active {
        return Err(AppError::field("status", "err-sv-not-active"));
    }
    let f = input.parse()?;
    let rows: HashSet<OrgId> = match &ctx.level {
        Level::Units(_) => ctx.units.iter().map(|u| u.org_id).collect(),
        Level::Children(org) => store::children(&state.db, *org)
            .await?
            .into_iter()
            .map(|c| c.0)
            .collect(),
    };
    if let Some(bad) = f.org_ids.iter().find(|o| !rows.contains(o)) {
        return Err(AppError::Validation(vec![
            crate::error::FieldError::new("org_ids", "err-chase-not-row").arg("id", bad),
        ]));
    }
    let units: HashSet<OrgId> = ctx.units.iter().map(|u| u.org_id).collect();
    let who = Chaser {
        from: (from, &from_name),
        user: Some(caller.user_id),
        username: Some(&caller.username),
        display_name: &caller.display_name,
        ip: caller.ip.as_deref(),
    };
    let mut tx = state.db.begin().await?;
    let (chases, created) = store::chase(&mut tx, &ctx.campaign, &units, &who, &f).await?;
    tx.commit().await?;
    Ok(ChaseResult { created, chases })
}

/// Chases units (or, with `level`, that unit's child orgs) in one action:
/// each gets a chase, an audit entry and a notice. The same `client_id`
/// again chases no one twice (200 with the first action's chases).
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/chases", tag = "supervision",
    params(("id" = i64, Path)), request_body = ChaseInput,
    responses((status = 201, body = ChaseResult), (status = 200, description = "A retry: nothing new", body = ChaseResult),
        (status = 422, body = crate::web::errors::ErrorBody), (status = 403, body = crate::web::errors::ErrorBody),
        (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_chase(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
    Json(input): Json<ChaseInput>,
) -> AppResult<Response> {
    let r = chase(&state, &caller, id, &input).await?;
    let status = if r.created > 0 {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(r)).into_response())
}

/// The grid's chase form: checkboxes `org_ids`, `kind`, `message`,
/// `client_id`, `level`.
fn chase_form(raw: &[(String, String)]) -> ChaseInput {
    let get = |k: &str| {
        raw.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.trim().is_empty())
    };
    ChaseInput {
        kind: get("kind"),
        message: get("message"),
        org_ids: raw
            .iter()
            .filter(|(n, _)| n == "org_ids")
            .filter_map(|(_, v)| v.trim().parse().ok())
            .collect(),
        client_id: get("client_id"),
        level: get("level").and_then(|v| v.trim().parse().ok()),
    }
}

async fn chase_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
    Form(raw): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let input = chase_form(&raw);
    let q = GridQuery {
        org: input.level.map(|l| l.to_string()),
        ..GridQuery::default()
    };
    match chase(&state, &caller, id, &input).await {
        Ok(r) => {
            let mut to = format!("/campaigns/{id}/supervision{}", q.query_with(&[]));
            to.push(if to.contains('?') { '&' } else { '?' });
            to.push_str(&format!("chased={}", r.chases.len()));
            Ok(Redirect::to(&to).into_response())
        }
        Err(e) => {
            let Some(errors) = crate::web::form::errors_of(&e, &caller) else {
                return Err(e);
            };
            let g = grid(&state, &caller, id, &q).await?;
            let again = Again {
                kind: input.kind.clone().unwrap_or_default(),
                message: input.message.clone().unwrap_or_default(),
                chosen: input.org_ids.clone(),
                client_id: input
                    .client_id
                    .clone()
                    .unwrap_or_else(|| crate::auth::random_token(12)),
                errors,
            };
            let p = page(&caller, g, q, None, Some(again));
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(p.render()?)).into_response())
        }
    }
}

// ---- the timeline ----

/// One org's timeline in a campaign.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Timeline {
    pub campaign_id: CampaignId,
    pub title: String,
    pub org_id: OrgId,
    pub name: String,
    /// Whether the org is a participating unit (else an org under one).
    pub is_unit: bool,
    pub events: Vec<TimelineEvent>,
}

async fn timeline(
    state: &AppState,
    caller: &Caller,
    id: CampaignId,
    org: OrgId,
) -> AppResult<Timeline> {
    let c = issued(state, caller, id).await?;
    let read = caller.scope(Need::Read);
    let units = crate::campaign::store::units(&state.db, id, None).await?;
    if !under_units(state, &units, org).await? || !reads(state, &read, &c, org).await? {
        return Err(AppError::NotFound);
    }
    let name: String = sqlx::query_scalar("SELECT name FROM orgs WHERE id = $1")
        .bind(org)
        .fetch_one(state.db.pool())
        .await?;
    let events = store::timeline(&state.db, &read, id, org).await?;
    Ok(Timeline {
        campaign_id: id,
        title: c.title,
        org_id: org,
        name,
        is_unit: units.iter().any(|u| u.org_id == org),
        events,
    })
}

/// A unit's timeline in the campaign: receipt, plan events, summary versions
/// and decisions, chases, oldest first.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/supervision/{org}/timeline", tag = "supervision",
    params(("id" = i64, Path), ("org" = i64, Path)),
    responses((status = 200, body = Timeline), (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_timeline(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, org)): Path<(CampaignId, OrgId)>,
) -> AppResult<Json<Timeline>> {
    Ok(Json(timeline(&state, &caller, id, org).await?))
}

#[derive(Template)]
#[template(path = "supervision/timeline.html")]
struct TimelinePage {
    c: Chrome,
    t: Timeline,
}

impl TimelinePage {
    fn kind_label(&self, e: &TimelineEvent) -> String {
        self.c.t(&e.label_key())
    }
}

async fn timeline_page(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, org)): Path<(CampaignId, OrgId)>,
) -> AppResult<Response> {
    let t = timeline(&state, &caller, id, org).await?;
    render(TimelinePage {
        c: Chrome::for_caller(&caller, &format!("/campaigns/{id}/supervision/{org}")),
        t,
    })
}

// ---- receipt ----

/// Which unit confirms receipt.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ReceiptInput {
    /// The unit; needed only when the caller writes for several units.
    pub org: Option<OrgId>,
}

/// A receipt and whether this call made it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ReceiptResult {
    pub receipt: Receipt,
    /// False when the unit had already confirmed (nothing changed).
    pub created: bool,
}

async fn receive(
    state: &AppState,
    caller: &Caller,
    id: CampaignId,
    org: Option<OrgId>,
) -> AppResult<ReceiptResult> {
    let c = issued(state, caller, id).await?;
    let read = caller.scope(Need::Read);
    let write = caller.scope(Need::Write);
    let units = crate::campaign::store::units(&state.db, id, None).await?;
    let unit = match org {
        Some(org) => {
            if !units.iter().any(|u| u.org_id == org) || !reads(state, &read, &c, org).await? {
                return Err(AppError::NotFound);
            }
            if !write.contains(&state.db, org).await? {
                return Err(AppError::Forbidden);
            }
            org
        }
        None => {
            let mut mine = Vec::new();
            for u in &units {
                if write.contains(&state.db, u.org_id).await? {
                    mine.push(u.org_id);
                }
            }
            match mine.as_slice() {
                [] => return Err(AppError::Forbidden),
                [one] => *one,
                _ => return Err(AppError::field("org", "err-receipt-which")),
            }
        }
    };
    if c.status != CampaignStatus::Active {
        return Err(AppError::field("status", "err-sv-not-active"));
    }
    let mut tx = state.db.begin().await?;
    let (receipt, created) = store::confirm(
        &mut tx,
        id,
        unit,
        (Some(caller.user_id), &caller.display_name),
    )
    .await?;
    if created {
        let e = Entry::by(caller, unit, Action::CampaignReceived)
            .target(format!("campaign:{id}"))
            .detail(c.title.clone());
        audit::store::record(&mut *tx, &e).await?;
    }
    tx.commit().await?;
    Ok(ReceiptResult { receipt, created })
}

/// Confirms receipt (签收) of an issued campaign for the caller's unit (or
/// `org`). A retry changes nothing and answers 200 with the first receipt.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/receipt", tag = "supervision",
    params(("id" = i64, Path)), request_body = ReceiptInput,
    responses((status = 201, body = ReceiptResult), (status = 200, description = "Already confirmed", body = ReceiptResult),
        (status = 422, body = crate::web::errors::ErrorBody), (status = 403, body = crate::web::errors::ErrorBody),
        (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_receipt(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
    body: Option<Json<ReceiptInput>>,
) -> AppResult<Response> {
    let org = body.and_then(|b| b.0.org);
    let r = receive(&state, &caller, id, org).await?;
    let status = if r.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(r)).into_response())
}

#[derive(Clone, Debug, Default, Deserialize)]
struct ReceiptForm {
    org: Option<String>,
}

async fn receipt_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
    Form(f): Form<ReceiptForm>,
) -> AppResult<Response> {
    let org = match f.org.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Some(s.parse().map_err(|_| AppError::NotFound)?),
        None => None,
    };
    receive(&state, &caller, id, org).await?;
    Ok(Redirect::to(&format!("/campaigns/{id}")).into_response())
}

// ---- on the campaign page ----

/// What the campaign page shows of supervision: the receipt button for each
/// participating unit the caller writes for that has not confirmed, the
/// receipts of the caller's units, and whether the grid opens for the caller.
#[derive(Clone, Debug, Default)]
pub struct CampaignPanel {
    /// Units the caller may confirm for: id, name.
    pub to_confirm: Vec<(OrgId, String)>,
    /// Confirmed receipts of the caller's units: unit name, receipt.
    pub confirmed: Vec<(String, Receipt)>,
    /// Whether the caller may open the grid.
    pub grid: bool,
}

/// The panel of `c` for `caller` (empty for a draft).
pub async fn campaign_panel(
    state: &AppState,
    caller: &Caller,
    c: &Campaign,
) -> AppResult<CampaignPanel> {
    let mut p = CampaignPanel::default();
    if c.status == CampaignStatus::Draft {
        return Ok(p);
    }
    let read = caller.scope(Need::Read);
    let write = caller.scope(Need::Write);
    let issuer_reader = read.contains(&state.db, c.org_id).await?;
    let issuer_writer = write.contains(&state.db, c.org_id).await?;
    p.grid = issuer_reader;
    for u in crate::campaign::store::units(&state.db, c.id, None).await? {
        // The issuing office does not confirm its own notice; a unit does.
        if issuer_writer || !read.contains(&state.db, u.org_id).await? {
            continue;
        }
        p.grid = true;
        match store::receipt(&state.db, &read, c.id, u.org_id).await? {
            Some(r) => p.confirmed.push((u.name.clone(), r)),
            None if c.status == CampaignStatus::Active
                && write.contains(&state.db, u.org_id).await? =>
            {
                p.to_confirm.push((u.org_id, u.name.clone()));
            }
            None => {}
        }
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_links_toggle_and_keep_the_filters() {
        let q = GridQuery {
            summary: Some("missing".into()),
            sort: Some("summary".into()),
            ..GridQuery::default()
        };
        assert_eq!(
            q.sort_link(Column::Summary),
            "?sort=summary&dir=desc&summary=missing"
        );
        assert_eq!(
            q.sort_link(Column::Overdue),
            "?sort=overdue&dir=asc&summary=missing"
        );
        assert_eq!(GridQuery::default().query_with(&[]), "");
    }

    #[test]
    fn chases_read_as_counts_and_the_last_day() {
        let c = ChaseCount {
            report: 2,
            act: 0,
            // 2026-12-08 10:00 in Beijing.
            last_at: Some(1_796_695_200),
        };
        assert_eq!(chases_text(Lang::Zh, &c), "催报 2 次，最近 12月8日");
        assert_eq!(chases_text(Lang::Zh, &ChaseCount::default()), "");
    }

    #[test]
    fn the_chase_form_reads_every_checked_unit() {
        let raw: Vec<(String, String)> = [
            ("kind", "act"),
            ("message", "请抓紧"),
            ("org_ids", "3"),
            ("org_ids", "5"),
            ("client_id", "abc"),
            ("level", ""),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        let i = chase_form(&raw);
        assert_eq!(i.org_ids, vec![OrgId(3), OrgId(5)]);
        assert_eq!(i.level, None);
        assert_eq!(i.kind.as_deref(), Some("act"));
    }
}
