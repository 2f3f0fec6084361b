//! Golden end-to-end tests: each `tests/golden/<name>/` runs a program on
//! fixture files under `sluice test` (a real build of the generated crate and
//! a real run of the binary) and compares every sink with `expected/`.
//!
//! Layout of a case:
//! - the program: `tests/golden/<name>/pipeline.pipe`, or else `examples/pipes/<name>.pipe`;
//! - `input/<source>.<jsonl|csv|txt>`: the records of each source;
//! - `expected/<sink>.jsonl`: the records each sink must receive (a multiset;
//!   the last row per key for running aggregates) — derived by hand, see `NOTES.md`;
//! - `params` (optional): `NAME=VALUE` lines.

use crate::common::workspace_root;
use sluice_compiler::cli::test::{run_test, TestError};
use std::path::{Path, PathBuf};

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.map(|e| e.unwrap().path()).filter(|p| p.is_file()).collect())
        .unwrap_or_default();
    out.sort();
    out
}

fn stem(path: &Path) -> String {
    path.file_stem().unwrap().to_string_lossy().to_string()
}

#[test]
fn golden_programs_produce_their_expected_outputs() {
    let root = workspace_root();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(root.join("tests/golden"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    let mut failures = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        let program = if case.join("pipeline.pipe").is_file() {
            case.join("pipeline.pipe")
        } else {
            root.join("examples/pipes").join(format!("{name}.pipe"))
        };
        assert!(program.is_file(), "golden case `{name}` has no program ({})", program.display());
        // Paths relative to the repository root, where the program runs, so dead
        // letters name their input the same way wherever the repository is.
        let relative = |p: &PathBuf| p.strip_prefix(&root).unwrap_or(p).display().to_string();
        let inputs: Vec<(String, String)> = files(&case.join("input")).iter().map(|p| (stem(p), relative(p))).collect();
        let expects: Vec<(String, String)> =
            files(&case.join("expected")).iter().map(|p| (stem(p), relative(p))).collect();
        assert!(!expects.is_empty(), "golden case `{name}` expects nothing");
        let params: Vec<String> = std::fs::read_to_string(case.join("params"))
            .map(|text| {
                text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(String::from).collect()
            })
            .unwrap_or_default();
        match run_test(&program, &inputs, &expects, &params, false, Some(&root)) {
            Ok(reports) => {
                for report in reports.iter().filter(|r| !r.passed()) {
                    failures.push(format!("{name}: {report}"));
                }
            }
            Err(TestError::Usage(message) | TestError::Failed(message)) => failures.push(format!("{name}: {message}")),
        }
    }
    assert!(failures.is_empty(), "{} golden failures:\n{}", failures.len(), failures.join("\n"));
    eprintln!("{} golden cases passed", cases.len());
}
