//! Report templates edited by users, one per cluster (mẫu báo cáo của cụm): read, and
//! saved with an audit entry holding the SHA-256 of the old and the new text.

use sha2::{Digest, Sha256};
use sqlx::Row;
use thidua_core::ClusterCode;

use crate::emulation::{Actor, AuditEntry, audit, now};
use crate::error::StoreError;
use crate::store::Store;

/// A cluster's own template, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterTemplate {
    /// The template's text.
    pub body: String,
    /// Its SHA-256, hex: what the audit trail records of each version.
    pub sha256: String,
    /// When it was saved, RFC 3339.
    pub updated_at: String,
    /// By whom (login).
    pub updated_by: String,
}

/// The SHA-256 of a template's text, hex.
pub fn template_sha256(body: &str) -> String {
    crate::secret::hex(&Sha256::digest(body.as_bytes()))
}

impl Store {
    /// The template `name` (`review`) a cluster saved, if it saved one; without it the
    /// caller uses the template shipped with thidua.
    pub async fn cluster_template(
        &self,
        cluster: &ClusterCode,
        name: &str,
    ) -> Result<Option<ClusterTemplate>, StoreError> {
        let row = sqlx::query(
            "SELECT body, sha256, updated_at, updated_by FROM cluster_template WHERE cluster = $1 AND name = $2",
        )
        .bind(cluster.as_str())
        .bind(name)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| {
            Ok(ClusterTemplate {
                body: r.try_get("body")?,
                sha256: r.try_get("sha256")?,
                updated_at: r.try_get("updated_at")?,
                updated_by: r.try_get("updated_by")?,
            })
        })
        .transpose()
    }

    /// Saves a cluster's template `name` (the caller has checked who may, and that it
    /// renders within its limits), with an entry in the audit trail holding the SHA-256
    /// of the template it replaces (none before the first save) and of the new one.
    pub async fn save_cluster_template(
        &self,
        actor: &Actor,
        cluster: &ClusterCode,
        name: &str,
        body: &str,
    ) -> Result<ClusterTemplate, StoreError> {
        let sha256 = template_sha256(body);
        let at = now();
        let mut tx = self.begin_write().await?;
        let old: Option<String> =
            sqlx::query_scalar("SELECT sha256 FROM cluster_template WHERE cluster = $1 AND name = $2")
                .bind(cluster.as_str())
                .bind(name)
                .fetch_optional(&mut *tx)
                .await?;
        sqlx::query(
            "INSERT INTO cluster_template (cluster, name, body, sha256, updated_at, updated_by)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (cluster, name) DO UPDATE SET body = excluded.body, sha256 = excluded.sha256,
                 updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        )
        .bind(cluster.as_str())
        .bind(name)
        .bind(body)
        .bind(&sha256)
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
                action: "template",
                subject: format!("template:{cluster}/{name}"),
                unit: None,
                old: old.map(|h| format!("sha256:{h}")),
                new: Some(format!("sha256:{sha256}")),
                reason: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(ClusterTemplate {
            body: body.to_owned(),
            sha256,
            updated_at: at,
            updated_by: actor.login.clone(),
        })
    }
}
