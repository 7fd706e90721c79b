//! The one error type of the domain crate. Every message is Vietnamese and names the
//! value at fault, because it reaches the person who typed it.

use crate::code::{ClusterCode, IndicatorCode, UnitCode};
use crate::number::NumberError;

/// What can be wrong with domain input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// A hand-written file (TOML) that cannot be read; nothing was written.
    #[error("{what} chưa đúng {message}. Chưa có gì được lưu.")]
    BadFile {
        /// Which file ("tệp bảng tiêu chí").
        what: &'static str,
        /// Where and why: "ở dòng 6, cột 9: sai kiểu giá trị: …".
        message: String,
    },
    /// A code with characters outside `A-Z 0-9 - _`.
    #[error("«{code}» không phải là {kind} hợp lệ (chỉ gồm chữ in hoa không dấu, chữ số, '-' và '_')")]
    InvalidCode {
        /// Which kind of code ("mã đơn vị", …).
        kind: &'static str,
        /// The text given.
        code: String,
    },
    /// A period code that is not DHIS2's.
    #[error("«{0}» không phải là kỳ báo cáo hợp lệ (ví dụ: 2022, 2022S1, 2022Q3, 202207)")]
    InvalidPeriod(String),
    /// A range of periods (khoảng kỳ báo cáo) that breaks a rule: the reason names what.
    #[error("«{range}» không phải là khoảng kỳ báo cáo hợp lệ: {reason}")]
    InvalidPeriodRange {
        /// The text given.
        range: String,
        /// What is wrong, naming the period at fault.
        reason: String,
    },
    /// A number that cannot be read.
    #[error(transparent)]
    Number(#[from] NumberError),
    /// A field outside its allowed values.
    #[error("«{value}» không hợp lệ cho {field}: cần {expected}")]
    InvalidField {
        /// The field.
        field: &'static str,
        /// The text given.
        value: String,
        /// What is allowed.
        expected: &'static str,
    },
    /// A new password the policy refuses; the reason never repeats the password.
    #[error("Mật khẩu mới chưa dùng được: {0}.")]
    WeakPassword(&'static str),
    /// A value of the wrong kind for its indicator.
    #[error("giá trị «{value}» không hợp lệ: {reason}")]
    InvalidValue {
        /// The text given.
        value: String,
        /// Why it is refused.
        reason: String,
    },
    /// A unit whose parent does not exist.
    #[error("đơn vị {unit} có đơn vị cấp trên {parent} không tồn tại")]
    UnknownParent {
        /// The unit.
        unit: UnitCode,
        /// Its missing parent.
        parent: UnitCode,
    },
    /// Units that are each other's ancestors.
    #[error("đơn vị {0} nằm trong một vòng lặp cấp trên – cấp dưới")]
    UnitCycle(UnitCode),
    /// A cluster that breaks a rule.
    #[error("cụm {cluster}: {reason}")]
    InvalidCluster {
        /// The cluster.
        cluster: ClusterCode,
        /// Why it is refused.
        reason: String,
    },
    /// An indicator that breaks a rule.
    #[error("chỉ tiêu {indicator}: {reason}")]
    InvalidIndicator {
        /// The indicator.
        indicator: IndicatorCode,
        /// Why it is refused.
        reason: String,
    },
    /// A formula that cannot be parsed.
    #[error("công thức «{formula}»: {reason}")]
    Formula {
        /// The formula as written.
        formula: String,
        /// What is wrong and where.
        reason: String,
    },
    /// A validation rule that cannot be parsed.
    #[error("quy tắc «{rule}»: {reason}")]
    InvalidRule {
        /// The rule as written.
        rule: String,
        /// What is wrong.
        reason: String,
    },
    /// The user may not do this.
    #[error("{0}")]
    NotAllowed(String),
    /// The action does not fit the submission's state or the reporting window.
    #[error("{0}")]
    InvalidTransition(String),
    /// A criteria set (bảng tiêu chí) that breaks a rule, as a whole.
    #[error("bảng tiêu chí thi đua: {0}")]
    InvalidCriteria(String),
    /// One criterion, bonus or penalty rule that breaks a rule.
    #[error("tiêu chí {code}: {reason}")]
    InvalidCriterion {
        /// The criterion's code as written ("I.2", "T1").
        code: String,
        /// What is wrong.
        reason: String,
    },
    /// A score (điểm) given against a criteria set that does not fit it.
    #[error("bảng chấm điểm, mục {code}: {reason}")]
    InvalidScore {
        /// The item's code.
        code: String,
        /// What is wrong.
        reason: String,
    },
    /// An emulation pledge (giao ước thi đua) that breaks a rule.
    #[error("giao ước thi đua: {0}")]
    InvalidPledge(String),
    /// A ballot (phiếu bầu) or one of its questions that breaks a rule.
    #[error("bỏ phiếu: {0}")]
    InvalidBallot(String),
    /// An award form, proposal or decision that breaks a rule.
    #[error("khen thưởng: {0}")]
    InvalidAward(String),
    /// A new account with one or more mistakes, each naming its field (the admin's form
    /// shows each beside its field).
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join(" "))]
    InvalidAccount(Vec<crate::account::AccountProblem>),
}
