//! Area aggregation (`displacement(area: polygon)`) and the hex map
//! (`displacementByCell(area, resolution: 7)`), each beside its baselines: the
//! latitude/longitude box scan plus exact test, the raw-SQL lower bound, and on PostgreSQL
//! PostGIS `ST_Covers` (over site points, and joined to the hexagons for the hex map).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use camptrack_geo::{Area, Cell, Coordinates, CoverLimits, PreparedArea, Resolution};
use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, Value};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use super::servers::Api;
use super::{Answer, Section, check, ph};
use crate::dataset::Backend;
use crate::stats::{ms, repeat, speedup};

/// The hex map's resolution.
const HEX_RES: u8 = 7;

/// Runs the area aggregation and hex map scenarios.
pub async fn run(
    s: &mut Section,
    conn: &DatabaseConnection,
    api: &Api,
    points: &[(Uuid, f64, f64)],
    reps: usize,
    backend: Backend,
) -> Result<(), String> {
    let today = chrono::Utc::now().date_naive();
    // Area aggregation.
    let postgis = match backend {
        Backend::Postgres => postgis_setup(conn).await,
        Backend::Sqlite => Err("no PostGIS on SQLite".to_owned()),
    };
    baseline_setup(conn).await?;
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
        let (geojson, bbox) = strip(points, fraction);
        let prepared = Area::from_geojson(&geojson, &CoverLimits::default())
            .and_then(|a| a.prepare(&CoverLimits::default()))
            .map_err(|e| format!("area: {e}"))?;
        let area_id = i64::try_from(i).unwrap_or(0);
        let members = fill_members(conn, area_id, &prepared, bbox, today).await?;
        let ours = repeat(reps, || displacement(api, &geojson)).await?;
        let boxed = repeat(reps, || box_scan(conn, &prepared, bbox, today)).await?;
        let lower = repeat(reps, || lower_bound(conn, area_id)).await?;
        let gis = match &postgis {
            Ok(()) => Some(repeat(reps, || postgis_sum(conn, &geojson, today)).await?),
            Err(_) => None,
        };
        let label = format!("{:.0}%", fraction * 100.0);
        check(s, &label, "box scan", ours.0, boxed.0);
        check(s, &label, "lower bound", ours.0, lower.0);
        if members != ours.0.sites {
            s.mismatches.push(format!(
                "{label}: {members} member rows vs {} sites",
                ours.0.sites
            ));
        }
        if let Some(g) = &gis {
            check(s, &label, "PostGIS", ours.0, g.0);
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
    let hexes = match &postgis {
        Ok(()) => hexagons_setup(conn, points).await,
        Err(e) => Err(e.clone()),
    };
    let _ = writeln!(
        s.markdown,
        "\n### Hex map: `displacementByCell(area, resolution: {HEX_RES})` today\n"
    );
    if hexes.is_ok() {
        let _ = writeln!(
            s.markdown,
            "PostGIS baseline: `ST_Covers` joined to a GiST-indexed table of the resolution-{HEX_RES} hexagons of every site's cell (their boundaries as polygons), within the same polygon.\n"
        );
    }
    let _ = writeln!(
        s.markdown,
        "| polygon | cells | camptrack median / p99 ms | box scan + `latlng_to_cell` median / p99 ms | ratio | PostGIS hexagons median / p99 ms | ratio PostGIS |"
    );
    let _ = writeln!(s.markdown, "|---|---|---|---|---|---|---|");
    for (label, geojson, prepared, bbox) in &areas {
        let ours = repeat(reps, || hex_map(api, geojson, HEX_RES)).await?;
        let boxed = repeat(reps, || {
            box_scan_by_cell(conn, prepared, *bbox, today, HEX_RES)
        })
        .await?;
        let gis = match &hexes {
            Ok(()) => Some(repeat(reps, || postgis_by_cell(conn, geojson, today)).await?),
            Err(_) => None,
        };
        for (method, theirs) in [
            ("box scan", Some(&boxed.0)),
            ("PostGIS hexagons", gis.as_ref().map(|g| &g.0)),
        ] {
            if let Some(theirs) = theirs.filter(|t| **t != ours.0) {
                s.mismatches.push(format!(
                    "hex map {label}: camptrack {} cells vs {method} {} cells (or figures differ)",
                    ours.0.len(),
                    theirs.len()
                ));
            }
        }
        let gis_cells = gis.as_ref().map_or_else(
            || "not measured | -".to_owned(),
            |g| {
                format!(
                    "{} / {} | {}",
                    ms(g.1.median()),
                    ms(g.1.p99()),
                    speedup(ours.1.median(), g.1.median())
                )
            },
        );
        let _ = writeln!(
            s.markdown,
            "| {label} | {} | {} / {} | {} / {} | {} | {gis_cells} |",
            ours.0.len(),
            ms(ours.1.median()),
            ms(ours.1.p99()),
            ms(boxed.1.median()),
            ms(boxed.1.p99()),
            speedup(ours.1.median(), boxed.1.median())
        );
    }
    if let Err(e) = &hexes {
        let _ = writeln!(
            s.markdown,
            "\nPostGIS `ST_Covers` joined to hexagon polygons: not measured: {e}."
        );
    }
    Ok(())
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
        .and_then(|(cell, _)| Cell::try_from(*cell).ok());
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

/// Builds `bench_hexagons`: the resolution-[`HEX_RES`] cell of every site with its boundary
/// as a polygon, GiST-indexed.
async fn hexagons_setup(
    conn: &DatabaseConnection,
    points: &[(Uuid, f64, f64)],
) -> Result<(), String> {
    let res = Resolution::new(HEX_RES).map_err(|e| e.to_string())?;
    let cells: BTreeSet<Cell> = points
        .iter()
        .filter_map(|p| Coordinates::new(p.1, p.2).ok())
        .map(|c| c.cell_at(res))
        .collect();
    for sql in [
        "DROP TABLE IF EXISTS bench_hexagons",
        "CREATE TABLE bench_hexagons (cell BIGINT PRIMARY KEY, geom geometry(Polygon, 4326) NOT NULL)",
    ] {
        conn.execute_unprepared(sql)
            .await
            .map_err(|e| format!("hexagon table (`{sql}`): {e}"))?;
    }
    let cells: Vec<Cell> = cells.into_iter().collect();
    for chunk in cells.chunks(500) {
        let mut sql = String::from("INSERT INTO bench_hexagons (cell, geom) VALUES ");
        let mut values = Vec::with_capacity(chunk.len() * 2);
        for (i, cell) in chunk.iter().enumerate() {
            let mut ring: Vec<String> = cell
                .boundary()
                .iter()
                .map(|v| format!("{} {}", v.lon(), v.lat()))
                .collect();
            if let Some(first) = ring.first().cloned() {
                ring.push(first);
            }
            if i > 0 {
                sql.push_str(", ");
            }
            let _ = write!(
                sql,
                "(${}, ST_GeomFromText(${}, 4326))",
                2 * i + 1,
                2 * i + 2
            );
            values.push(Value::from(cell.as_i64()));
            values.push(Value::from(format!("POLYGON(({}))", ring.join(", "))));
        }
        conn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            values,
        ))
        .await
        .map_err(|e| format!("filling the hexagon table: {e}"))?;
    }
    for sql in [
        "CREATE INDEX bench_hexagons_gist ON bench_hexagons USING GIST (geom)",
        "ANALYZE bench_hexagons",
    ] {
        conn.execute_unprepared(sql)
            .await
            .map_err(|e| format!("hexagon table (`{sql}`): {e}"))?;
    }
    Ok(())
}

/// The hex map by PostGIS: open sites covered by the polygon, grouped by the hexagon that
/// covers them.
async fn postgis_by_cell(
    conn: &DatabaseConnection,
    geojson: &Json,
    today: NaiveDate,
) -> Result<BTreeMap<String, Answer>, String> {
    let sql = "WITH area AS (SELECT ST_SetSRID(ST_GeomFromGeoJSON($1), 4326) AS g) \
        SELECT h.cell AS cell, COUNT(*) AS n, CAST(SUM(s.households) AS BIGINT) AS hh, CAST(SUM(s.individuals) AS BIGINT) AS ind \
        FROM area, bench_sites_geo s JOIN bench_hexagons h ON ST_Covers(h.geom, s.geom) \
        WHERE ST_Covers(area.g, s.geom) AND (s.opened_on IS NULL OR s.opened_on <= $2) AND (s.closed_on IS NULL OR s.closed_on > $2) \
        GROUP BY h.cell";
    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            [Value::from(geojson.to_string()), Value::from(today)],
        ))
        .await
        .map_err(|e| format!("PostGIS hex map: {e}"))?;
    let e = |e: sea_orm::DbErr| e.to_string();
    let mut out = BTreeMap::new();
    for r in rows {
        let cell =
            Cell::try_from(r.try_get::<i64>("", "cell").map_err(e)?).map_err(|e| e.to_string())?;
        out.insert(
            cell.to_string(),
            Answer {
                sites: r.try_get("", "n").map_err(e)?,
                households: r.try_get::<Option<i64>>("", "hh").map_err(e)?.unwrap_or(0),
                individuals: r.try_get::<Option<i64>>("", "ind").map_err(e)?.unwrap_or(0),
            },
        );
    }
    Ok(out)
}

async fn displacement(api: &Api, area: &Json) -> Result<Answer, String> {
    let data = api
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

async fn hex_map(api: &Api, area: &Json, res: u8) -> Result<BTreeMap<String, Answer>, String> {
    let data = api
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
