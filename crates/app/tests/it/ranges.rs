//! A rollup over a range of periods (`2021Q3..2022Q2`) answers, for the sum indicators,
//! what one plain SQL aggregation over the raw values answers — each period of the range
//! taken as a single period is (a value inside a longer one of the same period dropped),
//! all of them added — whether the server's engine answers or one built for a command,
//! for a unit's subtree and for a cluster's members and total; and the rate is computed
//! from the range's sums.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::fixtures::{INDICATORS, Lcg};
use sqlx::Row;
use thidua_app::App;
use thidua_core::lineage::TreeView;
use thidua_core::{ClusterCode, Period, PeriodRange, UnitCode};
use thidua_store::testing::TestDatabase;
use thidua_store::{Backend, Store};

thidua_store::on_both_backends!(
    a_range_sums_as_plain_sql_over_the_raw_values_on_random_trees_and_ranges,
    a_cluster_s_range_sums_each_member_and_the_whole_cluster_as_plain_sql,
    a_range_s_stock_is_its_latest_period_s_and_its_rate_comes_from_its_sums,
);

/// The indicators written at random.
const REPORTED: [&str; 4] = ["DEATHS", "CREMATIONS", "FAMILIES", "FUNDS"];

/// The sum indicators, which the SQL below adds up.
const SUMS: [&str; 3] = ["DEATHS", "CREMATIONS", "FUNDS"];

/// Every period of 2021 and 2022.
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

/// A random range of one type among 2021–2022, as an API caller would write it.
fn random_range(rng: &mut Lcg) -> PeriodRange {
    let all = periods();
    let kind = all[rng.below(all.len())].period_type();
    let of_type: Vec<Period> = all.into_iter().filter(|p| p.period_type() == kind).collect();
    let (a, b) = (rng.below(of_type.len()), rng.below(of_type.len()));
    let code = format!("{}..{}", of_type[a.min(b)], of_type[a.max(b)]);
    PeriodRange::parse(&code).unwrap()
}

/// The sum indicators' figures of the subtrees of `units` over `range`, by one SQL
/// statement over the raw values: for each period of the range, each unit's values inside
/// it that are not inside a longer one also inside it; all of them summed.
async fn plain_sql(store: &Store, backend: Backend, units: &[&str], range: PeriodRange) -> BTreeMap<String, f64> {
    let float = match backend {
        Backend::Sqlite => "REAL",
        Backend::Postgres => "DOUBLE PRECISION",
    };
    // The codes and dates are the test's own, not user input.
    let tops: Vec<String> = units.iter().map(|u| format!("'{u}'")).collect();
    let windows: Vec<String> = range
        .periods()
        .map(|p| format!("('{}', '{}')", p.start(), p.end()))
        .collect();
    let sql = format!(
        "WITH RECURSIVE sub(id) AS (
             SELECT id FROM unit WHERE code IN ({tops})
             UNION SELECT u.id FROM unit u JOIN sub ON u.parent_id = sub.id
         ),
         windows(w_start, w_end) AS (VALUES {windows}),
         inside AS (
             SELECT w.w_start, v.* FROM data_value v
             JOIN sub ON sub.id = v.unit_id
             JOIN windows w ON v.period_start >= w.w_start AND v.period_end <= w.w_end
         ),
         taken AS (
             SELECT a.* FROM inside a WHERE NOT EXISTS (
                 SELECT 1 FROM inside b WHERE b.w_start = a.w_start
                 AND b.unit_id = a.unit_id AND b.indicator_id = a.indicator_id
                 AND b.period <> a.period AND b.period_start <= a.period_start AND b.period_end >= a.period_end)
         )
         SELECT i.code, SUM(COALESCE(CAST(t.value_int AS {float}), t.value_real)) AS total
         FROM taken t JOIN indicator i ON i.id = t.indicator_id
         WHERE i.aggregation = 'sum'
         GROUP BY i.code",
        tops = tops.join(", "),
        windows = windows.join(", "),
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(store.pool_for_tests())
        .await
        .unwrap();
    rows.iter()
        .map(|r| (r.get::<String, _>("code"), r.get::<f64, _>("total")))
        .collect()
}

/// The sum indicators' and the rate's figures, as numbers.
fn sums_and_rate(figures: &thidua_core::rollup::Figures) -> BTreeMap<String, f64> {
    figures
        .iter()
        .filter(|(code, _)| SUMS.contains(&code.as_str()) || code.as_str() == "RATE")
        .map(|(code, value)| (code.to_string(), value.as_f64().unwrap()))
        .collect()
}

/// SQL's sums, with the rate computed from them as the engine must.
fn with_rate(sql: &BTreeMap<String, f64>) -> BTreeMap<String, f64> {
    let mut expected = sql.clone();
    if let (Some(deaths), Some(cremations)) = (sql.get("DEATHS"), sql.get("CREMATIONS"))
        && *deaths != 0.0
    {
        expected.insert("RATE".into(), 100.0 * cremations / deaths);
    }
    expected
}

fn assert_close(got: &BTreeMap<String, f64>, expected: &BTreeMap<String, f64>, what: &str) {
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "{what}: the same indicators have figures"
    );
    for (code, x) in expected {
        let g = got[code];
        assert!(
            (g - x).abs() <= 1e-9 * x.abs().max(1.0),
            "{what}: {code}: app {g}, SQL {x}"
        );
    }
}

/// Writes `count` random values over `units` and every period of 2021–2022.
async fn write_random_values(store: &Store, rng: &mut Lcg, units: &[String], count: usize) {
    let periods = periods();
    let mut cells = BTreeMap::new();
    for _ in 0..count {
        let indicator = REPORTED[rng.below(REPORTED.len())];
        let cell = (
            units[rng.below(units.len())].clone(),
            indicator,
            periods[rng.below(periods.len())],
        );
        let n = rng.below(1000);
        let value = if indicator == "FUNDS" {
            format!("\"{n},5\"")
        } else {
            n.to_string()
        };
        cells.insert(cell, value);
    }
    let mut values = String::from("unit,indicator,period,value\n");
    for ((unit, indicator, period), value) in &cells {
        let _ = writeln!(values, "{unit},{indicator},{},{value}", period.code());
    }
    store.import_values_csv(&values).await.unwrap();
}

async fn a_range_sums_as_plain_sql_over_the_raw_values_on_random_trees_and_ranges(backend: Backend) {
    let Some(db) = TestDatabase::new(backend).await else {
        return;
    };
    let store = db.store().await;
    store.import_indicators_csv(INDICATORS).await.unwrap();
    // The server's engine, and a command's, which builds one for a range.
    let (server, command) = (App::new(store.clone()), App::for_one_command(store.clone()));
    let mut with_figures = 0;
    for seed in 1..=3u64 {
        let mut rng = Lcg(seed);
        let count = 3 + rng.below(8);
        let code = |i: usize| format!("R{seed}-U{i}");
        let mut units = String::from("code,name,kind,parent\n");
        let _ = writeln!(units, "{},Ủy ban MTTQ thử {seed},city,", code(0));
        for i in 1..count {
            let _ = writeln!(units, "{},Đơn vị thử {seed}.{i},ward,{}", code(i), code(rng.below(i)));
        }
        store.import_units_csv(&units).await.unwrap();
        let codes: Vec<String> = (0..count).map(code).collect();
        for round in 0..3 {
            let writes = 10 + rng.below(40);
            write_random_values(&store, &mut rng, &codes, writes).await;
            let directory = server.directory().await.unwrap();
            let catalog = store.catalog().await.unwrap();
            for unit in &codes {
                let range = random_range(&mut rng);
                let expected = with_rate(&plain_sql(&store, backend, &[unit], range).await);
                with_figures += usize::from(!expected.is_empty());
                for (app, who) in [(&server, "server"), (&command, "command")] {
                    let unit_code = UnitCode::parse(unit).unwrap();
                    let figures = thidua_app::rollups::unit_figures_over(
                        app,
                        &directory,
                        &catalog,
                        &unit_code,
                        range,
                        TreeView::AsItWas,
                    )
                    .await
                    .unwrap();
                    let what = format!("seed {seed}, round {round}, {who}, {unit} {range}");
                    assert_close(&sums_and_rate(&figures), &expected, &what);
                }
            }
        }
    }
    assert!(with_figures > 10, "most ranges hold figures: {with_figures}");
}

async fn a_cluster_s_range_sums_each_member_and_the_whole_cluster_as_plain_sql(backend: Backend) {
    let Some(db) = TestDatabase::new(backend).await else {
        return;
    };
    let store = db.store().await;
    store.import_indicators_csv(INDICATORS).await.unwrap();
    store
        .import_units_csv(
            "code,name,kind,parent
HN,Ủy ban MTTQ Việt Nam Thành phố Hà Nội,city,
HN-HADONG,Ủy ban MTTQ Việt Nam quận Hà Đông,district,HN
HN-HADONG-P1,Ủy ban MTTQ Việt Nam phường Quang Trung,ward,HN-HADONG
HN-THANHXUAN,Ủy ban MTTQ Việt Nam quận Thanh Xuân,district,HN
HN-THANHXUAN-P1,Ủy ban MTTQ Việt Nam phường Khương Trung,ward,HN-THANHXUAN
HN-SOCSON,Ủy ban MTTQ Việt Nam huyện Sóc Sơn,district,HN
",
        )
        .await
        .unwrap();
    store
        .import_clusters_csv(
            "code,name,year,members,host,chair,deputy
HN-CUM2,Cụm thi đua số 2,2022,HN-HADONG;HN-THANHXUAN,HN-HADONG,HN-HADONG,HN-THANHXUAN
",
        )
        .await
        .unwrap();
    let units: Vec<String> = [
        "HN-HADONG",
        "HN-HADONG-P1",
        "HN-THANHXUAN",
        "HN-THANHXUAN-P1",
        "HN-SOCSON",
    ]
    .map(String::from)
    .to_vec();
    let mut rng = Lcg(7);
    write_random_values(&store, &mut rng, &units, 120).await;
    let app = App::new(store.clone());
    let directory = app.directory().await.unwrap();
    let catalog = store.catalog().await.unwrap();
    let cluster = ClusterCode::parse("HN-CUM2").unwrap();

    for code in ["2022Q1..2022Q3", "202201..202212", "2021S2..2022S2", "2021..2022"] {
        let range = PeriodRange::parse(code).unwrap();
        let rollup =
            thidua_app::rollups::cluster_rollup_over(&app, &directory, &catalog, &cluster, range, TreeView::AsItWas)
                .await
                .unwrap();

        assert_eq!(rollup.range, range);
        let members: Vec<&str> = rollup.members.iter().map(|(u, _)| u.code.as_str()).collect();
        assert_eq!(members, ["HN-HADONG", "HN-THANHXUAN"], "{code}");
        for (unit, figures) in &rollup.members {
            let expected = with_rate(&plain_sql(&store, backend, &[unit.code.as_str()], range).await);
            assert_close(&sums_and_rate(figures), &expected, &format!("{} {code}", unit.code));
        }
        // Sóc Sơn wrote values too, but is not a member: the total leaves it out.
        let expected = with_rate(&plain_sql(&store, backend, &["HN-HADONG", "HN-THANHXUAN"], range).await);
        assert_close(&sums_and_rate(&rollup.total), &expected, &format!("total {code}"));
    }
}

async fn a_range_s_stock_is_its_latest_period_s_and_its_rate_comes_from_its_sums(backend: Backend) {
    let Some(db) = TestDatabase::new(backend).await else {
        return;
    };
    let store = db.store().await;
    store.import_indicators_csv(INDICATORS).await.unwrap();
    store
        .import_units_csv(
            "code,name,kind,parent
HN,Ủy ban MTTQ Việt Nam Thành phố Hà Nội,city,
HN-HADONG,Ủy ban MTTQ Việt Nam quận Hà Đông,district,HN
",
        )
        .await
        .unwrap();
    store
        .import_values_csv(
            "unit,indicator,period,value
HN-HADONG,DEATHS,2022Q1,100
HN-HADONG,CREMATIONS,2022Q1,100
HN-HADONG,DEATHS,2022Q2,900
HN-HADONG,CREMATIONS,2022Q2,0
HN-HADONG,FAMILIES,2022Q1,50
HN-HADONG,FAMILIES,2022Q2,60
HN-HADONG,FAMILIES,2022Q4,70
",
        )
        .await
        .unwrap();
    let app = App::for_one_command(store.clone());
    let directory = app.directory().await.unwrap();
    let catalog = store.catalog().await.unwrap();

    let range = PeriodRange::parse("2022Q1..2022Q3").unwrap();
    let figures = thidua_app::rollups::unit_figures_over(
        &app,
        &directory,
        &catalog,
        &UnitCode::parse("HN").unwrap(),
        range,
        TreeView::AsItWas,
    )
    .await
    .unwrap();

    let number = |code: &str| figures.number(&thidua_core::IndicatorCode::parse(code).unwrap());
    assert_eq!(number("DEATHS"), Some(1000.0));
    // The quarters' rates are 100 % and 0 %; the range's is 100 of 1.000 deaths.
    assert_eq!(number("RATE"), Some(10.0));
    // Q3 has no stock, Q4 is outside the range: the latest quarter with one is Q2.
    assert_eq!(number("FAMILIES"), Some(60.0));
}
