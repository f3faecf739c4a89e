//! Export: `GET /export/assessments.csv` streamed from the camptrack child, beside the same
//! rows read by plain keyset SQL and written as CSV in the bench; both row counts checked
//! equal to the table's.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DatabaseConnection, QueryResult, Statement, Value};
use uuid::Uuid;

use super::servers::{Api, Child};
use super::{Section, ph, placeholders};
use crate::stats::speedup;

/// Rows per keyset page of the baseline (camptrack's default `--export-page-rows`).
const PAGE_ROWS: usize = 1000;

/// Header lines of camptrack's CSV: the column names and the HXL hashtags.
const HEADER_LINES: u64 = 2;

/// What one export did.
struct Export {
    rows: u64,
    bytes: u64,
    took: Duration,
}

impl Export {
    fn line(&self, path: &str) -> String {
        let secs = self.took.as_secs_f64().max(1e-9);
        format!(
            "| {path} | {} | {:.1} | {:.0} | {:.1} |",
            self.rows,
            secs,
            self.rows as f64 / secs,
            self.bytes as f64 / 1e6 / secs
        )
    }
}

/// Runs the export scenario once each way (an export is long: one run, no repetitions).
pub async fn run(
    s: &mut Section,
    conn: &DatabaseConnection,
    camptrack: &Api,
    child: &Child,
) -> Result<(), String> {
    let total = table_rows(conn).await?;
    let rss_before = child.peak_rss();
    let ours = download(camptrack).await?;
    let rss_after = child.peak_rss();
    let plain = plain_csv(conn).await?;
    for (path, rows) in [("camptrack", ours.rows), ("plain SQL", plain.rows)] {
        if rows != total {
            s.mismatches.push(format!(
                "export: {path} wrote {rows} assessment rows, the table holds {total}"
            ));
        }
    }
    let _ = writeln!(
        s.markdown,
        "\n### Export: `GET /export/assessments.csv`, {total} assessment rows\n"
    );
    let _ = writeln!(
        s.markdown,
        "Streamed from the camptrack child by the bench (bytes counted, rows counted outside quoted fields, nothing kept); baseline: the same rows (assessment, site code/name/p-codes, organisation code, SADD rows) read by plain keyset SQL, {PAGE_ROWS} a page, and written as CSV in the bench. Both row counts were checked equal to the table's. One run each.\n"
    );
    let _ = writeln!(
        s.markdown,
        "| path | rows | s | rows/s | MB/s |\n|---|---|---|---|---|"
    );
    let _ = writeln!(
        s.markdown,
        "{}",
        ours.line("camptrack CSV export over HTTP")
    );
    let _ = writeln!(s.markdown, "{}", plain.line("plain SQL + CSV in the bench"));
    let _ = writeln!(
        s.markdown,
        "\ncamptrack at {} of the plain path's speed (plain time / camptrack time). Peak RSS of the camptrack child: {rss_before} before the export, {rss_after} after it.",
        speedup(ours.took, plain.took)
    );
    Ok(())
}

async fn table_rows(conn: &DatabaseConnection) -> Result<u64, String> {
    let n: i64 = conn
        .query_one_raw(Statement::from_string(
            conn.get_database_backend(),
            "SELECT COUNT(*) AS n FROM site_assessments",
        ))
        .await
        .map_err(|e| e.to_string())?
        .ok_or("no count")?
        .try_get("", "n")
        .map_err(|e| e.to_string())?;
    u64::try_from(n).map_err(|e| e.to_string())
}

/// Streams the export, counting bytes and the lines that end outside a quoted field.
async fn download(api: &Api) -> Result<Export, String> {
    let started = Instant::now();
    let mut response = api
        .http
        .get(format!("{}/export/assessments.csv", api.base))
        .bearer_auth(&api.token)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| format!("export: {e}"))?;
    let (mut bytes, mut lines, mut quoted) = (0_u64, 0_u64, false);
    while let Some(chunk) = response.chunk().await.map_err(|e| format!("export: {e}"))? {
        bytes += chunk.len() as u64;
        for b in chunk.iter() {
            match b {
                b'"' => quoted = !quoted,
                b'\n' if !quoted => lines += 1,
                _ => {}
            }
        }
    }
    Ok(Export {
        rows: lines.saturating_sub(HEADER_LINES),
        bytes,
        took: started.elapsed(),
    })
}

/// The export's rows by keyset SQL pages, written as CSV into a buffer reused per page.
async fn plain_csv(conn: &DatabaseConnection) -> Result<Export, String> {
    let b = conn.get_database_backend();
    let text = |column: &str| format!("CAST({column} AS TEXT) AS {}", column.replace('.', "_"));
    let texts: Vec<String> = [
        "s.code",
        "s.name",
        "s.admin1_pcode",
        "s.admin2_pcode",
        "a.round_number",
        "a.assessed_on",
        "o.code",
        "a.review_status",
        "a.households",
        "a.individuals",
        "a.origin_admin1_pcode",
        "a.displacement_reasons",
        "a.priority_needs",
        "a.shelter_type",
        "a.captured_at",
        "a.received_at",
        "a.version",
        "a.updated_at",
    ]
    .into_iter()
    .map(text)
    .collect();
    let select = format!(
        "SELECT a.id AS id, a.site_id AS site_id, {} FROM site_assessments a LEFT JOIN sites s ON s.id = a.site_id LEFT JOIN organisations o ON o.id = a.organisation_id",
        texts.join(", ")
    );
    let names: Vec<String> = texts
        .iter()
        .filter_map(|t| t.rsplit_once(" AS ").map(|(_, n)| n.to_owned()))
        .collect();
    let started = Instant::now();
    let mut out = Vec::with_capacity(1 << 20);
    let (mut rows, mut bytes) = (0_u64, 0_u64);
    out.extend_from_slice(b"id,site_id,");
    out.extend_from_slice(names.join(",").as_bytes());
    out.extend_from_slice(b",sadd\n");
    let mut after: Option<Uuid> = None;
    loop {
        let page = match after {
            None => {
                conn.query_all_raw(Statement::from_string(
                    b,
                    format!("{select} ORDER BY a.id LIMIT {PAGE_ROWS}"),
                ))
                .await
            }
            Some(id) => {
                conn.query_all_raw(Statement::from_sql_and_values(
                    b,
                    format!(
                        "{select} WHERE a.id > {} ORDER BY a.id LIMIT {PAGE_ROWS}",
                        ph(b, 1)
                    ),
                    [Value::from(id)],
                ))
                .await
            }
        }
        .map_err(|e| format!("export baseline: {e}"))?;
        let ids: Vec<Uuid> = page
            .iter()
            .map(|r| r.try_get::<Uuid>("", "id"))
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?;
        let sadd = sadd_of(conn, &ids).await?;
        for (r, id) in page.iter().zip(&ids) {
            write_row(
                &mut out,
                r,
                *id,
                &names,
                sadd.get(id).map_or("", String::as_str),
            )?;
            rows += 1;
        }
        bytes += out.len() as u64;
        out.clear();
        if page.len() < PAGE_ROWS {
            break;
        }
        after = ids.last().copied();
    }
    Ok(Export {
        rows,
        bytes,
        took: started.elapsed(),
    })
}

fn write_row(
    out: &mut Vec<u8>,
    r: &QueryResult,
    id: Uuid,
    names: &[String],
    sadd: &str,
) -> Result<(), String> {
    let site: Uuid = r.try_get("", "site_id").map_err(|e| e.to_string())?;
    let _ = write!(Buf(out), "{id},{site}");
    for name in names {
        out.push(b',');
        let v: Option<String> = r.try_get("", name).map_err(|e| e.to_string())?;
        field(out, v.as_deref().unwrap_or(""));
    }
    out.push(b',');
    field(out, sadd);
    out.push(b'\n');
    Ok(())
}

/// One CSV field, quoted when it must be.
fn field(out: &mut Vec<u8>, v: &str) {
    if v.contains([',', '"', '\n', '\r']) {
        out.push(b'"');
        out.extend_from_slice(v.replace('"', "\"\"").as_bytes());
        out.push(b'"');
    } else {
        out.extend_from_slice(v.as_bytes());
    }
}

/// `fmt::Write` into a byte buffer.
struct Buf<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for Buf<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// The SADD rows of `ids` as text per assessment (`F 0-4: 12; ...`).
async fn sadd_of(
    conn: &DatabaseConnection,
    ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, String>, String> {
    let mut out: std::collections::HashMap<Uuid, String> = std::collections::HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let b = conn.get_database_backend();
    let sql = format!(
        "SELECT assessment_id, sex, age_min, age_max, count FROM assessment_sadd WHERE assessment_id IN ({}) ORDER BY assessment_id, sex, age_min",
        placeholders(b, ids.len())
    );
    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(
            b,
            sql,
            ids.iter().map(|id| Value::from(*id)),
        ))
        .await
        .map_err(|e| format!("export baseline (SADD): {e}"))?;
    let e = |e: sea_orm::DbErr| e.to_string();
    for r in rows {
        let id: Uuid = r.try_get("", "assessment_id").map_err(e)?;
        let sex: String = r.try_get("", "sex").map_err(e)?;
        let min: i16 = r.try_get("", "age_min").map_err(e)?;
        let max: Option<i16> = r.try_get("", "age_max").map_err(e)?;
        let count: i64 = r.try_get("", "count").map_err(e)?;
        let text = out.entry(id).or_default();
        if !text.is_empty() {
            text.push_str("; ");
        }
        let _ = write!(
            text,
            "{sex} {min}-{}: {count}",
            max.map_or(String::new(), |m| m.to_string())
        );
    }
    Ok(out)
}
