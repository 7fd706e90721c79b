//! Cụm thi đua — emulation clusters: a named group of units for one year, with a chair
//! (cụm trưởng), a deputy (cụm phó) and a host unit for its conference. Membership and
//! the chair change every year, so a cluster is always a (code, year) pair.

use serde::{Deserialize, Serialize};

use crate::code::{ClusterCode, UnitCode};
use crate::error::Error;

/// Cụm thi đua — an emulation cluster in one year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cluster {
    /// Its code, e.g. `HN-CUM2`.
    pub code: ClusterCode,
    /// Its Vietnamese name, e.g. "Cụm thi đua số 2".
    pub name: String,
    /// The year this membership holds for.
    pub year: i32,
    /// Member units, in the order the cluster lists them.
    pub members: Vec<UnitCode>,
    /// Cụm trưởng — the chair unit.
    pub chair: Option<UnitCode>,
    /// Cụm phó — the deputy unit.
    pub deputy: Option<UnitCode>,
    /// Đơn vị đăng cai — the host of the conference.
    pub host: Option<UnitCode>,
}

impl Cluster {
    /// Cơ quan cấp trên — the committee above the cluster's members (the city's, for a
    /// cluster of districts): it issues the cluster's documents.
    pub fn issuing_body<'a>(&self, tree: &'a crate::unit::UnitTree) -> Option<&'a crate::unit::Unit> {
        self.members.first().and_then(|m| tree.ancestors(m).first().copied())
    }

    /// Checks the rules a cluster must keep: at least one member, no member twice, and
    /// the chair, deputy and host are members.
    pub fn validated(self) -> Result<Self, Error> {
        if self.members.is_empty() {
            return Err(Error::InvalidCluster {
                cluster: self.code.clone(),
                reason: "cụm không có thành viên nào".into(),
            });
        }
        for (i, member) in self.members.iter().enumerate() {
            if self.members[..i].contains(member) {
                return Err(Error::InvalidCluster {
                    cluster: self.code.clone(),
                    reason: format!("đơn vị {member} được liệt kê hai lần"),
                });
            }
        }
        for (role, unit) in [
            ("cụm trưởng", &self.chair),
            ("cụm phó", &self.deputy),
            ("đơn vị đăng cai", &self.host),
        ] {
            if let Some(unit) = unit
                && !self.members.contains(unit)
            {
                return Err(Error::InvalidCluster {
                    cluster: self.code.clone(),
                    reason: format!("{role} {unit} không phải là thành viên của cụm"),
                });
            }
        }
        if self.chair.is_some() && self.chair == self.deputy {
            return Err(Error::InvalidCluster {
                cluster: self.code.clone(),
                reason: "cụm trưởng và cụm phó phải là hai đơn vị khác nhau".into(),
            });
        }
        Ok(self)
    }

    /// Whether the unit is a member this year.
    pub fn has_member(&self, unit: &UnitCode) -> bool {
        self.members.contains(unit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(c: &str) -> UnitCode {
        UnitCode::parse(c).unwrap_or_else(|e| panic!("{e}"))
    }

    fn cluster(members: &[&str], chair: Option<&str>) -> Cluster {
        Cluster {
            code: ClusterCode::parse("HN-CUM2").unwrap_or_else(|e| panic!("{e}")),
            name: "Cụm thi đua số 2".into(),
            year: 2022,
            members: members.iter().map(|m| code(m)).collect(),
            chair: chair.map(code),
            deputy: None,
            host: None,
        }
    }

    #[test]
    fn a_chair_from_among_the_members_is_accepted() {
        assert!(cluster(&["A", "B"], Some("A")).validated().is_ok());
    }

    #[test]
    fn a_chair_from_outside_the_cluster_is_refused() {
        let err = cluster(&["A", "B"], Some("C")).validated().err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("cụm HN-CUM2: cụm trưởng C không phải là thành viên của cụm")
        );
    }

    #[test]
    fn a_member_listed_twice_or_no_member_at_all_is_refused() {
        assert!(cluster(&["A", "A"], None).validated().is_err());
        assert!(cluster(&[], None).validated().is_err());
    }
}
