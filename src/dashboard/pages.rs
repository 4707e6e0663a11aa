//! The dashboard page and its drill-downs.

use askama::Template;
use axum::{extract::State, response::Response};
use serde::Serialize;

use super::{Board, Figures, LevelParams, Line, RecordsParams, ops};
use crate::{
    auth::Caller,
    campaign::Campaign,
    db::{CampaignId, OrgId},
    error::{AppError, AppResult},
    org::Org,
    summary::{OutcomeCounts, store::DrillRow},
    web::{
        AppState, Path, Query,
        page::{Chrome, render},
    },
};

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
        OutcomeCounts::CODES
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

/// `GET /campaigns/{id}/dashboard`: the board of one level.
pub(super) async fn board(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
    Query(p): Query<LevelParams>,
) -> AppResult<Response> {
    let (b, campaign, _) = ops::board(&state.db, &caller, id, p.org.as_deref()).await?;
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
            .map(|s| (c.t(s.key.label_key()), s.values.clone()))
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
        self.rows.len() as i64 >= ops::DRILL_LIMIT
    }
}

/// `GET /campaigns/{id}/dashboard/records`: the records behind one figure.
pub(super) async fn records(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
    Query(p): Query<RecordsParams>,
) -> AppResult<Response> {
    let (read, campaign, org) = ops::level(&state.db, &caller, id, p.org.as_deref()).await?;
    let c = Chrome::for_caller(&caller, &format!("/campaigns/{id}/dashboard/records"));
    let figure = p.figure.as_deref().unwrap_or("");
    let (label, total, rows) =
        ops::records(&state.db, &read, (&campaign, &org), figure, caller.lang).await?;
    render(RecordsPage {
        c,
        campaign,
        org,
        label,
        figure: total,
        rows,
    })
}
