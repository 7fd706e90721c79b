//! The CLI and the browser write the same review: `thidua report --format docx` and the
//! cluster page's DOCX download, for the same cluster and period, hold the same text —
//! with the conference record, and without it (when the issuing body comes from the unit
//! tree, which the CLI once left blank) — on SQLite and PostgreSQL. The browser's file is
//! fetched over HTTP from the real server on port 0.

use std::io::Read;

use crate::common::thidua;

use thidua_store::Backend;
use thidua_store::testing::TestDatabase;

thidua_store::on_both_backends!(the_cli_and_the_browser_write_the_same_review_with_and_without_a_conference_record,);

/// The paragraphs of a DOCX file's body, as text.
fn docx_text(bytes: &[u8]) -> String {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a DOCX is a zip archive");
    let mut xml = String::new();
    archive
        .by_name("word/document.xml")
        .expect("the DOCX has a body")
        .read_to_string(&mut xml)
        .expect("the body is UTF-8");
    let mut text = String::new();
    for paragraph in xml.split("</w:p>") {
        for run in paragraph.split("<w:t").skip(1) {
            // `<w:t>` or `<w:t xml:space="preserve">`, then the text up to `</w:t>`.
            let Some((_, rest)) = run.split_once('>') else { continue };
            text.push_str(rest.split("</w:t>").next().unwrap_or_default());
        }
        text.push('\n');
    }
    text
}

/// `thidua report --format docx` for the demo cluster's first half of 2022.
fn cli_docx(db: &TestDatabase) -> String {
    let path = std::env::temp_dir().join(format!(
        "thidua-parity-{}-{}.docx",
        std::process::id(),
        db.url_text.len()
    ));
    let target = path.to_string_lossy().into_owned();
    let output = thidua(
        db,
        &[
            "report",
            "--cluster",
            "HN-CUM2",
            "--period",
            "2022S1",
            "--format",
            "docx",
            "-o",
            &target,
        ],
    );
    assert!(
        output.status.success(),
        "thidua report failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let bytes = std::fs::read(&path).expect("the report was written");
    let _ = std::fs::remove_file(&path);
    docx_text(&bytes)
}

/// The same review downloaded from the cluster's report page by its chair.
async fn browser_docx(base: &str, session: &str) -> String {
    let response = reqwest::Client::new()
        .get(format!("{base}/clusters/HN-CUM2/report.docx?period=2022S1"))
        .header("Cookie", format!("thidua_session={session}"))
        .send()
        .await
        .expect("the server answers");
    assert_eq!(response.status(), 200, "the DOCX download");
    docx_text(&response.bytes().await.expect("the DOCX body"))
}

async fn the_cli_and_the_browser_write_the_same_review_with_and_without_a_conference_record(backend: Backend) {
    let Some(db) = TestDatabase::new(backend).await else {
        return;
    };
    let store = db.store().await;
    store.load_demo().await.expect("the demo loads");
    store.prepare_demo_workflow(2022).await.expect("the demo's accounts");
    let chair = store.user("cumtruong").await.expect("the demo's chair");
    let session = store.create_session(&chair).await.expect("a session");

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let base = format!("http://{}", listener.local_addr().expect("its address"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(thidua_web::launch(
        thidua_web::AppState::new(store.clone()),
        listener,
        async move {
            let _ = stopped.await;
        },
    ));

    let with_record = cli_docx(&db);
    assert!(
        with_record.contains("1.084"),
        "the review states the seed's figures:\n{with_record}"
    );
    assert_eq!(browser_docx(&base, &session).await, with_record);

    // Without the record, the body above the members issues the report, in both.
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&db.url_text.replace("sqlite://", "sqlite:"))
        .await
        .expect("the database, directly");
    sqlx::raw_sql("DELETE FROM conference")
        .execute(&pool)
        .await
        .expect("the record is removed");
    pool.close().await;
    let without_record = cli_docx(&db);
    assert_ne!(without_record, with_record);
    assert!(
        without_record.contains("Ủy ban MTTQ Việt Nam Thành phố Hà Nội"),
        "the issuing body heads the report:\n{without_record}"
    );
    assert_eq!(browser_docx(&base, &session).await, without_record);

    let _ = stop.send(());
    let _ = server.await;
}
