//! Counting the SQL statements a piece of work sends to the database, for the tests that
//! a page's queries do not grow with the data, or that it reads a table only when it must.
//!
//! sqlx reports every statement it executes as a tracing event (target `sqlx::query`),
//! on either backend: PostgreSQL's in the task that runs the query, SQLite's on the
//! connection's worker thread inside the span of the task that sent it. A subscriber
//! installed once for the test binary counts those events under a `count_statements`
//! span, keyed by a number per measurement, so that tests running in parallel do not
//! count each other's statements. Nothing in the server is changed to be counted. The
//! settings a newly opened connection runs (SQLite's PRAGMAs) are left out: whether the
//! pool opens one during the work depends on timing, not on the work.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::subscriber::Interest;
use tracing::{Event, Instrument, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// The span a measurement runs in.
const SPAN: &str = "count_statements";
/// The target of sqlx's event for each executed statement.
const STATEMENT: &str = "sqlx::query";

/// Statements seen so far, per measurement: each one's SQL.
fn counts() -> &'static Mutex<HashMap<u64, Vec<String>>> {
    static COUNTS: OnceLock<Mutex<HashMap<u64, Vec<String>>>> = OnceLock::new();
    COUNTS.get_or_init(Mutex::default)
}

/// The measurement a span belongs to, kept in the span's extensions.
struct Measurement(u64);

/// A statement as sqlx reports it: its first words (`summary`), and the whole text
/// (`db.statement`) when it is longer than those.
#[derive(Default)]
struct StatementVisitor {
    summary: String,
    whole: String,
}

impl StatementVisitor {
    fn sql(self) -> String {
        if self.whole.trim().is_empty() {
            self.summary
        } else {
            self.whole.trim().to_owned()
        }
    }
}

impl Visit for StatementVisitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "summary" => value.clone_into(&mut self.summary),
            "db.statement" => value.clone_into(&mut self.whole),
            _ => {}
        }
    }

    fn record_debug(&mut self, _: &Field, _: &dyn std::fmt::Debug) {}
}

struct KeyVisitor(Option<u64>);

impl Visit for KeyVisitor {
    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "key" {
            self.0 = Some(value);
        }
    }

    fn record_debug(&mut self, _: &Field, _: &dyn std::fmt::Debug) {}
}

struct StatementCounter;

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for StatementCounter {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        // Only our span and sqlx's statement events: everything else stays disabled.
        if metadata.name() == SPAN || metadata.target() == STATEMENT {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut key = KeyVisitor(None);
        attrs.record(&mut key);
        if let (Some(key), Some(span)) = (key.0, ctx.span(id)) {
            span.extensions_mut().insert(Measurement(key));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        if event.metadata().target() != STATEMENT {
            return;
        }
        // A connection the pool opens during the work sets SQLite's per-connection
        // PRAGMAs: that depends on how busy the pool was, not on what the work asked for.
        let mut statement = StatementVisitor::default();
        event.record(&mut statement);
        let sql = statement.sql();
        if sql.trim_start().to_ascii_uppercase().starts_with("PRAGMA") {
            return;
        }
        let key = ctx
            .event_scope(event)
            .into_iter()
            .flatten()
            .find_map(|span| span.extensions().get::<Measurement>().map(|m| m.0));
        if let (Some(key), Ok(mut counts)) = (key, counts().lock()) {
            counts.entry(key).or_default().push(sql);
        }
    }
}

/// Runs `work` and returns its output with the number of SQL statements it executed.
/// Work it hands to other tasks (`tokio::spawn`) is not counted; a request through the
/// router is counted whole.
pub async fn count_statements<F: Future>(work: F) -> (F::Output, usize) {
    let (output, statements) = record_statements(work).await;
    (output, statements.len())
}

/// Runs `work` and returns its output with the SQL of every statement it executed, in
/// order (the same rules as [`count_statements`]).
pub async fn record_statements<F: Future>(work: F) -> (F::Output, Vec<String>) {
    static INSTALLED: OnceLock<bool> = OnceLock::new();
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let installed = *INSTALLED.get_or_init(|| {
        tracing::subscriber::set_global_default(tracing_subscriber::registry().with(StatementCounter)).is_ok()
    });
    assert!(
        installed,
        "another tracing subscriber was installed first; statements cannot be counted"
    );
    let key = NEXT.fetch_add(1, Ordering::Relaxed);
    let output = work.instrument(tracing::info_span!(SPAN, key)).await;
    let statements = counts()
        .lock()
        .map(|mut c| c.remove(&key).unwrap_or_default())
        .unwrap_or_default();
    (output, statements)
}
