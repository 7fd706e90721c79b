//! Việc cần làm — what waits for the caller, for the home page: their unit's forms still
//! to send (with the deadline, or the reason they came back), the forms waiting for their
//! decision, the open ballots they vote in or run, and the award proposals waiting at
//! their level. Read in a few queries whatever the size of the installation: the forms
//! of the periods concerned in one read each, the ballots of the caller's own clusters
//! only.

use chrono::NaiveDate;
use thidua_core::emulation::award::ProposalState;
use thidua_core::emulation::ballot::BallotState;
use thidua_core::workflow::SubmissionState;
use thidua_core::{Period, Role, UnitCode};
use thidua_store::{Ballot, FormStatus, ProposalFilter};

use crate::forms::today;
use crate::{App, Context, Error};

/// How many half-years back the review queue looks: a form sent for review waits until
/// decided, even once its reporting window has closed.
const REVIEW_HALVES: usize = 4;

/// One of the caller's unit's forms still to finish.
#[derive(Debug, Clone)]
pub struct OwnForm {
    /// The unit.
    pub unit: UnitCode,
    /// The period.
    pub period: Period,
    /// Where it stands: `None` when not started.
    pub state: Option<SubmissionState>,
    /// Hạn nộp.
    pub deadline: NaiveDate,
    /// Days left until the deadline (negative once it has passed).
    pub days_left: i64,
    /// Why it was sent back.
    pub return_reason: Option<String>,
}

/// A form waiting for the caller's decision.
#[derive(Debug, Clone)]
pub struct WaitingForm {
    /// The unit.
    pub unit: UnitCode,
    /// Its name.
    pub unit_name: String,
    /// The period.
    pub period: Period,
    /// When it was sent.
    pub submitted_on: Option<NaiveDate>,
}

/// An open ballot the caller has to do something about.
#[derive(Debug, Clone)]
pub struct BallotTask {
    /// The ballot.
    pub ballot: Ballot,
    /// The cluster's name.
    pub cluster_name: String,
    /// The caller's unit still has to vote.
    pub to_vote: bool,
    /// The caller runs the vote (closes it once everyone has voted).
    pub to_close: bool,
    /// Papers cast so far, of how many.
    pub voted: usize,
    /// The electorate's size.
    pub electorate: usize,
}

/// Award proposals of one cluster and year waiting at the caller's level.
#[derive(Debug, Clone)]
pub struct ProposalTask {
    /// The cluster, when the proposals come from one.
    pub cluster: Option<thidua_core::ClusterCode>,
    /// Its name.
    pub cluster_name: String,
    /// The year.
    pub year: i32,
    /// How many wait.
    pub count: usize,
}

/// Everything that waits for the caller.
#[derive(Debug, Clone, Default)]
pub struct ToDo {
    /// Their unit's forms to finish.
    pub own_forms: Vec<OwnForm>,
    /// Forms waiting for their decision, oldest first.
    pub to_review: Vec<WaitingForm>,
    /// Open ballots.
    pub ballots: Vec<BallotTask>,
    /// Proposals waiting for review, escalation or decision.
    pub proposals: Vec<ProposalTask>,
}

impl ToDo {
    /// How many things wait in all.
    pub fn len(&self) -> usize {
        self.own_forms.len()
            + self.to_review.len()
            + self.ballots.len()
            + self.proposals.iter().map(|p| p.count).sum::<usize>()
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The half-years from the current one back, `n` of them.
fn recent_halves(today: NaiveDate, n: usize) -> Vec<Period> {
    let mut out = Vec::with_capacity(n);
    let mut p = Period::half_year_of(today);
    for _ in 0..n {
        out.push(p);
        p = match p {
            Period::HalfYear(y, 2) => Period::HalfYear(y, 1),
            Period::HalfYear(y, _) => Period::HalfYear(y - 1, 2),
            other => other,
        };
    }
    out
}

/// What waits for `caller` today.
pub async fn for_caller(app: &App, caller: &Context) -> Result<ToDo, Error> {
    to_do_on(app, caller, today()).await
}

/// What waits for `caller` on `day` (the tests' clock).
pub async fn to_do_on(app: &App, caller: &Context, day: NaiveDate) -> Result<ToDo, Error> {
    let store = app.store();
    let access = caller.access();
    let directory = &caller.directory;
    let halves = recent_halves(day, REVIEW_HALVES);
    let statuses = store.form_statuses(&halves).await?;
    let mut todo = ToDo::default();

    // The caller's own unit: each half-year whose window is open today and whose form is
    // not yet sent (or came back).
    if let Some(own) = caller.principal.unit.as_ref().filter(|u| access.can_enter(u)) {
        let own_figures = store.periods_with_own_figures(own).await?;
        for period in &halves {
            let window = store.reporting_window(*period).await?;
            if !window.is_open_on(day) {
                continue;
            }
            let status = statuses.iter().find(|s| &s.unit == own && s.period == *period);
            let state = status.map(|s| s.state);
            // Sent, or never started but with official figures a file brought.
            if state.is_some_and(|s| !s.is_editable()) || (status.is_none() && own_figures.contains(period)) {
                continue;
            }
            todo.own_forms.push(OwnForm {
                unit: own.clone(),
                period: *period,
                state,
                deadline: window.deadline,
                days_left: (window.deadline - day).num_days(),
                return_reason: status
                    .filter(|s| s.state == SubmissionState::Returned)
                    .and_then(|s| s.return_reason.clone()),
            });
        }
    }

    // Forms sent and waiting for the caller's decision.
    let mut waiting: Vec<&FormStatus> = statuses
        .iter()
        .filter(|s| s.state == SubmissionState::Submitted && access.can_review(&s.unit, s.period))
        .collect();
    waiting.sort_by_key(|s| (s.submitted_on, s.unit.clone()));
    todo.to_review = waiting
        .into_iter()
        .map(|s| WaitingForm {
            unit: s.unit.clone(),
            unit_name: directory
                .tree
                .get(&s.unit)
                .map_or_else(|| s.unit.to_string(), |u| u.name.clone()),
            period: s.period,
            submitted_on: s.submitted_on,
        })
        .collect();

    // Open ballots of the caller's own clusters: to vote in as a member's representative,
    // to close as the one who runs the vote. The upper level runs many clusters' votes
    // but is not waited for: the chair closes.
    let own_clusters = directory.clusters.iter().filter(|c| {
        caller.principal.unit.as_ref().is_some_and(|u| access.represents(c, u))
            || (caller.principal.role == Role::Chair && access.can_run_cluster(c))
    });
    for cluster in own_clusters {
        for ballot in store.ballots(&cluster.code, cluster.year).await? {
            if ballot.state != BallotState::Open {
                continue;
            }
            let voted = store.who_has_voted(ballot.id).await?;
            let electorate = if ballot.spec.electorate.is_empty() {
                cluster.members.len()
            } else {
                ballot.spec.electorate.len()
            };
            let to_vote = caller.principal.unit.as_ref().is_some_and(|u| {
                access.represents(cluster, u)
                    && (ballot.spec.electorate.is_empty() || ballot.spec.electorate.contains(u))
                    && !voted.contains(u)
            });
            let to_close = caller.principal.role == Role::Chair && access.can_run_cluster(cluster);
            if to_vote || to_close {
                todo.ballots.push(BallotTask {
                    cluster_name: cluster.name.clone(),
                    to_vote,
                    to_close,
                    voted: voted.len(),
                    electorate,
                    ballot,
                });
            }
        }
    }

    // Proposals waiting at the level that reviews and decides them.
    if matches!(caller.principal.role, Role::Upper | Role::Admin) {
        let mut by_cluster: std::collections::BTreeMap<(Option<thidua_core::ClusterCode>, i32), usize> =
            std::collections::BTreeMap::new();
        for state in [
            ProposalState::Proposed,
            ProposalState::Reviewed,
            ProposalState::Escalated,
        ] {
            let filter = ProposalFilter {
                year: None,
                cluster: None,
                state: Some(state),
            };
            for p in store.proposals(&filter).await? {
                let decides = match &p.proposal.cluster {
                    Some(code) => directory
                        .clusters
                        .iter()
                        .find(|c| &c.code == code && c.year == p.proposal.year)
                        .is_some_and(|c| access.can_decide_for(c)),
                    None => caller.principal.role == Role::Admin,
                };
                if decides {
                    *by_cluster
                        .entry((p.proposal.cluster.clone(), p.proposal.year))
                        .or_default() += 1;
                }
            }
        }
        todo.proposals = by_cluster
            .into_iter()
            .map(|((cluster, year), count)| ProposalTask {
                cluster_name: cluster
                    .as_ref()
                    .and_then(|code| directory.clusters.iter().find(|c| &c.code == code && c.year == year))
                    .map_or_else(String::new, |c| c.name.clone()),
                cluster,
                year,
                count,
            })
            .collect();
    }
    Ok(todo)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_review_queue_looks_back_over_the_last_half_years_across_a_new_year() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap_or_default();
        assert_eq!(
            recent_halves(day, 4),
            [
                Period::HalfYear(2026, 2),
                Period::HalfYear(2026, 1),
                Period::HalfYear(2025, 2),
                Period::HalfYear(2025, 1)
            ]
        );
    }
}
