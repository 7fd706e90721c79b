//! Một cuộc bỏ phiếu — one ballot's page: who has voted, the representative's paper while
//! the ballot is open, and once it is closed the seal's check and, when the seal holds,
//! each question's count with the awards the chair may propose from it (once per
//! question: a question that has proposed says so instead of offering its button).

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use thidua_core::emulation::award::{AwardCatalogue, AwardKind, ProposalSource, ProposalState, RecipientKinds};
use thidua_core::emulation::ballot::{
    BallotSpec, BallotState, Outcome, Paper, QuestionKind, QuestionTally, TallyRecord,
};
use thidua_core::number::{format_decimal_trimmed, format_integer};
use thidua_core::period::format_date_vi;
use thidua_core::{Cluster, UnitCode};
use thidua_store::Ballot;

use super::{as_i64, day_of, load};
use crate::AppState;
use crate::auth::{CurrentUser, Me, Scope};
use crate::error::AppError;
use crate::pages::emulation::unit_name;

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
    /// Whether it has proposed already (a proposal of it not refused): its button is
    /// hidden, as the store refuses a second proposal.
    already_proposed: bool,
    /// Why the chair's proposal from it was just refused; empty otherwise.
    error: String,
}

/// The voter's paper as they filled it in, shown back after a warning: the paper read
/// from it, and the place typed against each candidate of a ranking (by field name,
/// `r{question}_{unit}`), all of them — the paper keeps a ranking only up to its first
/// place skipped or given twice, and the voter must see every place they gave.
pub(crate) struct Filled {
    pub(crate) paper: Paper,
    pub(crate) ranks: HashMap<String, u32>,
}

/// A proposal from a question that was refused, shown back next to its question with
/// what was chosen and typed.
pub(crate) struct Proposing {
    pub(crate) question: String,
    pub(crate) award: String,
    pub(crate) achievements: String,
    pub(crate) error: String,
}

/// What a ballot's page shows beyond what is stored.
#[derive(Default)]
pub(crate) struct Extras<'a> {
    /// The voter's paper after a warning.
    pub(crate) filled: Option<&'a Filled>,
    /// The warnings about that paper.
    pub(crate) warnings: Vec<String>,
    /// A refused proposal from a question.
    pub(crate) proposing: Option<Proposing>,
    /// Whether the caller's paper was just cast: the page then says so, naming the
    /// caller's unit (once it has voted), in the server's words.
    pub(crate) just_voted: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "ballot.html")]
pub(crate) struct BallotPage {
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
    notice: String,
}

impl BallotPage {
    /// Whether the page shows question `code`'s proposal form or its note that it has
    /// proposed — where a refusal to propose from it can be said in place.
    pub(crate) fn offers_proposal(&self, code: &str) -> bool {
        self.results
            .iter()
            .any(|q| q.code == code && (q.can_propose || q.already_proposed))
    }
}

/// The record's figures for the whole ballot.
struct RecordSummary {
    electorate: String,
    issued: String,
    received: String,
    revote_needed: bool,
}

fn paper_questions(spec: &BallotSpec, scope: &Scope, filled: Option<&Filled>) -> Vec<PaperQuestion> {
    spec.questions
        .iter()
        .enumerate()
        .map(|(index, q)| {
            let answer = filled.and_then(|f| f.paper.answers.get(&q.code));
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
                max_choices: format_integer(as_i64(q.kind.max_choices(q.candidates.len()))),
                threshold: q.threshold.map(|t| t.label_vi()).unwrap_or_default(),
                choices: q
                    .candidates
                    .iter()
                    .map(|c| {
                        let position = answer.and_then(|a| a.iter().position(|u| u == c));
                        // A ranking shows every place as typed, the paper only its start.
                        let typed = filled.and_then(|f| f.ranks.get(&format!("r{index}_{c}")).copied());
                        PaperChoice {
                            code: c.to_string(),
                            name: unit_name(scope, c),
                            checked: position.is_some(),
                            rank: typed.unwrap_or_else(|| position.map_or(0, |p| u32::try_from(p + 1).unwrap_or(0))),
                        }
                    })
                    .collect(),
            }
        })
        .collect()
}

/// The proposals the ballot's questions made, and the one just refused.
struct Proposed<'a> {
    /// (question, what was proposed, whether it still stands — not refused).
    made: &'a [(String, String, bool)],
    refused: Option<&'a Proposing>,
}

fn results(
    record: &TallyRecord,
    scope: &Scope,
    can_run: bool,
    catalogue: &AwardCatalogue,
    issuer: &str,
    cluster: &Cluster,
    proposed: &Proposed<'_>,
) -> Vec<QuestionResult> {
    let Proposed {
        made: proposed,
        refused: proposing,
    } = *proposed;
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
            let already_proposed = proposed.iter().any(|(code, _, live)| code == &q.code && *live);
            let refused = proposing.filter(|p| p.question == q.code);
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
                can_propose: can_run && elected && award_kind.is_some() && !already_proposed,
                default_award: match refused {
                    Some(p) => p.award.clone(),
                    None => award_kind
                        .map(|k| default_award(catalogue, k, issuer))
                        .unwrap_or_default(),
                },
                achievements: match (refused, q.kind) {
                    (Some(p), _) => p.achievements.clone(),
                    (None, QuestionKind::LeadingUnit) => {
                        format!("Đơn vị dẫn đầu {} năm {}", cluster.name, cluster.year)
                    }
                    (None, _) => format!(
                        "Được {} bình xét đề nghị khen thưởng năm {}",
                        cluster.name, cluster.year
                    ),
                },
                proposed: proposed
                    .iter()
                    .filter(|(code, _, _)| code == &q.code)
                    .map(|(_, what, _)| what.clone())
                    .collect(),
                already_proposed,
                error: refused.map(|p| p.error.clone()).unwrap_or_default(),
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

/// The ballot's page for the caller, with `extras`.
pub(crate) async fn render_ballot(
    state: &AppState,
    user: &CurrentUser,
    ballot: &Ballot,
    cluster: &Cluster,
    caller: &thidua_app::Context,
    extras: Extras<'_>,
) -> Result<BallotPage, AppError> {
    let Extras {
        filled,
        warnings,
        proposing,
        just_voted,
    } = extras;
    let scope = &caller.directory;
    let thidua_app::ballot::View {
        voted,
        voter,
        can_run,
        seal,
        count,
    } = thidua_app::ballot::view(&state.app, caller, cluster, ballot).await?;
    let is_open = ballot.state == BallotState::Open;
    let unit = voter.as_ref();
    let has_voted = unit.is_some_and(|u| voted.contains(u));
    let can_vote = is_open && unit.is_some() && !has_voted;
    let notice = match unit {
        Some(u) if just_voted && has_voted => format!(
            "Đã gửi phiếu của {}. Phiếu được mã hóa khi lưu, không gắn với đơn vị bỏ phiếu.",
            unit_name(scope, u)
        ),
        _ => String::new(),
    };
    let vote_note = match unit {
        Some(u) if has_voted => format!("{} đã bỏ phiếu. Mỗi đơn vị chỉ bỏ một phiếu.", unit_name(scope, u)),
        None if is_open => {
            "Chỉ đại diện của các đơn vị thành viên bỏ phiếu; bạn được xem đơn vị nào đã bỏ phiếu.".into()
        }
        _ => String::new(),
    };
    let (record, results, award_forms) = match count {
        None => (None, Vec::new(), Vec::new()),
        Some(thidua_app::ballot::Count {
            record,
            catalogue,
            proposals,
        }) => {
            let proposed: Vec<(String, String, bool)> = proposals
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
                        p.state != ProposalState::Rejected,
                    )),
                    _ => None,
                })
                .collect();
            let results = results(
                &record,
                scope,
                can_run,
                &catalogue,
                &crate::pages::emulation::issuer_name(scope, cluster),
                cluster,
                &Proposed {
                    made: &proposed,
                    refused: proposing.as_ref(),
                },
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
        voted_count: format_integer(as_i64(voted.len())),
        electorate_count: format_integer(as_i64(n)),
        can_vote,
        vote_note,
        voter_name: unit.map(|u| unit_name(scope, u)).unwrap_or_default(),
        paper: if can_vote {
            paper_questions(&ballot.spec, scope, filled)
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
        notice,
    })
}

/// `?done=voted` — the paper just cast, for the notice after the redirect.
#[derive(serde::Deserialize)]
pub(super) struct DoneQuery {
    done: Option<String>,
}

pub(super) async fn ballot_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Query(query): Query<DoneQuery>,
) -> Result<BallotPage, AppError> {
    let (ballot, cluster, caller) = load(&state, &user, &id).await?;
    let extras = Extras {
        just_voted: query.done.as_deref() == Some("voted"),
        ..Extras::default()
    };
    render_ballot(&state, &user, &ballot, &cluster, &caller, extras).await
}
