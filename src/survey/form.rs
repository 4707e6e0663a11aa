//! The form model: questions, groups and choice lists, stored as JSON with the
//! form, and the checks every built form must pass ([`Form::validate`]).
//!
//! Expressions (`relevant`, `constraint`, `required`, `choice_filter`) are held
//! parsed ([`Expr`]); names follow the rules of `${name}` in the expression
//! language so every question can be referred to.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use super::expr::Expr;

/// Texts per language. The key is the language as the form names it
/// (`中文 (zh)`, `English (en)`, the XLSForm `label::Language (code)` part),
/// or `""` for the text without a language (a plain `label` column).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Labels(pub BTreeMap<String, String>);

impl Labels {
    /// No text in any language.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Sets the text of `lang` (`""` for the default); empty texts are not kept.
    pub fn set(&mut self, lang: &str, text: &str) {
        if !text.is_empty() {
            self.0.insert(lang.to_string(), text.to_string());
        }
    }

    /// A label with only a default text.
    pub fn plain(text: &str) -> Labels {
        let mut l = Labels::default();
        l.set("", text);
        l
    }

    /// The text for a language code (`zh-CN`, `zh`, `en`): the language whose
    /// code in parentheses matches (`English (en)`), then the default text,
    /// then any text.
    pub fn get(&self, code: &str) -> Option<&str> {
        let code = code.to_ascii_lowercase();
        let primary = code.split('-').next().unwrap_or_default().to_string();
        let by_code = |wanted: &str| {
            self.0.iter().find_map(|(lang, text)| {
                let c = language_code(lang)?.to_ascii_lowercase();
                (c == wanted).then_some(text.as_str())
            })
        };
        by_code(&code)
            .or_else(|| by_code(&primary))
            .or_else(|| self.0.get("").map(String::as_str))
            .or_else(|| self.0.values().next().map(String::as_str))
    }

    /// The languages used, `""` included.
    pub fn languages(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }
}

/// The code in parentheses of an XLSForm language name: `English (en)` → `en`.
pub fn language_code(lang: &str) -> Option<&str> {
    let open = lang.rfind('(')?;
    let rest = &lang[open + 1..];
    let close = rest.find(')')?;
    let code = rest[..close].trim();
    (!code.is_empty()).then_some(code)
}

/// A questionnaire.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Form {
    /// `form_id` of the settings sheet.
    pub id: String,
    /// `form_title` of the settings sheet.
    pub title: String,
    pub version: Option<String>,
    /// The language of the texts without one (`default_language`).
    pub default_language: Option<String>,
    /// Every language a text of the form uses, sorted (`""` excluded).
    pub languages: Vec<String>,
    pub items: Vec<Item>,
    pub choice_lists: Vec<ChoiceList>,
}

/// A question or a group of items (a section; a page with `field-list`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "item", rename_all = "snake_case")]
#[allow(clippy::large_enum_variant)] // a form holds tens of items, not millions
pub enum Item {
    Question(Question),
    Group(Group),
}

impl Item {
    pub fn name(&self) -> &str {
        match self {
            Item::Question(q) => &q.name,
            Item::Group(g) => &g.name,
        }
    }
}

/// `begin group` … `end group`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Group {
    pub name: String,
    pub label: Labels,
    pub relevant: Option<Expr>,
    pub appearance: Vec<Appearance>,
    pub items: Vec<Item>,
}

/// How a question or group is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Appearance {
    /// A drop-down instead of a list of choices.
    Minimal,
    /// Choices side by side.
    Horizontal,
    /// A group shown as one page.
    FieldList,
    /// A group shown as a matrix: its questions are the rows, the choices of
    /// their one shared list the scale (every item a choice question of that list).
    TableList,
    /// A range shown as a rating scale of stars.
    Rating,
}

impl Appearance {
    pub const ALL: [Appearance; 5] = [
        Appearance::Minimal,
        Appearance::Horizontal,
        Appearance::FieldList,
        Appearance::TableList,
        Appearance::Rating,
    ];

    /// The XLSForm spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Appearance::Minimal => "minimal",
            Appearance::Horizontal => "horizontal",
            Appearance::FieldList => "field-list",
            Appearance::TableList => "table-list",
            Appearance::Rating => "rating",
        }
    }

    pub fn parse(s: &str) -> Option<Appearance> {
        Appearance::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// Whether an answer is required.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "k", content = "if", rename_all = "snake_case")]
pub enum Required {
    #[default]
    No,
    Yes,
    /// Required while the expression holds.
    When(Expr),
}

/// What a question asks for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum QuestionKind {
    SelectOne,
    SelectMultiple,
    Text,
    Integer,
    Decimal,
    Date,
    /// Text shown to the respondent, no answer.
    Note,
    /// A number from `start` to `end` by `step` (a slider).
    Range {
        start: f64,
        end: f64,
        step: f64,
    },
    // A rating scale is a range with the `rating` appearance; a matrix
    // (rows × scale) is a `table-list` group of choice questions sharing a list.
}

impl QuestionKind {
    pub fn is_select(&self) -> bool {
        matches!(self, QuestionKind::SelectOne | QuestionKind::SelectMultiple)
    }
}

/// One question.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Question {
    pub name: String,
    pub kind: QuestionKind,
    pub label: Labels,
    pub hint: Labels,
    pub required: Required,
    pub required_message: Labels,
    pub relevant: Option<Expr>,
    pub constraint: Option<Expr>,
    pub constraint_message: Labels,
    pub appearance: Vec<Appearance>,
    /// The choice list of a select question.
    pub choices: Option<String>,
    /// Which choices are offered; reads questions and the choice list's extra
    /// columns, both as `${name}`.
    pub choice_filter: Option<Expr>,
    /// `or_other`: an "other, please specify" choice.
    pub other: bool,
    /// The choices show in a random order, one per respondent ([`choice_order`];
    /// XLSForm `parameters` `randomize=true`); "other" stays last. Absent in
    /// forms stored before it existed: off.
    #[serde(default)]
    pub shuffle: bool,
}

impl Question {
    /// A question of `kind` with nothing else set.
    pub fn new(name: &str, kind: QuestionKind) -> Question {
        Question {
            name: name.to_string(),
            kind,
            label: Labels::default(),
            hint: Labels::default(),
            required: Required::No,
            required_message: Labels::default(),
            relevant: None,
            constraint: None,
            constraint_message: Labels::default(),
            appearance: Vec::new(),
            choices: None,
            choice_filter: None,
            other: false,
            shuffle: false,
        }
    }
}

/// The order a shuffled choice question shows its `n` choices in, for one
/// respondent: `order[k]` is the index in the list of the choice shown k-th.
/// The same seed (the page's per-respondent seed, see docs/surveys.md) and
/// question always give the same order, so a reload does not reorder; each
/// question of a form gets its own. FNV-1a over the UTF-16 units of
/// `seed \0 question`, then xorshift32 drives a Fisher–Yates shuffle: only
/// 32-bit operations, so `order` in assets/survey-fill.js (ES5) gives
/// the same orders (tests/fixtures/choice-order.json holds both to it).
pub fn choice_order(seed: &str, question: &str, n: usize) -> Vec<usize> {
    let mut h: u32 = 0x811c_9dc5;
    for unit in seed
        .encode_utf16()
        .chain(std::iter::once(0))
        .chain(question.encode_utf16())
    {
        h ^= u32::from(unit);
        h = h.wrapping_mul(16_777_619);
    }
    let mut x = if h == 0 { 0x9e37_79b9 } else { h };
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let j = (x % (i as u32 + 1)) as usize;
        order.swap(i, j);
    }
    order
}

/// A named list of choices, shared by the select questions that name it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ChoiceList {
    pub name: String,
    pub choices: Vec<Choice>,
}

/// One choice: the stored value (`name`), its labels, and extra columns that
/// a `choice_filter` may read.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    pub name: String,
    pub label: Labels,
    pub extra: BTreeMap<String, String>,
}

// ---------------------------------------------------------------------------
// Validation

/// Where a validation error is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// The n-th item of the form, counting groups and questions in reading
    /// order (a group before its items).
    Item(usize),
    /// The `choice`-th choice of the `list`-th list.
    Choice { list: usize, choice: usize },
}

/// A rule a form breaks: where, which field (the XLSForm column), a message
/// key of `locales/*/survey.ftl` and a detail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormError {
    pub place: Place,
    pub field: &'static str,
    pub key: &'static str,
    pub detail: String,
}

/// Whether `s` can be written `${s}` in an expression.
pub fn is_valid_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

impl Form {
    /// Every item in reading order (a group before its items).
    pub fn walk(&self) -> Vec<&Item> {
        fn go<'a>(items: &'a [Item], out: &mut Vec<&'a Item>) {
            for it in items {
                out.push(it);
                if let Item::Group(g) = it {
                    go(&g.items, out);
                }
            }
        }
        let mut out = Vec::new();
        go(&self.items, &mut out);
        out
    }

    /// Every question in reading order.
    pub fn questions(&self) -> Vec<&Question> {
        self.walk()
            .into_iter()
            .filter_map(|it| match it {
                Item::Question(q) => Some(q),
                Item::Group(_) => None,
            })
            .collect()
    }

    /// The sorted languages used by any text of the form (`""` excluded).
    pub fn used_languages(&self) -> Vec<String> {
        let mut langs = BTreeSet::new();
        let mut add = |l: &Labels| {
            langs.extend(l.languages().filter(|l| !l.is_empty()).map(String::from));
        };
        for it in self.walk() {
            match it {
                Item::Group(g) => add(&g.label),
                Item::Question(q) => {
                    add(&q.label);
                    add(&q.hint);
                    add(&q.required_message);
                    add(&q.constraint_message);
                }
            }
        }
        for c in self.choice_lists.iter().flat_map(|l| &l.choices) {
            add(&c.label);
        }
        langs.into_iter().collect()
    }

    /// Every rule the form breaks; empty when it is sound. Checks: names valid
    /// and unique, expressions reading existing questions only, no cycle of
    /// `relevant` conditions, choice lists named by selects exist, are not
    /// empty and have unique choice names, properties only where they apply.
    pub fn validate(&self) -> Vec<FormError> {
        let mut errs = Vec::new();
        let items = self.walk();
        let err = |i: usize, field: &'static str, key: &'static str, detail: &str| FormError {
            place: Place::Item(i),
            field,
            key,
            detail: detail.to_string(),
        };
        // Names.
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, it) in items.iter().enumerate() {
            let name = it.name();
            if name.is_empty() {
                errs.push(err(i, "name", "xlsform-err-name-missing", ""));
            } else if !is_valid_name(name) {
                errs.push(err(i, "name", "xlsform-err-name-invalid", name));
            } else if seen.insert(name, i).is_some() {
                errs.push(err(i, "name", "xlsform-err-duplicate-name", name));
            }
        }
        let questions: BTreeSet<&str> = items
            .iter()
            .filter_map(|it| match it {
                Item::Question(q) => Some(q.name.as_str()),
                Item::Group(_) => None,
            })
            .collect();
        let lists: HashMap<&str, &ChoiceList> = self
            .choice_lists
            .iter()
            .map(|l| (l.name.as_str(), l))
            .collect();
        let check_refs = |i: usize,
                          field: &'static str,
                          e: &Option<Expr>,
                          extra: &BTreeSet<&str>,
                          errs: &mut Vec<FormError>| {
            if let Some(e) = e {
                for r in e.references() {
                    if !questions.contains(r) && !extra.contains(r) {
                        errs.push(err(i, field, "xlsform-err-unknown-reference", r));
                    }
                }
            }
        };
        let none = BTreeSet::new();
        // The rows of matrices, by their place in reading order.
        fn size(it: &Item) -> usize {
            match it {
                Item::Question(_) => 1,
                Item::Group(g) => 1 + g.items.iter().map(size).sum::<usize>(),
            }
        }
        let mut matrix_rows = BTreeSet::new();
        for (i, it) in items.iter().enumerate() {
            if let Item::Group(g) = it
                && g.appearance.contains(&Appearance::TableList)
            {
                let mut at = i + 1;
                for row in &g.items {
                    matrix_rows.insert(at);
                    at += size(row);
                }
            }
        }
        for (i, it) in items.iter().enumerate() {
            match it {
                Item::Group(g) => {
                    check_refs(i, "relevant", &g.relevant, &none, &mut errs);
                    for a in &g.appearance {
                        if !matches!(a, Appearance::FieldList | Appearance::TableList) {
                            errs.push(err(i, "appearance", "xlsform-err-appearance", a.as_str()));
                        }
                    }
                    // A matrix: rows are choice questions of one list, nothing else.
                    if g.appearance.contains(&Appearance::TableList) {
                        let mut lists = g.items.iter().map(|it| match it {
                            Item::Question(q) if q.kind.is_select() => q.choices.as_deref(),
                            _ => None,
                        });
                        let first = lists.next().flatten();
                        if g.items.is_empty()
                            || first.is_none()
                            || lists.any(|l| l.is_none() || l != first)
                        {
                            errs.push(err(i, "appearance", "xlsform-err-table-list", &g.name));
                        }
                    }
                }
                Item::Question(q) => {
                    check_refs(i, "relevant", &q.relevant, &none, &mut errs);
                    check_refs(i, "constraint", &q.constraint, &none, &mut errs);
                    if let Required::When(e) = &q.required {
                        check_refs(i, "required", &Some(e.clone()), &none, &mut errs);
                    }
                    let list = q.choices.as_deref().and_then(|n| lists.get(n));
                    let extra: BTreeSet<&str> = list
                        .map(|l| {
                            l.choices
                                .iter()
                                .flat_map(|c| c.extra.keys().map(String::as_str))
                                .collect()
                        })
                        .unwrap_or_default();
                    check_refs(i, "choice_filter", &q.choice_filter, &extra, &mut errs);
                    for a in &q.appearance {
                        let fits = match a {
                            Appearance::Minimal | Appearance::Horizontal => q.kind.is_select(),
                            Appearance::Rating => matches!(q.kind, QuestionKind::Range { .. }),
                            Appearance::FieldList | Appearance::TableList => false,
                        };
                        if !fits {
                            errs.push(err(i, "appearance", "xlsform-err-appearance", a.as_str()));
                        }
                    }
                    // `or_other` adds the choice `other`; the list must not have one.
                    if q.other && list.is_some_and(|l| l.choices.iter().any(|c| c.name == "other"))
                    {
                        errs.push(err(i, "type", "xlsform-err-other-clash", "other"));
                    }
                    // `${x}` in a filter must not be both a question and a column.
                    if let Some(f) = &q.choice_filter {
                        for r in f.references() {
                            if questions.contains(r) && extra.contains(r) {
                                errs.push(err(i, "choice_filter", "xlsform-err-ambiguous", r));
                            }
                        }
                    }
                    match (&q.kind, &q.choices) {
                        (k, None) if k.is_select() => {
                            errs.push(err(i, "type", "xlsform-err-list-name-missing", ""));
                        }
                        (k, Some(l)) if k.is_select() && list.is_none() => {
                            errs.push(err(i, "type", "xlsform-err-missing-list", l));
                        }
                        (k, Some(l)) if !k.is_select() => {
                            errs.push(err(i, "type", "xlsform-err-not-applicable", l));
                        }
                        _ => {}
                    }
                    // Shuffling: choice questions only, and not a matrix's
                    // rows (they share one scale, shown in one order).
                    if q.shuffle && (!q.kind.is_select() || matrix_rows.contains(&i)) {
                        errs.push(err(i, "parameters", "xlsform-err-shuffle", &q.name));
                    }
                    if !q.kind.is_select() {
                        if q.other {
                            errs.push(err(i, "type", "xlsform-err-not-applicable", "or_other"));
                        }
                        if q.choice_filter.is_some() {
                            errs.push(err(
                                i,
                                "choice_filter",
                                "xlsform-err-not-applicable",
                                "choice_filter",
                            ));
                        }
                    }
                    if let QuestionKind::Range { start, end, step } = q.kind
                        && !(start.is_finite()
                            && end.is_finite()
                            && step.is_finite()
                            && step > 0.0
                            && start != end)
                    {
                        errs.push(err(
                            i,
                            "parameters",
                            "xlsform-err-parameters",
                            &format!("start={start} end={end} step={step}"),
                        ));
                    }
                }
            }
        }
        // Cycles of `relevant`: a question shown only if a question shown only
        // if … the first.
        let relevant: HashMap<&str, (usize, BTreeSet<&str>)> = items
            .iter()
            .enumerate()
            .filter_map(|(i, it)| {
                let r = match it {
                    Item::Question(q) => q.relevant.as_ref(),
                    Item::Group(g) => g.relevant.as_ref(),
                }?;
                Some((it.name(), (i, r.references())))
            })
            .collect();
        let mut state: HashMap<&str, u8> = HashMap::new(); // 1 visiting, 2 done
        let mut in_cycle: BTreeSet<usize> = BTreeSet::new();
        fn visit<'a>(
            n: &'a str,
            g: &HashMap<&'a str, (usize, BTreeSet<&'a str>)>,
            state: &mut HashMap<&'a str, u8>,
            stack: &mut Vec<&'a str>,
            in_cycle: &mut BTreeSet<usize>,
        ) {
            match state.get(n) {
                Some(2) => return,
                Some(1) => {
                    let from = stack.iter().rposition(|s| *s == n).unwrap_or(0);
                    for s in &stack[from..] {
                        if let Some((i, _)) = g.get(s) {
                            in_cycle.insert(*i);
                        }
                    }
                    return;
                }
                _ => {}
            }
            state.insert(n, 1);
            stack.push(n);
            if let Some((_, refs)) = g.get(n) {
                for r in refs {
                    visit(r, g, state, stack, in_cycle);
                }
            }
            stack.pop();
            state.insert(n, 2);
        }
        let mut names: Vec<&str> = relevant.keys().copied().collect();
        names.sort_by_key(|n| relevant[n].0);
        for n in names {
            visit(n, &relevant, &mut state, &mut Vec::new(), &mut in_cycle);
        }
        for i in in_cycle {
            errs.push(err(i, "relevant", "xlsform-err-cycle", items[i].name()));
        }
        // Choice lists.
        let mut list_names = BTreeSet::new();
        for (li, l) in self.choice_lists.iter().enumerate() {
            let at = |choice: usize, field, key, detail: &str| FormError {
                place: Place::Choice { list: li, choice },
                field,
                key,
                detail: detail.to_string(),
            };
            if !list_names.insert(l.name.as_str()) {
                errs.push(at(0, "list_name", "xlsform-err-duplicate-list", &l.name));
            }
            if l.name.is_empty() || l.name.contains(char::is_whitespace) {
                errs.push(at(0, "list_name", "xlsform-err-name-invalid", &l.name));
            }
            if l.choices.is_empty() {
                errs.push(at(0, "list_name", "xlsform-err-empty-list", &l.name));
            }
            let mut choice_names = BTreeSet::new();
            for (ci, c) in l.choices.iter().enumerate() {
                if c.name.is_empty() {
                    errs.push(at(ci, "name", "xlsform-err-name-missing", ""));
                } else if c.name.contains(char::is_whitespace) {
                    errs.push(at(ci, "name", "xlsform-err-choice-name", &c.name));
                } else if !choice_names.insert(c.name.as_str()) {
                    errs.push(at(ci, "name", "xlsform-err-duplicate-choice", &c.name));
                }
            }
        }
        errs.sort_by_key(|e| match e.place {
            Place::Item(i) => (0, i, 0),
            Place::Choice { list, choice } => (1, list, choice),
        });
        errs
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::survey::expr::parse;

    fn q(name: &str) -> Question {
        Question::new(name, QuestionKind::Text)
    }

    #[test]
    fn labels_are_found_by_language_code() {
        let mut l = Labels::default();
        l.set("中文 (zh)", "年龄");
        l.set("English (en)", "Age");
        l.set("", "");
        assert_eq!(l.get("zh-CN"), Some("年龄"));
        assert_eq!(l.get("en"), Some("Age"));
        assert_eq!(l.get("fr"), Some("Age"));
        assert_eq!(language_code("English (en)"), Some("en"));
        assert_eq!(language_code("English"), None);
    }

    #[test]
    fn a_sound_form_passes_and_serialises_to_json_and_back() {
        let mut a = q("a");
        a.relevant = Some(parse("${b} = 'x'").unwrap());
        let mut s = Question::new("s", QuestionKind::SelectOne);
        s.choices = Some("yn".into());
        let form = Form {
            id: "f".into(),
            items: vec![
                Item::Question(q("b")),
                Item::Group(Group {
                    name: "g".into(),
                    items: vec![Item::Question(a), Item::Question(s)],
                    ..Group::default()
                }),
            ],
            choice_lists: vec![ChoiceList {
                name: "yn".into(),
                choices: vec![Choice {
                    name: "1".into(),
                    ..Choice::default()
                }],
            }],
            ..Form::default()
        };
        assert_eq!(form.validate(), vec![]);
        let json = serde_json::to_string(&form).unwrap();
        let back: Form = serde_json::from_str(&json).unwrap();
        assert_eq!(back, form);
    }

    #[test]
    fn a_matrix_is_a_group_of_choice_questions_sharing_a_list() {
        let select = |name: &str, list: &str| {
            let mut s = Question::new(name, QuestionKind::SelectOne);
            s.choices = Some(list.into());
            Item::Question(s)
        };
        let list = |name: &str| ChoiceList {
            name: name.into(),
            choices: vec![Choice {
                name: "1".into(),
                ..Choice::default()
            }],
        };
        let matrix = |items| Form {
            items: vec![Item::Group(Group {
                name: "m".into(),
                appearance: vec![Appearance::TableList],
                items,
                ..Group::default()
            })],
            choice_lists: vec![list("agree"), list("other")],
            ..Form::default()
        };
        assert_eq!(
            matrix(vec![select("a", "agree"), select("b", "agree")]).validate(),
            vec![]
        );
        for bad in [
            vec![select("a", "agree"), select("b", "other")],
            vec![select("a", "agree"), Item::Question(q("t"))],
            vec![],
        ] {
            let keys: Vec<_> = matrix(bad).validate().into_iter().map(|e| e.key).collect();
            assert_eq!(keys, ["xlsform-err-table-list"]);
        }
        let mut stars = Question::new(
            "s",
            QuestionKind::Range {
                start: 1.0,
                end: 5.0,
                step: 1.0,
            },
        );
        stars.appearance = vec![Appearance::Rating];
        let mut text = q("t");
        text.appearance = vec![Appearance::Rating];
        let form = Form {
            items: vec![Item::Question(stars), Item::Question(text)],
            ..Form::default()
        };
        let keys: Vec<_> = form
            .validate()
            .into_iter()
            .map(|e| (e.place, e.key))
            .collect();
        assert_eq!(keys, [(Place::Item(1), "xlsform-err-appearance")]);
    }

    #[test]
    fn a_form_stored_before_shuffling_loads_with_it_off() {
        let mut s = Question::new("s", QuestionKind::SelectOne);
        s.choices = Some("yn".into());
        let mut json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["shuffle"], false, "written out");
        json.as_object_mut().unwrap().remove("shuffle");
        let back: Question = serde_json::from_value(json).unwrap();
        assert_eq!(back, s);
        s.shuffle = true;
        let back: Question = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        assert!(back.shuffle);
    }

    #[test]
    fn only_choice_questions_outside_a_matrix_shuffle() {
        let select = |name: &str| {
            let mut s = Question::new(name, QuestionKind::SelectMultiple);
            s.choices = Some("yn".into());
            s.shuffle = true;
            s
        };
        let mut text = q("t");
        text.shuffle = true;
        let form = Form {
            items: vec![
                Item::Question(select("a")),
                Item::Question(text),
                Item::Group(Group {
                    name: "m".into(),
                    appearance: vec![Appearance::TableList],
                    items: vec![Item::Question(select("r1")), {
                        let mut r = select("r2");
                        r.shuffle = false;
                        Item::Question(r)
                    }],
                    ..Group::default()
                }),
                Item::Group(Group {
                    name: "g".into(),
                    items: vec![Item::Question(select("b"))],
                    ..Group::default()
                }),
            ],
            choice_lists: vec![ChoiceList {
                name: "yn".into(),
                choices: vec![Choice {
                    name: "y".into(),
                    ..Choice::default()
                }],
            }],
            ..Form::default()
        };
        let found: Vec<_> = form
            .validate()
            .into_iter()
            .map(|e| (e.place, e.field, e.key, e.detail))
            .collect();
        assert_eq!(
            found,
            [
                (
                    Place::Item(1),
                    "parameters",
                    "xlsform-err-shuffle",
                    "t".to_string()
                ),
                (
                    Place::Item(3),
                    "parameters",
                    "xlsform-err-shuffle",
                    "r1".to_string()
                ),
            ]
        );
    }

    #[test]
    fn a_respondent_keeps_one_order_and_respondents_differ() {
        let order = |seed: &str, n| choice_order(seed, "topics", n);
        for n in [0, 1, 2, 7, 40] {
            let mut o = order("5f0c3a9e1b2d4c6e8f0a1b2c", n);
            assert_eq!(o, order("5f0c3a9e1b2d4c6e8f0a1b2c", n), "stable");
            o.sort_unstable();
            assert_eq!(o, (0..n).collect::<Vec<_>>(), "a permutation");
        }
        // Ten choices: 3.6 million orders; twenty respondents all differ,
        // and each question of one respondent has its own.
        let seeds: Vec<String> = (0..20).map(|i| format!("instance{i:04}")).collect();
        let orders: BTreeSet<Vec<usize>> = seeds.iter().map(|s| order(s, 10)).collect();
        assert_eq!(orders.len(), 20);
        assert_ne!(
            choice_order("instance0000", "a", 10),
            choice_order("instance0000", "b", 10)
        );
        // Every choice comes first for someone: no position is favoured much.
        let mut first = [0usize; 5];
        for i in 0..5000 {
            first[choice_order(&format!("r{i}"), "q", 5)[0]] += 1;
        }
        assert!(first.iter().all(|&c| (850..1150).contains(&c)), "{first:?}");
    }

    /// Orders for the page's `order` (assets/survey-fill.js) to match (`tests/expr/order.test.mjs`).
    fn order_table() -> String {
        let mut lines = Vec::new();
        for seed in [
            "",
            "5f0c3a9e1b2d4c6e8f0a1b2c",
            "no-js-bad-0001",
            "ffffffffffffffffffffffff",
        ] {
            for question in ["topics", "worker_group", "关心的问题", "q.1-x"] {
                for n in [0, 1, 2, 3, 5, 8, 13, 30] {
                    let case = serde_json::json!({
                        "seed": seed, "question": question, "n": n,
                        "order": choice_order(seed, question, n),
                    });
                    lines.push(format!("    {case}"));
                }
            }
        }
        format!(
            "{{\n  \"about\": \"Generated by src/survey/form.rs (choice_order); regenerate with \
             QINGTING_UPDATE_FIXTURES=1 cargo test --lib survey::form\",\n  \"cases\": [\n{}\n  ]\n}}\n",
            lines.join(",\n")
        )
    }

    #[test]
    fn the_order_table_for_the_page_is_up_to_date() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/choice-order.json");
        let fresh = order_table();
        if std::env::var_os("QINGTING_UPDATE_FIXTURES").is_some() {
            std::fs::write(&path, &fresh).unwrap();
            return;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == fresh,
            "tests/fixtures/choice-order.json is stale: run \
             QINGTING_UPDATE_FIXTURES=1 cargo test --lib survey::form"
        );
    }

    #[test]
    fn cycles_unknown_references_and_duplicates_are_reported() {
        let mut a = q("a");
        a.relevant = Some(parse("${b} = 1").unwrap());
        let mut b = q("b");
        b.relevant = Some(parse("${a} = 1 and ${zz} = 2").unwrap());
        let form = Form {
            items: vec![Item::Question(a), Item::Question(b), Item::Question(q("a"))],
            ..Form::default()
        };
        let keys: Vec<_> = form
            .validate()
            .into_iter()
            .map(|e| (e.place, e.key, e.detail))
            .collect();
        assert_eq!(
            keys,
            vec![
                (Place::Item(0), "xlsform-err-cycle", "a".to_string()),
                (
                    Place::Item(1),
                    "xlsform-err-unknown-reference",
                    "zz".to_string()
                ),
                (Place::Item(1), "xlsform-err-cycle", "b".to_string()),
                (
                    Place::Item(2),
                    "xlsform-err-duplicate-name",
                    "a".to_string()
                ),
            ]
        );
    }
}
