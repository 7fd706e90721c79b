//! The secret ballot's attacks of issue 9 through HTTP: a paper marked with a made-up
//! code, the papers changed in the database after the count (the four-way tie that an
//! UPDATE turned into "Hà Đông 4 (100 %) Trúng"), a paper deleted or added — each shown
//! on the ballot's page as a broken seal, with no count, no record and no proposal — on
//! SQLite and PostgreSQL.

use crate::common;

use axum::http::{StatusCode, header};
use common::TestApp;
use thidua_store::Backend;

common::on_both_backends!(
    a_paper_naming_a_unit_that_is_not_a_candidate_is_refused_and_nothing_is_stored,
    a_sealed_ballot_shows_its_seal_and_its_record_downloads,
    a_four_way_tie_changed_into_a_landslide_after_closing_is_shown_as_a_broken_seal,
    a_paper_changed_after_closing_is_detected_by_verify_and_on_the_page,
);

const OFFICERS: [&str; 6] = ["hadong", "thanhxuan", "caugiay", "tayho", "bactuliem", "namtuliem"];

/// Opens a ballot with the one question "leading unit", won by the most votes; returns
/// its path.
async fn open_leading_unit_ballot(app: &TestApp) -> String {
    let (status, headers, body) = app
        .post_as(
            Some("cumtruong"),
            "/clusters/HN-CUM2/ballots",
            &[
                ("year", "2022"),
                ("title", "Phiếu suy tôn đơn vị dẫn đầu năm 2022"),
                ("leading", "1"),
                ("leading_t", "nhieu-nhat"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// `who` votes for `unit` (blank when empty, knowingly).
async fn vote(app: &TestApp, who: &str, ballot: &str, unit: &str) -> (StatusCode, String) {
    let mut fields = vec![("confirm", "1")];
    if !unit.is_empty() {
        fields.push(("q0", unit));
    }
    let (status, _, body) = app.post_as(Some(who), &format!("{ballot}/vote"), &fields).await;
    (status, body)
}

async fn close(app: &TestApp, ballot: &str) {
    let (status, _, body) = app.post_as(Some("cumtruong"), &format!("{ballot}/close"), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
}

fn ballot_id(path: &str) -> i64 {
    path.trim_start_matches("/ballots/")
        .parse()
        .unwrap_or_else(|e| panic!("{e}: {path}"))
}

/// Runs `statement` on the application's database directly, as its administrator could.
async fn tamper(app: &TestApp, statement: String) {
    sqlx::any::install_default_drivers();
    let url = app.database().url_text.replace("sqlite://", "sqlite:");
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(statement))
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
}

async fn a_paper_naming_a_unit_that_is_not_a_candidate_is_refused_and_nothing_is_stored(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let ballot = open_leading_unit_ballot(&app).await;

    let (marked, body) = vote(&app, "tayho", &ballot, "HN-ZZZ-MARK123").await;
    let (_, _, page) = app.get_as(Some("tayho"), &ballot).await;
    let (valid, _) = vote(&app, "tayho", &ballot, "HN-TAYHO").await;

    assert_eq!(marked, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body.contains("đơn vị «HN-ZZZ-MARK123» không có trong danh sách của câu hỏi"),
        "{body}"
    );
    assert!(
        page.contains("Đơn vị đã bỏ phiếu: 0/6"),
        "the refused paper was not cast: {page}"
    );
    assert_eq!(valid, StatusCode::SEE_OTHER, "the unit still has its one paper");
}

async fn a_sealed_ballot_shows_its_seal_and_its_record_downloads(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let ballot = open_leading_unit_ballot(&app).await;
    for who in OFFICERS {
        vote(&app, who, &ballot, "HN-HADONG").await;
    }
    let (_, _, open_page) = app.get_as(Some("cumtruong"), &ballot).await;
    close(&app, &ballot).await;

    let seal = app
        .state
        .store
        .ballot(ballot_id(&ballot))
        .await
        .unwrap()
        .seal
        .unwrap_or_default();
    let (_, _, page) = app.get_as(Some("caugiay"), &ballot).await;
    let (docx, _, _) = app.get_as(Some("caugiay"), &format!("{ballot}/record.docx")).await;
    let (pdf, _, _) = app.get_as(Some("caugiay"), &format!("{ballot}/record.pdf")).await;

    assert!(!open_page.contains("Mã niêm phong"), "no seal while open");
    assert_eq!(seal.len(), 19, "{seal}");
    assert!(
        page.contains(&format!("Mã niêm phong: <strong>{seal}</strong>")),
        "{page}"
    );
    assert!(!page.contains("Niêm phong không khớp"));
    assert!(page.contains("Kết quả kiểm phiếu"));
    assert_eq!((docx, pdf), (StatusCode::OK, StatusCode::OK));
}

async fn a_four_way_tie_changed_into_a_landslide_after_closing_is_shown_as_a_broken_seal(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let ballot = open_leading_unit_ballot(&app).await;
    // Four valid papers for four units, two blank ones: a four-way tie.
    for (who, unit) in OFFICERS
        .iter()
        .zip(["HN-HADONG", "HN-THANHXUAN", "HN-CAUGIAY", "HN-TAYHO", "", ""])
    {
        let (status, body) = vote(&app, who, &ballot, unit).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{who}: {body}");
    }
    close(&app, &ballot).await;
    let (_, _, tie) = app.get_as(Some("caugiay"), &ballot).await;

    tamper(
        &app,
        format!(
            r#"UPDATE ballot_counted_paper SET answers = '{{"1":["HN-HADONG"]}}' WHERE ballot_id = {} AND answers <> '{{"1":[]}}'"#,
            ballot_id(&ballot)
        ),
    )
    .await;
    let (status, _, page) = app.get_as(Some("caugiay"), &ballot).await;
    let (record, _, refused) = app.get_as(Some("caugiay"), &format!("{ballot}/record.pdf")).await;

    assert!(
        tie.contains("Bằng phiếu nhau: quận Hà Đông, quận Thanh Xuân, quận Cầu Giấy, quận Tây Hồ."),
        "{tie}"
    );
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Niêm phong không khớp: kết quả của cuộc bỏ phiếu này không được công nhận."),
        "{page}"
    );
    assert!(page.contains("đã bị thay đổi sau khi niêm phong"), "{page}");
    assert!(
        !page.contains("<td>100%</td>") && !page.contains("Trúng") && !page.contains("Kết quả kiểm phiếu"),
        "the landslide is not shown as a count: {page}"
    );
    assert!(!page.contains("record.pdf"), "no record offered");
    assert_eq!(record, StatusCode::CONFLICT, "no record of changed papers: {refused}");
    assert!(refused.contains("không được công nhận"), "{refused}");
}

async fn a_paper_changed_after_closing_is_detected_by_verify_and_on_the_page(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let deleted = open_leading_unit_ballot(&app).await;
    let added = open_leading_unit_ballot(&app).await;
    for who in OFFICERS {
        vote(&app, who, &deleted, "HN-TAYHO").await;
        vote(&app, who, &added, "HN-TAYHO").await;
    }
    close(&app, &deleted).await;
    close(&app, &added).await;

    tamper(
        &app,
        format!(
            "DELETE FROM ballot_counted_paper WHERE ballot_id = {} AND position = 0",
            ballot_id(&deleted)
        ),
    )
    .await;
    tamper(
        &app,
        format!(
            r#"INSERT INTO ballot_counted_paper (ballot_id, position, answers) VALUES ({}, 6, '{{"1":["HN-HADONG"]}}')"#,
            ballot_id(&added)
        ),
    )
    .await;
    let (_, _, deleted_page) = app.get_as(Some("thanhpho"), &deleted).await;
    let (_, _, added_page) = app.get_as(Some("thanhpho"), &added).await;
    let verified = app.state.store.verify_ballot(ballot_id(&deleted)).await.unwrap();

    for (what, page) in [("deleted", &deleted_page), ("added", &added_page)] {
        assert!(page.contains("Niêm phong không khớp"), "{what}: {page}");
        assert!(!page.contains("Kết quả kiểm phiếu"), "{what}: no count");
        assert!(!page.contains("/awards/from-ballot"), "{what}: no proposal");
    }
    assert!(
        deleted_page.contains("có 5 lá phiếu nhưng 6 đơn vị đã bỏ phiếu"),
        "{deleted_page}"
    );
    assert!(
        added_page.contains("có 7 lá phiếu nhưng 6 đơn vị đã bỏ phiếu"),
        "{added_page}"
    );
    assert!(!verified.is_intact());
}
