//! Trang đơn vị — one unit: where it sits in the tree, the clusters it belongs to, and
//! its figures (over its subtree) for a period.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use thidua_app::rollups::{self, DefaultPeriod};

use super::PeriodQuery;
use crate::AppState;
use crate::auth::{CurrentUser, Me};
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

async fn unit_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    Query(query): Query<PeriodQuery>,
) -> Result<UnitPage, AppError> {
    let caller = state.app.context(user.principal()).await?;
    let shown = rollups::unit(
        &state.app,
        &caller,
        &code,
        query.period.as_deref(),
        DefaultPeriod::LatestWithData,
    )
    .await?;
    let rollups::UnitFigures {
        unit,
        period,
        figures,
        catalog,
        with_data,
    } = shown;
    let code = unit.code.clone();
    let (principal, scope) = (&caller.principal, &caller.directory);
    let (tree, clusters) = (&scope.tree, &scope.clusters);
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
        can_enter: scope.access(principal).can_enter(&code),
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
