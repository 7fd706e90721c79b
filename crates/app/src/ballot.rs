//! Bình xét, suy tôn — the ballot use cases: a cluster's ballots, opening one, what one
//! ballot shows its caller, casting a unit's paper, closing the vote and the count.
//!
//! Secrecy: while a ballot is open nobody is given any count, only which units have
//! voted; a paper is never read back. A closed ballot's count is given only while its
//! seal holds ([`thidua_store::Store::verify_ballot`]). Who runs the vote (opens and
//! closes it, proposes from it) is core's `can_run_cluster`; who casts a unit's paper is
//! its representative (`represents`), once.

use thidua_core::emulation::award::AwardCatalogue;
use thidua_core::emulation::ballot::{BallotSpec, BallotState, Paper, TallyRecord};
use thidua_core::{Cluster, UnitCode};
use thidua_store::{Actor, Ballot, BallotSeal, ProposalFilter, StoredProposal};

use crate::{App, Context, Error};

/// A ballot in its cluster's list, with how many members have voted.
#[derive(Debug, Clone)]
pub struct Listed {
    /// The ballot.
    pub ballot: Ballot,
    /// How many members have cast their paper.
    pub voted: usize,
}

/// `cluster`'s ballots of its year, each with how many have voted. The caller has been
/// checked to see the cluster.
pub async fn ballots(app: &App, cluster: &Cluster) -> Result<Vec<Listed>, Error> {
    let mut listed = Vec::new();
    for ballot in app.store().ballots(&cluster.code, cluster.year).await? {
        let voted = app.store().who_has_voted(ballot.id).await?.len();
        listed.push(Listed { ballot, voted });
    }
    Ok(listed)
}

/// Whether the caller may open, close and propose from `cluster`'s ballots.
pub fn can_run(caller: &Context, cluster: &Cluster) -> bool {
    caller.access().can_run_cluster(cluster)
}

/// Refuses a caller who may not open a ballot in `cluster`.
pub fn ensure_can_open(caller: &Context, cluster: &Cluster) -> Result<(), Error> {
    if can_run(caller, cluster) {
        Ok(())
    } else {
        Err(Error::Forbidden(format!(
            "chỉ cụm trưởng của {} năm {} (hoặc cấp trên) mở cuộc bỏ phiếu",
            cluster.name, cluster.year
        )))
    }
}

/// Opens the ballot `spec` in `cluster` as the caller.
pub async fn open(app: &App, caller: &Context, cluster: &Cluster, spec: BallotSpec) -> Result<Ballot, Error> {
    ensure_can_open(caller, cluster)?;
    let ballot = app.store().open_ballot(&Actor::from(&caller.principal), spec).await?;
    let told = crate::notifications::ballot_opened(app, cluster, &ballot).await;
    crate::notifications::log_failure("mở cuộc bỏ phiếu", told);
    Ok(ballot)
}

/// The ballot `id` and its cluster as constituted in the ballot's year, after checking
/// the caller may see that cluster.
pub async fn ballot(app: &App, caller: &Context, id: i64) -> Result<(Ballot, Cluster), Error> {
    let ballot = app.store().ballot(id).await?;
    let year = ballot.spec.year.to_string();
    let cluster = crate::clusters::open(app, caller, ballot.spec.cluster.as_str(), Some(&year))
        .await?
        .cluster;
    Ok((ballot, cluster))
}

/// The unit the caller casts a paper for in `ballot`, if any: their own unit, when it
/// is a member the ballot lets vote.
pub fn voter(caller: &Context, cluster: &Cluster, ballot: &Ballot) -> Option<UnitCode> {
    let access = caller.access();
    caller
        .principal
        .unit
        .clone()
        .filter(|u| access.represents(cluster, u) && ballot.spec.may_vote(u))
}

/// The unit the caller casts a paper for, or a refusal.
pub fn ensure_voter(caller: &Context, cluster: &Cluster, ballot: &Ballot) -> Result<UnitCode, Error> {
    voter(caller, cluster, ballot).ok_or_else(|| {
        Error::Forbidden(format!(
            "chỉ đại diện của các đơn vị thành viên {} năm {} mới bỏ phiếu",
            cluster.name, cluster.year
        ))
    })
}

/// Casts `paper` as the caller's unit. A choice the ballot does not offer is refused.
pub async fn cast(app: &App, caller: &Context, cluster: &Cluster, ballot: &Ballot, paper: Paper) -> Result<(), Error> {
    let unit = ensure_voter(caller, cluster, ballot)?;
    paper.check_shape(&ballot.spec)?;
    Ok(app.store().cast_ballot(ballot.id, &unit, paper).await?)
}

/// Closes the vote as the caller, which seals the papers.
pub async fn close(app: &App, caller: &Context, cluster: &Cluster, ballot: &Ballot) -> Result<Ballot, Error> {
    if !can_run(caller, cluster) {
        return Err(Error::Forbidden(
            "chỉ cụm trưởng hoặc cấp trên được kết thúc bỏ phiếu".into(),
        ));
    }
    Ok(app
        .store()
        .close_ballot(&Actor::from(&caller.principal), ballot.id, true)
        .await?)
}

/// A closed ballot's count, given while its seal holds, with what was proposed from it.
#[derive(Debug, Clone)]
pub struct Count {
    /// The record of the count.
    pub record: TallyRecord,
    /// The award forms.
    pub catalogue: AwardCatalogue,
    /// The cluster's proposals of the year (those from this ballot among them).
    pub proposals: Vec<StoredProposal>,
}

/// What one ballot shows its caller.
#[derive(Debug, Clone)]
pub struct View {
    /// The units that have voted (never how).
    pub voted: Vec<UnitCode>,
    /// The unit the caller casts a paper for, if any.
    pub voter: Option<UnitCode>,
    /// Whether the caller runs the vote.
    pub can_run: bool,
    /// The seal's check, once closed.
    pub seal: Option<BallotSeal>,
    /// The count, once closed and while the seal holds.
    pub count: Option<Count>,
}

/// What `ballot` of `cluster` shows the caller.
pub async fn view(app: &App, caller: &Context, cluster: &Cluster, ballot: &Ballot) -> Result<View, Error> {
    let store = app.store();
    let voted = store.who_has_voted(ballot.id).await?;
    let seal = if ballot.state == BallotState::Open {
        None
    } else {
        Some(store.verify_ballot(ballot.id).await?)
    };
    let intact = seal.as_ref().filter(|s| s.is_intact()).and_then(|s| s.record.clone());
    let count = match intact {
        None => None,
        Some(record) => {
            let filter = ProposalFilter {
                year: Some(cluster.year),
                cluster: Some(cluster.code.clone()),
                state: None,
            };
            let (catalogue, proposals) = tokio::try_join!(store.award_catalogue(), store.proposals(&filter))?;
            Some(Count {
                record,
                catalogue,
                proposals,
            })
        }
    };
    Ok(View {
        voted,
        voter: voter(caller, cluster, ballot),
        can_run: can_run(caller, cluster),
        seal,
        count,
    })
}

/// The ballot `id`, its cluster and its count for the record (biên bản kiểm phiếu):
/// refused unless the seal holds, so that no record is printed of changed papers.
pub async fn record(app: &App, caller: &Context, id: i64) -> Result<(Ballot, Cluster, TallyRecord), Error> {
    let (ballot, cluster) = self::ballot(app, caller, id).await?;
    let record = app.store().tally_ballot(ballot.id).await?;
    Ok((ballot, cluster, record))
}
