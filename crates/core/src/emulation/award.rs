//! Khen thưởng — commendation: the catalogue of award forms (Cờ thi đua, Bằng khen,
//! Giấy khen of each level, for collectives or individuals) as data; proposals (đề nghị
//! khen thưởng) from the vote or from the upper level, moved through proposed → reviewed
//! → escalated → decided | rejected by a pure transition function; decisions (quyết định
//! khen thưởng) with their number, date, issuing body and level; and their revocation
//! (thu hồi, hủy bỏ — Luật Thi đua, khen thưởng 2022), which keeps the decision on record
//! with the reason.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::code::{ClusterCode, UnitCode};
use crate::emulation::required_text;
use crate::error::Error;
use crate::text::nfc;

crate::code::code_type!(
    /// Mã hình thức khen thưởng — the code of an award form, e.g. `CO-TW`, `BK-HN`.
    /// Upper-case ASCII letters, digits, `-` and `_`; at most 32 characters.
    AwardFormCode,
    "mã hình thức khen thưởng",
    max = 32,
    allowed = crate::code::upper_code_char
);

/// Loại hình khen thưởng — the kind of award.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AwardKind {
    /// Cờ thi đua — the emulation flag.
    CoThiDua,
    /// Bằng khen — certificate of merit.
    BangKhen,
    /// Giấy khen — certificate of the lower levels.
    GiayKhen,
    /// Danh hiệu — a title ("Tập thể lao động xuất sắc", …).
    DanhHieu,
}

impl AwardKind {
    /// The Vietnamese name.
    pub fn label_vi(&self) -> &'static str {
        match self {
            AwardKind::CoThiDua => "Cờ thi đua",
            AwardKind::BangKhen => "Bằng khen",
            AwardKind::GiayKhen => "Giấy khen",
            AwardKind::DanhHieu => "Danh hiệu thi đua",
        }
    }
}

/// Đối tượng — who an award form is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RecipientKinds {
    /// Tập thể — units only.
    Collective,
    /// Cá nhân — people only.
    Individual,
    /// Both.
    Both,
}

impl RecipientKinds {
    /// Whether `recipient` may receive a form for these kinds.
    pub fn admits(&self, recipient: &Recipient) -> bool {
        matches!(
            (self, recipient),
            (RecipientKinds::Both, _)
                | (RecipientKinds::Collective, Recipient::Collective { .. })
                | (RecipientKinds::Individual, Recipient::Individual { .. })
        )
    }

    /// The Vietnamese wording.
    pub fn label_vi(&self) -> &'static str {
        match self {
            RecipientKinds::Collective => "tập thể",
            RecipientKinds::Individual => "cá nhân",
            RecipientKinds::Both => "tập thể và cá nhân",
        }
    }
}

/// Hình thức khen thưởng — one award form of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwardForm {
    /// Its code.
    pub code: AwardFormCode,
    /// Its full name ("Cờ thi đua của Ủy ban Trung ương MTTQ Việt Nam").
    pub name: String,
    /// Flag, certificate, …
    pub kind: AwardKind,
    /// Cấp khen thưởng — the level that grants it (`central`, `city`, `district`, …).
    pub level: String,
    /// The body that signs the decision.
    pub issuer: String,
    /// Collectives, individuals or both.
    pub recipients: RecipientKinds,
}

/// The file `data/demo/awards.toml`: `[[forms]]` entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwardsFile {
    /// The forms, highest first.
    pub forms: Vec<AwardForm>,
}

/// Danh mục hình thức khen thưởng — the award forms, highest first, codes unique.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AwardCatalogue {
    forms: Vec<AwardForm>,
}

/// Reads the award catalogue from TOML (the shape of `data/demo/awards.toml`).
pub fn parse_awards_toml(text: &str) -> Result<AwardCatalogue, Error> {
    let file: AwardsFile = crate::toml_file::parse("tệp danh mục khen thưởng", "data/demo/awards.toml", text)?;
    AwardCatalogue::new(file.forms)
}

impl AwardCatalogue {
    /// Checks the forms: codes unique, names, levels and issuers given. Text is NFC.
    pub fn new(forms: Vec<AwardForm>) -> Result<AwardCatalogue, Error> {
        let mut out: Vec<AwardForm> = Vec::with_capacity(forms.len());
        for mut form in forms {
            form.name = required_text("tên hình thức khen thưởng", &form.name)?;
            form.issuer = required_text("cơ quan khen thưởng", &form.issuer)?;
            form.level = required_text("cấp khen thưởng", &form.level)?;
            if out.iter().any(|f| f.code == form.code) {
                return Err(Error::InvalidAward(format!("mã hình thức {} dùng hai lần", form.code)));
            }
            out.push(form);
        }
        Ok(AwardCatalogue { forms: out })
    }

    /// The forms, in catalogue order (highest first).
    pub fn forms(&self) -> &[AwardForm] {
        &self.forms
    }

    /// The form with `code`.
    pub fn get(&self, code: &AwardFormCode) -> Option<&AwardForm> {
        self.forms.iter().find(|f| &f.code == code)
    }

    /// The form with `code`, or an error naming it.
    pub fn require(&self, code: &AwardFormCode) -> Result<&AwardForm, Error> {
        self.get(code)
            .ok_or_else(|| Error::InvalidAward(format!("không có hình thức khen thưởng {code} trong danh mục")))
    }
}

/// Người / đơn vị được khen — who receives an award.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Recipient {
    /// Tập thể — a unit.
    Collective {
        /// The unit.
        unit: UnitCode,
    },
    /// Cá nhân — a person, with their title and unit.
    Individual {
        /// Họ và tên.
        name: String,
        /// Chức vụ ("Phó Chủ tịch Ủy ban MTTQ quận Hà Đông").
        title: String,
        /// Their unit.
        unit: UnitCode,
    },
}

impl Recipient {
    /// The recipient's unit (its own, for a collective).
    pub fn unit(&self) -> &UnitCode {
        match self {
            Recipient::Collective { unit } | Recipient::Individual { unit, .. } => unit,
        }
    }

    /// The person's name, for an individual.
    pub fn person(&self) -> Option<&str> {
        match self {
            Recipient::Collective { .. } => None,
            Recipient::Individual { name, .. } => Some(name),
        }
    }

    /// The recipient with its text NFC and a person's name required.
    pub fn validated(self) -> Result<Recipient, Error> {
        Ok(match self {
            Recipient::Collective { unit } => Recipient::Collective { unit },
            Recipient::Individual { name, title, unit } => Recipient::Individual {
                name: required_text("họ và tên người được khen", &name)?,
                title: nfc(&title),
                unit,
            },
        })
    }
}

/// Nguồn đề nghị — where a proposal came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "from", rename_all = "lowercase")]
pub enum ProposalSource {
    /// From the cluster's vote: the ballot and question that chose the recipient.
    Ballot {
        /// The ballot's id.
        ballot: i64,
        /// The question's code.
        question: String,
    },
    /// Proposed by the cluster (its chair) outside a vote.
    Cluster,
    /// Proposed by the upper level.
    Upper,
}

/// Đề nghị khen thưởng — a proposal to give an award form to a recipient for a year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposal {
    /// The year whose work is commended.
    pub year: i32,
    /// The award form.
    pub award: AwardFormCode,
    /// Who.
    pub recipient: Recipient,
    /// The cluster that proposes, when one does.
    pub cluster: Option<ClusterCode>,
    /// Thành tích — the achievements, as the memo (tờ trình) states them.
    pub achievements: String,
    /// Where it came from.
    pub source: ProposalSource,
}

impl Proposal {
    /// Checks the proposal against the catalogue: the form exists and is for this kind of
    /// recipient. Text is NFC.
    pub fn validated(mut self, catalogue: &AwardCatalogue) -> Result<Proposal, Error> {
        let form = catalogue.require(&self.award)?;
        self.recipient = self.recipient.validated()?;
        if !form.recipients.admits(&self.recipient) {
            return Err(Error::InvalidAward(format!(
                "{} chỉ dành cho {}",
                form.name,
                form.recipients.label_vi()
            )));
        }
        self.achievements = nfc(&self.achievements);
        Ok(self)
    }
}

/// Trạng thái đề nghị — where a proposal stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProposalState {
    /// Đã đề nghị.
    Proposed,
    /// Đã thẩm định — reviewed by the body that receives it.
    Reviewed,
    /// Đã trình cấp trên — sent on to the level that grants the award.
    Escalated,
    /// Đã có quyết định khen thưởng.
    Decided,
    /// Không được khen thưởng — refused, with a reason.
    Rejected,
}

impl ProposalState {
    /// Parses the stored spelling.
    pub fn parse(raw: &str) -> Result<ProposalState, Error> {
        match raw {
            "proposed" => Ok(ProposalState::Proposed),
            "reviewed" => Ok(ProposalState::Reviewed),
            "escalated" => Ok(ProposalState::Escalated),
            "decided" => Ok(ProposalState::Decided),
            "rejected" => Ok(ProposalState::Rejected),
            _ => Err(Error::InvalidField {
                field: "trạng thái đề nghị",
                value: raw.to_owned(),
                expected: "proposed, reviewed, escalated, decided hoặc rejected",
            }),
        }
    }

    /// The stored spelling.
    pub fn as_str(&self) -> &'static str {
        match self {
            ProposalState::Proposed => "proposed",
            ProposalState::Reviewed => "reviewed",
            ProposalState::Escalated => "escalated",
            ProposalState::Decided => "decided",
            ProposalState::Rejected => "rejected",
        }
    }

    /// The Vietnamese name.
    pub fn label_vi(&self) -> &'static str {
        match self {
            ProposalState::Proposed => "Đã đề nghị",
            ProposalState::Reviewed => "Đã thẩm định",
            ProposalState::Escalated => "Đã trình cấp trên",
            ProposalState::Decided => "Đã có quyết định khen thưởng",
            ProposalState::Rejected => "Không được khen thưởng",
        }
    }

    /// Whether nothing more can happen to it.
    pub fn is_final(&self) -> bool {
        matches!(self, ProposalState::Decided | ProposalState::Rejected)
    }
}

/// What someone does to a proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProposalAction {
    /// Thẩm định — review it.
    Review,
    /// Trình cấp trên — send it to the granting level.
    Escalate,
    /// Quyết định khen thưởng — record the award (with a decision).
    Decide,
    /// Không đề nghị / không khen — refuse it, with a reason.
    Reject,
}

impl ProposalAction {
    /// The Vietnamese verb.
    pub fn label_vi(&self) -> &'static str {
        match self {
            ProposalAction::Review => "thẩm định",
            ProposalAction::Escalate => "trình cấp trên",
            ProposalAction::Decide => "quyết định khen thưởng",
            ProposalAction::Reject => "từ chối",
        }
    }
}

/// What the actor may do: review (the standing board or emulation office receiving the
/// proposal) and decide (the granting level).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProposalRights {
    /// May review, escalate and refuse before escalation.
    pub can_review: bool,
    /// May decide, and refuse an escalated proposal.
    pub can_decide: bool,
}

/// The state after `action`, or why not. Reviewing and escalating need review rights;
/// deciding needs decision rights and a reviewed or escalated proposal; refusing needs a
/// reason, and decision rights once the proposal was escalated.
pub fn next_proposal_state(
    state: ProposalState,
    action: ProposalAction,
    rights: ProposalRights,
    reason: Option<&str>,
) -> Result<ProposalState, Error> {
    use ProposalState::*;
    let forbidden = || {
        Err(Error::NotAllowed(format!(
            "bạn không có quyền {} đề nghị khen thưởng này",
            action.label_vi()
        )))
    };
    let wrong_state = || {
        Err(Error::InvalidTransition(format!(
            "không thể {} đề nghị đang ở trạng thái «{}»",
            action.label_vi(),
            state.label_vi()
        )))
    };
    match (action, state) {
        (_, Decided | Rejected) => wrong_state(),
        (ProposalAction::Review, Proposed) => {
            if rights.can_review {
                Ok(Reviewed)
            } else {
                forbidden()
            }
        }
        (ProposalAction::Escalate, Reviewed) => {
            if rights.can_review {
                Ok(Escalated)
            } else {
                forbidden()
            }
        }
        (ProposalAction::Decide, Reviewed | Escalated) => {
            if rights.can_decide {
                Ok(Decided)
            } else {
                forbidden()
            }
        }
        (ProposalAction::Reject, _) => {
            let allowed = if state == Escalated {
                rights.can_decide
            } else {
                rights.can_review || rights.can_decide
            };
            if !allowed {
                return forbidden();
            }
            if reason.is_none_or(|r| r.trim().is_empty()) {
                return Err(Error::InvalidTransition("hãy ghi lý do không khen thưởng".into()));
            }
            Ok(Rejected)
        }
        _ => wrong_state(),
    }
}

/// Thu hồi, hủy bỏ quyết định — the revocation of a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revocation {
    /// Số quyết định thu hồi — the number of the revoking decision.
    pub number: String,
    /// The day it was signed.
    pub on: NaiveDate,
    /// Lý do — why (e.g. "phát hiện gian dối trong việc kê khai thành tích").
    pub reason: String,
}

/// Quyết định khen thưởng — an award decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwardDecision {
    /// Số quyết định ("125/QĐ-MTTQ-BTT").
    pub number: String,
    /// Ngày ký.
    pub signed_on: NaiveDate,
    /// Cơ quan ban hành ("Ban Thường trực Ủy ban MTTQ Việt Nam Thành phố Hà Nội").
    pub issuer: String,
    /// Cấp khen thưởng (`central`, `city`, …); the form's level when left empty.
    pub level: String,
    /// The award form.
    pub award: AwardFormCode,
    /// The year whose work is commended.
    pub year: i32,
    /// Who receives it.
    pub recipients: Vec<Recipient>,
    /// The revocation, once revoked.
    #[serde(default)]
    pub revocation: Option<Revocation>,
}

impl AwardDecision {
    /// Checks the decision against the catalogue: number and issuer given, the form
    /// exists and fits every recipient, nobody listed twice, signed in the year commended
    /// or the two after. Text is NFC; an empty level takes the form's.
    pub fn validated(mut self, catalogue: &AwardCatalogue) -> Result<AwardDecision, Error> {
        self.number = required_text("số quyết định", &self.number)?;
        self.issuer = required_text("cơ quan ban hành quyết định", &self.issuer)?;
        let form = catalogue.require(&self.award)?;
        self.level = nfc(&self.level);
        if self.level.is_empty() {
            self.level = form.level.clone();
        }
        if self.recipients.is_empty() {
            return Err(Error::InvalidAward(format!(
                "quyết định {} chưa có ai được khen",
                self.number
            )));
        }
        let mut recipients = Vec::with_capacity(self.recipients.len());
        for r in std::mem::take(&mut self.recipients) {
            let r = r.validated()?;
            if !form.recipients.admits(&r) {
                return Err(Error::InvalidAward(format!(
                    "{} chỉ dành cho {}",
                    form.name,
                    form.recipients.label_vi()
                )));
            }
            if recipients.contains(&r) {
                return Err(Error::InvalidAward(format!(
                    "quyết định {}: {} có tên hai lần",
                    self.number,
                    r.person().unwrap_or(r.unit().as_str())
                )));
            }
            recipients.push(r);
        }
        self.recipients = recipients;
        if !(self.year..=self.year + 2).contains(&self.signed_on.year()) {
            return Err(Error::InvalidAward(format!(
                "quyết định khen thưởng năm {} không thể ký ngày {}: ngày ký phải trong các năm {} đến {}",
                self.year,
                crate::period::format_date_vi(self.signed_on),
                self.year,
                self.year + 2
            )));
        }
        if self.revocation.is_some() {
            return Err(Error::InvalidAward("quyết định mới không thể đã bị thu hồi".into()));
        }
        Ok(self)
    }

    /// Checks a revocation of this decision: it is not revoked already, the revoking
    /// decision has a number and a reason, and is not dated before this one.
    pub fn check_revocation(&self, revocation: Revocation) -> Result<Revocation, Error> {
        if let Some(r) = &self.revocation {
            return Err(Error::InvalidTransition(format!(
                "quyết định {} đã bị thu hồi ngày {} (quyết định {})",
                self.number,
                r.on.format("%d/%m/%Y"),
                r.number
            )));
        }
        let revocation = Revocation {
            number: required_text("số quyết định thu hồi", &revocation.number)?,
            reason: required_text("lý do thu hồi", &revocation.reason)?,
            on: revocation.on,
        };
        if revocation.on < self.signed_on {
            return Err(Error::InvalidAward(format!(
                "ngày thu hồi {} trước ngày ký quyết định {}",
                revocation.on.format("%d/%m/%Y"),
                self.signed_on.format("%d/%m/%Y")
            )));
        }
        Ok(revocation)
    }
}

/// Một lần được khen — one line of a unit's or person's award history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AwardRecord {
    /// The year commended.
    pub year: i32,
    /// The form's code.
    pub award: AwardFormCode,
    /// The form's name.
    pub award_name: String,
    /// The level.
    pub level: String,
    /// The decision's number.
    pub number: String,
    /// Its date.
    pub signed_on: NaiveDate,
    /// Its issuer.
    pub issuer: String,
    /// Who received it.
    pub recipient: Recipient,
    /// The revocation, if the decision was revoked.
    pub revocation: Option<Revocation>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use ProposalState::*;

    fn form(code: &str, recipients: RecipientKinds) -> AwardForm {
        AwardForm {
            code: AwardFormCode::parse(code).unwrap(),
            name: format!("Hình thức {code}"),
            kind: AwardKind::BangKhen,
            level: "city".into(),
            issuer: "Ủy ban MTTQ Việt Nam Thành phố Hà Nội".into(),
            recipients,
        }
    }

    fn catalogue() -> AwardCatalogue {
        AwardCatalogue::new(vec![
            form("CO-HN", RecipientKinds::Collective),
            form("BK-HN", RecipientKinds::Both),
            form("GK-CN", RecipientKinds::Individual),
        ])
        .unwrap()
    }

    fn unit(c: &str) -> UnitCode {
        UnitCode::parse(c).unwrap()
    }

    const REVIEWER: ProposalRights = ProposalRights {
        can_review: true,
        can_decide: false,
    };
    const DECIDER: ProposalRights = ProposalRights {
        can_review: true,
        can_decide: true,
    };
    const NOBODY: ProposalRights = ProposalRights {
        can_review: false,
        can_decide: false,
    };

    #[test]
    fn a_proposal_goes_from_proposed_to_reviewed_escalated_and_decided() {
        let reviewed = next_proposal_state(Proposed, ProposalAction::Review, REVIEWER, None);
        assert_eq!(reviewed.ok(), Some(Reviewed));
        let escalated = next_proposal_state(Reviewed, ProposalAction::Escalate, REVIEWER, None);
        assert_eq!(escalated.ok(), Some(Escalated));
        assert_eq!(
            next_proposal_state(Escalated, ProposalAction::Decide, DECIDER, None).ok(),
            Some(Decided)
        );
    }

    #[test]
    fn only_the_granting_level_decides_and_an_unreviewed_proposal_cannot_be_decided() {
        assert!(matches!(
            next_proposal_state(Escalated, ProposalAction::Decide, REVIEWER, None),
            Err(Error::NotAllowed(_))
        ));
        let err = next_proposal_state(Proposed, ProposalAction::Decide, DECIDER, None)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("không thể quyết định khen thưởng đề nghị đang ở trạng thái «Đã đề nghị»")
        );
        assert!(next_proposal_state(Proposed, ProposalAction::Review, NOBODY, None).is_err());
    }

    #[test]
    fn refusing_needs_a_reason_and_ends_the_proposal() {
        assert!(next_proposal_state(Reviewed, ProposalAction::Reject, REVIEWER, Some(" ")).is_err());
        assert_eq!(
            next_proposal_state(Reviewed, ProposalAction::Reject, REVIEWER, Some("Chưa đủ điều kiện")).ok(),
            Some(Rejected)
        );
        assert!(
            next_proposal_state(Escalated, ProposalAction::Reject, REVIEWER, Some("x")).is_err(),
            "once escalated, only the granting level refuses"
        );
        for action in [
            ProposalAction::Review,
            ProposalAction::Escalate,
            ProposalAction::Decide,
            ProposalAction::Reject,
        ] {
            assert!(next_proposal_state(Rejected, action, DECIDER, Some("x")).is_err());
            assert!(next_proposal_state(Decided, action, DECIDER, Some("x")).is_err());
        }
    }

    #[test]
    fn a_collective_form_cannot_go_to_a_person() {
        let p = Proposal {
            year: 2022,
            award: AwardFormCode::parse("CO-HN").unwrap(),
            recipient: Recipient::Individual {
                name: "Nguyễn Văn A".into(),
                title: "Chủ tịch".into(),
                unit: unit("HN-HADONG"),
            },
            cluster: None,
            achievements: String::new(),
            source: ProposalSource::Upper,
        };
        let err = p.validated(&catalogue()).err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("khen thưởng: Hình thức CO-HN chỉ dành cho tập thể")
        );
    }

    fn decision() -> AwardDecision {
        AwardDecision {
            number: " 125/QĐ-MTTQ-BTT ".into(),
            signed_on: NaiveDate::from_ymd_opt(2023, 1, 10).unwrap_or_default(),
            issuer: "Ban Thường trực Ủy ban MTTQ Việt Nam Thành phố Hà Nội".into(),
            level: String::new(),
            award: AwardFormCode::parse("BK-HN").unwrap(),
            year: 2022,
            recipients: vec![
                Recipient::Collective {
                    unit: unit("HN-HADONG"),
                },
                Recipient::Individual {
                    name: "Tra\u{302}\u{300}n Thi\u{323} B".into(),
                    title: "Phó Chủ tịch".into(),
                    unit: unit("HN-TAYHO"),
                },
            ],
            revocation: None,
        }
    }

    #[test]
    fn a_decision_takes_its_form_s_level_and_stores_names_nfc() {
        let d = decision().validated(&catalogue()).unwrap();
        assert_eq!((d.number.as_str(), d.level.as_str()), ("125/QĐ-MTTQ-BTT", "city"));
        assert_eq!(d.recipients[1].person(), Some("Trần Thị B"));
    }

    #[test]
    fn a_decision_listing_someone_twice_or_signed_years_later_is_refused() {
        let mut twice = decision();
        twice.recipients.push(Recipient::Collective {
            unit: unit("HN-HADONG"),
        });
        assert!(twice.validated(&catalogue()).is_err());
        let mut late = decision();
        late.signed_on = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default();
        assert!(late.validated(&catalogue()).is_err());
    }

    #[test]
    fn a_revocation_needs_a_number_a_reason_and_happens_once() {
        let d = decision().validated(&catalogue()).unwrap();
        let revocation = |reason: &str, on: (i32, u32, u32)| Revocation {
            number: "30/QĐ-MTTQ-BTT".into(),
            on: NaiveDate::from_ymd_opt(on.0, on.1, on.2).unwrap_or_default(),
            reason: reason.into(),
        };
        assert!(d.check_revocation(revocation("", (2023, 6, 1))).is_err());
        assert!(
            d.check_revocation(revocation("Kê khai sai thành tích", (2022, 6, 1)))
                .is_err()
        );
        let ok = d.check_revocation(revocation("Kê khai sai thành tích", (2023, 6, 1)));
        assert!(ok.is_ok());
        let revoked = AwardDecision {
            revocation: ok.ok(),
            ..d
        };
        let again = revoked
            .check_revocation(revocation("lần nữa", (2023, 7, 1)))
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            again.as_deref(),
            Some("quyết định 125/QĐ-MTTQ-BTT đã bị thu hồi ngày 01/06/2023 (quyết định 30/QĐ-MTTQ-BTT)")
        );
    }

    #[test]
    fn a_catalogue_refuses_a_code_twice() {
        let twice = AwardCatalogue::new(vec![
            form("CO-HN", RecipientKinds::Collective),
            form("CO-HN", RecipientKinds::Both),
        ]);
        assert!(twice.is_err());
        assert!(AwardFormCode::parse("co-hn").is_err());
    }
}
