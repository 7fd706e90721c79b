//! Danh mục — the catalog: the unit tree, the clusters of every year with their members,
//! the indicators and the validation rules, and the directory's version that tells a
//! cache of the tree and clusters whether they changed.

use chrono::NaiveDate;
use sqlx::any::AnyRow;
use sqlx::{Executor, Row};
use thidua_core::{
    Aggregation, Catalog, Cluster, ClusterCode, Formula, Indicator, IndicatorCode, Unit, UnitCode, UnitTree,
    ValidationRule, ValueType,
};

use crate::error::StoreError;
use crate::store::{Store, parse_stored};

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

impl Store {
    /// The directory's version: a number that changes, in the same transaction, with
    /// every write of a unit, a cluster or a cluster's members, by any process (triggers
    /// of migration 0012 keep it). One indexed row: what a cache of [`Store::unit_tree`]
    /// and [`Store::clusters`] asks before each use.
    pub async fn directory_version(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT version FROM directory_version WHERE id = 1")
            .fetch_one(self.pool())
            .await?)
    }

    /// All units, as a checked tree.
    pub async fn unit_tree(&self) -> Result<UnitTree, StoreError> {
        load_unit_tree(self.pool()).await
    }

    /// The indicator catalog, in catalog order.
    pub async fn catalog(&self) -> Result<Catalog, StoreError> {
        load_catalog(self.pool()).await
    }

    /// The validation rules, naming the catalog's indicators in their messages.
    pub async fn rules(&self) -> Result<Vec<ValidationRule>, StoreError> {
        let catalog = load_catalog(self.pool()).await?;
        load_rules(self.pool(), &catalog).await
    }

    /// Every cluster of every year, newest year first, then by code. Two statements
    /// however many clusters there are: every page loads them all for its access check,
    /// and one statement per cluster made `/` run 616 of them for 306 clusters.
    pub async fn clusters(&self) -> Result<Vec<Cluster>, StoreError> {
        let rows = sqlx::query(concat!(cluster_select!(), " ORDER BY c.year DESC, c.code"))
            .fetch_all(self.pool())
            .await?;
        let member_rows = sqlx::query(
            "SELECT m.cluster_id, u.code FROM cluster_member m JOIN unit u ON u.id = m.unit_id
             ORDER BY m.cluster_id, m.position",
        )
        .fetch_all(self.pool())
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
            .fetch_all(self.pool())
            .await?;
        Ok(years.into_iter().filter_map(|y| i32::try_from(y).ok()).collect())
    }

    /// The cluster as constituted in `year`.
    pub async fn cluster(&self, code: &ClusterCode, year: i32) -> Result<Cluster, StoreError> {
        let id: Option<i64> = sqlx::query_scalar("SELECT id FROM cluster WHERE code = $1 AND year = $2")
            .bind(code.as_str())
            .bind(i64::from(year))
            .fetch_optional(self.pool())
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
            .fetch_one(self.pool())
            .await?;
        let members: Vec<String> = sqlx::query_scalar(
            "SELECT u.code FROM cluster_member m JOIN unit u ON u.id = m.unit_id WHERE m.cluster_id = $1 ORDER BY m.position",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        cluster_from_row(&row, &members)
    }
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

/// The validation rules, given the names of `catalog`'s indicators for their messages.
pub(crate) async fn load_rules<'e, E>(executor: E, catalog: &Catalog) -> Result<Vec<ValidationRule>, StoreError>
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
            .map(|rule| rule.with_names(|code| catalog.get(code).map(|i| i.name.clone())))
        })
        .collect()
}
