//! Quyết định khen thưởng — recording a decision from reviewed proposals, its page with
//! the recipients the viewer may see, and its revocation.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use thidua_core::Access;
use thidua_core::emulation::award::{AwardDecision, ProposalRights, Revocation};
use thidua_core::period::format_date_vi;
use thidua_core::unit::kind_label_vi;
use thidua_store::{Actor, DecisionInput, StoredDecision};

use super::{day_of, describe, form_name, id_of, recipient_kind, revocation_text, rights};
use crate::AppState;
use crate::auth::{CurrentUser, Me, Scope};
use crate::error::AppError;
use crate::pages::emulation::Fields;

pub(super) async fn record_decision(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let fields = Fields(fields);
    user.check_csrf(&fields.get("csrf"))?;
    let ids = fields
        .all("proposal")
        .map(|raw| id_of(raw, "đề nghị khen thưởng"))
        .collect::<Result<Vec<_>, _>>()?;
    if ids.is_empty() {
        return Err(AppError::BadRequest(
            "hãy chọn ít nhất một đề nghị được khen thưởng trong quyết định".into(),
        ));
    }
    let scope = state.app.directory().await?;
    let principal = user.principal();
    let access = scope.access(&principal);
    let mut proposals = Vec::with_capacity(ids.len());
    for id in &ids {
        let p = state.store.proposal(*id).await?;
        if !access.can_decide_awards(p.proposal.recipient.unit()) {
            return Err(AppError::Forbidden(format!(
                "bạn không có quyền quyết định khen thưởng cho {}",
                describe(&scope, &p.proposal.recipient)
            )));
        }
        proposals.push(p);
    }
    let first = &proposals[0].proposal;
    let catalogue = state.store.award_catalogue().await?;
    let form = catalogue.require(&first.award)?;
    let issuer = Some(fields.get("issuer"))
        .filter(|i| !i.is_empty())
        .unwrap_or_else(|| form.issuer.clone());
    let decision = AwardDecision {
        number: fields.get("number"),
        signed_on: day_of(&fields.get("signed_on"), "ngày ký quyết định")?,
        issuer,
        level: fields.get("level"),
        award: first.award.clone(),
        year: first.year,
        recipients: proposals.iter().map(|p| p.proposal.recipient.clone()).collect(),
        revocation: None,
    };
    // Every proposal passed `can_decide_awards` above.
    let stored = state
        .store
        .record_decision(
            &Actor::from(&principal),
            DecisionInput {
                decision,
                proposals: ids,
            },
            ProposalRights {
                can_review: proposals
                    .iter()
                    .all(|p| rights(&access, &scope, &p.proposal).can_review),
                can_decide: true,
            },
        )
        .await?;
    Ok(Redirect::to(&format!("/awards/decisions/{}", stored.id)).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "award_decision.html")]
pub(super) struct DecisionPage {
    title: String,
    query: String,
    me: Option<Me>,
    csrf: String,
    id: i64,
    number: String,
    signed_on: String,
    issuer: String,
    level: String,
    award: String,
    year: i32,
    recipients: Vec<(&'static str, String, String)>,
    proposals: Vec<i64>,
    revoked: bool,
    revocation: String,
    can_revoke: bool,
    today: String,
}

/// A decision the user may see: one of its recipients is theirs to see.
async fn load_decision(state: &AppState, user: &CurrentUser, id: &str) -> Result<(StoredDecision, Scope), AppError> {
    let decision = state.store.decision(id_of(id, "quyết định khen thưởng")?).await?;
    let scope = state.app.directory().await?;
    let principal = user.principal();
    let access = scope.access(&principal);
    if access.visible_recipients(&decision.decision.recipients).is_empty() {
        return Err(AppError::Forbidden(format!(
            "bạn không có quyền xem quyết định {}",
            decision.decision.number
        )));
    }
    Ok((decision, scope))
}

/// The upper level above every recipient may revoke.
fn may_revoke(access: &Access<'_>, d: &AwardDecision) -> bool {
    d.recipients.iter().all(|r| access.can_decide_awards(r.unit()))
}

pub(super) async fn decision_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<DecisionPage, AppError> {
    let (stored, scope) = load_decision(&state, &user, &id).await?;
    let catalogue = state.store.award_catalogue().await?;
    let principal = user.principal();
    let access = scope.access(&principal);
    let d = &stored.decision;
    let visible = access.visible_recipients(&d.recipients);
    Ok(DecisionPage {
        title: format!("Quyết định khen thưởng số {}", d.number),
        query: String::new(),
        me: Some(user.me()),
        csrf: user.csrf.clone(),
        id: stored.id,
        number: d.number.clone(),
        signed_on: format_date_vi(d.signed_on),
        issuer: d.issuer.clone(),
        level: kind_label_vi(&d.level).to_owned(),
        award: form_name(&catalogue, &d.award),
        year: d.year,
        // A decision for units of several clusters names to each viewer only theirs.
        recipients: visible
            .iter()
            .map(|r| (recipient_kind(r), describe(&scope, r), r.unit().to_string()))
            .collect(),
        // The proposals behind it would name, by number, recipients the viewer may not
        // see: listed only to whoever sees every recipient.
        proposals: if visible.len() == d.recipients.len() {
            stored.proposals.clone()
        } else {
            Vec::new()
        },
        revoked: d.revocation.is_some(),
        revocation: revocation_text(d),
        can_revoke: d.revocation.is_none() && may_revoke(&access, d),
        today: chrono::Local::now().date_naive().to_string(),
    })
}

pub(super) async fn revoke(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let fields = Fields(fields);
    user.check_csrf(&fields.get("csrf"))?;
    let (stored, scope) = load_decision(&state, &user, &id).await?;
    let principal = user.principal();
    let access = scope.access(&principal);
    let revocation = Revocation {
        number: fields.get("number"),
        on: day_of(&fields.get("on"), "ngày thu hồi")?,
        reason: fields.get("reason"),
    };
    state
        .store
        .revoke_decision(
            &Actor::from(&principal),
            stored.id,
            revocation,
            may_revoke(&access, &stored.decision),
        )
        .await?;
    Ok(Redirect::to(&format!("/awards/decisions/{}", stored.id)).into_response())
}
