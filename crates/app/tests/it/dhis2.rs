//! DHIS2 data value sets through the use cases, on both backends: a cluster's figures
//! exported, imported into a fresh database and exported again are the same bytes; a dry
//! run writes nothing; a bad file is refused whole with its rows named; figures of an
//! accepted form are refused with the reason, and the dry run says so too.

use thidua_app::App;
use thidua_app::dhis2::{self, Selection};
use thidua_core::dhis2::{Format, ImportStatus, Requested, write};
use thidua_core::workflow::{Action, ReportingWindow};
use thidua_core::{Period, UnitCode};
use thidua_store::testing::TestDatabase;
use thidua_store::{Actor, Backend, DEMO_FILES, Decision, FormInput, Narrative, Store, ValuesImport};

thidua_store::on_both_backends!(
    a_cluster_exported_imported_into_a_fresh_database_and_exported_again_is_the_same,
    a_dry_run_counts_what_would_change_and_writes_nothing,
    a_bad_file_is_refused_whole_with_each_row_named,
    figures_of_an_accepted_form_are_refused_with_the_reason_dry_or_not,
);

const S1: Period = Period::HalfYear(2022, 1);

async fn demo(backend: Backend) -> Option<(TestDatabase, App)> {
    let db = TestDatabase::new(backend).await?;
    let store = db.store().await;
    store.load_demo().await.unwrap();
    Some((db, App::for_one_command(store)))
}

/// The demo's catalogs without its figures.
async fn catalogs_only(backend: Backend) -> Option<(TestDatabase, App)> {
    let db = TestDatabase::new(backend).await?;
    let store = db.store().await;
    let [units, indicators, rules, clusters, _] = DEMO_FILES.map(|(_, text)| text);
    store.import_units_csv(units).await.unwrap();
    store.import_indicators_csv(indicators).await.unwrap();
    store.import_rules_csv(rules).await.unwrap();
    store.import_clusters_csv(clusters).await.unwrap();
    Some((db, App::for_one_command(store)))
}

async fn exported(app: &App, selection: &Selection, period: Period, format: Format) -> String {
    let directory = app.directory().await.unwrap();
    let values = dhis2::export(app, &directory, selection, period).await.unwrap();
    write(&values, format)
}

fn cluster() -> Selection {
    Selection::Cluster("HN-CUM2".into())
}

async fn a_cluster_exported_imported_into_a_fresh_database_and_exported_again_is_the_same(backend: Backend) {
    let Some((_a, source)) = demo(backend).await else {
        return;
    };
    for format in [Format::Json, Format::Csv] {
        let Some((_b, target)) = catalogs_only(backend).await else {
            return;
        };
        let file = exported(&source, &cluster(), Period::Year(2022), format).await;
        assert!(file.contains("TANG_SO_DAM") && file.contains("HN-HADONG"), "{file}");
        let done = dhis2::import_official(
            &target,
            file.as_bytes(),
            format,
            &Requested::default(),
            &ValuesImport::default(),
        )
        .await
        .unwrap();
        assert_eq!(done.summary.status, ImportStatus::Success, "{:?}", done.problems);
        assert_eq!(done.summary.import_count.imported, 96);
        assert_eq!(
            exported(&target, &cluster(), Period::Year(2022), format).await,
            file,
            "{format:?}"
        );
        let again = dhis2::import_official(
            &target,
            file.as_bytes(),
            format,
            &Requested::default(),
            &ValuesImport::default(),
        )
        .await
        .unwrap();
        assert_eq!(
            (again.summary.import_count.imported, again.summary.import_count.ignored),
            (0, 96)
        );
    }
}

async fn a_dry_run_counts_what_would_change_and_writes_nothing(backend: Backend) {
    let Some((_db, app)) = demo(backend).await else { return };
    let file = r#"{"dryRun": true, "dataValues": [
        {"dataElement": "TANG_SO_DAM", "period": "2022S1", "orgUnit": "HN-HADONG", "value": "1021"},
        {"dataElement": "TANG_SO_DAM", "period": "2022", "orgUnit": "HN-HADONG", "value": "2000"},
        {"dataElement": "TANG_HOA_TANG", "period": "2022S1", "orgUnit": "HN-HADONG", "value": "1001"}
    ]}"#;
    let before = exported(
        &app,
        &Selection::Unit {
            code: "HN-HADONG".into(),
            children: false,
        },
        Period::Year(2022),
        Format::Csv,
    )
    .await;
    let dry = dhis2::import_official(
        &app,
        file.as_bytes(),
        Format::Json,
        &Requested::default(),
        &ValuesImport::default(),
    )
    .await
    .unwrap();
    let c = dry.summary.import_count;
    assert_eq!((c.imported, c.updated, c.ignored), (1, 1, 1));
    assert!(dry.summary.import_options.dry_run && dry.summary.description.contains("không ghi gì"));
    let after = exported(
        &app,
        &Selection::Unit {
            code: "HN-HADONG".into(),
            children: false,
        },
        Period::Year(2022),
        Format::Csv,
    )
    .await;
    assert_eq!(before, after);
}

async fn a_bad_file_is_refused_whole_with_each_row_named(backend: Backend) {
    let Some((_db, app)) = demo(backend).await else { return };
    let file = "dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value\n\
                TANG_SO_DAM,2022S1,HN-HADONG,,,5000\n\
                TANG_SO_DAM,2022S1,HN-KHONGCO,,,1\n\
                QUY_BIEN_DAO,2022S1,HN-TAYHO,,,\"1.084,5\"\n";
    let refused = dhis2::import_official(
        &app,
        file.as_bytes(),
        Format::Csv,
        &Requested::default(),
        &ValuesImport::default(),
    )
    .await
    .unwrap();
    assert_eq!(refused.summary.status, ImportStatus::Error);
    let lines: Vec<String> = refused.problems.iter().map(ToString::to_string).collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].starts_with("dòng 3, cột orgunit: đơn vị HN-KHONGCO"),
        "{lines:?}"
    );
    assert!(
        lines[1].starts_with("dòng 4, cột value: «1.084,5» không phải là số"),
        "{lines:?}"
    );
    let stored = app
        .store()
        .values_of(&[(UnitCode::parse("HN-HADONG").unwrap(), S1)])
        .await
        .unwrap();
    assert!(
        stored
            .iter()
            .all(|v| v.indicator.as_str() != "TANG_SO_DAM" || v.value == thidua_core::Value::Whole(1020))
    );
    let unreadable = dhis2::import_official(
        &app,
        b"{\"dataValues\": 3}",
        Format::Json,
        &Requested::default(),
        &ValuesImport::default(),
    )
    .await;
    assert!(
        unreadable
            .err()
            .is_some_and(|e| e.to_string().starts_with("tệp DHIS2 chưa đúng"))
    );
}

/// Hà Đông's form of the current half-year, filled, submitted and accepted by the chair.
async fn accepted_form(store: &Store) -> Period {
    let period = Period::half_year_of(chrono::Local::now().date_naive());
    store.prepare_demo_workflow(period.year()).await.unwrap();
    store
        .set_reporting_window(ReportingWindow::default_for(period))
        .await
        .unwrap();
    let hadong = UnitCode::parse("HN-HADONG").unwrap();
    let officer = Actor::from(&store.user("hadong").await.unwrap().principal());
    let chair = Actor::from(&store.user("thanhpho").await.unwrap().principal());
    let enter = thidua_core::workflow::Situation {
        can_enter: true,
        can_review: false,
        can_reopen: false,
        window_open: true,
        reopened: false,
    };
    let values = [(
        thidua_core::IndicatorCode::parse("TANG_SO_DAM").unwrap(),
        Some(thidua_core::Value::Whole(10)),
    )]
    .into_iter()
    .collect();
    let saved = store
        .save_submission(
            &officer,
            &hadong,
            period,
            Action::Submit,
            enter,
            FormInput {
                version: 0,
                values,
                narrative: Narrative::default(),
            },
        )
        .await
        .unwrap();
    let review = thidua_core::workflow::Situation {
        can_enter: false,
        can_review: true,
        can_reopen: true,
        window_open: true,
        reopened: false,
    };
    store
        .decide_submission(
            &chair,
            &hadong,
            period,
            Decision {
                action: Action::Accept,
                situation: review,
                version: saved.submission.version,
                reason: None,
            },
        )
        .await
        .unwrap();
    period
}

async fn figures_of_an_accepted_form_are_refused_with_the_reason_dry_or_not(backend: Backend) {
    let Some((_db, app)) = demo(backend).await else { return };
    let period = accepted_form(app.store()).await;
    let file = format!(
        r#"{{"dataValues": [{{"dataElement": "TANG_SO_DAM", "period": "{period}", "orgUnit": "HN-HADONG", "value": "11"}}]}}"#
    );
    for dry_run in [true, false] {
        let requested = Requested {
            dry_run: Some(dry_run.to_string()),
            ..Requested::default()
        };
        let refused = dhis2::import_official(
            &app,
            file.as_bytes(),
            Format::Json,
            &requested,
            &ValuesImport::default(),
        )
        .await
        .unwrap();
        assert_eq!(refused.summary.status, ImportStatus::Error, "dry run {dry_run}");
        assert!(
            refused.problems[0].reason.contains("đã được duyệt"),
            "dry run {dry_run}: {:?}",
            refused.problems
        );
    }
    // The level above may overwrite, in its own name.
    let overwrite = ValuesImport {
        by: Some("thanhpho".into()),
        overwrite_accepted: true,
    };
    let done = dhis2::import_official(&app, file.as_bytes(), Format::Json, &Requested::default(), &overwrite)
        .await
        .unwrap();
    assert_eq!(done.summary.import_count.updated, 1, "{:?}", done.problems);
}
