//! Every example program checks cleanly, and its typed plan is snapshotted
//! (what `sluice explain` prints), so reviewers see plan changes.

use crate::common::{compile_file, render_plain, workspace_root};
use sluice_compiler::plan::{explain_dot, explain_text};

#[test]
fn examples_check_and_their_plans_are_stable() {
    let dir = workspace_root().join("examples/pipes");
    let mut count = 0;
    insta::glob!("../examples/pipes", "*.pipe", |path| {
        count += 1;
        let (file, result) = compile_file(path);
        let checked = match result {
            Ok(checked) => checked,
            Err(diagnostics) => panic!("{} has errors:\n{}", path.display(), render_plain(&diagnostics, &file)),
        };
        assert!(
            checked.warnings.is_empty(),
            "{} has warnings:\n{}",
            path.display(),
            render_plain(&checked.warnings, &file)
        );
        insta::assert_snapshot!("plan", explain_text(&checked.plan, &file));
        // The graph must at least be well-formed and mention every pipeline.
        let dot = explain_dot(&checked.plan, &file);
        assert!(dot.starts_with("digraph sluice {") && dot.trim_end().ends_with('}'));
        for pipeline in &checked.plan.pipelines {
            assert!(dot.contains(&format!("pipeline {}", pipeline.name)));
        }
    });
    assert!(count >= 8, "expected at least 8 examples in {}, found {count}", dir.display());
}
