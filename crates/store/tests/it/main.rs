//! The store's integration tests, in one binary: every test runs on SQLite and on
//! PostgreSQL, each on a database of its own.

#![allow(
    clippy::unwrap_used,
    reason = "test code: clippy's allow-unwrap-in-tests (clippy.toml) covers #[test] functions, not the async test bodies the on_both_backends! wrappers call (rust-clippy#11119)"
)]

mod api_tokens;
mod audit_chain;
mod ballot_secrecy;
mod bulk_import;
mod emulation;
mod storage;
mod workflow;
