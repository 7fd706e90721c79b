//! `/api/v1/dataValueSets` with personal API tokens, on both backends: a program reads a
//! unit's figures and pushes its own unit's into the form's draft with a token; without
//! one, with a revoked or a made-up one it gets 401, with another unit's token 403, and on
//! an accepted form 409 with the reason as a DHIS2 conflict; an expired token gets a 401
//! saying it expired. The tokens page makes a token shown once, with the expiry chosen,
//! and revokes it.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use thidua_core::workflow::{Action, Situation};
use thidua_core::{IndicatorCode, UnitCode, Value};
use thidua_store::{Actor, Backend, Decision, Expiry};

use crate::common::{TestApp, current_half, on_both_backends};

on_both_backends!(
    a_token_reads_a_unit_s_figures_as_json_and_as_csv,
    without_a_token_or_with_a_revoked_or_made_up_one_the_api_answers_401,
    a_token_pushes_its_own_unit_s_figures_into_the_form_s_draft,
    another_unit_s_token_is_refused_with_403_and_writes_nothing,
    an_accepted_form_is_a_dhis2_conflict_naming_the_reason,
    a_bad_value_or_a_dry_run_writes_nothing_and_says_why,
    the_tokens_page_shows_a_new_token_once_and_revokes_it,
    an_expired_token_is_refused_with_401_saying_it_expired_and_one_without_expiry_works,
    the_tokens_page_makes_a_token_with_the_expiry_chosen_and_refuses_a_past_day,
    the_openapi_document_describes_data_value_sets_and_the_token_schemes,
);

async fn token_of(app: &TestApp, login: &str) -> String {
    let user = app.state.store.user(login).await.unwrap();
    app.state
        .store
        .create_api_token(&user, "kiểm thử", Expiry::default())
        .await
        .unwrap()
        .1
}

async fn call(
    app: &TestApp,
    method: &str,
    uri: &str,
    authorization: Option<&str>,
    content_type: Option<&str>,
    body: &str,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(a) = authorization {
        request = request.header(header::AUTHORIZATION, a);
    }
    if let Some(t) = content_type {
        request = request.header(header::CONTENT_TYPE, t);
    }
    app.send(request.body(Body::from(body.to_owned())).unwrap()).await
}

/// Posts a JSON data value set with an `Authorization` header (or none): the status and
/// the answer's body.
async fn post_json(app: &TestApp, uri: &str, authorization: Option<&str>, body: &str) -> (StatusCode, String) {
    let (status, _, answer) = call(app, "POST", uri, authorization, Some("application/json"), body).await;
    (status, answer)
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

fn set_of(unit: &str, values: &[(&str, &str)]) -> String {
    let values: Vec<serde_json::Value> = values
        .iter()
        .map(|(de, v)| serde_json::json!({"dataElement": de, "value": v}))
        .collect();
    serde_json::json!({"period": current_half().code(), "orgUnit": unit, "dataValues": values}).to_string()
}

async fn draft(app: &TestApp, unit: &str, indicator: &str) -> Option<Value> {
    let form = app
        .state
        .store
        .submission(&UnitCode::parse(unit).unwrap(), current_half())
        .await
        .unwrap();
    form.values.get(&IndicatorCode::parse(indicator).unwrap()).cloned()
}

async fn a_token_reads_a_unit_s_figures_as_json_and_as_csv(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let token = token_of(&app, "hadong").await;
    let (status, headers, body) = call(
        &app,
        "GET",
        "/api/v1/dataValueSets?period=2022S1&orgUnit=HN-HADONG",
        Some(&format!("ApiToken {token}")),
        None,
        "",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let set = json(&body);
    assert_eq!(set["idScheme"], "CODE");
    let first = &set["dataValues"][0];
    assert_eq!(
        (first["orgUnit"].as_str(), first["period"].as_str()),
        (Some("HN-HADONG"), Some("2022S1"))
    );
    let request = Request::get("/api/v1/dataValueSets?period=2022S1&cluster=HN-CUM2")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::ACCEPT, "application/csv")
        .body(Body::empty())
        .unwrap();
    let (status, _, csv) = app.send(request).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        csv.starts_with("dataelement,period,orgunit,categoryoptioncombo"),
        "{csv}"
    );
    assert!(
        csv.contains("HN-TAYHO") && csv.contains("TANG_SO_DAM,2022S1,HN-HADONG"),
        "{csv}"
    );
    let (status, _, body) = call(
        &app,
        "GET",
        "/api/v1/dataValueSets?period=2022S1&orgUnit=HN-SOCSON",
        Some(&format!("ApiToken {token}")),
        None,
        "",
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
}

async fn without_a_token_or_with_a_revoked_or_made_up_one_the_api_answers_401(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let uri = "/api/v1/dataValueSets?period=2022S1&orgUnit=HN-HADONG";
    let (status, _, _) = call(&app, "GET", uri, None, None, "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let user = app.state.store.user("hadong").await.unwrap();
    let (token, secret) = app
        .state
        .store
        .create_api_token(&user, "cũ", Expiry::default())
        .await
        .unwrap();
    app.state.store.revoke_api_token(&user, token.id).await.unwrap();
    for authorization in [
        format!("ApiToken {secret}"),
        "Bearer thidua_0000".into(),
        "Basic aGFkb25nOnh4eA==".into(),
    ] {
        let (status, _, body) = call(&app, "GET", uri, Some(&authorization), None, "").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{authorization}: {body}");
        let message = json(&body)["error"]["message"].as_str().unwrap_or_default().to_owned();
        assert!(
            message.contains("Mã truy cập") || message.contains("Authorization"),
            "{message}"
        );
        assert!(!message.contains("hết hạn"), "not expired: {message}");
    }
    // A header with a bad token is answered by it, not by the session beside it.
    let request = Request::get(uri)
        .header(header::COOKIE, app.cookie(Some("hadong")))
        .header(header::AUTHORIZATION, format!("ApiToken {secret}"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(app.send(request).await.0, StatusCode::UNAUTHORIZED);
    let (status, _, body) = call(
        &app,
        "POST",
        "/api/v1/dataValueSets",
        None,
        Some("application/json"),
        "{}",
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
}

async fn a_token_pushes_its_own_unit_s_figures_into_the_form_s_draft(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let token = format!("ApiToken {}", token_of(&app, "hadong").await);
    let body = set_of("HN-HADONG", &[("TANG_SO_DAM", "1020"), ("QUY_BIEN_DAO", "2350000000")]);
    let (status, answer) = post_json(&app, "/api/v1/dataValueSets", Some(&token), &body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let answer = json(&answer);
    assert_eq!(answer["response"]["status"], "SUCCESS");
    assert_eq!(answer["response"]["importCount"]["imported"], 2);
    assert_eq!(draft(&app, "HN-HADONG", "TANG_SO_DAM").await, Some(Value::Whole(1020)));
    // A CSV set changes one value and empties another box.
    let csv = format!(
        "dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value\nTANG_SO_DAM,{p},HN-HADONG,,,1021\nQUY_BIEN_DAO,{p},HN-HADONG,,,\n",
        p = current_half().code()
    );
    let (status, _, answer) = call(
        &app,
        "POST",
        "/api/v1/dataValueSets",
        Some(&token),
        Some("application/csv"),
        &csv,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let count = &json(&answer)["response"]["importCount"];
    assert_eq!(
        (count["updated"].as_u64(), count["deleted"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(draft(&app, "HN-HADONG", "QUY_BIEN_DAO").await, None);
    // Drafts stay the unit's own: the official figures are untouched, and the trail
    // names the token's owner.
    let history = app
        .state
        .store
        .cell_history(
            &UnitCode::parse("HN-HADONG").unwrap(),
            current_half(),
            &IndicatorCode::parse("TANG_SO_DAM").unwrap(),
        )
        .await
        .unwrap();
    assert!(
        history.iter().all(|e| e.actor == "hadong") && history.len() == 2,
        "{history:?}"
    );
    let (status, _, text) = call(
        &app,
        "POST",
        "/api/v1/dataValueSets",
        Some(&token),
        Some("text/plain"),
        &body,
    )
    .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{text}");
}

async fn another_unit_s_token_is_refused_with_403_and_writes_nothing(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    for login in ["khac", "thanhpho"] {
        let token = format!("Bearer {}", token_of(&app, login).await);
        let body = set_of("HN-HADONG", &[("TANG_SO_DAM", "5")]);
        let (status, answer) = post_json(&app, "/api/v1/dataValueSets", Some(&token), &body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{login}: {answer}");
        assert!(
            json(&answer)["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("HN-HADONG")
        );
    }
    assert_eq!(draft(&app, "HN-HADONG", "TANG_SO_DAM").await, None);
}

async fn an_accepted_form_is_a_dhis2_conflict_naming_the_reason(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let token = format!("ApiToken {}", token_of(&app, "tayho").await);
    // With a completeDate the form is submitted, as DHIS2 completes a data set.
    let mut set = json(&set_of("HN-TAYHO", &[("TANG_SO_DAM", "300")]));
    set["completeDate"] = serde_json::json!("2026-07-01");
    let (status, _, answer) = call(
        &app,
        "POST",
        "/api/v1/dataValueSets",
        Some(&token),
        Some("application/json"),
        &set.to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_ne!(json(&answer)["response"]["dataSetComplete"], "false");
    let tayho = UnitCode::parse("HN-TAYHO").unwrap();
    let form = app.state.store.submission(&tayho, current_half()).await.unwrap();
    let chair = Actor::from(&app.state.store.user("cumtruong").await.unwrap().principal());
    let review = Situation {
        can_enter: false,
        can_review: true,
        can_reopen: false,
        window_open: true,
        reopened: false,
    };
    let decision = Decision {
        action: Action::Accept,
        situation: review,
        version: form.version,
        reason: None,
    };
    app.state
        .store
        .decide_submission(&chair, &tayho, current_half(), decision)
        .await
        .unwrap();

    let body = set_of("HN-TAYHO", &[("TANG_SO_DAM", "301")]);
    let (status, answer) = post_json(&app, "/api/v1/dataValueSets", Some(&token), &body).await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    let answer = json(&answer);
    assert_eq!(answer["httpStatusCode"], 409);
    let conflict = &answer["response"]["conflicts"][0];
    assert_eq!(conflict["errorCode"], "E7642");
    assert!(
        conflict["value"].as_str().unwrap_or_default().contains("đã được duyệt"),
        "{conflict}"
    );
    assert_eq!(conflict["indexes"], serde_json::json!([0]));
    assert_eq!(answer["response"]["importCount"]["ignored"], 1);
    let after = app.state.store.submission(&tayho, current_half()).await.unwrap();
    assert_eq!(
        after.values.get(&IndicatorCode::parse("TANG_SO_DAM").unwrap()),
        Some(&Value::Whole(300))
    );
}

async fn a_bad_value_or_a_dry_run_writes_nothing_and_says_why(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let token = format!("ApiToken {}", token_of(&app, "hadong").await);
    let body = set_of(
        "HN-HADONG",
        &[("TANG_SO_DAM", "12"), ("QUY_BIEN_DAO", "1,2 tỷ"), ("KHONG_CO", "1")],
    );
    let (status, answer) = post_json(&app, "/api/v1/dataValueSets", Some(&token), &body).await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    let answer = json(&answer);
    let conflicts = answer["response"]["conflicts"].as_array().cloned().unwrap_or_default();
    assert_eq!(conflicts.len(), 2, "{answer}");
    assert_eq!(
        (conflicts[0]["property"].as_str(), conflicts[0]["indexes"][0].as_u64()),
        (Some("value"), Some(1))
    );
    assert_eq!(conflicts[1]["errorCode"], "E7610");
    assert_eq!(draft(&app, "HN-HADONG", "TANG_SO_DAM").await, None, "all or nothing");

    let good = set_of("HN-HADONG", &[("TANG_SO_DAM", "12")]);
    let (status, _, answer) = call(
        &app,
        "POST",
        "/api/v1/dataValueSets?dryRun=true",
        Some(&token),
        Some("application/json; charset=utf-8"),
        &good,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let answer = json(&answer);
    assert_eq!(answer["response"]["importOptions"]["dryRun"], true);
    assert_eq!(answer["response"]["importCount"]["imported"], 1);
    assert_eq!(
        draft(&app, "HN-HADONG", "TANG_SO_DAM").await,
        None,
        "a dry run writes nothing"
    );

    let (status, answer) = post_json(&app, "/api/v1/dataValueSets?idScheme=UID", Some(&token), &good).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    let (status, _, answer) = call(
        &app,
        "POST",
        "/api/v1/dataValueSets",
        Some(&token),
        Some("application/json"),
        "{\"dataValues\": [",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
}

async fn the_tokens_page_shows_a_new_token_once_and_revokes_it(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let (status, _, page) = app.get_as(Some("hadong"), "/account/password").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("href=\"/account/tokens\""));
    let (status, headers, page) = app
        .post_as(Some("hadong"), "/account/tokens", &[("name", "Đồng bộ DHIS2")])
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    let start = page.find("thidua_").unwrap();
    let secret: String = page[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    assert_eq!(secret.len(), 71, "{secret}");
    let (status, _, list) = app.get_as(Some("hadong"), "/account/tokens").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        list.contains("Đồng bộ DHIS2") && !list.contains(&secret),
        "the token is shown once only"
    );
    let uri = "/api/v1/dataValueSets?period=2022S1&orgUnit=HN-HADONG";
    assert_eq!(
        call(&app, "GET", uri, Some(&format!("ApiToken {secret}")), None, "")
            .await
            .0,
        StatusCode::OK
    );
    let id = app
        .state
        .store
        .api_tokens(app.state.store.user("hadong").await.unwrap().id)
        .await
        .unwrap()[0]
        .id;
    // Someone else's token is not theirs to revoke; a form without the session's token is refused.
    let (status, _, _) = app
        .post_as(Some("tayho"), &format!("/account/tokens/{id}/revoke"), &[])
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = app
        .post_as(
            Some("hadong"),
            &format!("/account/tokens/{id}/revoke"),
            &[("csrf", "sai")],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        call(&app, "GET", uri, Some(&format!("ApiToken {secret}")), None, "")
            .await
            .0,
        StatusCode::OK
    );
    let (status, _, page) = app
        .post_as(Some("hadong"), &format!("/account/tokens/{id}/revoke"), &[])
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Đã thu hồi"));
    assert_eq!(
        call(&app, "GET", uri, Some(&format!("ApiToken {secret}")), None, "")
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    let (status, _, _) = app.get_as(None, "/account/tokens").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "signing in first");
}

/// "2/3/2027": a day as the pages write it.
fn shown(day: chrono::NaiveDate) -> String {
    day.format("%-d/%-m/%Y").to_string()
}

async fn an_expired_token_is_refused_with_401_saying_it_expired_and_one_without_expiry_works(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let store = &app.state.store;
    let user = store.user("hadong").await.unwrap();
    let uri = "/api/v1/dataValueSets?period=2022S1&orgUnit=HN-HADONG";
    let (token, secret) = store
        .create_api_token(&user, "Đồng bộ tỉnh", Expiry::Days(7))
        .await
        .unwrap();
    let (status, _, body) = call(&app, "GET", uri, Some(&format!("ApiToken {secret}")), None, "").await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Its expiry passed an hour ago: set as the database would hold it, never waited for.
    let past = chrono::Utc::now() - chrono::Duration::hours(1);
    sqlx::query("UPDATE api_token SET expires_at = $1 WHERE id = $2")
        .bind(past.to_rfc3339())
        .bind(token.id)
        .execute(store.pool_for_tests())
        .await
        .unwrap();
    let last_day = (past - chrono::Duration::seconds(1))
        .with_timezone(&chrono::Local)
        .date_naive();
    for authorization in [format!("ApiToken {secret}"), format!("Bearer {secret}")] {
        let (status, _, body) = call(&app, "GET", uri, Some(&authorization), None, "").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        let message = json(&body)["error"]["message"].as_str().unwrap_or_default().to_owned();
        assert!(
            message.starts_with("Mã truy cập API «Đồng bộ tỉnh» đã hết hạn")
                && message.contains(&format!("đến hết ngày {}", shown(last_day)))
                && message.contains("tạo mã mới"),
            "{message}"
        );
    }
    let (status, body) = post_json(&app, "/api/v1/dataValueSets", Some(&format!("ApiToken {secret}")), "{}").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let (_, _, list) = app.get_as(Some("hadong"), "/account/tokens").await;
    assert!(
        list.contains(&format!("Hết hạn ngày {}", shown(last_day))) && list.contains("Đã hết hạn"),
        "{list}"
    );

    let (_, forever) = store.create_api_token(&user, "Không hạn", Expiry::Never).await.unwrap();
    let (status, _, body) = call(&app, "GET", uri, Some(&format!("ApiToken {forever}")), None, "").await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn the_tokens_page_makes_a_token_with_the_expiry_chosen_and_refuses_a_past_day(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let (_, _, page) = app.get_as(Some("hadong"), "/account/tokens").await;
    assert!(
        page.contains(r#"<select id="expires" name="expires""#) && page.contains(r#"<option value="90" selected>"#),
        "a choice of expiry, 90 days unless told: {page}"
    );
    let today = chrono::Local::now().date_naive();
    let (status, _, page) = app
        .post_as(
            Some("hadong"),
            "/account/tokens",
            &[("name", "Ba mươi ngày"), ("expires", "30")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let in_30 = shown((chrono::Local::now() + chrono::Duration::days(30)).date_naive());
    assert!(page.contains(&format!("dùng được đến hết ngày {in_30}")), "{page}");
    assert!(page.contains(&format!("Hết hạn ngày {in_30}")), "{page}");

    let day = today + chrono::Duration::days(45);
    let (status, _, page) = app
        .post_as(
            Some("hadong"),
            "/account/tokens",
            &[
                ("name", "Đến một ngày"),
                ("expires", "date"),
                ("expires_on", day.format("%Y-%m-%d").to_string().as_str()),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains(&format!("Hết hạn ngày {}", shown(day))), "{page}");

    let (status, _, page) = app
        .post_as(
            Some("hadong"),
            "/account/tokens",
            &[("name", "Mãi mãi"), ("expires", "never")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Không hết hạn"), "{page}");

    let yesterday = today - chrono::Duration::days(1);
    let (status, _, page) = app
        .post_as(
            Some("hadong"),
            "/account/tokens",
            &[
                ("name", "Hôm qua"),
                ("expires", "date"),
                ("expires_on", yesterday.format("%Y-%m-%d").to_string().as_str()),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(
        page.contains(&format!("ngày {} đã qua", shown(yesterday))) && page.contains("value=\"Hôm qua\""),
        "why, with the form kept: {page}"
    );
    let tokens = app
        .state
        .store
        .api_tokens(app.state.store.user("hadong").await.unwrap().id)
        .await
        .unwrap();
    assert_eq!(tokens.len(), 3, "nothing made for the refused day");
}

async fn the_openapi_document_describes_data_value_sets_and_the_token_schemes(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let (status, doc) = app.json("/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    let path = &doc["paths"]["/api/v1/dataValueSets"];
    assert!(path["get"].is_object() && path["post"].is_object(), "{path}");
    let scheme = &doc["components"]["securitySchemes"]["api_token"];
    assert!(
        scheme["description"].as_str().unwrap_or_default().contains("expire"),
        "the token's expiry is described: {scheme}"
    );
    assert!(doc["components"]["schemas"]["WebMessageDto"].is_object());
    assert!(
        doc["paths"]["/api/v1/clusters"].is_object(),
        "the other routes are still there"
    );
}
