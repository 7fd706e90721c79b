//! Quy tắc kiểm tra — validation rules between indicators, such as
//! `TTND_DA_GIAI_QUYET <= TTND_KIEN_NGHI <= TTND_PHAT_HIEN` (cases resolved ≤ cases
//! referred ≤ cases found). Each side is a formula, so `TANG_HOA_TANG <= TANG_SO_DAM`
//! and `A + B <= C` are both rules. A rule whose operands are not all reported is not
//! checked: a half-filled form is not wrong, only incomplete.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::code::IndicatorCode;
use crate::error::Error;
use crate::formula::Formula;
use crate::number::format_decimal_trimmed;

/// A comparison between two neighbouring sides of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Comparison {
    /// `<`
    Less,
    /// `<=`
    LessOrEqual,
    /// `==`
    Equal,
    /// `>=`
    GreaterOrEqual,
    /// `>`
    Greater,
}

impl Comparison {
    fn holds(self, a: f64, b: f64) -> bool {
        // Values come from sums of whole numbers or from formulas; a tiny tolerance keeps
        // rounding in formulas from raising false alarms.
        const EPS: f64 = 1e-9;
        match self {
            Comparison::Less => a < b - EPS,
            Comparison::LessOrEqual => a <= b + EPS,
            Comparison::Equal => (a - b).abs() <= EPS,
            Comparison::GreaterOrEqual => a + EPS >= b,
            Comparison::Greater => a > b + EPS,
        }
    }

    fn symbol(self) -> &'static str {
        match self {
            Comparison::Less => "<",
            Comparison::LessOrEqual => "<=",
            Comparison::Equal => "==",
            Comparison::GreaterOrEqual => ">=",
            Comparison::Greater => ">",
        }
    }

    fn phrase(self) -> &'static str {
        match self {
            Comparison::Less => "phải nhỏ hơn",
            Comparison::LessOrEqual => "không được lớn hơn",
            Comparison::Equal => "phải bằng",
            Comparison::GreaterOrEqual => "không được nhỏ hơn",
            Comparison::Greater => "phải lớn hơn",
        }
    }
}

/// A validation rule: a chain of formulas joined by comparisons.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidationRule {
    source: String,
    sides: Vec<Formula>,
    comparisons: Vec<Comparison>,
    /// A message to show instead of the generated one, when the catalog gives one.
    pub message: Option<String>,
}

/// A broken rule, with the numbers that broke it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// The rule as written.
    pub rule: String,
    /// What is wrong, in Vietnamese, with the values.
    pub message: String,
    /// The indicators involved, so a form can mark its fields.
    pub indicators: Vec<IndicatorCode>,
}

impl ValidationRule {
    /// Parses a rule such as `A <= B <= C` or `TANG_HOA_TANG <= TANG_SO_DAM`.
    pub fn parse(source: &str, message: Option<String>) -> Result<Self, Error> {
        let mut sides = Vec::new();
        let mut comparisons = Vec::new();
        let mut rest = source;
        loop {
            let found = ["<=", ">=", "==", "<", ">", "="]
                .iter()
                .filter_map(|op| rest.find(op).map(|at| (at, *op)))
                .min_by_key(|&(at, op)| (at, std::cmp::Reverse(op.len())));
            let Some((at, op)) = found else {
                sides.push(Formula::parse(rest).map_err(|e| Error::InvalidRule {
                    rule: source.to_owned(),
                    reason: e.to_string(),
                })?);
                break;
            };
            sides.push(Formula::parse(&rest[..at]).map_err(|e| Error::InvalidRule {
                rule: source.to_owned(),
                reason: e.to_string(),
            })?);
            comparisons.push(match op {
                "<=" => Comparison::LessOrEqual,
                ">=" => Comparison::GreaterOrEqual,
                "<" => Comparison::Less,
                ">" => Comparison::Greater,
                _ => Comparison::Equal,
            });
            rest = &rest[at + op.len()..];
        }
        if comparisons.is_empty() {
            return Err(Error::InvalidRule {
                rule: source.to_owned(),
                reason: "quy tắc phải có ít nhất một phép so sánh (<, <=, =, >=, >)".into(),
            });
        }
        Ok(ValidationRule {
            source: source.trim().to_owned(),
            sides,
            comparisons,
            message,
        })
    }

    /// The rule as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Every indicator the rule reads.
    pub fn references(&self) -> BTreeSet<&IndicatorCode> {
        self.sides.iter().flat_map(|s| s.references()).collect()
    }

    /// Checks the rule against one unit's values for one period. Each comparison of the
    /// chain is checked when both its sides can be computed, so `A <= B <= C` still
    /// checks `B <= C` while `A` is not reported. `None` when nothing checkable is broken.
    pub fn check(&self, lookup: &dyn Fn(&IndicatorCode) -> Option<f64>) -> Option<Violation> {
        let values: Vec<Option<f64>> = self.sides.iter().map(|s| s.evaluate(lookup)).collect();
        for (i, cmp) in self.comparisons.iter().enumerate() {
            let (Some(a), Some(b)) = (values[i], values[i + 1]) else {
                continue;
            };
            if !cmp.holds(a, b) {
                let side = |k: usize, x: f64| format!("{} = {}", self.sides[k].source(), format_decimal_trimmed(x, 2));
                let generated = format!("{} {} {}", side(i, a), cmp.phrase(), side(i + 1, b));
                let message = match &self.message {
                    Some(custom) => format!("{custom} ({generated})"),
                    None => generated,
                };
                let mut indicators: Vec<IndicatorCode> = self.sides[i].references().into_iter().cloned().collect();
                indicators.extend(self.sides[i + 1].references().into_iter().cloned());
                return Some(Violation {
                    rule: self.source.clone(),
                    message,
                    indicators,
                });
            }
        }
        None
    }
}

impl fmt::Display for ValidationRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        for (i, side) in self.sides.iter().enumerate() {
            parts.push(side.source().to_owned());
            if let Some(c) = self.comparisons.get(i) {
                parts.push(c.symbol().to_owned());
            }
        }
        f.write_str(&parts.join(" "))
    }
}

/// Checks every rule on one form's values: the violations, in the rules' order.
pub fn check_form(
    rules: &[ValidationRule],
    values: &std::collections::BTreeMap<crate::IndicatorCode, crate::Value>,
) -> Vec<Violation> {
    rules
        .iter()
        .filter_map(|r| r.check(&|c| values.get(c).and_then(crate::Value::as_f64)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn check(rule: &str, pairs: &[(&str, f64)]) -> Option<String> {
        let vals: BTreeMap<String, f64> = pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        ValidationRule::parse(rule, None)
            .unwrap()
            .check(&|c| vals.get(c.as_str()).copied())
            .map(|v| v.message)
    }

    const TTND: &str = "TTND_DA_GIAI_QUYET <= TTND_KIEN_NGHI <= TTND_PHAT_HIEN";

    #[test]
    fn a_chain_that_holds_raises_nothing() {
        assert_eq!(
            check(
                TTND,
                &[
                    ("TTND_DA_GIAI_QUYET", 56.0),
                    ("TTND_KIEN_NGHI", 59.0),
                    ("TTND_PHAT_HIEN", 59.0)
                ]
            ),
            None
        );
    }

    #[test]
    fn a_broken_link_of_the_chain_is_named_with_its_values() {
        assert_eq!(
            check(
                TTND,
                &[
                    ("TTND_DA_GIAI_QUYET", 12.0),
                    ("TTND_KIEN_NGHI", 10.0),
                    ("TTND_PHAT_HIEN", 59.0)
                ]
            )
            .as_deref(),
            Some("TTND_DA_GIAI_QUYET = 12 không được lớn hơn TTND_KIEN_NGHI = 10")
        );
        assert_eq!(
            check(
                TTND,
                &[
                    ("TTND_DA_GIAI_QUYET", 1.0),
                    ("TTND_KIEN_NGHI", 10.0),
                    ("TTND_PHAT_HIEN", 9.0)
                ]
            )
            .as_deref(),
            Some("TTND_KIEN_NGHI = 10 không được lớn hơn TTND_PHAT_HIEN = 9")
        );
    }

    #[test]
    fn a_rule_with_a_missing_operand_is_not_checked_yet() {
        assert_eq!(check(TTND, &[("TTND_DA_GIAI_QUYET", 12.0)]), None);
    }

    #[test]
    fn the_links_of_a_chain_whose_sides_are_reported_are_checked() {
        assert_eq!(
            check(TTND, &[("TTND_KIEN_NGHI", 5.0), ("TTND_PHAT_HIEN", 2.0)]).as_deref(),
            Some("TTND_KIEN_NGHI = 5 không được lớn hơn TTND_PHAT_HIEN = 2")
        );
    }

    #[test]
    fn sides_may_be_formulas() {
        assert!(check("A + B <= C", &[("A", 2.0), ("B", 2.0), ("C", 3.0)]).is_some());
        assert!(check("A = B", &[("A", 2.0), ("B", 2.0)]).is_none());
    }

    #[test]
    fn a_rule_without_comparison_is_refused() {
        assert!(ValidationRule::parse("A + B", None).is_err());
        assert!(ValidationRule::parse("A <= ", None).is_err());
    }

    #[test]
    fn a_rule_prints_back_as_written() {
        let rule = ValidationRule::parse(TTND, None).unwrap();
        assert_eq!(rule.to_string(), TTND);
    }
}
