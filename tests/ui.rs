//! The UI corpus: `tests/ui/<CODE>-<slug>.pipe` are wrong programs; each must
//! produce the diagnostic named by its file, and the full rendering (text and
//! JSON) is snapshotted so message changes are reviewed.

use crate::common::{compile_file, render_json, render_plain, workspace_root};
use sluice_compiler::Code;
use std::collections::BTreeSet;

/// Codes no small program can trigger on purpose.
// E0603 only exists inside `stream!`: tests/trybuild/fail/extern_from_file.rs covers it.
const UNTESTABLE: &[Code] = &[Code::E0109, Code::E0603, Code::E0901];

fn expected_code(path: &std::path::Path) -> Code {
    let stem = path.file_stem().unwrap().to_string_lossy();
    let prefix = stem.split('-').next().unwrap();
    Code::parse(prefix).unwrap_or_else(|| panic!("{} does not start with a diagnostic code", path.display()))
}

#[test]
fn ui_programs_give_their_diagnostics() {
    insta::glob!("ui", "*.pipe", |path| {
        let code = expected_code(path);
        let (file, result) = compile_file(path);
        let diagnostics = match result {
            Ok(checked) => checked.warnings,
            Err(diagnostics) => diagnostics,
        };
        assert!(
            diagnostics.iter().any(|d| d.code == code),
            "{} should report {}, but reported:\n{}",
            path.display(),
            code.as_str(),
            render_plain(&diagnostics, &file)
        );
        for diagnostic in diagnostics.iter() {
            assert!(!diagnostic.labels.is_empty(), "{}: every diagnostic points somewhere", path.display());
            assert!(
                diagnostic.help.is_some() || !diagnostic.notes.is_empty(),
                "{}: {} has neither help nor a note",
                path.display(),
                diagnostic.code.as_str()
            );
            assert!(
                !diagnostic.message.ends_with('.') && !diagnostic.message.starts_with(char::is_uppercase),
                "{}: message style: {:?}",
                path.display(),
                diagnostic.message
            );
        }
        let rendered =
            format!("{}\n---- json ----\n{}", render_plain(&diagnostics, &file), render_json(&diagnostics, &file));
        insta::assert_snapshot!("diagnostics", rendered);
    });
}

#[test]
fn every_code_has_a_ui_case() {
    let dir = workspace_root().join("tests/ui");
    let covered: BTreeSet<Code> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|entry| {
            let path = entry.unwrap().path();
            (path.extension()? == "pipe").then(|| expected_code(&path))
        })
        .collect();
    let missing: Vec<&str> = Code::ALL
        .iter()
        .filter(|code| !covered.contains(code) && !UNTESTABLE.contains(code))
        .map(|code| code.as_str())
        .collect();
    assert!(missing.is_empty(), "codes without a tests/ui case: {missing:?}");
    let count = std::fs::read_dir(&dir)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "pipe"))
        .count();
    assert!(count >= 60, "expected at least 60 ui programs, found {count}");
}

#[test]
fn every_code_is_documented() {
    let page = std::fs::read_to_string(workspace_root().join("docs/errors.md")).expect("docs/errors.md");
    let generated = sluice_compiler::diagnostics::codes_reference();
    if page != generated {
        if std::env::var_os("SLUICE_UPDATE_DOCS").is_some() {
            std::fs::write(workspace_root().join("docs/errors.md"), &generated).unwrap();
        } else {
            panic!("docs/errors.md is out of date with the code registry; run `SLUICE_UPDATE_DOCS=1 cargo test -p sluice-tests every_code_is_documented`");
        }
    }
}
