//! Snapshots of the Rust generated for a few examples, so reviewers see every
//! change to the generated code.

use crate::common::{compile_file, render_plain, workspace_root};
use sluice_compiler::codegen::{generate, CodegenOptions};

fn generated(name: &str) -> String {
    let path = workspace_root().join("examples/pipes").join(format!("{name}.pipe"));
    let (file, result) = compile_file(&path);
    let checked = result.unwrap_or_else(|d| panic!("{name}: {}", render_plain(&d, &file)));
    generate(&checked.plan, &file, &CodegenOptions { program_name: name.to_string(), embedded: false })
        .expect("generated code parses")
}

#[test]
fn generated_rust_for_clickstream_pageviews() {
    insta::assert_snapshot!(generated("clickstream_pageviews"));
}

#[test]
fn generated_rust_for_orders_explode() {
    insta::assert_snapshot!(generated("orders_explode"));
}

#[test]
fn generated_rust_for_payments_dedupe() {
    insta::assert_snapshot!(generated("payments_dedupe"));
}

/// Every example generates code that parses (compiling it is the golden tests' job).
#[test]
fn every_example_generates_parsable_rust() {
    for entry in std::fs::read_dir(workspace_root().join("examples/pipes")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|x| x == "pipe") {
            let name = path.file_stem().unwrap().to_string_lossy().to_string();
            let code = generated(&name);
            assert!(code.contains("fn main()"), "{name}");
        }
    }
}
