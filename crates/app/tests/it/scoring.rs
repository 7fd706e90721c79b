//! Scoring through the use cases: a sheet with several wrong lines names each of them
//! (core's checks, one line at a time) and saves nothing; the cluster's ranking reads each
//! member's sheets once, however many of them the caller is shown.

use thidua_app::scoring::{self, SaveError, SheetEntry, TypedLine};
use thidua_app::{App, Context};
use thidua_core::emulation::criteria::CriterionCode;
use thidua_core::emulation::scoring::ScoreStep;
use thidua_core::text::Collator;
use thidua_core::{ClusterCode, UnitCode};
use thidua_store::Backend;
use thidua_store::testing::TestDatabase;
use thidua_store::testing::statements::record_statements;

thidua_store::on_both_backends!(
    a_sheet_with_several_wrong_lines_names_each_and_saves_nothing,
    the_ranking_reads_each_member_s_sheets_once,
);

/// The demo on a database of its own, with its accounts.
async fn demo(backend: Backend) -> Option<(TestDatabase, App)> {
    let db = TestDatabase::new(backend).await?;
    let store = db.store().await;
    store.load_demo().await.expect("the demo");
    store.prepare_demo_workflow(2022).await.expect("the demo's accounts");
    Some((db, App::new(store)))
}

async fn caller(app: &App, login: &str) -> Context {
    let user = app.store().user(login).await.expect("a demo account");
    app.context(user.principal()).await.expect("the directory")
}

fn line(points: &str) -> TypedLine {
    TypedLine {
        points: points.into(),
        note: String::new(),
    }
}

fn code(c: &str) -> CriterionCode {
    CriterionCode::parse(c).expect("a criterion code")
}

async fn a_sheet_with_several_wrong_lines_names_each_and_saves_nothing(backend: Backend) {
    let Some((_db, app)) = demo(backend).await else {
        return;
    };
    let tayho = caller(&app, "tayho").await;
    let sheet = scoring::load_sheet(&app, &tayho, "HN-TAYHO", 2022, ScoreStep::SelfScore)
        .await
        .expect("Tây Hồ's self-score");
    let entry = SheetEntry {
        version: 0,
        criteria_version: sheet.scores.criteria.version,
        lines: [
            (code("I.1"), line("6")),
            (code("I.2"), line("năm")),
            (code("I.3"), line("4")),
        ]
        .into(),
        note: String::new(),
    };

    let refused = scoring::save_sheet(&app, &tayho, &sheet, &entry).await;

    let Err(SaveError::Lines(errors)) = refused else {
        panic!("refused line by line: {refused:?}");
    };
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!(errors[&code("I.1")], "Mục I.1: 6 điểm vượt điểm tối đa 5");
    assert!(errors[&code("I.2")].starts_with("Mục I.2: "), "{errors:?}");
    let saved = app
        .store()
        .score_sheet(
            &UnitCode::parse("HN-TAYHO").expect("a unit code"),
            2022,
            1,
            ScoreStep::SelfScore,
        )
        .await
        .expect("the store answers");
    assert!(saved.is_none(), "nothing was saved");
}

async fn the_ranking_reads_each_member_s_sheets_once(backend: Backend) {
    let Some((_db, app)) = demo(backend).await else {
        return;
    };
    for (login, unit) in [("tayho", "HN-TAYHO"), ("hadong", "HN-HADONG")] {
        let who = caller(&app, login).await;
        let sheet = scoring::load_sheet(&app, &who, unit, 2022, ScoreStep::SelfScore)
            .await
            .expect("a self-score");
        let entry = SheetEntry {
            version: 0,
            criteria_version: sheet.scores.criteria.version,
            lines: [(code("I.1"), line("4"))].into(),
            note: String::new(),
        };
        scoring::save_sheet(&app, &who, &sheet, &entry).await.expect("saved");
    }
    let city = caller(&app, "thanhpho").await;
    let cum2 = ClusterCode::parse("HN-CUM2").expect("a cluster code");
    let cluster = city.directory.cluster(&cum2, 2022).expect("cluster 2 in 2022").clone();

    let (ranking, statements) = record_statements(scoring::ranking(&app, &city, &cluster, &Collator::new())).await;

    let ranking = ranking.expect("the ranking").expect("criteria for 2022");
    assert_eq!(ranking.ranked.len(), 2, "the two scored members");
    let sheet_reads = statements
        .iter()
        .filter(|s| s.contains("FROM score_sheet s JOIN unit u"))
        .count();
    // At most one read per member and step (the page used to read each member's sheets a
    // second time: twice this). "At most", because on SQLite sqlx reports a statement from
    // the connection's worker thread, and under a full parallel run one report in a few
    // hundred reaches the counter without the span that names its measurement.
    assert!(
        sheet_reads > 0 && sheet_reads <= 3 * cluster.members.len(),
        "{sheet_reads} reads for {} members: {statements:#?}",
        cluster.members.len()
    );
}
