//! Mã truy cập API — the signed-in user's personal API tokens: the list (name, first
//! characters, made, last used, expiry, revoked), a new one with the expiry its maker
//! chooses (shown once, on the answer to its form, never again) and revoking one. Reached from the account page; every form
//! carries the session's anti-forgery token. A token acts with its owner's rights alone
//! (see `thidua_store::ApiToken`).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use thidua_store::{ApiToken, DEFAULT_EXPIRY_DAYS, Expiry, StoreError};

use crate::AppState;
use crate::auth::{CurrentUser, Me, capitalise};
use crate::error::AppError;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/account/tokens", get(tokens_page).post(create_token))
        .route("/account/tokens/{id}/revoke", post(revoke_token))
}

/// One token as the list shows it.
struct TokenLine {
    id: i64,
    name: String,
    hint: String,
    created: String,
    last_used: String,
    /// "Hết hạn ngày 2/3/2027", or "Không hết hạn".
    expiry: String,
    active: bool,
    expired: bool,
    revoked: String,
}

/// The expiries the form offers, by the value it sends and what it says; `date` takes
/// the day of the field beside it.
const EXPIRY_CHOICES: &[(&str, &str)] = &[
    ("7", "7 ngày"),
    ("30", "30 ngày"),
    ("90", "90 ngày"),
    ("180", "180 ngày"),
    ("365", "1 năm"),
    ("date", "Đến hết ngày…"),
    ("never", "Không hết hạn"),
];

/// An RFC 3339 time as "25/7/2022 16:09", in the installation's time zone.
fn shown_time(at: Option<&str>) -> String {
    match at {
        None => "—".into(),
        Some(at) => chrono::DateTime::parse_from_rfc3339(at)
            .map(|t| thidua_core::period::format_datetime_vi(t.with_timezone(&chrono::Local).naive_local()))
            .unwrap_or_else(|_| at.to_owned()),
    }
}

impl From<ApiToken> for TokenLine {
    fn from(t: ApiToken) -> Self {
        let expiry = match t.expiry_day() {
            Some(day) => format!("Hết hạn ngày {}", day.format("%-d/%-m/%Y")),
            None => "Không hết hạn".into(),
        };
        TokenLine {
            id: t.id,
            active: t.is_active(),
            expired: t.revoked_at.is_none() && t.is_expired_at(chrono::Utc::now()),
            expiry,
            created: shown_time(Some(&t.created_at)),
            last_used: shown_time(t.last_used_at.as_deref()),
            revoked: shown_time(t.revoked_at.as_deref()),
            name: t.name,
            hint: t.hint,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "account_tokens.html")]
struct TokensPage {
    title: String,
    query: String,
    me: Option<Me>,
    csrf: String,
    username: String,
    tokens: Vec<TokenLine>,
    new_secret: Option<String>,
    error: String,
    notice: String,
    /// The create form as it was sent, kept when it is refused.
    typed: Typed,
    /// The expiry choices: value, label.
    choices: &'static [(&'static str, &'static str)],
}

/// What the create form holds: empty with the default expiry, or as sent.
struct Typed {
    name: String,
    expires: String,
    expires_on: String,
}

impl Default for Typed {
    fn default() -> Self {
        Typed {
            name: String::new(),
            expires: DEFAULT_EXPIRY_DAYS.to_string(),
            expires_on: String::new(),
        }
    }
}

async fn page(
    state: &AppState,
    user: &CurrentUser,
    new_secret: Option<String>,
    error: String,
    notice: String,
) -> Result<TokensPage, AppError> {
    page_with(state, user, new_secret, error, notice, Typed::default()).await
}

async fn page_with(
    state: &AppState,
    user: &CurrentUser,
    new_secret: Option<String>,
    error: String,
    notice: String,
    typed: Typed,
) -> Result<TokensPage, AppError> {
    let tokens = state.store.api_tokens(user.user.id).await?;
    Ok(TokensPage {
        title: "Mã truy cập API".into(),
        query: String::new(),
        me: Some(user.me()),
        csrf: user.csrf.clone(),
        username: user.user.username.clone(),
        tokens: tokens.into_iter().map(TokenLine::from).collect(),
        new_secret,
        error,
        notice,
        typed,
        choices: EXPIRY_CHOICES,
    })
}

/// The answer a page with a token on it is sent with: never kept by a cache or the
/// browser's history.
fn not_stored(status: StatusCode, page: TokensPage) -> Response {
    (status, [(header::CACHE_CONTROL, "no-store")], page).into_response()
}

async fn tokens_page(State(state): State<AppState>, user: CurrentUser) -> Result<Response, AppError> {
    Ok(not_stored(
        StatusCode::OK,
        page(&state, &user, None, String::new(), String::new()).await?,
    ))
}

#[derive(serde::Deserialize)]
struct CreateForm {
    csrf: String,
    name: String,
    /// A number of days, `date` (then `expires_on`) or `never`; the default without it.
    expires: Option<String>,
    /// The last day the token works, when `expires` is `date`: `2026-12-31` as a date
    /// field sends it, or `31/12/2026`.
    expires_on: Option<String>,
}

impl CreateForm {
    /// The expiry chosen, read as `thidua token create --expires` reads it.
    fn expiry(&self) -> Result<Expiry, thidua_store::ExpiryError> {
        let today = chrono::Local::now().date_naive();
        match self.expires.as_deref().map(str::trim) {
            None | Some("") => Ok(Expiry::default()),
            Some("date") => match self.expires_on.as_deref().map(str::trim) {
                None | Some("") => Err(thidua_store::ExpiryError {
                    value: "Đến hết ngày…".into(),
                    reason: "hãy chọn ngày cuối còn dùng ở ô bên dưới".into(),
                }),
                Some(day) => Expiry::parse(day, today),
            },
            Some(choice) => Expiry::parse(choice, today),
        }
    }

    fn typed(&self) -> Typed {
        Typed {
            name: self.name.clone(),
            expires: self.expires.clone().unwrap_or_else(|| DEFAULT_EXPIRY_DAYS.to_string()),
            expires_on: self.expires_on.clone().unwrap_or_default(),
        }
    }
}

async fn create_token(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(form): Form<CreateForm>,
) -> Result<Response, AppError> {
    user.check_csrf(&form.csrf)?;
    let refused = |status: StatusCode, message: String| refused_page(&state, &user, status, message, form.typed());
    let expiry = match form.expiry() {
        Ok(expiry) => expiry,
        Err(e) => return refused(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()).await,
    };
    match state.store.create_api_token(&user.user, &form.name, expiry).await {
        Ok((token, secret)) => {
            let until = match token.expiry_day() {
                Some(day) => format!("dùng được đến hết ngày {}", day.format("%-d/%-m/%Y")),
                None => "không hết hạn".into(),
            };
            let notice = format!("Đã tạo mã «{}», {until}.", token.name);
            Ok(not_stored(
                StatusCode::OK,
                page(&state, &user, Some(secret), String::new(), notice).await?,
            ))
        }
        Err(StoreError::Domain(e)) => refused(StatusCode::UNPROCESSABLE_ENTITY, capitalise(&e.to_string())).await,
        Err(StoreError::Conflict(m)) => refused(StatusCode::CONFLICT, capitalise(&m)).await,
        Err(e) => Err(e.into()),
    }
}

/// The page again with why the create form was refused, and the form as it was sent.
async fn refused_page(
    state: &AppState,
    user: &CurrentUser,
    status: StatusCode,
    message: String,
    typed: Typed,
) -> Result<Response, AppError> {
    Ok(not_stored(
        status,
        page_with(state, user, None, message, String::new(), typed).await?,
    ))
}

#[derive(serde::Deserialize)]
struct RevokeForm {
    csrf: String,
}

async fn revoke_token(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(form): Form<RevokeForm>,
) -> Result<Response, AppError> {
    user.check_csrf(&form.csrf)?;
    let not_found = || AppError::NotFound(format!("không tìm thấy mã truy cập «{id}»"));
    let id: i64 = id.parse().map_err(|_| not_found())?;
    // Another account's token is "not found", as one that does not exist.
    let token = state.store.revoke_api_token(&user.user, id).await?;
    let notice = format!("Đã thu hồi mã «{}»; từ nay mã không dùng được nữa.", token.name);
    Ok(not_stored(
        StatusCode::OK,
        page(&state, &user, None, String::new(), notice).await?,
    ))
}
