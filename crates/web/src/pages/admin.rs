//! Quản trị tài khoản — the admin's page: every account, a form to create one,
//! resetting a password, and disabling or enabling an account (both end the account's
//! sessions). Only admins reach it; an admin cannot disable itself, nor the last enabled
//! admin be disabled (the store's rule). Beside it, `/admin/audit` walks the audit
//! trail and says whether it is intact — on request, one walk at a time, since at
//! national scale the trail holds millions of rows.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use thidua_core::{Role, UnitCode};
use thidua_store::NewUser;

use crate::AppState;
use crate::auth::{CurrentUser, Me};
use crate::error::AppError;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(users_page).post(create_user))
        .route("/admin/users/{username}/status", post(set_status))
        .route("/admin/users/{username}/password", post(reset_password))
        .route("/admin/audit", get(audit_page))
}

/// One walk of the audit trail at a time, whoever asks.
static VERIFYING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

#[derive(Template, WebTemplate)]
#[template(path = "admin_audit.html")]
struct AuditPage {
    title: String,
    query: String,
    me: Option<Me>,
    audit: AuditLine,
}

/// The audit trail's verdict, walked now; a walk asked for while another runs waits for
/// it (up to a minute) instead of running beside it.
async fn audit_page(State(state): State<AppState>, user: CurrentUser) -> Result<AuditPage, AppError> {
    ensure_admin(&user)?;
    let audit = match tokio::time::timeout(std::time::Duration::from_secs(60), VERIFYING.acquire()).await {
        Ok(Ok(_walking)) => audit_line(&state).await,
        _ => AuditLine {
            intact: false,
            summary: "Nhật ký thay đổi đang được kiểm tra theo một yêu cầu khác; hãy tải lại trang sau ít phút.".into(),
            problems: Vec::new(),
        },
    };
    Ok(AuditPage {
        title: "Kiểm tra nhật ký thay đổi".into(),
        query: String::new(),
        me: Some(user.me()),
        audit,
    })
}

struct UserLine {
    username: String,
    name: String,
    role: String,
    unit: String,
    disabled: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_users.html")]
struct UsersPage {
    title: String,
    query: String,
    me: Option<Me>,
    csrf: String,
    users: Vec<UserLine>,
    error: String,
    notice: String,
}

/// The audit trail's verdict in one line, and its problems when it was tampered with.
struct AuditLine {
    intact: bool,
    summary: String,
    problems: Vec<String>,
}

/// Walks the audit trail for the admin's page; a failure to read it is said on the
/// line rather than failing the page.
async fn audit_line(state: &AppState) -> AuditLine {
    match state.store.verify_audit().await {
        Ok(report) => AuditLine {
            intact: report.is_intact(),
            summary: report.summary(),
            problems: report
                .problems
                .iter()
                .map(ToString::to_string)
                .chain((report.more_problems > 0).then(|| format!("… và {} vấn đề khác", report.more_problems)))
                .collect(),
        },
        Err(e) => {
            tracing::error!(error = %e, "verifying the audit trail");
            AuditLine {
                intact: false,
                summary: "Nhật ký thay đổi: không kiểm tra được lúc này".into(),
                problems: Vec::new(),
            }
        }
    }
}

fn ensure_admin(user: &CurrentUser) -> Result<(), AppError> {
    if user.user.role == Role::Admin {
        Ok(())
    } else {
        Err(AppError::Forbidden("chỉ quản trị viên mới quản lý tài khoản".into()))
    }
}

async fn render(state: &AppState, user: &CurrentUser, error: String, notice: String) -> Result<UsersPage, AppError> {
    let users = state
        .store
        .users()
        .await?
        .into_iter()
        .map(|u| UserLine {
            username: u.username,
            name: u.display_name,
            role: u.role.label_vi().to_owned(),
            unit: u.unit.map(|c| c.to_string()).unwrap_or_default(),
            disabled: u.disabled,
        })
        .collect();
    Ok(UsersPage {
        title: "Tài khoản".into(),
        query: String::new(),
        me: Some(user.me()),
        csrf: user.csrf.clone(),
        users,
        error,
        notice,
    })
}

/// `?done=locked&account=namtuliem` after an account was locked or unlocked.
#[derive(serde::Deserialize)]
struct DoneQuery {
    done: Option<String>,
    account: Option<String>,
}

/// The notice after locking or unlocking: the server's words, naming the account as
/// stored, and only when it is in the state the address says (so a link cannot make
/// the page say what did not happen).
fn status_notice(users: &[thidua_store::User], query: &DoneQuery) -> String {
    let Some(account) = query.account.as_deref() else {
        return String::new();
    };
    let Some(found) = users.iter().find(|u| u.username == account.trim().to_lowercase()) else {
        return String::new();
    };
    match (query.done.as_deref(), found.disabled) {
        (Some("locked"), true) => format!(
            "Đã khóa tài khoản {} ({}); tài khoản này không đăng nhập được nữa.",
            found.username, found.display_name
        ),
        (Some("unlocked"), false) => format!("Đã mở khóa tài khoản {} ({}).", found.username, found.display_name),
        _ => String::new(),
    }
}

async fn users_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<DoneQuery>,
) -> Result<UsersPage, AppError> {
    ensure_admin(&user)?;
    let notice = if query.done.is_some() {
        status_notice(&state.store.users().await?, &query)
    } else {
        String::new()
    };
    render(&state, &user, String::new(), notice).await
}

#[derive(serde::Deserialize)]
struct NewUserForm {
    csrf: String,
    username: String,
    name: String,
    role: String,
    unit: String,
    password: String,
}

async fn create_user(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(form): Form<NewUserForm>,
) -> Result<Response, AppError> {
    ensure_admin(&user)?;
    user.check_csrf(&form.csrf)?;
    let parsed = Role::parse(&form.role).map_err(AppError::from).and_then(|role| {
        let unit = Some(form.unit.trim())
            .filter(|u| !u.is_empty())
            .map(UnitCode::parse)
            .transpose()?;
        Ok((role, unit))
    });
    let result = match parsed {
        Ok((role, unit)) => state
            .store
            .create_user(NewUser {
                username: form.username.clone(),
                display_name: form.name.clone(),
                password: form.password.clone(),
                role,
                unit,
            })
            .await
            .map_err(AppError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(created) => {
            let notice = format!("Đã tạo tài khoản {}.", created.username);
            Ok(render(&state, &user, String::new(), notice).await?.into_response())
        }
        Err(e) => refused(&state, &user, e).await,
    }
}

/// The page again with the reason on it: 409 when the name is taken (also when two
/// admins create it at the same moment), 422 for what was typed wrong.
async fn refused(state: &AppState, user: &CurrentUser, error: AppError) -> Result<Response, AppError> {
    let (status, message) = match error {
        AppError::Conflict(m) => (StatusCode::CONFLICT, m),
        AppError::BadRequest(m) | AppError::NotFound(m) => (StatusCode::UNPROCESSABLE_ENTITY, m),
        other => return Err(other),
    };
    let message = crate::auth::capitalise(&message);
    Ok((status, render(state, user, message, String::new()).await?).into_response())
}

#[derive(serde::Deserialize)]
struct StatusForm {
    csrf: String,
    disabled: String,
}

async fn set_status(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(username): Path<String>,
    Form(form): Form<StatusForm>,
) -> Result<Response, AppError> {
    ensure_admin(&user)?;
    user.check_csrf(&form.csrf)?;
    // The store compares accounts by id, not by the name as typed in the URL.
    let disabled = form.disabled == "1";
    match state.store.set_disabled(Some(&user.user), &username, disabled).await {
        Ok(()) => {
            let done = if disabled { "locked" } else { "unlocked" };
            let account = crate::error::percent_encode(&username.trim().to_lowercase());
            Ok(Redirect::to(&format!("/admin/users?done={done}&account={account}")).into_response())
        }
        Err(e) => refused(&state, &user, e.into()).await,
    }
}

#[derive(serde::Deserialize)]
struct ResetForm {
    csrf: String,
    password: String,
}

/// An admin sets a new password for someone who lost theirs; that account's sessions end.
async fn reset_password(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(username): Path<String>,
    Form(form): Form<ResetForm>,
) -> Result<Response, AppError> {
    ensure_admin(&user)?;
    user.check_csrf(&form.csrf)?;
    match state.store.set_password(&username, &form.password).await {
        Ok(()) => {
            let notice = format!(
                "Đã đặt lại mật khẩu cho {}; mọi phiên đăng nhập của tài khoản đó đã kết thúc.",
                username.trim().to_lowercase()
            );
            Ok(render(&state, &user, String::new(), notice).await?.into_response())
        }
        Err(e) => refused(&state, &user, e.into()).await,
    }
}
