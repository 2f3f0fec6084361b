//! Source text -> AST. The only module that knows about pest.

pub mod ast;
mod errors;
mod lower;
mod prescan;

pub use errors::KEYWORDS;

use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::source::{SourceFile, Span, MAX_SOURCE_LEN};
use pest::Parser;

#[derive(pest_derive::Parser)]
#[grammar = "syntax/grammar.pest"]
struct PipeParser;

/// Parses a program. Literal errors are reported alongside a usable AST when
/// the structure itself parsed; a structural error returns only diagnostics.
pub fn parse(file: &SourceFile) -> Result<(ast::Program, Diagnostics), Diagnostics> {
    let text = file.text.as_str();
    if text.len() > MAX_SOURCE_LEN {
        let mut diagnostics = Diagnostics::default();
        diagnostics.push(
            Diagnostic::error(Code::E0109, format!("program is {} bytes, more than the 16 MiB limit", text.len()))
                .with_primary(Span::new(0, 0), "program starts here"),
        );
        return Err(diagnostics);
    }
    if let Some(diagnostic) = prescan::prescan(text) {
        return Err(Diagnostics(vec![diagnostic]));
    }
    let pairs = match PipeParser::parse(Rule::program, text) {
        Ok(pairs) => pairs,
        Err(error) => return Err(Diagnostics(vec![errors::translate(&error, text)])),
    };
    let lowerer = lower::Lowerer::new();
    let program = pairs.into_iter().next().map(|pair| lowerer.program(pair));
    let diagnostics = lowerer.finish();
    match program {
        Some(program) => Ok((program, diagnostics)),
        None => Err(diagnostics),
    }
}

#[cfg(test)]
mod tests {
    use super::ast::{Item, StageKind};
    use crate::source::SourceFile;

    /// Parses `where EXPR` and prints the expression fully parenthesised.
    fn grouped(expr: &str) -> String {
        let text = format!("pipeline p {{ from s | where {expr} }}");
        let file = SourceFile::new("test.pipe", text);
        let (program, diagnostics) = super::parse(&file).map_err(|d| format!("{d:?}")).unwrap();
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        match &program.items[0] {
            Item::Pipeline(p) => match &p.stages[0].kind {
                StageKind::Where(e) => e.to_string(),
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn precedence_follows_the_spec() {
        let cases = [
            "a ?? b || c",
            "a || b && c",
            "a && b == c",
            "a == b + c",
            "a + b * c",
            "a - b - c",
            "a / b / c",
            "a ?? b ?? c",
            "!a && b",
            "-a * b",
            "-a.b[0]",
            "f(x).y + 1",
            "if a then b else c ?? d",
            "x + if a then 1 else 2",
            "a < b == c",
            "-7 + -2.5e1",
            "1_000 * 10s",
            "a % b * c",
            "!(a || b)",
        ];
        let out: Vec<String> = cases.iter().map(|c| format!("{c:<28} => {}", grouped(c))).collect();
        insta::assert_snapshot!(out.join("\n"), @r#"
        a ?? b || c                  => (a ?? (b || c))
        a || b && c                  => (a || (b && c))
        a && b == c                  => (a && (b == c))
        a == b + c                   => (a == (b + c))
        a + b * c                    => (a + (b * c))
        a - b - c                    => ((a - b) - c)
        a / b / c                    => ((a / b) / c)
        a ?? b ?? c                  => ((a ?? b) ?? c)
        !a && b                      => ((!a) && b)
        -a * b                       => ((-a) * b)
        -a.b[0]                      => (-a.b[0])
        f(x).y + 1                   => (f(x).y + 1)
        if a then b else c ?? d      => (if a then b else (c ?? d))
        x + if a then 1 else 2       => (x + (if a then 1 else 2))
        a < b == c                   => ((a < b) == c)
        -7 + -2.5e1                  => (-7 + -25.0)
        1_000 * 10s                  => (1000 * 10000ms)
        a % b * c                    => ((a % b) * c)
        !(a || b)                    => (!(a || b))
        "#);
    }

    #[test]
    fn literals_decode() {
        let out = [
            r#""tab\there""#,
            r#""quote \" and \\""#,
            r#""\u{1F600}""#,
            "250ms",
            "2h",
            "1d",
            "1e3",
            "3.14",
            "true",
            "null",
        ]
        .iter()
        .map(|c| format!("{c:<22} => {}", grouped(c)))
        .collect::<Vec<_>>()
        .join("\n");
        insta::assert_snapshot!(out, @r#"
        "tab\there"            => "tab\there"
        "quote \" and \\"      => "quote \" and \\"
        "\u{1F600}"            => "😀"
        250ms                  => 250ms
        2h                     => 7200000ms
        1d                     => 86400000ms
        1e3                    => 1000.0
        3.14                   => 3.14
        true                   => true
        null                   => null
        "#);
    }

    #[test]
    fn items_parse_in_any_order_with_trailing_commas() {
        let text = r#"
            pipeline p { from s | select { a, b: a + 1, } | to o }
            sink o to stdout { format: json, }
            source s: S from file { path: "x", format: json, }
            schema S { a: int, tags: [string], geo: { city: string?, }, }
            param n: int = 1_000
            extern fn f(x: int, y: string?,) -> float from "f.rs"
        "#;
        let file = SourceFile::new("t.pipe", text);
        let (program, diagnostics) = super::parse(&file).unwrap();
        assert!(diagnostics.is_empty());
        let kinds: Vec<&str> = program.items.iter().map(|i| i.kind()).collect();
        assert_eq!(kinds, ["pipeline", "sink", "source", "schema", "param", "extern fn"]);
    }
}
