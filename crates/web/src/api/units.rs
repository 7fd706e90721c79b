//! `/api/v1/units` — a unit's rollup over its subtree.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use thidua_app::rollups::{self, DefaultPeriod};
use utoipa::ToSchema;

use super::{ApiPath, ApiQuery, RollupQuery, UnitFiguresDto, figures_dto};
use crate::AppState;
use crate::auth::ApiUser;
use crate::error::{ApiError, ErrorBody};
use crate::pages::tree_view;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/units/{code}/rollup", get(unit_rollup))
}

/// A unit's figures for a period or a range of periods.
#[derive(Serialize, ToSchema)]
pub(crate) struct UnitRollupDto {
    /// DHIS2 period code, or the range's `FIRST..LAST` (`2025Q1..2025Q3`).
    period: String,
    /// The period's (or range's) Vietnamese name.
    period_label: String,
    /// The range's first period (the period itself for one period).
    period_from: String,
    /// The range's last period (the period itself for one period).
    period_to: String,
    /// The view of history: `period` (the tree as it was) or `current` (today's tree).
    tree: String,
    /// The view's Vietnamese name.
    tree_label: String,
    /// The unit and its figures (the unit and every unit below it).
    unit: UnitFiguresDto,
}

/// The figures of a unit and everything below it, for a period or a range of periods of
/// one type (`?period=2025Q1..2025Q3`: sums over the range, a stock its latest period's,
/// rates computed on the sums), on the tree as it was then or, with `?tree=current`, on
/// today's tree (a merged unit's past is its predecessors').
#[utoipa::path(
    get,
    path = "/api/v1/units/{code}/rollup",
    params(
        ("code" = String, Path, description = "Unit code, e.g. HN-HADONG", example = "HN-HADONG"),
        ("period" = String, Query, description = "DHIS2 period code: 2022, 2022S1, 2022Q3, 202207 (years 1945 to 2100), or a range FIRST..LAST of periods of one type, first not after last, at most 120 periods: 2025Q1..2025Q3, 2024S2..2026S1, 202501..202507, 2023..2025", example = "2025Q1..2025Q3", pattern = "^(194[5-9]|19[5-9][0-9]|20[0-9][0-9]|2100)(S[12]|Q[1-4]|0[1-9]|1[0-2])?(\\.\\.(194[5-9]|19[5-9][0-9]|20[0-9][0-9]|2100)(S[12]|Q[1-4]|0[1-9]|1[0-2])?)?$"),
        ("tree" = Option<String>, Query, description = "Which tree history is read under: `period` (the default) the tree as it was in the period; `current` today's tree, where a merged unit's past is the sum of its predecessors' and a split unit's past is shared by the split's weights (or stays with the old unit when the split has none)", example = "current", pattern = "^(period|current)?$")
    ),
    responses(
        (status = 200, body = UnitRollupDto),
        (status = 400, description = "Missing or bad period code or range (the message says what is wrong), a bad tree, or a bad path", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Outside the user's part of the hierarchy", body = ErrorBody),
        (status = 404, description = "Unknown unit", body = ErrorBody)
    )
)]
pub(super) async fn unit_rollup(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(code): ApiPath<String>,
    ApiQuery(query): ApiQuery<RollupQuery>,
) -> Result<Json<UnitRollupDto>, ApiError> {
    let view = tree_view(query.tree.as_deref())?;
    let caller = state.app.context(user.principal()).await?;
    let shown = rollups::unit_over(
        &state.app,
        &caller,
        &code,
        query.period.as_deref(),
        DefaultPeriod::Required,
        view,
    )
    .await?;
    let (unit, range, figures, catalog) = (&shown.unit, shown.range, &shown.figures, &shown.catalog);
    Ok(Json(UnitRollupDto {
        period: range.code(),
        period_label: range.label_vi(),
        period_from: range.first().code(),
        period_to: range.last().code(),
        tree: view.as_str().to_owned(),
        tree_label: view.label_vi().to_owned(),
        unit: UnitFiguresDto {
            unit: unit.code.to_string(),
            name: unit.name.clone(),
            figures: figures_dto(catalog, figures),
        },
    }))
}
