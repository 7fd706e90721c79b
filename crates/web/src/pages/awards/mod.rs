//! Khen thưởng — award proposals through their pipeline, decisions and their revocation,
//! and each unit's and person's award history.
//!
//! Who does what: the chair (or the upper level) proposes the units a closed vote chose;
//! the upper level proposes directly, reviews and escalates the proposals of the clusters
//! below it, records decisions for the units below it, and revokes them. Members see their
//! cluster's proposals and everyone the awards of the units they may see.
//!
//! Who sees and may do what, and the writes, are the application's
//! ([`thidua_app::awards`]); these modules keep the HTTP, one file per resource: [`list`] — the proposals and decisions of a cluster and year;
//! [`proposals`] — proposing and moving a proposal through its pipeline; [`decisions`] —
//! recording, showing and revoking a decision; [`records`] — a unit's award history and
//! the search over everyone's.

mod decisions;
mod list;
mod proposals;
mod records;

use axum::Router;
use axum::routing::{get, post};
use thidua_core::emulation::award::{AwardCatalogue, AwardDecision, AwardFormCode, Recipient};
use thidua_core::period::format_date_vi;

use crate::AppState;
use crate::auth::Scope;
use crate::error::AppError;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/awards", get(list::list_page))
        .route("/awards/from-ballot", post(proposals::propose_from_ballot))
        .route("/awards/proposals", post(proposals::propose))
        .route("/awards/proposals/{id}", post(proposals::move_proposal))
        .route("/awards/decisions", post(decisions::record_decision))
        .route("/awards/decisions/{id}", get(decisions::decision_page))
        .route("/awards/decisions/{id}/revoke", post(decisions::revoke))
        .route("/awards/history", get(records::search_page))
        .route("/units/{unit}/awards", get(records::unit_page))
}

fn id_of(raw: &str, what: &str) -> Result<i64, AppError> {
    raw.trim()
        .parse()
        .map_err(|_| AppError::NotFound(format!("không tìm thấy {what} «{raw}»")))
}

fn year_of(raw: &str) -> Result<i32, AppError> {
    raw.trim()
        .parse()
        .map_err(|_| AppError::BadRequest(format!("năm «{raw}» không hợp lệ")))
}

fn form_name(catalogue: &AwardCatalogue, code: &AwardFormCode) -> String {
    catalogue.get(code).map_or_else(|| code.to_string(), |f| f.name.clone())
}

/// "quận Tây Hồ", or "Trần Thị Bình — Phó Chủ tịch, quận Tây Hồ".
fn describe(scope: &Scope, r: &Recipient) -> String {
    thidua_app::awards::describe(scope, r)
}

fn recipient_kind(r: &Recipient) -> &'static str {
    match r {
        Recipient::Collective { .. } => "Tập thể",
        Recipient::Individual { .. } => "Cá nhân",
    }
}

/// Where to go back to after acting on a proposal of `year` from `cluster`.
fn list_url(cluster: Option<&str>, year: Option<i32>) -> String {
    match (cluster.filter(|c| !c.is_empty()), year) {
        (Some(c), Some(y)) => format!("/awards?cluster={c}&year={y}"),
        (Some(c), None) => format!("/awards?cluster={c}"),
        (None, Some(y)) => format!("/awards?year={y}"),
        (None, None) => "/awards".into(),
    }
}

fn revocation_text(d: &AwardDecision) -> String {
    d.revocation
        .as_ref()
        .map(|r| {
            format!(
                "Đã thu hồi theo quyết định số {} ngày {}. Lý do: {}",
                r.number,
                format_date_vi(r.on),
                r.reason
            )
        })
        .unwrap_or_default()
}
