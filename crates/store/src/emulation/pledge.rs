//! Giao ước thi đua in the database: one per cluster and year, kept whole as JSON, as a
//! conference record is — it is read, edited and printed whole.

use sqlx::Row;
use thidua_core::ClusterCode;
use thidua_core::emulation::Pledge;

use super::{Actor, AuditEntry, audit, now};
use crate::error::StoreError;
use crate::store::Store;

impl Store {
    /// Saves (or replaces) a cluster's pledge for a year, checked against the cluster as
    /// constituted that year and the indicator catalog.
    pub async fn save_pledge(&self, actor: &Actor, pledge: Pledge) -> Result<Pledge, StoreError> {
        let cluster = self.cluster(&pledge.cluster, pledge.year).await?;
        let pledge = pledge.validated(&cluster, &self.catalog().await?)?;
        let record = serde_json::to_string(&pledge).map_err(StoreError::corrupt)?;
        let at = now();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO pledge (cluster, year, signed_on, record, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (cluster, year) DO UPDATE SET signed_on = excluded.signed_on, record = excluded.record,
                 updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        )
        .bind(pledge.cluster.as_str())
        .bind(i64::from(pledge.year))
        .bind(pledge.signed_on.map(|d| d.to_string()))
        .bind(&record)
        .bind(&at)
        .bind(&actor.login)
        .execute(&mut *tx)
        .await?;
        audit(
            &mut tx,
            actor,
            &at,
            AuditEntry {
                action: "pledge",
                subject: format!("pledge:{}/{}", pledge.cluster, pledge.year),
                unit: None,
                old: None,
                new: Some(format!("{} đơn vị đăng ký", pledge.members.len())),
                reason: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(pledge)
    }

    /// A cluster's pledge for a year, if one was saved.
    pub async fn pledge(&self, cluster: &ClusterCode, year: i32) -> Result<Option<Pledge>, StoreError> {
        let row = sqlx::query("SELECT record FROM pledge WHERE cluster = $1 AND year = $2")
            .bind(cluster.as_str())
            .bind(i64::from(year))
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| {
            let record: String = r.try_get("record")?;
            serde_json::from_str(&record).map_err(StoreError::corrupt)
        })
        .transpose()
    }
}
