//! Measures exports at scale: seeds a scratch database (SQLite, or PostgreSQL when
//! `TEST_DATABASE_URL` is set) with ROWS sites, starts the camptrack server as a child OS
//! process, downloads `sites.csv` and `sites.geojson` (and a tenth of the rows first, for
//! comparison), and prints rows, bytes, time, throughput and the server's peak RSS (VmHWM
//! from `/proc/<pid>/status`) after each download. Memory that stays flat from a tenth of
//! the rows to all of them shows the export streams.
//!
//! ```sh
//! cargo build --release -p camptrack-tests --bins
//! target/release/export-rss 200000
//! TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres target/release/export-rss 200000
//! ```

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use camptrack_domain::codes::Sex;
use camptrack_domain::sadd::SaddRow;
use camptrack_geo::Coordinates;
use camptrack_tests::ScratchDatabase;
use sea_orm::sea_query::{Alias, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};

/// Sites per INSERT statement.
const PER_INSERT: usize = 500;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rows: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(200_000);
    let scratch = ScratchDatabase::new().await;
    let db = scratch.connect().await;
    let started = Instant::now();
    seed(&db, rows).await?;
    let token = camptrack_tests::admin_token(&db).await;
    report(format_args!(
        "seeded {rows} sites in {:.1} s ({})",
        started.elapsed().as_secs_f64(),
        if camptrack_tests::on_postgres() {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    ));

    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let server = std::env::current_exe()?.with_file_name("camptrack-test-server");
    let mut child = Command::new(server)
        .arg("serve")
        .env("DATABASE_URL", &scratch.url)
        .env("CAMPTRACK_LISTEN", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()?;
    let result = measure(&child, port, &token, rows).await;
    child.kill()?;
    child.wait()?;
    result
}

async fn measure(
    child: &Child,
    port: u16,
    token: &str,
    rows: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(3600))
        .build()?;
    for _ in 0..200 {
        if http.get(format!("{base}/readyz")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    report(format_args!(
        "server pid {}: after start VmRSS {} kB, VmHWM {} kB",
        child.id(),
        status_kb(child.id(), "VmRSS")?,
        status_kb(child.id(), "VmHWM")?
    ));
    report(format_args!(
        "{:<38} {:>9} {:>12} {:>8} {:>10} {:>10}",
        "export", "rows", "bytes", "secs", "rows/s", "VmHWM kB"
    ));
    for path in [
        "/export/sites.csv?adminPcode=NG009",
        "/export/sites.csv",
        "/export/sites.geojson",
    ] {
        let started = Instant::now();
        let mut response = http
            .get(format!("{base}{path}"))
            .bearer_auth(token)
            .send()
            .await?;
        if !response.status().is_success() {
            return Err(format!("{path}: {}", response.status()).into());
        }
        let (mut bytes, mut lines) = (0usize, 0usize);
        while let Some(chunk) = response.chunk().await? {
            bytes += chunk.len();
            lines += chunk.iter().filter(|b| **b == b'\n').count();
        }
        let secs = started.elapsed().as_secs_f64();
        // CSV: two header rows; GeoJSON: an opening and a closing line around the features.
        let exported = lines.saturating_sub(2);
        #[expect(clippy::cast_precision_loss, reason = "a rate for people to read")]
        let rate = exported as f64 / secs;
        report(format_args!(
            "{path:<38} {exported:>9} {bytes:>12} {secs:>8.2} {rate:>10.0} {:>10}",
            status_kb(child.id(), "VmHWM")?
        ));
    }
    report(format_args!("({rows} sites seeded)"));
    Ok(())
}

/// A `/proc/<pid>/status` field in kB.
fn status_kb(pid: u32, field: &str) -> Result<u64, Box<dyn std::error::Error>> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| format!("no {field} in /proc/{pid}/status").into())
}

fn report(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "{line}");
}

/// Writes `rows` open sites straight into the table (as `sites::create` would store them,
/// without audit or change-log rows, which exports do not read), a tenth of them in admin1
/// `NG009`, each with current figures and SADD.
async fn seed(db: &DatabaseConnection, rows: usize) -> Result<(), Box<dyn std::error::Error>> {
    let backend = db.get_database_backend();
    let now = camptrack::storage::now();
    let opened = chrono::NaiveDate::from_ymd_opt(2023, 1, 1).ok_or("date")?;
    let txn = db.begin().await?;
    for start in (0..rows).step_by(PER_INSERT) {
        let mut insert = Query::insert();
        insert.into_table(Alias::new("sites")).columns(
            [
                "id",
                "code",
                "name",
                "site_type",
                "operational_status",
                "formal_status",
                "lat",
                "lon",
                "cell",
                "admin0_pcode",
                "admin1_pcode",
                "admin2_pcode",
                "opened_on",
                "current_households",
                "current_individuals",
                "current_sadd",
                "version",
                "created_at",
                "updated_at",
            ]
            .map(Alias::new),
        );
        for i in start..(start + PER_INSERT).min(rows) {
            #[expect(clippy::cast_precision_loss, reason = "small grid offsets")]
            let (lat, lon) = (
                10.0 + (i / 1000) as f64 * 0.004,
                12.0 + (i % 1000) as f64 * 0.004,
            );
            let cell = Coordinates::new(lat, lon)?.cell().as_i64();
            let households = i64::try_from(i % 400)? + 1;
            let sadd = serde_json::to_value(vec![
                SaddRow {
                    sex: Sex::Female,
                    age_min: 1,
                    age_max: Some(5),
                    count: u32::try_from(households)?,
                },
                SaddRow {
                    sex: Sex::Male,
                    age_min: 60,
                    age_max: None,
                    count: 1,
                },
            ])?;
            let admin1 = if i % 10 == 0 { "NG009" } else { "NG002" };
            insert.values_panic([
                uuid::Uuid::now_v7().into(),
                format!("CCCM-{admin1}001-{i:07}").into(),
                format!("Site {i}, \"block\" {}", i % 7).into(),
                "PLANNED_CAMP".into(),
                "OPEN".into(),
                "FORMAL".into(),
                lat.into(),
                lon.into(),
                cell.into(),
                "NGA".into(),
                admin1.into(),
                format!("{admin1}001").into(),
                opened.into(),
                households.into(),
                (households * 5).into(),
                sadd.into(),
                1i32.into(),
                now.into(),
                now.into(),
            ]);
        }
        txn.execute_raw(backend.build(&insert)).await?;
    }
    txn.commit().await?;
    Ok(())
}
