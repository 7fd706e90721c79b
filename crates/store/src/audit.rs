//! Nhật ký thay đổi — the audit trail: its one writer ([`append`]), the sealing of rows
//! written before the chain existed ([`on_connect`]), and its verifier
//! ([`Store::verify_audit`]).
//!
//! The trail is a chain authenticated under the installation's secret key, which lives
//! outside the database: row n carries its place `seq` (from 1) and
//! `mac_n = MAC("audit-event", [mac_{n-1}, canonical bytes of row n])`, with
//! `mac_0 = MAC("audit-genesis", [])`. A one-row head (`audit_head`) names the last
//! row's `seq` and `mac` and is itself authenticated (`seal`), so a deleted row shows as a
//! gap, an edited one as a MAC that no longer matches, a cut tail or an emptied table as
//! a head naming rows that are gone. Someone who can write the tables but does not hold
//! the key can delete or change rows, but cannot make the result verify again. Appends
//! lock the head (`FOR UPDATE` on PostgreSQL; SQLite writers already hold the database's
//! write lock, `Store::begin_write`), so they are serialized and the head always names
//! the last row. Why a MAC and not a plain hash, and what this cannot prevent:
//! docs/decisions.md, "The audit trail is a MAC chain".

use std::fmt;

use sqlx::any::AnyRow;
use sqlx::{Any, AnyPool, Row, Transaction};

use crate::error::StoreError;
use crate::secret::ServerKey;
use crate::store::{Backend, Store};

/// Domain of a row's MAC.
const EVENT_LABEL: &str = "audit-event";
/// Domain of the chain's starting value.
const GENESIS_LABEL: &str = "audit-genesis";
/// Domain of the head's seal.
const HEAD_LABEL: &str = "audit-head";
/// Domain of the key's name stored in the head.
const KEY_ID_LABEL: &str = "audit-key-id";
/// Rows per INSERT statement: 13 parameters each, far below either backend's limit.
const ROWS_PER_INSERT: usize = 64;
/// Rows read at once by the sealing and by the verifier, so memory stays bounded
/// whatever the trail's length.
const PAGE: i64 = 1000;
/// Problems listed one by one; beyond that they are only counted.
const MAX_PROBLEMS: usize = 200;

/// One entry of the trail, as written and as read back (without its place in the chain).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Event {
    /// When, RFC 3339.
    pub at: String,
    /// Who: a login name, or what acted (`import`, `demo`).
    pub actor: String,
    /// The account, when a person acted.
    pub user_id: Option<i64>,
    /// What: `value`, `state`, `official`, `import`, `ballot-open`…
    pub action: String,
    /// The unit concerned.
    pub unit_code: Option<String>,
    /// The period, for a form's cells.
    pub period: Option<String>,
    /// The indicator, for a cell.
    pub indicator: Option<String>,
    /// Before.
    pub old_value: Option<String>,
    /// After.
    pub new_value: Option<String>,
    /// Why.
    pub reason: Option<String>,
    /// The emulation record (`proposal:12`), for entries about one.
    pub subject: Option<String>,
}

impl Event {
    /// The bytes the MAC covers: the place in the chain and every column, each tagged so
    /// that an empty text and NULL differ and no column can bleed into the next.
    fn canonical(&self, seq: i64) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(&seq.to_be_bytes());
        let text = |out: &mut Vec<u8>, value: Option<&str>| match value {
            None => out.push(0),
            Some(s) => {
                out.push(1);
                out.extend_from_slice(&(s.len() as u64).to_be_bytes());
                out.extend_from_slice(s.as_bytes());
            }
        };
        text(&mut out, Some(&self.at));
        text(&mut out, Some(&self.actor));
        match self.user_id {
            None => out.push(0),
            Some(id) => {
                out.push(1);
                out.extend_from_slice(&id.to_be_bytes());
            }
        }
        text(&mut out, Some(&self.action));
        for column in [
            &self.unit_code,
            &self.period,
            &self.indicator,
            &self.old_value,
            &self.new_value,
            &self.reason,
            &self.subject,
        ] {
            text(&mut out, column.as_deref());
        }
        out
    }

    fn from_row(row: &AnyRow) -> Result<Event, StoreError> {
        Ok(Event {
            at: row.try_get("at")?,
            actor: row.try_get("actor")?,
            user_id: row.try_get("user_id")?,
            action: row.try_get("action")?,
            unit_code: row.try_get("unit_code")?,
            period: row.try_get("period")?,
            indicator: row.try_get("indicator")?,
            old_value: row.try_get("old_value")?,
            new_value: row.try_get("new_value")?,
            reason: row.try_get("reason")?,
            subject: row.try_get("subject")?,
        })
    }

    /// What the entry is about, for a person: "import — HN-HADONG, kỳ 2022S1, chỉ tiêu
    /// HV_HOI_CHO".
    fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(unit) = &self.unit_code {
            parts.push(unit.clone());
        }
        if let Some(period) = &self.period {
            parts.push(format!("kỳ {period}"));
        }
        if let Some(indicator) = &self.indicator {
            parts.push(format!("chỉ tiêu {indicator}"));
        }
        if let Some(subject) = &self.subject {
            parts.push(subject.clone());
        }
        if parts.is_empty() {
            self.action.clone()
        } else {
            format!("{} — {}", self.action, parts.join(", "))
        }
    }
}

/// The columns every read of a row takes, in this order.
const EVENT_COLUMNS: &str =
    "id, seq, mac, at, actor, user_id, action, unit_code, period, indicator, old_value, new_value, reason, subject";

fn chain_mac(key: &ServerKey, previous: &str, event: &Event, seq: i64) -> String {
    key.mac_hex(EVENT_LABEL, &[previous.as_bytes(), &event.canonical(seq)])
}

fn genesis(key: &ServerKey) -> String {
    key.mac_hex(GENESIS_LABEL, &[])
}

fn key_id(key: &ServerKey) -> String {
    key.mac_hex(KEY_ID_LABEL, &[])
}

/// The head row: where the chain ends.
#[derive(Debug, Clone)]
struct Head {
    seq: i64,
    mac: String,
    seal: String,
    started_at: Option<String>,
}

impl Head {
    fn is_sealed(&self) -> bool {
        !self.seal.is_empty()
    }

    fn expected_seal(&self, key: &ServerKey) -> String {
        seal_of(key, self.seq, &self.mac, self.started_at.as_deref().unwrap_or(""))
    }
}

fn seal_of(key: &ServerKey, seq: i64, mac: &str, started_at: &str) -> String {
    key.mac_hex(
        HEAD_LABEL,
        &[
            &seq.to_be_bytes(),
            mac.as_bytes(),
            started_at.as_bytes(),
            key_id(key).as_bytes(),
        ],
    )
}

fn head_from_row(row: &AnyRow) -> Result<Head, StoreError> {
    Ok(Head {
        seq: row.try_get("seq")?,
        mac: row.try_get("mac")?,
        seal: row.try_get("seal")?,
        started_at: row.try_get("started_at")?,
    })
}

/// Reads the head and, on PostgreSQL, locks it until the transaction ends: the lock is
/// what serializes appends. (sqlx's `Any` driver passes `FOR UPDATE` through unchanged;
/// SQLite has no such clause and needs none, its writers hold the database lock.)
async fn lock_head(tx: &mut Transaction<'static, Any>) -> Result<Option<Head>, StoreError> {
    let row = if tx.backend_name() == "PostgreSQL" {
        sqlx::query("SELECT seq, mac, seal, started_at FROM audit_head WHERE id = 1 FOR UPDATE")
            .fetch_optional(&mut **tx)
            .await?
    } else {
        sqlx::query("SELECT seq, mac, seal, started_at FROM audit_head WHERE id = 1")
            .fetch_optional(&mut **tx)
            .await?
    };
    row.as_ref().map(head_from_row).transpose()
}

async fn write_head(
    tx: &mut Transaction<'static, Any>,
    key: &ServerKey,
    seq: i64,
    mac: &str,
    started_at: &str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE audit_head SET seq = $1, mac = $2, seal = $3, started_at = $4, key_id = $5 WHERE id = 1")
        .bind(seq)
        .bind(mac)
        .bind(seal_of(key, seq, mac, started_at))
        .bind(started_at)
        .bind(key_id(key))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

fn refused(why: &str) -> StoreError {
    StoreError::Corrupt(format!(
        "nhật ký thay đổi {why}; không ghi thêm được — hãy chạy «thidua verify audit»"
    ))
}

/// Appends `events`, in order, to the trail inside the caller's transaction: they
/// commit or roll back with the change they record. The one way rows enter
/// `audit_event`. Refused when the head is missing, not sealed, or not authentic under
/// `key` — extending a forged head would hide what was done to it.
pub(crate) async fn append(
    tx: &mut Transaction<'static, Any>,
    key: &ServerKey,
    events: &[Event],
) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    let head = lock_head(tx)
        .await?
        .ok_or_else(|| refused("mất đầu chuỗi (bảng audit_head)"))?;
    append_after(tx, key, &head, events).await
}

async fn append_after(
    tx: &mut Transaction<'static, Any>,
    key: &ServerKey,
    head: &Head,
    events: &[Event],
) -> Result<(), StoreError> {
    if !head.is_sealed() {
        return Err(refused("chưa được niêm phong"));
    }
    if head.seal != head.expected_seal(key) {
        return Err(refused("có đầu chuỗi bị sửa hoặc giả mạo"));
    }
    let mut seq = head.seq;
    let mut previous = if head.seq == 0 { genesis(key) } else { head.mac.clone() };
    for chunk in events.chunks(ROWS_PER_INSERT) {
        let mut sql = String::from(
            "INSERT INTO audit_event (seq, mac, at, actor, user_id, action, unit_code, period, indicator, old_value, new_value, reason, subject) VALUES ",
        );
        for i in 0..chunk.len() {
            let base = i * 13;
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for p in 1..=13 {
                if p > 1 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!("${}", base + p));
            }
            sql.push(')');
        }
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for event in chunk {
            seq += 1;
            let mac = chain_mac(key, &previous, event, seq);
            query = query
                .bind(seq)
                .bind(mac.clone())
                .bind(event.at.clone())
                .bind(event.actor.clone())
                .bind(event.user_id)
                .bind(event.action.clone())
                .bind(event.unit_code.clone())
                .bind(event.period.clone())
                .bind(event.indicator.clone())
                .bind(event.old_value.clone())
                .bind(event.new_value.clone())
                .bind(event.reason.clone())
                .bind(event.subject.clone());
            previous = mac;
        }
        query.execute(&mut **tx).await?;
    }
    let started_at = head.started_at.clone().unwrap_or_default();
    write_head(tx, key, seq, &previous, &started_at).await
}

/// Run by every connect, after the migrations and the key check: the first time after
/// migration 0009, seals the rows written before it — in id order, in one transaction,
/// starting the chain.
///
/// The sealing happens here rather than at the first append so that a database nobody
/// writes to still verifies at once. It runs only while the head is in the state the
/// migration left it (seq 0, no seal) and no row has a place in the chain yet; a head
/// put back into that state by hand over a sealed trail is left alone and reported.
pub(crate) async fn on_connect(pool: &AnyPool, backend: Backend, key: &ServerKey) -> Result<(), StoreError> {
    let seal: Option<String> = sqlx::query_scalar("SELECT seal FROM audit_head WHERE id = 1")
        .fetch_optional(pool)
        .await?;
    if seal.is_none_or(|s| !s.is_empty()) {
        return Ok(());
    }
    let mut tx = match backend {
        Backend::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await?,
        Backend::Postgres => pool.begin().await?,
    };
    // Two processes starting at once: the second waits for the lock, then sees a seal.
    let Some(head) = lock_head(&mut tx).await? else {
        return Ok(());
    };
    if head.is_sealed() {
        return Ok(());
    }
    let chained: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_event WHERE seq IS NOT NULL")
        .fetch_one(&mut *tx)
        .await?;
    if chained > 0 || head.seq != 0 {
        tracing::error!("audit_head is unsealed over a sealed trail: left as found, `thidua verify audit` reports it");
        return Ok(());
    }
    let mut seq = 0i64;
    let mut previous = genesis(key);
    let mut after_id = i64::MIN;
    loop {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {EVENT_COLUMNS} FROM audit_event WHERE seq IS NULL AND id > $1 ORDER BY id LIMIT {PAGE}"
        )))
        .bind(after_id)
        .fetch_all(&mut *tx)
        .await?;
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            let id: i64 = row.try_get("id")?;
            let event = Event::from_row(row)?;
            seq += 1;
            let mac = chain_mac(key, &previous, &event, seq);
            sqlx::query("UPDATE audit_event SET seq = $1, mac = $2 WHERE id = $3")
                .bind(seq)
                .bind(&mac)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            previous = mac;
            after_id = id;
        }
    }
    let started_at = chrono::Utc::now().to_rfc3339();
    write_head(&mut tx, key, seq, &previous, &started_at).await?;
    tx.commit().await?;
    if seq > 0 {
        tracing::info!(rows = seq, "sealed the audit rows written before the chain");
    }
    Ok(())
}

/// What `verify_audit` found wrong. Each names the row (by its place in the chain) or
/// the part of the trail concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditProblem {
    /// A row whose content or MAC was changed.
    Edited {
        /// Its place in the chain.
        seq: i64,
        /// What it is about (action, unit, period, indicator or record).
        cell: String,
    },
    /// Rows missing from the middle of the trail.
    Deleted {
        /// First missing place.
        from: i64,
        /// Last missing place.
        to: i64,
    },
    /// The trail ends before the row the head names.
    Truncated {
        /// The last row left.
        last: i64,
        /// The last row the head names.
        head: i64,
    },
    /// No row is left although the head names some.
    Emptied {
        /// Rows the head names.
        head: i64,
    },
    /// The head row is gone.
    HeadMissing,
    /// The head is not authentic under the key (edited, or made up).
    HeadForged,
    /// The head does not match the trail's last row.
    HeadMismatch {
        /// The last row.
        seq: i64,
    },
    /// The head was never sealed, or was put back to its unsealed state.
    HeadUnsealed,
    /// Rows after the one the head names.
    BeyondHead {
        /// The last row the head names.
        head: i64,
        /// The last row found.
        last: i64,
    },
    /// A row without a place in the chain: written by something other than thidua.
    Unsealed {
        /// Its row id.
        id: i64,
        /// What it is about.
        cell: String,
    },
    /// Rows whose ids are not in chain order (the history pages list by id).
    Reordered {
        /// The row out of place.
        seq: i64,
    },
}

impl fmt::Display for AuditProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuditProblem::Edited { seq, cell } => {
                write!(f, "sự kiện số {seq} ({cell}) đã bị sửa: mã xác thực không khớp")
            }
            AuditProblem::Deleted { from, to } if from == to => write!(f, "sự kiện số {from} đã bị xóa"),
            AuditProblem::Deleted { from, to } => write!(f, "các sự kiện từ số {from} đến số {to} đã bị xóa"),
            AuditProblem::Truncated { last, head } => write!(
                f,
                "nhật ký bị cắt cụt: đầu chuỗi ghi đến sự kiện số {head}, nhật ký chỉ còn đến số {last}"
            ),
            AuditProblem::Emptied { head } => write!(
                f,
                "nhật ký đã bị xóa sạch: đầu chuỗi ghi {head} sự kiện, bảng không còn sự kiện nào"
            ),
            AuditProblem::HeadMissing => {
                f.write_str("mất đầu chuỗi (bảng audit_head): không kiểm được phần cuối nhật ký")
            }
            AuditProblem::HeadForged => f.write_str("đầu chuỗi bị sửa hoặc giả mạo: mã xác thực không khớp"),
            AuditProblem::HeadMismatch { seq } => {
                write!(f, "sự kiện cuối (số {seq}) không khớp với đầu chuỗi: đã bị thay")
            }
            AuditProblem::HeadUnsealed => f.write_str("đầu chuỗi chưa được niêm phong (hoặc bị đặt lại)"),
            AuditProblem::BeyondHead { head, last } => write!(
                f,
                "có sự kiện nằm sau đầu chuỗi: đầu chuỗi ghi đến số {head}, nhật ký có đến số {last}"
            ),
            AuditProblem::Unsealed { id, cell } => write!(
                f,
                "dòng id {id} ({cell}) không có mã xác thực: được ghi ngoài chương trình"
            ),
            AuditProblem::Reordered { seq } => write!(f, "sự kiện số {seq} bị đổi thứ tự"),
        }
    }
}

/// The verdict on the trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditReport {
    /// Rows in the chain that were checked.
    pub events: u64,
    /// When the chain was started (sealed), RFC 3339, when the head says.
    pub started_at: Option<String>,
    /// What is wrong, in trail order, at most a few hundred.
    pub problems: Vec<AuditProblem>,
    /// Problems found beyond those listed.
    pub more_problems: u64,
}

impl AuditReport {
    /// Whether nothing is wrong.
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty() && self.more_problems == 0
    }

    /// The verdict in one Vietnamese line.
    pub fn summary(&self) -> String {
        if self.is_intact() {
            format!("Nhật ký thay đổi: nguyên vẹn, {} sự kiện", self.events)
        } else {
            let count = self.problems.len() as u64 + self.more_problems;
            format!(
                "Nhật ký thay đổi: BỊ CAN THIỆP — {count} vấn đề ({} sự kiện còn trong chuỗi)",
                self.events
            )
        }
    }

    fn report(&mut self, problem: AuditProblem) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(problem);
        } else {
            self.more_problems += 1;
        }
    }
}

impl fmt::Display for AuditReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.summary())?;
        for problem in &self.problems {
            write!(f, "\n  - {problem}")?;
        }
        if self.more_problems > 0 {
            write!(f, "\n  - … và {} vấn đề khác", self.more_problems)?;
        }
        Ok(())
    }
}

impl Store {
    /// Walks the whole trail and reports every row edited, deleted or added outside
    /// thidua, a cut tail, an emptied table and a missing or forged head. Reads one
    /// snapshot of the database, a page at a time.
    pub async fn verify_audit(&self) -> Result<AuditReport, StoreError> {
        let key = self.key();
        let mut tx = match self.backend() {
            Backend::Postgres => {
                self.pool()
                    .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .await?
            }
            // A read transaction in WAL mode sees one snapshot.
            Backend::Sqlite => self.pool().begin().await?,
        };
        let head = sqlx::query("SELECT seq, mac, seal, started_at FROM audit_head WHERE id = 1")
            .fetch_optional(&mut *tx)
            .await?
            .as_ref()
            .map(head_from_row)
            .transpose()?;
        let mut report = AuditReport {
            events: 0,
            started_at: head.as_ref().and_then(|h| h.started_at.clone()),
            problems: Vec::new(),
            more_problems: 0,
        };

        // The chain, in seq order.
        let mut previous = genesis(key);
        let mut last_seq = 0i64;
        let mut last_id = i64::MIN;
        loop {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {EVENT_COLUMNS} FROM audit_event WHERE seq > $1 ORDER BY seq LIMIT {PAGE}"
            )))
            .bind(last_seq)
            .fetch_all(&mut *tx)
            .await?;
            if rows.is_empty() {
                break;
            }
            for row in &rows {
                let id: i64 = row.try_get("id")?;
                let seq: i64 = row.try_get("seq")?;
                let mac: Option<String> = row.try_get("mac")?;
                let event = Event::from_row(row)?;
                report.events += 1;
                let after_gap = seq != last_seq + 1;
                if after_gap {
                    report.report(AuditProblem::Deleted {
                        from: last_seq + 1,
                        to: seq - 1,
                    });
                }
                // Right after a gap the MAC cannot match (its predecessor is gone); the
                // gap already says the trail was cut there.
                if !after_gap && mac.as_deref() != Some(chain_mac(key, &previous, &event, seq).as_str()) {
                    report.report(AuditProblem::Edited {
                        seq,
                        cell: event.describe(),
                    });
                }
                if id <= last_id {
                    report.report(AuditProblem::Reordered { seq });
                }
                previous = mac.unwrap_or_default();
                last_seq = seq;
                last_id = id;
            }
        }

        // Rows written around the writer.
        let mut after_id = i64::MIN;
        loop {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {EVENT_COLUMNS} FROM audit_event WHERE seq IS NULL AND id > $1 ORDER BY id LIMIT {PAGE}"
            )))
            .bind(after_id)
            .fetch_all(&mut *tx)
            .await?;
            if rows.is_empty() {
                break;
            }
            for row in &rows {
                let id: i64 = row.try_get("id")?;
                report.report(AuditProblem::Unsealed {
                    id,
                    cell: Event::from_row(row)?.describe(),
                });
                after_id = id;
            }
        }

        // The head: the end of the trail it names must be there, and be the end.
        match head {
            None => report.report(AuditProblem::HeadMissing),
            Some(head) if !head.is_sealed() => report.report(AuditProblem::HeadUnsealed),
            Some(head) if head.seal != head.expected_seal(key) => report.report(AuditProblem::HeadForged),
            Some(head) if head.seq > last_seq && report.events == 0 => {
                report.report(AuditProblem::Emptied { head: head.seq })
            }
            Some(head) if head.seq > last_seq => report.report(AuditProblem::Truncated {
                last: last_seq,
                head: head.seq,
            }),
            Some(head) if head.seq < last_seq => report.report(AuditProblem::BeyondHead {
                head: head.seq,
                last: last_seq,
            }),
            Some(head) if head.seq > 0 && head.mac != previous => {
                report.report(AuditProblem::HeadMismatch { seq: last_seq })
            }
            Some(_) => {}
        }
        tx.commit().await?;
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_null_and_an_empty_text_give_different_macs() {
        let key = ServerKey::ephemeral().expect("key");
        let with_null = Event {
            reason: None,
            ..Event::default()
        };
        let with_empty = Event {
            reason: Some(String::new()),
            ..Event::default()
        };
        assert_ne!(chain_mac(&key, "", &with_null, 1), chain_mac(&key, "", &with_empty, 1));
    }

    #[test]
    fn a_row_s_mac_depends_on_its_place_and_its_predecessor() {
        let key = ServerKey::ephemeral().expect("key");
        let event = Event {
            action: "import".into(),
            ..Event::default()
        };
        let first = chain_mac(&key, &genesis(&key), &event, 1);
        assert_ne!(first, chain_mac(&key, &genesis(&key), &event, 2));
        assert_ne!(first, chain_mac(&key, "other", &event, 1));
        let other_key = ServerKey::ephemeral().expect("key");
        assert_ne!(first, chain_mac(&other_key, &genesis(&other_key), &event, 1));
    }
}
