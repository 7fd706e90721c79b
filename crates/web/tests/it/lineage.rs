//! Reorganisations in the API and the pages, on both backends: the demo with two of its
//! districts merged into a ward and one split without weights on 1/7/2025; the rollups
//! read on the tree as it was (the default) and on today's tree (`?tree=current`), the
//! pages' switch between the two, and the unit page's lineage.

use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::TestApp;
use serde_json::Value as Json;
use thidua_store::Backend;

common::on_both_backends!(
    the_rollup_api_reads_a_merged_ward_s_past_on_today_s_tree,
    an_unknown_tree_is_a_400_in_json,
    the_openapi_document_describes_the_tree_parameter,
    the_unit_page_switches_views_keeping_the_period_and_tells_its_lineage,
    the_cluster_page_says_which_view_it_shows_and_where_an_unweighted_split_s_past_stays,
    the_upper_level_previews_a_changes_file_then_applies_it,
    a_bad_changes_file_is_refused_whole_with_its_row_named_and_nothing_changes,
    only_the_upper_level_or_an_admin_reorganises_and_only_with_the_form_s_token,
    the_post_reform_demo_compares_its_wards_2026_with_their_districts_2022_on_today_s_tree,
);

/// Cầu Giấy and Tây Hồ merge into phường Tây Hồ; Nam Từ Liêm splits in two without
/// weights.
const CHANGES: &str = "date,change,from,to,name,parent
1/7/2025,merge,HN-CAUGIAY;HN-TAYHO,HN-P-TAYHO,Ủy ban MTTQ Việt Nam phường Tây Hồ,HN
1/7/2025,split,HN-NAMTULIEM,HN-P-TULIEM;HN-P-XUANPHUONG,Ủy ban MTTQ Việt Nam phường Từ Liêm;Ủy ban MTTQ Việt Nam phường Xuân Phương,HN
";

async fn reorganised(backend: Backend) -> Option<TestApp> {
    let app = TestApp::with_demo(backend).await?;
    app.state
        .store
        .import_changes_csv(CHANGES, "admin")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    Some(app)
}

fn figure(figures: &Json, indicator: &str) -> Option<i64> {
    figures
        .as_array()?
        .iter()
        .find(|f| f["indicator"] == indicator)
        .and_then(|f| f["value"].as_i64())
}

async fn the_rollup_api_reads_a_merged_ward_s_past_on_today_s_tree(backend: Backend) {
    let Some(app) = reorganised(backend).await else {
        return;
    };
    // As it was: the ward did not exist in 2022.
    let (status, body) = app.json("/api/v1/units/HN-P-TAYHO/rollup?period=2022S1").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["tree"], "period");
    assert_eq!(figure(&body["unit"]["figures"], "TANG_SO_DAM"), None);
    // Today's tree: its 2022 is Cầu Giấy's 610 and Tây Hồ's 380.
    let (status, body) = app
        .json("/api/v1/units/HN-P-TAYHO/rollup?period=2022S1&tree=current")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["tree"], "current");
    assert_eq!(body["tree_label"], "theo tổ chức hiện nay");
    assert_eq!(figure(&body["unit"]["figures"], "TANG_SO_DAM"), Some(990));

    // The city's total is the same in both views.
    let city = |tree: &'static str| {
        let app = &app;
        async move {
            let (_, body) = app
                .json(&format!("/api/v1/units/HN/rollup?period=2022S1&tree={tree}"))
                .await;
            figure(&body["unit"]["figures"], "TANG_SO_DAM")
        }
    };
    assert_eq!(city("period").await, city("current").await);

    let (status, body) = app
        .json("/api/v1/clusters/HN-CUM2/rollup?period=2022S1&tree=current")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["tree"], "current");

    // The trend on today's tree reaches back before the merge.
    let (status, body) = app
        .json("/api/v1/units/HN-P-TAYHO/trend?period=2026S1&indicator=TANG_SO_DAM&tree=current")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["tree"], "current");
    let series = body["series"].as_array().unwrap();
    let first = series.first().unwrap();
    assert_eq!(first["period"], "2022S1", "{body}");
    assert_eq!(first["value"].as_f64(), Some(990.0));
    let (_, body) = app
        .json("/api/v1/units/HN-P-TAYHO/trend?period=2026S1&indicator=TANG_SO_DAM")
        .await;
    assert_eq!(body["series"].as_array().map(Vec::len), Some(1), "{body}");
}

async fn an_unknown_tree_is_a_400_in_json(backend: Backend) {
    let Some(app) = reorganised(backend).await else {
        return;
    };
    for uri in [
        "/api/v1/units/HN-P-TAYHO/rollup?period=2022S1&tree=tomorrow",
        "/api/v1/clusters/HN-CUM2/rollup?period=2022S1&tree=tomorrow",
        "/api/v1/clusters/HN-CUM2/comparison?period=2022S1&tree=tomorrow",
        "/api/v1/units/HN-P-TAYHO/trend?tree=tomorrow",
    ] {
        let (status, body) = app.json(uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
        assert!(
            body["error"]["message"].as_str().unwrap().contains("tham số tree"),
            "{uri}: {body}"
        );
    }
}

async fn the_openapi_document_describes_the_tree_parameter(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let (status, doc) = app.json("/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    for path in [
        "/api/v1/clusters/{code}/rollup",
        "/api/v1/units/{code}/rollup",
        "/api/v1/clusters/{code}/comparison",
        "/api/v1/units/{code}/trend",
    ] {
        let params = doc["paths"][path]["get"]["parameters"].as_array().unwrap();
        assert!(params.iter().any(|p| p["name"] == "tree"), "{path}");
    }
    let params = doc["paths"]["/api/v1/clusters/{code}/comparison"]["get"]["parameters"]
        .as_array()
        .unwrap();
    assert!(params.iter().any(|p| p["name"] == "against"));
}

async fn the_unit_page_switches_views_keeping_the_period_and_tells_its_lineage(backend: Backend) {
    let Some(app) = reorganised(backend).await else {
        return;
    };
    let (status, _, page) = app.get("/units/HN-P-TAYHO?period=2022S1").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Thành lập ngày 1/7/2025 trên cơ sở hợp nhất quận Cầu Giấy và quận Tây Hồ."),
        "{page}"
    );
    assert!(page.contains("<strong aria-current=\"page\">theo tổ chức tại kỳ báo cáo</strong>"));
    assert!(
        page.contains("href=\"/units/HN-P-TAYHO?period=2022S1&#38;tree=current\""),
        "the switch keeps the period: {page}"
    );
    assert!(!page.contains("990"), "the ward had no figures of its own in 2022");

    let (status, _, page) = app.get("/units/HN-P-TAYHO?period=2022S1&tree=current").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("<strong aria-current=\"page\">theo tổ chức hiện nay</strong>"));
    assert!(page.contains("href=\"/units/HN-P-TAYHO?period=2022S1\""));
    assert!(page.contains(">990<"), "Cầu Giấy's and Tây Hồ's deaths: {page}");
    assert!(
        page.contains("<input type=\"hidden\" name=\"tree\" value=\"current\">"),
        "choosing another period keeps the view"
    );

    // A merged district says where its history went.
    let (_, _, page) = app.get("/units/HN-TAYHO?period=2022S1").await;
    assert!(page.contains("Từ ngày 1/7/2025 hợp nhất vào phường Tây Hồ"), "{page}");

    let (status, _, _) = app.get("/units/HN-P-TAYHO?tree=tomorrow").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

async fn the_cluster_page_says_which_view_it_shows_and_where_an_unweighted_split_s_past_stays(backend: Backend) {
    let Some(app) = reorganised(backend).await else {
        return;
    };
    let (status, _, page) = app.get("/clusters/HN-CUM2?period=2022S1").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Đang xem theo tổ chức tại kỳ báo cáo"), "{page}");
    assert!(page.contains("href=\"/clusters/HN-CUM2?period=2022S1&#38;tree=current\""));
    assert!(!page.contains("không có tỷ lệ chia"));

    let (status, _, page) = app
        .get("/clusters/HN-CUM2?period=2022S1&indicator=TANG_SO_DAM&tree=current")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Đang xem theo tổ chức hiện nay"), "{page}");
    assert!(
        page.contains("href=\"/clusters/HN-CUM2?period=2022S1&#38;indicator=TANG_SO_DAM\""),
        "the switch back keeps the period and the indicator"
    );
    assert!(
        page.contains(
            "Quận Nam Từ Liêm chia tách thành phường Từ Liêm và phường Xuân Phương từ ngày 1/7/2025 không có tỷ lệ chia: số liệu trước ngày đó vẫn thuộc quận Nam Từ Liêm"
        ),
        "{page}"
    );
    assert!(
        page.contains("tree=current#so-sanh") && page.contains("&#38;tree=current\">"),
        "links within the page keep the view"
    );
}

/// Posts the reorganisation page's multipart form as `who` with `csrf`, the text fields
/// and optionally a file.
async fn post_changes(
    app: &TestApp,
    who: &str,
    csrf: &str,
    fields: &[(&str, &str)],
    file: Option<&str>,
) -> (StatusCode, String) {
    let boundary = "thidua-changes-boundary";
    let mut body = String::new();
    let all = std::iter::once(("csrf", csrf)).chain(fields.iter().copied());
    for (name, value) in all {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    if let Some(text) = file {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"changes.csv\"\r\nContent-Type: text/csv\r\n\r\n{text}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    let request = Request::post("/admin/changes")
        .header(header::COOKIE, app.cookie(Some(who)))
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .unwrap();
    let (status, _, page) = app.send(request).await;
    (status, page)
}

/// The file's text as the preview sends it back with the confirmation.
fn text_to_confirm(page: &str) -> String {
    let start = page
        .find("aria-label=\"Nội dung tệp sắp xếp tổ chức\">")
        .unwrap_or_else(|| panic!("{page}"));
    let rest = &page[start..];
    let (from, to) = (rest.find('>').unwrap() + 1, rest.find("</textarea>").unwrap());
    rest[from..to].to_owned()
}

async fn the_upper_level_previews_a_changes_file_then_applies_it(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let csrf = app.csrf("thanhpho");
    let (status, page) = post_changes(&app, "thanhpho", &csrf, &[("action", "preview")], Some(CHANGES)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Xem trước: tệp sẽ thay đổi những gì"), "{page}");
    assert!(page.contains("Ủy ban MTTQ Việt Nam phường Tây Hồ (HN-P-TAYHO), trực thuộc Ủy ban MTTQ Việt Nam Thành phố Hà Nội, từ ngày 1/7/2025"));
    assert!(page.contains("Ủy ban MTTQ Việt Nam quận Tây Hồ (HN-TAYHO): ngày cuối 30/6/2025"));
    assert!(
        app.state.store.lineage().await.unwrap().is_empty(),
        "a preview writes nothing"
    );

    let text = text_to_confirm(&page);
    assert_eq!(text, CHANGES);
    let (status, page) = post_changes(&app, "thanhpho", &csrf, &[("action", "apply"), ("text", &text)], None).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Đã áp dụng 2 thay đổi."), "{page}");
    assert_eq!(app.state.store.lineage().await.unwrap().changes().len(), 2);
    let (_, _, page) = app.get_as(Some("thanhpho"), "/admin/changes").await;
    assert!(page.contains("Các lần sắp xếp đã áp dụng"));
    assert!(
        page.contains("quận Cầu Giấy (HN-CAUGIAY); quận Tây Hồ (HN-TAYHO)"),
        "{page}"
    );
    // The directory the pages read has the new ward at once.
    let (status, _, page) = app.get("/units/HN-P-TAYHO?period=2022S1&tree=current").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Thành lập ngày 1/7/2025"));
}

async fn a_bad_changes_file_is_refused_whole_with_its_row_named_and_nothing_changes(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let bad = "date,change,from,to,name,parent
1/7/2025,merge,HN-CAUGIAY;HN-TAYHO,HN-P-TAYHO,Ủy ban MTTQ Việt Nam phường Tây Hồ,HN
1/7/2025,move,HN-W9,,,HN
";
    let csrf = app.csrf("admin");
    for (fields, file) in [
        (vec![("action", "preview")], Some(bad)),
        (vec![("action", "apply"), ("text", bad)], None),
    ] {
        let (status, page) = post_changes(&app, "admin", &csrf, &fields, file).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
        assert!(page.contains("Tệp có lỗi, chưa thay đổi gì"), "{page}");
        assert!(
            page.contains("Dòng 3") && page.contains("HN-W9"),
            "the bad row is named: {page}"
        );
        assert!(!page.contains("Xem trước: tệp sẽ thay đổi"));
    }
    assert!(app.state.store.lineage().await.unwrap().is_empty());
    let tree = app.state.store.unit_tree().await.unwrap();
    assert!(
        tree.get(&thidua_core::UnitCode::parse("HN-P-TAYHO").unwrap()).is_none(),
        "the good row did not apply either"
    );

    let (status, page) = post_changes(&app, "admin", &csrf, &[("action", "preview")], None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Chưa chọn tệp"), "{page}");
}

async fn only_the_upper_level_or_an_admin_reorganises_and_only_with_the_form_s_token(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let (status, _, _) = app.get_as(Some("hadong"), "/admin/changes").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let csrf = app.csrf("cumtruong");
    let (status, _) = post_changes(
        &app,
        "cumtruong",
        &csrf,
        &[("action", "apply"), ("text", CHANGES)],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = post_changes(
        &app,
        "admin",
        "not-the-token",
        &[("action", "apply"), ("text", CHANGES)],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = app.get_as(None, "/admin/changes").await;
    assert!(
        status == StatusCode::SEE_OTHER || status == StatusCode::UNAUTHORIZED,
        "{status}"
    );
    assert!(app.state.store.lineage().await.unwrap().is_empty());
    let (status, _, page) = app.get_as(Some("thanhpho"), "/admin/changes").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Chưa có lần sắp xếp nào."));
}

async fn the_post_reform_demo_compares_its_wards_2026_with_their_districts_2022_on_today_s_tree(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let store = &app.state.store;
    store.load_reform_demo().await.unwrap();
    // Loaded again, as at every `serve --demo`: nothing changes, the districts stay ended.
    store.load_demo().await.unwrap();
    store.load_reform_demo().await.unwrap();
    assert_eq!(store.lineage().await.unwrap().changes().len(), 3);
    let tree = store.unit_tree().await.unwrap();
    let hadong = tree.get(&thidua_core::UnitCode::parse("HN-HADONG").unwrap()).unwrap();
    assert_eq!(hadong.valid_to, chrono::NaiveDate::from_ymd_opt(2025, 6, 30));

    let uri = "/clusters/HN-CUMPHUONG1?period=2026S1&indicator=TANG_SO_DAM&tree=current&against=2022S1";
    let (status, _, page) = app.get_as(Some("thanhpho"), uri).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("số liệu minh họa"),
        "the page says its figures are illustrative"
    );
    assert!(page.contains("<th scope=\"col\">6 tháng đầu năm 2022</th>"), "{page}");
    assert!(page.contains("Tăng, giảm so với 6 tháng đầu năm 2022"));
    // Phường Hà Đông's 2022S1 is quận Hà Đông's 1.020 and quận Thanh Xuân's 700; the
    // cluster's is the six districts' 4.130.
    assert!(page.contains("<td>1.720</td>"), "{page}");
    assert!(page.contains("<td>4.130</td>"), "{page}");
    assert!(
        page.contains("<option value=\"2022S1\" selected>"),
        "the choice keeps the period compared with"
    );

    let (status, body) = app
        .json(
            "/api/v1/clusters/HN-CUMPHUONG1/comparison?period=2026S1&indicator=TANG_SO_DAM&tree=current&against=2022S1",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["against_period"], "2022S1");
    assert_eq!(body["against_total"]["value"].as_f64(), Some(4130.0));
    let hadong = body["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["unit"] == "HN-P-HADONG")
        .unwrap();
    assert_eq!(hadong["against"]["value"].as_f64(), Some(1720.0));
    assert_eq!(hadong["value"].as_f64(), Some(1754.0));
    assert_eq!(hadong["against_change"]["absolute"].as_f64(), Some(34.0));

    // On the tree as it was, the wards had nothing in 2022.
    let (_, body) = app
        .json("/api/v1/clusters/HN-CUMPHUONG1/comparison?period=2026S1&indicator=TANG_SO_DAM&against=2022S1")
        .await;
    assert!(body["against_total"].is_null(), "{body}");
    // The 2022 cluster's page stays as it was, without the illustration's note.
    let (status, _, page) = app.get("/clusters/HN-CUM2?period=2022S1").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("số liệu minh họa"));
    // A period compared with must be earlier and of the same type.
    let (status, _) = app
        .json("/api/v1/clusters/HN-CUMPHUONG1/comparison?period=2026S1&against=2026")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
