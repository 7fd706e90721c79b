//! A request reads the unit tree and the clusters from the database only after a change
//! to them: the directory is kept between requests and its version row, one statement,
//! tells each request whether it is still current — through HTTP, on SQLite and
//! PostgreSQL.

use crate::common;

use axum::http::StatusCode;
use common::TestApp;
use common::statements::record_statements;
use thidua_store::Backend;

common::on_both_backends!(
    a_request_reads_the_unit_tree_only_after_a_change_to_it,
    a_rollup_through_the_api_asks_only_for_the_session_and_the_two_versions,
);

/// Whether one of `statements` loads the unit tree (every unit with its parent's code).
/// Only asserted absent: a count may fall short on SQLite (see the app crate's test).
fn loads_the_tree(statements: &[String]) -> bool {
    statements.iter().any(|s| s.contains("FROM unit u LEFT JOIN unit p"))
}

/// The statements of the home page, then of the cluster's page with its rollup.
async fn home_statements(app: &TestApp) -> Vec<String> {
    let mut all = Vec::new();
    for page in ["/", "/clusters/HN-CUM2?period=2022S1"] {
        let ((status, _, body), statements) = record_statements(app.get_as(Some("thanhpho"), page)).await;
        assert_eq!(status, StatusCode::OK, "{page}: {body}");
        all.extend(statements);
    }
    all
}

async fn a_request_reads_the_unit_tree_only_after_a_change_to_it(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let first = home_statements(&app).await;
    assert!(!first.is_empty(), "statements are counted");
    let unchanged = home_statements(&app).await;
    assert!(
        !unchanged.is_empty() && !loads_the_tree(&unchanged),
        "nothing changed, so the tree is not read again: {unchanged:#?}"
    );

    // A unit added behind the server's back (as `thidua import units` would) is on the
    // very next request, and then kept.
    let (status, _, _) = app.get_as(Some("thanhpho"), "/units/HN-MELINH").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    app.state
        .store
        .import_units_csv("code,name,kind,parent\nHN-MELINH,Ủy ban MTTQ Việt Nam huyện Mê Linh,district,HN\n")
        .await
        .expect("a unit is added");
    let (status, _, body) = app.get_as(Some("thanhpho"), "/units/HN-MELINH").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("huyện Mê Linh"));
    let again = home_statements(&app).await;
    assert!(!loads_the_tree(&again), "and then kept: {again:#?}");
}

/// A rollup answers in about a millisecond at national scale, so each round trip counts:
/// once warm, a signed-in API rollup reads its session (with the account and the unread
/// count), the directory's version and the values' generation — not the indicators,
/// which the directory keeps, nor the unread notifications apart.
async fn a_rollup_through_the_api_asks_only_for_the_session_and_the_two_versions(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    for uri in [
        "/api/v1/clusters/HN-CUM2/rollup?period=2022S1",
        "/api/v1/units/HN/rollup?period=2022S1",
    ] {
        let (status, _, body) = app.get_as(Some("thanhpho"), uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {body}");
        let ((status, _, body), statements) = record_statements(app.get_as(Some("thanhpho"), uri)).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {body}");
        assert!(!statements.is_empty(), "statements are counted");
        assert!(
            statements.len() <= 3 && !statements.iter().any(|s| s.contains("FROM indicator")),
            "{uri}: {statements:#?}"
        );
        if backend == Backend::Postgres {
            assert_eq!(statements.len(), 3, "{uri}: {statements:#?}");
        }
    }
}
