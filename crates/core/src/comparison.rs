//! So sánh, xếp hạng — the pure computations behind comparing a cluster's members and a
//! unit's periods: how a figure changed against an earlier one (absolute and %), the share
//! of a target reached, the cluster's average on an indicator, the members ranked on one
//! indicator, the reporting rate and on-time rate as DHIS2 defines them, and the check of
//! a figure against the unit's own history (DHIS2's z-score outlier analysis).
//!
//! A member without a figure is never counted as 0: it has no change, no rank and no
//! place in an average; callers show it as having none.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::code::IndicatorCode;
use crate::emulation::competition_ranks;
use crate::emulation::criteria::CriteriaSet;
use crate::indicator::Indicator;
use crate::number::format_decimal;
use crate::period::{Period, PeriodType};
use crate::text::Collator;

/// Thay đổi — how a figure moved from an earlier one.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Change {
    /// The earlier figure.
    pub base: f64,
    /// Now minus then.
    pub absolute: f64,
    /// The change as a percentage of the earlier figure; `None` when that was 0 (a
    /// change from nothing has no percentage).
    pub percent: Option<f64>,
}

/// The change from `base` to `current`.
pub fn change(current: f64, base: f64) -> Change {
    let absolute = current - base;
    let percent = (base != 0.0).then(|| absolute / base.abs() * 100.0);
    Change {
        base,
        absolute,
        percent: percent.filter(|p| p.is_finite()),
    }
}

/// The share of `target` that `value` reached, in percent; `None` for a target of 0 or
/// less (nothing to reach).
pub fn share_of_target(value: f64, target: f64) -> Option<f64> {
    (target > 0.0).then(|| value / target * 100.0).filter(|p| p.is_finite())
}

/// Chỉ tiêu của bảng tiêu chí — the targets a year's criteria set gives single indicators:
/// every computed item that measures one indicator as it stands ("TY_LE_HOA_TANG", full
/// points at 95). An item measuring a formula over several ("HV_HOI_CHO + HV_CHUYEN_HANG")
/// is a target for none of them; of two items on one indicator the first counts.
pub fn criteria_targets(set: &CriteriaSet) -> BTreeMap<IndicatorCode, f64> {
    let mut targets = BTreeMap::new();
    for computation in set.items().into_iter().filter_map(|c| c.computation()) {
        let references = computation.measure.references();
        if let [code] = references.into_iter().collect::<Vec<_>>()[..]
            && computation.measure.source().trim() == code.as_str()
        {
            targets.entry(code.clone()).or_insert(computation.target);
        }
    }
    targets
}

/// Bình quân cụm — what a member is compared with: for a computed indicator (a rate) the
/// cluster's own figure, computed on its summed counts (an average of the members' rates
/// would weigh a small district like a large one); for a reported one the mean of the
/// members that have a figure.
pub fn cluster_average(
    indicator: &Indicator,
    members: impl IntoIterator<Item = Option<f64>>,
    total: Option<f64>,
) -> Option<f64> {
    if indicator.is_computed() {
        return total;
    }
    let (sum, count) = members
        .into_iter()
        .flatten()
        .filter(|x| x.is_finite())
        .fold((0.0, 0u32), |(s, n), x| (s + x, n + 1));
    (count > 0).then(|| sum / f64::from(count))
}

/// One member's place on an indicator.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Place<T> {
    /// Its rank (1 is the highest figure); `None` without a figure.
    pub rank: Option<u32>,
    /// Whether another member shares the rank.
    pub tied: bool,
    /// Its figure.
    pub value: Option<f64>,
    /// The member.
    pub item: T,
}

/// Figures as they are shown (to the hundredth) decide ties: two rates both shown as
/// "98,14" share a rank even if the fifth decimal differs.
fn shown(x: f64) -> f64 {
    (x * 100.0).round()
}

/// Ranks members on one indicator, highest figure first, with competition ranking (1, 2,
/// 2, 4); equals are listed in Vietnamese order of their names. Members without a figure
/// come last, unranked, in Vietnamese order too.
pub fn rank_by_value<T>(items: Vec<(T, Option<f64>)>, name: impl Fn(&T) -> &str, collator: &Collator) -> Vec<Place<T>> {
    let (mut with, mut without): (Vec<_>, Vec<_>) = items.into_iter().partition(|(_, v)| v.is_some_and(f64::is_finite));
    with.sort_by(|(a, x), (b, y)| {
        let (x, y) = (shown(x.unwrap_or_default()), shown(y.unwrap_or_default()));
        y.total_cmp(&x).then_with(|| collator.compare(name(a), name(b)))
    });
    without.sort_by(|(a, _), (b, _)| collator.compare(name(a), name(b)));
    let keys: Vec<f64> = with.iter().map(|(_, v)| shown(v.unwrap_or_default())).collect();
    let ranked = with
        .into_iter()
        .zip(competition_ranks(&keys))
        .map(|((item, value), (rank, tied))| Place {
            rank: Some(rank),
            tied,
            value,
            item,
        });
    let unranked = without.into_iter().map(|(item, _)| Place {
        rank: None,
        tied: false,
        value: None,
        item,
    });
    ranked.chain(unranked).collect()
}

/// How one unit stands in a period's reporting, as the reporting rate counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reported {
    /// No form sent: none started, a draft, or a form returned to the unit.
    NotSent,
    /// Its form was sent for review (submitted or accepted); on time when sent by the
    /// reporting window's deadline.
    Sent {
        /// Sent by the deadline.
        on_time: bool,
    },
    /// No form, but its official figures were imported from a file, complete: reported,
    /// with no day of sending to be on time by.
    FromFile,
}

/// Tỷ lệ báo cáo — DHIS2's reporting rate: the reports received against those expected,
/// and those received by the deadline against those expected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ReportingRate {
    /// Reports expected: one per unit.
    pub expected: u32,
    /// Reports received: forms sent, and complete figures imported from a file.
    pub reported: u32,
    /// Forms sent by the deadline.
    pub on_time: u32,
    /// Of those received, imported from a file (never on time: they have no day sent).
    pub from_file: u32,
}

impl ReportingRate {
    /// The rate over the units' reporting.
    pub fn of(statuses: impl IntoIterator<Item = Reported>) -> ReportingRate {
        let mut rate = ReportingRate::default();
        for status in statuses {
            rate.expected += 1;
            match status {
                Reported::NotSent => {}
                Reported::Sent { on_time } => {
                    rate.reported += 1;
                    rate.on_time += u32::from(on_time);
                }
                Reported::FromFile => {
                    rate.reported += 1;
                    rate.from_file += 1;
                }
            }
        }
        rate
    }

    /// Reports received per 100 expected; `None` when none was expected.
    pub fn rate(&self) -> Option<f64> {
        percent(self.reported, self.expected)
    }

    /// Reports received by the deadline per 100 expected; `None` when none was expected.
    pub fn on_time_rate(&self) -> Option<f64> {
        percent(self.on_time, self.expected)
    }
}

fn percent(part: u32, whole: u32) -> Option<f64> {
    (whole > 0).then(|| f64::from(part) / f64::from(whole) * 100.0)
}

/// How far from its history a figure must be to be flagged: DHIS2's default z-score
/// threshold.
pub const Z_SCORE_LIMIT: f64 = 3.0;

/// Earlier periods with a figure needed before a figure is judged against them.
pub const MIN_EARLIER_PERIODS: usize = 4;

/// The rule, as the pages and the API state it.
pub const OUTLIER_RULE: &str = "Một số liệu được đánh dấu cần xem lại khi nó cách số trung bình của chính đơn vị đó trong các kỳ trước cùng loại quá 3 lần độ lệch chuẩn (|z| > 3, phương pháp z-score trong phân tích giá trị ngoại lai của DHIS2). Chỉ xét khi có ít nhất 4 kỳ trước có số liệu và số liệu các kỳ trước không bằng nhau hết.";

/// A figure against the unit's own earlier periods of the same type.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct HistoryCheck {
    /// Earlier periods with a figure.
    pub periods: usize,
    /// Their mean.
    pub mean: f64,
    /// Their standard deviation (of the population, as DHIS2 computes it).
    pub std_dev: f64,
    /// The smallest of them.
    pub min: f64,
    /// The largest of them.
    pub max: f64,
    /// How many standard deviations the figure lies from the mean; `None` with too few
    /// earlier periods or when they were all equal.
    pub z_score: Option<f64>,
    /// Whether the figure is flagged for review: |z| above [`Z_SCORE_LIMIT`].
    pub outlier: bool,
}

/// Checks `value` against the same unit's figures of earlier periods of the same type;
/// `None` when there are none.
pub fn check_against_history(value: f64, earlier: &[f64]) -> Option<HistoryCheck> {
    let earlier: Vec<f64> = earlier.iter().copied().filter(|x| x.is_finite()).collect();
    if earlier.is_empty() || !value.is_finite() {
        return None;
    }
    let n = earlier.len() as f64;
    let mean = earlier.iter().sum::<f64>() / n;
    let std_dev = (earlier.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
    let min = earlier.iter().copied().fold(f64::INFINITY, f64::min);
    let max = earlier.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    // All earlier figures equal: every change would be infinitely many deviations away;
    // DHIS2 leaves such series out, and so do we.
    let judged = earlier.len() >= MIN_EARLIER_PERIODS && std_dev > f64::EPSILON * mean.abs().max(1.0);
    let z_score = judged.then(|| (value - mean) / std_dev);
    Some(HistoryCheck {
        periods: earlier.len(),
        mean,
        std_dev,
        min,
        max,
        z_score,
        outlier: z_score.is_some_and(|z| z.abs() > Z_SCORE_LIMIT),
    })
}

/// The period of type `kind` that holds `period` (`2022Q3` → `2022S2`); `None` when
/// `period` is longer than `kind` (a year is in no half-year).
pub fn enclosing(period: Period, kind: PeriodType) -> Option<Period> {
    let candidate = match kind {
        PeriodType::Year => Period::Year(period.year()),
        PeriodType::HalfYear => Period::half_year_of(period.start()),
        PeriodType::Quarter => {
            let month = chrono::Datelike::month(&period.start());
            Period::Quarter(period.year(), u8::try_from(month.div_ceil(3)).unwrap_or(1))
        }
        PeriodType::Month => Period::Month(
            period.year(),
            u8::try_from(chrono::Datelike::month(&period.start())).unwrap_or(1),
        ),
    };
    candidate.contains(&period).then_some(candidate)
}

/// The `count` periods of the same type before `period`, oldest first.
pub fn earlier_periods(period: Period, count: usize) -> Vec<Period> {
    let mut out: Vec<Period> = std::iter::successors(Some(period.previous()), |p| Some(p.previous()))
        .take(count)
        .collect();
    out.reverse();
    out
}

/// A change in percent as a report writes it, to one decimal with its sign: "+12,5%",
/// "-3,2%", "0,0%".
pub fn format_percent_change(percent: f64) -> String {
    let text = format_decimal(percent, 1);
    if percent > 0.0 && text != "0,0" {
        format!("+{text}%")
    } else {
        format!("{text}%")
    }
}

/// A percentage to one decimal: "12,5%", "100,0%".
pub fn format_percent(percent: f64) -> String {
    format!("{}%", format_decimal(percent, 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicator::Aggregation;
    use crate::indicator::tests::indicator;

    fn p(code: &str) -> Period {
        Period::parse(code).unwrap()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn the_demo_criteria_set_targets_for_single_indicators_only() {
        let set =
            crate::emulation::criteria::parse_criteria_toml(include_str!("../../../data/demo/criteria-2022.toml"))
                .unwrap();
        let targets = criteria_targets(&set);
        let code = |c: &str| IndicatorCode::parse(c).unwrap();
        assert_eq!(targets.get(&code("TY_LE_HOA_TANG")), Some(&95.0));
        assert_eq!(targets.get(&code("QUY_BIEN_DAO")), Some(&1_500_000_000.0));
        // Fairs and trips are measured together: a target for neither.
        assert_eq!(targets.get(&code("HV_HOI_CHO")), None);
        assert_eq!(targets.get(&code("HV_CHUYEN_HANG")), None);
    }

    #[test]
    fn a_rise_from_80_to_100_is_20_more_and_25_percent() {
        let c = change(100.0, 80.0);
        assert!(close(c.absolute, 20.0));
        assert!(c.percent.is_some_and(|p| close(p, 25.0)));
    }

    #[test]
    fn a_change_from_nothing_has_no_percentage() {
        let c = change(5.0, 0.0);
        assert!(close(c.absolute, 5.0));
        assert_eq!(c.percent, None);
    }

    #[test]
    fn a_fall_is_a_negative_change() {
        let c = change(60.0, 80.0);
        assert!(c.percent.is_some_and(|p| close(p, -25.0)));
        assert_eq!(format_percent_change(-25.0), "-25,0%");
    }

    #[test]
    fn changes_are_written_vietnamese_style_with_their_sign() {
        assert_eq!(format_percent_change(12.5), "+12,5%");
        assert_eq!(format_percent_change(0.0), "0,0%");
        assert_eq!(format_percent_change(0.01), "0,0%");
        assert_eq!(format_percent(85.01), "85,0%");
        assert_eq!(format_percent_change(1234.56), "+1.234,6%");
    }

    #[test]
    fn the_share_of_a_target_is_a_percentage_and_a_target_of_zero_has_none() {
        assert!(share_of_target(150.0, 200.0).is_some_and(|p| close(p, 75.0)));
        assert_eq!(share_of_target(150.0, 0.0), None);
    }

    #[test]
    fn a_rate_s_cluster_average_is_the_cluster_s_own_rate_not_the_mean_of_the_members_rates() {
        let rate = indicator("RATE", Aggregation::Ratio, Some("100 * A / B"));
        // One small member at 100 %, one large at 10 %: the cluster's rate is its own.
        assert_eq!(
            cluster_average(&rate, [Some(100.0), Some(10.0)], Some(12.0)),
            Some(12.0)
        );
    }

    #[test]
    fn a_count_s_cluster_average_leaves_out_members_without_a_figure() {
        let count = indicator("COUNT", Aggregation::Sum, None);
        let average = cluster_average(&count, [Some(10.0), None, Some(20.0)], Some(30.0));
        assert_eq!(average, Some(15.0), "a member without a figure is not a zero");
        assert_eq!(cluster_average(&count, [None, None], None), None);
    }

    fn names<'a>(places: &[Place<&'a str>]) -> Vec<(Option<u32>, &'a str)> {
        places.iter().map(|p| (p.rank, p.item)).collect()
    }

    #[test]
    fn members_are_ranked_highest_first_and_equals_share_a_rank_in_vietnamese_order() {
        let collator = Collator::new();
        let items = vec![
            ("Tây Hồ", Some(90.0)),
            ("Ba Đình", Some(95.0)),
            ("Ân Thi", Some(90.0)),
            ("Cầu Giấy", Some(80.0)),
        ];
        let places = rank_by_value(items, |s| s, &collator);
        assert_eq!(
            names(&places),
            [
                (Some(1), "Ba Đình"),
                (Some(2), "Ân Thi"),
                (Some(2), "Tây Hồ"),
                (Some(4), "Cầu Giấy")
            ]
        );
        assert!(places[1].tied && places[2].tied && !places[0].tied);
    }

    #[test]
    fn a_member_without_a_figure_is_listed_last_without_a_rank_never_as_zero() {
        let collator = Collator::new();
        let items = vec![("Hà Đông", None), ("Tây Hồ", Some(0.0)), ("Cầu Giấy", Some(3.0))];
        let places = rank_by_value(items, |s| s, &collator);
        assert_eq!(
            names(&places),
            [(Some(1), "Cầu Giấy"), (Some(2), "Tây Hồ"), (None, "Hà Đông")]
        );
        assert_eq!(places[2].value, None);
    }

    #[test]
    fn rates_shown_alike_share_a_rank() {
        let collator = Collator::new();
        let items = vec![("B", Some(98.140_000_1)), ("A", Some(98.14))];
        let ranks: Vec<Option<u32>> = rank_by_value(items, |s| s, &collator).iter().map(|p| p.rank).collect();
        assert_eq!(ranks, [Some(1), Some(1)]);
    }

    #[test]
    fn the_reporting_rate_counts_reports_received_and_those_on_time_against_those_expected() {
        let rate = ReportingRate::of([
            Reported::Sent { on_time: true },
            Reported::Sent { on_time: false },
            Reported::FromFile,
            Reported::NotSent,
        ]);
        assert_eq!(
            rate,
            ReportingRate {
                expected: 4,
                reported: 3,
                on_time: 1,
                from_file: 1
            }
        );
        assert_eq!(rate.rate(), Some(75.0));
        assert_eq!(rate.on_time_rate(), Some(25.0));
    }

    #[test]
    fn no_unit_expected_has_no_rate() {
        let rate = ReportingRate::of([]);
        assert_eq!(rate.rate(), None);
        assert_eq!(rate.on_time_rate(), None);
    }

    #[test]
    fn a_figure_far_outside_the_unit_s_history_is_flagged() {
        let earlier = [100.0, 104.0, 96.0, 102.0, 98.0];
        let check = check_against_history(400.0, &earlier).unwrap();
        assert!(check.outlier);
        assert!(close(check.mean, 100.0));
        assert_eq!((check.min, check.max), (96.0, 104.0));
        assert!(check.z_score.is_some_and(|z| z > 3.0));
    }

    #[test]
    fn a_figure_within_the_unit_s_history_is_not_flagged() {
        let earlier = [100.0, 104.0, 96.0, 102.0, 98.0];
        let check = check_against_history(105.0, &earlier).unwrap();
        assert!(!check.outlier);
        assert!(check.z_score.is_some_and(|z| z.abs() < 3.0));
    }

    #[test]
    fn with_fewer_than_four_earlier_periods_a_figure_is_not_judged() {
        let check = check_against_history(10_000.0, &[100.0, 110.0, 90.0]).unwrap();
        assert_eq!(check.z_score, None);
        assert!(!check.outlier);
        assert_eq!(check_against_history(5.0, &[]), None);
    }

    #[test]
    fn a_history_of_equal_figures_is_not_judged() {
        let check = check_against_history(1.0, &[0.0, 0.0, 0.0, 0.0, 0.0]).unwrap();
        assert_eq!(check.z_score, None);
        assert!(!check.outlier);
    }

    #[test]
    fn a_quarter_lies_in_its_half_year_and_year_but_a_year_in_no_half_year() {
        assert_eq!(enclosing(p("2022Q3"), PeriodType::HalfYear), Some(p("2022S2")));
        assert_eq!(enclosing(p("202207"), PeriodType::Quarter), Some(p("2022Q3")));
        assert_eq!(enclosing(p("2022S1"), PeriodType::Year), Some(p("2022")));
        assert_eq!(enclosing(p("2022S1"), PeriodType::HalfYear), Some(p("2022S1")));
        assert_eq!(enclosing(p("2022"), PeriodType::HalfYear), None);
        assert_eq!(enclosing(p("2022S1"), PeriodType::Month), None);
    }

    #[test]
    fn the_earlier_periods_of_a_half_year_go_back_across_years_oldest_first() {
        assert_eq!(earlier_periods(p("2022S1"), 3), [p("2020S2"), p("2021S1"), p("2021S2")]);
        assert!(earlier_periods(p("2022"), 0).is_empty());
    }
}
