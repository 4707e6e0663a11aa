//! Counting coded responses: the questions of every version mapped by name
//! onto one list ([`Codebook`]), and one pass over the lines that fills
//! arrays of counts ([`Tally`]) for every question and one cross-tab.

use std::collections::{BTreeMap, HashMap};

use super::codec::{self, Layout, Reader, SlotKind, Value};
use crate::survey::form::{Form, Labels, QuestionKind};

/// What a question's answers are, for analysis.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = AnalysisKind)]
pub enum Kind {
    Single,
    Multiple,
    Number,
    Date,
    Text,
}

impl Kind {
    fn of(slot: &SlotKind) -> Kind {
        match slot {
            SlotKind::Single { .. } => Kind::Single,
            SlotKind::Multiple { .. } => Kind::Multiple,
            SlotKind::Number => Kind::Number,
            SlotKind::Date => Kind::Date,
            SlotKind::Text => Kind::Text,
        }
    }

    /// Whether its answers are choices (rows or columns of a cross-tab).
    pub fn is_choice(self) -> bool {
        matches!(self, Kind::Single | Kind::Multiple)
    }
}

/// One question as analysis sees it, across every version.
#[derive(Clone, Debug)]
pub struct Entry {
    pub name: String,
    pub label: Labels,
    pub kind: Kind,
    /// The choices' names and labels; "other" is the extra last code when `other`.
    pub choices: Vec<(String, Labels)>,
    pub other: bool,
    /// A range question's scale shown as a rating.
    pub rating: bool,
    /// Integer answers (integer questions and whole-number ranges).
    pub integer: bool,
}

impl Entry {
    /// Codes of this question: its choices, then "other" when it has one.
    pub fn codes(&self) -> usize {
        self.choices.len() + usize::from(self.other)
    }
}

/// How a version's slot lands in the codebook.
#[derive(Clone, Debug)]
struct SlotMap {
    kind: SlotKind,
    /// The codebook entry, or `None` when the name's kind changed.
    entry: Option<usize>,
    /// Version code (0-based, "other" = len) → codebook code.
    codes: Vec<usize>,
}

/// The questions of a survey across its versions, matched by name.
#[derive(Clone, Debug, Default)]
pub struct Codebook {
    pub entries: Vec<Entry>,
    versions: HashMap<i64, Vec<SlotMap>>,
}

impl Codebook {
    /// The codebook of `forms` (version id, form), newest first: the newest
    /// version's order and labels win; questions only older versions have
    /// follow. A name whose kind changed keeps the newest kind; older answers
    /// of another kind are not counted.
    pub fn new(forms: &[(i64, &Form)]) -> Codebook {
        let mut entries: Vec<Entry> = Vec::new();
        let mut by_name: HashMap<String, usize> = HashMap::new();
        let mut versions = HashMap::new();
        for (vid, form) in forms {
            let layout = Layout::of(form);
            let questions: HashMap<&str, _> = form
                .questions()
                .into_iter()
                .map(|q| (q.name.as_str(), q))
                .collect();
            let list_labels = |list: &Option<String>| -> HashMap<String, Labels> {
                form.choice_lists
                    .iter()
                    .find(|l| Some(&l.name) == list.as_ref())
                    .map(|l| {
                        l.choices
                            .iter()
                            .map(|c| (c.name.clone(), c.label.clone()))
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let mut maps = Vec::new();
            for slot in &layout.slots {
                let q = questions[slot.name.as_str()];
                let kind = Kind::of(&slot.kind);
                let idx = match by_name.get(&slot.name) {
                    Some(&i) => i,
                    None => {
                        by_name.insert(slot.name.clone(), entries.len());
                        entries.push(Entry {
                            name: slot.name.clone(),
                            label: q.label.clone(),
                            kind,
                            choices: Vec::new(),
                            other: false,
                            rating: matches!(q.kind, QuestionKind::Range { .. }),
                            integer: match q.kind {
                                QuestionKind::Integer => true,
                                QuestionKind::Range { start, step, .. } => {
                                    start.fract() == 0.0 && step.fract() == 0.0
                                }
                                _ => false,
                            },
                        });
                        entries.len() - 1
                    }
                };
                let e = &mut entries[idx];
                if e.kind != kind {
                    maps.push(SlotMap {
                        kind: slot.kind.clone(),
                        entry: None,
                        codes: Vec::new(),
                    });
                    continue;
                }
                let mut codes = Vec::new();
                if let SlotKind::Single { choices, .. } | SlotKind::Multiple { choices, .. } =
                    &slot.kind
                {
                    let labels = list_labels(&q.choices);
                    for c in choices {
                        let at = match e.choices.iter().position(|(n, _)| n == c) {
                            Some(i) => i,
                            None => {
                                e.choices
                                    .push((c.clone(), labels.get(c).cloned().unwrap_or_default()));
                                e.choices.len() - 1
                            }
                        };
                        codes.push(at);
                    }
                    e.other |= q.other;
                    // "other" is placed once every version's choices are known.
                    codes.push(usize::MAX);
                }
                maps.push(SlotMap {
                    kind: slot.kind.clone(),
                    entry: Some(idx),
                    codes,
                });
            }
            versions.insert(*vid, maps);
        }
        for maps in versions.values_mut() {
            for m in maps.iter_mut() {
                if let Some(e) = m.entry {
                    let n = entries[e].choices.len();
                    let other = entries[e].other;
                    for c in m.codes.iter_mut() {
                        if *c == usize::MAX {
                            // A value outside the list counts as "other" where
                            // the question has one, else it is dropped (MAX).
                            *c = if other { n } else { usize::MAX };
                        }
                    }
                }
            }
        }
        Codebook { entries, versions }
    }

    /// The entry of a question name.
    pub fn find(&self, name: &str) -> Option<usize> {
        self.entries.iter().position(|e| e.name == name)
    }
}

/// What the columns of a cross-tab are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Across {
    WorkerGroup,
    Region,
    Question(usize),
}

/// Hashes a number's bits with a per-process random key and the SplitMix64
/// finaliser: fast (a million responses mean millions of updates per
/// analysis, where SipHash shows), every output bit depends on every input
/// bit (float bits of whole numbers differ only in their high bits), and the
/// key keeps values chosen by respondents from being crafted to collide.
#[derive(Clone, Debug, Default)]
pub struct NumHasher(u64);

impl std::hash::Hasher for NumHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b) ^ self.0.rotate_left(8));
        }
    }

    fn write_u64(&mut self, n: u64) {
        let mut z = n ^ num_key();
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        self.0 = z ^ (z >> 31);
    }
}

fn num_key() -> u64 {
    static KEY: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *KEY.get_or_init(rand::random)
}

/// Builds [`NumHasher`]s.
#[derive(Clone, Debug, Default)]
pub struct NumHash;

impl std::hash::BuildHasher for NumHash {
    type Hasher = NumHasher;
    fn build_hasher(&self) -> NumHasher {
        NumHasher(0)
    }
}

/// Value (its bits) → how often it was given.
pub type ValueCounts = HashMap<u64, u64, NumHash>;

/// Whole numbers from `SMALL_MIN` below `SMALL_MIN + SMALL_SPAN` (ages,
/// ratings, hours, counts: most numeric answers) are counted in an array,
/// without hashing.
const SMALL_MIN: i64 = -1024;
const SMALL_SPAN: usize = 8192;

/// The counts of one question.
#[derive(Clone, Debug, Default)]
pub struct Counts {
    /// Responses with an answer.
    pub answered: u64,
    /// Per code (choices, then "other"); empty for other kinds.
    pub codes: Vec<u64>,
    /// Numbers and dates outside the small whole numbers: how often each
    /// value was given (by its bits). [`Counts::values`] gives them all.
    values: ValueCounts,
    /// Numbers: counts of the small whole numbers (empty for other kinds).
    small: Vec<u64>,
}

impl Counts {
    fn add_number(&mut self, n: f64) {
        let i = n as i64 - SMALL_MIN;
        // -0 is counted as 0: the same number.
        if !self.small.is_empty() && n.fract() == 0.0 && (0..SMALL_SPAN as i64).contains(&i) {
            self.small[i as usize] += 1;
        } else {
            *self.values.entry(n.to_bits()).or_insert(0) += 1;
        }
    }

    /// Every value given (its bits) with how often.
    pub fn values(&self) -> ValueCounts {
        let mut v = self.values.clone();
        for (i, n) in self.small.iter().enumerate() {
            if *n > 0 {
                let x = (i as i64 + SMALL_MIN) as f64;
                *v.entry(x.to_bits()).or_insert(0) += n;
            }
        }
        v
    }
}

/// Counts of a cross-tab: rows are the row question's codes, columns the
/// column keys (codes of a question, or worker groups or regions by text).
#[derive(Clone, Debug, Default)]
pub struct CrossCounts {
    pub cells: Vec<Vec<u64>>,
    /// Respondents in each row with any column value (the base of row percentages).
    pub row_base: Vec<u64>,
    /// Column keys of worker groups and regions, in order of appearance.
    pub keys: Vec<String>,
    key_index: HashMap<String, usize>,
}

/// Everything one pass counts.
#[derive(Clone, Debug)]
pub struct Tally<'a> {
    book: &'a Codebook,
    /// Lines read.
    pub total: u64,
    pub counts: Vec<Counts>,
    pub cross: Option<(usize, Across, CrossCounts)>,
    /// Reused per line: the row and column codes of the current response.
    row_buf: Vec<usize>,
    col_buf: Vec<usize>,
    /// The version of the previous line (most lines share one).
    last: Option<(i64, &'a [SlotMap])>,
}

impl<'a> Tally<'a> {
    /// An empty tally of every question, with a cross-tab of question `row`
    /// by `across` when given (the row must be a choice question).
    pub fn new(book: &'a Codebook, cross: Option<(usize, Across)>) -> Tally<'a> {
        let counts = book
            .entries
            .iter()
            .map(|e| Counts {
                codes: vec![0; e.codes()],
                small: if e.kind == Kind::Number {
                    vec![0; SMALL_SPAN]
                } else {
                    Vec::new()
                },
                ..Counts::default()
            })
            .collect();
        let cross = cross.map(|(row, across)| {
            let rows = book.entries[row].codes();
            let cols = match across {
                Across::Question(q) => book.entries[q].codes(),
                _ => 0,
            };
            (
                row,
                across,
                CrossCounts {
                    cells: vec![vec![0; cols]; rows],
                    row_base: vec![0; rows],
                    ..CrossCounts::default()
                },
            )
        });
        Tally {
            book,
            total: 0,
            counts,
            cross,
            row_buf: Vec::new(),
            col_buf: Vec::new(),
            last: None,
        }
    }

    /// Counts every line of a chunk (lines joined by newlines).
    pub fn add_chunk(&mut self, chunk: &str) {
        for line in chunk.split('\n') {
            self.add_line(line);
        }
    }

    /// Counts one coded response.
    pub fn add_line(&mut self, line: &str) {
        let Some((version, group, region, slots)) = codec::split(line) else {
            return;
        };
        let maps = match self.last {
            Some((v, maps)) if v == version => maps,
            _ => {
                let book: &'a Codebook = self.book;
                let Some(maps) = book.versions.get(&version) else {
                    return;
                };
                self.last = Some((version, maps.as_slice()));
                maps.as_slice()
            }
        };
        self.total += 1;
        let (cross_row, cross_col) = match &self.cross {
            Some((r, Across::Question(c), _)) => (Some(*r), Some(*c)),
            Some((r, _, _)) => (Some(*r), None),
            None => (None, None),
        };
        self.row_buf.clear();
        self.col_buf.clear();
        let mut r = Reader::new(slots);
        for m in maps {
            let v = r.next(&m.kind);
            let Some(e) = m.entry else { continue };
            let c = &mut self.counts[e];
            let in_row = cross_row == Some(e);
            let in_col = cross_col == Some(e);
            match v {
                Value::Missing => {}
                Value::Choice(i) => {
                    let Some(&code) = m.codes.get(i).filter(|c| **c != usize::MAX) else {
                        continue;
                    };
                    c.answered += 1;
                    c.codes[code] += 1;
                    if in_row {
                        self.row_buf.push(code);
                    }
                    if in_col {
                        self.col_buf.push(code);
                    }
                }
                Value::Bits(bits) => {
                    let mut any = false;
                    let mut b = bits;
                    while b != 0 {
                        let i = b.trailing_zeros() as usize;
                        b &= b - 1;
                        if let Some(&code) = m.codes.get(i).filter(|c| **c != usize::MAX) {
                            any = true;
                            c.codes[code] += 1;
                            if in_row {
                                self.row_buf.push(code);
                            }
                            if in_col {
                                self.col_buf.push(code);
                            }
                        }
                    }
                    c.answered += u64::from(any);
                }
                Value::WideBits => {
                    let SlotKind::Multiple { width, .. } = &m.kind else {
                        continue;
                    };
                    let digits = r.last_digits(*width);
                    let mut any = false;
                    for (i, &code) in m.codes.iter().enumerate() {
                        if code != usize::MAX && codec::wide_bit(digits, i) {
                            any = true;
                            c.codes[code] += 1;
                            if in_row {
                                self.row_buf.push(code);
                            }
                            if in_col {
                                self.col_buf.push(code);
                            }
                        }
                    }
                    c.answered += u64::from(any);
                }
                Value::Number(n) => {
                    c.answered += 1;
                    c.add_number(n);
                }
                Value::Text => c.answered += 1,
            }
        }
        if let Some((_, across, x)) = &mut self.cross {
            if self.row_buf.is_empty() {
                return;
            }
            match across {
                Across::Question(_) => {}
                Across::WorkerGroup | Across::Region => {
                    let key = if *across == Across::WorkerGroup {
                        group
                    } else {
                        region
                    };
                    let k = match x.key_index.get(key) {
                        Some(&k) => k,
                        None => {
                            x.key_index.insert(key.to_string(), x.keys.len());
                            x.keys.push(key.to_string());
                            for row in x.cells.iter_mut() {
                                row.push(0);
                            }
                            x.keys.len() - 1
                        }
                    };
                    self.col_buf.push(k);
                }
            }
            if self.col_buf.is_empty() {
                return;
            }
            for &row in &self.row_buf {
                x.row_base[row] += 1;
                for &col in &self.col_buf {
                    x.cells[row][col] += 1;
                }
            }
        }
    }
}

/// Summary statistics of numbers.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct NumberSummary {
    pub n: u64,
    pub mean: f64,
    pub min: f64,
    /// First quartile, median and third quartile: linear interpolation
    /// between order statistics (as Excel's QUARTILE.INC and R's type 7).
    pub q1: f64,
    pub median: f64,
    pub q3: f64,
    pub max: f64,
}

/// The summary of values given with their counts.
pub fn summarise(values: &ValueCounts) -> Option<NumberSummary> {
    let mut v: Vec<(f64, u64)> = values
        .iter()
        .map(|(bits, n)| (f64::from_bits(*bits), *n))
        .collect();
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    let n: u64 = v.iter().map(|(_, c)| c).sum();
    if n == 0 {
        return None;
    }
    let sum: f64 = v.iter().map(|(x, c)| x * *c as f64).sum();
    // The k-th smallest value (0-based).
    let nth = |k: u64| {
        let mut seen = 0;
        for (x, c) in &v {
            seen += c;
            if k < seen {
                return *x;
            }
        }
        v[v.len() - 1].0
    };
    let quantile = |p: f64| {
        let h = p * (n - 1) as f64;
        let lo = h.floor() as u64;
        let a = nth(lo);
        let b = nth((lo + 1).min(n - 1));
        a + (h - lo as f64) * (b - a)
    };
    Some(NumberSummary {
        n,
        mean: sum / n as f64,
        min: v[0].0,
        q1: quantile(0.25),
        median: quantile(0.5),
        q3: quantile(0.75),
        max: v[v.len() - 1].0,
    })
}

/// The codes of one coded line per entry, for tests and exports that read
/// lines one at a time: `None` for no answer, else the codes given.
pub fn decode(book: &Codebook, line: &str) -> Option<BTreeMap<usize, Vec<usize>>> {
    let (version, _, _, slots) = codec::split(line)?;
    let maps = book.versions.get(&version)?;
    let mut out = BTreeMap::new();
    let mut r = Reader::new(slots);
    for m in maps {
        let v = r.next(&m.kind);
        let Some(e) = m.entry else { continue };
        let codes: Vec<usize> = match v {
            Value::Choice(i) => m.codes.get(i).copied().into_iter().collect(),
            Value::Bits(bits) => (0..64)
                .filter(|i| bits & (1 << i) != 0)
                .filter_map(|i| m.codes.get(i).copied())
                .collect(),
            Value::WideBits => {
                let SlotKind::Multiple { width, .. } = &m.kind else {
                    continue;
                };
                let d = r.last_digits(*width);
                m.codes
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| codec::wide_bit(d, *i))
                    .map(|(_, c)| *c)
                    .collect()
            }
            _ => continue,
        };
        let codes: Vec<usize> = codes.into_iter().filter(|c| *c != usize::MAX).collect();
        if !codes.is_empty() {
            out.insert(e, codes);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::survey::form::{Choice, ChoiceList, Item, Question};
    use proptest::prelude::*;

    fn list(name: &str, names: &[&str]) -> ChoiceList {
        ChoiceList {
            name: name.into(),
            choices: names
                .iter()
                .map(|n| Choice {
                    name: n.to_string(),
                    label: Labels::plain(&n.to_uppercase()),
                    extra: BTreeMap::new(),
                })
                .collect(),
        }
    }

    fn q(name: &str, kind: QuestionKind, choices: Option<&str>, other: bool) -> Item {
        let mut q = Question::new(name, kind);
        q.choices = choices.map(String::from);
        q.other = other;
        Item::Question(q)
    }

    /// Version 1: g (a, b), topics (x, y, z, other), age, note.
    fn v1() -> Form {
        Form {
            items: vec![
                q("g", QuestionKind::SelectOne, Some("g"), false),
                q("topics", QuestionKind::SelectMultiple, Some("t"), true),
                q("age", QuestionKind::Integer, None, false),
                q("advice", QuestionKind::Text, None, false),
            ],
            choice_lists: vec![list("g", &["a", "b"]), list("t", &["x", "y", "z"])],
            ..Form::default()
        }
    }

    /// Version 2: reordered, g gains c (first), topics loses y, age becomes text.
    fn v2() -> Form {
        Form {
            items: vec![
                q("topics", QuestionKind::SelectMultiple, Some("t"), true),
                q("g", QuestionKind::SelectOne, Some("g"), false),
                q("age", QuestionKind::Text, None, false),
            ],
            choice_lists: vec![list("g", &["c", "a", "b"]), list("t", &["x", "z"])],
            ..Form::default()
        }
    }

    fn answers(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn versions_map_onto_questions_by_name() {
        let (f1, f2) = (v1(), v2());
        let book = Codebook::new(&[(2, &f2), (1, &f1)]);
        let names: Vec<&str> = book.entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["topics", "g", "age", "advice"]);
        let g = &book.entries[1];
        let gc: Vec<&str> = g.choices.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(gc, ["c", "a", "b"]);
        let t = &book.entries[0];
        let tc: Vec<&str> = t.choices.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(tc, ["x", "z", "y"], "older choices follow");
        assert!(t.other);
        assert_eq!(book.entries[2].kind, Kind::Text, "the newest kind wins");

        let l1 = Layout::of(&f1);
        let l2 = Layout::of(&f2);
        let lines = [
            codec::line(
                1,
                "courier",
                "上海",
                &l1.encode(&answers(&[
                    ("g", "b"),
                    ("topics", "y other"),
                    ("age", "30"),
                    ("advice", "好"),
                ])),
            ),
            codec::line(
                2,
                "courier",
                "北京",
                &l2.encode(&answers(&[("g", "c"), ("topics", "z"), ("age", "三十")])),
            ),
            codec::line(2, "rider", "上海", &l2.encode(&answers(&[("g", "b")]))),
        ];
        let mut t = Tally::new(&book, Some((1, Across::Region)));
        for l in &lines {
            t.add_line(l);
        }
        assert_eq!(t.total, 3);
        assert_eq!(t.counts[1].codes, [1, 0, 2]);
        assert_eq!(t.counts[1].answered, 3);
        // x, z, y, other
        assert_eq!(t.counts[0].codes, [0, 1, 1, 1]);
        assert_eq!(t.counts[0].answered, 2);
        assert_eq!(t.counts[2].answered, 1, "version 1's number is not text");
        assert_eq!(t.counts[3].answered, 1);
        let (_, _, x) = t.cross.as_ref().unwrap();
        assert_eq!(x.keys, ["上海", "北京"]);
        // rows c, a, b × 上海, 北京
        assert_eq!(x.cells, [vec![0, 1], vec![0, 0], vec![2, 0]]);
        assert_eq!(x.row_base, [1, 0, 2]);
    }

    #[test]
    fn quartiles_interpolate_like_excel() {
        let mut v = ValueCounts::default();
        for x in [1.0f64, 2.0, 3.0, 4.0, 10.0, 10.0] {
            *v.entry(x.to_bits()).or_insert(0) += 1;
        }
        let s = summarise(&v).unwrap();
        assert_eq!(s.n, 6);
        assert_eq!(s.mean, 5.0);
        assert_eq!((s.min, s.max), (1.0, 10.0));
        // QUARTILE.INC({1,2,3,4,10,10}) = 2.25, 3.5, 8.5
        assert_eq!((s.q1, s.median, s.q3), (2.25, 3.5, 8.5));
        assert_eq!(summarise(&ValueCounts::default()), None);
    }

    fn form_strategy() -> impl Strategy<Value = (Form, Vec<BTreeMap<String, String>>)> {
        // 1..4 choice lists of 1..70 choices; questions of every kind.
        (
            prop::collection::vec(1usize..70, 1..4),
            prop::collection::vec((0u8..5, 0usize..4, any::<bool>()), 1..12),
        )
            .prop_flat_map(|(lists, qs)| {
                let choice_lists: Vec<ChoiceList> = lists
                    .iter()
                    .enumerate()
                    .map(|(i, n)| {
                        let names: Vec<String> = (0..*n).map(|c| format!("l{i}c{c}")).collect();
                        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
                        list(&format!("l{i}"), &refs)
                    })
                    .collect();
                let items: Vec<Item> = qs
                    .iter()
                    .enumerate()
                    .map(|(i, (k, l, other))| {
                        let l = l % lists.len();
                        let kind = match k {
                            0 => QuestionKind::SelectOne,
                            1 => QuestionKind::SelectMultiple,
                            2 => QuestionKind::Decimal,
                            3 => QuestionKind::Date,
                            _ => QuestionKind::Text,
                        };
                        q(&format!("q{i}"), kind, Some(&format!("l{l}")), *other)
                    })
                    .collect();
                let form = Form {
                    items,
                    choice_lists,
                    ..Form::default()
                };
                let per_q: Vec<BoxedStrategy<Option<String>>> = form
                    .questions()
                    .iter()
                    .map(|qq| {
                        let names: Vec<String> = qq
                            .choices
                            .as_ref()
                            .and_then(|l| form.choice_lists.iter().find(|x| &x.name == l))
                            .map(|l| l.choices.iter().map(|c| c.name.clone()).collect())
                            .unwrap_or_default();
                        let mut names = names;
                        if qq.other {
                            names.push("other".into());
                        }
                        match qq.kind {
                            QuestionKind::SelectOne => {
                                prop::option::of(prop::sample::select(names)).boxed()
                            }
                            QuestionKind::SelectMultiple => prop::option::of(
                                prop::sample::subsequence(names.clone(), 0..=names.len())
                                    .prop_map(|v| v.join(" ")),
                            )
                            .boxed(),
                            QuestionKind::Decimal => prop::option::of(
                                (-1000i32..1000).prop_map(|n| format!("{}", n as f64 / 4.0)),
                            )
                            .boxed(),
                            QuestionKind::Date => prop::option::of((0i64..20000).prop_map(|d| {
                                crate::date::Day::from_ymd(1970, 1, 1)
                                    .unwrap()
                                    .plus_days(d)
                                    .iso()
                            }))
                            .boxed(),
                            _ => prop::option::of("[a-z]{0,3}").boxed(),
                        }
                    })
                    .collect();
                let names: Vec<String> = form.questions().iter().map(|q| q.name.clone()).collect();
                let response = per_q.prop_map(move |vals| {
                    names
                        .iter()
                        .zip(vals)
                        .filter_map(|(n, v)| v.map(|v| (n.clone(), v)))
                        .collect::<BTreeMap<String, String>>()
                });
                (Just(form), prop::collection::vec(response, 0..40))
            })
    }

    proptest! {
        /// Counting coded lines gives what counting the answers themselves gives.
        #[test]
        fn coded_counts_equal_counting_the_answers((form, responses) in form_strategy()) {
            let layout = Layout::of(&form);
            let book = Codebook::new(&[(1, &form)]);
            let mut t = Tally::new(&book, None);
            let chunk: Vec<String> = responses
                .iter()
                .map(|a| codec::line(1, "g", "r", &layout.encode(a)))
                .collect();
            t.add_chunk(&chunk.join("\n"));
            prop_assert_eq!(t.total, responses.len() as u64);
            for (e, entry) in book.entries.iter().enumerate() {
                let given: Vec<&String> = responses
                    .iter()
                    .filter_map(|a| a.get(&entry.name))
                    .filter(|v| !v.trim().is_empty())
                    .collect();
                prop_assert_eq!(t.counts[e].answered, given.len() as u64, "{}", entry.name);
                if entry.kind.is_choice() {
                    for (c, (name, _)) in entry.choices.iter().enumerate() {
                        let n = given
                            .iter()
                            .filter(|v| v.split_whitespace().any(|x| x == name))
                            .count() as u64;
                        prop_assert_eq!(t.counts[e].codes[c], n);
                    }
                    if entry.other {
                        let n = given
                            .iter()
                            .filter(|v| v.split_whitespace().any(|x| x == "other"))
                            .count() as u64;
                        prop_assert_eq!(t.counts[e].codes[entry.choices.len()], n);
                    }
                }
                if entry.kind == Kind::Number {
                    let sum: f64 = given.iter().map(|v| v.parse::<f64>().unwrap()).sum();
                    let got: f64 = t.counts[e]
                        .values()
                        .iter()
                        .map(|(b, n)| f64::from_bits(*b) * *n as f64)
                        .sum();
                    prop_assert!((sum - got).abs() < 1e-6);
                }
            }
        }
    }
}
