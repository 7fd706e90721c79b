//! The to-do list through the use case, on a fixed day: a unit's forms are listed while
//! their reporting window is open, with the days left (negative once late); the window's
//! lock removes them, and so do figures a file already brought.

use chrono::NaiveDate;
use thidua_app::App;
use thidua_app::todo::to_do_on;
use thidua_core::Period;
use thidua_store::Backend;
use thidua_store::testing::TestDatabase;

thidua_store::on_both_backends!(a_unit_s_forms_wait_while_their_window_is_open_and_name_the_days_left);

async fn a_unit_s_forms_wait_while_their_window_is_open_and_name_the_days_left(backend: Backend) {
    let Some(db) = TestDatabase::new(backend).await else {
        return;
    };
    let store = db.store().await;
    store.load_demo().await.expect("the demo");
    store.prepare_demo_workflow(2022).await.expect("the demo's accounts");
    let app = App::new(store);
    let user = app.store().user("hadong").await.unwrap();
    let caller = app.context(user.principal()).await.unwrap();

    let day = NaiveDate::from_ymd_opt(2022, 7, 10).unwrap();
    let todo = to_do_on(&app, &caller, day).await.unwrap();
    assert!(
        todo.own_forms.iter().all(|f| f.period != Period::HalfYear(2022, 1)),
        "the first half's figures came from the demo's file: nothing to send: {:?}",
        todo.own_forms
    );
    let second = todo
        .own_forms
        .iter()
        .find(|f| f.period == Period::HalfYear(2022, 2))
        .expect("the second half's form waits while its window is open");
    assert_eq!(second.deadline, NaiveDate::from_ymd_opt(2023, 1, 15).unwrap());
    assert_eq!(second.days_left, 189);
    assert!(second.state.is_none(), "not started");
    assert!(todo.to_review.is_empty(), "an officer decides nothing");

    let late = NaiveDate::from_ymd_opt(2023, 1, 20).unwrap();
    let todo = to_do_on(&app, &caller, late).await.unwrap();
    let second = todo
        .own_forms
        .iter()
        .find(|f| f.period == Period::HalfYear(2022, 2))
        .expect("past the deadline but before the lock, it still waits");
    assert_eq!(second.days_left, -5);

    let locked = NaiveDate::from_ymd_opt(2023, 1, 30).unwrap();
    let todo = to_do_on(&app, &caller, locked).await.unwrap();
    assert!(
        todo.own_forms.iter().all(|f| f.period != Period::HalfYear(2022, 2)),
        "once the window has locked the form no longer waits: {:?}",
        todo.own_forms
    );
    assert!(todo.own_forms.iter().any(|f| f.period == Period::HalfYear(2023, 1)));
}
