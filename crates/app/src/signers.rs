//! Người ký văn bản — recording who signs a cluster's documents in a year (the review,
//! the pledge, the record of the count) and reading them for the documents. Recording
//! is for whoever runs the cluster: its chair, the upper level above it, an admin.

use thidua_core::Cluster;
use thidua_core::signers::Signers;
use thidua_store::Actor;

use crate::{App, Context, Error};

/// The signers `cluster` recorded for its year, if any.
pub async fn of(app: &App, cluster: &Cluster) -> Result<Option<Signers>, Error> {
    Ok(app.store().signers(&cluster.code, cluster.year).await?)
}

/// Records `signers` for `cluster`'s year as the caller, who must run the cluster.
pub async fn record(app: &App, caller: &Context, cluster: &Cluster, mut signers: Signers) -> Result<Signers, Error> {
    if !caller.access().can_run_cluster(cluster) {
        return Err(Error::Forbidden(format!(
            "Chỉ cụm trưởng của {} năm {} (hoặc cấp trên) ghi người ký văn bản",
            cluster.name, cluster.year
        )));
    }
    signers.cluster = cluster.code.clone();
    signers.year = cluster.year;
    Ok(app
        .store()
        .save_signers(&Actor::from(&caller.principal), signers)
        .await?)
}
