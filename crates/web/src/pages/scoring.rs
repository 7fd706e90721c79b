//! Chấm điểm thi đua — a member's self-score with evidence, the cluster's score, the upper
//! level's adjustment, the three side by side, and the cluster's ranking.
//!
//! Who sees a unit's sheets (docs/decisions.md, "Scores in the browser"): the unit itself,
//! the cluster's chair, the upper level above the cluster, admins; the other members only
//! once the cluster has given its score for that unit. Who gives each step is core's
//! `may_score`. A later step records only the lines it changes: an empty input keeps
//! what the step before gave.

use std::collections::BTreeMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use thidua_core::emulation::Points;
use thidua_core::emulation::criteria::{CriterionCode, Entry};
use thidua_core::emulation::scoring::{
    ComparisonRow, ComputedScore, Mark, ScoreStep, Scored, Section, Totals, compute_items_from, may_score, rank,
};
use thidua_core::period::format_date_vi;
use thidua_core::{Cluster, Period, UnitCode};
use thidua_store::{Actor, EvidenceFile, ScoreComparison, SheetInput, StoreError};

use super::emulation::{YearQuery, cluster_of_year, unit_name};
use crate::AppState;
use crate::auth::{CurrentUser, Me, Scope};
use crate::error::AppError;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/clusters/{code}/scores", get(ranking_page))
        .route("/units/{unit}/scores/{year}", get(comparison_page))
        .route("/units/{unit}/scores/{year}/{step}", get(sheet_page).post(save_sheet))
        .route(
            "/units/{unit}/scores/{year}/{step}/evidence",
            crate::body_limit::limited(post(upload_evidence), crate::body_limit::EVIDENCE),
        )
        .route("/evidence/{id}", get(download_evidence))
        .route("/evidence/{id}/delete", post(remove_evidence))
}

/// A stored RFC 3339 moment as people read it: "25/7/2022 14:05", local time.
pub(super) fn when_vi(at: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(at)
        .map(|t| {
            let local = t.with_timezone(&chrono::Local);
            format!("{} {}", format_date_vi(local.date_naive()), local.format("%H:%M"))
        })
        .unwrap_or_else(|_| at.to_owned())
}

fn pts(p: Option<Points>) -> String {
    p.map_or_else(String::new, Points::format_vi)
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

// ------------------------------------------------------------------------ access

/// A unit of a cluster in a year, after the checks every score page makes.
struct UnitContext {
    unit: UnitCode,
    unit_name: String,
    year: i32,
    cluster: Cluster,
    scope: Scope,
}

/// Finds the cluster `unit` belongs to in `year` and checks the user may see that
/// cluster at all.
async fn unit_context(state: &AppState, user: &CurrentUser, unit: &str, year: i32) -> Result<UnitContext, AppError> {
    let not_found = || AppError::NotFound(format!("không tìm thấy đơn vị «{unit}»"));
    let code = UnitCode::parse(unit).map_err(|_| not_found())?;
    let scope = state.app.directory().await?;
    let name = scope.tree.get(&code).ok_or_else(not_found)?.name.clone();
    let cluster = scope
        .clusters
        .iter()
        .find(|c| c.year == year && c.has_member(&code))
        .cloned();
    // Someone who may see neither the unit nor its cluster that year learns nothing more
    // than the code they typed: not its name, not whether it was in a cluster.
    let principal = user.principal();
    let access = scope.access(&principal);
    if !access.can_view_unit(&code) && !cluster.as_ref().is_some_and(|c| access.can_view_cluster(c)) {
        return Err(AppError::Forbidden(format!(
            "bạn không có quyền xem bảng điểm của đơn vị «{code}»"
        )));
    }
    let cluster =
        cluster.ok_or_else(|| AppError::NotFound(format!("{name} không thuộc cụm thi đua nào trong năm {year}")))?;
    super::ensure_can_view_cluster(&scope, &principal, &cluster)?;
    Ok(UnitContext {
        unit: code,
        unit_name: name,
        year,
        cluster,
        scope,
    })
}

/// Whether the user may see `unit`'s sheets: the unit itself, whoever runs the cluster,
/// and — once the cluster has scored the unit — the other members. `can_view_cluster` has
/// been checked already.
fn may_see_sheets(ctx: &UnitContext, user: &CurrentUser, unit: &UnitCode, cluster_scored: bool) -> bool {
    let principal = user.principal();
    let access = ctx.scope.access(&principal);
    access.represents(&ctx.cluster, unit) || access.can_run_cluster(&ctx.cluster) || cluster_scored
}

fn refuse_to_see(name: &str) -> AppError {
    AppError::Forbidden(format!(
        "bảng điểm của {name} chỉ đơn vị đó, cụm trưởng và cấp trên được xem cho đến khi cụm chấm điểm đơn vị này"
    ))
}

/// The unit's three steps on the current criteria, after checking the user may see them.
async fn visible_comparison(
    state: &AppState,
    user: &CurrentUser,
    ctx: &UnitContext,
    version: Option<u32>,
) -> Result<ScoreComparison, AppError> {
    let comparison = state.store.score_comparison(&ctx.unit, ctx.year, version).await?;
    if !may_see_sheets(ctx, user, &ctx.unit, comparison.sheets[1].is_some()) {
        return Err(refuse_to_see(&ctx.unit_name));
    }
    Ok(comparison)
}

fn step_of(raw: &str) -> Result<ScoreStep, AppError> {
    ScoreStep::parse(raw).map_err(|_| {
        AppError::NotFound(format!(
            "không có bước chấm «{raw}» (chỉ có self — tự chấm, cluster — cụm chấm, upper — cấp trên điều chỉnh)"
        ))
    })
}

fn step_index(step: ScoreStep) -> usize {
    match step {
        ScoreStep::SelfScore => 0,
        ScoreStep::Cluster => 1,
        ScoreStep::Upper => 2,
    }
}

fn year_of(raw: &str) -> Result<i32, AppError> {
    raw.parse()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
        .ok_or_else(|| AppError::NotFound(format!("năm «{raw}» không hợp lệ")))
}

// ------------------------------------------------------------------- the ranking

/// One member in the ranking.
struct RankLine {
    rank: String,
    unit: String,
    name: String,
    /// Totals after each step, "" where the step has not scored.
    steps: [String; 3],
    total: String,
    visible: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "scoring_ranking.html")]
struct RankingPage {
    title: String,
    query: String,
    me: Option<Me>,
    code: String,
    name: String,
    year: i32,
    has_criteria: bool,
    criteria_version: u32,
    scale: String,
    lines: Vec<RankLine>,
    /// Members with no sheet yet: (code, name).
    unscored: Vec<(String, String)>,
    /// Whether some members' scores are not shown to this user yet.
    partial: bool,
    /// The user's own unit, when it is a member: a link to score it.
    own_unit: String,
}

async fn ranking_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    Query(query): Query<YearQuery>,
) -> Result<RankingPage, AppError> {
    let (cluster, scope) = cluster_of_year(&state, &user, &code, query.year).await?;
    let year = cluster.year;
    let principal = user.principal();
    let access = scope.access(&principal);
    let own_unit = user
        .user
        .unit
        .as_ref()
        .filter(|u| access.represents(&cluster, u))
        .map(ToString::to_string)
        .unwrap_or_default();
    let mut page = RankingPage {
        title: format!("Chấm điểm thi đua năm {year} — {}", cluster.name),
        query: String::new(),
        me: Some(user.me()),
        code: cluster.code.to_string(),
        name: cluster.name.clone(),
        year,
        has_criteria: false,
        criteria_version: 0,
        scale: String::new(),
        lines: Vec::new(),
        unscored: Vec::new(),
        partial: false,
        own_unit,
    };
    let ranking = match state.store.ranking(&cluster.code, year, None).await {
        Ok(r) => r,
        // No criteria for the year yet: nothing to rank, the page says so.
        Err(StoreError::NotFound { .. }) => return Ok(page),
        Err(e) => return Err(e.into()),
    };
    page.has_criteria = true;
    page.criteria_version = ranking.criteria_version;
    let runs = access.can_run_cluster(&cluster);
    let mut details = BTreeMap::new();
    for s in &ranking.standings {
        let cmp = state
            .store
            .score_comparison(&s.unit, year, Some(ranking.criteria_version))
            .await?;
        page.scale = cmp.criteria.set.scale().format_vi();
        let visible = runs || access.represents(&cluster, &s.unit) || cmp.sheets[1].is_some();
        details.insert(s.unit.clone(), (cmp, visible));
    }
    // Whoever runs the cluster sees the store's ranking; a member sees the units it may
    // see, ranked among themselves, so a hidden self-score cannot be read off the ranks.
    let standings = if runs {
        ranking.standings.clone()
    } else {
        let shown: Vec<Scored> = ranking
            .standings
            .iter()
            .filter(|s| details.get(&s.unit).is_some_and(|d| d.1))
            .map(|s| Scored {
                unit: s.unit.clone(),
                name: s.name.clone(),
                total: s.total,
            })
            .collect();
        rank(shown, &state.collator)
    };
    for s in &standings {
        let Some((cmp, _)) = details.get(&s.unit) else { continue };
        let mut steps: [String; 3] = Default::default();
        for (step, totals) in &cmp.comparison.totals {
            steps[step_index(*step)] = totals.total.format_vi();
        }
        page.lines.push(RankLine {
            rank: format!("{}{}", s.rank, if s.tied { " (đồng hạng)" } else { "" }),
            unit: s.unit.to_string(),
            name: unit_name(&scope, &s.unit),
            steps,
            total: s.total.format_vi(),
            visible: true,
        });
    }
    for s in &ranking.standings {
        if details.get(&s.unit).is_some_and(|d| !d.1) {
            page.partial = true;
            page.lines.push(RankLine {
                rank: String::new(),
                unit: s.unit.to_string(),
                name: unit_name(&scope, &s.unit),
                steps: Default::default(),
                total: String::new(),
                visible: false,
            });
        }
    }
    page.unscored = ranking
        .unscored
        .iter()
        .map(|u| (u.to_string(), unit_name(&scope, u)))
        .collect();
    Ok(page)
}

// ---------------------------------------------------------------- the comparison

struct CompareLine {
    code: String,
    name: String,
    depth: usize,
    is_group: bool,
    section: &'static str,
    max: String,
    cells: [String; 3],
    final_points: String,
    differs: bool,
}

/// Who gave a step, and when.
struct StepHead {
    label: &'static str,
    href: String,
    by: String,
    at: String,
    total: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "scoring_compare.html")]
struct ComparePage {
    title: String,
    query: String,
    me: Option<Me>,
    code: String,
    cluster_name: String,
    unit: String,
    unit_name: String,
    year: i32,
    criteria_version: u32,
    heads: Vec<StepHead>,
    lines: Vec<CompareLine>,
    final_total: String,
    scale: String,
}

fn section_label(s: Section) -> &'static str {
    match s {
        Section::Criteria => "criteria",
        Section::Bonus => "bonus",
        Section::Penalty => "penalty",
    }
}

/// "Nguyễn Văn A (hadong)" for a login, or the login alone.
async fn scorer(state: &AppState, login: &str) -> String {
    match state.store.user(login).await {
        Ok(u) => format!("{} ({login})", u.display_name),
        Err(_) => login.to_owned(),
    }
}

async fn comparison_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((unit, year)): Path<(String, String)>,
    Query(query): Query<VersionQuery>,
) -> Result<ComparePage, AppError> {
    let ctx = unit_context(&state, &user, &unit, year_of(&year)?).await?;
    let cmp = visible_comparison(&state, &user, &ctx, query.version).await?;
    let mut heads = Vec::new();
    for (i, step) in ScoreStep::ALL.into_iter().enumerate() {
        let sheet = cmp.sheets[i].as_ref();
        let total = cmp
            .comparison
            .totals
            .iter()
            .find(|(s, _)| *s == step)
            .map(|(_, t)| t.total.format_vi())
            .unwrap_or_default();
        heads.push(StepHead {
            label: step.label_vi(),
            href: format!("/units/{}/scores/{}/{}", ctx.unit, ctx.year, step.as_str()),
            by: match sheet {
                Some(s) => scorer(&state, &s.scored_login).await,
                None => "Chưa chấm".into(),
            },
            at: sheet.map(|s| when_vi(&s.scored_at)).unwrap_or_default(),
            total,
        });
    }
    let lines = cmp
        .comparison
        .rows
        .iter()
        .map(|r| CompareLine {
            code: r.code.to_string(),
            name: r.name.clone(),
            depth: r.depth,
            is_group: r.is_group,
            section: section_label(r.section),
            max: r.max.format_vi(),
            cells: [pts(r.self_score), pts(r.cluster), pts(r.upper)],
            final_points: pts(r.final_points),
            differs: r.differs,
        })
        .collect();
    Ok(ComparePage {
        title: format!("Bảng điểm năm {} — {}", ctx.year, ctx.unit_name),
        query: String::new(),
        me: Some(user.me()),
        code: ctx.cluster.code.to_string(),
        cluster_name: ctx.cluster.name.clone(),
        unit: ctx.unit.to_string(),
        unit_name: ctx.unit_name.clone(),
        year: ctx.year,
        criteria_version: cmp.criteria.version,
        heads,
        lines,
        final_total: cmp.comparison.final_totals.total.format_vi(),
        scale: cmp.comparison.final_totals.scale.format_vi(),
    })
}

/// `?version=1` — a criteria version other than the current one.
#[derive(Debug, serde::Deserialize)]
struct VersionQuery {
    version: Option<u32>,
}

// ------------------------------------------------------------------- the sheet

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
struct SheetPage {
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

/// Everything a sheet page shows, loaded once per request.
struct SheetData {
    ctx: UnitContext,
    step: ScoreStep,
    cmp: ScoreComparison,
    /// The computed items as they would be saved now (for a sheet not saved yet).
    fresh: Vec<ComputedScore>,
    editable: bool,
    owns_evidence: bool,
}

async fn sheet_data(
    state: &AppState,
    user: &CurrentUser,
    unit: &str,
    year: &str,
    step: &str,
) -> Result<SheetData, AppError> {
    let step = step_of(step)?;
    let ctx = unit_context(state, user, unit, year_of(year)?).await?;
    let cmp = visible_comparison(state, user, &ctx, None).await?;
    let (_, figures) = state.store.rollup_unit(&ctx.unit, Period::Year(ctx.year)).await?;
    let fresh = compute_items_from(&cmp.criteria.set, &figures);
    let principal = user.principal();
    let access = ctx.scope.access(&principal);
    let editable = may_score(&access, &ctx.unit, ctx.year, step);
    let owns_evidence = step == ScoreStep::SelfScore && may_score(&access, &ctx.unit, ctx.year, ScoreStep::SelfScore);
    Ok(SheetData {
        ctx,
        step,
        cmp,
        fresh,
        editable,
        owns_evidence,
    })
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
    data: &SheetData,
    user: &CurrentUser,
    typed: Option<&Typed>,
    errors: &BTreeMap<String, String>,
) -> SheetPage {
    let i = step_index(data.step);
    let sheet = data.cmp.sheets[i].as_ref();
    let set = &data.cmp.criteria.set;
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
        .cmp
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
        .cmp
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
    let ctx = &data.ctx;
    SheetPage {
        title: format!("{} năm {} — {}", data.step.label_vi(), ctx.year, ctx.unit_name),
        query: String::new(),
        me: Some(user.me()),
        csrf: user.csrf.clone(),
        code: ctx.cluster.code.to_string(),
        cluster_name: ctx.cluster.name.clone(),
        unit: ctx.unit.to_string(),
        unit_name: ctx.unit_name.clone(),
        year: ctx.year,
        step: data.step.as_str(),
        step_label: data.step.label_vi(),
        criteria_version: data.cmp.criteria.version,
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

async fn sheet_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((unit, year, step)): Path<(String, String, String)>,
) -> Result<SheetPage, AppError> {
    let data = sheet_data(&state, &user, &unit, &year, &step).await?;
    Ok(render_sheet(&data, &user, None, &BTreeMap::new()))
}

fn refuse_step(data: &SheetData) -> AppError {
    let who = match data.step {
        ScoreStep::SelfScore => format!("cán bộ của {}", data.ctx.unit_name),
        ScoreStep::Cluster => format!("cụm trưởng của {} năm {}", data.ctx.cluster.name, data.ctx.year),
        ScoreStep::Upper => "cấp trên của đơn vị".to_owned(),
    };
    AppError::Forbidden(format!("bước «{}» chỉ do {who} chấm", data.step.label_vi()))
}

async fn save_sheet(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((unit, year, step)): Path<(String, String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let fields: BTreeMap<String, String> = pairs.into_iter().collect();
    let field = |name: &str| fields.get(name).map(|v| v.trim().to_owned()).unwrap_or_default();
    user.check_csrf(&field("csrf"))?;
    let data = sheet_data(&state, &user, &unit, &year, &step).await?;
    if !data.editable {
        return Err(refuse_step(&data));
    }
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
    let mut errors = BTreeMap::new();
    let mut marks = BTreeMap::new();
    for row in &data.cmp.comparison.rows {
        let code = row.code.to_string();
        let computed =
            matches!(data.cmp.criteria.set.find(&row.code), Some(Entry::Criterion(c)) if c.computation().is_some());
        if row.is_group || computed {
            continue;
        }
        let raw = field(&format!("p_{code}"));
        let note = field(&format!("n_{code}"));
        typed.points.insert(code.clone(), raw.clone());
        typed.notes.insert(code.clone(), note.clone());
        if raw.is_empty() {
            // Nothing typed: not scored (self), or kept as the step before gave it.
            continue;
        }
        match Points::parse(&raw) {
            Ok(points) if points > row.max => {
                errors.insert(
                    code.clone(),
                    format!(
                        "Mục {code}: {} điểm vượt điểm tối đa {}",
                        points.format_vi(),
                        row.max.format_vi()
                    ),
                );
            }
            Ok(points) => {
                marks.insert(row.code.clone(), Mark { points, note });
            }
            Err(e) => {
                errors.insert(code.clone(), format!("Mục {code}: {e}"));
            }
        }
    }
    let again = |status: StatusCode, message: String, errors: &BTreeMap<String, String>| {
        let mut p = render_sheet(&data, &user, Some(&typed), errors);
        p.criteria_version = criteria_version;
        p.errors = std::iter::once(message).chain(errors.values().cloned()).collect();
        (status, p).into_response()
    };
    if !errors.is_empty() {
        return Ok(again(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Chưa lưu: có ô điểm chưa đúng, xem các dòng được đánh dấu.".into(),
            &errors,
        ));
    }
    let input = SheetInput {
        version,
        marks,
        note: typed.note.clone(),
    };
    let saved = state
        .store
        .save_score_sheet(
            &Actor::from(&user.principal()),
            &data.ctx.unit,
            data.ctx.year,
            criteria_version,
            data.step,
            input,
        )
        .await;
    match saved {
        Ok(sheet) => {
            // Reload: the comparison and totals change with the save.
            let data = sheet_data(&state, &user, &unit, &year, &step).await?;
            let mut p = render_sheet(&data, &user, None, &BTreeMap::new());
            p.notice = format!(
                "Đã lưu bảng điểm (lần lưu thứ {}); các tiêu chí tự động đã được tính lại từ số liệu đã duyệt.",
                sheet.version
            );
            Ok(p.into_response())
        }
        Err(e) => match AppError::from(e) {
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

// --------------------------------------------------------------------- evidence

async fn upload_evidence(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((unit, year, step)): Path<(String, String, String)>,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let crate::body_limit::Upload { fields, file } =
        crate::body_limit::read_upload(multipart, crate::body_limit::EVIDENCE).await?;
    let file = file.map(|f| EvidenceFile {
        filename: f.filename,
        content_type: f.content_type,
        bytes: f.bytes,
    });
    user.check_csrf(fields.get("csrf").map_or("", String::as_str))?;
    let data = sheet_data(&state, &user, &unit, &year, &step).await?;
    if !data.owns_evidence {
        return Err(AppError::Forbidden(format!(
            "chỉ cán bộ của {} đính kèm minh chứng vào bảng tự chấm của đơn vị",
            data.ctx.unit_name
        )));
    }
    let refuse = |status: StatusCode, message: String| {
        let mut p = render_sheet(&data, &user, None, &BTreeMap::new());
        p.errors = vec![message];
        (status, p).into_response()
    };
    let Some(sheet) = data.cmp.sheets[0].as_ref() else {
        return Ok(refuse(
            StatusCode::CONFLICT,
            "Hãy lưu bảng tự chấm trước, rồi đính kèm minh chứng.".into(),
        ));
    };
    let Some(file) = file.filter(|f| !f.filename.is_empty()) else {
        return Ok(refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Chưa chọn tệp minh chứng.".into(),
        ));
    };
    let code = match fields.get("code").map(|c| c.trim()).filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => Some(CriterionCode::parse(c)?),
    };
    match state
        .store
        .attach_evidence(&Actor::from(&user.principal()), sheet.id, code.as_ref(), file)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/units/{}/scores/{}/self", data.ctx.unit, data.ctx.year)).into_response()),
        Err(e) => match AppError::from(e) {
            AppError::BadRequest(m) | AppError::Conflict(m) => {
                Ok(refuse(StatusCode::UNPROCESSABLE_ENTITY, format!("Chưa đính kèm: {m}.")))
            }
            other => Err(other),
        },
    }
}

/// The evidence file `id`, with the context of the sheet it belongs to, after checking the
/// user may see that sheet.
async fn evidence_context(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
) -> Result<(i64, UnitContext, ScoreStep), AppError> {
    let not_found = || AppError::NotFound(format!("không tìm thấy tệp minh chứng «{id}»"));
    let id: i64 = id.parse().map_err(|_| not_found())?;
    let (unit, year, step) = state.store.evidence_owner(id).await?;
    let ctx = unit_context(state, user, unit.as_str(), year).await?;
    visible_comparison(state, user, &ctx, None).await?;
    Ok((id, ctx, step))
}

/// An evidence file as a download and never as a page: `attachment` with the name as
/// typed (RFC 6266/5987, Vietnamese intact) and a plain ASCII fallback; the media type
/// thidua decides from the name and the first bytes ([`EvidenceFile::media_type`]), not
/// the one the uploader claimed or the one stored with older files; no sniffing; and a
/// `sandbox` policy, so even a browser that opened an uploaded HTML or SVG file in place
/// would run nothing of it on this origin.
fn download(filename: &str, bytes: Vec<u8>) -> Response {
    let ascii: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = filename
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}");
    let content_type = EvidenceFile::media_type(filename, &bytes);
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // Built from ASCII only (the name is percent-encoded), so it is always a valid value.
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    response
}

async fn download_evidence(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let (id, _, _) = evidence_context(&state, &user, &id).await?;
    let (info, bytes) = state.store.evidence_file(id).await?;
    Ok(download(&info.filename, bytes))
}

#[derive(serde::Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn remove_evidence(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, AppError> {
    user.check_csrf(&form.csrf)?;
    let (id, ctx, step) = evidence_context(&state, &user, &id).await?;
    let principal = user.principal();
    let access = ctx.scope.access(&principal);
    if step != ScoreStep::SelfScore || !may_score(&access, &ctx.unit, ctx.year, ScoreStep::SelfScore) {
        return Err(AppError::Forbidden(format!(
            "chỉ cán bộ của {} gỡ minh chứng của đơn vị",
            ctx.unit_name
        )));
    }
    state.store.remove_evidence(&Actor::from(&principal), id).await?;
    Ok(Redirect::to(&format!("/units/{}/scores/{}/{}", ctx.unit, ctx.year, step.as_str())).into_response())
}
