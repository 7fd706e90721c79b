//! `thidua-bench scale`: thidua at national scale, in one run on one dataset, through the
//! product as it is shipped — the `thidua` binary's `bench-data`, `import` and `serve`, and
//! the JSON API — measured against references answering the same questions on the same
//! data:
//!
//! - import throughput of `thidua import values` (one process, its wall clock);
//! - start-up: `thidua serve` until it listens, and until its first rollup answers (the
//!   engine rebuilt from every stored value; the engine's own log line gives its time);
//! - resident memory (VmRSS) of the server after warm-up against the same server before
//!   any value was imported, per value;
//! - rollup latency p50/p99 through the API for a cluster, a province and the nation;
//! - freshness: from a write by another process — a one-row `thidua import values`, and
//!   a form submitted and accepted through a second `thidua serve` — until the first
//!   server's rollup shows it;
//! - the same three rollups as plain SQL on the backend and in DuckDB (`benches/
//!   duckdb_scale.py`, in memory, over the same CSV files), their totals checked equal to
//!   thidua's before any time is printed.
//!
//! The targets of issue #11 are printed beside the figures, never asserted. values.csv is
//! never read into this process (it is gigabytes at scale): it is counted by streaming and
//! handed to `thidua` and DuckDB by path.

mod server;
mod sql;

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use thidua_core::Period;
use thidua_core::number::format_integer;
use thidua_store::Backend;
use thidua_store::testing::TestDatabase;

use crate::args::ScaleArgs;
use server::{Client, Memory, Server, Thidua};
use sql::{PlainSql, Totals};

/// The period the rollups are timed for: the last of bench-data's half-years.
const PERIOD: Period = Period::HalfYear(2026, 1);
/// The period the freshness writes go to: empty until then.
const WRITE_PERIOD: Period = Period::HalfYear(2026, 2);
/// The root unit bench-data writes.
const NATION: &str = "VN";
/// The national cluster bench-data writes (not the one timed: a province's cluster is).
const NATIONAL_CLUSTER: &str = "VN-CUM";
const PASSWORD: &str = "Do-quy-mo-toan-quoc-2026";
const ADMIN: &str = "bench-admin";
const OFFICER: &str = "bench-officer";
const UPPER: &str = "bench-upper";

/// The dataset on disk and what the benchmark needs to know of it.
struct Data {
    dir: PathBuf,
    /// Removed at the end (not `--keep`).
    temporary: bool,
    /// Generated now (how long it took), or reused.
    generated: Option<Duration>,
    values: u64,
    units: u64,
    /// The cluster timed: the first of a province's clusters in [`PERIOD`]'s year.
    cluster: String,
    members: Vec<String>,
    chair: String,
    /// The province of that cluster.
    province: String,
    /// The first summed indicator, which the freshness writes change.
    indicator: String,
}

impl Data {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

/// One CSV line's fields (quotes as bench-data writes them).
fn csv_fields(line: &str) -> Vec<String> {
    let (mut fields, mut field, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(std::mem::take(&mut field)),
            c => field.push(c),
        }
    }
    fields.push(field);
    fields
}

/// Each line of a (small) CSV file after its header, as fields.
fn csv_rows(path: &Path) -> anyhow::Result<Vec<Vec<String>>> {
    let file = std::fs::File::open(path).with_context(|| format!("không mở được {}", path.display()))?;
    std::io::BufReader::new(file)
        .lines()
        .skip(1)
        .map(|line| Ok(csv_fields(&line?)))
        .collect()
}

/// Writes the dataset with `thidua bench-data` (or finds it in `--keep` from an earlier
/// run with the same sizes and seed) and reads what the benchmark needs of it.
fn prepare_data(args: &ScaleArgs, binary: &Path) -> anyhow::Result<Data> {
    let (dir, temporary) = match &args.keep {
        Some(dir) => (dir.clone(), false),
        None => (
            std::env::temp_dir().join(format!("thidua-scale-{}", std::process::id())),
            true,
        ),
    };
    let stamp = format!(
        "bench-data --provinces {} --communes {} --areas {} --indicators {} --periods {} --seed {}\n",
        args.provinces, args.communes, args.areas, args.indicators, args.periods, args.seed
    );
    let stamp_file = dir.join("scale-stamp.txt");
    let reusable = std::fs::read_to_string(&stamp_file).is_ok_and(|s| s == stamp)
        && ["units.csv", "indicators.csv", "clusters.csv", "values.csv"]
            .iter()
            .all(|f| dir.join(f).exists());
    let generated = if reusable {
        None
    } else {
        let _ = std::fs::remove_file(&stamp_file);
        let started = Instant::now();
        let output = std::process::Command::new(binary)
            .arg("bench-data")
            .args(["--provinces", &args.provinces.to_string()])
            .args(["--communes", &args.communes.to_string()])
            .args(["--areas", &args.areas.to_string()])
            .args(["--indicators", &args.indicators.to_string()])
            .args(["--periods", &args.periods.to_string()])
            .args(["--seed", &args.seed.to_string()])
            .arg("--out")
            .arg(&dir)
            .output()
            .with_context(|| format!("không chạy được {}", binary.display()))?;
        if !output.status.success() {
            bail!(
                "thidua bench-data thất bại: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        std::fs::write(&stamp_file, &stamp)?;
        Some(started.elapsed())
    };

    let values = server::count_lines(&dir.join("values.csv"))?.saturating_sub(1);
    let units = server::count_lines(&dir.join("units.csv"))?.saturating_sub(1);
    let year = PERIOD.year().to_string();
    // clusters.csv: code,name,year,members,host,chair,deputy
    let clusters = csv_rows(&dir.join("clusters.csv"))?;
    let cluster = clusters
        .iter()
        .find(|r| r.get(2) == Some(&year) && r.first().is_some_and(|c| c != NATIONAL_CLUSTER))
        .context("clusters.csv không có cụm của tỉnh nào trong năm 2026")?;
    let members: Vec<String> = cluster[3].split(';').map(str::to_owned).collect();
    if members.len() < 3 {
        bail!("cụm {} chỉ có {} thành viên; cần ít nhất 3", cluster[0], members.len());
    }
    // units.csv: code,name,kind,parent
    let province = csv_rows(&dir.join("units.csv"))?
        .into_iter()
        .find(|r| r.first() == members.first())
        .and_then(|r| r.get(3).cloned())
        .context("units.csv không có thành viên đầu của cụm")?;
    // indicators.csv: code,name,measure,value_type,aggregation,formula,group
    let indicator = csv_rows(&dir.join("indicators.csv"))?
        .into_iter()
        .find(|r| r.get(4).is_some_and(|a| a == "sum"))
        .and_then(|r| r.first().cloned())
        .context("indicators.csv không có chỉ tiêu cộng dồn nào")?;
    Ok(Data {
        dir,
        temporary,
        generated,
        values,
        units,
        cluster: cluster[0].clone(),
        chair: cluster.get(5).cloned().unwrap_or_default(),
        members,
        province,
        indicator,
    })
}

/// The integer figures of a rollup answer: a cluster's members' (`member/indicator`) or a
/// unit's (by indicator). Formula results are decimals in the JSON and are left out.
fn api_totals(body: &serde_json::Value) -> Totals {
    let figures = |list: &serde_json::Value, prefix: &str| -> Vec<(String, i64)> {
        list.as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| Some((format!("{prefix}{}", f["indicator"].as_str()?), f["value"].as_i64()?)))
            .collect()
    };
    match body["members"].as_array() {
        Some(members) => members
            .iter()
            .flat_map(|m| figures(&m["figures"], &format!("{}/", m["unit"].as_str().unwrap_or("?"))))
            .collect(),
        None => figures(&body["unit"]["figures"], "").into_iter().collect(),
    }
}

/// One figure of a cluster's total in a rollup answer.
fn cluster_total(body: &serde_json::Value, indicator: &str) -> Option<i64> {
    body["total"].as_array()?.iter().find(|f| f["indicator"] == indicator)?["value"].as_i64()
}

/// One rollup asked of the API.
struct Target {
    name: String,
    path: String,
}

/// What the API answered for a target, and how fast.
struct Timed {
    p50: f64,
    p99: f64,
    max: f64,
    totals: Totals,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    ms(sorted[index.min(sorted.len() - 1)])
}

fn median_ms(mut samples: Vec<Duration>) -> f64 {
    samples.sort();
    samples.get(samples.len() / 2).copied().map_or(0.0, ms)
}

/// `requests` sequential requests after a few unmeasured ones.
async fn time_requests(client: &Client, target: &Target, requests: usize) -> anyhow::Result<Timed> {
    let mut body = String::new();
    for _ in 0..10 {
        body = client.get(&target.path).await?;
    }
    let mut samples = Vec::with_capacity(requests);
    for _ in 0..requests {
        let t = Instant::now();
        let answer = client.get(&target.path).await?;
        samples.push(t.elapsed());
        std::hint::black_box(answer);
    }
    samples.sort();
    let json: serde_json::Value = serde_json::from_str(&body).with_context(|| format!("{}: not JSON", target.path))?;
    Ok(Timed {
        p50: percentile(&samples, 0.5),
        p99: percentile(&samples, 0.99),
        max: samples.last().copied().map_or(0.0, ms),
        totals: api_totals(&json),
    })
}

/// Asks `client` for the cluster rollup at `path` until the cluster's total of
/// `indicator` is `expected`: how long that took, and after how many answers.
async fn until_visible(
    client: &Client,
    path: &str,
    indicator: &str,
    expected: i64,
) -> anyhow::Result<(Duration, usize)> {
    let started = Instant::now();
    let mut answers = 0;
    loop {
        let body = client.json(path).await?;
        answers += 1;
        if cluster_total(&body, indicator) == Some(expected) {
            return Ok((started.elapsed(), answers));
        }
        if started.elapsed() > Duration::from_secs(120) {
            bail!("sau 120 giây máy chủ vẫn chưa thấy giá trị vừa ghi ({path}: {indicator} ≠ {expected})");
        }
    }
}

/// Starts a server, signs in and waits for the national rollup: the time until that
/// first answer, and the signed-in client.
async fn start_ready(thidua: &Thidua, username: &str) -> anyhow::Result<(Server, Client, Duration)> {
    let server = thidua.serve()?;
    let client = Client::sign_in(&server.base, username, PASSWORD).await?;
    client
        .get(&format!("/api/v1/units/{NATION}/rollup?period={PERIOD}"))
        .await?;
    let ready = server.started.elapsed();
    Ok((server, client, ready))
}

/// The DuckDB reference's answer.
struct Duck {
    version: String,
    threads: String,
    load_ms: f64,
    /// (median ms, totals) of the cluster, the province, the nation.
    queries: [(f64, Totals); 3],
}

fn duckdb(args: &ScaleArgs, data: &Data) -> Result<Duck, String> {
    const SCRIPT: &str = include_str!("../../../../benches/duckdb_scale.py");
    let script = data.path("duckdb_scale.py");
    std::fs::write(&script, SCRIPT).map_err(|e| e.to_string())?;
    let output = std::process::Command::new(&args.python)
        .arg(&script)
        .arg(&data.dir)
        .arg(&data.cluster)
        .arg(PERIOD.year().to_string())
        .arg(&data.province)
        .arg(NATION)
        .arg(PERIOD.start().to_string())
        .arg(PERIOD.end().to_string())
        .arg(args.repeat.to_string())
        .output()
        .map_err(|e| format!("{} not runnable: {e}", args.python));
    let _ = std::fs::remove_file(&script);
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
    let query = |name: &str| -> Result<(f64, Totals), String> {
        let q = &json[name];
        let totals = q["totals"]
            .as_object()
            .ok_or(format!("no {name} totals"))?
            .iter()
            .map(|(k, v)| Ok((k.clone(), v.as_i64().ok_or(format!("{name}: {k} not an integer"))?)))
            .collect::<Result<Totals, String>>()?;
        Ok((q["median_ms"].as_f64().ok_or("no median_ms")?, totals))
    };
    Ok(Duck {
        version: json["version"].as_str().unwrap_or("?").to_owned(),
        threads: json["threads"].to_string().trim_matches('"').to_owned(),
        load_ms: json["load_ms"].as_f64().unwrap_or(0.0),
        queries: [query("cluster")?, query("province")?, query("nation")?],
    })
}

/// The first key where two sets of totals differ, if any.
fn first_difference(a: &Totals, b: &Totals) -> Option<String> {
    a.keys()
        .chain(b.keys())
        .find(|k| a.get(*k) != b.get(*k))
        .map(|k| format!("{k}: {:?} ≠ {:?}", a.get(k), b.get(k)))
}

fn mb(bytes: u64) -> String {
    format!("{:.0} MB", bytes as f64 / 1_048_576.0)
}

/// Generates, imports, serves, measures and prints; fails when the totals disagree.
pub async fn run(args: &ScaleArgs) -> anyhow::Result<()> {
    if args.requests == 0 || args.repeat == 0 {
        bail!("--requests và --repeat phải lớn hơn 0");
    }
    let binary = match &args.thidua {
        Some(path) => path.clone(),
        None => server::sibling_thidua()?,
    };
    let data = prepare_data(args, &binary)?;
    let result = measure(args, &binary, &data).await;
    if data.temporary {
        let _ = std::fs::remove_dir_all(&data.dir);
    }
    result
}

async fn measure(args: &ScaleArgs, binary: &Path, data: &Data) -> anyhow::Result<()> {
    let backend = Backend::from(args.backend);
    let Some(db) = TestDatabase::new(backend).await else {
        bail!("không kết nối được PostgreSQL để đo (đặt THIDUA_TEST_POSTGRES)");
    };
    let thidua = Thidua {
        binary: binary.to_owned(),
        url: db.url_text.clone(),
        key_file: db.key_file.clone(),
    };
    let file = |name: &str| data.path(name).to_string_lossy().into_owned();
    println!(
        "thidua-bench scale — {backend:?}: {} units, {} values in {} (bench-data --provinces {} --communes {} --areas {} --indicators {} --periods {} --seed {}); {}",
        format_integer(data.units as i64),
        format_integer(data.values as i64),
        data.dir.display(),
        args.provinces,
        args.communes,
        args.areas,
        args.indicators,
        args.periods,
        args.seed,
        data.generated.map_or_else(
            || "files reused".to_owned(),
            |d| format!("generated in {:.1} s", d.as_secs_f64())
        )
    );

    // The catalog, the accounts and a window for the freshness form.
    let mut catalog = Duration::ZERO;
    for kind in ["units", "indicators", "clusters"] {
        catalog += thidua.run(&["import", kind, &file(&format!("{kind}.csv"))], "")?;
    }
    let password = format!("{PASSWORD}\n");
    thidua.run(
        &["user", "add", ADMIN, "--name", "Quản trị đo", "--role", "admin"],
        &password,
    )?;
    let officer_unit = data
        .members
        .iter()
        .find(|m| **m != data.chair)
        .context("cụm không có thành viên nào ngoài cụm trưởng")?
        .clone();
    let import_unit = data
        .members
        .iter()
        .find(|m| **m != data.chair && **m != officer_unit)
        .context("cụm không đủ thành viên")?
        .clone();
    thidua.run(
        &[
            "user",
            "add",
            OFFICER,
            "--name",
            "Cán bộ đo",
            "--role",
            "officer",
            "--unit",
            &officer_unit,
        ],
        &password,
    )?;
    thidua.run(
        &[
            "user",
            "add",
            UPPER,
            "--name",
            "Cấp trên đo",
            "--role",
            "upper",
            "--unit",
            &data.province,
        ],
        &password,
    )?;
    let today = chrono::Local::now().date_naive();
    let day = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
    thidua.run(
        &[
            "window",
            "set",
            "--period",
            &WRITE_PERIOD.code(),
            "--opens",
            &day(today - chrono::Days::new(1)),
            "--deadline",
            &day(today + chrono::Days::new(30)),
        ],
        "",
    )?;

    // The same server before any value: the memory the values add is measured against it.
    let empty = {
        let (server, _, _) = start_ready(&thidua, ADMIN).await?;
        server.engine_ready();
        server.memory()?
    };

    println!("importing {} values…", format_integer(data.values as i64));
    let import = thidua.run(&["import", "values", &file("values.csv")], "")?;
    let import_rate = data.values as f64 / import.as_secs_f64();
    println!(
        "  {:.1} s, {} values/s",
        import.as_secs_f64(),
        format_integer(import_rate as i64)
    );

    // Process A: start-up, memory, latency.
    let (a, admin, ready) = start_ready(&thidua, ADMIN).await?;
    let (engine, listening) = (a.engine_ready(), a.listening);
    let warm = a.memory()?;
    println!(
        "  server A ready in {:.1} s, {} resident",
        ready.as_secs_f64(),
        mb(warm.rss)
    );
    let query = format!("period={PERIOD}");
    let targets = [
        Target {
            name: format!("cluster {} ({} communes)", data.cluster, data.members.len()),
            path: format!("/api/v1/clusters/{}/rollup?{query}", data.cluster),
        },
        Target {
            name: format!("province {}", data.province),
            path: format!("/api/v1/units/{}/rollup?{query}", data.province),
        },
        Target {
            name: format!("nation {NATION}"),
            path: format!("/api/v1/units/{NATION}/rollup?{query}"),
        },
    ];
    let mut timed = Vec::new();
    for target in &targets {
        timed.push(time_requests(&admin, target, args.requests).await?);
    }
    let after = a.memory()?;

    // Freshness: a write by another process, until A's very next rollups show it.
    let write_path = format!("/api/v1/clusters/{}/rollup?period={WRITE_PERIOD}", data.cluster);
    if cluster_total(&admin.json(&write_path).await?, &data.indicator).is_some() {
        bail!("{WRITE_PERIOD} đã có số liệu trước khi ghi");
    }
    let one = data.path("scale-one-value.csv");
    std::fs::write(
        &one,
        format!(
            "unit,indicator,period,value\n{import_unit},{},{WRITE_PERIOD},5\n",
            data.indicator
        ),
    )?;
    let one_import = thidua.run(&["import", "values", &one.to_string_lossy()], "");
    let _ = std::fs::remove_file(&one);
    let one_import = one_import?;
    let (after_import, import_answers) = until_visible(&admin, &write_path, &data.indicator, 5).await?;

    let (b, _, b_ready) = start_ready(&thidua, ADMIN).await?;
    let officer = Client::sign_in(&b.base, OFFICER, PASSWORD).await?;
    let upper = Client::sign_in(&b.base, UPPER, PASSWORD).await?;
    let form = format!("/units/{officer_unit}/forms/{WRITE_PERIOD}");
    let field = format!("v_{}", data.indicator);
    officer
        .post_form(&form, &form, &[(field.as_str(), "77"), ("action", "submit_anyway")])
        .await?;
    let write = Instant::now();
    upper
        .post_form(&form, &format!("{form}/decision"), &[("action", "accept")])
        .await?;
    let accept = write.elapsed();
    let (after_accept, accept_answers) = until_visible(&admin, &write_path, &data.indicator, 82).await?;
    drop(b);
    drop(a);

    // Plain SQL on the same database.
    let mut plain = PlainSql::connect(&db.url_text).await?;
    let year = PERIOD.year();
    let mut sql: Vec<(f64, Totals)> = Vec::new();
    for (i, target) in targets.iter().enumerate() {
        let (mut samples, mut totals) = (Vec::new(), Totals::new());
        for _ in 0..args.repeat {
            let t = Instant::now();
            totals = match i {
                0 => plain.cluster(&data.cluster, year, PERIOD).await?,
                1 => plain.subtree(&data.province, PERIOD).await?,
                _ => plain.subtree(NATION, PERIOD).await?,
            };
            samples.push(t.elapsed());
        }
        println!("  plain SQL {}: {:.1} ms", target.name, median_ms(samples.clone()));
        sql.push((median_ms(samples), totals));
    }
    plain.close().await;

    println!("DuckDB…");
    let duck = duckdb(args, data);

    // The totals first: a fast wrong answer must not pass.
    let mut checked = 0;
    for (i, target) in targets.iter().enumerate() {
        if let Some(d) = first_difference(&timed[i].totals, &sql[i].1) {
            bail!("thidua và SQL thuần khác nhau ở {}: {d}", target.name);
        }
        if let Ok(duck) = &duck
            && let Some(d) = first_difference(&duck.queries[i].1, &sql[i].1)
        {
            bail!("DuckDB và SQL thuần khác nhau ở {}: {d}", target.name);
        }
        checked += sql[i].1.len();
    }

    print_table(
        args,
        data,
        backend,
        &Figures {
            catalog,
            import,
            import_rate,
            listening,
            ready,
            engine,
            empty,
            warm,
            after,
            one_import,
            after_import,
            import_answers,
            b_ready,
            accept,
            after_accept,
            accept_answers,
        },
        &targets,
        &timed,
        &sql,
        &duck,
        checked,
    );
    drop(db);
    Ok(())
}

/// Everything measured but the rollups.
struct Figures {
    catalog: Duration,
    import: Duration,
    import_rate: f64,
    listening: Duration,
    ready: Duration,
    engine: Option<(u64, u64, u64)>,
    empty: Memory,
    warm: Memory,
    after: Memory,
    one_import: Duration,
    after_import: Duration,
    import_answers: usize,
    b_ready: Duration,
    accept: Duration,
    after_accept: Duration,
    accept_answers: usize,
}

#[expect(clippy::too_many_arguments, reason = "one table from every measure of the run")]
fn print_table(
    args: &ScaleArgs,
    data: &Data,
    backend: Backend,
    f: &Figures,
    targets: &[Target],
    timed: &[Timed],
    sql: &[(f64, Totals)],
    duck: &Result<Duck, String>,
    checked: usize,
) {
    let values = data.values as f64;
    let verdict = |met: bool, how: String| format!("{} ({how})", if met { "met" } else { "MISSED" });
    let import_target = match backend {
        Backend::Sqlite => 1_000_000.0,
        Backend::Postgres => 300_000.0,
    };
    println!();
    println!("| measure | figure | target (issue #11) |");
    println!("|---|---|---|");
    println!(
        "| values import (`thidua import values`, one process) | {} values in {:.1} s: **{} values/s** | ≥{} values/s: {} |",
        format_integer(data.values as i64),
        f.import.as_secs_f64(),
        format_integer(f.import_rate as i64),
        format_integer(import_target as i64),
        verdict(
            f.import_rate >= import_target,
            format!("{:.2}× of it", f.import_rate / import_target)
        )
    );
    println!(
        "| catalog import (units, indicators, clusters) | {:.1} s | |",
        f.catalog.as_secs_f64()
    );
    let engine_ms = f
        .engine
        .map_or_else(|| "?".to_owned(), |(_, _, ms)| format!("{:.1} s", ms as f64 / 1000.0));
    println!(
        "| start-up: `thidua serve` until it listens / until its first rollup answers (the engine rebuilt from every value) | {:.0} ms / **{:.1} s** (the engine's build: {engine_ms}; process B: {:.1} s) | |",
        ms(f.listening),
        f.ready.as_secs_f64(),
        f.b_ready.as_secs_f64()
    );
    let per_value = f.warm.rss.saturating_sub(f.empty.rss) as f64 / values;
    // The build's transient buffers may be given back later: the growth after the timed
    // requests too.
    let settled = f.after.rss.saturating_sub(f.empty.rss) as f64 / values;
    println!(
        "| resident memory (VmRSS): without values / warmed up / after the timed requests (peak) | {} / {} / {} ({}) | |",
        mb(f.empty.rss),
        mb(f.warm.rss),
        mb(f.after.rss),
        mb(f.after.peak)
    );
    let heap = f.engine.map_or_else(
        || "?".to_owned(),
        |(n, bytes, _)| format!("{:.1}", bytes as f64 / n.max(1) as f64),
    );
    println!(
        "| resident memory per value: RSS growth ÷ values, warmed up / after the timed requests (the engine's own count of its heap ÷ its numbers) | **{per_value:.1}** / {settled:.1} bytes ({heap} bytes) | ≤32 bytes: {} |",
        verdict(per_value <= 32.0, format!("{:.2}× of it", per_value / 32.0))
    );
    println!(
        "| write → visible in A's rollup: one-row `thidua import values` in another process | {:.1} ms after the import ended (the import process: {:.0} ms); A's answer no. {} | |",
        ms(f.after_import),
        ms(f.one_import),
        f.import_answers
    );
    println!(
        "| write → visible in A's rollup: form submitted and accepted through server B | {:.1} ms after B answered the acceptance ({:.0} ms); A's answer no. {} | |",
        ms(f.after_accept),
        ms(f.accept),
        f.accept_answers
    );
    println!();
    let duck_name = match duck {
        Ok(d) => format!("DuckDB {} ({} threads)", d.version, d.threads),
        Err(_) => "DuckDB".to_owned(),
    };
    println!(
        "| rollup {PERIOD} through the JSON API ({} requests) | thidua p50 ms | p99 ms | max ms | plain SQL on {backend:?} ms | {duck_name} ms | SQL ÷ thidua p50 | DuckDB ÷ thidua p50 |",
        args.requests
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (i, target) in targets.iter().enumerate() {
        let t = &timed[i];
        let (duck_ms, duck_ratio) = match duck {
            Ok(d) => (
                format!("{:.1}", d.queries[i].0),
                format!("{:.0}×", d.queries[i].0 / t.p50),
            ),
            Err(_) => ("—".to_owned(), "—".to_owned()),
        };
        println!(
            "| {} | {:.2} | {:.2} | {:.1} | {:.1} | {duck_ms} | {:.0}× | {duck_ratio} |",
            target.name,
            t.p50,
            t.p99,
            t.max,
            sql[i].0,
            sql[i].0 / t.p50
        );
    }
    println!();
    let national = &timed[2];
    println!(
        "targets: national p99 < 10 ms through the API: {}; rollups ≥10× faster than DuckDB: {}",
        verdict(national.p99 < 10.0, format!("{:.2} ms", national.p99)),
        match duck {
            Ok(d) => {
                let worst = (0..3)
                    .map(|i| d.queries[i].0 / timed[i].p50)
                    .fold(f64::INFINITY, f64::min);
                verdict(worst >= 10.0, format!("the least {worst:.1}×"))
            }
            Err(e) => format!("not measured: {e}"),
        }
    );
    match duck {
        Ok(d) => println!(
            "DuckDB: CSV into memory in {:.1} s (not in the query times); {checked} totals equal in thidua, plain SQL and DuckDB",
            d.load_ms / 1000.0
        ),
        Err(e) => println!("DuckDB not run ({e}); {checked} totals equal in thidua and plain SQL"),
    }
}
