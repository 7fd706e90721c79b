//! Đề nghị khen thưởng — proposing from a closed vote or directly, and moving a proposal
//! along its pipeline (review, escalate, reject). A proposal refused for what was typed
//! comes back in place — the ballot's page for a proposal from a question, the list for
//! a direct one — with what was typed and the mistake next to its field; a move ends on
//! a notice.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use thidua_app::awards::{self, DirectProposal};
use thidua_core::emulation::award::{AwardFormCode, ProposalAction, RecipientKinds};
use thidua_core::{ClusterCode, UnitCode};

use super::list::{ProposalForm, Refused, render_list};
use super::{id_of, list_url};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppError, sentence};
use crate::pages::ballot::{Extras, Proposing, ballot_id, render_ballot};
use crate::pages::emulation::Fields;

/// The status a refusal shown back in place answers with (409 for a clash with what is
/// stored, 422 for what was typed), and its message as a sentence; what no form can fix
/// (no right, a server fault) is given back, to stay an error page.
pub(super) fn in_place(error: AppError) -> Result<(StatusCode, String), AppError> {
    match error {
        AppError::Conflict(m) => Ok((StatusCode::CONFLICT, sentence(&m))),
        AppError::BadRequest(m) | AppError::NotFound(m) => Ok((StatusCode::UNPROCESSABLE_ENTITY, sentence(&m))),
        other => Err(other),
    }
}

pub(super) async fn propose_from_ballot(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let fields = Fields(fields);
    user.check_csrf(&fields.get("csrf"))?;
    let ballot = ballot_id(&fields.get("ballot"))?;
    let caller = state.app.context(user.principal()).await?;
    let question = fields.get("question");
    let refused = match awards::propose_from_ballot(
        &state.app,
        &caller,
        ballot,
        &question,
        &fields.get("award"),
        &fields.get("achievements"),
    )
    .await
    {
        Ok(cluster) => {
            return Ok(Redirect::to(&list_url(Some(cluster.code.as_str()), Some(cluster.year))).into_response());
        }
        Err(e) => AppError::from(e),
    };
    // Said on the ballot's page next to the question, when the page shows its form (or
    // that it has proposed); a question without a result has no form to show it on.
    let original = refused.to_string();
    let (status, message) = in_place(refused)?;
    let (ballot, cluster) = thidua_app::ballot::ballot(&state.app, &caller, ballot).await?;
    let extras = Extras {
        proposing: Some(Proposing {
            question: question.clone(),
            award: fields.get("award"),
            achievements: fields.get("achievements"),
            error: message,
        }),
        ..Extras::default()
    };
    let page = render_ballot(&state, &user, &ballot, &cluster, &caller, extras).await?;
    if !page.offers_proposal(&question) {
        return Err(match status {
            StatusCode::CONFLICT => AppError::Conflict(original),
            _ => AppError::BadRequest(original),
        });
    }
    Ok((status, page).into_response())
}

/// The mistakes of a direct proposal that can be named by field, before it is tried.
async fn field_mistakes(
    state: &AppState,
    caller: &thidua_app::Context,
    fields: &Fields,
    individual: bool,
    form: &mut ProposalForm,
) -> Result<Option<(i32, UnitCode)>, AppError> {
    let year = fields
        .get("year")
        .parse::<i32>()
        .ok()
        .filter(|y| (1900..=9999).contains(y));
    if year.is_none() {
        form.errors.set(
            "year",
            &format!(
                "năm thành tích «{}» không hợp lệ; hãy ghi năm, ví dụ 2022",
                fields.get("year")
            ),
        );
    }
    let raw_unit = fields.get("unit");
    let unit = UnitCode::parse(&raw_unit)
        .ok()
        .filter(|u| caller.directory.tree.get(u).is_some());
    if unit.is_none() {
        form.errors.set(
            "unit",
            &format!("không tìm thấy đơn vị «{raw_unit}»; hãy chọn một đơn vị trong danh sách"),
        );
    }
    if individual && fields.get("name").is_empty() {
        form.errors.set("name", "hãy ghi họ và tên của cá nhân được đề nghị");
    }
    let catalogue = state.store.award_catalogue().await?;
    let raw_award = fields.get("award");
    let found = AwardFormCode::parse(&raw_award)
        .ok()
        .and_then(|c| catalogue.get(&c).cloned());
    let kind = if individual { "cá nhân" } else { "tập thể" };
    match found {
        None => form.errors.set(
            "award",
            &format!("không có hình thức khen thưởng «{raw_award}»; hãy chọn một hình thức trong danh sách"),
        ),
        Some(f) => {
            let fits = match f.recipients {
                RecipientKinds::Both => true,
                RecipientKinds::Collective => !individual,
                RecipientKinds::Individual => individual,
            };
            if !fits {
                form.errors.set(
                    "award",
                    &format!(
                        "{} chỉ dành cho {}; hãy chọn một hình thức khen thưởng {kind}",
                        f.name,
                        f.recipients.label_vi()
                    ),
                );
            }
        }
    }
    Ok(year.zip(unit).filter(|_| form.errors.is_empty()))
}

/// The upper level proposes a unit or a person directly.
pub(super) async fn propose(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let fields = Fields(fields);
    user.check_csrf(&fields.get("csrf"))?;
    let caller = state.app.context(user.principal()).await?;
    // Filed under the cluster it was proposed from, when the unit belongs to it that year;
    // the field comes back from the page, so anything but a cluster code is ignored.
    let back = ClusterCode::parse(&fields.get("cluster")).ok();
    let individual = fields.get("kind") == "individual";
    let mut form = ProposalForm {
        award: fields.get("award"),
        year: fields.get("year"),
        unit: fields.get("unit"),
        name: fields.get("name"),
        person_title: fields.get("person_title"),
        achievements: fields.get("achievements"),
        ..ProposalForm::default()
    };
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    if let Some((year, unit)) = field_mistakes(&state, &caller, &fields, individual, &mut form).await? {
        let direct = DirectProposal {
            year,
            unit,
            person: individual.then(|| (fields.get("name"), fields.get("person_title"))),
            cluster: back.clone(),
            award: fields.get("award"),
            achievements: fields.get("achievements"),
        };
        match awards::propose(&state.app, &caller, direct).await {
            Ok(_) => {
                return Ok(Redirect::to(&list_url(back.as_ref().map(ClusterCode::as_str), Some(year))).into_response());
            }
            Err(e) => (status, form.error) = in_place(e.into())?,
        }
    }
    let list_year = fields.get("list_year").parse::<i32>().ok();
    let refused = Refused::Proposal { individual, form };
    let page = render_list(
        &state,
        &user,
        back.as_ref().map(ClusterCode::as_str),
        list_year,
        Some(refused),
    )
    .await?;
    Ok((status, page).into_response())
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
    // The list says what was done, in its own words: the address only names the move.
    let done = match action {
        ProposalAction::Review => "review",
        ProposalAction::Escalate => "escalate",
        _ => "reject",
    };
    let back = list_url(cluster.as_deref(), Some(proposal.proposal.year));
    let separator = if back.contains('?') { '&' } else { '?' };
    Ok(Redirect::to(&format!("{back}{separator}done={done}")).into_response())
}
