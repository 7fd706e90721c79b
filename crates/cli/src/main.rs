//! `thidua` — the command line: parse the arguments, run the command, report failure in
//! Vietnamese with a non-zero exit code.

mod args;
mod commands;

use std::process::ExitCode;

use clap::Parser;

/// A JSON rollup builds and frees a thousand small strings (docs/decisions.md, "mimalloc").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = args::Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("lỗi: không khởi động được tokio: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lỗi: {e:#}");
            ExitCode::FAILURE
        }
    }
}
