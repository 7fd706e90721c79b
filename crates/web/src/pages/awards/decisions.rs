//! Quyết định khen thưởng — recording a decision from reviewed proposals, its page with
//! the recipients the viewer may see, and its revocation. A decision refused for what
//! was typed comes back in place on the list, with the mistake next to its field.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use thidua_app::awards::{self, DecisionEntry, RevocationEntry};
use thidua_core::ClusterCode;
use thidua_core::period::format_date_vi;
use thidua_core::unit::kind_label_vi;
use thidua_store::StoredDecision;

use super::list::{DecisionForm, Refused, render_list};
use super::proposals::in_place;
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
    let mut form = DecisionForm {
        proposals: ids.clone(),
        number: entry.number.clone(),
        signed_on: entry.signed_on.clone(),
        issuer: entry.issuer.clone(),
        level: entry.level.clone(),
        ..DecisionForm::default()
    };
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    field_mistakes(&state, &caller, &ids, &entry, &mut form).await?;
    if form.errors.is_empty() {
        match awards::record_decision(&state.app, &caller, ids, entry).await {
            Ok(stored) => return Ok(Redirect::to(&format!("/awards/decisions/{}", stored.id)).into_response()),
            Err(e) => (status, form.error) = in_place(e.into())?,
        }
    }
    let cluster = fields.get("cluster");
    let list_year = fields.get("list_year").parse::<i32>().ok();
    let cluster = ClusterCode::parse(&cluster).ok();
    let page = render_list(
        &state,
        &user,
        cluster.as_ref().map(ClusterCode::as_str),
        list_year,
        Some(Refused::Decision(form)),
    )
    .await?;
    Ok((status, page).into_response())
}

/// The mistakes of a decision that can be named by field: no proposal chosen, no
/// number, a day that is none or outside the years the first proposal's may be signed in.
async fn field_mistakes(
    state: &AppState,
    caller: &thidua_app::Context,
    ids: &[i64],
    entry: &DecisionEntry,
    form: &mut DecisionForm,
) -> Result<(), AppError> {
    if ids.is_empty() {
        form.errors.set(
            "proposal",
            "hãy chọn ít nhất một đề nghị được khen thưởng trong quyết định",
        );
    }
    if entry.number.is_empty() {
        form.errors.set("number", "hãy ghi số quyết định");
    }
    match awards::parse_day(&entry.signed_on, "ngày ký quyết định") {
        Err(e) => form.errors.set("signed_on", &e.to_string()),
        Ok(day) => {
            if let Some(first) = ids.first() {
                let proposal = awards::proposal(&state.app, caller, *first).await?;
                if let Err(e) = awards::check_signing_day(proposal.proposal.year, day) {
                    form.errors.set("signed_on", &e.to_string());
                }
            }
        }
    }
    Ok(())
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
