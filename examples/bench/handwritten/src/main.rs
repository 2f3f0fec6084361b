//! The hand-written baseline of the sluice benchmark: the two workloads of
//! `examples/bench/w1.pipe` and `w2.pipe`, written the way a careful engineer
//! would write them by hand with serde and serde_json only, producing the same
//! records (as multisets) as the sluice-generated binaries.
//!
//! ```text
//! bench_handwritten w1 INPUT OUT          # where bytes > 100 | select { user_id, url, kb: bytes / 1024.0 }
//! bench_handwritten w2 INPUT OUT LATE     # group by url window tumbling 10s on ts watermark 5s late to LATE
//!                                         #   aggregate { views: count(), bytes: sum(bytes) }
//! ```
//!
//! Like sluice: blank lines are skipped, undecodable records are skipped with a
//! warning, output files are written under a temporary name, synced and
//! renamed into place, timestamps are written as RFC 3339 UTC with
//! milliseconds, and fields are written in the order of the record.

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::fs::File;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

// ---------------------------------------------------------------------------
// Records

/// An input record. Strings borrow from the input line unless they contain escapes.
#[derive(Deserialize, Serialize)]
struct Click<'a> {
    #[serde(borrow)]
    user_id: Cow<'a, str>,
    #[serde(borrow)]
    url: Cow<'a, str>,
    bytes: i64,
    ts: Ts,
}

#[derive(Serialize)]
struct W1Out<'a> {
    user_id: &'a str,
    url: &'a str,
    kb: f64,
}

#[derive(Serialize)]
struct W2Row<'a> {
    url: &'a str,
    window_start: Ts,
    window_end: Ts,
    views: i64,
    bytes: i64,
}

// ---------------------------------------------------------------------------
// Timestamps: epoch milliseconds, read from a number or an RFC 3339 string,
// written as `2026-11-24T14:40:00.123Z`.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Ts(i64);

impl<'de> Deserialize<'de> for Ts {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = Ts;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a timestamp (epoch milliseconds or an RFC 3339 string)")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Ts, E> {
                Ok(Ts(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Ts, E> {
                i64::try_from(v).map(Ts).map_err(|_| E::custom("timestamp out of range"))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Ts, E> {
                parse_rfc3339(v.as_bytes()).map(Ts).ok_or_else(|| E::custom("invalid RFC 3339 timestamp"))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl Serialize for Ts {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut buf = [0u8; 24];
        match format_rfc3339(self.0, &mut buf) {
            Some(text) => serializer.serialize_str(text),
            None => serializer.serialize_str(&format_rfc3339_slow(self.0)),
        }
    }
}

/// Two ASCII digits at `b[i..i + 2]`.
#[inline]
fn digits2(b: &[u8], i: usize) -> Option<i64> {
    let (x, y) = (b[i].wrapping_sub(b'0'), b[i + 1].wrapping_sub(b'0'));
    (x < 10 && y < 10).then_some((x * 10 + y) as i64)
}

/// `YYYY-MM-DDTHH:MM:SS[.fff…](Z|±HH:MM)`; digits below the millisecond are truncated.
fn parse_rfc3339(b: &[u8]) -> Option<i64> {
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let year = digits2(b, 0)? * 100 + digits2(b, 2)?;
    let (month, day) = (digits2(b, 5)?, digits2(b, 8)?);
    let (hour, minute, second) = (digits2(b, 11)?, digits2(b, 14)?, digits2(b, 17)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut i = 19;
    let mut millis = 0;
    if b[i] == b'.' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            if i - start < 3 {
                millis = millis * 10 + (b[i] - b'0') as i64;
            }
            i += 1;
        }
        match i - start {
            0 => return None,
            1 => millis *= 100,
            2 => millis *= 10,
            _ => {}
        }
    }
    let offset_minutes = match b.get(i)? {
        b'Z' | b'z' if i + 1 == b.len() => 0,
        sign @ (b'+' | b'-') if i + 6 == b.len() && b[i + 3] == b':' => {
            let minutes = digits2(b, i + 1)? * 60 + digits2(b, i + 4)?;
            if *sign == b'+' {
                minutes
            } else {
                -minutes
            }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    Some((days * 86_400 + hour * 3_600 + minute * 60 + second - offset_minutes * 60) * 1_000 + millis)
}

/// Formats years 0000-9999 into `buf`; None outside that range.
#[inline]
fn format_rfc3339(millis: i64, buf: &mut [u8; 24]) -> Option<&str> {
    let seconds = millis.div_euclid(1000);
    let ms = millis.rem_euclid(1000);
    let (year, month, day) = civil_from_days(seconds.div_euclid(86_400));
    if !(0..=9999).contains(&year) {
        return None;
    }
    let rest = seconds.rem_euclid(86_400);
    let put2 = |buf: &mut [u8; 24], at: usize, v: i64| {
        buf[at] = b'0' + (v / 10) as u8;
        buf[at + 1] = b'0' + (v % 10) as u8;
    };
    put2(buf, 0, year / 100);
    put2(buf, 2, year % 100);
    buf[4] = b'-';
    put2(buf, 5, month);
    buf[7] = b'-';
    put2(buf, 8, day);
    buf[10] = b'T';
    put2(buf, 11, rest / 3600);
    buf[13] = b':';
    put2(buf, 14, rest % 3600 / 60);
    buf[16] = b':';
    put2(buf, 17, rest % 60);
    buf[19] = b'.';
    buf[20] = b'0' + (ms / 100) as u8;
    put2(buf, 21, ms % 100);
    buf[23] = b'Z';
    std::str::from_utf8(buf).ok()
}

fn format_rfc3339_slow(millis: i64) -> String {
    let seconds = millis.div_euclid(1000);
    let rest = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(seconds.div_euclid(86_400));
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60,
        millis.rem_euclid(1000)
    )
}

/// (year, month, day) of days since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

// ---------------------------------------------------------------------------
// A fast non-cryptographic hasher for the window state (the Fx hash, as in
// rustc): keys are urls from our own input, not attacker-chosen.

#[derive(Default, Clone, Copy)]
struct FxHasher {
    hash: u64,
}

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, mut bytes: &[u8]) {
        while bytes.len() >= 8 {
            self.add(u64::from_le_bytes(bytes[..8].try_into().unwrap()));
            bytes = &bytes[8..];
        }
        if bytes.len() >= 4 {
            self.add(u32::from_le_bytes(bytes[..4].try_into().unwrap()) as u64);
            bytes = &bytes[4..];
        }
        for &byte in bytes {
            self.add(byte as u64);
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(i as u64);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

type FxHashMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

// ---------------------------------------------------------------------------
// Input and output

/// Reads JSON lines into a reused buffer; blank lines are skipped.
struct Lines {
    reader: BufReader<File>,
    line: Vec<u8>,
    number: u64,
}

impl Lines {
    fn open(path: &str) -> Result<Lines, String> {
        let file = File::open(path).map_err(|e| format!("cannot open `{path}`: {e}"))?;
        Ok(Lines { reader: BufReader::with_capacity(1 << 16, file), line: Vec::with_capacity(256), number: 0 })
    }

    fn next(&mut self) -> Result<Option<&[u8]>, String> {
        loop {
            self.line.clear();
            if self.reader.read_until(b'\n', &mut self.line).map_err(|e| e.to_string())? == 0 {
                return Ok(None);
            }
            self.number += 1;
            while matches!(self.line.last(), Some(b'\n' | b'\r')) {
                self.line.pop();
            }
            if !self.line.iter().all(u8::is_ascii_whitespace) {
                return Ok(Some(&self.line));
            }
        }
    }
}

/// A JSON-lines file written under a temporary name, synced and moved into place on `finish`.
struct JsonLinesFile {
    out: BufWriter<File>,
    temp: PathBuf,
    path: PathBuf,
    written: u64,
}

impl JsonLinesFile {
    fn create(path: &str) -> Result<JsonLinesFile, String> {
        let path = PathBuf::from(path);
        let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        let temp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
        let file = File::create(&temp).map_err(|e| format!("cannot create `{}`: {e}", temp.display()))?;
        Ok(JsonLinesFile { out: BufWriter::with_capacity(1 << 16, file), temp, path, written: 0 })
    }

    #[inline]
    fn write<T: Serialize>(&mut self, record: &T) -> Result<(), String> {
        self.written += 1;
        serde_json::to_writer(&mut self.out, record).map_err(|e| e.to_string())?;
        self.out.write_all(b"\n").map_err(|e| e.to_string())
    }

    fn finish(self) -> Result<u64, String> {
        let file = self.out.into_inner().map_err(|e| e.to_string())?;
        file.sync_all().map_err(|e| e.to_string())?;
        std::fs::rename(&self.temp, &self.path).map_err(|e| e.to_string())?;
        Ok(self.written)
    }
}

struct Skipped(u64);

impl Skipped {
    fn report(&mut self, line: u64, error: &dyn fmt::Display) {
        self.0 += 1;
        if self.0 <= 10 {
            eprintln!("warning: line {line}: skipped: {error}");
        }
    }
}

// ---------------------------------------------------------------------------
// W1: where bytes > 100 | select { user_id, url, kb: bytes / 1024.0 }

fn w1(input: &str, output: &str) -> Result<(), String> {
    let mut lines = Lines::open(input)?;
    let mut out = JsonLinesFile::create(output)?;
    let mut skipped = Skipped(0);
    while let Some(line) = lines.next()? {
        let click: Click = match serde_json::from_slice(line) {
            Ok(click) => click,
            Err(e) => {
                skipped.report(lines.number, &e);
                continue;
            }
        };
        if click.bytes > 100 {
            out.write(&W1Out { user_id: &click.user_id, url: &click.url, kb: click.bytes as f64 / 1024.0 })?;
        }
    }
    out.finish()?;
    Ok(())
}

// ---------------------------------------------------------------------------
// W2: group by url window tumbling 10s on ts watermark 5s late to LATE
//     aggregate { views: count(), bytes: sum(bytes) }

const WINDOW: i64 = 10_000;
const DELAY: i64 = 5_000;

struct Acc {
    views: i64,
    bytes: i64,
}

/// Open windows by end time, each with its groups by url.
type Windows = BTreeMap<i64, FxHashMap<String, Acc>>;

/// Emits (and drops) every window whose end the watermark has reached.
fn emit_ready(windows: &mut Windows, watermark: i64, out: &mut JsonLinesFile) -> Result<(), String> {
    while let Some(entry) = windows.first_entry() {
        if *entry.key() > watermark {
            break;
        }
        let (end, groups) = entry.remove_entry();
        let start = Ts(end - WINDOW);
        for (url, acc) in &groups {
            out.write(&W2Row { url, window_start: start, window_end: Ts(end), views: acc.views, bytes: acc.bytes })?;
        }
    }
    Ok(())
}

fn w2(input: &str, output: &str, late_output: &str) -> Result<(), String> {
    let mut lines = Lines::open(input)?;
    let mut out = JsonLinesFile::create(output)?;
    let mut late = JsonLinesFile::create(late_output)?;
    let mut skipped = Skipped(0);
    let mut windows = Windows::new();
    let mut max_time = i64::MIN;
    // The largest event time seen minus the delay; a window is emitted when it reaches the window's end.
    let mut watermark = i64::MIN;
    while let Some(line) = lines.next()? {
        let click: Click = match serde_json::from_slice(line) {
            Ok(click) => click,
            Err(e) => {
                skipped.report(lines.number, &e);
                continue;
            }
        };
        let time = click.ts.0;
        let end = time.div_euclid(WINDOW).saturating_mul(WINDOW).saturating_add(WINDOW);
        if end <= watermark {
            // Its window was already emitted.
            late.write(&click)?;
        } else {
            let groups = windows.entry(end).or_default();
            match groups.get_mut(&*click.url) {
                Some(acc) => match acc.bytes.checked_add(click.bytes) {
                    Some(bytes) => {
                        acc.views += 1;
                        acc.bytes = bytes;
                    }
                    None => skipped.report(lines.number, &"integer overflow in sum"),
                },
                None => {
                    groups.insert(click.url.into_owned(), Acc { views: 1, bytes: click.bytes });
                }
            }
        }
        if time > max_time {
            max_time = time;
            let next = time.saturating_sub(DELAY);
            if next > watermark {
                watermark = next;
                emit_ready(&mut windows, watermark, &mut out)?;
            }
        }
    }
    // The input ended: the watermark goes to infinity and every open window is emitted.
    emit_ready(&mut windows, i64::MAX, &mut out)?;
    out.finish()?;
    late.finish()?;
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["w1", input, output] => w1(input, output),
        ["w2", input, output, late] => w2(input, output, late),
        _ => {
            eprintln!("usage: bench_handwritten w1 INPUT OUT | w2 INPUT OUT LATE");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip() {
        let t = 1_795_531_200_123;
        let mut buf = [0u8; 24];
        assert_eq!(format_rfc3339(t, &mut buf), Some("2026-11-24T14:40:00.123Z"));
        assert_eq!(format_rfc3339_slow(t), "2026-11-24T14:40:00.123Z");
        assert_eq!(parse_rfc3339(b"2026-11-24T14:40:00.123Z"), Some(t));
        assert_eq!(parse_rfc3339(b"2026-11-24T14:40:00.1234Z"), Some(t));
        assert_eq!(parse_rfc3339(b"2026-11-24T15:40:00.123+01:00"), Some(t));
        assert_eq!(parse_rfc3339(b"1970-01-01T00:00:01.5Z"), Some(1500));
        assert_eq!(format_rfc3339_slow(-1), "1969-12-31T23:59:59.999Z");
        assert!(parse_rfc3339(b"2026-13-24T14:40:00Z").is_none());
    }
}
