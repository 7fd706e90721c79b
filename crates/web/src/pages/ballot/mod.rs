//! Bình xét, suy tôn — the chair opens a secret ballot, each member's representative
//! votes once, the count and its record (biên bản kiểm phiếu) as DOCX and PDF.
//!
//! Secrecy on the pages: while a ballot is open nobody sees any count, only which units
//! have voted; a paper is shown back only to the representative filling it in, before it
//! is cast (to warn about answers that would count as invalid). Either of a unit's
//! officers may cast its paper (the chair account of Hà Đông speaks for Hà Đông too); the
//! unit has one paper, so the second is refused.
//!
//! A closed ballot's page shows its seal (mã niêm phong, also printed on the record of
//! the count) when the stored papers still match it; when they do not, a red warning
//! says what changed, and no count, no record and no proposal is offered.
//!
//! What is loaded, checked and stored is the application's ([`thidua_app::ballot`]);
//! these modules keep the HTTP, one file per resource: [`open`] — the cluster's ballots and opening one; [`page`] — one
//! ballot's page, its paper and its results; [`paper`] — casting a unit's paper; [`count`]
//! — closing the vote and the record of the count.

mod count;
mod open;
mod page;
mod paper;

pub(crate) use page::{Extras, Proposing, render_ballot};

use axum::Router;
use axum::routing::{get, post};
use chrono::NaiveDate;
use thidua_core::Cluster;
use thidua_store::Ballot;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/clusters/{code}/ballots", get(open::list_page).post(open::open))
        .route("/ballots/{id}", get(page::ballot_page))
        .route("/ballots/{id}/vote", post(paper::vote))
        .route("/ballots/{id}/close", post(count::close))
        .route("/ballots/{id}/record.docx", get(count::record_docx))
        .route("/ballots/{id}/record.pdf", get(count::record_pdf))
}

fn as_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The day of an RFC 3339 time, in the server's time zone.
fn day_of(rfc3339: &str) -> Option<NaiveDate> {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .ok()
        .map(|t| t.with_timezone(&chrono::Local).date_naive())
}

/// A ballot id from the path; anything else is a ballot that does not exist.
pub(crate) fn ballot_id(raw: &str) -> Result<i64, AppError> {
    raw.parse()
        .map_err(|_| AppError::NotFound(format!("không tìm thấy cuộc bỏ phiếu «{raw}»")))
}

/// The ballot, its cluster (after checking the user may see it) and the caller.
async fn load(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
) -> Result<(Ballot, Cluster, thidua_app::Context), AppError> {
    let id = ballot_id(id)?;
    let caller = state.app.context(user.principal()).await?;
    let (ballot, cluster) = thidua_app::ballot::ballot(&state.app, &caller, id).await?;
    Ok((ballot, cluster, caller))
}
