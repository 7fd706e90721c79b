//! The database URL: parsed once, its backend known, its password never printed.

use std::fmt;

use crate::error::StoreError;
use crate::store::Backend;

/// A database URL: `sqlite://path.db` (created when missing) or `postgres://…`.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    url: String,
    backend: Backend,
    /// The SQLite file, when the database is one (not `:memory:`).
    sqlite_file: Option<String>,
}

impl DatabaseUrl {
    /// Parses a URL; a bare file path means SQLite.
    pub fn parse(raw: &str) -> Result<Self, StoreError> {
        let raw = raw.trim();
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(DatabaseUrl {
                url: raw.to_owned(),
                backend: Backend::Postgres,
                sqlite_file: None,
            });
        }
        let path = raw
            .strip_prefix("sqlite://")
            .or_else(|| raw.strip_prefix("sqlite:"))
            .unwrap_or(raw);
        if path.is_empty() || path.contains("://") {
            return Err(StoreError::UnsupportedUrl(raw.to_owned()));
        }
        // `mode=rwc` creates the file on first use, so every command works on a fresh machine.
        let url = if path == ":memory:" || path.contains('?') {
            format!("sqlite:{path}")
        } else {
            format!("sqlite:{path}?mode=rwc")
        };
        let file = path.split('?').next().unwrap_or(path);
        Ok(DatabaseUrl {
            url,
            backend: Backend::Sqlite,
            sqlite_file: (file != ":memory:" && !file.is_empty()).then(|| file.to_owned()),
        })
    }

    /// The backend the URL selects.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The installation's secret key for this database, from the default place: beside a
    /// SQLite file, `thidua.key` in the working directory for PostgreSQL, a key of this
    /// process alone for an in-memory database.
    pub fn default_key(&self) -> Result<crate::ServerKey, StoreError> {
        if self.backend == Backend::Sqlite && self.sqlite_file.is_none() {
            return crate::ServerKey::ephemeral();
        }
        crate::ServerKey::load_or_create(&crate::secret::default_key_path(self.sqlite_file.as_deref()))
    }

    /// The SQLite file, when the database is one (not `:memory:`).
    pub(crate) fn sqlite_file(&self) -> Option<&str> {
        self.sqlite_file.as_deref()
    }

    /// The full URL, password included: only for connecting.
    pub(crate) fn expose(&self) -> &str {
        &self.url
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Shows the URL with any password replaced by `***`.
impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some((scheme, rest)) = self.url.split_once("://") else {
            return f.write_str(&self.url);
        };
        match rest.split_once('@') {
            Some((credentials, host)) => {
                let user = credentials.split(':').next().unwrap_or("");
                let hidden = if credentials.contains(':') { ":***" } else { "" };
                write!(f, "{scheme}://{user}{hidden}@{host}")
            }
            None => f.write_str(&self.url),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_path_means_a_sqlite_file_created_on_first_use() {
        let url = DatabaseUrl::parse("thidua.db").unwrap();
        assert_eq!(url.backend(), Backend::Sqlite);
        assert_eq!(url.expose(), "sqlite:thidua.db?mode=rwc");
    }

    #[test]
    fn a_postgres_url_selects_postgres_and_hides_its_password() {
        let url = DatabaseUrl::parse("postgres://thidua:secret@db:5432/thidua").unwrap();
        assert_eq!(url.backend(), Backend::Postgres);
        assert_eq!(format!("{url:?}"), "postgres://thidua:***@db:5432/thidua");
        assert!(!url.to_string().contains("secret"));
    }

    #[test]
    fn an_unknown_scheme_is_a_clear_error() {
        let err = DatabaseUrl::parse("mysql://root@localhost/x")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("không được hỗ trợ"), "{err}");
    }
}
