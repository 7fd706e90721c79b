//! `/api/v1/search` — units, clusters and indicators by name, without diacritics.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ApiQuery;
use crate::AppState;
use crate::auth::ApiUser;
use crate::error::ApiError;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/search", get(search))
}

#[derive(Deserialize)]
pub(super) struct SearchQuery {
    /// Missing is the same as empty: nothing to find.
    #[serde(default)]
    q: String,
}

/// One search result.
#[derive(Serialize, ToSchema)]
pub(crate) struct SearchHitDto {
    /// `unit`, `cluster` or `indicator`.
    kind: String,
    /// Its code.
    code: String,
    /// Its name.
    name: String,
}

/// Finds what matches every word of `q`, ignoring case and diacritics ("ha dong" finds
/// "Hà Đông").
#[utoipa::path(
    get,
    path = "/api/v1/search",
    params(("q" = Option<String>, Query, description = "Words to find, with or without diacritics; none finds nothing", example = "ha dong")),
    responses(
        (status = 200, body = Vec<SearchHitDto>),
        (status = 400, description = "A malformed query string", body = crate::error::ErrorBody),
        (status = 401, description = "Not signed in", body = crate::error::ErrorBody)
    )
)]
pub(super) async fn search(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(query): ApiQuery<SearchQuery>,
) -> Result<Json<Vec<SearchHitDto>>, ApiError> {
    let hits = crate::pages::visible_hits(&state, &user, &query.q).await?;
    Ok(Json(
        hits.into_iter()
            .map(|h| SearchHitDto {
                kind: h.kind.to_owned(),
                code: h.code,
                name: h.name,
            })
            .collect(),
    ))
}
