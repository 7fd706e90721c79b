//! Documents of thidua: the cluster's review as Vietnamese prose ([`review`]) and as an
//! official document ([`document`]) written as DOCX ([`docx`]) and PDF ([`pdf`], behind
//! the default `pdf` feature), with a chart ([`chart`]); the spreadsheet a unit downloads, fills in Excel and uploads
//! back ([`form_sheet`]); the cluster's figures as a workbook ([`rollup_sheet`]).

pub mod chart;
pub mod cluster_sheet;
pub mod document;
pub mod docx;
pub mod emulation_documents;
pub mod fonts;
pub mod form_sheet;
#[cfg(feature = "pdf")]
pub mod pdf;
pub mod review;
pub mod review_template;
pub mod rollup_sheet;
pub mod xlsx_bounds;

/// What can go wrong making or reading a document.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The spreadsheet library failed to write the workbook.
    #[error("không tạo được tệp Excel: {0}")]
    Write(#[from] rust_xlsxwriter::XlsxError),
    /// The uploaded file is not a workbook we can read.
    #[error("không đọc được tệp Excel: {0}")]
    Read(String),
    /// The uploaded workbook is over one of the limits of [`xlsx_bounds`]: refused
    /// before it was read.
    #[error("{0}")]
    Bounds(String),
    /// The workbook was read, but some cells are wrong.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Cells(Vec<form_sheet::CellError>),
    /// The chart could not be drawn.
    #[error("không vẽ được biểu đồ: {0}")]
    Chart(String),
    /// Typst could not typeset the PDF.
    #[error("không tạo được tệp PDF: {0}")]
    Pdf(String),
}
