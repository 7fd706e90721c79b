//! Giao ước thi đua — the pledge a cluster signs at the start of the year: each member
//! registers the titles it aims for ("Cờ thi đua", "Bằng khen", "Hoàn thành xuất sắc
//! nhiệm vụ") and its targets (indicator → figure), and the pledge is signed on a day at
//! a place — everything the printed pledge needs.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::cluster::Cluster;
use crate::code::{ClusterCode, IndicatorCode, UnitCode};
use crate::error::Error;
use crate::indicator::{Catalog, ValueType};
use crate::rollup::Figures;
use crate::text::nfc;
use crate::value::Value;

/// Đăng ký thi đua của một đơn vị — what one member signs up for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberPledge {
    /// The member.
    pub unit: UnitCode,
    /// Danh hiệu, hình thức khen thưởng đăng ký — titles and awards it aims for.
    #[serde(default)]
    pub titles: Vec<String>,
    /// Chỉ tiêu đăng ký — its targets, by indicator.
    #[serde(default)]
    pub targets: BTreeMap<IndicatorCode, Value>,
    /// Who signs for the unit.
    #[serde(default)]
    pub signer_name: String,
    /// Their title ("Chủ tịch Ủy ban MTTQ quận Hà Đông").
    #[serde(default)]
    pub signer_title: String,
}

/// Giao ước thi đua — a cluster's pledge for a year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pledge {
    /// The cluster.
    pub cluster: ClusterCode,
    /// The year pledged for.
    pub year: i32,
    /// The heading ("Giao ước thi đua năm 2022").
    pub title: String,
    /// Ngày ký — the day it was signed; `None` while it is being drafted.
    #[serde(default)]
    pub signed_on: Option<NaiveDate>,
    /// Where it was signed.
    #[serde(default)]
    pub place: String,
    /// Nội dung giao ước — the clauses every member commits to.
    #[serde(default)]
    pub commitments: Vec<String>,
    /// Each member's registration, in the cluster's order.
    #[serde(default)]
    pub members: Vec<MemberPledge>,
}

/// How a pledged target stands against the figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetProgress {
    /// The indicator.
    pub indicator: IndicatorCode,
    /// The pledged figure.
    pub target: Value,
    /// The figure reached, when there is one.
    pub actual: Option<f64>,
    /// Whether the figure reached the target (`None` without a figure).
    pub reached: Option<bool>,
}

impl MemberPledge {
    /// Each target against the unit's rolled-up figures.
    pub fn progress(&self, figures: &Figures) -> Vec<TargetProgress> {
        self.targets
            .iter()
            .map(|(code, target)| {
                let actual = figures.number(code);
                TargetProgress {
                    indicator: code.clone(),
                    target: target.clone(),
                    actual,
                    reached: actual.zip(target.as_f64()).map(|(a, t)| a >= t),
                }
            })
            .collect()
    }
}

impl Pledge {
    /// The member's registration.
    pub fn member(&self, unit: &UnitCode) -> Option<&MemberPledge> {
        self.members.iter().find(|m| &m.unit == unit)
    }

    /// Checks the pledge against its cluster and the indicator catalog: only members
    /// pledge, each once; titles are named; targets are numbers of known, non-text
    /// indicators, not negative; the signing day falls in the year or the one before.
    /// Text is stored NFC.
    pub fn validated(mut self, cluster: &Cluster, catalog: &Catalog) -> Result<Pledge, Error> {
        let refuse = |reason: String| Err(Error::InvalidPledge(reason));
        if cluster.code != self.cluster || cluster.year != self.year {
            return refuse(format!(
                "giao ước của {} năm {} không thuộc {} năm {}",
                self.cluster, self.year, cluster.code, cluster.year
            ));
        }
        self.title = nfc(&self.title);
        if self.title.is_empty() {
            return refuse("chưa có tiêu đề".into());
        }
        self.place = nfc(&self.place);
        if let Some(day) = self.signed_on
            && !(self.year - 1..=self.year).contains(&chrono::Datelike::year(&day))
        {
            return refuse(format!(
                "ngày ký {} không thuộc năm {} hoặc cuối năm trước",
                day.format("%d/%m/%Y"),
                self.year
            ));
        }
        self.commitments = self
            .commitments
            .iter()
            .map(|c| nfc(c))
            .filter(|c| !c.is_empty())
            .collect();
        for member in &mut self.members {
            let unit = member.unit.clone();
            if !cluster.has_member(&unit) {
                return refuse(format!("đơn vị {unit} không phải là thành viên của {}", cluster.name));
            }
            member.signer_name = nfc(&member.signer_name);
            member.signer_title = nfc(&member.signer_title);
            member.titles = member.titles.iter().map(|t| nfc(t)).collect();
            if member.titles.iter().any(String::is_empty) {
                return refuse(format!("đơn vị {unit}: có danh hiệu đăng ký để trống"));
            }
            for (j, t) in member.titles.iter().enumerate() {
                if member.titles[..j].contains(t) {
                    return refuse(format!("đơn vị {unit}: danh hiệu «{t}» được đăng ký hai lần"));
                }
            }
            for (code, value) in &member.targets {
                let Some(indicator) = catalog.get(code) else {
                    return refuse(format!("đơn vị {unit}: chỉ tiêu {code} không có trong danh mục"));
                };
                let number = value.as_f64();
                if indicator.value_type == ValueType::Text || number.is_none_or(|x| x < 0.0 || !x.is_finite()) {
                    return refuse(format!(
                        "đơn vị {unit}: chỉ tiêu {code} cần một số không âm, không phải «{}»",
                        value.format_vi()
                    ));
                }
            }
        }
        for (i, m) in self.members.iter().enumerate() {
            if self.members[..i].iter().any(|o| o.unit == m.unit) {
                return refuse(format!("đơn vị {} đăng ký hai lần", m.unit));
            }
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicator::tests::indicator;
    use crate::indicator::{Aggregation, Indicator};

    fn code<T: TryFrom<String>>(c: &str) -> T
    where
        T::Error: std::fmt::Debug,
    {
        T::try_from(c.to_owned()).unwrap()
    }

    fn cluster() -> Cluster {
        Cluster {
            code: code("HN-CUM2"),
            name: "Cụm thi đua số 2".into(),
            year: 2022,
            members: vec![code("HN-HADONG"), code("HN-TAYHO")],
            chair: Some(code("HN-HADONG")),
            deputy: None,
            host: None,
        }
    }

    fn catalog() -> Catalog {
        Catalog::new(vec![
            Indicator {
                value_type: ValueType::Money,
                ..indicator("QUY_VI_NGUOI_NGHEO", Aggregation::Sum, None)
            },
            Indicator {
                value_type: ValueType::Text,
                ..indicator("GHI_CHU", Aggregation::Last, None)
            },
        ])
        .unwrap()
    }

    fn pledge(targets: &[(&str, Value)]) -> Pledge {
        Pledge {
            cluster: code("HN-CUM2"),
            year: 2022,
            title: " Giao ước  thi đua năm 2022 ".into(),
            signed_on: NaiveDate::from_ymd_opt(2022, 3, 15),
            place: "quận Hà Đông".into(),
            commitments: vec!["Thực hiện tốt Cuộc vận động".into(), " ".into()],
            members: vec![MemberPledge {
                unit: code("HN-HADONG"),
                titles: vec!["Cờ thi đua".into(), "Hoàn thành xuất sắc nhiệm vụ".into()],
                targets: targets.iter().map(|(c, v)| (code(c), v.clone())).collect(),
                signer_name: "Nguyễn Văn A".into(),
                signer_title: "Chủ tịch Ủy ban MTTQ quận Hà Đông".into(),
            }],
        }
    }

    #[test]
    fn a_member_s_pledge_with_titles_and_money_targets_is_accepted_and_tidied() {
        let p = pledge(&[("QUY_VI_NGUOI_NGHEO", Value::Whole(500_000_000))])
            .validated(&cluster(), &catalog())
            .unwrap();
        assert_eq!(p.title, "Giao ước thi đua năm 2022");
        assert_eq!(p.commitments.len(), 1, "empty clauses are dropped");
    }

    #[test]
    fn a_unit_outside_the_cluster_cannot_pledge() {
        let mut p = pledge(&[]);
        p.members[0].unit = code("HN-CAUGIAY");
        let err = p.validated(&cluster(), &catalog()).err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("giao ước thi đua: đơn vị HN-CAUGIAY không phải là thành viên của Cụm thi đua số 2")
        );
    }

    #[test]
    fn targets_must_be_numbers_of_known_indicators() {
        let unknown = pledge(&[("KHONG_CO", Value::Whole(1))]).validated(&cluster(), &catalog());
        assert!(unknown.is_err());
        let text = pledge(&[("GHI_CHU", Value::Text("nhiều".into()))]).validated(&cluster(), &catalog());
        assert!(
            text.err()
                .is_some_and(|e| e.to_string().contains("cần một số không âm"))
        );
    }

    #[test]
    fn a_pledge_signed_in_another_year_is_refused() {
        let mut p = pledge(&[]);
        p.signed_on = NaiveDate::from_ymd_opt(2019, 1, 1);
        assert!(p.validated(&cluster(), &catalog()).is_err());
    }

    #[test]
    fn progress_says_which_targets_were_reached() {
        let p = pledge(&[("QUY_VI_NGUOI_NGHEO", Value::Whole(200_000_000))]);
        let progress = p.members[0].progress(&Figures::default());
        assert_eq!(progress[0].reached, None, "no figure yet");
    }
}
