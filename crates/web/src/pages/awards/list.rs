//! Đề nghị và quyết định — the award proposals and decisions of a cluster and year (or
//! of everything the user may see), each proposal with the moves the user may make, and
//! the forms to propose (a collective and an individual one, each offering only the
//! award forms for its kind) and to record a decision. A form refused for what was typed
//! comes back in place with everything typed and each mistake next to its field.

use std::collections::BTreeMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use thidua_core::emulation::award::{
    AwardCatalogue, Proposal, ProposalAction, ProposalSource, ProposalState, RecipientKinds, next_proposal_state,
};
use thidua_core::period::format_date_vi;
use thidua_store::{StoredDecision, StoredProposal};

use super::{describe, form_name, recipient_kind, revocation_text, year_of};
use crate::AppState;
use crate::auth::{CurrentUser, Me};
use crate::error::AppError;
use crate::pages::emulation::{cluster_of_year, unit_name};
use thidua_app::awards;

/// `?cluster=HN-CUM2&year=2022`, both optional; `done=review` after a move.
#[derive(Debug, serde::Deserialize)]
pub(super) struct AwardsQuery {
    cluster: Option<String>,
    year: Option<String>,
    done: Option<String>,
}

/// The notice after a proposal was moved: a fixed text per move, so the address cannot
/// put words on the page.
fn move_notice(done: Option<&str>) -> &'static str {
    match done {
        Some("review") => "Đã thẩm định đề nghị khen thưởng.",
        Some("escalate") => "Đã trình đề nghị khen thưởng lên cấp trên.",
        Some("reject") => "Đã ghi không khen thưởng đề nghị, kèm lý do.",
        _ => "",
    }
}

/// Each field's mistake, in a sentence, by field name.
#[derive(Debug, Default)]
pub(super) struct FieldErrors(BTreeMap<&'static str, String>);

impl FieldErrors {
    /// Notes the mistake of `field` (a sentence, capitalised here).
    pub(super) fn set(&mut self, field: &'static str, message: &str) {
        self.0.insert(field, crate::error::sentence(message));
    }

    /// The mistake of `field`; empty when none.
    pub(super) fn of(&self, field: &str) -> &str {
        self.0.get(field).map_or("", String::as_str)
    }

    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A proposal form as shown: the defaults, or what was typed in it when refused.
#[derive(Debug, Default)]
pub(super) struct ProposalForm {
    pub(super) award: String,
    pub(super) year: String,
    pub(super) unit: String,
    pub(super) name: String,
    pub(super) person_title: String,
    pub(super) achievements: String,
    pub(super) errors: FieldErrors,
    /// A refusal no field is to blame for (a proposal made already, …).
    pub(super) error: String,
}

/// The decision form as shown: the defaults, or what was typed in it when refused.
#[derive(Debug, Default)]
pub(super) struct DecisionForm {
    pub(super) proposals: Vec<i64>,
    pub(super) number: String,
    pub(super) signed_on: String,
    pub(super) issuer: String,
    pub(super) level: String,
    pub(super) errors: FieldErrors,
    pub(super) error: String,
}

/// A form that was refused, to show back in place.
#[derive(Debug)]
pub(super) enum Refused {
    /// A proposal for a collective (`false`) or an individual (`true`).
    Proposal { individual: bool, form: ProposalForm },
    /// A decision.
    Decision(DecisionForm),
}

/// A proposal as listed, with the moves the user may make.
struct ProposalRow {
    id: i64,
    version: i64,
    year: i32,
    award: String,
    kind: &'static str,
    recipient: String,
    source: String,
    source_href: String,
    achievements: String,
    state: &'static str,
    state_class: &'static str,
    reason: String,
    decision: Option<i64>,
    /// (action, button label).
    moves: Vec<(&'static str, &'static str)>,
    can_reject: bool,
}

/// A decision as listed.
struct DecisionRow {
    id: i64,
    number: String,
    signed_on: String,
    award: String,
    issuer: String,
    recipients: String,
    revoked: bool,
    revocation: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "award_list.html")]
pub(super) struct ListPage {
    title: String,
    query: String,
    me: Option<Me>,
    csrf: String,
    /// The cluster filtered on: (code, name, year), or empty.
    cluster_code: String,
    cluster_name: String,
    year: String,
    proposals: Vec<ProposalRow>,
    decisions: Vec<DecisionRow>,
    can_propose: bool,
    /// The award forms for collectives, and those for individuals: (code, name).
    collective_forms: Vec<(String, String)>,
    individual_forms: Vec<(String, String)>,
    units: Vec<(String, String)>,
    collective: ProposalForm,
    individual: ProposalForm,
    decidable: Vec<(i64, String)>,
    decision: DecisionForm,
    notice: &'static str,
}

fn state_class(s: ProposalState) -> &'static str {
    match s {
        ProposalState::Proposed => "state-draft",
        ProposalState::Reviewed | ProposalState::Escalated => "state-submitted",
        ProposalState::Decided => "state-accepted",
        ProposalState::Rejected => "state-returned",
    }
}

fn source(p: &Proposal) -> (String, String) {
    match &p.source {
        ProposalSource::Ballot { ballot, question } => (
            format!("Từ kết quả bỏ phiếu (câu {question})"),
            format!("/ballots/{ballot}"),
        ),
        ProposalSource::Cluster => ("Cụm thi đua đề nghị".into(), String::new()),
        ProposalSource::Upper => ("Cấp trên đề nghị".into(), String::new()),
    }
}

fn proposal_row(caller: &thidua_app::Context, catalogue: &AwardCatalogue, p: &StoredProposal) -> ProposalRow {
    let scope = &caller.directory;
    let r = awards::rights(caller, &p.proposal);
    let moves = [
        (ProposalAction::Review, "review", "Thẩm định"),
        (ProposalAction::Escalate, "escalate", "Trình cấp trên"),
    ]
    .into_iter()
    .filter(|(a, _, _)| next_proposal_state(p.state, *a, r, None).is_ok())
    .map(|(_, action, label)| (action, label))
    .collect();
    let (source, source_href) = source(&p.proposal);
    ProposalRow {
        id: p.id,
        version: p.version,
        year: p.proposal.year,
        award: form_name(catalogue, &p.proposal.award),
        kind: recipient_kind(&p.proposal.recipient),
        recipient: describe(scope, &p.proposal.recipient),
        source,
        source_href,
        achievements: p.proposal.achievements.clone(),
        state: p.state.label_vi(),
        state_class: state_class(p.state),
        reason: p.reason.clone().unwrap_or_default(),
        decision: p.decision_id,
        moves,
        can_reject: next_proposal_state(p.state, ProposalAction::Reject, r, Some("lý do")).is_ok(),
    }
}

/// A decision as listed to the user: only the recipients they may see are named.
fn decision_row(caller: &thidua_app::Context, catalogue: &AwardCatalogue, d: &StoredDecision) -> DecisionRow {
    let scope = &caller.directory;
    let decision = &d.decision;
    DecisionRow {
        id: d.id,
        number: decision.number.clone(),
        signed_on: format_date_vi(decision.signed_on),
        award: form_name(catalogue, &decision.award),
        issuer: decision.issuer.clone(),
        recipients: caller
            .access()
            .visible_recipients(&decision.recipients)
            .into_iter()
            .map(|r| describe(scope, r))
            .collect::<Vec<_>>()
            .join("; "),
        revoked: decision.revocation.is_some(),
        revocation: revocation_text(decision),
    }
}

pub(super) async fn list_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<AwardsQuery>,
) -> Result<ListPage, AppError> {
    let year = query
        .year
        .as_deref()
        .filter(|y| !y.trim().is_empty())
        .map(year_of)
        .transpose()?;
    let mut page = render_list(&state, &user, query.cluster.as_deref(), year, None).await?;
    page.notice = move_notice(query.done.as_deref());
    Ok(page)
}

/// The list of `cluster`'s (or every) awards of `year` for the user, with `refused`
/// shown back in its form.
pub(super) async fn render_list(
    state: &AppState,
    user: &CurrentUser,
    cluster: Option<&str>,
    year: Option<i32>,
    refused: Option<Refused>,
) -> Result<ListPage, AppError> {
    let code = cluster.map(str::trim).filter(|c| !c.is_empty());
    let (cluster, scope) = match code {
        Some(code) => {
            let (cluster, scope) = cluster_of_year(state, user, code, year).await?;
            (Some(cluster), scope)
        }
        None => (None, state.app.directory().await?),
    };
    let caller = thidua_app::Context {
        principal: user.principal(),
        directory: scope,
    };
    let year = cluster.as_ref().map(|c| c.year).or(year);
    let awards::Listing {
        catalogue,
        proposals,
        decisions,
        can_propose,
        units,
    } = awards::listing(&state.app, &caller, cluster.as_ref(), year).await?;
    let decidable: Vec<&StoredProposal> = proposals
        .iter()
        .filter(|p| {
            let r = awards::rights(&caller, &p.proposal);
            next_proposal_state(p.state, ProposalAction::Decide, r, None).is_ok()
        })
        .collect();
    let today = chrono::Local::now().date_naive();
    // Signed today when the proposals' year allows it, else on that year's last day: a
    // date the decision may bear.
    let decision_year = year.or_else(|| decidable.iter().map(|p| p.proposal.year).min());
    let default_day = decision_year.map_or(today, |y| awards::default_signing_day(y, today));
    let decidable = decidable
        .into_iter()
        .map(|p| {
            (
                p.id,
                format!(
                    "{} — {} năm {}",
                    describe(&caller.directory, &p.proposal.recipient),
                    form_name(&catalogue, &p.proposal.award),
                    p.proposal.year
                ),
            )
        })
        .collect();
    let decisions = decisions.iter().map(|d| decision_row(&caller, &catalogue, d)).collect();
    let units = units
        .iter()
        .map(|u| (u.to_string(), unit_name(&caller.directory, u)))
        .collect();
    let forms_for = |individual: bool| -> Vec<(String, String)> {
        catalogue
            .forms()
            .iter()
            .filter(|f| match f.recipients {
                RecipientKinds::Both => true,
                RecipientKinds::Collective => !individual,
                RecipientKinds::Individual => individual,
            })
            .map(|f| (f.code.to_string(), f.name.clone()))
            .collect()
    };
    let (collective_forms, individual_forms) = (forms_for(false), forms_for(true));
    let default_year = year.unwrap_or_else(|| chrono::Datelike::year(&today) - 1).to_string();
    let fresh = |forms: &[(String, String)]| ProposalForm {
        award: forms.first().map(|(c, _)| c.clone()).unwrap_or_default(),
        year: default_year.clone(),
        ..ProposalForm::default()
    };
    let (mut collective, mut individual) = (fresh(&collective_forms), fresh(&individual_forms));
    let mut decision = DecisionForm {
        signed_on: default_day.to_string(),
        ..DecisionForm::default()
    };
    match refused {
        Some(Refused::Proposal { individual: true, form }) => individual = form,
        Some(Refused::Proposal {
            individual: false,
            form,
        }) => collective = form,
        Some(Refused::Decision(form)) => decision = form,
        None => {}
    }
    Ok(ListPage {
        title: match &cluster {
            Some(c) => format!("Khen thưởng năm {} — {}", c.year, c.name),
            None => "Khen thưởng".into(),
        },
        query: String::new(),
        me: Some(user.me()),
        csrf: user.csrf.clone(),
        cluster_code: cluster.as_ref().map(|c| c.code.to_string()).unwrap_or_default(),
        cluster_name: cluster.as_ref().map(|c| c.name.clone()).unwrap_or_default(),
        year: year.map(|y| y.to_string()).unwrap_or_default(),
        proposals: proposals.iter().map(|p| proposal_row(&caller, &catalogue, p)).collect(),
        decisions,
        can_propose,
        collective_forms,
        individual_forms,
        units,
        collective,
        individual,
        decidable,
        decision,
        notice: "",
    })
}
