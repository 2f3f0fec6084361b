//! `sluice test`: run a program on files, with no broker, and compare each
//! sink's output with an expected file as a multiset of records (for a running
//! aggregate: the last row per key). Our `TopologyTestDriver`.

use super::build::{build, cache_dir, program_name, BuildArgs};
use super::{check_options_for, read_program, ColorChoice};
use crate::plan::{Output, StageKind, TypedPlan, Writer};
use clap::Args;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

#[derive(Args, Debug)]
pub struct TestArgs {
    /// The `.pipe` program.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Read source NAME from PATH.
    #[arg(long = "input", value_name = "NAME=PATH")]
    pub inputs: Vec<String>,
    /// Compare sink NAME with the records in PATH (JSON lines).
    #[arg(long = "expect", value_name = "NAME=PATH")]
    pub expects: Vec<String>,
    /// Set a param.
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// Build without optimizations.
    #[arg(long)]
    pub debug: bool,
}

fn split(flag: &str, value: &str) -> Result<(String, String), String> {
    value
        .split_once('=')
        .filter(|(name, _)| !name.is_empty())
        .map(|(n, p)| (n.to_string(), p.to_string()))
        .ok_or_else(|| format!("`{flag} {value}`: expected NAME=PATH"))
}

pub fn read_records(path: &Path) -> Result<Vec<Value>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            serde_json::from_str(line).map_err(|e| format!("`{}` line {}: not JSON: {e}", path.display(), i + 1))
        })
        .collect()
}

/// The group keys when a sink receives a running aggregate's rows.
pub fn running_keys(plan: &TypedPlan, sink: &str) -> Option<Vec<String>> {
    let sink = plan.sinks.iter().find(|s| s.name == sink)?;
    sink.writers.iter().find_map(|writer| {
        let Writer::Pipeline(p) = writer else { return None };
        let pipeline = plan.pipeline(*p);
        if !matches!(pipeline.output, Output::Sink(_)) {
            return None;
        }
        pipeline.stages.iter().rev().find_map(|stage| match &stage.kind {
            StageKind::Aggregate { keys, window: None, .. } => Some(keys.iter().map(|(k, _)| k.clone()).collect()),
            _ => None,
        })
    })
}

/// Keeps the last row per key.
pub fn last_per_key(records: Vec<Value>, keys: &[String]) -> Vec<Value> {
    let mut last: BTreeMap<String, Value> = BTreeMap::new();
    for record in records {
        let key: Vec<String> = keys.iter().map(|k| record.get(k).map(Value::to_string).unwrap_or_default()).collect();
        last.insert(key.join("\u{1f}"), record);
    }
    last.into_values().collect()
}

/// Differences between two multisets: (missing, unexpected).
pub fn multiset_diff(expected: &[Value], actual: &[Value]) -> (Vec<String>, Vec<String>) {
    let mut counts: BTreeMap<String, i64> = BTreeMap::new();
    for v in expected {
        *counts.entry(v.to_string()).or_default() += 1;
    }
    for v in actual {
        *counts.entry(v.to_string()).or_default() -= 1;
    }
    let mut missing = Vec::new();
    let mut unexpected = Vec::new();
    for (record, n) in counts {
        for _ in 0..n.max(0) {
            missing.push(record.clone());
        }
        for _ in 0..(-n).max(0) {
            unexpected.push(record.clone());
        }
    }
    (missing, unexpected)
}

/// The comparison for one sink.
#[derive(Debug)]
pub struct SinkReport {
    pub sink: String,
    pub expected: usize,
    pub produced: usize,
    /// " (last row per key of [..])" for running aggregates.
    pub mode: String,
    pub missing: Vec<String>,
    pub unexpected: Vec<String>,
}

impl SinkReport {
    pub fn passed(&self) -> bool {
        self.missing.is_empty() && self.unexpected.is_empty()
    }
}

impl std::fmt::Display for SinkReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.passed() {
            return write!(f, "ok: sink `{}`: {} records as expected{}", self.sink, self.produced, self.mode);
        }
        writeln!(f, "FAIL: sink `{}`{}: {} expected, {} produced", self.sink, self.mode, self.expected, self.produced)?;
        for record in self.missing.iter().take(20) {
            writeln!(f, "  - missing:    {record}")?;
        }
        for record in self.unexpected.iter().take(20) {
            writeln!(f, "  + unexpected: {record}")?;
        }
        if self.missing.len() > 20 || self.unexpected.len() > 20 {
            writeln!(f, "  ... ({} missing, {} unexpected in all)", self.missing.len(), self.unexpected.len())?;
        }
        Ok(())
    }
}

/// Why a test could not run: a usage problem (exit 2) or a failed build/run (exit 1).
#[derive(Debug)]
pub enum TestError {
    Usage(String),
    Failed(String),
}

/// Builds and runs `file` on the inputs, compares each expected sink. The
/// program runs in `working_dir` when given (relative paths are relative to it).
pub fn run_test(
    file_path: &Path,
    inputs: &[(String, String)],
    expects: &[(String, String)],
    params: &[String],
    debug: bool,
    working_dir: Option<&Path>,
) -> Result<Vec<SinkReport>, TestError> {
    let file = read_program(&file_path.to_path_buf()).map_err(TestError::Usage)?;
    let plan = match crate::compile_to_plan(&file, &check_options_for(file_path)) {
        Ok(checked) => checked.plan,
        Err(_) => TypedPlan::default(), // `build` prints the diagnostics
    };
    for (name, _) in expects {
        if !plan.sinks.is_empty() && !plan.sinks.iter().any(|s| &s.name == name) {
            let names: Vec<&str> = plan.sinks.iter().map(|s| s.name.as_str()).collect();
            return Err(TestError::Usage(format!(
                "`--expect {name}=...`: the program has no sink `{name}` (it has: {})",
                names.join(", ")
            )));
        }
    }
    let binary =
        cache_dir().join("bin").join(format!("{}_{}", program_name(file_path), super::build::location_tag(file_path)));
    let build_args = BuildArgs {
        file: file_path.to_path_buf(),
        output: Some(binary),
        emit_rust: None,
        debug,
        color: ColorChoice::Auto,
    };
    let built =
        build(&build_args).map_err(|_| TestError::Failed(format!("`{}` did not build", file_path.display())))?;
    let out_dir =
        tempfile::tempdir().map_err(|e| TestError::Usage(format!("cannot create a temporary directory: {e}")))?;
    let mut command = Command::new(&built.binary);
    command.arg("--quiet");
    if let Some(dir) = working_dir {
        command.current_dir(dir);
    }
    for (name, path) in inputs {
        command.arg("--input").arg(format!("{name}={path}"));
    }
    for param in params {
        command.arg("--param").arg(param);
    }
    // Every sink goes to a file: the expected ones are compared, the others kept out of the way.
    for sink in &plan.sinks {
        command.arg("--output").arg(format!(
            "{}={}",
            sink.name,
            out_dir.path().join(format!("{}.jsonl", sink.name)).display()
        ));
    }
    let status =
        command.status().map_err(|e| TestError::Usage(format!("cannot run `{}`: {e}", built.binary.display())))?;
    if !status.success() {
        return Err(TestError::Failed(format!("`{}` exited with {status}", file_path.display())));
    }
    let mut reports = Vec::new();
    for (name, expected_path) in expects {
        let expected_file = match working_dir {
            Some(dir) => dir.join(expected_path),
            None => PathBuf::from(expected_path),
        };
        let mut expected = read_records(&expected_file).map_err(TestError::Usage)?;
        let actual_path = out_dir.path().join(format!("{name}.jsonl"));
        let mut actual =
            if actual_path.exists() { read_records(&actual_path).map_err(TestError::Failed)? } else { Vec::new() };
        let mode = match running_keys(&plan, name) {
            Some(keys) => {
                actual = last_per_key(actual, &keys);
                expected = last_per_key(expected, &keys);
                format!(" (last row per key of [{}])", keys.join(", "))
            }
            None => String::new(),
        };
        let (missing, unexpected) = multiset_diff(&expected, &actual);
        reports.push(SinkReport {
            sink: name.clone(),
            expected: expected.len(),
            produced: actual.len(),
            mode,
            missing,
            unexpected,
        });
    }
    Ok(reports)
}

pub fn run(args: &TestArgs) -> ExitCode {
    let mut inputs = Vec::new();
    let mut expects = Vec::new();
    for value in &args.inputs {
        match split("--input", value) {
            Ok(pair) => inputs.push(pair),
            Err(message) => return usage(&message),
        }
    }
    for value in &args.expects {
        match split("--expect", value) {
            Ok(pair) => expects.push(pair),
            Err(message) => return usage(&message),
        }
    }
    match run_test(&args.file, &inputs, &expects, &args.params, args.debug, None) {
        Err(TestError::Usage(message)) => usage(&message),
        Err(TestError::Failed(message)) => {
            eprintln!("FAIL: {message}");
            ExitCode::from(1)
        }
        Ok(reports) => {
            let mut failed = false;
            for report in &reports {
                print!("{report}");
                if report.passed() {
                    println!();
                }
                failed |= !report.passed();
            }
            if failed {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
    }
}

fn usage(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(2)
}
