//! DHIS2 — its `dataValueSets` format, the way reported figures travel between DHIS2
//! systems, read into thidua's figures and written from them, and its import summary.
//!
//! thidua uses codes as identifiers: an indicator's code is the data element, a unit's
//! code the organisation unit (`idScheme=code` in DHIS2 terms), and its period codes are
//! DHIS2's (`2022`, `2022S1`, `2022Q3`, `202207`). A data value has no category option
//! combination here (thidua does not disaggregate), so only DHIS2's default one is
//! accepted.
//!
//! - JSON: `{"dataValues": [{"dataElement", "period", "orgUnit", "categoryOptionCombo",
//!   "attributeOptionCombo", "value", "storedBy", "created", "lastUpdated", "comment",
//!   "followup"}]}`, with `period`, `orgUnit` and `attributeOptionCombo` also allowed once
//!   on the set for every value, and the import options (`idScheme`,
//!   `dataElementIdScheme`, `orgUnitIdScheme`, `dryRun`, `importStrategy`) on the set.
//! - CSV: DHIS2's columns by position under a header row — `dataelement, period, orgunit,
//!   categoryoptioncombo, attributeoptioncombo, value, storedby, lastupdated, comment,
//!   followup, deleted`.
//!
//! A value is read as DHIS2 writes it — a plain number with `.` as the decimal point
//! (`1.5` is one and a half, never 15) — and then gets every check of
//! [`crate::import::read_values`], which this module runs on the rows: the unit and the
//! indicator exist, the unit is active in the period, the indicator is reported, the
//! value is of its type. A problem names the row (`dòng 5` of a CSV file, `dataValues[4]`
//! of a JSON one), the field and the reason in Vietnamese, and becomes a conflict of the
//! import summary with DHIS2's error code and the row's index.
//!
//! Input is bounded ([`MAX_BYTES`], [`MAX_VALUES`]) and never makes this module panic,
//! whatever the bytes: a property test feeds it random ones.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::code::{IndicatorCode, UnitCode};
use crate::import::{self, RowError};
use crate::indicator::{Catalog, ValueType};
use crate::period::Period;
use crate::unit::UnitTree;
use crate::value::{DataValue, Value};

/// The largest file read, in bytes.
pub const MAX_BYTES: usize = 32 * 1024 * 1024;
/// The most data values a file may hold.
pub const MAX_VALUES: usize = 200_000;
/// The most conflicts an import summary lists (each with all the rows it concerns); the
/// description says how many more there were.
pub const MAX_CONFLICTS: usize = 1_000;

/// DHIS2's CSV header, in its column order.
pub const CSV_HEADER: [&str; 11] = [
    "dataelement",
    "period",
    "orgunit",
    "categoryoptioncombo",
    "attributeoptioncombo",
    "value",
    "storedby",
    "lastupdated",
    "comment",
    "followup",
    "deleted",
];

/// The identifiers DHIS2 gives its default category option combination: thidua's values
/// are not disaggregated, so these (or nothing) are the only ones accepted.
const DEFAULT_COMBOS: [&str; 2] = ["default", "HllvX50cXC0"];

/// How long a quoted value may be in a message before it is cut.
const QUOTED_CHARS: usize = 60;

/// The two shapes of a data value set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `application/json`.
    Json,
    /// DHIS2's CSV, `application/csv`.
    Csv,
}

impl Format {
    /// `json` or `csv`.
    pub fn parse(raw: &str) -> Result<Format, crate::Error> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            _ => Err(crate::Error::InvalidField {
                field: "định dạng",
                value: raw.to_owned(),
                expected: "json hoặc csv",
            }),
        }
    }

    /// The format of a request body by its media type (`application/json`,
    /// `application/csv`, `text/csv`, parameters ignored); `None` for any other.
    pub fn of_media_type(content_type: &str) -> Option<Format> {
        let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        match essence.as_str() {
            "application/json" => Some(Format::Json),
            "application/csv" | "text/csv" => Some(Format::Csv),
            _ => None,
        }
    }

    /// The format of a file by its name: `.csv` is CSV, anything else JSON.
    pub fn of_file_name(name: &str) -> Format {
        if name.to_ascii_lowercase().ends_with(".csv") {
            Format::Csv
        } else {
            Format::Json
        }
    }

    /// The media type written.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Csv => "application/csv",
        }
    }
}

/// Where a data value is in its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// A CSV file's line, 1-based (the header is line 1), as a spreadsheet shows it.
    Line(u64),
    /// A JSON file's place in `dataValues`, 0-based as the path `dataValues[4]` writes it.
    Item(usize),
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Line(line) => write!(f, "dòng {line}"),
            Place::Item(i) => write!(f, "dataValues[{i}]"),
        }
    }
}

/// One data value as its file wrote it, before it is read against the catalogs. Fields
/// left out are empty; the set's `period`, `orgUnit` and `attributeOptionCombo` are
/// already filled in where the value has none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawDataValue {
    /// Where it is.
    pub place: Place,
    /// The indicator's code.
    pub data_element: String,
    /// The period's code.
    pub period: String,
    /// The unit's code.
    pub org_unit: String,
    /// The category option combination (only the default is accepted).
    pub category_option_combo: String,
    /// The attribute option combination (only the default is accepted).
    pub attribute_option_combo: String,
    /// The value as written; `None` when left out or empty (DHIS2: delete the value).
    pub value: Option<String>,
    /// A note.
    pub comment: Option<String>,
    /// DHIS2's mark that the value was deleted.
    pub deleted: bool,
    /// JSON fields that were neither text, a number, a boolean nor null.
    malformed: Vec<&'static str>,
}

impl RawDataValue {
    fn at(place: Place) -> RawDataValue {
        RawDataValue {
            place,
            data_element: String::new(),
            period: String::new(),
            org_unit: String::new(),
            category_option_combo: String::new(),
            attribute_option_combo: String::new(),
            value: None,
            comment: None,
            deleted: false,
            malformed: Vec::new(),
        }
    }
}

/// What a set says about its own import (DHIS2 lets the payload override the URL's
/// parameters), each as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SetOptions {
    /// `idScheme`.
    pub id_scheme: Option<String>,
    /// `dataElementIdScheme`.
    pub data_element_id_scheme: Option<String>,
    /// `orgUnitIdScheme`.
    pub org_unit_id_scheme: Option<String>,
    /// `dryRun`.
    pub dry_run: Option<String>,
    /// `importStrategy` (or the older `strategy`).
    pub strategy: Option<String>,
    /// `completeDate`: the form is complete (submitted, in thidua's workflow).
    pub complete_date: Option<String>,
}

/// A data value set as read from its file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DataValueSet {
    /// The options the set carries.
    pub options: SetOptions,
    /// The data values, in file order.
    pub values: Vec<RawDataValue>,
}

/// Why a file was refused whole, before any of its values was looked at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    /// More bytes than [`MAX_BYTES`].
    #[error("tệp quá lớn: {bytes} byte, giới hạn {limit} byte; hãy chia thành nhiều tệp")]
    TooLarge {
        /// Its size.
        bytes: usize,
        /// The limit.
        limit: usize,
    },
    /// More values than [`MAX_VALUES`].
    #[error("tệp có hơn {0} giá trị; hãy chia thành nhiều tệp")]
    TooManyValues(usize),
    /// Not JSON, or not a data value set.
    #[error("dòng {line}, cột {column}: {reason}")]
    Json {
        /// Line of the problem, 1-based.
        line: usize,
        /// Column of the problem, 1-based.
        column: usize,
        /// What is wrong.
        reason: String,
    },
    /// A CSV line that cannot be read, or a missing header.
    #[error("{0}")]
    Csv(RowError),
    /// An import option thidua cannot follow.
    #[error("{0}")]
    Option(String),
}

/// One problem of one data value: where it is, which field, what is wrong — and, for the
/// import summary, DHIS2's error code and the object at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The value's 0-based position in the file (DHIS2's `indexes`).
    pub index: usize,
    /// Where it is, for people.
    pub place: Place,
    /// DHIS2's name of the field at fault (`dataElement`, `orgUnit`, `period`, `value`,
    /// …), when one is.
    pub property: Option<&'static str>,
    /// The identifier or value at fault, as written.
    pub object: String,
    /// DHIS2's error code (`E7610` unknown data element, …), when one fits.
    pub error_code: Option<&'static str>,
    /// What is wrong, in Vietnamese.
    pub reason: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.place, self.property) {
            (Place::Line(_), Some(p)) => write!(f, "{}, cột {}: {}", self.place, csv_column(p), self.reason),
            (Place::Item(_), Some(p)) => write!(f, "{}, trường {}: {}", self.place, p, self.reason),
            (_, None) => write!(f, "{}: {}", self.place, self.reason),
        }
    }
}

/// The CSV column of a JSON property.
fn csv_column(property: &str) -> &str {
    match property {
        "dataElement" => "dataelement",
        "orgUnit" => "orgunit",
        "categoryOptionCombo" => "categoryoptioncombo",
        "attributeOptionCombo" => "attributeoptioncombo",
        "storedBy" => "storedby",
        "lastUpdated" => "lastupdated",
        other => other,
    }
}

/// DHIS2's error code for a problem with `property`.
fn error_code_of(property: &str) -> Option<&'static str> {
    match property {
        "dataElement" => Some("E7610"),
        "period" => Some("E7611"),
        "orgUnit" => Some("E7612"),
        "categoryOptionCombo" => Some("E7613"),
        "attributeOptionCombo" => Some("E7615"),
        "value" => Some("E7619"),
        "comment" => Some("E7620"),
        _ => None,
    }
}

/// Quotes what was written, cut to a readable length.
fn quoted(raw: &str) -> String {
    let cut: String = raw.chars().take(QUOTED_CHARS).collect();
    if cut.len() < raw.len() {
        format!("«{cut}…»")
    } else {
        format!("«{cut}»")
    }
}

// ---------------------------------------------------------------------------------------
// Reading the two shapes
// ---------------------------------------------------------------------------------------

/// Reads a data value set in `format`.
pub fn parse(bytes: &[u8], format: Format) -> Result<DataValueSet, FileError> {
    if bytes.len() > MAX_BYTES {
        return Err(FileError::TooLarge {
            bytes: bytes.len(),
            limit: MAX_BYTES,
        });
    }
    // A UTF-8 byte-order mark is what Excel and some editors write; it is not content.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match format {
        Format::Json => parse_json(bytes),
        Format::Csv => parse_csv(bytes),
    }
}

/// A JSON scalar as DHIS2's reader takes it: text, a number or a boolean all read as
/// their text; objects and arrays are not read at all (and are refused per value).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Loose {
    Text(String),
    Null,
    Other,
}

impl Loose {
    /// The field's text (`None` when null); `Err` when it was an object or an array.
    fn text(self) -> Result<Option<String>, ()> {
        match self {
            Loose::Text(t) => Ok(Some(t)),
            Loose::Null => Ok(None),
            Loose::Other => Err(()),
        }
    }
}

impl<'de> Deserialize<'de> for Loose {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct LooseVisitor;
        impl<'de> Visitor<'de> for LooseVisitor {
            type Value = Loose;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Loose, E> {
                Ok(Loose::Text(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Loose, E> {
                Ok(Loose::Text(v))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Loose, E> {
                Ok(Loose::Text(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Loose, E> {
                Ok(Loose::Text(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Loose, E> {
                Ok(Loose::Text(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Loose, E> {
                Ok(Loose::Text(v.to_string()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Loose, E> {
                Ok(Loose::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<Loose, E> {
                Ok(Loose::Null)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Loose, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Loose::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Loose, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Loose::Other)
            }
        }
        deserializer.deserialize_any(LooseVisitor)
    }
}

/// A JSON object read as `T` — only an object: serde's derived structs would also take
/// an array, field by field in order, which no DHIS2 file is.
struct Object<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
            type Value = Object<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Object<T>, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Object)
            }
        }
        deserializer.deserialize_map(ObjectVisitor(std::marker::PhantomData))
    }
}

/// One element of `dataValues`, as JSON has it.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct JsonDataValue {
    data_element: Option<Loose>,
    period: Option<Loose>,
    org_unit: Option<Loose>,
    category_option_combo: Option<Loose>,
    attribute_option_combo: Option<Loose>,
    value: Option<Loose>,
    comment: Option<Loose>,
    deleted: Option<Loose>,
}

/// The message of the error [`JsonValues`] stops with, recognised by [`parse_json`].
const TOO_MANY: &str = "thidua: too many data values";

/// `dataValues`, read one element at a time and refused past [`MAX_VALUES`], so a
/// hostile file cannot make us hold millions of values.
#[derive(Debug, Default)]
struct JsonValues(Vec<JsonDataValue>);

impl<'de> Deserialize<'de> for JsonValues {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SeqVisitor;
        impl<'de> Visitor<'de> for SeqVisitor {
            type Value = JsonValues;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of data values")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<JsonValues, A::Error> {
                let mut out = Vec::new();
                while let Some(Object(value)) = seq.next_element::<Object<JsonDataValue>>()? {
                    if out.len() == MAX_VALUES {
                        return Err(de::Error::custom(TOO_MANY));
                    }
                    out.push(value);
                }
                Ok(JsonValues(out))
            }
        }
        deserializer.deserialize_seq(SeqVisitor)
    }
}

/// A data value set, as JSON has it.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct JsonSet {
    period: Option<Loose>,
    org_unit: Option<Loose>,
    attribute_option_combo: Option<Loose>,
    complete_date: Option<Loose>,
    id_scheme: Option<Loose>,
    data_element_id_scheme: Option<Loose>,
    org_unit_id_scheme: Option<Loose>,
    dry_run: Option<Loose>,
    strategy: Option<Loose>,
    import_strategy: Option<Loose>,
    data_values: Option<JsonValues>,
}

/// A set-level option's text; an object or array there is not an option at all.
fn option_text(field: Option<Loose>, name: &str) -> Result<Option<String>, FileError> {
    match field.map(Loose::text) {
        None | Some(Ok(None)) => Ok(None),
        Some(Ok(Some(t))) => Ok(Some(t)),
        Some(Err(())) => Err(FileError::Option(format!("«{name}» phải là chuỗi"))),
    }
}

fn parse_json(bytes: &[u8]) -> Result<DataValueSet, FileError> {
    let Object(set): Object<JsonSet> = serde_json::from_slice(bytes).map_err(json_error)?;
    let set_period = option_text(set.period, "period")?;
    let set_unit = option_text(set.org_unit, "orgUnit")?;
    let set_combo = option_text(set.attribute_option_combo, "attributeOptionCombo")?;
    let options = SetOptions {
        id_scheme: option_text(set.id_scheme, "idScheme")?,
        data_element_id_scheme: option_text(set.data_element_id_scheme, "dataElementIdScheme")?,
        org_unit_id_scheme: option_text(set.org_unit_id_scheme, "orgUnitIdScheme")?,
        dry_run: option_text(set.dry_run, "dryRun")?,
        strategy: match option_text(set.import_strategy, "importStrategy")? {
            Some(s) => Some(s),
            None => option_text(set.strategy, "strategy")?,
        },
        complete_date: option_text(set.complete_date, "completeDate")?,
    };
    let mut values = Vec::new();
    for (i, json) in set.data_values.unwrap_or_default().0.into_iter().enumerate() {
        let mut raw = RawDataValue::at(Place::Item(i));
        let mut text = |field: Option<Loose>, name: &'static str| -> Option<String> {
            match field.map(Loose::text) {
                Some(Ok(t)) => t,
                Some(Err(())) => {
                    raw.malformed.push(name);
                    None
                }
                None => None,
            }
        };
        let data_element = text(json.data_element, "dataElement");
        let period = text(json.period, "period");
        let org_unit = text(json.org_unit, "orgUnit");
        let coc = text(json.category_option_combo, "categoryOptionCombo");
        let aoc = text(json.attribute_option_combo, "attributeOptionCombo");
        let value = text(json.value, "value");
        let comment = text(json.comment, "comment");
        let deleted = text(json.deleted, "deleted");
        raw.data_element = data_element.unwrap_or_default();
        raw.period = period.or_else(|| set_period.clone()).unwrap_or_default();
        raw.org_unit = org_unit.or_else(|| set_unit.clone()).unwrap_or_default();
        raw.category_option_combo = coc.unwrap_or_default();
        raw.attribute_option_combo = aoc.or_else(|| set_combo.clone()).unwrap_or_default();
        raw.value = value.filter(|v| !v.trim().is_empty());
        raw.comment = comment.filter(|c| !c.trim().is_empty());
        raw.deleted = deleted.is_some_and(|d| d.trim().eq_ignore_ascii_case("true"));
        values.push(raw);
    }
    Ok(DataValueSet { options, values })
}

/// A JSON refusal in Vietnamese, where serde_json found it.
fn json_error(e: serde_json::Error) -> FileError {
    use serde_json::error::Category;
    if e.to_string().starts_with(TOO_MANY) {
        return FileError::TooManyValues(MAX_VALUES);
    }
    let reason = match e.classify() {
        Category::Io | Category::Syntax => "không phải JSON hợp lệ".to_owned(),
        Category::Eof => "tệp JSON kết thúc giữa chừng".to_owned(),
        Category::Data if e.to_string().starts_with("duplicate field") => {
            "một trường được viết hai lần trong cùng một đối tượng".to_owned()
        }
        Category::Data => "không đúng dạng dataValueSet của DHIS2 — {\"dataValues\": [{\"dataElement\": …, \"period\": …, \"orgUnit\": …, \"value\": …}]}".to_owned(),
    };
    FileError::Json {
        line: e.line().max(1),
        column: e.column().max(1),
        reason,
    }
}

fn parse_csv(bytes: &[u8]) -> Result<DataValueSet, FileError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let mut record = csv::StringRecord::new();
    let csv_error = |e: csv::Error| {
        let line = e.position().map_or(1, |p| p.line());
        let reason = match e.kind() {
            csv::ErrorKind::Utf8 { .. } => "tệp không phải UTF-8 (hãy lưu tệp CSV với bảng mã UTF-8)".to_owned(),
            _ => format!("không đọc được dòng CSV ({e})"),
        };
        FileError::Csv(RowError {
            line,
            column: None,
            reason,
        })
    };
    // The first row is the header, as DHIS2 has it; it is checked so that a file without
    // one does not lose its first value unseen.
    let header_ok = reader.read_record(&mut record).map_err(csv_error)?
        && record
            .get(0)
            .is_some_and(|first| first.trim_start_matches('\u{feff}').eq_ignore_ascii_case("dataelement"));
    if !header_ok {
        return Err(FileError::Csv(RowError {
            line: 1,
            column: None,
            reason: format!("thiếu dòng tiêu đề của DHIS2: {}", CSV_HEADER.join(",")),
        }));
    }
    let mut values = Vec::new();
    while reader.read_record(&mut record).map_err(csv_error)? {
        if record.iter().all(str::is_empty) {
            continue;
        }
        if values.len() == MAX_VALUES {
            return Err(FileError::TooManyValues(MAX_VALUES));
        }
        let line = record.position().map_or(0, |p| p.line());
        let field = |i: usize| record.get(i).unwrap_or("").to_owned();
        let optional = |i: usize| Some(field(i)).filter(|v| !v.is_empty());
        let mut raw = RawDataValue::at(Place::Line(line));
        raw.data_element = field(0);
        raw.period = field(1);
        raw.org_unit = field(2);
        raw.category_option_combo = field(3);
        raw.attribute_option_combo = field(4);
        raw.value = optional(5);
        raw.comment = optional(8);
        raw.deleted = field(10).eq_ignore_ascii_case("true");
        values.push(raw);
    }
    Ok(DataValueSet {
        options: SetOptions::default(),
        values,
    })
}

// ---------------------------------------------------------------------------------------
// Import options
// ---------------------------------------------------------------------------------------

/// DHIS2's `importStrategy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strategy {
    /// New values are added and stored ones replaced (the default).
    #[default]
    CreateAndUpdate,
    /// Only new values; values already stored are left as they are (and counted ignored).
    Create,
    /// Only stored values are replaced; new ones are ignored.
    Update,
    /// Values are deleted — which thidua does not do by import.
    Delete,
}

impl Strategy {
    /// DHIS2's spelling, older names included (`NEW_AND_UPDATES`, `NEW`, `UPDATES`).
    pub fn parse(raw: &str) -> Result<Strategy, FileError> {
        match raw.trim().to_ascii_uppercase().as_str() {
            "CREATE_AND_UPDATE" | "NEW_AND_UPDATES" => Ok(Strategy::CreateAndUpdate),
            "CREATE" | "NEW" => Ok(Strategy::Create),
            "UPDATE" | "UPDATES" => Ok(Strategy::Update),
            "DELETE" | "DELETES" => Ok(Strategy::Delete),
            _ => Err(FileError::Option(format!(
                "importStrategy {} không hợp lệ: cần CREATE_AND_UPDATE, CREATE hoặc UPDATE",
                quoted(raw)
            ))),
        }
    }

    /// DHIS2's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::CreateAndUpdate => "CREATE_AND_UPDATE",
            Strategy::Create => "CREATE",
            Strategy::Update => "UPDATE",
            Strategy::Delete => "DELETE",
        }
    }
}

/// The import options a request gives outside the file (URL parameters, command-line
/// flags); the file's own win, as in DHIS2.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Requested {
    /// `dryRun`.
    pub dry_run: Option<String>,
    /// `importStrategy`.
    pub strategy: Option<String>,
    /// `idScheme`.
    pub id_scheme: Option<String>,
    /// `dataElementIdScheme`.
    pub data_element_id_scheme: Option<String>,
    /// `orgUnitIdScheme`.
    pub org_unit_id_scheme: Option<String>,
}

/// How one import is to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImportOptions {
    /// Check and count only; write nothing.
    pub dry_run: bool,
    /// Which values are written.
    pub strategy: Strategy,
    /// The set gave a `completeDate`: the form is to be submitted.
    pub complete: bool,
}

/// Whether a DHIS2 boolean is true (`true`, `1`, `t`, any case).
fn is_true(raw: &str) -> bool {
    matches!(raw.trim().to_ascii_lowercase().as_str(), "true" | "1" | "t")
}

impl ImportOptions {
    /// The options of `set` under `requested`: the set's own first, then the request's.
    /// Identifiers must be codes (`idScheme=code`, the default here): thidua has no
    /// DHIS2 UIDs, and names are not identifiers. `DELETE` is refused: an import never
    /// removes figures.
    pub fn of(set: &DataValueSet, requested: &Requested) -> Result<ImportOptions, FileError> {
        let own = &set.options;
        let schemes = [
            (
                "dataElementIdScheme",
                &own.data_element_id_scheme,
                &requested.data_element_id_scheme,
            ),
            (
                "orgUnitIdScheme",
                &own.org_unit_id_scheme,
                &requested.org_unit_id_scheme,
            ),
            ("idScheme", &own.id_scheme, &requested.id_scheme),
        ];
        for (name, in_set, in_request) in schemes {
            if let Some(scheme) = in_set.as_ref().or(in_request.as_ref())
                && !scheme.trim().is_empty()
                && !scheme.trim().eq_ignore_ascii_case("code")
            {
                return Err(FileError::Option(format!(
                    "{name}={} không dùng được: thidua nhận diện chỉ tiêu và đơn vị bằng mã, hãy xuất từ DHIS2 với idScheme=code",
                    scheme.trim()
                )));
            }
        }
        let strategy = match own.strategy.as_ref().or(requested.strategy.as_ref()) {
            Some(s) if !s.trim().is_empty() => Strategy::parse(s)?,
            _ => Strategy::default(),
        };
        if strategy == Strategy::Delete {
            return Err(FileError::Option(
                "importStrategy=DELETE không dùng được: thidua không xóa số liệu khi nhập".into(),
            ));
        }
        // A dry run when either asks for one: a set that says `false` must not turn the
        // caller's `dryRun=true` into a write (unlike the strategy, where the set wins).
        let dry_run = own.dry_run.as_deref().is_some_and(is_true) || requested.dry_run.as_deref().is_some_and(is_true);
        let complete = own
            .complete_date
            .as_ref()
            .is_some_and(|d| !d.trim().is_empty() && !d.trim().eq_ignore_ascii_case("false"));
        Ok(ImportOptions {
            dry_run,
            strategy,
            complete,
        })
    }
}

// ---------------------------------------------------------------------------------------
// Reading against the catalogs
// ---------------------------------------------------------------------------------------

/// A data value read against the catalogs: a thidua figure, or — with no value — DHIS2's
/// request to delete one.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Its 0-based position in the file.
    pub index: usize,
    /// Where it is.
    pub place: Place,
    /// The unit.
    pub unit: UnitCode,
    /// The indicator.
    pub indicator: IndicatorCode,
    /// The period.
    pub period: Period,
    /// The value, read by the indicator's type; `None` when the file left it empty.
    pub value: Option<Value>,
    /// The note.
    pub comment: Option<String>,
}

impl Entry {
    /// The figure, when the entry has a value.
    pub fn data_value(&self) -> Option<DataValue> {
        Some(DataValue {
            unit: self.unit.clone(),
            indicator: self.indicator.clone(),
            period: self.period,
            value: self.value.clone()?,
            comment: self.comment.clone(),
        })
    }
}

/// A number as DHIS2 writes it — digits with an optional sign, `.` as the decimal point,
/// an optional exponent — in the Vietnamese form [`Value::parse`] reads unambiguously
/// (`1.5` → `1,5`); `None` when it is not one.
fn machine_number(raw: &str) -> Option<String> {
    let s = raw.trim();
    let (sign, body) = match s.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", s.strip_prefix('+').unwrap_or(s)),
    };
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(at) => (&body[..at], Some(&body[at + 1..])),
        None => (body, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) {
        return None;
    }
    if let Some(exp) = exponent {
        let exp_digits = exp.strip_prefix(['+', '-']).unwrap_or(exp);
        if exp_digits.is_empty() || exp_digits.len() > 3 || !digits(exp_digits) {
            return None;
        }
        let x: f64 = s.parse().ok().filter(|x: &f64| x.is_finite())?;
        return Some(format!("{x}").replace('.', ","));
    }
    let int = if int.is_empty() { "0" } else { int };
    Some(if frac.is_empty() {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int},{frac}")
    })
}

/// A structural problem of one value: no catalog needed to see it.
fn problem(raw: &RawDataValue, index: usize, property: &'static str, object: &str, reason: String) -> Problem {
    Problem {
        index,
        place: raw.place,
        property: Some(property),
        object: object.to_owned(),
        error_code: error_code_of(property),
        reason,
    }
}

/// Whether a category or attribute option combination is DHIS2's default (or none).
fn is_default_combo(raw: &str) -> bool {
    let raw = raw.trim();
    raw.is_empty() || DEFAULT_COMBOS.iter().any(|d| d.eq_ignore_ascii_case(raw))
}

/// Reads every data value of `set` against the catalogs: first what needs none (the
/// combinations, deleted values, JSON fields of the wrong kind, a number DHIS2 would not
/// write, the same value twice), then the checks of [`import::read_values`], run on the
/// values as a long-format values file. Every problem of every value is reported at once,
/// in file order, naming where DHIS2's file has it; with any problem, no entry.
pub fn read(set: &DataValueSet, catalog: &Catalog, units: &UnitTree) -> Result<Vec<Entry>, Vec<Problem>> {
    let mut problems = Vec::new();
    // The rows handed to the values reader: (index, raw, value as it will read it).
    let mut passed: Vec<(usize, &RawDataValue, Option<String>)> = Vec::new();
    let mut first_seen: HashMap<(String, String, String), Place> = HashMap::new();
    for (index, raw) in set.values.iter().enumerate() {
        let before = problems.len();
        for field in &raw.malformed {
            problems.push(problem(
                raw,
                index,
                field,
                "",
                "phải là chuỗi hoặc số, không phải đối tượng hay mảng".into(),
            ));
        }
        if raw.deleted {
            problems.push(Problem {
                index,
                place: raw.place,
                property: Some("deleted"),
                object: raw.data_element.clone(),
                error_code: None,
                reason: "giá trị đã bị xóa (deleted=true) không nhập được; hãy bỏ dòng này".into(),
            });
        }
        for (property, combo) in [
            ("categoryOptionCombo", &raw.category_option_combo),
            ("attributeOptionCombo", &raw.attribute_option_combo),
        ] {
            if !is_default_combo(combo) {
                problems.push(problem(
                    raw,
                    index,
                    property,
                    combo,
                    format!(
                        "thidua không chia số liệu theo nhóm: {} phải để trống hoặc là default",
                        quoted(combo)
                    ),
                ));
            }
        }
        let indicator = IndicatorCode::parse(&raw.data_element)
            .ok()
            .and_then(|c| catalog.get(&c));
        let value = match (&raw.value, indicator) {
            (Some(v), Some(ind)) if ind.value_type != ValueType::Text => match machine_number(v) {
                Some(vn) => Some(vn),
                None => {
                    problems.push(problem(
                        raw,
                        index,
                        "value",
                        v,
                        format!(
                            "{} không phải là số viết theo DHIS2 (dấu chấm thập phân, không phân cách hàng nghìn: 1084, 85.01) ({})",
                            quoted(v),
                            ind.name
                        ),
                    ));
                    None
                }
            },
            (v, _) => v.clone(),
        };
        // The same value twice: the second is named, with where the first is.
        let key = (
            raw.org_unit.trim().to_owned(),
            raw.data_element.trim().to_owned(),
            raw.period.trim().to_owned(),
        );
        if !key.0.is_empty() && !key.1.is_empty() && !key.2.is_empty() {
            match first_seen.get(&key) {
                Some(first) => problems.push(Problem {
                    index,
                    place: raw.place,
                    property: None,
                    object: raw.data_element.clone(),
                    error_code: None,
                    reason: format!("{}/{}/{} trùng với {first}", key.0, key.1, key.2),
                }),
                None => {
                    first_seen.insert(key, raw.place);
                }
            }
        }
        if problems.len() == before {
            passed.push((index, raw, value));
        }
    }
    let (entries, mut found) = read_passed(&passed, catalog, units);
    problems.append(&mut found);
    if problems.is_empty() {
        Ok(entries)
    } else {
        problems.sort_by_key(|p| p.index);
        Err(problems)
    }
}

/// Runs the values reader on the rows that passed the structural checks, and maps its
/// answers back to the rows.
fn read_passed(
    passed: &[(usize, &RawDataValue, Option<String>)],
    catalog: &Catalog,
    units: &UnitTree,
) -> (Vec<Entry>, Vec<Problem>) {
    if passed.is_empty() {
        return (Vec::new(), Vec::new());
    }
    // An empty value is read as 0 so that its unit, indicator and period get their
    // checks; the entry keeps no value.
    let (text, lines) = long_file(passed.iter().map(|(_, raw, value)| {
        [
            raw.org_unit.as_str(),
            raw.data_element.as_str(),
            raw.period.as_str(),
            value.as_deref().unwrap_or("0"),
            raw.comment.as_deref().unwrap_or(""),
        ]
    }));
    let at_line: BTreeMap<u64, usize> = lines.iter().enumerate().map(|(n, &l)| (l, n)).collect();
    let row_of = |line: u64| at_line.get(&line).and_then(|&n| passed.get(n));
    match import::read_values(&text, catalog, units) {
        Ok(lines) => {
            let entries = lines
                .into_iter()
                .filter_map(|l| {
                    let &(index, raw, ref value) = row_of(l.line)?;
                    Some(Entry {
                        index,
                        place: raw.place,
                        unit: l.row.unit,
                        indicator: l.row.indicator,
                        period: l.row.period,
                        value: value.as_ref().map(|_| l.row.value),
                        comment: l.row.comment,
                    })
                })
                .collect();
            (entries, Vec::new())
        }
        Err(errors) => {
            let problems = errors
                .into_iter()
                .map(|e| match row_of(e.line) {
                    Some(&(index, raw, ref value)) => row_problem(index, raw, value.as_deref(), e),
                    // Not a row of ours (cannot happen: the header is ours): the whole file.
                    None => Problem {
                        index: 0,
                        place: Place::Line(e.line),
                        property: None,
                        object: String::new(),
                        error_code: None,
                        reason: e.reason,
                    },
                })
                .collect();
            (Vec::new(), problems)
        }
    }
}

/// A long-format values file (`unit,indicator,period,value,comment`) of `rows`, and the
/// line each row starts on in it — counted, since a quoted field may hold a line break.
fn long_file<'a>(rows: impl Iterator<Item = [&'a str; 5]>) -> (String, Vec<u64>) {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut lines = Vec::new();
    let mut line: u64 = 1;
    let mut written = 0usize;
    let mut ok = write_row(&mut writer, ["unit", "indicator", "period", "value", "comment"]);
    for row in rows {
        let buffer = writer.get_ref();
        line += buffer[written..].iter().filter(|&&b| b == b'\n').count() as u64;
        written = buffer.len();
        lines.push(line);
        ok &= write_row(&mut writer, row);
    }
    let bytes = if ok {
        writer.into_inner().unwrap_or_default()
    } else {
        Vec::new()
    };
    (String::from_utf8_lossy(&bytes).into_owned(), lines)
}

/// Writes one CSV record and flushes it into the buffer; `false` when that failed.
fn write_row(writer: &mut csv::Writer<Vec<u8>>, fields: [&str; 5]) -> bool {
    writer.write_record(fields).is_ok() && writer.flush().is_ok()
}

/// A value as the values import reads it back exactly: a decimal with the Vietnamese
/// decimal comma (`0,30000000000000004`), never a `.` it could take for thousands.
fn exact_value(value: &Value) -> String {
    match value {
        Value::Whole(n) => n.to_string(),
        Value::Decimal(x) => format!("{x}").replace('.', ","),
        Value::Text(t) => t.clone(),
    }
}

/// The entries' figures as the long-format values file the values import reads
/// (`Store::import_values_csv_as`), each value written so that it reads back as the same
/// value, and the line each entry starts on. Entries without a value are left out.
pub fn values_file(entries: &[&Entry]) -> (String, Vec<u64>) {
    let rows: Vec<[String; 5]> = entries
        .iter()
        .filter_map(|e| {
            let value = e.value.as_ref()?;
            Some([
                e.unit.to_string(),
                e.indicator.to_string(),
                e.period.code(),
                exact_value(value),
                e.comment.clone().unwrap_or_default(),
            ])
        })
        .collect();
    long_file(
        rows.iter()
            .map(|[a, b, c, d, e]| [a.as_str(), b.as_str(), c.as_str(), d.as_str(), e.as_str()]),
    )
}

/// The values import's refusals of a file made by [`values_file`] from `entries` (each at
/// the line of `lines` with the same position), as problems of the DHIS2 values the
/// entries came from; a refusal on no entry's line is put on the first.
pub fn problems_of(errors: Vec<RowError>, lines: &[u64], entries: &[&Entry]) -> Vec<Problem> {
    let with_value: Vec<&Entry> = entries.iter().copied().filter(|e| e.value.is_some()).collect();
    let mut problems: Vec<Problem> = errors
        .into_iter()
        .filter_map(|e| {
            let at = lines
                .binary_search(&e.line)
                .ok()
                .or_else(|| (!with_value.is_empty()).then_some(0))?;
            let entry = with_value.get(at)?;
            let (property, object) = match e.column.as_deref() {
                Some("unit") => (Some("orgUnit"), entry.unit.to_string()),
                Some("indicator") => (Some("dataElement"), entry.indicator.to_string()),
                Some("period") => (Some("period"), entry.period.code()),
                Some("value") => (Some("value"), entry.value.as_ref().map(plain_value).unwrap_or_default()),
                _ => (None, entry.unit.to_string()),
            };
            Some(Problem {
                index: entry.index,
                place: entry.place,
                property,
                object,
                error_code: property.and_then(error_code_of),
                reason: e.reason,
            })
        })
        .collect();
    problems.sort_by_key(|p| p.index);
    problems
}

/// A values reader's error as a problem of the DHIS2 row it came from: its column named
/// as DHIS2 names it, and a value quoted as the file wrote it.
fn row_problem(index: usize, raw: &RawDataValue, shown: Option<&str>, e: RowError) -> Problem {
    let (property, object) = match e.column.as_deref() {
        Some("unit") => (Some("orgUnit"), raw.org_unit.clone()),
        Some("indicator") => (Some("dataElement"), raw.data_element.clone()),
        Some("period") => (Some("period"), raw.period.clone()),
        Some("value") => (Some("value"), raw.value.clone().unwrap_or_default()),
        Some("comment") => (Some("comment"), raw.comment.clone().unwrap_or_default()),
        _ => (None, raw.data_element.clone()),
    };
    let mut reason = e.reason;
    if let (Some(shown), Some(original)) = (shown, raw.value.as_deref())
        && shown != original
    {
        reason = reason.replace(&format!("«{shown}»"), &quoted(original));
    }
    if property == Some("value") && raw.value.is_none() {
        reason = format!("giá trị trống: {reason}");
    }
    Problem {
        index,
        place: raw.place,
        property,
        object,
        error_code: property.and_then(error_code_of),
        reason,
    }
}

// ---------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------

/// A value as DHIS2 writes it: plain digits, `.` as the decimal point, every digit kept
/// (the shortest text that reads back as the same number).
fn plain_value(value: &Value) -> String {
    match value {
        Value::Whole(n) => n.to_string(),
        Value::Decimal(x) => format!("{x}"),
        Value::Text(t) => t.clone(),
    }
}

/// The values in a fixed order — unit, period, indicator — so that the same figures
/// always make the same file.
fn in_order(values: &[DataValue]) -> Vec<&DataValue> {
    let mut sorted: Vec<&DataValue> = values.iter().collect();
    sorted.sort_by(|a, b| (&a.unit, a.period, &a.indicator).cmp(&(&b.unit, b.period, &b.indicator)));
    sorted
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OutSet<'a> {
    id_scheme: &'static str,
    data_values: Vec<OutValue<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OutValue<'a> {
    data_element: &'a str,
    period: String,
    org_unit: &'a str,
    value: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<&'a str>,
    followup: bool,
}

/// The values as a DHIS2 JSON data value set, which says its identifiers are codes
/// (`"idScheme": "CODE"`), so DHIS2 reads it right without being told.
pub fn write_json(values: &[DataValue]) -> String {
    let set = OutSet {
        id_scheme: "CODE",
        data_values: in_order(values)
            .into_iter()
            .map(|v| OutValue {
                data_element: v.indicator.as_str(),
                period: v.period.code(),
                org_unit: v.unit.as_str(),
                value: plain_value(&v.value),
                comment: v.comment.as_deref(),
                followup: false,
            })
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&set).unwrap_or_default();
    text.push('\n');
    text
}

/// The values as DHIS2's CSV, header first.
pub fn write_csv(values: &[DataValue]) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut ok = writer.write_record(CSV_HEADER).is_ok();
    for v in in_order(values) {
        let period = v.period.code();
        let value = plain_value(&v.value);
        let row = [
            v.indicator.as_str(),
            &period,
            v.unit.as_str(),
            "",
            "",
            &value,
            "",
            "",
            v.comment.as_deref().unwrap_or(""),
            "false",
            "false",
        ];
        ok &= writer.write_record(row).is_ok();
    }
    let bytes = if ok {
        writer.into_inner().unwrap_or_default()
    } else {
        Vec::new()
    };
    String::from_utf8(bytes).unwrap_or_default()
}

/// The values in `format`.
pub fn write(values: &[DataValue], format: Format) -> String {
    match format {
        Format::Json => write_json(values),
        Format::Csv => write_csv(values),
    }
}

// ---------------------------------------------------------------------------------------
// The import summary
// ---------------------------------------------------------------------------------------

/// DHIS2's import status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ImportStatus {
    /// Everything was imported (or, in a dry run, would be).
    Success,
    /// Imported, with something to say.
    Warning,
    /// Nothing was imported.
    Error,
}

/// What an import did, or would do: values added, replaced, left as they were (or
/// refused), deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct ImportCount {
    /// New values.
    pub imported: u64,
    /// Stored values replaced by others.
    pub updated: u64,
    /// Values identical to what is stored, left out by the strategy, or refused.
    pub ignored: u64,
    /// Values removed (a form's box emptied).
    pub deleted: u64,
}

/// One conflict: a problem, with every value it concerns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportConflict {
    /// The identifier or value at fault.
    pub object: String,
    /// What is wrong, in Vietnamese (DHIS2 calls the message `value`).
    pub value: String,
    /// DHIS2's error code, when one fits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// The field at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub property: Option<String>,
    /// The 0-based positions of the values concerned.
    pub indexes: Vec<usize>,
}

/// The options an import ran with, as DHIS2 echoes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SummaryOptions {
    /// Whether nothing was written.
    pub dry_run: bool,
    /// The strategy.
    pub import_strategy: String,
}

/// DHIS2's import summary of a data value set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportSummary {
    /// Always `ImportSummary`.
    pub response_type: String,
    /// The outcome.
    pub status: ImportStatus,
    /// The options it ran with.
    pub import_options: SummaryOptions,
    /// What happened, in Vietnamese.
    pub description: String,
    /// The counts.
    pub import_count: ImportCount,
    /// The conflicts: every problem, with the values it concerns.
    pub conflicts: Vec<ImportConflict>,
    /// The positions of the values refused.
    pub rejected_indexes: Vec<usize>,
    /// The date the form was completed, or `false`.
    pub data_set_complete: String,
}

fn summary_options(options: &ImportOptions) -> SummaryOptions {
    SummaryOptions {
        dry_run: options.dry_run,
        import_strategy: options.strategy.as_str().to_owned(),
    }
}

/// Problems grouped as DHIS2 groups conflicts: one per (field, object, message), with
/// the indexes of every value it concerns; at most [`MAX_CONFLICTS`], and how many more.
fn conflicts(problems: &[Problem]) -> (Vec<ImportConflict>, usize) {
    let mut out: Vec<ImportConflict> = Vec::new();
    let mut at: HashMap<(Option<&str>, &str, &str), usize> = HashMap::new();
    let mut left_out = 0;
    for p in problems {
        let key = (p.property, p.object.as_str(), p.reason.as_str());
        match at.get(&key) {
            Some(&i) => out[i].indexes.push(p.index),
            None if out.len() == MAX_CONFLICTS => left_out += 1,
            None => {
                at.insert(key, out.len());
                out.push(ImportConflict {
                    object: p.object.clone(),
                    value: p.reason.clone(),
                    error_code: p.error_code.map(str::to_owned),
                    property: p.property.map(str::to_owned),
                    indexes: vec![p.index],
                });
            }
        }
    }
    (out, left_out)
}

impl ImportSummary {
    /// A set refused whole for `problems`: nothing was written, every value of the
    /// `total` is counted ignored, each problem is a conflict.
    pub fn refused(problems: &[Problem], total: usize, options: &ImportOptions) -> ImportSummary {
        let (conflicts, left_out) = conflicts(problems);
        let mut rejected: Vec<usize> = problems.iter().map(|p| p.index).collect();
        rejected.sort_unstable();
        rejected.dedup();
        let more = if left_out > 0 {
            format!(" ({left_out} xung đột khác không liệt kê)")
        } else {
            String::new()
        };
        ImportSummary {
            response_type: "ImportSummary".into(),
            status: ImportStatus::Error,
            import_options: summary_options(options),
            description: format!(
                "Không nhập giá trị nào: {} giá trị có lỗi{more}; cả tệp được nhập hoặc không giá trị nào.",
                rejected.len()
            ),
            import_count: ImportCount {
                ignored: total as u64,
                ..ImportCount::default()
            },
            conflicts,
            rejected_indexes: rejected,
            data_set_complete: "false".into(),
        }
    }

    /// An import that went through (or, as a dry run, would): its counts and what to say.
    pub fn done(count: ImportCount, options: &ImportOptions, description: String, complete: Option<String>) -> Self {
        ImportSummary {
            response_type: "ImportSummary".into(),
            status: ImportStatus::Success,
            import_options: summary_options(options),
            description,
            import_count: count,
            conflicts: Vec::new(),
            rejected_indexes: Vec::new(),
            data_set_complete: complete.unwrap_or_else(|| "false".into()),
        }
    }
}

/// The envelope DHIS2 (2.38 and later) answers an import with: the HTTP status, a
/// message, and the summary as `response`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebMessage {
    /// `OK` or `Conflict`.
    pub http_status: String,
    /// 200 or 409.
    pub http_status_code: u16,
    /// `OK`, `WARNING` or `ERROR`.
    pub status: String,
    /// What happened, in Vietnamese.
    pub message: String,
    /// The import summary.
    pub response: ImportSummary,
}

impl WebMessage {
    /// The envelope of `summary`: 409 Conflict when nothing was imported because of
    /// conflicts, else 200 OK.
    pub fn of(summary: ImportSummary) -> WebMessage {
        let (http_status, code, status, message) = match summary.status {
            ImportStatus::Error => (
                "Conflict",
                409,
                "ERROR",
                "Có xung đột, không giá trị nào được ghi; xem danh sách conflicts.",
            ),
            ImportStatus::Warning => ("OK", 200, "WARNING", "Đã nhập, có lưu ý; xem mô tả."),
            ImportStatus::Success if summary.import_options.dry_run => {
                ("OK", 200, "OK", "Thử nhập (dryRun): không ghi gì; tệp nhập được.")
            }
            ImportStatus::Success => ("OK", 200, "OK", "Đã nhập."),
        };
        WebMessage {
            http_status: http_status.into(),
            http_status_code: code,
            status: status.into(),
            message: message.into(),
            response: summary,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::{read_indicators, read_units};

    fn catalog() -> Catalog {
        let text = "code,name,measure,value_type,aggregation,formula,group\n\
                    A,Số cuộc,cuộc,integer,sum,,Nhóm\n\
                    M,Số tiền,đồng,money,sum,,Nhóm\n\
                    P,Tỷ lệ báo cáo,%,percent,average,,Nhóm\n\
                    N,Điểm,điểm,number,average,,Nhóm\n\
                    T,Ghi nhận,lời,text,last,,Nhóm\n\
                    R,Tỷ lệ,%,percent,ratio,100 * A / M,Nhóm\n";
        let rows = read_indicators(text, &Catalog::default()).unwrap();
        Catalog::new(rows.into_iter().map(|l| l.row).collect()).unwrap()
    }

    fn units() -> UnitTree {
        let text = "code,name,kind,parent,valid_from,valid_to\nHN,Thành phố,city,,,\nHD,Hà Đông,district,HN,,\n\
                    CU,Cũ,district,HN,,2020-12-31\n";
        let rows = read_units(text, &UnitTree::default()).unwrap();
        UnitTree::new(rows.into_iter().map(|l| l.row)).unwrap()
    }

    fn read_json(text: &str) -> Result<Vec<Entry>, Vec<String>> {
        let set = parse(text.as_bytes(), Format::Json).map_err(|e| vec![e.to_string()])?;
        read(&set, &catalog(), &units()).map_err(|ps| ps.iter().map(ToString::to_string).collect())
    }

    fn read_csv(text: &str) -> Result<Vec<Entry>, Vec<String>> {
        let set = parse(text.as_bytes(), Format::Csv).map_err(|e| vec![e.to_string()])?;
        read(&set, &catalog(), &units()).map_err(|ps| ps.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn a_json_set_reads_into_figures_with_the_sets_period_and_unit_as_defaults() {
        let entries = read_json(
            r#"{"dataSet": "x", "period": "2022S1", "orgUnit": "HD",
                "dataValues": [
                  {"dataElement": "A", "value": "1084", "categoryOptionCombo": "HllvX50cXC0"},
                  {"dataElement": "P", "value": 85.01, "comment": "ước tính"},
                  {"dataElement": "N", "value": "1.234", "period": "2022", "orgUnit": "HN"},
                  {"dataElement": "T", "value": "Tốt, đều"}
                ]}"#,
        )
        .unwrap();
        let shown: Vec<(String, String, String, Option<Value>)> = entries
            .iter()
            .map(|e| {
                (
                    e.unit.to_string(),
                    e.indicator.to_string(),
                    e.period.code(),
                    e.value.clone(),
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                ("HD".into(), "A".into(), "2022S1".into(), Some(Value::Whole(1084))),
                ("HD".into(), "P".into(), "2022S1".into(), Some(Value::Decimal(85.01))),
                ("HN".into(), "N".into(), "2022".into(), Some(Value::Decimal(1.234))),
                (
                    "HD".into(),
                    "T".into(),
                    "2022S1".into(),
                    Some(Value::Text("Tốt, đều".into()))
                ),
            ]
        );
        assert_eq!(entries[1].comment.as_deref(), Some("ước tính"));
    }

    #[test]
    fn a_dhis2_decimal_point_is_never_read_as_thousands() {
        let entries =
            read_csv("dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value\nN,2022,HD,,,1.500\n")
                .unwrap();
        assert_eq!(entries[0].value, Some(Value::Decimal(1.5)));
    }

    #[test]
    fn a_csv_set_is_read_by_dhis2s_column_positions_under_its_header() {
        let text = "dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value,storedby,lastupdated,comment,followup,deleted\n\
                    A,2022S1,HD,default,,12,hadong,2022-07-01T10:00:00.000,\"ghi, chú\",false,false\n\
                    M,2022S1,HD,,,1.2e9,,,,,\n";
        let entries = read_csv(text).unwrap();
        assert_eq!(entries[0].comment.as_deref(), Some("ghi, chú"));
        assert_eq!(entries[1].value, Some(Value::Whole(1_200_000_000)));
        assert_eq!(entries[1].place, Place::Line(3));
    }

    #[test]
    fn every_bad_value_is_named_by_its_row_and_field_in_vietnamese() {
        let text = "dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value\n\
                    A,2022S1,HD,,,1.5\n\
                    X,2022S1,HD,,,1\n\
                    A,2022S3,HD,,,1\n\
                    M,2022S1,ZZ,,,1\n\
                    A,2022S1,HD,abcDEF12345,,2\n\
                    R,2022S1,HD,,,3\n\
                    M,2022S1,HD,,,\"1.084,5\"\n\
                    A,2021,CU,,,4\n";
        let errors = read_csv(text).err().unwrap();
        assert_eq!(
            errors,
            [
                "dòng 2, cột value: giá trị «1.5» không hợp lệ: phải là số nguyên (Số cuộc)",
                "dòng 3, cột dataelement: chỉ tiêu X không có trong danh mục chỉ tiêu",
                "dòng 4, cột period: «2022S3» không phải là kỳ báo cáo hợp lệ (ví dụ: 2022, 2022S1, 2022Q3, 202207)",
                "dòng 5, cột orgunit: đơn vị ZZ không có trong danh mục đơn vị",
                "dòng 6, cột categoryoptioncombo: thidua không chia số liệu theo nhóm: «abcDEF12345» phải để trống hoặc là default",
                "dòng 6: HD/A/2022S1 trùng với dòng 2",
                "dòng 7, cột dataelement: chỉ tiêu R được tính theo công thức 100 * A / M, không nhập trực tiếp",
                "dòng 8, cột value: «1.084,5» không phải là số viết theo DHIS2 (dấu chấm thập phân, không phân cách hàng nghìn: 1084, 85.01) (Số tiền)",
                "dòng 9, cột orgunit: đơn vị CU không hoạt động trong kỳ Năm 2021",
            ]
        );
    }

    #[test]
    fn json_problems_name_the_place_in_data_values() {
        let errors = read_json(
            r#"{"dataValues": [
                 {"dataElement": "A", "period": "2022S1", "orgUnit": "HD", "value": "1"},
                 {"dataElement": {"id": "A"}, "period": "2022S1", "orgUnit": "HD", "value": "1"},
                 {"dataElement": "M", "period": "2022S1", "orgUnit": "HD", "value": "1", "deleted": true}
               ]}"#,
        )
        .err()
        .unwrap();
        assert_eq!(
            errors,
            [
                "dataValues[1], trường dataElement: phải là chuỗi hoặc số, không phải đối tượng hay mảng",
                "dataValues[2], trường deleted: giá trị đã bị xóa (deleted=true) không nhập được; hãy bỏ dòng này",
            ]
        );
    }

    #[test]
    fn an_empty_value_is_kept_as_a_deletion_after_its_codes_are_checked() {
        let entries =
            read_json(r#"{"dataValues": [{"dataElement": "A", "period": "2022S1", "orgUnit": "HD", "value": ""}]}"#)
                .unwrap();
        assert_eq!(entries[0].value, None);
        assert_eq!(entries[0].data_value(), None);
        let errors = read_json(r#"{"dataValues": [{"dataElement": "R", "period": "2022S1", "orgUnit": "HD"}]}"#).err();
        assert!(errors.is_some_and(|e| e[0].contains("được tính theo công thức")));
    }

    #[test]
    fn a_line_break_inside_a_comment_does_not_shift_the_rows_named_after_it() {
        let text = "dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value,storedby,lastupdated,comment\n\
                    A,2022S1,HD,,,1,,,\"hai\ndòng\"\n\
                    X,2022S1,HD,,,1,,,\n";
        assert_eq!(
            read_csv(text).err().unwrap(),
            ["dòng 4, cột dataelement: chỉ tiêu X không có trong danh mục chỉ tiêu"]
        );
    }

    #[test]
    fn a_file_that_cannot_be_read_is_refused_whole_with_where_and_why() {
        assert_eq!(
            read_json("{\"dataValues\": [").err().unwrap(),
            ["dòng 1, cột 16: tệp JSON kết thúc giữa chừng"]
        );
        let array = read_json("[1, 2]").err().unwrap();
        assert!(
            array[0].starts_with("dòng 1, cột 1: không đúng dạng dataValueSet"),
            "{array:?}"
        );
        assert!(read_json(r#"{"dataValues": [["A", "2022S1", "HD"]]}"#).err().unwrap()[0].contains("không đúng dạng"));
        assert_eq!(
            read_csv("A,2022S1,HD,,,1\n").err().unwrap(),
            [
                "dòng 1: thiếu dòng tiêu đề của DHIS2: dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value,storedby,lastupdated,comment,followup,deleted"
            ]
        );
        let not_utf8 = parse(b"dataelement\n\xff\xfe,1\n", Format::Csv)
            .err()
            .unwrap()
            .to_string();
        assert!(not_utf8.contains("UTF-8"), "{not_utf8}");
    }

    #[test]
    fn a_file_past_its_limits_is_refused_before_its_values_are_held() {
        let mut text = String::from("{\"dataValues\": [");
        for i in 0..=MAX_VALUES {
            if i > 0 {
                text.push(',');
            }
            text.push_str("{}");
        }
        text.push_str("]}");
        assert_eq!(
            parse(text.as_bytes(), Format::Json).err(),
            Some(FileError::TooManyValues(MAX_VALUES))
        );
        let big = vec![b' '; MAX_BYTES + 1];
        assert!(matches!(parse(&big, Format::Csv), Err(FileError::TooLarge { .. })));
    }

    #[test]
    fn import_options_come_from_the_set_before_the_request_and_codes_are_the_only_scheme() {
        let set = parse(
            br#"{"dryRun": true, "importStrategy": "CREATE", "dataValues": []}"#,
            Format::Json,
        )
        .unwrap();
        let requested = Requested {
            dry_run: Some("false".into()),
            strategy: Some("UPDATE".into()),
            ..Requested::default()
        };
        let options = ImportOptions::of(&set, &requested).unwrap();
        assert!(options.dry_run);
        assert_eq!(options.strategy, Strategy::Create);
        let says_false = parse(br#"{"dryRun": false, "dataValues": []}"#, Format::Json).unwrap();
        let asked = Requested {
            dry_run: Some("true".into()),
            ..Requested::default()
        };
        assert!(
            ImportOptions::of(&says_false, &asked).unwrap().dry_run,
            "a set's dryRun=false does not turn the caller's dry run into a write"
        );
        let by_uid = Requested {
            id_scheme: Some("UID".into()),
            ..Requested::default()
        };
        assert!(
            ImportOptions::of(&set, &by_uid)
                .err()
                .unwrap()
                .to_string()
                .starts_with("idScheme=UID không dùng được")
        );
        let code = parse(br#"{"idScheme": "code", "orgUnitIdScheme": "CODE"}"#, Format::Json).unwrap();
        assert!(
            ImportOptions::of(&code, &by_uid).is_ok(),
            "the set's scheme wins over the URL's"
        );
        let delete = Requested {
            strategy: Some("DELETE".into()),
            ..Requested::default()
        };
        assert!(ImportOptions::of(&DataValueSet::default(), &delete).is_err());
    }

    #[test]
    fn written_sets_read_back_as_the_same_figures_in_both_shapes() {
        let values = vec![
            DataValue {
                unit: UnitCode::parse("HD").unwrap(),
                indicator: IndicatorCode::parse("N").unwrap(),
                period: Period::parse("2022S1").unwrap(),
                value: Value::Decimal(0.1 + 0.2),
                comment: Some("có \"ngoặc\", dấu phẩy".into()),
            },
            DataValue {
                unit: UnitCode::parse("HD").unwrap(),
                indicator: IndicatorCode::parse("M").unwrap(),
                period: Period::parse("2022").unwrap(),
                value: Value::Whole(10_266_500_000),
                comment: None,
            },
            DataValue {
                unit: UnitCode::parse("HN").unwrap(),
                indicator: IndicatorCode::parse("T").unwrap(),
                period: Period::parse("202207").unwrap(),
                value: Value::Text("1.084 người".into()),
                comment: None,
            },
        ];
        for format in [Format::Json, Format::Csv] {
            let text = write(&values, format);
            let set = parse(text.as_bytes(), format).unwrap();
            let mut back: Vec<DataValue> = read(&set, &catalog(), &units())
                .unwrap()
                .iter()
                .filter_map(Entry::data_value)
                .collect();
            back.sort_by(|a, b| (&a.unit, a.period, &a.indicator).cmp(&(&b.unit, b.period, &b.indicator)));
            let expected: Vec<DataValue> = in_order(&values).into_iter().cloned().collect();
            assert_eq!(back, expected, "{format:?}: {text}");
            assert_eq!(write(&back, format), text, "{format:?}: written again, the same bytes");
        }
    }

    #[test]
    fn a_refused_set_groups_its_problems_as_dhis2_conflicts() {
        let text = r#"{"dataValues": [
            {"dataElement": "X", "period": "2022S1", "orgUnit": "HD", "value": "1"},
            {"dataElement": "X", "period": "2022", "orgUnit": "HD", "value": "2"},
            {"dataElement": "A", "period": "2022S1", "orgUnit": "HD", "value": "-1"}
        ]}"#;
        let set = parse(text.as_bytes(), Format::Json).unwrap();
        let problems = read(&set, &catalog(), &units()).err().unwrap();
        let summary = ImportSummary::refused(&problems, set.values.len(), &ImportOptions::default());
        let json = serde_json::to_value(WebMessage::of(summary)).unwrap();
        assert_eq!(json["httpStatusCode"], 409);
        assert_eq!(json["response"]["status"], "ERROR");
        assert_eq!(json["response"]["importCount"]["ignored"], 3);
        assert_eq!(json["response"]["conflicts"][0]["errorCode"], "E7610");
        assert_eq!(json["response"]["conflicts"][0]["object"], "X");
        assert_eq!(json["response"]["conflicts"][0]["indexes"], serde_json::json!([0, 1]));
        assert_eq!(json["response"]["conflicts"][1]["property"], "value");
        assert_eq!(json["response"]["rejectedIndexes"], serde_json::json!([0, 1, 2]));
    }

    #[test]
    fn entries_as_a_values_file_read_back_the_same_and_its_refusals_name_their_dhis2_rows() {
        let text = r#"{"dataValues": [
            {"dataElement": "N", "period": "2022S1", "orgUnit": "HD", "value": "0.30000000000000004", "comment": "hai\ndòng"},
            {"dataElement": "A", "period": "2022S1", "orgUnit": "HD", "value": ""},
            {"dataElement": "M", "period": "2022", "orgUnit": "HD", "value": "1500"}
        ]}"#;
        let set = parse(text.as_bytes(), Format::Json).unwrap();
        let entries = read(&set, &catalog(), &units()).unwrap();
        let refs: Vec<&Entry> = entries.iter().collect();
        let (file, lines) = values_file(&refs);
        let back = import::read_values(&file, &catalog(), &units()).unwrap();
        let figures: Vec<DataValue> = entries.iter().filter_map(Entry::data_value).collect();
        assert_eq!(back.iter().map(|l| l.row.clone()).collect::<Vec<_>>(), figures);
        assert_eq!(
            entries[0].comment.as_deref(),
            Some("hai dòng"),
            "notes are read as every import reads them"
        );
        assert_eq!(lines, [2, 3], "the emptied value has no line");
        let refused = vec![RowError {
            line: 3,
            column: None,
            reason: "số liệu đã được duyệt".into(),
        }];
        let problems = problems_of(refused, &lines, &refs);
        assert_eq!(problems[0].index, 2);
        assert_eq!(problems[0].to_string(), "dataValues[2]: số liệu đã được duyệt");
    }

    #[test]
    fn machine_numbers_become_vietnamese_ones_and_nothing_else_does() {
        assert_eq!(machine_number("1084").as_deref(), Some("1084"));
        assert_eq!(machine_number("-85.01").as_deref(), Some("-85,01"));
        assert_eq!(machine_number(".5").as_deref(), Some("0,5"));
        assert_eq!(machine_number("1.2E3").as_deref(), Some("1200"));
        for bad in [
            "", "1.084,5", "1,2", "1 tỷ", "1e", "1e99999", "--1", ".", "1.2.3", "0x10", "NaN", "inf",
        ] {
            assert_eq!(machine_number(bad), None, "{bad}");
        }
    }

    mod hostile {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            #[test]
            fn random_bytes_never_make_the_reader_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
                for format in [Format::Json, Format::Csv] {
                    if let Ok(set) = parse(&bytes, format) {
                        let _ = read(&set, &catalog(), &units());
                    }
                }
            }

            #[test]
            fn csv_made_of_dhis2_like_fields_never_makes_the_reader_panic(
                rows in proptest::collection::vec(
                    proptest::collection::vec("[A-Z0-9,.\"\\n eđ-]{0,12}", 0..12), 0..20)
            ) {
                let mut text = String::from("dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value\n");
                for row in rows {
                    text.push_str(&row.join(","));
                    text.push('\n');
                }
                if let Ok(set) = parse(text.as_bytes(), Format::Csv) {
                    let _ = read(&set, &catalog(), &units());
                }
            }

            #[test]
            fn json_made_of_dhis2_like_values_never_makes_the_reader_panic(
                values in proptest::collection::vec(
                    (prop_oneof![Just("A"), Just("M"), Just("T"), Just("R"), Just("X"), Just("")],
                     "[0-9S Q.e-]{0,8}", prop_oneof![Just("HD"), Just("HN"), Just("CU"), Just("")],
                     "[0-9.eE+-]{0,10}"), 0..20)
            ) {
                let items: Vec<serde_json::Value> = values
                    .iter()
                    .map(|(de, pe, ou, v)| serde_json::json!({"dataElement": de, "period": pe, "orgUnit": ou, "value": v}))
                    .collect();
                let text = serde_json::json!({"dataValues": items}).to_string();
                if let Ok(set) = parse(text.as_bytes(), Format::Json) {
                    let _ = read(&set, &catalog(), &units());
                }
            }
        }
    }
}
