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
use thidua_report::review_template::{
    FUNCTIONS, Field, PARTS, PartMistake, PartText, compose, fields, part_at_line, parts_of, shipped_part,
};
use thidua_store::Actor;

use super::PeriodQuery;
use crate::AppState;
use crate::auth::{CurrentUser, Me, Scope, capitalise};
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
    /// Why it cannot be issued yet (no signer recorded for the year), or empty.
    unsigned: String,
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
        unsigned: if data.is_signed() {
            String::new()
        } else {
            review::unsigned_message(&cluster)
        },
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
    /// The template edited whole (one textarea) rather than by parts.
    whole: bool,
    body: String,
    parts: Vec<PartView>,
    fields: Vec<Field>,
    functions: &'static [(&'static str, &'static str)],
    preview: Vec<String>,
    error: String,
    notice: String,
}

/// One part of the template in the editor, with the mistake found in it.
struct PartView {
    name: &'static str,
    label: &'static str,
    help: &'static str,
    text: String,
    rewritten: bool,
    rows: usize,
    error: String,
}

impl PartView {
    fn of(part: PartText) -> PartView {
        PartView {
            name: part.part.name,
            label: part.part.label,
            help: part.part.help,
            rows: (part.text.lines().count() + 1).clamp(3, 16),
            text: part.text,
            rewritten: part.rewritten,
            error: String::new(),
        }
    }
}

/// What the editor edits: the template whole, or its parts (and the template they make).
enum Draft {
    Whole(String),
    Parts { parts: Vec<PartText>, body: String },
}

impl Draft {
    /// The cluster's template as the editor opens it: by parts when it is the shipped one
    /// or written by parts, else whole.
    fn of(body: String) -> Draft {
        match parts_of(&body) {
            Some(parts) => Draft::Parts { parts, body },
            None => Draft::Whole(body),
        }
    }

    fn body(&self) -> &str {
        match self {
            Draft::Whole(body) | Draft::Parts { body, .. } => body,
        }
    }
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

/// The editor with `draft` previewed on the cluster's own data for `period`; a mistake
/// of a template written by parts is said beside its part.
async fn render_editor(
    state: &AppState,
    user: &CurrentUser,
    scope: &Scope,
    cluster: &Cluster,
    period: Period,
    draft: Draft,
    mistakes: Vec<PartMistake>,
) -> Result<(StatusCode, TemplatePage), AppError> {
    let own = state
        .store
        .cluster_template(&cluster.code, REVIEW_TEMPLATE)
        .await?
        .is_some();
    let (data, text) = review(state, scope, cluster, period, draft.body().to_owned()).await?;
    let mut error = String::new();
    let mut status = StatusCode::OK;
    let mut preview = Vec::new();
    let mut in_part = None;
    match text {
        _ if !mistakes.is_empty() => status = StatusCode::UNPROCESSABLE_ENTITY,
        Ok(text) => preview = paragraphs(&text),
        Err(e) => {
            status = if e.limit == Some(RenderLimit::Busy) {
                StatusCode::SERVICE_UNAVAILABLE
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            match &draft {
                Draft::Parts { body, .. } if e.limit.is_none() => match part_at_line(body, e.line) {
                    Some((part, line)) => {
                        in_part = Some((part.name, format!("Dòng {line}: {}", capitalise(&e.message))));
                    }
                    None => error = capitalise(&e.to_string()),
                },
                _ => error = capitalise(&e.to_string()),
            }
        }
    }
    let (whole, body, parts) = match draft {
        Draft::Whole(body) => (true, body, Vec::new()),
        Draft::Parts { parts, body } => {
            let parts = parts
                .into_iter()
                .map(|p| {
                    let mut view = PartView::of(p);
                    if let Some(m) = mistakes.iter().find(|m| m.part == view.name) {
                        view.error = capitalise(&m.reason);
                    }
                    if let Some((_, message)) = in_part.as_ref().filter(|(name, _)| *name == view.name) {
                        view.error.clone_from(message);
                    }
                    view
                })
                .collect();
            (false, body, parts)
        }
    };
    if !mistakes.is_empty() || in_part.is_some() {
        error = "Mẫu còn lỗi ở phần được đánh dấu bên dưới.".into();
    }
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
            whole,
            body,
            parts,
            fields: fields(&data.input()),
            functions: FUNCTIONS,
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
    Ok(
        render_editor(&state, &user, &scope, &cluster, period, Draft::of(body), Vec::new())
            .await?
            .into_response(),
    )
}

/// The editor's form: `csrf`, `action` (`preview`, `save`, `reset`, `whole` — edit the
/// template whole —, `parts` — start again from the shipped parts), and either `body`
/// (the template whole) or one `part_<name>` per part.
struct TemplateForm {
    csrf: String,
    action: String,
    body: Option<String>,
    parts: Vec<(String, String)>,
}

impl TemplateForm {
    fn read(fields: Vec<(String, String)>) -> TemplateForm {
        let mut form = TemplateForm {
            csrf: String::new(),
            action: String::new(),
            body: None,
            parts: Vec::new(),
        };
        for (key, value) in fields {
            match key.as_str() {
                "csrf" => form.csrf = value,
                "action" => form.action = value,
                "body" => form.body = Some(value.replace("\r\n", "\n")),
                _ => {
                    if let Some(name) = key.strip_prefix("part_") {
                        form.parts.push((name.to_owned(), value));
                    }
                }
            }
        }
        form
    }
}

async fn template_save(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    Query(query): Query<PeriodQuery>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let form = TemplateForm::read(fields);
    user.check_csrf(&form.csrf)?;
    let (cluster, period, scope) = editable_cluster(&state, &user, &code, query.period.as_deref()).await?;
    let actor = Actor::from(&user.principal());
    let shipped = || Draft::of(DEFAULT_TEMPLATE.to_owned());
    let (draft, mistakes) = match (form.action.as_str(), form.body) {
        // Khôi phục: the shipped template, stored as no part rewritten, so that it
        // follows the shipped template from now on.
        ("reset", _) => (Draft::of(compose(&[]).unwrap_or_default()), Vec::new()),
        ("parts", _) => (shipped(), Vec::new()),
        ("whole", Some(body)) => (Draft::Whole(body), Vec::new()),
        (_, Some(body)) => (Draft::Whole(body), Vec::new()),
        (action, None) => {
            let texts: Vec<(&str, &str)> = form.parts.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
            let typed = || {
                PARTS
                    .iter()
                    .map(|part| {
                        let text = form.parts.iter().find(|(n, _)| n == part.name).map_or_else(
                            || shipped_part(part.name).unwrap_or_default().to_owned(),
                            |(_, t)| t.clone(),
                        );
                        let rewritten = Some(text.replace("\r\n", "\n").trim_matches('\n'))
                            != shipped_part(part.name).map(|s| s.trim_matches('\n'));
                        PartText { part, text, rewritten }
                    })
                    .collect()
            };
            match compose(&texts) {
                // «Sửa toàn bộ mẫu»: the template the parts make, edited whole.
                Ok(body) if action == "whole" => (Draft::Whole(body), Vec::new()),
                Ok(body) => (Draft::Parts { parts: typed(), body }, Vec::new()),
                Err(mistakes) => (
                    Draft::Parts {
                        parts: typed(),
                        body: compose(&[]).unwrap_or_default(),
                    },
                    mistakes,
                ),
            }
        }
    };
    let (status, mut page) = render_editor(&state, &user, &scope, &cluster, period, draft, mistakes).await?;
    match form.action.as_str() {
        // Saved only when it rendered within every limit over the cluster's own data.
        "save" | "reset" if page.error.is_empty() => {
            state
                .store
                .save_cluster_template(&actor, &cluster.code, REVIEW_TEMPLATE, &page.body)
                .await?;
            page.own = true;
            page.notice = if form.action == "reset" {
                format!("Đã khôi phục mẫu mặc định cho {}.", cluster.name)
            } else {
                format!("Đã lưu mẫu; các báo cáo của {} từ nay dùng mẫu này.", cluster.name)
            };
        }
        "save" | "reset" => page.notice = "Chưa lưu: mẫu còn lỗi.".into(),
        "parts" => {
            page.notice =
                "Đang soạn theo từng phần, bắt đầu từ mẫu mặc định; mẫu cũ của cụm chỉ bị thay khi bấm «Lưu mẫu»."
                    .into();
        }
        _ => {}
    }
    Ok((status, page).into_response())
}
