//! Schema migrations, one list per backend, applied in order inside a transaction each.
//! We keep our own small runner instead of sqlx's `migrate!` macro so the build does not
//! need sqlx's macro crate, and because the two backends need two folders anyway.

use sqlx::AnyPool;

use crate::error::StoreError;
use crate::store::Backend;

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "catalog_and_values",
        sqlite: include_str!("../migrations/sqlite/0001_catalog_and_values.sql"),
        postgres: include_str!("../migrations/postgres/0001_catalog_and_values.sql"),
    },
    Migration {
        version: 2,
        name: "accounts_workflow_audit",
        sqlite: include_str!("../migrations/sqlite/0002_accounts_workflow_audit.sql"),
        postgres: include_str!("../migrations/postgres/0002_accounts_workflow_audit.sql"),
    },
    Migration {
        version: 3,
        name: "conference",
        sqlite: include_str!("../migrations/sqlite/0003_conference.sql"),
        postgres: include_str!("../migrations/postgres/0003_conference.sql"),
    },
    Migration {
        version: 4,
        name: "templates_news",
        sqlite: include_str!("../migrations/sqlite/0004_templates_news.sql"),
        postgres: include_str!("../migrations/postgres/0004_templates_news.sql"),
    },
    Migration {
        version: 5,
        name: "emulation",
        sqlite: include_str!("../migrations/sqlite/0005_emulation.sql"),
        postgres: include_str!("../migrations/postgres/0005_emulation.sql"),
    },
    Migration {
        version: 6,
        name: "document_register",
        sqlite: include_str!("../migrations/sqlite/0006_document_register.sql"),
        postgres: include_str!("../migrations/postgres/0006_document_register.sql"),
    },
    Migration {
        version: 7,
        name: "server_key",
        sqlite: include_str!("../migrations/sqlite/0007_server_key.sql"),
        postgres: include_str!("../migrations/postgres/0007_server_key.sql"),
    },
    Migration {
        version: 8,
        name: "sealed_ballots",
        sqlite: include_str!("../migrations/sqlite/0008_sealed_ballots.sql"),
        postgres: include_str!("../migrations/postgres/0008_sealed_ballots.sql"),
    },
    Migration {
        version: 9,
        name: "audit_chain",
        sqlite: include_str!("../migrations/sqlite/0009_audit_chain.sql"),
        postgres: include_str!("../migrations/postgres/0009_audit_chain.sql"),
    },
    Migration {
        version: 10,
        name: "login_throttle",
        sqlite: include_str!("../migrations/sqlite/0010_login_throttle.sql"),
        postgres: include_str!("../migrations/postgres/0010_login_throttle.sql"),
    },
    Migration {
        version: 11,
        name: "scoped_templates",
        sqlite: include_str!("../migrations/sqlite/0011_scoped_templates.sql"),
        postgres: include_str!("../migrations/postgres/0011_scoped_templates.sql"),
    },
    Migration {
        version: 12,
        name: "directory_version",
        sqlite: include_str!("../migrations/sqlite/0012_directory_version.sql"),
        postgres: include_str!("../migrations/postgres/0012_directory_version.sql"),
    },
    Migration {
        version: 13,
        name: "value_generation",
        sqlite: include_str!("../migrations/sqlite/0013_value_generation.sql"),
        postgres: include_str!("../migrations/postgres/0013_value_generation.sql"),
    },
    Migration {
        version: 14,
        name: "unit_changes",
        sqlite: include_str!("../migrations/sqlite/0014_unit_changes.sql"),
        postgres: include_str!("../migrations/postgres/0014_unit_changes.sql"),
    },
    Migration {
        version: 15,
        name: "api_tokens",
        sqlite: include_str!("../migrations/sqlite/0015_api_tokens.sql"),
        postgres: include_str!("../migrations/postgres/0015_api_tokens.sql"),
    },
    Migration {
        version: 16,
        name: "api_token_expiry",
        sqlite: include_str!("../migrations/sqlite/0016_api_token_expiry.sql"),
        postgres: include_str!("../migrations/postgres/0016_api_token_expiry.sql"),
    },
    Migration {
        version: 17,
        name: "signers",
        sqlite: include_str!("../migrations/sqlite/0017_signers.sql"),
        postgres: include_str!("../migrations/postgres/0017_signers.sql"),
    },
    Migration {
        version: 18,
        name: "notifications",
        sqlite: include_str!("../migrations/sqlite/0018_notifications.sql"),
        postgres: include_str!("../migrations/postgres/0018_notifications.sql"),
    },
    Migration {
        version: 19,
        name: "account_search",
        sqlite: include_str!("../migrations/sqlite/0019_account_search.sql"),
        postgres: include_str!("../migrations/postgres/0019_account_search.sql"),
    },
];

/// Brings the schema up to date; a no-op when it already is.
pub(crate) async fn run(pool: &AnyPool, backend: Backend) -> Result<(), StoreError> {
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migration (
            version BIGINT PRIMARY KEY,
            name TEXT NOT NULL,
            applied_at TEXT NOT NULL
        )",
    )
    .execute(pool)
    .await?;
    for migration in MIGRATIONS {
        let mut tx = pool.begin().await?;
        // Taking the row lock first makes two processes starting at once apply each
        // migration once: the loser waits, then sees the row.
        let applied: Option<i64> = sqlx::query_scalar("SELECT version FROM schema_migration WHERE version = $1")
            .bind(migration.version)
            .fetch_optional(&mut *tx)
            .await?;
        if applied.is_some() {
            continue;
        }
        tracing::info!(version = migration.version, name = migration.name, "applying migration");
        let sql = match backend {
            Backend::Sqlite => migration.sqlite,
            Backend::Postgres => migration.postgres,
        };
        sqlx::raw_sql(sql).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO schema_migration (version, name, applied_at) VALUES ($1, $2, $3)")
            .bind(migration.version)
            .bind(migration.name)
            .bind(chrono::Utc::now().to_rfc3339())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
    }
    Ok(())
}
