//! Báo cáo sơ kết / tổng kết — the cluster's review written as Vietnamese prose from
//! the data: the conference record, the rollup, and the previous period when there is
//! one. The phrases come from a template (minijinja) that users can edit; a template
//! error is reported with its line and what is wrong, never a panic.
//!
//! A template is a program its author runs on the server, so every rendering is bounded
//! ([`RENDER_FUEL`], [`MAX_OUTPUT`], [`MAX_RANGE`], [`MAX_TEMPLATE`]): a loop of a billion
//! steps or a string of 100 MB stops with a Vietnamese message naming the limit, before
//! the time or the memory is spent.

use std::io;
use std::sync::Arc;

use minijinja::{Environment, ErrorKind, Value as TemplateValue};
use serde::Serialize;
use thidua_core::number::{format_decimal_trimmed, format_integer, money_prose};
use thidua_core::period::{PeriodType, format_date_vi};
use thidua_core::rollup::{ClusterRollup, Figures};
use thidua_core::signers::Signers;
use thidua_core::text::Collator;
use thidua_core::{Catalog, Conference, Indicator, IndicatorCode, Period, Unit, Value, ValueType};

/// Ký hiệu — the symbol of a cluster's review in the document register ("Số: 3/BC-CTĐ":
/// báo cáo of the cụm thi đua).
pub const REVIEW_SYMBOL: &str = "BC-CTĐ";

/// The default template, in Vietnamese.
pub const DEFAULT_TEMPLATE: &str = include_str!("../templates/review_vi.txt.j2");

/// The name a cluster's own review template is stored under (beside the cluster's code).
pub const TEMPLATE_NAME: &str = "review";

/// The work one rendering may do, in minijinja's fuel: one unit per instruction and one
/// per 64 bytes of data created (minijinja refuses an allocation the remaining fuel
/// cannot pay for). 250.000 bounds a rendering to a quarter of a million steps — well
/// under a second — and 16 MB of data; the shipped template needs under a thousand over
/// the demo (a unit test keeps it below a twentieth), so an office's edits have ample
/// room.
pub const RENDER_FUEL: u64 = 250_000;

/// The longest review a template may write: 2 MB (the demo's is under 4 kB).
pub const MAX_OUTPUT: usize = 2 * 1024 * 1024;

/// The most numbers `range(…)` gives in a template (minijinja's own limit is 100.000).
pub const MAX_RANGE: i64 = 10_000;

/// The longest template accepted: 256 kB (the shipped one is under 4 kB).
pub const MAX_TEMPLATE: usize = 256 * 1024;

/// Which limit a rendering ran into, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RenderLimit {
    /// The fuel ran out: too many steps, or too much data created.
    Fuel,
    /// The output passed [`MAX_OUTPUT`].
    Output,
    /// The template itself is longer than [`MAX_TEMPLATE`].
    TemplateSize,
    /// The rendering did not finish in the time the caller allows (set by the caller,
    /// e.g. the web server, which renders off its async threads under a timeout).
    Time,
    /// Too many renderings are waiting; the caller refused this one.
    Busy,
}

/// A template that could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    /// The line of the template at fault (1-based; 0 when unknown).
    pub line: usize,
    /// What is wrong, in Vietnamese where we can say it.
    pub message: String,
    /// The limit the rendering ran into, when that is what went wrong.
    pub limit: Option<RenderLimit>,
}

impl TemplateError {
    /// A rendering stopped by `limit` (at `line`, when known).
    pub fn limit(limit: RenderLimit, line: usize) -> TemplateError {
        let message = match limit {
            RenderLimit::Fuel => format!(
                "mẫu báo cáo chạy quá giới hạn tính toán ({} bước, hoặc tạo chuỗi, danh sách quá lớn){}: hãy bớt vòng lặp lồng nhau và phép lặp chuỗi",
                thidua_core::number::format_integer(RENDER_FUEL as i64),
                at_line(line)
            ),
            RenderLimit::Output => format!(
                "mẫu báo cáo cho kết quả dài quá {} MB{}: một báo cáo sơ kết chỉ vài chục kB, hãy xem lại các vòng lặp",
                MAX_OUTPUT / (1024 * 1024),
                at_line(line)
            ),
            RenderLimit::TemplateSize => format!(
                "mẫu báo cáo dài quá {} kB (mẫu mặc định chưa đến 4 kB)",
                MAX_TEMPLATE / 1024
            ),
            RenderLimit::Time => "mẫu báo cáo chạy quá giới hạn thời gian dựng báo cáo".to_owned(),
            RenderLimit::Busy => "máy chủ đang dựng nhiều báo cáo cùng lúc; xin thử lại sau ít phút".to_owned(),
        };
        TemplateError {
            line,
            message,
            limit: Some(limit),
        }
    }
}

fn at_line(line: usize) -> String {
    if line == 0 {
        String::new()
    } else {
        format!(", ở dòng {line}")
    }
}

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.limit {
            // A limit's message names the template and the line itself.
            Some(_) => f.write_str(&self.message),
            None => write!(f, "mẫu báo cáo, dòng {}: {}", self.line, self.message),
        }
    }
}

impl std::error::Error for TemplateError {}

/// What a review is written from.
pub struct ReviewInput<'a> {
    /// The period's rollup.
    pub rollup: &'a ClusterRollup,
    /// The catalog.
    pub catalog: &'a Catalog,
    /// The conference record, when one was entered.
    pub conference: Option<&'a Conference>,
    /// The body above the cluster, when no conference names it.
    pub issuer: &'a str,
    /// The previous period's rollup, for comparisons.
    pub previous: Option<&'a ClusterRollup>,
    /// Who signs for the cluster this year, when recorded; without it the signature
    /// block shows a placeholder.
    pub signers: Option<&'a Signers>,
}

#[derive(Serialize)]
struct IndicatorView {
    code: String,
    name: String,
    name_lower: String,
    measure: String,
    value_type: &'static str,
    /// The figure as prose says it: "1.084 cuộc", "trên 10 tỷ đồng", "85,01%".
    spoken: String,
    /// "tăng 12 cuộc so với 6 tháng cuối năm 2021", or empty.
    change: String,
    /// The figure and the indicator as one phrase, read after "toàn cụm có": "1.084 cuộc
    /// tuyên truyền …", "tỷ lệ hỏa táng đạt 85,01%", "trên 10 tỷ đồng ủng hộ Quỹ “…”".
    phrase: String,
}

#[derive(Serialize)]
struct GroupView {
    name: String,
    /// The name as it reads after "Về": "vận động ủng hộ và nhân đạo từ thiện".
    name_lower: String,
    indicators: Vec<IndicatorView>,
    /// The group's figures as the clauses of one sentence, each with its change: the
    /// phrase of each indicator, and the indicators of one body named once ("Ban Thanh
    /// tra nhân dân có 354 cuộc giám sát, 59 vụ vi phạm phát hiện và …").
    clauses: Vec<String>,
}

/// Straight double quotes turned into curly ones, opening and closing in turn
/// ("Vì người nghèo" → “Vì người nghèo”), so the prose quotes one way throughout.
pub fn curly_quotes(text: &str) -> String {
    let mut open = true;
    text.chars()
        .map(|c| match c {
            '"' => {
                let q = if open { '“' } else { '”' };
                open = !open;
                q
            }
            '“' => {
                open = false;
                c
            }
            '”' => {
                open = true;
                c
            }
            other => other,
        })
        .collect()
}

/// The figure alone, as prose writes it ("1.084", "2,5").
fn figure(value: &Value) -> Option<String> {
    match value {
        Value::Whole(n) => Some(format_integer(*n)),
        Value::Decimal(x) => Some(format_decimal_trimmed(*x, 2)),
        Value::Text(_) => None,
    }
}

/// An indicator's name and figure as one phrase, read after "toàn cụm có": a count named
/// "Số cuộc giám sát" is "354 cuộc giám sát" (the figure before what it counts), a rate
/// "tỷ lệ hỏa táng đạt 85,01%", a sum of money "trên 10 tỷ đồng ủng hộ Quỹ “…”"; any
/// other name is followed by "là" and the figure.
fn phrase(name: &str, indicator: &Indicator, value: &Value) -> String {
    // Inside a sentence a campaign is "cuộc vận động “…”", as the seed's article writes it.
    let name = curly_quotes(name.trim()).replace(" Cuộc vận động ", " cuộc vận động ");
    let told = spoken(indicator, value);
    match indicator.value_type {
        ValueType::Percent => format!("{} {told}", lower_initial(&name)),
        ValueType::Money => format!("{told} {}", lower_initial(&name)),
        _ => {
            let counted = ["Số ", "số "].iter().find_map(|p| name.strip_prefix(p));
            match (counted, figure(value)) {
                (Some(rest), Some(n)) => {
                    let measure = indicator.measure.trim();
                    if !measure.is_empty() && (rest == measure || rest.starts_with(&format!("{measure} "))) {
                        format!("{n} {rest}")
                    } else {
                        format!("{told} {rest}")
                    }
                }
                _ => format!("{} là {told}", lower_initial(&name)),
            }
        }
    }
}

/// "a, b và c".
fn enumerate_vi(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} và {last}", init.join(", ")),
    }
}

/// The clauses of a group's sentence: indicators named "Body: what" one after another
/// with the same body become one clause naming the body once, and a phrase that ends
/// with the movement the sentence opens with ("Về cuộc vận động “…”, toàn cụm có 1.084
/// cuộc tuyên truyền cuộc vận động “…”") does not say it a second time.
fn clauses(views: &[IndicatorView], catalog_names: &[(&str, Option<&str>)], group_lower: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    let repeated = format!(" {group_lower}");
    while i < views.len() {
        let with_change = |v: &IndicatorView| {
            let phrase = v
                .phrase
                .strip_suffix(&repeated)
                .filter(|rest| !rest.trim().is_empty())
                .unwrap_or(&v.phrase);
            if v.change.is_empty() {
                phrase.to_owned()
            } else {
                format!("{phrase} ({})", v.change)
            }
        };
        match catalog_names[i].1 {
            Some(body) => {
                let mut parts = Vec::new();
                while i < views.len() && catalog_names[i].1 == Some(body) {
                    parts.push(with_change(&views[i]));
                    i += 1;
                }
                out.push(format!("{} có {}", curly_quotes(body), enumerate_vi(&parts)));
            }
            None => {
                out.push(with_change(&views[i]));
                i += 1;
            }
        }
    }
    out
}

/// An indicator's name split at its body ("Ban Thanh tra nhân dân: số cuộc giám sát" →
/// the body and "số cuộc giám sát"), when it names one.
fn body_of(name: &str) -> (&str, Option<&str>) {
    match name.split_once(": ") {
        Some((body, what)) if !body.trim().is_empty() && !what.trim().is_empty() => (what.trim(), Some(body.trim())),
        _ => (name, None),
    }
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        // Keep acronyms and proper names ("Ban Thanh tra", "MTTQ") as written: only a
        // capital followed by a lower-case letter of an ordinary word is lowered.
        Some(c) if text.starts_with("Số ") || text.starts_with("Tỷ ") || text.starts_with("Ủng ") => {
            c.to_lowercase().chain(chars).collect()
        }
        _ => text.to_owned(),
    }
}

/// How prose states a figure.
pub fn spoken(indicator: &Indicator, value: &Value) -> String {
    match (indicator.value_type, value) {
        (ValueType::Money, Value::Whole(n)) => money_prose(*n),
        (ValueType::Percent, v) => format!("đạt {}%", format_decimal_trimmed(v.as_f64().unwrap_or_default(), 2)),
        (_, Value::Whole(n)) => format!("{} {}", format_integer(*n), indicator.measure),
        (_, Value::Decimal(x)) => format!("{} {}", format_decimal_trimmed(*x, 2), indicator.measure),
        (_, Value::Text(t)) => t.clone(),
    }
}

fn change(indicator: &Indicator, now: &Value, before: Option<&Value>, label: &str) -> String {
    let (Some(a), Some(b)) = (now.as_f64(), before.and_then(Value::as_f64)) else {
        return String::new();
    };
    let diff = a - b;
    if diff == 0.0 {
        return format!("bằng {label}");
    }
    let word = if diff > 0.0 { "tăng" } else { "giảm" };
    let amount = match indicator.value_type {
        ValueType::Money => money_prose(diff.abs() as i64),
        ValueType::Percent => format!("{} điểm phần trăm", format_decimal_trimmed(diff.abs(), 2)),
        _ => format!("{} {}", format_integer(diff.abs() as i64), indicator.measure),
    };
    format!("{word} {amount} so với {label}")
}

/// Lowers the first letter of a common phrase, but not of an acronym ("MTTQ …").
fn lower_initial(text: &str) -> String {
    let mut chars = text.chars();
    match (chars.next(), text.chars().nth(1)) {
        (Some(first), Some(second)) if !second.is_uppercase() => first.to_lowercase().chain(chars).collect(),
        _ => text.to_owned(),
    }
}

fn short_member_name(name: &str) -> String {
    name.to_owned()
}

/// Writes the review with `template` (use [`DEFAULT_TEMPLATE`] unless the user edited one),
/// within the limits of this module: at most [`RENDER_FUEL`] of work and [`MAX_OUTPUT`]
/// of text. This is CPU work of up to a second or two: async callers run it on a
/// blocking thread.
pub fn render_review(input: &ReviewInput<'_>, template: &str) -> Result<String, TemplateError> {
    render_counted(input, template).map(|(text, _)| text)
}

/// What a template sees: the variables listed, with their meanings, by
/// [`crate::review_template::fields`] — built here once, so the editor's list is the
/// rendering's own.
pub(crate) fn template_context(input: &ReviewInput<'_>, collator: &Collator) -> serde_json::Value {
    let rollup = input.rollup;
    let mut members: Vec<String> = rollup
        .members
        .iter()
        .map(|(u, _)| short_member_name(u.short_name()))
        .collect();
    collator.sort_by_key(&mut members, |m| m.as_str());
    let period = rollup.period;
    let next = next_period(period);
    let previous_label = input
        .previous
        .map(|p| p.period.label_vi().to_lowercase())
        .unwrap_or_default();
    let groups: Vec<GroupView> = input
        .catalog
        .groups()
        .into_iter()
        .filter_map(|(name, indicators)| {
            let (views, names): (Vec<IndicatorView>, Vec<(&str, Option<&str>)>) = indicators
                .iter()
                .filter_map(|i| {
                    let value = rollup.total.get(&i.code)?;
                    let before = input.previous.and_then(|p| p.total.get(&i.code));
                    let (what, body) = body_of(&i.name);
                    Some((
                        IndicatorView {
                            code: i.code.to_string(),
                            name: curly_quotes(&i.name),
                            name_lower: curly_quotes(&lower_first(&i.name)),
                            measure: i.measure.clone(),
                            value_type: i.value_type.as_str(),
                            spoken: spoken(i, value),
                            change: if previous_label.is_empty() {
                                String::new()
                            } else {
                                change(i, value, before, &previous_label)
                            },
                            phrase: phrase(what, i, value),
                        },
                        (what, body),
                    ))
                })
                .unzip();
            (!views.is_empty()).then(|| {
                let name_lower = curly_quotes(&lower_initial(name));
                GroupView {
                    name: curly_quotes(name),
                    clauses: clauses(&views, &names, &name_lower),
                    name_lower,
                    indicators: views,
                }
            })
        })
        .collect();
    let reporting = reporting(rollup, collator);
    let conference = input.conference.map(|c| {
        serde_json::json!({
            "kind_label": c.kind.label_vi(),
            "kind_title": c.kind.label_vi().trim_start_matches("hội nghị "),
            "time_of_day": c.time_of_day,
            "date": format_date_vi(c.held_on),
            "date_short": format!("{}/{}", chrono::Datelike::day(&c.held_on), chrono::Datelike::month(&c.held_on)),
            "place": c.place,
            "theme": c.theme,
            "attendees": c.attendees,
            "directions": c.directions,
            "author": c.author,
        })
    });
    let issuer = input.conference.map_or(input.issuer, |c| c.issuer.as_str());
    serde_json::json!({
        "cluster": {"name": rollup.cluster.name, "code": rollup.cluster.code.to_string(), "year": rollup.cluster.year},
        "issuer": issuer,
        "period": {
            "code": period.code(),
            "label": period.label_vi(),
            "short": short_label(period),
            "next_label": next.label_vi().to_lowercase(),
        },
        "conference": conference,
        "members": members,
        "groups": groups,
        "previous_label": previous_label,
        "reporting": reporting,
    })
}

/// The review and the fuel its rendering used.
fn render_counted(input: &ReviewInput<'_>, template: &str) -> Result<(String, u64), TemplateError> {
    let rollup = input.rollup;
    let collator = Arc::new(Collator::new());
    let context = template_context(input, &collator);
    let mut env = Environment::new();
    env.set_fuel(Some(RENDER_FUEL));
    env.add_function("range", bounded_range);
    let figures: Vec<(String, Figures)> = rollup
        .members
        .iter()
        .map(|(u, f)| (u.short_name().to_owned(), f.clone()))
        .collect();
    let leaders_collator = collator.clone();
    env.add_function("leaders", move |code: String, threshold: f64| -> Vec<String> {
        let Ok(code) = IndicatorCode::parse(&code) else {
            return Vec::new();
        };
        let mut names: Vec<String> = figures
            .iter()
            .filter(|(_, f)| f.number(&code).is_some_and(|x| x >= threshold))
            .map(|(name, _)| name.clone())
            .collect();
        leaders_collator.sort_by_key(&mut names, |n| n.as_str());
        names
    });
    if template.len() > MAX_TEMPLATE {
        return Err(TemplateError::limit(RenderLimit::TemplateSize, 0));
    }
    // The shipped template is always there to extend: a cluster's own template written
    // by parts (crate::review_template) rewrites some of its blocks and keeps the rest.
    env.add_template(crate::review_template::BASE_NAME, DEFAULT_TEMPLATE)
        .map_err(template_error)?;
    env.add_template("review", template).map_err(template_error)?;
    let tmpl = env.get_template("review").map_err(template_error)?;
    let mut output = CappedOutput::default();
    let used = match tmpl.render_captured_to(TemplateValue::from(minijinja::value::Serde(&context)), &mut output) {
        Ok(captured) => captured.state().fuel_levels().map_or(0, |(used, _)| used),
        Err(e) if output.overflowed => return Err(TemplateError::limit(RenderLimit::Output, e.line().unwrap_or(0))),
        Err(e) => return Err(template_error(e)),
    };
    let text = String::from_utf8(output.bytes).map_err(|_| TemplateError {
        line: 0,
        message: "kết quả không phải văn bản UTF-8".into(),
        limit: None,
    })?;
    Ok((tidy(&text), used))
}

/// Who has sent figures: "x/y thành viên đã gửi báo cáo" when some have not.
#[derive(Serialize)]
struct Reporting {
    /// Members with figures for the period.
    sent: usize,
    /// Members of the cluster.
    expected: usize,
    /// Whether every member has figures.
    complete: bool,
    /// The members without figures, in Vietnamese order.
    missing: Vec<String>,
    /// Who the totals are of: "toàn cụm", or "các thành viên đã gửi báo cáo" while some
    /// have not.
    subject: &'static str,
}

fn reporting(rollup: &ClusterRollup, collator: &Collator) -> Reporting {
    let mut missing: Vec<String> = rollup
        .members
        .iter()
        .filter(|(_, f)| f.is_empty())
        .map(|(u, _)| short_member_name(u.short_name()))
        .collect();
    collator.sort_by_key(&mut missing, |m| m.as_str());
    let expected = rollup.members.len();
    let complete = missing.is_empty();
    Reporting {
        sent: expected - missing.len(),
        expected,
        complete,
        missing,
        subject: if complete {
            "toàn cụm"
        } else {
            "các thành viên đã gửi báo cáo"
        },
    }
}

/// Where a rendering writes: refuses to grow past [`MAX_OUTPUT`], so a template writing
/// without end stops at 2 MB instead of filling the memory.
#[derive(Default)]
struct CappedOutput {
    bytes: Vec<u8>,
    overflowed: bool,
}

impl io::Write for CappedOutput {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.bytes.len().saturating_add(buf.len()) > MAX_OUTPUT {
            self.overflowed = true;
            return Err(io::Error::other("the review passed its output limit"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// `range(stop)`, `range(start, stop)`, `range(start, stop, step)` as in Jinja, giving at
/// most [`MAX_RANGE`] numbers: a review counts members and indicators, never millions.
fn bounded_range(lower: i64, upper: Option<i64>, step: Option<i64>) -> Result<Vec<i64>, minijinja::Error> {
    let (start, stop) = match upper {
        Some(upper) => (lower, upper),
        None => (0, lower),
    };
    let step = step.unwrap_or(1);
    if step == 0 {
        return Err(minijinja::Error::new(
            ErrorKind::InvalidOperation,
            "bước của range() phải khác 0",
        ));
    }
    let (span, stride) = (i128::from(stop) - i128::from(start), i128::from(step));
    let count = if (span > 0) == (stride > 0) && span != 0 {
        (span.abs() + stride.abs() - 1) / stride.abs()
    } else {
        0
    };
    if count > i128::from(MAX_RANGE) {
        return Err(minijinja::Error::new(
            ErrorKind::InvalidOperation,
            format!(
                "range() cho {} số, quá giới hạn {} số",
                thidua_core::number::format_integer(i64::try_from(count).unwrap_or(i64::MAX)),
                thidua_core::number::format_integer(MAX_RANGE)
            ),
        ));
    }
    Ok((0..count as i64).map(|i| start + i * step).collect())
}

/// The review as an official document (DOCX, PDF): the Front's header with the
/// register's number when it has one, the text's body paragraphs, the members' figures
/// as a table, a chart of the first rate among the indicators, and the chair's
/// signature block.
pub fn review_document(input: &ReviewInput<'_>, text: &str, number: Option<u32>) -> crate::document::OfficialDocument {
    let rollup = input.rollup;
    let conference = input.conference;
    let issuer = conference.map_or(input.issuer, |c| c.issuer.as_str());
    // The place of the date line: the conference's, else the chair unit's (where the
    // cluster's documents are issued from), as Nghị định 30/2020 names it.
    let (place, date) = match conference {
        Some(c) => (c.place.clone(), c.held_on),
        None => (
            chair_unit(rollup)
                .map(|u| u.short_name().to_owned())
                .unwrap_or_default(),
            chrono::Local::now().date_naive(),
        ),
    };
    let place_date = crate::document::place_date_line(&place, date);
    let kind = conference.map_or("sơ kết", |c| c.kind.label_vi().trim_start_matches("hội nghị "));
    let author = conference.map(|c| c.author.as_str()).unwrap_or_default();
    let paragraphs = text
        .split("\n\n")
        .skip(1)
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty() && p != author)
        .collect();
    let short = |u: &thidua_core::Unit| u.short_name().trim_start_matches("quận ").to_owned();
    let mut header = vec!["Chỉ tiêu".to_owned(), "ĐVT".to_owned()];
    header.extend(rollup.members.iter().map(|(u, _)| short(u)));
    header.push("Toàn cụm".into());
    // Money in the table in triệu đồng: full đồng do not fit a column of an A4 page.
    let cell = |i: &Indicator, f: &Figures| match (i.value_type, f.get(&i.code)) {
        (ValueType::Money, Some(Value::Whole(n))) => format_decimal_trimmed(*n as f64 / 1e6, 1),
        (_, Some(Value::Whole(n))) => format_integer(*n),
        (_, Some(Value::Decimal(x))) => format_decimal_trimmed(*x, 2),
        (_, Some(Value::Text(t))) => t.clone(),
        (_, None) => "—".into(),
    };
    let rows = input
        .catalog
        .indicators()
        .iter()
        .map(|i| {
            let measure = if i.value_type == ValueType::Money {
                "triệu đồng".to_owned()
            } else {
                i.measure.clone()
            };
            let mut row = vec![curly_quotes(&i.name), measure];
            row.extend(rollup.members.iter().map(|(_, f)| cell(i, f)));
            row.push(cell(i, &rollup.total));
            row
        })
        .collect();
    let mut subtitle = format!("{kind} công tác thi đua - khen thưởng {}", rollup.period.label_vi());
    if let Some(first) = subtitle.get(..1) {
        subtitle = first.to_uppercase() + &subtitle[1..];
    }
    // The chart shows the first rate (a percentage compares across units of any size);
    // without one, the first indicator.
    let charted = input
        .catalog
        .indicators()
        .iter()
        .find(|i| i.value_type == ValueType::Percent)
        .or_else(|| input.catalog.indicators().first());
    let chart = charted.map(|i| crate::chart::BarChart {
        title: format!("{} theo đơn vị, {}", curly_quotes(&i.name), rollup.period.label_vi()),
        measure: if i.value_type == ValueType::Money {
            "triệu đồng".into()
        } else {
            i.measure.clone()
        },
        bars: rollup
            .members
            .iter()
            .map(|(u, f)| crate::chart::Bar {
                label: short(u),
                // A member without a figure has no bar, never a bar of 0.
                value: f
                    .number(&i.code)
                    .map(|x| if i.value_type == ValueType::Money { x / 1e6 } else { x }),
            })
            .collect(),
    });
    crate::document::OfficialDocument {
        issuer: vec![issuer.to_uppercase(), rollup.cluster.name.to_uppercase()],
        number: crate::document::number_line(number, REVIEW_SYMBOL),
        place_date,
        title: "BÁO CÁO".into(),
        subtitle,
        paragraphs,
        tables: vec![crate::document::FigureTable {
            title: format!(
                "KẾT QUẢ CÁC CHỈ TIÊU CỦA CÁC ĐƠN VỊ TRONG CỤM {}",
                rollup.period.label_vi().to_uppercase()
            ),
            header,
            rows,
            widths: Vec::new(),
            text_columns: 2,
        }],
        chart,
        signatures: vec![crate::document::Signature::of(
            &input.signers.map(|s| s.chair.clone()).unwrap_or_default(),
            &[&format!("TM. {}", rollup.cluster.name.to_uppercase()), "CỤM TRƯỞNG"],
        )],
        recipients: vec![
            format!("Thường trực {issuer}"),
            "Các đơn vị trong cụm".into(),
            "Lưu: VT".into(),
        ],
    }
}

/// The cluster's chair unit, when it is among the members.
fn chair_unit(rollup: &ClusterRollup) -> Option<&Unit> {
    let chair = rollup.cluster.chair.as_ref().or(rollup.cluster.host.as_ref())?;
    rollup.members.iter().map(|(u, _)| u).find(|u| &u.code == chair)
}

/// Blank lines collapsed to one, trailing spaces removed: templates stay readable
/// without their whitespace reaching the report.
fn tidy(text: &str) -> String {
    let mut out = String::new();
    let mut blank = 0;
    for line in text.lines().map(str::trim_end) {
        if line.is_empty() {
            blank += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank > 0 { "\n\n" } else { "\n" });
        }
        blank = 0;
        out.push_str(line);
    }
    out.push('\n');
    out
}

fn template_error(e: minijinja::Error) -> TemplateError {
    if e.kind() == ErrorKind::OutOfFuel {
        return TemplateError::limit(RenderLimit::Fuel, e.line().unwrap_or(0));
    }
    let reason = match e.kind() {
        ErrorKind::SyntaxError => "cú pháp mẫu sai",
        ErrorKind::UndefinedError => "dùng biến hoặc thuộc tính không có",
        ErrorKind::UnknownFilter => "bộ lọc không có",
        ErrorKind::UnknownFunction => "hàm không có",
        ErrorKind::InvalidOperation => "phép tính không hợp lệ",
        ErrorKind::TooManyArguments | ErrorKind::MissingArgument => "số đối số của hàm không đúng",
        _ => "lỗi khi dựng báo cáo",
    };
    let detail = e.detail().map(|d| format!(" ({d})")).unwrap_or_default();
    TemplateError {
        line: e.line().unwrap_or(0),
        message: format!("{reason}{detail}"),
        limit: None,
    }
}

/// "6 tháng đầu năm" — the period without its year, as the opening sentence says it.
fn short_label(period: Period) -> String {
    let label = period.label_vi();
    match period.period_type() {
        PeriodType::Year => "năm".to_owned(),
        _ => label
            .rsplit_once(' ')
            .map(|(head, _)| head.trim_end_matches(" năm").to_owned() + " năm")
            .unwrap_or(label),
    }
}

fn next_period(period: Period) -> Period {
    match period {
        Period::Year(y) => Period::Year(y + 1),
        Period::HalfYear(y, 1) => Period::HalfYear(y, 2),
        Period::HalfYear(y, _) => Period::HalfYear(y + 1, 1),
        Period::Quarter(y, 4) => Period::Quarter(y + 1, 1),
        Period::Quarter(y, q) => Period::Quarter(y, q + 1),
        Period::Month(y, 12) => Period::Month(y + 1, 1),
        Period::Month(y, m) => Period::Month(y, m + 1),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use thidua_core::import::{read_clusters, read_indicators, read_units, read_values};
    use thidua_core::rollup::rollup_cluster;
    use thidua_core::{DataValue, UnitTree};

    const DEMO: &str = "../../data/demo";

    fn demo_file(name: &str) -> String {
        std::fs::read_to_string(format!("{}/{DEMO}/{name}", env!("CARGO_MANIFEST_DIR")))
            .unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    fn demo_document() -> (String, crate::document::OfficialDocument) {
        let (rollup, catalog) = demo_rollup();
        let conference = toml_like("");
        let input = ReviewInput {
            rollup: &rollup,
            catalog: &catalog,
            conference: Some(&conference),
            issuer: "",
            previous: None,
            signers: None,
        };
        let text = render_review(&input, DEFAULT_TEMPLATE).unwrap_or_else(|e| panic!("{e}"));
        let doc = review_document(&input, &text, None);
        (text, doc)
    }

    fn demo_rollup() -> (ClusterRollup, Catalog) {
        let units = read_units(&demo_file("units.csv"), &UnitTree::default()).unwrap_or_else(|e| panic!("{e:?}"));
        let tree = UnitTree::new(units.into_iter().map(|l| l.row)).unwrap_or_else(|e| panic!("{e}"));
        let indicators =
            read_indicators(&demo_file("indicators.csv"), &Catalog::default()).unwrap_or_else(|e| panic!("{e:?}"));
        let catalog = Catalog::new(indicators.into_iter().map(|l| l.row).collect()).unwrap_or_else(|e| panic!("{e}"));
        let clusters = read_clusters(&demo_file("clusters.csv"), &tree).unwrap_or_else(|e| panic!("{e:?}"));
        let values: Vec<DataValue> = read_values(&demo_file("values.csv"), &catalog, &tree)
            .unwrap_or_else(|e| panic!("{e:?}"))
            .into_iter()
            .map(|l| l.row)
            .collect();
        (
            rollup_cluster(&catalog, &tree, &clusters[0].row, Period::HalfYear(2022, 1), &values),
            catalog,
        )
    }

    /// The demo's rollup, catalog and conference, for other modules' tests.
    pub(crate) fn demo_input_parts() -> (ClusterRollup, Catalog, Conference) {
        let (rollup, catalog) = demo_rollup();
        (rollup, catalog, toml_like(""))
    }

    fn demo_review(template: &str) -> Result<String, TemplateError> {
        let (rollup, catalog) = demo_rollup();
        let conference = toml_like("");
        render_review(
            &ReviewInput {
                rollup: &rollup,
                catalog: &catalog,
                conference: Some(&conference),
                issuer: "",
                previous: None,
                signers: None,
            },
            template,
        )
    }

    /// The report crate does not parse TOML; the store does. Here a JSON twin is enough.
    fn toml_like(_: &str) -> Conference {
        serde_json::from_value(serde_json::json!({
            "cluster": "HN-CUM2", "period": "2022S1", "kind": "so-ket", "held_on": "2022-07-25",
            "time_of_day": "Sáng", "place": "quận Hà Đông", "host": "HN-HADONG",
            "issuer": "Ủy ban MTTQ Việt Nam Thành phố Hà Nội", "author": "Ủy ban MTTQ quận Hà Đông",
            "theme": "Phát huy sức mạnh khối đại đoàn kết toàn dân tộc",
            "attendees": [{"name": "Nguyễn Anh Tuấn", "title": "Phó Chủ tịch Thường trực Ủy ban MTTQ Việt Nam Thành phố Hà Nội"}],
            "directions": [{"text": "Triển khai tổ chức các hoạt động Ngày hội đại đoàn kết toàn dân tộc"}]
        }))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_demo_review_states_every_figure_of_the_published_article() {
        let text = demo_review(DEFAULT_TEMPLATE).unwrap_or_else(|e| panic!("{e}"));
        for phrase in [
            "Sáng 25/7, tại quận Hà Đông, Cụm thi đua số 2 - Ủy ban MTTQ Việt Nam Thành phố Hà Nội đã tổ chức hội nghị sơ kết",
            "6 tháng cuối năm 2022",
            "tỷ lệ hỏa táng đạt 85,01%",
            "quận Cầu Giấy, quận Hà Đông, quận Tây Hồ có tỷ lệ hỏa táng cao nhất, đạt 98% trở lên",
            "trên 10 tỷ đồng ủng hộ Quỹ “Vì biển, đảo Việt Nam”",
            "trên 1,2 tỷ đồng ủng hộ Quỹ “Vì người nghèo”",
            "1.084 cuộc",
            "12 hội chợ",
            "20 chuyến",
            "39 cuộc",
            "63 cuộc",
            "354 cuộc",
            "59 vụ",
            "56 vụ",
            "189 công trình",
            "5 công trình",
            "Nguyễn Anh Tuấn - Phó Chủ tịch Thường trực",
            "1. Triển khai tổ chức các hoạt động Ngày hội đại đoàn kết toàn dân tộc.",
        ] {
            assert!(text.contains(phrase), "missing «{phrase}» in:\n{text}");
        }
    }

    #[test]
    fn the_prose_turns_indicator_names_into_phrases_one_sentence_per_movement_with_curly_quotes() {
        let text = demo_review(DEFAULT_TEMPLATE).unwrap_or_else(|e| panic!("{e}"));
        // The figure before what it counts, not glued after the indicator's name.
        // … and the movement the sentence opens with is not said again inside it.
        assert!(
            text.contains("Về cuộc vận động “Người Việt Nam ưu tiên dùng hàng Việt Nam”, toàn cụm có 1.084 cuộc tuyên truyền; 12 hội chợ"),
            "{text}"
        );
        assert_eq!(
            text.matches("“Người Việt Nam ưu tiên dùng hàng Việt Nam”").count(),
            1,
            "{text}"
        );
        assert!(
            !text.contains("Việt Nam” 1.084") && !text.contains("Việt Nam\" 1.084"),
            "{text}"
        );
        // A body named once for its figures, not before each of them.
        assert_eq!(text.matches("Ban Thanh tra nhân dân").count(), 1, "{text}");
        assert!(
            text.contains("Ban Thanh tra nhân dân có 354 cuộc giám sát, 59 vụ vi phạm phát hiện, 59 vụ kiến nghị cơ quan có thẩm quyền giải quyết và 56 vụ đã được cơ quan có thẩm quyền giải quyết"),
            "{text}"
        );
        assert!(!text.contains(": số "), "{text}");
        // One way of quoting: curly, paired.
        assert!(!text.contains('"'), "straight quotes in:\n{text}");
        assert_eq!(text.matches('“').count(), text.matches('”').count(), "{text}");
        // One sentence per movement: each "Về …" paragraph holds one sentence of figures.
        let movements: Vec<&str> = text.split("\n\n").filter(|p| p.starts_with("Về ")).collect();
        assert_eq!(movements.len(), 4, "{text}");
        for p in movements {
            let figures = p.split(" Trong đó ").next().unwrap_or_default();
            assert_eq!(figures.matches(". ").count(), 0, "more than one sentence: {p}");
        }
    }

    /// The demo's rollup with figures from `reporting` members only.
    pub(crate) fn rollup_of(reporting: &[&str]) -> (ClusterRollup, Catalog) {
        let units = read_units(&demo_file("units.csv"), &UnitTree::default()).unwrap_or_else(|e| panic!("{e:?}"));
        let tree = UnitTree::new(units.into_iter().map(|l| l.row)).unwrap_or_else(|e| panic!("{e}"));
        let indicators =
            read_indicators(&demo_file("indicators.csv"), &Catalog::default()).unwrap_or_else(|e| panic!("{e:?}"));
        let catalog = Catalog::new(indicators.into_iter().map(|l| l.row).collect()).unwrap_or_else(|e| panic!("{e}"));
        let clusters = read_clusters(&demo_file("clusters.csv"), &tree).unwrap_or_else(|e| panic!("{e:?}"));
        let values: Vec<DataValue> = read_values(&demo_file("values.csv"), &catalog, &tree)
            .unwrap_or_else(|e| panic!("{e:?}"))
            .into_iter()
            .map(|l| l.row)
            .filter(|v| reporting.contains(&v.unit.as_str()))
            .collect();
        (
            rollup_cluster(&catalog, &tree, &clusters[0].row, Period::HalfYear(2022, 1), &values),
            catalog,
        )
    }

    #[test]
    fn an_incomplete_cluster_says_how_many_members_sent_figures_and_its_chart_draws_no_zero() {
        let (rollup, catalog) = rollup_of(&["HN-HADONG", "HN-TAYHO"]);
        let input = ReviewInput {
            rollup: &rollup,
            catalog: &catalog,
            conference: None,
            issuer: "Ủy ban MTTQ Việt Nam Thành phố Hà Nội",
            previous: None,
            signers: None,
        };
        let text = render_review(&input, DEFAULT_TEMPLATE).unwrap_or_else(|e| panic!("{e}"));
        assert!(text.contains("2/6 thành viên đã gửi báo cáo"), "{text}");
        assert!(
            text.contains("chưa có số liệu của quận Bắc Từ Liêm, quận Cầu Giấy, quận Nam Từ Liêm, quận Thanh Xuân"),
            "{text}"
        );
        assert!(
            !text.contains("toàn cụm có"),
            "two members' figures are not the cluster's: {text}"
        );
        assert!(text.contains("các thành viên đã gửi báo cáo có"), "{text}");
        let doc = review_document(&input, &text, None);
        let chart = doc.chart.unwrap_or_default();
        let drawn: Vec<(&str, bool)> = chart
            .bars
            .iter()
            .map(|b| (b.label.as_str(), b.value.is_some()))
            .collect();
        assert_eq!(
            drawn,
            [
                ("Hà Đông", true),
                ("Thanh Xuân", false),
                ("Cầu Giấy", false),
                ("Tây Hồ", true),
                ("Bắc Từ Liêm", false),
                ("Nam Từ Liêm", false),
            ]
        );
        // A complete cluster says nothing of the kind.
        let full = demo_review(DEFAULT_TEMPLATE).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            !full.contains("thành viên đã gửi báo cáo") && full.contains("toàn cụm có"),
            "{full}"
        );
    }

    #[test]
    fn a_review_without_a_conference_is_dated_at_the_chair_unit_s_place() {
        let (rollup, catalog) = demo_rollup();
        let input = ReviewInput {
            rollup: &rollup,
            catalog: &catalog,
            conference: None,
            issuer: "Ủy ban MTTQ Việt Nam Thành phố Hà Nội",
            previous: None,
            signers: None,
        };
        let text = render_review(&input, DEFAULT_TEMPLATE).unwrap_or_else(|e| panic!("{e}"));
        let doc = review_document(&input, &text, None);
        assert!(doc.place_date.starts_with("Hà Đông, ngày "), "{}", doc.place_date);
    }

    fn signers() -> Signers {
        Signers {
            cluster: thidua_core::ClusterCode::parse("HN-CUM2").unwrap_or_else(|e| panic!("{e}")),
            year: 2022,
            chair: thidua_core::signers::Signer {
                authority: "TM. BAN THƯỜNG TRỰC".into(),
                title: "CHỦ TỊCH".into(),
                name: "Nguyễn Văn An".into(),
            },
            secretary: "Lê Thị Hoa".into(),
            teller: "Trần Văn Bình".into(),
        }
    }

    #[test]
    fn the_review_is_signed_by_the_recorded_signer_else_shows_a_placeholder() {
        let (rollup, catalog) = demo_rollup();
        let conference = toml_like("");
        let signers = signers();
        let mut input = ReviewInput {
            rollup: &rollup,
            catalog: &catalog,
            conference: Some(&conference),
            issuer: "",
            previous: None,
            signers: Some(&signers),
        };
        let text = render_review(&input, DEFAULT_TEMPLATE).unwrap_or_else(|e| panic!("{e}"));
        let signed = review_document(&input, &text, None);
        assert_eq!(
            signed.signatures,
            [crate::document::Signature::named(
                vec!["TM. BAN THƯỜNG TRỰC".into(), "CHỦ TỊCH".into()],
                "Nguyễn Văn An"
            )]
        );
        let docx = crate::docx::write_docx(&signed).unwrap_or_else(|e| panic!("{e}"));
        let json = docx_rs::read_docx(&docx).unwrap_or_else(|e| panic!("{e}")).json();
        assert!(json.contains("TM. BAN THƯỜNG TRỰC") && json.contains("Nguyễn Văn An"));
        input.signers = None;
        let unsigned = review_document(&input, &text, None);
        assert_eq!(unsigned.signatures[0].name, crate::document::NO_SIGNER);
        assert_eq!(unsigned.signatures[0].lines, ["TM. CỤM THI ĐUA SỐ 2", "CỤM TRƯỞNG"]);
    }

    #[test]
    fn the_demo_review_becomes_an_official_document_dated_at_the_conference() {
        let (text, doc) = demo_document();
        assert!(text.contains("85,01%"));
        assert_eq!(doc.place_date, "Hà Đông, ngày 25 tháng 7 năm 2022");
        assert_eq!(
            doc.issuer,
            ["ỦY BAN MTTQ VIỆT NAM THÀNH PHỐ HÀ NỘI", "CỤM THI ĐUA SỐ 2"]
        );
        assert_eq!(
            doc.subtitle,
            "Sơ kết công tác thi đua - khen thưởng 6 tháng đầu năm 2022"
        );
        assert!(doc.paragraphs[0].starts_with("Sáng 25/7"));
        assert!(
            !doc.paragraphs.iter().any(|p| p == "Ủy ban MTTQ quận Hà Đông"),
            "the news byline is not in the document"
        );
        let table = doc.tables.first().cloned().unwrap_or_default();
        assert_eq!(table.header.last().map(String::as_str), Some("Toàn cụm"));
        assert!(
            table
                .rows
                .iter()
                .any(|r| r.first().is_some_and(|n| n.starts_with("Tỷ lệ")) && r.last().is_some_and(|v| v == "85,01"))
        );
    }

    /// Where LibreOffice is installed, the DOCX must open in it and keep its Vietnamese
    /// text; elsewhere the parse check of `docx.rs` stands alone — except under
    /// `CI=true`, where `.ci/run` installs LibreOffice and a missing one fails.
    #[test]
    fn libreoffice_opens_the_docx_and_keeps_the_vietnamese_text() {
        let has = |cmd: &str| {
            std::process::Command::new("which")
                .arg(cmd)
                .output()
                .is_ok_and(|o| o.status.success())
        };
        if !has("libreoffice") || !has("pdftotext") {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "libreoffice or pdftotext is missing: CI must open the DOCX in LibreOffice"
            );
            eprintln!("skipped: libreoffice or pdftotext is not installed");
            return;
        }
        let (_, doc) = demo_document();
        let bytes = crate::docx::write_docx(&doc).unwrap_or_else(|e| panic!("{e}"));
        let dir = std::env::temp_dir().join(format!("thidua-lo-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let docx = dir.join("bao-cao.docx");
        std::fs::write(&docx, bytes).unwrap_or_else(|e| panic!("{e}"));
        let converted = std::process::Command::new("libreoffice")
            .args(["--headless", "--convert-to", "pdf", "--outdir"])
            .arg(&dir)
            .arg(&docx)
            .env("HOME", &dir)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            converted.status.success(),
            "{}",
            String::from_utf8_lossy(&converted.stderr)
        );
        let text = std::process::Command::new("pdftotext")
            .arg(dir.join("bao-cao.pdf"))
            .arg("-")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        let _ = std::fs::remove_dir_all(&dir);
        for phrase in [
            "ỦY BAN MTTQ VIỆT NAM",
            "Độc lập - Tự do - Hạnh phúc",
            "Hà Đông, ngày 25 tháng 7 năm 2022",
            "85,01%",
            "CỤM TRƯỞNG",
        ] {
            assert!(text.contains(phrase), "{phrase} missing from the PDF:\n{text}");
        }
    }

    /// The figures workbook opens in LibreOffice too (where it is installed): converted to
    /// CSV, its first sheet names the members and the cluster total.
    #[test]
    fn libreoffice_opens_the_figures_workbook() {
        if std::process::Command::new("libreoffice")
            .arg("--version")
            .output()
            .is_err()
        {
            eprintln!("skipped: libreoffice is not installed");
            return;
        }
        let (rollup, catalog) = demo_rollup();
        let bytes = crate::rollup_sheet::write_rollup(&rollup, &catalog).unwrap_or_else(|e| panic!("{e}"));
        let dir = std::env::temp_dir().join(format!("thidua-lo-xlsx-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let xlsx = dir.join("so-lieu.xlsx");
        std::fs::write(&xlsx, bytes).unwrap_or_else(|e| panic!("{e}"));
        let converted = std::process::Command::new("libreoffice")
            .args([
                "--headless",
                "--convert-to",
                "csv:Text - txt - csv (StarCalc):44,34,76",
                "--outdir",
            ])
            .arg(&dir)
            .arg(&xlsx)
            .env("HOME", &dir)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        let csv = std::fs::read_to_string(dir.join("so-lieu.csv"));
        let _ = std::fs::remove_dir_all(&dir);
        assert!(
            converted.status.success(),
            "{}",
            String::from_utf8_lossy(&converted.stderr)
        );
        // LibreOffice without Calc (Writer alone) has no spreadsheet filter.
        let Ok(csv) = csv else {
            eprintln!("skipped: LibreOffice Calc is not installed");
            return;
        };
        for name in ["Hà Đông", "Bắc Từ Liêm", "Toàn cụm", "4130"] {
            assert!(csv.contains(name), "{name} missing from the workbook:\n{csv}");
        }
    }

    /// poppler's tools are installed by `.ci/run`; a developer without them gets a
    /// skip, CI never does.
    fn poppler(tool: &str) -> bool {
        let there = std::process::Command::new(tool).arg("-v").output().is_ok();
        assert!(
            there || std::env::var("CI").as_deref() != Ok("true"),
            "{tool} is missing: CI must check the PDF"
        );
        there
    }

    #[cfg(feature = "pdf")]
    #[test]
    fn the_pdf_carries_the_front_s_header_and_the_names_with_their_diacritics_and_its_pages_render() {
        if !poppler("pdftotext") || !poppler("pdftoppm") {
            eprintln!("skipped: poppler-utils is not installed");
            return;
        }
        let (_, mut doc) = demo_document();
        doc.number = crate::document::number_line(Some(7), REVIEW_SYMBOL);
        let bytes = crate::pdf::write_pdf(&doc).unwrap_or_else(|e| panic!("{e}"));
        assert!(bytes.starts_with(b"%PDF-"));
        let dir = std::env::temp_dir().join(format!("thidua-pdf-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let pdf = dir.join("bao-cao.pdf");
        std::fs::write(&pdf, &bytes).unwrap_or_else(|e| panic!("{e}"));
        let text = std::process::Command::new("pdftotext")
            .args(["-layout"])
            .arg(&pdf)
            .arg("-")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        let rendered = std::process::Command::new("pdftoppm")
            .args(["-png", "-r", "50"])
            .arg(&pdf)
            .arg(dir.join("trang"))
            .status()
            .is_ok_and(|s| s.success());
        let pages = std::fs::read_dir(&dir)
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter(|e| e.file_name().to_string_lossy().ends_with(".png"))
                    .filter(|e| e.metadata().is_ok_and(|m| m.len() > 1000))
                    .count()
            })
            .unwrap_or(0);
        let _ = std::fs::remove_dir_all(&dir);
        // The issuing body wraps in its narrow column, as on paper.
        for phrase in [
            "ỦY BAN MTTQ VIỆT NAM",
            "THÀNH PHỐ HÀ NỘI",
            "CỤM THI ĐUA SỐ 2",
            "Số: 7/BC-CTĐ",
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            "Độc lập - Tự do - Hạnh phúc",
            "Hà Đông, ngày 25 tháng 7 năm 2022",
            "Sơ kết công tác thi đua - khen thưởng 6 tháng đầu năm 2022",
            "Nguyễn Anh Tuấn",
            "85,01%",
            "trên 10 tỷ đồng",
            "Thanh Xuân",
            "Bắc Từ Liêm",
            "10.266,5",
            "CỤM TRƯỞNG",
            crate::document::NO_SIGNER,
            "Nơi nhận:",
        ] {
            assert!(text.contains(phrase), "«{phrase}» missing from the PDF:\n{text}");
        }
        assert!(rendered, "pdftoppm failed");
        assert!(pages >= 2, "the report renders to {pages} pages");
    }

    #[test]
    fn the_rollup_workbook_holds_the_members_and_the_cluster_total() {
        use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
        let (rollup, catalog) = demo_rollup();
        let bytes = crate::rollup_sheet::write_rollup(&rollup, &catalog).unwrap_or_else(|e| panic!("{e}"));
        let mut book: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(book.sheet_names().len(), 4);
        let first = book.sheet_names()[0].clone();
        let range = book.worksheet_range(&first).unwrap_or_else(|e| panic!("{e}"));
        let total_row = range
            .rows()
            .find(|r| r.first() == Some(&Data::String("Toàn cụm".into())))
            .map(<[Data]>::to_vec);
        let total = total_row.unwrap_or_default();
        assert_eq!(total.get(1), Some(&Data::Float(4130.0)));
        assert!(matches!(total.get(3), Some(Data::Float(x)) if (x - 85.0121).abs() < 0.001));
    }

    #[test]
    fn members_are_named_in_vietnamese_order() {
        let text = demo_review(DEFAULT_TEMPLATE).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            text.contains(
                "quận Bắc Từ Liêm, quận Cầu Giấy, quận Hà Đông, quận Nam Từ Liêm, quận Tây Hồ, quận Thanh Xuân"
            ),
            "{text}"
        );
    }

    #[test]
    fn a_template_error_names_its_line_and_does_not_panic() {
        let err = demo_review("Dòng một\n{% for g in groups %}\n{{ g.name }").err();
        assert_eq!(err.as_ref().map(|e| e.line), Some(3), "{err:?}");
        assert!(err.is_some_and(|e| e.to_string().starts_with("mẫu báo cáo, dòng 3: cú pháp mẫu sai")));
        let unknown = demo_review("{{ groups | khong_co }}")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(unknown.contains("bộ lọc không có"), "{unknown}");
    }

    #[test]
    fn nested_huge_loops_run_out_of_fuel_with_a_vietnamese_message_naming_the_limit() {
        let err = demo_review("{% for i in range(10000) %}{% for j in range(10000) %}{{ i }}{% endfor %}{% endfor %}")
            .err()
            .unwrap_or_else(|| panic!("a hundred million steps were rendered"));
        assert_eq!(err.limit, Some(RenderLimit::Fuel), "{err}");
        assert!(
            err.to_string().starts_with("mẫu báo cáo chạy quá giới hạn tính toán"),
            "{err}"
        );
    }

    #[test]
    fn a_range_of_a_hundred_thousand_numbers_is_refused_by_name() {
        let err = demo_review("{% for i in range(100000) %}{% endfor %}")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("range() cho 100.000 số, quá giới hạn 10.000 số"), "{err}");
        assert_eq!(
            demo_review("{% for i in range(1, 10, 3) %}{{ i }},{% endfor %}{{ range(5, 0, -2) | join(\"-\") }}").ok(),
            Some("1,4,7,5-3-1\n".to_owned())
        );
        assert!(demo_review("{{ range(1, 2, 0) }}").is_err());
    }

    #[test]
    fn a_string_repeated_to_a_hundred_megabytes_is_refused_before_it_is_made() {
        for template in [
            "{{ \"x\" * 100000000 }}",
            "{% set s = \"ab\" * 10000000 %}{{ s | length }}",
            "{{ ([\"x\" * 1000000] * 1000) | join(\"\") | length }}",
            "{{ \"a\\nb\" | indent(100000000) | length }}",
            "{{ \"%100000000s\" | format(\"x\") | length }}",
            "{{ (\"x\" * 1000000) | replace(\"x\", \"yyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\") | length }}",
        ] {
            let err = demo_review(template)
                .err()
                .unwrap_or_else(|| panic!("{template} was rendered"));
            assert!(
                matches!(err.limit, Some(RenderLimit::Fuel | RenderLimit::Output)),
                "{template}: {err}"
            );
        }
    }

    #[test]
    fn an_output_past_two_megabytes_stops_with_a_message_naming_the_limit() {
        // 3 MB written in pieces of 100 kB: cheap in fuel (few steps, each piece paid
        // once), stopped by the output limit.
        let err = demo_review("{% set s = \"x\" * 100000 %}{% for i in range(30) %}{{ s }}{% endfor %}")
            .err()
            .unwrap_or_else(|| panic!("3 MB were written"));
        assert_eq!(err.limit, Some(RenderLimit::Output), "{err}");
        assert!(err.to_string().contains("kết quả dài quá 2 MB"), "{err}");
    }

    fn fuel_used(input: &ReviewInput<'_>, template: &str) -> u64 {
        render_counted(input, template).map_or_else(|e| panic!("{e}"), |(_, used)| used)
    }

    #[test]
    fn the_shipped_template_uses_a_small_part_of_the_fuel() {
        let (rollup, catalog) = demo_rollup();
        let conference = toml_like("");
        let input = ReviewInput {
            rollup: &rollup,
            catalog: &catalog,
            conference: Some(&conference),
            issuer: "",
            previous: Some(&rollup),
            signers: None,
        };
        // A template as long as the limit allows still renders when it is plain text.
        assert!(render_review(&input, &"a".repeat(MAX_TEMPLATE)).is_ok());
        let too_long = render_review(&input, &"a".repeat(MAX_TEMPLATE + 1)).err();
        assert_eq!(too_long.and_then(|e| e.limit), Some(RenderLimit::TemplateSize));
        let used = fuel_used(&input, DEFAULT_TEMPLATE);
        assert!(used * 20 < RENDER_FUEL, "the shipped template used {used} fuel");
    }

    #[test]
    fn a_change_against_the_previous_period_is_worded() {
        let ind = Indicator {
            code: IndicatorCode::parse("A").unwrap_or_else(|e| panic!("{e}")),
            name: "Số cuộc".into(),
            measure: "cuộc".into(),
            value_type: ValueType::Integer,
            aggregation: thidua_core::Aggregation::Sum,
            formula: None,
            group: "G".into(),
        };
        assert_eq!(
            change(
                &ind,
                &Value::Whole(120),
                Some(&Value::Whole(100)),
                "6 tháng cuối năm 2021"
            ),
            "tăng 20 cuộc so với 6 tháng cuối năm 2021"
        );
        assert_eq!(
            change(&ind, &Value::Whole(90), Some(&Value::Whole(100)), "kỳ trước"),
            "giảm 10 cuộc so với kỳ trước"
        );
    }
}
