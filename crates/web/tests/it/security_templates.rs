//! Report templates and criteria under attack (issue 9, items 3 and 5), on SQLite and
//! PostgreSQL: previews that would freeze or kill the server, an upper level of another
//! district reading or saving Cụm 2's template, one cluster's template reaching another's
//! report, a save without a trace, and ward criteria replaced by a district that does not
//! oversee every ward scored by them.

use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{TestApp, encode};
use thidua_core::{ClusterCode, Role, UnitCode};
use thidua_store::{Actor, Backend, DEMO_CRITERIA, DEMO_PASSWORD, NewUser};

common::on_both_backends!(
    two_previews_of_nested_huge_loops_are_stopped_and_login_still_answers,
    a_preview_repeating_a_huge_string_is_refused_and_the_server_lives,
    an_upper_user_outside_the_cluster_cannot_preview_or_save_its_template,
    a_template_saved_for_one_cluster_does_not_change_another_s_report,
    saving_a_template_writes_an_audit_row,
    an_upper_user_cannot_replace_criteria_used_by_a_cluster_outside_their_subtree,
);

const EDITOR: &str = "/clusters/HN-CUM2/report/template?period=2022S1";

/// Two nested loops of a hundred thousand steps each: ten billion steps.
const NESTED_LOOPS: &str =
    "{% for i in range(100000) %}{% for j in range(100000) %}{{ i * j }}{% endfor %}{% endfor %}";

fn cum2() -> ClusterCode {
    ClusterCode::parse("HN-CUM2").unwrap()
}

/// Someone signed in who is not a demo account: their session cookie and token.
struct Session {
    cookie: String,
    csrf: String,
}

impl Session {
    async fn get(&self, app: &TestApp, uri: &str) -> (StatusCode, String) {
        let request = Request::get(uri)
            .header(header::COOKIE, &self.cookie)
            .body(Body::empty())
            .unwrap();
        let (status, _, body) = app.send(request).await;
        (status, body)
    }

    async fn post(&self, app: &TestApp, uri: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
        let mut body: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect();
        body.push(format!("csrf={}", self.csrf));
        let request = Request::post(uri)
            .header(header::COOKIE, &self.cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body.join("&")))
            .unwrap();
        let (status, _, body) = app.send(request).await;
        (status, body)
    }
}

/// Quận Hoàn Kiếm (not in Cụm 2) with an upper-level account, `hoankiem`, signed in.
async fn hoan_kiem_upper(app: &TestApp) -> Session {
    let store = &app.state.store;
    store
        .import_units_csv("code,name,kind,parent\nHN-HOANKIEM,Ủy ban MTTQ Việt Nam quận Hoàn Kiếm,district,HN\n")
        .await
        .unwrap();
    store
        .create_user(NewUser {
            username: "hoankiem".into(),
            display_name: "Ban Thường trực Ủy ban MTTQ quận Hoàn Kiếm".into(),
            password: DEMO_PASSWORD.into(),
            role: Role::Upper,
            unit: Some(UnitCode::parse("HN-HOANKIEM").unwrap()),
        })
        .await
        .unwrap();
    let user = store.user("hoankiem").await.unwrap();
    let token = store.create_session(&user).await.unwrap();
    let csrf = store
        .session(&token)
        .await
        .ok()
        .flatten()
        .map(|s| s.csrf_token)
        .unwrap_or_default();
    Session {
        cookie: format!("thidua_session={token}"),
        csrf,
    }
}

async fn two_previews_of_nested_huge_loops_are_stopped_and_login_still_answers(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let preview = [("body", NESTED_LOOPS), ("action", "preview")];
    // Both previews and a sign-in page at once: the previews must neither hold the async
    // workers nor run their ten billion steps.
    let ((first, _, first_page), (second, _, second_page), (login, _, _)) = tokio::join!(
        app.post_as(Some("thanhpho"), EDITOR, &preview),
        app.post_as(Some("cumtruong"), EDITOR, &preview),
        app.get_as(None, "/login"),
    );
    for (status, page) in [(first, &first_page), (second, &second_page)] {
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("quá giới hạn"), "the limit is named: {page}");
    }
    assert_eq!(login, StatusCode::OK);
    let (status, _, page) = app.get_as(None, "/login").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    // Without the range limit the fuel stops the same loops.
    let nested_small = "{% for i in range(10000) %}{% for j in range(10000) %}{{ i }}{% endfor %}{% endfor %}";
    let (status, _, page) = app
        .post_as(Some("thanhpho"), EDITOR, &[("body", nested_small), ("action", "save")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Mẫu báo cáo chạy quá giới hạn tính toán"), "{page}");
    assert!(page.contains("Chưa lưu: mẫu còn lỗi."));
    assert_eq!(
        app.state.store.cluster_template(&cum2(), "review").await.unwrap(),
        None,
        "a template out of fuel is never saved"
    );
}

async fn a_preview_repeating_a_huge_string_is_refused_and_the_server_lives(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    for template in [
        "{{ \"x\" * 100000000 }}",
        "{% set s = \"0123456789\" * 1000000 %}{{ s }}{{ s }}{{ s }}",
    ] {
        let (status, _, page) = app
            .post_as(Some("thanhpho"), EDITOR, &[("body", template), ("action", "save")])
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{template}");
        assert!(
            page.contains("Mẫu báo cáo chạy quá giới hạn tính toán") || page.contains("kết quả dài quá 2 MB"),
            "{template}: {}",
            &page[..page.len().min(2000)]
        );
        assert!(page.len() < 1_000_000, "{template}: a page of {} bytes", page.len());
    }
    let (status, _, _) = app.get_as(None, "/login").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, report) = app
        .get_as(Some("hadong"), "/clusters/HN-CUM2/report?period=2022S1")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(report.contains("85,01%"), "the report keeps the shipped template");
}

async fn an_upper_user_outside_the_cluster_cannot_preview_or_save_its_template(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let hoan_kiem = hoan_kiem_upper(&app).await;
    let (status, _) = hoan_kiem.get(&app, "/clusters/HN-CUM2?period=2022S1").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "Cụm 2 is outside Hoàn Kiếm");

    // A template that prints Cụm 2's members, figures and leaders.
    let spy = "GIAN {{ members | join(\", \") }} {% for g in groups %}{% for i in g.indicators %}{{ i.spoken }};{% endfor %}{% endfor %} {{ leaders(\"TANG_TY_LE_HOA_TANG\", 0) | join(\", \") }}";
    for uri in [EDITOR, "/clusters/HN-CUM2/report/template", "/admin/templates/review"] {
        let (status, page) = hoan_kiem.get(&app, uri).await;
        assert_ne!(status, StatusCode::OK, "GET {uri}");
        for action in ["preview", "save"] {
            let (status, page2) = hoan_kiem.post(&app, uri, &[("body", spy), ("action", action)]).await;
            assert!(
                status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
                "POST {uri} {action}: {status}"
            );
            for leak in ["1.084 cuộc", "Cầu Giấy", "GIAN"] {
                assert!(!page.contains(leak) && !page2.contains(leak), "{uri} shows «{leak}»");
            }
        }
    }
    assert_eq!(app.state.store.cluster_template(&cum2(), "review").await.unwrap(), None);
    // The chair publishes with the shipped template: nothing of the outsider's reaches the news.
    app.record_2022_signers().await;
    let (status, _, _) = app
        .post_as(
            Some("cumtruong"),
            "/clusters/HN-CUM2/report/publish",
            &[("period", "2022S1")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, news) = app.get_as(None, "/tin-tuc").await;
    assert!(!news.contains("GIAN"), "{news}");
    // A member's officer of Cụm 2 may not edit it either; its chair may.
    let (status, _, _) = app.get_as(Some("caugiay"), EDITOR).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = app.get_as(Some("cumtruong"), EDITOR).await;
    assert_eq!(status, StatusCode::OK);
}

async fn a_template_saved_for_one_cluster_does_not_change_another_s_report(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let store = &app.state.store;
    store
        .import_units_csv("code,name,kind,parent\nHN-HOANKIEM,Ủy ban MTTQ Việt Nam quận Hoàn Kiếm,district,HN\n")
        .await
        .unwrap();
    store
        .import_clusters_csv(
            "code,name,year,members,host,chair,deputy\nHN-CUM3,Cụm thi đua số 3,2022,HN-SOCSON;HN-HOANKIEM,HN-SOCSON,HN-SOCSON,\n",
        )
        .await
        .unwrap();
    let own = "Mẫu riêng của {{ cluster.name }}.";
    let (status, _, page) = app
        .post_as(Some("thanhpho"), EDITOR, &[("body", own), ("action", "save")])
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("Mẫu riêng của Cụm thi đua số 2."),
        "the preview is Cụm 2's"
    );

    let (_, _, cum2_report) = app
        .get_as(Some("thanhpho"), "/clusters/HN-CUM2/report?period=2022S1")
        .await;
    assert!(cum2_report.contains("Mẫu riêng của Cụm thi đua số 2."), "{cum2_report}");
    for uri in [
        "/clusters/HN-CUM3/report?period=2022S1",
        "/clusters/HN-CUM3/report.txt?period=2022S1",
    ] {
        let (status, _, other) = app.get_as(Some("thanhpho"), uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {other}");
        assert!(!other.contains("Mẫu riêng"), "{uri} took Cụm 2's template: {other}");
    }
    let (_, _, editor) = app
        .get_as(Some("thanhpho"), "/clusters/HN-CUM3/report/template?period=2022S1")
        .await;
    assert!(
        editor.contains("mẫu mặc định của thidua") && !editor.contains("Mẫu riêng của"),
        "Cụm 3 still edits the shipped template"
    );
}

async fn saving_a_template_writes_an_audit_row(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let first = "Bản một: {{ cluster.name }}.";
    let second = "Bản hai: {{ cluster.name }}.";
    for (who, body) in [("cumtruong", first), ("thanhpho", second)] {
        let (status, _, page) = app
            .post_as(Some(who), EDITOR, &[("body", body), ("action", "save")])
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
    }
    let trail = app
        .state
        .store
        .emulation_history("template:HN-CUM2/review")
        .await
        .unwrap();
    let sha = |body: &str| format!("sha256:{}", thidua_store::template_sha256(body));
    assert_eq!(trail.len(), 2, "{trail:?}");
    assert_eq!(
        (
            trail[0].actor.as_str(),
            trail[0].old_value.clone(),
            trail[0].new_value.clone()
        ),
        ("cumtruong", None, Some(sha(first)))
    );
    assert_eq!(
        (
            trail[1].actor.as_str(),
            trail[1].old_value.clone(),
            trail[1].new_value.clone()
        ),
        ("thanhpho", Some(sha(first)), Some(sha(second)))
    );
    assert_eq!(trail[1].action, "template");
    // A preview and a refused save leave no row.
    app.post_as(Some("thanhpho"), EDITOR, &[("body", first), ("action", "preview")])
        .await;
    app.post_as(
        Some("thanhpho"),
        EDITOR,
        &[("body", "{{ khong_dong"), ("action", "save")],
    )
    .await;
    let trail = app
        .state
        .store
        .emulation_history("template:HN-CUM2/review")
        .await
        .unwrap();
    assert_eq!(trail.len(), 2);
}

/// A ward-level criteria file for 2022, named `name`.
fn ward_criteria(name: &str) -> String {
    DEMO_CRITERIA
        .replacen(
            "name = \"Bảng tiêu chí chấm điểm thi đua cụm thi đua các quận, huyện, thị xã năm 2022\"",
            &format!("name = \"{name}\""),
            1,
        )
        .replacen("level = \"district\"", "level = \"ward\"", 1)
}

/// A multipart body with the anti-forgery token and one criteria file.
fn multipart(csrf: &str, file: &str) -> (String, Vec<u8>) {
    let boundary = "thidua-test-boundary";
    let mut body =
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n").into_bytes();
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"tieu-chi.toml\"\r\nContent-Type: application/toml\r\n\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(file.as_bytes());
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn an_upper_user_cannot_replace_criteria_used_by_a_cluster_outside_their_subtree(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let hoan_kiem = hoan_kiem_upper(&app).await;
    let store = &app.state.store;
    store
        .import_units_csv(
            "code,name,kind,parent\n\
             HN-HK-HANGBAC,Ủy ban MTTQ Việt Nam phường Hàng Bạc,ward,HN-HOANKIEM\n\
             HN-HK-HANGDAO,Ủy ban MTTQ Việt Nam phường Hàng Đào,ward,HN-HOANKIEM\n\
             HN-TH-QUANGAN,Ủy ban MTTQ Việt Nam phường Quảng An,ward,HN-TAYHO\n\
             HN-TH-NHATTAN,Ủy ban MTTQ Việt Nam phường Nhật Tân,ward,HN-TAYHO\n",
        )
        .await
        .unwrap();
    store
        .import_clusters_csv(
            "code,name,year,members,host,chair,deputy\n\
             HN-HK-CUM1,Cụm thi đua phường số 1 quận Hoàn Kiếm,2022,HN-HK-HANGBAC;HN-HK-HANGDAO,HN-HK-HANGBAC,HN-HK-HANGBAC,\n\
             HN-TH-CUM1,Cụm thi đua phường số 1 quận Tây Hồ,2022,HN-TH-QUANGAN;HN-TH-NHATTAN,HN-TH-QUANGAN,HN-TH-QUANGAN,\n",
        )
        .await
        .unwrap();
    let original = "Bảng tiêu chí cấp phường năm 2022 của Thành phố";
    store
        .import_criteria_toml(&Actor::system("import"), &ward_criteria(original))
        .await
        .unwrap();

    // Hoàn Kiếm sees its own ward cluster, and Tây Hồ's not at all.
    let (status, page) = hoan_kiem.get(&app, "/clusters/HN-HK-CUM1/criteria?year=2022").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let (status, _) = hoan_kiem.get(&app, "/clusters/HN-TH-CUM1/criteria?year=2022").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Replacing the ward set from its own cluster's page would change Tây Hồ's scoring.
    let (content_type, body) = multipart(&hoan_kiem.csrf, &ward_criteria("Bảng của quận Hoàn Kiếm"));
    let request = Request::post("/clusters/HN-HK-CUM1/criteria?year=2022")
        .header(header::COOKIE, &hoan_kiem.cookie)
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .unwrap();
    let (status, _, page) = app.send(request).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{page}");
    assert!(page.contains("kể cả các cụm ngoài phạm vi của bạn"), "{page}");
    let (status, _) = hoan_kiem
        .post(&app, "/clusters/HN-HK-CUM1/criteria/copy?year=2022", &[])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let ward = store.criteria("ward", 2022).await.unwrap();
    assert_eq!((ward.set.name(), ward.version), (original, 1));
    assert_eq!(
        store.emulation_history("criteria:ward/2022").await.unwrap().len(),
        1,
        "only the city's import"
    );
    // The page offers Hoàn Kiếm no import form; the city, above both districts, may replace it.
    assert!(!page_offers_import(
        &hoan_kiem.get(&app, "/clusters/HN-HK-CUM1/criteria?year=2022").await.1
    ));
    let (content_type, body) = multipart(&app.csrf("thanhpho"), &ward_criteria("Bảng mới của Thành phố"));
    let request = Request::post("/clusters/HN-TH-CUM1/criteria?year=2022")
        .header(header::COOKIE, app.cookie(Some("thanhpho")))
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .unwrap();
    let (status, _, page) = app.send(request).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let ward = store.criteria("ward", 2022).await.unwrap();
    assert_eq!(ward.set.name(), "Bảng mới của Thành phố");
}

fn page_offers_import(page: &str) -> bool {
    page.contains("type=\"file\"")
}
