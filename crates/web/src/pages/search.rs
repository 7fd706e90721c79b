//! Tìm kiếm — finding units, clusters and indicators by name, without diacritics.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;
use thidua_store::SearchHit;

use crate::AppState;
use crate::error::AppError;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/search", get(search_page))
}

#[derive(Debug, serde::Deserialize)]
struct SearchQuery {
    q: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "search.html")]
struct SearchPage {
    title: String,
    query: String,
    hits: Vec<SearchHit>,
}

/// Most results anyone reads.
const LIMIT: usize = 100;

async fn search_page(State(state): State<AppState>, Query(q): Query<SearchQuery>) -> Result<SearchPage, AppError> {
    let query = thidua_core::text::nfc(q.q.as_deref().unwrap_or(""));
    let hits = if query.is_empty() {
        Vec::new()
    } else {
        state.store.search(&query, LIMIT).await?
    };
    Ok(SearchPage {
        title: format!("Tìm kiếm: {query}"),
        query,
        hits,
    })
}
