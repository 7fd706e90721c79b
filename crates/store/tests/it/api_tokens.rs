//! Personal API tokens against both backends: shown once, stored hashed, acting as
//! their owner until revoked, expired, or until the owner is disabled; and how an
//! expiry is read (days, a day written either way, never).

use chrono::{Duration, NaiveDate, Utc};
use sqlx::Row;
use thidua_core::{Period, Role, UnitCode};
use thidua_store::testing::TestDatabase;
use thidua_store::{Backend, Expiry, NewUser, Session, Store, TokenCheck, User};

thidua_store::on_both_backends!(
    a_token_acts_as_its_owner_until_it_is_revoked,
    a_token_is_stored_only_as_its_hash_with_a_hint,
    a_disabled_account_s_tokens_stop_working,
    a_token_past_its_expiry_is_refused_as_expired_and_one_without_expiry_works,
    an_account_revokes_only_its_own_tokens_and_has_at_most_twenty_in_use,
    the_values_of_exact_unit_periods_leave_out_the_subtree_and_shorter_periods,
);

/// The session a working token opens; `None` when it is refused, expired or not.
async fn session_of(store: &Store, secret: &str) -> Option<Session> {
    match store.check_api_token(secret).await.unwrap() {
        TokenCheck::Valid(session) => Some(session),
        TokenCheck::Expired { .. } | TokenCheck::Refused => None,
    }
}

async fn store_with_officer(backend: Backend) -> Option<(TestDatabase, Store, User)> {
    let db = TestDatabase::new(backend).await?;
    let store = db.store().await;
    store.load_demo().await.unwrap();
    let user = store
        .create_user(NewUser {
            username: "tichhop".into(),
            display_name: "Tích hợp Hà Đông".into(),
            password: "mật-khẩu-dài-đủ".into(),
            role: Role::Officer,
            unit: Some(UnitCode::parse("HN-HADONG").unwrap()),
        })
        .await
        .unwrap();
    Some((db, store, user))
}

async fn a_token_acts_as_its_owner_until_it_is_revoked(backend: Backend) {
    let Some((_db, store, user)) = store_with_officer(backend).await else {
        return;
    };
    let (token, secret) = store
        .create_api_token(&user, "  Đồng bộ DHIS2 ", Expiry::default())
        .await
        .unwrap();
    assert!(secret.starts_with("thidua_") && secret.len() == 7 + 64, "{secret}");
    assert_eq!(token.name, "Đồng bộ DHIS2");
    let session = session_of(&store, &secret).await.unwrap();
    assert_eq!(session.user, user);
    assert!(!session.csrf_token.is_empty());
    let listed = store.api_tokens(user.id).await.unwrap();
    assert!(listed[0].last_used_at.is_some(), "a use is noted");
    assert!(session_of(&store, "thidua_not-a-token").await.is_none());
    assert!(session_of(&store, &"x".repeat(100_000)).await.is_none());

    let revoked = store.revoke_api_token(&user, token.id).await.unwrap();
    assert!(!revoked.is_active());
    assert!(session_of(&store, &secret).await.is_none());
    let again = store.revoke_api_token(&user, token.id).await.unwrap();
    assert_eq!(again.revoked_at, revoked.revoked_at, "revoking twice changes nothing");
    assert!(store.verify_audit().await.unwrap().is_intact());
}

async fn a_token_is_stored_only_as_its_hash_with_a_hint(backend: Backend) {
    let Some((_db, store, user)) = store_with_officer(backend).await else {
        return;
    };
    let (token, secret) = store
        .create_api_token(&user, "tập lệnh", Expiry::default())
        .await
        .unwrap();
    let row = sqlx::query("SELECT token_hash, hint FROM api_token WHERE id = $1")
        .bind(token.id)
        .fetch_one(store.pool_for_tests())
        .await
        .unwrap();
    let hash: String = row.get("token_hash");
    let hint: String = row.get("hint");
    assert_eq!(hash.len(), 64);
    assert!(!hash.contains(&secret[7..]) && hash != secret);
    assert_eq!(hint, format!("{}…", &secret[..13]));
    let events = sqlx::query("SELECT action, subject FROM audit_event WHERE subject = $1")
        .bind(format!("api-token:{}", token.id))
        .fetch_all(store.pool_for_tests())
        .await
        .unwrap();
    assert_eq!(events.len(), 1, "the trail names who made the token");
    assert_eq!(events[0].get::<String, _>("action"), "api-token-create");
}

async fn a_disabled_account_s_tokens_stop_working(backend: Backend) {
    let Some((_db, store, user)) = store_with_officer(backend).await else {
        return;
    };
    let (_, secret) = store
        .create_api_token(&user, "tập lệnh", Expiry::default())
        .await
        .unwrap();
    store.set_disabled(None, &user.username, true).await.unwrap();
    assert!(session_of(&store, &secret).await.is_none());
    store.set_disabled(None, &user.username, false).await.unwrap();
    assert!(session_of(&store, &secret).await.is_some());
}

async fn a_token_past_its_expiry_is_refused_as_expired_and_one_without_expiry_works(backend: Backend) {
    let Some((_db, store, user)) = store_with_officer(backend).await else {
        return;
    };
    let (token, secret) = store
        .create_api_token(&user, "hết hạn", Expiry::Days(30))
        .await
        .unwrap();
    let expires = chrono::DateTime::parse_from_rfc3339(token.expires_at.as_deref().unwrap()).unwrap();
    let from_now = expires.with_timezone(&Utc) - Utc::now();
    assert!(
        from_now > Duration::days(30) - Duration::minutes(1) && from_now <= Duration::days(30),
        "30 days from now: {from_now}"
    );
    assert!(token.is_active());
    assert_eq!(session_of(&store, &secret).await.unwrap().user, user);

    // Its expiry passed a second ago, as a database user (or time) would have it.
    let past = (Utc::now() - Duration::seconds(1)).to_rfc3339();
    sqlx::query("UPDATE api_token SET expires_at = $1 WHERE id = $2")
        .bind(&past)
        .bind(token.id)
        .execute(store.pool_for_tests())
        .await
        .unwrap();
    match store.check_api_token(&secret).await.unwrap() {
        TokenCheck::Expired { name, last_day } => {
            assert_eq!(name, "hết hạn");
            let listed = &store.api_tokens(user.id).await.unwrap()[0];
            assert_eq!(Some(last_day), listed.expiry_day(), "the day the list names");
            assert!(!listed.is_active() && listed.revoked_at.is_none());
        }
        other => panic!("an expired token is refused as expired, not {other:?}"),
    }
    let used = store.api_tokens(user.id).await.unwrap()[0].last_used_at.clone();
    assert!(matches!(
        store.check_api_token(&secret).await.unwrap(),
        TokenCheck::Expired { .. }
    ));
    assert_eq!(
        store.api_tokens(user.id).await.unwrap()[0].last_used_at,
        used,
        "a refused use is not noted"
    );
    // Revoked, it is refused without saying more.
    store.revoke_api_token(&user, token.id).await.unwrap();
    assert!(matches!(
        store.check_api_token(&secret).await.unwrap(),
        TokenCheck::Refused
    ));

    let (forever, secret) = store.create_api_token(&user, "mãi mãi", Expiry::Never).await.unwrap();
    assert_eq!(forever.expires_at, None);
    assert_eq!(forever.expiry_day(), None);
    assert_eq!(session_of(&store, &secret).await.unwrap().user, user);

    // Through a day: works to its end, local time, and the list names that day.
    let day = chrono::Local::now().date_naive() + Duration::days(10);
    let (through, secret) = store
        .create_api_token(&user, "đến ngày", Expiry::Through(day))
        .await
        .unwrap();
    assert_eq!(through.expiry_day(), Some(day));
    assert!(session_of(&store, &secret).await.is_some());

    // Past days are refused when made, whatever the caller built.
    let refused = store
        .create_api_token(&user, "đã qua", Expiry::Through(day - Duration::days(20)))
        .await
        .err()
        .unwrap();
    assert!(refused.to_string().contains("đã qua"), "{refused}");
    assert!(store.verify_audit().await.unwrap().is_intact());
}

/// An expired token no longer counts among the twenty in use.
async fn expired_tokens_leave_room_for_new_ones(store: &Store, user: &User) {
    for i in 0..20 {
        store
            .create_api_token(user, &format!("cũ {i}"), Expiry::Days(1))
            .await
            .unwrap();
    }
    assert!(store.create_api_token(user, "thứ 21", Expiry::Days(1)).await.is_err());
    sqlx::query("UPDATE api_token SET expires_at = $1 WHERE user_id = $2")
        .bind((Utc::now() - Duration::days(1)).to_rfc3339())
        .bind(user.id)
        .execute(store.pool_for_tests())
        .await
        .unwrap();
    store.create_api_token(user, "thứ 21", Expiry::Days(1)).await.unwrap();
}

#[test]
fn an_expiry_is_days_a_day_written_either_way_or_never_and_never_a_past_day() {
    let today = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
    let day = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
    for (text, expected) in [
        ("30", Expiry::Days(30)),
        (" 90 ", Expiry::Days(90)),
        ("3650", Expiry::Days(3650)),
        ("31/12/2026", Expiry::Through(day)),
        ("2026-12-31", Expiry::Through(day)),
        ("3/12/2026", Expiry::Through(today)),
        ("03/12/2026", Expiry::Through(today)),
        ("không", Expiry::Never),
        ("Không", Expiry::Never),
        ("never", Expiry::Never),
    ] {
        assert_eq!(Expiry::parse(text, today), Ok(expected), "{text}");
    }
    for (text, why) in [
        ("2/12/2026", "ngày 2/12/2026 đã qua (hôm nay là 3/12/2026)"),
        ("2020-01-01", "ngày 1/1/2020 đã qua"),
        ("0", "ít nhất 1 ngày"),
        ("3651", "tối đa 3650 ngày"),
        ("99999999999999999999", "tối đa 3650 ngày"),
        ("4/12/2036", "quá 3650 ngày"),
        ("31/2/2027", "cần số ngày"),
        ("30 ngày", "cần số ngày"),
        ("-5", "cần số ngày"),
        ("", "cần số ngày"),
    ] {
        let refused = Expiry::parse(text, today)
            .err()
            .unwrap_or_else(|| panic!("{text} is refused"));
        let message = refused.to_string();
        assert!(message.starts_with("Hạn dùng «"), "{message}");
        assert!(message.contains(why), "{text}: {message}");
    }
}

async fn an_account_revokes_only_its_own_tokens_and_has_at_most_twenty_in_use(backend: Backend) {
    let Some((_db, store, user)) = store_with_officer(backend).await else {
        return;
    };
    // Another officer of the same unit: a token is its maker's alone.
    let other = store
        .create_user(NewUser {
            username: "khac".into(),
            display_name: "Cán bộ khác".into(),
            password: "mật-khẩu-dài-đủ".into(),
            role: Role::Officer,
            unit: Some(UnitCode::parse("HN-HADONG").unwrap()),
        })
        .await
        .unwrap();
    let (token, _) = store.create_api_token(&user, "một", Expiry::default()).await.unwrap();
    let refused = store.revoke_api_token(&other, token.id).await.err().unwrap();
    assert!(refused.to_string().contains("mã truy cập"), "{refused}");
    assert!(store.api_tokens(user.id).await.unwrap()[0].is_active());
    assert!(
        store.create_api_token(&user, "   ", Expiry::default()).await.is_err(),
        "a token needs a name"
    );
    for i in 1..20 {
        store
            .create_api_token(&user, &format!("mã {i}"), Expiry::default())
            .await
            .unwrap();
    }
    let full = store
        .create_api_token(&user, "thứ 21", Expiry::default())
        .await
        .err()
        .unwrap();
    assert!(full.to_string().contains("tối đa 20"), "{full}");
    store.revoke_api_token(&user, token.id).await.unwrap();
    store
        .create_api_token(&user, "thay cho mã một", Expiry::default())
        .await
        .unwrap();
    // Every one revoked (by SQL, for brevity): twenty new ones fill the account, and once
    // they expire there is room again.
    sqlx::query("UPDATE api_token SET revoked_at = $1 WHERE user_id = $2")
        .bind(Utc::now().to_rfc3339())
        .bind(user.id)
        .execute(store.pool_for_tests())
        .await
        .unwrap();
    expired_tokens_leave_room_for_new_ones(&store, &user).await;
}

async fn the_values_of_exact_unit_periods_leave_out_the_subtree_and_shorter_periods(backend: Backend) {
    let Some((_db, store, _)) = store_with_officer(backend).await else {
        return;
    };
    store
        .import_values_csv("unit,indicator,period,value\nHN-HADONG,TTND_GIAM_SAT,2022,7\n")
        .await
        .unwrap();
    let hadong = UnitCode::parse("HN-HADONG").unwrap();
    let s1 = store
        .values_of(&[(hadong.clone(), Period::HalfYear(2022, 1))])
        .await
        .unwrap();
    assert!(
        !s1.is_empty()
            && s1
                .iter()
                .all(|v| v.unit == hadong && v.period == Period::HalfYear(2022, 1))
    );
    let year = store.values_of(&[(hadong.clone(), Period::Year(2022))]).await.unwrap();
    assert_eq!(year.len(), 1);
    let city = store
        .values_of(&[(UnitCode::parse("HN").unwrap(), Period::HalfYear(2022, 1))])
        .await
        .unwrap();
    assert!(city.is_empty(), "the city reported nothing itself");
}
