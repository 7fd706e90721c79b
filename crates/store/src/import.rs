//! Imports of the CSV formats (units, clusters, indicators, rules, values). Each import
//! runs in one transaction: the file is read and checked against what the database
//! already holds, and either every row is written or none is. Importing the same file
//! again replaces what it wrote before.
//!
//! A values import is a change of figures like any other: every value it changes leaves
//! an entry in the audit trail, in the import's transaction, and it respects the
//! workflow — figures of a form that was accepted, or that the reporting window has
//! locked, are not overwritten unless an upper-level or admin account takes it on
//! explicitly ([`ValuesImport`]), which the trail records.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use sqlx::{Any, Row, Transaction};
use thidua_core::import::{self, Line, RowError};
use thidua_core::text::search_key;
use thidua_core::workflow::{ReportingWindow, SubmissionState};
use thidua_core::{Access, DataValue, IndicatorCode, Period, Principal, Role, Unit, UnitCode, UnitTree, Value};

use crate::audit::{self, Event};
use crate::error::StoreError;
use crate::store::{Store, Table, data_value_from_row, id_map, load_catalog, load_rules, load_unit_tree, parse_stored};

/// What an import wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportSummary {
    /// Rows written (inserted or replaced).
    pub rows: usize,
}

/// Who imports a values file, and whether it may overwrite figures the workflow has
/// settled.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValuesImport {
    /// The account doing it (login name), recorded in the audit trail; without one the
    /// trail names `import`.
    pub by: Option<String>,
    /// Ghi đè số liệu đã duyệt — overwrite the figures of accepted or locked forms. Only
    /// for an admin, or an upper-level account above the unit; requires `by`.
    pub overwrite_accepted: bool,
}

/// The audit action of an imported value, and of one over an accepted or locked figure.
const IMPORT_ACTION: &str = "import";
const OVERWRITE_ACTION: &str = "import-overwrite";
/// The reason the trail gives for an overwrite.
const OVERWRITE_REASON: &str = "ghi đè số liệu đã duyệt (--overwrite-accepted)";

/// Why a (unit, period)'s figures are settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Settled {
    /// Its form was accepted.
    Accepted,
    /// Its form was started but the reporting window has closed and it was not reopened.
    Locked,
}

impl Settled {
    fn refusal(self, unit: &UnitCode, period: Period) -> String {
        let why = match self {
            Settled::Accepted => "đã được duyệt",
            Settled::Locked => "đã khóa (hết kỳ nhập liệu)",
        };
        format!("số liệu của {unit} kỳ {period} {why}; chỉ cấp trên ghi đè được, với --overwrite-accepted")
    }
}

fn rejected(errors: Vec<RowError>) -> StoreError {
    StoreError::Rejected(errors)
}

impl Store {
    /// Imports `units.csv`.
    pub async fn import_units_csv(&self, text: &str) -> Result<ImportSummary, StoreError> {
        let mut tx = self.begin_write().await?;
        let existing = load_unit_tree(&mut *tx).await?;
        let rows = import::read_units(text, &existing).map_err(rejected)?;
        let mut ids = id_map(&mut *tx, Table::Unit).await?;
        for unit in parents_first(&rows) {
            let parent_id = unit.parent.as_ref().and_then(|p| ids.get(p.as_str()).copied());
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO unit (code, name, search_key, kind, parent_id, valid_from, valid_to)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name, search_key = excluded.search_key,
                     kind = excluded.kind, parent_id = excluded.parent_id,
                     valid_from = excluded.valid_from, valid_to = excluded.valid_to
                 RETURNING id",
            )
            .bind(unit.code.as_str())
            .bind(&unit.name)
            .bind(search_key(&unit.name))
            .bind(&unit.kind)
            .bind(parent_id)
            .bind(unit.valid_from.map(|d| d.to_string()))
            .bind(unit.valid_to.map(|d| d.to_string()))
            .fetch_one(&mut *tx)
            .await?;
            ids.insert(unit.code.to_string(), id);
        }
        tx.commit().await?;
        Ok(ImportSummary { rows: rows.len() })
    }

    /// Imports `clusters.csv`; a cluster's membership for that year is replaced whole.
    pub async fn import_clusters_csv(&self, text: &str) -> Result<ImportSummary, StoreError> {
        let mut tx = self.begin_write().await?;
        let units = load_unit_tree(&mut *tx).await?;
        let rows = import::read_clusters(text, &units).map_err(rejected)?;
        let ids = id_map(&mut *tx, Table::Unit).await?;
        let id_of = |code: &Option<thidua_core::UnitCode>| code.as_ref().and_then(|c| ids.get(c.as_str()).copied());
        for Line { row: cluster, .. } in &rows {
            let cluster_id: i64 = sqlx::query_scalar(
                "INSERT INTO cluster (code, year, name, search_key, chair_id, deputy_id, host_id)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (code, year) DO UPDATE SET name = excluded.name, search_key = excluded.search_key,
                     chair_id = excluded.chair_id, deputy_id = excluded.deputy_id, host_id = excluded.host_id
                 RETURNING id",
            )
            .bind(cluster.code.as_str())
            .bind(i64::from(cluster.year))
            .bind(&cluster.name)
            .bind(search_key(&cluster.name))
            .bind(id_of(&cluster.chair))
            .bind(id_of(&cluster.deputy))
            .bind(id_of(&cluster.host))
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM cluster_member WHERE cluster_id = $1")
                .bind(cluster_id)
                .execute(&mut *tx)
                .await?;
            for (position, member) in cluster.members.iter().enumerate() {
                let unit_id = ids
                    .get(member.as_str())
                    .copied()
                    .ok_or_else(|| StoreError::corrupt(member))?;
                sqlx::query("INSERT INTO cluster_member (cluster_id, unit_id, position) VALUES ($1, $2, $3)")
                    .bind(cluster_id)
                    .bind(unit_id)
                    .bind(position as i64)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(ImportSummary { rows: rows.len() })
    }

    /// Imports `indicators.csv`; known codes are updated in place and keep their order.
    pub async fn import_indicators_csv(&self, text: &str) -> Result<ImportSummary, StoreError> {
        let mut tx = self.begin_write().await?;
        let existing = load_catalog(&mut *tx).await?;
        let rows = import::read_indicators(text, &existing).map_err(rejected)?;
        let last: Option<i64> = sqlx::query_scalar("SELECT MAX(position) FROM indicator")
            .fetch_one(&mut *tx)
            .await?;
        // New indicators go after the existing ones, in file order; known ones keep their place.
        for (position, Line { row: ind, .. }) in (last.unwrap_or(0) + 1..).zip(rows.iter()) {
            sqlx::query(
                "INSERT INTO indicator (code, name, search_key, measure, value_type, aggregation, formula, group_name, position)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name, search_key = excluded.search_key,
                     measure = excluded.measure, value_type = excluded.value_type, aggregation = excluded.aggregation,
                     formula = excluded.formula, group_name = excluded.group_name",
            )
            .bind(ind.code.as_str())
            .bind(&ind.name)
            .bind(search_key(&ind.name))
            .bind(&ind.measure)
            .bind(ind.value_type.as_str())
            .bind(ind.aggregation.as_str())
            .bind(ind.formula.as_ref().map(|f| f.source().to_owned()))
            .bind(&ind.group)
            .bind(position)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(ImportSummary { rows: rows.len() })
    }

    /// Imports `rules.csv` (validation rules between indicators).
    pub async fn import_rules_csv(&self, text: &str) -> Result<ImportSummary, StoreError> {
        let mut tx = self.begin_write().await?;
        let catalog = load_catalog(&mut *tx).await?;
        let rows = import::read_rules(text, &catalog).map_err(rejected)?;
        for Line { row: rule, .. } in &rows {
            sqlx::query(
                "INSERT INTO validation_rule (rule, message) VALUES ($1, $2)
                 ON CONFLICT (rule) DO UPDATE SET message = excluded.message",
            )
            .bind(rule.source())
            .bind(rule.message.clone())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(ImportSummary { rows: rows.len() })
    }

    /// Imports a long-format values file as the program itself (the trail names
    /// `import`), never over settled figures: [`Store::import_values_csv_as`] with no
    /// account.
    pub async fn import_values_csv(&self, text: &str) -> Result<ImportSummary, StoreError> {
        self.import_values_csv_as(text, &ValuesImport::default()).await
    }

    /// Imports a long-format values file. Each value is read against its indicator's
    /// type, and the validation rules are checked on the imported values laid over the
    /// stored ones; a value that changes the figure of an accepted or locked form is
    /// refused unless `options` allows the overwrite; any error refuses the whole file.
    /// Every changed value is written to the audit trail with its old and new value.
    /// Values whose figure is unchanged are rewritten (their comment may change) but
    /// neither audited nor refused: nothing settled changes.
    pub async fn import_values_csv_as(&self, text: &str, options: &ValuesImport) -> Result<ImportSummary, StoreError> {
        let mut tx = self.begin_write().await?;
        let catalog = load_catalog(&mut *tx).await?;
        let units = load_unit_tree(&mut *tx).await?;
        let rules = load_rules(&mut *tx).await?;
        let rows = import::read_values(text, &catalog, &units).map_err(rejected)?;
        let account = match &options.by {
            Some(username) => Some(importing_account(&mut tx, username).await?),
            None => None,
        };
        if options.overwrite_accepted
            && !account
                .as_ref()
                .is_some_and(|a| matches!(a.role, Role::Upper | Role::Admin))
        {
            return Err(StoreError::Domain(thidua_core::Error::NotAllowed(
                "--overwrite-accepted cần --by TÊN_ĐĂNG_NHẬP của một tài khoản cấp trên hoặc quản trị".into(),
            )));
        }
        let stored = stored_values_for(&mut tx, &rows).await?;
        let settled = settled_forms(&mut tx, &rows, chrono::Local::now().date_naive()).await?;
        let (events, mut errors) = changes(&rows, &stored, &settled, account.as_ref(), &units, options);
        errors.extend(import::check_rules(&rows, &stored, &rules));
        if !errors.is_empty() {
            errors.sort_by_key(|e| e.line);
            return Err(rejected(errors));
        }
        write_values(&mut tx, rows.iter().map(|l| &l.row)).await?;
        audit::append(&mut tx, self.key(), &events).await?;
        tx.commit().await?;
        Ok(ImportSummary { rows: rows.len() })
    }
}

/// The audit entries of an import's changed values, and the rows refused because they
/// would change a settled figure without the right to.
fn changes(
    rows: &[Line<DataValue>],
    stored: &[DataValue],
    settled: &BTreeMap<(UnitCode, Period), Settled>,
    account: Option<&Principal>,
    units: &UnitTree,
    options: &ValuesImport,
) -> (Vec<Event>, Vec<RowError>) {
    let before: BTreeMap<(&UnitCode, &IndicatorCode, Period), &Value> = stored
        .iter()
        .map(|v| ((&v.unit, &v.indicator, v.period), &v.value))
        .collect();
    let access = account.map(|a| Access::new(a, units, &[]));
    let at = chrono::Utc::now().to_rfc3339();
    let mut events = Vec::new();
    let mut errors = Vec::new();
    for Line { line, row } in rows {
        let old = before.get(&(&row.unit, &row.indicator, row.period)).copied();
        if old == Some(&row.value) {
            continue;
        }
        let overwrite = match settled.get(&(row.unit.clone(), row.period)) {
            None => false,
            Some(how) if !options.overwrite_accepted => {
                errors.push(RowError {
                    line: *line,
                    column: None,
                    reason: how.refusal(&row.unit, row.period),
                });
                continue;
            }
            Some(_) if !access.as_ref().is_some_and(|a| a.can_reopen(&row.unit)) => {
                errors.push(RowError {
                    line: *line,
                    column: None,
                    reason: format!(
                        "tài khoản «{}» không phải cấp trên của {}; không được ghi đè số liệu đã duyệt",
                        account.map_or("", |a| a.username.as_str()),
                        row.unit
                    ),
                });
                continue;
            }
            Some(_) => true,
        };
        events.push(Event {
            at: at.clone(),
            actor: account.map_or_else(|| IMPORT_ACTION.to_owned(), |a| a.username.clone()),
            user_id: account.map(|a| a.user_id),
            action: if overwrite { OVERWRITE_ACTION } else { IMPORT_ACTION }.to_owned(),
            unit_code: Some(row.unit.to_string()),
            period: Some(row.period.code()),
            indicator: Some(row.indicator.to_string()),
            old_value: old.map(Value::format_plain),
            new_value: Some(row.value.format_plain()),
            reason: overwrite.then(|| OVERWRITE_REASON.to_owned()),
            subject: None,
        });
    }
    (events, errors)
}

/// The account an import is made by, checked in the database: it must exist and not be
/// disabled.
async fn importing_account(tx: &mut Transaction<'static, Any>, username: &str) -> Result<Principal, StoreError> {
    let row = sqlx::query(
        "SELECT a.id, a.username, a.role, a.disabled, u.code AS unit
         FROM app_user a LEFT JOIN unit u ON u.id = a.unit_id WHERE a.username = $1",
    )
    .bind(username.trim())
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(|| StoreError::NotFound {
        what: "tài khoản",
        key: username.to_owned(),
    })?;
    if row.try_get::<i64, _>("disabled")? != 0 {
        return Err(StoreError::Domain(thidua_core::Error::NotAllowed(format!(
            "tài khoản «{username}» đã bị khóa"
        ))));
    }
    Ok(Principal {
        user_id: row.try_get("id")?,
        username: row.try_get("username")?,
        role: parse_stored(Role::parse(&row.try_get::<String, _>("role")?))?,
        unit: row
            .try_get::<Option<String>, _>("unit")?
            .map(|c| parse_stored(UnitCode::parse(&c)))
            .transpose()?,
    })
}

/// The (unit, period) pairs of the file whose figures are settled: the form was
/// accepted, or it was started and the period's reporting window is closed on `today`
/// without the upper level having reopened it. A unit that never started a form for the
/// period has nothing settled (the import is then how its figures arrive, as for past
/// years).
async fn settled_forms(
    tx: &mut Transaction<'static, Any>,
    rows: &[Line<DataValue>],
    today: NaiveDate,
) -> Result<BTreeMap<(UnitCode, Period), Settled>, StoreError> {
    let periods: BTreeSet<Period> = rows.iter().map(|l| l.row.period).collect();
    let pairs: BTreeSet<(&UnitCode, Period)> = rows.iter().map(|l| (&l.row.unit, l.row.period)).collect();
    let mut out = BTreeMap::new();
    for period in periods {
        let window = sqlx::query("SELECT opens_on, deadline, lock_after_days FROM reporting_window WHERE period = $1")
            .bind(period.code())
            .fetch_optional(&mut **tx)
            .await?;
        let window = match window {
            None => ReportingWindow::default_for(period),
            Some(row) => {
                let date = |s: String| NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_err(StoreError::corrupt);
                ReportingWindow {
                    period,
                    opens_on: date(row.try_get("opens_on")?)?,
                    deadline: date(row.try_get("deadline")?)?,
                    lock_after_days: u32::try_from(row.try_get::<i64, _>("lock_after_days")?)
                        .map_err(StoreError::corrupt)?,
                }
            }
        };
        let forms = sqlx::query(
            "SELECT u.code AS unit, s.state, s.reopened FROM submission s JOIN unit u ON u.id = s.unit_id
             WHERE s.period = $1",
        )
        .bind(period.code())
        .fetch_all(&mut **tx)
        .await?;
        for form in &forms {
            let unit = parse_stored(UnitCode::parse(&form.try_get::<String, _>("unit")?))?;
            if !pairs.contains(&(&unit, period)) {
                continue;
            }
            let state = parse_stored(SubmissionState::parse(&form.try_get::<String, _>("state")?))?;
            let reopened = form.try_get::<i64, _>("reopened")? != 0;
            let settled = if state == SubmissionState::Accepted {
                Some(Settled::Accepted)
            } else if !window.is_open_on(today) && !reopened {
                Some(Settled::Locked)
            } else {
                None
            };
            if let Some(how) = settled {
                out.insert((unit, period), how);
            }
        }
    }
    Ok(out)
}

/// The stored values of the (unit, period) pairs an import touches.
async fn stored_values_for(
    tx: &mut Transaction<'static, Any>,
    rows: &[Line<DataValue>],
) -> Result<Vec<DataValue>, StoreError> {
    let periods: BTreeSet<Period> = rows.iter().map(|l| l.row.period).collect();
    let pairs: BTreeSet<(&str, Period)> = rows.iter().map(|l| (l.row.unit.as_str(), l.row.period)).collect();
    let mut out = Vec::new();
    for period in periods {
        let found = sqlx::query(
            "SELECT u.code AS unit, i.code AS indicator, v.period, v.value_int, v.value_real, v.value_text, v.comment
             FROM data_value v JOIN unit u ON u.id = v.unit_id JOIN indicator i ON i.id = v.indicator_id
             WHERE v.period = $1",
        )
        .bind(period.code())
        .fetch_all(&mut **tx)
        .await?;
        for row in &found {
            let value = data_value_from_row(row)?;
            if pairs.contains(&(value.unit.as_str(), value.period)) {
                out.push(value);
            }
        }
    }
    Ok(out)
}

/// The upsert of one value, with the value columns (`value_int, value_real, value_text`)
/// given as SQL: the value is `$1`, bound first; the rest are `$2`–`$8`.
macro_rules! upsert_value {
    ($columns:literal) => {
        concat!(
            "INSERT INTO data_value (value_int, value_real, value_text, unit_id, indicator_id, period, period_start, period_end, comment, updated_at)
             VALUES (", $columns, ", $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (unit_id, indicator_id, period) DO UPDATE SET value_int = excluded.value_int,
                 value_real = excluded.value_real, value_text = excluded.value_text,
                 comment = excluded.comment, updated_at = excluded.updated_at"
        )
    };
}

/// Writes values, replacing any stored for the same unit, indicator and period.
pub(crate) async fn write_values<'a>(
    tx: &mut Transaction<'static, Any>,
    values: impl Iterator<Item = &'a DataValue>,
) -> Result<usize, StoreError> {
    let units: BTreeMap<String, i64> = id_map(&mut **tx, Table::Unit).await?;
    let indicators: BTreeMap<String, i64> = id_map(&mut **tx, Table::Indicator).await?;
    let now = chrono::Utc::now().to_rfc3339();
    let mut written = 0;
    let mut changed = BTreeSet::new();
    for v in values {
        let unit_id = units.get(v.unit.as_str()).ok_or_else(|| StoreError::NotFound {
            what: "đơn vị",
            key: v.unit.to_string(),
        })?;
        let indicator_id = indicators
            .get(v.indicator.as_str())
            .ok_or_else(|| StoreError::NotFound {
                what: "chỉ tiêu",
                key: v.indicator.to_string(),
            })?;
        // One statement per kind of value, the other two columns written as literal NULLs:
        // through `Any`, PostgreSQL keeps the parameter types of a statement's first run,
        // and a NULL bound where a later run binds a number fails that run (22P03).
        let query = match &v.value {
            Value::Whole(n) => sqlx::query(upsert_value!("$1, NULL, NULL")).bind(*n),
            Value::Decimal(x) => sqlx::query(upsert_value!("NULL, $1, NULL")).bind(*x),
            Value::Text(t) => sqlx::query(upsert_value!("NULL, NULL, $1")).bind(t.clone()),
        };
        query
            .bind(*unit_id)
            .bind(*indicator_id)
            .bind(v.period.code())
            .bind(v.period.start().to_string())
            .bind(v.period.end().to_string())
            .bind(v.comment.clone())
            .bind(&now)
            .execute(&mut **tx)
            .await?;
        changed.insert((*unit_id, v.period));
        written += 1;
    }
    crate::values::record_changes(tx, &changed).await?;
    Ok(written)
}

/// The file's units ordered so that a parent given in the same file comes before its
/// children (the tree was already checked for cycles, so depth is finite).
fn parents_first(rows: &[Line<Unit>]) -> Vec<&Unit> {
    let in_file: BTreeMap<&str, &Unit> = rows.iter().map(|l| (l.row.code.as_str(), &l.row)).collect();
    let depth = |unit: &Unit| {
        let mut d = 0usize;
        let mut current = unit.parent.as_ref().and_then(|p| in_file.get(p.as_str()));
        while let Some(parent) = current {
            d += 1;
            if d > in_file.len() {
                break;
            }
            current = parent.parent.as_ref().and_then(|p| in_file.get(p.as_str()));
        }
        d
    };
    let mut units: Vec<&Unit> = rows.iter().map(|l| &l.row).collect();
    units.sort_by_key(|u| depth(u));
    units
}
