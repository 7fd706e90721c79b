//! Tổng hợp số liệu — rolling reported values up, as DHIS2 does, in two steps:
//!
//! 1. over time, per unit and indicator: of the values whose period lies inside the
//!    requested one, the longest periods are taken first and any value inside an
//!    already-taken period is dropped (a year reported whole is not added to its own
//!    half-years); the rest combine by the indicator's aggregation (a `last` stock takes
//!    the latest);
//! 2. across units: the per-unit figures of a set of units combine (sums add up, a stock
//!    adds up too, averages average), and formula indicators are computed last, on the
//!    combined figures — never by averaging the units' rates.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use crate::cluster::Cluster;
use crate::code::{IndicatorCode, UnitCode};
use crate::indicator::{Aggregation, Catalog};
use crate::period::Period;
use crate::unit::{Unit, UnitTree};
use crate::value::{DataValue, Value};

/// The figures of one unit or group of units for one period: a value per indicator,
/// computed ones included; an indicator without data has no entry.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Figures(BTreeMap<IndicatorCode, Value>);

impl Figures {
    /// The value of an indicator, if there is one.
    pub fn get(&self, code: &IndicatorCode) -> Option<&Value> {
        self.0.get(code)
    }

    /// The value as a number, for comparisons.
    pub fn number(&self, code: &IndicatorCode) -> Option<f64> {
        self.get(code).and_then(Value::as_f64)
    }

    /// Every (indicator, value) pair.
    pub fn iter(&self) -> impl Iterator<Item = (&IndicatorCode, &Value)> {
        self.0.iter()
    }

    /// Whether no indicator has a value.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The figures from a value per indicator.
    pub(crate) fn from_map(figures: BTreeMap<IndicatorCode, Value>) -> Figures {
        Figures(figures)
    }
}

/// Combines values by an aggregation. Wholes stay whole when the result is whole.
fn combine(aggregation: Aggregation, values: &[&Value]) -> Option<Value> {
    let numbers: Vec<f64> = values.iter().filter_map(|v| v.as_f64()).collect();
    let all_whole = values.iter().all(|v| matches!(v, Value::Whole(_)));
    if numbers.is_empty() {
        // Text takes the latest, which callers pass last.
        return values.last().map(|v| (*v).clone());
    }
    match aggregation {
        Aggregation::Sum | Aggregation::Last if all_whole => {
            let total: i128 = values
                .iter()
                .map(|v| if let Value::Whole(n) = v { i128::from(*n) } else { 0 })
                .sum();
            Some(i64::try_from(total).map_or(Value::Decimal(total as f64), Value::Whole))
        }
        Aggregation::Sum | Aggregation::Last => Some(Value::Decimal(numbers.iter().sum())),
        Aggregation::Average => Some(Value::Decimal(numbers.iter().sum::<f64>() / numbers.len() as f64)),
        Aggregation::Min | Aggregation::Max => {
            let pick = |a: &&&Value, b: &&&Value| {
                let (x, y) = (a.as_f64().unwrap_or(f64::NAN), b.as_f64().unwrap_or(f64::NAN));
                x.total_cmp(&y)
            };
            let chosen = if aggregation == Aggregation::Min {
                values.iter().min_by(pick)
            } else {
                values.iter().max_by(pick)
            };
            chosen.map(|v| (*v).clone())
        }
        Aggregation::Ratio => None,
    }
}

/// Each unit's figure per indicator, after step 1.
pub type PerUnit = HashMap<UnitCode, HashMap<IndicatorCode, Value>>;

/// Step 1: each unit's figure per indicator for `period`, from values of any period
/// inside it.
pub fn over_time<'a>(catalog: &Catalog, period: Period, values: impl IntoIterator<Item = &'a DataValue>) -> PerUnit {
    let mut by_cell: HashMap<(&UnitCode, &IndicatorCode), Vec<&DataValue>> = HashMap::new();
    for v in values.into_iter().filter(|v| period.contains(&v.period)) {
        by_cell.entry((&v.unit, &v.indicator)).or_default().push(v);
    }
    let mut out = PerUnit::new();
    for ((unit, code), mut cell) in by_cell {
        let Some(indicator) = catalog.get(code) else {
            continue;
        };
        if indicator.is_computed() {
            continue;
        }
        // Longest periods first; ties in calendar order.
        cell.sort_by_key(|v| (v.period.period_type(), v.period.start()));
        let mut taken: Vec<&DataValue> = Vec::new();
        for v in cell {
            if !taken.iter().any(|t| t.period.contains(&v.period)) {
                taken.push(v);
            }
        }
        taken.sort_by_key(|v| v.period.end());
        let combined = if indicator.aggregation == Aggregation::Last {
            taken.last().map(|v| v.value.clone())
        } else {
            combine(
                indicator.aggregation,
                &taken.iter().map(|v| &v.value).collect::<Vec<_>>(),
            )
        };
        if let Some(value) = combined {
            out.entry(unit.clone()).or_default().insert(code.clone(), value);
        }
    }
    out
}

/// Step 2: the figures of a set of units, from their per-unit figures, with formula
/// indicators computed on the combined values.
pub fn across_units(catalog: &Catalog, per_unit: &PerUnit, units: &BTreeSet<&UnitCode>) -> Figures {
    // Gather by walking the units once, rather than looking every (unit, indicator) up.
    let mut gathered: HashMap<&IndicatorCode, Vec<&Value>> = HashMap::new();
    for figures in units.iter().filter_map(|u| per_unit.get(*u)) {
        for (code, value) in figures {
            gathered.entry(code).or_default().push(value);
        }
    }
    let mut figures = BTreeMap::new();
    for indicator in catalog.indicators().iter().filter(|i| !i.is_computed()) {
        let Some(values) = gathered.get(&indicator.code) else {
            continue;
        };
        if let Some(v) = combine(indicator.aggregation, values) {
            figures.insert(indicator.code.clone(), v);
        }
    }
    for indicator in catalog.indicators() {
        let Some(formula) = &indicator.formula else {
            continue;
        };
        let lookup = |c: &IndicatorCode| figures.get(c).and_then(Value::as_f64);
        if let Some(x) = formula.evaluate(&lookup) {
            figures.insert(indicator.code.clone(), Value::Decimal(x));
        }
    }
    Figures(figures)
}

/// The figures of one unit's subtree (the unit and everything below it) for a period.
pub fn unit_figures<'a>(
    catalog: &Catalog,
    tree: &UnitTree,
    unit: &UnitCode,
    period: Period,
    values: impl IntoIterator<Item = &'a DataValue>,
) -> Figures {
    let per_unit = over_time(catalog, period, values);
    let subtree: BTreeSet<&UnitCode> = tree.subtree(unit).into_iter().collect();
    across_units(catalog, &per_unit, &subtree)
}

/// Bảng tổng hợp của cụm — a cluster's figures for a period: each member's (over its
/// subtree) and the cluster's total.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterRollup {
    /// The cluster.
    pub cluster: Cluster,
    /// The period.
    pub period: Period,
    /// Each member with its figures, in the cluster's order.
    pub members: Vec<(Unit, Figures)>,
    /// The whole cluster's figures.
    pub total: Figures,
}

impl ClusterRollup {
    /// Members whose figure for `indicator` is at least `threshold`, highest first — the
    /// leading units a report names ("đạt 98% trở lên").
    pub fn members_reaching(&self, indicator: &IndicatorCode, threshold: f64) -> Vec<(&Unit, f64)> {
        let mut out: Vec<(&Unit, f64)> = self
            .members
            .iter()
            .filter_map(|(u, f)| f.number(indicator).filter(|x| *x >= threshold).map(|x| (u, x)))
            .collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1));
        out
    }
}

/// Rolls a cluster up for a period.
pub fn rollup_cluster(
    catalog: &Catalog,
    tree: &UnitTree,
    cluster: &Cluster,
    period: Period,
    values: &[DataValue],
) -> ClusterRollup {
    let per_unit = over_time(catalog, period, values);
    let mut all: BTreeSet<&UnitCode> = BTreeSet::new();
    let mut members = Vec::new();
    for code in &cluster.members {
        let subtree: BTreeSet<&UnitCode> = tree.subtree(code).into_iter().collect();
        all.extend(subtree.iter().copied());
        if let Some(unit) = tree.get(code) {
            members.push((unit.clone(), across_units(catalog, &per_unit, &subtree)));
        }
    }
    ClusterRollup {
        cluster: cluster.clone(),
        period,
        members,
        total: across_units(catalog, &per_unit, &all),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicator::tests::indicator;

    fn code<T: TryFrom<String>>(c: &str) -> T
    where
        T::Error: std::fmt::Debug,
    {
        T::try_from(c.to_owned()).unwrap()
    }

    fn dv(unit: &str, ind: &str, period: &str, n: i64) -> DataValue {
        DataValue {
            unit: code(unit),
            indicator: code(ind),
            period: code(period),
            value: Value::Whole(n),
            comment: None,
        }
    }

    fn catalog() -> Catalog {
        let mut stock = indicator("STOCK", Aggregation::Last, None);
        stock.name = "Số gia đình văn hóa".into();
        Catalog::new(vec![
            indicator("DEATHS", Aggregation::Sum, None),
            indicator("CREMATIONS", Aggregation::Sum, None),
            indicator("RATE", Aggregation::Ratio, Some("100 * CREMATIONS / DEATHS")),
            stock,
        ])
        .unwrap()
    }

    fn tree() -> UnitTree {
        let unit = |c: &str, parent: Option<&str>| Unit {
            code: code(c),
            name: format!("quận {c}"),
            kind: "district".into(),
            parent: parent.map(code),
            valid_from: None,
            valid_to: None,
        };
        UnitTree::new([
            unit("HN", None),
            unit("A", Some("HN")),
            unit("B", Some("HN")),
            unit("A1", Some("A")),
        ])
        .unwrap()
    }

    #[test]
    fn a_rate_is_computed_from_summed_counts_not_averaged() {
        let values = [
            dv("A", "DEATHS", "2022S1", 100),
            dv("A", "CREMATIONS", "2022S1", 100),
            dv("B", "DEATHS", "2022S1", 900),
            dv("B", "CREMATIONS", "2022S1", 0),
        ];
        let figures = unit_figures(&catalog(), &tree(), &code("HN"), code("2022S1"), &values);
        // Averaging the rates would give 50 %; the true rate is 100 of 1.000 deaths.
        assert_eq!(figures.number(&code("RATE")), Some(10.0));
    }

    #[test]
    fn a_rate_over_no_deaths_has_no_value() {
        let values = [dv("A", "DEATHS", "2022S1", 0), dv("A", "CREMATIONS", "2022S1", 0)];
        let figures = unit_figures(&catalog(), &tree(), &code("A"), code("2022S1"), &values);
        assert_eq!(figures.get(&code("RATE")), None);
        assert_eq!(figures.get(&code("DEATHS")), Some(&Value::Whole(0)));
    }

    #[test]
    fn a_unit_s_figures_include_the_units_below_it() {
        let values = [
            dv("A", "DEATHS", "2022S1", 5),
            dv("A1", "DEATHS", "2022S1", 7),
            dv("B", "DEATHS", "2022S1", 100),
        ];
        let figures = unit_figures(&catalog(), &tree(), &code("A"), code("2022S1"), &values);
        assert_eq!(figures.get(&code("DEATHS")), Some(&Value::Whole(12)));
    }

    #[test]
    fn a_year_adds_up_its_half_years_and_a_stock_takes_the_latest() {
        let values = [
            dv("A", "DEATHS", "2022S1", 5),
            dv("A", "DEATHS", "2022S2", 7),
            dv("A", "STOCK", "2022S1", 50),
            dv("A", "STOCK", "2022S2", 60),
        ];
        let figures = unit_figures(&catalog(), &tree(), &code("A"), code("2022"), &values);
        assert_eq!(figures.get(&code("DEATHS")), Some(&Value::Whole(12)));
        assert_eq!(figures.get(&code("STOCK")), Some(&Value::Whole(60)));
    }

    #[test]
    fn a_value_reported_for_the_whole_year_is_not_added_to_its_own_half_years() {
        let values = [dv("A", "DEATHS", "2022", 20), dv("A", "DEATHS", "2022S1", 5)];
        let figures = unit_figures(&catalog(), &tree(), &code("A"), code("2022"), &values);
        assert_eq!(figures.get(&code("DEATHS")), Some(&Value::Whole(20)));
    }

    #[test]
    fn values_outside_the_period_are_left_out() {
        let values = [dv("A", "DEATHS", "2022S2", 5)];
        assert!(unit_figures(&catalog(), &tree(), &code("A"), code("2022S1"), &values).is_empty());
    }

    #[test]
    fn a_cluster_rollup_has_each_member_and_the_total() {
        let cluster = Cluster {
            code: code("CUM"),
            name: "Cụm".into(),
            year: 2022,
            members: vec![code("A"), code("B")],
            chair: None,
            deputy: None,
            host: None,
        };
        let values = [
            dv("A", "DEATHS", "2022S1", 100),
            dv("A", "CREMATIONS", "2022S1", 99),
            dv("B", "DEATHS", "2022S1", 50),
            dv("B", "CREMATIONS", "2022S1", 10),
        ];
        let rollup = rollup_cluster(&catalog(), &tree(), &cluster, code("2022S1"), &values);
        assert_eq!(rollup.members.len(), 2);
        assert_eq!(rollup.total.get(&code("DEATHS")), Some(&Value::Whole(150)));
        let leaders: Vec<&str> = rollup
            .members_reaching(&code("RATE"), 98.0)
            .iter()
            .map(|(u, _)| u.code.as_str())
            .collect();
        assert_eq!(leaders, ["A"]);
    }
}
