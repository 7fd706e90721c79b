//! The hostile review's access findings (issue 9, item 7), each as it was done, through
//! HTTP on SQLite and PostgreSQL: the chair accepting its own unit's report, the home
//! page's statements growing with the clusters, a decision naming recipients outside the
//! viewer's part, peers seeing each other's drafts, and a cluster's years told to someone
//! who may not see it.

use crate::common;

use axum::http::StatusCode;
use common::statements::count_statements;
use common::{TestApp, current_half};
use thidua_core::emulation::award::{AwardDecision, AwardFormCode, ProposalRights, Recipient};
use thidua_core::{Principal, UnitCode};
use thidua_store::{Actor, Backend, DecisionInput};

common::on_both_backends!(
    the_chair_cannot_accept_its_own_unit_s_report,
    the_home_page_makes_as_many_statements_for_300_clusters_as_for_6,
    a_decision_page_shows_only_recipients_the_viewer_may_see,
    peers_see_not_sent_rather_than_draft,
    a_user_without_the_right_learns_no_years_of_a_cluster,
    a_user_without_the_right_learns_nothing_of_a_unit_s_scores,
);

fn code<T: TryFrom<String>>(c: &str) -> T
where
    T::Error: std::fmt::Display,
{
    T::try_from(c.to_owned()).unwrap_or_else(|e| panic!("{c}: {e}"))
}

async fn principal(app: &TestApp, who: &str) -> Principal {
    app.state.store.user(who).await.unwrap().principal()
}

/// `who` saves a figure into their unit's form of the current half-year, and submits it
/// when `submit`; the form's version is then 1 (saved) or 2 (submitted).
async fn enter(app: &TestApp, who: &str, unit: &str, submit: bool) {
    let form = format!("/units/{unit}/forms/{}", current_half());
    let (status, _, body) = app
        .post_as(
            Some(who),
            &form,
            &[("version", "0"), ("action", "save"), ("v_HV_TUYEN_TRUYEN", "1.084")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    if submit {
        let (status, _, body) = app
            .post_as(
                Some(who),
                &form,
                &[
                    ("version", "1"),
                    ("action", "submit_anyway"),
                    ("v_HV_TUYEN_TRUYEN", "1.084"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.contains("Đã gửi, chờ duyệt"), "{body}");
    }
}

/// The chair's unit (Hà Đông) is a member of the cluster it chairs: its officer submits,
/// and the chair — an officer of that same unit — accepted its own report. Now only
/// another reviewer, the upper level, decides on it.
async fn the_chair_cannot_accept_its_own_unit_s_report(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    enter(&app, "hadong", "HN-HADONG", true).await;
    let form = format!("/units/HN-HADONG/forms/{}", current_half());

    let (status, _, page) = app.get_as(Some("cumtruong"), &form).await;
    assert_eq!(status, StatusCode::OK, "the chair still reads its own unit's form");
    assert!(!page.contains("Duyệt báo cáo"), "no review form for its own report");
    for (action, reason) in [("accept", ""), ("return", "Thiếu số liệu")] {
        let (status, _, body) = app
            .post_as(
                Some("cumtruong"),
                &format!("{form}/decision"),
                &[("version", "2"), ("action", action), ("reason", reason)],
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{action}: {body}");
        assert!(body.contains("không tự"), "{action}: the refusal says why: {body}");
    }
    let (_, _, page) = app.get_as(Some("hadong"), &form).await;
    assert!(page.contains("Đã gửi, chờ duyệt"), "the form is still waiting");

    let (status, _, page) = app.get_as(Some("thanhpho"), &form).await;
    assert!(
        status == StatusCode::OK && page.contains("Duyệt báo cáo"),
        "the upper level reviews it"
    );
    let (status, headers, _) = app
        .post_as(
            Some("thanhpho"),
            &format!("{form}/decision"),
            &[("version", "2"), ("action", "accept")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{headers:?}");
    let (_, _, page) = app.get_as(Some("hadong"), &form).await;
    assert!(page.contains("Đã duyệt"), "accepted by the upper level");
}

/// Constitutes clusters `from..to` of 2021, each of two demo districts.
async fn add_clusters(app: &TestApp, from: usize, to: usize) {
    if from >= to {
        return;
    }
    let mut csv = String::from("code,name,year,members,host\n");
    for n in from..to {
        csv.push_str(&format!(
            "HN-KHOI{n:03},Khối thi đua số {n},2021,HN-HADONG;HN-CAUGIAY,HN-HADONG\n"
        ));
    }
    app.state.store.import_clusters_csv(&csv).await.unwrap();
}

/// Statements of one visit of `/` as the city (which sees every cluster), after a visit
/// that warms the pool, so that opening a connection is not counted.
async fn home_statements(app: &TestApp) -> usize {
    let (status, _, _) = app.get_as(Some("thanhpho"), "/").await;
    assert_eq!(status, StatusCode::OK);
    let ((status, _, body), counted) = count_statements(app.get_as(Some("thanhpho"), "/")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    counted
}

/// `/` loaded each cluster with two statements of its own: 616 statements for 306
/// clusters, 16 for 6. Its statements are now the same whatever the number of clusters.
async fn the_home_page_makes_as_many_statements_for_300_clusters_as_for_6(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let demo = app.state.store.clusters().await.unwrap().len();
    assert!(demo <= 6, "the demo has {demo} clusters");
    add_clusters(&app, 0, 6 - demo).await;
    let six = home_statements(&app).await;
    add_clusters(&app, 6 - demo, 300 - demo).await;
    let (_, _, page) = app.get_as(Some("thanhpho"), "/").await;
    assert!(page.contains("Khối thi đua số 293"), "the 300 clusters are listed");
    let three_hundred = home_statements(&app).await;

    assert!(six > 0, "statements are counted");
    assert_eq!(
        three_hundred, six,
        "statements of / for 300 clusters against 6 (the session, the tree, the clusters)"
    );
}

/// A decision for a unit of Cụm 2 (Cầu Giấy) and a person of Sóc Sơn, outside it: each
/// viewer sees only the recipients within their part; the city sees both.
async fn a_decision_page_shows_only_recipients_the_viewer_may_see(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let city = Actor::from(&principal(&app, "thanhpho").await);
    let stored = app
        .state
        .store
        .record_decision(
            &city,
            DecisionInput {
                decision: AwardDecision {
                    number: "200/QĐ-MTTQ-BTT".into(),
                    signed_on: chrono::NaiveDate::from_ymd_opt(2023, 1, 15).unwrap_or_default(),
                    issuer: "Ban Thường trực Ủy ban MTTQ Việt Nam Thành phố Hà Nội".into(),
                    level: String::new(),
                    award: code::<AwardFormCode>("BK-HN"),
                    year: 2022,
                    recipients: vec![
                        Recipient::Collective {
                            unit: code::<UnitCode>("HN-CAUGIAY"),
                        },
                        Recipient::Individual {
                            name: "Nguyễn Văn Sóc".into(),
                            title: "Chủ tịch".into(),
                            unit: code::<UnitCode>("HN-SOCSON"),
                        },
                    ],
                    revocation: None,
                },
                proposals: Vec::new(),
            },
            ProposalRights {
                can_review: true,
                can_decide: true,
            },
        )
        .await
        .unwrap();
    let page = format!("/awards/decisions/{}", stored.id);
    let cau_giay = "/units/HN-CAUGIAY/awards";
    let soc_son = "Nguyễn Văn Sóc";

    let (status, _, peer) = app.get_as(Some("hadong"), &page).await;
    assert_eq!(status, StatusCode::OK, "{peer}");
    assert!(peer.contains(cau_giay), "a peer of Cầu Giấy sees it: {peer}");
    assert!(!peer.contains(soc_son), "but not Sóc Sơn's person");
    let (_, _, peer_list) = app.get_as(Some("hadong"), "/awards?year=2022").await;
    assert!(
        peer_list.contains("200/QĐ-MTTQ-BTT") && !peer_list.contains(soc_son),
        "nor in the list"
    );

    let (status, _, outsider) = app.get_as(Some("khac"), &page).await;
    assert_eq!(status, StatusCode::OK, "{outsider}");
    assert!(outsider.contains(soc_son) && !outsider.contains(cau_giay), "{outsider}");
    let (_, _, outsider_list) = app.get_as(Some("khac"), "/awards?year=2022").await;
    assert!(!outsider_list.contains("quận Cầu Giấy"), "{outsider_list}");

    let (_, _, city_page) = app.get_as(Some("thanhpho"), &page).await;
    assert!(
        city_page.contains(soc_son) && city_page.contains(cau_giay),
        "the city sees both"
    );
}

/// The row of `unit_name` in the cluster page's completeness table.
fn completeness_row<'a>(page: &'a str, unit_name: &str) -> &'a str {
    let table = page.split_once("class=\"group completeness\"").map_or("", |(_, t)| t);
    table
        .split("<tr>")
        .find(|row| row.contains(unit_name))
        .unwrap_or_else(|| panic!("no row for {unit_name} in {table}"))
}

/// Hà Đông types a draft and Cầu Giấy's form is returned to it: its peers saw "Đang
/// soạn" and "Bị trả lại" on the cluster page. Peers now see only "Chưa gửi"; the unit
/// itself, the chair and the upper level still see where each form stands.
async fn peers_see_not_sent_rather_than_draft(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    enter(&app, "hadong", "HN-HADONG", false).await;
    enter(&app, "caugiay", "HN-CAUGIAY", true).await;
    let (status, _, body) = app
        .post_as(
            Some("cumtruong"),
            &format!("/units/HN-CAUGIAY/forms/{}/decision", current_half()),
            &[("version", "2"), ("action", "return"), ("reason", "Thiếu số liệu quỹ")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    enter(&app, "tayho", "HN-TAYHO", true).await;
    let cluster = format!("/clusters/HN-CUM2?period={}", current_half());
    let page = |who: &'static str| {
        let (app, cluster) = (&app, &cluster);
        async move {
            let (status, _, body) = app.get_as(Some(who), cluster).await;
            assert_eq!(status, StatusCode::OK, "{who}: {body}");
            body
        }
    };

    let peer = page("thanhxuan").await;
    for unit in ["Hà Đông", "Cầu Giấy"] {
        let row = completeness_row(&peer, unit);
        assert!(
            row.contains("<td>Chưa gửi</td>"),
            "a peer sees {unit} as not sent: {row}"
        );
        assert!(
            !row.contains("Đang soạn") && !row.contains("Bị trả lại") && !row.contains("chỉ tiêu"),
            "{row}"
        );
    }
    assert!(
        completeness_row(&peer, "Tây Hồ").contains("Đã gửi, chờ duyệt"),
        "a sent form is shown as sent"
    );

    let own = page("hadong").await;
    assert!(
        completeness_row(&own, "Hà Đông").contains("Đang soạn"),
        "the unit sees its own draft"
    );
    assert!(
        completeness_row(&own, "Cầu Giấy").contains("<td>Chưa gửi</td>"),
        "but not its peer's"
    );
    for reviewer in ["cumtruong", "thanhpho"] {
        let seen = page(reviewer).await;
        assert!(
            completeness_row(&seen, "Cầu Giấy").contains("Bị trả lại"),
            "{reviewer} sees the returned form"
        );
        assert!(
            completeness_row(&seen, "Hà Đông").contains("Đang soạn"),
            "{reviewer} sees the draft"
        );
    }
}

/// `khac` (an officer of Sóc Sơn, outside Cụm 2) was told "chưa được lập cho năm 1999 (có
/// các năm: …)" before any 403. Every way of asking now answers 403 and names no year.
async fn a_user_without_the_right_learns_no_years_of_a_cluster(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let this_year = current_half().year().to_string();
    let asks = [
        "/clusters/HN-CUM2".to_owned(),
        "/clusters/HN-CUM2?period=2022S1".to_owned(),
        "/clusters/HN-CUM2?period=1999S1".to_owned(),
        format!("/clusters/HN-CUM2?period={}", current_half()),
        "/clusters/HN-CUM2/emulation".to_owned(),
        "/clusters/HN-CUM2/emulation?year=1999".to_owned(),
        "/clusters/HN-CUM2/emulation?year=2022".to_owned(),
        "/clusters/HN-CUM2/report?period=1999S1".to_owned(),
        "/awards?cluster=HN-CUM2&year=1999".to_owned(),
        "/api/v1/clusters/HN-CUM2/rollup".to_owned(),
        "/api/v1/clusters/HN-CUM2/rollup?period=1999S1".to_owned(),
    ];
    for uri in &asks {
        let (status, _, body) = app.get_as(Some("khac"), uri).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{uri}: {body}");
        let message = body.split("<main").nth(1).unwrap_or(&body);
        assert!(
            !message.contains("2022") && !message.contains(&this_year),
            "{uri} names a year of the cluster: {message}"
        );
    }

    // A member asking for a year the cluster does not have is told the years it may see.
    let (status, _, body) = app.get_as(Some("caugiay"), "/clusters/HN-CUM2?period=1999S1").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("2022"), "{body}");
}

/// A unit's score pages tell an outsider nothing but the code they typed: not the unit's
/// name, not whether it was in a cluster that year.
async fn a_user_without_the_right_learns_nothing_of_a_unit_s_scores(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    for uri in [
        "/units/HN-TAYHO/scores/2022",
        "/units/HN-TAYHO/scores/2021",
        "/units/HN-TAYHO/scores/2022/self",
    ] {
        let (status, _, body) = app.get_as(Some("khac"), uri).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{uri}: {body}");
        let message = body
            .split("<section class=\"error\">")
            .nth(1)
            .and_then(|m| m.split("</section>").next())
            .unwrap_or(&body);
        assert!(
            message.contains("Bạn không có quyền xem bảng điểm của đơn vị «HN-TAYHO»")
                && !message.contains("Tây Hồ")
                && !message.contains("cụm"),
            "{uri} tells: {message}"
        );
    }
    // A member still learns why a year has no sheets.
    let (status, _, body) = app.get_as(Some("tayho"), "/units/HN-TAYHO/scores/2021").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("không thuộc cụm thi đua nào trong năm 2021"), "{body}");
}
