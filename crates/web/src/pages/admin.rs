//! Quản trị tài khoản — the admin's page: the accounts, fifty a page, found by a search
//! without diacritics (`?q=nguyen van`, word starts of the login name, display name and
//! unit code; the store pages in SQL and never loads every account); a form to create
//! one that says every mistake at once beside its field, keeping what was typed but the
//! password; resetting a password, a refusal said on the account's row; and disabling
//! or enabling an account (both end the account's sessions). Only admins reach it; an
//! admin cannot disable itself, nor the last enabled admin be disabled (the store's
//! rule). Beside it, `/admin/audit` walks the audit trail and says whether it is intact
//! — on request, one walk at a time, since at national scale the trail holds millions
//! of rows.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use thidua_core::Role;
use thidua_core::account::{AccountDraft, AccountField, AccountProblem};
use thidua_store::StoreError;

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

/// Accounts on one page of the list.
const ACCOUNTS_PER_PAGE: u32 = 50;

struct UserLine {
    username: String,
    name: String,
    role: String,
    unit: String,
    disabled: bool,
    /// Why the password reset on this row was refused, beside its field; empty if not.
    reset_error: String,
}

/// What the create form shows again after a refusal: everything typed but the password.
#[derive(Default)]
struct NewUserValues {
    username: String,
    name: String,
    role: String,
    unit: String,
}

/// The create form's mistakes, each beside its field; empty where the field is right.
#[derive(Default)]
struct FieldErrors {
    username: String,
    name: String,
    role: String,
    unit: String,
    password: String,
}

impl FieldErrors {
    fn from_problems(problems: &[AccountProblem]) -> FieldErrors {
        let mut errors = FieldErrors::default();
        for p in problems {
            let slot = match p.field {
                AccountField::Username => &mut errors.username,
                AccountField::DisplayName => &mut errors.name,
                AccountField::Role => &mut errors.role,
                AccountField::Unit => &mut errors.unit,
                AccountField::Password => &mut errors.password,
            };
            if !slot.is_empty() {
                slot.push(' ');
            }
            slot.push_str(&p.message);
        }
        errors
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_users.html")]
struct UsersPage {
    title: String,
    query: String,
    me: Option<Me>,
    csrf: String,
    users: Vec<UserLine>,
    /// The account search as typed (`?q=`).
    search: String,
    /// "12 tài khoản." or what the search found.
    summary: String,
    page: u32,
    pages: u32,
    prev_href: Option<String>,
    next_href: Option<String>,
    /// A page-wide refusal (locking, a reset for an account not on this page).
    error: String,
    notice: String,
    /// "Chưa tạo được tài khoản: …" above the create form when it has mistakes.
    create_error: String,
    form: NewUserValues,
    errors: FieldErrors,
}

/// What a rendering of the accounts page says beyond the list.
#[derive(Default)]
struct View {
    search: String,
    page: u32,
    error: String,
    notice: String,
    create_error: String,
    form: NewUserValues,
    errors: FieldErrors,
    /// A refused reset: the account and why, shown on its row.
    reset: Option<(String, String)>,
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

/// A message as a sentence: capitalised, ending with a full stop (once).
fn sentence(message: &str) -> String {
    let message = message.trim();
    if message.ends_with('.') {
        let mut chars = message.chars();
        chars
            .next()
            .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
    } else {
        crate::auth::capitalise(message)
    }
}

/// The list's address for a search and a page.
fn page_href(search: &str, page: u32) -> String {
    if search.trim().is_empty() {
        format!("/admin/users?page={page}")
    } else {
        format!(
            "/admin/users?q={}&page={page}",
            crate::error::percent_encode(search.trim())
        )
    }
}

/// A page number from the address or a form; anything unreadable is the first page.
fn page_number(raw: Option<&str>) -> u32 {
    raw.and_then(|p| p.trim().parse().ok()).unwrap_or(1)
}

/// The accounts page: one page of the search's accounts, read by the store's paged
/// query (never every account), with whatever `view` says beside it.
async fn render(state: &AppState, user: &CurrentUser, view: View) -> Result<UsersPage, AppError> {
    let search = view.search.trim().to_owned();
    let (accounts, total) = state.store.users_page(&search, view.page, ACCOUNTS_PER_PAGE).await?;
    let pages = u32::try_from(total.div_ceil(u64::from(ACCOUNTS_PER_PAGE)))
        .unwrap_or(u32::MAX)
        .max(1);
    let page = view.page.clamp(1, pages);
    let mut error = view.error;
    let mut reset = view.reset;
    let users: Vec<UserLine> = accounts
        .into_iter()
        .map(|u| UserLine {
            reset_error: match &reset {
                Some((name, message)) if *name == u.username => message.clone(),
                _ => String::new(),
            },
            username: u.username,
            name: u.display_name,
            role: u.role.label_vi().to_owned(),
            unit: u.unit.map(|c| c.to_string()).unwrap_or_default(),
            disabled: u.disabled,
        })
        .collect();
    // A refused reset whose row is not on this page is said above the list instead.
    if let Some((_, message)) = reset.take()
        && !users.iter().any(|u| !u.reset_error.is_empty())
    {
        error = message;
    }
    let summary = match (search.is_empty(), total) {
        (true, _) => format!("{total} tài khoản."),
        (false, 0) => format!("Không tìm thấy tài khoản nào khớp «{search}»."),
        (false, _) => format!("Tìm thấy {total} tài khoản khớp «{search}»."),
    };
    Ok(UsersPage {
        title: "Tài khoản".into(),
        query: String::new(),
        me: Some(user.me()),
        csrf: user.csrf.clone(),
        users,
        prev_href: (page > 1).then(|| page_href(&search, page - 1)),
        next_href: (page < pages).then(|| page_href(&search, page + 1)),
        search,
        summary,
        page,
        pages,
        error,
        notice: view.notice,
        create_error: view.create_error,
        form: view.form,
        errors: view.errors,
    })
}

/// `?q=nguyen van&page=2`, and `?done=locked&account=namtuliem` after an account was
/// locked or unlocked.
#[derive(serde::Deserialize)]
struct ListQuery {
    q: Option<String>,
    page: Option<String>,
    done: Option<String>,
    account: Option<String>,
}

/// The notice after locking or unlocking: the server's words, naming the account as
/// stored, and only when it is in the state the address says (so a link cannot make
/// the page say what did not happen).
async fn status_notice(state: &AppState, query: &ListQuery) -> String {
    let Some(account) = query.account.as_deref() else {
        return String::new();
    };
    let Ok(found) = state.store.user(account).await else {
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
    Query(query): Query<ListQuery>,
) -> Result<UsersPage, AppError> {
    ensure_admin(&user)?;
    let notice = if query.done.is_some() {
        status_notice(&state, &query).await
    } else {
        String::new()
    };
    let view = View {
        search: query.q.clone().unwrap_or_default(),
        page: page_number(query.page.as_deref()),
        notice,
        ..View::default()
    };
    render(&state, &user, view).await
}

#[derive(serde::Deserialize)]
struct NewUserForm {
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    password: String,
}

/// Creates an account; a refusal shows the form again with every mistake beside its
/// field and everything typed but the password: 422, or 409 when the name is taken
/// (also when two admins create it at the same moment).
async fn create_user(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(form): Form<NewUserForm>,
) -> Result<Response, AppError> {
    ensure_admin(&user)?;
    user.check_csrf(&form.csrf)?;
    let draft = AccountDraft {
        username: &form.username,
        display_name: &form.name,
        role: &form.role,
        unit: &form.unit,
        password: &form.password,
    };
    let problems = match state.store.create_account(draft).await {
        Ok(created) => {
            let view = View {
                notice: format!("Đã tạo tài khoản {}.", created.username),
                page: 1,
                ..View::default()
            };
            return Ok(render(&state, &user, view).await?.into_response());
        }
        Err(StoreError::Domain(thidua_core::Error::InvalidAccount(problems))) => problems,
        Err(StoreError::Conflict(message)) => vec![AccountProblem {
            field: AccountField::Username,
            message: sentence(&message),
            taken: true,
        }],
        Err(other) => return Err(other.into()),
    };
    let status = if problems.iter().any(|p| p.taken) {
        StatusCode::CONFLICT
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let create_error = match problems.len() {
        1 => "Chưa tạo được tài khoản: có 1 chỗ cần sửa, ghi ngay dưới ô đó.".to_owned(),
        n => format!("Chưa tạo được tài khoản: có {n} chỗ cần sửa, mỗi chỗ ghi ngay dưới ô của nó."),
    };
    let view = View {
        page: 1,
        create_error,
        errors: FieldErrors::from_problems(&problems),
        form: NewUserValues {
            username: form.username,
            name: form.name,
            role: form.role,
            unit: form.unit,
        },
        ..View::default()
    };
    Ok((status, render(&state, &user, view).await?).into_response())
}

/// The page again with the reason on it: 409 for a lock the rules refuse, 422 for what
/// was typed wrong.
async fn refused(state: &AppState, user: &CurrentUser, error: AppError) -> Result<Response, AppError> {
    let (status, message) = match error {
        AppError::Conflict(m) => (StatusCode::CONFLICT, m),
        AppError::BadRequest(m) | AppError::NotFound(m) => (StatusCode::UNPROCESSABLE_ENTITY, m),
        other => return Err(other),
    };
    let view = View {
        page: 1,
        error: sentence(&message),
        ..View::default()
    };
    Ok((status, render(state, user, view).await?).into_response())
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
    #[serde(default)]
    password: String,
    /// The search and page the admin was on, shown again after the reset.
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: String,
}

/// An admin sets a new password for someone who lost theirs; that account's sessions
/// end. A refusal (too short, common, no such account) is said on the account's row,
/// beside its field, with the rest of the page as it was (422).
async fn reset_password(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(username): Path<String>,
    Form(form): Form<ResetForm>,
) -> Result<Response, AppError> {
    ensure_admin(&user)?;
    user.check_csrf(&form.csrf)?;
    let name = username.trim().to_lowercase();
    let mut view = View {
        search: form.q,
        page: page_number(Some(&form.page)),
        ..View::default()
    };
    match state.store.set_password(&username, &form.password).await {
        Ok(()) => {
            view.notice = format!("Đã đặt lại mật khẩu cho {name}; mọi phiên đăng nhập của tài khoản đó đã kết thúc.");
            Ok(render(&state, &user, view).await?.into_response())
        }
        Err(e) => {
            let message = match AppError::from(e) {
                AppError::BadRequest(m) | AppError::NotFound(m) => sentence(&m),
                other => return Err(other),
            };
            // Said as the row's, with the account named: the row may not be on this page.
            let message = message.replacen("Mật khẩu mới", &format!("Mật khẩu mới cho {name}"), 1);
            view.reset = Some((name, message));
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&state, &user, view).await?).into_response())
        }
    }
}
