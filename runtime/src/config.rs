//! What a generated binary knows about its program, and its command line:
//! `--input NAME=PATH`, `--output NAME=PATH`, `--param NAME=VALUE`, the Kafka
//! and checkpoint flags, `--help`.

use crate::io::{Format, SinkTarget};
use crate::kafka::KafkaOutput;
use crate::time::{Duration, Timestamp};
use std::collections::HashMap;
use std::sync::Arc;

/// A string option that may come from the environment.
#[derive(Clone, Copy, Debug)]
pub enum Setting {
    Literal(&'static str),
    Env { var: &'static str, default: Option<&'static str> },
}

impl Setting {
    pub fn resolve(&self) -> Result<String, String> {
        match *self {
            Setting::Literal(text) => Ok(text.to_string()),
            Setting::Env { var, default } => match std::env::var(var) {
                Ok(value) => Ok(value),
                Err(_) => default.map(str::to_string).ok_or_else(|| format!("environment variable `{var}` is not set")),
            },
        }
    }

    fn describe(&self) -> String {
        match *self {
            Setting::Literal(text) => text.to_string(),
            Setting::Env { var, default: None } => format!("${var}"),
            Setting::Env { var, default: Some(d) } => format!("${var} (default {d})"),
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub enum OnError {
    Skip,
    Fail,
    DeadLetter(usize),
}

/// Where a Kafka source begins when there is no checkpoint and no committed group offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    Earliest,
    Latest,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    ExactlyOnce,
    AtLeastOnce,
}

#[derive(Clone, Copy, Debug)]
pub enum SourceKind {
    Kafka { topics: &'static [Setting], brokers: Option<Setting>, start: Start },
    File { path: Setting },
}

#[derive(Clone, Copy, Debug)]
pub struct SourceInfo {
    pub name: &'static str,
    pub kind: SourceKind,
    pub format: Format,
    pub table: bool,
    pub on_error: OnError,
    /// The record's top-level field names, in order (the columns of a header-less CSV message).
    pub columns: &'static [&'static str],
}

#[derive(Clone, Copy, Debug)]
pub enum SinkKind {
    Kafka {
        topic: Setting,
        brokers: Option<Setting>,
        key: Option<&'static str>,
        delivery: Delivery,
    },
    File {
        path: Setting,
    },
    Postgres {
        url: Setting,
        table: Setting,
        /// `mode: upsert` and its `key` columns; `None` for `mode: insert`.
        upsert_key: Option<&'static [&'static str]>,
        create: bool,
    },
    Stdout,
}

#[derive(Clone, Copy, Debug)]
pub struct SinkInfo {
    pub name: &'static str,
    pub kind: SinkKind,
    pub format: Format,
    /// The record type written (empty when nothing writes to the sink).
    pub columns: &'static [crate::schema::Column],
}

#[derive(Clone, Copy, Debug)]
pub struct ParamInfo {
    pub name: &'static str,
    /// `int`, `float`, `bool`, `string`, `duration` or `timestamp`.
    pub ty: &'static str,
    pub default: Option<&'static str>,
}

#[derive(Clone, Copy, Debug)]
pub struct ProgramInfo {
    pub name: &'static str,
    /// A hash of the program's source: a checkpoint is only restored into the program that wrote it.
    pub fingerprint: u64,
    /// Whether any operator keeps state (windows, dedupe, running aggregates): a run
    /// without it can resume from the offsets its outputs committed, without a checkpoint.
    pub stateful: bool,
    pub sources: &'static [SourceInfo],
    pub sinks: &'static [SinkInfo],
    pub params: &'static [ParamInfo],
}

/// One pipeline of a program and what it needs: the pipelines it reads from
/// (transitively), their sources (lookup tables included) and the sinks they
/// write (`to`, `late to`, dead letters). A `stream!` constructor runs one.
#[derive(Clone, Copy, Debug)]
pub struct Selection {
    pub pipeline: &'static str,
    pub pipelines: &'static [bool],
    pub sources: &'static [bool],
    pub sinks: &'static [bool],
}

/// Why the command line was not accepted.
#[derive(Debug)]
pub enum CliError {
    Help(String),
    Usage(String),
}

#[derive(Clone)]
pub struct Config {
    inputs: HashMap<String, String>,
    outputs: HashMap<String, String>,
    params: HashMap<String, String>,
    /// How often running aggregates emit changed keys and processing time advances.
    pub flush_interval_ms: u64,
    /// No summary on stderr.
    pub quiet: bool,
    /// `--brokers`: overrides the connectors' `brokers` option and `SLUICE_BROKERS`.
    pub brokers: Option<String>,
    /// `--kafka-option KEY=VALUE`: passed to librdkafka as is. Values may be secrets: never printed.
    pub kafka_options: Vec<(String, String)>,
    /// Stop once every input partition has reached its end (partition EOF: the fetch high watermark).
    pub until_end: bool,
    /// A partition without records for this long does not hold the watermark back.
    pub idle_timeout_ms: u64,
    /// Watermark alignment: a Kafka partition whose event time runs this far ahead of
    /// the slowest one is not read until the others catch up (None, the default: off).
    pub max_drift_ms: Option<u64>,
    pub checkpoint_interval_ms: u64,
    pub checkpoint_dir: Option<String>,
    /// The consumer group offsets are committed to (default: the program's name).
    pub group: Option<String>,
    /// A larger message is a bad record (`on_error`), not a reason to stop.
    pub max_record_bytes: usize,
    /// A Parquet file is closed and the next one started once it reaches this size.
    pub max_file_bytes: usize,
    /// PostgreSQL sinks copy their buffered rows into the open transaction past this size.
    pub db_batch_bytes: usize,
    /// The producers of a Kafka run, shared by its sinks (set by the driver before sinks open).
    pub(crate) kafka_output: Option<Arc<KafkaOutput>>,
    /// In a checkpointed run, file sinks write one file per epoch: (lineage, first epoch).
    pub(crate) epoch_files: Option<(String, u64)>,
    /// The database connections of a run, shared by its PostgreSQL sinks (a new set per run attempt).
    pub(crate) postgres: Arc<crate::io::postgres::PgRegistry>,
    /// Run only this pipeline and what it depends on (default: every pipeline).
    pub selection: Option<Selection>,
}

impl std::fmt::Debug for Config {
    // Hand-written so that Kafka option values (passwords) never reach a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("inputs", &self.inputs)
            .field("outputs", &self.outputs)
            .field("params", &self.params)
            .field("brokers", &self.brokers)
            .field(
                "kafka_options",
                &self.kafka_options.iter().map(|(k, _)| format!("{k}=<redacted>")).collect::<Vec<_>>(),
            )
            .field("until_end", &self.until_end)
            .field("checkpoint_dir", &self.checkpoint_dir)
            .field("group", &self.group)
            .finish_non_exhaustive()
    }
}

fn duration_flag(flag: &str, value: Option<String>) -> Result<u64, CliError> {
    let value = value.unwrap_or_default();
    parse_duration(&value)
        .filter(|d| d.0 > 0)
        .map(|d| d.0 as u64)
        .ok_or_else(|| CliError::Usage(format!("`{flag} {value}`: expected a positive duration such as `5s`")))
}

/// A size flag's value (`1MiB`, `512KiB`, `100000`), at least `minimum` bytes.
fn size_flag(flag: &str, value: &str, examples: &str, minimum: usize) -> Result<usize, CliError> {
    parse_size(value)
        .filter(|n| *n >= minimum)
        .ok_or_else(|| CliError::Usage(format!("`{flag} {value}`: expected a size such as {examples}")))
}

fn name_value(flag: &str, value: Option<String>) -> Result<(String, String), CliError> {
    let value = value.ok_or_else(|| CliError::Usage(format!("`{flag}` needs a value: `{flag} NAME=VALUE`")))?;
    match value.split_once('=') {
        Some((name, v)) if !name.is_empty() => Ok((name.to_string(), v.to_string())),
        _ => Err(CliError::Usage(format!("`{flag} {value}`: expected NAME=VALUE"))),
    }
}

impl Config {
    pub fn from_args(info: &ProgramInfo, args: impl IntoIterator<Item = String>) -> Result<Config, CliError> {
        let mut config = Config {
            inputs: HashMap::new(),
            outputs: HashMap::new(),
            params: HashMap::new(),
            flush_interval_ms: 1000,
            quiet: false,
            brokers: None,
            kafka_options: Vec::new(),
            until_end: false,
            idle_timeout_ms: 30_000,
            max_drift_ms: None,
            checkpoint_interval_ms: 5_000,
            checkpoint_dir: None,
            group: None,
            max_record_bytes: 1 << 20,
            max_file_bytes: 128 << 20,
            db_batch_bytes: 4 << 20,
            kafka_output: None,
            epoch_files: None,
            postgres: Arc::default(),
            selection: None,
        };
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((flag, value))
                    if flag.starts_with("--") && !matches!(flag, "--input" | "--output" | "--param") =>
                {
                    (flag.to_string(), Some(value.to_string()))
                }
                _ => (arg.clone(), None),
            };
            match flag.as_str() {
                "-h" | "--help" => return Err(CliError::Help(help(info))),
                "--input" | "-i" => {
                    let (name, path) = name_value("--input", args.next())?;
                    if !info.sources.iter().any(|s| s.name == name) {
                        return Err(CliError::Usage(unknown("source", &name, info.sources.iter().map(|s| s.name))));
                    }
                    config.inputs.insert(name, path);
                }
                "--output" | "-o" => {
                    let (name, path) = name_value("--output", args.next())?;
                    if !info.sinks.iter().any(|s| s.name == name) {
                        return Err(CliError::Usage(unknown("sink", &name, info.sinks.iter().map(|s| s.name))));
                    }
                    config.outputs.insert(name, path);
                }
                "--param" | "-p" => {
                    let (name, value) = name_value("--param", args.next())?;
                    if !info.params.iter().any(|p| p.name == name) {
                        return Err(CliError::Usage(unknown("param", &name, info.params.iter().map(|p| p.name))));
                    }
                    config.params.insert(name, value);
                }
                "--flush-interval" => config.flush_interval_ms = duration_flag(&flag, inline.or_else(|| args.next()))?,
                "--checkpoint-interval" => {
                    config.checkpoint_interval_ms = duration_flag(&flag, inline.or_else(|| args.next()))?
                }
                "--idle-timeout" => config.idle_timeout_ms = duration_flag(&flag, inline.or_else(|| args.next()))?,
                "--brokers" | "--checkpoint-dir" | "--group" | "--max-record-size" | "--max-file-size"
                | "--db-batch-size" => {
                    let value = inline.or_else(|| args.next()).filter(|v| !v.trim().is_empty()).ok_or_else(|| {
                        CliError::Usage(format!("`{flag}` needs a value (see `{} --help`)", info.name))
                    })?;
                    match flag.as_str() {
                        "--brokers" => config.brokers = Some(value),
                        "--checkpoint-dir" => config.checkpoint_dir = Some(value),
                        "--group" => config.group = Some(value),
                        "--db-batch-size" => config.db_batch_bytes = size_flag(&flag, &value, "`4MiB` or `65536`", 1)?,
                        "--max-file-size" => {
                            config.max_file_bytes = size_flag(&flag, &value, "`128MiB` or `1000000`", 1)?
                        }
                        _ => config.max_record_bytes = size_flag(&flag, &value, "`1MiB`, `512KiB` or `100000`", 0)?,
                    }
                }
                "--kafka-option" => {
                    // The value may be a password: the messages below never echo it.
                    let pair = inline.or_else(|| args.next()).unwrap_or_default();
                    match pair.split_once('=') {
                        Some((key, value)) if !key.trim().is_empty() => {
                            config.kafka_options.push((key.trim().to_string(), value.to_string()))
                        }
                        _ => {
                            return Err(CliError::Usage(
                                "`--kafka-option` expects KEY=VALUE (a librdkafka setting such as `security.protocol=SASL_SSL`)"
                                    .to_string(),
                            ))
                        }
                    }
                }
                "--until-end" => config.until_end = true,
                "--max-drift" => {
                    let value = inline.or_else(|| args.next());
                    config.max_drift_ms = match value.as_deref() {
                        Some("off") => None,
                        _ => Some(duration_flag(&flag, value)?),
                    }
                }
                "-q" | "--quiet" => config.quiet = true,
                other => {
                    // Only the flag's name: an inline value could be a secret.
                    let name = other.split('=').next().unwrap_or_default();
                    return Err(CliError::Usage(format!("unknown argument `{name}` (see `{} --help`)", info.name)));
                }
            }
        }
        for param in info.params {
            if !config.params.contains_key(param.name) {
                let env = format!("SLUICE_PARAM_{}", param.name.to_uppercase());
                if let Ok(value) = std::env::var(&env) {
                    config.params.insert(param.name.to_string(), value);
                } else if let Some(default) = param.default {
                    config.params.insert(param.name.to_string(), default.to_string());
                } else {
                    return Err(CliError::Usage(format!(
                        "param `{}` ({}) has no default: give it with `--param {}=VALUE` or {env}",
                        param.name, param.ty, param.name
                    )));
                }
            }
        }
        Ok(config)
    }

    /// The file to read for source `index`: `--input`, else its own path.
    pub fn source_path(&self, info: &ProgramInfo, index: usize) -> Result<String, String> {
        let source = &info.sources[index];
        if let Some(path) = self.inputs.get(source.name) {
            return Ok(path.clone());
        }
        match source.kind {
            SourceKind::File { path } => path.resolve().map_err(|e| format!("source `{}`: {e}", source.name)),
            SourceKind::Kafka { .. } => Err(format!(
                "source `{}` reads Kafka; read a file instead with `--input {}=PATH`",
                source.name, source.name
            )),
        }
    }

    /// Whether source `index` reads Kafka in this run (it is not swapped for a file).
    pub fn reads_kafka(&self, info: &ProgramInfo, index: usize) -> bool {
        matches!(info.sources[index].kind, SourceKind::Kafka { .. })
            && !self.inputs.contains_key(info.sources[index].name)
            && self.source_active(index)
    }

    /// Whether pipeline `index` runs (all do, unless one was selected).
    pub fn pipeline_active(&self, index: usize) -> bool {
        self.selection.is_none_or(|s| s.pipelines.get(index).copied().unwrap_or(false))
    }

    /// Whether source `index` is read in this run.
    pub fn source_active(&self, index: usize) -> bool {
        self.selection.is_none_or(|s| s.sources.get(index).copied().unwrap_or(false))
    }

    /// Whether sink `index` is written in this run.
    pub fn sink_active(&self, index: usize) -> bool {
        self.selection.is_none_or(|s| s.sinks.get(index).copied().unwrap_or(false))
    }

    /// Whether sink `index` is swapped for a file with `--output`.
    pub fn outputs_swapped(&self, info: &ProgramInfo, index: usize) -> bool {
        self.outputs.contains_key(info.sinks[index].name)
    }

    /// Whether sink `index` writes Kafka in this run (it is not swapped for a file).
    pub fn writes_kafka(&self, info: &ProgramInfo, index: usize) -> bool {
        matches!(info.sinks[index].kind, SinkKind::Kafka { .. })
            && !self.outputs.contains_key(info.sinks[index].name)
            && self.sink_active(index)
    }

    /// The bootstrap servers: `--brokers`, else the connector's `brokers` option, else
    /// `SLUICE_BROKERS`, else `localhost:9092` (Kafka's own default).
    pub fn brokers_for(&self, option: Option<Setting>) -> Result<String, String> {
        if let Some(brokers) = &self.brokers {
            return Ok(brokers.clone());
        }
        if let Some(setting) = option {
            return setting.resolve().map_err(|e| format!("option `brokers`: {e}"));
        }
        Ok(std::env::var("SLUICE_BROKERS")
            .ok()
            .filter(|b| !b.trim().is_empty())
            .unwrap_or_else(|| "localhost:9092".into()))
    }

    /// The consumer group: `--group`, else the program's name.
    pub fn group_name(&self, info: &ProgramInfo) -> String {
        self.group.clone().unwrap_or_else(|| self.run_name(info))
    }

    /// The program's name, and the pipeline's when one was selected (`stream!`
    /// constructors): two selections of one program keep apart by default.
    fn run_name(&self, info: &ProgramInfo) -> String {
        match &self.selection {
            Some(selection) => format!("{}-{}", info.name, selection.pipeline),
            None => info.name.to_string(),
        }
    }

    /// Where checkpoints go: `--checkpoint-dir`, else `./.sluice/<program>`.
    pub fn checkpoint_path(&self, info: &ProgramInfo) -> String {
        self.checkpoint_dir.clone().unwrap_or_else(|| format!(".sluice/{}", self.run_name(info)))
    }

    /// Where sink `index` writes: `--output` (JSON lines, or CSV for `.csv`), else its own target.
    pub fn sink_target(&self, info: &ProgramInfo, index: usize) -> Result<(SinkTarget, Format), String> {
        let sink = &info.sinks[index];
        crate::io::sink::set_roll_bytes(self.max_file_bytes);
        if let Some(path) = self.outputs.get(sink.name) {
            let format = if path.ends_with(".csv") {
                Format::Csv
            } else if path.ends_with(".parquet") {
                Format::Parquet
            } else {
                Format::Json
            };
            return Ok(if path == "-" {
                (SinkTarget::Stdout, format)
            } else {
                (SinkTarget::File(path.clone()), format)
            });
        }
        match sink.kind {
            SinkKind::File { path } => {
                let dir = path.resolve().map_err(|e| format!("sink `{}`: {e}", sink.name))?;
                Ok(match &self.epoch_files {
                    Some((lineage, epoch)) => {
                        (SinkTarget::EpochDir { dir, lineage: lineage.clone(), epoch: *epoch }, sink.format)
                    }
                    None => (SinkTarget::Dir(dir), sink.format),
                })
            }
            SinkKind::Stdout => Ok((SinkTarget::Stdout, sink.format)),
            SinkKind::Kafka { topic, key, delivery, .. } => {
                let output = self.kafka_output.clone().ok_or_else(|| {
                    format!(
                        "sink `{}` writes Kafka, which needs a Kafka run; write a file instead with `--output {}=PATH`",
                        sink.name, sink.name
                    )
                })?;
                let topic = topic.resolve().map_err(|e| format!("sink `{}`: {e}", sink.name))?;
                Ok((
                    SinkTarget::Kafka { topic, key, exactly_once: delivery == Delivery::ExactlyOnce, output },
                    sink.format,
                ))
            }
            SinkKind::Postgres { url, table, upsert_key, create } => {
                let url = url.resolve().map_err(|e| format!("sink `{}`: option `url`: {e}", sink.name))?;
                let table = table.resolve().map_err(|e| format!("sink `{}`: option `table`: {e}", sink.name))?;
                let connection = self.postgres.connect(&url).map_err(|e| format!("sink `{}`: {e}", sink.name))?;
                let batch_bytes = self.db_batch_bytes;
                Ok((SinkTarget::Postgres { connection, table, upsert_key, create, batch_bytes }, sink.format))
            }
        }
    }

    fn raw_param(&self, name: &str) -> Result<&str, String> {
        self.params.get(name).map(String::as_str).ok_or_else(|| format!("param `{name}` has no value"))
    }

    pub fn param_int(&self, name: &str) -> Result<i64, String> {
        let raw = self.raw_param(name)?;
        raw.replace('_', "").trim().parse().map_err(|_| format!("param `{name}`: `{raw}` is not an int"))
    }
    pub fn param_float(&self, name: &str) -> Result<f64, String> {
        let raw = self.raw_param(name)?;
        raw.replace('_', "").trim().parse().map_err(|_| format!("param `{name}`: `{raw}` is not a float"))
    }
    pub fn param_bool(&self, name: &str) -> Result<bool, String> {
        match self.raw_param(name)?.trim() {
            "true" => Ok(true),
            "false" => Ok(false),
            raw => Err(format!("param `{name}`: `{raw}` is not `true` or `false`")),
        }
    }
    pub fn param_string(&self, name: &str) -> Result<String, String> {
        self.raw_param(name).map(str::to_string)
    }
    pub fn param_duration(&self, name: &str) -> Result<Duration, String> {
        let raw = self.raw_param(name)?;
        parse_duration(raw).ok_or_else(|| format!("param `{name}`: `{raw}` is not a duration (like `10s`, `250ms`)"))
    }
    pub fn param_timestamp(&self, name: &str) -> Result<Timestamp, String> {
        let raw = self.raw_param(name)?.trim();
        raw.parse::<i64>()
            .ok()
            .map(Timestamp)
            .or_else(|| Timestamp::parse_rfc3339(raw))
            .ok_or_else(|| format!("param `{name}`: `{raw}` is not a timestamp (RFC 3339 or epoch millis)"))
    }
}

/// `1MiB`, `512KiB`, `1MB`, `1000` (bytes).
pub fn parse_size(text: &str) -> Option<usize> {
    let text = text.trim().replace('_', "");
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let n: usize = digits.parse().ok()?;
    let scale = match unit.trim() {
        "" | "B" => 1,
        "KB" | "kB" => 1_000,
        "KiB" => 1 << 10,
        "MB" => 1_000_000,
        "MiB" => 1 << 20,
        _ => return None,
    };
    n.checked_mul(scale).filter(|n| *n > 0)
}

/// `10s`, `250ms`, `5m`, `2h`, `1d`, or plain milliseconds.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim().replace('_', "");
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let n: i64 = digits.parse().ok()?;
    let scale = match unit {
        "" | "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return None,
    };
    n.checked_mul(scale).map(Duration)
}

fn unknown<'a>(what: &str, name: &str, known: impl Iterator<Item = &'a str>) -> String {
    let known: Vec<&str> = known.collect();
    if known.is_empty() {
        format!("this program has no {what} named `{name}` (it has none)")
    } else {
        format!("this program has no {what} named `{name}` (it has: {})", known.join(", "))
    }
}

fn format_name(format: Format) -> &'static str {
    match format {
        Format::Json => "json",
        Format::Csv => "csv",
        Format::Text => "text",
        Format::Parquet => "parquet",
    }
}

fn help(info: &ProgramInfo) -> String {
    let mut out = format!(
        "{name}: a sluice pipeline\n\nUsage: {name} [--input NAME=PATH]... [--output NAME=PATH]... [--param NAME=VALUE]...\n\nOptions:\n  \
         -i, --input NAME=PATH     read source NAME from a file instead (same format as declared)\n  \
         -o, --output NAME=PATH    write sink NAME to a file instead (JSON lines; CSV if PATH ends in .csv, Parquet if .parquet; - for stdout)\n  \
         -p, --param NAME=VALUE    set a param (also SLUICE_PARAM_<NAME>)\n      \
         --flush-interval DUR  how often running aggregates emit changed keys [default: 1s]\n      \
         --max-file-size SIZE  a Parquet file sink starts a new file past this size [default: 128MiB]\n      \
         --db-batch-size SIZE  a PostgreSQL sink copies its buffered rows past this size [default: 4MiB]\n\n\
         Kafka (sources and sinks that are not swapped for files):\n      \
         --brokers LIST        bootstrap servers [default: the program's `brokers`, else $SLUICE_BROKERS, else localhost:9092]\n      \
         --kafka-option KEY=VALUE  a librdkafka setting for every client (SASL, TLS, tuning); values are never printed\n      \
         --group NAME          consumer group that offsets are committed to [default: the program's name]\n      \
         --until-end           stop once every input partition has reached its end (the broker's high watermark)\n      \
         --idle-timeout DUR    a partition without records this long stops holding the watermark [default: 30s]\n      \
         --max-drift DUR|off   watermark alignment: hold back a partition whose event time runs this far ahead of the slowest [default: off]\n      \
         --checkpoint-interval DUR  how often state, offsets and outputs are committed [default: 5s]\n      \
         --checkpoint-dir DIR  where checkpoints are kept [default: ./.sluice/<program>]\n      \
         --max-record-size SIZE  a larger message is a bad record (on_error) [default: 1MiB]\n\n  \
         -q, --quiet               no summary on stderr\n  \
         -h, --help                this help\n",
        name = info.name
    );
    out.push_str("\nSources:\n");
    for s in info.sources {
        let place = match s.kind {
            SourceKind::Kafka { topics, .. } => {
                format!("kafka {}", topics.iter().map(|t| t.describe()).collect::<Vec<_>>().join(", "))
            }
            SourceKind::File { path } => format!("file {}", path.describe()),
        };
        let table = if s.table { ", lookup table" } else { "" };
        out.push_str(&format!("  {:<20} {place} ({}{table})\n", s.name, format_name(s.format)));
    }
    out.push_str("\nSinks:\n");
    for s in info.sinks {
        let place = match s.kind {
            SinkKind::Kafka { topic, delivery, .. } => format!(
                "kafka {}, {}",
                topic.describe(),
                if delivery == Delivery::ExactlyOnce { "exactly once" } else { "at least once" }
            ),
            SinkKind::File { path } => format!("file {}", path.describe()),
            SinkKind::Postgres { table, .. } => format!("postgres table {}", table.describe()),
            SinkKind::Stdout => "stdout".to_string(),
        };
        out.push_str(&format!("  {:<20} {place} ({})\n", s.name, format_name(s.format)));
    }
    if !info.params.is_empty() {
        out.push_str("\nParams:\n");
        for p in info.params {
            let default = p.default.map_or("required".to_string(), |d| format!("default {d}"));
            out.push_str(&format!("  {:<20} {} ({default})\n", p.name, p.ty));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const INFO: ProgramInfo = ProgramInfo {
        name: "demo",
        fingerprint: 0,
        stateful: false,
        sources: &[SourceInfo {
            name: "clicks",
            kind: SourceKind::Kafka { topics: &[Setting::Literal("clicks")], brokers: None, start: Start::Earliest },
            format: Format::Json,
            table: false,
            on_error: OnError::Skip,
            columns: &["url"],
        }],
        sinks: &[SinkInfo { name: "out", kind: SinkKind::Stdout, format: Format::Json, columns: &[] }],
        params: &[
            ParamInfo { name: "min_bytes", ty: "int", default: Some("100") },
            ParamInfo { name: "window", ty: "duration", default: Some("10s") },
        ],
    };

    fn args(list: &[&str]) -> Result<Config, CliError> {
        Config::from_args(&INFO, list.iter().map(|s| s.to_string()))
    }

    #[test]
    fn flags() {
        let config = args(&["--input", "clicks=a.jsonl", "--param", "min_bytes=1_000"]).unwrap();
        assert_eq!(config.source_path(&INFO, 0).unwrap(), "a.jsonl");
        assert_eq!(config.param_int("min_bytes").unwrap(), 1000);
        assert_eq!(config.param_duration("window").unwrap(), Duration(10_000));
        assert!(matches!(args(&["--input", "clickz=a"]), Err(CliError::Usage(m)) if m.contains("it has: clicks")));
        assert!(matches!(args(&["--bogus"]), Err(CliError::Usage(_))));
        assert!(matches!(args(&["--param"]), Err(CliError::Usage(_))));
        assert!(matches!(args(&["--help"]), Err(CliError::Help(h)) if h.contains("min_bytes")));
        let config = args(&[]).unwrap();
        assert!(config.source_path(&INFO, 0).unwrap_err().contains("--input clicks=PATH"));
        assert!(args(&["--param", "min_bytes=lots"]).unwrap().param_int("min_bytes").is_err());
    }

    #[test]
    fn kafka_flags_and_secrets() {
        let config = args(&[
            "--brokers",
            "b:1",
            "--kafka-option",
            "sasl.password=canary-s3cret",
            "--until-end",
            "--checkpoint-interval=1s",
            "--max-record-size",
            "2MiB",
        ])
        .unwrap();
        assert_eq!(config.brokers_for(None).unwrap(), "b:1");
        assert!(config.until_end);
        assert_eq!(config.checkpoint_interval_ms, 1000);
        assert_eq!(config.max_record_bytes, 2 << 20);
        assert_eq!(config.group_name(&INFO), "demo");
        assert!(!format!("{config:?}").contains("canary-s3cret"));
        for bad in [&["--kafka-option", "=x"][..], &["--checkpoint-interval", "0s"], &["--max-record-size", "lots"]] {
            match args(bad) {
                Err(CliError::Usage(message)) => assert!(!message.contains("canary"), "{message}"),
                other => panic!("{bad:?} was accepted: {:?}", other.map(|_| ())),
            }
        }
    }
}
