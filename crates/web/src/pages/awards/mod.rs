//! Khen thưởng — award proposals through their pipeline, decisions and their revocation,
//! and each unit's and person's award history.
//!
//! Who does what: the chair (or the upper level) proposes the units a closed vote chose;
//! the upper level proposes directly, reviews and escalates the proposals of the clusters
//! below it, records decisions for the units below it, and revokes them. Members see their
//! cluster's proposals and everyone the awards of the units they may see.
//!
//! One file per resource: [`list`] — the proposals and decisions of a cluster and year;
//! [`proposals`] — proposing and moving a proposal through its pipeline; [`decisions`] —
//! recording, showing and revoking a decision; [`records`] — a unit's award history and
//! the search over everyone's.

mod decisions;
mod list;
mod proposals;
mod records;

use axum::Router;
use axum::routing::{get, post};
use chrono::NaiveDate;
use thidua_core::emulation::award::{
    AwardCatalogue, AwardDecision, AwardFormCode, Proposal, ProposalRights, Recipient,
};
use thidua_core::period::format_date_vi;
use thidua_core::{Access, Cluster, UnitCode};

use crate::AppState;
use crate::auth::Scope;
use crate::error::AppError;
use crate::pages::emulation::unit_name;

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

fn day_of(raw: &str, what: &str) -> Result<NaiveDate, AppError> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::BadRequest(format!("{what} «{raw}» không hợp lệ (chọn ngày trên lịch)")))
}

/// The cluster a proposal came from, as constituted in the proposal's year.
fn cluster_of<'a>(scope: &'a Scope, p: &Proposal) -> Option<&'a Cluster> {
    let code = p.cluster.as_ref()?;
    scope.clusters.iter().find(|c| &c.code == code && c.year == p.year)
}

/// Whether the user may see a proposal: its recipient's unit is theirs to see, or its
/// cluster is.
fn can_see(access: &Access<'_>, scope: &Scope, p: &Proposal) -> bool {
    access.can_view_unit(p.recipient.unit()) || cluster_of(scope, p).is_some_and(|c| access.can_view_cluster(c))
}

/// What the user may do to a proposal: review and escalate when above its cluster (or,
/// without a cluster, above its recipient); decide when above its recipient.
fn rights(access: &Access<'_>, scope: &Scope, p: &Proposal) -> ProposalRights {
    let can_decide = access.can_decide_awards(p.recipient.unit());
    let can_review = cluster_of(scope, p).map_or(can_decide, |c| access.can_decide_for(c));
    ProposalRights { can_review, can_decide }
}

fn form_name(catalogue: &AwardCatalogue, code: &AwardFormCode) -> String {
    catalogue.get(code).map_or_else(|| code.to_string(), |f| f.name.clone())
}

/// "quận Tây Hồ", or "Trần Thị Bình — Phó Chủ tịch, quận Tây Hồ".
fn describe(scope: &Scope, r: &Recipient) -> String {
    match r {
        Recipient::Collective { unit } => unit_name(scope, unit),
        Recipient::Individual { name, title, unit } if title.is_empty() => {
            format!("{name} — {}", unit_name(scope, unit))
        }
        Recipient::Individual { name, title, unit } => format!("{name} — {title}, {}", unit_name(scope, unit)),
    }
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

/// Whether a unit lies in `cluster` (a member or below one).
fn in_cluster(scope: &Scope, cluster: &Cluster, unit: &UnitCode) -> bool {
    cluster.has_member(unit) || scope.tree.ancestors(unit).iter().any(|a| cluster.has_member(&a.code))
}
