//! `group by` without a window: a running aggregate per key (Spark's
//! updateStateByKey, a Kafka Streams KTable). Emits the latest row of every key
//! that changed since the last flush. Its state grows with the key space.

use super::window::Accumulator;
use crate::fault::Result;
use crate::keys::{Map, Set};
use std::hash::Hash;

pub struct RunningAggregate<K, A> {
    state: Map<K, A>,
    changed: Vec<K>,
    changed_set: Set<K>,
}

impl<K: Hash + Eq + Clone, A: Accumulator> Default for RunningAggregate<K, A> {
    fn default() -> Self {
        RunningAggregate { state: Map::default(), changed: Vec::new(), changed_set: Set::default() }
    }
}

impl<K: Hash + Eq + Clone, A: Accumulator> RunningAggregate<K, A> {
    pub fn update(&mut self, key: K, update: impl FnOnce(&mut A) -> Result<()>) -> Result<()> {
        match self.state.get_mut(&key) {
            Some(acc) => update(acc)?,
            None => {
                let mut acc = A::default();
                update(&mut acc)?;
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
