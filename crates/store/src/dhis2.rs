//! What DHIS2 interop needs of the store beyond the values import it goes through: the
//! figures stored for exactly the (unit, period) pairs a data value set touches, read
//! before an import to count what it adds, replaces or leaves as it was — and to check a
//! dry run against.

use std::collections::BTreeSet;

use thidua_core::{DataValue, Period, UnitCode};

use crate::error::StoreError;
use crate::store::{Store, data_value_from_row};

impl Store {
    /// The official figures stored for each of `pairs` (a unit's own, not its subtree's;
    /// exactly that period, not the shorter ones inside it): one query per period.
    pub async fn values_of(&self, pairs: &[(UnitCode, Period)]) -> Result<Vec<DataValue>, StoreError> {
        let periods: BTreeSet<Period> = pairs.iter().map(|(_, p)| *p).collect();
        let wanted: BTreeSet<(&str, Period)> = pairs.iter().map(|(u, p)| (u.as_str(), *p)).collect();
        let mut out = Vec::new();
        for period in periods {
            let rows = sqlx::query(
                "SELECT u.code AS unit, i.code AS indicator, v.period, v.value_int, v.value_real, v.value_text, v.comment
                 FROM data_value v JOIN unit u ON u.id = v.unit_id JOIN indicator i ON i.id = v.indicator_id
                 WHERE v.period = $1",
            )
            .bind(period.code())
            .fetch_all(self.pool())
            .await?;
            for row in &rows {
                let value = data_value_from_row(row)?;
                if wanted.contains(&(value.unit.as_str(), value.period)) {
                    out.push(value);
                }
            }
        }
        Ok(out)
    }
}
