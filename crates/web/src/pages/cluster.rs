//! Trang cụm thi đua — a cluster's figures for a period: per indicator group, a table of
//! members × indicators with the cluster's total, formula indicators computed on the
//! totals.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use thidua_core::{Cluster, ClusterCode, Period};

use super::PeriodQuery;
use crate::AppState;
use crate::error::AppError;
use crate::view::{GroupTable, PeriodOption, group_tables, period_options};

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/clusters/{code}", get(cluster_page))
}

#[derive(Template, WebTemplate)]
#[template(path = "cluster.html")]
struct ClusterPage {
    title: String,
    query: String,
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
}

/// Finds the cluster and the period to show: the one asked for, or else the latest with
/// data, or else the first half of the cluster's latest year.
pub(crate) async fn resolve_cluster(
    state: &AppState,
    code: &str,
    period: Option<&str>,
) -> Result<(Cluster, Period, Vec<i32>), AppError> {
    let not_found = || AppError::NotFound(format!("không tìm thấy cụm thi đua «{code}»"));
    let code = ClusterCode::parse(code).map_err(|_| not_found())?;
    let years = state.store.cluster_years(&code).await?;
    let Some(&latest) = years.first() else {
        return Err(not_found());
    };
    let period = match period.filter(|p| !p.trim().is_empty()) {
        Some(p) => Period::parse(p)?,
        None => {
            let members = state.store.cluster(&code, latest).await?.members;
            let with_data = state.store.periods_with_values(&members).await?;
            with_data
                .into_iter()
                .find(|p| p.year() == latest)
                .unwrap_or(Period::HalfYear(latest, 1))
        }
    };
    if !years.contains(&period.year()) {
        let list: Vec<String> = years.iter().map(i32::to_string).collect();
        return Err(AppError::NotFound(format!(
            "cụm thi đua «{code}» chưa được lập cho năm {} (có các năm: {})",
            period.year(),
            list.join(", ")
        )));
    }
    let cluster = state.store.cluster(&code, period.year()).await?;
    Ok((cluster, period, years))
}

async fn cluster_page(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(query): Query<PeriodQuery>,
) -> Result<ClusterPage, AppError> {
    let (cluster, period, years) = resolve_cluster(&state, &code, query.period.as_deref()).await?;
    let (rollup, catalog, tree, with_data) = tokio::try_join!(
        state.store.rollup_cluster(&cluster.code, period),
        state.store.catalog(),
        state.store.unit_tree(),
        state.store.periods_with_values(&cluster.members),
    )?;
    let members: Vec<(String, String, &thidua_core::rollup::Figures)> = rollup
        .members
        .iter()
        .map(|(u, f)| (u.code.to_string(), u.short_name().to_owned(), f))
        .collect();
    let reporting = rollup.members.iter().filter(|(_, f)| !f.is_empty()).count();
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
        code: cluster.code.to_string(),
        name: cluster.name.clone(),
        year: cluster.year,
        period_code: period.code(),
        period_label: period.label_vi(),
        periods: period_options(&years, &with_data, period),
        roles,
        reporting,
        member_count: cluster.members.len(),
        tables: group_tables(&catalog, &members, "Toàn cụm", &rollup.total),
    })
}
