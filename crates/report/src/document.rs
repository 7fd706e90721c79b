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
    /// The signature block, top line first ("TM. CỤM THI ĐUA SỐ 2", "CỤM TRƯỞNG").
    pub signer: Vec<String>,
    /// Who receives copies (Nơi nhận), one line each.
    pub recipients: Vec<String>,
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
    fn a_numbered_document_shows_its_number_and_an_unnumbered_one_a_blank() {
        assert_eq!(number_line(Some(12), "BC-CTĐ"), "Số: 12/BC-CTĐ");
        assert_eq!(number_line(None, "BC-CTĐ"), "Số:        /BC-CTĐ");
    }
}
