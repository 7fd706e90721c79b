//! Chấm điểm thi đua — scoring a unit against a criteria set, in three steps that each
//! keep their own numbers: the unit's self-score (tự chấm), the cluster's score (cụm
//! chấm) and the upper level's adjustment (cấp trên điều chỉnh). A later step only
//! needs the items it changes: what it leaves out stays as the step before gave it.
//!
//! Computed items are never typed: [`compute_items`] fills them from the unit's accepted,
//! rolled-up figures. Totals never exceed the scale: bonus counts up to the set's cap,
//! the criteria and bonus together up to the scale, and penalties come off after that
//! (a bonus cannot hide a penalty). [`rank`] orders units by total with competition
//! ranking (1, 2, 2, 4) and Vietnamese order among equals.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::access::Access;
use crate::code::{IndicatorCode, UnitCode};
use crate::emulation::criteria::{CriteriaSet, Criterion, CriterionCode, Entry};
use crate::emulation::{Points, competition_ranks};
use crate::error::Error;
use crate::number::format_decimal_trimmed;
use crate::rollup::Figures;
use crate::text::{Collator, nfc};

/// Bước chấm — who gave a set of numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScoreStep {
    /// Tự chấm — the unit scores itself, with evidence.
    #[serde(rename = "self")]
    SelfScore,
    /// Cụm chấm — the cluster (its chair, at the review) scores the unit.
    Cluster,
    /// Cấp trên điều chỉnh — the upper level adjusts.
    Upper,
}

impl ScoreStep {
    /// The three steps in order.
    pub const ALL: [ScoreStep; 3] = [ScoreStep::SelfScore, ScoreStep::Cluster, ScoreStep::Upper];

    /// Parses the stored spelling (`self`, `cluster`, `upper`).
    pub fn parse(raw: &str) -> Result<ScoreStep, Error> {
        match raw.trim() {
            "self" => Ok(ScoreStep::SelfScore),
            "cluster" => Ok(ScoreStep::Cluster),
            "upper" => Ok(ScoreStep::Upper),
            _ => Err(Error::InvalidField {
                field: "bước chấm điểm",
                value: raw.to_owned(),
                expected: "self, cluster hoặc upper",
            }),
        }
    }

    /// The stored spelling.
    pub fn as_str(&self) -> &'static str {
        match self {
            ScoreStep::SelfScore => "self",
            ScoreStep::Cluster => "cluster",
            ScoreStep::Upper => "upper",
        }
    }

    /// The Vietnamese name, as a column heading.
    pub fn label_vi(&self) -> &'static str {
        match self {
            ScoreStep::SelfScore => "Đơn vị tự chấm",
            ScoreStep::Cluster => "Cụm chấm",
            ScoreStep::Upper => "Cấp trên điều chỉnh",
        }
    }

    fn index(self) -> usize {
        match self {
            ScoreStep::SelfScore => 0,
            ScoreStep::Cluster => 1,
            ScoreStep::Upper => 2,
        }
    }
}

/// Điểm một mục — the points given to one item, bonus or penalty rule, with the
/// evidence or reason in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    /// The points.
    pub points: Points,
    /// Minh chứng / ghi chú — evidence or reason ("Kế hoạch số 12/KH-MTTQ ngày …").
    pub note: String,
}

/// Bảng chấm điểm — one step's marks, checked against a criteria set: every code names
/// an item (not a group), a bonus or a penalty rule of the set, and no mark exceeds its
/// maximum.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ScoreCard {
    marks: BTreeMap<CriterionCode, Mark>,
}

impl ScoreCard {
    /// Checks `marks` against `criteria`. Computed items are refused: they fill
    /// themselves ([`ScoreCard::with_computed`]).
    pub fn new(criteria: &CriteriaSet, marks: BTreeMap<CriterionCode, Mark>) -> Result<ScoreCard, Error> {
        let mut checked = BTreeMap::new();
        for (code, mark) in marks {
            let refuse = |reason: String| Error::InvalidScore {
                code: code.to_string(),
                reason,
            };
            let (max, per_case) = match criteria.find(&code) {
                None => return Err(refuse("không có trong bảng tiêu chí".into())),
                Some(Entry::Criterion(c)) if c.is_group() => {
                    return Err(refuse("là nhóm tiêu chí; hãy chấm từng tiêu chí trong nhóm".into()));
                }
                Some(Entry::Criterion(c)) if c.computation().is_some() => {
                    return Err(refuse("được tính tự động từ số liệu đã duyệt, không chấm tay".into()));
                }
                Some(Entry::Criterion(c)) => (c.max, None),
                Some(Entry::Bonus(r) | Entry::Penalty(r)) => (r.max, r.per_case),
            };
            if mark.points > max {
                return Err(refuse(format!("{} điểm vượt điểm tối đa {max}", mark.points)));
            }
            if let Some(step) = per_case
                && mark.points.hundredths() % step.hundredths() != 0
            {
                return Err(refuse(format!(
                    "{} điểm không phải là bội số của {step} điểm mỗi lần",
                    mark.points
                )));
            }
            checked.insert(
                code,
                Mark {
                    points: mark.points,
                    note: nfc(&mark.note),
                },
            );
        }
        Ok(ScoreCard { marks: checked })
    }

    /// Rebuilds a stored card, computed items included (as they were computed when the
    /// card was saved). Every code must still name an item, bonus or penalty rule of
    /// `criteria`, within its maximum.
    pub fn restore(criteria: &CriteriaSet, marks: BTreeMap<CriterionCode, Mark>) -> Result<ScoreCard, Error> {
        let (computed, manual): (BTreeMap<_, _>, BTreeMap<_, _>) = marks.into_iter().partition(
            |(code, _)| matches!(criteria.find(code), Some(Entry::Criterion(c)) if c.computation().is_some()),
        );
        let mut card = ScoreCard::new(criteria, manual)?;
        for (code, mark) in computed {
            let max = match criteria.find(&code) {
                Some(Entry::Criterion(c)) => c.max,
                _ => Points::ZERO,
            };
            if mark.points > max {
                return Err(Error::InvalidScore {
                    code: code.to_string(),
                    reason: format!("{} điểm vượt điểm tối đa {max}", mark.points),
                });
            }
            card.marks.insert(code, mark);
        }
        Ok(card)
    }

    /// The marks, by code.
    pub fn marks(&self) -> &BTreeMap<CriterionCode, Mark> {
        &self.marks
    }

    /// The mark of one code.
    pub fn get(&self, code: &CriterionCode) -> Option<&Mark> {
        self.marks.get(code)
    }

    /// Whether nothing is marked.
    pub fn is_empty(&self) -> bool {
        self.marks.is_empty()
    }

    /// The card with its computed items set from `computed` (replacing any earlier value).
    pub fn with_computed(mut self, computed: &[ComputedScore]) -> ScoreCard {
        for c in computed {
            self.marks.insert(
                c.code.clone(),
                Mark {
                    points: c.points,
                    note: c.note(),
                },
            );
        }
        self
    }

    /// This card with `later`'s marks laid over it: what a later step gave wins, what it
    /// left out stays.
    pub fn overlaid_with(&self, later: &ScoreCard) -> ScoreCard {
        let mut marks = self.marks.clone();
        marks.extend(later.marks.iter().map(|(k, v)| (k.clone(), v.clone())));
        ScoreCard { marks }
    }

    /// The totals of this card under `criteria`; codes the set does not know count for
    /// nothing.
    pub fn totals(&self, criteria: &CriteriaSet) -> Totals {
        let points = |code: &CriterionCode| self.marks.get(code).map(|m| m.points);
        fn sum_of(c: &Criterion, points: &dyn Fn(&CriterionCode) -> Option<Points>) -> Points {
            if c.is_group() {
                c.children().iter().map(|child| sum_of(child, points)).sum()
            } else {
                points(&c.code).unwrap_or(Points::ZERO).min(c.max)
            }
        }
        let groups: Vec<GroupTotal> = criteria
            .groups()
            .iter()
            .map(|g| GroupTotal {
                code: g.code.clone(),
                name: g.name.clone(),
                max: g.max,
                points: sum_of(g, &points),
            })
            .collect();
        let criteria_points: Points = groups.iter().map(|g| g.points).sum();
        let bonus_claimed: Points = criteria
            .bonuses()
            .iter()
            .map(|r| points(&r.code).unwrap_or(Points::ZERO).min(r.max))
            .sum();
        let penalty_claimed: Points = criteria
            .penalties()
            .iter()
            .map(|r| points(&r.code).unwrap_or(Points::ZERO).min(r.max))
            .sum();
        let bonus = bonus_claimed.min(criteria.bonus_cap());
        let penalty = criteria
            .penalty_cap()
            .map_or(penalty_claimed, |cap| penalty_claimed.min(cap));
        let total = criteria_points.plus(bonus).min(criteria.scale()).minus(penalty);
        Totals {
            groups,
            criteria: criteria_points,
            bonus_claimed,
            bonus,
            penalty,
            total,
            scale: criteria.scale(),
            unscored: criteria
                .items()
                .into_iter()
                .filter(|c| !self.marks.contains_key(&c.code))
                .map(|c| c.code.clone())
                .collect(),
        }
    }
}

/// The points of one top-level group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupTotal {
    /// The group's code.
    pub code: CriterionCode,
    /// Its wording.
    pub name: String,
    /// Its maximum.
    pub max: Points,
    /// What the card gives it.
    pub points: Points,
}

/// Tổng điểm — a card's totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Each top-level group's points.
    pub groups: Vec<GroupTotal>,
    /// The criteria's points together.
    pub criteria: Points,
    /// Bonus points given, before the cap.
    pub bonus_claimed: Points,
    /// Bonus points counted (capped).
    pub bonus: Points,
    /// Penalty points taken (capped when the set caps them).
    pub penalty: Points,
    /// Tổng điểm — min(scale, criteria + bonus) − penalty, never below 0.
    pub total: Points,
    /// The set's scale.
    pub scale: Points,
    /// Items not scored yet.
    pub unscored: Vec<CriterionCode>,
}

/// The figure and points of one computed item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComputedScore {
    /// The item.
    pub code: CriterionCode,
    /// The measured figure, when it could be computed.
    pub value: Option<f64>,
    /// The item's target.
    pub target: f64,
    /// The points earned.
    pub points: Points,
}

impl ComputedScore {
    /// The note kept with the mark: "Số liệu: 98,17 (chỉ tiêu 95)".
    pub fn note(&self) -> String {
        let target = format_decimal_trimmed(self.target, 2);
        match self.value {
            Some(v) => format!("Số liệu: {} (chỉ tiêu {target})", format_decimal_trimmed(v, 2)),
            None => format!("Chưa có số liệu (chỉ tiêu {target})"),
        }
    }
}

/// Fills every computed item of `criteria` from a unit's rolled-up figures, read through
/// `lookup` (the unit's accepted figures for the year).
pub fn compute_items(criteria: &CriteriaSet, lookup: &dyn Fn(&IndicatorCode) -> Option<f64>) -> Vec<ComputedScore> {
    criteria
        .items()
        .into_iter()
        .filter_map(|item| {
            let computation = item.computation()?;
            let value = computation.measure.evaluate(lookup);
            Some(ComputedScore {
                code: item.code.clone(),
                value,
                target: computation.target,
                points: computation.points(item.max, value),
            })
        })
        .collect()
}

/// [`compute_items`] over a unit's [`Figures`] from the rollup.
pub fn compute_items_from(criteria: &CriteriaSet, figures: &Figures) -> Vec<ComputedScore> {
    compute_items(criteria, &|code| figures.number(code))
}

/// Which part of the table a comparison row belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Section {
    /// A group or item of the criteria.
    Criteria,
    /// A bonus rule.
    Bonus,
    /// A penalty rule.
    Penalty,
}

/// One line of the side-by-side table: the points in force after each step (`None` when
/// that step has not scored at all, or nothing scored the line yet).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComparisonRow {
    /// The code.
    pub code: CriterionCode,
    /// The wording.
    pub name: String,
    /// Nesting depth (0 for a group, bonus or penalty rule).
    pub depth: usize,
    /// Criteria, bonus or penalty.
    pub section: Section,
    /// Whether the line is a group (its points are its items' sum).
    pub is_group: bool,
    /// Its maximum.
    pub max: Points,
    /// After the self-score.
    pub self_score: Option<Points>,
    /// After the cluster's score.
    pub cluster: Option<Points>,
    /// After the upper level's adjustment.
    pub upper: Option<Points>,
    /// What counts: the last step's.
    pub final_points: Option<Points>,
    /// Whether the steps that scored the line disagree.
    pub differs: bool,
}

/// Bảng so sánh — the three steps side by side, with each step's totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Comparison {
    /// Every group, item, bonus and penalty rule, in table order.
    pub rows: Vec<ComparisonRow>,
    /// Totals after each step that has scored, in step order.
    pub totals: Vec<(ScoreStep, Totals)>,
    /// The totals that count (after the last step).
    pub final_totals: Totals,
}

/// The card in force after each step: each step's marks over the one before. `None` for
/// a step that has not scored.
pub fn effective_cards(cards: [Option<&ScoreCard>; 3]) -> [Option<ScoreCard>; 3] {
    let mut out: [Option<ScoreCard>; 3] = [None, None, None];
    let mut running: Option<ScoreCard> = None;
    for (i, card) in cards.into_iter().enumerate() {
        if let Some(card) = card {
            let next = running.as_ref().map_or_else(|| card.clone(), |r| r.overlaid_with(card));
            out[i] = Some(next.clone());
            running = Some(next);
        }
    }
    out
}

/// The card that counts: the upper level's over the cluster's over the self-score.
pub fn final_card(cards: [Option<&ScoreCard>; 3]) -> ScoreCard {
    effective_cards(cards).into_iter().flatten().last().unwrap_or_default()
}

/// Puts the steps side by side: per line, self / cluster / upper / final.
pub fn compare(criteria: &CriteriaSet, cards: [Option<&ScoreCard>; 3]) -> Comparison {
    let effective = effective_cards(cards);
    let final_index = effective.iter().rposition(Option::is_some);
    fn points_of(c: &Criterion, card: &ScoreCard) -> Option<Points> {
        if c.is_group() {
            let parts: Vec<Points> = c.children().iter().filter_map(|ch| points_of(ch, card)).collect();
            (!parts.is_empty()).then(|| parts.into_iter().sum())
        } else {
            card.get(&c.code).map(|m| m.points)
        }
    }
    let row = |code: &CriterionCode,
               name: &str,
               depth: usize,
               section: Section,
               is_group: bool,
               max: Points,
               at: &dyn Fn(&ScoreCard) -> Option<Points>| {
        let by_step: Vec<Option<Points>> = effective.iter().map(|c| c.as_ref().and_then(at)).collect();
        let given: Vec<Points> = by_step.iter().flatten().copied().collect();
        ComparisonRow {
            code: code.clone(),
            name: name.to_owned(),
            depth,
            section,
            is_group,
            max,
            self_score: by_step[ScoreStep::SelfScore.index()],
            cluster: by_step[ScoreStep::Cluster.index()],
            upper: by_step[ScoreStep::Upper.index()],
            final_points: final_index.and_then(|i| by_step[i]),
            differs: given.windows(2).any(|w| w[0] != w[1]),
        }
    };
    let mut rows = Vec::new();
    for r in criteria.rows() {
        let c = r.criterion;
        rows.push(row(
            &c.code,
            &c.name,
            r.depth,
            Section::Criteria,
            c.is_group(),
            c.max,
            &|card| points_of(c, card),
        ));
    }
    for (section, rules) in [
        (Section::Bonus, criteria.bonuses()),
        (Section::Penalty, criteria.penalties()),
    ] {
        for rule in rules {
            rows.push(row(&rule.code, &rule.name, 0, section, false, rule.max, &|card| {
                card.get(&rule.code).map(|m| m.points)
            }));
        }
    }
    let totals: Vec<(ScoreStep, Totals)> = ScoreStep::ALL
        .iter()
        .zip(&effective)
        .filter_map(|(step, card)| card.as_ref().map(|c| (*step, c.totals(criteria))))
        .collect();
    let final_totals = totals
        .last()
        .map_or_else(|| ScoreCard::default().totals(criteria), |(_, t)| t.clone());
    Comparison {
        rows,
        totals,
        final_totals,
    }
}

/// Whether the user may give `step`'s numbers for `unit` in `year`: the unit's own
/// officers self-score; the chair of a cluster the unit belongs to that year scores for
/// the cluster; the upper level above the unit adjusts; an admin may do the last two.
pub fn may_score(access: &Access, unit: &UnitCode, year: i32, step: ScoreStep) -> bool {
    match step {
        ScoreStep::SelfScore => access.can_enter(unit),
        ScoreStep::Cluster => access.can_administer() || access.chaired_clusters(year).any(|c| c.has_member(unit)),
        ScoreStep::Upper => access.can_reopen(unit),
    }
}

/// A unit's total, to be ranked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scored {
    /// The unit.
    pub unit: UnitCode,
    /// Its name, for the order among equals.
    pub name: String,
    /// Its total.
    pub total: Points,
}

/// Xếp hạng — a unit's place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Standing {
    /// Its rank: 1, 2, 2, 4 (equal totals share a rank, the next rank is skipped).
    pub rank: u32,
    /// Whether it shares its rank ("đồng hạng").
    pub tied: bool,
    /// The unit.
    pub unit: UnitCode,
    /// Its name.
    pub name: String,
    /// Its total.
    pub total: Points,
}

/// Ranks units by total, highest first, with competition ranking; units with equal
/// totals are listed in Vietnamese order of their names (then by code).
pub fn rank(mut scored: Vec<Scored>, collator: &Collator) -> Vec<Standing> {
    scored.sort_by(|a, b| {
        b.total
            .cmp(&a.total)
            .then_with(|| collator.compare(&a.name, &b.name))
            .then_with(|| a.unit.cmp(&b.unit))
    });
    let totals: Vec<Points> = scored.iter().map(|s| s.total).collect();
    scored
        .into_iter()
        .zip(competition_ranks(&totals))
        .map(|(s, (rank, tied))| Standing {
            rank,
            tied,
            unit: s.unit,
            name: s.name,
            total: s.total,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulation::criteria::tests::sample;
    use proptest::prelude::*;

    fn code(c: &str) -> CriterionCode {
        CriterionCode::parse(c).unwrap()
    }

    fn pts(x: f64) -> Points {
        Points::from_f64(x).unwrap_or_else(|| panic!("{x}"))
    }

    fn marks(pairs: &[(&str, f64)]) -> BTreeMap<CriterionCode, Mark> {
        pairs
            .iter()
            .map(|(c, p)| {
                (
                    code(c),
                    Mark {
                        points: pts(*p),
                        note: String::new(),
                    },
                )
            })
            .collect()
    }

    fn card(pairs: &[(&str, f64)]) -> ScoreCard {
        ScoreCard::new(&sample(), marks(pairs)).unwrap()
    }

    fn refused(pairs: &[(&str, f64)]) -> String {
        ScoreCard::new(&sample(), marks(pairs))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn a_mark_above_the_item_s_maximum_is_refused_and_names_the_item() {
        assert_eq!(
            refused(&[("I.1", 31.0)]),
            "bảng chấm điểm, mục I.1: 31 điểm vượt điểm tối đa 30"
        );
    }

    #[test]
    fn groups_unknown_codes_and_computed_items_cannot_be_marked_by_hand() {
        assert!(refused(&[("II", 10.0)]).contains("là nhóm tiêu chí"));
        assert!(refused(&[("IX.9", 1.0)]).contains("không có trong bảng tiêu chí"));
        assert!(refused(&[("I.2", 1.0)]).contains("được tính tự động"));
    }

    #[test]
    fn a_stored_card_comes_back_with_its_computed_items() {
        let computed = card(&[("I.1", 20.0)]).with_computed(&[ComputedScore {
            code: code("I.2"),
            value: Some(90.0),
            target: 95.0,
            points: pts(20.0),
        }]);
        let restored = ScoreCard::restore(&sample(), computed.marks().clone());
        assert_eq!(restored.as_ref().ok(), Some(&computed));
        let mut too_many = computed.marks().clone();
        if let Some(m) = too_many.get_mut(&code("I.2")) {
            m.points = pts(31.0);
        }
        assert!(ScoreCard::restore(&sample(), too_many).is_err());
    }

    #[test]
    fn a_bonus_counted_per_case_must_be_a_whole_number_of_cases() {
        assert!(refused(&[("T1", 1.5)]).contains("không phải là bội số của 1 điểm mỗi lần"));
        assert!(ScoreCard::new(&sample(), marks(&[("P1", 1.5)])).is_ok());
    }

    #[test]
    fn the_total_adds_items_and_capped_bonus_then_takes_penalties() {
        let totals = card(&[
            ("I.1", 28.0),
            ("II.1", 20.5),
            ("II.2", 15.0),
            ("T1", 3.0),
            ("T2", 4.0),
            ("P1", 1.0),
        ])
        .totals(&sample());
        assert_eq!(totals.criteria, pts(63.5));
        assert_eq!(totals.bonus_claimed, pts(7.0));
        assert_eq!(totals.bonus, pts(5.0), "bonus is capped at 5");
        assert_eq!(totals.total, pts(67.5));
        assert_eq!(totals.unscored, vec![code("I.2")]);
    }

    #[test]
    fn a_bonus_cannot_lift_the_total_above_the_scale_nor_hide_a_penalty() {
        let full = card(&[("I.1", 30.0), ("II.1", 25.0), ("II.2", 15.0), ("T2", 5.0), ("P1", 2.0)]).with_computed(&[
            ComputedScore {
                code: code("I.2"),
                value: Some(99.0),
                target: 95.0,
                points: pts(30.0),
            },
        ]);
        let totals = full.totals(&sample());
        assert_eq!(totals.criteria, pts(100.0));
        assert_eq!(totals.total, pts(98.0));
    }

    #[test]
    fn computed_items_fill_themselves_from_the_figures() {
        let cremation = code("I.2");
        let figures = |rate: Option<f64>| {
            compute_items(&sample(), &|c| {
                (c.as_str() == "TY_LE_HOA_TANG").then_some(rate).flatten()
            })
        };
        let reached = figures(Some(98.17));
        assert_eq!(reached.len(), 1);
        assert_eq!((reached[0].code.clone(), reached[0].points), (cremation, pts(30.0)));
        assert_eq!(reached[0].note(), "Số liệu: 98,17 (chỉ tiêu 95)");
        assert_eq!(figures(Some(87.5))[0].points, pts(15.0));
        assert_eq!(figures(None)[0].note(), "Chưa có số liệu (chỉ tiêu 95)");
    }

    #[test]
    fn the_comparison_shows_each_step_and_what_counts_in_the_end() {
        let own = card(&[("I.1", 30.0), ("II.1", 25.0), ("T1", 2.0)]);
        let cluster = card(&[("I.1", 27.0)]);
        let upper = card(&[("II.1", 24.0)]);
        let cmp = compare(&sample(), [Some(&own), Some(&cluster), Some(&upper)]);
        let line = |c: &str| {
            cmp.rows
                .iter()
                .find(|r| r.code.as_str() == c)
                .map(|r| (r.self_score, r.cluster, r.upper, r.final_points, r.differs))
        };
        let p = |x: f64| Some(pts(x));
        assert_eq!(line("I.1"), Some((p(30.0), p(27.0), p(27.0), p(27.0), true)));
        assert_eq!(line("II.1"), Some((p(25.0), p(25.0), p(24.0), p(24.0), true)));
        assert_eq!(line("T1"), Some((p(2.0), p(2.0), p(2.0), p(2.0), false)));
        assert_eq!(
            line("I"),
            Some((p(30.0), p(27.0), p(27.0), p(27.0), true)),
            "a group sums its items"
        );
        assert_eq!(line("II.2"), Some((None, None, None, None, false)));
        assert_eq!(cmp.totals.len(), 3);
        assert_eq!(cmp.final_totals.total, pts(53.0));
    }

    #[test]
    fn a_step_that_has_not_scored_shows_nothing_and_the_last_step_counts() {
        let own = card(&[("I.1", 30.0)]);
        let cmp = compare(&sample(), [Some(&own), None, None]);
        let first = cmp.rows.iter().find(|r| r.code.as_str() == "I.1");
        assert_eq!(
            first.map(|r| (r.cluster, r.final_points)),
            Some((None, Some(pts(30.0))))
        );
        assert_eq!(cmp.final_totals.total, pts(30.0));
    }

    #[test]
    fn officers_self_score_chairs_score_for_the_cluster_and_the_upper_level_adjusts() {
        use crate::access::{Principal, Role};
        use crate::cluster::Cluster;
        use crate::unit::{Unit, UnitTree};
        let code = |c: &str| UnitCode::parse(c).unwrap();
        let unit = |c: &str, parent: Option<&str>| Unit {
            code: code(c),
            name: c.into(),
            kind: "district".into(),
            parent: parent.map(code),
            valid_from: None,
            valid_to: None,
        };
        let tree = UnitTree::new([unit("HN", None), unit("HD", Some("HN")), unit("CG", Some("HN"))]).unwrap();
        let clusters = [Cluster {
            code: crate::ClusterCode::parse("CUM2").unwrap(),
            name: "Cụm 2".into(),
            year: 2022,
            members: vec![code("HD"), code("CG")],
            chair: Some(code("HD")),
            deputy: None,
            host: None,
        }];
        let who = |role: Role, unit: &str| Principal {
            user_id: 1,
            username: "u".into(),
            role,
            unit: Some(code(unit)),
        };
        let may = |p: &Principal, unit: &str, step: ScoreStep| {
            may_score(&Access::new(p, &tree, &clusters), &code(unit), 2022, step)
        };
        let officer = who(Role::Officer, "CG");
        assert!(may(&officer, "CG", ScoreStep::SelfScore) && !may(&officer, "HD", ScoreStep::SelfScore));
        assert!(!may(&officer, "CG", ScoreStep::Cluster) && !may(&officer, "CG", ScoreStep::Upper));
        let chair = who(Role::Chair, "HD");
        assert!(may(&chair, "CG", ScoreStep::Cluster) && !may(&chair, "CG", ScoreStep::Upper));
        assert!(
            !may_score(
                &Access::new(&chair, &tree, &clusters),
                &code("CG"),
                2023,
                ScoreStep::Cluster
            ),
            "the chair rotates yearly"
        );
        let upper = who(Role::Upper, "HN");
        assert!(may(&upper, "CG", ScoreStep::Upper) && !may(&upper, "CG", ScoreStep::SelfScore));
    }

    fn scored(unit: &str, name: &str, total: f64) -> Scored {
        Scored {
            unit: UnitCode::parse(unit).unwrap(),
            name: name.into(),
            total: pts(total),
        }
    }

    #[test]
    fn equal_totals_share_a_rank_listed_in_vietnamese_order() {
        let standings = rank(
            vec![
                scored("TH", "Tây Hồ", 92.5),
                scored("HD", "Hà Đông", 97.0),
                scored("TX", "Thanh Xuân", 95.0),
                scored("CG", "Cầu Giấy", 95.0),
                scored("BTL", "Bắc Từ Liêm", 92.5),
            ],
            &Collator::new(),
        );
        let table: Vec<(u32, &str, bool)> = standings.iter().map(|s| (s.rank, s.name.as_str(), s.tied)).collect();
        assert_eq!(
            table,
            [
                (1, "Hà Đông", false),
                (2, "Cầu Giấy", true),
                (2, "Thanh Xuân", true),
                (4, "Bắc Từ Liêm", true),
                (4, "Tây Hồ", true),
            ]
        );
    }

    /// Any marks within each line's maximum, in hundredths, often the maximum itself.
    fn any_card() -> impl Strategy<Value = ScoreCard> {
        let set = sample();
        let lines: Vec<(CriterionCode, i64, i64)> = set
            .items()
            .into_iter()
            .filter(|c| c.computation().is_none())
            .map(|c| (c.code.clone(), c.max.hundredths(), 1))
            .chain(set.bonuses().iter().map(|r| {
                (
                    r.code.clone(),
                    r.max.hundredths(),
                    r.per_case.map_or(1, Points::hundredths),
                )
            }))
            .chain(set.penalties().iter().map(|r| {
                (
                    r.code.clone(),
                    r.max.hundredths(),
                    r.per_case.map_or(1, Points::hundredths),
                )
            }))
            .collect();
        let strategies: Vec<_> = lines
            .into_iter()
            .map(|(code, max, step)| {
                // Full marks half the time, so totals often press against the scale.
                prop_oneof![Just(Some(max / step)), proptest::option::of(0..=max / step)]
                    .prop_map(move |n| (code.clone(), n.map(|n| n * step)))
            })
            .collect();
        let computed = prop_oneof![Just(Some(3000i64)), proptest::option::of(0i64..=3000)];
        (strategies, computed).prop_map(|(pairs, computed)| {
            let marks = pairs
                .into_iter()
                .filter_map(|(code, h)| {
                    Some((
                        code,
                        Mark {
                            points: Points::from_hundredths(h?)?,
                            note: String::new(),
                        },
                    ))
                })
                .collect();
            let card = ScoreCard::new(&sample(), marks).expect("the strategy makes valid marks");
            match computed.and_then(Points::from_hundredths) {
                Some(points) => card.with_computed(&[ComputedScore {
                    code: CriterionCode::parse("I.2").unwrap(),
                    value: None,
                    target: 95.0,
                    points,
                }]),
                None => card,
            }
        })
    }

    proptest! {
        #[test]
        fn totals_never_exceed_the_scale(cards in proptest::collection::vec(any_card(), 1..=3)) {
            let set = sample();
            let refs: Vec<Option<&ScoreCard>> = cards.iter().map(Some).chain([None, None]).take(3).collect();
            let totals = final_card([refs[0], refs[1], refs[2]]).totals(&set);
            prop_assert!(totals.total <= set.scale());
            prop_assert!(totals.bonus <= set.bonus_cap());
            prop_assert!(totals.criteria <= set.criteria_max());
            for g in &totals.groups {
                prop_assert!(g.points <= g.max);
            }
        }

        #[test]
        fn a_later_step_only_changes_the_lines_it_marks(a in any_card(), b in any_card()) {
            let merged = a.overlaid_with(&b);
            for (code, mark) in merged.marks() {
                let expected = b.get(code).or_else(|| a.get(code));
                prop_assert_eq!(Some(mark), expected);
            }
        }

        #[test]
        fn ranking_is_independent_of_input_order(
            (units, shuffled) in proptest::collection::vec(0i64..=20, 1..8).prop_flat_map(|totals| {
                let names = ["Hà Đông", "Thanh Xuân", "Cầu Giấy", "Tây Hồ", "Bắc Từ Liêm", "Nam Từ Liêm", "Ba Đình", "Đống Đa"];
                let units: Vec<Scored> = totals
                    .iter()
                    .enumerate()
                    .map(|(i, t)| scored(&format!("U{i}"), names[i], *t as f64 * 5.0))
                    .collect();
                (Just(units.clone()), Just(units).prop_shuffle())
            }),
        ) {
            let collator = Collator::new();
            let a = rank(units, &collator);
            let b = rank(shuffled, &collator);
            prop_assert_eq!(&a, &b);
            for (i, s) in a.iter().enumerate() {
                if i > 0 && a[i - 1].total == s.total {
                    prop_assert_eq!(s.rank, a[i - 1].rank);
                } else {
                    prop_assert_eq!(s.rank as usize, i + 1);
                }
                prop_assert!(i == 0 || a[i - 1].total >= s.total);
            }
        }
    }
}
