//! Biểu mẫu Excel — a unit's form for a period as an XLSX workbook: one sheet, one row
//! per reported indicator (code, name, measure, value), then the narrative sections.
//! Only the value cells are unlocked. Reading a filled workbook back applies the same
//! rules as the web form — every value is read against its indicator — and every bad
//! cell is named ("trang «Biểu mẫu», ô D7: …"); the caller writes all or nothing.
//! An upload is bounded before it is read ([`crate::xlsx_bounds`]): the archive's sizes
//! first, then the sheet cell by cell into a sparse map — never a dense range, which a
//! workbook naming cell XFD1048576 would blow up to 512 GiB. Reading is CPU work of up to
//! a fraction of a second: callers on an async runtime run it on a blocking thread.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Cursor;

use calamine::{Data, Xlsx, open_workbook_from_rs};
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook};
use thidua_core::{Catalog, IndicatorCode, Period, Value, ValueType};

use crate::ReportError;
use crate::xlsx_bounds::{self, cell_name};

/// The sheet's name.
pub const SHEET: &str = "Biểu mẫu";
/// The header of the code column, which marks where the indicator rows start.
const CODE_HEADER: &str = "Mã chỉ tiêu";
/// Codes of the narrative rows, in the code column.
const NARRATIVE: [(&str, &str); 3] = [
    ("#KET_QUA", "Kết quả nổi bật"),
    ("#HAN_CHE", "Hạn chế"),
    ("#PHUONG_HUONG", "Phương hướng kỳ tới"),
];

/// A wrong cell of an uploaded workbook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellError {
    /// The cell, e.g. `D7`; empty when the whole file is at fault.
    pub cell: String,
    /// What is wrong.
    pub reason: String,
}

impl fmt::Display for CellError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.cell.is_empty() {
            write!(f, "trang «{SHEET}»: {}", self.reason)
        } else {
            write!(f, "trang «{SHEET}», ô {}: {}", self.cell, self.reason)
        }
    }
}

/// What goes into the workbook.
pub struct FormSheet<'a> {
    /// Unit code.
    pub unit_code: &'a str,
    /// Unit name.
    pub unit_name: &'a str,
    /// The period.
    pub period: Period,
    /// The catalog (reported indicators become rows).
    pub catalog: &'a Catalog,
    /// The values typed so far.
    pub values: &'a BTreeMap<IndicatorCode, Value>,
    /// Kết quả nổi bật, hạn chế, phương hướng.
    pub narrative: [&'a str; 3],
}

/// A workbook read back.
#[derive(Debug, Clone, PartialEq)]
pub struct FilledForm {
    /// Every reported indicator with its value, `None` when the cell is empty.
    pub values: BTreeMap<IndicatorCode, Option<Value>>,
    /// Kết quả nổi bật, hạn chế, phương hướng.
    pub narrative: [String; 3],
}

/// Writes the form as an XLSX workbook.
pub fn write_form(form: &FormSheet<'_>) -> Result<Vec<u8>, ReportError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(SHEET)?;
    let title = Format::new().set_bold().set_font_size(13);
    let header = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_background_color("F3EEEB");
    let locked = Format::new().set_border(FormatBorder::Thin).set_text_wrap();
    let input = Format::new()
        .set_border(FormatBorder::Thin)
        .set_unlocked()
        .set_background_color("FFF4E5")
        .set_align(FormatAlign::Right);
    let text_input = Format::new()
        .set_border(FormatBorder::Thin)
        .set_unlocked()
        .set_text_wrap()
        .set_background_color("FFF4E5");
    sheet.set_column_width(0, 22)?;
    sheet.set_column_width(1, 60)?;
    sheet.set_column_width(2, 12)?;
    sheet.set_column_width(3, 22)?;
    sheet.write_string_with_format(
        0,
        0,
        format!("Báo cáo {} — {}", form.period.label_vi(), form.unit_name),
        &title,
    )?;
    sheet.write_string(1, 0, "Mã đơn vị")?;
    sheet.write_string(1, 1, form.unit_code)?;
    sheet.write_string(2, 0, "Kỳ báo cáo")?;
    sheet.write_string(2, 1, form.period.code())?;
    sheet.write_string(
        3,
        1,
        "Nhập số vào cột «Giá trị» (ví dụ 1.084; 85,01; 1,2 tỷ). Không sửa cột «Mã chỉ tiêu».",
    )?;
    let first = 5u32;
    for (col, text) in [CODE_HEADER, "Chỉ tiêu", "Đơn vị tính", "Giá trị"]
        .into_iter()
        .enumerate()
    {
        sheet.write_string_with_format(first - 1, col as u16, text, &header)?;
    }
    let mut row = first;
    for indicator in form.catalog.indicators().iter().filter(|i| !i.is_computed()) {
        sheet.write_string_with_format(row, 0, indicator.code.as_str(), &locked)?;
        sheet.write_string_with_format(row, 1, &indicator.name, &locked)?;
        sheet.write_string_with_format(row, 2, &indicator.measure, &locked)?;
        match form.values.get(&indicator.code) {
            Some(Value::Whole(n)) => {
                sheet.write_number_with_format(row, 3, *n as f64, &input.clone().set_num_format("#,##0"))?
            }
            Some(Value::Decimal(x)) => {
                sheet.write_number_with_format(row, 3, *x, &input.clone().set_num_format("0.00"))?
            }
            Some(Value::Text(t)) => sheet.write_string_with_format(row, 3, t, &text_input)?,
            None => sheet.write_blank(row, 3, &input)?,
        };
        row += 1;
    }
    row += 1;
    for ((code, label), text) in NARRATIVE.iter().zip(form.narrative) {
        sheet.write_string_with_format(row, 0, *code, &locked)?;
        sheet.write_string_with_format(row, 1, *label, &locked)?;
        sheet.merge_range(row, 2, row, 3, "", &text_input)?;
        sheet.write_string_with_format(row, 2, text, &text_input)?;
        sheet.set_row_height(row, 60)?;
        row += 1;
    }
    // Protect the structure so codes are not edited by mistake; no password, since
    // this guards against slips, not people.
    sheet.protect();
    Ok(workbook.save_to_buffer()?)
}

/// The text of a cell as a person typed it: whole numbers without ".0".
fn cell_text(data: &Data) -> String {
    match data {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_owned(),
        Data::Int(n) => n.to_string(),
        Data::Float(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => format!("{}", *x as i64),
        Data::Float(x) => x.to_string(),
        Data::Bool(b) => b.to_string(),
        other => other.to_string(),
    }
}

/// The cells of the form's sheet that hold something, by 0-based (row, column): only
/// what the file lists, within the bounds of [`xlsx_bounds`].
fn read_cells(bytes: &[u8]) -> Result<BTreeMap<(u32, u32), Data>, ReportError> {
    xlsx_bounds::check_archive(bytes)?;
    let mut workbook: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e| ReportError::Read(format!("tệp không phải là bảng tính Excel (.xlsx) hợp lệ ({e})")))?;
    let mut reader = workbook
        .worksheet_cells_reader(SHEET)
        .map_err(|_| ReportError::Read(format!("không có trang «{SHEET}» — hãy dùng tệp mẫu tải về từ thidua")))?;
    let (last_row, last_col) = reader.dimensions().end;
    xlsx_bounds::check_dimension(last_row, last_col)?;
    let mut cells = BTreeMap::new();
    let mut seen = 0usize;
    let unreadable = |e: calamine::XlsxError| ReportError::Read(format!("trang «{SHEET}» bị hỏng ({e})"));
    while let Some(cell) = reader.next_cell().map_err(unreadable)? {
        seen += 1;
        let (row, col) = cell.get_position();
        xlsx_bounds::check_cell(row, col, seen)?;
        let value = Data::from(cell.get_value().clone());
        if value != Data::Empty {
            cells.insert((row, col), value);
        }
    }
    Ok(cells)
}

/// Reads a filled workbook for `unit_code` and `period`, against `catalog`. The file is
/// first held to the bounds of [`xlsx_bounds`] (refused as [`ReportError::Bounds`]).
pub fn read_form(bytes: &[u8], unit_code: &str, period: Period, catalog: &Catalog) -> Result<FilledForm, ReportError> {
    let cells = read_cells(bytes)?;
    let at = |r: u32, c: u32| -> String { cells.get(&(r, c)).map(cell_text).unwrap_or_default() };
    let mut errors = Vec::new();
    let fail = |errors: &mut Vec<CellError>, r: u32, c: u32, reason: String| {
        errors.push(CellError {
            cell: cell_name(r, c),
            reason,
        })
    };
    let height = cells.keys().next_back().map_or(0, |&(r, _)| r);
    // Which unit and period the file says it is for: a workbook of another unit must not
    // land in this form.
    let mut header_row = None;
    for r in 0..=height {
        match at(r, 0).as_str() {
            "Mã đơn vị" if at(r, 1) != unit_code => fail(
                &mut errors,
                r,
                1,
                format!("tệp của đơn vị «{}», không phải {unit_code}", at(r, 1)),
            ),
            "Kỳ báo cáo" if at(r, 1) != period.code() => fail(
                &mut errors,
                r,
                1,
                format!("tệp của kỳ «{}», không phải {}", at(r, 1), period.code()),
            ),
            CODE_HEADER => {
                header_row = Some(r);
                break;
            }
            _ => {}
        }
    }
    let Some(header_row) = header_row else {
        return Err(ReportError::Cells(vec![CellError {
            cell: String::new(),
            reason: format!("không thấy dòng tiêu đề «{CODE_HEADER}» — hãy dùng tệp mẫu tải về từ thidua"),
        }]));
    };
    let mut values = BTreeMap::new();
    let mut narrative: [String; 3] = Default::default();
    for r in header_row + 1..=height {
        let code = at(r, 0);
        if code.is_empty() {
            continue;
        }
        if let Some(i) = NARRATIVE.iter().position(|(c, _)| *c == code) {
            narrative[i] = thidua_core::text::nfc(&at(r, 2));
            continue;
        }
        let Some(indicator) = IndicatorCode::parse(&code).ok().and_then(|c| catalog.get(&c)) else {
            fail(
                &mut errors,
                r,
                0,
                format!("mã chỉ tiêu «{code}» không có trong danh mục"),
            );
            continue;
        };
        if indicator.is_computed() {
            fail(
                &mut errors,
                r,
                0,
                format!("chỉ tiêu {code} được tính theo công thức, không nhập"),
            );
            continue;
        }
        if values.contains_key(&indicator.code) {
            fail(&mut errors, r, 0, format!("chỉ tiêu {code} xuất hiện hai lần"));
            continue;
        }
        let raw = at(r, 3);
        if raw.is_empty() {
            values.insert(indicator.code.clone(), None);
            continue;
        }
        let raw = if indicator.value_type == ValueType::Text {
            raw
        } else {
            raw.replace(['\u{a0}', ' '], " ")
        };
        match Value::parse(&raw, indicator.value_type) {
            Ok(v) => {
                values.insert(indicator.code.clone(), Some(v));
            }
            Err(e) => fail(&mut errors, r, 3, format!("{} ({})", e, indicator.name)),
        }
    }
    if errors.is_empty() {
        Ok(FilledForm { values, narrative })
    } else {
        Err(ReportError::Cells(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use thidua_core::import::read_indicators;

    fn catalog() -> Catalog {
        let text = "code,name,measure,value_type,aggregation,formula,group\n\
                    A,Số cuộc tuyên truyền,cuộc,integer,sum,,Nhóm\n\
                    M,Ủng hộ Quỹ,đồng,money,sum,,Nhóm\n\
                    R,Tỷ lệ,%,percent,ratio,100 * A / M,Nhóm\n";
        let rows = read_indicators(text, &Catalog::default()).unwrap();
        Catalog::new(rows.into_iter().map(|l| l.row).collect()).unwrap()
    }

    fn code(c: &str) -> IndicatorCode {
        IndicatorCode::parse(c).unwrap()
    }

    const S2: Period = Period::HalfYear(2026, 2);

    fn workbook(values: &BTreeMap<IndicatorCode, Value>) -> Vec<u8> {
        let catalog = catalog();
        write_form(&FormSheet {
            unit_code: "HN-TAYHO",
            unit_name: "Ủy ban MTTQ Việt Nam quận Tây Hồ",
            period: S2,
            catalog: &catalog,
            values,
            narrative: ["Kết quả tốt", "", "Tiếp tục"],
        })
        .unwrap()
    }

    #[test]
    fn a_downloaded_form_reads_back_to_the_same_values() {
        let values = BTreeMap::from([
            (code("A"), Value::Whole(1084)),
            (code("M"), Value::Whole(1_200_000_000)),
        ]);
        let filled = read_form(&workbook(&values), "HN-TAYHO", S2, &catalog()).unwrap();
        assert_eq!(filled.values.get(&code("A")), Some(&Some(Value::Whole(1084))));
        assert_eq!(filled.values.get(&code("M")), Some(&Some(Value::Whole(1_200_000_000))));
        assert!(
            !filled.values.contains_key(&code("R")),
            "computed indicators are not in the sheet"
        );
        assert_eq!(
            filled.narrative,
            ["Kết quả tốt".to_owned(), String::new(), "Tiếp tục".to_owned()]
        );
    }

    #[test]
    fn a_workbook_of_another_unit_is_refused_naming_the_cell() {
        let err = read_form(&workbook(&BTreeMap::new()), "HN-CAUGIAY", S2, &catalog())
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("trang «Biểu mẫu», ô B2: tệp của đơn vị «HN-TAYHO», không phải HN-CAUGIAY")
        );
    }

    #[test]
    fn a_file_that_is_not_a_workbook_is_refused() {
        let err = read_form(b"unit,indicator\n", "HN-TAYHO", S2, &catalog())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.starts_with("không đọc được tệp Excel: tệp không phải là bảng tính Excel"),
            "{err}"
        );
    }

    #[test]
    fn a_bad_value_is_refused_naming_its_cell_and_indicator() {
        let values = BTreeMap::from([(code("A"), Value::Text("ba".into()))]);
        let err = read_form(&workbook(&values), "HN-TAYHO", S2, &catalog())
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("trang «Biểu mẫu», ô D6: «ba» không phải là số (Số cuộc tuyên truyền)")
        );
    }

    /// `bytes` with its part `name` replaced by `content`.
    fn replace_part(bytes: &[u8], name: &str, content: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for i in 0..archive.len() {
            let entry = archive.by_index(i).unwrap();
            if entry.name().is_ok_and(|n| n == name) {
                drop(entry);
                out.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
                out.write_all(content).unwrap();
            } else {
                out.raw_copy_file(entry).unwrap();
            }
        }
        out.finish().unwrap().into_inner()
    }

    #[test]
    fn a_sparse_workbook_with_a_far_cell_is_refused_before_it_is_read() {
        // The attack: two cells, A1 and XFD1048576, in a file of about 1,6 kB; a dense
        // reader asks for 512 GiB and the process aborts.
        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet();
        sheet.set_name(SHEET).unwrap();
        sheet.write_string(0, 0, "Mã đơn vị").unwrap();
        sheet.write_string(1_048_575, 16_383, "x").unwrap();
        let bytes = workbook.save_to_buffer().unwrap();
        assert!(bytes.len() < 8_000, "{} bytes", bytes.len());
        let err = read_form(&bytes, "HN-TAYHO", S2, &catalog()).err();
        assert!(matches!(err, Some(ReportError::Bounds(_))), "{err:?}");
        assert_eq!(
            err.map(|e| e.to_string()).as_deref(),
            Some("trang «Biểu mẫu»: ô XFD1048576 nằm ngoài vùng biểu mẫu (tối đa 2.000 dòng × 50 cột)")
        );
    }

    #[test]
    fn a_far_cell_behind_a_small_declared_dimension_is_refused_as_it_streams() {
        let sheet = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1"/><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row><row r="5000"><c r="AY5000" t="inlineStr"><is><t>b</t></is></c></row></sheetData></worksheet>"#;
        let bytes = replace_part(
            &workbook(&BTreeMap::new()),
            "xl/worksheets/sheet1.xml",
            sheet.as_bytes(),
        );
        let err = read_form(&bytes, "HN-TAYHO", S2, &catalog())
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("trang «Biểu mẫu»: ô AY5000 nằm ngoài vùng biểu mẫu (tối đa 2.000 dòng × 50 cột)")
        );
    }

    #[test]
    fn a_sheet_listing_too_many_cells_is_refused() {
        // One cell repeated: within the extent, but more cells than the sheet can hold.
        let cells = r#"<c r="A1" t="inlineStr"><is><t>a</t></is></c>"#.repeat(xlsx_bounds::MAX_CELLS + 1);
        let sheet = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">{cells}</row></sheetData></worksheet>"#
        );
        let bytes = replace_part(
            &workbook(&BTreeMap::new()),
            "xl/worksheets/sheet1.xml",
            sheet.as_bytes(),
        );
        let err = read_form(&bytes, "HN-TAYHO", S2, &catalog())
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("trang «Biểu mẫu» có hơn 100.000 ô (giới hạn 100.000 ô)")
        );
    }

    #[test]
    fn a_zip_bomb_is_refused_without_reading_the_sheet() {
        // 60 MB of well-formed rows, which deflate to well under the upload limit.
        let row = r#"<row><c t="inlineStr"><is><t>x</t></is></c></row>"#;
        let rows = row.repeat(60 * 1024 * 1024 / row.len());
        let sheet = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{rows}</sheetData></worksheet>"#
        );
        let bytes = replace_part(
            &workbook(&BTreeMap::new()),
            "xl/worksheets/sheet1.xml",
            sheet.as_bytes(),
        );
        assert!((bytes.len() as u64) < xlsx_bounds::MAX_WORKBOOK_BYTES);
        let err = read_form(&bytes, "HN-TAYHO", S2, &catalog())
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("phần «xl/worksheets/sheet1.xml» của tệp Excel quá lớn khi giải nén: hơn 10 MB (giới hạn 10 MB)")
        );
    }
}
