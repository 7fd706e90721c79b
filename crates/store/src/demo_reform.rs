//! The post-reform demo, next to the 2022 one and illustrative (`data/demo/reform/`): on
//! 1/7/2025 the six districts of Cụm thi đua số 2 merge two by two into three wards of
//! today's Hà Nội; a cluster of those wards is constituted for 2026 with figures for
//! 2026S1, whose page compares them with 2022S1 on today's tree. Loading it twice changes
//! nothing, as for the 2022 demo.

use crate::error::StoreError;
use crate::store::Store;

/// The reorganisation: three merges on 1/7/2025.
pub const REFORM_CHANGES: &str = include_str!("../../../data/demo/reform/changes.csv");
/// The units as the reorganisation leaves them.
const REFORM_UNITS: &str = include_str!("../../../data/demo/reform/units.csv");
/// The wards' cluster for 2026.
const REFORM_CLUSTERS: &str = include_str!("../../../data/demo/reform/clusters.csv");
/// Its members' 2026S1 figures.
const REFORM_VALUES: &str = include_str!("../../../data/demo/reform/values.csv");

/// The wards' cluster of the post-reform demo.
pub const DEMO_REFORM_CLUSTER: &str = "HN-CUMPHUONG1";

/// The clusters whose figures are the demo's illustration, which their pages say.
pub const DEMO_ILLUSTRATIVE_CLUSTERS: [&str; 1] = [DEMO_REFORM_CLUSTER];

impl Store {
    /// Loads the post-reform demo into a database holding the 2022 demo
    /// ([`Store::load_demo`]): the merges (once), the units as they leave them, the
    /// wards' 2026 cluster, and its 2026S1 figures (into a database without them).
    pub async fn load_reform_demo(&self) -> Result<(), StoreError> {
        let applied = self
            .lineage()
            .await?
            .changes()
            .iter()
            .any(|c| c.to.iter().any(|(to, _)| to.as_str() == "HN-P-HADONG"));
        if !applied {
            self.import_changes_csv(REFORM_CHANGES, "demo").await?;
        }
        // Every time: the 2022 demo's units file, loaded before, reopens the districts;
        // this states their last day again (and makes the merged units wards).
        self.import_units_csv(REFORM_UNITS).await?;
        self.import_clusters_csv(REFORM_CLUSTERS).await?;
        let loaded: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM data_value v JOIN unit u ON u.id = v.unit_id WHERE u.code = 'HN-P-HADONG' AND v.period = '2026S1'",
        )
        .fetch_one(self.pool())
        .await?;
        if loaded == 0 {
            self.import_values_csv(REFORM_VALUES).await?;
        }
        Ok(())
    }
}
