//! Documents of thidua: the cluster's review as Vietnamese prose ([`review`]) and as an
//! official DOCX ([`docx`]); the spreadsheet a unit downloads, fills in Excel and uploads
//! back ([`form_sheet`]); the cluster's figures as a workbook ([`rollup_sheet`]).

pub mod docx;
pub mod form_sheet;
pub mod review;
pub mod rollup_sheet;

/// What can go wrong making or reading a document.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The spreadsheet library failed to write the workbook.
    #[error("không tạo được tệp Excel: {0}")]
    Write(#[from] rust_xlsxwriter::XlsxError),
    /// The uploaded file is not a workbook we can read.
    #[error("không đọc được tệp Excel: {0}")]
    Read(String),
    /// The workbook was read, but some cells are wrong.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Cells(Vec<form_sheet::CellError>),
}
