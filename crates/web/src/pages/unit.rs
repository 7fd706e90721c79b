//! Trang đơn vị — one unit: where it sits in the tree, the clusters it belongs to, and
//! its figures (over its subtree) for a period.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use thidua_core::{Period, UnitCode};

use super::PeriodQuery;
use crate::AppState;
use crate::auth::{CurrentUser, Me, Scope};
use crate::error::AppError;
use crate::view::{FigureLine, PeriodOption, figure_lines, period_options};

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/units/{code}", get(unit_page))
}

#[derive(Template, WebTemplate)]
#[template(path = "unit.html")]
struct UnitPage {
    title: String,
    query: String,
    me: Option<Me>,
    can_enter: bool,
    code: String,
    name: String,
    kind: String,
    ancestors: Vec<(String, String)>,
    children: Vec<(String, String)>,
    clusters: Vec<(String, String, i32)>,
    period_code: String,
    period_label: String,
    periods: Vec<PeriodOption>,
    groups: Vec<(String, Vec<FigureLine>)>,
}

/// Refuses a unit outside the user's part of the hierarchy.
pub(crate) fn ensure_can_view_unit(
    scope: &Scope,
    principal: &thidua_core::Principal,
    unit: &thidua_core::Unit,
) -> Result<(), AppError> {
    let caller = thidua_app::Context {
        principal: principal.clone(),
        directory: scope.clone(),
    };
    Ok(thidua_app::clusters::ensure_can_view_unit(&caller, unit)?)
}

async fn unit_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    Query(query): Query<PeriodQuery>,
) -> Result<UnitPage, AppError> {
    let not_found = || AppError::NotFound(format!("không tìm thấy đơn vị «{code}»"));
    let code = UnitCode::parse(&code).map_err(|_| not_found())?;
    let scope = state.app.directory().await?;
    let catalog = state.store.catalog().await?;
    let (tree, clusters) = (&scope.tree, &scope.clusters);
    let unit = tree.get(&code).ok_or_else(not_found)?;
    let principal = user.principal();
    ensure_can_view_unit(&scope, &principal, unit)?;
    let with_data = state.store.periods_with_values(std::slice::from_ref(&code)).await?;
    let period = match query.period.as_deref().filter(|p| !p.trim().is_empty()) {
        Some(p) => Period::parse(p)?,
        None => with_data
            .first()
            .copied()
            .unwrap_or_else(|| Period::half_year_of(chrono_today())),
    };
    let (_, figures) = state.store.rollup_unit(&code, period).await?;
    let mut children: Vec<(String, String)> = tree
        .children(&code)
        .map(|u| (u.code.to_string(), u.name.clone()))
        .collect();
    state.collator.sort_by_key(&mut children, |(_, name)| name.as_str());
    let member_of: Vec<(String, String, i32)> = clusters
        .iter()
        .filter(|c| c.has_member(&code))
        .map(|c| (c.code.to_string(), c.name.clone(), c.year))
        .collect();
    let years: Vec<i32> = member_of.iter().map(|(_, _, y)| *y).collect();
    Ok(UnitPage {
        title: format!("{} — {}", unit.name, period.label_vi()),
        query: String::new(),
        me: Some(user.me()),
        can_enter: scope.access(&principal).can_enter(&code),
        code: code.to_string(),
        name: unit.name.clone(),
        kind: unit.kind_label().to_owned(),
        ancestors: tree
            .ancestors(&code)
            .iter()
            .rev()
            .map(|u| (u.code.to_string(), u.short_name().to_owned()))
            .collect(),
        children,
        clusters: member_of,
        period_code: period.code(),
        period_label: period.label_vi(),
        periods: period_options(&years, &with_data, period),
        groups: figure_lines(&catalog, &figures),
    })
}

fn chrono_today() -> chrono::NaiveDate {
    chrono::Local::now().date_naive()
}
