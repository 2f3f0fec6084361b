//! The `sluice` command line.

pub mod build;
mod check;
mod explain;
mod run;
pub mod test;

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "sluice",
    version,
    about = "Compiler for Kafka stream pipelines",
    long_about = "sluice checks, explains and compiles `.pipe` programs: Kafka stream pipelines \
                  that are type-checked before deploy and compiled to one small, fast binary.\n\n\
                  The language is described in docs/language.md.",
    after_help = "Exit status: 0 success (warnings allowed), 1 errors in a program, 2 usage or I/O error."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Parse and type-check programs, reporting every error and warning.
    ///
    /// Never runs rustc: a program that passes `check` is one `build` can compile.
    Check(check::CheckArgs),
    /// Print the typed plan of a program: each pipeline's stages with the record
    /// type flowing out of each, the state each stage keeps and what bounds it,
    /// which stages are fused into one loop, and the sinks.
    Explain(explain::ExplainArgs),
    /// Compile a program into a standalone binary (runs cargo; the first build
    /// compiles the runtime once, later ones only the program).
    Build(build::BuildArgs),
    /// Build (cached) and run a program; arguments after `--` go to the program.
    Run(run::RunArgs),
    /// Run a program on files and compare its sinks with expected records.
    ///
    /// Outputs are compared as multisets of records (order does not matter);
    /// for a sink fed by a running aggregate, the last row per key. Exit 1 on a mismatch.
    Test(test::TestArgs),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when printing to a terminal and `NO_COLOR` is not set.
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MessageFormat {
    /// rustc-style text with source snippets.
    Human,
    /// One JSON object per diagnostic, one per line.
    Json,
}

/// Reads a program, turning I/O problems into a message for exit status 2.
pub(crate) fn read_program(path: &PathBuf) -> Result<crate::SourceFile, String> {
    let bytes = std::fs::read(path).map_err(|error| format!("cannot read `{}`: {error}", path.display()))?;
    let text = String::from_utf8(bytes).map_err(|error| {
        format!("`{}` is not UTF-8 text (invalid byte at offset {})", path.display(), error.utf8_error().valid_up_to())
    })?;
    Ok(crate::SourceFile::new(path.display().to_string(), text))
}

pub(crate) fn check_options_for(path: &std::path::Path) -> crate::CheckOptions {
    let dir = path.parent().map(|p| if p.as_os_str().is_empty() { PathBuf::from(".") } else { p.to_path_buf() });
    crate::CheckOptions { mode: dir.map_or(crate::Mode::File, crate::Mode::FileIn) }
}

/// Runs the CLI; returns the process exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            // clap: help/version are successes; usage errors exit 2.
            return if error.use_stderr() { ExitCode::from(2) } else { ExitCode::SUCCESS };
        }
    };
    match cli.command {
        Command::Check(args) => check::run(&args),
        Command::Explain(args) => explain::run(&args),
        Command::Build(args) => build::run(&args),
        Command::Run(args) => run::run(&args),
        Command::Test(args) => test::run(&args),
    }
}
