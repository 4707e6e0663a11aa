//! Personal numbers typed into free text: Chinese mobile numbers (with or
//! without +86, spaces or dashes), landlines with their area code, 18-digit
//! resident ID numbers (check digit verified), the old 15-digit ones, and bank
//! card numbers (Luhn). [`mask`] hides their middle digits (138****5678,
//! 3101**********1234) for readers whose role does not need them; DESIGN
//! wants personal data masked unless the viewer's role needs it, and a
//! worker's phone or ID number in a questionnaire answer is such data.
//!
//! Pure text functions, no database: [`Disclosure::of`] decides who sees what,
//! and the domains that show free text audit the unmasked views.
//!
//! How numbers are found: a *run* is digit groups joined by at most three
//! separators (spaces, dashes, brackets, `+`), so "138 1234 5678" and
//! "(021)12345678" are one run. Runs split into numbers on group boundaries
//! only, choosing the split that covers the most digits (then the most
//! numbers), so "13812345678 021-12345678" is two numbers, not one long one.
//! A masked number keeps its first and last digits glued to the stars
//! ("+86 138 1234 5678" → "+86138****5678"); such a token never joins a
//! neighbour again, which is what makes masking idempotent.

use std::{borrow::Cow, ops::Range};

use crate::{
    auth::{Caller, Need},
    db::{Db, DbError, OrgId},
};

/// What kind of personal number was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// 1[3-9]x xxxx xxxx, optionally after 86 or 0086.
    Mobile,
    /// 0 + area code (3 or 4 digits in all) + 7 or 8 digits.
    Landline,
    /// 18 characters, the last a check digit (0–9 or X).
    ResidentId,
    /// The 15-digit ID numbers issued before 1999.
    OldResidentId,
    /// 16–19 digits passing the Luhn check.
    BankCard,
}

/// One personal number in a text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// Byte range in the text, from its first to its last digit.
    pub range: Range<usize>,
    pub kind: Kind,
    /// Digits kept visible at the start (area code, country code + 3, …).
    pub head: usize,
    /// Digits (or the X) kept visible at the end.
    pub tail: usize,
}

/// Whether a reader sees personal numbers in free text in full or masked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disclosure {
    /// Cadres and admins over the record's org: the role needs the data; each view is audited.
    Full,
    /// Everyone else (viewers, readers through another subtree).
    Masked,
}

impl Disclosure {
    /// What `caller` sees of personal data in records of `org`: in full when
    /// their role there needs it (`Role::sees_personal_data`: cadre or admin
    /// over the org, the write scope), else masked.
    pub async fn of(db: &Db, caller: &Caller, org: OrgId) -> Result<Disclosure, DbError> {
        Ok(if caller.scope(Need::Write).contains(db, org).await? {
            Disclosure::Full
        } else {
            Disclosure::Masked
        })
    }

    /// A text as this reader sees it.
    pub fn text<'a>(self, text: &'a str) -> Cow<'a, str> {
        match self {
            Disclosure::Full => Cow::Borrowed(text),
            Disclosure::Masked => mask(text),
        }
    }

    /// Whether the reader sees personal numbers unmasked.
    pub fn is_full(self) -> bool {
        self == Disclosure::Full
    }
}

/// The longest number looked for (a 19-digit bank card).
const MAX_DIGITS: usize = 19;
/// Separators allowed between two digit groups of one number.
const MAX_GAP: usize = 3;

/// The value of a digit, ASCII or full width (typed with a Chinese IME).
fn digit(c: char) -> Option<u8> {
    match c {
        '0'..='9' => Some(c as u8 - b'0'),
        '０'..='９' => u8::try_from(c as u32 - '０' as u32).ok(),
        _ => None,
    }
}

fn is_x(c: char) -> bool {
    matches!(c, 'X' | 'x' | 'Ｘ' | 'ｘ')
}

fn is_separator(c: char) -> bool {
    matches!(
        c,
        ' ' | '\u{3000}'
            | '\u{a0}'
            | '-'
            | '－'
            | '‐'
            | '‑'
            | '–'
            | '—'
            | '('
            | ')'
            | '（'
            | '）'
            | '+'
            | '＋'
    )
}

/// A token of a run: digits, or a number masked earlier.
#[derive(Debug)]
enum Token {
    Digits {
        /// Byte range of the digits (without a trailing X).
        range: Range<usize>,
        values: Vec<u8>,
        /// Byte range of an X right after the digits, the check digit of an ID.
        x: Option<Range<usize>>,
    },
    /// `head***tail` as [`mask`] writes it: joins nothing.
    Masked,
}

/// Splits `text` into runs of tokens joined by separators.
fn runs(text: &str) -> Vec<Vec<Token>> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let byte = |i: usize| chars.get(i).map_or(text.len(), |(b, _)| *b);
    let digits_from = |mut i: usize| {
        while i < chars.len() && digit(chars[i].1).is_some() {
            i += 1;
        }
        i
    };
    let mut out = Vec::new();
    let mut run: Vec<Token> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if digit(chars[i].1).is_none() {
            i += 1;
            continue;
        }
        // A maximal digit group starts here.
        let end = digits_from(i);
        let mut stars = end;
        while stars < chars.len() && chars[stars].1 == '*' {
            stars += 1;
        }
        let tail_end = digits_from(stars);
        let x_after = tail_end < chars.len() && is_x(chars[tail_end].1);
        if stars > end && masked_shape(end - i, stars - end, tail_end - stars, x_after) {
            run.push(Token::Masked);
            i = if x_after { tail_end + 1 } else { tail_end };
        } else {
            let values = chars[i..end]
                .iter()
                .filter_map(|(_, c)| digit(*c))
                .collect();
            // An X right after digits may be an ID's check digit.
            let x = (end < chars.len() && is_x(chars[end].1)).then(|| byte(end)..byte(end + 1));
            run.push(Token::Digits {
                range: byte(i)..byte(end),
                values,
                x: x.clone(),
            });
            i = if x.is_some() { end + 1 } else { end };
        }
        // Up to MAX_GAP separators lead on to the next token of this run.
        let mut j = i;
        while j < chars.len() && j - i < MAX_GAP && is_separator(chars[j].1) {
            j += 1;
        }
        if j > i && j < chars.len() && digit(chars[j].1).is_some() {
            i = j;
        } else {
            out.push(std::mem::take(&mut run));
        }
    }
    if !run.is_empty() {
        out.push(run);
    }
    out
}

/// Whether `head` digits, `stars` and `tail` digits (then an X or not) are
/// the shape [`mask`] gives some kind of number.
fn masked_shape(head: usize, stars: usize, tail: usize, x: bool) -> bool {
    matches!(
        (head, stars, tail),
        (3 | 5 | 7, 4, 4) | (3 | 4, 3 | 4, 4) | (4, 10, 4) | (4, 8, 3) | (4, 8..=11, 4)
    ) || (x && (head, stars, tail) == (4, 10, 3))
}

fn is_mobile(d: &[u8]) -> bool {
    d.len() == 11 && d[0] == 1 && (3..=9).contains(&d[1])
}

/// Digits of a plausible birth date: month 01–12, day 01–31.
fn plausible_date(month: &[u8], day: &[u8]) -> bool {
    let m = month[0] * 10 + month[1];
    let d = day[0] * 10 + day[1];
    (1..=12).contains(&m) && (1..=31).contains(&d)
}

/// The check character of an 18-digit ID (GB 11643): 0–9, or 10 for X.
fn id_check(first17: &[u8]) -> u8 {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = first17.iter().zip(W).map(|(d, w)| u32::from(*d) * w).sum();
    const CHECK: [u8; 11] = [1, 0, 10, 9, 8, 7, 6, 5, 4, 3, 2];
    CHECK[(sum % 11) as usize]
}

fn luhn(d: &[u8]) -> bool {
    let sum: u32 = d
        .iter()
        .rev()
        .enumerate()
        .map(|(i, v)| {
            let v = u32::from(*v);
            if i % 2 == 1 {
                let x = v * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                v
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// The kind and the (head, tail) kept of digits `d`, `x` telling whether an X ends them.
fn classify(d: &[u8], x: bool) -> Option<(Kind, usize, usize)> {
    if x {
        let ok = d.len() == 17
            && d[0] != 0
            && matches!(d[6..8], [1, 8] | [1, 9] | [2, 0])
            && plausible_date(&d[10..12], &d[12..14])
            && id_check(d) == 10;
        return ok.then_some((Kind::ResidentId, 4, 4));
    }
    let n = d.len();
    if n == 18
        && d[0] != 0
        && matches!(d[6..8], [1, 8] | [1, 9] | [2, 0])
        && plausible_date(&d[10..12], &d[12..14])
        && id_check(&d[..17]) == d[17]
    {
        return Some((Kind::ResidentId, 4, 4));
    }
    if (16..=MAX_DIGITS).contains(&n) && luhn(d) {
        return Some((Kind::BankCard, 4, 4));
    }
    if is_mobile(d) {
        return Some((Kind::Mobile, 3, 4));
    }
    if n == 13 && d[..2] == [8, 6] && is_mobile(&d[2..]) {
        return Some((Kind::Mobile, 5, 4));
    }
    if n == 15 && d[..4] == [0, 0, 8, 6] && is_mobile(&d[4..]) {
        return Some((Kind::Mobile, 7, 4));
    }
    if n == 15 && d[0] != 0 && plausible_date(&d[8..10], &d[10..12]) {
        return Some((Kind::OldResidentId, 4, 3));
    }
    if n >= 10 && d[0] == 0 && d[1] != 0 {
        let area = if matches!(d[1], 1 | 2) { 3 } else { 4 };
        if (7..=8).contains(&(n - area)) {
            return Some((Kind::Landline, area, 4));
        }
    }
    None
}

/// Digits covered and numbers found by a split, compared in that order.
type Score = (usize, usize);

/// The best split of one run: the numbers covering the most digits, then the most numbers.
fn split(run: &[Token]) -> Vec<Found> {
    let n = run.len();
    // best[i]: the score of tokens i.. and the number starting at i (its last token), if any.
    let mut best: Vec<(Score, Option<(usize, Found)>)> = vec![((0, 0), None); n + 1];
    for i in (0..n).rev() {
        let mut here = (best[i + 1].0, None);
        let mut digits: Vec<u8> = Vec::new();
        let Token::Digits { range: first, .. } = &run[i] else {
            best[i] = here;
            continue;
        };
        for j in i..n {
            let Token::Digits { range, values, x } = &run[j] else {
                break;
            };
            if j > i
                && let Token::Digits { x: Some(_), .. } = &run[j - 1]
            {
                // An X ends a number; nothing joins after it.
                break;
            }
            digits.extend_from_slice(values);
            if digits.len() > MAX_DIGITS {
                break;
            }
            let mut consider = |kind: Option<(Kind, usize, usize)>, end: usize| {
                if let Some((kind, head, tail)) = kind {
                    let (covered, count) = best[j + 1].0;
                    let score = (covered + digits.len(), count + 1);
                    if score > here.0 {
                        here = (
                            score,
                            Some((
                                j,
                                Found {
                                    range: first.start..end,
                                    kind,
                                    head,
                                    tail,
                                },
                            )),
                        );
                    }
                }
            };
            if let Some(xr) = x {
                consider(classify(&digits, true), xr.end);
            }
            consider(classify(&digits, false), range.end);
        }
        best[i] = here;
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < n {
        match &best[i].1 {
            Some((j, f)) => {
                out.push(f.clone());
                i = j + 1;
            }
            None => i += 1,
        }
    }
    out
}

/// Every personal number in `text`, in order.
pub fn find(text: &str) -> Vec<Found> {
    runs(text).iter().flat_map(|r| split(r)).collect()
}

/// Whether `text` holds a personal number.
pub fn contains(text: &str) -> bool {
    !find(text).is_empty()
}

/// `text` with the middle digits of every personal number replaced by `*`
/// (separators inside a number dropped): 138****5678, 021****5678,
/// 3101**********1234. Text without one is returned as it is.
pub fn mask(text: &str) -> Cow<'_, str> {
    let found = find(text);
    if found.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for f in found {
        out.push_str(&text[at..f.range.start]);
        let symbols: Vec<char> = text[f.range.clone()]
            .chars()
            .filter(|c| digit(*c).is_some() || is_x(*c))
            .collect();
        let hidden = symbols.len() - f.head - f.tail;
        out.extend(&symbols[..f.head]);
        out.extend(std::iter::repeat_n('*', hidden));
        out.extend(&symbols[symbols.len() - f.tail..]);
        at = f.range.end;
    }
    out.push_str(&text[at..]);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// An 18-digit ID from its first 17 digits, with the check character.
    fn id18(first17: &str) -> String {
        let d: Vec<u8> = first17.bytes().map(|b| b - b'0').collect();
        match id_check(&d) {
            10 => format!("{first17}X"),
            c => format!("{first17}{c}"),
        }
    }

    #[test]
    fn phones_and_ids_are_masked_in_the_middle() {
        let id = id18("31010119900307123");
        let cases = [
            ("电话13812345678，谢谢", "电话138****5678，谢谢"),
            ("手机：138 1234 5678", "手机：138****5678"),
            ("138-1234-5678", "138****5678"),
            ("+86 138 1234 5678", "+86138****5678"),
            ("0086-13812345678", "0086138****5678"),
            ("座机021-12345678转分机", "座机021****5678转分机"),
            ("(0755)1234567", "(0755***4567"),
            ("010 8765 4321", "010****4321"),
            ("１３８１２３４５６７８", "１３８****５６７８"),
            ("身份证11010519491231002X号", "身份证1101**********002X号"),
            ("id 11010519491231002x.", "id 1101**********002x."),
            ("老身份证310101900307123", "老身份证3101********123"),
            ("卡号6222 0200 0000 0000 000", "卡号6222***********0000"),
        ];
        for (text, want) in cases {
            assert_eq!(mask(text), want, "{text}");
        }
        assert_eq!(mask(&id), format!("3101**********{}", &id[14..]));
        assert_eq!(find(&id)[0].kind, Kind::ResidentId);
    }

    #[test]
    fn two_numbers_side_by_side_are_two_numbers() {
        assert_eq!(mask("13812345678 13987654321"), "138****5678 139****4321");
        assert_eq!(mask("13812345678 021-12345678"), "138****5678 021****5678");
        let kinds: Vec<Kind> = find("13812345678/021-12345678")
            .iter()
            .map(|f| f.kind)
            .collect();
        assert_eq!(kinds, [Kind::Mobile, Kind::Landline]);
    }

    #[test]
    fn other_numbers_are_left_alone() {
        for text in [
            "2019-10-08 收到",
            "月收入8500元，每天工作12小时",
            "第3次反映，已有200人签名",
            "订单号 123456789",
            "12345678901",
            "身份证310101199003071235",
            "4000-123-456",
            "10:30-12:00",
            "1380013800",
            "138****5678",
            "没有数字的回答",
        ] {
            assert_eq!(mask(text), text, "{text}");
            assert!(matches!(mask(text), Cow::Borrowed(_)), "{text}");
        }
    }

    /// A number of some kind as typed, and the symbols that stay visible.
    fn number() -> impl Strategy<Value = (String, String)> {
        let digits = |n: usize| proptest::collection::vec(0u8..10, n);
        let text = |d: &[u8]| d.iter().map(|v| char::from(b'0' + v)).collect::<String>();
        let mobile = (
            prop::sample::select(vec!["", "+86", "86", "0086", "+86 ", "(+86)"]),
            3u8..10,
            digits(9),
            prop::sample::select(vec!["", " ", "-"]),
        )
            .prop_map(move |(prefix, second, rest, sep)| {
                let n = format!("1{second}{}", text(&rest));
                let cc: String = prefix.chars().filter(char::is_ascii_digit).collect();
                (
                    format!("{prefix}{}{sep}{}{sep}{}", &n[..3], &n[3..7], &n[7..]),
                    format!("{cc}{}{}", &n[..3], &n[7..]),
                )
            });
        let landline = (
            prop_oneof![
                Just("010".to_string()),
                (0u8..10).prop_map(|d| format!("02{d}")),
                (3u8..10, digits(2)).prop_map(move |(a, b)| format!("0{a}{}", text(&b))),
            ],
            prop_oneof![digits(7), digits(8)],
            0usize..4,
        )
            .prop_map(move |(area, local, style)| {
                let local = text(&local);
                let typed = match style {
                    0 => format!("{area}{local}"),
                    1 => format!("{area}-{local}"),
                    2 => format!("({area}){local}"),
                    _ => format!("{area} {} {}", &local[..4], &local[4..]),
                };
                (typed, format!("{area}{}", &local[local.len() - 4..]))
            });
        let id = (
            1u8..10,
            digits(5),
            1900u32..2021,
            1u32..13,
            1u32..29,
            digits(3),
            any::<bool>(),
        )
            .prop_map(move |(a, area, y, m, d, seq, spaced)| {
                let id = id18(&format!("{a}{}{y}{m:02}{d:02}{}", text(&area), text(&seq)));
                let typed = if spaced {
                    format!("{} {} {}", &id[..6], &id[6..14], &id[14..])
                } else {
                    id.to_lowercase()
                };
                let visible = format!("{}{}", &id[..4], &id[14..]);
                (typed, visible.to_lowercase())
            });
        let old_id = (1u8..10, digits(5), digits(2), 1u32..13, 1u32..29, digits(3)).prop_map(
            move |(a, area, y, m, d, seq)| {
                let id = format!("{a}{}{}{m:02}{d:02}{}", text(&area), text(&y), text(&seq));
                (id.clone(), format!("{}{}", &id[..4], &id[12..]))
            },
        );
        let card = (
            prop_oneof![digits(15), digits(16), digits(17), digits(18)],
            any::<bool>(),
        )
            .prop_map(move |(body, spaced)| {
                let mut d = body.clone();
                d.push(0);
                let check = (0..10u8)
                    .find(|c| {
                        *d.last_mut().unwrap() = *c;
                        luhn(&d)
                    })
                    .unwrap();
                *d.last_mut().unwrap() = check;
                let n = text(&d);
                let typed = if spaced {
                    n.as_bytes()
                        .chunks(4)
                        .map(|c| std::str::from_utf8(c).unwrap())
                        .collect::<Vec<_>>()
                        .join(" ")
                } else {
                    n.clone()
                };
                (typed, format!("{}{}", &n[..4], &n[n.len() - 4..]))
            });
        (
            prop_oneof![mobile, landline, id, old_id, card],
            any::<bool>(),
        )
            .prop_map(|((typed, visible), wide)| {
                if wide {
                    (widen(&typed), widen(&visible))
                } else {
                    (typed, visible)
                }
            })
    }

    /// Digits typed full width, as a Chinese IME does.
    fn widen(s: &str) -> String {
        s.chars()
            .map(|c| match c {
                '0'..='9' => char::from_u32('０' as u32 + (c as u32 - '0' as u32)).unwrap(),
                c => c,
            })
            .collect()
    }

    /// Digits (normalised) and Xs of a text, in order.
    fn symbols(s: &str) -> String {
        s.chars()
            .filter_map(|c| match digit(c) {
                Some(d) => Some(char::from(b'0' + d)),
                None if is_x(c) => Some('x'),
                None => None,
            })
            .collect()
    }

    /// Text around numbers: no digits, no X, no stars.
    fn filler(min: usize) -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop::sample::select(vec![
                '工', '资', '电', '话', '：', '，', '。', 'a', 'Q', ' ', '-', '(', ')', '+', '.',
                '/', '\n', '号',
            ]),
            min..6,
        )
        .prop_map(|v| v.into_iter().collect())
    }

    /// Arbitrary text dense in digits, separators, stars and Xs.
    fn noisy() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop::sample::select(vec![
                '0', '1', '2', '3', '5', '8', '9', '６', ' ', '-', '(', ')', '+', '*', 'X', 'x',
                '电', '，',
            ]),
            0..60,
        )
        .prop_map(|v| v.into_iter().collect())
    }

    proptest! {
        #[test]
        fn masking_never_leaks_the_middle_digits(
            head in filler(0),
            parts in proptest::collection::vec((number(), filler(1)), 1..4),
        ) {
            // Each filler between numbers holds a letter or punctuation, so
            // that two numbers never read as one.
            prop_assume!(parts.iter().all(|(_, f)| f.chars().any(|c| !is_separator(c))));
            let mut text = head.clone();
            let mut visible = String::new();
            for ((typed, kept), f) in &parts {
                text.push_str(typed);
                text.push_str(f);
                visible.push_str(&symbols(kept));
            }
            let masked = mask(&text);
            prop_assert_eq!(symbols(&masked), visible, "{} → {}", text, masked);
            prop_assert_eq!(find(&text).len(), parts.len());
        }

        #[test]
        fn masking_twice_is_masking_once(text in noisy(), (n, _) in number(), at in 0usize..60) {
            let mut chars: Vec<char> = text.chars().collect();
            let at = at.min(chars.len());
            chars.splice(at..at, n.chars());
            let text: String = chars.into_iter().collect();
            let once = mask(&text).into_owned();
            prop_assert_eq!(mask(&once), once.as_str(), "{}", text);
        }

        #[test]
        fn text_without_digits_is_unchanged(text in "[^0-9０-９]{0,80}") {
            prop_assert!(matches!(mask(&text), Cow::Borrowed(t) if t == text));
        }

        #[test]
        fn masking_keeps_everything_but_digits(text in noisy()) {
            let masked = mask(&text);
            let strip = |s: &str| -> String {
                s.chars().filter(|c| digit(*c).is_none() && *c != '*' && !is_separator(*c)).collect()
            };
            prop_assert_eq!(strip(&masked), strip(&text));
        }
    }
}
