//! Quy tắc kiểm tra — validation rules between indicators, such as
//! `TTND_DA_GIAI_QUYET <= TTND_KIEN_NGHI <= TTND_PHAT_HIEN` (cases resolved ≤ cases
//! referred ≤ cases found). Each side is a formula, so `TANG_HOA_TANG <= TANG_SO_DAM`
//! and `A + B <= C` are both rules. A rule whose operands are not all reported is not
//! checked: a half-filled form is not wrong, only incomplete.
//!
//! A rule given the catalog's names ([`ValidationRule::with_names`]) says what is wrong
//! in them — "Số vụ kiến nghị (8) không được lớn hơn số vụ phát hiện (5)" — once per
//! rule, every broken link of its chain in the one message.

use std::collections::{BTreeMap, BTreeSet};
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
    /// The catalog's names (tên chỉ tiêu) of the indicators the rule reads, when known.
    names: BTreeMap<IndicatorCode, String>,
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
            names: BTreeMap::new(),
        })
    }

    /// The rule with the names `name_of` gives its indicators (the catalog's), so that its
    /// messages name them instead of their codes. An indicator without a name keeps its
    /// code.
    pub fn with_names(mut self, name_of: impl Fn(&IndicatorCode) -> Option<String>) -> Self {
        let references: Vec<IndicatorCode> = self.references().into_iter().cloned().collect();
        self.names = references
            .into_iter()
            .filter_map(|code| name_of(&code).map(|name| (code, name)))
            .collect();
        self
    }

    /// How the messages call side `k` of the chain: the indicator's name for a side that
    /// is one indicator, else the formula with each indicator named, or as written when no
    /// name is known. With `first`, as a message starts (capitalised); otherwise in the
    /// middle of a sentence, where a name's first letter is lowered unless the name's
    /// second word is capitalised too, as a proper name ("Ban Thanh tra nhân dân") is.
    fn side_label(&self, k: usize, first: bool) -> Option<String> {
        let side = &self.sides[k];
        if self.names.is_empty() {
            return None;
        }
        let mut label = String::new();
        let mut word = String::new();
        let flush = |word: &mut String, label: &mut String| {
            if word.is_empty() {
                return;
            }
            let named = IndicatorCode::parse(word).ok().and_then(|code| self.names.get(&code));
            match named {
                Some(name) => label.push_str(name),
                None => label.push_str(word),
            }
            word.clear();
        };
        for c in side.source().chars() {
            if c.is_ascii_alphanumeric() || c == '_' {
                word.push(c);
            } else {
                flush(&mut word, &mut label);
                label.push(c);
            }
        }
        flush(&mut word, &mut label);
        Some(if first {
            capitalised(&label)
        } else {
            in_sentence(&label)
        })
    }

    /// The names of the chain's sides, in order, as a message writes them; the codes
    /// (formulas as written) when the rule has no names.
    pub fn side_names(&self) -> Vec<String> {
        (0..self.sides.len())
            .map(|k| {
                self.side_label(k, true)
                    .unwrap_or_else(|| self.sides[k].source().to_owned())
            })
            .collect()
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
    ///
    /// Every broken link is in the one violation, said once: "A (12) không được lớn hơn
    /// b (10); b (10) không được lớn hơn c (9)" with names, "A = 12 không được lớn hơn
    /// B = 10" with codes; after the catalog's own message when it has one.
    pub fn check(&self, lookup: &dyn Fn(&IndicatorCode) -> Option<f64>) -> Option<Violation> {
        let values: Vec<Option<f64>> = self.sides.iter().map(|s| s.evaluate(lookup)).collect();
        let mut broken = Vec::new();
        let mut indicators: Vec<IndicatorCode> = Vec::new();
        for (i, cmp) in self.comparisons.iter().enumerate() {
            let (Some(a), Some(b)) = (values[i], values[i + 1]) else {
                continue;
            };
            if !cmp.holds(a, b) {
                broken.push(
                    self.link_template(i, broken.is_empty())
                        .replace("{a}", &format_decimal_trimmed(a, 2))
                        .replace("{b}", &format_decimal_trimmed(b, 2)),
                );
                for code in self.sides[i]
                    .references()
                    .into_iter()
                    .chain(self.sides[i + 1].references())
                {
                    if !indicators.contains(code) {
                        indicators.push(code.clone());
                    }
                }
            }
        }
        if broken.is_empty() {
            return None;
        }
        Some(Violation {
            rule: self.source.clone(),
            message: self.message_of(&broken),
            indicators,
        })
    }

    /// The message of a violation whose broken links say `broken`: them joined, after
    /// the catalog's own message when there is one — said once, however many links broke.
    pub fn message_of(&self, broken: &[String]) -> String {
        let generated = broken.join("; ");
        match &self.message {
            Some(custom) => format!("{custom} ({generated})"),
            None => generated,
        }
    }

    /// What link `i` of the chain (between sides `i` and `i + 1`) says when broken, with
    /// `{a}` and `{b}` where its two values go: "Số kiến nghị ({a}) không được lớn hơn số
    /// vụ phát hiện ({b})" with names, "TTND_KIEN_NGHI = {a} không được lớn hơn
    /// TTND_PHAT_HIEN = {b}" without. With `first`, as the message starts. The server's
    /// messages and the form's script (which fills the values in as the officer types)
    /// both say what this says.
    pub fn link_template(&self, i: usize, first: bool) -> String {
        let Some(cmp) = self.comparisons.get(i) else {
            return String::new();
        };
        let side = |k: usize, slot: &str, label: Option<String>| {
            if self.sides[k].references().is_empty() {
                // A constant side says its value alone: "… không được lớn hơn 100".
                return slot.to_owned();
            }
            match label {
                Some(label) => format!("{label} ({slot})"),
                None => format!("{} = {slot}", self.sides[k].source()),
            }
        };
        let left = self.side_label(i, first);
        // "Ban Thanh tra nhân dân: số vụ A … không được lớn hơn số vụ B": the group both
        // names start with is said once.
        let right = match (&left, self.side_label(i + 1, true)) {
            (Some(l), Some(r)) => Some(match (l.split_once(": "), r.split_once(": ")) {
                (Some((group, _)), Some((same, rest))) if group.eq_ignore_ascii_case(same) => in_sentence(rest),
                _ => in_sentence(&r),
            }),
            (_, r) => r.map(|r| in_sentence(&r)),
        };
        format!(
            "{} {} {}",
            side(i, "{a}", left),
            cmp.phrase(),
            side(i + 1, "{b}", right)
        )
    }

    /// How many links the chain has (one fewer than its sides).
    pub fn links(&self) -> usize {
        self.comparisons.len()
    }
}

/// `text` with its first letter in capitals.
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `text` as it reads inside a sentence: its first letter lowered, unless its second
/// word starts with a capital too (a proper name such as "Ban Thanh tra nhân dân", or an
/// acronym).
fn in_sentence(text: &str) -> String {
    let proper = text
        .split_whitespace()
        .nth(1)
        .and_then(|w| w.chars().next())
        .is_some_and(char::is_uppercase)
        || text
            .split_whitespace()
            .next()
            .is_some_and(|w| w.chars().filter(|c| c.is_uppercase()).count() > 1);
    if proper {
        return text.to_owned();
    }
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
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

    /// The demo's names of the TTND chain, shortened.
    fn named(rule: &str, message: Option<&str>) -> ValidationRule {
        let names: BTreeMap<&str, &str> = [
            ("TTND_DA_GIAI_QUYET", "Số vụ đã giải quyết"),
            ("TTND_KIEN_NGHI", "Số kiến nghị"),
            ("TTND_PHAT_HIEN", "Số vụ việc phát hiện"),
            ("TANG_SO_DAM", "Ban Thanh tra nhân dân: số đám tang"),
            ("TANG_HOA_TANG", "Số ca hỏa táng"),
            ("TTND_GIAM_SAT", "Ban Thanh tra nhân dân: số cuộc giám sát"),
        ]
        .into_iter()
        .collect();
        ValidationRule::parse(rule, message.map(str::to_owned))
            .unwrap()
            .with_names(|c| names.get(c.as_str()).map(|n| (*n).to_owned()))
    }

    fn check_named(rule: &ValidationRule, pairs: &[(&str, f64)]) -> Option<Violation> {
        let vals: BTreeMap<String, f64> = pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        rule.check(&|c| vals.get(c.as_str()).copied())
    }

    #[test]
    fn a_rule_with_names_says_them_instead_of_the_codes() {
        let rule = named(TTND, None);
        let broken = check_named(&rule, &[("TTND_KIEN_NGHI", 8.0), ("TTND_PHAT_HIEN", 5.0)]).unwrap();
        assert_eq!(
            broken.message,
            "Số kiến nghị (8) không được lớn hơn số vụ việc phát hiện (5)"
        );
        assert_eq!(
            broken.indicators,
            [
                IndicatorCode::parse("TTND_KIEN_NGHI").unwrap(),
                IndicatorCode::parse("TTND_PHAT_HIEN").unwrap()
            ]
        );
        assert_eq!(
            rule.side_names(),
            ["Số vụ đã giải quyết", "Số kiến nghị", "Số vụ việc phát hiện"]
        );
    }

    #[test]
    fn every_broken_link_is_in_one_message_after_the_catalog_s_own_once() {
        let rule = named(TTND, Some("Số vụ giải quyết ≤ kiến nghị ≤ phát hiện"));
        let broken = check_named(
            &rule,
            &[
                ("TTND_DA_GIAI_QUYET", 12.0),
                ("TTND_KIEN_NGHI", 10.0),
                ("TTND_PHAT_HIEN", 9.0),
            ],
        )
        .unwrap();
        assert_eq!(
            broken.message,
            "Số vụ giải quyết ≤ kiến nghị ≤ phát hiện (Số vụ đã giải quyết (12) không được lớn hơn số kiến nghị (10); \
             số kiến nghị (10) không được lớn hơn số vụ việc phát hiện (9))"
        );
        assert_eq!(
            broken.message.matches("Số vụ giải quyết ≤").count(),
            1,
            "the rule said once"
        );
        assert_eq!(broken.indicators.len(), 3, "each indicator once");
    }

    #[test]
    fn a_proper_name_keeps_its_capital_and_a_formula_is_named_in_full() {
        let rule = named("TANG_HOA_TANG <= TANG_SO_DAM", None);
        let broken = check_named(&rule, &[("TANG_HOA_TANG", 9.0), ("TANG_SO_DAM", 7.0)]).unwrap();
        assert_eq!(
            broken.message,
            "Số ca hỏa táng (9) không được lớn hơn Ban Thanh tra nhân dân: số đám tang (7)"
        );
        let rule = named("TTND_KIEN_NGHI + TTND_DA_GIAI_QUYET <= 2 * TTND_PHAT_HIEN", None);
        let broken = check_named(
            &rule,
            &[
                ("TTND_KIEN_NGHI", 8.0),
                ("TTND_DA_GIAI_QUYET", 3.0),
                ("TTND_PHAT_HIEN", 5.0),
            ],
        )
        .unwrap();
        assert_eq!(
            broken.message,
            "Số kiến nghị + Số vụ đã giải quyết (11) không được lớn hơn 2 * Số vụ việc phát hiện (10)"
        );
        // Two names of one group: the group is said once.
        let rule = named("TANG_SO_DAM <= TTND_GIAM_SAT", None);
        let broken = check_named(&rule, &[("TANG_SO_DAM", 9.0), ("TTND_GIAM_SAT", 7.0)]).unwrap();
        assert_eq!(
            broken.message,
            "Ban Thanh tra nhân dân: số đám tang (9) không được lớn hơn số cuộc giám sát (7)"
        );
        let rule = named("TTND_KIEN_NGHI <= 100", None);
        let broken = check_named(&rule, &[("TTND_KIEN_NGHI", 120.0)]).unwrap();
        assert_eq!(broken.message, "Số kiến nghị (120) không được lớn hơn 100");
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
