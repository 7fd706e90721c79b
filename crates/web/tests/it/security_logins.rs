//! The hostile review's login attacks (issue 9, item 4 and the account items of 7), each
//! a test that failed on the old code: parallel guesses that all got checked, a lockout
//! anyone could put on `admin`, a lock message that told which names exist, a limit
//! that a restart forgot, short and common passwords, no way to change one's own
//! password or end one's other sessions, an admin that could disable itself, parallel
//! account creation answering 500, cookies without `Secure` and no HSTS.
//!
//! The throttle's waits are set to an hour here, so that no wait runs out while a test
//! runs: what is asserted is who got checked and who was told to wait, never a time.

use std::sync::Arc;

use axum::http::{StatusCode, header};
use thidua_core::Role;
use thidua_store::{Backend, DEMO_PASSWORD, LoginPolicy, NewUser, StoreError};
use thidua_web::auth::CookieMode;
use tokio::task::JoinSet;

use crate::common::{TestApp, on_both_backends};

on_both_backends!(
    forty_parallel_wrong_passwords_are_counted_and_throttled,
    wrong_guesses_in_parallel_with_the_right_one_do_not_get_through_once_throttled,
    the_admin_can_still_sign_in_from_a_known_address_while_strangers_guess,
    the_throttle_message_is_the_same_for_a_missing_account,
    the_throttle_survives_a_restart,
    a_short_or_common_password_is_refused,
    a_user_changes_their_password_and_other_sessions_end,
    logout_everywhere_ends_every_session,
    the_only_admin_cannot_disable_itself,
    parallel_creation_of_one_user_name_gives_one_account_and_a_409,
    cookies_are_secure_and_hsts_is_sent_off_loopback,
    behind_a_trusted_proxy_the_address_is_the_last_forwarded_hop,
);

/// A guesser's address, another one, and the office the accounts normally sign in from.
const STRANGER: &str = "203.0.113.7";
const OTHER_STRANGER: &str = "203.0.113.99";
const OFFICE: &str = "198.51.100.20";

const WRONG: StatusCode = StatusCode::UNAUTHORIZED;
const WAIT: StatusCode = StatusCode::TOO_MANY_REQUESTS;

fn patient_policy() -> LoginPolicy {
    LoginPolicy {
        first_delay: std::time::Duration::from_secs(3600),
        ..LoginPolicy::default()
    }
}

async fn app_with(backend: Backend, policy: LoginPolicy) -> Option<TestApp> {
    let mut app = TestApp::with_demo(backend).await?;
    app.state.login_policy = policy;
    Some(app)
}

async fn login(app: &TestApp, from: &str, name: &str, password: &str) -> (StatusCode, axum::http::HeaderMap, String) {
    app.post_from(
        from,
        None,
        "/login",
        &[("username", name), ("password", password), ("next", "/")],
    )
    .await
}

/// `n` sign-ins at once; their statuses, and whether any got a session cookie.
async fn parallel_logins(
    app: &Arc<TestApp>,
    from: &str,
    name: &str,
    passwords: Vec<String>,
) -> (Vec<StatusCode>, bool) {
    let mut tasks = JoinSet::new();
    for password in passwords {
        let (app, from, name) = (app.clone(), from.to_owned(), name.to_owned());
        tasks.spawn(async move { login(&app, &from, &name, &password).await });
    }
    let (mut statuses, mut signed_in) = (Vec::new(), false);
    while let Some(done) = tasks.join_next().await {
        let (status, headers, _) = done.unwrap();
        signed_in |= headers.get(header::SET_COOKIE).is_some();
        statuses.push(status);
    }
    (statuses, signed_in)
}

fn count(statuses: &[StatusCode], wanted: StatusCode) -> usize {
    statuses.iter().filter(|s| **s == wanted).count()
}

/// The alert paragraph of a page, with its digits masked (a wait in seconds may differ
/// by one between two pages).
fn alert(body: &str) -> String {
    body.split_once("role=\"alert\">")
        .and_then(|(_, rest)| rest.split_once("</p>"))
        .map(|(text, _)| text.chars().map(|c| if c.is_ascii_digit() { '#' } else { c }).collect())
        .unwrap_or_default()
}

fn session_token(headers: &axum::http::HeaderMap) -> String {
    headers
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .and_then(|kv| kv.split_once('='))
        .map(|(_, v)| v.to_owned())
        .unwrap_or_default()
}

/// Signs `name` in through the login page from `from`; the new session's token and
/// anti-forgery token.
async fn new_session(app: &TestApp, from: &str, name: &str, password: &str) -> (String, String) {
    let (status, headers, body) = login(app, from, name, password).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{name} signs in: {body}");
    let token = session_token(&headers);
    let csrf = app
        .state
        .store
        .session(&token)
        .await
        .ok()
        .flatten()
        .map(|s| s.csrf_token)
        .unwrap_or_else(|| panic!("no session for {name}"));
    (token, csrf)
}

async fn get_with_token(app: &TestApp, token: &str, uri: &str) -> StatusCode {
    let request = axum::http::Request::get(uri)
        .header(header::COOKIE, format!("thidua_session={token}"))
        .body(axum::body::Body::empty())
        .unwrap();
    app.send(request).await.0
}

async fn forty_parallel_wrong_passwords_are_counted_and_throttled(backend: Backend) {
    let policy = patient_policy();
    let Some(app) = app_with(backend, policy).await else {
        return;
    };
    let app = Arc::new(app);

    let guesses = (0..40).map(|i| format!("đoán-sai-lần-{i}")).collect();
    let (statuses, signed_in) = parallel_logins(&app, STRANGER, "hadong", guesses).await;

    // Only the free failures and the one that starts the wait were checked; every other
    // guess was counted against the wait and refused before its password was looked at.
    let checked = usize::try_from(policy.free_failures + 1).unwrap_or(usize::MAX);
    assert_eq!(count(&statuses, WRONG), checked, "{statuses:?}");
    assert_eq!(count(&statuses, WAIT), 40 - checked, "{statuses:?}");
    assert!(!signed_in);
    // The right password now waits too, with the wait said in seconds.
    let (status, headers, body) = login(&app, STRANGER, "hadong", DEMO_PASSWORD).await;
    assert_eq!(status, WAIT, "{body}");
    assert!(headers.get(header::SET_COOKIE).is_none());
    assert!(headers.get(header::RETRY_AFTER).is_some());
    assert!(body.contains("Đăng nhập tạm dừng: hãy thử lại sau"), "{body}");
}

async fn wrong_guesses_in_parallel_with_the_right_one_do_not_get_through_once_throttled(backend: Backend) {
    let policy = patient_policy();
    let Some(app) = app_with(backend, policy).await else {
        return;
    };
    let app = Arc::new(app);
    for i in 0..=policy.free_failures {
        let (status, _, _) = login(&app, STRANGER, "hadong", &format!("sai-{i}-mật-khẩu")).await;
        assert_eq!(status, WRONG);
    }

    let mut passwords: Vec<String> = (0..29).map(|i| format!("đoán-tiếp-{i}")).collect();
    passwords.push(DEMO_PASSWORD.into());
    let (statuses, signed_in) = parallel_logins(&app, STRANGER, "hadong", passwords.clone()).await;

    assert!(!signed_in, "the right password got through: {statuses:?}");
    assert_eq!(count(&statuses, WAIT), 30, "{statuses:?}");
    // From another address the name waits as well: the guesser cannot just move.
    let (statuses, signed_in) = parallel_logins(&app, OTHER_STRANGER, "hadong", passwords).await;
    assert!(!signed_in, "{statuses:?}");
    assert_eq!(count(&statuses, WAIT), 30, "{statuses:?}");
}

async fn the_admin_can_still_sign_in_from_a_known_address_while_strangers_guess(backend: Backend) {
    let Some(app) = app_with(backend, patient_policy()).await else {
        return;
    };
    let app = Arc::new(app);
    // The admin has signed in from the office before.
    new_session(&app, OFFICE, "admin", DEMO_PASSWORD).await;

    let mut waited = 0;
    for stranger in [STRANGER, OTHER_STRANGER, "192.0.2.55"] {
        let guesses = (0..10).map(|i| format!("admin-đoán-{i}")).collect();
        let (statuses, signed_in) = parallel_logins(&app, stranger, "admin", guesses).await;
        assert!(!signed_in);
        waited += count(&statuses, WAIT);
    }
    assert!(waited > 0, "the strangers were slowed down");

    // The admin, at the office, is not locked out by them…
    let (status, headers, body) = login(&app, OFFICE, "admin", DEMO_PASSWORD).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert!(headers.get(header::SET_COOKIE).is_some());
    // …while the name still waits for anyone at a new address, right password or not.
    let (status, _, _) = login(&app, "192.0.2.200", "admin", DEMO_PASSWORD).await;
    assert_eq!(status, WAIT);
}

async fn the_throttle_message_is_the_same_for_a_missing_account(backend: Backend) {
    let policy = patient_policy();
    let Some(app) = app_with(backend, policy).await else {
        return;
    };
    let mut answers = Vec::new();
    for (name, from) in [("hadong", STRANGER), ("khong-co-ai", OTHER_STRANGER)] {
        let mut seen = Vec::new();
        for i in 0..policy.free_failures + 3 {
            let (status, headers, body) = login(&app, from, name, &format!("sai-{i}-mật-khẩu")).await;
            seen.push((status, headers.get(header::RETRY_AFTER).is_some(), alert(&body)));
            assert!(!alert(&body).contains(name), "the message names no account: {body}");
        }
        answers.push(seen);
    }

    assert_eq!(answers[0], answers[1], "an existing and a missing account answer alike");
    let last = answers[0].last().map(|a| a.2.clone()).unwrap_or_default();
    assert!(last.starts_with("Đăng nhập tạm dừng: hãy thử lại sau"), "{last}");
    assert!(
        answers[0][0].2.contains("Tên đăng nhập hoặc mật khẩu không đúng"),
        "{:?}",
        answers[0][0]
    );
}

async fn the_throttle_survives_a_restart(backend: Backend) {
    let policy = LoginPolicy {
        free_failures_per_address: 5,
        ..patient_policy()
    };
    let Some(mut app) = app_with(backend, policy).await else {
        return;
    };
    // One address guesses one name; another sprays names that do not exist.
    for i in 0..=policy.free_failures {
        assert_eq!(
            login(&app, STRANGER, "hadong", &format!("sai-{i}-mật-khẩu")).await.0,
            WRONG
        );
    }
    for i in 0..=policy.free_failures_per_address {
        let name = format!("ten-{i}");
        assert_eq!(login(&app, OTHER_STRANGER, &name, "mật-khẩu-đoán").await.0, WRONG);
    }

    app.state = app.restarted_state().await;
    app.state.login_policy = policy;

    assert_eq!(
        login(&app, STRANGER, "hadong", DEMO_PASSWORD).await.0,
        WAIT,
        "the name still waits"
    );
    assert_eq!(
        login(&app, OTHER_STRANGER, "tayho", DEMO_PASSWORD).await.0,
        WAIT,
        "the address still waits"
    );
    assert_eq!(
        login(&app, OFFICE, "tayho", DEMO_PASSWORD).await.0,
        StatusCode::SEE_OTHER,
        "others are not affected"
    );
}

async fn a_short_or_common_password_is_refused(backend: Backend) {
    let Some(app) = app_with(backend, patient_policy()).await else {
        return;
    };
    let app = &app;
    let create = |password: &'static str| async move {
        app.post_as(
            Some("admin"),
            "/admin/users",
            &[
                ("username", "canbomoi"),
                ("name", "Cán bộ mới"),
                ("role", "officer"),
                ("unit", "HN-TAYHO"),
                ("password", password),
            ],
        )
        .await
    };

    for (password, reason) in [
        ("ngắn-quá-đi", "ít nhất 12 ký tự"),
        ("matkhau123456", "phổ biến"),
        ("MatKhau123456", "phổ biến"),
        ("123456789012", "phổ biến"),
        ("canbomoi2022!", "tên đăng nhập"),
    ] {
        let (status, _, body) = create(password).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{password}: {body}");
        assert!(body.contains(reason), "{password}: {body}");
    }
    assert!(app.state.store.user("canbomoi").await.is_err(), "no account was made");

    // The admin's reset and the user's own change apply the same policy.
    let (status, _, body) = app
        .post_as(
            Some("admin"),
            "/admin/users/hadong/password",
            &[("password", "abc@123456789")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, _, body) = app
        .post_as(
            Some("hadong"),
            "/account/password",
            &[
                ("current", DEMO_PASSWORD),
                ("new", "vietnam123456"),
                ("again", "vietnam123456"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("phổ biến"), "{body}");
    let still = app.state.store.authenticate("hadong", DEMO_PASSWORD).await;
    assert!(still.is_ok(), "the password did not change: {still:?}");
    let refused = app.state.store.set_password("hadong", "qwertyuiop123").await;
    assert!(matches!(refused, Err(StoreError::Domain(_))), "{refused:?}");
}

async fn a_user_changes_their_password_and_other_sessions_end(backend: Backend) {
    let Some(app) = app_with(backend, patient_policy()).await else {
        return;
    };
    let old_session = app.cookie(Some("hadong"));
    let (token, csrf) = new_session(&app, OFFICE, "hadong", DEMO_PASSWORD).await;
    let cookie = format!("thidua_session={token}");
    let new_password = "sông-Nhuệ-chảy-qua-Hà-Đông";
    let change = |current: &'static str, new: &'static str, again: &'static str| {
        let (cookie, csrf) = (cookie.clone(), csrf.clone());
        let app = &app;
        async move {
            app.post_with_cookie(
                OFFICE,
                &cookie,
                &csrf,
                "/account/password",
                &[("current", current), ("new", new), ("again", again)],
            )
            .await
        }
    };

    // The header links to the page.
    let (_, _, home) = app.get_as(Some("hadong"), "/").await;
    assert!(home.contains("href=\"/account/password\""), "{home}");
    // Refused: the two new ones differ; the current one is wrong. Nothing changes.
    let (status, _, body) = change(DEMO_PASSWORD, new_password, "sông-Nhuệ-chảy-qua-Hà-Nội").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, _, body) = change("không-phải-mật-khẩu", new_password, new_password).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("Mật khẩu hiện tại không đúng"), "{body}");
    assert_eq!(get_with_token(&app, &token, "/").await, StatusCode::OK);

    let (status, _, body) = change(DEMO_PASSWORD, new_password, new_password).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("Đã đổi mật khẩu"), "{body}");

    let old_token = old_session.trim_start_matches("thidua_session=");
    assert_eq!(
        get_with_token(&app, old_token, "/").await,
        StatusCode::SEE_OTHER,
        "the other session ended"
    );
    assert_eq!(
        get_with_token(&app, &token, "/").await,
        StatusCode::OK,
        "this one stays"
    );
    assert_eq!(login(&app, OFFICE, "hadong", DEMO_PASSWORD).await.0, WRONG);
    assert_eq!(
        login(&app, OFFICE, "hadong", new_password).await.0,
        StatusCode::SEE_OTHER
    );
}

async fn logout_everywhere_ends_every_session(backend: Backend) {
    let Some(app) = app_with(backend, patient_policy()).await else {
        return;
    };
    let first = app.cookie(Some("hadong"));
    let (token, csrf) = new_session(&app, OFFICE, "hadong", DEMO_PASSWORD).await;
    let (_, _, page) = app.get_as(Some("hadong"), "/account/password").await;
    assert!(page.contains("Đăng xuất khỏi mọi thiết bị"), "{page}");

    let (status, headers, _) = app
        .post_with_cookie(OFFICE, &format!("thidua_session={token}"), &csrf, "/logout/all", &[])
        .await;

    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        headers.get(header::LOCATION).and_then(|v| v.to_str().ok()),
        Some("/login")
    );
    assert!(
        headers
            .get(header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| c.contains("Max-Age=0")),
        "the browser forgets the cookie"
    );
    let store = &app.state.store;
    for ended in [token.as_str(), first.trim_start_matches("thidua_session=")] {
        assert!(store.session(ended).await.ok().flatten().is_none(), "{ended}");
    }
    let others = app.cookie(Some("tayho"));
    assert!(
        store
            .session(others.trim_start_matches("thidua_session="))
            .await
            .ok()
            .flatten()
            .is_some(),
        "other users keep theirs"
    );
}

async fn the_only_admin_cannot_disable_itself(backend: Backend) {
    let Some(app) = app_with(backend, patient_policy()).await else {
        return;
    };
    let store = &app.state.store;

    for spelled in ["ADMIN", "admin", "Admin"] {
        let uri = format!("/admin/users/{}/status", crate::common::encode(spelled));
        let (status, _, body) = app.post_as(Some("admin"), &uri, &[("disabled", "1")]).await;
        assert_eq!(status, StatusCode::CONFLICT, "{spelled}: {body}");
    }
    let admin = store.user("admin").await.unwrap();
    assert!(!admin.disabled);
    assert_eq!(app.get_as(Some("admin"), "/admin/users").await.0, StatusCode::OK);
    // Not from the command line either: it is the last enabled admin.
    let last = store.set_disabled(None, "admin", true).await;
    assert!(matches!(last, Err(StoreError::Conflict(_))), "{last:?}");

    // With a second admin, two admins disabling each other at once leave one enabled.
    let second = store
        .create_user(NewUser {
            username: "quantri2".into(),
            display_name: "Quản trị thứ hai".into(),
            password: "mật-khẩu-quản-trị-2".into(),
            role: Role::Admin,
            unit: None,
        })
        .await
        .unwrap();
    let first = store.user("admin").await.unwrap();
    let (a, b) = tokio::join!(
        store.set_disabled(Some(&first), "quantri2", true),
        store.set_disabled(Some(&second), "admin", true),
    );
    assert!(
        a.is_ok() != b.is_ok(),
        "exactly one of the two goes through: {a:?} {b:?}"
    );
    let enabled = store
        .users()
        .await
        .unwrap()
        .into_iter()
        .filter(|u| u.role == Role::Admin && !u.disabled)
        .count();
    assert_eq!(enabled, 1);
}

async fn parallel_creation_of_one_user_name_gives_one_account_and_a_409(backend: Backend) {
    let Some(app) = app_with(backend, patient_policy()).await else {
        return;
    };
    let app = Arc::new(app);

    let mut tasks = JoinSet::new();
    for _ in 0..6 {
        let app = app.clone();
        tasks.spawn(async move {
            app.post_as(
                Some("admin"),
                "/admin/users",
                &[
                    ("username", "trung.ten"),
                    ("name", "Người trùng tên"),
                    ("role", "officer"),
                    ("unit", "HN-TAYHO"),
                    ("password", "mật-khẩu-dài"),
                ],
            )
            .await
        });
    }
    let mut statuses = Vec::new();
    while let Some(done) = tasks.join_next().await {
        let (status, _, body) = done.unwrap();
        if status == StatusCode::CONFLICT {
            assert!(
                body.to_lowercase().contains("tên đăng nhập «trung.ten» đã có"),
                "{body}"
            );
        }
        statuses.push(status);
    }

    assert_eq!(count(&statuses, StatusCode::OK), 1, "{statuses:?}");
    assert_eq!(count(&statuses, StatusCode::CONFLICT), 5, "{statuses:?}");
    let users = app.state.store.users().await.unwrap();
    assert_eq!(users.iter().filter(|u| u.username == "trung.ten").count(), 1);

    // The store says the same to the command line, racing or not.
    let store = app.state.store.clone();
    let mut tasks = JoinSet::new();
    for _ in 0..4 {
        let store = store.clone();
        tasks.spawn(async move {
            store
                .create_user(NewUser {
                    username: "cung.luc".into(),
                    display_name: "Cùng lúc".into(),
                    password: "mật-khẩu-dài".into(),
                    role: Role::Officer,
                    unit: thidua_core::UnitCode::parse("HN-TAYHO").ok(),
                })
                .await
        });
    }
    let (mut created, mut taken) = (0, 0);
    while let Some(done) = tasks.join_next().await {
        match done.unwrap() {
            Ok(_) => created += 1,
            Err(StoreError::Conflict(m)) if m.contains("tên đăng nhập «cung.luc» đã có") => taken += 1,
            Err(other) => panic!("{other}"),
        }
    }
    assert_eq!((created, taken), (1, 3));
}

async fn cookies_are_secure_and_hsts_is_sent_off_loopback(backend: Backend) {
    let Some(mut app) = app_with(backend, patient_policy()).await else {
        return;
    };
    let on = |a: &str| a.parse::<std::net::SocketAddr>().unwrap();

    for (listen, mode, secure) in [
        ("0.0.0.0:8080", CookieMode::Auto, true),
        ("10.1.2.3:443", CookieMode::Auto, true),
        ("127.0.0.1:8080", CookieMode::Auto, false),
        ("0.0.0.0:8080", CookieMode::Insecure, false),
        ("127.0.0.1:8080", CookieMode::Secure, true),
    ] {
        app.state.secure_cookies = mode.secure_on(on(listen));
        let (status, headers, _) = login(&app, OFFICE, "hadong", DEMO_PASSWORD).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let cookie = headers
            .get(header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert_eq!(cookie.contains("; Secure"), secure, "{listen} {mode:?}: {cookie}");
        let hsts = headers
            .get(header::STRICT_TRANSPORT_SECURITY)
            .and_then(|v| v.to_str().ok());
        assert_eq!(hsts, secure.then_some("max-age=31536000"), "{listen} {mode:?}");

        // Every page carries the rest, secure or not.
        for uri in ["/login", "/", "/tin-tuc"] {
            let (_, headers, _) = app.get_as(Some("hadong"), uri).await;
            let value = |name: header::HeaderName| {
                headers
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned()
            };
            assert_eq!(value(header::X_CONTENT_TYPE_OPTIONS), "nosniff", "{uri}");
            assert_eq!(value(header::X_FRAME_OPTIONS), "DENY", "{uri}");
            assert_eq!(value(header::REFERRER_POLICY), "same-origin", "{uri}");
            assert!(
                value(header::CONTENT_SECURITY_POLICY).contains("frame-ancestors 'none'"),
                "{uri}"
            );
        }
    }
}

/// A sign-in through a proxy at `proxy` that says the client is `forwarded`.
async fn login_forwarded(app: &TestApp, proxy: &str, forwarded: &str, name: &str, password: &str) -> StatusCode {
    let body = format!(
        "username={}&password={}&next=%2F",
        crate::common::encode(name),
        crate::common::encode(password)
    );
    let mut request = axum::http::Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("x-forwarded-for", forwarded)
        .body(axum::body::Body::from(body))
        .unwrap();
    let peer: std::net::SocketAddr = format!("{proxy}:40000").parse().unwrap();
    request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
    app.send(request).await.0
}

async fn behind_a_trusted_proxy_the_address_is_the_last_forwarded_hop(backend: Backend) {
    let policy = LoginPolicy {
        free_failures_per_address: 2,
        ..patient_policy()
    };
    let Some(mut app) = app_with(backend, policy).await else {
        return;
    };
    app.state.trust_proxy = true;
    const PROXY: &str = "10.0.0.1";

    // The guesser's address is the hop the proxy appended, whatever came before it.
    for (i, written) in ["1.1.1.1", "2.2.2.2", "3.3.3.3"].into_iter().enumerate() {
        let forwarded = format!("{written}, {STRANGER}");
        let status = login_forwarded(&app, PROXY, &forwarded, &format!("ten-{i}"), "mật-khẩu-đoán").await;
        assert_eq!(status, WRONG);
    }
    let spoofed = format!("{OFFICE}, {STRANGER}");
    assert_eq!(
        login_forwarded(&app, PROXY, &spoofed, "tayho", DEMO_PASSWORD).await,
        WAIT
    );
    // Another client behind the same proxy is not slowed by it.
    let other = format!("{STRANGER}, {OFFICE}");
    assert_eq!(
        login_forwarded(&app, PROXY, &other, "tayho", DEMO_PASSWORD).await,
        StatusCode::SEE_OTHER
    );

    // Not trusted, the header is ignored: the socket's address is the client's.
    app.state.trust_proxy = false;
    for i in 0..3 {
        let status = login_forwarded(&app, OTHER_STRANGER, OFFICE, &format!("khac-{i}"), "mật-khẩu-đoán").await;
        assert_eq!(status, WRONG);
    }
    assert_eq!(
        login_forwarded(&app, OTHER_STRANGER, OFFICE, "caugiay", DEMO_PASSWORD).await,
        WAIT
    );
}
