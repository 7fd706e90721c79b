//! Soạn bảng tiêu chí thi đua — editing a level's criteria for a year in the browser: the
//! set as a draft of lines typed as text (groups and items, bonus and penalty rules), the
//! edits that add, move and remove lines, and the save, which checks every line, then the
//! whole set through core ([`CriteriaSet::from_file`]) and the store (indicators in the
//! catalog, the version rule) in one transaction. A mistake is told beside its line and
//! nothing is written; the draft keeps everything typed.
//!
//! The draft holds text, not numbers, because it is what the person typed and must come
//! back as typed when something is wrong; it becomes a [`CriteriaFile`] only on saving.
//! Whoever may issue the set ([`thidua_core::Access::can_issue_criteria`]) may edit it,
//! as for the TOML import, which stays for bulk use.

use std::collections::{BTreeMap, BTreeSet};

use thidua_core::emulation::Points;
use thidua_core::emulation::criteria::{
    AdjustmentFile, AdjustmentRule, CriteriaFile, CriteriaSet, Criterion, CriterionCode, CriterionFile, CriterionKind,
    Curve, NoData, StepFile,
};
use thidua_core::number::{format_decimal_trimmed, parse_number};
use thidua_core::{Catalog, IndicatorCode};
use thidua_store::{Actor, SavedCriteria, StoreError, StoredCriteria};

use crate::{App, Context, Error};

/// The most lines a draft holds, all sections together (the demo's table has 35).
pub const MAX_LINES: usize = 400;
/// The most characters of one typed field (a guidance text is the longest).
pub const MAX_FIELD_CHARS: usize = 4_000;

/// Which list of the draft a line is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Section {
    /// Groups and items.
    Criteria,
    /// Điểm thưởng.
    Bonus,
    /// Điểm trừ.
    Penalty,
}

impl Section {
    /// The letter of its fields in a form ("c", "b", "p").
    pub fn letter(self) -> &'static str {
        match self {
            Section::Criteria => "c",
            Section::Bonus => "b",
            Section::Penalty => "p",
        }
    }

    /// The section of a form letter.
    pub fn from_letter(letter: &str) -> Option<Section> {
        match letter {
            "c" => Some(Section::Criteria),
            "b" => Some(Section::Bonus),
            "p" => Some(Section::Penalty),
            _ => None,
        }
    }
}

/// Cách tính của một tiêu chí — how a line of the criteria is scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// A group of the lines below it that sit one level deeper.
    Group,
    /// Chấm thủ công.
    Manual,
    /// Tính tự động từ chỉ tiêu.
    Computed,
}

impl LineKind {
    /// As a form writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            LineKind::Group => "group",
            LineKind::Manual => "manual",
            LineKind::Computed => "computed",
        }
    }

    /// From a form's value; anything unknown is an item scored by hand.
    pub fn parse(raw: &str) -> LineKind {
        match raw {
            "group" => LineKind::Group,
            "computed" => LineKind::Computed,
            _ => LineKind::Manual,
        }
    }
}

/// A group or item as typed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CriterionLine {
    /// 0 for a top-level group; an item sits one deeper than its group.
    pub depth: usize,
    /// Group, manual or computed.
    pub kind: Option<LineKind>,
    /// Mã ("II.3").
    pub code: String,
    /// Nội dung.
    pub name: String,
    /// Điểm tối đa ("8,5"); a group may leave it empty (the sum of its items').
    pub max: String,
    /// Hướng dẫn chấm.
    pub guidance: String,
    /// For a computed item: the indicator chosen from the catalog.
    pub indicator: String,
    /// For a computed item: a formula over indicators, used instead of the indicator.
    pub formula: String,
    /// Chỉ tiêu.
    pub target: String,
    /// `full`, `linear` or `steps`.
    pub curve: String,
    /// For `linear`: the figure that earns nothing.
    pub floor: String,
    /// For `steps`: "70: 2; 85: 4" — from this figure, these points.
    pub steps: String,
    /// `zero` or `full`.
    pub no_data: String,
}

impl CriterionLine {
    /// The line's kind (an item by hand when unset).
    pub fn kind(&self) -> LineKind {
        self.kind.unwrap_or(LineKind::Manual)
    }
}

/// A bonus or penalty rule as typed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RuleLine {
    /// Mã ("T1").
    pub code: String,
    /// Nội dung.
    pub name: String,
    /// Điểm tối đa.
    pub max: String,
    /// Điểm mỗi lần (may be empty).
    pub per_case: String,
    /// Cách tính.
    pub guidance: String,
}

/// Bản soạn — a criteria set being edited, as typed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Draft {
    /// Tên bảng.
    pub name: String,
    /// Cơ quan ban hành.
    pub issuer: String,
    /// Thang điểm.
    pub scale: String,
    /// Điểm thưởng tối đa.
    pub bonus_cap: String,
    /// Điểm trừ tối đa (empty: uncapped).
    pub penalty_cap: String,
    /// Groups and items, in table order.
    pub lines: Vec<CriterionLine>,
    /// Bonus rules.
    pub bonuses: Vec<RuleLine>,
    /// Penalty rules.
    pub penalties: Vec<RuleLine>,
}

/// An edit of the draft that saves nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    /// A new group at the end of the table.
    AddGroup,
    /// A new item at the end of the group on this line.
    AddItem(usize),
    /// A new bonus rule.
    AddBonus,
    /// A new penalty rule.
    AddPenalty,
    /// The line (a group with its items) one place up among its siblings.
    Up(Section, usize),
    /// One place down.
    Down(Section, usize),
    /// The line removed (a group with its items).
    Remove(Section, usize),
    /// Sang nhóm trên — the item on this line moved to the end of the group before its
    /// own ([`Draft::group_above`]); a group, or an item with no group before its own,
    /// stays.
    ToGroupAbove(usize),
    /// Sang nhóm dưới — the item moved to the end of the group after its own
    /// ([`Draft::group_below`]).
    ToGroupBelow(usize),
}

/// What is wrong with a draft: messages beside their lines, and about the whole set.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Mistakes {
    /// About the set as a whole (its name, scale, caps, sum).
    pub general: Vec<String>,
    /// Beside a line.
    pub lines: BTreeMap<(Section, usize), Vec<String>>,
}

impl Mistakes {
    /// Whether nothing is wrong.
    pub fn is_empty(&self) -> bool {
        self.general.is_empty() && self.lines.is_empty()
    }

    /// How many messages there are.
    pub fn count(&self) -> usize {
        self.general.len() + self.lines.values().map(Vec::len).sum::<usize>()
    }

    fn line(&mut self, section: Section, index: usize, message: String) {
        self.lines.entry((section, index)).or_default().push(message);
    }
}

/// The message as a sentence: capitalised, ending with a full stop.
pub fn sentence(text: &str) -> String {
    let text = text.trim();
    let mut chars = text.chars();
    let mut out: String = chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default();
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

fn points_text(p: Points) -> String {
    p.format_vi()
}

fn figure_text(x: f64) -> String {
    format_decimal_trimmed(x, 6)
}

impl Draft {
    /// A new table: one empty group with one item, on a scale of 100.
    pub fn blank(year: i32) -> Draft {
        Draft {
            name: format!("Bảng tiêu chí chấm điểm thi đua năm {year}"),
            scale: "100".into(),
            bonus_cap: "5".into(),
            lines: vec![
                CriterionLine {
                    kind: Some(LineKind::Group),
                    code: "I".into(),
                    ..CriterionLine::default()
                },
                CriterionLine {
                    depth: 1,
                    kind: Some(LineKind::Manual),
                    code: "I.1".into(),
                    ..CriterionLine::default()
                },
            ],
            ..Draft::default()
        }
    }

    /// The draft of a stored set, as the editor shows it. A computed item that measures
    /// one indicator of the catalog shows it chosen; any other measure as its formula.
    pub fn of_set(set: &CriteriaSet, catalog: &Catalog) -> Draft {
        fn walk(c: &Criterion, depth: usize, catalog: &Catalog, out: &mut Vec<CriterionLine>) {
            let mut line = CriterionLine {
                depth,
                code: c.code.to_string(),
                name: c.name.clone(),
                max: points_text(c.max),
                guidance: c.guidance.clone(),
                ..CriterionLine::default()
            };
            match &c.kind {
                CriterionKind::Group(children) => {
                    line.kind = Some(LineKind::Group);
                    out.push(line);
                    for child in children {
                        walk(child, depth + 1, catalog, out);
                    }
                    return;
                }
                CriterionKind::Manual => line.kind = Some(LineKind::Manual),
                CriterionKind::Computed(comp) => {
                    line.kind = Some(LineKind::Computed);
                    let source = comp.measure.source().trim();
                    let single = IndicatorCode::parse(source)
                        .ok()
                        .filter(|code| catalog.get(code).is_some());
                    match single {
                        Some(code) => line.indicator = code.to_string(),
                        None => line.formula = source.to_owned(),
                    }
                    line.target = figure_text(comp.target);
                    match &comp.curve {
                        Curve::Full => line.curve = "full".into(),
                        Curve::Linear { floor } => {
                            line.curve = "linear".into();
                            line.floor = figure_text(*floor);
                        }
                        Curve::Steps(steps) => {
                            line.curve = "steps".into();
                            line.steps = steps
                                .iter()
                                .map(|s| format!("{}: {}", figure_text(s.from), points_text(s.points)))
                                .collect::<Vec<_>>()
                                .join("; ");
                        }
                    }
                    line.no_data = match comp.no_data {
                        NoData::Zero => "zero",
                        NoData::Full => "full",
                    }
                    .into();
                }
            }
            out.push(line);
        }
        let rule = |r: &AdjustmentRule| RuleLine {
            code: r.code.to_string(),
            name: r.name.clone(),
            max: points_text(r.max),
            per_case: r.per_case.map(points_text).unwrap_or_default(),
            guidance: r.guidance.clone(),
        };
        let mut lines = Vec::new();
        for g in set.groups() {
            walk(g, 0, catalog, &mut lines);
        }
        Draft {
            name: set.name().to_owned(),
            issuer: set.issuer().to_owned(),
            scale: points_text(set.scale()),
            bonus_cap: points_text(set.bonus_cap()),
            penalty_cap: set.penalty_cap().map(points_text).unwrap_or_default(),
            lines,
            bonuses: set.bonuses().iter().map(rule).collect(),
            penalties: set.penalties().iter().map(rule).collect(),
        }
    }

    /// How many lines it holds, all sections together.
    pub fn len(&self) -> usize {
        self.lines.len() + self.bonuses.len() + self.penalties.len()
    }

    /// Whether it holds no line at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The end (exclusive) of the block a line heads: a group with every line under it.
    fn block_end(&self, i: usize) -> usize {
        let depth = self.lines[i].depth;
        let mut end = i + 1;
        while end < self.lines.len() && self.lines[end].depth > depth {
            end += 1;
        }
        end
    }

    /// The start of the sibling block just before line `i`, if any.
    fn previous_sibling(&self, i: usize) -> Option<usize> {
        let depth = self.lines[i].depth;
        (0..i)
            .rev()
            .take_while(|&j| self.lines[j].depth >= depth)
            .find(|&j| self.lines[j].depth == depth)
    }

    /// The group line `i` sits in: the nearest line above it one level up, if a group.
    fn parent(&self, i: usize) -> Option<usize> {
        let depth = self.lines[i].depth;
        (0..i)
            .rev()
            .find(|&j| self.lines[j].depth < depth)
            .filter(|&j| self.lines[j].depth + 1 == depth && self.lines[j].kind() == LineKind::Group)
    }

    /// The group an item on line `i` moves into with «Sang nhóm trên»: the nearest group
    /// before its own among its group's siblings. None for a group (a group is not moved
    /// into a group), an item outside any group, or an item of the first group.
    pub fn group_above(&self, i: usize) -> Option<usize> {
        if i >= self.lines.len() || self.lines[i].kind() == LineKind::Group {
            return None;
        }
        let mut at = self.parent(i)?;
        while let Some(j) = self.previous_sibling(at) {
            if self.lines[j].kind() == LineKind::Group {
                return Some(j);
            }
            at = j;
        }
        None
    }

    /// The group an item on line `i` moves into with «Sang nhóm dưới»: the nearest group
    /// after its own among its group's siblings; None as for [`Draft::group_above`].
    pub fn group_below(&self, i: usize) -> Option<usize> {
        if i >= self.lines.len() || self.lines[i].kind() == LineKind::Group {
            return None;
        }
        let parent = self.parent(i)?;
        let depth = self.lines[parent].depth;
        let mut j = self.block_end(parent);
        while j < self.lines.len() && self.lines[j].depth == depth {
            if self.lines[j].kind() == LineKind::Group {
                return Some(j);
            }
            j = self.block_end(j);
        }
        None
    }

    /// The sum of the maxima of a group's own items, when every one of them is a number.
    fn items_sum(&self, group: usize) -> Option<Points> {
        let depth = self.lines[group].depth + 1;
        self.lines[group + 1..self.block_end(group)]
            .iter()
            .filter(|l| l.depth == depth)
            .map(|l| Points::parse(&l.max).ok())
            .sum()
    }

    /// Whether a group's typed maximum is the sum of its items' (it then follows them).
    fn max_is_items_sum(&self, group: usize) -> bool {
        Points::parse(&self.lines[group].max).is_ok_and(|max| self.items_sum(group) == Some(max))
    }

    /// Moves the item on line `from` to the end of the group on line `to`, a sibling of
    /// its own group. Its points and scoring go with it; a code written after its old
    /// group's ("I.2") takes the next free one of the new group's ("II.4"). A group's
    /// maximum that was its items' sum stays their sum, on both groups.
    fn move_to_group(&mut self, from: usize, to: usize) {
        let Some(old) = self.parent(from) else { return };
        let (old_follows, new_follows) = (self.max_is_items_sum(old), self.max_is_items_sum(to));
        let old_code = self.lines[old].code.trim().to_owned();
        let new_code = self.lines[to].code.trim().to_owned();
        let mut line = self.lines.remove(from);
        let to = if to > from { to - 1 } else { to };
        let old = if old > from { old - 1 } else { old };
        let end = self.block_end(to);
        if !old_code.is_empty()
            && !new_code.is_empty()
            && line
                .code
                .trim()
                .strip_prefix(&old_code)
                .is_some_and(|rest| rest.starts_with('.'))
        {
            let depth = line.depth;
            let mut n = self.lines[to + 1..end].iter().filter(|l| l.depth == depth).count() + 1;
            while self.lines.iter().any(|l| l.code.trim() == format!("{new_code}.{n}")) {
                n += 1;
            }
            line.code = format!("{new_code}.{n}");
        }
        self.lines.insert(end, line);
        let old = if old >= end { old + 1 } else { old };
        for (group, follows) in [(old, old_follows), (to, new_follows)] {
            if follows {
                let empty = self.block_end(group) == group + 1;
                self.lines[group].max = match self.items_sum(group) {
                    Some(sum) if !empty => points_text(sum),
                    _ => String::new(),
                };
            }
        }
    }

    /// Applies an edit; one that names no line (a stale form) changes nothing. A draft
    /// already at [`MAX_LINES`] takes no more lines.
    pub fn apply(&mut self, edit: Edit) {
        let full = self.len() >= MAX_LINES;
        match edit {
            Edit::AddGroup if !full => {
                let n = self.lines.iter().filter(|l| l.depth == 0).count() + 1;
                self.lines.push(CriterionLine {
                    kind: Some(LineKind::Group),
                    code: roman(n),
                    ..CriterionLine::default()
                });
            }
            Edit::AddItem(i) if !full && i < self.lines.len() && self.lines[i].kind() == LineKind::Group => {
                let end = self.block_end(i);
                let depth = self.lines[i].depth + 1;
                let n = self.lines[i + 1..end].iter().filter(|l| l.depth == depth).count() + 1;
                let code = format!("{}.{n}", self.lines[i].code.trim());
                self.lines.insert(
                    end,
                    CriterionLine {
                        depth,
                        kind: Some(LineKind::Manual),
                        code,
                        ..CriterionLine::default()
                    },
                );
            }
            Edit::AddBonus if !full => {
                let code = format!("T{}", self.bonuses.len() + 1);
                self.bonuses.push(RuleLine {
                    code,
                    ..RuleLine::default()
                });
            }
            Edit::AddPenalty if !full => {
                let code = format!("TRU-{}", self.penalties.len() + 1);
                self.penalties.push(RuleLine {
                    code,
                    ..RuleLine::default()
                });
            }
            Edit::Up(Section::Criteria, i) if i < self.lines.len() => {
                if let Some(j) = self.previous_sibling(i) {
                    let end = self.block_end(i);
                    self.lines[j..end].rotate_left(i - j);
                }
            }
            Edit::Down(Section::Criteria, i) if i < self.lines.len() => {
                let end = self.block_end(i);
                if end < self.lines.len() && self.lines[end].depth == self.lines[i].depth {
                    let next_end = self.block_end(end);
                    self.lines[i..next_end].rotate_left(end - i);
                }
            }
            Edit::Remove(Section::Criteria, i) if i < self.lines.len() => {
                let end = self.block_end(i);
                self.lines.drain(i..end);
            }
            Edit::ToGroupAbove(i) => {
                if let Some(to) = self.group_above(i) {
                    self.move_to_group(i, to);
                }
            }
            Edit::ToGroupBelow(i) => {
                if let Some(to) = self.group_below(i) {
                    self.move_to_group(i, to);
                }
            }
            Edit::Up(section @ (Section::Bonus | Section::Penalty), i) => {
                let rules = self.rules_mut(section);
                if i > 0 && i < rules.len() {
                    rules.swap(i - 1, i);
                }
            }
            Edit::Down(section @ (Section::Bonus | Section::Penalty), i) => {
                let rules = self.rules_mut(section);
                if i + 1 < rules.len() {
                    rules.swap(i, i + 1);
                }
            }
            Edit::Remove(section @ (Section::Bonus | Section::Penalty), i) => {
                let rules = self.rules_mut(section);
                if i < rules.len() {
                    rules.remove(i);
                }
            }
            _ => {}
        }
    }

    fn rules_mut(&mut self, section: Section) -> &mut Vec<RuleLine> {
        match section {
            Section::Penalty => &mut self.penalties,
            _ => &mut self.bonuses,
        }
    }

    /// Checks the draft whole and builds the set for `level` and `year`: every line's
    /// own mistakes first (all of them, each beside its line), then the rules across
    /// lines that core enforces (a group's maximum, the scale, unique codes).
    pub fn check(&self, level: &str, year: i32) -> Result<CriteriaSet, Mistakes> {
        let mut mistakes = Mistakes::default();
        let file = self.to_file(level, year, &mut mistakes);
        if !mistakes.is_empty() {
            return Err(mistakes);
        }
        CriteriaSet::from_file(file).map_err(|e| self.place(e))
    }

    /// Puts a core error beside the line it names, or with the whole set.
    pub fn place(&self, error: thidua_core::Error) -> Mistakes {
        let mut mistakes = Mistakes::default();
        match error {
            thidua_core::Error::InvalidCriterion { code, reason } => {
                let code = code.trim();
                let mut at: Vec<(Section, usize)> = Vec::new();
                let found = self
                    .lines
                    .iter()
                    .enumerate()
                    .filter(|(_, l)| l.code.trim() == code)
                    .map(|(i, _)| (Section::Criteria, i))
                    .chain(
                        self.bonuses
                            .iter()
                            .enumerate()
                            .filter(|(_, r)| r.code.trim() == code)
                            .map(|(i, _)| (Section::Bonus, i)),
                    )
                    .chain(
                        self.penalties
                            .iter()
                            .enumerate()
                            .filter(|(_, r)| r.code.trim() == code)
                            .map(|(i, _)| (Section::Penalty, i)),
                    );
                at.extend(found);
                if at.is_empty() {
                    mistakes.general.push(sentence(&format!("Tiêu chí {code}: {reason}")));
                }
                for (section, i) in at {
                    mistakes.line(section, i, sentence(&reason));
                }
            }
            thidua_core::Error::InvalidCriteria(reason) => {
                mistakes.general.push(sentence(&format!("Bảng tiêu chí: {reason}")));
            }
            other => mistakes.general.push(sentence(&other.to_string())),
        }
        mistakes
    }

    /// The draft as a file, noting every mistake of a single line on the way.
    fn to_file(&self, level: &str, year: i32, mistakes: &mut Mistakes) -> CriteriaFile {
        let mut general = |m: String| mistakes.general.push(m);
        let name = self.name.trim().to_owned();
        if name.is_empty() {
            general("Chưa ghi tên bảng tiêu chí.".into());
        }
        let scale = set_points("Thang điểm", &self.scale, true).unwrap_or_else(|m| {
            general(m);
            0.0
        });
        let bonus_cap = if self.bonus_cap.trim().is_empty() {
            0.0
        } else {
            set_points("Điểm thưởng tối đa", &self.bonus_cap, false).unwrap_or_else(|m| {
                general(m);
                0.0
            })
        };
        let penalty_cap = if self.penalty_cap.trim().is_empty() {
            None
        } else {
            Some(
                set_points("Điểm trừ tối đa", &self.penalty_cap, false).unwrap_or_else(|m| {
                    general(m);
                    0.0
                }),
            )
        };
        if self.lines.is_empty() {
            general("Bảng chưa có nhóm tiêu chí nào: bấm «Thêm nhóm tiêu chí».".into());
        }
        let files: Vec<(usize, CriterionFile)> = self
            .lines
            .iter()
            .enumerate()
            .map(|(i, line)| {
                let mut own = Vec::new();
                let file = criterion_file(line, &mut own);
                if line.kind() == LineKind::Group && self.block_end(i) == i + 1 {
                    own.push("Nhóm chưa có tiêu chí nào: bấm «Thêm tiêu chí vào nhóm» hoặc xóa nhóm.".into());
                }
                if line.kind() != LineKind::Group && line.depth > 0 && !self.has_parent(i) {
                    own.push("Tiêu chí không nằm trong nhóm nào.".into());
                }
                for m in own {
                    mistakes.line(Section::Criteria, i, m);
                }
                (line.depth, file)
            })
            .collect();
        let bonus = self.rules_file(Section::Bonus, &self.bonuses, mistakes);
        let penalties = self.rules_file(Section::Penalty, &self.penalties, mistakes);
        CriteriaFile {
            name,
            level: level.to_owned(),
            year,
            issuer: self.issuer.trim().to_owned(),
            scale,
            bonus_cap,
            penalty_cap,
            groups: nest(files),
            bonus,
            penalties,
        }
    }

    fn has_parent(&self, i: usize) -> bool {
        let depth = self.lines[i].depth;
        (0..i)
            .rev()
            .find(|&j| self.lines[j].depth < depth)
            .is_some_and(|j| self.lines[j].depth + 1 == depth && self.lines[j].kind() == LineKind::Group)
    }

    fn rules_file(&self, section: Section, rules: &[RuleLine], mistakes: &mut Mistakes) -> Vec<AdjustmentFile> {
        rules
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let mut own = Vec::new();
                check_code(&r.code, &mut own);
                if r.name.trim().is_empty() {
                    own.push("Chưa ghi nội dung.".into());
                }
                let max = item_points("Điểm tối đa", &r.max, &mut own).unwrap_or(0.0);
                let per_case = if r.per_case.trim().is_empty() {
                    None
                } else {
                    item_points("Điểm mỗi lần", &r.per_case, &mut own)
                };
                for m in own {
                    mistakes.line(section, i, m);
                }
                AdjustmentFile {
                    code: r.code.trim().to_owned(),
                    name: r.name.trim().to_owned(),
                    max,
                    per_case,
                    guidance: r.guidance.trim().to_owned(),
                }
            })
            .collect()
    }
}

/// Builds the tree from lines in table order with their depths: a line is a child of
/// the nearest line above it that sits one level up.
fn nest(lines: Vec<(usize, CriterionFile)>) -> Vec<CriterionFile> {
    fn take(
        lines: &mut std::iter::Peekable<std::vec::IntoIter<(usize, CriterionFile)>>,
        depth: usize,
    ) -> Vec<CriterionFile> {
        let mut out = Vec::new();
        while let Some((d, _)) = lines.peek() {
            if *d < depth {
                break;
            }
            let Some((d, mut file)) = lines.next() else { break };
            if d > depth {
                // A line too deep for where it stands (noted as a mistake): keep it level.
                out.push(file);
                continue;
            }
            let children = take(lines, depth + 1);
            if !children.is_empty() {
                file.items = children;
            }
            out.push(file);
        }
        out
    }
    take(&mut lines.into_iter().peekable(), 0)
}

fn roman(n: usize) -> String {
    const NUMERALS: [(usize, &str); 9] = [
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
        (0, ""),
    ];
    let mut n = n.min(399);
    let mut out = String::new();
    while n >= 100 {
        out.push('C');
        n -= 100;
    }
    for (value, numeral) in NUMERALS {
        while value > 0 && n >= value {
            out.push_str(numeral);
            n -= value;
        }
    }
    out
}

fn check_code(raw: &str, own: &mut Vec<String>) {
    if raw.trim().is_empty() {
        own.push("Chưa ghi mã.".into());
    } else if let Err(e) = CriterionCode::parse(raw.trim()) {
        own.push(sentence(&e.to_string()));
    }
}

/// Points of the whole set ("Thang điểm"); `positive` refuses zero.
fn set_points(what: &str, raw: &str, positive: bool) -> Result<f64, String> {
    if raw.trim().is_empty() {
        return Err(format!("Chưa ghi {}.", what.to_lowercase()));
    }
    match Points::parse(raw) {
        Ok(p) if positive && p == Points::ZERO => Err(format!("{what} phải lớn hơn 0.")),
        Ok(p) => Ok(p.to_f64()),
        Err(_) => Err(format!(
            "{what} «{}» không hợp lệ: cần số không âm, nhiều nhất hai chữ số thập phân (ví dụ 100 hoặc 8,5).",
            raw.trim()
        )),
    }
}

/// Points of a line, greater than zero, or the line's mistake.
fn item_points(what: &str, raw: &str, own: &mut Vec<String>) -> Option<f64> {
    if raw.trim().is_empty() {
        own.push(format!("Chưa ghi {}.", what.to_lowercase()));
        return None;
    }
    match Points::parse(raw) {
        Ok(p) if p == Points::ZERO => {
            own.push(format!("{what} phải lớn hơn 0."));
            None
        }
        Ok(p) => Some(p.to_f64()),
        Err(_) => {
            own.push(format!(
                "{what} «{}» không hợp lệ: cần số lớn hơn 0, nhiều nhất hai chữ số thập phân (ví dụ 5 hoặc 2,5).",
                raw.trim()
            ));
            None
        }
    }
}

fn figure(what: &str, raw: &str, own: &mut Vec<String>) -> Option<f64> {
    if raw.trim().is_empty() {
        own.push(format!("Chưa ghi {}.", what.to_lowercase()));
        return None;
    }
    match parse_number(raw) {
        Ok(n) if n.to_f64().is_finite() => Some(n.to_f64()),
        _ => {
            own.push(format!(
                "{what} «{}» không phải là một số (ví dụ 95 hoặc 85,5).",
                raw.trim()
            ));
            None
        }
    }
}

fn criterion_file(line: &CriterionLine, own: &mut Vec<String>) -> CriterionFile {
    check_code(&line.code, own);
    if line.name.trim().is_empty() {
        own.push("Chưa ghi nội dung tiêu chí.".into());
    }
    let mut file = CriterionFile {
        code: line.code.trim().to_owned(),
        name: line.name.trim().to_owned(),
        guidance: line.guidance.trim().to_owned(),
        ..CriterionFile::default()
    };
    match line.kind() {
        LineKind::Group => {
            // Empty: the sum of the items'; typed: core checks it is that sum.
            if !line.max.trim().is_empty() {
                file.max = item_points("Điểm tối đa", &line.max, own);
            }
        }
        LineKind::Manual => file.max = item_points("Điểm tối đa", &line.max, own),
        LineKind::Computed => {
            file.max = item_points("Điểm tối đa", &line.max, own);
            let formula = line.formula.trim();
            let indicator = line.indicator.trim();
            let measure = if formula.is_empty() { indicator } else { formula };
            if measure.is_empty() {
                own.push("Tiêu chí tính tự động cần chọn chỉ tiêu (hoặc ghi công thức).".into());
            } else {
                file.measure = Some(measure.to_owned());
            }
            file.target = figure("Chỉ tiêu", &line.target, own);
            let curve = match line.curve.trim() {
                "" => "full",
                other => other,
            };
            file.curve = Some(curve.to_owned());
            match curve {
                "linear" if !line.floor.trim().is_empty() => {
                    file.floor = figure("Mức sàn", &line.floor, own);
                }
                "steps" => file.steps = steps(&line.steps, own),
                _ => {}
            }
            file.no_data = Some(match line.no_data.trim() {
                "" => "zero".to_owned(),
                other => other.to_owned(),
            });
        }
    }
    file
}

/// "70: 2; 85: 4" as steps.
fn steps(raw: &str, own: &mut Vec<String>) -> Vec<StepFile> {
    let mut out = Vec::new();
    let parts: Vec<&str> = raw.split(';').map(str::trim).filter(|p| !p.is_empty()).collect();
    if parts.is_empty() {
        own.push("Cách tính bậc thang cần ít nhất một bậc, ghi dạng «70: 2; 85: 4» (từ mức số liệu: số điểm).".into());
        return out;
    }
    for part in parts.into_iter().take(50) {
        let Some((from, points)) = part.split_once(':') else {
            own.push(format!(
                "Bậc «{part}» chưa đúng dạng «mức số liệu: số điểm» (ví dụ 70: 2)."
            ));
            continue;
        };
        let from = figure("Mức của bậc", from, own);
        let points = item_points("Điểm của bậc", points, own);
        if let (Some(from), Some(points)) = (from, points) {
            out.push(StepFile { from, points });
        }
    }
    out
}

/// The years that have criteria for `level`, newest first (what a new year can start
/// from).
pub async fn years(app: &App, level: &str) -> Result<Vec<i32>, Error> {
    Ok(app.store().criteria_years(level).await?)
}

fn refuse(level: &str, year: i32) -> Error {
    let label = thidua_core::unit::kind_label_vi(level);
    Error::Forbidden(format!(
        "Bảng tiêu chí thi đua cấp {label} năm {year} dùng để chấm mọi đơn vị cấp {label}, kể cả các cụm ngoài phạm vi của bạn: chỉ cấp trên quản lý tất cả các đơn vị ấy, hoặc quản trị viên, mới soạn hay sửa được. Chưa có gì được lưu."
    ))
}

/// Dấu phiên bản — which stored set an editor was opened on: the current version's
/// number and the moment it was last written (the store writes RFC 3339 to the
/// nanosecond on every insert and in-place update), empty when the year had none. The
/// page carries it in a hidden field; a save whose stamp is no longer the current one
/// is refused ([`NotSaved::Changed`]) instead of overwriting what someone else saved.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Stamp(String);

impl Stamp {
    /// The stamp of the stored set, or of none.
    pub fn of(stored: Option<&StoredCriteria>) -> Stamp {
        Stamp(stored.map(StoredCriteria::stamp).unwrap_or_default())
    }

    /// As posted back by a form (anything: an unknown stamp is simply not the current one).
    pub fn parse(raw: &str) -> Stamp {
        Stamp(raw.trim().chars().take(100).collect())
    }

    /// As a form carries it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What the editor opens: the draft and the stamp of the set it started from.
#[derive(Debug, Clone, PartialEq)]
pub struct Opened {
    /// The draft.
    pub draft: Draft,
    /// The year's current set when the editor opened ([`Stamp`]).
    pub stamp: Stamp,
}

/// Someone saved the year's criteria after the editor opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed {
    /// Who saved (display name; the login when no account has it, as for the CLI).
    pub by: String,
    /// When, as the pages write a moment ("25/7/2022 14:05", local time).
    pub at: String,
    /// The version now current.
    pub version: u32,
    /// The stamp of that version: a second «Lưu» carrying it replaces it knowingly.
    pub stamp: Stamp,
}

impl Changed {
    /// What the editor says, in Vietnamese.
    pub fn message(&self, year: i32) -> String {
        format!(
            "Bảng tiêu chí năm {year} đã được {} thay đổi lúc {} (phiên bản {}), sau khi bạn mở trang soạn này. Bản soạn của bạn chưa được lưu và vẫn giữ nguyên bên dưới: tải lại bảng đã lưu để xem thay đổi ấy, hoặc bấm «Lưu bảng tiêu chí» lần nữa nếu muốn thay bằng bản soạn của bạn.",
            self.by, self.at, self.version
        )
    }
}

/// Why a draft was not saved.
#[derive(Debug, Clone, PartialEq)]
pub enum NotSaved {
    /// Mistakes in the draft, beside their lines.
    Mistakes(Mistakes),
    /// The criteria were saved by someone else since the editor opened.
    Changed(Changed),
}

/// Who saved the stored set and when, as the editor tells it.
async fn changed_by(app: &App, stored: &StoredCriteria) -> Result<Changed, Error> {
    let by = match app.store().user(&stored.created_by).await {
        Ok(user) => user.display_name,
        Err(StoreError::NotFound { .. }) => stored.created_by.clone(),
        Err(e) => return Err(e.into()),
    };
    let at = crate::forms::moment_vi(&stored.created_at);
    Ok(Changed {
        by,
        at,
        version: stored.version,
        stamp: Stamp::of(Some(stored)),
    })
}

/// The year's current set, if any.
async fn current(app: &App, level: &str, year: i32) -> Result<Option<StoredCriteria>, Error> {
    match app.store().criteria(level, year).await {
        Ok(stored) => Ok(Some(stored)),
        Err(StoreError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// What the editor opens with for `level` and `year`: the year's current set, or — when
/// `from` names an earlier year that has criteria — that year's set moved to this year
/// (nothing is saved until the editor saves), or a blank table; with the stamp of the
/// year's current set either way.
pub async fn draft(app: &App, caller: &Context, level: &str, year: i32, from: Option<i32>) -> Result<Opened, Error> {
    if !caller.access().can_issue_criteria(level, year) {
        return Err(refuse(level, year));
    }
    let catalog = app.store().catalog().await?;
    let stored = current(app, level, year).await?;
    let stamp = Stamp::of(stored.as_ref());
    if let Some(from) = from.filter(|&f| f != year) {
        if from > year {
            return Err(Error::Invalid(format!(
                "Chỉ sao chép được từ một năm trước năm {year}, không phải năm {from}."
            )));
        }
        let source = app.store().criteria(level, from).await?;
        let draft = Draft::of_set(&source.set.for_year(year)?, &catalog);
        return Ok(Opened { draft, stamp });
    }
    let draft = match stored {
        Some(stored) => Draft::of_set(&stored.set, &catalog),
        None => Draft::blank(year),
    };
    Ok(Opened { draft, stamp })
}

/// Saves the draft as `level`'s criteria for `year`: checked whole (each line, then core,
/// then the store's catalog check) and written in one transaction, which makes a new
/// version when the current one already scores sheets (they keep theirs). A mistake
/// comes back as [`NotSaved::Mistakes`], placed beside its lines, with nothing written.
///
/// `seen` is the stamp the editor opened with: when the year's current set is no longer
/// that one, someone saved in between and the draft is refused as
/// [`NotSaved::Changed`], nothing written. The store compares the stamp inside the
/// saving transaction ([`thidua_store::Store::save_criteria_since`]), so two editors
/// saving at the same moment cannot both win.
pub async fn save(
    app: &App,
    caller: &Context,
    level: &str,
    year: i32,
    draft: &Draft,
    seen: &Stamp,
) -> Result<Result<SavedCriteria, NotSaved>, Error> {
    if !caller.access().can_issue_criteria(level, year) {
        return Err(refuse(level, year));
    }
    if draft.len() > MAX_LINES {
        let mut mistakes = Mistakes::default();
        mistakes.general.push(format!(
            "Bảng tiêu chí có tối đa {MAX_LINES} dòng; bản soạn có {} dòng.",
            draft.len()
        ));
        return Ok(Err(NotSaved::Mistakes(mistakes)));
    }
    let set = match draft.check(level, year) {
        Ok(set) => set,
        Err(mistakes) => return Ok(Err(NotSaved::Mistakes(mistakes))),
    };
    match app
        .store()
        .save_criteria_since(&Actor::from(&caller.principal), set, seen.as_str())
        .await
    {
        Ok(saved) => Ok(Ok(saved)),
        Err(StoreError::Changed { .. }) => match current(app, level, year).await? {
            Some(stored) => Ok(Err(NotSaved::Changed(changed_by(app, &stored).await?))),
            // Removed meanwhile (not something the pages do): say so as a plain conflict.
            None => Err(Error::Conflict(format!(
                "Bảng tiêu chí năm {year} vừa thay đổi; hãy mở lại trang soạn."
            ))),
        },
        Err(StoreError::Domain(e)) => Ok(Err(NotSaved::Mistakes(draft.place(e)))),
        Err(StoreError::Conflict(message)) => Ok(Err(NotSaved::Mistakes(Mistakes {
            general: vec![sentence(&message)],
            lines: BTreeMap::new(),
        }))),
        Err(e) => Err(e.into()),
    }
}

/// Starts `to_year` from `from_year`'s current criteria, any earlier year that has them.
/// Refused when `to_year` already has criteria (they are edited instead).
pub async fn copy(
    app: &App,
    caller: &Context,
    level: &str,
    from_year: i32,
    to_year: i32,
) -> Result<SavedCriteria, Error> {
    if !caller.access().can_issue_criteria(level, to_year) {
        return Err(refuse(level, to_year));
    }
    if from_year >= to_year {
        return Err(Error::Invalid(format!(
            "Chỉ sao chép được từ một năm trước năm {to_year}, không phải năm {from_year}."
        )));
    }
    Ok(app
        .store()
        .copy_criteria(&Actor::from(&caller.principal), level, from_year, to_year)
        .await?)
}

/// The indicators a computed item can measure, in catalog order: (code, name).
pub async fn indicator_choices(app: &App) -> Result<Vec<(String, String)>, Error> {
    let catalog = app.store().catalog().await?;
    let mut seen = BTreeSet::new();
    Ok(catalog
        .indicators()
        .iter()
        .filter(|i| seen.insert(i.code.to_string()))
        .map(|i| (i.code.to_string(), i.name.clone()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(depth: usize, kind: LineKind, code: &str, max: &str) -> CriterionLine {
        CriterionLine {
            depth,
            kind: Some(kind),
            code: code.into(),
            name: format!("Tiêu chí {code}"),
            max: max.into(),
            ..CriterionLine::default()
        }
    }

    fn sample() -> Draft {
        Draft {
            name: "Bảng tiêu chí năm 2024".into(),
            scale: "100".into(),
            bonus_cap: "5".into(),
            lines: vec![
                line(0, LineKind::Group, "I", ""),
                line(1, LineKind::Manual, "I.1", "30"),
                line(1, LineKind::Manual, "I.2", "30"),
                line(0, LineKind::Group, "II", ""),
                line(1, LineKind::Manual, "II.1", "40"),
            ],
            ..Draft::default()
        }
    }

    fn codes(d: &Draft) -> Vec<&str> {
        d.lines.iter().map(|l| l.code.as_str()).collect()
    }

    #[test]
    fn a_group_moves_with_its_items_and_an_item_among_its_siblings() {
        let mut d = sample();
        d.apply(Edit::Up(Section::Criteria, 3));
        assert_eq!(codes(&d), ["II", "II.1", "I", "I.1", "I.2"]);
        d.apply(Edit::Down(Section::Criteria, 3));
        assert_eq!(codes(&d), ["II", "II.1", "I", "I.2", "I.1"]);
        d.apply(Edit::Down(Section::Criteria, 4));
        assert_eq!(codes(&d), ["II", "II.1", "I", "I.2", "I.1"], "the last item stays");
        d.apply(Edit::Remove(Section::Criteria, 0));
        assert_eq!(codes(&d), ["I", "I.2", "I.1"]);
    }

    #[test]
    fn an_item_moved_to_the_next_group_goes_to_its_end_with_its_points_and_scoring() {
        let mut d = sample();
        d.lines[0].max = "60".into();
        d.lines[3].max = "40".into();
        d.lines[1].kind = Some(LineKind::Computed);
        d.lines[1].indicator = "TTND_DA_GIAI_QUYET".into();
        d.lines[1].target = "95".into();

        d.apply(Edit::ToGroupBelow(1));

        assert_eq!(codes(&d), ["I", "I.2", "II", "II.1", "II.2"]);
        let moved = &d.lines[4];
        assert_eq!(
            (
                moved.depth,
                moved.kind(),
                moved.max.as_str(),
                moved.indicator.as_str(),
                moved.target.as_str()
            ),
            (1, LineKind::Computed, "30", "TTND_DA_GIAI_QUYET", "95")
        );
        assert_eq!(
            (d.lines[0].max.as_str(), d.lines[2].max.as_str()),
            ("30", "70"),
            "the totals follow"
        );
    }

    #[test]
    fn an_item_moved_to_the_group_above_goes_to_its_end_and_an_emptied_group_has_no_total() {
        let mut d = sample();
        d.lines[3].max = "40".into();
        d.lines[4].code = "A".into();

        d.apply(Edit::ToGroupAbove(4));

        assert_eq!(codes(&d), ["I", "I.1", "I.2", "A", "II"], "a code of its own is kept");
        assert_eq!((d.lines[0].max.as_str(), d.lines[4].max.as_str()), ("", ""));
    }

    #[test]
    fn the_first_group_s_item_does_not_move_up_a_group_nor_a_group_into_a_group() {
        let mut d = sample();
        for edit in [
            Edit::ToGroupAbove(1),
            Edit::ToGroupBelow(4),
            Edit::ToGroupBelow(0),
            Edit::ToGroupAbove(3),
            Edit::ToGroupBelow(99),
        ] {
            d.apply(edit);
            assert_eq!(d, sample(), "{edit:?} changes nothing");
        }
        assert_eq!(
            (d.group_above(1), d.group_below(1), d.group_above(4)),
            (None, Some(3), Some(0))
        );
    }

    #[test]
    fn a_moved_item_s_code_takes_the_next_free_one_of_its_new_group() {
        let mut d = sample();
        d.lines.insert(5, line(1, LineKind::Manual, "II.3", "0"));
        d.apply(Edit::ToGroupBelow(2));
        assert_eq!(codes(&d), ["I", "I.1", "II", "II.1", "II.3", "II.4"]);
    }

    #[test]
    fn an_item_is_added_at_the_end_of_its_group_with_the_next_code() {
        let mut d = sample();
        d.apply(Edit::AddItem(0));
        assert_eq!(codes(&d), ["I", "I.1", "I.2", "I.3", "II", "II.1"]);
        d.apply(Edit::AddGroup);
        assert_eq!(d.lines.last().map(|l| l.code.as_str()), Some("III"));
    }

    #[test]
    fn every_line_s_mistake_is_told_beside_it_at_once() {
        let mut d = sample();
        d.lines[1].max = "-2".into();
        d.lines[4].name = " ".into();
        let mistakes = d.check("district", 2024).unwrap_err();
        assert!(mistakes.lines[&(Section::Criteria, 1)][0].starts_with("Điểm tối đa «-2» không hợp lệ"));
        assert_eq!(mistakes.lines[&(Section::Criteria, 4)], ["Chưa ghi nội dung tiêu chí."]);
    }

    #[test]
    fn a_group_whose_stated_maximum_is_not_its_items_sum_is_told_on_the_group() {
        let mut d = sample();
        d.lines[0].max = "50".into();
        let mistakes = d.check("district", 2024).unwrap_err();
        assert_eq!(
            mistakes.lines[&(Section::Criteria, 0)],
            ["Điểm tối đa của nhóm là 50 nhưng các tiêu chí con cộng lại được 60."]
        );
        assert!(sample().check("district", 2024).is_ok());
    }
}
