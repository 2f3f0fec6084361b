//! `dedupe by KEY within DUR`: a record is dropped when the last record kept
//! for its key has an event time within DUR of it (|Δ| < DUR). A key's state
//! expires once the watermark passes its kept time + DUR.

use crate::keys::Map;
use crate::watermark::{PartitionId, WatermarkTracker};
use std::collections::BTreeMap;
use std::hash::Hash;

/// Saved and restored by parts (`crate::state::PartitionedState`).
pub struct Dedupe<K> {
    within: i64,
    kept: Map<K, i64>,
    expiry: BTreeMap<i64, Vec<K>>,
    tracker: WatermarkTracker,
    dropped: u64,
}

impl<K: Hash + Eq + Clone> Dedupe<K> {
    /// A dedupe state, checking a `within` that comes from a param.
    pub fn try_new(within: i64) -> Result<Self, String> {
        if within <= 0 {
            return Err(format!("`dedupe ... within` must be positive, got {within}ms"));
        }
        Ok(Self::new(within))
    }

    pub fn new(within: i64) -> Self {
        Dedupe { within, kept: Map::default(), expiry: BTreeMap::new(), tracker: WatermarkTracker::new(0), dropped: 0 }
    }

    /// True when the record is kept.
    pub fn keep(&mut self, key: K, time: i64) -> bool {
        if let Some(&kept) = self.kept.get(&key) {
            if time.abs_diff(kept) < self.within.unsigned_abs() {
                self.dropped += 1;
                return false;
            }
        }
        self.expiry.entry(time.saturating_add(self.within)).or_default().push(key.clone());
        self.kept.insert(key, time);
        true
    }

    pub fn observe(&mut self, partition: PartitionId, time: i64) {
        if self.tracker.observe(partition, time) {
            self.expire();
        }
    }

    /// The largest event time seen on `partition` (for watermark alignment).
    pub fn partition_time(&self, partition: PartitionId) -> Option<i64> {
        self.tracker.partition_time(partition)
    }

    /// An input partition was assigned: it holds the watermark back until it has records.
    pub fn hold(&mut self, partition: PartitionId) {
        self.tracker.hold(partition);
    }

    pub fn partition_done(&mut self, partition: PartitionId) {
        if self.tracker.partition_done(partition) {
            self.expire();
        }
    }

    pub fn set_clock(&mut self, now: i64) {
        if self.tracker.set_clock(now) {
            self.expire();
        }
    }

    fn expire(&mut self) {
        let watermark = self.tracker.watermark();
        while let Some(entry) = self.expiry.first_entry() {
            if *entry.key() > watermark {
                break;
            }
            let (deadline, keys) = entry.remove_entry();
            for key in keys {
                if self.kept.get(&key).is_some_and(|kept| kept.saturating_add(self.within) == deadline) {
                    self.kept.remove(&key);
                }
            }
        }
    }

    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    pub fn keys(&self) -> usize {
        self.kept.len()
    }
}

impl<K> crate::state::PartitionedState for Dedupe<K>
where
    K: Hash + Eq + Clone + serde::Serialize + serde::de::DeserializeOwned,
{
    fn save_parts(&self, partitions: u32) -> Result<crate::state::Parts, String> {
        let shared = crate::checkpoint::encode(&(self.within, &self.tracker, self.dropped))?;
        let parts =
            crate::state::encode_by_partition(self.kept.iter().map(|(key, &time)| (key, (key, time))), partitions)?;
        Ok((shared, parts))
    }

    fn restore_parts(shared: &[u8], parts: &[&[u8]]) -> Result<Self, String> {
        let (within, tracker, dropped): (i64, WatermarkTracker, u64) = crate::checkpoint::decode(shared)?;
        let mut state = Dedupe { tracker, dropped, ..Dedupe::new(within) };
        for part in parts {
            for (key, time) in crate::checkpoint::decode::<Vec<(K, i64)>>(part)? {
                state.expiry.entry(time.saturating_add(within)).or_default().push(key.clone());
                state.kept.insert(key, time);
            }
        }
        Ok(state)
    }
}

#[cfg(test)]
mod tests {
    use super::Dedupe;

    #[test]
    fn drops_within_and_keeps_after() {
        let mut d = Dedupe::new(10);
        assert!(d.keep("a", 100));
        assert!(!d.keep("a", 109));
        assert!(!d.keep("a", 91), "|Δ| < DUR both ways");
        assert!(d.keep("a", 110), "exactly DUR apart is kept");
        assert!(d.keep("b", 100));
        d.observe(0, 121);
        assert_eq!(d.keys(), 0, "expired once the watermark passed kept + DUR");
    }
}
