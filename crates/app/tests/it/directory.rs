//! The directory of units and clusters is read from the database only after a change to
//! it — by this process or by another one on the same database — and every change is seen
//! by the next request.

use thidua_app::App;
use thidua_store::Backend;
use thidua_store::testing::TestDatabase;
use thidua_store::testing::statements::record_statements;

thidua_store::on_both_backends!(
    the_unit_tree_is_read_again_only_after_a_change_to_it,
    a_unit_imported_through_one_process_is_seen_by_the_other_s_next_request,
    a_cluster_s_new_member_is_seen_by_the_next_request,
);

const UNITS: &str = "code,name,kind,parent
HN,Ủy ban MTTQ Việt Nam Thành phố Hà Nội,city,
HN-HADONG,Ủy ban MTTQ Việt Nam quận Hà Đông,district,HN
HN-THANHXUAN,Ủy ban MTTQ Việt Nam quận Thanh Xuân,district,HN
";

const CLUSTERS: &str = "code,name,year,members,host,chair,deputy
HN-CUM2,Cụm thi đua số 2,2022,HN-HADONG;HN-THANHXUAN,HN-HADONG,HN-HADONG,HN-THANHXUAN
";

/// Whether one of `statements` reads the unit table whole, as loading the tree does.
/// Only ever asserted absent: on SQLite one statement report in a few hundred reaches the
/// counter without its measurement's span under a parallel run, so a count can fall short
/// but never over.
fn reads_the_unit_tree(statements: &[String]) -> bool {
    statements.iter().any(|s| s.contains("FROM unit u LEFT JOIN unit p"))
}

async fn the_unit_tree_is_read_again_only_after_a_change_to_it(backend: Backend) {
    let Some(db) = TestDatabase::new(backend).await else {
        return;
    };
    let store = db.store().await;
    store.import_units_csv(UNITS).await.expect("units");
    let app = App::new(store.clone());

    let first = app.directory().await.expect("the directory");
    assert_eq!(first.tree.len(), 3);

    let (again, statements) = record_statements(app.directory()).await;
    let again = again.expect("the directory");
    assert!(
        std::sync::Arc::ptr_eq(&first, &again),
        "an unchanged directory is the one kept in memory"
    );
    assert!(
        !reads_the_unit_tree(&statements) && statements.len() <= 1,
        "an unchanged directory costs one statement, its version: {statements:?}"
    );
    assert!(
        statements.iter().all(|s| s.contains("directory_version")),
        "{statements:?}"
    );

    store
        .import_units_csv("code,name,kind,parent\nHN-SOCSON,Ủy ban MTTQ Việt Nam huyện Sóc Sơn,district,HN\n")
        .await
        .expect("one more unit");
    let changed = app.directory().await.expect("the directory");
    assert!(!std::sync::Arc::ptr_eq(&again, &changed), "a change is read again");
    assert_eq!(changed.tree.len(), 4);
    let (kept, statements) = record_statements(app.directory()).await;
    assert!(
        std::sync::Arc::ptr_eq(&changed, &kept.expect("the directory")),
        "and then kept"
    );
    assert!(!reads_the_unit_tree(&statements), "{statements:?}");
}

async fn a_unit_imported_through_one_process_is_seen_by_the_other_s_next_request(backend: Backend) {
    let Some(db) = TestDatabase::new(backend).await else {
        return;
    };
    // Two stores, each with its own pool and its own cache: two server processes.
    let one = App::new(db.store().await);
    let other = App::new(db.store().await);
    one.store().import_units_csv(UNITS).await.expect("units");
    assert_eq!(other.directory().await.expect("the directory").tree.len(), 3);

    one.store()
        .import_units_csv("code,name,kind,parent\nHN-SOCSON,Ủy ban MTTQ Việt Nam huyện Sóc Sơn,district,HN\n")
        .await
        .expect("a unit through the first");
    let seen = other.directory().await.expect("the directory");
    assert!(
        seen.tree.units().any(|u| u.code.as_str() == "HN-SOCSON"),
        "the second process sees the unit the first imported"
    );
}

async fn a_cluster_s_new_member_is_seen_by_the_next_request(backend: Backend) {
    let Some(db) = TestDatabase::new(backend).await else {
        return;
    };
    let store = db.store().await;
    store.import_units_csv(UNITS).await.expect("units");
    store.import_clusters_csv(CLUSTERS).await.expect("a cluster");
    let app = App::new(db.store().await);
    let members = |app: App| async move {
        let directory = app.directory().await.expect("the directory");
        directory.clusters.first().map(|c| c.members.len()).unwrap_or_default()
    };
    assert_eq!(members(app.clone()).await, 2);

    store
        .import_units_csv("code,name,kind,parent\nHN-SOCSON,Ủy ban MTTQ Việt Nam huyện Sóc Sơn,district,HN\n")
        .await
        .expect("a unit");
    store
        .import_clusters_csv(&CLUSTERS.replace("HN-HADONG;HN-THANHXUAN", "HN-HADONG;HN-THANHXUAN;HN-SOCSON"))
        .await
        .expect("the cluster again, with a third member");
    assert_eq!(members(app).await, 3);
}
