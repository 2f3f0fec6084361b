//! Event-time watermarks, tracked per input partition.
//!
//! The watermark is the minimum, over the partitions that are not finished or
//! idle, of the largest event time seen minus the allowed delay. It never goes
//! back. When every input has ended it jumps to +infinity (see `finish`).

/// Identifies an input partition of a stage (a file, a Kafka partition, or an
/// upstream aggregate emitting rows).
pub type PartitionId = u64;

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct Partition {
    id: PartitionId,
    max_time: i64,
    done: bool,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct WatermarkTracker {
    delay: i64,
    partitions: Vec<Partition>,
    current: i64,
}

impl WatermarkTracker {
    pub fn new(delay_millis: i64) -> Self {
        WatermarkTracker { delay: delay_millis.max(0), partitions: Vec::new(), current: i64::MIN }
    }

    pub fn watermark(&self) -> i64 {
        self.current
    }

    /// Records an event time seen on `partition`; returns true when the watermark advanced.
    pub fn observe(&mut self, partition: PartitionId, time: i64) -> bool {
        match self.partitions.iter_mut().find(|p| p.id == partition) {
            Some(p) => {
                if time > p.max_time {
                    p.max_time = time;
                } else {
                    return false;
                }
                p.done = false;
            }
            None => self.partitions.push(Partition { id: partition, max_time: time, done: false }),
        }
        self.recompute()
    }

    /// The largest event time seen on `partition` (None before its first record).
    pub fn partition_time(&self, partition: PartitionId) -> Option<i64> {
        self.partitions.iter().find(|p| p.id == partition).map(|p| p.max_time).filter(|t| *t > i64::MIN)
    }

    /// A partition assigned to this process holds the watermark back from the
    /// start, before its first record (until it has records, ends or goes idle).
    pub fn hold(&mut self, partition: PartitionId) {
        if !self.partitions.iter().any(|p| p.id == partition) {
            self.partitions.push(Partition { id: partition, max_time: i64::MIN, done: false });
        }
    }

    /// The partition ended (file finished) or went idle: it no longer holds the watermark back.
    pub fn partition_done(&mut self, partition: PartitionId) -> bool {
        if let Some(p) = self.partitions.iter_mut().find(|p| p.id == partition) {
            p.done = true;
        }
        self.recompute()
    }

    /// Every input ended: the watermark goes to infinity.
    pub fn finish(&mut self) {
        self.current = i64::MAX;
    }

    /// Processing time: the clock is the watermark.
    pub fn set_clock(&mut self, now: i64) -> bool {
        let next = now.saturating_sub(self.delay);
        if next > self.current {
            self.current = next;
            true
        } else {
            false
        }
    }

    fn recompute(&mut self) -> bool {
        let active = self.partitions.iter().filter(|p| !p.done).map(|p| p.max_time).min();
        let candidate = match active {
            Some(min) => min.saturating_sub(self.delay),
            // All partitions finished: hold at the highest time seen.
            None => self.partitions.iter().map(|p| p.max_time).max().unwrap_or(i64::MIN).saturating_sub(self.delay),
        };
        if candidate > self.current {
            self.current = candidate;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::WatermarkTracker;

    #[test]
    fn minimum_over_active_partitions_minus_delay() {
        let mut w = WatermarkTracker::new(10);
        assert!(w.observe(0, 100));
        assert_eq!(w.watermark(), 90);
        w.observe(1, 50);
        assert_eq!(w.watermark(), 90, "never goes back");
        w.observe(0, 200);
        assert_eq!(w.watermark(), 90, "partition 1 holds it");
        w.observe(1, 120);
        assert_eq!(w.watermark(), 110);
        w.partition_done(1);
        assert_eq!(w.watermark(), 190);
        w.finish();
        assert_eq!(w.watermark(), i64::MAX);
    }

    #[test]
    fn an_assigned_partition_holds_the_watermark_before_its_first_record() {
        let mut w = WatermarkTracker::new(0);
        w.hold(1);
        assert!(!w.observe(0, 100), "partition 1 has not been read yet");
        assert_eq!(w.watermark(), i64::MIN);
        w.observe(1, 50);
        assert_eq!(w.watermark(), 50);
        w.hold(1);
        assert_eq!(w.watermark(), 50, "holding a known partition changes nothing");
    }
}
