//! Giới hạn dung lượng yêu cầu — how large a request body may be, per route, and the
//! Vietnamese 413 that says so. Every route gets [`DEFAULT`] (set on the whole router);
//! the two upload routes raise it to their file's limit plus the multipart envelope
//! ([`limited`]). axum's own 2 MB default is replaced everywhere, so the limits written
//! here are the ones that apply.
//!
//! A body declared larger than the limit (`Content-Length`) is refused before the
//! handler runs; one that turns out larger while it streams is refused by the extractor
//! reading it, and that refusal (axum's plain-text English 413) is rewritten here into
//! the same Vietnamese page, or JSON body under `/api/`.

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;

use crate::AppState;
use crate::error::{ApiError, AppError};

const MB: u64 = 1024 * 1024;
/// Room for the multipart envelope around a file: the other fields (CSRF token,
/// version, item code) and the part headers.
const ENVELOPE: u64 = 64 * 1024;

/// How large a request body may be on a route, and what the refusal calls it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BodyLimit {
    /// The limit people are told, in bytes: the file's, not the envelope's.
    pub(crate) shown: u64,
    /// The request body's limit in bytes.
    pub(crate) request: u64,
    /// What is too large, in Vietnamese, capitalised.
    pub(crate) what: &'static str,
}

/// Everything that is not one of the uploads below: forms, a template typed in, a TOML
/// file of criteria (whose route keeps its own limit of about the same size).
pub(crate) const DEFAULT: BodyLimit = BodyLimit {
    shown: MB,
    request: MB,
    what: "Dữ liệu gửi lên",
};

/// A criteria set as a TOML file: hand-written, the demo's is 9 kB.
pub(crate) const CRITERIA_FILE: BodyLimit = BodyLimit {
    shown: MB,
    request: MB + ENVELOPE,
    what: "Tệp bảng tiêu chí",
};

/// A reorganisation file (changes.csv), and its text sent back with the confirmation:
/// a national reform is a few thousand rows, about 300 kB.
pub(crate) const CHANGES_FILE: BodyLimit = BodyLimit {
    shown: MB,
    request: MB + ENVELOPE,
    what: "Tệp sắp xếp tổ chức",
};

/// A unit's form as a workbook: the upload limit of [`thidua_report::xlsx_bounds`].
pub(crate) const FORM_WORKBOOK: BodyLimit = BodyLimit {
    shown: thidua_report::xlsx_bounds::MAX_WORKBOOK_BYTES,
    request: thidua_report::xlsx_bounds::MAX_WORKBOOK_BYTES + ENVELOPE,
    what: "Tệp Excel của biểu mẫu",
};

/// One evidence file of a score sheet: the store's limit per file.
pub(crate) const EVIDENCE: BodyLimit = BodyLimit {
    shown: thidua_store::EvidenceFile::MAX_BYTES as u64,
    request: thidua_store::EvidenceFile::MAX_BYTES as u64 + ENVELOPE,
    what: "Tệp minh chứng",
};

impl BodyLimit {
    /// "Tệp Excel của biểu mẫu quá lớn (giới hạn 5 MB)."
    pub(crate) fn message(&self) -> String {
        format!("{} quá lớn (giới hạn {} MB).", self.what, self.shown / MB)
    }

    /// The refusal, as the page error or the API error as `path` asks.
    fn refusal(&self, path: &str) -> Response {
        let error = AppError::PayloadTooLarge(self.message());
        if path.starts_with("/api/") {
            ApiError(error).into_response()
        } else {
            error.into_response()
        }
    }

    fn request_bytes(&self) -> usize {
        usize::try_from(self.request).unwrap_or(usize::MAX)
    }
}

/// [`DEFAULT`]'s request limit, for the whole router's `DefaultBodyLimit`.
pub(crate) const DEFAULT_BYTES: usize = DEFAULT.request as usize;

/// The Vietnamese words for the extractors' refusals under [`DEFAULT`], for the whole
/// router (`axum::middleware::from_fn`); the upload routes explain their own.
pub(crate) async fn explain_default(request: Request, next: Next) -> Response {
    explain(State(DEFAULT), request, next).await
}

/// `route` with its own body limit: `limit.request` for the extractors, a declared
/// length over it refused at once, and the refusal in Vietnamese naming `limit.shown`.
pub(crate) fn limited(route: MethodRouter<AppState>, limit: BodyLimit) -> MethodRouter<AppState> {
    route
        .layer::<_, std::convert::Infallible>(middleware::from_fn_with_state(limit, enforce))
        .layer(DefaultBodyLimit::max(limit.request_bytes()))
}

/// Refuses a declared length over the limit before the body is read, then explains.
async fn enforce(State(limit): State<BodyLimit>, request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit.request) {
        return limit.refusal(request.uri().path());
    }
    explain(State(limit), request, next).await
}

/// Rewrites the framework's 413 (plain text, English) into the Vietnamese refusal; a
/// 413 that a handler answered itself (a page or JSON) is left as it is.
async fn explain(State(limit): State<BodyLimit>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let ours = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html") || t.starts_with("application/json"));
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE && !ours {
        return limit.refusal(&path);
    }
    response
}

/// One uploaded file, as the browser sent it.
#[derive(Debug)]
pub(crate) struct UploadedFile {
    /// The name the browser gave (untrusted: for display and type guessing only).
    pub(crate) filename: String,
    /// The media type the browser claimed (untrusted).
    pub(crate) content_type: String,
    /// Its bytes, at most the route's limit.
    pub(crate) bytes: Vec<u8>,
}

/// A multipart form with one file field named `file` and text fields beside it.
#[derive(Debug, Default)]
pub(crate) struct Upload {
    /// The text fields (the anti-forgery token among them).
    pub(crate) fields: std::collections::BTreeMap<String, String>,
    /// The file, when one was sent.
    pub(crate) file: Option<UploadedFile>,
}

/// Reads an upload under `limit`: a body that outgrows it mid-stream and a file over the
/// limit are both the Vietnamese 413; a malformed body is a 400.
pub(crate) async fn read_upload(mut multipart: axum::extract::Multipart, limit: BodyLimit) -> Result<Upload, AppError> {
    let bad = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge(limit.message())
        } else {
            AppError::BadRequest(format!("không đọc được tệp gửi lên ({e})"))
        }
    };
    let mut upload = Upload::default();
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            let filename = field.file_name().unwrap_or_default().to_owned();
            let content_type = field.content_type().unwrap_or_default().to_owned();
            let bytes = field.bytes().await.map_err(bad)?;
            if bytes.len() as u64 > limit.shown {
                return Err(AppError::PayloadTooLarge(limit.message()));
            }
            upload.file = Some(UploadedFile {
                filename,
                content_type,
                bytes: bytes.to_vec(),
            });
        } else {
            upload.fields.insert(name, field.text().await.map_err(bad)?);
        }
    }
    Ok(upload)
}
