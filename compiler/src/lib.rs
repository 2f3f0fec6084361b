//! The sluice compiler.
//!
//! ```text
//! source text --syntax--> AST (spanned) --check--> TypedPlan --codegen--> Rust tokens
//!                  \____________ Diagnostics (text / JSON / compile_error!) ___________/
//! ```
//!
//! Each phase is one module; dependencies point one way:
//! `source -> diagnostics -> syntax -> check -> plan -> cli`.
#![forbid(unsafe_code)]

pub mod check;
#[cfg(feature = "cli")]
pub mod cli;
pub mod codegen;
pub mod diagnostics;
pub mod macro_input;
pub mod plan;
pub mod source;
pub mod syntax;
mod time;

pub use check::{CheckOptions, Checked, Mode};

pub use diagnostics::{Code, Diagnostic, Diagnostics, Severity};
pub use source::{SourceFile, Span};

/// Parses and checks a program: the whole front end. Warnings come back with
/// the plan; on failure every diagnostic (errors and warnings) is returned.
pub fn compile_to_plan(file: &SourceFile, options: &CheckOptions) -> Result<Checked, Diagnostics> {
    let (program, parse_diagnostics) = syntax::parse(file)?;
    let checked = check::check(&program, &file.text, options);
    match checked {
        Ok(mut checked) if !parse_diagnostics.has_errors() => {
            checked.warnings.extend(parse_diagnostics);
            checked.warnings = checked.warnings.sorted();
            Ok(checked)
        }
        Ok(checked) => {
            let mut all = parse_diagnostics;
            all.extend(checked.warnings);
            Err(all.sorted())
        }
        Err(errors) => {
            let mut all = parse_diagnostics;
            all.extend(errors);
            Err(all.sorted())
        }
    }
}
