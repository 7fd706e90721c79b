//! Biểu đồ — the bar chart in the review documents: one bar per member unit for one
//! indicator, drawn by plotters as SVG (for the PDF, where it stays sharp) and as PNG
//! (for the DOCX, which has no portable vector format). The text is set in the shipped
//! Liberation Serif, and numbers in Vietnamese style.

use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde::Serialize;
use thidua_core::number::format_decimal_trimmed;

use crate::ReportError;
use crate::fonts;

/// A bar chart: a title, the measure on the vertical axis, and the bars in order.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BarChart {
    /// "Tỷ lệ hỏa táng theo đơn vị".
    pub title: String,
    /// The measure, under the vertical axis ("%", "triệu đồng").
    pub measure: String,
    /// One bar per member.
    pub bars: Vec<Bar>,
}

/// One bar: its label under the axis and its height.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Bar {
    /// "Hà Đông".
    pub label: String,
    /// The figure; none when the member has none — then no bar is drawn, and
    /// [`NO_FIGURE`] stands where it would be (a missing figure is not a 0).
    pub value: Option<f64>,
}

/// What stands in place of the bar of a member without a figure.
pub const NO_FIGURE: &str = "chưa có số liệu";

/// The chart's size in points in the documents (about the text width of an A4 page).
pub const WIDTH_PT: u32 = 460;
/// The chart's height in points.
pub const HEIGHT_PT: u32 = 250;
/// Pixels per point in the PNG: enough for print at the document's size.
const PNG_SCALE: u32 = 3;

/// plotters looks fonts up by name in its own registry; the serif is registered once.
fn register_font() -> Result<(), ReportError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = REGISTERED.get_or_init(|| {
        plotters::style::register_font(fonts::FAMILY, FontStyle::Normal, fonts::REGULAR).is_ok()
            && plotters::style::register_font(fonts::FAMILY, FontStyle::Bold, fonts::BOLD).is_ok()
    });
    if *ok {
        Ok(())
    } else {
        Err(ReportError::Chart("phông chữ Liberation Serif không đọc được".into()))
    }
}

fn chart_error(e: impl std::fmt::Display) -> ReportError {
    ReportError::Chart(e.to_string())
}

/// Draws the chart on any plotters backend, `scale` pixels to the point.
fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, chart: &BarChart, scale: u32) -> Result<(), ReportError> {
    let px = |pt: u32| (pt * scale) as i32;
    root.fill(&WHITE).map_err(chart_error)?;
    let n = chart.bars.len().max(1) as u32;
    let max = chart.bars.iter().filter_map(|b| b.value).fold(0.0, f64::max);
    // Headroom above the tallest bar for its figure.
    let top = if max > 0.0 { max * 1.18 } else { 1.0 };
    let mut plot = ChartBuilder::on(root)
        .caption(&chart.title, (fonts::FAMILY, px(13)).into_font().style(FontStyle::Bold))
        .margin(px(6))
        .x_label_area_size(px(22))
        .y_label_area_size(px(44))
        .build_cartesian_2d((0..n - 1).into_segmented(), 0.0..top)
        .map_err(chart_error)?;
    let labels: Vec<&str> = chart.bars.iter().map(|b| b.label.as_str()).collect();
    plot.configure_mesh()
        .disable_x_mesh()
        .light_line_style(WHITE)
        .bold_line_style(BLACK.mix(0.15))
        .x_labels(labels.len())
        .x_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => labels.get(*i as usize).map_or(String::new(), |l| (*l).to_owned()),
            _ => String::new(),
        })
        .y_label_formatter(&|y| format_decimal_trimmed(*y, 1))
        .y_desc(&chart.measure)
        .label_style((fonts::FAMILY, px(10)))
        .axis_desc_style((fonts::FAMILY, px(10)))
        .draw()
        .map_err(chart_error)?;
    let colour = RGBColor(0xb7, 0x1c, 0x1c);
    plot.draw_series(chart.bars.iter().enumerate().filter_map(|(i, b)| {
        let mut bar = Rectangle::new(
            [
                (SegmentValue::Exact(i as u32), 0.0),
                (SegmentValue::Exact(i as u32 + 1), b.value?),
            ],
            colour.filled(),
        );
        bar.set_margin(0, 0, px(12) as u32, px(12) as u32);
        Some(bar)
    }))
    .map_err(chart_error)?;
    let figure_style = TextStyle::from((fonts::FAMILY, px(10)).into_font()).pos(Pos::new(HPos::Center, VPos::Bottom));
    plot.draw_series(chart.bars.iter().enumerate().map(|(i, b)| match b.value {
        Some(v) => Text::new(
            format_decimal_trimmed(v, 2),
            (SegmentValue::CenterOf(i as u32), v),
            figure_style.clone(),
        ),
        None => Text::new(
            NO_FIGURE.to_owned(),
            (SegmentValue::CenterOf(i as u32), 0.0),
            figure_style.clone(),
        ),
    }))
    .map_err(chart_error)?;
    root.present().map_err(chart_error)?;
    Ok(())
}

/// The chart as an SVG document, [`WIDTH_PT`] × [`HEIGHT_PT`].
pub fn svg(chart: &BarChart) -> Result<String, ReportError> {
    register_font()?;
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (WIDTH_PT, HEIGHT_PT)).into_drawing_area();
        draw(&root, chart, 1)?;
    }
    Ok(out)
}

/// The chart as a PNG image with its size in pixels.
pub fn png(chart: &BarChart) -> Result<(Vec<u8>, u32, u32), ReportError> {
    register_font()?;
    let (w, h) = (WIDTH_PT * PNG_SCALE, HEIGHT_PT * PNG_SCALE);
    let mut rgb = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        draw(&root, chart, PNG_SCALE)?;
    }
    let image =
        image::RgbImage::from_raw(w, h, rgb).ok_or_else(|| ReportError::Chart("bộ đệm ảnh sai kích thước".into()))?;
    let mut png = std::io::Cursor::new(Vec::new());
    image.write_to(&mut png, image::ImageFormat::Png).map_err(chart_error)?;
    Ok((png.into_inner(), w, h))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cremation() -> BarChart {
        BarChart {
            title: "Tỷ lệ hỏa táng theo đơn vị".into(),
            measure: "%".into(),
            bars: [
                ("Hà Đông", 98.2),
                ("Thanh Xuân", 91.0),
                ("Cầu Giấy", 99.1),
                ("Tây Hồ", 98.5),
            ]
            .into_iter()
            .map(|(label, value)| Bar {
                label: label.into(),
                value: Some(value),
            })
            .collect(),
        }
    }

    #[test]
    fn the_svg_names_every_member_and_its_figure_in_vietnamese_style() {
        let svg = svg(&cremation()).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..40.min(svg.len())]);
        for text in [
            "Hà Đông",
            "Thanh Xuân",
            "Cầu Giấy",
            "Tây Hồ",
            "98,2",
            "99,1",
            "Tỷ lệ hỏa táng",
        ] {
            assert!(svg.contains(text), "{text} missing from the chart");
        }
    }

    #[test]
    fn the_png_is_a_real_image_of_the_stated_size() {
        let (bytes, w, h) = png(&cremation()).unwrap();
        let decoded = image::load_from_memory(&bytes).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (w, h));
        // Bars are drawn: some pixels carry the bar colour.
        let rgb = decoded.to_rgb8();
        assert!(rgb.pixels().any(|p| p.0 == [0xb7, 0x1c, 0x1c]));
    }

    #[test]
    fn a_member_without_a_figure_has_no_bar_and_is_said_to_have_none() {
        let mut chart = cremation();
        chart.bars[1].value = None;
        let svg = svg(&chart).unwrap();
        assert!(svg.contains("Thanh Xuân"), "the member is still named");
        assert!(svg.contains(NO_FIGURE), "its figure is said to be missing");
        // Three bars, not four: plotters draws each as a filled rect of the bar colour.
        assert_eq!(svg.matches("fill=\"#B71C1C\"").count(), 3, "{svg}");
    }

    #[test]
    fn a_chart_without_bars_still_draws() {
        let empty = BarChart {
            title: "Trống".into(),
            measure: "%".into(),
            bars: vec![],
        };
        assert!(svg(&empty).is_ok());
    }
}
