//! The streamed values import at more than one batch: a file of 12.000 rows goes in
//! whole or not at all, every bad row is named (the first thousand, the rest counted),
//! text survives PostgreSQL's COPY, a second import audits only what it replaced, and no
//! staging table is left behind — on both backends.

use std::sync::Mutex;

use thidua_core::{Period, UnitCode, Value};
use thidua_store::testing::TestDatabase;
use thidua_store::{Backend, ImportProgress, Store, StoreError, ValuesImport};

thidua_store::on_both_backends!(
    a_file_of_several_batches_is_written_whole_with_progress,
    one_bad_row_deep_in_a_long_file_refuses_it_whole_and_is_named,
    beyond_a_thousand_problems_the_rest_are_counted,
    text_with_tabs_quotes_and_newlines_reads_back_as_written,
    a_second_import_audits_each_replaced_figure_and_nothing_else,
    no_staging_table_is_left_behind,
    a_large_first_load_and_its_correction_audit_as_a_small_one_and_keep_the_keys,
);

const UNITS: usize = 600;
const S1: Period = Period::HalfYear(2025, 1);
const S2: Period = Period::HalfYear(2025, 2);

async fn catalog(backend: Backend) -> Option<(TestDatabase, Store)> {
    let db = TestDatabase::new(backend).await?;
    let store = db.store().await;
    let mut units = String::from("code,name,kind,parent\nT,Tỉnh,province,\n");
    for u in 0..UNITS {
        units.push_str(&format!("X{u:04},Xã số {u},commune,T\n"));
    }
    store.import_units_csv(&units).await.unwrap();
    let mut indicators = String::from("code,name,measure,value_type,aggregation,formula,group\n");
    for i in 0..9 {
        indicators.push_str(&format!("C{i},Số cuộc {i},cuộc,integer,sum,,Nhóm\n"));
    }
    indicators.push_str("TY,Tỷ lệ,%,percent,last,,Nhóm\nGHI,Ghi chú,chữ,text,last,,Nhóm\n");
    store.import_indicators_csv(&indicators).await.unwrap();
    Some((db, store))
}

/// 600 units × 10 indicators × 2 half-years = 12.000 rows, the value of each row its
/// position in the file.
fn long_file() -> String {
    let mut text = String::from("unit,indicator,period,value,comment\n");
    let mut n = 0;
    for period in [S1, S2] {
        for u in 0..UNITS {
            for i in 0..9 {
                n += 1;
                text.push_str(&format!("X{u:04},C{i},{},{n},\n", period.code()));
            }
            text.push_str(&format!("X{u:04},TY,{},\"12,5\",\n", period.code()));
        }
    }
    text
}

async fn total(store: &Store, period: Period) -> (i64, f64, usize) {
    let values = store
        .subtree_values(&UnitCode::parse("T").unwrap(), period)
        .await
        .unwrap();
    let whole = values
        .iter()
        .filter_map(|v| match v.value {
            Value::Whole(n) => Some(n),
            _ => None,
        })
        .sum();
    let decimal = values
        .iter()
        .filter_map(|v| v.value.as_f64().filter(|_| matches!(v.value, Value::Decimal(_))))
        .sum();
    (whole, decimal, values.len())
}

async fn import(store: &Store, text: &str) -> Result<usize, StoreError> {
    store.import_values_csv(text).await.map(|s| s.rows)
}

async fn a_file_of_several_batches_is_written_whole_with_progress(backend: Backend) {
    let Some((_db, store)) = catalog(backend).await else {
        return;
    };
    let text = long_file();
    let seen = Mutex::new(Vec::<ImportProgress>::new());
    let record = |p: ImportProgress| seen.lock().unwrap().push(p);

    let summary = store
        .import_values_from(
            std::io::Cursor::new(text.clone().into_bytes()),
            &ValuesImport::default(),
            "long.csv",
            &record,
        )
        .await
        .unwrap();

    assert_eq!(summary.rows, 12_000);
    let rows_per_half = 600 * 9;
    let first_half: i64 = (1..=rows_per_half as i64).sum();
    assert_eq!(total(&store, S1).await, (first_half, 600.0 * 12.5, 6000));
    let second_half: i64 = (rows_per_half as i64 + 1..=2 * rows_per_half as i64).sum();
    assert_eq!(total(&store, S2).await.0, second_half);
    let seen = seen.into_inner().unwrap();
    assert!(seen.len() >= 2, "one report a batch: {seen:?}");
    assert!(
        seen.windows(2)
            .all(|w| w[0].rows < w[1].rows && w[0].bytes <= w[1].bytes)
    );
    assert_eq!(seen.last().map(|p| p.rows), Some(12_000));
}

async fn one_bad_row_deep_in_a_long_file_refuses_it_whole_and_is_named(backend: Backend) {
    let Some((_db, store)) = catalog(backend).await else {
        return;
    };
    let mut lines: Vec<String> = long_file().lines().map(str::to_owned).collect();
    lines[10_500] = "X0001,C1,2025S2,-7,".into();
    lines[11_000] = lines[22].clone();
    let text = lines.join("\n");

    let refused = import(&store, &text).await.unwrap_err().to_string();

    assert!(refused.contains("không dòng nào được ghi (2 lỗi)"), "{refused}");
    assert!(refused.contains("dòng 10501, cột value:"), "{refused}");
    assert!(
        refused.contains("dòng 11001: X0002/C1/2025S1 trùng với dòng 23"),
        "{refused}"
    );
    assert_eq!(total(&store, S1).await.2, 0, "nothing was written");
    assert_eq!(total(&store, S2).await.2, 0);
}

async fn beyond_a_thousand_problems_the_rest_are_counted(backend: Backend) {
    let Some((_db, store)) = catalog(backend).await else {
        return;
    };
    let mut text = String::from("unit,indicator,period,value\n");
    for u in 0..1500 {
        text.push_str(&format!("KHONG{u},C1,2025S1,1\n"));
    }

    let Err(StoreError::Rejected(errors)) = import(&store, &text).await else {
        panic!("a file of unknown units is refused");
    };

    assert_eq!(errors.len(), 1001);
    assert_eq!(errors[999].line, 1001);
    assert!(
        errors[1000].reason.contains("và 500 lỗi khác sau dòng này"),
        "{}",
        errors[1000].reason
    );
}

/// A comment with every byte PostgreSQL's COPY text format escapes (the tab and line
/// breaks are folded into spaces as every comment is; the backslashes stay).
const COMMENT: &str = "đã kiểm tra\tlại\r\nC:\\thư mục\\N \"trích\"";

async fn text_with_tabs_quotes_and_newlines_reads_back_as_written(backend: Backend) {
    let Some((_db, store)) = catalog(backend).await else {
        return;
    };
    let note = "Hội nghị \"tổng kết\"\tcó\\ghi chú\nhai dòng";
    let text = format!(
        "unit,indicator,period,value,comment\nX0001,GHI,2025S1,\"{}\",\"{}\"\n",
        note.replace('"', "\"\""),
        COMMENT.replace('"', "\"\"")
    );

    import(&store, &text).await.unwrap();

    let values = store
        .subtree_values(&UnitCode::parse("X0001").unwrap(), S1)
        .await
        .unwrap();
    assert_eq!(values.len(), 1);
    let as_typed = Value::parse(note, thidua_core::ValueType::Text).unwrap();
    assert_eq!(
        values[0].value, as_typed,
        "a text value is stored as the form stores it"
    );
    let comment = thidua_core::text::nfc(COMMENT);
    assert!(comment.contains("C:\\thư mục\\N \"trích\""), "{comment}");
    assert_eq!(
        values[0].comment,
        Some(comment),
        "a comment is kept as the whole-file reader keeps it"
    );
}

async fn a_second_import_audits_each_replaced_figure_and_nothing_else(backend: Backend) {
    let Some((_db, store)) = catalog(backend).await else {
        return;
    };
    let text = long_file();
    import(&store, &text).await.unwrap();
    let after_first = store.verify_audit().await.unwrap().events;
    assert_eq!(after_first, 1200, "one entry per form: 600 units × 2 half-years");

    let corrected = text.replacen("X0003,C2,2025S1,30,", "X0003,C2,2025S1,31,", 1);
    assert_ne!(corrected, text);
    import(&store, &corrected).await.unwrap();

    let report = store.verify_audit().await.unwrap();
    assert_eq!(report.events, after_first + 1);
    assert!(report.is_intact(), "{report}");
    let history = store
        .cell_history(
            &UnitCode::parse("X0003").unwrap(),
            S1,
            &thidua_core::IndicatorCode::parse("C2").unwrap(),
        )
        .await
        .unwrap();
    let last = history.last().unwrap();
    assert_eq!(
        (last.old_value.as_deref(), last.new_value.as_deref()),
        (Some("30"), Some("31"))
    );
}

async fn no_staging_table_is_left_behind(backend: Backend) {
    let Some((db, store)) = catalog(backend).await else {
        return;
    };
    import(&store, &long_file()).await.unwrap();
    import(&store, "unit,indicator,period,value\nX0001,C1,2025S1,-1\n")
        .await
        .unwrap_err();

    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&db.url_text.replace("sqlite://", "sqlite:"))
        .await
        .unwrap();
    let query = match backend {
        Backend::Sqlite => "SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'import_%'",
        Backend::Postgres => "SELECT COUNT(*) FROM pg_tables WHERE tablename LIKE 'import_%'",
    };
    let left: i64 = sqlx::query_scalar(query).fetch_one(&pool).await.unwrap();
    assert_eq!(left, 0);
}

/// 600 units × 9 indicators × 20 half-years = 108.000 rows: above the size from which a
/// PostgreSQL load lifts data_value's foreign keys for its INSERT (and, the first time,
/// over periods with nothing stored, inserts without `ON CONFLICT` and builds the
/// indexes after the INSERT).
fn large_file() -> String {
    let mut text = String::from("unit,indicator,period,value\n");
    for year in 2016..2026 {
        for half in [1, 2] {
            for u in 0..UNITS {
                for i in 0..9 {
                    text.push_str(&format!("X{u:04},C{i},{year}S{half},{}\n", u + i));
                }
            }
        }
    }
    text
}

async fn a_large_first_load_and_its_correction_audit_as_a_small_one_and_keep_the_keys(backend: Backend) {
    let Some((db, store)) = catalog(backend).await else {
        return;
    };
    let text = large_file();
    assert_eq!(import(&store, &text).await.unwrap(), 108_000);
    assert_eq!(
        total(&store, S1).await,
        ((0..UNITS as i64).map(|u| 9 * u + 36).sum(), 0.0, 5400)
    );
    let after_first = store.verify_audit().await.unwrap().events;
    assert_eq!(after_first, 12_000, "one entry per form: 600 units × 20 half-years");

    let corrected = text.replacen("X0003,C2,2025S1,5\n", "X0003,C2,2025S1,6\n", 1);
    assert_ne!(corrected, text);
    assert_eq!(import(&store, &corrected).await.unwrap(), 108_000);
    let report = store.verify_audit().await.unwrap();
    assert_eq!(report.events, after_first + 1, "only the changed figure is audited");
    assert!(report.is_intact(), "{report}");
    assert_eq!(total(&store, S1).await.2, 5400, "replaced, not added");

    if backend == Backend::Postgres {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&db.url_text).await.unwrap();
        let keys: Vec<String> = sqlx::query_scalar(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint
             WHERE conrelid = 'data_value'::regclass AND contype = 'f' ORDER BY conname",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        assert_eq!(
            keys,
            [
                "FOREIGN KEY (indicator_id) REFERENCES indicator(id)",
                "FOREIGN KEY (unit_id) REFERENCES unit(id)"
            ],
            "the foreign keys are back after the loads"
        );
        let indexes: Vec<String> = sqlx::query_scalar(
            "SELECT pg_get_indexdef(indexrelid) FROM pg_index
             WHERE indrelid = 'data_value'::regclass ORDER BY indexrelid::regclass::text",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        assert_eq!(
            indexes,
            [
                "CREATE INDEX data_value_period ON public.data_value USING btree (period_start, period_end)",
                "CREATE UNIQUE INDEX data_value_pkey ON public.data_value USING btree (unit_id, indicator_id, period)",
            ],
            "the indexes are there after the loads (the first, into an empty table, builds them after its INSERT), under their names"
        );
    }
}
