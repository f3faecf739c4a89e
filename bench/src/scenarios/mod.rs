//! The scenarios, each timed beside its baselines in the same run, with answers compared.
//! camptrack and the bare handler are served by child processes ([`servers`]); the bench
//! process is the load generator and runs the baselines.

mod area;
pub mod bare;
mod export;
mod servers;
mod sync;
mod throughput;

use std::fmt::Write as _;

use camptrack_domain::codes::Role;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use uuid::Uuid;

use crate::dataset::{self, Backend, Size};

/// What one backend's run produced.
#[derive(Debug, Default)]
pub struct Section {
    /// Its part of the report.
    pub markdown: String,
    /// Answers that differed from camptrack's.
    pub mismatches: Vec<String>,
}

/// A scenario, to run some of them only (the large sizes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    /// `displacement` and `displacementByCell` against PostGIS, a box scan and the lower bound.
    Area,
    /// `site(id)` and `sites(area: cell)` under 64 connections against the bare handler.
    Throughput,
    /// A device's first delta sync of an area against plain SQL.
    Sync,
    /// The assessments CSV export against plain SQL.
    Export,
    /// The batch mutation against a raw multi-row INSERT.
    Ingest,
}

/// Sites, households and individuals: what every area method must agree on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Answer {
    sites: i64,
    households: i64,
    individuals: i64,
}

impl Answer {
    fn add(&mut self, households: i64, individuals: i64) {
        self.sites += 1;
        self.households += households;
        self.individuals += individuals;
    }
}

/// The report's opening: machine, versions, command.
pub async fn header(size: &Size, reps: usize, smoke: bool) -> String {
    let mut out = String::new();
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .next()
                .map(|l| l.split_whitespace().nth(1).unwrap_or("?").to_owned())
        })
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    let rustc = std::process::Command::new("rustc")
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    let command: Vec<String> = std::env::args().collect();
    let _ = writeln!(out, "# camptrack benchmarks\n");
    let _ = writeln!(
        out,
        "Written by `camptrack-bench` (bench/). Every figure stands beside its baseline, measured in the same run on the same machine; ratios are baseline time / camptrack time (above 1: camptrack is faster). Every method's answer was checked equal to camptrack's in the run.\n"
    );
    let _ = writeln!(out, "- Command: `{}`", command.join(" "));
    let _ = writeln!(
        out,
        "- Date: {}",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC")
    );
    let _ = writeln!(
        out,
        "- Machine: {cpu}, {cores} cores visible (shared with other work while measured), {mem} kB RAM"
    );
    let profile = if cfg!(debug_assertions) {
        "DEBUG profile: timings are not meaningful"
    } else {
        "release profile"
    };
    let _ = writeln!(out, "- Toolchain: {rustc}, {profile}");
    let (sites, rounds) = size.shape();
    let _ = writeln!(
        out,
        "- Size: `{}` = {sites} sites x {rounds} rounds, generator version {}",
        size.name(),
        dataset::GENERATOR_VERSION
    );
    let _ = writeln!(
        out,
        "- Repetitions: {reps} timed runs per query after one warm-up; median and p99 (nearest rank){}",
        if smoke {
            " (smoke run: answers checked, timings not meaningful)"
        } else {
            ""
        }
    );
    out
}

/// Runs every scenario on `backend`.
pub async fn run_backend(
    backend: Backend,
    size: Size,
    reps: usize,
    throughput_secs: u64,
    postgres_url: &str,
    scenarios: &[Scenario],
) -> Result<Section, String> {
    let mut s = Section::default();
    let data = dataset::open(size, backend, postgres_url)
        .await
        .map_err(|e| format!("opening the {} data set: {e}", size.name()))?;
    let conn = data.conn.clone();
    let version = version(&conn).await?;
    let _ = writeln!(s.markdown, "\n## {} ({version})\n", backend.name());
    let _ = writeln!(s.markdown, "{}\n", data.provenance(size));
    let points = site_points(&conn).await?;
    let _ = writeln!(s.markdown, "{} sites in the database.\n", points.len());
    let _ = writeln!(
        s.markdown,
        "Scenarios run: {}.\n",
        scenarios
            .iter()
            .map(|x| format!("{x:?}").to_lowercase())
            .collect::<Vec<_>>()
            .join(", ")
    );

    let admin = servers::token(&conn, Role::Admin, None, Default::default()).await?;
    let camptrack_child = servers::camptrack(&data.url)?;
    let bare_child = servers::bare(&data.url)?;
    let camptrack = servers::Api::new(camptrack_child.addr, admin);
    let bare = servers::Api::new(bare_child.addr, String::new());
    let idle = (camptrack_child.peak_rss(), bare_child.peak_rss());

    if scenarios.contains(&Scenario::Area) {
        area::run(&mut s, &conn, &camptrack, &points, reps, backend).await?;
    }
    if scenarios.contains(&Scenario::Throughput) {
        throughput::run(&mut s, &camptrack, &bare, &points, throughput_secs).await?;
    }
    let loaded = (camptrack_child.peak_rss(), bare_child.peak_rss());
    if scenarios.contains(&Scenario::Sync) {
        sync::run(&mut s, &conn, &camptrack, &points, reps).await?;
    }
    if scenarios.contains(&Scenario::Export) {
        export::run(&mut s, &conn, &camptrack, &camptrack_child).await?;
    }
    let exported = camptrack_child.peak_rss();

    if scenarios.contains(&Scenario::Throughput) || scenarios.contains(&Scenario::Export) {
        let _ = writeln!(
            s.markdown,
            "\n### Server memory: peak RSS (`VmHWM`) of the server processes\n"
        );
        let _ = writeln!(
            s.markdown,
            "| process | idle after start | after the throughput runs | after the export |\n|---|---|---|---|"
        );
        let _ = writeln!(
            s.markdown,
            "| camptrack (`camptrack serve`) | {} | {} | {exported} |",
            idle.0, loaded.0
        );
        let _ = writeln!(
            s.markdown,
            "| bare axum handler (`camptrack-bench bare-server`) | {} | {} | - |",
            idle.1, loaded.1
        );
    }

    if scenarios.contains(&Scenario::Ingest) {
        let ingest = crate::ingest::run(backend, size, postgres_url).await?;
        s.markdown.push_str(&ingest.markdown);
        s.mismatches.extend(ingest.mismatches);
    }
    Ok(s)
}

pub(crate) fn check(s: &mut Section, label: &str, method: &str, ours: Answer, theirs: Answer) {
    if ours != theirs {
        s.mismatches.push(format!(
            "{label}: camptrack {ours:?} vs {method} {theirs:?}"
        ));
    }
}

pub(crate) fn ph(backend: DbBackend, n: usize) -> String {
    match backend {
        DbBackend::Postgres => format!("${n}"),
        _ => "?".to_owned(),
    }
}

/// `count` placeholders from the first, comma-separated, for an `IN (...)` list.
pub(crate) fn placeholders(backend: DbBackend, count: usize) -> String {
    let marks: Vec<String> = (1..=count).map(|i| ph(backend, i)).collect();
    marks.join(", ")
}

async fn version(conn: &DatabaseConnection) -> Result<String, String> {
    let sql = match conn.get_database_backend() {
        DbBackend::Postgres => "SELECT version() AS v",
        _ => "SELECT 'SQLite ' || sqlite_version() AS v",
    };
    let row = conn
        .query_one_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .map_err(|e| e.to_string())?
        .ok_or("no version")?;
    let v: String = row.try_get("", "v").map_err(|e| e.to_string())?;
    Ok(v.split(" on ").next().unwrap_or(&v).to_owned())
}

async fn site_points(conn: &DatabaseConnection) -> Result<Vec<(Uuid, f64, f64)>, String> {
    let rows = conn
        .query_all_raw(Statement::from_string(
            conn.get_database_backend(),
            "SELECT id, lat, lon FROM sites ORDER BY id",
        ))
        .await
        .map_err(|e| e.to_string())?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("", "id").map_err(|e| e.to_string())?,
                r.try_get("", "lat").map_err(|e| e.to_string())?,
                r.try_get("", "lon").map_err(|e| e.to_string())?,
            ))
        })
        .collect()
}
