//! The home page as each role finds it: what waits for them (their unit's form with its
//! deadline, the forms to decide, a returned form with its reason) and the clusters'
//! year cards, each opening its own year.

use crate::common;

use axum::http::StatusCode;
use common::{TestApp, current_half};
use thidua_store::Backend;

common::on_both_backends!(
    each_role_s_home_lists_what_waits_for_it_until_it_is_done,
    each_year_s_card_opens_that_year,
    the_pages_carry_no_inline_style_the_policy_would_refuse_and_have_an_icon,
    figures_a_file_brought_show_in_the_unit_s_form_for_what_they_are,
    the_ranking_before_any_score_prints_no_empty_scale,
);

async fn each_role_s_home_lists_what_waits_for_it_until_it_is_done(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let period = current_half();
    let form = format!("/units/HN-TAYHO/forms/{period}");
    let link = format!("href=\"{form}\"");

    let (status, _, home) = app.get_as(Some("tayho"), "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        home.contains("Báo cáo của đơn vị cần gửi") && home.contains(&link) && home.contains("chưa nhập"),
        "the officer is told its form waits, with the deadline: {home}"
    );
    assert!(home.contains("hạn nộp") || home.contains("Hạn nộp"), "{home}");
    let (_, _, chair) = app.get_as(Some("cumtruong"), "/").await;
    assert!(!chair.contains(&link), "nothing of Tây Hồ waits for the chair yet");

    let (status, _, _) = app
        .post_as(
            Some("tayho"),
            &form,
            &[("version", "0"), ("action", "submit_anyway"), ("v_HV_HOI_CHO", "2")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, _, home) = app.get_as(Some("tayho"), "/").await;
    assert!(
        !home.contains(&link),
        "a form sent no longer waits for its unit: {home}"
    );
    for reviewer in ["cumtruong", "thanhpho"] {
        let (_, _, home) = app.get_as(Some(reviewer), "/").await;
        assert!(
            home.contains("Biểu mẫu chờ duyệt (1)") && home.contains(&link),
            "{reviewer} is told the form waits for a decision: {home}"
        );
    }
    let (_, _, peer) = app.get_as(Some("hadong"), "/").await;
    assert!(!peer.contains(&link), "a peer does not review");

    let (status, _, _) = app
        .post_as(
            Some("cumtruong"),
            &format!("{form}/decision"),
            &[
                ("version", "1"),
                ("action", "return"),
                ("reason", "Bổ sung số liệu Quỹ Vì người nghèo"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, chair) = app.get_as(Some("cumtruong"), "/").await;
    assert!(!chair.contains(&link), "a decided form leaves the chair's list");
    let (_, _, home) = app.get_as(Some("tayho"), "/").await;
    assert!(
        home.contains(&link)
            && home.contains("bị trả lại")
            && home.contains("Lý do: Bổ sung số liệu Quỹ Vì người nghèo"),
        "the returned form is back on the officer's list with its reason: {home}"
    );

    // Sent again, the old reason no longer stands on the form.
    let (status, _, body) = app
        .post_as(
            Some("tayho"),
            &form,
            &[("version", "2"), ("action", "submit_anyway"), ("v_HV_HOI_CHO", "3")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("Đã gửi, chờ duyệt"), "{body}");
    let (_, _, body) = app.get_as(Some("cumtruong"), &form).await;
    assert!(
        !body.contains("Bổ sung số liệu Quỹ Vì người nghèo"),
        "a stale reason is not shown: {body}"
    );
}

async fn each_year_s_card_opens_that_year(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let (_, _, home) = app.get_as(Some("hadong"), "/").await;
    let current = current_half();
    assert!(home.contains("href=\"/clusters/HN-CUM2?period=2022S1\""), "{home}");
    assert!(
        home.contains(&format!("href=\"/clusters/HN-CUM2?period={current}\"")),
        "this year's card opens this half-year: {home}"
    );
    assert!(
        home.contains("href=\"/clusters/HN-CUM2?period=2022\"") && home.contains("Cả năm 2022"),
        "an earlier year also opens whole"
    );
    assert!(
        home.contains("<a href=\"/clusters/HN-CUM2?period=2022S1\">6 tháng đầu năm 2022</a>"),
        "the half the title opens is named among the year's periods too: {home}"
    );
    let (status, _, page) = app.get_as(Some("hadong"), "/clusters/HN-CUM2?period=2022S1").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("2022"), "{page}");
}

async fn the_pages_carry_no_inline_style_the_policy_would_refuse_and_have_an_icon(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    for (who, page) in [
        ("hadong", "/account/password".to_owned()),
        ("hadong", "/account/tokens".to_owned()),
        ("admin", "/admin/users".to_owned()),
        ("cumtruong", "/clusters/HN-CUM2/conference?period=2022S1".to_owned()),
        ("cumtruong", "/clusters/HN-CUM2/signers?period=2022S1".to_owned()),
        ("hadong", format!("/units/HN-HADONG/forms/{}", current_half())),
        ("hadong", "/".to_owned()),
    ] {
        let (status, headers, body) = app.get_as(Some(who), &page).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let policy = headers["content-security-policy"].to_str().unwrap();
        assert!(!policy.contains("unsafe-inline"), "{policy}");
        assert!(
            !body.contains(" style=\""),
            "{page} has an inline style the policy refuses"
        );
        assert!(body.contains("rel=\"icon\""), "{page}");
    }
    let (status, headers, body) = app.get("/favicon.ico").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "image/svg+xml");
    assert!(body.starts_with("<svg"));
}

async fn figures_a_file_brought_show_in_the_unit_s_form_for_what_they_are(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    // The demo's 2022S1 figures were imported from its values file, never typed in a form.
    let (status, _, list) = app.get_as(Some("hadong"), "/units/HN-HADONG/forms").await;
    assert_eq!(status, StatusCode::OK);
    let line = list
        .split("/forms/2022S1\"")
        .nth(1)
        .and_then(|rest| rest.split("</li>").next())
        .unwrap_or_default();
    assert!(
        line.contains("Đã nhập từ tệp"),
        "the list says where the figures are: {line}"
    );
    let (status, _, form) = app.get_as(Some("hadong"), "/units/HN-HADONG/forms/2022S1").await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("Đã nhập từ tệp (số liệu chính thức)"), "{form}");
    assert!(
        form.contains("id=\"imported\"") && form.contains("số liệu chính thức do ") && form.contains(" nhập ngày "),
        "the import's audit entry is named: {form}"
    );
    assert!(
        form.contains("value=\"1.020\"") && form.contains("value=\"226\""),
        "Hà Đông's 1.020 funerals and 226 propaganda sessions are in its form"
    );
    assert!(form.contains("readonly"), "the window closed long ago: nothing to edit");
}

async fn the_ranking_before_any_score_prints_no_empty_scale(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let (status, _, page) = app
        .get_as(Some("cumtruong"), "/clusters/HN-CUM2/scores?year=2022")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Xếp hạng"), "{page}");
    assert!(
        !page.contains("thang điểm )"),
        "no scale named before any score: {page}"
    );
}
