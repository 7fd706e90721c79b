//! Trang cụm thi đua — a cluster's figures for a period: per indicator group, a table of
//! members × indicators with the cluster's total, formula indicators computed on the
//! totals.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use thidua_app::clusters::OpenCluster;
use thidua_app::rollups;
use thidua_core::workflow::SubmissionState;
use thidua_core::{Cluster, Period};

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
    Query(query): Query<PeriodQuery>,
) -> Result<ClusterPage, AppError> {
    let caller = state.app.context(user.principal()).await?;
    let shown = rollups::cluster(&state.app, &caller, &code, query.period.as_deref()).await?;
    let completeness = rollups::completeness(&state.app, &shown).await?;
    let rollups::ClusterFigures {
        open: OpenCluster { cluster, period, years },
        rollup,
        catalog,
        with_data,
    } = shown;
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
        periods: period_options(&years, &with_data, period),
        roles,
        reporting,
        member_count: cluster.members.len(),
        tables: group_tables(&catalog, &members, "Toàn cụm", &rollup.total),
        statuses,
    })
}
