//! Chấm điểm thi đua — a member's self-score with evidence, the cluster's score, the upper
//! level's adjustment, the three side by side, and the cluster's ranking.
//!
//! Who sees a unit's sheets (docs/decisions.md, "Scores in the browser"): the unit itself,
//! the cluster's chair, the upper level above the cluster, admins; the other members only
//! once the cluster has given its score for that unit. Who gives each step is core's
//! `may_score`. A later step records only the lines it changes: an empty input keeps
//! what the step before gave. What is loaded, checked and saved is the application's
//! ([`thidua_app::scoring`]); these modules keep the HTTP, one per resource:
//! [`ranking`] — the cluster's ranking; [`comparison`] — a unit's three steps side by
//! side; [`sheet`] — one step's sheet and its saving; [`evidence`] — the files attached
//! to a self-score.

mod comparison;
mod evidence;
mod ranking;
mod sheet;

use axum::Router;
use axum::routing::{get, post};
use thidua_core::emulation::Points;
use thidua_core::emulation::scoring::{ScoreStep, Section};

use crate::AppState;
use crate::error::AppError;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/clusters/{code}/scores", get(ranking::ranking_page))
        .route("/units/{unit}/scores/{year}", get(comparison::comparison_page))
        .route(
            "/units/{unit}/scores/{year}/{step}",
            get(sheet::sheet_page).post(sheet::save_sheet),
        )
        .route(
            "/units/{unit}/scores/{year}/{step}/evidence",
            crate::body_limit::limited(post(evidence::upload_evidence), crate::body_limit::EVIDENCE),
        )
        .route("/evidence/{id}", get(evidence::download_evidence))
        .route("/evidence/{id}/delete", post(evidence::remove_evidence))
}

/// A stored RFC 3339 moment as people read it: "25/7/2022 14:05", local time.
pub(super) fn when_vi(at: &str) -> String {
    thidua_app::forms::moment_vi(at)
}

fn pts(p: Option<Points>) -> String {
    p.map_or_else(String::new, Points::format_vi)
}

fn section_label(s: Section) -> &'static str {
    match s {
        Section::Criteria => "criteria",
        Section::Bonus => "bonus",
        Section::Penalty => "penalty",
    }
}

fn step_of(raw: &str) -> Result<ScoreStep, AppError> {
    ScoreStep::parse(raw).map_err(|_| {
        AppError::NotFound(format!(
            "không có bước chấm «{raw}» (chỉ có self — tự chấm, cluster — cụm chấm, upper — cấp trên điều chỉnh)"
        ))
    })
}

fn year_of(raw: &str) -> Result<i32, AppError> {
    raw.parse()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
        .ok_or_else(|| AppError::NotFound(format!("năm «{raw}» không hợp lệ")))
}
