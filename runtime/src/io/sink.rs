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
    /// Complete files of this run or epoch, waiting for it to end with the current one
    /// (Parquet files rolled by size).
    finished: Vec<(PathBuf, PathBuf)>,
    /// Synced files of ended epochs (or of the ended run), under their temporary names
    /// until their commit is done: `publish` moves them into place.
    ready: Vec<(PathBuf, PathBuf)>,
    /// The first path of the run or epoch (rolled files are named after it).
    base_path: Option<PathBuf>,
    columns: &'static [Column],
    /// An epoch-named file sink: (directory, lineage, format) and the records in its current file.
    epochs: Option<(PathBuf, String, Format)>,
    /// Records in this run's or epoch's files, and in the current file.
    in_file: u64,
    in_current: u64,
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
            let mut sink = Self::memory(name);
            sink.encoder = Encoder::Kafka(KafkaEncoder {
                topic: topic.clone(),
                key: *key,
                exactly_once: *exactly_once,
                output: Arc::clone(output),
                format,
            });
            sink.line = Vec::with_capacity(256);
            return Ok(sink);
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
            base_path: rename.as_ref().map(|(_, path)| path.clone()),
            rename,
            finished: Vec::new(),
            ready: Vec::new(),
            columns,
            epochs: match target {
                SinkTarget::EpochDir { dir, lineage, .. } => Some((PathBuf::from(dir), lineage.clone(), format)),
                _ => None,
            },
            in_file: 0,
            in_current: 0,
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
    /// with the others of its run or epoch) and the next one starts, named
    /// after the first: `<stem>-r<n>.parquet`.
    #[cfg(feature = "parquet")]
    fn roll(&mut self) -> Result<(), Error> {
        let Some((temp, path)) = self.rename.take() else { return Ok(()) };
        self.finish_encoder()?;
        self.finished.push((temp, path.clone()));
        let base = self.base_path.clone().unwrap_or(path);
        let stem = base.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
        let next = base.with_file_name(format!("{stem}-r{}.parquet", self.finished.len()));
        let (encoder, rename) = Self::parquet(self.name, Some(next), self.columns).map_err(Error::Fatal)?;
        self.encoder = encoder;
        self.rename = rename;
        self.in_current = 0;
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

    /// An epoch ends: its files are completed and synced, ready to be published
    /// once the epoch commits (an empty one is dropped), and the next epoch's
    /// file is opened; other sinks flush.
    pub fn commit_epoch(&mut self, next_epoch: u64) -> Result<(), Error> {
        let Some((dir, lineage, format)) = self.epochs.clone() else { return self.flush() };
        self.close()?;
        let path = epoch_file(&dir, &lineage, next_epoch, format);
        let (encoder, rename) =
            Self::encoder(self.name, Some(path.clone()), format, self.columns).map_err(Error::Fatal)?;
        self.encoder = encoder;
        self.rename = rename;
        self.base_path = Some(path);
        self.in_file = 0;
        self.in_current = 0;
        Ok(())
    }

    /// A sink that keeps what it receives, for in-process tests.
    pub fn memory(name: &'static str) -> Self {
        RecordSink {
            name,
            encoder: Encoder::Memory(Vec::new()),
            rename: None,
            finished: Vec::new(),
            ready: Vec::new(),
            base_path: None,
            columns: &[],
            epochs: None,
            in_file: 0,
            in_current: 0,
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
        self.in_current += 1;
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

    /// Completes and syncs the files of the run (or epoch), ready for `publish`:
    /// an epoch's only if it has records, a rolled run's last file only if it has any.
    pub fn close(&mut self) -> Result<(), Error> {
        self.finish_encoder()?;
        if self.epochs.is_some() && self.in_file == 0 {
            self.discard();
            return Ok(());
        }
        if self.in_current == 0 && !self.finished.is_empty() {
            if let Some((temp, _)) = self.rename.take() {
                let _ = std::fs::remove_file(temp);
            }
        }
        let files: Vec<(PathBuf, PathBuf)> = self.finished.drain(..).chain(self.rename.take()).collect();
        for (temp, _) in &files {
            File::open(temp)
                .and_then(|f| f.sync_all())
                .map_err(|e| Error::Fatal(format!("sink `{}`: {e}", self.name)))?;
        }
        // The temporary names must survive a power loss too: a restart moves them after a commit.
        if let Some(dir) = files.last().and_then(|(temp, _)| temp.parent()).filter(|d| !d.as_os_str().is_empty()) {
            crate::checkpoint::sync_dir(dir).map_err(|e| Error::Fatal(format!("sink `{}`: {e}", self.name)))?;
        }
        self.ready.extend(files);
        Ok(())
    }

    /// Moves the files of committed epochs (or of the finished run) into place.
    /// Called only after the commit: a reader never sees a file whose epoch may
    /// still be written again. A restart finishes the moves of a committed
    /// epoch that a crash interrupted (`settle_epoch_files`).
    pub fn publish(&mut self) -> Result<(), Error> {
        let files = std::mem::take(&mut self.ready);
        for (temp, path) in &files {
            std::fs::rename(temp, path).map_err(|e| {
                Error::Fatal(format!("sink `{}`: cannot move output into `{}`: {e}", self.name, path.display()))
            })?;
        }
        // A run's files replace an earlier run's: rolled files of an earlier, longer run
        // (`<stem>-r<n>.parquet` past this run's last) would otherwise read as this run's.
        if let (None, Some(((_, first), published))) = (&self.epochs, files.split_first()) {
            let kept: Vec<&Path> = published.iter().map(|(_, path)| path.as_path()).collect();
            remove_stale_rolls(first, &kept)
                .map_err(|e| Error::Fatal(format!("sink `{}`: cannot remove an earlier run's file: {e}", self.name)))?;
        }
        if let Some(dir) = files.last().and_then(|(_, path)| path.parent()).filter(|d| !d.as_os_str().is_empty()) {
            crate::checkpoint::sync_dir(dir).map_err(|e| Error::Fatal(format!("sink `{}`: {e}", self.name)))?;
        }
        Ok(())
    }
}

/// Removes the files `<stem>-r<n>.parquet` beside `first` (`<stem>.parquet`, the
/// first file of a run) that are not among `kept`: rolled files of an earlier run.
fn remove_stale_rolls(first: &Path, kept: &[&Path]) -> std::io::Result<()> {
    if first.extension().is_none_or(|e| e != "parquet") {
        return Ok(());
    }
    let Some(stem) = first.file_stem().map(|s| s.to_string_lossy().into_owned()) else { return Ok(()) };
    let dir = match first.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let prefix = format!("{stem}-r");
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(number) = name.strip_prefix(&prefix).and_then(|rest| rest.strip_suffix(".parquet")) else {
            continue;
        };
        let rolled = !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit());
        if rolled && !kept.iter().any(|k| k.file_name() == Some(entry.file_name().as_os_str())) {
            std::fs::remove_file(entry.path())?;
        }
    }
    Ok(())
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

/// Settles a file sink's directory on restart: files of `lineage` whose epoch
/// committed but were not yet moved into place (a crash between the commit and
/// the move) are moved now; files and temporaries of epochs after `committed`
/// (they will be written again) are removed. Other runs' files are left alone.
pub fn settle_epoch_files(dir: &Path, lineage: &str, committed: u64) -> Result<(), String> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(format!("cannot read `{}`: {e}", dir.display())),
    };
    let prefix = format!("part-{lineage}-");
    // `part-<lineage>-<epoch>.<ext>`, or `...-<epoch>-r<n>.parquet` for a rolled file.
    let epoch_of = |name: &str| {
        name.strip_prefix(&prefix)
            .and_then(|rest| rest.split(['.', '-']).next())
            .and_then(|digits| digits.parse::<u64>().ok())
    };
    let mut moved = false;
    for entry in entries.filter_map(|e| e.ok()) {
        let name = entry.file_name().to_string_lossy().to_string();
        // A temporary file is `.<final name>.<pid>.tmp`.
        let temporary = name
            .strip_prefix('.')
            .and_then(|n| n.strip_suffix(".tmp"))
            .and_then(|n| n.rsplit_once('.'))
            .map(|(final_name, _pid)| final_name.to_string())
            .filter(|final_name| final_name.starts_with("part-"));
        let remove = match &temporary {
            Some(final_name) => match epoch_of(final_name) {
                // Never over a published file: a second temporary of a published epoch is a
                // fenced instance's, which did not commit.
                Some(epoch) if epoch <= committed && dir.join(final_name).exists() => true,
                Some(epoch) if epoch <= committed => {
                    std::fs::rename(entry.path(), dir.join(final_name)).map_err(|e| {
                        format!("cannot move committed output `{}` into place: {e}", entry.path().display())
                    })?;
                    moved = true;
                    false
                }
                Some(_) => true,
                // Another run's or another pipeline's: theirs to settle.
                None => false,
            },
            None => epoch_of(&name).is_some_and(|e| e > committed),
        };
        if remove {
            std::fs::remove_file(entry.path())
                .map_err(|e| format!("cannot remove uncommitted output `{}`: {e}", entry.path().display()))?;
        }
    }
    if moved {
        crate::checkpoint::sync_dir(dir).map_err(|e| format!("cannot sync `{}`: {e}", dir.display()))?;
    }
    Ok(())
}

impl<T> RecordSink<T> {
    /// Removes the files of ended epochs that are known not to have committed
    /// (this instance was fenced: another one commits their epochs).
    pub fn discard_unpublished(&mut self) {
        for (temp, _) in self.ready.drain(..) {
            let _ = std::fs::remove_file(temp);
        }
    }

    /// Removes the temporary files of a run or epoch that will not be kept
    /// (not those of ended epochs: they may have committed).
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_removes_the_rolled_files_an_earlier_longer_run_left() {
        let dir = tempfile::tempdir().unwrap();
        let touch = |name: &str| std::fs::write(dir.path().join(name), name).unwrap();
        for name in ["x.parquet", "x-r1.parquet", "x-r2.parquet", "x-r10.parquet", "x-rb.parquet", "y-r1.parquet"] {
            touch(name);
        }
        touch("x-r3.jsonl");
        let first = dir.path().join("x.parquet");
        let second = dir.path().join("x-r1.parquet");
        remove_stale_rolls(&first, &[second.as_path()]).unwrap();
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        names.sort();
        assert_eq!(names, ["x-r1.parquet", "x-r3.jsonl", "x-rb.parquet", "x.parquet", "y-r1.parquet"]);
    }

    #[test]
    fn a_restart_publishes_committed_epochs_and_removes_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let touch = |name: &str| std::fs::write(dir.path().join(name), name).unwrap();
        touch("part-abc-0000000003.jsonl"); // published, committed
        touch(".part-abc-0000000003.jsonl.99.tmp"); // a fenced instance's version: never over the published one
        touch(".part-abc-0000000004.jsonl.77.tmp"); // committed, crash before the move
        touch(".part-abc-0000000004-r1.parquet.77.tmp"); // a rolled file of that epoch
        touch(".part-abc-0000000005.jsonl.77.tmp"); // not committed
        touch("part-abc-0000000005.jsonl"); // not committed (an older run's publish)
        touch(".part-1795000000000-12.jsonl.12.tmp"); // another run's: left to it
        touch("part-xyz-0000000009.jsonl"); // another lineage's, kept
        settle_epoch_files(dir.path(), "abc", 4).unwrap();
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                ".part-1795000000000-12.jsonl.12.tmp",
                "part-abc-0000000003.jsonl",
                "part-abc-0000000004-r1.parquet",
                "part-abc-0000000004.jsonl",
                "part-xyz-0000000009.jsonl"
            ]
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("part-abc-0000000004.jsonl")).unwrap(),
            ".part-abc-0000000004.jsonl.77.tmp"
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("part-abc-0000000003.jsonl")).unwrap(),
            "part-abc-0000000003.jsonl"
        );
    }
}
