//! Trang đơn vị — one unit: where it sits in the tree, the clusters it belongs to, and
//! its figures (over its subtree) for a period, each against the previous period, the same
//! period last year and the unit's own history; one indicator's trend over the periods
//! with its line chart; and the reporting rate of the units directly below it.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use thidua_app::comparisons;
use thidua_app::rollups::DefaultPeriod;
use thidua_core::comparison::OUTLIER_RULE;

use super::cluster::{IndicatorOption, indicator_options, review_text};
use super::history::{TreeSwitch, tree_view};
use crate::AppState;
use crate::auth::{CurrentUser, Me};
use crate::error::AppError;
use crate::view::{
    FigureLine, PeriodOption, figure_lines, format_change, format_optional, period_options, rate_text, reported_label,
};

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
    /// Whether to link the reorganisation page: an admin, or the upper level on its unit.
    can_reorganise: bool,
    code: String,
    name: String,
    kind: String,
    ancestors: Vec<(String, String)>,
    children: Vec<(String, String)>,
    clusters: Vec<(String, String, i32)>,
    period_code: String,
    period_label: String,
    periods: Vec<PeriodOption>,
    groups: Vec<(String, Vec<(FigureLine, LineComparison)>)>,
    previous_label: String,
    last_year_label: String,
    trend: TrendView,
    levels: Vec<LevelView>,
    outlier_rule: &'static str,
    tree: TreeSwitch,
    /// Its reorganisations in sentences ("Thành lập ngày 1/7/2025 trên cơ sở hợp nhất …").
    lineage: Vec<String>,
}

/// `?period=2022S1&indicator=TY_LE_HOA_TANG&tree=current` — all optional.
#[derive(Debug, serde::Deserialize)]
struct UnitQuery {
    period: Option<String>,
    indicator: Option<String>,
    tree: Option<String>,
}

/// An indicator's figure against earlier ones, as the figures table shows it.
#[derive(Default)]
struct LineComparison {
    previous: String,
    previous_change: String,
    last_year: String,
    last_year_change: String,
    review: String,
}

/// One indicator over the periods.
struct TrendView {
    name: String,
    measure: String,
    options: Vec<IndicatorOption>,
    points: Vec<(String, String)>,
    chart_url: String,
}

/// The reporting of one level below the unit.
struct LevelView {
    kind: String,
    rate: String,
    on_time: String,
    from_file: u32,
    units: Vec<(String, String, &'static str)>,
}

async fn unit_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    Query(query): Query<UnitQuery>,
) -> Result<UnitPage, AppError> {
    let view = tree_view(query.tree.as_deref())?;
    let caller = state.app.context(user.principal()).await?;
    let trend = comparisons::unit(
        &state.app,
        &caller,
        &code,
        query.period.as_deref(),
        DefaultPeriod::LatestWithData,
        view,
    )
    .await?;
    let indicator = comparisons::choose_indicator(&trend.shown.catalog, query.indicator.as_deref())?;
    let levels = comparisons::units_below(&state.app, &caller, &trend.shown, &state.collator).await?;
    let mut compared: std::collections::HashMap<String, LineComparison> = trend
        .lines()
        .into_iter()
        .map(|l| {
            let line = LineComparison {
                previous: format_optional(l.previous),
                previous_change: l.previous_change.as_ref().map(format_change).unwrap_or_default(),
                last_year: format_optional(l.last_year),
                last_year_change: l.last_year_change.as_ref().map(format_change).unwrap_or_default(),
                review: review_text(l.history.as_ref()),
            };
            (l.indicator.code.to_string(), line)
        })
        .collect();
    let trend_view = TrendView {
        name: indicator.name.clone(),
        measure: indicator.measure.clone(),
        options: indicator_options(&trend.shown.catalog, indicator),
        points: trend
            .series(&indicator.code)
            .into_iter()
            .map(|(p, v)| (p.label_vi(), format_optional(v)))
            .collect(),
        chart_url: format!(
            "/api/v1/units/{}/trend?period={}&indicator={}{}",
            trend.shown.unit.code,
            trend.shown.period.code(),
            indicator.code,
            match view {
                thidua_core::lineage::TreeView::AsItWas => "",
                thidua_core::lineage::TreeView::Current => "&tree=current",
            }
        ),
    };
    let levels = levels
        .into_iter()
        .map(|l| LevelView {
            kind: thidua_core::unit::kind_label_vi(&l.kind).to_owned(),
            rate: rate_text(l.rate.reported, l.rate.expected, l.rate.rate()),
            on_time: rate_text(l.rate.on_time, l.rate.expected, l.rate.on_time_rate()),
            from_file: l.rate.from_file,
            units: l
                .units
                .iter()
                .map(|(u, r)| (u.code.to_string(), u.short_name().to_owned(), reported_label(*r).1))
                .collect(),
        })
        .collect();
    let comparisons::UnitTrend { shown, .. } = trend;
    let thidua_app::rollups::UnitFigures {
        unit,
        period,
        figures,
        catalog,
        with_data,
        ..
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
        can_reorganise: principal.role == thidua_core::Role::Admin
            || (principal.role == thidua_core::Role::Upper && principal.unit.as_ref() == Some(&code)),
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
        groups: figure_lines(&catalog, &figures)
            .into_iter()
            .map(|(group, lines)| {
                let lines = lines
                    .into_iter()
                    .map(|line| {
                        let c = compared.remove(&line.indicator.code).unwrap_or_default();
                        (line, c)
                    })
                    .collect();
                (group, lines)
            })
            .collect(),
        previous_label: period.previous().label_vi(),
        last_year_label: period.same_period_last_year().label_vi(),
        trend: trend_view,
        levels,
        outlier_rule: OUTLIER_RULE,
        tree: TreeSwitch::new(
            &format!("/units/{code}"),
            &[
                ("period", period.code()),
                ("indicator", query.indicator.clone().unwrap_or_default()),
            ],
            view,
        )
        .with_split_notes(&scope.lineage, tree, std::slice::from_ref(&code)),
        lineage: scope.lineage.describe_vi(tree, &code),
    })
}
