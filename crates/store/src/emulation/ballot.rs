//! Bỏ phiếu kín in the database. Nothing in the database — its columns, its system
//! columns (PostgreSQL's `xmin`, `ctid`), its dead tuples, its WAL, the order of its rows
//! — links a paper to its voter, because while the ballot is open there is no paper in
//! the clear to link:
//!
//! - `ballot_voter` says who has voted (ballot, unit) — nothing else, no time;
//! - casting writes the voter's mark and the paper in one transaction (so the paper is
//!   durable the moment the voter is told it counted), but the paper is stored only
//!   sealed under the installation's key ([`ServerKey`](crate::ServerKey), kept outside
//!   the database), padded to one length for the whole ballot, in `ballot_sealed_paper`
//!   under a random id. Whatever ties that row to the voter's row ties it to ciphertext a
//!   copy of the database cannot open;
//! - a paper holds only the ballot's questions and their candidates (checked in core
//!   before anything is written), so it cannot carry a mark of its voter;
//! - closing opens every sealed paper, shuffles them and writes them in the clear to
//!   `ballot_counted_paper` in that order, deletes the sealed rows, and seals the count,
//!   all in one transaction: every counted paper carries the same transaction id, and
//!   none the id of a cast;
//! - the seal is a SHA-256 chain: h₀ over the ballot (id, stored spec, closing time, who
//!   voted), hᵢ = H(hᵢ₋₁, position, paper), and the head over hₙ and the count. Its first
//!   64 bits ("3F9A-1B2C-5D6E-7F80") are printed on the record of the count and stored
//!   with a MAC of the whole head under the key, so [`Store::verify_ballot`] tells any
//!   later change of a paper, the spec, who voted or the seal itself;
//! - casting writes nothing to the audit trail and logs nothing; opening and closing do.
//!
//! The count is `thidua_core::emulation::ballot::tally`, over the counted papers, given
//! only for a ballot whose seal verifies.

use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use thidua_core::emulation::ballot::{self, BallotSpec, BallotState, Outcome, Paper, TallyRecord};
use thidua_core::{ClusterCode, UnitCode};

use super::{Actor, AuditEntry, audit, now, random_id, unit_id};
use crate::error::StoreError;
use crate::secret::hex;
use crate::store::{Store, parse_stored};

/// Sealed papers are padded to a multiple of this many bytes, the same multiple for every
/// paper of a ballot, so the length of a sealed paper says nothing of what it chose.
const PAD_BLOCK: usize = 4096;

/// What the chain's first link starts with: names the construction, so a change of it
/// gets a new name rather than silently different heads.
const CHAIN_DOMAIN: &[u8] = b"thidua/ballot-seal/v1";

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
    /// Mã niêm phong — the seal's short head as written at closing ("3F9A-1B2C-5D6E-7F80"),
    /// printed on the record of the count; `None` while open (and for ballots closed
    /// before seals existed). Whether it still holds is [`Store::verify_ballot`]'s to say.
    pub seal: Option<String>,
}

/// Kiểm tra niêm phong — what checking a ballot's seal found.
#[derive(Debug, Clone, PartialEq)]
pub struct BallotSeal {
    /// The ballot.
    pub ballot_id: i64,
    /// The short head written at closing (the one printed on the record), if any.
    pub head: Option<String>,
    /// What does not match, in Vietnamese; empty when the ballot is intact.
    pub problems: Vec<String>,
    /// The count of the stored papers, given only when the seal holds.
    pub record: Option<TallyRecord>,
}

impl BallotSeal {
    /// Whether the papers, the spec and who voted are as they were sealed.
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty() && self.head.is_some() && self.record.is_some()
    }
}

/// A ballot's row with what the seal is computed over, as stored.
struct StoredBallot {
    ballot: Ballot,
    /// The spec's JSON exactly as stored: the chain covers these bytes.
    spec_json: String,
    seal_mac: Option<String>,
}

fn ballot_from_row(row: &AnyRow) -> Result<StoredBallot, StoreError> {
    let spec_json: String = row.try_get("spec")?;
    let ballot = Ballot {
        id: row.try_get("id")?,
        spec: serde_json::from_str(&spec_json).map_err(StoreError::corrupt)?,
        state: parse_stored(BallotState::parse(&row.try_get::<String, _>("state")?))?,
        opened_at: row.try_get("opened_at")?,
        opened_by: row.try_get("opened_by")?,
        closed_at: row.try_get("closed_at")?,
        closed_by: row.try_get("closed_by")?,
        seal: row.try_get("seal_head")?,
    };
    Ok(StoredBallot {
        ballot,
        spec_json,
        seal_mac: row.try_get("seal_mac")?,
    })
}

macro_rules! ballot_columns {
    () => {
        "id, spec, state, opened_at, opened_by, closed_at, closed_by, seal_head, seal_mac"
    };
}

fn not_found(id: i64) -> StoreError {
    StoreError::NotFound {
        what: "cuộc bỏ phiếu",
        key: id.to_string(),
    }
}

/// The label a ballot's papers are sealed under: a sealed paper moved to another ballot
/// does not open there.
fn paper_label(ballot_id: i64) -> String {
    format!("ballot-paper:{ballot_id}")
}

/// The length every sealed paper of `spec` is padded to: the JSON of the longest paper
/// [`Paper::check_shape`] lets through (every question answered with as many of its
/// longest candidate as it has candidates), rounded up to whole blocks.
fn padded_len(spec: &BallotSpec) -> Result<usize, StoreError> {
    let json_len = |u: &UnitCode| serde_json::to_string(u).map_or(0, |s| s.len());
    let longest = Paper {
        answers: spec
            .questions
            .iter()
            .map(|q| {
                let widest = q.candidates.iter().max_by_key(|u| json_len(u));
                let answer = widest.map_or_else(Vec::new, |u| vec![u.clone(); q.candidates.len()]);
                (q.code.clone(), answer)
            })
            .collect(),
    };
    let bound = serde_json::to_string(&longest).map_err(StoreError::corrupt)?.len();
    Ok(bound.div_ceil(PAD_BLOCK).max(1) * PAD_BLOCK)
}

/// The paper as its JSON, padded with spaces to the ballot's one length.
fn padded_paper(spec: &BallotSpec, paper: &Paper) -> Result<Vec<u8>, StoreError> {
    let mut bytes = serde_json::to_vec(paper).map_err(StoreError::corrupt)?;
    let len = padded_len(spec)?;
    if bytes.len() > len {
        // Cannot happen for a paper `check_shape` accepted; refused rather than stored
        // with a length that would stand out.
        return Err(thidua_core::Error::InvalidBallot(format!(
            "phiếu dài {} byte, quá {len} byte của phiếu bầu này; phiếu không được nhận",
            bytes.len()
        ))
        .into());
    }
    bytes.resize(len, b' ');
    Ok(bytes)
}

fn unhex(text: &str) -> Result<Vec<u8>, StoreError> {
    let bad = || StoreError::corrupt("lá phiếu đã niêm phong không phải chuỗi thập lục phân");
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return Err(bad());
    }
    (0..text.len() / 2)
        .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).map_err(|_| bad()))
        .collect()
}

/// SHA-256 of `parts`, each prefixed by its length (so no two lists of parts collide).
fn hash(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for part in parts {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    h.finalize().into()
}

/// The count as the seal covers it: what the record states (papers received; per
/// question the valid and invalid papers, each candidate's votes and points, the result),
/// in a fixed text form independent of how `TallyRecord` is serialised.
fn tally_digest(record: &TallyRecord) -> String {
    let units = |us: &[UnitCode]| us.iter().map(UnitCode::as_str).collect::<Vec<_>>().join(",");
    let mut out = format!("received {}\n", record.received);
    for q in &record.questions {
        let outcome = match &q.outcome {
            Outcome::Elected { units: u } => format!("elected {}", units(u)),
            Outcome::Ranked { order } => format!("ranked {}", units(order)),
            Outcome::Tie { tied, settled } => format!("tie {} settled {}", units(tied), units(settled)),
            Outcome::NotReached => "not-reached".into(),
            Outcome::NoValidPapers => "no-valid-papers".into(),
        };
        out.push_str(&format!(
            "question {} valid {} invalid {} {outcome}\n",
            q.code, q.valid, q.invalid
        ));
        for c in &q.candidates {
            out.push_str(&format!(" {} votes {} borda {}\n", c.unit, c.votes, c.borda));
        }
    }
    out
}

/// What the seal is computed over, as stored.
struct SealInput<'a> {
    ballot_id: i64,
    spec_json: &'a str,
    closed_at: &'a str,
    /// The units that voted, in code order.
    voters: &'a [String],
    /// The counted papers' JSON, in position order.
    papers: &'a [String],
    record: &'a TallyRecord,
}

/// The head of the seal's chain.
fn chain_head(input: &SealInput<'_>) -> [u8; 32] {
    let id = input.ballot_id.to_string();
    let voted = input.voters.len().to_string();
    let voters = input.voters.join("\n");
    let mut h = hash(&[
        CHAIN_DOMAIN,
        id.as_bytes(),
        input.spec_json.as_bytes(),
        input.closed_at.as_bytes(),
        voted.as_bytes(),
        voters.as_bytes(),
    ]);
    for (position, paper) in input.papers.iter().enumerate() {
        h = hash(&[&h, position.to_string().as_bytes(), paper.as_bytes()]);
    }
    hash(&[&h, tally_digest(input.record).as_bytes()])
}

/// The head's first 64 bits for people: "3F9A-1B2C-5D6E-7F80".
fn short_head(head: &[u8; 32]) -> String {
    let hex = hex(&head[..8]).to_uppercase();
    (0..4).map(|i| &hex[4 * i..4 * i + 4]).collect::<Vec<_>>().join("-")
}

impl Store {
    fn seal_mac(&self, ballot_id: i64, head: &[u8; 32]) -> String {
        self.key()
            .mac_hex("ballot-seal", &[ballot_id.to_string().as_bytes(), head])
    }

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
            self.key(),
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

    async fn stored_ballot(&self, id: i64) -> Result<StoredBallot, StoreError> {
        let row = sqlx::query(concat!("SELECT ", ballot_columns!(), " FROM ballot WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| not_found(id))?;
        ballot_from_row(&row)
    }

    /// A ballot by id.
    pub async fn ballot(&self, id: i64) -> Result<Ballot, StoreError> {
        Ok(self.stored_ballot(id).await?.ballot)
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
        rows.iter().map(|r| Ok(ballot_from_row(r)?.ballot)).collect()
    }

    /// Casts `voter`'s paper: refused when the ballot is closed, the unit may not vote or
    /// has voted, or the paper answers a question the ballot does not ask or names a unit
    /// that is not a candidate — refused before anything is written. The voter's mark and
    /// the sealed paper are written in one transaction; an answer choosing too many or
    /// too few candidates is stored as cast and counted invalid.
    pub async fn cast_ballot(&self, ballot_id: i64, voter: &UnitCode, paper: Paper) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        // Locked so that no paper lands after closing has read the sealed ones.
        let ballot = lock_ballot(&mut tx, ballot_id, Lock::Share).await?.ballot;
        paper.check_shape(&ballot.spec)?;
        let voter_id = unit_id(&mut tx, voter).await?;
        let voted: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ballot_voter WHERE ballot_id = $1 AND unit_id = $2")
            .bind(ballot_id)
            .bind(voter_id)
            .fetch_one(&mut *tx)
            .await?;
        ballot::check_cast(&ballot.spec, ballot.state, voter, voted > 0)?;
        let sealed = hex(&self
            .key()
            .seal(&paper_label(ballot_id), &padded_paper(&ballot.spec, &paper)?)?);
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
        sqlx::query("INSERT INTO ballot_sealed_paper (ballot_id, id, sealed) VALUES ($1, $2, $3)")
            .bind(ballot_id)
            .bind(random_id()?)
            .bind(sealed)
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

    /// Closes a ballot (`may_run`: the caller is its cluster's chair or the upper level),
    /// in one transaction: opens its sealed papers, writes them in the clear in a random
    /// order, deletes the sealed ones and writes the seal. Refused, with nothing changed,
    /// when the sealed papers do not open or are not one per unit that voted — the
    /// database was changed behind the program's back, and the vote must be held again.
    pub async fn close_ballot(&self, actor: &Actor, ballot_id: i64, may_run: bool) -> Result<Ballot, StoreError> {
        let at = now();
        let mut tx = self.begin_write().await?;
        let stored = lock_ballot(&mut tx, ballot_id, Lock::Update).await?;
        let ballot = &stored.ballot;
        let closed = ballot::check_close(ballot.state, may_run)?;
        let counted_before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ballot_counted_paper WHERE ballot_id = $1")
            .bind(ballot_id)
            .fetch_one(&mut *tx)
            .await?;
        if ballot.seal.is_some() || counted_before > 0 {
            return Err(StoreError::corrupt(format!(
                "cuộc bỏ phiếu số {ballot_id} đã được kiểm phiếu và niêm phong nhưng trạng thái bị sửa thành đang mở"
            )));
        }
        let sealed: Vec<String> =
            sqlx::query_scalar("SELECT sealed FROM ballot_sealed_paper WHERE ballot_id = $1 ORDER BY id")
                .bind(ballot_id)
                .fetch_all(&mut *tx)
                .await?;
        // Papers an older version stored in the clear, for a ballot open across the upgrade.
        let legacy: Vec<String> = sqlx::query_scalar("SELECT answers FROM ballot_paper WHERE ballot_id = $1")
            .bind(ballot_id)
            .fetch_all(&mut *tx)
            .await?;
        let voters = voter_codes(&mut tx, ballot_id).await?;
        let label = paper_label(ballot_id);
        let mut papers = Vec::with_capacity(sealed.len() + legacy.len());
        for s in &sealed {
            let plain = self.key().open(&label, &unhex(s)?).map_err(|_| {
                StoreError::corrupt(format!(
                    "một lá phiếu đã niêm phong của cuộc bỏ phiếu số {ballot_id} không mở được bằng khóa của bản cài đặt (bị sửa, hoặc chép từ cuộc bỏ phiếu khác)"
                ))
            })?;
            let paper: Paper = serde_json::from_slice(&plain).map_err(StoreError::corrupt)?;
            papers.push(paper);
        }
        for a in &legacy {
            papers.push(serde_json::from_str(a).map_err(StoreError::corrupt)?);
        }
        if papers.len() != voters.len() {
            return Err(StoreError::corrupt(format!(
                "cuộc bỏ phiếu số {ballot_id} có {} lá phiếu nhưng {} đơn vị đã bỏ phiếu; cơ sở dữ liệu đã bị sửa ngoài chương trình, không kết thúc được",
                papers.len(),
                voters.len()
            )));
        }
        // The counted order: by fresh random keys, unrelated to arrival or to the sealed ids.
        let mut shuffled: Vec<(String, Paper)> = papers
            .into_iter()
            .map(|p| Ok::<_, StoreError>((random_id()?, p)))
            .collect::<Result<_, _>>()?;
        shuffled.sort_by(|a, b| a.0.cmp(&b.0));
        let papers: Vec<Paper> = shuffled.into_iter().map(|(_, p)| p).collect();
        let texts: Vec<String> = papers
            .iter()
            .map(|p| serde_json::to_string(p).map_err(StoreError::corrupt))
            .collect::<Result<_, _>>()?;
        let record = ballot::tally(&ballot.spec, &papers);
        let head = chain_head(&SealInput {
            ballot_id,
            spec_json: &stored.spec_json,
            closed_at: &at,
            voters: &voters,
            papers: &texts,
            record: &record,
        });
        let short = short_head(&head);
        sqlx::query(
            "UPDATE ballot SET state = $1, closed_at = $2, closed_by = $3, seal_head = $4, seal_mac = $5 WHERE id = $6",
        )
        .bind(closed.as_str())
        .bind(&at)
        .bind(&actor.login)
        .bind(&short)
        .bind(self.seal_mac(ballot_id, &head))
        .bind(ballot_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM ballot_sealed_paper WHERE ballot_id = $1")
            .bind(ballot_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM ballot_paper WHERE ballot_id = $1")
            .bind(ballot_id)
            .execute(&mut *tx)
            .await?;
        for (position, answers) in texts.iter().enumerate() {
            sqlx::query("INSERT INTO ballot_counted_paper (ballot_id, position, answers) VALUES ($1, $2, $3)")
                .bind(ballot_id)
                .bind(i64::try_from(position).map_err(StoreError::corrupt)?)
                .bind(answers)
                .execute(&mut *tx)
                .await?;
        }
        let reason = format!("mã niêm phong {short}");
        audit(
            &mut tx,
            self.key(),
            actor,
            &at,
            AuditEntry {
                action: "ballot-close",
                subject: format!("ballot:{ballot_id}"),
                unit: None,
                old: Some(ballot.state.as_str().into()),
                new: Some(closed.as_str().into()),
                reason: Some(&reason),
            },
        )
        .await?;
        tx.commit().await?;
        self.ballot(ballot_id).await
    }

    /// The counted papers of a closed ballot, in their counted (random) order. An open
    /// ballot's papers are sealed and are not read.
    pub async fn ballot_papers(&self, ballot_id: i64) -> Result<Vec<Paper>, StoreError> {
        let ballot = self.ballot(ballot_id).await?;
        if ballot.state != BallotState::Closed {
            return Err(
                thidua_core::Error::InvalidTransition("phiếu được mở và kiểm khi đã kết thúc bỏ phiếu".into()).into(),
            );
        }
        let (_, papers) = self.counted_papers(ballot_id).await?;
        papers
            .iter()
            .map(|a| serde_json::from_str(a).map_err(StoreError::corrupt))
            .collect()
    }

    /// The counted papers' positions and JSON, in position order.
    async fn counted_papers(&self, ballot_id: i64) -> Result<(Vec<i64>, Vec<String>), StoreError> {
        let rows =
            sqlx::query("SELECT position, answers FROM ballot_counted_paper WHERE ballot_id = $1 ORDER BY position")
                .bind(ballot_id)
                .fetch_all(self.pool())
                .await?;
        let mut positions = Vec::with_capacity(rows.len());
        let mut answers = Vec::with_capacity(rows.len());
        for row in &rows {
            positions.push(row.try_get::<i64, _>("position")?);
            answers.push(row.try_get::<String, _>("answers")?);
        }
        Ok((positions, answers))
    }

    /// Kiểm tra niêm phong — recomputes a closed ballot's seal from what is stored (the
    /// spec, who voted, the counted papers, the count they give) and checks it against
    /// the seal written at closing and its MAC under the installation's key. Any later
    /// change — a paper updated, added or deleted, the spec or the closing time edited, a
    /// unit's mark added or removed, the seal rewritten — is reported. Refused for an open
    /// ballot, which has no seal yet.
    pub async fn verify_ballot(&self, ballot_id: i64) -> Result<BallotSeal, StoreError> {
        let stored = self.stored_ballot(ballot_id).await?;
        let ballot = &stored.ballot;
        let (positions, texts) = self.counted_papers(ballot_id).await?;
        let mut problems = Vec::new();
        if ballot.state == BallotState::Open {
            if ballot.seal.is_none() && texts.is_empty() {
                return Err(thidua_core::Error::InvalidTransition(format!(
                    "cuộc bỏ phiếu số {ballot_id} đang mở; phiếu được niêm phong khi kết thúc bỏ phiếu"
                ))
                .into());
            }
            problems.push("cuộc bỏ phiếu đã được kiểm phiếu nhưng trạng thái bị sửa thành đang mở".to_owned());
        }
        let voters: Vec<String> = sqlx::query_scalar(VOTERS)
            .bind(ballot_id)
            .fetch_all(self.pool())
            .await?;
        if texts.len() != voters.len() {
            problems.push(format!(
                "có {} lá phiếu nhưng {} đơn vị đã bỏ phiếu",
                texts.len(),
                voters.len()
            ));
        }
        if positions.iter().zip(0..).any(|(p, i)| *p != i) {
            problems.push("thứ tự các lá phiếu đã kiểm không liền nhau (có lá phiếu bị xóa hoặc thêm)".to_owned());
        }
        let mut papers = Vec::with_capacity(texts.len());
        for (i, text) in texts.iter().enumerate() {
            match serde_json::from_str::<Paper>(text) {
                Ok(p) => papers.push(p),
                Err(_) => problems.push(format!("lá phiếu thứ {} không đọc được", i + 1)),
            }
        }
        let record = (papers.len() == texts.len()).then(|| ballot::tally(&ballot.spec, &papers));
        match (&ballot.seal, &stored.seal_mac, &ballot.closed_at, &record) {
            (None, _, _, _) | (_, None, _, _) => problems.push(
                "không có niêm phong (cuộc bỏ phiếu kết thúc trước khi có niêm phong, hoặc niêm phong đã bị xóa)"
                    .into(),
            ),
            (_, _, None, _) => problems.push("không có ngày kết thúc bỏ phiếu".into()),
            (_, _, _, None) => problems.push("không tính lại được mã niêm phong".into()),
            (Some(head), Some(mac), Some(closed_at), Some(record)) => {
                let recomputed = chain_head(&SealInput {
                    ballot_id,
                    spec_json: &stored.spec_json,
                    closed_at,
                    voters: &voters,
                    papers: &texts,
                    record,
                });
                let short = short_head(&recomputed);
                if short != *head {
                    problems.push(format!(
                        "các lá phiếu, nội dung phiếu bầu hoặc danh sách đơn vị đã bỏ phiếu đã bị thay đổi sau khi niêm phong (mã tính lại {short}, mã niêm phong {head})"
                    ));
                } else if self.seal_mac(ballot_id, &recomputed) != *mac {
                    problems
                        .push("niêm phong không khớp với khóa bí mật của bản cài đặt (niêm phong đã bị sửa)".into());
                }
            }
        }
        let intact = problems.is_empty();
        Ok(BallotSeal {
            ballot_id,
            head: ballot.seal.clone(),
            problems,
            record: if intact { record } else { None },
        })
    }

    /// Kiểm phiếu — counts a closed ballot whose seal holds. An open ballot is not
    /// counted (so no partial result can sway the voters still to vote), and neither is
    /// one whose papers were changed after closing.
    pub async fn tally_ballot(&self, ballot_id: i64) -> Result<TallyRecord, StoreError> {
        let ballot = self.ballot(ballot_id).await?;
        if ballot.state != BallotState::Closed {
            return Err(
                thidua_core::Error::InvalidTransition("chỉ kiểm phiếu sau khi đã kết thúc bỏ phiếu".into()).into(),
            );
        }
        let seal = self.verify_ballot(ballot_id).await?;
        match seal.record {
            Some(record) if seal.problems.is_empty() => Ok(record),
            _ => Err(StoreError::Conflict(format!(
                "cuộc bỏ phiếu số {ballot_id}: niêm phong không còn nguyên vẹn ({}); kết quả kiểm phiếu không được công nhận",
                seal.problems.join("; ")
            ))),
        }
    }
}

/// How [`lock_ballot`] holds the ballot's row on PostgreSQL until the transaction ends.
#[derive(Clone, Copy)]
enum Lock {
    /// `FOR SHARE`: casts go on side by side.
    Share,
    /// `FOR UPDATE`: closing waits for the casts under way, and they for it.
    Update,
}

/// The ballot's row, locked on PostgreSQL as `lock` says; SQLite's writers already hold
/// the database's write lock (`BEGIN IMMEDIATE`).
async fn lock_ballot(tx: &mut Transaction<'static, Any>, id: i64, lock: Lock) -> Result<StoredBallot, StoreError> {
    let sql = match (tx.backend_name() == "PostgreSQL", lock) {
        (false, _) => concat!("SELECT ", ballot_columns!(), " FROM ballot WHERE id = $1"),
        (true, Lock::Share) => concat!("SELECT ", ballot_columns!(), " FROM ballot WHERE id = $1 FOR SHARE"),
        (true, Lock::Update) => concat!("SELECT ", ballot_columns!(), " FROM ballot WHERE id = $1 FOR UPDATE"),
    };
    let row = sqlx::query(sql).bind(id).fetch_optional(&mut **tx).await?;
    ballot_from_row(&row.ok_or_else(|| not_found(id))?)
}

/// The codes of the units that voted, in code order.
const VOTERS: &str =
    "SELECT u.code FROM ballot_voter v JOIN unit u ON u.id = v.unit_id WHERE v.ballot_id = $1 ORDER BY u.code";

async fn voter_codes(tx: &mut Transaction<'static, Any>, ballot_id: i64) -> Result<Vec<String>, StoreError> {
    Ok(sqlx::query_scalar(VOTERS).bind(ballot_id).fetch_all(&mut **tx).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_short_head_is_sixteen_hex_digits_in_four_groups() {
        let head = [0x3f, 0x9a, 0x1b, 0x2c, 0x5d, 0x6e, 0x7f, 0x80, 0xff];
        let mut full = [0u8; 32];
        full[..9].copy_from_slice(&head);
        assert_eq!(short_head(&full), "3F9A-1B2C-5D6E-7F80");
    }

    #[test]
    fn hex_read_back_is_the_bytes_written() {
        let bytes = [0u8, 1, 0xab, 0xff];
        assert_eq!(unhex(&hex(&bytes)).ok(), Some(bytes.to_vec()));
        assert!(unhex("abc").is_err() && unhex("zz").is_err());
    }
}
