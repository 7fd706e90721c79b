//! Quyết định khen thưởng — recording a decision from reviewed proposals, its page with
//! the recipients the viewer may see, and its revocation.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use thidua_app::awards::{self, DecisionEntry, RevocationEntry};
use thidua_core::period::format_date_vi;
use thidua_core::unit::kind_label_vi;
use thidua_store::StoredDecision;

use super::{describe, form_name, id_of, recipient_kind, revocation_text};
use crate::AppState;
use crate::auth::{CurrentUser, Me};
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
    let caller = state.app.context(user.principal()).await?;
    let entry = DecisionEntry {
        number: fields.get("number"),
        signed_on: fields.get("signed_on"),
        issuer: fields.get("issuer"),
        level: fields.get("level"),
    };
    let stored = awards::record_decision(&state.app, &caller, ids, entry).await?;
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

/// A decision the user may see (one of its recipients is theirs to see), with the caller.
async fn load_decision(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
) -> Result<(StoredDecision, thidua_app::Context), AppError> {
    let id = id_of(id, "quyết định khen thưởng")?;
    let caller = state.app.context(user.principal()).await?;
    let decision = awards::decision(&state.app, &caller, id).await?;
    Ok((decision, caller))
}

pub(super) async fn decision_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<DecisionPage, AppError> {
    let (stored, caller) = load_decision(&state, &user, &id).await?;
    let catalogue = state.store.award_catalogue().await?;
    let scope = &caller.directory;
    let d = &stored.decision;
    let visible = caller.access().visible_recipients(&d.recipients);
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
            .map(|r| (recipient_kind(r), describe(scope, r), r.unit().to_string()))
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
        can_revoke: d.revocation.is_none() && awards::may_revoke(&caller, d),
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
    let (stored, caller) = load_decision(&state, &user, &id).await?;
    let entry = RevocationEntry {
        number: fields.get("number"),
        on: fields.get("on"),
        reason: fields.get("reason"),
    };
    awards::revoke(&state.app, &caller, &stored, entry).await?;
    Ok(Redirect::to(&format!("/awards/decisions/{}", stored.id)).into_response())
}
