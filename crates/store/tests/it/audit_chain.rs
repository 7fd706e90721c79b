//! The audit trail as a MAC chain, and imports that respect the workflow: each attack of
//! issue 9 item 6 — an import over an accepted figure, an edited, deleted or emptied
//! trail — on both backends. The attacks use raw SQL on the database, as someone with
//! its password (but not the key file) would.

use std::collections::BTreeMap;

use thidua_core::workflow::{Action, Situation};
use thidua_core::{IndicatorCode, Period, Principal, Role, UnitCode, Value};
use thidua_store::testing::TestDatabase;
use thidua_store::{
    Actor, AuditProblem, Backend, Decision, FormInput, Narrative, NewUser, Store, StoreError, ValuesImport,
};

thidua_store::on_both_backends!(
    an_import_over_an_accepted_figure_is_refused_and_writes_nothing,
    an_import_over_a_form_locked_by_its_window_is_refused,
    an_upper_level_overwrite_of_an_accepted_figure_is_written_with_its_audit_rows,
    an_overwrite_is_refused_to_an_officer_and_to_an_upper_level_of_another_subtree,
    every_imported_form_and_every_replaced_figure_leave_an_audit_row,
    an_edited_audit_row_is_reported_by_verify,
    a_deleted_audit_row_is_reported,
    an_emptied_trail_is_reported,
    a_cut_tail_is_reported_even_with_the_head_moved_back_to_the_last_row_left,
    a_row_written_around_the_application_is_reported,
    a_deleted_head_is_reported_and_nothing_more_is_chained,
    a_trail_left_alone_verifies,
    rows_written_before_the_chain_are_sealed_once_and_a_reset_head_is_not_resealed,
    the_demo_loads_again_over_figures_its_users_changed_and_accepted,
);

const S1: Period = Period::HalfYear(2022, 1);

fn code<T: TryFrom<String>>(c: &str) -> T
where
    T::Error: std::fmt::Debug,
{
    T::try_from(c.to_owned()).unwrap()
}

fn ok<T>(r: Result<T, StoreError>) -> T {
    r.unwrap()
}

async fn demo(backend: Backend) -> Option<(TestDatabase, Store)> {
    let db = TestDatabase::new(backend).await?;
    let store = db.store().await;
    ok(store.load_demo().await);
    Some((db, store))
}

async fn user(store: &Store, name: &str, role: Role, unit: Option<&str>) -> Principal {
    ok(store
        .create_user(NewUser {
            username: name.into(),
            display_name: format!("Đồng chí {name}"),
            password: "mật-khẩu-dài-hơn".into(),
            role,
            unit: unit.map(code),
        })
        .await)
    .principal()
}

const ENTER: Situation = Situation {
    can_enter: true,
    can_review: false,
    can_reopen: false,
    window_open: true,
    reopened: false,
};
const REVIEW: Situation = Situation {
    can_enter: false,
    can_review: true,
    can_reopen: false,
    window_open: true,
    reopened: false,
};

fn form(version: i64, pairs: &[(&str, i64)]) -> FormInput {
    FormInput {
        version,
        values: pairs
            .iter()
            .map(|(c, v)| (code::<IndicatorCode>(c), Some(Value::Whole(*v))))
            .collect::<BTreeMap<_, _>>(),
        narrative: Narrative::default(),
    }
}

/// HN-HADONG's 2022S1 form, submitted with the demo's figure (1.020 funerals) and
/// accepted by the chair: the figure is now settled.
async fn accept_hadong(store: &Store) {
    let officer = user(store, "hadong", Role::Officer, Some("HN-HADONG")).await;
    let chair = user(store, "cumtruong", Role::Chair, Some("HN-HADONG")).await;
    let unit: UnitCode = code("HN-HADONG");
    ok(store
        .save_submission(
            &Actor::from(&officer),
            &unit,
            S1,
            Action::Submit,
            ENTER,
            form(0, &[("TANG_SO_DAM", 1020)]),
        )
        .await);
    ok(store
        .decide_submission(
            &Actor::from(&chair),
            &unit,
            S1,
            Decision {
                action: Action::Accept,
                situation: REVIEW,
                version: 1,
                reason: None,
            },
        )
        .await);
}

/// The official figure of a unit's indicator for 2022S1.
async fn figure(store: &Store, unit: &str, indicator: &str) -> Option<Value> {
    ok(store.subtree_values(&code(unit), S1).await)
        .into_iter()
        .find(|v| v.unit.as_str() == unit && v.indicator.as_str() == indicator && v.period == S1)
        .map(|v| v.value)
}

/// A file that changes three figures of Tây Hồ (lines 2–4) and, on line 5, Hà Đông's
/// accepted 1.020 funerals into 999.999 — the attack of the review.
const OVER_ACCEPTED: &str = "unit,indicator,period,value
HN-TAYHO,TANG_SO_DAM,2022S1,381
HN-TAYHO,TANG_HOA_TANG,2022S1,376
HN-TAYHO,HV_TUYEN_TRUYEN,2022S1,101
HN-HADONG,TANG_SO_DAM,2022S1,\"999.999\"
";

/// A second connection to the test's database, for the attacks.
async fn raw(db: &TestDatabase) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    ok(sqlx::AnyPool::connect(&db.url_text.replace("sqlite://", "sqlite:"))
        .await
        .map_err(StoreError::from))
}

async fn sql(pool: &sqlx::AnyPool, statement: &str) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(sqlx::AssertSqlSafe(statement.to_owned()))
        .execute(pool)
        .await
        .map(|_| ())
}

/// Lets the attacker change rows: SQLite cannot stop DROP TRIGGER; on PostgreSQL the
/// table's owner (or a superuser) can disable its triggers.
async fn drop_append_only_triggers(backend: Backend, pool: &sqlx::AnyPool) {
    let statement = match backend {
        Backend::Sqlite => "DROP TRIGGER audit_event_no_update; DROP TRIGGER audit_event_no_delete;",
        Backend::Postgres => "ALTER TABLE audit_event DISABLE TRIGGER USER",
    };
    ok(sql(pool, statement).await.map_err(StoreError::from));
}

async fn an_import_over_an_accepted_figure_is_refused_and_writes_nothing(backend: Backend) {
    let Some((_db, store)) = demo(backend).await else {
        return;
    };
    accept_hadong(&store).await;
    let before = ok(store.verify_audit().await).events;

    let err = store.import_values_csv(OVER_ACCEPTED).await.err();

    let message = err.as_ref().map(ToString::to_string).unwrap_or_default();
    assert!(
        message.contains(
            "dòng 5: số liệu của HN-HADONG kỳ 2022S1 đã được duyệt; chỉ cấp trên ghi đè được, với --overwrite-accepted"
        ),
        "{message}"
    );
    assert!(
        matches!(err, Some(StoreError::Rejected(ref rows)) if rows.len() == 1),
        "{err:?}"
    );
    assert_eq!(
        figure(&store, "HN-HADONG", "TANG_SO_DAM").await,
        Some(Value::Whole(1020))
    );
    assert_eq!(
        figure(&store, "HN-TAYHO", "TANG_SO_DAM").await,
        Some(Value::Whole(380)),
        "all or nothing: the good lines were not written either"
    );
    let after = ok(store.verify_audit().await);
    assert_eq!(after.events, before, "no audit row for a refused import");
    assert!(after.is_intact(), "{after}");
}

async fn an_import_over_a_form_locked_by_its_window_is_refused(backend: Backend) {
    let Some((_db, store)) = demo(backend).await else {
        return;
    };
    // Tây Hồ started its 2022S1 form (a draft) but never submitted it; the period's
    // window closed long ago, so its figures are locked.
    let officer = user(&store, "tayho", Role::Officer, Some("HN-TAYHO")).await;
    ok(store
        .save_submission(
            &Actor::from(&officer),
            &code("HN-TAYHO"),
            S1,
            Action::Save,
            ENTER,
            form(0, &[("TANG_SO_DAM", 380)]),
        )
        .await);

    let err = store.import_values_csv(OVER_ACCEPTED).await.err();

    let message = err.as_ref().map(ToString::to_string).unwrap_or_default();
    for line in 2..=4 {
        assert!(
            message.contains(&format!(
                "dòng {line}: số liệu của HN-TAYHO kỳ 2022S1 đã khóa (hết kỳ nhập liệu); chỉ cấp trên ghi đè được"
            )),
            "{message}"
        );
    }
    assert_eq!(figure(&store, "HN-TAYHO", "TANG_SO_DAM").await, Some(Value::Whole(380)));
}

async fn an_upper_level_overwrite_of_an_accepted_figure_is_written_with_its_audit_rows(backend: Backend) {
    let Some((_db, store)) = demo(backend).await else {
        return;
    };
    accept_hadong(&store).await;
    user(&store, "thanhpho", Role::Upper, Some("HN")).await;

    ok(store
        .import_values_csv_as(
            OVER_ACCEPTED,
            &ValuesImport {
                by: Some("thanhpho".into()),
                overwrite_accepted: true,
            },
        )
        .await);

    assert_eq!(
        figure(&store, "HN-HADONG", "TANG_SO_DAM").await,
        Some(Value::Whole(999_999))
    );
    let history = ok(store.cell_history(&code("HN-HADONG"), S1, &code("TANG_SO_DAM")).await);
    let last = history.last().expect("no history");
    assert_eq!(
        (
            last.actor.as_str(),
            last.action.as_str(),
            last.old_value.as_deref(),
            last.new_value.as_deref()
        ),
        ("thanhpho", "import-overwrite", Some("1020"), Some("999999"))
    );
    assert!(
        last.reason
            .as_deref()
            .is_some_and(|r| r.contains("ghi đè số liệu đã duyệt")),
        "{last:?}"
    );
    let tayho = ok(store.cell_history(&code("HN-TAYHO"), S1, &code("TANG_SO_DAM")).await);
    let last = tayho.last().expect("no history");
    assert_eq!(
        (
            last.actor.as_str(),
            last.action.as_str(),
            last.old_value.as_deref(),
            last.new_value.as_deref()
        ),
        ("thanhpho", "import", Some("380"), Some("381")),
        "a figure that was not settled is an ordinary import, by the same account"
    );
    let report = ok(store.verify_audit().await);
    assert!(report.is_intact(), "{report}");
}

async fn an_overwrite_is_refused_to_an_officer_and_to_an_upper_level_of_another_subtree(backend: Backend) {
    let Some((_db, store)) = demo(backend).await else {
        return;
    };
    accept_hadong(&store).await;
    user(&store, "tayho-tren", Role::Upper, Some("HN-TAYHO")).await;
    let as_account = |by: &str| ValuesImport {
        by: Some(by.into()),
        overwrite_accepted: true,
    };

    let officer = store.import_values_csv_as(OVER_ACCEPTED, &as_account("hadong")).await;
    let elsewhere = store
        .import_values_csv_as(OVER_ACCEPTED, &as_account("tayho-tren"))
        .await;
    let nobody = store.import_values_csv_as(OVER_ACCEPTED, &as_account("khong-co")).await;
    let no_account = store
        .import_values_csv_as(
            OVER_ACCEPTED,
            &ValuesImport {
                by: None,
                overwrite_accepted: true,
            },
        )
        .await;

    assert!(
        matches!(officer, Err(StoreError::Domain(thidua_core::Error::NotAllowed(_)))),
        "{officer:?}"
    );
    let message = elsewhere.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        message.contains("dòng 5: tài khoản «tayho-tren» không phải cấp trên của HN-HADONG"),
        "{message}"
    );
    assert!(matches!(nobody, Err(StoreError::NotFound { .. })), "{nobody:?}");
    assert!(no_account.is_err(), "the flag needs an account");
    assert_eq!(
        figure(&store, "HN-HADONG", "TANG_SO_DAM").await,
        Some(Value::Whole(1020))
    );
}

async fn every_imported_form_and_every_replaced_figure_leave_an_audit_row(backend: Backend) {
    let Some((_db, store)) = demo(backend).await else {
        return;
    };
    let values = thidua_store::DEMO_FILES[4].1;
    let forms: std::collections::BTreeSet<(&str, &str)> = values
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut fields = l.split(',');
            Some((fields.next()?, fields.nth(1)?))
        })
        .collect();
    let hadong_values = values
        .lines()
        .filter(|l| l.starts_with("HN-HADONG,") && l.contains(",2022S1,"))
        .count();
    let after_demo = ok(store.verify_audit().await);
    let history = ok(store.cell_history(&code("HN-HADONG"), S1, &code("TANG_SO_DAM")).await);
    assert_eq!(
        history
            .iter()
            .map(|e| (
                e.actor.as_str(),
                e.action.as_str(),
                e.old_value.as_deref(),
                e.new_value.clone()
            ))
            .collect::<Vec<_>>(),
        [("import", "import", None, Some(hadong_values.to_string()))],
        "the figures new to the database are recorded once for the form"
    );
    assert!(
        history[0]
            .reason
            .as_deref()
            .is_some_and(|r| r.starts_with(&format!("{hadong_values} giá trị mới từ tệp"))),
        "{history:?}"
    );
    assert!(after_demo.events >= forms.len() as u64, "{after_demo}");

    // The same file again changes nothing, so it writes no row; one changed value, one row.
    ok(store.import_values_csv(values).await);
    assert_eq!(ok(store.verify_audit().await).events, after_demo.events);
    ok(store
        .import_values_csv("unit,indicator,period,value\nHN-TAYHO,TANG_SO_DAM,2022S1,390\n")
        .await);

    let report = ok(store.verify_audit().await);
    assert_eq!(report.events, after_demo.events + 1);
    assert!(report.is_intact(), "{report}");
    let tayho = ok(store.cell_history(&code("HN-TAYHO"), S1, &code("TANG_SO_DAM")).await);
    let last = tayho.last().expect("no history");
    assert_eq!(
        (last.old_value.as_deref(), last.new_value.as_deref()),
        (Some("380"), Some("390"))
    );
}

/// The place in the chain of the import row of Hà Đông's form for 2022S1.
async fn seq_of_hadong_funerals(pool: &sqlx::AnyPool) -> i64 {
    ok(sqlx::query_scalar::<_, i64>(
        "SELECT seq FROM audit_event WHERE unit_code = 'HN-HADONG' AND period = '2022S1' AND indicator IS NULL AND action = 'import'",
    )
    .fetch_one(pool)
    .await
    .map_err(StoreError::from))
}

async fn an_edited_audit_row_is_reported_by_verify(backend: Backend) {
    let Some((db, store)) = demo(backend).await else { return };
    let pool = raw(&db).await;
    let seq = seq_of_hadong_funerals(&pool).await;
    assert!(
        sql(&pool, "UPDATE audit_event SET new_value = '999999'").await.is_err(),
        "the trigger refuses it first"
    );
    drop_append_only_triggers(backend, &pool).await;

    ok(sql(
        &pool,
        &format!("UPDATE audit_event SET new_value = '999999' WHERE seq = {seq}"),
    )
    .await
    .map_err(StoreError::from));
    let report = ok(store.verify_audit().await);

    assert!(!report.is_intact());
    assert_eq!(
        report.problems,
        [AuditProblem::Edited {
            seq,
            cell: "import — HN-HADONG, kỳ 2022S1".into()
        }],
        "{report}"
    );
    assert!(
        report
            .to_string()
            .contains(&format!("sự kiện số {seq} (import — HN-HADONG")),
        "{report}"
    );
}

async fn a_deleted_audit_row_is_reported(backend: Backend) {
    let Some((db, store)) = demo(backend).await else { return };
    let pool = raw(&db).await;
    drop_append_only_triggers(backend, &pool).await;

    ok(sql(&pool, "DELETE FROM audit_event WHERE seq = 5")
        .await
        .map_err(StoreError::from));
    let report = ok(store.verify_audit().await);

    assert_eq!(report.problems, [AuditProblem::Deleted { from: 5, to: 5 }], "{report}");
    assert!(report.to_string().contains("sự kiện số 5 đã bị xóa"), "{report}");
}

async fn an_emptied_trail_is_reported(backend: Backend) {
    let Some((db, store)) = demo(backend).await else { return };
    let before = ok(store.verify_audit().await).events as i64;
    let pool = raw(&db).await;
    match backend {
        Backend::Sqlite => {
            ok(
                sql(&pool, "DROP TRIGGER audit_event_no_delete; DELETE FROM audit_event")
                    .await
                    .map_err(StoreError::from),
            );
        }
        Backend::Postgres => {
            let refused = sql(&pool, "TRUNCATE audit_event").await;
            assert!(
                refused.as_ref().is_err_and(|e| e.to_string().contains("append-only")),
                "{refused:?}"
            );
            assert!(sql(&pool, "TRUNCATE audit_head").await.is_err());
            // A superuser can drop the trigger; then TRUNCATE goes through.
            ok(sql(
                &pool,
                "DROP TRIGGER audit_event_no_truncate ON audit_event; TRUNCATE audit_event",
            )
            .await
            .map_err(StoreError::from));
        }
    }

    let report = ok(store.verify_audit().await);

    assert_eq!(report.events, 0);
    assert_eq!(report.problems, [AuditProblem::Emptied { head: before }], "{report}");
    assert!(report.to_string().contains("nhật ký đã bị xóa sạch"), "{report}");
    // The trail does not grow back over the hole: later changes still show it.
    ok(store
        .import_values_csv("unit,indicator,period,value\nHN-TAYHO,TANG_SO_DAM,2022S1,390\n")
        .await);
    let later = ok(store.verify_audit().await);
    assert_eq!(
        later.problems,
        [AuditProblem::Deleted { from: 1, to: before }],
        "{later}"
    );
}

async fn a_cut_tail_is_reported_even_with_the_head_moved_back_to_the_last_row_left(backend: Backend) {
    let Some((db, store)) = demo(backend).await else { return };
    let head = ok(store.verify_audit().await).events as i64;
    let pool = raw(&db).await;
    drop_append_only_triggers(backend, &pool).await;

    ok(sql(&pool, &format!("DELETE FROM audit_event WHERE seq > {}", head - 3))
        .await
        .map_err(StoreError::from));
    let cut = ok(store.verify_audit().await);
    // The attacker then points the head at the last row left, copying its MAC.
    let head_trigger = match backend {
        Backend::Sqlite => "DROP TRIGGER audit_head_forward_only",
        Backend::Postgres => "ALTER TABLE audit_head DISABLE TRIGGER USER",
    };
    ok(sql(&pool, head_trigger).await.map_err(StoreError::from));
    ok(sql(
        &pool,
        &format!(
            "UPDATE audit_head SET seq = {last}, mac = (SELECT mac FROM audit_event WHERE seq = {last})",
            last = head - 3
        ),
    )
    .await
    .map_err(StoreError::from));
    let moved = ok(store.verify_audit().await);

    assert_eq!(
        cut.problems,
        [AuditProblem::Truncated { last: head - 3, head }],
        "{cut}"
    );
    assert_eq!(moved.problems, [AuditProblem::HeadForged], "{moved}");
    assert!(
        store
            .import_values_csv("unit,indicator,period,value\nHN-TAYHO,TANG_SO_DAM,2022S1,390\n")
            .await
            .is_err(),
        "nothing is chained onto a forged head, which would hide the cut"
    );
}

async fn a_deleted_head_is_reported_and_nothing_more_is_chained(backend: Backend) {
    let Some((db, store)) = demo(backend).await else { return };
    let pool = raw(&db).await;
    assert!(
        sql(&pool, "DELETE FROM audit_head").await.is_err(),
        "the trigger refuses it first"
    );
    let unlock = match backend {
        Backend::Sqlite => "DROP TRIGGER audit_head_no_delete",
        Backend::Postgres => "ALTER TABLE audit_head DISABLE TRIGGER USER",
    };
    ok(sql(&pool, unlock).await.map_err(StoreError::from));

    ok(sql(&pool, "DELETE FROM audit_head").await.map_err(StoreError::from));
    let report = ok(store.verify_audit().await);
    let write = store
        .import_values_csv("unit,indicator,period,value\nHN-TAYHO,TANG_SO_DAM,2022S1,390\n")
        .await;

    assert_eq!(report.problems, [AuditProblem::HeadMissing], "{report}");
    assert!(
        write.is_err(),
        "an audited change is refused rather than written unchained"
    );
    assert_eq!(figure(&store, "HN-TAYHO", "TANG_SO_DAM").await, Some(Value::Whole(380)));
}

async fn a_row_written_around_the_application_is_reported(backend: Backend) {
    let Some((db, store)) = demo(backend).await else { return };
    let pool = raw(&db).await;

    ok(sql(
        &pool,
        "INSERT INTO audit_event (at, actor, action, unit_code, period, indicator, old_value, new_value)
         VALUES ('2022-07-20T08:00:00+07:00', 'hadong', 'value', 'HN-HADONG', '2022S1', 'TANG_SO_DAM', '1020', '999999')",
    )
    .await
    .map_err(StoreError::from));
    let report = ok(store.verify_audit().await);

    assert!(
        matches!(report.problems.as_slice(), [AuditProblem::Unsealed { cell, .. }] if cell.contains("HN-HADONG")),
        "{report}"
    );
}

async fn a_trail_left_alone_verifies(backend: Backend) {
    let Some((db, store)) = demo(backend).await else { return };
    // Form changes, an acceptance, emulation records (the demo's criteria), imports,
    // and several units saving at the same moment.
    accept_hadong(&store).await;
    let mut officers = Vec::new();
    for unit in ["HN-TAYHO", "HN-CAUGIAY", "HN-THANHXUAN", "HN-BACTULIEM"] {
        officers.push((
            user(&store, &unit.to_lowercase(), Role::Officer, Some(unit)).await,
            unit,
        ));
    }
    let saves = officers.iter().map(|(officer, unit)| {
        let (store, officer) = (store.clone(), officer.clone());
        let unit: UnitCode = code(unit);
        async move {
            store
                .save_submission(
                    &Actor::from(&officer),
                    &unit,
                    S1,
                    Action::Save,
                    ENTER,
                    form(0, &[("TANG_SO_DAM", 7), ("HV_TUYEN_TRUYEN", 8)]),
                )
                .await
        }
    });
    for saved in futures_join_all(saves).await {
        ok(saved);
    }

    let report = ok(store.verify_audit().await);
    store.close().await;
    let reopened = ok(db.store().await.verify_audit().await);

    assert!(report.is_intact(), "{report}");
    assert!(report.events > 15, "{report}");
    assert_eq!(
        report.summary(),
        format!("Nhật ký thay đổi: nguyên vẹn, {} sự kiện", report.events)
    );
    assert_eq!(
        reopened, report,
        "a new connection neither reseals nor changes anything"
    );
}

/// Runs the futures at once on the test's runtime.
async fn futures_join_all<F: std::future::Future + Send + 'static>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for handle in handles {
        out.push(handle.await.unwrap());
    }
    out
}

async fn rows_written_before_the_chain_are_sealed_once_and_a_reset_head_is_not_resealed(backend: Backend) {
    let Some(db) = TestDatabase::new(backend).await else {
        return;
    };
    let store = db.store().await;
    let pool = raw(&db).await;
    // As a database migrated to 0009 with rows from before: rows without a place in the
    // chain, and the genesis head the migration writes.
    ok(sql(
        &pool,
        "INSERT INTO audit_event (at, actor, action, unit_code, period, indicator, old_value, new_value)
         VALUES ('2022-07-20T08:00:00+07:00', 'hadong', 'value', 'HN-HADONG', '2022S1', 'TANG_SO_DAM', NULL, '1020');
         INSERT INTO audit_event (at, actor, action, subject) VALUES ('2022-07-21T08:00:00+07:00', 'demo', 'criteria-save', 'criteria:district/2022');
         UPDATE audit_head SET mac = '', seal = '', started_at = NULL, key_id = NULL",
    )
    .await
    .map_err(StoreError::from));
    store.close().await;

    let store = db.store().await;
    let sealed = ok(store.verify_audit().await);
    store.close().await;
    let pool_again = raw(&db).await;
    ok(sql(&pool_again, "UPDATE audit_head SET mac = '', seal = ''")
        .await
        .map_err(StoreError::from));
    let store = db.store().await;
    let reset = ok(store.verify_audit().await);

    assert!(sealed.is_intact(), "{sealed}");
    assert_eq!(sealed.events, 2);
    assert_eq!(
        reset.problems,
        [AuditProblem::HeadUnsealed],
        "a head reset by hand over a sealed trail is reported, not resealed: {reset}"
    );
    drop(pool);
}

/// `serve --demo` loads the demo at every start: a figure its users changed and accepted
/// through the workflow neither stops the start (an import may not overwrite it) nor is
/// undone by it.
async fn the_demo_loads_again_over_figures_its_users_changed_and_accepted(backend: Backend) {
    let Some((_db, store)) = demo(backend).await else {
        return;
    };
    let officer = user(&store, "hadong", Role::Officer, Some("HN-HADONG")).await;
    let unit: UnitCode = code("HN-HADONG");
    ok(store
        .save_submission(
            &Actor::from(&officer),
            &unit,
            S1,
            Action::Submit,
            ENTER,
            form(0, &[("TANG_SO_DAM", 1021)]),
        )
        .await);
    // The chair's own unit is reviewed by the upper level.
    let upper = user(&store, "thanhpho", Role::Upper, Some("HN")).await;
    ok(store
        .decide_submission(
            &Actor::from(&upper),
            &unit,
            S1,
            Decision {
                action: Action::Accept,
                situation: REVIEW,
                version: 1,
                reason: None,
            },
        )
        .await);
    assert_eq!(
        figure(&store, "HN-HADONG", "TANG_SO_DAM").await,
        Some(Value::Whole(1021))
    );

    ok(store.load_demo().await);
    assert_eq!(
        figure(&store, "HN-HADONG", "TANG_SO_DAM").await,
        Some(Value::Whole(1021)),
        "the accepted figure stays"
    );
}
