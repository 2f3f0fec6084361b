//! The record type of a sink, as data: what a Parquet file's columns and a
//! PostgreSQL table's columns are made from. Generated code declares one
//! `&'static [Column]` per sink.

use serde::ser::{self, Serialize, Serializer};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ColumnType {
    Int,
    Float,
    Bool,
    String,
    /// Milliseconds since the epoch, UTC.
    Timestamp,
    /// Milliseconds.
    Duration,
    List(&'static ColumnType),
    Record(&'static [Column]),
    Optional(&'static ColumnType),
}

impl ColumnType {
    /// The type without its optional wrapper, and whether it had one.
    pub fn required(&self) -> (&ColumnType, bool) {
        match self {
            ColumnType::Optional(inner) => (inner, true),
            other => (other, false),
        }
    }
}

impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ColumnType::Int => f.write_str("int"),
            ColumnType::Float => f.write_str("float"),
            ColumnType::Bool => f.write_str("bool"),
            ColumnType::String => f.write_str("string"),
            ColumnType::Timestamp => f.write_str("timestamp"),
            ColumnType::Duration => f.write_str("duration"),
            ColumnType::List(inner) => write!(f, "list<{inner}>"),
            ColumnType::Record(_) => f.write_str("record"),
            ColumnType::Optional(inner) => write!(f, "{inner}?"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Column {
    pub name: &'static str,
    pub ty: ColumnType,
}

/// One value of a record, captured from its `Serialize` impl (timestamps and
/// durations as their milliseconds), for sinks that write typed columns.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
    List(Vec<Cell>),
    Record(Vec<Cell>),
}

/// The top-level fields of `record`, in order.
pub fn cells<T: Serialize + ?Sized>(record: &T) -> Result<Vec<Cell>, String> {
    match record.serialize(CellSerializer).map_err(|e| e.0)? {
        Cell::Record(fields) => Ok(fields),
        _ => Err("a record was expected".to_string()),
    }
}

/// A record that cannot become cells (the same message-only error as field capture's).
use crate::io::field::NotAField as CellError;

struct CellSerializer;

pub struct CellSeq(Vec<Cell>);

impl ser::SerializeSeq for CellSeq {
    type Ok = Cell;
    type Error = CellError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), CellError> {
        self.0.push(value.serialize(CellSerializer)?);
        Ok(())
    }
    fn end(self) -> Result<Cell, CellError> {
        Ok(Cell::List(self.0))
    }
}

impl ser::SerializeTuple for CellSeq {
    type Ok = Cell;
    type Error = CellError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), CellError> {
        self.0.push(value.serialize(CellSerializer)?);
        Ok(())
    }
    fn end(self) -> Result<Cell, CellError> {
        Ok(Cell::List(self.0))
    }
}

impl ser::SerializeStruct for CellSeq {
    type Ok = Cell;
    type Error = CellError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, _: &'static str, value: &T) -> Result<(), CellError> {
        self.0.push(value.serialize(CellSerializer)?);
        Ok(())
    }
    fn end(self) -> Result<Cell, CellError> {
        Ok(Cell::Record(self.0))
    }
}

fn unsupported<T>(what: &str) -> Result<T, CellError> {
    Err(CellError(format!("a {what} cannot be written to a typed column")))
}

impl Serializer for CellSerializer {
    type Ok = Cell;
    type Error = CellError;
    type SerializeSeq = CellSeq;
    type SerializeTuple = CellSeq;
    type SerializeTupleStruct = ser::Impossible<Cell, CellError>;
    type SerializeTupleVariant = ser::Impossible<Cell, CellError>;
    type SerializeMap = ser::Impossible<Cell, CellError>;
    type SerializeStruct = CellSeq;
    type SerializeStructVariant = ser::Impossible<Cell, CellError>;

    // Timestamps then serialize as their milliseconds, not RFC 3339 text.
    fn is_human_readable(&self) -> bool {
        false
    }
    fn serialize_bool(self, v: bool) -> Result<Cell, CellError> {
        Ok(Cell::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Cell, CellError> {
        Ok(Cell::Int(v.into()))
    }
    fn serialize_i16(self, v: i16) -> Result<Cell, CellError> {
        Ok(Cell::Int(v.into()))
    }
    fn serialize_i32(self, v: i32) -> Result<Cell, CellError> {
        Ok(Cell::Int(v.into()))
    }
    fn serialize_i64(self, v: i64) -> Result<Cell, CellError> {
        Ok(Cell::Int(v))
    }
    fn serialize_u8(self, v: u8) -> Result<Cell, CellError> {
        Ok(Cell::Int(v.into()))
    }
    fn serialize_u16(self, v: u16) -> Result<Cell, CellError> {
        Ok(Cell::Int(v.into()))
    }
    fn serialize_u32(self, v: u32) -> Result<Cell, CellError> {
        Ok(Cell::Int(v.into()))
    }
    fn serialize_u64(self, v: u64) -> Result<Cell, CellError> {
        i64::try_from(v).map(Cell::Int).map_err(|_| CellError(format!("{v} does not fit an int")))
    }
    fn serialize_f32(self, v: f32) -> Result<Cell, CellError> {
        Ok(Cell::Float(v.into()))
    }
    fn serialize_f64(self, v: f64) -> Result<Cell, CellError> {
        Ok(Cell::Float(v))
    }
    fn serialize_char(self, v: char) -> Result<Cell, CellError> {
        Ok(Cell::Str(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<Cell, CellError> {
        Ok(Cell::Str(v.to_string()))
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<Cell, CellError> {
        unsupported("byte string")
    }
    fn serialize_none(self) -> Result<Cell, CellError> {
        Ok(Cell::Null)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Cell, CellError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Cell, CellError> {
        Ok(Cell::Null)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<Cell, CellError> {
        Ok(Cell::Null)
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<Cell, CellError> {
        Ok(Cell::Str(variant.to_string()))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> Result<Cell, CellError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Cell, CellError> {
        unsupported("enum")
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<CellSeq, CellError> {
        Ok(CellSeq(Vec::with_capacity(len.unwrap_or(0))))
    }
    fn serialize_tuple(self, len: usize) -> Result<CellSeq, CellError> {
        Ok(CellSeq(Vec::with_capacity(len)))
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<ser::Impossible<Cell, CellError>, CellError> {
        unsupported("tuple struct")
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<ser::Impossible<Cell, CellError>, CellError> {
        unsupported("enum")
    }
    fn serialize_map(self, _: Option<usize>) -> Result<ser::Impossible<Cell, CellError>, CellError> {
        unsupported("map")
    }
    fn serialize_struct(self, _: &'static str, len: usize) -> Result<CellSeq, CellError> {
        Ok(CellSeq(Vec::with_capacity(len)))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<ser::Impossible<Cell, CellError>, CellError> {
        unsupported("enum")
    }
}

/// A cell as JSON, with timestamps as RFC 3339 text (as JSON sinks write them).
pub fn cell_json(ty: &ColumnType, cell: &Cell) -> serde_json::Value {
    use serde_json::Value;
    let (ty, _) = ty.required();
    match (ty, cell) {
        (_, Cell::Null) => Value::Null,
        (ColumnType::Timestamp, Cell::Int(ms)) => Value::String(crate::time::Timestamp(*ms).to_string()),
        (_, Cell::Int(v)) => Value::from(*v),
        (_, Cell::Float(v)) => serde_json::Number::from_f64(*v).map_or(Value::Null, Value::Number),
        (_, Cell::Bool(v)) => Value::Bool(*v),
        (_, Cell::Str(s)) => Value::String(s.clone()),
        (ColumnType::List(inner), Cell::List(items)) => {
            Value::Array(items.iter().map(|c| cell_json(inner, c)).collect())
        }
        (ColumnType::Record(fields), Cell::Record(cells)) => {
            Value::Object(fields.iter().zip(cells).map(|(f, c)| (f.name.to_string(), cell_json(&f.ty, c))).collect())
        }
        (_, Cell::List(items)) => Value::Array(items.iter().map(|c| cell_json(&ColumnType::String, c)).collect()),
        (_, Cell::Record(cells)) => Value::Array(cells.iter().map(|c| cell_json(&ColumnType::String, c)).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize)]
    struct Inner {
        a: i64,
    }

    #[derive(serde::Serialize)]
    struct Row<'a> {
        url: std::borrow::Cow<'a, str>,
        ts: crate::time::Timestamp,
        n: Option<i64>,
        tags: Vec<String>,
        inner: Inner,
    }

    #[test]
    fn timestamps_are_captured_as_milliseconds() {
        let row = Row {
            url: "/a".into(),
            ts: crate::time::Timestamp(1_700_000_000_123),
            n: None,
            tags: vec!["x".into()],
            inner: Inner { a: 7 },
        };
        assert_eq!(
            cells(&row).unwrap(),
            vec![
                Cell::Str("/a".into()),
                Cell::Int(1_700_000_000_123),
                Cell::Null,
                Cell::List(vec![Cell::Str("x".into())]),
                Cell::Record(vec![Cell::Int(7)]),
            ]
        );
    }
}
