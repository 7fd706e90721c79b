//! `thidua import KIND FILE`. A values file may be imported in the name of an account
//! (`--by`), which the audit trail records; only an upper-level or admin account, with
//! `--overwrite-accepted`, changes the figures of accepted or locked forms.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::Context;
use thidua_core::number::{format_decimal_trimmed, format_integer};
use thidua_store::{ImportProgress, Store, ValuesImport};

use crate::args::ImportKind;

pub async fn run(
    store: &Store,
    kind: ImportKind,
    file: &Path,
    by: Option<String>,
    overwrite_accepted: bool,
) -> anyhow::Result<()> {
    if overwrite_accepted && kind != ImportKind::Values {
        anyhow::bail!("--overwrite-accepted chỉ dùng với «thidua import values»");
    }
    if by.is_some() && !matches!(kind, ImportKind::Values | ImportKind::Changes) {
        anyhow::bail!("--by chỉ dùng với «thidua import values» và «thidua import changes»");
    }
    if kind == ImportKind::Values {
        // Streamed from disk, whatever its size, with a progress line.
        let options = ValuesImport { by, overwrite_accepted };
        return import_values(store, file, &options).await;
    }
    let bytes = std::fs::read(file).with_context(|| format!("không đọc được tệp {}", file.display()))?;
    let text = String::from_utf8(bytes).map_err(|_| {
        anyhow::anyhow!(
            "tệp {} không phải UTF-8 (hãy lưu tệp CSV với bảng mã UTF-8)",
            file.display()
        )
    })?;
    let summary = match kind {
        ImportKind::Units => store.import_units_csv(&text).await,
        ImportKind::Clusters => store.import_clusters_csv(&text).await,
        ImportKind::Indicators => store.import_indicators_csv(&text).await,
        ImportKind::Rules => store.import_rules_csv(&text).await,
        ImportKind::Values => {
            let options = ValuesImport { by, overwrite_accepted };
            store.import_values_csv_as(&text, &options).await
        }
        ImportKind::Changes => store.import_changes_csv(&text, by.as_deref().unwrap_or("import")).await,
        ImportKind::Conference => store
            .import_conference_toml(&text)
            .await
            .map(|_| thidua_store::ImportSummary { rows: 1 }),
        ImportKind::Criteria => {
            let saved = store
                .import_criteria_toml(&thidua_store::Actor::system("import"), &text)
                .await
                .with_context(|| format!("nhập {} thất bại", file.display()))?;
            println!(
                "Đã nhập bảng tiêu chí «{}», phiên bản {}.",
                saved.criteria.set.name(),
                saved.criteria.version
            );
            if !saved.message.is_empty() {
                println!("{}", saved.message);
            }
            return Ok(());
        }
        ImportKind::Awards => store
            .import_awards_toml(&text)
            .await
            .map(|catalogue| thidua_store::ImportSummary {
                rows: catalogue.forms().len(),
            }),
        // A data value set, not CSV text: `commands::run` hands it to `dhis2::import`.
        ImportKind::Dhis2 => anyhow::bail!("tệp DHIS2 nhập bằng «thidua import dhis2 TỆP»"),
        // A workbook: `commands::run` hands it to `cluster_xlsx::import`.
        ImportKind::ClusterXlsx => anyhow::bail!("bảng cả cụm nhập bằng «thidua import cluster-xlsx TỆP»"),
    }
    .with_context(|| format!("nhập {} thất bại", file.display()))?;
    println!("Đã nhập {} dòng từ {}.", summary.rows, file.display());
    Ok(())
}

/// A values file, streamed from disk: any size, with a progress line on standard error
/// for a file of more than [`PROGRESS_FROM`] bytes — rewritten in place on a terminal,
/// a line every [`LOG_EVERY`] otherwise (a log).
async fn import_values(store: &Store, file: &Path, options: &ValuesImport) -> anyhow::Result<()> {
    let opened = std::fs::File::open(file).with_context(|| format!("không đọc được tệp {}", file.display()))?;
    let total = opened.metadata().map(|m| m.len()).unwrap_or(0);
    let started = Instant::now();
    let line = ProgressLine::new(total, started);
    let show = |at: ImportProgress| line.show(at);
    let summary = store
        .import_values_from(
            std::io::BufReader::with_capacity(1 << 20, opened),
            options,
            &file.display().to_string(),
            &show,
        )
        .await;
    line.end();
    let summary = summary.with_context(|| format!("nhập {} thất bại", file.display()))?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "Đã nhập {} dòng từ {} trong {} giây ({} dòng/giây).",
        format_integer(summary.rows as i64),
        file.display(),
        format_decimal_trimmed(seconds, 1),
        format_integer((summary.rows as f64 / seconds.max(1e-9)) as i64),
    );
    Ok(())
}

/// Files smaller than this import in a moment and print no progress.
const PROGRESS_FROM: u64 = 8 << 20;
/// How often a progress line is written when standard error is not a terminal.
const LOG_EVERY: Duration = Duration::from_secs(10);

/// The progress line of a long import: rows, rows a second, and the time left from the
/// bytes read against the file's size.
struct ProgressLine {
    total: u64,
    started: Instant,
    terminal: bool,
    last: Mutex<Option<Instant>>,
}

impl ProgressLine {
    fn new(total: u64, started: Instant) -> Self {
        ProgressLine {
            total,
            started,
            terminal: std::io::stderr().is_terminal(),
            last: Mutex::new(None),
        }
    }

    fn show(&self, at: ImportProgress) {
        if self.total < PROGRESS_FROM {
            return;
        }
        let every = if self.terminal {
            Duration::from_millis(250)
        } else {
            LOG_EVERY
        };
        let Ok(mut last) = self.last.lock() else { return };
        if last.is_some_and(|t| t.elapsed() < every) {
            return;
        }
        *last = Some(Instant::now());
        let seconds = self.started.elapsed().as_secs_f64().max(1e-9);
        let share = at.bytes as f64 / self.total as f64;
        let left = if share > 0.0 {
            seconds * (1.0 - share) / share
        } else {
            0.0
        };
        let text = format!(
            "đã đọc {} dòng ({}%), {} dòng/giây, còn khoảng {} giây",
            format_integer(at.rows as i64),
            format_decimal_trimmed(100.0 * share, 0),
            format_integer((at.rows as f64 / seconds) as i64),
            format_decimal_trimmed(left, 0)
        );
        if self.terminal {
            eprint!("\r{text}\x1b[K");
        } else {
            eprintln!("{text}");
        }
    }

    fn end(&self) {
        if self.terminal && self.last.lock().is_ok_and(|l| l.is_some()) {
            eprintln!();
        }
    }
}
