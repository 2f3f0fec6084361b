//! Keyed operator state, checkpointed per task partition.
//!
//! A keyed operator's checkpoint is one operator-wide section (its watermark
//! tracker, counters) plus one section per *task partition*: the partition a
//! key belongs to, as a Kafka Streams task or a Flink key group. A key's task
//! partition is Kafka's default partitioner applied to the key's string form:
//! `murmur2(bytes) & 0x7fffffff % partitions`, where `partitions` is the
//! largest partition count of the run's source topics. So
//!
//! - for a topic produced with that key (`key:` on the source, or any Java
//!   client's default partitioner), the task partition of a key is the input
//!   partition its records came from;
//! - for any other key it is the partition a repartition topic of that many
//!   partitions, keyed by the group key, would hold it in.
//!
//! Each section can be restored alone, which is what an instance of a
//! consumer group needs when partitions move to it (docs/delivery.md, "Toward
//! scale-out"). A single instance restores every section; restoring re-indexes
//! nothing by partition, so a change of partition count or hash cannot lose a key.

use serde::Serialize;

/// Kafka's murmur2 (`org.apache.kafka.common.utils.Utils.murmur2`), as a signed 32-bit value.
pub fn murmur2(data: &[u8]) -> i32 {
    const SEED: u32 = 0x9747_b28c;
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;
    let mut h = SEED ^ data.len() as u32;
    let mut chunks = data.chunks_exact(4);
    for chunk in &mut chunks {
        let mut k = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    let rest = chunks.remainder();
    if rest.len() >= 3 {
        h ^= u32::from(rest[2]) << 16;
    }
    if rest.len() >= 2 {
        h ^= u32::from(rest[1]) << 8;
    }
    if !rest.is_empty() {
        h ^= u32::from(rest[0]);
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
}

/// The partition Kafka's default partitioner gives `bytes` among `partitions`.
pub fn kafka_partition(bytes: &[u8], partitions: u32) -> u32 {
    (murmur2(bytes) & 0x7fff_ffff) as u32 % partitions.max(1)
}

/// The string form of a group key, as a Kafka message key would carry it: a
/// one-field key is that field (a string as is, anything else as JSON); a
/// key of several fields is their JSON object.
pub fn key_bytes<K: Serialize>(key: &K) -> Vec<u8> {
    match serde_json::to_value(key) {
        Ok(serde_json::Value::Object(fields)) if fields.len() == 1 => match fields.into_iter().next() {
            Some((_, serde_json::Value::String(text))) => text.into_bytes(),
            Some((_, other)) => other.to_string().into_bytes(),
            None => Vec::new(),
        },
        Ok(serde_json::Value::String(text)) => text.into_bytes(),
        Ok(other) => other.to_string().into_bytes(),
        // A key that cannot be shown (it never happens for generated keys) goes to partition 0.
        Err(_) => Vec::new(),
    }
}

/// The task partition of a key among `partitions`.
pub fn task_partition<K: Serialize>(key: &K, partitions: u32) -> u32 {
    kafka_partition(&key_bytes(key), partitions)
}

/// A state's encoded parts: the operator-wide one, and (task partition, part) for each partition holding keys.
pub type Parts = (Vec<u8>, Vec<(u32, Vec<u8>)>);

/// A keyed operator's state, split into an operator-wide part and one part
/// per task partition for its checkpoint.
pub trait PartitionedState: Sized {
    /// Encodes the operator-wide part, and the part of each task partition
    /// that holds a key (in partition order).
    fn save_parts(&self, partitions: u32) -> Result<Parts, String>;
    /// Rebuilds the state from its operator-wide part and any subset of its
    /// partitions' parts: the keys of the other partitions are simply absent.
    fn restore_parts(shared: &[u8], parts: &[&[u8]]) -> Result<Self, String>;
}

/// The checkpoint sections of a keyed operator named `name`: `name` for the
/// operator-wide part, `name/p<N>` for task partition N.
pub fn save<S: PartitionedState>(state: &S, name: &str, partitions: u32) -> Result<Vec<(String, Vec<u8>)>, String> {
    let (shared, parts) = state.save_parts(partitions).map_err(|e| format!("{name}: {e}"))?;
    let mut sections = Vec::with_capacity(parts.len() + 1);
    sections.push((name.to_string(), shared));
    sections.extend(parts.into_iter().map(|(partition, bytes)| (format!("{name}/p{partition}"), bytes)));
    Ok(sections)
}

/// Restores a keyed operator named `name` from every one of its sections.
pub fn restore<S: PartitionedState>(sections: &[(String, Vec<u8>)], name: &str) -> Result<S, String> {
    restore_partitions(sections, name, |_| true)
}

/// Restores a keyed operator named `name` from its operator-wide section and
/// the sections of the task partitions `wanted` accepts.
pub fn restore_partitions<S: PartitionedState>(
    sections: &[(String, Vec<u8>)],
    name: &str,
    wanted: impl Fn(u32) -> bool,
) -> Result<S, String> {
    let shared = crate::checkpoint::state_of(sections, name)?;
    let prefix = format!("{name}/p");
    let parts: Vec<&[u8]> = sections
        .iter()
        .filter_map(|(section, bytes)| {
            let partition: u32 = section.strip_prefix(&prefix)?.parse().ok()?;
            wanted(partition).then_some(bytes.as_slice())
        })
        .collect();
    S::restore_parts(shared, &parts).map_err(|e| format!("{name}: {e}"))
}

/// Groups `items` by the task partition of their key, in the order given, and
/// encodes each group. Callers pass each key once (a window state groups a
/// key's windows first), so each key is hashed once.
pub(crate) fn encode_by_partition<K: Serialize, T: Serialize>(
    items: impl IntoIterator<Item = (K, T)>,
    partitions: u32,
) -> Result<Vec<(u32, Vec<u8>)>, String> {
    let mut groups: std::collections::BTreeMap<u32, Vec<T>> = std::collections::BTreeMap::new();
    for (key, item) in items {
        groups.entry(task_partition(&key, partitions)).or_default().push(item);
    }
    groups.into_iter().map(|(partition, group)| Ok((partition, crate::checkpoint::encode(&group)?))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn murmur2_matches_kafka() {
        // Values of Kafka's Utils.murmur2 (as its ports' tests record them).
        for (text, expected) in
            [("1", -1993445489), ("12", 126087238), ("123", -267702483), ("1234", -1614185708), ("12345", -1188365604)]
        {
            assert_eq!(murmur2(text.as_bytes()), expected, "{text}");
        }
        // And librdkafka's unit test of its Java-compatible murmur2 (every tail length).
        for (text, expected) in [("kafka", 0xd067cf64u32), ("giberish123456789", 0x8f552b0c), ("", 0x106e08d9)] {
            assert_eq!(murmur2(text.as_bytes()) as u32, expected, "{text:?}");
        }
    }

    #[test]
    fn key_bytes_are_the_message_key_form() {
        #[derive(Serialize)]
        struct One {
            url: String,
        }
        #[derive(Serialize)]
        struct Num {
            n: i64,
        }
        #[derive(Serialize)]
        struct Two {
            a: String,
            b: i64,
        }
        assert_eq!(key_bytes(&One { url: "/a".into() }), b"/a");
        assert_eq!(key_bytes(&Num { n: 42 }), b"42");
        assert_eq!(key_bytes(&Two { a: "x".into(), b: 1 }), br#"{"a":"x","b":1}"#);
        assert_eq!(task_partition(&One { url: "/a".into() }, 1), 0);
    }

    use crate::ops::dedupe::Dedupe;
    use crate::ops::running::RunningAggregate;
    use crate::ops::window::{Accumulator, WindowKind, WindowedAggregate};

    #[derive(Clone, Default, Debug, PartialEq, Serialize, serde::Deserialize)]
    struct Sum(i64);
    impl Accumulator for Sum {
        fn merge(&mut self, other: Self) -> crate::fault::Result<()> {
            self.0 += other.0;
            Ok(())
        }
    }

    type Rows = Vec<(String, i64, i64, i64)>;

    fn plus(v: i64) -> impl Fn(&mut Sum, u64) -> crate::fault::Result<()> {
        move |acc, _| {
            acc.0 += v;
            Ok(())
        }
    }

    fn fed(kind: WindowKind) -> WindowedAggregate<String, Sum> {
        let mut w = WindowedAggregate::new(kind, 1_000);
        for i in 0..400i64 {
            let key = format!("k{}", i % 37);
            // Times repeat (and sessions of different keys end together), keys arrive in changing orders.
            let time = (i * 7 % 900) / 3 * 3;
            w.add(&key, time, |_| Ok(()), plus(i)).unwrap();
            w.observe(0, time);
        }
        w
    }

    fn drain(mut w: WindowedAggregate<String, Sum>) -> Rows {
        w.finish();
        w.ready().into_iter().map(|r| (r.key, r.start, r.end, r.acc.0)).collect()
    }

    fn sections(state: &impl PartitionedState) -> Vec<(String, Vec<u8>)> {
        save(state, "op", 4).unwrap()
    }

    #[test]
    fn a_window_state_restores_whole_or_one_partition_at_a_time() {
        for kind in [
            WindowKind::Tumbling { size: 100 },
            WindowKind::Sliding { size: 100, slide: 50 },
            WindowKind::Session { gap: 20 },
        ] {
            let saved = sections(&fed(kind));
            assert!(saved.len() > 2, "{kind:?}: one section per task partition with keys, and the operator's");
            let whole: WindowedAggregate<String, Sum> = restore(&saved, "op").unwrap();
            assert_eq!(drain(whole), drain(fed(kind)), "{kind:?}: the same rows, in the same order");
            let mut union: Rows = Vec::new();
            for p in 0..4 {
                let alone: WindowedAggregate<String, Sum> = restore_partitions(&saved, "op", |q| q == p).unwrap();
                let rows = drain(alone);
                assert!(rows.iter().all(|(key, ..)| task_partition(&key, 4) == p), "{kind:?}: partition {p} alone");
                union.extend(rows);
            }
            let mut all = drain(fed(kind));
            all.sort();
            union.sort();
            assert_eq!(union, all, "{kind:?}: the partitions together are the whole state");
        }
    }

    #[test]
    fn dedupe_and_running_state_split_by_partition() {
        let mut d = Dedupe::new(10);
        for i in 0..50 {
            d.keep(format!("k{i}"), i);
        }
        let saved = sections(&d);
        let mut total = 0;
        for p in 0..4 {
            let alone: Dedupe<String> = restore_partitions(&saved, "op", |q| q == p).unwrap();
            total += alone.keys();
        }
        assert_eq!(total, 50);
        let mut whole: Dedupe<String> = restore(&saved, "op").unwrap();
        assert!(!whole.keep("k3".into(), 5), "a kept key is still remembered");
        whole.observe(0, 100);
        assert_eq!(whole.keys(), 0, "and expires after the restore as before it");
    }

    #[test]
    fn a_running_aggregate_keeps_its_flush_order_and_unchanged_keys_through_a_restore() {
        let mut r: RunningAggregate<String, Sum> = RunningAggregate::default();
        for i in 0..30i64 {
            r.update(&format!("k{}", i % 9), |_| Ok(()), plus(i)).unwrap();
        }
        r.changed();
        // After a flush, a few keys change again, in an order unlike their first arrival.
        for key in ["k7", "k2", "k5", "k2"] {
            r.update(&key.to_string(), |_| Ok(()), plus(1)).unwrap();
        }
        let saved = sections(&r);
        let rows = |r: &mut RunningAggregate<String, Sum>| -> Vec<(String, i64)> {
            r.changed().into_iter().map(|(k, a)| (k, a.0)).collect()
        };
        let mut restored: RunningAggregate<String, Sum> = restore(&saved, "op").unwrap();
        let expected = rows(&mut r);
        assert_eq!(expected.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), ["k7", "k2", "k5"]);
        assert_eq!(rows(&mut restored), expected, "only the changed keys, in their flush order");
        assert_eq!(rows(&mut restored), [], "the unchanged keys stay unchanged");
        restored.update(&"k0".to_string(), |_| Ok(()), plus(0)).unwrap();
        assert_eq!(rows(&mut restored).len(), 1, "a key's change flag works after the restore");
        let mut total = 0;
        for p in 0..4 {
            let alone: RunningAggregate<String, Sum> = restore_partitions(&saved, "op", |q| q == p).unwrap();
            assert!((0..9).all(|k| {
                let key = format!("k{k}");
                (task_partition(&key, 4) == p) == alone.state_of(&key).is_some()
            }));
            total += alone.keys();
        }
        assert_eq!(total, 9);
    }
}
