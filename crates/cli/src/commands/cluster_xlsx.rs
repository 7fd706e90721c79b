//! `thidua export cluster-xlsx` and `thidua import cluster-xlsx`: a whole cluster's
//! official figures for a period as one workbook (a sheet per member), through the
//! application's use cases ([`thidua_app::cluster_workbook`]) that the cluster page also
//! uses. The import runs in the name of `--by`, an account that runs the cluster (its
//! chair, the upper level above it, an admin); it is all or nothing, a refused file exits
//! non-zero naming every bad cell ("Trang «Hà Đông», ô D7: …") with nothing written, and
//! a dry run writes nothing. Both print a progress line on standard error (what is being
//! done, how far, rows a second).

use std::io::IsTerminal;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use thidua_app::App;
use thidua_app::cluster_workbook::{self, Progress, ProgressFn, Stage};
use thidua_core::number::{format_decimal_trimmed, format_integer};
use thidua_store::Store;

/// What `thidua import cluster-xlsx` was given besides the file.
pub struct ImportOptions {
    /// `--by`: the account importing (required).
    pub by: Option<String>,
    /// `--overwrite-accepted`: refused, a workbook never overwrites settled figures.
    pub overwrite_accepted: bool,
    /// `--dry-run`.
    pub dry_run: bool,
    /// `--cluster` (required).
    pub cluster: Option<String>,
    /// `--period` (required).
    pub period: Option<String>,
}

/// `thidua export cluster-xlsx --cluster C --period P -o FILE`.
pub async fn export(store: &Store, cluster: &str, period: &str, output: &Path) -> anyhow::Result<()> {
    let app = App::for_one_command(store.clone());
    let line = Arc::new(ProgressLine::new());
    let shown = line.clone();
    let progress: ProgressFn = Arc::new(move |p: Progress| shown.show(p));
    let exported = cluster_workbook::export_as_installation(&app, cluster, period, progress).await?;
    line.end();
    std::fs::write(output, &exported.bytes).with_context(|| format!("không ghi được tệp {}", output.display()))?;
    println!(
        "Đã xuất {} giá trị của {} thành viên cụm {cluster} kỳ {period} vào {} trong {} giây.",
        format_integer(exported.figures as i64),
        exported.members,
        output.display(),
        format_decimal_trimmed(line.seconds(), 2)
    );
    Ok(())
}

/// `thidua import cluster-xlsx FILE --cluster C --period P --by LOGIN [--dry-run]`.
pub async fn import(store: &Store, file: &Path, options: ImportOptions) -> anyhow::Result<()> {
    if options.overwrite_accepted {
        anyhow::bail!(
            "bảng cả cụm không ghi đè số liệu đã duyệt: bỏ --overwrite-accepted (cấp trên mở lại báo cáo, hoặc dùng «thidua import values»)"
        );
    }
    let (Some(cluster), Some(period)) = (options.cluster, options.period) else {
        anyhow::bail!("«thidua import cluster-xlsx» cần --cluster MÃ_CỤM và --period KỲ (ví dụ --period 2022S1)");
    };
    let Some(by) = options.by else {
        anyhow::bail!(
            "«thidua import cluster-xlsx» cần --by TÊN_ĐĂNG_NHẬP của tài khoản chạy cụm (cụm trưởng, cấp trên của cụm, quản trị)"
        );
    };
    let user = store
        .user(&by)
        .await
        .with_context(|| format!("không tìm thấy tài khoản «{by}»"))?;
    if user.disabled {
        anyhow::bail!("tài khoản «{by}» đã bị khóa");
    }
    let bytes = std::fs::read(file).with_context(|| format!("không đọc được tệp {}", file.display()))?;
    let app = App::for_one_command(store.clone());
    let caller = app.context(user.principal()).await?;
    let line = Arc::new(ProgressLine::new());
    let shown = line.clone();
    let progress: ProgressFn = Arc::new(move |p: Progress| shown.show(p));
    let result = cluster_workbook::import(&app, &caller, &cluster, &period, bytes, options.dry_run, progress).await;
    line.end();
    match result? {
        Ok(imported) => {
            println!("{}", imported.summary_vi());
            let rows = imported.new + imported.changed + imported.unchanged;
            println!(
                "{} dòng trong {} giây ({} dòng/giây), từ {}.",
                format_integer(rows as i64),
                format_decimal_trimmed(line.seconds(), 2),
                format_integer((rows as f64 / line.seconds().max(1e-9)) as i64),
                file.display()
            );
            Ok(())
        }
        Err(refused) => {
            for problem in &refused.problems {
                eprintln!("{problem}");
            }
            anyhow::bail!(
                "nhập {} thất bại: {} ô chưa đúng, không số liệu nào được ghi",
                file.display(),
                refused.problems.len()
            )
        }
    }
}

/// How often the line is rewritten on a terminal, and written in a log.
const ON_TERMINAL: Duration = Duration::from_millis(250);
const IN_A_LOG: Duration = Duration::from_secs(5);

/// The progress line: the stage, how far, rows a second; rewritten in place on a
/// terminal, a line now and then otherwise, and always the last of each counted stage.
struct ProgressLine {
    started: Instant,
    terminal: bool,
    last: Mutex<Option<(Instant, String)>>,
}

impl ProgressLine {
    fn new() -> Self {
        ProgressLine {
            started: Instant::now(),
            terminal: std::io::stderr().is_terminal(),
            last: Mutex::new(None),
        }
    }

    fn seconds(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    fn show(&self, p: Progress) {
        let Ok(mut last) = self.last.lock() else { return };
        let every = if self.terminal { ON_TERMINAL } else { IN_A_LOG };
        let complete = p.total > 0 && p.done == p.total;
        let label = p.label_vi();
        if let Some((at, shown)) = last.as_ref()
            && (*shown == label || (!complete && at.elapsed() < every))
        {
            return;
        }
        *last = Some((Instant::now(), label.clone()));
        let per_second = match p.stage {
            Stage::Writing if p.done > 0 => format!(
                ", {} dòng/giây",
                format_integer((p.done as f64 / self.seconds().max(1e-9)) as i64)
            ),
            _ => String::new(),
        };
        let text = format!("{label}{per_second}");
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
