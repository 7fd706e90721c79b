//! The register that numbers a cluster's issued documents (sổ đăng ký văn bản đi): each
//! document — a cluster's review of a period — takes the next number of the cluster's
//! register for the year it is issued in, once; issuing it again keeps its number.

use chrono::NaiveDateTime;
use thidua_core::{ClusterCode, Period};

use crate::emulation::Actor;
use crate::error::StoreError;
use crate::store::Store;

/// Which document of the register: the cluster that issues it, the kind of document
/// (its symbol, "BC-CTĐ" for a review) and the period it is about. One type, so every
/// caller names a document the same way — the page and the CLI once keyed the same
/// review by two spellings of its period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentKey {
    /// The issuing cluster.
    pub cluster: ClusterCode,
    /// Ký hiệu văn bản — the kind of document ("BC-CTĐ").
    pub symbol: &'static str,
    /// The period the document is about.
    pub period: Period,
}

/// What an attempt to take a number gives.
pub(crate) enum Issue {
    /// The number the document has, or has just been given.
    Number(u32),
    /// Another transaction took the same number first: start again.
    Raced,
}

/// Gives `key` its number inside `tx`: the one it has, else the next of the cluster's
/// register for the year of `issued_at`. Two officers issuing at the same moment both read
/// the same largest number; the primary key refuses the second ([`Issue::Raced`]), whose
/// transaction must then be rolled back and begun again.
pub(crate) async fn issue_number(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    key: &DocumentKey,
    issued_at: NaiveDateTime,
    by: &Actor,
) -> Result<Issue, StoreError> {
    let period = key.period.code();
    let existing: Option<i64> =
        sqlx::query_scalar("SELECT number FROM document_number WHERE cluster = $1 AND symbol = $2 AND period = $3")
            .bind(key.cluster.as_str())
            .bind(key.symbol)
            .bind(&period)
            .fetch_optional(&mut **tx)
            .await?;
    if let Some(n) = existing {
        return Ok(Issue::Number(u32::try_from(n).map_err(StoreError::corrupt)?));
    }
    let year = i64::from(chrono::Datelike::year(&issued_at));
    let next: i64 = sqlx::query_scalar(
        "SELECT COALESCE(MAX(number), 0) + 1 FROM document_number WHERE cluster = $1 AND year = $2 AND symbol = $3",
    )
    .bind(key.cluster.as_str())
    .bind(year)
    .bind(key.symbol)
    .fetch_one(&mut **tx)
    .await?;
    let inserted = sqlx::query(
        "INSERT INTO document_number (cluster, year, symbol, number, period, issued_at, issued_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(key.cluster.as_str())
    .bind(year)
    .bind(key.symbol)
    .bind(next)
    .bind(&period)
    .bind(issued_at.format("%Y-%m-%dT%H:%M:%S").to_string())
    .bind(&by.login)
    .execute(&mut **tx)
    .await;
    match inserted {
        Ok(_) => Ok(Issue::Number(u32::try_from(next).map_err(StoreError::corrupt)?)),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(Issue::Raced),
        Err(e) => Err(e.into()),
    }
}

/// How many times a write that takes a number begins again after losing a race.
pub(crate) const ISSUE_TRIES: usize = 5;

/// The answer after [`ISSUE_TRIES`] lost races.
pub(crate) fn busy_register() -> StoreError {
    StoreError::Conflict("sổ văn bản đang được cấp số đồng thời, xin thử lại".into())
}

impl Store {
    /// The number `key` was issued with, if it has been issued.
    pub async fn document_number(&self, key: &DocumentKey) -> Result<Option<u32>, StoreError> {
        let n: Option<i64> =
            sqlx::query_scalar("SELECT number FROM document_number WHERE cluster = $1 AND symbol = $2 AND period = $3")
                .bind(key.cluster.as_str())
                .bind(key.symbol)
                .bind(key.period.code())
                .fetch_optional(self.pool())
                .await?;
        n.map(|n| u32::try_from(n).map_err(StoreError::corrupt)).transpose()
    }

    /// Issues `key`: the next number of the cluster's register for the year the document
    /// is issued in, or the number it already has — issuing twice never takes a second
    /// number.
    pub async fn issue_document_number(
        &self,
        key: &DocumentKey,
        issued_at: NaiveDateTime,
        by: &Actor,
    ) -> Result<u32, StoreError> {
        for _ in 0..ISSUE_TRIES {
            let mut tx = self.begin_write().await?;
            match issue_number(&mut tx, key, issued_at, by).await? {
                Issue::Number(n) => {
                    tx.commit().await?;
                    return Ok(n);
                }
                Issue::Raced => continue,
            }
        }
        Err(busy_register())
    }
}
