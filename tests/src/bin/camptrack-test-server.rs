//! The camptrack server as its own OS process, for tests that kill it (SIGKILL) or run two
//! processes on one database. It is the `camptrack` binary's entry point, unchanged: Cargo
//! sets `CARGO_BIN_EXE_*` only for a package's own bins, so the tests crate carries this one.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = camptrack::config::Cli::parse();
    match camptrack::run::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            let _ = std::io::Write::write_fmt(
                &mut std::io::stderr(),
                format_args!("camptrack-test-server: {err}\n"),
            );
            std::process::ExitCode::FAILURE
        }
    }
}
