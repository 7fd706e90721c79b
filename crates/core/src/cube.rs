//! Khối số liệu — the rollup engine's state: every reported number held compactly in
//! memory, with each upper unit's subtree totals per calendar period kept current as
//! values change, so that a rollup of a cluster, a province or the nation reads a few
//! totals instead of every value below it.
//!
//! The rules are those of [`crate::rollup`], which stays the plain reference the engine
//! is tested against:
//! - over time, per unit and indicator, a value inside a longer value of the same unit
//!   that also lies in the period asked for is dropped (a year reported whole is not
//!   added to its own half-years); the rest combine by the indicator's aggregation, a
//!   `last` stock taking the latest;
//! - across units, sums and stocks add up, averages average the units' figures, min and
//!   max pick; formula indicators are computed last, on the combined figures.
//!
//! What is kept:
//! - per unit, its numbers as a sorted column of keys (indicator, period, whole) and a
//!   column of values — 12 bytes a value;
//! - per unit that has units below it and per calendar period (the periods reported and
//!   every longer one containing them), the subtree's sum, count of units with a
//!   figure and count of those not whole, per indicator ([`Total`]).
//!
//! A change replaces one unit's numbers for one period: the unit's own figures for that
//! period and the longer ones containing it are computed before and after, and the
//! difference is added to the totals of the unit and each unit above it — a handful of
//! additions, however large the tree. Min and max cannot be kept by differences; they are
//! computed over the subtree's units when asked (few indicators use them).
//!
//! A range of periods ([`PeriodRange`], `2025Q1..2025Q3`) is answered from the same
//! totals, one period after another: sums and averages add every period's totals (each
//! period computed as above, so a year reported whole is still counted once), a `last`
//! stock is each unit's latest figure in the range, added up, min and max pick across
//! the periods, and formulas are computed once, on the range's figures.
//!
//! Text values are not rolled up: there is nothing to add.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;
use serde::Serialize;

use crate::cluster::Cluster;
use crate::code::{IndicatorCode, UnitCode};
use crate::indicator::{Aggregation, Catalog};
use crate::lineage::{Lineage, TreeView};
use crate::period::Period;
use crate::period_range::PeriodRange;
use crate::rollup::{ClusterRollup, Figures};
use crate::unit::{Unit, UnitTree};
use crate::value::Value;

/// The first year a period may have ([`Period::parse`] refuses earlier ones).
const FIRST_YEAR: i32 = 1945;
/// Periods a year holds: the year, 2 halves, 4 quarters, 12 months.
const SLOTS_PER_YEAR: u16 = 19;

/// A calendar period as a small number: the year's offset times 19, plus 0 for the year,
/// 1–2 for its halves, 3–6 for its quarters and 7–18 for its months.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Slot(u16);

impl Slot {
    fn of(period: Period) -> Option<Slot> {
        let offset = u16::try_from(period.year().checked_sub(FIRST_YEAR)?).ok()?;
        let within = match period {
            Period::Year(_) => 0,
            Period::HalfYear(_, h) => u16::from(h),
            Period::Quarter(_, q) => 2 + u16::from(q),
            Period::Month(_, m) => 6 + u16::from(m),
        };
        offset.checked_mul(SLOTS_PER_YEAR)?.checked_add(within).map(Slot)
    }

    fn period(self) -> Period {
        let year = FIRST_YEAR + i32::from(self.0 / SLOTS_PER_YEAR);
        // Each arm's number is in range by construction of `of`.
        match self.0 % SLOTS_PER_YEAR {
            0 => Period::Year(year),
            w @ 1..=2 => Period::HalfYear(year, w as u8),
            w @ 3..=6 => Period::Quarter(year, (w - 2) as u8),
            w => Period::Month(year, (w - 6) as u8),
        }
    }

    fn year(self) -> u16 {
        self.0 / SLOTS_PER_YEAR
    }

    /// The months of its year the period covers, first and last (1–12).
    fn months(self) -> (u8, u8) {
        match self.0 % SLOTS_PER_YEAR {
            0 => (1, 12),
            w @ 1..=2 => {
                let h = w as u8;
                (6 * h - 5, 6 * h)
            }
            w @ 3..=6 => {
                let q = (w - 2) as u8;
                (3 * q - 2, 3 * q)
            }
            w => {
                let m = (w - 6) as u8;
                (m, m)
            }
        }
    }

    /// Whether `other` lies wholly inside this period (a period contains itself).
    fn contains(self, other: Slot) -> bool {
        let (a, b) = self.months();
        let (c, d) = other.months();
        self.year() == other.year() && a <= c && d <= b
    }

    /// This period and every longer one containing it: a month's quarter, half and year.
    fn with_containers(self) -> impl Iterator<Item = Slot> {
        let base = self.year() * SLOTS_PER_YEAR;
        let (first, _) = self.months();
        let quarter = base + 2 + u16::from(first.div_ceil(3));
        let half = base + u16::from(first.div_ceil(6));
        let is_month = self.0 % SLOTS_PER_YEAR >= 7;
        let is_quarter = (3..=6).contains(&(self.0 % SLOTS_PER_YEAR));
        let is_half = (1..=2).contains(&(self.0 % SLOTS_PER_YEAR));
        [
            Some(self),
            is_month.then_some(Slot(quarter)),
            (is_month || is_quarter).then_some(Slot(half)),
            (is_month || is_quarter || is_half).then_some(Slot(base)),
        ]
        .into_iter()
        .flatten()
    }
}

/// A unit's place in the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UnitSlot(u32);

/// An indicator's place in the engine (only indicators reported as numbers have one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IndicatorSlot(u16);

/// A unit's own numbers, sorted by key: (indicator << 17) | (slot << 1) | whole.
#[derive(Debug, Clone, Default)]
struct Numbers {
    keys: Vec<u32>,
    values: Vec<f64>,
}

fn key(indicator: IndicatorSlot, slot: Slot, whole: bool) -> u32 {
    (u32::from(indicator.0) << 17) | (u32::from(slot.0) << 1) | u32::from(whole)
}

fn key_indicator(key: u32) -> u16 {
    (key >> 17) as u16
}

fn key_slot(key: u32) -> Slot {
    Slot(((key >> 1) & 0xFFFF) as u16)
}

fn key_whole(key: u32) -> bool {
    key & 1 == 1
}

/// One unit's figure for one indicator and period, from its own numbers.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Own {
    value: f64,
    whole: bool,
}

/// Tổng của cây con — a subtree's total for one indicator and period: the sum of its
/// units' figures, how many units have one, and how many of those are not whole.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Total {
    sum: f64,
    count: u32,
    fractional: u32,
}

impl Total {
    /// Adds (`sign` 1) or takes away (-1) a unit's figure, `share` of it (a split's weight).
    fn add(&mut self, own: Own, sign: f64, share: f64) {
        self.sum += sign * share * own.value;
        let fractional = u32::from(!own.whole || share != 1.0);
        if sign > 0.0 {
            self.count += 1;
            self.fractional += fractional;
        } else {
            self.count = self.count.saturating_sub(1);
            self.fractional = self.fractional.saturating_sub(fractional);
        }
        if self.count == 0 {
            // No figure left: drop the rounding dust of the differences.
            self.sum = 0.0;
        }
    }

    fn merge(&mut self, other: &Total) {
        self.sum += other.sum;
        self.count += other.count;
        self.fractional += other.fractional;
    }
}

/// How an indicator adds up, as the engine needs it.
#[derive(Debug, Clone)]
struct Measure {
    code: IndicatorCode,
    aggregation: Aggregation,
}

#[derive(Debug, Clone)]
struct Node {
    /// Its parent today.
    parent: Option<UnitSlot>,
    /// Its moves, oldest first: (first day under the new parent, the parent before).
    moves: Vec<(NaiveDate, Option<UnitSlot>)>,
    /// Where its history lies in today's tree when a merge or a weighted split ended it:
    /// the units it became, with their shares. Empty for a unit that keeps its history.
    became: Vec<(UnitSlot, f64)>,
    /// Whether any unit's figures ever add into it (then its totals are kept).
    upper: bool,
}

impl Node {
    /// Its parent on `day`.
    fn parent_on(&self, day: NaiveDate) -> Option<UnitSlot> {
        self.moves
            .iter()
            .find(|(from, _)| day < *from)
            .map_or(self.parent, |(_, before)| *before)
    }
}

/// The two trees history is read under, as indices into the cube's totals.
fn view_index(view: TreeView) -> usize {
    match view {
        TreeView::AsItWas => 0,
        TreeView::Current => 1,
    }
}

/// Subtree totals per (upper unit, period), one per measure.
type Totals = BTreeMap<(UnitSlot, Slot), Box<[Total]>>;

/// Khối số liệu — the rollup engine: every number reported, and the subtree totals of
/// each upper unit, for one unit tree and one catalog (a change to either builds a new
/// one).
#[derive(Debug, Clone)]
pub struct Cube {
    catalog: Catalog,
    nodes: Vec<Node>,
    unit_slots: HashMap<UnitCode, UnitSlot>,
    measures: Vec<Measure>,
    indicator_slots: HashMap<IndicatorCode, IndicatorSlot>,
    numbers: Vec<Numbers>,
    /// Per tree view, subtree totals per (upper unit, period), one per measure.
    totals: [Totals; 2],
    /// Per tree view and (unit, period as reported), how many numbers its subtree holds.
    reported: [BTreeMap<(UnitSlot, Slot), u64>; 2],
    values: usize,
}

impl Cube {
    /// An empty engine over a unit tree, its reorganisations and a catalog.
    pub fn new(tree: &UnitTree, lineage: &Lineage, catalog: &Catalog) -> Cube {
        let mut unit_slots = HashMap::with_capacity(tree.len());
        for (i, unit) in tree.units().enumerate() {
            unit_slots.insert(unit.code.clone(), UnitSlot(i as u32));
        }
        let slot_of = |c: &UnitCode| unit_slots.get(c).copied();
        let mut nodes = tree
            .units()
            .map(|unit| {
                let became = lineage.successors_today(&unit.code);
                Node {
                    parent: unit.parent.as_ref().and_then(slot_of),
                    moves: lineage
                        .moves_of(&unit.code)
                        .into_iter()
                        .map(|(day, before)| (day, before.as_ref().and_then(slot_of)))
                        .collect(),
                    became: if became.len() == 1 && became[0].0 == unit.code {
                        Vec::new()
                    } else {
                        became.iter().filter_map(|(c, w)| Some((slot_of(c)?, *w))).collect()
                    },
                    upper: false,
                }
            })
            .collect::<Vec<_>>();
        let mut upper = vec![false; nodes.len()];
        for node in &nodes {
            let above = node.parent.into_iter().chain(node.moves.iter().filter_map(|(_, b)| *b));
            for u in above.chain(node.became.iter().map(|(u, _)| *u)) {
                upper[u.0 as usize] = true;
            }
        }
        for (node, upper) in nodes.iter_mut().zip(upper) {
            node.upper = upper;
        }
        let measures: Vec<Measure> = catalog
            .indicators()
            .iter()
            .filter(|i| !i.is_computed() && i.aggregation != Aggregation::Ratio)
            .take(usize::from(u16::MAX >> 1))
            .map(|i| Measure {
                code: i.code.clone(),
                aggregation: i.aggregation,
            })
            .collect();
        let indicator_slots = measures
            .iter()
            .enumerate()
            .map(|(i, m)| (m.code.clone(), IndicatorSlot(i as u16)))
            .collect();
        Cube {
            catalog: catalog.clone(),
            numbers: vec![Numbers::default(); nodes.len()],
            nodes,
            unit_slots,
            measures,
            indicator_slots,
            totals: [BTreeMap::new(), BTreeMap::new()],
            reported: [BTreeMap::new(), BTreeMap::new()],
            values: 0,
        }
    }

    /// The engine's place for a unit.
    pub fn unit_slot(&self, code: &UnitCode) -> Option<UnitSlot> {
        self.unit_slots.get(code).copied()
    }

    /// The engine's place for an indicator; `None` for computed and text-free ones it
    /// does not add up.
    pub fn indicator_slot(&self, code: &IndicatorCode) -> Option<IndicatorSlot> {
        self.indicator_slots.get(code).copied()
    }

    /// How many numbers it holds.
    pub fn len(&self) -> usize {
        self.values
    }

    /// Whether it holds no number.
    pub fn is_empty(&self) -> bool {
        self.values == 0
    }

    /// About how many bytes it takes, for the benchmark's memory per value.
    pub fn heap_bytes(&self) -> usize {
        let numbers: usize = self
            .numbers
            .iter()
            .map(|n| n.keys.capacity() * 4 + n.values.capacity() * 8 + std::mem::size_of::<Numbers>())
            .sum();
        let totals: usize = self.totals.iter().map(BTreeMap::len).sum();
        let reported: usize = self.reported.iter().map(BTreeMap::len).sum();
        numbers
            + totals * (self.measures.len() * std::mem::size_of::<Total>() + 48)
            + reported * 40
            + self.nodes.len() * 64
    }

    /// Loads numbers in bulk — (unit, indicator, period, value, whole) — into an engine,
    /// replacing any held for the same cell, then computes every total once. Numbers for
    /// periods outside 1945–2100 are ignored (the parser refuses them anyway).
    pub fn load(&mut self, numbers: impl IntoIterator<Item = (UnitSlot, IndicatorSlot, Period, f64, bool)>) {
        for (unit, indicator, period, value, whole) in numbers {
            self.push(unit, indicator, period, value, whole);
        }
        self.finish_load();
    }

    /// Adds one number to a load in progress: it counts only after [`Cube::finish_load`].
    pub fn push(&mut self, unit: UnitSlot, indicator: IndicatorSlot, period: Period, value: f64, whole: bool) {
        let (Some(slot), Some(held)) = (Slot::of(period), self.numbers.get_mut(unit.0 as usize)) else {
            return;
        };
        if usize::from(indicator.0) < self.measures.len() {
            held.keys.push(key(indicator, slot, whole));
            held.values.push(value);
        }
    }

    /// Ends a load: sorts what was pushed and computes every total once.
    pub fn finish_load(&mut self) {
        self.totals = [BTreeMap::new(), BTreeMap::new()];
        self.reported = [BTreeMap::new(), BTreeMap::new()];
        self.values = 0;
        for u in 0..self.numbers.len() {
            let held = &mut self.numbers[u];
            sort_and_dedup(held);
            held.keys.shrink_to_fit();
            held.values.shrink_to_fit();
            self.values += held.keys.len();
            let unit = UnitSlot(u as u32);
            let mut owns = own_figures_all(&self.measures, &self.numbers[u]);
            // A period at a time: the units it adds into are walked once for all its
            // indicators, not once per indicator.
            owns.sort_by_key(|(slot, _, _)| *slot);
            for period in owns.chunk_by(|a, b| a.0 == b.0) {
                self.add_up(unit, period, 1.0);
            }
            let reported = reported_counts(&self.numbers[u]);
            for (slot, n) in reported {
                self.add_reported(unit, slot, n as i64);
            }
        }
    }

    /// Replaces a unit's numbers for one period with `numbers` (indicator, value, whole) —
    /// what the database holds for that unit and period now — and brings every total
    /// above it up to date.
    pub fn replace(&mut self, unit: UnitSlot, period: Period, numbers: &[(IndicatorSlot, f64, bool)]) {
        let (Some(slot), Some(held)) = (Slot::of(period), self.numbers.get(unit.0 as usize)) else {
            return;
        };
        let affected: Vec<Slot> = slot.with_containers().collect();
        let before: Vec<(Slot, u16, Own)> = affected
            .iter()
            .flat_map(|p| {
                own_figures(&self.measures, held, *p)
                    .into_iter()
                    .map(move |(i, o)| (*p, i, o))
            })
            .collect();
        let old_count = held.keys.iter().filter(|k| key_slot(**k) == slot).count();
        let held = &mut self.numbers[unit.0 as usize];
        let mut keys = Vec::with_capacity(held.keys.len() + numbers.len());
        let mut values = Vec::with_capacity(held.keys.len() + numbers.len());
        for (k, v) in held.keys.iter().zip(&held.values) {
            if key_slot(*k) != slot {
                keys.push(*k);
                values.push(*v);
            }
        }
        for (indicator, value, whole) in numbers {
            if usize::from(indicator.0) < self.measures.len() {
                keys.push(key(*indicator, slot, *whole));
                values.push(*value);
            }
        }
        *held = Numbers { keys, values };
        sort_and_dedup(held);
        let new_count = held.keys.iter().filter(|k| key_slot(**k) == slot).count();
        self.values = self.values + new_count - old_count;
        let after: Vec<(Slot, u16, Own)> = affected
            .iter()
            .flat_map(|p| {
                own_figures(&self.measures, &self.numbers[unit.0 as usize], *p)
                    .into_iter()
                    .map(move |(i, o)| (*p, i, o))
            })
            .collect();
        for own in &before {
            self.add_up(unit, std::slice::from_ref(own), -1.0);
        }
        for own in &after {
            self.add_up(unit, std::slice::from_ref(own), 1.0);
        }
        self.add_reported(unit, slot, new_count as i64 - old_count as i64);
    }

    /// The units a unit's own figure for `slot` adds into in a view, with its share in
    /// each: the unit itself and the units above it — in the tree as it was on the
    /// period's last day, or in today's tree, where a unit a merge or a split ended adds
    /// into the units it became instead of its own parents.
    fn reach(&self, view: TreeView, unit: UnitSlot, slot: Slot) -> Vec<(UnitSlot, f64)> {
        let mut out = Vec::new();
        match view {
            TreeView::AsItWas => {
                // The period's last day, needed only by a unit that has moved.
                let mut day = None;
                let mut current = Some(unit);
                while let Some(u) = current {
                    if out.len() > self.nodes.len() {
                        break;
                    }
                    out.push((u, 1.0));
                    let node = &self.nodes[u.0 as usize];
                    current = if node.moves.is_empty() {
                        node.parent
                    } else {
                        node.parent_on(*day.get_or_insert_with(|| slot.period().end()))
                    };
                }
            }
            TreeView::Current => {
                let mut stack = vec![(unit, 1.0, 0usize)];
                while let Some((u, share, depth)) = stack.pop() {
                    if depth > self.nodes.len() {
                        break;
                    }
                    let node = &self.nodes[u.0 as usize];
                    if node.became.is_empty() {
                        out.push((u, share));
                        stack.extend(node.parent.map(|p| (p, share, depth + 1)));
                    } else {
                        // Ended by a merge or a split: today its history is the successors'.
                        stack.extend(node.became.iter().map(|(to, w)| (*to, share * w, depth + 1)));
                    }
                }
            }
        }
        out
    }

    /// Adds (or, with `sign` -1, takes away) a unit's own figures for one period —
    /// (period, indicator, figure), every one of the same period — to the totals of every
    /// unit it adds into, in both views: the units above are walked once for all of them.
    fn add_up(&mut self, unit: UnitSlot, owns: &[(Slot, u16, Own)], sign: f64) {
        let Some(&(slot, _, _)) = owns.first() else {
            return;
        };
        let width = self.measures.len();
        for view in [TreeView::AsItWas, TreeView::Current] {
            for (u, share) in self.reach(view, unit, slot) {
                if !self.nodes[u.0 as usize].upper {
                    continue;
                }
                let totals = &mut self.totals[view_index(view)];
                let entry = totals
                    .entry((u, slot))
                    .or_insert_with(|| vec![Total::default(); width].into_boxed_slice());
                for (_, indicator, own) in owns {
                    entry[usize::from(*indicator)].add(*own, sign, share);
                }
                if sign < 0.0 && entry.iter().all(|t| t.count == 0) {
                    totals.remove(&(u, slot));
                }
            }
        }
    }

    fn add_reported(&mut self, unit: UnitSlot, slot: Slot, change: i64) {
        if change == 0 {
            return;
        }
        for view in [TreeView::AsItWas, TreeView::Current] {
            for (u, _) in self.reach(view, unit, slot) {
                let reported = &mut self.reported[view_index(view)];
                let entry = reported.entry((u, slot)).or_insert(0);
                *entry = entry.saturating_add_signed(change);
                if *entry == 0 {
                    reported.remove(&(u, slot));
                }
            }
        }
    }

    /// The figures of `unit` over its subtree for `period`. An unknown unit or a period
    /// outside 1945–2100 has none.
    pub fn unit_figures(&self, unit: &UnitCode, period: Period, view: TreeView) -> Figures {
        self.unit_figures_over(unit, PeriodRange::single(period), view)
    }

    /// The figures of `unit` over its subtree for a range of periods: each period as
    /// [`Cube::unit_figures`] computes it, then sums and averages over every period, a
    /// `last` stock each unit's latest figure in the range added up, min and max picked
    /// across the periods, and formulas computed on the result.
    pub fn unit_figures_over(&self, unit: &UnitCode, range: PeriodRange, view: TreeView) -> Figures {
        match self.unit_slot(unit) {
            Some(u) => self.group_figures(&[u], &slots_of(range), view),
            None => Figures::default(),
        }
    }

    /// A cluster's figures for a period — each member's subtree and the whole cluster —
    /// with the members' details from `tree` (the tree the engine was built on).
    pub fn cluster(&self, tree: &UnitTree, cluster: &Cluster, period: Period, view: TreeView) -> ClusterRollup {
        let (members, total) = self.cluster_figures(tree, cluster, &slots_of(PeriodRange::single(period)), view);
        ClusterRollup {
            cluster: cluster.clone(),
            period,
            members,
            total,
        }
    }

    /// A cluster's figures over a range of periods, each member's and the whole
    /// cluster's, by the rules of [`Cube::unit_figures_over`]; `cluster` is one
    /// membership (the caller picks the year).
    pub fn cluster_over(
        &self,
        tree: &UnitTree,
        cluster: &Cluster,
        range: PeriodRange,
        view: TreeView,
    ) -> ClusterRangeRollup {
        let (members, total) = self.cluster_figures(tree, cluster, &slots_of(range), view);
        ClusterRangeRollup {
            cluster: cluster.clone(),
            range,
            members,
            total,
        }
    }

    /// Each member's figures over `slots` and the whole cluster's.
    fn cluster_figures(
        &self,
        tree: &UnitTree,
        cluster: &Cluster,
        slots: &[Slot],
        view: TreeView,
    ) -> (Vec<(Unit, Figures)>, Figures) {
        let mut members = Vec::new();
        let mut units = Vec::new();
        for code in &cluster.members {
            let (Some(unit), Some(u)) = (tree.get(code), self.unit_slot(code)) else {
                continue;
            };
            members.push((unit.clone(), self.group_figures(&[u], slots, view)));
            units.push(u);
        }
        let total = self.group_figures(&units, slots, view);
        (members, total)
    }

    /// The periods for which any unit in the subtrees of `units` reported a value, newest
    /// first (a longer period before the shorter ones ending with it).
    pub fn periods_with_values(&self, units: &[UnitCode], view: TreeView) -> Vec<Period> {
        let mut slots = BTreeSet::new();
        for u in units.iter().filter_map(|c| self.unit_slot(c)) {
            let range = (u, Slot(0))..=(u, Slot(u16::MAX));
            slots.extend(self.reported[view_index(view)].range(range).map(|((_, s), _)| *s));
        }
        let mut periods: Vec<Period> = slots.into_iter().map(Slot::period).collect();
        periods.sort_by_key(|p| std::cmp::Reverse((p.end(), std::cmp::Reverse(p.period_type()))));
        periods
    }

    /// The units among `units` whose subtree is not inside another's, so that adding
    /// their totals counts each unit once.
    fn outermost(&self, units: &[UnitSlot]) -> Vec<UnitSlot> {
        let set: BTreeSet<UnitSlot> = units.iter().copied().collect();
        set.iter()
            .copied()
            .filter(|u| {
                let mut current = self.nodes[u.0 as usize].parent;
                while let Some(p) = current {
                    if set.contains(&p) {
                        return false;
                    }
                    current = self.nodes[p.0 as usize].parent;
                }
                true
            })
            .collect()
    }

    /// The figures of the union of the subtrees of `units` over `slots` (periods of one
    /// type, in order): each period's totals as kept, then added up over the periods —
    /// a `last` stock each unit's latest figure ([`Cube::last_over`]) — and formulas
    /// computed last.
    fn group_figures(&self, units: &[UnitSlot], slots: &[Slot], view: TreeView) -> Figures {
        if slots.is_empty() {
            return Figures::default();
        }
        let tops = self.outermost(units);
        let width = self.measures.len();
        let mut over_range = vec![Total::default(); width];
        let mut picks: HashMap<u16, Own> = HashMap::new();
        // One period's sums, reused for each.
        let mut sums = vec![Total::default(); width];
        for &slot in slots {
            sums.fill(Total::default());
            self.period_sums(&tops, slot, view, &mut sums);
            // A stock's merge matters for one period only; over several it is replaced below.
            for (range, period) in over_range.iter_mut().zip(&sums) {
                range.merge(period);
            }
            for (i, own) in self.min_max(&tops, slot, view) {
                let min = self.measures[usize::from(i)].aggregation == Aggregation::Min;
                pick(&mut picks, i, own, min);
            }
        }
        if slots.len() > 1 {
            // Over several periods a stock is each unit's latest figure, added up — not
            // the latest period's total, which would drop a unit that skipped it.
            let lasts = self.last_over(&tops, slots, view);
            for (i, measure) in self.measures.iter().enumerate() {
                if measure.aggregation == Aggregation::Last {
                    over_range[i] = lasts.get(&(i as u16)).copied().unwrap_or_default();
                }
            }
        }
        let mut figures = BTreeMap::new();
        for (i, measure) in self.measures.iter().enumerate() {
            let total = over_range[i];
            let value = match measure.aggregation {
                Aggregation::Sum | Aggregation::Last if total.count > 0 => Some(if total.fractional == 0 {
                    whole(total.sum)
                } else {
                    Value::Decimal(total.sum)
                }),
                Aggregation::Average if total.count > 0 => Some(Value::Decimal(total.sum / f64::from(total.count))),
                Aggregation::Min | Aggregation::Max => picks.get(&(i as u16)).map(|own| {
                    if own.whole {
                        whole(own.value)
                    } else {
                        Value::Decimal(own.value)
                    }
                }),
                _ => None,
            };
            if let Some(v) = value {
                figures.insert(measure.code.clone(), v);
            }
        }
        for indicator in self.catalog.indicators() {
            let Some(formula) = &indicator.formula else {
                continue;
            };
            let lookup = |c: &IndicatorCode| figures.get(c).and_then(Value::as_f64);
            if let Some(x) = formula.evaluate(&lookup) {
                figures.insert(indicator.code.clone(), Value::Decimal(x));
            }
        }
        Figures::from_map(figures)
    }

    /// Adds the subtrees of `tops` for one period into `sums`, a total per measure.
    fn period_sums(&self, tops: &[UnitSlot], slot: Slot, view: TreeView, sums: &mut [Total]) {
        for u in tops {
            if self.nodes[u.0 as usize].upper {
                if let Some(totals) = self.totals[view_index(view)].get(&(*u, slot)) {
                    for (sum, t) in sums.iter_mut().zip(totals.iter()) {
                        sum.merge(t);
                    }
                }
            } else if view == TreeView::AsItWas || self.nodes[u.0 as usize].became.is_empty() {
                for (i, own) in own_figures(&self.measures, &self.numbers[u.0 as usize], slot) {
                    sums[usize::from(i)].add(own, 1.0, 1.0);
                }
            }
        }
    }

    /// The `last` stocks over `slots` (several periods of one type, in order) for the
    /// subtrees of `tops`: each unit's own latest figure in the range, where it added
    /// then, summed — as a single period takes each unit's latest inside it, and as
    /// DHIS2's last-value aggregation sums each organisation unit's last value. Read from
    /// every unit's numbers, since a latest-per-unit cannot be kept as a subtree total.
    fn last_over(&self, tops: &[UnitSlot], slots: &[Slot], view: TreeView) -> HashMap<u16, Total> {
        let mut out: HashMap<u16, Total> = HashMap::new();
        let wanted: Vec<u16> = self
            .measures
            .iter()
            .enumerate()
            .filter(|(_, m)| m.aggregation == Aggregation::Last)
            .map(|(i, _)| i as u16)
            .collect();
        if wanted.is_empty() {
            return out;
        }
        let tops: BTreeSet<UnitSlot> = tops.iter().copied().collect();
        for u in (0..self.nodes.len()).map(|i| UnitSlot(i as u32)) {
            if self.numbers[u.0 as usize].keys.is_empty() {
                continue;
            }
            for (i, keys, values) in by_indicator(&self.numbers[u.0 as usize]) {
                if !wanted.contains(&i) {
                    continue;
                }
                let latest = slots
                    .iter()
                    .rev()
                    .find_map(|&slot| own_figure(Aggregation::Last, keys, values, slot).map(|own| (slot, own)));
                let Some((slot, own)) = latest else {
                    continue;
                };
                let share: f64 = self
                    .reach(view, u, slot)
                    .iter()
                    .filter(|(r, share)| *share > 0.0 && tops.contains(r))
                    .map(|(_, share)| share)
                    .sum();
                if share > 0.0 {
                    out.entry(i).or_default().add(own, 1.0, share);
                }
            }
        }
        out
    }

    /// The min and max indicators' figures over the subtrees of `tops`: picked from the
    /// own figure of every unit that adds into one of them, since a pick cannot be kept by
    /// differences.
    fn min_max(&self, tops: &[UnitSlot], slot: Slot, view: TreeView) -> HashMap<u16, Own> {
        let mut picks: HashMap<u16, Own> = HashMap::new();
        let wanted: Vec<u16> = self
            .measures
            .iter()
            .enumerate()
            .filter(|(_, m)| matches!(m.aggregation, Aggregation::Min | Aggregation::Max))
            .map(|(i, _)| i as u16)
            .collect();
        if wanted.is_empty() {
            return picks;
        }
        let tops: BTreeSet<UnitSlot> = tops.iter().copied().collect();
        for u in (0..self.nodes.len()).map(|i| UnitSlot(i as u32)) {
            if self.numbers[u.0 as usize].keys.is_empty()
                || !self
                    .reach(view, u, slot)
                    .iter()
                    .any(|(r, share)| *share > 0.0 && tops.contains(r))
            {
                continue;
            }
            // Only the min and max indicators' own figures: a range asks this per period.
            for (i, keys, values) in by_indicator(&self.numbers[u.0 as usize]) {
                if !wanted.contains(&i) {
                    continue;
                }
                let aggregation = self.measures[usize::from(i)].aggregation;
                if let Some(own) = own_figure(aggregation, keys, values, slot) {
                    pick(&mut picks, i, own, aggregation == Aggregation::Min);
                }
            }
        }
        picks
    }
}

/// Bảng tổng hợp của cụm theo khoảng kỳ — a cluster's figures over a range of periods:
/// each member's (over its subtree) and the cluster's total.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterRangeRollup {
    /// The cluster, as constituted in the year its caller chose.
    pub cluster: Cluster,
    /// The periods.
    pub range: PeriodRange,
    /// Each member with its figures, in the cluster's order.
    pub members: Vec<(Unit, Figures)>,
    /// The whole cluster's figures.
    pub total: Figures,
}

/// The range's periods as slots, in order (at most [`crate::period_range::MOST_PERIODS`];
/// a period outside 1945–2100 has none).
fn slots_of(range: PeriodRange) -> Vec<Slot> {
    range.periods().filter_map(Slot::of).collect()
}

/// Keeps in `picks` the lower (`min`) or higher of the figure held for indicator `i`
/// and `own`.
fn pick(picks: &mut HashMap<u16, Own>, i: u16, own: Own, min: bool) {
    picks
        .entry(i)
        .and_modify(|held| {
            let better = if min {
                own.value.total_cmp(&held.value).is_lt()
            } else {
                own.value.total_cmp(&held.value).is_gt()
            };
            if better {
                *held = own;
            }
        })
        .or_insert(own);
}

/// A whole figure as `Value::Whole` when it fits, as the reference keeps it.
fn whole(sum: f64) -> Value {
    if sum.abs() < 9.0e15 {
        Value::Whole(sum.round() as i64)
    } else {
        Value::Decimal(sum)
    }
}

/// Sorts a unit's numbers by key, keeping the last given for a cell (indicator, period)
/// reported twice.
fn sort_and_dedup(held: &mut Numbers) {
    let mut pairs: Vec<(u32, f64)> = held.keys.iter().copied().zip(held.values.iter().copied()).collect();
    // Stable, so of equal cells the later stays later.
    pairs.sort_by_key(|(k, _)| k >> 1);
    let mut out: Vec<(u32, f64)> = Vec::with_capacity(pairs.len());
    for (k, v) in pairs {
        match out.last_mut() {
            Some(last) if last.0 >> 1 == k >> 1 => *last = (k, v),
            _ => out.push((k, v)),
        }
    }
    held.keys = out.iter().map(|(k, _)| *k).collect();
    held.values = out.iter().map(|(_, v)| *v).collect();
}

/// How many numbers a unit holds per period as reported.
fn reported_counts(held: &Numbers) -> BTreeMap<Slot, u64> {
    let mut out = BTreeMap::new();
    for k in &held.keys {
        *out.entry(key_slot(*k)).or_insert(0) += 1;
    }
    out
}

/// A unit's numbers in runs of one indicator each: (indicator, keys, values).
fn by_indicator(held: &Numbers) -> impl Iterator<Item = (u16, &[u32], &[f64])> {
    let mut start = 0;
    std::iter::from_fn(move || {
        let indicator = key_indicator(*held.keys.get(start)?);
        let len = held.keys[start..]
            .iter()
            .take_while(|k| key_indicator(**k) == indicator)
            .count();
        let run = (
            indicator,
            &held.keys[start..start + len],
            &held.values[start..start + len],
        );
        start += len;
        Some(run)
    })
}

/// A unit's own figure for every indicator it has numbers for inside `period`.
fn own_figures(measures: &[Measure], held: &Numbers, period: Slot) -> Vec<(u16, Own)> {
    by_indicator(held)
        .filter_map(|(indicator, keys, values)| {
            let measure = measures.get(usize::from(indicator))?;
            Some((indicator, own_figure(measure.aggregation, keys, values, period)?))
        })
        .collect()
}

/// A unit's own figures for every indicator and every period it has figures for (each
/// period reported and each longer one containing it).
fn own_figures_all(measures: &[Measure], held: &Numbers) -> Vec<(Slot, u16, Own)> {
    let mut out = Vec::new();
    for (indicator, keys, values) in by_indicator(held) {
        let Some(measure) = measures.get(usize::from(indicator)) else {
            continue;
        };
        let periods: BTreeSet<Slot> = keys.iter().flat_map(|k| key_slot(*k).with_containers()).collect();
        for period in periods {
            if let Some(own) = own_figure(measure.aggregation, keys, values, period) {
                out.push((period, indicator, own));
            }
        }
    }
    out
}

/// One unit's figure for one indicator over `period`, from its numbers for that
/// indicator (sorted by period): a number inside a longer one also inside `period` is
/// dropped; the rest combine by the aggregation.
fn own_figure(aggregation: Aggregation, keys: &[u32], values: &[f64], period: Slot) -> Option<Own> {
    // Only numbers of the period's own year can lie inside it, and the keys are sorted by
    // period, so the search narrows to that year's run first: a unit with ten years of
    // history asks this for every period of every year at a rebuild. Nothing is
    // collected — the run holds at most one number per period of a year.
    let year = period.year();
    let from = keys.partition_point(|k| key_slot(*k).year() < year);
    let to = from + keys[from..].partition_point(|k| key_slot(*k).year() == year);
    let (keys, values) = (&keys[from..to], &values[from..to]);
    let inside = || {
        keys.iter()
            .zip(values)
            .map(|(k, v)| (key_slot(*k), key_whole(*k), *v))
            .filter(move |(s, _, _)| period.contains(*s))
    };
    let taken = || inside().filter(move |(s, _, _)| !inside().any(|(o, _, _)| o != *s && o.contains(*s)));
    taken().next()?;
    let all_whole = taken().all(|(_, w, _)| w);
    match aggregation {
        Aggregation::Sum => Some(Own {
            value: taken().map(|(_, _, v)| v).sum(),
            whole: all_whole,
        }),
        Aggregation::Last => taken()
            .max_by_key(|(s, _, _)| s.months().1)
            .map(|(_, w, v)| Own { value: v, whole: w }),
        Aggregation::Average => {
            let (sum, n) = taken().fold((0.0, 0usize), |(sum, n), (_, _, v)| (sum + v, n + 1));
            Some(Own {
                value: sum / n as f64,
                whole: false,
            })
        }
        Aggregation::Min => taken()
            .min_by(|a, b| a.2.total_cmp(&b.2))
            .map(|(_, w, v)| Own { value: v, whole: w }),
        Aggregation::Max => taken()
            .max_by(|a, b| a.2.total_cmp(&b.2))
            .map(|(_, w, v)| Own { value: v, whole: w }),
        Aggregation::Ratio => None,
    }
}

#[cfg(test)]
mod tests;
