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

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::NaiveDate;
use thidua_core::emulation::award::{AwardCatalogue, AwardKind, ProposalSource, RecipientKinds};
use thidua_core::emulation::ballot::{
    BallotSpec, BallotState, Outcome, Paper, Question, QuestionKind, QuestionTally, TallyRecord, Threshold,
    invalid_reason,
};
use thidua_core::number::{format_decimal_trimmed, format_integer};
use thidua_core::period::format_date_vi;
use thidua_core::{Cluster, UnitCode};
use thidua_report::document::OfficialDocument;
use thidua_report::emulation_documents::{Heading, tally_record_document};
use thidua_store::{Actor, Ballot, ProposalFilter};

use super::emulation::{Fields, YearQuery, cluster_of_year, unit_name};
use crate::AppState;
use crate::auth::{CurrentUser, Me, Scope};
use crate::error::AppError;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/clusters/{code}/ballots", get(list_page).post(open))
        .route("/ballots/{id}", get(ballot_page))
        .route("/ballots/{id}/vote", post(vote))
        .route("/ballots/{id}/close", post(close))
        .route("/ballots/{id}/record.docx", get(record_docx))
        .route("/ballots/{id}/record.pdf", get(record_pdf))
}

// ---------------------------------------------------------------- the cluster's ballots

/// One ballot in the cluster's list.
struct BallotRow {
    id: i64,
    title: String,
    state: String,
    is_open: bool,
    opened_on: String,
    voted: String,
}

/// A standard question in the opening form.
struct QuestionChoice {
    key: &'static str,
    label: String,
    /// Whether the question takes a threshold (a ranking does not).
    has_threshold: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "ballot_list.html")]
struct ListPage {
    title: String,
    query: String,
    me: Option<Me>,
    csrf: String,
    code: String,
    name: String,
    year: i32,
    ballots: Vec<BallotRow>,
    can_open: bool,
    default_title: String,
    choices: Vec<QuestionChoice>,
    member_count: usize,
    error: String,
}

fn choices(year: i32) -> Vec<QuestionChoice> {
    vec![
        QuestionChoice {
            key: "rank",
            label: QuestionKind::RankMembers.label_vi().into(),
            has_threshold: false,
        },
        QuestionChoice {
            key: "leading",
            label: format!("{} (đề nghị tặng Cờ thi đua)", QuestionKind::LeadingUnit.label_vi()),
            has_threshold: true,
        },
        QuestionChoice {
            key: "commend",
            label: QuestionKind::Commendation { max_choices: 1 }.label_vi().into(),
            has_threshold: true,
        },
        QuestionChoice {
            key: "chair",
            label: format!("{} năm {}", QuestionKind::Chair.label_vi(), year + 1),
            has_threshold: true,
        },
        QuestionChoice {
            key: "deputy",
            label: format!("{} năm {}", QuestionKind::Deputy.label_vi(), year + 1),
            has_threshold: true,
        },
    ]
}

async fn render_list(
    state: &AppState,
    user: &CurrentUser,
    cluster: &Cluster,
    scope: &Scope,
    error: String,
) -> Result<ListPage, AppError> {
    let principal = user.principal();
    let access = scope.access(&principal);
    let mut ballots = Vec::new();
    for b in state.store.ballots(&cluster.code, cluster.year).await? {
        let voted = state.store.who_has_voted(b.id).await?.len();
        ballots.push(BallotRow {
            id: b.id,
            title: b.spec.title.clone(),
            state: b.state.label_vi().into(),
            is_open: b.state == BallotState::Open,
            opened_on: day_of(&b.opened_at).map(format_date_vi).unwrap_or_default(),
            voted: format!(
                "{}/{}",
                format_integer(count(voted)),
                format_integer(count(b.spec.electorate.len()))
            ),
        });
    }
    Ok(ListPage {
        title: format!("Bình xét, suy tôn năm {} — {}", cluster.year, cluster.name),
        query: String::new(),
        me: Some(user.me()),
        csrf: user.csrf.clone(),
        code: cluster.code.to_string(),
        name: cluster.name.clone(),
        year: cluster.year,
        ballots,
        can_open: access.can_run_cluster(cluster),
        default_title: format!("Phiếu bình xét thi đua năm {}", cluster.year),
        choices: choices(cluster.year),
        member_count: cluster.members.len(),
        error,
    })
}

async fn list_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    Query(query): Query<YearQuery>,
) -> Result<ListPage, AppError> {
    let (cluster, scope) = cluster_of_year(&state, &user, &code, query.year).await?;
    render_list(&state, &user, &cluster, &scope, String::new()).await
}

/// "qua-ban", "hai-phan-ba" or "nhieu-nhat" (no threshold: the most votes win).
fn parse_threshold(raw: &str) -> Result<Option<Threshold>, AppError> {
    match raw {
        "" | "qua-ban" => Ok(Some(Threshold::MORE_THAN_HALF)),
        "hai-phan-ba" => Ok(Some(Threshold {
            numerator: 2,
            denominator: 3,
            strict: false,
        })),
        "nhieu-nhat" => Ok(None),
        other => Err(AppError::BadRequest(format!("ngưỡng trúng «{other}» không hợp lệ"))),
    }
}

/// The ballot the opening form asks for: the ticked standard questions, numbered in the
/// paper's order, every member a candidate and a voter.
fn spec_from_form(cluster: &Cluster, fields: &Fields) -> Result<BallotSpec, AppError> {
    let mut questions = Vec::new();
    let year = cluster.year;
    for choice in choices(year) {
        if !fields.has(choice.key) {
            continue;
        }
        let (kind, text) = match choice.key {
            "rank" => (QuestionKind::RankMembers, choice.label.clone()),
            "leading" => (
                QuestionKind::LeadingUnit,
                QuestionKind::LeadingUnit.label_vi().to_owned(),
            ),
            "commend" => {
                let raw = fields.get("commend_n");
                let max_choices: u32 = raw.parse().map_err(|_| {
                    AppError::BadRequest(format!("số đơn vị đề nghị tặng Bằng khen «{raw}» phải là một số"))
                })?;
                (
                    QuestionKind::Commendation { max_choices },
                    format!(
                        "{} (chọn tối đa {} đơn vị)",
                        QuestionKind::Commendation { max_choices }.label_vi(),
                        format_integer(i64::from(max_choices))
                    ),
                )
            }
            "chair" => (QuestionKind::Chair, choice.label.clone()),
            _ => (QuestionKind::Deputy, choice.label.clone()),
        };
        let threshold = if kind.is_ranking() {
            None
        } else {
            parse_threshold(&fields.get(&format!("{}_t", choice.key)))?
        };
        questions.push(Question {
            code: (questions.len() + 1).to_string(),
            text,
            kind,
            candidates: cluster.members.clone(),
            threshold,
        });
    }
    if questions.is_empty() {
        return Err(AppError::BadRequest(
            "hãy chọn ít nhất một câu hỏi cho phiếu bầu".into(),
        ));
    }
    Ok(BallotSpec {
        cluster: cluster.code.clone(),
        year,
        title: fields.get("title"),
        electorate: Vec::new(),
        questions,
    })
}

async fn open(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let fields = Fields(fields);
    user.check_csrf(&fields.get("csrf"))?;
    let year = fields.get("year").parse::<i32>().ok();
    let (cluster, scope) = cluster_of_year(&state, &user, &code, year).await?;
    let principal = user.principal();
    if !scope.access(&principal).can_run_cluster(&cluster) {
        return Err(AppError::Forbidden(format!(
            "chỉ cụm trưởng của {} năm {} (hoặc cấp trên) mở cuộc bỏ phiếu",
            cluster.name, cluster.year
        )));
    }
    let opened = match spec_from_form(&cluster, &fields) {
        Ok(spec) => state
            .store
            .open_ballot(&Actor::from(&principal), spec)
            .await
            .map_err(AppError::from),
        Err(e) => Err(e),
    };
    match opened {
        Ok(ballot) => Ok(Redirect::to(&format!("/ballots/{}", ballot.id)).into_response()),
        Err(AppError::BadRequest(m) | AppError::Conflict(m)) => {
            let page = render_list(&state, &user, &cluster, &scope, m).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(other) => Err(other),
    }
}

// ---------------------------------------------------------------- one ballot

/// A choice on the paper, with what this voter ticked (only ever shown to them, before
/// the paper is cast).
struct PaperChoice {
    code: String,
    name: String,
    checked: bool,
    /// The place given in a ranking; 0 when none.
    rank: u32,
}

/// A question on the paper.
struct PaperQuestion {
    index: usize,
    code: String,
    text: String,
    /// "rank", "one" or "many".
    style: &'static str,
    max_choices: String,
    threshold: String,
    choices: Vec<PaperChoice>,
}

/// A candidate's line in a question's count.
struct ResultRow {
    place: String,
    name: String,
    votes: String,
    percent: String,
    borda: String,
    average: String,
    mark: String,
}

/// A question's count, with what the chair can do with it.
struct QuestionResult {
    code: String,
    text: String,
    ranking: bool,
    valid: String,
    invalid: String,
    threshold: String,
    rows: Vec<ResultRow>,
    outcome: String,
    sentence: String,
    revote: bool,
    /// Whether the chair may propose awards from it (a leading unit or Bằng khen chosen).
    can_propose: bool,
    default_award: String,
    achievements: String,
    /// Proposals already made from it.
    proposed: Vec<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "ballot.html")]
struct BallotPage {
    title: String,
    query: String,
    me: Option<Me>,
    csrf: String,
    id: i64,
    code: String,
    name: String,
    year: i32,
    ballot_title: String,
    state: String,
    is_open: bool,
    opened: String,
    closed: String,
    voters: Vec<(String, bool)>,
    voted_count: String,
    electorate_count: String,
    can_vote: bool,
    vote_note: String,
    voter_name: String,
    paper: Vec<PaperQuestion>,
    ranks: Vec<u32>,
    warnings: Vec<String>,
    can_close: bool,
    /// The seal's short head as written at closing; empty while open.
    seal: String,
    /// What no longer matches the seal; empty when intact (or open).
    seal_problems: Vec<String>,
    record: Option<RecordSummary>,
    results: Vec<QuestionResult>,
    award_forms: Vec<(String, String)>,
}

/// The record's figures for the whole ballot.
struct RecordSummary {
    electorate: String,
    issued: String,
    received: String,
    revote_needed: bool,
}

fn count(n: usize) -> i64 {
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

/// The ballot, its cluster (after checking the user may see it) and the access scope.
async fn load(state: &AppState, user: &CurrentUser, id: &str) -> Result<(Ballot, Cluster, Scope), AppError> {
    let ballot = state.store.ballot(ballot_id(id)?).await?;
    let (cluster, scope) = cluster_of_year(state, user, ballot.spec.cluster.as_str(), Some(ballot.spec.year)).await?;
    Ok((ballot, cluster, scope))
}

/// The unit this user casts a paper for in `ballot`, if any.
fn voting_unit<'a>(user: &'a CurrentUser, scope: &Scope, cluster: &Cluster, ballot: &Ballot) -> Option<&'a UnitCode> {
    let principal = user.principal();
    let access = scope.access(&principal);
    user.user
        .unit
        .as_ref()
        .filter(|u| access.represents(cluster, u) && ballot.spec.may_vote(u))
}

fn paper_questions(spec: &BallotSpec, scope: &Scope, paper: Option<&Paper>) -> Vec<PaperQuestion> {
    spec.questions
        .iter()
        .enumerate()
        .map(|(index, q)| {
            let answer = paper.and_then(|p| p.answers.get(&q.code));
            let style = match q.kind {
                QuestionKind::RankMembers => "rank",
                QuestionKind::Commendation { .. } => "many",
                QuestionKind::LeadingUnit | QuestionKind::Chair | QuestionKind::Deputy => "one",
            };
            PaperQuestion {
                index,
                code: q.code.clone(),
                text: q.text.clone(),
                style,
                max_choices: format_integer(count(q.kind.max_choices(q.candidates.len()))),
                threshold: q.threshold.map(|t| t.label_vi()).unwrap_or_default(),
                choices: q
                    .candidates
                    .iter()
                    .map(|c| {
                        let position = answer.and_then(|a| a.iter().position(|u| u == c));
                        PaperChoice {
                            code: c.to_string(),
                            name: unit_name(scope, c),
                            checked: position.is_some(),
                            rank: position.map_or(0, |p| u32::try_from(p + 1).unwrap_or(0)),
                        }
                    })
                    .collect(),
            }
        })
        .collect()
}

fn results(
    record: &TallyRecord,
    scope: &Scope,
    can_run: bool,
    catalogue: &AwardCatalogue,
    issuer: &str,
    cluster: &Cluster,
    proposed: &[(String, String)],
) -> Vec<QuestionResult> {
    let name = |u: &UnitCode| unit_name(scope, u);
    record
        .questions
        .iter()
        .map(|q| {
            let ranking = q.kind.is_ranking();
            let invalid = q.invalid_vi();
            let rows = q
                .candidates
                .iter()
                .map(|c| {
                    let elected = q.chose(&c.unit);
                    let tied = q.tied(&c.unit);
                    ResultRow {
                        place: format!("{}{}", c.place, if c.tied { " (bằng)" } else { "" }),
                        name: name(&c.unit),
                        votes: format_integer(i64::from(c.votes)),
                        percent: format!("{}%", format_decimal_trimmed(c.percent, 2)),
                        borda: format_integer(i64::from(c.borda)),
                        average: c.average_rank.map_or("—".into(), |r| format_decimal_trimmed(r, 2)),
                        mark: if elected {
                            "Trúng".into()
                        } else if tied {
                            "Bằng phiếu".into()
                        } else {
                            String::new()
                        },
                    }
                })
                .collect();
            let award_kind = match q.kind {
                QuestionKind::LeadingUnit => Some(AwardKind::CoThiDua),
                QuestionKind::Commendation { .. } => Some(AwardKind::BangKhen),
                _ => None,
            };
            let elected = matches!(q.outcome, Outcome::Elected { .. });
            QuestionResult {
                code: q.code.clone(),
                text: q.text.clone(),
                ranking,
                valid: format_integer(i64::from(q.valid)),
                invalid,
                threshold: q.threshold.map(|t| t.label_vi()).unwrap_or_default(),
                rows,
                outcome: q.outcome.label_vi().into(),
                sentence: outcome_sentence(q, &name),
                revote: q.outcome.revote_needed(),
                can_propose: can_run && elected && award_kind.is_some(),
                default_award: award_kind
                    .map(|k| default_award(catalogue, k, issuer))
                    .unwrap_or_default(),
                achievements: match q.kind {
                    QuestionKind::LeadingUnit => {
                        format!("Đơn vị dẫn đầu {} năm {}", cluster.name, cluster.year)
                    }
                    _ => format!(
                        "Được {} bình xét đề nghị khen thưởng năm {}",
                        cluster.name, cluster.year
                    ),
                },
                proposed: proposed
                    .iter()
                    .filter(|(code, _)| code == &q.code)
                    .map(|(_, what)| what.clone())
                    .collect(),
            }
        })
        .collect()
}

fn outcome_sentence(q: &QuestionTally, name: &dyn Fn(&UnitCode) -> String) -> String {
    let names = |units: &[UnitCode]| units.iter().map(name).collect::<Vec<_>>().join(", ");
    match &q.outcome {
        Outcome::Elected { units } => format!("Trúng: {}.", names(units)),
        Outcome::Ranked { order } => format!(
            "Thứ tự: {}.",
            order
                .iter()
                .enumerate()
                .map(|(i, u)| format!("{}. {}", i + 1, name(u)))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        Outcome::Tie { tied, .. } if q.kind.is_ranking() => {
            format!("Bằng điểm nhau: {}.", names(tied))
        }
        Outcome::Tie { tied, settled } if settled.is_empty() => {
            format!("Bằng phiếu nhau: {}.", names(tied))
        }
        Outcome::Tie { tied, settled } => {
            format!("Đã có: {}; bằng phiếu nhau: {}.", names(settled), names(tied))
        }
        Outcome::NotReached | Outcome::NoValidPapers => String::new(),
    }
}

/// The form a question's winners are proposed for by default: of the right kind, for
/// collectives, granted by the body above the cluster when the catalogue has one.
fn default_award(catalogue: &AwardCatalogue, kind: AwardKind, issuer: &str) -> String {
    let fits = |f: &&thidua_core::emulation::AwardForm| f.kind == kind && f.recipients != RecipientKinds::Individual;
    catalogue
        .forms()
        .iter()
        .filter(fits)
        .find(|f| f.issuer == issuer)
        .or_else(|| catalogue.forms().iter().find(fits))
        .map(|f| f.code.to_string())
        .unwrap_or_default()
}

async fn render_ballot(
    state: &AppState,
    user: &CurrentUser,
    ballot: &Ballot,
    cluster: &Cluster,
    scope: &Scope,
    mine: Option<&Paper>,
    warnings: Vec<String>,
) -> Result<BallotPage, AppError> {
    let principal = user.principal();
    let access = scope.access(&principal);
    let voted = state.store.who_has_voted(ballot.id).await?;
    let is_open = ballot.state == BallotState::Open;
    let unit = voting_unit(user, scope, cluster, ballot);
    let has_voted = unit.is_some_and(|u| voted.contains(u));
    let can_vote = is_open && unit.is_some() && !has_voted;
    let vote_note = match unit {
        Some(u) if has_voted => format!("{} đã bỏ phiếu. Mỗi đơn vị chỉ bỏ một phiếu.", unit_name(scope, u)),
        None if is_open => {
            "Chỉ đại diện của các đơn vị thành viên bỏ phiếu; bạn được xem đơn vị nào đã bỏ phiếu.".into()
        }
        _ => String::new(),
    };
    let can_run = access.can_run_cluster(cluster);
    let seal = if is_open {
        None
    } else {
        Some(state.store.verify_ballot(ballot.id).await?)
    };
    let intact = seal.as_ref().filter(|s| s.is_intact()).and_then(|s| s.record.clone());
    let (record, results, award_forms) = match intact {
        None => (None, Vec::new(), Vec::new()),
        Some(record) => {
            let filter = ProposalFilter {
                year: Some(cluster.year),
                cluster: Some(cluster.code.clone()),
                state: None,
            };
            let (catalogue, proposals) =
                tokio::try_join!(state.store.award_catalogue(), state.store.proposals(&filter))?;
            let proposed: Vec<(String, String)> = proposals
                .iter()
                .filter_map(|p| match &p.proposal.source {
                    ProposalSource::Ballot { ballot: b, question } if *b == ballot.id => Some((
                        question.clone(),
                        format!(
                            "{} — {} ({})",
                            unit_name(scope, p.proposal.recipient.unit()),
                            catalogue
                                .get(&p.proposal.award)
                                .map_or_else(|| p.proposal.award.to_string(), |f| f.name.clone()),
                            p.state.label_vi()
                        ),
                    )),
                    _ => None,
                })
                .collect();
            let results = results(
                &record,
                scope,
                can_run,
                &catalogue,
                &super::emulation::issuer_name(scope, cluster),
                cluster,
                &proposed,
            );
            let forms = catalogue
                .forms()
                .iter()
                .filter(|f| f.recipients != RecipientKinds::Individual)
                .map(|f| (f.code.to_string(), f.name.clone()))
                .collect();
            let summary = RecordSummary {
                electorate: format_integer(i64::from(record.electorate)),
                issued: format_integer(i64::from(record.issued)),
                received: format_integer(i64::from(record.received)),
                revote_needed: record.revote_needed(),
            };
            (Some(summary), results, forms)
        }
    };
    let n = ballot.spec.electorate.len();
    Ok(BallotPage {
        title: format!("{} — {}", ballot.spec.title, cluster.name),
        query: String::new(),
        me: Some(user.me()),
        csrf: user.csrf.clone(),
        id: ballot.id,
        code: cluster.code.to_string(),
        name: cluster.name.clone(),
        year: cluster.year,
        ballot_title: ballot.spec.title.clone(),
        state: ballot.state.label_vi().into(),
        is_open,
        opened: format!(
            "Mở ngày {} ({})",
            day_of(&ballot.opened_at).map(format_date_vi).unwrap_or_default(),
            ballot.opened_by
        ),
        closed: match (&ballot.closed_at, &ballot.closed_by) {
            (Some(at), Some(by)) => format!(
                "Kết thúc ngày {} ({by})",
                day_of(at).map(format_date_vi).unwrap_or_default()
            ),
            _ => String::new(),
        },
        voters: ballot
            .spec
            .electorate
            .iter()
            .map(|u| (unit_name(scope, u), voted.contains(u)))
            .collect(),
        voted_count: format_integer(count(voted.len())),
        electorate_count: format_integer(count(n)),
        can_vote,
        vote_note,
        voter_name: unit.map(|u| unit_name(scope, u)).unwrap_or_default(),
        paper: if can_vote {
            paper_questions(&ballot.spec, scope, mine)
        } else {
            Vec::new()
        },
        ranks: (1..=u32::try_from(cluster.members.len()).unwrap_or(0)).collect(),
        warnings,
        can_close: is_open && can_run,
        seal: seal.as_ref().and_then(|s| s.head.clone()).unwrap_or_default(),
        seal_problems: seal.map(|s| s.problems).unwrap_or_default(),
        record,
        results,
        award_forms,
    })
}

async fn ballot_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<BallotPage, AppError> {
    let (ballot, cluster, scope) = load(&state, &user, &id).await?;
    render_ballot(&state, &user, &ballot, &cluster, &scope, None, Vec::new()).await
}

/// The paper as filled in: a ranking from the places given per unit (stopping at the
/// first place given twice or skipped, so such a ranking counts as incomplete), single
/// and multiple choices as ticked.
fn paper_from_form(spec: &BallotSpec, fields: &Fields) -> Result<Paper, AppError> {
    let unit = |raw: &str| {
        UnitCode::parse(raw).map_err(|_| AppError::BadRequest(format!("lựa chọn «{raw}» không có trong phiếu bầu")))
    };
    let mut paper = Paper::default();
    for (i, q) in spec.questions.iter().enumerate() {
        let answer = if q.kind.is_ranking() {
            let mut placed: Vec<(u32, usize)> = q
                .candidates
                .iter()
                .enumerate()
                .filter_map(|(c, u)| {
                    fields
                        .get(&format!("r{i}_{u}"))
                        .parse::<u32>()
                        .ok()
                        .map(|place| (place, c))
                })
                .collect();
            placed.sort_unstable();
            let mut ranked = Vec::new();
            for (place, c) in placed {
                if usize::try_from(place).ok() != Some(ranked.len() + 1) {
                    break;
                }
                ranked.push(q.candidates[c].clone());
            }
            ranked
        } else {
            fields
                .all(&format!("q{i}"))
                .filter(|v| !v.is_empty())
                .map(unit)
                .collect::<Result<Vec<_>, _>>()?
        };
        paper.answers.insert(q.code.clone(), answer);
    }
    Ok(paper)
}

/// What would make answers of `paper` invalid, in words for the voter.
fn warnings(spec: &BallotSpec, paper: &Paper) -> Vec<String> {
    spec.questions
        .iter()
        .filter_map(|q| {
            let answer = paper.answers.get(&q.code).map_or(&[][..], Vec::as_slice);
            invalid_reason(q, answer).map(|reason| {
                let hint = if q.kind.is_ranking() {
                    " (mỗi đơn vị một thứ hạng, từ 1 đến hết, không trùng)"
                } else {
                    ""
                };
                format!(
                    "Câu {} — {}: {}{hint}. Nếu vẫn gửi, câu này được tính là phiếu không hợp lệ.",
                    q.code,
                    q.text,
                    reason.label_vi()
                )
            })
        })
        .collect()
}

async fn vote(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let fields = Fields(fields);
    user.check_csrf(&fields.get("csrf"))?;
    let (ballot, cluster, scope) = load(&state, &user, &id).await?;
    let Some(unit) = voting_unit(&user, &scope, &cluster, &ballot).cloned() else {
        return Err(AppError::Forbidden(format!(
            "chỉ đại diện của các đơn vị thành viên {} năm {} mới bỏ phiếu",
            cluster.name, cluster.year
        )));
    };
    let paper = paper_from_form(&ballot.spec, &fields)?;
    // A unit the ballot does not offer can only come from a crafted request: refused, as
    // the store would, before the voter is asked to confirm anything.
    paper.check_shape(&ballot.spec)?;
    let warned = warnings(&ballot.spec, &paper);
    if !warned.is_empty() && !fields.has("confirm") && ballot.state == BallotState::Open {
        // Nothing is stored yet: the voter sees their own paper again, with the warning.
        let page = render_ballot(&state, &user, &ballot, &cluster, &scope, Some(&paper), warned).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    state.store.cast_ballot(ballot.id, &unit, paper).await?;
    Ok(Redirect::to(&format!("/ballots/{}", ballot.id)).into_response())
}

#[derive(serde::Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn close(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, AppError> {
    user.check_csrf(&form.csrf)?;
    let (ballot, cluster, scope) = load(&state, &user, &id).await?;
    let principal = user.principal();
    if !scope.access(&principal).can_run_cluster(&cluster) {
        return Err(AppError::Forbidden(
            "chỉ cụm trưởng hoặc cấp trên được kết thúc bỏ phiếu".into(),
        ));
    }
    state
        .store
        .close_ballot(&Actor::from(&principal), ballot.id, true)
        .await?;
    Ok(Redirect::to(&format!("/ballots/{}", ballot.id)).into_response())
}

/// The record of the count as an official document: issued by the body above the
/// cluster, dated the day the ballot closed, placed at the host unit (else the chair).
async fn record_document(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
) -> Result<(Ballot, Cluster, OfficialDocument), AppError> {
    let (ballot, cluster, scope) = load(state, user, id).await?;
    // Refused (409) unless the seal holds: no record is printed of changed papers.
    let record = state.store.tally_ballot(ballot.id).await?;
    let seal = ballot.seal.clone().unwrap_or_default();
    let issuer = super::emulation::issuer_name(&scope, &cluster);
    let place = super::emulation::meeting_place(&scope, &cluster);
    let date = ballot
        .closed_at
        .as_deref()
        .and_then(day_of)
        .unwrap_or_else(|| chrono::Local::now().date_naive());
    let name = |u: &UnitCode| unit_name(&scope, u);
    let heading = Heading {
        issuer: &issuer,
        cluster_name: &cluster.name,
        place: &place,
        date,
        unit_name: &name,
    };
    let document = tally_record_document(&heading, &record, &seal);
    Ok((ballot, cluster, document))
}

async fn record_download(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    format: super::DocumentFormat,
) -> Result<Response, AppError> {
    let (ballot, cluster, document) = record_document(state, user, id).await?;
    let stem = format!("bien-ban-kiem-phieu-{}-{}-{}", cluster.code, cluster.year, ballot.id);
    super::document_download(document, &stem, format).await
}

async fn record_docx(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    record_download(&state, &user, &id, super::DocumentFormat::Docx).await
}

async fn record_pdf(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    record_download(&state, &user, &id, super::DocumentFormat::Pdf).await
}
