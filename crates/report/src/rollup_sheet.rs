//! Bảng số liệu — a cluster's rollup as an XLSX workbook: one sheet per indicator group,
//! members down and indicators across, the cluster's total last, numbers as numbers
//! (Excel shows them in its own number style) with the measure in each column head.

use rust_xlsxwriter::{Format, FormatBorder, Workbook};
use thidua_core::rollup::{ClusterRollup, Figures};
use thidua_core::{Catalog, Value};

use crate::ReportError;

/// Excel's limit on sheet names, and the characters it refuses in them.
const SHEET_NAME_MAX: usize = 31;
const SHEET_NAME_BAD: [char; 7] = ['[', ']', ':', '*', '?', '/', '\\'];

fn sheet_name(index: usize, group: &str) -> String {
    let clean: String = group.chars().filter(|c| !SHEET_NAME_BAD.contains(c)).collect();
    let prefix = format!("{}. ", index + 1);
    let room = SHEET_NAME_MAX - prefix.chars().count();
    format!("{prefix}{}", clean.chars().take(room).collect::<String>().trim_end())
}

/// Writes the rollup as a workbook.
pub fn write_rollup(rollup: &ClusterRollup, catalog: &Catalog) -> Result<Vec<u8>, ReportError> {
    let mut workbook = Workbook::new();
    let head = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_border(FormatBorder::Thin)
        .set_background_color("F3EEEB");
    let name = Format::new().set_border(FormatBorder::Thin);
    let whole = Format::new().set_border(FormatBorder::Thin).set_num_format("#,##0");
    let decimal = Format::new().set_border(FormatBorder::Thin).set_num_format("0.00");
    let total = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_background_color("FFF4E5");
    for (index, (group, indicators)) in catalog.groups().into_iter().enumerate() {
        let sheet = workbook.add_worksheet();
        sheet.set_name(sheet_name(index, group))?;
        sheet.write_string(
            0,
            0,
            format!("{} — {} — {}", rollup.cluster.name, rollup.period.label_vi(), group),
        )?;
        sheet.set_column_width(0, 28)?;
        sheet.write_string_with_format(2, 0, "Đơn vị", &head)?;
        for (col, indicator) in indicators.iter().enumerate() {
            let col = col as u16 + 1;
            sheet.set_column_width(col, 18)?;
            sheet.write_string_with_format(2, col, format!("{} ({})", indicator.name, indicator.measure), &head)?;
        }
        sheet.set_row_height(2, 75)?;
        let rows: Vec<(&str, &Figures, bool)> = rollup
            .members
            .iter()
            .map(|(u, f)| (u.short_name(), f, false))
            .chain(std::iter::once(("Toàn cụm", &rollup.total, true)))
            .collect();
        for (r, (label, figures, is_total)) in rows.into_iter().enumerate() {
            let row = r as u32 + 3;
            sheet.write_string_with_format(row, 0, label, if is_total { &total } else { &name })?;
            for (col, indicator) in indicators.iter().enumerate() {
                let col = col as u16 + 1;
                match figures.get(&indicator.code) {
                    Some(Value::Whole(n)) => {
                        sheet.write_number_with_format(row, col, *n as f64, if is_total { &total } else { &whole })?
                    }
                    Some(Value::Decimal(x)) => {
                        sheet.write_number_with_format(row, col, *x, if is_total { &total } else { &decimal })?
                    }
                    Some(Value::Text(t)) => sheet.write_string_with_format(row, col, t, &name)?,
                    None => sheet.write_blank(row, col, &name)?,
                };
            }
        }
    }
    Ok(workbook.save_to_buffer()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_fit_excel_s_rules() {
        let long = sheet_name(0, "Cuộc vận động \"Người Việt Nam ưu tiên dùng hàng Việt Nam\"");
        assert!(long.chars().count() <= SHEET_NAME_MAX, "{long}");
        assert_eq!(
            sheet_name(3, "Giám sát, phản biện: xã hội"),
            "4. Giám sát, phản biện xã hội"
        );
    }
}
