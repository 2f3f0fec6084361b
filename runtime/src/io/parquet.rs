//! Parquet files with typed columns from the sink's record type: `int` as
//! INT64, `float` as DOUBLE, `bool` as BOOLEAN, `string` as UTF-8 BYTE_ARRAY,
//! `timestamp` as INT64 TIMESTAMP(MILLIS, UTC), `duration` as INT64
//! milliseconds, optionals as OPTIONAL columns, lists as three-level LIST
//! groups and records as groups. Records are shredded into columns here
//! (definition and repetition levels) and written through the parquet crate's
//! column writers, without Arrow.

use crate::schema::{cells, Cell, Column, ColumnType};
use parquet::basic::Compression;
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use serde::Serialize;
use std::fs::File;
use std::io::BufWriter;
use std::sync::Arc;

/// Rows buffered before they are written as one row group.
const ROW_GROUP_ROWS: usize = 64 * 1024;
/// Bytes of buffered values before a row group is written early.
const ROW_GROUP_BYTES: usize = 32 << 20;

enum Values {
    I64(Vec<i64>),
    F64(Vec<f64>),
    Bool(Vec<bool>),
    Bytes(Vec<ByteArray>),
}

struct Leaf {
    values: Values,
    def: Vec<i16>,
    rep: Vec<i16>,
    max_def: i16,
    max_rep: i16,
}

impl Leaf {
    fn null(&mut self, def: i16, rep: i16) {
        self.def.push(def);
        self.rep.push(rep);
    }
}

/// One open Parquet file: its writer and the rows of the row group being built.
pub struct ParquetFile {
    columns: &'static [Column],
    writer: SerializedFileWriter<BufWriter<File>>,
    leaves: Vec<Leaf>,
    rows: usize,
    buffered: usize,
}

/// The Parquet schema of a record type, as the parquet crate's message text.
pub fn schema_text(columns: &[Column]) -> String {
    fn field(name: &str, ty: &ColumnType, out: &mut String) {
        let (ty, optional) = ty.required();
        let repetition = if optional { "optional" } else { "required" };
        match ty {
            ColumnType::Int | ColumnType::Duration => out.push_str(&format!("{repetition} int64 {name};")),
            ColumnType::Float => out.push_str(&format!("{repetition} double {name};")),
            ColumnType::Bool => out.push_str(&format!("{repetition} boolean {name};")),
            ColumnType::String => out.push_str(&format!("{repetition} binary {name} (STRING);")),
            ColumnType::Timestamp => out.push_str(&format!("{repetition} int64 {name} (TIMESTAMP(MILLIS,true));")),
            ColumnType::List(element) => {
                out.push_str(&format!("{repetition} group {name} (LIST) {{ repeated group list {{ "));
                field("element", element, out);
                out.push_str(" } }");
            }
            ColumnType::Record(fields) => {
                out.push_str(&format!("{repetition} group {name} {{ "));
                for f in fields.iter() {
                    field(f.name, &f.ty, out);
                    out.push(' ');
                }
                out.push('}');
            }
            // `required()` removed the one wrapper a type can have.
            ColumnType::Optional(inner) => field(name, inner, out),
        }
    }
    let mut out = String::from("message record { ");
    for column in columns {
        field(column.name, &column.ty, &mut out);
        out.push(' ');
    }
    out.push('}');
    out
}

fn leaves_of(ty: &ColumnType, def: i16, rep: i16, out: &mut Vec<Leaf>) {
    let (ty, optional) = ty.required();
    let def = def + i16::from(optional);
    let values = match ty {
        ColumnType::Int | ColumnType::Duration | ColumnType::Timestamp => Values::I64(Vec::new()),
        ColumnType::Float => Values::F64(Vec::new()),
        ColumnType::Bool => Values::Bool(Vec::new()),
        ColumnType::String => Values::Bytes(Vec::new()),
        // The repeated `list` group adds a definition and a repetition level.
        ColumnType::List(element) => return leaves_of(element, def + 1, rep + 1, out),
        ColumnType::Record(fields) => {
            for f in fields.iter() {
                leaves_of(&f.ty, def, rep, out);
            }
            return;
        }
        ColumnType::Optional(inner) => return leaves_of(inner, def, rep, out),
    };
    out.push(Leaf { values, def: Vec::new(), rep: Vec::new(), max_def: def, max_rep: rep });
}

fn leaf_count(ty: &ColumnType) -> usize {
    match ty.required().0 {
        ColumnType::List(element) => leaf_count(element),
        ColumnType::Record(fields) => fields.iter().map(|f| leaf_count(&f.ty)).sum(),
        _ => 1,
    }
}

impl ParquetFile {
    pub fn create(path: &std::path::Path, columns: &'static [Column]) -> Result<ParquetFile, String> {
        let schema = parquet::schema::parser::parse_message_type(&schema_text(columns))
            .map_err(|e| format!("cannot make a Parquet schema of the record: {e}"))?;
        let file = File::create(path).map_err(|e| format!("cannot create `{}`: {e}", path.display()))?;
        let properties = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_created_by(format!("sluice {}", env!("CARGO_PKG_VERSION")))
            .build();
        let writer =
            SerializedFileWriter::new(BufWriter::with_capacity(1 << 16, file), Arc::new(schema), Arc::new(properties))
                .map_err(|e| format!("cannot start `{}`: {e}", path.display()))?;
        let mut leaves = Vec::new();
        for column in columns {
            leaves_of(&column.ty, 0, 0, &mut leaves);
        }
        Ok(ParquetFile { columns, writer, leaves, rows: 0, buffered: 0 })
    }

    /// Adds one record; a row group is written once enough are buffered.
    pub fn write<T: Serialize + ?Sized>(&mut self, record: &T) -> Result<(), String> {
        let row = cells(record)?;
        if row.len() != self.columns.len() {
            return Err(format!("a record of {} fields for {} columns", row.len(), self.columns.len()));
        }
        let mut leaf = 0;
        for (column, cell) in self.columns.iter().zip(&row) {
            self.shred(&column.ty, cell, 0, 0, 0, &mut leaf)?;
        }
        self.rows += 1;
        // A row group is also written early enough for the file to roll near its size.
        let limit = ROW_GROUP_BYTES.min(super::sink::roll_bytes() / 4).max(1);
        if self.rows >= ROW_GROUP_ROWS || self.buffered >= limit {
            self.write_row_group()?;
        }
        Ok(())
    }

    /// Bytes in the file so far (written row groups only).
    pub fn bytes_written(&self) -> usize {
        self.writer.bytes_written()
    }

    /// Writes what is buffered and the footer; the file is complete (not yet synced).
    pub fn finish(mut self) -> Result<(), String> {
        self.write_row_group()?;
        let out = self.writer.into_inner().map_err(|e| format!("cannot finish the Parquet file: {e}"))?;
        out.into_inner().map_err(|e| format!("cannot finish the Parquet file: {}", e.error()))?;
        Ok(())
    }

    /// Shreds one value into its leaf columns (Dremel): `def` and `rep` are
    /// the levels of the enclosing value, `depth` its repetition depth.
    fn shred(
        &mut self,
        ty: &ColumnType,
        cell: &Cell,
        def: i16,
        rep: i16,
        depth: i16,
        leaf: &mut usize,
    ) -> Result<(), String> {
        let (inner, optional) = ty.required();
        if matches!(cell, Cell::Null) {
            if !optional {
                return Err(format!("null in a non-optional `{ty}` column"));
            }
            let n = leaf_count(inner);
            for l in &mut self.leaves[*leaf..*leaf + n] {
                l.null(def, rep);
            }
            *leaf += n;
            return Ok(());
        }
        let def = def + i16::from(optional);
        match (inner, cell) {
            (ColumnType::Record(fields), Cell::Record(cells)) if fields.len() == cells.len() => {
                for (f, c) in fields.iter().zip(cells) {
                    self.shred(&f.ty, c, def, rep, depth, leaf)?;
                }
            }
            (ColumnType::List(element), Cell::List(items)) => {
                let n = leaf_count(element);
                if items.is_empty() {
                    for l in &mut self.leaves[*leaf..*leaf + n] {
                        l.null(def, rep);
                    }
                    *leaf += n;
                    return Ok(());
                }
                let start = *leaf;
                for (i, item) in items.iter().enumerate() {
                    *leaf = start;
                    let rep = if i == 0 { rep } else { depth + 1 };
                    self.shred(element, item, def + 1, rep, depth + 1, leaf)?;
                }
            }
            (scalar, cell) => {
                let l = &mut self.leaves[*leaf];
                match (&mut l.values, cell) {
                    (Values::I64(v), Cell::Int(x)) => v.push(*x),
                    (Values::F64(v), Cell::Float(x)) => v.push(*x),
                    (Values::F64(v), Cell::Int(x)) => v.push(*x as f64),
                    (Values::Bool(v), Cell::Bool(x)) => v.push(*x),
                    (Values::Bytes(v), Cell::Str(s)) => {
                        self.buffered += s.len();
                        v.push(ByteArray::from(s.as_bytes().to_vec()));
                    }
                    _ => return Err(format!("a value {cell:?} does not fit a `{scalar}` column")),
                }
                self.buffered += 8;
                l.def.push(def);
                l.rep.push(rep);
                *leaf += 1;
            }
        }
        Ok(())
    }

    fn write_row_group(&mut self) -> Result<(), String> {
        if self.rows == 0 {
            return Ok(());
        }
        let fail = |e: parquet::errors::ParquetError| format!("cannot write a Parquet row group: {e}");
        let mut group = self.writer.next_row_group().map_err(fail)?;
        for leaf in &mut self.leaves {
            let mut column =
                group.next_column().map_err(fail)?.ok_or("internal error: fewer Parquet columns than leaves")?;
            let def = (leaf.max_def > 0).then_some(leaf.def.as_slice());
            let rep = (leaf.max_rep > 0).then_some(leaf.rep.as_slice());
            match &mut leaf.values {
                Values::I64(v) => column.typed::<Int64Type>().write_batch(v, def, rep),
                Values::F64(v) => column.typed::<DoubleType>().write_batch(v, def, rep),
                Values::Bool(v) => column.typed::<BoolType>().write_batch(v, def, rep),
                Values::Bytes(v) => column.typed::<ByteArrayType>().write_batch(v, def, rep),
            }
            .map_err(fail)?;
            column.close().map_err(fail)?;
            match &mut leaf.values {
                Values::I64(v) => v.clear(),
                Values::F64(v) => v.clear(),
                Values::Bool(v) => v.clear(),
                Values::Bytes(v) => v.clear(),
            }
            leaf.def.clear();
            leaf.rep.clear();
        }
        group.close().map_err(fail)?;
        self.rows = 0;
        self.buffered = 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parquet::file::reader::{FileReader, SerializedFileReader};

    static POINT: [Column; 2] = [
        Column { name: "x", ty: ColumnType::Int },
        Column { name: "label", ty: ColumnType::Optional(&ColumnType::String) },
    ];
    static COLUMNS: [Column; 5] = [
        Column { name: "url", ty: ColumnType::String },
        Column { name: "ts", ty: ColumnType::Timestamp },
        Column { name: "n", ty: ColumnType::Optional(&ColumnType::Float) },
        Column { name: "tags", ty: ColumnType::Optional(&ColumnType::List(&ColumnType::String)) },
        Column { name: "points", ty: ColumnType::List(&ColumnType::Record(&POINT)) },
    ];

    #[derive(serde::Serialize)]
    struct Point {
        x: i64,
        label: Option<String>,
    }
    #[derive(serde::Serialize)]
    struct Row {
        url: String,
        ts: crate::time::Timestamp,
        n: Option<f64>,
        tags: Option<Vec<String>>,
        points: Vec<Point>,
    }

    static MATRIX: [Column; 1] = [Column {
        name: "m",
        ty: ColumnType::Optional(&ColumnType::List(&ColumnType::List(&ColumnType::Optional(&ColumnType::Int)))),
    }];

    #[derive(serde::Serialize)]
    struct Matrix {
        m: Option<Vec<Vec<Option<i64>>>>,
    }

    #[test]
    fn lists_of_lists_of_optionals_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.parquet");
        let mut file = ParquetFile::create(&path, &MATRIX).unwrap();
        let rows = [
            Matrix { m: Some(vec![vec![Some(1), None], vec![], vec![Some(3)]]) },
            Matrix { m: None },
            Matrix { m: Some(vec![]) },
            Matrix { m: Some(vec![vec![None]]) },
        ];
        for row in &rows {
            file.write(row).unwrap();
        }
        file.finish().unwrap();
        let reader = SerializedFileReader::new(File::open(&path).unwrap()).unwrap();
        let text: Vec<String> = reader.get_row_iter(None).unwrap().map(|r| r.unwrap().to_string()).collect();
        assert_eq!(text, ["{m: [[1, null], [], [3]]}", "{m: null}", "{m: []}", "{m: [[null]]}"]);
    }

    #[test]
    fn nested_records_read_back_with_the_parquet_reader() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        let mut file = ParquetFile::create(&path, &COLUMNS).unwrap();
        let rows = [
            Row {
                url: "/a".into(),
                ts: crate::time::Timestamp(1_000),
                n: Some(1.5),
                tags: Some(vec!["x".into(), "y".into()]),
                points: vec![Point { x: 1, label: None }, Point { x: 2, label: Some("b".into()) }],
            },
            Row { url: "/b".into(), ts: crate::time::Timestamp(2_000), n: None, tags: None, points: vec![] },
            Row { url: "/c".into(), ts: crate::time::Timestamp(3_000), n: None, tags: Some(vec![]), points: vec![] },
        ];
        for row in &rows {
            file.write(row).unwrap();
        }
        file.finish().unwrap();
        let reader = SerializedFileReader::new(File::open(&path).unwrap()).unwrap();
        let text: Vec<String> = reader.get_row_iter(None).unwrap().map(|r| r.unwrap().to_string()).collect();
        assert_eq!(text.len(), 3);
        assert!(text[0].contains(r#"url: "/a""#) && text[0].contains("tags: [\"x\", \"y\"]"), "{}", text[0]);
        assert!(text[0].contains(r#"points: [{x: 1, label: null}, {x: 2, label: "b"}]"#), "{}", text[0]);
        assert!(
            text[1].contains("n: null") && text[1].contains("tags: null") && text[1].contains("points: []"),
            "{}",
            text[1]
        );
        assert!(text[2].contains("tags: []"), "{}", text[2]);
    }
}
