//! Sinks: JSON lines or CSV, to a file or stdout. A file is written under a
//! temporary name and renamed into place when the run ends, so a reader never
//! sees a partial file.

use super::decode::Format;
use crate::fault::Error;
use crate::kafka::KafkaOutput;
use serde::Serialize;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where a sink writes.
#[derive(Clone)]
pub enum SinkTarget {
    /// One file (an `--output` swap).
    File(String),
    /// A file sink's directory: each run adds one file, moved into place when complete.
    Dir(String),
    /// A file sink's directory in a checkpointed run: one file per epoch,
    /// `part-<lineage>-<epoch>`, moved into place when the epoch commits.
    EpochDir {
        dir: String,
        lineage: String,
        epoch: u64,
    },
    Stdout,
    /// A Kafka topic, through the run's shared producers.
    Kafka {
        topic: String,
        key: Option<&'static str>,
        exactly_once: bool,
        output: Arc<KafkaOutput>,
    },
}

/// One message per record: payload encoded as the sink's format, key from the `key` field.
struct KafkaEncoder {
    topic: String,
    key: Option<&'static str>,
    exactly_once: bool,
    output: Arc<KafkaOutput>,
    format: Format,
}

enum Encoder {
    Kafka(KafkaEncoder),
    /// Records kept in memory, as JSON values (`stream!` programs under test).
    Memory(Vec<serde_json::Value>),
    Json(BufWriter<Box<dyn Write>>),
    Csv(Box<csv::Writer<Box<dyn Write>>>),
}

pub struct RecordSink<T> {
    name: &'static str,
    encoder: Encoder,
    /// (temporary, final) paths of a file sink.
    rename: Option<(PathBuf, PathBuf)>,
    /// An epoch-named file sink: (directory, lineage, format) and the records in its current file.
    epochs: Option<(PathBuf, String, Format)>,
    in_file: u64,
    written: u64,
    line: Vec<u8>,
    _records: std::marker::PhantomData<fn(&T)>,
}

impl<T: Serialize> RecordSink<T> {
    pub fn open(name: &'static str, target: &SinkTarget, format: Format) -> Result<Self, String> {
        if let SinkTarget::Kafka { topic, key, exactly_once, output } = target {
            if format == Format::Parquet {
                return Err(format!("sink `{name}`: a Kafka sink writes json, csv or text"));
            }
            return Ok(RecordSink {
                name,
                encoder: Encoder::Kafka(KafkaEncoder {
                    topic: topic.clone(),
                    key: *key,
                    exactly_once: *exactly_once,
                    output: Arc::clone(output),
                    format,
                }),
                rename: None,
                epochs: None,
                in_file: 0,
                written: 0,
                line: Vec::with_capacity(256),
                _records: std::marker::PhantomData,
            });
        }
        let path = match target {
            SinkTarget::Kafka { .. } => None,
            SinkTarget::Stdout => None,
            SinkTarget::File(path) => Some(PathBuf::from(path)),
            SinkTarget::Dir(dir) => {
                let extension = if format == Format::Csv { "csv" } else { "jsonl" };
                let started = crate::time::Timestamp::now().0;
                Some(PathBuf::from(dir).join(format!("part-{started}-{}.{extension}", std::process::id())))
            }
            SinkTarget::EpochDir { dir, lineage, epoch } => Some(epoch_file(Path::new(dir), lineage, *epoch, format)),
        };
        let (encoder, rename) = Self::encoder(name, path, format)?;
        Ok(RecordSink {
            name,
            encoder,
            rename,
            epochs: match target {
                SinkTarget::EpochDir { dir, lineage, .. } => Some((PathBuf::from(dir), lineage.clone(), format)),
                _ => None,
            },
            in_file: 0,
            written: 0,
            line: Vec::with_capacity(256),
            _records: std::marker::PhantomData,
        })
    }

    /// The encoder of a file (under a temporary name when it is moved into place later) or stdout.
    fn encoder(
        name: &str,
        path: Option<PathBuf>,
        format: Format,
    ) -> Result<(Encoder, Option<(PathBuf, PathBuf)>), String> {
        let (writer, rename): (Box<dyn Write>, _) = match path {
            None => (Box::new(std::io::stdout()), None),
            // A device or a pipe (`/dev/null`, a FIFO) is written directly: it cannot be replaced.
            Some(path) if path.exists() && !path.is_file() && !path.is_dir() => {
                let file = std::fs::OpenOptions::new()
                    .write(true)
                    .open(&path)
                    .map_err(|e| format!("sink `{name}`: cannot open `{}`: {e}", path.display()))?;
                (Box::new(file), None)
            }
            Some(path) if path.is_dir() => {
                return Err(format!("sink `{name}`: `{}` is a directory; give a file path", path.display()))
            }
            Some(path) => {
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent)
                        .map_err(|e| format!("sink `{name}`: cannot create `{}`: {e}", parent.display()))?;
                }
                let file_name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
                let temp = path.with_file_name(format!(".{file_name}.{}.tmp", std::process::id()));
                let file = File::create(&temp)
                    .map_err(|e| format!("sink `{name}`: cannot create `{}`: {e}", temp.display()))?;
                (Box::new(file), Some((temp, path)))
            }
        };
        let encoder = match format {
            Format::Json => Encoder::Json(BufWriter::with_capacity(1 << 16, writer)),
            Format::Csv => Encoder::Csv(Box::new(csv::WriterBuilder::new().has_headers(true).from_writer(writer))),
            Format::Text => return Err(format!("sink `{name}`: text output is only for Kafka sinks; use json or csv")),
            Format::Parquet => {
                return Err(format!("sink `{name}`: Parquet output is not implemented yet; swap it with `--output {name}=PATH` (JSON lines)"))
            }
        };
        Ok((encoder, rename))
    }

    /// An epoch ends: an epoch-named file is synced and moved into place (an
    /// empty one is dropped) and the next epoch's file is opened; other sinks flush.
    pub fn commit_epoch(&mut self, next_epoch: u64) -> Result<(), Error> {
        let Some((dir, lineage, format)) = self.epochs.clone() else { return self.flush() };
        if self.in_file > 0 {
            self.close()?;
        } else if let Some((temp, _)) = self.rename.take() {
            let _ = std::fs::remove_file(temp);
        }
        let (encoder, rename) = Self::encoder(self.name, Some(epoch_file(&dir, &lineage, next_epoch, format)), format)
            .map_err(Error::Fatal)?;
        self.encoder = encoder;
        self.rename = rename;
        self.in_file = 0;
        Ok(())
    }

    /// A sink that keeps what it receives, for in-process tests.
    pub fn memory(name: &'static str) -> Self {
        RecordSink {
            name,
            encoder: Encoder::Memory(Vec::new()),
            rename: None,
            epochs: None,
            in_file: 0,
            written: 0,
            line: Vec::new(),
            _records: std::marker::PhantomData,
        }
    }

    /// Takes the records a memory sink received (as JSON values, in order).
    pub fn take(&mut self) -> Vec<serde_json::Value> {
        match &mut self.encoder {
            Encoder::Memory(records) => std::mem::take(records),
            _ => Vec::new(),
        }
    }

    /// Writes a record: of the sink's type, or a borrowed twin of it (same fields).
    #[inline]
    pub fn write<U: Serialize + ?Sized>(&mut self, record: &U) -> Result<(), Error> {
        self.written += 1;
        self.in_file += 1;
        match &mut self.encoder {
            Encoder::Memory(records) => {
                let value =
                    serde_json::to_value(record).map_err(|e| Error::Fatal(format!("sink `{}`: {e}", self.name)))?;
                records.push(value);
                Ok(())
            }
            Encoder::Json(out) => {
                self.line.clear();
                serde_json::to_writer(&mut self.line, record)
                    .map_err(|e| Error::Fatal(format!("sink `{}`: {e}", self.name)))?;
                self.line.push(b'\n');
                out.write_all(&self.line).map_err(|e| Error::Fatal(format!("sink `{}`: {e}", self.name)))
            }
            Encoder::Csv(out) => out.serialize(record).map_err(|e| Error::Fatal(format!("sink `{}`: {e}", self.name))),
            Encoder::Kafka(kafka) => {
                let fail = |e: String| Error::Fatal(format!("sink `{}`: {e}", self.name));
                self.line.clear();
                match kafka.format {
                    Format::Csv => {
                        let mut writer = csv::WriterBuilder::new().has_headers(false).from_writer(&mut self.line);
                        writer.serialize(record).map_err(|e| fail(e.to_string()))?;
                        writer.flush().map_err(|e| fail(e.to_string()))?;
                        drop(writer);
                        while matches!(self.line.last(), Some(b'\n' | b'\r')) {
                            self.line.pop();
                        }
                    }
                    // A text sink's record has one field: its text is the message.
                    Format::Text => {
                        if let Some(text) = super::field::first_field_text(record).map_err(fail)? {
                            self.line.extend_from_slice(text.as_bytes());
                        }
                    }
                    _ => serde_json::to_writer(&mut self.line, record).map_err(|e| fail(e.to_string()))?,
                }
                let key = match kafka.key {
                    Some(field) => super::field::field_text(record, field).map_err(fail)?,
                    None => None,
                };
                kafka.output.send(kafka.exactly_once, &kafka.topic, key.as_deref().map(str::as_bytes), &self.line)
            }
        }
    }

    pub fn written(&self) -> u64 {
        self.written
    }

    pub fn flush(&mut self) -> Result<(), Error> {
        let result = match &mut self.encoder {
            Encoder::Memory(_) | Encoder::Kafka(_) => Ok(()),
            Encoder::Json(out) => out.flush(),
            Encoder::Csv(out) => out.flush(),
        };
        result.map_err(|e| Error::Fatal(format!("sink `{}`: {e}", self.name)))
    }

    /// Flushes, syncs and moves a file into place (an epoch-named file only if it holds records).
    pub fn close(&mut self) -> Result<(), Error> {
        self.flush()?;
        if self.epochs.is_some() && self.in_file == 0 {
            if let Some((temp, _)) = self.rename.take() {
                let _ = std::fs::remove_file(temp);
            }
            return Ok(());
        }
        if let Some((temp, path)) = self.rename.take() {
            File::open(&temp)
                .and_then(|f| f.sync_all())
                .map_err(|e| Error::Fatal(format!("sink `{}`: {e}", self.name)))?;
            std::fs::rename(&temp, &path).map_err(|e| {
                Error::Fatal(format!("sink `{}`: cannot move output into `{}`: {e}", self.name, path.display()))
            })?;
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                crate::checkpoint::sync_dir(dir).map_err(|e| Error::Fatal(format!("sink `{}`: {e}", self.name)))?;
            }
        }
        Ok(())
    }
}

/// The file of one epoch of an epoch-named file sink.
pub fn epoch_file(dir: &Path, lineage: &str, epoch: u64, format: Format) -> PathBuf {
    let extension = if format == Format::Csv { "csv" } else { "jsonl" };
    dir.join(format!("part-{lineage}-{epoch:010}.{extension}"))
}

/// Removes the files of `lineage` whose epoch is after `committed` (they belong
/// to epochs that did not commit and will be written again) and its temporary files.
pub fn remove_uncommitted_files(dir: &Path, lineage: &str, committed: u64) -> Result<(), String> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(format!("cannot read `{}`: {e}", dir.display())),
    };
    let prefix = format!("part-{lineage}-");
    for entry in entries.filter_map(|e| e.ok()) {
        let name = entry.file_name().to_string_lossy().to_string();
        let epoch = name
            .strip_prefix(&prefix)
            .and_then(|rest| rest.split('.').next())
            .and_then(|digits| digits.parse::<u64>().ok());
        // Temporary files were left by a process that was killed (one instance runs a pipeline).
        let left_behind = name.starts_with(".part-") && name.ends_with(".tmp");
        if left_behind || epoch.is_some_and(|e| e > committed) {
            std::fs::remove_file(entry.path())
                .map_err(|e| format!("cannot remove uncommitted output `{}`: {e}", entry.path().display()))?;
        }
    }
    Ok(())
}

impl<T> Drop for RecordSink<T> {
    fn drop(&mut self) {
        // A run that failed leaves no partial output behind.
        if let Some((temp, _)) = self.rename.take() {
            let _ = std::fs::remove_file(temp);
        }
    }
}
