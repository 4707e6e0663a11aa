//! The coded copy of a response that analysis scans (`survey_codes.line`).
//!
//! Parsing a million JSON objects per request is far too slow, so each
//! response is also written, in the transaction that stores it, as one short
//! ASCII line laid out by its form version ([`Layout`]):
//!
//! ```text
//! {version id} TAB {worker group} TAB {region} TAB {slot}{slot}…
//! ```
//!
//! One slot per question in the version's reading order (notes have none):
//!
//! | question | slot |
//! |---|---|
//! | single choice | the choice's 1-based position (`0`: no answer; positions past the list: "other"), in base-64 digits, fixed width |
//! | multiple choice | a bit per choice (and one for "other"), six to a base-64 digit, fixed width |
//! | integer, decimal, range | the number as decimal text, then `;` (nothing before the `;`: no answer) |
//! | date | days since 1970-01-01, then `;` |
//! | text | `1` answered, `0` not |
//!
//! The lines of many responses are fetched joined by newlines in one value
//! per chunk (`group_concat`), which is why the line never holds a tab or a
//! newline except as separators: worker group and region are cleaned first.
//! The layout depends only on the form of the version, and a published version
//! never changes, so a line never needs rewriting; a change to this format
//! needs a migration that deletes `survey_codes` (rows are re-coded lazily).

use std::collections::{BTreeMap, HashMap};

use crate::survey::{
    expr::date_days,
    form::{Form, QuestionKind},
};

/// The 64 digits of slots. None of them is `;`, a tab or a newline.
const DIGITS: &[u8; 64] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_";

/// The value of each byte as a digit (255: not a digit).
const VALUE: [u8; 256] = {
    let mut t = [255u8; 256];
    let mut i = 0;
    while i < 64 {
        t[DIGITS[i] as usize] = i as u8;
        i += 1;
    }
    t
};

/// How one question is coded.
#[derive(Clone, Debug, PartialEq)]
pub enum SlotKind {
    /// `choices` are the list's names; "other" codes as `choices.len() + 1`.
    Single {
        choices: Vec<String>,
        width: usize,
    },
    /// Bit `i` is choice `i`; bit `choices.len()` is "other".
    Multiple {
        choices: Vec<String>,
        width: usize,
    },
    Number,
    Date,
    Text,
}

/// One question's slot.
#[derive(Clone, Debug, PartialEq)]
pub struct Slot {
    /// The question's name (how versions are matched).
    pub name: String,
    pub kind: SlotKind,
}

/// The slots of one form version, in reading order.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    pub slots: Vec<Slot>,
}

/// Base-64 digits needed for values `0..=max`.
fn digits_for(max: usize) -> usize {
    let mut w = 1;
    let mut cap = 64usize;
    while max >= cap {
        w += 1;
        cap = cap.saturating_mul(64);
    }
    w
}

impl Layout {
    /// The layout of a form: every question but notes.
    pub fn of(form: &Form) -> Layout {
        let lists: HashMap<&str, Vec<String>> = form
            .choice_lists
            .iter()
            .map(|l| {
                (
                    l.name.as_str(),
                    l.choices.iter().map(|c| c.name.clone()).collect(),
                )
            })
            .collect();
        let choices_of = |list: &Option<String>| {
            list.as_deref()
                .and_then(|l| lists.get(l))
                .cloned()
                .unwrap_or_default()
        };
        let slots = form
            .questions()
            .into_iter()
            .filter_map(|q| {
                let kind = match &q.kind {
                    QuestionKind::Note => return None,
                    QuestionKind::SelectOne => {
                        let choices = choices_of(&q.choices);
                        let width = digits_for(choices.len() + 1);
                        SlotKind::Single { choices, width }
                    }
                    QuestionKind::SelectMultiple => {
                        let choices = choices_of(&q.choices);
                        let width = (choices.len() + 1).div_ceil(6);
                        SlotKind::Multiple { choices, width }
                    }
                    QuestionKind::Integer | QuestionKind::Decimal | QuestionKind::Range { .. } => {
                        SlotKind::Number
                    }
                    QuestionKind::Date => SlotKind::Date,
                    QuestionKind::Text => SlotKind::Text,
                };
                Some(Slot {
                    name: q.name.clone(),
                    kind,
                })
            })
            .collect();
        Layout { slots }
    }

    /// The coded slots of a response's kept answers (`{name: text}`, multiple
    /// choices space-separated, as `answers::check` keeps them).
    pub fn encode(&self, answers: &BTreeMap<String, String>) -> String {
        let mut out = String::with_capacity(self.slots.len() * 2);
        for slot in &self.slots {
            let raw = answers.get(&slot.name).map(|s| s.trim()).unwrap_or("");
            match &slot.kind {
                SlotKind::Single { choices, width } => {
                    let code = if raw.is_empty() {
                        0
                    } else {
                        match choices.iter().position(|c| c == raw) {
                            Some(i) => i + 1,
                            // "other" (or a value the list no longer has).
                            None => choices.len() + 1,
                        }
                    };
                    push_digits(&mut out, code as u64, *width);
                }
                SlotKind::Multiple { choices, width } => {
                    let mut bits = vec![0u8; *width];
                    for v in raw.split_whitespace() {
                        let i = choices.iter().position(|c| c == v).unwrap_or(choices.len());
                        bits[i / 6] |= 1 << (i % 6);
                    }
                    out.extend(bits.iter().map(|b| DIGITS[*b as usize] as char));
                }
                SlotKind::Number => {
                    if let Ok(n) = raw.parse::<f64>()
                        && n.is_finite()
                    {
                        out.push_str(&n.to_string());
                    }
                    out.push(';');
                }
                SlotKind::Date => {
                    if let Some(d) = date_days(raw) {
                        out.push_str(&d.to_string());
                    }
                    out.push(';');
                }
                SlotKind::Text => out.push(if raw.is_empty() { '0' } else { '1' }),
            }
        }
        out
    }
}

fn push_digits(out: &mut String, v: u64, width: usize) {
    // Most significant digit first, so a dumped line reads naturally.
    for i in (0..width).rev() {
        let d = (v >> (6 * i as u32).min(63)) & 63;
        out.push(DIGITS[d as usize] as char);
    }
}

/// A worker group or region made safe for a line: no tabs or newlines.
pub fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The whole line of a response.
pub fn line(version: i64, group: &str, region: &str, slots: &str) -> String {
    format!("{version}\t{}\t{}\t{slots}", clean(group), clean(region))
}

/// One decoded slot value, borrowed from the line.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value {
    Missing,
    /// 0-based position in the version's list; `== len` is "other".
    Choice(usize),
    /// The bits of a multiple choice, `width` digits of six bits each.
    Bits(u64),
    /// The bits of a multiple choice of more than 64 choices: the digits.
    WideBits,
    Number(f64),
    Text,
}

/// Reads slots one after another from the coded part of a line.
pub struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader over the coded slots.
    pub fn new(slots: &'a str) -> Reader<'a> {
        Reader {
            bytes: slots.as_bytes(),
            pos: 0,
        }
    }

    fn take(&mut self, n: usize) -> &'a [u8] {
        let end = (self.pos + n).min(self.bytes.len());
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        s
    }

    /// The raw digits of the last wide multiple choice (see [`Value::WideBits`]).
    pub fn last_digits(&self, width: usize) -> &'a [u8] {
        &self.bytes[self.pos.saturating_sub(width)..self.pos]
    }

    /// The next slot's value.
    pub fn next(&mut self, kind: &SlotKind) -> Value {
        match kind {
            SlotKind::Single { width, .. } => {
                let v = self
                    .take(*width)
                    .iter()
                    .fold(0usize, |n, b| n * 64 + usize::from(VALUE[*b as usize] & 63));
                if v == 0 {
                    Value::Missing
                } else {
                    Value::Choice(v - 1)
                }
            }
            SlotKind::Multiple { width, .. } => {
                let d = self.take(*width);
                if d.iter().all(|b| *b == b'0') {
                    Value::Missing
                } else if *width <= 10 {
                    let mut bits = 0u64;
                    for (i, b) in d.iter().enumerate() {
                        bits |= u64::from(VALUE[*b as usize] & 63) << (6 * i);
                    }
                    Value::Bits(bits)
                } else {
                    Value::WideBits
                }
            }
            SlotKind::Number | SlotKind::Date => {
                let rest = &self.bytes[self.pos..];
                let end = rest.iter().position(|b| *b == b';').unwrap_or(rest.len());
                let text = &rest[..end];
                self.pos += (end + 1).min(rest.len());
                parse_number(text).map_or(Value::Missing, Value::Number)
            }
            SlotKind::Text => match self.take(1) {
                b"1" => Value::Text,
                _ => Value::Missing,
            },
        }
    }
}

/// A slot's number: whole numbers (most answers: ages, ratings, days) without
/// the general float parser, which shows at millions per request.
fn parse_number(t: &[u8]) -> Option<f64> {
    let (neg, digits) = match t.first()? {
        b'-' => (true, &t[1..]),
        _ => (false, t),
    };
    if !digits.is_empty() && digits.len() <= 15 && digits.iter().all(u8::is_ascii_digit) {
        let v = digits
            .iter()
            .fold(0i64, |n, d| n * 10 + i64::from(d - b'0')) as f64;
        return Some(if neg { -v } else { v });
    }
    std::str::from_utf8(t).ok()?.parse().ok()
}

/// Whether bit `i` is set in the digits of a wide multiple choice.
pub fn wide_bit(digits: &[u8], i: usize) -> bool {
    digits
        .get(i / 6)
        .is_some_and(|b| VALUE[*b as usize] & 63 & (1 << (i % 6)) != 0)
}

/// Splits a line into (version, worker group, region, slots).
pub fn split(line: &str) -> Option<(i64, &str, &str, &str)> {
    let mut it = line.splitn(4, '\t');
    let v = it.next()?.parse().ok()?;
    Some((v, it.next()?, it.next()?, it.next()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::survey::form::{Choice, ChoiceList, Item, Labels, Question};

    fn form(n_choices: usize) -> Form {
        let list = ChoiceList {
            name: "c".into(),
            choices: (0..n_choices)
                .map(|i| Choice {
                    name: format!("c{i}"),
                    label: Labels::plain(&format!("C{i}")),
                    extra: BTreeMap::new(),
                })
                .collect(),
        };
        let q = |name: &str, kind| {
            let mut q = Question::new(name, kind);
            q.choices = Some("c".into());
            Item::Question(q)
        };
        Form {
            items: vec![
                q("one", QuestionKind::SelectOne),
                q("many", QuestionKind::SelectMultiple),
                q("note", QuestionKind::Note),
                q("n", QuestionKind::Decimal),
                q("d", QuestionKind::Date),
                q("t", QuestionKind::Text),
            ],
            choice_lists: vec![list],
            ..Form::default()
        }
    }

    #[test]
    fn a_response_codes_and_reads_back() {
        let l = Layout::of(&form(3));
        assert_eq!(l.slots.len(), 5, "notes have no slot");
        let a: BTreeMap<String, String> = [
            ("one", "c2"),
            ("many", "c0 other c2"),
            ("n", "-12.5"),
            ("d", "1970-01-11"),
            ("t", "多建驿站"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let code = l.encode(&a);
        assert!(code.is_ascii() && !code.contains(['\t', '\n']), "{code}");
        let mut r = Reader::new(&code);
        let got: Vec<Value> = l.slots.iter().map(|s| r.next(&s.kind)).collect();
        assert_eq!(
            got,
            [
                Value::Choice(2),
                Value::Bits(0b1101),
                Value::Number(-12.5),
                Value::Number(10.0),
                Value::Text
            ]
        );
        let empty = l.encode(&BTreeMap::new());
        let mut r = Reader::new(&empty);
        assert!(l.slots.iter().all(|s| r.next(&s.kind) == Value::Missing));
    }

    #[test]
    fn long_lists_widen_their_slots() {
        let l = Layout::of(&form(200));
        assert_eq!(
            l.slots[0].kind,
            SlotKind::Single {
                choices: (0..200).map(|i| format!("c{i}")).collect(),
                width: 2
            }
        );
        let a: BTreeMap<String, String> = [("one", "c199"), ("many", "c0 c150 other")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let code = l.encode(&a);
        let mut r = Reader::new(&code);
        assert_eq!(r.next(&l.slots[0].kind), Value::Choice(199));
        assert_eq!(r.next(&l.slots[1].kind), Value::WideBits);
        let SlotKind::Multiple { width, .. } = l.slots[1].kind else {
            panic!()
        };
        let d = r.last_digits(width);
        assert!(wide_bit(d, 0) && wide_bit(d, 150) && wide_bit(d, 200));
        assert!(!wide_bit(d, 1));
    }

    #[test]
    fn lines_never_hold_a_separator_inside_a_field() {
        let l = line(7, "快递\t员", "上海\n浦东", "01;");
        assert_eq!(split(&l), Some((7, "快递 员", "上海 浦东", "01;")));
        assert_eq!(digits_for(63), 1);
        assert_eq!(digits_for(64), 2);
    }
}
