//! The `thidua` processes the scale benchmark drives: one-shot commands (imports, accounts,
//! windows) timed by their wall clock, and `thidua serve` on port 0 — where it says it
//! listens, when its rollup engine is ready (its own log line), how much memory it holds
//! (/proc/PID/status) — and a signed-in client of its JSON API and forms.

use std::io::{BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// How to run `thidua` on the benchmark's database.
#[derive(Debug, Clone)]
pub struct Thidua {
    pub binary: PathBuf,
    pub url: String,
    pub key_file: PathBuf,
}

impl Thidua {
    fn command(&self) -> Command {
        let mut command = Command::new(&self.binary);
        command
            .arg("--db")
            .arg(&self.url)
            .arg("--key-file")
            .arg(&self.key_file)
            .env_remove("THIDUA_DB")
            .env("NO_COLOR", "1");
        command
    }

    /// Runs `thidua ARGS` (standard input `stdin`) to the end; fails with its message when
    /// it fails. Returns how long it took.
    pub fn run(&self, args: &[&str], stdin: &str) -> anyhow::Result<Duration> {
        let started = Instant::now();
        let mut child = self
            .command()
            .args(args)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("không chạy được {}", self.binary.display()))?;
        if let Some(mut input) = child.stdin.take() {
            input.write_all(stdin.as_bytes())?;
        }
        let output = child.wait_with_output()?;
        let took = started.elapsed();
        if !output.status.success() {
            // The import's progress lines come first; its message is at the end.
            let stderr = String::from_utf8_lossy(&output.stderr);
            let last: Vec<&str> = stderr.split(['\r', '\n']).filter(|l| !l.trim().is_empty()).collect();
            bail!(
                "thidua {} thất bại: {}",
                args.join(" "),
                last[last.len().saturating_sub(5)..].join("\n")
            );
        }
        Ok(took)
    }

    /// Starts `thidua serve` on port 0 and waits until it says where it listens.
    pub fn serve(&self) -> anyhow::Result<Server> {
        let started = Instant::now();
        let mut child = self
            .command()
            .args(["serve", "--addr", "127.0.0.1:0"])
            // The engine's "ready" line is an info event of thidua_app; the request log stays off.
            .env("RUST_LOG", "warn,thidua_app=info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("không chạy được {}", self.binary.display()))?;
        let engine = Arc::new(Mutex::new(EngineLog::default()));
        let stderr = child.stderr.take().context("no stderr")?;
        let log = engine.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Ok(mut log) = log.lock() {
                    log.read(&line);
                }
            }
        });
        let mut stdout = BufReader::new(child.stdout.take().context("no stdout")?);
        let mut line = String::new();
        stdout.read_line(&mut line)?;
        let listening = started.elapsed();
        // Keep reading, so a full pipe never stops the server.
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut stdout, &mut std::io::sink());
        });
        let Some(base) = line
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .map(|addr| format!("http://{addr}"))
        else {
            let _ = child.kill();
            let _ = child.wait();
            let last = engine.lock().map(|l| l.last.clone()).unwrap_or_default();
            bail!("thidua serve không cho biết địa chỉ: {line:?} {last}");
        };
        Ok(Server {
            child,
            base,
            started,
            listening,
            engine,
        })
    }
}

/// What the server's log said about its rollup engine.
#[derive(Debug, Default, Clone)]
pub struct EngineLog {
    /// `values`, `bytes` and `ms` of the "rollup engine ready" line.
    pub ready: Option<(u64, u64, u64)>,
    /// The last line, for an error message.
    pub last: String,
}

impl EngineLog {
    fn read(&mut self, line: &str) {
        self.last = line.to_owned();
        if !line.contains("rollup engine ready") {
            return;
        }
        let field = |name: &str| {
            line.split_whitespace()
                .find_map(|word| word.strip_prefix(name)?.strip_prefix('='))
                .and_then(|n| n.parse::<u64>().ok())
        };
        if let (Some(values), Some(bytes), Some(ms)) = (field("values"), field("bytes"), field("ms")) {
            self.ready = Some((values, bytes, ms));
        }
    }
}

/// A running `thidua serve`, killed when dropped.
pub struct Server {
    child: Child,
    pub base: String,
    /// When it was started.
    pub started: Instant,
    /// From the start until it printed its address.
    pub listening: Duration,
    engine: Arc<Mutex<EngineLog>>,
}

/// Resident memory of a process, in bytes: now (VmRSS) and at its peak (VmHWM).
#[derive(Debug, Clone, Copy, Default)]
pub struct Memory {
    pub rss: u64,
    pub peak: u64,
}

impl Server {
    /// The engine's "ready" line, once it has been logged (waits up to a few seconds for
    /// the log to arrive after the first rollup answered).
    pub fn engine_ready(&self) -> Option<(u64, u64, u64)> {
        for _ in 0..50 {
            if let Some(ready) = self.engine.lock().ok().and_then(|l| l.ready) {
                return Some(ready);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        None
    }

    /// The process's resident memory, from /proc (Linux).
    pub fn memory(&self) -> anyhow::Result<Memory> {
        memory_of(self.child.id())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn memory_of(pid: u32) -> anyhow::Result<Memory> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .context("không đọc được /proc/PID/status (cần Linux)")?;
    let kb = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse::<u64>().ok())
            .map(|n| n * 1024)
    };
    Ok(Memory {
        rss: kb("VmRSS:").context("no VmRSS")?,
        peak: kb("VmHWM:").unwrap_or(0),
    })
}

/// A signed-in client of one server.
pub struct Client {
    http: reqwest::Client,
    pub base: String,
    cookie: String,
}

impl Client {
    /// Signs in with the login form, as a browser does.
    pub async fn sign_in(base: &str, username: &str, password: &str) -> anyhow::Result<Client> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let response = http
            .post(format!("{base}/login"))
            .header("Origin", base)
            .form(&[("username", username), ("password", password), ("next", "/")])
            .send()
            .await?;
        let cookie = response
            .headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("thidua_session="))
            .and_then(|v| v.split(';').next())
            .with_context(|| format!("đăng nhập {username} không nhận được phiên ({})", response.status()))?
            .to_owned();
        Ok(Client {
            http,
            base: base.to_owned(),
            cookie,
        })
    }

    /// GETs `path` and returns the body; a status other than 200 is an error.
    pub async fn get(&self, path: &str) -> anyhow::Result<String> {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .header("Cookie", &self.cookie)
            .send()
            .await?;
        let status = response.status();
        let body = response.text().await?;
        if status != reqwest::StatusCode::OK {
            bail!("GET {path}: {status} {}", body.chars().take(300).collect::<String>());
        }
        Ok(body)
    }

    /// GETs a JSON document.
    pub async fn json(&self, path: &str) -> anyhow::Result<serde_json::Value> {
        let body = self.get(path).await?;
        serde_json::from_str(&body).with_context(|| format!("GET {path}: not JSON"))
    }

    /// Opens a form page and posts `fields` to `post_path` with its anti-forgery token and
    /// version, as the browser does (same origin); a refusal is an error.
    pub async fn post_form(&self, page: &str, post_path: &str, fields: &[(&str, &str)]) -> anyhow::Result<()> {
        let html = self.get(page).await?;
        let hidden = |name: &str| {
            html.split(&format!("name=\"{name}\" value=\""))
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .map(str::to_owned)
                .with_context(|| format!("{page} has no {name}"))
        };
        let (csrf, version) = (hidden("csrf")?, hidden("version")?);
        let mut all = vec![("csrf", csrf.as_str()), ("version", version.as_str())];
        all.extend_from_slice(fields);
        let response = self
            .http
            .post(format!("{}{post_path}", self.base))
            .header("Cookie", &self.cookie)
            .header("Origin", &self.base)
            .form(&all)
            .send()
            .await?;
        let status = response.status();
        if !(status.is_success() || status.is_redirection()) {
            bail!(
                "POST {post_path}: {status} {}",
                response
                    .text()
                    .await
                    .unwrap_or_default()
                    .chars()
                    .take(300)
                    .collect::<String>()
            );
        }
        Ok(())
    }
}

/// The `thidua` beside this binary (both built into the same target folder).
pub fn sibling_thidua() -> anyhow::Result<PathBuf> {
    let me = std::env::current_exe()?;
    let binary = me.with_file_name(format!("thidua{}", std::env::consts::EXE_SUFFIX));
    if !binary.exists() {
        bail!(
            "không thấy {} — hãy build cả thidua (cargo build --release -p thidua -p thidua-bench) hoặc chỉ rõ --thidua",
            binary.display()
        );
    }
    Ok(binary)
}

/// Counts the lines of a file without holding it: values.csv at scale is gigabytes.
pub fn count_lines(path: &Path) -> anyhow::Result<u64> {
    let mut reader = BufReader::with_capacity(1 << 20, std::fs::File::open(path)?);
    let mut lines = 0;
    loop {
        let buffer = reader.fill_buf()?;
        if buffer.is_empty() {
            return Ok(lines);
        }
        lines += buffer.iter().filter(|&&b| b == b'\n').count() as u64;
        let n = buffer.len();
        reader.consume(n);
    }
}
