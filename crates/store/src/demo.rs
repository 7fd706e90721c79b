//! The demo dataset shipped with thidua: Cụm thi đua số 2 of Hà Nội, first half of 2022,
//! whose cluster totals are the figures of that cluster's published review. Loading it
//! twice changes nothing, because every import replaces what it wrote before.

use crate::error::StoreError;
use crate::store::Store;

/// The demo's files, in the order they must be imported.
pub const DEMO_FILES: [(&str, &str); 5] = [
    ("units.csv", include_str!("../../../data/demo/units.csv")),
    ("indicators.csv", include_str!("../../../data/demo/indicators.csv")),
    ("rules.csv", include_str!("../../../data/demo/rules.csv")),
    ("clusters.csv", include_str!("../../../data/demo/clusters.csv")),
    ("values.csv", include_str!("../../../data/demo/values.csv")),
];

impl Store {
    /// Loads the demo cluster (HN-CUM2, 2022S1) into this database.
    pub async fn load_demo(&self) -> Result<(), StoreError> {
        let [units, indicators, rules, clusters, values] = DEMO_FILES.map(|(_, text)| text);
        self.import_units_csv(units).await?;
        self.import_indicators_csv(indicators).await?;
        self.import_rules_csv(rules).await?;
        self.import_clusters_csv(clusters).await?;
        self.import_values_csv(values).await?;
        Ok(())
    }
}
