//! A response checked against its form version, the way the filling page
//! checks it as the respondent answers (`assets/survey-fill.js` mirrors
//! [`visible`] and [`check`]): which items are shown, then for every shown
//! question the required rule, the answer's type, its choices and its
//! constraint.
//!
//! Answers to questions hidden by skip logic are **dropped**, not refused: a
//! respondent who answered a question and then changed an earlier answer that
//! hides it did nothing wrong, and the stored response must read as if the
//! question was never asked. Answers to names the form does not have are refused.

use std::collections::{BTreeMap, BTreeSet};

use super::{
    expr::{self, Answers, Expr, date_days, text_to_number},
    form::{Choice, Form, Item, Labels, Question, QuestionKind, Required},
};
use crate::{date::Day, i18n::Lang};

/// The longest text answer kept, in characters.
pub const MAX_TEXT_CHARS: usize = 5000;
/// The value of the "other, please specify" choice (`or_other`).
pub const OTHER: &str = "other";

/// The key of the "please specify" text of a select question with `or_other`.
pub fn other_key(question: &str) -> String {
    format!("{question}_other")
}

/// The rule an answer breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// An answer to a name the form has no question for (or to a note).
    Unknown,
    Required,
    Integer,
    Decimal,
    Date,
    /// A choice the question does not offer.
    Choice,
    /// A number outside a range question's scale or off its step.
    Range,
    TooLong,
    Constraint,
    /// "Other" chosen without saying what.
    Other,
    /// The respondent's worker group is not one the survey is for.
    Target,
}

impl Rule {
    /// The stored and JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Unknown => "unknown",
            Rule::Required => "required",
            Rule::Integer => "integer",
            Rule::Decimal => "decimal",
            Rule::Date => "date",
            Rule::Choice => "choice",
            Rule::Range => "range",
            Rule::TooLong => "too_long",
            Rule::Constraint => "constraint",
            Rule::Other => "other",
            Rule::Target => "target",
        }
    }
}

/// One broken rule: the question's name, the rule, and the arguments of its message.
#[derive(Clone, Debug, PartialEq)]
pub struct AnswerError {
    pub question: String,
    pub rule: Rule,
    pub args: Vec<(&'static str, String)>,
}

impl AnswerError {
    fn new(question: &str, rule: Rule) -> AnswerError {
        AnswerError {
            question: question.to_string(),
            rule,
            args: Vec::new(),
        }
    }

    /// The respondent's worker group is not among `groups`, the survey's targets.
    pub fn target(question: &str, groups: String) -> AnswerError {
        AnswerError::new(question, Rule::Target).arg("groups", groups)
    }

    fn arg(mut self, name: &'static str, value: impl ToString) -> AnswerError {
        self.args.push((name, value.to_string()));
        self
    }

    /// The message in `lang`, naming the question by its label: the form's own
    /// required or constraint message when it has one, else the catalogue's.
    pub fn message(&self, form: &Form, lang: Lang) -> String {
        let q = form
            .questions()
            .into_iter()
            .find(|q| q.name == self.question);
        let label = q
            .and_then(|q| q.label.get(lang.code()))
            .map(plain)
            .unwrap_or_else(|| self.question.clone());
        let own = |l: &Labels| l.get(lang.code()).map(str::to_string);
        let text = match (self.rule, q) {
            (Rule::Required, Some(q)) => own(&q.required_message),
            (Rule::Constraint, Some(q)) => own(&q.constraint_message),
            _ => None,
        }
        .unwrap_or_else(|| lang.ta(&rule_key(self.rule), &self.args));
        lang.ta(
            "survey-err-question",
            &[("question", label), ("message", text)],
        )
    }
}

/// The catalogue key of a rule's message.
pub fn rule_key(rule: Rule) -> String {
    format!("survey-rule-{}", rule.as_str().replace('_', "-"))
}

/// A label as one line of plain text (labels may hold line breaks).
fn plain(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What expressions read: the answers of shown questions (a hidden one reads
/// as `''`), the checked question's value as `.`, and a choice's extra columns
/// while its `choice_filter` is evaluated.
struct Ctx<'a> {
    answers: &'a BTreeMap<String, String>,
    shown: &'a BTreeSet<String>,
    current: Option<&'a str>,
    extra: Option<&'a BTreeMap<String, String>>,
}

impl Answers for Ctx<'_> {
    fn value(&self, name: &str) -> Option<&str> {
        if let Some(v) = self.extra.and_then(|e| e.get(name)) {
            return Some(v);
        }
        if self.shown.contains(name) {
            self.answers.get(name).map(String::as_str)
        } else {
            None
        }
    }

    fn current(&self) -> Option<&str> {
        self.current
    }
}

/// The names of the items (groups and questions) shown for these answers.
///
/// An item is shown when its group is shown and its `relevant` holds, reading
/// only the answers of shown questions. Since hiding a question can change
/// what another condition reads, the pass is repeated until nothing changes
/// (at most once per item, then the last pass stands; the page does the same).
pub fn visible(form: &Form, answers: &BTreeMap<String, String>, today: Day) -> BTreeSet<String> {
    fn pass(
        items: &[Item],
        ctx: &Ctx<'_>,
        today: Day,
        parent_shown: bool,
        out: &mut BTreeSet<String>,
    ) {
        for it in items {
            let (relevant, children): (&Option<Expr>, &[Item]) = match it {
                Item::Question(q) => (&q.relevant, &[]),
                Item::Group(g) => (&g.relevant, &g.items),
            };
            let shown =
                parent_shown && relevant.as_ref().is_none_or(|e| expr::holds(e, ctx, today));
            if shown {
                out.insert(it.name().to_string());
            }
            pass(children, ctx, today, shown, out);
        }
    }
    let mut shown: BTreeSet<String> = form.walk().iter().map(|i| i.name().to_string()).collect();
    for _ in 0..=form.walk().len() {
        let mut next = BTreeSet::new();
        let ctx = Ctx {
            answers,
            shown: &shown,
            current: None,
            extra: None,
        };
        pass(&form.items, &ctx, today, true, &mut next);
        if next == shown {
            break;
        }
        shown = next;
    }
    shown
}

/// The choices a select question offers for these answers (its list, filtered
/// by `choice_filter`), without the "other" choice.
pub fn offered<'f>(
    form: &'f Form,
    q: &Question,
    answers: &BTreeMap<String, String>,
    shown: &BTreeSet<String>,
    today: Day,
) -> Vec<&'f Choice> {
    let Some(list) = q
        .choices
        .as_deref()
        .and_then(|n| form.choice_lists.iter().find(|l| l.name == n))
    else {
        return Vec::new();
    };
    list.choices
        .iter()
        .filter(|c| {
            q.choice_filter.as_ref().is_none_or(|f| {
                let ctx = Ctx {
                    answers,
                    shown,
                    current: None,
                    extra: Some(&c.extra),
                };
                expr::holds(f, &ctx, today)
            })
        })
        .collect()
}

fn is_integer(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    (1..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
}

fn is_decimal(s: &str) -> bool {
    let body = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    s.len() <= 30
        && !(int.is_empty() && frac.is_empty())
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `v` lies on the scale of a range question: between its ends, on a step.
fn on_scale(v: f64, start: f64, end: f64, step: f64) -> bool {
    let (lo, hi) = if start <= end {
        (start, end)
    } else {
        (end, start)
    };
    if v.is_nan() || v < lo - 1e-9 || v > hi + 1e-9 {
        return false;
    }
    let k = (v - start).abs() / step;
    (k - k.round()).abs() < 1e-6
}

/// Checks raw answers (`{name: text}`, multiple choices space-separated)
/// against a form. Returns the answers to keep — those of shown questions,
/// trimmed, multiple choices de-duplicated in the order given — or every
/// broken rule in reading order.
pub fn check(
    form: &Form,
    raw: &BTreeMap<String, String>,
    today: Day,
) -> Result<BTreeMap<String, String>, Vec<AnswerError>> {
    let questions = form.questions();
    let mut errs = Vec::new();
    // Names that may carry an answer.
    let mut known: BTreeSet<String> = BTreeSet::new();
    for q in &questions {
        if q.kind != QuestionKind::Note {
            known.insert(q.name.clone());
        }
        if q.other {
            known.insert(other_key(&q.name));
        }
    }
    for (k, v) in raw {
        if !known.contains(k) && !v.trim().is_empty() {
            errs.push(AnswerError::new(k, Rule::Unknown));
        }
    }
    // Texts keep their inner spacing; every other answer is trimmed.
    let answers: BTreeMap<String, String> = raw
        .iter()
        .filter(|(k, _)| known.contains(*k))
        .map(|(k, v)| (k.clone(), v.trim().to_string()))
        .filter(|(_, v)| !v.is_empty())
        .collect();
    let shown = visible(form, &answers, today);
    let mut kept = BTreeMap::new();
    for q in questions {
        if q.kind == QuestionKind::Note || !shown.contains(&q.name) {
            continue;
        }
        let ctx = Ctx {
            answers: &answers,
            shown: &shown,
            current: None,
            extra: None,
        };
        let required = match &q.required {
            Required::No => false,
            Required::Yes => true,
            Required::When(e) => expr::holds(e, &ctx, today),
        };
        let Some(value) = answers.get(&q.name) else {
            if required {
                errs.push(AnswerError::new(&q.name, Rule::Required));
            }
            continue;
        };
        let value = match typed(form, q, value, &answers, &shown, today) {
            Ok(v) => v,
            Err(e) => {
                errs.push(e);
                continue;
            }
        };
        if let Some(c) = &q.constraint {
            let ctx = Ctx {
                current: Some(&value),
                ..ctx
            };
            if !expr::holds(c, &ctx, today) {
                errs.push(AnswerError::new(&q.name, Rule::Constraint));
                continue;
            }
        }
        if q.other && value.split(' ').any(|c| c == OTHER) {
            let key = other_key(&q.name);
            match answers.get(&key) {
                None => errs.push(AnswerError::new(&q.name, Rule::Other)),
                Some(t) if t.chars().count() > MAX_TEXT_CHARS => {
                    errs.push(AnswerError::new(&key, Rule::TooLong).arg("max", MAX_TEXT_CHARS))
                }
                Some(t) => {
                    kept.insert(key, t.clone());
                }
            }
        }
        kept.insert(q.name.clone(), value);
    }
    if errs.is_empty() { Ok(kept) } else { Err(errs) }
}

/// The answer in its stored spelling, if it fits the question's type.
fn typed(
    form: &Form,
    q: &Question,
    value: &str,
    answers: &BTreeMap<String, String>,
    shown: &BTreeSet<String>,
    today: Day,
) -> Result<String, AnswerError> {
    let fail = |rule| Err(AnswerError::new(&q.name, rule));
    match &q.kind {
        QuestionKind::Text | QuestionKind::Note => {
            if value.chars().count() > MAX_TEXT_CHARS {
                return Err(AnswerError::new(&q.name, Rule::TooLong).arg("max", MAX_TEXT_CHARS));
            }
            Ok(value.to_string())
        }
        QuestionKind::Integer if is_integer(value) => Ok(value.to_string()),
        QuestionKind::Integer => fail(Rule::Integer),
        QuestionKind::Decimal if is_decimal(value) => Ok(value.to_string()),
        QuestionKind::Decimal => fail(Rule::Decimal),
        QuestionKind::Date if date_days(value).is_some() => Ok(value.to_string()),
        QuestionKind::Date => fail(Rule::Date),
        QuestionKind::Range { start, end, step } => {
            if is_decimal(value) && on_scale(text_to_number(value), *start, *end, *step) {
                Ok(value.to_string())
            } else {
                Err(AnswerError::new(&q.name, Rule::Range)
                    .arg("min", expr::number_to_text(start.min(*end)))
                    .arg("max", expr::number_to_text(start.max(*end))))
            }
        }
        QuestionKind::SelectOne | QuestionKind::SelectMultiple => {
            let offered = offered(form, q, answers, shown, today);
            let ok = |c: &str| (q.other && c == OTHER) || offered.iter().any(|o| o.name == c);
            let mut picked: Vec<&str> = Vec::new();
            for c in value
                .split([' ', '\t', '\n', '\r'])
                .filter(|c| !c.is_empty())
            {
                if !ok(c) {
                    return fail(Rule::Choice);
                }
                if !picked.contains(&c) {
                    picked.push(c);
                }
            }
            if q.kind == QuestionKind::SelectOne && picked.len() != 1 {
                return fail(Rule::Choice);
            }
            Ok(picked.join(" "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::survey::{
        expr::parse,
        form::{ChoiceList, Group},
    };

    fn q(name: &str, kind: QuestionKind) -> Question {
        Question::new(name, kind)
    }

    fn list(name: &str, choices: &[&str]) -> ChoiceList {
        ChoiceList {
            name: name.into(),
            choices: choices
                .iter()
                .map(|c| Choice {
                    name: (*c).into(),
                    ..Choice::default()
                })
                .collect(),
        }
    }

    fn answers(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    }

    fn today() -> Day {
        Day::from_ymd(2026, 11, 20).unwrap()
    }

    /// group (select_one with or_other), age (integer 16..=65, required),
    /// detail (text, shown for couriers), in a group shown when age is answered.
    fn form() -> Form {
        let mut group = q("group", QuestionKind::SelectOne);
        group.choices = Some("groups".into());
        group.other = true;
        group.required = Required::Yes;
        let mut age = q("age", QuestionKind::Integer);
        age.required = Required::Yes;
        age.constraint = Some(parse(". >= 16 and . <= 65").unwrap());
        let mut detail = q("detail", QuestionKind::Text);
        detail.relevant = Some(parse("${group} = 'courier'").unwrap());
        detail.required = Required::Yes;
        let mut topics = q("topics", QuestionKind::SelectMultiple);
        topics.choices = Some("topics".into());
        let mut score = q(
            "score",
            QuestionKind::Range {
                start: 1.0,
                end: 5.0,
                step: 1.0,
            },
        );
        score.required = Required::When(parse("count-selected(${topics}) > 0").unwrap());
        let more = Group {
            name: "more".into(),
            relevant: Some(parse("${age} != ''").unwrap()),
            items: vec![Item::Question(topics), Item::Question(score)],
            ..Group::default()
        };
        Form {
            id: "f".into(),
            items: vec![
                Item::Question(group),
                Item::Question(age),
                Item::Question(detail),
                Item::Question(q("intro", QuestionKind::Note)),
                Item::Group(more),
                Item::Question(q("when", QuestionKind::Date)),
                Item::Question(q("pay", QuestionKind::Decimal)),
            ],
            choice_lists: vec![
                list("groups", &["courier", "rider"]),
                list("topics", &["wages", "safety"]),
            ],
            ..Form::default()
        }
    }

    fn rules(r: Result<BTreeMap<String, String>, Vec<AnswerError>>) -> Vec<(String, Rule)> {
        r.err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| (e.question, e.rule))
            .collect()
    }

    #[test]
    fn a_complete_response_is_kept_trimmed_and_hidden_answers_are_dropped() {
        let f = form();
        let kept = check(
            &f,
            &answers(&[
                ("group", " rider "),
                ("age", "30"),
                ("detail", "answered, then hidden"),
                ("topics", "safety wages safety"),
                ("score", "4"),
                ("when", "2026-11-01"),
                ("pay", "12.5"),
            ]),
            today(),
        )
        .unwrap();
        assert_eq!(
            kept,
            answers(&[
                ("group", "rider"),
                ("age", "30"),
                ("topics", "safety wages"),
                ("score", "4"),
                ("when", "2026-11-01"),
                ("pay", "12.5"),
            ])
        );
    }

    #[test]
    fn every_rule_is_named_with_its_question() {
        let f = form();
        let r = |pairs: &[(&str, &str)]| rules(check(&f, &answers(pairs), today()));
        assert_eq!(
            r(&[]),
            [
                ("group".into(), Rule::Required),
                ("age".into(), Rule::Required)
            ]
        );
        assert_eq!(
            r(&[("group", "courier"), ("age", "30")]),
            [("detail".into(), Rule::Required)],
            "shown by skip logic, and required"
        );
        assert_eq!(
            r(&[("group", "boss"), ("age", "x")]),
            [
                ("group".into(), Rule::Choice),
                ("age".into(), Rule::Integer)
            ]
        );
        assert_eq!(
            r(&[("group", "rider courier"), ("age", "15")]),
            [
                ("group".into(), Rule::Choice),
                ("age".into(), Rule::Constraint)
            ]
        );
        assert_eq!(
            r(&[("group", "other"), ("age", "20")]),
            [("group".into(), Rule::Other)]
        );
        assert!(r(&[("group", "other"), ("group_other", "保安"), ("age", "20")]).is_empty());
        assert_eq!(
            r(&[("group", "rider"), ("age", "20"), ("topics", "wages")]),
            [("score".into(), Rule::Required)],
            "required while its condition holds"
        );
        assert_eq!(
            r(&[
                ("group", "rider"),
                ("age", "20"),
                ("topics", "x"),
                ("score", "2.5"),
                ("when", "2026-02-30"),
                ("pay", "1e3"),
            ]),
            [
                ("topics".into(), Rule::Choice),
                ("score".into(), Rule::Range),
                ("when".into(), Rule::Date),
                ("pay".into(), Rule::Decimal),
            ]
        );
        assert_eq!(
            r(&[
                ("group", "rider"),
                ("age", "20"),
                ("intro", "x"),
                ("nope", "y")
            ]),
            [
                ("intro".into(), Rule::Unknown),
                ("nope".into(), Rule::Unknown)
            ]
        );
        let long = "长".repeat(MAX_TEXT_CHARS + 1);
        assert_eq!(
            r(&[("group", "courier"), ("age", "20"), ("detail", &long)]),
            [("detail".into(), Rule::TooLong)]
        );
    }

    #[test]
    fn a_hidden_group_hides_its_questions_and_conditions_read_only_shown_answers() {
        let f = form();
        let shown = visible(&f, &answers(&[("topics", "wages")]), today());
        assert!(!shown.contains("more") && !shown.contains("topics"));
        // b is shown when a is; a is shown when x is answered: hiding a hides b.
        let mut a = q("a", QuestionKind::Text);
        a.relevant = Some(parse("${x} != ''").unwrap());
        let mut b = q("b", QuestionKind::Text);
        b.relevant = Some(parse("${a} != ''").unwrap());
        let chain = Form {
            items: vec![
                Item::Question(b),
                Item::Question(a),
                Item::Question(q("x", QuestionKind::Text)),
            ],
            ..Form::default()
        };
        let shown = visible(&chain, &answers(&[("a", "1"), ("b", "2")]), today());
        assert_eq!(shown, BTreeSet::from(["x".to_string()]));
    }

    #[test]
    fn choice_filters_limit_the_choices_accepted() {
        let mut f = form();
        f.choice_lists.push(ChoiceList {
            name: "cities".into(),
            choices: ["sh:east", "sh:west", "bj:north"]
                .iter()
                .map(|s| {
                    let (area, name) = s.split_once(':').unwrap();
                    Choice {
                        name: name.into(),
                        extra: BTreeMap::from([("area".to_string(), area.to_string())]),
                        ..Choice::default()
                    }
                })
                .collect(),
        });
        let mut city = q("city", QuestionKind::SelectOne);
        city.choices = Some("cities".into());
        city.choice_filter = Some(parse("${area} = 'sh'").unwrap());
        f.items.push(Item::Question(city));
        let base = [("group", "rider"), ("age", "20")];
        let with = |c: &str| {
            let mut a = answers(&base);
            a.insert("city".into(), c.into());
            rules(check(&f, &a, today()))
        };
        assert!(with("west").is_empty());
        assert_eq!(with("north"), [("city".into(), Rule::Choice)]);
    }

    #[test]
    fn messages_use_the_forms_own_words_or_the_catalogue() {
        let mut f = form();
        if let Item::Question(age) = &mut f.items[1] {
            age.label.set("English (en)", "Your age");
            age.label.set("中文 (zh)", "您的年龄");
            age.constraint_message.set("English (en)", "16 to 65 only");
        }
        let e = AnswerError::new("age", Rule::Constraint);
        assert_eq!(e.message(&f, Lang::En), "“Your age”: 16 to 65 only");
        let e = AnswerError::new("age", Rule::Integer);
        assert!(e.message(&f, Lang::Zh).starts_with("“您的年龄”："));
        assert!(!Lang::En.t(&rule_key(Rule::TooLong)).is_empty());
    }
}
