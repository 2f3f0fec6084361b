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
