//! Minh chứng — the files a unit attaches to its self-score (one item's or the whole
//! sheet's), downloaded by whoever may see the sheet and removed by the unit itself.

use axum::Form;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use thidua_app::scoring::{self, AttachError};
use thidua_store::EvidenceFile;

use super::sheet::{load, refused};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::pages::CsrfForm;

pub(super) async fn upload_evidence(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((unit, year, step)): Path<(String, String, String)>,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let crate::body_limit::Upload { fields, file } =
        crate::body_limit::read_upload(multipart, crate::body_limit::EVIDENCE).await?;
    let file = file.map(|f| EvidenceFile {
        filename: f.filename,
        content_type: f.content_type,
        bytes: f.bytes,
    });
    user.check_csrf(fields.get("csrf").map_or("", String::as_str))?;
    let (caller, data) = load(&state, &user, &unit, &year, &step).await?;
    let code = fields.get("code").map(|c| c.trim()).filter(|c| !c.is_empty());
    let refuse = |status: StatusCode, message: String| (status, refused(&data, &user, message)).into_response();
    match scoring::attach_evidence(&state.app, &caller, &data, code, file).await {
        Ok(_) => Ok(Redirect::to(&format!("/units/{}/scores/{}/self", data.unit.unit, data.unit.year)).into_response()),
        Err(e @ AttachError::NotSaved) => Ok(refuse(StatusCode::CONFLICT, e.to_string())),
        Err(e @ AttachError::NoFile) => Ok(refuse(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())),
        Err(AttachError::Refused(e)) => match AppError::from(e) {
            AppError::BadRequest(m) | AppError::Conflict(m) => {
                Ok(refuse(StatusCode::UNPROCESSABLE_ENTITY, format!("Chưa đính kèm: {m}.")))
            }
            other => Err(other),
        },
        Err(AttachError::Failed(e)) => Err(e.into()),
    }
}

/// An evidence id from the path; anything else is a file that does not exist.
fn evidence_id(raw: &str) -> Result<i64, AppError> {
    raw.parse()
        .map_err(|_| AppError::NotFound(format!("không tìm thấy tệp minh chứng «{raw}»")))
}

/// An evidence file as a download and never as a page: `attachment` with the name as
/// typed (RFC 6266/5987, Vietnamese intact) and a plain ASCII fallback; the media type
/// thidua decides from the name and the first bytes ([`EvidenceFile::media_type`]), not
/// the one the uploader claimed or the one stored with older files; no sniffing; and a
/// `sandbox` policy, so even a browser that opened an uploaded HTML or SVG file in place
/// would run nothing of it on this origin.
fn download(filename: &str, bytes: Vec<u8>) -> Response {
    let ascii: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = filename
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}");
    let content_type = EvidenceFile::media_type(filename, &bytes);
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // Built from ASCII only (the name is percent-encoded), so it is always a valid value.
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    response
}

pub(super) async fn download_evidence(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = evidence_id(&id)?;
    let caller = state.app.context(user.principal()).await?;
    let (info, bytes) = scoring::evidence_file(&state.app, &caller, id).await?;
    Ok(download(&info.filename, bytes))
}

pub(super) async fn remove_evidence(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, AppError> {
    user.check_csrf(&form.csrf)?;
    let id = evidence_id(&id)?;
    let caller = state.app.context(user.principal()).await?;
    let (unit, step) = scoring::remove_evidence(&state.app, &caller, id).await?;
    Ok(Redirect::to(&format!("/units/{}/scores/{}/{}", unit.unit, unit.year, step.as_str())).into_response())
}
