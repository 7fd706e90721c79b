//! Bảng số liệu cả cụm trong trình duyệt — the whole cluster's workbook from the cluster
//! page: downloading it (whoever may view the cluster), and uploading it back (whoever
//! runs the cluster) as a job whose progress the page shows as a bar fed by server-sent
//! events, then the result: the count written, or every bad cell with its sheet.
//!
//! An upload starts a job in this process's registry ([`Jobs`]): bounded (a few jobs
//! running at once, one per user; finished jobs kept [`JOB_TTL`], at most [`MAX_KEPT`]),
//! each named by 128 random bits and readable only by the account that started it — to
//! anyone else it does not exist. The job page works without JavaScript (it refreshes
//! itself while the job runs); with it, `static/cluster_workbook.js` (no inline script:
//! the content security policy forbids them) listens to
//! `/clusters/{code}/workbook/jobs/{id}/events` and moves the bar. What is read, checked
//! and written is the application's ([`thidua_app::cluster_workbook`]).
//!
//! The export is a plain download: a cluster's workbook is written in well under a
//! second (docs/decisions.md, "Whole-cluster workbooks"), so it needs no job.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use thidua_app::cluster_workbook::{self, Imported, Progress, ProgressFn, Refused, Stage};
use tokio::sync::watch;

use super::PeriodQuery;
use crate::AppState;
use crate::auth::{CurrentUser, Me};
use crate::body_limit::BodyLimit;
use crate::error::AppError;

/// The page's script, compiled in.
const SCRIPT: &str = include_str!("../../static/cluster_workbook.js");

/// The workbook upload: the archive limit of [`thidua_report::xlsx_bounds`] and room for
/// the form's other fields.
const CLUSTER_WORKBOOK: BodyLimit = BodyLimit {
    shown: thidua_report::xlsx_bounds::MAX_WORKBOOK_BYTES,
    request: thidua_report::xlsx_bounds::MAX_WORKBOOK_BYTES + 64 * 1024,
    what: "Tệp Excel của bảng cả cụm",
};

/// Jobs running at once, over all users: each holds a workbook slot of the application
/// for its reading and a write transaction for its writing.
pub(crate) const MAX_RUNNING: usize = 4;
/// How long a finished job's result stays readable.
pub(crate) const JOB_TTL: Duration = Duration::from_secs(30 * 60);
/// Jobs kept, running and finished; the oldest finished go first.
pub(crate) const MAX_KEPT: usize = 200;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/clusters/{code}/workbook",
            crate::body_limit::limited(get(page).post(upload), CLUSTER_WORKBOOK),
        )
        .route("/clusters/{code}/workbook.xlsx", get(download))
        .route("/clusters/{code}/workbook/jobs/{id}", get(job_page))
        .route("/clusters/{code}/workbook/jobs/{id}/events", get(events))
        .route("/static/cluster_workbook.js", get(script))
}

async fn script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        SCRIPT,
    )
}

// ---------------------------------------------------------------------------------------
// The job registry
// ---------------------------------------------------------------------------------------

/// How a job ended.
#[derive(Debug, Clone)]
enum Outcome {
    /// Imported (or, in a dry run, importable).
    Done(Imported),
    /// The file was refused: nothing written.
    Refused(Refused),
    /// The import could not run (a refusal of the request, a failure): the message.
    Failed(String),
}

/// Where a job stands: its last progress, and how it ended once it has.
#[derive(Debug, Clone, Default)]
struct JobState {
    progress: Option<Progress>,
    outcome: Option<Outcome>,
}

/// One upload being imported, or imported.
pub(crate) struct Job {
    owner: i64,
    cluster: String,
    period: String,
    file_name: String,
    dry_run: bool,
    created: Instant,
    finished: Mutex<Option<Instant>>,
    state: watch::Sender<JobState>,
}

impl Job {
    fn finish(&self, outcome: Outcome) {
        if let Ok(mut finished) = self.finished.lock() {
            *finished = Some(Instant::now());
        }
        self.state.send_modify(|s| s.outcome = Some(outcome));
    }

    fn expired(&self, now: Instant) -> bool {
        self.finished
            .lock()
            .ok()
            .and_then(|f| *f)
            .is_some_and(|at| now.duration_since(at) > JOB_TTL)
    }

    fn running(&self) -> bool {
        self.finished.lock().is_ok_and(|f| f.is_none())
    }
}

/// The jobs of this server process (Việc nhập bảng cả cụm), by id.
#[derive(Default)]
pub(crate) struct Jobs {
    jobs: Mutex<HashMap<String, Arc<Job>>>,
}

impl Jobs {
    /// Registers a job under a new random id, or says why not (too many running).
    fn start(&self, job: Job) -> Result<(String, Arc<Job>), AppError> {
        let mut id = [0u8; 16];
        getrandom::fill(&mut id).map_err(|e| AppError::Internal(format!("số ngẫu nhiên: {e}")))?;
        let id: String = id.iter().map(|b| format!("{b:02x}")).collect();
        let mut jobs = self
            .jobs
            .lock()
            .map_err(|_| AppError::Internal("danh sách việc nhập bị hỏng".into()))?;
        let now = Instant::now();
        jobs.retain(|_, j| !j.expired(now));
        let running: Vec<&Arc<Job>> = jobs.values().filter(|j| j.running()).collect();
        if running.iter().any(|j| j.owner == job.owner) {
            return Err(AppError::Conflict(
                "Bạn đang có một việc nhập bảng cả cụm chưa xong; hãy chờ việc đó xong rồi nhập tiếp.".into(),
            ));
        }
        if running.len() >= MAX_RUNNING {
            return Err(AppError::Conflict(format!(
                "Máy chủ đang nhập {MAX_RUNNING} bảng cả cụm cùng lúc; hãy thử lại sau ít phút."
            )));
        }
        while jobs.len() >= MAX_KEPT {
            let oldest = jobs
                .iter()
                .filter(|(_, j)| !j.running())
                .min_by_key(|(_, j)| j.created)
                .map(|(id, _)| id.clone());
            match oldest {
                Some(oldest) => jobs.remove(&oldest),
                None => break,
            };
        }
        let job = Arc::new(job);
        jobs.insert(id.clone(), job.clone());
        Ok((id, job))
    }

    /// The job `id` of cluster `code`, if `user` started it; anyone else is told it does
    /// not exist.
    fn get(&self, id: &str, code: &str, user: &CurrentUser) -> Result<Arc<Job>, AppError> {
        let missing = || {
            AppError::NotFound("Không tìm thấy việc nhập này: việc đã hết hạn, hoặc không phải do bạn bắt đầu.".into())
        };
        let jobs = self
            .jobs
            .lock()
            .map_err(|_| AppError::Internal("danh sách việc nhập bị hỏng".into()))?;
        let job = jobs
            .get(id)
            .filter(|j| !j.expired(Instant::now()))
            .ok_or_else(missing)?;
        if job.owner != user.user.id || job.cluster != code {
            return Err(missing());
        }
        Ok(job.clone())
    }
}

// ---------------------------------------------------------------------------------------
// Pages
// ---------------------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "cluster_workbook.html")]
struct WorkbookPage {
    title: String,
    query: String,
    me: Option<Me>,
    csrf: String,
    code: String,
    name: String,
    year: i32,
    period_code: String,
    period_label: String,
    members: usize,
    can_import: bool,
}

async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    Query(query): Query<PeriodQuery>,
) -> Result<WorkbookPage, AppError> {
    let caller = state.app.context(user.principal()).await?;
    let open = thidua_app::clusters::open(&state.app, &caller, &code, query.period.as_deref()).await?;
    let can_import = caller.access().can_run_cluster(&open.cluster);
    Ok(WorkbookPage {
        title: format!("Bảng số liệu cả cụm — {}", open.cluster.name),
        query: String::new(),
        me: Some(user.me()),
        csrf: user.csrf.clone(),
        code: open.cluster.code.to_string(),
        name: open.cluster.name.clone(),
        year: open.cluster.year,
        period_code: open.period.code(),
        period_label: open.period.label_vi(),
        members: open.cluster.members.len(),
        can_import,
    })
}

/// Tải bảng cả cụm — the workbook, written on a blocking thread.
async fn download(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    Query(query): Query<PeriodQuery>,
) -> Result<Response, AppError> {
    let caller = state.app.context(user.principal()).await?;
    let period = query
        .period
        .filter(|p| !p.trim().is_empty())
        .ok_or_else(|| AppError::BadRequest("Thiếu kỳ báo cáo (?period=2022S1)".into()))?;
    let exported = cluster_workbook::export(&state.app, &caller, &code, &period, Arc::new(|_: Progress| {})).await?;
    Ok(super::attachment(super::XLSX, &exported.filename, exported.bytes))
}

/// Nhập bảng cả cụm — takes the upload, starts its job and sends the browser to the
/// job's page. Whoever does not run the cluster is refused before the file is read.
async fn upload(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    multipart: axum::extract::Multipart,
) -> Result<Response, AppError> {
    let crate::body_limit::Upload { fields, file } =
        crate::body_limit::read_upload(multipart, CLUSTER_WORKBOOK).await?;
    user.check_csrf(fields.get("csrf").map_or("", String::as_str))?;
    let period = fields
        .get("period")
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .ok_or_else(|| AppError::BadRequest("Thiếu kỳ báo cáo".into()))?;
    let dry_run = fields.get("dry_run").is_some_and(|v| !v.is_empty());
    let caller = state.app.context(user.principal()).await?;
    let (cluster, period) = cluster_workbook::open_for_import(&state.app, &caller, &code, &period).await?;
    let file = file
        .filter(|f| !f.bytes.is_empty())
        .ok_or_else(|| AppError::BadRequest("Chưa chọn tệp Excel".into()))?;
    let (id, job) = state.workbook_jobs.start(Job {
        owner: user.user.id,
        cluster: cluster.code.to_string(),
        period: period.code(),
        file_name: file.filename.chars().take(200).collect(),
        dry_run,
        created: Instant::now(),
        finished: Mutex::new(None),
        state: watch::Sender::new(JobState::default()),
    })?;
    let app = state.app.clone();
    let (cluster_code, period_code) = (job.cluster.clone(), job.period.clone());
    let running = job.clone();
    let work = tokio::spawn(async move {
        let shown = running.clone();
        let progress: ProgressFn = Arc::new(move |p: Progress| shown.state.send_modify(|s| s.progress = Some(p)));
        cluster_workbook::import(
            &app,
            &caller,
            &cluster_code,
            &period_code,
            file.bytes,
            dry_run,
            progress,
        )
        .await
    });
    tokio::spawn(async move {
        let outcome = match work.await {
            Ok(Ok(Ok(imported))) => Outcome::Done(imported),
            Ok(Ok(Err(refused))) => Outcome::Refused(refused),
            Ok(Err(e)) => {
                let e = AppError::from(e);
                if let AppError::Internal(detail) = &e {
                    tracing::error!(%detail, "cluster workbook import failed");
                    Outcome::Failed("Đã có lỗi ở máy chủ; không số liệu nào được ghi. Hãy thử lại sau.".into())
                } else {
                    Outcome::Failed(e.to_string())
                }
            }
            Err(e) => {
                tracing::error!(%e, "cluster workbook import panicked");
                Outcome::Failed("Đã có lỗi ở máy chủ; không số liệu nào được ghi. Hãy thử lại sau.".into())
            }
        };
        job.finish(outcome);
    });
    Ok(Redirect::to(&format!("/clusters/{code}/workbook/jobs/{id}", code = cluster.code)).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "cluster_workbook_job.html")]
struct JobPage {
    title: String,
    query: String,
    me: Option<Me>,
    code: String,
    period_code: String,
    file_name: String,
    dry_run: bool,
    events: String,
    running: bool,
    label: String,
    done: u64,
    total: u64,
    summary: String,
    problems: Vec<String>,
    failure: String,
}

async fn job_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((code, id)): Path<(String, String)>,
) -> Result<JobPage, AppError> {
    let job = state.workbook_jobs.get(&id, &code, &user)?;
    let now = job.state.borrow().clone();
    let (done, total) = now.progress.map_or((0, 0), |p| (p.done, p.total));
    let mut page = JobPage {
        title: format!("Nhập bảng cả cụm {} kỳ {}", job.cluster, job.period),
        query: String::new(),
        me: Some(user.me()),
        code: job.cluster.clone(),
        period_code: job.period.clone(),
        file_name: job.file_name.clone(),
        dry_run: job.dry_run,
        events: format!("/clusters/{}/workbook/jobs/{id}/events", job.cluster),
        running: now.outcome.is_none(),
        label: now
            .progress
            .map_or_else(|| "Đang chờ bắt đầu".to_owned(), |p| p.label_vi()),
        done,
        total,
        summary: String::new(),
        problems: Vec::new(),
        failure: String::new(),
    };
    match now.outcome {
        None => {}
        Some(Outcome::Done(imported)) => page.summary = imported.summary_vi(),
        Some(Outcome::Refused(refused)) => page.problems = refused.problems,
        Some(Outcome::Failed(message)) => page.failure = message,
    }
    Ok(page)
}

/// The SSE stream's own steps: the current state, each change, and a final event.
enum Step {
    First,
    Waiting,
    Final,
    End,
}

fn stage_name(stage: Stage) -> &'static str {
    match stage {
        Stage::Reading => "reading",
        Stage::Checking => "checking",
        Stage::Writing => "writing",
        Stage::Exporting => "exporting",
    }
}

fn progress_event(state: &JobState) -> Event {
    let data = match state.progress {
        Some(p) => serde_json::json!({
            "stage": stage_name(p.stage),
            "done": p.done,
            "total": p.total,
            "label": p.label_vi(),
        }),
        None => serde_json::json!({ "stage": "waiting", "done": 0, "total": 0, "label": "Đang chờ bắt đầu" }),
    };
    Event::default().event("progress").data(data.to_string())
}

fn final_event(state: &JobState) -> Event {
    let (result, message) = match &state.outcome {
        Some(Outcome::Done(imported)) => ("done", imported.summary_vi()),
        Some(Outcome::Refused(refused)) => (
            "refused",
            format!(
                "Chưa nhập: {} ô chưa đúng, không số liệu nào được ghi.",
                refused.problems.len()
            ),
        ),
        Some(Outcome::Failed(message)) => ("failed", message.clone()),
        None => ("failed", "Việc nhập đã dừng.".to_owned()),
    };
    Event::default()
        .event("done")
        .data(serde_json::json!({ "result": result, "message": message }).to_string())
}

/// The job's progress as server-sent events: `progress` now and at each change, then one
/// `done` (with `result`: done, refused or failed) when it ends, and the stream closes.
async fn events(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((code, id)): Path<(String, String)>,
) -> Result<Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>>, AppError> {
    let job = state.workbook_jobs.get(&id, &code, &user)?;
    let receiver = job.state.subscribe();
    let stream = futures_util::stream::unfold((receiver, Step::First), |(mut receiver, step)| async move {
        match step {
            Step::End => None,
            Step::Final => {
                let event = final_event(&receiver.borrow());
                Some((Ok(event), (receiver, Step::End)))
            }
            Step::First | Step::Waiting => {
                if matches!(step, Step::Waiting) && receiver.changed().await.is_err() {
                    // The job was dropped (expired): nothing more will come.
                    return None;
                }
                let now = receiver.borrow_and_update().clone();
                let next = if now.outcome.is_some() {
                    Step::Final
                } else {
                    Step::Waiting
                };
                Some((Ok(progress_event(&now)), (receiver, next)))
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
