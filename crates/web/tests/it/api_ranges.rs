//! The rollup API over a range of periods (`?period=2022S1..2022S2`): the answer names
//! the range, its sums are the sums of its periods' answers, and a range that breaks a
//! rule is a 400 whose Vietnamese message says which.

use std::collections::BTreeMap;

use crate::common;

use axum::http::StatusCode;
use common::TestApp;
use thidua_store::Backend;

common::on_both_backends!(
    a_cluster_s_range_adds_up_the_answers_of_its_periods,
    a_unit_s_range_adds_up_the_answers_of_its_periods,
    a_bad_range_is_a_400_naming_what_is_wrong,
    the_openapi_document_offers_ranges_for_both_rollups,
);

/// Values for the demo's second half of 2022 (the demo itself has the first).
const SECOND_HALF: &str = "unit,indicator,period,value
HN-HADONG,TANG_SO_DAM,2022S2,700
HN-HADONG,TANG_HOA_TANG,2022S2,650
HN-TAYHO,TANG_SO_DAM,2022Q3,120
HN-TAYHO,TANG_HOA_TANG,2022Q3,100
HN-THANHXUAN,HV_TUYEN_TRUYEN,2022S2,31
";

/// Each figure of a figures array, by indicator.
fn by_indicator(figures: &serde_json::Value) -> BTreeMap<String, serde_json::Value> {
    figures
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| Some((f["indicator"].as_str()?.to_owned(), f["value"].clone())))
        .collect()
}

/// The codes of the indicators that add up, from an answer's catalog.
fn sum_indicators(answer: &serde_json::Value) -> Vec<String> {
    answer["indicators"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|i| i["aggregation"] == "sum")
        .filter_map(|i| i["code"].as_str().map(str::to_owned))
        .collect()
}

/// Asserts that `range`'s figures are, for every sum indicator, the sum of `periods`'.
fn assert_sums(range: &serde_json::Value, periods: &[serde_json::Value], sums: &[String], what: &str) {
    let range = by_indicator(range);
    let periods: Vec<BTreeMap<String, serde_json::Value>> = periods.iter().map(by_indicator).collect();
    let mut checked = 0;
    for code in sums {
        let parts: Vec<f64> = periods.iter().filter_map(|p| p.get(code)?.as_f64()).collect();
        let got = range.get(code).and_then(serde_json::Value::as_f64);
        if parts.is_empty() {
            assert_eq!(got, None, "{what}: {code} has no figure in any period");
        } else {
            assert_eq!(got, Some(parts.iter().sum::<f64>()), "{what}: {code}");
            checked += 1;
        }
    }
    assert!(checked > 0, "{what}: some sum indicator has figures");
}

async fn a_cluster_s_range_adds_up_the_answers_of_its_periods(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    app.state.app.store().import_values_csv(SECOND_HALF).await.unwrap();

    let (status, range) = app.json("/api/v1/clusters/HN-CUM2/rollup?period=2022S1..2022S2").await;
    let (_, first) = app.json("/api/v1/clusters/HN-CUM2/rollup?period=2022S1").await;
    let (_, second) = app.json("/api/v1/clusters/HN-CUM2/rollup?period=2022S2").await;

    assert_eq!(status, StatusCode::OK, "{range}");
    assert_eq!(range["period"], "2022S1..2022S2");
    assert_eq!(range["period_from"], "2022S1");
    assert_eq!(range["period_to"], "2022S2");
    assert_eq!(range["period_label"], "Từ 6 tháng đầu đến 6 tháng cuối năm 2022");
    assert_eq!(first["period_from"], "2022S1");
    assert_eq!(first["period_to"], "2022S1");
    let sums = sum_indicators(&range);
    assert_sums(
        &range["total"],
        &[first["total"].clone(), second["total"].clone()],
        &sums,
        "total",
    );
    let members = range["members"].as_array().cloned().unwrap_or_default();
    assert_eq!(members.len(), 6);
    for (i, member) in members.iter().enumerate() {
        if member["unit"] == "HN-HADONG" {
            assert_sums(
                &member["figures"],
                &[
                    first["members"][i]["figures"].clone(),
                    second["members"][i]["figures"].clone(),
                ],
                &sums,
                "Hà Đông",
            );
        }
    }
    // The rate is computed from the range's sums, not from the halves' rates.
    let total = by_indicator(&range["total"]);
    let (deaths, cremations) = (
        total["TANG_SO_DAM"].as_f64().unwrap(),
        total["TANG_HOA_TANG"].as_f64().unwrap(),
    );
    let rate = total["TY_LE_HOA_TANG"].as_f64().unwrap();
    assert!(
        (rate - (100.0 * cremations / deaths * 100.0).round() / 100.0).abs() < 1e-9,
        "{rate}"
    );
}

async fn a_unit_s_range_adds_up_the_answers_of_its_periods(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    app.state.app.store().import_values_csv(SECOND_HALF).await.unwrap();

    let (status, range) = app.json("/api/v1/units/HN-TAYHO/rollup?period=2022Q1..2022Q4").await;
    let mut quarters = Vec::new();
    for q in 1..=4 {
        let (_, answer) = app
            .json(&format!("/api/v1/units/HN-TAYHO/rollup?period=2022Q{q}"))
            .await;
        quarters.push(answer["unit"]["figures"].clone());
    }

    assert_eq!(status, StatusCode::OK, "{range}");
    assert_eq!(range["period_label"], "Từ quý I đến quý IV năm 2022");
    // The demo reports halves, which lie in no quarter: only the third quarter counts.
    let figures = by_indicator(&range["unit"]["figures"]);
    assert_eq!(figures.get("TANG_SO_DAM").and_then(|v| v.as_f64()), Some(120.0));
    let (_, catalog) = app.json("/api/v1/clusters/HN-CUM2/rollup?period=2022S1").await;
    assert_sums(
        &range["unit"]["figures"],
        &quarters,
        &sum_indicators(&catalog),
        "Tây Hồ",
    );
    let (_, words) = app
        .json(&format!(
            "/api/v1/units/HN-TAYHO/rollup?period={}",
            common::encode("từ 2022Q1 đến 2022Q4")
        ))
        .await;
    assert_eq!(words["period"], "2022Q1..2022Q4");
    assert_eq!(words["unit"], range["unit"]);
}

async fn a_bad_range_is_a_400_naming_what_is_wrong(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };

    for (uri, reason) in [
        (
            "/api/v1/clusters/HN-CUM2/rollup?period=2022S2..2022S1",
            "kỳ đầu 2022S2 ở sau kỳ cuối 2022S1",
        ),
        (
            "/api/v1/units/HN-TAYHO/rollup?period=2022Q1..202207",
            "kỳ đầu 2022Q1 là quý, kỳ cuối 202207 là tháng",
        ),
        (
            "/api/v1/units/HN-TAYHO/rollup?period=201201..202212",
            "gồm 132 kỳ, nhiều nhất là 120 kỳ",
        ),
        ("/api/v1/clusters/HN-CUM2/rollup?period=2022S1..", "thiếu kỳ cuối"),
        (
            "/api/v1/units/HN-NOWHERE/rollup?period=2022Q1..2022Q9",
            "kỳ cuối «2022Q9»",
        ),
    ] {
        let (status, json) = app.json(uri).await;

        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {json}");
        let message = json["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("không phải là khoảng kỳ báo cáo hợp lệ"),
            "{uri}: {message}"
        );
        assert!(message.contains(reason), "{uri}: {message}");
    }
}

async fn the_openapi_document_offers_ranges_for_both_rollups(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };

    let (status, doc) = app.json("/api/v1/openapi.json").await;

    assert_eq!(status, StatusCode::OK);
    for path in ["/api/v1/clusters/{code}/rollup", "/api/v1/units/{code}/rollup"] {
        let period = doc["paths"][path]["get"]["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["name"] == "period")
            .cloned()
            .unwrap_or_default();
        assert!(
            period["description"]
                .as_str()
                .is_some_and(|d| d.contains("2025Q1..2025Q3")),
            "{path}: {period}"
        );
        assert!(
            period["schema"]["pattern"]
                .as_str()
                .is_some_and(|p| p.contains(r"\.\.")),
            "{path}: {period}"
        );
    }
    assert!(doc["components"]["schemas"]["UnitRollupDto"]["properties"]["period_to"].is_object());
}
