//! So sánh, xếp hạng — the comparisons of a cluster's members and of a unit's periods, for
//! the pages and the JSON API: each member against the cluster's average, its own previous
//! period and the same period last year, and its target where one is set; the members
//! ranked on an indicator and those reaching a threshold; the reporting and on-time rates
//! of a cluster and of the level below a unit; figures far outside a unit's own history.
//!
//! Everything is built on the rollup views ([`crate::rollups`]): one rollup for the period
//! shown and one per earlier period of the same type that has figures (at most
//! [`HISTORY_PERIODS`] back), so the cost of a page is known. The pure computations are
//! [`thidua_core::comparison`]'s. A member without a figure has none — no change, no rank
//! — and is never counted as 0.
//!
//! Targets come from what the year already records: the member's own pledge (giao ước
//! thi đua, its registered targets), else the year's criteria set of the cluster's level
//! (a computed item measuring one indicator). Both are targets for the year.

use std::collections::{BTreeMap, HashMap};

use thidua_core::comparison::{self, Change, HistoryCheck, Reported, ReportingRate};
use thidua_core::lineage::TreeView;
use thidua_core::period::PeriodType;
use thidua_core::rollup::Figures;
use thidua_core::text::Collator;
use thidua_core::{Catalog, Indicator, IndicatorCode, Period, Unit, UnitCode, ValueType};
use thidua_store::{MemberStatus, StoreError};

use crate::rollups::{self, ClusterFigures, DefaultPeriod, UnitFigures};
use crate::{App, Context, Error};

/// Earlier periods of the same type read for trends and for the history check: five
/// years of half-years (a year and a month of months, so the same month last year is in).
pub const HISTORY_PERIODS: usize = 10;

/// The threshold of the "đạt 98% trở lên" lists of rate indicators.
pub const DEFAULT_THRESHOLD: f64 = 98.0;

fn history_length(kind: PeriodType) -> usize {
    match kind {
        PeriodType::Month => 13,
        _ => HISTORY_PERIODS,
    }
}

/// The earlier periods of `period`'s type within the history that have any figure, oldest
/// first: only they cost a rollup.
fn earlier_with_figures(period: Period, with_data: &[Period]) -> Vec<Period> {
    let kind = period.period_type();
    comparison::earlier_periods(period, history_length(kind))
        .into_iter()
        .filter(|p| with_data.iter().any(|d| comparison::enclosing(*d, kind) == Some(*p)))
        .collect()
}

/// The periods of a trend: from the earliest with figures to the one shown, every period
/// of the type in between (a gap is a period without figures, not a skipped one).
fn trend_periods(period: Period, earlier: &[Period]) -> Vec<Period> {
    let Some(first) = earlier.first() else {
        return vec![period];
    };
    let mut out: Vec<Period> = std::iter::successors(Some(period), |p| Some(p.previous()))
        .take_while(|p| p >= first)
        .collect();
    out.reverse();
    out
}

/// The indicator asked for (`?indicator=TY_LE_HOA_TANG`), or else the first rate
/// indicator, as the review's chart shows (rates compare across districts of any size),
/// or else the first number.
pub fn choose_indicator<'a>(catalog: &'a Catalog, asked: Option<&str>) -> Result<&'a Indicator, Error> {
    if let Some(raw) = asked.map(str::trim).filter(|s| !s.is_empty()) {
        let unknown = || Error::Invalid(format!("không có chỉ tiêu «{raw}» trong danh mục"));
        let code = IndicatorCode::parse(raw).map_err(|_| unknown())?;
        let indicator = catalog.get(&code).ok_or_else(unknown)?;
        if indicator.value_type == ValueType::Text {
            return Err(Error::Invalid(format!("chỉ tiêu «{raw}» là chữ, không so sánh được")));
        }
        return Ok(indicator);
    }
    let numbers = || catalog.indicators().iter().filter(|i| i.value_type != ValueType::Text);
    numbers()
        .find(|i| i.value_type == ValueType::Percent)
        .or_else(|| numbers().next())
        .ok_or_else(|| Error::NotFound("danh mục chưa có chỉ tiêu nào là số".into()))
}

/// Where a target comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetSource {
    /// Chỉ tiêu đăng ký in the member's pledge.
    Pledge,
    /// Chỉ tiêu of the year's criteria set of the cluster's level.
    Criteria,
}

impl TargetSource {
    /// As the pages name it.
    pub fn label_vi(&self) -> &'static str {
        match self {
            TargetSource::Pledge => "giao ước thi đua",
            TargetSource::Criteria => "bảng tiêu chí",
        }
    }

    /// As the API names it.
    pub fn as_str(&self) -> &'static str {
        match self {
            TargetSource::Pledge => "pledge",
            TargetSource::Criteria => "criteria",
        }
    }
}

/// A member's target on an indicator, for the year.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Target {
    /// The figure to reach.
    pub value: f64,
    /// Where it is set.
    pub source: TargetSource,
    /// The year it is for.
    pub year: i32,
}

/// The targets of a cluster's year: each member's pledged ones, and the criteria's.
#[derive(Debug, Clone, Default)]
pub struct Targets {
    year: i32,
    pledged: HashMap<UnitCode, BTreeMap<IndicatorCode, f64>>,
    criteria: BTreeMap<IndicatorCode, f64>,
}

impl Targets {
    /// The member's target on the indicator: its own pledge's, else the criteria's.
    pub fn of(&self, unit: &UnitCode, indicator: &IndicatorCode) -> Option<Target> {
        let target = |value, source| Target {
            value,
            source,
            year: self.year,
        };
        self.pledged
            .get(unit)
            .and_then(|t| t.get(indicator))
            .map(|v| target(*v, TargetSource::Pledge))
            .or_else(|| self.criteria.get(indicator).map(|v| target(*v, TargetSource::Criteria)))
    }
}

/// The targets of the cluster shown, for its year: two reads (its pledge, its level's
/// criteria), either of which may be missing.
async fn targets(app: &App, caller: &Context, shown: &ClusterFigures) -> Result<Targets, Error> {
    let cluster = &shown.open.cluster;
    let level = cluster
        .members
        .first()
        .and_then(|m| caller.directory.tree.get(m))
        .map(|u| u.kind.clone());
    let store = app.store();
    let criteria = async {
        let Some(level) = level else {
            return Ok(BTreeMap::new());
        };
        match store.criteria(&level, cluster.year).await {
            Ok(stored) => Ok(comparison::criteria_targets(&stored.set)),
            Err(StoreError::NotFound { .. }) => Ok(BTreeMap::new()),
            Err(e) => Err(e),
        }
    };
    let (pledge, criteria) = tokio::try_join!(store.pledge(&cluster.code, cluster.year), criteria)?;
    let pledged = pledge
        .map(|p| {
            p.members
                .into_iter()
                .map(|m| {
                    let targets = m
                        .targets
                        .iter()
                        .filter_map(|(c, v)| v.as_f64().map(|x| (c.clone(), x)))
                        .collect();
                    (m.unit, targets)
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Targets {
        year: cluster.year,
        pledged,
        criteria,
    })
}

/// An earlier period of the cluster.
#[derive(Debug, Clone)]
pub struct EarlierPeriod {
    /// The period.
    pub period: Period,
    /// The figures of each of today's members that the caller may see then.
    pub members: HashMap<UnitCode, Figures>,
    /// The cluster's total as constituted that year, when it was and the caller may see
    /// it.
    pub total: Option<Figures>,
}

/// A cluster's members compared for a period.
#[derive(Debug, Clone)]
pub struct ClusterComparison {
    /// The period shown: the cluster, its rollup, the catalog, the view of history.
    pub shown: ClusterFigures,
    /// The earlier periods of the same type with figures, oldest first.
    pub earlier: Vec<EarlierPeriod>,
    /// The earlier period asked for beside them ("so với kỳ"), when one was.
    pub against: Option<EarlierPeriod>,
    /// The year's targets.
    pub targets: Targets,
}

/// The comparisons of cluster `code` for `period` (as [`rollups::cluster`] chooses it)
/// under `view`, and against the earlier period `against` when one is asked for, after
/// the cluster's access check.
pub async fn cluster(
    app: &App,
    caller: &Context,
    code: &str,
    period: Option<&str>,
    view: TreeView,
    against: Option<&str>,
) -> Result<ClusterComparison, Error> {
    let against = against
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(Period::parse)
        .transpose()?;
    let shown = rollups::cluster(app, caller, code, period, view).await?;
    if let Some(base) = against {
        let period = shown.open.period;
        if base.period_type() != period.period_type() || base >= period {
            return Err(Error::Invalid(format!(
                "kỳ so sánh phải là một kỳ cùng loại trước {} (ví dụ: {})",
                period.label_vi(),
                period.same_period_last_year().code()
            )));
        }
    }
    let (earlier, targets) = tokio::try_join!(cluster_history(app, caller, &shown), targets(app, caller, &shown))?;
    let against = match against {
        Some(base) => match earlier.iter().find(|e| e.period == base) {
            Some(found) => Some(found.clone()),
            None => Some(earlier_period(app, caller, &shown, base).await?),
        },
        None => None,
    };
    Ok(ClusterComparison {
        shown,
        earlier,
        against,
        targets,
    })
}

/// One rollup per earlier period with figures ([`earlier_period`]).
async fn cluster_history(app: &App, caller: &Context, shown: &ClusterFigures) -> Result<Vec<EarlierPeriod>, Error> {
    let mut out = Vec::new();
    for period in earlier_with_figures(shown.open.period, &shown.with_data) {
        out.push(earlier_period(app, caller, shown, period).await?);
    }
    Ok(out)
}

/// The cluster's figures in an earlier period: the cluster's rollup when it was
/// constituted that year within what the caller may see; else, on today's tree, today's
/// membership read in that period when the caller may see every member (so a cluster of
/// units that did not exist then still has a total to compare with); and the unit's own
/// figures for a member that was in neither (when the caller may see that unit).
async fn earlier_period(
    app: &App,
    caller: &Context,
    shown: &ClusterFigures,
    period: Period,
) -> Result<EarlierPeriod, Error> {
    let cluster = &shown.open.cluster;
    let directory = &caller.directory;
    let access = caller.access();
    let view = shown.view;
    let mut members = HashMap::new();
    let mut total = None;
    let constituted =
        shown.open.years.contains(&period.year()) && directory.cluster(&cluster.code, period.year()).is_some();
    let rollup = if constituted {
        Some(rollups::cluster_rollup_in(app, directory, &shown.catalog, &cluster.code, period, view).await?)
    } else if view == TreeView::Current && cluster.members.iter().all(|m| access.can_view_unit(m)) {
        Some(rollups::cluster_rollup_of(app, directory, &shown.catalog, cluster, period, view).await?)
    } else {
        None
    };
    if let Some(rollup) = rollup {
        for (unit, figures) in rollup.members {
            members.insert(unit.code, figures);
        }
        total = Some(rollup.total);
    }
    for member in &cluster.members {
        if !members.contains_key(member) && access.can_view_unit(member) {
            let figures = rollups::unit_figures_in(app, directory, &shown.catalog, member, period, view).await?;
            members.insert(member.clone(), figures);
        }
    }
    Ok(EarlierPeriod { period, members, total })
}

/// One member on one indicator.
#[derive(Debug, Clone)]
pub struct MemberComparison<'a> {
    /// The member.
    pub unit: &'a Unit,
    /// Its rank on the indicator, highest first; `None` without a figure.
    pub rank: Option<u32>,
    /// Whether another member shares the rank.
    pub tied: bool,
    /// Its figure.
    pub value: Option<f64>,
    /// Against the cluster's average.
    pub against_average: Option<Change>,
    /// Its figure of the previous period.
    pub previous: Option<f64>,
    /// Against it.
    pub previous_change: Option<Change>,
    /// Its figure of the same period last year.
    pub last_year: Option<f64>,
    /// Against it.
    pub last_year_change: Option<Change>,
    /// Its figure of the earlier period asked for ("so với kỳ").
    pub against: Option<f64>,
    /// Against it.
    pub against_change: Option<Change>,
    /// Its target for the year, when one is set.
    pub target: Option<Target>,
    /// The share of the target reached, in percent.
    pub target_share: Option<f64>,
    /// Its figure against its own earlier periods.
    pub history: Option<HistoryCheck>,
}

/// The members on one indicator, ranked.
#[derive(Debug, Clone)]
pub struct IndicatorComparison<'a> {
    /// The indicator.
    pub indicator: &'a Indicator,
    /// The cluster's figure.
    pub total: Option<f64>,
    /// The cluster's average ([`comparison::cluster_average`]).
    pub average: Option<f64>,
    /// The period before the one shown.
    pub previous_period: Period,
    /// The same period last year.
    pub last_year_period: Period,
    /// The earlier period asked for, when one was.
    pub against_period: Option<Period>,
    /// The cluster's figure then, when it is known.
    pub against_total: Option<f64>,
    /// The cluster's figure now against it.
    pub against_total_change: Option<Change>,
    /// Each member, in rank order, those without a figure last.
    pub members: Vec<MemberComparison<'a>>,
}

/// A figure flagged for review.
#[derive(Debug, Clone)]
pub struct Flagged<'a> {
    /// The unit.
    pub unit: &'a Unit,
    /// The indicator.
    pub indicator: &'a Indicator,
    /// The figure.
    pub value: f64,
    /// How it stands against the unit's history.
    pub check: HistoryCheck,
}

/// A series over periods: a figure per period, `None` where there is none.
pub type Series = Vec<(Period, Option<f64>)>;

impl ClusterComparison {
    /// The period shown.
    pub fn period(&self) -> Period {
        self.shown.open.period
    }

    fn earlier_figures(&self, period: Period) -> Option<&EarlierPeriod> {
        self.earlier.iter().find(|e| e.period == period)
    }

    /// The view of the tree's history the comparison is read under.
    pub fn view(&self) -> TreeView {
        self.shown.view
    }

    /// The earlier periods with figures that the comparison can be set against, newest
    /// first.
    pub fn earlier_periods(&self) -> Vec<Period> {
        self.earlier.iter().rev().map(|e| e.period).collect()
    }

    /// A member's figures in an earlier period, when it has any there.
    fn member_then(&self, unit: &UnitCode, period: Period, indicator: &IndicatorCode) -> Option<f64> {
        self.earlier_figures(period)
            .and_then(|e| e.members.get(unit))
            .and_then(|f| f.number(indicator))
    }

    /// A member's figures in every earlier period that has one.
    fn member_history(&self, unit: &UnitCode, indicator: &IndicatorCode) -> Vec<f64> {
        self.earlier
            .iter()
            .filter_map(|e| e.members.get(unit).and_then(|f| f.number(indicator)))
            .collect()
    }

    /// The members on `indicator`, ranked (equals in Vietnamese order), each against the
    /// cluster's average, its previous period, the same period last year and its target.
    pub fn on<'a>(&'a self, indicator: &'a Indicator, collator: &Collator) -> IndicatorComparison<'a> {
        let code = &indicator.code;
        let rollup = &self.shown.rollup;
        let total = rollup.total.number(code);
        let average = comparison::cluster_average(indicator, rollup.members.iter().map(|(_, f)| f.number(code)), total);
        let (previous_period, last_year_period) = (self.period().previous(), self.period().same_period_last_year());
        let items: Vec<(&Unit, Option<f64>)> = rollup.members.iter().map(|(u, f)| (u, f.number(code))).collect();
        let members = comparison::rank_by_value(items, |u| u.name.as_str(), collator)
            .into_iter()
            .map(|place| {
                let unit = place.item;
                let value = place.value;
                let previous = self.member_then(&unit.code, previous_period, code);
                let last_year = self.member_then(&unit.code, last_year_period, code);
                let then = self
                    .against
                    .as_ref()
                    .and_then(|e| e.members.get(&unit.code))
                    .and_then(|f| f.number(code));
                let against = |base: Option<f64>| value.zip(base).map(|(v, b)| comparison::change(v, b));
                let target = self.targets.of(&unit.code, code);
                MemberComparison {
                    unit,
                    rank: place.rank,
                    tied: place.tied,
                    value,
                    against_average: against(average),
                    previous,
                    previous_change: against(previous),
                    last_year,
                    last_year_change: against(last_year),
                    against: then,
                    against_change: against(then),
                    target,
                    target_share: value
                        .zip(target)
                        .and_then(|(v, t)| comparison::share_of_target(v, t.value)),
                    history: value
                        .and_then(|v| comparison::check_against_history(v, &self.member_history(&unit.code, code))),
                }
            })
            .collect();
        let against_total = self
            .against
            .as_ref()
            .and_then(|e| e.total.as_ref())
            .and_then(|t| t.number(code));
        IndicatorComparison {
            indicator,
            total,
            average,
            previous_period,
            last_year_period,
            against_period: self.against.as_ref().map(|e| e.period),
            against_total,
            against_total_change: total.zip(against_total).map(|(v, b)| comparison::change(v, b)),
            members,
        }
    }

    /// The cluster's figure on `indicator` over time, up to the period shown, oldest
    /// first (the cluster as constituted each year).
    pub fn totals(&self, indicator: &IndicatorCode) -> Series {
        let earlier: Vec<Period> = self.earlier.iter().map(|e| e.period).collect();
        trend_periods(self.period(), &earlier)
            .into_iter()
            .map(|p| {
                let value = if p == self.period() {
                    self.shown.rollup.total.number(indicator)
                } else {
                    self.earlier_figures(p)
                        .and_then(|e| e.total.as_ref())
                        .and_then(|t| t.number(indicator))
                };
                (p, value)
            })
            .collect()
    }

    /// Members reaching `threshold` on `indicator`, highest first ("đạt 98% trở lên").
    pub fn reaching(&self, indicator: &IndicatorCode, threshold: f64) -> Vec<(&Unit, f64)> {
        self.shown.rollup.members_reaching(indicator, threshold)
    }

    /// Every member's figure of the period shown that lies far outside its own history
    /// ([`comparison::OUTLIER_RULE`]), in the cluster's order and the catalog's.
    pub fn flagged(&self) -> Vec<Flagged<'_>> {
        let catalog = &self.shown.catalog;
        let mut out = Vec::new();
        for (unit, figures) in &self.shown.rollup.members {
            for indicator in catalog.indicators().iter().filter(|i| i.value_type != ValueType::Text) {
                let Some(value) = figures.number(&indicator.code) else {
                    continue;
                };
                let history = self.member_history(&unit.code, &indicator.code);
                if let Some(check) = comparison::check_against_history(value, &history).filter(|c| c.outlier) {
                    out.push(Flagged {
                        unit,
                        indicator,
                        value,
                        check,
                    });
                }
            }
        }
        out
    }
}

/// How a member's status counts in the reporting rate: a form sent (on time when sent by
/// the window's deadline), complete official figures imported without a form, or nothing.
pub fn reported(status: &MemberStatus) -> Reported {
    match status.state {
        Some(state) if state.is_sent() => Reported::Sent {
            on_time: status.late == Some(false),
        },
        Some(_) => Reported::NotSent,
        None if status.missing.is_empty() => Reported::FromFile,
        None => Reported::NotSent,
    }
}

/// A cluster's reporting rate and on-time rate, from its members' statuses
/// ([`rollups::completeness`]).
pub fn reporting_rate(statuses: &[MemberStatus]) -> ReportingRate {
    ReportingRate::of(statuses.iter().map(reported))
}

/// The reporting of one level of units below a unit.
#[derive(Debug, Clone)]
pub struct LevelReporting {
    /// The level (`district`, `ward`, …).
    pub kind: String,
    /// Each unit of the level and how it stands, in Vietnamese order.
    pub units: Vec<(Unit, Reported)>,
    /// The rate over them.
    pub rate: ReportingRate,
}

/// The reporting rate of the units directly below the unit shown, per level (the kind of
/// unit), for its period: each unit's own form (sent, and by the deadline), or else its
/// official figures imported complete (every reported indicator has a figure over its
/// subtree). One form read per unit below, and one rollup for each without a form.
pub async fn units_below(
    app: &App,
    caller: &Context,
    shown: &UnitFigures,
    collator: &Collator,
) -> Result<Vec<LevelReporting>, Error> {
    let period = shown.period;
    let tree = &caller.directory.tree;
    let mut children: Vec<&Unit> = tree
        .children(&shown.unit.code)
        .filter(|u| u.is_active_on(period.start()) || u.is_active_on(period.end()))
        .collect();
    if children.is_empty() {
        return Ok(Vec::new());
    }
    collator.sort_by_key(&mut children, |u| u.name.as_str());
    let store = app.store();
    let window = store.reporting_window(period).await?;
    let reported_indicators: Vec<&IndicatorCode> = shown
        .catalog
        .indicators()
        .iter()
        .filter(|i| !i.is_computed())
        .map(|i| &i.code)
        .collect();
    let mut levels: Vec<LevelReporting> = Vec::new();
    for child in children {
        let form = store.submission(&child.code, period).await?;
        let status = if form.version > 0 {
            let submitted = form
                .submitted_at
                .as_deref()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.date_naive());
            if form.state.is_sent() {
                Reported::Sent {
                    on_time: submitted.is_some_and(|d| !window.is_late(d)),
                }
            } else {
                Reported::NotSent
            }
        } else {
            let figures = rollups::unit_figures(app, &caller.directory, &shown.catalog, &child.code, period).await?;
            if !reported_indicators.is_empty() && reported_indicators.iter().all(|c| figures.get(c).is_some()) {
                Reported::FromFile
            } else {
                Reported::NotSent
            }
        };
        match levels.iter_mut().find(|l| l.kind == child.kind) {
            Some(level) => level.units.push((child.clone(), status)),
            None => levels.push(LevelReporting {
                kind: child.kind.clone(),
                units: vec![(child.clone(), status)],
                rate: ReportingRate::default(),
            }),
        }
    }
    for level in &mut levels {
        level.rate = ReportingRate::of(level.units.iter().map(|(_, s)| *s));
    }
    Ok(levels)
}

/// A unit's figures for a period and its earlier periods of the same type.
#[derive(Debug, Clone)]
pub struct UnitTrend {
    /// The period shown: the unit, its figures, the catalog.
    pub shown: UnitFigures,
    /// The earlier periods of the same type with figures, oldest first.
    pub earlier: Vec<(Period, Figures)>,
}

/// One indicator of a unit against its earlier periods.
#[derive(Debug, Clone)]
pub struct UnitLine<'a> {
    /// The indicator.
    pub indicator: &'a Indicator,
    /// The figure of the period shown.
    pub value: Option<f64>,
    /// The previous period's.
    pub previous: Option<f64>,
    /// Against it.
    pub previous_change: Option<Change>,
    /// The same period last year's.
    pub last_year: Option<f64>,
    /// Against it.
    pub last_year_change: Option<Change>,
    /// Against the unit's history.
    pub history: Option<HistoryCheck>,
}

/// Unit `code` for `period` (or as `default` chooses) with its earlier periods under
/// `view`, after the unit's access check.
pub async fn unit(
    app: &App,
    caller: &Context,
    code: &str,
    period: Option<&str>,
    default: DefaultPeriod,
    view: TreeView,
) -> Result<UnitTrend, Error> {
    let shown = rollups::unit(app, caller, code, period, default, view).await?;
    let mut earlier = Vec::new();
    for p in earlier_with_figures(shown.period, &shown.with_data) {
        let figures =
            rollups::unit_figures_in(app, &caller.directory, &shown.catalog, &shown.unit.code, p, view).await?;
        earlier.push((p, figures));
    }
    Ok(UnitTrend { shown, earlier })
}

impl UnitTrend {
    fn then(&self, period: Period, indicator: &IndicatorCode) -> Option<f64> {
        self.earlier
            .iter()
            .find(|(p, _)| *p == period)
            .and_then(|(_, f)| f.number(indicator))
    }

    /// The indicator's figure over time, up to the period shown, oldest first.
    pub fn series(&self, indicator: &IndicatorCode) -> Series {
        let earlier: Vec<Period> = self.earlier.iter().map(|(p, _)| *p).collect();
        trend_periods(self.shown.period, &earlier)
            .into_iter()
            .map(|p| {
                let value = if p == self.shown.period {
                    self.shown.figures.number(indicator)
                } else {
                    self.then(p, indicator)
                };
                (p, value)
            })
            .collect()
    }

    /// One indicator against the previous period, the same period last year and the
    /// unit's history.
    pub fn line<'a>(&'a self, indicator: &'a Indicator) -> UnitLine<'a> {
        let code = &indicator.code;
        let period = self.shown.period;
        let value = self.shown.figures.number(code);
        let previous = self.then(period.previous(), code);
        let last_year = self.then(period.same_period_last_year(), code);
        let against = |base: Option<f64>| value.zip(base).map(|(v, b)| comparison::change(v, b));
        let history: Vec<f64> = self.earlier.iter().filter_map(|(_, f)| f.number(code)).collect();
        UnitLine {
            indicator,
            value,
            previous,
            previous_change: against(previous),
            last_year,
            last_year_change: against(last_year),
            history: value.and_then(|v| comparison::check_against_history(v, &history)),
        }
    }

    /// Every number indicator of the catalog, in order.
    pub fn lines(&self) -> Vec<UnitLine<'_>> {
        self.shown
            .catalog
            .indicators()
            .iter()
            .filter(|i| i.value_type != ValueType::Text)
            .map(|i| self.line(i))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(code: &str) -> Period {
        Period::parse(code).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn only_earlier_periods_with_figures_cost_a_rollup() {
        let with_data = [p("2022S1"), p("2021Q4"), p("2020S1"), p("2019")];
        // 2021Q4 lies in 2021S2; a whole year lies in no half-year.
        assert_eq!(
            earlier_with_figures(p("2022S1"), &with_data),
            [p("2020S1"), p("2021S2")]
        );
    }

    #[test]
    fn a_trend_has_every_period_from_the_first_with_figures_gaps_included() {
        assert_eq!(
            trend_periods(p("2022S1"), &[p("2020S2"), p("2021S2")]),
            [p("2020S2"), p("2021S1"), p("2021S2"), p("2022S1")]
        );
        assert_eq!(trend_periods(p("2022S1"), &[]), [p("2022S1")]);
    }

    #[test]
    fn a_month_s_history_reaches_the_same_month_last_year() {
        let earlier = comparison::earlier_periods(p("202207"), history_length(PeriodType::Month));
        assert!(earlier.contains(&p("202107")));
    }
}
