//! Kết thúc và kiểm phiếu — the chair (or the upper level) closes the vote, which seals
//! the papers; the record of the count (biên bản kiểm phiếu) downloads as DOCX or PDF,
//! and only while the seal holds.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use thidua_core::{Cluster, UnitCode};
use thidua_report::document::OfficialDocument;
use thidua_report::emulation_documents::{Heading, tally_record_document};
use thidua_store::Ballot;

use super::{day_of, load};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::pages::emulation::unit_name;
use crate::pages::{CsrfForm, DocumentFormat, document_download};

pub(super) async fn close(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, AppError> {
    user.check_csrf(&form.csrf)?;
    let (ballot, cluster, caller) = load(&state, &user, &id).await?;
    thidua_app::ballot::close(&state.app, &caller, &cluster, &ballot).await?;
    Ok(Redirect::to(&format!("/ballots/{}", ballot.id)).into_response())
}

/// The record of the count as an official document: issued by the body above the
/// cluster, dated the day the ballot closed, placed at the host unit (else the chair).
async fn record_document(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
) -> Result<(Ballot, Cluster, OfficialDocument), AppError> {
    let id = super::ballot_id(id)?;
    let caller = state.app.context(user.principal()).await?;
    // Refused (409) unless the seal holds: no record is printed of changed papers.
    let (ballot, cluster, record) = thidua_app::ballot::record(&state.app, &caller, id).await?;
    let scope = &caller.directory;
    let seal = ballot.seal.clone().unwrap_or_default();
    let issuer = crate::pages::emulation::issuer_name(scope, &cluster);
    let place = crate::pages::emulation::meeting_place(scope, &cluster);
    let date = ballot
        .closed_at
        .as_deref()
        .and_then(day_of)
        .unwrap_or_else(|| chrono::Local::now().date_naive());
    let name = |u: &UnitCode| unit_name(scope, u);
    let signers = thidua_app::signers::of(&state.app, &cluster).await?;
    let heading = Heading {
        issuer: &issuer,
        cluster_name: &cluster.name,
        place: &place,
        date,
        unit_name: &name,
        signers: signers.as_ref(),
    };
    let document = tally_record_document(&heading, &record, &seal);
    Ok((ballot, cluster, document))
}

async fn record_download(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    format: DocumentFormat,
) -> Result<Response, AppError> {
    let (ballot, cluster, document) = record_document(state, user, id).await?;
    let stem = format!("bien-ban-kiem-phieu-{}-{}-{}", cluster.code, cluster.year, ballot.id);
    document_download(document, &stem, format).await
}

pub(super) async fn record_docx(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    record_download(&state, &user, &id, DocumentFormat::Docx).await
}

pub(super) async fn record_pdf(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    record_download(&state, &user, &id, DocumentFormat::Pdf).await
}
