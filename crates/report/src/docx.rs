//! Văn bản hành chính — a report as a DOCX in the Front's document format: on the left
//! the issuing body in capitals and the document number, on the right the national
//! motto ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM / Độc lập - Tự do - Hạnh phúc") and the
//! place and date; the title centred; the body in a Times-metric serif at 14 pt, justified
//! with a first-line indent, on A4 with the margins of Nghị định 30/2020 (top and bottom
//! 20 mm, left 30 mm, right 15 mm); tables of figures; the signature block.
//!
//! The tables of figures are sized for what they hold, because Word and LibreOffice keep
//! the column widths the file gives them and cut a figure that does not fit ("10.26 /
//! 6,5"): each column is measured in Liberation Serif's own advance widths ([`lay_out`]),
//! a figure column as wide as its longest figure (figure cells also carry `w:noWrap`), a
//! text column at least as wide as its longest word, so names break only between words.
//! A table too wide for the portrait page goes on a landscape page of its own section;
//! one too wide for that is split into parts that each repeat the name columns. Header
//! rows repeat on each page (`w:tblHeader`) and no row is split across two pages.

use std::sync::LazyLock;

use ab_glyph::{Font, FontRef};
use docx_rs::{
    AlignmentType, Docx, LineSpacing, PageMargin, PageOrientationType, PageSize, Paragraph, Pic, Run, RunFonts,
    SectionProperty, SpecialIndentType, Table, TableCell, TableCellMargins, TableLayoutType, TableRow, VAlignType,
    WidthType,
};

use crate::ReportError;
use crate::chart;
use crate::document::{FigureTable, OfficialDocument};

/// The serif shipped with thidua (Times New Roman metrics); Word falls back to Times.
const FONT: &str = "Liberation Serif";
/// Sizes in half-points, as DOCX counts them.
const BODY: usize = 28;
const SMALL: usize = 26;
const TABLE: usize = 20;
/// The national name line, sized to fit its column on one line.
const MOTTO: usize = 24;
/// A4 in twentieths of a point (twips), portrait.
const A4: (u32, u32) = (11_906, 16_838);
/// Millimetres to twentieths of a point.
const fn mm(v: i32) -> i32 {
    v * 1440 * 10 / 254
}

/// A page's margins in twips.
#[derive(Debug, Clone, Copy)]
struct Page {
    landscape: bool,
    top: i32,
    bottom: i32,
    left: i32,
    right: i32,
}

/// The portrait page of Nghị định 30/2020: top and bottom 20 mm, left 30 mm (the bound
/// edge), right 15 mm.
const PORTRAIT: Page = Page {
    landscape: false,
    top: mm(20),
    bottom: mm(20),
    left: mm(30),
    right: mm(15),
};

/// A landscape page printed on the same sheet keeps each physical edge's margin: turned to
/// be read, the bound edge (30 mm) is its top, the portrait page's right edge its bottom.
const LANDSCAPE: Page = Page {
    landscape: true,
    top: mm(30),
    bottom: mm(15),
    left: mm(20),
    right: mm(20),
};

impl Page {
    fn size(self) -> (u32, u32) {
        if self.landscape { (A4.1, A4.0) } else { A4 }
    }

    /// The width between the margins, in twips.
    fn text_width(self) -> usize {
        usize::try_from(self.size().0 as i32 - self.left - self.right).unwrap_or(0)
    }

    fn margin(self) -> PageMargin {
        PageMargin::new()
            .top(self.top)
            .bottom(self.bottom)
            .left(self.left)
            .right(self.right)
    }

    /// The properties of a section on this page.
    fn section(self) -> SectionProperty {
        let (w, h) = self.size();
        let orient = if self.landscape {
            PageOrientationType::Landscape
        } else {
            PageOrientationType::Portrait
        };
        SectionProperty::new()
            .page_size(PageSize::new().size(w, h).orient(orient))
            .page_margin(self.margin())
    }
}

/// A table cell's padding left and right, in twips (4 pt, the PDF's inset).
const CELL_PAD: usize = 80;
/// A table cell's padding above and below, in twips.
const CELL_PAD_V: usize = 30;

/// Liberation Serif's regular and bold faces, read once from the copies compiled in.
static FACES: LazyLock<Option<(FontRef<'static>, FontRef<'static>)>> = LazyLock::new(|| {
    Some((
        FontRef::try_from_slice(crate::fonts::REGULAR).ok()?,
        FontRef::try_from_slice(crate::fonts::BOLD).ok()?,
    ))
});

/// How wide `text` is set on one line at `size` half-points, in twips: the sum of the
/// glyphs' advances. Kerning is left out: the faces' pairs only ever narrow a line (none
/// is positive among the Vietnamese letters, digits and marks).
pub fn text_width(text: &str, size: usize, bold: bool) -> usize {
    // One em is `size` half-points, ten twips each.
    let em = (size * 10) as f32;
    match FACES.as_ref() {
        Some((regular, heavy)) => {
            let face = if bold { heavy } else { regular };
            let per_em = face.units_per_em().unwrap_or(2048.0);
            let units: f32 = text.chars().map(|c| face.h_advance_unscaled(face.glyph_id(c))).sum();
            (units * em / per_em).ceil() as usize
        }
        // Not expected (the faces are compiled in): 0,6 em a character is well above the
        // average of Vietnamese text and figures in a Times-metric serif (digits are 0,5).
        None => (text.chars().count() as f32 * em * 0.6).ceil() as usize,
    }
}

/// A column's width from the text it must hold: its padding on both sides, a border, and
/// a fortieth for the rounding of glyph positions in Word and LibreOffice.
fn padded(text: usize) -> usize {
    text + text / 40 + 2 * CELL_PAD + 20
}

/// What a column needs, in twips: `min` so that nothing in it is cut (its widest figure,
/// its longest word), `max` to set each of its cells on one line.
#[derive(Debug, Clone, Copy)]
struct Need {
    min: usize,
    max: usize,
}

fn needs(table: &FigureTable) -> Vec<Need> {
    let columns = table
        .rows
        .iter()
        .map(Vec::len)
        .chain([table.header.len()])
        .max()
        .unwrap_or(0);
    let longest_word = |text: &str, bold: bool| {
        text.split_whitespace()
            .map(|w| text_width(w, TABLE, bold))
            .max()
            .unwrap_or(0)
    };
    (0..columns)
        .map(|c| {
            let head = table.header.get(c).map_or("", String::as_str);
            let mut min = longest_word(head, true);
            let mut max = text_width(head, TABLE, true);
            for text in table.rows.iter().filter_map(|r| r.get(c)) {
                let whole = text_width(text, TABLE, false);
                // A figure is never broken; a text, or a figure in words ("trên 1,2 tỷ
                // đồng"), breaks between its words.
                min = min.max(if no_wrap(table, c, text) {
                    whole
                } else {
                    longest_word(text, false)
                });
                max = max.max(whole);
            }
            let (mut min, max) = (padded(min), padded(max));
            if c < table.text_columns && table.widths.len() != table.header.len() {
                // A name column of the figures layout is not squeezed to a word a line:
                // it gets a fifth of the portrait page, or what its longest name needs.
                min = min.max(max.min(PORTRAIT.text_width() / 5));
            }
            Need { min, max }
        })
        .collect()
}

/// Whether the cell `text` of column `c` is a figure set on one line: a figure column's
/// cell of one word ("10.266,5", "85,01", "95%").
fn no_wrap(table: &FigureTable, c: usize, text: &str) -> bool {
    c >= table.text_columns && !text.trim().contains(char::is_whitespace)
}

/// How one table of figures is laid out on the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableLayout {
    /// Whether it goes on a landscape page (it is too wide for a portrait one).
    pub landscape: bool,
    /// The parts it is printed in, each its columns left to right: one part when the
    /// table fits the page's width, else several, each repeating the text columns.
    pub parts: Vec<Vec<usize>>,
    /// Each part's column widths in twips, adding up to the page's text width.
    pub widths: Vec<Vec<usize>>,
}

/// Lays out `table`: on the portrait page when every column fits there at its `min`, else
/// on a landscape page, else split into the fewest parts of about equal width that each
/// fit a landscape page. The room left over goes to the columns that wrap, in proportion
/// to what they would need to hold each cell on one line (or in the table's own
/// proportions, when it gives them).
pub fn lay_out(table: &FigureTable) -> TableLayout {
    let needs = needs(table);
    let all: Vec<usize> = (0..needs.len()).collect();
    let least = |columns: &[usize]| columns.iter().map(|&c| needs[c].min).sum::<usize>();
    for page in [PORTRAIT, LANDSCAPE] {
        if least(&all) <= page.text_width() {
            return TableLayout {
                landscape: page.landscape,
                widths: vec![share(table, &needs, &all, page.text_width())],
                parts: vec![all],
            };
        }
    }
    let width = LANDSCAPE.text_width();
    let text: Vec<usize> = all[..table.text_columns.min(all.len())].to_vec();
    let figures = &all[text.len()..];
    let parts: Vec<Vec<usize>> = if figures.is_empty() {
        // Text alone wider than a landscape page: squeezed, broken between words.
        vec![all.clone()]
    } else {
        (2..=figures.len())
            .find_map(|count| {
                let parts: Vec<Vec<usize>> = figures
                    .chunks(figures.len().div_ceil(count))
                    .map(|chunk| text.iter().chain(chunk).copied().collect())
                    .collect();
                parts.iter().all(|p| least(p) <= width).then_some(parts)
            })
            .unwrap_or_else(|| {
                figures
                    .iter()
                    .map(|&f| text.iter().copied().chain([f]).collect())
                    .collect()
            })
    };
    TableLayout {
        landscape: true,
        widths: parts.iter().map(|p| share(table, &needs, p, width)).collect(),
        parts,
    }
}

/// Shares `width` among `columns`: each gets its `min`, then the rest is shared.
fn share(table: &FigureTable, needs: &[Need], columns: &[usize], width: usize) -> Vec<usize> {
    let min: Vec<usize> = columns.iter().map(|&c| needs[c].min).collect();
    let max: Vec<usize> = columns.iter().map(|&c| needs[c].max).collect();
    let (least, most) = (min.iter().sum::<usize>(), max.iter().sum::<usize>());
    let mut widths = if least >= width {
        // Only when even one figure column beside the text columns is too wide.
        scaled(&min, width)
    } else if table.widths.len() == table.header.len() {
        let weights: Vec<usize> = columns
            .iter()
            .map(|&c| table.widths.get(c).map_or(1, |w| (*w as usize).max(1)))
            .collect();
        proportional(&min, &weights, width)
    } else if most <= width {
        scaled(&max, width)
    } else {
        let (room, wanted) = (width - least, most - least);
        min.iter()
            .zip(&max)
            .map(|(lo, hi)| lo + (hi - lo) * room / wanted)
            .collect()
    };
    // What the divisions rounded away goes to the first column.
    let total: usize = widths.iter().sum();
    if let Some(first) = widths.first_mut() {
        *first = (*first + width).saturating_sub(total);
    }
    widths
}

fn scaled(values: &[usize], width: usize) -> Vec<usize> {
    let sum = values.iter().sum::<usize>().max(1);
    values.iter().map(|v| v * width / sum).collect()
}

/// Widths in proportion to `weights`, none under its `min`: a column whose share would
/// be less gets its `min`, and the others share what is left, until all fit.
fn proportional(min: &[usize], weights: &[usize], width: usize) -> Vec<usize> {
    let mut fixed = vec![false; min.len()];
    loop {
        let room = width.saturating_sub((0..min.len()).filter(|&i| fixed[i]).map(|i| min[i]).sum());
        let weight: usize = (0..min.len()).filter(|&i| !fixed[i]).map(|i| weights[i]).sum();
        if weight == 0 {
            return min.to_vec();
        }
        let short: Vec<usize> = (0..min.len())
            .filter(|&i| !fixed[i] && weights[i] * room / weight < min[i])
            .collect();
        if short.is_empty() {
            return (0..min.len())
                .map(|i| if fixed[i] { min[i] } else { weights[i] * room / weight })
                .collect();
        }
        for i in short {
            fixed[i] = true;
        }
    }
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

/// What `write_docx` adds to a table row that docx-rs cannot write: whether it is a
/// header row (`w:tblHeader`), and which of its cells must not wrap (`w:noWrap`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct RowMark {
    header: bool,
    no_wrap: Vec<bool>,
}

impl RowMark {
    fn plain(cells: usize) -> RowMark {
        RowMark {
            header: false,
            no_wrap: vec![false; cells],
        }
    }
}

/// One part of a table of figures, with the marks of its rows appended to `marks`.
fn figure_table(table: &FigureTable, columns: &[usize], widths: &[usize], marks: &mut Vec<RowMark>) -> Table {
    let cell = |width: usize, text: &str, bold: bool, align: AlignmentType| {
        let r = run(text, TABLE);
        TableCell::new()
            .add_paragraph(
                Paragraph::new()
                    .add_run(if bold { r.bold() } else { r })
                    .size(TABLE)
                    .align(align),
            )
            .width(width, WidthType::Dxa)
    };
    let header = TableRow::new(
        columns
            .iter()
            .zip(widths)
            .map(|(&c, &w)| {
                cell(
                    w,
                    table.header.get(c).map_or("", String::as_str),
                    true,
                    AlignmentType::Center,
                )
                .vertical_align(VAlignType::Center)
            })
            .collect(),
    )
    .cant_split();
    marks.push(RowMark {
        header: true,
        no_wrap: vec![false; columns.len()],
    });
    let mut rows = vec![header];
    for row in &table.rows {
        rows.push(
            TableRow::new(
                columns
                    .iter()
                    .zip(widths)
                    .map(|(&c, &w)| {
                        let align = if c < table.text_columns {
                            AlignmentType::Left
                        } else {
                            AlignmentType::Right
                        };
                        cell(w, row.get(c).map_or("", String::as_str), false, align)
                    })
                    .collect(),
            )
            .cant_split(),
        );
        marks.push(RowMark {
            header: false,
            no_wrap: columns
                .iter()
                .map(|&c| no_wrap(table, c, row.get(c).map_or("", String::as_str)))
                .collect(),
        });
    }
    Table::new(rows)
        .set_grid(widths.to_vec())
        .width(widths.iter().sum(), WidthType::Dxa)
        .layout(TableLayoutType::Fixed)
        .margins(TableCellMargins::new().margin(CELL_PAD_V, CELL_PAD, CELL_PAD_V, CELL_PAD))
}

/// Adds to `document` (docx-rs's `word/document.xml`) the header and no-wrap marks of its
/// table rows, given in document order, one for every `<w:tr>`: `<w:tblHeader />` in the
/// row's properties, `<w:noWrap />` after the cell's width, where the schema puts it.
fn mark_rows(document: &[u8], marks: &[RowMark]) -> Result<Vec<u8>, ReportError> {
    let mismatch = || ReportError::Read("không đánh dấu được các hàng của bảng trong tệp DOCX".into());
    let xml = std::str::from_utf8(document).map_err(|_| mismatch())?;
    let mut pieces = xml.split("<w:tr>");
    let mut out = String::with_capacity(xml.len() + marks.len() * 64);
    out.push_str(pieces.next().unwrap_or_default());
    let mut marks = marks.iter();
    for piece in pieces {
        let mark = marks.next().ok_or_else(mismatch)?;
        out.push_str("<w:tr>");
        let piece = if mark.header {
            if let Some(rest) = piece.strip_prefix("<w:trPr />") {
                format!("<w:trPr><w:tblHeader /></w:trPr>{rest}")
            } else if let Some(rest) = piece.strip_prefix("<w:trPr>") {
                format!("<w:trPr><w:tblHeader />{rest}")
            } else {
                return Err(mismatch());
            }
        } else {
            piece.to_owned()
        };
        let mut cells = piece.split("<w:tc>");
        out.push_str(cells.next().unwrap_or_default());
        let mut no_wrap = mark.no_wrap.iter();
        for cell in cells {
            out.push_str("<w:tc>");
            if *no_wrap.next().ok_or_else(mismatch)? {
                let width = cell.find("<w:tcW ").ok_or_else(mismatch)?;
                let end = width + cell[width..].find("/>").ok_or_else(mismatch)? + 2;
                out.push_str(&cell[..end]);
                out.push_str("<w:noWrap />");
                out.push_str(&cell[end..]);
            } else {
                out.push_str(cell);
            }
        }
        if no_wrap.next().is_some() {
            return Err(mismatch());
        }
    }
    if marks.next().is_some() {
        return Err(mismatch());
    }
    Ok(out.into_bytes())
}

/// A signature block's paragraphs: its lines in bold capitals, room to sign, the name in
/// bold — or the placeholder, in italics, when no signer is recorded.
fn signature_block(signature: &crate::document::Signature) -> Vec<Paragraph> {
    let mut block: Vec<Paragraph> = signature.lines.iter().map(|line| centred(line, BODY, true)).collect();
    block.extend((0..4).map(|_| Paragraph::new()));
    let name = run(&signature.name, BODY);
    block.push(
        Paragraph::new()
            .add_run(if signature.recorded { name.bold() } else { name.italic() })
            .align(AlignmentType::Center),
    );
    block
}

/// Writes the document as DOCX bytes.
pub fn write_docx(doc: &OfficialDocument) -> Result<Vec<u8>, ReportError> {
    let text_width = PORTRAIT.text_width();
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
    let mut marks = vec![RowMark::plain(2)];

    let (page_w, page_h) = PORTRAIT.size();
    let mut docx = Docx::new()
        .page_size(page_w, page_h)
        .page_margin(PORTRAIT.margin())
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
    // The page the content is on now; a section ends with a paragraph carrying its page.
    let mut page = PORTRAIT;
    for table in &doc.tables {
        let layout = lay_out(table);
        if layout.landscape != page.landscape {
            docx = docx.add_paragraph(Paragraph::new().section_property(page.section()));
            page = if layout.landscape { LANDSCAPE } else { PORTRAIT };
        }
        for (i, (columns, widths)) in layout.parts.iter().zip(&layout.widths).enumerate() {
            // The title stays with its table; a continued part starts a page of its own.
            if i == 0 {
                docx = docx.add_paragraph(Paragraph::new());
                if !table.title.is_empty() {
                    docx = docx.add_paragraph(centred(&table.title, BODY, true).keep_next(true));
                }
            } else {
                let title = if table.title.is_empty() {
                    "(tiếp theo)".to_owned()
                } else {
                    format!("{} (tiếp theo)", table.title)
                };
                docx = docx.add_paragraph(centred(&title, BODY, true).keep_next(true).page_break_before(true));
            }
            docx = docx.add_table(figure_table(table, columns, widths, &mut marks));
        }
    }
    let more = doc.chart.is_some() || !doc.signatures.is_empty();
    if page.landscape {
        if more {
            docx = docx.add_paragraph(Paragraph::new().section_property(page.section()));
        } else {
            // Nothing follows the landscape table: the last section is its page.
            let (w, h) = LANDSCAPE.size();
            docx = docx
                .page_size(w, h)
                .page_orient(PageOrientationType::Landscape)
                .page_margin(LANDSCAPE.margin());
        }
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
    if !doc.signatures.is_empty() {
        docx = docx.add_paragraph(Paragraph::new());
        let mut copies = Vec::new();
        if !doc.recipients.is_empty() {
            copies.push(Paragraph::new().add_run(run("Nơi nhận:", 24).bold().italic()));
            copies.extend(
                doc.recipients
                    .iter()
                    .map(|r| Paragraph::new().add_run(run(&format!("- {r}"), 22))),
            );
        }
        if let [only] = doc.signatures.as_slice() {
            // One signer: the recipients on the left, the signature on the right.
            let left = if copies.is_empty() {
                vec![Paragraph::new()]
            } else {
                copies
            };
            let signature = Table::without_borders(vec![TableRow::new(vec![
                borderless_cell(left, text_width / 2),
                borderless_cell(signature_block(only), text_width / 2),
            ])])
            .clear_all_border();
            docx = docx.add_table(signature);
            marks.push(RowMark::plain(2));
        } else {
            // Several signers side by side (a record: the secretary, the chair), the
            // recipients under them.
            let n = doc.signatures.len();
            let signatures = Table::without_borders(vec![TableRow::new(
                doc.signatures
                    .iter()
                    .map(|s| borderless_cell(signature_block(s), text_width / n))
                    .collect(),
            )])
            .clear_all_border();
            docx = docx.add_table(signatures);
            marks.push(RowMark::plain(n));
            for p in copies {
                docx = docx.add_paragraph(p);
            }
        }
    }
    let mut xml = docx.build();
    xml.document = mark_rows(&xml.document, &marks)?;
    let mut bytes = std::io::Cursor::new(Vec::new());
    xml.pack(&mut bytes)
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
            tables: vec![FigureTable {
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
                    value: Some(98.2),
                }],
            }),
            signatures: vec![crate::document::Signature::named(
                vec!["TM. CỤM THI ĐUA SỐ 2".into(), "CỤM TRƯỞNG".into()],
                "Nguyễn Văn An",
            )],
            recipients: vec!["Ủy ban MTTQ Việt Nam Thành phố".into(), "Lưu VP".into()],
        }
    }

    #[test]
    fn the_docx_parses_back_with_the_front_s_header_and_the_figures() {
        let bytes = write_docx(&document()).unwrap();
        let parsed = docx_rs::read_docx(&bytes).unwrap();
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
            "Nguyễn Văn An",
            "Liberation Serif",
        ] {
            assert!(json.contains(text), "{text} missing");
        }
    }

    /// The review's table for `members` units, its figures as wide as the demo's widest.
    fn members_table(members: usize) -> FigureTable {
        let mut header = vec!["Chỉ tiêu".to_owned(), "ĐVT".to_owned()];
        header.extend((0..members).map(|i| ["Thanh Xuân", "Bắc Từ Liêm", "Hà Đông"][i % 3].to_owned()));
        header.push("Toàn cụm".into());
        let row = |name: &str, measure: &str, figure: &str| {
            let mut row = vec![name.to_owned(), measure.to_owned()];
            row.extend((0..=members).map(|_| figure.to_owned()));
            row
        };
        FigureTable {
            title: "KẾT QUẢ".into(),
            header,
            rows: vec![
                row("Ủng hộ Quỹ \"Vì biển, đảo Việt Nam\"", "triệu đồng", "10.266,5"),
                row(
                    "Số cuộc đối thoại trực tiếp giữa người đứng đầu cấp ủy và chính quyền với Nhân dân",
                    "cuộc",
                    "1.084",
                ),
            ],
            widths: vec![],
            text_columns: 2,
        }
    }

    fn document_xml(bytes: &[u8]) -> String {
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut part = archive.by_name("word/document.xml").unwrap();
        let mut xml = String::new();
        std::io::Read::read_to_string(&mut part, &mut xml).unwrap();
        xml
    }

    #[test]
    fn widths_are_liberation_serif_s_own_advances() {
        // Its digits are half an em, its full stop and comma a quarter: at 10 pt (200
        // twips an em) "10.266,5" is six digits of 100 twips and two marks of 50.
        assert_eq!(text_width("10.266,5", TABLE, false), 700);
        assert_eq!(text_width("", TABLE, false), 0);
        assert!(text_width("Xuân", TABLE, true) > text_width("Xuân", TABLE, false));
        assert!(text_width("Thanh Xuân", TABLE, false) > text_width("Thanh", TABLE, false));
    }

    #[test]
    fn each_figure_column_holds_its_widest_figure_and_each_name_column_its_longest_word() {
        for members in [6, 10, 20] {
            let table = members_table(members);
            let layout = lay_out(&table);
            for (columns, widths) in layout.parts.iter().zip(&layout.widths) {
                let page = if layout.landscape { LANDSCAPE } else { PORTRAIT };
                assert_eq!(widths.iter().sum::<usize>(), page.text_width(), "{members} members");
                for (&c, &w) in columns.iter().zip(widths) {
                    for text in table
                        .rows
                        .iter()
                        .map(|r| r[c].as_str())
                        .chain([table.header[c].as_str()])
                    {
                        let bold = text == table.header[c];
                        let unbroken = if c >= table.text_columns && !bold {
                            text_width(text, TABLE, false)
                        } else {
                            text.split_whitespace()
                                .map(|word| text_width(word, TABLE, bold))
                                .max()
                                .unwrap_or(0)
                        };
                        assert!(
                            w >= unbroken + 2 * CELL_PAD,
                            "{members} members: column {c} is {w} twips, «{text}» needs {unbroken}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn the_demo_s_six_members_fit_a_portrait_page_ten_go_landscape_and_twenty_are_split() {
        let six = lay_out(&members_table(6));
        assert!(!six.landscape);
        assert_eq!(six.parts, vec![(0..9).collect::<Vec<_>>()]);
        let ten = lay_out(&members_table(10));
        assert!(ten.landscape);
        assert_eq!(ten.parts.len(), 1);
        let twenty = lay_out(&members_table(20));
        assert!(twenty.landscape);
        assert_eq!(twenty.parts.len(), 2, "{:?}", twenty.parts);
        // Each part repeats the name and measure columns; together they hold every
        // figure column once, in order.
        assert!(twenty.parts.iter().all(|p| p[..2] == [0, 1]));
        let figures: Vec<usize> = twenty.parts.iter().flat_map(|p| p[2..].to_vec()).collect();
        assert_eq!(figures, (2..23).collect::<Vec<_>>());
    }

    #[test]
    fn given_proportions_are_kept_but_no_column_is_narrower_than_its_longest_word() {
        let table = FigureTable {
            title: String::new(),
            header: vec!["TT".into(), "Đơn vị".into(), "Số phiếu xếp thứ nhất".into()],
            rows: vec![vec!["1".into(), "quận Nam Từ Liêm".into(), "12".into()]],
            widths: vec![1, 30, 30],
            text_columns: 2,
        };
        let widths = &lay_out(&table).widths[0];
        // "TT" would get a sixtieth of the page; it gets what it needs, and the two others
        // share the rest equally (the first column also takes what rounding left).
        assert!(widths[0] >= text_width("TT", TABLE, true) + 2 * CELL_PAD, "{widths:?}");
        assert!(widths[0] < PORTRAIT.text_width() / 10, "{widths:?}");
        assert_eq!(widths[1], widths[2], "{widths:?}");
    }

    #[test]
    fn header_rows_repeat_on_each_page_and_figure_cells_do_not_wrap() {
        let mut doc = document();
        doc.tables = vec![members_table(6), members_table(20)];
        let xml = document_xml(&write_docx(&doc).unwrap());
        // One header row for the first table, one for each of the second's two parts.
        assert_eq!(xml.matches("<w:tblHeader />").count(), 3);
        assert!(xml.contains("<w:trPr><w:tblHeader /><w:cantSplit /></w:trPr>"));
        // Every figure cell: 7 of each row of the first table, 21 of the second's.
        assert_eq!(xml.matches("<w:noWrap />").count(), 2 * 7 + 2 * 21);
        // Where the schema wants it: right after the cell's width.
        assert!(xml.contains("w:type=\"dxa\" /><w:noWrap /></w:tcPr>"), "{xml}");
        assert!(xml.contains("<w:tblLayout w:type=\"fixed\" />"));
    }

    #[test]
    fn a_table_too_wide_for_portrait_gets_a_landscape_section_and_the_signature_a_portrait_one() {
        let mut doc = document();
        doc.tables = vec![members_table(10)];
        let xml = document_xml(&write_docx(&doc).unwrap());
        let at = |text: &str| xml.find(text).unwrap_or_else(|| panic!("no {text}: {xml}"));
        // A portrait section ends before the table's title; the landscape one (A4 turned)
        // after the table and before the signature, whose section, the body's last, is
        // portrait.
        let portrait_end = at("<w:pgSz w:w=\"11906\" w:h=\"16838\" w:orient=\"portrait\" />");
        let landscape_end = at("<w:pgSz w:w=\"16838\" w:h=\"11906\" w:orient=\"landscape\" />");
        let (title, figures, signature) = (at(">KẾT QUẢ<"), at("10.266,5"), at("CỤM TRƯỞNG"));
        assert!(portrait_end < title && title < figures && figures < landscape_end && landscape_end < signature);
        assert!(
            xml[landscape_end..].contains("<w:pgMar w:top=\"1700\" w:right=\"1133\" w:bottom=\"850\" w:left=\"1133\"")
        );
        let last = xml.rfind("<w:pgSz").unwrap_or_default();
        assert!(
            xml[last..].starts_with("<w:pgSz w:w=\"11906\" w:h=\"16838\""),
            "{}",
            &xml[last..]
        );
    }

    #[test]
    fn the_national_motto_fits_its_column_on_one_line() {
        let column = PORTRAIT.text_width() * 62 / 100;
        assert!(text_width("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", MOTTO, true) + 2 * 115 < column);
    }

    #[test]
    fn marks_that_do_not_match_the_rows_are_an_error_not_a_panic() {
        let xml =
            b"<w:tbl><w:tr><w:trPr /><w:tc><w:tcPr><w:tcW w:w=\"1\" w:type=\"dxa\" /></w:tcPr></w:tc></w:tr></w:tbl>";
        let one = |no_wrap: Vec<bool>| RowMark { header: true, no_wrap };
        assert!(mark_rows(xml, &[]).is_err());
        assert!(mark_rows(xml, &[one(vec![]), one(vec![])]).is_err());
        assert!(mark_rows(xml, &[one(vec![true, true])]).is_err());
        let marked = mark_rows(xml, &[one(vec![true])]).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&marked),
            "<w:tbl><w:tr><w:trPr><w:tblHeader /></w:trPr><w:tc><w:tcPr><w:tcW w:w=\"1\" w:type=\"dxa\" /><w:noWrap /></w:tcPr></w:tc></w:tr></w:tbl>"
        );
    }

    #[test]
    fn the_page_is_a4_with_the_official_margins() {
        let bytes = write_docx(&document()).unwrap();
        let json = docx_rs::read_docx(&bytes).unwrap().json();
        let compact: String = json.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(compact.contains("\"w\":11906") && compact.contains("\"h\":16838"), "A4");
        assert!(
            compact.contains(&format!("\"left\":{}", mm(30))) && compact.contains(&format!("\"right\":{}", mm(15))),
            "margins"
        );
    }
}
