//! The storage API. Queries are written once in SQL that SQLite and PostgreSQL both
//! accept (`$n` parameters, `ON CONFLICT`, recursive CTEs), run through sqlx's `Any`
//! driver; only the migrations differ per backend.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::NaiveDate;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor, Row};
use thidua_core::rollup::{self, ClusterRollup, Figures};
use thidua_core::text::{matches_search, search_key};
use thidua_core::{
    Aggregation, Catalog, Cluster, ClusterCode, Formula, Indicator, IndicatorCode, Period, Unit, UnitCode, UnitTree,
    ValidationRule, Value, ValueType,
};

use crate::error::StoreError;
use crate::migrate;
use crate::secret::ServerKey;
use crate::url::DatabaseUrl;

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

/// The query of clusters' own rows with the codes of their chair, deputy and host, which
/// `cluster_from_row` reads; a `WHERE` or `ORDER BY` may follow.
macro_rules! cluster_select {
    () => {
        "SELECT c.id, c.code, c.name, c.year, ch.code AS chair, de.code AS deputy, ho.code AS host
         FROM cluster c
         LEFT JOIN unit ch ON ch.id = c.chair_id
         LEFT JOIN unit de ON de.id = c.deputy_id
         LEFT JOIN unit ho ON ho.id = c.host_id"
    };
}

/// A cluster from a row of `cluster_select!` and its members' codes, in order.
fn cluster_from_row(row: &AnyRow, members: &[String]) -> Result<Cluster, StoreError> {
    let unit_code = |c: Option<String>| c.map(|c| parse_stored(UnitCode::parse(&c))).transpose();
    Ok(Cluster {
        code: parse_stored(ClusterCode::parse(&row.try_get::<String, _>("code")?))?,
        name: row.try_get("name")?,
        year: i32::try_from(row.try_get::<i64, _>("year")?).map_err(StoreError::corrupt)?,
        members: members
            .iter()
            .map(|m| parse_stored(UnitCode::parse(m)))
            .collect::<Result<_, _>>()?,
        chair: unit_code(row.try_get("chair")?)?,
        deputy: unit_code(row.try_get("deputy")?)?,
        host: unit_code(row.try_get("host")?)?,
    })
}

/// Which database engine is behind the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// SQLite, embedded: the default, for one cluster on a laptop.
    Sqlite,
    /// PostgreSQL: production, for many clusters on a server.
    Postgres,
}

/// The database of one thidua installation.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// The installation's secret key (sealed ballots, the audit chain's MACs).
    key: std::sync::Arc<ServerKey>,
}

/// One search result.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SearchHit {
    /// `unit`, `indicator` or `cluster`.
    pub kind: &'static str,
    /// Its code.
    pub code: String,
    /// Its Vietnamese name.
    pub name: String,
}

impl Store {
    /// Opens the database, creating it (SQLite) and bringing its schema up to date, with
    /// the secret key from its default place ([`DatabaseUrl::default_key`]).
    pub async fn connect(url: &DatabaseUrl) -> Result<Store, StoreError> {
        Store::connect_with_key(url, url.default_key()?).await
    }

    /// Opens the database with the given secret key; refused when the database was first
    /// opened with another one.
    pub async fn connect_with_key(url: &DatabaseUrl, key: ServerKey) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = url.backend();
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 8 } else { 16 })
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // Set on every new connection: these are per-connection in SQLite.
                        conn.execute("PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 10000;")
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect(url.expose())
            .await?;
        migrate::run(&pool, backend).await?;
        key.check_against(&pool).await?;
        crate::audit::on_connect(&pool, backend, &key).await?;
        Ok(Store {
            pool,
            backend,
            key: std::sync::Arc::new(key),
        })
    }

    /// Which engine this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The installation's secret key.
    pub(crate) fn key(&self) -> &ServerKey {
        &self.key
    }

    /// Starts a transaction that will write. SQLite's default `BEGIN` takes the write
    /// lock only at the first write, and a reader that then tries to write fails at once
    /// with "database is locked" when another writer got in between (the load benchmark
    /// showed it); `BEGIN IMMEDIATE` queues for the lock up front, under `busy_timeout`.
    pub(crate) async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, StoreError> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// Closes every connection, waiting for them to finish.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// The directory's version: a number that changes, in the same transaction, with
    /// every write of a unit, a cluster or a cluster's members, by any process (triggers
    /// of migration 0012 keep it). One indexed row: what a cache of [`Store::unit_tree`]
    /// and [`Store::clusters`] asks before each use.
    pub async fn directory_version(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT version FROM directory_version WHERE id = 1")
            .fetch_one(&self.pool)
            .await?)
    }

    /// All units, as a checked tree.
    pub async fn unit_tree(&self) -> Result<UnitTree, StoreError> {
        load_unit_tree(&self.pool).await
    }

    /// The indicator catalog, in catalog order.
    pub async fn catalog(&self) -> Result<Catalog, StoreError> {
        load_catalog(&self.pool).await
    }

    /// The validation rules.
    pub async fn rules(&self) -> Result<Vec<ValidationRule>, StoreError> {
        load_rules(&self.pool).await
    }

    /// Every cluster of every year, newest year first, then by code. Two statements
    /// however many clusters there are: every page loads them all for its access check,
    /// and one statement per cluster made `/` run 616 of them for 306 clusters.
    pub async fn clusters(&self) -> Result<Vec<Cluster>, StoreError> {
        let rows = sqlx::query(concat!(cluster_select!(), " ORDER BY c.year DESC, c.code"))
            .fetch_all(&self.pool)
            .await?;
        let member_rows = sqlx::query(
            "SELECT m.cluster_id, u.code FROM cluster_member m JOIN unit u ON u.id = m.unit_id
             ORDER BY m.cluster_id, m.position",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut members: std::collections::HashMap<i64, Vec<String>> = std::collections::HashMap::new();
        for row in &member_rows {
            members
                .entry(row.try_get("cluster_id")?)
                .or_default()
                .push(row.try_get("code")?);
        }
        rows.iter()
            .map(|row| {
                let id: i64 = row.try_get("id")?;
                cluster_from_row(row, members.get(&id).map_or(&[][..], Vec::as_slice))
            })
            .collect()
    }

    /// The years a cluster code exists for, newest first.
    pub async fn cluster_years(&self, code: &ClusterCode) -> Result<Vec<i32>, StoreError> {
        let years: Vec<i64> = sqlx::query_scalar("SELECT year FROM cluster WHERE code = $1 ORDER BY year DESC")
            .bind(code.as_str())
            .fetch_all(&self.pool)
            .await?;
        Ok(years.into_iter().filter_map(|y| i32::try_from(y).ok()).collect())
    }

    /// The cluster as constituted in `year`.
    pub async fn cluster(&self, code: &ClusterCode, year: i32) -> Result<Cluster, StoreError> {
        let id: Option<i64> = sqlx::query_scalar("SELECT id FROM cluster WHERE code = $1 AND year = $2")
            .bind(code.as_str())
            .bind(i64::from(year))
            .fetch_optional(&self.pool)
            .await?;
        let id = id.ok_or_else(|| StoreError::NotFound {
            what: "cụm thi đua",
            key: format!("{code} năm {year}"),
        })?;
        self.cluster_by_id(id).await
    }

    async fn cluster_by_id(&self, id: i64) -> Result<Cluster, StoreError> {
        let row = sqlx::query(concat!(cluster_select!(), " WHERE c.id = $1"))
            .bind(id)
            .fetch_one(&self.pool)
            .await?;
        let members: Vec<String> = sqlx::query_scalar(
            "SELECT u.code FROM cluster_member m JOIN unit u ON u.id = m.unit_id WHERE m.cluster_id = $1 ORDER BY m.position",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        cluster_from_row(&row, &members)
    }

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
            .fetch_all(&self.pool)
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
            .fetch_all(&self.pool)
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
            .fetch_all(&self.pool)
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

    /// Finds units, clusters and indicators whose name or code matches every word of
    /// `query`, ignoring diacritics and case ("ha dong" finds "Hà Đông").
    pub async fn search(&self, query: &str, limit: usize) -> Result<Vec<SearchHit>, StoreError> {
        let key = search_key(query);
        let Some(first) = key.split_whitespace().max_by_key(|w| w.len()) else {
            return Ok(Vec::new());
        };
        // The longest word narrows the scan in SQL; the rest are checked here.
        let pattern = format!("%{}%", first.replace(['%', '_'], ""));
        let mut hits = Vec::new();
        for (kind, sql) in [
            (
                "cluster",
                "SELECT DISTINCT code, name FROM cluster WHERE search_key LIKE $1 OR lower(code) LIKE $1 ORDER BY code",
            ),
            (
                "unit",
                "SELECT code, name FROM unit WHERE search_key LIKE $1 OR lower(code) LIKE $1 ORDER BY code",
            ),
            (
                "indicator",
                "SELECT code, name FROM indicator WHERE search_key LIKE $1 OR lower(code) LIKE $1 ORDER BY position",
            ),
        ] {
            let rows = sqlx::query(sql).bind(&pattern).fetch_all(&self.pool).await?;
            for row in rows {
                let code: String = row.try_get("code")?;
                let name: String = row.try_get("name")?;
                if matches_search(&format!("{name} {code}"), query) {
                    hits.push(SearchHit { kind, code, name });
                }
            }
        }
        hits.truncate(limit);
        Ok(hits)
    }
}

/// A value read back from the database must parse; if not, the database was edited by
/// hand or a bug wrote it, and we say so instead of panicking.
pub(crate) fn parse_stored<T>(parsed: Result<T, thidua_core::Error>) -> Result<T, StoreError> {
    parsed.map_err(StoreError::corrupt)
}

/// A stored value from its three columns (`value_int`, `value_real`, `value_text`), of
/// which at most one is set; `None` when none is.
pub(crate) fn value_from_columns(row: &AnyRow) -> Result<Option<Value>, StoreError> {
    Ok(
        match (
            row.try_get::<Option<i64>, _>("value_int")?,
            row.try_get::<Option<f64>, _>("value_real")?,
            row.try_get::<Option<String>, _>("value_text")?,
        ) {
            (Some(n), _, _) => Some(Value::Whole(n)),
            (None, Some(x), _) => Some(Value::Decimal(x)),
            (None, None, Some(t)) => Some(Value::Text(t)),
            (None, None, None) => None,
        },
    )
}

/// The three columns a value is stored in.
pub(crate) fn value_columns(value: &Value) -> (Option<i64>, Option<f64>, Option<String>) {
    match value {
        Value::Whole(n) => (Some(*n), None, None),
        Value::Decimal(x) => (None, Some(*x), None),
        Value::Text(t) => (None, None, Some(t.clone())),
    }
}

pub(crate) fn data_value_from_row(row: &AnyRow) -> Result<thidua_core::DataValue, StoreError> {
    let value = value_from_columns(row)?.ok_or_else(|| StoreError::corrupt("giá trị trống trong bảng data_value"))?;
    Ok(thidua_core::DataValue {
        unit: parse_stored(UnitCode::parse(&row.try_get::<String, _>("unit")?))?,
        indicator: parse_stored(IndicatorCode::parse(&row.try_get::<String, _>("indicator")?))?,
        period: parse_stored(Period::parse(&row.try_get::<String, _>("period")?))?,
        value,
        comment: row.try_get("comment")?,
    })
}

fn parse_date(text: Option<String>) -> Result<Option<NaiveDate>, StoreError> {
    text.map(|t| NaiveDate::parse_from_str(&t, "%Y-%m-%d").map_err(StoreError::corrupt))
        .transpose()
}

pub(crate) async fn load_unit_tree<'e, E>(executor: E) -> Result<UnitTree, StoreError>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let rows = sqlx::query(
        "SELECT u.code, u.name, u.kind, p.code AS parent, u.valid_from, u.valid_to
         FROM unit u LEFT JOIN unit p ON p.id = u.parent_id",
    )
    .fetch_all(executor)
    .await?;
    let mut units = Vec::with_capacity(rows.len());
    for row in rows {
        units.push(Unit {
            code: parse_stored(UnitCode::parse(&row.try_get::<String, _>("code")?))?,
            name: row.try_get("name")?,
            kind: row.try_get("kind")?,
            parent: row
                .try_get::<Option<String>, _>("parent")?
                .map(|p| parse_stored(UnitCode::parse(&p)))
                .transpose()?,
            valid_from: parse_date(row.try_get("valid_from")?)?,
            valid_to: parse_date(row.try_get("valid_to")?)?,
        });
    }
    Ok(UnitTree::new(units)?)
}

pub(crate) async fn load_catalog<'e, E>(executor: E) -> Result<Catalog, StoreError>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let rows = sqlx::query(
        "SELECT code, name, measure, value_type, aggregation, formula, group_name FROM indicator ORDER BY position, id",
    )
    .fetch_all(executor)
    .await?;
    let mut indicators = Vec::with_capacity(rows.len());
    for row in rows {
        indicators.push(Indicator {
            code: parse_stored(IndicatorCode::parse(&row.try_get::<String, _>("code")?))?,
            name: row.try_get("name")?,
            measure: row.try_get("measure")?,
            value_type: parse_stored(ValueType::parse(&row.try_get::<String, _>("value_type")?))?,
            aggregation: parse_stored(Aggregation::parse(&row.try_get::<String, _>("aggregation")?))?,
            formula: row
                .try_get::<Option<String>, _>("formula")?
                .map(|f| parse_stored(Formula::parse(&f)))
                .transpose()?,
            group: row.try_get("group_name")?,
        });
    }
    Ok(Catalog::new(indicators)?)
}

pub(crate) async fn load_rules<'e, E>(executor: E) -> Result<Vec<ValidationRule>, StoreError>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let rows = sqlx::query("SELECT rule, message FROM validation_rule ORDER BY id")
        .fetch_all(executor)
        .await?;
    rows.iter()
        .map(|row| {
            parse_stored(ValidationRule::parse(
                &row.try_get::<String, _>("rule")?,
                row.try_get("message")?,
            ))
        })
        .collect()
}

/// Maps codes to row ids, for writing rows that refer to units or indicators.
pub(crate) async fn id_map<'e, E>(executor: E, table: Table) -> Result<BTreeMap<String, i64>, StoreError>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let sql = match table {
        Table::Unit => "SELECT code, id FROM unit",
        Table::Indicator => "SELECT code, id FROM indicator",
    };
    let rows = sqlx::query(sql).fetch_all(executor).await?;
    rows.iter()
        .map(|r| Ok((r.try_get("code")?, r.try_get("id")?)))
        .collect()
}

/// Tables whose rows are looked up by code.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Table {
    Unit,
    Indicator,
}
