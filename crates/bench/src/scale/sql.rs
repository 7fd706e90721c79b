//! The scale benchmark's plain SQL yardstick: the three rollups as one aggregate query each
//! on the database under measurement, through a sqlx connection of its own — a recursive
//! walk of the unit tree and `SUM … GROUP BY`, no domain logic. For a half-year every
//! stored value inside the period counts once, which is what thidua's rollup does there
//! for sums and for stocks alike (formulas are thidua's alone and are not compared). The
//! SQL is the same on both backends.

use std::collections::BTreeMap;

use anyhow::Context;
use sqlx::any::AnyConnectOptions;
use sqlx::{AnyConnection, ConnectOptions, Connection, Row};
use thidua_core::Period;

/// Totals per key: an indicator code, or `member/indicator` for a cluster's members.
pub type Totals = BTreeMap<String, i64>;

const CLUSTER: &str = "WITH RECURSIVE sub(id, member_id) AS (
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
     GROUP BY mu.code, i.code";

const SUBTREE: &str = "WITH RECURSIVE sub(id) AS (
         SELECT id FROM unit WHERE code = $1
         UNION ALL
         SELECT u.id FROM unit u JOIN sub ON u.parent_id = sub.id
     )
     SELECT i.code AS indicator, CAST(SUM(v.value_int) AS BIGINT) AS total
     FROM data_value v
     JOIN sub ON sub.id = v.unit_id
     JOIN indicator i ON i.id = v.indicator_id
     WHERE v.period_start >= $2 AND v.period_end <= $3 AND v.value_int IS NOT NULL
     GROUP BY i.code";

/// A plain connection to the benchmark's database.
pub struct PlainSql {
    conn: AnyConnection,
}

impl PlainSql {
    /// Connects to the (existing, migrated) database at `url`.
    pub async fn connect(url: &str) -> anyhow::Result<PlainSql> {
        sqlx::any::install_default_drivers();
        // The queries are slow by nature at scale: sqlx's slow-statement warnings would
        // only bury the table.
        let options: AnyConnectOptions = url.parse().context("bad database URL")?;
        let conn = options
            .disable_statement_logging()
            .connect()
            .await
            .context("không mở được kết nối SQL thuần để đối chiếu")?;
        Ok(PlainSql { conn })
    }

    /// A cluster's members' totals, keyed `member/indicator`.
    pub async fn cluster(&mut self, code: &str, year: i32, period: Period) -> anyhow::Result<Totals> {
        let rows = sqlx::query(CLUSTER)
            .bind(code)
            .bind(i64::from(year))
            .bind(period.start().to_string())
            .bind(period.end().to_string())
            .fetch_all(&mut self.conn)
            .await?;
        rows.iter()
            .map(|r| {
                let (member, indicator): (String, String) = (r.try_get("member")?, r.try_get("indicator")?);
                Ok((format!("{member}/{indicator}"), r.try_get("total")?))
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }

    /// A unit's totals over its subtree, keyed by indicator.
    pub async fn subtree(&mut self, unit: &str, period: Period) -> anyhow::Result<Totals> {
        let rows = sqlx::query(SUBTREE)
            .bind(unit)
            .bind(period.start().to_string())
            .bind(period.end().to_string())
            .fetch_all(&mut self.conn)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("indicator")?, r.try_get("total")?)))
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }

    /// Closes the connection, before the database is dropped.
    pub async fn close(self) {
        let _ = self.conn.close().await;
    }
}
