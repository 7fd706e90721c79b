//! DHIS2 — `dataValueSets` in and out, for the command line and for the API.
//!
//! - Export: the official figures of a period (and of every shorter period inside it) of
//!   a unit — with or without its subtree — or of a cluster's members, as a data value
//!   set. Drafts are never in it: they are not official figures.
//! - Import as the installation (`thidua import dhis2`): the official figures, through
//!   the values import itself ([`thidua_store::Store::import_values_csv_as`]) — the same
//!   checks, the same refusal of accepted or locked figures with the reason, the same
//!   audit trail, all or nothing — answered with DHIS2's import summary. A dry run makes
//!   the same checks and writes nothing.
//! - Import by a caller (`POST /api/v1/dataValueSets`): the figures go into the caller's
//!   unit's form, as if typed into it — the form's access rules and workflow decide,
//!   so only the unit's own officers write, only into a draft or a returned form while
//!   its window is open, and a `completeDate` submits it. One form per request, so that
//!   the form's one transaction makes it all or nothing.

use std::collections::{BTreeMap, BTreeSet};

use thidua_core::dhis2::{
    self, DataValueSet, Entry, Format, ImportCount, ImportOptions, ImportSummary, Problem, Requested, Strategy,
};
use thidua_core::period::format_date_vi;
use thidua_core::workflow::{Action, SubmissionState};
use thidua_core::{Access, ClusterCode, DataValue, IndicatorCode, Period, UnitCode, Value};
use thidua_store::{FormInput, StoreError, ValuesImport};

use crate::forms::{self, OpenForm, today};
use crate::{App, Context, Directory, Error};

/// Whose figures to export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// One unit: its own figures, or (`children`) its whole subtree's.
    Unit {
        /// The unit's code.
        code: String,
        /// With every unit below it (DHIS2's `children=true`).
        children: bool,
    },
    /// A cluster as constituted in the period's year: its members' subtrees.
    Cluster(String),
}

fn unit_not_found(code: &str) -> Error {
    Error::NotFound(format!("không tìm thấy đơn vị «{code}»"))
}

/// The official figures of `selection` for `period` and the periods inside it, in the
/// order a data value set lists them — for the installation, which may read them all.
pub async fn export(
    app: &App,
    directory: &Directory,
    selection: &Selection,
    period: Period,
) -> Result<Vec<DataValue>, Error> {
    let store = app.store();
    let mut values = match selection {
        Selection::Unit { code, children } => {
            let unit = UnitCode::parse(code).map_err(|_| unit_not_found(code))?;
            if directory.tree.get(&unit).is_none() {
                return Err(unit_not_found(code));
            }
            let mut values = store.subtree_values(&unit, period).await?;
            if !children {
                values.retain(|v| v.unit == unit);
            }
            values
        }
        Selection::Cluster(code) => {
            let not_found = || Error::NotFound(format!("cụm thi đua «{code}» chưa được lập cho năm {}", period.year()));
            let cluster_code = ClusterCode::parse(code).map_err(|_| not_found())?;
            let cluster = directory.cluster(&cluster_code, period.year()).ok_or_else(not_found)?;
            store.cluster_values(cluster, period).await?
        }
    };
    values.sort_by(|a, b| (&a.unit, a.period, &a.indicator).cmp(&(&b.unit, b.period, &b.indicator)));
    Ok(values)
}

/// [`export`] for a caller: a unit they may see (then its subtree too), a cluster in a
/// year they may see — else the refusal the unit's and cluster's pages give.
pub async fn export_for(
    app: &App,
    caller: &Context,
    selection: &Selection,
    period: Period,
) -> Result<Vec<DataValue>, Error> {
    match selection {
        Selection::Unit { code, .. } => {
            let unit_code = UnitCode::parse(code).map_err(|_| unit_not_found(code))?;
            let unit = caller
                .directory
                .tree
                .get(&unit_code)
                .cloned()
                .ok_or_else(|| unit_not_found(code))?;
            crate::clusters::ensure_can_view_unit(caller, &unit)?;
        }
        Selection::Cluster(code) => {
            crate::clusters::open(app, caller, code, Some(&period.code())).await?;
        }
    }
    export(app, &caller.directory, selection, period).await
}

/// A file read and checked, before anything is written.
struct Read {
    set: DataValueSet,
    options: ImportOptions,
    entries: Result<Vec<Entry>, Vec<Problem>>,
}

/// Reads `bytes` as a data value set in `format` against the catalogs; a file that
/// cannot be read, or asks for what thidua does not do, is the request's fault.
async fn read(
    app: &App,
    directory: &Directory,
    bytes: &[u8],
    format: Format,
    requested: &Requested,
) -> Result<Read, Error> {
    let set = dhis2::parse(bytes, format).map_err(|e| Error::Invalid(format!("tệp DHIS2 chưa đúng: {e}")))?;
    let options = ImportOptions::of(&set, requested).map_err(|e| Error::Invalid(e.to_string()))?;
    let catalog = app.store().catalog().await?;
    let entries = dhis2::read(&set, &catalog, &directory.tree);
    Ok(Read { set, options, entries })
}

/// What an import answers: DHIS2's summary, and each problem for people (the CLI lists
/// them line by line).
#[derive(Debug, Clone)]
pub struct Imported {
    /// The import summary.
    pub summary: ImportSummary,
    /// Every problem, in file order (none when the import went through).
    pub problems: Vec<Problem>,
}

impl Imported {
    fn refused(problems: Vec<Problem>, total: usize, options: &ImportOptions) -> Imported {
        Imported {
            summary: ImportSummary::refused(&problems, total, options),
            problems,
        }
    }

    fn done(summary: ImportSummary) -> Imported {
        Imported {
            summary,
            problems: Vec::new(),
        }
    }
}

/// A problem on every one of `entries`, for a reason that concerns them all (the form is
/// accepted, the request holds two forms).
fn on_each(entries: &[&Entry], error_code: Option<&'static str>, object: &str, reason: &str) -> Vec<Problem> {
    entries
        .iter()
        .map(|e| Problem {
            index: e.index,
            place: e.place,
            property: None,
            object: object.to_owned(),
            error_code,
            reason: reason.to_owned(),
        })
        .collect()
}

/// What an entry does to what is stored, under the strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Effect {
    New,
    Changed,
    Same,
    Skipped,
    Cleared,
}

fn effect(entry: &Entry, stored: Option<(&Value, Option<&str>)>, strategy: Strategy, with_comment: bool) -> Effect {
    match (&entry.value, stored) {
        (None, Some(_)) => Effect::Cleared,
        (None, None) => Effect::Same,
        (Some(_), Some(_)) if strategy == Strategy::Create => Effect::Skipped,
        (Some(_), None) if strategy == Strategy::Update => Effect::Skipped,
        (Some(new), Some((old, old_comment))) => {
            let same_comment = !with_comment || old_comment == entry.comment.as_deref();
            if new == old && same_comment {
                Effect::Same
            } else {
                Effect::Changed
            }
        }
        (Some(_), None) => Effect::New,
    }
}

fn count(effects: &[Effect]) -> ImportCount {
    let mut c = ImportCount::default();
    for e in effects {
        match e {
            Effect::New => c.imported += 1,
            Effect::Changed => c.updated += 1,
            Effect::Same | Effect::Skipped => c.ignored += 1,
            Effect::Cleared => c.deleted += 1,
        }
    }
    c
}

fn counted(c: &ImportCount) -> String {
    format!(
        "{} giá trị mới, {} giá trị thay đổi, {} giá trị giữ nguyên hoặc bỏ qua",
        c.imported, c.updated, c.ignored
    )
}

// ---------------------------------------------------------------------------------------
// As the installation: the official figures
// ---------------------------------------------------------------------------------------

/// Imports a data value set as the official figures, as `thidua import values` does —
/// in the name of `account` (the audit trail's `--by`), overwriting accepted or locked
/// figures only as it allows. All or nothing: any problem refuses the whole file, and
/// the summary lists each with its row. A value equal to the stored one is left as it
/// is; under `CREATE` stored values are kept, under `UPDATE` new ones left out. An empty
/// value is refused: an import never deletes a figure. A dry run checks the same and
/// writes nothing.
pub async fn import_official(
    app: &App,
    bytes: &[u8],
    format: Format,
    requested: &Requested,
    account: &ValuesImport,
) -> Result<Imported, Error> {
    let directory = app.directory().await?;
    let Read { set, options, entries } = read(app, &directory, bytes, format, requested).await?;
    let total = set.values.len();
    let entries = match entries {
        Ok(entries) => entries,
        Err(problems) => return Ok(Imported::refused(problems, total, &options)),
    };
    let emptied: Vec<Problem> = entries
        .iter()
        .filter(|e| e.value.is_none())
        .map(|e| Problem {
            index: e.index,
            place: e.place,
            property: Some("value"),
            object: e.indicator.to_string(),
            error_code: Some("E7618"),
            reason: "giá trị trống: nhập không xóa số liệu chính thức; hãy ghi giá trị hoặc bỏ dòng này".into(),
        })
        .collect();
    if !emptied.is_empty() {
        return Ok(Imported::refused(emptied, total, &options));
    }
    let pairs: Vec<(UnitCode, Period)> = entries
        .iter()
        .map(|e| (e.unit.clone(), e.period))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let stored = app.store().values_of(&pairs).await?;
    let before: BTreeMap<(&UnitCode, &IndicatorCode, Period), (&Value, Option<&str>)> = stored
        .iter()
        .map(|v| ((&v.unit, &v.indicator, v.period), (&v.value, v.comment.as_deref())))
        .collect();
    let effects: Vec<Effect> = entries
        .iter()
        .map(|e| {
            let old = before.get(&(&e.unit, &e.indicator, e.period)).copied();
            effect(e, old, options.strategy, true)
        })
        .collect();
    let writing: Vec<&Entry> = entries
        .iter()
        .zip(&effects)
        .filter(|(_, effect)| matches!(effect, Effect::New | Effect::Changed))
        .map(|(e, _)| e)
        .collect();
    let counts = count(&effects);
    if options.dry_run {
        let problems = dry_run_problems(app, &directory, &writing, &stored, account).await?;
        if !problems.is_empty() {
            return Ok(Imported::refused(problems, total, &options));
        }
        let description = format!("Thử nhập (dryRun), không ghi gì: tệp nhập được — {}.", counted(&counts));
        return Ok(Imported::done(ImportSummary::done(counts, &options, description, None)));
    }
    if !writing.is_empty() {
        let (file, lines) = dhis2::values_file(&writing);
        match app.store().import_values_csv_as(&file, account).await {
            Ok(_) => {}
            Err(StoreError::Rejected(errors)) => {
                let problems = dhis2::problems_of(errors, &lines, &writing);
                return Ok(Imported::refused(problems, total, &options));
            }
            Err(e) => return Err(e.into()),
        }
    }
    let description = format!("Đã nhập vào số liệu chính thức: {}.", counted(&counts));
    Ok(Imported::done(ImportSummary::done(counts, &options, description, None)))
}

/// What the values import would refuse among `writing`, without writing: a changed
/// figure of an accepted form, or of a form started whose window has closed and which
/// was not reopened (unless `account` may overwrite it), and the validation rules on the
/// file's figures laid over the stored ones. It asks what the import asks, through the
/// store's public reads; the import itself stays the judge when the file is imported.
async fn dry_run_problems(
    app: &App,
    directory: &Directory,
    writing: &[&Entry],
    stored: &[DataValue],
    account: &ValuesImport,
) -> Result<Vec<Problem>, Error> {
    let store = app.store();
    let mut problems = Vec::new();
    let principal = match &account.by {
        Some(name) => Some(store.user(name).await?.principal()),
        None => None,
    };
    if account.overwrite_accepted
        && !principal
            .as_ref()
            .is_some_and(|p| matches!(p.role, thidua_core::Role::Upper | thidua_core::Role::Admin))
    {
        return Err(Error::Forbidden(
            "--overwrite-accepted cần --by TÊN_ĐĂNG_NHẬP của một tài khoản cấp trên hoặc quản trị".into(),
        ));
    }
    let access = principal.as_ref().map(|p| Access::new(p, &directory.tree, &[]));
    let pairs: BTreeSet<(&UnitCode, Period)> = writing.iter().map(|e| (&e.unit, e.period)).collect();
    for (unit, period) in pairs {
        let form = store.submission(unit, period).await?;
        let window = store.reporting_window(period).await?;
        let why = if form.state == SubmissionState::Accepted {
            Some(("E7642", "đã được duyệt"))
        } else if form.version > 0 && !window.is_open_on(today()) && !form.reopened {
            Some(("E7640", "đã khóa (hết kỳ nhập liệu)"))
        } else {
            None
        };
        let Some((code, why)) = why else { continue };
        let here: Vec<&Entry> = writing
            .iter()
            .copied()
            .filter(|e| &e.unit == unit && e.period == period)
            .collect();
        let reason = if !account.overwrite_accepted {
            format!("số liệu của {unit} kỳ {period} {why}; chỉ cấp trên ghi đè được, với --overwrite-accepted")
        } else if !access.as_ref().is_some_and(|a| a.can_reopen(unit)) {
            format!(
                "tài khoản «{}» không phải cấp trên của {unit}; không được ghi đè số liệu đã duyệt",
                account.by.as_deref().unwrap_or("")
            )
        } else {
            continue;
        };
        problems.extend(on_each(&here, Some(code), unit.as_str(), &reason));
    }
    let rules = store.rules().await?;
    let lines: Vec<thidua_core::import::Line<DataValue>> = writing
        .iter()
        .enumerate()
        .filter_map(|(i, e)| {
            Some(thidua_core::import::Line {
                line: i as u64 + 1,
                row: e.data_value()?,
            })
        })
        .collect();
    for broken in thidua_core::import::check_rules(&lines, stored, &rules) {
        if let Some(e) = usize::try_from(broken.line)
            .ok()
            .and_then(|l| writing.get(l.wrapping_sub(1)))
        {
            problems.push(Problem {
                index: e.index,
                place: e.place,
                property: None,
                object: e.unit.to_string(),
                error_code: None,
                reason: broken.reason,
            });
        }
    }
    problems.sort_by_key(|p| p.index);
    Ok(problems)
}

// ---------------------------------------------------------------------------------------
// By a caller: the unit's own form
// ---------------------------------------------------------------------------------------

/// Why a form cannot take figures now, as DHIS2's error code and the reason.
fn closed_form(form: &OpenForm) -> (&'static str, String) {
    let what = format!("báo cáo {} của {}", form.period.label_vi(), form.unit.name);
    match form.submission.state {
        SubmissionState::Accepted => (
            "E7642",
            format!("{what} đã được duyệt: số liệu đã khóa; cấp trên mở lại báo cáo thì mới sửa được"),
        ),
        SubmissionState::Submitted => (
            "E7642",
            format!("{what} đã gửi duyệt, đang chờ duyệt: không sửa được, trừ khi bị trả lại"),
        ),
        SubmissionState::Draft | SubmissionState::Returned => (
            "E7640",
            format!(
                "{what} đã hết kỳ nhập liệu (hạn nộp {}); cấp trên mở lại báo cáo thì mới nhập được",
                format_date_vi(form.window.deadline)
            ),
        ),
    }
}

/// A caller's data value set into their unit's form for its period, as if typed into
/// the form: the values given replace the form's (an empty one empties its box; the
/// others are kept), the narrative is left as it is, and a `completeDate` submits the
/// form. Notes (`comment`) are not kept: the form has none. Refused with 403 unless the
/// caller enters that unit's figures; with a conflict (nothing written) when the form is
/// accepted, sent, past its window, changed meanwhile, or a value is wrong; a request
/// holds one form (one unit, one period). A dry run answers what would happen.
pub async fn import_into_form(
    app: &App,
    caller: &Context,
    bytes: &[u8],
    format: Format,
    requested: &Requested,
) -> Result<Imported, Error> {
    let Read { set, options, entries } = read(app, &caller.directory, bytes, format, requested).await?;
    let total = set.values.len();
    let entries = match entries {
        Ok(entries) => entries,
        Err(problems) => return Ok(Imported::refused(problems, total, &options)),
    };
    let Some(first) = entries.first() else {
        let summary = ImportSummary::done(
            ImportCount::default(),
            &options,
            "Tệp không có giá trị nào.".into(),
            None,
        );
        return Ok(Imported::done(summary));
    };
    let (unit, period) = (first.unit.clone(), first.period);
    let others: Vec<&Entry> = entries
        .iter()
        .filter(|e| e.unit != unit || e.period != period)
        .collect();
    if !others.is_empty() {
        let reason = format!(
            "mỗi lần gửi chỉ cho một báo cáo — một đơn vị, một kỳ ({unit}, {period}, như giá trị đầu tiên); hãy gửi riêng từng đơn vị, từng kỳ"
        );
        return Ok(Imported::refused(on_each(&others, None, "", &reason), total, &options));
    }
    // Permission first, as the form does: someone without the right learns nothing of it.
    if !caller.access().can_enter(&unit) {
        let own = caller
            .principal
            .unit
            .as_ref()
            .map_or_else(String::new, |u| format!(" (đơn vị {u})"));
        return Err(Error::Forbidden(format!(
            "tài khoản «{}»{own} không nhập được số liệu của {unit}: chỉ cán bộ của đơn vị đó nhập vào báo cáo của đơn vị mình",
            caller.principal.username
        )));
    }
    let form = forms::open(app, caller, unit.as_str(), &period.code()).await?;
    let all: Vec<&Entry> = entries.iter().collect();
    if !form.editable() {
        let (code, reason) = closed_form(&form);
        return Ok(Imported::refused(
            on_each(&all, Some(code), unit.as_str(), &reason),
            total,
            &options,
        ));
    }
    let mut changes: BTreeMap<IndicatorCode, Option<Value>> = BTreeMap::new();
    let mut effects = Vec::new();
    for e in &entries {
        let old = form.submission.values.get(&e.indicator).map(|v| (v, None));
        let effect = effect(e, old, options.strategy, false);
        if matches!(effect, Effect::New | Effect::Changed | Effect::Cleared) {
            changes.insert(e.indicator.clone(), e.value.clone());
        }
        effects.push(effect);
    }
    let counts = count(&effects);
    let what = format!("báo cáo {} của {}", period.label_vi(), form.unit.name);
    if options.dry_run {
        let description = format!(
            "Thử nhập (dryRun), không ghi gì: {what} nhận được — {}.",
            counted(&counts)
        );
        return Ok(Imported::done(ImportSummary::done(counts, &options, description, None)));
    }
    if changes.is_empty() && !options.complete {
        let description = format!("Không có gì thay đổi trong {what}.");
        return Ok(Imported::done(ImportSummary::done(counts, &options, description, None)));
    }
    let action = if options.complete { Action::Submit } else { Action::Save };
    let input = FormInput {
        version: form.submission.version,
        values: changes,
        narrative: form.submission.narrative.clone(),
    };
    let saved = match forms::save(app, caller, &form, action, input).await {
        Ok(saved) => saved,
        Err(Error::Store(e)) => {
            let reason = forms::refusal(e)?;
            return Ok(Imported::refused(
                on_each(&all, None, unit.as_str(), &reason),
                total,
                &options,
            ));
        }
        Err(e) => return Err(e),
    };
    let mut description = if action == Action::Submit {
        format!("Đã lưu và gửi duyệt {what}: {}.", counted(&counts))
    } else {
        format!("Đã lưu vào bản nháp {what}: {}.", counted(&counts))
    };
    if !saved.violations.is_empty() {
        let broken: Vec<&str> = saved.violations.iter().map(|v| v.message.as_str()).collect();
        description.push_str(&format!(
            " Số liệu còn vi phạm quy tắc, chưa gửi duyệt được: {}.",
            broken.join("; ")
        ));
    }
    let complete = saved
        .submission
        .submitted_at
        .as_deref()
        .filter(|_| action == Action::Submit)
        .map(|t| t.get(..10).unwrap_or(t).to_owned());
    Ok(Imported::done(ImportSummary::done(
        counts,
        &options,
        description,
        complete,
    )))
}
