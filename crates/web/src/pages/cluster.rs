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
use crate::auth::{CurrentUser, Me, Scope};
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
    can_open: bool,
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
            // The latest period with data in a year the cluster exists, else its newest year.
            with_data
                .into_iter()
                .find(|p| years.contains(&p.year()))
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

/// Refuses a cluster outside the user's part of the hierarchy.
pub(crate) fn ensure_can_view_cluster(
    scope: &Scope,
    principal: &thidua_core::Principal,
    cluster: &Cluster,
) -> Result<(), AppError> {
    if scope.access(principal).can_view_cluster(cluster) {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "bạn không có quyền xem {} năm {}",
            cluster.name, cluster.year
        )))
    }
}

async fn cluster_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    Query(query): Query<PeriodQuery>,
) -> Result<ClusterPage, AppError> {
    let (cluster, period, years) = resolve_cluster(&state, &code, query.period.as_deref()).await?;
    let scope = Scope::load(&state).await?;
    let principal = user.principal();
    ensure_can_view_cluster(&scope, &principal, &cluster)?;
    let (rollup, catalog, with_data) = tokio::try_join!(
        state.store.rollup_cluster(&cluster.code, period),
        state.store.catalog(),
        state.store.periods_with_values(&cluster.members),
    )?;
    // The access check already loaded the tree; no second load for the names.
    let tree = &scope.tree;
    let members: Vec<(String, String, &thidua_core::rollup::Figures)> = rollup
        .members
        .iter()
        .map(|(u, f)| (u.code.to_string(), u.short_name().to_owned(), f))
        .collect();
    let reporting = rollup.members.iter().filter(|(_, f)| !f.is_empty()).count();
    let access = scope.access(&principal);
    let statuses = state
        .store
        .completeness(&cluster, period)
        .await?
        .into_iter()
        .map(|s| {
            let name_of_indicator =
                |c: &thidua_core::IndicatorCode| catalog.get(c).map_or_else(|| c.to_string(), |i| i.name.clone());
            StatusLine {
                unit_name: tree
                    .get(&s.unit)
                    .map_or_else(|| s.unit.to_string(), |u| u.short_name().to_owned()),
                state: match s.state {
                    Some(st) => st.label_vi().to_owned(),
                    None if s.missing.is_empty() => "Số liệu nhập từ tệp".to_owned(),
                    None => "Chưa nhập".to_owned(),
                },
                submitted: s
                    .submitted_on
                    .map(thidua_core::period::format_date_vi)
                    .unwrap_or_default(),
                timeliness: match s.late {
                    Some(true) => "Muộn".to_owned(),
                    Some(false) => "Đúng hạn".to_owned(),
                    None => String::new(),
                },
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
        periods: period_options(&years, &with_data, period),
        roles,
        reporting,
        member_count: cluster.members.len(),
        tables: group_tables(&catalog, &members, "Toàn cụm", &rollup.total),
        statuses,
    })
}
