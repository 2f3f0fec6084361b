#![forbid(unsafe_code)]
fn main() -> std::process::ExitCode {
    sluice_compiler::cli::main()
}
