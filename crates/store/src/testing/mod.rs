//! Test support: a fresh, empty database per test, on either backend, removed when the
//! test ends. PostgreSQL tests create their own database on the server named by
//! `THIDUA_TEST_POSTGRES` (default `postgres://postgres@127.0.0.1:5432/test`); when that
//! server cannot be reached they are skipped — except under `CI=true`, where an
//! unreachable PostgreSQL fails the test, so CI never passes by skipping.
//!
//! Most tests start from the same prepared database (the demo, its accounts, the current
//! year's workflow). Preparing it costs about a second — the demo's imports and an argon2
//! hash per account — so each test process prepares it once per backend, as a template
//! ([`TestDatabase::from_template`]), and every test gets a copy of its own: the file
//! copied on SQLite, `CREATE DATABASE … TEMPLATE` on PostgreSQL. A test still owns its
//! database and nothing it writes reaches another test. Templates outlive their process
//! (statics are never dropped); the next process to prepare one removes those of
//! processes that have ended, with any test database they left behind.

pub mod statements;

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use sqlx::{Connection, Executor};

use crate::{Backend, DatabaseUrl, Store};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// The prefix of every database and file the tests create; after it comes the process id.
const PREFIX: &str = "thidua_test_";

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
        "{PREFIX}{}_{}_{}",
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
        Self::postgres_copy_of(None).await
    }

    /// A new database on the test PostgreSQL server: empty, or a copy of `template`.
    ///
    /// A copy is made in one `CREATE DATABASE … TEMPLATE` rather than over an empty
    /// database: each database is some 300 files, and creating then dropping the empty
    /// one doubled the files every test made and removed — the filesystem's search for
    /// a free inode among recently deleted ones was the largest cost of the PostgreSQL
    /// tests.
    async fn postgres_copy_of(template: Option<&str>) -> Option<TestDatabase> {
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
        let create = match template {
            None => format!("CREATE DATABASE {name}"),
            Some(from) => format!("CREATE DATABASE {name} TEMPLATE {from}"),
        };
        conn.execute(sqlx::AssertSqlSafe(create))
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

/// A prepared database kept for the life of the test process, copied for each test.
type Templates = Mutex<HashMap<(&'static str, Backend), Arc<tokio::sync::OnceCell<TestDatabase>>>>;

static TEMPLATES: std::sync::LazyLock<Templates> = std::sync::LazyLock::new(|| Mutex::new(HashMap::new()));

impl TestDatabase {
    /// A database of its own for one test, holding what `prepare` writes into a fresh
    /// one: `prepare` runs once per `name` and backend in this process, on a template
    /// that is then copied for each caller. `None` when PostgreSQL is unreachable
    /// outside CI. Two callers must not give one name different preparations.
    pub async fn from_template<F, Fut>(backend: Backend, name: &'static str, prepare: F) -> Option<TestDatabase>
    where
        F: FnOnce(Store) -> Fut,
        Fut: Future<Output = ()>,
    {
        let cell = {
            let mut templates = TEMPLATES.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            Arc::clone(templates.entry((name, backend)).or_default())
        };
        // A preparation that panics leaves the cell empty: the next test tries again and
        // fails the same way, each with the panic's own message.
        let template = cell
            .get_or_try_init(|| async {
                remove_what_ended_processes_left().await;
                let Some(template) = TestDatabase::new(backend).await else {
                    return Err(());
                };
                let store = template.store().await;
                prepare(store.clone()).await;
                if backend == Backend::Sqlite {
                    // Everything into the main file, which is all that is copied.
                    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                        .execute(store.pool_for_tests())
                        .await
                        .unwrap_or_else(|e| panic!("checkpointing the template {name}: {e}"));
                }
                // PostgreSQL copies a template only while nobody is connected to it.
                store.close().await;
                Ok(template)
            })
            .await
            .ok()?;
        let copy = match &template.cleanup {
            Cleanup::File(from) => {
                let copy = TestDatabase::sqlite();
                if let Cleanup::File(to) = &copy.cleanup {
                    std::fs::copy(from, to).unwrap_or_else(|e| panic!("copying the template {name}: {e}"));
                }
                copy
            }
            Cleanup::Postgres { name: from, .. } => TestDatabase::postgres_copy_of(Some(from)).await?,
        };
        std::fs::copy(&template.key_file, &copy.key_file)
            .unwrap_or_else(|e| panic!("copying the key file of the template {name}: {e}"));
        Some(copy)
    }
}

/// The process id in the name of a test database or file, when it is one.
fn owner_process(name: &str) -> Option<u32> {
    name.strip_prefix(PREFIX)?.split(['_', '.']).next()?.parse().ok()
}

/// Whether the process with this id has ended (Linux's `/proc`; elsewhere nothing is
/// taken for ended).
fn has_ended(pid: u32) -> bool {
    std::path::Path::new("/proc/self").exists() && !std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// Removes the templates and test databases of test processes that have ended: their
/// files in the temporary folder and their PostgreSQL databases. Once per process.
async fn remove_what_ended_processes_left() {
    static DONE: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    DONE.get_or_init(|| async {
        if let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if owner_process(&name).is_some_and(has_ended) {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
        let admin = postgres_admin_url();
        let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await else {
            return;
        };
        let names: Vec<String> =
            sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 'thidua\\_test\\_%'")
                .fetch_all(&mut conn)
                .await
                .unwrap_or_default();
        for name in names.into_iter().filter(|n| owner_process(n).is_some_and(has_ended)) {
            let _ = conn
                .execute(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .await;
        }
        let _ = conn.close().await;
    })
    .await;
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
                // Drop runs inside the test's runtime, so the DROP runs on a thread with a
                // runtime of its own — not waited for: a DROP DATABASE takes 0,1–0,4 s, which
                // the test has no reason to spend. A drop the process's exit cuts short
                // leaves the database to the next test process, which removes what ended
                // processes left (`remove_what_ended_processes_left`).
                let (admin, db) = (admin.clone(), name.clone());
                std::thread::spawn(move || {
                    let dropped = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .ok()
                        .and_then(|runtime| {
                            runtime.block_on(async {
                                let mut conn = sqlx::PgConnection::connect(&admin).await.ok()?;
                                conn.execute(sqlx::AssertSqlSafe(format!(
                                    "DROP DATABASE IF EXISTS {db} WITH (FORCE)"
                                )))
                                .await
                                .ok()
                            })
                        });
                    if dropped.is_none() {
                        eprintln!("could not drop test database {db}");
                    }
                });
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
