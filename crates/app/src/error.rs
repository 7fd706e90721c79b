//! What a use case can answer instead of its result. The delivery crates map each kind
//! to their own form (an HTTP status, a CLI message) in one place each.

use thidua_report::review::TemplateError;
use thidua_store::StoreError;

/// A use case that did not complete.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The thing asked for does not exist (or the caller may not learn that it does).
    #[error("{0}")]
    NotFound(String),
    /// The caller may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The request is wrong in itself (a bad period code, …).
    #[error("{0}")]
    Invalid(String),
    /// The action clashes with the current state.
    #[error("{0}")]
    Conflict(String),
    /// A user's template failed or ran into a limit (the message says which line and why).
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// The store refused or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A document could not be written.
    #[error(transparent)]
    Report(#[from] thidua_report::ReportError),
    /// Something broke on our side (a worker thread died).
    #[error("lỗi máy chủ: {0}")]
    Internal(String),
}

impl From<thidua_core::Error> for Error {
    fn from(e: thidua_core::Error) -> Self {
        Error::Store(StoreError::Domain(e))
    }
}
