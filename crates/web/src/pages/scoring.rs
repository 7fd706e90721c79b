//! Chấm điểm thi đua — a member's self-score with evidence, the cluster's score, the upper
//! level's adjustment, the three side by side, and the cluster's ranking.

use axum::Router;
use thidua_core::period::format_date_vi;

use crate::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new()
}

/// A stored RFC 3339 moment as people read it: "25/7/2022 14:05", local time.
pub(super) fn when_vi(at: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(at)
        .map(|t| {
            let local = t.with_timezone(&chrono::Local);
            format!("{} {}", format_date_vi(local.date_naive()), local.format("%H:%M"))
        })
        .unwrap_or_else(|_| at.to_owned())
}
