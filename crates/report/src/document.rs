//! Văn bản — an official document of the Front as data, before it is written out: the
//! DOCX and PDF writers lay out the same [`OfficialDocument`], so the two files carry the
//! same header, body, table and chart.

use serde::Serialize;

use crate::chart::BarChart;

/// A table of figures: a header row and body rows of text, already formatted.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FigureTable {
    /// A heading above it ("KẾT QUẢ CÁC CHỈ TIÊU …"); empty for none.
    pub title: String,
    /// Column heads.
    pub header: Vec<String>,
    /// Rows.
    pub rows: Vec<Vec<String>>,
    /// Relative column widths; empty for the figures layout (a wide name column, a
    /// narrow measure column, the figures sharing the rest).
    pub widths: Vec<u32>,
    /// How many leading columns hold text (left-aligned); the rest are figures,
    /// right-aligned.
    pub text_columns: usize,
}

/// An official document.
#[derive(Debug, Clone, Default, Serialize)]
pub struct OfficialDocument {
    /// The issuing body, top line first ("ỦY BAN MTTQ VIỆT NAM THÀNH PHỐ HÀ NỘI",
    /// "CỤM THI ĐUA SỐ 2").
    pub issuer: Vec<String>,
    /// "Số: 12/BC-CTĐ", or "Số:        /BC-CTĐ" while the document has no number yet.
    pub number: String,
    /// "Hà Đông, ngày 25 tháng 7 năm 2022".
    pub place_date: String,
    /// "BÁO CÁO".
    pub title: String,
    /// "Sơ kết công tác thi đua - khen thưởng 6 tháng đầu năm 2022".
    pub subtitle: String,
    /// Body paragraphs.
    pub paragraphs: Vec<String>,
    /// Tables after the body.
    pub tables: Vec<FigureTable>,
    /// A chart after the table.
    pub chart: Option<BarChart>,
    /// The signature blocks, left to right: one (the signer, beside the recipients) or
    /// two (the record of a count: the secretary and the head of the counting committee).
    pub signatures: Vec<Signature>,
    /// Who receives copies (Nơi nhận), one line each.
    pub recipients: Vec<String>,
}

/// What a signature block shows when no one is recorded as signing: a line to sign on
/// that says so, so a document is never printed as if complete without its signer.
pub const NO_SIGNER: &str = "(chưa ghi họ tên người ký)";

/// Một khối chữ ký — a signature block (Nghị định 30/2020/NĐ-CP, Phụ lục I): the
/// authority and title lines in bold capitals ("TM. BAN THƯỜNG TRỰC", "CHỦ TỊCH"), room
/// to sign, then the signer's name in bold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Signature {
    /// The lines above the signature, top first, in capitals.
    pub lines: Vec<String>,
    /// The signer's full name, or [`NO_SIGNER`] when none is recorded.
    pub name: String,
    /// Whether the name is a recorded one (false: the placeholder).
    pub recorded: bool,
}

impl Signature {
    /// A block for `signer`, under `default_lines` when it records no authority or title
    /// of its own; the name is [`NO_SIGNER`] when it records none.
    pub fn of(signer: &thidua_core::signers::Signer, default_lines: &[&str]) -> Signature {
        let own: Vec<String> = [&signer.authority, &signer.title]
            .into_iter()
            .filter(|l| !l.is_empty())
            .map(|l| l.to_uppercase())
            .collect();
        let lines = if own.is_empty() {
            default_lines.iter().map(|l| (*l).to_owned()).collect()
        } else {
            own
        };
        Signature::named(lines, &signer.name)
    }

    /// A block of `lines` signed by `name` ([`NO_SIGNER`] when it is empty).
    pub fn named(lines: Vec<String>, name: &str) -> Signature {
        let name = name.trim();
        Signature {
            lines,
            name: if name.is_empty() {
                NO_SIGNER.to_owned()
            } else {
                name.to_owned()
            },
            recorded: !name.is_empty(),
        }
    }
}

/// The kinds of administrative unit a place may be named with, as written before its
/// name; the longest first, so "thành phố" is not read as something shorter.
const UNIT_KINDS: [&str; 8] = [
    "thành phố",
    "thị trấn",
    "thị xã",
    "phường",
    "huyện",
    "quận",
    "tỉnh",
    "xã",
];

/// Địa danh — the place a document's date line names. Nghị định 30/2020/NĐ-CP (Phụ lục
/// I, mục II.4) writes the administrative unit's own name without its kind: "quận Hà
/// Đông" is "Hà Đông", "thành phố Hà Nội" is "Hà Nội"; a unit named by a number keeps its
/// kind ("phường 15" is "Phường 15"). The place opens its line, so it is capitalised.
pub fn place_name(raw: &str) -> String {
    let raw = raw.trim();
    let stripped = UNIT_KINDS.iter().find_map(|kind| {
        let n = kind.chars().count();
        let head: String = raw.chars().take(n).collect();
        let rest = raw[head.len()..].strip_prefix(' ')?;
        (head.to_lowercase() == *kind && !rest.trim().is_empty()).then(|| rest.trim())
    });
    let place = match stripped {
        Some(rest) if !rest.chars().all(|c| c.is_ascii_digit()) => rest,
        _ => raw,
    };
    capitalise(place)
}

/// `text` with its first letter in capitals.
pub fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The date line under the national motto: "Hà Đông, ngày 25 tháng 7 năm 2022" — the
/// place as [`place_name`] writes it, or only the date when there is no place.
pub fn place_date_line(place: &str, date: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    let place = place_name(place);
    let date = format!("ngày {} tháng {} năm {}", date.day(), date.month(), date.year());
    if place.is_empty() {
        capitalise(&date)
    } else {
        format!("{place}, {date}")
    }
}

/// The number line of a document: "Số: 12/BC-CTĐ" once the register has given it a
/// number, "Số:        /BC-CTĐ" (a blank for the clerk's pen) before.
pub fn number_line(number: Option<u32>, symbol: &str) -> String {
    match number {
        Some(n) => format!("Số: {n}/{symbol}"),
        None => format!("Số:        /{symbol}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_without_a_recorded_signer_shows_the_placeholder_under_its_default_lines() {
        let none = Signature::of(
            &thidua_core::signers::Signer::default(),
            &["TM. CỤM THI ĐUA SỐ 2", "CỤM TRƯỞNG"],
        );
        assert_eq!(none.lines, ["TM. CỤM THI ĐUA SỐ 2", "CỤM TRƯỞNG"]);
        assert_eq!(none.name, NO_SIGNER);
        assert!(!none.recorded);
        let signer = thidua_core::signers::Signer {
            authority: "TM. BAN THƯỜNG TRỰC".into(),
            title: "CHỦ TỊCH".into(),
            name: "Nguyễn Văn An".into(),
        };
        let block = Signature::of(&signer, &["CỤM TRƯỞNG"]);
        assert_eq!(block.lines, ["TM. BAN THƯỜNG TRỰC", "CHỦ TỊCH"]);
        assert_eq!(block.name, "Nguyễn Văn An");
        assert!(block.recorded);
    }

    #[test]
    fn the_date_line_names_the_place_without_its_kind_and_capitalised() {
        let day = chrono::NaiveDate::from_ymd_opt(2022, 7, 25).unwrap_or_default();
        assert_eq!(
            place_date_line("quận Hà Đông", day),
            "Hà Đông, ngày 25 tháng 7 năm 2022"
        );
        assert_eq!(
            place_date_line("Quận Hà Đông", day),
            "Hà Đông, ngày 25 tháng 7 năm 2022"
        );
        assert_eq!(
            place_date_line("thành phố Hà Nội", day),
            "Hà Nội, ngày 25 tháng 7 năm 2022"
        );
        assert_eq!(place_date_line("hà Đông", day), "Hà Đông, ngày 25 tháng 7 năm 2022");
        assert_eq!(place_date_line("phường 15", day), "Phường 15, ngày 25 tháng 7 năm 2022");
        assert_eq!(place_date_line("", day), "Ngày 25 tháng 7 năm 2022");
    }

    #[test]
    fn a_numbered_document_shows_its_number_and_an_unnumbered_one_a_blank() {
        assert_eq!(number_line(Some(12), "BC-CTĐ"), "Số: 12/BC-CTĐ");
        assert_eq!(number_line(None, "BC-CTĐ"), "Số:        /BC-CTĐ");
    }
}
