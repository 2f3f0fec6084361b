//! `sluice run`: build (cached) and run.

use super::build::{build, cache_dir, program_name, BuildArgs};
use super::ColorChoice;
use clap::Args;
use std::path::PathBuf;
use std::process::{Command, ExitCode};

#[derive(Args, Debug)]
pub struct RunArgs {
    /// The `.pipe` program.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Build without optimizations.
    #[arg(long)]
    pub debug: bool,
    /// Arguments for the program (`--input`, `--output`, `--param`; see `-- --help`).
    #[arg(last = true, value_name = "ARGS")]
    pub args: Vec<String>,
}

pub fn run(args: &RunArgs) -> ExitCode {
    let binary = cache_dir().join("bin").join(format!(
        "{}_{}",
        program_name(&args.file),
        super::build::location_tag(&args.file)
    ));
    let build_args = BuildArgs {
        file: args.file.clone(),
        output: Some(binary),
        emit_rust: None,
        debug: args.debug,
        color: ColorChoice::Auto,
    };
    let built = match build(&build_args) {
        Ok(built) => built,
        Err(code) => return code,
    };
    match Command::new(&built.binary).args(&args.args).status() {
        Ok(status) => ExitCode::from(status.code().unwrap_or(1).clamp(0, 255) as u8),
        Err(e) => {
            eprintln!("error: cannot run `{}`: {e}", built.binary.display());
            ExitCode::from(2)
        }
    }
}
