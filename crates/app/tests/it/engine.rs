//! The rollup engine answers what one plain SQL aggregation over the raw values answers,
//! on random trees, random writes and random periods of every type, and a value written
//! by one process is in the very next rollup of another.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::fixtures::{INDICATORS, Lcg};
use sqlx::Row;
use thidua_app::App;
use thidua_core::{Period, UnitCode};
use thidua_store::testing::TestDatabase;
use thidua_store::testing::statements::record_statements;
use thidua_store::{Backend, Store};

thidua_store::on_both_backends!(
    the_engine_rolls_up_as_plain_sql_over_random_trees_writes_and_periods,
    a_value_written_through_one_process_is_in_the_other_s_next_rollup,
    a_rollup_after_no_change_reads_no_value,
);

/// The indicators added up (not the rate), and whether each takes the latest.
const REPORTED: [(&str, bool); 4] = [
    ("DEATHS", false),
    ("CREMATIONS", false),
    ("FAMILIES", true),
    ("FUNDS", false),
];

fn periods() -> Vec<Period> {
    let mut out = Vec::new();
    for y in [2021, 2022] {
        out.push(Period::Year(y));
        out.extend((1..=2).map(|h| Period::HalfYear(y, h)));
        out.extend((1..=4).map(|q| Period::Quarter(y, q)));
        out.extend([1, 6, 7, 12].map(|m| Period::Month(y, m)));
    }
    out
}

/// The figures of `unit`'s subtree for `period` by one SQL statement over the raw values:
/// of each unit's values inside the period, those not inside a longer one also inside it;
/// summed, or for a stock each unit's latest summed.
async fn plain_sql(store: &Store, backend: Backend, unit: &str, period: Period) -> BTreeMap<String, f64> {
    let float = match backend {
        Backend::Sqlite => "REAL",
        Backend::Postgres => "DOUBLE PRECISION",
    };
    let sql = format!(
        "WITH RECURSIVE sub(id) AS (
             SELECT id FROM unit WHERE code = $1
             UNION SELECT u.id FROM unit u JOIN sub ON u.parent_id = sub.id
         ),
         inside AS (
             SELECT v.* FROM data_value v JOIN sub ON sub.id = v.unit_id
             WHERE v.period_start >= $2 AND v.period_end <= $3
         ),
         taken AS (
             SELECT a.* FROM inside a WHERE NOT EXISTS (
                 SELECT 1 FROM inside b WHERE b.unit_id = a.unit_id AND b.indicator_id = a.indicator_id
                 AND b.period <> a.period AND b.period_start <= a.period_start AND b.period_end >= a.period_end)
         )
         SELECT i.code, SUM(COALESCE(CAST(t.value_int AS {float}), t.value_real)) AS total
         FROM taken t JOIN indicator i ON i.id = t.indicator_id
         WHERE i.aggregation = 'sum' OR NOT EXISTS (
             SELECT 1 FROM taken l WHERE l.unit_id = t.unit_id AND l.indicator_id = t.indicator_id
             AND l.period_end > t.period_end)
         GROUP BY i.code"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(unit)
        .bind(period.start().to_string())
        .bind(period.end().to_string())
        .fetch_all(store.pool_for_tests())
        .await
        .unwrap();
    rows.iter()
        .map(|r| (r.get::<String, _>("code"), r.get::<f64, _>("total")))
        .collect()
}

async fn engine_figures(app: &App, unit: &str, period: Period) -> BTreeMap<String, f64> {
    let directory = app.directory().await.unwrap();
    let catalog = app.store().catalog().await.unwrap();
    let figures = thidua_app::rollups::unit_figures(app, &directory, &catalog, &UnitCode::parse(unit).unwrap(), period)
        .await
        .unwrap();
    figures
        .iter()
        .map(|(code, value)| (code.to_string(), value.as_f64().unwrap()))
        .collect()
}

fn assert_close(engine: &BTreeMap<String, f64>, sql: &BTreeMap<String, f64>, what: &str) {
    let mut expected = sql.clone();
    if let (Some(deaths), Some(cremations)) = (sql.get("DEATHS"), sql.get("CREMATIONS"))
        && *deaths != 0.0
    {
        expected.insert("RATE".into(), 100.0 * cremations / deaths);
    }
    assert_eq!(
        engine.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "{what}: the same indicators have figures"
    );
    for (code, x) in &expected {
        let got = engine[code];
        assert!(
            (got - x).abs() <= 1e-9 * x.abs().max(1.0),
            "{what}: {code}: engine {got}, SQL {x}"
        );
    }
}

async fn the_engine_rolls_up_as_plain_sql_over_random_trees_writes_and_periods(backend: Backend) {
    let Some(db) = TestDatabase::new(backend).await else {
        return;
    };
    let store = db.store().await;
    store.import_indicators_csv(INDICATORS).await.unwrap();
    let app = App::new(store.clone());
    let periods = periods();
    for seed in 1..=4u64 {
        let mut rng = Lcg(seed);
        // A random tree under its own root, each unit below one made before it.
        let count = 3 + rng.below(10);
        let code = |i: usize| format!("S{seed}-U{i}");
        let mut units = String::from("code,name,kind,parent\n");
        let _ = writeln!(units, "{},Ủy ban MTTQ thử {seed},city,", code(0));
        for i in 1..count {
            let _ = writeln!(units, "{},Đơn vị thử {seed}.{i},ward,{}", code(i), code(rng.below(i)));
        }
        store.import_units_csv(&units).await.unwrap();
        for round in 0..6 {
            // A batch of writes: random units, indicators and periods of every type.
            let mut values = String::from("unit,indicator,period,value\n");
            let mut cells = BTreeMap::new();
            for _ in 0..(1 + rng.below(25)) {
                let (indicator, _) = REPORTED[rng.below(REPORTED.len())];
                let cell = (code(rng.below(count)), indicator, periods[rng.below(periods.len())]);
                let n = rng.below(1000);
                let value = if indicator == "FUNDS" {
                    format!("\"{n},5\"")
                } else {
                    n.to_string()
                };
                cells.insert(cell, value);
            }
            for ((unit, indicator, period), value) in &cells {
                let _ = writeln!(values, "{unit},{indicator},{},{value}", period.code());
            }
            store.import_values_csv(&values).await.unwrap();
            for i in 0..count {
                for period in [
                    periods[rng.below(periods.len())],
                    Period::Year(2022),
                    Period::HalfYear(2021, 2),
                ] {
                    let what = format!("seed {seed}, round {round}, {} {period}", code(i));
                    let sql = plain_sql(&store, backend, &code(i), period).await;
                    assert_close(&engine_figures(&app, &code(i), period).await, &sql, &what);
                }
            }
        }
    }
}

const UNITS: &str = "code,name,kind,parent
HN,Ủy ban MTTQ Việt Nam Thành phố Hà Nội,city,
HN-HADONG,Ủy ban MTTQ Việt Nam quận Hà Đông,district,HN
HN-HADONG-P1,Ủy ban MTTQ Việt Nam phường Quang Trung,ward,HN-HADONG
";

async fn a_value_written_through_one_process_is_in_the_other_s_next_rollup(backend: Backend) {
    let Some(db) = TestDatabase::new(backend).await else {
        return;
    };
    // Two applications on their own connections: what two server processes share is the
    // database alone.
    let one = App::new(db.store().await);
    let other = App::new(db.store().await);
    one.store().import_indicators_csv(INDICATORS).await.unwrap();
    one.store().import_units_csv(UNITS).await.unwrap();
    let s1 = Period::HalfYear(2022, 1);
    one.store()
        .import_values_csv("unit,indicator,period,value\nHN-HADONG-P1,DEATHS,2022S1,10\n")
        .await
        .unwrap();
    assert_eq!(engine_figures(&other, "HN", s1).await.get("DEATHS"), Some(&10.0));
    one.store()
        .import_values_csv("unit,indicator,period,value\nHN-HADONG-P1,DEATHS,2022S1,12\nHN-HADONG,DEATHS,2022S1,3\n")
        .await
        .unwrap();
    assert_eq!(engine_figures(&other, "HN", s1).await.get("DEATHS"), Some(&15.0));
    assert_eq!(
        engine_figures(&other, "HN", Period::Year(2022)).await.get("DEATHS"),
        Some(&15.0)
    );
    // A unit added by the one is in the other's tree, and its values in its rollups.
    one.store()
        .import_units_csv("code,name,kind,parent\nHN-HADONG-P2,Ủy ban MTTQ Việt Nam phường Hà Cầu,ward,HN-HADONG\n")
        .await
        .unwrap();
    one.store()
        .import_values_csv("unit,indicator,period,value\nHN-HADONG-P2,DEATHS,2022S1,5\n")
        .await
        .unwrap();
    assert_eq!(engine_figures(&other, "HN-HADONG", s1).await.get("DEATHS"), Some(&20.0));
}

async fn a_rollup_after_no_change_reads_no_value(backend: Backend) {
    let Some(db) = TestDatabase::new(backend).await else {
        return;
    };
    let app = App::new(db.store().await);
    app.store().import_indicators_csv(INDICATORS).await.unwrap();
    app.store().import_units_csv(UNITS).await.unwrap();
    app.store()
        .import_values_csv("unit,indicator,period,value\nHN-HADONG-P1,DEATHS,2022S1,10\n")
        .await
        .unwrap();
    let s1 = Period::HalfYear(2022, 1);
    engine_figures(&app, "HN", s1).await;
    let (figures, statements) = record_statements(engine_figures(&app, "HN", s1)).await;
    assert_eq!(figures.get("DEATHS"), Some(&10.0));
    assert!(
        !statements.iter().any(|s| s.contains("data_value")),
        "no value is read when none changed: {statements:?}"
    );
}
