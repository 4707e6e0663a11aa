//! Supervision pages: the grid with its chase form, a unit's timeline, and
//! the receipt button of the campaign page. Writes go through `ops`, like
//! the API's.

use askama::Template;
use axum::{
    extract::State,
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;

use super::{
    ChaseInput, ChaseKind, Column, Grid, GridQuery, GridRow, Timeline, TimelineEvent, chases_text,
    ops, plan_label,
};
use crate::{
    auth::Caller,
    date::Day,
    db::{CampaignId, OrgId},
    error::{AppError, AppResult},
    summary::workflow::Standing,
    web::{
        AppState, Form, Path, Query,
        form::submitted,
        page::{Chrome, render},
    },
    workday::Light,
};

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
            "/api/v1/campaigns/{}/supervision.xlsx{}",
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
pub(super) struct PageQuery {
    #[serde(flatten)]
    q: GridQuery,
    chased: Option<i64>,
}

/// `GET /campaigns/{id}/supervision`: the grid, sorted and filtered as asked.
pub(super) async fn grid(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
    Query(p): Query<PageQuery>,
) -> AppResult<Response> {
    let (g, _) = ops::grid(&state.db, &state.settings.reminders, &caller, id, &p.q).await?;
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

/// `POST /campaigns/{id}/supervision/chases`: chases through the same use
/// case as the API, then the grid again (with how many were chased), or the
/// grid with the form's errors.
pub(super) async fn chase(
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
    let result = ops::chase(&state.db, &caller, id, &input).await;
    let back = q.query_with(&[]);
    let (state, caller, q, input) = (&state, &caller, &q, &input);
    submitted(
        caller,
        result,
        |r| {
            let mut to = format!("/campaigns/{id}/supervision{back}");
            to.push(if to.contains('?') { '&' } else { '?' });
            to.push_str(&format!("chased={}", r.chases.len()));
            to
        },
        |errors| async move {
            let (g, _) = ops::grid(&state.db, &state.settings.reminders, caller, id, q).await?;
            let again = Again {
                kind: input.kind.clone().unwrap_or_default(),
                message: input.message.clone().unwrap_or_default(),
                chosen: input.org_ids.clone(),
                client_id: input
                    .client_id
                    .clone()
                    .unwrap_or_else(|| crate::auth::random_token(12)),
                errors: errors.0,
            };
            Ok(page(caller, g, q.clone(), None, Some(again)))
        },
    )
    .await
}

#[derive(Template)]
#[template(path = "supervision/timeline.html")]
struct TimelinePage {
    c: Chrome,
    t: Timeline,
}

impl TimelinePage {
    fn kind_label(&self, e: &TimelineEvent) -> String {
        self.c.t(e.kind.label_key())
    }
}

/// `GET /campaigns/{id}/supervision/{org}`: a unit's timeline.
pub(super) async fn timeline(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, org)): Path<(CampaignId, OrgId)>,
) -> AppResult<Response> {
    let t = ops::timeline(&state.db, &caller, id, org).await?;
    render(TimelinePage {
        c: Chrome::for_caller(&caller, &format!("/campaigns/{id}/supervision/{org}")),
        t,
    })
}

#[derive(Clone, Debug, Default, Deserialize)]
pub(super) struct ReceiptForm {
    org: Option<String>,
}

/// `POST /campaigns/{id}/receipt`: confirms receipt, back to the campaign.
pub(super) async fn receipt(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
    Form(f): Form<ReceiptForm>,
) -> AppResult<Response> {
    let org = match f.org.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Some(s.parse().map_err(|_| AppError::NotFound)?),
        None => None,
    };
    ops::receive(&state.db, &caller, id, org).await?;
    Ok(Redirect::to(&format!("/campaigns/{id}")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{i18n::Lang, supervision::ChaseCount};

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
