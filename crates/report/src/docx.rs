//! Văn bản hành chính — a report as a DOCX in the Front's document format: on the left
//! the issuing body in capitals and the document number, on the right the national
//! motto ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM / Độc lập - Tự do - Hạnh phúc") and the
//! place and date; the title centred; the body in a Times-metric serif at 14 pt, justified
//! with a first-line indent, on A4 with the margins of Nghị định 30/2020 (top and bottom
//! 20 mm, left 30 mm, right 15 mm); a table of figures; the signature block.

use docx_rs::{
    AlignmentType, Docx, LineSpacing, PageMargin, Paragraph, Pic, Run, RunFonts, SpecialIndentType, Table, TableCell,
    TableRow, WidthType,
};

use crate::ReportError;
use crate::chart;
use crate::document::OfficialDocument;

/// The serif shipped with thidua (Times New Roman metrics); Word falls back to Times.
const FONT: &str = "Liberation Serif";
/// Sizes in half-points, as DOCX counts them.
const BODY: usize = 28;
const SMALL: usize = 26;
const TABLE: usize = 20;
/// The national name line, sized to fit its column on one line.
const MOTTO: usize = 24;
/// A4 in twentieths of a point.
const A4: (u32, u32) = (11_906, 16_838);
/// Millimetres to twentieths of a point.
const fn mm(v: i32) -> i32 {
    v * 1440 * 10 / 254
}

fn fonts() -> RunFonts {
    RunFonts::new().ascii(FONT).hi_ansi(FONT).cs(FONT).east_asia(FONT)
}

fn run(text: &str, size: usize) -> Run {
    Run::new().add_text(text).size(size).fonts(fonts())
}

fn centred(text: &str, size: usize, bold: bool) -> Paragraph {
    let r = run(text, size);
    Paragraph::new()
        .add_run(if bold { r.bold() } else { r })
        .align(AlignmentType::Center)
}

fn borderless_cell(paragraphs: Vec<Paragraph>, width: usize) -> TableCell {
    paragraphs
        .into_iter()
        .fold(TableCell::new(), TableCell::add_paragraph)
        .width(width, WidthType::Dxa)
        .clear_all_border()
}

/// Writes the document as DOCX bytes.
pub fn write_docx(doc: &OfficialDocument) -> Result<Vec<u8>, ReportError> {
    let text_width = A4.0 as usize - (mm(30) + mm(15)) as usize;
    let left: Vec<Paragraph> = doc
        .issuer
        .iter()
        .enumerate()
        .map(|(i, line)| centred(line, SMALL, i + 1 == doc.issuer.len()))
        .chain(std::iter::once(centred(&doc.number, SMALL, false)))
        .collect();
    let right = vec![
        centred("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", MOTTO, true),
        centred("Độc lập - Tự do - Hạnh phúc", BODY, true),
        Paragraph::new()
            .add_run(run(&doc.place_date, BODY).italic())
            .align(AlignmentType::Center),
    ];
    let heading = Table::without_borders(vec![TableRow::new(vec![
        borderless_cell(left, text_width * 38 / 100),
        borderless_cell(right, text_width * 62 / 100),
    ])])
    .clear_all_border();

    let mut docx = Docx::new()
        .page_size(A4.0, A4.1)
        .page_margin(PageMargin::new().top(mm(20)).bottom(mm(20)).left(mm(30)).right(mm(15)))
        .default_fonts(fonts())
        .default_size(BODY)
        .add_table(heading)
        .add_paragraph(Paragraph::new())
        .add_paragraph(centred(&doc.title, BODY, true))
        .add_paragraph(centred(&doc.subtitle, BODY, true))
        .add_paragraph(Paragraph::new());
    for text in &doc.paragraphs {
        docx = docx.add_paragraph(
            Paragraph::new()
                .add_run(run(text, BODY))
                .align(AlignmentType::Both)
                .indent(None, Some(SpecialIndentType::FirstLine(mm(10))), None, None)
                .line_spacing(LineSpacing::new().after(120)),
        );
    }
    for table in &doc.tables {
        let widths = table.column_widths(text_width);
        let columns = widths.len();
        let cell = |i: usize, text: &str, bold: bool, align: AlignmentType| {
            let r = run(text, TABLE);
            TableCell::new()
                .add_paragraph(Paragraph::new().add_run(if bold { r.bold() } else { r }).align(align))
                .width(widths[i.min(columns - 1)], WidthType::Dxa)
        };
        let align = |i: usize| {
            if i < table.text_columns {
                AlignmentType::Left
            } else {
                AlignmentType::Right
            }
        };
        let mut rows = vec![TableRow::new(
            table
                .header
                .iter()
                .enumerate()
                .map(|(i, h)| cell(i, h, true, AlignmentType::Center))
                .collect(),
        )];
        for row in &table.rows {
            rows.push(TableRow::new(
                row.iter()
                    .enumerate()
                    .map(|(i, c)| cell(i, c, false, align(i)))
                    .collect(),
            ));
        }
        docx = docx.add_paragraph(Paragraph::new());
        if !table.title.is_empty() {
            docx = docx.add_paragraph(centred(&table.title, BODY, true));
        }
        docx = docx.add_table(
            Table::new(rows)
                .set_grid(widths.clone())
                .width(text_width, WidthType::Dxa),
        );
    }
    if let Some(c) = &doc.chart {
        let (png, w, h) = chart::png(c)?;
        // The picture's size in EMU: the chart's size in points, 12.700 EMU each.
        let pic = Pic::new_with_dimensions(png, w, h).size(chart::WIDTH_PT * 12_700, chart::HEIGHT_PT * 12_700);
        docx = docx.add_paragraph(Paragraph::new()).add_paragraph(
            Paragraph::new()
                .add_run(Run::new().add_image(pic))
                .align(AlignmentType::Center),
        );
    }
    if !doc.signer.is_empty() {
        docx = docx.add_paragraph(Paragraph::new());
        let block: Vec<Paragraph> = doc.signer.iter().map(|line| centred(line, BODY, true)).collect();
        let mut copies = Vec::new();
        if !doc.recipients.is_empty() {
            copies.push(Paragraph::new().add_run(run("Nơi nhận:", 24).bold().italic()));
            copies.extend(
                doc.recipients
                    .iter()
                    .map(|r| Paragraph::new().add_run(run(&format!("- {r}"), 22))),
            );
        }
        let signature = Table::without_borders(vec![TableRow::new(vec![
            borderless_cell(
                if copies.is_empty() {
                    vec![Paragraph::new()]
                } else {
                    copies
                },
                text_width / 2,
            ),
            borderless_cell(block, text_width / 2),
        ])])
        .clear_all_border();
        docx = docx.add_table(signature);
    }
    let mut bytes = std::io::Cursor::new(Vec::new());
    docx.build()
        .pack(&mut bytes)
        .map_err(|e| ReportError::Read(format!("không đóng gói được tệp DOCX: {e}")))?;
    Ok(bytes.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document() -> OfficialDocument {
        OfficialDocument {
            issuer: vec![
                "ỦY BAN MTTQ VIỆT NAM THÀNH PHỐ HÀ NỘI".into(),
                "CỤM THI ĐUA SỐ 2".into(),
            ],
            number: "Số:     /BC-CTĐ".into(),
            place_date: "Hà Đông, ngày 25 tháng 7 năm 2022".into(),
            title: "BÁO CÁO".into(),
            subtitle: "Sơ kết công tác thi đua - khen thưởng 6 tháng đầu năm 2022".into(),
            paragraphs: vec![
                "Sáng 25/7, tại quận Hà Đông, …".into(),
                "tỷ lệ hỏa táng đạt 85,01%".into(),
            ],
            tables: vec![crate::document::FigureTable {
                title: "Phụ lục: Kết quả".into(),
                header: vec!["Chỉ tiêu".into(), "ĐVT".into(), "Toàn cụm".into()],
                rows: vec![vec!["Số cuộc tuyên truyền".into(), "cuộc".into(), "1.084".into()]],
                widths: vec![],
                text_columns: 2,
            }],
            chart: Some(crate::chart::BarChart {
                title: "Tỷ lệ hỏa táng theo đơn vị".into(),
                measure: "%".into(),
                bars: vec![crate::chart::Bar {
                    label: "Hà Đông".into(),
                    value: 98.2,
                }],
            }),
            signer: vec!["TM. CỤM THI ĐUA SỐ 2".into(), "CỤM TRƯỞNG".into()],
            recipients: vec!["Ủy ban MTTQ Việt Nam Thành phố".into(), "Lưu VP".into()],
        }
    }

    #[test]
    fn the_docx_parses_back_with_the_front_s_header_and_the_figures() {
        let bytes = write_docx(&document()).unwrap_or_else(|e| panic!("{e}"));
        let parsed = docx_rs::read_docx(&bytes).unwrap_or_else(|e| panic!("{e}"));
        let json = parsed.json();
        for text in [
            "ỦY BAN MTTQ VIỆT NAM THÀNH PHỐ HÀ NỘI",
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            "Độc lập - Tự do - Hạnh phúc",
            "Hà Đông, ngày 25 tháng 7 năm 2022",
            "Số:     /BC-CTĐ",
            "tỷ lệ hỏa táng đạt 85,01%",
            "1.084",
            "CỤM TRƯỞNG",
            "Liberation Serif",
        ] {
            assert!(json.contains(text), "{text} missing");
        }
    }

    #[test]
    fn the_page_is_a4_with_the_official_margins() {
        let bytes = write_docx(&document()).unwrap_or_else(|e| panic!("{e}"));
        let json = docx_rs::read_docx(&bytes).unwrap_or_else(|e| panic!("{e}")).json();
        let compact: String = json.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(compact.contains("\"w\":11906") && compact.contains("\"h\":16838"), "A4");
        assert!(
            compact.contains(&format!("\"left\":{}", mm(30))) && compact.contains(&format!("\"right\":{}", mm(15))),
            "margins"
        );
    }
}
