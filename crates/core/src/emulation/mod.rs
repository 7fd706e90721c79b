//! Thi đua — the year's emulation cycle of a cluster, as types and pure functions:
//!
//! - [`criteria`]: the criteria set (bảng tiêu chí thi đua) per year and cluster level, a
//!   tree of groups and items with maximum points, items scored by hand or computed from
//!   indicators, bonus (điểm thưởng) and penalty (điểm trừ) rules, the total scale;
//! - [`pledge`]: what each member signs up for at the start of the year (giao ước thi đua);
//! - [`scoring`]: self-score → cluster score → upper-level adjustment, the totals (never
//!   above the scale), the side-by-side comparison of the steps, and the ranking;
//! - [`ballot`]: the secret vote (bình xét, suy tôn) and its count (biên bản kiểm phiếu);
//! - [`award`]: the catalogue of award forms, proposals and their pipeline, decisions and
//!   their revocation.
//!
//! Points are kept in hundredths ([`Points`]) so that totals, caps and ties are exact.

pub mod award;
pub mod ballot;
pub mod criteria;
pub mod pledge;
pub mod scoring;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::number::{format_decimal_trimmed, parse_number};

pub use award::{AwardCatalogue, AwardDecision, AwardForm, Proposal, ProposalState, Recipient};
pub use ballot::{BallotSpec, Paper, Question, QuestionKind, TallyRecord, tally};
pub use criteria::{CriteriaSet, Criterion, CriterionCode};
pub use pledge::Pledge;
pub use scoring::{ScoreCard, ScoreStep, Totals};

/// Điểm — a number of points, exact to the hundredth (scores such as 8,5 or 2,25 are in
/// use; a linear item may earn 3,47). Never negative: penalties are positive points that
/// are subtracted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct Points(i64);

/// Largest number of points accepted anywhere (a scale of 1.000 is already absurd).
const MAX_HUNDREDTHS: i64 = 100_000;

impl Points {
    /// No points.
    pub const ZERO: Points = Points(0);

    /// `n` whole points, or `None` when `n` is negative or absurdly large.
    pub fn whole(n: i64) -> Option<Points> {
        n.checked_mul(100).and_then(Points::from_hundredths)
    }

    /// Points from hundredths (`850` is 8,5 points), or `None` when negative or absurdly
    /// large.
    pub fn from_hundredths(h: i64) -> Option<Points> {
        (0..=MAX_HUNDREDTHS).contains(&h).then_some(Points(h))
    }

    /// The points in hundredths.
    pub fn hundredths(self) -> i64 {
        self.0
    }

    /// The points as a number (for charts and percentages).
    pub fn to_f64(self) -> f64 {
        self.0 as f64 / 100.0
    }

    /// Reads points as people type them: "8,5", "8.5", "10"; at most two decimals, not
    /// negative.
    pub fn parse(raw: &str) -> Result<Points, Error> {
        let number = parse_number(raw)?;
        Points::from_f64(number.to_f64()).ok_or_else(|| Error::InvalidValue {
            value: raw.trim().to_owned(),
            reason: "số điểm phải từ 0 đến 1.000, nhiều nhất hai chữ số thập phân".into(),
        })
    }

    /// Points from a number with at most two decimals (as in a TOML file), or `None`.
    pub fn from_f64(x: f64) -> Option<Points> {
        let scaled = x * 100.0;
        let rounded = scaled.round();
        if !x.is_finite() || (scaled - rounded).abs() > 1e-6 {
            return None;
        }
        // In range, so the cast is exact.
        Points::from_hundredths(rounded as i64).filter(|_| (0.0..=1e4).contains(&x))
    }

    /// The sum, capped at the largest accepted number.
    pub fn plus(self, other: Points) -> Points {
        Points((self.0 + other.0).min(MAX_HUNDREDTHS))
    }

    /// The difference, or zero when `other` is larger.
    pub fn minus(self, other: Points) -> Points {
        Points((self.0 - other.0).max(0))
    }

    /// Vietnamese style: "8,5", "100", "3,47".
    pub fn format_vi(self) -> String {
        format_decimal_trimmed(self.to_f64(), 2)
    }
}

impl fmt::Display for Points {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.format_vi())
    }
}

impl TryFrom<f64> for Points {
    type Error = Error;
    fn try_from(x: f64) -> Result<Self, Error> {
        Points::from_f64(x).ok_or_else(|| Error::InvalidValue {
            value: x.to_string(),
            reason: "số điểm phải từ 0 đến 1.000, nhiều nhất hai chữ số thập phân".into(),
        })
    }
}

impl From<Points> for f64 {
    fn from(p: Points) -> f64 {
        p.to_f64()
    }
}

impl std::iter::Sum for Points {
    fn sum<I: Iterator<Item = Points>>(iter: I) -> Points {
        iter.fold(Points::ZERO, Points::plus)
    }
}

/// Text as stored: NFC, whitespace collapsed; an error naming `field` when empty.
pub(crate) fn required_text(field: &'static str, raw: &str) -> Result<String, Error> {
    let text = crate::text::nfc(raw);
    if text.is_empty() {
        return Err(Error::InvalidField {
            field,
            value: raw.to_owned(),
            expected: "không để trống",
        });
    }
    Ok(text)
}

/// Competition ranking ("1224"): `keys` sorted best first; equal keys share the rank of
/// the first of them and the next rank skips. Returns each position's rank and whether
/// it is shared.
pub(crate) fn competition_ranks<K: PartialEq>(keys: &[K]) -> Vec<(u32, bool)> {
    let mut out = Vec::with_capacity(keys.len());
    for (i, key) in keys.iter().enumerate() {
        let rank = if i > 0 && keys[i - 1] == *key {
            out.last().map_or(1, |&(r, _)| r)
        } else {
            u32::try_from(i + 1).unwrap_or(u32::MAX)
        };
        let tied = (i > 0 && keys[i - 1] == *key) || keys.get(i + 1) == Some(key);
        out.push((rank, tied));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_read_as_people_type_them() {
        assert_eq!(Points::parse("8,5").ok(), Points::from_hundredths(850));
        assert_eq!(Points::parse("8.5").ok(), Points::from_hundredths(850));
        assert_eq!(Points::parse(" 10 ").ok(), Points::whole(10));
        assert!(Points::parse("-1").is_err());
        assert!(Points::parse("1,234").is_err(), "three decimals");
        assert!(Points::parse("mười").is_err());
    }

    #[test]
    fn points_are_written_vietnamese_style() {
        assert_eq!(
            Points::from_hundredths(850).map(|p| p.to_string()).as_deref(),
            Some("8,5")
        );
        assert_eq!(Points::whole(100).map(|p| p.to_string()).as_deref(), Some("100"));
        assert_eq!(
            Points::from_hundredths(347).map(|p| p.format_vi()).as_deref(),
            Some("3,47")
        );
    }

    #[test]
    fn subtracting_more_points_than_there_are_leaves_zero() {
        let (a, b) = (Points::whole(3), Points::whole(5));
        assert_eq!(a.zip(b).map(|(a, b)| a.minus(b)), Some(Points::ZERO));
    }

    #[test]
    fn equal_keys_share_a_rank_and_the_next_rank_is_skipped() {
        let ranks = competition_ranks(&[90, 85, 85, 80, 80, 80, 70]);
        let numbers: Vec<u32> = ranks.iter().map(|r| r.0).collect();
        assert_eq!(numbers, [1, 2, 2, 4, 4, 4, 7]);
        let tied: Vec<bool> = ranks.iter().map(|r| r.1).collect();
        assert_eq!(tied, [false, true, true, true, true, true, false]);
    }
}
