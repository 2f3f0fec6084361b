//! A lookup table for `join`: the latest row per key.

use crate::keys::Map;
use std::hash::Hash;

pub struct Table<K, V> {
    rows: Map<K, V>,
}

impl<K: Hash + Eq, V> Default for Table<K, V> {
    fn default() -> Self {
        Table { rows: Map::default() }
    }
}

impl<K: Hash + Eq, V> Table<K, V> {
    /// A later row for the same key replaces the earlier one.
    pub fn upsert(&mut self, key: K, row: V) {
        self.rows.insert(key, row);
    }

    pub fn get(&self, key: &K) -> Option<&V> {
        self.rows.get(key)
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}
