//! Docs are tests: every ```pipe block in docs/*.md and README.md must check
//! without errors or warnings; a ```pipe error EXXXX block must fail with that code.

use crate::common::{render_plain, workspace_root};
use sluice_compiler::{CheckOptions, Code, SourceFile};

struct Block {
    origin: String,
    info: String,
    body: String,
}

fn blocks(path: &std::path::Path) -> Vec<Block> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut out = Vec::new();
    let mut current: Option<(usize, String, String)> = None;
    for (number, line) in text.lines().enumerate() {
        match &mut current {
            None => {
                if let Some(info) = line.strip_prefix("```pipe") {
                    current = Some((number + 1, info.trim().to_string(), String::new()));
                }
            }
            Some((start, info, body)) => {
                if line.starts_with("```") {
                    out.push(Block {
                        origin: format!("{}:{start}", path.display()),
                        info: info.clone(),
                        body: body.clone(),
                    });
                    current = None;
                } else {
                    body.push_str(line);
                    body.push('\n');
                }
            }
        }
    }
    out
}

#[test]
fn pipe_blocks_in_docs_check() {
    let root = workspace_root();
    let mut pages: Vec<_> = std::fs::read_dir(root.join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    pages.push(root.join("README.md"));
    let mut checked = 0;
    let mut failures = Vec::new();
    for page in pages {
        for block in blocks(&page) {
            checked += 1;
            let file = SourceFile::new(block.origin.clone(), block.body.clone());
            let result = sluice_compiler::compile_to_plan(&file, &CheckOptions::default());
            if let Some(code) = block.info.strip_prefix("error") {
                let code = Code::parse(code.trim())
                    .unwrap_or_else(|| panic!("{}: `pipe error CODE` needs a code", block.origin));
                match result {
                    Err(d) if d.iter().any(|d| d.code == code) => {}
                    Err(d) => failures.push(format!(
                        "{}: expected {}, got:\n{}",
                        block.origin,
                        code.as_str(),
                        render_plain(&d, &file)
                    )),
                    Ok(_) => failures.push(format!("{}: expected {}, but it checks", block.origin, code.as_str())),
                }
            } else {
                match result {
                    Ok(c) if c.warnings.is_empty() => {}
                    Ok(c) => {
                        failures.push(format!("{}: warnings:\n{}", block.origin, render_plain(&c.warnings, &file)))
                    }
                    Err(d) => failures.push(format!("{}: errors:\n{}", block.origin, render_plain(&d, &file))),
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} of {checked} doc blocks fail:\n{}", failures.len(), failures.join("\n"));
    assert!(checked >= 30, "expected the language reference to have examples, found {checked}");
}

#[test]
fn reference_covers_every_stage_and_function() {
    let reference = std::fs::read_to_string(workspace_root().join("docs/language.md")).unwrap();
    let pipe_text: String = blocks(&workspace_root().join("docs/language.md")).into_iter().map(|b| b.body).collect();
    for builtin in sluice_compiler::plan::Builtin::ALL {
        assert!(pipe_text.contains(&format!("{}(", builtin.name())), "no ```pipe example uses `{}`", builtin.name());
    }
    for aggregate in ["count(", "sum(", "min(", "max(", "avg(", "count_distinct(", "first(", "last(", "collect("] {
        assert!(pipe_text.contains(aggregate), "no ```pipe example uses `{aggregate}`");
    }
    for stage in [
        "| where",
        "| select",
        "| extend",
        "| explode",
        "| dedupe",
        "| group by",
        "| join",
        "| left join",
        "| to",
        "tumbling",
        "sliding",
        "session",
        "processing_time",
        "late to",
    ] {
        assert!(pipe_text.contains(stage), "no ```pipe example uses `{stage}`");
    }
    for code in Code::ALL {
        let _ = code;
    }
    assert!(reference.contains("## "), "the reference has sections");
}
