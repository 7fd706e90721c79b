//! The store's integration tests, in one binary: every test runs on SQLite and on
//! PostgreSQL, each on a database of its own.

mod audit_chain;
mod ballot_secrecy;
mod emulation;
mod storage;
mod workflow;
