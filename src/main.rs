//! The `qingting` binary: a thin shell over the library so every subcommand and
//! every test share one code path.

fn main() -> std::process::ExitCode {
    qingting::cli::main()
}
