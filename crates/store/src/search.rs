//! Tìm kiếm — units, clusters and indicators by name or code, without diacritics.

use sqlx::Row;
use thidua_core::text::{matches_search, search_key};

use crate::error::StoreError;
use crate::store::Store;

/// One search result.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SearchHit {
    /// `unit`, `indicator` or `cluster`.
    pub kind: &'static str,
    /// Its code.
    pub code: String,
    /// Its Vietnamese name.
    pub name: String,
}

impl Store {
    /// Finds units, clusters and indicators whose name or code matches every word of
    /// `query`, ignoring diacritics and case ("ha dong" finds "Hà Đông").
    pub async fn search(&self, query: &str, limit: usize) -> Result<Vec<SearchHit>, StoreError> {
        let key = search_key(query);
        let Some(first) = key.split_whitespace().max_by_key(|w| w.len()) else {
            return Ok(Vec::new());
        };
        // The longest word narrows the scan in SQL; the rest are checked here.
        let pattern = format!("%{}%", first.replace(['%', '_'], ""));
        let mut hits = Vec::new();
        for (kind, sql) in [
            (
                "cluster",
                "SELECT DISTINCT code, name FROM cluster WHERE search_key LIKE $1 OR lower(code) LIKE $1 ORDER BY code",
            ),
            (
                "unit",
                "SELECT code, name FROM unit WHERE search_key LIKE $1 OR lower(code) LIKE $1 ORDER BY code",
            ),
            (
                "indicator",
                "SELECT code, name FROM indicator WHERE search_key LIKE $1 OR lower(code) LIKE $1 ORDER BY position",
            ),
        ] {
            let rows = sqlx::query(sql).bind(&pattern).fetch_all(self.pool()).await?;
            for row in rows {
                let code: String = row.try_get("code")?;
                let name: String = row.try_get("name")?;
                if matches_search(&format!("{name} {code}"), query) {
                    hits.push(SearchHit { kind, code, name });
                }
            }
        }
        hits.truncate(limit);
        Ok(hits)
    }
}
