//! Biểu mẫu báo cáo — a unit's form for a period: the officer types figures
//! (Vietnamese style understood and shown back formatted) and narrative, saves a draft
//! at any time, submits; the chair or upper level accepts or returns it with a reason;
//! the upper level reopens it. A failed save shows the form again with everything the
//! officer typed, and the reason beside the field at fault. Who may do what, and the
//! reading and saving, are the application's ([`thidua_app::forms`]); this keeps the HTTP.

use std::collections::BTreeMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Serialize;
use thidua_app::forms::{self, OpenForm, WorkbookRefused};
use thidua_core::period::{format_date_vi, format_datetime_vi};
use thidua_core::workflow::{Action, SubmissionState};
use thidua_core::{IndicatorCode, ValueType};
use thidua_store::{FormInput, Narrative};

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
    /// The indicator's value type (`integer`, `money`, `percent`, `number`, `text`), by
    /// which the form's script reads what is typed as the server will.
    value_type: &'static str,
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
    /// Where the official figures shown came from, when a file brought them.
    imported_note: String,
    /// The reason typed for a refused decision, kept.
    decision_reason: String,
    /// Gửi duyệt with figures missing: their names, to confirm before sending.
    missing: Vec<String>,
    /// Of how many figures to report.
    reported: usize,
    csrf: String,
    rules_json: String,
}

/// A simple chain rule for the browser to check as the officer types; rules with
/// formulas on a side are left to the server.
#[derive(Serialize)]
struct BrowserRule {
    sides: Vec<String>,
    ops: Vec<String>,
    /// The catalog's message, said once before the broken links.
    message: String,
    /// What each link says when broken, as the server says it (`{a}`, `{b}` for the
    /// values): as the message starts, and after another link.
    links: Vec<[String; 2]>,
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
            (sides.len() == ops.len() + 1 && ops.len() == rule.links()).then(|| BrowserRule {
                sides,
                ops,
                message: rule.message.clone().unwrap_or_default(),
                links: (0..rule.links())
                    .map(|i| [rule.link_template(i, true), rule.link_template(i, false)])
                    .collect(),
            })
        })
        .collect();
    serde_json::to_string(&list).unwrap_or_else(|_| "[]".into())
}

/// The form of `code` for `period` as the signed-in user may use it.
async fn load_context(state: &AppState, user: &CurrentUser, code: &str, period: &str) -> Result<OpenForm, AppError> {
    let caller = state.app.context(user.principal()).await?;
    Ok(forms::open(&state.app, &caller, code, period).await?)
}

fn page(
    ctx: &OpenForm,
    user: &CurrentUser,
    typed: Option<&BTreeMap<String, String>>,
    errors: &BTreeMap<String, String>,
) -> FormPage {
    let s = &ctx.submission;
    let editable = ctx.editable();
    // A form never started shows the official figures a file brought, if any.
    let imported = ctx.imported.as_ref().filter(|_| s.version == 0);
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
                            .or_else(|| imported.and_then(|f| f.values.get(&i.code)))
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
                        value_type: i.value_type.as_str(),
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
        state_label: if imported.is_some() {
            "Đã nhập từ tệp (số liệu chính thức)".to_owned()
        } else {
            s.state.label_vi().to_owned()
        },
        imported_note: imported.map(imported_note).unwrap_or_default(),
        version: s.version,
        // The reason stands while the unit acts on it; once the form is sent again the
        // reviewer's old words are history (the audit trail keeps them).
        return_reason: if s.state == SubmissionState::Returned || (s.reopened && s.state.is_editable()) {
            s.return_reason.clone().unwrap_or_default()
        } else {
            String::new()
        },
        window_note,
        editable,
        can_review: ctx.reviewable(),
        can_reopen: ctx.reopenable(),
        groups,
        results: s.narrative.results.clone(),
        limitations: s.narrative.limitations.clone(),
        directions: s.narrative.directions.clone(),
        notice: String::new(),
        errors: Vec::new(),
        violations: Vec::new(),
        missing: Vec::new(),
        reported: 0,
        decision_reason: String::new(),
        csrf: user.csrf.clone(),
        rules_json: browser_rules(&ctx.rules),
    }
}

/// "Số liệu chính thức do … nhập từ tệp values.csv ngày 25/7/2022": the import's entry
/// in the audit trail, in words.
fn imported_note(figures: &thidua_store::ImportedFigures) -> String {
    let Some(entry) = &figures.entry else {
        return format!(
            "{} số liệu chính thức đã có cho kỳ này (nhập từ tệp, không rõ ngày).",
            figures.values.len()
        );
    };
    let day = chrono::DateTime::parse_from_rfc3339(&entry.at)
        .map(|t| format_date_vi(t.date_naive()))
        .unwrap_or_else(|_| entry.at.clone());
    let source = entry.reason.as_deref().unwrap_or("tệp");
    // People by their names; an import made without an account by what made it.
    let by = match &figures.by_name {
        Some(name) => name.clone(),
        None if entry.actor == "import" => "lệnh nhập số liệu (thidua import)".to_owned(),
        None => entry.actor.clone(),
    };
    format!(
        "{} số liệu chính thức do {by} nhập ngày {day} ({source}). Đơn vị gửi báo cáo khi kỳ nhập liệu còn mở thì số liệu duyệt xong sẽ thay thế số liệu này.",
        figures.values.len()
    )
}

/// The form as just saved, with a notice and the rules it still breaks.
fn saved_page(ctx: OpenForm, user: &CurrentUser, saved: thidua_store::Saved, notice: &str) -> Response {
    let ctx = OpenForm {
        submission: saved.submission,
        ..ctx
    };
    let mut p = page(&ctx, user, None, &BTreeMap::new());
    p.notice = notice.to_owned();
    p.violations = saved.violations.into_iter().map(|v| v.message).collect();
    p.into_response()
}

/// `?done=` — the decision just made, for the notice after the redirect.
#[derive(serde::Deserialize)]
struct DoneQuery {
    done: Option<String>,
}

/// The notice after a reviewer's decision: a fixed text per decision, so the address
/// cannot put words on the page.
fn decision_notice(done: Option<&str>) -> &'static str {
    match done {
        Some("accept") => "Đã duyệt báo cáo; số liệu là số liệu chính thức của đơn vị.",
        Some("return") => "Đã trả lại báo cáo cho đơn vị, kèm lý do.",
        Some("reopen") => "Đã mở lại báo cáo để đơn vị sửa.",
        _ => "",
    }
}

async fn form_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((code, period)): Path<(String, String)>,
    Query(query): Query<DoneQuery>,
) -> Result<FormPage, AppError> {
    let ctx = load_context(&state, &user, &code, &period).await?;
    let mut p = page(&ctx, &user, None, &BTreeMap::new());
    decision_notice(query.done.as_deref()).clone_into(&mut p.notice);
    Ok(p)
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
    let caller = state.app.context(user.principal()).await?;
    let ctx = forms::open(&state.app, &caller, &code, &period).await?;
    // "submit_anyway" is Gửi duyệt confirmed after the page listed the missing figures.
    let confirmed_incomplete = field("action") == "submit_anyway";
    let action = if field("action") == "submit" || confirmed_incomplete {
        Action::Submit
    } else {
        Action::Save
    };
    let version: i64 = field("version")
        .parse()
        .map_err(|_| AppError::BadRequest("thiếu phiên bản của biểu mẫu".into()))?;

    // What was typed, kept for a re-display, and read against the indicators.
    let typed: BTreeMap<String, String> = ctx
        .catalog
        .indicators()
        .iter()
        .filter(|i| !i.is_computed())
        .map(|i| (i.code.to_string(), field(&format!("v_{}", i.code))))
        .collect();
    let read = forms::read_figures(&ctx.catalog, |code| {
        typed.get(code.as_str()).cloned().unwrap_or_default()
    });
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
    let values = match read {
        Ok(values) => values,
        Err(errors) => {
            return Ok(again(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Chưa lưu: có ô nhập chưa đúng, xem các ô được đánh dấu.".into(),
                &errors,
            ));
        }
    };
    // Sent with figures missing, the cluster's review would speak for the unit from part of
    // its figures: the draft is saved and the page asks first, naming what is missing.
    let missing: Vec<String> = ctx
        .catalog
        .indicators()
        .iter()
        .filter(|i| values.get(&i.code).is_some_and(Option::is_none))
        .map(|i| i.name.clone())
        .collect();
    let reported = values.len();
    let ask_first = action == Action::Submit && !confirmed_incomplete && !missing.is_empty();
    let action = if ask_first { Action::Save } else { action };
    let input = FormInput {
        version,
        values,
        narrative: narrative.clone(),
    };
    if ask_first {
        return match forms::save(&state.app, &caller, &ctx, action, input).await {
            Ok(saved) => {
                let ctx = OpenForm {
                    submission: saved.submission,
                    ..ctx
                };
                let mut p = page(&ctx, &user, None, &BTreeMap::new());
                p.notice = "Đã lưu nháp; báo cáo chưa được gửi.".into();
                p.violations = saved.violations.into_iter().map(|v| v.message).collect();
                p.missing = missing;
                p.reported = reported;
                Ok(p.into_response())
            }
            Err(thidua_app::Error::Store(e)) => {
                let message = forms::refusal(e)?;
                Ok(again(StatusCode::CONFLICT, message, &BTreeMap::new()))
            }
            Err(e) => Err(e.into()),
        };
    }
    match forms::save(&state.app, &caller, &ctx, action, input).await {
        Ok(saved) => {
            let notice = if action == Action::Submit {
                "Đã gửi báo cáo để cụm trưởng duyệt."
            } else {
                "Đã lưu nháp."
            };
            Ok(saved_page(ctx, &user, saved, notice))
        }
        Err(thidua_app::Error::Store(e)) => {
            let message = forms::refusal(e)?;
            Ok(again(StatusCode::CONFLICT, message, &BTreeMap::new()))
        }
        Err(e) => Err(e.into()),
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
    let caller = state.app.context(user.principal()).await?;
    let ctx = forms::open(&state.app, &caller, &code, &period).await?;
    let action = match field("action").as_str() {
        "accept" => Action::Accept,
        "return" => Action::Return,
        "reopen" => Action::Reopen,
        other => return Err(AppError::BadRequest(format!("thao tác «{other}» không hợp lệ"))),
    };
    let version: i64 = field("version")
        .parse()
        .map_err(|_| AppError::BadRequest("thiếu phiên bản của biểu mẫu".into()))?;
    // A refused decision (a return without its reason, a form changed meanwhile) comes
    // back on the form itself, with what was typed as the reason kept.
    if let Err(e) = forms::decide(&state.app, &caller, &ctx, action, version, &field("reason")).await {
        let (status, message) = match AppError::from(e) {
            AppError::BadRequest(m) => (StatusCode::UNPROCESSABLE_ENTITY, m),
            AppError::Conflict(m) => (StatusCode::CONFLICT, m),
            other => return Err(other),
        };
        let mut p = page(&ctx, &user, None, &BTreeMap::new());
        p.errors = vec![crate::error::sentence(&message)];
        p.decision_reason = field("reason");
        return Ok((status, p).into_response());
    }
    Ok(Redirect::to(&format!(
        "/units/{}/forms/{}?done={}",
        ctx.unit.code,
        ctx.period,
        field("action")
    ))
    .into_response())
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
    let caller = state.app.context(user.principal()).await?;
    let (unit, lines) = forms::list(&state.app, &caller, &code).await?;
    let periods = lines
        .into_iter()
        .map(|line| PeriodLine {
            code: line.period.code(),
            label: line.period.label_vi(),
            state: if line.imported {
                "Đã nhập từ tệp (số liệu chính thức)".to_owned()
            } else if line.submission.version == 0 {
                "Chưa nhập".to_owned()
            } else {
                line.submission.state.label_vi().to_owned()
            },
        })
        .collect();
    Ok(FormList {
        title: format!("Báo cáo của {}", unit.short_name()),
        query: String::new(),
        me: Some(user.me()),
        unit_code: unit.code.to_string(),
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
    /// The official figure now, in Vietnamese style.
    current: String,
    lines: Vec<HistoryLine>,
}

async fn history_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((code, period, indicator)): Path<(String, String, String)>,
) -> Result<HistoryPage, AppError> {
    let caller = state.app.context(user.principal()).await?;
    let ctx = forms::open(&state.app, &caller, &code, &period).await?;
    let forms::CellHistory {
        indicator,
        events,
        current,
    } = forms::history(&state.app, &ctx, &indicator).await?;
    let action_label = |a: &str, whole_form: bool| -> String {
        match a {
            "import" if whole_form => "Nhập từ tệp (cả biểu)".into(),
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
                .map(|t| format_datetime_vi(t.with_timezone(&chrono::Local).naive_local()))
                .unwrap_or(e.at),
            actor: e.actor,
            action: action_label(&e.action, e.indicator.is_none()),
            // A whole form's entry counts its values; the count is in its reason.
            old_value: if e.indicator.is_none() && e.action == "import" {
                "—".into()
            } else {
                state_or_value(e.old_value)
            },
            new_value: if e.indicator.is_none() && e.action == "import" {
                "—".into()
            } else {
                state_or_value(e.new_value)
            },
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
        current: current.map_or_else(|| "chưa có".to_owned(), |v| v.format_vi()),
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
    let caller = state.app.context(user.principal()).await?;
    let ctx = forms::open(&state.app, &caller, &code, &period).await?;
    let version: i64 = fields
        .get("version")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| AppError::BadRequest("thiếu phiên bản của biểu mẫu".into()))?;
    let file = file
        .filter(|f| !f.is_empty())
        .ok_or_else(|| AppError::BadRequest("chưa chọn tệp Excel".into()))?;
    let refuse = |ctx: &OpenForm, message: Vec<String>| {
        let mut p = page(ctx, &user, None, &BTreeMap::new());
        p.errors = message;
        (StatusCode::UNPROCESSABLE_ENTITY, p).into_response()
    };
    match forms::import_workbook(&state.app, &caller, &ctx, version, file).await? {
        Ok(saved) => Ok(saved_page(
            ctx,
            &user,
            saved,
            "Đã nhập số liệu từ tệp Excel vào bản nháp; kiểm tra lại rồi bấm «Gửi duyệt».",
        )),
        Err(WorkbookRefused::File(lines)) => Ok(refuse(&ctx, lines)),
        Err(WorkbookRefused::Form(reason)) => Ok(refuse(&ctx, vec![reason])),
    }
}
