//! Khen thưởng through HTTP: proposals from the vote and from the upper level, their
//! pipeline with and without the rights, decisions, revocation, and the award history of
//! units and people — on SQLite and PostgreSQL.

use crate::common;

use axum::http::{StatusCode, header};
use common::TestApp;
use thidua_core::UnitCode;
use thidua_core::emulation::award::{
    AwardDecision, AwardFormCode, Proposal, ProposalAction, ProposalRights, ProposalSource, ProposalState, Recipient,
};
use thidua_core::emulation::ballot::{BallotSpec, Paper, Question, QuestionKind, Threshold};
use thidua_store::{Actor, Backend, DecisionInput, ProposalFilter, StoredProposal};

common::on_both_backends!(
    the_chair_proposes_the_flag_and_the_certificates_the_vote_chose,
    a_question_without_a_result_cannot_be_proposed_from,
    the_pipeline_moves_with_the_rights_and_refuses_without,
    the_upper_level_proposes_a_person_and_records_the_decision,
    a_revoked_decision_is_struck_through_with_its_reason_and_stays_in_the_history,
    a_unit_s_history_page_lists_its_awards_across_years,
    a_search_without_diacritics_finds_a_person_only_for_those_who_may_see_them,
);

fn code<T: TryFrom<String>>(c: &str) -> T
where
    T::Error: std::fmt::Display,
{
    T::try_from(c.to_owned()).unwrap_or_else(|e| panic!("{c}: {e}"))
}

async fn actor(app: &TestApp, who: &str) -> Actor {
    let user = app.state.store.user(who).await.unwrap();
    Actor::from(&user.principal())
}

const MEMBERS: [&str; 6] = [
    "HN-HADONG",
    "HN-THANHXUAN",
    "HN-CAUGIAY",
    "HN-TAYHO",
    "HN-BACTULIEM",
    "HN-NAMTULIEM",
];

/// A closed ballot of 2022 where Hà Đông leads (5 of 6, question 1), Thanh Xuân and Cầu
/// Giấy get the Bằng khen (6 and 4 of 6, question 2), and the next chair splits 3 to 3
/// (question 3, no result). Returns its id.
async fn closed_ballot(app: &TestApp) -> i64 {
    let store = &app.state.store;
    let chair = actor(app, "cumtruong").await;
    let question = |c: &str, kind: QuestionKind| Question {
        code: c.into(),
        text: kind.label_vi().into(),
        kind,
        candidates: MEMBERS.iter().map(|m| code(m)).collect(),
        threshold: Some(Threshold::MORE_THAN_HALF),
    };
    let spec = BallotSpec {
        cluster: code("HN-CUM2"),
        year: 2022,
        title: "Phiếu bình xét thi đua năm 2022".into(),
        electorate: Vec::new(),
        questions: vec![
            question("1", QuestionKind::LeadingUnit),
            question("2", QuestionKind::Commendation { max_choices: 2 }),
            question("3", QuestionKind::Chair),
        ],
    };
    let ballot = store.open_ballot(&chair, spec).await.unwrap();
    for (i, voter) in MEMBERS.iter().enumerate() {
        let leading = if i == 2 { "HN-CAUGIAY" } else { "HN-HADONG" };
        let commend: [&str; 2] = if i < 4 {
            ["HN-CAUGIAY", "HN-THANHXUAN"]
        } else {
            ["HN-TAYHO", "HN-THANHXUAN"]
        };
        let next_chair = if i % 2 == 0 { "HN-CAUGIAY" } else { "HN-TAYHO" };
        let paper = Paper {
            answers: [
                ("1".to_owned(), vec![code(leading)]),
                ("2".to_owned(), commend.iter().map(|u| code(u)).collect()),
                ("3".to_owned(), vec![code(next_chair)]),
            ]
            .into(),
        };
        store.cast_ballot(ballot.id, &code(voter), paper).await.unwrap();
    }
    store.close_ballot(&chair, ballot.id, true).await.unwrap();
    ballot.id
}

async fn proposals_of_2022(app: &TestApp) -> Vec<StoredProposal> {
    app.state
        .store
        .proposals(&ProposalFilter {
            year: Some(2022),
            cluster: None,
            state: None,
        })
        .await
        .unwrap()
}

/// Proposes `award` for `unit` (2022) as the city, reviewed, and returns it.
async fn reviewed_proposal(app: &TestApp, unit: &str, award: &str) -> StoredProposal {
    let store = &app.state.store;
    let city = actor(app, "thanhpho").await;
    let proposed = store
        .propose_award(
            &city,
            Proposal {
                year: 2022,
                award: code(award),
                recipient: Recipient::Collective { unit: code(unit) },
                cluster: Some(code("HN-CUM2")),
                achievements: "Hoàn thành xuất sắc nhiệm vụ".into(),
                source: ProposalSource::Upper,
            },
        )
        .await
        .unwrap();
    store
        .move_proposal(
            &city,
            proposed.id,
            ProposalAction::Review,
            ProposalRights {
                can_review: true,
                can_decide: true,
            },
            proposed.version,
            None,
        )
        .await
        .unwrap()
}

/// A decision of the city granting `award` to `unit` for `year`, recorded in the store.
async fn decided(app: &TestApp, unit: &str, award: &str, year: i32, number: &str) -> i64 {
    let city = actor(app, "thanhpho").await;
    app.state
        .store
        .record_decision(
            &city,
            DecisionInput {
                decision: AwardDecision {
                    number: number.into(),
                    signed_on: chrono::NaiveDate::from_ymd_opt(year + 1, 1, 15).unwrap_or_default(),
                    issuer: "Ban Thường trực Ủy ban MTTQ Việt Nam Thành phố Hà Nội".into(),
                    level: String::new(),
                    award: code::<AwardFormCode>(award),
                    year,
                    recipients: vec![Recipient::Collective { unit: code(unit) }],
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
        .unwrap()
        .id
}

fn location(headers: &axum::http::HeaderMap) -> String {
    headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

async fn the_chair_proposes_the_flag_and_the_certificates_the_vote_chose(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let ballot = closed_ballot(&app).await;
    let (_, _, result) = app.get_as(Some("cumtruong"), &format!("/ballots/{ballot}")).await;
    assert_eq!(
        result.matches("Đề nghị khen thưởng các đơn vị trúng").count(),
        2,
        "a button for the leading unit and one for the Bằng khen, none for the tied chair"
    );
    assert!(result.contains("value=\"CO-HN\" selected") && result.contains("value=\"BK-HN\" selected"));
    let (_, _, as_officer) = app.get_as(Some("caugiay"), &format!("/ballots/{ballot}")).await;
    assert!(!as_officer.contains("Đề nghị khen thưởng các đơn vị trúng"));
    let id = ballot.to_string();

    let (officer, _, _) = app
        .post_as(
            Some("hadong"),
            "/awards/from-ballot",
            &[("ballot", &id), ("question", "1"), ("award", "CO-HN")],
        )
        .await;
    let (flag, headers, _) = app
        .post_as(
            Some("cumtruong"),
            "/awards/from-ballot",
            &[
                ("ballot", &id),
                ("question", "1"),
                ("award", "CO-HN"),
                ("achievements", "Đơn vị dẫn đầu Cụm thi đua số 2 năm 2022"),
            ],
        )
        .await;
    let (certificates, _, _) = app
        .post_as(
            Some("cumtruong"),
            "/awards/from-ballot",
            &[("ballot", &id), ("question", "2"), ("award", "BK-HN")],
        )
        .await;
    let (twice, _, twice_body) = app
        .post_as(
            Some("cumtruong"),
            "/awards/from-ballot",
            &[("ballot", &id), ("question", "1"), ("award", "CO-HN")],
        )
        .await;

    assert_eq!(
        officer,
        StatusCode::FORBIDDEN,
        "an officer does not propose from the vote"
    );
    assert_eq!(flag, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), "/awards?cluster=HN-CUM2&year=2022");
    assert_eq!(certificates, StatusCode::SEE_OTHER);
    assert_eq!(twice, StatusCode::CONFLICT);
    assert!(
        twice_body.contains("đã được đề nghị khen thưởng; mỗi câu hỏi chỉ đề nghị khen thưởng một lần"),
        "{twice_body}"
    );
    let stored = proposals_of_2022(&app).await;
    let proposed: Vec<(&str, &str)> = stored
        .iter()
        .map(|p| (p.proposal.recipient.unit().as_str(), p.proposal.award.as_str()))
        .collect();
    assert_eq!(
        proposed,
        [
            ("HN-HADONG", "CO-HN"),
            ("HN-THANHXUAN", "BK-HN"),
            ("HN-CAUGIAY", "BK-HN")
        ]
    );
    let (status, _, list) = app.get_as(Some("caugiay"), "/awards?cluster=HN-CUM2&year=2022").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        list.contains("quận Hà Đông<span class=\"hint\">Đơn vị dẫn đầu Cụm thi đua số 2 năm 2022</span>"),
        "{list}"
    );
    assert!(list.contains("Cờ thi đua của Ủy ban MTTQ Việt Nam Thành phố Hà Nội năm 2022"));
    assert!(list.contains(&format!(
        "<a href=\"/ballots/{ballot}\">Từ kết quả bỏ phiếu (câu 1)</a>"
    )));
    assert_eq!(list.matches(">Đã đề nghị</span>").count(), 3, "{list}");
    assert!(
        list.contains("href=\"/clusters/HN-CUM2/emulation?year=2022\""),
        "breadcrumb"
    );
    let (_, _, result) = app.get_as(Some("caugiay"), &format!("/ballots/{ballot}")).await;
    assert!(
        result.contains(
            "Đã đề nghị khen thưởng: quận Hà Đông — Cờ thi đua của Ủy ban MTTQ Việt Nam Thành phố Hà Nội (Đã đề nghị)"
        ),
        "{result}"
    );
}

async fn a_question_without_a_result_cannot_be_proposed_from(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let ballot = closed_ballot(&app).await.to_string();

    let (status, _, body) = app
        .post_as(
            Some("cumtruong"),
            "/awards/from-ballot",
            &[("ballot", &ballot), ("question", "3"), ("award", "CO-HN")],
        )
        .await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body.contains("câu 3 chưa có kết quả") && body.contains("cần bỏ phiếu lại"),
        "{body}"
    );
    assert!(proposals_of_2022(&app).await.is_empty());
}

async fn the_pipeline_moves_with_the_rights_and_refuses_without(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let ballot = closed_ballot(&app).await;
    let chair = actor(&app, "cumtruong").await;
    let proposed = app
        .state
        .store
        .propose_from_ballot(&chair, ballot, "2", &code("BK-HN"), "")
        .await
        .unwrap();
    let (first, second) = (
        format!("/awards/proposals/{}", proposed[0].id),
        format!("/awards/proposals/{}", proposed[1].id),
    );
    let (_, _, chair_page) = app.get_as(Some("cumtruong"), "/awards?cluster=HN-CUM2&year=2022").await;
    let (_, _, city_page) = app.get_as(Some("thanhpho"), "/awards?cluster=HN-CUM2&year=2022").await;

    let (by_chair, _, chair_body) = app
        .post_as(Some("cumtruong"), &first, &[("action", "review"), ("version", "1")])
        .await;
    let (reviewed, _, _) = app
        .post_as(Some("thanhpho"), &first, &[("action", "review"), ("version", "1")])
        .await;
    let (stale, _, stale_body) = app
        .post_as(Some("thanhpho"), &first, &[("action", "escalate"), ("version", "1")])
        .await;
    let (escalated, _, _) = app
        .post_as(Some("thanhpho"), &first, &[("action", "escalate"), ("version", "2")])
        .await;
    let (no_reason, _, no_reason_body) = app
        .post_as(Some("thanhpho"), &second, &[("action", "reject"), ("version", "1")])
        .await;
    let (rejected, _, _) = app
        .post_as(
            Some("thanhpho"),
            &second,
            &[
                ("action", "reject"),
                ("version", "1"),
                ("reason", "Chưa đủ thời gian công nhận"),
            ],
        )
        .await;
    let (_, _, list) = app.get_as(Some("hadong"), "/awards?cluster=HN-CUM2&year=2022").await;

    assert!(
        !chair_page.contains(">Thẩm định</button>"),
        "the chair sees no review button"
    );
    assert_eq!(city_page.matches(">Thẩm định</button>").count(), 2);
    assert_eq!(by_chair, StatusCode::FORBIDDEN);
    assert!(
        chair_body.contains("Bạn không có quyền thẩm định đề nghị khen thưởng này"),
        "{chair_body}"
    );
    assert_eq!(reviewed, StatusCode::SEE_OTHER);
    assert_eq!(stale, StatusCode::CONFLICT);
    assert!(stale_body.contains("Đề nghị vừa được người khác xử lý"), "{stale_body}");
    assert_eq!(escalated, StatusCode::SEE_OTHER);
    assert_eq!(no_reason, StatusCode::CONFLICT);
    assert!(
        no_reason_body.contains("Hãy ghi lý do không khen thưởng"),
        "{no_reason_body}"
    );
    assert_eq!(rejected, StatusCode::SEE_OTHER);
    let states: Vec<ProposalState> = proposals_of_2022(&app).await.iter().map(|p| p.state).collect();
    assert_eq!(states, [ProposalState::Escalated, ProposalState::Rejected]);
    assert!(list.contains(">Đã trình cấp trên</span>"), "{list}");
    assert!(
        list.contains(">Không được khen thưởng</span><span class=\"hint\">Lý do: Chưa đủ thời gian công nhận</span>"),
        "{list}"
    );
    assert!(!list.contains("name=\"action\""), "an officer has no moves: {list}");
}

async fn the_upper_level_proposes_a_person_and_records_the_decision(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let person = TestApp::PERSON_PROPOSAL;
    let (by_officer, _, _) = app.post_as(Some("caugiay"), "/awards/proposals", &person).await;
    let (proposed, headers, _) = app.post_as(Some("thanhpho"), "/awards/proposals", &person).await;
    assert_eq!(
        by_officer,
        StatusCode::FORBIDDEN,
        "an officer does not propose directly"
    );
    assert_eq!(proposed, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), "/awards?cluster=HN-CUM2&year=2022");
    let (odd_cluster, odd_headers, _) = app
        .post_as(
            Some("thanhpho"),
            "/awards/proposals",
            &[
                ("award", "GK-QUAN"),
                ("year", "2022"),
                ("kind", "collective"),
                ("unit", "HN-HADONG"),
                ("cluster", "Cụm 2\n"),
            ],
        )
        .await;
    assert_eq!(odd_cluster, StatusCode::SEE_OTHER);
    assert_eq!(
        location(&odd_headers),
        "/awards?year=2022",
        "a cluster that is no code is ignored"
    );
    let p = proposals_of_2022(&app).await.remove(0);
    assert_eq!(p.proposal.source, ProposalSource::Upper);
    assert_eq!(p.proposal.recipient.person(), Some("Trần Thị Bình"));
    app.post_as(
        Some("thanhpho"),
        &format!("/awards/proposals/{}", p.id),
        &[("action", "review"), ("version", "1")],
    )
    .await;
    let id = p.id.to_string();
    let decision = [
        ("proposal", id.as_str()),
        ("number", "125/QĐ-MTTQ-BTT"),
        ("signed_on", "2023-01-15"),
    ];
    let (_, _, city_page) = app.get_as(Some("thanhpho"), "/awards?cluster=HN-CUM2&year=2022").await;
    assert!(city_page.contains("Ghi quyết định khen thưởng"), "{city_page}");

    let (by_chair, _, _) = app.post_as(Some("cumtruong"), "/awards/decisions", &decision).await;
    let (recorded, headers, _) = app.post_as(Some("thanhpho"), "/awards/decisions", &decision).await;
    let page_uri = location(&headers);
    let (status, _, page) = app.get_as(Some("tayho"), &page_uri).await;

    assert_eq!(by_chair, StatusCode::FORBIDDEN, "the chair does not decide awards");
    assert_eq!(recorded, StatusCode::SEE_OTHER);
    assert!(page_uri.starts_with("/awards/decisions/"), "{page_uri}");
    assert_eq!(status, StatusCode::OK);
    for expected in [
        "Quyết định khen thưởng số 125/QĐ-MTTQ-BTT",
        "<td>15/1/2023</td>",
        "<td>Ủy ban MTTQ Việt Nam Thành phố Hà Nội</td>",
        "<td>tỉnh, thành phố</td>",
        "<td>Bằng khen của Ủy ban MTTQ Việt Nam Thành phố Hà Nội</td>",
        "Trần Thị Bình — Phó Chủ tịch Ủy ban MTTQ quận Tây Hồ, quận Tây Hồ",
    ] {
        assert!(page.contains(expected), "{expected}: {page}");
    }
    assert!(!page.contains("Thu hồi quyết định"), "an officer cannot revoke");
    let after = proposals_of_2022(&app).await.remove(0);
    assert_eq!(after.state, ProposalState::Decided);
    let (_, _, list) = app.get_as(Some("tayho"), "/awards?cluster=HN-CUM2&year=2022").await;
    assert!(
        list.contains(&format!("<a href=\"{page_uri}\">Xem quyết định</a>")),
        "{list}"
    );
    assert!(
        list.contains("Quyết định số 125/QĐ-MTTQ-BTT</a> ngày 15/1/2023"),
        "{list}"
    );
}

async fn a_revoked_decision_is_struck_through_with_its_reason_and_stays_in_the_history(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let p = reviewed_proposal(&app, "HN-HADONG", "CO-HN").await;
    let (_, headers, _) = app
        .post_as(
            Some("thanhpho"),
            "/awards/decisions",
            &[
                ("proposal", p.id.to_string().as_str()),
                ("number", "125/QĐ-MTTQ-BTT"),
                ("signed_on", "2023-01-15"),
            ],
        )
        .await;
    let decision = location(&headers);
    let (_, _, before) = app.get_as(Some("thanhpho"), &decision).await;
    assert!(before.contains("Thu hồi quyết định"), "{before}");
    let revocation = [
        ("number", "30/QĐ-MTTQ-BTT"),
        ("on", "2023-06-01"),
        ("reason", "Kê khai sai thành tích"),
    ];

    let (by_officer, _, _) = app
        .post_as(Some("hadong"), &format!("{decision}/revoke"), &revocation)
        .await;
    let (without_reason, _, _) = app
        .post_as(
            Some("thanhpho"),
            &format!("{decision}/revoke"),
            &[("number", "30/QĐ-MTTQ-BTT"), ("on", "2023-06-01"), ("reason", " ")],
        )
        .await;
    let (revoked, _, _) = app
        .post_as(Some("thanhpho"), &format!("{decision}/revoke"), &revocation)
        .await;
    let (again, _, again_body) = app
        .post_as(Some("thanhpho"), &format!("{decision}/revoke"), &revocation)
        .await;
    let (_, _, page) = app.get_as(Some("hadong"), &decision).await;
    let (_, _, history) = app.get_as(Some("caugiay"), "/units/HN-HADONG/awards").await;

    assert_eq!(by_officer, StatusCode::FORBIDDEN);
    assert_eq!(without_reason, StatusCode::BAD_REQUEST);
    assert_eq!(revoked, StatusCode::SEE_OTHER);
    assert_eq!(again, StatusCode::CONFLICT);
    assert!(again_body.contains("đã bị thu hồi ngày 01/06/2023"), "{again_body}");
    let reason = "Đã thu hồi theo quyết định số 30/QĐ-MTTQ-BTT ngày 1/6/2023. Lý do: Kê khai sai thành tích";
    assert!(
        page.contains("<span class=\"struck\">Quyết định khen thưởng số 125/QĐ-MTTQ-BTT</span>")
            && page.contains(reason),
        "{page}"
    );
    assert!(!page.contains("Thu hồi quyết định</button>"));
    assert!(
        history.contains("<tr class=\"revoked\">")
            && history.contains("<span class=\"struck\">Cờ thi đua của Ủy ban MTTQ Việt Nam Thành phố Hà Nội</span>")
            && history.contains(reason),
        "{history}"
    );
}

async fn a_unit_s_history_page_lists_its_awards_across_years(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    decided(&app, "HN-CAUGIAY", "BK-HN", 2021, "12/QĐ-MTTQ-BTT").await;
    decided(&app, "HN-CAUGIAY", "CO-HN", 2022, "125/QĐ-MTTQ-BTT").await;
    decided(&app, "HN-TAYHO", "BK-HN", 2022, "126/QĐ-MTTQ-BTT").await;

    let (status, _, page) = app.get_as(Some("caugiay"), "/units/HN-CAUGIAY/awards").await;
    let (outsider, _, _) = app.get_as(Some("khac"), "/units/HN-CAUGIAY/awards").await;
    let (missing, _, _) = app.get_as(Some("admin"), "/units/HN-KHONGCO/awards").await;

    assert_eq!(status, StatusCode::OK);
    let newer = page.find("Số 125/QĐ-MTTQ-BTT ngày 15/1/2023");
    let older = page.find("Số 12/QĐ-MTTQ-BTT ngày 15/1/2022");
    assert!(
        newer.is_some() && older.is_some() && newer < older,
        "newest first: {page}"
    );
    assert!(!page.contains("126/QĐ"), "Tây Hồ's award is not Cầu Giấy's");
    assert!(page.contains("Lịch sử khen thưởng — Ủy ban MTTQ Việt Nam quận Cầu Giấy"));
    assert_eq!(outsider, StatusCode::FORBIDDEN);
    assert_eq!(missing, StatusCode::NOT_FOUND);
}

async fn a_search_without_diacritics_finds_a_person_only_for_those_who_may_see_them(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let city = actor(&app, "thanhpho").await;
    app.state
        .store
        .record_decision(
            &city,
            DecisionInput {
                decision: AwardDecision {
                    number: "126/QĐ-MTTQ-BTT".into(),
                    signed_on: chrono::NaiveDate::from_ymd_opt(2023, 1, 15).unwrap_or_default(),
                    issuer: "Ban Thường trực Ủy ban MTTQ Việt Nam Thành phố Hà Nội".into(),
                    level: String::new(),
                    award: code("BK-HN"),
                    year: 2022,
                    recipients: vec![Recipient::Individual {
                        name: "Trần Thị Bình".into(),
                        title: "Phó Chủ tịch".into(),
                        unit: code::<UnitCode>("HN-TAYHO"),
                    }],
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

    let (status, _, found) = app.get_as(Some("caugiay"), "/awards/history?q=tran+thi+binh").await;
    let (_, _, outsider) = app.get_as(Some("khac"), "/awards/history?q=tran+thi+binh").await;
    let (_, _, nobody) = app.get_as(Some("caugiay"), "/awards/history?q=nguyen+van+khong").await;
    let (_, _, units) = app.get_as(Some("caugiay"), "/awards/history?q=tay+ho").await;

    assert_eq!(status, StatusCode::OK);
    assert!(
        found.contains("Trần Thị Bình — Phó Chủ tịch, quận Tây Hồ")
            && found.contains("Bằng khen của Ủy ban MTTQ Việt Nam Thành phố Hà Nội"),
        "{found}"
    );
    assert!(
        !outsider.contains("Trần Thị Bình"),
        "an officer outside the cluster does not see Tây Hồ's people"
    );
    assert!(nobody.contains("Không tìm thấy cá nhân nào"));
    assert!(
        units.contains("<a href=\"/units/HN-TAYHO/awards\">Ủy ban MTTQ Việt Nam quận Tây Hồ</a> <span class=\"muted\">— 1 lần được khen thưởng</span>"),
        "{units}"
    );
}
