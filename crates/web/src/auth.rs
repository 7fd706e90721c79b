//! Đăng nhập — signing in and out (of one session or of every device), the session
//! cookie, the signed-in user as an extractor, anti-forgery tokens, and the client's
//! address as the login throttle sees it.
//!
//! Sessions live in the database (so they survive a restart); the cookie holds a random
//! token whose hash is stored. Cookies are `HttpOnly` and `SameSite=Lax`, and `Secure`
//! unless the server listens on a loopback address or is told `--insecure-cookies`
//! ([`CookieMode`]). Every form carries the session's anti-forgery token, checked on
//! each POST, on top of the cross-site request check of tower-http's `CsrfLayer` (which
//! also covers the login form, before any session). Wrong passwords are throttled in the
//! store ([`thidua_store::LoginPolicy`]), by name, by address and by both.

use std::net::{IpAddr, SocketAddr};

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{ConnectInfo, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use thidua_core::{Principal, Role};
use thidua_store::{LoginAttempt, StoreError, TokenCheck, User};

use crate::AppState;
use crate::error::{ApiError, AppError};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "thidua_session";
/// How long the cookie lives in the browser (the session's 12 hours).
const SESSION_MAX_AGE: u32 = 12 * 60 * 60;

/// Whether the session cookie is marked `Secure` — sent by the browser over HTTPS only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CookieMode {
    /// `Secure` unless the server listens on a loopback address: the demo on
    /// 127.0.0.1 works over plain http, anything reachable from elsewhere needs HTTPS.
    #[default]
    Auto,
    /// Always `Secure` (`--secure-cookies`): behind an HTTPS proxy on the same machine.
    Secure,
    /// Never (`--insecure-cookies`): plain http on a network, knowingly.
    Insecure,
}

impl CookieMode {
    /// Whether cookies are `Secure` for a server listening on `listen`.
    pub fn secure_on(self, listen: SocketAddr) -> bool {
        match self {
            CookieMode::Auto => !listen.ip().to_canonical().is_loopback(),
            CookieMode::Secure => true,
            CookieMode::Insecure => false,
        }
    }
}

/// The signed-in user of a request, with their session's anti-forgery token.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    /// The account.
    pub user: User,
    /// The token forms must carry.
    pub csrf: String,
    /// How many of their notifications are unread (for the header; 0 for API calls).
    pub unread: i64,
}

impl CurrentUser {
    /// The user as the access rules see them.
    pub fn principal(&self) -> Principal {
        self.user.principal()
    }

    /// Refuses a form whose anti-forgery token is not this session's.
    pub fn check_csrf(&self, token: &str) -> Result<(), AppError> {
        if constant_time_eq(token.as_bytes(), self.csrf.as_bytes()) {
            Ok(())
        } else {
            Err(AppError::Forbidden(
                "biểu mẫu đã hết hạn hoặc không hợp lệ; hãy tải lại trang rồi thử lại".into(),
            ))
        }
    }

    /// What the page header shows.
    pub fn me(&self) -> Me {
        Me {
            name: self.user.display_name.clone(),
            role: self.user.role.label_vi().to_owned(),
            unit: self.user.unit.as_ref().map(ToString::to_string).unwrap_or_default(),
            csrf: self.csrf.clone(),
            is_admin: self.user.role == Role::Admin,
            unread: self.unread,
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The signed-in user as the page header shows them.
#[derive(Debug, Clone)]
pub struct Me {
    /// Display name.
    pub name: String,
    /// Role in Vietnamese.
    pub role: String,
    /// Unit code, or empty.
    pub unit: String,
    /// For the logout form.
    pub csrf: String,
    /// Whether to show the admin link.
    pub is_admin: bool,
    /// Unread notifications.
    pub unread: i64,
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

async fn current_user(parts: &Parts, state: &AppState) -> Result<Option<CurrentUser>, AppError> {
    let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let Some(s) = state.store.session(&token).await? else {
        return Ok(None);
    };
    Ok(Some(CurrentUser {
        user: s.user,
        csrf: s.csrf_token,
        unread: s.unread,
    }))
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let next = parts.uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
        let user = current_user(parts, state)
            .await?
            .ok_or(AppError::Unauthorized { next })?;
        signed_in::remember(user.me());
        Ok(user)
    }
}

/// Who the request was signed in as, for the error page's header: an error is turned into
/// a page far from the handler that knew the user ([`AppError`]'s `IntoResponse`), and a
/// page that shows "Đăng nhập" to someone signed in tells them they were signed out.
/// The extractor notes the user in a slot that lives as long as the request's task, so
/// the error page needs no second read of the session.
pub(crate) mod signed_in {
    use std::cell::RefCell;

    use axum::extract::Request;
    use axum::middleware::Next;
    use axum::response::Response;

    use super::Me;

    tokio::task_local! {
        static SIGNED_IN: RefCell<Option<Me>>;
    }

    /// Runs the request with an empty slot.
    pub(crate) async fn scope(request: Request, next: Next) -> Response {
        SIGNED_IN.scope(RefCell::new(None), next.run(request)).await
    }

    /// Notes who is signed in (outside a request's scope, nothing to note).
    pub(crate) fn remember(me: Me) {
        let _ = SIGNED_IN.try_with(|slot| *slot.borrow_mut() = Some(me));
    }

    /// Who the request was signed in as, if its handler asked.
    pub(crate) fn who() -> Option<Me> {
        SIGNED_IN.try_with(|slot| slot.borrow().clone()).ok().flatten()
    }
}

/// The signed-in user of an API call; without a session the answer is a JSON 401. A
/// program may instead send a personal API token, `Authorization: ApiToken …` (as DHIS2)
/// or `Authorization: Bearer …`, and acts as the token's owner; a request with that
/// header is answered by the token alone — an unknown, revoked or expired one is a 401
/// (an expired one saying so), never the session's user.
pub struct ApiUser(pub CurrentUser);

/// The token of an `Authorization: ApiToken …` or `Bearer …` header, `Ok(None)` without
/// the header, and the refusal of any other.
fn api_token(headers: &HeaderMap) -> Result<Option<String>, AppError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let refused = || {
        AppError::BadToken(
            "tiêu đề Authorization phải là «ApiToken MÃ» hoặc «Bearer MÃ» với mã truy cập API của tài khoản".into(),
        )
    };
    let text = value.to_str().map_err(|_| refused())?.trim();
    let (scheme, token) = text.split_once(' ').ok_or_else(refused)?;
    if !(scheme.eq_ignore_ascii_case("ApiToken") || scheme.eq_ignore_ascii_case("Bearer")) {
        return Err(refused());
    }
    Ok(Some(token.trim().to_owned()))
}

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(token) = api_token(&parts.headers)? {
            return match state.store.check_api_token(&token).await? {
                TokenCheck::Valid(s) => Ok(ApiUser(CurrentUser {
                    user: s.user,
                    csrf: s.csrf_token,
                    unread: s.unread,
                })),
                TokenCheck::Expired { name, last_day } => Err(ApiError(AppError::BadToken(format!(
                    "Mã truy cập API «{name}» đã hết hạn: chỉ dùng được đến hết ngày {}. \
                     Hãy tạo mã mới (trang /account/tokens hoặc «thidua token create») và thay vào chương trình.",
                    last_day.format("%-d/%-m/%Y")
                )))),
                TokenCheck::Refused => Err(ApiError(AppError::BadToken(
                    "Mã truy cập API không đúng, đã bị thu hồi, hoặc tài khoản của nó đã bị khóa.".into(),
                ))),
            };
        }
        match current_user(parts, state).await? {
            Some(user) => Ok(ApiUser(user)),
            None => Err(ApiError(AppError::Unauthorized { next: String::new() })),
        }
    }
}

/// The units and clusters a request reads its caller's rights against: the
/// application's directory, kept in memory between requests and reloaded only when the
/// database says it changed ([`thidua_app::directory`]).
pub type Scope = std::sync::Arc<thidua_app::Directory>;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/logout/all", post(logout_everywhere))
}

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
struct LoginPage {
    title: String,
    query: String,
    me: Option<Me>,
    next: String,
    username: String,
    error: String,
}

#[derive(serde::Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// Only paths on this site: never an absolute URL or a `//host` to bounce to.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/".to_owned(),
    }
}

async fn login_page(Query(q): Query<NextQuery>) -> LoginPage {
    LoginPage {
        title: "Đăng nhập".into(),
        query: String::new(),
        me: None,
        next: safe_next(q.next.as_deref()),
        username: String::new(),
        error: String::new(),
    }
}

#[derive(serde::Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

/// The client's address: the socket's peer (axum's connection info), or — when the
/// server is told `--trust-proxy` — the last address of the last `X-Forwarded-For`
/// header, the one our own proxy appended. Earlier entries are whatever the client
/// wrote and are never read. None in tests that drive the router without a socket.
pub(crate) struct ClientAddr(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        if !state.trust_proxy {
            return Ok(ClientAddr(peer));
        }
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .next_back()
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|hop| hop.trim().parse::<IpAddr>().ok());
        Ok(ClientAddr(forwarded.or(peer)))
    }
}

/// The `Set-Cookie` value of a new session.
fn session_cookie(token: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={SESSION_MAX_AGE}{secure}")
}

/// The `Set-Cookie` value that makes the browser forget the session.
fn expired_cookie(secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}")
}

fn with_cookie(mut response: Response, cookie: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// A refused login's answer: 401 for a wrong name or password, 429 with `Retry-After`
/// for a try that came too soon — the same for every name, existing or not.
pub(crate) fn login_refusal(error: &StoreError) -> Option<(StatusCode, Option<i64>, String)> {
    match error {
        StoreError::LoginFailed => Some((StatusCode::UNAUTHORIZED, None, capitalise(&error.to_string()))),
        StoreError::LoginThrottled { seconds } => Some((
            StatusCode::TOO_MANY_REQUESTS,
            Some(*seconds),
            capitalise(&error.to_string()),
        )),
        _ => None,
    }
}

/// Adds `Retry-After` to a throttled answer.
pub(crate) fn retry_after(mut response: Response, seconds: Option<i64>) -> Response {
    if let Some(value) = seconds.and_then(|s| HeaderValue::from_str(&s.to_string()).ok()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

async fn login(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
    let next = safe_next(form.next.as_deref());
    let attempt = LoginAttempt {
        username: &form.username,
        password: &form.password,
        address,
    };
    let user = match state.store.sign_in(attempt, &state.login_policy).await {
        Ok(user) => user,
        Err(e) => {
            let Some((status, wait, error)) = login_refusal(&e) else {
                return Err(e.into());
            };
            let page = LoginPage {
                title: "Đăng nhập".into(),
                query: String::new(),
                me: None,
                next,
                username: form.username.chars().take(64).collect(),
                error,
            };
            return Ok(retry_after((status, page).into_response(), wait));
        }
    };
    let token = state.store.create_session(&user).await?;
    Ok(with_cookie(
        Redirect::to(&next).into_response(),
        &session_cookie(&token, state.secure_cookies),
    ))
}

/// A message as a sentence: capital first letter, full stop.
pub(crate) fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect::<String>() + ".")
}

#[derive(serde::Deserialize)]
struct LogoutForm {
    csrf: String,
}

async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
    Form(form): Form<LogoutForm>,
) -> Result<Response, AppError> {
    user.check_csrf(&form.csrf)?;
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        state.store.delete_session(&token).await?;
    }
    Ok(with_cookie(
        Redirect::to("/login").into_response(),
        &expired_cookie(state.secure_cookies),
    ))
}

/// "Đăng xuất khỏi mọi thiết bị": every session of the user ends, this one included —
/// for the phone left in a meeting room or the password typed on a shared machine.
async fn logout_everywhere(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(form): Form<LogoutForm>,
) -> Result<Response, AppError> {
    user.check_csrf(&form.csrf)?;
    state.store.end_all_sessions(&user.user).await?;
    Ok(with_cookie(
        Redirect::to("/login").into_response(),
        &expired_cookie(state.secure_cookies),
    ))
}

/// The session token of a request, for keeping it when the others end.
pub(crate) fn session_token(headers: &HeaderMap) -> Option<String> {
    cookie(headers, SESSION_COOKIE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_login() {
        assert_eq!(
            safe_next(Some("/clusters/HN-CUM2?period=2022S1")),
            "/clusters/HN-CUM2?period=2022S1"
        );
        for evil in [
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example",
            "javascript:alert(1)",
        ] {
            assert_eq!(safe_next(Some(evil)), "/", "{evil}");
        }
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn cookies_are_secure_unless_the_server_listens_on_loopback_or_is_told_otherwise() {
        let on = |a: &str| a.parse::<SocketAddr>().unwrap_or_else(|e| panic!("{e}"));
        assert!(CookieMode::Auto.secure_on(on("0.0.0.0:8080")));
        assert!(CookieMode::Auto.secure_on(on("192.168.1.10:8080")));
        assert!(!CookieMode::Auto.secure_on(on("127.0.0.1:8080")));
        assert!(!CookieMode::Auto.secure_on(on("[::1]:8080")));
        assert!(!CookieMode::Auto.secure_on(on("[::ffff:127.0.0.1]:8080")));
        assert!(!CookieMode::Insecure.secure_on(on("0.0.0.0:8080")));
        assert!(CookieMode::Secure.secure_on(on("127.0.0.1:8080")));
    }

    #[test]
    fn tokens_compare_in_constant_time_and_exactly() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd") && !constant_time_eq(b"abc", b"ab"));
    }
}
