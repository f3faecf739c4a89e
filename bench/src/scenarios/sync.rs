//! Delta sync: an enumerator device's first sync of an area of about 2,000 sites, paged
//! through `changes(since, first, area)` to the end, beside the same rows read by plain SQL.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use camptrack::auth::AccountArea;
use camptrack_domain::codes::Role;
use camptrack_geo::{Cell, Coordinates, Resolution};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, Value};
use serde_json::json;
use uuid::Uuid;

use super::servers::{self, Api};
use super::{Section, ph};
use crate::stats::{ms, repeat, speedup};

/// Sites the synced area should hold.
const AREA_SITES: usize = 2_000;

/// Changes per page (the API's largest page).
const PAGE: u32 = 500;

const CHANGES: &str = "query($since: String, $first: Int) { changes(since: $since, first: $first) { nextCursor hasMore changes { cursor entity entityId operation tombstone site { id code name operationalStatus admin2Pcode current { households individuals } } round { number } assessment { id households individuals } distribution { id status } item { code } kit { code } } } }";

/// Record ids by entity (`SITE`, `ASSESSMENT`, ...).
type Held = BTreeMap<String, BTreeSet<String>>;

/// Runs the delta sync scenario.
pub async fn run(
    s: &mut Section,
    conn: &DatabaseConnection,
    camptrack: &Api,
    points: &[(Uuid, f64, f64)],
    reps: usize,
) -> Result<(), String> {
    let cells = area_cells(points)?;
    let organisation = first_organisation(conn).await?;
    let token = servers::token(
        conn,
        Role::Enumerator,
        Some(organisation),
        AccountArea {
            cells: cells.clone(),
            pcodes: Vec::new(),
        },
    )
    .await?;
    let device = camptrack.with_token(token);
    let reps = reps.min(5);
    let ours = repeat(reps, || pull(&device)).await?;
    let plain = repeat(reps, || plain_rows(conn, &cells)).await?;
    let ((changes, received), rows) = (&ours.0, &plain.0);
    if received != rows {
        for entity in received.keys().chain(rows.keys()).collect::<BTreeSet<_>>() {
            let (r, q) = (received.get(entity), rows.get(entity));
            if r != q {
                s.mismatches.push(format!(
                    "delta sync: {} {entity} records received vs {} rows by SQL (or the ids differ)",
                    r.map_or(0, BTreeSet::len),
                    q.map_or(0, BTreeSet::len)
                ));
            }
        }
    }
    let sites = rows.get("SITE").map_or(0, BTreeSet::len);
    let records: usize = rows.values().map(BTreeSet::len).sum();
    let _ = writeln!(
        s.markdown,
        "\n### Delta sync: a device's first sync of a {sites}-site area\n"
    );
    let _ = writeln!(
        s.markdown,
        "An enumerator account bound to {} resolution-6 cells pages through `changes(since, first: {PAGE})` from the start to `hasMore: false`, selecting the site, assessment, round, distribution and catalogue fields; baseline: the same records ({records} rows: the area's sites, their assessments and distributions, every round, admin area, item and kit) read by plain SQL with no API. The ids received, by entity, were checked equal to the rows'. {reps} timed runs after a warm-up.\n",
        cells.len()
    );
    let _ = writeln!(s.markdown, "| entity | records received | rows by SQL |");
    let _ = writeln!(s.markdown, "|---|---|---|");
    for (entity, ids) in rows {
        let _ = writeln!(
            s.markdown,
            "| {entity} | {} | {} |",
            received.get(entity).map_or(0, BTreeSet::len),
            ids.len()
        );
    }
    let (om, pm) = (ours.1.median(), plain.1.median());
    let per_sec = |n: usize, d: std::time::Duration| n as f64 / d.as_secs_f64().max(1e-9);
    let _ = writeln!(
        s.markdown,
        "\n| path | median / p99 ms | records/s | plain SQL / camptrack |\n|---|---|---|---|"
    );
    let _ = writeln!(
        s.markdown,
        "| camptrack `changes`, {changes} changes in {} pages | {} / {} | {:.0} | {} |",
        changes.div_ceil(PAGE as usize).max(1),
        ms(om),
        ms(ours.1.p99()),
        per_sec(*changes, om),
        speedup(om, pm)
    );
    let _ = writeln!(
        s.markdown,
        "| plain SQL, {records} rows | {} / {} | {:.0} | |",
        ms(pm),
        ms(plain.1.p99()),
        per_sec(records, pm)
    );
    Ok(())
}

/// The busiest resolution-6 cells, busiest first, until they hold [`AREA_SITES`] sites (or
/// every site).
fn area_cells(points: &[(Uuid, f64, f64)]) -> Result<Vec<Cell>, String> {
    let res = Resolution::new(6).map_err(|e| e.to_string())?;
    let mut counts: BTreeMap<Cell, usize> = BTreeMap::new();
    for p in points {
        if let Ok(c) = Coordinates::new(p.1, p.2) {
            *counts.entry(c.cell_at(res)).or_default() += 1;
        }
    }
    let mut busiest: Vec<(usize, Cell)> = counts.into_iter().map(|(c, n)| (n, c)).collect();
    busiest.sort_unstable_by(|a, b| b.cmp(a));
    let mut cells = Vec::new();
    let mut held = 0;
    for (n, cell) in busiest {
        if held >= AREA_SITES {
            break;
        }
        held += n;
        cells.push(cell);
    }
    if cells.is_empty() {
        return Err("delta sync: no sites to pick an area from".to_owned());
    }
    Ok(cells)
}

async fn first_organisation(conn: &DatabaseConnection) -> Result<Uuid, String> {
    conn.query_one_raw(Statement::from_string(
        conn.get_database_backend(),
        "SELECT id FROM organisations ORDER BY code LIMIT 1",
    ))
    .await
    .map_err(|e| e.to_string())?
    .ok_or("delta sync: no organisation for the enumerator")?
    .try_get("", "id")
    .map_err(|e| e.to_string())
}

/// Pages through every change as `device`; returns how many changes came and the ids
/// received by entity.
async fn pull(device: &Api) -> Result<(usize, Held), String> {
    let mut cursor = "0".to_owned();
    let mut held = Held::new();
    let mut count = 0;
    loop {
        let data = device
            .gql(CHANGES, json!({ "since": cursor, "first": PAGE }))
            .await
            .map_err(|e| format!("delta sync: {e}"))?;
        let feed = &data["changes"];
        for c in feed["changes"].as_array().into_iter().flatten() {
            count += 1;
            held.entry(c["entity"].as_str().unwrap_or("?").to_owned())
                .or_default()
                .insert(c["entityId"].as_str().unwrap_or("?").to_owned());
        }
        cursor = feed["nextCursor"].as_str().unwrap_or_default().to_owned();
        if feed["hasMore"] != json!(true) {
            return Ok((count, held));
        }
    }
}

/// The same records by plain SQL: the area's sites (by the resolution-15 ranges of its
/// cells, as sync places them), their assessments and distributions, and every round,
/// admin area, item and kit; whole rows, ids kept by entity.
async fn plain_rows(conn: &DatabaseConnection, cells: &[Cell]) -> Result<Held, String> {
    let b = conn.get_database_backend();
    let mut values = Vec::new();
    let mut ranges = Vec::new();
    for cell in cells {
        let range = cell.range();
        ranges.push(format!(
            "s.cell BETWEEN {} AND {}",
            ph(b, values.len() + 1),
            ph(b, values.len() + 2)
        ));
        values.push(Value::from(range.lo));
        values.push(Value::from(range.hi));
    }
    let in_area = ranges.join(" OR ");
    let mut held = Held::new();
    for (entity, sql, key, placed) in [
        (
            "SITE",
            format!("SELECT s.* FROM sites s WHERE {in_area}"),
            "id",
            true,
        ),
        (
            "ASSESSMENT",
            format!(
                "SELECT a.* FROM site_assessments a JOIN sites s ON s.id = a.site_id WHERE {in_area}"
            ),
            "id",
            true,
        ),
        (
            "DISTRIBUTION",
            format!(
                "SELECT d.* FROM distributions d JOIN sites s ON s.id = d.site_id WHERE {in_area}"
            ),
            "id",
            true,
        ),
        ("ROUND", "SELECT * FROM rounds".to_owned(), "id", false),
        (
            "ADMIN_AREA",
            "SELECT * FROM admin_areas".to_owned(),
            "pcode",
            false,
        ),
        ("ITEM", "SELECT * FROM items".to_owned(), "id", false),
        ("KIT", "SELECT * FROM kits".to_owned(), "id", false),
    ] {
        let statement = if placed {
            Statement::from_sql_and_values(b, sql, values.clone())
        } else {
            Statement::from_string(b, sql)
        };
        let rows = conn
            .query_all_raw(statement)
            .await
            .map_err(|e| format!("delta sync baseline ({entity}): {e}"))?;
        let ids = held.entry(entity.to_owned()).or_default();
        for r in rows {
            let id = match r.try_get::<Uuid>("", key) {
                Ok(u) => u.to_string(),
                Err(_) => r.try_get::<String>("", key).map_err(|e| e.to_string())?,
            };
            ids.insert(id);
        }
    }
    held.retain(|_, ids| !ids.is_empty());
    Ok(held)
}
