//! Khen thưởng — the award use cases: which proposals and decisions a caller sees and
//! what they may do to each, proposing (from a closed vote or directly), moving a
//! proposal along its pipeline, recording a decision and revoking it.
//!
//! Who does what: the chair (or the upper level) proposes the units a closed vote chose;
//! the upper level proposes directly, reviews and escalates the proposals of the clusters
//! below it, records decisions for the units below it, and revokes them. Members see their
//! cluster's proposals and everyone the awards of the units they may see.

use chrono::{Datelike, NaiveDate};
use thidua_core::emulation::award::{
    AwardCatalogue, AwardDecision, AwardFormCode, AwardRecord, Proposal, ProposalAction, ProposalRights,
    ProposalSource, Recipient, Revocation,
};
use thidua_core::{Cluster, ClusterCode, UnitCode};
use thidua_store::{Actor, DecisionInput, ProposalFilter, StoredDecision, StoredProposal};

use crate::{App, Context, Directory, Error};

/// A day typed on a form ("2023-01-15"), or a refusal naming `what` it is.
pub fn parse_day(raw: &str, what: &str) -> Result<NaiveDate, Error> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| Error::Invalid(format!("{what} «{raw}» không hợp lệ (chọn ngày trên lịch)")))
}

/// The years a decision commending the work of `year` may be signed in: that year and
/// the two after it (as core's `AwardDecision::validated` admits).
pub fn signing_years(year: i32) -> std::ops::RangeInclusive<i32> {
    year..=year + 2
}

/// Refuses a signing day outside [`signing_years`] of `year`, naming both.
pub fn check_signing_day(year: i32, day: NaiveDate) -> Result<(), Error> {
    let years = signing_years(year);
    if years.contains(&day.year()) {
        return Ok(());
    }
    Err(Error::Invalid(format!(
        "ngày ký {} không hợp lệ cho khen thưởng năm {year}: ngày ký phải trong các năm {} đến {}",
        thidua_core::period::format_date_vi(day),
        years.start(),
        years.end()
    )))
}

/// The signing day a decision form for the work of `year` offers: `today` when it may
/// be signed today, else the last day of the year commended (always allowed).
pub fn default_signing_day(year: i32, today: NaiveDate) -> NaiveDate {
    if signing_years(year).contains(&today.year()) {
        today
    } else {
        NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(today)
    }
}

/// "quận Tây Hồ", or "Trần Thị Bình — Phó Chủ tịch, quận Tây Hồ".
pub fn describe(directory: &Directory, r: &Recipient) -> String {
    let unit_name = |unit: &UnitCode| {
        directory
            .tree
            .get(unit)
            .map_or_else(|| unit.to_string(), |u| u.short_name().to_owned())
    };
    match r {
        Recipient::Collective { unit } => unit_name(unit),
        Recipient::Individual { name, title, unit } if title.is_empty() => {
            format!("{name} — {}", unit_name(unit))
        }
        Recipient::Individual { name, title, unit } => format!("{name} — {title}, {}", unit_name(unit)),
    }
}

/// The cluster a proposal came from, as constituted in the proposal's year.
pub fn cluster_of<'a>(directory: &'a Directory, p: &Proposal) -> Option<&'a Cluster> {
    let code = p.cluster.as_ref()?;
    directory.cluster(code, p.year)
}

/// Whether a unit lies in `cluster` (a member or below one).
pub fn in_cluster(directory: &Directory, cluster: &Cluster, unit: &UnitCode) -> bool {
    cluster.has_member(unit)
        || directory
            .tree
            .ancestors(unit)
            .iter()
            .any(|a| cluster.has_member(&a.code))
}

/// Whether the caller may see a proposal: its recipient's unit is theirs to see, or its
/// cluster is.
pub fn can_see(caller: &Context, p: &Proposal) -> bool {
    let access = caller.access();
    access.can_view_unit(p.recipient.unit())
        || cluster_of(&caller.directory, p).is_some_and(|c| access.can_view_cluster(c))
}

/// What the caller may do to a proposal: review and escalate when above its cluster (or,
/// without a cluster, above its recipient); decide when above its recipient.
pub fn rights(caller: &Context, p: &Proposal) -> ProposalRights {
    let access = caller.access();
    let can_decide = access.can_decide_awards(p.recipient.unit());
    let can_review = cluster_of(&caller.directory, p).map_or(can_decide, |c| access.can_decide_for(c));
    ProposalRights { can_review, can_decide }
}

/// Whether the caller may revoke `d`: the upper level above every recipient.
pub fn may_revoke(caller: &Context, d: &AwardDecision) -> bool {
    let access = caller.access();
    d.recipients.iter().all(|r| access.can_decide_awards(r.unit()))
}

// ---------------------------------------------------------------- the list

/// The proposals and decisions a caller sees, of a cluster's year or of everything.
#[derive(Debug, Clone)]
pub struct Listing {
    /// The award forms.
    pub catalogue: AwardCatalogue,
    /// The proposals the caller may see.
    pub proposals: Vec<StoredProposal>,
    /// The decisions naming a unit the caller may see (of the cluster, when one is
    /// asked for); each names to the caller only the recipients they may see.
    pub decisions: Vec<StoredDecision>,
    /// Whether the caller may propose directly.
    pub can_propose: bool,
    /// The units the caller may propose for (within the cluster, when one is asked for).
    pub units: Vec<UnitCode>,
}

/// The awards of `cluster`'s year (the caller has been checked to see it), or of `year`,
/// or of every year.
pub async fn listing(
    app: &App,
    caller: &Context,
    cluster: Option<&Cluster>,
    year: Option<i32>,
) -> Result<Listing, Error> {
    let year = cluster.map(|c| c.year).or(year);
    let store = app.store();
    let filter = ProposalFilter {
        year,
        cluster: cluster.map(|c| c.code.clone()),
        state: None,
    };
    let (catalogue, proposals, decisions) =
        tokio::try_join!(store.award_catalogue(), store.proposals(&filter), store.decisions(year))?;
    let directory = &caller.directory;
    let access = caller.access();
    let proposals = proposals.into_iter().filter(|p| can_see(caller, &p.proposal)).collect();
    let decisions = decisions
        .into_iter()
        .filter(|d| {
            d.decision
                .recipients
                .iter()
                .any(|r| access.can_view_unit(r.unit()) && cluster.is_none_or(|c| in_cluster(directory, c, r.unit())))
        })
        .collect();
    let can_propose = match cluster {
        Some(c) => access.can_decide_for(c),
        None => directory.tree.units().any(|u| access.can_decide_awards(&u.code)),
    };
    let units = if can_propose {
        directory
            .tree
            .units()
            .filter(|u| access.can_decide_awards(&u.code))
            .filter(|u| cluster.is_none_or(|c| in_cluster(directory, c, &u.code)))
            .map(|u| u.code.clone())
            .collect()
    } else {
        Vec::new()
    };
    Ok(Listing {
        catalogue,
        proposals,
        decisions,
        can_propose,
        units,
    })
}

// ---------------------------------------------------------------- proposing

/// Proposes the units question `question` of the closed ballot `ballot` chose, for the
/// award form `award` (as typed): whoever runs the ballot's cluster. Returns that cluster.
pub async fn propose_from_ballot(
    app: &App,
    caller: &Context,
    ballot: i64,
    question: &str,
    award: &str,
    achievements: &str,
) -> Result<Cluster, Error> {
    let (ballot, cluster) = crate::ballot::ballot(app, caller, ballot).await?;
    if !caller.access().can_run_cluster(&cluster) {
        return Err(Error::Forbidden(format!(
            "chỉ cụm trưởng của {} năm {} (hoặc cấp trên) đề nghị khen thưởng từ kết quả bỏ phiếu",
            cluster.name, cluster.year
        )));
    }
    let award = AwardFormCode::parse(award)?;
    app.store()
        .propose_from_ballot(
            &Actor::from(&caller.principal),
            ballot.id,
            question,
            &award,
            achievements,
        )
        .await?;
    Ok(cluster)
}

/// A proposal the upper level makes directly.
#[derive(Debug, Clone)]
pub struct DirectProposal {
    /// The year of the achievements.
    pub year: i32,
    /// The unit proposed, or the person's unit.
    pub unit: UnitCode,
    /// The person's name and title, for an individual.
    pub person: Option<(String, String)>,
    /// The cluster the page proposed from: the proposal is filed under it when the unit
    /// belongs to it that year, and under none otherwise.
    pub cluster: Option<ClusterCode>,
    /// The award form, as typed.
    pub award: String,
    /// Thành tích — the achievements.
    pub achievements: String,
}

/// Proposes `direct` as the caller: only for a unit whose awards they decide.
pub async fn propose(app: &App, caller: &Context, direct: DirectProposal) -> Result<StoredProposal, Error> {
    let directory = &caller.directory;
    let unit = direct.unit;
    let Some(found) = directory.tree.get(&unit) else {
        return Err(Error::NotFound(format!("không tìm thấy đơn vị «{unit}»")));
    };
    if !caller.access().can_decide_awards(&unit) {
        return Err(Error::Forbidden(format!(
            "bạn không có quyền đề nghị khen thưởng cho {}",
            found.name
        )));
    }
    let recipient = match direct.person {
        Some((name, title)) => Recipient::Individual {
            name,
            title,
            unit: unit.clone(),
        },
        None => Recipient::Collective { unit: unit.clone() },
    };
    let cluster = directory
        .clusters
        .iter()
        .find(|c| Some(&c.code) == direct.cluster.as_ref() && c.year == direct.year && in_cluster(directory, c, &unit))
        .map(|c| c.code.clone());
    let proposal = Proposal {
        year: direct.year,
        award: AwardFormCode::parse(&direct.award)?,
        recipient,
        cluster,
        achievements: direct.achievements,
        source: ProposalSource::Upper,
    };
    Ok(app
        .store()
        .propose_award(&Actor::from(&caller.principal), proposal)
        .await?)
}

/// The proposal `id`, when the caller may see it.
pub async fn proposal(app: &App, caller: &Context, id: i64) -> Result<StoredProposal, Error> {
    let proposal = app.store().proposal(id).await?;
    if !can_see(caller, &proposal.proposal) {
        return Err(Error::Forbidden(
            "bạn không có quyền xem đề nghị khen thưởng này".into(),
        ));
    }
    Ok(proposal)
}

/// Moves `proposal` by `action` as the caller, with their rights on it; `version` is the
/// one the caller saw, `reason` required to reject.
pub async fn move_proposal(
    app: &App,
    caller: &Context,
    proposal: &StoredProposal,
    action: ProposalAction,
    version: i64,
    reason: Option<&str>,
) -> Result<StoredProposal, Error> {
    Ok(app
        .store()
        .move_proposal(
            &Actor::from(&caller.principal),
            proposal.id,
            action,
            rights(caller, &proposal.proposal),
            version,
            reason,
        )
        .await?)
}

// ---------------------------------------------------------------- decisions

/// A decision as typed.
#[derive(Debug, Clone, Default)]
pub struct DecisionEntry {
    /// Số quyết định.
    pub number: String,
    /// Ngày ký, as typed ("2023-01-15").
    pub signed_on: String,
    /// Who issues it; empty for the award form's own issuer.
    pub issuer: String,
    /// The level of the issuing body.
    pub level: String,
}

/// Records the decision `entry` granting the proposals `ids`: only by whoever decides
/// the awards of every one of their recipients.
pub async fn record_decision(
    app: &App,
    caller: &Context,
    ids: Vec<i64>,
    entry: DecisionEntry,
) -> Result<StoredDecision, Error> {
    if ids.is_empty() {
        return Err(Error::Invalid(
            "hãy chọn ít nhất một đề nghị được khen thưởng trong quyết định".into(),
        ));
    }
    let store = app.store();
    let access = caller.access();
    let mut proposals = Vec::with_capacity(ids.len());
    for id in &ids {
        let p = store.proposal(*id).await?;
        if !access.can_decide_awards(p.proposal.recipient.unit()) {
            return Err(Error::Forbidden(format!(
                "bạn không có quyền quyết định khen thưởng cho {}",
                describe(&caller.directory, &p.proposal.recipient)
            )));
        }
        proposals.push(p);
    }
    let first = &proposals[0].proposal;
    let catalogue = store.award_catalogue().await?;
    let form = catalogue.require(&first.award)?;
    let issuer = Some(entry.issuer)
        .filter(|i| !i.is_empty())
        .unwrap_or_else(|| form.issuer.clone());
    let signed_on = parse_day(&entry.signed_on, "ngày ký quyết định")?;
    check_signing_day(first.year, signed_on)?;
    let decision = AwardDecision {
        number: entry.number,
        signed_on,
        issuer,
        level: entry.level,
        award: first.award.clone(),
        year: first.year,
        recipients: proposals.iter().map(|p| p.proposal.recipient.clone()).collect(),
        revocation: None,
    };
    // Every proposal passed `can_decide_awards` above.
    let rights = ProposalRights {
        can_review: proposals.iter().all(|p| rights(caller, &p.proposal).can_review),
        can_decide: true,
    };
    let recorded = store
        .record_decision(
            &Actor::from(&caller.principal),
            DecisionInput {
                decision,
                proposals: ids,
            },
            rights,
        )
        .await?;
    let told = crate::notifications::decision_recorded(app, &recorded).await;
    crate::notifications::log_failure("quyết định khen thưởng", told);
    Ok(recorded)
}

/// The decision `id`, when the caller may see one of its recipients.
pub async fn decision(app: &App, caller: &Context, id: i64) -> Result<StoredDecision, Error> {
    let decision = app.store().decision(id).await?;
    if caller
        .access()
        .visible_recipients(&decision.decision.recipients)
        .is_empty()
    {
        return Err(Error::Forbidden(format!(
            "bạn không có quyền xem quyết định {}",
            decision.decision.number
        )));
    }
    Ok(decision)
}

/// A revocation as typed.
#[derive(Debug, Clone, Default)]
pub struct RevocationEntry {
    /// The revoking decision's number.
    pub number: String,
    /// Its day, as typed ("2023-06-01").
    pub on: String,
    /// Why.
    pub reason: String,
}

/// Revokes `stored` as the caller (the store refuses who may not).
pub async fn revoke(app: &App, caller: &Context, stored: &StoredDecision, entry: RevocationEntry) -> Result<(), Error> {
    let revocation = Revocation {
        number: entry.number,
        on: parse_day(&entry.on, "ngày thu hồi")?,
        reason: entry.reason,
    };
    app.store()
        .revoke_decision(
            &Actor::from(&caller.principal),
            stored.id,
            revocation,
            may_revoke(caller, &stored.decision),
        )
        .await?;
    Ok(())
}

// ---------------------------------------------------------------- history

/// The most units a search of the award history lists.
pub const MAX_UNITS: usize = 30;

/// `unit`'s award history, when the caller may see the unit; with the unit.
pub async fn history_of_unit(
    app: &App,
    caller: &Context,
    unit: &str,
) -> Result<(thidua_core::Unit, Vec<AwardRecord>), Error> {
    let not_found = || Error::NotFound(format!("không tìm thấy đơn vị «{unit}»"));
    let code = UnitCode::parse(unit).map_err(|_| not_found())?;
    let found = caller.directory.tree.get(&code).ok_or_else(not_found)?;
    crate::clusters::ensure_can_view_unit(caller, found)?;
    let records = app.store().award_history_of_unit(&code).await?;
    Ok((found.clone(), records))
}

/// What a search of the award history finds.
#[derive(Debug, Clone, Default)]
pub struct HistorySearch {
    /// The awards of people whose names match, in units the caller may see.
    pub people: Vec<AwardRecord>,
    /// Units the caller may see whose names match (at most [`MAX_UNITS`]), each with its
    /// number of awards.
    pub units: Vec<(thidua_core::Unit, usize)>,
}

/// Searches the award history for `q` (a person's or a unit's name, trimmed; nothing is
/// found for an empty one), within what the caller may see.
pub async fn search_history(app: &App, caller: &Context, q: &str) -> Result<HistorySearch, Error> {
    if q.is_empty() {
        return Ok(HistorySearch::default());
    }
    let access = caller.access();
    let people = app
        .store()
        .award_history_of_person(q)
        .await?
        .into_iter()
        .filter(|r| access.can_view_unit(r.recipient.unit()))
        .collect();
    let mut units = Vec::new();
    for u in caller
        .directory
        .tree
        .units()
        .filter(|u| thidua_core::text::matches_search(&u.name, q) && access.can_view_unit(&u.code))
        .take(MAX_UNITS)
    {
        let awards = app.store().award_history_of_unit(&u.code).await?.len();
        units.push((u.clone(), awards));
    }
    Ok(HistorySearch { people, units })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    #[test]
    fn the_default_signing_day_is_today_when_allowed_else_the_year_s_last_day() {
        assert_eq!(default_signing_day(2025, day(2026, 12, 3)), day(2026, 12, 3));
        assert_eq!(default_signing_day(2022, day(2026, 12, 3)), day(2022, 12, 31));
        assert!(check_signing_day(2022, default_signing_day(2022, day(2026, 12, 3))).is_ok());
    }

    #[test]
    fn a_signing_day_outside_the_years_is_refused_naming_them() {
        let Err(Error::Invalid(m)) = check_signing_day(2022, day(2026, 12, 3)) else {
            panic!("2026 is outside 2022–2024");
        };
        assert!(m.contains("3/12/2026") && m.contains("các năm 2022 đến 2024"), "{m}");
        assert!(check_signing_day(2022, day(2024, 12, 31)).is_ok());
    }
}
