//! Văn bản PDF — an [`OfficialDocument`] typeset by typst into a PDF in the Front's
//! document format. The layout is a Typst file compiled into the binary
//! (`templates/official_document.typ`); the document's content reaches it as JSON, so
//! a unit's text can never be read as markup, and the chart as SVG. The fonts are the
//! shipped Liberation Serif: the PDF looks the same on every machine.

use std::sync::OnceLock;

use typst::foundations::{Dict, IntoValue};
use typst_as_lib::TypstEngine;
use typst_layout::PagedDocument;

use crate::ReportError;
use crate::document::OfficialDocument;
use crate::{chart, fonts};

static LAYOUT: &str = include_str!("../templates/official_document.typ");

/// Compiled once: building the engine loads and indexes the four font faces.
fn engine() -> &'static TypstEngine<typst_as_lib::TypstTemplateMainFile> {
    static ENGINE: OnceLock<TypstEngine<typst_as_lib::TypstTemplateMainFile>> = OnceLock::new();
    ENGINE.get_or_init(|| TypstEngine::builder().main_file(LAYOUT).fonts(fonts::all()).build())
}

/// Writes the document as PDF bytes.
pub fn write_pdf(doc: &OfficialDocument) -> Result<Vec<u8>, ReportError> {
    let data = serde_json::to_string(doc).map_err(|e| ReportError::Pdf(e.to_string()))?;
    let mut inputs = Dict::new();
    inputs.insert("data".into(), data.as_str().into_value());
    if let Some(c) = &doc.chart {
        inputs.insert("chart".into(), chart::svg(c)?.as_str().into_value());
    }
    let compiled = engine().compile_with_input::<_, PagedDocument>(inputs);
    let document = compiled.output.map_err(|e| ReportError::Pdf(e.to_string()))?;
    typst_pdf::pdf(&document, &typst_pdf::PdfOptions::default()).map_err(|errors| {
        ReportError::Pdf(
            errors
                .iter()
                .map(|e| e.message.to_string())
                .collect::<Vec<_>>()
                .join("; "),
        )
    })
}
