//! The front end never panics and never overflows the stack: arbitrary bytes,
//! mutated example programs and pathological nesting all end in diagnostics.

use crate::common::workspace_root;
use proptest::prelude::*;
use sluice_compiler::{CheckOptions, SourceFile};

fn compile(text: &str) {
    let file = SourceFile::new("fuzz.pipe", text);
    let result = sluice_compiler::compile_to_plan(&file, &CheckOptions::default());
    // Whatever the outcome, rendering it must not panic either.
    let diagnostics = match result {
        Ok(checked) => {
            let _ = sluice_compiler::plan::explain_text(&checked.plan, &file);
            let _ = sluice_compiler::plan::explain_dot(&checked.plan, &file);
            checked.warnings
        }
        Err(diagnostics) => {
            assert!(diagnostics.has_errors());
            diagnostics
        }
    };
    for diagnostic in diagnostics.iter() {
        let _ =
            sluice_compiler::diagnostics::render(diagnostic, &file, sluice_compiler::diagnostics::ColorMode::Always);
        let _ = sluice_compiler::diagnostics::to_json(diagnostic, &file);
    }
}

fn examples() -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(workspace_root().join("examples/pipes"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "pipe"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    out.sort();
    out
}

/// Tokens that make mutations reach deep into the grammar and the checker.
const TOKENS: &[&str] = &[
    "|",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ",",
    ":",
    "?",
    ".",
    "==",
    "!=",
    "<=",
    "&&",
    "||",
    "??",
    "+",
    "-",
    "*",
    "/",
    "%",
    "!",
    "\"",
    "\\",
    "\"\\u{110000}\"",
    "1m",
    "0s",
    "10sec",
    "99999999999999999999",
    "1e999",
    "null",
    "true",
    "if",
    "then",
    "else",
    "where",
    "select",
    "extend",
    "explode",
    "as",
    "dedupe by",
    "within",
    "group by",
    "window",
    "tumbling",
    "sliding",
    "every",
    "session",
    "on",
    "watermark",
    "late to",
    "aggregate",
    "join",
    "left join",
    "to",
    "from",
    "schema",
    "source",
    "sink",
    "pipeline",
    "param",
    "extern fn",
    "count()",
    "sum(x)",
    "min(a)",
    "regex_match(x, \"(\")",
    "ts",
    "url",
    "window_start",
    "processing_time",
    "env(\"X\")",
    "table: true",
    "format: csv",
    "\u{e9}",
    "\u{1F600}",
    "\n",
    "//",
];

#[derive(Debug, Clone)]
enum Mutation {
    Delete { at: usize, len: usize },
    Insert { at: usize, token: usize },
    Duplicate { at: usize, len: usize },
    Truncate { at: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1usize..40).prop_map(|(at, len)| Mutation::Delete { at, len }),
        (any::<usize>(), 0..TOKENS.len()).prop_map(|(at, token)| Mutation::Insert { at, token }),
        (any::<usize>(), 1usize..80).prop_map(|(at, len)| Mutation::Duplicate { at, len }),
        any::<usize>().prop_map(|at| Mutation::Truncate { at }),
    ]
}

/// The nearest char boundary at or below `at % (len + 1)`.
fn boundary(text: &str, at: usize) -> usize {
    let mut at = at % (text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn apply(mut text: String, mutation: &Mutation) -> String {
    match *mutation {
        Mutation::Delete { at, len } => {
            let start = boundary(&text, at);
            let end = boundary(&text, (start + len).min(text.len()));
            text.replace_range(start..end.max(start), "");
        }
        Mutation::Insert { at, token } => {
            let at = boundary(&text, at);
            text.insert_str(at, &format!(" {} ", TOKENS[token]));
        }
        Mutation::Duplicate { at, len } => {
            let start = boundary(&text, at);
            let end = boundary(&text, (start + len).min(text.len())).max(start);
            let piece = text[start..end].to_string();
            text.insert_str(end, &piece);
        }
        Mutation::Truncate { at } => {
            let at = boundary(&text, at);
            text.truncate(at);
        }
    }
    text
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
        compile(&text);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        compile(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn mutated_examples_never_panic(example in any::<prop::sample::Index>(), mutations in proptest::collection::vec(mutation(), 1..6)) {
        let examples = examples();
        let mut text = examples[example.index(examples.len())].clone();
        for m in &mutations {
            text = apply(text, m);
        }
        compile(&text);
    }
}

/// Pathological nesting, on a thread with the default 2 MiB stack that test and
/// worker threads get.
#[test]
fn deep_nesting_is_a_diagnostic_not_a_stack_overflow() {
    let head = "schema S { a: int, b: bool, r: { x: int } }\nsource s: S from file { path: \"x\" }\nsink o to stdout {}\npipeline p { from s | where ";
    let tail = " | to o }\n";
    let cases = vec![
        format!("{head}{}b{}{tail}", "(".repeat(5000), ")".repeat(5000)),
        format!("{head}{}b{}{tail}", "if b then ".repeat(3000), " else b".repeat(3000)),
        format!("{head}{} > 0{tail}", vec!["a"; 50_000].join(" + ")),
        format!("{head}{} > 0{tail}", vec!["a"; 50_000].join(" ?? ")),
        format!("{head}{}b{tail}", "!".repeat(100_000)),
        format!("{head}{}b{tail}", "- ".repeat(100_000)),
        format!("{head}r{} > 0{tail}", ".x".repeat(50_000)),
        format!("{head}a{} > 0{tail}", "[0]".repeat(50_000)),
        format!("{head}{}\"x\"{} == \"x\"{tail}", "lower(".repeat(3000), ")".repeat(3000)),
        "{".repeat(100_000),
        "schema S { a: ".to_string() + &"[".repeat(100_000),
        format!("{head}{}", "\"unterminated"),
        // Schemas nested through each other, in a chain and in a ring.
        std::iter::once("schema S0 { a: int }".to_string())
            .chain((1..8000).map(|i| format!("schema S{i} {{ a: S{} }}", i - 1)))
            .collect::<Vec<_>>()
            .join("\n"),
        (0..3000).map(|i| format!("schema S{i} {{ a: S{} }}", (i + 1) % 3000)).collect::<Vec<_>>().join("\n"),
    ];
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            for text in cases {
                let file = SourceFile::new("deep.pipe", text);
                let result = sluice_compiler::compile_to_plan(&file, &CheckOptions::default());
                assert!(result.is_err(), "pathological input should be rejected with a diagnostic");
            }
        })
        .unwrap()
        .join()
        .expect("the front end overflowed its stack or panicked");
}
