//! Validity (有效问卷): the rules a survey's designer sets, and the verdict on
//! one response — valid, or invalid with its reasons.
//!
//! The rules read only what the response carries (its kept answers, the
//! phone's start and end times) and one number the store counts (earlier
//! responses from the same device), so the same [`judge`] runs when a response
//! arrives and when a whole survey is recomputed after a rule change. A
//! reviewer's override is kept beside the verdict (see `store`), never in it.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::{
    answers,
    form::{Appearance, Form, Item, QuestionKind},
};
use crate::{
    date::Day,
    error::{AppError, FieldError},
    i18n::Lang,
    web::form::{self as webform, Errors},
};

/// A survey's validity rules; every rule is off when absent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Rules {
    /// A response completed in fewer seconds (phone end − phone start) is too fast.
    #[serde(default)]
    pub min_seconds: Option<i64>,
    /// Straight-lining: a matrix with at least this many rows, every row
    /// answered with the same choice.
    #[serde(default)]
    pub straight_lining_rows: Option<i64>,
    /// Attention checks: the question and the answer it expects.
    #[serde(default)]
    pub attention_checks: Vec<AttentionCheck>,
    /// Responses a device may send; its later ones are invalid.
    #[serde(default)]
    pub max_per_device: Option<i64>,
}

/// A question that tells whether the respondent reads: "choose 'agree' here".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AttentionCheck {
    pub question: String,
    /// The expected answer as stored: a choice name (several space-separated
    /// for a multiple choice, in any order), a number or a text.
    pub expected: String,
}

impl Rules {
    /// Whether any rule is on.
    pub fn any(&self) -> bool {
        self.min_seconds.is_some()
            || self.straight_lining_rows.is_some()
            || !self.attention_checks.is_empty()
            || self.max_per_device.is_some()
    }

    /// The stored JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }

    /// Reads the stored JSON; anything unreadable checks nothing (the column
    /// is only ever written by [`Rules::to_json`]).
    pub fn from_json(s: &str) -> Rules {
        serde_json::from_str(s).unwrap_or_default()
    }

    /// The attention checks as the rules page writes them: `question = expected` a line.
    pub fn attention_text(&self) -> String {
        self.attention_checks
            .iter()
            .map(|c| format!("{} = {}", c.question, c.expected))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Why a response is invalid. Stored as JSON in `invalid_reasons`; `code` is
/// the machine-readable reason, the rest the figures its message shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Reason {
    /// Completed in `seconds`, under the rule's `min_seconds`.
    TooFast { seconds: i64, min_seconds: i64 },
    /// Every one of the `rows` rows of `matrix` answered `answer`.
    StraightLining {
        matrix: String,
        rows: i64,
        answer: String,
    },
    /// `question` answered `answer` (empty: not answered) instead of `expected`.
    AttentionCheck {
        question: String,
        expected: String,
        answer: String,
    },
    /// The device's `nth` response, over the rule's `max`.
    DeviceRepeat { nth: i64, max: i64 },
}

impl Reason {
    /// The machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Reason::TooFast { .. } => "too_fast",
            Reason::StraightLining { .. } => "straight_lining",
            Reason::AttentionCheck { .. } => "attention_check",
            Reason::DeviceRepeat { .. } => "device_repeat",
        }
    }

    /// The reason for a reviewer, in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        let key = format!("survey-invalid-{}", self.code());
        let args: Vec<(&str, String)> = match self {
            Reason::TooFast {
                seconds,
                min_seconds,
            } => vec![
                ("seconds", seconds.to_string()),
                ("min", min_seconds.to_string()),
            ],
            Reason::StraightLining {
                matrix,
                rows,
                answer,
            } => vec![
                ("matrix", matrix.clone()),
                ("rows", rows.to_string()),
                ("answer", answer.clone()),
            ],
            Reason::AttentionCheck {
                question,
                expected,
                answer,
            } => vec![
                ("question", question.clone()),
                ("expected", expected.clone()),
                (
                    "answer",
                    if answer.is_empty() {
                        "—".into()
                    } else {
                        answer.clone()
                    },
                ),
            ],
            Reason::DeviceRepeat { nth, max } => {
                vec![("nth", nth.to_string()), ("max", max.to_string())]
            }
        };
        lang.ta(&key, &args)
    }

    /// The stored list of reasons (`''` or a JSON list).
    pub fn list_to_json(reasons: &[Reason]) -> String {
        if reasons.is_empty() {
            String::new()
        } else {
            serde_json::to_string(reasons).unwrap_or_default()
        }
    }

    /// Reads the stored list; `''` is none.
    pub fn list_from_json(s: &str) -> Vec<Reason> {
        if s.trim().is_empty() {
            Vec::new()
        } else {
            serde_json::from_str(s).unwrap_or_default()
        }
    }
}

/// How far a recomputation of a survey's verdicts has come.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = ValidityProgress)]
pub struct Progress {
    /// Responses judged again so far.
    pub done: i64,
    /// Responses there were when it started.
    pub total: i64,
}

impl Progress {
    /// Whole percent, at most 100.
    pub fn percent(&self) -> i64 {
        if self.total <= 0 {
            100
        } else {
            (self.done * 100 / self.total).clamp(0, 100)
        }
    }
}

/// Which responses a review list shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ValidityFilter)]
pub enum Filter {
    #[default]
    All,
    Valid,
    Invalid,
    /// Those whose verdict a reviewer set.
    Overridden,
}

impl Filter {
    /// Every filter, in menu order.
    pub const ALL: [Filter; 4] = [
        Filter::All,
        Filter::Valid,
        Filter::Invalid,
        Filter::Overridden,
    ];

    /// The query-string spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Filter::All => "all",
            Filter::Valid => "valid",
            Filter::Invalid => "invalid",
            Filter::Overridden => "overridden",
        }
    }

    /// Parses the query-string spelling (anything else: all).
    pub fn parse(s: &str) -> Filter {
        Filter::ALL
            .into_iter()
            .find(|f| f.as_str() == s.trim())
            .unwrap_or_default()
    }

    /// The SQL condition on `survey_responses r`.
    pub fn sql(self) -> &'static str {
        match self {
            Filter::All => "1 = 1",
            Filter::Valid => "r.valid = 1",
            Filter::Invalid => "r.valid = 0",
            Filter::Overridden => "r.override_valid IS NOT NULL",
        }
    }
}

/// A reason with its text in the reader's language.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Explained {
    #[serde(flatten)]
    pub reason: Reason,
    pub message: String,
}

/// A reviewer's verdict on a response, which wins over the rules'.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = ValidityOverride)]
pub struct Override {
    pub valid: bool,
    pub note: String,
    /// The reviewer's username.
    pub by: Option<String>,
    pub at: i64,
}

/// One response as the review list shows it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ResponseItem {
    pub id: crate::db::ResponseId,
    pub version_id: crate::db::SurveyVersionId,
    pub submitted_at: i64,
    /// Seconds from the phone's start to its end; absent when unknown.
    pub duration_seconds: Option<i64>,
    pub worker_group: Option<String>,
    pub region: Option<String>,
    /// The effective verdict: the override when there is one, else the rules'.
    pub valid: bool,
    /// The rules' verdict.
    pub rules_valid: bool,
    /// The rules' reasons (also when an override made the response valid).
    pub reasons: Vec<Explained>,
    pub overridden: Option<Override>,
    /// The kept answers, `{question: text}`.
    #[schema(value_type = Object)]
    pub answers: BTreeMap<String, String>,
}

/// A page of the review list.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ResponsePage {
    pub filter: Filter,
    pub page: i64,
    pub pages: i64,
    /// Responses matching the filter.
    pub total: i64,
    pub items: Vec<ResponseItem>,
}

/// A survey's responses counted by verdict; `valid` is `store::valid_count`.
#[derive(Clone, Copy, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct Counts {
    pub total: i64,
    pub valid: i64,
    pub invalid: i64,
    pub overridden: i64,
}

/// What the rules read about one response.
#[derive(Clone, Debug)]
pub struct Facts<'a> {
    /// The kept answers (hidden questions dropped), as stored.
    pub answers: &'a BTreeMap<String, String>,
    /// The phone's clock when the first question showed and when it was sent.
    pub started_at: Option<i64>,
    pub ended_at: Option<i64>,
    /// Responses of the survey from the same device stored before this one;
    /// `None` when the response carries no device id.
    pub earlier_from_device: Option<i64>,
}

/// The completion time in seconds from the phone's own start and end. Only
/// the difference of two readings of one clock is used, so a phone whose
/// clock is hours off still measures minutes right. Missing readings (the
/// page without JavaScript may send none) and a negative difference (the
/// clock was set back while answering) are unknown: no duration.
pub fn duration(started_at: Option<i64>, ended_at: Option<i64>) -> Option<i64> {
    match (started_at, ended_at) {
        (Some(s), Some(e)) if e >= s => Some(e - s),
        _ => None,
    }
}

/// The form's matrices: each `table-list` group's name and its row questions.
pub fn matrices(form: &Form) -> Vec<(&str, Vec<&str>)> {
    form.walk()
        .into_iter()
        .filter_map(|it| match it {
            Item::Group(g) if g.appearance.contains(&Appearance::TableList) => Some((
                g.name.as_str(),
                g.items
                    .iter()
                    .filter_map(|i| match i {
                        Item::Question(q) => Some(q.name.as_str()),
                        Item::Group(_) => None,
                    })
                    .collect(),
            )),
            _ => None,
        })
        .collect()
}

/// Whether an answer is the expected one: the same set of space-separated
/// choices, or the same number (`3` and `3.0`).
fn answers_match(answer: &str, expected: &str) -> bool {
    let a: BTreeSet<&str> = answer.split_whitespace().collect();
    let e: BTreeSet<&str> = expected.split_whitespace().collect();
    if !e.is_empty() && a == e {
        return true;
    }
    matches!(
        (answer.trim().parse::<f64>(), expected.trim().parse::<f64>()),
        (Ok(x), Ok(y)) if x == y
    )
}

/// The verdict on one response: no reasons means valid. Reasons come in a
/// fixed order (time, matrices in form order, attention checks in rule
/// order, device), so a recomputation that changes nothing writes nothing.
pub fn judge(rules: &Rules, form: &Form, f: &Facts<'_>, today: Day) -> Vec<Reason> {
    let mut out = Vec::new();
    if let Some(min) = rules.min_seconds
        && let Some(secs) = duration(f.started_at, f.ended_at)
        && secs < min
    {
        out.push(Reason::TooFast {
            seconds: secs,
            min_seconds: min,
        });
    }
    if let Some(min_rows) = rules.straight_lining_rows {
        for (name, rows) in matrices(form) {
            if (rows.len() as i64) < min_rows.max(2) {
                continue;
            }
            let values: Vec<&str> = rows
                .iter()
                .map(|r| f.answers.get(*r).map_or("", |v| v.trim()))
                .collect();
            // Every row answered, all alike; a skipped row breaks the line.
            if !values[0].is_empty() && values.iter().all(|v| *v == values[0]) {
                out.push(Reason::StraightLining {
                    matrix: name.to_string(),
                    rows: rows.len() as i64,
                    answer: values[0].to_string(),
                });
            }
        }
    }
    let mut shown: Option<BTreeSet<String>> = None;
    for check in &rules.attention_checks {
        // A check applies to responses whose form asks that question.
        if !form
            .questions()
            .iter()
            .any(|q| q.name == check.question && q.kind != QuestionKind::Note)
        {
            continue;
        }
        let answer = f.answers.get(&check.question).map_or("", |v| v.trim());
        if answer.is_empty() {
            // Unanswered: failed only when the question was shown (skip logic
            // may have hidden it, which is no fault of the respondent).
            let shown = shown.get_or_insert_with(|| answers::visible(form, f.answers, today));
            if !shown.contains(&check.question) {
                continue;
            }
        } else if answers_match(answer, &check.expected) {
            continue;
        }
        out.push(Reason::AttentionCheck {
            question: check.question.clone(),
            expected: check.expected.clone(),
            answer: answer.to_string(),
        });
    }
    if let (Some(max), Some(earlier)) = (rules.max_per_device, f.earlier_from_device)
        && earlier >= max
    {
        out.push(Reason::DeviceRepeat {
            nth: earlier + 1,
            max,
        });
    }
    out
}

/// The largest completion threshold, in seconds (a day).
pub const MAX_SECONDS: i64 = 86_400;
/// The most attention checks a survey may have.
pub const MAX_CHECKS: usize = 20;

/// The rules as the page and the API send them: numbers as text or numbers,
/// empty for off; attention checks as a list or as `question = expected` lines.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct RulesInput {
    #[serde(default, deserialize_with = "webform::lenient")]
    pub min_seconds: Option<String>,
    #[serde(default, deserialize_with = "webform::lenient")]
    pub straight_lining_rows: Option<String>,
    #[serde(default, deserialize_with = "webform::lenient")]
    pub max_per_device: Option<String>,
    #[serde(default)]
    pub attention_checks: Option<Vec<AttentionCheck>>,
    /// One a line: `question = expected`.
    #[serde(default, deserialize_with = "webform::lenient")]
    pub attention_lines: Option<String>,
}

impl RulesInput {
    /// Parses every rule, reporting all errors. Attention checks must name a
    /// question of `form` (the survey's newest version, when it has one) and,
    /// for a choice question, expect choices it offers.
    pub fn parse(&self, form: Option<&Form>) -> Result<Rules, AppError> {
        let mut errs = Errors::default();
        let min_seconds = errs
            .take(webform::optional_int(
                "min_seconds",
                &self.min_seconds,
                1,
                MAX_SECONDS,
            ))
            .flatten();
        let straight_lining_rows = errs
            .take(webform::optional_int(
                "straight_lining_rows",
                &self.straight_lining_rows,
                2,
                100,
            ))
            .flatten();
        let max_per_device = errs
            .take(webform::optional_int(
                "max_per_device",
                &self.max_per_device,
                1,
                10_000,
            ))
            .flatten();
        let (field, checks) = match (&self.attention_checks, webform::opt(&self.attention_lines)) {
            (Some(list), _) => ("attention_checks", list.clone()),
            (None, Some(text)) => {
                let mut list = Vec::new();
                for (i, line) in text.lines().enumerate() {
                    let line = line.trim();
                    if line.is_empty() {
                        continue;
                    }
                    match line.split_once(['=', '＝']) {
                        Some((q, e)) => list.push(AttentionCheck {
                            question: q.trim().to_string(),
                            expected: e.trim().to_string(),
                        }),
                        None => errs.push(
                            FieldError::new("attention_lines", "survey-err-attention-line")
                                .arg("line", i + 1),
                        ),
                    }
                }
                ("attention_lines", list)
            }
            (None, None) => ("attention_lines", Vec::new()),
        };
        if checks.len() > MAX_CHECKS {
            errs.push(FieldError::new(field, "err-too-long").arg("max", MAX_CHECKS));
        }
        let mut attention_checks = Vec::new();
        for c in checks {
            let question = c.question.trim().to_string();
            let expected = c.expected.split_whitespace().collect::<Vec<_>>().join(" ");
            let bad = |key| {
                FieldError::new(field, key)
                    .arg("question", &question)
                    .arg("value", &expected)
            };
            if question.is_empty() || expected.is_empty() || expected.chars().count() > 500 {
                errs.push(bad("survey-err-attention-empty"));
                continue;
            }
            if let Some(form) = form {
                let q = form
                    .questions()
                    .into_iter()
                    .find(|q| q.name == question && q.kind != QuestionKind::Note);
                let Some(q) = q else {
                    errs.push(bad("survey-err-attention-question"));
                    continue;
                };
                if q.kind.is_select()
                    && let Some(list) = q
                        .choices
                        .as_deref()
                        .and_then(|l| form.choice_lists.iter().find(|x| x.name == l))
                {
                    let offered = |v: &str| {
                        list.choices.iter().any(|c| c.name == v) || (q.other && v == answers::OTHER)
                    };
                    let single = q.kind == QuestionKind::SelectOne;
                    let parts: Vec<&str> = expected.split(' ').collect();
                    if !parts.iter().all(|v| offered(v)) || (single && parts.len() > 1) {
                        errs.push(bad("survey-err-attention-choice"));
                        continue;
                    }
                }
            }
            attention_checks.push(AttentionCheck { question, expected });
        }
        errs.finish()?;
        Ok(Rules {
            min_seconds,
            straight_lining_rows,
            attention_checks,
            max_per_device,
        })
    }

    /// The input that reproduces `rules` (for the page).
    pub fn of(rules: &Rules) -> RulesInput {
        RulesInput {
            min_seconds: rules.min_seconds.map(|n| n.to_string()),
            straight_lining_rows: rules.straight_lining_rows.map(|n| n.to_string()),
            max_per_device: rules.max_per_device.map(|n| n.to_string()),
            attention_checks: None,
            attention_lines: Some(rules.attention_text()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A form with a 4-row matrix, a 2-row matrix, an attention check shown
    /// only to couriers, and a text question.
    fn form() -> Form {
        let json = serde_json::json!({
            "title": "t",
            "items": [
                {"name": "worker_group", "kind": "select_one", "choices": "groups"},
                {"item": "group", "name": "safety", "appearance": ["table-list"], "label": "m", "items": [
                    {"name": "m1", "kind": "select_one", "choices": "agree", "label": "a"},
                    {"name": "m2", "kind": "select_one", "choices": "agree", "label": "b"},
                    {"name": "m3", "kind": "select_one", "choices": "agree", "label": "c"},
                    {"name": "m4", "kind": "select_one", "choices": "agree", "label": "d"}
                ]},
                {"item": "group", "name": "small", "appearance": ["table-list"], "label": "s", "items": [
                    {"name": "s1", "kind": "select_one", "choices": "agree", "label": "a"},
                    {"name": "s2", "kind": "select_one", "choices": "agree", "label": "b"}
                ]},
                {"name": "attn", "kind": "select_one", "choices": "agree", "label": "choose 4",
                 "relevant": "${worker_group} = 'courier'"},
                {"name": "topics", "kind": "select_multiple", "choices": "agree", "label": "t"},
                {"name": "note", "kind": "note", "label": "n"}
            ],
            "choice_lists": [
                {"name": "groups", "choices": [{"name": "courier", "label": "c"}, {"name": "rider", "label": "r"}]},
                {"name": "agree", "choices": [{"name": "1", "label": "1"}, {"name": "2", "label": "2"},
                    {"name": "3", "label": "3"}, {"name": "4", "label": "4"}, {"name": "5", "label": "5"}]}
            ]
        });
        crate::survey::form_json::parse(json.to_string().as_bytes(), Lang::En).unwrap()
    }

    fn answers(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn codes(
        rules: &Rules,
        a: &[(&str, &str)],
        times: (Option<i64>, Option<i64>),
        earlier: Option<i64>,
    ) -> Vec<&'static str> {
        let a = answers(a);
        let f = Facts {
            answers: &a,
            started_at: times.0,
            ended_at: times.1,
            earlier_from_device: earlier,
        };
        judge(rules, &form(), &f, Day::parse_str("2026-11-20").unwrap())
            .iter()
            .map(Reason::code)
            .collect()
    }

    /// (rules, answers, the reason codes expected).
    type Case<'a> = (&'a Rules, Vec<(&'a str, &'a str)>, Vec<&'a str>);

    const T: (Option<i64>, Option<i64>) = (Some(1000), Some(1300));
    const MIXED: [(&str, &str); 5] = [
        ("worker_group", "rider"),
        ("m1", "1"),
        ("m2", "2"),
        ("m3", "1"),
        ("m4", "1"),
    ];

    #[test]
    fn too_fast_uses_the_phones_own_difference() {
        let rules = Rules {
            min_seconds: Some(120),
            ..Default::default()
        };
        // (started, ended, too fast?)
        let cases: [(Option<i64>, Option<i64>, bool); 8] = [
            (Some(1000), Some(1300), false),
            (Some(1000), Some(1119), true),
            (Some(1000), Some(1120), false),
            (Some(1000), Some(1000), true),
            // A phone clock a year off still measures the minutes right.
            (Some(1_000_000_000), Some(1_000_000_030), true),
            (None, Some(1300), false),
            (Some(1000), None, false),
            // Set back while answering: unknown, not too fast.
            (Some(1300), Some(1000), false),
        ];
        for (s, e, fast) in cases {
            let got = codes(&rules, &MIXED, (s, e), None);
            assert_eq!(got == ["too_fast"], fast, "{s:?} {e:?}: {got:?}");
        }
        assert_eq!(duration(Some(5), Some(3)), None);
        assert_eq!(duration(Some(3), Some(5)), Some(2));
    }

    #[test]
    fn straight_lining_needs_every_row_alike_in_a_large_enough_matrix() {
        let four = Rules {
            straight_lining_rows: Some(4),
            ..Default::default()
        };
        let two = Rules {
            straight_lining_rows: Some(2),
            ..Default::default()
        };
        // (rules, answers, reasons)
        let off = Rules::default();
        let cases: Vec<Case> = vec![
            (
                &four,
                vec![("m1", "3"), ("m2", "3"), ("m3", "3"), ("m4", "3")],
                vec!["straight_lining"],
            ),
            (
                &four,
                vec![("m1", "3"), ("m2", "3"), ("m3", "3"), ("m4", "2")],
                vec![],
            ),
            // A skipped row is not a straight line.
            (&four, vec![("m1", "3"), ("m2", "3"), ("m3", "3")], vec![]),
            // The 2-row matrix is below the 4-row threshold.
            (&four, vec![("s1", "5"), ("s2", "5")], vec![]),
            (
                &two,
                vec![("s1", "5"), ("s2", "5")],
                vec!["straight_lining"],
            ),
            (
                &two,
                vec![
                    ("m1", "1"),
                    ("m2", "1"),
                    ("m3", "1"),
                    ("m4", "1"),
                    ("s1", "5"),
                    ("s2", "5"),
                ],
                vec!["straight_lining", "straight_lining"],
            ),
            (
                &off,
                vec![("m1", "3"), ("m2", "3"), ("m3", "3"), ("m4", "3")],
                vec![],
            ),
        ];
        for (rules, a, want) in cases {
            assert_eq!(codes(rules, &a, T, None), want, "{a:?}");
        }
        let a = answers(&[("m1", "3"), ("m2", "3"), ("m3", "3"), ("m4", "3")]);
        let f = Facts {
            answers: &a,
            started_at: None,
            ended_at: None,
            earlier_from_device: None,
        };
        assert_eq!(
            judge(&four, &form(), &f, Day::today()),
            [Reason::StraightLining {
                matrix: "safety".into(),
                rows: 4,
                answer: "3".into()
            }]
        );
    }

    #[test]
    fn attention_checks_fail_on_a_wrong_or_missing_answer_to_a_shown_question() {
        let rules = Rules {
            attention_checks: vec![AttentionCheck {
                question: "attn".into(),
                expected: "4".into(),
            }],
            ..Default::default()
        };
        let multi = Rules {
            attention_checks: vec![AttentionCheck {
                question: "topics".into(),
                expected: "2 5".into(),
            }],
            ..Default::default()
        };
        let elsewhere = Rules {
            attention_checks: vec![AttentionCheck {
                question: "not_in_this_form".into(),
                expected: "1".into(),
            }],
            ..Default::default()
        };
        let cases: Vec<Case> = vec![
            (
                &rules,
                vec![("worker_group", "courier"), ("attn", "4")],
                vec![],
            ),
            (
                &rules,
                vec![("worker_group", "courier"), ("attn", "4.0")],
                vec![],
            ),
            (
                &rules,
                vec![("worker_group", "courier"), ("attn", "2")],
                vec!["attention_check"],
            ),
            // Shown but skipped: failed.
            (
                &rules,
                vec![("worker_group", "courier")],
                vec!["attention_check"],
            ),
            // Hidden by skip logic: does not apply.
            (&rules, vec![("worker_group", "rider")], vec![]),
            (&multi, vec![("topics", "5 2")], vec![]),
            (&multi, vec![("topics", "2")], vec!["attention_check"]),
            (&elsewhere, vec![], vec![]),
        ];
        for (r, a, want) in cases {
            assert_eq!(codes(r, &a, T, None), want, "{a:?}");
        }
    }

    #[test]
    fn a_device_over_its_allowance_makes_the_later_responses_invalid() {
        let one = Rules {
            max_per_device: Some(1),
            ..Default::default()
        };
        let three = Rules {
            max_per_device: Some(3),
            ..Default::default()
        };
        let off = Rules::default();
        // (rules, earlier responses from the device, invalid?)
        let cases = [
            (&one, None, false),
            (&one, Some(0), false),
            (&one, Some(1), true),
            (&one, Some(7), true),
            (&three, Some(2), false),
            (&three, Some(3), true),
            (&off, Some(50), false),
        ];
        for (r, earlier, invalid) in cases {
            assert_eq!(
                codes(r, &MIXED, T, earlier) == ["device_repeat"],
                invalid,
                "{earlier:?}"
            );
        }
    }

    #[test]
    fn reasons_read_in_both_languages_and_round_trip_as_json() {
        let all = vec![
            Reason::TooFast {
                seconds: 12,
                min_seconds: 60,
            },
            Reason::StraightLining {
                matrix: "safety".into(),
                rows: 5,
                answer: "3".into(),
            },
            Reason::AttentionCheck {
                question: "attn".into(),
                expected: "4".into(),
                answer: "".into(),
            },
            Reason::DeviceRepeat { nth: 2, max: 1 },
        ];
        let json = Reason::list_to_json(&all);
        assert!(json.contains("\"code\":\"too_fast\""), "{json}");
        assert_eq!(Reason::list_from_json(&json), all);
        assert!(Reason::list_from_json("").is_empty());
        for r in &all {
            for lang in [Lang::Zh, Lang::En] {
                let m = r.message(lang);
                assert!(!m.contains("survey-invalid"), "{lang:?} {m}");
            }
        }
        assert!(all[0].message(Lang::Zh).contains("12"));
        assert!(all[0].message(Lang::En).contains("60"));
    }

    #[test]
    fn rule_input_is_parsed_with_every_error_reported() {
        let f = form();
        let ok = RulesInput {
            min_seconds: Some("90".into()),
            straight_lining_rows: Some("4".into()),
            max_per_device: Some("".into()),
            attention_lines: Some("attn = 4\n\ntopics＝5 2".into()),
            ..Default::default()
        }
        .parse(Some(&f))
        .unwrap();
        assert_eq!(ok.min_seconds, Some(90));
        assert_eq!(ok.max_per_device, None);
        assert_eq!(ok.attention_checks.len(), 2);
        assert_eq!(ok.attention_checks[1].expected, "5 2");
        assert_eq!(Rules::from_json(&ok.to_json()), ok);
        assert_eq!(RulesInput::of(&ok).parse(Some(&f)).unwrap(), ok);
        assert_eq!(Rules::from_json("{}"), Rules::default());
        let bad = RulesInput {
            min_seconds: Some("0".into()),
            straight_lining_rows: Some("many".into()),
            max_per_device: Some("-1".into()),
            attention_lines: Some(
                "attn 4\nnope = 1\nattn = 9\nworker_group = courier rider".into(),
            ),
            ..Default::default()
        };
        let Err(AppError::Validation(fs)) = bad.parse(Some(&f)) else {
            panic!("refused")
        };
        let got: Vec<(&str, &str)> = fs.iter().map(|e| (e.field.as_str(), e.key)).collect();
        assert_eq!(
            got,
            [
                ("min_seconds", "err-out-of-range"),
                ("straight_lining_rows", "err-not-a-number"),
                ("max_per_device", "err-out-of-range"),
                ("attention_lines", "survey-err-attention-line"),
                ("attention_lines", "survey-err-attention-question"),
                ("attention_lines", "survey-err-attention-choice"),
                ("attention_lines", "survey-err-attention-choice"),
            ]
        );
        // Without a form yet, any question name is kept.
        let list = RulesInput {
            attention_checks: Some(vec![AttentionCheck {
                question: "later".into(),
                expected: "1".into(),
            }]),
            ..Default::default()
        };
        assert_eq!(list.parse(None).unwrap().attention_checks.len(), 1);
    }
}
