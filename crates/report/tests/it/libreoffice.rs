//! LibreOffice Writer lays out every DOCX thidua writes — the demo's review of Cụm 2 for
//! 2022S1, the pledge, the record of the count, and a members' table too wide for a
//! portrait page — and `pdftotext -layout` of its PDF finds each figure whole: every
//! figure of the demo's totals, each row's figures side by side on one line, and no word
//! or number cut in two. LibreOffice and poppler are installed by `.ci/run`; a developer
//! without them gets a skip, CI never does. All files go through one `soffice` call (it
//! takes seconds to start), with a profile of its own and a time limit.
//!
//! Set `THIDUA_KEEP_RENDERS=/some/dir` to keep the DOCX and PDF files there and look at
//! them (`pdftoppm -png -r 60`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use thidua_core::conference::Conference;
use thidua_core::emulation::ballot::{BallotSpec, Paper, Question, QuestionKind, Threshold, tally};
use thidua_core::emulation::pledge::{MemberPledge, Pledge};
use thidua_core::import::{read_clusters, read_indicators, read_units, read_values};
use thidua_core::rollup::{ClusterRollup, rollup_cluster};
use thidua_core::{Catalog, DataValue, IndicatorCode, Period, UnitCode, UnitTree, Value};
use thidua_report::document::{FigureTable, OfficialDocument};
use thidua_report::docx::{lay_out, write_docx};
use thidua_report::emulation_documents::{Heading, pledge_document, tally_record_document};
use thidua_report::review::{DEFAULT_TEMPLATE, ReviewInput, render_review, review_document};

/// How long the one `soffice` call may take for all the files (it takes a few seconds).
const CONVERT_LIMIT: Duration = Duration::from_secs(180);

/// The cluster's figures as the review's table prints them (money in triệu đồng), from
/// shared/data/cum2-2022S1/expected.md: the totals and the three highest rates.
const DEMO_FIGURES: [&str; 18] = [
    "4.130", "3.511", "85,01", "98,69", "98,68", "98,14", "10.266,5", "1.221,5", "1.084", "12", "20", "39", "63",
    "354", "59", "56", "189", "5",
];

/// The words `write_docx` prints of its own, around the document's data.
const FIXED_TEXT: &str = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM Độc lập - Tự do - Hạnh phúc Nơi nhận: - (tiếp theo)";

fn demo_file(name: &str) -> String {
    std::fs::read_to_string(format!("{}/../../data/demo/{name}", env!("CARGO_MANIFEST_DIR")))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

struct Demo {
    tree: UnitTree,
    catalog: Catalog,
    members: Vec<UnitCode>,
    rollup: ClusterRollup,
    conference: Conference,
}

fn demo() -> Demo {
    let units = read_units(&demo_file("units.csv"), &UnitTree::default()).unwrap();
    let tree = UnitTree::new(units.into_iter().map(|l| l.row)).unwrap();
    let indicators = read_indicators(&demo_file("indicators.csv"), &Catalog::default()).unwrap();
    let catalog = Catalog::new(indicators.into_iter().map(|l| l.row).collect()).unwrap();
    let clusters = read_clusters(&demo_file("clusters.csv"), &tree).unwrap();
    let values: Vec<DataValue> = read_values(&demo_file("values.csv"), &catalog, &tree)
        .unwrap()
        .into_iter()
        .map(|l| l.row)
        .collect();
    let cluster = &clusters[0].row;
    let rollup = rollup_cluster(&catalog, &tree, cluster, Period::HalfYear(2022, 1), &values);
    let conference = toml::from_str(&demo_file("conference.toml")).unwrap();
    Demo {
        members: cluster.members.clone(),
        tree,
        catalog,
        rollup,
        conference,
    }
}

fn review(demo: &Demo) -> OfficialDocument {
    let input = ReviewInput {
        rollup: &demo.rollup,
        catalog: &demo.catalog,
        conference: Some(&demo.conference),
        issuer: "",
        previous: None,
        signers: None,
    };
    let text = render_review(&input, DEFAULT_TEMPLATE).unwrap();
    review_document(&input, &text, Some(7))
}

fn unit_name(tree: &UnitTree) -> impl Fn(&UnitCode) -> String + '_ {
    |code| {
        tree.get(code)
            .map_or_else(|| code.to_string(), |u| u.short_name().to_owned())
    }
}

fn heading<'a>(name: &'a dyn Fn(&UnitCode) -> String) -> Heading<'a> {
    Heading {
        issuer: "Ủy ban MTTQ Việt Nam Thành phố Hà Nội",
        cluster_name: "Cụm thi đua số 2",
        place: "Hà Đông",
        date: NaiveDate::from_ymd_opt(2022, 12, 20).unwrap_or_default(),
        unit_name: name,
        signers: None,
    }
}

fn code(c: &str) -> IndicatorCode {
    IndicatorCode::parse(c).unwrap()
}

/// Every member pledges two titles and three targets: a rate, a sum of money, a count.
fn pledge(demo: &Demo) -> OfficialDocument {
    let name = unit_name(&demo.tree);
    let members = demo
        .members
        .iter()
        .enumerate()
        .map(|(i, unit)| MemberPledge {
            unit: unit.clone(),
            titles: vec![
                "Cờ thi đua của Ủy ban MTTQ Việt Nam Thành phố Hà Nội".into(),
                "Bằng khen của Ủy ban Trung ương MTTQ Việt Nam".into(),
            ],
            targets: BTreeMap::from([
                (code("TY_LE_HOA_TANG"), Value::Decimal(95.5 + i as f64 / 2.0)),
                (
                    code("QUY_BIEN_DAO"),
                    Value::Whole(1_250_000_000 + i as i64 * 100_000_000),
                ),
                (code("HV_TUYEN_TRUYEN"), Value::Whole(150 + i as i64 * 25)),
            ]),
            signer_name: "Nguyễn Thị Thanh Hương".into(),
            signer_title: "Chủ tịch Ủy ban MTTQ Việt Nam quận".into(),
        })
        .collect();
    let pledge = Pledge {
        cluster: demo.rollup.cluster.code.clone(),
        year: 2022,
        title: "Giao ước thi đua năm 2022".into(),
        signed_on: NaiveDate::from_ymd_opt(2022, 3, 10),
        place: "Tây Hồ".into(),
        commitments: vec!["Thực hiện tốt các cuộc vận động và phong trào thi đua do Mặt trận phát động".into()],
        members,
    };
    pledge_document(&heading(&name), &pledge, &demo.catalog)
}

/// The six members vote for the leading unit and rank each other.
fn record(demo: &Demo) -> OfficialDocument {
    let name = unit_name(&demo.tree);
    let members = demo.members.clone();
    let spec = BallotSpec {
        cluster: demo.rollup.cluster.code.clone(),
        year: 2022,
        title: "Bình xét thi đua năm 2022".into(),
        electorate: members.clone(),
        questions: vec![
            Question {
                code: "1".into(),
                text: "Suy tôn đơn vị dẫn đầu".into(),
                kind: QuestionKind::LeadingUnit,
                candidates: members.clone(),
                threshold: Some(Threshold::MORE_THAN_HALF),
            },
            Question {
                code: "2".into(),
                text: "Xếp hạng các đơn vị".into(),
                kind: QuestionKind::RankMembers,
                candidates: members.clone(),
                threshold: None,
            },
        ],
    };
    let papers: Vec<Paper> = (0..members.len())
        .map(|i| {
            let mut order = members.clone();
            order.rotate_left(i % 3);
            Paper {
                answers: BTreeMap::from([("1".to_owned(), vec![members[i % 2].clone()]), ("2".to_owned(), order)]),
            }
        })
        .collect();
    tally_record_document(&heading(&name), &tally(&spec, &papers), "3F9A-1B2C-5D6E-7F80")
}

/// A cluster of eighteen members: its table of figures fits no portrait page.
fn wide(demo: &Demo) -> OfficialDocument {
    let mut doc = review(demo);
    let names = [
        "Ba Đình",
        "Hoàn Kiếm",
        "Tây Hồ",
        "Long Biên",
        "Cầu Giấy",
        "Đống Đa",
        "Hai Bà Trưng",
        "Hoàng Mai",
        "Thanh Xuân",
        "Sóc Sơn",
        "Đông Anh",
        "Gia Lâm",
        "Nam Từ Liêm",
        "Thanh Trì",
        "Bắc Từ Liêm",
        "Mê Linh",
        "Hà Đông",
        "Sơn Tây",
    ];
    let mut header = vec!["Chỉ tiêu".to_owned(), "ĐVT".to_owned()];
    header.extend(names.iter().map(|n| (*n).to_owned()));
    header.push("Toàn cụm".into());
    let rows = doc.tables[0]
        .rows
        .iter()
        .map(|row| {
            let mut out = row[..2].to_vec();
            out.extend((0..names.len()).map(|i| row[2 + i % demo.members.len()].clone()));
            out.push(row[row.len() - 1].clone());
            out
        })
        .collect();
    doc.tables[0] = FigureTable {
        header,
        rows,
        ..doc.tables[0].clone()
    };
    doc
}

/// Whether `tool` runs; under `CI=true` a missing tool fails the test.
fn installed(tool: &str, arg: &str) -> bool {
    let there = Command::new(tool)
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    assert!(
        there || std::env::var("CI").as_deref() != Ok("true"),
        "{tool} is missing: CI must lay out the DOCX files in LibreOffice (.ci/run installs it)"
    );
    there
}

/// One `soffice` run turns every file into a PDF beside it, within [`CONVERT_LIMIT`].
fn convert(dir: &Path, files: &[PathBuf]) {
    let profile = dir.join("lo-profile");
    let mut child = Command::new("soffice")
        .arg(format!("-env:UserInstallation=file://{}", profile.display()))
        .args(["--headless", "--norestore", "--convert-to", "pdf", "--outdir"])
        .arg(dir)
        .args(files)
        .env("HOME", dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("soffice");
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() < CONVERT_LIMIT => std::thread::sleep(Duration::from_millis(100)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("soffice did not convert {} files in {CONVERT_LIMIT:?}", files.len());
            }
            Err(e) => panic!("soffice: {e}"),
        }
    };
    let stderr = child
        .stderr
        .take()
        .map(|mut s| {
            let mut text = String::new();
            let _ = std::io::Read::read_to_string(&mut s, &mut text);
            text
        })
        .unwrap_or_default();
    assert!(status.success(), "soffice failed: {stderr}");
    eprintln!("soffice converted {} files in {:?}", files.len(), started.elapsed());
}

fn pdf_text(pdf: &Path) -> String {
    let out = Command::new("pdftotext")
        .arg("-layout")
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext");
    assert!(out.status.success(), "pdftotext {}", pdf.display());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every word the document holds, as `write_docx` may print it.
fn source_words(doc: &OfficialDocument) -> BTreeSet<String> {
    let mut texts: Vec<&str> = vec![FIXED_TEXT, &doc.number, &doc.place_date, &doc.title, &doc.subtitle];
    texts.extend(doc.issuer.iter().map(String::as_str));
    texts.extend(doc.paragraphs.iter().map(String::as_str));
    texts.extend(
        doc.signatures
            .iter()
            .flat_map(|s| s.lines.iter().chain([&s.name]))
            .map(String::as_str),
    );
    texts.extend(doc.recipients.iter().map(String::as_str));
    for table in &doc.tables {
        texts.push(&table.title);
        texts.extend(table.header.iter().map(String::as_str));
        texts.extend(table.rows.iter().flatten().map(String::as_str));
    }
    texts
        .iter()
        .flat_map(|t| t.split_whitespace())
        .map(str::to_owned)
        .collect()
}

/// Whether `wanted` are among `tokens`, in that order.
fn in_order(tokens: &[&str], wanted: &[&str]) -> bool {
    let mut tokens = tokens.iter();
    wanted.iter().all(|w| tokens.any(|t| t == w))
}

/// Checks one rendered document: no token of the PDF's text is a piece of a word, and
/// each body row's figures stand whole, in their order, on one line of each part the
/// table was laid out in.
fn check(name: &str, doc: &OfficialDocument, text: &str) {
    let words = source_words(doc);
    let fragments: Vec<&str> = text.split_whitespace().filter(|t| !words.contains(*t)).collect();
    assert!(
        fragments.is_empty(),
        "{name}: words or figures cut in two: {fragments:?}\n{text}"
    );
    let lines: Vec<Vec<&str>> = text.lines().map(|l| l.split_whitespace().collect()).collect();
    for table in &doc.tables {
        let layout = lay_out(table);
        for row in &table.rows {
            for part in &layout.parts {
                // The figures of one word; one in words ("trên 1,2 tỷ đồng") may wrap
                // between them, which the first check sees.
                let figures: Vec<&str> = part
                    .iter()
                    .filter(|&&c| c >= table.text_columns)
                    .filter_map(|&c| row.get(c))
                    .map(|cell| cell.trim())
                    .filter(|cell| !cell.is_empty() && !cell.contains(char::is_whitespace))
                    .collect();
                if figures.is_empty() {
                    continue;
                }
                assert!(
                    lines.iter().any(|l| in_order(l, &figures)),
                    "{name}: the figures {figures:?} of «{}» are not on one line:\n{text}",
                    row[0]
                );
            }
        }
    }
}

#[test]
fn libreoffice_lays_out_every_docx_with_each_figure_whole_and_each_name_broken_only_between_words() {
    if !installed("soffice", "--version") || !installed("pdftotext", "-v") {
        eprintln!("skipped: LibreOffice (soffice) or poppler (pdftotext) is not installed");
        return;
    }
    let demo = demo();
    let documents = [
        ("bao-cao", review(&demo)),
        ("giao-uoc", pledge(&demo)),
        ("bien-ban", record(&demo)),
        ("bang-rong", wide(&demo)),
    ];
    let kept = std::env::var_os("THIDUA_KEEP_RENDERS").map(PathBuf::from);
    let dir = kept
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join(format!("thidua-lo-docx-{}", std::process::id())));
    std::fs::create_dir_all(&dir).unwrap();
    // The profile's address is a file:// URL, so the folder must be absolute.
    let dir = std::fs::canonicalize(&dir).unwrap();
    let files: Vec<PathBuf> = documents
        .iter()
        .map(|(name, doc)| {
            let path = dir.join(format!("{name}.docx"));
            std::fs::write(&path, write_docx(doc).unwrap_or_else(|e| panic!("{name}: {e}"))).unwrap();
            path
        })
        .collect();
    convert(&dir, &files);
    let texts: Vec<String> = documents
        .iter()
        .map(|(name, _)| pdf_text(&dir.join(format!("{name}.pdf"))))
        .collect();
    if kept.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    for ((name, doc), text) in documents.iter().zip(&texts) {
        check(name, doc, text);
    }
    let review: BTreeSet<&str> = texts[0].split_whitespace().collect();
    for figure in DEMO_FIGURES {
        assert!(
            review.contains(figure),
            "{figure} is not whole in the review:\n{}",
            texts[0]
        );
    }
    for phrase in [
        "Thanh Xuân",
        "Bắc Từ Liêm",
        "Nam Từ Liêm",
        "Cầu Giấy",
        "Tây Hồ",
        "Hà Đông",
    ] {
        assert!(
            texts[0].contains(phrase),
            "{phrase} is broken in the review:\n{}",
            texts[0]
        );
    }
    assert!(texts[2].contains("Mã niêm phong: 3F9A-1B2C-5D6E-7F80"), "{}", texts[2]);
}
