//! File sources: JSON lines, CSV (with a header row) and text, read one record
//! at a time. A file is one partition; blank lines are skipped (JSON and CSV).

use super::decode::{Format, Payload, RawRecord};
use std::fs::File;
use std::io::Read;

/// Lines straight out of a large read buffer: no copy per line (the buffer is
/// refilled and compacted only when a line crosses its end).
struct LineReader {
    file: File,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
}

impl LineReader {
    fn new(file: File) -> Self {
        LineReader { file, buf: vec![0; 1 << 16], start: 0, end: 0, eof: false }
    }

    /// The byte range in `buf` of the next line without its `\n` (or of the
    /// last, unterminated one), or None at the end. Valid until the next call.
    fn next_line(&mut self) -> std::io::Result<Option<(usize, usize)>> {
        let (from, to) = loop {
            if let Some(at) = memchr::memchr(b'\n', &self.buf[self.start..self.end]) {
                let line = (self.start, self.start + at);
                self.start += at + 1;
                break line;
            }
            if self.eof {
                if self.start < self.end {
                    let line = (self.start, self.end);
                    self.start = self.end;
                    break line;
                }
                return Ok(None);
            }
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            if self.end == self.buf.len() {
                self.buf.resize(self.buf.len() * 2, 0);
            }
            let read = self.file.read(&mut self.buf[self.end..])?;
            if read == 0 {
                self.eof = true;
            } else {
                self.end += read;
            }
        };
        Ok(Some((from, to)))
    }
}

pub struct FileSource {
    path: String,
    format: Format,
    lines: Option<LineReader>,
    csv: Option<csv::Reader<File>>,
    headers: csv::ByteRecord,
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
            _ => source.lines = Some(LineReader::new(file)),
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
                    payload: Payload::Csv { row: &self.row, headers: &self.headers, message: None },
                    topic: &self.path,
                    partition: 0,
                    offset: self.line_number,
                }));
            }
        }
        let Some(reader) = self.lines.as_mut() else {
            self.done = true;
            return Ok(None);
        };
        let text = self.format == Format::Text;
        let (from, to) = loop {
            let Some((from, mut to)) = reader.next_line().map_err(|e| format!("reading `{}`: {e}", self.path))? else {
                self.done = true;
                return Ok(None);
            };
            self.line_number += 1;
            while to > from && reader.buf[to - 1] == b'\r' {
                to -= 1;
            }
            if text || !reader.buf[from..to].iter().all(u8::is_ascii_whitespace) {
                break (from, to);
            }
        };
        let line = &reader.buf[from..to];
        let payload = if text { Payload::Text(line) } else { Payload::Json(line) };
        Ok(Some(RawRecord { payload, topic: &self.path, partition: 0, offset: self.line_number }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn lines_of(content: &[u8], format: Format) -> Vec<(i64, Vec<u8>)> {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(content).unwrap();
        let mut source = FileSource::open(file.path().to_str().unwrap(), format).unwrap();
        let mut out = Vec::new();
        while let Some(raw) = source.next_record().unwrap() {
            let bytes = match raw.payload {
                Payload::Json(b) | Payload::Text(b) => b.to_vec(),
                Payload::Csv { .. } => Vec::new(),
            };
            out.push((raw.offset, bytes));
        }
        out
    }

    #[test]
    fn lines_cross_buffer_ends_and_keep_their_numbers() {
        let long = "x".repeat(200_000);
        let content = format!("{{\"a\":1}}\r\n\n  \n{{\"b\":\"{long}\"}}\n{{\"c\":3}}");
        let lines = lines_of(content.as_bytes(), Format::Json);
        assert_eq!(lines.len(), 3, "blank lines are skipped");
        assert_eq!(lines[0], (1, b"{\"a\":1}".to_vec()), "CR removed");
        assert_eq!(lines[1].0, 4);
        assert_eq!(lines[1].1.len(), long.len() + 8);
        assert_eq!(lines[2], (5, b"{\"c\":3}".to_vec()), "last line without newline");
        let text = lines_of(b"one\n\ntwo\n", Format::Text);
        assert_eq!(text, vec![(1, b"one".to_vec()), (2, b"".to_vec()), (3, b"two".to_vec())], "text keeps blank lines");
        // Many short lines across several buffer refills.
        let many: String = (0..50_000).map(|i| format!("{{\"i\":{i}}}\n")).collect();
        let lines = lines_of(many.as_bytes(), Format::Json);
        assert_eq!(lines.len(), 50_000);
        assert_eq!(lines[49_999].1, b"{\"i\":49999}".to_vec());
    }
}
