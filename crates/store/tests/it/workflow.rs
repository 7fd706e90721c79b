//! Accounts, sessions and the reporting workflow against both backends.

use std::collections::BTreeMap;

use thidua_core::workflow::{Action, Situation, SubmissionState};
use thidua_core::{IndicatorCode, Period, Role, UnitCode, Value};
use thidua_store::testing::TestDatabase;
use thidua_store::{
    Actor, Backend, Decision, FormInput, LoginAttempt, LoginPolicy, Narrative, NewUser, Store, StoreError, User,
};

thidua_store::on_both_backends!(
    a_user_signs_in_with_the_right_password_only,
    wrong_passwords_make_the_name_wait_and_a_reset_lets_its_owner_in,
    passwords_are_stored_as_argon2id_hashes,
    a_session_finds_its_user_until_logout_or_disabling,
    a_session_survives_a_restart_of_the_server,
    an_officer_submits_and_the_chair_accepts_making_the_figures_official,
    a_stale_save_is_refused_instead_of_overwriting,
    a_returned_form_carries_its_reason_and_can_be_submitted_again,
    a_draft_saves_with_a_broken_rule_but_cannot_be_submitted,
    every_change_is_in_the_audit_trail_which_cannot_be_altered,
    completeness_shows_who_submitted_and_what_is_missing,
);

fn code<T: TryFrom<String>>(c: &str) -> T
where
    T::Error: std::fmt::Debug,
{
    T::try_from(c.to_owned()).unwrap()
}

const S2: Period = Period::HalfYear(2022, 2);

async fn demo(backend: Backend) -> Option<(TestDatabase, Store)> {
    let db = TestDatabase::new(backend).await?;
    let store = db.store().await;
    store.load_demo().await.unwrap();
    Some((db, store))
}

async fn user(store: &Store, name: &str, role: Role, unit: Option<&str>) -> User {
    store
        .create_user(NewUser {
            username: name.into(),
            display_name: format!("Đồng chí {name}"),
            password: "mật-khẩu-dài".into(),
            role,
            unit: unit.map(code),
        })
        .await
        .unwrap()
}

const OFFICER: Situation = Situation {
    can_enter: true,
    can_review: false,
    can_reopen: false,
    window_open: true,
    reopened: false,
};
const CHAIR: Situation = Situation {
    can_enter: false,
    can_review: true,
    can_reopen: false,
    window_open: true,
    reopened: false,
};

fn decision(action: Action, version: i64, reason: Option<&str>) -> Decision<'_> {
    Decision {
        action,
        situation: CHAIR,
        version,
        reason,
    }
}

fn form(version: i64, pairs: &[(&str, i64)]) -> FormInput {
    FormInput {
        version,
        values: pairs
            .iter()
            .map(|(c, v)| (code::<IndicatorCode>(c), Some(Value::Whole(*v))))
            .collect::<BTreeMap<_, _>>(),
        narrative: Narrative {
            results: "Tổ chức thành công hội nghị đại biểu nhân dân".into(),
            ..Narrative::default()
        },
    }
}

async fn a_user_signs_in_with_the_right_password_only(backend: Backend) {
    let Some((_db, store)) = demo(backend).await else {
        return;
    };
    user(&store, "hadong", Role::Officer, Some("HN-HADONG")).await;

    assert!(store.authenticate("hadong", "mật-khẩu-dài").await.is_ok());
    assert!(
        store.authenticate("HaDong ", "mật-khẩu-dài").await.is_ok(),
        "names are case-insensitive"
    );
    assert!(matches!(
        store.authenticate("hadong", "sai").await,
        Err(StoreError::LoginFailed)
    ));
    assert!(matches!(
        store.authenticate("nobody", "mật-khẩu-dài").await,
        Err(StoreError::LoginFailed)
    ));
}

/// Waits long enough that none runs out while a test runs: the tests never race the clock.
fn patient_policy() -> LoginPolicy {
    LoginPolicy {
        first_delay: std::time::Duration::from_secs(3600),
        ..LoginPolicy::default()
    }
}

async fn wrong_passwords_make_the_name_wait_and_a_reset_lets_its_owner_in(backend: Backend) {
    let Some((_db, store)) = demo(backend).await else {
        return;
    };
    user(&store, "hadong", Role::Officer, Some("HN-HADONG")).await;
    let policy = patient_policy();
    let attempt = |username, password| LoginAttempt {
        username,
        password,
        address: None,
    };

    // The free failures and the one that sets the first wait are all checked…
    for name in ["hadong", "khong-co-ai"] {
        for _ in 0..=policy.free_failures {
            let result = store.sign_in(attempt(name, "đoán-bừa"), &policy).await;
            assert!(matches!(result, Err(StoreError::LoginFailed)), "{name}: {result:?}");
        }
    }
    // …then the name waits, right password or not, existing account or not.
    let waits = store.sign_in(attempt("hadong", "mật-khẩu-dài"), &policy).await;
    assert!(matches!(waits, Err(StoreError::LoginThrottled { .. })), "{waits:?}");
    let missing = store.sign_in(attempt("khong-co-ai", "mật-khẩu-dài"), &policy).await;
    assert!(matches!(missing, Err(StoreError::LoginThrottled { .. })), "{missing:?}");

    store.set_password("hadong", "mật-khẩu-mới-123").await.unwrap();
    assert!(
        store
            .sign_in(attempt("hadong", "mật-khẩu-mới-123"), &policy)
            .await
            .is_ok(),
        "an admin's reset lets the owner in"
    );
}

async fn passwords_are_stored_as_argon2id_hashes(backend: Backend) {
    let Some(db) = TestDatabase::new(backend).await else {
        return;
    };
    let store = db.store().await;
    user(&store, "admin", Role::Admin, None).await;
    store.close().await;

    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&db.url_text.replace("sqlite://", "sqlite:"))
        .await
        .unwrap();
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM app_user WHERE username = 'admin'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(!hash.contains("mật-khẩu"));
    pool.close().await;
}

async fn a_session_finds_its_user_until_logout_or_disabling(backend: Backend) {
    let Some((_db, store)) = demo(backend).await else {
        return;
    };
    let officer = user(&store, "hadong", Role::Officer, Some("HN-HADONG")).await;

    let token = store.create_session(&officer).await.unwrap();
    let session = store.session(&token).await.unwrap();
    assert_eq!(session.as_ref().map(|s| s.user.username.as_str()), Some("hadong"));
    assert!(session.is_some_and(|s| s.csrf_token.len() == 64));
    assert!(store.session("not-a-token").await.unwrap().is_none());

    store.delete_session(&token).await.unwrap();
    assert!(store.session(&token).await.unwrap().is_none());

    let second = store.create_session(&officer).await.unwrap();
    store.set_disabled(None, "hadong", true).await.unwrap();
    assert!(store.session(&second).await.unwrap().is_none());
    assert!(store.authenticate("hadong", "mật-khẩu-dài").await.is_err());
}

async fn an_officer_submits_and_the_chair_accepts_making_the_figures_official(backend: Backend) {
    let Some((_db, store)) = demo(backend).await else {
        return;
    };
    let officer = user(&store, "caugiay", Role::Officer, Some("HN-CAUGIAY"))
        .await
        .principal();
    let chair = user(&store, "chair", Role::Chair, Some("HN-HADONG")).await.principal();
    let unit: UnitCode = code("HN-CAUGIAY");

    let saved = store
        .save_submission(
            &Actor::from(&officer),
            &unit,
            S2,
            Action::Save,
            OFFICER,
            form(0, &[("HV_HOI_CHO", 4)]),
        )
        .await
        .unwrap();
    assert_eq!(
        (saved.submission.state, saved.submission.version),
        (SubmissionState::Draft, 1)
    );
    let before = store.rollup_unit(&unit, S2).await.unwrap().1;
    assert!(
        before.get(&code("HV_HOI_CHO")).is_none(),
        "a draft is not an official figure"
    );

    let submitted = store
        .save_submission(
            &Actor::from(&officer),
            &unit,
            S2,
            Action::Submit,
            OFFICER,
            form(1, &[("HV_HOI_CHO", 4), ("HV_CHUYEN_HANG", 6)]),
        )
        .await
        .unwrap();
    assert_eq!(submitted.submission.state, SubmissionState::Submitted);
    assert!(submitted.submission.submitted_at.is_some());

    let accepted = store
        .decide_submission(&Actor::from(&chair), &unit, S2, decision(Action::Accept, 2, None))
        .await
        .unwrap();
    assert_eq!(accepted.state, SubmissionState::Accepted);
    let after = store.rollup_cluster(&code("HN-CUM2"), S2).await.unwrap();
    assert_eq!(after.total.get(&code("HV_HOI_CHO")), Some(&Value::Whole(4)));
    assert_eq!(after.total.get(&code("HV_CHUYEN_HANG")), Some(&Value::Whole(6)));
}

async fn a_stale_save_is_refused_instead_of_overwriting(backend: Backend) {
    let Some((_db, store)) = demo(backend).await else {
        return;
    };
    let first = user(&store, "tayho1", Role::Officer, Some("HN-TAYHO"))
        .await
        .principal();
    let second = user(&store, "tayho2", Role::Officer, Some("HN-TAYHO"))
        .await
        .principal();
    let unit: UnitCode = code("HN-TAYHO");
    store
        .save_submission(
            &Actor::from(&first),
            &unit,
            S2,
            Action::Save,
            OFFICER,
            form(0, &[("PB_PHAN_BIEN", 3)]),
        )
        .await
        .unwrap();

    // The second officer opened the form at version 0 too, before the first saved.
    let stale = store
        .save_submission(
            &Actor::from(&second),
            &unit,
            S2,
            Action::Save,
            OFFICER,
            form(0, &[("PB_PHAN_BIEN", 7)]),
        )
        .await;

    let Err(StoreError::Conflict(message)) = stale else {
        panic!("expected a conflict, got {stale:?}")
    };
    assert!(message.contains("vừa được người khác cập nhật"), "{message}");
    let kept = store.submission(&unit, S2).await.unwrap();
    assert_eq!(kept.values.get(&code("PB_PHAN_BIEN")), Some(&Value::Whole(3)));
}

async fn a_returned_form_carries_its_reason_and_can_be_submitted_again(backend: Backend) {
    let Some((_db, store)) = demo(backend).await else {
        return;
    };
    let officer = user(&store, "tayho", Role::Officer, Some("HN-TAYHO")).await.principal();
    let chair = user(&store, "chair", Role::Chair, Some("HN-HADONG")).await.principal();
    let unit: UnitCode = code("HN-TAYHO");
    store
        .save_submission(
            &Actor::from(&officer),
            &unit,
            S2,
            Action::Submit,
            OFFICER,
            form(0, &[("HV_HOI_CHO", 1)]),
        )
        .await
        .unwrap();

    let no_reason = store
        .decide_submission(&Actor::from(&chair), &unit, S2, decision(Action::Return, 1, Some(" ")))
        .await;
    assert!(no_reason.is_err());
    let returned = store
        .decide_submission(
            &Actor::from(&chair),
            &unit,
            S2,
            decision(Action::Return, 1, Some("Thiếu số liệu Quỹ Vì người nghèo")),
        )
        .await
        .unwrap();

    assert_eq!(returned.state, SubmissionState::Returned);
    assert_eq!(
        returned.return_reason.as_deref(),
        Some("Thiếu số liệu Quỹ Vì người nghèo")
    );
    let again = store
        .save_submission(
            &Actor::from(&officer),
            &unit,
            S2,
            Action::Submit,
            OFFICER,
            form(2, &[("QUY_VI_NGUOI_NGHEO", 150_000_000)]),
        )
        .await
        .unwrap();
    assert_eq!(again.submission.state, SubmissionState::Submitted);
    assert_eq!(again.submission.values.len(), 2, "values typed earlier are kept");
}

async fn a_draft_saves_with_a_broken_rule_but_cannot_be_submitted(backend: Backend) {
    let Some((_db, store)) = demo(backend).await else {
        return;
    };
    let officer = user(&store, "tayho", Role::Officer, Some("HN-TAYHO")).await.principal();
    let unit: UnitCode = code("HN-TAYHO");
    let broken = [("TTND_PHAT_HIEN", 2), ("TTND_KIEN_NGHI", 5)];

    let saved = store
        .save_submission(
            &Actor::from(&officer),
            &unit,
            S2,
            Action::Save,
            OFFICER,
            form(0, &broken),
        )
        .await
        .unwrap();
    assert_eq!(saved.violations.len(), 1);
    assert!(
        saved.violations[0].message.contains(
            "Ban Thanh tra nhân dân: số vụ kiến nghị cơ quan có thẩm quyền giải quyết (5) \
                 không được lớn hơn số vụ vi phạm phát hiện (2)"
        ),
        "{}",
        saved.violations[0].message
    );

    let submit = store
        .save_submission(
            &Actor::from(&officer),
            &unit,
            S2,
            Action::Submit,
            OFFICER,
            form(1, &broken),
        )
        .await;
    let message = submit.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.starts_with("chưa gửi được vì số liệu chưa hợp lệ"), "{message}");
    let kept = store.submission(&unit, S2).await.unwrap();
    assert_eq!(
        (kept.state, kept.version),
        (SubmissionState::Draft, 1),
        "the refused submit wrote nothing"
    );
}

async fn every_change_is_in_the_audit_trail_which_cannot_be_altered(backend: Backend) {
    let Some((db, store)) = demo(backend).await else { return };
    let officer = user(&store, "tayho", Role::Officer, Some("HN-TAYHO")).await.principal();
    let chair = user(&store, "chair", Role::Chair, Some("HN-HADONG")).await.principal();
    let unit: UnitCode = code("HN-TAYHO");
    store
        .save_submission(
            &Actor::from(&officer),
            &unit,
            S2,
            Action::Save,
            OFFICER,
            form(0, &[("HV_HOI_CHO", 1)]),
        )
        .await
        .unwrap();
    store
        .save_submission(
            &Actor::from(&officer),
            &unit,
            S2,
            Action::Submit,
            OFFICER,
            form(1, &[("HV_HOI_CHO", 2)]),
        )
        .await
        .unwrap();
    store
        .decide_submission(&Actor::from(&chair), &unit, S2, decision(Action::Accept, 2, None))
        .await
        .unwrap();

    let history = store.cell_history(&unit, S2, &code("HV_HOI_CHO")).await.unwrap();
    let lines: Vec<(String, String, Option<String>, Option<String>)> = history
        .iter()
        .map(|e| {
            (
                e.actor.clone(),
                e.action.clone(),
                e.old_value.clone(),
                e.new_value.clone(),
            )
        })
        .collect();
    let s = |x: &str| Some(x.to_owned());
    assert_eq!(
        lines,
        [
            ("tayho".into(), "value".into(), None, s("1")),
            ("tayho".into(), "value".into(), s("1"), s("2")),
            ("tayho".into(), "state".into(), s("draft"), s("submitted")),
            ("chair".into(), "state".into(), s("submitted"), s("accepted")),
            ("chair".into(), "official".into(), None, s("2")),
        ]
    );

    store.close().await;
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&db.url_text.replace("sqlite://", "sqlite:"))
        .await
        .unwrap();
    let update = sqlx::query("UPDATE audit_event SET new_value = '99'")
        .execute(&pool)
        .await;
    let delete = sqlx::query("DELETE FROM audit_event").execute(&pool).await;
    assert!(
        update.is_err() && delete.is_err(),
        "the trail must be append-only even to SQL"
    );
    pool.close().await;
}

async fn completeness_shows_who_submitted_and_what_is_missing(backend: Backend) {
    let Some((_db, store)) = demo(backend).await else {
        return;
    };
    let officer = user(&store, "tayho", Role::Officer, Some("HN-TAYHO")).await.principal();
    store
        .save_submission(
            &Actor::from(&officer),
            &code("HN-TAYHO"),
            S2,
            Action::Submit,
            OFFICER,
            form(0, &[("HV_HOI_CHO", 1)]),
        )
        .await
        .unwrap();
    let cluster = store.cluster(&code("HN-CUM2"), 2022).await.unwrap();

    let status = store.completeness(&cluster, S2).await.unwrap();

    let tay_ho = status
        .iter()
        .find(|s| s.unit.as_str() == "HN-TAYHO")
        .expect("no Tây Hồ");
    assert_eq!(tay_ho.state, Some(SubmissionState::Submitted));
    assert_eq!(tay_ho.missing.len(), 15);
    assert!(tay_ho.late.is_some());
    let ha_dong = status
        .iter()
        .find(|s| s.unit.as_str() == "HN-HADONG")
        .expect("no Hà Đông");
    assert_eq!((ha_dong.state, ha_dong.missing.len()), (None, 16));
    let first_half = store.completeness(&cluster, Period::HalfYear(2022, 1)).await.unwrap();
    assert!(
        first_half.iter().all(|s| s.missing.is_empty()),
        "the imported demo figures are complete"
    );
}

async fn a_session_survives_a_restart_of_the_server(backend: Backend) {
    let Some(db) = TestDatabase::new(backend).await else {
        return;
    };
    let store = db.store().await;
    store.load_demo().await.unwrap();
    let officer = user(&store, "hadong", Role::Officer, Some("HN-HADONG")).await;
    let token = store.create_session(&officer).await.unwrap();
    store.close().await;

    let restarted = db.store().await;

    let session = restarted.session(&token).await.unwrap();
    assert_eq!(session.map(|s| s.user.username), Some("hadong".to_owned()));
}
