//! Đơn vị — the Front committees that report, in a tree (city → district → ward →
//! residential area). Levels are data, not code: since the 2025 reform removed the
//! district level, a unit's `kind` is just a label, and units carry validity dates so
//! that closed or merged units keep their history.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::code::UnitCode;
use crate::error::Error;

/// Đơn vị — one Front committee (Ủy ban MTTQ) at some level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    /// Its code, e.g. `HN-HADONG`.
    pub code: UnitCode,
    /// Its full Vietnamese name (NFC), e.g. "Ủy ban MTTQ Việt Nam quận Hà Đông".
    pub name: String,
    /// Its level as data (`city`, `district`, `ward`, …).
    pub kind: String,
    /// The unit above it; `None` at the top of the tree.
    pub parent: Option<UnitCode>,
    /// First day it exists; `None` when it always has.
    pub valid_from: Option<NaiveDate>,
    /// Last day it exists; `None` while it is open.
    pub valid_to: Option<NaiveDate>,
}

impl Unit {
    /// Whether the unit exists on the given day.
    pub fn is_active_on(&self, day: NaiveDate) -> bool {
        self.valid_from.is_none_or(|from| from <= day) && self.valid_to.is_none_or(|to| day <= to)
    }

    /// The level in Vietnamese for the level codes the catalogs use (`city`, `district`,
    /// `ward`, …); any other level is shown as written, since levels are data.
    pub fn kind_label(&self) -> &str {
        kind_label_vi(&self.kind)
    }

    /// The short name people use: "Ủy ban MTTQ Việt Nam quận Hà Đông" → "quận Hà Đông".
    pub fn short_name(&self) -> &str {
        const PREFIXES: [&str; 3] = ["Ủy ban MTTQ Việt Nam ", "Ủy ban Mặt trận Tổ quốc Việt Nam ", "UBMTTQ "];
        PREFIXES
            .iter()
            .find_map(|prefix| self.name.strip_prefix(prefix))
            .unwrap_or(&self.name)
    }
}

/// The tree of units, checked: every parent exists and there is no cycle.
#[derive(Debug, Clone, Default)]
pub struct UnitTree {
    units: BTreeMap<UnitCode, Unit>,
    children: BTreeMap<UnitCode, Vec<UnitCode>>,
}

impl UnitTree {
    /// Builds the tree, refusing unknown parents and cycles.
    pub fn new(units: impl IntoIterator<Item = Unit>) -> Result<Self, Error> {
        let units: BTreeMap<UnitCode, Unit> = units.into_iter().map(|u| (u.code.clone(), u)).collect();
        let mut children: BTreeMap<UnitCode, Vec<UnitCode>> = BTreeMap::new();
        for unit in units.values() {
            if let Some(parent) = &unit.parent {
                if !units.contains_key(parent) {
                    return Err(Error::UnknownParent {
                        unit: unit.code.clone(),
                        parent: parent.clone(),
                    });
                }
                children.entry(parent.clone()).or_default().push(unit.code.clone());
            }
        }
        let tree = UnitTree { units, children };
        for code in tree.units.keys() {
            tree.ancestors_checked(code)?;
        }
        Ok(tree)
    }

    fn ancestors_checked(&self, code: &UnitCode) -> Result<Vec<&Unit>, Error> {
        let mut seen = BTreeSet::new();
        let mut chain = Vec::new();
        let mut current = self.units.get(code).and_then(|u| u.parent.as_ref());
        while let Some(parent) = current {
            if !seen.insert(parent) || parent == code {
                return Err(Error::UnitCycle(code.clone()));
            }
            let Some(unit) = self.units.get(parent) else {
                break;
            };
            chain.push(unit);
            current = unit.parent.as_ref();
        }
        Ok(chain)
    }

    /// The unit with this code.
    pub fn get(&self, code: &UnitCode) -> Option<&Unit> {
        self.units.get(code)
    }

    /// All units, by code.
    pub fn units(&self) -> impl Iterator<Item = &Unit> {
        self.units.values()
    }

    /// How many units the tree holds.
    pub fn len(&self) -> usize {
        self.units.len()
    }

    /// Whether the tree is empty.
    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }

    /// The units directly below `code`.
    pub fn children(&self, code: &UnitCode) -> impl Iterator<Item = &Unit> {
        self.children
            .get(code)
            .into_iter()
            .flatten()
            .filter_map(|c| self.units.get(c))
    }

    /// The units above `code`, nearest first.
    pub fn ancestors(&self, code: &UnitCode) -> Vec<&Unit> {
        // The tree was checked for cycles when it was built.
        self.ancestors_checked(code).unwrap_or_default()
    }

    /// `code` and every unit below it — the subtree whose figures roll up into it.
    pub fn subtree(&self, code: &UnitCode) -> Vec<&UnitCode> {
        let mut out = Vec::new();
        let mut stack = vec![code];
        while let Some(current) = stack.pop() {
            if let Some(unit) = self.units.get(current) {
                out.push(&unit.code);
                if let Some(kids) = self.children.get(current) {
                    stack.extend(kids.iter().rev());
                }
            }
        }
        out
    }
}

/// The Vietnamese name of a kind of unit, which is also a cluster level ("district" →
/// "quận, huyện, thị xã"); an unknown kind is shown as it is.
pub fn kind_label_vi(kind: &str) -> &str {
    match kind {
        "central" => "Trung ương",
        "province" | "city" => "tỉnh, thành phố",
        "district" => "quận, huyện, thị xã",
        "ward" | "commune" => "phường, xã, thị trấn",
        "residential" | "area" => "khu dân cư",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(code: &str, parent: Option<&str>) -> Unit {
        Unit {
            code: UnitCode::parse(code).unwrap(),
            name: format!("Ủy ban MTTQ Việt Nam quận {code}"),
            kind: "district".into(),
            parent: parent.map(|p| UnitCode::parse(p).unwrap()),
            valid_from: None,
            valid_to: None,
        }
    }

    fn code(c: &str) -> UnitCode {
        UnitCode::parse(c).unwrap()
    }

    #[test]
    fn a_subtree_holds_the_unit_and_everything_below_it() {
        let tree = UnitTree::new([
            unit("HN", None),
            unit("HD", Some("HN")),
            unit("P1", Some("HD")),
            unit("TX", Some("HN")),
        ])
        .unwrap();
        let sub: Vec<&str> = tree.subtree(&code("HD")).into_iter().map(|c| c.as_str()).collect();
        assert_eq!(sub, ["HD", "P1"]);
        assert_eq!(tree.subtree(&code("HN")).len(), 4);
        assert_eq!(
            tree.ancestors(&code("P1"))
                .iter()
                .map(|u| u.code.as_str())
                .collect::<Vec<_>>(),
            ["HD", "HN"]
        );
    }

    #[test]
    fn an_unknown_parent_is_refused() {
        let err = UnitTree::new([unit("HD", Some("XX"))]).err().map(|e| e.to_string());
        assert_eq!(err.as_deref(), Some("đơn vị HD có đơn vị cấp trên XX không tồn tại"));
    }

    #[test]
    fn a_cycle_is_refused() {
        assert!(UnitTree::new([unit("A", Some("B")), unit("B", Some("A"))]).is_err());
    }

    #[test]
    fn validity_dates_bound_a_unit_s_life() {
        let mut u = unit("HD", None);
        u.valid_to = NaiveDate::from_ymd_opt(2025, 6, 30);
        assert!(u.is_active_on(NaiveDate::from_ymd_opt(2022, 7, 25).unwrap_or_default()));
        assert!(!u.is_active_on(NaiveDate::from_ymd_opt(2025, 7, 1).unwrap_or_default()));
    }

    #[test]
    fn the_short_name_drops_the_committee_prefix() {
        assert_eq!(unit("HD", None).short_name(), "quận HD");
    }
}
