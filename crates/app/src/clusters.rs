//! Opening a cluster, a unit or a search for a caller: what they may see of the directory,
//! decided once here for the pages, the JSON API and the CLI.

use thidua_core::{Cluster, ClusterCode, Period, Unit};
use thidua_store::SearchHit;

use crate::{App, Context, Error};

/// Most search results anyone reads.
pub const SEARCH_LIMIT: usize = 100;

/// A cluster opened for a caller: as constituted in the period shown, with the years the
/// caller may see, newest first.
#[derive(Debug, Clone)]
pub struct OpenCluster {
    /// The cluster in the period's year.
    pub cluster: Cluster,
    /// The period shown.
    pub period: Period,
    /// The years of the cluster the caller may see, newest first.
    pub years: Vec<i32>,
}

/// The cluster `code` in the period asked for — or else the latest period with data, or
/// else the first half of its latest year — among the years the caller may see.
///
/// Access is checked before any year is named: someone who may see no year of the
/// cluster is refused without learning one, and a year outside the caller's part is
/// answered as a year the cluster does not have, so that asking year by year tells
/// nothing either.
pub async fn open(app: &App, caller: &Context, code: &str, period: Option<&str>) -> Result<OpenCluster, Error> {
    let not_found = || Error::NotFound(format!("không tìm thấy cụm thi đua «{code}»"));
    let code = ClusterCode::parse(code).map_err(|_| not_found())?;
    let directory = &caller.directory;
    if !directory.clusters.iter().any(|c| c.code == code) {
        return Err(not_found());
    }
    let years = caller.access().visible_years(&code);
    let Some(&latest) = years.first() else {
        return Err(Error::Forbidden(format!("bạn không có quyền xem cụm thi đua «{code}»")));
    };
    let period = match period.filter(|p| !p.trim().is_empty()) {
        Some(p) => Period::parse(p)?,
        None => {
            let members = directory
                .cluster(&code, latest)
                .map(|c| c.members.clone())
                .unwrap_or_default();
            let with_data = crate::rollups::periods_with_values(app, directory, &members).await?;
            // The latest period with data in a year the caller may see, else its newest year.
            with_data
                .into_iter()
                .find(|p| years.contains(&p.year()))
                .unwrap_or(Period::HalfYear(latest, 1))
        }
    };
    let Some(cluster) = directory
        .cluster(&code, period.year())
        .filter(|_| years.contains(&period.year()))
    else {
        let list: Vec<String> = years.iter().map(i32::to_string).collect();
        // The same answer whether the year exists outside the caller's part or not at all.
        let all_years = directory.clusters.iter().filter(|c| c.code == code).count();
        let within = if years.len() < all_years {
            " trong phạm vi của bạn"
        } else {
            ""
        };
        return Err(Error::NotFound(format!(
            "cụm thi đua «{code}» chưa được lập cho năm {}{within} (có các năm: {})",
            period.year(),
            list.join(", ")
        )));
    };
    Ok(OpenCluster {
        cluster: cluster.clone(),
        period,
        years,
    })
}

/// Refuses a cluster outside the caller's part of the hierarchy.
pub fn ensure_can_view_cluster(caller: &Context, cluster: &Cluster) -> Result<(), Error> {
    if caller.access().can_view_cluster(cluster) {
        Ok(())
    } else {
        Err(Error::Forbidden(format!(
            "bạn không có quyền xem {} năm {}",
            cluster.name, cluster.year
        )))
    }
}

/// Refuses a unit outside the caller's part of the hierarchy.
pub fn ensure_can_view_unit(caller: &Context, unit: &Unit) -> Result<(), Error> {
    if caller.access().can_view_unit(&unit.code) {
        Ok(())
    } else {
        Err(Error::Forbidden(format!(
            "bạn không có quyền xem số liệu của {}",
            unit.name
        )))
    }
}

/// Search hits the caller may open: units and clusters within their part, and every
/// indicator (the catalog is not secret). `query` is NFC already.
pub async fn search(app: &App, caller: &Context, query: &str) -> Result<Vec<SearchHit>, Error> {
    let hits = app.store().search(query, SEARCH_LIMIT).await?;
    let access = caller.access();
    Ok(hits
        .into_iter()
        .filter(|hit| match hit.kind {
            "unit" => thidua_core::UnitCode::parse(&hit.code).is_ok_and(|c| access.can_view_unit(&c)),
            "cluster" => caller
                .directory
                .clusters
                .iter()
                .any(|c| c.code.as_str() == hit.code && access.can_view_cluster(c)),
            _ => true,
        })
        .collect())
}
