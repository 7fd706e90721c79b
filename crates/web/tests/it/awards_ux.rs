//! The award pages as an officer lives in them (issue #13): a mistake in a proposal or a
//! decision comes back in place, next to its field, with everything typed; the defaults
//! are ones the server accepts; a ballot question proposes once; each move ends on a
//! notice — on SQLite and PostgreSQL.

use crate::common;

use axum::http::{StatusCode, header};
use common::TestApp;
use thidua_core::emulation::award::{
    Proposal, ProposalAction, ProposalRights, ProposalSource, Recipient, RecipientKinds,
};
use thidua_core::emulation::ballot::{BallotSpec, Paper, Question, QuestionKind, Threshold};
use thidua_store::{Actor, Backend, ProposalFilter, StoreError, StoredProposal};

common::on_both_backends!(
    the_decision_date_defaults_inside_the_allowed_years_and_a_wrong_one_comes_back_next_to_its_field,
    an_individual_is_offered_only_forms_for_individuals_and_a_collective_form_comes_back_in_place,
    an_unknown_unit_comes_back_next_to_its_field_with_what_was_typed,
    a_ballot_question_proposes_once_and_its_page_then_says_so,
    a_moved_proposal_and_a_locked_account_end_on_a_notice_the_address_cannot_write,
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

fn location(headers: &axum::http::HeaderMap) -> String {
    headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// What the page between `from` and the next `until` after it says.
fn between<'a>(page: &'a str, from: &str, until: &str) -> &'a str {
    let start = page.find(from).unwrap_or_else(|| panic!("no {from} in {page}"));
    let rest = &page[start..];
    &rest[..rest.find(until).unwrap_or(rest.len())]
}

/// The first `value="…"` in `html`.
fn first_value(html: &str) -> &str {
    let start = html.find("value=\"").unwrap_or_else(|| panic!("no value in {html}")) + "value=\"".len();
    let rest = &html[start..];
    &rest[..rest.find('"').unwrap_or(rest.len())]
}

/// The value of the input `id` as the page fills it in.
fn value_of<'a>(page: &'a str, id: &str) -> &'a str {
    first_value(between(page, &format!("id=\"{id}\""), ">"))
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

/// Proposes `award` for `unit` (2022) as the city, reviewed.
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

const LIST: &str = "/awards?cluster=HN-CUM2&year=2022";

async fn the_decision_date_defaults_inside_the_allowed_years_and_a_wrong_one_comes_back_next_to_its_field(
    backend: Backend,
) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let p = reviewed_proposal(&app, "HN-HADONG", "CO-HN").await;
    let id = p.id.to_string();
    let (_, _, list) = app.get_as(Some("thanhpho"), LIST).await;
    let default_day = value_of(&list, "signed_on").to_owned();
    let today = chrono::Local::now().date_naive();
    let expected = if (2022..=2024).contains(&chrono::Datelike::year(&today)) {
        today.to_string()
    } else {
        "2022-12-31".to_owned()
    };
    assert_eq!(default_day, expected, "a day a decision of 2022 may bear");

    let typed = [
        ("proposal", id.as_str()),
        ("number", "125/QĐ-MTTQ-BTT"),
        ("signed_on", "2030-01-15"),
        ("issuer", "Ban Thường trực"),
        ("cluster", "HN-CUM2"),
        ("list_year", "2022"),
    ];
    let (late, _, page) = app.post_as(Some("thanhpho"), "/awards/decisions", &typed).await;
    assert_eq!(late, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    let error = between(&page, "id=\"e_d_signed_on\"", "</span>");
    assert!(
        error.contains(
            "Ngày ký 15/1/2030 không hợp lệ cho khen thưởng năm 2022: ngày ký phải trong các năm 2022 đến 2024"
        ),
        "{error}"
    );
    assert_eq!(value_of(&page, "number"), "125/QĐ-MTTQ-BTT", "the number typed is kept");
    assert_eq!(value_of(&page, "signed_on"), "2030-01-15");
    assert_eq!(value_of(&page, "issuer"), "Ban Thường trực");
    assert!(
        page.contains(&format!("value=\"{id}\" checked")),
        "the proposal chosen stays chosen"
    );
    assert!(
        page.contains("<h1>Khen thưởng năm 2022 — Cụm thi đua số 2"),
        "the same list: {page}"
    );

    let (nothing, _, page) = app
        .post_as(
            Some("thanhpho"),
            "/awards/decisions",
            &[
                ("number", " "),
                ("signed_on", "ngày mai"),
                ("cluster", "HN-CUM2"),
                ("list_year", "2022"),
            ],
        )
        .await;
    assert_eq!(nothing, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    for (field, said) in [
        ("e_d_proposal", "Hãy chọn ít nhất một đề nghị"),
        ("e_d_number", "Hãy ghi số quyết định"),
        ("e_d_signed_on", "Ngày ký quyết định «ngày mai» không hợp lệ"),
    ] {
        assert!(
            between(&page, &format!("id=\"{field}\""), "</span>").contains(said),
            "{field}: {page}"
        );
    }

    let (recorded, headers, body) = app
        .post_as(
            Some("thanhpho"),
            "/awards/decisions",
            &[
                ("proposal", id.as_str()),
                ("number", "125/QĐ-MTTQ-BTT"),
                ("signed_on", &default_day),
            ],
        )
        .await;
    assert_eq!(recorded, StatusCode::SEE_OTHER, "the default day is accepted: {body}");
    assert!(location(&headers).starts_with("/awards/decisions/"));
}

async fn an_individual_is_offered_only_forms_for_individuals_and_a_collective_form_comes_back_in_place(
    backend: Backend,
) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let catalogue = app.state.store.award_catalogue().await.unwrap();
    let (_, _, list) = app.get_as(Some("thanhpho"), LIST).await;
    let offered = between(&list, "id=\"i_award\"", "</select>");
    for form in catalogue.forms() {
        let listed = offered.contains(&format!("value=\"{}\"", form.code));
        assert_eq!(
            listed,
            form.recipients != RecipientKinds::Collective,
            "{} for individuals: {offered}",
            form.code
        );
    }
    let for_units = between(&list, "id=\"c_award\"", "</select>");
    assert!(for_units.contains("value=\"CO-HN\""), "{for_units}");

    let typed = [
        ("kind", "individual"),
        ("award", "CO-HN"),
        ("year", "2022"),
        ("unit", "HN-TAYHO"),
        ("name", "Trần Thị Bình"),
        ("person_title", "Phó Chủ tịch"),
        ("achievements", "Có nhiều đóng góp"),
        ("cluster", "HN-CUM2"),
        ("list_year", "2022"),
    ];
    let (status, _, page) = app.post_as(Some("thanhpho"), "/awards/proposals", &typed).await;

    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    let error = between(&page, "id=\"e_i_award\"", "</span>");
    assert!(
        error.contains("Cờ thi đua của Ủy ban MTTQ Việt Nam Thành phố Hà Nội chỉ dành cho tập thể; hãy chọn một hình thức khen thưởng cá nhân"),
        "{error}"
    );
    assert_eq!(value_of(&page, "i_name"), "Trần Thị Bình");
    assert_eq!(value_of(&page, "i_person_title"), "Phó Chủ tịch");
    assert_eq!(value_of(&page, "i_unit"), "HN-TAYHO");
    assert_eq!(value_of(&page, "i_year"), "2022");
    assert!(
        between(&page, "id=\"i_achievements\"", "</textarea>").contains("Có nhiều đóng góp"),
        "{page}"
    );
    assert!(proposals_of_2022(&app).await.is_empty(), "nothing is proposed");

    // The first form the individual's list offers is one the server accepts.
    let first = first_value(offered).to_owned();
    let fixed: Vec<(&str, &str)> = typed
        .iter()
        .map(|&(k, v)| if k == "award" { (k, first.as_str()) } else { (k, v) })
        .collect();
    let (proposed, _, body) = app.post_as(Some("thanhpho"), "/awards/proposals", &fixed).await;
    assert_eq!(proposed, StatusCode::SEE_OTHER, "{body}");
    let (twice, _, again) = app.post_as(Some("thanhpho"), "/awards/proposals", &fixed).await;
    assert_eq!(twice, StatusCode::CONFLICT, "a clash with what is stored: {again}");
    assert!(
        between(&again, "id=\"e_individual\"", "</p>").contains("đã được đề nghị"),
        "{again}"
    );
    assert_eq!(value_of(&again, "i_name"), "Trần Thị Bình");
}

async fn an_unknown_unit_comes_back_next_to_its_field_with_what_was_typed(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let (status, _, page) = app
        .post_as(
            Some("thanhpho"),
            "/awards/proposals",
            &[
                ("kind", "collective"),
                ("award", "BK-HN"),
                ("year", "2022"),
                ("unit", "HN-KHONGCO"),
                ("achievements", "Dẫn đầu phong trào"),
                ("cluster", "HN-CUM2"),
                ("list_year", "2022"),
            ],
        )
        .await;

    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    let error = between(&page, "id=\"e_c_unit\"", "</span>");
    assert!(
        error.contains("Không tìm thấy đơn vị «HN-KHONGCO»; hãy chọn một đơn vị trong danh sách"),
        "{error}"
    );
    assert_eq!(value_of(&page, "c_unit"), "HN-KHONGCO");
    assert!(
        between(&page, "id=\"c_award\"", "</select>").contains("value=\"BK-HN\" selected"),
        "{page}"
    );
    assert!(between(&page, "id=\"c_achievements\"", "</textarea>").contains("Dẫn đầu phong trào"));
    assert!(proposals_of_2022(&app).await.is_empty());
}

const MEMBERS: [&str; 6] = [
    "HN-HADONG",
    "HN-THANHXUAN",
    "HN-CAUGIAY",
    "HN-TAYHO",
    "HN-BACTULIEM",
    "HN-NAMTULIEM",
];

/// A closed ballot of 2022 whose question 1 chose Hà Đông as the leading unit and
/// question 2 Thanh Xuân and Cầu Giấy for the Bằng khen. Returns its id.
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
        ],
    };
    let ballot = store.open_ballot(&chair, spec).await.unwrap();
    for voter in MEMBERS {
        let paper = Paper {
            answers: [
                ("1".to_owned(), vec![code("HN-HADONG")]),
                ("2".to_owned(), vec![code("HN-THANHXUAN"), code("HN-CAUGIAY")]),
            ]
            .into(),
        };
        store.cast_ballot(ballot.id, &code(voter), paper).await.unwrap();
    }
    store.close_ballot(&chair, ballot.id, true).await.unwrap();
    ballot.id
}

async fn a_ballot_question_proposes_once_and_its_page_then_says_so(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let ballot = closed_ballot(&app).await;
    let id = ballot.to_string();
    let page_uri = format!("/ballots/{ballot}");
    let (first, _, body) = app
        .post_as(
            Some("cumtruong"),
            "/awards/from-ballot",
            &[("ballot", &id), ("question", "1"), ("award", "CO-HN")],
        )
        .await;
    assert_eq!(first, StatusCode::SEE_OTHER, "{body}");
    let (_, _, after) = app.get_as(Some("cumtruong"), &page_uri).await;
    assert_eq!(
        after.matches("Đề nghị khen thưởng các đơn vị trúng").count(),
        1,
        "only question 2 still offers its button: {after}"
    );
    assert_eq!(
        after.matches("Đã đề nghị khen thưởng từ câu hỏi này").count(),
        1,
        "{after}"
    );

    // Another form for the same question: refused, on the ballot's page, next to it.
    let (second, _, page) = app
        .post_as(
            Some("cumtruong"),
            "/awards/from-ballot",
            &[
                ("ballot", &id),
                ("question", "1"),
                ("award", "BK-HN"),
                ("achievements", "Lần hai"),
            ],
        )
        .await;
    assert_eq!(second, StatusCode::CONFLICT, "{page}");
    let said = between(&page, "id=\"e_propose_1\"", "</p>");
    assert!(
        said.contains("Câu 1 («Suy tôn đơn vị dẫn đầu»)") && said.contains("của «Phiếu bình xét thi đua năm 2022» đã được đề nghị khen thưởng; mỗi câu hỏi chỉ đề nghị khen thưởng một lần"),
        "{said}"
    );
    assert!(page.contains("Kết quả kiểm phiếu"), "the ballot's page: {page}");
    let stored = proposals_of_2022(&app).await;
    assert_eq!(stored.len(), 1, "{stored:?}");

    // The store refuses it too, whoever asks.
    let chair = actor(&app, "cumtruong").await;
    let again = app
        .state
        .store
        .propose_from_ballot(&chair, ballot, "1", &code("GK-QUAN"), "")
        .await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    // Question 2 proposes as before, once.
    let (other, _, _) = app
        .post_as(
            Some("cumtruong"),
            "/awards/from-ballot",
            &[("ballot", &id), ("question", "2"), ("award", "BK-HN")],
        )
        .await;
    assert_eq!(other, StatusCode::SEE_OTHER);
    assert_eq!(proposals_of_2022(&app).await.len(), 3);
}

async fn a_moved_proposal_and_a_locked_account_end_on_a_notice_the_address_cannot_write(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let p = reviewed_proposal(&app, "HN-HADONG", "CO-HN").await;
    let (escalated, headers, _) = app
        .post_as(
            Some("thanhpho"),
            &format!("/awards/proposals/{}", p.id),
            &[("action", "escalate"), ("version", &p.version.to_string())],
        )
        .await;
    assert_eq!(escalated, StatusCode::SEE_OTHER);
    let back = location(&headers);
    assert_eq!(back, "/awards?cluster=HN-CUM2&year=2022&done=escalate");
    let (_, _, list) = app.get_as(Some("thanhpho"), &back).await;
    assert!(
        list.contains("<p class=\"notice\" role=\"status\">Đã trình đề nghị khen thưởng lên cấp trên.</p>"),
        "{list}"
    );
    let (_, _, crafted) = app.get_as(Some("thanhpho"), &format!("{LIST}&done=%3Cb%3Ehack")).await;
    assert!(!crafted.contains("class=\"notice\""), "{crafted}");

    let (locked, headers, body) = app
        .post_as(Some("admin"), "/admin/users/namtuliem/status", &[("disabled", "1")])
        .await;
    assert_eq!(locked, StatusCode::SEE_OTHER, "{body}");
    let (_, _, users) = app.get_as(Some("admin"), &location(&headers)).await;
    let notice = between(&users, "<p class=\"notice\"", "</p>");
    assert!(
        notice.contains("Đã khóa tài khoản namtuliem (") && notice.contains("không đăng nhập được nữa"),
        "{notice}"
    );
    // An address saying an enabled account was locked puts nothing on the page.
    let (_, _, lie) = app
        .get_as(Some("admin"), "/admin/users?done=locked&account=hadong")
        .await;
    assert!(!lie.contains("class=\"notice\""), "{lie}");
    let (unlocked, headers, _) = app
        .post_as(Some("admin"), "/admin/users/namtuliem/status", &[("disabled", "0")])
        .await;
    assert_eq!(unlocked, StatusCode::SEE_OTHER);
    let (_, _, users) = app.get_as(Some("admin"), &location(&headers)).await;
    assert!(users.contains("Đã mở khóa tài khoản namtuliem ("), "{users}");
}
