//! Bảng số liệu cả cụm — a whole cluster's figures for a period as one XLSX workbook, to
//! download, fill in Excel and upload back: a sheet «Hướng dẫn» (what the workbook is,
//! how to fill it, which sheet is which member), then one sheet per member — its unit
//! code, the cluster and the period on top, then one row per reported indicator (code,
//! name, unit of measure, value, comment). Numbers are real numbers in their cells,
//! shown with the thousands and decimal marks of the reader's Excel (`#,##0`, which a
//! Vietnamese Excel shows as `1.084` and `85,01`); typed text such as `1,2 tỷ` is read with
//! core's Vietnamese number parser.
//!
//! Reading a workbook back is bounded before and while it is read: the archive by
//! [`crate::xlsx_bounds::check_archive`], each sheet cell by cell within the form's
//! extent ([`crate::xlsx_bounds::MAX_ROWS`] × [`crate::xlsx_bounds::MAX_COLUMNS`]), the
//! number of sheets ([`MAX_MEMBER_SHEETS`]) and the cells of all sheets together
//! ([`MAX_TOTAL_CELLS`]). Every bad cell is named with its sheet ("Trang «Hà Đông», ô
//! D7: …"); the caller writes all or nothing. A member sheet is known by its «Mã đơn vị»
//! cell, not by its name, so a renamed sheet still reads. An empty value cell leaves the
//! stored figure as it is: an import never deletes a figure. Reading and writing are CPU
//! work: callers on an async runtime run them on a blocking thread.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook};
use thidua_core::number::format_integer;
use thidua_core::{Catalog, IndicatorCode, Period, Value, ValueType};

use crate::ReportError;
use crate::xlsx_bounds::{self, MAX_COLUMNS, MAX_ROWS, cell_name};

/// The first sheet's name: what the workbook is and how to fill it.
pub const GUIDE_SHEET: &str = "Hướng dẫn";
/// Most member sheets a workbook may have (the archive's own limit of
/// [`xlsx_bounds::MAX_ENTRIES`] parts leaves room for a few more; clusters have tens).
pub const MAX_MEMBER_SHEETS: usize = 80;
/// Most cells all the sheets of a workbook may list together, repeated positions
/// included: 80 members × 250 indicators × 5 columns is 100.000.
pub const MAX_TOTAL_CELLS: usize = 400_000;

/// The label of the cluster code's row.
const CLUSTER_LABEL: &str = "Mã cụm";
/// The label of the unit code's row: what makes a sheet a member's.
const UNIT_LABEL: &str = "Mã đơn vị";
/// The label of the period's row.
const PERIOD_LABEL: &str = "Kỳ báo cáo";
/// The header of the code column, which marks where the indicator rows start.
const CODE_HEADER: &str = "Mã chỉ tiêu";
/// The columns of the indicator rows (0-based).
const CODE_COL: u32 = 0;
const VALUE_COL: u32 = 3;
const COMMENT_COL: u32 = 4;

/// Excel's limit on sheet names, and the characters it refuses in them.
const SHEET_NAME_MAX: usize = 31;
const SHEET_NAME_BAD: [char; 7] = ['[', ']', ':', '*', '?', '/', '\\'];

/// A stored figure and its comment (ghi chú).
pub type Figure = (Value, Option<String>);

/// One member's sheet: who, and its official figures for the period.
pub struct MemberSheet<'a> {
    /// The unit's code.
    pub unit_code: &'a str,
    /// The unit's full name.
    pub unit_name: &'a str,
    /// The name the sheet is called by ("Hà Đông"), shortened to Excel's limit.
    pub short_name: &'a str,
    /// Its figures, by indicator.
    pub figures: &'a BTreeMap<IndicatorCode, Figure>,
}

/// What goes into the workbook.
pub struct ClusterBook<'a> {
    /// The cluster's code.
    pub cluster_code: &'a str,
    /// The cluster's name.
    pub cluster_name: &'a str,
    /// The period.
    pub period: Period,
    /// The catalog: each reported (not computed) indicator is a row of every sheet.
    pub catalog: &'a Catalog,
    /// The members, in the order their sheets come.
    pub members: &'a [MemberSheet<'a>],
}

/// The sheet names of `members` (by their short names): within Excel's rules, distinct
/// regardless of case, never the guide's.
pub fn sheet_names(members: &[MemberSheet<'_>]) -> Vec<String> {
    let mut taken: BTreeSet<String> = BTreeSet::from([GUIDE_SHEET.to_lowercase()]);
    let mut names = Vec::with_capacity(members.len());
    for member in members {
        let clean: String = member
            .short_name
            .chars()
            .filter(|c| !SHEET_NAME_BAD.contains(c))
            .collect::<String>()
            .trim_matches(['\'', ' '])
            .to_owned();
        let base = if clean.is_empty() {
            member.unit_code.to_owned()
        } else {
            clean
        };
        let mut n = 1;
        let name = loop {
            let suffix = if n == 1 { String::new() } else { format!(" ({n})") };
            let room = SHEET_NAME_MAX - suffix.chars().count();
            let candidate = format!("{}{suffix}", base.chars().take(room).collect::<String>().trim_end());
            if taken.insert(candidate.to_lowercase()) {
                break candidate;
            }
            n += 1;
        };
        names.push(name);
    }
    names
}

/// Writes the workbook; `progress` is told after each member's sheet (members done).
pub fn write_cluster(book: &ClusterBook<'_>, progress: &dyn Fn(usize)) -> Result<Vec<u8>, ReportError> {
    let mut workbook = Workbook::new();
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
    let whole = input.clone().set_num_format("#,##0");
    let decimal = input.clone().set_num_format("#,##0.00");
    let text_input = Format::new()
        .set_border(FormatBorder::Thin)
        .set_unlocked()
        .set_text_wrap()
        .set_background_color("FFF4E5");
    let names = sheet_names(book.members);
    let indicators: Vec<_> = book.catalog.indicators().iter().filter(|i| !i.is_computed()).collect();

    let guide = workbook.add_worksheet();
    guide.set_name(GUIDE_SHEET)?;
    guide.set_column_width(0, 28)?;
    guide.set_column_width(1, 16)?;
    guide.set_column_width(2, 60)?;
    guide.write_string_with_format(
        0,
        0,
        format!(
            "Bảng số liệu cả cụm — {} — {}",
            book.cluster_name,
            book.period.label_vi()
        ),
        &title,
    )?;
    guide.write_string(1, 0, CLUSTER_LABEL)?;
    guide.write_string(1, 1, book.cluster_code)?;
    guide.write_string(2, 0, PERIOD_LABEL)?;
    guide.write_string(2, 1, book.period.code())?;
    let lines = [
        "Mỗi thành viên của cụm có một trang; mỗi dòng là một chỉ tiêu.".to_owned(),
        "Nhập số vào cột «Giá trị» (ví dụ 1.084; 85,01; 1,2 tỷ) và ghi chú (nếu có) vào cột «Ghi chú».".to_owned(),
        "Ô «Giá trị» để trống thì số liệu đang có được giữ nguyên: nhập không xóa số liệu.".to_owned(),
        "Không sửa các ô «Mã cụm», «Mã đơn vị», «Kỳ báo cáo» và cột «Mã chỉ tiêu»; tên trang đổi được.".to_owned(),
        "Chỉ tiêu tính theo công thức không có trong bảng: thidua tự tính.".to_owned(),
        format!(
            "Khi nhập lại, nếu có ô sai thì không số liệu nào được ghi và mỗi ô sai được nêu tên (trang, ô); báo cáo đã duyệt hoặc đã khóa không bị ghi đè. Tối đa {MAX_MEMBER_SHEETS} trang thành viên."
        ),
    ];
    for (i, line) in lines.iter().enumerate() {
        guide.write_string(4 + i as u32, 0, line)?;
    }
    let first = 5 + lines.len() as u32;
    for (col, text) in ["Trang", "Mã đơn vị", "Tên đơn vị"].into_iter().enumerate() {
        guide.write_string_with_format(first, col as u16, text, &header)?;
    }
    for (i, (member, name)) in book.members.iter().zip(&names).enumerate() {
        let row = first + 1 + i as u32;
        guide.write_string_with_format(row, 0, name, &locked)?;
        guide.write_string_with_format(row, 1, member.unit_code, &locked)?;
        guide.write_string_with_format(row, 2, member.unit_name, &locked)?;
    }

    for (done, (member, name)) in book.members.iter().zip(&names).enumerate() {
        let sheet = workbook.add_worksheet();
        sheet.set_name(name)?;
        sheet.set_column_width(0, 22)?;
        sheet.set_column_width(1, 60)?;
        sheet.set_column_width(2, 12)?;
        sheet.set_column_width(3, 20)?;
        sheet.set_column_width(4, 30)?;
        sheet.write_string_with_format(
            0,
            0,
            format!("Số liệu {} — {}", book.period.label_vi(), member.unit_name),
            &title,
        )?;
        sheet.write_string(1, 0, CLUSTER_LABEL)?;
        sheet.write_string(1, 1, book.cluster_code)?;
        sheet.write_string(2, 0, UNIT_LABEL)?;
        sheet.write_string(2, 1, member.unit_code)?;
        sheet.write_string(3, 0, PERIOD_LABEL)?;
        sheet.write_string(3, 1, book.period.code())?;
        let head = 5u32;
        for (col, text) in [CODE_HEADER, "Chỉ tiêu", "Đơn vị tính", "Giá trị", "Ghi chú"]
            .into_iter()
            .enumerate()
        {
            sheet.write_string_with_format(head, col as u16, text, &header)?;
        }
        for (i, indicator) in indicators.iter().enumerate() {
            let row = head + 1 + i as u32;
            sheet.write_string_with_format(row, 0, indicator.code.as_str(), &locked)?;
            sheet.write_string_with_format(row, 1, &indicator.name, &locked)?;
            sheet.write_string_with_format(row, 2, &indicator.measure, &locked)?;
            let figure = member.figures.get(&indicator.code);
            match figure.map(|(v, _)| v) {
                Some(Value::Whole(n)) => sheet.write_number_with_format(row, 3, *n as f64, &whole)?,
                Some(Value::Decimal(x)) => sheet.write_number_with_format(row, 3, *x, &decimal)?,
                Some(Value::Text(t)) => sheet.write_string_with_format(row, 3, t, &text_input)?,
                None => sheet.write_blank(row, 3, &input)?,
            };
            match figure.and_then(|(_, c)| c.as_deref()).filter(|c| !c.is_empty()) {
                Some(comment) => sheet.write_string_with_format(row, 4, comment, &text_input)?,
                None => sheet.write_blank(row, 4, &text_input)?,
            };
        }
        // Guards against slips (a code edited by mistake), not people: no password.
        sheet.protect();
        progress(done + 1);
    }
    Ok(workbook.save_to_buffer()?)
}

/// A wrong cell of an uploaded workbook, with its sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetCellError {
    /// The sheet's name as the file has it.
    pub sheet: String,
    /// The cell, e.g. `D7`; empty when the whole sheet is at fault.
    pub cell: String,
    /// What is wrong.
    pub reason: String,
}

impl fmt::Display for SheetCellError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.cell.is_empty() {
            write!(f, "Trang «{}»: {}", self.sheet, self.reason)
        } else {
            write!(f, "Trang «{}», ô {}: {}", self.sheet, self.cell, self.reason)
        }
    }
}

/// One figure read from a member's sheet, with where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct CellFigure {
    /// The sheet's name.
    pub sheet: String,
    /// The value's cell, e.g. `D7`.
    pub cell: String,
    /// The member's unit code (its sheet's «Mã đơn vị»).
    pub unit: String,
    /// The indicator.
    pub indicator: IndicatorCode,
    /// The value.
    pub value: Value,
    /// The comment, if any.
    pub comment: Option<String>,
}

impl CellFigure {
    /// "Trang «Hà Đông», ô D7", for messages.
    pub fn place(&self) -> String {
        format!("Trang «{}», ô {}", self.sheet, self.cell)
    }
}

/// What a workbook is read against.
pub struct ReadSpec<'a> {
    /// The cluster's code: every member sheet must say it.
    pub cluster_code: &'a str,
    /// The period: every member sheet must say it.
    pub period: Period,
    /// The indicators.
    pub catalog: &'a Catalog,
    /// The cluster's members that year.
    pub members: &'a BTreeSet<String>,
    /// Whether a unit code is in the unit tree.
    pub unit_exists: &'a dyn Fn(&str) -> bool,
}

/// A workbook read back: its figures in sheet and row order, and how many member sheets.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReadBook {
    /// The figures of the filled value cells.
    pub figures: Vec<CellFigure>,
    /// The member sheets read.
    pub sheets: usize,
}

/// The cells of one sheet that hold something, by 0-based (row, column).
type Cells = BTreeMap<(u32, u32), Data>;

fn bounds(reason: String) -> ReportError {
    ReportError::Bounds(reason)
}

/// Reads the cells of every sheet but the guide, within the bounds; `progress` is told
/// the sheets read so far and how many there are.
fn read_sheets(bytes: &[u8], progress: &dyn Fn(usize, usize)) -> Result<Vec<(String, Cells)>, ReportError> {
    xlsx_bounds::check_archive(bytes)?;
    let mut workbook: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e| ReportError::Read(format!("tệp không phải là bảng tính Excel (.xlsx) hợp lệ ({e})")))?;
    let names: Vec<String> = workbook
        .sheet_names()
        .into_iter()
        .filter(|n| n.as_str() != GUIDE_SHEET)
        .collect();
    if names.len() > MAX_MEMBER_SHEETS {
        return Err(bounds(format!(
            "Tệp Excel có {} trang thành viên (giới hạn {} trang)",
            format_integer(names.len() as i64),
            MAX_MEMBER_SHEETS
        )));
    }
    let mut sheets = Vec::with_capacity(names.len());
    let mut seen = 0usize;
    for (done, name) in names.iter().enumerate() {
        let unreadable = |e: calamine::XlsxError| ReportError::Read(format!("trang «{name}» bị hỏng ({e})"));
        let mut reader = workbook.worksheet_cells_reader(name).map_err(unreadable)?;
        let outside = |row: u32, col: u32| {
            bounds(format!(
                "Trang «{name}»: ô {} nằm ngoài vùng của bảng (tối đa {} dòng × {} cột)",
                cell_name(row, col),
                format_integer(i64::from(MAX_ROWS)),
                format_integer(i64::from(MAX_COLUMNS))
            ))
        };
        let (last_row, last_col) = reader.dimensions().end;
        if last_row >= MAX_ROWS || last_col >= MAX_COLUMNS {
            return Err(outside(last_row, last_col));
        }
        let mut cells = Cells::new();
        while let Some(cell) = reader.next_cell().map_err(unreadable)? {
            seen += 1;
            let (row, col) = cell.get_position();
            if row >= MAX_ROWS || col >= MAX_COLUMNS {
                return Err(outside(row, col));
            }
            if seen > MAX_TOTAL_CELLS {
                return Err(bounds(format!(
                    "Tệp Excel có hơn {} ô (giới hạn {} ô cho cả các trang)",
                    format_integer(MAX_TOTAL_CELLS as i64),
                    format_integer(MAX_TOTAL_CELLS as i64)
                )));
            }
            let value = Data::from(cell.get_value().clone());
            if value != Data::Empty {
                cells.insert((row, col), value);
            }
        }
        sheets.push((name.clone(), cells));
        progress(done + 1, names.len());
    }
    Ok(sheets)
}

/// The text of a cell as a person typed it: whole numbers without ".0", other numbers
/// with the Vietnamese decimal comma so that core's parser never takes the point of
/// `1.234` for a thousands mark.
fn cell_text(data: &Data) -> String {
    match data {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_owned(),
        Data::Int(n) => n.to_string(),
        Data::Float(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => format!("{}", *x as i64),
        Data::Float(x) => format!("{x}").replace('.', ","),
        Data::Bool(b) => b.to_string(),
        other => other.to_string(),
    }
}

/// Reads a filled workbook against `spec`: its figures, or every bad cell (nothing is
/// to be written then). A file that cannot be read, or is over a bound, is the outer
/// error. `progress` is told the sheets read so far and how many there are.
pub fn read_cluster(
    bytes: &[u8],
    spec: &ReadSpec<'_>,
    progress: &dyn Fn(usize, usize),
) -> Result<Result<ReadBook, Vec<SheetCellError>>, ReportError> {
    let sheets = read_sheets(bytes, progress)?;
    let mut errors = Vec::new();
    let mut book = ReadBook::default();
    let mut units_seen: BTreeMap<String, String> = BTreeMap::new();
    for (sheet, cells) in &sheets {
        let at = |r: u32, c: u32| -> String { cells.get(&(r, c)).map(cell_text).unwrap_or_default() };
        let mut fail = |cell: String, reason: String| {
            errors.push(SheetCellError {
                sheet: sheet.clone(),
                cell,
                reason,
            })
        };
        let height = cells.keys().next_back().map_or(0, |&(r, _)| r);
        let mut header_row = None;
        let mut unit = None;
        for r in 0..=height {
            let label = at(r, 0);
            match label.as_str() {
                CLUSTER_LABEL if at(r, 1) != spec.cluster_code => fail(
                    cell_name(r, 1),
                    format!("tệp của cụm «{}», không phải {}", at(r, 1), spec.cluster_code),
                ),
                PERIOD_LABEL if at(r, 1) != spec.period.code() => fail(
                    cell_name(r, 1),
                    format!("tệp của kỳ «{}», không phải {}", at(r, 1), spec.period.code()),
                ),
                UNIT_LABEL => unit = Some((at(r, 1), cell_name(r, 1))),
                CODE_HEADER => {
                    header_row = Some(r);
                    break;
                }
                _ => {}
            }
        }
        let Some((unit_code, unit_cell)) = unit else {
            fail(
                String::new(),
                format!(
                    "không thấy ô «{UNIT_LABEL}» — hãy dùng tệp tải về từ thidua (trang «{GUIDE_SHEET}» không cần sửa)"
                ),
            );
            continue;
        };
        let Some(header_row) = header_row else {
            fail(
                String::new(),
                format!("không thấy dòng tiêu đề «{CODE_HEADER}» — hãy dùng tệp tải về từ thidua"),
            );
            continue;
        };
        let unit_ok = if unit_code.is_empty() {
            fail(unit_cell.clone(), "chưa ghi mã đơn vị".into());
            false
        } else if !(spec.unit_exists)(&unit_code) {
            fail(
                unit_cell.clone(),
                format!("đơn vị «{unit_code}» không có trong danh mục đơn vị"),
            );
            false
        } else if !spec.members.contains(&unit_code) {
            fail(
                unit_cell.clone(),
                format!(
                    "đơn vị {unit_code} không phải thành viên của cụm {} năm {}",
                    spec.cluster_code,
                    spec.period.year()
                ),
            );
            false
        } else if let Some(other) = units_seen.get(&unit_code) {
            fail(unit_cell.clone(), format!("đơn vị {unit_code} đã có ở trang «{other}»"));
            false
        } else {
            units_seen.insert(unit_code.clone(), sheet.clone());
            true
        };
        book.sheets += 1;
        let mut indicators_seen = BTreeSet::new();
        for r in header_row + 1..=height {
            let code = at(r, CODE_COL);
            if code.is_empty() {
                if !at(r, VALUE_COL).is_empty() {
                    fail(
                        cell_name(r, VALUE_COL),
                        "có giá trị nhưng chưa ghi mã chỉ tiêu ở cột A".into(),
                    );
                }
                continue;
            }
            let Some(indicator) = IndicatorCode::parse(&code).ok().and_then(|c| spec.catalog.get(&c)) else {
                fail(
                    cell_name(r, CODE_COL),
                    format!("mã chỉ tiêu «{code}» không có trong danh mục"),
                );
                continue;
            };
            let raw = at(r, VALUE_COL);
            if indicator.is_computed() {
                if !raw.is_empty() {
                    fail(
                        cell_name(r, VALUE_COL),
                        format!(
                            "chỉ tiêu {code} ({}) được tính theo công thức, không nhập",
                            indicator.name
                        ),
                    );
                }
                continue;
            }
            if !indicators_seen.insert(indicator.code.clone()) {
                fail(
                    cell_name(r, CODE_COL),
                    format!("chỉ tiêu {code} xuất hiện hai lần trong trang"),
                );
                continue;
            }
            if raw.is_empty() {
                continue;
            }
            let raw = if indicator.value_type == ValueType::Text {
                raw
            } else {
                raw.replace('\u{a0}', " ")
            };
            match Value::parse(&raw, indicator.value_type) {
                Ok(value) if unit_ok => {
                    let comment = thidua_core::text::nfc(at(r, COMMENT_COL).trim());
                    book.figures.push(CellFigure {
                        sheet: sheet.clone(),
                        cell: cell_name(r, VALUE_COL),
                        unit: unit_code.clone(),
                        indicator: indicator.code.clone(),
                        value,
                        comment: (!comment.is_empty()).then_some(comment),
                    });
                }
                Ok(_) => {}
                Err(e) => fail(cell_name(r, VALUE_COL), format!("{e} ({})", indicator.name)),
            }
        }
    }
    if errors.is_empty() {
        Ok(Ok(book))
    } else {
        Ok(Err(errors))
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
                    P,Tỷ lệ khu dân cư văn hóa,%,percent,average,,Nhóm\n\
                    R,Tỷ lệ,%,percent,ratio,100 * A / M,Nhóm\n";
        let rows = read_indicators(text, &Catalog::default()).unwrap();
        Catalog::new(rows.into_iter().map(|l| l.row).collect()).unwrap()
    }

    fn code(c: &str) -> IndicatorCode {
        IndicatorCode::parse(c).unwrap()
    }

    const S1: Period = Period::HalfYear(2022, 1);

    fn figures_a() -> BTreeMap<IndicatorCode, Figure> {
        BTreeMap::from([
            (code("A"), (Value::Whole(1084), Some("Số liệu đã rà soát".to_owned()))),
            (code("M"), (Value::Whole(10_266_500_000), None)),
            (code("P"), (Value::Decimal(1.234), None)),
        ])
    }

    fn workbook(a: &BTreeMap<IndicatorCode, Figure>, b: &BTreeMap<IndicatorCode, Figure>) -> Vec<u8> {
        let catalog = catalog();
        let members = [
            MemberSheet {
                unit_code: "HN-HADONG",
                unit_name: "Ủy ban MTTQ Việt Nam quận Hà Đông",
                short_name: "quận Hà Đông",
                figures: a,
            },
            MemberSheet {
                unit_code: "HN-TAYHO",
                unit_name: "Ủy ban MTTQ Việt Nam quận Tây Hồ",
                short_name: "quận Tây Hồ",
                figures: b,
            },
        ];
        write_cluster(
            &ClusterBook {
                cluster_code: "HN-CUM2",
                cluster_name: "Cụm thi đua số 2",
                period: S1,
                catalog: &catalog,
                members: &members,
            },
            &|_| {},
        )
        .unwrap()
    }

    fn read(bytes: &[u8]) -> Result<Result<ReadBook, Vec<SheetCellError>>, ReportError> {
        let catalog = catalog();
        let members = BTreeSet::from(["HN-HADONG".to_owned(), "HN-TAYHO".to_owned()]);
        let exists = |c: &str| ["HN-HADONG", "HN-TAYHO", "HN-SOCSON"].contains(&c);
        read_cluster(
            bytes,
            &ReadSpec {
                cluster_code: "HN-CUM2",
                period: S1,
                catalog: &catalog,
                members: &members,
                unit_exists: &exists,
            },
            &|_, _| {},
        )
    }

    fn messages(bytes: &[u8]) -> Vec<String> {
        match read(bytes) {
            Ok(Err(errors)) => errors.iter().map(ToString::to_string).collect(),
            other => panic!("expected cell errors, got {other:?}"),
        }
    }

    /// `bytes` with the sheet part `name` changed by `edit` (its XML text).
    fn edit_part(bytes: &[u8], name: &str, edit: impl Fn(&str) -> String) -> Vec<u8> {
        use std::io::{Read, Write};
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for i in 0..archive.len() {
            let mut entry = archive.by_index(i).unwrap();
            if entry.name().is_ok_and(|n| n == name) {
                let mut text = String::new();
                entry.read_to_string(&mut text).unwrap();
                drop(entry);
                out.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
                out.write_all(edit(&text).as_bytes()).unwrap();
            } else {
                out.raw_copy_file(entry).unwrap();
            }
        }
        out.finish().unwrap().into_inner()
    }

    /// Replaces the value of cell `cell` (a number written by the writer) with inline
    /// text `text`.
    fn set_text(xml: &str, cell: &str, text: &str) -> String {
        let start = xml.find(&format!("<c r=\"{cell}\"")).unwrap();
        let open_end = start + xml[start..].find('>').unwrap() + 1;
        let end = if xml[..open_end].ends_with("/>") {
            open_end
        } else {
            open_end + xml[open_end..].find("</c>").unwrap() + 4
        };
        let style = xml[start..open_end]
            .split(" s=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .map(|s| format!(" s=\"{s}\""))
            .unwrap_or_default();
        format!(
            "{}<c r=\"{cell}\"{style} t=\"inlineStr\"><is><t>{text}</t></is></c>{}",
            &xml[..start],
            &xml[end..]
        )
    }

    #[test]
    fn a_downloaded_cluster_workbook_reads_back_to_the_same_figures() {
        let b = BTreeMap::from([(code("A"), (Value::Whole(7), None))]);
        let book = read(&workbook(&figures_a(), &b)).unwrap().unwrap();
        assert_eq!(book.sheets, 2);
        let got: Vec<(String, String, String, Value, Option<String>)> = book
            .figures
            .iter()
            .map(|f| {
                (
                    f.sheet.clone(),
                    f.cell.clone(),
                    f.unit.clone(),
                    f.value.clone(),
                    f.comment.clone(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "quận Hà Đông".into(),
                    "D7".into(),
                    "HN-HADONG".into(),
                    Value::Whole(1084),
                    Some("Số liệu đã rà soát".into())
                ),
                (
                    "quận Hà Đông".into(),
                    "D8".into(),
                    "HN-HADONG".into(),
                    Value::Whole(10_266_500_000),
                    None
                ),
                (
                    "quận Hà Đông".into(),
                    "D9".into(),
                    "HN-HADONG".into(),
                    Value::Decimal(1.234),
                    None
                ),
                (
                    "quận Tây Hồ".into(),
                    "D7".into(),
                    "HN-TAYHO".into(),
                    Value::Whole(7),
                    None
                ),
            ]
        );
    }

    #[test]
    fn values_are_numbers_in_their_cells_shown_in_the_thousands_style() {
        let bytes = workbook(&figures_a(), &BTreeMap::new());
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes.as_slice())).unwrap();
        let mut sheet = String::new();
        std::io::Read::read_to_string(&mut archive.by_name("xl/worksheets/sheet2.xml").unwrap(), &mut sheet).unwrap();
        assert!(sheet.contains("<v>1084</v>"), "{sheet}");
        assert!(sheet.contains("<v>10266500000</v>"), "{sheet}");
        let mut styles = String::new();
        std::io::Read::read_to_string(&mut archive.by_name("xl/styles.xml").unwrap(), &mut styles).unwrap();
        assert!(styles.contains("#,##0"), "{styles}");
    }

    #[test]
    fn typed_vietnamese_numbers_are_read_with_core_s_parser() {
        let bytes = edit_part(
            &workbook(&BTreeMap::new(), &BTreeMap::new()),
            "xl/worksheets/sheet2.xml",
            |x| set_text(&set_text(x, "D7", "1.084"), "D8", "1,2 tỷ"),
        );
        let book = read(&bytes).unwrap().unwrap();
        let values: Vec<&Value> = book.figures.iter().map(|f| &f.value).collect();
        assert_eq!(values, vec![&Value::Whole(1084), &Value::Whole(1_200_000_000)]);
    }

    #[test]
    fn every_bad_cell_is_named_with_its_sheet() {
        let bytes = edit_part(
            &workbook(&figures_a(), &BTreeMap::new()),
            "xl/worksheets/sheet2.xml",
            |x| set_text(&set_text(x, "D7", "ba"), "D9", "120"),
        );
        let bytes = edit_part(&bytes, "xl/worksheets/sheet3.xml", |x| set_text(x, "B3", "HN-SOCSON"));
        assert_eq!(
            messages(&bytes),
            vec![
                "Trang «quận Hà Đông», ô D7: «ba» không phải là số (Số cuộc tuyên truyền)".to_owned(),
                "Trang «quận Hà Đông», ô D9: giá trị «120» không hợp lệ: tỷ lệ phần trăm phải từ 0 đến 100 (Tỷ lệ khu dân cư văn hóa)".to_owned(),
                "Trang «quận Tây Hồ», ô B3: đơn vị HN-SOCSON không phải thành viên của cụm HN-CUM2 năm 2022".to_owned(),
            ]
        );
    }

    #[test]
    fn an_unknown_unit_another_period_and_a_unit_twice_are_refused() {
        let bytes = edit_part(
            &workbook(&figures_a(), &BTreeMap::new()),
            "xl/worksheets/sheet2.xml",
            |x| set_text(&set_text(x, "B4", "2022S2"), "A7", "KHONG_CO"),
        );
        let bytes = edit_part(&bytes, "xl/worksheets/sheet3.xml", |x| set_text(x, "B3", "HN-HADONG"));
        assert_eq!(
            messages(&bytes),
            vec![
                "Trang «quận Hà Đông», ô B4: tệp của kỳ «2022S2», không phải 2022S1".to_owned(),
                "Trang «quận Hà Đông», ô A7: mã chỉ tiêu «KHONG_CO» không có trong danh mục".to_owned(),
                "Trang «quận Tây Hồ», ô B3: đơn vị HN-HADONG đã có ở trang «quận Hà Đông»".to_owned(),
            ]
        );
        let bytes = edit_part(
            &workbook(&BTreeMap::new(), &BTreeMap::new()),
            "xl/worksheets/sheet3.xml",
            |x| set_text(x, "B3", "HN-KHONGCO"),
        );
        assert_eq!(
            messages(&bytes),
            vec!["Trang «quận Tây Hồ», ô B3: đơn vị «HN-KHONGCO» không có trong danh mục đơn vị".to_owned()]
        );
    }

    #[test]
    fn a_value_on_a_computed_indicator_is_refused() {
        // The writer leaves computed indicators out; a person adds one back.
        let bytes = edit_part(
            &workbook(&BTreeMap::new(), &BTreeMap::new()),
            "xl/worksheets/sheet2.xml",
            |x| set_text(&set_text(x, "A8", "R"), "D8", "50"),
        );
        assert_eq!(
            messages(&bytes),
            vec!["Trang «quận Hà Đông», ô D8: chỉ tiêu R (Tỷ lệ) được tính theo công thức, không nhập".to_owned()]
        );
    }

    #[test]
    fn sheet_names_are_short_distinct_and_never_the_guide_s() {
        let empty = BTreeMap::new();
        let member = |short_name| MemberSheet {
            unit_code: "HN-X",
            unit_name: "x",
            short_name,
            figures: &empty,
        };
        let names = sheet_names(&[
            member("phường Hà Đông"),
            member("Phường Hà Đông"),
            member("Hướng dẫn"),
            member("Xã có một tên rất dài: hơn ba mươi mốt ký tự"),
            member("[]"),
        ]);
        assert_eq!(
            names,
            vec![
                "phường Hà Đông",
                "Phường Hà Đông (2)",
                "Hướng dẫn (2)",
                "Xã có một tên rất dài hơn ba mư",
                "HN-X"
            ]
        );
    }

    #[test]
    fn a_far_cell_on_a_member_sheet_is_refused_naming_the_sheet() {
        let bytes = edit_part(
            &workbook(&BTreeMap::new(), &BTreeMap::new()),
            "xl/worksheets/sheet3.xml",
            |x| {
                x.replace(
                    "</sheetData>",
                    r#"<row r="5000"><c r="AY5000" t="inlineStr"><is><t>b</t></is></c></row></sheetData>"#,
                )
            },
        );
        let err = read(&bytes).err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("Trang «quận Tây Hồ»: ô AY5000 nằm ngoài vùng của bảng (tối đa 2.000 dòng × 50 cột)")
        );
    }

    #[test]
    fn a_file_that_is_not_a_workbook_is_refused() {
        let err = read(b"unit,indicator\n")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.starts_with("không đọc được tệp Excel"), "{err}");
    }
}
