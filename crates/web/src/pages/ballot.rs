//! Bình xét, suy tôn — the chair opens a secret ballot, each member's representative
//! votes once, the count and its record (biên bản kiểm phiếu) as DOCX and PDF.

use axum::Router;

use crate::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new()
}
