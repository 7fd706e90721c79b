//! Bảng chấm điểm in the database: one sheet per (unit, criteria version, step), its
//! marks in hundredths of a point, the evidence files attached to it. Saving a sheet
//! fills the computed items from the unit's accepted figures for the year at that moment,
//! checks the optimistic version, and writes an audit entry; the criteria version's row
//! is locked meanwhile, so the criteria cannot change under a sheet being saved.

use std::collections::BTreeMap;

use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};
use thidua_core::emulation::Points;
use thidua_core::emulation::criteria::CriterionCode;
use thidua_core::emulation::criteria::Entry;
use thidua_core::emulation::scoring::{
    self, Comparison, Mark, ScoreCard, ScoreStep, Scored, Standing, compute_items_from,
};
use thidua_core::text::{Collator, nfc};
use thidua_core::{ClusterCode, Period, UnitCode};

use super::criteria::{StoredCriteria, criteria_columns, criteria_from_row};
use super::{Actor, AuditEntry, audit, now, unit_id, year_of};
use crate::error::StoreError;
use crate::store::{Store, parse_stored};

/// Largest evidence file accepted (20 MiB): scans of plans and reports, not videos.
const MAX_EVIDENCE_BYTES: usize = 20 * 1024 * 1024;
/// Most evidence files on one sheet: a few per item of a criteria tree of some thirty.
const MAX_EVIDENCE_PER_SHEET: usize = 50;
/// Most bytes of evidence on one sheet (100 MiB), however they are split into files.
const MAX_EVIDENCE_BYTES_PER_SHEET: i64 = 100 * 1024 * 1024;
/// Longest file name kept, in characters.
const MAX_EVIDENCE_NAME_CHARS: usize = 200;

/// What a scorer sends for one step.
#[derive(Debug, Clone, Default)]
pub struct SheetInput {
    /// The sheet's version when it was loaded (0 for a sheet not yet saved).
    pub version: i64,
    /// The marks given by hand: items, bonus and penalty rules. Computed items are not
    /// sent; they fill themselves.
    pub marks: BTreeMap<CriterionCode, Mark>,
    /// A note on the whole sheet.
    pub note: String,
}

/// Minh chứng — an attached file, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceInfo {
    /// Its id (for downloading).
    pub id: i64,
    /// The item it supports; `None` for the sheet as a whole.
    pub code: Option<CriterionCode>,
    /// The file's name as uploaded (without folders).
    pub filename: String,
    /// Its media type ("application/pdf").
    pub content_type: String,
    /// Its size in bytes.
    pub size: i64,
    /// When uploaded, RFC 3339.
    pub uploaded_at: String,
    /// By whom.
    pub uploaded_by: String,
}

/// A file to attach.
#[derive(Debug, Clone)]
pub struct EvidenceFile {
    /// Its name.
    pub filename: String,
    /// The media type the client claimed; not trusted — [`EvidenceFile::media_type`]
    /// decides what is stored and served.
    pub content_type: String,
    /// Its content.
    pub bytes: Vec<u8>,
}

impl EvidenceFile {
    /// Largest evidence file accepted, in bytes (20 MiB).
    pub const MAX_BYTES: usize = MAX_EVIDENCE_BYTES;
    /// Most evidence files on one sheet.
    pub const MAX_PER_SHEET: usize = MAX_EVIDENCE_PER_SHEET;
    /// Most bytes of evidence on one sheet (100 MiB).
    pub const MAX_BYTES_PER_SHEET: i64 = MAX_EVIDENCE_BYTES_PER_SHEET;

    /// The media type thidua gives a file: one of a short list — PDF, PNG, JPEG, DOCX,
    /// XLSX — when the name's extension and the first bytes agree on it, else
    /// `application/octet-stream`. What the client claimed is never used: a page that
    /// trusted it would serve an uploaded HTML or SVG file as a page of thidua's origin.
    pub fn media_type(filename: &str, bytes: &[u8]) -> &'static str {
        const ZIP: &[u8] = b"PK\x03\x04";
        let extension = filename
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .unwrap_or_default();
        let (media_type, magic): (&'static str, &[u8]) = match extension.as_str() {
            "pdf" => ("application/pdf", b"%PDF-"),
            "png" => ("image/png", b"\x89PNG\r\n\x1a\n"),
            "jpg" | "jpeg" => ("image/jpeg", b"\xFF\xD8\xFF"),
            "docx" => (
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                ZIP,
            ),
            "xlsx" => ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ZIP),
            _ => return "application/octet-stream",
        };
        if bytes.starts_with(magic) {
            media_type
        } else {
            "application/octet-stream"
        }
    }
}

/// Bảng chấm điểm — one step's sheet as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreSheet {
    /// Its id.
    pub id: i64,
    /// The unit scored.
    pub unit: UnitCode,
    /// The year.
    pub year: i32,
    /// The criteria version it is scored against.
    pub criteria_version: u32,
    /// Whose numbers.
    pub step: ScoreStep,
    /// The marks, computed items included.
    pub card: ScoreCard,
    /// Which marks were computed from the figures.
    pub computed: Vec<CriterionCode>,
    /// A note on the whole sheet.
    pub note: String,
    /// Incremented by every save.
    pub version: i64,
    /// The account that saved it last.
    pub scored_by: Option<i64>,
    /// Its login name.
    pub scored_login: String,
    /// When, RFC 3339.
    pub scored_at: String,
    /// Attached files.
    pub evidence: Vec<EvidenceInfo>,
}

/// Three steps side by side for one unit.
#[derive(Debug, Clone)]
pub struct ScoreComparison {
    /// The criteria version compared on.
    pub criteria: StoredCriteria,
    /// The sheets: self, cluster, upper.
    pub sheets: [Option<ScoreSheet>; 3],
    /// Per line: self, cluster, upper, final; and the totals.
    pub comparison: Comparison,
}

/// Xếp hạng thi đua — a cluster's members by final total.
#[derive(Debug, Clone)]
pub struct Ranking {
    /// The cluster.
    pub cluster: ClusterCode,
    /// The year.
    pub year: i32,
    /// The criteria version ranked on.
    pub criteria_version: u32,
    /// Scored members, best first, with competition ranks.
    pub standings: Vec<Standing>,
    /// Members with no sheet on that version yet.
    pub unscored: Vec<UnitCode>,
    /// Each scored member's three steps side by side, read with the ranking: a page that
    /// shows them reads no member's sheets a second time.
    pub scores: BTreeMap<UnitCode, ScoreComparison>,
}

fn subject(unit: &UnitCode, year: i32, version: u32, step: ScoreStep) -> String {
    format!("score:{unit}/{year}/v{version}/{}", step.as_str())
}

fn evidence_from_row(r: &AnyRow) -> Result<EvidenceInfo, StoreError> {
    Ok(EvidenceInfo {
        id: r.try_get("id")?,
        code: r
            .try_get::<Option<String>, _>("code")?
            .map(|c| parse_stored(CriterionCode::parse(&c)))
            .transpose()?,
        filename: r.try_get("filename")?,
        content_type: r.try_get("content_type")?,
        size: r.try_get("size")?,
        uploaded_at: r.try_get("uploaded_at")?,
        uploaded_by: r.try_get("uploaded_by")?,
    })
}

async fn load_sheet<'e, E>(executor: E, criteria: &StoredCriteria, row: &AnyRow) -> Result<ScoreSheet, StoreError>
where
    E: Executor<'e, Database = Any> + Copy,
{
    let id: i64 = row.try_get("id")?;
    let marks = sqlx::query("SELECT code, points, note, computed FROM score_mark WHERE sheet_id = $1")
        .bind(id)
        .fetch_all(executor)
        .await?;
    let mut map = BTreeMap::new();
    let mut computed = Vec::new();
    for m in &marks {
        let code = parse_stored(CriterionCode::parse(&m.try_get::<String, _>("code")?))?;
        let points = Points::from_hundredths(m.try_get("points")?)
            .ok_or_else(|| StoreError::corrupt(format!("số điểm không hợp lệ ở mục {code}")))?;
        if m.try_get::<i64, _>("computed")? != 0 {
            computed.push(code.clone());
        }
        map.insert(
            code,
            Mark {
                points,
                note: m.try_get("note")?,
            },
        );
    }
    let evidence = sqlx::query(
        "SELECT id, code, filename, content_type, size, uploaded_at, uploaded_by FROM score_evidence
         WHERE sheet_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(executor)
    .await?;
    Ok(ScoreSheet {
        id,
        unit: parse_stored(UnitCode::parse(&row.try_get::<String, _>("unit")?))?,
        year: year_of(row.try_get("year")?)?,
        criteria_version: criteria.version,
        step: parse_stored(ScoreStep::parse(&row.try_get::<String, _>("step")?))?,
        card: ScoreCard::restore(&criteria.set, map).map_err(StoreError::corrupt)?,
        computed,
        note: row.try_get("note")?,
        version: row.try_get("version")?,
        scored_by: row.try_get("scored_by")?,
        scored_login: row.try_get("scored_login")?,
        scored_at: row.try_get("scored_at")?,
        evidence: evidence.iter().map(evidence_from_row).collect::<Result<_, _>>()?,
    })
}

macro_rules! sheet_columns {
    () => {
        "s.id, u.code AS unit, s.year, s.step, s.note, s.version, s.scored_by, s.scored_login, s.scored_at"
    };
}

fn stale_version(criteria: &StoredCriteria, latest: u32) -> StoreError {
    StoreError::Domain(thidua_core::Error::InvalidTransition(format!(
        "bảng tiêu chí năm {} phiên bản {} đã được thay bằng phiên bản {latest}; hãy chấm theo phiên bản {latest}",
        criteria.set.year(),
        criteria.version
    )))
}

fn sheet_conflict(found: i64) -> StoreError {
    StoreError::Conflict(format!(
        "bảng điểm vừa được người khác cập nhật (lần lưu thứ {found}); điểm bạn nhập chưa được lưu — hãy tải lại trang rồi nhập lại"
    ))
}

impl Store {
    async fn criteria_of_unit(
        &self,
        unit: &UnitCode,
        year: i32,
        version: Option<u32>,
    ) -> Result<StoredCriteria, StoreError> {
        let level = self.unit_level(unit).await?;
        match version {
            Some(v) => self.criteria_version(&level, year, v).await,
            None => self.criteria(&level, year).await,
        }
    }

    /// One step's sheet for a unit, year and criteria version, if it was saved.
    pub async fn score_sheet(
        &self,
        unit: &UnitCode,
        year: i32,
        criteria_version: u32,
        step: ScoreStep,
    ) -> Result<Option<ScoreSheet>, StoreError> {
        let criteria = self.criteria_of_unit(unit, year, Some(criteria_version)).await?;
        self.sheet_on(&criteria, unit, step).await
    }

    async fn sheet_on(
        &self,
        criteria: &StoredCriteria,
        unit: &UnitCode,
        step: ScoreStep,
    ) -> Result<Option<ScoreSheet>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            sheet_columns!(),
            " FROM score_sheet s JOIN unit u ON u.id = s.unit_id
             WHERE u.code = $1 AND s.criteria_set_id = $2 AND s.step = $3"
        ))
        .bind(unit.as_str())
        .bind(criteria.id)
        .bind(step.as_str())
        .fetch_optional(self.pool())
        .await?;
        match row {
            Some(row) => Ok(Some(load_sheet(self.pool(), criteria, &row).await?)),
            None => Ok(None),
        }
    }

    /// Saves one step's numbers for a unit against a criteria version, which must be the
    /// current one. The hand marks are checked against the criteria; the computed items
    /// are filled from the unit's accepted figures for the year; a stale `input.version`
    /// is refused. Who may score which step is the caller's to decide
    /// (`thidua_core::emulation::scoring::may_score`).
    pub async fn save_score_sheet(
        &self,
        actor: &Actor,
        unit: &UnitCode,
        year: i32,
        criteria_version: u32,
        step: ScoreStep,
        input: SheetInput,
    ) -> Result<ScoreSheet, StoreError> {
        let criteria = self.criteria_of_unit(unit, year, Some(criteria_version)).await?;
        let card = ScoreCard::new(&criteria.set, input.marks)?;
        let (_, figures) = self.rollup_unit(unit, Period::Year(year)).await?;
        let computed = compute_items_from(&criteria.set, &figures);
        let computed_codes: Vec<CriterionCode> = computed.iter().map(|c| c.code.clone()).collect();
        let card = card.with_computed(&computed);
        let at = now();
        let mut tx = self.begin_write().await?;
        // The criteria row's lock keeps the version from being edited in place meanwhile.
        sqlx::query("UPDATE criteria_set SET version = version WHERE id = $1")
            .bind(criteria.id)
            .execute(&mut *tx)
            .await?;
        let latest: i64 = sqlx::query_scalar("SELECT MAX(version) FROM criteria_set WHERE level = $1 AND year = $2")
            .bind(criteria.set.level())
            .bind(i64::from(year))
            .fetch_one(&mut *tx)
            .await?;
        let latest = u32::try_from(latest).map_err(StoreError::corrupt)?;
        if latest != criteria.version {
            return Err(stale_version(&criteria, latest));
        }
        let unit_id = unit_id(&mut tx, unit).await?;
        let existing: Option<(i64, i64)> = sqlx::query(
            "SELECT id, version FROM score_sheet WHERE unit_id = $1 AND criteria_set_id = $2 AND step = $3",
        )
        .bind(unit_id)
        .bind(criteria.id)
        .bind(step.as_str())
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| Ok::<_, sqlx::Error>((r.try_get("id")?, r.try_get("version")?)))
        .transpose()?;
        let stored_version = existing.map_or(0, |(_, v)| v);
        if input.version != stored_version {
            return Err(sheet_conflict(stored_version));
        }
        let note = nfc(&input.note);
        let sheet_id = match existing {
            Some((id, version)) => {
                let updated = sqlx::query(
                    "UPDATE score_sheet SET note = $1, version = $2, scored_by = $3, scored_login = $4, scored_at = $5
                     WHERE id = $6 AND version = $7",
                )
                .bind(&note)
                .bind(version + 1)
                .bind(actor.user_id)
                .bind(&actor.login)
                .bind(&at)
                .bind(id)
                .bind(version)
                .execute(&mut *tx)
                .await?;
                if updated.rows_affected() != 1 {
                    return Err(sheet_conflict(version + 1));
                }
                sqlx::query("DELETE FROM score_mark WHERE sheet_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                id
            }
            None => {
                let inserted = sqlx::query_scalar::<_, i64>(
                    "INSERT INTO score_sheet (unit_id, year, criteria_set_id, step, note, version, scored_by, scored_login, scored_at)
                     VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $8) RETURNING id",
                )
                .bind(unit_id)
                .bind(i64::from(year))
                .bind(criteria.id)
                .bind(step.as_str())
                .bind(&note)
                .bind(actor.user_id)
                .bind(&actor.login)
                .bind(&at)
                .fetch_one(&mut *tx)
                .await;
                match inserted {
                    Ok(id) => id,
                    Err(sqlx::Error::Database(e)) if e.is_unique_violation() => return Err(sheet_conflict(1)),
                    Err(e) => return Err(e.into()),
                }
            }
        };
        for (code, mark) in card.marks() {
            sqlx::query("INSERT INTO score_mark (sheet_id, code, points, note, computed) VALUES ($1, $2, $3, $4, $5)")
                .bind(sheet_id)
                .bind(code.as_str())
                .bind(mark.points.hundredths())
                .bind(&mark.note)
                .bind(i64::from(computed_codes.contains(code)))
                .execute(&mut *tx)
                .await?;
        }
        audit(
            &mut tx,
            self.key(),
            actor,
            &at,
            AuditEntry {
                action: "score",
                subject: subject(unit, year, criteria.version, step),
                unit: Some(unit),
                old: (stored_version > 0).then(|| format!("lần lưu {stored_version}")),
                new: Some(format!("lần lưu {}: {} mục", stored_version + 1, card.marks().len())),
                reason: None,
            },
        )
        .await?;
        tx.commit().await?;
        self.sheet_on(&criteria, unit, step)
            .await?
            .ok_or_else(|| StoreError::corrupt("bảng điểm vừa lưu không đọc lại được"))
    }

    /// Attaches an evidence file to a sheet, or to one item of it (`code`). At most 20 MiB,
    /// [`EvidenceFile::MAX_PER_SHEET`] files and [`EvidenceFile::MAX_BYTES_PER_SHEET`]
    /// bytes per sheet (counted under the sheet's lock, so parallel uploads cannot pass
    /// them); the name keeps no folders and no invisible characters; the media type is
    /// decided here ([`EvidenceFile::media_type`]), not taken from the client.
    pub async fn attach_evidence(
        &self,
        actor: &Actor,
        sheet_id: i64,
        code: Option<&CriterionCode>,
        file: EvidenceFile,
    ) -> Result<EvidenceInfo, StoreError> {
        let refuse = |reason: String| {
            StoreError::Domain(thidua_core::Error::InvalidValue {
                value: file.filename.clone(),
                reason,
            })
        };
        let filename = nfc(file.filename.rsplit(['/', '\\']).next().unwrap_or_default());
        if filename.is_empty() {
            return Err(refuse("tệp minh chứng cần có tên".into()));
        }
        if file.bytes.is_empty() {
            return Err(refuse("tệp minh chứng trống".into()));
        }
        if filename.chars().count() > MAX_EVIDENCE_NAME_CHARS {
            return Err(refuse(format!(
                "tên tệp minh chứng dài hơn {MAX_EVIDENCE_NAME_CHARS} ký tự"
            )));
        }
        if file.bytes.len() > MAX_EVIDENCE_BYTES {
            return Err(refuse(format!(
                "tệp minh chứng lớn hơn {} MB",
                MAX_EVIDENCE_BYTES / 1024 / 1024
            )));
        }
        let content_type = EvidenceFile::media_type(&filename, &file.bytes).to_owned();
        let size = i64::try_from(file.bytes.len()).map_err(StoreError::corrupt)?;
        let at = now();
        let mut tx = self.begin_write().await?;
        // The sheet's row lock serializes the attachments to one sheet on PostgreSQL, so
        // the count below stays true until this one is written; SQLite's writer already
        // holds the database.
        if self.backend() == crate::Backend::Postgres {
            sqlx::query("SELECT id FROM score_sheet WHERE id = $1 FOR UPDATE")
                .bind(sheet_id)
                .fetch_optional(&mut *tx)
                .await?;
        }
        let held = sqlx::query(
            "SELECT COUNT(*) AS files, CAST(COALESCE(SUM(size), 0) AS BIGINT) AS bytes
             FROM score_evidence WHERE sheet_id = $1",
        )
        .bind(sheet_id)
        .fetch_one(&mut *tx)
        .await?;
        let (files, bytes): (i64, i64) = (held.try_get("files")?, held.try_get("bytes")?);
        if usize::try_from(files).unwrap_or(usize::MAX) >= MAX_EVIDENCE_PER_SHEET {
            return Err(refuse(format!(
                "bảng chấm điểm đã có {files} tệp minh chứng (giới hạn {MAX_EVIDENCE_PER_SHEET} tệp); hãy gỡ bớt tệp cũ"
            )));
        }
        if bytes.saturating_add(size) > MAX_EVIDENCE_BYTES_PER_SHEET {
            return Err(refuse(format!(
                "các tệp minh chứng của bảng chấm điểm sẽ vượt {} MB (giới hạn cho một bảng); hãy gỡ bớt tệp cũ",
                MAX_EVIDENCE_BYTES_PER_SHEET / 1024 / 1024
            )));
        }
        let row = sqlx::query(concat!(
            "SELECT s.step, s.year, u.code AS unit, ",
            criteria_columns!(),
            " FROM score_sheet s
             JOIN unit u ON u.id = s.unit_id JOIN criteria_set c ON c.id = s.criteria_set_id WHERE s.id = $1"
        ))
        .bind(sheet_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            what: "bảng chấm điểm",
            key: sheet_id.to_string(),
        })?;
        let criteria = criteria_from_row(&row)?;
        if let Some(code) = code
            && !matches!(
                criteria.set.find(code),
                Some(Entry::Criterion(_) | Entry::Bonus(_) | Entry::Penalty(_))
            )
        {
            return Err(StoreError::Domain(thidua_core::Error::InvalidScore {
                code: code.to_string(),
                reason: "không có trong bảng tiêu chí".into(),
            }));
        }
        let id = sqlx::query_scalar::<_, i64>(
            "INSERT INTO score_evidence (sheet_id, code, filename, content_type, size, content, uploaded_at, uploaded_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(sheet_id)
        .bind(code.map(|c| c.to_string()))
        .bind(&filename)
        .bind(&content_type)
        .bind(size)
        .bind(file.bytes)
        .bind(&at)
        .bind(&actor.login)
        .fetch_one(&mut *tx)
        .await?;
        let unit = parse_stored(UnitCode::parse(&row.try_get::<String, _>("unit")?))?;
        let step = parse_stored(ScoreStep::parse(&row.try_get::<String, _>("step")?))?;
        audit(
            &mut tx,
            self.key(),
            actor,
            &at,
            AuditEntry {
                action: "evidence",
                subject: subject(&unit, year_of(row.try_get("year")?)?, criteria.version, step),
                unit: Some(&unit),
                old: None,
                new: Some(filename.clone()),
                reason: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(EvidenceInfo {
            id,
            code: code.cloned(),
            filename,
            content_type,
            size,
            uploaded_at: at,
            uploaded_by: actor.login.clone(),
        })
    }

    /// An evidence file with its bytes, for download.
    pub async fn evidence_file(&self, id: i64) -> Result<(EvidenceInfo, Vec<u8>), StoreError> {
        let row = sqlx::query(
            "SELECT id, code, filename, content_type, size, uploaded_at, uploaded_by, content FROM score_evidence WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or_else(|| StoreError::NotFound {
            what: "tệp minh chứng",
            key: id.to_string(),
        })?;
        Ok((evidence_from_row(&row)?, row.try_get("content")?))
    }

    /// The sheet an evidence file is attached to: its unit, year and step — what a page
    /// checks before it hands the file out or removes it.
    pub async fn evidence_owner(&self, id: i64) -> Result<(UnitCode, i32, ScoreStep), StoreError> {
        let row = sqlx::query(
            "SELECT u.code AS unit, s.year, s.step FROM score_evidence e
             JOIN score_sheet s ON s.id = e.sheet_id JOIN unit u ON u.id = s.unit_id WHERE e.id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or_else(|| StoreError::NotFound {
            what: "tệp minh chứng",
            key: id.to_string(),
        })?;
        Ok((
            parse_stored(UnitCode::parse(&row.try_get::<String, _>("unit")?))?,
            year_of(row.try_get("year")?)?,
            parse_stored(ScoreStep::parse(&row.try_get::<String, _>("step")?))?,
        ))
    }

    /// Removes an evidence file (the audit trail keeps its name).
    pub async fn remove_evidence(&self, actor: &Actor, id: i64) -> Result<(), StoreError> {
        let at = now();
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "SELECT e.filename, s.step, s.year, u.code AS unit, c.version FROM score_evidence e
             JOIN score_sheet s ON s.id = e.sheet_id JOIN unit u ON u.id = s.unit_id
             JOIN criteria_set c ON c.id = s.criteria_set_id WHERE e.id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            what: "tệp minh chứng",
            key: id.to_string(),
        })?;
        sqlx::query("DELETE FROM score_evidence WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let unit = parse_stored(UnitCode::parse(&row.try_get::<String, _>("unit")?))?;
        let version = u32::try_from(row.try_get::<i64, _>("version")?).map_err(StoreError::corrupt)?;
        let step = parse_stored(ScoreStep::parse(&row.try_get::<String, _>("step")?))?;
        audit(
            &mut tx,
            self.key(),
            actor,
            &at,
            AuditEntry {
                action: "evidence-removed",
                subject: subject(&unit, year_of(row.try_get("year")?)?, version, step),
                unit: Some(&unit),
                old: Some(row.try_get("filename")?),
                new: None,
                reason: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A unit's three steps side by side, on a criteria version (the current one when
    /// `None`): per line self, cluster, upper and final, and each step's totals.
    pub async fn score_comparison(
        &self,
        unit: &UnitCode,
        year: i32,
        criteria_version: Option<u32>,
    ) -> Result<ScoreComparison, StoreError> {
        let criteria = self.criteria_of_unit(unit, year, criteria_version).await?;
        let sheets = self.sheets_of(&criteria, unit).await?;
        let comparison = scoring::compare(&criteria.set, cards(&sheets));
        Ok(ScoreComparison {
            criteria,
            sheets,
            comparison,
        })
    }

    async fn sheets_of(
        &self,
        criteria: &StoredCriteria,
        unit: &UnitCode,
    ) -> Result<[Option<ScoreSheet>; 3], StoreError> {
        let [a, b, c] = ScoreStep::ALL;
        Ok([
            self.sheet_on(criteria, unit, a).await?,
            self.sheet_on(criteria, unit, b).await?,
            self.sheet_on(criteria, unit, c).await?,
        ])
    }

    /// Ranks a cluster's members by their final totals on a criteria version (the current
    /// one when `None`): competition ranking, Vietnamese order among equals. Members with
    /// no sheet on that version are listed apart.
    pub async fn ranking(
        &self,
        cluster: &ClusterCode,
        year: i32,
        criteria_version: Option<u32>,
    ) -> Result<Ranking, StoreError> {
        let members = self.cluster(cluster, year).await?.members;
        let level = self.cluster_level(cluster, year).await?;
        let criteria = match criteria_version {
            Some(v) => self.criteria_version(&level, year, v).await?,
            None => self.criteria(&level, year).await?,
        };
        let tree = self.unit_tree().await?;
        let mut scored = Vec::new();
        let mut unscored = Vec::new();
        let mut scores = BTreeMap::new();
        for member in members {
            let sheets = self.sheets_of(&criteria, &member).await?;
            if sheets.iter().all(Option::is_none) {
                unscored.push(member);
                continue;
            }
            // The total that counts is the comparison's final one: the last step's card.
            let comparison = scoring::compare(&criteria.set, cards(&sheets));
            let name = tree.get(&member).map_or_else(|| member.to_string(), |u| u.name.clone());
            scored.push(Scored {
                unit: member.clone(),
                name,
                total: comparison.final_totals.total,
            });
            scores.insert(
                member,
                ScoreComparison {
                    criteria: criteria.clone(),
                    sheets,
                    comparison,
                },
            );
        }
        Ok(Ranking {
            cluster: cluster.clone(),
            year,
            criteria_version: criteria.version,
            standings: scoring::rank(scored, &Collator::new()),
            unscored,
            scores,
        })
    }
}

fn cards(sheets: &[Option<ScoreSheet>; 3]) -> [Option<&ScoreCard>; 3] {
    [
        sheets[0].as_ref().map(|s| &s.card),
        sheets[1].as_ref().map(|s| &s.card),
        sheets[2].as_ref().map(|s| &s.card),
    ]
}
