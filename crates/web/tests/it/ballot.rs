//! Bình xét, suy tôn through HTTP: the chair opens the secret ballot, each member's
//! representative votes once, everyone sees who has voted and nobody what anyone chose,
//! the count and its record — on SQLite and PostgreSQL.

use crate::common;

use axum::http::{StatusCode, header};
use common::TestApp;
use thidua_store::Backend;

common::on_both_backends!(
    the_chair_opens_a_ballot_with_the_standard_questions_and_an_officer_may_not,
    each_member_votes_once_and_ha_dong_has_one_paper_between_its_two_accounts,
    an_officer_of_another_cluster_can_neither_see_nor_vote,
    everyone_sees_who_has_voted_but_never_what_anyone_chose,
    closing_and_counting_names_the_winners_with_votes_percentages_and_borda_points,
    a_tie_or_a_missed_threshold_says_a_re_vote_is_needed,
    an_answer_that_would_be_invalid_is_warned_about_then_counted_invalid_if_sent_anyway,
    the_record_of_the_count_downloads_as_docx_and_pdf_once_the_ballot_is_closed,
    every_ballot_page_answers_every_role_as_the_access_rules_say,
    after_a_warning_the_paper_comes_back_whole_and_sending_it_anyway_casts_that_paper,
);

/// The six members' officers and their units, in the cluster's order.
const OFFICERS: [(&str, &str); 6] = [
    ("hadong", "HN-HADONG"),
    ("thanhxuan", "HN-THANHXUAN"),
    ("caugiay", "HN-CAUGIAY"),
    ("tayho", "HN-TAYHO"),
    ("bactuliem", "HN-BACTULIEM"),
    ("namtuliem", "HN-NAMTULIEM"),
];

/// Opens the standard ballot of 2022 as the chair: ranking (question index 0), leading
/// unit (1), Bằng khen for up to 2 (2), next chair (3) all quá bán, next deputy (4) by
/// the most votes. Returns the ballot's path.
async fn open_standard_ballot(app: &TestApp) -> String {
    let (status, headers, body) = app
        .post_as(
            Some("cumtruong"),
            "/clusters/HN-CUM2/ballots",
            &[
                ("year", "2022"),
                ("title", "Phiếu bình xét thi đua năm 2022"),
                ("rank", "1"),
                ("leading", "1"),
                ("leading_t", "qua-ban"),
                ("commend", "1"),
                ("commend_n", "2"),
                ("commend_t", "qua-ban"),
                ("chair", "1"),
                ("chair_t", "qua-ban"),
                ("deputy", "1"),
                ("deputy_t", "nhieu-nhat"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let location = headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(location.starts_with("/ballots/"), "{location}");
    location
}

/// One paper: the ranking (first to last), the leading unit, the Bằng khen units, the
/// next chair and deputy.
#[derive(Clone, Copy)]
struct Choices<'a> {
    rank: [&'a str; 6],
    leading: &'a str,
    commend: &'a [&'a str],
    chair: &'a str,
    deputy: &'a str,
}

async fn vote(app: &TestApp, who: &str, ballot: &str, c: &Choices<'_>, confirm: bool) -> (StatusCode, String) {
    let mut fields: Vec<(String, String)> = c
        .rank
        .iter()
        .enumerate()
        .map(|(place, unit)| (format!("r0_{unit}"), (place + 1).to_string()))
        .collect();
    fields.push(("q1".into(), c.leading.into()));
    fields.extend(c.commend.iter().map(|u| ("q2".to_owned(), (*u).to_owned())));
    fields.push(("q3".into(), c.chair.into()));
    fields.push(("q4".into(), c.deputy.into()));
    if confirm {
        fields.push(("confirm".into(), "1".into()));
    }
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (status, _, body) = app.post_as(Some(who), &format!("{ballot}/vote"), &refs).await;
    (status, body)
}

/// What the six members choose: Hà Đông leads (4 of 6), Thanh Xuân and Cầu Giấy get the
/// Bằng khen (5 and 4 of 6), the chair vote splits 3 to 3, the deputy vote ties 2 to 2.
fn papers() -> [Choices<'static>; 6] {
    const HD: &str = "HN-HADONG";
    const TX: &str = "HN-THANHXUAN";
    const CG: &str = "HN-CAUGIAY";
    const TH: &str = "HN-TAYHO";
    const BTL: &str = "HN-BACTULIEM";
    const NTL: &str = "HN-NAMTULIEM";
    [
        Choices {
            rank: [HD, CG, TX, TH, BTL, NTL],
            leading: HD,
            commend: &[CG, TX],
            chair: CG,
            deputy: TH,
        },
        Choices {
            rank: [HD, TX, CG, TH, NTL, BTL],
            leading: HD,
            commend: &[CG, TX],
            chair: CG,
            deputy: TX,
        },
        Choices {
            rank: [CG, HD, TX, TH, BTL, NTL],
            leading: CG,
            commend: &[HD, TX],
            chair: TH,
            deputy: TX,
        },
        Choices {
            rank: [HD, CG, TH, TX, BTL, NTL],
            leading: HD,
            commend: &[CG, TX],
            chair: TH,
            deputy: TH,
        },
        Choices {
            rank: [HD, CG, TX, BTL, TH, NTL],
            leading: HD,
            commend: &[CG, TH],
            chair: CG,
            deputy: BTL,
        },
        Choices {
            rank: [HD, CG, TX, TH, NTL, BTL],
            leading: TH,
            commend: &[TX, BTL],
            chair: TH,
            deputy: NTL,
        },
    ]
}

/// Every member votes its paper of [`papers`], then the chair closes the ballot.
async fn vote_all_and_close(app: &TestApp, ballot: &str) {
    for ((who, _), paper) in OFFICERS.iter().zip(papers()) {
        let (status, body) = vote(app, who, ballot, &paper, false).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{who}: {body}");
    }
    let (status, _, body) = app.post_as(Some("cumtruong"), &format!("{ballot}/close"), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
}

async fn the_chair_opens_a_ballot_with_the_standard_questions_and_an_officer_may_not(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let (_, _, list) = app
        .get_as(Some("cumtruong"), "/clusters/HN-CUM2/ballots?year=2022")
        .await;
    assert!(list.contains("Mở bỏ phiếu") && list.contains("Quá bán (trên 1/2 số phiếu hợp lệ)"));
    assert!(list.contains("Từ 2/3 số phiếu hợp lệ trở lên"));

    let (status, _, _) = app
        .post_as(
            Some("caugiay"),
            "/clusters/HN-CUM2/ballots",
            &[("year", "2022"), ("title", "Phiếu"), ("leading", "1")],
        )
        .await;
    let ballot = open_standard_ballot(&app).await;

    assert_eq!(status, StatusCode::FORBIDDEN, "an officer does not open the vote");
    let (_, _, officer_list) = app.get_as(Some("caugiay"), "/clusters/HN-CUM2/ballots?year=2022").await;
    assert!(!officer_list.contains("Mở bỏ phiếu"), "no opening form for an officer");
    assert!(
        officer_list.contains(&format!("href=\"{ballot}\"")) && officer_list.contains("Đang bỏ phiếu"),
        "{officer_list}"
    );
    assert!(officer_list.contains("0/6"));
    assert!(
        officer_list.contains("href=\"/clusters/HN-CUM2/emulation?year=2022\""),
        "breadcrumb back to the year's work"
    );
    let (_, _, paper) = app.get_as(Some("caugiay"), &ballot).await;
    for question in [
        "Câu 1. Xếp hạng thi đua các đơn vị",
        "Câu 2. Suy tôn đơn vị dẫn đầu",
        "Câu 3. Bình xét đơn vị đề nghị tặng Bằng khen (chọn tối đa 2 đơn vị)",
        "Câu 4. Bầu cụm trưởng năm 2023",
        "Câu 5. Bầu cụm phó năm 2023",
    ] {
        assert!(paper.contains(question), "{question}: {paper}");
    }
    assert!(paper.contains("name=\"r0_HN-TAYHO\"") && paper.contains("type=\"radio\" name=\"q1\""));
    assert!(paper.contains("type=\"checkbox\" name=\"q2\" value=\"HN-NAMTULIEM\""));

    let (status, _, refused) = app
        .post_as(
            Some("cumtruong"),
            "/clusters/HN-CUM2/ballots",
            &[("year", "2022"), ("title", "Phiếu trống")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.contains("hãy chọn ít nhất một câu hỏi cho phiếu bầu"),
        "{refused}"
    );
}

async fn each_member_votes_once_and_ha_dong_has_one_paper_between_its_two_accounts(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let ballot = open_standard_ballot(&app).await;
    let papers = papers();

    for ((who, _), paper) in OFFICERS.iter().zip(&papers) {
        let (status, body) = vote(&app, who, &ballot, paper, false).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{who}: {body}");
    }
    // The chair account belongs to Hà Đông too: Hà Đông's one paper is already in.
    let (by_chair, chair_body) = vote(&app, "cumtruong", &ballot, &papers[0], false).await;
    let (again, again_body) = vote(&app, "caugiay", &ballot, &papers[2], false).await;

    assert_eq!(by_chair, StatusCode::CONFLICT);
    assert!(
        chair_body.contains("Đơn vị HN-HADONG đã bỏ phiếu; mỗi đơn vị chỉ bỏ phiếu một lần"),
        "{chair_body}"
    );
    assert_eq!(again, StatusCode::CONFLICT);
    assert!(again_body.contains("Đơn vị HN-CAUGIAY đã bỏ phiếu"), "{again_body}");
    let (_, _, page) = app.get_as(Some("cumtruong"), &ballot).await;
    assert!(page.contains("Đơn vị đã bỏ phiếu: 6/6"), "{page}");
    assert!(page.contains("quận Hà Đông đã bỏ phiếu. Mỗi đơn vị chỉ bỏ một phiếu."));
    assert!(!page.contains("Gửi phiếu"), "no second paper offered");
}

async fn an_officer_of_another_cluster_can_neither_see_nor_vote(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let ballot = open_standard_ballot(&app).await;

    let (seen, _, _) = app.get_as(Some("khac"), &ballot).await;
    let (voted, _) = vote(&app, "khac", &ballot, &papers()[0], true).await;
    let (upper, _) = vote(&app, "thanhpho", &ballot, &papers()[0], true).await;

    assert_eq!(seen, StatusCode::FORBIDDEN);
    assert_eq!(voted, StatusCode::FORBIDDEN);
    assert_eq!(
        upper,
        StatusCode::FORBIDDEN,
        "the upper level watches, it does not vote"
    );
    let (_, _, page) = app.get_as(Some("thanhpho"), &ballot).await;
    assert!(page.contains("Đơn vị đã bỏ phiếu: 0/6"), "{page}");
}

async fn everyone_sees_who_has_voted_but_never_what_anyone_chose(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let ballot = open_standard_ballot(&app).await;
    // Hà Đông alone chooses Nam Từ Liêm everywhere it can: any trace of it would show.
    let singular = Choices {
        rank: [
            "HN-NAMTULIEM",
            "HN-HADONG",
            "HN-THANHXUAN",
            "HN-CAUGIAY",
            "HN-TAYHO",
            "HN-BACTULIEM",
        ],
        leading: "HN-NAMTULIEM",
        commend: &["HN-NAMTULIEM"],
        chair: "HN-NAMTULIEM",
        deputy: "HN-NAMTULIEM",
    };
    let (status, body) = vote(&app, "hadong", &ballot, &singular, false).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");

    for who in ["hadong", "caugiay", "cumtruong", "thanhpho", "admin"] {
        let (status, _, page) = app.get_as(Some(who), &ballot).await;
        assert_eq!(status, StatusCode::OK, "{who}");
        assert!(page.contains("Đơn vị đã bỏ phiếu: 1/6"), "{who}: {page}");
        assert!(page.contains("✓</span> quận Hà Đông"), "{who}: {page}");
        assert!(!page.contains("✓</span> quận Cầu Giấy"), "{who}");
        assert!(
            !page.contains(" checked") && !page.contains(" selected"),
            "{who}: nothing on the page is marked as anyone's choice"
        );
        assert!(
            !page.contains("Số phiếu") && !page.contains("Kết quả kiểm phiếu"),
            "{who}: no count while the ballot is open"
        );
    }
    let (status, _, _) = app.get_as(Some("cumtruong"), &format!("{ballot}/record.docx")).await;
    assert_eq!(status, StatusCode::CONFLICT, "no record before the ballot closes");
}

async fn closing_and_counting_names_the_winners_with_votes_percentages_and_borda_points(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let ballot = open_standard_ballot(&app).await;
    for ((who, _), paper) in OFFICERS.iter().zip(papers()).take(5) {
        vote(&app, who, &ballot, &paper, false).await;
    }
    let (refused, _, _) = app.post_as(Some("hadong"), &format!("{ballot}/close"), &[]).await;
    assert_eq!(refused, StatusCode::FORBIDDEN, "an officer does not close the vote");
    let (status, _) = vote(&app, "namtuliem", &ballot, &papers()[5], false).await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    let (status, _, _) = app.post_as(Some("cumtruong"), &format!("{ballot}/close"), &[]).await;
    let (_, _, page) = app.get_as(Some("caugiay"), &ballot).await;

    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        page.contains("Đã kết thúc bỏ phiếu") && page.contains("Kết quả kiểm phiếu"),
        "{page}"
    );
    assert!(
        page.contains("Số đơn vị có quyền bỏ phiếu: 6 · Số phiếu phát ra: 6 · Số phiếu thu vào: 6"),
        "{page}"
    );
    // Leading unit: Hà Đông with 4 of 6 valid papers, more than half.
    assert!(
        page.contains("<th class=\"unit\" scope=\"row\">quận Hà Đông</th><td>4</td><td>66,67%</td><td>Trúng</td>"),
        "{page}"
    );
    assert!(page.contains("Trúng: quận Hà Đông."), "{page}");
    // Bằng khen: Thanh Xuân (5) and Cầu Giấy (4) of up to two.
    assert!(page.contains("Trúng: quận Thanh Xuân, quận Cầu Giấy."), "{page}");
    assert!(page.contains("<td>83,33%</td>"), "{page}");
    // The ranking by Borda points: 35, 30, 24, 18, 11, 8; Hà Đông first on 5 papers.
    assert!(
        page.contains("<td>1</td><th class=\"unit\" scope=\"row\">quận Hà Đông</th><td>5</td><td>35</td><td>1,17</td>"),
        "{page}"
    );
    assert!(
        page.contains("Thứ tự: 1. quận Hà Đông; 2. quận Cầu Giấy; 3. quận Thanh Xuân; 4. quận Tây Hồ; 5. quận Bắc Từ Liêm; 6. quận Nam Từ Liêm."),
        "{page}"
    );
    assert!(!page.contains("Gửi phiếu") && !page.contains("Kết thúc bỏ phiếu và kiểm phiếu"));
}

async fn a_tie_or_a_missed_threshold_says_a_re_vote_is_needed(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let ballot = open_standard_ballot(&app).await;

    vote_all_and_close(&app, &ballot).await;
    let (_, _, page) = app.get_as(Some("tayho"), &ballot).await;

    // The deputy (most votes win): Tây Hồ and Thanh Xuân 2 each.
    assert!(
        page.contains("Có đơn vị bằng phiếu nhau — cần bỏ phiếu lại")
            && page.contains("Bằng phiếu nhau: quận Thanh Xuân, quận Tây Hồ."),
        "{page}"
    );
    assert!(page.contains("<td>Bằng phiếu</td>"));
    // The chair (quá bán): 3 to 3, nobody above half.
    assert!(
        page.contains("Không đơn vị nào đạt ngưỡng trúng — cần bỏ phiếu lại"),
        "{page}"
    );
    assert!(page.contains("Có câu hỏi chưa có kết quả: cần bỏ phiếu lại."));
}

async fn an_answer_that_would_be_invalid_is_warned_about_then_counted_invalid_if_sent_anyway(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let ballot = open_standard_ballot(&app).await;
    let three_for_two = Choices {
        commend: &["HN-HADONG", "HN-CAUGIAY", "HN-TAYHO"],
        ..papers()[3]
    };

    let (warned, page) = vote(&app, "tayho", &ballot, &three_for_two, false).await;
    let (_, _, after_warning) = app.get_as(Some("tayho"), &ballot).await;
    let (sent, _) = vote(&app, "tayho", &ballot, &three_for_two, true).await;
    app.post_as(Some("cumtruong"), &format!("{ballot}/close"), &[]).await;
    let (_, _, counted) = app.get_as(Some("tayho"), &ballot).await;

    assert_eq!(warned, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("Phiếu chưa được gửi")
            && page.contains(
                "Câu 3 — Bình xét đơn vị đề nghị tặng Bằng khen (chọn tối đa 2 đơn vị): chọn quá số lượng cho phép"
            ),
        "{page}"
    );
    assert!(
        page.contains("value=\"HN-TAYHO\" checked"),
        "the voter's own choices are kept on their screen"
    );
    assert!(
        after_warning.contains("Đơn vị đã bỏ phiếu: 0/6"),
        "a warned paper is not cast"
    );
    assert_eq!(sent, StatusCode::SEE_OTHER);
    assert!(
        counted.contains("Phiếu hợp lệ: 0 · Phiếu không hợp lệ: 1 (1 phiếu chọn quá số lượng cho phép)"),
        "{counted}"
    );
    assert!(
        counted.contains("Phiếu hợp lệ: 1 · Phiếu không hợp lệ: 0 · Ngưỡng trúng: trên 1/2 số phiếu hợp lệ"),
        "the other answers of the paper count: {counted}"
    );
}

async fn the_record_of_the_count_downloads_as_docx_and_pdf_once_the_ballot_is_closed(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let ballot = open_standard_ballot(&app).await;
    vote_all_and_close(&app, &ballot).await;

    let (docx_status, docx_headers, docx) = app.get_as(Some("bactuliem"), &format!("{ballot}/record.docx")).await;
    let (pdf_status, pdf_headers, pdf) = app.get_as(Some("thanhpho"), &format!("{ballot}/record.pdf")).await;
    let (outsider, _, _) = app.get_as(Some("khac"), &format!("{ballot}/record.pdf")).await;

    assert_eq!(docx_status, StatusCode::OK);
    assert!(docx.starts_with("PK"), "a DOCX is a zip");
    let disposition = docx_headers
        .get(header::CONTENT_DISPOSITION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(
        disposition.contains("bien-ban-kiem-phieu-HN-CUM2-2022-"),
        "{disposition}"
    );
    assert_eq!(pdf_status, StatusCode::OK);
    assert_eq!(
        pdf_headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()),
        Some("application/pdf")
    );
    assert!(pdf.starts_with("%PDF-"));
    assert_eq!(outsider, StatusCode::FORBIDDEN);
}

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

async fn every_ballot_page_answers_every_role_as_the_access_rules_say(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let ballot = open_standard_ballot(&app).await;
    const OK: u16 = 200;
    const LOGIN: u16 = 303;
    const NO: u16 = 403;
    const DONE: u16 = 303;
    let gets: [(String, [u16; 7]); 4] = [
        //                                                  anon   hadong caugiay khac chair upper admin
        (
            "/clusters/HN-CUM2/ballots?year=2022".into(),
            [LOGIN, OK, OK, NO, OK, OK, OK],
        ),
        (ballot.clone(), [LOGIN, OK, OK, NO, OK, OK, OK]),
        ("/ballots/999999".into(), [LOGIN, 404, 404, 404, 404, 404, 404]),
        ("/ballots/abc".into(), [LOGIN, 404, 404, 404, 404, 404, 404]),
    ];
    let mut failures = Vec::new();
    for (uri, expected) in &gets {
        for (who, want) in WHO.iter().zip(expected) {
            let (status, _, _) = app.get_as(*who, uri).await;
            if status.as_u16() != *want {
                failures.push(format!("GET {uri} as {who:?}: {status}, expected {want}"));
            }
        }
    }
    // Closing: the chair and the levels above; an open ballot closes once, so the
    // allowed ones are tried last, on ballots of their own.
    for (who, want) in WHO.iter().zip([LOGIN, NO, NO, NO, DONE, DONE, DONE]) {
        let target = if want == DONE && who.is_some() {
            open_standard_ballot(&app).await
        } else {
            ballot.clone()
        };
        let (status, _, _) = app.post_as(*who, &format!("{target}/close"), &[]).await;
        if status.as_u16() != want {
            failures.push(format!("POST {target}/close as {who:?}: {status}, expected {want}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The value of attribute `name` in a tag's text.
fn attribute<'a>(tag: &'a str, name: &str) -> &'a str {
    let marker = format!("{name}=\"");
    let Some(start) = tag.find(&marker) else {
        return "";
    };
    let rest = &tag[start + marker.len()..];
    &rest[..rest.find('"').unwrap_or(rest.len())]
}

/// What the form posting to `action` sends as the page fills it in: every select's
/// selected option, every ticked radio button and checkbox — as a browser would.
fn filled_in(page: &str, action: &str) -> Vec<(String, String)> {
    let start = page
        .find(&format!("action=\"{action}\""))
        .unwrap_or_else(|| panic!("no form for {action}: {page}"));
    let form = &page[start..];
    let form = &form[..form.find("</form>").unwrap_or(form.len())];
    let mut out = Vec::new();
    for select in form.split("<select ").skip(1) {
        let name = attribute(select, "name");
        let options = &select[..select.find("</select>").unwrap_or(select.len())];
        for option in options.split("<option ").filter(|o| o.contains(" selected>")) {
            out.push((name.to_owned(), attribute(option, "value").to_owned()));
        }
    }
    for input in form.split("<input ").skip(1) {
        let tag = &input[..input.find('>').unwrap_or(input.len())];
        if tag.ends_with(" checked") {
            out.push((attribute(tag, "name").to_owned(), attribute(tag, "value").to_owned()));
        }
    }
    out.sort();
    out
}

async fn after_a_warning_the_paper_comes_back_whole_and_sending_it_anyway_casts_that_paper(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let ballot = open_standard_ballot(&app).await;
    let vote_uri = format!("{ballot}/vote");
    // Hà Đông and Cầu Giấy both placed first: the ranking would count as invalid.
    let mut typed: Vec<(String, String)> = [
        ("r0_HN-HADONG", "1"),
        ("r0_HN-CAUGIAY", "1"),
        ("r0_HN-THANHXUAN", "2"),
        ("r0_HN-TAYHO", "3"),
        ("r0_HN-BACTULIEM", "4"),
        ("r0_HN-NAMTULIEM", "5"),
        ("q1", "HN-HADONG"),
        ("q2", "HN-CAUGIAY"),
        ("q2", "HN-THANHXUAN"),
        ("q3", "HN-TAYHO"),
        ("q4", "HN-BACTULIEM"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    typed.sort();
    let refs: Vec<(&str, &str)> = typed.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();

    let (warned, _, page) = app.post_as(Some("tayho"), &vote_uri, &refs).await;

    assert_eq!(warned, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(page.contains("Câu 1 — Xếp hạng thi đua các đơn vị:"), "{page}");
    let shown = filled_in(&page, &vote_uri);
    assert_eq!(
        shown, typed,
        "every place and choice the voter gave is on the page again"
    );

    // Tôi vẫn gửi: the page as it stands, with the box ticked.
    let mut again = shown.clone();
    again.push(("confirm".into(), "1".into()));
    let refs: Vec<(&str, &str)> = again.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (sent, headers, body) = app.post_as(Some("tayho"), &vote_uri, &refs).await;
    assert_eq!(sent, StatusCode::SEE_OTHER, "{body}");
    let back = headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(back, format!("{ballot}?done=voted"));
    let (_, _, voted) = app.get_as(Some("tayho"), &back).await;
    assert!(voted.contains("Đã gửi phiếu của quận Tây Hồ."), "{voted}");
    let (_, _, not_voted) = app.get_as(Some("hadong"), &back).await;
    assert!(
        !not_voted.contains("class=\"notice\""),
        "no notice for a unit that has not voted"
    );

    // The count is the warned paper's: its ranking invalid, its other four answers valid.
    let (closed, _, _) = app.post_as(Some("cumtruong"), &format!("{ballot}/close"), &[]).await;
    assert_eq!(closed, StatusCode::SEE_OTHER);
    let (_, _, counted) = app.get_as(Some("tayho"), &ballot).await;
    assert!(counted.contains("Số phiếu thu vào: 1"), "{counted}");
    assert_eq!(
        counted.matches("Phiếu hợp lệ: 0 · Phiếu không hợp lệ: 1").count(),
        1,
        "{counted}"
    );
    assert_eq!(
        counted.matches("Phiếu hợp lệ: 1 · Phiếu không hợp lệ: 0").count(),
        4,
        "{counted}"
    );
    assert!(
        counted.contains("Trúng: quận Thanh Xuân, quận Cầu Giấy."),
        "the Bằng khen as ticked: {counted}"
    );
}
