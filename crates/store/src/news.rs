//! Report templates edited by users (one per cluster: mẫu báo cáo của cụm), the register
//! that numbers issued documents (sổ đăng ký văn bản đi), and the articles of the public
//! news page (tin tức).

use chrono::NaiveDateTime;
use sha2::{Digest, Sha256};
use sqlx::Row;
use sqlx::any::AnyRow;
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

/// A published article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Article {
    /// Its id (the page's address).
    pub id: i64,
    /// Danh mục tin tức — its category.
    pub category: String,
    /// The headline.
    pub title: String,
    /// The body, plain text with blank lines between paragraphs.
    pub body: String,
    /// The cluster it reports on, if any.
    pub cluster: Option<String>,
    /// The period it reports on, if any.
    pub period: Option<String>,
    /// The signing unit ("Ủy ban MTTQ quận Hà Đông").
    pub author: String,
    /// When it was published (local time of the installation).
    pub published_at: NaiveDateTime,
}

/// An article to publish.
#[derive(Debug, Clone)]
pub struct NewArticle {
    /// Category.
    pub category: String,
    /// Headline.
    pub title: String,
    /// Body.
    pub body: String,
    /// Cluster reported on.
    pub cluster: Option<String>,
    /// Period reported on.
    pub period: Option<String>,
    /// Signing unit.
    pub author: String,
    /// Publication time.
    pub published_at: NaiveDateTime,
}

fn article_from_row(row: &AnyRow) -> Result<Article, StoreError> {
    Ok(Article {
        id: row.try_get("id")?,
        category: row.try_get("category")?,
        title: row.try_get("title")?,
        body: row.try_get("body")?,
        cluster: row.try_get("cluster")?,
        period: row.try_get("period")?,
        author: row.try_get("author")?,
        published_at: NaiveDateTime::parse_from_str(&row.try_get::<String, _>("published_at")?, "%Y-%m-%dT%H:%M:%S")
            .map_err(StoreError::corrupt)?,
    })
}

const ARTICLE_COLUMNS: &str =
    "SELECT id, category, title, body, cluster, period, author, published_at FROM news_article";

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

    /// Publishes an article; returns its id.
    pub async fn publish_article(&self, article: NewArticle, by: &str) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "INSERT INTO news_article (category, title, body, cluster, period, author, published_at, published_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(thidua_core::text::nfc(&article.category))
        .bind(thidua_core::text::nfc(&article.title))
        .bind(article.body)
        .bind(article.cluster)
        .bind(article.period)
        .bind(thidua_core::text::nfc(&article.author))
        .bind(article.published_at.format("%Y-%m-%dT%H:%M:%S").to_string())
        .bind(by)
        .fetch_one(self.pool())
        .await?)
    }

    /// Published articles, newest first.
    pub async fn articles(&self, limit: i64) -> Result<Vec<Article>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{ARTICLE_COLUMNS} ORDER BY published_at DESC, id DESC LIMIT $1"
        )))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(article_from_row).collect()
    }

    /// One article.
    pub async fn article(&self, id: i64) -> Result<Article, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("{ARTICLE_COLUMNS} WHERE id = $1")))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "bài viết",
                key: id.to_string(),
            })?;
        article_from_row(&row)
    }

    /// The number a cluster's document of that kind for `period` was issued with, if it
    /// has been issued.
    pub async fn document_number(&self, cluster: &str, symbol: &str, period: &str) -> Result<Option<u32>, StoreError> {
        let n: Option<i64> =
            sqlx::query_scalar("SELECT number FROM document_number WHERE cluster = $1 AND symbol = $2 AND period = $3")
                .bind(cluster)
                .bind(symbol)
                .bind(period)
                .fetch_optional(self.pool())
                .await?;
        n.map(|n| u32::try_from(n).map_err(StoreError::corrupt)).transpose()
    }

    /// Issues a cluster's document of that kind for `period`: the next number of the
    /// cluster's register for the year the document is issued in, or the number it
    /// already has — issuing twice never takes a second number.
    pub async fn issue_document_number(
        &self,
        cluster: &str,
        symbol: &str,
        period: &str,
        issued_at: NaiveDateTime,
        by: &str,
    ) -> Result<u32, StoreError> {
        let year = i64::from(chrono::Datelike::year(&issued_at));
        // Two officers issuing at the same moment both read the same largest number; the
        // primary key refuses the second, which then reads again.
        for _ in 0..5 {
            let mut tx = self.begin_write().await?;
            let existing: Option<i64> = sqlx::query_scalar(
                "SELECT number FROM document_number WHERE cluster = $1 AND symbol = $2 AND period = $3",
            )
            .bind(cluster)
            .bind(symbol)
            .bind(period)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(n) = existing {
                return u32::try_from(n).map_err(StoreError::corrupt);
            }
            let next: i64 = sqlx::query_scalar(
                "SELECT COALESCE(MAX(number), 0) + 1 FROM document_number WHERE cluster = $1 AND year = $2 AND symbol = $3",
            )
            .bind(cluster)
            .bind(year)
            .bind(symbol)
            .fetch_one(&mut *tx)
            .await?;
            let inserted = sqlx::query(
                "INSERT INTO document_number (cluster, year, symbol, number, period, issued_at, issued_by)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(cluster)
            .bind(year)
            .bind(symbol)
            .bind(next)
            .bind(period)
            .bind(issued_at.format("%Y-%m-%dT%H:%M:%S").to_string())
            .bind(by)
            .execute(&mut *tx)
            .await;
            match inserted {
                Ok(_) => {
                    tx.commit().await?;
                    return u32::try_from(next).map_err(StoreError::corrupt);
                }
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(StoreError::Conflict(
            "sổ văn bản đang được cấp số đồng thời, xin thử lại".into(),
        ))
    }
}
