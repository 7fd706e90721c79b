//! Khen thưởng — award proposals through their pipeline, decisions and their revocation,
//! and each unit's and person's award history.
//!
//! Who does what: the chair (or the upper level) proposes the units a closed vote chose;
//! the upper level proposes directly, reviews and escalates the proposals of the clusters
//! below it, records decisions for the units below it, and revokes them. Members see their
//! cluster's proposals and everyone the awards of the units they may see.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::NaiveDate;
use thidua_core::emulation::award::{
    AwardCatalogue, AwardDecision, AwardFormCode, AwardRecord, Proposal, ProposalAction, ProposalRights,
    ProposalSource, ProposalState, Recipient, Revocation, next_proposal_state,
};
use thidua_core::period::format_date_vi;
use thidua_core::text::matches_search;
use thidua_core::unit::kind_label_vi;
use thidua_core::{Access, Cluster, ClusterCode, UnitCode};
use thidua_store::{Actor, DecisionInput, ProposalFilter, StoredDecision, StoredProposal};

use super::ballot::ballot_id;
use super::emulation::{Fields, cluster_of_year, unit_name};
use crate::AppState;
use crate::auth::{CurrentUser, Me, Scope};
use crate::error::AppError;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/awards", get(list_page))
        .route("/awards/from-ballot", post(propose_from_ballot))
        .route("/awards/proposals", post(propose))
        .route("/awards/proposals/{id}", post(move_proposal))
        .route("/awards/decisions", post(record_decision))
        .route("/awards/decisions/{id}", get(decision_page))
        .route("/awards/decisions/{id}/revoke", post(revoke))
        .route("/awards/history", get(search_page))
        .route("/units/{unit}/awards", get(unit_page))
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

// ---------------------------------------------------------------- the list

/// `?cluster=HN-CUM2&year=2022`, both optional.
#[derive(Debug, serde::Deserialize)]
struct AwardsQuery {
    cluster: Option<String>,
    year: Option<String>,
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
struct ListPage {
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
    forms: Vec<(String, String)>,
    units: Vec<(String, String)>,
    default_year: i32,
    decidable: Vec<(i64, String)>,
    today: String,
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

fn proposal_row(access: &Access<'_>, scope: &Scope, catalogue: &AwardCatalogue, p: &StoredProposal) -> ProposalRow {
    let r = rights(access, scope, &p.proposal);
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
fn decision_row(access: &Access<'_>, scope: &Scope, catalogue: &AwardCatalogue, d: &StoredDecision) -> DecisionRow {
    let decision = &d.decision;
    DecisionRow {
        id: d.id,
        number: decision.number.clone(),
        signed_on: format_date_vi(decision.signed_on),
        award: form_name(catalogue, &decision.award),
        issuer: decision.issuer.clone(),
        recipients: access
            .visible_recipients(&decision.recipients)
            .into_iter()
            .map(|r| describe(scope, r))
            .collect::<Vec<_>>()
            .join("; "),
        revoked: decision.revocation.is_some(),
        revocation: revocation_text(decision),
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

async fn list_page(
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
    let code = query.cluster.as_deref().map(str::trim).filter(|c| !c.is_empty());
    let (cluster, scope) = match code {
        Some(code) => {
            let (cluster, scope) = cluster_of_year(&state, &user, code, year).await?;
            (Some(cluster), scope)
        }
        None => (None, state.app.directory().await?),
    };
    let year = cluster.as_ref().map(|c| c.year).or(year);
    let principal = user.principal();
    let access = scope.access(&principal);
    let filter = ProposalFilter {
        year,
        cluster: cluster.as_ref().map(|c| c.code.clone()),
        state: None,
    };
    let (catalogue, proposals, decisions) = tokio::try_join!(
        state.store.award_catalogue(),
        state.store.proposals(&filter),
        state.store.decisions(year),
    )?;
    let visible: Vec<&StoredProposal> = proposals
        .iter()
        .filter(|p| can_see(&access, &scope, &p.proposal))
        .collect();
    let decidable = visible
        .iter()
        .filter(|p| {
            let r = rights(&access, &scope, &p.proposal);
            next_proposal_state(p.state, ProposalAction::Decide, r, None).is_ok()
        })
        .map(|p| {
            (
                p.id,
                format!(
                    "{} — {} năm {}",
                    describe(&scope, &p.proposal.recipient),
                    form_name(&catalogue, &p.proposal.award),
                    p.proposal.year
                ),
            )
        })
        .collect();
    let decisions = decisions
        .iter()
        .filter(|d| {
            d.decision.recipients.iter().any(|r| {
                access.can_view_unit(r.unit()) && cluster.as_ref().is_none_or(|c| in_cluster(&scope, c, r.unit()))
            })
        })
        .map(|d| decision_row(&access, &scope, &catalogue, d))
        .collect();
    let can_propose = match &cluster {
        Some(c) => access.can_decide_for(c),
        None => scope.tree.units().any(|u| access.can_decide_awards(&u.code)),
    };
    let units = if can_propose {
        scope
            .tree
            .units()
            .filter(|u| access.can_decide_awards(&u.code))
            .filter(|u| cluster.as_ref().is_none_or(|c| in_cluster(&scope, c, &u.code)))
            .map(|u| (u.code.to_string(), u.short_name().to_owned()))
            .collect()
    } else {
        Vec::new()
    };
    let today = chrono::Local::now().date_naive();
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
        proposals: visible
            .iter()
            .map(|p| proposal_row(&access, &scope, &catalogue, p))
            .collect(),
        decisions,
        can_propose,
        forms: catalogue
            .forms()
            .iter()
            .map(|f| (f.code.to_string(), format!("{} ({})", f.name, f.recipients.label_vi())))
            .collect(),
        units,
        default_year: year.unwrap_or_else(|| chrono::Datelike::year(&today) - 1),
        decidable,
        today: today.to_string(),
    })
}

// ---------------------------------------------------------------- proposing

async fn propose_from_ballot(
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
async fn propose(
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

async fn move_proposal(
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

// ---------------------------------------------------------------- decisions

async fn record_decision(
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
struct DecisionPage {
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

async fn decision_page(
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

async fn revoke(
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

// ---------------------------------------------------------------- history

/// One line of an award history.
struct RecordRow {
    year: i32,
    award: String,
    kind: &'static str,
    recipient: String,
    unit_code: String,
    number: String,
    signed_on: String,
    issuer: String,
    revoked: bool,
    revocation: String,
}

fn record_row(scope: &Scope, r: &AwardRecord) -> RecordRow {
    RecordRow {
        year: r.year,
        award: r.award_name.clone(),
        kind: recipient_kind(&r.recipient),
        recipient: describe(scope, &r.recipient),
        unit_code: r.recipient.unit().to_string(),
        number: r.number.clone(),
        signed_on: format_date_vi(r.signed_on),
        issuer: r.issuer.clone(),
        revoked: r.revocation.is_some(),
        revocation: r
            .revocation
            .as_ref()
            .map(|v| {
                format!(
                    "Đã thu hồi theo quyết định số {} ngày {}. Lý do: {}",
                    v.number,
                    format_date_vi(v.on),
                    v.reason
                )
            })
            .unwrap_or_default(),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "award_history.html")]
struct UnitHistoryPage {
    title: String,
    query: String,
    me: Option<Me>,
    code: String,
    name: String,
    records: Vec<RecordRow>,
}

async fn unit_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
) -> Result<UnitHistoryPage, AppError> {
    let not_found = || AppError::NotFound(format!("không tìm thấy đơn vị «{code}»"));
    let unit = UnitCode::parse(&code).map_err(|_| not_found())?;
    let scope = state.app.directory().await?;
    let found = scope.tree.get(&unit).ok_or_else(not_found)?;
    super::ensure_can_view_unit(&scope, &user.principal(), found)?;
    let records = state.store.award_history_of_unit(&unit).await?;
    Ok(UnitHistoryPage {
        title: format!("Khen thưởng — {}", found.name),
        query: String::new(),
        me: Some(user.me()),
        code: unit.to_string(),
        name: found.name.clone(),
        records: records.iter().map(|r| record_row(&scope, r)).collect(),
    })
}

/// `?q=tran thi binh`.
#[derive(Debug, serde::Deserialize)]
struct SearchQuery {
    q: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "award_search.html")]
struct SearchPage {
    title: String,
    query: String,
    me: Option<Me>,
    q: String,
    people: Vec<RecordRow>,
    /// Units whose names match: (code, name, number of awards).
    units: Vec<(String, String, usize)>,
}

/// The most units a search lists.
const MAX_UNITS: usize = 30;

async fn search_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<SearchQuery>,
) -> Result<SearchPage, AppError> {
    let q = query.q.unwrap_or_default().trim().to_owned();
    let scope = state.app.directory().await?;
    let principal = user.principal();
    let access = scope.access(&principal);
    let (people, units) = if q.is_empty() {
        (Vec::new(), Vec::new())
    } else {
        let people: Vec<RecordRow> = state
            .store
            .award_history_of_person(&q)
            .await?
            .iter()
            .filter(|r| access.can_view_unit(r.recipient.unit()))
            .map(|r| record_row(&scope, r))
            .collect();
        let mut units = Vec::new();
        for u in scope
            .tree
            .units()
            .filter(|u| matches_search(&u.name, &q) && access.can_view_unit(&u.code))
            .take(MAX_UNITS)
        {
            let awards = state.store.award_history_of_unit(&u.code).await?.len();
            units.push((u.code.to_string(), u.name.clone(), awards));
        }
        (people, units)
    };
    Ok(SearchPage {
        title: if q.is_empty() {
            "Tra cứu khen thưởng".into()
        } else {
            format!("Tra cứu khen thưởng: {q}")
        },
        query: String::new(),
        me: Some(user.me()),
        q,
        people,
        units,
    })
}
