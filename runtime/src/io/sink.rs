//! Sinks: JSON lines, CSV or Parquet files, stdout, Kafka topics and
//! PostgreSQL tables. A file is written under a temporary name and renamed
//! into place when the run (or, in a checkpointed run, the epoch) ends, so a
//! reader never sees a partial file.

use super::decode::Format;
use crate::fault::Error;
use crate::kafka::KafkaOutput;
use crate::schema::Column;
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
    /// A PostgreSQL table, through the run's shared connection to its database.
    Postgres {
        connection: Arc<super::postgres::PgConnection>,
        table: String,
        /// `mode: upsert` and its key columns.
        upsert_key: Option<&'static [&'static str]>,
        create: bool,
        /// Buffered rows are copied into the open transaction past this many bytes.
        batch_bytes: usize,
    },
}

/// A Parquet file grows to about this size before the next one starts (`--max-file-size`).
static ROLL_BYTES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(128 << 20);

pub(crate) fn set_roll_bytes(bytes: usize) {
    ROLL_BYTES.store(bytes.max(1), std::sync::atomic::Ordering::Relaxed);
}

/// The Parquet roll size (one value per process: the run's `--max-file-size`).
pub fn roll_bytes() -> usize {
    ROLL_BYTES.load(std::sync::atomic::Ordering::Relaxed)
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
    #[cfg(feature = "parquet")]
    Parquet(Box<super::parquet::ParquetFile>),
    #[cfg(feature = "postgres")]
    Postgres(Box<super::postgres::PgSink>),
}

pub struct RecordSink<T> {
    name: &'static str,
    encoder: Encoder,
    /// (temporary, final) paths of a file sink's current file.
    rename: Option<(PathBuf, PathBuf)>,
    /// Complete files of this run or epoch waiting to be moved into place with the current one
    /// (Parquet files rolled by size).
    finished: Vec<(PathBuf, PathBuf)>,
    columns: &'static [Column],
    /// An epoch-named file sink: (directory, lineage, format) and the records in its current file.
    epochs: Option<(PathBuf, String, Format)>,
    in_file: u64,
    written: u64,
    line: Vec<u8>,
    _records: std::marker::PhantomData<fn(&T)>,
}

impl<T: Serialize> RecordSink<T> {
    pub fn open(
        name: &'static str,
        target: &SinkTarget,
        format: Format,
        columns: &'static [Column],
    ) -> Result<Self, String> {
        if let SinkTarget::Postgres { connection, table, upsert_key, create, batch_bytes } = target {
            #[cfg(feature = "postgres")]
            {
                let mut sink =
                    super::postgres::PgSink::open(name, Arc::clone(connection), table, columns, *upsert_key, *create)?;
                sink.set_batch_bytes(*batch_bytes);
                let mut record_sink = Self::memory(name);
                record_sink.encoder = Encoder::Postgres(Box::new(sink));
                return Ok(record_sink);
            }
            #[cfg(not(feature = "postgres"))]
            {
                let _ = (table, upsert_key, create, batch_bytes);
                match **connection {}
            }
        }
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
                finished: Vec::new(),
                columns,
                epochs: None,
                in_file: 0,
                written: 0,
                line: Vec::with_capacity(256),
                _records: std::marker::PhantomData,
            });
        }
        let path = match target {
            SinkTarget::Kafka { .. } | SinkTarget::Postgres { .. } => None,
            SinkTarget::Stdout => None,
            SinkTarget::File(path) => Some(PathBuf::from(path)),
            SinkTarget::Dir(dir) => {
                let extension = extension(format);
                let started = crate::time::Timestamp::now().0;
                Some(PathBuf::from(dir).join(format!("part-{started}-{}.{extension}", std::process::id())))
            }
            SinkTarget::EpochDir { dir, lineage, epoch } => Some(epoch_file(Path::new(dir), lineage, *epoch, format)),
        };
        let (encoder, rename) = Self::encoder(name, path, format, columns)?;
        Ok(RecordSink {
            name,
            encoder,
            rename,
            finished: Vec::new(),
            columns,
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
        columns: &'static [Column],
    ) -> Result<(Encoder, Option<(PathBuf, PathBuf)>), String> {
        if format == Format::Parquet {
            return Self::parquet(name, path, columns);
        }
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
            Format::Parquet => return Self::parquet(name, None, columns),
        };
        Ok((encoder, rename))
    }

    /// A Parquet file, always under a temporary name (its footer is written last).
    #[cfg(feature = "parquet")]
    fn parquet(
        name: &str,
        path: Option<PathBuf>,
        columns: &'static [Column],
    ) -> Result<(Encoder, Option<(PathBuf, PathBuf)>), String> {
        let Some(path) = path else {
            return Err(format!("sink `{name}`: Parquet cannot be written to stdout or a device; give a file path"));
        };
        if path.is_dir() {
            return Err(format!("sink `{name}`: `{}` is a directory; give a file path", path.display()));
        }
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("sink `{name}`: cannot create `{}`: {e}", parent.display()))?;
        }
        let file_name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        let temp = path.with_file_name(format!(".{file_name}.{}.tmp", std::process::id()));
        let file = super::parquet::ParquetFile::create(&temp, columns).map_err(|e| format!("sink `{name}`: {e}"))?;
        Ok((Encoder::Parquet(Box::new(file)), Some((temp, path))))
    }

    #[cfg(not(feature = "parquet"))]
    fn parquet(
        name: &str,
        _: Option<PathBuf>,
        _: &'static [Column],
    ) -> Result<(Encoder, Option<(PathBuf, PathBuf)>), String> {
        Err(format!("sink `{name}`: this binary was built without Parquet support (the sluice runtime's `parquet` feature); `sluice build` turns it on for programs that write Parquet"))
    }

    /// A Parquet file grew past the roll size: it is finished (moved into place
    /// with the others of its run or epoch) and the next one starts.
    #[cfg(feature = "parquet")]
    fn roll(&mut self) -> Result<(), Error> {
        let Some((temp, path)) = self.rename.take() else { return Ok(()) };
        self.finish_encoder()?;
        self.finished.push((temp, path.clone()));
        let stem = path.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
        let base = stem.split_once("-r").map_or(stem.as_str(), |(base, _)| base).to_string();
        let next = path.with_file_name(format!("{base}-r{}.parquet", self.finished.len()));
        let (encoder, rename) = Self::parquet(self.name, Some(next), self.columns).map_err(Error::Fatal)?;
        self.encoder = encoder;
        self.rename = rename;
        Ok(())
    }

    /// Completes the current encoder: flushes buffered output (a Parquet file also gets its footer).
    fn finish_encoder(&mut self) -> Result<(), Error> {
        #[cfg(feature = "parquet")]
        if matches!(self.encoder, Encoder::Parquet(_)) {
            if let Encoder::Parquet(file) = std::mem::replace(&mut self.encoder, Encoder::Memory(Vec::new())) {
                file.finish().map_err(|e| Error::Fatal(format!("sink `{}`: {e}", self.name)))?;
            }
            return Ok(());
        }
        self.flush()
    }

    /// An epoch ends: an epoch-named file is synced and moved into place (an
    /// empty one is dropped) and the next epoch's file is opened; other sinks flush.
    pub fn commit_epoch(&mut self, next_epoch: u64) -> Result<(), Error> {
        let Some((dir, lineage, format)) = self.epochs.clone() else { return self.flush() };
        if self.in_file > 0 {
            self.close()?;
        } else {
            self.discard();
        }
        let (encoder, rename) =
            Self::encoder(self.name, Some(epoch_file(&dir, &lineage, next_epoch, format)), format, self.columns)
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
            finished: Vec::new(),
            columns: &[],
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
            #[cfg(feature = "parquet")]
            Encoder::Parquet(file) => {
                file.write(record).map_err(|e| Error::Fatal(format!("sink `{}`: {e}", self.name)))?;
                if file.bytes_written() >= roll_bytes() {
                    self.roll()?;
                }
                Ok(())
            }
            #[cfg(feature = "postgres")]
            Encoder::Postgres(sink) => sink.write(record),
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
            // Row groups are written as they fill; the rest goes with the footer.
            #[cfg(feature = "parquet")]
            Encoder::Parquet(_) => Ok(()),
            #[cfg(feature = "postgres")]
            Encoder::Postgres(sink) => return sink.flush(),
        };
        result.map_err(|e| Error::Fatal(format!("sink `{}`: {e}", self.name)))
    }

    /// Flushes, syncs and moves the files into place (an epoch's only if it has records).
    pub fn close(&mut self) -> Result<(), Error> {
        self.finish_encoder()?;
        if self.epochs.is_some() && self.in_file == 0 {
            self.discard();
            return Ok(());
        }
        let moves: Vec<(PathBuf, PathBuf)> = self.finished.drain(..).chain(self.rename.take()).collect();
        for (temp, path) in &moves {
            File::open(temp)
                .and_then(|f| f.sync_all())
                .map_err(|e| Error::Fatal(format!("sink `{}`: {e}", self.name)))?;
            std::fs::rename(temp, path).map_err(|e| {
                Error::Fatal(format!("sink `{}`: cannot move output into `{}`: {e}", self.name, path.display()))
            })?;
        }
        if let Some(dir) = moves.last().and_then(|(_, path)| path.parent()).filter(|d| !d.as_os_str().is_empty()) {
            crate::checkpoint::sync_dir(dir).map_err(|e| Error::Fatal(format!("sink `{}`: {e}", self.name)))?;
        }
        Ok(())
    }
}

fn extension(format: Format) -> &'static str {
    match format {
        Format::Csv => "csv",
        Format::Parquet => "parquet",
        _ => "jsonl",
    }
}

/// The file of one epoch of an epoch-named file sink.
pub fn epoch_file(dir: &Path, lineage: &str, epoch: u64, format: Format) -> PathBuf {
    dir.join(format!("part-{lineage}-{epoch:010}.{}", extension(format)))
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
            // `part-<lineage>-<epoch>.<ext>`, or `-<epoch>-r<n>.parquet` for a rolled file.
            .and_then(|rest| rest.split(['.', '-']).next())
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

impl<T> RecordSink<T> {
    /// Removes the temporary files of a run or epoch that will not be kept.
    fn discard(&mut self) {
        for (temp, _) in self.finished.drain(..).chain(self.rename.take()) {
            let _ = std::fs::remove_file(temp);
        }
    }
}

impl<T> Drop for RecordSink<T> {
    fn drop(&mut self) {
        // A run that failed leaves no partial output behind.
        self.discard();
    }
}
