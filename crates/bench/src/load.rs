//! `thidua-bench load`: the deadline rush — many officers signing in, opening their
//! form, saving 40 figures and submitting, all at once, over HTTP against the real
//! server. Reports throughput and latency percentiles, checks in the database that every
//! submission is stored exactly once, and measures the same saves and submissions made
//! directly through the store (no HTTP, no login) as the reference.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use thidua_core::workflow::{Action, Situation};
use thidua_core::{IndicatorCode, Period, Role, UnitCode, Value};
use thidua_store::testing::TestDatabase;
use thidua_store::{Actor, Backend, FormInput, Narrative, NewUser, Store};
use thidua_web::AppState;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::args::LoadArgs;
use crate::reference::Yardstick;

const PASSWORD: &str = "bench-password";

fn unit_code(i: usize) -> String {
    format!("LOAD-U{i:04}")
}

fn indicator_code(i: usize) -> String {
    format!("LOAD_I{i:03}")
}

/// Sets up the catalog, one officer per unit, and returns the period to report.
async fn prepare(store: &Store, args: &LoadArgs) -> anyhow::Result<Period> {
    let mut units = String::from("code,name,kind,parent\nLOAD,Ủy ban MTTQ Việt Nam tỉnh Thử tải,province,\n");
    for i in 0..args.units {
        let _ = writeln!(
            units,
            "{},Ủy ban MTTQ Việt Nam xã Thử tải {i},commune,LOAD",
            unit_code(i)
        );
    }
    store.import_units_csv(&units).await?;
    let mut indicators = String::from("code,name,measure,value_type,aggregation,formula,group\n");
    for i in 0..args.indicators {
        let _ = writeln!(
            indicators,
            "{},Chỉ tiêu thử tải {i},cuộc,integer,sum,,Nhóm {}",
            indicator_code(i),
            i / 10
        );
    }
    store.import_indicators_csv(&indicators).await?;
    // A real rule, so every save and submit runs validation.
    store
        .import_rules_csv(&format!(
            "rule,message\n{} <= {},\n",
            indicator_code(1),
            indicator_code(0)
        ))
        .await?;
    // Accounts in parallel: argon2 hashing is the slow part, one per core.
    let gate = Arc::new(Semaphore::new(2));
    let mut tasks = JoinSet::new();
    for i in 0..args.units {
        let (store, gate) = (store.clone(), gate.clone());
        tasks.spawn(async move {
            let _permit = gate.acquire().await;
            store
                .create_user(NewUser {
                    username: format!("officer{i:04}"),
                    display_name: format!("Cán bộ xã {i}"),
                    password: PASSWORD.into(),
                    role: Role::Officer,
                    unit: Some(UnitCode::parse(&unit_code(i))?),
                })
                .await
                .map(|_| ())
                .map_err(anyhow::Error::from)
        });
    }
    while let Some(done) = tasks.join_next().await {
        done??;
    }
    Ok(Period::half_year_of(chrono::Local::now().date_naive()))
}

fn figures(unit: usize, indicators: usize) -> Vec<(String, i64)> {
    (0..indicators)
        .map(|i| {
            let value = if i == 0 {
                1000 + unit as i64
            } else {
                ((unit * 31 + i * 7) % 900) as i64
            };
            (indicator_code(i), value)
        })
        .collect()
}

/// Durations of one officer's steps.
#[derive(Default)]
struct Steps {
    login: Duration,
    open: Duration,
    save: Duration,
    submit: Duration,
}

fn between<'a>(html: &'a str, before: &str, after: &str) -> Option<&'a str> {
    let start = html.find(before)? + before.len();
    let len = html[start..].find(after)?;
    Some(&html[start..start + len])
}

async fn officer(
    client: reqwest::Client,
    base: String,
    i: usize,
    indicators: usize,
    period: Period,
) -> anyhow::Result<Steps> {
    let mut steps = Steps::default();
    let t = Instant::now();
    let login = client
        .post(format!("{base}/login"))
        .form(&[
            ("username", format!("officer{i:04}")),
            ("password", PASSWORD.into()),
            ("next", "/".into()),
        ])
        .send()
        .await?;
    steps.login = t.elapsed();
    let cookie = login
        .headers()
        .get(reqwest::header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .context("login gave no session cookie")?
        .to_owned();
    let form_url = format!("{base}/units/{}/forms/{period}", unit_code(i));

    let t = Instant::now();
    let page = client
        .get(&form_url)
        .header("cookie", &cookie)
        .send()
        .await?
        .text()
        .await?;
    steps.open = t.elapsed();
    let csrf = between(&page, "name=\"csrf\" value=\"", "\"")
        .context("no csrf token")?
        .to_owned();
    let version = between(&page, "name=\"version\" value=\"", "\"")
        .context("no version")?
        .to_owned();

    let mut fields: Vec<(String, String)> = vec![
        ("csrf".into(), csrf.clone()),
        ("version".into(), version),
        ("action".into(), "save".into()),
    ];
    for (code, value) in figures(i, indicators) {
        // Typed Vietnamese-style, as officers do.
        fields.push((format!("v_{code}"), thidua_core::number::format_integer(value)));
    }
    let t = Instant::now();
    let saved = client
        .post(&form_url)
        .header("cookie", &cookie)
        .form(&fields)
        .send()
        .await?;
    steps.save = t.elapsed();
    let status = saved.status();
    let body = saved.text().await?;
    if !status.is_success() || !body.contains("Đã lưu nháp") {
        bail!("save of unit {i} answered {status}");
    }
    let version = between(&body, "name=\"version\" value=\"", "\"")
        .context("no version after save")?
        .to_owned();
    fields[1].1 = version;
    fields[2].1 = "submit".into();
    let t = Instant::now();
    let submitted = client
        .post(&form_url)
        .header("cookie", &cookie)
        .form(&fields)
        .send()
        .await?;
    steps.submit = t.elapsed();
    let status = submitted.status();
    if !status.is_success() || !submitted.text().await?.contains("Đã gửi báo cáo") {
        bail!("submit of unit {i} answered {status}");
    }
    Ok(steps)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

/// Sets up a fresh database, runs the rush over HTTP and then straight through the store,
/// counts what was stored and prints the tables; fails on any lost or doubled submission.
pub async fn run(args: &LoadArgs) -> anyhow::Result<()> {
    if args.units == 0 || args.indicators < 2 || args.concurrency == 0 {
        bail!("--units và --concurrency phải lớn hơn 0, --indicators ít nhất là 2");
    }
    let backend = Backend::from(args.backend);
    let Some(db) = TestDatabase::new(backend).await else {
        bail!("không kết nối được PostgreSQL để đo (đặt THIDUA_TEST_POSTGRES)");
    };
    let store = Store::connect_with_key(&db.url, thidua_store::ServerKey::load_or_create(&db.key_file)?).await?;
    let started = Instant::now();
    let period = prepare(&store, args).await?;
    println!(
        "thidua bench load — {backend:?}: {} officers, {} indicators each, {} at once, period {period}; setup {:.1} s",
        args.units,
        args.indicators,
        args.concurrency,
        started.elapsed().as_secs_f64()
    );

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    // Every simulated officer comes from 127.0.0.1: raise the per-address login allowance,
    // which would otherwise (rightly) slow this many sign-ins from one address.
    let mut state = AppState::new(store.clone());
    state.login_policy.free_failures_per_address = i64::try_from(args.units * 2).unwrap_or(i64::MAX);
    let server = tokio::spawn(thidua_web::launch(state, listener, async {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(args.concurrency)
        .build()?;

    let gate = Arc::new(Semaphore::new(args.concurrency));
    let mut tasks = JoinSet::new();
    let wall = Instant::now();
    for i in 0..args.units {
        let (client, base, gate) = (client.clone(), base.clone(), gate.clone());
        let indicators = args.indicators;
        tasks.spawn(async move {
            let _permit = gate.acquire().await;
            officer(client, base, i, indicators, period).await
        });
    }
    let mut steps = Vec::new();
    let mut failures = Vec::new();
    while let Some(done) = tasks.join_next().await {
        match done? {
            Ok(s) => steps.push(s),
            Err(e) => failures.push(e.to_string()),
        }
    }
    let http_wall = wall.elapsed();
    let _ = stop.send(());
    let _ = server.await;

    let mut yardstick = Yardstick::connect(&db.url_text).await?;
    let counts = yardstick.count_submissions(period).await?;

    // Reference: the same saves and submissions straight through the store, no HTTP.
    let direct_period = period.same_period_last_year();
    let situation = Situation {
        can_enter: true,
        can_review: false,
        can_reopen: false,
        window_open: true,
        reopened: false,
    };
    let users = store.users().await?;
    let principals: BTreeMap<String, thidua_core::Principal> = users
        .iter()
        .filter_map(|u| u.unit.as_ref().map(|c| (c.to_string(), u.principal())))
        .collect();
    let mut tasks = JoinSet::new();
    let gate = Arc::new(Semaphore::new(args.concurrency));
    let wall = Instant::now();
    for i in 0..args.units {
        let (store, gate) = (store.clone(), gate.clone());
        let principal = principals.get(&unit_code(i)).cloned().context("no officer")?;
        let values: BTreeMap<IndicatorCode, Option<Value>> = figures(i, args.indicators)
            .into_iter()
            .map(|(c, v)| Ok((IndicatorCode::parse(&c)?, Some(Value::Whole(v)))))
            .collect::<Result<_, thidua_core::Error>>()?;
        tasks.spawn(async move {
            let _permit = gate.acquire().await;
            let unit = UnitCode::parse(&principal.unit.as_ref().map(ToString::to_string).unwrap_or_default())?;
            let input = |version| FormInput {
                version,
                values: values.clone(),
                narrative: Narrative::default(),
            };
            store
                .save_submission(
                    &Actor::from(&principal),
                    &unit,
                    direct_period,
                    Action::Save,
                    situation,
                    input(0),
                )
                .await?;
            store
                .save_submission(
                    &Actor::from(&principal),
                    &unit,
                    direct_period,
                    Action::Submit,
                    situation,
                    input(1),
                )
                .await?;
            anyhow::Ok(())
        });
    }
    while let Some(done) = tasks.join_next().await {
        done??;
    }
    let direct_wall = wall.elapsed();
    let direct_counts = yardstick.count_submissions(direct_period).await?;
    yardstick.close().await;
    store.close().await;

    let n = steps.len();
    let sorted = |f: fn(&Steps) -> Duration| {
        let mut v: Vec<Duration> = steps.iter().map(f).collect();
        v.sort();
        v
    };
    let http_rate = n as f64 / http_wall.as_secs_f64();
    let direct_rate = args.units as f64 / direct_wall.as_secs_f64();
    println!("| step (over HTTP) | p50 ms | p99 ms |");
    println!("|---|---|---|");
    for (name, f) in [
        (
            "sign in (argon2id check)",
            (|s: &Steps| s.login) as fn(&Steps) -> Duration,
        ),
        ("open the form", |s: &Steps| s.open),
        ("save 40 figures", |s: &Steps| s.save),
        ("submit", |s: &Steps| s.submit),
    ] {
        let v = sorted(f);
        println!("| {name} | {:.1} | {:.1} |", percentile(&v, 0.5), percentile(&v, 0.99));
    }
    println!();
    println!("| measure | submissions/s | vs direct |");
    println!("|---|---|---|");
    println!(
        "| over HTTP: sign in, open, save, submit ({:.1} s for {n}) | {http_rate:.1} | {:.2}× |",
        http_wall.as_secs_f64(),
        http_rate / direct_rate
    );
    println!(
        "| direct store calls: save, submit ({:.1} s for {}) | {direct_rate:.1} | 1.00× |",
        direct_wall.as_secs_f64(),
        args.units
    );
    println!();
    let expected_values = (args.units * args.indicators) as i64;
    let expected_audit = (args.units * (args.indicators + 1)) as i64;
    let exact = counts.forms == args.units as i64
        && counts.submitted == args.units as i64
        && counts.values == expected_values
        && counts.audit_events == expected_audit;
    println!(
        "stored: {} forms, {} submitted, {} values, {} audit entries (expected {} / {} / {expected_values} / {expected_audit}): {}",
        counts.forms,
        counts.submitted,
        counts.values,
        counts.audit_events,
        args.units,
        args.units,
        if exact {
            "every submission stored exactly once"
        } else {
            "MISMATCH"
        }
    );
    println!(
        "reference stored: {} forms, {} submitted, {} values",
        direct_counts.forms, direct_counts.submitted, direct_counts.values
    );
    if !failures.is_empty() {
        println!("{} officers failed; first: {}", failures.len(), failures[0]);
    }
    drop(db);
    if !exact || !failures.is_empty() {
        bail!("lost or duplicated submissions");
    }
    Ok(())
}
