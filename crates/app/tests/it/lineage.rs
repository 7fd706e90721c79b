//! Reorganisations on both backends: a merge and a split applied from `changes.csv`, then
//! the rollups read under both views of history, and a bad file refused whole.

use thidua_app::App;
use thidua_app::rollups::{periods_with_values_in, unit_figures_in};
use thidua_core::lineage::TreeView;
use thidua_core::{Period, UnitCode};
use thidua_store::testing::TestDatabase;
use thidua_store::{Backend, StoreError};

thidua_store::on_both_backends!(
    a_merge_and_a_split_show_in_both_views_of_history,
    a_bad_changes_file_is_refused_whole_with_its_rows_named,
);

const INDICATORS: &str = "code,name,measure,value_type,aggregation,formula,group
DEATHS,Số đám tang,ca,integer,sum,,Nếp sống
";

/// A city with a district of three wards, and a second district.
const UNITS: &str = "code,name,kind,parent
HN,Ủy ban MTTQ Việt Nam Thành phố Hà Nội,city,
HN-D1,Ủy ban MTTQ Việt Nam quận Một,district,HN
HN-D2,Ủy ban MTTQ Việt Nam quận Hai,district,HN
HN-W1,Ủy ban MTTQ Việt Nam phường Một,ward,HN-D1
HN-W2,Ủy ban MTTQ Việt Nam phường Hai,ward,HN-D1
HN-W3,Ủy ban MTTQ Việt Nam phường Ba,ward,HN-D2
";

const VALUES_2022: &str = "unit,indicator,period,value
HN-W1,DEATHS,2022S1,10
HN-W2,DEATHS,2022S1,20
HN-W3,DEATHS,2022S1,100
";

/// On 1/7/2025 W1 and W2 merge into a new ward under the city, W3 splits 60/40 into two
/// new wards, and the districts close.
const CHANGES: &str = "date,change,from,to,name,parent
1/7/2025,merge,HN-W1;HN-W2,HN-P-MOI,Ủy ban MTTQ Việt Nam phường Mới,HN
2025-07-01,split,HN-W3,HN-P-BAC:0.6;HN-P-NAM:0.4,Ủy ban MTTQ Việt Nam phường Bắc;Ủy ban MTTQ Việt Nam phường Nam,HN
1/7/2025,close,HN-D1;HN-D2,,,
";

fn code(c: &str) -> UnitCode {
    UnitCode::parse(c).unwrap()
}

async fn deaths(app: &App, unit: &str, period: Period, view: TreeView) -> Option<f64> {
    let directory = app.directory().await.unwrap();
    let catalog = app.store().catalog().await.unwrap();
    unit_figures_in(app, &directory, &catalog, &code(unit), period, view)
        .await
        .unwrap()
        .number(&thidua_core::IndicatorCode::parse("DEATHS").unwrap())
}

async fn a_merge_and_a_split_show_in_both_views_of_history(backend: Backend) {
    let Some(db) = TestDatabase::new(backend).await else {
        return;
    };
    let store = db.store().await;
    store.import_indicators_csv(INDICATORS).await.unwrap();
    store.import_units_csv(UNITS).await.unwrap();
    store.import_values_csv(VALUES_2022).await.unwrap();
    let app = App::new(store.clone());
    let s1 = Period::HalfYear(2022, 1);
    assert_eq!(deaths(&app, "HN-D1", s1, TreeView::AsItWas).await, Some(30.0));

    let summary = store.import_changes_csv(CHANGES, "admin").await.unwrap();
    assert_eq!(summary.rows, 3);
    store
        .import_values_csv("unit,indicator,period,value\nHN-P-MOI,DEATHS,2026S1,40\nHN-P-BAC,DEATHS,2026S1,7\n")
        .await
        .unwrap();

    // As it was: 2022 stays with the districts and wards of 2022; the city is whole.
    assert_eq!(deaths(&app, "HN-D1", s1, TreeView::AsItWas).await, Some(30.0));
    assert_eq!(deaths(&app, "HN-P-MOI", s1, TreeView::AsItWas).await, None);
    assert_eq!(deaths(&app, "HN", s1, TreeView::AsItWas).await, Some(130.0));
    // Today's tree: the new ward's 2022 is its two predecessors', the split's by its shares.
    assert_eq!(deaths(&app, "HN-P-MOI", s1, TreeView::Current).await, Some(30.0));
    assert_eq!(deaths(&app, "HN-P-BAC", s1, TreeView::Current).await, Some(60.0));
    assert_eq!(deaths(&app, "HN-P-NAM", s1, TreeView::Current).await, Some(40.0));
    assert_eq!(deaths(&app, "HN", s1, TreeView::Current).await, Some(130.0));
    // 2026 is the same in both views.
    let s2026 = Period::HalfYear(2026, 1);
    assert_eq!(deaths(&app, "HN-P-MOI", s2026, TreeView::Current).await, Some(40.0));
    assert_eq!(deaths(&app, "HN-P-MOI", s2026, TreeView::AsItWas).await, Some(40.0));
    assert_eq!(deaths(&app, "HN", s2026, TreeView::AsItWas).await, Some(47.0));

    let directory = app.directory().await.unwrap();
    assert_eq!(
        periods_with_values_in(&app, &directory, &[code("HN-P-MOI")], TreeView::Current)
            .await
            .unwrap(),
        vec![Period::HalfYear(2026, 1), s1],
        "today's tree offers the predecessors' periods to compare with"
    );
    let history = directory.lineage.describe_vi(&directory.tree, &code("HN-P-MOI"));
    assert_eq!(
        history,
        vec!["Thành lập ngày 1/7/2025 trên cơ sở hợp nhất phường Một và phường Hai.".to_owned()]
    );
    // One command answers today's tree the same way, building the engine for it.
    let command = App::for_one_command(store.clone());
    assert_eq!(deaths(&command, "HN-P-BAC", s1, TreeView::Current).await, Some(60.0));
    assert_eq!(deaths(&command, "HN-D1", s1, TreeView::AsItWas).await, Some(30.0));
}

async fn a_bad_changes_file_is_refused_whole_with_its_rows_named(backend: Backend) {
    let Some(db) = TestDatabase::new(backend).await else {
        return;
    };
    let store = db.store().await;
    store.import_units_csv(UNITS).await.unwrap();
    let bad = "date,change,from,to,name,parent
1/7/2025,merge,HN-W1;HN-W2,HN-P-MOI,Ủy ban MTTQ Việt Nam phường Mới,HN
31/2/2025,split,HN-W3,HN-P-BAC:0.6;HN-P-NAM:0.6,Bắc;Nam,HN
1/7/2025,move,HN-W9,,,HN
";
    let Err(StoreError::Rejected(errors)) = store.import_changes_csv(bad, "admin").await else {
        panic!("the file is refused");
    };
    let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert!(
        messages.iter().any(|m| m.starts_with("dòng 3, cột date")),
        "{messages:?}"
    );
    // Nothing was written: the first, good row did not apply either.
    assert!(store.lineage().await.unwrap().is_empty());
    assert!(store.unit_tree().await.unwrap().get(&code("HN-P-MOI")).is_none());

    let bad_rows = "date,change,from,to,name,parent
1/7/2025,split,HN-W3,HN-P-BAC:0.6;HN-P-NAM:0.6,Bắc;Nam,HN
1/7/2025,move,HN-W9,,,HN
";
    let Err(StoreError::Rejected(errors)) = store.import_changes_csv(bad_rows, "admin").await else {
        panic!("the file is refused");
    };
    let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("dòng 2") && m.contains("cộng lại bằng 1")),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.starts_with("dòng 3") && m.contains("HN-W9")),
        "{messages:?}"
    );
}
