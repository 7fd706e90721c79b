//! The whole-cluster workbook in the browser, through HTTP on both backends: downloaded
//! and uploaded back it changes nothing; a changed figure is written in the chair's name;
//! a bad cell or a broken rule refuses the whole file naming its sheet and cell, with
//! nothing written; a dry run writes nothing; an officer may download but not import;
//! the job's events stream its progress and a final event; another account cannot read
//! the job.

use std::io::{Cursor, Read, Write};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use thidua_core::{DataValue, IndicatorCode, Period, UnitCode, Value};
use thidua_store::Backend;

use crate::common::{self, TestApp};

common::on_both_backends!(
    a_downloaded_workbook_uploaded_back_changes_nothing,
    a_changed_figure_is_written_in_the_chair_s_name,
    a_bad_cell_refuses_the_whole_file_naming_its_sheet_and_cell,
    a_broken_rule_is_named_at_its_cell_and_nothing_is_written,
    an_accepted_form_is_never_overwritten_and_nothing_is_written,
    a_dry_run_writes_nothing,
    an_officer_downloads_but_cannot_import,
    the_job_s_events_stream_progress_and_a_final_event,
    another_account_cannot_read_the_job,
);

const WORKBOOK: &str = "/clusters/HN-CUM2/workbook";
const S1: Period = Period::HalfYear(2022, 1);

async fn figures(app: &TestApp) -> Vec<DataValue> {
    let members = [
        "HN-HADONG",
        "HN-THANHXUAN",
        "HN-CAUGIAY",
        "HN-TAYHO",
        "HN-BACTULIEM",
        "HN-NAMTULIEM",
    ];
    let pairs: Vec<(UnitCode, Period)> = members.iter().map(|m| (UnitCode::parse(m).unwrap(), S1)).collect();
    let mut values = app.state.store.values_of(&pairs).await.unwrap();
    values.sort_by(|a, b| (&a.unit, &a.indicator).cmp(&(&b.unit, &b.indicator)));
    values
}

/// A GET as `who`, its body as bytes.
async fn get_bytes(app: &TestApp, who: &str, uri: &str) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let request = Request::get(uri)
        .header(header::COOKIE, app.cookie(Some(who)))
        .body(Body::empty())
        .unwrap();
    let response = thidua_web::router(app.state.clone())
        .oneshot(request)
        .await
        .unwrap_or_else(|e| match e {});
    let (status, headers) = (response.status(), response.headers().clone());
    let bytes = response.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, headers, bytes)
}

async fn download(app: &TestApp, who: &str) -> Vec<u8> {
    let (status, headers, bytes) = get_bytes(app, who, &format!("{WORKBOOK}.xlsx?period=2022S1")).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&bytes));
    assert!(
        headers
            .get(header::CONTENT_DISPOSITION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("so-lieu-ca-cum-HN-CUM2-2022S1.xlsx")),
        "{headers:?}"
    );
    bytes
}

/// `bytes` with cell `cell` of the sheet part `part` holding the text `text`.
fn set_cell(bytes: &[u8], part: &str, cell: &str, text: &str) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        if entry.name().is_ok_and(|n| n == part) {
            let mut xml = String::new();
            entry.read_to_string(&mut xml).unwrap();
            drop(entry);
            let start = xml.find(&format!("<c r=\"{cell}\"")).unwrap();
            let open_end = start + xml[start..].find('>').unwrap() + 1;
            let end = if xml[..open_end].ends_with("/>") {
                open_end
            } else {
                open_end + xml[open_end..].find("</c>").unwrap() + 4
            };
            let xml = format!(
                "{}<c r=\"{cell}\" t=\"inlineStr\"><is><t>{text}</t></is></c>{}",
                &xml[..start],
                &xml[end..]
            );
            out.start_file(part, zip::write::SimpleFileOptions::default()).unwrap();
            out.write_all(xml.as_bytes()).unwrap();
        } else {
            out.raw_copy_file(entry).unwrap();
        }
    }
    out.finish().unwrap().into_inner()
}

/// Posts the upload form for 2022S1 as `who`; the response.
async fn upload(app: &TestApp, who: &str, file: &[u8], dry_run: bool) -> (StatusCode, axum::http::HeaderMap, String) {
    upload_for(app, who, file, "2022S1", dry_run).await
}

/// Posts the upload form for `period` as `who`; the response.
async fn upload_for(
    app: &TestApp,
    who: &str,
    file: &[u8],
    period: &str,
    dry_run: bool,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let boundary = "thidua-cluster-workbook";
    let mut body = Vec::new();
    let csrf = app.csrf(who);
    let mut fields = vec![("csrf", csrf.as_str()), ("period", period)];
    if dry_run {
        fields.push(("dry_run", "1"));
    }
    for (name, value) in fields {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    body.extend(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"ca-cum.xlsx\"\r\nContent-Type: application/octet-stream\r\n\r\n")
            .as_bytes(),
    );
    body.extend(file);
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    let request = Request::post(WORKBOOK)
        .header(header::COOKIE, app.cookie(Some(who)))
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .unwrap();
    app.send(request).await
}

/// Uploads as `who` and follows the job to its end: the job's address, its events as
/// they came, and its page once done.
async fn run_job(app: &TestApp, who: &str, file: &[u8], dry_run: bool) -> (String, String, String) {
    let (status, headers, body) = upload(app, who, file, dry_run).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let job = headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap()
        .to_owned();
    assert!(job.starts_with("/clusters/HN-CUM2/workbook/jobs/"), "{job}");
    // The stream ends after its final event, so reading it whole waits for the job.
    let (status, headers, events) = app.get_as(Some(who), &format!("{job}/events")).await;
    assert_eq!(status, StatusCode::OK, "{events}");
    assert_eq!(
        headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()),
        Some("text/event-stream")
    );
    let (status, _, page) = app.get_as(Some(who), &job).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    (job, events, page)
}

async fn a_downloaded_workbook_uploaded_back_changes_nothing(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let before = figures(&app).await;
    assert!(before.len() > 50, "the demo has figures for 2022S1");
    let file = download(&app, "cumtruong").await;
    let (_, _, page) = run_job(&app, "cumtruong", &file, false).await;
    assert!(
        page.contains(&format!(
            "Đã nhập vào số liệu chính thức — 0 giá trị mới, 0 giá trị thay đổi, {} giá trị giữ nguyên (6 trang thành viên).",
            before.len()
        )),
        "{page}"
    );
    assert_eq!(figures(&app).await, before);
}

async fn a_changed_figure_is_written_in_the_chair_s_name(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let before = figures(&app).await;
    // Hà Đông's first row is TANG_SO_DAM (1.020); typed Vietnamese-style.
    let file = set_cell(
        &download(&app, "cumtruong").await,
        "xl/worksheets/sheet2.xml",
        "D7",
        "1.030",
    );
    let (_, _, page) = run_job(&app, "cumtruong", &file, false).await;
    assert!(page.contains("0 giá trị mới, 1 giá trị thay đổi"), "{page}");
    let after = figures(&app).await;
    let changed: Vec<&DataValue> = after.iter().filter(|v| !before.contains(v)).collect();
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert_eq!(changed[0].unit.as_str(), "HN-HADONG");
    assert_eq!(changed[0].indicator.as_str(), "TANG_SO_DAM");
    assert_eq!(changed[0].value, Value::Whole(1030));
    let history = app
        .state
        .store
        .cell_history(
            &UnitCode::parse("HN-HADONG").unwrap(),
            S1,
            &IndicatorCode::parse("TANG_SO_DAM").unwrap(),
        )
        .await
        .unwrap();
    assert!(
        history
            .iter()
            .any(|e| e.actor == "cumtruong" && e.new_value.as_deref() == Some("1030")),
        "{history:?}"
    );
}

async fn a_bad_cell_refuses_the_whole_file_naming_its_sheet_and_cell(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let before = figures(&app).await;
    let file = download(&app, "cumtruong").await;
    // A good change on Hà Đông's sheet, a bad number on Thanh Xuân's, a unit that is not
    // a member on Cầu Giấy's.
    let file = set_cell(&file, "xl/worksheets/sheet2.xml", "D7", "1.030");
    let file = set_cell(&file, "xl/worksheets/sheet3.xml", "D8", "ba trăm");
    let file = set_cell(&file, "xl/worksheets/sheet4.xml", "B3", "HN-SOCSON");
    let (_, events, page) = run_job(&app, "cumtruong", &file, false).await;
    assert!(events.contains("\"result\":\"refused\""), "{events}");
    assert!(
        page.contains("Chưa nhập: tệp Excel có 2 ô chưa đúng, không số liệu nào được ghi."),
        "{page}"
    );
    assert!(
        page.contains("Trang «quận Thanh Xuân», ô D8: «ba trăm» không phải là số (Số ca hỏa táng)"),
        "{page}"
    );
    assert!(
        page.contains("Trang «quận Cầu Giấy», ô B3: đơn vị HN-SOCSON không phải thành viên của cụm HN-CUM2 năm 2022"),
        "{page}"
    );
    assert_eq!(figures(&app).await, before, "nothing written");
}

async fn a_broken_rule_is_named_at_its_cell_and_nothing_is_written(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let before = figures(&app).await;
    // More cremations (D8) than deaths (D7) on Hà Đông's sheet.
    let file = set_cell(
        &download(&app, "cumtruong").await,
        "xl/worksheets/sheet2.xml",
        "D8",
        "5000",
    );
    let (_, _, page) = run_job(&app, "cumtruong", &file, false).await;
    assert!(
        page.contains("Trang «quận Hà Đông», ô D8: ") && page.contains("Số ca hỏa táng không được vượt số đám tang"),
        "{page}"
    );
    assert_eq!(figures(&app).await, before, "nothing written");
}

async fn an_accepted_form_is_never_overwritten_and_nothing_is_written(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let period = common::current_half();
    let form = format!("/units/HN-TAYHO/forms/{period}");
    let (status, _, body) = app
        .post_as(
            Some("tayho"),
            &form,
            &[("version", "0"), ("action", "submit_anyway"), ("v_HV_HOI_CHO", "2")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _, _) = app
        .post_as(
            Some("cumtruong"),
            &format!("{form}/decision"),
            &[("version", "1"), ("action", "accept")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let pairs: Vec<(UnitCode, Period)> = ["HN-HADONG", "HN-TAYHO"]
        .iter()
        .map(|m| (UnitCode::parse(m).unwrap(), period))
        .collect();
    let before = app.state.store.values_of(&pairs).await.unwrap();
    assert!(
        before.iter().any(|v| v.unit.as_str() == "HN-TAYHO"),
        "the accepted figure is official"
    );
    let (status, _, file) = get_bytes(&app, "cumtruong", &format!("{WORKBOOK}.xlsx?period={period}")).await;
    assert_eq!(status, StatusCode::OK);
    // A new figure on Hà Đông's sheet (a draft-free form), one on Tây Hồ's accepted form.
    let file = set_cell(&file, "xl/worksheets/sheet2.xml", "D7", "12");
    let file = set_cell(&file, "xl/worksheets/sheet5.xml", "D7", "5");
    let (status, headers, body) = upload_for(&app, "cumtruong", &file, &period.code(), false).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let job = headers[header::LOCATION].to_str().unwrap().to_owned();
    let (_, _, events) = app.get_as(Some("cumtruong"), &format!("{job}/events")).await;
    assert!(events.contains("\"result\":\"refused\""), "{events}");
    let (_, _, page) = app.get_as(Some("cumtruong"), &job).await;
    assert!(
        page.contains("Trang «quận Tây Hồ», ô D7: báo cáo") && page.contains("của HN-TAYHO đã được duyệt"),
        "{page}"
    );
    assert_eq!(
        page.matches("<li>Trang «").count(),
        1,
        "only the accepted form's cell is named: {page}"
    );
    assert_eq!(
        app.state.store.values_of(&pairs).await.unwrap(),
        before,
        "nothing written"
    );
}

async fn a_dry_run_writes_nothing(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let before = figures(&app).await;
    let file = set_cell(
        &download(&app, "thanhpho").await,
        "xl/worksheets/sheet2.xml",
        "D7",
        "1.030",
    );
    let (_, _, page) = run_job(&app, "thanhpho", &file, true).await;
    assert!(
        page.contains("Thử nhập, không ghi gì: tệp nhập được — 0 giá trị mới, 1 giá trị thay đổi"),
        "{page}"
    );
    assert_eq!(figures(&app).await, before);
}

async fn an_officer_downloads_but_cannot_import(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let before = figures(&app).await;
    let (status, _, page) = app.get_as(Some("hadong"), &format!("{WORKBOOK}?period=2022S1")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Tải bảng cả cụm (.xlsx)"), "{page}");
    assert!(
        !page.contains("enctype=\"multipart/form-data\""),
        "no upload form for an officer"
    );
    let file = set_cell(
        &download(&app, "hadong").await,
        "xl/worksheets/sheet2.xml",
        "D7",
        "1.030",
    );
    let (status, _, page) = upload(&app, "hadong", &file, false).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{page}");
    assert!(page.contains("không nhập được bảng số liệu cả cụm"), "{page}");
    assert_eq!(figures(&app).await, before);
    // Someone outside the cluster cannot even download it.
    let (status, _, _) = get_bytes(&app, "khac", &format!("{WORKBOOK}.xlsx?period=2022S1")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn the_job_s_events_stream_progress_and_a_final_event(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let file = set_cell(
        &download(&app, "admin").await,
        "xl/worksheets/sheet2.xml",
        "D7",
        "1.030",
    );
    let (job, events, page) = run_job(&app, "admin", &file, false).await;
    let progress = events
        .find("event: progress\ndata: {")
        .unwrap_or_else(|| panic!("{events}"));
    let done = events
        .find("event: done\ndata: {")
        .unwrap_or_else(|| panic!("{events}"));
    assert!(progress < done, "{events}");
    assert!(events.contains("\"result\":\"done\""), "{events}");
    assert!(
        events.contains("\"total\":1"),
        "the last progress counts the one figure written: {events}"
    );
    assert_eq!(events.matches("event: done").count(), 1, "{events}");
    // The page shows the result, not a bar, once done; while running it carries the
    // script and the events' address.
    assert!(
        page.contains("1 giá trị thay đổi") && !page.contains("<progress"),
        "{page}"
    );
    assert!(
        job.len() > "/clusters/HN-CUM2/workbook/jobs/".len() + 30,
        "an unguessable id: {job}"
    );
}

async fn another_account_cannot_read_the_job(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let file = download(&app, "cumtruong").await;
    let (job, _, _) = run_job(&app, "cumtruong", &file, false).await;
    for who in ["thanhpho", "admin", "hadong"] {
        let (status, _, page) = app.get_as(Some(who), &job).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{who}: {page}");
        let (status, _, _) = app.get_as(Some(who), &format!("{job}/events")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{who}");
    }
    let (status, _, _) = app.get_as(None, &job).await;
    assert_ne!(status, StatusCode::OK);
    let last = if job.ends_with('0') { '1' } else { '0' };
    let wrong = format!("{}{last}", &job[..job.len() - 1]);
    let (status, _, _) = app.get_as(Some("cumtruong"), &wrong).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = app.get_as(Some("cumtruong"), &job).await;
    assert_eq!(status, StatusCode::OK);
}
