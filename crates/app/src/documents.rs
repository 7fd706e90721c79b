//! Văn bản — official documents (the review, the record of a count, the pledge) written
//! as files: the formats they download in, and the writing itself, off the async threads.

use thidua_report::document::OfficialDocument;

use crate::Error;

/// A document's file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Word.
    Docx,
    /// PDF, typeset by typst (absent from a build without the `pdf` feature).
    Pdf,
}

impl Format {
    /// The file name's extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Docx => "docx",
            Format::Pdf => "pdf",
        }
    }
}

/// `document` written as `format`, off the async threads: typesetting a PDF takes a good
/// part of a second.
pub async fn write(document: OfficialDocument, format: Format) -> Result<Vec<u8>, Error> {
    tokio::task::spawn_blocking(move || write_now(&document, format))
        .await
        .map_err(|e| Error::Internal(e.to_string()))?
}

fn write_now(document: &OfficialDocument, format: Format) -> Result<Vec<u8>, Error> {
    match format {
        Format::Docx => Ok(thidua_report::docx::write_docx(document)?),
        #[cfg(feature = "pdf")]
        Format::Pdf => Ok(thidua_report::pdf::write_pdf(document)?),
        #[cfg(not(feature = "pdf"))]
        Format::Pdf => Err(Error::NotFound(
            "bản thidua này được dựng không có PDF (thiếu tính năng «pdf»)".into(),
        )),
    }
}
