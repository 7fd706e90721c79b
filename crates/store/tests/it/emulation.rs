//! The year's emulation against both backends: criteria versions, scoring in three
//! steps with evidence, ranking, pledges, the secret ballot (checked on the raw tables),
//! proposals, decisions, revocation and award history.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use sqlx::Row;
use thidua_core::emulation::Points;
use thidua_core::emulation::award::{
    AwardDecision, AwardFormCode, Proposal, ProposalAction, ProposalRights, ProposalSource, ProposalState, Recipient,
    Revocation,
};
use thidua_core::emulation::ballot::{BallotSpec, BallotState, Outcome, Paper, Question, QuestionKind, Threshold};
use thidua_core::emulation::criteria::CriterionCode;
use thidua_core::emulation::pledge::{MemberPledge, Pledge};
use thidua_core::emulation::scoring::{Mark, ScoreStep};
use thidua_core::{Role, UnitCode, Value};
use thidua_store::testing::TestDatabase;
use thidua_store::{
    Actor, Backend, DecisionInput, EvidenceFile, NewUser, ProposalFilter, SheetInput, Store, StoreError, User,
};

thidua_store::on_both_backends!(
    the_demo_loads_the_2022_criteria_and_the_award_catalogue_once,
    criteria_no_sheet_uses_yet_are_edited_in_place,
    of_two_editors_saving_from_the_same_version_at_once_exactly_one_wins,
    editing_criteria_in_use_makes_a_new_version_and_old_sheets_keep_theirs,
    last_year_s_criteria_start_the_new_year,
    computed_items_fill_themselves_from_the_accepted_figures,
    each_step_keeps_its_numbers_and_who_gave_them_side_by_side,
    a_stale_sheet_save_is_refused,
    evidence_files_come_back_byte_for_byte_with_their_name_and_type,
    the_ranking_uses_final_totals_and_equal_totals_share_a_rank,
    a_pledge_is_saved_whole_and_read_back_for_printing,
    each_member_votes_once_and_the_count_reports_results_and_ties,
    stored_papers_cannot_be_linked_to_their_voters,
    a_proposal_from_the_vote_is_reviewed_escalated_and_decided,
    a_revoked_decision_stays_in_the_history_marked_revoked,
    a_proposal_unfit_for_its_recipient_or_made_twice_is_refused,
);

fn code<T: TryFrom<String>>(c: &str) -> T
where
    T::Error: std::fmt::Debug,
{
    T::try_from(c.to_owned()).unwrap()
}

fn ok<T>(r: Result<T, StoreError>) -> T {
    r.unwrap()
}

fn pts(x: f64) -> Points {
    Points::from_f64(x).unwrap_or_else(|| panic!("{x}"))
}

const MEMBERS: [&str; 6] = [
    "HN-HADONG",
    "HN-THANHXUAN",
    "HN-CAUGIAY",
    "HN-TAYHO",
    "HN-BACTULIEM",
    "HN-NAMTULIEM",
];

/// Every item scored by hand in the demo criteria, at its maximum (52 points).
const MANUAL_FULL: [(&str, f64); 11] = [
    ("I.1", 5.0),
    ("I.2", 5.0),
    ("I.3", 5.0),
    ("II.1", 5.0),
    ("II.3", 5.0),
    ("III.3", 7.0),
    ("IV.3", 2.0),
    ("V.5", 8.0),
    ("VI.1", 4.0),
    ("VI.2", 3.0),
    ("VI.3", 3.0),
];

async fn demo(backend: Backend) -> Option<(TestDatabase, Store)> {
    let db = TestDatabase::new(backend).await?;
    let store = db.store().await;
    ok(store.load_demo().await);
    Some((db, store))
}

async fn user(store: &Store, name: &str, role: Role, unit: &str) -> User {
    ok(store
        .create_user(NewUser {
            username: name.into(),
            display_name: format!("Đồng chí {name}"),
            password: "mật-khẩu-dài".into(),
            role,
            unit: Some(code(unit)),
        })
        .await)
}

fn actor(u: &User) -> Actor {
    Actor::from(&u.principal())
}

fn marks(pairs: &[(&str, f64)]) -> BTreeMap<CriterionCode, Mark> {
    pairs
        .iter()
        .map(|(c, p)| {
            (
                code(c),
                Mark {
                    points: pts(*p),
                    note: format!("Minh chứng cho {c}"),
                },
            )
        })
        .collect()
}

fn sheet(version: i64, pairs: &[(&str, f64)]) -> SheetInput {
    SheetInput {
        version,
        marks: marks(pairs),
        note: String::new(),
    }
}

async fn raw_pool(db: &TestDatabase) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    ok(sqlx::AnyPool::connect(&db.url_text.replace("sqlite://", "sqlite:"))
        .await
        .map_err(StoreError::from))
}

async fn the_demo_loads_the_2022_criteria_and_the_award_catalogue_once(backend: Backend) {
    let Some((_db, store)) = demo(backend).await else {
        return;
    };

    let criteria = ok(store.criteria_for_cluster(&code("HN-CUM2"), 2022).await);
    ok(store.load_demo().await);

    assert_eq!(criteria.version, 1);
    assert_eq!(criteria.set.scale(), pts(100.0));
    assert_eq!(criteria.set.criteria_max(), pts(100.0));
    assert_eq!(criteria.set.bonus_cap(), pts(5.0));
    assert_eq!(criteria.set.groups().len(), 6);
    let computed = criteria
        .set
        .items()
        .iter()
        .filter(|c| c.computation().is_some())
        .count();
    assert_eq!(computed, 9);
    assert_eq!(
        ok(store.criteria_versions("district", 2022).await).len(),
        1,
        "loading the demo again keeps version 1"
    );
    let catalogue = ok(store.award_catalogue().await);
    let names: Vec<&str> = catalogue.forms().iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names[0], "Cờ thi đua của Ủy ban Trung ương MTTQ Việt Nam");
    assert!(names.contains(&"Bằng khen của Ủy ban MTTQ Việt Nam Thành phố Hà Nội"));
    assert_eq!(names.len(), 6);
}

async fn criteria_no_sheet_uses_yet_are_edited_in_place(backend: Backend) {
    let Some((_db, store)) = demo(backend).await else {
        return;
    };
    let current = ok(store.criteria("district", 2022).await);
    let mut file = current.set.to_file();
    file.bonus_cap = 4.0;
    file.bonus[0].max = 3.0;

    let saved = ok(store
        .save_criteria(
            &Actor::system("test"),
            ok(thidua_core::emulation::CriteriaSet::from_file(file).map_err(StoreError::from)),
        )
        .await);

    assert!(!saved.new_version);
    assert_eq!(saved.criteria.version, 1);
    assert_eq!(ok(store.criteria("district", 2022).await).set.bonus_cap(), pts(4.0));
    assert!(saved.message.contains("chưa có bảng điểm nào"), "{}", saved.message);
}

async fn of_two_editors_saving_from_the_same_version_at_once_exactly_one_wins(backend: Backend) {
    let Some((_db, store)) = demo(backend).await else {
        return;
    };
    let opened = ok(store.criteria("district", 2022).await);
    let edited = |cap: f64| {
        let mut file = opened.set.to_file();
        file.bonus_cap = cap;
        ok(thidua_core::emulation::CriteriaSet::from_file(file).map_err(StoreError::from))
    };
    let actor = Actor::system("test");
    // Both drafts change the set: a save of an unchanged set writes nothing and would
    // let the other pass.
    assert!(opened.set.bonus_cap() != pts(4.5) && opened.set.bonus_cap() != pts(5.5));

    let seen = opened.stamp();
    let (a, b) = tokio::join!(
        store.save_criteria_since(&actor, edited(4.5), &seen),
        store.save_criteria_since(&actor, edited(5.5), &seen),
    );

    let won = match (a, b) {
        (Ok(_), Err(StoreError::Changed { .. })) => 4.5,
        (Err(StoreError::Changed { .. }), Ok(_)) => 5.5,
        other => panic!("exactly one save wins: {other:?}"),
    };
    let now = ok(store.criteria("district", 2022).await);
    assert_eq!(now.set.bonus_cap(), pts(won), "the winner's set is what is stored");
    assert_ne!(now.stamp(), opened.stamp(), "its write has a stamp of its own");
    let stale = store.save_criteria_since(&actor, edited(6.0), &seen).await;
    assert!(
        matches!(&stale, Err(e @ StoreError::Changed { .. }) if e.to_string().contains("đã được người khác thay đổi")),
        "{stale:?}"
    );
    assert!(
        ok(store.save_criteria_since(&actor, edited(6.0), &now.stamp()).await)
            .message
            .contains("Đã cập nhật")
    );
    assert!(
        matches!(
            store.save_criteria_since(&actor, edited(7.0), "").await,
            Err(StoreError::Changed { .. })
        ),
        "an editor opened on no set does not overwrite one saved since"
    );
}

async fn editing_criteria_in_use_makes_a_new_version_and_old_sheets_keep_theirs(backend: Backend) {
    let Some((_db, store)) = demo(backend).await else {
        return;
    };
    let officer = user(&store, "hadong", Role::Officer, "HN-HADONG").await;
    let hd: UnitCode = code("HN-HADONG");
    ok(store
        .save_score_sheet(
            &actor(&officer),
            &hd,
            2022,
            1,
            ScoreStep::SelfScore,
            sheet(0, &[("I.1", 5.0)]),
        )
        .await);
    let mut file = ok(store.criteria("district", 2022).await).set.to_file();
    file.groups[0].items[0].max = Some(4.0);
    file.groups[0].items[1].max = Some(6.0);
    let edited = ok(thidua_core::emulation::CriteriaSet::from_file(file).map_err(StoreError::from));

    let saved = ok(store.save_criteria(&Actor::system("test"), edited).await);

    assert!(saved.new_version);
    assert_eq!(saved.criteria.version, 2);
    assert!(saved.message.contains("đã tạo phiên bản 2"), "{}", saved.message);
    let old = ok(store.score_sheet(&hd, 2022, 1, ScoreStep::SelfScore).await);
    assert_eq!(
        old.and_then(|s| s.card.get(&code("I.1")).map(|m| m.points)),
        Some(pts(5.0)),
        "the old sheet keeps its 5 points of version 1"
    );
    let stale = store
        .save_score_sheet(
            &actor(&officer),
            &hd,
            2022,
            1,
            ScoreStep::SelfScore,
            sheet(1, &[("I.1", 4.0)]),
        )
        .await
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        stale.as_deref(),
        Some("bảng tiêu chí năm 2022 phiên bản 1 đã được thay bằng phiên bản 2; hãy chấm theo phiên bản 2")
    );
    let over = store
        .save_score_sheet(
            &actor(&officer),
            &hd,
            2022,
            2,
            ScoreStep::SelfScore,
            sheet(0, &[("I.1", 5.0)]),
        )
        .await
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        over.as_deref(),
        Some("bảng chấm điểm, mục I.1: 5 điểm vượt điểm tối đa 4")
    );
    let versions: Vec<(u32, i64)> = ok(store.criteria_versions("district", 2022).await)
        .iter()
        .map(|v| (v.version, v.sheets))
        .collect();
    assert_eq!(versions, [(2, 0), (1, 1)]);
    assert_eq!(ok(store.emulation_history("criteria:district/2022").await).len(), 2);
}

async fn last_year_s_criteria_start_the_new_year(backend: Backend) {
    let Some((_db, store)) = demo(backend).await else {
        return;
    };

    let copied = ok(store
        .copy_criteria(&Actor::system("test"), "district", 2022, 2023)
        .await);
    let again = store
        .copy_criteria(&Actor::system("test"), "district", 2022, 2023)
        .await;

    assert_eq!((copied.criteria.version, copied.criteria.set.year()), (1, 2023));
    assert_eq!(
        copied.criteria.set.name(),
        "Bảng tiêu chí chấm điểm thi đua cụm thi đua các quận, huyện, thị xã năm 2023"
    );
    assert_eq!(
        copied.criteria.set.groups(),
        ok(store.criteria("district", 2022).await).set.groups()
    );
    assert!(matches!(again, Err(StoreError::Conflict(m)) if m.contains("năm 2023 đã có bảng tiêu chí")));
    assert_eq!(ok(store.criteria_years("district").await), [2023, 2022]);
}

async fn computed_items_fill_themselves_from_the_accepted_figures(backend: Backend) {
    let Some((_db, store)) = demo(backend).await else {
        return;
    };
    let officer = user(&store, "tayho", Role::Officer, "HN-TAYHO").await;
    let th: UnitCode = code("HN-TAYHO");

    let saved = ok(store
        .save_score_sheet(
            &actor(&officer),
            &th,
            2022,
            1,
            ScoreStep::SelfScore,
            sheet(0, &MANUAL_FULL),
        )
        .await);
    let by_hand = store
        .save_score_sheet(
            &actor(&officer),
            &th,
            2022,
            1,
            ScoreStep::SelfScore,
            sheet(1, &[("II.2", 10.0)]),
        )
        .await;

    let points = |c: &str| saved.card.get(&code(c)).map(|m| (m.points, m.note.clone()));
    // 375 cremations of 380 funerals: 98,68% ≥ 95%.
    assert_eq!(points("II.2"), Some((pts(10.0), "Số liệu: 98,68 (chỉ tiêu 95)".into())));
    // 142 million đồng for the poor: the step from 100 million.
    assert_eq!(points("III.1").map(|p| p.0), Some(pts(4.0)));
    // 1,08 tỷ of 1,5 tỷ for the seas and islands, linear: 3,6.
    assert_eq!(points("III.2").map(|p| p.0), Some(pts(3.6)));
    // Every TTND recommendation resolved.
    assert_eq!(points("V.3").map(|p| p.0), Some(pts(5.0)));
    assert_eq!(saved.computed.len(), 9);
    let comparison = ok(store.score_comparison(&th, 2022, None).await);
    assert_eq!(comparison.comparison.final_totals.total, pts(87.32));
    assert!(matches!(
        by_hand,
        Err(StoreError::Domain(thidua_core::Error::InvalidScore { code, .. })) if code == "II.2"
    ));
}

async fn each_step_keeps_its_numbers_and_who_gave_them_side_by_side(backend: Backend) {
    let Some((_db, store)) = demo(backend).await else {
        return;
    };
    let officer = user(&store, "hadong", Role::Officer, "HN-HADONG").await;
    let chair = user(&store, "cumtruong", Role::Chair, "HN-HADONG").await;
    let upper = user(&store, "thanhpho", Role::Upper, "HN").await;
    let hd: UnitCode = code("HN-HADONG");
    let own = [MANUAL_FULL.as_slice(), &[("T1", 3.0), ("T2", 2.0), ("TRU1", 0.5)]].concat();

    ok(store
        .save_score_sheet(&actor(&officer), &hd, 2022, 1, ScoreStep::SelfScore, sheet(0, &own))
        .await);
    ok(store
        .save_score_sheet(
            &actor(&chair),
            &hd,
            2022,
            1,
            ScoreStep::Cluster,
            sheet(0, &[("I.1", 4.0), ("T1", 1.0)]),
        )
        .await);
    ok(store
        .save_score_sheet(
            &actor(&upper),
            &hd,
            2022,
            1,
            ScoreStep::Upper,
            sheet(0, &[("TRU2", 1.0)]),
        )
        .await);
    let cmp = ok(store.score_comparison(&hd, 2022, None).await);

    let line = |c: &str| {
        cmp.comparison
            .rows
            .iter()
            .find(|r| r.code.as_str() == c)
            .map(|r| (r.self_score, r.cluster, r.upper, r.final_points, r.differs))
    };
    let p = |x: f64| Some(pts(x));
    assert_eq!(line("I.1"), Some((p(5.0), p(4.0), p(4.0), p(4.0), true)));
    assert_eq!(line("T1"), Some((p(3.0), p(1.0), p(1.0), p(1.0), true)));
    assert_eq!(line("TRU2"), Some((None, None, p(1.0), p(1.0), false)));
    assert_eq!(line("II.2"), Some((p(10.0), p(10.0), p(10.0), p(10.0), false)));
    let totals: Vec<(ScoreStep, Points)> = cmp.comparison.totals.iter().map(|(s, t)| (*s, t.total)).collect();
    assert_eq!(
        totals,
        [
            (ScoreStep::SelfScore, pts(99.5)),
            (ScoreStep::Cluster, pts(99.5)),
            (ScoreStep::Upper, pts(98.5))
        ],
        "48 computed + 52 by hand + 5 bonus is capped at 100 before the penalties"
    );
    let who: Vec<(String, Option<i64>)> = cmp
        .sheets
        .iter()
        .flatten()
        .map(|s| (s.scored_login.clone(), s.scored_by))
        .collect();
    assert_eq!(
        who,
        [
            ("hadong".into(), Some(officer.id)),
            ("cumtruong".into(), Some(chair.id)),
            ("thanhpho".into(), Some(upper.id))
        ]
    );
    assert!(cmp.sheets.iter().flatten().all(|s| !s.scored_at.is_empty()));
    let trail = ok(store.emulation_history("score:HN-HADONG/2022/v1/cluster").await);
    assert_eq!(trail.len(), 1);
    assert_eq!(trail[0].actor, "cumtruong");
}

async fn a_stale_sheet_save_is_refused(backend: Backend) {
    let Some((_db, store)) = demo(backend).await else {
        return;
    };
    let chair = user(&store, "cumtruong", Role::Chair, "HN-HADONG").await;
    let cg: UnitCode = code("HN-CAUGIAY");
    let first = ok(store
        .save_score_sheet(
            &actor(&chair),
            &cg,
            2022,
            1,
            ScoreStep::Cluster,
            sheet(0, &[("I.1", 3.0)]),
        )
        .await);

    let second = ok(store
        .save_score_sheet(
            &actor(&chair),
            &cg,
            2022,
            1,
            ScoreStep::Cluster,
            sheet(first.version, &[("I.1", 4.0)]),
        )
        .await);
    let stale = store
        .save_score_sheet(
            &actor(&chair),
            &cg,
            2022,
            1,
            ScoreStep::Cluster,
            sheet(first.version, &[("I.1", 2.0)]),
        )
        .await;

    assert_eq!(second.version, 2);
    assert!(matches!(stale, Err(StoreError::Conflict(_))));
    let kept = ok(store.score_sheet(&cg, 2022, 1, ScoreStep::Cluster).await);
    assert_eq!(
        kept.and_then(|s| s.card.get(&code("I.1")).map(|m| m.points)),
        Some(pts(4.0))
    );
}

async fn evidence_files_come_back_byte_for_byte_with_their_name_and_type(backend: Backend) {
    let Some((_db, store)) = demo(backend).await else {
        return;
    };
    let officer = user(&store, "hadong", Role::Officer, "HN-HADONG").await;
    let hd: UnitCode = code("HN-HADONG");
    let saved = ok(store
        .save_score_sheet(
            &actor(&officer),
            &hd,
            2022,
            1,
            ScoreStep::SelfScore,
            sheet(0, &[("I.2", 5.0)]),
        )
        .await);
    let bytes: Vec<u8> = b"%PDF-1.7\n\x00\xff\xfe binary \x80"
        .iter()
        .copied()
        .cycle()
        .take(70_000)
        .collect();

    let info = ok(store
        .attach_evidence(
            &actor(&officer),
            saved.id,
            Some(&code("I.2")),
            EvidenceFile {
                filename: "C:\\Báo cáo\\Ngày hội Đại đoàn kết.pdf".into(),
                content_type: "application/pdf".into(),
                bytes: bytes.clone(),
            },
        )
        .await);
    let (stored, content) = ok(store.evidence_file(info.id).await);
    let unknown_item = store
        .attach_evidence(
            &actor(&officer),
            saved.id,
            Some(&code("IX.1")),
            EvidenceFile {
                filename: "x.txt".into(),
                content_type: String::new(),
                bytes: vec![1],
            },
        )
        .await;

    assert_eq!(content, bytes);
    assert_eq!(stored.filename, "Ngày hội Đại đoàn kết.pdf");
    assert_eq!(
        (
            stored.content_type.as_str(),
            stored.size,
            stored.code.as_ref().map(CriterionCode::as_str)
        ),
        ("application/pdf", 70_000, Some("I.2"))
    );
    assert!(unknown_item.is_err());
    let listed = ok(store.score_sheet(&hd, 2022, 1, ScoreStep::SelfScore).await);
    assert_eq!(listed.map(|s| s.evidence), Some(vec![stored.clone()]));
    ok(store.remove_evidence(&actor(&officer), info.id).await);
    assert!(matches!(
        store.evidence_file(info.id).await,
        Err(StoreError::NotFound { .. })
    ));
}

async fn the_ranking_uses_final_totals_and_equal_totals_share_a_rank(backend: Backend) {
    let Some((_db, store)) = demo(backend).await else {
        return;
    };
    let chair = user(&store, "cumtruong", Role::Chair, "HN-HADONG").await;
    let score = |unit: &'static str, pairs: Vec<(&'static str, f64)>| {
        let (store, chair) = (&store, &chair);
        async move {
            ok(store
                .save_score_sheet(
                    &actor(chair),
                    &code(unit),
                    2022,
                    1,
                    ScoreStep::Cluster,
                    sheet(0, &pairs),
                )
                .await)
        }
    };
    let most: Vec<(&str, f64)> = MANUAL_FULL[..10].to_vec();
    // Computed from the figures: Hà Đông and Cầu Giấy 48 each, Thanh Xuân 43,52, Bắc Từ
    // Liêm 38. By hand: 49 each, Thanh Xuân 52 and a bonus of 5 (capped at 100).
    score("HN-HADONG", most.clone()).await;
    score("HN-CAUGIAY", most.clone()).await;
    score(
        "HN-THANHXUAN",
        [MANUAL_FULL.as_slice(), &[("T1", 3.0), ("T2", 2.0)]].concat(),
    )
    .await;
    score("HN-BACTULIEM", most).await;

    let ranking = ok(store.ranking(&code("HN-CUM2"), 2022, None).await);

    let table: Vec<(u32, &str, Points, bool)> = ranking
        .standings
        .iter()
        .map(|s| (s.rank, s.unit.as_str(), s.total, s.tied))
        .collect();
    assert_eq!(
        table,
        [
            (1, "HN-THANHXUAN", pts(100.0), false),
            (2, "HN-CAUGIAY", pts(97.0), true),
            (2, "HN-HADONG", pts(97.0), true),
            (4, "HN-BACTULIEM", pts(87.0), false),
        ]
    );
    let unscored: Vec<&str> = ranking.unscored.iter().map(UnitCode::as_str).collect();
    assert_eq!(unscored, ["HN-TAYHO", "HN-NAMTULIEM"]);
    assert_eq!(ranking.criteria_version, 1);
}

async fn a_pledge_is_saved_whole_and_read_back_for_printing(backend: Backend) {
    let Some((_db, store)) = demo(backend).await else {
        return;
    };
    let chair = user(&store, "cumtruong", Role::Chair, "HN-HADONG").await;
    let pledge = Pledge {
        cluster: code("HN-CUM2"),
        year: 2022,
        title: "Giao ước thi đua năm 2022".into(),
        signed_on: NaiveDate::from_ymd_opt(2022, 3, 18),
        place: "quận Hà Đông".into(),
        commitments: vec!["Thực hiện hiệu quả các cuộc vận động, phong trào thi đua".into()],
        members: vec![MemberPledge {
            unit: code("HN-HADONG"),
            titles: vec!["Cờ thi đua".into(), "Hoàn thành xuất sắc nhiệm vụ".into()],
            targets: [
                (code("QUY_VI_NGUOI_NGHEO"), Value::Whole(500_000_000)),
                (code("TY_LE_HOA_TANG"), Value::Decimal(97.5)),
            ]
            .into_iter()
            .collect(),
            signer_name: "Nguyễn Văn A".into(),
            signer_title: "Chủ tịch Ủy ban MTTQ Việt Nam quận Hà Đông".into(),
        }],
    };

    let saved = ok(store.save_pledge(&actor(&chair), pledge.clone()).await);
    let read = ok(store.pledge(&code("HN-CUM2"), 2022).await);
    let mut outsider = pledge.clone();
    outsider.members[0].unit = code("HN");
    let refused = store.save_pledge(&actor(&chair), outsider).await;

    assert_eq!(read.as_ref(), Some(&saved));
    assert_eq!(saved, pledge);
    assert!(matches!(
        refused,
        Err(StoreError::Domain(thidua_core::Error::InvalidPledge(_)))
    ));
    assert_eq!(ok(store.pledge(&code("HN-CUM2"), 2023).await), None);
}

fn members() -> Vec<UnitCode> {
    MEMBERS.iter().map(|m| code(m)).collect()
}

fn ballot_spec() -> BallotSpec {
    let question = |c: &str, text: &str, kind: QuestionKind, threshold: Option<Threshold>| Question {
        code: c.into(),
        text: text.into(),
        kind,
        candidates: members(),
        threshold,
    };
    BallotSpec {
        cluster: code("HN-CUM2"),
        year: 2022,
        title: "Phiếu bình xét thi đua năm 2022".into(),
        electorate: Vec::new(),
        questions: vec![
            question("1", "Xếp hạng thi đua các đơn vị", QuestionKind::RankMembers, None),
            question(
                "2",
                "Suy tôn đơn vị dẫn đầu",
                QuestionKind::LeadingUnit,
                Some(Threshold::MORE_THAN_HALF),
            ),
            question(
                "3",
                "Đề nghị tặng Bằng khen (chọn tối đa 2 đơn vị)",
                QuestionKind::Commendation { max_choices: 2 },
                Some(Threshold::MORE_THAN_HALF),
            ),
            question(
                "4",
                "Bầu cụm trưởng năm 2023",
                QuestionKind::Chair,
                Some(Threshold::MORE_THAN_HALF),
            ),
        ],
    }
}

fn paper(answers: &[(&str, &[&str])]) -> Paper {
    Paper {
        answers: answers
            .iter()
            .map(|(q, units)| (q.to_string(), units.iter().map(|u| code(u)).collect()))
            .collect(),
    }
}

async fn each_member_votes_once_and_the_count_reports_results_and_ties(backend: Backend) {
    let Some((_db, store)) = demo(backend).await else {
        return;
    };
    let chair = user(&store, "cumtruong", Role::Chair, "HN-HADONG").await;
    let ballot = ok(store.open_ballot(&actor(&chair), ballot_spec()).await);
    let votes: [(&str, Paper); 6] = [
        ("HN-HADONG", paper(&[("2", &["HN-HADONG"]), ("4", &["HN-CAUGIAY"])])),
        ("HN-THANHXUAN", paper(&[("2", &["HN-HADONG"]), ("4", &["HN-CAUGIAY"])])),
        ("HN-CAUGIAY", paper(&[("2", &["HN-HADONG"]), ("4", &["HN-TAYHO"])])),
        ("HN-TAYHO", paper(&[("2", &["HN-CAUGIAY"]), ("4", &["HN-TAYHO"])])),
        ("HN-BACTULIEM", paper(&[("2", &["HN-HADONG"]), ("4", &["HN-CAUGIAY"])])),
        (
            "HN-NAMTULIEM",
            paper(&[("2", &["HN-HADONG", "HN-CAUGIAY"]), ("4", &["HN-TAYHO"])]),
        ),
    ];
    for (voter, p) in &votes {
        ok(store.cast_ballot(ballot.id, &code(voter), p.clone()).await);
    }

    let twice = store
        .cast_ballot(ballot.id, &code("HN-HADONG"), votes[0].1.clone())
        .await;
    let outsider = store.cast_ballot(ballot.id, &code("HN"), votes[0].1.clone()).await;
    let unknown_question = store
        .cast_ballot(ballot.id, &code("HN-HADONG"), paper(&[("9", &["HN-HADONG"])]))
        .await;
    let too_early = store.tally_ballot(ballot.id).await;
    let closed = ok(store.close_ballot(&actor(&chair), ballot.id, true).await);
    let late = store
        .cast_ballot(ballot.id, &code("HN-HADONG"), votes[0].1.clone())
        .await;
    let record = ok(store.tally_ballot(ballot.id).await);

    assert_eq!(
        twice.err().map(|e| e.to_string()).as_deref(),
        Some("đơn vị HN-HADONG đã bỏ phiếu; mỗi đơn vị chỉ bỏ phiếu một lần")
    );
    assert!(matches!(
        outsider,
        Err(StoreError::Domain(thidua_core::Error::NotAllowed(_)))
    ));
    assert!(unknown_question.is_err());
    assert!(too_early.is_err(), "no count while voting goes on");
    assert_eq!(closed.state, BallotState::Closed);
    assert!(late.is_err());
    assert_eq!(ok(store.who_has_voted(ballot.id).await).len(), 6);
    assert_eq!((record.issued, record.received), (6, 6));
    let q = |c: &str| {
        record
            .questions
            .iter()
            .find(|q| q.code == c)
            .unwrap_or_else(|| panic!("{c}"))
    };
    assert_eq!((q("2").valid, q("2").invalid), (5, 1));
    assert_eq!(
        q("2").outcome,
        Outcome::Elected {
            units: vec![code("HN-HADONG")]
        }
    );
    assert_eq!(q("2").candidates[0].percent, 80.0);
    assert_eq!(
        q("4").outcome,
        Outcome::NotReached,
        "3 of 6 is not more than half: a re-vote"
    );
    assert_eq!(q("1").outcome, Outcome::NoValidPapers);
    assert!(record.revote_needed());
    assert_eq!(ok(store.ballots(&code("HN-CUM2"), 2022).await).len(), 1);
}

async fn stored_papers_cannot_be_linked_to_their_voters(backend: Backend) {
    let Some((db, store)) = demo(backend).await else {
        return;
    };
    let chair = user(&store, "cumtruong", Role::Chair, "HN-HADONG").await;
    let ballot = ok(store.open_ballot(&actor(&chair), ballot_spec()).await);
    // Every member casts the same paper, so the content itself tells nobody apart.
    let same = paper(&[("2", &["HN-HADONG"]), ("3", &["HN-CAUGIAY", "HN-TAYHO"])]);
    for voter in MEMBERS {
        ok(store.cast_ballot(ballot.id, &code(voter), same.clone()).await);
    }
    let pool = raw_pool(&db).await;
    let columns = |table: &'static str| {
        let pool = pool.clone();
        async move {
            let sql = match backend {
                Backend::Sqlite => format!("SELECT name FROM pragma_table_info('{table}') ORDER BY cid"),
                Backend::Postgres => format!(
                    "SELECT column_name::text FROM information_schema.columns WHERE table_name = '{table}' ORDER BY ordinal_position"
                ),
            };
            let rows = ok(sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_all(&pool)
                .await
                .map_err(StoreError::from));
            rows.iter().map(|r| r.get::<String, _>(0)).collect::<Vec<_>>()
        }
    };
    let references = |table: &'static str| {
        let pool = pool.clone();
        async move {
            let sql = match backend {
                Backend::Sqlite => format!("SELECT \"table\" FROM pragma_foreign_key_list('{table}')"),
                Backend::Postgres => format!(
                    "SELECT ccu.table_name::text FROM information_schema.table_constraints tc
                     JOIN information_schema.constraint_column_usage ccu ON ccu.constraint_name = tc.constraint_name
                     WHERE tc.table_name = '{table}' AND tc.constraint_type = 'FOREIGN KEY'"
                ),
            };
            let rows = ok(sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_all(&pool)
                .await
                .map_err(StoreError::from));
            rows.iter().map(|r| r.get::<String, _>(0)).collect::<Vec<_>>()
        }
    };
    let sealed_rows = || {
        let pool = pool.clone();
        async move {
            let rows = ok(sqlx::query("SELECT id, sealed FROM ballot_sealed_paper")
                .fetch_all(&pool)
                .await
                .map_err(StoreError::from));
            rows.iter()
                .map(|r| (r.get::<String, _>(0), r.get::<String, _>(1)))
                .collect::<Vec<_>>()
        }
    };
    let before = sealed_rows().await;

    ok(store.close_ballot(&actor(&chair), ballot.id, true).await);
    let after = sealed_rows().await;
    let counted: Vec<String> = ok(sqlx::query_scalar("SELECT answers FROM ballot_counted_paper")
        .fetch_all(&pool)
        .await
        .map_err(StoreError::from));

    // While open the papers are sealed under a random id, with the ballot: no voter, no
    // time; once counted they hold a position (a shuffled order) and the answers.
    assert_eq!(columns("ballot_sealed_paper").await, ["ballot_id", "id", "sealed"]);
    assert_eq!(references("ballot_sealed_paper").await, ["ballot"]);
    assert_eq!(
        columns("ballot_counted_paper").await,
        ["ballot_id", "position", "answers"]
    );
    assert_eq!(references("ballot_counted_paper").await, ["ballot"]);
    // Who has voted holds the ballot and the unit: no time, no paper.
    assert_eq!(columns("ballot_voter").await, ["ballot_id", "unit_id"]);
    let mut voter_refs = references("ballot_voter").await;
    voter_refs.sort();
    assert_eq!(voter_refs, ["ballot", "unit"]);
    if backend == Backend::Sqlite {
        for table in ["ballot_sealed_paper", "ballot_counted_paper", "ballot_voter"] {
            let rowid = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT rowid FROM {table}")))
                .fetch_all(&pool)
                .await;
            assert!(rowid.is_err(), "no hidden insertion counter on {table}");
        }
    }
    assert_eq!(before.len(), 6);
    let distinct: std::collections::BTreeSet<&String> = before.iter().map(|(_, s)| s).collect();
    assert_eq!(distinct.len(), 6, "six identical papers, sealed six different ways");
    for (id, _) in &before {
        assert!(id.len() == 32 && id.chars().all(|c| c.is_ascii_hexdigit()), "{id}");
    }
    assert!(after.is_empty(), "closing deletes the sealed papers");
    assert_eq!(counted.len(), 6);
    assert!(counted.iter().all(|a| a == &counted[0]), "six identical papers counted");
    let cast_events: i64 = ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_event WHERE subject LIKE 'ballot:%' AND action NOT IN ('ballot-open', 'ballot-close')",
    )
    .fetch_one(&pool)
    .await
    .map_err(StoreError::from));
    assert_eq!(cast_events, 0, "casting leaves no trace in the audit trail");
    pool.close().await;
}

fn rights(can_review: bool, can_decide: bool) -> ProposalRights {
    ProposalRights { can_review, can_decide }
}

async fn a_proposal_from_the_vote_is_reviewed_escalated_and_decided(backend: Backend) {
    let Some((_db, store)) = demo(backend).await else {
        return;
    };
    let chair = user(&store, "cumtruong", Role::Chair, "HN-HADONG").await;
    let upper = user(&store, "thanhpho", Role::Upper, "HN").await;
    let ballot = ok(store.open_ballot(&actor(&chair), ballot_spec()).await);
    for (i, voter) in MEMBERS.iter().enumerate() {
        let chair_vote: &[&str] = if i % 2 == 0 { &["HN-CAUGIAY"] } else { &["HN-TAYHO"] };
        let p = paper(&[("2", &["HN-HADONG"]), ("4", chair_vote)]);
        ok(store.cast_ballot(ballot.id, &code(voter), p).await);
    }
    ok(store.close_ballot(&actor(&chair), ballot.id, true).await);
    let flag: AwardFormCode = code("CO-HN");

    let proposed = ok(store
        .propose_from_ballot(
            &actor(&chair),
            ballot.id,
            "2",
            &flag,
            "Dẫn đầu Cụm thi đua số 2 năm 2022",
        )
        .await);
    let tied = store
        .propose_from_ballot(&actor(&chair), ballot.id, "4", &flag, "")
        .await;
    let p = &proposed[0];
    let reviewed = ok(store
        .move_proposal(
            &actor(&upper),
            p.id,
            ProposalAction::Review,
            rights(true, false),
            p.version,
            None,
        )
        .await);
    let stale = store
        .move_proposal(
            &actor(&upper),
            p.id,
            ProposalAction::Escalate,
            rights(true, false),
            p.version,
            None,
        )
        .await;
    let escalated = ok(store
        .move_proposal(
            &actor(&upper),
            p.id,
            ProposalAction::Escalate,
            rights(true, false),
            reviewed.version,
            None,
        )
        .await);
    let not_allowed = store
        .record_decision(
            &actor(&chair),
            DecisionInput {
                decision: decision(
                    "01/QĐ-TEST",
                    2022,
                    "CO-HN",
                    vec![Recipient::Collective {
                        unit: code("HN-HADONG"),
                    }],
                ),
                proposals: vec![p.id],
            },
            rights(true, false),
        )
        .await;
    let decided = ok(store
        .record_decision(
            &actor(&upper),
            DecisionInput {
                decision: decision(
                    "125/QĐ-MTTQ-BTT",
                    2022,
                    "CO-HN",
                    vec![Recipient::Collective {
                        unit: code("HN-HADONG"),
                    }],
                ),
                proposals: vec![p.id],
            },
            rights(true, true),
        )
        .await);

    assert_eq!(proposed.len(), 1);
    assert_eq!(
        p.proposal.recipient,
        Recipient::Collective {
            unit: code("HN-HADONG")
        }
    );
    assert_eq!(
        p.proposal.source,
        ProposalSource::Ballot {
            ballot: ballot.id,
            question: "2".into()
        }
    );
    assert!(tied.err().is_some_and(|e| e.to_string().contains("cần bỏ phiếu lại")));
    assert!(matches!(stale, Err(StoreError::Conflict(_))));
    assert_eq!(escalated.state, ProposalState::Escalated);
    assert!(matches!(
        not_allowed,
        Err(StoreError::Domain(thidua_core::Error::NotAllowed(_)))
    ));
    assert!(
        ok(store.decisions(Some(2022)).await).len() == 1,
        "the refused decision left nothing behind"
    );
    assert_eq!(decided.proposals, [p.id]);
    let after = ok(store.proposal(p.id).await);
    assert_eq!(
        (after.state, after.decision_id),
        (ProposalState::Decided, Some(decided.id))
    );
    let states: Vec<Option<String>> = ok(store.emulation_history(&format!("proposal:{}", p.id)).await)
        .into_iter()
        .map(|e| e.new_value)
        .collect();
    assert_eq!(
        states,
        ["proposed", "reviewed", "escalated", "decided"].map(|s| Some(s.to_owned()))
    );
    let listed = ok(store
        .proposals(&ProposalFilter {
            year: Some(2022),
            cluster: Some(code("HN-CUM2")),
            state: Some(ProposalState::Decided),
        })
        .await);
    assert_eq!(listed.len(), 1);
    let history = ok(store.award_history_of_unit(&code("HN-HADONG")).await);
    assert_eq!(history.len(), 1);
    assert_eq!(
        (history[0].award_name.as_str(), history[0].number.as_str()),
        (
            "Cờ thi đua của Ủy ban MTTQ Việt Nam Thành phố Hà Nội",
            "125/QĐ-MTTQ-BTT"
        )
    );
}

fn decision(number: &str, year: i32, award: &str, recipients: Vec<Recipient>) -> AwardDecision {
    AwardDecision {
        number: number.into(),
        signed_on: NaiveDate::from_ymd_opt(year + 1, 1, 15).unwrap_or_default(),
        issuer: "Ban Thường trực Ủy ban MTTQ Việt Nam Thành phố Hà Nội".into(),
        level: String::new(),
        award: code(award),
        year,
        recipients,
        revocation: None,
    }
}

async fn a_revoked_decision_stays_in_the_history_marked_revoked(backend: Backend) {
    let Some((_db, store)) = demo(backend).await else {
        return;
    };
    let upper = user(&store, "thanhpho", Role::Upper, "HN").await;
    let person = Recipient::Individual {
        name: "Tra\u{302}\u{300}n Thi\u{323} Bi\u{300}nh".into(),
        title: "Phó Chủ tịch Ủy ban MTTQ Việt Nam quận Tây Hồ".into(),
        unit: code("HN-TAYHO"),
    };
    let older = ok(store
        .record_decision(
            &actor(&upper),
            DecisionInput {
                decision: decision("88/QĐ-MTTQ-BTT", 2021, "BK-HN", vec![person.clone()]),
                proposals: vec![],
            },
            rights(true, true),
        )
        .await);
    let newer = ok(store
        .record_decision(
            &actor(&upper),
            DecisionInput {
                decision: decision(
                    "130/QĐ-MTTQ-BTT",
                    2022,
                    "BK-HN",
                    vec![Recipient::Collective { unit: code("HN-TAYHO") }, person.clone()],
                ),
                proposals: vec![],
            },
            rights(true, true),
        )
        .await);
    let revocation = Revocation {
        number: "45/QĐ-MTTQ-BTT".into(),
        on: NaiveDate::from_ymd_opt(2023, 6, 1).unwrap_or_default(),
        reason: "Kê khai thành tích không đúng sự thật".into(),
    };

    let forbidden = store
        .revoke_decision(&actor(&upper), newer.id, revocation.clone(), false)
        .await;
    let revoked = ok(store
        .revoke_decision(&actor(&upper), newer.id, revocation.clone(), true)
        .await);
    let again = store
        .revoke_decision(&actor(&upper), newer.id, revocation.clone(), true)
        .await;
    let found = ok(store.award_history_of_person("tran thi binh").await);
    let nobody = ok(store.award_history_of_person("nguyen van").await);
    let unit_history = ok(store.award_history_of_unit(&code("HN-TAYHO")).await);
    let same_number = store
        .record_decision(
            &actor(&upper),
            DecisionInput {
                decision: decision("88/QĐ-MTTQ-BTT", 2022, "BK-HN", vec![person.clone()]),
                proposals: vec![],
            },
            rights(true, true),
        )
        .await;

    assert!(matches!(
        forbidden,
        Err(StoreError::Domain(thidua_core::Error::NotAllowed(_)))
    ));
    assert_eq!(revoked.decision.revocation, Some(revocation));
    assert!(again.is_err());
    let years: Vec<(i32, bool)> = found.iter().map(|r| (r.year, r.revocation.is_some())).collect();
    assert_eq!(
        years,
        [(2022, true), (2021, false)],
        "newest first, the revoked one marked"
    );
    assert_eq!(found[0].recipient.person(), Some("Trần Thị Bình"));
    assert!(nobody.is_empty());
    assert_eq!(unit_history.len(), 3, "the unit's own award and its people's");
    assert_eq!(older.decision.level, "city");
    assert!(matches!(same_number, Err(StoreError::Conflict(_))));
    assert_eq!(
        ok(store.emulation_history(&format!("decision:{}", newer.id)).await).len(),
        2
    );
}

async fn a_proposal_unfit_for_its_recipient_or_made_twice_is_refused(backend: Backend) {
    let Some((_db, store)) = demo(backend).await else {
        return;
    };
    let upper = user(&store, "thanhpho", Role::Upper, "HN").await;
    let proposal = |award: &str, recipient: Recipient| Proposal {
        year: 2022,
        award: code(award),
        recipient,
        cluster: None,
        achievements: "Hoàn thành xuất sắc nhiệm vụ năm 2022".into(),
        source: ProposalSource::Upper,
    };
    let person = Recipient::Individual {
        name: "Lê Văn C".into(),
        title: "Chủ tịch".into(),
        unit: code("HN-CAUGIAY"),
    };

    let flag_to_person = store
        .propose_award(&actor(&upper), proposal("CO-TW", person.clone()))
        .await;
    let first = ok(store
        .propose_award(&actor(&upper), proposal("BK-TW", person.clone()))
        .await);
    let twice = store
        .propose_award(&actor(&upper), proposal("BK-TW", person.clone()))
        .await;
    let no_reason = store
        .move_proposal(
            &actor(&upper),
            first.id,
            ProposalAction::Reject,
            rights(true, false),
            1,
            Some(" "),
        )
        .await;
    let rejected = ok(store
        .move_proposal(
            &actor(&upper),
            first.id,
            ProposalAction::Reject,
            rights(true, false),
            1,
            Some("Chưa đủ thời gian công tác"),
        )
        .await);
    let after_rejection = store.propose_award(&actor(&upper), proposal("BK-TW", person)).await;

    assert_eq!(
        flag_to_person.err().map(|e| e.to_string()).as_deref(),
        Some("khen thưởng: Cờ thi đua của Ủy ban Trung ương MTTQ Việt Nam chỉ dành cho tập thể")
    );
    assert!(matches!(twice, Err(StoreError::Conflict(_))));
    assert!(no_reason.is_err());
    assert_eq!(
        (rejected.state, rejected.reason.as_deref()),
        (ProposalState::Rejected, Some("Chưa đủ thời gian công tác"))
    );
    assert!(after_rejection.is_ok(), "a refused proposal may be made again");
}
