//! Báo cáo sơ kết — the cluster's review on its own page (from the same template as the
//! CLI), its template editor with a live preview, and publishing it to the public news
//! page (tin tức).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use thidua_core::rollup::ClusterRollup;
use thidua_core::{Catalog, Cluster, Conference, Period, Role};
use thidua_report::document::OfficialDocument;
use thidua_report::review::{DEFAULT_TEMPLATE, REVIEW_SYMBOL, ReviewInput, TemplateError, render_review};
use thidua_store::NewArticle;

use super::PeriodQuery;
use crate::AppState;
use crate::auth::{CurrentUser, Me, Scope};
use crate::error::AppError;

/// The name under which the edited review template is stored.
const REVIEW_TEMPLATE: &str = "review";
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
        .route("/admin/templates/review", get(template_page).post(template_save))
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

/// The review's text with `template`, or the template's error.
async fn review(
    state: &AppState,
    cluster: &Cluster,
    period: Period,
    template: &str,
) -> Result<Result<String, TemplateError>, AppError> {
    let data = ReviewData::load(state, cluster, period).await?;
    Ok(render_review(&data.input(), template))
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
    template: &str,
) -> Result<Result<OfficialDocument, TemplateError>, AppError> {
    let (data, number) = tokio::try_join!(
        ReviewData::load(state, cluster, period),
        review_number(state, cluster, period)
    )?;
    let input = data.input();
    Ok(render_review(&input, template).map(|text| thidua_report::review::review_document(&input, &text, number)))
}

async fn current_template(state: &AppState) -> Result<String, AppError> {
    Ok(state
        .store
        .report_template(REVIEW_TEMPLATE)
        .await?
        .unwrap_or_else(|| DEFAULT_TEMPLATE.to_owned()))
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
    let (cluster, period, _) = super::resolve_cluster(state, code, period).await?;
    let scope = Scope::load(state).await?;
    super::ensure_can_view_cluster(&scope, &user.principal(), &cluster)?;
    Ok((cluster, period, scope))
}

fn can_publish(user: &CurrentUser, cluster: &Cluster) -> bool {
    user.user.role == Role::Admin
        || (user.user.role == Role::Chair && cluster.chair.is_some() && cluster.chair == user.user.unit)
}

fn can_edit_template(user: &CurrentUser) -> bool {
    matches!(user.user.role, Role::Admin | Role::Upper)
}

async fn report_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    Query(query): Query<PeriodQuery>,
) -> Result<ReportPage, AppError> {
    let (cluster, period, _) = cluster_and_period(&state, &user, &code, query.period.as_deref()).await?;
    let template = current_template(&state).await?;
    let (paragraphs, error) = match review(&state, &cluster, period, &template).await? {
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
        can_edit_template: can_edit_template(&user),
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
    let text = review(&state, &cluster, period, &current_template(&state).await?)
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
    let document = review_document(state, &cluster, period, &current_template(state).await?)
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
    let data = ReviewData::load(&state, &cluster, period).await?;
    let text = render_review(&data.input(), &current_template(&state).await?)
        .map_err(|e| AppError::Conflict(e.to_string()))?;
    let conference = data.conference;
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
    body: String,
    sample: String,
    preview: Vec<String>,
    error: String,
    notice: String,
}

/// The cluster and period the editor previews with: the first cluster with data.
async fn sample(state: &AppState) -> Result<Option<(Cluster, Period)>, AppError> {
    for cluster in state.store.clusters().await? {
        let periods = state.store.periods_with_values(&cluster.members).await?;
        if let Some(p) = periods.into_iter().find(|p| p.year() == cluster.year) {
            return Ok(Some((cluster, p)));
        }
    }
    Ok(None)
}

async fn render_editor(
    state: &AppState,
    user: &CurrentUser,
    body: String,
    notice: String,
) -> Result<(StatusCode, TemplatePage), AppError> {
    let (preview, error, sample_label) = match sample(state).await? {
        Some((cluster, period)) => match review(state, &cluster, period, &body).await? {
            Ok(text) => (
                paragraphs(&text),
                String::new(),
                format!("{} — {}", cluster.name, period.label_vi()),
            ),
            Err(e) => (
                Vec::new(),
                e.to_string(),
                format!("{} — {}", cluster.name, period.label_vi()),
            ),
        },
        None => (Vec::new(), String::new(), "chưa có cụm nào có số liệu".into()),
    };
    let status = if error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((
        status,
        TemplatePage {
            title: "Mẫu báo cáo sơ kết".into(),
            query: String::new(),
            me: Some(user.me()),
            csrf: user.csrf.clone(),
            body,
            sample: sample_label,
            preview,
            error,
            notice,
        },
    ))
}

async fn template_page(State(state): State<AppState>, user: CurrentUser) -> Result<Response, AppError> {
    if !can_edit_template(&user) {
        return Err(AppError::Forbidden(
            "chỉ cấp trên và quản trị viên sửa mẫu báo cáo".into(),
        ));
    }
    let body = current_template(&state).await?;
    Ok(render_editor(&state, &user, body, String::new()).await?.into_response())
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
    Form(form): Form<TemplateForm>,
) -> Result<Response, AppError> {
    if !can_edit_template(&user) {
        return Err(AppError::Forbidden(
            "chỉ cấp trên và quản trị viên sửa mẫu báo cáo".into(),
        ));
    }
    user.check_csrf(&form.csrf)?;
    let body = form.body.replace("\r\n", "\n");
    let (status, mut page) = render_editor(&state, &user, body.clone(), String::new()).await?;
    match form.action.as_str() {
        "save" if page.error.is_empty() => {
            state
                .store
                .save_report_template(REVIEW_TEMPLATE, &body, &user.user.username)
                .await?;
            page.notice = "Đã lưu mẫu; các báo cáo từ nay dùng mẫu này.".into();
        }
        "reset" => {
            state
                .store
                .save_report_template(REVIEW_TEMPLATE, DEFAULT_TEMPLATE, &user.user.username)
                .await?;
            let (status, mut page) = render_editor(&state, &user, DEFAULT_TEMPLATE.to_owned(), String::new()).await?;
            page.notice = "Đã khôi phục mẫu mặc định.".into();
            return Ok((status, page).into_response());
        }
        "save" => page.notice = "Chưa lưu: mẫu còn lỗi.".into(),
        _ => {}
    }
    Ok((status, page).into_response())
}
