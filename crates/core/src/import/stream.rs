//! Đọc tệp số liệu lớn — the long-format values file (`unit,indicator,period,value
//! [,comment]`) read as a stream, one row at a time, so that a national file of tens of
//! millions of values is never held in memory. Each row is checked as
//! [`super::read_values`] checks it — the unit and indicator exist, the unit exists
//! during the period, the indicator is reported (not computed), the value is of the
//! indicator's type — with the same messages. What needs the whole file (duplicates,
//! the validation rules, the workflow's settled forms) is the caller's: it holds the
//! rows' keys in a compact form of its own (database ids), which a domain type could
//! not.

use std::collections::HashMap;
use std::io::Read;

use crate::code::{IndicatorCode, UnitCode};
use crate::indicator::{Catalog, Indicator};
use crate::period::Period;
use crate::text::nfc;
use crate::unit::{Unit, UnitTree};
use crate::value::Value;

use super::lines::CountingLines;
use super::{RowError, csv_error, quote_all};

/// The columns a values file must have.
const REQUIRED: [&str; 4] = ["unit", "indicator", "period", "value"];

/// One good row of a values file.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueRow<'c> {
    /// Line in the file, 1-based; the header is line 1.
    pub line: u64,
    /// The unit, from the tree the file was read against.
    pub unit: &'c Unit,
    /// The indicator, from the catalog.
    pub indicator: &'c Indicator,
    /// The period.
    pub period: Period,
    /// The value, of the indicator's type.
    pub value: Value,
    /// An optional note, NFC.
    pub comment: Option<String>,
}

/// Where each column is in the file's rows.
#[derive(Debug, Clone, Copy)]
struct Columns {
    unit: usize,
    indicator: usize,
    period: usize,
    value: usize,
    comment: Option<usize>,
}

/// A values file being read: the header checked, the rows given one by one.
pub struct ValuesStream<'c, R: Read> {
    reader: csv::Reader<CountingLines<R>>,
    record: csv::StringRecord,
    columns: Columns,
    units: HashMap<&'c str, &'c Unit>,
    indicators: HashMap<&'c str, &'c Indicator>,
}

impl<'c, R: Read> ValuesStream<'c, R> {
    /// Opens the file and checks its header; the error names the missing columns.
    pub fn new(input: R, catalog: &'c Catalog, units: &'c UnitTree) -> Result<Self, RowError> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(CountingLines::new(input));
        let headers: HashMap<String, usize> = match reader.headers() {
            // A UTF-8 byte-order mark is what Excel writes; it is not part of the first header.
            Ok(h) => h
                .iter()
                .enumerate()
                .map(|(i, name)| (name.trim_start_matches('\u{feff}').to_ascii_lowercase(), i))
                .collect(),
            Err(e) => return Err(csv_error(1, &e)),
        };
        let missing: Vec<&str> = REQUIRED.into_iter().filter(|c| !headers.contains_key(*c)).collect();
        let column = |name: &str| headers.get(name).copied();
        let (Some(unit), Some(indicator), Some(period), Some(value)) =
            (column("unit"), column("indicator"), column("period"), column("value"))
        else {
            return Err(RowError {
                line: 1,
                column: None,
                reason: format!(
                    "thiếu cột {} trong dòng tiêu đề (cần có: {})",
                    quote_all(&missing),
                    REQUIRED.join(",")
                ),
            });
        };
        Ok(ValuesStream {
            reader,
            record: csv::StringRecord::new(),
            columns: Columns {
                unit,
                indicator,
                period,
                value,
                comment: column("comment"),
            },
            units: units.units().map(|u| (u.code.as_str(), u)).collect(),
            indicators: catalog.indicators().iter().map(|i| (i.code.as_str(), i)).collect(),
        })
    }

    /// Bytes of the file read so far, for a progress line.
    pub fn bytes_read(&self) -> u64 {
        self.reader.position().byte()
    }

    /// The next row: a good row, or every problem of a bad one; `None` at the end. Blank
    /// rows are skipped.
    pub fn next_row(&mut self) -> Option<Result<ValueRow<'c>, Vec<RowError>>> {
        loop {
            let at = self.reader.position().byte();
            match self.reader.read_record(&mut self.record) {
                Ok(false) => return None,
                Err(e) => {
                    let line = self.reader.get_mut().line_at(e.position().map_or(at, |p| p.byte()));
                    // A broken record (bad UTF-8, a quote never closed) may leave the reader
                    // anywhere; the row is reported and reading goes on where it can.
                    return Some(Err(vec![csv_error(line, &e)]));
                }
                Ok(true) => {
                    if self.record.iter().all(str::is_empty) {
                        continue;
                    }
                    let line = self
                        .reader
                        .get_mut()
                        .line_at(self.record.position().map_or(at, |p| p.byte()));
                    return Some(self.row(line));
                }
            }
        }
    }

    fn row(&self, line: u64) -> Result<ValueRow<'c>, Vec<RowError>> {
        let field = |i: usize| self.record.get(i).unwrap_or("");
        let fail = |column: &str, reason: String| RowError {
            line,
            column: Some(column.to_owned()),
            reason,
        };
        let empty = |column: &str| fail(column, "không được để trống".into());
        let mut errors = Vec::new();
        let (unit_raw, indicator_raw, period_raw, value_raw) = (
            field(self.columns.unit),
            field(self.columns.indicator),
            field(self.columns.period),
            field(self.columns.value),
        );
        // The codes are checked for their form first, as the whole-file reader does, so a
        // misspelt code gets the same message here and there.
        let unit = self.units.get(unit_raw).copied();
        if unit.is_none() {
            match UnitCode::parse(unit_raw) {
                _ if unit_raw.is_empty() => errors.push(empty("unit")),
                Err(e) => errors.push(fail("unit", e.to_string())),
                Ok(_) => {}
            }
        }
        let indicator = self.indicators.get(indicator_raw).copied();
        if indicator.is_none() {
            match IndicatorCode::parse(indicator_raw) {
                _ if indicator_raw.is_empty() => errors.push(empty("indicator")),
                Err(e) => errors.push(fail("indicator", e.to_string())),
                Ok(_) => {}
            }
        }
        let period = if period_raw.is_empty() {
            errors.push(empty("period"));
            None
        } else {
            Period::parse(period_raw)
                .map_err(|e| errors.push(fail("period", e.to_string())))
                .ok()
        };
        if value_raw.is_empty() {
            errors.push(empty("value"));
        }
        let Some(period) = period else {
            return Err(errors);
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        match unit {
            None => errors.push(fail(
                "unit",
                format!("đơn vị {unit_raw} không có trong danh mục đơn vị"),
            )),
            Some(u) if !(u.is_active_on(period.start()) || u.is_active_on(period.end())) => errors.push(fail(
                "unit",
                format!("đơn vị {unit_raw} không hoạt động trong kỳ {}", period.label_vi()),
            )),
            Some(_) => {}
        }
        let Some(indicator) = indicator else {
            errors.push(fail(
                "indicator",
                format!("chỉ tiêu {indicator_raw} không có trong danh mục chỉ tiêu"),
            ));
            return Err(errors);
        };
        if indicator.is_computed() {
            errors.push(fail(
                "indicator",
                format!(
                    "chỉ tiêu {} được tính theo công thức {}, không nhập trực tiếp",
                    indicator.code,
                    indicator.formula.as_ref().map_or("", |f| f.source())
                ),
            ));
            return Err(errors);
        }
        let value = match Value::parse(value_raw, indicator.value_type) {
            Ok(value) => value,
            Err(e) => {
                errors.push(fail("value", format!("{} ({})", e, indicator.name)));
                return Err(errors);
            }
        };
        match unit {
            Some(unit) if errors.is_empty() => Ok(ValueRow {
                line,
                unit,
                indicator,
                period,
                value,
                comment: self.columns.comment.map(field).filter(|c| !c.is_empty()).map(nfc),
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::tests::catalog;
    use crate::import::{read_units, read_values};

    fn units() -> UnitTree {
        let text = "code,name,kind,parent,valid_from,valid_to\nHN,Thành phố,city,,,\n\
                    HD,Hà Đông,district,HN,,2025-06-30\nP1,Phường Một,ward,HN,2025-07-01,\n";
        let rows = read_units(text, &UnitTree::default()).unwrap();
        UnitTree::new(rows.into_iter().map(|l| l.row)).unwrap()
    }

    /// A good row as the tests compare it: line, unit, indicator, period, value, comment.
    type Good = (u64, String, String, String, Value, Option<String>);

    /// Every row of `text` read by the stream: the good rows and every error.
    fn streamed(text: &str) -> (Vec<Good>, Vec<RowError>) {
        let (catalog, units) = (catalog(), units());
        let mut stream = match ValuesStream::new(text.as_bytes(), &catalog, &units) {
            Ok(stream) => stream,
            Err(e) => return (Vec::new(), vec![e]),
        };
        let (mut rows, mut errors) = (Vec::new(), Vec::new());
        while let Some(row) = stream.next_row() {
            match row {
                Ok(r) => rows.push((
                    r.line,
                    r.unit.code.to_string(),
                    r.indicator.code.to_string(),
                    r.period.code(),
                    r.value,
                    r.comment,
                )),
                Err(e) => errors.extend(e),
            }
        }
        (rows, errors)
    }

    #[test]
    fn good_rows_come_out_with_their_lines_values_and_comments() {
        let text = "\u{feff}Unit,Indicator,Period,Value,Comment\n\
                    HD,A,2022S1,\"1.084\",ghi chú\n\n\
                    HD,M, 2022S1 ,\"1.200.000\",\n";
        let (rows, errors) = streamed(text);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            rows,
            [
                (
                    2,
                    "HD".into(),
                    "A".into(),
                    "2022S1".into(),
                    Value::Whole(1084),
                    Some("ghi chú".into())
                ),
                (
                    4,
                    "HD".into(),
                    "M".into(),
                    "2022S1".into(),
                    Value::Whole(1_200_000),
                    None
                ),
            ]
        );
    }

    #[test]
    fn a_file_without_a_needed_column_is_refused_at_the_header() {
        let (_, errors) = streamed("unit,indicator,value\nHD,A,1\n");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 1);
        assert!(errors[0].reason.contains("«period»"), "{}", errors[0].reason);
    }

    #[test]
    fn every_bad_row_gets_the_same_message_as_the_whole_file_reader() {
        let text = "unit,indicator,period,value\n\
                    XX,A,2022S1,1\n\
                    hd x,A,2022S1,1\n\
                    HD,ZZ,2022S1,1\n\
                    HD,R,2022S1,1\n\
                    HD,A,2022S9,1\n\
                    HD,A,2022S1,-5\n\
                    HD,A,2022S1,\n\
                    P1,A,2022S1,3\n\
                    HD,A,2026S1,3\n";
        let (rows, mut streamed_errors) = streamed(text);
        assert!(rows.is_empty(), "{rows:?}");
        let mut whole = read_values(text, &catalog(), &units()).expect_err("every row is bad");
        let key = |e: &RowError| (e.line, e.column.clone(), e.reason.clone());
        streamed_errors.sort_by_key(key);
        whole.sort_by_key(key);
        assert_eq!(streamed_errors, whole);
        assert_eq!(streamed_errors.len(), 9, "{streamed_errors:#?}");
    }

    #[test]
    fn a_bad_row_after_blank_lines_is_named_by_the_line_it_is_on_in_both_readers() {
        let text = "unit,indicator,period,value\n\n\r\nXX,A,2022S1,1\n";
        let (_, streamed_errors) = streamed(text);
        let whole = read_values(text, &catalog(), &units()).expect_err("the unit is unknown");
        assert_eq!(streamed_errors.iter().map(|e| e.line).collect::<Vec<_>>(), [4]);
        assert_eq!(whole.iter().map(|e| e.line).collect::<Vec<_>>(), [4]);
    }
}
