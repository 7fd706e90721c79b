//! The storage API's connection: [`Store`] over one pool, its backend, its key, the
//! write transaction, and the row helpers every aggregate's module shares. Queries are
//! written once in SQL that SQLite and PostgreSQL both accept (`$n` parameters, `ON
//! CONFLICT`, recursive CTEs), run through sqlx's `Any` driver; only the migrations
//! differ per backend, the parameters of statements built with many of them
//! (`Backend::params`: anonymous `?` on SQLite), and the engine's read of every number
//! (`scan`). Each aggregate's queries live in its own module (`catalog`, `values`,
//! `search`, `forms`, `accounts`, `register`, `news`, `templates`, …).

use std::collections::BTreeMap;
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor, Row};
use thidua_core::{IndicatorCode, Period, UnitCode, Value};

use crate::error::StoreError;
use crate::migrate;
use crate::secret::ServerKey;
use crate::url::DatabaseUrl;

pub(crate) use crate::catalog::{load_catalog, load_rules, load_unit_tree};

/// Which database engine is behind the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// SQLite, embedded: the default, for one cluster on a laptop.
    Sqlite,
    /// PostgreSQL: production, for many clusters on a server.
    Postgres,
}

impl Backend {
    /// `count` query parameters numbered from `first`, comma-separated, as this engine
    /// reads them fastest: `$2, $3, …` on PostgreSQL, anonymous `?, ?, …` on SQLite.
    /// sqlx looks each numbered parameter up by name with `sqlite3_bind_parameter_name`,
    /// a linear scan, so a statement of many `$n` costs the square of its parameters
    /// (98% of an import's time once, 4% of it still in `value_change`'s inserts). A
    /// statement uses one style throughout: on SQLite `?` takes the position it appears
    /// in, so the binds go in the order the parameters are written.
    pub(crate) fn params(self, first: usize, count: usize) -> String {
        let mut sql = String::with_capacity(count * 4);
        for i in 0..count {
            if i > 0 {
                sql.push_str(", ");
            }
            match self {
                Backend::Sqlite => sql.push('?'),
                Backend::Postgres => {
                    sql.push('$');
                    sql.push_str(&(first + i).to_string());
                }
            }
        }
        sql
    }

    /// The `VALUES` list of a multi-row insert: `rows` groups of `width` parameters,
    /// numbered from 1 (`($1, $2), ($3, $4)` or `(?, ?), (?, ?)`).
    pub(crate) fn row_params(self, rows: usize, width: usize) -> String {
        let mut sql = String::with_capacity(rows * (width * 5 + 4));
        for row in 0..rows {
            if row > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            sql.push_str(&self.params(row * width + 1, width));
            sql.push(')');
        }
        sql
    }
}

/// The database of one thidua installation.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// Where the database is: a bulk import opens a PostgreSQL connection of its own for
    /// `COPY`, which sqlx's `Any` driver does not offer.
    url: std::sync::Arc<DatabaseUrl>,
    /// The installation's secret key (sealed ballots, the audit chain's MACs).
    key: std::sync::Arc<ServerKey>,
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
        crate::accounts::fill_search_keys(&pool).await?;
        key.check_against(&pool).await?;
        crate::audit::on_connect(&pool, backend, &key).await?;
        Ok(Store {
            pool,
            backend,
            url: std::sync::Arc::new(url.clone()),
            key: std::sync::Arc::new(key),
        })
    }

    /// Which engine this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub(crate) fn url(&self) -> &DatabaseUrl {
        &self.url
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
}

/// A value read back from the database must parse; if not, the database was edited by
/// hand or a bug wrote it, and we say so instead of panicking.
pub(crate) fn parse_stored<T>(parsed: Result<T, thidua_core::Error>) -> Result<T, StoreError> {
    parsed.map_err(StoreError::corrupt)
}

/// A stored value from its three columns (`value_int`, `value_real`, `value_text`), of
/// which at most one is set; `None` when none is.
pub(crate) fn value_from_columns(row: &AnyRow) -> Result<Option<Value>, StoreError> {
    value_from_named(row, ["value_int", "value_real", "value_text"])
}

/// A value from three columns of other names (whole, decimal, text), as a query that
/// reads a stored and a new value side by side names them.
pub(crate) fn value_from_named(row: &AnyRow, [whole, decimal, text]: [&str; 3]) -> Result<Option<Value>, StoreError> {
    Ok(
        match (
            row.try_get::<Option<i64>, _>(whole)?,
            row.try_get::<Option<f64>, _>(decimal)?,
            row.try_get::<Option<String>, _>(text)?,
        ) {
            (Some(n), _, _) => Some(Value::Whole(n)),
            (None, Some(x), _) => Some(Value::Decimal(x)),
            (None, None, Some(t)) => Some(Value::Text(t)),
            (None, None, None) => None,
        },
    )
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

#[cfg(test)]
mod tests {
    use super::Backend;

    #[test]
    fn parameters_are_numbered_on_postgresql_and_anonymous_on_sqlite() {
        assert_eq!(Backend::Postgres.params(2, 3), "$2, $3, $4");
        assert_eq!(Backend::Sqlite.params(2, 3), "?, ?, ?");
        assert_eq!(Backend::Postgres.row_params(2, 2), "($1, $2), ($3, $4)");
        assert_eq!(Backend::Sqlite.row_params(2, 2), "(?, ?), (?, ?)");
        assert_eq!(Backend::Sqlite.row_params(0, 3), "");
    }
}
