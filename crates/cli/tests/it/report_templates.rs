//! `thidua report`'s template: `--template FILE` when given, else the cluster's own stored
//! template, else the shipped one — never another cluster's; on SQLite and PostgreSQL.

use std::process::Output;

use crate::common::thidua;

use thidua_core::ClusterCode;
use thidua_store::testing::TestDatabase;
use thidua_store::{Actor, Backend};

thidua_store::on_both_backends!(
    the_report_uses_the_cluster_s_stored_template_unless_a_file_is_given,
    a_template_file_out_of_fuel_is_refused_with_the_limit_named,
);

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn write_temp(name: &str, text: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("thidua-cli-tpl-{}-{name}", std::process::id()));
    std::fs::write(&path, text).unwrap();
    path
}

fn report(db: &TestDatabase, cluster: &str, template: Option<&std::path::Path>) -> Output {
    let mut args = vec!["report", "--cluster", cluster, "--period", "2022S1"];
    if let Some(path) = template {
        args.extend(["--template", path.to_str().unwrap_or_default()]);
    }
    thidua(db, &args)
}

async fn the_report_uses_the_cluster_s_stored_template_unless_a_file_is_given(backend: Backend) {
    let Some(db) = TestDatabase::new(backend).await else {
        return;
    };
    let demo = thidua(&db, &["demo"]);
    assert!(demo.status.success(), "{}", String::from_utf8_lossy(&demo.stderr));
    let store = db.store().await;
    store
        .import_clusters_csv(
            "code,name,year,members,host,chair,deputy\nHN-CUM3,Cụm thi đua số 3,2022,HN-TAYHO,HN-TAYHO,HN-TAYHO,\n",
        )
        .await
        .unwrap();
    let cum2 = ClusterCode::parse("HN-CUM2").unwrap();
    store
        .save_cluster_template(
            &Actor::system("test"),
            &cum2,
            "review",
            "Mẫu riêng của {{ cluster.name }}.",
        )
        .await
        .unwrap();

    let own = report(&db, "HN-CUM2", None);
    assert!(own.status.success(), "{}", String::from_utf8_lossy(&own.stderr));
    assert_eq!(stdout(&own), "Mẫu riêng của Cụm thi đua số 2.\n");

    let other = report(&db, "HN-CUM3", None);
    assert!(other.status.success(), "{}", String::from_utf8_lossy(&other.stderr));
    assert!(!stdout(&other).contains("Mẫu riêng"), "{}", stdout(&other));

    let file = write_temp(&format!("mau-{backend:?}.j2"), "Tệp mẫu: {{ cluster.code }}\n");
    let given = report(&db, "HN-CUM2", Some(&file));
    let _ = std::fs::remove_file(&file);
    assert!(given.status.success(), "{}", String::from_utf8_lossy(&given.stderr));
    assert_eq!(stdout(&given), "Tệp mẫu: HN-CUM2\n");
}

async fn a_template_file_out_of_fuel_is_refused_with_the_limit_named(backend: Backend) {
    let Some(db) = TestDatabase::new(backend).await else {
        return;
    };
    assert!(thidua(&db, &["demo"]).status.success());
    let file = write_temp(
        &format!("vong-lap-{backend:?}.j2"),
        "{% for i in range(10000) %}{% for j in range(10000) %}{{ i }}{% endfor %}{% endfor %}",
    );
    let refused = report(&db, "HN-CUM2", Some(&file));
    let _ = std::fs::remove_file(&file);
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("mẫu báo cáo chạy quá giới hạn tính toán"), "{said}");
}
