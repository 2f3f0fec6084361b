//! What a generated binary knows about its program, and its command line:
//! `--input NAME=PATH`, `--output NAME=PATH`, `--param NAME=VALUE`, `--help`.

use crate::io::{Format, SinkTarget};
use crate::time::{Duration, Timestamp};
use std::collections::HashMap;

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

#[derive(Clone, Copy, Debug)]
pub enum SourceKind {
    Kafka { topics: &'static [Setting] },
    File { path: Setting },
}

#[derive(Clone, Copy, Debug)]
pub struct SourceInfo {
    pub name: &'static str,
    pub kind: SourceKind,
    pub format: Format,
    pub table: bool,
    pub on_error: OnError,
}

#[derive(Clone, Copy, Debug)]
pub enum SinkKind {
    Kafka { topic: Setting },
    File { path: Setting },
    Postgres { table: Setting },
    Stdout,
}

#[derive(Clone, Copy, Debug)]
pub struct SinkInfo {
    pub name: &'static str,
    pub kind: SinkKind,
    pub format: Format,
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
    pub sources: &'static [SourceInfo],
    pub sinks: &'static [SinkInfo],
    pub params: &'static [ParamInfo],
}

/// Why the command line was not accepted.
#[derive(Debug)]
pub enum CliError {
    Help(String),
    Usage(String),
}

#[derive(Clone, Debug)]
pub struct Config {
    inputs: HashMap<String, String>,
    outputs: HashMap<String, String>,
    params: HashMap<String, String>,
    /// How often running aggregates emit changed keys and processing time advances.
    pub flush_interval_ms: u64,
    /// No summary on stderr.
    pub quiet: bool,
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
                "--flush-interval" => {
                    let value = inline.or_else(|| args.next()).unwrap_or_default();
                    config.flush_interval_ms = parse_duration(&value)
                        .filter(|d| d.0 > 0)
                        .ok_or_else(|| {
                            CliError::Usage(format!("`--flush-interval {value}`: expected a duration such as `1s`"))
                        })?
                        .0 as u64;
                }
                "-q" | "--quiet" => config.quiet = true,
                other => {
                    return Err(CliError::Usage(format!("unknown argument `{other}` (see `{} --help`)", info.name)));
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
                "source `{}` reads Kafka, which this build does not support yet; read a file instead with `--input {}=PATH`",
                source.name, source.name
            )),
        }
    }

    /// Where sink `index` writes: `--output` (JSON lines, or CSV for `.csv`), else its own target.
    pub fn sink_target(&self, info: &ProgramInfo, index: usize) -> Result<(SinkTarget, Format), String> {
        let sink = &info.sinks[index];
        if let Some(path) = self.outputs.get(sink.name) {
            let format = if path.ends_with(".csv") { Format::Csv } else { Format::Json };
            return Ok(if path == "-" {
                (SinkTarget::Stdout, format)
            } else {
                (SinkTarget::File(path.clone()), format)
            });
        }
        match sink.kind {
                        SinkKind::File { path } => {
                Ok((SinkTarget::Dir(path.resolve().map_err(|e| format!("sink `{}`: {e}", sink.name))?), sink.format))
            }
            SinkKind::Stdout => Ok((SinkTarget::Stdout, sink.format)),
            SinkKind::Kafka { .. } | SinkKind::Postgres { .. } => Err(format!(
                "sink `{}` writes to {}, which this build does not support yet; write a file instead with `--output {}=PATH`",
                sink.name,
                if matches!(sink.kind, SinkKind::Kafka { .. }) { "Kafka" } else { "PostgreSQL" },
                sink.name
            )),
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
         -o, --output NAME=PATH    write sink NAME to a file instead (JSON lines; CSV if PATH ends in .csv; - for stdout)\n  \
         -p, --param NAME=VALUE    set a param (also SLUICE_PARAM_<NAME>)\n      \
         --flush-interval DUR  how often running aggregates emit changed keys [default: 1s]\n  \
         -q, --quiet               no summary on stderr\n  \
         -h, --help                this help\n",
        name = info.name
    );
    out.push_str("\nSources:\n");
    for s in info.sources {
        let place = match s.kind {
            SourceKind::Kafka { topics } => {
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
            SinkKind::Kafka { topic } => format!("kafka {}", topic.describe()),
            SinkKind::File { path } => format!("file {}", path.describe()),
            SinkKind::Postgres { table } => format!("postgres table {}", table.describe()),
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
        sources: &[SourceInfo {
            name: "clicks",
            kind: SourceKind::Kafka { topics: &[Setting::Literal("clicks")] },
            format: Format::Json,
            table: false,
            on_error: OnError::Skip,
        }],
        sinks: &[SinkInfo { name: "out", kind: SinkKind::Stdout, format: Format::Json }],
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
}
