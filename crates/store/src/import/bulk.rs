//! Nhập số liệu hàng loạt — the values import, streamed. The file is read on a blocking
//! thread, row by row ([`ValuesStream`]), into batches of database keys; the batches go
//! into a staging table — multi-row prepared INSERTs into a temporary table on SQLite,
//! `COPY … FROM STDIN` on PostgreSQL — while the next batch is read. The whole-file
//! checks then run as set-based SQL over the staged rows (settled forms, changed
//! figures, the validation rules), and one `INSERT … SELECT` (with `ON CONFLICT` when the
//! file's periods hold values already; on PostgreSQL, for a large load, with data_value's
//! foreign keys — and, for a first load, its indexes — dropped and added back around
//! it) moves them into `data_value`, all in
//! the import's one transaction: a file with any bad row
//! writes nothing, and every bad row is named (the first [`MAX_LISTED`], the rest
//! counted).
//!
//! PostgreSQL's `COPY` is not reachable through sqlx's `Any` driver, so it runs on a
//! connection of its own into an unlogged table of this import alone, committed there
//! and read by the import's transaction; the table is dropped at the end whatever
//! happens. docs/decisions.md, "Bulk values import", says why and what was rejected.
//!
//! The audit trail keeps, per value, every figure that replaces a different stored one
//! and every figure written over a settled form; the figures new to the database are
//! recorded once per (unit, period) form, with their count and the file they came from
//! — as DHIS2 audits updates and deletions and stamps new values with who stored them.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read;

use chrono::NaiveDate;
use sqlx::{Any, AssertSqlSafe, Connection, Row, Transaction};
use thidua_core::import::{Line, RowError, ValuesStream, check_rules};
use thidua_core::workflow::{ReportingWindow, SubmissionState};
use thidua_core::{Access, Catalog, DataValue, IndicatorCode, Period, Principal, Role, UnitCode, UnitTree, Value};

use super::{ImportSummary, ValuesImport};
use crate::audit::{self, Event};
use crate::error::StoreError;
use crate::store::{
    Backend, Store, Table, id_map, load_catalog, load_rules, load_unit_tree, parse_stored, value_from_columns,
    value_from_named,
};

/// Rows handed from the reading thread to the writer at once.
const BATCH: usize = 8192;
/// Rows per INSERT into SQLite's staging table: 8 parameters each, under SQLite's limit
/// of 32.766 per statement.
const ROWS_PER_INSERT: usize = 1000;
/// Problems listed one by one; beyond that they are only counted.
pub const MAX_LISTED: usize = 1000;
/// Changed figures read back at once for the audit trail, so memory stays bounded when a
/// whole national file is corrected.
const AUDIT_PAGE: i64 = 5000;

/// The audit action of an imported value, and of one over an accepted or locked figure.
const IMPORT_ACTION: &str = "import";
const OVERWRITE_ACTION: &str = "import-overwrite";
/// The reason the trail gives for an overwrite.
const OVERWRITE_REASON: &str = "ghi đè số liệu đã duyệt (--overwrite-accepted)";

/// How far an import has got, for a progress line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImportProgress {
    /// Rows read so far.
    pub rows: u64,
    /// Bytes of the file read so far.
    pub bytes: u64,
}

/// One staged row: the keys as database ids.
struct Staged {
    line: u64,
    unit_id: i64,
    indicator_id: i64,
    period: Period,
    value: Value,
    comment: Option<String>,
}

/// What the reading thread found once the file is read.
#[derive(Default)]
struct ReadOutcome {
    rows: u64,
    errors: Vec<RowError>,
    /// Errors beyond [`MAX_LISTED`].
    unlisted: u64,
    /// Rows per (unit id, period).
    pairs: BTreeMap<(i64, Period), u64>,
}

enum Message {
    Batch(Vec<Staged>, ImportProgress),
    End(Result<ReadOutcome, StoreError>),
}

/// Why a (unit, period)'s figures are settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Settled {
    /// Its form was accepted.
    Accepted,
    /// Its form was started but the reporting window has closed and it was not reopened.
    Locked,
}

impl Settled {
    fn refusal(self, unit: &str, period: Period) -> String {
        let why = match self {
            Settled::Accepted => "đã được duyệt",
            Settled::Locked => "đã khóa (hết kỳ nhập liệu)",
        };
        format!("số liệu của {unit} kỳ {period} {why}; chỉ cấp trên ghi đè được, với --overwrite-accepted")
    }
}

/// Where the staged rows are.
enum Staging {
    /// A temporary table on the import's own connection.
    Sqlite,
    /// An unlogged table filled by `COPY` on a connection of its own.
    Postgres {
        conn: sqlx::postgres::PgConnection,
        table: String,
    },
}

impl Staging {
    fn table(&self) -> &str {
        match self {
            Staging::Sqlite => "import_stage",
            Staging::Postgres { table, .. } => table,
        }
    }
}

/// The staging table's columns, in the order rows are written. A period's first and last
/// days are not staged per row: the final INSERT takes them from a table of the file's
/// periods (`import_period`).
const STAGE_COLUMNS: &str = "line, unit_id, indicator_id, period, value_int, value_real, value_text, comment";

fn stage_ddl(create: &str, table: &str) -> String {
    format!(
        "{create} {table} (line BIGINT NOT NULL, unit_id BIGINT NOT NULL, indicator_id BIGINT NOT NULL,
         period TEXT NOT NULL,
         value_int BIGINT, value_real DOUBLE PRECISION, value_text TEXT, comment TEXT)"
    )
}

/// A stored figure differs from the staged one (`s`) — or there is none (`v` NULL).
const DIFFERS: &str = "(v.value_int IS DISTINCT FROM s.value_int OR v.value_real IS DISTINCT FROM s.value_real
     OR v.value_text IS DISTINCT FROM s.value_text)";
/// Joins the stored value (`v`) of a staged row (`s`).
const STORED_OF_STAGED: &str =
    "data_value v ON v.unit_id = s.unit_id AND v.indicator_id = s.indicator_id AND v.period = s.period";

impl Store {
    /// Imports a long-format values file read from `input`, streamed: the same checks,
    /// refusals and audit as [`Store::import_values_csv_as`] (which calls this), for files
    /// of any size. `source` names the file in the audit trail; `progress` is called as
    /// batches are written.
    pub async fn import_values_from(
        &self,
        input: impl Read + Send + 'static,
        options: &ValuesImport,
        source: &str,
        progress: &(dyn Fn(ImportProgress) + Send + Sync),
    ) -> Result<ImportSummary, StoreError> {
        let mut tx = self.begin_write().await?;
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
        let catalog = load_catalog(&mut *tx).await?;
        let units = load_unit_tree(&mut *tx).await?;
        let rules = load_rules(&mut *tx, &catalog).await?;
        let unit_ids = id_map(&mut *tx, Table::Unit).await?;
        let indicator_ids = id_map(&mut *tx, Table::Indicator).await?;

        let mut staging = match self.backend() {
            Backend::Sqlite => {
                sqlx::query(AssertSqlSafe(stage_ddl("CREATE TEMP TABLE", "import_stage")))
                    .execute(&mut *tx)
                    .await?;
                Staging::Sqlite
            }
            Backend::Postgres => {
                let mut conn = sqlx::postgres::PgConnection::connect(self.url().expose()).await?;
                let mut suffix = [0u8; 8];
                crate::secret::fill_random(&mut suffix)?;
                let table = format!("import_stage_{}", crate::secret::hex(&suffix));
                sqlx::query(AssertSqlSafe(stage_ddl("CREATE UNLOGGED TABLE", &table)))
                    .execute(&mut conn)
                    .await?;
                Staging::Postgres { conn, table }
            }
        };
        let (sender, receiver) = tokio::sync::mpsc::channel(4);
        let reader = {
            let (catalog, units) = (catalog.clone(), units.clone());
            let (unit_ids, indicator_ids) = (unit_ids.clone(), indicator_ids.clone());
            tokio::task::spawn_blocking(move || read_file(input, &catalog, &units, &unit_ids, &indicator_ids, &sender))
        };
        let staged = stage(&mut tx, &mut staging, receiver, progress).await;
        // The thread ends once the channel is gone; its panic would be a bug.
        let _ = reader.await;
        let result = match staged {
            Ok(outcome) => {
                self.finish_import(
                    &mut tx,
                    &staging,
                    outcome,
                    Checks {
                        units: &units,
                        rules: &rules,
                        unit_ids: &unit_ids,
                        indicator_ids: &indicator_ids,
                        account: account.as_ref(),
                        options,
                        source,
                    },
                )
                .await
            }
            Err(e) => Err(e),
        };
        // The transaction ends before the staging table is dropped: it holds a lock on it.
        let result = match result {
            Ok(summary) => {
                if let Staging::Sqlite = staging {
                    sqlx::query("DROP TABLE temp.import_stage").execute(&mut *tx).await?;
                }
                tx.commit().await.map(|()| summary).map_err(StoreError::from)
            }
            Err(e) => {
                tx.rollback().await?;
                Err(e)
            }
        };
        if let Staging::Postgres { mut conn, table } = staging {
            // Dropped whatever happened; a failure here leaves an unlogged scratch table,
            // which says its name.
            let dropped = sqlx::query(AssertSqlSafe(format!("DROP TABLE IF EXISTS {table}")))
                .execute(&mut conn)
                .await;
            if let Err(e) = dropped {
                tracing::warn!("không xóa được bảng tạm {table}: {e}");
            }
            let _ = conn.close().await;
        }
        result
    }

    /// The whole-file checks over the staged rows, and the writes.
    async fn finish_import(
        &self,
        tx: &mut Transaction<'static, Any>,
        staging: &Staging,
        outcome: ReadOutcome,
        checks: Checks<'_>,
    ) -> Result<ImportSummary, StoreError> {
        let stage = staging.table();
        if !outcome.errors.is_empty() {
            return Err(StoreError::Rejected(listed(outcome.errors, outcome.unlisted)));
        }
        let code_of_unit: HashMap<i64, &str> = checks.unit_ids.iter().map(|(c, id)| (*id, c.as_str())).collect();
        let periods: BTreeSet<Period> = outcome.pairs.keys().map(|(_, p)| *p).collect();
        let settled = settled_pairs(tx, &outcome.pairs, &periods, chrono::Local::now().date_naive()).await?;
        let any_stored = any_stored_in(tx, &periods).await?;
        let at = chrono::Utc::now().to_rfc3339();
        let actor = checks
            .account
            .map_or_else(|| IMPORT_ACTION.to_owned(), |a| a.username.clone());
        let event = |action: &str, unit: &str, period: &str| Event {
            at: at.clone(),
            actor: actor.clone(),
            user_id: checks.account.map(|a| a.user_id),
            action: action.to_owned(),
            unit_code: Some(unit.to_owned()),
            period: Some(period.to_owned()),
            ..Event::default()
        };

        let mut errors = Vec::new();
        let mut events = Vec::new();
        sqlx::query("CREATE TEMP TABLE import_settled (unit_id BIGINT NOT NULL, period TEXT NOT NULL)")
            .execute(&mut **tx)
            .await?;
        if !settled.is_empty() {
            for (unit_id, period) in settled.keys() {
                sqlx::query("INSERT INTO import_settled (unit_id, period) VALUES ($1, $2)")
                    .bind(*unit_id)
                    .bind(period.code())
                    .execute(&mut **tx)
                    .await?;
            }
            let access = checks.account.map(|a| Access::new(a, checks.units, &[]));
            let rows = sqlx::query(AssertSqlSafe(format!(
                "SELECT s.line, s.unit_id, s.period, i.code AS indicator,
                     v.value_int AS old_int, v.value_real AS old_real, v.value_text AS old_text,
                     s.value_int, s.value_real, s.value_text
                 FROM {stage} s JOIN import_settled p ON p.unit_id = s.unit_id AND p.period = s.period
                 JOIN indicator i ON i.id = s.indicator_id
                 LEFT JOIN {STORED_OF_STAGED}
                 WHERE v.unit_id IS NULL OR {DIFFERS} ORDER BY s.line"
            )))
            .fetch_all(&mut **tx)
            .await?;
            for row in &rows {
                let line = u64::try_from(row.try_get::<i64, _>("line")?).map_err(StoreError::corrupt)?;
                let unit_id: i64 = row.try_get("unit_id")?;
                let unit = code_of_unit.get(&unit_id).copied().unwrap_or_default();
                let period = parse_stored(Period::parse(&row.try_get::<String, _>("period")?))?;
                let Some(how) = settled.get(&(unit_id, period)) else {
                    continue;
                };
                if !checks.options.overwrite_accepted {
                    errors.push(RowError {
                        line,
                        column: None,
                        reason: how.refusal(unit, period),
                    });
                    continue;
                }
                let may = match (&access, UnitCode::parse(unit)) {
                    (Some(access), Ok(code)) => access.can_reopen(&code),
                    _ => false,
                };
                if !may {
                    errors.push(RowError {
                        line,
                        column: None,
                        reason: format!(
                            "tài khoản «{}» không phải cấp trên của {unit}; không được ghi đè số liệu đã duyệt",
                            checks.account.map_or("", |a| a.username.as_str()),
                        ),
                    });
                    continue;
                }
                let (old_value, new_value) = old_and_new(row)?;
                events.push(Event {
                    indicator: Some(row.try_get("indicator")?),
                    old_value,
                    new_value,
                    reason: Some(OVERWRITE_REASON.to_owned()),
                    ..event(OVERWRITE_ACTION, unit, &period.code())
                });
            }
        }

        // The stored figures this file replaces with different ones, outside settled forms.
        // A file for periods with no stored value at all (the first import of a year)
        // skips the join.
        let mut replaced_per_pair: BTreeMap<(i64, Period), u64> = BTreeMap::new();
        if any_stored {
            sqlx::query(AssertSqlSafe(format!(
                "CREATE TEMP TABLE import_changed AS
                 SELECT s.line, s.unit_id, s.indicator_id, s.period,
                     v.value_int AS old_int, v.value_real AS old_real, v.value_text AS old_text,
                     s.value_int, s.value_real, s.value_text,
                     CASE WHEN {DIFFERS} THEN 1 ELSE 0 END AS differs
                 FROM {stage} s JOIN {STORED_OF_STAGED}
                 WHERE NOT EXISTS (SELECT 1 FROM import_settled p WHERE p.unit_id = s.unit_id AND p.period = s.period)"
            )))
            .execute(&mut **tx)
            .await?;
            sqlx::query("CREATE INDEX import_changed_line ON import_changed (line)")
                .execute(&mut **tx)
                .await?;
            let counts =
                sqlx::query("SELECT unit_id, period, COUNT(*) AS n FROM import_changed GROUP BY unit_id, period")
                    .fetch_all(&mut **tx)
                    .await?;
            for row in &counts {
                let period = parse_stored(Period::parse(&row.try_get::<String, _>("period")?))?;
                let n = u64::try_from(row.try_get::<i64, _>("n")?).map_err(StoreError::corrupt)?;
                replaced_per_pair.insert((row.try_get("unit_id")?, period), n);
            }
        }

        if !checks.rules.is_empty() {
            errors.extend(rule_violations(tx, stage, &checks).await?);
        }
        if !errors.is_empty() {
            errors.sort_by_key(|e| e.line);
            let unlisted = errors.len().saturating_sub(MAX_LISTED) as u64;
            errors.truncate(MAX_LISTED);
            return Err(StoreError::Rejected(listed(errors, unlisted)));
        }

        // The figures new to the database: one entry per form, naming the file.
        for ((unit_id, period), rows) in &outcome.pairs {
            if settled.contains_key(&(*unit_id, *period)) {
                continue;
            }
            let new = rows - replaced_per_pair.get(&(*unit_id, *period)).copied().unwrap_or(0);
            if new == 0 {
                continue;
            }
            let unit = code_of_unit.get(unit_id).copied().unwrap_or_default();
            events.push(Event {
                new_value: Some(new.to_string()),
                reason: Some(format!("{new} giá trị mới từ tệp {source}", source = checks.source)),
                ..event(IMPORT_ACTION, unit, &period.code())
            });
        }

        // On PostgreSQL a large load lifts data_value's foreign keys for the statement and
        // puts them back, which checks every row at once, and a load into periods with
        // nothing stored at least as large as the table builds its indexes after the
        // INSERT instead of during it (docs/decisions.md, "Bulk values import: the large
        // load on PostgreSQL").
        let lifted = match self.backend() {
            Backend::Postgres => lift(tx, outcome.rows, any_stored).await?,
            Backend::Sqlite => Lifted::default(),
        };
        sqlx::query(
            "CREATE TEMP TABLE import_period (period TEXT PRIMARY KEY, period_start TEXT NOT NULL,
                 period_end TEXT NOT NULL)",
        )
        .execute(&mut **tx)
        .await?;
        for period in &periods {
            sqlx::query("INSERT INTO import_period (period, period_start, period_end) VALUES ($1, $2, $3)")
                .bind(period.code())
                .bind(period.start().to_string())
                .bind(period.end().to_string())
                .execute(&mut **tx)
                .await?;
        }
        let now = chrono::Utc::now().to_rfc3339();
        sqlx::query(AssertSqlSafe(insert_values_sql(stage, any_stored)))
            .bind(now)
            .execute(&mut **tx)
            .await?;
        restore(tx, &lifted).await?;
        sqlx::query("DROP TABLE import_period").execute(&mut **tx).await?;

        audit::append(tx, self.key(), &events).await?;
        if any_stored {
            let mut after = 0i64;
            loop {
                let page = sqlx::query(
                    "SELECT c.line, u.code AS unit, i.code AS indicator, c.period,
                         c.old_int, c.old_real, c.old_text, c.value_int, c.value_real, c.value_text
                     FROM import_changed c JOIN unit u ON u.id = c.unit_id JOIN indicator i ON i.id = c.indicator_id
                     WHERE c.differs = 1 AND c.line > $1 ORDER BY c.line LIMIT $2",
                )
                .bind(after)
                .bind(AUDIT_PAGE)
                .fetch_all(&mut **tx)
                .await?;
                let Some(last) = page.last() else { break };
                after = last.try_get("line")?;
                let mut changed = Vec::with_capacity(page.len());
                for row in &page {
                    let unit: String = row.try_get("unit")?;
                    let period: String = row.try_get("period")?;
                    let (old_value, new_value) = old_and_new(row)?;
                    changed.push(Event {
                        indicator: Some(row.try_get("indicator")?),
                        old_value,
                        new_value,
                        ..event(IMPORT_ACTION, &unit, &period)
                    });
                }
                audit::append(tx, self.key(), &changed).await?;
            }
            sqlx::query("DROP TABLE import_changed").execute(&mut **tx).await?;
        }
        sqlx::query("DROP TABLE import_settled").execute(&mut **tx).await?;
        let pairs: BTreeSet<(i64, Period)> = outcome.pairs.keys().copied().collect();
        crate::values::record_changes(tx, self.backend(), &pairs).await?;
        Ok(ImportSummary {
            rows: usize::try_from(outcome.rows).map_err(StoreError::corrupt)?,
        })
    }
}

/// What the whole-file checks need.
struct Checks<'a> {
    units: &'a UnitTree,
    rules: &'a [thidua_core::ValidationRule],
    unit_ids: &'a BTreeMap<String, i64>,
    indicator_ids: &'a BTreeMap<String, i64>,
    account: Option<&'a Principal>,
    options: &'a ValuesImport,
    source: &'a str,
}

/// The listed errors, with a last line counting those left out.
fn listed(mut errors: Vec<RowError>, unlisted: u64) -> Vec<RowError> {
    if unlisted > 0 {
        let line = errors.last().map_or(1, |e| e.line);
        errors.push(RowError {
            line,
            column: None,
            reason: format!(
                "… và {} lỗi khác sau dòng này (chỉ liệt kê {} lỗi đầu)",
                thidua_core::number::format_integer(i64::try_from(unlisted).unwrap_or(i64::MAX)),
                MAX_LISTED
            ),
        });
    }
    errors
}

/// Reads the file on a blocking thread into batches of database keys, sent to the writer;
/// every problem is collected (the first [`MAX_LISTED`] listed), and once there is one no
/// more rows are sent, since nothing will be written.
fn read_file(
    input: impl Read,
    catalog: &Catalog,
    units: &UnitTree,
    unit_ids: &BTreeMap<String, i64>,
    indicator_ids: &BTreeMap<String, i64>,
    out: &tokio::sync::mpsc::Sender<Message>,
) {
    let outcome = (|| -> Result<ReadOutcome, StoreError> {
        let mut outcome = ReadOutcome::default();
        let mut stream = match ValuesStream::new(input, catalog, units) {
            Ok(stream) => stream,
            Err(e) => {
                outcome.errors.push(e);
                return Ok(outcome);
            }
        };
        let unit_ids: HashMap<&str, i64> = unit_ids.iter().map(|(c, id)| (c.as_str(), *id)).collect();
        let indicator_ids: HashMap<&str, i64> = indicator_ids.iter().map(|(c, id)| (c.as_str(), *id)).collect();
        let mut seen = Seen::default();
        let mut batch = Vec::with_capacity(BATCH);
        let problem = |outcome: &mut ReadOutcome, e: RowError| {
            if outcome.errors.len() < MAX_LISTED {
                outcome.errors.push(e);
            } else {
                outcome.unlisted += 1;
            }
        };
        while let Some(row) = stream.next_row() {
            let row = match row {
                Ok(row) => row,
                Err(errors) => {
                    errors.into_iter().for_each(|e| problem(&mut outcome, e));
                    continue;
                }
            };
            let (Some(&unit_id), Some(&indicator_id)) = (
                unit_ids.get(row.unit.code.as_str()),
                indicator_ids.get(row.indicator.code.as_str()),
            ) else {
                return Err(StoreError::corrupt(format!(
                    "{} / {}",
                    row.unit.code, row.indicator.code
                )));
            };
            if let Some(first) = seen.first_line(unit_id, indicator_id, row.period, row.line) {
                let key = format!("{}/{}/{}", row.unit.code, row.indicator.code, row.period);
                problem(
                    &mut outcome,
                    RowError {
                        line: row.line,
                        column: None,
                        reason: format!("{key} trùng với dòng {first}"),
                    },
                );
                continue;
            }
            outcome.rows += 1;
            *outcome.pairs.entry((unit_id, row.period)).or_default() += 1;
            if !outcome.errors.is_empty() {
                continue;
            }
            batch.push(Staged {
                line: row.line,
                unit_id,
                indicator_id,
                period: row.period,
                value: row.value,
                comment: row.comment,
            });
            if batch.len() == BATCH {
                let at = ImportProgress {
                    rows: outcome.rows,
                    bytes: stream.bytes_read(),
                };
                if out
                    .blocking_send(Message::Batch(std::mem::take(&mut batch), at))
                    .is_err()
                {
                    return Ok(outcome);
                }
                batch.reserve(BATCH);
            }
        }
        if !batch.is_empty() && outcome.errors.is_empty() {
            let at = ImportProgress {
                rows: outcome.rows,
                bytes: stream.bytes_read(),
            };
            let _ = out.blocking_send(Message::Batch(batch, at));
        }
        Ok(outcome)
    })();
    let _ = out.blocking_send(Message::End(outcome));
}

/// The (unit, indicator, period) keys seen so far and the line of each, packed in 8
/// bytes a key (about 16 a row in the map), so a file of ten million rows needs about
/// 200 MB to be checked for duplicates.
#[derive(Default)]
struct Seen {
    lines: HashMap<u64, u32>,
    periods: HashMap<Period, u64>,
    /// Keys too large to pack (ids beyond 2³⁶ units or 2¹⁶ indicators, or more than 4.096
    /// periods in one file), kept whole.
    wide: HashMap<(i64, i64, Period), u64>,
}

impl Seen {
    /// The line where this key was first seen, if it was; else remembers it.
    fn first_line(&mut self, unit_id: i64, indicator_id: i64, period: Period, line: u64) -> Option<u64> {
        let next = self.periods.len() as u64;
        let period_index = *self.periods.entry(period).or_insert(next);
        let packed = (u64::try_from(unit_id).ok().filter(|u| *u < 1 << 36))
            .zip(u64::try_from(indicator_id).ok().filter(|i| *i < 1 << 16))
            .filter(|_| period_index < 1 << 12)
            .zip(u32::try_from(line).ok());
        match packed {
            Some(((unit, indicator), line32)) => {
                let key = (unit << 28) | (indicator << 12) | period_index;
                match self.lines.entry(key) {
                    std::collections::hash_map::Entry::Occupied(first) => Some(u64::from(*first.get())),
                    std::collections::hash_map::Entry::Vacant(slot) => {
                        slot.insert(line32);
                        None
                    }
                }
            }
            None => match self.wide.entry((unit_id, indicator_id, period)) {
                std::collections::hash_map::Entry::Occupied(first) => Some(*first.get()),
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(line);
                    None
                }
            },
        }
    }
}

/// Writes the batches into the staging table as they arrive, and gives what the reading
/// thread found.
async fn stage(
    tx: &mut Transaction<'static, Any>,
    staging: &mut Staging,
    mut batches: tokio::sync::mpsc::Receiver<Message>,
    progress: &(dyn Fn(ImportProgress) + Send + Sync),
) -> Result<ReadOutcome, StoreError> {
    let mut texts = PeriodTexts::default();
    match staging {
        Staging::Sqlite => loop {
            match batches.recv().await {
                Some(Message::Batch(rows, at)) => {
                    for chunk in rows.chunks(ROWS_PER_INSERT) {
                        insert_chunk(tx, chunk, &mut texts).await?;
                    }
                    progress(at);
                }
                Some(Message::End(outcome)) => return outcome,
                None => return Err(StoreError::corrupt("luồng đọc tệp dừng bất thường")),
            }
        },
        Staging::Postgres { conn, table } => {
            let mut copy = conn
                .copy_in_raw(&format!("COPY {table} ({STAGE_COLUMNS}) FROM STDIN"))
                .await?;
            let mut buffer = Vec::with_capacity(1 << 20);
            loop {
                match batches.recv().await {
                    Some(Message::Batch(rows, at)) => {
                        buffer.clear();
                        for row in &rows {
                            copy_line(&mut buffer, row, &mut texts);
                        }
                        copy.send(buffer.as_slice()).await?;
                        progress(at);
                    }
                    Some(Message::End(outcome)) => {
                        let outcome = outcome?;
                        if outcome.errors.is_empty() {
                            copy.finish().await?;
                        } else {
                            copy.abort("tệp có lỗi").await?;
                        }
                        return Ok(outcome);
                    }
                    None => {
                        copy.abort("luồng đọc tệp dừng bất thường").await?;
                        return Err(StoreError::corrupt("luồng đọc tệp dừng bất thường"));
                    }
                }
            }
        }
    }
}

/// A period's code, written once per period, not once per row.
#[derive(Default)]
struct PeriodTexts(HashMap<Period, String>);

impl PeriodTexts {
    fn of(&mut self, period: Period) -> &String {
        self.0.entry(period).or_insert_with(|| period.code())
    }
}

/// One multi-row INSERT into SQLite's staging table; the statement is prepared once per
/// chunk size and reused.
async fn insert_chunk(
    tx: &mut Transaction<'static, Any>,
    chunk: &[Staged],
    texts: &mut PeriodTexts,
) -> Result<(), StoreError> {
    // Anonymous `?` parameters (Backend::params says why): at 10.000 numbered ones a
    // statement, their lookup was all the import's time (5.000 rows/s).
    let sql = format!(
        "INSERT INTO import_stage ({STAGE_COLUMNS}) VALUES {}",
        crate::Backend::Sqlite.row_params(chunk.len(), 8)
    );
    let mut query = sqlx::query(AssertSqlSafe(sql));
    for row in chunk {
        let code = texts.of(row.period).clone();
        let (whole, decimal, text) = match &row.value {
            Value::Whole(n) => (Some(*n), None, None),
            Value::Decimal(x) => (None, Some(*x), None),
            Value::Text(t) => (None, None, Some(t.clone())),
        };
        query = query
            .bind(i64::try_from(row.line).unwrap_or(i64::MAX))
            .bind(row.unit_id)
            .bind(row.indicator_id)
            .bind(code)
            .bind(whole)
            .bind(decimal)
            .bind(text)
            .bind(row.comment.clone());
    }
    query.execute(&mut **tx).await?;
    Ok(())
}

/// One row in `COPY`'s text format: tab-separated, `\N` for NULL, backslash escapes.
fn copy_line(out: &mut Vec<u8>, row: &Staged, texts: &mut PeriodTexts) {
    use std::io::Write;
    let code = texts.of(row.period);
    // Writing into a Vec cannot fail.
    let _ = write!(out, "{}\t{}\t{}\t{code}\t", row.line, row.unit_id, row.indicator_id);
    let _ = match &row.value {
        Value::Whole(n) => write!(out, "{n}\t\\N\t\\N\t"),
        // `{:?}` prints a float so that it reads back exactly.
        Value::Decimal(x) => write!(out, "\\N\t{x:?}\t\\N\t"),
        Value::Text(t) => {
            out.extend_from_slice(b"\\N\t\\N\t");
            escape_copy(out, t);
            out.push(b'\t');
            Ok(())
        }
    };
    match &row.comment {
        Some(c) => escape_copy(out, c),
        None => out.extend_from_slice(b"\\N"),
    }
    out.push(b'\n');
}

fn escape_copy(out: &mut Vec<u8>, text: &str) {
    for b in text.bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            _ => out.push(b),
        }
    }
}

/// The stored and the new figure of a row that reads both (`old_int`… and `value_int`…),
/// as the audit trail writes them.
fn old_and_new(row: &sqlx::any::AnyRow) -> Result<(Option<String>, Option<String>), StoreError> {
    let old = value_from_named(row, ["old_int", "old_real", "old_text"])?;
    let new = value_from_columns(row)?;
    Ok((old.map(|v| v.format_plain()), new.map(|v| v.format_plain())))
}

/// The statement moving the staged rows into `data_value`. With no value stored for the
/// file's periods (`any_stored` false) no row can conflict — the primary key holds the
/// period and the reader has refused duplicates — so the `ON CONFLICT` arm, which looks
/// up every row's key before inserting it, is left out; a row written meanwhile by
/// another transaction then fails the import on the primary key, whole.
///
/// `CROSS JOIN` pins the staged rows as the outer loop on SQLite (its planner has no
/// statistics for a temporary table), so data_value is written in the file's order, near
/// its primary key's; a `WHERE` clause also keeps SQLite from reading `ON CONFLICT` as
/// the join's constraint.
fn insert_values_sql(stage: &str, any_stored: bool) -> String {
    let upsert = if any_stored {
        "ON CONFLICT (unit_id, indicator_id, period) DO UPDATE SET value_int = excluded.value_int,
             value_real = excluded.value_real, value_text = excluded.value_text,
             comment = excluded.comment, updated_at = excluded.updated_at"
    } else {
        ""
    };
    format!(
        "INSERT INTO data_value (unit_id, indicator_id, period, period_start, period_end,
             value_int, value_real, value_text, comment, updated_at)
         SELECT s.unit_id, s.indicator_id, s.period, p.period_start, p.period_end,
             s.value_int, s.value_real, s.value_text, s.comment, $1
         FROM {stage} s CROSS JOIN import_period p WHERE p.period = s.period
         {upsert}"
    )
}

/// Rows from which a load may lift the foreign keys: below this the per-row checks cost
/// less than the lock and the whole-table check.
const LIFT_FROM_ROWS: u64 = 100_000;
/// A load lifts the foreign keys when it brings at least 1/LIFT_SHARE of the rows
/// `data_value` already holds: putting a key back scans the whole table (0,5 µs a row
/// here), where the per-row checks cost about 8 µs a loaded row.
const LIFT_SHARE: i64 = 8;

/// What a large load took off `data_value` for its INSERT, to put back after it.
#[derive(Debug, Default)]
struct Lifted {
    /// The foreign keys: name and definition (`FOREIGN KEY (unit_id) REFERENCES …`).
    keys: Vec<(String, String)>,
    /// The statements that build the indexes again, the primary key's included.
    indexes: Vec<String>,
}

/// On PostgreSQL, for a load of `rows` large against what `data_value` holds, drops the
/// table's foreign keys inside the import's transaction, and — when the load's periods
/// hold nothing (`any_stored` false: no `ON CONFLICT` needs the primary key) and it brings
/// at least as many rows as the table holds — its indexes too, primary key included; it
/// gives what [`restore`] needs to put them back. Each key's trigger would otherwise look
/// the unit and the indicator up row by row — 60% of the final INSERT's time at 3 million
/// rows — where adding the key back checks every row in one join; and each row inserted
/// into an index of tens of millions of entries is a random page write (68.052 values/s
/// at 100 million values), where building the index sorts once. `ALTER TABLE` and `DROP
/// INDEX` hold data_value's exclusive lock until the import commits.
async fn lift(tx: &mut Transaction<'static, Any>, rows: u64, any_stored: bool) -> Result<Lifted, StoreError> {
    let mut lifted = Lifted::default();
    if rows < LIFT_FROM_ROWS {
        return Ok(lifted);
    }
    // reltuples is the planner's estimate (-1 before the table was first analysed); the
    // size on disk at 80 bytes a row bounds it from below.
    let held: i64 = sqlx::query_scalar(
        "SELECT GREATEST(c.reltuples::float8, pg_relation_size(c.oid) / 80.0)::BIGINT
         FROM pg_class c WHERE c.oid = 'data_value'::regclass",
    )
    .fetch_one(&mut **tx)
    .await?;
    let rows = i64::try_from(rows).unwrap_or(i64::MAX);
    if rows.saturating_mul(LIFT_SHARE) < held {
        return Ok(lifted);
    }
    let keys = sqlx::query(
        "SELECT conname::TEXT AS name, pg_get_constraintdef(oid) AS definition FROM pg_constraint
         WHERE conrelid = 'data_value'::regclass AND contype = 'f' ORDER BY conname",
    )
    .fetch_all(&mut **tx)
    .await?;
    for key in &keys {
        let (name, definition): (String, String) = (key.try_get("name")?, key.try_get("definition")?);
        sqlx::query(AssertSqlSafe(format!(
            "ALTER TABLE data_value DROP CONSTRAINT \"{name}\""
        )))
        .execute(&mut **tx)
        .await?;
        lifted.keys.push((name, definition));
    }
    if any_stored || rows < held {
        return Ok(lifted);
    }
    // A constraint's index (the primary key) is dropped and added back as the
    // constraint; any other by its own definition (`CREATE INDEX … ON … USING btree …`).
    let indexes = sqlx::query(
        "SELECT i.relname::TEXT AS name, pg_get_indexdef(x.indexrelid) AS definition,
             c.conname::TEXT AS constraint_name, pg_get_constraintdef(c.oid) AS constraint_definition
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
         LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.conrelid = x.indrelid
         WHERE x.indrelid = 'data_value'::regclass ORDER BY x.indisprimary DESC, i.relname",
    )
    .fetch_all(&mut **tx)
    .await?;
    for index in &indexes {
        let (drop, build) = match index.try_get::<Option<String>, _>("constraint_name")? {
            Some(constraint) => {
                let definition: String = index.try_get("constraint_definition")?;
                (
                    format!("ALTER TABLE data_value DROP CONSTRAINT \"{constraint}\""),
                    format!("ALTER TABLE data_value ADD CONSTRAINT \"{constraint}\" {definition}"),
                )
            }
            None => {
                let name: String = index.try_get("name")?;
                (format!("DROP INDEX \"{name}\""), index.try_get("definition")?)
            }
        };
        sqlx::query(AssertSqlSafe(drop)).execute(&mut **tx).await?;
        lifted.indexes.push(build);
    }
    Ok(lifted)
}

/// Puts back what [`lift`] took off, under the same names: the indexes first (a sort of
/// the whole table each, given memory for it in this transaction only; a duplicate key
/// fails the import here, whole), then the foreign keys (a row naming no unit or
/// indicator fails it too).
async fn restore(tx: &mut Transaction<'static, Any>, lifted: &Lifted) -> Result<(), StoreError> {
    if !lifted.indexes.is_empty() {
        sqlx::query("SET LOCAL maintenance_work_mem = '512MB'")
            .execute(&mut **tx)
            .await?;
        for build in &lifted.indexes {
            sqlx::query(AssertSqlSafe(build.clone())).execute(&mut **tx).await?;
        }
    }
    if lifted.keys.is_empty() {
        return Ok(());
    }
    let adds: Vec<String> = lifted
        .keys
        .iter()
        .map(|(name, definition)| format!("ADD CONSTRAINT \"{name}\" {definition}"))
        .collect();
    sqlx::query(AssertSqlSafe(format!("ALTER TABLE data_value {}", adds.join(", "))))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Whether any value is stored for any of these periods.
async fn any_stored_in(tx: &mut Transaction<'static, Any>, periods: &BTreeSet<Period>) -> Result<bool, StoreError> {
    for period in periods {
        // By the period's days, which data_value_period indexes: `period` alone has no
        // index of its own, and scanning for it took 39 s of a one-row import at 100
        // million values (the newest period is stored last).
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM data_value WHERE period_start = $1 AND period_end = $2 AND period = $3 LIMIT 1",
        )
        .bind(period.start().to_string())
        .bind(period.end().to_string())
        .bind(period.code())
        .fetch_optional(&mut **tx)
        .await?;
        if found.is_some() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The validation rules on the staged values laid over the stored ones, form by form: one
/// query streams both, ordered by (unit, period), and each form is checked as the whole
/// file reader does ([`check_rules`]).
async fn rule_violations(
    tx: &mut Transaction<'static, Any>,
    stage: &str,
    checks: &Checks<'_>,
) -> Result<Vec<RowError>, StoreError> {
    use futures_util::TryStreamExt;
    let unit_of: HashMap<i64, UnitCode> = checks
        .unit_ids
        .iter()
        .filter_map(|(c, id)| UnitCode::parse(c).ok().map(|c| (*id, c)))
        .collect();
    let indicator_of: HashMap<i64, IndicatorCode> = checks
        .indicator_ids
        .iter()
        .filter_map(|(c, id)| IndicatorCode::parse(c).ok().map(|c| (*id, c)))
        .collect();
    let sql = format!(
        "SELECT s.unit_id, s.period, s.indicator_id, s.line, s.value_int, s.value_real, s.value_text FROM {stage} s
         UNION ALL
         SELECT v.unit_id, v.period, v.indicator_id, NULL AS line, v.value_int, v.value_real, v.value_text
         FROM data_value v
         WHERE EXISTS (SELECT 1 FROM {stage} p WHERE p.unit_id = v.unit_id AND p.period = v.period)
           AND NOT EXISTS (SELECT 1 FROM {stage} s WHERE {same})
         ORDER BY 1, 2",
        same = "s.unit_id = v.unit_id AND s.indicator_id = v.indicator_id AND s.period = v.period"
    );
    let mut rows = sqlx::query(AssertSqlSafe(sql)).fetch(&mut **tx);
    let mut errors = Vec::new();
    let mut form: Option<(i64, String)> = None;
    let (mut new, mut stored): (Vec<Line<DataValue>>, Vec<DataValue>) = (Vec::new(), Vec::new());
    let mut check = |new: &mut Vec<Line<DataValue>>, stored: &mut Vec<DataValue>| {
        if !new.is_empty() {
            errors.extend(check_rules(new, stored, checks.rules));
        }
        new.clear();
        stored.clear();
    };
    while let Some(row) = rows.try_next().await? {
        let key = (row.try_get::<i64, _>("unit_id")?, row.try_get::<String, _>("period")?);
        if form.as_ref() != Some(&key) {
            check(&mut new, &mut stored);
            form = Some(key.clone());
        }
        let (Some(unit), Some(indicator), Some(value)) = (
            unit_of.get(&key.0),
            indicator_of.get(&row.try_get::<i64, _>("indicator_id")?),
            value_from_columns(&row)?,
        ) else {
            continue;
        };
        let value = DataValue {
            unit: unit.clone(),
            indicator: indicator.clone(),
            period: parse_stored(Period::parse(&key.1))?,
            value,
            comment: None,
        };
        match row.try_get::<Option<i64>, _>("line")? {
            Some(line) => new.push(Line {
                line: u64::try_from(line).map_err(StoreError::corrupt)?,
                row: value,
            }),
            None => stored.push(value),
        }
    }
    check(&mut new, &mut stored);
    Ok(errors)
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
async fn settled_pairs(
    tx: &mut Transaction<'static, Any>,
    pairs: &BTreeMap<(i64, Period), u64>,
    periods: &BTreeSet<Period>,
    today: NaiveDate,
) -> Result<BTreeMap<(i64, Period), Settled>, StoreError> {
    let mut out = BTreeMap::new();
    for &period in periods {
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
        let forms = sqlx::query("SELECT unit_id, state, reopened FROM submission WHERE period = $1")
            .bind(period.code())
            .fetch_all(&mut **tx)
            .await?;
        for form in &forms {
            let unit_id: i64 = form.try_get("unit_id")?;
            if !pairs.contains_key(&(unit_id, period)) {
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
                out.insert((unit_id, period), how);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_seen_twice_names_the_line_it_was_first_seen_on() {
        let mut seen = Seen::default();
        let s1 = Period::HalfYear(2022, 1);
        assert_eq!(seen.first_line(7, 3, s1, 2), None);
        assert_eq!(seen.first_line(7, 3, Period::Year(2022), 3), None);
        assert_eq!(seen.first_line(8, 3, s1, 4), None);
        assert_eq!(seen.first_line(7, 3, s1, 5), Some(2));
        assert_eq!(seen.first_line(1 << 40, 3, s1, 6), None, "a wide key is kept whole");
        assert_eq!(seen.first_line(1 << 40, 3, s1, 7), Some(6));
    }

    #[test]
    fn copy_text_escapes_what_would_break_a_row() {
        let mut texts = PeriodTexts::default();
        let mut out = Vec::new();
        let row = Staged {
            line: 9,
            unit_id: 1,
            indicator_id: 2,
            period: Period::HalfYear(2022, 1),
            value: Value::Text("a\tb\\c\nd".into()),
            comment: None,
        };
        copy_line(&mut out, &row, &mut texts);
        assert_eq!(
            String::from_utf8_lossy(&out),
            "9\t1\t2\t2022S1\t\\N\t\\N\ta\\tb\\\\c\\nd\t\\N\n"
        );
    }
}
