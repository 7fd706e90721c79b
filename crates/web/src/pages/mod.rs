//! The pages people use. Each module owns its routes.

mod account;
mod admin;
mod awards;
mod ballot;
mod cluster;
pub(crate) mod cluster_workbook;
mod conference;
mod criteria;
mod emulation;
mod form;
mod history;
pub(crate) use history::tree_view;
mod pledge;
mod scoring;
pub(crate) use cluster::{ensure_can_view_cluster, resolve_cluster};
pub(crate) use search::visible_hits;
mod home;
mod news;
mod notifications;
mod reorganise;
mod report;
mod search;
mod signers;
mod tokens;
mod unit;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::AppState;

/// The stylesheet is compiled in, so the binary serves it from any working directory.
const STYLE_CSS: &str = include_str!("../../static/style.css");
const FORM_JS: &str = include_str!("../../static/form.js");
/// The site's icon (a yellow star on red), also answered at `/favicon.ico`, where
/// browsers look without being told.
const FAVICON_SVG: &str = include_str!("../../static/favicon.svg");
/// The confirmation dialog before irreversible steps, on every page (`data-confirm`).
const CONFIRM_JS: &str = include_str!("../../static/confirm.js");
/// The charts of the cluster and unit pages, and the vendored Apache ECharts 6 with its
/// Vietnamese locale they draw with (`static/echarts/README.md`).
const CHARTS_JS: &str = include_str!("../../static/charts.js");
const ECHARTS_JS: &str = include_str!("../../static/echarts/echarts.min.js");
const ECHARTS_VI_JS: &str = include_str!("../../static/echarts/langVI.js");

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .merge(home::router())
        .merge(cluster::router())
        .merge(cluster_workbook::router())
        .merge(unit::router())
        .merge(search::router())
        .merge(form::router())
        .merge(admin::router())
        .merge(reorganise::router())
        .merge(account::router())
        .merge(notifications::router())
        .merge(tokens::router())
        .merge(report::router())
        .merge(news::router())
        .merge(conference::router())
        .merge(signers::router())
        .merge(emulation::router())
        .merge(criteria::router())
        .merge(pledge::router())
        .merge(scoring::router())
        .merge(ballot::router())
        .merge(awards::router())
        .route("/static/style.css", get(style))
        .route("/static/form.js", get(form_js))
        .route("/static/confirm.js", get(|| async { script(CONFIRM_JS) }))
        .route("/static/favicon.svg", get(favicon))
        .route("/favicon.ico", get(favicon))
        .route("/static/charts.js", get(|| async { script(CHARTS_JS) }))
        .route("/static/echarts/echarts.min.js", get(|| async { script(ECHARTS_JS) }))
        .route("/static/echarts/langVI.js", get(|| async { script(ECHARTS_VI_JS) }))
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

async fn favicon() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        FAVICON_SVG,
    )
}

async fn form_js() -> impl IntoResponse {
    script(FORM_JS)
}

/// A script compiled into the binary.
fn script(body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
}

/// MIME type of .xlsx files.
pub(crate) const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
/// MIME type of .docx files.
pub(crate) const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

/// The formats an official document downloads in: the application's.
pub(crate) use thidua_app::documents::Format as DocumentFormat;

/// An official document as the download `{stem}.docx` or `{stem}.pdf`, written off the
/// async threads ([`thidua_app::documents::write`]).
pub(crate) async fn document_download(
    document: thidua_report::document::OfficialDocument,
    stem: &str,
    format: DocumentFormat,
) -> Result<axum::response::Response, crate::error::AppError> {
    let bytes = thidua_app::documents::write(document, format).await?;
    let content_type = match format {
        DocumentFormat::Docx => DOCX,
        DocumentFormat::Pdf => "application/pdf",
    };
    Ok(attachment(
        content_type,
        &format!("{stem}.{}", format.extension()),
        bytes,
    ))
}

/// The form of a button that only carries the anti-forgery token.
#[derive(serde::Deserialize)]
pub(crate) struct CsrfForm {
    /// The session's anti-forgery token.
    pub csrf: String,
}

/// A file to download under `filename`.
pub(crate) fn attachment(
    content_type: &str,
    filename: &str,
    body: impl Into<axum::body::Body>,
) -> axum::response::Response {
    let disposition = format!("attachment; filename=\"{filename}\"");
    axum::response::Response::builder()
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CONTENT_DISPOSITION, disposition)
        .body(body.into())
        .unwrap_or_else(|_| axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response())
}
