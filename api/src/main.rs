//! The `camptrack` binary.

use clap::Parser;

/// mimalloc rather than glibc malloc: under many threads freeing what others allocated,
/// glibc spent a fifth of the bulk loader's time consolidating its heap (BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
