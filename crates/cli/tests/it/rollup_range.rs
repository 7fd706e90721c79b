//! `thidua rollup --period 2022S1..2022S2`: a range of periods from the command line, its
//! sums those of its periods, named in Vietnamese, and a bad range refused with the reason.

use crate::common::thidua;

use thidua_store::Backend;
use thidua_store::testing::TestDatabase;

thidua_store::on_both_backends!(
    a_range_from_the_command_line_adds_up_its_periods,
    a_bad_range_from_the_command_line_is_refused_with_the_reason,
);

/// The value of `indicator` for `unit` in a `--format csv` answer.
fn csv_value(csv: &str, unit: &str, indicator: &str) -> Option<(String, String)> {
    csv.lines()
        .find_map(|line| match line.split(',').collect::<Vec<_>>()[..] {
            [u, i, period, value] if u == unit && i == indicator => Some((period.to_owned(), value.to_owned())),
            _ => None,
        })
}

async fn a_range_from_the_command_line_adds_up_its_periods(backend: Backend) {
    let Some(db) = TestDatabase::new(backend).await else {
        return;
    };
    let demo = thidua(&db, &["demo"]);
    assert!(demo.status.success(), "{}", String::from_utf8_lossy(&demo.stderr));
    db.store()
        .await
        .import_values_csv("unit,indicator,period,value\nHN-HADONG,TANG_SO_DAM,2022S2,700\n")
        .await
        .unwrap();

    let csv = thidua(
        &db,
        &[
            "rollup",
            "--unit",
            "HN-HADONG",
            "--period",
            "2022S1..2022S2",
            "--format",
            "csv",
        ],
    );
    let table = thidua(&db, &["rollup", "--cluster", "HN-CUM2", "--period", "2022S1..2022S2"]);

    let csv = String::from_utf8_lossy(&csv.stdout).into_owned();
    // The demo's 1.020 of the first half and the 700 of the second.
    assert_eq!(
        csv_value(&csv, "HN-HADONG", "TANG_SO_DAM"),
        Some(("2022S1..2022S2".to_owned(), "1720".to_owned())),
        "{csv}"
    );
    let table = String::from_utf8_lossy(&table.stdout).into_owned();
    assert!(
        table.starts_with("Cụm thi đua số 2 (HN-CUM2) — Từ 6 tháng đầu đến 6 tháng cuối năm 2022"),
        "{table}"
    );
}

async fn a_bad_range_from_the_command_line_is_refused_with_the_reason(backend: Backend) {
    let Some(db) = TestDatabase::new(backend).await else {
        return;
    };

    let refused = thidua(&db, &["rollup", "--cluster", "HN-CUM2", "--period", "2022S2..2022S1"]);

    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("kỳ đầu 2022S2 ở sau kỳ cuối 2022S1"), "{stderr}");
}
