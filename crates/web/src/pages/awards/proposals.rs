//! Đề nghị khen thưởng — proposing the units a closed vote chose, proposing directly (the
//! upper level), and moving a proposal along its pipeline (review, escalate, withdraw…).

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use thidua_app::awards::{self, DirectProposal};
use thidua_core::emulation::award::ProposalAction;
use thidua_core::{ClusterCode, UnitCode};

use super::{id_of, list_url, year_of};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::pages::ballot::ballot_id;
use crate::pages::emulation::Fields;

pub(super) async fn propose_from_ballot(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let fields = Fields(fields);
    user.check_csrf(&fields.get("csrf"))?;
    let ballot = ballot_id(&fields.get("ballot"))?;
    let caller = state.app.context(user.principal()).await?;
    let cluster = awards::propose_from_ballot(
        &state.app,
        &caller,
        ballot,
        &fields.get("question"),
        &fields.get("award"),
        &fields.get("achievements"),
    )
    .await?;
    Ok(Redirect::to(&list_url(Some(cluster.code.as_str()), Some(cluster.year))).into_response())
}

/// The upper level proposes a unit or a person directly.
pub(super) async fn propose(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let fields = Fields(fields);
    user.check_csrf(&fields.get("csrf"))?;
    let year = year_of(&fields.get("year"))?;
    let unit = UnitCode::parse(&fields.get("unit"))?;
    let caller = state.app.context(user.principal()).await?;
    // Filed under the cluster it was proposed from, when the unit belongs to it that year;
    // the field comes back from the page, so anything but a cluster code is ignored.
    let back = ClusterCode::parse(&fields.get("cluster")).ok();
    let direct = DirectProposal {
        year,
        unit,
        person: (fields.get("kind") == "individual").then(|| (fields.get("name"), fields.get("person_title"))),
        cluster: back.clone(),
        award: fields.get("award"),
        achievements: fields.get("achievements"),
    };
    awards::propose(&state.app, &caller, direct).await?;
    Ok(Redirect::to(&list_url(back.as_ref().map(ClusterCode::as_str), Some(year))).into_response())
}

pub(super) async fn move_proposal(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let fields = Fields(fields);
    user.check_csrf(&fields.get("csrf"))?;
    let id = id_of(&id, "đề nghị khen thưởng")?;
    let caller = state.app.context(user.principal()).await?;
    let proposal = awards::proposal(&state.app, &caller, id).await?;
    let action = match fields.get("action").as_str() {
        "review" => ProposalAction::Review,
        "escalate" => ProposalAction::Escalate,
        "reject" => ProposalAction::Reject,
        other => return Err(AppError::BadRequest(format!("thao tác «{other}» không hợp lệ"))),
    };
    let version = fields
        .get("version")
        .parse()
        .map_err(|_| AppError::BadRequest("thiếu phiên bản của đề nghị; hãy tải lại trang".into()))?;
    let reason = fields.get("reason");
    let reason = Some(reason.as_str()).filter(|r| !r.is_empty());
    awards::move_proposal(&state.app, &caller, &proposal, action, version, reason).await?;
    let cluster = proposal.proposal.cluster.as_ref().map(|c| c.to_string());
    Ok(Redirect::to(&list_url(cluster.as_deref(), Some(proposal.proposal.year))).into_response())
}
