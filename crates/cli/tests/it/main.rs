//! The `thidua` command's integration tests, in one binary.

#![allow(
    clippy::unwrap_used,
    reason = "test code: clippy's allow-unwrap-in-tests (clippy.toml) covers #[test] functions, not the async test bodies the on_both_backends! wrappers call (rust-clippy#11119)"
)]

mod bench_data;
mod cli;
mod cluster_xlsx;
mod common;
mod dhis2_cli;
mod freshness;
mod lineage;
mod report_templates;
mod review_parity;
mod rollup_range;
mod verify_ballot;
