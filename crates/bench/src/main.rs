//! `thidua-bench` — the benchmarks of thidua, a binary of their own so the product's
//! `thidua` carries no benchmark or test-support code: `rollup` (import and roll up a
//! large synthetic cluster, against plain SQL and DuckDB), `load` (the deadline rush over
//! HTTP, against direct store calls) and `scale` (a national dataset through the `thidua`
//! binary and its JSON API, against plain SQL and DuckDB). Each makes a fresh database
//! for the run and drops it afterwards; see BENCHMARKS.md for the figures.

mod args;
mod load;
mod reference;
mod rollup;
mod scale;

use std::process::ExitCode;

use clap::Parser;

/// The allocator `thidua` runs with (crates/cli/src/main.rs), for the in-process server.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use crate::args::{Args, Command};

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("lỗi: không khởi động được tokio: {e}");
            return ExitCode::FAILURE;
        }
    };
    init_logging();
    let result = runtime.block_on(async {
        match &args.command {
            Command::Rollup(options) => rollup::run(options).await,
            Command::Load(options) => load::run(options).await,
            Command::Scale(options) => scale::run(options).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lỗi: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Warnings and errors to standard error, as `thidua` logs outside `serve`; `RUST_LOG`
/// overrides.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
