//! Comparisons, rankings, threshold lists, reporting rates and history checks, through
//! the JSON API and the cluster and unit pages, on both backends: the demo cluster with
//! earlier half-years imported where a test needs them.

use crate::common;

use axum::http::StatusCode;
use common::{TestApp, current_half};
use serde_json::Value as Json;
use thidua_store::Backend;

common::on_both_backends!(
    the_demo_cluster_s_members_are_ranked_on_the_cremation_rate_against_the_cluster_s_own_rate,
    a_member_without_figures_is_shown_as_having_none_never_as_zero,
    members_are_compared_with_their_previous_period_and_the_same_period_last_year,
    a_member_s_pledged_target_comes_before_the_criteria_s,
    a_figure_far_outside_the_member_s_own_history_is_flagged_for_review,
    a_unit_s_trend_has_every_half_year_from_its_first_figures_with_gaps_as_none,
    the_reporting_rate_counts_forms_sent_and_those_sent_on_time,
    the_reporting_rate_of_the_level_below_a_unit_counts_each_unit,
    a_user_of_another_cluster_is_refused_the_comparison_and_the_trend,
    an_unknown_indicator_or_a_bad_threshold_is_a_400_in_json,
    the_openapi_document_describes_the_comparison_routes,
);

/// Imports values (`unit,indicator,period,value` lines) as an administrator would.
async fn import(app: &TestApp, lines: &[&str]) {
    let csv = format!("unit,indicator,period,value\n{}\n", lines.join("\n"));
    app.state
        .store
        .import_values_csv(&csv)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

fn member<'a>(body: &'a Json, unit: &str) -> &'a Json {
    body["members"]
        .as_array()
        .and_then(|m| m.iter().find(|m| m["unit"] == unit))
        .unwrap_or_else(|| panic!("{unit} missing: {body}"))
}

async fn the_demo_cluster_s_members_are_ranked_on_the_cremation_rate_against_the_cluster_s_own_rate(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };

    let (status, body) = app
        .json("/api/v1/clusters/HN-CUM2/comparison?period=2022S1&indicator=TY_LE_HOA_TANG")
        .await;

    assert_eq!(status, StatusCode::OK, "{body}");
    let order: Vec<&str> = body["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["unit"].as_str().unwrap())
        .collect();
    assert_eq!(
        order,
        [
            "HN-CAUGIAY",
            "HN-TAYHO",
            "HN-HADONG",
            "HN-THANHXUAN",
            "HN-NAMTULIEM",
            "HN-BACTULIEM"
        ]
    );
    assert_eq!(member(&body, "HN-CAUGIAY")["rank"], 1);
    // A rate's average is the cluster's own rate (3.511 of 4.130), not a mean of rates.
    assert_eq!(body["average"]["display"], "85,01");
    assert_eq!(
        member(&body, "HN-HADONG")["against_average"]["display"],
        "+13,13 (+15,4%)"
    );
    // The criteria of 2022 set 95 %: Hà Đông reached 103,3% of it.
    let target = &member(&body, "HN-HADONG")["target"];
    assert_eq!(target["source"], "criteria");
    assert_eq!(target["reached_display"], "103,3%");
    // "đạt 98% trở lên", highest first.
    let reaching: Vec<&str> = body["reaching"]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["unit"].as_str().unwrap())
        .collect();
    assert_eq!(reaching, ["HN-CAUGIAY", "HN-TAYHO", "HN-HADONG"]);
    assert_eq!(body["reporting"]["display"], "6/6 (100,0%)");
    assert_eq!(body["reporting"]["from_file"], 6);

    let (status, _, page) = app.get("/clusters/HN-CUM2?period=2022S1").await;
    assert_eq!(status, StatusCode::OK);
    for text in [
        "So sánh, xếp hạng các thành viên",
        "Tỷ lệ chung của cụm: 85,01",
        "Tỷ lệ hỏa táng đạt 98% trở lên: quận Cầu Giấy (98,69%), quận Tây Hồ (98,68%), quận Hà Đông (98,14%).",
        "Thứ hạng của các thành viên theo từng chỉ tiêu",
        "Tỷ lệ báo cáo:</strong> 6/6 (100,0%)",
        "data-chart-kind=\"members\"",
        "data-chart-kind=\"totals\"",
        "/static/echarts/echarts.min.js",
    ] {
        assert!(page.contains(text), "{text} missing from the cluster page");
    }
}

async fn a_member_without_figures_is_shown_as_having_none_never_as_zero(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    // The second half of 2022: five members report, Tây Hồ does not.
    import(
        &app,
        &[
            "HN-HADONG,HV_HOI_CHO,2022S2,3",
            "HN-THANHXUAN,HV_HOI_CHO,2022S2,2",
            "HN-CAUGIAY,HV_HOI_CHO,2022S2,2",
            "HN-BACTULIEM,HV_HOI_CHO,2022S2,0",
            "HN-NAMTULIEM,HV_HOI_CHO,2022S2,1",
        ],
    )
    .await;

    let (status, body) = app
        .json("/api/v1/clusters/HN-CUM2/comparison?period=2022S2&indicator=HV_HOI_CHO")
        .await;

    assert_eq!(status, StatusCode::OK, "{body}");
    let tayho = member(&body, "HN-TAYHO");
    assert_eq!(tayho["value"], Json::Null);
    assert_eq!(tayho["display"], "—");
    assert_eq!(tayho["rank"], Json::Null, "no figure, no rank");
    assert_eq!(tayho["against_average"], Json::Null);
    assert_eq!(body["members"][5]["unit"], "HN-TAYHO", "listed last");
    // A reported 0 is a figure: Bắc Từ Liêm is ranked, after the two tied at 2.
    assert_eq!(member(&body, "HN-BACTULIEM")["rank"], 5);
    assert_eq!(member(&body, "HN-CAUGIAY")["rank"], 2);
    assert_eq!(member(&body, "HN-CAUGIAY")["tied"], true);
    // The average is over the five that reported: 8 / 5.
    assert_eq!(body["average"]["display"], "1,60");
    // Against the first half (Tây Hồ had 1 fair then): no change without a figure now.
    assert_eq!(tayho["previous"]["display"], "1");
    assert_eq!(tayho["previous_change"], Json::Null);

    let (_, _, page) = app.get("/clusters/HN-CUM2?period=2022S2&indicator=HV_HOI_CHO").await;
    let comparison = page.split("id=\"so-sanh\"").nth(1).unwrap();
    let row = comparison
        .split("/units/HN-TAYHO?period=2022S2\">quận Tây Hồ</a></th>")
        .nth(1)
        .and_then(|rest| rest.split("</tr>").next())
        .unwrap_or_else(|| panic!("no comparison row for Tây Hồ"));
    assert!(row.starts_with("\n        <td>—</td>\n        <td>—</td>"), "{row}");
}

async fn members_are_compared_with_their_previous_period_and_the_same_period_last_year(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    // Hà Đông's 1.020 deaths of 2022S1 are the demo's; its 2021 figures are imported.
    import(
        &app,
        &["HN-HADONG,TANG_SO_DAM,2021S1,850", "HN-HADONG,TANG_SO_DAM,2021S2,1200"],
    )
    .await;

    let (status, body) = app
        .json("/api/v1/clusters/HN-CUM2/comparison?period=2022S1&indicator=TANG_SO_DAM")
        .await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["previous_period"], "2021S2");
    assert_eq!(body["last_year_period"], "2021S1");
    let hadong = member(&body, "HN-HADONG");
    // 1.020 deaths in 2022S1 against 1.200 and 850.
    assert_eq!(hadong["previous_change"]["display"], "-180 (-15,0%)");
    assert_eq!(hadong["last_year_change"]["display"], "+170 (+20,0%)");
    assert_eq!(hadong["last_year_change"]["percent"], 20.0);
    // Another member has no earlier figures: nothing to compare.
    assert_eq!(member(&body, "HN-TAYHO")["previous"], Json::Null);

    let (status, _, page) = app.get("/units/HN-HADONG?period=2022S1").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("-180 (-15,0%)") && page.contains("+170 (+20,0%)"),
        "{page}"
    );
}

async fn a_member_s_pledged_target_comes_before_the_criteria_s(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let code = |c: &str| thidua_core::IndicatorCode::parse(c).unwrap();
    let pledge = thidua_core::emulation::Pledge {
        cluster: thidua_core::ClusterCode::parse("HN-CUM2").unwrap(),
        year: 2022,
        title: "Giao ước thi đua năm 2022".into(),
        signed_on: None,
        place: String::new(),
        commitments: Vec::new(),
        members: vec![thidua_core::emulation::pledge::MemberPledge {
            unit: thidua_core::UnitCode::parse("HN-HADONG").unwrap(),
            titles: Vec::new(),
            targets: [(code("TY_LE_HOA_TANG"), thidua_core::Value::Whole(99))]
                .into_iter()
                .collect(),
            signer_name: String::new(),
            signer_title: String::new(),
        }],
    };
    app.state
        .store
        .save_pledge(&thidua_store::Actor::system("test"), pledge)
        .await
        .unwrap();

    let (_, body) = app
        .json("/api/v1/clusters/HN-CUM2/comparison?period=2022S1&indicator=TY_LE_HOA_TANG")
        .await;

    let hadong = &member(&body, "HN-HADONG")["target"];
    assert_eq!(hadong["source"], "pledge");
    assert_eq!(hadong["target"]["value"], 99.0);
    assert_eq!(member(&body, "HN-TAYHO")["target"]["source"], "criteria");
}

async fn a_figure_far_outside_the_member_s_own_history_is_flagged_for_review(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    // Hà Đông's deaths in the four half-years before the demo's 1.020 of 2022S1 — in
    // years the cluster was not constituted, so each member's own figures are read.
    import(
        &app,
        &[
            "HN-HADONG,TANG_SO_DAM,2020S1,200",
            "HN-HADONG,TANG_SO_DAM,2020S2,210",
            "HN-HADONG,TANG_SO_DAM,2021S1,190",
            "HN-HADONG,TANG_SO_DAM,2021S2,205",
        ],
    )
    .await;

    let (status, body) = app
        .json("/api/v1/clusters/HN-CUM2/comparison?period=2022S1&indicator=TANG_SO_DAM")
        .await;

    assert_eq!(status, StatusCode::OK, "{body}");
    let history = &member(&body, "HN-HADONG")["history"];
    assert_eq!(history["periods"], 4);
    assert_eq!(history["outlier"], true, "{history}");
    assert_eq!(member(&body, "HN-TAYHO")["history"], Json::Null, "no history, no check");
    assert!(body["outlier_rule"].as_str().unwrap().contains("|z| > 3"));

    let (_, _, page) = app.get("/clusters/HN-CUM2?period=2022S1").await;
    let flagged = page.split("Số liệu cần xem lại 6 tháng đầu năm 2022").nth(1).unwrap();
    assert!(flagged.contains("quận Hà Đông") && flagged.contains("Số đám tang (ca tử vong) trên địa bàn"));
    assert!(flagged.contains("190 – 210"), "the earlier range is shown");
    let (_, _, unit) = app.get("/units/HN-HADONG?period=2022S1").await;
    assert!(unit.contains("Cần xem lại (z = "), "the unit page flags it too");
}

async fn a_unit_s_trend_has_every_half_year_from_its_first_figures_with_gaps_as_none(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    import(
        &app,
        &[
            "HN-HADONG,QUY_BIEN_DAO,2020S2,2000000000",
            "HN-HADONG,QUY_BIEN_DAO,2021S2,1500000000",
        ],
    )
    .await;

    let (status, body) = app
        .json("/api/v1/units/HN-HADONG/trend?period=2022S1&indicator=QUY_BIEN_DAO")
        .await;

    assert_eq!(status, StatusCode::OK, "{body}");
    let periods: Vec<&str> = body["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["period"].as_str().unwrap())
        .collect();
    assert_eq!(periods, ["2020S2", "2021S1", "2021S2", "2022S1"]);
    assert_eq!(body["series"][1]["value"], Json::Null, "2021S1 has no figure");
    assert_eq!(body["series"][1]["display"], "—");
    assert_eq!(body["series"][3]["display"], "2.350.000.000");
    assert_eq!(body["value"]["hint"], "trên 2,3 tỷ đồng");
    assert_eq!(body["previous_change"]["display"], "+850.000.000 (+56,7%)");
    assert_eq!(body["last_year_change"], Json::Null, "nothing in 2021S1");

    let (_, _, page) = app.get("/units/HN-HADONG?period=2022S1&indicator=QUY_BIEN_DAO").await;
    assert!(page.contains("data-chart-kind=\"trend\""));
    assert!(page.contains("/api/v1/units/HN-HADONG/trend?period=2022S1&#38;indicator=QUY_BIEN_DAO"));
    assert!(page.contains("<th scope=\"row\" class=\"unit\">6 tháng đầu năm 2021</th><td>—</td>"));
}

async fn the_reporting_rate_counts_forms_sent_and_those_sent_on_time(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let period = current_half();
    // Tây Hồ sends its form today, within the window; Hà Đông keeps a draft.
    let (status, _, body) = app
        .post_as(
            Some("tayho"),
            &format!("/units/HN-TAYHO/forms/{period}"),
            &[("version", "0"), ("action", "submit_anyway"), ("v_HV_HOI_CHO", "2")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _, body) = app
        .post_as(
            Some("hadong"),
            &format!("/units/HN-HADONG/forms/{period}"),
            &[("version", "0"), ("action", "save"), ("v_HV_HOI_CHO", "3")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let (status, body) = app
        .json(&format!("/api/v1/clusters/HN-CUM2/comparison?period={period}"))
        .await;

    assert_eq!(status, StatusCode::OK, "{body}");
    let rate = &body["reporting"];
    assert_eq!(
        (rate["expected"].as_u64(), rate["reported"].as_u64()),
        (Some(6), Some(1))
    );
    assert_eq!(rate["on_time"], 1);
    assert_eq!(rate["display"], "1/6 (16,7%)");
    assert_eq!(rate["on_time_display"], "1/6 (16,7%)");
}

async fn the_reporting_rate_of_the_level_below_a_unit_counts_each_unit(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };

    let (status, _, body) = app
        .get_as(Some("thanhpho"), "/api/v1/units/HN/reporting?period=2022S1")
        .await;

    assert_eq!(status, StatusCode::OK, "{body}");
    let body: Json = serde_json::from_str(&body).unwrap();
    let level = &body["levels"][0];
    assert_eq!(level["kind"], "district");
    // The six members' figures were imported complete; Sóc Sơn has none.
    assert_eq!(level["rate"]["display"], "6/7 (85,7%)");
    assert_eq!(level["rate"]["on_time"], 0);
    let socson = level["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["unit"] == "HN-SOCSON")
        .unwrap();
    assert_eq!(socson["status"], "not_sent");

    let (_, _, page) = app.get_as(Some("thanhpho"), "/units/HN?period=2022S1").await;
    assert!(page.contains("Tỷ lệ báo cáo:</strong> 6/7 (85,7%)"), "{page}");
    // A district has no level below it.
    let (_, _, body) = app
        .get_as(Some("hadong"), "/api/v1/units/HN-HADONG/reporting?period=2022S1")
        .await;
    let body: Json = serde_json::from_str(&body).unwrap();
    assert_eq!(body["levels"], Json::Array(Vec::new()));
}

async fn a_user_of_another_cluster_is_refused_the_comparison_and_the_trend(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };

    for uri in [
        "/api/v1/clusters/HN-CUM2/comparison?period=2022S1",
        "/api/v1/units/HN-HADONG/trend?period=2022S1",
        "/api/v1/units/HN-HADONG/reporting?period=2022S1",
    ] {
        let (status, _, body) = app.get_as(Some("khac"), uri).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{uri}: {body}");
        let body: Json = serde_json::from_str(&body).unwrap();
        assert_eq!(body["error"]["status"], 403);
        let (status, _, _) = app.get_as(None, uri).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{uri}");
    }
    // A member sees its fellow member's trend.
    let (status, _, _) = app
        .get_as(Some("tayho"), "/api/v1/units/HN-HADONG/trend?period=2022S1")
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = app.get_as(Some("khac"), "/clusters/HN-CUM2?period=2022S1").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn an_unknown_indicator_or_a_bad_threshold_is_a_400_in_json(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };

    for uri in [
        "/api/v1/clusters/HN-CUM2/comparison?period=2022S1&indicator=KHONG_CO",
        "/api/v1/clusters/HN-CUM2/comparison?period=2022S1&threshold=abc",
        "/api/v1/clusters/HN-CUM2/comparison?period=2022S1&threshold=NaN",
        "/api/v1/units/HN-HADONG/trend?indicator=b%E1%BA%A5t+k%E1%BB%B3",
        "/api/v1/units/HN-HADONG/trend?period=2022S9",
    ] {
        let (status, body) = app.json(uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
        assert_eq!(body["error"]["status"], 400, "{uri}");
    }
    let (_, body) = app.json("/api/v1/clusters/HN-CUM2/comparison?indicator=KHONG_CO").await;
    assert_eq!(body["error"]["message"], "không có chỉ tiêu «KHONG_CO» trong danh mục");
    let (status, _, _) = app.get("/clusters/HN-CUM2?period=2022S1&indicator=KHONG_CO").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

async fn the_openapi_document_describes_the_comparison_routes(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };

    let (status, doc) = app.json("/api/v1/openapi.json").await;

    assert_eq!(status, StatusCode::OK);
    for path in [
        "/api/v1/clusters/{code}/comparison",
        "/api/v1/units/{code}/trend",
        "/api/v1/units/{code}/reporting",
    ] {
        let responses = &doc["paths"][path]["get"]["responses"];
        for code in ["200", "400", "401", "403", "404"] {
            assert!(responses.get(code).is_some(), "{path} does not describe {code}");
        }
    }
    assert!(doc["components"]["schemas"]["ClusterComparisonDto"].is_object());
}
