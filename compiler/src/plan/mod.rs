//! The typed plan: what a checked program means, with no syntax left. Code
//! generation consumes it; `sluice explain` prints it. Spans are kept only to
//! point generated code and runtime errors back at the program.

mod explain;
mod expr;
mod fuse;
mod types;

pub use explain::{explain_dot, explain_text, stage_keyword};
pub use expr::{AggCall, AggFunc, BinOp, Builtin, Literal, TExpr, TExprKind, UnOp};
pub use fuse::{segments, Chain, ChainEnd, Segment, SegmentStart};
pub use types::{Field, RecordType, Type};

use crate::source::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourceId(pub usize);
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SinkId(pub usize);
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PipelineId(pub usize);

#[derive(Clone, Debug, Default)]
pub struct TypedPlan {
    pub schemas: Vec<RecordType>,
    pub params: Vec<ParamPlan>,
    pub externs: Vec<ExternPlan>,
    pub sources: Vec<SourcePlan>,
    pub sinks: Vec<SinkPlan>,
    /// In dependency order: a pipeline comes after every stream it reads.
    pub pipelines: Vec<PipelinePlan>,
}

impl TypedPlan {
    pub fn pipeline(&self, id: PipelineId) -> &PipelinePlan {
        &self.pipelines[id.0]
    }
    pub fn source(&self, id: SourceId) -> &SourcePlan {
        &self.sources[id.0]
    }
    pub fn sink(&self, id: SinkId) -> &SinkPlan {
        &self.sinks[id.0]
    }
    /// The pipelines that read a named stream.
    pub fn readers_of(&self, id: PipelineId) -> Vec<PipelineId> {
        self.pipelines
            .iter()
            .enumerate()
            .filter(|(_, p)| p.inputs.contains(&Input::Stream(id)))
            .map(|(i, _)| PipelineId(i))
            .collect()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ParamPlan {
    pub name: String,
    pub ty: Type,
    /// None: the param must be given at run time.
    pub default: Option<Literal>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ExternPlan {
    pub name: String,
    pub params: Vec<Field>,
    pub ret: Type,
    /// The Rust file to include (a `.pipe` program); None inside `stream!`.
    pub path: Option<String>,
    pub span: Span,
}

/// A string setting that may come from the environment at run time.
#[derive(Clone, Debug, PartialEq)]
pub enum Setting {
    Literal(String),
    Env { var: String, default: Option<String> },
}

impl std::fmt::Display for Setting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Setting::Literal(text) => write!(f, "{text:?}"),
            Setting::Env { var, default: None } => write!(f, "env({var:?})"),
            Setting::Env { var, default: Some(default) } => write!(f, "env({var:?}, {default:?})"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    Text,
    Parquet,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Text => "text",
            Format::Parquet => "parquet",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartFrom {
    Earliest,
    Latest,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ErrorPolicy {
    Skip,
    Fail,
    DeadLetter(SinkId),
}

#[derive(Clone, Debug, PartialEq)]
pub enum SourceConnector {
    Kafka { topics: Vec<Setting>, brokers: Option<Setting>, start: StartFrom },
    File { path: Setting },
}

#[derive(Clone, Debug, PartialEq)]
pub struct SourcePlan {
    pub name: String,
    pub span: Span,
    pub record: RecordType,
    pub connector: SourceConnector,
    pub format: Format,
    pub event_time: Option<String>,
    pub key: Option<String>,
    pub on_error: ErrorPolicy,
    /// Loaded as a lookup table for `join` (latest value per key).
    pub table: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    ExactlyOnce,
    AtLeastOnce,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteMode {
    Insert,
    Upsert,
}

#[derive(Clone, Debug, PartialEq)]
pub enum SinkConnector {
    Kafka { topic: Setting, brokers: Option<Setting>, key: Option<String>, delivery: Delivery },
    File { path: Setting },
    Postgres { url: Setting, table: Setting, mode: WriteMode, key: Vec<String>, create: bool },
    Stdout,
}

impl SinkConnector {
    pub fn kind(&self) -> &'static str {
        match self {
            SinkConnector::Kafka { .. } => "kafka",
            SinkConnector::File { .. } => "file",
            SinkConnector::Postgres { .. } => "postgres",
            SinkConnector::Stdout => "stdout",
        }
    }
}

/// What writes into a sink.
#[derive(Clone, Debug, PartialEq)]
pub enum Writer {
    Pipeline(PipelineId),
    Late { pipeline: PipelineId, stage: usize },
    DeadLetters(SourceId),
}

#[derive(Clone, Debug, PartialEq)]
pub struct SinkPlan {
    pub name: String,
    pub span: Span,
    pub connector: SinkConnector,
    pub format: Format,
    /// The record type written; None when nothing writes to the sink.
    pub record: Option<RecordType>,
    pub writers: Vec<Writer>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    Source(SourceId),
    Stream(PipelineId),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Output {
    Sink(SinkId),
    /// A named stream, read by other pipelines.
    Stream,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PipelinePlan {
    pub name: String,
    pub span: Span,
    pub inputs: Vec<Input>,
    /// The record type entering the first stage.
    pub input_record: RecordType,
    pub stages: Vec<Stage>,
    pub output: Output,
    /// The record type leaving the last stage.
    pub output_record: RecordType,
    /// The field carrying the source's event time at the output, if it survives.
    pub event_time: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Stage {
    pub span: Span,
    pub kind: StageKind,
    pub input: RecordType,
    pub output: RecordType,
}

/// A duration known at compile time, or read from a `duration` param at start.
#[derive(Clone, Debug, PartialEq)]
pub enum DurationSpec {
    Millis(i64),
    Param(String),
}

impl std::fmt::Display for DurationSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DurationSpec::Millis(ms) => f.write_str(&format_duration(*ms)),
            DurationSpec::Param(name) => write!(f, "param {name}"),
        }
    }
}

/// `90000` -> `1m30s`.
pub fn format_duration(mut ms: i64) -> String {
    if ms == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    if ms < 0 {
        out.push('-');
        ms = -ms;
    }
    for (unit, size) in [("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1_000), ("ms", 1)] {
        if ms >= size {
            out.push_str(&format!("{}{unit}", ms / size));
            ms %= size;
        }
    }
    out
}

#[derive(Clone, Debug, PartialEq)]
pub enum TimeSource {
    /// A timestamp field of the stage's input.
    Event(String),
    Processing,
}

#[derive(Clone, Debug, PartialEq)]
pub enum WindowKind {
    Tumbling { size: DurationSpec },
    Sliding { size: DurationSpec, slide: DurationSpec },
    Session { gap: DurationSpec },
}

#[derive(Clone, Debug, PartialEq)]
pub struct WindowSpec {
    pub kind: WindowKind,
    pub time: TimeSource,
    pub watermark: DurationSpec,
    pub late_sink: Option<SinkId>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StageKind {
    /// Keep records where the predicate is true (null is false).
    Filter { predicate: TExpr },
    /// Build a new record of exactly these fields (`select`, and `extend`, which
    /// lists the fields it keeps as plain field reads).
    Project { fields: Vec<(String, TExpr)> },
    /// One record per element of a list field.
    Explode { list_field: String, element_field: String },
    /// Drop records whose key was kept within `within` of event time.
    Dedupe { keys: Vec<TExpr>, within: DurationSpec, time: TimeSource },
    /// Keyed aggregation, windowed or running.
    Aggregate {
        keys: Vec<(String, TExpr)>,
        window: Option<WindowSpec>,
        calls: Vec<AggCall>,
        /// Output aggregate fields, as expressions over `calls` and keys.
        outputs: Vec<(String, TExpr)>,
    },
    /// Enrich from a table source.
    Join { table: SourceId, stream_key: TExpr, table_field: String, outer: bool },
}

impl StageKind {
    pub fn name(&self) -> &'static str {
        match self {
            StageKind::Filter { .. } => "where",
            StageKind::Project { .. } => "select",
            StageKind::Explode { .. } => "explode",
            StageKind::Dedupe { .. } => "dedupe",
            StageKind::Aggregate { window: Some(_), .. } => "window aggregate",
            StageKind::Aggregate { .. } => "running aggregate",
            StageKind::Join { outer: true, .. } => "left join",
            StageKind::Join { .. } => "join",
        }
    }

    /// Stages whose output is emitted later than their input arrives (on the
    /// watermark or a flush): a fused chain ends at them.
    pub fn is_emitter(&self) -> bool {
        matches!(self, StageKind::Aggregate { .. })
    }
}

/// The state a stage keeps between records, and what bounds it.
#[derive(Clone, Debug, PartialEq)]
pub struct StateInfo {
    pub what: String,
    pub bound: StateBound,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StateBound {
    /// Entries are dropped once the watermark (or the clock) passes them.
    Watermark(String),
    /// Grows with the number of distinct keys.
    KeySpace,
    /// As large as the table.
    Table,
}

impl Stage {
    /// The state this stage keeps, if any.
    pub fn state(&self, plan: &TypedPlan) -> Option<StateInfo> {
        match &self.kind {
            StageKind::Dedupe { within, time, .. } => Some(StateInfo {
                what: "last kept event time per key".into(),
                bound: StateBound::Watermark(match time {
                    TimeSource::Processing => format!("a key expires {within} after it was kept (processing time)"),
                    TimeSource::Event(field) => {
                        format!("a key expires once the watermark on `{field}` passes its kept time + {within}")
                    }
                }),
            }),
            StageKind::Aggregate { window, calls, .. } => {
                let grows = calls.iter().any(|c| matches!(c.func, AggFunc::CountDistinct | AggFunc::Collect));
                let per = if grows { " (count_distinct/collect also grow with the values per group)" } else { "" };
                Some(match window {
                    Some(window) => StateInfo {
                        what: format!("one accumulator per key and open window{per}"),
                        bound: StateBound::Watermark(match &window.time {
                            TimeSource::Processing => "a window is dropped when the clock passes its end".into(),
                            TimeSource::Event(field) => format!(
                                "a window is dropped once the watermark on `{field}` (max event time - {}) passes its end",
                                window.watermark
                            ),
                        }),
                    },
                    None => StateInfo { what: format!("one accumulator per key{per}"), bound: StateBound::KeySpace },
                })
            }
            StageKind::Join { table, .. } => Some(StateInfo {
                what: format!("the table `{}`, latest row per key", plan.source(*table).name),
                bound: StateBound::Table,
            }),
            _ => None,
        }
    }
}
