//! The one error type of the storage crate.

use thidua_core::import::RowError;

/// What can go wrong when reading or writing the database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The thing asked for does not exist.
    #[error("không tìm thấy {what} «{key}»")]
    NotFound {
        /// What was looked for ("cụm thi đua", "đơn vị"…).
        what: &'static str,
        /// Its key as given.
        key: String,
    },
    /// An import refused whole; each row error says where and why.
    #[error("{}", rejected_message(.0))]
    Rejected(Vec<RowError>),
    /// The database URL names a backend we do not have.
    #[error(
        "địa chỉ cơ sở dữ liệu «{0}» không được hỗ trợ: dùng sqlite://tệp.db hoặc postgres://người-dùng@máy/cơ-sở-dữ-liệu"
    )]
    UnsupportedUrl(String),
    /// Stored data that no longer parses — a bug or a hand edit of the database.
    #[error("dữ liệu trong cơ sở dữ liệu không hợp lệ: {0}")]
    Corrupt(String),
    /// A domain rule refused the data.
    #[error(transparent)]
    Domain(#[from] thidua_core::Error),
    /// Wrong user name or password — deliberately not saying which.
    #[error("tên đăng nhập hoặc mật khẩu không đúng")]
    LoginFailed,
    /// A login try that came too soon after wrong ones (by name, address or both) —
    /// refused before any password is checked, and not saying which account it was.
    #[error("đăng nhập tạm dừng: hãy thử lại sau {seconds} giây")]
    LoginThrottled {
        /// Seconds left to wait.
        seconds: i64,
    },
    /// Someone else changed the record since it was read (optimistic versioning).
    #[error("{0}")]
    Conflict(String),
    /// What a caller read to start its change is no longer the current record: someone
    /// saved in between, and nothing was written (the caller shows what is current).
    #[error("{what} «{key}» đã được người khác thay đổi sau khi bạn mở; chưa có gì được lưu")]
    Changed {
        /// What ("bảng tiêu chí thi đua").
        what: &'static str,
        /// Which.
        key: String,
    },
    /// The key file cannot be read or created.
    #[error("không dùng được tệp khóa bí mật «{path}»: {why}")]
    KeyFile {
        /// The file.
        path: String,
        /// Why.
        why: String,
    },
    /// The key file is not the one this database was first opened with.
    #[error(
        "tệp khóa bí mật không khớp với cơ sở dữ liệu này: mọi tiến trình phục vụ cùng một cơ sở dữ liệu phải dùng cùng một tệp khóa (--key-file)"
    )]
    KeyMismatch,
    /// The database itself failed.
    #[error("lỗi cơ sở dữ liệu: {0}")]
    Database(#[from] sqlx::Error),
    /// The SQLite file failed on the engine's own read of every number (crate::scan).
    #[error("lỗi cơ sở dữ liệu SQLite: {0}")]
    SqliteRead(#[from] rusqlite::Error),
}

fn rejected_message(errors: &[RowError]) -> String {
    let mut out = format!("tệp bị từ chối, không dòng nào được ghi ({} lỗi):", errors.len());
    for e in errors {
        out.push_str("\n  ");
        out.push_str(&e.to_string());
    }
    out
}

impl StoreError {
    pub(crate) fn corrupt(what: impl std::fmt::Display) -> Self {
        StoreError::Corrupt(what.to_string())
    }
}
