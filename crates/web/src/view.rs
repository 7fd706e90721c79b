//! View models: domain values turned into the strings pages show — numbers in
//! Vietnamese style, periods by their Vietnamese names — so templates only lay them out.

use thidua_core::comparison::{Change, Reported, format_percent, format_percent_change};
use thidua_core::number::{format_decimal, format_integer, money_prose};
use thidua_core::period::PeriodType;
use thidua_core::rollup::Figures;
use thidua_core::{Catalog, Indicator, Period, Value, ValueType};

/// Shown where there is no figure.
pub const NO_VALUE: &str = "—";

/// A figure as a person reads it: "1.084", "85,01", "10.266.500.000".
pub fn format_value(indicator: &Indicator, value: Option<&Value>) -> String {
    match value {
        None => NO_VALUE.to_owned(),
        Some(Value::Whole(n)) => format_integer(*n),
        Some(Value::Decimal(x)) => format_decimal(*x, 2),
        Some(Value::Text(t)) if indicator.value_type == ValueType::Text => t.clone(),
        Some(Value::Text(_)) => NO_VALUE.to_owned(),
    }
}

/// A hint beside big sums of money: "trên 10 tỷ đồng".
pub fn value_hint(indicator: &Indicator, value: Option<&Value>) -> String {
    match (indicator.value_type, value) {
        (ValueType::Money, Some(Value::Whole(n))) if *n >= 1_000_000 => money_prose(*n),
        _ => String::new(),
    }
}

/// A computed number (an average, a change, a point of a series) as the pages write an
/// indicator's figure: whole ones grouped ("1.084", "2.350.000.000"), others to the
/// hundredth ("85,01", "1.084,33").
pub fn format_number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format_integer(x as i64)
    } else {
        format_decimal(x, 2)
    }
}

/// A figure or `—` when there is none.
pub fn format_optional(x: Option<f64>) -> String {
    x.map_or_else(|| NO_VALUE.to_owned(), format_number)
}

/// A spoken form beside big sums of money ("trên 2,3 tỷ đồng"), else empty.
pub fn number_hint(indicator: &Indicator, x: f64) -> String {
    if indicator.value_type == ValueType::Money && x.abs() >= 1e6 && x.abs() < 9e18 {
        money_prose(x.round() as i64)
    } else {
        String::new()
    }
}

/// A change with its sign and, when the earlier figure was not 0, in percent:
/// "+120 (+12,5%)", "-2,13 (-2,2%)", "+5".
pub fn format_change(change: &Change) -> String {
    let sign = if change.absolute > 0.0 { "+" } else { "" };
    let absolute = format!("{sign}{}", format_number(change.absolute));
    match change.percent {
        Some(p) => format!("{absolute} ({})", format_percent_change(p)),
        None => absolute,
    }
}

/// A rate of so many out of so many: "5/6 (83,3%)"; "—" when none was expected.
pub fn rate_text(part: u32, whole: u32, rate: Option<f64>) -> String {
    match rate {
        Some(r) => format!("{part}/{whole} ({})", format_percent(r)),
        None => NO_VALUE.to_owned(),
    }
}

/// A status's code and Vietnamese label.
pub fn reported_label(r: Reported) -> (&'static str, &'static str) {
    match r {
        Reported::Sent { on_time: true } => ("sent_on_time", "Đã gửi, đúng hạn"),
        Reported::Sent { on_time: false } => ("sent_late", "Đã gửi, muộn"),
        Reported::FromFile => ("from_file", "Số liệu nhập từ tệp"),
        Reported::NotSent => ("not_sent", "Chưa gửi"),
    }
}

/// One choice of the period selector.
pub struct PeriodOption {
    /// DHIS2 code.
    pub code: String,
    /// Vietnamese name.
    pub label: String,
    /// Whether it is the period shown.
    pub selected: bool,
}

/// The periods a selector offers: for every year given, both half-years and the year,
/// plus any period with data; newest first.
pub fn period_options(years: &[i32], with_data: &[Period], selected: Period) -> Vec<PeriodOption> {
    let mut periods: Vec<Period> = years
        .iter()
        .flat_map(|&y| {
            let mut p = Period::all_in_year(y, PeriodType::HalfYear);
            p.push(Period::Year(y));
            p
        })
        .collect();
    for p in with_data.iter().chain(std::iter::once(&selected)) {
        if !periods.contains(p) {
            periods.push(*p);
        }
    }
    periods.sort_by_key(|p| std::cmp::Reverse((p.end(), std::cmp::Reverse(p.period_type()))));
    periods
        .into_iter()
        .map(|p| PeriodOption {
            code: p.code(),
            label: p.label_vi(),
            selected: p == selected,
        })
        .collect()
}

/// A column head of a figures table.
pub struct IndicatorHead {
    /// Code.
    pub code: String,
    /// Vietnamese name.
    pub name: String,
    /// Measure (cuộc, vụ, đồng, %…).
    pub measure: String,
    /// The formula, for computed indicators.
    pub formula: String,
}

/// One row of a figures table: a unit (or the whole cluster) and its figures.
pub struct FigureRow {
    /// Unit code; empty for the total row.
    pub code: String,
    /// Name shown.
    pub name: String,
    /// One formatted figure per column.
    pub cells: Vec<Cell>,
}

/// A formatted figure.
pub struct Cell {
    /// "1.084", "85,01", "—".
    pub text: String,
    /// A spoken form for large money, or empty.
    pub hint: String,
}

/// One indicator group's table: members × indicators, with the total.
pub struct GroupTable {
    /// The group (movement or campaign).
    pub name: String,
    /// The columns.
    pub indicators: Vec<IndicatorHead>,
    /// One row per member.
    pub rows: Vec<FigureRow>,
    /// The cluster's row.
    pub total: FigureRow,
}

fn row(code: &str, name: &str, indicators: &[&Indicator], figures: &Figures) -> FigureRow {
    FigureRow {
        code: code.to_owned(),
        name: name.to_owned(),
        cells: indicators
            .iter()
            .map(|i| Cell {
                text: format_value(i, figures.get(&i.code)),
                hint: value_hint(i, figures.get(&i.code)),
            })
            .collect(),
    }
}

/// The tables of a cluster's rollup, one per indicator group.
pub fn group_tables(
    catalog: &Catalog,
    members: &[(String, String, &Figures)],
    total_name: &str,
    total: &Figures,
) -> Vec<GroupTable> {
    catalog
        .groups()
        .into_iter()
        .map(|(group, indicators)| GroupTable {
            name: group.to_owned(),
            indicators: indicators.iter().map(|i| head(i)).collect(),
            rows: members
                .iter()
                .map(|(code, name, f)| row(code, name, &indicators, f))
                .collect(),
            total: row("", total_name, &indicators, total),
        })
        .collect()
}

/// A column head for an indicator.
pub fn head(i: &Indicator) -> IndicatorHead {
    IndicatorHead {
        code: i.code.to_string(),
        name: i.name.clone(),
        measure: i.measure.clone(),
        formula: i.formula.as_ref().map(|f| f.source().to_owned()).unwrap_or_default(),
    }
}

/// One indicator's line on a unit page.
pub struct FigureLine {
    /// The indicator.
    pub indicator: IndicatorHead,
    /// Its figure.
    pub value: Cell,
}

/// A unit's figures, grouped: (group name, lines).
pub fn figure_lines(catalog: &Catalog, figures: &Figures) -> Vec<(String, Vec<FigureLine>)> {
    catalog
        .groups()
        .into_iter()
        .map(|(group, indicators)| {
            let lines = indicators
                .iter()
                .map(|i| FigureLine {
                    indicator: head(i),
                    value: Cell {
                        text: format_value(i, figures.get(&i.code)),
                        hint: value_hint(i, figures.get(&i.code)),
                    },
                })
                .collect();
            (group.to_owned(), lines)
        })
        .collect()
}
