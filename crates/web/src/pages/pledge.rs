//! Giao ước thi đua — each member registers its titles and targets; the chair records the
//! signing; the signed pledge prints as DOCX and PDF.

use axum::Router;

use crate::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new()
}
