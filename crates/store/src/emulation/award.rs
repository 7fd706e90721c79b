//! Khen thưởng in the database: the award catalogue, proposals moved through
//! `thidua_core::emulation::award::next_proposal_state` (each move in the audit trail),
//! decisions with their recipients, revocation, and the award history of a unit or a
//! person, found without diacritics.

use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use thidua_core::emulation::award::{
    AwardCatalogue, AwardDecision, AwardForm, AwardFormCode, AwardKind, AwardRecord, Proposal, ProposalAction,
    ProposalRights, ProposalSource, ProposalState, Recipient, RecipientKinds, Revocation, next_proposal_state,
};
use thidua_core::emulation::ballot::Outcome;
use thidua_core::text::{matches_search, search_key};
use thidua_core::{ClusterCode, UnitCode};

use super::{Actor, AuditEntry, audit, now, unit_id, year_of};
use crate::error::StoreError;
use crate::store::{Store, parse_stored};
use thidua_core::emulation::award::parse_awards_toml;

/// Đề nghị khen thưởng — a proposal as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredProposal {
    /// Its id.
    pub id: i64,
    /// What is proposed.
    pub proposal: Proposal,
    /// Where it stands.
    pub state: ProposalState,
    /// Incremented by every move; a move must name the version it saw.
    pub version: i64,
    /// Why it was refused, when it was.
    pub reason: Option<String>,
    /// The decision that granted it.
    pub decision_id: Option<i64>,
    /// When proposed, RFC 3339.
    pub created_at: String,
    /// By whom.
    pub created_by: String,
    /// When last moved.
    pub updated_at: String,
    /// By whom.
    pub updated_by: String,
}

/// Which proposals to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProposalFilter {
    /// Of this year.
    pub year: Option<i32>,
    /// From this cluster.
    pub cluster: Option<ClusterCode>,
    /// In this state.
    pub state: Option<ProposalState>,
}

/// A decision to record, with the proposals it grants.
#[derive(Debug, Clone)]
pub struct DecisionInput {
    /// The decision (its recipients include every granted proposal's recipient).
    pub decision: AwardDecision,
    /// The proposals it grants (each reviewed or escalated, same form and year).
    pub proposals: Vec<i64>,
}

/// Quyết định khen thưởng — a decision as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDecision {
    /// Its id.
    pub id: i64,
    /// The decision, with its revocation once revoked.
    pub decision: AwardDecision,
    /// The proposals it granted.
    pub proposals: Vec<i64>,
    /// When recorded, RFC 3339.
    pub created_at: String,
    /// By whom.
    pub created_by: String,
}

fn kind_str(kind: AwardKind) -> &'static str {
    match kind {
        AwardKind::CoThiDua => "co-thi-dua",
        AwardKind::BangKhen => "bang-khen",
        AwardKind::GiayKhen => "giay-khen",
        AwardKind::DanhHieu => "danh-hieu",
    }
}

fn parse_kind(raw: &str) -> Result<AwardKind, StoreError> {
    Ok(match raw {
        "co-thi-dua" => AwardKind::CoThiDua,
        "bang-khen" => AwardKind::BangKhen,
        "giay-khen" => AwardKind::GiayKhen,
        "danh-hieu" => AwardKind::DanhHieu,
        other => return Err(StoreError::corrupt(format!("loại khen thưởng «{other}»"))),
    })
}

fn recipients_str(r: RecipientKinds) -> &'static str {
    match r {
        RecipientKinds::Collective => "collective",
        RecipientKinds::Individual => "individual",
        RecipientKinds::Both => "both",
    }
}

fn parse_recipients(raw: &str) -> Result<RecipientKinds, StoreError> {
    Ok(match raw {
        "collective" => RecipientKinds::Collective,
        "individual" => RecipientKinds::Individual,
        "both" => RecipientKinds::Both,
        other => return Err(StoreError::corrupt(format!("đối tượng khen thưởng «{other}»"))),
    })
}

/// The recipient kept in `recipient_kind`, `unit`, `person_name`, `person_title` columns.
fn recipient_from_row(row: &AnyRow) -> Result<Recipient, StoreError> {
    let unit = parse_stored(UnitCode::parse(&row.try_get::<String, _>("unit")?))?;
    match row.try_get::<String, _>("recipient_kind")?.as_str() {
        "collective" => Ok(Recipient::Collective { unit }),
        "individual" => Ok(Recipient::Individual {
            name: row.try_get::<Option<String>, _>("person_name")?.unwrap_or_default(),
            title: row.try_get::<Option<String>, _>("person_title")?.unwrap_or_default(),
            unit,
        }),
        other => Err(StoreError::corrupt(format!("loại người được khen «{other}»"))),
    }
}

fn recipient_columns(r: &Recipient) -> (&'static str, Option<String>, Option<String>) {
    match r {
        Recipient::Collective { .. } => ("collective", None, None),
        Recipient::Individual { name, title, .. } => ("individual", Some(name.clone()), Some(title.clone())),
    }
}

macro_rules! proposal_columns {
    () => {
        "p.id, p.year, p.award, p.recipient_kind, u.code AS unit, p.person_name, p.person_title,
     p.cluster, p.achievements, p.source, p.ballot_id, p.question, p.state, p.version, p.reason, p.decision_id,
     p.created_at, p.created_by, p.updated_at, p.updated_by"
    };
}

fn proposal_from_row(row: &AnyRow) -> Result<StoredProposal, StoreError> {
    let source = match row.try_get::<String, _>("source")?.as_str() {
        "ballot" => ProposalSource::Ballot {
            ballot: row
                .try_get::<Option<i64>, _>("ballot_id")?
                .ok_or_else(|| StoreError::corrupt("đề nghị từ bỏ phiếu thiếu mã cuộc bỏ phiếu"))?,
            question: row.try_get::<Option<String>, _>("question")?.unwrap_or_default(),
        },
        "cluster" => ProposalSource::Cluster,
        "upper" => ProposalSource::Upper,
        other => return Err(StoreError::corrupt(format!("nguồn đề nghị «{other}»"))),
    };
    Ok(StoredProposal {
        id: row.try_get("id")?,
        proposal: Proposal {
            year: year_of(row.try_get("year")?)?,
            award: parse_stored(AwardFormCode::parse(&row.try_get::<String, _>("award")?))?,
            recipient: recipient_from_row(row)?,
            cluster: row
                .try_get::<Option<String>, _>("cluster")?
                .map(|c| parse_stored(ClusterCode::parse(&c)))
                .transpose()?,
            achievements: row.try_get("achievements")?,
            source,
        },
        state: parse_stored(ProposalState::parse(&row.try_get::<String, _>("state")?))?,
        version: row.try_get("version")?,
        reason: row.try_get("reason")?,
        decision_id: row.try_get("decision_id")?,
        created_at: row.try_get("created_at")?,
        created_by: row.try_get("created_by")?,
        updated_at: row.try_get("updated_at")?,
        updated_by: row.try_get("updated_by")?,
    })
}

async fn load_proposal(tx: &mut Transaction<'static, Any>, id: i64) -> Result<StoredProposal, StoreError> {
    let row = sqlx::query(concat!(
        "SELECT ",
        proposal_columns!(),
        " FROM award_proposal p JOIN unit u ON u.id = p.unit_id WHERE p.id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(|| StoreError::NotFound {
        what: "đề nghị khen thưởng",
        key: id.to_string(),
    })?;
    proposal_from_row(&row)
}

fn describe(r: &Recipient) -> String {
    match r {
        Recipient::Collective { unit } => unit.to_string(),
        Recipient::Individual { name, unit, .. } => format!("{name} ({unit})"),
    }
}

macro_rules! history_select {
    () => {
        "SELECT d.year, d.award, f.name AS award_name, d.level, d.number, d.signed_on, d.issuer,
     d.revoked_number, d.revoked_on, d.revoked_reason, r.recipient_kind, u.code AS unit, r.person_name, r.person_title
     FROM award_recipient r JOIN award_decision d ON d.id = r.decision_id JOIN award_form f ON f.code = d.award
     JOIN unit u ON u.id = r.unit_id"
    };
}
macro_rules! history_order {
    () => {
        "ORDER BY d.year DESC, d.signed_on DESC, d.id, r.position"
    };
}

fn proposal_conflict(found: i64) -> StoreError {
    StoreError::Conflict(format!(
        "đề nghị vừa được người khác xử lý (phiên bản {found}); hãy tải lại trang để xem trạng thái mới"
    ))
}

impl Store {
    /// Imports the award catalogue from TOML (`data/demo/awards.toml`): each form is added
    /// or updated by code; forms not in the file stay (decisions may refer to them).
    pub async fn import_awards_toml(&self, text: &str) -> Result<AwardCatalogue, StoreError> {
        let catalogue = parse_awards_toml(text)?;
        self.save_award_catalogue(&catalogue).await?;
        self.award_catalogue().await
    }

    /// Adds or updates every form of `catalogue`, in its order.
    pub async fn save_award_catalogue(&self, catalogue: &AwardCatalogue) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let offset: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM award_form")
            .fetch_one(&mut *tx)
            .await?;
        for (i, form) in catalogue.forms().iter().enumerate() {
            let position = offset + i64::try_from(i).map_err(StoreError::corrupt)?;
            sqlx::query(
                "INSERT INTO award_form (code, name, kind, level, issuer, recipients, position) VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name, kind = excluded.kind, level = excluded.level,
                     issuer = excluded.issuer, recipients = excluded.recipients, position = excluded.position",
            )
            .bind(form.code.as_str())
            .bind(&form.name)
            .bind(kind_str(form.kind))
            .bind(&form.level)
            .bind(&form.issuer)
            .bind(recipients_str(form.recipients))
            .bind(position)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The award catalogue, in order (highest first).
    pub async fn award_catalogue(&self) -> Result<AwardCatalogue, StoreError> {
        let rows =
            sqlx::query("SELECT code, name, kind, level, issuer, recipients FROM award_form ORDER BY position, code")
                .fetch_all(self.pool())
                .await?;
        let forms = rows
            .iter()
            .map(|r| {
                Ok(AwardForm {
                    code: parse_stored(AwardFormCode::parse(&r.try_get::<String, _>("code")?))?,
                    name: r.try_get("name")?,
                    kind: parse_kind(&r.try_get::<String, _>("kind")?)?,
                    level: r.try_get("level")?,
                    issuer: r.try_get("issuer")?,
                    recipients: parse_recipients(&r.try_get::<String, _>("recipients")?)?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        AwardCatalogue::new(forms).map_err(StoreError::corrupt)
    }

    /// Records a proposal (state `proposed`). Refused when the same form is already
    /// proposed for the same recipient and year and not refused.
    pub async fn propose_award(&self, actor: &Actor, proposal: Proposal) -> Result<StoredProposal, StoreError> {
        let proposal = proposal.validated(&self.award_catalogue().await?)?;
        let mut tx = self.begin_write().await?;
        let stored = insert_proposal(&mut tx, self.key(), actor, proposal).await?;
        tx.commit().await?;
        Ok(stored)
    }

    /// Proposes `award` for every unit a closed ballot's question chose (leading unit,
    /// Bằng khen). Refused while the question has no result (a tie or nobody reaching the
    /// threshold: a re-vote is needed first), for a ranking question, and once the question
    /// has proposed (a question proposes once; only when every proposal it made was
    /// refused may it propose again). On PostgreSQL the ballot's row is locked first, so
    /// two chairs' clicks at the same moment make one proposal (SQLite's writers already
    /// hold the database's write lock).
    pub async fn propose_from_ballot(
        &self,
        actor: &Actor,
        ballot_id: i64,
        question: &str,
        award: &AwardFormCode,
        achievements: &str,
    ) -> Result<Vec<StoredProposal>, StoreError> {
        let ballot = self.ballot(ballot_id).await?;
        let record = self.tally_ballot(ballot_id).await?;
        let q = record
            .questions
            .iter()
            .find(|q| q.code == question)
            .ok_or_else(|| StoreError::NotFound {
                what: "câu hỏi",
                key: format!("{question} của cuộc bỏ phiếu {ballot_id}"),
            })?;
        let units = match &q.outcome {
            Outcome::Elected { units } => units.clone(),
            Outcome::Ranked { .. } => {
                return Err(thidua_core::Error::InvalidBallot(format!(
                    "câu {question} là câu xếp hạng, không dùng để đề nghị khen thưởng"
                ))
                .into());
            }
            other => {
                return Err(thidua_core::Error::InvalidBallot(format!(
                    "câu {question} chưa có kết quả: {}",
                    other.label_vi()
                ))
                .into());
            }
        };
        let catalogue = self.award_catalogue().await?;
        let mut tx = self.begin_write().await?;
        if tx.backend_name() == "PostgreSQL" {
            sqlx::query("SELECT id FROM ballot WHERE id = $1 FOR UPDATE")
                .bind(ballot_id)
                .execute(&mut *tx)
                .await?;
        }
        let proposed: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM award_proposal WHERE source = 'ballot' AND ballot_id = $1 AND question = $2
                 AND state <> 'rejected'",
        )
        .bind(ballot_id)
        .bind(question)
        .fetch_one(&mut *tx)
        .await?;
        if proposed > 0 {
            return Err(StoreError::Conflict(format!(
                "câu {question} («{}») của «{}» đã được đề nghị khen thưởng; mỗi câu hỏi chỉ đề nghị khen thưởng một lần",
                q.text, ballot.spec.title
            )));
        }
        let mut out = Vec::with_capacity(units.len());
        for unit in units {
            let proposal = Proposal {
                year: ballot.spec.year,
                award: award.clone(),
                recipient: Recipient::Collective { unit },
                cluster: Some(ballot.spec.cluster.clone()),
                achievements: achievements.to_owned(),
                source: ProposalSource::Ballot {
                    ballot: ballot_id,
                    question: question.to_owned(),
                },
            }
            .validated(&catalogue)?;
            out.push(insert_proposal(&mut tx, self.key(), actor, proposal).await?);
        }
        tx.commit().await?;
        Ok(out)
    }

    /// A proposal by id.
    pub async fn proposal(&self, id: i64) -> Result<StoredProposal, StoreError> {
        let mut tx = self.pool().begin().await?;
        let p = load_proposal(&mut tx, id).await?;
        tx.commit().await?;
        Ok(p)
    }

    /// Proposals matching `filter`, newest year first, then in the order proposed.
    pub async fn proposals(&self, filter: &ProposalFilter) -> Result<Vec<StoredProposal>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            proposal_columns!(),
            " FROM award_proposal p JOIN unit u ON u.id = p.unit_id
             WHERE ($1 IS NULL OR p.year = $1) AND ($2 IS NULL OR p.cluster = $2) AND ($3 IS NULL OR p.state = $3)
             ORDER BY p.year DESC, p.id"
        ))
        .bind(filter.year.map(i64::from))
        .bind(filter.cluster.as_ref().map(|c| c.to_string()))
        .bind(filter.state.map(|s| s.as_str().to_owned()))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(proposal_from_row).collect()
    }

    /// Reviews, escalates or refuses a proposal (deciding goes through
    /// [`Store::record_decision`], which needs the decision itself). `version` is the one
    /// the actor saw.
    pub async fn move_proposal(
        &self,
        actor: &Actor,
        id: i64,
        action: ProposalAction,
        rights: ProposalRights,
        version: i64,
        reason: Option<&str>,
    ) -> Result<StoredProposal, StoreError> {
        let mut tx = self.begin_write().await?;
        let current = load_proposal(&mut tx, id).await?;
        let next = next_proposal_state(current.state, action, rights, reason)?;
        if action == ProposalAction::Decide {
            return Err(thidua_core::Error::InvalidTransition(
                "hãy ghi quyết định khen thưởng (số, ngày, cơ quan ban hành) để khen thưởng đề nghị này".into(),
            )
            .into());
        }
        if version != current.version {
            return Err(proposal_conflict(current.version));
        }
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        let at = now();
        set_proposal_state(&mut tx, self.key(), actor, &at, &current, next, reason, None).await?;
        let moved = load_proposal(&mut tx, id).await?;
        tx.commit().await?;
        Ok(moved)
    }

    /// Records a decision and marks the proposals it grants as decided, in one
    /// transaction. Every proposal must be for the decision's form and year, have its
    /// recipient among the decision's, and be decidable by `rights`. A number already
    /// used by the same issuer is refused.
    pub async fn record_decision(
        &self,
        actor: &Actor,
        input: DecisionInput,
        rights: ProposalRights,
    ) -> Result<StoredDecision, StoreError> {
        let decision = input.decision.validated(&self.award_catalogue().await?)?;
        let at = now();
        let mut tx = self.begin_write().await?;
        let inserted = sqlx::query_scalar::<_, i64>(
            "INSERT INTO award_decision (number, signed_on, issuer, level, award, year, created_at, created_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(&decision.number)
        .bind(decision.signed_on.to_string())
        .bind(&decision.issuer)
        .bind(&decision.level)
        .bind(decision.award.as_str())
        .bind(i64::from(decision.year))
        .bind(&at)
        .bind(&actor.login)
        .fetch_one(&mut *tx)
        .await;
        let decision_id = match inserted {
            Ok(id) => id,
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                return Err(StoreError::Conflict(format!(
                    "{} đã có quyết định số {}",
                    decision.issuer, decision.number
                )));
            }
            Err(e) => return Err(e.into()),
        };
        let mut granted: Vec<(i64, Recipient)> = Vec::new();
        for &pid in &input.proposals {
            let p = load_proposal(&mut tx, pid).await?;
            let next = next_proposal_state(p.state, ProposalAction::Decide, rights, None)?;
            if p.proposal.award != decision.award || p.proposal.year != decision.year {
                return Err(thidua_core::Error::InvalidAward(format!(
                    "đề nghị số {pid} ({} năm {}) không khớp quyết định ({} năm {})",
                    p.proposal.award, p.proposal.year, decision.award, decision.year
                ))
                .into());
            }
            if !decision.recipients.contains(&p.proposal.recipient) {
                return Err(thidua_core::Error::InvalidAward(format!(
                    "quyết định {} không có tên {} của đề nghị số {pid}",
                    decision.number,
                    describe(&p.proposal.recipient)
                ))
                .into());
            }
            set_proposal_state(&mut tx, self.key(), actor, &at, &p, next, None, Some(decision_id)).await?;
            granted.push((pid, p.proposal.recipient.clone()));
        }
        for (position, r) in decision.recipients.iter().enumerate() {
            let uid = unit_id(&mut tx, r.unit()).await?;
            let unit_name: String = sqlx::query_scalar("SELECT name FROM unit WHERE id = $1")
                .bind(uid)
                .fetch_one(&mut *tx)
                .await?;
            let key = search_key(r.person().unwrap_or(&unit_name));
            let (kind, name, title) = recipient_columns(r);
            let proposal_id = granted.iter().find(|(_, g)| g == r).map(|(id, _)| *id);
            sqlx::query(
                "INSERT INTO award_recipient (decision_id, position, recipient_kind, unit_id, person_name, person_title, search_key, proposal_id)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(decision_id)
            .bind(i64::try_from(position).map_err(StoreError::corrupt)?)
            .bind(kind)
            .bind(uid)
            .bind(name)
            .bind(title)
            .bind(key)
            .bind(proposal_id)
            .execute(&mut *tx)
            .await?;
        }
        audit(
            &mut tx,
            self.key(),
            actor,
            &at,
            AuditEntry {
                action: "decision",
                subject: format!("decision:{decision_id}"),
                unit: None,
                old: None,
                new: Some(format!(
                    "{} ngày {}: {} cho {} đối tượng",
                    decision.number,
                    decision.signed_on.format("%d/%m/%Y"),
                    decision.award,
                    decision.recipients.len()
                )),
                reason: None,
            },
        )
        .await?;
        tx.commit().await?;
        self.decision(decision_id).await
    }

    /// A decision by id, with its recipients and any revocation.
    pub async fn decision(&self, id: i64) -> Result<StoredDecision, StoreError> {
        let row = sqlx::query(
            "SELECT id, number, signed_on, issuer, level, award, year, created_at, created_by,
                 revoked_number, revoked_on, revoked_reason FROM award_decision WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or_else(|| StoreError::NotFound {
            what: "quyết định khen thưởng",
            key: id.to_string(),
        })?;
        let recipients = sqlx::query(
            "SELECT r.recipient_kind, u.code AS unit, r.person_name, r.person_title, r.proposal_id
             FROM award_recipient r JOIN unit u ON u.id = r.unit_id WHERE r.decision_id = $1 ORDER BY r.position",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        Ok(StoredDecision {
            id,
            decision: AwardDecision {
                number: row.try_get("number")?,
                signed_on: parse_day(&row.try_get::<String, _>("signed_on")?)?,
                issuer: row.try_get("issuer")?,
                level: row.try_get("level")?,
                award: parse_stored(AwardFormCode::parse(&row.try_get::<String, _>("award")?))?,
                year: year_of(row.try_get("year")?)?,
                recipients: recipients.iter().map(recipient_from_row).collect::<Result<_, _>>()?,
                revocation: revocation_from_row(&row)?,
            },
            proposals: recipients
                .iter()
                .filter_map(|r| r.try_get::<Option<i64>, _>("proposal_id").transpose())
                .collect::<Result<_, _>>()?,
            created_at: row.try_get("created_at")?,
            created_by: row.try_get("created_by")?,
        })
    }

    /// Decisions, of one year or all, newest first.
    pub async fn decisions(&self, year: Option<i32>) -> Result<Vec<StoredDecision>, StoreError> {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM award_decision WHERE ($1 IS NULL OR year = $1) ORDER BY signed_on DESC, id DESC",
        )
        .bind(year.map(i64::from))
        .fetch_all(self.pool())
        .await?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(self.decision(id).await?);
        }
        Ok(out)
    }

    /// Thu hồi — revokes a decision with the revoking decision's number, date and reason
    /// (`may_revoke`: the caller is the issuing level). The decision stays on record,
    /// marked revoked; histories show it so.
    pub async fn revoke_decision(
        &self,
        actor: &Actor,
        id: i64,
        revocation: Revocation,
        may_revoke: bool,
    ) -> Result<StoredDecision, StoreError> {
        if !may_revoke {
            return Err(
                thidua_core::Error::NotAllowed("bạn không có quyền thu hồi quyết định khen thưởng này".into()).into(),
            );
        }
        let current = self.decision(id).await?;
        let revocation = current.decision.check_revocation(revocation)?;
        let at = now();
        let mut tx = self.begin_write().await?;
        let updated = sqlx::query(
            "UPDATE award_decision SET revoked_number = $1, revoked_on = $2, revoked_reason = $3, revoked_at = $4, revoked_by = $5
             WHERE id = $6 AND revoked_on IS NULL",
        )
        .bind(&revocation.number)
        .bind(revocation.on.to_string())
        .bind(&revocation.reason)
        .bind(&at)
        .bind(&actor.login)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() != 1 {
            return Err(StoreError::Conflict(format!(
                "quyết định {} vừa bị thu hồi bởi người khác",
                current.decision.number
            )));
        }
        audit(
            &mut tx,
            self.key(),
            actor,
            &at,
            AuditEntry {
                action: "revoke",
                subject: format!("decision:{id}"),
                unit: None,
                old: Some(current.decision.number.clone()),
                new: Some(format!("thu hồi theo quyết định {}", revocation.number)),
                reason: Some(&revocation.reason),
            },
        )
        .await?;
        tx.commit().await?;
        self.decision(id).await
    }

    /// Everything a unit received — collectively or through its people — across years,
    /// newest first; revoked decisions included and marked.
    pub async fn award_history_of_unit(&self, unit: &UnitCode) -> Result<Vec<AwardRecord>, StoreError> {
        let rows = sqlx::query(concat!(history_select!(), " WHERE u.code = $1 ", history_order!()))
            .bind(unit.as_str())
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(record_from_row).collect()
    }

    /// The awards of the people whose names match every word of `query`, ignoring
    /// diacritics and case ("tran thi b" finds "Trần Thị B"), newest first.
    pub async fn award_history_of_person(&self, query: &str) -> Result<Vec<AwardRecord>, StoreError> {
        let key = search_key(query);
        let Some(longest) = key.split_whitespace().max_by_key(|w| w.len()) else {
            return Ok(Vec::new());
        };
        let pattern = format!("%{}%", longest.replace(['%', '_'], ""));
        let rows = sqlx::query(concat!(
            history_select!(),
            " WHERE r.recipient_kind = 'individual' AND r.search_key LIKE $1 ",
            history_order!()
        ))
        .bind(pattern)
        .fetch_all(self.pool())
        .await?;
        let mut out = Vec::new();
        for row in &rows {
            let record = record_from_row(row)?;
            if record
                .recipient
                .person()
                .is_some_and(|name| matches_search(name, query))
            {
                out.push(record);
            }
        }
        Ok(out)
    }
}

fn parse_day(text: &str) -> Result<chrono::NaiveDate, StoreError> {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(StoreError::corrupt)
}

fn revocation_from_row(row: &AnyRow) -> Result<Option<Revocation>, StoreError> {
    let Some(on) = row.try_get::<Option<String>, _>("revoked_on")? else {
        return Ok(None);
    };
    Ok(Some(Revocation {
        number: row.try_get::<Option<String>, _>("revoked_number")?.unwrap_or_default(),
        on: parse_day(&on)?,
        reason: row.try_get::<Option<String>, _>("revoked_reason")?.unwrap_or_default(),
    }))
}

fn record_from_row(row: &AnyRow) -> Result<AwardRecord, StoreError> {
    Ok(AwardRecord {
        year: year_of(row.try_get("year")?)?,
        award: parse_stored(AwardFormCode::parse(&row.try_get::<String, _>("award")?))?,
        award_name: row.try_get("award_name")?,
        level: row.try_get("level")?,
        number: row.try_get("number")?,
        signed_on: parse_day(&row.try_get::<String, _>("signed_on")?)?,
        issuer: row.try_get("issuer")?,
        recipient: recipient_from_row(row)?,
        revocation: revocation_from_row(row)?,
    })
}

async fn insert_proposal(
    tx: &mut Transaction<'static, Any>,
    key: &crate::ServerKey,
    actor: &Actor,
    proposal: Proposal,
) -> Result<StoredProposal, StoreError> {
    let uid = unit_id(tx, proposal.recipient.unit()).await?;
    let (kind, name, title) = recipient_columns(&proposal.recipient);
    let duplicate: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM award_proposal WHERE year = $1 AND award = $2 AND recipient_kind = $3 AND unit_id = $4
             AND COALESCE(person_name, '') = $5 AND state <> 'rejected'",
    )
    .bind(i64::from(proposal.year))
    .bind(proposal.award.as_str())
    .bind(kind)
    .bind(uid)
    .bind(name.clone().unwrap_or_default())
    .fetch_one(&mut **tx)
    .await?;
    if duplicate > 0 {
        return Err(StoreError::Conflict(format!(
            "{} đã được đề nghị {} năm {}",
            describe(&proposal.recipient),
            proposal.award,
            proposal.year
        )));
    }
    let (source, ballot, question) = match &proposal.source {
        ProposalSource::Ballot { ballot, question } => ("ballot", Some(*ballot), Some(question.clone())),
        ProposalSource::Cluster => ("cluster", None, None),
        ProposalSource::Upper => ("upper", None, None),
    };
    let at = now();
    let id = sqlx::query_scalar::<_, i64>(
        "INSERT INTO award_proposal (year, award, recipient_kind, unit_id, person_name, person_title, cluster, achievements,
             source, ballot_id, question, state, version, created_at, created_by, updated_at, updated_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 1, $13, $14, $13, $14) RETURNING id",
    )
    .bind(i64::from(proposal.year))
    .bind(proposal.award.as_str())
    .bind(kind)
    .bind(uid)
    .bind(name)
    .bind(title)
    .bind(proposal.cluster.as_ref().map(|c| c.to_string()))
    .bind(&proposal.achievements)
    .bind(source)
    .bind(ballot)
    .bind(question)
    .bind(ProposalState::Proposed.as_str())
    .bind(&at)
    .bind(&actor.login)
    .fetch_one(&mut **tx)
    .await?;
    audit(
        tx,
        key,
        actor,
        &at,
        AuditEntry {
            action: "proposal",
            subject: format!("proposal:{id}"),
            unit: Some(proposal.recipient.unit()),
            old: None,
            new: Some(ProposalState::Proposed.as_str().into()),
            reason: None,
        },
    )
    .await?;
    load_proposal(tx, id).await
}

#[expect(
    clippy::too_many_arguments,
    reason = "one proposal's change of state: where, under which key, by whom, when, from what, to what, why, by which decision"
)]
async fn set_proposal_state(
    tx: &mut Transaction<'static, Any>,
    key: &crate::ServerKey,
    actor: &Actor,
    at: &str,
    current: &StoredProposal,
    next: ProposalState,
    reason: Option<&str>,
    decision_id: Option<i64>,
) -> Result<(), StoreError> {
    let updated = sqlx::query(
        "UPDATE award_proposal SET state = $1, version = $2, reason = COALESCE($3, reason),
             decision_id = COALESCE($4, decision_id), updated_at = $5, updated_by = $6
         WHERE id = $7 AND version = $8",
    )
    .bind(next.as_str())
    .bind(current.version + 1)
    .bind(reason.map(str::to_owned))
    .bind(decision_id)
    .bind(at)
    .bind(&actor.login)
    .bind(current.id)
    .bind(current.version)
    .execute(&mut **tx)
    .await?;
    if updated.rows_affected() != 1 {
        return Err(proposal_conflict(current.version + 1));
    }
    audit(
        tx,
        key,
        actor,
        at,
        AuditEntry {
            action: "proposal",
            subject: format!("proposal:{}", current.id),
            unit: Some(current.proposal.recipient.unit()),
            old: Some(current.state.as_str().into()),
            new: Some(next.as_str().into()),
            reason,
        },
    )
    .await
}
