//! Bỏ phiếu — a member's representative casts the unit's one paper. Answers that would
//! count as invalid are shown back to the voter first (nothing is stored until they
//! confirm); a choice the ballot does not offer is refused outright.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use thidua_app::ballot;
use thidua_core::UnitCode;
use thidua_core::emulation::ballot::{BallotSpec, BallotState, Paper, invalid_reason};

use super::load;
use super::page::{Extras, Filled, render_ballot};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::pages::emulation::Fields;

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

/// Every place typed against a ranking's candidates, by field name — the voter's own
/// ranking as they gave it, places skipped or given twice included.
fn typed_ranks(spec: &BallotSpec, fields: &Fields) -> HashMap<String, u32> {
    spec.questions
        .iter()
        .enumerate()
        .filter(|(_, q)| q.kind.is_ranking())
        .flat_map(|(i, q)| q.candidates.iter().map(move |u| format!("r{i}_{u}")))
        .filter_map(|name| fields.get(&name).parse::<u32>().ok().map(|place| (name, place)))
        .collect()
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

pub(super) async fn vote(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let fields = Fields(fields);
    user.check_csrf(&fields.get("csrf"))?;
    let (ballot, cluster, caller) = load(&state, &user, &id).await?;
    ballot::ensure_voter(&caller, &cluster, &ballot)?;
    let paper = paper_from_form(&ballot.spec, &fields)?;
    // A unit the ballot does not offer can only come from a crafted request: refused, as
    // the store would, before the voter is asked to confirm anything.
    paper.check_shape(&ballot.spec)?;
    let warned = warnings(&ballot.spec, &paper);
    if !warned.is_empty() && !fields.has("confirm") && ballot.state == BallotState::Open {
        // Nothing is stored yet: the voter sees their own paper again, every choice as
        // they made it, with the warning — so "Tôi vẫn gửi" sends this very paper.
        let filled = Filled {
            ranks: typed_ranks(&ballot.spec, &fields),
            paper,
        };
        let extras = Extras {
            filled: Some(&filled),
            warnings: warned,
            ..Extras::default()
        };
        let page = render_ballot(&state, &user, &ballot, &cluster, &caller, extras).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    ballot::cast(&state.app, &caller, &cluster, &ballot, paper).await?;
    Ok(Redirect::to(&format!("/ballots/{}?done=voted", ballot.id)).into_response())
}
