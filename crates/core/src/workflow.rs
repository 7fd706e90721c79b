//! Quy trình báo cáo — the life of a unit's form for a period: draft → submitted →
//! accepted | returned (with a reason), locked once accepted or once the reporting
//! window has closed; the upper level can reopen. The rules are pure: the store asks
//! them before it writes anything.

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::period::Period;

/// Trạng thái — where a submission stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SubmissionState {
    /// Đang soạn — being entered by the unit.
    Draft,
    /// Đã gửi — sent for review; entry is closed.
    Submitted,
    /// Đã duyệt — accepted; its values are the unit's official figures and entry is locked.
    Accepted,
    /// Bị trả lại — sent back with a reason; the unit edits and submits again.
    Returned,
}

impl SubmissionState {
    /// Parses the stored spelling.
    pub fn parse(raw: &str) -> Result<Self, Error> {
        match raw {
            "draft" => Ok(SubmissionState::Draft),
            "submitted" => Ok(SubmissionState::Submitted),
            "accepted" => Ok(SubmissionState::Accepted),
            "returned" => Ok(SubmissionState::Returned),
            _ => Err(Error::InvalidField {
                field: "trạng thái",
                value: raw.to_owned(),
                expected: "draft, submitted, accepted hoặc returned",
            }),
        }
    }

    /// The stored spelling.
    pub fn as_str(&self) -> &'static str {
        match self {
            SubmissionState::Draft => "draft",
            SubmissionState::Submitted => "submitted",
            SubmissionState::Accepted => "accepted",
            SubmissionState::Returned => "returned",
        }
    }

    /// The Vietnamese name.
    pub fn label_vi(&self) -> &'static str {
        match self {
            SubmissionState::Draft => "Đang soạn",
            SubmissionState::Submitted => "Đã gửi, chờ duyệt",
            SubmissionState::Accepted => "Đã duyệt",
            SubmissionState::Returned => "Bị trả lại",
        }
    }

    /// Whether the form has been sent for review (submitted or accepted): all a cluster
    /// peer is told of another member's form, which is "chưa gửi" otherwise — a draft or
    /// a returned form is the unit's own business until it is sent again.
    pub fn is_sent(&self) -> bool {
        matches!(self, SubmissionState::Submitted | SubmissionState::Accepted)
    }

    /// Whether the unit may still change its figures in this state.
    pub fn is_editable(&self) -> bool {
        matches!(self, SubmissionState::Draft | SubmissionState::Returned)
    }
}

/// Kỳ nhập liệu — when a period's forms may be entered: from the opening day to the
/// deadline, plus a grace of some days after which entry locks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportingWindow {
    /// The period.
    pub period: Period,
    /// First day of entry.
    pub opens_on: NaiveDate,
    /// Hạn nộp — the deadline; later submissions count as late.
    pub deadline: NaiveDate,
    /// Days after the deadline during which late entry is still possible.
    pub lock_after_days: u32,
}

impl ReportingWindow {
    /// The usual window: entry is open during the period, due 15 days after it ends, and
    /// locks 10 days after that.
    pub fn default_for(period: Period) -> Self {
        let end = period.end();
        ReportingWindow {
            period,
            opens_on: period.start(),
            deadline: end.checked_add_days(Days::new(15)).unwrap_or(end),
            lock_after_days: 10,
        }
    }

    /// Whether entry is possible on `day`.
    pub fn is_open_on(&self, day: NaiveDate) -> bool {
        let locks = self
            .deadline
            .checked_add_days(Days::new(u64::from(self.lock_after_days)))
            .unwrap_or(self.deadline);
        self.opens_on <= day && day <= locks
    }

    /// Whether a submission made on `day` is late.
    pub fn is_late(&self, day: NaiveDate) -> bool {
        day > self.deadline
    }

    /// Checks that the days are in order.
    pub fn validated(self) -> Result<Self, Error> {
        if self.deadline < self.opens_on {
            return Err(Error::InvalidField {
                field: "hạn nộp",
                value: self.deadline.format("%d/%m/%Y").to_string(),
                expected: "một ngày không trước ngày mở nhập liệu",
            });
        }
        Ok(self)
    }
}

/// What someone does to a submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Lưu nháp — save the figures typed so far.
    Save,
    /// Gửi — send for review.
    Submit,
    /// Duyệt — accept.
    Accept,
    /// Trả lại — send back, with a reason.
    Return,
    /// Mở lại — reopen an accepted or locked form, with a reason.
    Reopen,
}

/// What the rules need to know about the actor and the moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Situation {
    /// The actor may enter this unit's form.
    pub can_enter: bool,
    /// The actor may review it.
    pub can_review: bool,
    /// The actor may reopen it.
    pub can_reopen: bool,
    /// The reporting window is open today.
    pub window_open: bool,
    /// The form was reopened by the upper level, which lifts the window's lock.
    pub reopened: bool,
}

/// The state after `action`, or why it is not allowed. A reason is required to return
/// or reopen.
pub fn next_state(
    state: SubmissionState,
    action: Action,
    situation: Situation,
    reason: Option<&str>,
) -> Result<SubmissionState, Error> {
    use SubmissionState::*;
    let forbidden = |what: &str| Err(Error::NotAllowed(format!("bạn không có quyền {what} báo cáo này")));
    let wrong_state = |what: &str| {
        Err(Error::InvalidTransition(format!(
            "không thể {what} báo cáo đang ở trạng thái «{}»",
            state.label_vi()
        )))
    };
    let has_reason = reason.is_some_and(|r| !r.trim().is_empty());
    match action {
        Action::Save | Action::Submit => {
            let what = if action == Action::Save { "lưu" } else { "gửi" };
            if !situation.can_enter {
                return forbidden(what);
            }
            if !state.is_editable() {
                return wrong_state(what);
            }
            if !situation.window_open && !situation.reopened {
                return Err(Error::InvalidTransition(
                    "kỳ nhập liệu đã khóa; hãy đề nghị cấp trên mở lại báo cáo".into(),
                ));
            }
            Ok(if action == Action::Save { state } else { Submitted })
        }
        Action::Accept | Action::Return => {
            let what = if action == Action::Accept {
                "duyệt"
            } else {
                "trả lại"
            };
            // Nobody reviews a form they enter: the chair's unit is a member of the
            // cluster it chairs, and its form goes to the upper level instead.
            if situation.can_enter {
                return Err(Error::NotAllowed(format!(
                    "đơn vị không tự {what} báo cáo của mình; báo cáo này do cấp trên {what}"
                )));
            }
            if !situation.can_review {
                return forbidden(what);
            }
            if state != Submitted {
                return wrong_state(what);
            }
            if action == Action::Return && !has_reason {
                return Err(Error::InvalidTransition("hãy ghi lý do trả lại".into()));
            }
            Ok(if action == Action::Accept { Accepted } else { Returned })
        }
        Action::Reopen => {
            if !situation.can_reopen {
                return forbidden("mở lại");
            }
            let locked_by_time = state.is_editable() && !situation.window_open && !situation.reopened;
            if state != Accepted && !locked_by_time {
                return wrong_state("mở lại");
            }
            if !has_reason {
                return Err(Error::InvalidTransition("hãy ghi lý do mở lại".into()));
            }
            Ok(Returned)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use SubmissionState::*;

    const OFFICER: Situation = Situation {
        can_enter: true,
        can_review: false,
        can_reopen: false,
        window_open: true,
        reopened: false,
    };
    const CHAIR: Situation = Situation {
        can_enter: false,
        can_review: true,
        can_reopen: false,
        window_open: true,
        reopened: false,
    };
    const UPPER: Situation = Situation {
        can_enter: false,
        can_review: true,
        can_reopen: true,
        window_open: true,
        reopened: false,
    };

    #[test]
    fn an_officer_saves_and_submits_a_draft() {
        assert_eq!(next_state(Draft, Action::Save, OFFICER, None).ok(), Some(Draft));
        assert_eq!(next_state(Draft, Action::Submit, OFFICER, None).ok(), Some(Submitted));
    }

    #[test]
    fn a_submitted_form_can_no_longer_be_edited_by_its_officer() {
        let err = next_state(Submitted, Action::Save, OFFICER, None)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("không thể lưu báo cáo đang ở trạng thái «Đã gửi, chờ duyệt»")
        );
    }

    #[test]
    fn the_chair_accepts_or_returns_with_a_reason() {
        assert_eq!(next_state(Submitted, Action::Accept, CHAIR, None).ok(), Some(Accepted));
        assert!(next_state(Submitted, Action::Return, CHAIR, Some("  ")).is_err());
        assert_eq!(
            next_state(Submitted, Action::Return, CHAIR, Some("Thiếu số liệu quỹ")).ok(),
            Some(Returned)
        );
    }

    #[test]
    fn a_chair_entering_its_own_unit_s_form_can_neither_accept_nor_return_it() {
        let own_unit = Situation {
            can_enter: true,
            ..CHAIR
        };
        for (action, reason) in [(Action::Accept, None), (Action::Return, Some("Thiếu số liệu"))] {
            let err = next_state(Submitted, action, own_unit, reason)
                .err()
                .map(|e| e.to_string());
            assert!(
                err.as_deref()
                    .is_some_and(|e| e.contains("không tự") && e.contains("cấp trên")),
                "{action:?}: {err:?}"
            );
        }
    }

    #[test]
    fn a_returned_form_can_be_edited_and_submitted_again() {
        assert_eq!(next_state(Returned, Action::Save, OFFICER, None).ok(), Some(Returned));
        assert_eq!(
            next_state(Returned, Action::Submit, OFFICER, None).ok(),
            Some(Submitted)
        );
    }

    #[test]
    fn an_officer_cannot_accept_and_a_chair_cannot_enter() {
        assert!(matches!(
            next_state(Submitted, Action::Accept, OFFICER, None),
            Err(Error::NotAllowed(_))
        ));
        assert!(matches!(
            next_state(Draft, Action::Save, CHAIR, None),
            Err(Error::NotAllowed(_))
        ));
    }

    #[test]
    fn an_accepted_form_is_locked_until_the_upper_level_reopens_it() {
        assert!(next_state(Accepted, Action::Save, OFFICER, None).is_err());
        assert!(matches!(
            next_state(Accepted, Action::Reopen, CHAIR, Some("x")),
            Err(Error::NotAllowed(_))
        ));
        assert_eq!(
            next_state(Accepted, Action::Reopen, UPPER, Some("Sai số liệu")).ok(),
            Some(Returned)
        );
    }

    #[test]
    fn entry_locks_when_the_window_closes_unless_reopened() {
        let late = Situation {
            window_open: false,
            ..OFFICER
        };
        assert!(next_state(Draft, Action::Save, late, None).is_err());
        let reopened = Situation { reopened: true, ..late };
        assert_eq!(next_state(Draft, Action::Submit, reopened, None).ok(), Some(Submitted));
        let upper_late = Situation {
            window_open: false,
            ..UPPER
        };
        assert_eq!(
            next_state(Draft, Action::Reopen, upper_late, Some("Gia hạn")).ok(),
            Some(Returned)
        );
        assert!(
            next_state(Draft, Action::Reopen, UPPER, Some("x")).is_err(),
            "an open draft needs no reopening"
        );
    }

    #[test]
    fn the_default_window_closes_two_weeks_after_the_half_year() {
        let window = ReportingWindow::default_for(Period::HalfYear(2022, 1));
        assert_eq!(window.opens_on.to_string(), "2022-01-01");
        assert_eq!(window.deadline.to_string(), "2022-07-15");
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default();
        assert!(window.is_open_on(day("2022-07-20")) && !window.is_late(day("2022-07-15")));
        assert!(window.is_late(day("2022-07-16")));
        assert!(!window.is_open_on(day("2022-07-26")));
    }
}
