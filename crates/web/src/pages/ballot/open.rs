//! Mở cuộc bỏ phiếu — a cluster's ballots of a year, with how many members have voted in
//! each, and the form its chair (or the upper level) opens a new one with: the standard
//! questions ticked, each with its threshold, every member a candidate and a voter.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use thidua_app::ballot;
use thidua_core::Cluster;
use thidua_core::emulation::ballot::{BallotSpec, BallotState, Question, QuestionKind, Threshold};
use thidua_core::number::format_integer;
use thidua_core::period::format_date_vi;

use super::{as_i64, day_of};
use crate::AppState;
use crate::auth::{CurrentUser, Me, Scope};
use crate::error::AppError;
use crate::pages::emulation::{Fields, YearQuery, cluster_of_year};

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
pub(super) struct ListPage {
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
    let caller = thidua_app::Context {
        principal: user.principal(),
        directory: scope.clone(),
    };
    let mut ballots = Vec::new();
    for ballot::Listed { ballot: b, voted } in ballot::ballots(&state.app, cluster).await? {
        ballots.push(BallotRow {
            id: b.id,
            title: b.spec.title.clone(),
            state: b.state.label_vi().into(),
            is_open: b.state == BallotState::Open,
            opened_on: day_of(&b.opened_at).map(format_date_vi).unwrap_or_default(),
            voted: format!(
                "{}/{}",
                format_integer(as_i64(voted)),
                format_integer(as_i64(b.spec.electorate.len()))
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
        can_open: ballot::can_run(&caller, cluster),
        default_title: format!("Phiếu bình xét thi đua năm {}", cluster.year),
        choices: choices(cluster.year),
        member_count: cluster.members.len(),
        error,
    })
}

pub(super) async fn list_page(
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

pub(super) async fn open(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let fields = Fields(fields);
    user.check_csrf(&fields.get("csrf"))?;
    let year = fields.get("year").parse::<i32>().ok();
    let (cluster, scope) = cluster_of_year(&state, &user, &code, year).await?;
    let caller = thidua_app::Context {
        principal: user.principal(),
        directory: scope.clone(),
    };
    ballot::ensure_can_open(&caller, &cluster)?;
    let opened = match spec_from_form(&cluster, &fields) {
        Ok(spec) => ballot::open(&state.app, &caller, &cluster, spec)
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
