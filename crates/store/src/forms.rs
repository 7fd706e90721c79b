//! Biểu mẫu — báo cáo của đơn vị — each unit's form for a period, moved through the workflow in
//! `thidua_core::workflow`: values and narrative saved with optimistic versioning (a
//! second editor's stale save is refused, never silently merged), every change of a
//! value or a state written to the append-only audit trail in the same transaction, and
//! on acceptance the form's values become the unit's official figures.

use std::collections::BTreeMap;

use chrono::{NaiveDate, Utc};
use sqlx::{Any, Row, Transaction};
use thidua_core::rule::Violation;
use thidua_core::workflow::{Action, ReportingWindow, Situation, SubmissionState, next_state};
use thidua_core::{Catalog, Cluster, DataValue, IndicatorCode, Period, UnitCode, Value};

use crate::emulation::Actor;

use crate::error::StoreError;
use crate::import::write_values;
use crate::store::{Store, Table, id_map, load_catalog, load_rules, parse_stored, value_from_columns};

/// The narrative sections of a form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Narrative {
    /// Kết quả nổi bật — highlights.
    pub results: String,
    /// Hạn chế — shortcomings.
    pub limitations: String,
    /// Phương hướng — directions for the next period.
    pub directions: String,
}

/// A unit's form for a period, as stored (or blank when none was started).
#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    /// The unit.
    pub unit: UnitCode,
    /// The period.
    pub period: Period,
    /// Where it stands.
    pub state: SubmissionState,
    /// Incremented by every write; a save must name the version it started from.
    pub version: i64,
    /// Whether the upper level reopened it past its window.
    pub reopened: bool,
    /// The figures typed so far.
    pub values: BTreeMap<IndicatorCode, Value>,
    /// The narrative.
    pub narrative: Narrative,
    /// Why it was returned or reopened, shown to the officer.
    pub return_reason: Option<String>,
    /// When it was (last) submitted, RFC 3339.
    pub submitted_at: Option<String>,
}

impl Submission {
    fn blank(unit: UnitCode, period: Period) -> Self {
        Submission {
            unit,
            period,
            state: SubmissionState::Draft,
            version: 0,
            reopened: false,
            values: BTreeMap::new(),
            narrative: Narrative::default(),
            return_reason: None,
            submitted_at: None,
        }
    }
}

/// What an officer sends from the form.
#[derive(Debug, Clone)]
pub struct FormInput {
    /// The version the form was loaded at.
    pub version: i64,
    /// Every reported indicator of the form: its value, or `None` when left empty.
    pub values: BTreeMap<IndicatorCode, Option<Value>>,
    /// The narrative.
    pub narrative: Narrative,
}

/// The outcome of a save: the stored form, and the rules it breaks (a draft may be
/// saved while breaking them; it cannot be submitted).
#[derive(Debug, Clone)]
pub struct Saved {
    /// The form as now stored.
    pub submission: Submission,
    /// Broken validation rules.
    pub violations: Vec<Violation>,
}

/// A reviewer's decision on a submission.
#[derive(Debug, Clone, Copy)]
pub struct Decision<'a> {
    /// Accept, Return or Reopen.
    pub action: Action,
    /// What the reviewer may do.
    pub situation: Situation,
    /// The version the reviewer looked at.
    pub version: i64,
    /// Why (required to return or reopen).
    pub reason: Option<&'a str>,
}

/// A member's reporting status for the completeness table.
#[derive(Debug, Clone)]
pub struct MemberStatus {
    /// The member unit.
    pub unit: UnitCode,
    /// Its form's state, if a form was started.
    pub state: Option<SubmissionState>,
    /// When it was submitted.
    pub submitted_on: Option<NaiveDate>,
    /// Whether the submission came after the deadline (`None` when not submitted).
    pub late: Option<bool>,
    /// Reported indicators with no value, in the form (or in the official figures when
    /// no form was started).
    pub missing: Vec<IndicatorCode>,
}

/// One entry of the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// When, RFC 3339.
    pub at: String,
    /// Who (login name, or `import`).
    pub actor: String,
    /// What: `value`, `submit`, `accept`, `return`, `reopen`, `official`.
    pub action: String,
    /// The indicator, for value changes.
    pub indicator: Option<String>,
    /// Before.
    pub old_value: Option<String>,
    /// After.
    pub new_value: Option<String>,
    /// Why.
    pub reason: Option<String>,
}

fn value_text(v: Option<&Value>) -> Option<String> {
    v.map(Value::format_plain)
}

/// The audit entries of one change of a form, collected while it is written and
/// appended to the trail in one batch just before the transaction commits
/// ([`Audit::write`]): one lock of the trail's head per change, not one per value.
struct Audit<'a> {
    actor: &'a Actor,
    unit: &'a UnitCode,
    period: Period,
    at: String,
    events: Vec<crate::audit::Event>,
}

impl<'a> Audit<'a> {
    fn new(actor: &'a Actor, unit: &'a UnitCode, period: Period, at: String) -> Self {
        Audit {
            actor,
            unit,
            period,
            at,
            events: Vec::new(),
        }
    }

    /// Records a move of the form from one state to another.
    fn state_change(&mut self, from: SubmissionState, to: SubmissionState, reason: Option<&str>) {
        self.record(
            "state",
            None,
            Some(from.as_str().into()),
            Some(to.as_str().into()),
            reason,
        );
    }

    fn record(
        &mut self,
        action: &str,
        indicator: Option<&IndicatorCode>,
        old: Option<String>,
        new: Option<String>,
        reason: Option<&str>,
    ) {
        self.events.push(crate::audit::Event {
            at: self.at.clone(),
            actor: self.actor.login.clone(),
            user_id: self.actor.user_id,
            action: action.to_owned(),
            unit_code: Some(self.unit.to_string()),
            period: Some(self.period.code()),
            indicator: indicator.map(|c| c.to_string()),
            old_value: old,
            new_value: new,
            reason: reason.map(str::to_owned),
            subject: None,
        });
    }

    /// Appends what was recorded to the trail, in the change's transaction.
    async fn write(self, store: &Store, tx: &mut Transaction<'static, Any>) -> Result<(), StoreError> {
        crate::audit::append(tx, store.key(), &self.events).await
    }
}

async fn load_submission(
    tx: &mut Transaction<'static, Any>,
    unit: &UnitCode,
    period: Period,
) -> Result<(Option<i64>, Submission), StoreError> {
    let row = sqlx::query(
        "SELECT s.id, s.state, s.version, s.reopened, s.results, s.limitations, s.directions, s.return_reason, s.submitted_at
         FROM submission s JOIN unit u ON u.id = s.unit_id WHERE u.code = $1 AND s.period = $2",
    )
    .bind(unit.as_str())
    .bind(period.code())
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else {
        return Ok((None, Submission::blank(unit.clone(), period)));
    };
    let id: i64 = row.try_get("id")?;
    let values = sqlx::query(
        "SELECT i.code, v.value_int, v.value_real, v.value_text FROM submission_value v
         JOIN indicator i ON i.id = v.indicator_id WHERE v.submission_id = $1",
    )
    .bind(id)
    .fetch_all(&mut **tx)
    .await?;
    let mut map = BTreeMap::new();
    for v in &values {
        let code = parse_stored(IndicatorCode::parse(&v.try_get::<String, _>("code")?))?;
        let Some(value) = value_from_columns(v)? else { continue };
        map.insert(code, value);
    }
    Ok((
        Some(id),
        Submission {
            unit: unit.clone(),
            period,
            state: parse_stored(SubmissionState::parse(&row.try_get::<String, _>("state")?))?,
            version: row.try_get("version")?,
            reopened: row.try_get::<i64, _>("reopened")? != 0,
            values: map,
            narrative: Narrative {
                results: row.try_get("results")?,
                limitations: row.try_get("limitations")?,
                directions: row.try_get("directions")?,
            },
            return_reason: row.try_get("return_reason")?,
            submitted_at: row.try_get("submitted_at")?,
        },
    ))
}

fn conflict(found: i64) -> StoreError {
    StoreError::Conflict(format!(
        "báo cáo vừa được người khác cập nhật (phiên bản {found}); số liệu bạn gõ chưa được lưu — hãy mở lại trang để xem bản mới rồi nhập lại"
    ))
}

impl Store {
    /// The reporting window of a period: the one set for it, or the default.
    pub async fn reporting_window(&self, period: Period) -> Result<ReportingWindow, StoreError> {
        let row = sqlx::query("SELECT opens_on, deadline, lock_after_days FROM reporting_window WHERE period = $1")
            .bind(period.code())
            .fetch_optional(self.pool())
            .await?;
        let Some(row) = row else {
            return Ok(ReportingWindow::default_for(period));
        };
        let date = |s: String| NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_err(StoreError::corrupt);
        Ok(ReportingWindow {
            period,
            opens_on: date(row.try_get("opens_on")?)?,
            deadline: date(row.try_get("deadline")?)?,
            lock_after_days: u32::try_from(row.try_get::<i64, _>("lock_after_days")?).map_err(StoreError::corrupt)?,
        })
    }

    /// Sets a period's reporting window.
    pub async fn set_reporting_window(&self, window: ReportingWindow) -> Result<(), StoreError> {
        let window = window.validated()?;
        sqlx::query(
            "INSERT INTO reporting_window (period, opens_on, deadline, lock_after_days) VALUES ($1, $2, $3, $4)
             ON CONFLICT (period) DO UPDATE SET opens_on = excluded.opens_on, deadline = excluded.deadline,
                 lock_after_days = excluded.lock_after_days",
        )
        .bind(window.period.code())
        .bind(window.opens_on.to_string())
        .bind(window.deadline.to_string())
        .bind(i64::from(window.lock_after_days))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// A unit's form for a period (blank, version 0, when none was started).
    pub async fn submission(&self, unit: &UnitCode, period: Period) -> Result<Submission, StoreError> {
        let mut tx = self.begin_write().await?;
        let (_, submission) = load_submission(&mut tx, unit, period).await?;
        tx.commit().await?;
        Ok(submission)
    }

    /// Saves a form (`Action::Save`) or saves and submits it (`Action::Submit`), in one
    /// transaction with its audit entries. Refused when `input.version` is not the stored
    /// version, when the workflow forbids it, or — for a submission — when a validation
    /// rule is broken.
    pub async fn save_submission(
        &self,
        actor: &Actor,
        unit: &UnitCode,
        period: Period,
        action: Action,
        situation: Situation,
        input: FormInput,
    ) -> Result<Saved, StoreError> {
        let mut tx = self.begin_write().await?;
        let catalog = load_catalog(&mut *tx).await?;
        let rules = load_rules(&mut *tx, &catalog).await?;
        let (id, current) = load_submission(&mut tx, unit, period).await?;
        // Permission and state first: someone not allowed learns nothing about versions.
        let state = next_state(current.state, action, situation, None)?;
        if input.version != current.version {
            return Err(conflict(current.version));
        }
        let mut values = current.values.clone();
        for (code, value) in &input.values {
            if catalog.get(code).is_none_or(|i| i.is_computed()) {
                return Err(StoreError::Domain(thidua_core::Error::InvalidIndicator {
                    indicator: code.clone(),
                    reason: "không phải chỉ tiêu nhập trong biểu mẫu".into(),
                }));
            }
            match value {
                Some(v) => values.insert(code.clone(), v.clone()),
                None => values.remove(code),
            };
        }
        let violations = thidua_core::rule::check_form(&rules, &values);
        if action == Action::Submit && !violations.is_empty() {
            let list: Vec<String> = violations.iter().map(|v| v.message.clone()).collect();
            return Err(StoreError::Domain(thidua_core::Error::InvalidTransition(format!(
                "chưa gửi được vì số liệu chưa hợp lệ: {}",
                list.join("; ")
            ))));
        }
        let now = Utc::now().to_rfc3339();
        let mut audit = Audit::new(actor, unit, period, now.clone());
        let version = current.version + 1;
        let submitted_at = if action == Action::Submit {
            Some(now.clone())
        } else {
            current.submitted_at.clone()
        };
        let submission_id = match id {
            Some(id) => {
                let updated = sqlx::query(
                    "UPDATE submission SET state = $1, version = $2, results = $3, limitations = $4, directions = $5,
                         submitted_at = $6, updated_at = $7, updated_by = $8
                     WHERE id = $9 AND version = $10",
                )
                .bind(state.as_str())
                .bind(version)
                .bind(&input.narrative.results)
                .bind(&input.narrative.limitations)
                .bind(&input.narrative.directions)
                .bind(submitted_at.clone())
                .bind(&now)
                .bind(actor.user_id)
                .bind(id)
                .bind(current.version)
                .execute(&mut *tx)
                .await?;
                // Another transaction moved the version between our read and this write.
                if updated.rows_affected() != 1 {
                    return Err(conflict(current.version + 1));
                }
                id
            }
            None => {
                let unit_id =
                    *id_map(&mut *tx, Table::Unit)
                        .await?
                        .get(unit.as_str())
                        .ok_or_else(|| StoreError::NotFound {
                            what: "đơn vị",
                            key: unit.to_string(),
                        })?;
                // Two first saves at once: the UNIQUE (unit_id, period) lets only one through.
                let inserted = sqlx::query_scalar::<_, i64>(
                    "INSERT INTO submission (unit_id, period, state, version, results, limitations, directions, submitted_at, updated_at, updated_by)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                )
                .bind(unit_id)
                .bind(period.code())
                .bind(state.as_str())
                .bind(version)
                .bind(&input.narrative.results)
                .bind(&input.narrative.limitations)
                .bind(&input.narrative.directions)
                .bind(submitted_at.clone())
                .bind(&now)
                .bind(actor.user_id)
                .fetch_one(&mut *tx)
                .await;
                match inserted {
                    Ok(id) => id,
                    Err(sqlx::Error::Database(e)) if e.is_unique_violation() => return Err(conflict(1)),
                    Err(e) => return Err(e.into()),
                }
            }
        };
        let indicator_ids = id_map(&mut *tx, Table::Indicator).await?;
        for indicator in catalog.indicators() {
            let (old, new) = (current.values.get(&indicator.code), values.get(&indicator.code));
            if old == new {
                continue;
            }
            let indicator_id = indicator_ids
                .get(indicator.code.as_str())
                .copied()
                .ok_or_else(|| StoreError::corrupt(&indicator.code))?;
            sqlx::query("DELETE FROM submission_value WHERE submission_id = $1 AND indicator_id = $2")
                .bind(submission_id)
                .bind(indicator_id)
                .execute(&mut *tx)
                .await?;
            if let Some(v) = new {
                // One statement per kind of value (see `upsert_value!` in import.rs for why).
                let query = match v {
                    Value::Whole(n) => sqlx::query(
                        "INSERT INTO submission_value (value_int, value_real, value_text, submission_id, indicator_id) VALUES ($1, NULL, NULL, $2, $3)",
                    )
                    .bind(*n),
                    Value::Decimal(x) => sqlx::query(
                        "INSERT INTO submission_value (value_int, value_real, value_text, submission_id, indicator_id) VALUES (NULL, $1, NULL, $2, $3)",
                    )
                    .bind(*x),
                    Value::Text(t) => sqlx::query(
                        "INSERT INTO submission_value (value_int, value_real, value_text, submission_id, indicator_id) VALUES (NULL, NULL, $1, $2, $3)",
                    )
                    .bind(t.clone()),
                };
                query.bind(submission_id).bind(indicator_id).execute(&mut *tx).await?;
            }
            audit.record("value", Some(&indicator.code), value_text(old), value_text(new), None);
        }
        if state != current.state {
            audit.state_change(current.state, state, None);
        }
        audit.write(self, &mut tx).await?;
        let (_, stored) = load_submission(&mut tx, unit, period).await?;
        tx.commit().await?;
        Ok(Saved {
            submission: stored,
            violations,
        })
    }

    /// Accepts, returns or reopens a submission. Accepting makes its values the unit's
    /// official figures for the period (what rollups show), in the same transaction.
    pub async fn decide_submission(
        &self,
        actor: &Actor,
        unit: &UnitCode,
        period: Period,
        decision: Decision<'_>,
    ) -> Result<Submission, StoreError> {
        let Decision {
            action,
            situation,
            version,
            reason,
        } = decision;
        let mut tx = self.begin_write().await?;
        let (id, current) = load_submission(&mut tx, unit, period).await?;
        let state = next_state(current.state, action, situation, reason)?;
        if version != current.version {
            return Err(conflict(current.version));
        }
        let Some(id) = id else {
            return Err(StoreError::NotFound {
                what: "báo cáo",
                key: format!("{unit} kỳ {period}"),
            });
        };
        let now = Utc::now().to_rfc3339();
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        sqlx::query(
            "UPDATE submission SET state = $1, version = $2, return_reason = $3, decided_at = $4, decided_by = $5,
                 reopened = $6, updated_at = $4, updated_by = $5
             WHERE id = $7 AND version = $8",
        )
        .bind(state.as_str())
        .bind(current.version + 1)
        .bind(if action == Action::Accept {
            None
        } else {
            reason.map(str::to_owned)
        })
        .bind(&now)
        .bind(actor.user_id)
        .bind(i64::from(action == Action::Reopen || current.reopened))
        .bind(id)
        .bind(current.version)
        .execute(&mut *tx)
        .await?;
        let mut audit = Audit::new(actor, unit, period, now);
        audit.state_change(current.state, state, reason);
        if action == Action::Accept {
            self.make_official(&mut tx, &mut audit, &current).await?;
        }
        audit.write(self, &mut tx).await?;
        let (_, stored) = load_submission(&mut tx, unit, period).await?;
        tx.commit().await?;
        Ok(stored)
    }

    /// Writes an accepted form's values as the unit's official figures, auditing each
    /// change against what was official before.
    async fn make_official(
        &self,
        tx: &mut Transaction<'static, Any>,
        audit: &mut Audit<'_>,
        form: &Submission,
    ) -> Result<(), StoreError> {
        let before: BTreeMap<IndicatorCode, Value> = sqlx::query(
            "SELECT i.code, v.value_int, v.value_real, v.value_text FROM data_value v
             JOIN unit u ON u.id = v.unit_id JOIN indicator i ON i.id = v.indicator_id
             WHERE u.code = $1 AND v.period = $2",
        )
        .bind(form.unit.as_str())
        .bind(form.period.code())
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .filter_map(|r| {
            let code = IndicatorCode::parse(&r.try_get::<String, _>("code").ok()?).ok()?;
            let value = value_from_columns(r).ok().flatten()?;
            Some((code, value))
        })
        .collect();
        let official: Vec<DataValue> = form
            .values
            .iter()
            .map(|(code, value)| DataValue {
                unit: form.unit.clone(),
                indicator: code.clone(),
                period: form.period,
                value: value.clone(),
                comment: None,
            })
            .collect();
        write_values(tx, self.backend(), official.iter()).await?;
        for (code, value) in &form.values {
            if before.get(code) != Some(value) {
                audit.record(
                    "official",
                    Some(code),
                    value_text(before.get(code)),
                    value_text(Some(value)),
                    None,
                );
            }
        }
        Ok(())
    }

    /// The history of one cell (unit, period, indicator), oldest first.
    pub async fn cell_history(
        &self,
        unit: &UnitCode,
        period: Period,
        indicator: &IndicatorCode,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT at, actor, action, indicator, old_value, new_value, reason FROM audit_event
             WHERE unit_code = $1 AND period = $2 AND (indicator = $3 OR indicator IS NULL) ORDER BY id",
        )
        .bind(unit.as_str())
        .bind(period.code())
        .bind(indicator.as_str())
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(audit_event_from_row).collect()
    }

    /// Which members of a cluster have submitted for a period, on time or late, and which
    /// values they are missing.
    pub async fn completeness(&self, cluster: &Cluster, period: Period) -> Result<Vec<MemberStatus>, StoreError> {
        let catalog: Catalog = self.catalog().await?;
        let window = self.reporting_window(period).await?;
        let official = self.cluster_values(cluster, period).await?;
        let reported: Vec<&IndicatorCode> = catalog
            .indicators()
            .iter()
            .filter(|i| !i.is_computed())
            .map(|i| &i.code)
            .collect();
        let mut out = Vec::new();
        for member in &cluster.members {
            let form = self.submission(member, period).await?;
            let started = form.version > 0;
            let present: Vec<&IndicatorCode> = if started {
                form.values.keys().collect()
            } else {
                official
                    .iter()
                    .filter(|v| &v.unit == member && v.period == period)
                    .map(|v| &v.indicator)
                    .collect()
            };
            let submitted_on = form
                .submitted_at
                .as_deref()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.date_naive());
            out.push(MemberStatus {
                unit: member.clone(),
                state: started.then_some(form.state),
                submitted_on,
                late: submitted_on.map(|d| window.is_late(d)),
                missing: reported
                    .iter()
                    .filter(|c| !present.contains(c))
                    .map(|c| (*c).clone())
                    .collect(),
            });
        }
        Ok(out)
    }
}

/// One audit entry as read back, from a row of `at, actor, action, indicator, old_value,
/// new_value, reason`.
pub(crate) fn audit_event_from_row(r: &sqlx::any::AnyRow) -> Result<AuditEvent, StoreError> {
    Ok(AuditEvent {
        at: r.try_get("at")?,
        actor: r.try_get("actor")?,
        action: r.try_get("action")?,
        indicator: r.try_get("indicator")?,
        old_value: r.try_get("old_value")?,
        new_value: r.try_get("new_value")?,
        reason: r.try_get("reason")?,
    })
}

/// Where one started form stands, without its figures — a line of a to-do list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormStatus {
    /// The unit.
    pub unit: UnitCode,
    /// The period.
    pub period: Period,
    /// Its state.
    pub state: SubmissionState,
    /// When it was last sent for review.
    pub submitted_on: Option<NaiveDate>,
    /// Why it was sent back, when it was.
    pub return_reason: Option<String>,
}

impl Store {
    /// Every started form of the given periods, in one read (at national scale a few
    /// thousand rows per period): what the to-do lists are made of.
    pub async fn form_statuses(&self, periods: &[Period]) -> Result<Vec<FormStatus>, StoreError> {
        let mut out = Vec::new();
        for period in periods {
            let rows = sqlx::query(
                "SELECT u.code, s.state, s.submitted_at, s.return_reason
                 FROM submission s JOIN unit u ON u.id = s.unit_id WHERE s.period = $1 ORDER BY u.code",
            )
            .bind(period.code())
            .fetch_all(self.pool())
            .await?;
            for r in &rows {
                out.push(FormStatus {
                    unit: parse_stored(UnitCode::parse(&r.try_get::<String, _>("code")?))?,
                    period: *period,
                    state: parse_stored(SubmissionState::parse(&r.try_get::<String, _>("state")?))?,
                    submitted_on: r
                        .try_get::<Option<String>, _>("submitted_at")?
                        .as_deref()
                        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                        .map(|t| t.date_naive()),
                    return_reason: r.try_get("return_reason")?,
                });
            }
        }
        Ok(out)
    }
}
