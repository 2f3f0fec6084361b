//! Raw input records and their decoding into the program's record types.

use crate::fault::Fault;
use serde::de::DeserializeOwned;
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    Text,
    Parquet,
}

/// One input record as read, before decoding.
#[derive(Debug)]
pub enum Payload<'a> {
    /// A JSON document (a line of a JSON-lines file, or a Kafka message).
    Json(&'a [u8]),
    /// A line of text.
    Text(&'a [u8]),
    /// A CSV row and the header row that names its columns; `message` is the row's
    /// bytes as they arrived when the source keeps them (a Kafka message), for dead letters.
    Csv { row: &'a csv::ByteRecord, headers: &'a csv::ByteRecord, message: Option<&'a [u8]> },
}

/// Where a record came from: enough to find it again and to dead-letter it.
#[derive(Debug)]
pub struct RawRecord<'a> {
    pub payload: Payload<'a>,
    /// The file path or Kafka topic.
    pub topic: &'a str,
    pub partition: i32,
    /// Kafka offset, or the 1-based line number in a file.
    pub offset: i64,
}

impl RawRecord<'_> {
    /// The raw bytes, as a dead letter carries them.
    pub fn raw_bytes(&self) -> Vec<u8> {
        match &self.payload {
            Payload::Json(bytes) | Payload::Text(bytes) | Payload::Csv { message: Some(bytes), .. } => bytes.to_vec(),
            // A row of a CSV file: the file's reader keeps the fields, not the line.
            Payload::Csv { row, message: None, .. } => {
                let mut writer = csv::Writer::from_writer(Vec::new());
                let _ = writer.write_byte_record(row);
                let mut bytes = writer.into_inner().unwrap_or_default();
                while bytes.last() == Some(&b'\n') || bytes.last() == Some(&b'\r') {
                    bytes.pop();
                }
                bytes
            }
        }
    }
}

/// A JSON document: UTF-8 as a whole (JSON text is UTF-8, so a payload that is
/// not is bad input even in a field the program ignores), checked once so the
/// parser need not check each string again.
fn json<'a, T: serde::Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, String> {
    match std::str::from_utf8(bytes) {
        Ok(text) => serde_json::from_str::<T>(text).map_err(|e| e.to_string()),
        Err(e) => Err(format!("invalid UTF-8: {e}")),
    }
}

/// Decodes a record that borrows its strings from the input buffer where it
/// can (JSON strings without escapes, CSV fields): no allocation per string.
/// Text payloads are not borrowable; their records use `decode`.
pub fn decode_ref<'a, T: serde::Deserialize<'a>>(raw: &RawRecord<'a>) -> Result<T, Fault> {
    let result = match &raw.payload {
        Payload::Json(bytes) => json(bytes),
        Payload::Csv { row, headers, .. } => row.deserialize::<T>(Some(headers)).map_err(|e| e.to_string()),
        Payload::Text(_) => Err("internal error: text records are decoded without borrowing".to_string()),
    };
    result.map_err(|message| Fault { stage: "decode", message })
}

/// Decodes a record; bad input becomes a `decode` fault with the reason.
pub fn decode<T: DeserializeOwned>(raw: &RawRecord<'_>) -> Result<T, Fault> {
    let result = match &raw.payload {
        Payload::Json(bytes) => json(bytes),
        Payload::Text(bytes) => match std::str::from_utf8(bytes) {
            Ok(line) => serde_json::from_value::<T>(serde_json::json!({ "line": line })).map_err(|e| e.to_string()),
            Err(e) => Err(format!("invalid UTF-8: {e}")),
        },
        Payload::Csv { row, headers, .. } => row.deserialize::<T>(Some(headers)).map_err(|e| e.to_string()),
    };
    result.map_err(|message| Fault { stage: "decode", message })
}

/// What a dead-letter sink receives for a record that could not be processed.
#[derive(Clone, Debug, Serialize, serde::Deserialize, PartialEq)]
pub struct DeadLetter {
    pub source: String,
    pub topic: String,
    pub partition: i64,
    pub offset: i64,
    pub stage: String,
    pub error: String,
    /// UTF-8 text, or base64 when `payload_encoding` is "base64".
    pub payload: String,
    pub payload_encoding: String,
}

impl DeadLetter {
    pub fn new(source: &str, raw: &RawRecord<'_>, fault: &Fault) -> Self {
        let bytes = raw.raw_bytes();
        let (payload, payload_encoding) = match String::from_utf8(bytes) {
            Ok(text) => (text, "utf8"),
            Err(e) => {
                use base64::Engine;
                (base64::engine::general_purpose::STANDARD.encode(e.as_bytes()), "base64")
            }
        };
        DeadLetter {
            source: source.to_string(),
            topic: raw.topic.to_string(),
            partition: raw.partition as i64,
            offset: raw.offset,
            stage: fault.stage.to_string(),
            error: fault.message.clone(),
            payload,
            payload_encoding: payload_encoding.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Timestamp;

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Click {
        url: String,
        bytes: i64,
        ratio: f64,
        ts: Timestamp,
        referrer: Option<String>,
    }

    fn json(text: &str) -> Result<Click, Fault> {
        decode(&RawRecord { payload: Payload::Json(text.as_bytes()), topic: "t", partition: 0, offset: 1 })
    }

    #[test]
    fn json_rules_from_the_spec() {
        let ok = json(r#"{"url":"/a","bytes":5,"ratio":1,"ts":"2026-11-24T14:40:00.123456Z","extra":true}"#).unwrap();
        assert_eq!(ok.ratio, 1.0, "an int is accepted for a float");
        assert_eq!(ok.ts, Timestamp(1_795_531_200_123), "sub-millisecond digits truncated");
        assert_eq!(ok.referrer, None, "a missing optional field is null");
        assert!(json(r#"{"url":"/a","bytes":5.5,"ratio":1,"ts":0}"#).is_err(), "a float for an int is an error");
        assert!(json(r#"{"url":"/a","bytes":"5","ratio":1,"ts":0}"#).is_err(), "a string for an int is an error");
        let mut bad = br#"{"url":"/a","bytes":5,"ratio":1,"ts":0,"ignored":"X"}"#.to_vec();
        let at = bad.iter().position(|&b| b == b'X').unwrap();
        bad[at] = 0xff;
        let err = decode::<Click>(&RawRecord { payload: Payload::Json(&bad), topic: "t", partition: 0, offset: 1 })
            .unwrap_err();
        assert!(err.message.starts_with("invalid UTF-8"), "even in an ignored field: {}", err.message);
        let err = json(r#"{"url":"/a","ratio":1,"ts":0}"#).unwrap_err();
        assert_eq!(err.stage, "decode");
        assert!(err.message.contains("bytes"), "{}", err.message);
    }
}
