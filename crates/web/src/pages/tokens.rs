//! Mã truy cập API — the signed-in user's personal API tokens: the list (name, first
//! characters, made, last used, revoked), a new one (shown once, on the answer to its
//! form, never again) and revoking one. Reached from the account page; every form
//! carries the session's anti-forgery token. A token acts with its owner's rights alone
//! (see `thidua_store::ApiToken`).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use thidua_store::{ApiToken, StoreError};

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
    active: bool,
    revoked: String,
}

/// An RFC 3339 time as "25/07/2022 16:09", in the installation's time zone.
fn shown_time(at: Option<&str>) -> String {
    match at {
        None => "—".into(),
        Some(at) => chrono::DateTime::parse_from_rfc3339(at)
            .map(|t| t.with_timezone(&chrono::Local).format("%d/%m/%Y %H:%M").to_string())
            .unwrap_or_else(|_| at.to_owned()),
    }
}

impl From<ApiToken> for TokenLine {
    fn from(t: ApiToken) -> Self {
        TokenLine {
            id: t.id,
            active: t.is_active(),
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
}

async fn page(
    state: &AppState,
    user: &CurrentUser,
    new_secret: Option<String>,
    error: String,
    notice: String,
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
}

async fn create_token(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(form): Form<CreateForm>,
) -> Result<Response, AppError> {
    user.check_csrf(&form.csrf)?;
    match state.store.create_api_token(&user.user, &form.name).await {
        Ok((token, secret)) => {
            let notice = format!("Đã tạo mã «{}».", token.name);
            Ok(not_stored(
                StatusCode::OK,
                page(&state, &user, Some(secret), String::new(), notice).await?,
            ))
        }
        Err(StoreError::Domain(e)) => Ok(not_stored(
            StatusCode::UNPROCESSABLE_ENTITY,
            page(&state, &user, None, capitalise(&e.to_string()), String::new()).await?,
        )),
        Err(StoreError::Conflict(m)) => Ok(not_stored(
            StatusCode::CONFLICT,
            page(&state, &user, None, capitalise(&m), String::new()).await?,
        )),
        Err(e) => Err(e.into()),
    }
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
