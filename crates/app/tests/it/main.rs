//! The application layer's integration tests, in one binary, each on a database of its
//! own on SQLite and PostgreSQL.

#![allow(
    clippy::unwrap_used,
    reason = "test code: clippy's allow-unwrap-in-tests (clippy.toml) covers #[test] functions, not the async test bodies the on_both_backends! wrappers call (rust-clippy#11119)"
)]

mod dhis2;
mod directory;
mod engine;
mod fixtures;
mod lineage;
mod ranges;
mod scoring;
mod signers;
mod todo;
