//! Hashable keys for group by, dedupe and joins.

use serde::{Deserialize, Serialize};
use std::hash::{Hash, Hasher};

/// A float usable as a map key: equal when the bits are equal, with `-0.0`
/// folded into `0.0` and every NaN into one.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct F64Key(pub f64);

impl F64Key {
    fn bits(self) -> u64 {
        if self.0 == 0.0 {
            0
        } else if self.0.is_nan() {
            f64::NAN.to_bits()
        } else {
            self.0.to_bits()
        }
    }
}

impl PartialEq for F64Key {
    fn eq(&self, other: &Self) -> bool {
        self.bits() == other.bits()
    }
}
impl Eq for F64Key {}
impl Hash for F64Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.bits().hash(state);
    }
}

/// Fast hash maps for operator state (keys are not attacker-chosen hashes of secrets).
pub type Map<K, V> = rustc_hash::FxHashMap<K, V>;
pub type Set<K> = rustc_hash::FxHashSet<K>;
/// A fast hash map that iterates in insertion order (emission order is then
/// arrival order, as a reader of the output expects), looked up by `KeyProbe`.
pub type OrderedMap<K, V> = indexmap::IndexMap<K, V, rustc_hash::FxBuildHasher>;

pub use indexmap::Equivalent;

/// A key looked up without building it: hashes and compares like `K` (so the
/// same entry is found) and builds a `K` only when a new entry is stored. The
/// generated group-by keys have a `...KeyRef` that borrows the record's strings;
/// every key is also a probe of itself.
pub trait KeyProbe<K>: Hash + Equivalent<K> {
    fn to_key(&self) -> K;
}

impl<K: Hash + Eq + Clone> KeyProbe<K> for K {
    fn to_key(&self) -> K {
        self.clone()
    }
}
