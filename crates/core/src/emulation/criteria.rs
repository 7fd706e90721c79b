//! Tiêu chí thi đua — the criteria set a cluster level is scored by in one year: a tree
//! of groups and items, each with its maximum points; an item is scored by hand or
//! computed from the unit's rolled-up indicators (target reached → full points, linear
//! or in steps below it); bonus rules (điểm thưởng, capped) and penalty rules (điểm
//! trừ); and the total scale (thang điểm: 90, 95, 100 are all in use), which no total
//! exceeds.
//!
//! A set is read from [`CriteriaFile`] — the shape of `data/demo/criteria-2022.toml`,
//! deserialisable from TOML or JSON by the caller — and checked whole, so a
//! [`CriteriaSet`] in hand is always consistent: codes are unique, a group's maximum is
//! the sum of its items', the items fit in the scale, every computed item has a target.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::code::IndicatorCode;
use crate::emulation::{Points, required_text};
use crate::error::Error;
use crate::formula::Formula;
use crate::indicator::Catalog;

crate::code::code_type!(
    /// Mã tiêu chí — the code of a criterion, bonus or penalty rule as the printed table
    /// numbers it: "I", "I.2", "II.3.a", "T1", "TRU-2". ASCII letters, digits, `.`, `-`,
    /// `_`; at most 32 characters.
    CriterionCode,
    "mã tiêu chí",
    max = 32,
    allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')
);

/// Cách tính điểm dưới chỉ tiêu — how a computed item earns points below its target.
#[derive(Debug, Clone, PartialEq)]
pub enum Curve {
    /// Đạt mới có điểm — full points at the target, none below it.
    Full,
    /// Tuyến tính — nothing at `floor` or below, rising in a straight line to full points
    /// at the target.
    Linear {
        /// The figure that earns nothing.
        floor: f64,
    },
    /// Bậc thang — the points of the highest step reached; full points at the target.
    Steps(Vec<Step>),
}

/// Một bậc — from this figure on, these points.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step {
    /// The figure the step starts at.
    pub from: f64,
    /// The points it gives.
    pub points: Points,
}

/// Khi không có số liệu — what a computed item earns when its figure cannot be computed
/// (nothing reported, or a ratio over zero cases).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoData {
    /// Không có điểm — nothing (the default).
    Zero,
    /// Đủ điểm — full points: nothing happened that needed doing (e.g. no complaint to
    /// resolve).
    Full,
}

/// Tiêu chí tính tự động — how an item is computed from indicators.
#[derive(Debug, Clone, PartialEq)]
pub struct Computation {
    /// The figure measured: an indicator code or a formula over indicators
    /// (`100 * TTND_DA_GIAI_QUYET / TTND_KIEN_NGHI`), evaluated on rolled-up figures.
    pub measure: Formula,
    /// Chỉ tiêu — the figure that earns full points.
    pub target: f64,
    /// Below the target.
    pub curve: Curve,
    /// Without a figure.
    pub no_data: NoData,
}

impl Computation {
    /// The points earned by `value` out of `max`. Points are cut down to the hundredth,
    /// never rounded up, so a unit never gets more than it earned.
    pub fn points(&self, max: Points, value: Option<f64>) -> Points {
        let Some(value) = value.filter(|v| v.is_finite()) else {
            return match self.no_data {
                NoData::Zero => Points::ZERO,
                NoData::Full => max,
            };
        };
        if value >= self.target {
            return max;
        }
        match &self.curve {
            Curve::Full => Points::ZERO,
            Curve::Linear { floor } => {
                if value <= *floor {
                    return Points::ZERO;
                }
                let share = (value - floor) / (self.target - floor);
                let hundredths = (max.hundredths() as f64 * share).floor();
                // 0 <= share < 1, so the result lies in 0..max.
                Points::from_hundredths(hundredths as i64)
                    .unwrap_or(Points::ZERO)
                    .min(max)
            }
            Curve::Steps(steps) => steps
                .iter()
                .filter(|s| value >= s.from)
                .map(|s| s.points)
                .max()
                .unwrap_or(Points::ZERO),
        }
    }
}

/// What kind of node a criterion is.
#[derive(Debug, Clone, PartialEq)]
pub enum CriterionKind {
    /// Nhóm tiêu chí — a group; its maximum is the sum of its items'.
    Group(Vec<Criterion>),
    /// Chấm thủ công — scored by hand, with evidence.
    Manual,
    /// Tính tự động — computed from indicators.
    Computed(Computation),
}

/// Tiêu chí thi đua — a criterion: a group or an item of the table.
#[derive(Debug, Clone, PartialEq)]
pub struct Criterion {
    /// Its code ("II.3").
    pub code: CriterionCode,
    /// Its wording.
    pub name: String,
    /// Điểm tối đa — the most it can earn.
    pub max: Points,
    /// Hướng dẫn chấm — how to score it and what evidence to attach.
    pub guidance: String,
    /// Group, manual or computed.
    pub kind: CriterionKind,
}

impl Criterion {
    /// Whether this is a group of other criteria.
    pub fn is_group(&self) -> bool {
        matches!(self.kind, CriterionKind::Group(_))
    }

    /// The items under a group (empty for an item).
    pub fn children(&self) -> &[Criterion] {
        match &self.kind {
            CriterionKind::Group(children) => children,
            _ => &[],
        }
    }

    /// How the item is computed, when it is.
    pub fn computation(&self) -> Option<&Computation> {
        match &self.kind {
            CriterionKind::Computed(c) => Some(c),
            _ => None,
        }
    }
}

/// Điểm thưởng / điểm trừ — a bonus or penalty rule: points given for an achievement or
/// taken for a failing, up to the rule's maximum.
#[derive(Debug, Clone, PartialEq)]
pub struct AdjustmentRule {
    /// Its code ("T1", "TRU-2").
    pub code: CriterionCode,
    /// Its wording.
    pub name: String,
    /// The most this rule can give or take.
    pub max: Points,
    /// Points per case ("trừ 0,5 điểm mỗi lần"), when the rule counts cases.
    pub per_case: Option<Points>,
    /// How to apply it.
    pub guidance: String,
}

/// What a code names in a set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Entry<'a> {
    /// A group or item.
    Criterion(&'a Criterion),
    /// A bonus rule.
    Bonus(&'a AdjustmentRule),
    /// A penalty rule.
    Penalty(&'a AdjustmentRule),
}

/// One row of the table as printed: a criterion and how deep it sits (0 for a group).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Row<'a> {
    /// Nesting depth, 0 at the top.
    pub depth: usize,
    /// The criterion.
    pub criterion: &'a Criterion,
}

/// Bảng tiêu chí thi đua — the criteria set of one cluster level for one year. Built only
/// by [`CriteriaSet::from_file`], so it always holds together.
#[derive(Debug, Clone, PartialEq)]
pub struct CriteriaSet {
    level: String,
    year: i32,
    name: String,
    issuer: String,
    scale: Points,
    bonus_cap: Points,
    penalty_cap: Option<Points>,
    groups: Vec<Criterion>,
    bonuses: Vec<AdjustmentRule>,
    penalties: Vec<AdjustmentRule>,
}

/// Reads a criteria set from TOML (the shape of `data/demo/criteria-2022.toml`): a
/// mistake in the file is told with its line and column ([`crate::toml_file`]).
pub fn parse_criteria_toml(text: &str) -> Result<CriteriaSet, Error> {
    let file: CriteriaFile = crate::toml_file::parse("tệp bảng tiêu chí", "data/demo/criteria-2022.toml", text)?;
    CriteriaSet::from_file(file)
}

impl CriteriaSet {
    /// Cấp cụm — the level of the clusters it applies to: the kind of their member units
    /// (`district` for clusters of districts, `ward` for clusters of wards).
    pub fn level(&self) -> &str {
        &self.level
    }

    /// The year.
    pub fn year(&self) -> i32 {
        self.year
    }

    /// Its title ("Bảng tiêu chí chấm điểm thi đua … năm 2022").
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The body that issued it.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Thang điểm — the most a total can be.
    pub fn scale(&self) -> Points {
        self.scale
    }

    /// The most bonus points count, all rules together.
    pub fn bonus_cap(&self) -> Points {
        self.bonus_cap
    }

    /// The most penalty points count, all rules together, when capped.
    pub fn penalty_cap(&self) -> Option<Points> {
        self.penalty_cap
    }

    /// The top-level groups.
    pub fn groups(&self) -> &[Criterion] {
        &self.groups
    }

    /// Bonus rules.
    pub fn bonuses(&self) -> &[AdjustmentRule] {
        &self.bonuses
    }

    /// Penalty rules.
    pub fn penalties(&self) -> &[AdjustmentRule] {
        &self.penalties
    }

    /// The most the criteria themselves give (without bonus).
    pub fn criteria_max(&self) -> Points {
        self.groups.iter().map(|g| g.max).sum()
    }

    /// Every group and item, depth first, as the table prints them.
    pub fn rows(&self) -> Vec<Row<'_>> {
        fn walk<'a>(c: &'a Criterion, depth: usize, out: &mut Vec<Row<'a>>) {
            out.push(Row { depth, criterion: c });
            for child in c.children() {
                walk(child, depth + 1, out);
            }
        }
        let mut out = Vec::new();
        for g in &self.groups {
            walk(g, 0, &mut out);
        }
        out
    }

    /// The items that are scored (leaves of the tree), in table order.
    pub fn items(&self) -> Vec<&Criterion> {
        self.rows()
            .into_iter()
            .map(|r| r.criterion)
            .filter(|c| !c.is_group())
            .collect()
    }

    /// What `code` names, if anything.
    pub fn find(&self, code: &CriterionCode) -> Option<Entry<'_>> {
        if let Some(row) = self.rows().into_iter().find(|r| &r.criterion.code == code) {
            return Some(Entry::Criterion(row.criterion));
        }
        if let Some(b) = self.bonuses.iter().find(|b| &b.code == code) {
            return Some(Entry::Bonus(b));
        }
        self.penalties.iter().find(|p| &p.code == code).map(Entry::Penalty)
    }

    /// The indicators that computed items read.
    pub fn indicators(&self) -> BTreeSet<&IndicatorCode> {
        self.items()
            .into_iter()
            .filter_map(Criterion::computation)
            .flat_map(|c| c.measure.references())
            .collect()
    }

    /// Checks that every indicator a computed item reads is in the catalog.
    pub fn check_indicators(&self, catalog: &Catalog) -> Result<(), Error> {
        for item in self.items() {
            if let Some(c) = item.computation() {
                for code in c.measure.references() {
                    if catalog.get(code).is_none() {
                        return Err(Error::InvalidCriterion {
                            code: item.code.to_string(),
                            reason: format!("chỉ tiêu {code} không có trong danh mục chỉ tiêu"),
                        });
                    }
                }
            }
        }
        Ok(())
    }

    /// The same set for another year — how a new year starts from last year's table. A
    /// year named in the title moves with it ("năm 2022" → "năm 2023").
    pub fn for_year(&self, year: i32) -> Result<CriteriaSet, Error> {
        let mut file = self.to_file();
        file.name = file.name.replace(&self.year.to_string(), &year.to_string());
        file.year = year;
        CriteriaSet::from_file(file)
    }

    /// Checks a file and builds the set from it.
    pub fn from_file(file: CriteriaFile) -> Result<CriteriaSet, Error> {
        let level = file.level.trim().to_owned();
        if level.is_empty()
            || !level
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_'))
        {
            return Err(Error::InvalidField {
                field: "cấp cụm (level)",
                value: file.level,
                expected: "chữ thường không dấu, ví dụ district hoặc ward",
            });
        }
        if !(2000..=2100).contains(&file.year) {
            return Err(Error::InvalidField {
                field: "năm",
                value: file.year.to_string(),
                expected: "một năm từ 2000 đến 2100",
            });
        }
        let set_points = |what: &str, x: f64| {
            Points::from_f64(x).ok_or_else(|| {
                Error::InvalidCriteria(format!(
                    "{what} «{x}» không hợp lệ (cần số không âm, nhiều nhất hai chữ số thập phân)"
                ))
            })
        };
        let scale = set_points("thang điểm", file.scale)?;
        if scale == Points::ZERO {
            return Err(Error::InvalidCriteria("thang điểm phải lớn hơn 0".into()));
        }
        let bonus_cap = set_points("điểm thưởng tối đa", file.bonus_cap)?;
        let penalty_cap = file.penalty_cap.map(|x| set_points("điểm trừ tối đa", x)).transpose()?;
        if file.groups.is_empty() {
            return Err(Error::InvalidCriteria("chưa có nhóm tiêu chí nào".into()));
        }
        let groups = file
            .groups
            .into_iter()
            .map(criterion_from_file)
            .collect::<Result<Vec<_>, _>>()?;
        let bonuses = file
            .bonus
            .into_iter()
            .map(|r| adjustment_from_file(r, bonus_cap))
            .collect::<Result<Vec<_>, _>>()?;
        let penalties = file
            .penalties
            .into_iter()
            .map(|r| adjustment_from_file(r, penalty_cap.unwrap_or(scale)))
            .collect::<Result<Vec<_>, _>>()?;
        let set = CriteriaSet {
            level,
            year: file.year,
            name: required_text("tên bảng tiêu chí", &file.name)?,
            issuer: crate::text::nfc(&file.issuer),
            scale,
            bonus_cap,
            penalty_cap,
            groups,
            bonuses,
            penalties,
        };
        let max = set.criteria_max();
        if max > scale {
            return Err(Error::InvalidCriteria(format!(
                "tổng điểm tối đa của các tiêu chí ({max}) vượt thang điểm {scale}"
            )));
        }
        let mut seen = BTreeSet::new();
        let codes = set
            .rows()
            .into_iter()
            .map(|r| &r.criterion.code)
            .chain(set.bonuses.iter().map(|b| &b.code))
            .chain(set.penalties.iter().map(|p| &p.code));
        for code in codes {
            if !seen.insert(code) {
                return Err(Error::InvalidCriterion {
                    code: code.to_string(),
                    reason: "mã này được dùng hai lần trong bảng".into(),
                });
            }
        }
        Ok(set)
    }

    /// The set as a file, for storing and copying; `from_file(set.to_file())` is the set.
    pub fn to_file(&self) -> CriteriaFile {
        CriteriaFile {
            name: self.name.clone(),
            level: self.level.clone(),
            year: self.year,
            issuer: self.issuer.clone(),
            scale: self.scale.to_f64(),
            bonus_cap: self.bonus_cap.to_f64(),
            penalty_cap: self.penalty_cap.map(Points::to_f64),
            groups: self.groups.iter().map(criterion_to_file).collect(),
            bonus: self.bonuses.iter().map(adjustment_to_file).collect(),
            penalties: self.penalties.iter().map(adjustment_to_file).collect(),
        }
    }
}

/// Tệp bảng tiêu chí — a criteria set as written in TOML (`data/demo/criteria-2022.toml`)
/// or stored as JSON. Checked by [`CriteriaSet::from_file`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CriteriaFile {
    /// The title.
    pub name: String,
    /// The cluster level (`district`, `ward`, …).
    pub level: String,
    /// The year.
    pub year: i32,
    /// The issuing body.
    #[serde(default)]
    pub issuer: String,
    /// Thang điểm.
    pub scale: f64,
    /// Most bonus points counted.
    #[serde(default)]
    pub bonus_cap: f64,
    /// Most penalty points counted (none: uncapped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub penalty_cap: Option<f64>,
    /// The groups, each with its items.
    pub groups: Vec<CriterionFile>,
    /// Bonus rules.
    #[serde(default)]
    pub bonus: Vec<AdjustmentFile>,
    /// Penalty rules.
    #[serde(default)]
    pub penalties: Vec<AdjustmentFile>,
}

/// A group or item as written. An entry with `items` is a group; one with `measure` is
/// computed; any other is scored by hand.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CriterionFile {
    /// The code.
    pub code: String,
    /// The wording.
    pub name: String,
    /// Maximum points; a group may leave it out (then it is the sum of its items').
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// How to score it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub guidance: String,
    /// The items of a group.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<CriterionFile>,
    /// For a computed item: the indicator or formula measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measure: Option<String>,
    /// For a computed item: the figure that earns full points.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<f64>,
    /// `full` (the default), `linear` or `steps`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub curve: Option<String>,
    /// For `linear`: the figure that earns nothing (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub floor: Option<f64>,
    /// For `steps`: the steps below the target.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<StepFile>,
    /// `zero` (the default) or `full`: the points without a figure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_data: Option<String>,
}

/// A step as written: `{ from = 90, points = 3 }`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepFile {
    /// From this figure on…
    pub from: f64,
    /// …these points.
    pub points: f64,
}

/// A bonus or penalty rule as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdjustmentFile {
    /// The code.
    pub code: String,
    /// The wording.
    pub name: String,
    /// The most it gives or takes.
    pub max: f64,
    /// Points per case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_case: Option<f64>,
    /// How to apply it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub guidance: String,
}

fn criterion_error(code: &str, reason: impl Into<String>) -> Error {
    Error::InvalidCriterion {
        code: code.to_owned(),
        reason: reason.into(),
    }
}

fn item_points(code: &str, what: &str, x: f64) -> Result<Points, Error> {
    Points::from_f64(x).ok_or_else(|| {
        criterion_error(
            code,
            format!("{what} «{x}» không hợp lệ (cần số không âm, nhiều nhất hai chữ số thập phân)"),
        )
    })
}

fn criterion_from_file(file: CriterionFile) -> Result<Criterion, Error> {
    let code = CriterionCode::parse(&file.code)?;
    let raw = file.code.as_str();
    let name = required_text("tên tiêu chí", &file.name)?;
    let guidance = crate::text::nfc(&file.guidance);
    if !file.items.is_empty() {
        if file.measure.is_some() {
            return Err(criterion_error(raw, "một nhóm tiêu chí không tính tự động được"));
        }
        let children = file
            .items
            .into_iter()
            .map(criterion_from_file)
            .collect::<Result<Vec<_>, _>>()?;
        let sum: Points = children.iter().map(|c| c.max).sum();
        if let Some(max) = file.max {
            let max = item_points(raw, "điểm tối đa", max)?;
            if max != sum {
                return Err(criterion_error(
                    raw,
                    format!("điểm tối đa của nhóm là {max} nhưng các tiêu chí con cộng lại được {sum}"),
                ));
            }
        }
        return Ok(Criterion {
            code,
            name,
            max: sum,
            guidance,
            kind: CriterionKind::Group(children),
        });
    }
    let max = match file.max {
        Some(max) => item_points(raw, "điểm tối đa", max)?,
        None => return Err(criterion_error(raw, "chưa ghi điểm tối đa (max)")),
    };
    if max == Points::ZERO {
        return Err(criterion_error(raw, "điểm tối đa phải lớn hơn 0"));
    }
    let Some(measure) = file.measure else {
        if file.target.is_some() || file.curve.is_some() || !file.steps.is_empty() {
            return Err(criterion_error(
                raw,
                "có chỉ tiêu (target) hoặc cách tính nhưng thiếu số liệu đo (measure)",
            ));
        }
        return Ok(Criterion {
            code,
            name,
            max,
            guidance,
            kind: CriterionKind::Manual,
        });
    };
    let measure = Formula::parse(&measure).map_err(|e| criterion_error(raw, e.to_string()))?;
    let target = file
        .target
        .filter(|t| t.is_finite())
        .ok_or_else(|| criterion_error(raw, "tiêu chí tính tự động cần chỉ tiêu (target)"))?;
    let curve = match file.curve.as_deref().map(str::trim).unwrap_or("full") {
        "full" => Curve::Full,
        "linear" => {
            let floor = file.floor.unwrap_or(0.0);
            if !floor.is_finite() || floor >= target {
                return Err(criterion_error(
                    raw,
                    format!("mức sàn (floor) {floor} phải nhỏ hơn chỉ tiêu {target}"),
                ));
            }
            Curve::Linear { floor }
        }
        "steps" => {
            if file.steps.is_empty() {
                return Err(criterion_error(raw, "cách tính bậc thang cần ít nhất một bậc (steps)"));
            }
            let mut steps: Vec<Step> = Vec::with_capacity(file.steps.len());
            for s in &file.steps {
                let points = item_points(raw, "điểm của bậc", s.points)?;
                if !s.from.is_finite() || s.from >= target {
                    return Err(criterion_error(
                        raw,
                        format!("bậc từ {} phải nhỏ hơn chỉ tiêu {target}", s.from),
                    ));
                }
                if points > max {
                    return Err(criterion_error(
                        raw,
                        format!("bậc {points} điểm vượt điểm tối đa {max}"),
                    ));
                }
                if let Some(prev) = steps.last().copied()
                    && (s.from <= prev.from || points < prev.points)
                {
                    return Err(criterion_error(raw, "các bậc phải tăng dần cả mức số liệu lẫn số điểm"));
                }
                steps.push(Step { from: s.from, points });
            }
            Curve::Steps(steps)
        }
        other => {
            return Err(criterion_error(
                raw,
                format!("cách tính «{other}» không hợp lệ (full, linear hoặc steps)"),
            ));
        }
    };
    let no_data = match file.no_data.as_deref().map(str::trim).unwrap_or("zero") {
        "zero" => NoData::Zero,
        "full" => NoData::Full,
        other => {
            return Err(criterion_error(
                raw,
                format!("no_data «{other}» không hợp lệ (zero hoặc full)"),
            ));
        }
    };
    Ok(Criterion {
        code,
        name,
        max,
        guidance,
        kind: CriterionKind::Computed(Computation {
            measure,
            target,
            curve,
            no_data,
        }),
    })
}

fn adjustment_from_file(file: AdjustmentFile, cap: Points) -> Result<AdjustmentRule, Error> {
    let code = CriterionCode::parse(&file.code)?;
    let raw = file.code.as_str();
    let max = item_points(raw, "điểm tối đa", file.max)?;
    if max == Points::ZERO || max > cap {
        return Err(criterion_error(
            raw,
            format!("điểm tối đa {max} phải lớn hơn 0 và không vượt mức chung {cap}"),
        ));
    }
    let per_case = file.per_case.map(|x| item_points(raw, "điểm mỗi lần", x)).transpose()?;
    if per_case.is_some_and(|p| p == Points::ZERO || p > max) {
        return Err(criterion_error(
            raw,
            "điểm mỗi lần phải lớn hơn 0 và không vượt điểm tối đa",
        ));
    }
    Ok(AdjustmentRule {
        code,
        name: required_text("tên quy định điểm thưởng/điểm trừ", &file.name)?,
        max,
        per_case,
        guidance: crate::text::nfc(&file.guidance),
    })
}

fn criterion_to_file(c: &Criterion) -> CriterionFile {
    let mut file = CriterionFile {
        code: c.code.to_string(),
        name: c.name.clone(),
        max: Some(c.max.to_f64()),
        guidance: c.guidance.clone(),
        ..CriterionFile::default()
    };
    match &c.kind {
        CriterionKind::Group(children) => file.items = children.iter().map(criterion_to_file).collect(),
        CriterionKind::Manual => {}
        CriterionKind::Computed(comp) => {
            file.measure = Some(comp.measure.source().to_owned());
            file.target = Some(comp.target);
            file.no_data = Some(
                match comp.no_data {
                    NoData::Zero => "zero",
                    NoData::Full => "full",
                }
                .into(),
            );
            match &comp.curve {
                Curve::Full => file.curve = Some("full".into()),
                Curve::Linear { floor } => {
                    file.curve = Some("linear".into());
                    file.floor = Some(*floor);
                }
                Curve::Steps(steps) => {
                    file.curve = Some("steps".into());
                    file.steps = steps
                        .iter()
                        .map(|s| StepFile {
                            from: s.from,
                            points: s.points.to_f64(),
                        })
                        .collect();
                }
            }
        }
    }
    file
}

fn adjustment_to_file(r: &AdjustmentRule) -> AdjustmentFile {
    AdjustmentFile {
        code: r.code.to_string(),
        name: r.name.clone(),
        max: r.max.to_f64(),
        per_case: r.per_case.map(Points::to_f64),
        guidance: r.guidance.clone(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn item(code: &str, max: f64) -> CriterionFile {
        CriterionFile {
            code: code.into(),
            name: format!("Tiêu chí {code}"),
            max: Some(max),
            ..CriterionFile::default()
        }
    }

    fn group(code: &str, items: Vec<CriterionFile>) -> CriterionFile {
        CriterionFile {
            max: None,
            items,
            ..item(code, 0.0)
        }
    }

    fn computed(code: &str, max: f64, measure: &str, target: f64, curve: &str) -> CriterionFile {
        CriterionFile {
            measure: Some(measure.into()),
            target: Some(target),
            curve: Some(curve.into()),
            ..item(code, max)
        }
    }

    /// A small table on a scale of 100: two groups (60 + 40), bonus up to 5, one penalty.
    pub(crate) fn sample_file() -> CriteriaFile {
        CriteriaFile {
            name: "Bảng tiêu chí thi đua năm 2022".into(),
            level: "district".into(),
            year: 2022,
            issuer: "Ủy ban MTTQ Việt Nam Thành phố Hà Nội".into(),
            scale: 100.0,
            bonus_cap: 5.0,
            penalty_cap: None,
            groups: vec![
                group(
                    "I",
                    vec![
                        item("I.1", 30.0),
                        CriterionFile {
                            floor: Some(80.0),
                            ..computed("I.2", 30.0, "TY_LE_HOA_TANG", 95.0, "linear")
                        },
                    ],
                ),
                group("II", vec![item("II.1", 25.0), item("II.2", 15.0)]),
            ],
            bonus: vec![
                AdjustmentFile {
                    code: "T1".into(),
                    name: "Mô hình mới, cách làm hay".into(),
                    max: 3.0,
                    per_case: Some(1.0),
                    guidance: String::new(),
                },
                AdjustmentFile {
                    code: "T2".into(),
                    name: "Được cấp trên biểu dương".into(),
                    max: 5.0,
                    per_case: None,
                    guidance: String::new(),
                },
            ],
            penalties: vec![AdjustmentFile {
                code: "P1".into(),
                name: "Chậm nộp báo cáo".into(),
                max: 5.0,
                per_case: Some(0.5),
                guidance: String::new(),
            }],
        }
    }

    pub(crate) fn sample() -> CriteriaSet {
        CriteriaSet::from_file(sample_file()).unwrap()
    }

    fn refused(file: CriteriaFile) -> String {
        CriteriaSet::from_file(file)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    }

    fn code(c: &str) -> CriterionCode {
        CriterionCode::parse(c).unwrap()
    }

    #[test]
    fn a_group_s_maximum_is_the_sum_of_its_items() {
        let set = sample();
        let maxima: Vec<(String, String)> = set
            .groups()
            .iter()
            .map(|g| (g.code.to_string(), g.max.to_string()))
            .collect();
        assert_eq!(maxima, [("I".into(), "60".into()), ("II".into(), "40".into())]);
        assert_eq!(set.criteria_max().to_string(), "100");
        assert_eq!(set.items().len(), 4);
        assert_eq!(
            set.rows().iter().map(|r| r.depth).collect::<Vec<_>>(),
            [0, 1, 1, 0, 1, 1]
        );
    }

    #[test]
    fn a_group_whose_stated_maximum_disagrees_with_its_items_is_refused() {
        let mut file = sample_file();
        file.groups[0].max = Some(50.0);
        assert_eq!(
            refused(file),
            "tiêu chí I: điểm tối đa của nhóm là 50 nhưng các tiêu chí con cộng lại được 60"
        );
    }

    #[test]
    fn items_beyond_the_scale_are_refused() {
        let mut file = sample_file();
        file.scale = 95.0;
        assert_eq!(
            refused(file),
            "bảng tiêu chí thi đua: tổng điểm tối đa của các tiêu chí (100) vượt thang điểm 95"
        );
    }

    #[test]
    fn a_code_used_twice_is_refused_and_named() {
        let mut file = sample_file();
        file.groups[1].items[1].code = "I.1".into();
        assert_eq!(refused(file), "tiêu chí I.1: mã này được dùng hai lần trong bảng");
    }

    #[test]
    fn a_computed_item_needs_a_target_and_a_sensible_curve() {
        let mut file = sample_file();
        file.groups[0].items[1].target = None;
        assert_eq!(
            refused(file),
            "tiêu chí I.2: tiêu chí tính tự động cần chỉ tiêu (target)"
        );
        let mut file = sample_file();
        file.groups[0].items[1].floor = Some(99.0);
        assert!(refused(file).contains("mức sàn (floor) 99 phải nhỏ hơn chỉ tiêu 95"));
        let mut file = sample_file();
        file.groups[0].items[1].curve = Some("bac-thang".into());
        assert!(refused(file).contains("cách tính «bac-thang» không hợp lệ"));
    }

    #[test]
    fn a_bonus_rule_above_the_bonus_cap_is_refused() {
        let mut file = sample_file();
        file.bonus[0].max = 6.0;
        assert_eq!(
            refused(file),
            "tiêu chí T1: điểm tối đa 6 phải lớn hơn 0 và không vượt mức chung 5"
        );
    }

    #[test]
    fn a_set_survives_the_round_trip_through_its_file() {
        let set = sample();
        assert_eq!(CriteriaSet::from_file(set.to_file()).ok(), Some(set));
    }

    #[test]
    fn next_year_s_set_is_this_year_s_with_the_year_moved() {
        let next = sample().for_year(2023).unwrap();
        assert_eq!(next.year(), 2023);
        assert_eq!(next.name(), "Bảng tiêu chí thi đua năm 2023");
        assert_eq!(next.groups(), sample().groups());
    }

    #[test]
    fn codes_find_items_bonus_and_penalty_rules() {
        let set = sample();
        assert!(matches!(set.find(&code("I.2")), Some(Entry::Criterion(c)) if !c.is_group()));
        assert!(matches!(set.find(&code("T2")), Some(Entry::Bonus(_))));
        assert!(matches!(set.find(&code("P1")), Some(Entry::Penalty(_))));
        assert_eq!(set.find(&code("IX")), None);
        assert_eq!(
            set.indicators().into_iter().map(|c| c.to_string()).collect::<Vec<_>>(),
            ["TY_LE_HOA_TANG"]
        );
    }

    fn linear(floor: f64) -> Computation {
        Computation {
            measure: Formula::parse("TY_LE_HOA_TANG").unwrap(),
            target: 95.0,
            curve: Curve::Linear { floor },
            no_data: NoData::Zero,
        }
    }

    fn pts(h: i64) -> Points {
        Points::from_hundredths(h).unwrap_or_else(|| panic!("{h}"))
    }

    #[test]
    fn reaching_the_target_earns_full_points_and_linear_items_earn_a_share_below_it() {
        let c = linear(80.0);
        assert_eq!(c.points(pts(1000), Some(98.17)), pts(1000));
        assert_eq!(c.points(pts(1000), Some(95.0)), pts(1000));
        assert_eq!(c.points(pts(1000), Some(87.5)), pts(500));
        assert_eq!(c.points(pts(1000), Some(80.0)), Points::ZERO);
        assert_eq!(c.points(pts(1000), Some(12.0)), Points::ZERO);
        // 90 of 80..95 is two thirds: 6,666… cut down to 6,66.
        assert_eq!(c.points(pts(1000), Some(90.0)), pts(666));
        assert_eq!(c.points(pts(1000), None), Points::ZERO);
    }

    #[test]
    fn stepped_items_earn_the_highest_step_reached() {
        let c = Computation {
            curve: Curve::Steps(vec![
                Step {
                    from: 70.0,
                    points: pts(200),
                },
                Step {
                    from: 85.0,
                    points: pts(400),
                },
            ]),
            ..linear(0.0)
        };
        assert_eq!(c.points(pts(600), Some(69.9)), Points::ZERO);
        assert_eq!(c.points(pts(600), Some(70.0)), pts(200));
        assert_eq!(c.points(pts(600), Some(94.9)), pts(400));
        assert_eq!(c.points(pts(600), Some(95.0)), pts(600));
    }

    #[test]
    fn an_item_without_a_figure_earns_what_its_rule_says() {
        let full = Computation {
            no_data: NoData::Full,
            curve: Curve::Full,
            ..linear(0.0)
        };
        assert_eq!(full.points(pts(500), None), pts(500));
        assert_eq!(full.points(pts(500), Some(50.0)), Points::ZERO);
    }
}
