//! Phông chữ — Liberation Serif (SIL OFL 1.1, the metrics of Times New Roman), shipped
//! inside the binary so that the PDF and the chart look the same on every machine,
//! whatever fonts it has. The files are in `assets/fonts/` with their licence.

/// Regular face.
pub static REGULAR: &[u8] = include_bytes!("../../../assets/fonts/LiberationSerif-Regular.ttf");
/// Bold face.
pub static BOLD: &[u8] = include_bytes!("../../../assets/fonts/LiberationSerif-Bold.ttf");
/// Italic face.
pub static ITALIC: &[u8] = include_bytes!("../../../assets/fonts/LiberationSerif-Italic.ttf");
/// Bold italic face.
pub static BOLD_ITALIC: &[u8] = include_bytes!("../../../assets/fonts/LiberationSerif-BoldItalic.ttf");

/// The family name the documents ask for.
pub const FAMILY: &str = "Liberation Serif";

/// All four faces.
pub fn all() -> [&'static [u8]; 4] {
    [REGULAR, BOLD, ITALIC, BOLD_ITALIC]
}
