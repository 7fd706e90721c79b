//! `thidua export cluster-xlsx` and `thidua import cluster-xlsx` as a user runs them, on
//! both backends: the demo cluster's workbook exported and imported back changes nothing;
//! a changed cell is written with a progress line on standard error; a file with a bad
//! cell exits non-zero naming its sheet and cell, with nothing written; an officer's
//! account is refused.

use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Output;

use thidua_store::Backend;
use thidua_store::testing::TestDatabase;

use crate::common::thidua;

thidua_store::on_both_backends!(
    the_demo_cluster_exported_and_imported_back_changes_nothing_and_a_changed_cell_is_written,
    a_bad_cell_exits_non_zero_naming_the_sheet_and_cell_and_writes_nothing,
);

fn ok(output: Output) -> (String, String) {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "thidua failed:\n{stdout}\n{stderr}");
    (stdout, stderr)
}

/// A path in the temporary folder, unique to this database and name.
fn temp(db: &TestDatabase, name: &str) -> PathBuf {
    let database = db.key_file.file_stem().and_then(|s| s.to_str()).unwrap_or("db");
    std::env::temp_dir().join(format!("thidua-cluster-xlsx-{database}-{name}"))
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

async fn demo(backend: Backend) -> Option<TestDatabase> {
    let db = TestDatabase::new(backend).await?;
    ok(thidua(&db, &["demo"]));
    Some(db)
}

fn export(db: &TestDatabase, name: &str) -> PathBuf {
    let file = temp(db, name);
    let (said, _) = ok(thidua(
        db,
        &[
            "export",
            "cluster-xlsx",
            "--cluster",
            "HN-CUM2",
            "--period",
            "2022S1",
            "-o",
            path(&file),
        ],
    ));
    assert!(
        said.starts_with("Đã xuất 96 giá trị của 6 thành viên cụm HN-CUM2 kỳ 2022S1"),
        "{said}"
    );
    file
}

fn import(db: &TestDatabase, file: &Path, by: &str) -> Output {
    thidua(
        db,
        &[
            "import",
            "cluster-xlsx",
            path(file),
            "--cluster",
            "HN-CUM2",
            "--period",
            "2022S1",
            "--by",
            by,
        ],
    )
}

/// The file with cell `cell` of the sheet part `part` holding the text `text`.
fn set_cell(file: &Path, part: &str, cell: &str, text: &str) {
    let bytes = std::fs::read(file).unwrap();
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes.as_slice())).unwrap();
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
    std::fs::write(file, out.finish().unwrap().into_inner()).unwrap();
}

async fn the_demo_cluster_exported_and_imported_back_changes_nothing_and_a_changed_cell_is_written(backend: Backend) {
    let Some(db) = demo(backend).await else { return };
    let file = export(&db, "round-trip.xlsx");
    let (said, stderr) = ok(import(&db, &file, "cumtruong"));
    assert!(
        said.contains("Đã nhập vào số liệu chính thức — 0 giá trị mới, 0 giá trị thay đổi, 96 giá trị giữ nguyên (6 trang thành viên)."),
        "{said}"
    );
    assert!(stderr.contains("Đang đọc tệp Excel (trang): 6/6"), "{stderr}");
    // Hà Đông's TANG_SO_DAM, 1.020 in the demo.
    set_cell(&file, "xl/worksheets/sheet2.xml", "D7", "1.030");
    let (said, stderr) = ok(import(&db, &file, "cumtruong"));
    assert!(
        said.contains("0 giá trị mới, 1 giá trị thay đổi, 95 giá trị giữ nguyên"),
        "{said}"
    );
    assert!(
        stderr.contains("Đang ghi số liệu: 1/1") && stderr.contains("dòng/giây"),
        "{stderr}"
    );
    let again = export(&db, "after.xlsx");
    let (said, _) = ok(thidua(
        &db,
        &["rollup", "--unit", "HN-HADONG", "--period", "2022S1", "--format", "csv"],
    ));
    assert!(said.contains("HN-HADONG,TANG_SO_DAM,2022S1,1030"), "{said}");
    let _ = std::fs::remove_file(&file);
    let _ = std::fs::remove_file(&again);
}

async fn a_bad_cell_exits_non_zero_naming_the_sheet_and_cell_and_writes_nothing(backend: Backend) {
    let Some(db) = demo(backend).await else { return };
    let file = export(&db, "bad.xlsx");
    set_cell(&file, "xl/worksheets/sheet2.xml", "D7", "1.030");
    set_cell(&file, "xl/worksheets/sheet3.xml", "D7", "ba");
    let output = import(&db, &file, "cumtruong");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("Trang «quận Thanh Xuân», ô D7: «ba» không phải là số (Số đám tang (ca tử vong) trên địa bàn)"),
        "{stderr}"
    );
    assert!(stderr.contains("1 ô chưa đúng, không số liệu nào được ghi"), "{stderr}");
    let (said, _) = ok(thidua(
        &db,
        &["rollup", "--unit", "HN-HADONG", "--period", "2022S1", "--format", "csv"],
    ));
    assert!(
        said.contains("HN-HADONG,TANG_SO_DAM,2022S1,1020"),
        "nothing written: {said}"
    );
    // An officer's account does not run the cluster.
    set_cell(&file, "xl/worksheets/sheet3.xml", "D7", "7");
    let output = import(&db, &file, "hadong");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("không nhập được bảng số liệu cả cụm"), "{stderr}");
    let _ = std::fs::remove_file(&file);
}
