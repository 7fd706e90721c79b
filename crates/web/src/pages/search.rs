//! Tìm kiếm — finding units, clusters and indicators by name, without diacritics.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;
use thidua_store::SearchHit;

use crate::AppState;
use crate::auth::{CurrentUser, Me};
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
    me: Option<Me>,
    hits: Vec<SearchHit>,
}

async fn search_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<SearchQuery>,
) -> Result<SearchPage, AppError> {
    let query = thidua_core::text::nfc(q.q.as_deref().unwrap_or(""));
    let hits = if query.is_empty() {
        Vec::new()
    } else {
        visible_hits(&state, &user, &query).await?
    };
    Ok(SearchPage {
        title: format!("Tìm kiếm: {query}"),
        me: Some(user.me()),
        query,
        hits,
    })
}

/// Search hits the user may open ([`thidua_app::clusters::search`]).
pub(crate) async fn visible_hits(
    state: &AppState,
    user: &CurrentUser,
    query: &str,
) -> Result<Vec<SearchHit>, AppError> {
    let caller = state.app.context(user.principal()).await?;
    Ok(thidua_app::clusters::search(&state.app, &caller, query).await?)
}
