//! Thi đua – khen thưởng in the database: criteria sets (versioned, copied from year to
//! year), pledges, score sheets per step with their evidence files, the secret ballot
//! (who has voted and the anonymous papers kept apart), the award catalogue, proposals,
//! decisions and revocations. The rules are `thidua_core::emulation`'s; this module
//! stores what they accept, in one transaction per change, with an entry in the audit
//! trail for every change of state (never for a cast paper).

mod award;
mod ballot;
mod criteria;
mod pledge;
mod scoring;

use chrono::Utc;
use sqlx::{Any, Transaction};
use thidua_core::{Principal, UnitCode};

use crate::error::StoreError;
use crate::forms::AuditEvent;
use crate::store::Store;

pub use award::{DecisionInput, ProposalFilter, StoredDecision, StoredProposal};
pub use ballot::{Ballot, BallotSeal};
pub use criteria::{CriteriaSummary, SavedCriteria, StoredCriteria};
pub use scoring::{EvidenceFile, EvidenceInfo, Ranking, ScoreComparison, ScoreSheet, SheetInput};

/// Who changes something: a signed-in user, or the system (an import, the demo).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The account, when a person acts.
    pub user_id: Option<i64>,
    /// The login name, or what acted (`import`, `demo`).
    pub login: String,
}

impl Actor {
    /// A change made by the program itself, named `what`.
    pub fn system(what: &str) -> Actor {
        Actor {
            user_id: None,
            login: what.to_owned(),
        }
    }
}

impl From<&Principal> for Actor {
    fn from(p: &Principal) -> Actor {
        Actor {
            user_id: Some(p.user_id),
            login: p.username.clone(),
        }
    }
}

pub(crate) fn now() -> String {
    Utc::now().to_rfc3339()
}

/// 128 random bits as hex: the id of a ballot paper, unrelated to anything else.
pub(crate) fn random_id() -> Result<String, StoreError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| StoreError::Corrupt(format!("không lấy được số ngẫu nhiên: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// One entry of the audit trail about an emulation record (`subject`, e.g.
/// "proposal:12"). The period column stays empty so that these entries never mix with a
/// form's cell history.
pub(crate) struct AuditEntry<'a> {
    pub action: &'a str,
    pub subject: String,
    pub unit: Option<&'a UnitCode>,
    pub old: Option<String>,
    pub new: Option<String>,
    pub reason: Option<&'a str>,
}

/// Writes `entry` to the audit trail inside `tx`, through the trail's one writer
/// (`crate::audit`), chained under the installation's `key`.
pub(crate) async fn audit(
    tx: &mut Transaction<'static, Any>,
    key: &crate::ServerKey,
    actor: &Actor,
    at: &str,
    entry: AuditEntry<'_>,
) -> Result<(), StoreError> {
    let event = crate::audit::Event {
        at: at.to_owned(),
        actor: actor.login.clone(),
        user_id: actor.user_id,
        action: entry.action.to_owned(),
        unit_code: entry.unit.map(|u| u.to_string()),
        period: None,
        indicator: None,
        old_value: entry.old,
        new_value: entry.new,
        reason: entry.reason.map(str::to_owned),
        subject: Some(entry.subject),
    };
    crate::audit::append(tx, key, &[event]).await
}

/// The row id of a unit, or `NotFound`.
pub(crate) async fn unit_id(tx: &mut Transaction<'static, Any>, unit: &UnitCode) -> Result<i64, StoreError> {
    let id: Option<i64> = sqlx::query_scalar("SELECT id FROM unit WHERE code = $1")
        .bind(unit.as_str())
        .fetch_optional(&mut **tx)
        .await?;
    id.ok_or_else(|| StoreError::NotFound {
        what: "đơn vị",
        key: unit.to_string(),
    })
}

impl Store {
    /// The audit trail of one emulation record (`criteria:district/2022`,
    /// `score:HN-HADONG/2022/v1/self`, `ballot:3`, `proposal:12`, `decision:4`), oldest
    /// first.
    pub async fn emulation_history(&self, subject: &str) -> Result<Vec<AuditEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT at, actor, action, indicator, old_value, new_value, reason FROM audit_event
             WHERE subject = $1 ORDER BY id",
        )
        .bind(subject)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(crate::forms::audit_event_from_row).collect()
    }
}

/// A year stored as BIGINT, back to `i32`.
pub(crate) fn year_of(stored: i64) -> Result<i32, StoreError> {
    i32::try_from(stored).map_err(StoreError::corrupt)
}
