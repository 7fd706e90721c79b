//! Reading the project's CSV formats — units, clusters, indicators, validation rules and
//! long-format values (`unit,indicator,period,value[,comment]`) — into checked domain
//! values. Every bad row is reported with its line number, column and reason in
//! Vietnamese ("dòng 3, cột value: …"); a file with any bad row yields no rows at all,
//! so the caller can keep imports all-or-nothing.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use chrono::NaiveDate;

use crate::cluster::Cluster;
use crate::code::{ClusterCode, IndicatorCode, UnitCode};
use crate::error::Error;
use crate::formula::Formula;
use crate::indicator::{Aggregation, Catalog, Indicator, ValueType};
use crate::lineage::{ChangeKind, ChangeRequest};
use crate::period::Period;
use crate::rule::ValidationRule;
use crate::text::nfc;
use crate::unit::{Unit, UnitTree};
use crate::value::{DataValue, Value};

mod lines;
mod stream;
pub use stream::{ValueRow, ValuesStream};

/// One rejected row: where it is and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// Line in the file, 1-based; the header is line 1.
    pub line: u64,
    /// The column at fault, when one is.
    pub column: Option<String>,
    /// What is wrong, in Vietnamese.
    pub reason: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.column {
            Some(column) => write!(f, "dòng {}, cột {}: {}", self.line, column, self.reason),
            None => write!(f, "dòng {}: {}", self.line, self.reason),
        }
    }
}

/// A row that was read, with the line it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Line<T> {
    /// Line in the file, 1-based.
    pub line: u64,
    /// The row.
    pub row: T,
}

/// A values row before its value is read: reading needs the indicator's value type,
/// which only the catalog knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawValue {
    /// The unit code.
    pub unit: UnitCode,
    /// The indicator code.
    pub indicator: IndicatorCode,
    /// The period.
    pub period: Period,
    /// The value as typed.
    pub value: String,
    /// An optional note.
    pub comment: Option<String>,
}

/// A CSV file with named columns, read row by row with errors collected, not thrown.
struct Sheet {
    headers: HashMap<String, usize>,
    records: Vec<(u64, csv::StringRecord)>,
}

fn read_sheet(text: &str, required: &[&str]) -> Result<Sheet, Vec<RowError>> {
    // A UTF-8 byte-order mark is what Excel writes; it is not part of the first header.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(lines::CountingLines::new(text.as_bytes()));
    let headers: HashMap<String, usize> = match reader.headers() {
        Ok(h) => h
            .iter()
            .enumerate()
            .map(|(i, name)| (name.to_ascii_lowercase(), i))
            .collect(),
        Err(e) => return Err(vec![csv_error(1, &e)]),
    };
    let missing: Vec<&str> = required.iter().copied().filter(|c| !headers.contains_key(*c)).collect();
    if !missing.is_empty() {
        return Err(vec![RowError {
            line: 1,
            column: None,
            reason: format!(
                "thiếu cột {} trong dòng tiêu đề (cần có: {})",
                quote_all(&missing),
                required.join(",")
            ),
        }]);
    }
    let mut records = Vec::new();
    let mut errors = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = reader.get_mut().line_at(record.position().map_or(0, |p| p.byte()));
                if record.iter().all(str::is_empty) {
                    continue;
                }
                records.push((line, record.clone()));
            }
            Err(e) => {
                let line = reader.get_mut().line_at(e.position().map_or(0, |p| p.byte()));
                errors.push(csv_error(line, &e));
            }
        }
    }
    if errors.is_empty() {
        Ok(Sheet { headers, records })
    } else {
        Err(errors)
    }
}

fn quote_all(names: &[&str]) -> String {
    names.iter().map(|n| format!("«{n}»")).collect::<Vec<_>>().join(", ")
}

fn csv_error(line: u64, e: &csv::Error) -> RowError {
    let reason = match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "tệp không phải UTF-8 (hãy lưu tệp CSV với bảng mã UTF-8)".to_owned(),
        _ => format!("không đọc được dòng CSV ({e})"),
    };
    RowError {
        line,
        column: None,
        reason,
    }
}

/// Reads one row's fields, remembering the first error per field.
struct RowReader<'a> {
    sheet: &'a Sheet,
    record: &'a csv::StringRecord,
    line: u64,
    errors: Vec<RowError>,
}

impl<'a> RowReader<'a> {
    fn text(&self, column: &str) -> &'a str {
        self.sheet
            .headers
            .get(column)
            .and_then(|&i| self.record.get(i))
            .unwrap_or("")
    }

    fn optional(&self, column: &str) -> Option<String> {
        Some(nfc(self.text(column))).filter(|s| !s.is_empty())
    }

    fn fail(&mut self, column: &str, reason: String) {
        self.errors.push(RowError {
            line: self.line,
            column: Some(column.to_owned()),
            reason,
        });
    }

    fn required(&mut self, column: &str) -> Option<String> {
        let value = self.optional(column);
        if value.is_none() {
            self.fail(column, "không được để trống".into());
        }
        value
    }

    fn parse<T>(&mut self, column: &str, parse: impl Fn(&str) -> Result<T, Error>) -> Option<T> {
        let raw = self.required(column)?;
        match parse(&raw) {
            Ok(v) => Some(v),
            Err(e) => {
                self.fail(column, e.to_string());
                None
            }
        }
    }

    fn parse_optional<T>(&mut self, column: &str, parse: impl Fn(&str) -> Result<T, Error>) -> Option<T> {
        let raw = self.optional(column)?;
        match parse(&raw) {
            Ok(v) => Some(v),
            Err(e) => {
                self.fail(column, e.to_string());
                None
            }
        }
    }
}

/// Runs `read` on every row; returns the rows when all were good, else every error.
fn read_rows<T>(
    text: &str,
    required: &[&str],
    read: impl Fn(&mut RowReader<'_>) -> Option<T>,
) -> Result<Vec<Line<T>>, Vec<RowError>> {
    let (rows, errors) = read_rows_partial(text, required, read)?;
    finish(rows, errors)
}

/// Rows that were read, beside the errors of those that were not.
type Partial<T> = (Vec<Line<T>>, Vec<RowError>);

/// Like [`read_rows`], but keeps the good rows beside the errors, so later checks can
/// still run on them and one attempt reports every problem in the file.
fn read_rows_partial<T>(
    text: &str,
    required: &[&str],
    read: impl Fn(&mut RowReader<'_>) -> Option<T>,
) -> Result<Partial<T>, Vec<RowError>> {
    let sheet = read_sheet(text, required)?;
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for (line, record) in &sheet.records {
        let mut reader = RowReader {
            sheet: &sheet,
            record,
            line: *line,
            errors: Vec::new(),
        };
        let row = read(&mut reader);
        match row {
            Some(row) if reader.errors.is_empty() => rows.push(Line { line: *line, row }),
            _ => errors.extend(reader.errors),
        }
    }
    Ok((rows, errors))
}

fn parse_date(raw: &str) -> Result<NaiveDate, Error> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(raw, "%d/%m/%Y"))
        .map_err(|_| Error::InvalidField {
            field: "ngày",
            value: raw.to_owned(),
            expected: "ngày dạng 25/7/2022 hoặc 2022-07-25",
        })
}

/// Reads `units.csv`: `code,name,kind,parent[,valid_from,valid_to]`, and checks the tree
/// it forms together with the units already known (`existing`).
pub fn read_units(text: &str, existing: &UnitTree) -> Result<Vec<Line<Unit>>, Vec<RowError>> {
    let rows = read_rows(text, &["code", "name", "kind", "parent"], |r| {
        let code = r.parse("code", UnitCode::parse);
        let name = r.required("name");
        let kind = r.required("kind");
        let parent = r.parse_optional("parent", UnitCode::parse);
        let valid_from = r.parse_optional("valid_from", parse_date);
        let valid_to = r.parse_optional("valid_to", parse_date);
        if let (Some(from), Some(to)) = (valid_from, valid_to)
            && to < from
        {
            r.fail("valid_to", "ngày kết thúc trước ngày bắt đầu".into());
        }
        Some(Unit {
            code: code?,
            name: name?,
            kind: kind?,
            parent,
            valid_from,
            valid_to,
        })
    })?;
    let mut errors = duplicates(&rows, |u| u.code.to_string());
    let mut merged: BTreeMap<UnitCode, Unit> = existing.units().map(|u| (u.code.clone(), u.clone())).collect();
    for Line { row, .. } in &rows {
        merged.insert(row.code.clone(), row.clone());
    }
    for Line { line, row } in &rows {
        if let Some(parent) = &row.parent
            && !merged.contains_key(parent)
        {
            errors.push(RowError {
                line: *line,
                column: Some("parent".into()),
                reason: format!("đơn vị cấp trên {parent} không có trong tệp hay trong cơ sở dữ liệu"),
            });
        }
    }
    if errors.is_empty()
        && let Err(e) = UnitTree::new(merged.into_values())
    {
        errors.push(RowError {
            line: 1,
            column: Some("parent".into()),
            reason: e.to_string(),
        });
    }
    finish(rows, errors)
}

/// Reads `clusters.csv`: `code,name,year,members,host[,chair,deputy]`, members separated
/// by `;`, every unit known to `units`.
pub fn read_clusters(text: &str, units: &UnitTree) -> Result<Vec<Line<Cluster>>, Vec<RowError>> {
    let rows = read_rows(text, &["code", "name", "year", "members"], |r| {
        let code = r.parse("code", ClusterCode::parse);
        let name = r.required("name");
        let year = r.parse("year", |s| {
            s.parse::<i32>()
                .ok()
                .filter(|y| (1945..=2100).contains(y))
                .ok_or_else(|| Error::InvalidField {
                    field: "năm",
                    value: s.to_owned(),
                    expected: "năm có 4 chữ số, ví dụ 2022",
                })
        });
        let members = r.parse("members", |s| {
            s.split(';')
                .filter(|m| !m.trim().is_empty())
                .map(UnitCode::parse)
                .collect()
        });
        let unit_or_fail = |r: &mut RowReader<'_>, column: &str| {
            let code = r.parse_optional(column, UnitCode::parse)?;
            if units.get(&code).is_none() {
                r.fail(column, format!("đơn vị {code} không có trong danh mục đơn vị"));
            }
            Some(code)
        };
        let host = unit_or_fail(r, "host");
        let chair = unit_or_fail(r, "chair");
        let deputy = unit_or_fail(r, "deputy");
        let members: Vec<UnitCode> = members?;
        for member in &members {
            if units.get(member).is_none() {
                r.fail("members", format!("đơn vị {member} không có trong danh mục đơn vị"));
            }
        }
        let cluster = Cluster {
            code: code?,
            name: name?,
            year: year?,
            members,
            chair,
            deputy,
            host,
        };
        match cluster.validated() {
            Ok(c) => Some(c),
            Err(e) => {
                r.fail("members", e.to_string());
                None
            }
        }
    })?;
    let errors = duplicates(&rows, |c| format!("{} năm {}", c.code, c.year));
    finish(rows, errors)
}

/// Reads `indicators.csv`: `code,name,measure,value_type,aggregation,formula,group`,
/// and checks the whole catalog (the file together with `existing`).
pub fn read_indicators(text: &str, existing: &Catalog) -> Result<Vec<Line<Indicator>>, Vec<RowError>> {
    let rows = read_rows(
        text,
        &["code", "name", "measure", "value_type", "aggregation", "group"],
        |r| {
            let code = r.parse("code", IndicatorCode::parse);
            let name = r.required("name");
            let measure = r.required("measure");
            let value_type = r.parse("value_type", ValueType::parse);
            let aggregation = r.parse("aggregation", Aggregation::parse);
            let formula = r.parse_optional("formula", Formula::parse);
            let group = r.required("group");
            let indicator = Indicator {
                code: code?,
                name: name?,
                measure: measure?,
                value_type: value_type?,
                aggregation: aggregation?,
                formula,
                group: group?,
            };
            match indicator.validated() {
                Ok(i) => Some(i),
                Err(e) => {
                    r.fail("aggregation", e.to_string());
                    None
                }
            }
        },
    )?;
    let mut errors = duplicates(&rows, |i| i.code.to_string());
    if errors.is_empty() {
        let mut merged: Vec<Indicator> = existing.indicators().to_vec();
        for Line { row, .. } in &rows {
            match merged.iter_mut().find(|i| i.code == row.code) {
                Some(slot) => *slot = row.clone(),
                None => merged.push(row.clone()),
            }
        }
        if let Err(e) = Catalog::new(merged) {
            let line = rows
                .iter()
                .find(|l| e.to_string().starts_with(&format!("chỉ tiêu {}:", l.row.code)))
                .map_or(1, |l| l.line);
            errors.push(RowError {
                line,
                column: Some("formula".into()),
                reason: e.to_string(),
            });
        }
    }
    finish(rows, errors)
}

/// Reads `rules.csv`: `rule[,message]`, every indicator known to `catalog`.
pub fn read_rules(text: &str, catalog: &Catalog) -> Result<Vec<Line<ValidationRule>>, Vec<RowError>> {
    let rows = read_rows(text, &["rule"], |r| {
        let message = r.optional("message");
        let rule = r.parse("rule", |s| ValidationRule::parse(s, message.clone()))?;
        for code in rule.references() {
            if catalog.get(code).is_none() {
                r.fail("rule", format!("chỉ tiêu {code} không có trong danh mục chỉ tiêu"));
            }
        }
        Some(rule)
    })?;
    finish(rows, Vec::new())
}

/// Reads the long-format values file — `unit,indicator,period,value[,comment]` — and
/// each value against its indicator and unit: the unit and indicator exist, the unit
/// exists during the period, the indicator is reported (not computed), and the value is
/// of the indicator's type. Every problem of every row is reported at once.
pub fn read_values(text: &str, catalog: &Catalog, units: &UnitTree) -> Result<Vec<Line<DataValue>>, Vec<RowError>> {
    let (rows, mut errors) = read_rows_partial(text, &["unit", "indicator", "period", "value"], |r| {
        let unit = r.parse("unit", UnitCode::parse);
        let indicator = r.parse("indicator", IndicatorCode::parse);
        let period = r.parse("period", Period::parse);
        let value = r.required("value");
        Some(RawValue {
            unit: unit?,
            indicator: indicator?,
            period: period?,
            value: value?,
            comment: r.optional("comment"),
        })
    })?;
    errors.extend(duplicates(&rows, |v| {
        format!("{}/{}/{}", v.unit, v.indicator, v.period)
    }));
    let resolved = match resolve_values(rows, catalog, units) {
        Ok(resolved) => resolved,
        Err(more) => {
            errors.extend(more);
            Vec::new()
        }
    };
    finish(resolved, errors)
}

/// Reads each raw value against its indicator and unit (see [`read_values`]).
fn resolve_values(
    rows: Vec<Line<RawValue>>,
    catalog: &Catalog,
    units: &UnitTree,
) -> Result<Vec<Line<DataValue>>, Vec<RowError>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for Line { line, row } in rows {
        let fail = |column: &str, reason: String| RowError {
            line,
            column: Some(column.to_owned()),
            reason,
        };
        match units.get(&row.unit) {
            None => errors.push(fail(
                "unit",
                format!("đơn vị {} không có trong danh mục đơn vị", row.unit),
            )),
            Some(u) if !(u.is_active_on(row.period.start()) || u.is_active_on(row.period.end())) => errors.push(fail(
                "unit",
                format!("đơn vị {} không hoạt động trong kỳ {}", row.unit, row.period.label_vi()),
            )),
            Some(_) => {}
        }
        let Some(indicator) = catalog.get(&row.indicator) else {
            errors.push(fail(
                "indicator",
                format!("chỉ tiêu {} không có trong danh mục chỉ tiêu", row.indicator),
            ));
            continue;
        };
        if indicator.is_computed() {
            errors.push(fail(
                "indicator",
                format!(
                    "chỉ tiêu {} được tính theo công thức {}, không nhập trực tiếp",
                    row.indicator,
                    indicator.formula.as_ref().map_or("", |f| f.source())
                ),
            ));
            continue;
        }
        match Value::parse(&row.value, indicator.value_type) {
            Ok(value) => out.push(Line {
                line,
                row: DataValue {
                    unit: row.unit,
                    indicator: row.indicator,
                    period: row.period,
                    value,
                    comment: row.comment,
                },
            }),
            Err(e) => errors.push(fail("value", format!("{} ({})", e, indicator.name))),
        }
    }
    finish(out, errors)
}

/// Checks the validation rules for every (unit, period) the new values touch, on the new
/// values laid over the stored ones (`stored`). A violation is reported on the line of
/// one of the new values it involves.
pub fn check_rules(new: &[Line<DataValue>], stored: &[DataValue], rules: &[ValidationRule]) -> Vec<RowError> {
    type Key = (UnitCode, Period);
    let mut figures: BTreeMap<Key, BTreeMap<IndicatorCode, (f64, Option<u64>)>> = BTreeMap::new();
    for v in stored {
        if let Some(x) = v.value.as_f64() {
            figures
                .entry((v.unit.clone(), v.period))
                .or_default()
                .insert(v.indicator.clone(), (x, None));
        }
    }
    let mut touched: Vec<Key> = Vec::new();
    for Line { line, row } in new {
        let key = (row.unit.clone(), row.period);
        if !touched.contains(&key) {
            touched.push(key.clone());
        }
        if let Some(x) = row.value.as_f64() {
            figures
                .entry(key)
                .or_default()
                .insert(row.indicator.clone(), (x, Some(*line)));
        }
    }
    let mut errors = Vec::new();
    for key in touched {
        let Some(values) = figures.get(&key) else {
            continue;
        };
        for rule in rules {
            let Some(violation) = rule.check(&|code| values.get(code).map(|(x, _)| *x)) else {
                continue;
            };
            let line = violation
                .indicators
                .iter()
                .filter_map(|c| values.get(c).and_then(|(_, l)| *l))
                .max()
                .unwrap_or(1);
            errors.push(RowError {
                line,
                column: Some("value".into()),
                reason: format!("đơn vị {}, kỳ {}: {}", key.0, key.1, violation.message),
            });
        }
    }
    errors.sort_by_key(|e| e.line);
    errors
}

/// Reads `changes.csv`: `date,change,from,to,name,parent` — `change` one of merge, split,
/// move, rename, close; `from` and `to` unit codes separated by `;`, a split's shares as
/// `CODE:0.6`; `name` the new name (rename) or the new units' names (separated by `;`);
/// `parent` a move's new parent or the new units' parent; dates as `1/7/2025` or
/// `2025-07-01`. Every bad row is named with its line and column; with any, no row is
/// given. The rows are checked against the tree by [`crate::lineage::plan`].
pub fn read_changes(text: &str) -> Result<Vec<Line<ChangeRequest>>, Vec<RowError>> {
    fn codes(raw: &str) -> impl Iterator<Item = &str> {
        raw.split(';').map(str::trim).filter(|c| !c.is_empty())
    }
    read_rows(text, &["date", "change", "from", "to", "name", "parent"], |r| {
        let effective = r.parse("date", parse_date);
        let kind = r.parse("change", |raw| {
            ChangeKind::parse(raw).ok_or_else(|| Error::InvalidField {
                field: "loại thay đổi",
                value: raw.to_owned(),
                expected: "merge, split, move, rename hoặc close",
            })
        });
        let from: Option<Vec<UnitCode>> = r.parse("from", |raw| codes(raw).map(UnitCode::parse).collect());
        let to: Result<Vec<(UnitCode, Option<f64>)>, Error> = r
            .optional("to")
            .map_or_else(Vec::new, |raw| codes(&raw).map(str::to_owned).collect())
            .iter()
            .map(|c| match c.split_once(':') {
                None => Ok((UnitCode::parse(c)?, None)),
                Some((code, w)) => {
                    let weight = w
                        .trim()
                        .replace(',', ".")
                        .parse::<f64>()
                        .ok()
                        .filter(|w| w.is_finite())
                        .ok_or_else(|| Error::InvalidField {
                            field: "tỷ lệ chia",
                            value: w.to_owned(),
                            expected: "một số, ví dụ MA_DON_VI:0,6",
                        })?;
                    Ok((UnitCode::parse(code.trim())?, Some(weight)))
                }
            })
            .collect();
        let to = to.map_err(|e| r.fail("to", e.to_string())).ok();
        let names = r
            .optional("name")
            .map_or_else(Vec::new, |raw| codes(&raw).map(str::to_owned).collect());
        let parent = r.parse_optional("parent", UnitCode::parse);
        Some(ChangeRequest {
            effective: effective?,
            kind: kind?,
            from: from?,
            to: to?,
            names,
            parent,
        })
    })
}

fn duplicates<T>(rows: &[Line<T>], key: impl Fn(&T) -> String) -> Vec<RowError> {
    let mut first_seen: HashMap<String, u64> = HashMap::new();
    let mut errors = Vec::new();
    for Line { line, row } in rows {
        let k = key(row);
        match first_seen.get(&k) {
            Some(first) => errors.push(RowError {
                line: *line,
                column: None,
                reason: format!("{k} trùng với dòng {first}"),
            }),
            None => {
                first_seen.insert(k, *line);
            }
        }
    }
    errors
}

fn finish<T>(rows: Vec<Line<T>>, mut errors: Vec<RowError>) -> Result<Vec<Line<T>>, Vec<RowError>> {
    if errors.is_empty() {
        Ok(rows)
    } else {
        errors.sort_by_key(|e| e.line);
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two summed indicators and a ratio of them; the streamed reader's tests share it.
    pub(super) fn catalog() -> Catalog {
        let text = "code,name,measure,value_type,aggregation,formula,group\n\
                    A,Số cuộc,cuộc,integer,sum,,Nhóm\n\
                    M,Số tiền,đồng,money,sum,,Nhóm\n\
                    R,Tỷ lệ,%,percent,ratio,100 * A / M,Nhóm\n";
        let rows = read_indicators(text, &Catalog::default()).unwrap();
        Catalog::new(rows.into_iter().map(|l| l.row).collect()).unwrap()
    }

    fn units() -> UnitTree {
        let text = "code,name,kind,parent\nHN,Thành phố,city,\nHD,Hà Đông,district,HN\n";
        let rows = read_units(text, &UnitTree::default()).unwrap();
        UnitTree::new(rows.into_iter().map(|l| l.row)).unwrap()
    }

    fn messages(errors: Vec<RowError>) -> Vec<String> {
        errors.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_missing_column_is_named_on_the_header_line() {
        let errors = read_values("unit,indicator,value\nHD,A,1\n", &catalog(), &units())
            .err()
            .unwrap_or_default();
        assert_eq!(
            messages(errors),
            ["dòng 1: thiếu cột «period» trong dòng tiêu đề (cần có: unit,indicator,period,value)"]
        );
    }

    #[test]
    fn an_excel_byte_order_mark_and_decomposed_text_are_accepted() {
        let text = "\u{feff}code,name,kind,parent\nHD2,Ha\u{300} \u{110}o\u{302}ng 2,district,\n";
        let rows = read_units(text, &UnitTree::default()).unwrap();
        assert_eq!(rows[0].row.name, "Hà Đông 2");
    }

    #[test]
    fn vietnamese_style_values_are_read_by_the_indicator_s_type() {
        let text = "unit,indicator,period,value\nHD,A,2022S1,\"1.084\"\nHD,M,2022S1,\"1,2 tỷ\"\n";
        let rows = read_values(text, &catalog(), &units()).unwrap();
        assert_eq!(rows[0].row.value, Value::Whole(1084));
        assert_eq!(rows[1].row.value, Value::Whole(1_200_000_000));
        assert_eq!(rows[1].line, 3);
    }

    #[test]
    fn every_bad_row_is_reported_in_one_go() {
        let text =
            "unit,indicator,period,value\nHD,A,2022S1,1\nHD,R,2022S1,5\nXX,A,2022S1,1\nHD,A,2022X,1\nHD,A,2022S1,2\n";
        let errors = messages(read_values(text, &catalog(), &units()).err().unwrap_or_default());
        assert_eq!(errors.len(), 4, "{errors:#?}");
        assert!(errors[0].starts_with("dòng 3, cột indicator: chỉ tiêu R được tính theo công thức"));
        assert_eq!(errors[1], "dòng 4, cột unit: đơn vị XX không có trong danh mục đơn vị");
        assert!(errors[2].starts_with("dòng 5, cột period:"));
        assert_eq!(errors[3], "dòng 6: HD/A/2022S1 trùng với dòng 2");
    }

    #[test]
    fn a_unit_closed_before_the_period_cannot_report_for_it() {
        let text =
            "code,name,kind,parent,valid_from,valid_to\nHN,Thành phố,city,,,\nOLD,Quận cũ,district,HN,,30/6/2025\n";
        let rows = read_units(text, &UnitTree::default()).unwrap();
        let tree = UnitTree::new(rows.into_iter().map(|l| l.row)).unwrap();
        let errors = messages(
            read_values("unit,indicator,period,value\nOLD,A,2025S2,1\n", &catalog(), &tree)
                .err()
                .unwrap_or_default(),
        );
        assert_eq!(
            errors,
            ["dòng 2, cột unit: đơn vị OLD không hoạt động trong kỳ 6 tháng cuối năm 2025"]
        );
    }

    #[test]
    fn a_parent_missing_from_file_and_database_is_refused() {
        let errors = messages(
            read_units("code,name,kind,parent\nP1,Phường,ward,NOWHERE\n", &UnitTree::default())
                .err()
                .unwrap_or_default(),
        );
        assert_eq!(
            errors,
            ["dòng 2, cột parent: đơn vị cấp trên NOWHERE không có trong tệp hay trong cơ sở dữ liệu"]
        );
    }

    #[test]
    fn a_formula_over_an_unknown_indicator_is_refused_on_its_line() {
        let text = "code,name,measure,value_type,aggregation,formula,group\nR2,Tỷ lệ,%,percent,ratio,100 * A / TANG_SO_DAM,Nhóm\n";
        let errors = messages(read_indicators(text, &catalog()).err().unwrap_or_default());
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].starts_with("dòng 2, cột formula: chỉ tiêu R2: công thức"),
            "{errors:?}"
        );
        assert!(errors[0].contains("TANG_SO_DAM không có trong danh mục"));
    }

    #[test]
    fn rule_violations_point_at_the_new_line_involved() {
        let rules = [ValidationRule::parse("A <= M", None).unwrap()];
        let rows = read_values("unit,indicator,period,value\nHD,A,2022S1,50\n", &catalog(), &units()).unwrap();
        let stored = [DataValue {
            unit: UnitCode::parse("HD").unwrap(),
            indicator: IndicatorCode::parse("M").unwrap(),
            period: Period::HalfYear(2022, 1),
            value: Value::Whole(10),
            comment: None,
        }];
        let errors = messages(check_rules(&rows, &stored, &rules));
        assert_eq!(
            errors,
            ["dòng 2, cột value: đơn vị HD, kỳ 2022S1: A = 50 không được lớn hơn M = 10"]
        );
    }
}
