//! A bounded soak run against a real camptrack server process on loopback: `--clients`
//! clients each repeat a read, a batch write and a delta-sync page for `--seconds`, above
//! the pool size, retrying deliberate `503`s. Prints answers by status, latency
//! percentiles, throughput, the server's memory over the run (peak RSS), and whether every
//! accepted item is stored. Exits non-zero on any rule broken.
//!
//! ```sh
//! cargo build --release -p camptrack-tests --bins
//! TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres target/release/soak --clients 32 --seconds 120
//! ```

use std::io::{BufRead, Write as _};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use camptrack_tests::{ScratchDatabase, admin_token, soak};
use clap::Parser;
use serde_json::Value;

/// Soak settings.
#[derive(Debug, Parser)]
#[command(
    name = "soak",
    about = "A bounded soak run against camptrack on loopback"
)]
struct Args {
    /// Concurrent clients.
    #[arg(long, default_value_t = 32)]
    clients: usize,
    /// Length of the run, in seconds.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// Assessments per batch write.
    #[arg(long, default_value_t = 10)]
    batch: usize,
    /// The server's pool size (CAMPTRACK_DB_MAX_CONNECTIONS).
    #[arg(long, default_value_t = 4)]
    pool: u32,
    /// The server's concurrency limit (CAMPTRACK_MAX_CONCURRENT_REQUESTS).
    #[arg(long, default_value_t = 16)]
    max_concurrent: usize,
    /// The server binary; default: `camptrack-test-server` beside this one.
    #[arg(long)]
    server_bin: Option<std::path::PathBuf>,
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }
}

/// (resident, peak resident) bytes the server reports in `/metrics`.
async fn memory(http: &reqwest::Client, address: &str) -> Option<(f64, f64)> {
    let text = http
        .get(format!("{address}/metrics"))
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    let read = |name: &str| -> Option<f64> {
        text.lines()
            .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    };
    Some((
        read("camptrack_process_resident_memory_bytes")?,
        read("camptrack_process_peak_resident_memory_bytes")?,
    ))
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    // The database: a scratch SQLite file, or, with TEST_DATABASE_URL (a PostgreSQL admin
    // URL), a scratch PostgreSQL database, exactly as in the tests.
    let database = ScratchDatabase::new().await;
    let db = database.connect().await;
    let token = admin_token(&db).await;
    let bin = args.server_bin.clone().unwrap_or_else(|| {
        std::env::current_exe()
            .expect("this binary's path")
            .with_file_name("camptrack-test-server")
    });
    let mut child = Command::new(&bin)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("DATABASE_URL", &database.url)
        .env("CAMPTRACK_DB_MAX_CONNECTIONS", args.pool.to_string())
        .env(
            "CAMPTRACK_MAX_CONCURRENT_REQUESTS",
            args.max_concurrent.to_string(),
        )
        .env("CAMPTRACK_LOG_FORMAT", "json")
        .env("RUST_LOG", "warn,camptrack=info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "start {}: {e} (build it: cargo build -p camptrack-tests --bins)",
                bin.display()
            )
        });
    let stderr = child.stderr.take().expect("stderr");
    let server = Server(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if let Ok(entry) = serde_json::from_str::<Value>(&line)
                && let Some(address) = entry["fields"]["address"].as_str()
            {
                let _ = tx.send(address.to_owned());
            }
        }
    });
    let address = format!(
        "http://{}",
        rx.recv_timeout(Duration::from_secs(60))
            .expect("the server logs its address")
    );
    let site = soak::arrange(&address, &token).await;
    let http = soak::client();
    let before = memory(&http, &address).await;

    let started = Instant::now();
    let until = started + Duration::from_secs(args.seconds);
    let sampler = {
        let (http, address) = (http.clone(), address.clone());
        tokio::spawn(async move {
            let mut samples = Vec::new();
            while Instant::now() < until {
                if let Some(m) = memory(&http, &address).await {
                    samples.push(m.0);
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            samples
        })
    };
    let workers: Vec<_> = (0..args.clients)
        .map(|_| {
            tokio::spawn(soak::worker(
                address.clone(),
                token.clone(),
                site.clone(),
                0,
                Some(until),
                args.batch,
            ))
        })
        .collect();
    let mut tally = soak::Tally::default();
    for w in workers {
        tally.merge(w.await.expect("worker"));
    }
    let elapsed = started.elapsed().as_secs_f64();
    let samples = sampler.await.unwrap_or_default();
    let after = memory(&http, &address).await;
    let (known, total) = soak::stored(&address, &token, &tally.accepted).await;
    drop(server);

    tally.latencies.sort();
    let mb = |b: f64| b / 1_048_576.0;
    let half = samples.len() / 2;
    let mean = |s: &[f64]| {
        if s.is_empty() {
            0.0
        } else {
            s.iter().sum::<f64>() / s.len() as f64
        }
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "soak: {} clients, {:.0} s, pool {}, limit {}, batch {}, {}",
        args.clients,
        elapsed,
        args.pool,
        args.max_concurrent,
        args.batch,
        if camptrack_tests::on_postgres() {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    );
    let _ = writeln!(
        out,
        "answers: {} ({:.0}/s) by status {:?}; deliberate 503s {}",
        tally.answered(),
        tally.answered() as f64 / elapsed,
        tally.statuses,
        tally.deliberate_503
    );
    let _ = writeln!(
        out,
        "latency ms: p50 {:.1}  p95 {:.1}  p99 {:.1}  max {:.1}",
        percentile(&tally.latencies, 0.5),
        percentile(&tally.latencies, 0.95),
        percentile(&tally.latencies, 0.99),
        percentile(&tally.latencies, 1.0)
    );
    if let (Some(b), Some(a)) = (before, after) {
        let _ = writeln!(
            out,
            "server RSS MiB: start {:.1}, mean first half {:.1}, mean second half {:.1}, end {:.1}, peak {:.1}",
            mb(b.0),
            mb(mean(&samples[..half])),
            mb(mean(&samples[half..])),
            mb(a.0),
            mb(a.1)
        );
    }
    let _ = writeln!(
        out,
        "accepted items {}, known to the server {}, assessments stored {}",
        tally.accepted.len(),
        known,
        total
    );
    let ok = tally.violations.is_empty()
        && known == tally.accepted.len()
        && total == tally.accepted.len() as u64;
    for v in tally.violations.iter().take(10) {
        let _ = writeln!(out, "VIOLATION {v}");
    }
    let _ = writeln!(out, "{}", if ok { "PASS" } else { "FAIL" });
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
