//! `thidua export dhis2`, `thidua import dhis2` and `thidua token` as a user runs them, on
//! both backends: a cluster's figures exported, imported into a fresh database and
//! exported again are the same file, JSON and CSV; a dry run writes nothing and says so;
//! a file with one bad row is refused whole with the row named; a token made on the
//! command line is listed, opens `GET /api/v1/dataValueSets` of a running server, and
//! once revoked no longer does; `--expires` reads days and a day written either way,
//! refuses a past day, and a token past its expiry is refused by the server as expired.

use std::path::{Path, PathBuf};
use std::process::Output;

use thidua_store::Backend;
use thidua_store::testing::TestDatabase;

use crate::common::{Server, thidua};

thidua_store::on_both_backends!(
    a_cluster_exported_imported_into_a_fresh_database_and_exported_again_is_the_same_file,
    a_dry_run_says_so_and_writes_nothing,
    a_file_with_an_unknown_indicator_on_one_row_is_refused_whole_with_the_row_named,
    a_token_made_on_the_command_line_opens_the_api_until_it_is_revoked,
    a_token_expires_as_the_command_line_says_and_is_then_refused_as_expired,
);

fn ok(output: Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "thidua failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// A path in the temporary folder of this test process, database and name.
fn temp(db: &TestDatabase, name: &str) -> PathBuf {
    // Named after the database's own key file, which is unique to it: two databases of
    // the same backend have URLs of the same length, which collided.
    let database = db.key_file.file_stem().and_then(|s| s.to_str()).unwrap_or("db");
    std::env::temp_dir().join(format!("thidua-dhis2-cli-{database}-{name}"))
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A database with the demo's catalogs (units, indicators, rules, clusters) and no figures.
async fn catalogs_only(backend: Backend) -> Option<TestDatabase> {
    let db = TestDatabase::new(backend).await?;
    for kind in ["units", "indicators", "rules", "clusters"] {
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../data/demo/{kind}.csv"));
        ok(thidua(&db, &["import", kind, path(&file)]));
    }
    Some(db)
}

/// The cluster's year 2022 as a data value set, written by `thidua export dhis2`.
fn export(db: &TestDatabase, format: &str) -> String {
    let file = temp(db, &format!("export.{format}"));
    let said = ok(thidua(
        db,
        &[
            "export",
            "dhis2",
            "--cluster",
            "HN-CUM2",
            "--period",
            "2022",
            "--format",
            format,
            "-o",
            path(&file),
        ],
    ));
    assert!(said.contains("Đã xuất"), "{said}");
    let text = std::fs::read_to_string(&file).unwrap();
    let _ = std::fs::remove_file(&file);
    text
}

async fn a_cluster_exported_imported_into_a_fresh_database_and_exported_again_is_the_same_file(backend: Backend) {
    let Some(source) = TestDatabase::new(backend).await else {
        return;
    };
    ok(thidua(&source, &["demo"]));
    for format in ["json", "csv"] {
        let file = export(&source, format);
        assert!(file.contains("TANG_SO_DAM") && file.contains("HN-HADONG"), "{file}");
        let stdout = ok(thidua(
            &source,
            &[
                "export",
                "dhis2",
                "--cluster",
                "HN-CUM2",
                "--period",
                "2022",
                "--format",
                format,
            ],
        ));
        assert_eq!(stdout.trim_end(), file.trim_end(), "without -o the same set is printed");

        let Some(target) = catalogs_only(backend).await else {
            return;
        };
        let written = temp(&target, &format!("set.{format}"));
        std::fs::write(&written, &file).unwrap();
        let said = ok(thidua(&target, &["import", "dhis2", path(&written)]));
        assert!(said.contains("Trạng thái: SUCCESS"), "{said}");
        assert!(said.contains("importCount: imported 96, updated 0"), "{said}");
        assert_eq!(export(&target, format), file, "{format}: a round trip loses nothing");

        // The same file again changes nothing.
        let again = ok(thidua(&target, &["import", "dhis2", path(&written)]));
        assert!(again.contains("imported 0, updated 0, ignored 96"), "{again}");
        let _ = std::fs::remove_file(written);
    }
}

async fn a_dry_run_says_so_and_writes_nothing(backend: Backend) {
    let Some(source) = TestDatabase::new(backend).await else {
        return;
    };
    ok(thidua(&source, &["demo"]));
    let file = export(&source, "json");
    let Some(target) = catalogs_only(backend).await else {
        return;
    };
    let empty = export(&target, "json");
    // No extension: the shape is read from the content.
    let written = temp(&target, "set");
    std::fs::write(&written, &file).unwrap();

    let said = ok(thidua(&target, &["import", "dhis2", path(&written), "--dry-run"]));

    assert!(said.contains("SUCCESS — thử nhập (dryRun), không ghi gì"), "{said}");
    assert!(said.contains("imported 96"), "{said}");
    assert_eq!(export(&target, "json"), empty, "a dry run writes nothing");
    let plain = thidua(&target, &["import", "values", path(&written), "--dry-run"]);
    assert!(!plain.status.success(), "--dry-run belongs to the DHIS2 import alone");
    let _ = std::fs::remove_file(written);
}

async fn a_file_with_an_unknown_indicator_on_one_row_is_refused_whole_with_the_row_named(backend: Backend) {
    let Some(source) = TestDatabase::new(backend).await else {
        return;
    };
    ok(thidua(&source, &["demo"]));
    let file = export(&source, "csv");
    let mut lines: Vec<String> = file.lines().map(str::to_owned).collect();
    let (_, rest) = lines[3].split_once(',').unwrap();
    lines[3] = format!("KHONG_CO_CHI_TIEU,{rest}");
    let bad = lines.join("\n") + "\n";
    let Some(target) = catalogs_only(backend).await else {
        return;
    };
    let empty = export(&target, "csv");
    let written = temp(&target, "bad.csv");
    std::fs::write(&written, bad).unwrap();

    let output = thidua(&target, &["import", "dhis2", path(&written)]);

    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stdout}");
    assert!(stdout.contains("Trạng thái: ERROR"), "{stdout}");
    assert!(stdout.contains("Xung đột (conflicts): 1"), "{stdout}");
    assert!(stdout.contains("dòng 4, cột dataelement"), "{stdout}");
    assert!(stdout.contains("object: KHONG_CO_CHI_TIEU, E7610"), "{stdout}");
    assert!(stderr.contains("không giá trị nào được ghi"), "{stderr}");
    assert_eq!(export(&target, "csv"), empty, "nothing of the refused file is written");
    let _ = std::fs::remove_file(written);
}

/// `GET /api/v1/dataValueSets` of Hà Đông's first half of 2022 with `token`: the
/// status and the body.
async fn data_value_sets(server: &Server, token: &str) -> (u16, String) {
    let response = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/dataValueSets?period=2022S1&orgUnit=HN-HADONG",
            server.base
        ))
        .header("Authorization", format!("ApiToken {token}"))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn a_token_made_on_the_command_line_opens_the_api_until_it_is_revoked(backend: Backend) {
    let Some(db) = TestDatabase::new(backend).await else {
        return;
    };
    ok(thidua(&db, &["demo"]));
    let output = thidua(&db, &["token", "create", "--user", "hadong", "--name", "Đồng bộ DHIS2"]);
    let secret = ok(output.clone()).trim().to_owned();
    assert!(
        secret.starts_with("thidua_") && secret.len() == "thidua_".len() + 64,
        "only the token on standard output: {secret:?}"
    );
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("chỉ hiện một lần"),
        "the owner is told it is shown once"
    );
    let listed = ok(thidua(&db, &["token", "list", "--user", "hadong"]));
    assert!(
        listed.contains("Đồng bộ DHIS2") && listed.contains("đang dùng"),
        "{listed}"
    );
    assert!(listed.contains(&secret[..13]), "the hint: {listed}");
    assert!(!listed.contains(&secret), "never the token itself: {listed}");
    let everyone = ok(thidua(&db, &["token", "list"]));
    assert!(everyone.contains("hadong"), "{everyone}");

    let server = Server::start(&db);
    let (status, body) = data_value_sets(&server, &secret).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("TANG_SO_DAM") && body.contains("HN-HADONG"), "{body}");

    let refused = thidua(&db, &["token", "revoke", "Đồng bộ DHIS2", "--user", "cumtruong"]);
    assert!(!refused.status.success(), "another account's token is not found");
    let said = ok(thidua(&db, &["token", "revoke", "Đồng bộ DHIS2", "--user", "hadong"]));
    assert!(said.contains("Đã thu hồi"), "{said}");
    let listed = ok(thidua(&db, &["token", "list", "--user", "hadong"]));
    assert!(listed.contains("đã thu hồi"), "{listed}");
    let (status, _) = data_value_sets(&server, &secret).await;
    assert_eq!(status, 401, "a revoked token is refused");
}

/// "2/3/2027": a day as the list writes it.
fn shown(day: chrono::NaiveDate) -> String {
    day.format("%-d/%-m/%Y").to_string()
}

async fn a_token_expires_as_the_command_line_says_and_is_then_refused_as_expired(backend: Backend) {
    let Some(db) = TestDatabase::new(backend).await else {
        return;
    };
    ok(thidua(&db, &["demo"]));
    let help = ok(thidua(&db, &["token", "create", "--help"]));
    assert!(
        help.contains("--expires") && help.contains("Mặc định 90 ngày"),
        "{help}"
    );

    let today = chrono::Local::now().date_naive();
    let in_20 = today + chrono::Duration::days(20);
    let in_40 = today + chrono::Duration::days(40);
    let create = |name: &str, expires: Option<&str>| {
        let mut args = vec!["token", "create", "--user", "hadong", "--name", name];
        if let Some(e) = expires {
            args.extend(["--expires", e]);
        }
        thidua(&db, &args)
    };
    let said = create("Kiểu Việt", Some(shown(in_20).as_str()));
    assert!(
        String::from_utf8_lossy(&said.stderr).contains(&format!("dùng được đến hết ngày {}", shown(in_20))),
        "{said:?}"
    );
    let secret = ok(said).trim().to_owned();
    ok(create("Kiểu ISO", Some(in_40.format("%Y-%m-%d").to_string().as_str())));
    ok(create("Ba mươi ngày", Some("30")));
    ok(create("Mặc định", None));
    ok(create("Không hạn", Some("không")));
    let listed = ok(thidua(&db, &["token", "list", "--user", "hadong"]));
    let line = |name: &str| {
        listed
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("{name} in {listed}"))
            .to_owned()
    };
    let in_days = |days: i64| shown((chrono::Local::now() + chrono::Duration::days(days)).date_naive());
    assert!(
        line("Kiểu Việt").contains(&format!("đang dùng, hết hạn ngày {}", shown(in_20))),
        "{listed}"
    );
    assert!(
        line("Kiểu ISO").contains(&format!("hết hạn ngày {}", shown(in_40))),
        "{listed}"
    );
    assert!(
        line("Ba mươi ngày").contains(&format!("hết hạn ngày {}", in_days(30))),
        "{listed}"
    );
    assert!(
        line("Mặc định").contains(&format!("hết hạn ngày {}", in_days(90))),
        "{listed}"
    );
    assert!(line("Không hạn").contains("không hết hạn"), "{listed}");

    for (expires, why) in [
        ("1/1/2020", "ngày 1/1/2020 đã qua".to_owned()),
        ("2020-01-01", "ngày 1/1/2020 đã qua".to_owned()),
        (
            &*shown(today - chrono::Duration::days(1)),
            format!("ngày {} đã qua", shown(today - chrono::Duration::days(1))),
        ),
        ("31/2/2027", "cần số ngày".to_owned()),
        ("0", "ít nhất 1 ngày".to_owned()),
    ] {
        let refused = create("Bị từ chối", Some(expires));
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(!refused.status.success(), "{expires}");
        assert!(
            stderr.contains(&format!("Hạn dùng «{expires}» của mã truy cập không dùng được")) && stderr.contains(&why),
            "{expires}: {stderr}"
        );
    }
    let listed = ok(thidua(&db, &["token", "list", "--user", "hadong"]));
    assert!(!listed.contains("Bị từ chối"), "nothing made: {listed}");

    let server = Server::start(&db);
    let (status, body) = data_value_sets(&server, &secret).await;
    assert_eq!(status, 200, "{body}");
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&db.url_text.replace("sqlite://", "sqlite:"))
        .await
        .unwrap();
    let past = chrono::Utc::now() - chrono::Duration::days(2);
    sqlx::query("UPDATE api_token SET expires_at = $1 WHERE name = $2")
        .bind(past.to_rfc3339())
        .bind("Kiểu Việt")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let (status, body) = data_value_sets(&server, &secret).await;
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("đã hết hạn"), "{body}");
    let listed = ok(thidua(&db, &["token", "list", "--user", "hadong"]));
    let expired_on = shown(
        (past - chrono::Duration::seconds(1))
            .with_timezone(&chrono::Local)
            .date_naive(),
    );
    assert!(
        listed
            .lines()
            .any(|l| l.contains("Kiểu Việt") && l.contains(&format!("đã hết hạn ngày {expired_on}"))),
        "{listed}"
    );
}
