//! Tiêu chí thi đua — the year's criteria of a cluster level, their versions, and the upper
//! level's import and copy to a new year.
//!
//! The page shows the set a cluster is scored by (the level of its members), as the
//! printed table reads: groups and items with their maximum points, how a computed item
//! earns its points in words, the bonus and penalty rules, the scale. The upper level
//! above every unit the set scores (and admins) import a TOML file — checked whole by the
//! store, so a bad file writes nothing and the message names its line or criterion — or
//! start the year from last year's set.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use thidua_core::emulation::Points;
use thidua_core::emulation::criteria::{AdjustmentRule, Computation, CriteriaSet, CriterionKind, Curve, NoData};
use thidua_core::number::format_decimal_trimmed;
use thidua_core::{Catalog, Cluster, IndicatorCode, ValueType};
use thidua_store::{Actor, StoreError, StoredCriteria};

use super::emulation::cluster_of_year;
use super::scoring::when_vi;
use crate::AppState;
use crate::auth::{CurrentUser, Me, Scope};
use crate::error::AppError;

mod editor;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/clusters/{code}/criteria",
            crate::body_limit::limited(get(page).post(import), crate::body_limit::CRITERIA_FILE),
        )
        .route("/clusters/{code}/criteria/copy", post(copy))
        .route("/clusters/{code}/criteria/edit", get(editor::show).post(editor::post))
}

/// `?year=2022&version=1`.
#[derive(Debug, serde::Deserialize)]
struct CriteriaQuery {
    year: Option<i32>,
    version: Option<u32>,
}

/// One line of the criteria table.
struct CriterionRow {
    depth: usize,
    is_group: bool,
    code: String,
    name: String,
    max: String,
    /// "Chấm thủ công", "Tự động", or empty for a group.
    kind: String,
    /// For a computed item: what it measures, its target and curve, in words.
    how: Vec<String>,
    guidance: String,
}

/// A bonus or penalty rule.
struct RuleRow {
    code: String,
    name: String,
    max: String,
    per_case: String,
    guidance: String,
}

/// One version in the list.
struct VersionRow {
    version: u32,
    name: String,
    at: String,
    by: String,
    sheets: i64,
    current: bool,
    shown: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "criteria.html")]
struct CriteriaPage {
    title: String,
    query: String,
    me: Option<Me>,
    csrf: String,
    code: String,
    name: String,
    year: i32,
    /// The level's code, as the file writes it ("district").
    level: String,
    /// The level in Vietnamese ("quận, huyện, thị xã").
    level_label: String,
    /// Whether the level has a set this year.
    has_set: bool,
    set_name: String,
    issuer: String,
    version: u32,
    /// "Đang áp dụng" or "Phiên bản cũ …".
    version_note: String,
    scale: Vec<String>,
    rows: Vec<CriterionRow>,
    bonuses: Vec<RuleRow>,
    penalties: Vec<RuleRow>,
    versions: Vec<VersionRow>,
    can_manage: bool,
    /// The earlier years that have a set for the level, newest first: this year can be
    /// copied from (when it has none) or started in the editor from any of them.
    copy_from: Vec<i32>,
    notice: String,
    errors: Vec<String>,
}

/// The cluster, its level, and whether the user may manage criteria.
struct Context {
    cluster: Cluster,
    level: String,
    can_manage: bool,
}

async fn context(
    state: &AppState,
    user: &CurrentUser,
    code: &str,
    year: Option<i32>,
) -> Result<(Context, Scope), AppError> {
    let (cluster, scope) = cluster_of_year(state, user, code, year).await?;
    let level = state.store.cluster_level(&cluster.code, cluster.year).await?;
    let principal = user.principal();
    // The set is keyed by level and year, so it scores units beyond this cluster: only
    // someone above all of them may change it (core's `can_issue_criteria`).
    let can_manage = scope.access(&principal).can_issue_criteria(&level, cluster.year);
    Ok((
        Context {
            cluster,
            level,
            can_manage,
        },
        scope,
    ))
}

fn points(p: Points) -> String {
    p.format_vi()
}

/// A figure of a computed item in the indicator's own way: money and counts grouped by
/// thousands, rates with their decimals.
fn figure(x: f64) -> String {
    format_decimal_trimmed(x, 2)
}

/// What a computed item measures, its target and how it earns points, in Vietnamese.
fn computation_words(c: &Computation, catalog: &Catalog) -> Vec<String> {
    let references: Vec<&IndicatorCode> = c.measure.references().into_iter().collect();
    let single = match references.as_slice() {
        [only] if only.as_str() == c.measure.source().trim() => catalog.get(only),
        _ => None,
    };
    let unit = single.map(|i| i.measure.clone()).unwrap_or_default();
    let with_unit = |x: f64| {
        if unit.is_empty() {
            figure(x)
        } else {
            format!("{} {unit}", figure(x))
        }
    };
    let measured = match single {
        Some(i) => format!("Số liệu: {} ({})", i.name, i.code),
        None => {
            let names: Vec<String> = references
                .iter()
                .map(|r| {
                    catalog
                        .get(r)
                        .map_or_else(|| r.to_string(), |i| format!("{} ({})", i.name, i.code))
                })
                .collect();
            format!("Số liệu: {} — từ {}", c.measure.source(), names.join("; "))
        }
    };
    let money = single.is_some_and(|i| i.value_type == ValueType::Money);
    let target = if money {
        format!(
            "Chỉ tiêu: {} ({})",
            with_unit(c.target),
            thidua_core::number::money_prose(c.target as i64)
        )
    } else {
        format!("Chỉ tiêu: {}", with_unit(c.target))
    };
    let curve = match &c.curve {
        Curve::Full => "Đạt chỉ tiêu: đủ điểm; chưa đạt: không có điểm".to_owned(),
        Curve::Linear { floor } => format!(
            "Đạt chỉ tiêu: đủ điểm; từ {} đến chỉ tiêu: tính điểm theo tỷ lệ tương ứng; từ {} trở xuống: không có điểm",
            with_unit(*floor),
            with_unit(*floor)
        ),
        Curve::Steps(steps) => {
            let parts: Vec<String> = steps
                .iter()
                .rev()
                .map(|s| format!("từ {}: {} điểm", with_unit(s.from), s.points.format_vi()))
                .collect();
            format!(
                "Đạt chỉ tiêu: đủ điểm; theo bậc: {}; thấp hơn: không có điểm",
                parts.join("; ")
            )
        }
    };
    let no_data = match c.no_data {
        NoData::Zero => "Không có số liệu: không có điểm",
        NoData::Full => "Không có số liệu (không phát sinh): đủ điểm",
    };
    vec![measured, target, curve, no_data.to_owned()]
}

fn rule_row(r: &AdjustmentRule) -> RuleRow {
    RuleRow {
        code: r.code.to_string(),
        name: r.name.clone(),
        max: points(r.max),
        per_case: r
            .per_case
            .map(|p| format!("{} điểm mỗi lần", p.format_vi()))
            .unwrap_or_default(),
        guidance: r.guidance.clone(),
    }
}

fn rows(set: &CriteriaSet, catalog: &Catalog) -> Vec<CriterionRow> {
    set.rows()
        .into_iter()
        .map(|r| {
            let c = r.criterion;
            let (kind, how) = match &c.kind {
                CriterionKind::Group(_) => (String::new(), Vec::new()),
                CriterionKind::Manual => ("Chấm thủ công".to_owned(), Vec::new()),
                CriterionKind::Computed(comp) => ("Tự động".to_owned(), computation_words(comp, catalog)),
            };
            CriterionRow {
                depth: r.depth,
                is_group: c.is_group(),
                code: c.code.to_string(),
                name: c.name.clone(),
                max: points(c.max),
                kind,
                how,
                guidance: c.guidance.clone(),
            }
        })
        .collect()
}

fn scale_lines(set: &CriteriaSet) -> Vec<String> {
    let mut lines = vec![
        format!("Thang điểm: {} điểm", points(set.scale())),
        format!("Tổng điểm tối đa của các tiêu chí: {} điểm", points(set.criteria_max())),
        format!(
            "Điểm thưởng tính tối đa {} điểm; tổng điểm tiêu chí và điểm thưởng không vượt thang điểm",
            points(set.bonus_cap())
        ),
    ];
    lines.push(match set.penalty_cap() {
        Some(cap) => format!("Điểm trừ tính tối đa {} điểm, trừ sau cùng", points(cap)),
        None => "Điểm trừ trừ sau cùng, không giới hạn".to_owned(),
    });
    lines
}

/// Renders the page for `ctx`, showing `version` (the current one when `None`).
async fn render(
    state: &AppState,
    user: &CurrentUser,
    ctx: &Context,
    version: Option<u32>,
) -> Result<CriteriaPage, AppError> {
    let (level, year) = (ctx.level.as_str(), ctx.cluster.year);
    let (versions, years, catalog) = tokio::try_join!(
        state.store.criteria_versions(level, year),
        state.store.criteria_years(level),
        state.store.catalog(),
    )?;
    let stored: Option<StoredCriteria> = match (version, versions.first()) {
        (_, None) => None,
        (Some(v), Some(_)) => Some(state.store.criteria_version(level, year, v).await?),
        (None, Some(_)) => Some(state.store.criteria(level, year).await?),
    };
    let current = versions.first().map(|v| v.version);
    let shown = stored.as_ref().map(|s| s.version);
    let copy_from: Vec<i32> = years.iter().copied().filter(|&y| y < year).collect();
    let mut page = CriteriaPage {
        title: format!("Tiêu chí thi đua năm {year} — {}", ctx.cluster.name),
        query: String::new(),
        me: Some(user.me()),
        csrf: user.csrf.clone(),
        code: ctx.cluster.code.to_string(),
        name: ctx.cluster.name.clone(),
        year,
        level: level.to_owned(),
        level_label: thidua_core::unit::kind_label_vi(level).to_owned(),
        has_set: stored.is_some(),
        set_name: String::new(),
        issuer: String::new(),
        version: 0,
        version_note: String::new(),
        scale: Vec::new(),
        rows: Vec::new(),
        bonuses: Vec::new(),
        penalties: Vec::new(),
        versions: versions
            .iter()
            .map(|v| VersionRow {
                version: v.version,
                name: v.name.clone(),
                at: when_vi(&v.created_at),
                by: v.created_by.clone(),
                sheets: v.sheets,
                current: Some(v.version) == current,
                shown: Some(v.version) == shown,
            })
            .collect(),
        can_manage: ctx.can_manage,
        copy_from,
        notice: String::new(),
        errors: Vec::new(),
    };
    if let Some(s) = stored {
        page.set_name = s.set.name().to_owned();
        page.issuer = s.set.issuer().to_owned();
        page.version = s.version;
        page.version_note = if Some(s.version) == current {
            format!(
                "Phiên bản {} — đang áp dụng; {} bảng điểm đã chấm theo phiên bản này.",
                s.version, s.sheets
            )
        } else {
            format!(
                "Phiên bản {} — phiên bản cũ, giữ cho {} bảng điểm đã chấm theo nó; bảng điểm mới chấm theo phiên bản {}.",
                s.version,
                s.sheets,
                current.unwrap_or(s.version)
            )
        };
        page.scale = scale_lines(&s.set);
        page.rows = rows(&s.set, &catalog);
        page.bonuses = s.set.bonuses().iter().map(rule_row).collect();
        page.penalties = s.set.penalties().iter().map(rule_row).collect();
    }
    Ok(page)
}

async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    Query(query): Query<CriteriaQuery>,
) -> Result<CriteriaPage, AppError> {
    let (ctx, _) = context(&state, &user, &code, query.year).await?;
    render(&state, &user, &ctx, query.version).await
}

fn refuse_manage(ctx: &Context) -> AppError {
    AppError::Forbidden(format!(
        "bảng tiêu chí thi đua cấp {} năm {} dùng để chấm mọi đơn vị cấp {}, kể cả các cụm ngoài phạm vi của bạn: chỉ cấp trên quản lý tất cả các đơn vị ấy, hoặc quản trị viên, mới ban hành hay thay thế được. Chưa có gì được lưu.",
        thidua_core::unit::kind_label_vi(&ctx.level),
        ctx.cluster.year,
        thidua_core::unit::kind_label_vi(&ctx.level)
    ))
}

/// The message about a bad criteria file (Vietnamese, with its line and column), to show
/// above the form.
fn file_error(e: StoreError) -> Result<String, AppError> {
    match e {
        StoreError::Domain(e @ thidua_core::Error::BadFile { .. }) => Ok(capitalised(&e.to_string())),
        StoreError::Domain(e) => Ok(format!("Tệp bảng tiêu chí chưa đúng: {e}.")),
        e @ StoreError::Rejected(_) => Ok(format!("Tệp bảng tiêu chí chưa đúng: {e}. Chưa có gì được lưu.")),
        StoreError::Conflict(m) => Ok(m),
        other => Err(other.into()),
    }
}

/// The message as a sentence on the page.
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

async fn import(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    Query(query): Query<CriteriaQuery>,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let crate::body_limit::Upload { fields, file } =
        crate::body_limit::read_upload(multipart, crate::body_limit::CRITERIA_FILE).await?;
    let file = file.map(|f| f.bytes);
    // The token is checked before anything else is looked at, as for a plain form.
    user.check_csrf(fields.get("csrf").map_or("", String::as_str))?;
    let (ctx, _) = context(&state, &user, &code, query.year).await?;
    if !ctx.can_manage {
        return Err(refuse_manage(&ctx));
    }
    let again = |mut page: CriteriaPage, errors: Vec<String>| {
        page.errors = errors;
        (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
    };
    let Some(bytes) = file.filter(|f| !f.is_empty()) else {
        let page = render(&state, &user, &ctx, None).await?;
        return Ok(again(page, vec!["Chưa chọn tệp bảng tiêu chí (.toml).".into()]));
    };
    let Ok(text) = String::from_utf8(bytes) else {
        let page = render(&state, &user, &ctx, None).await?;
        return Ok(again(
            page,
            vec!["Tệp bảng tiêu chí phải là văn bản UTF-8 (lưu tệp .toml với bảng mã UTF-8).".into()],
        ));
    };
    let set = match thidua_core::emulation::criteria::parse_criteria_toml(&text) {
        Ok(set) => set,
        Err(e) => {
            let message = file_error(StoreError::Domain(e))?;
            let page = render(&state, &user, &ctx, None).await?;
            return Ok(again(page, vec![message]));
        }
    };
    // A file for another level or year would land somewhere this page does not show.
    if set.level() != ctx.level || set.year() != ctx.cluster.year {
        let page = render(&state, &user, &ctx, None).await?;
        return Ok(again(
            page,
            vec![format!(
                "Tệp là bảng tiêu chí cấp {} năm {}, còn {} năm {} chấm theo bảng cấp {} năm {} (sửa trường «level», «year» trong tệp). Chưa có gì được lưu.",
                set.level(),
                set.year(),
                ctx.cluster.name,
                ctx.cluster.year,
                ctx.level,
                ctx.cluster.year
            )],
        ));
    }
    match state.store.save_criteria(&Actor::from(&user.principal()), set).await {
        Ok(saved) => {
            let mut page = render(&state, &user, &ctx, None).await?;
            page.notice = saved.message;
            Ok(page.into_response())
        }
        Err(e) => {
            let message = file_error(e)?;
            let page = render(&state, &user, &ctx, None).await?;
            Ok(again(page, vec![message]))
        }
    }
}

#[derive(serde::Deserialize)]
struct CopyForm {
    csrf: String,
    /// The year to copy from; the year before when absent.
    from: Option<i32>,
}

async fn copy(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    Query(query): Query<CriteriaQuery>,
    Form(form): Form<CopyForm>,
) -> Result<Response, AppError> {
    user.check_csrf(&form.csrf)?;
    let (ctx, _) = context(&state, &user, &code, query.year).await?;
    if !ctx.can_manage {
        return Err(refuse_manage(&ctx));
    }
    let year = ctx.cluster.year;
    let from = form.from.unwrap_or(year - 1);
    let caller = state.app.context(user.principal()).await?;
    match thidua_app::criteria::copy(&state.app, &caller, &ctx.level, from, year).await {
        Ok(saved) => {
            let mut page = render(&state, &user, &ctx, None).await?;
            page.notice = format!(
                "Đã sao chép bảng tiêu chí năm {from} sang năm {year}. {}",
                saved.message
            );
            Ok(page.into_response())
        }
        Err(
            e @ (thidua_app::Error::Invalid(_)
            | thidua_app::Error::Store(
                StoreError::Conflict(_) | StoreError::NotFound { .. } | StoreError::Domain(_),
            )),
        ) => {
            let mut page = render(&state, &user, &ctx, None).await?;
            page.errors = vec![AppError::from(e).to_string()];
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
