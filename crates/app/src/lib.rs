//! The use cases of thidua, between the delivery crates (web pages, JSON API, CLI) and
//! the store: each is one function here, called by every front that offers it, so the
//! CLI and the browser cannot drift apart. The dependency direction is
//! `cli, web → app → store, report → core`; this crate speaks neither HTTP nor the
//! terminal.
//!
//! [`App`] holds what the use cases share: the store, the directory of units and
//! clusters kept in memory between requests ([`directory`]), the rollup engine a server
//! keeps current ([`engine`]), and the slots that bound template rendering ([`review`]).

pub mod awards;
pub mod ballot;
pub mod cluster_workbook;
pub mod clusters;
pub mod comparisons;
pub mod criteria;
pub mod dhis2;
pub mod directory;
pub mod documents;
pub mod engine;
mod error;
pub mod forms;
pub mod mail;
pub mod notifications;
pub mod review;
pub mod rollups;
pub mod scoring;
pub mod signers;
pub mod todo;

use std::sync::Arc;

use thidua_core::Principal;
use thidua_store::Store;

pub use directory::{Context, Directory};
pub use error::Error;

/// How many reviews render at once, over all callers: each may take a core for the time
/// its fuel allows, and the machine keeps the others for everyone else's pages.
pub const RENDER_SLOTS: usize = 2;

/// The application: what every use case reaches. Cheap to clone (shared inside).
#[derive(Clone)]
pub struct App {
    store: Store,
    directory: Arc<directory::DirectoryCache>,
    engine: Option<Arc<engine::Engine>>,
    render_slots: Arc<tokio::sync::Semaphore>,
    mailer: Option<Arc<mail::Mailer>>,
}

impl App {
    /// The application of a server over an opened store: rollups are answered by the
    /// engine, which holds every number in memory and keeps it current.
    pub fn new(store: Store) -> App {
        App {
            store,
            directory: Arc::new(directory::DirectoryCache::default()),
            engine: Some(Arc::new(engine::Engine::default())),
            render_slots: Arc::new(tokio::sync::Semaphore::new(RENDER_SLOTS)),
            mailer: None,
        }
    }

    /// The application of one command (`thidua report`, `thidua rollup`): rollups read
    /// only the values they add up, since loading every number for one answer would cost
    /// more than it saves. The answers are the same (the engine is tested against them).
    pub fn for_one_command(store: Store) -> App {
        App {
            engine: None,
            ..App::new(store)
        }
    }

    /// The same application, mailing its notifications through `mailer`.
    pub fn with_mailer(self, mailer: Arc<mail::Mailer>) -> App {
        App {
            mailer: Some(mailer),
            ..self
        }
    }

    /// The mailer, when an SMTP server is configured.
    pub fn mailer(&self) -> Option<&mail::Mailer> {
        self.mailer.as_deref()
    }

    /// Wakes the mail sender, if there is one.
    pub fn nudge_mailer(&self) {
        if let Some(m) = self.mailer() {
            m.nudge();
        }
    }

    /// The rollup engine, in a server.
    pub fn engine(&self) -> Option<&engine::Engine> {
        self.engine.as_deref()
    }

    /// Builds the rollup engine now, so the first page after start-up does not wait for
    /// every number to be read; logs how long it took and what it holds.
    pub async fn warm_up(&self) -> Result<(), Error> {
        let Some(engine) = self.engine() else {
            return Ok(());
        };
        let started = std::time::Instant::now();
        let directory = self.directory().await?;
        engine.warm_up(&self.store, &directory).await?;
        let (values, bytes) = engine.size()?;
        tracing::info!(
            values,
            bytes,
            ms = started.elapsed().as_millis() as u64,
            "rollup engine ready"
        );
        Ok(())
    }

    /// The store, for what has no use case here yet.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The units and clusters as they are now: from memory, after one query that tells
    /// whether anything changed them since they were loaded (by this process or another).
    pub async fn directory(&self) -> Result<Arc<Directory>, Error> {
        self.directory.current(&self.store).await
    }

    /// Who acts, with the directory their rights are read against, built once per request.
    pub async fn context(&self, principal: Principal) -> Result<Context, Error> {
        Ok(Context {
            principal,
            directory: self.directory().await?,
        })
    }
}
