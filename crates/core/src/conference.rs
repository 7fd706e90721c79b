//! Hội nghị — a cluster's conference: a half-year review (sơ kết), a year-end review
//! (tổng kết) or the signing of the emulation pledge (ký giao ước thi đua), with when
//! and where it was held, who attended, the year's theme, and the directions given for
//! the next period, each kept as a task that can later be marked done.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::code::{ClusterCode, UnitCode};
use crate::error::Error;
use crate::period::Period;

/// Loại hội nghị — the kind of conference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConferenceKind {
    /// Sơ kết — the half-year review.
    #[serde(rename = "so-ket")]
    HalfYearReview,
    /// Tổng kết — the year-end review.
    #[serde(rename = "tong-ket")]
    YearEndReview,
    /// Ký giao ước thi đua — signing the year's pledge.
    #[serde(rename = "ky-giao-uoc")]
    PledgeSigning,
}

impl ConferenceKind {
    /// Parses the file spelling (`so-ket`, `tong-ket`, `ky-giao-uoc`).
    pub fn parse(raw: &str) -> Result<Self, Error> {
        match raw.trim() {
            "so-ket" => Ok(ConferenceKind::HalfYearReview),
            "tong-ket" => Ok(ConferenceKind::YearEndReview),
            "ky-giao-uoc" => Ok(ConferenceKind::PledgeSigning),
            _ => Err(Error::InvalidField {
                field: "loại hội nghị",
                value: raw.to_owned(),
                expected: "so-ket, tong-ket hoặc ky-giao-uoc",
            }),
        }
    }

    /// The file spelling.
    pub fn as_str(&self) -> &'static str {
        match self {
            ConferenceKind::HalfYearReview => "so-ket",
            ConferenceKind::YearEndReview => "tong-ket",
            ConferenceKind::PledgeSigning => "ky-giao-uoc",
        }
    }

    /// How reports name it: "hội nghị sơ kết".
    pub fn label_vi(&self) -> &'static str {
        match self {
            ConferenceKind::HalfYearReview => "hội nghị sơ kết",
            ConferenceKind::YearEndReview => "hội nghị tổng kết",
            ConferenceKind::PledgeSigning => "hội nghị ký giao ước thi đua",
        }
    }
}

/// A person at the conference; `name` is empty for a group ("đại diện lãnh đạo …").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attendee {
    /// Full name.
    #[serde(default)]
    pub name: String,
    /// Full title.
    pub title: String,
}

/// Phương hướng, nhiệm vụ — a direction for the next period, tracked as a task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Direction {
    /// What is to be done.
    pub text: String,
    /// When it was marked done.
    #[serde(default)]
    pub done_on: Option<NaiveDate>,
}

/// Hội nghị — one conference of a cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conference {
    /// The cluster.
    pub cluster: ClusterCode,
    /// The period reviewed.
    pub period: Period,
    /// The kind.
    pub kind: ConferenceKind,
    /// The day it was held.
    pub held_on: NaiveDate,
    /// "Sáng", "Chiều" — as the report says it.
    #[serde(default)]
    pub time_of_day: String,
    /// Where, as the report says it ("quận Hà Đông").
    pub place: String,
    /// The host unit (đơn vị đăng cai).
    pub host: Option<UnitCode>,
    /// The body above the cluster, named in the report's title and header
    /// ("Ủy ban MTTQ Việt Nam Thành phố Hà Nội").
    pub issuer: String,
    /// Who signs the news article ("Ủy ban MTTQ quận Hà Đông").
    #[serde(default)]
    pub author: String,
    /// When the article was published.
    #[serde(default)]
    pub published_at: Option<NaiveDateTime>,
    /// Chủ đề năm — the year's theme.
    #[serde(default)]
    pub theme: String,
    /// Attendees, in protocol order.
    #[serde(default)]
    pub attendees: Vec<Attendee>,
    /// Directions for the next period.
    #[serde(default)]
    pub directions: Vec<Direction>,
}

impl Conference {
    /// Checks what a record needs: a place, an issuer, and directions with text; text is
    /// stored NFC.
    pub fn validated(mut self) -> Result<Self, Error> {
        let nfc = crate::text::nfc;
        self.place = nfc(&self.place);
        self.issuer = nfc(&self.issuer);
        self.author = nfc(&self.author);
        self.theme = nfc(&self.theme);
        self.time_of_day = nfc(&self.time_of_day);
        for a in &mut self.attendees {
            a.name = nfc(&a.name);
            a.title = nfc(&a.title);
        }
        for d in &mut self.directions {
            d.text = nfc(&d.text);
        }
        let missing = |field: &'static str| Error::InvalidField {
            field,
            value: String::new(),
            expected: "không để trống",
        };
        if self.place.is_empty() {
            return Err(missing("địa điểm"));
        }
        if self.issuer.is_empty() {
            return Err(missing("cơ quan ban hành"));
        }
        if self.directions.iter().any(|d| d.text.is_empty()) || self.attendees.iter().any(|a| a.title.is_empty()) {
            return Err(missing("phương hướng / chức danh người dự"));
        }
        Ok(self)
    }
}
