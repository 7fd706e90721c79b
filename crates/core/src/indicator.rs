//! Chỉ tiêu — the indicators units report (cuộc, vụ, công trình, đồng, %…), how each
//! aggregates over units and over time, and the catalog that checks them together:
//! every formula reads only indicators the catalog has.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::code::IndicatorCode;
use crate::error::Error;
use crate::formula::Formula;

/// Kiểu giá trị — what kind of value an indicator holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ValueType {
    /// A whole count (cuộc, vụ, công trình…), never negative.
    Integer,
    /// Money in whole đồng, never negative.
    Money,
    /// A percentage, 0 to 100 when reported directly; usually computed by a formula.
    Percent,
    /// Any decimal number.
    Number,
    /// Free text.
    Text,
}

impl ValueType {
    /// Parses the catalog's spelling (`integer`, `money`, `percent`, `number`, `text`).
    pub fn parse(raw: &str) -> Result<Self, Error> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "integer" => Ok(ValueType::Integer),
            "money" => Ok(ValueType::Money),
            "percent" => Ok(ValueType::Percent),
            "number" => Ok(ValueType::Number),
            "text" => Ok(ValueType::Text),
            _ => Err(Error::InvalidField {
                field: "value_type",
                value: raw.to_owned(),
                expected: "integer, money, percent, number hoặc text",
            }),
        }
    }

    /// The catalog's spelling.
    pub fn as_str(&self) -> &'static str {
        match self {
            ValueType::Integer => "integer",
            ValueType::Money => "money",
            ValueType::Percent => "percent",
            ValueType::Number => "number",
            ValueType::Text => "text",
        }
    }

    /// Whether values are whole numbers (counts and đồng).
    pub fn is_whole(&self) -> bool {
        matches!(self, ValueType::Integer | ValueType::Money)
    }
}

/// Cách tổng hợp — how an indicator's values combine across units and over time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Aggregation {
    /// Added up (counts, money).
    Sum,
    /// The mean of the values.
    Average,
    /// The smallest value.
    Min,
    /// The largest value.
    Max,
    /// Across units summed, over time the latest value: a stock such as the number of
    /// cultured families.
    Last,
    /// Computed by the indicator's formula from other indicators' rolled-up values.
    Ratio,
}

impl Aggregation {
    /// Parses the catalog's spelling (`sum`, `average`, `min`, `max`, `last`, `ratio`).
    pub fn parse(raw: &str) -> Result<Self, Error> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "sum" => Ok(Aggregation::Sum),
            "average" | "avg" => Ok(Aggregation::Average),
            "min" => Ok(Aggregation::Min),
            "max" => Ok(Aggregation::Max),
            "last" => Ok(Aggregation::Last),
            "ratio" | "formula" => Ok(Aggregation::Ratio),
            _ => Err(Error::InvalidField {
                field: "aggregation",
                value: raw.to_owned(),
                expected: "sum, average, min, max, last hoặc ratio",
            }),
        }
    }

    /// The catalog's spelling.
    pub fn as_str(&self) -> &'static str {
        match self {
            Aggregation::Sum => "sum",
            Aggregation::Average => "average",
            Aggregation::Min => "min",
            Aggregation::Max => "max",
            Aggregation::Last => "last",
            Aggregation::Ratio => "ratio",
        }
    }
}

impl fmt::Display for Aggregation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Chỉ tiêu — an indicator.
#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    /// Its code, e.g. `TTND_GIAM_SAT`.
    pub code: IndicatorCode,
    /// Its Vietnamese name (NFC).
    pub name: String,
    /// Đơn vị tính — the measure shown beside the figure: cuộc, vụ, đồng, %…
    pub measure: String,
    /// What kind of value it holds.
    pub value_type: ValueType,
    /// How its values combine.
    pub aggregation: Aggregation,
    /// For `Ratio` indicators, the formula; `None` otherwise.
    pub formula: Option<Formula>,
    /// The movement or campaign it belongs to (nhóm chỉ tiêu).
    pub group: String,
}

impl Indicator {
    /// Checks that a ratio indicator has a formula and that other indicators have none.
    pub fn validated(self) -> Result<Self, Error> {
        match (self.aggregation, &self.formula) {
            (Aggregation::Ratio, None) => Err(Error::InvalidIndicator {
                indicator: self.code.clone(),
                reason: "chỉ tiêu tỷ lệ (ratio) phải có công thức".into(),
            }),
            (agg, Some(_)) if agg != Aggregation::Ratio => Err(Error::InvalidIndicator {
                indicator: self.code.clone(),
                reason: "chỉ tiêu có công thức phải dùng cách tổng hợp ratio".into(),
            }),
            _ if self.value_type == ValueType::Text && self.aggregation != Aggregation::Last => {
                Err(Error::InvalidIndicator {
                    indicator: self.code.clone(),
                    reason: "chỉ tiêu dạng văn bản chỉ tổng hợp theo last".into(),
                })
            }
            _ => Ok(self),
        }
    }

    /// Whether the value is computed, not reported.
    pub fn is_computed(&self) -> bool {
        self.formula.is_some()
    }
}

/// The set of indicators in use, in catalog order, checked as a whole.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    indicators: Vec<Indicator>,
    index: BTreeMap<IndicatorCode, usize>,
}

impl Catalog {
    /// Builds the catalog: codes are unique, and every formula reads existing indicators
    /// that are themselves reported (formulas do not nest, so they cannot loop).
    pub fn new(indicators: Vec<Indicator>) -> Result<Self, Error> {
        let mut index = BTreeMap::new();
        for (i, ind) in indicators.iter().enumerate() {
            if index.insert(ind.code.clone(), i).is_some() {
                return Err(Error::InvalidIndicator {
                    indicator: ind.code.clone(),
                    reason: "mã chỉ tiêu bị trùng".into(),
                });
            }
        }
        for ind in &indicators {
            let Some(formula) = &ind.formula else {
                continue;
            };
            for reference in formula.references() {
                match index.get(reference).map(|&i| &indicators[i]) {
                    None => {
                        return Err(Error::InvalidIndicator {
                            indicator: ind.code.clone(),
                            reason: format!("công thức «{formula}» dùng chỉ tiêu {reference} không có trong danh mục"),
                        });
                    }
                    Some(used) if used.is_computed() => {
                        return Err(Error::InvalidIndicator {
                            indicator: ind.code.clone(),
                            reason: format!(
                                "công thức «{formula}» dùng chỉ tiêu tính toán {reference}; công thức chỉ được dùng chỉ tiêu nhập số liệu"
                            ),
                        });
                    }
                    Some(used) if used.value_type == ValueType::Text => {
                        return Err(Error::InvalidIndicator {
                            indicator: ind.code.clone(),
                            reason: format!("công thức «{formula}» dùng chỉ tiêu văn bản {reference}"),
                        });
                    }
                    Some(_) => {}
                }
            }
        }
        Ok(Catalog { indicators, index })
    }

    /// The indicator with this code.
    pub fn get(&self, code: &IndicatorCode) -> Option<&Indicator> {
        self.index.get(code).map(|&i| &self.indicators[i])
    }

    /// All indicators in catalog order.
    pub fn indicators(&self) -> &[Indicator] {
        &self.indicators
    }

    /// The groups in the order they first appear, each with its indicators.
    pub fn groups(&self) -> Vec<(&str, Vec<&Indicator>)> {
        let mut groups: Vec<(&str, Vec<&Indicator>)> = Vec::new();
        for ind in &self.indicators {
            match groups.iter_mut().find(|(name, _)| *name == ind.group) {
                Some((_, list)) => list.push(ind),
                None => groups.push((&ind.group, vec![ind])),
            }
        }
        groups
    }

    /// How many indicators there are.
    pub fn len(&self) -> usize {
        self.indicators.len()
    }

    /// Whether the catalog is empty.
    pub fn is_empty(&self) -> bool {
        self.indicators.is_empty()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn indicator(code: &str, aggregation: Aggregation, formula: Option<&str>) -> Indicator {
        Indicator {
            code: IndicatorCode::parse(code).unwrap(),
            name: format!("Chỉ tiêu {code}"),
            measure: "cuộc".into(),
            value_type: if formula.is_some() {
                ValueType::Percent
            } else {
                ValueType::Integer
            },
            aggregation,
            formula: formula.map(|f| Formula::parse(f).unwrap()),
            group: "Nhóm 1".into(),
        }
    }

    #[test]
    fn a_formula_over_known_indicators_is_accepted() {
        let catalog = Catalog::new(vec![
            indicator("A", Aggregation::Sum, None),
            indicator("B", Aggregation::Sum, None),
            indicator("R", Aggregation::Ratio, Some("100 * A / B")),
        ]);
        assert!(catalog.is_ok());
    }

    #[test]
    fn a_formula_over_an_unknown_code_names_it() {
        let err = Catalog::new(vec![
            indicator("A", Aggregation::Sum, None),
            indicator("R", Aggregation::Ratio, Some("100 * A / TANG_SO_DAM")),
        ])
        .err()
        .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("chỉ tiêu R: công thức «100 * A / TANG_SO_DAM» dùng chỉ tiêu TANG_SO_DAM không có trong danh mục")
        );
    }

    #[test]
    fn a_ratio_without_formula_is_refused() {
        assert!(indicator("R", Aggregation::Ratio, None).validated().is_err());
        assert!(indicator("R", Aggregation::Sum, Some("A")).validated().is_err());
    }

    #[test]
    fn duplicate_codes_are_refused() {
        assert!(
            Catalog::new(vec![
                indicator("A", Aggregation::Sum, None),
                indicator("A", Aggregation::Sum, None)
            ])
            .is_err()
        );
    }

    #[test]
    fn the_parsers_accept_the_catalog_spellings() {
        assert_eq!(ValueType::parse("money").ok(), Some(ValueType::Money));
        assert_eq!(Aggregation::parse("ratio").ok(), Some(Aggregation::Ratio));
        assert!(ValueType::parse("tiền").is_err());
    }
}
