//! `thidua bench-data` as the scale benchmark uses it: the same seed writes the same bytes,
//! and what it writes imports cleanly and rolls up to the sums computed here straight from
//! the CSV rows — a year reported whole taken instead of its half-years, a stock's latest
//! figure, a ratio computed on the sums.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use thidua_core::import::{read_indicators, read_units};
use thidua_core::{Aggregation, Catalog, IndicatorCode, UnitCode, UnitTree};
use thidua_store::testing::TestDatabase;

use crate::common::thidua;

/// A small national tree: 3 provinces, 30 communes, 120 areas, 12 indicators, 4 half-years.
const SIZE: [&str; 10] = [
    "--provinces",
    "3",
    "--communes",
    "30",
    "--areas",
    "120",
    "--indicators",
    "12",
    "--periods",
    "4",
];
const FILES: [&str; 4] = ["units.csv", "indicators.csv", "clusters.csv", "values.csv"];

/// A folder of its own in the temporary folder, removed when the test ends.
struct Folder(PathBuf);

impl Folder {
    fn new(name: &str) -> Folder {
        let path = std::env::temp_dir().join(format!("thidua-bench-data-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        Folder(path)
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `thidua bench-data` at the test's size into `out`; returns what it printed.
fn bench_data(out: &Path, seed: &str) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_thidua"))
        .arg("bench-data")
        .args(SIZE)
        .args(["--seed", seed, "--out"])
        .arg(out)
        .env_remove("THIDUA_DB")
        .output()
        .expect("running thidua bench-data");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "bench-data failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap()
}

#[test]
fn the_same_seed_writes_byte_identical_files_and_another_seed_other_values() {
    let (a, b, c) = (Folder::new("a"), Folder::new("b"), Folder::new("c"));
    let printed = bench_data(&a.0, "11");
    bench_data(&b.0, "11");
    bench_data(&c.0, "12");

    for name in FILES {
        assert!(
            std::fs::read(a.0.join(name)).unwrap() == std::fs::read(b.0.join(name)).unwrap(),
            "{name} differs between two runs with the same seed"
        );
    }
    assert_ne!(read(&a.0, "values.csv"), read(&c.0, "values.csv"));
    assert!(printed.contains("154 đơn vị"), "{printed}");
    assert!(printed.contains("12 chỉ tiêu"), "{printed}");
    assert!(
        printed.contains("giá trị của 4 kỳ 6 tháng từ 2024S2 đến 2026S1"),
        "{printed}"
    );
}

/// The figures of `root`'s subtree for `period`, computed from the rows of values.csv:
/// per unit and indicator the year's own row when there is one, else its half-years
/// (summed, or the latest for a stock); then summed over the units.
fn expected_from_csv(
    values: &str,
    catalog: &Catalog,
    subtree: &BTreeSet<String>,
    period: &str,
) -> BTreeMap<String, i64> {
    let mut cells: BTreeMap<(&str, &str), BTreeMap<&str, i64>> = BTreeMap::new();
    for line in values.lines().skip(1) {
        let fields: Vec<&str> = line.split(',').collect();
        let [unit, indicator, row_period, value] = fields[..] else {
            panic!("a values row of four fields: {line}");
        };
        if subtree.contains(unit) && row_period.starts_with(period) {
            cells
                .entry((unit, indicator))
                .or_default()
                .insert(row_period, value.parse().unwrap());
        }
    }
    let mut totals = BTreeMap::new();
    for ((_, indicator), by_period) in cells {
        let aggregation = catalog
            .get(&IndicatorCode::parse(indicator).unwrap())
            .unwrap()
            .aggregation;
        let figure = match (by_period.get(period), aggregation) {
            (Some(whole), _) => *whole,
            // Half-year codes sort in time order, so the last is the latest.
            (None, Aggregation::Last) => *by_period.values().last().unwrap(),
            (None, _) => by_period.values().sum(),
        };
        *totals.entry(indicator.to_owned()).or_insert(0) += figure;
    }
    totals
}

/// `thidua rollup --format csv` as indicator → value.
fn rollup_csv(db: &TestDatabase, args: &[&str]) -> BTreeMap<String, String> {
    let output = thidua(db, &[&["rollup", "--format", "csv"], args].concat());
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .skip(1)
        .map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            (fields[1].to_owned(), fields[3].to_owned())
        })
        .collect()
}

#[test]
fn the_generated_files_import_cleanly_and_a_province_rolls_up_to_the_sums_of_its_csv_rows() {
    let dir = Folder::new("import");
    bench_data(&dir.0, "2025");
    let db = TestDatabase::sqlite();

    for (kind, name) in [
        ("units", "units.csv"),
        ("indicators", "indicators.csv"),
        ("clusters", "clusters.csv"),
        ("values", "values.csv"),
    ] {
        let path = dir.0.join(name);
        let output = thidua(&db, &["import", kind, path.to_str().unwrap()]);
        assert!(
            output.status.success(),
            "importing {name}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    let tree = UnitTree::new(
        read_units(&read(&dir.0, "units.csv"), &UnitTree::default())
            .unwrap()
            .into_iter()
            .map(|l| l.row),
    )
    .unwrap();
    let catalog = Catalog::new(
        read_indicators(&read(&dir.0, "indicators.csv"), &Catalog::default())
            .unwrap()
            .into_iter()
            .map(|l| l.row)
            .collect(),
    )
    .unwrap();
    let province = UnitCode::parse("P01").unwrap();
    let subtree: BTreeSet<String> = tree.subtree(&province).iter().map(ToString::to_string).collect();
    let values = read(&dir.0, "values.csv");

    for period in ["2025", "2026S1"] {
        let expected = expected_from_csv(&values, &catalog, &subtree, period);
        let rolled = rollup_csv(&db, &["--unit", "P01", "--period", period]);
        for (indicator, total) in &expected {
            assert_eq!(
                rolled.get(indicator),
                Some(&total.to_string()),
                "P01 {indicator} {period}"
            );
        }
        let cremations = 100.0 * expected["TANG_HOA_TANG"] as f64 / expected["TANG_SO_DAM"] as f64;
        let rate: f64 = rolled["TY_LE_HOA_TANG"].parse().unwrap();
        assert!((rate - cremations).abs() < 0.006, "{rate} vs {cremations}");
    }

    // The rule was exercised: the province has cells reported for 2025 as a whole, and
    // adding up every 2025 row of its summed indicators would give another total.
    let rows: Vec<Vec<&str>> = values.lines().skip(1).map(|l| l.split(',').collect()).collect();
    let summed =
        |code: &str| catalog.get(&IndicatorCode::parse(code).unwrap()).unwrap().aggregation == Aggregation::Sum;
    let in_2025 = rows
        .iter()
        .filter(|r| subtree.contains(r[0]) && r[2].starts_with("2025"));
    assert!(
        in_2025.clone().any(|r| r[2] == "2025"),
        "no value of P01's subtree is reported for 2025 as a whole"
    );
    let naive: i64 = in_2025
        .filter(|r| summed(r[1]))
        .map(|r| r[3].parse::<i64>().unwrap())
        .sum();
    let expected = expected_from_csv(&values, &catalog, &subtree, "2025");
    let by_rule: i64 = expected
        .iter()
        .filter(|(code, _)| summed(code))
        .map(|(_, total)| total)
        .sum();
    assert_ne!(naive, by_rule);

    // Each year's commune clusters roll up too.
    let cluster = rollup_csv(&db, &["--cluster", "P01-CUM01", "--period", "2025"]);
    assert!(cluster.contains_key("TANG_SO_DAM"));
}
