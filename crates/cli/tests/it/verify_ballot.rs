//! `thidua verify ballot ID` on a closed ballot: intact, then after a paper was changed
//! in the database behind thidua's back — on SQLite and PostgreSQL.

use std::process::Output;

use crate::common::thidua;

use thidua_core::emulation::ballot::{BallotSpec, Paper, Question, QuestionKind};
use thidua_core::{Role, UnitCode};
use thidua_store::testing::TestDatabase;
use thidua_store::{Actor, Backend, NewUser};

thidua_store::on_both_backends!(verify_ballot_says_a_closed_ballot_is_intact_and_names_a_changed_paper);

fn unit(c: &str) -> UnitCode {
    UnitCode::parse(c).unwrap()
}

async fn verify_ballot_says_a_closed_ballot_is_intact_and_names_a_changed_paper(backend: Backend) {
    let Some(db) = TestDatabase::new(backend).await else {
        return;
    };
    let store = db.store().await;
    store.load_demo().await.unwrap();
    let chair = store
        .create_user(NewUser {
            username: "cumtruong".into(),
            display_name: "Cụm trưởng".into(),
            password: "mật-khẩu-dài".into(),
            role: Role::Chair,
            unit: Some(unit("HN-HADONG")),
        })
        .await
        .unwrap();
    let chair = Actor::from(&chair.principal());
    let voters = ["HN-HADONG", "HN-THANHXUAN", "HN-CAUGIAY", "HN-TAYHO"];
    let spec = BallotSpec {
        cluster: "HN-CUM2".to_owned().try_into().unwrap(),
        year: 2022,
        title: "Phiếu bình xét thi đua năm 2022".into(),
        electorate: voters.iter().map(|v| unit(v)).collect(),
        questions: vec![Question {
            code: "1".into(),
            text: "Suy tôn đơn vị dẫn đầu".into(),
            kind: QuestionKind::LeadingUnit,
            candidates: voters.iter().map(|v| unit(v)).collect(),
            threshold: None,
        }],
    };
    let ballot = store.open_ballot(&chair, spec).await.unwrap();
    for voter in voters {
        let paper = Paper {
            answers: [("1".to_owned(), vec![unit(voter)])].into(),
        };
        store.cast_ballot(ballot.id, &unit(voter), paper).await.unwrap();
    }
    let closed = store.close_ballot(&chair, ballot.id, true).await.unwrap();
    let head = closed.seal.unwrap_or_default();
    let id = ballot.id.to_string();

    let intact = thidua(&db, &["verify", "ballot", &id]);
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&db.url_text.replace("sqlite://", "sqlite:"))
        .await
        .unwrap();
    sqlx::query("UPDATE ballot_counted_paper SET answers = $1 WHERE ballot_id = $2")
        .bind(r#"{"1":["HN-HADONG"]}"#)
        .bind(ballot.id)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let tampered = thidua(&db, &["verify", "ballot", &id]);
    let still_open = {
        let open = store
            .open_ballot(&chair, store.ballot(ballot.id).await.unwrap().spec)
            .await
            .unwrap();
        thidua(&db, &["verify", "ballot", &open.id.to_string()])
    };
    store.close().await;

    let stdout = |o: &Output| String::from_utf8_lossy(&o.stdout).into_owned();
    let stderr = |o: &Output| String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(intact.status.success(), "{}{}", stdout(&intact), stderr(&intact));
    assert_eq!(
        stdout(&intact).trim(),
        format!("Phiếu bầu số {id}: nguyên vẹn, mã niêm phong {head}.")
    );
    assert!(!tampered.status.success(), "a changed paper must fail the check");
    assert!(
        stdout(&tampered).contains(&format!(
            "Phiếu bầu số {id}: KHÔNG nguyên vẹn (mã niêm phong khi kết thúc: {head})"
        )) && stdout(&tampered).contains("đã bị thay đổi sau khi niêm phong"),
        "{}",
        stdout(&tampered)
    );
    assert!(stderr(&tampered).contains("đã bị can thiệp"), "{}", stderr(&tampered));
    assert!(!still_open.status.success());
    assert!(stderr(&still_open).contains("đang mở"), "{}", stderr(&still_open));
}
