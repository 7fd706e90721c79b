//! The engine answers as the plain reference ([`crate::rollup`]) does over the same raw
//! values: on random trees, random numbers of every period type, and random changes.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;
use crate::indicator::tests::indicator;
use crate::lineage::{ChangeKind, ChangeRequest, plan};
use crate::period::PeriodType;
use crate::period_range::PeriodRange;
use crate::unit::Unit;
use crate::value::DataValue;

fn unit_code(i: usize) -> UnitCode {
    UnitCode::parse(&format!("U{i}")).unwrap()
}

/// Indicators of every aggregation, a decimal one, and a rate computed from two sums.
fn catalog() -> Catalog {
    let mut decimal = indicator("MONEY", Aggregation::Sum, None);
    decimal.value_type = crate::indicator::ValueType::Number;
    Catalog::new(vec![
        indicator("DEATHS", Aggregation::Sum, None),
        indicator("CREMATIONS", Aggregation::Sum, None),
        indicator("RATE", Aggregation::Ratio, Some("100 * CREMATIONS / DEATHS")),
        indicator("STOCK", Aggregation::Last, None),
        indicator("SCORE", Aggregation::Average, None),
        indicator("LOWEST", Aggregation::Min, None),
        indicator("HIGHEST", Aggregation::Max, None),
        decimal,
    ])
    .unwrap()
}

const REPORTED: [&str; 6] = ["DEATHS", "CREMATIONS", "STOCK", "SCORE", "LOWEST", "HIGHEST"];

/// Every period of 2021 and 2022 — years, halves, quarters and months.
fn periods() -> Vec<Period> {
    let mut out = Vec::new();
    for y in [2021, 2022] {
        out.push(Period::Year(y));
        out.extend((1..=2).map(|h| Period::HalfYear(y, h)));
        out.extend((1..=4).map(|q| Period::Quarter(y, q)));
        out.extend((1..=12).map(|m| Period::Month(y, m)));
    }
    out
}

/// A tree of `parents.len() + 1` units: unit i + 1 hangs below unit `parents[i] % (i + 1)`.
fn tree(parents: &[usize]) -> UnitTree {
    let unit = |i: usize, parent: Option<usize>| Unit {
        code: unit_code(i),
        name: format!("Đơn vị {i}"),
        kind: "ward".into(),
        parent: parent.map(unit_code),
        valid_from: None,
        valid_to: None,
    };
    UnitTree::new(
        std::iter::once(unit(0, None)).chain(parents.iter().enumerate().map(|(i, p)| unit(i + 1, Some(p % (i + 1))))),
    )
    .unwrap()
}

/// A number: (unit, indicator of [`REPORTED`] or the decimal one, period, value).
type Cell = (usize, usize, usize, i64);

fn data_value(units: usize, (u, i, p, n): Cell) -> DataValue {
    let periods = periods();
    let indicator = if i < REPORTED.len() { REPORTED[i] } else { "MONEY" };
    DataValue {
        unit: unit_code(u % units),
        indicator: IndicatorCode::parse(indicator).unwrap(),
        period: periods[p % periods.len()],
        value: if indicator == "MONEY" {
            Value::Decimal(n as f64 / 4.0)
        } else {
            Value::Whole(n)
        },
        comment: None,
    }
}

/// The values as the database would hold them: one per (unit, indicator, period), the
/// last written winning.
fn stored(values: impl IntoIterator<Item = DataValue>) -> BTreeMap<(UnitCode, IndicatorCode, Period), DataValue> {
    values
        .into_iter()
        .map(|v| ((v.unit.clone(), v.indicator.clone(), v.period), v))
        .collect()
}

fn as_number(cube: &Cube, v: &DataValue) -> (UnitSlot, IndicatorSlot, Period, f64, bool) {
    (
        cube.unit_slot(&v.unit).unwrap(),
        cube.indicator_slot(&v.indicator).unwrap(),
        v.period,
        v.value.as_f64().unwrap(),
        matches!(v.value, Value::Whole(_)),
    )
}

fn assert_same(engine: &Figures, reference: &Figures, what: &str) {
    let keys = |f: &Figures| f.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
    assert_eq!(
        keys(engine),
        keys(reference),
        "{what}: the same indicators have figures"
    );
    for (code, value) in reference.iter() {
        let got = engine.get(code).unwrap();
        match (got, value) {
            (Value::Whole(a), Value::Whole(b)) => assert_eq!(a, b, "{what}: {code}"),
            (Value::Decimal(a), Value::Decimal(b)) => {
                assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{what}: {code}: {a} ≠ {b}")
            }
            _ => panic!("{what}: {code}: {got:?} is not the same kind as {value:?}"),
        }
    }
}

fn check_every_unit_and_period(
    cube: &Cube,
    tree: &UnitTree,
    db: &BTreeMap<(UnitCode, IndicatorCode, Period), DataValue>,
) {
    let catalog = catalog();
    let values: Vec<DataValue> = db.values().cloned().collect();
    for unit in tree.units() {
        for period in periods() {
            let reference = crate::rollup::unit_figures(&catalog, tree, &unit.code, period, &values);
            assert_same(
                &cube.unit_figures(&unit.code, period, TreeView::AsItWas),
                &reference,
                &format!("{} {period}", unit.code),
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn the_engine_rolls_up_as_the_reference_after_loading_and_after_every_change(
        parents in prop::collection::vec(0usize..100, 1..12),
        loaded in prop::collection::vec((0usize..20, 0usize..7, 0usize..38, 0i64..1000), 0..80),
        changes in prop::collection::vec(
            (0usize..20, 0usize..38, prop::collection::vec((0usize..7, 0i64..1000), 0..5)),
            0..12,
        ),
        members in prop::collection::vec(0usize..20, 1..5),
    ) {
        let tree = tree(&parents);
        let units = tree.len();
        let catalog = catalog();
        let mut db = stored(loaded.iter().map(|c| data_value(units, *c)));
        let mut cube = Cube::new(&tree, &Lineage::default(), &catalog);
        cube.load(db.values().map(|v| as_number(&cube, v)).collect::<Vec<_>>());
        check_every_unit_and_period(&cube, &tree, &db);
        prop_assert_eq!(cube.len(), db.len());

        for (u, p, cells) in changes {
            // A change replaces what the unit holds for the period, as a form or import does.
            let written: Vec<DataValue> = cells.iter().map(|(i, n)| data_value(units, (u, *i, p, *n))).collect();
            let (unit, period) = (unit_code(u % units), periods()[p % periods().len()]);
            db.retain(|(du, _, dp), _| !(du == &unit && *dp == period));
            db.extend(stored(written.clone()));
            let now: Vec<(IndicatorSlot, f64, bool)> = db
                .values()
                .filter(|v| v.unit == unit && v.period == period)
                .map(|v| {
                    let (_, i, _, x, w) = as_number(&cube, v);
                    (i, x, w)
                })
                .collect();
            cube.replace(cube.unit_slot(&unit).unwrap(), period, &now);
            prop_assert_eq!(cube.len(), db.len());
        }
        check_every_unit_and_period(&cube, &tree, &db);

        let cluster = Cluster {
            code: crate::code::ClusterCode::parse("CUM").unwrap(),
            name: "Cụm thử".into(),
            year: 2022,
            members: members.iter().map(|m| unit_code(m % units)).collect::<BTreeSet<_>>().into_iter().collect(),
            chair: None,
            deputy: None,
            host: None,
        };
        let values: Vec<DataValue> = db.values().cloned().collect();
        for period in periods() {
            let reference = crate::rollup::rollup_cluster(&catalog, &tree, &cluster, period, &values);
            let engine = cube.cluster(&tree, &cluster, period, TreeView::AsItWas);
            assert_same(&engine.total, &reference.total, &format!("cluster total {period}"));
            prop_assert_eq!(engine.members.len(), reference.members.len());
            for ((u, e), (_, r)) in engine.members.iter().zip(&reference.members) {
                assert_same(e, r, &format!("member {} {period}", u.code));
            }
        }
    }
}

#[test]
fn a_month_lies_in_its_quarter_its_half_and_its_year_and_no_other() {
    let july = Slot::of(Period::Month(2022, 7)).unwrap();
    let containers: Vec<Period> = july.with_containers().map(Slot::period).collect();
    assert_eq!(
        containers,
        vec![
            Period::Month(2022, 7),
            Period::Quarter(2022, 3),
            Period::HalfYear(2022, 2),
            Period::Year(2022)
        ]
    );
    assert!(!Slot::of(Period::HalfYear(2022, 1)).unwrap().contains(july));
}

#[test]
fn every_period_keeps_its_identity_through_its_slot() {
    for period in periods()
        .into_iter()
        .chain([Period::Year(1945), Period::Month(2100, 12)])
    {
        assert_eq!(Slot::of(period).map(Slot::period), Some(period));
    }
}

#[test]
fn the_periods_with_values_are_those_reported_newest_first() {
    let tree = tree(&[0, 0]);
    let catalog = catalog();
    let mut cube = Cube::new(&tree, &Lineage::default(), &catalog);
    let numbers: Vec<_> = [
        (1, 0, Period::HalfYear(2021, 2)),
        (2, 0, Period::HalfYear(2022, 1)),
        (2, 0, Period::Year(2021)),
    ]
    .into_iter()
    .map(|(u, _, p)| (cube.unit_slot(&unit_code(u)).unwrap(), IndicatorSlot(0), p, 1.0, true))
    .collect();
    cube.load(numbers);
    assert_eq!(
        cube.periods_with_values(&[unit_code(0)], TreeView::AsItWas),
        vec![Period::HalfYear(2022, 1), Period::Year(2021), Period::HalfYear(2021, 2)]
    );
    assert_eq!(
        cube.periods_with_values(&[unit_code(1)], TreeView::AsItWas),
        vec![Period::HalfYear(2021, 2)]
    );
}

#[test]
fn a_unit_whose_numbers_are_all_taken_back_leaves_no_total_behind() {
    let tree = tree(&[0]);
    let catalog = catalog();
    let mut cube = Cube::new(&tree, &Lineage::default(), &catalog);
    let child = cube.unit_slot(&unit_code(1)).unwrap();
    cube.replace(child, Period::HalfYear(2022, 1), &[(IndicatorSlot(0), 5.0, true)]);
    assert!(
        !cube
            .unit_figures(&unit_code(0), Period::Year(2022), TreeView::AsItWas)
            .is_empty()
    );
    cube.replace(child, Period::HalfYear(2022, 1), &[]);
    assert!(
        cube.unit_figures(&unit_code(0), Period::Year(2022), TreeView::AsItWas)
            .is_empty()
    );
    assert!(cube.periods_with_values(&[unit_code(0)], TreeView::AsItWas).is_empty());
    assert!(cube.is_empty());
}

/// Leaves merged (or split by weights) into new units on 1/7/2025: in today's tree a new
/// unit's 2022 is the sum of its predecessors' shares; in the tree as it was, nothing moves.
#[test]
fn today_s_tree_carries_each_predecessor_s_past_by_its_share() {
    proptest!(ProptestConfig::with_cases(48), |(
        parents in prop::collection::vec(0usize..100, 3..10),
        merges in prop::collection::vec((0usize..20, 0usize..20, 0usize..20), 1..3),
        split in (0usize..20, 1u32..9),
        loaded in prop::collection::vec((0usize..20, 0usize..3, 0usize..38, 0i64..1000), 1..60),
    )| {
        let before = tree(&parents);
        let leaves: Vec<UnitCode> = before.units().filter(|u| before.children(&u.code).next().is_none()).map(|u| u.code.clone()).collect();
        prop_assume!(leaves.len() >= 2);
        let day = NaiveDate::from_ymd_opt(2025, 7, 1).unwrap();
        let mut requests = Vec::new();
        let mut used = BTreeSet::new();
        for (n, (a, b, parent)) in merges.iter().enumerate() {
            let (a, b) = (&leaves[a % leaves.len()], &leaves[b % leaves.len()]);
            if a == b || used.contains(a) || used.contains(b) {
                continue;
            }
            used.extend([a.clone(), b.clone()]);
            requests.push(ChangeRequest {
                effective: day,
                kind: ChangeKind::Merge,
                from: vec![a.clone(), b.clone()],
                to: vec![(UnitCode::parse(&format!("N{n}")).unwrap(), None)],
                names: vec![format!("Đơn vị mới {n}")],
                parent: Some(unit_code(parent % before.len())),
            });
        }
        let (s, w) = split;
        let split_unit = &leaves[s % leaves.len()];
        if !used.contains(split_unit) {
            let w = f64::from(w) / 10.0;
            requests.push(ChangeRequest {
                effective: day,
                kind: ChangeKind::Split,
                from: vec![split_unit.clone()],
                to: vec![(UnitCode::parse("T1").unwrap(), Some(w)), (UnitCode::parse("T2").unwrap(), Some(1.0 - w))],
                names: vec!["Tách một".into(), "Tách hai".into()],
                parent: None,
            });
        }
        let plan = plan(&before, &requests);
        prop_assume!(plan.is_ok());
        let plan = plan.unwrap();
        let mut units: Vec<Unit> = before.units().cloned().collect();
        for u in &mut units {
            u.valid_to = plan.end.get(&u.code).copied();
        }
        units.extend(plan.create.clone());
        let today = UnitTree::new(units).unwrap();
        let lineage = Lineage::new(plan.changes.clone());
        let catalog = catalog();
        let db = stored(loaded.iter().map(|c| data_value(before.len(), *c)));
        let values: Vec<DataValue> = db.values().cloned().collect();
        let mut cube = Cube::new(&today, &lineage, &catalog);
        cube.load(values.iter().map(|v| as_number(&cube, v)).collect::<Vec<_>>());

        for period in [Period::Year(2022), Period::HalfYear(2021, 2), Period::Quarter(2022, 3)] {
            let own = crate::rollup::over_time(&catalog, period, &values);
            for target in today.units() {
                // The tree as it was: the plain rollup over the same tree.
                let as_it_was = crate::rollup::unit_figures(&catalog, &today, &target.code, period, &values);
                assert_same(&cube.unit_figures(&target.code, period, TreeView::AsItWas), &as_it_was, "as it was");
                // Today's tree: each unit's own figure, times its share in the units below `target`.
                let below: BTreeSet<&UnitCode> = today.subtree(&target.code).into_iter().collect();
                let mut expected: BTreeMap<&str, f64> = BTreeMap::new();
                for (unit, figures) in &own {
                    let share: f64 = lineage
                        .successors_today(unit)
                        .iter()
                        .filter(|(to, _)| below.contains(to))
                        .map(|(_, w)| w)
                        .sum();
                    if share == 0.0 {
                        continue;
                    }
                    for name in ["DEATHS", "CREMATIONS", "STOCK"] {
                        if let Some(x) = figures.get(&IndicatorCode::parse(name).unwrap()).and_then(Value::as_f64) {
                            *expected.entry(name).or_insert(0.0) += share * x;
                        }
                    }
                }
                let got = cube.unit_figures(&target.code, period, TreeView::Current);
                for name in ["DEATHS", "CREMATIONS", "STOCK"] {
                    let got = got.number(&IndicatorCode::parse(name).unwrap());
                    match expected.get(name) {
                        Some(x) => prop_assert!(got.is_some_and(|g| (g - x).abs() < 1e-6), "{} {period} {name}: {got:?} ≠ {x}", target.code),
                        None => prop_assert_eq!(got, None, "{} {} {}", target.code, period, name),
                    }
                }
            }
        }
    });
}

// ---- Ranges of periods -------------------------------------------------------------

/// The range of periods of one type (`kind` 0 years … 3 months) among 2021–2022 between
/// the `a`-th and the `b`-th, whichever comes first.
fn range_among(kind: usize, a: usize, b: usize) -> PeriodRange {
    let wanted = [
        PeriodType::Year,
        PeriodType::HalfYear,
        PeriodType::Quarter,
        PeriodType::Month,
    ][kind % 4];
    let of_type: Vec<Period> = periods().into_iter().filter(|p| p.period_type() == wanted).collect();
    let (a, b) = (a % of_type.len(), b % of_type.len());
    PeriodRange::new(of_type[a.min(b)], of_type[a.max(b)]).unwrap()
}

/// What a range's figures must be, worked out naively from the raw values: for each
/// period of the range, each unit's own figure as the plain reference's first step gives
/// it; then by hand, over the units of `below` and the periods: sums added, the stock
/// each unit's latest figure in the range added up, the average of every (unit, period) figure,
/// the lowest and highest of them, and the rate from the summed counts.
fn naive_over_range(values: &[DataValue], below: &BTreeSet<&UnitCode>, range: PeriodRange) -> BTreeMap<String, f64> {
    let catalog = catalog();
    let code = |name: &str| IndicatorCode::parse(name).unwrap();
    let mut out: BTreeMap<String, f64> = BTreeMap::new();
    let mut score = (0.0, 0u32);
    let mut latest_stock: BTreeMap<&UnitCode, f64> = BTreeMap::new();
    for period in range.periods() {
        let per_unit = crate::rollup::over_time(&catalog, period, values);
        for (unit, figures) in below.iter().filter_map(|u| Some((*u, per_unit.get(*u)?))) {
            let number = |name: &str| figures.get(&code(name)).and_then(Value::as_f64);
            for name in ["DEATHS", "CREMATIONS", "MONEY"] {
                if let Some(x) = number(name) {
                    *out.entry(name.into()).or_insert(0.0) += x;
                }
            }
            if let Some(x) = number("STOCK") {
                latest_stock.insert(unit, x);
            }
            if let Some(x) = number("SCORE") {
                score = (score.0 + x, score.1 + 1);
            }
            if let Some(x) = number("LOWEST") {
                let low = out.entry("LOWEST".into()).or_insert(x);
                *low = low.min(x);
            }
            if let Some(x) = number("HIGHEST") {
                let high = out.entry("HIGHEST".into()).or_insert(x);
                *high = high.max(x);
            }
        }
    }
    if !latest_stock.is_empty() {
        out.insert("STOCK".into(), latest_stock.values().sum());
    }
    if score.1 > 0 {
        out.insert("SCORE".into(), score.0 / f64::from(score.1));
    }
    if let (Some(deaths), Some(cremations)) = (out.get("DEATHS"), out.get("CREMATIONS"))
        && *deaths != 0.0
    {
        out.insert("RATE".into(), 100.0 * cremations / deaths);
    }
    out
}

fn assert_same_numbers(engine: &Figures, expected: &BTreeMap<String, f64>, what: &str) {
    let got: BTreeMap<String, f64> = engine
        .iter()
        .filter_map(|(code, v)| Some((code.to_string(), v.as_f64()?)))
        .collect();
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "{what}: the same indicators have figures"
    );
    for (name, x) in expected {
        let g = got[name];
        assert!((g - x).abs() <= 1e-9 * x.abs().max(1.0), "{what}: {name}: {g} ≠ {x}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn a_range_rolls_up_as_its_periods_added_up_by_hand_from_the_raw_values(
        parents in prop::collection::vec(0usize..100, 1..10),
        loaded in prop::collection::vec((0usize..20, 0usize..7, 0usize..38, 0i64..1000), 0..80),
        ranges in prop::collection::vec((0usize..4, 0usize..24, 0usize..24), 1..4),
        members in prop::collection::vec(0usize..20, 1..4),
    ) {
        let tree = tree(&parents);
        let catalog = catalog();
        let db = stored(loaded.iter().map(|c| data_value(tree.len(), *c)));
        let values: Vec<DataValue> = db.values().cloned().collect();
        let mut cube = Cube::new(&tree, &Lineage::default(), &catalog);
        cube.load(values.iter().map(|v| as_number(&cube, v)).collect::<Vec<_>>());
        let cluster = Cluster {
            code: crate::code::ClusterCode::parse("CUM").unwrap(),
            name: "Cụm thử".into(),
            year: 2022,
            members: members.iter().map(|m| unit_code(m % tree.len())).collect::<BTreeSet<_>>().into_iter().collect(),
            chair: None,
            deputy: None,
            host: None,
        };

        for (kind, a, b) in ranges {
            let range = range_among(kind, a, b);
            for unit in tree.units() {
                let below: BTreeSet<&UnitCode> = tree.subtree(&unit.code).into_iter().collect();
                assert_same_numbers(
                    &cube.unit_figures_over(&unit.code, range, TreeView::AsItWas),
                    &naive_over_range(&values, &below, range),
                    &format!("{} {range}", unit.code),
                );
            }
            let rollup = cube.cluster_over(&tree, &cluster, range, TreeView::AsItWas);
            let everyone: BTreeSet<&UnitCode> = cluster.members.iter().flat_map(|m| tree.subtree(m)).collect();
            assert_same_numbers(&rollup.total, &naive_over_range(&values, &everyone, range), &format!("cluster {range}"));
            prop_assert_eq!(rollup.members.len(), cluster.members.len());
            for (member, figures) in &rollup.members {
                let below: BTreeSet<&UnitCode> = tree.subtree(&member.code).into_iter().collect();
                assert_same_numbers(figures, &naive_over_range(&values, &below, range), &format!("member {} {range}", member.code));
            }
        }
    }

    #[test]
    fn a_range_of_one_period_rolls_up_as_that_period(
        parents in prop::collection::vec(0usize..100, 1..8),
        loaded in prop::collection::vec((0usize..20, 0usize..7, 0usize..38, 0i64..1000), 0..60),
    ) {
        let tree = tree(&parents);
        let catalog = catalog();
        let db = stored(loaded.iter().map(|c| data_value(tree.len(), *c)));
        let mut cube = Cube::new(&tree, &Lineage::default(), &catalog);
        cube.load(db.values().map(|v| as_number(&cube, v)).collect::<Vec<_>>());
        for unit in tree.units() {
            for period in periods() {
                prop_assert_eq!(
                    cube.unit_figures_over(&unit.code, PeriodRange::single(period), TreeView::AsItWas),
                    cube.unit_figures(&unit.code, period, TreeView::AsItWas)
                );
            }
        }
    }
}

/// A leaf below a root, with `numbers` (indicator, period code, value) loaded for the leaf.
fn leaf_with(numbers: &[(&str, &str, i64)]) -> Cube {
    let tree = tree(&[0]);
    let mut cube = Cube::new(&tree, &Lineage::default(), &catalog());
    let leaf = cube.unit_slot(&unit_code(1)).unwrap();
    let loaded: Vec<_> = numbers
        .iter()
        .map(|(i, p, n)| {
            let indicator = cube.indicator_slot(&IndicatorCode::parse(i).unwrap()).unwrap();
            (leaf, indicator, Period::parse(p).unwrap(), *n as f64, true)
        })
        .collect();
    cube.load(loaded);
    cube
}

fn figure(cube: &Cube, range: &str, indicator: &str) -> Option<Value> {
    let range = PeriodRange::parse(range).unwrap();
    cube.unit_figures_over(&unit_code(0), range, TreeView::AsItWas)
        .get(&IndicatorCode::parse(indicator).unwrap())
        .cloned()
}

#[test]
fn a_range_of_quarters_adds_each_quarter_and_a_stock_takes_the_latest_one_reported() {
    let cube = leaf_with(&[
        ("DEATHS", "2022Q1", 10),
        ("DEATHS", "2022Q2", 20),
        ("DEATHS", "2022Q3", 40),
        ("DEATHS", "2022Q4", 80),
        ("STOCK", "2022Q1", 5),
        ("STOCK", "2022Q2", 7),
        ("STOCK", "2022Q4", 9),
    ]);
    assert_eq!(figure(&cube, "2022Q1..2022Q3", "DEATHS"), Some(Value::Whole(70)));
    // Q3 has no stock: the latest quarter of the range that has one is Q2.
    assert_eq!(figure(&cube, "2022Q1..2022Q3", "STOCK"), Some(Value::Whole(7)));
    assert_eq!(figure(&cube, "2022Q3..2022Q3", "STOCK"), None);
}

#[test]
fn a_year_reported_whole_counts_once_in_a_range_of_years() {
    let cube = leaf_with(&[
        ("DEATHS", "2021", 100),
        ("DEATHS", "2021S1", 30),
        ("DEATHS", "2022S1", 5),
        ("DEATHS", "2022S2", 6),
    ]);
    assert_eq!(figure(&cube, "2021..2022", "DEATHS"), Some(Value::Whole(111)));
    // Half-years see only half-years: the year reported whole lies in none of them.
    assert_eq!(figure(&cube, "2021S1..2022S2", "DEATHS"), Some(Value::Whole(41)));
}

#[test]
fn a_rate_over_a_range_is_computed_from_the_range_s_sums_not_averaged() {
    let cube = leaf_with(&[
        ("DEATHS", "202201", 100),
        ("CREMATIONS", "202201", 100),
        ("DEATHS", "202202", 900),
        ("CREMATIONS", "202202", 0),
    ]);
    // The months' rates are 100 % and 0 %; the range's is 100 of 1.000 deaths.
    assert_eq!(figure(&cube, "202201..202202", "RATE"), Some(Value::Decimal(10.0)));
}

#[test]
fn a_unit_that_skipped_the_range_s_last_period_still_counts_with_its_latest_stock() {
    let tree = tree(&[0, 0]);
    let mut cube = Cube::new(&tree, &Lineage::default(), &catalog());
    let stock = cube.indicator_slot(&IndicatorCode::parse("STOCK").unwrap()).unwrap();
    let (one, two) = (
        cube.unit_slot(&unit_code(1)).unwrap(),
        cube.unit_slot(&unit_code(2)).unwrap(),
    );
    let quarter = |q: &str| Period::parse(q).unwrap();
    cube.load(vec![
        (one, stock, quarter("2022Q1"), 5.0, true),
        (one, stock, quarter("2022Q2"), 7.0, true),
        (two, stock, quarter("2022Q1"), 3.0, true),
    ]);

    // Unit 2 did not report Q2: its Q1 stock is still its latest.
    assert_eq!(figure(&cube, "2022Q1..2022Q2", "STOCK"), Some(Value::Whole(10)));
    assert_eq!(
        figure(&cube, "2022S1..2022S1", "STOCK"),
        Some(Value::Whole(10)),
        "the same as the half-year made of those quarters"
    );
}
