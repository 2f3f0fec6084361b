//! `sluice build`: check, generate a crate, compile it with cargo into a
//! standalone binary. Generated crates share one cargo target dir, so the
//! runtime and its dependencies compile once and a rebuild after editing a
//! program only compiles the program.

use super::{check_options_for, read_program, ColorChoice};
use crate::codegen::{generate, CodegenOptions};
use crate::diagnostics::{render, ColorMode};
use clap::Args;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

#[derive(Args, Debug, Clone)]
pub struct BuildArgs {
    /// The `.pipe` program.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Where to put the binary [default: the program's name, in the current directory].
    #[arg(short, long, value_name = "BIN")]
    pub output: Option<PathBuf>,
    /// Also write the generated crate (Cargo.toml, src/main.rs) to DIR, to read it.
    #[arg(long, value_name = "DIR")]
    pub emit_rust: Option<PathBuf>,
    /// Build without optimizations (faster to compile, slower to run).
    #[arg(long)]
    pub debug: bool,
    /// When to colour diagnostics.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// Where generated crates and their shared target dir live.
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("SLUICE_CACHE_DIR") {
        return PathBuf::from(dir);
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("sluice")
}

/// The runtime crate generated code depends on.
fn runtime_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("SLUICE_RUNTIME_PATH") {
        return PathBuf::from(dir);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtime")
}

/// A Cargo package name from a file name: `page-views.pipe` -> `page_views`.
pub fn program_name(file: &Path) -> String {
    let stem = file.file_stem().map(|s| s.to_string_lossy().to_lowercase()).unwrap_or_default();
    let mut name: String = stem.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        name.insert_str(0, "pipe_");
    }
    name
}

/// A short stable tag of a program's location, so same-named programs get separate crates.
pub fn location_tag(file: &Path) -> String {
    let path = file.canonicalize().unwrap_or_else(|_| file.to_path_buf());
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in path.to_string_lossy().bytes() {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("{:08x}", hash as u32)
}

pub struct Built {
    pub binary: PathBuf,
}

fn color_of(choice: ColorChoice) -> ColorMode {
    match choice {
        ColorChoice::Always => ColorMode::Always,
        ColorChoice::Never => ColorMode::Never,
        ColorChoice::Auto => ColorMode::auto_for(std::io::stderr().is_terminal()),
    }
}

/// Builds a program; on failure the message has been printed and the exit code is returned.
pub fn build(args: &BuildArgs) -> Result<Built, ExitCode> {
    let color = color_of(args.color);
    let file = read_program(&args.file).map_err(|message| {
        eprintln!("error: {message}");
        ExitCode::from(2)
    })?;
    let checked = match crate::compile_to_plan(&file, &check_options_for(&args.file)) {
        Ok(checked) => checked,
        Err(diagnostics) => {
            for diagnostic in diagnostics.iter() {
                eprint!("{}", render(diagnostic, &file, color));
            }
            eprintln!("error: `{}` has errors; nothing was built", args.file.display());
            return Err(ExitCode::from(1));
        }
    };
    for warning in checked.warnings.iter() {
        eprint!("{}", render(warning, &file, color));
    }
    let name = program_name(&args.file);
    let source = generate(&checked.plan, &file, &CodegenOptions { program_name: name.clone(), embedded: false })
        .map_err(|message| {
            eprintln!("error: {message}");
            ExitCode::from(1)
        })?;
    let package = format!("{name}_{}", location_tag(&args.file));
    let crate_dir = match &args.emit_rust {
        Some(dir) => dir.clone(),
        None => cache_dir().join("crates").join(&package),
    };
    write_crate(&crate_dir, &package, &source, &checked.plan, &args.file).map_err(|message| {
        eprintln!("error: {message}");
        ExitCode::from(2)
    })?;
    let target_dir =
        std::env::var_os("SLUICE_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| cache_dir().join("target"));
    let profile = if args.debug { "debug" } else { "release" };
    let mut cargo = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cargo
        .arg("build")
        .arg("--manifest-path")
        .arg(crate_dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", &target_dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if !args.debug {
        cargo.arg("--release");
    }
    let started = std::time::Instant::now();
    let output = cargo.output().map_err(|e| {
        eprintln!("error: cannot run cargo (is the Rust toolchain installed?): {e}");
        ExitCode::from(2)
    })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        // The user's Rust code (an `extern fn` file) is the user's to fix.
        // Lines of the generated code holding the typed `extern fn` pointers.
        let guard_lines: Vec<String> = source
            .lines()
            .enumerate()
            .filter(|(_, line)| line.contains("EXTERN_") && line.contains("const "))
            .flat_map(|(i, _)| (i + 1..i + 4).map(|n| format!("src/main.rs:{n}:")))
            .collect();
        let in_user_code = stderr.contains("src/udf/") || guard_lines.iter().any(|at| stderr.contains(at.as_str()));
        if in_user_code {
            let lines: Vec<&str> =
                stderr.lines().filter(|l| !is_cargo_progress(l) && !l.starts_with("warning: build failed")).collect();
            // Name the declarations whose pointer line rustc rejected.
            for ext in &checked.plan.externs {
                let guard = format!("EXTERN_{}:", ext.name);
                let rejected = source.lines().enumerate().any(|(i, line)| {
                    line.contains(&guard)
                        && line.contains("const ")
                        && (i + 1..i + 4).any(|n| stderr.contains(&format!("src/main.rs:{n}:")))
                });
                if rejected {
                    let (line, column) = file.line_col(ext.span.start as usize);
                    eprintln!(
                        "error: `extern fn {}` at {}:{line}:{column} does not match its Rust function",
                        ext.name, file.name
                    );
                }
            }
            eprintln!(
                "error: an `extern fn` of `{}` does not compile, or does not match its declaration\n\
                 (the declaration's types must match the Rust function: `string` is `&str` as an argument and `String` as a result,\n\
                 `T?` is `Option<T>`, `[T]` is `&[T]` / `Vec<T>`; see docs/embedding.md). rustc said:\n{}",
                args.file.display(),
                lines.join("\n")
            );
            return Err(ExitCode::from(1));
        }
        let generated_errors: Vec<&str> =
            stderr.lines().filter(|l| l.contains("src/main.rs") || l.contains("error")).collect();
        eprintln!(
            "error: internal compiler error: rustc rejected the code sluice generated for `{}`.\n\
             This is a bug in sluice, not in your program: please report it with the program.\n\
             The generated crate is in {}; rustc said:\n{}",
            args.file.display(),
            crate_dir.display(),
            if generated_errors.is_empty() { stderr.to_string() } else { generated_errors.join("\n") }
        );
        return Err(ExitCode::from(1));
    }
    let built = target_dir.join(profile).join(&package);
    let binary = args.output.clone().unwrap_or_else(|| PathBuf::from(&name));
    if let Some(parent) = binary.parent().filter(|p| !p.as_os_str().is_empty()) {
        let _ = std::fs::create_dir_all(parent);
    }
    std::fs::copy(&built, &binary).map_err(|e| {
        eprintln!("error: cannot write `{}`: {e}", binary.display());
        ExitCode::from(2)
    })?;
    if std::env::var_os("SLUICE_QUIET").is_none() {
        eprintln!("built {} in {:.1}s", binary.display(), started.elapsed().as_secs_f64());
    }
    Ok(Built { binary })
}

fn write_crate(
    dir: &Path,
    name: &str,
    source: &str,
    plan: &crate::plan::TypedPlan,
    program: &Path,
) -> Result<(), String> {
    let src = dir.join("src");
    std::fs::create_dir_all(&src).map_err(|e| format!("cannot create `{}`: {e}", src.display()))?;
    let runtime = runtime_dir();
    if !runtime.join("Cargo.toml").is_file() {
        return Err(format!(
            "the sluice runtime sources are not at `{}` (generated programs build against them); \
             point SLUICE_RUNTIME_PATH at the `runtime/` directory of a sluice checkout",
            runtime.display()
        ));
    }
    let runtime = runtime.canonicalize().unwrap_or(runtime);
    // Parquet and PostgreSQL support is compiled in only for programs that write them.
    let mut features = Vec::new();
    if plan.sinks.iter().any(|s| s.format == crate::plan::Format::Parquet) {
        features.push("\"parquet\"");
    }
    if plan.sinks.iter().any(|s| matches!(s.connector, crate::plan::SinkConnector::Postgres { .. })) {
        features.push("\"postgres\"");
    }
    let manifest = format!(
        "# Generated by sluice from {program}. Do not edit.\n\
         [package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n\
                  [dependencies]\nsluice = {{ path = {runtime:?}, default-features = false, features = [{features}] }}\n\n\
         [profile.release]\npanic = \"unwind\"\ncodegen-units = 4\n\n\
         # A standalone crate, not part of any enclosing workspace.\n[workspace]\n",
        program = program.display(),
        runtime = runtime.display().to_string(),
        features = features.join(", "),
    );
    write_if_changed(&dir.join("Cargo.toml"), &manifest)?;
    write_if_changed(&src.join("main.rs"), source)?;
    // Pin dependencies to the versions the runtime was tested with.
    let lock = runtime.join("../Cargo.lock");
    if lock.is_file() && !dir.join("Cargo.lock").is_file() {
        let _ = std::fs::copy(&lock, dir.join("Cargo.lock"));
    }
    let program_dir = program.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    for ext in &plan.externs {
        if let Some(path) = &ext.path {
            let udf_dir = src.join("udf");
            std::fs::create_dir_all(&udf_dir).map_err(|e| format!("cannot create `{}`: {e}", udf_dir.display()))?;
            let from = program_dir.join(path);
            let text = std::fs::read_to_string(&from)
                .map_err(|e| format!("extern fn `{}`: cannot read `{}`: {e}", ext.name, from.display()))?;
            write_if_changed(&udf_dir.join(format!("{}.rs", crate::codegen::program::udf_stem(path))), &text)?;
        }
    }
    Ok(())
}

/// Cargo's progress lines, which say nothing about the error.
fn is_cargo_progress(line: &str) -> bool {
    let line = line.trim_start();
    ["Compiling", "Locking", "Adding", "Updating", "Downloading", "Downloaded", "Checking", "Blocking"]
        .iter()
        .any(|word| line.starts_with(word))
}

/// Leaves unchanged files alone so cargo does not rebuild them.
fn write_if_changed(path: &Path, text: &str) -> Result<(), String> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == text) {
        return Ok(());
    }
    std::fs::write(path, text).map_err(|e| format!("cannot write `{}`: {e}", path.display()))
}

pub fn run(args: &BuildArgs) -> ExitCode {
    match build(args) {
        Ok(_) => ExitCode::SUCCESS,
        Err(code) => code,
    }
}
