//! Báo cáo sơ kết — the cluster's review on its own page, its downloads and publishing
//! to the public news page (tin tức), and the cluster's template editor with a live
//! preview of that cluster's data. What the review is, how it renders within bounds and
//! how it is published are the application's use cases ([`thidua_app::review`]), shared
//! with `thidua report`; this module keeps the HTTP.

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use thidua_app::review::{self, Review};
use thidua_core::{Cluster, Period};
use thidua_report::review::{DEFAULT_TEMPLATE, REVIEW_SYMBOL, RenderLimit, TEMPLATE_NAME as REVIEW_TEMPLATE};
use thidua_store::Actor;

use super::PeriodQuery;
use crate::AppState;
use crate::auth::{CurrentUser, Me, Scope};
use crate::error::AppError;

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

/// The review of `cluster` for `period` with `template`: its data, and its text or the
/// template's error.
async fn review(
    state: &AppState,
    scope: &Scope,
    cluster: &Cluster,
    period: Period,
    template: String,
) -> Result<(Arc<Review>, Result<String, thidua_report::review::TemplateError>), AppError> {
    let data = Arc::new(Review::load(&state.app, scope, cluster, period).await?);
    match review::render(&state.app, data.clone(), template).await {
        Ok(text) => Ok((data, Ok(text))),
        Err(thidua_app::Error::Template(e)) => Ok((data, Err(e))),
        Err(e) => Err(e.into()),
    }
}

/// Whether `principal` may edit `cluster`'s template: core's rule, asked of the cluster as
/// constituted in its latest year (the template serves every year's report of the
/// cluster, so the chair in office and the upper level above today's members decide it)
/// and of the year shown.
fn may_edit_template(scope: &Scope, principal: &thidua_core::Principal, cluster: &Cluster) -> bool {
    let access = scope.access(principal);
    let latest = scope.latest(&cluster.code).unwrap_or(cluster);
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
    let scope = state.app.directory().await?;
    super::ensure_can_view_cluster(&scope, &user.principal(), &cluster)?;
    Ok((cluster, period, scope))
}

async fn report_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    Query(query): Query<PeriodQuery>,
) -> Result<ReportPage, AppError> {
    let (cluster, period, scope) = cluster_and_period(&state, &user, &code, query.period.as_deref()).await?;
    let template = review::template(&state.app, &cluster.code).await?;
    let (data, text) = review(&state, &scope, &cluster, period, template).await?;
    let (paragraphs, error) = match text {
        Ok(text) => (paragraphs(&text), String::new()),
        Err(e) => (Vec::new(), e.to_string()),
    };
    let number = data
        .number
        .map(|n| thidua_report::document::number_line(Some(n), REVIEW_SYMBOL))
        .unwrap_or_default();
    let principal = user.principal();
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
        can_publish: scope.access(&principal).can_publish_review(&cluster),
        can_edit_template: may_edit_template(&scope, &principal, &cluster),
        csrf: user.csrf.clone(),
    })
}

async fn report_text(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    Query(query): Query<PeriodQuery>,
) -> Result<Response, AppError> {
    let (cluster, period, scope) = cluster_and_period(&state, &user, &code, query.period.as_deref()).await?;
    let template = review::template(&state.app, &cluster.code).await?;
    let data = Arc::new(Review::load(&state.app, &scope, &cluster, period).await?);
    let text = review::render(&state.app, data, template).await?;
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
    let (cluster, period, scope) = cluster_and_period(state, user, code, period).await?;
    let template = review::template(&state.app, &cluster.code).await?;
    let data = Arc::new(Review::load(&state.app, &scope, &cluster, period).await?);
    let text = review::render(&state.app, data.clone(), template).await?;
    let document = data.document(&text);
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
    let (cluster, period, scope) = cluster_and_period(&state, &user, &code, query.period.as_deref()).await?;
    let catalog = state.store.catalog().await?;
    let rollup = thidua_app::rollups::cluster_rollup(&state.app, &scope, &catalog, &cluster.code, period).await?;
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
    let (cluster, period, scope) = cluster_and_period(&state, &user, &code, Some(&form.period)).await?;
    let caller = thidua_app::Context {
        principal: user.principal(),
        directory: scope,
    };
    let published = review::publish(&state.app, &caller, &user.user.display_name, &cluster, period).await?;
    Ok(Redirect::to(&format!("/tin-tuc/{}", published.article)).into_response())
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
) -> Result<(Cluster, Period, Scope), AppError> {
    let (cluster, period, scope) = cluster_and_period(state, user, code, period).await?;
    if !may_edit_template(&scope, &user.principal(), &cluster) {
        return Err(AppError::Forbidden(format!(
            "chỉ cụm trưởng của {}, cấp trên của mọi thành viên trong cụm và quản trị viên sửa mẫu báo cáo của cụm",
            cluster.name
        )));
    }
    Ok((cluster, period, scope))
}

/// The editor with `body` previewed on the cluster's own data for `period`.
async fn render_editor(
    state: &AppState,
    user: &CurrentUser,
    scope: &Scope,
    cluster: &Cluster,
    period: Period,
    body: String,
) -> Result<(StatusCode, TemplatePage), AppError> {
    let own = state
        .store
        .cluster_template(&cluster.code, REVIEW_TEMPLATE)
        .await?
        .is_some();
    let (_, text) = review(state, scope, cluster, period, body.clone()).await?;
    let (preview, error, status) = match text {
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
    let (cluster, period, scope) = editable_cluster(&state, &user, &code, query.period.as_deref()).await?;
    let body = review::template(&state.app, &cluster.code).await?;
    Ok(render_editor(&state, &user, &scope, &cluster, period, body)
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
    let (cluster, period, scope) = editable_cluster(&state, &user, &code, query.period.as_deref()).await?;
    let actor = Actor::from(&user.principal());
    let body = match form.action.as_str() {
        "reset" => DEFAULT_TEMPLATE.to_owned(),
        _ => form.body.replace("\r\n", "\n"),
    };
    let (status, mut page) = render_editor(&state, &user, &scope, &cluster, period, body.clone()).await?;
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
