//! Danh mục đơn vị và cụm — the unit tree and every cluster of every year, which every
//! request reads to decide what its caller may see and do. Loading them costs a query per
//! table and grows with the country; they change a few times a year. So each process
//! keeps them in memory and, per request, asks the database one number: the directory's
//! version, which the database itself raises (by trigger) with every write of a unit, a
//! cluster, a membership or an indicator, whichever process or tool makes it. Only a new
//! number reloads. The indicators' catalog is kept with them for the same reason: every
//! rollup reads it, and reading it from the database was a query and a parse of every
//! formula per request.

use std::sync::{Arc, RwLock};

use thidua_core::lineage::Lineage;
use thidua_core::{Access, Catalog, Cluster, ClusterCode, Principal, UnitTree};
use thidua_store::Store;

use crate::Error;

/// The units and clusters as of one version of the database.
#[derive(Debug)]
pub struct Directory {
    /// All units.
    pub tree: UnitTree,
    /// All clusters of all years, newest year first, then by code.
    pub clusters: Vec<Cluster>,
    /// Every reorganisation of the units, for the two views of history.
    pub lineage: Lineage,
    /// Danh mục chỉ tiêu — the indicators, formulas parsed; shared, since every rollup
    /// view hands it on with its figures.
    pub catalog: Arc<Catalog>,
    /// The database's directory version these were loaded at (or after).
    version: i64,
}

impl Directory {
    /// The access rules for one principal over this directory.
    pub fn access<'a>(&'a self, principal: &'a Principal) -> Access<'a> {
        Access::new(principal, &self.tree, &self.clusters)
    }

    /// The cluster `code` as constituted in `year`.
    pub fn cluster(&self, code: &ClusterCode, year: i32) -> Option<&Cluster> {
        self.clusters.iter().find(|c| &c.code == code && c.year == year)
    }

    /// The cluster `code` as constituted in its latest year.
    pub fn latest(&self, code: &ClusterCode) -> Option<&Cluster> {
        self.clusters.iter().filter(|c| &c.code == code).max_by_key(|c| c.year)
    }

    /// The version of the database this was loaded at.
    pub fn version(&self) -> i64 {
        self.version
    }
}

/// The caller of a use case — người thao tác: who acts, and the directory their rights are
/// read against, built once per request.
#[derive(Debug, Clone)]
pub struct Context {
    /// Who acts.
    pub principal: Principal,
    /// The units and clusters as of this request.
    pub directory: Arc<Directory>,
}

impl Context {
    /// The caller's rules.
    pub fn access(&self) -> Access<'_> {
        self.directory.access(&self.principal)
    }
}

/// The directory kept between requests, reloaded when the database's version moves.
#[derive(Default)]
pub(crate) struct DirectoryCache {
    current: RwLock<Option<Arc<Directory>>>,
    /// One reload at a time: the requests that find the directory stale together wait for
    /// one load instead of each making their own.
    reloading: tokio::sync::Mutex<()>,
}

impl DirectoryCache {
    fn cached(&self, version: i64) -> Option<Arc<Directory>> {
        let current = self.current.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        current.as_ref().filter(|d| d.version == version).cloned()
    }

    /// The directory as of the database's current version.
    pub(crate) async fn current(&self, store: &Store) -> Result<Arc<Directory>, Error> {
        let version = store.directory_version().await?;
        if let Some(directory) = self.cached(version) {
            return Ok(directory);
        }
        let _one = self.reloading.lock().await;
        if let Some(directory) = self.cached(version) {
            return Ok(directory);
        }
        // Loaded after `version` was read, so at least as new as it. A write landing
        // between the two raises the version again, and the next request reloads: what is
        // kept is never older than the number it is kept under.
        let (tree, clusters, lineage, catalog) =
            tokio::try_join!(store.unit_tree(), store.clusters(), store.lineage(), store.catalog())?;
        let directory = Arc::new(Directory {
            tree,
            clusters,
            lineage,
            catalog: Arc::new(catalog),
            version,
        });
        *self.current.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(directory.clone());
        Ok(directory)
    }
}
