//! The language's built-in functions and checked operators. Generated code
//! calls these with borrowed arguments; null handling is done by the caller.

use crate::fault::{Fault, Result};
use crate::time::{Duration, Timestamp};
use regex::Regex;

// ---- arithmetic (int faults on overflow and division by zero) ----------------

#[inline]
pub fn add_int(a: i64, b: i64) -> Result<i64> {
    a.checked_add(b).ok_or_else(|| Fault::new(format!("integer overflow in {a} + {b}")))
}
#[inline]
pub fn sub_int(a: i64, b: i64) -> Result<i64> {
    a.checked_sub(b).ok_or_else(|| Fault::new(format!("integer overflow in {a} - {b}")))
}
#[inline]
pub fn mul_int(a: i64, b: i64) -> Result<i64> {
    a.checked_mul(b).ok_or_else(|| Fault::new(format!("integer overflow in {a} * {b}")))
}
/// Truncates toward zero.
#[inline]
pub fn div_int(a: i64, b: i64) -> Result<i64> {
    if b == 0 {
        return Err(Fault::new(format!("division by zero in {a} / 0")));
    }
    a.checked_div(b).ok_or_else(|| Fault::new(format!("integer overflow in {a} / {b}")))
}
#[inline]
pub fn rem_int(a: i64, b: i64) -> Result<i64> {
    if b == 0 {
        return Err(Fault::new(format!("division by zero in {a} % 0")));
    }
    // The remainder always fits (`i64::MIN % -1` is 0), unlike the quotient.
    if b == -1 {
        return Ok(0);
    }
    a.checked_rem(b).ok_or_else(|| Fault::new(format!("integer overflow in {a} % {b}")))
}
#[inline]
pub fn neg_int(a: i64) -> Result<i64> {
    a.checked_neg().ok_or_else(|| Fault::new(format!("integer overflow in -({a})")))
}
/// Float division by zero gives null.
#[inline]
pub fn div_float(a: f64, b: f64) -> Option<f64> {
    if b == 0.0 {
        None
    } else {
        Some(a / b)
    }
}
#[inline]
pub fn rem_float(a: f64, b: f64) -> Option<f64> {
    if b == 0.0 {
        None
    } else {
        Some(a % b)
    }
}
#[inline]
pub fn add_time(t: Timestamp, d: Duration) -> Result<Timestamp> {
    t.0.checked_add(d.0).map(Timestamp).ok_or_else(|| Fault::new("timestamp overflow"))
}
#[inline]
pub fn sub_time(t: Timestamp, d: Duration) -> Result<Timestamp> {
    t.0.checked_sub(d.0).map(Timestamp).ok_or_else(|| Fault::new("timestamp overflow"))
}
#[inline]
pub fn time_between(a: Timestamp, b: Timestamp) -> Result<Duration> {
    a.0.checked_sub(b.0).map(Duration).ok_or_else(|| Fault::new("duration overflow"))
}
#[inline]
pub fn add_duration(a: Duration, b: Duration) -> Result<Duration> {
    a.0.checked_add(b.0).map(Duration).ok_or_else(|| Fault::new("duration overflow"))
}
#[inline]
pub fn sub_duration(a: Duration, b: Duration) -> Result<Duration> {
    a.0.checked_sub(b.0).map(Duration).ok_or_else(|| Fault::new("duration overflow"))
}
#[inline]
pub fn mul_duration(a: Duration, b: i64) -> Result<Duration> {
    a.0.checked_mul(b).map(Duration).ok_or_else(|| Fault::new("duration overflow"))
}
#[inline]
pub fn div_duration(a: Duration, b: i64) -> Result<Duration> {
    div_int(a.0, b).map(Duration)
}
#[inline]
pub fn neg_duration(a: Duration) -> Result<Duration> {
    neg_int(a.0).map(Duration)
}

/// `list[index]`: out of range is a fault.
#[inline]
pub fn index<T: Clone>(list: &[T], index: i64) -> Result<T> {
    usize::try_from(index)
        .ok()
        .and_then(|i| list.get(i))
        .cloned()
        .ok_or_else(|| Fault::new(format!("index {index} out of range for a list of {} elements", list.len())))
}

/// SQL three-valued AND.
#[inline]
pub fn and3(a: Option<bool>, b: impl FnOnce() -> Option<bool>) -> Option<bool> {
    match a {
        Some(false) => Some(false),
        Some(true) => b(),
        None => match b() {
            Some(false) => Some(false),
            _ => None,
        },
    }
}

/// SQL three-valued OR.
#[inline]
pub fn or3(a: Option<bool>, b: impl FnOnce() -> Option<bool>) -> Option<bool> {
    match a {
        Some(true) => Some(true),
        Some(false) => b(),
        None => match b() {
            Some(true) => Some(true),
            _ => None,
        },
    }
}

// ---- strings -------------------------------------------------------------------

pub fn lower(s: &str) -> String {
    s.to_lowercase()
}
pub fn upper(s: &str) -> String {
    s.to_uppercase()
}
pub fn trim(s: &str) -> String {
    s.trim().to_string()
}
/// Characters, not bytes.
pub fn len_string(s: &str) -> i64 {
    s.chars().count() as i64
}
pub fn len_list<T>(list: &[T]) -> i64 {
    list.len() as i64
}
pub fn contains(s: &str, part: &str) -> bool {
    s.contains(part)
}
pub fn list_contains<T: PartialEq>(list: &[T], item: &T) -> bool {
    list.contains(item)
}
pub fn list_contains_str(list: &[String], item: &str) -> bool {
    list.iter().any(|element| element == item)
}
pub fn starts_with(s: &str, prefix: &str) -> bool {
    s.starts_with(prefix)
}
pub fn ends_with(s: &str, suffix: &str) -> bool {
    s.ends_with(suffix)
}
/// 0-based, in characters, clamped to the string.
pub fn substr(s: &str, start: i64, len: Option<i64>) -> String {
    let start = start.max(0) as usize;
    let chars = s.chars().skip(start);
    match len {
        Some(len) => chars.take(len.max(0) as usize).collect(),
        None => chars.collect(),
    }
}
/// Replaces every occurrence (literal, not a regex); an empty `from` changes nothing.
pub fn replace(s: &str, from: &str, to: &str) -> String {
    if from.is_empty() {
        s.to_string()
    } else {
        s.replace(from, to)
    }
}
/// Literal separator; an empty separator splits into characters.
pub fn split(s: &str, separator: &str) -> Vec<String> {
    if separator.is_empty() {
        s.chars().map(String::from).collect()
    } else {
        s.split(separator).map(String::from).collect()
    }
}
pub fn concat(parts: &[&str]) -> String {
    parts.concat()
}
pub fn regex_match(re: &Regex, s: &str) -> bool {
    re.is_match(s)
}
/// The group (1 by default when the pattern has groups, else the whole match); null on no match.
pub fn regex_extract(re: &Regex, s: &str, group: usize) -> Option<String> {
    re.captures(s).and_then(|c| c.get(group)).map(|m| m.as_str().to_string())
}

// ---- numbers ---------------------------------------------------------------------

pub fn abs_int(a: i64) -> Result<i64> {
    a.checked_abs().ok_or_else(|| Fault::new(format!("integer overflow in abs({a})")))
}
pub fn abs_float(a: f64) -> f64 {
    a.abs()
}
/// Half away from zero, to `digits` decimals.
pub fn round_float(a: f64, digits: i64) -> f64 {
    if digits == 0 {
        return a.round();
    }
    let scale = 10f64.powi(digits as i32);
    (a * scale).round() / scale
}
pub fn floor_float(a: f64) -> f64 {
    a.floor()
}
pub fn ceil_float(a: f64) -> f64 {
    a.ceil()
}
pub fn min_of<T: PartialOrd>(a: T, b: T) -> T {
    if b < a {
        b
    } else {
        a
    }
}
pub fn max_of<T: PartialOrd>(a: T, b: T) -> T {
    if b > a {
        b
    } else {
        a
    }
}

// ---- conversions -------------------------------------------------------------------

pub fn int_of_float(a: f64) -> Result<i64> {
    if a.is_nan() || !(-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&a) {
        return Err(Fault::new(format!("{a} does not fit in an int")));
    }
    Ok(a.trunc() as i64)
}
pub fn int_of_string(s: &str) -> Result<i64> {
    s.trim().parse().map_err(|_| Fault::new(format!("cannot convert {s:?} to an int")))
}
pub fn float_of_string(s: &str) -> Result<f64> {
    s.trim().parse().map_err(|_| Fault::new(format!("cannot convert {s:?} to a float")))
}
pub fn parse_int(s: &str) -> Option<i64> {
    s.trim().parse().ok()
}
pub fn parse_float(s: &str) -> Option<f64> {
    s.trim().parse().ok()
}
/// The shortest form that reads back as the same float: `2500`, `0.1`, `1e21`, `1e-7`.
pub fn string_of_float(a: f64) -> String {
    let text = format!("{a:?}");
    match text.strip_suffix(".0") {
        Some(integral) => integral.to_string(),
        None => text,
    }
}
pub fn to_timestamp_string(s: &str) -> Result<Timestamp> {
    Timestamp::parse_rfc3339(s).ok_or_else(|| Fault::new(format!("{s:?} is not an RFC 3339 timestamp")))
}

/// `date_trunc` units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TruncUnit {
    Second,
    Minute,
    Hour,
    Day,
}

pub fn date_trunc(unit: TruncUnit, t: Timestamp) -> Timestamp {
    let size = match unit {
        TruncUnit::Second => 1_000,
        TruncUnit::Minute => 60_000,
        TruncUnit::Hour => 3_600_000,
        TruncUnit::Day => 86_400_000,
    };
    Timestamp(t.0.checked_sub(t.0.rem_euclid(size)).unwrap_or(i64::MIN))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semantics_from_the_spec() {
        assert_eq!(div_int(-7, 2), Ok(-3));
        assert_eq!(rem_int(-7, 2), Ok(-1));
        assert!(div_int(1, 0).is_err());
        assert!(add_int(i64::MAX, 1).is_err());
        assert_eq!(div_float(1.0, 0.0), None);
        assert_eq!(substr("héllo", 1, Some(3)), "éll");
        assert_eq!(substr("abc", 5, None), "");
        assert_eq!(len_string("héllo"), 5);
        assert_eq!(round_float(2.5, 0), 3.0);
        assert_eq!(round_float(-2.5, 0), -3.0);
        assert_eq!(round_float(1.005, 1), 1.0);
        assert_eq!(int_of_float(-2.9), Ok(-2));
        assert!(int_of_float(f64::NAN).is_err());
        assert_eq!(string_of_float(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(string_of_float(2500.0), "2500");
        assert_eq!(string_of_float(1e21), "1e21");
        assert_eq!(string_of_float(1e-7), "1e-7");
        assert_eq!(rem_int(i64::MIN, -1), Ok(0));
        assert_eq!(split("a,b,,c", ","), ["a", "b", "", "c"]);
        assert_eq!(replace("aaa", "a", "b"), "bbb");
        assert_eq!(and3(None, || Some(false)), Some(false));
        assert_eq!(or3(None, || Some(false)), None);
        assert_eq!(date_trunc(TruncUnit::Hour, Timestamp(3_600_000 * 5 + 17)), Timestamp(3_600_000 * 5));
        assert!(index(&[1, 2], 2).is_err());
        let re = Regex::new("(\\d+)ms").unwrap();
        assert_eq!(regex_extract(&re, "took 25ms", 1).as_deref(), Some("25"));
    }
}
