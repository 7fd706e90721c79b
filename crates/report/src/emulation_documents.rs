//! Văn bản thi đua — the documents of the year's emulation work, in the Front's format:
//! the record of the vote count (biên bản kiểm phiếu) made from a [`TallyRecord`], and
//! the cluster's signed pledge (bản giao ước thi đua) made from a [`Pledge`]. Both are
//! [`OfficialDocument`]s, so they are written as DOCX and PDF like the review.

use chrono::NaiveDate;
use thidua_core::emulation::ballot::{Outcome, QuestionTally, TallyRecord};
use thidua_core::emulation::pledge::Pledge;
use thidua_core::number::{format_decimal_trimmed, format_integer};
use thidua_core::{Catalog, UnitCode, Value, ValueType};

use thidua_core::signers::Signers;

use crate::document::{FigureTable, OfficialDocument, Signature, number_line};

/// Who the documents are about: the cluster, the body above it, and unit names.
pub struct Heading<'a> {
    /// "Ủy ban MTTQ Việt Nam Thành phố Hà Nội".
    pub issuer: &'a str,
    /// "Cụm thi đua số 2".
    pub cluster_name: &'a str,
    /// Where the meeting was held ("Hà Đông").
    pub place: &'a str,
    /// The day.
    pub date: NaiveDate,
    /// A unit's name ("quận Hà Đông").
    pub unit_name: &'a dyn Fn(&UnitCode) -> String,
    /// Who signs for the cluster this year, when recorded; without it each signature
    /// block shows a placeholder.
    pub signers: Option<&'a Signers>,
}

fn place_date(place: &str, date: NaiveDate) -> String {
    crate::document::place_date_line(place, date)
}

/// "ngày 20 tháng 12 năm 2022", as a sentence says the day.
fn day_words(date: NaiveDate) -> String {
    use chrono::Datelike;
    format!("ngày {} tháng {} năm {}", date.day(), date.month(), date.year())
}

fn names(heading: &Heading<'_>, units: &[UnitCode]) -> String {
    units
        .iter()
        .map(|u| (heading.unit_name)(u))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a question decided, in a sentence.
fn outcome_sentence(heading: &Heading<'_>, q: &QuestionTally) -> String {
    match &q.outcome {
        Outcome::Elected { units } if units.is_empty() => "Kết quả: không có đơn vị trúng.".into(),
        Outcome::Elected { units } => format!("Kết quả: {} trúng.", names(heading, units)),
        Outcome::Ranked { order } => {
            let places: Vec<String> = order
                .iter()
                .enumerate()
                .map(|(i, u)| format!("{}. {}", i + 1, (heading.unit_name)(u)))
                .collect();
            format!("Kết quả xếp hạng: {}.", places.join("; "))
        }
        Outcome::Tie { tied, settled } => {
            let settled = if settled.is_empty() {
                String::new()
            } else {
                format!("{} trúng; ", names(heading, settled))
            };
            format!(
                "Kết quả: {settled}{} bằng phiếu nhau — cần bỏ phiếu lại giữa các đơn vị này.",
                names(heading, tied)
            )
        }
        Outcome::NotReached | Outcome::NoValidPapers => format!("Kết quả: {}.", q.outcome.label_vi().to_lowercase()),
    }
}

fn question_table(heading: &Heading<'_>, q: &QuestionTally) -> FigureTable {
    let ranking = q.kind.is_ranking();
    let mut header = vec!["TT".to_owned(), "Đơn vị".to_owned()];
    if ranking {
        header.extend(["Số phiếu xếp thứ nhất", "Điểm (Borda)", "Thứ hạng bình quân", "Xếp thứ"].map(String::from));
    } else {
        header.extend(["Số phiếu", "Tỷ lệ (%)", "Kết quả"].map(String::from));
    }
    let rows = q
        .candidates
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut row = vec![format_integer(i as i64 + 1), (heading.unit_name)(&c.unit)];
            if ranking {
                row.push(format_integer(i64::from(c.votes)));
                row.push(format_integer(i64::from(c.borda)));
                row.push(c.average_rank.map_or("—".into(), |r| format_decimal_trimmed(r, 2)));
                row.push(format!("{}{}", c.place, if c.tied { " (bằng)" } else { "" }));
            } else {
                row.push(format_integer(i64::from(c.votes)));
                row.push(format_decimal_trimmed(c.percent, 2));
                row.push(
                    if q.chose(&c.unit) {
                        "Trúng"
                    } else if q.tied(&c.unit) {
                        "Bằng phiếu"
                    } else {
                        ""
                    }
                    .into(),
                );
            }
            row
        })
        .collect();
    FigureTable {
        title: format!("Câu {}. {}", q.code, q.text),
        header,
        rows,
        widths: if ranking {
            vec![1, 5, 3, 2, 3, 2]
        } else {
            vec![1, 6, 2, 2, 3]
        },
        text_columns: 2,
    }
}

/// Biên bản kiểm phiếu — the record of the count, ready to sign by the counting
/// committee (tổ kiểm phiếu). `seal` is the ballot's seal ("3F9A-1B2C-5D6E-7F80"), the
/// head of the hash chain over its papers and count written at closing: printed here,
/// it lets anyone holding the signed record tell a later change of the stored papers.
pub fn tally_record_document(heading: &Heading<'_>, record: &TallyRecord, seal: &str) -> OfficialDocument {
    let mut paragraphs = vec![
        format!(
            "Hôm nay, {}{}, trong hội nghị bình xét thi đua năm {} của {}, Tổ kiểm phiếu đã tiến hành kiểm phiếu. Phiếu bầu là phiếu kín; phiếu được lưu không gắn với người bỏ phiếu.",
            day_words(heading.date),
            match crate::document::place_name(heading.place) {
                p if p.is_empty() => String::new(),
                p => format!(", tại {p}"),
            },
            record.year,
            heading.cluster_name
        ),
        format!(
            "Số đơn vị có quyền bỏ phiếu: {}. Số phiếu phát ra: {}. Số phiếu thu vào: {}.",
            format_integer(i64::from(record.electorate)),
            format_integer(i64::from(record.issued)),
            format_integer(i64::from(record.received))
        ),
    ];
    for q in &record.questions {
        let threshold = q
            .threshold
            .map(|t| format!(" Ngưỡng trúng: {}.", t.label_vi()))
            .unwrap_or_default();
        let invalid = q.invalid_vi();
        paragraphs.push(format!(
            "Câu {}. {}: số phiếu hợp lệ {}; số phiếu không hợp lệ {}.{threshold} {}",
            q.code,
            q.text,
            format_integer(i64::from(q.valid)),
            invalid,
            outcome_sentence(heading, q)
        ));
    }
    paragraphs.push(format!(
        "Mã niêm phong: {seal}. Mã này được tính từ phiếu bầu, các lá phiếu và kết quả kiểm phiếu khi kết thúc bỏ phiếu; mọi thay đổi về sau đều làm mã không còn khớp."
    ));
    paragraphs.push(if record.revote_needed() {
        "Có câu hỏi chưa có kết quả; hội nghị tiến hành bỏ phiếu lại theo quy định.".into()
    } else {
        "Biên bản được lập và thông qua tại hội nghị.".into()
    });
    OfficialDocument {
        issuer: vec![heading.issuer.to_uppercase(), heading.cluster_name.to_uppercase()],
        number: number_line(None, "BB-CTĐ"),
        place_date: place_date(heading.place, heading.date),
        title: "BIÊN BẢN KIỂM PHIẾU".into(),
        subtitle: record.title.clone(),
        paragraphs,
        tables: record.questions.iter().map(|q| question_table(heading, q)).collect(),
        chart: None,
        // A record is signed by its secretary (left) and the head of the counting
        // committee (right).
        signatures: vec![
            Signature::named(
                vec!["THƯ KÝ".into()],
                heading.signers.map_or("", |s| s.secretary.as_str()),
            ),
            Signature::named(
                vec!["TỔ TRƯỞNG TỔ KIỂM PHIẾU".into()],
                heading.signers.map_or("", |s| s.teller.as_str()),
            ),
        ],
        recipients: vec!["Các đơn vị trong cụm".into(), "Lưu: VT".into()],
    }
}

fn pledged(value: &Value, value_type: ValueType) -> String {
    match (value, value_type) {
        (Value::Whole(n), ValueType::Money) => thidua_core::number::money_prose(*n),
        (Value::Whole(n), _) => format_integer(*n),
        (Value::Decimal(x), ValueType::Percent) => format!("{}%", format_decimal_trimmed(*x, 2)),
        (Value::Decimal(x), _) => format_decimal_trimmed(*x, 2),
        (Value::Text(t), _) => t.clone(),
    }
}

/// Bản giao ước thi đua — the cluster's pledge: the clauses, then each member's titles
/// and targets, signed by every member's representative.
pub fn pledge_document(heading: &Heading<'_>, pledge: &Pledge, catalog: &Catalog) -> OfficialDocument {
    let mut paragraphs = vec![format!(
        "Thực hiện phong trào thi đua năm {}, các đơn vị thành viên {} thống nhất ký kết giao ước thi đua với các nội dung sau:",
        pledge.year, heading.cluster_name
    )];
    paragraphs.extend(
        pledge
            .commitments
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{}. {c}", i + 1)),
    );
    let titles = FigureTable {
        title: "ĐĂNG KÝ DANH HIỆU THI ĐUA VÀ HÌNH THỨC KHEN THƯỞNG".into(),
        header: [
            "TT",
            "Đơn vị",
            "Danh hiệu, hình thức khen thưởng đăng ký",
            "Đại diện ký",
        ]
        .map(String::from)
        .to_vec(),
        rows: pledge
            .members
            .iter()
            .enumerate()
            .map(|(i, m)| {
                vec![
                    format_integer(i as i64 + 1),
                    (heading.unit_name)(&m.unit),
                    m.titles.join("; "),
                    [m.signer_name.as_str(), m.signer_title.as_str()]
                        .into_iter()
                        .filter(|s| !s.is_empty())
                        .collect::<Vec<_>>()
                        .join(", "),
                ]
            })
            .collect(),
        widths: vec![1, 4, 6, 5],
        text_columns: 4,
    };
    let mut tables = vec![titles];
    let targeted: Vec<_> = catalog
        .indicators()
        .iter()
        .filter(|i| pledge.members.iter().any(|m| m.targets.contains_key(&i.code)))
        .collect();
    if !targeted.is_empty() {
        let mut header = vec!["Chỉ tiêu".to_owned(), "ĐVT".to_owned()];
        header.extend(pledge.members.iter().map(|m| {
            let name = (heading.unit_name)(&m.unit);
            name.trim_start_matches("quận ").to_owned()
        }));
        tables.push(FigureTable {
            title: "CHỈ TIÊU ĐĂNG KÝ".into(),
            header,
            rows: targeted
                .iter()
                .map(|i| {
                    let mut row = vec![i.name.clone(), i.measure.clone()];
                    row.extend(
                        pledge
                            .members
                            .iter()
                            .map(|m| m.targets.get(&i.code).map_or("—".into(), |v| pledged(v, i.value_type))),
                    );
                    row
                })
                .collect(),
            widths: Vec::new(),
            text_columns: 2,
        });
    }
    let date = pledge.signed_on.unwrap_or(heading.date);
    let place = if pledge.place.is_empty() {
        heading.place
    } else {
        pledge.place.as_str()
    };
    OfficialDocument {
        issuer: vec![heading.issuer.to_uppercase(), heading.cluster_name.to_uppercase()],
        number: String::new(),
        place_date: place_date(place, date),
        title: "GIAO ƯỚC THI ĐUA".into(),
        subtitle: pledge.title.clone(),
        paragraphs,
        tables,
        chart: None,
        // Each member's representative is named in the table; the cluster's signer signs
        // the pledge for the cluster.
        signatures: vec![Signature::of(
            &heading.signers.map(|s| s.chair.clone()).unwrap_or_default(),
            &[&format!("TM. {}", heading.cluster_name.to_uppercase()), "CỤM TRƯỞNG"],
        )],
        recipients: vec!["Thường trực Ủy ban MTTQ cấp trên".into(), "Các đơn vị trong cụm".into()],
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use thidua_core::ClusterCode;
    use thidua_core::emulation::ballot::{BallotSpec, Paper, Question, QuestionKind, Threshold, tally};

    use super::*;

    fn unit(c: &str) -> UnitCode {
        UnitCode::parse(c).unwrap()
    }

    fn name(u: &UnitCode) -> String {
        match u.as_str() {
            "HN-HADONG" => "quận Hà Đông".into(),
            "HN-TAYHO" => "quận Tây Hồ".into(),
            "HN-CAUGIAY" => "quận Cầu Giấy".into(),
            other => other.into(),
        }
    }

    fn heading(unit_name: &dyn Fn(&UnitCode) -> String) -> Heading<'_> {
        Heading {
            issuer: "Ủy ban MTTQ Việt Nam Thành phố Hà Nội",
            cluster_name: "Cụm thi đua số 2",
            place: "Hà Đông",
            date: NaiveDate::from_ymd_opt(2022, 12, 20).unwrap_or_default(),
            unit_name,
            signers: None,
        }
    }

    fn record() -> TallyRecord {
        let members = vec![unit("HN-HADONG"), unit("HN-TAYHO"), unit("HN-CAUGIAY")];
        let spec = BallotSpec {
            cluster: ClusterCode::parse("HN-CUM2").unwrap(),
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
        let paper = |leading: &str, order: [&str; 3]| Paper {
            answers: BTreeMap::from([
                ("1".to_owned(), vec![unit(leading)]),
                ("2".to_owned(), order.iter().map(|u| unit(u)).collect()),
            ]),
        };
        let papers = vec![
            paper("HN-HADONG", ["HN-HADONG", "HN-TAYHO", "HN-CAUGIAY"]),
            paper("HN-HADONG", ["HN-HADONG", "HN-CAUGIAY", "HN-TAYHO"]),
            paper("HN-TAYHO", ["HN-TAYHO", "HN-HADONG", "HN-CAUGIAY"]),
        ];
        tally(&spec, &papers)
    }

    #[test]
    fn the_record_of_the_count_states_the_papers_the_votes_and_who_won() {
        let doc = tally_record_document(&heading(&name), &record(), SEAL);
        assert_eq!(doc.title, "BIÊN BẢN KIỂM PHIẾU");
        assert_eq!(doc.place_date, "Hà Đông, ngày 20 tháng 12 năm 2022");
        let body = doc.paragraphs.join("\n");
        assert!(
            body.contains("Số đơn vị có quyền bỏ phiếu: 3. Số phiếu phát ra: 3. Số phiếu thu vào: 3."),
            "{body}"
        );
        assert!(body.contains("Ngưỡng trúng: trên 1/2 số phiếu hợp lệ."), "{body}");
        assert!(body.contains("Kết quả: quận Hà Đông trúng."), "{body}");
        assert!(
            body.contains("Kết quả xếp hạng: 1. quận Hà Đông; 2. quận Tây Hồ; 3. quận Cầu Giấy."),
            "{body}"
        );
        let leading = &doc.tables[0];
        assert_eq!(leading.rows[0][1], "quận Hà Đông");
        assert_eq!(leading.rows[0][2], "2");
        assert_eq!(leading.rows[0][3], "66,67");
        assert_eq!(leading.rows[0][4], "Trúng");
    }

    const SEAL: &str = "3F9A-1B2C-5D6E-7F80";

    #[test]
    fn the_record_opens_with_the_day_then_the_place_and_is_signed_by_the_secretary_and_the_teller() {
        let unsigned = tally_record_document(&heading(&name), &record(), SEAL);
        assert!(
            unsigned.paragraphs[0].starts_with(
                "Hôm nay, ngày 20 tháng 12 năm 2022, tại Hà Đông, trong hội nghị bình xét thi đua năm 2022 của Cụm thi đua số 2, Tổ kiểm phiếu"
            ),
            "{}",
            unsigned.paragraphs[0]
        );
        assert_eq!(unsigned.signatures.len(), 2);
        assert!(unsigned.signatures.iter().all(|s| s.name == crate::document::NO_SIGNER));
        let signers = Signers {
            cluster: ClusterCode::parse("HN-CUM2").unwrap(),
            year: 2022,
            chair: thidua_core::signers::Signer::default(),
            secretary: "Lê Thị Hoa".into(),
            teller: "Trần Văn Bình".into(),
        };
        let mut h = heading(&name);
        h.signers = Some(&signers);
        let doc = tally_record_document(&h, &record(), SEAL);
        assert_eq!(doc.signatures[0].lines, ["THƯ KÝ"]);
        assert_eq!(doc.signatures[0].name, "Lê Thị Hoa");
        assert_eq!(doc.signatures[1].lines, ["TỔ TRƯỞNG TỔ KIỂM PHIẾU"]);
        assert_eq!(doc.signatures[1].name, "Trần Văn Bình");
        let json = docx_rs::read_docx(&crate::docx::write_docx(&doc).unwrap())
            .unwrap()
            .json();
        assert!(json.contains("THƯ KÝ") && json.contains("Lê Thị Hoa") && json.contains("Trần Văn Bình"));
    }

    #[test]
    fn the_record_of_the_count_prints_the_seal() {
        let doc = tally_record_document(&heading(&name), &record(), SEAL);
        let docx = crate::docx::write_docx(&doc).unwrap();
        let json = docx_rs::read_docx(&docx).unwrap().json();

        assert!(
            doc.paragraphs
                .iter()
                .any(|p| p.starts_with("Mã niêm phong: 3F9A-1B2C-5D6E-7F80.")),
            "{:?}",
            doc.paragraphs
        );
        assert!(
            json.contains("Mã niêm phong: 3F9A-1B2C-5D6E-7F80"),
            "the DOCX prints it"
        );
        #[cfg(feature = "pdf")]
        {
            let pdf = crate::pdf::write_pdf(&doc).unwrap();
            let path = std::env::temp_dir().join(format!("thidua-seal-{}.pdf", std::process::id()));
            std::fs::write(&path, &pdf).unwrap();
            let text = std::process::Command::new("pdftotext").arg(&path).arg("-").output();
            let _ = std::fs::remove_file(&path);
            match text {
                Ok(out) => {
                    let text = String::from_utf8_lossy(&out.stdout)
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ");
                    assert!(
                        text.contains("Mã niêm phong: 3F9A-1B2C-5D6E-7F80"),
                        "the PDF prints it: {text}"
                    );
                }
                Err(_) => assert!(
                    std::env::var("CI").as_deref() != Ok("true"),
                    "pdftotext is missing: CI must check the PDF"
                ),
            }
        }
    }

    #[test]
    fn the_record_of_the_count_is_written_as_docx_and_pdf() {
        let doc = tally_record_document(&heading(&name), &record(), SEAL);
        let docx = crate::docx::write_docx(&doc).unwrap();
        let json = docx_rs::read_docx(&docx).unwrap().json();
        assert!(json.contains("BIÊN BẢN KIỂM PHIẾU") && json.contains("quận Tây Hồ"));
        #[cfg(feature = "pdf")]
        {
            let pdf = crate::pdf::write_pdf(&doc).unwrap();
            assert!(pdf.starts_with(b"%PDF-"));
        }
    }

    #[test]
    fn the_pledge_lists_each_member_s_titles_and_targets_with_its_signer() {
        use thidua_core::emulation::pledge::{MemberPledge, Pledge};
        use thidua_core::{Aggregation, Indicator, IndicatorCode};
        let code = |c: &str| IndicatorCode::parse(c).unwrap();
        let catalog = Catalog::new(vec![Indicator {
            code: code("TY_LE_HOA_TANG"),
            name: "Tỷ lệ hỏa táng".into(),
            measure: "%".into(),
            value_type: ValueType::Percent,
            aggregation: Aggregation::Average,
            formula: None,
            group: "G".into(),
        }])
        .unwrap();
        let pledge = Pledge {
            cluster: ClusterCode::parse("HN-CUM2").unwrap(),
            year: 2022,
            title: "Giao ước thi đua năm 2022".into(),
            signed_on: NaiveDate::from_ymd_opt(2022, 3, 10),
            place: "Tây Hồ".into(),
            commitments: vec!["Thực hiện tốt các cuộc vận động".into()],
            members: vec![MemberPledge {
                unit: unit("HN-HADONG"),
                titles: vec!["Cờ thi đua".into(), "Bằng khen".into()],
                targets: BTreeMap::from([(code("TY_LE_HOA_TANG"), Value::Decimal(95.0))]),
                signer_name: "Nguyễn Văn A".into(),
                signer_title: "Chủ tịch".into(),
            }],
        };
        let doc = pledge_document(&heading(&name), &pledge, &catalog);
        assert_eq!(doc.place_date, "Tây Hồ, ngày 10 tháng 3 năm 2022");
        assert_eq!(doc.signatures[0].lines, ["TM. CỤM THI ĐUA SỐ 2", "CỤM TRƯỞNG"]);
        assert_eq!(doc.signatures[0].name, crate::document::NO_SIGNER);
        // A place typed with its kind is written as the date line names places.
        let typed = Pledge {
            place: "quận Tây Hồ".into(),
            ..pledge.clone()
        };
        assert_eq!(
            pledge_document(&heading(&name), &typed, &catalog).place_date,
            "Tây Hồ, ngày 10 tháng 3 năm 2022"
        );
        assert!(doc.paragraphs.iter().any(|p| p == "1. Thực hiện tốt các cuộc vận động"));
        assert_eq!(doc.tables[0].rows[0][2], "Cờ thi đua; Bằng khen");
        assert_eq!(doc.tables[0].rows[0][3], "Nguyễn Văn A, Chủ tịch");
        assert_eq!(doc.tables[1].rows[0], ["Tỷ lệ hỏa táng", "%", "95%"]);
    }
}
