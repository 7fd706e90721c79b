//! The command line of `thidua-bench`, as clap types: the benchmarks and their options
//! (`rollup` and `load` the same as they had as `thidua bench …`).

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
    /// Quy mô toàn quốc: nhập, khởi động, bộ nhớ, độ trễ tổng hợp qua API, độ tươi giữa hai
    /// tiến trình, so với SQL thuần và DuckDB trên cùng bộ số liệu.
    Scale(ScaleArgs),
}

/// Options of `thidua-bench scale`: the size of the `thidua bench-data` dataset and how
/// the measures are taken.
#[derive(Debug, clap::Args)]
pub struct ScaleArgs {
    /// Backend to measure, on a fresh database made for the run and dropped after it.
    #[arg(long, value_enum, default_value_t = BenchBackend::Sqlite)]
    pub backend: BenchBackend,
    /// Provinces (as `thidua bench-data --provinces`).
    #[arg(long, default_value_t = 34)]
    pub provinces: usize,
    /// Communes in all.
    #[arg(long, default_value_t = 3321)]
    pub communes: usize,
    /// Residential areas in all.
    #[arg(long, default_value_t = 30000)]
    pub areas: usize,
    /// Indicators, formulas included.
    #[arg(long, default_value_t = 100)]
    pub indicators: usize,
    /// Half-years of values, the last 2026S1.
    #[arg(long, default_value_t = 4)]
    pub periods: usize,
    /// Seed of the generator.
    #[arg(long, default_value_t = 2025)]
    pub seed: u64,
    /// Keep the generated CSV files in this folder, and reuse them when a run with the same
    /// sizes and seed left them there; without it they go to a temporary folder, removed.
    #[arg(long)]
    pub keep: Option<std::path::PathBuf>,
    /// Requests per rollup through the JSON API (p50 and p99 of these).
    #[arg(long, default_value_t = 500)]
    pub requests: usize,
    /// How many times each plain SQL and DuckDB query is timed (the median is reported).
    #[arg(long, default_value_t = 5)]
    pub repeat: usize,
    /// The `thidua` binary; by default the one beside `thidua-bench`.
    #[arg(long)]
    pub thidua: Option<std::path::PathBuf>,
    /// The Python that runs the DuckDB reference (needs `pip install duckdb`).
    #[arg(long, default_value = "python3")]
    pub python: String,
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
