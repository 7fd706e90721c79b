//! Đề nghị khen thưởng — proposing the units a closed vote chose, proposing directly (the
//! upper level), and moving a proposal along its pipeline (review, escalate, withdraw…).

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use thidua_core::emulation::award::{AwardFormCode, Proposal, ProposalAction, ProposalSource, Recipient};
use thidua_core::{ClusterCode, UnitCode};
use thidua_store::Actor;

use super::{can_see, id_of, in_cluster, list_url, rights, year_of};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::pages::ballot::ballot_id;
use crate::pages::emulation::{Fields, cluster_of_year};

pub(super) async fn propose_from_ballot(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let fields = Fields(fields);
    user.check_csrf(&fields.get("csrf"))?;
    let ballot = state.store.ballot(ballot_id(&fields.get("ballot"))?).await?;
    let (cluster, scope) = cluster_of_year(&state, &user, ballot.spec.cluster.as_str(), Some(ballot.spec.year)).await?;
    let principal = user.principal();
    if !scope.access(&principal).can_run_cluster(&cluster) {
        return Err(AppError::Forbidden(format!(
            "chỉ cụm trưởng của {} năm {} (hoặc cấp trên) đề nghị khen thưởng từ kết quả bỏ phiếu",
            cluster.name, cluster.year
        )));
    }
    let award = AwardFormCode::parse(&fields.get("award"))?;
    state
        .store
        .propose_from_ballot(
            &Actor::from(&principal),
            ballot.id,
            &fields.get("question"),
            &award,
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
    let scope = state.app.directory().await?;
    let principal = user.principal();
    let access = scope.access(&principal);
    let Some(found) = scope.tree.get(&unit) else {
        return Err(AppError::NotFound(format!("không tìm thấy đơn vị «{unit}»")));
    };
    if !access.can_decide_awards(&unit) {
        return Err(AppError::Forbidden(format!(
            "bạn không có quyền đề nghị khen thưởng cho {}",
            found.name
        )));
    }
    let recipient = match fields.get("kind").as_str() {
        "individual" => Recipient::Individual {
            name: fields.get("name"),
            title: fields.get("person_title"),
            unit: unit.clone(),
        },
        _ => Recipient::Collective { unit: unit.clone() },
    };
    // Filed under the cluster it was proposed from, when the unit belongs to it that year;
    // the field comes back from the page, so anything but a cluster code is ignored.
    let back = ClusterCode::parse(&fields.get("cluster")).ok();
    let cluster = scope
        .clusters
        .iter()
        .find(|c| Some(&c.code) == back.as_ref() && c.year == year && in_cluster(&scope, c, &unit))
        .map(|c| c.code.clone());
    let proposal = Proposal {
        year,
        award: AwardFormCode::parse(&fields.get("award"))?,
        recipient,
        cluster,
        achievements: fields.get("achievements"),
        source: ProposalSource::Upper,
    };
    state.store.propose_award(&Actor::from(&principal), proposal).await?;
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
    let proposal = state.store.proposal(id_of(&id, "đề nghị khen thưởng")?).await?;
    let scope = state.app.directory().await?;
    let principal = user.principal();
    let access = scope.access(&principal);
    if !can_see(&access, &scope, &proposal.proposal) {
        return Err(AppError::Forbidden(
            "bạn không có quyền xem đề nghị khen thưởng này".into(),
        ));
    }
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
    state
        .store
        .move_proposal(
            &Actor::from(&principal),
            proposal.id,
            action,
            rights(&access, &scope, &proposal.proposal),
            version,
            Some(reason.as_str()).filter(|r| !r.is_empty()),
        )
        .await?;
    let cluster = proposal.proposal.cluster.as_ref().map(|c| c.to_string());
    Ok(Redirect::to(&list_url(cluster.as_deref(), Some(proposal.proposal.year))).into_response())
}
