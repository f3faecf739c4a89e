//! The scenarios, each timed beside its baselines in the same run, with answers compared.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::routing::get;
use camptrack::config::ServeArgs;
use camptrack::storage::accounts::{self, AccountDraft};
use camptrack_domain::codes::Role;
use camptrack_geo::{Area, Coordinates, CoverLimits, PreparedArea, Resolution};
use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, Value};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::dataset::{self, Backend, Size};
use crate::stats::{Timings, ms, repeat, speedup};

/// What one backend's run produced.
#[derive(Debug, Default)]
pub struct Section {
    /// Its part of the report.
    pub markdown: String,
    /// Answers that differed from camptrack's.
    pub mismatches: Vec<String>,
}

/// Sites, households and individuals: what every area method must agree on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Answer {
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
) -> Result<Section, String> {
    let mut s = Section::default();
    let data = dataset::open(size, backend, postgres_url)
        .await
        .map_err(|e| format!("opening the {} data set: {e}", size.name()))?;
    let conn = data.conn.clone();
    let version = version(&conn).await?;
    let _ = writeln!(s.markdown, "\n## {} ({version})\n", backend.name());
    match data.built_in {
        Some(t) => {
            let _ = writeln!(
                s.markdown,
                "Data set built in this run through the storage functions (the demo loader) in {:.1} s; cached for later runs.\n",
                t.as_secs_f64()
            );
        }
        None => {
            let _ = writeln!(
                s.markdown,
                "Data set read from the cache (`$CAMPTRACK_BENCH_CACHE` or `~/.cache/camptrack-bench`).\n"
            );
        }
    }
    let server = Server::start(conn.clone()).await?;
    let rss_idle = rss();
    let today = chrono::Utc::now().date_naive();
    let points = site_points(&conn).await?;
    let _ = writeln!(s.markdown, "{} sites in the database.\n", points.len());

    // Area aggregation.
    let postgis = match backend {
        Backend::Postgres => postgis_setup(&conn).await,
        Backend::Sqlite => Err("no PostGIS on SQLite".to_owned()),
    };
    baseline_setup(&conn).await?;
    let _ = writeln!(
        s.markdown,
        "### Area aggregation: `displacement(area: polygon)` today\n"
    );
    let _ = writeln!(
        s.markdown,
        "Baselines: (b) latitude/longitude box scan over a (lat, lon, ...) index plus the same exact test in Rust; (c) the lower bound, a raw SQL sum over exactly the right rows (ids precomputed into a joined table){}.\n",
        if postgis.is_ok() {
            "; (a) PostGIS `ST_Covers` over a GiST-indexed geometry copy of the same rows"
        } else {
            ""
        }
    );
    let _ = writeln!(
        s.markdown,
        "| polygon | sites in it | camptrack median / p99 ms | (b) box scan median / p99 ms | ratio (b) | (c) lower bound median ms | ratio (c) | (a) PostGIS median / p99 ms | ratio (a) |"
    );
    let _ = writeln!(s.markdown, "|---|---|---|---|---|---|---|---|---|");
    let mut areas = Vec::new();
    for (i, fraction) in [0.01, 0.1, 0.5].into_iter().enumerate() {
        let (geojson, bbox) = strip(&points, fraction);
        let prepared = Area::from_geojson(&geojson, &CoverLimits::default())
            .and_then(|a| a.prepare(&CoverLimits::default()))
            .map_err(|e| format!("area: {e}"))?;
        let area_id = i64::try_from(i).unwrap_or(0);
        let members = fill_members(&conn, area_id, &prepared, bbox, today).await?;
        let ours = {
            let server = &server;
            let geojson = geojson.clone();
            repeat(reps, move || {
                let geojson = geojson.clone();
                async move { server.displacement(&geojson).await }
            })
            .await?
        };
        let boxed = repeat(reps, || box_scan(&conn, &prepared, bbox, today)).await?;
        let lower = repeat(reps, || lower_bound(&conn, area_id)).await?;
        let gis = match &postgis {
            Ok(()) => Some(repeat(reps, || postgis_sum(&conn, &geojson, today)).await?),
            Err(_) => None,
        };
        let label = format!("{:.0}%", fraction * 100.0);
        check(&mut s, &label, "box scan", ours.0, boxed.0);
        check(&mut s, &label, "lower bound", ours.0, lower.0);
        if members != ours.0.sites {
            s.mismatches.push(format!(
                "{label}: {members} member rows vs {} sites",
                ours.0.sites
            ));
        }
        if let Some(g) = &gis {
            check(&mut s, &label, "PostGIS", ours.0, g.0);
        }
        let (om, bm, lm) = (ours.1.median(), boxed.1.median(), lower.1.median());
        let gis_cells = gis.as_ref().map_or_else(
            || "not measured (no PostGIS here) | -".to_owned(),
            |g| {
                format!(
                    "{} / {} | {}",
                    ms(g.1.median()),
                    ms(g.1.p99()),
                    speedup(om, g.1.median())
                )
            },
        );
        let _ = writeln!(
            s.markdown,
            "| about {label} of sites | {} | {} / {} | {} / {} | {} | {} | {} | {gis_cells} |",
            ours.0.sites,
            ms(om),
            ms(ours.1.p99()),
            ms(bm),
            ms(boxed.1.p99()),
            speedup(om, bm),
            ms(lm),
            speedup(om, lm),
        );
        areas.push((label, geojson, prepared, bbox));
    }
    if let Err(e) = &postgis {
        let _ = writeln!(s.markdown, "\n(a) PostGIS: not measured: {e}.");
    }

    // Hex map.
    let _ = writeln!(
        s.markdown,
        "\n### Hex map: `displacementByCell(area, resolution: 7)` today\n"
    );
    let _ = writeln!(
        s.markdown,
        "| polygon | cells | camptrack median / p99 ms | box scan + `latlng_to_cell` median / p99 ms | ratio |"
    );
    let _ = writeln!(s.markdown, "|---|---|---|---|---|");
    for (label, geojson, prepared, bbox) in &areas {
        let ours = {
            let server = &server;
            repeat(reps, || server.hex_map(geojson, 7)).await?
        };
        let boxed = repeat(reps, || box_scan_by_cell(&conn, prepared, *bbox, today, 7)).await?;
        if ours.0 != boxed.0 {
            s.mismatches.push(format!(
                "hex map {label}: camptrack {} cells vs box scan {} cells (or figures differ)",
                ours.0.len(),
                boxed.0.len()
            ));
        }
        let _ = writeln!(
            s.markdown,
            "| {label} | {} | {} / {} | {} / {} | {} |",
            ours.0.len(),
            ms(ours.1.median()),
            ms(ours.1.p99()),
            ms(boxed.1.median()),
            ms(boxed.1.p99()),
            speedup(ours.1.median(), boxed.1.median())
        );
    }
    let _ = writeln!(
        s.markdown,
        "\nPostGIS `ST_Covers` joined to hexagon polygons: not measured yet."
    );

    // Throughput.
    let _ = writeln!(
        s.markdown,
        "\n### API throughput: `site(id)`, 64 concurrent connections, {throughput_secs} s each\n"
    );
    let ids: Arc<Vec<Uuid>> = Arc::new(points.iter().map(|p| p.0).collect());
    let sample = ids.first().copied().ok_or("no sites")?;
    let (g, b) = (
        server.site_graphql(sample).await?,
        server.site_bare(sample).await?,
    );
    if g != b {
        s.mismatches
            .push(format!("site({sample}): GraphQL {g} vs bare handler {b}"));
    }
    let gql = server.load(Arc::clone(&ids), throughput_secs, true).await?;
    let bare = server
        .load(Arc::clone(&ids), throughput_secs, false)
        .await?;
    let rss_load = rss();
    let _ = writeln!(s.markdown, "| path | requests/s | median ms | p99 ms |");
    let _ = writeln!(s.markdown, "|---|---|---|---|");
    for (name, (count, times, secs)) in [
        ("GraphQL `site(id)`", &gql),
        ("bare axum JSON handler, same read", &bare),
    ] {
        let _ = writeln!(
            s.markdown,
            "| {name} | {:.0} | {} | {} |",
            *count as f64 / secs,
            ms(times.median()),
            ms(times.p99())
        );
    }
    let ratio = (gql.0 as f64 / gql.2) / (bare.0 as f64 / bare.2).max(1e-9);
    let _ = writeln!(
        s.markdown,
        "\nGraphQL at {:.0}% of the bare handler's throughput (target: 50% or more){}.",
        ratio * 100.0,
        if ratio >= 0.5 { "" } else { ": MISSED" }
    );
    let _ = writeln!(
        s.markdown,
        "The load generator runs in the same process as the server on the same 2 cores, for both paths alike."
    );
    let _ = writeln!(
        s.markdown,
        "\n### Memory\n\nPeak RSS (VmHWM) of the bench process, which holds the server in-process: {} after loading/opening, {} after the throughput runs. (Not yet measured on a separate server child.)",
        rss_idle, rss_load
    );

    let _ = writeln!(s.markdown, "\n### Not measured yet\n");
    for line in [
        "Ingest through the batch mutation vs a raw multi-row INSERT of the same rows.",
        "`sites(area: cell, first: 50)` throughput.",
        "Delta sync of a 2,000-site area.",
        "Export of 1M assessment rows (`GET /export/assessments.csv`): the exports endpoint is not merged yet.",
        "Scale curve 10k / 100k / 1M: run the command at each size; 100k x 20 rounds and 1M x 2 rounds need the fast bulk loader, which is not written yet (the demo loader is used).",
    ] {
        let _ = writeln!(s.markdown, "- {line}");
    }
    server.stop();
    Ok(s)
}

fn check(s: &mut Section, label: &str, method: &str, ours: Answer, theirs: Answer) {
    if ours != theirs {
        s.mismatches.push(format!(
            "{label}: camptrack {ours:?} vs {method} {theirs:?}"
        ));
    }
}

fn rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM"))
                .map(|l| l.trim_start_matches("VmHWM:").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

fn ph(backend: DbBackend, n: usize) -> String {
    match backend {
        DbBackend::Postgres => format!("${n}"),
        _ => "?".to_owned(),
    }
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

/// A quadrilateral holding about `fraction` of the sites: a square around the densest
/// resolution-4 hexagon's centre, sized by the sites' distances, with a slanted east edge.
fn strip(points: &[(Uuid, f64, f64)], fraction: f64) -> (Json, [f64; 4]) {
    let res = Resolution::new(4).ok();
    let mut counts: BTreeMap<i64, usize> = BTreeMap::new();
    for p in points {
        if let (Ok(c), Some(r)) = (Coordinates::new(p.1, p.2), res) {
            *counts.entry(c.cell_at(r).as_i64()).or_default() += 1;
        }
    }
    let densest = counts
        .iter()
        .max_by_key(|(cell, n)| (**n, std::cmp::Reverse(**cell)))
        .and_then(|(cell, _)| camptrack_geo::Cell::try_from(*cell).ok());
    let (clat, clon) = densest.map_or((0.0, 0.0), |c| (c.center().lat(), c.center().lon()));
    let mut d: Vec<f64> = points
        .iter()
        .map(|p| (p.1 - clat).abs().max((p.2 - clon).abs()))
        .collect();
    d.sort_unstable_by(f64::total_cmp);
    let k = ((d.len() as f64) * fraction) as usize;
    let h = d
        .get(k.min(d.len().saturating_sub(1)))
        .copied()
        .unwrap_or(0.1)
        + 1e-4;
    let slant = h * 0.2;
    let (west, east, south, north) = (clon - h, clon + h, clat - h, clat + h);
    let ring = json!([
        [west, south],
        [east + slant, south],
        [east - slant, north],
        [west, north],
        [west, south]
    ]);
    (
        json!({ "type": "Polygon", "coordinates": [ring] }),
        [west, south, east + slant, north],
    )
}

async fn baseline_setup(conn: &DatabaseConnection) -> Result<(), String> {
    for sql in [
        "CREATE INDEX IF NOT EXISTS bench_sites_lat_lon ON sites (lat, lon, opened_on, closed_on, current_households, current_individuals)",
        "DROP TABLE IF EXISTS bench_members",
        match conn.get_database_backend() {
            DbBackend::Postgres => {
                "CREATE TABLE bench_members (area BIGINT NOT NULL, site_id UUID NOT NULL, PRIMARY KEY (area, site_id))"
            }
            _ => {
                "CREATE TABLE bench_members (area BIGINT NOT NULL, site_id BLOB NOT NULL, PRIMARY KEY (area, site_id))"
            }
        },
    ] {
        conn.execute_unprepared(sql)
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn is_open(opened: Option<NaiveDate>, closed: Option<NaiveDate>, day: NaiveDate) -> bool {
    opened.is_none_or(|o| o <= day) && closed.is_none_or(|c| c > day)
}

async fn scan_rows(
    conn: &DatabaseConnection,
    bbox: [f64; 4],
) -> Result<Vec<sea_orm::QueryResult>, String> {
    let b = conn.get_database_backend();
    let sql = format!(
        "SELECT id, lat, lon, opened_on, closed_on, current_households, current_individuals FROM sites WHERE lat BETWEEN {} AND {} AND lon BETWEEN {} AND {}",
        ph(b, 1),
        ph(b, 2),
        ph(b, 3),
        ph(b, 4)
    );
    let [west, south, east, north] = bbox;
    conn.query_all_raw(Statement::from_sql_and_values(
        b,
        sql,
        [south, north, west, east].map(Value::from),
    ))
    .await
    .map_err(|e| e.to_string())
}

struct Row {
    id: Uuid,
    location: Coordinates,
    open: bool,
    households: i64,
    individuals: i64,
}

fn row(r: &sea_orm::QueryResult, today: NaiveDate) -> Result<Row, String> {
    let e = |e: sea_orm::DbErr| e.to_string();
    let lat: f64 = r.try_get("", "lat").map_err(e)?;
    let lon: f64 = r.try_get("", "lon").map_err(e)?;
    let opened: Option<NaiveDate> = r.try_get("", "opened_on").map_err(e)?;
    let closed: Option<NaiveDate> = r.try_get("", "closed_on").map_err(e)?;
    Ok(Row {
        id: r.try_get("", "id").map_err(e)?,
        location: Coordinates::new(lat, lon).map_err(|e| e.to_string())?,
        open: is_open(opened, closed, today),
        households: r.try_get("", "current_households").map_err(e)?,
        individuals: r.try_get("", "current_individuals").map_err(e)?,
    })
}

async fn box_scan(
    conn: &DatabaseConnection,
    area: &PreparedArea,
    bbox: [f64; 4],
    today: NaiveDate,
) -> Result<Answer, String> {
    let mut answer = Answer::default();
    for r in scan_rows(conn, bbox).await? {
        let r = row(&r, today)?;
        if r.open && area.contains(&r.location) {
            answer.add(r.households, r.individuals);
        }
    }
    Ok(answer)
}

async fn box_scan_by_cell(
    conn: &DatabaseConnection,
    area: &PreparedArea,
    bbox: [f64; 4],
    today: NaiveDate,
    res: u8,
) -> Result<BTreeMap<String, Answer>, String> {
    let res = Resolution::new(res).map_err(|e| e.to_string())?;
    let mut out: BTreeMap<String, Answer> = BTreeMap::new();
    for r in scan_rows(conn, bbox).await? {
        let r = row(&r, today)?;
        if r.open && area.contains(&r.location) {
            out.entry(r.location.cell_at(res).to_string())
                .or_default()
                .add(r.households, r.individuals);
        }
    }
    Ok(out)
}

/// Stores the ids of the open sites in `area` (found by the box scan) as area `area_id`.
async fn fill_members(
    conn: &DatabaseConnection,
    area_id: i64,
    area: &PreparedArea,
    bbox: [f64; 4],
    today: NaiveDate,
) -> Result<i64, String> {
    let b = conn.get_database_backend();
    let mut ids = Vec::new();
    for r in scan_rows(conn, bbox).await? {
        let r = row(&r, today)?;
        if r.open && area.contains(&r.location) {
            ids.push(r.id);
        }
    }
    for chunk in ids.chunks(400) {
        let mut sql = String::from("INSERT INTO bench_members (area, site_id) VALUES ");
        let mut values = Vec::with_capacity(chunk.len() * 2);
        for (i, id) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            let _ = write!(sql, "({}, {})", ph(b, 2 * i + 1), ph(b, 2 * i + 2));
            values.push(Value::from(area_id));
            values.push(Value::from(*id));
        }
        conn.execute_raw(Statement::from_sql_and_values(b, sql, values))
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(i64::try_from(ids.len()).unwrap_or(i64::MAX))
}

async fn lower_bound(conn: &DatabaseConnection, area_id: i64) -> Result<Answer, String> {
    let b = conn.get_database_backend();
    let sql = format!(
        "SELECT COUNT(*) AS n, CAST(SUM(s.current_households) AS BIGINT) AS hh, CAST(SUM(s.current_individuals) AS BIGINT) AS ind FROM bench_members m JOIN sites s ON s.id = m.site_id WHERE m.area = {}",
        ph(b, 1)
    );
    sum_row(
        conn,
        Statement::from_sql_and_values(b, sql, [Value::from(area_id)]),
    )
    .await
}

async fn sum_row(conn: &DatabaseConnection, statement: Statement) -> Result<Answer, String> {
    let r = conn
        .query_one_raw(statement)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("no row")?;
    let e = |e: sea_orm::DbErr| e.to_string();
    Ok(Answer {
        sites: r.try_get("", "n").map_err(e)?,
        households: r.try_get::<Option<i64>>("", "hh").map_err(e)?.unwrap_or(0),
        individuals: r.try_get::<Option<i64>>("", "ind").map_err(e)?.unwrap_or(0),
    })
}

async fn postgis_setup(conn: &DatabaseConnection) -> Result<(), String> {
    for sql in [
        "CREATE EXTENSION IF NOT EXISTS postgis",
        "DROP TABLE IF EXISTS bench_sites_geo",
        "CREATE TABLE bench_sites_geo AS SELECT id, ST_SetSRID(ST_MakePoint(lon, lat), 4326) AS geom, opened_on, closed_on, current_households AS households, current_individuals AS individuals FROM sites",
        "CREATE INDEX bench_sites_geo_gist ON bench_sites_geo USING GIST (geom)",
        "ANALYZE bench_sites_geo",
    ] {
        conn.execute_unprepared(sql)
            .await
            .map_err(|e| format!("PostGIS setup (`{sql}`): {e}"))?;
    }
    Ok(())
}

async fn postgis_sum(
    conn: &DatabaseConnection,
    geojson: &Json,
    today: NaiveDate,
) -> Result<Answer, String> {
    let sql = "SELECT COUNT(*) AS n, CAST(SUM(households) AS BIGINT) AS hh, CAST(SUM(individuals) AS BIGINT) AS ind FROM bench_sites_geo WHERE ST_Covers(ST_SetSRID(ST_GeomFromGeoJSON($1), 4326), geom) AND (opened_on IS NULL OR opened_on <= $2) AND (closed_on IS NULL OR closed_on > $2)";
    sum_row(
        conn,
        Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            [Value::from(geojson.to_string()), Value::from(today)],
        ),
    )
    .await
}

/// camptrack served in this process, and a bare axum handler over the same pool.
struct Server {
    graphql: String,
    bare: String,
    token: String,
    http: reqwest::Client,
    stops: Vec<tokio::sync::oneshot::Sender<()>>,
}

async fn bare_site(
    State(conn): State<DatabaseConnection>,
    Path(id): Path<Uuid>,
) -> axum::Json<Json> {
    let b = conn.get_database_backend();
    let sql = format!(
        "SELECT id, name, current_households, current_individuals FROM sites WHERE id = {}",
        ph(b, 1)
    );
    let answer = conn
        .query_one_raw(Statement::from_sql_and_values(b, sql, [Value::from(id)]))
        .await
        .ok()
        .flatten()
        .map(|r| {
            json!({
                "id": r.try_get::<Uuid>("", "id").ok(),
                "name": r.try_get::<String>("", "name").ok(),
                "households": r.try_get::<i64>("", "current_households").ok(),
                "individuals": r.try_get::<i64>("", "current_individuals").ok(),
            })
        })
        .unwrap_or(Json::Null);
    axum::Json(answer)
}

impl Server {
    async fn start(conn: DatabaseConnection) -> Result<Self, String> {
        let admin = accounts::create(
            &conn,
            None,
            AccountDraft {
                name: "bench".into(),
                role: Role::Admin,
                organisation_id: None,
                area: Default::default(),
            },
        )
        .await
        .map_err(|e| e.to_string())?;
        let (_, secret) = accounts::create_token(&conn, None, admin.id, "bench".into(), None)
            .await
            .map_err(|e| e.to_string())?;
        let mut stops = Vec::new();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| e.to_string())?;
        let graphql = format!(
            "http://{}/graphql",
            listener.local_addr().map_err(|e| e.to_string())?
        );
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        stops.push(tx);
        let state = camptrack::AppState::new(conn.clone(), ServeArgs::parse_from(["serve"]));
        tokio::spawn(camptrack::serve(listener, state, async {
            let _ = rx.await;
        }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| e.to_string())?;
        let bare = format!(
            "http://{}/site",
            listener.local_addr().map_err(|e| e.to_string())?
        );
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        stops.push(tx);
        let router = axum::Router::new()
            .route("/site/{id}", get(bare_site))
            .with_state(conn);
        tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await
        });
        Ok(Self {
            graphql,
            bare,
            token: secret.expose().to_owned(),
            http: reqwest::Client::new(),
            stops,
        })
    }

    fn stop(self) {
        for s in self.stops {
            let _ = s.send(());
        }
    }

    async fn gql(&self, query: &str, variables: Json) -> Result<Json, String> {
        let response = self
            .http
            .post(&self.graphql)
            .bearer_auth(&self.token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status();
        let text = response.text().await.map_err(|e| e.to_string())?;
        let body: Json = serde_json::from_str(&text).map_err(|e| {
            format!(
                "HTTP {status} with an unreadable body ({e}): {}",
                text.chars().take(200).collect::<String>()
            )
        })?;
        if let Some(errors) = body.get("errors") {
            return Err(format!("GraphQL errors: {errors}"));
        }
        Ok(body["data"].clone())
    }

    async fn displacement(&self, area: &Json) -> Result<Answer, String> {
        let data = self
            .gql(
                "query($a: AreaInput!) { displacement(area: $a) { sites households individuals } }",
                json!({ "a": { "polygon": area } }),
            )
            .await?;
        let d = &data["displacement"];
        Ok(Answer {
            sites: d["sites"].as_i64().unwrap_or(-1),
            households: d["households"].as_i64().unwrap_or(-1),
            individuals: d["individuals"].as_i64().unwrap_or(-1),
        })
    }

    async fn hex_map(&self, area: &Json, res: u8) -> Result<BTreeMap<String, Answer>, String> {
        let data = self
            .gql(
                "query($a: AreaInput!, $r: Int!) { displacementByCell(area: $a, resolution: $r) { cells { cell figures { sites households individuals } } } }",
                json!({ "a": { "polygon": area }, "r": res }),
            )
            .await?;
        let mut out = BTreeMap::new();
        for c in data["displacementByCell"]["cells"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let f = &c["figures"];
            out.insert(
                c["cell"].as_str().unwrap_or_default().to_owned(),
                Answer {
                    sites: f["sites"].as_i64().unwrap_or(-1),
                    households: f["households"].as_i64().unwrap_or(-1),
                    individuals: f["individuals"].as_i64().unwrap_or(-1),
                },
            );
        }
        Ok(out)
    }

    async fn site_graphql(&self, id: Uuid) -> Result<Json, String> {
        let data = self
            .gql(
                "query($id: UUID!) { site(id: $id) { id name current { households individuals } } }",
                json!({ "id": id }),
            )
            .await?;
        let s = &data["site"];
        Ok(
            json!({ "id": s["id"], "name": s["name"], "households": s["current"]["households"], "individuals": s["current"]["individuals"] }),
        )
    }

    async fn site_bare(&self, id: Uuid) -> Result<Json, String> {
        self.http
            .get(format!("{}/{id}", self.bare))
            .send()
            .await
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())
    }

    /// 64 concurrent clients for `secs` seconds; returns requests done, latencies, seconds.
    async fn load(
        &self,
        ids: Arc<Vec<Uuid>>,
        secs: u64,
        graphql: bool,
    ) -> Result<(u64, Timings, f64), String> {
        let started = Instant::now();
        let deadline = started + Duration::from_secs(secs);
        let mut tasks = Vec::new();
        for worker in 0..64_usize {
            let ids = Arc::clone(&ids);
            let http = self.http.clone();
            let (graphql_url, bare, token) =
                (self.graphql.clone(), self.bare.clone(), self.token.clone());
            tasks.push(tokio::spawn(async move {
                let mut times = Vec::new();
                let mut failures = 0_u64;
                let mut i = worker.wrapping_mul(7919);
                while Instant::now() < deadline {
                    i = i.wrapping_add(104_729);
                    let id = ids[i % ids.len()];
                    let t = Instant::now();
                    let ok = if graphql {
                        http.post(&graphql_url)
                            .bearer_auth(&token)
                            .json(&json!({ "query": "query($id: UUID!) { site(id: $id) { id name current { households individuals } } }", "variables": { "id": id } }))
                            .send()
                            .await
                            .and_then(reqwest::Response::error_for_status)
                    } else {
                        http.get(format!("{bare}/{id}")).send().await.and_then(reqwest::Response::error_for_status)
                    };
                    match ok {
                        Ok(r) => {
                            let _ = r.bytes().await;
                            times.push(t.elapsed());
                        }
                        Err(_) => failures += 1,
                    }
                }
                (times, failures)
            }));
        }
        let mut all = Vec::new();
        let mut failures = 0;
        for t in tasks {
            let (times, f) = t.await.map_err(|e| e.to_string())?;
            all.extend(times);
            failures += f;
        }
        if failures > 0 {
            return Err(format!("{failures} requests failed under load"));
        }
        let secs = started.elapsed().as_secs_f64();
        Ok((all.len() as u64, Timings(all), secs))
    }
}
