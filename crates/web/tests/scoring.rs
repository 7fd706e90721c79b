//! The year's emulation in the browser, through HTTP on both backends: the criteria page
//! and its import, the pledge and its printing, the three steps of scoring with evidence,
//! the side-by-side comparison and the ranking — and who may do each.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::TestApp;
use thidua_core::UnitCode;
use thidua_core::emulation::scoring::ScoreStep;
use thidua_store::{Actor, Backend};

common::on_both_backends!(
    the_criteria_page_shows_the_tree_the_rules_the_scale_and_the_versions,
    the_upper_level_imports_a_criteria_file_and_reads_the_store_s_message,
    an_officer_cannot_import_criteria,
    a_bad_criteria_file_is_refused_in_vietnamese_naming_its_line_and_nothing_is_written,
    last_year_s_criteria_are_copied_to_the_new_year_by_the_upper_level,
);

fn unit(c: &str) -> UnitCode {
    UnitCode::parse(c).unwrap_or_else(|e| panic!("{e}"))
}

/// A multipart body: the anti-forgery token of `who`, the text fields, and optionally one
/// file as `file`.
fn multipart(app: &TestApp, who: &str, fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "thidua-scoring-boundary";
    let mut body = Vec::new();
    let csrf = app.csrf(who);
    let mut all: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    for (name, value) in all {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    if let Some((filename, bytes)) = file {
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend(bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn post_multipart(
    app: &TestApp,
    who: &str,
    uri: &str,
    fields: &[(&str, &str)],
    file: Option<(&str, &[u8])>,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let (content_type, body) = multipart(app, who, fields, file);
    let request = Request::post(uri)
        .header(header::COOKIE, app.cookie(Some(who)))
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .unwrap_or_else(|e| panic!("{e}"));
    app.send(request).await
}

/// The demo's 2022 criteria with the scale and a group's wording changed.
fn edited_criteria() -> String {
    thidua_store::DEMO_CRITERIA.replace(
        "name = \"Công tác tuyên truyền, đoàn kết, tập hợp các tầng lớp Nhân dân\"",
        "name = \"Công tác tuyên truyền, vận động Nhân dân\"",
    )
}

// ------------------------------------------------------------------------- criteria

async fn the_criteria_page_shows_the_tree_the_rules_the_scale_and_the_versions(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };

    let (status, _, page) = app.get_as(Some("hadong"), "/clusters/HN-CUM2/criteria?year=2022").await;

    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Công tác tuyên truyền, đoàn kết, tập hợp các tầng lớp Nhân dân"));
    assert!(
        page.contains("Chấm thủ công") && page.contains("Tự động"),
        "manual and computed items"
    );
    assert!(
        page.contains("Chỉ tiêu: 95") && page.contains("từ 80"),
        "the cremation item's target and floor in words: {page}"
    );
    assert!(
        page.contains("Chỉ tiêu: 200.000.000") && page.contains("theo bậc"),
        "a stepped money item: {page}"
    );
    assert!(page.contains("Thang điểm: 100 điểm") && page.contains("Điểm thưởng tính tối đa 5 điểm"));
    assert!(page.contains("Điểm trừ"));
    assert!(
        page.contains("Đang áp dụng"),
        "the version list says which one is in use"
    );
    assert!(
        !page.contains("Nhập bảng tiêu chí"),
        "an officer is not offered the import"
    );
    assert!(
        page.contains("href=\"/clusters/HN-CUM2/emulation?year=2022\""),
        "breadcrumb to the hub"
    );
}

async fn the_upper_level_imports_a_criteria_file_and_reads_the_store_s_message(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let (_, _, page) = app
        .get_as(Some("thanhpho"), "/clusters/HN-CUM2/criteria?year=2022")
        .await;
    assert!(
        page.contains("Nhập bảng tiêu chí"),
        "the upper level is offered the import"
    );
    let file = edited_criteria();

    // No sheet uses version 1 yet: it is edited in place.
    let (status, _, page) = post_multipart(
        &app,
        "thanhpho",
        "/clusters/HN-CUM2/criteria?year=2022",
        &[],
        Some(("tieu-chi-2022.toml", file.as_bytes())),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("chưa có bảng điểm nào chấm theo phiên bản này"), "{page}");
    assert!(page.contains("Công tác tuyên truyền, vận động Nhân dân"));

    // Once a sheet is scored on it, importing again makes version 2 and says so.
    let hadong = app.state.store.user("hadong").await.unwrap_or_else(|e| panic!("{e}"));
    app.state
        .store
        .save_score_sheet(
            &Actor::from(&hadong.principal()),
            &unit("HN-HADONG"),
            2022,
            1,
            ScoreStep::SelfScore,
            thidua_store::SheetInput::default(),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (status, _, page) = post_multipart(
        &app,
        "thanhpho",
        "/clusters/HN-CUM2/criteria?year=2022",
        &[],
        Some(("tieu-chi-2022.toml", thidua_store::DEMO_CRITERIA.as_bytes())),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("đã tạo phiên bản 2"), "{page}");
    let versions = app
        .state
        .store
        .criteria_versions("district", 2022)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(versions.len(), 2);
    let (_, _, old) = app
        .get_as(Some("thanhpho"), "/clusters/HN-CUM2/criteria?year=2022&version=1")
        .await;
    assert!(old.contains("phiên bản cũ") && old.contains("Công tác tuyên truyền, vận động Nhân dân"));
}

async fn an_officer_cannot_import_criteria(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let file = edited_criteria();

    for who in ["hadong", "cumtruong"] {
        let (status, _, _) = post_multipart(
            &app,
            who,
            "/clusters/HN-CUM2/criteria?year=2022",
            &[],
            Some(("tieu-chi-2022.toml", file.as_bytes())),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}");
    }
    let (status, _, _) = app
        .post_as(Some("hadong"), "/clusters/HN-CUM2/criteria/copy?year=2022", &[])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = post_multipart(
        &app,
        "thanhpho",
        "/clusters/HN-CUM2/criteria?year=2022",
        &[("csrf", "forged")],
        Some(("tieu-chi-2022.toml", file.as_bytes())),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a forged token is refused even for the upper level"
    );
    let stored = app
        .state
        .store
        .criteria("district", 2022)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        stored.set.groups()[0].name,
        "Công tác tuyên truyền, đoàn kết, tập hợp các tầng lớp Nhân dân",
        "nothing was written"
    );
}

async fn a_bad_criteria_file_is_refused_in_vietnamese_naming_its_line_and_nothing_is_written(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let wrong_type = edited_criteria().replace("scale = 100", "scale = \"một trăm\"");
    let wrong_line = wrong_type
        .lines()
        .position(|l| l.starts_with("scale ="))
        .map_or(0, |i| i + 1);

    let (status, _, page) = post_multipart(
        &app,
        "thanhpho",
        "/clusters/HN-CUM2/criteria?year=2022",
        &[],
        Some(("sai.toml", wrong_type.as_bytes())),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains(&format!(
            "Tệp bảng tiêu chí chưa đúng ở dòng {wrong_line}, cột 9: sai kiểu giá trị: cần một số"
        )),
        "{page}"
    );

    let over_max = edited_criteria().replace("code = \"I.1\"", "code = \"I.2\"");
    let (status, _, page) = post_multipart(
        &app,
        "thanhpho",
        "/clusters/HN-CUM2/criteria?year=2022",
        &[],
        Some(("trung-ma.toml", over_max.as_bytes())),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("tiêu chí I.2: mã này được dùng hai lần trong bảng"),
        "{page}"
    );

    let next_year = edited_criteria().replace("year = 2022", "year = 2023");
    let (status, _, page) = post_multipart(
        &app,
        "thanhpho",
        "/clusters/HN-CUM2/criteria?year=2022",
        &[],
        Some(("2023.toml", next_year.as_bytes())),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Tệp là bảng tiêu chí cấp district năm 2023"), "{page}");

    let stored = app
        .state
        .store
        .criteria("district", 2022)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        stored.set.groups()[0].name,
        "Công tác tuyên truyền, đoàn kết, tập hợp các tầng lớp Nhân dân",
        "nothing was written"
    );
    assert!(
        app.state
            .store
            .criteria_versions("district", 2023)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .is_empty()
    );
}

async fn last_year_s_criteria_are_copied_to_the_new_year_by_the_upper_level(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    // The demo constitutes Cụm 2 for the current year; last year's criteria come from 2022's.
    let year = common::current_half().year();
    app.state
        .store
        .copy_criteria(&Actor::system("test"), "district", 2022, year - 1)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let uri = format!("/clusters/HN-CUM2/criteria?year={year}");
    let (_, _, page) = app.get_as(Some("thanhpho"), &uri).await;
    assert!(
        page.contains(&format!("Chưa có bảng tiêu chí thi đua cấp district năm {year}")),
        "{page}"
    );
    assert!(page.contains(&format!("Sao chép bảng tiêu chí năm {} sang năm {year}", year - 1)));

    let (status, _, page) = app
        .post_as(
            Some("thanhpho"),
            &format!("/clusters/HN-CUM2/criteria/copy?year={year}"),
            &[],
        )
        .await;

    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains(&format!("Đã sao chép bảng tiêu chí năm {} sang năm {year}", year - 1)));
    assert!(page.contains(&format!("năm {year}")) && page.contains("Đang áp dụng"));
    let (status, _, _) = app
        .post_as(
            Some("thanhpho"),
            &format!("/clusters/HN-CUM2/criteria/copy?year={year}"),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "a year with criteria is not copied over");
}
