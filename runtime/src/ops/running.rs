//! `group by` without a window: a running aggregate per key (Spark's
//! updateStateByKey, a Kafka Streams KTable). Emits the latest row of every key
//! that changed since the last flush. Its state grows with the key space.

use super::window::Accumulator;
use crate::fault::Result;
use crate::keys::{Map, Set};
use std::hash::Hash;

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(bound(deserialize = "K: serde::Deserialize<'de> + Eq + std::hash::Hash, A: serde::Deserialize<'de>"))]
pub struct RunningAggregate<K, A> {
    state: Map<K, A>,
    changed: Vec<K>,
    changed_set: Set<K>,
    arrivals: u64,
}

impl<K: Hash + Eq + Clone, A: Accumulator> Default for RunningAggregate<K, A> {
    fn default() -> Self {
        RunningAggregate { state: Map::default(), changed: Vec::new(), changed_set: Set::default(), arrivals: 0 }
    }
}

impl<K: Hash + Eq + Clone, A: Accumulator> RunningAggregate<K, A> {
    /// Folds a record into its key's accumulator: `check` first (a fault
    /// leaves the state unchanged), then `update` with the arrival number.
    pub fn update(
        &mut self,
        key: K,
        check: impl Fn(&A) -> Result<()>,
        update: impl FnOnce(&mut A, u64) -> Result<()>,
    ) -> Result<()> {
        self.arrivals += 1;
        let seq = self.arrivals;
        match self.state.get_mut(&key) {
            Some(acc) => {
                check(acc)?;
                update(acc, seq)?;
            }
            None => {
                let mut acc = A::default();
                check(&acc)?;
                update(&mut acc, seq)?;
                self.state.insert(key.clone(), acc);
            }
        }
        if self.changed_set.insert(key.clone()) {
            self.changed.push(key);
        }
        Ok(())
    }

    /// The keys that changed since the last call, with their current accumulators.
    pub fn changed(&mut self) -> Vec<(K, A)> {
        self.changed_set.clear();
        std::mem::take(&mut self.changed)
            .into_iter()
            .filter_map(|key| self.state.get(&key).cloned().map(|acc| (key, acc)))
            .collect()
    }

    pub fn keys(&self) -> usize {
        self.state.len()
    }
}
