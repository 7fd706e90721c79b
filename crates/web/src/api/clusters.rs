//! `/api/v1/clusters` — the clusters and their rollups.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use thidua_app::rollups;
use utoipa::ToSchema;

use super::{ApiPath, ApiQuery, ClusterDto, IndicatorDto, RollupQuery, UnitFiguresDto, figures_dto};
use crate::AppState;
use crate::auth::ApiUser;
use crate::error::{ApiError, ErrorBody};
use crate::pages::tree_view;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/clusters", get(list_clusters))
        .route("/clusters/{code}/rollup", get(cluster_rollup))
}

/// Every cluster of every year, newest first.
#[utoipa::path(get, path = "/api/v1/clusters", responses((status = 200, body = Vec<ClusterDto>), (status = 401, body = ErrorBody)))]
pub(super) async fn list_clusters(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Json<Vec<ClusterDto>>, ApiError> {
    let scope = state.app.directory().await?;
    let principal = user.principal();
    let access = scope.access(&principal);
    Ok(Json(
        scope
            .clusters
            .iter()
            .filter(|c| access.can_view_cluster(c))
            .map(ClusterDto::from)
            .collect(),
    ))
}

/// A cluster's rollup for a period or a range of periods.
#[derive(Serialize, ToSchema)]
pub(crate) struct ClusterRollupDto {
    /// The cluster as constituted in the period's year (a range's last year).
    cluster: ClusterDto,
    /// DHIS2 period code, or the range's `FIRST..LAST` (`2025Q1..2025Q3`).
    period: String,
    /// The period's (or range's) Vietnamese name, e.g. "6 tháng đầu năm 2022",
    /// "Từ quý I đến quý III năm 2025".
    period_label: String,
    /// The range's first period (the period itself for one period).
    period_from: String,
    /// The range's last period (the period itself for one period).
    period_to: String,
    /// The view of history: `period` (the tree as it was) or `current` (today's tree).
    tree: String,
    /// The view's Vietnamese name.
    tree_label: String,
    /// The catalog, in order.
    indicators: Vec<IndicatorDto>,
    /// Each member's figures (over its subtree).
    members: Vec<UnitFiguresDto>,
    /// The cluster's totals, formula indicators computed on them.
    total: Vec<super::FigureDto>,
}

/// Each member's figures and the cluster's total for a period (`?period=2022S1`;
/// without it, the latest period with data) or a range of periods of one type
/// (`?period=2025Q1..2025Q3`: sums over the range, a stock its latest period's, rates
/// computed on the sums; the cluster as constituted in the range's last year), on the
/// tree as it was then or, with `?tree=current`, on today's tree.
#[utoipa::path(
    get,
    path = "/api/v1/clusters/{code}/rollup",
    params(
        ("code" = String, Path, description = "Cluster code, e.g. HN-CUM2", example = "HN-CUM2"),
        ("period" = Option<String>, Query, description = "DHIS2 period code: 2022, 2022S1, 2022Q3, 202207 (years 1945 to 2100), or a range FIRST..LAST of periods of one type, first not after last, at most 120 periods: 2025Q1..2025Q3, 2024S2..2026S1, 202501..202507, 2023..2025; empty or absent, the latest period with data", example = "2025Q1..2025Q3", pattern = "^((194[5-9]|19[5-9][0-9]|20[0-9][0-9]|2100)(S[12]|Q[1-4]|0[1-9]|1[0-2])?(\\.\\.(194[5-9]|19[5-9][0-9]|20[0-9][0-9]|2100)(S[12]|Q[1-4]|0[1-9]|1[0-2])?)?)?$"),
        ("tree" = Option<String>, Query, description = "Which tree history is read under: `period` (the default) the tree as it was in the period; `current` today's tree, where a merged unit's past is the sum of its predecessors' and a split unit's past is shared by the split's weights (or stays with the old unit when the split has none)", example = "current", pattern = "^(period|current)?$")
    ),
    responses(
        (status = 200, body = ClusterRollupDto),
        (status = 400, description = "Bad period code or range (the message says what is wrong), tree or path", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Outside the user's part of the hierarchy", body = ErrorBody),
        (status = 404, description = "Unknown cluster or year", body = ErrorBody)
    )
)]
pub(super) async fn cluster_rollup(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(code): ApiPath<String>,
    ApiQuery(query): ApiQuery<RollupQuery>,
) -> Result<Json<ClusterRollupDto>, ApiError> {
    let view = tree_view(query.tree.as_deref())?;
    let caller = state.app.context(user.principal()).await?;
    let shown = rollups::cluster_over(&state.app, &caller, &code, query.period.as_deref(), view).await?;
    let (cluster, rollup, catalog) = (&shown.open.cluster, &shown.rollup, &shown.catalog);
    let range = rollup.range;
    Ok(Json(ClusterRollupDto {
        cluster: ClusterDto::from(cluster),
        period: range.code(),
        period_label: range.label_vi(),
        period_from: range.first().code(),
        period_to: range.last().code(),
        tree: view.as_str().to_owned(),
        tree_label: view.label_vi().to_owned(),
        indicators: catalog.indicators().iter().map(IndicatorDto::from).collect(),
        members: rollup
            .members
            .iter()
            .map(|(u, f)| UnitFiguresDto {
                unit: u.code.to_string(),
                name: u.name.clone(),
                figures: figures_dto(catalog, f),
            })
            .collect(),
        total: figures_dto(catalog, &rollup.total),
    }))
}
