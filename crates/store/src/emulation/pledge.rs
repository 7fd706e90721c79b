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
            self.key(),
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

    /// Changes a cluster's pledge for a year in one transaction: `edit` gets the stored
    /// pledge (or a new one, "Giao ước thi đua năm …", when none was saved) and what it
    /// returns is checked as [`Store::save_pledge`] checks and saved. The row is locked
    /// while it is edited, so members registering at the same moment each keep their
    /// registration — a read-then-save from outside would let the later save drop the
    /// other's.
    pub async fn update_pledge<F>(
        &self,
        actor: &Actor,
        cluster: &ClusterCode,
        year: i32,
        edit: F,
    ) -> Result<Pledge, StoreError>
    where
        F: FnOnce(Pledge) -> Result<Pledge, StoreError> + Send,
    {
        let constituted = self.cluster(cluster, year).await?;
        let catalog = self.catalog().await?;
        let fresh = Pledge {
            cluster: cluster.clone(),
            year,
            title: format!("Giao ước thi đua năm {year}"),
            signed_on: None,
            place: String::new(),
            commitments: Vec::new(),
            members: Vec::new(),
        };
        let at = now();
        let mut tx = self.begin_write().await?;
        // A first edit creates the row; one arriving meanwhile waits for it, then edits it.
        sqlx::query(
            "INSERT INTO pledge (cluster, year, signed_on, record, updated_at, updated_by) VALUES ($1, $2, NULL, $3, $4, $5)
             ON CONFLICT (cluster, year) DO NOTHING",
        )
        .bind(cluster.as_str())
        .bind(i64::from(year))
        .bind(serde_json::to_string(&fresh).map_err(StoreError::corrupt)?)
        .bind(&at)
        .bind(&actor.login)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE pledge SET year = year WHERE cluster = $1 AND year = $2")
            .bind(cluster.as_str())
            .bind(i64::from(year))
            .execute(&mut *tx)
            .await?;
        let record: String = sqlx::query_scalar("SELECT record FROM pledge WHERE cluster = $1 AND year = $2")
            .bind(cluster.as_str())
            .bind(i64::from(year))
            .fetch_one(&mut *tx)
            .await?;
        let current: Pledge = serde_json::from_str(&record).map_err(StoreError::corrupt)?;
        let pledge = edit(current)?.validated(&constituted, &catalog)?;
        sqlx::query(
            "UPDATE pledge SET signed_on = $1, record = $2, updated_at = $3, updated_by = $4 WHERE cluster = $5 AND year = $6",
        )
        .bind(pledge.signed_on.map(|d| d.to_string()))
        .bind(serde_json::to_string(&pledge).map_err(StoreError::corrupt)?)
        .bind(&at)
        .bind(&actor.login)
        .bind(cluster.as_str())
        .bind(i64::from(year))
        .execute(&mut *tx)
        .await?;
        audit(
            &mut tx,
            self.key(),
            actor,
            &at,
            AuditEntry {
                action: "pledge",
                subject: format!("pledge:{cluster}/{year}"),
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
