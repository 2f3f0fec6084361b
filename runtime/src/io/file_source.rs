//! File sources: JSON lines, CSV (with a header row) and text, read one record
//! at a time. A file is one partition; blank lines are skipped (JSON and CSV).

use super::decode::{Format, Payload, RawRecord};
use std::fs::File;
use std::io::{BufRead, BufReader};

pub struct FileSource {
    path: String,
    format: Format,
    lines: Option<BufReader<File>>,
    csv: Option<csv::Reader<File>>,
    headers: csv::ByteRecord,
    line: Vec<u8>,
    row: csv::ByteRecord,
    line_number: i64,
    done: bool,
}

impl FileSource {
    pub fn open(path: &str, format: Format) -> Result<FileSource, String> {
        let file = File::open(path).map_err(|e| format!("cannot open `{path}`: {e}"))?;
        let mut source = FileSource {
            path: path.to_string(),
            format,
            lines: None,
            csv: None,
            headers: csv::ByteRecord::new(),
            line: Vec::with_capacity(256),
            row: csv::ByteRecord::new(),
            line_number: 0,
            done: false,
        };
        match format {
            Format::Csv => {
                let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(file);
                source.headers =
                    reader.byte_headers().map_err(|e| format!("cannot read the CSV header of `{path}`: {e}"))?.clone();
                source.line_number = 1;
                source.csv = Some(reader);
            }
            Format::Parquet => {
                return Err(format!(
                    "`{path}`: reading Parquet files is not supported (sources read json, csv or text)"
                ))
            }
            _ => source.lines = Some(BufReader::with_capacity(1 << 16, file)),
        }
        Ok(source)
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The next record, or None at the end of the file. I/O errors are fatal.
    pub fn next_record(&mut self) -> Result<Option<RawRecord<'_>>, String> {
        if self.done {
            return Ok(None);
        }
        if let Some(reader) = &mut self.csv {
            loop {
                let more =
                    reader.read_byte_record(&mut self.row).map_err(|e| format!("reading `{}`: {e}", self.path))?;
                if !more {
                    self.done = true;
                    return Ok(None);
                }
                self.line_number = self.row.position().map_or(self.line_number + 1, |p| p.line() as i64);
                if self.row.len() == 1 && self.row[0].is_empty() {
                    continue;
                }
                return Ok(Some(RawRecord {
                    payload: Payload::Csv { row: &self.row, headers: &self.headers },
                    topic: &self.path,
                    partition: 0,
                    offset: self.line_number,
                }));
            }
        }
        let reader = self.lines.as_mut().expect("a line reader for json and text");
        loop {
            self.line.clear();
            let read = reader.read_until(b'\n', &mut self.line).map_err(|e| format!("reading `{}`: {e}", self.path))?;
            if read == 0 {
                self.done = true;
                return Ok(None);
            }
            self.line_number += 1;
            while matches!(self.line.last(), Some(b'\n' | b'\r')) {
                self.line.pop();
            }
            match self.format {
                Format::Text => {
                    return Ok(Some(RawRecord {
                        payload: Payload::Text(&self.line),
                        topic: &self.path,
                        partition: 0,
                        offset: self.line_number,
                    }))
                }
                _ => {
                    if self.line.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    return Ok(Some(RawRecord {
                        payload: Payload::Json(&self.line),
                        topic: &self.path,
                        partition: 0,
                        offset: self.line_number,
                    }));
                }
            }
        }
    }
}
