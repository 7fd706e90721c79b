//! Tổng hợp số liệu — the rollup views, for the pages and the JSON API: a cluster's
//! figures for a period (each member's subtree and the whole cluster, with who has
//! reported), and a unit's figures over its subtree, each as the caller may see them;
//! and the same over a range of periods (`2025Q1..2025Q3`, see
//! [`thidua_core::PeriodRange`]), which the engine adds up period by period.

use std::sync::Arc;

use thidua_core::cube::{ClusterRangeRollup, Cube};
use thidua_core::lineage::TreeView;
use thidua_core::rollup::{ClusterRollup, Figures};
use thidua_core::{Catalog, Cluster, ClusterCode, Period, PeriodRange, Unit, UnitCode};
use thidua_store::MemberStatus;

use crate::clusters::{OpenCluster, ensure_can_view_unit};
use crate::engine::Engine;
use crate::forms::today;
use crate::{App, Context, Directory, Error};

/// Reads from the server's engine; a command answers from the raw values instead, except
/// for today's tree, which only the engine knows: it builds one for the answer.
async fn from_engine<T>(
    app: &App,
    directory: &Directory,
    view: TreeView,
    read: impl FnOnce(&Cube) -> T,
) -> Result<Option<T>, Error> {
    match app.engine() {
        None if view == TreeView::AsItWas => Ok(None),
        _ => Ok(Some(from_any_engine(app, directory, read).await?)),
    }
}

/// Reads from the server's engine, or from one built for the answer (a command): what
/// only the engine computes — today's tree, a range of several periods.
async fn from_any_engine<T>(app: &App, directory: &Directory, read: impl FnOnce(&Cube) -> T) -> Result<T, Error> {
    match app.engine() {
        Some(engine) => engine.read(app.store(), directory, |cube, _| read(cube)).await,
        None => {
            Engine::default()
                .read(app.store(), directory, |cube, _| read(cube))
                .await
        }
    }
}

/// A cluster's figures for a period — each member's subtree and the total — with the
/// cluster as constituted in the period's year and the unit tree as it was then.
pub async fn cluster_rollup(
    app: &App,
    directory: &Directory,
    catalog: &Catalog,
    code: &ClusterCode,
    period: Period,
) -> Result<ClusterRollup, Error> {
    cluster_rollup_in(app, directory, catalog, code, period, TreeView::AsItWas).await
}

/// A cluster's figures for a period under one view of the tree's history: as it was in
/// the period, or today's (each member's figures then include its predecessors').
pub async fn cluster_rollup_in(
    app: &App,
    directory: &Directory,
    catalog: &Catalog,
    code: &ClusterCode,
    period: Period,
    view: TreeView,
) -> Result<ClusterRollup, Error> {
    let cluster = directory
        .cluster(code, period.year())
        .ok_or_else(|| Error::NotFound(format!("cụm thi đua «{code}» chưa được lập cho năm {}", period.year())))?;
    cluster_rollup_of(app, directory, catalog, cluster, period, view).await
}

/// The figures of `cluster`'s members for any period, whatever year the membership is of:
/// on today's tree, today's cluster in a year before it was constituted (its members'
/// predecessors' figures, as "this year against three years ago" needs).
pub async fn cluster_rollup_of(
    app: &App,
    directory: &Directory,
    catalog: &Catalog,
    cluster: &Cluster,
    period: Period,
    view: TreeView,
) -> Result<ClusterRollup, Error> {
    if let Some(rollup) = from_engine(app, directory, view, |cube| {
        cube.cluster(&directory.tree, cluster, period, view)
    })
    .await?
    {
        return Ok(rollup);
    }
    let values = app.store().cluster_values(cluster, period).await?;
    Ok(thidua_core::rollup::rollup_cluster(
        catalog,
        &directory.tree,
        cluster,
        period,
        &values,
    ))
}

/// A unit's figures over its subtree for a period, in the tree as it was then.
pub async fn unit_figures(
    app: &App,
    directory: &Directory,
    catalog: &Catalog,
    code: &UnitCode,
    period: Period,
) -> Result<Figures, Error> {
    unit_figures_in(app, directory, catalog, code, period, TreeView::AsItWas).await
}

/// A unit's figures over its subtree for a period, under one view of the tree's history.
pub async fn unit_figures_in(
    app: &App,
    directory: &Directory,
    catalog: &Catalog,
    code: &UnitCode,
    period: Period,
    view: TreeView,
) -> Result<Figures, Error> {
    if let Some(figures) = from_engine(app, directory, view, |cube| cube.unit_figures(code, period, view)).await? {
        return Ok(figures);
    }
    let values = app.store().subtree_values(code, period).await?;
    Ok(thidua_core::rollup::unit_figures(
        catalog,
        &directory.tree,
        code,
        period,
        &values,
    ))
}

/// A cluster's figures over a range of periods — each member's subtree and the total —
/// with the cluster as constituted in the range's last year (the membership shown is the
/// one whose figures are added up over every period of the range).
pub async fn cluster_rollup_over(
    app: &App,
    directory: &Directory,
    catalog: &Catalog,
    code: &ClusterCode,
    range: PeriodRange,
    view: TreeView,
) -> Result<ClusterRangeRollup, Error> {
    let year = range.last().year();
    let cluster = directory
        .cluster(code, year)
        .ok_or_else(|| Error::NotFound(format!("cụm thi đua «{code}» chưa được lập cho năm {year}")))?;
    cluster_rollup_over_of(app, directory, catalog, cluster, range, view).await
}

/// The figures of `cluster`'s members over a range of periods. A range of one period is
/// answered as that period is; a longer one by the engine (one built for the answer
/// when there is none, as for a command), which adds the periods up by its rules.
pub async fn cluster_rollup_over_of(
    app: &App,
    directory: &Directory,
    catalog: &Catalog,
    cluster: &Cluster,
    range: PeriodRange,
    view: TreeView,
) -> Result<ClusterRangeRollup, Error> {
    if range.is_single() {
        let rollup = cluster_rollup_of(app, directory, catalog, cluster, range.first(), view).await?;
        return Ok(ClusterRangeRollup {
            cluster: rollup.cluster,
            range,
            members: rollup.members,
            total: rollup.total,
        });
    }
    from_any_engine(app, directory, |cube| {
        cube.cluster_over(&directory.tree, cluster, range, view)
    })
    .await
}

/// A unit's figures over its subtree for a range of periods, under one view of the
/// tree's history (a range of one period is answered as that period is).
pub async fn unit_figures_over(
    app: &App,
    directory: &Directory,
    catalog: &Catalog,
    code: &UnitCode,
    range: PeriodRange,
    view: TreeView,
) -> Result<Figures, Error> {
    if range.is_single() {
        return unit_figures_in(app, directory, catalog, code, range.first(), view).await;
    }
    from_any_engine(app, directory, |cube| cube.unit_figures_over(code, range, view)).await
}

/// The periods for which any unit in the subtrees of `units` has a value, newest first,
/// in the tree as it was.
pub async fn periods_with_values(app: &App, directory: &Directory, units: &[UnitCode]) -> Result<Vec<Period>, Error> {
    periods_with_values_in(app, directory, units, TreeView::AsItWas).await
}

/// The periods with values under one view (today's tree counts predecessors' periods).
pub async fn periods_with_values_in(
    app: &App,
    directory: &Directory,
    units: &[UnitCode],
    view: TreeView,
) -> Result<Vec<Period>, Error> {
    match from_engine(app, directory, view, |cube| cube.periods_with_values(units, view)).await? {
        Some(periods) => Ok(periods),
        None => Ok(app.store().periods_with_values(units).await?),
    }
}

/// A cluster's figures for a period, as one caller may see them.
#[derive(Debug, Clone)]
pub struct ClusterFigures {
    /// The cluster, the period shown and the years the caller may see.
    pub open: OpenCluster,
    /// Each member's figures over its subtree, and the cluster's total.
    pub rollup: ClusterRollup,
    /// The indicators.
    pub catalog: Arc<Catalog>,
    /// The periods the cluster's members have figures for, newest first.
    pub with_data: Vec<Period>,
    /// The view of the tree's history the figures are read under.
    pub view: TreeView,
}

/// The figures of cluster `code` for `period` (or the latest period with data in a year
/// the caller may see) under `view`, after the cluster's access check.
pub async fn cluster(
    app: &App,
    caller: &Context,
    code: &str,
    period: Option<&str>,
    view: TreeView,
) -> Result<ClusterFigures, Error> {
    let open = crate::clusters::open(app, caller, code, period).await?;
    let directory = &caller.directory;
    let members = &open.cluster.members;
    // One read of the engine for both (each read asks the database for the values'
    // generation; the JSON API answers in about a millisecond, so a round trip counts).
    let read = from_engine(app, directory, view, |cube| {
        (
            cube.periods_with_values(members, view),
            cube.cluster(&directory.tree, &open.cluster, open.period, view),
        )
    })
    .await?;
    let (with_data, rollup) = match read {
        Some(both) => both,
        None => (
            app.store().periods_with_values(members).await?,
            cluster_rollup_of(app, directory, &directory.catalog, &open.cluster, open.period, view).await?,
        ),
    };
    Ok(ClusterFigures {
        open,
        rollup,
        catalog: directory.catalog.clone(),
        with_data,
        view,
    })
}

/// Each member's reporting status for the period shown: sent or not, on time, what is
/// missing. The page decides what of it each viewer is told.
pub async fn completeness(app: &App, figures: &ClusterFigures) -> Result<Vec<MemberStatus>, Error> {
    Ok(app
        .store()
        .completeness(&figures.open.cluster, figures.open.period)
        .await?)
}

/// A unit's figures over its subtree for a period, as one caller may see them.
#[derive(Debug, Clone)]
pub struct UnitFigures {
    /// The unit.
    pub unit: Unit,
    /// The period shown.
    pub period: Period,
    /// Its figures over its subtree.
    pub figures: Figures,
    /// The indicators.
    pub catalog: Arc<Catalog>,
    /// The periods the unit's subtree has figures for, newest first.
    pub with_data: Vec<Period>,
    /// The view of the tree's history the figures are read under.
    pub view: TreeView,
}

/// How a unit's period is chosen when none is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultPeriod {
    /// The latest period with figures, else the current half-year (the unit's page).
    LatestWithData,
    /// None: the period must be given (the API).
    Required,
}

/// The figures of unit `code` for `period` under `view`, after the unit's access check.
pub async fn unit(
    app: &App,
    caller: &Context,
    code: &str,
    period: Option<&str>,
    default: DefaultPeriod,
    view: TreeView,
) -> Result<UnitFigures, Error> {
    let not_found = || Error::NotFound(format!("không tìm thấy đơn vị «{code}»"));
    let unit_code = UnitCode::parse(code).map_err(|_| not_found())?;
    // The request itself is checked before the unit is looked up (as the API always has).
    let asked = period.filter(|p| !p.trim().is_empty()).map(Period::parse).transpose()?;
    if asked.is_none() && default == DefaultPeriod::Required {
        return Err(Error::Invalid("thiếu tham số period (ví dụ: ?period=2022S1)".into()));
    }
    let directory = &caller.directory;
    let unit = directory.tree.get(&unit_code).cloned().ok_or_else(not_found)?;
    ensure_can_view_unit(caller, &unit)?;
    let latest_or_now = |with_data: &[Period]| {
        asked.unwrap_or_else(|| {
            with_data
                .first()
                .copied()
                .unwrap_or_else(|| Period::half_year_of(today()))
        })
    };
    let units = std::slice::from_ref(&unit_code);
    // One read of the engine for both, as for a cluster.
    let read = from_engine(app, directory, view, |cube| {
        let with_data = cube.periods_with_values(units, view);
        let period = latest_or_now(&with_data);
        (with_data, period, cube.unit_figures(&unit_code, period, view))
    })
    .await?;
    let (with_data, period, figures) = match read {
        Some(all) => all,
        None => {
            let with_data = app.store().periods_with_values(units).await?;
            let period = latest_or_now(&with_data);
            let figures = unit_figures_in(app, directory, &directory.catalog, &unit_code, period, view).await?;
            (with_data, period, figures)
        }
    };
    Ok(UnitFigures {
        unit,
        period,
        figures,
        catalog: directory.catalog.clone(),
        with_data,
        view,
    })
}

/// A cluster's figures over a range of periods, as one caller may see them.
#[derive(Debug, Clone)]
pub struct ClusterRangeFigures {
    /// The cluster as constituted in the range's last period (the period `open` shows),
    /// and the years the caller may see.
    pub open: OpenCluster,
    /// Each member's figures over its subtree, and the cluster's total, over the range.
    pub rollup: ClusterRangeRollup,
    /// The indicators.
    pub catalog: Arc<Catalog>,
    /// The view of the tree's history the figures are read under.
    pub view: TreeView,
}

/// The figures of cluster `code` over the range `asked` (`2025Q1..2025Q3`, or one period
/// code; absent, the latest period with data as [`cluster`] chooses it) under `view`,
/// after the cluster's access check for the range's last year, whose membership is
/// shown. A malformed range is refused before anything is looked up.
pub async fn cluster_over(
    app: &App,
    caller: &Context,
    code: &str,
    asked: Option<&str>,
    view: TreeView,
) -> Result<ClusterRangeFigures, Error> {
    let range = asked
        .filter(|p| !p.trim().is_empty())
        .map(PeriodRange::parse)
        .transpose()?;
    let Some(range) = range.filter(|r| !r.is_single()) else {
        let shown = cluster(app, caller, code, range.map(|r| r.first().code()).as_deref(), view).await?;
        let rollup = ClusterRangeRollup {
            cluster: shown.rollup.cluster,
            range: PeriodRange::single(shown.rollup.period),
            members: shown.rollup.members,
            total: shown.rollup.total,
        };
        return Ok(ClusterRangeFigures {
            open: shown.open,
            rollup,
            catalog: shown.catalog,
            view,
        });
    };
    let open = crate::clusters::open(app, caller, code, Some(&range.last().code())).await?;
    let catalog = caller.directory.catalog.clone();
    let rollup = cluster_rollup_over_of(app, &caller.directory, &catalog, &open.cluster, range, view).await?;
    Ok(ClusterRangeFigures {
        open,
        rollup,
        catalog,
        view,
    })
}

/// A unit's figures over its subtree for a range of periods, as one caller may see them.
#[derive(Debug, Clone)]
pub struct UnitRangeFigures {
    /// The unit.
    pub unit: Unit,
    /// The periods added up.
    pub range: PeriodRange,
    /// Its figures over its subtree and the range.
    pub figures: Figures,
    /// The indicators.
    pub catalog: Arc<Catalog>,
    /// The view of the tree's history the figures are read under.
    pub view: TreeView,
}

/// The figures of unit `code` over the range `asked` (one period code is a range of one;
/// absent, as [`unit`] chooses by `default`) under `view`, after the unit's access check.
/// A malformed range is refused before the unit is looked up.
pub async fn unit_over(
    app: &App,
    caller: &Context,
    code: &str,
    asked: Option<&str>,
    default: DefaultPeriod,
    view: TreeView,
) -> Result<UnitRangeFigures, Error> {
    let range = asked
        .filter(|p| !p.trim().is_empty())
        .map(PeriodRange::parse)
        .transpose()?;
    let Some(range) = range.filter(|r| !r.is_single()) else {
        let period = range.map(|r| r.first().code());
        let shown = unit(app, caller, code, period.as_deref(), default, view).await?;
        return Ok(UnitRangeFigures {
            unit: shown.unit,
            range: PeriodRange::single(shown.period),
            figures: shown.figures,
            catalog: shown.catalog,
            view,
        });
    };
    let not_found = || Error::NotFound(format!("không tìm thấy đơn vị «{code}»"));
    let unit_code = UnitCode::parse(code).map_err(|_| not_found())?;
    let unit = caller.directory.tree.get(&unit_code).cloned().ok_or_else(not_found)?;
    ensure_can_view_unit(caller, &unit)?;
    let catalog = caller.directory.catalog.clone();
    let figures = unit_figures_over(app, &caller.directory, &catalog, &unit_code, range, view).await?;
    Ok(UnitRangeFigures {
        unit,
        range,
        figures,
        catalog,
        view,
    })
}
