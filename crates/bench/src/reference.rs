//! The yardsticks, in plain SQL on the database under measurement, through a connection
//! of their own — not the product's [`thidua_store::Store`], which has no business
//! carrying them. One is the rollup as a single aggregate — no domain logic, just
//! `SUM … GROUP BY` over a recursive walk of the unit tree: the reference the rollup
//! benchmark measures thidua's rollup against, and a cross-check of its totals (it covers
//! only summed whole values). The other counts what a period's forms left in the
//! database: the load benchmark's check that every submission is stored exactly once.
//! The SQL is the same on both backends (`$n` parameters, `WITH RECURSIVE`).

use std::collections::BTreeMap;

use anyhow::Context;
use sqlx::{AnyConnection, Connection, Row};
use thidua_core::{Cluster, Period};

/// Sums per (member unit code, indicator code), for whole values of periods inside `period`.
pub type MemberSums = BTreeMap<(String, String), i64>;

/// What the database holds for one period's forms (báo cáo), counted by plain SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubmissionCounts {
    /// Forms (one per unit at most, by the schema).
    pub forms: i64,
    /// Forms in the `submitted` state.
    pub submitted: i64,
    /// Values in those forms.
    pub values: i64,
    /// Audit entries (nhật ký thay đổi) for the period.
    pub audit_events: i64,
}

/// A plain sqlx connection to the benchmark's database.
pub struct Yardstick {
    conn: AnyConnection,
}

impl Yardstick {
    /// Connects to `url` (the database's URL as text, e.g. `TestDatabase::url_text`); the
    /// database must exist — open the store on it first, which creates and migrates it.
    pub async fn connect(url: &str) -> anyhow::Result<Yardstick> {
        sqlx::any::install_default_drivers();
        let conn = AnyConnection::connect(url)
            .await
            .context("không mở được kết nối SQL thuần để đối chiếu")?;
        Ok(Yardstick { conn })
    }

    /// Each member's sums over its subtree, by one SQL query.
    pub async fn member_sums(&mut self, cluster: &Cluster, period: Period) -> anyhow::Result<MemberSums> {
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
        .fetch_all(&mut self.conn)
        .await?;
        Ok(rows
            .iter()
            .map(|r| Ok(((r.try_get("member")?, r.try_get("indicator")?), r.try_get("total")?)))
            .collect::<Result<_, sqlx::Error>>()?)
    }

    /// Counts the forms, their values and the audit entries of a period.
    pub async fn count_submissions(&mut self, period: Period) -> anyhow::Result<SubmissionCounts> {
        Ok(SubmissionCounts {
            forms: self.count("SELECT COUNT(*) FROM submission WHERE period = $1", period).await?,
            submitted: self
                .count("SELECT COUNT(*) FROM submission WHERE period = $1 AND state = 'submitted'", period)
                .await?,
            values: self
                .count(
                    "SELECT COUNT(*) FROM submission_value v JOIN submission s ON s.id = v.submission_id WHERE s.period = $1",
                    period,
                )
                .await?,
            audit_events: self.count("SELECT COUNT(*) FROM audit_event WHERE period = $1", period).await?,
        })
    }

    async fn count(&mut self, sql: &'static str, period: Period) -> anyhow::Result<i64> {
        Ok(sqlx::query_scalar::<_, i64>(sql)
            .bind(period.code())
            .fetch_one(&mut self.conn)
            .await?)
    }

    /// Closes the connection, before the benchmark's database is dropped.
    pub async fn close(self) {
        let _ = self.conn.close().await;
    }
}
