//! The pages people use. Each module owns its routes.

mod cluster;
pub(crate) use cluster::resolve_cluster;
mod home;
mod search;
mod unit;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::AppState;

/// The stylesheet is compiled in, so the binary serves it from any working directory.
const STYLE_CSS: &str = include_str!("../../static/style.css");

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .merge(home::router())
        .merge(cluster::router())
        .merge(unit::router())
        .merge(search::router())
        .route("/static/style.css", get(style))
}

async fn style() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLE_CSS,
    )
}

/// `?period=2022S1` — optional, parsed by the page that uses it.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct PeriodQuery {
    pub period: Option<String>,
}
