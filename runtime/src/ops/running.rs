//! `group by` without a window: a running aggregate per key (Spark's
//! updateStateByKey, a Kafka Streams KTable). Emits the latest row of every key
//! that changed since the last flush. Its state grows with the key space.

use super::window::Accumulator;
use crate::fault::Result;
use crate::keys::{KeyProbe, OrderedMap};
use std::hash::Hash;

pub struct RunningAggregate<K, A> {
    /// Per key (in arrival order, never removed, so an index names a key for
    /// good): its accumulator and whether it changed since the last flush.
    state: OrderedMap<K, (A, bool)>,
    /// The indices of the keys that changed since the last flush, in the order they first changed.
    changed: Vec<usize>,
    arrivals: u64,
}

impl<K: Hash + Eq + Clone, A: Accumulator> Default for RunningAggregate<K, A> {
    fn default() -> Self {
        RunningAggregate { state: OrderedMap::default(), changed: Vec::new(), arrivals: 0 }
    }
}

impl<K: Hash + Eq + Clone, A: Accumulator> RunningAggregate<K, A> {
    /// Folds a record into its key's accumulator: `check` first (a fault
    /// leaves the state unchanged), then `update` with the arrival number. The
    /// key is looked up borrowed, and copied only for a new key.
    pub fn update<Q: KeyProbe<K> + ?Sized>(
        &mut self,
        key: &Q,
        check: impl Fn(&A) -> Result<()>,
        update: impl FnOnce(&mut A, u64) -> Result<()>,
    ) -> Result<()> {
        self.arrivals += 1;
        let seq = self.arrivals;
        match self.state.get_full_mut(key) {
            Some((index, _, (acc, changed))) => {
                check(acc)?;
                update(acc, seq)?;
                if !*changed {
                    *changed = true;
                    self.changed.push(index);
                }
            }
            None => {
                let mut acc = A::default();
                check(&acc)?;
                update(&mut acc, seq)?;
                let (index, _) = self.state.insert_full(key.to_key(), (acc, true));
                self.changed.push(index);
            }
        }
        Ok(())
    }

    /// The keys that changed since the last call, with their current accumulators.
    pub fn changed(&mut self) -> Vec<(K, A)> {
        std::mem::take(&mut self.changed)
            .into_iter()
            .filter_map(|index| {
                let (key, (acc, changed)) = self.state.get_index_mut(index)?;
                *changed = false;
                Some((key.clone(), acc.clone()))
            })
            .collect()
    }

    pub fn keys(&self) -> usize {
        self.state.len()
    }

    /// A key's current accumulator.
    pub fn state_of<Q: KeyProbe<K> + ?Sized>(&self, key: &Q) -> Option<&A> {
        self.state.get(key).map(|(acc, _)| acc)
    }
}

impl<K, A> crate::state::PartitionedState for RunningAggregate<K, A>
where
    K: Hash + Eq + Clone + serde::Serialize + serde::de::DeserializeOwned,
    A: Accumulator + serde::Serialize + serde::de::DeserializeOwned,
{
    fn save_parts(&self, partitions: u32) -> Result<crate::state::Parts, String> {
        let shared = crate::checkpoint::encode(&self.arrivals)?;
        // Each key keeps its place among the keys, and in the flush order if it changed.
        let mut flush_position = vec![None; self.state.len()];
        for (position, &index) in self.changed.iter().enumerate() {
            flush_position[index] = Some(position as u32);
        }
        let entries =
            self.state.iter().enumerate().map(|(i, (key, (acc, _)))| (key, (i as u64, key, acc, flush_position[i])));
        let parts = crate::state::encode_by_partition(entries, partitions)?;
        Ok((shared, parts))
    }

    fn restore_parts(shared: &[u8], parts: &[&[u8]]) -> Result<Self, String> {
        let arrivals: u64 = crate::checkpoint::decode(shared)?;
        let mut entries = Vec::new();
        for part in parts {
            entries.extend(crate::checkpoint::decode::<Vec<(u64, K, A, Option<u32>)>>(part)?);
        }
        entries.sort_by_key(|(place, ..)| *place);
        let mut state = RunningAggregate { arrivals, ..RunningAggregate::default() };
        let mut changed = Vec::new();
        for (_, key, acc, flush_position) in entries {
            let (index, _) = state.state.insert_full(key, (acc, flush_position.is_some()));
            if let Some(position) = flush_position {
                changed.push((position, index));
            }
        }
        changed.sort_by_key(|(position, _)| *position);
        state.changed = changed.into_iter().map(|(_, index)| index).collect();
        Ok(state)
    }
}
