//! Khen thưởng — award proposals through their pipeline, decisions and their revocation,
//! and each unit's and person's award history.

use axum::Router;

use crate::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new()
}
