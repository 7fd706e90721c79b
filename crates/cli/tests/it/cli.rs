//! The `thidua` command as a newcomer runs it: import the catalog CSVs, roll a cluster
//! up, see bad files refused whole — on SQLite and PostgreSQL, each test with a database
//! of its own.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::thidua;

use thidua_store::testing::TestDatabase;
use thidua_store::{Actor, Backend};

thidua_store::on_both_backends!(
    importing_the_demo_csvs_and_rolling_up_gives_the_review_s_totals,
    the_rollup_table_is_in_vietnamese_number_style,
    a_bad_values_file_is_refused_whole_with_every_bad_line_named,
    another_cluster_from_csvs_of_the_same_shape_rolls_up_correctly,
    the_demo_command_loads_the_cluster_and_can_run_twice,
    an_admin_creates_a_chair_and_two_officers_from_the_command_line,
    a_reporting_window_is_set_and_shown_in_vietnamese_dates,
    the_review_report_of_the_demo_states_the_article_s_figures,
    the_review_compares_with_the_previous_half_year_when_the_cluster_reported_then,
    the_year_s_criteria_are_shown_copied_to_the_next_year_and_a_bad_file_is_refused,
    an_accepted_figure_is_overwritten_only_by_an_upper_level_account_with_the_flag,
    verify_audit_says_intact_and_exits_non_zero_on_an_edited_trail,
);

/// Runs thidua with `input` on standard input.
fn thidua_with_input(db: &TestDatabase, args: &[&str], input: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_thidua"))
        .arg("--db")
        .arg(&db.url_text)
        .arg("--key-file")
        .arg(&db.key_file)
        .args(args)
        .env_remove("THIDUA_DB")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("running thidua");
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(input.as_bytes());
    }
    child.wait_with_output().unwrap()
}

fn demo_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/demo").join(name)
}

fn ok(output: Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "thidua failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn import_demo_catalog(db: &TestDatabase) {
    for (kind, file) in [
        ("units", "units.csv"),
        ("indicators", "indicators.csv"),
        ("rules", "rules.csv"),
        ("clusters", "clusters.csv"),
    ] {
        let path = demo_file(file);
        ok(thidua(db, &["import", kind, path.to_str().unwrap_or_default()]));
    }
}

fn write_temp(name: &str, text: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("thidua-cli-{}-{name}", std::process::id()));
    std::fs::write(&path, text).unwrap();
    path
}

async fn importing_the_demo_csvs_and_rolling_up_gives_the_review_s_totals(backend: Backend) {
    let Some(db) = TestDatabase::new(backend).await else {
        return;
    };
    import_demo_catalog(&db);
    let values = demo_file("values.csv");
    let said = ok(thidua(&db, &["import", "values", values.to_str().unwrap_or_default()]));
    assert!(said.contains("Đã nhập 96 dòng"), "{said}");

    let csv = ok(thidua(
        &db,
        &[
            "rollup",
            "--cluster",
            "HN-CUM2",
            "--period",
            "2022S1",
            "--format",
            "csv",
        ],
    ));

    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "unit,indicator,period,value");
    // 6 members × 17 indicators (16 reported, 1 computed) plus 17 cluster rows.
    assert_eq!(lines.len(), 1 + 6 * 17 + 17);
    for expected in [
        "HN-CUM2,TY_LE_HOA_TANG,2022S1,85.01",
        "HN-CUM2,QUY_BIEN_DAO,2022S1,10266500000",
        "HN-CUM2,QUY_VI_NGUOI_NGHEO,2022S1,1221500000",
        "HN-CUM2,HV_TUYEN_TRUYEN,2022S1,1084",
        "HN-CUM2,HV_HOI_CHO,2022S1,12",
        "HN-CUM2,HV_CHUYEN_HANG,2022S1,20",
        "HN-CUM2,PB_PHAN_BIEN,2022S1,39",
        "HN-CUM2,DT_DOI_THOAI,2022S1,63",
        "HN-CUM2,TTND_GIAM_SAT,2022S1,354",
        "HN-CUM2,TTND_PHAT_HIEN,2022S1,59",
        "HN-CUM2,TTND_KIEN_NGHI,2022S1,59",
        "HN-CUM2,TTND_DA_GIAI_QUYET,2022S1,56",
        "HN-CUM2,GSDTCD_CONG_TRINH,2022S1,189",
        "HN-CUM2,GSDTCD_VI_PHAM,2022S1,5",
        "HN-CUM2,GSDTCD_KHAC_PHUC,2022S1,5",
        "HN-CAUGIAY,TY_LE_HOA_TANG,2022S1,98.69",
        "HN-TAYHO,TY_LE_HOA_TANG,2022S1,98.68",
        "HN-HADONG,TY_LE_HOA_TANG,2022S1,98.14",
    ] {
        assert!(lines.contains(&expected), "{expected} missing from:\n{csv}");
    }
}

async fn the_rollup_table_is_in_vietnamese_number_style(backend: Backend) {
    let Some(db) = TestDatabase::new(backend).await else {
        return;
    };
    ok(thidua(&db, &["demo"]));

    let table = ok(thidua(&db, &["rollup", "--cluster", "HN-CUM2", "--period", "2022S1"]));

    assert!(
        table.starts_with("Cụm thi đua số 2 (HN-CUM2) — 6 tháng đầu năm 2022"),
        "{table}"
    );
    let line = |start: &str| {
        table
            .lines()
            .find(|l| l.trim_start().starts_with(start))
            .unwrap_or_default()
            .to_owned()
    };
    assert!(line("Tỷ lệ hỏa táng").trim_end().ends_with("85,01"), "{table}");
    assert!(
        line("Ủng hộ Quỹ \"Vì biển").trim_end().ends_with("10.266.500.000"),
        "{table}"
    );
    assert!(line("Số cuộc tuyên truyền").trim_end().ends_with("1.084"), "{table}");
    // Columns line up: every row of a group is as wide as its header.
    let group: Vec<&str> = table
        .lines()
        .skip_while(|l| !l.starts_with("Vận động ủng hộ"))
        .skip(1)
        .take(4)
        .collect();
    let widths: Vec<usize> = group.iter().map(|l| l.chars().count()).collect();
    assert!(widths.windows(2).all(|w| w[0] == w[1]), "{group:#?}");
}

async fn a_bad_values_file_is_refused_whole_with_every_bad_line_named(backend: Backend) {
    let Some(db) = TestDatabase::new(backend).await else {
        return;
    };
    ok(thidua(&db, &["demo"]));
    let bad = write_temp(
        &format!("bad-{backend:?}.csv"),
        "unit,indicator,period,value\n\
         HN-TAYHO,HV_HOI_CHO,2022S2,4\n\
         HN-TAYHO,HV_HOI_CHO,2022S2,5\n\
         HN-TAYHO,TTND_PHAT_HIEN,2022S2,\"1.451.619.000\"\n\
         HN-TAYHO,QUY_BIEN_DAO,2022S2,mười triệu\n\
         HN-TAYHO,,2022S2,3\n",
    );

    let output = thidua(&db, &["import", "values", bad.to_str().unwrap_or_default()]);

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("không dòng nào được ghi"), "{stderr}");
    assert!(
        stderr.contains("dòng 3: HN-TAYHO/HV_HOI_CHO/2022S2 trùng với dòng 2"),
        "{stderr}"
    );
    assert!(
        stderr.contains("dòng 5, cột value: «mười triệu» không phải là số"),
        "{stderr}"
    );
    assert!(
        stderr.contains("dòng 6, cột indicator: không được để trống"),
        "{stderr}"
    );
    let csv = ok(thidua(
        &db,
        &["rollup", "--unit", "HN-TAYHO", "--period", "2022S2", "--format", "csv"],
    ));
    assert_eq!(
        csv.trim(),
        "unit,indicator,period,value",
        "nothing of the refused file may be written"
    );
    let _ = std::fs::remove_file(bad);
}

async fn another_cluster_from_csvs_of_the_same_shape_rolls_up_correctly(backend: Backend) {
    let Some(db) = TestDatabase::new(backend).await else {
        return;
    };
    let files = [
        (
            "units",
            "code,name,kind,parent\n\
             DN,Ủy ban MTTQ Việt Nam thành phố Đà Nẵng,city,\n\
             DN-HAICHAU,Ủy ban MTTQ Việt Nam quận Hải Châu,district,DN\n\
             DN-SONTRA,Ủy ban MTTQ Việt Nam quận Sơn Trà,district,DN\n\
             DN-LIENCHIEU,Ủy ban MTTQ Việt Nam quận Liên Chiểu,district,DN\n",
        ),
        ("indicators", include_str!("../../../../data/demo/indicators.csv")),
        ("rules", include_str!("../../../../data/demo/rules.csv")),
        (
            "clusters",
            "code,name,year,members,host,chair,deputy\n\
             DN-CUM1,Cụm thi đua số 1 Đà Nẵng,2023,DN-HAICHAU;DN-SONTRA;DN-LIENCHIEU,DN-SONTRA,DN-SONTRA,DN-HAICHAU\n",
        ),
        (
            "values",
            "unit,indicator,period,value,comment\n\
             DN-HAICHAU,TANG_SO_DAM,2023S1,300,\n\
             DN-HAICHAU,TANG_HOA_TANG,2023S1,150,\n\
             DN-SONTRA,TANG_SO_DAM,2023S1,200,\n\
             DN-SONTRA,TANG_HOA_TANG,2023S1,50,\n\
             DN-LIENCHIEU,TANG_SO_DAM,2023S1,0,không có số liệu tử vong\n\
             DN-LIENCHIEU,TANG_HOA_TANG,2023S1,0,\n\
             DN-HAICHAU,QUY_VI_NGUOI_NGHEO,2023S1,\"1,2 tỷ\",\n\
             DN-SONTRA,QUY_VI_NGUOI_NGHEO,2023S1,\"350.500.000\",\n",
        ),
    ];
    for (kind, text) in files {
        let path = write_temp(&format!("{kind}-{backend:?}.csv"), text);
        ok(thidua(&db, &["import", kind, path.to_str().unwrap_or_default()]));
        let _ = std::fs::remove_file(path);
    }

    let csv = ok(thidua(
        &db,
        &[
            "rollup",
            "--cluster",
            "DN-CUM1",
            "--period",
            "2023S1",
            "--format",
            "csv",
        ],
    ));

    for expected in [
        "DN-CUM1,TANG_SO_DAM,2023S1,500",
        "DN-CUM1,TANG_HOA_TANG,2023S1,200",
        "DN-CUM1,TY_LE_HOA_TANG,2023S1,40.00",
        "DN-HAICHAU,TY_LE_HOA_TANG,2023S1,50.00",
        "DN-SONTRA,TY_LE_HOA_TANG,2023S1,25.00",
        "DN-CUM1,QUY_VI_NGUOI_NGHEO,2023S1,1550500000",
    ] {
        assert!(csv.lines().any(|l| l == expected), "{expected} missing from:\n{csv}");
    }
    // Liên Chiểu had no deaths: its rate has no value rather than a division by zero.
    assert!(!csv.contains("DN-LIENCHIEU,TY_LE_HOA_TANG"), "{csv}");
}

async fn the_demo_command_loads_the_cluster_and_can_run_twice(backend: Backend) {
    let Some(db) = TestDatabase::new(backend).await else {
        return;
    };

    ok(thidua(&db, &["demo"]));
    ok(thidua(&db, &["demo"]));

    let csv = ok(thidua(
        &db,
        &[
            "rollup",
            "--cluster",
            "HN-CUM2",
            "--period",
            "2022S1",
            "--format",
            "csv",
        ],
    ));
    assert!(csv.lines().any(|l| l == "HN-CUM2,HV_TUYEN_TRUYEN,2022S1,1084"), "{csv}");
}

async fn an_admin_creates_a_chair_and_two_officers_from_the_command_line(backend: Backend) {
    let Some(db) = TestDatabase::new(backend).await else {
        return;
    };
    ok(thidua(&db, &["demo"]));

    let said = ok(thidua_with_input(
        &db,
        &[
            "user",
            "add",
            "chutich.hd",
            "--name",
            "Nguyễn Thị Hà",
            "--role",
            "chair",
            "--unit",
            "HN-HADONG",
        ],
        "mật-khẩu-cụm-trưởng\n",
    ));
    assert!(said.contains("Đã tạo tài khoản chutich.hd (Cụm trưởng)"), "{said}");
    ok(thidua_with_input(
        &db,
        &[
            "user",
            "add",
            "canbo.tx",
            "--name",
            "Lê Văn Xuân",
            "--role",
            "officer",
            "--unit",
            "HN-THANHXUAN",
            "--email",
            "xuan@thanhxuan.hanoi.vn",
        ],
        "mật-khẩu-dài-1\n",
    ));
    let mistyped = thidua(&db, &["user", "email", "canbo.tx", "xuan@thanhxuan"]);
    assert!(!mistyped.status.success());
    assert!(
        String::from_utf8_lossy(&mistyped.stderr).contains("«xuan@thanhxuan»: Địa chỉ thư điện tử chưa đúng"),
        "the address and why, in Vietnamese: {}",
        String::from_utf8_lossy(&mistyped.stderr)
    );
    ok(thidua_with_input(
        &db,
        &[
            "user",
            "add",
            "canbo.cg",
            "--name",
            "Phạm Thu Giang",
            "--role",
            "officer",
            "--unit",
            "HN-CAUGIAY",
        ],
        "mật-khẩu-dài-2\n",
    ));

    let short = thidua_with_input(
        &db,
        &[
            "user", "add", "ngan", "--name", "X", "--role", "officer", "--unit", "HN-TAYHO",
        ],
        "123\n",
    );
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("ít nhất 12 ký tự"));
    let no_unit = thidua_with_input(
        &db,
        &["user", "add", "khongdonvi", "--name", "X", "--role", "officer"],
        "mật-khẩu-dài\n",
    );
    assert!(
        String::from_utf8_lossy(&no_unit.stderr).contains("đơn vị"),
        "an officer needs a unit"
    );

    ok(thidua(&db, &["user", "disable", "canbo.cg"]));
    let list = ok(thidua(&db, &["user", "list"]));
    assert!(list.contains("chutich.hd") && list.contains("canbo.tx"), "{list}");
    assert!(
        list.lines()
            .any(|l| l.starts_with("canbo.cg") && l.contains("(đã khóa)")),
        "{list}"
    );

    let store = db.store().await;
    let xuan = store.user("canbo.tx").await.unwrap();
    assert_eq!(
        store.email(xuan.id).await.unwrap().as_deref(),
        Some("xuan@thanhxuan.hanoi.vn"),
        "the address given with the account, the mistyped one not taken"
    );
    let said = ok(thidua(&db, &["user", "email", "chutich.hd", "ha@hadong.hanoi.vn"]));
    assert!(
        said.contains("Đã đặt địa chỉ thư điện tử ha@hadong.hanoi.vn cho chutich.hd"),
        "{said}"
    );
    ok(thidua(&db, &["user", "email", "canbo.tx"]));
    assert_eq!(store.email(xuan.id).await.unwrap(), None, "no address: removed");
    assert!(store.authenticate("chutich.hd", "mật-khẩu-cụm-trưởng").await.is_ok());
    assert!(
        store.authenticate("canbo.cg", "mật-khẩu-dài-2").await.is_err(),
        "disabled"
    );
    store.close().await;
    ok(thidua_with_input(
        &db,
        &["user", "passwd", "canbo.tx"],
        "mật-khẩu-mới-99\n",
    ));
    let store = db.store().await;
    assert!(store.authenticate("canbo.tx", "mật-khẩu-mới-99").await.is_ok());
    store.close().await;
}

async fn a_reporting_window_is_set_and_shown_in_vietnamese_dates(backend: Backend) {
    let Some(db) = TestDatabase::new(backend).await else {
        return;
    };

    let said = ok(thidua(
        &db,
        &[
            "window",
            "set",
            "--period",
            "2026S2",
            "--opens",
            "1/7/2026",
            "--deadline",
            "2027-01-15",
        ],
    ));

    assert_eq!(
        said.trim(),
        "6 tháng cuối năm 2026: mở nhập liệu 1/7/2026, hạn nộp 15/1/2027, khóa sau hạn 10 ngày."
    );
    let shown = ok(thidua(&db, &["window", "show", "--period", "2026S2"]));
    assert_eq!(shown, said);
    let bad = thidua(
        &db,
        &[
            "window",
            "set",
            "--period",
            "2026S2",
            "--opens",
            "1/7/2026",
            "--deadline",
            "30/6/2026",
        ],
    );
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("hạn nộp"),
        "a deadline before the opening is refused"
    );
}

async fn the_review_report_of_the_demo_states_the_article_s_figures(backend: Backend) {
    let Some(db) = TestDatabase::new(backend).await else {
        return;
    };
    ok(thidua(&db, &["demo"]));
    let out = write_temp(&format!("report-{backend:?}.txt"), "");

    let said = ok(thidua(
        &db,
        &[
            "report",
            "--cluster",
            "HN-CUM2",
            "--period",
            "2022S1",
            "--format",
            "txt",
            "-o",
            out.to_str().unwrap_or_default(),
        ],
    ));

    assert!(said.contains("Đã ghi báo cáo"), "{said}");
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    for phrase in [
        "Sáng 25/7, tại quận Hà Đông",
        "tỷ lệ hỏa táng đạt 85,01%",
        "quận Cầu Giấy, quận Hà Đông, quận Tây Hồ có tỷ lệ hỏa táng cao nhất, đạt 98% trở lên",
        "trên 10 tỷ đồng",
        "trên 1,2 tỷ đồng",
        "1.084 cuộc",
        "354 cuộc",
        "56 vụ",
        "189 công trình",
        "4. Triển khai tổ chức các hoạt động Ngày hội đại đoàn kết toàn dân tộc;",
    ] {
        assert!(text.contains(phrase), "missing «{phrase}» in:\n{text}");
    }
    let docx = write_temp(&format!("report-{backend:?}.docx"), "");
    ok(thidua(
        &db,
        &[
            "report",
            "--cluster",
            "HN-CUM2",
            "--period",
            "2022S1",
            "--format",
            "docx",
            "-o",
            docx.to_str().unwrap_or_default(),
        ],
    ));
    let bytes = std::fs::read(&docx).unwrap_or_default();
    assert!(bytes.starts_with(b"PK"), "a DOCX is a zip package");
    let _ = std::fs::remove_file(&docx);
    let pdf = write_temp(&format!("report-{backend:?}.pdf"), "");
    ok(thidua(
        &db,
        &[
            "report",
            "--cluster",
            "HN-CUM2",
            "--period",
            "2022S1",
            "--format",
            "pdf",
            "-o",
            pdf.to_str().unwrap_or_default(),
        ],
    ));
    let bytes = std::fs::read(&pdf).unwrap_or_default();
    assert!(bytes.starts_with(b"%PDF-"), "a PDF");
    let _ = std::fs::remove_file(&pdf);
    let bad_template = write_temp(&format!("bad-{backend:?}.j2"), "Dòng 1\n{{ groups | khong_co }}\n");
    let failed = thidua(
        &db,
        &[
            "report",
            "--cluster",
            "HN-CUM2",
            "--period",
            "2022S1",
            "--template",
            bad_template.to_str().unwrap_or_default(),
        ],
    );
    assert!(!failed.status.success());
    assert!(
        String::from_utf8_lossy(&failed.stderr).contains("mẫu báo cáo, dòng 2: bộ lọc không có"),
        "{}",
        String::from_utf8_lossy(&failed.stderr)
    );
    let _ = std::fs::remove_file(out);
    let _ = std::fs::remove_file(bad_template);
}

async fn the_review_compares_with_the_previous_half_year_when_the_cluster_reported_then(backend: Backend) {
    let Some(db) = TestDatabase::new(backend).await else {
        return;
    };
    ok(thidua(&db, &["demo"]));
    // The same cluster in 2021, and its members' propaganda sessions in the second half.
    let clusters = write_temp(
        &format!("clusters-2021-{backend:?}.csv"),
        "code,name,year,members,host,chair,deputy\n\
         HN-CUM2,Cụm thi đua số 2,2021,HN-HADONG;HN-THANHXUAN;HN-CAUGIAY;HN-TAYHO;HN-BACTULIEM;HN-NAMTULIEM,HN-TAYHO,HN-TAYHO,\n",
    );
    let values = write_temp(
        &format!("values-2021-{backend:?}.csv"),
        "unit,indicator,period,value\n\
         HN-HADONG,HV_TUYEN_TRUYEN,2021S2,200\n\
         HN-THANHXUAN,HV_TUYEN_TRUYEN,2021S2,150\n\
         HN-CAUGIAY,HV_TUYEN_TRUYEN,2021S2,190\n\
         HN-TAYHO,HV_TUYEN_TRUYEN,2021S2,100\n\
         HN-BACTULIEM,HV_TUYEN_TRUYEN,2021S2,200\n\
         HN-NAMTULIEM,HV_TUYEN_TRUYEN,2021S2,160\n",
    );
    ok(thidua(
        &db,
        &["import", "clusters", clusters.to_str().unwrap_or_default()],
    ));
    ok(thidua(&db, &["import", "values", values.to_str().unwrap_or_default()]));

    let text = ok(thidua(
        &db,
        &[
            "report",
            "--cluster",
            "HN-CUM2",
            "--period",
            "2022S1",
            "--format",
            "txt",
        ],
    ));
    // 1.084 now against 1.000 then.
    assert!(
        text.contains("1.084 cuộc") && text.contains("tăng 84 cuộc so với 6 tháng cuối năm 2021"),
        "{text}"
    );
    let _ = std::fs::remove_file(clusters);
    let _ = std::fs::remove_file(values);
}

async fn the_year_s_criteria_are_shown_copied_to_the_next_year_and_a_bad_file_is_refused(backend: Backend) {
    let Some(db) = TestDatabase::new(backend).await else {
        return;
    };
    ok(thidua(&db, &["demo"]));
    let shown = ok(thidua(
        &db,
        &["criteria", "show", "--cluster", "HN-CUM2", "--year", "2022"],
    ));
    assert!(
        shown.contains("cụm cấp quận, huyện, thị xã, năm 2022, phiên bản 1 (thang điểm 100"),
        "{shown}"
    );
    assert!(shown.contains("II.2 Vận động Nhân dân thực hiện hỏa táng"), "{shown}");
    assert!(
        shown.contains("[tự tính từ số liệu]") && shown.contains("[chấm tay]"),
        "{shown}"
    );

    let copied = ok(thidua(
        &db,
        &[
            "criteria", "copy", "--level", "district", "--from", "2022", "--to", "2023",
        ],
    ));
    assert!(copied.contains("sang năm 2023"), "{copied}");
    let again = thidua(
        &db,
        &[
            "criteria", "copy", "--level", "district", "--from", "2022", "--to", "2023",
        ],
    );
    assert!(
        !again.status.success(),
        "a year's criteria are not overwritten by a copy"
    );
    assert!(String::from_utf8_lossy(&again.stderr).contains("năm 2023 đã có bảng tiêu chí"));

    let bad = write_temp(&format!("criteria-bad-{backend:?}.toml"), "scale = [\n");
    let refused = thidua(&db, &["import", "criteria", bad.to_str().unwrap_or_default()]);
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr).into_owned();
    assert!(
        said.contains("tệp bảng tiêu chí chưa đúng ở dòng 1") && said.contains("Chưa có gì được lưu"),
        "{said}"
    );
    let _ = std::fs::remove_file(bad);

    let ranking = ok(thidua(&db, &["ranking", "--cluster", "HN-CUM2", "--year", "2022"]));
    assert!(
        ranking.contains("Chưa có điểm: quận Hà Đông"),
        "nobody has scored yet: {ranking}"
    );
    let nobody = ok(thidua(&db, &["awards", "history", "--person", "tran thi binh"]));
    assert!(nobody.contains("Không có khen thưởng nào."), "{nobody}");
}

/// Accepts Hà Đông's 2022S1 form of the demo (the command line has no form commands, so
/// through the store, as the web pages do): its 1.020 funerals are now settled.
async fn accept_hadong_form(db: &TestDatabase) {
    use thidua_core::workflow::{Action, Situation};
    let store = db.store().await;
    let user = |name: &'static str| {
        let store = store.clone();
        async move { store.user(name).await.unwrap().principal() }
    };
    let (officer, chair) = (user("hadong").await, user("cumtruong").await);
    let unit = thidua_core::UnitCode::parse("HN-HADONG").unwrap();
    let period = thidua_core::Period::HalfYear(2022, 1);
    let situation = |enter: bool| Situation {
        can_enter: enter,
        can_review: !enter,
        can_reopen: false,
        window_open: true,
        reopened: false,
    };
    let indicator = thidua_core::IndicatorCode::parse("TANG_SO_DAM").unwrap();
    let input = thidua_store::FormInput {
        version: 0,
        values: [(indicator, Some(thidua_core::Value::Whole(1020)))]
            .into_iter()
            .collect(),
        narrative: thidua_store::Narrative::default(),
    };
    store
        .save_submission(
            &Actor::from(&officer),
            &unit,
            period,
            Action::Submit,
            situation(true),
            input,
        )
        .await
        .unwrap();
    let decision = thidua_store::Decision {
        action: Action::Accept,
        situation: situation(false),
        version: 1,
        reason: None,
    };
    store
        .decide_submission(&Actor::from(&chair), &unit, period, decision)
        .await
        .unwrap();
    store.close().await;
}

async fn an_accepted_figure_is_overwritten_only_by_an_upper_level_account_with_the_flag(backend: Backend) {
    let Some(db) = TestDatabase::new(backend).await else {
        return;
    };
    ok(thidua(&db, &["demo"]));
    accept_hadong_form(&db).await;
    let file = write_temp(
        &format!("over-accepted-{}.csv", db.key_file.display().to_string().len()),
        "unit,indicator,period,value\nHN-HADONG,TANG_SO_DAM,2022S1,\"999.999\"\n",
    );
    let file = file.to_str().unwrap_or_default();

    let plain = thidua(&db, &["import", "values", file]);
    let by_officer = thidua(
        &db,
        &["import", "values", file, "--overwrite-accepted", "--by", "hadong"],
    );
    let without_account = thidua(&db, &["import", "values", file, "--overwrite-accepted"]);
    let said = ok(thidua(
        &db,
        &["import", "values", file, "--overwrite-accepted", "--by", "thanhpho"],
    ));
    let csv = ok(thidua(
        &db,
        &["rollup", "--unit", "HN-HADONG", "--period", "2022S1", "--format", "csv"],
    ));
    let verdict = ok(thidua(&db, &["verify", "audit"]));

    let stderr = String::from_utf8_lossy(&plain.stderr);
    assert!(!plain.status.success());
    assert!(
        stderr.contains(
            "dòng 2: số liệu của HN-HADONG kỳ 2022S1 đã được duyệt; chỉ cấp trên ghi đè được, với --overwrite-accepted"
        ),
        "{stderr}"
    );
    assert!(!by_officer.status.success(), "an officer may not overwrite");
    assert!(!without_account.status.success(), "the flag needs --by");
    assert!(said.contains("Đã nhập 1 dòng"), "{said}");
    assert!(csv.lines().any(|l| l == "HN-HADONG,TANG_SO_DAM,2022S1,999999"), "{csv}");
    assert!(verdict.starts_with("Nhật ký thay đổi: nguyên vẹn, "), "{verdict}");
    let _ = std::fs::remove_file(file);
}

async fn verify_audit_says_intact_and_exits_non_zero_on_an_edited_trail(backend: Backend) {
    let Some(db) = TestDatabase::new(backend).await else {
        return;
    };
    ok(thidua(&db, &["demo"]));
    let intact = ok(thidua(&db, &["verify", "audit"]));

    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&db.url_text.replace("sqlite://", "sqlite:"))
        .await
        .unwrap();
    let unlock = match backend {
        Backend::Sqlite => "DROP TRIGGER audit_event_no_update",
        Backend::Postgres => "ALTER TABLE audit_event DISABLE TRIGGER USER",
    };
    sqlx::raw_sql(unlock).execute(&pool).await.unwrap();
    sqlx::raw_sql("UPDATE audit_event SET new_value = '999999' WHERE seq = 1")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let tampered = thidua(&db, &["verify", "audit"]);

    let events: u64 = intact
        .lines()
        .next()
        .unwrap_or_default()
        .strip_prefix("Nhật ký thay đổi: nguyên vẹn, ")
        .and_then(|rest| rest.strip_suffix(" sự kiện"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{intact}"));
    assert!(events > 0, "{intact}");
    assert!(intact.contains("Chuỗi bắt đầu lúc "), "{intact}");
    let stdout = String::from_utf8_lossy(&tampered.stdout);
    assert!(!tampered.status.success(), "{stdout}");
    assert!(
        stdout.contains("BỊ CAN THIỆP") && stdout.contains("sự kiện số 1 (") && stdout.contains("đã bị sửa"),
        "{stdout}"
    );
}
