//! Accumulators of the aggregate functions. Nulls are skipped by the caller
//! (it only feeds present values), as in SQL.

use crate::fault::{Fault, Result};
use crate::keys::Set;
use crate::time::Duration;
use serde::{Deserialize, Serialize};
use std::hash::Hash;

/// `count()`: rows.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CountRows(pub i64);
impl CountRows {
    #[inline]
    pub fn add(&mut self) {
        self.0 += 1;
    }
    pub fn merge(&mut self, other: Self) {
        self.0 += other.0;
    }
    pub fn finish(&self) -> i64 {
        self.0
    }
}

/// `count(x)`: non-null values (the caller calls `add` only for them).
pub type Count = CountRows;

/// `sum` over ints: overflow is a fault.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SumInt(pub Option<i64>);
impl SumInt {
    /// Whether `v` can be added without overflow (checked before any accumulator changes).
    #[inline]
    pub fn check(&self, v: i64) -> Result<()> {
        match self.0 {
            Some(s) if s.checked_add(v).is_none() => Err(Fault::new("integer overflow in sum")),
            _ => Ok(()),
        }
    }

    #[inline]
    pub fn add(&mut self, v: i64) -> Result<()> {
        self.0 = Some(match self.0 {
            None => v,
            Some(s) => s.checked_add(v).ok_or_else(|| Fault::new("integer overflow in sum"))?,
        });
        Ok(())
    }
    pub fn merge(&mut self, other: Self) -> Result<()> {
        match other.0 {
            Some(v) => self.add(v),
            None => Ok(()),
        }
    }
    pub fn finish(&self) -> Option<i64> {
        self.0
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SumFloat(pub Option<f64>);
impl SumFloat {
    #[inline]
    pub fn add(&mut self, v: f64) {
        self.0 = Some(self.0.unwrap_or(0.0) + v);
    }
    pub fn merge(&mut self, other: Self) {
        if let Some(v) = other.0 {
            self.add(v);
        }
    }
    pub fn finish(&self) -> Option<f64> {
        self.0
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SumDuration(pub SumInt);
impl SumDuration {
    #[inline]
    pub fn check(&self, v: Duration) -> Result<()> {
        self.0.check(v.0)
    }

    #[inline]
    pub fn add(&mut self, v: Duration) -> Result<()> {
        self.0.add(v.0)
    }
    pub fn merge(&mut self, other: Self) -> Result<()> {
        self.0.merge(other.0)
    }
    pub fn finish(&self) -> Option<Duration> {
        self.0.finish().map(Duration)
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Avg {
    pub sum: f64,
    pub count: i64,
}
impl Avg {
    #[inline]
    pub fn add(&mut self, v: f64) {
        self.sum += v;
        self.count += 1;
    }
    pub fn merge(&mut self, other: Self) {
        self.sum += other.sum;
        self.count += other.count;
    }
    pub fn finish(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum / self.count as f64)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Min<T>(pub Option<T>);
impl<T> Default for Min<T> {
    fn default() -> Self {
        Min(None)
    }
}
impl<T: PartialOrd + Clone> Min<T> {
    #[inline]
    pub fn add(&mut self, v: T) {
        if self.0.as_ref().is_none_or(|m| v < *m) {
            self.0 = Some(v);
        }
    }
    pub fn merge(&mut self, other: Self) {
        if let Some(v) = other.0 {
            self.add(v);
        }
    }
    pub fn finish(&self) -> Option<T> {
        self.0.clone()
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Max<T>(pub Option<T>);
impl<T> Default for Max<T> {
    fn default() -> Self {
        Max(None)
    }
}
impl<T: PartialOrd + Clone> Max<T> {
    #[inline]
    pub fn add(&mut self, v: T) {
        if self.0.as_ref().is_none_or(|m| v > *m) {
            self.0 = Some(v);
        }
    }
    pub fn merge(&mut self, other: Self) {
        if let Some(v) = other.0 {
            self.add(v);
        }
    }
    pub fn finish(&self) -> Option<T> {
        self.0.clone()
    }
}

/// `count_distinct`: keeps the distinct values (grows with them).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CountDistinct<T: Hash + Eq>(pub Set<T>);
impl<T: Hash + Eq> Default for CountDistinct<T> {
    fn default() -> Self {
        CountDistinct(Set::default())
    }
}
impl<T: Hash + Eq> CountDistinct<T> {
    #[inline]
    pub fn add(&mut self, v: T) {
        self.0.insert(v);
    }
    pub fn merge(&mut self, other: Self) {
        self.0.extend(other.0);
    }
    pub fn finish(&self) -> i64 {
        self.0.len() as i64
    }
}

/// `first`: the first non-null value in arrival order (kept with its arrival
/// number, so sessions that merge keep the right one).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct First<T>(pub Option<(u64, T)>);
impl<T> Default for First<T> {
    fn default() -> Self {
        First(None)
    }
}
impl<T: Clone> First<T> {
    #[inline]
    pub fn add(&mut self, v: T, seq: u64) {
        if self.0.as_ref().is_none_or(|(s, _)| seq < *s) {
            self.0 = Some((seq, v));
        }
    }
    pub fn merge(&mut self, other: Self) {
        if let Some((seq, v)) = other.0 {
            self.add(v, seq);
        }
    }
    pub fn finish(&self) -> Option<T> {
        self.0.as_ref().map(|(_, v)| v.clone())
    }
}

/// `last`: the last non-null value in arrival order.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Last<T>(pub Option<(u64, T)>);
impl<T> Default for Last<T> {
    fn default() -> Self {
        Last(None)
    }
}
impl<T: Clone> Last<T> {
    #[inline]
    pub fn add(&mut self, v: T, seq: u64) {
        if self.0.as_ref().is_none_or(|(s, _)| seq > *s) {
            self.0 = Some((seq, v));
        }
    }
    pub fn merge(&mut self, other: Self) {
        if let Some((seq, v)) = other.0 {
            self.add(v, seq);
        }
    }
    pub fn finish(&self) -> Option<T> {
        self.0.as_ref().map(|(_, v)| v.clone())
    }
}

/// `collect`: every non-null value, in arrival order.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Collect<T>(pub Vec<(u64, T)>);
impl<T> Default for Collect<T> {
    fn default() -> Self {
        Collect(Vec::new())
    }
}
impl<T: Clone> Collect<T> {
    #[inline]
    pub fn add(&mut self, v: T, seq: u64) {
        self.0.push((seq, v));
    }
    pub fn merge(&mut self, other: Self) {
        self.0.extend(other.0);
        self.0.sort_by_key(|(seq, _)| *seq);
    }
    pub fn finish(&self) -> Vec<T> {
        self.0.iter().map(|(_, v)| v.clone()).collect()
    }
}

/// The value of an aggregate over a non-optional input: a group always has one.
pub fn present<T>(value: Option<T>) -> Result<T> {
    value.ok_or_else(|| Fault::new("internal error: an aggregate of a non-optional value had no value"))
}
