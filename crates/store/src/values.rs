//! Số liệu — the reported values: a cluster's or a unit subtree's values for a period,
//! their rollups, and the periods that have any.

use thidua_core::rollup::{self, ClusterRollup, Figures};
use thidua_core::{Cluster, ClusterCode, Period, Unit, UnitCode};

use crate::error::StoreError;
use crate::store::{Store, data_value_from_row, parse_stored};

/// The query for the values of periods between `$1` and `$2` (ISO dates) of every unit
/// below the roots that `$seed` selects (by `$3`, `$4`), roots included.
macro_rules! values_under {
    ($seed:literal) => {
        concat!(
            "WITH RECURSIVE sub(id) AS (",
            $seed,
            " UNION SELECT u.id FROM unit u JOIN sub ON u.parent_id = sub.id)
             SELECT u.code AS unit, i.code AS indicator, v.period, v.value_int, v.value_real, v.value_text, v.comment
             FROM data_value v
             JOIN sub ON sub.id = v.unit_id
             JOIN unit u ON u.id = v.unit_id
             JOIN indicator i ON i.id = v.indicator_id
             WHERE v.period_start >= $1 AND v.period_end <= $2"
        )
    };
}

impl Store {
    /// The values of every unit in the cluster's member subtrees, for periods inside
    /// `period`.
    pub async fn cluster_values(
        &self,
        cluster: &Cluster,
        period: Period,
    ) -> Result<Vec<thidua_core::DataValue>, StoreError> {
        let query = sqlx::query(values_under!(
            "SELECT m.unit_id FROM cluster_member m JOIN cluster c ON c.id = m.cluster_id WHERE c.code = $3 AND c.year = $4"
        ));
        let rows = query
            .bind(period.start().to_string())
            .bind(period.end().to_string())
            .bind(cluster.code.as_str())
            .bind(i64::from(cluster.year))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(data_value_from_row).collect()
    }

    /// The values of `unit` and every unit below it, for periods inside `period`.
    pub async fn subtree_values(
        &self,
        unit: &UnitCode,
        period: Period,
    ) -> Result<Vec<thidua_core::DataValue>, StoreError> {
        let rows = sqlx::query(values_under!("SELECT id FROM unit WHERE code = $3"))
            .bind(period.start().to_string())
            .bind(period.end().to_string())
            .bind(unit.as_str())
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(data_value_from_row).collect()
    }

    /// A cluster's figures for a period: each member's and the total. The cluster is
    /// taken as constituted in the period's year.
    pub async fn rollup_cluster(&self, code: &ClusterCode, period: Period) -> Result<ClusterRollup, StoreError> {
        let cluster = self.cluster(code, period.year()).await?;
        let (catalog, tree, values) =
            tokio::try_join!(self.catalog(), self.unit_tree(), self.cluster_values(&cluster, period))?;
        Ok(rollup::rollup_cluster(&catalog, &tree, &cluster, period, &values))
    }

    /// One unit's figures (over its subtree) for a period.
    pub async fn rollup_unit(&self, code: &UnitCode, period: Period) -> Result<(Unit, Figures), StoreError> {
        let (catalog, tree, values) =
            tokio::try_join!(self.catalog(), self.unit_tree(), self.subtree_values(code, period))?;
        let unit = tree.get(code).cloned().ok_or_else(|| StoreError::NotFound {
            what: "đơn vị",
            key: code.to_string(),
        })?;
        let figures = rollup::unit_figures(&catalog, &tree, code, period, &values);
        Ok((unit, figures))
    }

    /// The periods for which a unit subtree or cluster has any value, newest first.
    pub async fn periods_with_values(&self, units: &[UnitCode]) -> Result<Vec<Period>, StoreError> {
        let mut periods = Vec::new();
        for unit in units {
            let codes: Vec<String> = sqlx::query_scalar(
                "WITH RECURSIVE sub(id) AS (
                     SELECT id FROM unit WHERE code = $1
                     UNION
                     SELECT u.id FROM unit u JOIN sub ON u.parent_id = sub.id
                 )
                 SELECT DISTINCT v.period FROM data_value v JOIN sub ON sub.id = v.unit_id",
            )
            .bind(unit.as_str())
            .fetch_all(self.pool())
            .await?;
            for code in codes {
                let period = parse_stored(Period::parse(&code))?;
                if !periods.contains(&period) {
                    periods.push(period);
                }
            }
        }
        periods.sort_by_key(|p: &Period| std::cmp::Reverse((p.end(), std::cmp::Reverse(p.period_type()))));
        Ok(periods)
    }
}
