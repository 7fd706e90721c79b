//! Người ký văn bản — a cluster's signers for a year (`cluster_signers`), read and saved
//! whole, each save with an entry in the audit trail (`signers:CLUSTER/YEAR`).

use sqlx::Row;
use thidua_core::ClusterCode;
use thidua_core::signers::{Signer, Signers};

use crate::emulation::{Actor, AuditEntry, audit, now, year_of};
use crate::error::StoreError;
use crate::store::Store;

/// The signers as one line of the audit trail.
fn summary(s: &Signers) -> String {
    format!(
        "{} / {} / {}; thư ký {}; tổ trưởng tổ kiểm phiếu {}",
        s.chair.authority, s.chair.title, s.chair.name, s.secretary, s.teller
    )
}

impl Store {
    /// The signers `cluster` recorded for `year`, if it recorded them.
    pub async fn signers(&self, cluster: &ClusterCode, year: i32) -> Result<Option<Signers>, StoreError> {
        let row = sqlx::query(
            "SELECT year, chair_authority, chair_title, chair_name, secretary, teller FROM cluster_signers
             WHERE cluster = $1 AND year = $2",
        )
        .bind(cluster.as_str())
        .bind(i64::from(year))
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| {
            Ok(Signers {
                cluster: cluster.clone(),
                year: year_of(r.try_get("year")?)?,
                chair: Signer {
                    authority: r.try_get("chair_authority")?,
                    title: r.try_get("chair_title")?,
                    name: r.try_get("chair_name")?,
                },
                secretary: r.try_get("secretary")?,
                teller: r.try_get("teller")?,
            })
        })
        .transpose()
    }

    /// Saves (or replaces) a cluster's signers for a year, checked by
    /// [`Signers::validated`]; the caller has checked who may. The cluster must be
    /// constituted that year.
    pub async fn save_signers(&self, actor: &Actor, signers: Signers) -> Result<Signers, StoreError> {
        let signers = signers.validated()?;
        self.cluster(&signers.cluster, signers.year).await?;
        let old = self.signers(&signers.cluster, signers.year).await?;
        let at = now();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO cluster_signers (cluster, year, chair_authority, chair_title, chair_name, secretary, teller,
                 updated_at, updated_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (cluster, year) DO UPDATE SET chair_authority = excluded.chair_authority,
                 chair_title = excluded.chair_title, chair_name = excluded.chair_name,
                 secretary = excluded.secretary, teller = excluded.teller,
                 updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        )
        .bind(signers.cluster.as_str())
        .bind(i64::from(signers.year))
        .bind(&signers.chair.authority)
        .bind(&signers.chair.title)
        .bind(&signers.chair.name)
        .bind(&signers.secretary)
        .bind(&signers.teller)
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
                action: "signers",
                subject: format!("signers:{}/{}", signers.cluster, signers.year),
                unit: None,
                old: old.as_ref().map(summary),
                new: Some(summary(&signers)),
                reason: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(signers)
    }
}
