//! Sắp xếp tổ chức — reorganisations with effective dates (merge, split, move, rename,
//! close) and the two views of history they give:
//! - the tree as it was in a period (the default): every unit where it stood then, a
//!   moved unit under its old parent for periods before the move, a closed unit in its
//!   place for the periods it existed;
//! - today's tree: a merged unit's past is the sum of its predecessors', a split unit's
//!   past is shared by the split's weights (or stays with the old unit when the split has
//!   none), so "this year against three years ago" works for units that did not exist
//!   three years ago.
//!
//! Values always stay with the unit that reported them; only how they add up changes.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::Serialize;

use crate::code::UnitCode;
use crate::period::format_date_vi;
use crate::unit::{Unit, UnitTree};

/// The kind of a reorganisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum ChangeKind {
    /// Hợp nhất — several units become one (new, or one of them).
    Merge,
    /// Chia tách — one unit becomes several.
    Split,
    /// Điều chuyển — a unit is put under another parent.
    Move,
    /// Đổi tên.
    Rename,
    /// Giải thể — a unit ends without successor.
    Close,
}

impl ChangeKind {
    /// Reads `merge`, `split`, `move`, `rename` or `close`.
    pub fn parse(raw: &str) -> Option<ChangeKind> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "merge" => Some(ChangeKind::Merge),
            "split" => Some(ChangeKind::Split),
            "move" => Some(ChangeKind::Move),
            "rename" => Some(ChangeKind::Rename),
            "close" => Some(ChangeKind::Close),
            _ => None,
        }
    }

    /// How it is written in the files.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Merge => "merge",
            ChangeKind::Split => "split",
            ChangeKind::Move => "move",
            ChangeKind::Rename => "rename",
            ChangeKind::Close => "close",
        }
    }

    /// The Vietnamese word.
    pub fn label_vi(self) -> &'static str {
        match self {
            ChangeKind::Merge => "hợp nhất",
            ChangeKind::Split => "chia tách",
            ChangeKind::Move => "điều chuyển",
            ChangeKind::Rename => "đổi tên",
            ChangeKind::Close => "giải thể",
        }
    }
}

/// Một lần sắp xếp — one reorganisation, effective from a day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitChange {
    /// The first day of the new organisation.
    pub effective: NaiveDate,
    /// What happens.
    pub kind: ChangeKind,
    /// The units changed (merged, split, moved, renamed, closed).
    pub from: Vec<UnitCode>,
    /// The units that result (merge: one; split: several, each with its share of the
    /// history when one is given).
    pub to: Vec<(UnitCode, Option<f64>)>,
    /// A move's parent before and after.
    pub parents: Option<(Option<UnitCode>, UnitCode)>,
    /// A rename's name before and after.
    pub names: Option<(String, String)>,
}

/// Which tree history is read under.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
pub enum TreeView {
    /// Cây tổ chức tại kỳ báo cáo — the tree as it was in the period.
    #[default]
    AsItWas,
    /// Cây tổ chức hiện nay — today's tree.
    Current,
}

impl TreeView {
    /// Reads `period` (or empty) and `current`, as the pages and the CLI write them.
    pub fn parse(raw: &str) -> Option<TreeView> {
        match raw.trim() {
            "" | "period" | "as-it-was" => Some(TreeView::AsItWas),
            "current" => Some(TreeView::Current),
            _ => None,
        }
    }

    /// How it is written in links.
    pub fn as_str(self) -> &'static str {
        match self {
            TreeView::AsItWas => "period",
            TreeView::Current => "current",
        }
    }

    /// The Vietnamese name.
    pub fn label_vi(self) -> &'static str {
        match self {
            TreeView::AsItWas => "theo tổ chức tại kỳ báo cáo",
            TreeView::Current => "theo tổ chức hiện nay",
        }
    }
}

/// Lịch sử sắp xếp — every reorganisation applied, oldest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Lineage {
    changes: Vec<UnitChange>,
}

/// How deep predecessors are followed to today's units: reorganisations of
/// reorganisations, bounded against a cycle that bad data could make.
const DEEPEST_CHAIN: usize = 16;

impl Lineage {
    /// The history from its changes (any order).
    pub fn new(mut changes: Vec<UnitChange>) -> Lineage {
        changes.sort_by_key(|c| c.effective);
        Lineage { changes }
    }

    /// Every change, oldest first.
    pub fn changes(&self) -> &[UnitChange] {
        &self.changes
    }

    /// Whether nothing was ever reorganised.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// The change that ended `unit` (a merge into another unit, a split, a closure).
    fn ending(&self, unit: &UnitCode) -> Option<&UnitChange> {
        self.changes.iter().find(|c| {
            matches!(c.kind, ChangeKind::Merge | ChangeKind::Split | ChangeKind::Close)
                && c.from.contains(unit)
                && !c.to.iter().any(|(t, _)| t == unit)
        })
    }

    /// Where `unit`'s history lies in today's tree: the units it became, each with its
    /// share (1 for a merge). A unit still open, closed without successor or split
    /// without weights keeps its own history.
    pub fn successors_today(&self, unit: &UnitCode) -> Vec<(UnitCode, f64)> {
        self.successors_within(unit, 1.0, 0)
    }

    fn successors_within(&self, unit: &UnitCode, share: f64, depth: usize) -> Vec<(UnitCode, f64)> {
        let Some(change) = self.ending(unit).filter(|_| depth < DEEPEST_CHAIN) else {
            return vec![(unit.clone(), share)];
        };
        match change.kind {
            ChangeKind::Merge => change
                .to
                .iter()
                .flat_map(|(to, _)| self.successors_within(to, share, depth + 1))
                .collect(),
            ChangeKind::Split if change.to.iter().all(|(_, w)| w.is_some()) => change
                .to
                .iter()
                .flat_map(|(to, w)| self.successors_within(to, share * w.unwrap_or(0.0), depth + 1))
                .collect(),
            _ => vec![(unit.clone(), share)],
        }
    }

    /// `unit`'s parent on `day`: its parent today, unless a later move changed it.
    pub fn parent_on<'a>(&'a self, tree: &'a UnitTree, unit: &UnitCode, day: NaiveDate) -> Option<&'a UnitCode> {
        let later_move = self
            .changes
            .iter()
            .filter(|c| c.kind == ChangeKind::Move && c.effective > day && c.from.contains(unit))
            .min_by_key(|c| c.effective);
        match later_move.and_then(|c| c.parents.as_ref()) {
            Some((before, _)) => before.as_ref(),
            None => tree.get(unit).and_then(|u| u.parent.as_ref()),
        }
    }

    /// The moves of `unit`: (first day under the new parent, the parent before).
    pub fn moves_of(&self, unit: &UnitCode) -> Vec<(NaiveDate, Option<UnitCode>)> {
        self.changes
            .iter()
            .filter(|c| c.kind == ChangeKind::Move && c.from.contains(unit))
            .filter_map(|c| c.parents.as_ref().map(|(before, _)| (c.effective, before.clone())))
            .collect()
    }

    /// The units whose history today's `unit` carries (itself included), with shares.
    pub fn predecessors_of(&self, unit: &UnitCode, tree: &UnitTree) -> Vec<(UnitCode, f64)> {
        tree.units()
            .flat_map(|u| {
                self.successors_today(&u.code)
                    .into_iter()
                    .filter(|(to, _)| to == unit)
                    .map(|(_, w)| (u.code.clone(), w))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// The unit's history in sentences, as the unit page shows it: "Thành lập ngày
    /// 1/7/2025 trên cơ sở hợp nhất phường A và phường B.", "Từ ngày 1/7/2025 hợp nhất
    /// vào phường C.", …
    pub fn describe_vi(&self, tree: &UnitTree, unit: &UnitCode) -> Vec<String> {
        let name = |code: &UnitCode| tree.get(code).map_or_else(|| code.to_string(), |u| short(u).to_owned());
        let names = |codes: &mut dyn Iterator<Item = &UnitCode>| join_vi(&codes.map(name).collect::<Vec<_>>());
        let mut out = Vec::new();
        for c in &self.changes {
            let day = format_date_vi(c.effective);
            let to: Vec<&UnitCode> = c.to.iter().map(|(t, _)| t).collect();
            let from_others = || c.from.iter().filter(|f| *f != unit);
            match c.kind {
                ChangeKind::Merge if to.contains(&unit) && c.from.contains(unit) => out.push(format!(
                    "Từ ngày {day} hợp nhất thêm {} vào đơn vị.",
                    names(&mut from_others())
                )),
                ChangeKind::Merge if to.contains(&unit) => out.push(format!(
                    "Thành lập ngày {day} trên cơ sở hợp nhất {}.",
                    names(&mut c.from.iter())
                )),
                ChangeKind::Merge if c.from.contains(unit) => out.push(format!(
                    "Từ ngày {day} hợp nhất vào {}; số liệu trước đó được cộng vào đơn vị này khi xem theo tổ chức hiện nay.",
                    names(&mut to.iter().copied())
                )),
                ChangeKind::Split if to.contains(&unit) && !c.from.contains(unit) => out.push(format!(
                    "Thành lập ngày {day} trên cơ sở chia tách {}{}.",
                    names(&mut c.from.iter()),
                    share_text(c, unit)
                )),
                ChangeKind::Split if c.from.contains(unit) => {
                    let weighted = c.to.iter().all(|(_, w)| w.is_some());
                    out.push(format!(
                        "Từ ngày {day} chia tách thành {}; {}.",
                        names(&mut to.iter().copied()),
                        if weighted {
                            "số liệu trước đó được chia cho các đơn vị mới theo tỷ lệ khi xem theo tổ chức hiện nay"
                        } else {
                            "không có tỷ lệ chia nên số liệu trước đó vẫn thuộc đơn vị cũ"
                        }
                    ));
                }
                ChangeKind::Move if c.from.contains(unit) => {
                    if let Some((before, after)) = &c.parents {
                        out.push(format!(
                            "Từ ngày {day} chuyển từ {} về {}.",
                            before.as_ref().map_or_else(|| "cấp cao nhất".to_owned(), name),
                            name(after)
                        ));
                    }
                }
                ChangeKind::Rename if c.from.contains(unit) => {
                    if let Some((before, after)) = &c.names {
                        out.push(format!("Từ ngày {day} đổi tên từ «{before}» thành «{after}»."));
                    }
                }
                ChangeKind::Close if c.from.contains(unit) => out.push(format!("Giải thể từ ngày {day}.")),
                _ => {}
            }
        }
        out
    }
}

fn short(unit: &Unit) -> &str {
    unit.short_name()
}

fn share_text(change: &UnitChange, unit: &UnitCode) -> String {
    change
        .to
        .iter()
        .find(|(t, _)| t == unit)
        .and_then(|(_, w)| *w)
        .map(|w| {
            format!(
                " (nhận {}% số liệu trước đó)",
                crate::number::format_decimal_trimmed(w * 100.0, 1)
            )
        })
        .unwrap_or_default()
}

/// Whether `unit` lies below `ancestor` in the tree as the changes have left it.
fn is_below(units: &BTreeMap<UnitCode, (Unit, bool)>, unit: &UnitCode, ancestor: &UnitCode) -> bool {
    let mut current = units.get(unit).and_then(|(u, _)| u.parent.as_ref());
    for _ in 0..units.len() {
        match current {
            Some(p) if p == ancestor => return true,
            Some(p) => current = units.get(p).and_then(|(u, _)| u.parent.as_ref()),
            None => return false,
        }
    }
    false
}

/// "A", "A và B", "A, B và C".
fn join_vi(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} và {last}", init.join(", ")),
    }
}

/// What a reorganisation does to the unit table, checked against the tree it applies to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// Units to create (a merge's or a split's new units).
    pub create: Vec<Unit>,
    /// Units that end: their last day.
    pub end: BTreeMap<UnitCode, NaiveDate>,
    /// Units that move: their new parent.
    pub reparent: BTreeMap<UnitCode, UnitCode>,
    /// Units renamed: their new name.
    pub rename: BTreeMap<UnitCode, String>,
    /// The changes as they will be recorded (a move's parent and a rename's name before
    /// filled in).
    pub changes: Vec<UnitChange>,
}

/// One change as read from a file, before it is checked against the tree.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeRequest {
    /// The first day of the new organisation.
    pub effective: NaiveDate,
    /// What happens.
    pub kind: ChangeKind,
    /// The units changed.
    pub from: Vec<UnitCode>,
    /// The units that result, with a split's shares.
    pub to: Vec<(UnitCode, Option<f64>)>,
    /// A rename's new name, or the names of new units (one per `to`, separated by `;`).
    pub names: Vec<String>,
    /// A move's new parent, or the parent of new units.
    pub parent: Option<UnitCode>,
}

/// Checks the changes in order against `tree` and says what they do to it, or what is
/// wrong with each (by its index in `requests`).
pub fn plan(tree: &UnitTree, requests: &[ChangeRequest]) -> Result<Plan, Vec<(usize, String)>> {
    let mut plan = Plan::default();
    let mut errors = Vec::new();
    // What exists as the changes go, by code: (unit, open).
    let mut units: BTreeMap<UnitCode, (Unit, bool)> = tree
        .units()
        .map(|u| (u.code.clone(), (u.clone(), u.valid_to.is_none())))
        .collect();
    for (i, r) in requests.iter().enumerate() {
        let before = errors.len();
        let mut fail = |reason: String| errors.push((i, reason));
        let the_day_before = r.effective.pred_opt().unwrap_or(r.effective);
        for code in &r.from {
            match units.get(code) {
                None => fail(format!("không có đơn vị «{code}»")),
                Some((_, false)) => fail(format!(
                    "đơn vị «{code}» đã kết thúc trước ngày {}",
                    format_date_vi(r.effective)
                )),
                Some((u, true)) if u.valid_from.is_some_and(|f| f >= r.effective) => fail(format!(
                    "đơn vị «{code}» chưa tồn tại trước ngày {}",
                    format_date_vi(r.effective)
                )),
                _ => {}
            }
        }
        let distinct: BTreeSet<&UnitCode> = r.from.iter().collect();
        if distinct.len() != r.from.len() {
            fail("một đơn vị được kể hai lần trong cột from".into());
        }
        match r.kind {
            ChangeKind::Merge => {
                if r.from.len() < 2 {
                    fail("hợp nhất cần ít nhất hai đơn vị trong cột from".into());
                }
                if r.to.len() != 1 {
                    fail("hợp nhất cho đúng một đơn vị trong cột to".into());
                }
            }
            ChangeKind::Split => {
                if r.from.len() != 1 {
                    fail("chia tách một đơn vị: cột from có đúng một mã".into());
                }
                if r.to.len() < 2 {
                    fail("chia tách cần ít nhất hai đơn vị trong cột to".into());
                }
                let weights: Vec<f64> = r.to.iter().filter_map(|(_, w)| *w).collect();
                if !weights.is_empty() && weights.len() != r.to.len() {
                    fail("tỷ lệ chia phải ghi cho mọi đơn vị trong cột to, hoặc không ghi cho đơn vị nào".into());
                } else if !weights.is_empty() {
                    let total: f64 = weights.iter().sum();
                    if weights.iter().any(|w| !(0.0..=1.0).contains(w)) || (total - 1.0).abs() > 0.001 {
                        fail(format!(
                            "các tỷ lệ chia phải từ 0 đến 1 và cộng lại bằng 1 (đang là {total})"
                        ));
                    }
                }
            }
            ChangeKind::Move => {
                if r.from.len() != 1 {
                    fail("điều chuyển một đơn vị: cột from có đúng một mã".into());
                }
                match &r.parent {
                    None => fail("điều chuyển cần mã đơn vị cấp trên mới trong cột parent".into()),
                    Some(p) if !units.get(p).is_some_and(|(_, open)| *open) => {
                        fail(format!("không có đơn vị cấp trên «{p}» đang hoạt động"))
                    }
                    Some(p) if r.from.contains(p) || is_below(&units, p, &r.from[0]) => {
                        fail("không thể chuyển một đơn vị về dưới chính nó hoặc đơn vị cấp dưới của nó".into())
                    }
                    _ => {}
                }
            }
            ChangeKind::Rename => {
                if r.from.len() != 1 || r.names.len() != 1 {
                    fail("đổi tên một đơn vị: cột from có đúng một mã và cột name có tên mới".into());
                }
            }
            ChangeKind::Close => {
                if r.from.is_empty() {
                    fail("giải thể cần mã đơn vị trong cột from".into());
                }
            }
        }
        // New units of a merge or a split, named in order.
        let new_targets: Vec<&UnitCode> =
            r.to.iter()
                .map(|(t, _)| t)
                .filter(|t| !units.contains_key(*t))
                .collect();
        if matches!(r.kind, ChangeKind::Merge | ChangeKind::Split) {
            for (t, _) in &r.to {
                if let Some((_, false)) = units.get(t) {
                    fail(format!("đơn vị «{t}» đã kết thúc, không nhận thêm đơn vị khác"));
                }
            }
            if let Some(p) = &r.parent
                && !new_targets.is_empty()
                && (!units.get(p).is_some_and(|(_, open)| *open) || r.from.contains(p))
            {
                fail(format!(
                    "đơn vị cấp trên «{p}» của đơn vị mới phải đang hoạt động và không nằm trong cột from"
                ));
            }
            if !new_targets.is_empty() && r.names.len() != new_targets.len() {
                fail(format!(
                    "cột name cần tên cho mỗi đơn vị mới ({}), cách nhau bằng dấu ;",
                    new_targets.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ")
                ));
            }
        }
        // A unit that ends must not leave open units below it: they would hang under
        // nothing. They are moved or merged first, by earlier rows.
        let ending: Vec<&UnitCode> = match r.kind {
            ChangeKind::Merge | ChangeKind::Split => {
                r.from.iter().filter(|f| !r.to.iter().any(|(t, _)| t == *f)).collect()
            }
            ChangeKind::Close => r.from.iter().collect(),
            ChangeKind::Move | ChangeKind::Rename => Vec::new(),
        };
        for code in ending {
            let below: Vec<&str> = units
                .values()
                .filter(|(u, open)| *open && u.parent.as_ref() == Some(code) && !r.from.contains(&u.code))
                .map(|(u, _)| u.code.as_str())
                .collect();
            if !below.is_empty() {
                fail(format!(
                    "đơn vị «{code}» còn đơn vị cấp dưới đang hoạt động ({}); hãy điều chuyển hoặc hợp nhất chúng ở các dòng trước",
                    below.join(", ")
                ));
            }
        }
        if errors.len() > before {
            continue;
        }
        let first = r.from.first().and_then(|c| units.get(c)).map(|(u, _)| u.clone());
        let mut change = UnitChange {
            effective: r.effective,
            kind: r.kind,
            from: r.from.clone(),
            to: r.to.clone(),
            parents: None,
            names: None,
        };
        match r.kind {
            ChangeKind::Merge | ChangeKind::Split => {
                for (target, name) in new_targets.iter().zip(&r.names) {
                    let unit = Unit {
                        code: (*target).clone(),
                        name: name.clone(),
                        kind: first.as_ref().map_or_else(|| "ward".to_owned(), |u| u.kind.clone()),
                        parent: r
                            .parent
                            .clone()
                            .or_else(|| first.as_ref().and_then(|u| u.parent.clone())),
                        valid_from: Some(r.effective),
                        valid_to: None,
                    };
                    units.insert(unit.code.clone(), (unit.clone(), true));
                    plan.create.push(unit);
                }
                for code in &r.from {
                    if !r.to.iter().any(|(t, _)| t == code) {
                        plan.end.insert(code.clone(), the_day_before);
                        if let Some(entry) = units.get_mut(code) {
                            entry.1 = false;
                        }
                    }
                }
            }
            ChangeKind::Close => {
                for code in &r.from {
                    plan.end.insert(code.clone(), the_day_before);
                    if let Some(entry) = units.get_mut(code) {
                        entry.1 = false;
                    }
                }
            }
            ChangeKind::Move => {
                if let (Some(code), Some(parent)) = (r.from.first(), &r.parent)
                    && let Some((unit, _)) = units.get_mut(code)
                {
                    change.parents = Some((unit.parent.clone(), parent.clone()));
                    unit.parent = Some(parent.clone());
                    plan.reparent.insert(code.clone(), parent.clone());
                }
            }
            ChangeKind::Rename => {
                if let (Some(code), Some(name)) = (r.from.first(), r.names.first())
                    && let Some((unit, _)) = units.get_mut(code)
                {
                    change.names = Some((unit.name.clone(), name.clone()));
                    unit.name = name.clone();
                    plan.rename.insert(code.clone(), name.clone());
                }
            }
        }
        plan.changes.push(change);
    }
    if errors.is_empty() { Ok(plan) } else { Err(errors) }
}

#[cfg(test)]
mod tests;
