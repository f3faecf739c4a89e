//! `camptrack-bench`: runs camptrack's benchmarks at a named size on SQLite and/or
//! PostgreSQL and writes `BENCHMARKS.md`. Every figure stands beside a baseline measured in
//! the same run on the same machine, and every method's answer is checked equal to
//! camptrack's (a benchmark that computes a different answer is wrong): any difference is
//! reported and makes the command fail, which is what the CI smoke run (`--smoke`) checks.
//!
//! camptrack is served by its own binary, which must be built first in the same profile:
//!
//! ```text
//! cargo build --release -p camptrack-api
//! cargo run --release -p camptrack-bench -- --size 10k --backend both --out BENCHMARKS.md
//! cargo run --release -p camptrack-bench -- --size small --backend both --smoke --out target/BENCHMARKS-smoke.md
//! ```

mod dataset;
mod ingest;
mod scenarios;
mod stats;

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use dataset::{Backend, Size};

/// The same allocator as the camptrack binary, so the bare handler is served alike.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Command line.
#[derive(Debug, Parser)]
#[command(
    name = "camptrack-bench",
    about = "camptrack benchmarks against same-run baselines"
)]
struct Args {
    /// Data set size.
    #[arg(long, value_enum, default_value = "small")]
    size: Size,
    /// Database(s) to run on.
    #[arg(long, value_enum, default_value = "both")]
    backend: BackendChoice,
    /// Report file to write.
    #[arg(long, default_value = "BENCHMARKS.md")]
    out: PathBuf,
    /// Timed repetitions per query (after one warm-up).
    #[arg(long, default_value_t = 21)]
    reps: usize,
    /// Seconds per throughput run.
    #[arg(long, default_value_t = 5)]
    throughput_secs: u64,
    /// Scenarios to run (repeat the flag for several; default: all of them).
    #[arg(long = "scenario", value_enum)]
    scenarios: Vec<scenarios::Scenario>,
    /// Smoke mode for CI: few repetitions, one-second throughput runs; checks answers only.
    #[arg(long)]
    smoke: bool,
    /// PostgreSQL server (its database name is replaced by the bench database's).
    #[arg(
        long,
        env = "BENCH_POSTGRES_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    postgres_url: String,
    /// Internal commands the bench runs in its child processes.
    #[command(subcommand)]
    command: Option<Internal>,
}

/// Commands the bench starts itself in child processes (hidden from `--help`).
#[derive(Debug, clap::Subcommand)]
enum Internal {
    /// Serve the bare axum handler on an ephemeral port of 127.0.0.1 until killed.
    #[command(hide = true)]
    BareServer {
        /// The database to read.
        #[arg(long)]
        database_url: String,
        /// Pooled database connections.
        #[arg(long)]
        max_connections: u32,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum BackendChoice {
    Sqlite,
    Postgres,
    Both,
}

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = Args::parse();
    if let Some(Internal::BareServer {
        database_url,
        max_connections,
    }) = &args.command
    {
        return match scenarios::bare::serve(database_url, *max_connections).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("{e}");
                ExitCode::FAILURE
            }
        };
    }
    if args.smoke {
        args.reps = args.reps.min(3);
        args.throughput_secs = 1;
    }
    if args.scenarios.is_empty() {
        args.scenarios = <scenarios::Scenario as clap::ValueEnum>::value_variants().to_vec();
    }
    let backends = match args.backend {
        BackendChoice::Sqlite => vec![Backend::Sqlite],
        BackendChoice::Postgres => vec![Backend::Postgres],
        BackendChoice::Both => vec![Backend::Sqlite, Backend::Postgres],
    };
    let mut report = scenarios::header(&args.size, args.reps, args.smoke).await;
    let mut mismatches = Vec::new();
    for backend in backends {
        eprintln!("== {} at {}", backend.name(), args.size.name());
        match scenarios::run_backend(
            backend,
            args.size,
            args.reps,
            args.throughput_secs,
            &args.postgres_url,
            &args.scenarios,
        )
        .await
        {
            Ok(section) => {
                report.push_str(&section.markdown);
                mismatches.extend(section.mismatches);
            }
            Err(e) => {
                let _ = writeln!(report, "\n## {}\n\nFAILED: {e}\n", backend.name());
                mismatches.push(format!("{}: {e}", backend.name()));
            }
        }
    }
    if !mismatches.is_empty() {
        let _ = writeln!(report, "\n## Answers that differ\n");
        for m in &mismatches {
            let _ = writeln!(report, "- {m}");
        }
    }
    if let Err(e) = std::fs::write(&args.out, &report) {
        eprintln!("cannot write {}: {e}", args.out.display());
        return ExitCode::FAILURE;
    }
    eprintln!("wrote {}", args.out.display());
    if mismatches.is_empty() {
        ExitCode::SUCCESS
    } else {
        for m in &mismatches {
            eprintln!("MISMATCH: {m}");
        }
        ExitCode::FAILURE
    }
}
