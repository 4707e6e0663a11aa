//! Money: integer fen (分, 1 yuan = 100 fen), never a float, and the one
//! reader of amounts as people type them in yuan.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An amount in fen. Stored, summed and sent in JSON as an integer.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    sqlx::Type,
    utoipa::ToSchema,
)]
#[sqlx(transparent)]
#[serde(transparent)]
pub struct Fen(pub i64);

impl Fen {
    /// One hundred million yuan: the most one record of a service may hold.
    pub const HUNDRED_MILLION_YUAN: Fen = Fen(100_000_000 * 100);

    /// Reads yuan as people type them — `1500`, `1,500.5`, `.5`, `¥200`,
    /// `300元`, full-width commas and spaces — at most two decimals, never
    /// negative, at most `max`.
    pub fn parse_yuan(raw: &str, max: Fen) -> Option<Fen> {
        let s: String = raw
            .trim()
            .trim_start_matches(['¥', '￥'])
            .trim_end_matches('元')
            .chars()
            .filter(|c| !matches!(c, ',' | '，' | ' '))
            .collect();
        let (whole, frac) = s.split_once('.').unwrap_or((s.as_str(), ""));
        if whole.is_empty() && frac.is_empty()
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
            || frac.len() > 2
            || whole.len() > 15
        {
            return None;
        }
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().ok()?
        };
        let frac: i64 = format!("{frac:0<2}").parse().ok()?;
        let fen = whole.checked_mul(100)?.checked_add(frac)?;
        (fen <= max.0).then_some(Fen(fen))
    }

    /// Yuan as Chinese documents write them: 150050 → `1,500.50`.
    pub fn yuan(self) -> String {
        let digits = (self.0 / 100).to_string();
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        format!("{grouped}.{:02}", self.0 % 100)
    }
}

impl fmt::Display for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.yuan())
    }
}

impl std::ops::Add for Fen {
    type Output = Fen;
    fn add(self, other: Fen) -> Fen {
        Fen(self.0 + other.0)
    }
}

impl std::ops::AddAssign for Fen {
    fn add_assign(&mut self, other: Fen) {
        self.0 += other.0;
    }
}

impl std::iter::Sum for Fen {
    fn sum<I: Iterator<Item = Fen>>(iter: I) -> Fen {
        Fen(iter.map(|f| f.0).sum())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_read_as_people_type_them_and_kept_in_fen() {
        let max = Fen::HUNDRED_MILLION_YUAN;
        for (raw, fen) in [
            ("1500", 150_000),
            ("1,500.5", 150_050),
            ("¥200", 20_000),
            ("￥12，345", 1_234_500),
            ("300元", 30_000),
            ("0.05", 5),
            (".5", 50),
            ("100000000", 10_000_000_000),
        ] {
            assert_eq!(Fen::parse_yuan(raw, max), Some(Fen(fen)), "{raw}");
        }
        for raw in [
            "",
            "abc",
            "1.234",
            "-5",
            "1e3",
            "1.2万",
            ".",
            "1000000000",
            "100000000.01",
        ] {
            assert_eq!(Fen::parse_yuan(raw, max), None, "{raw}");
        }
        assert_eq!(
            Fen::parse_yuan("99999999999999", Fen(i64::MAX)),
            Some(Fen(9_999_999_999_999_900))
        );
        assert_eq!(Fen::parse_yuan("9999999999999999", Fen(i64::MAX)), None);
    }

    #[test]
    fn fen_are_written_back_as_grouped_yuan() {
        assert_eq!(Fen(150_050).yuan(), "1,500.50");
        assert_eq!(Fen(5).to_string(), "0.05");
        assert_eq!(Fen(123_456_789).yuan(), "1,234,567.89");
        assert_eq!(Fen(100_000_000).yuan(), "1,000,000.00");
    }
}
