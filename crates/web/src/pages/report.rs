//! Báo cáo sơ kết — the cluster's review on its own page (from the same template as the
//! CLI: the cluster's own, else the shipped one), the cluster's template editor with a
//! live preview of that cluster's data, and publishing it to the public news page (tin
//! tức).
//!
//! A template is code its author runs on the server. Every rendering — page, downloads,
//! publishing, preview — goes through [`render_bounded`]: the report crate's fuel and
//! output limits, on a blocking thread, at most [`RENDER_SLOTS`] at once, and an answer
//! after [`RENDER_WAIT`] whatever the template does.

use std::sync::Arc;
use std::time::Duration;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use thidua_core::rollup::ClusterRollup;
use thidua_core::{Catalog, Cluster, ClusterCode, Conference, Period, Role};
use thidua_report::document::OfficialDocument;
use thidua_report::review::{
    DEFAULT_TEMPLATE, REVIEW_SYMBOL, RenderLimit, ReviewInput, TEMPLATE_NAME as REVIEW_TEMPLATE, TemplateError,
    render_review,
};
use thidua_store::{Actor, NewArticle};

use super::PeriodQuery;
use crate::AppState;
use crate::auth::{CurrentUser, Me, Scope};
use crate::error::AppError;

/// How many reviews render at once, over all users: each may take a core for the time
/// its fuel allows, and the machine keeps the others for everyone else's pages.
pub(crate) const RENDER_SLOTS: usize = 2;
/// How long a request waits for a rendering slot, and then for its rendering, before it
/// is answered that the server is busy or the template too slow.
const RENDER_WAIT: Duration = Duration::from_secs(20);
/// The news category reviews are published in.
const CATEGORY: &str = "Thi đua - khen thưởng";

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/clusters/{code}/report", get(report_page))
        .route("/clusters/{code}/report.txt", get(report_text))
        .route("/clusters/{code}/report.docx", get(report_docx))
        .route("/clusters/{code}/report.pdf", get(report_pdf))
        .route("/clusters/{code}/rollup.xlsx", get(rollup_xlsx))
        .route("/clusters/{code}/report/publish", post(publish))
        .route(
            "/clusters/{code}/report/template",
            get(template_page).post(template_save),
        )
}

/// What a review is written from, loaded once per request.
struct ReviewData {
    rollup: ClusterRollup,
    catalog: Catalog,
    conference: Option<Conference>,
    previous: Option<ClusterRollup>,
    /// Without a conference record, the body above the first member issues the report.
    issuer: String,
}

impl ReviewData {
    async fn load(state: &AppState, cluster: &Cluster, period: Period) -> Result<ReviewData, AppError> {
        let (rollup, catalog, conference, tree) = tokio::try_join!(
            state.store.rollup_cluster(&cluster.code, period),
            state.store.catalog(),
            state.store.review_conference(&cluster.code, period),
            state.store.unit_tree(),
        )?;
        let previous = match state.store.rollup_cluster(&cluster.code, period.previous()).await {
            Ok(r) if !r.total.is_empty() => Some(r),
            _ => None,
        };
        let issuer = cluster.issuing_body(&tree).map(|u| u.name.clone()).unwrap_or_default();
        Ok(ReviewData {
            rollup,
            catalog,
            conference,
            previous,
            issuer,
        })
    }

    fn input(&self) -> ReviewInput<'_> {
        ReviewInput {
            rollup: &self.rollup,
            catalog: &self.catalog,
            conference: self.conference.as_ref(),
            issuer: &self.issuer,
            previous: self.previous.as_ref(),
        }
    }
}

/// Renders `template` over `data` within every limit: the report crate's fuel and output
/// caps, on a blocking thread (never the async workers that answer `/login`), at most
/// [`RENDER_SLOTS`] at once, and an answer — the server is busy, the template too slow —
/// after [`RENDER_WAIT`] of waiting for a slot or for the rendering. A rendering that
/// outlives its answer keeps its slot until its fuel ends it.
async fn render_bounded(
    state: &AppState,
    data: Arc<ReviewData>,
    template: String,
) -> Result<Result<String, TemplateError>, AppError> {
    let slots = state.render_slots.clone();
    let Ok(permit) = tokio::time::timeout(RENDER_WAIT, slots.acquire_owned()).await else {
        return Ok(Err(TemplateError::limit(RenderLimit::Busy, 0)));
    };
    let permit = permit.map_err(|e| AppError::Internal(e.to_string()))?;
    let rendering = tokio::task::spawn_blocking(move || {
        let _slot = permit;
        render_review(&data.input(), &template)
    });
    match tokio::time::timeout(RENDER_WAIT, rendering).await {
        Ok(joined) => joined.map_err(|e| AppError::Internal(e.to_string())),
        Err(_) => Ok(Err(TemplateError::limit(RenderLimit::Time, 0))),
    }
}

/// The review's text with `template`, or the template's error.
async fn review(
    state: &AppState,
    cluster: &Cluster,
    period: Period,
    template: String,
) -> Result<Result<String, TemplateError>, AppError> {
    let data = Arc::new(ReviewData::load(state, cluster, period).await?);
    render_bounded(state, data, template).await
}

/// The number the register gave the review, if it has been issued.
async fn review_number(state: &AppState, cluster: &Cluster, period: Period) -> Result<Option<u32>, AppError> {
    Ok(state
        .store
        .document_number(cluster.code.as_str(), REVIEW_SYMBOL, &period.code())
        .await?)
}

/// The official document made of the review, with the register's number.
async fn review_document(
    state: &AppState,
    cluster: &Cluster,
    period: Period,
    template: String,
) -> Result<Result<OfficialDocument, TemplateError>, AppError> {
    let (data, number) = tokio::try_join!(
        ReviewData::load(state, cluster, period),
        review_number(state, cluster, period)
    )?;
    let data = Arc::new(data);
    Ok(render_bounded(state, data.clone(), template)
        .await?
        .map(|text| thidua_report::review::review_document(&data.input(), &text, number)))
}

/// The cluster's own review template, else the one shipped with thidua. Never another
/// cluster's: each cluster's wording is its own.
async fn current_template(state: &AppState, cluster: &ClusterCode) -> Result<String, AppError> {
    Ok(state
        .store
        .cluster_template(cluster, REVIEW_TEMPLATE)
        .await?
        .map_or_else(|| DEFAULT_TEMPLATE.to_owned(), |t| t.body))
}

/// Whether `principal` may edit `cluster`'s template: core's rule, asked of the cluster as
/// constituted in its latest year (the template serves every year's report of the
/// cluster, so the chair in office and the upper level above today's members decide it)
/// and of the year shown.
fn may_edit_template(scope: &Scope, principal: &thidua_core::Principal, cluster: &Cluster) -> bool {
    let access = scope.access(principal);
    let latest = scope
        .clusters
        .iter()
        .filter(|c| c.code == cluster.code)
        .max_by_key(|c| c.year)
        .unwrap_or(cluster);
    access.can_edit_review_template(latest) && access.can_edit_review_template(cluster)
}

fn paragraphs(text: &str) -> Vec<String> {
    text.split("\n\n")
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "report.html")]
struct ReportPage {
    title: String,
    query: String,
    me: Option<Me>,
    code: String,
    name: String,
    period_code: String,
    period_label: String,
    paragraphs: Vec<String>,
    error: String,
    /// "Số: 1/BC-CTĐ" once issued, empty before.
    number: String,
    can_publish: bool,
    can_edit_template: bool,
    csrf: String,
}

async fn cluster_and_period(
    state: &AppState,
    user: &CurrentUser,
    code: &str,
    period: Option<&str>,
) -> Result<(Cluster, Period, Scope), AppError> {
    let (cluster, period, _) = super::resolve_cluster(state, user, code, period).await?;
    let scope = Scope::load(state).await?;
    super::ensure_can_view_cluster(&scope, &user.principal(), &cluster)?;
    Ok((cluster, period, scope))
}

fn can_publish(user: &CurrentUser, cluster: &Cluster) -> bool {
    user.user.role == Role::Admin
        || (user.user.role == Role::Chair && cluster.chair.is_some() && cluster.chair == user.user.unit)
}

async fn report_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    Query(query): Query<PeriodQuery>,
) -> Result<ReportPage, AppError> {
    let (cluster, period, scope) = cluster_and_period(&state, &user, &code, query.period.as_deref()).await?;
    let template = current_template(&state, &cluster.code).await?;
    let (paragraphs, error) = match review(&state, &cluster, period, template).await? {
        Ok(text) => (paragraphs(&text), String::new()),
        Err(e) => (Vec::new(), e.to_string()),
    };
    let number = review_number(&state, &cluster, period)
        .await?
        .map(|n| thidua_report::document::number_line(Some(n), REVIEW_SYMBOL))
        .unwrap_or_default();
    Ok(ReportPage {
        title: format!("Báo cáo {} — {}", period.label_vi(), cluster.name),
        query: String::new(),
        me: Some(user.me()),
        code: cluster.code.to_string(),
        name: cluster.name.clone(),
        period_code: period.code(),
        period_label: period.label_vi(),
        paragraphs,
        error,
        number,
        can_publish: can_publish(&user, &cluster),
        can_edit_template: may_edit_template(&scope, &user.principal(), &cluster),
        csrf: user.csrf.clone(),
    })
}

async fn report_text(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    Query(query): Query<PeriodQuery>,
) -> Result<Response, AppError> {
    let (cluster, period, _) = cluster_and_period(&state, &user, &code, query.period.as_deref()).await?;
    let template = current_template(&state, &cluster.code).await?;
    let text = review(&state, &cluster, period, template)
        .await?
        .map_err(|e| AppError::Conflict(e.to_string()))?;
    let filename = format!("bao-cao-{}-{}.txt", cluster.code, period);
    Ok(super::attachment("text/plain; charset=utf-8", &filename, text))
}

/// The review as an official document to download.
async fn review_download(
    state: &AppState,
    user: &CurrentUser,
    code: &str,
    period: Option<&str>,
    format: super::DocumentFormat,
) -> Result<Response, AppError> {
    let (cluster, period, _) = cluster_and_period(state, user, code, period).await?;
    let template = current_template(state, &cluster.code).await?;
    let document = review_document(state, &cluster, period, template)
        .await?
        .map_err(|e| AppError::Conflict(e.to_string()))?;
    let stem = format!("bao-cao-{}-{}", cluster.code, period);
    super::document_download(document, &stem, format).await
}

async fn report_docx(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    Query(query): Query<PeriodQuery>,
) -> Result<Response, AppError> {
    review_download(
        &state,
        &user,
        &code,
        query.period.as_deref(),
        super::DocumentFormat::Docx,
    )
    .await
}

async fn report_pdf(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    Query(query): Query<PeriodQuery>,
) -> Result<Response, AppError> {
    review_download(
        &state,
        &user,
        &code,
        query.period.as_deref(),
        super::DocumentFormat::Pdf,
    )
    .await
}

async fn rollup_xlsx(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    Query(query): Query<PeriodQuery>,
) -> Result<Response, AppError> {
    let (cluster, period, _) = cluster_and_period(&state, &user, &code, query.period.as_deref()).await?;
    let (rollup, catalog) = tokio::try_join!(state.store.rollup_cluster(&cluster.code, period), state.store.catalog())?;
    let bytes =
        thidua_report::rollup_sheet::write_rollup(&rollup, &catalog).map_err(|e| AppError::Internal(e.to_string()))?;
    let filename = format!("so-lieu-{}-{}.xlsx", cluster.code, period);
    Ok(super::attachment(super::XLSX, &filename, bytes))
}

#[derive(serde::Deserialize)]
struct PublishForm {
    csrf: String,
    period: String,
}

async fn publish(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    Form(form): Form<PublishForm>,
) -> Result<Response, AppError> {
    user.check_csrf(&form.csrf)?;
    let (cluster, period, _) = cluster_and_period(&state, &user, &code, Some(&form.period)).await?;
    if !can_publish(&user, &cluster) {
        return Err(AppError::Forbidden(format!(
            "chỉ cụm trưởng của {} năm {} mới đăng báo cáo",
            cluster.name, cluster.year
        )));
    }
    let data = Arc::new(ReviewData::load(&state, &cluster, period).await?);
    let template = current_template(&state, &cluster.code).await?;
    let text = render_bounded(&state, data.clone(), template)
        .await?
        .map_err(|e| AppError::Conflict(e.to_string()))?;
    let conference = data.conference.clone();
    // The body without the document's two heading lines: the article has its own title.
    let body: String = text.split("\n\n").skip(1).collect::<Vec<_>>().join("\n\n");
    let issuer = conference.as_ref().map(|c| c.issuer.clone()).unwrap_or_default();
    let kind = conference
        .as_ref()
        .map_or("sơ kết", |c| c.kind.label_vi().trim_start_matches("hội nghị "));
    let title = format!(
        "{}{} {kind} công tác thi đua khen thưởng {}",
        cluster.name,
        if issuer.is_empty() {
            String::new()
        } else {
            format!(" - {issuer}")
        },
        period.label_vi().to_lowercase()
    );
    let author = conference
        .as_ref()
        .map(|c| c.author.clone())
        .filter(|a| !a.is_empty())
        .unwrap_or_else(|| user.user.display_name.clone());
    // Publishing issues the report: it takes the next number of the cluster's register
    // (or keeps the one it has), which its DOCX and PDF then carry.
    let now = chrono::Local::now().naive_local();
    state
        .store
        .issue_document_number(
            cluster.code.as_str(),
            REVIEW_SYMBOL,
            &period.code(),
            now,
            &user.user.username,
        )
        .await?;
    let id = state
        .store
        .publish_article(
            NewArticle {
                category: CATEGORY.into(),
                title,
                body,
                cluster: Some(cluster.code.to_string()),
                period: Some(period.code()),
                author,
                published_at: now,
            },
            &user.user.username,
        )
        .await?;
    Ok(Redirect::to(&format!("/tin-tuc/{id}")).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "report_template.html")]
struct TemplatePage {
    title: String,
    query: String,
    me: Option<Me>,
    csrf: String,
    code: String,
    name: String,
    period_code: String,
    /// "Cụm thi đua số 2 — 6 tháng đầu năm 2022": whose data the preview shows.
    sample: String,
    /// Whether the cluster uses its own template (else the shipped one).
    own: bool,
    body: String,
    preview: Vec<String>,
    error: String,
    notice: String,
}

/// The cluster (in the period previewed) whose template `user` edits, or a refusal: the
/// cluster's own page rules first (who may not see it learns nothing of it), then core's
/// template right.
async fn editable_cluster(
    state: &AppState,
    user: &CurrentUser,
    code: &str,
    period: Option<&str>,
) -> Result<(Cluster, Period), AppError> {
    let (cluster, period, scope) = cluster_and_period(state, user, code, period).await?;
    if !may_edit_template(&scope, &user.principal(), &cluster) {
        return Err(AppError::Forbidden(format!(
            "chỉ cụm trưởng của {}, cấp trên của mọi thành viên trong cụm và quản trị viên sửa mẫu báo cáo của cụm",
            cluster.name
        )));
    }
    Ok((cluster, period))
}

/// The editor with `body` previewed on the cluster's own data for `period`.
async fn render_editor(
    state: &AppState,
    user: &CurrentUser,
    cluster: &Cluster,
    period: Period,
    body: String,
) -> Result<(StatusCode, TemplatePage), AppError> {
    let own = state
        .store
        .cluster_template(&cluster.code, REVIEW_TEMPLATE)
        .await?
        .is_some();
    let (preview, error, status) = match review(state, cluster, period, body.clone()).await? {
        Ok(text) => (paragraphs(&text), String::new(), StatusCode::OK),
        Err(e) => {
            let status = if e.limit == Some(RenderLimit::Busy) {
                StatusCode::SERVICE_UNAVAILABLE
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            (Vec::new(), e.to_string(), status)
        }
    };
    Ok((
        status,
        TemplatePage {
            title: format!("Mẫu báo cáo — {}", cluster.name),
            query: String::new(),
            me: Some(user.me()),
            csrf: user.csrf.clone(),
            code: cluster.code.to_string(),
            name: cluster.name.clone(),
            period_code: period.code(),
            sample: format!("{} — {}", cluster.name, period.label_vi()),
            own,
            body,
            preview,
            error,
            notice: String::new(),
        },
    ))
}

async fn template_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    Query(query): Query<PeriodQuery>,
) -> Result<Response, AppError> {
    let (cluster, period) = editable_cluster(&state, &user, &code, query.period.as_deref()).await?;
    let body = current_template(&state, &cluster.code).await?;
    Ok(render_editor(&state, &user, &cluster, period, body)
        .await?
        .into_response())
}

#[derive(serde::Deserialize)]
struct TemplateForm {
    csrf: String,
    body: String,
    action: String,
}

async fn template_save(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    Query(query): Query<PeriodQuery>,
    Form(form): Form<TemplateForm>,
) -> Result<Response, AppError> {
    user.check_csrf(&form.csrf)?;
    let (cluster, period) = editable_cluster(&state, &user, &code, query.period.as_deref()).await?;
    let actor = Actor::from(&user.principal());
    let body = match form.action.as_str() {
        "reset" => DEFAULT_TEMPLATE.to_owned(),
        _ => form.body.replace("\r\n", "\n"),
    };
    let (status, mut page) = render_editor(&state, &user, &cluster, period, body.clone()).await?;
    match form.action.as_str() {
        // Saved only when it rendered within every limit over the cluster's own data.
        "save" | "reset" if page.error.is_empty() => {
            state
                .store
                .save_cluster_template(&actor, &cluster.code, REVIEW_TEMPLATE, &body)
                .await?;
            page.own = true;
            page.notice = if form.action == "reset" {
                format!("Đã khôi phục mẫu mặc định cho {}.", cluster.name)
            } else {
                format!("Đã lưu mẫu; các báo cáo của {} từ nay dùng mẫu này.", cluster.name)
            };
        }
        "save" | "reset" => page.notice = "Chưa lưu: mẫu còn lỗi.".into(),
        _ => {}
    }
    Ok((status, page).into_response())
}
