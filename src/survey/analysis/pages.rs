//! Analysis pages: `/surveys/{id}/analysis` (figures, charts, the
//! cross-tab), free-text answers with their keywords, one response, and the
//! "转为问题" button, which goes through `ops` like the API.

use crate::survey::analysis::ValueCount;
use askama::Template;
use axum::{
    extract::State,
    response::{IntoResponse, Redirect, Response},
};
use serde::{Deserialize, Serialize};

use super::{
    Analysis, AnalysisQuery, ProblemInput, ResponseDetail, TextPage, TextQuery, Validity, export,
    ops, tally::Kind,
};
use crate::{
    auth::Caller,
    db::{ProblemId, ResponseId, SurveyId},
    enterprise::WorkerGroup,
    error::{AppError, AppResult},
    i18n::Lang,
    problem::store as problems,
    survey::{Survey, ops::visible},
    web::{
        AppState, Form, Path, Query,
        page::{Chrome, render},
    },
};

/// A chart the page script draws: horizontal bars of counts.
#[derive(Serialize)]
struct Chart {
    id: String,
    labels: Vec<String>,
    values: Vec<u64>,
    /// Percent per bar, for the tooltip.
    percents: Vec<f64>,
}

/// A cross-tab row as the page shows it: label, (count, row percent) per
/// column, row total.
/// A cross-tab row as shown: label, (count, row percent) per column, total.
type XRow = (String, Vec<(String, String)>, String);

#[derive(Template)]
#[template(path = "survey/analysis.html")]
struct AnalysisPage {
    c: Chrome,
    s: Survey,
    a: Analysis,
    q: AnalysisQuery,
    qs: String,
    validities: Vec<Validity>,
    groups: Vec<WorkerGroup>,
    charts: String,
    echarts: &'static str,
}

impl AnalysisPage {
    fn pct(&self, p: &f64) -> String {
        format!("{p:.1}%")
    }

    /// Width of a table bar (SVG units of 100).
    fn bar(&self, p: &f64) -> String {
        format!("{:.1}", p.clamp(0.0, 100.0))
    }

    fn n(&self, x: &f64) -> String {
        export::fmt_num(*x)
    }

    fn val<'a>(&self, v: &'a Option<String>) -> &'a str {
        v.as_deref().unwrap_or("")
    }

    fn is_validity(&self, v: &Validity) -> bool {
        self.a.filter.validity == *v
    }

    fn is_group(&self, g: &WorkerGroup) -> bool {
        self.a.filter.group.as_deref() == Some(g.as_str())
    }

    fn row_is(&self, name: &str) -> bool {
        self.a.crosstab.as_ref().is_some_and(|x| x.row == name)
    }

    fn by_is(&self, name: &str) -> bool {
        self.a.crosstab.as_ref().is_some_and(|x| x.by == name)
    }

    fn kind_key(&self, k: &Kind) -> String {
        format!(
            "analysis-kind-{}",
            serde_json::to_value(k)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default()
        )
    }

    fn is_text(&self, k: &Kind) -> bool {
        *k == Kind::Text
    }

    fn is_choice(&self, k: &Kind) -> bool {
        k.is_choice()
    }

    fn total(&self) -> String {
        self.c.int(self.a.responses as i64)
    }

    /// The cross-tab's rows: label, (count, row percent) per column, row total.
    fn xrows(&self) -> Vec<XRow> {
        let Some(x) = &self.a.crosstab else {
            return Vec::new();
        };
        x.rows
            .iter()
            .enumerate()
            .map(|(r, label)| {
                let cells = x.cells[r]
                    .iter()
                    .zip(&x.row_percent[r])
                    .map(|(n, p)| (self.count(*n), format!("{p:.1}%")))
                    .collect();
                (label.clone(), cells, self.count(x.row_totals[r]))
            })
            .collect()
    }

    /// The cross-tab's column totals as shown.
    fn xtotals(&self) -> Vec<String> {
        self.a
            .crosstab
            .as_ref()
            .map(|x| x.column_totals.iter().map(|n| self.count(*n)).collect())
            .unwrap_or_default()
    }

    /// A count with the language's digit grouping (12,345).
    fn count(&self, n: u64) -> String {
        self.c.int(i64::try_from(n).unwrap_or(i64::MAX))
    }

    fn link(&self, extra: &str) -> String {
        match (self.qs.is_empty(), extra.is_empty()) {
            (true, _) => extra.to_string(),
            (false, true) => self.qs.clone(),
            (false, false) => format!("{}&{extra}", self.qs),
        }
    }
}

pub(super) async fn analysis(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<SurveyId>,
    Query(q): Query<AnalysisQuery>,
) -> AppResult<Response> {
    let s = visible(&state.db, &caller, id).await?;
    let a = ops::analysis(&state.db, &s, &q, caller.lang).await?;
    let mut charts: Vec<Chart> = a
        .questions
        .iter()
        .enumerate()
        .filter(|(_, q)| q.kind.is_choice() && q.answered > 0)
        .map(|(i, q)| Chart {
            id: format!("chart-{i}"),
            labels: q.choices.iter().map(|c| c.label.clone()).collect(),
            values: q.choices.iter().map(|c| c.count).collect(),
            percents: q
                .choices
                .iter()
                .map(|c| (c.percent * 10.0).round() / 10.0)
                .collect(),
        })
        .collect();
    charts.extend(
        a.questions
            .iter()
            .enumerate()
            .filter(|(_, q)| !q.distribution.is_empty() && q.distribution.len() <= 11)
            .map(|(i, q)| {
                let total: u64 = q
                    .distribution
                    .iter()
                    .map(|ValueCount { count: n, .. }| n)
                    .sum();
                Chart {
                    id: format!("chart-{i}"),
                    labels: q
                        .distribution
                        .iter()
                        .map(|ValueCount { value: v, .. }| export::fmt_num(*v))
                        .collect(),
                    values: q
                        .distribution
                        .iter()
                        .map(|ValueCount { count: n, .. }| *n)
                        .collect(),
                    percents: q
                        .distribution
                        .iter()
                        .map(|ValueCount { count: n, .. }| {
                            (*n as f64 * 1000.0 / total.max(1) as f64).round() / 10.0
                        })
                        .collect(),
                }
            }),
    );
    // The data goes into a JSON script element (not run; the CSP allows no
    // inline script): `</` is escaped so no text can close the element.
    let charts = serde_json::to_string(&charts)
        .map_err(|e| AppError::Internal(e.into()))?
        .replace("</", "<\\/");
    render(AnalysisPage {
        c: Chrome::for_caller(&caller, &format!("/surveys/{id}/analysis")),
        qs: q.query_string(),
        s,
        a,
        q,
        validities: Validity::ALL.to_vec(),
        groups: WorkerGroup::ALL.to_vec(),
        charts,
        echarts: crate::web::assets::ECHARTS,
    })
}

#[derive(Template)]
#[template(path = "survey/analysis_text.html")]
struct TextAnswersPage {
    c: Chrome,
    /// Stored region → its name.
    regions: std::collections::HashMap<String, String>,
    s: Survey,
    t: TextPage,
    qs: String,
    can_write: bool,
    topics: Vec<(String, String)>,
}

impl TextAnswersPage {
    fn group(&self, g: &Option<String>) -> String {
        g.as_deref()
            .map(|g| super::group_label(g, self.c.lang))
            .unwrap_or_default()
    }

    fn region(&self, r: &str) -> String {
        self.regions
            .get(r)
            .cloned()
            .unwrap_or_else(|| r.to_string())
    }

    fn page_link(&self, page: i64) -> String {
        if self.qs.is_empty() {
            format!("?page={page}")
        } else {
            format!("?{}&page={page}", self.qs)
        }
    }

    fn prev(&self) -> i64 {
        self.t.page - 1
    }

    fn next(&self) -> i64 {
        self.t.page + 1
    }
}

/// Active topics as (code, name in the reader's language).
async fn topic_choices(state: &AppState, lang: Lang) -> AppResult<Vec<(String, String)>> {
    Ok(problems::topic_rows(&state.db)
        .await?
        .into_iter()
        .filter(|t| t.active != 0)
        .map(|t| {
            let name = if lang == Lang::Zh {
                t.name_zh
            } else {
                t.name_en
            };
            (t.code, name)
        })
        .collect())
}

pub(super) async fn text(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, question)): Path<(SurveyId, String)>,
    Query(q): Query<TextQuery>,
    Query(fq): Query<AnalysisQuery>,
) -> AppResult<Response> {
    let s = visible(&state.db, &caller, id).await?;
    let t = ops::text_page(&state.db, &caller, &s, &question, &q, &fq, caller.lang).await?;
    let can_write = crate::survey::ops::can_write(&state.db, &caller, s.org_id).await?;
    let book = ops::codebook(&state.db, id).await?;
    let regions = t
        .answers
        .iter()
        .filter_map(|a| a.region.clone())
        .map(|r| {
            let l = super::region_label(&book, &s.region_question, &r, caller.lang);
            (r, l)
        })
        .collect();
    render(TextAnswersPage {
        regions,
        c: Chrome::for_caller(
            &caller,
            &format!(
                "/surveys/{id}/analysis/text/{}",
                crate::web::errors::urlencode(&question)
            ),
        ),
        qs: fq.query_string(),
        s,
        t,
        can_write,
        topics: topic_choices(&state, caller.lang).await?,
    })
}

/// One answer as the response page shows it.
struct AnswerRow {
    name: String,
    label: String,
    text: String,
    is_text: bool,
    problem: Option<ProblemId>,
}

#[derive(Template)]
#[template(path = "survey/response.html")]
struct ResponsePage {
    c: Chrome,
    region: String,
    s: Survey,
    d: ResponseDetail,
    rows: Vec<AnswerRow>,
    can_write: bool,
    topics: Vec<(String, String)>,
    notice: Option<String>,
}

impl ResponsePage {
    fn group(&self) -> String {
        self.d
            .response
            .worker_group
            .as_deref()
            .map(|g| super::group_label(g, self.c.lang))
            .unwrap_or_default()
    }

    fn seconds(&self) -> String {
        match (self.d.response.started_at, self.d.response.ended_at) {
            (Some(a), Some(b)) if b >= a => self.c.t1("analysis-seconds", "n", b - a),
            _ => "—".into(),
        }
    }
}

/// The query of the response page.
#[derive(Clone, Debug, Default, Deserialize)]
pub(super) struct ResponseQuery {
    made: Option<String>,
}

pub(super) async fn response(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, rid)): Path<(SurveyId, ResponseId)>,
    Query(rq): Query<ResponseQuery>,
) -> AppResult<Response> {
    let (s, d) = ops::response_detail(&state.db, &caller, id, rid).await?;
    let can_write = crate::survey::ops::can_write(&state.db, &caller, s.org_id).await?;
    let book = ops::codebook(&state.db, id).await?;
    let lang = caller.lang;
    let rows = book
        .entries
        .iter()
        .filter_map(|e| {
            let raw = d.response.answers.get(&e.name)?;
            let label_of = |v: &str| {
                e.choices
                    .iter()
                    .find(|(n, _)| n == v)
                    .map(|(n, l)| l.get(lang.code()).unwrap_or(n).to_string())
                    .unwrap_or_else(|| {
                        if v == crate::survey::answers::OTHER {
                            lang.t("survey-other")
                        } else {
                            v.to_string()
                        }
                    })
            };
            let mut text = if e.kind.is_choice() {
                raw.split_whitespace()
                    .map(label_of)
                    .collect::<Vec<_>>()
                    .join("、")
            } else {
                raw.clone()
            };
            if let Some(o) = d
                .response
                .answers
                .get(&crate::survey::answers::other_key(&e.name))
                .filter(|o| !o.is_empty())
            {
                text = format!("{text}（{o}）");
            }
            Some(AnswerRow {
                name: e.name.clone(),
                label: e.label.get(lang.code()).unwrap_or(&e.name).to_string(),
                text,
                is_text: e.kind == Kind::Text,
                problem: d
                    .problems
                    .iter()
                    .find(|p| p.question == e.name)
                    .map(|p| p.problem_id),
            })
        })
        .collect();
    let notice = rq.made.map(|_| lang.t("analysis-problem-made"));
    let region = d
        .response
        .region
        .as_deref()
        .map(|r| super::region_label(&book, &s.region_question, r, lang))
        .unwrap_or_default();
    render(ResponsePage {
        region,
        c: Chrome::for_caller(&caller, &format!("/surveys/{id}/responses/{rid}")),
        s,
        d,
        rows,
        can_write,
        topics: topic_choices(&state, lang).await?,
        notice,
    })
}

/// The "转为问题" button: makes (or finds) the problem and opens it.
pub(super) async fn problem(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, rid)): Path<(SurveyId, ResponseId)>,
    Form(input): Form<ProblemInput>,
) -> AppResult<Response> {
    let made = ops::make_problem(&state.db, &caller, id, rid, &input).await?;
    Ok(Redirect::to(&format!("/problems/{}", made.problem_id)).into_response())
}
