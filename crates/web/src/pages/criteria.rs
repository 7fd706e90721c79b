//! Tiêu chí thi đua — the year's criteria of a cluster level, their versions, and the upper
//! level's import and copy to a new year.

use axum::Router;

use crate::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new()
}
