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

fn read_records(path: &Path) -> Result<Vec<Value>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| serde_json::from_str(line).map_err(|e| format!("`{}` line {}: not JSON: {e}", path.display(), i + 1)))
        .collect()
}

/// The group keys when a sink receives a running aggregate's rows.
fn running_keys(plan: &TypedPlan, sink: &str) -> Option<Vec<String>> {
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
fn last_per_key(records: Vec<Value>, keys: &[String]) -> Vec<Value> {
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
    let file = match read_program(&args.file) {
        Ok(file) => file,
        Err(message) => return usage(&message),
    };
    let plan = match crate::compile_to_plan(&file, &check_options_for(&args.file)) {
        Ok(checked) => checked.plan,
        Err(_) => TypedPlan::default(), // `build` prints the diagnostics
    };
    for (name, _) in &expects {
        if !plan.sinks.is_empty() && !plan.sinks.iter().any(|s| &s.name == name) {
            let names: Vec<&str> = plan.sinks.iter().map(|s| s.name.as_str()).collect();
            return usage(&format!("`--expect {name}=...`: the program has no sink `{name}` (it has: {})", names.join(", ")));
        }
    }
    let binary = cache_dir().join("bin").join(program_name(&args.file));
    let build_args = BuildArgs { file: args.file.clone(), output: Some(binary), emit_rust: None, debug: args.debug, color: ColorChoice::Auto };
    let built = match build(&build_args) {
        Ok(built) => built,
        Err(code) => return code,
    };
    let out_dir = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(e) => return usage(&format!("cannot create a temporary directory: {e}")),
    };
    let mut command = Command::new(&built.binary);
    command.arg("--quiet");
    for (name, path) in &inputs {
        command.arg("--input").arg(format!("{name}={path}"));
    }
    for param in &args.params {
        command.arg("--param").arg(param);
    }
    // Every sink goes to a file: the expected ones are compared, the others kept out of the way.
    for sink in &plan.sinks {
        command.arg("--output").arg(format!("{}={}", sink.name, out_dir.path().join(format!("{}.jsonl", sink.name)).display()));
    }
    let status = match command.status() {
        Ok(status) => status,
        Err(e) => return usage(&format!("cannot run `{}`: {e}", built.binary.display())),
    };
    if !status.success() {
        eprintln!("FAIL: `{}` exited with {status}", args.file.display());
        return ExitCode::from(1);
    }
    let mut failed = false;
    for (name, expected_path) in &expects {
        let expected = match read_records(Path::new(expected_path)) {
            Ok(records) => records,
            Err(message) => return usage(&message),
        };
        let actual_path = out_dir.path().join(format!("{name}.jsonl"));
        let mut actual = if actual_path.exists() { read_records(&actual_path).unwrap_or_default() } else { Vec::new() };
        let mut expected = expected;
        let mode = match running_keys(&plan, name) {
            Some(keys) => {
                actual = last_per_key(actual, &keys);
                expected = last_per_key(expected, &keys);
                format!(" (last row per key of [{}])", keys.join(", "))
            }
            None => String::new(),
        };
        let (missing, unexpected) = multiset_diff(&expected, &actual);
        if missing.is_empty() && unexpected.is_empty() {
            println!("ok: sink `{name}`: {} records as expected{mode}", actual.len());
            continue;
        }
        failed = true;
        println!("FAIL: sink `{name}`{mode}: {} expected, {} produced", expected.len(), actual.len());
        for record in missing.iter().take(20) {
            println!("  - missing:    {record}");
        }
        for record in unexpected.iter().take(20) {
            println!("  + unexpected: {record}");
        }
        if missing.len() > 20 || unexpected.len() > 20 {
            println!("  ... ({} missing, {} unexpected in all)", missing.len(), unexpected.len());
        }
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn usage(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(2)
}
