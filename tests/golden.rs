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

/// Every golden case, in order: (name, its directory, its program).
pub fn cases() -> Vec<(String, PathBuf, PathBuf)> {
    let root = workspace_root();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root.join("tests/golden"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs.into_iter()
        .map(|case| {
            let name = case.file_name().unwrap().to_string_lossy().to_string();
            let program = if case.join("pipeline.pipe").is_file() {
                case.join("pipeline.pipe")
            } else {
                root.join("examples/pipes").join(format!("{name}.pipe"))
            };
            assert!(program.is_file(), "golden case `{name}` has no program ({})", program.display());
            (name, case, program)
        })
        .collect()
}

#[test]
fn golden_programs_produce_their_expected_outputs() {
    let root = workspace_root();
    let mut failures = Vec::new();
    let cases = cases();
    for (name, case, program) in &cases {
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
        match run_test(program, &inputs, &expects, &params, false, Some(&root)) {
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

/// The independent references (`reference.py`, written from the spec) still
/// produce the expected files the goldens compare against.
#[test]
fn golden_references_reproduce_their_expectations() {
    let root = workspace_root();
    let mut checked = 0;
    for entry in std::fs::read_dir(root.join("tests/golden")).unwrap() {
        let case = entry.unwrap().path();
        if !case.join("reference.py").is_file() {
            continue;
        }
        let copy = tempfile::tempdir().unwrap();
        // Only the inputs: every expected file must be written by the script.
        std::fs::create_dir_all(copy.path().join("input")).unwrap();
        std::fs::create_dir_all(copy.path().join("expected")).unwrap();
        for file in files(&case.join("input")) {
            std::fs::copy(&file, copy.path().join("input").join(file.file_name().unwrap())).unwrap();
        }
        for file in files(&case) {
            std::fs::copy(&file, copy.path().join(file.file_name().unwrap())).unwrap();
        }
        // Everything the script reads (the program, udf files) sits next to it.
        if case.join("udf").is_dir() {
            std::fs::create_dir_all(copy.path().join("udf")).unwrap();
            for file in files(&case.join("udf")) {
                std::fs::copy(&file, copy.path().join("udf").join(file.file_name().unwrap())).unwrap();
            }
        }
        let output = std::process::Command::new("python3")
            .arg("reference.py")
            .current_dir(copy.path())
            .output()
            .expect("python3 runs (it is on every machine this project builds on)");
        assert!(
            output.status.success(),
            "{}: reference.py failed: {}",
            case.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        for expected in files(&case.join("expected")) {
            let regenerated = copy.path().join("expected").join(expected.file_name().unwrap());
            let want = std::fs::read_to_string(&expected).unwrap();
            match std::fs::read_to_string(&regenerated) {
                Ok(derived) => {
                    assert_eq!(want, derived, "{} differs from what reference.py derives", expected.display())
                }
                // An expected empty file (nothing may reach that sink) needs no derivation.
                Err(_) => assert!(want.trim().is_empty(), "reference.py does not derive {}", expected.display()),
            }
        }
        checked += 1;
    }
    assert!(checked >= 10, "expected the golden cases to carry their references, found {checked}");
}

/// The `fraud_rules` case runs a copy of the example without its wall-clock
/// field; the copy must stay the example otherwise.
#[test]
fn fraud_rules_golden_copy_matches_the_example() {
    let root = workspace_root();
    let example = std::fs::read_to_string(root.join("examples/pipes/fraud_rules.pipe")).unwrap();
    let copy = std::fs::read_to_string(root.join("tests/golden/fraud_rules/pipeline.pipe")).unwrap();
    let derived: Vec<String> = example
        .lines()
        .filter(|line| !line.contains("millis(now() - ts)"))
        .map(|line| line.replace("\"udf/score.rs\"", "\"../../../examples/pipes/udf/score.rs\""))
        .collect();
    // The copy opens with a comment saying what differs, then a blank line.
    let body: Vec<&str> = copy.lines().skip_while(|line| line.starts_with("// ")).skip(1).collect();
    assert_eq!(body, derived, "tests/golden/fraud_rules/pipeline.pipe drifted from the example");
}
