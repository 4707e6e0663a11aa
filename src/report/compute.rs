//! The figures of report elements, computed live from the records through the
//! code the analysis page and the problem list use (`survey::analysis::analyse`,
//! `problem::store::count_by_topic_status`), each with links to its evidence.
//!
//! A report cites what its author could read when the element was added (the
//! editor checks it); the live figures are then computed with the read scope
//! of whoever looks at the report (`Computer::new` takes it), so a report
//! never shows a reader a survey, problem or activity note outside that
//! reader's own scope. Problems and activity notes are further limited to the
//! author org's subtree. A source that has gone or that the reader cannot
//! read (a survey deleted or outside the scope, a question renamed) gives an
//! "unavailable" figure rather than an error. Frozen versions keep the
//! figures their author computed.

use crate::survey::analysis::ValueCount;
use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::{
    ActivityQuotesSpec, AnalysisSpec, Body, Display, Element, ProblemsSpec, SurveyQuotesSpec,
    chart::{Chart, Series},
};
use crate::{
    auth::Scope,
    db::{CampaignId, Db, OrgId, SurveyId},
    enterprise::WorkerGroup,
    i18n::Lang,
    problem::store::{self as problems, ProblemFilter},
    survey::{
        Survey,
        analysis::{self, Analysis, export::fmt_num, tally::Kind},
        store as surveys,
    },
    web::errors::urlencode,
};

/// What kind of figure an element gave.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FigureKind {
    Chart,
    Table,
    Problems,
    Quotes,
    Unavailable,
}

/// One cell of a figure's table, with the records behind it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Cell {
    pub text: String,
    /// The count, when the cell is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

impl Cell {
    fn text(t: impl Into<String>) -> Cell {
        Cell {
            text: t.into(),
            ..Default::default()
        }
    }
}

/// A table: a header row and body rows (the first cell of each names it).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Table {
    pub head: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// A quoted text and where it came from.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Quote {
    pub text: String,
    /// Who and when, e.g. 快递员 · 上海 · 2021-05-30.
    pub source: String,
    pub link: String,
}

/// The computed figure of one element, as shown, exported and frozen.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = ReportFigure)]
pub struct Figure {
    pub kind: FigureKind,
    pub title: String,
    /// The base and filters, e.g. 有效问卷；快递员；共 1,234 份.
    pub note: String,
    /// The records behind the whole figure (the analysis page, the problem list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chart: Option<Chart>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<Table>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quotes: Vec<Quote>,
}

impl Figure {
    /// Masks personal numbers in the quotes. A report circulates beyond the
    /// survey's org (the issuing org, DOCX and PDF, frozen versions read
    /// later by anyone over the author org), so its quotes never carry
    /// them, whoever computes it; the quote's link leads to the answer, in
    /// full for those whose role needs it.
    pub fn mask_personal(&mut self) {
        for q in &mut self.quotes {
            if let std::borrow::Cow::Owned(t) = crate::privacy::mask(&q.text) {
                q.text = t;
            }
        }
    }

    fn unavailable(title: impl Into<String>, why: String) -> Figure {
        Figure {
            kind: FigureKind::Unavailable,
            title: title.into(),
            note: why,
            link: None,
            chart: None,
            table: None,
            quotes: Vec::new(),
        }
    }
}

/// Computes figures for one report, sharing the analyses that several
/// elements cite with the same filters.
pub struct Computer<'a> {
    db: &'a Db,
    org: OrgId,
    campaign: CampaignId,
    /// The read scope of whoever the figures are computed for.
    read: Scope,
    lang: Lang,
    analyses: HashMap<(SurveyId, String), Option<(Survey, Analysis)>>,
}

impl<'a> Computer<'a> {
    /// A computer for a report of `org` in `campaign`, read by someone whose
    /// read scope is `read` (`caller.scope(Need::Read)`): every survey,
    /// problem and activity is read through it.
    pub fn new(db: &'a Db, org: OrgId, campaign: CampaignId, read: Scope, lang: Lang) -> Self {
        Computer {
            db,
            org,
            campaign,
            read,
            lang,
            analyses: HashMap::new(),
        }
    }

    /// The figures of every element, section by section.
    pub async fn body(&mut self, body: &Body) -> anyhow::Result<Vec<Vec<Figure>>> {
        let mut out = Vec::new();
        for s in &body.sections {
            let mut figs = Vec::new();
            for e in &s.elements {
                figs.push(self.element(e).await?);
            }
            out.push(figs);
        }
        Ok(out)
    }

    /// The figure of one element.
    pub async fn element(&mut self, e: &Element) -> anyhow::Result<Figure> {
        match e {
            Element::Analysis(a) => self.analysis(a).await,
            Element::Problems(p) => self.problems(p).await,
            Element::SurveyQuotes(q) => self.survey_quotes(q).await,
            Element::ActivityQuotes(q) => self.activity_quotes(q).await,
        }
    }

    async fn analysed(&mut self, a: &AnalysisSpec) -> anyhow::Result<Option<&(Survey, Analysis)>> {
        let q = a.query();
        let key = (a.survey_id, q.query_string());
        if !self.analyses.contains_key(&key) {
            let found = match surveys::get(self.db, &self.read, a.survey_id).await? {
                None => None,
                Some(s) => match q.filter() {
                    Err(_) => None,
                    Ok(filter) => {
                        match analysis::analyse(self.db, &s, &filter, &q, self.lang).await? {
                            Ok(an) => Some((s, an)),
                            Err(_) => None,
                        }
                    }
                },
            };
            self.analyses.insert(key.clone(), found);
        }
        Ok(self.analyses.get(&key).and_then(|x| x.as_ref()))
    }

    async fn analysis(&mut self, a: &AnalysisSpec) -> anyhow::Result<Figure> {
        let lang = self.lang;
        let Some((s, an)) = self.analysed(a).await? else {
            return Ok(Figure::unavailable(
                a.question.clone(),
                lang.t("report-source-gone"),
            ));
        };
        Ok(analysis_figure(s, an, a, lang))
    }

    async fn problems(&mut self, p: &ProblemsSpec) -> anyhow::Result<Figure> {
        let lang = self.lang;
        let group = p.group.as_deref().and_then(WorkerGroup::parse);
        let f = ProblemFilter {
            campaign: Some(self.campaign),
            org: Some(self.org),
            topic: p.topic.clone(),
            group,
            ..Default::default()
        };
        // The reader's scope; the filter keeps the author org's subtree.
        let counts = problems::count_by_topic_status(self.db, &self.read, &f).await?;
        let topics = problems::topics(self.db).await?;
        Ok(problems_figure(
            self.org,
            self.campaign,
            p,
            group,
            &topics,
            &counts,
            lang,
        ))
    }

    async fn survey_quotes(&mut self, q: &SurveyQuotesSpec) -> anyhow::Result<Figure> {
        let lang = self.lang;
        let Some(s) = surveys::get(self.db, &self.read, q.survey_id).await? else {
            return Ok(Figure::unavailable(
                q.question.clone(),
                lang.t("report-source-gone"),
            ));
        };
        let forms = analysis::store::forms(self.db, s.id).await?;
        let book = analysis::store::codebook(&forms);
        let label = book
            .find(&q.question)
            .map(|i| {
                book.entries[i]
                    .label
                    .get(lang.code())
                    .unwrap_or(&q.question)
                    .to_string()
            })
            .unwrap_or_else(|| q.question.clone());
        let mut quotes = Vec::new();
        for rid in &q.response_ids {
            let Some(r) = analysis::store::response(self.db, s.id, *rid).await? else {
                continue;
            };
            let Some(text) = r.answers.get(&q.question).map(|t| t.trim()) else {
                continue;
            };
            if text.is_empty() {
                continue;
            }
            let mut who = Vec::new();
            if let Some(g) = r.worker_group.as_deref().filter(|g| !g.is_empty()) {
                who.push(analysis::group_label(g, lang));
            }
            if let Some(reg) = r.region.as_deref().filter(|g| !g.is_empty()) {
                who.push(analysis::region_label(&book, &s.region_question, reg, lang));
            }
            who.push(crate::date::Day::of_timestamp(r.submitted_at).iso());
            quotes.push(Quote {
                text: crate::privacy::mask(text).into_owned(),
                source: who.join(" · "),
                link: format!("/surveys/{}/responses/{}", s.id, rid),
            });
        }
        Ok(Figure {
            kind: FigureKind::Quotes,
            title: label,
            note: lang.ta("report-quotes-from", &[("source", s.title.clone())]),
            link: Some(format!(
                "/surveys/{}/analysis/text/{}",
                s.id,
                urlencode(&q.question)
            )),
            chart: None,
            table: None,
            quotes,
        })
    }

    async fn activity_quotes(&mut self, q: &ActivityQuotesSpec) -> anyhow::Result<Figure> {
        let lang = self.lang;
        let author = Scope::of(vec![self.org]);
        let mut quotes = Vec::new();
        for id in &q.activity_ids {
            // What the reader reads, of the author org's subtree.
            let Some(a) = crate::activity::store::get(self.db, &self.read, *id).await? else {
                continue;
            };
            if !author.contains(self.db, a.org_id).await? {
                continue;
            }
            let Some(text) = a.notes.as_deref().map(str::trim).filter(|t| !t.is_empty()) else {
                continue;
            };
            quotes.push(Quote {
                text: crate::privacy::mask(text).into_owned(),
                source: format!(
                    "{} · {} · {}",
                    a.org_name,
                    lang.t(a.kind.label_key()),
                    a.held_on.iso()
                ),
                link: format!("/activities/{}", a.id),
            });
        }
        Ok(Figure {
            kind: FigureKind::Quotes,
            title: lang.t("report-activity-notes"),
            note: String::new(),
            link: None,
            chart: None,
            table: None,
            quotes,
        })
    }
}

fn pct(p: f64) -> String {
    format!("{p:.1}%")
}

/// Crossed charts with more columns than this show as a table.
const MAX_SERIES: usize = 6;

/// The figure of one question of an analysis (pure: tested without a database).
pub fn analysis_figure(s: &Survey, an: &Analysis, a: &AnalysisSpec, lang: Lang) -> Figure {
    let link = Some(a.link());
    let note = format!(
        "{}：{}；{}",
        lang.t("report-source-survey"),
        s.title,
        analysis::export::filter_line(an, lang)
    );
    let Some(qr) = an.questions.iter().find(|q| q.name == a.question) else {
        return Figure::unavailable(a.question.clone(), lang.t("report-source-gone"));
    };
    let mut fig = Figure {
        kind: match a.display {
            Display::Chart => FigureKind::Chart,
            Display::Table => FigureKind::Table,
        },
        title: qr.label.clone(),
        note,
        link,
        chart: None,
        table: None,
        quotes: Vec::new(),
    };
    if let (Some(_), Some(x)) = (&a.by, &an.crosstab) {
        fig.title = format!("{} × {}", x.row_label, x.by_label);
        let mut head = vec![format!("{} \\ {}", x.row_label, x.by_label)];
        head.extend(x.columns.iter().cloned());
        head.push(lang.t("analysis-row-total"));
        let rows = x
            .rows
            .iter()
            .enumerate()
            .map(|(r, label)| {
                let mut cells = vec![Cell::text(label.clone())];
                for c in 0..x.columns.len() {
                    cells.push(Cell {
                        text: format!(
                            "{}（{}）",
                            lang.number(x.cells[r][c] as i64),
                            pct(x.row_percent[r][c])
                        ),
                        count: Some(x.cells[r][c] as i64),
                        link: None,
                    });
                }
                cells.push(Cell {
                    text: lang.number(x.row_totals[r] as i64),
                    count: Some(x.row_totals[r] as i64),
                    link: None,
                });
                cells
            })
            .collect();
        fig.table = Some(Table { head, rows });
        if a.display == Display::Chart && x.columns.len() <= MAX_SERIES {
            fig.chart = Some(Chart {
                categories: x.rows.clone(),
                series: x
                    .columns
                    .iter()
                    .enumerate()
                    .map(|(c, name)| Series {
                        name: name.clone(),
                        values: (0..x.rows.len()).map(|r| x.row_percent[r][c]).collect(),
                        labels: (0..x.rows.len())
                            .map(|r| pct(x.row_percent[r][c]))
                            .collect(),
                    })
                    .collect(),
                max: 100.0,
            });
        } else {
            fig.kind = FigureKind::Table;
        }
        return fig;
    }
    if qr.kind.is_choice() {
        let mut rows: Vec<Vec<Cell>> = qr
            .choices
            .iter()
            .map(|c| {
                vec![
                    Cell::text(c.label.clone()),
                    Cell {
                        text: lang.number(c.count as i64),
                        count: Some(c.count as i64),
                        link: None,
                    },
                    Cell::text(pct(c.percent)),
                ]
            })
            .collect();
        rows.push(vec![
            Cell::text(lang.t("analysis-answered")),
            Cell {
                text: lang.number(qr.answered as i64),
                count: Some(qr.answered as i64),
                link: None,
            },
            Cell::text(String::new()),
        ]);
        fig.table = Some(Table {
            head: vec![
                lang.t("analysis-choice"),
                lang.t("analysis-count"),
                lang.t("analysis-percent"),
            ],
            rows,
        });
        fig.chart = Some(Chart {
            categories: qr.choices.iter().map(|c| c.label.clone()).collect(),
            series: vec![Series {
                name: lang.t("analysis-percent"),
                values: qr.choices.iter().map(|c| c.percent).collect(),
                labels: qr
                    .choices
                    .iter()
                    .map(|c| format!("{} · {}", lang.number(c.count as i64), pct(c.percent)))
                    .collect(),
            }],
            max: 100.0,
        });
    } else {
        let mut rows = Vec::new();
        if let Some(sm) = &qr.summary {
            for (k, v) in [
                ("analysis-n", sm.n.to_string()),
                ("analysis-mean", fmt_num(sm.mean)),
                ("analysis-median", fmt_num(sm.median)),
                ("analysis-min", fmt_num(sm.min)),
                ("analysis-max", fmt_num(sm.max)),
                ("analysis-q1", fmt_num(sm.q1)),
                ("analysis-q3", fmt_num(sm.q3)),
            ] {
                rows.push(vec![Cell::text(lang.t(k)), Cell::text(v)]);
            }
        } else if let Some(d) = &qr.dates {
            for (k, v) in [
                ("analysis-n", d.n.to_string()),
                ("analysis-min", d.min.clone()),
                ("analysis-median", d.median.clone()),
                ("analysis-max", d.max.clone()),
            ] {
                rows.push(vec![Cell::text(lang.t(k)), Cell::text(v)]);
            }
        } else {
            rows.push(vec![
                Cell::text(lang.t("analysis-answered")),
                Cell {
                    text: lang.number(qr.answered as i64),
                    count: Some(qr.answered as i64),
                    link: None,
                },
            ]);
        }
        fig.table = Some(Table {
            head: vec![lang.t("report-statistic"), lang.t("analysis-value")],
            rows,
        });
        let total: u64 = qr
            .distribution
            .iter()
            .map(|ValueCount { count: n, .. }| n)
            .sum();
        if qr.kind == Kind::Number && qr.distribution.len() <= 11 && total > 0 {
            let p = |n: u64| n as f64 * 100.0 / total as f64;
            fig.chart = Some(Chart {
                categories: qr
                    .distribution
                    .iter()
                    .map(|ValueCount { value: v, .. }| fmt_num(*v))
                    .collect(),
                series: vec![Series {
                    name: lang.t("analysis-percent"),
                    values: qr
                        .distribution
                        .iter()
                        .map(|ValueCount { count: n, .. }| p(*n))
                        .collect(),
                    labels: qr
                        .distribution
                        .iter()
                        .map(|ValueCount { count: n, .. }| {
                            format!("{} · {}", lang.number(*n as i64), pct(p(*n)))
                        })
                        .collect(),
                }],
                max: 100.0,
            });
        }
    }
    if fig.chart.is_none() {
        fig.kind = FigureKind::Table;
    }
    fig
}

/// The statuses of the problem summary's columns, as the problem list filters them.
pub const STATUSES: [&str; 6] = [
    "open",
    "solved",
    "in_progress",
    "planned",
    "reference",
    "closed",
];

/// The problem list filtered as a summary cell counts.
pub fn problems_link(
    org: OrgId,
    campaign: CampaignId,
    topic: Option<&str>,
    status: Option<&str>,
    group: Option<WorkerGroup>,
) -> String {
    let mut q = format!("/problems?campaign={campaign}&org={org}");
    if let Some(t) = topic {
        q.push_str(&format!("&topic={}", urlencode(t)));
    }
    if let Some(s) = status {
        q.push_str(&format!("&status={s}"));
    }
    if let Some(g) = group {
        q.push_str(&format!("&group={}", g.as_str()));
    }
    q
}

/// The problem summary: topics down, statuses across, totals; every cell
/// links to the problem list filtered the same way (pure).
pub fn problems_figure(
    org: OrgId,
    campaign: CampaignId,
    p: &ProblemsSpec,
    group: Option<WorkerGroup>,
    topics: &[crate::problem::Topic],
    counts: &[(String, String, i64)],
    lang: Lang,
) -> Figure {
    let n = |topic: Option<&str>, status: Option<&str>| -> i64 {
        counts
            .iter()
            .filter(|(t, s, _)| topic.is_none_or(|x| x == t) && status.is_none_or(|x| x == s))
            .map(|(_, _, n)| n)
            .sum()
    };
    // Topics in the list's order, then any retired topic that still has problems.
    let mut rows: Vec<(String, String)> = topics
        .iter()
        .map(|t| (t.code.clone(), t.name(lang).to_string()))
        .collect();
    for (t, _, _) in counts {
        if !rows.iter().any(|(c, _)| c == t) {
            rows.push((t.clone(), t.clone()));
        }
    }
    rows.retain(|(code, _)| match &p.topic {
        Some(only) => only == code,
        None => n(Some(code), None) > 0,
    });
    let cell = |topic: Option<&str>, status: Option<&str>| -> Cell {
        let k = n(topic, status);
        Cell {
            text: lang.number(k),
            count: Some(k),
            link: Some(problems_link(org, campaign, topic, status, group)),
        }
    };
    let mut head = vec![lang.t("report-topic")];
    head.extend(STATUSES.iter().map(|s| lang.t(&format!("status-{s}"))));
    head.push(lang.t("report-total"));
    let mut body: Vec<Vec<Cell>> = rows
        .iter()
        .map(|(code, name)| {
            let mut r = vec![Cell::text(name.clone())];
            r.extend(STATUSES.iter().map(|s| cell(Some(code), Some(s))));
            r.push(cell(Some(code), None));
            r
        })
        .collect();
    let only = p.topic.as_deref();
    let mut total = vec![Cell::text(lang.t("report-total"))];
    total.extend(STATUSES.iter().map(|s| cell(only, Some(s))));
    total.push(cell(only, None));
    body.push(total);
    let mut note = vec![lang.t("report-problems-scope")];
    if let Some(g) = group {
        note.push(format!(
            "{}：{}",
            lang.t("field-worker_group"),
            lang.t(&g.label_key())
        ));
    }
    Figure {
        kind: FigureKind::Problems,
        title: lang.t("report-problem-summary"),
        note: note.join("；"),
        link: Some(problems_link(org, campaign, only, None, group)),
        chart: None,
        table: Some(Table { head, rows: body }),
        quotes: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{db::TopicId, problem::Topic};

    fn topic(code: &str, zh: &str) -> Topic {
        Topic {
            id: TopicId(1),
            code: code.into(),
            name_zh: zh.into(),
            name_en: code.into(),
            active: 1,
        }
    }

    #[test]
    fn the_problem_summary_adds_up_and_links_each_cell() {
        let topics = vec![
            topic("wages", "工资收入"),
            topic("safety", "劳动安全"),
            topic("other", "其他"),
        ];
        let counts = vec![
            ("wages".to_string(), "solved".to_string(), 3),
            ("wages".to_string(), "open".to_string(), 2),
            ("safety".to_string(), "in_progress".to_string(), 4),
        ];
        let f = problems_figure(
            OrgId(5),
            CampaignId(2),
            &ProblemsSpec::default(),
            Some(WorkerGroup::Courier),
            &topics,
            &counts,
            Lang::Zh,
        );
        let t = f.table.unwrap();
        assert_eq!(t.rows.len(), 3, "two topics with problems and the total");
        assert_eq!(t.head.len(), STATUSES.len() + 2);
        let total = t.rows.last().unwrap();
        assert_eq!(total.last().unwrap().count, Some(9));
        assert_eq!(t.rows[0][2].count, Some(3));
        assert_eq!(
            t.rows[0][2].link.as_deref(),
            Some("/problems?campaign=2&org=5&topic=wages&status=solved&group=courier")
        );
        let one = problems_figure(
            OrgId(5),
            CampaignId(2),
            &ProblemsSpec {
                topic: Some("safety".into()),
                group: None,
            },
            None,
            &topics,
            &counts,
            Lang::Zh,
        );
        let t = one.table.unwrap();
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[1].last().unwrap().count, Some(4));
    }
}
