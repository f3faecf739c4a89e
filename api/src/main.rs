//! The `camptrack` binary.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = camptrack::config::Cli::parse();
    match camptrack::run::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = %err, "camptrack failed");
            let _ = std::io::Write::write_fmt(
                &mut std::io::stderr(),
                format_args!("camptrack: {err}\n"),
            );
            std::process::ExitCode::FAILURE
        }
    }
}
