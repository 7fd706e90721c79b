//! Đăng nhập — signing in and out, the session cookie, the signed-in user as an
//! extractor, anti-forgery tokens, and the per-address limit on login attempts.
//!
//! Sessions live in the database (so they survive a restart); the cookie holds a random
//! token whose hash is stored. Cookies are `HttpOnly` and `SameSite=Lax`, and `Secure`
//! when the server is told it sits behind HTTPS. Every form carries the session's
//! anti-forgery token, checked on each POST, on top of the cross-site request check of
//! tower-http's `CsrfLayer` (which also covers the login form, before any session).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{ConnectInfo, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use thidua_core::{Access, Cluster, Principal, Role, UnitTree};
use thidua_store::{StoreError, User};

use crate::AppState;
use crate::error::{ApiError, AppError};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "thidua_session";
/// Attempts allowed from one address per window by default: enough for a district
/// office whose officers share one address at the deadline, few enough to slow guessing.
const ATTEMPTS_PER_ADDRESS: u32 = 100;
/// The window of that limit.
const ATTEMPT_WINDOW: Duration = Duration::from_secs(15 * 60);

/// Login attempts per client address, in memory: it only has to slow guessing down.
#[derive(Debug, Clone)]
pub struct LoginLimiter {
    attempts: Arc<Mutex<HashMap<IpAddr, (u32, Instant)>>>,
    limit: u32,
}

impl Default for LoginLimiter {
    fn default() -> Self {
        LoginLimiter::with_limit(ATTEMPTS_PER_ADDRESS)
    }
}

impl LoginLimiter {
    /// A limiter allowing `limit` attempts per address every 15 minutes.
    pub fn with_limit(limit: u32) -> Self {
        LoginLimiter {
            attempts: Arc::default(),
            limit,
        }
    }

    /// Counts an attempt; `false` once the address has used up its window.
    fn allow(&self, addr: Option<IpAddr>) -> bool {
        let Some(addr) = addr else { return true };
        let Ok(mut map) = self.attempts.lock() else { return true };
        let now = Instant::now();
        map.retain(|_, (_, since)| now.duration_since(*since) < ATTEMPT_WINDOW);
        let entry = map.entry(addr).or_insert((0, now));
        entry.0 += 1;
        entry.0 <= self.limit
    }
}

/// The signed-in user of a request, with their session's anti-forgery token.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    /// The account.
    pub user: User,
    /// The token forms must carry.
    pub csrf: String,
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
    Ok(state.store.session(&token).await?.map(|s| CurrentUser {
        user: s.user,
        csrf: s.csrf_token,
    }))
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let next = parts.uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
        current_user(parts, state).await?.ok_or(AppError::Unauthorized { next })
    }
}

/// The signed-in user of an API call; without a session the answer is a JSON 401.
pub struct ApiUser(pub CurrentUser);

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match current_user(parts, state).await? {
            Some(user) => Ok(ApiUser(user)),
            None => Err(ApiError(AppError::Unauthorized { next: String::new() })),
        }
    }
}

/// The tree and clusters the access rules need, loaded for one request.
pub struct Scope {
    /// All units.
    pub tree: UnitTree,
    /// All clusters of all years.
    pub clusters: Vec<Cluster>,
}

impl Scope {
    /// Loads the current tree and clusters.
    pub async fn load(state: &AppState) -> Result<Scope, AppError> {
        let (tree, clusters) = tokio::try_join!(state.store.unit_tree(), state.store.clusters())?;
        Ok(Scope { tree, clusters })
    }

    /// The rules for one principal.
    pub fn access<'a>(&'a self, principal: &'a Principal) -> Access<'a> {
        Access::new(principal, &self.tree, &self.clusters)
    }
}

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
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

/// The client's address, when the server was started with connection info.
struct ClientAddr(Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(
            parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()),
        ))
    }
}

async fn login(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
    let next = safe_next(form.next.as_deref());
    let retry = |error: String| {
        let page = LoginPage {
            title: "Đăng nhập".into(),
            query: String::new(),
            me: None,
            next: next.clone(),
            username: form.username.clone(),
            error,
        };
        (axum::http::StatusCode::UNAUTHORIZED, page).into_response()
    };
    if !state.login_limiter.allow(addr) {
        return Ok(retry(
            "Có quá nhiều lần đăng nhập từ địa chỉ này; hãy thử lại sau 15 phút.".into(),
        ));
    }
    let user = match state.store.authenticate(&form.username, &form.password).await {
        Ok(user) => user,
        Err(e @ (StoreError::LoginFailed | StoreError::AccountLocked { .. })) => {
            return Ok(retry(capitalise(&e.to_string())));
        }
        Err(e) => return Err(e.into()),
    };
    let token = state.store.create_session(&user).await?;
    let mut response = Redirect::to(&next).into_response();
    let secure = if state.secure_cookies { "; Secure" } else { "" };
    let cookie = format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=43200{secure}");
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    Ok(response)
}

fn capitalise(text: &str) -> String {
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
    let mut response = Redirect::to("/login").into_response();
    let expired = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    if let Ok(value) = HeaderValue::from_str(&expired) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    Ok(response)
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
    fn the_limiter_stops_an_address_after_its_attempts() {
        let limiter = LoginLimiter::default();
        let addr = Some(IpAddr::from([127, 0, 0, 9]));
        assert!((0..ATTEMPTS_PER_ADDRESS).all(|_| limiter.allow(addr)));
        assert!(!limiter.allow(addr));
        assert!(
            limiter.allow(Some(IpAddr::from([127, 0, 0, 10]))),
            "other addresses are not affected"
        );
    }

    #[test]
    fn tokens_compare_in_constant_time_and_exactly() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd") && !constant_time_eq(b"abc", b"ab"));
    }
}
