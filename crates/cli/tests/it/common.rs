//! Shared by the CLI tests: running the `thidua` binary the tests built against a test
//! database and its key file, as a command or as a server.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};

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

/// A `thidua serve` on the test's database and port 0, stopped when dropped.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
}

impl Server {
    /// Starts the server and waits for the line saying where it listens.
    pub fn start(db: &TestDatabase) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_thidua"))
            .arg("--db")
            .arg(&db.url_text)
            .arg("--key-file")
            .arg(&db.key_file)
            .args(["serve", "--addr", "127.0.0.1:0"])
            .env_remove("THIDUA_DB")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        let base = line
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .map(|addr| format!("http://{addr}"))
            .unwrap_or_else(|| panic!("the server says where it listens: {line:?}"));
        Server { child, base }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
