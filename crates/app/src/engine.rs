//! Bộ máy tổng hợp — the rollup engine of a server process: the [`Cube`] of every number
//! reported, kept in memory and brought up to date before each read.
//!
//! Before a rollup is answered, one query reads the values' generation (a counter every
//! transaction writing values raises, see migration 0013). The same generation as held
//! means nothing changed anywhere; a larger one means another request, another server
//! process on the same database or a `thidua import` wrote values, and the (unit, period)
//! pairs written since are read and replaced in the cube — so a value saved a moment ago
//! shows in the very next rollup of any process. A change of the unit tree, the clusters
//! or the indicators (the directory's version) builds the cube again from the raw
//! values, as does a change set too large to apply pair by pair.
//!
//! One refresh runs at a time (the others wait for it and then read); reads share the
//! cube under a read lock, each for the microseconds a rollup takes.

use std::collections::HashMap;
use std::sync::RwLock;

use thidua_core::cube::{Cube, IndicatorSlot, UnitSlot};
use thidua_core::{Catalog, Period};
use thidua_store::{Store, StoredNumber};

use crate::{Directory, Error};

/// Above this many changed (unit, period) pairs the cube is built again instead (a bulk
/// import): reading every value once is then cheaper than the pairs one by one.
const MOST_PAIRS_APPLIED: usize = 2_000;

/// A number as the cube takes it: indicator, value, whole.
type Number = (IndicatorSlot, f64, bool);

/// The cube and what it is as of.
struct Held {
    cube: Cube,
    /// The catalog the cube adds up by (the directory's).
    catalog: std::sync::Arc<Catalog>,
    /// The values' generation it reflects.
    generation: i64,
    /// The directory's version it was built on.
    directory_version: i64,
    /// Database ids to the cube's places.
    units: HashMap<i64, UnitSlot>,
    indicators: HashMap<i64, IndicatorSlot>,
}

/// The engine: empty until its first read.
#[derive(Default)]
pub struct Engine {
    held: RwLock<Option<Held>>,
    refresh: tokio::sync::Mutex<()>,
}

impl Engine {
    /// Answers `read` from the cube as of now: the values written so far by anyone, under
    /// the unit tree of `directory` (or a newer one).
    pub async fn read<T>(
        &self,
        store: &Store,
        directory: &Directory,
        read: impl FnOnce(&Cube, &Catalog) -> T,
    ) -> Result<T, Error> {
        let generation = store.value_generation().await?;
        if !self.is_current(generation, directory.version())? {
            self.bring_up_to_date(store, directory, generation).await?;
        }
        let held = self.held.read().map_err(|_| poisoned())?;
        let held = held
            .as_ref()
            .ok_or_else(|| Error::Internal("bộ máy tổng hợp chưa sẵn sàng".into()))?;
        Ok(read(&held.cube, &held.catalog))
    }

    /// Builds the cube now, so the first page after start-up does not wait for it.
    pub async fn warm_up(&self, store: &Store, directory: &Directory) -> Result<(), Error> {
        self.read(store, directory, |_, _| ()).await
    }

    /// How many numbers the cube holds and about how many bytes it takes.
    pub fn size(&self) -> Result<(usize, usize), Error> {
        let held = self.held.read().map_err(|_| poisoned())?;
        Ok(held.as_ref().map_or((0, 0), |h| (h.cube.len(), h.cube.heap_bytes())))
    }

    fn is_current(&self, generation: i64, directory_version: i64) -> Result<bool, Error> {
        let held = self.held.read().map_err(|_| poisoned())?;
        Ok(held
            .as_ref()
            .is_some_and(|h| h.generation >= generation && h.directory_version >= directory_version))
    }

    async fn bring_up_to_date(&self, store: &Store, directory: &Directory, generation: i64) -> Result<(), Error> {
        let _one_at_a_time = self.refresh.lock().await;
        // Another request may have refreshed while this one waited.
        if self.is_current(generation, directory.version())? {
            return Ok(());
        }
        let since = {
            let held = self.held.read().map_err(|_| poisoned())?;
            held.as_ref()
                .filter(|h| h.directory_version >= directory.version())
                .map(|h| h.generation)
        };
        let Some(since) = since else {
            return self.rebuild(store, directory).await;
        };
        let changes = store.value_changes_since(since, MOST_PAIRS_APPLIED).await?;
        let Some(pairs) = changes.pairs else {
            return self.rebuild(store, directory).await;
        };
        let numbers = store.numbers_of(&pairs).await?;
        let mut held = self.held.write().map_err(|_| poisoned())?;
        let Some(held) = held.as_mut() else {
            return Err(Error::Internal("bộ máy tổng hợp chưa sẵn sàng".into()));
        };
        let mut by_pair: HashMap<(i64, Period), Vec<Number>> = pairs.iter().map(|p| (*p, Vec::new())).collect();
        for n in &numbers {
            if let (Some(list), Some(indicator)) = (
                by_pair.get_mut(&(n.unit_id, n.period)),
                held.indicators.get(&n.indicator_id),
            ) {
                list.push((*indicator, n.value, n.whole));
            }
        }
        for ((unit_id, period), list) in by_pair {
            // A unit created since the cube was built raised the directory's version too, so
            // an unknown id here cannot hold values the tree shows.
            if let Some(unit) = held.units.get(&unit_id) {
                held.cube.replace(*unit, period, &list);
            }
        }
        held.generation = held.generation.max(changes.generation);
        Ok(())
    }

    /// Builds the cube from every value stored, off the async threads for the adding up.
    async fn rebuild(&self, store: &Store, directory: &Directory) -> Result<(), Error> {
        let directory_version = directory.version();
        let catalog = directory.catalog.clone();
        let (unit_ids, indicator_ids) = store.ids().await?;
        let mut cube = Cube::new(&directory.tree, &directory.lineage, &catalog);
        let units: HashMap<i64, UnitSlot> = unit_ids
            .iter()
            .filter_map(|(code, id)| Some((*id, cube.unit_slot(&thidua_core::UnitCode::parse(code).ok()?)?)))
            .collect();
        let indicators: HashMap<i64, IndicatorSlot> = indicator_ids
            .iter()
            .filter_map(|(code, id)| {
                Some((
                    *id,
                    cube.indicator_slot(&thidua_core::IndicatorCode::parse(code).ok()?)?,
                ))
            })
            .collect();
        let generation = store
            .each_number(|n: StoredNumber| {
                if let (Some(u), Some(i)) = (units.get(&n.unit_id), indicators.get(&n.indicator_id)) {
                    cube.push(*u, *i, n.period, n.value, n.whole);
                }
            })
            .await?;
        let cube = tokio::task::spawn_blocking(move || {
            cube.finish_load();
            cube
        })
        .await
        .map_err(|e| Error::Internal(format!("dựng bộ máy tổng hợp: {e}")))?;
        tracing::debug!(values = cube.len(), bytes = cube.heap_bytes(), "rollup engine built");
        *self.held.write().map_err(|_| poisoned())? = Some(Held {
            cube,
            catalog,
            generation,
            directory_version,
            units,
            indicators,
        });
        Ok(())
    }
}

fn poisoned() -> Error {
    Error::Internal("bộ máy tổng hợp hỏng sau một lỗi trước".into())
}
