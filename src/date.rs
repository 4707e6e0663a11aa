//! Calendar days as union work counts them: China Standard Time (UTC+8, no
//! daylight saving), stored as `YYYY-MM-DD` text that sorts and compares the
//! same on SQLite and PostgreSQL.

use std::fmt;

use chrono::{Datelike, FixedOffset, NaiveDate, TimeZone};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::FieldError;

/// A calendar day in China Standard Time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(NaiveDate);

/// China Standard Time.
pub fn cst() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

impl Day {
    /// Today in Beijing.
    pub fn today() -> Day {
        Day(chrono::Utc::now().with_timezone(&cst()).date_naive())
    }

    /// The day of an epoch-second instant, in Beijing.
    pub fn of_timestamp(ts: i64) -> Day {
        let t = chrono::DateTime::from_timestamp(ts, 0).unwrap_or_default();
        Day(t.with_timezone(&cst()).date_naive())
    }

    /// A day from its parts, if it exists.
    pub fn from_ymd(y: i32, m: u32, d: u32) -> Option<Day> {
        NaiveDate::from_ymd_opt(y, m, d).map(Day)
    }

    /// Parses `2019-11-15`, `2019/11/15`, `2019.11.15` or `2019年11月15日`.
    pub fn parse_str(raw: &str) -> Option<Day> {
        let s = raw.trim();
        let normal: String = s
            .replace(['年', '月', '/', '.'], "-")
            .replace('日', "")
            .trim()
            .to_string();
        NaiveDate::parse_from_str(&normal, "%Y-%m-%d").ok().map(Day)
    }

    /// A form or JSON field that must be a date; the error names the field.
    pub fn parse(field: &str, raw: &str) -> Result<Day, FieldError> {
        Day::parse_str(raw).ok_or_else(|| FieldError::new(field, "err-date"))
    }

    /// An optional date field: empty is `None`.
    pub fn parse_opt(field: &str, raw: &Option<String>) -> Result<Option<Day>, FieldError> {
        match raw.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => Day::parse(field, s).map(Some),
        }
    }

    /// A required date field.
    pub fn parse_req(field: &str, raw: &Option<String>) -> Result<Day, FieldError> {
        Day::parse_opt(field, raw)?.ok_or_else(|| FieldError::new(field, "err-required"))
    }

    /// Reads the stored spelling; a malformed value (never written by this code) is `None`.
    pub fn from_db(s: &str) -> Option<Day> {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().map(Day)
    }

    /// The stored spelling, `YYYY-MM-DD`.
    pub fn iso(self) -> String {
        self.0.format("%Y-%m-%d").to_string()
    }

    /// The day `n` days later (earlier when negative).
    pub fn plus_days(self, n: i64) -> Day {
        Day(self.0 + chrono::Duration::days(n))
    }

    /// Days from `self` to `other` (negative when `other` is earlier).
    pub fn days_until(self, other: Day) -> i64 {
        (other.0 - self.0).num_days()
    }

    /// The last instant of this day in Beijing, as epoch seconds: a deadline "by
    /// 15 November" is met by anything up to 23:59:59 that day.
    pub fn end_timestamp(self) -> i64 {
        let end = self.0.and_hms_opt(23, 59, 59).expect("valid time");
        cst()
            .from_local_datetime(&end)
            .single()
            .map(|t| t.timestamp())
            .unwrap_or_default()
    }

    /// The underlying date.
    pub fn naive(self) -> NaiveDate {
        self.0
    }

    /// Chinese long form: 2019年11月15日.
    pub fn zh(self) -> String {
        format!("{}年{}月{}日", self.0.year(), self.0.month(), self.0.day())
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.iso())
    }
}

impl Serialize for Day {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.iso())
    }
}

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Day::parse_str(&s).ok_or_else(|| serde::de::Error::custom("expected a date YYYY-MM-DD"))
    }
}

impl utoipa::PartialSchema for Day {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::Date,
            )))
            .into()
    }
}

impl utoipa::ToSchema for Day {}

// Stored as `YYYY-MM-DD` text, so a store's `Row` carries a `Day` and binds one.
impl sqlx::Type<sqlx::Any> for Day {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <str as sqlx::Type<sqlx::Any>>::type_info()
    }
}

impl<'q> sqlx::Encode<'q, sqlx::Any> for Day {
    fn encode_by_ref(
        &self,
        buf: &mut <sqlx::Any as sqlx::Database>::ArgumentBuffer,
    ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
        <String as sqlx::Encode<'q, sqlx::Any>>::encode(self.iso(), buf)
    }
}

impl<'r> sqlx::Decode<'r, sqlx::Any> for Day {
    fn decode(
        value: <sqlx::Any as sqlx::Database>::ValueRef<'r>,
    ) -> Result<Self, sqlx::error::BoxDynError> {
        let s = <&str as sqlx::Decode<'r, sqlx::Any>>::decode(value)?;
        Day::from_db(s).ok_or_else(|| format!("{s:?} is not a stored day (YYYY-MM-DD)").into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_spellings_people_type() {
        let d = Day::from_ymd(2019, 11, 15).unwrap();
        for s in [
            "2019-11-15",
            "2019/11/15",
            "2019.11.15",
            "2019年11月15日",
            " 2019-11-15 ",
        ] {
            assert_eq!(Day::parse_str(s), Some(d), "{s}");
        }
        assert_eq!(Day::parse_str("2019-02-30"), None);
        assert_eq!(Day::parse_str("15/11/2019"), None);
        assert_eq!(d.zh(), "2019年11月15日");
    }

    #[test]
    fn a_deadline_ends_at_midnight_beijing_time() {
        let d = Day::from_ymd(2019, 11, 15).unwrap();
        // 2019-11-15 23:59:59 +08:00 is 15:59:59 UTC.
        assert_eq!(d.end_timestamp(), 1_573_833_599);
        assert_eq!(Day::of_timestamp(1_573_833_599), d);
        assert_eq!(Day::of_timestamp(1_573_833_600), d.plus_days(1));
    }
}
