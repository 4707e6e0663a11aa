//! Analysis of a survey's responses: counts and percentages per question,
//! numeric summaries, a cross-tab, free-text answers with their keywords,
//! exports, and answers turned into problems.
//!
//! Responses are counted from their coded copies (`codec`, table
//! `survey_codes`, written with each response and back-filled lazily), scanned
//! in chunks into arrays of counts (`tally`): one pass gives every question's
//! frequencies and one cross-tab. The JSON answers stay the record; exports and
//! free text read them.

pub mod api;
pub mod codec;
pub mod export;
pub mod keywords;
pub mod ops;
pub mod pages;
pub mod store;
pub mod tally;

use serde::{Deserialize, Serialize};

use self::{
    store::{AnswerProblem, StoredResponse, TextAnswer},
    tally::{Across, Codebook, Kind, NumberSummary, Tally, summarise},
};
use crate::{
    date::Day,
    db::{Db, ProblemId, SurveyId},
    enterprise::WorkerGroup,
    error::{AppError, FieldError},
    i18n::Lang,
    survey::{Survey, form::Labels},
};

/// Which responses count: 有效问卷 by default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Validity {
    #[default]
    Valid,
    Invalid,
    All,
}

impl Validity {
    /// Every choice, in the order the page offers them.
    pub const ALL: [Validity; 3] = [Validity::Valid, Validity::All, Validity::Invalid];

    /// The spelling in URLs and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Validity::Valid => "valid",
            Validity::Invalid => "invalid",
            Validity::All => "all",
        }
    }

    /// The catalogue key of its name.
    pub fn label_key(self) -> String {
        format!("analysis-validity-{}", self.as_str())
    }
}

/// Which responses an analysis or export reads.
#[derive(Clone, Debug, Default, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = AnalysisFilter)]
pub struct Filter {
    pub validity: Validity,
    /// First and last day of submission (Beijing), inclusive.
    #[schema(value_type = Option<String>)]
    pub from: Option<Day>,
    #[schema(value_type = Option<String>)]
    pub to: Option<Day>,
    /// A worker group's stored spelling (`courier`) or another group's text.
    pub group: Option<String>,
    pub region: Option<String>,
}

/// The query of analysis pages, the API and exports.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct AnalysisQuery {
    /// `valid` (default), `invalid` or `all`.
    pub valid: Option<String>,
    /// First day of submission, `YYYY-MM-DD` (Beijing).
    pub from: Option<String>,
    /// Last day of submission, inclusive.
    pub to: Option<String>,
    /// Only this worker group (`courier`, or its Chinese name).
    pub group: Option<String>,
    /// Only this region.
    pub region: Option<String>,
    /// The cross-tab's row question (a choice question).
    pub row: Option<String>,
    /// The cross-tab's columns: `worker_group`, `region`, or a choice question's name.
    pub by: Option<String>,
}

fn opt(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl AnalysisQuery {
    /// The filter; a malformed field is a 422 naming it.
    pub fn filter(&self) -> Result<Filter, AppError> {
        let validity = match opt(&self.valid) {
            None | Some("valid") | Some("1") => Validity::Valid,
            Some("invalid") | Some("0") => Validity::Invalid,
            Some("all") => Validity::All,
            Some(_) => return Err(AppError::field("valid", "analysis-err-validity")),
        };
        let day = |field: &str, v: &Option<String>| -> Result<Option<Day>, AppError> {
            match opt(v) {
                None => Ok(None),
                Some(s) => Day::parse_str(s)
                    .map(Some)
                    .ok_or_else(|| AppError::Validation(vec![FieldError::new(field, "err-date")])),
            }
        };
        let from = day("from", &self.from)?;
        let to = day("to", &self.to)?;
        if let (Some(a), Some(b)) = (from, to)
            && a > b
        {
            return Err(AppError::field("to", "analysis-err-range"));
        }
        Ok(Filter {
            validity,
            from,
            to,
            group: opt(&self.group).and_then(crate::survey::group_value),
            region: opt(&self.region).map(String::from),
        })
    }

    /// The query string that reproduces the filter (and cross-tab), for links.
    pub fn query_string(&self) -> String {
        let mut parts = Vec::new();
        for (k, v) in [
            ("valid", &self.valid),
            ("from", &self.from),
            ("to", &self.to),
            ("group", &self.group),
            ("region", &self.region),
            ("row", &self.row),
            ("by", &self.by),
        ] {
            if let Some(v) = opt(v) {
                parts.push(format!("{k}={}", crate::web::errors::urlencode(v)));
            }
        }
        parts.join("&")
    }
}

/// A choice's count.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ChoiceCount {
    /// The stored value (`other` for "other, please specify").
    pub name: String,
    pub label: String,
    pub count: u64,
    /// Percent of the responses that answered the question (for a multiple
    /// choice: of the respondents, so the column sums past 100).
    pub percent: f64,
}

/// Dates summarised.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct DateSummary {
    pub n: u64,
    pub min: String,
    pub median: String,
    pub max: String,
}

/// One question's figures.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct QuestionResult {
    pub name: String,
    pub label: String,
    pub kind: Kind,
    /// A rating or range question (a number on a scale).
    pub rating: bool,
    /// Responses that answered it.
    pub answered: u64,
    /// Responses that did not (skipped, hidden, or a version without it).
    pub missing: u64,
    /// Choice questions: every choice in the form's order, "other" last.
    pub choices: Vec<ChoiceCount>,
    /// Integer, decimal and range questions.
    pub summary: Option<NumberSummary>,
    /// Date questions.
    pub dates: Option<DateSummary>,
    /// Numbers and ratings: each value given with its count, ascending
    /// (up to 50 distinct values; more are summarised only).
    pub distribution: Vec<ValueCount>,
}

/// One value of a number or rating question and how many answers gave it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ValueCount {
    #[schema(example = 4.0)]
    pub value: f64,
    #[schema(example = 12)]
    pub count: u64,
}

/// A choice question a cross-tab can use.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ChoiceQuestion {
    /// The question's name in the form.
    pub name: String,
    /// Its label in the reader's language.
    pub label: String,
}

/// A cross-tab: counts of the row question's choices by the columns.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CrossTab {
    /// The row question's name.
    pub row: String,
    pub row_label: String,
    /// `worker_group`, `region` or the column question's name.
    pub by: String,
    pub by_label: String,
    pub rows: Vec<String>,
    pub columns: Vec<String>,
    /// `cells[row][column]`: respondents with both.
    pub cells: Vec<Vec<u64>>,
    /// Respondents of each row with any column value (the base of row percentages).
    pub row_totals: Vec<u64>,
    /// `cells[r][c] / row_totals[r] × 100`.
    pub row_percent: Vec<Vec<f64>>,
    pub column_totals: Vec<u64>,
}

/// The figures of a survey's responses under a filter.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Analysis {
    pub survey_id: SurveyId,
    pub filter: Filter,
    /// Responses that pass the filter.
    pub responses: u64,
    pub questions: Vec<QuestionResult>,
    pub crosstab: Option<CrossTab>,
    /// The choice questions a cross-tab can use.
    pub choice_questions: Vec<ChoiceQuestion>,
    /// Time the database scan and count took, in milliseconds.
    pub elapsed_ms: u64,
}

fn label(l: &Labels, name: &str, lang: Lang) -> String {
    l.get(lang.code()).unwrap_or(name).to_string()
}

/// A worker group's name for people: a known group's label, else the text.
pub fn group_label(g: &str, lang: Lang) -> String {
    if g.is_empty() {
        return lang.t("analysis-blank");
    }
    match WorkerGroup::parse(g) {
        Some(w) => lang.t(&w.label_key()),
        None => g.to_string(),
    }
}

/// A region's name for people: the region question's choice label when the
/// region is one of its choices, else the stored text.
pub fn region_label(book: &Codebook, region_question: &str, k: &str, lang: Lang) -> String {
    let choice = book.find(region_question).and_then(|i| {
        book.entries[i]
            .choices
            .iter()
            .find(|(n, _)| n == k)
            .map(|(n, l)| label(l, n, lang))
    });
    match choice {
        Some(l) => l,
        None if k.is_empty() => lang.t("analysis-blank"),
        None => k.to_string(),
    }
}

fn percent(n: u64, of: u64) -> f64 {
    if of == 0 {
        0.0
    } else {
        n as f64 * 100.0 / of as f64
    }
}

fn day_of(days: f64) -> String {
    Day::from_ymd(1970, 1, 1)
        .map(|d| d.plus_days(days.round() as i64).iso())
        .unwrap_or_default()
}

/// The cross-tab asked for: its row question and its columns; defaults to the
/// first choice question (other than the worker group's) by worker group.
pub fn cross_spec(
    book: &Codebook,
    s: &Survey,
    q: &AnalysisQuery,
) -> Result<Option<(usize, Across)>, AppError> {
    let row = match opt(&q.row) {
        Some(name) => match book.find(name) {
            Some(i) if book.entries[i].kind.is_choice() => i,
            _ => return Err(AppError::field("row", "analysis-err-question")),
        },
        None => match book
            .entries
            .iter()
            .position(|e| e.kind.is_choice() && e.name != s.group_question)
        {
            Some(i) => i,
            None => return Ok(None),
        },
    };
    let across = match opt(&q.by) {
        None | Some("worker_group") => Across::WorkerGroup,
        Some("region") => Across::Region,
        Some(name) => match book.find(name) {
            Some(i) if book.entries[i].kind.is_choice() => Across::Question(i),
            _ => return Err(AppError::field("by", "analysis-err-question")),
        },
    };
    Ok(Some((row, across)))
}

/// Reads the survey's coded responses (coding any that have no copy yet) and
/// computes every question's figures and the cross-tab.
pub async fn analyse(
    db: &Db,
    s: &Survey,
    filter: &Filter,
    q: &AnalysisQuery,
    lang: Lang,
) -> anyhow::Result<Result<Analysis, AppError>> {
    let started = std::time::Instant::now();
    let forms = store::forms(db, s.id).await?;
    store::ensure_coded(db, s.id, &forms).await?;
    let book = store::codebook(&forms);
    let spec = match cross_spec(&book, s, q) {
        Ok(x) => x,
        Err(e) => return Ok(Err(e)),
    };
    let mut tally = Tally::new(&book, spec);
    store::scan(db, s.id, filter, &mut tally).await?;
    let mut a = figures(&book, &tally, lang, &s.region_question);
    a.survey_id = s.id;
    a.filter = filter.clone();
    a.elapsed_ms = started.elapsed().as_millis() as u64;
    Ok(Ok(a))
}

/// The figures of a tally, labelled in `lang`; regions are labelled by the
/// choices of the region question when it is a choice question.
pub fn figures(book: &Codebook, t: &Tally<'_>, lang: Lang, region_question: &str) -> Analysis {
    let other = lang.t("survey-other");
    let choice_names = |e: &tally::Entry| -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = e
            .choices
            .iter()
            .map(|(n, l)| (n.clone(), label(l, n, lang)))
            .collect();
        if e.other {
            v.push((crate::survey::answers::OTHER.to_string(), other.clone()));
        }
        v
    };
    let questions = book
        .entries
        .iter()
        .zip(&t.counts)
        .map(|(e, c)| {
            let choices = if e.kind.is_choice() {
                choice_names(e)
                    .into_iter()
                    .zip(&c.codes)
                    .map(|((name, label), n)| ChoiceCount {
                        name,
                        label,
                        count: *n,
                        percent: percent(*n, c.answered),
                    })
                    .collect()
            } else {
                Vec::new()
            };
            let values = c.values();
            let s = summarise(&values);
            let mut distribution: Vec<ValueCount> = if e.kind == Kind::Number && values.len() <= 50
            {
                values
                    .iter()
                    .map(|(b, n)| ValueCount {
                        value: f64::from_bits(*b),
                        count: *n,
                    })
                    .collect()
            } else {
                Vec::new()
            };
            distribution.sort_by(|a, b| a.value.total_cmp(&b.value));
            QuestionResult {
                name: e.name.clone(),
                label: label(&e.label, &e.name, lang),
                kind: e.kind,
                rating: e.rating,
                answered: c.answered,
                missing: t.total - c.answered,
                choices,
                summary: if e.kind == Kind::Number {
                    s.clone()
                } else {
                    None
                },
                dates: if e.kind == Kind::Date {
                    s.map(|s| DateSummary {
                        n: s.n,
                        min: day_of(s.min),
                        median: day_of(s.median),
                        max: day_of(s.max),
                    })
                } else {
                    None
                },
                distribution,
            }
        })
        .collect();
    let crosstab = t.cross.as_ref().map(|(row, across, x)| {
        let re = &book.entries[*row];
        let rows: Vec<String> = choice_names(re).into_iter().map(|(_, l)| l).collect();
        let (by, by_label, columns): (String, String, Vec<String>) = match across {
            Across::WorkerGroup => (
                "worker_group".to_string(),
                lang.t("field-worker_group"),
                x.keys.iter().map(|k| group_label(k, lang)).collect(),
            ),
            Across::Region => (
                "region".to_string(),
                lang.t("field-region"),
                x.keys
                    .iter()
                    .map(|k| region_label(book, region_question, k, lang))
                    .collect(),
            ),
            Across::Question(q) => {
                let e = &book.entries[*q];
                (
                    e.name.clone(),
                    label(&e.label, &e.name, lang),
                    choice_names(e).into_iter().map(|(_, l)| l).collect(),
                )
            }
        };
        // Worker groups and regions come in order of appearance; show them in
        // the order of the group list or the region question's choices (then
        // by text), as a reader looks for them.
        let order: Vec<usize> = match across {
            Across::Question(_) => (0..columns.len()).collect(),
            _ => {
                let rank = |k: &str| -> (usize, String) {
                    let pos = match across {
                        Across::WorkerGroup => WorkerGroup::parse(k)
                            .and_then(|g| WorkerGroup::ALL.iter().position(|x| *x == g)),
                        _ => book
                            .find(region_question)
                            .and_then(|i| book.entries[i].choices.iter().position(|(n, _)| n == k)),
                    };
                    (pos.unwrap_or(usize::MAX), k.to_string())
                };
                let mut o: Vec<usize> = (0..x.keys.len()).collect();
                o.sort_by_key(|&i| rank(&x.keys[i]));
                o
            }
        };
        let columns: Vec<String> = order.iter().map(|&i| columns[i].clone()).collect();
        let cells: Vec<Vec<u64>> = x
            .cells
            .iter()
            .map(|r| order.iter().map(|&i| r[i]).collect())
            .collect();
        let cols = columns.len();
        let column_totals = (0..cols)
            .map(|c| cells.iter().map(|r| r[c]).sum())
            .collect();
        CrossTab {
            row: re.name.clone(),
            row_label: label(&re.label, &re.name, lang),
            by,
            by_label,
            rows,
            columns,
            row_percent: cells
                .iter()
                .zip(&x.row_base)
                .map(|(r, base)| r.iter().map(|n| percent(*n, *base)).collect())
                .collect(),
            cells,
            row_totals: x.row_base.clone(),
            column_totals,
        }
    });
    Analysis {
        survey_id: SurveyId(0),
        filter: Filter::default(),
        responses: t.total,
        questions,
        crosstab,
        choice_questions: book
            .entries
            .iter()
            .filter(|e| e.kind.is_choice())
            .map(|e| ChoiceQuestion {
                name: e.name.clone(),
                label: label(&e.label, &e.name, lang),
            })
            .collect(),
        elapsed_ms: 0,
    }
}

// ---- what pages and API read and send ----

/// A page of free-text answers with the question's keywords.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TextPage {
    pub question: String,
    pub label: String,
    pub page: i64,
    pub has_next: bool,
    pub answers: Vec<TextAnswer>,
    /// Most frequent first, over the newest 5,000 answers that pass the filter.
    pub keywords: Vec<Keyword>,
    /// How many answers the keywords were counted over.
    pub keyword_sample: usize,
}

/// A keyword of free-text answers.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Keyword {
    #[schema(example = "工资")]
    pub word: String,
    /// How many answers contain it.
    pub answers: u64,
}

/// The page of free-text answers (the filter is [`AnalysisQuery`]'s).
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct TextQuery {
    /// 1, 2, …
    pub page: Option<i64>,
}

/// One response with the problems made from its answers.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ResponseDetail {
    pub survey_id: SurveyId,
    pub response: StoredResponse,
    pub problems: Vec<AnswerProblem>,
}

/// Which answer becomes a problem, and its topic.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = AnswerProblemInput)]
pub struct ProblemInput {
    /// The text question whose answer it is.
    pub question: String,
    /// A topic code (`wages`, …); default `other`.
    #[serde(default)]
    pub topic: Option<String>,
}

/// The problem an answer became.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ProblemMade {
    pub problem_id: ProblemId,
    /// False when the answer had already become this problem.
    pub created: bool,
}

/// The query of exports.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct ExportQuery {
    /// Results: `xlsx` or `pdf`. Responses: `csv` or `xlsx`.
    pub format: Option<String>,
    /// Responses: `codes` (default) or `labels` for choices.
    pub values: Option<String>,
    /// Responses as CSV: `1` for the codebook instead of the responses.
    pub codebook: Option<String>,
    /// A token the page chose: answered back as the `qt_download` cookie so
    /// the page knows the file is ready and hides its progress indicator.
    pub dl: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_parse_and_refuse_what_is_malformed() {
        let q = AnalysisQuery {
            valid: Some("all".into()),
            from: Some("2026-11-01".into()),
            to: Some("2026/11/30".into()),
            group: Some("快递员".into()),
            region: Some(" 上海 ".into()),
            ..Default::default()
        };
        let f = q.filter().unwrap();
        assert_eq!(f.validity, Validity::All);
        assert_eq!(f.group.as_deref(), Some("courier"));
        assert_eq!(f.region.as_deref(), Some("上海"));
        assert_eq!(f.to.unwrap().iso(), "2026-11-30");
        assert_eq!(
            AnalysisQuery::default().filter().unwrap(),
            Filter::default()
        );
        for bad in [
            AnalysisQuery {
                valid: Some("maybe".into()),
                ..Default::default()
            },
            AnalysisQuery {
                from: Some("2026-12-01".into()),
                to: Some("2026-11-01".into()),
                ..Default::default()
            },
            AnalysisQuery {
                from: Some("yesterday".into()),
                ..Default::default()
            },
        ] {
            assert!(matches!(bad.filter(), Err(AppError::Validation(_))));
        }
        assert_eq!(
            q.query_string(),
            "valid=all&from=2026-11-01&to=2026/11/30&group=%E5%BF%AB%E9%80%92%E5%91%98&region=%E4%B8%8A%E6%B5%B7"
        );
    }
}
