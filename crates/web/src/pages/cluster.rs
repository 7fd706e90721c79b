//! Trang cụm thi đua — a cluster's figures for a period: per indicator group, a table of
//! members × indicators with the cluster's total, formula indicators computed on the
//! totals; then the members compared on one indicator (ranks, the cluster's average, the
//! previous period, the same period last year, targets) with its bar chart, the threshold
//! lists, every member's rank per indicator, the cluster's totals over time with their
//! line chart, who has reported (with the reporting and on-time rates), and the figures
//! far outside their unit's history. Each chart reads the API's JSON and has its table.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use thidua_app::clusters::OpenCluster;
use thidua_app::comparisons::{self, ClusterComparison};
use thidua_app::rollups;
use thidua_core::comparison::{OUTLIER_RULE, Reported, format_percent};
use thidua_core::text::Collator;
use thidua_core::workflow::SubmissionState;
use thidua_core::{Cluster, Indicator, Period, ValueType};

use super::history::{TreeSwitch, tree_view};
use crate::AppState;
use crate::auth::{CurrentUser, Me, Scope};
use crate::error::AppError;
use crate::view::{
    GroupTable, NO_VALUE, PeriodOption, format_change, format_number, format_optional, group_tables, number_hint,
    period_options, rate_text,
};

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/clusters/{code}", get(cluster_page))
}

#[derive(Template, WebTemplate)]
#[template(path = "cluster.html")]
struct ClusterPage {
    title: String,
    query: String,
    me: Option<Me>,
    code: String,
    name: String,
    year: i32,
    period_code: String,
    period_label: String,
    periods: Vec<PeriodOption>,
    roles: Vec<(String, String, String)>,
    reporting: usize,
    member_count: usize,
    tables: Vec<GroupTable>,
    statuses: Vec<StatusLine>,
    compared: ComparisonView,
    thresholds: Vec<ThresholdLine>,
    ranks: RankTable,
    rates: ReportingLine,
    flagged: Vec<FlaggedLine>,
    outlier_rule: &'static str,
    tree: TreeSwitch,
    /// Said when the cluster's figures are the demo's illustration.
    illustrative: bool,
}

/// `?period=2022S1&indicator=TY_LE_HOA_TANG&tree=current&against=2022S1` — all optional.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct ClusterQuery {
    period: Option<String>,
    indicator: Option<String>,
    tree: Option<String>,
    against: Option<String>,
}

/// An indicator the comparison can be switched to.
pub(crate) struct IndicatorOption {
    pub code: String,
    pub name: String,
    pub selected: bool,
}

/// The indicators a comparison can show (every number), the chosen one selected.
pub(crate) fn indicator_options(catalog: &thidua_core::Catalog, chosen: &Indicator) -> Vec<IndicatorOption> {
    catalog
        .indicators()
        .iter()
        .filter(|i| i.value_type != ValueType::Text)
        .map(|i| IndicatorOption {
            code: i.code.to_string(),
            name: i.name.clone(),
            selected: i.code == chosen.code,
        })
        .collect()
}

/// The members compared on the chosen indicator.
struct ComparisonView {
    name: String,
    measure: String,
    options: Vec<IndicatorOption>,
    previous_label: String,
    last_year_label: String,
    total: String,
    average: String,
    average_label: &'static str,
    rows: Vec<ComparisonRow>,
    /// The API address the charts read.
    chart_url: String,
    totals: Vec<(String, String)>,
    /// The earlier period compared with ("so với kỳ"), when one was asked for.
    against_label: String,
    /// The cluster's figure then, and now against it.
    against_total: String,
    against_total_change: String,
    /// The earlier periods with figures that can be chosen, the chosen one selected.
    against_options: Vec<PeriodOption>,
}

/// One member's line of the comparison.
struct ComparisonRow {
    rank: String,
    code: String,
    name: String,
    value: String,
    hint: String,
    against_average: String,
    previous: String,
    previous_change: String,
    last_year: String,
    last_year_change: String,
    against: String,
    against_change: String,
    target: String,
    target_title: String,
    target_share: String,
    review: String,
}

/// A threshold list: "Tỷ lệ hỏa táng đạt 98% trở lên: …".
struct ThresholdLine {
    indicator: String,
    threshold: String,
    members: Vec<(String, String)>,
}

/// Every member's rank on every number indicator.
struct RankTable {
    heads: Vec<(String, String)>,
    rows: Vec<(String, String, Vec<String>)>,
}

/// The cluster's reporting rate and on-time rate.
struct ReportingLine {
    rate: String,
    on_time: String,
    from_file: u32,
}

/// A figure flagged for review.
struct FlaggedLine {
    unit_code: String,
    unit_name: String,
    indicator: String,
    value: String,
    mean: String,
    range: String,
    periods: usize,
    z: String,
}

/// A rank as a results table prints it, "2 (đồng hạng)" when shared; "—" without one.
pub(crate) fn rank_text(rank: Option<u32>, tied: bool) -> String {
    match rank {
        Some(r) if tied => format!("{r} (đồng hạng)"),
        Some(r) => r.to_string(),
        None => NO_VALUE.to_owned(),
    }
}

/// A history check as the review column says it: empty unless flagged.
pub(crate) fn review_text(check: Option<&thidua_core::comparison::HistoryCheck>) -> String {
    match check.and_then(|c| c.z_score.filter(|_| c.outlier)) {
        Some(z) => format!("Cần xem lại (z = {})", thidua_core::number::format_decimal(z, 1)),
        None => String::new(),
    }
}

fn comparison_view(
    compared: &ClusterComparison,
    indicator: &Indicator,
    collator: &Collator,
    cluster_code: &str,
) -> ComparisonView {
    let on = compared.on(indicator, collator);
    let period = compared.period();
    let rows = on
        .members
        .iter()
        .map(|m| ComparisonRow {
            rank: rank_text(m.rank, m.tied),
            code: m.unit.code.to_string(),
            name: m.unit.short_name().to_owned(),
            value: format_optional(m.value),
            hint: m.value.map(|v| number_hint(indicator, v)).unwrap_or_default(),
            against_average: m.against_average.as_ref().map(format_change).unwrap_or_default(),
            previous: format_optional(m.previous),
            previous_change: m.previous_change.as_ref().map(format_change).unwrap_or_default(),
            last_year: format_optional(m.last_year),
            last_year_change: m.last_year_change.as_ref().map(format_change).unwrap_or_default(),
            against: format_optional(m.against),
            against_change: m.against_change.as_ref().map(format_change).unwrap_or_default(),
            target: m.target.map(|t| format_number(t.value)).unwrap_or_default(),
            target_title: m
                .target
                .map(|t| format!("Chỉ tiêu năm {} theo {}", t.year, t.source.label_vi()))
                .unwrap_or_default(),
            target_share: m.target_share.map(format_percent).unwrap_or_default(),
            review: review_text(m.history.as_ref()),
        })
        .collect();
    ComparisonView {
        name: indicator.name.clone(),
        measure: indicator.measure.clone(),
        options: indicator_options(&compared.shown.catalog, indicator),
        previous_label: on.previous_period.label_vi(),
        last_year_label: on.last_year_period.label_vi(),
        total: format_optional(on.total),
        average: format_optional(on.average),
        average_label: if indicator.is_computed() {
            "Tỷ lệ chung của cụm"
        } else {
            "Bình quân một thành viên"
        },
        rows,
        chart_url: format!(
            "/api/v1/clusters/{cluster_code}/comparison?period={}&indicator={}{}{}",
            period.code(),
            indicator.code,
            match compared.view() {
                thidua_core::lineage::TreeView::AsItWas => "",
                thidua_core::lineage::TreeView::Current => "&tree=current",
            },
            on.against_period
                .map(|p| format!("&against={}", p.code()))
                .unwrap_or_default()
        ),
        totals: compared
            .totals(&indicator.code)
            .into_iter()
            .map(|(p, v)| (p.label_vi(), format_optional(v)))
            .collect(),
        against_label: on.against_period.map(|p| p.label_vi()).unwrap_or_default(),
        against_total: format_optional(on.against_total),
        against_total_change: on.against_total_change.as_ref().map(format_change).unwrap_or_default(),
        against_options: compared
            .earlier_periods()
            .into_iter()
            .map(|p| PeriodOption {
                code: p.code(),
                label: p.label_vi(),
                selected: on.against_period == Some(p),
            })
            .collect(),
    }
}

fn threshold_lines(compared: &ClusterComparison) -> Vec<ThresholdLine> {
    compared
        .shown
        .catalog
        .indicators()
        .iter()
        .filter(|i| i.value_type == ValueType::Percent)
        .map(|i| ThresholdLine {
            indicator: i.name.clone(),
            threshold: format_number(comparisons::DEFAULT_THRESHOLD),
            members: compared
                .reaching(&i.code, comparisons::DEFAULT_THRESHOLD)
                .into_iter()
                .map(|(u, x)| (u.short_name().to_owned(), format_number(x)))
                .collect(),
        })
        .collect()
}

fn rank_table(compared: &ClusterComparison, collator: &Collator) -> RankTable {
    let indicators: Vec<&Indicator> = compared
        .shown
        .catalog
        .indicators()
        .iter()
        .filter(|i| i.value_type != ValueType::Text)
        .collect();
    let members = &compared.shown.rollup.members;
    let mut cells: Vec<Vec<String>> = vec![Vec::with_capacity(indicators.len()); members.len()];
    for indicator in &indicators {
        for place in compared.on(indicator, collator).members {
            if let Some(i) = members.iter().position(|(u, _)| u.code == place.unit.code) {
                cells[i].push(place.rank.map_or_else(|| NO_VALUE.to_owned(), |r| r.to_string()));
            }
        }
    }
    RankTable {
        heads: indicators
            .iter()
            .map(|i| (i.code.to_string(), i.name.clone()))
            .collect(),
        rows: members
            .iter()
            .zip(cells)
            .map(|((u, _), c)| (u.code.to_string(), u.short_name().to_owned(), c))
            .collect(),
    }
}

fn flagged_lines(compared: &ClusterComparison) -> Vec<FlaggedLine> {
    compared
        .flagged()
        .into_iter()
        .map(|f| FlaggedLine {
            unit_code: f.unit.code.to_string(),
            unit_name: f.unit.short_name().to_owned(),
            indicator: f.indicator.name.clone(),
            value: format_number(f.value),
            mean: format_number(f.check.mean),
            range: format!("{} – {}", format_number(f.check.min), format_number(f.check.max)),
            periods: f.check.periods,
            z: f.check
                .z_score
                .map(|z| thidua_core::number::format_decimal(z, 1))
                .unwrap_or_default(),
        })
        .collect()
}

/// One member's line in the completeness table.
struct StatusLine {
    unit_code: String,
    unit_name: String,
    state: String,
    submitted: String,
    timeliness: String,
    missing: String,
    missing_count: usize,
    /// Whether the missing figures may be shown: to the unit and its reviewers, and to
    /// peers once the figures are official (accepted, or imported from a file).
    missing_shown: bool,
    can_open: bool,
}

/// What a peer sees of a form that has not been sent (a draft, a returned form, nothing).
const NOT_SENT: &str = "Chưa gửi";

/// Finds the cluster and the period to show: the one asked for, or else the latest with
/// data, or else the first half of the cluster's latest year — among the years the user
/// may see. See [`visible_cluster`].
pub(crate) async fn resolve_cluster(
    state: &AppState,
    user: &CurrentUser,
    code: &str,
    period: Option<&str>,
) -> Result<(Cluster, Period, Vec<i32>), AppError> {
    let (cluster, period, years, _) = visible_cluster(state, user, code, period).await?;
    Ok((cluster, period, years))
}

/// The cluster `code` in the period asked for (or the latest with data, or the first half
/// of its latest year), with the years the user may see, newest first, and the directory
/// the check read ([`thidua_app::clusters::open`]).
pub(crate) async fn visible_cluster(
    state: &AppState,
    user: &CurrentUser,
    code: &str,
    period: Option<&str>,
) -> Result<(Cluster, Period, Vec<i32>, Scope), AppError> {
    let caller = state.app.context(user.principal()).await?;
    let open = thidua_app::clusters::open(&state.app, &caller, code, period).await?;
    Ok((open.cluster, open.period, open.years, caller.directory))
}

/// Refuses a cluster outside the user's part of the hierarchy.
pub(crate) fn ensure_can_view_cluster(
    scope: &Scope,
    principal: &thidua_core::Principal,
    cluster: &Cluster,
) -> Result<(), AppError> {
    let caller = thidua_app::Context {
        principal: principal.clone(),
        directory: scope.clone(),
    };
    Ok(thidua_app::clusters::ensure_can_view_cluster(&caller, cluster)?)
}

async fn cluster_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    Query(query): Query<ClusterQuery>,
) -> Result<ClusterPage, AppError> {
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
    let completeness = rollups::completeness(&state.app, &compared.shown).await?;
    let indicator = comparisons::choose_indicator(&compared.shown.catalog, query.indicator.as_deref())?;
    let rate = comparisons::reporting_rate(&completeness);
    let from_file = completeness
        .iter()
        .filter(|s| comparisons::reported(s) == Reported::FromFile)
        .count();
    let compared_view = comparison_view(
        &compared,
        indicator,
        &state.collator,
        compared.shown.open.cluster.code.as_str(),
    );
    let thresholds = threshold_lines(&compared);
    let ranks = rank_table(&compared, &state.collator);
    let flagged = flagged_lines(&compared);
    let against = compared.against.as_ref().map(|e| e.period.code()).unwrap_or_default();
    let rollups::ClusterFigures {
        open: OpenCluster { cluster, period, years },
        rollup,
        catalog,
        with_data,
        view,
    } = compared.shown;
    let (principal, scope) = (&caller.principal, &caller.directory);
    // The access check already loaded the tree; no second load for the names.
    let tree = &scope.tree;
    let members: Vec<(String, String, &thidua_core::rollup::Figures)> = rollup
        .members
        .iter()
        .map(|(u, f)| (u.code.to_string(), u.short_name().to_owned(), f))
        .collect();
    let reporting = rollup.members.iter().filter(|(_, f)| !f.is_empty()).count();
    let access = scope.access(principal);
    let statuses = completeness
        .into_iter()
        .map(|s| {
            let name_of_indicator =
                |c: &thidua_core::IndicatorCode| catalog.get(c).map_or_else(|| c.to_string(), |i| i.name.clone());
            // A peer is told only whether the form has been sent: a draft, a returned
            // form, what it still lacks are the unit's and its reviewers' to see.
            let detail = access.can_see_draft_state(&s.unit, period);
            let sent = s.state.is_some_and(|st| st.is_sent());
            let official = s.state.is_none_or(|st| st == SubmissionState::Accepted);
            let state_label = match s.state {
                Some(st) if detail || sent => st.label_vi().to_owned(),
                Some(_) => NOT_SENT.to_owned(),
                None if s.missing.is_empty() => "Số liệu nhập từ tệp".to_owned(),
                None if detail => "Chưa nhập".to_owned(),
                None => NOT_SENT.to_owned(),
            };
            let dated = detail || sent;
            StatusLine {
                unit_name: tree
                    .get(&s.unit)
                    .map_or_else(|| s.unit.to_string(), |u| u.short_name().to_owned()),
                state: state_label,
                submitted: s
                    .submitted_on
                    .filter(|_| dated)
                    .map(thidua_core::period::format_date_vi)
                    .unwrap_or_default(),
                timeliness: match s.late.filter(|_| dated) {
                    Some(true) => "Muộn".to_owned(),
                    Some(false) => "Đúng hạn".to_owned(),
                    None => String::new(),
                },
                missing_shown: detail || official,
                missing: s.missing.iter().map(name_of_indicator).collect::<Vec<_>>().join("; "),
                missing_count: s.missing.len(),
                can_open: access.can_read_submission(&s.unit, period, false) || access.can_enter(&s.unit),
                unit_code: s.unit.to_string(),
            }
        })
        .collect();
    let name_of = |c: &Option<thidua_core::UnitCode>| {
        c.as_ref()
            .and_then(|c| tree.get(c))
            .map(|u| (u.code.to_string(), u.short_name().to_owned()))
    };
    let roles = [
        ("Cụm trưởng", &cluster.chair),
        ("Cụm phó", &cluster.deputy),
        ("Đơn vị đăng cai", &cluster.host),
    ]
    .into_iter()
    .filter_map(|(role, unit)| name_of(unit).map(|(code, name)| (role.to_owned(), code, name)))
    .collect();
    Ok(ClusterPage {
        title: format!("{} — {}", cluster.name, period.label_vi()),
        query: String::new(),
        me: Some(user.me()),
        code: cluster.code.to_string(),
        name: cluster.name.clone(),
        year: cluster.year,
        period_code: period.code(),
        period_label: period.label_vi(),
        // On today's tree the members' predecessors add their periods; only the years the
        // cluster was constituted can be opened.
        periods: period_options(
            &years,
            &with_data
                .iter()
                .copied()
                .filter(|p| view == thidua_core::lineage::TreeView::AsItWas || years.contains(&p.year()))
                .collect::<Vec<_>>(),
            period,
        ),
        roles,
        reporting,
        member_count: cluster.members.len(),
        tables: group_tables(&catalog, &members, "Toàn cụm", &rollup.total),
        statuses,
        compared: compared_view,
        thresholds,
        ranks,
        rates: ReportingLine {
            rate: rate_text(rate.reported, rate.expected, rate.rate()),
            on_time: rate_text(rate.on_time, rate.expected, rate.on_time_rate()),
            from_file: u32::try_from(from_file).unwrap_or(u32::MAX),
        },
        flagged,
        outlier_rule: OUTLIER_RULE,
        tree: TreeSwitch::new(
            &format!("/clusters/{}", cluster.code),
            &[
                ("period", period.code()),
                ("indicator", query.indicator.clone().unwrap_or_default()),
                ("against", against),
            ],
            view,
        )
        .with_split_notes(&scope.lineage, tree, &cluster.members),
        illustrative: thidua_store::DEMO_ILLUSTRATIVE_CLUSTERS.contains(&cluster.code.as_str()),
    })
}
