//! Hostile uploads, through HTTP on both backends (issue 9, items 1 and 7): a workbook
//! naming cell XFD1048576, a zip bomb, bodies over the limits, evidence files that would
//! run as pages or never stop coming, and names carrying bidi controls and zero-width
//! spaces. Each test is an attack that once worked.

use std::io::{Cursor, Write};

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use thidua_core::emulation::scoring::ScoreStep;
use thidua_core::{Period, UnitCode};
use thidua_store::{Actor, Backend, EvidenceFile};

use crate::common::{self, TestApp, current_half};

common::on_both_backends!(
    a_sparse_workbook_with_a_far_cell_is_refused_before_it_is_read,
    a_zip_bomb_is_refused_without_inflating_it,
    a_workbook_of_three_megabytes_is_read_since_the_limit_is_five,
    an_upload_over_the_limit_gets_413_with_a_vietnamese_message,
    any_other_body_over_a_megabyte_gets_413_with_a_vietnamese_message,
    evidence_files_are_limited_in_number_and_served_as_attachments_with_the_server_s_type,
    parallel_evidence_uploads_cannot_pass_the_limit_per_sheet,
    names_lose_their_bidi_controls_and_zero_width_characters,
    a_criteria_file_over_its_limit_gets_413_with_a_vietnamese_message,
);

const TAYHO_SELF: &str = "/units/HN-TAYHO/scores/2022/self";

fn unit(c: &str) -> UnitCode {
    UnitCode::parse(c).unwrap()
}

/// A multipart body: `who`'s anti-forgery token, the text fields, and one file.
fn multipart(app: &TestApp, who: &str, fields: &[(&str, &str)], file: (&str, &str, &[u8])) -> (String, Vec<u8>) {
    let boundary = "thidua-uploads-boundary";
    let csrf = app.csrf(who);
    let mut body = Vec::new();
    for (name, value) in [("csrf", csrf.as_str())].iter().chain(fields) {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    let (filename, content_type, bytes) = file;
    body.extend(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend(bytes);
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Posts one file as `who`; `declare_length` adds `Content-Length`, as a browser does.
async fn upload(
    app: &TestApp,
    who: &str,
    uri: &str,
    fields: &[(&str, &str)],
    file: (&str, &str, &[u8]),
    declare_length: bool,
) -> (StatusCode, HeaderMap, String) {
    let (content_type, body) = multipart(app, who, fields, file);
    let mut request = Request::post(uri)
        .header(header::COOKIE, app.cookie(Some(who)))
        .header(header::CONTENT_TYPE, content_type);
    if declare_length {
        request = request.header(header::CONTENT_LENGTH, body.len());
    }
    app.send(request.body(Body::from(body)).unwrap()).await
}

/// Tây Hồ's form for the current half-year as downloaded, empty.
async fn tayho_workbook(app: &TestApp, period: Period) -> Vec<u8> {
    let catalog = app.state.store.catalog().await.unwrap();
    thidua_report::form_sheet::write_form(&thidua_report::form_sheet::FormSheet {
        unit_code: "HN-TAYHO",
        unit_name: "Ủy ban MTTQ Việt Nam quận Tây Hồ",
        period,
        catalog: &catalog,
        values: &std::collections::BTreeMap::new(),
        narrative: ["Làm tốt công tác vận động", "", ""],
    })
    .unwrap()
}

/// `workbook` with its sheet's XML replaced by `sheet` (deflated, fast) and `extra`
/// parts added (stored as they are).
fn rebuilt(workbook: &[u8], sheet: Option<&[u8]>, extra: &[(&str, &[u8])]) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(Cursor::new(workbook)).unwrap();
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let fast = zip::write::SimpleFileOptions::default().compression_level(Some(1));
    for i in 0..archive.len() {
        let entry = archive.by_index(i).unwrap();
        match sheet {
            Some(xml) if entry.name().is_ok_and(|n| n == "xl/worksheets/sheet1.xml") => {
                drop(entry);
                out.start_file("xl/worksheets/sheet1.xml", fast).unwrap();
                out.write_all(xml).unwrap();
            }
            _ => out.raw_copy_file(entry).unwrap(),
        }
    }
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, bytes) in extra {
        out.start_file(*name, stored).unwrap();
        out.write_all(bytes).unwrap();
    }
    out.finish().unwrap().into_inner()
}

/// Bytes that do not compress (xorshift).
fn noise(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

const SHEET_HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#;

async fn stored_version(app: &TestApp, period: Period) -> i64 {
    app.state
        .store
        .submission(&unit("HN-TAYHO"), period)
        .await
        .unwrap()
        .version
}

// ------------------------------------------------------------------------ workbooks

async fn a_sparse_workbook_with_a_far_cell_is_refused_before_it_is_read(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let period = current_half();
    // Two cells, A1 and XFD1048576: read into a dense range, 512 GiB.
    let sheet = format!(
        r#"{SHEET_HEAD}<dimension ref="A1:XFD1048576"/><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Mã đơn vị</t></is></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData></worksheet>"#
    );
    let file = rebuilt(&tayho_workbook(&app, period).await, Some(sheet.as_bytes()), &[]);

    let (status, _, page) = upload(
        &app,
        "tayho",
        &format!("/units/HN-TAYHO/forms/{period}/xlsx"),
        &[("version", "0")],
        ("bieu-mau.xlsx", "application/octet-stream", &file),
        true,
    )
    .await;

    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(
        page.contains("ô XFD1048576 nằm ngoài vùng biểu mẫu (tối đa 2.000 dòng × 50 cột)"),
        "{page}"
    );
    assert_eq!(stored_version(&app, period).await, 0, "nothing is written");
}

async fn a_zip_bomb_is_refused_without_inflating_it(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let period = current_half();
    // 60 MB of rows, which deflate to a few hundred kilobytes.
    let row = r#"<row><c t="inlineStr"><is><t>x</t></is></c></row>"#;
    let sheet = format!(
        "{SHEET_HEAD}<sheetData>{}</sheetData></worksheet>",
        row.repeat(60 * 1024 * 1024 / row.len())
    );
    let file = rebuilt(&tayho_workbook(&app, period).await, Some(sheet.as_bytes()), &[]);
    assert!(file.len() < 2 * 1024 * 1024, "the bomb is {} bytes", file.len());

    let (status, _, page) = upload(
        &app,
        "tayho",
        &format!("/units/HN-TAYHO/forms/{period}/xlsx"),
        &[("version", "0")],
        ("bieu-mau.xlsx", "application/octet-stream", &file),
        true,
    )
    .await;

    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(
        page.contains("của tệp Excel quá lớn khi giải nén: hơn 10 MB (giới hạn 10 MB)"),
        "{page}"
    );
    assert_eq!(stored_version(&app, period).await, 0, "nothing is written");
}

async fn a_workbook_of_three_megabytes_is_read_since_the_limit_is_five(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let period = current_half();
    // A form saved with a 3 MB picture in it: over axum's 2 MB default, under our 5 MB.
    let picture = noise(3 * 1024 * 1024);
    let file = rebuilt(
        &tayho_workbook(&app, period).await,
        None,
        &[("xl/media/image1.png", &picture)],
    );

    let (status, _, page) = upload(
        &app,
        "tayho",
        &format!("/units/HN-TAYHO/forms/{period}/xlsx"),
        &[("version", "0")],
        ("bieu-mau.xlsx", "application/octet-stream", &file),
        true,
    )
    .await;

    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Đã nhập số liệu từ tệp Excel"), "{page}");
    assert_eq!(stored_version(&app, period).await, 1);
}

async fn an_upload_over_the_limit_gets_413_with_a_vietnamese_message(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let period = current_half();
    let too_big = noise(5 * 1024 * 1024 + 100 * 1024);

    for declare_length in [true, false] {
        let (status, headers, page) = upload(
            &app,
            "tayho",
            &format!("/units/HN-TAYHO/forms/{period}/xlsx"),
            &[("version", "0")],
            ("bieu-mau.xlsx", "application/octet-stream", &too_big),
            declare_length,
        )
        .await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{declare_length}: {page}");
        assert!(
            page.contains("Tệp Excel của biểu mẫu quá lớn (giới hạn 5 MB)."),
            "{declare_length}: {page}"
        );
        assert!(
            headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|t| t.starts_with("text/html")),
            "a page, not the framework's plain text"
        );
    }
    // An evidence file has its own, larger limit.
    let (status, _, _) = app
        .post_as(
            Some("tayho"),
            TAYHO_SELF,
            &[("version", "0"), ("criteria_version", "1"), ("p_I.1", "5")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let huge = noise(EvidenceFile::MAX_BYTES + 1024);
    for declare_length in [true, false] {
        let (status, _, page) = upload(
            &app,
            "tayho",
            &format!("{TAYHO_SELF}/evidence"),
            &[("code", "I.1")],
            ("scan.pdf", "application/pdf", &huge),
            declare_length,
        )
        .await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{declare_length}: {page}");
        assert!(page.contains("Tệp minh chứng quá lớn (giới hạn 20 MB)."), "{page}");
    }
    assert_eq!(stored_version(&app, period).await, 0, "nothing is written");
}

async fn any_other_body_over_a_megabyte_gets_413_with_a_vietnamese_message(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let period = current_half();
    let long = "1".repeat(1536 * 1024);

    let (status, _, page) = app
        .post_as(
            Some("tayho"),
            &format!("/units/HN-TAYHO/forms/{period}"),
            &[("version", "0"), ("results", &long)],
        )
        .await;

    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{page}");
    assert!(page.contains("Dữ liệu gửi lên quá lớn (giới hạn 1 MB)."), "{page}");
    assert_eq!(stored_version(&app, period).await, 0);
}

// ------------------------------------------------------------------------- evidence

/// The id of the evidence file named `name` on Tây Hồ's self-score page.
async fn evidence_id(app: &TestApp, name: &str) -> String {
    let (_, _, page) = app.get_as(Some("tayho"), TAYHO_SELF).await;
    let at = page
        .find(&format!(">{name}<"))
        .unwrap_or_else(|| panic!("{name} is not listed: {page}"));
    page[..at]
        .rsplit("href=\"/evidence/")
        .next()
        .map(|rest| rest.chars().take_while(char::is_ascii_digit).collect())
        .unwrap_or_default()
}

async fn evidence_files_are_limited_in_number_and_served_as_attachments_with_the_server_s_type(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let (status, _, page) = app
        .post_as(
            Some("tayho"),
            TAYHO_SELF,
            &[("version", "0"), ("criteria_version", "1"), ("p_I.1", "5")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");

    // What the uploader claims is never what is served: a page or an SVG with a script,
    // a "PDF" that is HTML, and a real PDF with a Vietnamese name.
    let files: [(&str, &str, &[u8], &str); 4] = [
        (
            "trang.html",
            "text/html",
            b"<html><script>alert(document.cookie)</script></html>",
            "application/octet-stream",
        ),
        (
            "anh.svg",
            "image/svg+xml",
            br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>"#,
            "application/octet-stream",
        ),
        (
            "gia.pdf",
            "application/pdf",
            b"<html><script>alert(1)</script></html>",
            "application/octet-stream",
        ),
        (
            "Báo cáo tháng 7.pdf",
            "text/html",
            b"%PDF-1.7\n1 0 obj\n",
            "application/pdf",
        ),
    ];
    for (name, claimed, bytes, served) in files {
        let (status, _, page) = upload(
            &app,
            "tayho",
            &format!("{TAYHO_SELF}/evidence"),
            &[("code", "I.1")],
            (name, claimed, bytes),
            true,
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{name}: {page}");
        let id = evidence_id(&app, name).await;
        let (status, headers, body) = app.get_as(Some("cumtruong"), &format!("/evidence/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body.as_bytes(), bytes, "{name} comes back byte for byte");
        let header = |h: header::HeaderName| {
            headers
                .get(h)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        assert_eq!(header(header::CONTENT_TYPE), served, "{name}");
        assert!(header(header::CONTENT_DISPOSITION).starts_with("attachment;"), "{name}");
        assert_eq!(header(header::X_CONTENT_TYPE_OPTIONS), "nosniff");
        assert!(header(header::CONTENT_SECURITY_POLICY).contains("sandbox"), "{name}");
    }
    let id = evidence_id(&app, "Báo cáo tháng 7.pdf").await;
    let (_, headers, _) = app.get_as(Some("tayho"), &format!("/evidence/{id}")).await;
    let disposition = headers
        .get(header::CONTENT_DISPOSITION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert_eq!(
        disposition,
        "attachment; filename=\"B_o_c_o_th_ng_7.pdf\"; filename*=UTF-8''B%C3%A1o%20c%C3%A1o%20th%C3%A1ng%207.pdf"
    );

    // The sheet takes files up to its limit, then refuses the next one, naming it.
    let store = &app.state.store;
    let sheet = store
        .score_sheet(&unit("HN-TAYHO"), 2022, 1, ScoreStep::SelfScore)
        .await
        .unwrap()
        .expect("the self-score is saved");
    for n in files.len()..EvidenceFile::MAX_PER_SHEET {
        store
            .attach_evidence(
                &Actor::system("test"),
                sheet.id,
                None,
                EvidenceFile {
                    filename: format!("minh-chung-{n}.pdf"),
                    content_type: String::new(),
                    bytes: b"%PDF-1.4".to_vec(),
                },
            )
            .await
            .unwrap_or_else(|e| panic!("file {n}: {e}"));
    }
    let (status, _, page) = upload(
        &app,
        "tayho",
        &format!("{TAYHO_SELF}/evidence"),
        &[],
        ("mot-tep-nua.pdf", "application/pdf", b"%PDF-1.4"),
        true,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(
        page.contains("bảng chấm điểm đã có 50 tệp minh chứng (giới hạn 50 tệp)"),
        "{page}"
    );
    let listed = store
        .score_sheet(&unit("HN-TAYHO"), 2022, 1, ScoreStep::SelfScore)
        .await
        .unwrap()
        .map(|s| s.evidence.len());
    assert_eq!(listed, Some(EvidenceFile::MAX_PER_SHEET));
}

async fn parallel_evidence_uploads_cannot_pass_the_limit_per_sheet(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let (status, _, _) = app
        .post_as(
            Some("tayho"),
            TAYHO_SELF,
            &[("version", "0"), ("criteria_version", "1"), ("p_I.1", "5")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let store = app.state.store.clone();
    let sheet = store
        .score_sheet(&unit("HN-TAYHO"), 2022, 1, ScoreStep::SelfScore)
        .await
        .unwrap()
        .expect("the self-score is saved");
    let file = |n: usize| EvidenceFile {
        filename: format!("minh-chung-{n}.pdf"),
        content_type: String::new(),
        bytes: b"%PDF-1.4".to_vec(),
    };
    let room = 3;
    for n in 0..EvidenceFile::MAX_PER_SHEET - room {
        store
            .attach_evidence(&Actor::system("test"), sheet.id, None, file(n))
            .await
            .unwrap_or_else(|e| panic!("file {n}: {e}"));
    }

    // Ten at once, with room for three: every one counts under the sheet's lock.
    let mut uploads = tokio::task::JoinSet::new();
    for n in 0..10 {
        let (store, file) = (store.clone(), file(100 + n));
        uploads.spawn(async move {
            store
                .attach_evidence(&Actor::system("test"), sheet.id, None, file)
                .await
                .is_ok()
        });
    }
    let accepted = uploads.join_all().await.into_iter().filter(|ok| *ok).count();

    assert_eq!(accepted, room);
    let listed = store
        .score_sheet(&unit("HN-TAYHO"), 2022, 1, ScoreStep::SelfScore)
        .await
        .unwrap()
        .map(|s| s.evidence.len());
    assert_eq!(listed, Some(EvidenceFile::MAX_PER_SHEET));
}

// ---------------------------------------------------------------------------- names

async fn names_lose_their_bidi_controls_and_zero_width_characters(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    // A display name typed by the admin with a zero-width space and a right-to-left
    // override, which would show another name than the one stored.
    let (status, _, page) = app
        .post_as(
            Some("admin"),
            "/admin/users",
            &[
                ("username", "nguyenvana"),
                ("name", "Nguy\u{200B}ễn Văn\u{202E} A\u{2066}\u{FEFF}"),
                ("role", "officer"),
                ("unit", "HN-TAYHO"),
                ("password", "hoang-hon-tren-song-hong-42"),
            ],
        )
        .await;
    assert!(status.is_success() || status.is_redirection(), "{status}: {page}");
    let user = app.state.store.user("nguyenvana").await.unwrap();
    assert_eq!(user.display_name, "Nguyễn Văn A");

    // A unit's name from an import.
    app.state
        .store
        .import_units_csv("code,name,kind,parent\nHN-MELINH,\"Ủy ban MTTQ Việt Nam huyện Mê\u{200D} Li\u{202E}nh\u{200F}\",district,HN\n")
        .await
        .unwrap();
    let tree = app.state.store.unit_tree().await.unwrap();
    let name = tree.get(&unit("HN-MELINH")).map(|u| u.name.clone());
    assert_eq!(name.as_deref(), Some("Ủy ban MTTQ Việt Nam huyện Mê Linh"));
}

async fn a_criteria_file_over_its_limit_gets_413_with_a_vietnamese_message(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let too_big = noise(1024 * 1024 + 100 * 1024);
    for declare_length in [true, false] {
        let (status, _, page) = upload(
            &app,
            "thanhpho",
            "/clusters/HN-CUM2/criteria?year=2022",
            &[],
            ("tieu-chi.toml", "application/toml", &too_big),
            declare_length,
        )
        .await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{declare_length}: {page}");
        assert!(page.contains("Tệp bảng tiêu chí quá lớn (giới hạn 1 MB)"), "{page}");
    }
}
