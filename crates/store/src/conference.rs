//! Conference records: imported from a TOML file (the demo's is
//! `data/demo/conference.toml`), stored whole, found by cluster and period.

use chrono::Utc;
use sqlx::Row;
use thidua_core::conference::ConferenceKind;
use thidua_core::{ClusterCode, Conference, Period};

use crate::error::StoreError;
use crate::store::Store;

fn invalid(reason: String) -> StoreError {
    StoreError::Domain(thidua_core::Error::InvalidField {
        field: "tệp hội nghị",
        value: reason,
        expected: "tệp TOML như data/demo/conference.toml",
    })
}

impl Store {
    /// Imports (or replaces) a conference record from TOML; the cluster must exist in
    /// the period's year and the host must be one of its members.
    pub async fn import_conference_toml(&self, text: &str) -> Result<Conference, StoreError> {
        let conference: Conference =
            thidua_core::toml_file::parse("tệp biên bản hội nghị", "data/demo/conference.toml", text)?;
        self.save_conference(conference).await
    }

    /// Saves (or replaces) a conference record, checked as on import.
    pub async fn save_conference(&self, conference: Conference) -> Result<Conference, StoreError> {
        let conference = conference.validated()?;
        let cluster = self.cluster(&conference.cluster, conference.period.year()).await?;
        if let Some(host) = &conference.host
            && !cluster.has_member(host)
        {
            return Err(invalid(format!("đơn vị đăng cai {host} không thuộc {}", cluster.name)));
        }
        let record = serde_json::to_string(&conference).map_err(StoreError::corrupt)?;
        sqlx::query(
            "INSERT INTO conference (cluster, period, kind, held_on, record, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (cluster, period, kind) DO UPDATE SET held_on = excluded.held_on, record = excluded.record,
                 updated_at = excluded.updated_at",
        )
        .bind(conference.cluster.as_str())
        .bind(conference.period.code())
        .bind(conference.kind.as_str())
        .bind(conference.held_on.to_string())
        .bind(record)
        .bind(Utc::now().to_rfc3339())
        .execute(self.pool())
        .await?;
        Ok(conference)
    }

    /// The review conference (sơ kết or tổng kết) of a cluster for a period, if recorded.
    pub async fn review_conference(
        &self,
        cluster: &ClusterCode,
        period: Period,
    ) -> Result<Option<Conference>, StoreError> {
        let rows = sqlx::query("SELECT kind, record FROM conference WHERE cluster = $1 AND period = $2")
            .bind(cluster.as_str())
            .bind(period.code())
            .fetch_all(self.pool())
            .await?;
        for row in rows {
            let kind = ConferenceKind::parse(&row.try_get::<String, _>("kind")?)?;
            if kind != ConferenceKind::PledgeSigning {
                let record: String = row.try_get("record")?;
                return Ok(Some(serde_json::from_str(&record).map_err(StoreError::corrupt)?));
            }
        }
        Ok(None)
    }
}
