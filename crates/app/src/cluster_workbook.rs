//! Bảng số liệu cả cụm — a whole cluster's official figures for a period as one XLSX
//! workbook (a sheet per member, [`thidua_report::cluster_sheet`]), exported and
//! imported back, for the browser and the CLI alike.
//!
//! - Export: for whoever may view the cluster (the cluster's page rule), or for the
//!   installation on the command line; the members' own official figures, never drafts.
//! - Import: only for whoever runs the cluster (core's `can_run_cluster`: its chair, the
//!   upper level above every member, an admin). The workbook is read and checked whole
//!   first — every bad cell named with its sheet (an unknown unit or indicator, a unit
//!   not a member of the cluster that year, a number core's Vietnamese parser refuses, a
//!   value on a computed indicator, the figures of an accepted or locked form, a broken
//!   validation rule) — and then the figures that differ from the stored ones go through
//!   the values import itself ([`thidua_store::Store::import_values_from`]) in the
//!   caller's name (`--by`), never overwriting settled figures: the same checks, audit
//!   trail and all-or-nothing transaction as `thidua import values`. A dry run checks
//!   the same and writes nothing.
//!
//! Reading and writing the workbook is CPU work: it runs on blocking threads, a few at a
//! time ([`WORKBOOK_SLOTS`]). Both report their progress to a callback, which the web
//! page turns into a progress bar and the CLI into a progress line.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

use thidua_core::import::{Line, RowError};
use thidua_core::workflow::SubmissionState;
use thidua_core::{Cluster, DataValue, IndicatorCode, Period, UnitCode, Value};
use thidua_report::cluster_sheet::{self, CellFigure, ClusterBook, Figure, MemberSheet, ReadSpec};
use thidua_store::{ImportProgress, StoreError, ValuesImport};

use crate::forms::today;
use crate::{App, Context, Directory, Error};

/// Cluster workbooks read or written at once: each may inflate up to
/// [`thidua_report::xlsx_bounds::MAX_TOTAL_BYTES`] and hold its cells.
static WORKBOOK_SLOTS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// Bad cells listed one by one; beyond that they are only counted.
pub const MAX_LISTED: usize = 1000;

/// What a long export or import is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Reading the uploaded workbook, sheet by sheet (`done`/`total` sheets).
    Reading,
    /// Checking the figures against what is stored (no count).
    Checking,
    /// Writing the figures (`done`/`total` figures).
    Writing,
    /// Writing the workbook to download, sheet by sheet (`done`/`total` members).
    Exporting,
}

/// How far an export or import has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// What it is doing.
    pub stage: Stage,
    /// How much of it is done.
    pub done: u64,
    /// How much there is (0 when not known).
    pub total: u64,
}

impl Progress {
    /// "Đang ghi số liệu: 1.200/3.000", for people.
    pub fn label_vi(&self) -> String {
        let what = match self.stage {
            Stage::Reading => "Đang đọc tệp Excel (trang)",
            Stage::Checking => "Đang kiểm tra số liệu",
            Stage::Writing => "Đang ghi số liệu",
            Stage::Exporting => "Đang tạo tệp Excel (trang)",
        };
        if self.total == 0 {
            what.to_owned()
        } else {
            format!(
                "{what}: {}/{}",
                thidua_core::number::format_integer(i64::try_from(self.done).unwrap_or(i64::MAX)),
                thidua_core::number::format_integer(i64::try_from(self.total).unwrap_or(i64::MAX))
            )
        }
    }
}

/// Where progress goes; shared with the blocking threads that do the work.
pub type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

/// A workbook to download.
#[derive(Debug, Clone)]
pub struct Exported {
    /// The file.
    pub bytes: Vec<u8>,
    /// Its name: `so-lieu-ca-cum-HN-CUM2-2022S1.xlsx`.
    pub filename: String,
    /// Member sheets in it.
    pub members: usize,
    /// Figures in it.
    pub figures: usize,
}

fn not_found(code: &str, year: i32) -> Error {
    Error::NotFound(format!("cụm thi đua «{code}» chưa được lập cho năm {year}"))
}

/// The cluster `code` of `period`'s year for `caller`, refused as the cluster's page
/// refuses it.
async fn open_for(app: &App, caller: &Context, code: &str, period: &str) -> Result<(Cluster, Period), Error> {
    let period = Period::parse(period)?;
    let open = crate::clusters::open(app, caller, code, Some(&period.code())).await?;
    Ok((open.cluster, open.period))
}

/// The cluster's workbook for `caller`, who must be allowed to view the cluster.
pub async fn export(
    app: &App,
    caller: &Context,
    cluster: &str,
    period: &str,
    progress: ProgressFn,
) -> Result<Exported, Error> {
    let (cluster, period) = open_for(app, caller, cluster, period).await?;
    write(app, &caller.directory, &cluster, period, progress).await
}

/// The cluster's workbook for the installation (`thidua export cluster-xlsx`).
pub async fn export_as_installation(
    app: &App,
    cluster: &str,
    period: &str,
    progress: ProgressFn,
) -> Result<Exported, Error> {
    let period = Period::parse(period)?;
    let directory = app.directory().await?;
    let code = thidua_core::ClusterCode::parse(cluster).map_err(|_| not_found(cluster, period.year()))?;
    let found = directory
        .cluster(&code, period.year())
        .cloned()
        .ok_or_else(|| not_found(cluster, period.year()))?;
    write(app, &directory, &found, period, progress).await
}

/// The members of `cluster` with their names, in the cluster's order.
fn members_of(directory: &Directory, cluster: &Cluster) -> Vec<(UnitCode, String, String)> {
    cluster
        .members
        .iter()
        .map(|m| match directory.tree.get(m) {
            Some(unit) => (m.clone(), unit.name.clone(), unit.short_name().to_owned()),
            None => (m.clone(), m.to_string(), m.to_string()),
        })
        .collect()
}

/// The official figures of `cluster`'s members for `period`, per member.
async fn stored_figures(
    app: &App,
    cluster: &Cluster,
    period: Period,
) -> Result<(Vec<DataValue>, BTreeMap<UnitCode, BTreeMap<IndicatorCode, Figure>>), Error> {
    let pairs: Vec<(UnitCode, Period)> = cluster.members.iter().map(|m| (m.clone(), period)).collect();
    let stored = app.store().values_of(&pairs).await?;
    let mut per_member: BTreeMap<UnitCode, BTreeMap<IndicatorCode, Figure>> = BTreeMap::new();
    for v in &stored {
        per_member
            .entry(v.unit.clone())
            .or_default()
            .insert(v.indicator.clone(), (v.value.clone(), v.comment.clone()));
    }
    Ok((stored, per_member))
}

async fn write(
    app: &App,
    directory: &Directory,
    cluster: &Cluster,
    period: Period,
    progress: ProgressFn,
) -> Result<Exported, Error> {
    let catalog = app.store().catalog().await?;
    let (_, per_member) = stored_figures(app, cluster, period).await?;
    let members = members_of(directory, cluster);
    let figures = per_member.values().map(BTreeMap::len).sum();
    let (code, name) = (cluster.code.to_string(), cluster.name.clone());
    let slot = WORKBOOK_SLOTS
        .acquire()
        .await
        .map_err(|e| Error::Internal(format!("tạo tệp Excel: {e}")))?;
    let total = members.len() as u64;
    progress(Progress {
        stage: Stage::Exporting,
        done: 0,
        total,
    });
    let bytes = tokio::task::spawn_blocking(move || {
        let _slot = slot;
        let empty = BTreeMap::new();
        let sheets: Vec<MemberSheet<'_>> = members
            .iter()
            .map(|(unit, name, short)| MemberSheet {
                unit_code: unit.as_str(),
                unit_name: name,
                short_name: short,
                figures: per_member.get(unit).unwrap_or(&empty),
            })
            .collect();
        cluster_sheet::write_cluster(
            &ClusterBook {
                cluster_code: &code,
                cluster_name: &name,
                period,
                catalog: &catalog,
                members: &sheets,
            },
            &|done| {
                progress(Progress {
                    stage: Stage::Exporting,
                    done: done as u64,
                    total,
                })
            },
        )
    })
    .await
    .map_err(|e| Error::Internal(format!("tạo tệp Excel: {e}")))??;
    Ok(Exported {
        bytes,
        filename: format!("so-lieu-ca-cum-{}-{}.xlsx", cluster.code, period),
        members: cluster.members.len(),
        figures,
    })
}

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Imported {
    /// Member sheets read.
    pub sheets: usize,
    /// Figures new to the database.
    pub new: usize,
    /// Stored figures replaced by different ones (or their comment changed).
    pub changed: usize,
    /// Figures equal to the stored ones, left as they are.
    pub unchanged: usize,
    /// Whether nothing was written because a dry run was asked for.
    pub dry_run: bool,
}

impl Imported {
    /// "Đã nhập: 3 giá trị mới, 1 giá trị thay đổi, 40 giá trị giữ nguyên (6 trang)."
    pub fn summary_vi(&self) -> String {
        let head = if self.dry_run {
            "Thử nhập, không ghi gì: tệp nhập được"
        } else {
            "Đã nhập vào số liệu chính thức"
        };
        let n = |k: usize| thidua_core::number::format_integer(i64::try_from(k).unwrap_or(i64::MAX));
        format!(
            "{head} — {} giá trị mới, {} giá trị thay đổi, {} giá trị giữ nguyên ({} trang thành viên).",
            n(self.new),
            n(self.changed),
            n(self.unchanged),
            n(self.sheets)
        )
    }
}

/// Why a workbook was refused: nothing was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// Each bad cell, "Trang «Hà Đông», ô D7: …", or what is wrong with the whole file.
    pub problems: Vec<String>,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Chưa nhập: tệp Excel có ô chưa đúng, không số liệu nào được ghi.")?;
        for p in &self.problems {
            write!(f, "\n{p}")?;
        }
        Ok(())
    }
}

fn refused(mut problems: Vec<String>) -> Refused {
    if problems.len() > MAX_LISTED {
        let rest = problems.len() - MAX_LISTED;
        problems.truncate(MAX_LISTED);
        problems.push(format!("… và {rest} lỗi khác (chỉ liệt kê {MAX_LISTED} lỗi đầu)"));
    }
    Refused { problems }
}

/// The cluster `code` of `period`'s year for `caller` to import a workbook into: refused
/// unless they run it (its chair, the upper level above it, an admin). The pages ask it
/// before they take the upload.
pub async fn open_for_import(
    app: &App,
    caller: &Context,
    cluster: &str,
    period: &str,
) -> Result<(Cluster, Period), Error> {
    let (cluster, period) = open_for(app, caller, cluster, period).await?;
    if !caller.access().can_run_cluster(&cluster) {
        return Err(Error::Forbidden(format!(
            "Tài khoản «{}» không nhập được bảng số liệu cả cụm của {} năm {}: chỉ cụm trưởng, cấp trên của cụm hoặc quản trị viên nhập",
            caller.principal.username, cluster.name, cluster.year
        )));
    }
    Ok((cluster, period))
}

/// A figure to write, with its place in the workbook.
struct Writing<'a> {
    figure: &'a CellFigure,
    unit: UnitCode,
}

/// Imports a filled cluster workbook as `caller`, who must run the cluster (its chair,
/// the upper level above it, an admin): all or nothing, every bad cell named, settled
/// figures never overwritten; a dry run writes nothing. The refusal of a file is the
/// inner `Err`; the outer one is a refusal of the request (not found, forbidden) or a
/// failure.
pub async fn import(
    app: &App,
    caller: &Context,
    cluster: &str,
    period: &str,
    bytes: Vec<u8>,
    dry_run: bool,
    progress: ProgressFn,
) -> Result<Result<Imported, Refused>, Error> {
    let (cluster, period) = open_for_import(app, caller, cluster, period).await?;
    let store = app.store();
    let catalog = store.catalog().await?;
    let members: BTreeSet<String> = cluster.members.iter().map(ToString::to_string).collect();
    let directory = caller.directory.clone();
    let cluster_code = cluster.code.to_string();
    let slot = WORKBOOK_SLOTS
        .acquire()
        .await
        .map_err(|e| Error::Internal(format!("đọc tệp Excel: {e}")))?;
    let reading = progress.clone();
    let read = tokio::task::spawn_blocking(move || {
        let _slot = slot;
        let exists = |code: &str| UnitCode::parse(code).is_ok_and(|c| directory.tree.get(&c).is_some());
        cluster_sheet::read_cluster(
            &bytes,
            &ReadSpec {
                cluster_code: &cluster_code,
                period,
                catalog: &catalog,
                members: &members,
                unit_exists: &exists,
            },
            &|done, total| {
                reading(Progress {
                    stage: Stage::Reading,
                    done: done as u64,
                    total: total as u64,
                })
            },
        )
    })
    .await
    .map_err(|e| Error::Internal(format!("đọc tệp Excel: {e}")))?;
    let book = match read {
        Ok(Ok(book)) => book,
        Ok(Err(cells)) => return Ok(Err(refused(cells.iter().map(ToString::to_string).collect()))),
        Err(e @ (thidua_report::ReportError::Read(_) | thidua_report::ReportError::Bounds(_))) => {
            return Ok(Err(refused(vec![e.to_string()])));
        }
        Err(e) => return Err(e.into()),
    };
    progress(Progress {
        stage: Stage::Checking,
        done: 0,
        total: 0,
    });
    let (stored, _) = stored_figures(app, &cluster, period).await?;
    let before: BTreeMap<(&UnitCode, &IndicatorCode), (&Value, Option<&str>)> = stored
        .iter()
        .map(|v| ((&v.unit, &v.indicator), (&v.value, v.comment.as_deref())))
        .collect();
    let mut outcome = Imported {
        sheets: book.sheets,
        new: 0,
        changed: 0,
        unchanged: 0,
        dry_run,
    };
    let mut writing = Vec::new();
    for figure in &book.figures {
        let unit = UnitCode::parse(&figure.unit).map_err(|e| Error::Internal(e.to_string()))?;
        match before.get(&(&unit, &figure.indicator)) {
            None => outcome.new += 1,
            Some((value, comment)) if *value == &figure.value && *comment == figure.comment.as_deref() => {
                outcome.unchanged += 1;
                continue;
            }
            Some(_) => outcome.changed += 1,
        }
        writing.push(Writing { figure, unit });
    }
    let mut problems = settled_problems(app, &writing, period).await?;
    let rules = store.rules().await?;
    let lines: Vec<Line<DataValue>> = writing
        .iter()
        .enumerate()
        .map(|(i, w)| Line {
            line: i as u64 + 1,
            row: data_value(w, period),
        })
        .collect();
    problems.extend(
        thidua_core::import::check_rules(&lines, &stored, &rules)
            .into_iter()
            .map(|e| place_of(&e, |line| usize::try_from(line).ok()?.checked_sub(1), &writing)),
    );
    if !problems.is_empty() {
        return Ok(Err(refused(problems)));
    }
    if dry_run || writing.is_empty() {
        return Ok(Ok(outcome));
    }
    let (file, lines) = values_file(&writing, period);
    let total = writing.len() as u64;
    let writing_progress = progress.clone();
    let show = move |at: ImportProgress| {
        writing_progress(Progress {
            stage: Stage::Writing,
            done: at.rows.min(total),
            total,
        })
    };
    let options = ValuesImport {
        by: Some(caller.principal.username.clone()),
        overwrite_accepted: false,
    };
    let source = format!("bảng cả cụm {} {}", cluster.code, period);
    match store
        .import_values_from(std::io::Cursor::new(file.into_bytes()), &options, &source, &show)
        .await
    {
        Ok(_) => {
            progress(Progress {
                stage: Stage::Writing,
                done: total,
                total,
            });
            Ok(Ok(outcome))
        }
        Err(StoreError::Rejected(errors)) => Ok(Err(refused(
            errors
                .iter()
                .map(|e| place_of(e, |line| lines.binary_search(&line).ok(), &writing))
                .collect(),
        ))),
        Err(StoreError::Domain(thidua_core::Error::NotAllowed(m))) => Err(Error::Forbidden(m)),
        Err(e) => Err(e.into()),
    }
}

/// A refusal on a line of the file made from `writing`, as the cell it came from;
/// `index` finds the figure of a line. A refusal on no figure's line names no cell.
fn place_of(e: &RowError, index: impl Fn(u64) -> Option<usize>, writing: &[Writing<'_>]) -> String {
    match index(e.line).and_then(|i| writing.get(i)) {
        Some(w) => format!("{}: {}", w.figure.place(), e.reason),
        None => format!("Tệp Excel: {}", e.reason),
    }
}

fn data_value(w: &Writing<'_>, period: Period) -> DataValue {
    DataValue {
        unit: w.unit.clone(),
        indicator: w.figure.indicator.clone(),
        period,
        value: w.figure.value.clone(),
        comment: w.figure.comment.clone(),
    }
}

/// The figures of an accepted form, or of a form started whose window has closed and
/// which was not reopened: refused, each at its cell, as the values import refuses them.
async fn settled_problems(app: &App, writing: &[Writing<'_>], period: Period) -> Result<Vec<String>, Error> {
    let store = app.store();
    let units: BTreeSet<&UnitCode> = writing.iter().map(|w| &w.unit).collect();
    if units.is_empty() {
        return Ok(Vec::new());
    }
    let window = store.reporting_window(period).await?;
    let mut problems = Vec::new();
    for unit in units {
        let form = store.submission(unit, period).await?;
        let why = if form.state == SubmissionState::Accepted {
            "đã được duyệt"
        } else if form.version > 0 && !window.is_open_on(today()) && !form.reopened {
            "đã khóa (hết kỳ nhập liệu)"
        } else {
            continue;
        };
        problems.extend(writing.iter().filter(|w| &w.unit == unit).map(|w| {
            format!(
                "{}: báo cáo {} của {unit} {why}: không ghi đè số liệu đã duyệt hoặc đã khóa; cấp trên mở lại báo cáo thì mới sửa được",
                w.figure.place(),
                period.label_vi()
            )
        }));
    }
    Ok(problems)
}

/// A value as the values import reads it back exactly: a decimal with the Vietnamese
/// decimal comma, never a `.` it could take for a thousands mark.
fn exact_value(value: &Value) -> String {
    match value {
        Value::Whole(n) => n.to_string(),
        Value::Decimal(x) => format!("{x}").replace('.', ","),
        Value::Text(t) => t.clone(),
    }
}

/// One CSV field, always quoted.
fn field(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// The figures as the long-format values file the values import reads, and the line each
/// figure starts on (a comment may hold line breaks).
fn values_file(writing: &[Writing<'_>], period: Period) -> (String, Vec<u64>) {
    let mut file = String::from("unit,indicator,period,value,comment\n");
    let mut line = 2u64;
    let mut lines = Vec::with_capacity(writing.len());
    for w in writing {
        lines.push(line);
        let row = format!(
            "{},{},{},{},{}\n",
            field(w.unit.as_str()),
            field(w.figure.indicator.as_str()),
            field(&period.code()),
            field(&exact_value(&w.figure.value)),
            field(w.figure.comment.as_deref().unwrap_or_default())
        );
        line += row.matches('\n').count() as u64;
        file.push_str(&row);
    }
    (file, lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_comment_with_line_breaks_moves_the_next_figure_s_line() {
        let figure = |cell: &str, comment: Option<&str>| CellFigure {
            sheet: "Hà Đông".into(),
            cell: cell.into(),
            unit: "HN-HADONG".into(),
            indicator: IndicatorCode::parse("A").unwrap(),
            value: Value::Decimal(1.5),
            comment: comment.map(str::to_owned),
        };
        let (a, b) = (figure("D7", Some("hai\ndòng \"x\"")), figure("D8", None));
        let unit = UnitCode::parse("HN-HADONG").unwrap();
        let writing = [
            Writing {
                figure: &a,
                unit: unit.clone(),
            },
            Writing { figure: &b, unit },
        ];
        let (file, lines) = values_file(&writing, Period::HalfYear(2022, 1));
        assert_eq!(lines, vec![2, 4]);
        assert_eq!(
            file,
            "unit,indicator,period,value,comment\n\"HN-HADONG\",\"A\",\"2022S1\",\"1,5\",\"hai\ndòng \"\"x\"\"\"\n\"HN-HADONG\",\"A\",\"2022S1\",\"1,5\",\"\"\n"
        );
    }
}
