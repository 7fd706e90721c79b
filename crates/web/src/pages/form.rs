//! Biểu mẫu báo cáo — a unit's form for a period: the officer types figures
//! (Vietnamese style understood and shown back formatted) and narrative, saves a draft
//! at any time, submits; the chair or upper level accepts or returns it with a reason;
//! the upper level reopens it. A failed save shows the form again with everything the
//! officer typed, and the reason beside the field at fault.

use std::collections::BTreeMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Serialize;
use thidua_core::period::format_date_vi;
use thidua_core::workflow::{Action, ReportingWindow, Situation, SubmissionState};
use thidua_core::{Catalog, IndicatorCode, Period, UnitCode, Value, ValueType};
use thidua_store::{Decision, FormInput, Narrative, Submission};

use crate::AppState;
use crate::auth::{CurrentUser, Me};
use crate::error::AppError;
use crate::view::format_value;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/units/{code}/forms", get(form_list))
        .route("/units/{code}/forms/{period}", get(form_page).post(save_form))
        .route("/units/{code}/forms/{period}/decision", post(decide))
        .route(
            "/units/{code}/forms/{period}/xlsx",
            crate::body_limit::limited(get(download_xlsx).post(upload_xlsx), crate::body_limit::FORM_WORKBOOK),
        )
        .route("/units/{code}/forms/{period}/history/{indicator}", get(history_page))
}

/// One input of the form.
struct Field {
    code: String,
    name: String,
    measure: String,
    /// What the input shows: the stored value formatted, or what was typed.
    input: String,
    /// Why the typed value was refused, or empty.
    error: String,
    /// `numeric` or `text`.
    kind: &'static str,
}

struct FieldGroup {
    name: String,
    fields: Vec<Field>,
}

#[derive(Template, WebTemplate)]
#[template(path = "form.html")]
struct FormPage {
    title: String,
    query: String,
    me: Option<Me>,
    unit_code: String,
    unit_name: String,
    period_code: String,
    period_label: String,
    state: String,
    state_label: String,
    version: i64,
    return_reason: String,
    window_note: String,
    editable: bool,
    can_review: bool,
    can_reopen: bool,
    groups: Vec<FieldGroup>,
    results: String,
    limitations: String,
    directions: String,
    notice: String,
    errors: Vec<String>,
    violations: Vec<String>,
    csrf: String,
    rules_json: String,
}

/// The facts a form page and its actions need, loaded once per request.
struct Context {
    unit: thidua_core::Unit,
    period: Period,
    catalog: Catalog,
    submission: Submission,
    window: ReportingWindow,
    situation: Situation,
    rules_json: String,
}

/// A simple chain rule for the browser to check as the officer types; rules with
/// formulas on a side are left to the server.
#[derive(Serialize)]
struct BrowserRule {
    sides: Vec<String>,
    ops: Vec<String>,
    message: String,
}

fn browser_rules(rules: &[thidua_core::ValidationRule]) -> String {
    let list: Vec<BrowserRule> = rules
        .iter()
        .filter_map(|rule| {
            let text = rule.source();
            let mut sides = Vec::new();
            let mut ops = Vec::new();
            for token in text.split_whitespace() {
                match token {
                    "<=" | ">=" | "<" | ">" | "=" | "==" => ops.push(token.to_owned()),
                    code if IndicatorCode::parse(code).is_ok() => sides.push(code.to_owned()),
                    _ => return None,
                }
            }
            (sides.len() == ops.len() + 1).then(|| BrowserRule {
                sides,
                ops,
                message: rule.message.clone().unwrap_or_default(),
            })
        })
        .collect();
    serde_json::to_string(&list).unwrap_or_else(|_| "[]".into())
}

fn today() -> chrono::NaiveDate {
    chrono::Local::now().date_naive()
}

async fn load_context(state: &AppState, user: &CurrentUser, code: &str, period: &str) -> Result<Context, AppError> {
    let not_found = || AppError::NotFound(format!("không tìm thấy đơn vị «{code}»"));
    let code = UnitCode::parse(code).map_err(|_| not_found())?;
    let period = Period::parse(period)?;
    let scope = state.app.directory().await?;
    let unit = scope.tree.get(&code).cloned().ok_or_else(not_found)?;
    let (catalog, submission, window, rules) = tokio::try_join!(
        state.store.catalog(),
        state.store.submission(&code, period),
        state.store.reporting_window(period),
        state.store.rules(),
    )?;
    let principal = user.principal();
    let access = scope.access(&principal);
    // A never-submitted draft is private to its unit; a returned form stays readable by
    // the reviewer who returned it.
    let is_draft = submission.state == SubmissionState::Draft;
    if !access.can_read_submission(&code, period, is_draft) && !access.can_reopen(&code) {
        return Err(AppError::Forbidden(format!(
            "bạn không có quyền xem báo cáo {} của {}",
            period.label_vi(),
            unit.name
        )));
    }
    let situation = Situation {
        can_enter: access.can_enter(&code),
        can_review: access.can_review(&code, period),
        can_reopen: access.can_reopen(&code),
        window_open: window.is_open_on(today()),
        reopened: submission.reopened,
    };
    Ok(Context {
        unit,
        period,
        catalog,
        submission,
        window,
        situation,
        rules_json: browser_rules(&rules),
    })
}

fn page(
    ctx: &Context,
    user: &CurrentUser,
    typed: Option<&BTreeMap<String, String>>,
    errors: &BTreeMap<String, String>,
) -> FormPage {
    let s = &ctx.submission;
    let editable = ctx.situation.can_enter && s.state.is_editable() && (ctx.situation.window_open || s.reopened);
    let groups = ctx
        .catalog
        .groups()
        .into_iter()
        .map(|(group, indicators)| FieldGroup {
            name: group.to_owned(),
            fields: indicators
                .iter()
                .filter(|i| !i.is_computed())
                .map(|i| {
                    let code = i.code.to_string();
                    let input = match typed {
                        Some(t) => t.get(&code).cloned().unwrap_or_default(),
                        None => s
                            .values
                            .get(&i.code)
                            .map(|v| format_value(i, Some(v)))
                            .unwrap_or_default(),
                    };
                    Field {
                        error: errors.get(&code).cloned().unwrap_or_default(),
                        name: i.name.clone(),
                        measure: i.measure.clone(),
                        kind: if i.value_type == ValueType::Text {
                            "text"
                        } else {
                            "numeric"
                        },
                        code,
                        input,
                    }
                })
                .collect(),
        })
        .collect();
    let deadline = format_date_vi(ctx.window.deadline);
    let window_note = if ctx.situation.window_open {
        format!("Hạn nộp: {deadline}.")
    } else if s.reopened {
        format!("Hạn nộp {deadline} đã qua; báo cáo được cấp trên mở lại.")
    } else {
        format!("Kỳ nhập liệu đã khóa (hạn nộp {deadline}).")
    };
    FormPage {
        title: format!("Báo cáo {} — {}", ctx.period.label_vi(), ctx.unit.short_name()),
        query: String::new(),
        me: Some(user.me()),
        unit_code: ctx.unit.code.to_string(),
        unit_name: ctx.unit.name.clone(),
        period_code: ctx.period.code(),
        period_label: ctx.period.label_vi(),
        state: s.state.as_str().to_owned(),
        state_label: s.state.label_vi().to_owned(),
        version: s.version,
        return_reason: s.return_reason.clone().unwrap_or_default(),
        window_note,
        editable,
        can_review: ctx.situation.can_review && s.state == SubmissionState::Submitted,
        can_reopen: ctx.situation.can_reopen
            && (s.state == SubmissionState::Accepted
                || (s.state.is_editable() && !ctx.situation.window_open && !s.reopened)),
        groups,
        results: s.narrative.results.clone(),
        limitations: s.narrative.limitations.clone(),
        directions: s.narrative.directions.clone(),
        notice: String::new(),
        errors: Vec::new(),
        violations: Vec::new(),
        csrf: user.csrf.clone(),
        rules_json: ctx.rules_json.clone(),
    }
}

/// The form as just saved, with a notice and the rules it still breaks.
fn saved_page(ctx: Context, user: &CurrentUser, saved: thidua_store::Saved, notice: &str) -> Response {
    let ctx = Context {
        submission: saved.submission,
        ..ctx
    };
    let mut p = page(&ctx, user, None, &BTreeMap::new());
    p.notice = notice.to_owned();
    p.violations = saved.violations.into_iter().map(|v| v.message).collect();
    p.into_response()
}

async fn form_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((code, period)): Path<(String, String)>,
) -> Result<FormPage, AppError> {
    let ctx = load_context(&state, &user, &code, &period).await?;
    Ok(page(&ctx, &user, None, &BTreeMap::new()))
}

async fn save_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((code, period)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let fields: BTreeMap<String, String> = pairs.into_iter().collect();
    let field = |name: &str| fields.get(name).cloned().unwrap_or_default();
    user.check_csrf(&field("csrf"))?;
    let ctx = load_context(&state, &user, &code, &period).await?;
    let action = if field("action") == "submit" {
        Action::Submit
    } else {
        Action::Save
    };
    let version: i64 = field("version")
        .parse()
        .map_err(|_| AppError::BadRequest("thiếu phiên bản của biểu mẫu".into()))?;

    // Read every typed value against its indicator; keep what was typed for a re-display.
    let mut typed = BTreeMap::new();
    let mut errors = BTreeMap::new();
    let mut values = BTreeMap::new();
    for indicator in ctx.catalog.indicators().iter().filter(|i| !i.is_computed()) {
        let code = indicator.code.to_string();
        let raw = field(&format!("v_{code}"));
        typed.insert(code.clone(), raw.clone());
        if raw.trim().is_empty() {
            values.insert(indicator.code.clone(), None);
            continue;
        }
        match Value::parse(&raw, indicator.value_type) {
            Ok(v) => {
                values.insert(indicator.code.clone(), Some(v));
            }
            Err(e) => {
                errors.insert(code, format!("{}: {e}", indicator.name));
            }
        }
    }
    let narrative = Narrative {
        results: thidua_core::text::nfc(&field("results")),
        limitations: thidua_core::text::nfc(&field("limitations")),
        directions: thidua_core::text::nfc(&field("directions")),
    };
    let again = |status: StatusCode, message: String, errors: &BTreeMap<String, String>| {
        let mut p = page(&ctx, &user, Some(&typed), errors);
        p.version = version;
        p.results = narrative.results.clone();
        p.limitations = narrative.limitations.clone();
        p.directions = narrative.directions.clone();
        p.errors = std::iter::once(message).chain(errors.values().cloned()).collect();
        (status, p).into_response()
    };
    if !errors.is_empty() {
        return Ok(again(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Chưa lưu: có ô nhập chưa đúng, xem các ô được đánh dấu.".into(),
            &errors,
        ));
    }
    let input = FormInput {
        version,
        values,
        narrative: narrative.clone(),
    };
    match state
        .store
        .save_submission(
            &user.principal(),
            &ctx.unit.code,
            ctx.period,
            action,
            ctx.situation,
            input,
        )
        .await
    {
        Ok(saved) => {
            let notice = if action == Action::Submit {
                "Đã gửi báo cáo để cụm trưởng duyệt."
            } else {
                "Đã lưu nháp."
            };
            Ok(saved_page(ctx, &user, saved, notice))
        }
        Err(e) => {
            let e = AppError::from(e);
            match e {
                AppError::Conflict(m) | AppError::BadRequest(m) => Ok(again(StatusCode::CONFLICT, m, &BTreeMap::new())),
                other => Err(other),
            }
        }
    }
}

async fn decide(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((code, period)): Path<(String, String)>,
    Form(fields): Form<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    let field = |name: &str| fields.get(name).cloned().unwrap_or_default();
    user.check_csrf(&field("csrf"))?;
    let ctx = load_context(&state, &user, &code, &period).await?;
    let action = match field("action").as_str() {
        "accept" => Action::Accept,
        "return" => Action::Return,
        "reopen" => Action::Reopen,
        other => return Err(AppError::BadRequest(format!("thao tác «{other}» không hợp lệ"))),
    };
    let version: i64 = field("version")
        .parse()
        .map_err(|_| AppError::BadRequest("thiếu phiên bản của biểu mẫu".into()))?;
    let reason = field("reason");
    let decision = Decision {
        action,
        situation: ctx.situation,
        version,
        reason: Some(reason.as_str()),
    };
    state
        .store
        .decide_submission(&user.principal(), &ctx.unit.code, ctx.period, decision)
        .await?;
    Ok(Redirect::to(&format!("/units/{}/forms/{}", ctx.unit.code, ctx.period)).into_response())
}

struct PeriodLine {
    code: String,
    label: String,
    state: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "form_list.html")]
struct FormList {
    title: String,
    query: String,
    me: Option<Me>,
    unit_code: String,
    unit_name: String,
    periods: Vec<PeriodLine>,
}

async fn form_list(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
) -> Result<FormList, AppError> {
    let not_found = || AppError::NotFound(format!("không tìm thấy đơn vị «{code}»"));
    let unit_code = UnitCode::parse(&code).map_err(|_| not_found())?;
    let scope = state.app.directory().await?;
    let unit = scope.tree.get(&unit_code).ok_or_else(not_found)?;
    let principal = user.principal();
    let access = scope.access(&principal);
    if !access.can_enter(&unit_code)
        && !access.can_reopen(&unit_code)
        && !access.can_review(&unit_code, Period::half_year_of(today()))
    {
        return Err(AppError::Forbidden(format!(
            "bạn không có quyền xem báo cáo của {}",
            unit.name
        )));
    }
    let mut years: Vec<i32> = scope
        .clusters
        .iter()
        .filter(|c| c.has_member(&unit_code))
        .map(|c| c.year)
        .collect();
    years.push(Period::half_year_of(today()).year());
    years.sort_unstable_by(|a, b| b.cmp(a));
    years.dedup();
    let mut periods = Vec::new();
    for year in years {
        for half in [2, 1] {
            let period = Period::HalfYear(year, half);
            if period.start() > today() {
                continue;
            }
            let submission = state.store.submission(&unit_code, period).await?;
            let state_label = if submission.version == 0 {
                "Chưa nhập".to_owned()
            } else {
                submission.state.label_vi().to_owned()
            };
            periods.push(PeriodLine {
                code: period.code(),
                label: period.label_vi(),
                state: state_label,
            });
        }
    }
    Ok(FormList {
        title: format!("Báo cáo của {}", unit.short_name()),
        query: String::new(),
        me: Some(user.me()),
        unit_code: unit_code.to_string(),
        unit_name: unit.name.clone(),
        periods,
    })
}

struct HistoryLine {
    at: String,
    actor: String,
    action: String,
    old_value: String,
    new_value: String,
    reason: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "history.html")]
struct HistoryPage {
    title: String,
    query: String,
    me: Option<Me>,
    unit_code: String,
    unit_name: String,
    period_code: String,
    period_label: String,
    indicator_name: String,
    lines: Vec<HistoryLine>,
}

async fn history_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((code, period, indicator)): Path<(String, String, String)>,
) -> Result<HistoryPage, AppError> {
    let ctx = load_context(&state, &user, &code, &period).await?;
    let indicator = IndicatorCode::parse(&indicator)
        .ok()
        .and_then(|c| ctx.catalog.get(&c).cloned())
        .ok_or_else(|| AppError::NotFound(format!("không tìm thấy chỉ tiêu «{indicator}»")))?;
    let events = state
        .store
        .cell_history(&ctx.unit.code, ctx.period, &indicator.code)
        .await?;
    let action_label = |a: &str| -> String {
        match a {
            "value" => "Sửa số liệu".into(),
            "state" => "Chuyển trạng thái".into(),
            "official" => "Thành số liệu chính thức".into(),
            "import" => "Nhập từ tệp".into(),
            "import-overwrite" => "Cấp trên ghi đè số liệu đã duyệt (nhập từ tệp)".into(),
            other => other.into(),
        }
    };
    let state_or_value = |v: Option<String>| {
        v.map(|v| match SubmissionState::parse(&v) {
            Ok(s) => s.label_vi().to_owned(),
            Err(_) => thidua_core::number::parse_number(&v)
                .ok()
                .and_then(|n| n.to_i64())
                .map_or(v, thidua_core::number::format_integer),
        })
        .unwrap_or_else(|| "—".into())
    };
    let lines = events
        .into_iter()
        .map(|e| HistoryLine {
            at: chrono::DateTime::parse_from_rfc3339(&e.at)
                .map(|t| t.with_timezone(&chrono::Local).format("%d/%m/%Y %H:%M").to_string())
                .unwrap_or(e.at),
            actor: e.actor,
            action: action_label(&e.action),
            old_value: state_or_value(e.old_value),
            new_value: state_or_value(e.new_value),
            reason: e.reason.unwrap_or_default(),
        })
        .collect();
    Ok(HistoryPage {
        title: format!("Lịch sử: {}", indicator.name),
        query: String::new(),
        me: Some(user.me()),
        unit_code: ctx.unit.code.to_string(),
        unit_name: ctx.unit.name.clone(),
        period_code: ctx.period.code(),
        period_label: ctx.period.label_vi(),
        indicator_name: indicator.name.clone(),
        lines,
    })
}

async fn download_xlsx(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((code, period)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let ctx = load_context(&state, &user, &code, &period).await?;
    let s = &ctx.submission;
    let bytes = thidua_report::form_sheet::write_form(&thidua_report::form_sheet::FormSheet {
        unit_code: ctx.unit.code.as_str(),
        unit_name: &ctx.unit.name,
        period: ctx.period,
        catalog: &ctx.catalog,
        values: &s.values,
        narrative: [&s.narrative.results, &s.narrative.limitations, &s.narrative.directions],
    })
    .map_err(|e| AppError::Internal(e.to_string()))?;
    let filename = format!("bieu-mau-{}-{}.xlsx", ctx.unit.code, ctx.period);
    Ok(super::attachment(super::XLSX, &filename, bytes))
}

/// Workbooks read at once: each may inflate up to
/// [`thidua_report::xlsx_bounds::MAX_TOTAL_BYTES`] and hold its cells, so a burst of
/// uploads waits its turn rather than reading them all together.
static WORKBOOK_SLOTS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(4);

/// Nhập từ Excel — the officer's filled workbook into the form's draft. The file is held
/// to the bounds of [`thidua_report::xlsx_bounds`] (body limit, archive, sheet extent)
/// and read on a blocking thread; a refused file writes nothing.
async fn upload_xlsx(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((code, period)): Path<(String, String)>,
    multipart: axum::extract::Multipart,
) -> Result<Response, AppError> {
    let crate::body_limit::Upload { fields, file } =
        crate::body_limit::read_upload(multipart, crate::body_limit::FORM_WORKBOOK).await?;
    let file = file.map(|f| f.bytes);
    user.check_csrf(fields.get("csrf").map_or("", String::as_str))?;
    let ctx = load_context(&state, &user, &code, &period).await?;
    let version: i64 = fields
        .get("version")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| AppError::BadRequest("thiếu phiên bản của biểu mẫu".into()))?;
    let file = file
        .filter(|f| !f.is_empty())
        .ok_or_else(|| AppError::BadRequest("chưa chọn tệp Excel".into()))?;
    let refuse = |ctx: &Context, message: Vec<String>| {
        let mut p = page(ctx, &user, None, &BTreeMap::new());
        p.errors = message;
        (StatusCode::UNPROCESSABLE_ENTITY, p).into_response()
    };
    let slot = WORKBOOK_SLOTS
        .acquire()
        .await
        .map_err(|e| AppError::Internal(format!("đọc tệp Excel: {e}")))?;
    let (unit_code, period_read, catalog) = (ctx.unit.code.to_string(), ctx.period, ctx.catalog.clone());
    // The slot goes with the work: a request given up while the file is read still
    // holds it until the reading ends.
    let read = tokio::task::spawn_blocking(move || {
        let _slot = slot;
        thidua_report::form_sheet::read_form(&file, &unit_code, period_read, &catalog)
    })
    .await
    .map_err(|e| AppError::Internal(format!("đọc tệp Excel: {e}")))?;
    let filled = match read {
        Ok(filled) => filled,
        Err(thidua_report::ReportError::Cells(cells)) => {
            let mut lines = vec!["Chưa nhập: tệp Excel có ô chưa đúng, không số liệu nào được ghi.".to_owned()];
            lines.extend(cells.iter().map(ToString::to_string));
            return Ok(refuse(&ctx, lines));
        }
        Err(e) => return Ok(refuse(&ctx, vec![format!("Chưa nhập: {e}")])),
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
    match state
        .store
        .save_submission(
            &user.principal(),
            &ctx.unit.code,
            ctx.period,
            Action::Save,
            ctx.situation,
            input,
        )
        .await
    {
        Ok(saved) => Ok(saved_page(
            ctx,
            &user,
            saved,
            "Đã nhập số liệu từ tệp Excel vào bản nháp; kiểm tra lại rồi bấm «Gửi duyệt».",
        )),
        Err(e) => match AppError::from(e) {
            AppError::Conflict(m) | AppError::BadRequest(m) => Ok(refuse(&ctx, vec![m])),
            other => Err(other),
        },
    }
}
