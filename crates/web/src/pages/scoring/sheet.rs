//! Bảng chấm điểm — one step's sheet of a unit (tự chấm, cụm chấm, cấp trên điều chỉnh):
//! the form with each line's maximum, guidance, the points in force before this step and
//! the computed items, the totals, the files attached; and its saving, which names every
//! wrong line at once (core's checks, through [`thidua_app::scoring::save_sheet`]) and
//! keeps what was typed.

use std::collections::BTreeMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use thidua_app::scoring::{self, SaveError, Sheet, SheetEntry, TypedLine};
use thidua_core::emulation::Points;
use thidua_core::emulation::criteria::Entry;
use thidua_core::emulation::scoring::{ComparisonRow, ScoreStep, Totals};

use super::{pts, section_label, step_of, when_vi, year_of};
use crate::AppState;
use crate::auth::{CurrentUser, Me};
use crate::error::AppError;

/// One line of the sheet form.
struct SheetLine {
    code: String,
    name: String,
    depth: usize,
    is_group: bool,
    section: &'static str,
    max: String,
    guidance: String,
    /// Computed from the accepted figures: shown, never typed.
    computed: bool,
    /// What the input shows: this step's points, or what was typed.
    input: String,
    note: String,
    /// For a later step: the points in force from the steps before.
    before: String,
    /// For a group: its points at this step.
    sum: String,
    error: String,
}

struct EvidenceLine {
    id: i64,
    code: String,
    filename: String,
    size: String,
    at: String,
    by: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "scoring_sheet.html")]
pub(super) struct SheetPage {
    title: String,
    query: String,
    me: Option<Me>,
    csrf: String,
    code: String,
    cluster_name: String,
    unit: String,
    unit_name: String,
    year: i32,
    step: &'static str,
    step_label: &'static str,
    criteria_version: u32,
    version: i64,
    editable: bool,
    /// Whether the step before exists to fall back on (cluster, upper).
    later_step: bool,
    lines: Vec<SheetLine>,
    sheet_note: String,
    scored: String,
    totals: Vec<(String, String)>,
    evidence: Vec<EvidenceLine>,
    /// Whether the user may attach and remove evidence (the unit itself, on its self-score).
    owns_evidence: bool,
    /// Whether the sheet exists, so files can be attached to it.
    saved: bool,
    /// Item codes files can be attached to: (code, label).
    evidence_targets: Vec<(String, String)>,
    notice: String,
    errors: Vec<String>,
}

/// What the user typed, kept for showing the form again.
#[derive(Default)]
struct Typed {
    points: BTreeMap<String, String>,
    notes: BTreeMap<String, String>,
    note: String,
    version: i64,
}

/// `step`'s sheet of `unit` for `year` as the caller may see it, with the caller.
pub(super) async fn load(
    state: &AppState,
    user: &CurrentUser,
    unit: &str,
    year: &str,
    step: &str,
) -> Result<(thidua_app::Context, Sheet), AppError> {
    let step = step_of(step)?;
    let year = year_of(year)?;
    let caller = state.app.context(user.principal()).await?;
    let sheet = scoring::load_sheet(&state.app, &caller, unit, year, step).await?;
    Ok((caller, sheet))
}

/// A file size as people read it: "12 kB", "1,5 MB".
fn size_vi(bytes: i64) -> String {
    let b = bytes as f64;
    if b >= 1024.0 * 1024.0 {
        format!(
            "{} MB",
            thidua_core::number::format_decimal_trimmed(b / 1024.0 / 1024.0, 1)
        )
    } else if b >= 1024.0 {
        format!("{} kB", thidua_core::number::format_decimal_trimmed(b / 1024.0, 0))
    } else {
        format!("{bytes} byte")
    }
}

fn totals_lines(t: &Totals) -> Vec<(String, String)> {
    let mut lines: Vec<(String, String)> = t
        .groups
        .iter()
        .map(|g| {
            (
                format!("{}. {}", g.code, g.name),
                format!("{} / {}", g.points.format_vi(), g.max.format_vi()),
            )
        })
        .collect();
    lines.push(("Điểm các tiêu chí".into(), t.criteria.format_vi()));
    let bonus = if t.bonus_claimed == t.bonus {
        t.bonus.format_vi()
    } else {
        format!(
            "{} (chấm {}, tính tối đa {})",
            t.bonus.format_vi(),
            t.bonus_claimed.format_vi(),
            t.bonus.format_vi()
        )
    };
    lines.push(("Điểm thưởng".into(), bonus));
    lines.push(("Điểm trừ".into(), t.penalty.format_vi()));
    lines.push((
        "Tổng điểm".into(),
        format!("{} / {}", t.total.format_vi(), t.scale.format_vi()),
    ));
    if !t.unscored.is_empty() {
        let codes: Vec<String> = t.unscored.iter().map(ToString::to_string).collect();
        lines.push(("Tiêu chí chưa chấm".into(), codes.join(", ")));
    }
    lines
}

fn render_sheet(
    data: &Sheet,
    user: &CurrentUser,
    typed: Option<&Typed>,
    errors: &BTreeMap<String, String>,
) -> SheetPage {
    let sheet = data.saved();
    let set = &data.scores.criteria.set;
    // The points in force before this step: the latest earlier step that gave the line.
    let before = |r: &ComparisonRow| -> Option<Points> {
        match data.step {
            ScoreStep::SelfScore => None,
            ScoreStep::Cluster => r.self_score,
            ScoreStep::Upper => r.cluster.or(r.self_score),
        }
    };
    let at_step = |r: &ComparisonRow| -> Option<Points> {
        match data.step {
            ScoreStep::SelfScore => r.self_score,
            ScoreStep::Cluster => r.cluster,
            ScoreStep::Upper => r.upper,
        }
    };
    let lines = data
        .scores
        .comparison
        .rows
        .iter()
        .map(|r| {
            let code = r.code.to_string();
            let (guidance, computed) = match set.find(&r.code) {
                Some(Entry::Criterion(c)) => (c.guidance.clone(), c.computation().is_some()),
                Some(Entry::Bonus(b) | Entry::Penalty(b)) => (b.guidance.clone(), false),
                None => (String::new(), false),
            };
            let mark = sheet.and_then(|s| s.card.get(&r.code));
            let (input, note) = if computed {
                match mark {
                    Some(m) => (m.points.format_vi(), m.note.clone()),
                    None => data
                        .fresh
                        .iter()
                        .find(|c| c.code == r.code)
                        .map(|c| (c.points.format_vi(), c.note()))
                        .unwrap_or_default(),
                }
            } else {
                match typed {
                    Some(t) => (
                        t.points.get(&code).cloned().unwrap_or_default(),
                        t.notes.get(&code).cloned().unwrap_or_default(),
                    ),
                    None => mark.map(|m| (m.points.format_vi(), m.note.clone())).unwrap_or_default(),
                }
            };
            SheetLine {
                error: errors.get(&code).cloned().unwrap_or_default(),
                name: r.name.clone(),
                depth: r.depth,
                is_group: r.is_group,
                section: section_label(r.section),
                max: r.max.format_vi(),
                guidance,
                computed,
                input,
                note,
                before: pts(before(r)),
                sum: if r.is_group { pts(at_step(r)) } else { String::new() },
                code,
            }
        })
        .collect();
    let totals = data
        .scores
        .comparison
        .totals
        .iter()
        .find(|(s, _)| *s == data.step)
        .map(|(_, t)| totals_lines(t))
        .unwrap_or_default();
    let evidence = sheet
        .map(|s| {
            s.evidence
                .iter()
                .map(|e| EvidenceLine {
                    id: e.id,
                    code: e
                        .code
                        .as_ref()
                        .map_or_else(|| "Cả bảng điểm".to_owned(), ToString::to_string),
                    filename: e.filename.clone(),
                    size: size_vi(e.size),
                    at: when_vi(&e.uploaded_at),
                    by: e.uploaded_by.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    let evidence_targets = set
        .items()
        .into_iter()
        .filter(|c| c.computation().is_none())
        .map(|c| (c.code.to_string(), format!("{} — {}", c.code, c.name)))
        .chain(
            set.bonuses()
                .iter()
                .chain(set.penalties())
                .map(|r| (r.code.to_string(), format!("{} — {}", r.code, r.name))),
        )
        .collect();
    let ctx = &data.unit;
    SheetPage {
        title: format!("{} năm {} — {}", data.step.label_vi(), ctx.year, ctx.name),
        query: String::new(),
        me: Some(user.me()),
        csrf: user.csrf.clone(),
        code: ctx.cluster.code.to_string(),
        cluster_name: ctx.cluster.name.clone(),
        unit: ctx.unit.to_string(),
        unit_name: ctx.name.clone(),
        year: ctx.year,
        step: data.step.as_str(),
        step_label: data.step.label_vi(),
        criteria_version: data.scores.criteria.version,
        version: typed.map_or_else(|| sheet.map_or(0, |s| s.version), |t| t.version),
        editable: data.editable,
        later_step: data.step != ScoreStep::SelfScore,
        lines,
        sheet_note: typed.map_or_else(|| sheet.map(|s| s.note.clone()).unwrap_or_default(), |t| t.note.clone()),
        scored: sheet
            .map(|s| {
                format!(
                    "Lưu lần {} bởi {} lúc {}",
                    s.version,
                    s.scored_login,
                    when_vi(&s.scored_at)
                )
            })
            .unwrap_or_else(|| "Chưa chấm".into()),
        totals,
        evidence,
        owns_evidence: data.owns_evidence,
        saved: sheet.is_some(),
        evidence_targets,
        notice: String::new(),
        errors: Vec::new(),
    }
}

pub(super) async fn sheet_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((unit, year, step)): Path<(String, String, String)>,
) -> Result<SheetPage, AppError> {
    let (_, data) = load(&state, &user, &unit, &year, &step).await?;
    Ok(render_sheet(&data, &user, None, &BTreeMap::new()))
}

/// The sheet shown again with `message` above it (a refused upload).
pub(super) fn refused(data: &Sheet, user: &CurrentUser, message: String) -> SheetPage {
    let mut p = render_sheet(data, user, None, &BTreeMap::new());
    p.errors = vec![message];
    p
}

pub(super) async fn save_sheet(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((unit, year, step)): Path<(String, String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let fields: BTreeMap<String, String> = pairs.into_iter().collect();
    let field = |name: &str| fields.get(name).map(|v| v.trim().to_owned()).unwrap_or_default();
    user.check_csrf(&field("csrf"))?;
    let (caller, data) = load(&state, &user, &unit, &year, &step).await?;
    data.ensure_editable()?;
    let version: i64 = field("version")
        .parse()
        .map_err(|_| AppError::BadRequest("thiếu lần lưu của bảng điểm".into()))?;
    let criteria_version: u32 = field("criteria_version")
        .parse()
        .map_err(|_| AppError::BadRequest("thiếu phiên bản bảng tiêu chí".into()))?;
    let mut typed = Typed {
        note: field("note"),
        version,
        ..Typed::default()
    };
    let mut entry = SheetEntry {
        version,
        criteria_version,
        note: typed.note.clone(),
        ..SheetEntry::default()
    };
    for row in data.hand_lines() {
        let code = row.code.to_string();
        let points = field(&format!("p_{code}"));
        let note = field(&format!("n_{code}"));
        typed.points.insert(code.clone(), points.clone());
        typed.notes.insert(code, note.clone());
        entry.lines.insert(row.code.clone(), TypedLine { points, note });
    }
    let again = |status: StatusCode, message: String, errors: &BTreeMap<String, String>| {
        let mut p = render_sheet(&data, &user, Some(&typed), errors);
        p.criteria_version = criteria_version;
        p.errors = std::iter::once(message).chain(errors.values().cloned()).collect();
        (status, p).into_response()
    };
    match scoring::save_sheet(&state.app, &caller, &data, &entry).await {
        Ok(sheet) => {
            // Reload: the comparison and totals change with the save.
            let (_, data) = load(&state, &user, &unit, &year, &step).await?;
            let mut p = render_sheet(&data, &user, None, &BTreeMap::new());
            p.notice = format!(
                "Đã lưu bảng điểm (lần lưu thứ {}); các tiêu chí tự động đã được tính lại từ số liệu đã duyệt.",
                sheet.version
            );
            Ok(p.into_response())
        }
        Err(SaveError::Lines(errors)) => {
            let errors = errors.into_iter().map(|(code, e)| (code.to_string(), e)).collect();
            Ok(again(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Chưa lưu: có ô điểm chưa đúng, xem các dòng được đánh dấu.".into(),
                &errors,
            ))
        }
        Err(SaveError::Failed(e)) => match AppError::from(e) {
            AppError::Conflict(m) => Ok(again(StatusCode::CONFLICT, capitalise(&m), &BTreeMap::new())),
            AppError::BadRequest(m) => Ok(again(
                StatusCode::UNPROCESSABLE_ENTITY,
                capitalise(&m),
                &BTreeMap::new(),
            )),
            other => Err(other),
        },
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect::<String>() + ".")
}
