//! Kỳ báo cáo — reporting periods, written as DHIS2 period codes: `2022` (a year),
//! `2022S1` / `2022S2` (first / second half-year), `2022Q3` (a quarter) and `202207`
//! (a month). A period knows its first and last day, so periods can be compared and a
//! year can gather its half-years.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::Error;

/// Kỳ báo cáo — a reporting period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Period {
    /// Năm — a calendar year.
    Year(i32),
    /// 6 tháng — a half-year, 1 or 2.
    HalfYear(i32, u8),
    /// Quý — a quarter, 1 to 4.
    Quarter(i32, u8),
    /// Tháng — a month, 1 to 12.
    Month(i32, u8),
}

/// How long a period is, from the longest to the shortest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PeriodType {
    /// Năm.
    Year,
    /// 6 tháng.
    HalfYear,
    /// Quý.
    Quarter,
    /// Tháng.
    Month,
}

/// Years outside this range are almost certainly typing mistakes.
pub(crate) const YEARS: std::ops::RangeInclusive<i32> = 1945..=2100;

impl Period {
    /// Parses a DHIS2 period code (`2022`, `2022S1`, `2022Q3`, `202207`).
    pub fn parse(raw: &str) -> Result<Self, Error> {
        let code = raw.trim();
        let invalid = || Error::InvalidPeriod(raw.to_owned());
        let digits = |s: &str| -> Result<i32, Error> {
            if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
                s.parse().map_err(|_| invalid())
            } else {
                Err(invalid())
            }
        };
        let year_part = code.get(..4).ok_or_else(invalid)?;
        let year = digits(year_part)?;
        if !YEARS.contains(&year) {
            return Err(invalid());
        }
        let rest = code.get(4..).ok_or_else(invalid)?;
        let sub = |s: &str, max: i32| -> Result<u8, Error> {
            let n = digits(s)?;
            u8::try_from(n)
                .ok()
                .filter(|n| (1..=max).contains(&i32::from(*n)))
                .ok_or_else(invalid)
        };
        match rest.as_bytes() {
            [] => Ok(Period::Year(year)),
            [b'S', ..] => Ok(Period::HalfYear(year, sub(&rest[1..], 2)?)),
            [b'Q', ..] => Ok(Period::Quarter(year, sub(&rest[1..], 4)?)),
            [a, b] if a.is_ascii_digit() && b.is_ascii_digit() => Ok(Period::Month(year, sub(rest, 12)?)),
            _ => Err(invalid()),
        }
    }

    /// The DHIS2 code of the period.
    pub fn code(&self) -> String {
        match self {
            Period::Year(y) => format!("{y}"),
            Period::HalfYear(y, h) => format!("{y}S{h}"),
            Period::Quarter(y, q) => format!("{y}Q{q}"),
            Period::Month(y, m) => format!("{y}{m:02}"),
        }
    }

    /// The year the period falls in.
    pub fn year(&self) -> i32 {
        match *self {
            Period::Year(y) | Period::HalfYear(y, _) | Period::Quarter(y, _) | Period::Month(y, _) => y,
        }
    }

    /// How long the period is.
    pub fn period_type(&self) -> PeriodType {
        match self {
            Period::Year(_) => PeriodType::Year,
            Period::HalfYear(..) => PeriodType::HalfYear,
            Period::Quarter(..) => PeriodType::Quarter,
            Period::Month(..) => PeriodType::Month,
        }
    }

    /// First and last month of the period, 1-based and inclusive.
    fn months(&self) -> (u32, u32) {
        match *self {
            Period::Year(_) => (1, 12),
            Period::HalfYear(_, h) => {
                let first = 6 * u32::from(h) - 5;
                (first, first + 5)
            }
            Period::Quarter(_, q) => {
                let first = 3 * u32::from(q) - 2;
                (first, first + 2)
            }
            Period::Month(_, m) => (u32::from(m), u32::from(m)),
        }
    }

    /// The first day of the period.
    pub fn start(&self) -> NaiveDate {
        let (first, _) = self.months();
        NaiveDate::from_ymd_opt(self.year(), first, 1).unwrap_or(NaiveDate::MIN)
    }

    /// The last day of the period.
    pub fn end(&self) -> NaiveDate {
        let (_, last) = self.months();
        let next = if last == 12 {
            NaiveDate::from_ymd_opt(self.year() + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(self.year(), last + 1, 1)
        };
        next.and_then(|d| d.pred_opt()).unwrap_or(NaiveDate::MAX)
    }

    /// Whether `other` lies wholly inside this period (a period contains itself).
    pub fn contains(&self, other: &Period) -> bool {
        self.start() <= other.start() && other.end() <= self.end()
    }

    /// The period of the same type just before this one (`2022S1` → `2021S2`).
    pub fn previous(&self) -> Period {
        match *self {
            Period::Year(y) => Period::Year(y - 1),
            Period::HalfYear(y, 1) => Period::HalfYear(y - 1, 2),
            Period::HalfYear(y, h) => Period::HalfYear(y, h - 1),
            Period::Quarter(y, 1) => Period::Quarter(y - 1, 4),
            Period::Quarter(y, q) => Period::Quarter(y, q - 1),
            Period::Month(y, 1) => Period::Month(y - 1, 12),
            Period::Month(y, m) => Period::Month(y, m - 1),
        }
    }

    /// The period of the same type just after this one (`2022S2` → `2023S1`).
    pub fn next(&self) -> Period {
        match *self {
            Period::Year(y) => Period::Year(y + 1),
            Period::HalfYear(y, 2) => Period::HalfYear(y + 1, 1),
            Period::HalfYear(y, h) => Period::HalfYear(y, h + 1),
            Period::Quarter(y, 4) => Period::Quarter(y + 1, 1),
            Period::Quarter(y, q) => Period::Quarter(y, q + 1),
            Period::Month(y, 12) => Period::Month(y + 1, 1),
            Period::Month(y, m) => Period::Month(y, m + 1),
        }
    }

    /// The same period one year earlier (`2022S1` → `2021S1`).
    pub fn same_period_last_year(&self) -> Period {
        match *self {
            Period::Year(y) => Period::Year(y - 1),
            Period::HalfYear(y, h) => Period::HalfYear(y - 1, h),
            Period::Quarter(y, q) => Period::Quarter(y - 1, q),
            Period::Month(y, m) => Period::Month(y - 1, m),
        }
    }

    /// The Vietnamese name of the period, as reports write it: "6 tháng đầu năm 2022",
    /// "6 tháng cuối năm 2022", "Quý III năm 2022", "Tháng 7 năm 2022", "Năm 2022".
    pub fn label_vi(&self) -> String {
        match *self {
            Period::Year(y) => format!("Năm {y}"),
            Period::HalfYear(y, 1) => format!("6 tháng đầu năm {y}"),
            Period::HalfYear(y, _) => format!("6 tháng cuối năm {y}"),
            Period::Quarter(y, q) => {
                let roman = ["I", "II", "III", "IV"];
                let name = roman.get(usize::from(q) - 1).copied().unwrap_or("?");
                format!("Quý {name} năm {y}")
            }
            Period::Month(y, m) => format!("Tháng {m} năm {y}"),
        }
    }

    /// The periods of a given type inside a year, in order — what a period selector offers.
    pub fn all_in_year(year: i32, period_type: PeriodType) -> Vec<Period> {
        match period_type {
            PeriodType::Year => vec![Period::Year(year)],
            PeriodType::HalfYear => (1..=2).map(|h| Period::HalfYear(year, h)).collect(),
            PeriodType::Quarter => (1..=4).map(|q| Period::Quarter(year, q)).collect(),
            PeriodType::Month => (1..=12).map(|m| Period::Month(year, m)).collect(),
        }
    }

    /// Today's half-year, e.g. for the default of a selector.
    pub fn half_year_of(date: NaiveDate) -> Period {
        Period::HalfYear(date.year(), if date.month() <= 6 { 1 } else { 2 })
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code())
    }
}

impl TryFrom<String> for Period {
    type Error = Error;
    fn try_from(raw: String) -> Result<Self, Error> {
        Period::parse(&raw)
    }
}

impl From<Period> for String {
    fn from(p: Period) -> String {
        p.code()
    }
}

/// A date as Vietnamese documents write it: "25/7/2022" (no leading zeros).
pub fn format_date_vi(date: NaiveDate) -> String {
    format!("{}/{}/{}", date.day(), date.month(), date.year())
}

/// A moment as the pages write it: the date as [`format_date_vi`] and the time on the
/// 24-hour clock, "25/7/2022 16:09" — one style for the audit trail, tokens and news.
pub fn format_datetime_vi(at: chrono::NaiveDateTime) -> String {
    format!("{} {}", format_date_vi(at.date()), at.format("%H:%M"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_moment_is_written_day_month_year_and_the_24_hour_clock() {
        let at = NaiveDate::from_ymd_opt(2022, 7, 5)
            .and_then(|d| d.and_hms_opt(16, 9, 0))
            .unwrap_or_default();
        assert_eq!(format_datetime_vi(at), "5/7/2022 16:09");
    }

    fn p(code: &str) -> Period {
        Period::parse(code).unwrap_or_else(|e| panic!("{code}: {e}"))
    }

    #[test]
    fn dhis2_codes_parse_into_their_periods() {
        assert_eq!(p("2022"), Period::Year(2022));
        assert_eq!(p("2022S1"), Period::HalfYear(2022, 1));
        assert_eq!(p("2022Q3"), Period::Quarter(2022, 3));
        assert_eq!(p("202207"), Period::Month(2022, 7));
    }

    #[test]
    fn malformed_codes_are_refused() {
        for bad in [
            "", "22", "2022S3", "2022Q0", "202213", "2022H1", "2022S", "abcd", "20220701", "2022-07",
        ] {
            assert!(Period::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn dates_are_written_day_month_year_without_leading_zeros() {
        let date = NaiveDate::from_ymd_opt(2022, 7, 5).unwrap_or_default();
        assert_eq!(format_date_vi(date), "5/7/2022");
    }

    #[test]
    fn half_years_have_vietnamese_names() {
        assert_eq!(p("2022S1").label_vi(), "6 tháng đầu năm 2022");
        assert_eq!(p("2022S2").label_vi(), "6 tháng cuối năm 2022");
        assert_eq!(p("2022Q3").label_vi(), "Quý III năm 2022");
        assert_eq!(p("202207").label_vi(), "Tháng 7 năm 2022");
        assert_eq!(p("2022").label_vi(), "Năm 2022");
    }

    #[test]
    fn a_period_knows_its_first_and_last_day() {
        assert_eq!(p("2022S1").start().to_string(), "2022-01-01");
        assert_eq!(p("2022S1").end().to_string(), "2022-06-30");
        assert_eq!(p("202402").end().to_string(), "2024-02-29");
        assert_eq!(p("2022").end().to_string(), "2022-12-31");
    }

    #[test]
    fn a_year_contains_its_half_years_quarters_and_months_but_not_the_reverse() {
        assert!(p("2022").contains(&p("2022S1")));
        assert!(p("2022S2").contains(&p("2022Q3")));
        assert!(p("2022S2").contains(&p("202207")));
        assert!(!p("2022S1").contains(&p("202207")));
        assert!(!p("2022S1").contains(&p("2022")));
    }

    #[test]
    fn previous_periods_cross_year_boundaries() {
        assert_eq!(p("2022S1").previous(), p("2021S2"));
        assert_eq!(p("2022Q1").previous(), p("2021Q4"));
        assert_eq!(p("202201").previous(), p("202112"));
        assert_eq!(p("2022S1").same_period_last_year(), p("2021S1"));
    }

    #[test]
    fn next_periods_cross_year_boundaries_and_undo_previous() {
        assert_eq!(p("2021S2").next(), p("2022S1"));
        assert_eq!(p("2021Q4").next(), p("2022Q1"));
        assert_eq!(p("202112").next(), p("202201"));
        assert_eq!(p("2021").next(), p("2022"));
        for code in [
            "2022", "2022S1", "2022S2", "2022Q1", "2022Q4", "202201", "202207", "202212",
        ] {
            assert_eq!(p(code).next().previous(), p(code), "{code}");
        }
    }

    proptest! {
        #[test]
        fn every_period_code_round_trips(year in 1945i32..=2100, kind in 0u8..4, n in 1u8..=12) {
            let period = match kind {
                0 => Period::Year(year),
                1 => Period::HalfYear(year, 1 + n % 2),
                2 => Period::Quarter(year, 1 + n % 4),
                _ => Period::Month(year, n),
            };
            prop_assert_eq!(Period::parse(&period.code()).ok(), Some(period));
            prop_assert!(period.start() <= period.end());
            prop_assert!(Period::Year(year).contains(&period));
        }
    }
}
