//! The application layer's integration tests, in one binary, each on a database of its
//! own on SQLite and PostgreSQL.

mod directory;
