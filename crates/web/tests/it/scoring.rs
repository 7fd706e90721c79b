//! The year's emulation in the browser, through HTTP on both backends: the criteria page
//! and its import, the pledge and its printing, the three steps of scoring with evidence,
//! the side-by-side comparison and the ranking — and who may do each.

use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::TestApp;
use thidua_core::UnitCode;
use thidua_core::emulation::Points;
use thidua_core::emulation::scoring::ScoreStep;
use thidua_store::{Actor, Backend};

common::on_both_backends!(
    the_criteria_page_shows_the_tree_the_rules_the_scale_and_the_versions,
    the_upper_level_imports_a_criteria_file_and_reads_the_store_s_message,
    an_officer_cannot_import_criteria,
    a_bad_criteria_file_is_refused_in_vietnamese_naming_its_line_and_nothing_is_written,
    last_year_s_criteria_are_copied_to_the_new_year_by_the_upper_level,
    an_officer_self_scores_tay_ho_with_a_decimal_and_an_evidence_file_and_reads_it_back,
    a_peer_or_an_outsider_cannot_open_or_post_another_unit_s_sheet,
    the_chair_gives_the_cluster_score_the_upper_level_adjusts_and_the_comparison_shows_all_three,
    the_ranking_orders_the_members_and_hides_self_scores_the_cluster_has_not_scored_from_peers,
    computed_items_are_filled_from_the_demo_figures_and_cannot_be_typed,
    a_stale_save_is_refused_with_409_and_keeps_what_was_typed,
    a_mark_above_its_maximum_or_not_a_number_names_its_line_and_nothing_is_saved,
    members_register_for_the_pledge_the_chair_signs_it_and_it_prints,
    a_bad_pledged_target_keeps_what_was_typed_and_names_the_indicator,
);

fn unit(c: &str) -> UnitCode {
    UnitCode::parse(c).unwrap()
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
        .unwrap();
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
    let hadong = app.state.store.user("hadong").await.unwrap();
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
        .unwrap();
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
    let versions = app.state.store.criteria_versions("district", 2022).await.unwrap();
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
    let stored = app.state.store.criteria("district", 2022).await.unwrap();
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

    let stored = app.state.store.criteria("district", 2022).await.unwrap();
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
            .unwrap()
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
        .unwrap();
    let uri = format!("/clusters/HN-CUM2/criteria?year={year}");
    let (_, _, page) = app.get_as(Some("thanhpho"), &uri).await;
    assert!(
        page.contains(&format!(
            "Chưa có bảng tiêu chí thi đua cấp quận, huyện, thị xã năm {year}"
        )),
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

// -------------------------------------------------------------------------- scoring

const TAYHO_SELF: &str = "/units/HN-TAYHO/scores/2022/self";

/// Every item scored by hand in the demo criteria, at its maximum (52 points).
const MANUAL_FULL: [(&str, &str); 11] = [
    ("p_I.1", "5"),
    ("p_I.2", "5"),
    ("p_I.3", "5"),
    ("p_II.1", "5"),
    ("p_II.3", "5"),
    ("p_III.3", "7"),
    ("p_IV.3", "2"),
    ("p_V.5", "8"),
    ("p_VI.1", "4"),
    ("p_VI.2", "3"),
    ("p_VI.3", "3"),
];

/// Saves a sheet as `who` with the sheet's version and these fields.
async fn score(app: &TestApp, who: &str, uri: &str, version: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
    let mut all = vec![("version", version), ("criteria_version", "1")];
    all.extend_from_slice(fields);
    let (status, _, body) = app.post_as(Some(who), uri, &all).await;
    (status, body)
}

/// The id in the first `/evidence/{id}` link of a page.
fn evidence_id(page: &str) -> String {
    page.split("href=\"/evidence/")
        .nth(1)
        .map(|rest| rest.chars().take_while(char::is_ascii_digit).collect())
        .unwrap_or_default()
}

fn points(x: f64) -> Option<Points> {
    Points::from_f64(x)
}

async fn stored_points(app: &TestApp, unit_code: &str, step: ScoreStep, item: &str) -> Option<Points> {
    let sheet = app
        .state
        .store
        .score_sheet(&unit(unit_code), 2022, 1, step)
        .await
        .unwrap();
    let code = thidua_core::emulation::criteria::CriterionCode::parse(item).unwrap();
    sheet.and_then(|s| s.card.get(&code).map(|m| m.points))
}

async fn an_officer_self_scores_tay_ho_with_a_decimal_and_an_evidence_file_and_reads_it_back(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };

    let (status, page) = score(
        &app,
        "tayho",
        TAYHO_SELF,
        "0",
        &[("p_I.1", "4,5"), ("n_I.1", "Kế hoạch số 12/KH-MTTQ ngày 10/1/2022")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Đã lưu bảng điểm (lần lưu thứ 1)"), "{page}");
    assert!(page.contains("value=\"4,5\"") && page.contains("Kế hoạch số 12/KH-MTTQ ngày 10/1/2022"));
    assert_eq!(
        stored_points(&app, "HN-TAYHO", ScoreStep::SelfScore, "I.1").await,
        points(4.5)
    );

    let pdf = "%PDF-1.4 kế hoạch tuyên truyền".as_bytes();
    let (status, headers, _) = post_multipart(
        &app,
        "tayho",
        &format!("{TAYHO_SELF}/evidence"),
        &[("code", "I.1")],
        Some(("Kế hoạch 12.pdf", pdf)),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{headers:?}");

    let (_, _, page) = app.get_as(Some("tayho"), TAYHO_SELF).await;
    assert!(page.contains("Kế hoạch 12.pdf"), "{page}");
    let id = evidence_id(&page);
    let (status, headers, body) = app.get_as(Some("tayho"), &format!("/evidence/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body.as_bytes(), pdf, "the file comes back byte for byte");
    let disposition = headers
        .get(header::CONTENT_DISPOSITION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(
        disposition.starts_with("attachment") && disposition.contains("UTF-8''K%E1%BA%BF"),
        "{disposition}"
    );
    let (status, _, _) = app.get_as(Some("cumtruong"), &format!("/evidence/{id}")).await;
    assert_eq!(status, StatusCode::OK, "the chair reads the evidence");
    for who in ["caugiay", "khac"] {
        let (status, _, _) = app.get_as(Some(who), &format!("/evidence/{id}")).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who} may not read Tây Hồ's evidence");
    }

    let (status, _, _) = app
        .post_as(Some("caugiay"), &format!("/evidence/{id}/delete"), &[])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only the owner removes evidence");
    let (status, _, _) = app.post_as(Some("tayho"), &format!("/evidence/{id}/delete"), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, page) = app.get_as(Some("tayho"), TAYHO_SELF).await;
    assert!(page.contains("Chưa có tệp minh chứng."), "{page}");
}

async fn a_peer_or_an_outsider_cannot_open_or_post_another_unit_s_sheet(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    score(&app, "tayho", TAYHO_SELF, "0", &[("p_I.1", "5")]).await;

    for who in ["caugiay", "hadong", "khac"] {
        for uri in [TAYHO_SELF, "/units/HN-TAYHO/scores/2022"] {
            let (status, _, _) = app.get_as(Some(who), uri).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "GET {uri} as {who}");
        }
        let (status, _) = score(&app, who, TAYHO_SELF, "1", &[("p_I.1", "1")]).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "POST as {who}");
    }
    let (status, _) = score(&app, "cumtruong", TAYHO_SELF, "1", &[("p_I.1", "1")]).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "the chair does not self-score for a member"
    );
    let (status, _) = score(
        &app,
        "tayho",
        "/units/HN-TAYHO/scores/2022/cluster",
        "0",
        &[("p_I.1", "5")],
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a member does not give the cluster's score"
    );
    let (status, _) = score(
        &app,
        "cumtruong",
        "/units/HN-TAYHO/scores/2022/upper",
        "0",
        &[("p_I.1", "5")],
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "the chair does not adjust as the upper level"
    );
    assert_eq!(
        stored_points(&app, "HN-TAYHO", ScoreStep::SelfScore, "I.1").await,
        points(5.0)
    );
}

async fn the_chair_gives_the_cluster_score_the_upper_level_adjusts_and_the_comparison_shows_all_three(
    backend: Backend,
) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    score(&app, "tayho", TAYHO_SELF, "0", &[("p_I.1", "5"), ("p_T1", "2")]).await;

    let (status, page) = score(
        &app,
        "cumtruong",
        "/units/HN-TAYHO/scores/2022/cluster",
        "0",
        &[("p_I.1", "4"), ("n_I.1", "Thiếu báo cáo quý IV")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("Trước đó"),
        "the cluster step shows the self-score beside each line"
    );
    let (status, page) = score(
        &app,
        "thanhpho",
        "/units/HN-TAYHO/scores/2022/upper",
        "0",
        &[("p_I.1", "4,5")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");

    let (status, _, page) = app.get_as(Some("tayho"), "/units/HN-TAYHO/scores/2022").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Đơn vị tự chấm") && page.contains("Cụm chấm") && page.contains("Cấp trên điều chỉnh"),
        "{page}"
    );
    let i1 = page
        .split("<th class=\"unit\" scope=\"row\">I.1</th>")
        .nth(1)
        .and_then(|rest| rest.split("</tr>").next())
        .unwrap_or_default();
    assert!(
        i1.contains("<td class=\"step\">5</td><td class=\"step\">4</td><td class=\"step\">4,5</td>"),
        "{i1}"
    );
    assert!(page.contains("differs"), "the differences are highlighted");
    assert!(
        page.contains("(cumtruong)") && page.contains("(thanhpho)") && page.contains("(tayho)"),
        "who gave each step"
    );
    assert_eq!(
        stored_points(&app, "HN-TAYHO", ScoreStep::Cluster, "T1").await,
        None,
        "the chair kept T1 as it was"
    );
    let (status, _, _) = app.get_as(Some("caugiay"), "/units/HN-TAYHO/scores/2022").await;
    assert_eq!(
        status,
        StatusCode::OK,
        "once the cluster has scored, peers see the sheets"
    );
}

async fn the_ranking_orders_the_members_and_hides_self_scores_the_cluster_has_not_scored_from_peers(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    score(&app, "tayho", TAYHO_SELF, "0", &MANUAL_FULL).await;
    score(
        &app,
        "caugiay",
        "/units/HN-CAUGIAY/scores/2022/self",
        "0",
        &[("p_I.1", "1")],
    )
    .await;
    score(
        &app,
        "thanhxuan",
        "/units/HN-THANHXUAN/scores/2022/self",
        "0",
        &[("p_I.1", "1")],
    )
    .await;

    let (status, _, page) = app
        .get_as(Some("cumtruong"), "/clusters/HN-CUM2/scores?year=2022")
        .await;

    assert_eq!(status, StatusCode::OK, "{page}");
    let at = |name: &str| page.find(name).unwrap_or(usize::MAX);
    // Cầu Giấy's and Thanh Xuân's figures earn them different computed points.
    assert!(
        at("quận Tây Hồ") < at("quận Cầu Giấy") && at("quận Cầu Giấy") < at("quận Thanh Xuân"),
        "{page}"
    );
    assert!(
        page.contains("<td>1</td>") && page.contains("<td>2</td>") && page.contains("<td>3</td>"),
        "{page}"
    );
    assert!(page.contains("87,32"), "Tây Hồ's total: 52 by hand + 35,32 computed");
    let unscored = page.split("Chưa có bảng điểm").nth(1).unwrap_or_default();
    assert!(
        unscored.contains("quận Hà Đông") && !unscored.contains("quận Tây Hồ"),
        "{unscored}"
    );

    let (status, _, page) = app.get_as(Some("caugiay"), "/clusters/HN-CUM2/scores?year=2022").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("87,32"), "a peer does not see Tây Hồ's self-score");
    assert!(page.contains("Chưa công bố"));
    let (status, _, _) = app.get_as(Some("khac"), "/clusters/HN-CUM2/scores?year=2022").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn computed_items_are_filled_from_the_demo_figures_and_cannot_be_typed(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };

    let (status, _, page) = app.get_as(Some("tayho"), TAYHO_SELF).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Số liệu: 98,68 (chỉ tiêu 95)"), "before any save: {page}");
    assert!(
        page.contains("id=\"p_II.2\" value=\"10\" class=\"points\" readonly"),
        "{page}"
    );

    let (status, page) = score(&app, "tayho", TAYHO_SELF, "0", &[("p_II.2", "1"), ("p_I.1", "5")]).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(
        stored_points(&app, "HN-TAYHO", ScoreStep::SelfScore, "II.2").await,
        points(10.0),
        "the typed 1 is ignored: the figures give 10"
    );
    assert_eq!(
        stored_points(&app, "HN-TAYHO", ScoreStep::SelfScore, "III.2").await,
        points(3.6)
    );
}

async fn a_stale_save_is_refused_with_409_and_keeps_what_was_typed(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    score(&app, "tayho", TAYHO_SELF, "0", &[("p_I.1", "5")]).await;

    let (status, page) = score(
        &app,
        "tayho",
        TAYHO_SELF,
        "0",
        &[("p_I.1", "3,25"), ("n_I.1", "Đã sửa")],
    )
    .await;

    assert_eq!(status, StatusCode::CONFLICT);
    assert!(page.contains("vừa được người khác cập nhật"), "{page}");
    assert!(
        page.contains("value=\"3,25\"") && page.contains("value=\"Đã sửa\""),
        "what was typed stays"
    );
    assert_eq!(
        stored_points(&app, "HN-TAYHO", ScoreStep::SelfScore, "I.1").await,
        points(5.0)
    );
}

async fn a_mark_above_its_maximum_or_not_a_number_names_its_line_and_nothing_is_saved(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };

    let (status, page) = score(
        &app,
        "tayho",
        TAYHO_SELF,
        "0",
        &[("p_I.1", "6"), ("p_I.2", "năm"), ("p_I.3", "4")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Mục I.1: 6 điểm vượt điểm tối đa 5"), "{page}");
    assert!(page.contains("Mục I.2:") && page.contains("value=\"năm\"") && page.contains("value=\"4\""));

    let (status, page) = score(&app, "tayho", TAYHO_SELF, "0", &[("p_T1", "1,5")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("không phải là bội số của 1 điểm mỗi lần"), "{page}");
    let sheet = app
        .state
        .store
        .score_sheet(&unit("HN-TAYHO"), 2022, 1, ScoreStep::SelfScore)
        .await
        .unwrap();
    assert!(sheet.is_none(), "nothing was saved");
}

// --------------------------------------------------------------------------- pledge

const PLEDGE: &str = "/clusters/HN-CUM2/pledge?year=2022";
const REGISTER: &str = "/clusters/HN-CUM2/pledge/register?year=2022";
const SIGN: &str = "/clusters/HN-CUM2/pledge/sign?year=2022";
const FLAG: &str = "Cờ thi đua của Ủy ban MTTQ Việt Nam Thành phố Hà Nội";
const EXCELLENT: &str = "Hoàn thành xuất sắc nhiệm vụ";

async fn members_register_for_the_pledge_the_chair_signs_it_and_it_prints(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let (_, _, page) = app.get_as(Some("tayho"), PLEDGE).await;
    assert!(
        page.contains(FLAG) && page.contains(EXCELLENT),
        "titles from the award catalogue: {page}"
    );

    let (status, _, page) = app
        .post_as(
            Some("tayho"),
            REGISTER,
            &[
                ("title", FLAG),
                ("title", EXCELLENT),
                ("t_HV_TUYEN_TRUYEN", "1.084"),
                ("t_QUY_BIEN_DAO", "1,2 tỷ"),
                ("signer_name", "Lê Thị Hoa"),
                ("signer_title", "Chủ tịch Ủy ban MTTQ Việt Nam quận Tây Hồ"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Đã lưu đăng ký thi đua của quận Tây Hồ"), "{page}");
    assert!(
        page.contains("1.084") && page.contains("1.200.000.000"),
        "targets shown back formatted"
    );
    let (status, _, _) = app
        .post_as(
            Some("hadong"),
            REGISTER,
            &[("title", EXCELLENT), ("signer_name", "Nguyễn Văn An")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    for who in ["thanhpho", "khac"] {
        let (status, _, _) = app.post_as(Some(who), REGISTER, &[("title", EXCELLENT)]).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who} represents no member");
    }
    let pledge = app
        .state
        .store
        .pledge(&thidua_core::ClusterCode::parse("HN-CUM2").unwrap(), 2022)
        .await
        .unwrap()
        .expect("no pledge");
    let units: Vec<String> = pledge.members.iter().map(|m| m.unit.to_string()).collect();
    assert_eq!(
        units,
        ["HN-HADONG", "HN-TAYHO"],
        "both registrations kept, in the cluster's order"
    );
    let tayho = pledge.member(&unit("HN-TAYHO")).expect("no Tây Hồ");
    assert_eq!(tayho.titles, [FLAG, EXCELLENT]);
    let target = |c: &str| tayho.targets.get(&thidua_core::IndicatorCode::parse(c).unwrap());
    assert_eq!(target("HV_TUYEN_TRUYEN"), Some(&thidua_core::Value::Whole(1084)));
    assert_eq!(target("QUY_BIEN_DAO"), Some(&thidua_core::Value::Whole(1_200_000_000)));

    let sign = [
        ("title", "Giao ước thi đua năm 2022"),
        (
            "commitments",
            "Thực hiện tốt Cuộc vận động \"Toàn dân đoàn kết xây dựng nông thôn mới, đô thị văn minh\"\nVận động ủng hộ Quỹ \"Vì người nghèo\" vượt chỉ tiêu",
        ),
        ("signed_on", "15/3/2022"),
        ("place", "quận Hà Đông"),
    ];
    let (status, _, _) = app.post_as(Some("tayho"), SIGN, &sign).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a member does not sign for the cluster");
    let (status, _, page) = app.post_as(Some("cumtruong"), SIGN, &sign).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Đã ký ngày 15/3/2022 tại quận Hà Đông"), "{page}");
    assert!(
        page.contains("<li>Vận động ủng hộ Quỹ &#34;Vì người nghèo&#34; vượt chỉ tiêu</li>"),
        "one commitment per line: {page}"
    );

    let (status, _, page) = app.post_as(Some("tayho"), REGISTER, &[("title", EXCELLENT)]).await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a signed pledge is not edited by a member"
    );
    assert!(page.contains("giao ước đã ký ngày 15/3/2022"), "{page}");

    let (status, headers, docx) = app
        .get_as(Some("caugiay"), "/clusters/HN-CUM2/pledge.docx?year=2022")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(docx.starts_with("PK"), "a DOCX is a zip");
    assert!(
        headers
            .get(header::CONTENT_DISPOSITION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("giao-uoc-HN-CUM2-2022.docx"))
    );
    let (status, _, pdf) = app
        .get_as(Some("thanhpho"), "/clusters/HN-CUM2/pledge.pdf?year=2022")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(pdf.starts_with("%PDF-"));
    let (status, _, _) = app
        .get_as(Some("khac"), "/clusters/HN-CUM2/pledge.docx?year=2022")
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn a_bad_pledged_target_keeps_what_was_typed_and_names_the_indicator(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };

    let (status, _, page) = app
        .post_as(
            Some("tayho"),
            REGISTER,
            &[
                ("title", EXCELLENT),
                ("t_HV_TUYEN_TRUYEN", "nhiều"),
                ("t_QUY_BIEN_DAO", "1,2 tỷ"),
            ],
        )
        .await;

    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("«nhiều» không phải là số"), "{page}");
    assert!(
        page.contains("value=\"nhiều\"") && page.contains("value=\"1,2 tỷ\""),
        "what was typed stays"
    );
    let stored = app
        .state
        .store
        .pledge(&thidua_core::ClusterCode::parse("HN-CUM2").unwrap(), 2022)
        .await
        .unwrap();
    assert!(stored.is_none(), "nothing was saved");
}
