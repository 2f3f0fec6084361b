//! Reads one top-level field of a record, as text, straight from its `Serialize`
//! impl: the key of a Kafka message (or a text payload) without building a
//! `serde_json::Value` of the whole record.

use serde::ser::{self, Impossible, Serialize, SerializeStruct, Serializer};
use std::fmt;

#[derive(Debug)]
pub struct NotAField(pub(crate) String);

impl fmt::Display for NotAField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for NotAField {}
impl ser::Error for NotAField {
    fn custom<T: fmt::Display>(message: T) -> Self {
        NotAField(message.to_string())
    }
}

/// The string form of field `name` of `record` (`None` when it is null or absent).
/// Strings are taken as they are; numbers, booleans and timestamps in their JSON
/// text form; a list or a record as its JSON text.
pub fn field_text<T: Serialize + ?Sized>(record: &T, name: &str) -> Result<Option<String>, String> {
    let mut capture = Capture { name, found: None };
    record.serialize(&mut capture).map_err(|e| e.to_string())?;
    Ok(capture.found.flatten())
}

/// The first field instead of a named one: a text sink's one field.
pub fn first_field_text<T: Serialize + ?Sized>(record: &T) -> Result<Option<String>, String> {
    let mut capture = Capture { name: "", found: None };
    record.serialize(&mut capture).map_err(|e| e.to_string())?;
    Ok(capture.found.flatten())
}

struct Capture<'n> {
    /// The field wanted; empty: the first one.
    name: &'n str,
    /// Some(value) once the field was seen.
    found: Option<Option<String>>,
}

fn not_a_record<T>() -> Result<T, NotAField> {
    Err(NotAField("a record was expected".into()))
}

impl Serializer for &mut Capture<'_> {
    type Ok = ();
    type Error = NotAField;
    type SerializeSeq = Impossible<(), NotAField>;
    type SerializeTuple = Impossible<(), NotAField>;
    type SerializeTupleStruct = Impossible<(), NotAField>;
    type SerializeTupleVariant = Impossible<(), NotAField>;
    type SerializeMap = Impossible<(), NotAField>;
    type SerializeStruct = Self;
    type SerializeStructVariant = Impossible<(), NotAField>;

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, NotAField> {
        Ok(self)
    }
    fn serialize_bool(self, _: bool) -> Result<(), NotAField> {
        not_a_record()
    }
    fn serialize_i64(self, _: i64) -> Result<(), NotAField> {
        not_a_record()
    }
    fn serialize_u64(self, _: u64) -> Result<(), NotAField> {
        not_a_record()
    }
    fn serialize_f64(self, _: f64) -> Result<(), NotAField> {
        not_a_record()
    }
    fn serialize_i8(self, _: i8) -> Result<(), NotAField> {
        not_a_record()
    }
    fn serialize_i16(self, _: i16) -> Result<(), NotAField> {
        not_a_record()
    }
    fn serialize_i32(self, _: i32) -> Result<(), NotAField> {
        not_a_record()
    }
    fn serialize_u8(self, _: u8) -> Result<(), NotAField> {
        not_a_record()
    }
    fn serialize_u16(self, _: u16) -> Result<(), NotAField> {
        not_a_record()
    }
    fn serialize_u32(self, _: u32) -> Result<(), NotAField> {
        not_a_record()
    }
    fn serialize_f32(self, _: f32) -> Result<(), NotAField> {
        not_a_record()
    }
    fn serialize_char(self, _: char) -> Result<(), NotAField> {
        not_a_record()
    }
    fn serialize_str(self, _: &str) -> Result<(), NotAField> {
        not_a_record()
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), NotAField> {
        not_a_record()
    }
    fn serialize_none(self) -> Result<(), NotAField> {
        not_a_record()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<(), NotAField> {
        not_a_record()
    }
    fn serialize_unit(self) -> Result<(), NotAField> {
        not_a_record()
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), NotAField> {
        not_a_record()
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> Result<(), NotAField> {
        not_a_record()
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> Result<(), NotAField> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), NotAField> {
        not_a_record()
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, NotAField> {
        not_a_record()
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, NotAField> {
        not_a_record()
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeTupleStruct, NotAField> {
        not_a_record()
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, NotAField> {
        not_a_record()
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, NotAField> {
        not_a_record()
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, NotAField> {
        not_a_record()
    }
}

impl SerializeStruct for &mut Capture<'_> {
    type Ok = ();
    type Error = NotAField;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), NotAField> {
        let wanted = if self.name.is_empty() { self.found.is_none() } else { key == self.name };
        if wanted && self.found.is_none() {
            // Scalars are rare enough here that going through a JSON value costs little;
            // strings (the common key) are taken without quotes.
            let value = serde_json::to_value(value).map_err(|e| NotAField(e.to_string()))?;
            self.found = Some(match value {
                serde_json::Value::Null => None,
                serde_json::Value::String(s) => Some(s),
                other => Some(other.to_string()),
            });
        }
        Ok(())
    }
    fn end(self) -> Result<(), NotAField> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize)]
    struct Row<'a> {
        url: std::borrow::Cow<'a, str>,
        n: i64,
        note: Option<String>,
        ts: crate::time::Timestamp,
    }

    #[test]
    fn reads_one_field_as_text() {
        let row = Row { url: "/a".into(), n: 3, note: None, ts: crate::time::Timestamp(0) };
        assert_eq!(field_text(&row, "url").unwrap().as_deref(), Some("/a"));
        assert_eq!(field_text(&row, "n").unwrap().as_deref(), Some("3"));
        assert_eq!(field_text(&row, "note").unwrap(), None);
        assert_eq!(field_text(&row, "ts").unwrap().as_deref(), Some("1970-01-01T00:00:00.000Z"));
        assert_eq!(field_text(&row, "missing").unwrap(), None);
        assert_eq!(first_field_text(&row).unwrap().as_deref(), Some("/a"));
        assert!(field_text(&5i64, "x").is_err());
    }
}
