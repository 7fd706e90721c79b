//! Errors of request handling, mapped to responses in one place. People get a page in
//! Vietnamese, programs a JSON body `{"error": {"status": …, "message": …}}`; a server
//! fault tells neither anything more than that it happened — the detail goes to the log.

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use thidua_store::StoreError;

/// A failed request.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The thing asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The request itself is wrong (a bad period code, …).
    #[error("{0}")]
    BadRequest(String),
    /// Not signed in: pages send people to the login page, then back to `next`.
    #[error("hãy đăng nhập để tiếp tục")]
    Unauthorized {
        /// Where to return after login.
        next: String,
    },
    /// An API call with an `Authorization` header whose token is unknown, revoked or of a
    /// disabled account (or not a token at all): 401, and never the session instead.
    #[error("{0}")]
    BadToken(String),
    /// A request body of a media type the route does not read.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// Signed in, but this is outside the user's part of the hierarchy.
    #[error("{0}")]
    Forbidden(String),
    /// The action clashes with the current state (a stale form, a wrong step).
    #[error("{0}")]
    Conflict(String),
    /// The request body is over its route's limit (the message names the limit).
    #[error("{0}")]
    PayloadTooLarge(String),
    /// Something broke on our side.
    #[error("lỗi máy chủ")]
    Internal(String),
}

impl AppError {
    fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized { .. } | AppError::BadToken(_) => StatusCode::UNAUTHORIZED,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What the user may read.
    fn public_message(&self) -> String {
        match self {
            AppError::Internal(_) => {
                "Đã có lỗi ở máy chủ. Vui lòng thử lại sau; nếu lỗi còn, hãy báo quản trị viên.".into()
            }
            other => other.to_string(),
        }
    }

    fn log(&self) {
        if let AppError::Internal(detail) = self {
            tracing::error!(%detail, "request failed");
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { .. } => AppError::NotFound(e.to_string()),
            StoreError::Domain(thidua_core::Error::NotAllowed(m)) => AppError::Forbidden(m),
            StoreError::Changed { .. } => AppError::Conflict(e.to_string()),
            StoreError::Domain(thidua_core::Error::InvalidTransition(m)) | StoreError::Conflict(m) => {
                AppError::Conflict(m)
            }
            StoreError::Rejected(_)
            | StoreError::Domain(_)
            | StoreError::LoginFailed
            | StoreError::LoginThrottled { .. } => AppError::BadRequest(e.to_string()),
            StoreError::UnsupportedUrl(_)
            | StoreError::Corrupt(_)
            | StoreError::Database(_)
            | StoreError::SqliteRead(_)
            | StoreError::KeyFile { .. }
            | StoreError::KeyMismatch => AppError::Internal(e.to_string()),
        }
    }
}

impl From<thidua_app::Error> for AppError {
    fn from(e: thidua_app::Error) -> Self {
        use thidua_app::Error as E;
        match e {
            E::NotFound(m) => AppError::NotFound(m),
            E::Forbidden(m) => AppError::Forbidden(m),
            E::Invalid(m) => AppError::BadRequest(m),
            // A template that fails or runs into a limit: the cluster's state (its
            // template) is what clashes with the request.
            E::Conflict(m) => AppError::Conflict(m),
            E::Template(t) => AppError::Conflict(t.to_string()),
            E::Store(s) => AppError::from(s),
            E::Report(r) => AppError::Internal(r.to_string()),
            E::Internal(m) => AppError::Internal(m),
        }
    }
}

impl From<thidua_core::Error> for AppError {
    fn from(e: thidua_core::Error) -> Self {
        AppError::from(StoreError::Domain(e))
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
struct ErrorPage {
    title: String,
    query: String,
    me: Option<crate::auth::Me>,
    status: u16,
    message: String,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.log();
        if let AppError::Unauthorized { next } = &self {
            return axum::response::Redirect::to(&format!("/login?next={}", percent_encode(next))).into_response();
        }
        let status = self.status();
        let page = ErrorPage {
            title: format!("Lỗi {}", status.as_u16()),
            query: String::new(),
            me: crate::auth::signed_in::who(),
            status: status.as_u16(),
            message: sentence(&self.public_message()),
        };
        (status, page).into_response()
    }
}

/// The same errors, answered as JSON for the API.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ErrorDetail {
    /// The HTTP status.
    status: u16,
    /// What went wrong, in Vietnamese.
    message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.log();
        let status = self.0.status();
        let body = ErrorBody {
            error: ErrorDetail {
                status: status.as_u16(),
                message: self.0.public_message(),
            },
        };
        (status, Json(body)).into_response()
    }
}

/// A message as a sentence on a page: its first letter in capitals (the store's and
/// core's messages start lower-case, to read inside another sentence).
pub(crate) fn sentence(message: &str) -> String {
    thidua_report::document::capitalise(message)
}

/// Percent-encodes everything but unreserved characters, for a path inside a query.
pub(crate) fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
