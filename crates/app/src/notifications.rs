//! Thông báo — the events the application tells people of without being asked: a form
//! returned to its unit, a deadline three days away for a form not yet sent, a ballot
//! opened in the cluster, a decision recorded on a proposal. Each is written once per
//! person ([`thidua_store::NewNotification::event_key`]); when an SMTP server is
//! configured ([`crate::mail`]) a person with an e-mail address also gets it by mail.
//!
//! A notification is told after the action it reports has committed, and a failure to
//! tell is logged, never the user's failure (see docs/decisions.md).

use chrono::{Datelike, NaiveDate};
use thidua_core::workflow::SubmissionState;
use thidua_core::{Cluster, Period, UnitCode};
use thidua_store::{Ballot, NewNotification, StoredDecision};

use crate::{App, Error};

/// How many days before the deadline the reminder goes out.
pub const REMIND_DAYS: i64 = 3;

/// "25/7/2022".
pub fn day_vi(day: NaiveDate) -> String {
    format!("{}/{}/{}", day.day(), day.month(), day.year())
}

/// The longest e-mail address taken (RFC 5321's path limit).
pub const MAX_EMAIL_CHARS: usize = 254;

/// An e-mail address as typed, trimmed, or why it is not one: one address, at most
/// [`MAX_EMAIL_CHARS`] characters, a name before the `@` and a domain with a dot after it,
/// no spaces or line breaks. Empty means none (`Ok(None)`).
pub fn check_email(typed: &str) -> Result<Option<String>, String> {
    let email = typed.trim();
    if email.is_empty() {
        return Ok(None);
    }
    if email.chars().count() > MAX_EMAIL_CHARS {
        return Err(format!("Địa chỉ thư điện tử dài quá {MAX_EMAIL_CHARS} ký tự."));
    }
    if email
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == ',' || c == ';')
    {
        return Err("Chỉ nhập một địa chỉ thư điện tử, không có dấu cách hay xuống dòng.".into());
    }
    let valid = email.split_once('@').is_some_and(|(name, domain)| {
        !name.is_empty()
            && !domain.contains('@')
            && domain.split('.').count() >= 2
            && domain.split('.').all(|part| !part.is_empty())
    });
    if valid {
        Ok(Some(email.to_owned()))
    } else {
        Err("Địa chỉ thư điện tử chưa đúng: cần có dạng ten@donvi.vn.".into())
    }
}

/// Writes `n` for `users`, and wakes the mailer when one may be waiting.
async fn tell(app: &App, users: &[i64], n: NewNotification<'_>) -> Result<(), Error> {
    if users.is_empty() {
        return Ok(());
    }
    let mail = app.mailer().is_some();
    let written = app.store().notify(users, &n, mail).await?;
    if written > 0 && mail {
        app.nudge_mailer();
    }
    Ok(())
}

/// Logs a failure to notify: the action it follows has succeeded and stays so.
pub fn log_failure(what: &str, result: Result<(), Error>) {
    if let Err(e) = result {
        tracing::warn!("thông báo «{what}» chưa ghi được: {e}");
    }
}

fn unit_name(app_directory: &crate::Directory, unit: &UnitCode) -> String {
    app_directory
        .tree
        .get(unit)
        .map_or_else(|| unit.to_string(), |u| u.name.clone())
}

/// A form of `unit` for `period` was returned, with `reason`: its officers hear of it.
pub async fn form_returned(app: &App, unit: &UnitCode, period: Period, reason: &str) -> Result<(), Error> {
    let directory = app.directory().await?;
    let users = app.store().officers_of(std::slice::from_ref(unit)).await?;
    let message = format!(
        "Báo cáo {} của {} bị trả lại. Lý do: {reason}",
        period.label_vi().to_lowercase(),
        unit_name(&directory, unit)
    );
    // Each return is an event of its own: the form may come back more than once.
    let key = format!(
        "returned:{unit}:{}:{}",
        period.code(),
        chrono::Utc::now().timestamp_millis()
    );
    let link = format!("/units/{unit}/forms/{}", period.code());
    tell(
        app,
        &users,
        NewNotification {
            kind: "returned",
            event_key: &key,
            message: &message,
            link: &link,
        },
    )
    .await
}

/// `ballot` was opened in `cluster`: the officers of the units that vote hear of it.
pub async fn ballot_opened(app: &App, cluster: &Cluster, ballot: &Ballot) -> Result<(), Error> {
    let voters: Vec<UnitCode> = if ballot.spec.electorate.is_empty() {
        cluster.members.clone()
    } else {
        ballot.spec.electorate.clone()
    };
    let users = app.store().officers_of(&voters).await?;
    let message = format!(
        "{} năm {} đã mở cuộc bỏ phiếu «{}»: mời đơn vị bỏ phiếu.",
        cluster.name, cluster.year, ballot.spec.title
    );
    let key = format!("ballot:{}", ballot.id);
    let link = format!("/ballots/{}", ballot.id);
    tell(
        app,
        &users,
        NewNotification {
            kind: "ballot",
            event_key: &key,
            message: &message,
            link: &link,
        },
    )
    .await
}

/// `decision` was recorded: the officers of the proposing clusters' chair units and of
/// the recipients' units hear of it.
pub async fn decision_recorded(app: &App, decision: &StoredDecision) -> Result<(), Error> {
    let directory = app.directory().await?;
    let store = app.store();
    let mut units = Vec::new();
    for id in &decision.proposals {
        let p = store.proposal(*id).await?;
        if let Some(chair) = crate::awards::cluster_of(&directory, &p.proposal).and_then(|c| c.chair.clone()) {
            units.push(chair);
        }
        units.push(p.proposal.recipient.unit().clone());
    }
    units.sort();
    units.dedup();
    let users = store.officers_of(&units).await?;
    let catalogue = store.award_catalogue().await?;
    let d = &decision.decision;
    let award = catalogue
        .require(&d.award)
        .map_or_else(|_| d.award.to_string(), |f| f.name.clone());
    let names: Vec<String> = d
        .recipients
        .iter()
        .map(|r| crate::awards::describe(&directory, r))
        .collect();
    let message = format!(
        "Đã có Quyết định số {} ngày {} tặng {} cho {}.",
        d.number,
        day_vi(d.signed_on),
        award,
        names.join("; ")
    );
    let key = format!("decision:{}", decision.id);
    let link = format!("/awards/decisions/{}", decision.id);
    tell(
        app,
        &users,
        NewNotification {
            kind: "decision",
            event_key: &key,
            message: &message,
            link: &link,
        },
    )
    .await
}

/// The deadline sweep: for each unit with an officer, its form for the current or past half-year
/// when not yet sent and the deadline is at most [`REMIND_DAYS`] away on `today`. Run
/// as often as wanted: each reminder is written once (`deadline:UNIT:PERIOD`). Returns
/// how many units were reminded (counting those reminded before).
pub async fn remind_deadlines(app: &App, today: NaiveDate) -> Result<usize, Error> {
    // A half-year's deadline falls in the next one: the previous half is looked at too.
    let current = Period::half_year_of(today);
    let previous = match current {
        Period::HalfYear(y, 2) => Period::HalfYear(y, 1),
        Period::HalfYear(y, _) => Period::HalfYear(y - 1, 2),
        other => other,
    };
    let mut reminded = 0;
    for period in [previous, current] {
        reminded += remind_period(app, today, period).await?;
    }
    Ok(reminded)
}

async fn remind_period(app: &App, today: NaiveDate, period: Period) -> Result<usize, Error> {
    let store = app.store();
    let window = store.reporting_window(period).await?;
    let days_left = (window.deadline - today).num_days();
    if !window.is_open_on(today) || !(0..=REMIND_DAYS).contains(&days_left) {
        return Ok(0);
    }
    let directory = app.directory().await?;
    let statuses = store.form_statuses(&[period]).await?;
    let mut reminded = 0;
    for unit in store.units_with_officers().await? {
        let state = statuses.iter().find(|s| s.unit == unit).map(|s| s.state);
        if state.is_some_and(|s| !s.is_editable()) {
            continue;
        }
        if state.is_none() && store.periods_with_own_figures(&unit).await?.contains(&period) {
            continue;
        }
        let users = store.officers_of(std::slice::from_ref(&unit)).await?;
        let returned = if state == Some(SubmissionState::Returned) {
            " (đã bị trả lại, cần gửi lại)"
        } else {
            ""
        };
        let message = format!(
            "Còn {days_left} ngày đến hạn nộp báo cáo {} của {} (hạn {}): báo cáo chưa gửi{returned}.",
            period.label_vi().to_lowercase(),
            unit_name(&directory, &unit),
            day_vi(window.deadline)
        );
        let key = format!("deadline:{unit}:{}", period.code());
        let link = format!("/units/{unit}/forms/{}", period.code());
        tell(
            app,
            &users,
            NewNotification {
                kind: "deadline",
                event_key: &key,
                message: &message,
                link: &link,
            },
        )
        .await?;
        reminded += 1;
    }
    Ok(reminded)
}

/// The server's background work: the deadline sweep at start and hourly, and, with a
/// mailer, the sender. Runs until the process ends.
pub fn spawn_background(app: &App) {
    let sweeper = app.clone();
    tokio::spawn(async move {
        let mut hourly = tokio::time::interval(std::time::Duration::from_secs(60 * 60));
        loop {
            hourly.tick().await;
            if let Err(e) = remind_deadlines(&sweeper, crate::forms::today()).await {
                tracing::warn!("nhắc hạn nộp báo cáo: {e}");
            }
        }
    });
    if app.mailer().is_some() {
        let sender = app.clone();
        tokio::spawn(async move { crate::mail::run(&sender).await });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_e_mail_address_is_one_address_with_a_domain() {
        assert_eq!(
            check_email("  can.bo@tayho.hanoi.vn "),
            Ok(Some("can.bo@tayho.hanoi.vn".into()))
        );
        assert_eq!(check_email(""), Ok(None));
        for bad in [
            "canbo",
            "canbo@tayho",
            "a@b.vn, c@d.vn",
            "a b@c.vn",
            "a@b.vn\r\nBcc: x@y.vn",
            "@b.vn",
            "a@.vn",
        ] {
            assert!(check_email(bad).is_err(), "{bad:?}");
        }
        assert!(check_email(&format!("{}@b.vn", "a".repeat(250))).is_err());
    }

    #[test]
    fn a_day_is_written_the_vietnamese_way() {
        let day = NaiveDate::from_ymd_opt(2022, 7, 25).unwrap_or_default();
        assert_eq!(day_vi(day), "25/7/2022");
    }
}
