//! Test support: a fresh, empty database per test, on either backend, removed when the
//! test ends. PostgreSQL tests create their own database on the server named by
//! `THIDUA_TEST_POSTGRES` (default `postgres://postgres@127.0.0.1:5432/test`); when that
//! server cannot be reached they are skipped — except under `CI=true`, where an
//! unreachable PostgreSQL fails the test, so CI never passes by skipping.

pub mod statements;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::{Connection, Executor};

use crate::{Backend, DatabaseUrl, Store};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Turns each listed `async fn name(backend: Backend)` into two tests, `sqlite::name` and
/// `postgres::name`, so one suite covers both backends.
#[macro_export]
macro_rules! on_both_backends {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $test() {
                super::$test($crate::Backend::Sqlite).await
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $test() {
                super::$test($crate::Backend::Postgres).await
            })*
        }
    };
}

/// The PostgreSQL server tests use.
pub fn postgres_admin_url() -> String {
    std::env::var("THIDUA_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

fn unique_name() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "thidua_test_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        nanos
    )
}

/// A database that exists for one test.
#[derive(Debug)]
pub struct TestDatabase {
    /// Its URL, for handing to the CLI or the server.
    pub url: DatabaseUrl,
    /// The URL as text.
    pub url_text: String,
    /// The installation's secret key file for this database (in the temporary folder),
    /// for handing to the CLI or the server as `--key-file`.
    pub key_file: PathBuf,
    cleanup: Cleanup,
}

#[derive(Debug)]
enum Cleanup {
    File(PathBuf),
    Postgres { admin: String, name: String },
}

impl TestDatabase {
    /// A new database on `backend`, or `None` when PostgreSQL is unreachable outside CI.
    pub async fn new(backend: Backend) -> Option<TestDatabase> {
        match backend {
            Backend::Sqlite => Some(Self::sqlite()),
            Backend::Postgres => Self::postgres().await,
        }
    }

    /// A new SQLite file in the system's temporary folder.
    pub fn sqlite() -> TestDatabase {
        let path = std::env::temp_dir().join(format!("{}.db", unique_name()));
        let url_text = format!("sqlite://{}", path.display());
        TestDatabase {
            url: DatabaseUrl::parse(&url_text).unwrap_or_else(|e| panic!("test database URL: {e}")),
            url_text,
            key_file: PathBuf::from(format!("{}.key", path.display())),
            cleanup: Cleanup::File(path),
        }
    }

    /// A new database on the test PostgreSQL server.
    pub async fn postgres() -> Option<TestDatabase> {
        let admin = postgres_admin_url();
        let mut conn = match sqlx::PgConnection::connect(&admin).await {
            Ok(conn) => conn,
            Err(e) if std::env::var("CI").is_ok_and(|v| v == "true") => {
                panic!("PostgreSQL at {admin} is unreachable under CI=true: {e}")
            }
            Err(e) => {
                eprintln!("skipped: PostgreSQL at {admin} is unreachable ({e})");
                return None;
            }
        };
        let name = unique_name();
        conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await
            .unwrap_or_else(|e| panic!("creating test database {name}: {e}"));
        let _ = conn.close().await;
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(base, _)| base);
        let url_text = format!("{base}/{name}");
        Some(TestDatabase {
            url: DatabaseUrl::parse(&url_text).unwrap_or_else(|e| panic!("test database URL: {e}")),
            url_text,
            key_file: std::env::temp_dir().join(format!("{name}.key")),
            cleanup: Cleanup::Postgres { admin, name },
        })
    }

    /// Opens the store on this database (running migrations).
    pub async fn store(&self) -> Store {
        let key = crate::ServerKey::load_or_create(&self.key_file)
            .unwrap_or_else(|e| panic!("key file of {}: {e}", self.url));
        Store::connect_with_key(&self.url, key)
            .await
            .unwrap_or_else(|e| panic!("opening {}: {e}", self.url))
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm", ".key"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::Postgres { admin, name } => {
                let _ = std::fs::remove_file(&self.key_file);
                // Drop runs inside the test's runtime; a thread with its own runtime can
                // still wait for the DROP to finish.
                let (admin, db) = (admin.clone(), name.clone());
                let dropped = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .ok()?;
                    runtime.block_on(async {
                        let mut conn = sqlx::PgConnection::connect(&admin).await.ok()?;
                        conn.execute(sqlx::AssertSqlSafe(format!(
                            "DROP DATABASE IF EXISTS {db} WITH (FORCE)"
                        )))
                        .await
                        .ok()
                    })
                })
                .join();
                if !matches!(dropped, Ok(Some(_))) {
                    eprintln!("could not drop test database {name}");
                }
            }
        }
    }
}

impl Store {
    /// The store's pool, for a test's own SQL — the reference a test compares the
    /// product's answers with.
    pub fn pool_for_tests(&self) -> &sqlx::AnyPool {
        self.pool()
    }
}
