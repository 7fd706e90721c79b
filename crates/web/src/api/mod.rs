//! The JSON API under `/api/v1/`, for programs. Every route is described in the OpenAPI
//! document served at `/api/v1/openapi.json`; errors answer `{"error": {status, message}}`.

mod clusters;
mod comparisons;
mod data_value_sets;
mod search;
mod units;

use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use thidua_core::rollup::Figures;
use thidua_core::{Catalog, Indicator, Value};
use utoipa::{OpenApi, ToSchema};

use axum::extract::{FromRequestParts, Path, Query};
use axum::http::request::Parts;

use crate::AppState;
use crate::error::{ApiError, AppError, ErrorBody, ErrorDetail};
use crate::view::format_value;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "thidua API",
        description = "Số liệu thi đua – khen thưởng của các cụm, khối thi đua MTTQ: danh mục, tổng hợp theo đơn vị và theo cụm, so sánh, xếp hạng, tỷ lệ báo cáo và xu hướng.",
        version = "1"
    ),
    paths(
        clusters::list_clusters,
        clusters::cluster_rollup,
        units::unit_rollup,
        comparisons::cluster_comparison,
        comparisons::unit_trend,
        comparisons::unit_reporting,
        search::search,
    ),
    components(schemas(
        ClusterDto,
        IndicatorDto,
        FigureDto,
        UnitFiguresDto,
        clusters::ClusterRollupDto,
        units::UnitRollupDto,
        comparisons::ClusterComparisonDto,
        comparisons::MemberComparisonDto,
        comparisons::NumberDto,
        comparisons::ChangeDto,
        comparisons::TargetDto,
        comparisons::HistoryDto,
        comparisons::PointDto,
        comparisons::ThresholdDto,
        comparisons::ReachingDto,
        comparisons::ReportingRateDto,
        comparisons::UnitTrendDto,
        comparisons::UnitReportingDto,
        comparisons::LevelReportingDto,
        comparisons::UnitReportedDto,
        search::SearchHitDto,
        ErrorBody,
        ErrorDetail
    ))
)]
struct ApiDoc;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi))
        .merge(clusters::router())
        .merge(units::router())
        .merge(comparisons::router())
        .merge(search::router())
        .merge(data_value_sets::router())
}

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi().merge_from(data_value_sets::DataValueSetsDoc::openapi()))
}

/// `?period=2022S1&tree=current` — the period and the view of history, both optional.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct RollupQuery {
    pub period: Option<String>,
    pub tree: Option<String>,
}

/// axum's `Query`, whose refusal (a malformed query string) answers in the API's JSON
/// error format instead of axum's plain text.
pub(crate) struct ApiQuery<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| ApiQuery(value))
            .map_err(|e| {
                ApiError(AppError::BadRequest(format!(
                    "tham số của địa chỉ không hợp lệ ({})",
                    e.body_text()
                )))
            })
    }
}

/// axum's `Path`, whose refusal (a segment that is not UTF-8 once decoded) answers in the
/// API's JSON error format.
pub(crate) struct ApiPath<T>(pub T);

impl<T: serde::de::DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| ApiPath(value))
            .map_err(|e| {
                ApiError(AppError::BadRequest(format!(
                    "đường dẫn không hợp lệ ({})",
                    e.body_text()
                )))
            })
    }
}

/// A cluster as constituted for one year.
#[derive(Serialize, ToSchema)]
pub(crate) struct ClusterDto {
    /// Cluster code, e.g. `HN-CUM2`.
    code: String,
    /// Vietnamese name.
    name: String,
    /// The year of this membership.
    year: i32,
    /// Member unit codes, in the cluster's order.
    members: Vec<String>,
    /// Chair unit (cụm trưởng).
    chair: Option<String>,
    /// Deputy unit (cụm phó).
    deputy: Option<String>,
    /// Host of the conference (đơn vị đăng cai).
    host: Option<String>,
}

impl From<&thidua_core::Cluster> for ClusterDto {
    fn from(c: &thidua_core::Cluster) -> Self {
        let code = |u: &Option<thidua_core::UnitCode>| u.as_ref().map(ToString::to_string);
        ClusterDto {
            code: c.code.to_string(),
            name: c.name.clone(),
            year: c.year,
            members: c.members.iter().map(ToString::to_string).collect(),
            chair: code(&c.chair),
            deputy: code(&c.deputy),
            host: code(&c.host),
        }
    }
}

/// An indicator of the catalog.
#[derive(Serialize, ToSchema)]
pub(crate) struct IndicatorDto {
    /// Code, e.g. `TY_LE_HOA_TANG`.
    code: String,
    /// Vietnamese name.
    name: String,
    /// Measure: cuộc, vụ, đồng, %…
    measure: String,
    /// integer, money, percent, number or text.
    value_type: String,
    /// sum, average, min, max, last or ratio.
    aggregation: String,
    /// The formula of a ratio indicator.
    formula: Option<String>,
    /// Its group (movement or campaign).
    group: String,
}

impl From<&Indicator> for IndicatorDto {
    fn from(i: &Indicator) -> Self {
        IndicatorDto {
            code: i.code.to_string(),
            name: i.name.clone(),
            measure: i.measure.clone(),
            value_type: i.value_type.as_str().to_owned(),
            aggregation: i.aggregation.as_str().to_owned(),
            formula: i.formula.as_ref().map(|f| f.source().to_owned()),
            group: i.group.clone(),
        }
    }
}

/// One figure: the value for programs and the same value as Vietnamese readers write it.
#[derive(Serialize, ToSchema)]
pub(crate) struct FigureDto {
    /// Indicator code.
    indicator: String,
    /// The value: a number (text for text indicators).
    #[schema(value_type = f64)]
    value: serde_json::Value,
    /// The value in Vietnamese style, e.g. `1.084` or `85,01`.
    display: String,
}

/// A unit's figures.
#[derive(Serialize, ToSchema)]
pub(crate) struct UnitFiguresDto {
    /// Unit code.
    unit: String,
    /// Unit name.
    name: String,
    /// One entry per indicator with data.
    figures: Vec<FigureDto>,
}

/// The figures in catalog order, computed ones included; indicators without data left out.
pub(crate) fn figures_dto(catalog: &Catalog, figures: &Figures) -> Vec<FigureDto> {
    catalog
        .indicators()
        .iter()
        .filter_map(|i| {
            let value = figures.get(&i.code)?;
            let json = match value {
                Value::Whole(n) => serde_json::Value::from(*n),
                // Formula values to 2 decimals, as in the CSV export.
                Value::Decimal(x) => serde_json::Value::from((x * 100.0).round() / 100.0),
                Value::Text(t) => serde_json::Value::from(t.clone()),
            };
            Some(FigureDto {
                indicator: i.code.to_string(),
                value: json,
                display: format_value(i, Some(value)),
            })
        })
        .collect()
}
