//! Who may do what, through HTTP: the access matrix over every route and every role,
//! signing in and out, anti-forgery checks, and the reporting workflow end to end — on
//! SQLite and PostgreSQL.

use crate::common;

use axum::http::{StatusCode, header};
use common::{TestApp, current_half};
use thidua_store::Backend;

common::on_both_backends!(
    every_route_answers_every_role_as_the_access_rules_say,
    signing_in_sets_a_safe_cookie_and_signing_out_ends_the_session,
    a_wrong_password_is_refused_with_a_vietnamese_message,
    a_form_without_this_session_s_token_or_from_another_site_is_refused,
    an_officer_enters_vietnamese_numbers_submits_and_the_chair_accepts,
    a_bad_value_keeps_everything_typed_and_names_the_field,
    a_second_editor_s_stale_save_is_refused_with_a_clear_message,
    a_returned_form_shows_the_reason_to_its_officer,
    the_form_goes_to_excel_and_back_with_bad_cells_named,
    the_chair_publishes_the_review_and_the_public_reads_it_without_login,
    a_broken_template_is_previewed_with_its_line_and_never_saved,
    the_chair_records_the_conference_and_marks_a_direction_done,
    the_chair_records_who_signs_and_the_review_is_signed_by_them,
    an_error_page_keeps_the_signed_in_header_and_opens_with_a_capital,
    a_form_sent_with_figures_missing_names_them_and_is_sent_only_once_confirmed,
    a_return_without_a_reason_comes_back_on_the_form_and_a_decision_is_confirmed,
    the_conference_record_prints_as_a_bien_ban_and_every_page_has_a_print_style,
    the_history_of_a_cell_is_one_click_away,
);

/// Who asks: `None` is nobody signed in; `khac` is an officer outside the cluster.
const WHO: [Option<&str>; 7] = [
    None,
    Some("hadong"),
    Some("caugiay"),
    Some("khac"),
    Some("cumtruong"),
    Some("thanhpho"),
    Some("admin"),
];

const OK: u16 = 200;
const LOGIN: u16 = 303;
const NO: u16 = 403;
const UNAUTH: u16 = 401;

async fn every_route_answers_every_role_as_the_access_rules_say(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let form = format!("/units/HN-HADONG/forms/{}", current_half());
    let peer_form = format!("/units/HN-CAUGIAY/forms/{}", current_half());
    let history = format!("{form}/history/HV_HOI_CHO");
    let gets: Vec<(String, [u16; 7])> = vec![
        //                                                   anon   hadong caugiay khac  chair  upper  admin
        ("/".into(), [LOGIN, OK, OK, OK, OK, OK, OK]),
        (
            "/clusters/HN-CUM2?period=2022S1".into(),
            [LOGIN, OK, OK, NO, OK, OK, OK],
        ),
        (
            "/units/HN-CAUGIAY?period=2022S1".into(),
            [LOGIN, OK, OK, NO, OK, OK, OK],
        ),
        ("/units/HN-SOCSON?period=2022S1".into(), [LOGIN, NO, NO, OK, NO, OK, OK]),
        ("/search?q=ha+dong".into(), [LOGIN, OK, OK, OK, OK, OK, OK]),
        ("/units/HN-HADONG/forms".into(), [LOGIN, OK, NO, NO, OK, OK, OK]),
        (form.clone(), [LOGIN, OK, NO, NO, OK, OK, OK]),
        (peer_form.clone(), [LOGIN, NO, OK, NO, NO, OK, OK]),
        (history.clone(), [LOGIN, OK, NO, NO, OK, OK, OK]),
        (format!("{form}/xlsx"), [LOGIN, OK, NO, NO, OK, OK, OK]),
        ("/admin/users".into(), [LOGIN, NO, NO, NO, NO, NO, OK]),
        ("/admin/audit".into(), [LOGIN, NO, NO, NO, NO, NO, OK]),
        (
            "/clusters/HN-CUM2/report?period=2022S1".into(),
            [LOGIN, OK, OK, NO, OK, OK, OK],
        ),
        (
            "/clusters/HN-CUM2/report.txt?period=2022S1".into(),
            [LOGIN, OK, OK, NO, OK, OK, OK],
        ),
        (
            "/clusters/HN-CUM2/report.pdf?period=2022S1".into(),
            [LOGIN, OK, OK, NO, OK, OK, OK],
        ),
        (
            "/clusters/HN-CUM2/report.docx?period=2022S1".into(),
            [LOGIN, OK, OK, NO, OK, OK, OK],
        ),
        (
            "/clusters/HN-CUM2/emulation?year=2022".into(),
            [LOGIN, OK, OK, NO, OK, OK, OK],
        ),
        (
            "/clusters/HN-CUM2/signers?period=2022S1".into(),
            [LOGIN, OK, OK, NO, OK, OK, OK],
        ),
        (
            "/clusters/HN-CUM2/report/template?period=2022S1".into(),
            [LOGIN, NO, NO, NO, OK, OK, OK],
        ),
        ("/tin-tuc".into(), [OK, OK, OK, OK, OK, OK, OK]),
        ("/api/v1/clusters".into(), [UNAUTH, OK, OK, OK, OK, OK, OK]),
        (
            "/api/v1/clusters/HN-CUM2/rollup?period=2022S1".into(),
            [UNAUTH, OK, OK, NO, OK, OK, OK],
        ),
        (
            "/api/v1/units/HN-CAUGIAY/rollup?period=2022S1".into(),
            [UNAUTH, OK, OK, NO, OK, OK, OK],
        ),
        ("/api/v1/search?q=ha".into(), [UNAUTH, OK, OK, OK, OK, OK, OK]),
        ("/api/v1/openapi.json".into(), [OK, OK, OK, OK, OK, OK, OK]),
        ("/login".into(), [OK, OK, OK, OK, OK, OK, OK]),
        (
            "/clusters/HN-CUM2/ballots?year=2022".into(),
            [LOGIN, OK, OK, NO, OK, OK, OK],
        ),
        ("/awards".into(), [LOGIN, OK, OK, OK, OK, OK, OK]),
        (
            "/awards?cluster=HN-CUM2&year=2022".into(),
            [LOGIN, OK, OK, NO, OK, OK, OK],
        ),
        (
            "/awards/history?q=tran+thi+binh".into(),
            [LOGIN, OK, OK, OK, OK, OK, OK],
        ),
        ("/units/HN-CAUGIAY/awards".into(), [LOGIN, OK, OK, NO, OK, OK, OK]),
        ("/units/HN-SOCSON/awards".into(), [LOGIN, NO, NO, OK, NO, OK, OK]),
        (
            "/clusters/HN-CUM2/criteria?year=2022".into(),
            [LOGIN, OK, OK, NO, OK, OK, OK],
        ),
        (
            "/clusters/HN-CUM2/scores?year=2022".into(),
            [LOGIN, OK, OK, NO, OK, OK, OK],
        ),
        // A unit's sheets: itself, the chair, the upper level; peers once the cluster
        // has scored it (nobody has, in the demo).
        ("/units/HN-CAUGIAY/scores/2022".into(), [LOGIN, NO, OK, NO, OK, OK, OK]),
        (
            "/units/HN-CAUGIAY/scores/2022/self".into(),
            [LOGIN, NO, OK, NO, OK, OK, OK],
        ),
        (
            "/units/HN-CAUGIAY/scores/2022/cluster".into(),
            [LOGIN, NO, OK, NO, OK, OK, OK],
        ),
        (
            "/clusters/HN-CUM2/pledge?year=2022".into(),
            [LOGIN, OK, OK, NO, OK, OK, OK],
        ),
        (
            "/clusters/HN-CUM2/pledge.docx?year=2022".into(),
            [LOGIN, OK, OK, NO, OK, OK, OK],
        ),
        (
            "/clusters/HN-CUM2/pledge.pdf?year=2022".into(),
            [LOGIN, OK, OK, NO, OK, OK, OK],
        ),
    ];
    // Hà Đông's chair unit is Hà Đông itself, so the chair account may enter its form;
    // it reviews the others'. Drafts of other units stay private to everyone but upper
    // levels (who may reopen) and admins.
    let mut failures = Vec::new();
    for (uri, expected) in &gets {
        for (who, want) in WHO.iter().zip(expected) {
            let (status, _, _) = app.get_as(*who, uri).await;
            if status.as_u16() != *want {
                failures.push(format!("GET {uri} as {who:?}: {status}, expected {want}"));
            }
        }
    }
    // Saving Cầu Giấy's form: only Cầu Giấy's own officer.
    for (who, want) in WHO.iter().zip([LOGIN, NO, OK, NO, NO, NO, NO]) {
        let (status, _, _) = app
            .post_as(*who, &peer_form, &[("version", "0"), ("action", "save")])
            .await;
        if status.as_u16() != want {
            failures.push(format!("POST {peer_form} as {who:?}: {status}, expected {want}"));
        }
    }
    // Deciding on Hà Đông's form, still a draft: its reviewers (the upper level, admins)
    // are refused by the workflow with 409; everyone else may not even try — the chair
    // included, since Hà Đông is the chair's own unit (the upper level reviews it).
    for (who, want) in WHO.iter().zip([LOGIN, NO, NO, NO, NO, 409, 409]) {
        let (status, _, _) = app
            .post_as(
                *who,
                &format!("{form}/decision"),
                &[("version", "0"), ("action", "accept")],
            )
            .await;
        if status.as_u16() != want {
            failures.push(format!("POST {form}/decision as {who:?}: {status}, expected {want}"));
        }
    }
    // Disabling an account: only admins.
    for (who, want) in WHO.iter().zip([LOGIN, NO, NO, NO, NO, NO, LOGIN]) {
        let (status, _, _) = app
            .post_as(*who, "/admin/users/namtuliem/status", &[("disabled", "1")])
            .await;
        if status.as_u16() != want {
            failures.push(format!(
                "POST /admin/users/namtuliem/status as {who:?}: {status}, expected {want}"
            ));
        }
    }
    // Creating accounts: only admins.
    for (who, want) in WHO.iter().zip([LOGIN, NO, NO, NO, NO, NO, OK]) {
        let name = format!("new{}", who.unwrap_or("anon"));
        let fields = [
            ("username", name.as_str()),
            ("name", "Người mới"),
            ("role", "officer"),
            ("unit", "HN-TAYHO"),
            ("password", "mật-khẩu-dài"),
        ];
        let (status, _, _) = app.post_as(*who, "/admin/users", &fields).await;
        if status.as_u16() != want {
            failures.push(format!("POST /admin/users as {who:?}: {status}, expected {want}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

async fn signing_in_sets_a_safe_cookie_and_signing_out_ends_the_session(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };

    let (status, headers, _) = app
        .post_as(
            None,
            "/login",
            &[
                ("username", "hadong"),
                ("password", thidua_store::DEMO_PASSWORD),
                ("next", "/units/HN-HADONG"),
            ],
        )
        .await;

    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        headers.get(header::LOCATION).and_then(|v| v.to_str().ok()),
        Some("/units/HN-HADONG")
    );
    let cookie = headers
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let token = cookie
        .split(';')
        .next()
        .and_then(|kv| kv.split_once('='))
        .map(|(_, v)| v.to_owned())
        .unwrap_or_default();
    let session = app
        .state
        .store
        .session(&token)
        .await
        .ok()
        .flatten()
        .expect("no session");
    assert_eq!(session.user.username, "hadong");

    let request = axum::http::Request::post("/logout")
        .header(header::COOKIE, format!("thidua_session={token}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(format!("csrf={}", session.csrf_token)))
        .unwrap();
    let (status, _, _) = app.send(request).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(app.state.store.session(&token).await.ok().flatten().is_none());
}

async fn a_wrong_password_is_refused_with_a_vietnamese_message(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };

    let (status, headers, body) = app
        .post_as(None, "/login", &[("username", "hadong"), ("password", "sai-mật-khẩu")])
        .await;

    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(headers.get(header::SET_COOKIE).is_none());
    assert!(body.contains("Tên đăng nhập hoặc mật khẩu không đúng."), "{body}");
    assert!(body.contains("value=\"hadong\""), "the name typed is kept");
}

async fn a_form_without_this_session_s_token_or_from_another_site_is_refused(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let form = format!("/units/HN-HADONG/forms/{}", current_half());

    let (status, _, body) = app
        .post_as(
            Some("hadong"),
            &form,
            &[("csrf", "forged"), ("version", "0"), ("action", "save")],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("Biểu mẫu đã hết hạn hoặc không hợp lệ"), "{body}");

    let request = axum::http::Request::post(&form)
        .header(header::COOKIE, app.cookie(Some("hadong")))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "cross-site")
        .header(header::ORIGIN, "https://evil.example")
        .body(axum::body::Body::from(format!(
            "csrf={}&version=0&action=save",
            app.csrf("hadong")
        )))
        .unwrap();
    let (status, _, _) = app.send(request).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let stored = app
        .state
        .store
        .submission(&code("HN-HADONG"), current_half())
        .await
        .unwrap();
    assert_eq!(stored.version, 0, "nothing was written");
}

fn code(c: &str) -> thidua_core::UnitCode {
    thidua_core::UnitCode::parse(c).unwrap()
}

async fn an_officer_enters_vietnamese_numbers_submits_and_the_chair_accepts(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let period = current_half();
    let form = format!("/units/HN-TAYHO/forms/{period}");

    let (status, _, body) = app
        .post_as(
            Some("tayho"),
            &form,
            &[
                ("version", "0"),
                ("action", "save"),
                ("v_QUY_BIEN_DAO", "1,2 tỷ"),
                ("v_HV_TUYEN_TRUYEN", "1.084"),
                ("results", "Tổ chức tốt Ngày hội"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("Đã lưu nháp."));
    assert!(
        body.contains("value=\"1.200.000.000\"") && body.contains("value=\"1.084\""),
        "values are shown back formatted"
    );

    let (status, _, body) = app
        .post_as(
            Some("tayho"),
            &form,
            &[
                ("version", "1"),
                ("action", "submit_anyway"),
                ("v_QUY_BIEN_DAO", "1.200.000.000"),
                ("v_HV_TUYEN_TRUYEN", "1.084"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("Đã gửi, chờ duyệt"));

    let (status, _, body) = app.get_as(Some("cumtruong"), &form).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Duyệt báo cáo"), "the chair sees the review form");
    let (status, headers, _) = app
        .post_as(
            Some("cumtruong"),
            &format!("{form}/decision"),
            &[("version", "2"), ("action", "accept")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{headers:?}");

    let (_, _, cluster) = app
        .get_as(Some("hadong"), &format!("/clusters/HN-CUM2?period={period}"))
        .await;
    assert!(
        cluster.contains("1.200.000.000") && cluster.contains("1.084"),
        "accepted figures reach the cluster page"
    );
    assert!(cluster.contains("Đã duyệt"), "the completeness table shows the state");
}

async fn a_bad_value_keeps_everything_typed_and_names_the_field(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let form = format!("/units/HN-TAYHO/forms/{}", current_half());

    let (status, _, body) = app
        .post_as(
            Some("tayho"),
            &form,
            &[
                ("version", "0"),
                ("action", "save"),
                ("v_HV_HOI_CHO", "ba"),
                ("v_HV_TUYEN_TRUYEN", "1.084"),
                ("results", "Đoạn văn đã gõ"),
            ],
        )
        .await;

    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("Số hội chợ và phiên chợ hàng Việt Nam: «ba» không phải là số"),
        "{body}"
    );
    assert!(body.contains("value=\"ba\"") && body.contains("value=\"1.084\"") && body.contains("Đoạn văn đã gõ"));
    let stored = app
        .state
        .store
        .submission(&code("HN-TAYHO"), current_half())
        .await
        .unwrap();
    assert_eq!(stored.version, 0, "nothing half-written");
}

async fn a_second_editor_s_stale_save_is_refused_with_a_clear_message(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let form = format!("/units/HN-TAYHO/forms/{}", current_half());
    app.post_as(
        Some("tayho"),
        &form,
        &[("version", "0"), ("action", "save"), ("v_HV_HOI_CHO", "2")],
    )
    .await;

    let (status, _, body) = app
        .post_as(
            Some("tayho"),
            &form,
            &[("version", "0"), ("action", "save"), ("v_HV_HOI_CHO", "9")],
        )
        .await;

    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body.contains("vừa được người khác cập nhật"), "{body}");
    assert!(
        body.contains("value=\"9\""),
        "what the second editor typed is still on screen"
    );
    let stored = app
        .state
        .store
        .submission(&code("HN-TAYHO"), current_half())
        .await
        .unwrap();
    assert_eq!(
        stored
            .values
            .get(&thidua_core::IndicatorCode::parse("HV_HOI_CHO").unwrap()),
        Some(&thidua_core::Value::Whole(2))
    );
}

async fn a_returned_form_shows_the_reason_to_its_officer(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let form = format!("/units/HN-TAYHO/forms/{}", current_half());
    app.post_as(
        Some("tayho"),
        &form,
        &[("version", "0"), ("action", "submit_anyway"), ("v_HV_HOI_CHO", "2")],
    )
    .await;

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

    let (_, _, body) = app.get_as(Some("tayho"), &form).await;
    assert!(
        body.contains("Bị trả lại") && body.contains("Bổ sung số liệu Quỹ Vì người nghèo"),
        "{body}"
    );
    assert!(body.contains("Gửi duyệt"), "the officer can edit and submit again");
}

async fn the_chair_records_who_signs_and_the_review_is_signed_by_them(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let (status, _, page) = app
        .get_as(Some("hadong"), "/clusters/HN-CUM2/signers?period=2022S1")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !page.contains("Lưu người ký"),
        "a member reads the page but has no button"
    );
    let mut fields = vec![
        ("period", "2022S1"),
        ("authority", "Thay mặt Ban Thường trực"),
        ("chair_title", "Chủ tịch"),
        ("chair_name", "Nguyễn Văn An"),
        ("secretary", "Lê Thị Hoa"),
        ("teller", "Trần Văn Bình"),
    ];
    let (status, _, _) = app.post_as(Some("hadong"), "/clusters/HN-CUM2/signers", &fields).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "an officer does not record the signers");

    let (status, _, page) = app
        .post_as(Some("cumtruong"), "/clusters/HN-CUM2/signers", &fields)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(
        page.contains("dòng thẩm quyền ký") && page.contains("TM., KT."),
        "the reason names the field: {page}"
    );
    assert!(
        page.contains("value=\"Nguyễn Văn An\"") && page.contains("value=\"Trần Văn Bình\""),
        "what was typed is kept"
    );

    fields[1] = ("authority", "tm. Ban Thường trực");
    let (status, _, page) = app
        .post_as(Some("cumtruong"), "/clusters/HN-CUM2/signers", &fields)
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Đã lưu người ký") && page.contains("value=\"TM. BAN THƯỜNG TRỰC\""));

    let (status, _, docx) = app
        .get_bytes_as(Some("hadong"), "/clusters/HN-CUM2/report.docx?period=2022S1")
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(docx)).unwrap();
    let mut xml = String::new();
    std::io::Read::read_to_string(&mut archive.by_name("word/document.xml").unwrap(), &mut xml).unwrap();
    assert!(
        xml.contains("TM. BAN THƯỜNG TRỰC") && xml.contains("CHỦ TỊCH") && xml.contains("Nguyễn Văn An"),
        "the review's signature block carries the recorded signer"
    );
}

async fn an_error_page_keeps_the_signed_in_header_and_opens_with_a_capital(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let (status, _, page) = app.get_as(Some("hadong"), "/units/HN-KHONGCO?period=2022S1").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        page.contains("Đăng xuất") && !page.contains("href=\"/login\""),
        "the header still shows who is signed in: {page}"
    );
    let message = page
        .split("<section class=\"error\">")
        .nth(1)
        .and_then(|s| s.split("<p>").nth(1))
        .unwrap_or_default();
    assert!(
        message.chars().next().is_some_and(char::is_uppercase),
        "the message reads as a sentence: {message}"
    );
}

async fn a_form_sent_with_figures_missing_names_them_and_is_sent_only_once_confirmed(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let form = format!("/units/HN-TAYHO/forms/{}", current_half());
    let (status, _, body) = app
        .post_as(
            Some("tayho"),
            &form,
            &[("version", "0"), ("action", "submit"), ("v_HV_HOI_CHO", "2")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body.contains("chỉ tiêu chưa có số liệu") && body.contains("Số đám tang (ca tử vong) trên địa bàn"),
        "the missing figures are named: {body}"
    );
    assert!(
        body.contains("Đang soạn") && !body.contains("Đã gửi, chờ duyệt"),
        "not sent yet"
    );
    assert!(
        body.contains("id=\"v_HV_HOI_CHO\" name=\"v_HV_HOI_CHO\" value=\"2\""),
        "what was typed is kept"
    );
    let (_, _, chair) = app.get_as(Some("cumtruong"), "/").await;
    assert!(
        !chair.contains(&format!("href=\"{form}\"")),
        "nothing waits for the chair"
    );

    let (status, _, body) = app
        .post_as(
            Some("tayho"),
            &form,
            &[("version", "1"), ("action", "submit_anyway"), ("v_HV_HOI_CHO", "2")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("Đã gửi, chờ duyệt"), "sent once confirmed: {body}");
}

async fn a_return_without_a_reason_comes_back_on_the_form_and_a_decision_is_confirmed(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let form = format!("/units/HN-TAYHO/forms/{}", current_half());
    app.post_as(
        Some("tayho"),
        &form,
        &[("version", "0"), ("action", "submit_anyway"), ("v_HV_HOI_CHO", "2")],
    )
    .await;
    let decision = format!("{form}/decision");
    let (status, _, body) = app
        .post_as(
            Some("cumtruong"),
            &decision,
            &[("version", "1"), ("action", "return"), ("reason", "   ")],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body.contains("Duyệt báo cáo") && body.contains("Đăng xuất"),
        "the form itself, signed in: {body}"
    );
    assert!(body.contains("lý do") || body.contains("Lý do"), "{body}");
    assert!(body.contains("Đã gửi, chờ duyệt"), "nothing changed");

    let (status, headers, _) = app
        .post_as(Some("cumtruong"), &decision, &[("version", "1"), ("action", "accept")])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let next = headers[header::LOCATION].to_str().unwrap().to_owned();
    let (_, _, body) = app.get_as(Some("cumtruong"), &next).await;
    assert!(body.contains("Đã duyệt báo cáo"), "a notice after the decision: {body}");
    let (_, _, body) = app
        .get_as(Some("cumtruong"), &format!("{form}?done=%3Cb%3Ex%3C%2Fb%3E"))
        .await;
    assert!(
        !body.contains("<b>x</b>") && !body.contains("id=\"notice\""),
        "the address puts no words on the page"
    );
}

async fn the_conference_record_prints_as_a_bien_ban_and_every_page_has_a_print_style(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let (status, _, page) = app
        .get_as(Some("hadong"), "/clusters/HN-CUM2/conference/print?period=2022S1")
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    for line in [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "BIÊN BẢN HỘI NGHỊ SƠ KẾT 6 THÁNG ĐẦU NĂM 2022",
        "ngày 25 tháng 7 năm 2022",
        "Nguyễn Anh Tuấn — Phó Chủ tịch Thường trực",
        "THƯ KÝ",
        "(chưa ghi người ký)",
    ] {
        assert!(page.contains(line), "{line}: {page}");
    }
    let (status, _, _) = app
        .get_as(Some("khac"), "/clusters/HN-CUM2/conference/print?period=2022S1")
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "outside the cluster");
    let (status, _, page) = app
        .get_as(Some("hadong"), "/clusters/HN-CUM2/conference/print?period=2022S2")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "no record yet: {page}");
    assert!(page.contains("Chưa có biên bản"), "{page}");
    let (_, _, css) = app.get("/static/style.css").await;
    let print = css.split("@media print {").nth(1).unwrap_or_default();
    assert!(
        print.contains("header.site") && print.contains("display: none") && print.contains("button"),
        "printing leaves out the header and the buttons"
    );
}

async fn the_history_of_a_cell_is_one_click_away(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let form = format!("/units/HN-TAYHO/forms/{}", current_half());
    app.post_as(
        Some("tayho"),
        &form,
        &[("version", "0"), ("action", "save"), ("v_HV_HOI_CHO", "2")],
    )
    .await;
    app.post_as(
        Some("tayho"),
        &form,
        &[("version", "1"), ("action", "save"), ("v_HV_HOI_CHO", "3")],
    )
    .await;

    let (_, _, page) = app.get_as(Some("tayho"), &form).await;
    assert!(page.contains(&format!("href=\"{form}/history/HV_HOI_CHO\"")));
    let (status, _, history) = app.get_as(Some("tayho"), &format!("{form}/history/HV_HOI_CHO")).await;

    assert_eq!(status, StatusCode::OK);
    assert!(
        history.contains("Sửa số liệu") && history.contains("tayho"),
        "{history}"
    );
    assert!(history.contains("<td>2</td><td>3</td>"), "{history}");
}

/// A multipart body with the anti-forgery token, the version and one file.
fn multipart(csrf: &str, version: &str, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "thidua-test-boundary";
    let mut body = Vec::new();
    for (name, value) in [("csrf", csrf), ("version", version)] {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    body.extend(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"bieu-mau.xlsx\"\r\nContent-Type: application/octet-stream\r\n\r\n")
            .as_bytes(),
    );
    body.extend(file);
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn the_form_goes_to_excel_and_back_with_bad_cells_named(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let period = current_half();
    let form = format!("/units/HN-TAYHO/forms/{period}");
    let (status, headers, _) = app.get_as(Some("tayho"), &format!("{form}/xlsx")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("spreadsheetml"))
    );

    // The officer fills the workbook in Excel (here: written with the same library).
    let catalog = app.state.store.catalog().await.unwrap();
    let ind = |c: &str| thidua_core::IndicatorCode::parse(c).unwrap();
    let filled = |hoi_cho: thidua_core::Value| {
        let values = std::collections::BTreeMap::from([
            (ind("HV_TUYEN_TRUYEN"), thidua_core::Value::Whole(1084)),
            (ind("HV_HOI_CHO"), hoi_cho),
        ]);
        thidua_report::form_sheet::write_form(&thidua_report::form_sheet::FormSheet {
            unit_code: "HN-TAYHO",
            unit_name: "Ủy ban MTTQ Việt Nam quận Tây Hồ",
            period,
            catalog: &catalog,
            values: &values,
            narrative: ["Làm tốt công tác vận động", "", ""],
        })
        .unwrap()
    };
    let post = |file: Vec<u8>, who: &'static str| {
        let (content_type, body) = multipart(&app.csrf(who), "0", &file);
        axum::http::Request::post(format!("{form}/xlsx"))
            .header(header::COOKIE, app.cookie(Some(who)))
            .header(header::CONTENT_TYPE, content_type)
            .body(axum::body::Body::from(body))
            .unwrap()
    };

    let (status, _, body) = app
        .send(post(filled(thidua_core::Value::Text("ba".into())), "tayho"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("trang «Biểu mẫu», ô D"), "{body}");
    assert!(body.contains("«ba» không phải là số"), "{body}");
    let stored = app.state.store.submission(&code("HN-TAYHO"), period).await.unwrap();
    assert_eq!(stored.version, 0, "a bad workbook writes nothing");

    let (status, _, _) = app.send(post(filled(thidua_core::Value::Whole(3)), "caugiay")).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "another unit's officer cannot upload here"
    );

    let (status, _, body) = app.send(post(filled(thidua_core::Value::Whole(3)), "tayho")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body.contains("Đã nhập số liệu từ tệp Excel") && body.contains("value=\"1.084\""),
        "{body}"
    );
    let stored = app.state.store.submission(&code("HN-TAYHO"), period).await.unwrap();
    assert_eq!(
        stored.values.get(&ind("HV_HOI_CHO")),
        Some(&thidua_core::Value::Whole(3))
    );
    assert_eq!(stored.narrative.results, "Làm tốt công tác vận động");
}

async fn the_chair_publishes_the_review_and_the_public_reads_it_without_login(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let (status, _, page) = app
        .get_as(Some("cumtruong"), "/clusters/HN-CUM2/report?period=2022S1")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("tỷ lệ hỏa táng đạt 85,01%") && page.contains("trên 10 tỷ đồng"),
        "{page}"
    );
    assert!(page.contains("Chưa ban hành"), "no number before it is issued");
    // Not before its signer is recorded: the page says so and offers no button, and a
    // post anyway is refused, nothing issued.
    assert!(
        page.contains("Chưa ghi người ký văn bản của Cụm thi đua số 2 năm 2022")
            && page.contains("href=\"/clusters/HN-CUM2/signers?period=2022S1\""),
        "{page}"
    );
    assert!(!page.contains("Ban hành và đăng lên trang tin tức"), "{page}");
    let (status, _, refused) = app
        .post_as(
            Some("cumtruong"),
            "/clusters/HN-CUM2/report/publish",
            &[("period", "2022S1")],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert!(
        refused.contains("báo cáo ban hành phải có họ tên và chức vụ người ký"),
        "{refused}"
    );
    app.record_2022_signers().await;
    let (_, _, page) = app
        .get_as(Some("cumtruong"), "/clusters/HN-CUM2/report?period=2022S1")
        .await;
    assert!(page.contains("Ban hành và đăng lên trang tin tức"), "{page}");
    assert!(page.contains("Chưa ban hành"), "still no number: {page}");

    let (status, _, _) = app
        .post_as(
            Some("hadong"),
            "/clusters/HN-CUM2/report/publish",
            &[("period", "2022S1")],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "an officer cannot publish");
    let (status, headers, _) = app
        .post_as(
            Some("cumtruong"),
            "/clusters/HN-CUM2/report/publish",
            &[("period", "2022S1")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let location = headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(location.starts_with("/tin-tuc/"), "{location}");

    // Publishing issued the report with the first number of the cluster's register, and
    // publishing again does not take another.
    let (_, _, page) = app
        .get_as(Some("cumtruong"), "/clusters/HN-CUM2/report?period=2022S1")
        .await;
    assert!(page.contains("Đã ban hành, Số: 1/BC-CTĐ."), "{page}");
    app.post_as(
        Some("cumtruong"),
        "/clusters/HN-CUM2/report/publish",
        &[("period", "2022S1")],
    )
    .await;
    let (_, _, page) = app
        .get_as(Some("cumtruong"), "/clusters/HN-CUM2/report?period=2022S1")
        .await;
    assert!(page.contains("Số: 1/BC-CTĐ"), "{page}");
    let (status, headers, pdf) = app
        .get_as(Some("hadong"), "/clusters/HN-CUM2/report.pdf?period=2022S1")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()),
        Some("application/pdf")
    );
    assert!(pdf.starts_with("%PDF-"));

    let (status, _, list) = app.get_as(None, "/tin-tuc").await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains("Cụm thi đua số 2 - Ủy ban MTTQ Việt Nam Thành phố Hà Nội sơ kết công tác thi đua khen thưởng 6 tháng đầu năm 2022"), "{list}");
    let (status, _, article) = app.get_as(None, &location).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        article.contains("Sáng 25/7, tại quận Hà Đông") && article.contains("1.084 cuộc"),
        "{article}"
    );
    assert_eq!(
        article
            .matches("<p class=\"author\">Ủy ban MTTQ quận Hà Đông</p>")
            .count()
            + article.matches("<p>Ủy ban MTTQ quận Hà Đông</p>").count(),
        1,
        "the author unit signs it, once: {article}"
    );
    let stamp = format!(
        "{} ",
        thidua_core::period::format_date_vi(chrono::Local::now().date_naive())
    );
    assert!(
        article.contains(&stamp) && !article.contains(" PM<") && !article.contains(" AM<"),
        "date and time as «26/7/2022 16:09»: {article}"
    );
}

async fn a_broken_template_is_previewed_with_its_line_and_never_saved(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };

    let broken = "Dòng một\nDòng hai {{ cluster.name }\n";
    let (status, _, page) = app
        .post_as(
            Some("thanhpho"),
            "/clusters/HN-CUM2/report/template?period=2022S1",
            &[("body", broken), ("action", "save")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Mẫu báo cáo, dòng 2: cú pháp mẫu sai"), "{page}");
    assert!(page.contains("Chưa lưu: mẫu còn lỗi."));
    let (_, _, report) = app
        .get_as(Some("hadong"), "/clusters/HN-CUM2/report?period=2022S1")
        .await;
    assert!(
        report.contains("85,01%"),
        "the report still uses the last good template"
    );

    let custom = "{{ cluster.name }} đạt {% for g in groups %}{% for i in g.indicators if i.code == \"HV_TUYEN_TRUYEN\" %}{{ i.spoken }}{% endfor %}{% endfor %} tuyên truyền.";
    let (status, _, page) = app
        .post_as(
            Some("thanhpho"),
            "/clusters/HN-CUM2/report/template?period=2022S1",
            &[("body", custom), ("action", "preview")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Cụm thi đua số 2 đạt 1.084 cuộc tuyên truyền."),
        "the preview renders live"
    );
    app.post_as(
        Some("thanhpho"),
        "/clusters/HN-CUM2/report/template?period=2022S1",
        &[("body", custom), ("action", "save")],
    )
    .await;
    let (_, _, report) = app
        .get_as(Some("hadong"), "/clusters/HN-CUM2/report?period=2022S1")
        .await;
    assert!(
        report.contains("Cụm thi đua số 2 đạt 1.084 cuộc tuyên truyền."),
        "{report}"
    );
}

async fn the_chair_records_the_conference_and_marks_a_direction_done(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let (status, _, page) = app
        .get_as(Some("cumtruong"), "/clusters/HN-CUM2/conference?period=2022S1")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("value=\"2022-07-25\"") && page.contains("Nguyễn Anh Tuấn — Phó Chủ tịch Thường trực"),
        "{page}"
    );

    let fields = [
        ("period", "2022S1"),
        ("kind", "so-ket"),
        ("held_on", "2022-07-25"),
        ("time_of_day", "Sáng"),
        ("place", "quận Hà Đông"),
        ("host", "HN-HADONG"),
        ("issuer", "Ủy ban MTTQ Việt Nam Thành phố Hà Nội"),
        ("author", "Ủy ban MTTQ quận Hà Đông"),
        ("theme", "Phát huy sức mạnh khối đại đoàn kết toàn dân tộc"),
        (
            "attendees",
            "Nguyễn Anh Tuấn — Phó Chủ tịch Thường trực Ủy ban MTTQ Việt Nam Thành phố Hà Nội",
        ),
        ("done_0", "on"),
        ("new_directions", "Tổ chức Ngày hội Đại đoàn kết ở 100% khu dân cư"),
    ];
    let (status, _, _) = app
        .post_as(Some("hadong"), "/clusters/HN-CUM2/conference", &fields)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "an officer does not write the record");
    let (status, _, page) = app
        .post_as(Some("cumtruong"), "/clusters/HN-CUM2/conference", &fields)
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Đã lưu biên bản hội nghị."));
    assert!(
        page.contains("name=\"done_0\" checked"),
        "the first direction is marked done"
    );

    let stored = app
        .state
        .store
        .review_conference(
            &thidua_core::ClusterCode::parse("HN-CUM2").unwrap(),
            thidua_core::Period::HalfYear(2022, 1),
        )
        .await
        .ok()
        .flatten()
        .expect("no conference");
    assert_eq!(stored.directions.len(), 6);
    assert!(stored.directions[0].done_on.is_some() && stored.directions[1].done_on.is_none());
    let (_, _, report) = app
        .get_as(Some("hadong"), "/clusters/HN-CUM2/report?period=2022S1")
        .await;
    assert!(
        report.contains("6. Tổ chức Ngày hội Đại đoàn kết ở 100% khu dân cư."),
        "{report}"
    );
}
