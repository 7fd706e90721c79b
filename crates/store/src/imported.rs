//! Số liệu nhập từ tệp — the official figures a unit has for a period without having
//! typed them in a form (`thidua import values`, a DHIS2 set, a whole-cluster workbook),
//! with the import's entry in the audit trail, so the unit's form shows them for what
//! they are instead of an empty form saying "Chưa nhập".

use std::collections::{BTreeMap, BTreeSet};

use sqlx::Row;
use thidua_core::{IndicatorCode, Period, UnitCode, Value};

use crate::error::StoreError;
use crate::forms::{AuditEvent, audit_event_from_row};
use crate::store::{Store, parse_stored, value_from_columns};

/// A unit's official figures for a period that came from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedFigures {
    /// The figures, by indicator.
    pub values: BTreeMap<IndicatorCode, Value>,
    /// The import's latest entry for the unit and period (who, when, which file), when
    /// the trail has one (figures loaded before imports were audited have none).
    pub entry: Option<AuditEvent>,
    /// The name of the account that imported them, when the entry names an account (an
    /// import without `--by` is made by `import`, no account).
    pub by_name: Option<String>,
}

impl Store {
    /// The official figures of `unit` for `period` and the import that brought them, or
    /// `None` when it has none. The caller asks only for a form never started: an
    /// accepted form's figures are official too, and its own history says where they
    /// came from.
    pub async fn imported_figures(
        &self,
        unit: &UnitCode,
        period: Period,
    ) -> Result<Option<ImportedFigures>, StoreError> {
        let rows = sqlx::query(
            "SELECT i.code, v.value_int, v.value_real, v.value_text FROM data_value v
             JOIN unit u ON u.id = v.unit_id JOIN indicator i ON i.id = v.indicator_id
             WHERE u.code = $1 AND v.period = $2",
        )
        .bind(unit.as_str())
        .bind(period.code())
        .fetch_all(self.pool())
        .await?;
        let mut values = BTreeMap::new();
        for r in &rows {
            let code = parse_stored(IndicatorCode::parse(&r.try_get::<String, _>("code")?))?;
            if let Some(value) = value_from_columns(r)? {
                values.insert(code, value);
            }
        }
        if values.is_empty() {
            return Ok(None);
        }
        let row = sqlx::query(
            "SELECT a.at, a.actor, a.action, a.indicator, a.old_value, a.new_value, a.reason,
                 (SELECT display_name FROM app_user WHERE username = a.actor) AS by_name
             FROM audit_event a
             WHERE a.unit_code = $1 AND a.period = $2 AND a.indicator IS NULL AND a.action LIKE 'import%'
             ORDER BY a.id DESC LIMIT 1",
        )
        .bind(unit.as_str())
        .bind(period.code())
        .fetch_optional(self.pool())
        .await?;
        let entry = row.as_ref().map(audit_event_from_row).transpose()?;
        let by_name = match &row {
            Some(r) => r.try_get("by_name")?,
            None => None,
        };
        Ok(Some(ImportedFigures { values, entry, by_name }))
    }

    /// The periods for which `unit` itself (not the units below it) has official figures.
    pub async fn periods_with_own_figures(&self, unit: &UnitCode) -> Result<BTreeSet<Period>, StoreError> {
        let codes: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT v.period FROM data_value v JOIN unit u ON u.id = v.unit_id WHERE u.code = $1",
        )
        .bind(unit.as_str())
        .fetch_all(self.pool())
        .await?;
        codes.iter().map(|c| parse_stored(Period::parse(c))).collect()
    }
}
