//! `thidua rollup`: a cluster's (or a unit's) figures for a period or a range of periods
//! (`--period 2025Q1..2025Q3`), as an aligned table for people or as long-format CSV for
//! programs.

use std::fmt::Write as _;

use thidua_app::{App, rollups};
use thidua_core::lineage::TreeView;
use thidua_core::rollup::Figures;
use thidua_core::{Catalog, ClusterCode, Indicator, PeriodRange, UnitCode, Value};
use thidua_store::Store;

use crate::args::Format;

/// Shown where there is no figure.
const NO_VALUE: &str = "—";

pub async fn run(
    store: &Store,
    cluster: Option<&str>,
    unit: Option<&str>,
    period: &str,
    format: Format,
    tree: &str,
) -> anyhow::Result<()> {
    let period = PeriodRange::parse(period)?;
    let view = TreeView::parse(tree).ok_or_else(|| anyhow::anyhow!("--tree là period hoặc current"))?;
    let app = App::for_one_command(store.clone());
    let directory = app.directory().await?;
    let catalog = store.catalog().await?;
    // Columns: (code, header, figures); the last one is the whole.
    let (title, columns) = match (cluster, unit) {
        (Some(code), _) => {
            let code = ClusterCode::parse(code)?;
            let rollup = rollups::cluster_rollup_over(&app, &directory, &catalog, &code, period, view).await?;
            let mut columns: Vec<(String, String, Figures)> = rollup
                .members
                .into_iter()
                .map(|(u, f)| (u.code.to_string(), u.short_name().to_owned(), f))
                .collect();
            columns.push((rollup.cluster.code.to_string(), "Toàn cụm".to_owned(), rollup.total));
            (format!("{} ({})", rollup.cluster.name, rollup.cluster.code), columns)
        }
        (None, Some(code)) => {
            let code = UnitCode::parse(code)?;
            let unit = directory
                .tree
                .get(&code)
                .cloned()
                .ok_or_else(|| anyhow::anyhow!("không tìm thấy đơn vị «{code}»"))?;
            let figures = rollups::unit_figures_over(&app, &directory, &catalog, &code, period, view).await?;
            (
                format!("{} ({})", unit.name, unit.code),
                vec![(unit.code.to_string(), "Tổng hợp".to_owned(), figures)],
            )
        }
        (None, None) => anyhow::bail!("cần --cluster hoặc --unit"),
    };
    let title = match view {
        TreeView::AsItWas => title,
        TreeView::Current => format!("{title}, {}", view.label_vi()),
    };
    let out = match format {
        Format::Csv => csv(&catalog, period, &columns),
        Format::Table => table(&catalog, period, &title, &columns),
    };
    print!("{out}");
    Ok(())
}

/// `unit,indicator,period,value`: plain digits, '.' as decimal mark, formula values to
/// 2 decimals; indicators without data are left out. A range's `period` is its code,
/// `2025Q1..2025Q3`.
fn csv(catalog: &Catalog, period: PeriodRange, columns: &[(String, String, Figures)]) -> String {
    let mut out = String::from("unit,indicator,period,value\n");
    for (code, _, figures) in columns {
        for indicator in catalog.indicators() {
            if let Some(value) = figures.get(&indicator.code) {
                let _ = writeln!(
                    out,
                    "{code},{},{period},{}",
                    indicator.code,
                    csv_field(&value.format_plain())
                );
            }
        }
    }
    out
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

fn format_cell(indicator: &Indicator, value: Option<&Value>) -> String {
    value.map_or_else(
        || NO_VALUE.to_owned(),
        |v| {
            if indicator.value_type.is_whole() || v.as_f64().is_none() {
                v.format_vi()
            } else {
                thidua_core::number::format_decimal(v.as_f64().unwrap_or_default(), 2)
            }
        },
    )
}

fn width(s: &str) -> usize {
    // Text is NFC, where every Vietnamese letter is one character of one column.
    s.chars().count()
}

fn pad_left(s: &str, w: usize) -> String {
    format!("{}{s}", " ".repeat(w.saturating_sub(width(s))))
}

fn pad_right(s: &str, w: usize) -> String {
    format!("{s}{}", " ".repeat(w.saturating_sub(width(s))))
}

/// One table per indicator group: indicators down, units across, the total last.
fn table(catalog: &Catalog, period: PeriodRange, title: &str, columns: &[(String, String, Figures)]) -> String {
    let mut out = format!("{title} — {}\n", period.label_vi());
    for (group, indicators) in catalog.groups() {
        let header: Vec<String> = ["Chỉ tiêu".to_owned(), "ĐVT".to_owned()]
            .into_iter()
            .chain(columns.iter().map(|(_, h, _)| h.clone()))
            .collect();
        let rows: Vec<Vec<String>> = indicators
            .iter()
            .map(|i| {
                [i.name.clone(), i.measure.clone()]
                    .into_iter()
                    .chain(columns.iter().map(|(_, _, f)| format_cell(i, f.get(&i.code))))
                    .collect()
            })
            .collect();
        let widths: Vec<usize> = (0..header.len())
            .map(|c| {
                rows.iter()
                    .map(|r| width(&r[c]))
                    .chain([width(&header[c])])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |cells: &[String]| {
            let parts: Vec<String> = cells
                .iter()
                .enumerate()
                .map(|(c, s)| {
                    if c < 2 {
                        pad_right(s, widths[c])
                    } else {
                        pad_left(s, widths[c])
                    }
                })
                .collect();
            format!("  {}\n", parts.join("  ").trim_end())
        };
        let _ = write!(out, "\n{group}\n");
        out.push_str(&line(&header));
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        out.push_str(&line(&rule));
        for r in &rows {
            out.push_str(&line(r));
        }
    }
    out
}
