//! `thidua import changes` applies a reorganisation, and `thidua rollup --tree current`
//! reads a merged unit's past as its predecessors'.

use std::path::PathBuf;

use thidua_store::Backend;
use thidua_store::testing::TestDatabase;

use crate::common::thidua;

thidua_store::on_both_backends!(a_merged_ward_s_past_is_its_predecessors_on_today_s_tree);

fn file(db: &TestDatabase, name: &str, text: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!(
        "thidua-lineage-{}-{}-{name}",
        std::process::id(),
        db.url_text.len()
    ));
    std::fs::write(&path, text).unwrap();
    path
}

fn run(db: &TestDatabase, args: &[&str]) -> String {
    let output = thidua(db, args);
    assert!(
        output.status.success(),
        "thidua {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

async fn a_merged_ward_s_past_is_its_predecessors_on_today_s_tree(backend: Backend) {
    let Some(db) = TestDatabase::new(backend).await else {
        return;
    };
    let files = [
        (
            "indicators",
            "code,name,measure,value_type,aggregation,formula,group\nDEATHS,Số đám tang,ca,integer,sum,,Nếp sống\n",
        ),
        (
            "units",
            "code,name,kind,parent\nHN,Ủy ban MTTQ Việt Nam Thành phố Hà Nội,city,\nHN-W1,Ủy ban MTTQ Việt Nam phường Một,ward,HN\nHN-W2,Ủy ban MTTQ Việt Nam phường Hai,ward,HN\n",
        ),
        (
            "values",
            "unit,indicator,period,value\nHN-W1,DEATHS,2022S1,10\nHN-W2,DEATHS,2022S1,20\n",
        ),
        (
            "changes",
            "date,change,from,to,name,parent\n1/7/2025,merge,HN-W1;HN-W2,HN-P-MOI,Ủy ban MTTQ Việt Nam phường Mới,HN\n",
        ),
    ];
    for (kind, text) in files {
        let path = file(&db, kind, text);
        run(&db, &["import", kind, &path.to_string_lossy()]);
        let _ = std::fs::remove_file(path);
    }
    let args = ["rollup", "--unit", "HN-P-MOI", "--period", "2022S1", "--format", "csv"];
    let as_it_was = run(&db, &args);
    assert_eq!(
        as_it_was, "unit,indicator,period,value\n",
        "the new ward reported nothing in 2022"
    );
    let current = run(&db, &[&args[..], &["--tree", "current"]].concat());
    assert_eq!(current, "unit,indicator,period,value\nHN-P-MOI,DEATHS,2022S1,30\n");
}
