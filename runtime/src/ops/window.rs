//! Windowed aggregation state: tumbling, sliding and session windows, keyed,
//! on event time (or processing time), emitted when the watermark passes a
//! window's end. Windows are aligned to the epoch and half-open `[start, end)`.

use crate::fault::Result;
use crate::keys::{KeyProbe, Map, OrderedMap};
use crate::watermark::{PartitionId, WatermarkTracker};
use std::collections::BTreeMap;
use std::hash::Hash;

/// The epoch-aligned start of the window of `size` holding `time` (clamped at
/// the smallest time, where the aligned start is not representable).
fn align(time: i64, size: i64) -> i64 {
    time.checked_sub(time.rem_euclid(size)).unwrap_or(i64::MIN)
}

/// What a generated accumulator struct provides.
pub trait Accumulator: Default + Clone {
    /// Folds another accumulator of the same key into this one (sessions that
    /// merge); arrival-ordered aggregates use the arrival numbers they keep.
    fn merge(&mut self, other: Self) -> Result<()>;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum WindowKind {
    Tumbling { size: i64 },
    Sliding { size: i64, slide: i64 },
    Session { gap: i64 },
}

/// How a record arrived relative to the watermark.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arrival {
    OnTime,
    /// Every window of the record was already emitted: it was not counted.
    Late,
    /// Sliding windows: some windows were already emitted (the record counted in the others).
    PartlyLate,
}

impl Arrival {
    pub fn is_late(self) -> bool {
        self != Arrival::OnTime
    }
}

/// A finished window.
#[derive(Clone, Debug)]
pub struct Row<K, A> {
    pub key: K,
    pub start: i64,
    pub end: i64,
    pub acc: A,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct Session<A> {
    start: i64,
    end: i64,
    acc: A,
}

/// Saved and restored by parts (`crate::state::PartitionedState`).
pub struct WindowedAggregate<K, A> {
    kind: WindowKind,
    tracker: WatermarkTracker,
    /// Open tumbling and sliding windows by start, then by key in the order the
    /// keys arrived. Windows of one kind have one size, so start order is end
    /// order: emission pops whole panes, and a record's lookup searches only
    /// its window's keys (a small map that stays in cache).
    panes: BTreeMap<i64, OrderedMap<K, A>>,
    sessions: Map<K, Vec<Session<A>>>,
    /// (end, key) of sessions; entries of merged or extended sessions are stale and skipped.
    session_ends: BTreeMap<i64, Vec<K>>,
    /// Per key, the end of the last emitted session, while a record could still extend it.
    emitted_sessions: Map<K, i64>,
    late_records: u64,
    /// Records added so far: each record's arrival number.
    arrivals: u64,
}

impl WindowKind {
    /// Sizes may come from params at run time: they must be positive, and a slide no longer than its size.
    pub fn validate(self) -> Result<Self, String> {
        match self {
            WindowKind::Tumbling { size } if size <= 0 => Err(format!("a window size must be positive, got {size}ms")),
            WindowKind::Sliding { size, slide } if size <= 0 || slide <= 0 => {
                Err(format!("a sliding window's size and slide must be positive, got {size}ms every {slide}ms"))
            }
            WindowKind::Sliding { size, slide } if slide > size => {
                Err(format!("a sliding window cannot slide ({slide}ms) further than its size ({size}ms)"))
            }
            WindowKind::Session { gap } if gap <= 0 => Err(format!("a session gap must be positive, got {gap}ms")),
            ok => Ok(ok),
        }
    }
}

impl<K: Hash + Eq + Clone, A: Accumulator> WindowedAggregate<K, A> {
    /// A window state, checking durations that come from params.
    pub fn try_new(kind: WindowKind, watermark_delay: i64) -> Result<Self, String> {
        Ok(Self::new(kind.validate()?, watermark_delay))
    }

    pub fn new(kind: WindowKind, watermark_delay: i64) -> Self {
        WindowedAggregate {
            kind,
            tracker: WatermarkTracker::new(watermark_delay),
            panes: BTreeMap::new(),
            sessions: Map::default(),
            session_ends: BTreeMap::new(),
            emitted_sessions: Map::default(),
            late_records: 0,
            arrivals: 0,
        }
    }

    pub fn watermark(&self) -> i64 {
        self.tracker.watermark()
    }

    /// Records dropped or routed to `late to` so far.
    pub fn late_records(&self) -> u64 {
        self.late_records
    }

    /// Open windows (for metrics and tests).
    pub fn open_windows(&self) -> usize {
        self.panes.values().map(OrderedMap::len).sum::<usize>() + self.sessions.values().map(Vec::len).sum::<usize>()
    }

    /// Adds a record at `time` to its windows. `check` tells whether the record
    /// can be folded into an accumulator (a sum would overflow: a fault) and is
    /// run on every window first, so a record counts in all its windows or in
    /// none; `update` folds it in, with the record's arrival number (for
    /// `first`, `last` and `collect`). The key is looked up borrowed (a
    /// `KeyProbe`, such as a key of `&str`s): it is copied only into a new window.
    pub fn add<Q: KeyProbe<K> + ?Sized>(
        &mut self,
        key: &Q,
        time: i64,
        check: impl Fn(&A) -> Result<()>,
        mut update: impl FnMut(&mut A, u64) -> Result<()>,
    ) -> Result<Arrival> {
        let watermark = self.tracker.watermark();
        self.arrivals += 1;
        let seq = self.arrivals;
        let arrival = match self.kind {
            WindowKind::Tumbling { size } => {
                let start = align(time, size);
                if start.saturating_add(size) <= watermark {
                    Arrival::Late
                } else {
                    self.add_to_windows(key, &[start], &check, &mut update, seq)?;
                    Arrival::OnTime
                }
            }
            WindowKind::Sliding { size, slide } => {
                let mut open = Vec::new();
                let mut late = 0;
                let mut start = align(time, slide);
                while start > time.saturating_sub(size) {
                    if start.saturating_add(size) <= watermark {
                        late += 1;
                    } else {
                        open.push(start);
                    }
                    // Times near the edge of the range end the walk instead of overflowing.
                    match start.checked_sub(slide) {
                        Some(previous) => start = previous,
                        None => break,
                    }
                }
                self.add_to_windows(key, &open, &check, &mut update, seq)?;
                match (open.len(), late) {
                    (_, 0) => Arrival::OnTime,
                    (0, _) => Arrival::Late,
                    _ => Arrival::PartlyLate,
                }
            }
            WindowKind::Session { gap } => {
                self.add_to_session(key.to_key(), time, gap, watermark, &check, &mut update, seq)?
            }
        };
        if arrival.is_late() {
            self.late_records += 1;
        }
        Ok(arrival)
    }

    /// Checks every window, then updates every window (all or nothing).
    fn add_to_windows<Q: KeyProbe<K> + ?Sized>(
        &mut self,
        key: &Q,
        starts: &[i64],
        check: &impl Fn(&A) -> Result<()>,
        update: &mut impl FnMut(&mut A, u64) -> Result<()>,
        seq: u64,
    ) -> Result<()> {
        // One window (tumbling): one lookup, check and update the same accumulator.
        if let [start] = starts {
            let pane = self.panes.entry(*start).or_default();
            if let Some(acc) = pane.get_mut(key) {
                check(acc)?;
                return update(acc, seq);
            }
            let mut acc = A::default();
            check(&acc)?;
            update(&mut acc, seq)?;
            pane.insert(key.to_key(), acc);
            return Ok(());
        }
        let fresh = A::default();
        for start in starts {
            match self.panes.get(start).and_then(|pane| pane.get(key)) {
                Some(acc) => check(acc)?,
                None => check(&fresh)?,
            }
        }
        for start in starts {
            let pane = self.panes.entry(*start).or_default();
            if let Some(acc) = pane.get_mut(key) {
                update(acc, seq)?;
                continue;
            }
            let mut acc = A::default();
            update(&mut acc, seq)?;
            pane.insert(key.to_key(), acc);
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments, reason = "the parts of one record's arrival")]
    fn add_to_session(
        &mut self,
        key: K,
        time: i64,
        gap: i64,
        watermark: i64,
        check: &impl Fn(&A) -> Result<()>,
        update: &mut impl FnMut(&mut A, u64) -> Result<()>,
        seq: u64,
    ) -> Result<Arrival> {
        let own_end = time.saturating_add(gap);
        if self.emitted_sessions.get(&key).is_some_and(|end| time < *end) {
            // It would extend a session that was already emitted.
            return Ok(Arrival::Late);
        }
        let sessions = self.sessions.entry(key.clone()).or_default();
        // Sessions are half-open [first, last + gap): an event merges with every
        // open session its own [time, time + gap) overlaps.
        let overlapping: Vec<usize> =
            (0..sessions.len()).filter(|&i| sessions[i].start < own_end && time < sessions[i].end).collect();
        match overlapping.as_slice() {
            [] if own_end <= watermark => {
                if sessions.is_empty() {
                    self.sessions.remove(&key);
                }
                return Ok(Arrival::Late);
            }
            [] => {
                let mut acc = A::default();
                check(&acc)?;
                update(&mut acc, seq)?;
                let position = sessions.iter().position(|s| s.start > time).unwrap_or(sessions.len());
                sessions.insert(position, Session { start: time, end: own_end, acc });
                self.session_ends.entry(own_end).or_default().push(key);
            }
            [only] => {
                let session = &mut sessions[*only];
                check(&session.acc)?;
                update(&mut session.acc, seq)?;
                session.start = session.start.min(time);
                if own_end > session.end {
                    session.end = own_end;
                    self.session_ends.entry(own_end).or_default().push(key);
                }
            }
            several => {
                // Merge copies, so a fault leaves the stored sessions as they were.
                let mut merged = Session { start: time, end: own_end, acc: A::default() };
                for &i in several {
                    merged.start = merged.start.min(sessions[i].start);
                    merged.end = merged.end.max(sessions[i].end);
                    merged.acc.merge(sessions[i].acc.clone())?;
                }
                check(&merged.acc)?;
                update(&mut merged.acc, seq)?;
                for &i in several.iter().rev() {
                    sessions.remove(i);
                }
                let position = sessions.iter().position(|s| s.start > merged.start).unwrap_or(sessions.len());
                self.session_ends.entry(merged.end).or_default().push(key);
                sessions.insert(position, merged);
            }
        }
        Ok(Arrival::OnTime)
    }

    /// An event time was seen on `partition` (after the record was added).
    pub fn observe(&mut self, partition: PartitionId, time: i64) -> bool {
        self.tracker.observe(partition, time)
    }

    /// The partition finished or went idle.
    pub fn partition_done(&mut self, partition: PartitionId) -> bool {
        self.tracker.partition_done(partition)
    }

    /// The largest event time seen on `partition` (for watermark alignment).
    pub fn partition_time(&self, partition: PartitionId) -> Option<i64> {
        self.tracker.partition_time(partition)
    }

    /// An input partition was assigned: it holds the watermark back until it has records.
    pub fn hold(&mut self, partition: PartitionId) {
        self.tracker.hold(partition);
    }

    /// Processing-time windows: the clock moved.
    pub fn set_clock(&mut self, now: i64) -> bool {
        self.tracker.set_clock(now)
    }

    /// Bounded input ended: every open window becomes ready.
    pub fn finish(&mut self) {
        self.tracker.finish();
    }

    /// Removes and returns the windows whose end the watermark has reached, by end time.
    pub fn ready(&mut self) -> Vec<Row<K, A>> {
        let watermark = self.tracker.watermark();
        let mut rows = Vec::new();
        let size = match self.kind {
            WindowKind::Tumbling { size } | WindowKind::Sliding { size, .. } => size,
            WindowKind::Session { .. } => 0,
        };
        while let Some(entry) = self.panes.first_entry() {
            let (start, end) = (*entry.key(), entry.key().saturating_add(size));
            if end > watermark {
                break;
            }
            rows.extend(entry.remove().into_iter().map(|(key, acc)| Row { key, start, end, acc }));
        }
        while let Some(entry) = self.session_ends.first_entry() {
            if *entry.key() > watermark {
                break;
            }
            let (end, keys) = entry.remove_entry();
            for key in keys {
                let Some(sessions) = self.sessions.get_mut(&key) else { continue };
                while let Some(index) = sessions.iter().position(|s| s.end == end) {
                    let session = sessions.remove(index);
                    self.emitted_sessions.insert(key.clone(), session.end);
                    rows.push(Row { key: key.clone(), start: session.start, end: session.end, acc: session.acc });
                }
                if sessions.is_empty() {
                    self.sessions.remove(&key);
                }
            }
        }
        if let WindowKind::Session { gap } = self.kind {
            // Forget an emitted session once no record can reach back into it: past
            // end + gap a new record's own window starts after it, and no open
            // session of the key could bridge back to it.
            if watermark != i64::MAX {
                let open = &self.sessions;
                self.emitted_sessions.retain(|key, end| end.saturating_add(gap) > watermark || open.contains_key(key));
            } else {
                self.emitted_sessions.clear();
            }
        }
        rows
    }
}

/// One key's part of a window state, in its task partition's section (see
/// `crate::state`): the key is written once, however many windows it has open.
#[derive(serde::Serialize)]
struct KeyWindows<'a, K, A> {
    key: &'a K,
    /// Open tumbling and sliding windows: start, the key's place among the
    /// window's keys (emission order), accumulator.
    panes: Vec<(i64, u32, &'a A)>,
    /// Open sessions, each with the key's place among the keys of sessions
    /// that end when it does (emission order).
    sessions: Vec<(&'a Session<A>, u32)>,
    /// The end of the key's last emitted session, while it is remembered.
    emitted: Option<i64>,
}

/// `KeyWindows`, decoded.
#[derive(serde::Deserialize)]
struct OwnedKeyWindows<K, A> {
    key: K,
    panes: Vec<(i64, u32, A)>,
    sessions: Vec<(Session<A>, u32)>,
    emitted: Option<i64>,
}

impl<K, A> crate::state::PartitionedState for WindowedAggregate<K, A>
where
    K: Hash + Eq + Clone + serde::Serialize + serde::de::DeserializeOwned,
    A: Accumulator + serde::Serialize + serde::de::DeserializeOwned,
{
    fn save_parts(&self, partitions: u32) -> Result<crate::state::Parts, String> {
        let shared = crate::checkpoint::encode(&(self.kind, &self.tracker, self.late_records, self.arrivals))?;
        let mut by_key: Map<&K, KeyWindows<'_, K, A>> = Map::default();
        fn of<'m, 'a, K: Hash + Eq, A>(
            by_key: &'m mut Map<&'a K, KeyWindows<'a, K, A>>,
            key: &'a K,
        ) -> &'m mut KeyWindows<'a, K, A> {
            by_key.entry(key).or_insert_with(|| KeyWindows {
                key,
                panes: Vec::new(),
                sessions: Vec::new(),
                emitted: None,
            })
        }
        for (&start, pane) in &self.panes {
            for (place, (key, acc)) in pane.iter().enumerate() {
                of(&mut by_key, key).panes.push((start, place as u32, acc));
            }
        }
        // A session is emitted at the first place its key has among the keys of its end.
        let mut places: Map<(&K, i64), u32> = Map::default();
        for (&end, keys) in &self.session_ends {
            for (place, key) in keys.iter().enumerate() {
                places.entry((key, end)).or_insert(place as u32);
            }
        }
        for (key, sessions) in &self.sessions {
            for session in sessions {
                let place = places.get(&(key, session.end)).copied().unwrap_or(u32::MAX);
                of(&mut by_key, key).sessions.push((session, place));
            }
        }
        for (key, &end) in &self.emitted_sessions {
            of(&mut by_key, key).emitted = Some(end);
        }
        let parts = crate::state::encode_by_partition(by_key.into_values().map(|k| (k.key, k)), partitions)?;
        Ok((shared, parts))
    }

    fn restore_parts(shared: &[u8], parts: &[&[u8]]) -> Result<Self, String> {
        let (kind, tracker, late_records, arrivals): (WindowKind, WatermarkTracker, u64, u64) =
            crate::checkpoint::decode(shared)?;
        let mut state = WindowedAggregate { tracker, late_records, arrivals, ..WindowedAggregate::new(kind, 0) };
        let mut panes = Vec::new();
        let mut ends = Vec::new();
        for part in parts {
            for windows in crate::checkpoint::decode::<Vec<OwnedKeyWindows<K, A>>>(part)? {
                let OwnedKeyWindows { key, panes: open, sessions, emitted } = windows;
                panes.extend(open.into_iter().map(|(start, place, acc)| (start, place, key.clone(), acc)));
                ends.extend(sessions.iter().map(|(session, place)| (session.end, *place, key.clone())));
                if !sessions.is_empty() {
                    state.sessions.insert(key.clone(), sessions.into_iter().map(|(session, _)| session).collect());
                }
                if let Some(end) = emitted {
                    state.emitted_sessions.insert(key, end);
                }
            }
        }
        // Keys take their places again, so the output is in the order it would have had without the restart.
        panes.sort_by_key(|(start, place, _, _)| (*start, *place));
        for (start, _, key, acc) in panes {
            state.panes.entry(start).or_default().insert(key, acc);
        }
        ends.sort_by_key(|(end, place, _)| (*end, *place));
        for (end, _, key) in ends {
            state.session_ends.entry(end).or_default().push(key);
        }
        Ok(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Default, Debug)]
    struct Sum(i64);
    impl Accumulator for Sum {
        fn merge(&mut self, other: Self) -> Result<()> {
            self.0 += other.0;
            Ok(())
        }
    }

    fn add(w: &mut WindowedAggregate<&'static str, Sum>, key: &'static str, time: i64, v: i64) -> Arrival {
        let arrival = w.add(
            &key,
            time,
            |_| Ok(()),
            |acc, _| {
                acc.0 += v;
                Ok(())
            },
        );
        w.observe(0, time);
        arrival.unwrap()
    }

    fn rows(w: &mut WindowedAggregate<&'static str, Sum>) -> Vec<(&'static str, i64, i64, i64)> {
        w.ready().into_iter().map(|r| (r.key, r.start, r.end, r.acc.0)).collect()
    }

    #[test]
    fn tumbling_emits_when_the_watermark_reaches_the_end() {
        let mut w = WindowedAggregate::new(WindowKind::Tumbling { size: 10 }, 5);
        add(&mut w, "a", 1, 1);
        add(&mut w, "a", 9, 1);
        add(&mut w, "b", 12, 1);
        assert!(rows(&mut w).is_empty(), "watermark 7 < end 10");
        add(&mut w, "a", 15, 1);
        assert_eq!(rows(&mut w), [("a", 0, 10, 2)], "watermark 10 >= end 10");
        assert_eq!(add(&mut w, "a", 3, 1), Arrival::Late);
        w.finish();
        assert_eq!(rows(&mut w), [("b", 10, 20, 1), ("a", 10, 20, 1)]);
        assert_eq!(w.late_records(), 1);
    }

    #[test]
    fn sliding_counts_in_open_windows_and_reports_partly_late() {
        let mut w = WindowedAggregate::new(WindowKind::Sliding { size: 10, slide: 5 }, 0);
        add(&mut w, "a", 7, 1); // windows [0,10) and [5,15)
        add(&mut w, "a", 10, 1); // [5,15) [10,20); watermark 10 closes [0,10)
        assert_eq!(rows(&mut w), [("a", 0, 10, 1)]);
        assert_eq!(add(&mut w, "a", 8, 1), Arrival::PartlyLate); // [0,10) emitted, [5,15) open
        w.finish();
        assert_eq!(rows(&mut w), [("a", 5, 15, 3), ("a", 10, 20, 1)]);
    }

    #[test]
    fn a_record_inside_an_open_session_is_on_time() {
        let mut w = WindowedAggregate::new(WindowKind::Session { gap: 10 }, 0);
        add(&mut w, "a", 0, 1);
        add(&mut w, "a", 8, 1); // session a [0, 18)
        add(&mut w, "b", 15, 1); // watermark 15
        assert_eq!(add(&mut w, "a", 3, 1), Arrival::OnTime, "its own [3, 13) ended, but a's session is open");
        w.finish();
        assert_eq!(rows(&mut w), [("a", 0, 18, 3), ("b", 15, 25, 1)]);
    }

    #[test]
    fn a_record_reaching_back_into_an_emitted_session_is_late() {
        let mut w = WindowedAggregate::new(WindowKind::Session { gap: 10 }, 0);
        add(&mut w, "a", 0, 1);
        add(&mut w, "b", 10, 1); // watermark 10: a [0,10) emitted
        assert_eq!(rows(&mut w), [("a", 0, 10, 1)]);
        add(&mut w, "a", 12, 1);
        add(&mut w, "a", 20, 1); // a [12,30) open, watermark 20: b [10,20) emitted
        assert_eq!(rows(&mut w), [("b", 10, 20, 1)], "and a's emitted [0,10) is still remembered");
        add(&mut w, "c", 21, 1);
        assert!(rows(&mut w).is_empty());
        assert_eq!(add(&mut w, "a", 8, 100), Arrival::Late, "8 is inside the emitted [0,10)");
        w.finish();
        let mut all = rows(&mut w);
        all.sort();
        assert_eq!(all, [("a", 12, 30, 2), ("c", 21, 31, 1)]);
    }

    #[test]
    fn a_failing_check_changes_no_window() {
        let mut w: WindowedAggregate<&str, Sum> = WindowedAggregate::new(WindowKind::Sliding { size: 10, slide: 5 }, 0);
        w.add(
            &"a",
            7,
            |_| Ok(()),
            |acc, _| {
                acc.0 += 1;
                Ok(())
            },
        )
        .unwrap();
        // Fails on the window that already holds a record: neither window changes.
        let result = w.add(
            &"a",
            8,
            |acc: &Sum| if acc.0 > 0 { Err(crate::Fault::new("overflow")) } else { Ok(()) },
            |acc, _| {
                acc.0 += 100;
                Ok(())
            },
        );
        assert!(result.is_err());
        w.finish();
        assert_eq!(rows(&mut w), [("a", 0, 10, 1), ("a", 5, 15, 1)]);
        // Sessions: a failed merge keeps both sessions.
        let mut s: WindowedAggregate<&str, Sum> = WindowedAggregate::new(WindowKind::Session { gap: 10 }, 100);
        add(&mut s, "a", 0, 1);
        add(&mut s, "a", 15, 1);
        let bridge = s.add(&"a", 9, |_: &Sum| Err(crate::Fault::new("overflow")), |_, _| Ok(()));
        assert!(bridge.is_err());
        s.finish();
        assert_eq!(rows(&mut s), [("a", 0, 10, 1), ("a", 15, 25, 1)]);
    }

    #[test]
    fn extreme_event_times_do_not_overflow() {
        let mut w = WindowedAggregate::new(WindowKind::Sliding { size: 10, slide: 3 }, 0);
        add(&mut w, "a", i64::MIN, 1);
        add(&mut w, "a", i64::MAX, 1);
        w.finish();
        assert!(!rows(&mut w).is_empty());
        let mut d = crate::ops::dedupe::Dedupe::new(10);
        assert!(d.keep("k", i64::MIN));
        assert!(d.keep("k", i64::MAX));
    }

    #[test]
    fn sessions_merge_and_close_on_gap() {
        let mut w = WindowedAggregate::new(WindowKind::Session { gap: 10 }, 0);
        add(&mut w, "a", 0, 1);
        add(&mut w, "a", 25, 1); // separate: 25 >= 0 + 10; watermark 25 closes [0,10)
        assert_eq!(rows(&mut w), [("a", 0, 10, 1)]);
        add(&mut w, "a", 40, 1); // 40 >= 35: separate; watermark 40 closes [25,35)
        assert_eq!(rows(&mut w), [("a", 25, 35, 1)]);
        add(&mut w, "a", 45, 1); // merges: [40, 55)
        assert_eq!(add(&mut w, "a", 30, 1), Arrival::Late, "would extend an emitted session");
        w.finish();
        assert_eq!(rows(&mut w), [("a", 40, 55, 2)]);
    }

    #[test]
    fn sessions_exactly_gap_apart_do_not_merge_but_bridging_events_do() {
        let mut w = WindowedAggregate::new(WindowKind::Session { gap: 10 }, 100);
        add(&mut w, "a", 0, 1);
        add(&mut w, "a", 10, 1);
        add(&mut w, "a", 30, 1);
        add(&mut w, "a", 22, 1); // [22,32) overlaps [10,20)? no: 22 >= 20. overlaps [30,40): yes
        add(&mut w, "a", 15, 1); // [15,25) overlaps [10,20) and [22,40): all merge
        w.finish();
        assert_eq!(rows(&mut w), [("a", 0, 10, 1), ("a", 10, 40, 4)]);
    }
}
