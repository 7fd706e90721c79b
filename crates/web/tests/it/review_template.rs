//! The review template edited by parts (issue #13): the shipped template opens as its
//! named parts beside the fields a template can use; a rewritten part is stored alone
//! and the others follow the shipped template; a mistake is said beside its part with
//! what was typed kept; a template written whole keeps opening whole. On SQLite and
//! PostgreSQL.

use crate::common;

use axum::http::StatusCode;
use common::TestApp;
use thidua_core::ClusterCode;
use thidua_report::review_template::{PARTS, shipped_part};
use thidua_store::Backend;

common::on_both_backends!(
    the_editor_opens_the_shipped_template_as_its_parts_beside_the_fields_it_can_use,
    a_rewritten_part_is_stored_alone_and_the_others_follow_the_shipped_template,
    a_mistake_in_a_part_is_said_beside_it_with_what_was_typed_and_nothing_is_saved,
);

const EDITOR: &str = "/clusters/HN-CUM2/report/template?period=2022S1";

fn cum2() -> ClusterCode {
    ClusterCode::parse("HN-CUM2").unwrap()
}

/// Every part as shipped, but `name`'s, which is `text`.
fn parts_with(name: &str, text: &str) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = PARTS
        .iter()
        .map(|p| {
            let shipped = shipped_part(p.name).unwrap_or_default();
            let text = if p.name == name { text } else { shipped };
            (format!("part_{}", p.name), text.to_owned())
        })
        .collect();
    fields.push(("action".into(), "save".into()));
    fields
}

async fn post(app: &TestApp, fields: &[(String, String)]) -> (StatusCode, String) {
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (status, _, page) = app.post_as(Some("thanhpho"), EDITOR, &fields).await;
    (status, page)
}

async fn the_editor_opens_the_shipped_template_as_its_parts_beside_the_fields_it_can_use(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let (status, _, page) = app.get_as(Some("thanhpho"), EDITOR).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    for part in PARTS {
        assert!(
            page.contains(&format!("name=\"part_{}\"", part.name)) && page.contains(part.label),
            "{} is edited on its own: {page}",
            part.label
        );
    }
    assert!(!page.contains("name=\"body\""), "not the whole template");
    // The fields are the rendering's own, with the values of the previewed period.
    for shown in [
        "<code>groups[].indicators[].spoken</code>",
        "<code>reporting.subject</code>",
        "<code>leaders(mã_chỉ_tiêu, ngưỡng)</code>",
        "“quận Hà Đông”",
        "“2022S1”",
    ] {
        assert!(page.contains(shown), "{shown}: {page}");
    }
    assert!(page.contains("1.084"), "the preview is written: {page}");
}

async fn a_rewritten_part_is_stored_alone_and_the_others_follow_the_shipped_template(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let (status, page) = post(&app, &parts_with("closing", "Cụm thi đua số 2 trân trọng báo cáo.")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Đã lưu mẫu"), "{page}");
    let stored = app
        .state
        .store
        .cluster_template(&cum2(), "review")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.body,
        "{% extends \"mau-mac-dinh\" %}\n\n{% block closing %}\nCụm thi đua số 2 trân trọng báo cáo.\n{% endblock %}\n",
        "only the rewritten part is stored"
    );
    let (_, _, report) = app
        .get_as(Some("hadong"), "/clusters/HN-CUM2/report?period=2022S1")
        .await;
    assert!(
        report.contains("Cụm thi đua số 2 trân trọng báo cáo.")
            && report.contains("1.084")
            && report.contains("85,01%"),
        "the report has the new closing and the shipped parts: {report}"
    );
    let (_, _, page) = app.get_as(Some("thanhpho"), EDITOR).await;
    let closing = page.split("id=\"phan-closing\"").nth(1).unwrap_or_default();
    assert!(closing.contains("đã sửa"), "the rewritten part is marked: {page}");
    let opening = page.split("id=\"phan-opening\"").nth(1).unwrap_or_default();
    assert!(
        opening
            .split("</fieldset>")
            .next()
            .unwrap_or_default()
            .contains("Đang theo mẫu mặc định"),
        "{page}"
    );

    // «Khôi phục mẫu mặc định» stores no rewritten part at all.
    let (status, page) = post(&app, &[("action".into(), "reset".into())]).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let stored = app
        .state
        .store
        .cluster_template(&cum2(), "review")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.body, "{% extends \"mau-mac-dinh\" %}\n");
}

async fn a_mistake_in_a_part_is_said_beside_it_with_what_was_typed_and_nothing_is_saved(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let typed = "Kỳ này {{ cluster.name }";
    let (status, page) = post(&app, &parts_with("opening", typed)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    let opening = page.split("id=\"phan-opening\"").nth(1).unwrap_or_default();
    let opening = opening.split("</fieldset>").next().unwrap_or_default();
    assert!(
        opening.contains("id=\"error-opening\"") && opening.contains("Dòng 1: Cú pháp mẫu sai"),
        "said beside the part: {opening}"
    );
    assert!(
        opening.contains("Kỳ này {{ cluster.name }"),
        "what was typed is kept: {opening}"
    );
    assert!(opening.contains("aria-invalid=\"true\""));
    assert!(page.contains("Chưa lưu: mẫu còn lỗi."), "{page}");

    let (status, page) = post(&app, &parts_with("results", "{% endblock %}{% block heading %}chiếm")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(
        page.contains("id=\"error-results\"") && page.contains("Không được có thẻ {% endblock %}"),
        "a part cannot close its block: {page}"
    );
    assert_eq!(app.state.store.cluster_template(&cum2(), "review").await.unwrap(), None);

    // A template written whole is saved and opens whole, as before parts existed.
    let (status, _, page) = app
        .post_as(
            Some("thanhpho"),
            EDITOR,
            &[("body", "{{ cluster.name }} báo cáo."), ("action", "save")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let (_, _, page) = app.get_as(Some("thanhpho"), EDITOR).await;
    assert!(
        page.contains("name=\"body\"") && page.contains("Soạn theo từng phần"),
        "{page}"
    );
}
