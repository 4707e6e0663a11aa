//! Chinese working days (工作日): Monday to Friday, less public holidays, plus
//! the weekend days that are worked to make up for them (调休上班). The days
//! come from a TOML file built into the binary
//! (`assets/holidays/cn-workdays.toml`) that an admin can replace at
//! `/admin/workdays` when the State Council announces the next year.

pub mod api;
pub mod ops;
pub mod pages;
pub mod store;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Weekday};
use serde::{Deserialize, Serialize};

use crate::{
    date::Day,
    error::{AppError, FieldError},
};

/// The file built into the binary.
pub const BUILT_IN: &str = include_str!("../../assets/holidays/cn-workdays.toml");

/// The working-day calendar.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Workdays {
    holidays: BTreeSet<Day>,
    workdays: BTreeSet<Day>,
    years: BTreeSet<i32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YearFile {
    #[serde(default)]
    holidays: Vec<String>,
    #[serde(default)]
    workdays: Vec<String>,
}

/// Problems of an uploaded file, each a readable sentence naming the entry.
pub type Problems = Vec<String>;

fn entry_days(year: i32, raw: &str, list: &str, problems: &mut Problems) -> Vec<Day> {
    let (a, b) = match raw.split_once("..") {
        Some((a, b)) => (a.trim(), b.trim()),
        None => (raw.trim(), raw.trim()),
    };
    let (Some(from), Some(to)) = (Day::from_db(a), Day::from_db(b)) else {
        problems.push(format!(
            "[{year}] {list}: \"{raw}\" is not a date YYYY-MM-DD or a range"
        ));
        return Vec::new();
    };
    if from > to {
        problems.push(format!("[{year}] {list}: \"{raw}\" ends before it starts"));
        return Vec::new();
    }
    if from.naive().year() != year || to.naive().year() != year {
        problems.push(format!("[{year}] {list}: \"{raw}\" lies outside {year}"));
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut d = from;
    while d <= to {
        out.push(d);
        d = d.plus_days(1);
    }
    out
}

fn is_weekend(d: Day) -> bool {
    matches!(d.naive().weekday(), Weekday::Sat | Weekday::Sun)
}

impl Workdays {
    /// The calendar of the built-in file.
    pub fn built_in() -> Workdays {
        // The built-in file is checked by a unit test, so this cannot fail.
        Workdays::parse(BUILT_IN).unwrap_or_default()
    }

    /// Parses and checks a holiday file; every problem is reported.
    pub fn parse(text: &str) -> Result<Workdays, Problems> {
        let years: BTreeMap<String, YearFile> =
            toml::from_str(text).map_err(|e| vec![format!("TOML: {}", e.message())])?;
        let mut problems = Vec::new();
        let mut w = Workdays::default();
        for (key, y) in years {
            let Ok(year) = key.parse::<i32>() else {
                problems.push(format!("[{key}] is not a year"));
                continue;
            };
            if !(1949..=2200).contains(&year) {
                problems.push(format!("[{key}] is not a plausible year"));
                continue;
            }
            w.years.insert(year);
            for raw in &y.holidays {
                w.holidays
                    .extend(entry_days(year, raw, "holidays", &mut problems));
            }
            for raw in &y.workdays {
                for d in entry_days(year, raw, "workdays", &mut problems) {
                    if !is_weekend(d) {
                        problems.push(format!(
                            "[{year}] workdays: {} is a weekday, not a make-up working day",
                            d.iso()
                        ));
                    }
                    w.workdays.insert(d);
                }
            }
        }
        for d in w.holidays.intersection(&w.workdays) {
            problems.push(format!("{} is both a holiday and a working day", d.iso()));
        }
        if problems.is_empty() {
            Ok(w)
        } else {
            Err(problems)
        }
    }

    /// The years the file covers.
    pub fn years(&self) -> Vec<i32> {
        self.years.iter().copied().collect()
    }

    /// Whether `d` is a working day.
    pub fn is_working(&self, d: Day) -> bool {
        if self.workdays.contains(&d) {
            return true;
        }
        !is_weekend(d) && !self.holidays.contains(&d)
    }

    /// The `n`th working day after `d` (`n` = 0: `d` itself if it is a working
    /// day, else the next one).
    pub fn add(&self, d: Day, n: u32) -> Day {
        let mut day = d;
        if n == 0 {
            while !self.is_working(day) {
                day = day.plus_days(1);
            }
            return day;
        }
        let mut left = n;
        while left > 0 {
            day = day.plus_days(1);
            if self.is_working(day) {
                left -= 1;
            }
        }
        day
    }

    /// How many working days lie after `from` up to and including `to` (0 when
    /// `to` is not after `from`).
    pub fn working_days_between(&self, from: Day, to: Day) -> u32 {
        let mut n = 0;
        let mut d = from.plus_days(1);
        while d <= to {
            if self.is_working(d) {
                n += 1;
            }
            d = d.plus_days(1);
        }
        n
    }
}

/// The traffic light (红黄绿灯) of anything with a deadline: the to-do home,
/// the supervision grid and every badge that shows lateness use this one rule,
/// so a colour means the same everywhere.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Light {
    /// Overdue: the deadline has passed.
    Red,
    /// Due within the reminder horizon (N working days), today included.
    Yellow,
    /// On time, or nothing is due.
    Green,
}

impl Light {
    /// The light of a deadline `due` seen on `today`, yellow when it falls
    /// within `within` working days.
    pub fn of(days: &Workdays, today: Day, due: Day, within: u32) -> Light {
        if due < today {
            Light::Red
        } else if due <= days.add(today, within) {
            Light::Yellow
        } else {
            Light::Green
        }
    }

    /// The stored and CSS spelling (`light-red`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Light::Red => "red",
            Light::Yellow => "yellow",
            Light::Green => "green",
        }
    }

    /// The catalogue key of the light's name (for screen readers and tables).
    pub fn label_key(self) -> String {
        format!("light-{}", self.as_str())
    }
}

/// The file in force, as the API shows it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct WorkdayFile {
    /// The TOML text.
    pub body: String,
    /// Whether it is the file built into the binary.
    pub built_in: bool,
    /// When it was uploaded (epoch seconds), if it was.
    pub uploaded_at: Option<i64>,
    /// The years it covers.
    #[schema(example = json!([2019, 2020, 2021]))]
    pub years: Vec<i32>,
}

/// A replacement file.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct WorkdayInput {
    /// The TOML text (see `assets/holidays/cn-workdays.toml` for the format).
    #[serde(default)]
    #[schema(example = "[2031]\nholidays = [\"2031-01-01\"]\nworkdays = [\"2031-01-04\"]\n")]
    pub body: String,
}

impl WorkdayInput {
    /// The calendar the file describes; 422 on `body` listing every problem.
    pub fn parse(&self) -> Result<Workdays, AppError> {
        Workdays::parse(&self.body).map_err(|problems| {
            AppError::Validation(vec![
                FieldError::new("body", "err-workdays").arg("problems", problems.join("; ")),
            ])
        })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn day(s: &str) -> Day {
        Day::from_db(s).unwrap()
    }

    #[test]
    fn the_built_in_file_is_valid_and_covers_2019_to_2026() {
        let w = Workdays::parse(BUILT_IN).unwrap();
        assert_eq!(w.years(), (2019..=2026).collect::<Vec<_>>());
    }

    #[test]
    fn national_day_2019_and_its_make_up_days() {
        let w = Workdays::built_in();
        for d in 1..=7 {
            assert!(!w.is_working(Day::from_ymd(2019, 10, d).unwrap()), "10-{d}");
        }
        // Sunday 29 September and Saturday 12 October 2019 were worked.
        assert!(w.is_working(day("2019-09-29")));
        assert!(w.is_working(day("2019-10-12")));
        assert!(!w.is_working(day("2019-10-13")));
        // Friday 27 September + 1 working day is Sunday 29 September.
        assert_eq!(w.add(day("2019-09-27"), 1), day("2019-09-29"));
        // Monday 30 September + 1 skips the whole holiday to Tuesday 8 October.
        assert_eq!(w.add(day("2019-09-30"), 1), day("2019-10-08"));
        assert_eq!(
            w.working_days_between(day("2019-09-30"), day("2019-10-12")),
            5
        );
    }

    #[test]
    fn spring_festival_2026_as_announced() {
        let w = Workdays::built_in();
        assert!(w.is_working(day("2026-02-14")), "Saturday make-up day");
        assert!(!w.is_working(day("2026-02-16")));
        assert!(!w.is_working(day("2026-02-23")));
        assert!(w.is_working(day("2026-02-24")));
        assert!(w.is_working(day("2026-02-28")), "Saturday make-up day");
    }

    #[test]
    fn weekends_are_skipped_and_plain_years_count_mondays_to_fridays() {
        let w = Workdays::built_in();
        // 2031 is not in the file: Friday 3 January + 1 = Monday 6 January.
        assert_eq!(w.add(day("2031-01-03"), 1), day("2031-01-06"));
        assert_eq!(w.add(day("2031-01-04"), 0), day("2031-01-06"));
        assert_eq!(
            w.working_days_between(day("2031-01-03"), day("2031-01-10")),
            5
        );
    }

    #[test]
    fn bad_files_report_every_problem() {
        let err = Workdays::parse(
            "[2019]\nholidays = [\"2019-10-01\", \"2019-13-01\", \"2020-01-01\"]\nworkdays = [\"2019-10-01\", \"2019-10-08\"]\n",
        )
        .unwrap_err();
        let all = err.join("\n");
        assert!(all.contains("2019-13-01"), "{all}");
        assert!(all.contains("outside 2019"), "{all}");
        assert!(all.contains("2019-10-08 is a weekday"), "{all}");
        assert!(all.contains("2019-10-01 is both"), "{all}");
        assert!(Workdays::parse("not toml [").is_err());
        assert!(Workdays::parse("[abc]\nholidays = []\n").is_err());
    }

    proptest! {
        #[test]
        fn add_lands_on_a_working_day_counted_by_between(
            offset in 0i64..(9 * 366), n in 1u32..40
        ) {
            let w = Workdays::built_in();
            let start = day("2018-06-01").plus_days(offset);
            let end = w.add(start, n);
            prop_assert!(w.is_working(end));
            prop_assert!(end > start);
            prop_assert_eq!(w.working_days_between(start, end), n);
            // Nothing earlier would do.
            prop_assert_eq!(w.working_days_between(start, end.plus_days(-1)), n - 1);
        }
    }

    #[test]
    fn the_light_is_red_when_late_yellow_within_the_horizon_green_beyond() {
        let w = Workdays::built_in();
        // Friday 2026-12-04; three working days ahead is Wednesday the 9th.
        let today = day("2026-12-04");
        assert_eq!(Light::of(&w, today, day("2026-12-03"), 3), Light::Red);
        assert_eq!(Light::of(&w, today, today, 3), Light::Yellow);
        assert_eq!(Light::of(&w, today, day("2026-12-09"), 3), Light::Yellow);
        assert_eq!(Light::of(&w, today, day("2026-12-10"), 3), Light::Green);
        assert!(Light::Red < Light::Yellow && Light::Yellow < Light::Green);
    }
}
