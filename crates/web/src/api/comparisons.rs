//! `/api/v1/clusters/{code}/comparison`, `/api/v1/units/{code}/trend` and
//! `/api/v1/units/{code}/reporting` — the comparisons, rankings, threshold lists,
//! reporting rates and history checks of [`thidua_app::comparisons`], for programs and for
//! the pages' charts (which read exactly this JSON). Every number comes with its display
//! in Vietnamese style; a member without a figure has `value: null`, never 0.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use thidua_app::comparisons::{self, ClusterComparison, Target, UnitTrend};
use thidua_app::rollups::{self, DefaultPeriod};
use thidua_core::comparison::{Change, HistoryCheck, OUTLIER_RULE, ReportingRate, format_percent};
use thidua_core::{Indicator, Period, ValueType};
use utoipa::ToSchema;

use super::{ApiPath, ApiQuery, ClusterDto, IndicatorDto};
use crate::AppState;
use crate::auth::ApiUser;
use crate::error::{ApiError, AppError, ErrorBody};
use crate::pages::tree_view;
use crate::view::{format_change, format_number, format_optional, number_hint, rate_text, reported_label};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/clusters/{code}/comparison", get(cluster_comparison))
        .route("/units/{code}/trend", get(unit_trend))
        .route("/units/{code}/reporting", get(unit_reporting))
}

/// `?period=2022S1&indicator=TY_LE_HOA_TANG&threshold=98&tree=current&against=2022S1`.
#[derive(Debug, Deserialize)]
pub(crate) struct ComparisonQuery {
    period: Option<String>,
    indicator: Option<String>,
    threshold: Option<f64>,
    tree: Option<String>,
    against: Option<String>,
}

/// `?period=2022S1&indicator=TY_LE_HOA_TANG&tree=current`.
#[derive(Debug, Deserialize)]
pub(crate) struct TrendQuery {
    period: Option<String>,
    indicator: Option<String>,
    tree: Option<String>,
}

/// A number and how a Vietnamese reader writes it.
#[derive(Serialize, ToSchema)]
pub(crate) struct NumberDto {
    /// The number.
    value: f64,
    /// In Vietnamese style: `1.084`, `85,01`.
    display: String,
    /// For big sums of money, the amount as a report says it (`trên 2,3 tỷ đồng`); else empty.
    hint: String,
}

fn number(indicator: &Indicator, x: f64) -> NumberDto {
    NumberDto {
        value: round(x),
        display: format_number(x),
        hint: number_hint(indicator, x),
    }
}

/// Computed numbers to 2 decimals, as the rollup API writes formula values.
fn round(x: f64) -> f64 {
    if x.fract() == 0.0 {
        x
    } else {
        (x * 100.0).round() / 100.0
    }
}

/// A change against an earlier figure or the cluster's average.
#[derive(Serialize, ToSchema)]
pub(crate) struct ChangeDto {
    /// The figure compared with.
    base: f64,
    /// Now minus then.
    absolute: f64,
    /// In percent of the figure compared with; null when that was 0.
    percent: Option<f64>,
    /// In Vietnamese style: `+120 (+12,5%)`.
    display: String,
}

fn change(c: Option<Change>) -> Option<ChangeDto> {
    c.map(|c| ChangeDto {
        base: round(c.base),
        absolute: round(c.absolute),
        percent: c.percent.map(|p| (p * 10.0).round() / 10.0),
        display: format_change(&c),
    })
}

/// A member's target for the year.
#[derive(Serialize, ToSchema)]
pub(crate) struct TargetDto {
    /// The figure to reach, and its display.
    target: NumberDto,
    /// `pledge` (the member's own registration) or `criteria` (the level's criteria set).
    source: String,
    /// The year it is for.
    year: i32,
    /// The share of it reached, in percent; null without a figure.
    reached_percent: Option<f64>,
    /// The share in Vietnamese style, e.g. `75,0%`; empty without a figure.
    reached_display: String,
}

fn target(indicator: &Indicator, t: Option<Target>, share: Option<f64>) -> Option<TargetDto> {
    t.map(|t| TargetDto {
        target: number(indicator, t.value),
        source: t.source.as_str().to_owned(),
        year: t.year,
        reached_percent: share.map(|s| (s * 10.0).round() / 10.0),
        reached_display: share.map(format_percent).unwrap_or_default(),
    })
}

/// A figure against the unit's own earlier periods of the same type.
#[derive(Serialize, ToSchema)]
pub(crate) struct HistoryDto {
    /// Earlier periods with a figure.
    periods: usize,
    /// Their mean.
    mean: f64,
    /// Their standard deviation (population).
    std_dev: f64,
    /// The smallest.
    min: f64,
    /// The largest.
    max: f64,
    /// Standard deviations from the mean; null with fewer than 4 earlier periods or when
    /// they were all equal.
    z_score: Option<f64>,
    /// Whether the figure is flagged for review (|z| > 3).
    outlier: bool,
}

fn history(h: Option<HistoryCheck>) -> Option<HistoryDto> {
    h.map(|h| HistoryDto {
        periods: h.periods,
        mean: round(h.mean),
        std_dev: round(h.std_dev),
        min: h.min,
        max: h.max,
        z_score: h.z_score.map(round),
        outlier: h.outlier,
    })
}

/// One member on the indicator.
#[derive(Serialize, ToSchema)]
pub(crate) struct MemberComparisonDto {
    /// Unit code.
    unit: String,
    /// Unit name.
    name: String,
    /// Short name, for charts ("quận Hà Đông").
    short_name: String,
    /// Rank on the indicator, 1 the highest; null without a figure.
    rank: Option<u32>,
    /// Whether another member shares the rank.
    tied: bool,
    /// The figure; null when the member has none (never 0).
    value: Option<f64>,
    /// The figure in Vietnamese style, `—` without one.
    display: String,
    /// Against the cluster's average.
    against_average: Option<ChangeDto>,
    /// The figure of the previous period.
    previous: Option<NumberDto>,
    /// Against it.
    previous_change: Option<ChangeDto>,
    /// The figure of the same period last year.
    last_year: Option<NumberDto>,
    /// Against it.
    last_year_change: Option<ChangeDto>,
    /// The figure of the earlier period asked for (`against`); null without one.
    against: Option<NumberDto>,
    /// Against it.
    against_change: Option<ChangeDto>,
    /// The year's target, where one is set.
    target: Option<TargetDto>,
    /// The figure against the member's own history.
    history: Option<HistoryDto>,
}

/// A point of a series over periods.
#[derive(Serialize, ToSchema)]
pub(crate) struct PointDto {
    /// DHIS2 period code.
    period: String,
    /// Its Vietnamese name.
    period_label: String,
    /// The figure; null when there is none.
    value: Option<f64>,
    /// In Vietnamese style, `—` without one.
    display: String,
}

fn series(points: &[(Period, Option<f64>)]) -> Vec<PointDto> {
    points
        .iter()
        .map(|(p, v)| PointDto {
            period: p.code(),
            period_label: p.label_vi(),
            value: v.map(round),
            display: format_optional(*v),
        })
        .collect()
}

/// A member reaching the threshold.
#[derive(Serialize, ToSchema)]
pub(crate) struct ReachingDto {
    /// Unit code.
    unit: String,
    /// Unit name.
    name: String,
    /// Its figure.
    value: NumberDto,
}

/// The members reaching a threshold ("đạt 98% trở lên"), highest first.
#[derive(Serialize, ToSchema)]
pub(crate) struct ThresholdDto {
    /// The threshold.
    threshold: f64,
    /// In Vietnamese style.
    display: String,
    /// The members at or above it.
    members: Vec<ReachingDto>,
}

/// A reporting rate (DHIS2): reports received and received on time against those expected.
#[derive(Serialize, ToSchema)]
pub(crate) struct ReportingRateDto {
    /// Reports expected (one per unit).
    expected: u32,
    /// Received: forms sent, and complete official figures imported from a file.
    reported: u32,
    /// Forms sent by the deadline.
    on_time: u32,
    /// Of those received, imported from a file (no day sent, so never on time).
    from_file: u32,
    /// Received per 100 expected; null when none was expected.
    rate: Option<f64>,
    /// Received on time per 100 expected; null when none was expected.
    on_time_rate: Option<f64>,
    /// In Vietnamese style, e.g. `5/6 (83,3%)`.
    display: String,
    /// On time in Vietnamese style.
    on_time_display: String,
}

fn reporting(r: ReportingRate) -> ReportingRateDto {
    ReportingRateDto {
        expected: r.expected,
        reported: r.reported,
        on_time: r.on_time,
        from_file: r.from_file,
        rate: r.rate().map(|x| (x * 10.0).round() / 10.0),
        on_time_rate: r.on_time_rate().map(|x| (x * 10.0).round() / 10.0),
        display: rate_text(r.reported, r.expected, r.rate()),
        on_time_display: rate_text(r.on_time, r.expected, r.on_time_rate()),
    }
}

/// A cluster's members compared on one indicator for a period.
#[derive(Serialize, ToSchema)]
pub(crate) struct ClusterComparisonDto {
    /// The cluster as constituted in the period's year.
    cluster: ClusterDto,
    /// DHIS2 period code.
    period: String,
    /// The period's Vietnamese name.
    period_label: String,
    /// The previous period.
    previous_period: String,
    /// Its Vietnamese name.
    previous_period_label: String,
    /// The same period last year.
    last_year_period: String,
    /// Its Vietnamese name.
    last_year_period_label: String,
    /// The view of history: `period` (the tree as it was) or `current` (today's tree).
    tree: String,
    /// The view's Vietnamese name.
    tree_label: String,
    /// The earlier period asked for (`against`), when one was.
    against_period: Option<String>,
    /// Its Vietnamese name.
    against_period_label: Option<String>,
    /// The cluster's figure then: the cluster as constituted that year or, on today's
    /// tree, today's members then; null when unknown.
    against_total: Option<NumberDto>,
    /// The cluster's figure now against it.
    against_total_change: Option<ChangeDto>,
    /// The indicator compared.
    indicator: IndicatorDto,
    /// The cluster's figure.
    total: Option<NumberDto>,
    /// The cluster's average: for a rate the cluster's own rate, else the mean of the
    /// members that have a figure.
    average: Option<NumberDto>,
    /// Each member in rank order; those without a figure last, unranked.
    members: Vec<MemberComparisonDto>,
    /// The members reaching `threshold` (98 by default for a percentage); null for other
    /// indicators without `threshold`.
    reaching: Option<ThresholdDto>,
    /// The cluster's figure over the earlier periods of the same type and this one,
    /// oldest first (null where there is none).
    totals: Vec<PointDto>,
    /// The cluster's reporting rate for the period.
    reporting: ReportingRateDto,
    /// The rule by which figures are flagged for review.
    outlier_rule: String,
}

/// The members of a cluster compared on one indicator: ranks, the cluster's average,
/// the previous period, the same period last year, targets, the threshold list, the
/// totals over time, the reporting rate and figures flagged for review; with `against`,
/// each member and the cluster also against that earlier period, and with
/// `tree=current` everything on today's tree (so a cluster of merged units compares with
/// the years before the merge).
#[utoipa::path(
    get,
    path = "/api/v1/clusters/{code}/comparison",
    params(
        ("code" = String, Path, description = "Cluster code, e.g. HN-CUM2", example = "HN-CUM2"),
        ("period" = Option<String>, Query, description = "DHIS2 period code: 2022, 2022S1, 2022Q3, 202207 (years 1945 to 2100); empty or absent, the latest period with data", example = "2022S1", pattern = "^((194[5-9]|19[5-9][0-9]|20[0-9][0-9]|2100)(S[12]|Q[1-4]|0[1-9]|1[0-2])?)?$"),
        ("indicator" = Option<String>, Query, description = "Indicator code; absent, the first rate indicator", example = "TY_LE_HOA_TANG"),
        ("threshold" = Option<f64>, Query, description = "List the members at or above this figure; absent, 98 for a percentage", example = 98.0),
        ("tree" = Option<String>, Query, description = "Which tree history is read under: `period` (the default) the tree as it was in each period; `current` today's tree, where a merged unit's past is the sum of its predecessors' and a split unit's past is shared by the split's weights (or stays with the old unit when the split has none)", example = "current", pattern = "^(period|current)?$"),
        ("against" = Option<String>, Query, description = "An earlier period of the same type to compare with (so với kỳ), e.g. 2022S1 for 2026S1; empty or absent, none", example = "2021S1", pattern = "^((194[5-9]|19[5-9][0-9]|20[0-9][0-9]|2100)(S[12]|Q[1-4]|0[1-9]|1[0-2])?)?$")
    ),
    responses(
        (status = 200, body = ClusterComparisonDto),
        (status = 400, description = "Bad period, indicator, threshold, tree or period compared with, or a bad path", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Outside the user's part of the hierarchy", body = ErrorBody),
        (status = 404, description = "Unknown cluster or year", body = ErrorBody)
    )
)]
pub(super) async fn cluster_comparison(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(code): ApiPath<String>,
    ApiQuery(query): ApiQuery<ComparisonQuery>,
) -> Result<Json<ClusterComparisonDto>, ApiError> {
    let threshold = query
        .threshold
        .map(|t| {
            t.is_finite()
                .then_some(t)
                .ok_or_else(|| AppError::BadRequest("ngưỡng (threshold) phải là một số".into()))
        })
        .transpose()?;
    let view = tree_view(query.tree.as_deref())?;
    let caller = state.app.context(user.principal()).await?;
    let compared = comparisons::cluster(
        &state.app,
        &caller,
        &code,
        query.period.as_deref(),
        view,
        query.against.as_deref(),
    )
    .await?;
    let indicator = comparisons::choose_indicator(&compared.shown.catalog, query.indicator.as_deref())?;
    let statuses = rollups::completeness(&state.app, &compared.shown).await?;
    Ok(Json(cluster_dto(
        &compared,
        indicator,
        threshold,
        comparisons::reporting_rate(&statuses),
        &state.collator,
    )))
}

fn cluster_dto(
    compared: &ClusterComparison,
    indicator: &Indicator,
    threshold: Option<f64>,
    rate: ReportingRate,
    collator: &thidua_core::text::Collator,
) -> ClusterComparisonDto {
    let on = compared.on(indicator, collator);
    let period = compared.period();
    let threshold =
        threshold.or((indicator.value_type == ValueType::Percent).then_some(comparisons::DEFAULT_THRESHOLD));
    ClusterComparisonDto {
        cluster: ClusterDto::from(&compared.shown.open.cluster),
        period: period.code(),
        period_label: period.label_vi(),
        previous_period: on.previous_period.code(),
        previous_period_label: on.previous_period.label_vi(),
        last_year_period: on.last_year_period.code(),
        last_year_period_label: on.last_year_period.label_vi(),
        tree: compared.view().as_str().to_owned(),
        tree_label: compared.view().label_vi().to_owned(),
        against_period: on.against_period.map(|p| p.code()),
        against_period_label: on.against_period.map(|p| p.label_vi()),
        against_total: on.against_total.map(|x| number(indicator, x)),
        against_total_change: change(on.against_total_change),
        indicator: IndicatorDto::from(indicator),
        total: on.total.map(|x| number(indicator, x)),
        average: on.average.map(|x| number(indicator, x)),
        members: on
            .members
            .iter()
            .map(|m| MemberComparisonDto {
                unit: m.unit.code.to_string(),
                name: m.unit.name.clone(),
                short_name: m.unit.short_name().to_owned(),
                rank: m.rank,
                tied: m.tied,
                value: m.value.map(round),
                display: format_optional(m.value),
                against_average: change(m.against_average),
                previous: m.previous.map(|x| number(indicator, x)),
                previous_change: change(m.previous_change),
                last_year: m.last_year.map(|x| number(indicator, x)),
                last_year_change: change(m.last_year_change),
                against: m.against.map(|x| number(indicator, x)),
                against_change: change(m.against_change),
                target: target(indicator, m.target, m.target_share),
                history: history(m.history),
            })
            .collect(),
        reaching: threshold.map(|t| ThresholdDto {
            threshold: t,
            display: format_number(t),
            members: compared
                .reaching(&indicator.code, t)
                .into_iter()
                .map(|(u, x)| ReachingDto {
                    unit: u.code.to_string(),
                    name: u.name.clone(),
                    value: number(indicator, x),
                })
                .collect(),
        }),
        totals: series(&compared.totals(&indicator.code)),
        reporting: reporting(rate),
        outlier_rule: OUTLIER_RULE.to_owned(),
    }
}

/// A unit's figure on one indicator over its periods.
#[derive(Serialize, ToSchema)]
pub(crate) struct UnitTrendDto {
    /// Unit code.
    unit: String,
    /// Unit name.
    name: String,
    /// The period the trend ends at.
    period: String,
    /// Its Vietnamese name.
    period_label: String,
    /// The view of history: `period` (the tree as it was) or `current` (today's tree).
    tree: String,
    /// The view's Vietnamese name.
    tree_label: String,
    /// The indicator.
    indicator: IndicatorDto,
    /// The figure in each period of the type, from the earliest with figures (at most 10
    /// back) to `period`, oldest first; null where there is none.
    series: Vec<PointDto>,
    /// The figure of `period`.
    value: Option<NumberDto>,
    /// Against the previous period.
    previous_change: Option<ChangeDto>,
    /// Against the same period last year.
    last_year_change: Option<ChangeDto>,
    /// The figure of `period` against the earlier ones.
    history: Option<HistoryDto>,
    /// The rule by which figures are flagged for review.
    outlier_rule: String,
}

/// A unit's figure (over its subtree) on one indicator across periods of the same type,
/// with the last one against the previous period, the same period last year and the
/// unit's history; with `tree=current` on today's tree (a merged unit's earlier periods
/// are its predecessors').
#[utoipa::path(
    get,
    path = "/api/v1/units/{code}/trend",
    params(
        ("code" = String, Path, description = "Unit code, e.g. HN-HADONG", example = "HN-HADONG"),
        ("period" = Option<String>, Query, description = "The last period of the trend, a DHIS2 period code (years 1945 to 2100); empty or absent, the latest with data", example = "2022S1", pattern = "^((194[5-9]|19[5-9][0-9]|20[0-9][0-9]|2100)(S[12]|Q[1-4]|0[1-9]|1[0-2])?)?$"),
        ("indicator" = Option<String>, Query, description = "Indicator code; absent, the first rate indicator", example = "TY_LE_HOA_TANG"),
        ("tree" = Option<String>, Query, description = "Which tree history is read under: `period` (the default) the tree as it was in each period; `current` today's tree, where a merged unit's past is the sum of its predecessors' and a split unit's past is shared by the split's weights (or stays with the old unit when the split has none)", example = "current", pattern = "^(period|current)?$")
    ),
    responses(
        (status = 200, body = UnitTrendDto),
        (status = 400, description = "Bad period, indicator or tree, or a bad path", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Outside the user's part of the hierarchy", body = ErrorBody),
        (status = 404, description = "Unknown unit", body = ErrorBody)
    )
)]
pub(super) async fn unit_trend(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(code): ApiPath<String>,
    ApiQuery(query): ApiQuery<TrendQuery>,
) -> Result<Json<UnitTrendDto>, ApiError> {
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
    Ok(Json(trend_dto(&trend, indicator)))
}

fn trend_dto(trend: &UnitTrend, indicator: &Indicator) -> UnitTrendDto {
    let line = trend.line(indicator);
    let unit = &trend.shown.unit;
    UnitTrendDto {
        unit: unit.code.to_string(),
        name: unit.name.clone(),
        period: trend.shown.period.code(),
        period_label: trend.shown.period.label_vi(),
        tree: trend.shown.view.as_str().to_owned(),
        tree_label: trend.shown.view.label_vi().to_owned(),
        indicator: IndicatorDto::from(indicator),
        series: series(&trend.series(&indicator.code)),
        value: line.value.map(|x| number(indicator, x)),
        previous_change: change(line.previous_change),
        last_year_change: change(line.last_year_change),
        history: history(line.history),
        outlier_rule: OUTLIER_RULE.to_owned(),
    }
}

/// How one unit below stands.
#[derive(Serialize, ToSchema)]
pub(crate) struct UnitReportedDto {
    /// Unit code.
    unit: String,
    /// Unit name.
    name: String,
    /// `sent_on_time`, `sent_late`, `from_file` or `not_sent`.
    status: String,
    /// In Vietnamese.
    status_label: String,
}

/// One level of units below.
#[derive(Serialize, ToSchema)]
pub(crate) struct LevelReportingDto {
    /// The level (`district`, `ward`, …).
    kind: String,
    /// Its Vietnamese name.
    kind_label: String,
    /// The rate over the level.
    rate: ReportingRateDto,
    /// Each unit, in Vietnamese order.
    units: Vec<UnitReportedDto>,
}

/// The reporting of the units directly below a unit.
#[derive(Serialize, ToSchema)]
pub(crate) struct UnitReportingDto {
    /// Unit code.
    unit: String,
    /// DHIS2 period code.
    period: String,
    /// Its Vietnamese name.
    period_label: String,
    /// One entry per level of the units directly below; empty for a unit without any.
    levels: Vec<LevelReportingDto>,
}

/// The reporting rate and on-time rate of the units directly below a unit, per level,
/// for a period (as DHIS2's reporting rates: forms expected, sent, sent by the deadline).
#[utoipa::path(
    get,
    path = "/api/v1/units/{code}/reporting",
    params(
        ("code" = String, Path, description = "Unit code, e.g. HN", example = "HN"),
        ("period" = Option<String>, Query, description = "DHIS2 period code (years 1945 to 2100); empty or absent, the latest with data", example = "2022S1", pattern = "^((194[5-9]|19[5-9][0-9]|20[0-9][0-9]|2100)(S[12]|Q[1-4]|0[1-9]|1[0-2])?)?$")
    ),
    responses(
        (status = 200, body = UnitReportingDto),
        (status = 400, description = "Bad period or path", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Outside the user's part of the hierarchy", body = ErrorBody),
        (status = 404, description = "Unknown unit", body = ErrorBody)
    )
)]
pub(super) async fn unit_reporting(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(code): ApiPath<String>,
    ApiQuery(query): ApiQuery<crate::pages::PeriodQuery>,
) -> Result<Json<UnitReportingDto>, ApiError> {
    let caller = state.app.context(user.principal()).await?;
    let shown = rollups::unit(
        &state.app,
        &caller,
        &code,
        query.period.as_deref(),
        DefaultPeriod::LatestWithData,
        thidua_core::lineage::TreeView::AsItWas,
    )
    .await?;
    let levels = comparisons::units_below(&state.app, &caller, &shown, &state.collator).await?;
    Ok(Json(UnitReportingDto {
        unit: shown.unit.code.to_string(),
        period: shown.period.code(),
        period_label: shown.period.label_vi(),
        levels: levels
            .into_iter()
            .map(|l| LevelReportingDto {
                kind_label: thidua_core::unit::kind_label_vi(&l.kind).to_owned(),
                kind: l.kind,
                rate: reporting(l.rate),
                units: l
                    .units
                    .iter()
                    .map(|(u, r)| {
                        let (status, label) = reported_label(*r);
                        UnitReportedDto {
                            unit: u.code.to_string(),
                            name: u.name.clone(),
                            status: status.to_owned(),
                            status_label: label.to_owned(),
                        }
                    })
                    .collect(),
            })
            .collect(),
    }))
}
