//! `sluice explain`.

use super::{check_options_for, read_program, ColorChoice};
use crate::diagnostics::{render, ColorMode};
use clap::{Args, ValueEnum};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExplainFormat {
    /// Readable text.
    Text,
    /// A Graphviz digraph (`sluice explain f.pipe --format dot | dot -Tsvg > plan.svg`).
    Dot,
}

#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// The `.pipe` program to explain.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ExplainFormat::Text)]
    pub format: ExplainFormat,
    /// When to colour diagnostics.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

pub fn run(args: &ExplainArgs) -> ExitCode {
    let file = match read_program(&args.file) {
        Ok(file) => file,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let color = match args.color {
        ColorChoice::Always => ColorMode::Always,
        ColorChoice::Never => ColorMode::Never,
        ColorChoice::Auto => ColorMode::auto_for(std::io::stderr().is_terminal()),
    };
    match crate::compile_to_plan(&file, &check_options_for(&args.file)) {
        Ok(checked) => {
            for warning in checked.warnings.iter() {
                eprint!("{}", render(warning, &file, color));
            }
            let text = match args.format {
                ExplainFormat::Text => crate::plan::explain_text(&checked.plan, &file),
                ExplainFormat::Dot => crate::plan::explain_dot(&checked.plan, &file),
            };
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(diagnostics) => {
            for diagnostic in diagnostics.iter() {
                eprint!("{}", render(diagnostic, &file, color));
            }
            eprintln!("error: `{}` has errors; fix them to see its plan", args.file.display());
            ExitCode::from(1)
        }
    }
}
