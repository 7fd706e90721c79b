//! Khoảng kỳ báo cáo — a run of consecutive reporting periods of one type, the first and
//! the last both included: `2025Q1..2025Q3`, `2024S2..2026S1`, `202501..202507`,
//! `2023..2025`, or in words `từ 2025Q1 đến 2025Q3`. Each end is a period code as
//! [`Period::parse`] reads it; a single code is a range of one period.
//!
//! A [`PeriodRange`] cannot be invalid: both ends are of one type, the first is not after
//! the last, and it holds at most [`MOST_PERIODS`] periods, so whatever walks it (a
//! rollup adds up each of its periods) has a bound known in advance.

use std::fmt;
use std::ops::RangeInclusive;

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::period::{Period, PeriodType, YEARS};

/// The most periods a range may hold: ten years of months.
pub const MOST_PERIODS: usize = 120;

/// The separator of the two ends in a range's code.
const SEPARATOR: &str = "..";

/// Khoảng kỳ báo cáo — consecutive periods of one type, `first` to `last` inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PeriodRange {
    first: Period,
    last: Period,
}

impl PeriodRange {
    /// The range of one period.
    pub fn single(period: Period) -> PeriodRange {
        PeriodRange {
            first: period,
            last: period,
        }
    }

    /// The range from `first` to `last`, both included, if they are of one type, in
    /// order and at most [`MOST_PERIODS`] apart.
    pub fn new(first: Period, last: Period) -> Result<PeriodRange, Error> {
        let refuse = |reason: String| Error::InvalidPeriodRange {
            range: format!("{first}{SEPARATOR}{last}"),
            reason,
        };
        if first.period_type() != last.period_type() {
            return Err(refuse(format!(
                "kỳ đầu {first} là {}, kỳ cuối {last} là {}; hai đầu phải cùng loại kỳ",
                type_name(first.period_type()),
                type_name(last.period_type()),
            )));
        }
        if let Some(year) = [first.year(), last.year()].into_iter().find(|y| !YEARS.contains(y)) {
            return Err(refuse(format!(
                "năm {year} nằm ngoài {}–{}",
                YEARS.start(),
                YEARS.end()
            )));
        }
        if first > last {
            return Err(refuse(format!("kỳ đầu {first} ở sau kỳ cuối {last}")));
        }
        let len = ordinal(last) - ordinal(first) + 1;
        if len > MOST_PERIODS as i64 {
            return Err(refuse(format!("gồm {len} kỳ, nhiều nhất là {MOST_PERIODS} kỳ")));
        }
        Ok(PeriodRange { first, last })
    }

    /// Parses `FIRST..LAST` (`2025Q1..2025Q3`), `từ FIRST đến LAST`, or a single period
    /// code. The message of a refusal names the end or the rule at fault.
    pub fn parse(raw: &str) -> Result<PeriodRange, Error> {
        // NFC with whitespace collapsed, so "từ" typed decomposed or with two spaces reads.
        let text = crate::text::nfc(raw);
        let Some((first, last)) = split(&text) else {
            return Period::parse(&text).map(PeriodRange::single);
        };
        let refuse = |reason: String| Error::InvalidPeriodRange {
            range: text.clone(),
            reason,
        };
        let end = |code: &str, which: &str| -> Result<Period, Error> {
            let code = code.trim();
            if code.is_empty() {
                return Err(refuse(format!("thiếu {which} (ví dụ: 2025Q1..2025Q3)")));
            }
            Period::parse(code).map_err(|_| {
                refuse(format!(
                    "{which} «{code}» không phải là kỳ báo cáo (ví dụ: 2025, 2025S1, 2025Q3, 202507)"
                ))
            })
        };
        let (first, last) = (end(first, "kỳ đầu")?, end(last, "kỳ cuối")?);
        PeriodRange::new(first, last).map_err(|e| match e {
            // Name the range as it was typed, with the reason found on the periods.
            Error::InvalidPeriodRange { reason, .. } => refuse(reason),
            other => other,
        })
    }

    /// The first period.
    pub fn first(&self) -> Period {
        self.first
    }

    /// The last period.
    pub fn last(&self) -> Period {
        self.last
    }

    /// The type of its periods.
    pub fn period_type(&self) -> PeriodType {
        self.first.period_type()
    }

    /// Whether it is one period.
    pub fn is_single(&self) -> bool {
        self.first == self.last
    }

    /// How many periods it holds (1 to [`MOST_PERIODS`]).
    pub fn len(&self) -> usize {
        // In 1..=MOST_PERIODS by construction.
        (ordinal(self.last) - ordinal(self.first) + 1) as usize
    }

    /// Never: a range holds at least one period.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Its periods, in order.
    pub fn periods(&self) -> impl Iterator<Item = Period> + use<> {
        let first = self.first;
        std::iter::successors(Some(first), |p| Some(p.next())).take(self.len())
    }

    /// The calendar years it touches.
    pub fn years(&self) -> RangeInclusive<i32> {
        self.first.year()..=self.last.year()
    }

    /// Whether `period` is one of its periods.
    pub fn contains(&self, period: &Period) -> bool {
        period.period_type() == self.period_type() && self.first <= *period && *period <= self.last
    }

    /// Its code: `2025Q1..2025Q3`, or the period's own code for a range of one.
    pub fn code(&self) -> String {
        if self.is_single() {
            self.first.code()
        } else {
            format!("{}{SEPARATOR}{}", self.first, self.last)
        }
    }

    /// Its Vietnamese name: "Từ quý I đến quý III năm 2025", "Từ 6 tháng cuối năm 2024
    /// đến 6 tháng đầu năm 2026", "Từ năm 2023 đến năm 2025"; a range of one is named as
    /// its period ("Quý III năm 2025").
    pub fn label_vi(&self) -> String {
        if self.is_single() {
            return self.first.label_vi();
        }
        let (first, last) = (lower_first(&self.first.label_vi()), lower_first(&self.last.label_vi()));
        // Within one year the year is said once, at the end.
        let year = format!(" năm {}", self.last.year());
        let first = match first.strip_suffix(&year) {
            Some(shorter) if self.first.year() == self.last.year() && self.period_type() != PeriodType::Year => shorter,
            _ => &first,
        };
        format!("Từ {first} đến {last}")
    }
}

/// The two ends of a range as written, or `None` for a single code.
fn split(text: &str) -> Option<(&str, &str)> {
    if let Some(pair) = text.split_once(SEPARATOR) {
        return Some(pair);
    }
    let words = text
        .strip_prefix("từ ")
        .or_else(|| text.strip_prefix("Từ "))
        .or_else(|| text.strip_prefix("TỪ "))?;
    words
        .split_once(" đến ")
        .or_else(|| words.split_once(" Đến "))
        .or_else(|| words.split_once(" ĐẾN "))
}

/// The period's place among the periods of its type, so two of one type subtract.
fn ordinal(period: Period) -> i64 {
    let year = i64::from(period.year());
    match period {
        Period::Year(_) => year,
        Period::HalfYear(_, h) => year * 2 + i64::from(h) - 1,
        Period::Quarter(_, q) => year * 4 + i64::from(q) - 1,
        Period::Month(_, m) => year * 12 + i64::from(m) - 1,
    }
}

/// A period type as a sentence names it.
fn type_name(period_type: PeriodType) -> &'static str {
    match period_type {
        PeriodType::Year => "năm",
        PeriodType::HalfYear => "6 tháng",
        PeriodType::Quarter => "quý",
        PeriodType::Month => "tháng",
    }
}

/// "Quý III năm 2025" → "quý III năm 2025", to follow "Từ" or "đến".
fn lower_first(label: &str) -> String {
    let mut chars = label.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

impl From<Period> for PeriodRange {
    fn from(period: Period) -> PeriodRange {
        PeriodRange::single(period)
    }
}

impl fmt::Display for PeriodRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code())
    }
}

impl TryFrom<String> for PeriodRange {
    type Error = Error;
    fn try_from(raw: String) -> Result<Self, Error> {
        PeriodRange::parse(&raw)
    }
}

impl From<PeriodRange> for String {
    fn from(range: PeriodRange) -> String {
        range.code()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn range(code: &str) -> PeriodRange {
        PeriodRange::parse(code).unwrap_or_else(|e| panic!("{code}: {e}"))
    }

    fn codes(r: PeriodRange) -> Vec<String> {
        r.periods().map(|p| p.code()).collect()
    }

    fn refusal(code: &str) -> String {
        match PeriodRange::parse(code) {
            Ok(r) => panic!("{code} was accepted as {r:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn a_range_holds_every_period_from_its_first_to_its_last() {
        assert_eq!(codes(range("2025Q1..2025Q3")), ["2025Q1", "2025Q2", "2025Q3"]);
        assert_eq!(codes(range("2024S2..2026S1")), ["2024S2", "2025S1", "2025S2", "2026S1"]);
        assert_eq!(codes(range("202511..202602")), ["202511", "202512", "202601", "202602"]);
        assert_eq!(codes(range("2023..2025")), ["2023", "2024", "2025"]);
        assert_eq!(range("202501..202507").len(), 7);
    }

    #[test]
    fn a_single_code_is_a_range_of_one_period() {
        let one = range("2025Q3");
        assert!(one.is_single());
        assert_eq!(codes(one), ["2025Q3"]);
        assert_eq!(one.code(), "2025Q3");
        assert_eq!(range("2025Q3..2025Q3"), one);
    }

    #[test]
    fn a_range_can_be_written_in_words() {
        assert_eq!(range("từ 2025Q1 đến 2025Q3"), range("2025Q1..2025Q3"));
        assert_eq!(range("Từ 2024 đến 2025"), range("2024..2025"));
        assert_eq!(range(" 2025Q1 .. 2025Q3 "), range("2025Q1..2025Q3"));
        // Decomposed, as some keyboards type it, and with a doubled space.
        assert_eq!(
            range("tu\u{31b}\u{300}  2025Q1 \u{111}e\u{302}\u{301}n 2025Q3"),
            range("2025Q1..2025Q3")
        );
    }

    #[test]
    fn ends_of_different_types_are_refused_naming_both() {
        let message = refusal("2025Q1..202507");
        assert!(
            message.contains("kỳ đầu 2025Q1 là quý, kỳ cuối 202507 là tháng"),
            "{message}"
        );
    }

    #[test]
    fn a_range_running_backwards_is_refused() {
        let message = refusal("2025Q3..2025Q1");
        assert!(message.contains("kỳ đầu 2025Q3 ở sau kỳ cuối 2025Q1"), "{message}");
    }

    #[test]
    fn a_range_longer_than_ten_years_of_months_is_refused() {
        assert_eq!(range("201601..202512").len(), MOST_PERIODS);
        let message = refusal("201601..202601");
        assert!(message.contains("gồm 121 kỳ, nhiều nhất là 120 kỳ"), "{message}");
    }

    #[test]
    fn a_missing_or_malformed_end_is_named() {
        assert!(refusal("2025Q1..").contains("thiếu kỳ cuối"));
        assert!(refusal("..2025Q1").contains("thiếu kỳ đầu"));
        assert!(refusal("2025Q1..2025Q5").contains("kỳ cuối «2025Q5»"));
        assert!(refusal("2025Q1..2025Q2..2025Q3").contains("kỳ cuối «2025Q2..2025Q3»"));
        assert!(refusal("từ 2025X1 đến 2025Q3").contains("kỳ đầu «2025X1»"));
        assert!(PeriodRange::parse("2025Q5").is_err());
    }

    #[test]
    fn a_range_has_a_vietnamese_name() {
        assert_eq!(range("2025Q1..2025Q3").label_vi(), "Từ quý I đến quý III năm 2025");
        assert_eq!(range("202501..202507").label_vi(), "Từ tháng 1 đến tháng 7 năm 2025");
        assert_eq!(
            range("2024S2..2026S1").label_vi(),
            "Từ 6 tháng cuối năm 2024 đến 6 tháng đầu năm 2026"
        );
        assert_eq!(
            range("2024Q4..2025Q1").label_vi(),
            "Từ quý IV năm 2024 đến quý I năm 2025"
        );
        assert_eq!(range("2023..2025").label_vi(), "Từ năm 2023 đến năm 2025");
        assert_eq!(range("2025Q3").label_vi(), "Quý III năm 2025");
    }

    #[test]
    fn a_range_knows_its_years_and_its_periods() {
        let r = range("2024S2..2026S1");
        assert_eq!(r.years(), 2024..=2026);
        assert!(r.contains(&Period::HalfYear(2025, 1)));
        assert!(!r.contains(&Period::HalfYear(2024, 1)));
        assert!(!r.contains(&Period::Year(2025)));
    }

    proptest! {
        #[test]
        fn every_range_code_round_trips_and_holds_consecutive_periods(
            year in 1945i32..=2090, kind in 0u8..4, n in 1u8..=12, len in 1usize..=MOST_PERIODS,
        ) {
            let first = match kind {
                0 => Period::Year(year),
                1 => Period::HalfYear(year, 1 + n % 2),
                2 => Period::Quarter(year, 1 + n % 4),
                _ => Period::Month(year, n),
            };
            let last = (1..len).fold(first, |p, _| p.next());
            let r = PeriodRange::new(first, last);
            prop_assume!(r.is_ok());
            let r = r.unwrap();
            prop_assert_eq!(PeriodRange::parse(&r.code()).ok(), Some(r));
            let periods: Vec<Period> = r.periods().collect();
            prop_assert_eq!(periods.len(), len);
            prop_assert_eq!(periods.first(), Some(&first));
            prop_assert_eq!(periods.last(), Some(&last));
            prop_assert!(periods.windows(2).all(|w| w[0].next() == w[1] && w[0].end() < w[1].start()));
        }
    }
}
