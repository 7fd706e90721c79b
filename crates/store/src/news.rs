//! Report templates edited by users, the register that numbers issued documents (sổ
//! đăng ký văn bản đi), and the articles of the public news page (tin tức).

use chrono::{NaiveDateTime, Utc};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::error::StoreError;
use crate::store::Store;

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
    /// The stored template of that name, if a user saved one.
    pub async fn report_template(&self, name: &str) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT body FROM report_template WHERE name = $1")
            .bind(name)
            .fetch_optional(self.pool())
            .await?)
    }

    /// Saves a template (the caller has checked that it renders).
    pub async fn save_report_template(&self, name: &str, body: &str, by: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO report_template (name, body, updated_at, updated_by) VALUES ($1, $2, $3, $4)
             ON CONFLICT (name) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        )
        .bind(name)
        .bind(body)
        .bind(Utc::now().to_rfc3339())
        .bind(by)
        .execute(self.pool())
        .await?;
        Ok(())
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
