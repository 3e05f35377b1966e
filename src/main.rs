//! The `ssmdeck` binary.

fn main() -> std::process::ExitCode {
    ssmdeck::cli::main()
}
