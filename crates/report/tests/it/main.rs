//! The report crate's integration tests, in one binary: the documents as other programs
//! read them (LibreOffice Writer laying out the DOCX files).

#![allow(
    clippy::unwrap_used,
    reason = "test code: clippy's allow-unwrap-in-tests (clippy.toml) covers #[test] functions, not the async test bodies the on_both_backends! wrappers call (rust-clippy#11119)"
)]

mod libreoffice;
