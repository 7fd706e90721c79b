//! The web crate's integration tests, in one binary (one link of the server and typst):
//! the real router over a database of its own per test, on SQLite and PostgreSQL, and the
//! browser flows in headless Chromium.

mod access;
mod awards;
mod ballot;
mod browser;
mod common;
mod http;
mod scoring;
mod security_access;
mod security_audit;
mod security_ballots;
mod security_logins;
mod security_templates;
mod security_uploads;
