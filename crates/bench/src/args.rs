//! The command line of `thidua-bench`, as clap types: the two benchmarks and their
//! options (the same as they had as `thidua bench …`).

use clap::{Parser, Subcommand, ValueEnum};

/// thidua-bench — đo tốc độ (benchmark) của thidua: tổng hợp số liệu, hoặc tải khi nhiều
/// đơn vị cùng nộp báo cáo.
#[derive(Debug, Parser)]
#[command(name = "thidua-bench", version, about)]
pub struct Args {
    /// Phép đo cần chạy.
    #[command(subcommand)]
    pub command: Command,
}

/// The benchmarks.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Nhập và tổng hợp một bộ số liệu lớn, so với SQL thuần và DuckDB.
    Rollup(BenchArgs),
    /// Nhiều cán bộ cùng đăng nhập, lưu và gửi báo cáo qua HTTP sát hạn nộp.
    Load(LoadArgs),
}

/// Options of `thidua-bench load`.
#[derive(Debug, clap::Args)]
pub struct LoadArgs {
    /// Backend to measure, on a fresh database made for the run and dropped after it.
    #[arg(long, value_enum, default_value_t = BenchBackend::Sqlite)]
    pub backend: BenchBackend,
    /// Units, each with one officer who signs in, saves and submits.
    #[arg(long, default_value_t = 600)]
    pub units: usize,
    /// Indicators on the form.
    #[arg(long, default_value_t = 40)]
    pub indicators: usize,
    /// Officers working at the same moment.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
}

/// Options of `thidua-bench rollup`.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Backend to measure, on a fresh database made for the run and dropped after it.
    #[arg(long, value_enum, default_value_t = BenchBackend::Sqlite)]
    pub backend: BenchBackend,
    /// Districts under the city (each one a cluster member).
    #[arg(long, default_value_t = 30)]
    pub districts: usize,
    /// Wards under each district.
    #[arg(long, default_value_t = 20)]
    pub wards: usize,
    /// Reported indicators (summed integers); one ratio indicator is added.
    #[arg(long, default_value_t = 40)]
    pub indicators: usize,
    /// How many times each rollup is timed; the median is reported.
    #[arg(long, default_value_t = 10)]
    pub repeat: usize,
    /// The Python that runs the DuckDB reference (needs `pip install duckdb`).
    #[arg(long, default_value = "python3")]
    pub python: String,
}

/// Backends the benchmarks can measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BenchBackend {
    /// A SQLite file in the temporary folder.
    Sqlite,
    /// A new database on THIDUA_TEST_POSTGRES (default postgres://postgres@127.0.0.1:5432/test).
    Postgres,
}

impl From<BenchBackend> for thidua_store::Backend {
    fn from(b: BenchBackend) -> Self {
        match b {
            BenchBackend::Sqlite => thidua_store::Backend::Sqlite,
            BenchBackend::Postgres => thidua_store::Backend::Postgres,
        }
    }
}
