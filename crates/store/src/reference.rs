//! The rollup as one plain SQL aggregate — no domain logic, just `SUM … GROUP BY` over a
//! recursive walk of the unit tree. It is the yardstick the benchmark measures thidua's
//! rollup against, and a cross-check of its totals; it covers only summed whole values.

use std::collections::BTreeMap;

use sqlx::Row;
use thidua_core::{Cluster, Period};

use crate::error::StoreError;
use crate::store::Store;

/// Sums per (member unit code, indicator code), for whole values of periods inside `period`.
pub type MemberSums = BTreeMap<(String, String), i64>;

impl Store {
    /// Each member's sums over its subtree, by one SQL query.
    pub async fn reference_member_sums(&self, cluster: &Cluster, period: Period) -> Result<MemberSums, StoreError> {
        let rows = sqlx::query(
            "WITH RECURSIVE sub(id, member_id) AS (
                 SELECT m.unit_id, m.unit_id FROM cluster_member m JOIN cluster c ON c.id = m.cluster_id
                 WHERE c.code = $1 AND c.year = $2
                 UNION ALL
                 SELECT u.id, sub.member_id FROM unit u JOIN sub ON u.parent_id = sub.id
             )
             SELECT mu.code AS member, i.code AS indicator, CAST(SUM(v.value_int) AS BIGINT) AS total
             FROM data_value v
             JOIN sub ON sub.id = v.unit_id
             JOIN unit mu ON mu.id = sub.member_id
             JOIN indicator i ON i.id = v.indicator_id
             WHERE v.period_start >= $3 AND v.period_end <= $4 AND v.value_int IS NOT NULL
             GROUP BY mu.code, i.code",
        )
        .bind(cluster.code.as_str())
        .bind(i64::from(cluster.year))
        .bind(period.start().to_string())
        .bind(period.end().to_string())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| Ok(((r.try_get("member")?, r.try_get("indicator")?), r.try_get("total")?)))
            .collect()
    }
}

/// What the database holds for one period's forms, counted by plain SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubmissionCounts {
    /// Forms (one per unit at most, by the schema).
    pub forms: i64,
    /// Forms in the `submitted` state.
    pub submitted: i64,
    /// Values in those forms.
    pub values: i64,
    /// Audit entries for the period.
    pub audit_events: i64,
}

impl Store {
    /// Counts the forms, their values and the audit entries of a period — the load
    /// benchmark's check that every submission is stored exactly once.
    pub async fn count_submissions(&self, period: Period) -> Result<SubmissionCounts, StoreError> {
        let count = |sql: &'static str| async move {
            sqlx::query_scalar::<_, i64>(sql)
                .bind(period.code())
                .fetch_one(self.pool())
                .await
                .map_err(StoreError::from)
        };
        Ok(SubmissionCounts {
            forms: count("SELECT COUNT(*) FROM submission WHERE period = $1").await?,
            submitted: count("SELECT COUNT(*) FROM submission WHERE period = $1 AND state = 'submitted'").await?,
            values: count(
                "SELECT COUNT(*) FROM submission_value v JOIN submission s ON s.id = v.submission_id WHERE s.period = $1",
            )
            .await?,
            audit_events: count("SELECT COUNT(*) FROM audit_event WHERE period = $1").await?,
        })
    }
}
