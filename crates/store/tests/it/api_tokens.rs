//! Personal API tokens against both backends: shown once, stored hashed, acting as
//! their owner until revoked or until the owner is disabled.

use sqlx::Row;
use thidua_core::{Period, Role, UnitCode};
use thidua_store::testing::TestDatabase;
use thidua_store::{Backend, NewUser, Store, User};

thidua_store::on_both_backends!(
    a_token_acts_as_its_owner_until_it_is_revoked,
    a_token_is_stored_only_as_its_hash_with_a_hint,
    a_disabled_account_s_tokens_stop_working,
    an_account_revokes_only_its_own_tokens_and_has_at_most_twenty_in_use,
    the_values_of_exact_unit_periods_leave_out_the_subtree_and_shorter_periods,
);

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
    let (token, secret) = store.create_api_token(&user, "  Đồng bộ DHIS2 ").await.unwrap();
    assert!(secret.starts_with("thidua_") && secret.len() == 7 + 64, "{secret}");
    assert_eq!(token.name, "Đồng bộ DHIS2");
    let session = store.api_token_session(&secret).await.unwrap().unwrap();
    assert_eq!(session.user, user);
    assert!(!session.csrf_token.is_empty());
    let listed = store.api_tokens(user.id).await.unwrap();
    assert!(listed[0].last_used_at.is_some(), "a use is noted");
    assert!(store.api_token_session("thidua_not-a-token").await.unwrap().is_none());
    assert!(store.api_token_session(&"x".repeat(100_000)).await.unwrap().is_none());

    let revoked = store.revoke_api_token(&user, token.id).await.unwrap();
    assert!(!revoked.is_active());
    assert!(store.api_token_session(&secret).await.unwrap().is_none());
    let again = store.revoke_api_token(&user, token.id).await.unwrap();
    assert_eq!(again.revoked_at, revoked.revoked_at, "revoking twice changes nothing");
    assert!(store.verify_audit().await.unwrap().is_intact());
}

async fn a_token_is_stored_only_as_its_hash_with_a_hint(backend: Backend) {
    let Some((_db, store, user)) = store_with_officer(backend).await else {
        return;
    };
    let (token, secret) = store.create_api_token(&user, "tập lệnh").await.unwrap();
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
    let (_, secret) = store.create_api_token(&user, "tập lệnh").await.unwrap();
    store.set_disabled(None, &user.username, true).await.unwrap();
    assert!(store.api_token_session(&secret).await.unwrap().is_none());
    store.set_disabled(None, &user.username, false).await.unwrap();
    assert!(store.api_token_session(&secret).await.unwrap().is_some());
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
    let (token, _) = store.create_api_token(&user, "một").await.unwrap();
    let refused = store.revoke_api_token(&other, token.id).await.err().unwrap();
    assert!(refused.to_string().contains("mã truy cập"), "{refused}");
    assert!(store.api_tokens(user.id).await.unwrap()[0].is_active());
    assert!(
        store.create_api_token(&user, "   ").await.is_err(),
        "a token needs a name"
    );
    for i in 1..20 {
        store.create_api_token(&user, &format!("mã {i}")).await.unwrap();
    }
    let full = store.create_api_token(&user, "thứ 21").await.err().unwrap();
    assert!(full.to_string().contains("tối đa 20"), "{full}");
    store.revoke_api_token(&user, token.id).await.unwrap();
    store.create_api_token(&user, "thay cho mã một").await.unwrap();
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
