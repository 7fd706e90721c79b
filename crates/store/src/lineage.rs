//! Sắp xếp tổ chức — reorganisations: `changes.csv` applied to the unit table in one
//! transaction (new units, last days, parents, names) and recorded in `unit_change`, from
//! which the history's two views are read. Values are never touched: they stay with the
//! unit that reported them.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use sqlx::Row;
use thidua_core::UnitCode;
use thidua_core::import::RowError;
use thidua_core::lineage::{self, ChangeKind, Lineage, Plan, UnitChange};
use thidua_core::text::search_key;

use crate::ImportSummary;
use crate::error::StoreError;
use crate::store::{Store, Table, id_map, load_unit_tree, parse_stored};

impl Store {
    /// Every reorganisation applied, oldest first.
    pub async fn lineage(&self) -> Result<Lineage, StoreError> {
        let rows = sqlx::query(
            "SELECT effective, kind, from_units, to_units, parent_before, parent_after, name_before, name_after
             FROM unit_change ORDER BY effective, id",
        )
        .fetch_all(self.pool())
        .await?;
        let mut changes = Vec::with_capacity(rows.len());
        for row in &rows {
            let codes = |raw: String| -> Result<Vec<UnitCode>, StoreError> {
                raw.split(';')
                    .filter(|c| !c.is_empty())
                    .map(|c| parse_stored(UnitCode::parse(c)))
                    .collect()
            };
            let to = row
                .try_get::<String, _>("to_units")?
                .split(';')
                .filter(|c| !c.is_empty())
                .map(|c| {
                    let (code, weight) = match c.split_once(':') {
                        Some((code, w)) => (code, Some(w.parse::<f64>().map_err(StoreError::corrupt)?)),
                        None => (c, None),
                    };
                    Ok((parse_stored(UnitCode::parse(code))?, weight))
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            let parent_before = row
                .try_get::<Option<String>, _>("parent_before")?
                .map(|c| parse_stored(UnitCode::parse(&c)))
                .transpose()?;
            let parent_after = row
                .try_get::<Option<String>, _>("parent_after")?
                .map(|c| parse_stored(UnitCode::parse(&c)))
                .transpose()?;
            let name_before: Option<String> = row.try_get("name_before")?;
            let name_after: Option<String> = row.try_get("name_after")?;
            changes.push(UnitChange {
                effective: NaiveDate::parse_from_str(&row.try_get::<String, _>("effective")?, "%Y-%m-%d")
                    .map_err(StoreError::corrupt)?,
                kind: ChangeKind::parse(&row.try_get::<String, _>("kind")?)
                    .ok_or_else(|| StoreError::corrupt("loại sắp xếp không rõ"))?,
                from: codes(row.try_get("from_units")?)?,
                to,
                parents: parent_after.map(|after| (parent_before, after)),
                names: name_before.zip(name_after),
            });
        }
        Ok(Lineage::new(changes))
    }

    /// What `changes.csv` would do to the unit table — the preview before applying it —
    /// or every bad row, named.
    pub async fn preview_changes_csv(&self, text: &str) -> Result<Plan, StoreError> {
        let tree = self.unit_tree().await?;
        plan_file(&tree, text)
    }

    /// Applies `changes.csv` (by the account `by`) in one transaction: every row or none.
    pub async fn import_changes_csv(&self, text: &str, by: &str) -> Result<ImportSummary, StoreError> {
        let mut tx = self.begin_write().await?;
        let tree = load_unit_tree(&mut *tx).await?;
        let plan = plan_file(&tree, text)?;
        let mut ids: BTreeMap<String, i64> = id_map(&mut *tx, Table::Unit).await?;
        for unit in &plan.create {
            let parent_id = unit.parent.as_ref().and_then(|p| ids.get(p.as_str()).copied());
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO unit (code, name, search_key, kind, parent_id, valid_from, valid_to)
                 VALUES ($1, $2, $3, $4, $5, $6, NULL) RETURNING id",
            )
            .bind(unit.code.as_str())
            .bind(&unit.name)
            .bind(search_key(&unit.name))
            .bind(&unit.kind)
            .bind(parent_id)
            .bind(unit.valid_from.map(|d| d.to_string()))
            .fetch_one(&mut *tx)
            .await?;
            ids.insert(unit.code.to_string(), id);
        }
        for (code, last_day) in &plan.end {
            sqlx::query("UPDATE unit SET valid_to = $1 WHERE code = $2")
                .bind(last_day.to_string())
                .bind(code.as_str())
                .execute(&mut *tx)
                .await?;
        }
        for (code, parent) in &plan.reparent {
            let parent_id = ids
                .get(parent.as_str())
                .copied()
                .ok_or_else(|| StoreError::corrupt(parent))?;
            sqlx::query("UPDATE unit SET parent_id = $1 WHERE code = $2")
                .bind(parent_id)
                .bind(code.as_str())
                .execute(&mut *tx)
                .await?;
        }
        for (code, name) in &plan.rename {
            sqlx::query("UPDATE unit SET name = $1, search_key = $2 WHERE code = $3")
                .bind(name)
                .bind(search_key(name))
                .bind(code.as_str())
                .execute(&mut *tx)
                .await?;
        }
        let now = chrono::Utc::now().to_rfc3339();
        for change in &plan.changes {
            let join = |codes: &mut dyn Iterator<Item = String>| codes.collect::<Vec<_>>().join(";");
            sqlx::query(
                "INSERT INTO unit_change (effective, kind, from_units, to_units, parent_before, parent_after,
                     name_before, name_after, recorded_at, recorded_by)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(change.effective.to_string())
            .bind(change.kind.as_str())
            .bind(join(&mut change.from.iter().map(|c| c.to_string())))
            .bind(join(&mut change.to.iter().map(|(c, w)| match w {
                Some(w) => format!("{c}:{w}"),
                None => c.to_string(),
            })))
            .bind(
                change
                    .parents
                    .as_ref()
                    .and_then(|(before, _)| before.as_ref().map(|c| c.to_string())),
            )
            .bind(change.parents.as_ref().map(|(_, after)| after.to_string()))
            .bind(change.names.as_ref().map(|(before, _)| before.clone()))
            .bind(change.names.as_ref().map(|(_, after)| after.clone()))
            .bind(&now)
            .bind(by)
            .execute(&mut *tx)
            .await?;
        }
        // The resulting tree must still be a tree.
        load_unit_tree(&mut *tx).await?;
        tx.commit().await?;
        Ok(ImportSummary {
            rows: plan.changes.len(),
        })
    }
}

/// Reads and checks a changes file against the tree, naming each bad row.
fn plan_file(tree: &thidua_core::UnitTree, text: &str) -> Result<Plan, StoreError> {
    let rows = thidua_core::import::read_changes(text).map_err(StoreError::Rejected)?;
    let requests: Vec<_> = rows.iter().map(|l| l.row.clone()).collect();
    lineage::plan(tree, &requests).map_err(|errors| {
        StoreError::Rejected(
            errors
                .into_iter()
                .map(|(i, reason)| RowError {
                    line: rows.get(i).map_or(0, |l| l.line),
                    column: None,
                    reason,
                })
                .collect(),
        )
    })
}
