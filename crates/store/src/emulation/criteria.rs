//! Bảng tiêu chí thi đua in the database: one row per (cluster level, year, version),
//! the set kept whole as JSON. Saving a set that no score sheet uses yet replaces it in
//! place; once a sheet is scored against version N, saving makes version N+1 and says so
//! (docs/decisions.md, "Criteria versions").

use sqlx::Row;
use sqlx::any::AnyRow;
use thidua_core::emulation::criteria::{CriteriaFile, CriteriaSet, parse_criteria_toml};
use thidua_core::{ClusterCode, UnitCode};

use super::{Actor, AuditEntry, audit, now, year_of};
use crate::error::StoreError;
use crate::store::Store;

/// A criteria set as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCriteria {
    /// Its row id (what score sheets refer to).
    pub id: i64,
    /// Phiên bản — 1, 2, … within its level and year.
    pub version: u32,
    /// When this version was last written, RFC 3339.
    pub created_at: String,
    /// By whom.
    pub created_by: String,
    /// How many score sheets are scored against this version.
    pub sheets: i64,
    /// The set.
    pub set: CriteriaSet,
}

impl StoredCriteria {
    /// Dấu phiên bản — which write of the year's criteria this is: the version and the
    /// moment it was last written (to the nanosecond, set on every insert and in-place
    /// update). An editor keeps it and hands it back to
    /// [`Store::save_criteria_since`], which refuses the save when it is no longer the
    /// current one.
    pub fn stamp(&self) -> String {
        format!("{}@{}", self.version, self.created_at)
    }
}

/// One version in the list of a level's and year's versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CriteriaSummary {
    /// The version.
    pub version: u32,
    /// Its title.
    pub name: String,
    /// When written.
    pub created_at: String,
    /// By whom.
    pub created_by: String,
    /// Score sheets against it.
    pub sheets: i64,
}

/// The outcome of saving a criteria set.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedCriteria {
    /// The version now current.
    pub criteria: StoredCriteria,
    /// Whether a new version was made (because the previous one was in use).
    pub new_version: bool,
    /// What happened, in Vietnamese, for the person who saved.
    pub message: String,
}

pub(crate) fn criteria_from_row(row: &AnyRow) -> Result<StoredCriteria, StoreError> {
    let definition: String = row.try_get("definition")?;
    let file: CriteriaFile = serde_json::from_str(&definition).map_err(StoreError::corrupt)?;
    Ok(StoredCriteria {
        id: row.try_get("id")?,
        version: u32::try_from(row.try_get::<i64, _>("version")?).map_err(StoreError::corrupt)?,
        created_at: row.try_get("created_at")?,
        created_by: row.try_get("created_by")?,
        sheets: row.try_get("sheets")?,
        set: CriteriaSet::from_file(file).map_err(StoreError::corrupt)?,
    })
}

macro_rules! criteria_columns {
    () => {
        "c.id, c.version, c.definition, c.created_at, c.created_by,
     (SELECT COUNT(*) FROM score_sheet s WHERE s.criteria_set_id = c.id) AS sheets"
    };
}
pub(crate) use criteria_columns;

fn not_found(level: &str, year: i32, version: Option<u32>) -> StoreError {
    StoreError::NotFound {
        what: "bảng tiêu chí thi đua",
        key: match version {
            Some(v) => format!("cấp {level} năm {year} phiên bản {v}"),
            None => format!("cấp {level} năm {year}"),
        },
    }
}

impl Store {
    /// Imports a criteria set from TOML and saves it as [`Store::save_criteria`] does.
    pub async fn import_criteria_toml(&self, actor: &Actor, text: &str) -> Result<SavedCriteria, StoreError> {
        let set = parse_criteria_toml(text)?;
        self.save_criteria(actor, set).await
    }

    /// Saves a criteria set for its level and year. Every indicator it reads must be in
    /// the catalog. The first save makes version 1; a save while no score sheet uses the
    /// current version replaces it; a save once sheets use it makes the next version and
    /// leaves those sheets on theirs. Saving an unchanged set changes nothing.
    pub async fn save_criteria(&self, actor: &Actor, set: CriteriaSet) -> Result<SavedCriteria, StoreError> {
        self.write_criteria(actor, set, None).await
    }

    /// Saves as [`Store::save_criteria`] does, only if the year's current set is still
    /// the one whose [`StoredCriteria::stamp`] is `seen` (empty: the year had none). The
    /// comparison is made inside the saving transaction, after the current version's
    /// row is locked, so two editors saving at once cannot both pass it: the second gets
    /// [`StoreError::Changed`] and nothing is written.
    pub async fn save_criteria_since(
        &self,
        actor: &Actor,
        set: CriteriaSet,
        seen: &str,
    ) -> Result<SavedCriteria, StoreError> {
        self.write_criteria(actor, set, Some(seen)).await
    }

    async fn write_criteria(
        &self,
        actor: &Actor,
        set: CriteriaSet,
        seen: Option<&str>,
    ) -> Result<SavedCriteria, StoreError> {
        set.check_indicators(&self.catalog().await?)?;
        let definition = serde_json::to_string(&set.to_file()).map_err(StoreError::corrupt)?;
        let (level, year) = (set.level().to_owned(), set.year());
        let at = now();
        let mut tx = self.begin_write().await?;
        let current: Option<(i64, i64, String)> = sqlx::query(
            "SELECT id, version, definition FROM criteria_set WHERE level = $1 AND year = $2 ORDER BY version DESC LIMIT 1",
        )
        .bind(&level)
        .bind(i64::from(year))
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| Ok::<_, sqlx::Error>((r.try_get("id")?, r.try_get("version")?, r.try_get("definition")?)))
        .transpose()?;
        if let Some((id, _, _)) = &current {
            // Lock the current version's row first: a concurrent saver of the criteria,
            // and a score sheet being saved against it, hold the same lock until they
            // commit, so the stamp and the sheets counted below are what they left.
            sqlx::query("UPDATE criteria_set SET version = version WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(seen) = seen {
            // Read what is current now, after the lock: a version inserted meanwhile shows.
            let now: Option<String> = sqlx::query(
                "SELECT version, created_at FROM criteria_set WHERE level = $1 AND year = $2 ORDER BY version DESC LIMIT 1",
            )
            .bind(&level)
            .bind(i64::from(year))
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| {
                Ok::<_, sqlx::Error>(format!(
                    "{}@{}",
                    r.try_get::<i64, _>("version")?,
                    r.try_get::<String, _>("created_at")?
                ))
            })
            .transpose()?;
            if now.as_deref().unwrap_or("") != seen {
                return Err(StoreError::Changed {
                    what: "bảng tiêu chí thi đua",
                    key: format!("cấp {level} năm {year}"),
                });
            }
        }
        let (id, version, new_version, message) = match current {
            None => {
                let id = insert_version(&mut tx, &set, 1, &definition, actor, &at).await?;
                (id, 1, false, format!("Đã lưu bảng tiêu chí năm {year} (phiên bản 1)."))
            }
            Some((id, version, stored)) if stored == definition => {
                // Nothing to write, nothing to audit.
                let row = sqlx::query(concat!(
                    "SELECT ",
                    criteria_columns!(),
                    " FROM criteria_set c WHERE c.id = $1"
                ))
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
                let criteria = criteria_from_row(&row)?;
                tx.commit().await?;
                return Ok(SavedCriteria {
                    criteria,
                    new_version: false,
                    message: format!("Bảng tiêu chí năm {year} không thay đổi (phiên bản {version})."),
                });
            }
            Some((id, version, _)) => {
                // The row is locked (above): the count sees every sheet that will exist.
                let sheets: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM score_sheet WHERE criteria_set_id = $1")
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
                if sheets == 0 {
                    sqlx::query(
                        "UPDATE criteria_set SET name = $1, definition = $2, created_at = $3, created_by = $4 WHERE id = $5",
                    )
                    .bind(set.name())
                    .bind(&definition)
                    .bind(&at)
                    .bind(&actor.login)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                    (
                        id,
                        version,
                        false,
                        format!(
                            "Đã cập nhật bảng tiêu chí năm {year} phiên bản {version} (chưa có bảng điểm nào chấm theo phiên bản này)."
                        ),
                    )
                } else {
                    let next = version + 1;
                    let id = insert_version(&mut tx, &set, next, &definition, actor, &at).await?;
                    (
                        id,
                        next,
                        true,
                        format!(
                            "Phiên bản {version} của bảng tiêu chí năm {year} đã được dùng để chấm {sheets} bảng điểm nên không sửa trực tiếp: đã tạo phiên bản {next}. Các bảng điểm đã chấm vẫn giữ theo phiên bản {version}; bảng điểm mới chấm theo phiên bản {next}."
                        ),
                    )
                }
            }
        };
        audit(
            &mut tx,
            self.key(),
            actor,
            &at,
            AuditEntry {
                action: "criteria",
                subject: format!("criteria:{level}/{year}"),
                unit: None,
                old: None,
                new: Some(format!("phiên bản {version}")),
                reason: Some(&message),
            },
        )
        .await?;
        let stored = sqlx::query(concat!(
            "SELECT ",
            criteria_columns!(),
            " FROM criteria_set c WHERE c.id = $1"
        ))
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        let criteria = criteria_from_row(&stored)?;
        tx.commit().await?;
        Ok(SavedCriteria {
            criteria,
            new_version,
            message,
        })
    }

    /// The current (highest) version of the criteria of a cluster level for a year.
    pub async fn criteria(&self, level: &str, year: i32) -> Result<StoredCriteria, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            criteria_columns!(),
            " FROM criteria_set c WHERE c.level = $1 AND c.year = $2 ORDER BY c.version DESC LIMIT 1"
        ))
        .bind(level)
        .bind(i64::from(year))
        .fetch_optional(self.pool())
        .await?
        .ok_or_else(|| not_found(level, year, None))?;
        criteria_from_row(&row)
    }

    /// One version of the criteria of a cluster level for a year.
    pub async fn criteria_version(&self, level: &str, year: i32, version: u32) -> Result<StoredCriteria, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            criteria_columns!(),
            " FROM criteria_set c WHERE c.level = $1 AND c.year = $2 AND c.version = $3"
        ))
        .bind(level)
        .bind(i64::from(year))
        .bind(i64::from(version))
        .fetch_optional(self.pool())
        .await?
        .ok_or_else(|| not_found(level, year, Some(version)))?;
        criteria_from_row(&row)
    }

    /// Every version of a level's and year's criteria, newest first.
    pub async fn criteria_versions(&self, level: &str, year: i32) -> Result<Vec<CriteriaSummary>, StoreError> {
        let rows = sqlx::query(
            "SELECT c.version, c.name, c.created_at, c.created_by,
                 (SELECT COUNT(*) FROM score_sheet s WHERE s.criteria_set_id = c.id) AS sheets
             FROM criteria_set c WHERE c.level = $1 AND c.year = $2 ORDER BY c.version DESC",
        )
        .bind(level)
        .bind(i64::from(year))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CriteriaSummary {
                    version: u32::try_from(r.try_get::<i64, _>("version")?).map_err(StoreError::corrupt)?,
                    name: r.try_get("name")?,
                    created_at: r.try_get("created_at")?,
                    created_by: r.try_get("created_by")?,
                    sheets: r.try_get("sheets")?,
                })
            })
            .collect()
    }

    /// The years that have criteria for a level, newest first.
    pub async fn criteria_years(&self, level: &str) -> Result<Vec<i32>, StoreError> {
        let years: Vec<i64> =
            sqlx::query_scalar("SELECT DISTINCT year FROM criteria_set WHERE level = $1 ORDER BY year DESC")
                .bind(level)
                .fetch_all(self.pool())
                .await?;
        years.into_iter().map(year_of).collect()
    }

    /// The cluster level a unit is scored at: its kind (`district`, `ward`, …).
    pub async fn unit_level(&self, unit: &UnitCode) -> Result<String, StoreError> {
        let kind: Option<String> = sqlx::query_scalar("SELECT kind FROM unit WHERE code = $1")
            .bind(unit.as_str())
            .fetch_optional(self.pool())
            .await?;
        kind.ok_or_else(|| StoreError::NotFound {
            what: "đơn vị",
            key: unit.to_string(),
        })
    }

    /// The cluster level of a cluster in a year: the kind its members share.
    pub async fn cluster_level(&self, cluster: &ClusterCode, year: i32) -> Result<String, StoreError> {
        let kinds: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT u.kind FROM cluster c JOIN cluster_member m ON m.cluster_id = c.id
             JOIN unit u ON u.id = m.unit_id WHERE c.code = $1 AND c.year = $2",
        )
        .bind(cluster.as_str())
        .bind(i64::from(year))
        .fetch_all(self.pool())
        .await?;
        match kinds.as_slice() {
            [kind] => Ok(kind.clone()),
            [] => Err(StoreError::NotFound {
                what: "cụm thi đua",
                key: format!("{cluster} năm {year}"),
            }),
            _ => Err(StoreError::Domain(thidua_core::Error::InvalidCluster {
                cluster: cluster.clone(),
                reason: format!(
                    "các thành viên thuộc nhiều cấp khác nhau ({}), không biết chấm theo bảng tiêu chí nào",
                    kinds.join(", ")
                ),
            })),
        }
    }

    /// The current criteria a cluster is scored by in a year (by its members' level).
    pub async fn criteria_for_cluster(&self, cluster: &ClusterCode, year: i32) -> Result<StoredCriteria, StoreError> {
        let level = self.cluster_level(cluster, year).await?;
        self.criteria(&level, year).await
    }

    /// Starts `to_year` from `from_year`'s current criteria (a year in the title moves
    /// along). Refused when `to_year` already has criteria for the level.
    pub async fn copy_criteria(
        &self,
        actor: &Actor,
        level: &str,
        from_year: i32,
        to_year: i32,
    ) -> Result<SavedCriteria, StoreError> {
        let source = self.criteria(level, from_year).await?;
        if !self.criteria_versions(level, to_year).await?.is_empty() {
            return Err(StoreError::Conflict(format!(
                "năm {to_year} đã có bảng tiêu chí cấp {level}; hãy sửa bảng đó thay vì sao chép"
            )));
        }
        let copy = source.set.for_year(to_year)?;
        self.save_criteria(actor, copy).await
    }
}

async fn insert_version(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    set: &CriteriaSet,
    version: i64,
    definition: &str,
    actor: &Actor,
    at: &str,
) -> Result<i64, StoreError> {
    let inserted = sqlx::query_scalar::<_, i64>(
        "INSERT INTO criteria_set (level, year, version, name, definition, created_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(set.level())
    .bind(i64::from(set.year()))
    .bind(version)
    .bind(set.name())
    .bind(definition)
    .bind(at)
    .bind(&actor.login)
    .fetch_one(&mut **tx)
    .await;
    match inserted {
        Ok(id) => Ok(id),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(StoreError::Conflict(format!(
            "bảng tiêu chí năm {} vừa được người khác lưu; hãy tải lại rồi lưu lại",
            set.year()
        ))),
        Err(e) => Err(e.into()),
    }
}
