//! Shared by the CLI tests: running the `thidua` binary the tests built against a test
//! database and its key file.

use std::process::{Command, Output};

use thidua_store::testing::TestDatabase;

/// Runs `thidua --db … --key-file … ARGS` on `db`, never on a `THIDUA_DB` from outside.
pub fn thidua(db: &TestDatabase, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_thidua"))
        .arg("--db")
        .arg(&db.url_text)
        .arg("--key-file")
        .arg(&db.key_file)
        .args(args)
        .env_remove("THIDUA_DB")
        .output()
        .expect("running thidua")
}
