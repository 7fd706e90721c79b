//! Sắp xếp tổ chức — the upper level's page for reorganisations: upload a changes file
//! (`date,change,from,to,name,parent`), see what it would do to the unit tree (units
//! created, ended, moved, renamed) and confirm to apply it, every row or none. The file's
//! text travels back with the confirmation (a read-only field of the same multipart form)
//! and is checked again when applied, so nothing is kept between the two requests. A bad
//! file is refused whole, each bad row named, on the same page.
//!
//! Who: an admin, or an upper-level account whose subtree holds every unit the file
//! changes and every parent it names — a file reaching outside it, or changing the
//! account's own unit, is refused.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use thidua_core::lineage::{ChangeKind, Plan};
use thidua_core::period::format_date_vi;
use thidua_core::{Role, UnitCode};
use thidua_store::StoreError;

use crate::AppState;
use crate::auth::{CurrentUser, Me, Scope};
use crate::body_limit::{CHANGES_FILE, Upload, limited, read_upload};
use crate::error::AppError;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/admin/changes", limited(get(page).post(upload), CHANGES_FILE))
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_changes.html")]
struct ChangesPage {
    title: String,
    query: String,
    me: Option<Me>,
    csrf: String,
    errors: Vec<String>,
    notice: String,
    /// What the file uploaded would do, before it is applied.
    preview: Option<PreviewView>,
    /// The reorganisations already applied, newest first.
    history: Vec<ChangeLine>,
}

/// The preview of a changes file.
struct PreviewView {
    /// The file's text, sent back with the confirmation.
    text: String,
    changes: Vec<ChangeLine>,
    created: Vec<(String, String, String, String)>,
    ended: Vec<(String, String, String)>,
    moved: Vec<(String, String, String)>,
    renamed: Vec<(String, String, String)>,
}

/// One reorganisation as the page lists it.
struct ChangeLine {
    date: String,
    kind: &'static str,
    from: String,
    to: String,
}

fn ensure_may_reorganise(user: &CurrentUser) -> Result<(), AppError> {
    match user.user.role {
        Role::Admin | Role::Upper => Ok(()),
        _ => Err(AppError::Forbidden(
            "chỉ cấp trên hoặc quản trị viên mới sắp xếp tổ chức các đơn vị".into(),
        )),
    }
}

/// The units a plan reaches that lie outside what `user` may reorganise, named.
fn outside_scope(user: &CurrentUser, scope: &Scope, plan: &Plan) -> Vec<String> {
    if user.user.role == Role::Admin {
        return Vec::new();
    }
    let principal = user.principal();
    let access = scope.access(&principal);
    let own = principal.unit.as_ref();
    let mut reached: Vec<&UnitCode> = Vec::new();
    for change in &plan.changes {
        reached.extend(change.from.iter());
        if let Some((before, after)) = &change.parents {
            reached.extend(before.iter());
            reached.push(after);
        }
    }
    reached.extend(plan.create.iter().filter_map(|u| u.parent.as_ref()));
    let mut out: Vec<String> = reached
        .into_iter()
        .filter(|u| !access.can_reopen(u) || plan.changes.iter().any(|c| own == Some(*u) && c.from.contains(u)))
        .map(ToString::to_string)
        .collect();
    out.sort();
    out.dedup();
    out
}

fn change_line(scope: &Scope, change: &thidua_core::lineage::UnitChange) -> ChangeLine {
    let name = |c: &UnitCode| {
        scope
            .tree
            .get(c)
            .map_or_else(|| c.to_string(), |u| format!("{} ({c})", u.short_name()))
    };
    let to = change
        .to
        .iter()
        .map(|(c, w)| match w {
            Some(w) => format!(
                "{} — {}%",
                name(c),
                thidua_core::number::format_decimal_trimmed(w * 100.0, 1)
            ),
            None => name(c),
        })
        .chain(change.parents.as_ref().map(|(_, after)| format!("về {}", name(after))))
        .chain(change.names.as_ref().map(|(_, after)| format!("tên mới «{after}»")))
        .collect::<Vec<_>>()
        .join("; ");
    ChangeLine {
        date: format_date_vi(change.effective),
        kind: match change.kind {
            ChangeKind::Merge => "Hợp nhất",
            ChangeKind::Split => "Chia tách",
            ChangeKind::Move => "Điều chuyển",
            ChangeKind::Rename => "Đổi tên",
            ChangeKind::Close => "Giải thể",
        },
        from: change.from.iter().map(name).collect::<Vec<_>>().join("; "),
        to,
    }
}

fn preview_view(scope: &Scope, plan: &Plan, text: String) -> PreviewView {
    let name = |c: &UnitCode| scope.tree.get(c).map_or_else(|| c.to_string(), |u| u.name.clone());
    PreviewView {
        text,
        changes: plan.changes.iter().map(|c| change_line(scope, c)).collect(),
        created: plan
            .create
            .iter()
            .map(|u| {
                (
                    u.code.to_string(),
                    u.name.clone(),
                    u.parent.as_ref().map(&name).unwrap_or_default(),
                    u.valid_from.map(format_date_vi).unwrap_or_default(),
                )
            })
            .collect(),
        ended: plan
            .end
            .iter()
            .map(|(c, last)| (c.to_string(), name(c), format_date_vi(*last)))
            .collect(),
        moved: plan
            .reparent
            .iter()
            .map(|(c, parent)| (c.to_string(), name(c), name(parent)))
            .collect(),
        renamed: plan
            .rename
            .iter()
            .map(|(c, new)| (c.to_string(), name(c), new.clone()))
            .collect(),
    }
}

async fn render(state: &AppState, user: &CurrentUser) -> Result<(ChangesPage, Scope), AppError> {
    let scope = state.app.directory().await?;
    let history = scope
        .lineage
        .changes()
        .iter()
        .rev()
        .map(|c| change_line(&scope, c))
        .collect();
    Ok((
        ChangesPage {
            title: "Sắp xếp tổ chức các đơn vị".into(),
            query: String::new(),
            me: Some(user.me()),
            csrf: user.csrf.clone(),
            errors: Vec::new(),
            notice: String::new(),
            preview: None,
            history,
        },
        scope,
    ))
}

async fn page(State(state): State<AppState>, user: CurrentUser) -> Result<ChangesPage, AppError> {
    ensure_may_reorganise(&user)?;
    Ok(render(&state, &user).await?.0)
}

/// The page again with the reasons on it, nothing written.
fn refused(mut page: ChangesPage, errors: Vec<String>) -> Response {
    page.errors = errors;
    (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
}

/// A refusal of the file as the page says it: every bad row, or the store's reason.
fn file_errors(error: StoreError) -> Result<Vec<String>, AppError> {
    match error {
        StoreError::Rejected(rows) => Ok(std::iter::once("Tệp có lỗi, chưa thay đổi gì:".to_owned())
            .chain(rows.iter().map(|r| crate::auth::capitalise(&r.to_string())))
            .collect()),
        e @ (StoreError::Domain(_) | StoreError::Conflict(_) | StoreError::NotFound { .. }) => {
            Ok(vec![crate::auth::capitalise(&AppError::from(e).to_string())])
        }
        other => Err(other.into()),
    }
}

/// `action=preview` with the file, or `action=apply` with the text the preview showed.
async fn upload(State(state): State<AppState>, user: CurrentUser, multipart: Multipart) -> Result<Response, AppError> {
    let Upload { fields, file } = read_upload(multipart, CHANGES_FILE).await?;
    // The token is checked before anything else is looked at, as for a plain form.
    user.check_csrf(fields.get("csrf").map_or("", String::as_str))?;
    ensure_may_reorganise(&user)?;
    let (mut page, scope) = render(&state, &user).await?;
    let apply = fields.get("action").is_some_and(|a| a == "apply");
    let text = if apply {
        fields.get("text").cloned().unwrap_or_default()
    } else {
        let Some(bytes) = file.map(|f| f.bytes).filter(|b| !b.is_empty()) else {
            return Ok(refused(page, vec!["Chưa chọn tệp sắp xếp tổ chức (.csv).".into()]));
        };
        match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(_) => {
                return Ok(refused(
                    page,
                    vec!["Tệp sắp xếp tổ chức phải là văn bản UTF-8 (lưu tệp .csv với bảng mã UTF-8).".into()],
                ));
            }
        }
    };
    if text.trim().is_empty() {
        return Ok(refused(page, vec!["Tệp sắp xếp tổ chức trống.".into()]));
    }
    let plan = match state.store.preview_changes_csv(&text).await {
        Ok(plan) => plan,
        Err(e) => return Ok(refused(page, file_errors(e)?)),
    };
    let outside = outside_scope(&user, &scope, &plan);
    if !outside.is_empty() {
        return Err(AppError::Forbidden(format!(
            "tệp thay đổi đơn vị ngoài phạm vi của tài khoản ({}); chỉ cấp trên của các đơn vị đó hoặc quản trị viên mới sắp xếp được",
            outside.join(", ")
        )));
    }
    if !apply {
        page.preview = Some(preview_view(&scope, &plan, text));
        return Ok(page.into_response());
    }
    match state.store.import_changes_csv(&text, &user.user.username).await {
        Ok(summary) => {
            let (mut page, _) = render(&state, &user).await?;
            page.notice = format!(
                "Đã áp dụng {} thay đổi. Số liệu các kỳ trước vẫn thuộc đơn vị đã báo cáo; xem theo tổ chức hiện nay để cộng vào đơn vị mới.",
                summary.rows
            );
            Ok(page.into_response())
        }
        Err(e) => Ok(refused(page, file_errors(e)?)),
    }
}
