//! Chấm điểm thi đua — a member's self-score with evidence, the cluster's score, the upper
//! level's adjustment, the three side by side, and the cluster's ranking.

use axum::Router;

use crate::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new()
}
