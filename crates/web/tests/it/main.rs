//! The web crate's integration tests, in one binary (one link of the server and typst):
//! the real router over a database of its own per test, on SQLite and PostgreSQL, and the
//! browser flows in headless Chromium.

#![allow(
    clippy::unwrap_used,
    reason = "test code: clippy's allow-unwrap-in-tests (clippy.toml) covers #[test] functions, not the async test bodies the on_both_backends! wrappers call (rust-clippy#11119)"
)]

mod access;
mod admin;
mod api_ranges;
mod awards;
mod awards_ux;
mod ballot;
mod browser;
mod cluster_workbook;
mod common;
mod comparison;
mod criteria_editor;
mod dhis2;
mod directory_cache;
mod home;
mod http;
mod lineage;
mod notifications;
mod review_template;
mod scoring;
mod security_access;
mod security_audit;
mod security_ballots;
mod security_logins;
mod security_templates;
mod security_uploads;
