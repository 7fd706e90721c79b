//! A value written anywhere is in the very next rollup of every `thidua serve` on the
//! same database: one written by `thidua import values` while the server runs, and on
//! PostgreSQL one written through another server process.

use thidua_store::Backend;
use thidua_store::testing::TestDatabase;

use crate::common::{Server, thidua};

thidua_store::on_both_backends!(a_value_imported_while_the_server_runs_is_in_its_next_rollup);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_accepted_through_one_server_is_in_the_other_server_s_next_rollup() {
    let Some(db) = TestDatabase::new(Backend::Postgres).await else {
        return;
    };
    let chair = demo_session(&db, 2026).await;
    let officer = session_of(&db, "caugiay").await;
    let one = Server::start(&db);
    let other = Server::start(&db);
    assert_eq!(
        deaths(&other.base, &chair, "2026S2").await,
        None,
        "nothing is reported for 2026S2 yet"
    );

    // The Cầu Giấy officer sends the form through the first server, and the chair accepts it there.
    let form = format!("{}/units/HN-CAUGIAY/forms/2026S2", one.base);
    let (csrf, version) = open_form(&form, &officer).await;
    post(
        &form,
        &officer,
        &one.base,
        &[
            ("csrf", &csrf),
            ("version", &version),
            ("v_TANG_SO_DAM", "77"),
            ("action", "submit_anyway"),
        ],
    )
    .await;
    let (csrf, version) = open_form(&form, &chair).await;
    post(
        &format!("{form}/decision"),
        &chair,
        &one.base,
        &[("csrf", &csrf), ("version", &version), ("action", "accept")],
    )
    .await;

    assert_eq!(
        deaths(&other.base, &chair, "2026S2").await,
        Some(77.0),
        "the other server's very next rollup has the accepted figure"
    );
}

/// The anti-forgery token and the version of a form page.
async fn open_form(url: &str, session: &str) -> (String, String) {
    let page = reqwest::Client::new()
        .get(url)
        .header("Cookie", format!("thidua_session={session}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let field = |name: &str| {
        page.split(&format!("name=\"{name}\" value=\""))
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("the form page carries its {name}:\n{page}"))
            .to_owned()
    };
    (field("csrf"), field("version"))
}

/// Posts a form as the browser does (same origin); it must be taken.
async fn post(url: &str, session: &str, origin: &str, fields: &[(&str, &str)]) {
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(url)
        .header("Cookie", format!("thidua_session={session}"))
        .header("Origin", origin)
        .form(fields)
        .send()
        .await
        .unwrap();
    let status = response.status();
    assert!(
        status.is_success() || status.is_redirection(),
        "{url}: {status}\n{}",
        response.text().await.unwrap_or_default()
    );
}

async fn a_value_imported_while_the_server_runs_is_in_its_next_rollup(backend: Backend) {
    let Some(db) = TestDatabase::new(backend).await else {
        return;
    };
    let session = demo_session(&db, 2022).await;
    let server = Server::start(&db);
    let before = deaths(&server.base, &session, "2022S1")
        .await
        .expect("the demo's figure");

    let file = std::env::temp_dir().join(format!("thidua-fresh-{}-{}.csv", std::process::id(), db.url_text.len()));
    std::fs::write(&file, "unit,indicator,period,value\nHN-HADONG,TANG_SO_DAM,2022S2,5\n").unwrap();
    let output = thidua(&db, &["import", "values", &file.to_string_lossy()]);
    let _ = std::fs::remove_file(&file);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));

    assert_eq!(deaths(&server.base, &session, "2022S2").await, Some(5.0));
    assert_eq!(deaths(&server.base, &session, "2022").await, Some(before + 5.0));
}

/// The demo loaded and made ready for `year`'s workflow, and a session of its chair of
/// cluster No. 2.
async fn demo_session(db: &TestDatabase, year: i32) -> String {
    let store = db.store().await;
    store.load_demo().await.unwrap();
    store.prepare_demo_workflow(year).await.unwrap();
    session_of(db, "cumtruong").await
}

/// A session of one of the demo's accounts.
async fn session_of(db: &TestDatabase, username: &str) -> String {
    let store = db.store().await;
    let user = store.user(username).await.unwrap();
    store.create_session(&user).await.unwrap()
}

/// The cluster's total deaths (the first indicator of the demo) for a period, from the
/// JSON API.
async fn deaths(base: &str, session: &str, period: &str) -> Option<f64> {
    let text = reqwest::Client::new()
        .get(format!("{base}/api/v1/clusters/HN-CUM2/rollup?period={period}"))
        .header("Cookie", format!("thidua_session={session}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let body: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    body["total"]
        .as_array()
        .and_then(|figures| figures.iter().find(|f| f["indicator"] == "TANG_SO_DAM"))
        .and_then(|f| f["value"].as_f64())
}
