//! The web application through HTTP, without a socket: every request goes through the
//! real router over a real database (SQLite and PostgreSQL), loaded with the demo.

use crate::common;

use axum::http::{StatusCode, header};
use common::TestApp;
use thidua_store::Backend;

common::on_both_backends!(
    the_home_page_lists_the_demo_cluster,
    the_cluster_page_shows_every_figure_of_the_review_in_vietnamese_style,
    the_cluster_page_defaults_to_the_latest_period_with_data,
    the_unit_page_shows_a_district_s_figures,
    search_finds_units_without_diacritics,
    an_unknown_cluster_gets_a_vietnamese_404_page,
    a_bad_period_is_a_400_with_the_reason,
    the_api_returns_the_rollup_with_plain_and_vietnamese_values,
    the_api_answers_errors_as_json,
    the_openapi_document_describes_the_rollup_routes,
    every_page_carries_the_security_headers,
);

async fn the_home_page_lists_the_demo_cluster(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };

    let (status, _, body) = app.get("/").await;

    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Cụm thi đua số 2"), "{body}");
    assert!(body.contains("href=\"/clusters/HN-CUM2?period="));
    // Members in Vietnamese order: Bắc Từ Liêm before Cầu Giấy before Hà Đông.
    let members = body.split("Thành viên:").nth(1).unwrap_or_default();
    let order: Vec<usize> = ["quận Bắc Từ Liêm", "quận Cầu Giấy", "quận Hà Đông", "quận Thanh Xuân"]
        .iter()
        .map(|n| members.find(n).unwrap_or_else(|| panic!("{n} missing")))
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
}

async fn the_cluster_page_shows_every_figure_of_the_review_in_vietnamese_style(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };

    let (status, _, body) = app.get("/clusters/HN-CUM2?period=2022S1").await;

    assert_eq!(status, StatusCode::OK);
    for figure in [
        "85,01",
        "98,69",
        "98,68",
        "98,14",
        "10.266.500.000",
        "trên 10 tỷ đồng",
        "1.221.500.000",
        "trên 1,2 tỷ đồng",
        "1.084",
        ">12<",
        ">20<",
        ">39<",
        ">63<",
        ">354<",
        ">59<",
        ">56<",
        ">189<",
        ">5<",
        "4.130",
        "3.511",
    ] {
        assert!(body.contains(figure), "{figure} missing from the cluster page");
    }
    assert!(body.contains("6 tháng đầu năm 2022"));
    assert!(body.contains("Toàn cụm"));
}

async fn the_cluster_page_defaults_to_the_latest_period_with_data(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };

    let (status, _, body) = app.get("/clusters/HN-CUM2").await;

    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Số liệu 6 tháng đầu năm 2022") && body.contains("1.084"));
}

async fn the_unit_page_shows_a_district_s_figures(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };

    let (status, _, body) = app.get("/units/HN-HADONG?period=2022S1").await;

    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Ủy ban MTTQ Việt Nam quận Hà Đông"));
    assert!(body.contains("2.350.000.000") && body.contains("98,14") && body.contains(">226<"));
    assert!(body.contains("Cụm thi đua số 2"));
}

async fn search_finds_units_without_diacritics(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };

    let (status, _, body) = app.get("/search?q=ha+dong").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("href=\"/units/HN-HADONG\""), "{body}");
    assert!(!body.contains("href=\"/units/HN-CAUGIAY\""));

    let (_, hits) = app.json("/api/v1/search?q=HOA%20TANG").await;
    let codes: Vec<&str> = hits
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|h| h["code"].as_str())
        .collect();
    assert!(
        codes.contains(&"TY_LE_HOA_TANG") && codes.contains(&"TANG_HOA_TANG"),
        "{codes:?}"
    );
}

async fn an_unknown_cluster_gets_a_vietnamese_404_page(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };

    let (status, _, body) = app.get("/clusters/HN-CUM9").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("Không tìm thấy cụm thi đua «HN-CUM9»"), "{body}");

    let (status, _, body) = app.get("/clusters/HN-CUM2?period=2019S1").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        body.contains("chưa được lập cho năm 2019 (có các năm:") && body.contains("2022)"),
        "{body}"
    );
}

async fn a_bad_period_is_a_400_with_the_reason(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };

    let (status, _, body) = app.get("/clusters/HN-CUM2?period=2022S3").await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("«2022S3» không phải là kỳ báo cáo hợp lệ"), "{body}");
}

async fn the_api_returns_the_rollup_with_plain_and_vietnamese_values(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };

    let (status, json) = app.json("/api/v1/clusters/HN-CUM2/rollup?period=2022S1").await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(json["period_label"], "6 tháng đầu năm 2022");
    assert_eq!(json["members"].as_array().map(Vec::len), Some(6));
    let total = |code: &str| {
        json["total"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|f| f["indicator"] == code)
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(total("HV_TUYEN_TRUYEN")["value"], 1084);
    assert_eq!(total("HV_TUYEN_TRUYEN")["display"], "1.084");
    assert_eq!(total("QUY_BIEN_DAO")["value"], 10_266_500_000_i64);
    assert_eq!(total("TY_LE_HOA_TANG")["value"], 85.01);
    assert_eq!(total("TY_LE_HOA_TANG")["display"], "85,01");

    let (status, unit) = app.json("/api/v1/units/HN-TAYHO/rollup?period=2022").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(unit["unit"]["figures"][0]["indicator"], "TANG_SO_DAM");
    assert_eq!(unit["unit"]["figures"][0]["value"], 380);
}

async fn the_api_answers_errors_as_json(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };

    let (status, json) = app.json("/api/v1/clusters/HN-CUM2/rollup?period=abc").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(json["error"]["status"], 400);
    assert!(
        json["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("kỳ báo cáo"))
    );

    let (status, json) = app.json("/api/v1/units/HN-NOWHERE/rollup?period=2022S1").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(json["error"]["message"], "không tìm thấy đơn vị «HN-NOWHERE»");
}

async fn the_openapi_document_describes_the_rollup_routes(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };

    let (status, doc) = app.json("/api/v1/openapi.json").await;

    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with('3')));
    for path in [
        "/api/v1/clusters",
        "/api/v1/clusters/{code}/rollup",
        "/api/v1/units/{code}/rollup",
        "/api/v1/search",
    ] {
        assert!(doc["paths"][path]["get"].is_object(), "{path} missing");
    }
    assert!(doc["components"]["schemas"]["ClusterRollupDto"].is_object());
}

async fn every_page_carries_the_security_headers(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };

    for uri in ["/", "/clusters/HN-CUM2", "/api/v1/clusters", "/clusters/NOPE"] {
        let (_, headers, _) = app.get(uri).await;
        assert_eq!(
            headers
                .get(header::X_CONTENT_TYPE_OPTIONS)
                .and_then(|v| v.to_str().ok()),
            Some("nosniff"),
            "{uri}"
        );
        assert!(headers.get(header::CONTENT_SECURITY_POLICY).is_some(), "{uri}");
    }
}
