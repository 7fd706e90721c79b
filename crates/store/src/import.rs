//! Imports of the CSV formats (units, clusters, indicators, rules, values). Each import
//! runs in one transaction: the file is read and checked against what the database
//! already holds, and either every row is written or none is. Importing the same file
//! again replaces what it wrote before.
//!
//! A values import is a change of figures like any other, streamed for files of any size
//! ([`bulk`]): every stored figure it replaces with another leaves an entry in the audit
//! trail, the figures new to the database one entry per form naming the file, in the
//! import's transaction; and it respects the workflow — figures of a form that was accepted, or that the reporting window has
//! locked, are not overwritten unless an upper-level or admin account takes it on
//! explicitly ([`ValuesImport`]), which the trail records.

use std::collections::{BTreeMap, BTreeSet};

use sqlx::{Any, Transaction};
use thidua_core::import::{self, Line, RowError};
use thidua_core::text::search_key;
use thidua_core::{DataValue, Unit, Value};

use crate::error::StoreError;
use crate::store::{Store, Table, id_map, load_catalog, load_unit_tree};

mod bulk;
pub use bulk::{ImportProgress, MAX_LISTED};

/// What an import wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportSummary {
    /// Rows written (inserted or replaced).
    pub rows: usize,
}

/// Who imports a values file, and whether it may overwrite figures the workflow has
/// settled.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValuesImport {
    /// The account doing it (login name), recorded in the audit trail; without one the
    /// trail names `import`.
    pub by: Option<String>,
    /// Ghi đè số liệu đã duyệt — overwrite the figures of accepted or locked forms. Only
    /// for an admin, or an upper-level account above the unit; requires `by`.
    pub overwrite_accepted: bool,
}

/// Units written by one statement: 7 parameters each, under SQLite's 32.766 and
/// PostgreSQL's 65.535 a statement.
const UNITS_PER_INSERT: usize = 500;

fn rejected(errors: Vec<RowError>) -> StoreError {
    StoreError::Rejected(errors)
}

impl Store {
    /// Imports `units.csv`.
    pub async fn import_units_csv(&self, text: &str) -> Result<ImportSummary, StoreError> {
        let mut tx = self.begin_write().await?;
        let existing = load_unit_tree(&mut *tx).await?;
        let rows = import::read_units(text, &existing).map_err(rejected)?;
        let mut ids = id_map(&mut *tx, Table::Unit).await?;
        // Several units a statement, a level of the tree at a time so every parent has its
        // id before its children are written: one round trip a row took 54 s for the
        // national tree's 33.356 units on PostgreSQL.
        for level in parents_first(&rows) {
            for chunk in level.chunks(UNITS_PER_INSERT) {
                // Anonymous parameters on SQLite (Backend::params says why).
                let mut sql = format!(
                    "INSERT INTO unit (code, name, search_key, kind, parent_id, valid_from, valid_to) VALUES {}",
                    self.backend().row_params(chunk.len(), 7)
                );
                sql.push_str(
                    " ON CONFLICT (code) DO UPDATE SET name = excluded.name, search_key = excluded.search_key,
                         kind = excluded.kind, parent_id = excluded.parent_id,
                         valid_from = excluded.valid_from, valid_to = excluded.valid_to
                     RETURNING code, id",
                );
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                for unit in chunk {
                    let parent_id = unit.parent.as_ref().and_then(|p| ids.get(p.as_str()).copied());
                    query = query
                        .bind(unit.code.as_str())
                        .bind(&unit.name)
                        .bind(search_key(&unit.name))
                        .bind(&unit.kind)
                        .bind(parent_id)
                        .bind(unit.valid_from.map(|d| d.to_string()))
                        .bind(unit.valid_to.map(|d| d.to_string()));
                }
                for row in query.fetch_all(&mut *tx).await? {
                    use sqlx::Row;
                    ids.insert(row.try_get("code")?, row.try_get("id")?);
                }
            }
        }
        tx.commit().await?;
        Ok(ImportSummary { rows: rows.len() })
    }

    /// Imports `clusters.csv`; a cluster's membership for that year is replaced whole.
    pub async fn import_clusters_csv(&self, text: &str) -> Result<ImportSummary, StoreError> {
        let mut tx = self.begin_write().await?;
        let units = load_unit_tree(&mut *tx).await?;
        let rows = import::read_clusters(text, &units).map_err(rejected)?;
        let ids = id_map(&mut *tx, Table::Unit).await?;
        let id_of = |code: &Option<thidua_core::UnitCode>| code.as_ref().and_then(|c| ids.get(c.as_str()).copied());
        for Line { row: cluster, .. } in &rows {
            let cluster_id: i64 = sqlx::query_scalar(
                "INSERT INTO cluster (code, year, name, search_key, chair_id, deputy_id, host_id)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (code, year) DO UPDATE SET name = excluded.name, search_key = excluded.search_key,
                     chair_id = excluded.chair_id, deputy_id = excluded.deputy_id, host_id = excluded.host_id
                 RETURNING id",
            )
            .bind(cluster.code.as_str())
            .bind(i64::from(cluster.year))
            .bind(&cluster.name)
            .bind(search_key(&cluster.name))
            .bind(id_of(&cluster.chair))
            .bind(id_of(&cluster.deputy))
            .bind(id_of(&cluster.host))
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM cluster_member WHERE cluster_id = $1")
                .bind(cluster_id)
                .execute(&mut *tx)
                .await?;
            for (position, member) in cluster.members.iter().enumerate() {
                let unit_id = ids
                    .get(member.as_str())
                    .copied()
                    .ok_or_else(|| StoreError::corrupt(member))?;
                sqlx::query("INSERT INTO cluster_member (cluster_id, unit_id, position) VALUES ($1, $2, $3)")
                    .bind(cluster_id)
                    .bind(unit_id)
                    .bind(position as i64)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(ImportSummary { rows: rows.len() })
    }

    /// Imports `indicators.csv`; known codes are updated in place and keep their order.
    pub async fn import_indicators_csv(&self, text: &str) -> Result<ImportSummary, StoreError> {
        let mut tx = self.begin_write().await?;
        let existing = load_catalog(&mut *tx).await?;
        let rows = import::read_indicators(text, &existing).map_err(rejected)?;
        let last: Option<i64> = sqlx::query_scalar("SELECT MAX(position) FROM indicator")
            .fetch_one(&mut *tx)
            .await?;
        // New indicators go after the existing ones, in file order; known ones keep their place.
        for (position, Line { row: ind, .. }) in (last.unwrap_or(0) + 1..).zip(rows.iter()) {
            sqlx::query(
                "INSERT INTO indicator (code, name, search_key, measure, value_type, aggregation, formula, group_name, position)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name, search_key = excluded.search_key,
                     measure = excluded.measure, value_type = excluded.value_type, aggregation = excluded.aggregation,
                     formula = excluded.formula, group_name = excluded.group_name",
            )
            .bind(ind.code.as_str())
            .bind(&ind.name)
            .bind(search_key(&ind.name))
            .bind(&ind.measure)
            .bind(ind.value_type.as_str())
            .bind(ind.aggregation.as_str())
            .bind(ind.formula.as_ref().map(|f| f.source().to_owned()))
            .bind(&ind.group)
            .bind(position)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(ImportSummary { rows: rows.len() })
    }

    /// Imports `rules.csv` (validation rules between indicators).
    pub async fn import_rules_csv(&self, text: &str) -> Result<ImportSummary, StoreError> {
        let mut tx = self.begin_write().await?;
        let catalog = load_catalog(&mut *tx).await?;
        let rows = import::read_rules(text, &catalog).map_err(rejected)?;
        for Line { row: rule, .. } in &rows {
            sqlx::query(
                "INSERT INTO validation_rule (rule, message) VALUES ($1, $2)
                 ON CONFLICT (rule) DO UPDATE SET message = excluded.message",
            )
            .bind(rule.source())
            .bind(rule.message.clone())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(ImportSummary { rows: rows.len() })
    }

    /// Imports a long-format values file as the program itself (the trail names
    /// `import`), never over settled figures: [`Store::import_values_csv_as`] with no
    /// account.
    pub async fn import_values_csv(&self, text: &str) -> Result<ImportSummary, StoreError> {
        self.import_values_csv_as(text, &ValuesImport::default()).await
    }

    /// Imports a long-format values file held in memory (an upload, a file of the
    /// demo): [`Store::import_values_from`] over its text. Each value is read against
    /// its indicator's type, and the validation rules are checked on the imported values
    /// laid over the stored ones; a value that changes the figure of an accepted or
    /// locked form is refused unless `options` allows the overwrite; any error refuses
    /// the whole file. Values whose figure is unchanged are rewritten (their comment may
    /// change) but neither audited nor refused: nothing settled changes.
    pub async fn import_values_csv_as(&self, text: &str, options: &ValuesImport) -> Result<ImportSummary, StoreError> {
        let input = std::io::Cursor::new(text.as_bytes().to_vec());
        self.import_values_from(input, options, "tải lên", &|_| {}).await
    }
}

/// The upsert of one value, with the value columns (`value_int, value_real, value_text`)
/// given as SQL: the value is `$1`, bound first; the rest are `$2`–`$8`.
macro_rules! upsert_value {
    ($columns:literal) => {
        concat!(
            "INSERT INTO data_value (value_int, value_real, value_text, unit_id, indicator_id, period, period_start, period_end, comment, updated_at)
             VALUES (", $columns, ", $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (unit_id, indicator_id, period) DO UPDATE SET value_int = excluded.value_int,
                 value_real = excluded.value_real, value_text = excluded.value_text,
                 comment = excluded.comment, updated_at = excluded.updated_at"
        )
    };
}

/// Writes values, replacing any stored for the same unit, indicator and period.
pub(crate) async fn write_values<'a>(
    tx: &mut Transaction<'static, Any>,
    backend: crate::Backend,
    values: impl Iterator<Item = &'a DataValue>,
) -> Result<usize, StoreError> {
    let units: BTreeMap<String, i64> = id_map(&mut **tx, Table::Unit).await?;
    let indicators: BTreeMap<String, i64> = id_map(&mut **tx, Table::Indicator).await?;
    let now = chrono::Utc::now().to_rfc3339();
    let mut written = 0;
    let mut changed = BTreeSet::new();
    for v in values {
        let unit_id = units.get(v.unit.as_str()).ok_or_else(|| StoreError::NotFound {
            what: "đơn vị",
            key: v.unit.to_string(),
        })?;
        let indicator_id = indicators
            .get(v.indicator.as_str())
            .ok_or_else(|| StoreError::NotFound {
                what: "chỉ tiêu",
                key: v.indicator.to_string(),
            })?;
        // One statement per kind of value, the other two columns written as literal NULLs:
        // through `Any`, PostgreSQL keeps the parameter types of a statement's first run,
        // and a NULL bound where a later run binds a number fails that run (22P03).
        let query = match &v.value {
            Value::Whole(n) => sqlx::query(upsert_value!("$1, NULL, NULL")).bind(*n),
            Value::Decimal(x) => sqlx::query(upsert_value!("NULL, $1, NULL")).bind(*x),
            Value::Text(t) => sqlx::query(upsert_value!("NULL, NULL, $1")).bind(t.clone()),
        };
        query
            .bind(*unit_id)
            .bind(*indicator_id)
            .bind(v.period.code())
            .bind(v.period.start().to_string())
            .bind(v.period.end().to_string())
            .bind(v.comment.clone())
            .bind(&now)
            .execute(&mut **tx)
            .await?;
        changed.insert((*unit_id, v.period));
        written += 1;
    }
    crate::values::record_changes(tx, backend, &changed).await?;
    Ok(written)
}

/// The file's units in levels, by their depth in the file's own tree, so that a parent
/// given in the same file is in a level before its children's (the tree was already
/// checked for cycles, so depth is finite); within a level, in the file's order.
fn parents_first(rows: &[Line<Unit>]) -> Vec<Vec<&Unit>> {
    let in_file: BTreeMap<&str, &Unit> = rows.iter().map(|l| (l.row.code.as_str(), &l.row)).collect();
    let depth = |unit: &Unit| {
        let mut d = 0usize;
        let mut current = unit.parent.as_ref().and_then(|p| in_file.get(p.as_str()));
        while let Some(parent) = current {
            d += 1;
            if d > in_file.len() {
                break;
            }
            current = parent.parent.as_ref().and_then(|p| in_file.get(p.as_str()));
        }
        d
    };
    let mut levels: BTreeMap<usize, Vec<&Unit>> = BTreeMap::new();
    for line in rows {
        levels.entry(depth(&line.row)).or_default().push(&line.row);
    }
    levels.into_values().collect()
}
