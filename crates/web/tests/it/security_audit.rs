//! The audit trail's verdict on the admin's audit page (issue 9, item 6): intact on a database
//! left alone; once a row is deleted behind the application's back, the page says the
//! trail was tampered with and which row is gone.

use thidua_store::Backend;

use crate::common::TestApp;

thidua_store::on_both_backends!(
    the_admin_page_says_whether_the_audit_trail_is_intact,
    a_cell_s_history_names_the_import_that_wrote_it_in_vietnamese,
);

/// Runs `statements` on the application's database directly, as its administrator could.
async fn tamper(app: &TestApp, statements: &str) {
    sqlx::any::install_default_drivers();
    let url = app.database().url_text.replace("sqlite://", "sqlite:");
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(statements.to_owned()))
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
}

async fn the_admin_page_says_whether_the_audit_trail_is_intact(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let (_, _, before) = app.get_as(Some("admin"), "/admin/audit").await;

    tamper(
        &app,
        match backend {
            Backend::Sqlite => "DROP TRIGGER audit_event_no_delete; DELETE FROM audit_event WHERE seq = 2",
            Backend::Postgres => "ALTER TABLE audit_event DISABLE TRIGGER USER; DELETE FROM audit_event WHERE seq = 2",
        },
    )
    .await;
    let (_, _, after) = app.get_as(Some("admin"), "/admin/audit").await;

    assert!(before.contains("Nhật ký thay đổi: nguyên vẹn, "), "{before}");
    assert!(
        after.contains("Nhật ký thay đổi: BỊ CAN THIỆP") && after.contains("sự kiện số 2 đã bị xóa"),
        "{after}"
    );
}

/// The demo's figures arrive by import, which leaves one audit row per form naming the
/// file; the unit's officer reads it in the cell's history, in Vietnamese, beside the
/// figure the cell holds.
async fn a_cell_s_history_names_the_import_that_wrote_it_in_vietnamese(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let (status, _, page) = app
        .get_as(Some("hadong"), "/units/HN-HADONG/forms/2022S1/history/TANG_SO_DAM")
        .await;
    assert_eq!(status.as_u16(), 200, "{page}");
    assert!(page.contains("Nhập từ tệp (cả biểu)"), "{page}");
    assert!(page.contains("giá trị mới từ tệp"), "{page}");
    assert!(
        page.contains("Số liệu chính thức hiện nay: <strong>1.020</strong>"),
        "{page}"
    );
}
