//! Tài khoản của tôi — the signed-in user's own account: changing the password (the
//! current one, the new one twice; every other session then ends) and signing out of
//! every device. Reached from the header, open to every role.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use thidua_core::password::MIN_PASSWORD_CHARS;
use thidua_store::StoreError;

use crate::AppState;
use crate::auth::{ClientAddr, CurrentUser, Me, capitalise, login_refusal, retry_after, session_token};
use crate::error::AppError;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/account/password", get(password_page).post(change_password))
        .route("/account/email", axum::routing::post(set_email))
}

#[derive(Template, WebTemplate)]
#[template(path = "account_password.html")]
struct PasswordPage {
    title: String,
    query: String,
    me: Option<Me>,
    csrf: String,
    username: String,
    min_chars: usize,
    error: String,
    notice: String,
    /// The e-mail address (as stored, or as typed when refused).
    email: String,
    /// Why the typed address was refused.
    email_error: String,
}

fn page(user: &CurrentUser, error: String, notice: String) -> PasswordPage {
    PasswordPage {
        email: String::new(),
        email_error: String::new(),
        title: "Tài khoản của tôi".into(),
        query: String::new(),
        me: Some(user.me()),
        csrf: user.csrf.clone(),
        username: user.user.username.clone(),
        min_chars: MIN_PASSWORD_CHARS,
        error,
        notice,
    }
}

async fn password_page(State(state): State<AppState>, user: CurrentUser) -> Result<PasswordPage, AppError> {
    let email = state.store.email(user.user.id).await?.unwrap_or_default();
    Ok(PasswordPage {
        email,
        ..page(&user, String::new(), String::new())
    })
}

#[derive(serde::Deserialize)]
struct EmailForm {
    csrf: String,
    #[serde(default)]
    email: String,
}

/// Sets (or, empty, removes) the caller's own e-mail address, for notifications by mail.
async fn set_email(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(form): Form<EmailForm>,
) -> Result<Response, AppError> {
    user.check_csrf(&form.csrf)?;
    match thidua_app::notifications::check_email(&form.email) {
        Ok(email) => {
            state.store.set_email(user.user.id, email.as_deref()).await?;
            let notice = if email.is_some() {
                "Đã lưu địa chỉ thư điện tử nhận thông báo."
            } else {
                "Đã bỏ địa chỉ thư điện tử: thông báo chỉ hiện trong trang."
            };
            Ok(PasswordPage {
                email: email.unwrap_or_default(),
                ..page(&user, String::new(), notice.into())
            }
            .into_response())
        }
        Err(why) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            PasswordPage {
                email: form.email,
                email_error: why,
                ..page(&user, String::new(), String::new())
            },
        )
            .into_response()),
    }
}

#[derive(serde::Deserialize)]
struct PasswordForm {
    csrf: String,
    current: String,
    new: String,
    again: String,
}

async fn change_password(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    headers: HeaderMap,
    user: CurrentUser,
    Form(form): Form<PasswordForm>,
) -> Result<Response, AppError> {
    user.check_csrf(&form.csrf)?;
    let refuse = |status: StatusCode, error: String| (status, page(&user, error, String::new())).into_response();
    if form.new != form.again {
        return Ok(refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Hai lần nhập mật khẩu mới không giống nhau; chưa có gì thay đổi.".into(),
        ));
    }
    let keep = session_token(&headers).unwrap_or_default();
    let changed = state
        .store
        .change_own_password(
            &user.user,
            &form.current,
            &form.new,
            address,
            &keep,
            &state.login_policy,
        )
        .await;
    match changed {
        Ok(()) => Ok(page(
            &user,
            String::new(),
            "Đã đổi mật khẩu. Mọi phiên đăng nhập khác của tài khoản đã kết thúc.".into(),
        )
        .into_response()),
        Err(StoreError::LoginFailed) => Ok(refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Mật khẩu hiện tại không đúng; chưa có gì thay đổi.".into(),
        )),
        Err(StoreError::Domain(e)) => Ok(refuse(StatusCode::UNPROCESSABLE_ENTITY, capitalise(&e.to_string()))),
        Err(e) => match login_refusal(&e) {
            // Too soon after wrong tries: the same wait as the login page's.
            Some((status, wait, message)) => Ok(retry_after(refuse(status, message), wait)),
            None => Err(e.into()),
        },
    }
}
