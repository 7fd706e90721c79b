//! Biểu mẫu báo cáo — a unit's form for a period, for a caller: opening it (who may read
//! it, and what they may do with it), reading what was typed into figures, saving a
//! draft or submitting it, the reviewer's decision (accept, return, reopen), the list of
//! a unit's forms, a figure's history, and a filled workbook imported into the draft.
//! The pages keep only the HTTP and the rendering.

use std::collections::BTreeMap;

use thidua_core::workflow::{Action, ReportingWindow, Situation, SubmissionState};
use thidua_core::{Catalog, Indicator, IndicatorCode, Period, Unit, UnitCode, ValidationRule, Value};
use thidua_store::{Actor, AuditEvent, Decision, FormInput, Narrative, Saved, Submission};

use crate::{App, Context, Error};

/// Filled workbooks read at once: each may inflate up to
/// [`thidua_report::xlsx_bounds::MAX_TOTAL_BYTES`] and hold its cells, so a burst of
/// uploads waits its turn rather than reading them all together.
static WORKBOOK_SLOTS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(4);

/// Today, in the installation's time zone: what the reporting windows are read against.
pub fn today() -> chrono::NaiveDate {
    chrono::Local::now().date_naive()
}

/// A stored RFC 3339 moment as people read it, in the installation's time zone:
/// "25/7/2022 14:05"; a text that is not one is shown as it is.
pub fn moment_vi(rfc3339: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| thidua_core::period::format_datetime_vi(t.with_timezone(&chrono::Local).naive_local()))
        .unwrap_or_else(|_| rfc3339.to_owned())
}

/// A unit's form for a period as one caller may use it.
#[derive(Debug, Clone)]
pub struct OpenForm {
    /// The unit reporting.
    pub unit: Unit,
    /// The period reported.
    pub period: Period,
    /// The indicators.
    pub catalog: Catalog,
    /// The form as stored (a blank draft when there is none).
    pub submission: Submission,
    /// The period's reporting window.
    pub window: ReportingWindow,
    /// What the caller may do with it, today.
    pub situation: Situation,
    /// The validation rules (the browser checks the simple ones as the officer types).
    pub rules: Vec<ValidationRule>,
    /// The official figures a file brought while no form was started, with the import's
    /// audit entry: what the form shows until the unit starts it (and starts from).
    pub imported: Option<thidua_store::ImportedFigures>,
}

impl OpenForm {
    /// Whether the caller may change the figures now.
    pub fn editable(&self) -> bool {
        let s = &self.submission;
        self.situation.can_enter && s.state.is_editable() && (self.situation.window_open || s.reopened)
    }

    /// Whether the caller may accept or return it now.
    pub fn reviewable(&self) -> bool {
        self.situation.can_review && self.submission.state == SubmissionState::Submitted
    }

    /// Whether the caller may reopen it now: accepted, or left unsent past its deadline.
    pub fn reopenable(&self) -> bool {
        let s = &self.submission;
        self.situation.can_reopen
            && (s.state == SubmissionState::Accepted
                || (s.state.is_editable() && !self.situation.window_open && !s.reopened))
    }
}

fn unit_not_found(code: &str) -> Error {
    Error::NotFound(format!("không tìm thấy đơn vị «{code}»"))
}

/// The form of `unit` for `period` as `caller` may use it, or a refusal. A never-submitted
/// draft is private to its unit; a returned form stays readable by the reviewer who
/// returned it.
pub async fn open(app: &App, caller: &Context, unit: &str, period: &str) -> Result<OpenForm, Error> {
    let code = UnitCode::parse(unit).map_err(|_| unit_not_found(unit))?;
    let period = Period::parse(period)?;
    let found = caller
        .directory
        .tree
        .get(&code)
        .cloned()
        .ok_or_else(|| unit_not_found(unit))?;
    let store = app.store();
    let (catalog, submission, window, rules) = tokio::try_join!(
        store.catalog(),
        store.submission(&code, period),
        store.reporting_window(period),
        store.rules(),
    )?;
    let access = caller.access();
    let is_draft = submission.state == SubmissionState::Draft;
    if !access.can_read_submission(&code, period, is_draft) && !access.can_reopen(&code) {
        return Err(Error::Forbidden(format!(
            "bạn không có quyền xem báo cáo {} của {}",
            period.label_vi(),
            found.name
        )));
    }
    let imported = if submission.version == 0 {
        store.imported_figures(&code, period).await?
    } else {
        None
    };
    let situation = Situation {
        can_enter: access.can_enter(&code),
        can_review: access.can_review(&code, period),
        can_reopen: access.can_reopen(&code),
        window_open: window.is_open_on(today()),
        reopened: submission.reopened,
    };
    Ok(OpenForm {
        unit: found,
        period,
        catalog,
        submission,
        window,
        situation,
        rules,
        imported,
    })
}

/// What was typed into a form, read against the indicators: each figure (`None` for an
/// empty box), or, per indicator code, why what was typed is not a figure ("Tổng số tiền
/// vận động: …"). Computed indicators are not typed.
pub fn read_figures(
    catalog: &Catalog,
    typed: impl Fn(&IndicatorCode) -> String,
) -> Result<BTreeMap<IndicatorCode, Option<Value>>, BTreeMap<String, String>> {
    let mut values = BTreeMap::new();
    let mut errors = BTreeMap::new();
    for indicator in catalog.indicators().iter().filter(|i| !i.is_computed()) {
        let raw = typed(&indicator.code);
        if raw.trim().is_empty() {
            values.insert(indicator.code.clone(), None);
            continue;
        }
        match Value::parse(&raw, indicator.value_type) {
            Ok(v) => {
                values.insert(indicator.code.clone(), Some(v));
            }
            Err(e) => {
                errors.insert(indicator.code.to_string(), format!("{}: {e}", indicator.name));
            }
        }
    }
    if errors.is_empty() { Ok(values) } else { Err(errors) }
}

/// Saves the form (`Action::Save`) or saves and submits it (`Action::Submit`) as the
/// caller, in one transaction with its audit entries.
pub async fn save(
    app: &App,
    caller: &Context,
    form: &OpenForm,
    action: Action,
    input: FormInput,
) -> Result<Saved, Error> {
    Ok(app
        .store()
        .save_submission(
            &Actor::from(&caller.principal),
            &form.unit.code,
            form.period,
            action,
            form.situation,
            input,
        )
        .await?)
}

/// The reviewer's decision on the form: accept, return or reopen (the last two with a
/// reason), against the version the reviewer saw.
pub async fn decide(
    app: &App,
    caller: &Context,
    form: &OpenForm,
    action: Action,
    version: i64,
    reason: &str,
) -> Result<Submission, Error> {
    if !matches!(action, Action::Accept | Action::Return | Action::Reopen) {
        return Err(Error::Invalid("chỉ có thể duyệt, trả lại hoặc mở lại báo cáo".into()));
    }
    let decision = Decision {
        action,
        situation: form.situation,
        version,
        reason: Some(reason),
    };
    let decided = app
        .store()
        .decide_submission(&Actor::from(&caller.principal), &form.unit.code, form.period, decision)
        .await?;
    if action == Action::Return {
        let told = crate::notifications::form_returned(app, &form.unit.code, form.period, reason).await;
        crate::notifications::log_failure("báo cáo bị trả lại", told);
    }
    Ok(decided)
}

/// One line of a unit's list of forms.
#[derive(Debug, Clone)]
pub struct FormLine {
    /// The half-year.
    pub period: Period,
    /// Its form (a blank draft, version 0, when nothing was ever saved).
    pub submission: Submission,
    /// The unit has official figures for the half-year without a form: a file brought them.
    pub imported: bool,
}

/// The forms of `unit`, newest half-year first: every half-year of the years it is a
/// member of a cluster, and the current one, up to today.
pub async fn list(app: &App, caller: &Context, unit: &str) -> Result<(Unit, Vec<FormLine>), Error> {
    let code = UnitCode::parse(unit).map_err(|_| unit_not_found(unit))?;
    let directory = &caller.directory;
    let found = directory.tree.get(&code).cloned().ok_or_else(|| unit_not_found(unit))?;
    let access = caller.access();
    let current = Period::half_year_of(today());
    if !access.can_enter(&code) && !access.can_reopen(&code) && !access.can_review(&code, current) {
        return Err(Error::Forbidden(format!(
            "bạn không có quyền xem báo cáo của {}",
            found.name
        )));
    }
    let mut years: Vec<i32> = directory
        .clusters
        .iter()
        .filter(|c| c.has_member(&code))
        .map(|c| c.year)
        .collect();
    years.push(current.year());
    years.sort_unstable_by(|a, b| b.cmp(a));
    years.dedup();
    let own_figures = app.store().periods_with_own_figures(&code).await?;
    let mut lines = Vec::new();
    for year in years {
        for half in [2, 1] {
            let period = Period::HalfYear(year, half);
            if period.start() > today() {
                continue;
            }
            let submission = app.store().submission(&code, period).await?;
            let imported = submission.version == 0 && own_figures.contains(&period);
            lines.push(FormLine {
                period,
                submission,
                imported,
            });
        }
    }
    Ok((found, lines))
}

/// The changes of one figure of the form, oldest first (with the form's own state
/// changes and imports), the indicator they are of, and the figure it holds now.
/// `form` was opened for its caller ([`open`]), so reading its history is theirs to do.
pub async fn history(app: &App, form: &OpenForm, indicator: &str) -> Result<CellHistory, Error> {
    let found = IndicatorCode::parse(indicator)
        .ok()
        .and_then(|c| form.catalog.get(&c).cloned())
        .ok_or_else(|| Error::NotFound(format!("không tìm thấy chỉ tiêu «{indicator}»")))?;
    let store = app.store();
    let pair = [(form.unit.code.clone(), form.period)];
    let (events, official) = tokio::try_join!(
        store.cell_history(&form.unit.code, form.period, &found.code),
        store.values_of(&pair),
    )?;
    let current = official
        .into_iter()
        .find(|v| v.indicator == found.code)
        .map(|v| v.value);
    Ok(CellHistory {
        indicator: found,
        events,
        current,
    })
}

/// Lịch sử một ô — a cell's trail, and the official figure it holds now (a figure that
/// arrived by a whole-form import has no entry of its own: the form's entry names the
/// file).
#[derive(Debug, Clone)]
pub struct CellHistory {
    /// The indicator.
    pub indicator: Indicator,
    /// The trail's entries for the cell and for its form as a whole, oldest first.
    pub events: Vec<AuditEvent>,
    /// The official figure now, if there is one.
    pub current: Option<Value>,
}

/// Why a workbook was not taken into the form.
#[derive(Debug)]
pub enum WorkbookRefused {
    /// The file could not be read, or cells are wrong: the lines to show, nothing written.
    File(Vec<String>),
    /// The form refused the figures (a stale version, a closed window): the reason.
    Form(String),
}

/// The officer's filled workbook (the form's own XLSX) into the form's draft, as the
/// caller: the file is held to the bounds of [`thidua_report::xlsx_bounds`] and read on a
/// blocking thread, a few at a time; a refused file writes nothing.
pub async fn import_workbook(
    app: &App,
    caller: &Context,
    form: &OpenForm,
    version: i64,
    file: Vec<u8>,
) -> Result<Result<Saved, WorkbookRefused>, Error> {
    let slot = WORKBOOK_SLOTS
        .acquire()
        .await
        .map_err(|e| Error::Internal(format!("đọc tệp Excel: {e}")))?;
    let (unit_code, period, catalog) = (form.unit.code.to_string(), form.period, form.catalog.clone());
    // The slot goes with the work: a request given up while the file is read still holds
    // it until the reading ends.
    let read = tokio::task::spawn_blocking(move || {
        let _slot = slot;
        thidua_report::form_sheet::read_form(&file, &unit_code, period, &catalog)
    })
    .await
    .map_err(|e| Error::Internal(format!("đọc tệp Excel: {e}")))?;
    let filled = match read {
        Ok(filled) => filled,
        Err(thidua_report::ReportError::Cells(cells)) => {
            let mut lines = vec!["Chưa nhập: tệp Excel có ô chưa đúng, không số liệu nào được ghi.".to_owned()];
            lines.extend(cells.iter().map(ToString::to_string));
            return Ok(Err(WorkbookRefused::File(lines)));
        }
        Err(e) => return Ok(Err(WorkbookRefused::File(vec![format!("Chưa nhập: {e}")]))),
    };
    let [results, limitations, directions] = filled.narrative;
    let input = FormInput {
        version,
        values: filled.values,
        narrative: Narrative {
            results,
            limitations,
            directions,
        },
    };
    match save(app, caller, form, Action::Save, input).await {
        Ok(saved) => Ok(Ok(saved)),
        Err(Error::Store(e)) => match refusal(e) {
            Ok(reason) => Ok(Err(WorkbookRefused::Form(reason))),
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    }
}

/// A store's refusal of a form write that the form can show (a stale version, a rule, the
/// workflow), or the error to pass on.
pub fn refusal(e: thidua_store::StoreError) -> Result<String, Error> {
    use thidua_store::StoreError as S;
    match e {
        S::Domain(thidua_core::Error::NotAllowed(m)) => Err(Error::Forbidden(m)),
        S::Domain(thidua_core::Error::InvalidTransition(m)) | S::Conflict(m) => Ok(m),
        e @ (S::Rejected(_) | S::Domain(_)) => Ok(e.to_string()),
        other => Err(other.into()),
    }
}
