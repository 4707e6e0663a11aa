//! The dashboard page `/campaigns/{id}/dashboard`, its drill-downs, the
//! briefing PDF and `GET /api/v1/campaigns/{id}/dashboard`.
//!
//! Who sees what: anyone who reads the campaign sees the board of any org
//! their read scope reaches (`?org=`, by default the issuing org when they
//! reach it, else their own org); every figure is computed inside that scope,
//! so a street sees its own subtree and nothing of its neighbours.

use crate::web::{Json, Path, Query};
use askama::Template;
use axum::{
    Router,
    extract::State,
    http::header,
    response::{IntoResponse, Response},
    routing::get,
};
use serde::{Deserialize, Serialize};
use utoipa::OpenApi;

use super::{Board, Figures, Line, store};
use crate::{
    auth::{Caller, Need, Scope},
    campaign::Campaign,
    db::{CampaignId, OrgId},
    error::{AppError, AppResult},
    org::Org,
    summary::{
        FigureKey,
        store::{self as summary, Drill, DrillRow, Lines},
    },
    web::{
        AppState,
        page::{Chrome, render},
    },
};

/// The routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/campaigns/{id}/dashboard", get(page))
        .route("/campaigns/{id}/dashboard/records", get(records_page))
        .route("/campaigns/{id}/dashboard/briefing.pdf", get(briefing_pdf))
        .route("/api/v1/campaigns/{id}/dashboard", get(api_board))
}

/// This module's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(api_board),
    components(schemas(Board, Line, Figures, super::Series)),
    tags((name = "dashboards", description = "A campaign's or programme's figures at one level of the tree"))
)]
pub struct ApiDoc;

/// Which level to show.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct LevelParams {
    /// The org whose subtree the board shows (default: the issuing org when
    /// the caller reaches it, else the caller's own org).
    #[param(value_type = Option<i64>)]
    pub org: Option<String>,
}

/// The campaign and the level org, both inside the caller's read scope.
async fn level(
    state: &AppState,
    caller: &Caller,
    id: CampaignId,
    org: Option<&str>,
) -> AppResult<(Scope, Campaign, Org)> {
    let read = caller.scope(Need::Read);
    let campaign = crate::campaign::store::get(&state.db, &read, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let wanted = match org.map(str::trim).filter(|s| !s.is_empty()) {
        Some(raw) => OrgId(
            raw.parse()
                .map_err(|_| AppError::field("org", "err-not-a-number"))?,
        ),
        None if read.contains(&state.db, campaign.org_id).await? => campaign.org_id,
        None => caller.home_org,
    };
    let org = crate::org::store::get(&state.db, &read, wanted)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((read, campaign, org))
}

#[utoipa::path(get, path = "/api/v1/campaigns/{id}/dashboard", tag = "dashboards",
    params(("id" = i64, Path, description = "Campaign or programme id"), LevelParams),
    responses((status = 200, body = Board), (status = 404, description = "Campaign or org not visible")))]
/// The board of one level: totals, one line per child org, monthly trends.
pub async fn api_board(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
    Query(p): Query<LevelParams>,
) -> AppResult<Json<Board>> {
    let (read, campaign, org) = level(&state, &caller, id, p.org.as_deref()).await?;
    Ok(Json(store::board(&state.db, &read, &campaign, &org).await?))
}

/// A chart the page script draws.
#[derive(Serialize)]
struct Charts {
    lines: Vec<String>,
    /// (message key's label, one value per line)
    bars: Vec<(String, Vec<i64>)>,
    months: Vec<String>,
    trends: Vec<(String, Vec<i64>)>,
}

#[derive(Template)]
#[template(path = "dashboard/board.html")]
struct BoardPage {
    c: Chrome,
    b: Board,
    campaign: Campaign,
    charts: String,
    echarts: &'static str,
}

impl BoardPage {
    /// The drill-down link of one figure of one org's subtree.
    fn drill(&self, org: &OrgId, figure: &str) -> String {
        format!(
            "/campaigns/{}/dashboard/records?org={org}&figure={figure}",
            self.b.campaign_id
        )
    }

    /// Each outcome: its code, label, count and drill-down link.
    fn outcomes(&self) -> Vec<(&'static str, String, String, String)> {
        OUTCOMES
            .iter()
            .enumerate()
            .map(|(i, code)| {
                (
                    *code,
                    self.c.t(&format!("dash-outcome-{code}")),
                    self.c.int(self.b.totals.outcomes[i]),
                    self.drill(&self.b.org_id, &format!("outcome:{code}")),
                )
            })
            .collect()
    }

    fn as_of(&self) -> String {
        self.c.lang.day(self.b.as_of)
    }

    fn mediation_rate(&self, f: &Figures) -> String {
        f.mediation_rate()
            .map_or_else(|| "—".into(), |p| format!("{p}%"))
    }

    fn rate(&self, f: &Figures) -> String {
        super::percent(f.solved(), f.problems).map_or_else(|| "—".into(), |p| format!("{p}%"))
    }
}

/// Outcome codes in [`Figures::outcomes`] order (the drill spelling).
const OUTCOMES: [&str; 5] = ["solved", "in_progress", "planned", "reference", "open"];

async fn page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
    Query(p): Query<LevelParams>,
) -> AppResult<Response> {
    let (read, campaign, org) = level(&state, &caller, id, p.org.as_deref()).await?;
    let b = store::board(&state.db, &read, &campaign, &org).await?;
    let c = Chrome::for_caller(&caller, &format!("/campaigns/{id}/dashboard"));
    // Lines with nothing recorded (a department, a unit not yet started)
    // stay in the table but would only stretch the chart.
    let shown: Vec<&Line> = b
        .lines
        .iter()
        .filter(|l| l.figures != Figures::default())
        .collect();
    let bar = |key: &str, f: fn(&Figures) -> i64| {
        (
            c.t(key),
            shown.iter().map(|l| f(&l.figures)).collect::<Vec<_>>(),
        )
    };
    let charts = Charts {
        lines: shown.iter().map(|l| l.name.clone()).collect(),
        bars: vec![
            bar("dash-enterprises", |f| f.enterprises_visited),
            bar("dash-problems", |f| f.problems),
            bar("dash-outcome-solved", |f| f.solved()),
        ],
        months: b.months.clone(),
        trends: b
            .trends
            .iter()
            .map(|s| (c.t(&format!("dash-trend-{}", s.key)), s.values.clone()))
            .collect(),
    };
    // Data for the script goes into a JSON element (the CSP runs no inline
    // script); `</` is escaped so no name can close the element.
    let charts = serde_json::to_string(&charts)
        .map_err(|e| AppError::Internal(e.into()))?
        .replace("</", "<\\/");
    render(BoardPage {
        c,
        b,
        campaign,
        charts,
        echarts: crate::web::assets::ECHARTS,
    })
}

/// Which records to list.
#[derive(Clone, Debug, Default, Deserialize)]
struct RecordsParams {
    org: Option<String>,
    /// enterprises, interviews, symposiums, participants, escalated,
    /// outcome:<solved|in_progress|planned|reference|open>, or questionnaires.
    figure: Option<String>,
}

/// At most this many rows on a drill-down page.
const DRILL_LIMIT: i64 = 2000;

#[derive(Template)]
#[template(path = "dashboard/records.html")]
struct RecordsPage {
    c: Chrome,
    campaign: Campaign,
    org: Org,
    label: String,
    figure: i64,
    rows: Vec<DrillRow>,
}

impl RecordsPage {
    fn truncated(&self) -> bool {
        self.rows.len() as i64 >= DRILL_LIMIT
    }
}

/// The records behind one figure of one org's subtree: the summary table's
/// own drill-downs (the same rows its figures count) for visits, interviews
/// and problems, the questionnaires with their valid counts otherwise.
async fn records(
    state: &AppState,
    read: &Scope,
    campaign: &Campaign,
    org: &Org,
    figure: &str,
    c: &Chrome,
) -> AppResult<(String, i64, Vec<DrillRow>)> {
    let lines = Lines::unit(org.id);
    if let Some(code) = figure.strip_prefix("outcome:") {
        let i = OUTCOMES
            .iter()
            .position(|o| *o == code)
            .ok_or_else(|| AppError::field("figure", "err-dash-figure"))?;
        let mut rows = Vec::new();
        let mut total = 0;
        for source in crate::problem::Source::ALL {
            let (r, n) = summary::drill(
                &state.db,
                read,
                campaign.id,
                &lines,
                org.id,
                Drill::Outcome(source, i),
                DRILL_LIMIT,
            )
            .await?;
            rows.extend(r);
            total += n;
        }
        rows.sort_by(|a, b| a.day.cmp(&b.day).then(a.id.cmp(&b.id)));
        rows.truncate(DRILL_LIMIT as usize);
        return Ok((c.t(&format!("dash-outcome-{code}")), total, rows));
    }
    if figure == "questionnaires" {
        let rows = store::questionnaire_rows(&state.db, read, campaign, org).await?;
        let total = rows.iter().map(|r| r.amount).sum();
        return Ok((c.t("dash-questionnaires"), total, rows));
    }
    let key = FigureKey::from_code(figure.trim())
        .filter(|k| *k != FigureKey::Solved)
        .ok_or_else(|| AppError::field("figure", "err-dash-figure"))?;
    let (rows, total) = summary::drill(
        &state.db,
        read,
        campaign.id,
        &lines,
        org.id,
        Drill::Figure(key),
        DRILL_LIMIT,
    )
    .await?;
    Ok((c.t(key.label_key()), total, rows))
}

async fn records_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
    Query(p): Query<RecordsParams>,
) -> AppResult<Response> {
    let (read, campaign, org) = level(&state, &caller, id, p.org.as_deref()).await?;
    let c = Chrome::for_caller(&caller, &format!("/campaigns/{id}/dashboard/records"));
    let figure = p.figure.as_deref().unwrap_or("");
    let (label, total, rows) = records(&state, &read, &campaign, &org, figure, &c).await?;
    render(RecordsPage {
        c,
        campaign,
        org,
        label,
        figure: total,
        rows,
    })
}

async fn briefing_pdf(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
    Query(p): Query<LevelParams>,
) -> AppResult<Response> {
    let (read, campaign, org) = level(&state, &caller, id, p.org.as_deref()).await?;
    let b = store::board(&state.db, &read, &campaign, &org).await?;
    let settings = state.settings.clone();
    let lang = caller.lang;
    let bytes = tokio::task::spawn_blocking(move || super::briefing::render(&settings, &b, lang))
        .await
        .map_err(|e| AppError::Internal(e.into()))??;
    let name = format!("briefing-{}-{}.pdf", campaign.id, org.code);
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}
