//! Bỏ phiếu kín in the database. Secrecy is a property of the tables, not of the code
//! that reads them:
//!
//! - `ballot_voter` says who has voted (ballot, unit) — nothing else, no time;
//! - `ballot_paper` holds the papers (random id, ballot, answers) — no voter, no time, no
//!   counter: the id is 128 random bits, and on SQLite the table has no rowid;
//! - a paper and its voter's mark are written in the same transaction, so neither exists
//!   without the other, and casting writes nothing to the audit trail;
//! - closing the ballot rewrites its papers under new random ids, so even the physical
//!   order of the rows no longer follows the order of arrival.
//!
//! The count is `thidua_core::emulation::ballot::tally`, over the stored papers.

use sqlx::Row;
use sqlx::any::AnyRow;
use thidua_core::emulation::ballot::{self, BallotSpec, BallotState, Paper, TallyRecord};
use thidua_core::{ClusterCode, UnitCode};

use super::{Actor, AuditEntry, audit, now, random_id, unit_id};
use crate::error::StoreError;
use crate::store::{Store, parse_stored};

/// Cuộc bỏ phiếu — a ballot as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ballot {
    /// Its id.
    pub id: i64,
    /// What it asks and who votes.
    pub spec: BallotSpec,
    /// Open or closed.
    pub state: BallotState,
    /// When it was opened, RFC 3339.
    pub opened_at: String,
    /// By whom.
    pub opened_by: String,
    /// When it was closed.
    pub closed_at: Option<String>,
    /// By whom.
    pub closed_by: Option<String>,
}

fn ballot_from_row(row: &AnyRow) -> Result<Ballot, StoreError> {
    let spec: String = row.try_get("spec")?;
    Ok(Ballot {
        id: row.try_get("id")?,
        spec: serde_json::from_str(&spec).map_err(StoreError::corrupt)?,
        state: parse_stored(BallotState::parse(&row.try_get::<String, _>("state")?))?,
        opened_at: row.try_get("opened_at")?,
        opened_by: row.try_get("opened_by")?,
        closed_at: row.try_get("closed_at")?,
        closed_by: row.try_get("closed_by")?,
    })
}

macro_rules! ballot_columns {
    () => {
        "id, spec, state, opened_at, opened_by, closed_at, closed_by"
    };
}

impl Store {
    /// Opens a ballot (the chair does, at the conference), checked against the cluster as
    /// constituted in the ballot's year. An empty electorate means every member.
    pub async fn open_ballot(&self, actor: &Actor, spec: BallotSpec) -> Result<Ballot, StoreError> {
        let cluster = self.cluster(&spec.cluster, spec.year).await?;
        let spec = spec.validated(&cluster)?;
        let json = serde_json::to_string(&spec).map_err(StoreError::corrupt)?;
        let at = now();
        let mut tx = self.begin_write().await?;
        let id = sqlx::query_scalar::<_, i64>(
            "INSERT INTO ballot (cluster, year, title, spec, state, opened_at, opened_by) VALUES ($1, $2, $3, $4, $5, $6, $7)
             RETURNING id",
        )
        .bind(spec.cluster.as_str())
        .bind(i64::from(spec.year))
        .bind(&spec.title)
        .bind(&json)
        .bind(BallotState::Open.as_str())
        .bind(&at)
        .bind(&actor.login)
        .fetch_one(&mut *tx)
        .await?;
        audit(
            &mut tx,
            actor,
            &at,
            AuditEntry {
                action: "ballot-open",
                subject: format!("ballot:{id}"),
                unit: None,
                old: None,
                new: Some(BallotState::Open.as_str().into()),
                reason: None,
            },
        )
        .await?;
        tx.commit().await?;
        self.ballot(id).await
    }

    /// A ballot by id.
    pub async fn ballot(&self, id: i64) -> Result<Ballot, StoreError> {
        let row = sqlx::query(concat!("SELECT ", ballot_columns!(), " FROM ballot WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "cuộc bỏ phiếu",
                key: id.to_string(),
            })?;
        ballot_from_row(&row)
    }

    /// A cluster's ballots in a year, oldest first.
    pub async fn ballots(&self, cluster: &ClusterCode, year: i32) -> Result<Vec<Ballot>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            ballot_columns!(),
            " FROM ballot WHERE cluster = $1 AND year = $2 ORDER BY id"
        ))
        .bind(cluster.as_str())
        .bind(i64::from(year))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(ballot_from_row).collect()
    }

    /// Casts `voter`'s paper: refused when the ballot is closed, the unit may not vote or
    /// has voted, or the paper answers a question the ballot does not ask. The voter's
    /// mark and the anonymous paper are written in one transaction; a spoiled answer is
    /// stored as cast and counted invalid.
    pub async fn cast_ballot(&self, ballot_id: i64, voter: &UnitCode, paper: Paper) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(concat!("SELECT ", ballot_columns!(), " FROM ballot WHERE id = $1"))
            .bind(ballot_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "cuộc bỏ phiếu",
                key: ballot_id.to_string(),
            })?;
        let ballot = ballot_from_row(&row)?;
        paper.check_shape(&ballot.spec)?;
        let voter_id = unit_id(&mut tx, voter).await?;
        let voted: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ballot_voter WHERE ballot_id = $1 AND unit_id = $2")
            .bind(ballot_id)
            .bind(voter_id)
            .fetch_one(&mut *tx)
            .await?;
        ballot::check_cast(&ballot.spec, ballot.state, voter, voted > 0)?;
        let marked = sqlx::query("INSERT INTO ballot_voter (ballot_id, unit_id) VALUES ($1, $2)")
            .bind(ballot_id)
            .bind(voter_id)
            .execute(&mut *tx)
            .await;
        match marked {
            Ok(_) => {}
            // A second paper from the same unit racing the first.
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                return Err(thidua_core::Error::InvalidTransition(format!(
                    "đơn vị {voter} đã bỏ phiếu; mỗi đơn vị chỉ bỏ phiếu một lần"
                ))
                .into());
            }
            Err(e) => return Err(e.into()),
        }
        let answers = serde_json::to_string(&paper).map_err(StoreError::corrupt)?;
        sqlx::query("INSERT INTO ballot_paper (id, ballot_id, answers) VALUES ($1, $2, $3)")
            .bind(random_id()?)
            .bind(ballot_id)
            .bind(answers)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The units that have voted, in code order (never in the order they voted).
    pub async fn who_has_voted(&self, ballot_id: i64) -> Result<Vec<UnitCode>, StoreError> {
        let codes: Vec<String> = sqlx::query_scalar(
            "SELECT u.code FROM ballot_voter v JOIN unit u ON u.id = v.unit_id WHERE v.ballot_id = $1 ORDER BY u.code",
        )
        .bind(ballot_id)
        .fetch_all(self.pool())
        .await?;
        codes.iter().map(|c| parse_stored(UnitCode::parse(c))).collect()
    }

    /// Closes a ballot (`may_run`: the caller is its cluster's chair or the upper level)
    /// and rewrites its papers under new random ids. After this the count is final.
    pub async fn close_ballot(&self, actor: &Actor, ballot_id: i64, may_run: bool) -> Result<Ballot, StoreError> {
        let at = now();
        let mut tx = self.begin_write().await?;
        let state: Option<String> = sqlx::query_scalar("SELECT state FROM ballot WHERE id = $1")
            .bind(ballot_id)
            .fetch_optional(&mut *tx)
            .await?;
        let state = state.ok_or_else(|| StoreError::NotFound {
            what: "cuộc bỏ phiếu",
            key: ballot_id.to_string(),
        })?;
        let closed = ballot::check_close(parse_stored(BallotState::parse(&state))?, may_run)?;
        sqlx::query("UPDATE ballot SET state = $1, closed_at = $2, closed_by = $3 WHERE id = $4")
            .bind(closed.as_str())
            .bind(&at)
            .bind(&actor.login)
            .bind(ballot_id)
            .execute(&mut *tx)
            .await?;
        let answers: Vec<String> =
            sqlx::query_scalar("SELECT answers FROM ballot_paper WHERE ballot_id = $1 ORDER BY id")
                .bind(ballot_id)
                .fetch_all(&mut *tx)
                .await?;
        sqlx::query("DELETE FROM ballot_paper WHERE ballot_id = $1")
            .bind(ballot_id)
            .execute(&mut *tx)
            .await?;
        let mut renamed: Vec<(String, String)> = answers
            .into_iter()
            .map(|a| Ok::<_, StoreError>((random_id()?, a)))
            .collect::<Result<_, _>>()?;
        renamed.sort();
        for (id, answers) in renamed {
            sqlx::query("INSERT INTO ballot_paper (id, ballot_id, answers) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(ballot_id)
                .bind(answers)
                .execute(&mut *tx)
                .await?;
        }
        audit(
            &mut tx,
            actor,
            &at,
            AuditEntry {
                action: "ballot-close",
                subject: format!("ballot:{ballot_id}"),
                unit: None,
                old: Some(state),
                new: Some(closed.as_str().into()),
                reason: None,
            },
        )
        .await?;
        tx.commit().await?;
        self.ballot(ballot_id).await
    }

    /// The stored papers of a ballot, in the order of their random ids.
    pub async fn ballot_papers(&self, ballot_id: i64) -> Result<Vec<Paper>, StoreError> {
        let answers: Vec<String> =
            sqlx::query_scalar("SELECT answers FROM ballot_paper WHERE ballot_id = $1 ORDER BY id")
                .bind(ballot_id)
                .fetch_all(self.pool())
                .await?;
        answers
            .iter()
            .map(|a| serde_json::from_str(a).map_err(StoreError::corrupt))
            .collect()
    }

    /// Kiểm phiếu — counts a closed ballot (an open one is not counted, so no partial
    /// result can sway the voters still to vote).
    pub async fn tally_ballot(&self, ballot_id: i64) -> Result<TallyRecord, StoreError> {
        let ballot = self.ballot(ballot_id).await?;
        if ballot.state != BallotState::Closed {
            return Err(
                thidua_core::Error::InvalidTransition("chỉ kiểm phiếu sau khi đã kết thúc bỏ phiếu".into()).into(),
            );
        }
        let papers = self.ballot_papers(ballot_id).await?;
        Ok(ballot::tally(&ballot.spec, &papers))
    }
}
