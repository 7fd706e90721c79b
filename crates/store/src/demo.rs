//! The demo dataset shipped with thidua: Cụm thi đua số 2 of Hà Nội, first half of 2022,
//! whose cluster totals are the figures of that cluster's published review. Loading it
//! twice changes nothing: every catalog import replaces what it wrote before, and the
//! figures are loaded only into a database that has none of them yet.

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

/// The record of the demo's review conference.
pub const DEMO_CONFERENCE: &str = include_str!("../../../data/demo/conference.toml");

/// The demo's emulation criteria: district-level clusters of Hà Nội, 2022.
pub const DEMO_CRITERIA: &str = include_str!("../../../data/demo/criteria-2022.toml");

/// The demo's catalogue of award forms.
pub const DEMO_AWARDS: &str = include_str!("../../../data/demo/awards.toml");

impl Store {
    /// Loads the demo cluster (HN-CUM2, 2022S1) into this database, with the 2022 emulation
    /// criteria of its level and the award catalogue.
    pub async fn load_demo(&self) -> Result<(), StoreError> {
        let [units, indicators, rules, clusters, values] = DEMO_FILES.map(|(_, text)| text);
        self.import_units_csv(units).await?;
        self.import_indicators_csv(indicators).await?;
        self.import_rules_csv(rules).await?;
        self.import_clusters_csv(clusters).await?;
        // The figures only into a database that has none of the demo's yet: `serve --demo`
        // loads the demo at every start, and figures the demo's users have since changed
        // and accepted through the workflow are theirs — re-importing would refuse them
        // (settled figures are not overwritten by an import) or undo their work.
        let loaded: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM data_value v JOIN unit u ON u.id = v.unit_id WHERE u.code = 'HN-HADONG' AND v.period = '2022S1'",
        )
        .fetch_one(self.pool())
        .await?;
        if loaded == 0 {
            self.import_values_csv(values).await?;
        }
        self.import_conference_toml(DEMO_CONFERENCE).await?;
        // The year's emulation for HN-CUM2: its criteria (by its members' level) and the
        // award catalogue. Saving the same criteria again keeps their version.
        self.import_criteria_toml(&crate::Actor::system("demo"), DEMO_CRITERIA)
            .await?;
        self.import_awards_toml(DEMO_AWARDS).await?;
        Ok(())
    }
}

/// The password of every demo account — printed by `thidua serve --demo`; never use the
/// demo accounts on a real installation.
pub const DEMO_PASSWORD: &str = "thidua-demo-2022";

/// The demo's accounts: (login, name, role, unit).
pub const DEMO_ACCOUNTS: [(&str, &str, thidua_core::Role, Option<&str>); 9] = {
    use thidua_core::Role::{Admin, Chair, Officer, Upper};
    [
        ("admin", "Quản trị hệ thống", Admin, None),
        ("thanhpho", "Ban Thường trực Ủy ban MTTQ Thành phố", Upper, Some("HN")),
        (
            "cumtruong",
            "Cụm trưởng (Ủy ban MTTQ quận Hà Đông)",
            Chair,
            Some("HN-HADONG"),
        ),
        ("hadong", "Cán bộ thi đua quận Hà Đông", Officer, Some("HN-HADONG")),
        (
            "thanhxuan",
            "Cán bộ thi đua quận Thanh Xuân",
            Officer,
            Some("HN-THANHXUAN"),
        ),
        ("caugiay", "Cán bộ thi đua quận Cầu Giấy", Officer, Some("HN-CAUGIAY")),
        ("tayho", "Cán bộ thi đua quận Tây Hồ", Officer, Some("HN-TAYHO")),
        (
            "bactuliem",
            "Cán bộ thi đua quận Bắc Từ Liêm",
            Officer,
            Some("HN-BACTULIEM"),
        ),
        (
            "namtuliem",
            "Cán bộ thi đua quận Nam Từ Liêm",
            Officer,
            Some("HN-NAMTULIEM"),
        ),
    ]
};

impl Store {
    /// Makes the demo usable for the reporting workflow today: the demo accounts (when
    /// missing) and Cụm thi đua số 2 constituted for `year` with the 2022 membership and
    /// chair (when missing), so officers can enter the current half-year and the chair
    /// can review it.
    pub async fn prepare_demo_workflow(&self, year: i32) -> Result<(), StoreError> {
        for (username, name, role, unit) in DEMO_ACCOUNTS {
            if self.user(username).await.is_ok() {
                continue;
            }
            let unit = unit.map(thidua_core::UnitCode::parse).transpose()?;
            self.create_user(crate::NewUser {
                username: username.into(),
                display_name: name.into(),
                password: DEMO_PASSWORD.into(),
                role,
                unit,
            })
            .await?;
        }
        let code = thidua_core::ClusterCode::parse("HN-CUM2")?;
        if !self.cluster_years(&code).await?.contains(&year) {
            let c = self.cluster(&code, 2022).await?;
            let list = |u: &Option<thidua_core::UnitCode>| u.as_ref().map(ToString::to_string).unwrap_or_default();
            let members: Vec<String> = c.members.iter().map(ToString::to_string).collect();
            let csv = format!(
                "code,name,year,members,host,chair,deputy\n{},{},{year},{},{},{},{}\n",
                c.code,
                c.name,
                members.join(";"),
                list(&c.host),
                list(&c.chair),
                list(&c.deputy)
            );
            self.import_clusters_csv(&csv).await?;
        }
        Ok(())
    }
}
