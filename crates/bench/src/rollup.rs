//! `thidua-bench rollup`: how fast thidua imports and rolls up a large synthetic cluster,
//! against references measured in the same run on the same data — the same rollup as one
//! plain SQL query on the same database, and in DuckDB. Totals are compared too, so a
//! fast wrong answer cannot pass unnoticed.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use thidua_core::rollup;
use thidua_core::{ClusterCode, Period, Value};
use thidua_store::testing::TestDatabase;
use thidua_store::{Backend, Store};

use crate::args::BenchArgs;
use crate::reference::Yardstick;

const CLUSTER: &str = "BENCH-ALL";
const YEAR: i32 = 2022;

/// A small deterministic generator, so every run measures the same data.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below
    }
}

/// The synthetic dataset, as the CSV files thidua imports.
struct Dataset {
    units: String,
    indicators: String,
    clusters: String,
    values: String,
    value_rows: usize,
    unit_count: usize,
    /// (unit, parent) and (unit, indicator, start, end, value), for the DuckDB reference.
    tree: Vec<(String, String)>,
    flat_values: Vec<(String, String, String, String, i64)>,
}

fn generate(args: &BenchArgs) -> Dataset {
    let mut rng = Lcg(2022);
    let mut units = String::from("code,name,kind,parent\nBENCH,Ủy ban MTTQ Việt Nam tỉnh Thử nghiệm,city,\n");
    let mut tree = vec![("BENCH".to_owned(), String::new())];
    let mut reporting = Vec::new();
    let mut members = Vec::new();
    for d in 0..args.districts {
        let district = format!("BENCH-D{d:03}");
        let _ = writeln!(
            units,
            "{district},Ủy ban MTTQ Việt Nam huyện Thử nghiệm {d},district,BENCH"
        );
        tree.push((district.clone(), "BENCH".to_owned()));
        reporting.push(district.clone());
        members.push(district.clone());
        for w in 0..args.wards {
            let ward = format!("{district}-W{w:03}");
            let _ = writeln!(
                units,
                "{ward},Ủy ban MTTQ Việt Nam xã Thử nghiệm {d}.{w},ward,{district}"
            );
            tree.push((ward.clone(), district.clone()));
            reporting.push(ward);
        }
    }
    let mut indicators = String::from("code,name,measure,value_type,aggregation,formula,group\n");
    for i in 0..args.indicators {
        let _ = writeln!(
            indicators,
            "BENCH_I{i:03},Chỉ tiêu thử nghiệm {i},cuộc,integer,sum,,Nhóm {}",
            i / 8
        );
    }
    let _ = writeln!(
        indicators,
        "BENCH_RATE,Tỷ lệ thử nghiệm,%,percent,ratio,100 * BENCH_I001 / BENCH_I000,Nhóm 0"
    );
    let clusters = format!(
        "code,name,year,members,host\n{CLUSTER},Khối thử nghiệm,{YEAR},{},\n",
        members.join(";")
    );
    let mut values = String::from("unit,indicator,period,value\n");
    let mut flat_values = Vec::new();
    for unit in &reporting {
        for half in [Period::HalfYear(YEAR, 1), Period::HalfYear(YEAR, 2)] {
            for i in 0..args.indicators {
                // Indicator 0 is a denominator; keep it above indicator 1 so the ratio is sane.
                let value = if i == 0 { 1000 + rng.next(1000) } else { rng.next(1000) } as i64;
                let indicator = format!("BENCH_I{i:03}");
                let _ = writeln!(values, "{unit},{indicator},{half},{value}");
                flat_values.push((
                    unit.clone(),
                    indicator,
                    half.start().to_string(),
                    half.end().to_string(),
                    value,
                ));
            }
        }
    }
    Dataset {
        units,
        indicators,
        clusters,
        value_rows: flat_values.len(),
        values,
        unit_count: tree.len(),
        tree,
        flat_values,
    }
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples.get(samples.len() / 2).copied().unwrap_or_default()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Generates the dataset, imports it into a fresh database, times the rollups and prints
/// the table.
pub async fn run(args: &BenchArgs) -> anyhow::Result<()> {
    if args.repeat == 0 || args.districts == 0 || args.indicators < 2 {
        bail!("--repeat và --districts phải lớn hơn 0, --indicators ít nhất là 2");
    }
    let backend = Backend::from(args.backend);
    let Some(db) = TestDatabase::new(backend).await else {
        bail!("không kết nối được PostgreSQL để đo (đặt THIDUA_TEST_POSTGRES)");
    };
    let store = Store::connect_with_key(&db.url, thidua_store::ServerKey::load_or_create(&db.key_file)?).await?;
    let data = generate(args);
    println!(
        "thidua bench — {:?}: {} units ({} districts × {} wards), {} indicators, {} values, rollup of {CLUSTER} for {YEAR} (both half-years), median of {} runs",
        backend, data.unit_count, args.districts, args.wards, args.indicators, data.value_rows, args.repeat
    );

    store.import_units_csv(&data.units).await?;
    store.import_indicators_csv(&data.indicators).await?;
    store.import_clusters_csv(&data.clusters).await?;
    let started = Instant::now();
    store.import_values_csv(&data.values).await?;
    let import = started.elapsed();

    let code = ClusterCode::parse(CLUSTER)?;
    let period = Period::Year(YEAR);
    let cluster = store.cluster(&code, YEAR).await?;
    let mut yardstick = Yardstick::connect(&db.url_text).await?;

    let mut full = Vec::new();
    let mut result = None;
    for _ in 0..args.repeat {
        let t = Instant::now();
        result = Some(store.rollup_cluster(&code, period).await?);
        full.push(t.elapsed());
    }
    let result = result.context("no rollup ran")?;

    let mut fetch = Vec::new();
    let mut values = Vec::new();
    for _ in 0..args.repeat {
        let t = Instant::now();
        values = store.cluster_values(&cluster, period).await?;
        fetch.push(t.elapsed());
    }
    let (catalog, tree) = (store.catalog().await?, store.unit_tree().await?);
    let mut in_memory = Vec::new();
    for _ in 0..args.repeat {
        let t = Instant::now();
        let r = rollup::rollup_cluster(&catalog, &tree, &cluster, period, &values);
        in_memory.push(t.elapsed());
        std::hint::black_box(r);
    }

    let mut sql = Vec::new();
    let mut reference = BTreeMap::new();
    for _ in 0..args.repeat {
        let t = Instant::now();
        reference = yardstick.member_sums(&cluster, period).await?;
        sql.push(t.elapsed());
    }

    // Every member's sum must equal the plain SQL sum.
    let mut checked = 0;
    for (unit, figures) in &result.members {
        for (indicator, value) in figures.iter() {
            if indicator.as_str() == "BENCH_RATE" {
                continue;
            }
            let expected = reference.get(&(unit.code.to_string(), indicator.to_string()));
            if Some(value) != expected.map(|n| Value::Whole(*n)).as_ref() {
                bail!(
                    "thidua and SQL disagree on {unit} {indicator}: {value:?} vs {expected:?}",
                    unit = unit.code
                );
            }
            checked += 1;
        }
    }
    let checksum: i64 = reference.values().sum();

    let duck = duckdb_reference(args, &data).await;
    store.close().await;
    yardstick.close().await;

    let sql_ms = ms(median(sql));
    let row = |name: &str, t: f64| format!("| {name} | {t:.2} | {:.2}× |", t / sql_ms);
    println!(
        "values import: {:.0} ms ({:.0} rows/s, one transaction)",
        ms(import),
        data.value_rows as f64 / import.as_secs_f64()
    );
    println!("checked: {checked} member × indicator sums equal to plain SQL (checksum {checksum})");
    println!("| measure | median ms | vs plain SQL |");
    println!("|---|---|---|");
    println!(
        "{}",
        row("thidua rollup_cluster (query + aggregate + formulas)", ms(median(full)))
    );
    println!(
        "{}",
        row("  of which: fetching the values (one query)", ms(median(fetch)))
    );
    println!("{}", row("  of which: in-memory aggregation", ms(median(in_memory))));
    println!(
        "{}",
        row(
            &format!("plain SQL on {backend:?} (recursive CTE, SUM … GROUP BY)"),
            sql_ms
        )
    );
    match duck {
        Ok((t, version, duck_checksum)) => {
            let same = if duck_checksum == checksum {
                "same totals"
            } else {
                "TOTALS DIFFER"
            };
            println!(
                "{}",
                row(&format!("DuckDB {version} (same query, in memory; {same})"), t)
            );
        }
        Err(reason) => println!("| DuckDB | — | {reason} |"),
    }
    drop(db);
    Ok(())
}

/// Runs `benches/duckdb_rollup.py` (compiled in) on CSVs of the same data.
async fn duckdb_reference(args: &BenchArgs, data: &Dataset) -> Result<(f64, String, i64), String> {
    const SCRIPT: &str = include_str!("../../../benches/duckdb_rollup.py");
    let dir = std::env::temp_dir().join(format!("thidua-bench-{}", std::process::id()));
    let write = |name: &str, text: String| std::fs::write(dir.join(name), text).map_err(|e| e.to_string());
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    write("duckdb_rollup.py", SCRIPT.to_owned())?;
    write(
        "units.csv",
        csv_lines("code,parent", data.tree.iter().map(|(u, p)| format!("{u},{p}"))),
    )?;
    let members = data
        .tree
        .iter()
        .filter(|(_, p)| p == "BENCH")
        .map(|(u, _)| format!("{CLUSTER},{u}"));
    write("members.csv", csv_lines("cluster,unit", members))?;
    let values = data
        .flat_values
        .iter()
        .map(|(u, i, s, e, v)| format!("{u},{i},{s},{e},{v}"));
    write(
        "values.csv",
        csv_lines("unit,indicator,period_start,period_end,value", values),
    )?;
    let period = Period::Year(YEAR);
    let output = tokio::process::Command::new(&args.python)
        .arg(dir.join("duckdb_rollup.py"))
        .arg(&dir)
        .arg(CLUSTER)
        .arg(period.start().to_string())
        .arg(period.end().to_string())
        .arg(args.repeat.to_string())
        .output()
        .await
        .map_err(|e| format!("{} not runnable: {e}", args.python));
    let _ = std::fs::remove_dir_all(&dir);
    let output = output?;
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).map_err(|_| {
        format!(
            "no result: {}",
            String::from_utf8_lossy(&output.stderr).lines().last().unwrap_or("")
        )
    })?;
    if let Some(error) = json["error"].as_str() {
        return Err(error.to_owned());
    }
    let t = json["median_ms"].as_f64().ok_or("no median_ms")?;
    let checksum = json["checksum"].as_i64().ok_or("no checksum")?;
    Ok((t, json["version"].as_str().unwrap_or("?").to_owned(), checksum))
}

fn csv_lines(header: &str, rows: impl Iterator<Item = String>) -> String {
    let mut out = format!("{header}\n");
    for row in rows {
        out.push_str(&row);
        out.push('\n');
    }
    out
}
