//! Thông báo: a returned form tells its unit's officer (the list, the header's count,
//! marking read), the deadline sweep reminds once per form not yet sent, and with an SMTP
//! server the notification goes by mail too — or is marked failed, the action done.

use crate::common;

use axum::http::StatusCode;
use common::smtp_sink::{self, SmtpSink};
use common::{TestApp, current_half};
use thidua_store::Backend;

common::on_both_backends!(
    a_returned_form_tells_its_officer_and_no_one_else,
    the_deadline_sweep_reminds_once_each_unit_whose_form_is_not_sent,
    a_returned_form_is_mailed_to_the_officer_and_a_dead_server_leaves_the_mail_failed,
    an_opened_ballot_tells_the_officers_of_the_units_that_vote,
    a_recorded_decision_tells_the_recipient_s_unit_and_the_proposing_cluster_s_chair,
);

/// Tây Hồ sends its form and the chair returns it.
async fn send_and_return(app: &TestApp) {
    let form = format!("/units/HN-TAYHO/forms/{}", current_half());
    let (status, _, _) = app
        .post_as(
            Some("tayho"),
            &form,
            &[("version", "0"), ("action", "submit_anyway"), ("v_HV_HOI_CHO", "2")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = app
        .post_as(
            Some("cumtruong"),
            &format!("{form}/decision"),
            &[("version", "1"), ("action", "return"), ("reason", "Bổ sung số liệu")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

async fn a_returned_form_tells_its_officer_and_no_one_else(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    send_and_return(&app).await;

    let (status, _, page) = app.get_as(Some("tayho"), "/notifications").await;
    assert_eq!(status, StatusCode::OK);
    let link = format!("href=\"/units/HN-TAYHO/forms/{}\"", current_half());
    assert!(
        page.contains("bị trả lại. Lý do: Bổ sung số liệu") && page.contains(&link),
        "{page}"
    );
    assert!(
        page.contains("Thông báo <span class=\"badge\">1</span>"),
        "the header counts it: {page}"
    );
    let (_, _, peer) = app.get_as(Some("hadong"), "/notifications").await;
    assert!(peer.contains("Chưa có thông báo nào."), "a peer hears nothing: {peer}");

    let (status, _, _) = app.post_as(Some("tayho"), "/notifications/read", &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, page) = app.get_as(Some("tayho"), "/notifications").await;
    assert!(
        !page.contains("<span class=\"badge\">1</span>") && page.contains("Bổ sung số liệu"),
        "{page}"
    );
    let (status, _, _) = app
        .post_as(Some("tayho"), "/notifications/read", &[("csrf", "wrong")])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn the_deadline_sweep_reminds_once_each_unit_whose_form_is_not_sent(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let store = app.state.app.store();
    let form = format!("/units/HN-TAYHO/forms/{}", current_half());
    let (status, _, _) = app
        .post_as(
            Some("tayho"),
            &form,
            &[("version", "0"), ("action", "submit_anyway"), ("v_HV_HOI_CHO", "2")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let deadline = store.reporting_window(current_half()).await.unwrap().deadline;
    let day = deadline - chrono::Duration::days(2);

    for _ in 0..2 {
        thidua_app::notifications::remind_deadlines(&app.state.app, day)
            .await
            .unwrap();
    }
    let hadong = store.user("hadong").await.unwrap();
    let reminders = store.notifications(hadong.id).await.unwrap();
    assert_eq!(reminders.len(), 1, "{reminders:?}");
    assert!(
        reminders[0].message.starts_with("Còn 2 ngày đến hạn nộp báo cáo"),
        "{reminders:?}"
    );
    let tayho = store.user("tayho").await.unwrap();
    assert!(
        store.notifications(tayho.id).await.unwrap().is_empty(),
        "a sent form is not reminded"
    );
}

/// The notification a user last received.
async fn last_of(app: &TestApp, who: &str) -> i64 {
    let store = app.state.app.store();
    let user = store.user(who).await.unwrap();
    store.notifications(user.id).await.unwrap()[0].id
}

async fn a_returned_form_is_mailed_to_the_officer_and_a_dead_server_leaves_the_mail_failed(backend: Backend) {
    let Some(mut app) = TestApp::with_demo(backend).await else {
        return;
    };
    let sink = SmtpSink::start().await;
    let mailer = thidua_app::mail::Mailer::new(
        &format!("smtp://127.0.0.1:{}", sink.port),
        "Thi đua <noreply@thidua.test>",
        "https://thidua.test",
    )
    .unwrap();
    app.state.app = app.state.app.clone().with_mailer(mailer);
    let (status, _, _) = app
        .post_as(Some("tayho"), "/account/email", &[("email", "can bo@tayho")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, _, page) = app
        .post_as(Some("tayho"), "/account/email", &[("email", "canbo@tayho.hanoi.vn")])
        .await;
    assert!(page.contains("Đã lưu địa chỉ thư điện tử"), "{page}");

    send_and_return(&app).await;
    let sent = thidua_app::mail::send_pending(&app.state.app).await.unwrap();
    assert_eq!(sent, 1);
    let messages = sink.messages.lock().unwrap().clone();
    assert_eq!(messages.len(), 1);
    let (rcpt, data) = &messages[0];
    assert!(rcpt[0].contains("canbo@tayho.hanoi.vn"), "{rcpt:?}");
    assert!(
        data.lines()
            .any(|l| l.starts_with("Subject:") && l.contains("=?utf-8?b?")),
        "a Vietnamese subject is RFC 2047-encoded: {data}"
    );
    let subject = smtp_sink::header(data, "Subject").unwrap();
    assert_eq!(
        subject,
        format!(
            "[Thi đua] Báo cáo {} của Ủy ban MTTQ Việt Nam quận Tây Hồ bị trả lại. Lý do: Bổ sung số liệu",
            current_half().label_vi().to_lowercase()
        ),
        "the subject reads as sent"
    );
    let body = smtp_sink::body(data);
    assert!(body.starts_with("Kính gửi "), "{body}");
    assert!(body.contains("Lý do: Bổ sung số liệu"), "{body}");
    assert!(
        body.contains(&format!(
            "Xem tại: https://thidua.test/units/HN-TAYHO/forms/{}",
            current_half()
        )),
        "the link is absolute, on the public address: {body}"
    );
    let id = last_of(&app, "tayho").await;
    assert_eq!(app.state.app.store().mail_state(id).await.unwrap().0, "sent");

    // A server that is gone: the chair's action still succeeds, the mail fails after tries.
    let gone = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = gone.local_addr().unwrap().port();
    drop(gone);
    let mailer = thidua_app::mail::Mailer::new(&format!("smtp://127.0.0.1:{port}"), "noreply@thidua.test", "").unwrap();
    app.state.app = app.state.app.clone().with_mailer(mailer);
    let form = format!("/units/HN-TAYHO/forms/{}", current_half());
    let (status, _, _) = app
        .post_as(
            Some("tayho"),
            &form,
            &[("version", "2"), ("action", "submit_anyway"), ("v_HV_HOI_CHO", "3")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = app
        .post_as(
            Some("cumtruong"),
            &format!("{form}/decision"),
            &[("version", "3"), ("action", "return"), ("reason", "Lần nữa")],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "the return succeeds whatever the mail does"
    );
    for _ in 0..thidua_store::MAX_MAIL_TRIES {
        thidua_app::mail::send_pending(&app.state.app).await.unwrap();
    }
    let id = last_of(&app, "tayho").await;
    assert_eq!(
        app.state.app.store().mail_state(id).await.unwrap(),
        ("failed".to_owned(), thidua_store::MAX_MAIL_TRIES)
    );
}

/// The kinds, messages and links of what `who` has been told, newest first.
async fn told(app: &TestApp, who: &str) -> Vec<(String, String, String)> {
    let store = app.state.app.store();
    let user = store.user(who).await.unwrap();
    store
        .notifications(user.id)
        .await
        .unwrap()
        .into_iter()
        .map(|n| (n.kind, n.message, n.link))
        .collect()
}

async fn an_opened_ballot_tells_the_officers_of_the_units_that_vote(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let (status, headers, body) = app
        .post_as(
            Some("cumtruong"),
            "/clusters/HN-CUM2/ballots",
            &[
                ("year", "2022"),
                ("title", "Phiếu suy tôn năm 2022"),
                ("leading", "1"),
                ("leading_t", "qua-ban"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let ballot = headers.get("location").unwrap().to_str().unwrap().to_owned();

    let expected = (
        "ballot".to_owned(),
        "Cụm thi đua số 2 năm 2022 đã mở cuộc bỏ phiếu «Phiếu suy tôn năm 2022»: mời đơn vị bỏ phiếu.".to_owned(),
        ballot.clone(),
    );
    for member in ["caugiay", "tayho", "hadong"] {
        assert_eq!(
            told(&app, member).await,
            std::slice::from_ref(&expected),
            "{member} is told"
        );
    }
    assert!(
        told(&app, "thanhpho").await.is_empty(),
        "the city does not vote in the cluster"
    );
    let (_, _, home) = app.get_as(Some("caugiay"), "/").await;
    assert!(
        home.contains("Thông báo <span class=\"badge\">1</span>"),
        "the header counts it: {home}"
    );
    let (_, _, list) = app.get_as(Some("caugiay"), "/notifications").await;
    assert!(
        list.contains(&format!("href=\"{ballot}\"")) && list.contains("Phiếu suy tôn năm 2022"),
        "{list}"
    );
}

async fn a_recorded_decision_tells_the_recipient_s_unit_and_the_proposing_cluster_s_chair(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let person = TestApp::PERSON_PROPOSAL;
    let (status, _, _) = app.post_as(Some("thanhpho"), "/awards/proposals", &person).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let store = app.state.app.store();
    let proposal = store
        .proposals(&thidua_store::ProposalFilter {
            year: Some(2022),
            ..Default::default()
        })
        .await
        .unwrap()
        .remove(0);
    app.post_as(
        Some("thanhpho"),
        &format!("/awards/proposals/{}", proposal.id),
        &[("action", "review"), ("version", "1")],
    )
    .await;
    let id = proposal.id.to_string();
    let (status, headers, _) = app
        .post_as(
            Some("thanhpho"),
            "/awards/decisions",
            &[
                ("proposal", id.as_str()),
                ("number", "125/QĐ-MTTQ-BTT"),
                ("signed_on", "2023-01-15"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let decision = headers.get("location").unwrap().to_str().unwrap().to_owned();

    let told_tayho = told(&app, "tayho").await;
    assert_eq!(told_tayho.len(), 1, "{told_tayho:?}");
    let (kind, message, link) = &told_tayho[0];
    assert_eq!((kind.as_str(), link.as_str()), ("decision", decision.as_str()));
    assert!(
        message.starts_with(
            "Đã có Quyết định số 125/QĐ-MTTQ-BTT ngày 15/1/2023 tặng Bằng khen của Ủy ban MTTQ Việt Nam Thành phố Hà Nội cho Trần Thị Bình — Phó Chủ tịch Ủy ban MTTQ quận Tây Hồ"
        ),
        "{message}"
    );
    assert_eq!(
        told(&app, "cumtruong").await.len(),
        1,
        "the chair that proposed hears of it"
    );
    assert!(
        told(&app, "caugiay").await.is_empty(),
        "a member not concerned does not"
    );
}
