//! The articles of the public news page (tin tức): a review published by its cluster's
//! chair, with the number the register gives it, in one transaction.

use chrono::NaiveDateTime;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::emulation::Actor;
use crate::error::StoreError;
use crate::register::{DocumentKey, issue_number};
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
    /// Publishes an article; returns its id.
    pub async fn publish_article(&self, article: NewArticle, by: &Actor) -> Result<i64, StoreError> {
        let mut tx = self.begin_write().await?;
        let id = insert_article(&mut tx, &article, by).await?;
        tx.commit().await?;
        Ok(id)
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
}

impl Store {
    /// Issues `key` (its number in the register: the one it has, else the next) and
    /// publishes `article` as it, in one transaction: a published review always has its
    /// number, and a number is never taken by a review that was not published. Returns
    /// the number and the article's id.
    pub async fn publish_issued(
        &self,
        key: &DocumentKey,
        article: NewArticle,
        by: &Actor,
    ) -> Result<(u32, i64), StoreError> {
        for _ in 0..crate::register::ISSUE_TRIES {
            let mut tx = self.begin_write().await?;
            let number = match issue_number(&mut tx, key, article.published_at, by).await? {
                crate::register::Issue::Number(n) => n,
                crate::register::Issue::Raced => continue,
            };
            let id = insert_article(&mut tx, &article, by).await?;
            tx.commit().await?;
            return Ok((number, id));
        }
        Err(crate::register::busy_register())
    }
}

async fn insert_article(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    article: &NewArticle,
    by: &Actor,
) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO news_article (category, title, body, cluster, period, author, published_at, published_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(thidua_core::text::nfc(&article.category))
    .bind(thidua_core::text::nfc(&article.title))
    .bind(&article.body)
    .bind(&article.cluster)
    .bind(&article.period)
    .bind(thidua_core::text::nfc(&article.author))
    .bind(article.published_at.format("%Y-%m-%dT%H:%M:%S").to_string())
    .bind(&by.login)
    .fetch_one(&mut **tx)
    .await?)
}
