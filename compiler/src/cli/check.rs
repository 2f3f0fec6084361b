//! `sluice check`.

use super::{check_options_for, read_program, ColorChoice, MessageFormat};
use crate::diagnostics::{render, to_json, Code, ColorMode, Severity};
use clap::Args;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// The `.pipe` programs to check.
    #[arg(required_unless_present = "explain", value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = MessageFormat::Human)]
    pub message_format: MessageFormat,
    /// When to colour the output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Treat warnings as errors (exit 1 when there are any).
    #[arg(long)]
    pub deny_warnings: bool,
    /// Print the explanation of a diagnostic code (e.g. E0302) and exit.
    #[arg(long, value_name = "CODE")]
    pub explain: Option<String>,
}

pub fn run(args: &CheckArgs) -> ExitCode {
    if let Some(code) = &args.explain {
        return match Code::parse(code) {
            Some(code) => {
                println!("{}: {}\n\n{}", code.as_str(), code.title(), code.explanation());
                ExitCode::SUCCESS
            }
            None => {
                eprintln!("error: `{code}` is not a sluice diagnostic code (they look like E0302 or W0001)");
                ExitCode::from(2)
            }
        };
    }
    let color = match args.color {
        ColorChoice::Always => ColorMode::Always,
        ColorChoice::Never => ColorMode::Never,
        ColorChoice::Auto => ColorMode::auto_for(std::io::stderr().is_terminal()),
    };
    let mut io_error = false;
    let mut errors = 0usize;
    let mut warnings = 0usize;
    let stderr = std::io::stderr();
    let stdout = std::io::stdout();
    for path in &args.files {
        let file = match read_program(path) {
            Ok(file) => file,
            Err(message) => {
                match args.message_format {
                    MessageFormat::Human => eprintln!("error: {message}"),
                    MessageFormat::Json => {
                        let value = serde_json::json!({ "file": path.display().to_string(), "severity": "error", "code": null, "message": message });
                        println!("{value}");
                    }
                }
                io_error = true;
                continue;
            }
        };
        let diagnostics = match crate::compile_to_plan(&file, &check_options_for(path)) {
            Ok(checked) => checked.warnings,
            Err(diagnostics) => diagnostics,
        };
        for diagnostic in diagnostics.iter() {
            match diagnostic.severity {
                Severity::Warning => warnings += 1,
                _ => errors += 1,
            }
            match args.message_format {
                MessageFormat::Human => {
                    let _ = write!(stderr.lock(), "{}", render(diagnostic, &file, color));
                }
                MessageFormat::Json => {
                    let _ = writeln!(stdout.lock(), "{}", to_json(diagnostic, &file));
                }
            }
        }
    }
    if args.message_format == MessageFormat::Human {
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        let files = plural(args.files.len(), "file");
        if errors > 0 {
            eprintln!("error: checking {files} found {} and {}", plural(errors, "error"), plural(warnings, "warning"));
        } else if warnings > 0 {
            eprintln!("warning: checking {files} found {}", plural(warnings, "warning"));
        } else if !io_error {
            eprintln!("ok: {files} checked, no problems");
        }
    }
    if io_error {
        ExitCode::from(2)
    } else if errors > 0 || (args.deny_warnings && warnings > 0) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
