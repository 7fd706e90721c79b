//! Đọc toàn bộ số liệu — every stored number read once, for the rollup engine's rebuild
//! at start-up (or after a change too large to apply pair by pair). At 100 million values
//! this read is most of a start-up, so it does not go through the `Any` driver's rows
//! (one decoded, allocated row at a time, handed across threads):
//!
//! - on a SQLite file, its own read-only connection (rusqlite, over the same bundled
//!   SQLite) on a blocking thread, handing batches of numbers to the caller;
//! - on PostgreSQL, `COPY (SELECT …) TO STDOUT` on a connection of its own, parsed as it
//!   streams.
//!
//! Each reads the generation and the numbers in one read transaction, so they agree;
//! docs/decisions.md ("The engine's rebuild reads…") says what was measured and rejected.

use std::collections::HashMap;

use futures_util::TryStreamExt;
use sqlx::Connection;
use thidua_core::Period;

use crate::error::StoreError;
use crate::store::parse_stored;
use crate::values::{GENERATION, StoredNumber};

/// Numbers handed from the reading thread at once.
const BATCH: usize = 16_384;

/// The numbers of data_value: a row with only a text value is not one.
const NUMBERS: &str = "SELECT unit_id, indicator_id, period, value_int, value_real FROM data_value
     WHERE value_int IS NOT NULL OR value_real IS NOT NULL";

/// Period codes seen so far: a table holds a few dozen, read millions of times.
#[derive(Default)]
struct Periods(HashMap<String, Period>);

impl Periods {
    fn get(&mut self, code: &str) -> Result<Period, StoreError> {
        if let Some(period) = self.0.get(code) {
            return Ok(*period);
        }
        let period = parse_stored(Period::parse(code))?;
        self.0.insert(code.to_owned(), period);
        Ok(period)
    }
}

/// Every number of the SQLite file at `path`, handed to `each` in batches, and the
/// generation they are as of.
pub(crate) async fn sqlite_file(path: &str, mut each: impl FnMut(StoredNumber)) -> Result<i64, StoreError> {
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Vec<StoredNumber>>(4);
    let path = path.to_owned();
    let reader = tokio::task::spawn_blocking(move || read_sqlite(&path, &sender));
    while let Some(batch) = receiver.recv().await {
        batch.into_iter().for_each(&mut each);
    }
    reader
        .await
        .map_err(|e| StoreError::corrupt(format!("đọc số liệu: {e}")))?
}

fn read_sqlite(path: &str, out: &tokio::sync::mpsc::Sender<Vec<StoredNumber>>) -> Result<i64, StoreError> {
    use rusqlite::OpenFlags;
    let conn = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    // One read transaction: in WAL mode it sees one snapshot of the file throughout.
    conn.execute_batch("BEGIN")?;
    let generation: i64 = conn.query_row(GENERATION, [], |r| r.get(0))?;
    let mut statement = conn.prepare(NUMBERS)?;
    let mut rows = statement.raw_query();
    let mut periods = Periods::default();
    let mut batch = Vec::with_capacity(BATCH);
    while let Some(row) = rows.next()? {
        let code = row.get_ref(2)?.as_str().map_err(StoreError::corrupt)?;
        let period = periods.get(code)?;
        batch.extend(StoredNumber::of(
            row.get(0)?,
            row.get(1)?,
            period,
            row.get(3)?,
            row.get(4)?,
        ));
        if batch.len() == BATCH
            && out
                .blocking_send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)))
                .is_err()
        {
            // The caller is gone: nothing left to read for.
            return Ok(generation);
        }
    }
    drop(rows);
    drop(statement);
    conn.execute_batch("COMMIT")?;
    if !batch.is_empty() {
        let _ = out.blocking_send(batch);
    }
    Ok(generation)
}

/// Every number of the PostgreSQL database at `url`, handed to `each` as they stream in,
/// and the generation they are as of.
pub(crate) async fn postgres(url: &str, mut each: impl FnMut(StoredNumber)) -> Result<i64, StoreError> {
    let mut conn = sqlx::postgres::PgConnection::connect(url).await?;
    let mut tx = conn.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    // Decimals come back as text: the shortest form that reads back to the same double
    // (the default since PostgreSQL 12, set here whatever the server's setting).
    sqlx::query("SET LOCAL extra_float_digits = 1")
        .execute(&mut *tx)
        .await?;
    let generation: i64 = sqlx::query_scalar(GENERATION).fetch_one(&mut *tx).await?;
    let mut periods = Periods::default();
    {
        let mut stream = tx.copy_out_raw(&format!("COPY ({NUMBERS}) TO STDOUT")).await?;
        while let Some(chunk) = stream.try_next().await? {
            for line in chunk.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                each_copied(line, &mut periods, &mut each)?;
            }
        }
    }
    tx.commit().await?;
    let _ = conn.close().await;
    Ok(generation)
}

/// A field of `COPY … TO STDOUT`, `None` for NULL.
fn nullable(field: &str) -> Option<&str> {
    (field != "\\N").then_some(field)
}

/// One row of `COPY … TO STDOUT` (text format: tab-separated, `\N` for NULL).
fn each_copied(line: &[u8], periods: &mut Periods, each: &mut impl FnMut(StoredNumber)) -> Result<(), StoreError> {
    let bad = || StoreError::corrupt(format!("dòng số liệu «{}»", String::from_utf8_lossy(line)));
    let line = std::str::from_utf8(line).map_err(|_| bad())?;
    let mut fields = line.split('\t');
    let mut next = || fields.next().ok_or_else(bad);
    let (unit, indicator, period, whole, decimal) = (next()?, next()?, next()?, next()?, next()?);
    let whole = nullable(whole).map(str::parse::<i64>).transpose().map_err(|_| bad())?;
    let decimal = nullable(decimal)
        .map(str::parse::<f64>)
        .transpose()
        .map_err(|_| bad())?;
    let number = StoredNumber::of(
        unit.parse().map_err(|_| bad())?,
        indicator.parse().map_err(|_| bad())?,
        periods.get(period)?,
        whole,
        decimal,
    );
    number.into_iter().for_each(each);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copied(line: &str) -> Result<Vec<StoredNumber>, StoreError> {
        let mut out = Vec::new();
        each_copied(line.as_bytes(), &mut Periods::default(), &mut |n| out.push(n))?;
        Ok(out)
    }

    #[test]
    fn a_copied_row_reads_its_whole_value_before_its_decimal() {
        let n = copied("7\t12\t2026S1\t1084\t\\N").unwrap();
        assert_eq!(n.len(), 1);
        assert_eq!((n[0].unit_id, n[0].indicator_id), (7, 12));
        assert_eq!(n[0].period, Period::parse("2026S1").unwrap());
        assert_eq!((n[0].value, n[0].whole), (1084.0, true));
    }

    #[test]
    fn a_copied_decimal_reads_back_to_the_same_double() {
        let x: f64 = 0.1 + 0.2;
        let n = copied(&format!("1\t2\t2025\t\\N\t{x}")).unwrap();
        assert_eq!((n[0].value.to_bits(), n[0].whole), (x.to_bits(), false));
    }

    #[test]
    fn a_copied_row_that_does_not_parse_is_named_as_corrupt() {
        let e = copied("1\tx\t2025\t3\t\\N").unwrap_err();
        assert!(matches!(e, StoreError::Corrupt(_)), "{e}");
        assert!(e.to_string().contains("1\tx\t2025"), "{e}");
        assert!(copied("1\t2\t2025").is_err());
    }
}
