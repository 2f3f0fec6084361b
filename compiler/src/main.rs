fn main() -> std::process::ExitCode {
    sluice_compiler::cli::main()
}
