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

/// The values' generation: raised once by every transaction that writes values.
pub(crate) const GENERATION: &str = "SELECT generation FROM value_generation WHERE id = 1";

/// A reported number as the rollup engine keeps it: the database's ids, the period, and
/// the value (text values are not added up and are left out).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StoredNumber {
    /// The unit's id.
    pub unit_id: i64,
    /// The indicator's id.
    pub indicator_id: i64,
    /// The period.
    pub period: Period,
    /// The value.
    pub value: f64,
    /// Whether it was stored whole (an integer), as counts and money are.
    pub whole: bool,
}

/// What changed since a generation: the generation now, and each (unit id, period)
/// written after the one asked about — `None` when there are more than the caller's
/// limit (then reading everything again is cheaper than the pairs one by one).
#[derive(Debug, Clone, PartialEq)]
pub struct ValueChanges {
    /// The generation the database is at.
    pub generation: i64,
    /// The (unit id, period) pairs written since, or `None` when over the limit.
    pub pairs: Option<Vec<(i64, Period)>>,
}

/// Records, in a transaction that writes values, which (unit, period) pairs it wrote:
/// raises the values' generation once and notes each pair under it. Called last in the
/// transaction's writes, so the generation's row lock (held to commit) is taken after
/// the audit trail's and the two are always taken in the same order.
pub(crate) async fn record_changes(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    backend: crate::Backend,
    pairs: &std::collections::BTreeSet<(i64, Period)>,
) -> Result<(), StoreError> {
    if pairs.is_empty() {
        return Ok(());
    }
    let generation: i64 =
        sqlx::query_scalar("UPDATE value_generation SET generation = generation + 1 WHERE id = 1 RETURNING generation")
            .fetch_one(&mut **tx)
            .await?;
    // Several pairs per statement: a large import writes tens of thousands.
    const PER_STATEMENT: usize = 300;
    let pairs: Vec<&(i64, Period)> = pairs.iter().collect();
    for chunk in pairs.chunks(PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO value_change (generation, unit_id, period) VALUES {}",
            backend.row_params(chunk.len(), 3)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (unit_id, period) in chunk {
            query = query.bind(generation).bind(*unit_id).bind(period.code());
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

impl StoredNumber {
    /// The number of a data_value row: its whole value when it has one, else its decimal;
    /// `None` for a row with neither (a text value).
    pub(crate) fn of(
        unit_id: i64,
        indicator_id: i64,
        period: Period,
        whole: Option<i64>,
        decimal: Option<f64>,
    ) -> Option<StoredNumber> {
        let (value, whole) = match (whole, decimal) {
            (Some(n), _) => (n as f64, true),
            (None, Some(x)) => (x, false),
            (None, None) => return None,
        };
        Some(StoredNumber {
            unit_id,
            indicator_id,
            period,
            value,
            whole,
        })
    }
}

/// The number of a row read through `Any` ([`StoredNumber::of`]).
fn stored_number(row: &sqlx::any::AnyRow) -> Result<Option<StoredNumber>, StoreError> {
    use sqlx::Row;
    Ok(StoredNumber::of(
        row.try_get("unit_id")?,
        row.try_get("indicator_id")?,
        parse_stored(Period::parse(&row.try_get::<String, _>("period")?))?,
        row.try_get("value_int")?,
        row.try_get("value_real")?,
    ))
}

impl Store {
    /// The values' generation now: raised by every transaction that writes values.
    pub async fn value_generation(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(GENERATION).fetch_one(self.pool()).await?)
    }

    /// The (unit, period) pairs written after generation `since`, up to `limit` of them.
    pub async fn value_changes_since(&self, since: i64, limit: usize) -> Result<ValueChanges, StoreError> {
        use sqlx::Row;
        let mut tx = self.pool().begin().await?;
        let generation: i64 = sqlx::query_scalar(GENERATION).fetch_one(&mut *tx).await?;
        let rows = sqlx::query(
            "SELECT DISTINCT unit_id, period FROM value_change WHERE generation > $1 AND generation <= $2 LIMIT $3",
        )
        .bind(since)
        .bind(generation)
        .bind(i64::try_from(limit.saturating_add(1)).unwrap_or(i64::MAX))
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        if rows.len() > limit {
            return Ok(ValueChanges {
                generation,
                pairs: None,
            });
        }
        let pairs = rows
            .iter()
            .map(|r| {
                Ok((
                    r.try_get::<i64, _>("unit_id")?,
                    parse_stored(Period::parse(&r.try_get::<String, _>("period")?))?,
                ))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(ValueChanges {
            generation,
            pairs: Some(pairs),
        })
    }

    /// The numbers stored now for each (unit id, period) pair: one statement per period
    /// and a few hundred units.
    pub async fn numbers_of(&self, pairs: &[(i64, Period)]) -> Result<Vec<StoredNumber>, StoreError> {
        const UNITS_PER_STATEMENT: usize = 500;
        let mut by_period: std::collections::BTreeMap<Period, Vec<i64>> = std::collections::BTreeMap::new();
        for (unit_id, period) in pairs {
            by_period.entry(*period).or_default().push(*unit_id);
        }
        let mut out = Vec::new();
        for (period, units) in by_period {
            for chunk in units.chunks(UNITS_PER_STATEMENT) {
                let sql = format!(
                    "SELECT unit_id, indicator_id, period, value_int, value_real FROM data_value
                     WHERE period = {} AND unit_id IN ({})",
                    self.backend().params(1, 1),
                    self.backend().params(2, chunk.len())
                );
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(period.code());
                for unit_id in chunk {
                    query = query.bind(*unit_id);
                }
                for row in &query.fetch_all(self.pool()).await? {
                    out.extend(stored_number(row)?);
                }
            }
        }
        Ok(out)
    }

    /// Every stored number, handed to `each` as it is read (never all held at once), with
    /// the generation they are as of. One read transaction, so the numbers and the
    /// generation agree. Read past the `Any` driver (crate::scan); an in-memory SQLite
    /// database has no file to read, and no store opens on one (each pooled connection
    /// would be a database of its own).
    pub async fn each_number(&self, each: impl FnMut(StoredNumber)) -> Result<i64, StoreError> {
        match (self.backend(), self.url().sqlite_file()) {
            (crate::Backend::Sqlite, Some(file)) => crate::scan::sqlite_file(file, each).await,
            (crate::Backend::Postgres, _) => crate::scan::postgres(self.url().expose(), each).await,
            (crate::Backend::Sqlite, None) => Err(StoreError::UnsupportedUrl(self.url().to_string())),
        }
    }

    /// The ids of the units and the indicators, by code.
    pub async fn ids(
        &self,
    ) -> Result<
        (
            std::collections::BTreeMap<String, i64>,
            std::collections::BTreeMap<String, i64>,
        ),
        StoreError,
    > {
        use crate::store::{Table, id_map};
        Ok((
            id_map(self.pool(), Table::Unit).await?,
            id_map(self.pool(), Table::Indicator).await?,
        ))
    }
}
