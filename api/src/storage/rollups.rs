//! Per-cell rollups of the sites' current figures (design.md, "Large areas: per-cell
//! rollups"). Every site not closed adds its current figures to one row per resolution in
//! [`RESOLUTIONS`], keyed by the geometric cell holding its point (`latlng_to_cell`), in
//! the same transaction that changes them. A "now" aggregate then sums rollup rows for
//! hexagons wholly inside the area and reads site rows only in the hexagons on its edge.
//!
//! Openness is the one thing that changes without a write: a site opening or closing on a
//! future date. Rollups hold every site whose `closed_on` is empty; the few sites with an
//! `opened_on` or `closed_on` after today are read and corrected for at query time.
//!
//! Hot rows are written in one statement per table in (resolution, cell) order, so
//! concurrent writers take their row locks in the same order and cannot deadlock.

use std::collections::BTreeMap;

use camptrack_domain::codes::Sex;
use camptrack_domain::sadd::SaddRow;
use camptrack_geo::{CellRange, Coordinates, HexCover, PreparedArea, Resolution};
use chrono::NaiveDate;
use sea_orm::sea_query::{Alias, Expr, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, Statement,
};
use uuid::Uuid;

use super::area::is_open_on;
use super::displacement::{SaddTotal, Totals};
use super::entities::{site, site_assessment};
use super::{Result, StorageError, decode, decode_json};

/// The resolutions kept.
pub const RESOLUTIONS: [u8; 3] = [5, 7, 9];

/// Most edge hexagons a query reads site rows for before trying a coarser resolution.
const MAX_EDGE_HEXAGONS: usize = 3_000;

/// Interior ranges plus edge hexagons a query prefers to stay within.
const MAX_COVER_VALUES: usize = 600;

/// Most interior ranges plus edge hexagons a rollup query takes on at all; beyond, the
/// range scan answers.
const MAX_MAP_VALUES: usize = 4_000;

/// Rows per upsert statement (8 bound values each, well under SQLite's limit).
const ROWS_PER_STATEMENT: usize = 1_000;

/// Values per `IN (...)` list or VALUES join.
pub(super) const VALUES_PER_QUERY: usize = 1_000;

/// The geometric cell holding `location` at `res` (one of [`RESOLUTIONS`]), as stored.
pub fn cell_at(location: &Coordinates, res: u8) -> i64 {
    let res = Resolution::new(res).unwrap_or_else(|_| unreachable_resolution());
    location.cell_at(res).as_i64()
}

fn unreachable_resolution() -> Resolution {
    // Only called with the constants above, all valid; fall back to resolution 9.
    Resolution::new(9).unwrap_or_else(|_| unreachable_resolution())
}

/// What one site adds to the rollups.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contribution {
    /// Its cells at [`RESOLUTIONS`].
    pub cells: [i64; 3],
    /// Whether it has a counted assessment.
    pub assessed: bool,
    /// Households.
    pub households: i64,
    /// Individuals.
    pub individuals: i64,
    /// Arrivals.
    pub arrivals: i64,
    /// Departures.
    pub departures: i64,
    /// SADD rows of its current assessment.
    pub sadd: Vec<SaddTotal>,
}

/// Converts stored SADD rows to totals.
pub fn sadd_totals(rows: &[SaddRow]) -> Vec<SaddTotal> {
    rows.iter()
        .map(|r| SaddTotal {
            sex: r.sex,
            age_min: r.age_min.into(),
            age_max: r.age_max.map(i16::from),
            count: r.count.into(),
        })
        .collect()
}

/// What site row `m` adds to the rollups: nothing when it is closed (or its cells were
/// never filled).
pub fn of_site(m: &site::Model) -> Result<Option<Contribution>> {
    let has_cells = m.cell_r5.is_some() && m.cell_r7.is_some() && m.cell_r9.is_some();
    if m.closed_on.is_some() || !has_cells {
        return Ok(None);
    }
    if_open(m).map(Some)
}

/// What site `m` adds to its cells while open, whether or not it is open now.
fn if_open(m: &site::Model) -> Result<Contribution> {
    let (Some(c5), Some(c7), Some(c9)) = (m.cell_r5, m.cell_r7, m.cell_r9) else {
        return Err(StorageError::Db(sea_orm::DbErr::Custom(format!(
            "site {} has no rollup cells; restart the server to backfill them",
            m.id
        ))));
    };
    let sadd: Vec<SaddRow> = decode_json(m.current_sadd.clone())?;
    Ok(Contribution {
        cells: [c5, c7, c9],
        assessed: m.current_assessment_id.is_some(),
        households: m.current_households,
        individuals: m.current_individuals,
        arrivals: m.current_arrivals.unwrap_or(0),
        departures: m.current_departures.unwrap_or(0),
        sadd: sadd_totals(&sadd),
    })
}

/// Figures per (resolution, cell): sites, assessed sites, households, individuals,
/// arrivals, departures.
type Delta = BTreeMap<(u8, i64), [i64; 6]>;
/// SADD per (resolution, cell, sex, age_min, age_max or -1): count and contributing rows.
type SaddDelta = BTreeMap<SaddKey, [i64; 2]>;
/// (resolution, cell, sex, age_min, age_max or -1).
type SaddKey = (u8, i64, String, i16, i16);

fn add_into(delta: &mut Delta, sadd: &mut SaddDelta, c: &Contribution, sign: i64) {
    for (i, res) in RESOLUTIONS.into_iter().enumerate() {
        let key = (res, c.cells[i]);
        let row = delta.entry(key).or_default();
        let values = [
            1,
            i64::from(c.assessed),
            c.households,
            c.individuals,
            c.arrivals,
            c.departures,
        ];
        for (acc, v) in row.iter_mut().zip(values) {
            *acc += sign * v;
        }
        for band in &c.sadd {
            let k = (
                res,
                c.cells[i],
                band.sex.to_string(),
                band.age_min,
                band.age_max.unwrap_or(-1),
            );
            let e = sadd.entry(k).or_default();
            e[0] += sign * band.count;
            e[1] += sign;
        }
    }
}

/// Moves the rollups from each pair's old contribution to its new one, in one statement
/// per table (and per [`ROWS_PER_STATEMENT`]), rows in (resolution, cell) order.
pub async fn apply<'a>(
    conn: &impl ConnectionTrait,
    changes: impl IntoIterator<Item = (Option<&'a Contribution>, Option<&'a Contribution>)>,
) -> Result<()> {
    let (mut delta, mut sadd) = (Delta::new(), SaddDelta::new());
    for (old, new) in changes {
        if old == new {
            continue;
        }
        if let Some(o) = old {
            add_into(&mut delta, &mut sadd, o, -1);
        }
        if let Some(n) = new {
            add_into(&mut delta, &mut sadd, n, 1);
        }
    }
    delta.retain(|_, v| v.iter().any(|x| *x != 0));
    sadd.retain(|_, v| v.iter().any(|x| *x != 0));
    let rows: Vec<_> = delta.into_iter().collect();
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        upsert_figures(conn, chunk).await?;
    }
    let rows: Vec<_> = sadd.into_iter().collect();
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        upsert_sadd(conn, chunk).await?;
    }
    Ok(())
}

const FIGURE_COLUMNS: [&str; 6] = [
    "sites",
    "assessed_sites",
    "households",
    "individuals",
    "arrivals",
    "departures",
];

async fn upsert_figures(conn: &impl ConnectionTrait, rows: &[((u8, i64), [i64; 6])]) -> Result<()> {
    let table = Alias::new("site_rollups");
    let mut insert = Query::insert();
    insert.into_table(table).columns(
        ["resolution", "cell"]
            .into_iter()
            .chain(FIGURE_COLUMNS)
            .map(Alias::new),
    );
    for ((res, cell), v) in rows {
        let mut values: Vec<Expr> = vec![Expr::val(i16::from(*res)), Expr::val(*cell)];
        values.extend(v.iter().map(|x| Expr::val(*x)));
        insert
            .values(values)
            .map_err(|e| StorageError::Db(sea_orm::DbErr::Custom(e.to_string())))?;
    }
    let mut on_conflict = OnConflict::columns([Alias::new("resolution"), Alias::new("cell")]);
    on_conflict.values(FIGURE_COLUMNS.map(|c| {
        (
            Alias::new(c),
            Expr::cust(format!("site_rollups.{c} + excluded.{c}")),
        )
    }));
    insert.on_conflict(on_conflict);
    conn.execute(&insert).await?;
    Ok(())
}

async fn upsert_sadd(conn: &impl ConnectionTrait, rows: &[(SaddKey, [i64; 2])]) -> Result<()> {
    let mut insert = Query::insert();
    insert.into_table(Alias::new("site_rollup_sadd")).columns(
        [
            "resolution",
            "cell",
            "sex",
            "age_min",
            "age_max",
            "count",
            "entries",
        ]
        .map(Alias::new),
    );
    for ((res, cell, sex, lo, hi), [count, entries]) in rows {
        insert
            .values([
                Expr::val(i16::from(*res)),
                Expr::val(*cell),
                Expr::val(sex.clone()),
                Expr::val(*lo),
                Expr::val(*hi),
                Expr::val(*count),
                Expr::val(*entries),
            ])
            .map_err(|e| StorageError::Db(sea_orm::DbErr::Custom(e.to_string())))?;
    }
    let mut on_conflict =
        OnConflict::columns(["resolution", "cell", "sex", "age_min", "age_max"].map(Alias::new));
    on_conflict.values(["count", "entries"].map(|c| {
        (
            Alias::new(c),
            Expr::cust(format!("site_rollup_sadd.{c} + excluded.{c}")),
        )
    }));
    insert.on_conflict(on_conflict);
    conn.execute(&insert).await?;
    Ok(())
}

/// Reads site `id` for a change of its figures, locking its row on PostgreSQL so that
/// concurrent writers of one site take turns (the rollup delta is computed from it).
///
/// The lock is `FOR NO KEY UPDATE`, not `FOR UPDATE`: a writer has usually inserted a row
/// referencing the site already (an assessment), which holds `FOR KEY SHARE` on it; two
/// writers each holding that and both asking `FOR UPDATE` deadlock, while `NO KEY UPDATE`
/// is compatible with `KEY SHARE` and still makes the writers take turns.
pub async fn lock_site(conn: &impl ConnectionTrait, id: Uuid) -> Result<site::Model> {
    lock_sites(conn, &[id])
        .await?
        .pop()
        .ok_or_else(|| StorageError::not_found("site", id))
}

/// [`lock_site`] for many sites at once: the rows of `ids` that exist, in id order, locked
/// in that order (so two writers of overlapping sets cannot deadlock). At most
/// [`VALUES_PER_QUERY`] ids.
pub async fn lock_sites(conn: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<site::Model>> {
    let mut find = site::Entity::find()
        .filter(site::Column::Id.is_in(ids.iter().copied()))
        .order_by_asc(site::Column::Id);
    if conn.get_database_backend() == DbBackend::Postgres {
        find = find.lock(sea_orm::sea_query::LockType::NoKeyUpdate);
    }
    Ok(find.all(conn).await?)
}

/// Recomputes every rollup from the site rows (after a bulk load or a backfill).
pub async fn rebuild(conn: &impl ConnectionTrait) -> Result<()> {
    conn.execute_unprepared("DELETE FROM site_rollup_sadd")
        .await?;
    conn.execute_unprepared("DELETE FROM site_rollups").await?;
    let mut after: Option<Uuid> = None;
    loop {
        let mut find = site::Entity::find().order_by_asc(site::Column::Id);
        if let Some(last) = after {
            find = find.filter(site::Column::Id.gt(last));
        }
        let page = find.limit(5_000).all(conn).await?;
        let Some(last) = page.last() else {
            break;
        };
        after = Some(last.id);
        let contributions: Vec<Contribution> = page
            .iter()
            .map(of_site)
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .flatten()
            .collect();
        apply(conn, contributions.iter().map(|c| (None, Some(c)))).await?;
    }
    Ok(())
}

/// Sites written before rollups existed: no cells, or current figures without arrivals.
fn stale_sites() -> sea_orm::Select<site::Entity> {
    site::Entity::find().filter(
        sea_orm::Condition::any()
            .add(site::Column::CellR9.is_null())
            .add(
                sea_orm::Condition::all()
                    .add(site::Column::CurrentAssessmentId.is_not_null())
                    .add(site::Column::CurrentArrivals.is_null()),
            ),
    )
}

/// Whether any site needs [`backfill`]: a read, so a start with nothing to fill never takes
/// the write lock.
pub async fn needs_backfill(conn: &impl ConnectionTrait) -> Result<bool> {
    Ok(stale_sites().one(conn).await?.is_some())
}

/// Fills the cells and current arrivals/departures of sites written before rollups existed,
/// then rebuilds the rollups when anything was filled. Returns the number of sites filled.
pub async fn backfill(conn: &impl ConnectionTrait) -> Result<usize> {
    let stale = stale_sites().all(conn).await?;
    for m in &stale {
        let location = Coordinates::new(m.lat, m.lon)
            .map_err(|e| StorageError::Db(sea_orm::DbErr::Type(e.to_string())))?;
        let (arrivals, departures) = match m.current_assessment_id {
            Some(a) => site_assessment::Entity::find_by_id(a)
                .one(conn)
                .await?
                .map_or((None, None), |a| {
                    (
                        Some(a.arrivals3m.unwrap_or(0)),
                        Some(a.departures3m.unwrap_or(0)),
                    )
                }),
            None => (None, None),
        };
        site::Entity::update_many()
            .col_expr(site::Column::CellR5, Expr::value(cell_at(&location, 5)))
            .col_expr(site::Column::CellR7, Expr::value(cell_at(&location, 7)))
            .col_expr(site::Column::CellR9, Expr::value(cell_at(&location, 9)))
            .col_expr(site::Column::CurrentArrivals, Expr::value(arrivals))
            .col_expr(site::Column::CurrentDepartures, Expr::value(departures))
            .filter(site::Column::Id.eq(m.id))
            .exec(conn)
            .await?;
    }
    if !stale.is_empty() {
        rebuild(conn).await?;
    }
    Ok(stale.len())
}

/// Running sums for one cell (or one area).
#[derive(Debug, Clone, Default)]
struct Sum {
    figures: [i64; 6],
    sadd: BTreeMap<(Sex, i16, Option<i16>), [i64; 2]>,
}

impl Sum {
    fn add(&mut self, c: &Contribution, sign: i64) {
        let values = [
            1,
            i64::from(c.assessed),
            c.households,
            c.individuals,
            c.arrivals,
            c.departures,
        ];
        for (acc, v) in self.figures.iter_mut().zip(values) {
            *acc += sign * v;
        }
        for band in &c.sadd {
            let e = self
                .sadd
                .entry((band.sex, band.age_min, band.age_max))
                .or_default();
            e[0] += sign * band.count;
            e[1] += sign;
        }
    }

    fn merge(&mut self, other: &Sum) {
        for (a, b) in self.figures.iter_mut().zip(other.figures) {
            *a += b;
        }
        for (k, v) in &other.sadd {
            let e = self.sadd.entry(*k).or_default();
            e[0] += v[0];
            e[1] += v[1];
        }
    }

    fn totals(&self) -> Totals {
        let [
            sites,
            assessed_sites,
            households,
            individuals,
            arrivals,
            departures,
        ] = self.figures;
        Totals {
            sites,
            assessed_sites,
            households,
            individuals,
            arrivals,
            departures,
            sadd: self
                .sadd
                .iter()
                .filter(|(_, v)| v[1] > 0)
                .map(|((sex, age_min, age_max), v)| SaddTotal {
                    sex: *sex,
                    age_min: *age_min,
                    age_max: *age_max,
                    count: v[0],
                })
                .collect(),
        }
    }
}

/// An edge site's point and dates, all the exact test needs.
#[derive(Debug, FromQueryResult)]
struct EdgePoint {
    id: Uuid,
    lat: f64,
    lon: f64,
    opened_on: Option<NaiveDate>,
    closed_on: Option<NaiveDate>,
}

/// Site `m`'s cell at the query's resolution and what it adds there when open (whether or
/// not it is in the rollups).
fn contribution(m: &site::Model, res_index: usize) -> Result<(i64, Contribution)> {
    let c = if_open(m)?;
    Ok((c.cells[res_index], c))
}

/// The figures today per cell of `res` (one of [`RESOLUTIONS`]), of every site in `area`
/// (all sites when `None`); cells without an open site are left out. `None` when the
/// area is one rollups cannot serve (a cell list, or too long an edge at `res`).
pub async fn by_cell(
    conn: &impl ConnectionTrait,
    area: Option<&PreparedArea>,
    res: u8,
    today: NaiveDate,
) -> Result<Option<BTreeMap<i64, Totals>>> {
    let hex = match area {
        None => None,
        Some(a) => {
            let r = Resolution::new(res)
                .map_err(|e| StorageError::Db(sea_orm::DbErr::Custom(e.to_string())))?;
            // A map of a million hexagons is not a rollup question: leave it to the scan.
            if a.area().area_m2() / mean_hexagon_m2(res) > 200_000.0 {
                return Ok(None);
            }
            match a.hex_cover(r, MAX_EDGE_HEXAGONS) {
                Some(h) if h.interior.len() + h.boundary.len() <= MAX_MAP_VALUES => Some(h),
                _ => return Ok(None),
            }
        }
    };
    let sums = sums_by_cell(conn, area.zip(hex.as_ref()), res, today).await?;
    Ok(Some(
        sums.into_iter()
            .filter(|(_, s)| s.figures[0] > 0)
            .map(|(c, s)| (c, s.totals()))
            .collect(),
    ))
}

/// The figures today of every site in `area` (all sites when `None`). `None` when the
/// area is one rollups cannot serve (a cell list, or an edge too long at every resolution).
pub async fn totals(
    conn: &impl ConnectionTrait,
    area: Option<&PreparedArea>,
    today: NaiveDate,
) -> Result<Option<Totals>> {
    let started = std::time::Instant::now();
    let chosen = match area {
        None => None,
        Some(a) => {
            let Some(hex) = pick_resolution(a) else {
                return Ok(None);
            };
            Some((a, hex))
        }
    };
    let res = chosen
        .as_ref()
        .map_or(RESOLUTIONS[0], |(_, h)| h.resolution);
    let covered = started.elapsed();
    let sums = sums_by_cell(conn, chosen.as_ref().map(|(a, h)| (*a, h)), res, today).await?;
    tracing::debug!(
        resolution = res,
        interior_ranges = chosen.as_ref().map_or(0, |(_, h)| h.interior.len()),
        edge_hexagons = chosen.as_ref().map_or(0, |(_, h)| h.boundary.len()),
        cover_us = covered.as_micros(),
        total_us = started.elapsed().as_micros(),
        "rollup totals"
    );
    let mut total = Sum::default();
    for s in sums.values() {
        total.merge(s);
    }
    Ok(Some(total.totals()))
}

/// Mean hexagon areas at the kept resolutions (H3's tables), in square metres.
fn mean_hexagon_m2(res: u8) -> f64 {
    match res {
        5 => 252_903_858.2,
        7 => 5_161_293.4,
        _ => 105_332.5,
    }
}

/// The finest kept resolution at which the area holds a modest number of hexagons and
/// its edge fits [`MAX_EDGE_HEXAGONS`].
fn pick_resolution(area: &PreparedArea) -> Option<HexCover> {
    let size = area.area().area_m2();
    let candidates = [9_u8, 7, 5];
    let start = candidates
        .iter()
        .position(|res| size / mean_hexagon_m2(*res) <= 50_000.0)
        .unwrap_or(candidates.len() - 1);
    // The finest resolution whose interior ranges and edge hexagons stay few (every range
    // and hexagon is a value in a statement), each cover given up as soon as its edge alone
    // passes that budget; else the coarsest within MAX_MAP_VALUES; else none (range scan).
    let values = |hex: &HexCover| hex.interior.len() + hex.boundary.len();
    let cover = |res: u8, max_edge: usize| {
        Resolution::new(res)
            .ok()
            .and_then(|r| area.hex_cover(r, max_edge))
    };
    candidates[start..]
        .iter()
        .find_map(|res| cover(*res, MAX_COVER_VALUES).filter(|h| values(h) <= MAX_COVER_VALUES))
        .or_else(|| cover(5, MAX_EDGE_HEXAGONS).filter(|h| values(h) <= MAX_MAP_VALUES))
}

async fn sums_by_cell(
    conn: &impl ConnectionTrait,
    area: Option<(&PreparedArea, &HexCover)>,
    res: u8,
    today: NaiveDate,
) -> Result<BTreeMap<i64, Sum>> {
    let res_index = RESOLUTIONS
        .iter()
        .position(|r| *r == res)
        .ok_or_else(|| StorageError::Db(sea_orm::DbErr::Custom(format!("no rollups at {res}"))))?;
    let interior: Option<&[CellRange]> = area.map(|(_, h)| h.interior.as_slice());
    let mut sums: BTreeMap<i64, Sum> = BTreeMap::new();
    let started = std::time::Instant::now();
    read_rollups(conn, res, interior, &mut sums).await?;
    tracing::debug!(
        rollup_rows_us = started.elapsed().as_micros(),
        "rollup rows read"
    );
    // Sites on the area's edge: their points read and tested one by one, then the figures
    // of those inside (most of an edge row is figures; half the rows fall outside).
    if let Some((prepared, hex)) = area {
        let cells: Vec<i64> = hex.boundary.iter().map(|c| c.as_i64()).collect();
        let column = [
            site::Column::CellR5,
            site::Column::CellR7,
            site::Column::CellR9,
        ][res_index];
        let mut inside = Vec::new();
        for chunk in cells.chunks(VALUES_PER_QUERY) {
            let points: Vec<EdgePoint> = site::Entity::find()
                .select_only()
                .columns([
                    site::Column::Id,
                    site::Column::Lat,
                    site::Column::Lon,
                    site::Column::OpenedOn,
                    site::Column::ClosedOn,
                ])
                .filter(column.is_in(chunk.iter().copied()))
                .into_model()
                .all(conn)
                .await?;
            for p in points {
                let location = Coordinates::new(p.lat, p.lon)
                    .map_err(|e| StorageError::Db(sea_orm::DbErr::Type(e.to_string())))?;
                if is_open_on(p.opened_on, p.closed_on, today) && prepared.contains(&location) {
                    inside.push(p.id);
                }
            }
        }
        for chunk in inside.chunks(VALUES_PER_QUERY) {
            let rows = site::Entity::find()
                .filter(site::Column::Id.is_in(chunk.iter().copied()))
                .all(conn)
                .await?;
            for m in &rows {
                let (cell, c) = contribution(m, res_index)?;
                sums.entry(cell).or_default().add(&c, 1);
            }
        }
    }
    tracing::debug!(
        edge_sites_us = started.elapsed().as_micros(),
        "edge sites read"
    );
    // Sites whose openness today differs from what the rollups hold.
    let volatile = site::Entity::find()
        .filter(
            sea_orm::Condition::any()
                .add(site::Column::OpenedOn.gt(today))
                .add(site::Column::ClosedOn.gt(today)),
        )
        .all(conn)
        .await?;
    for m in &volatile {
        let (cell, c) = contribution(m, res_index)?;
        let counted = match area {
            None => true,
            Some((_, hex)) => hex.is_interior(cell),
        };
        let sign = match (
            m.closed_on.is_none(),
            is_open_on(m.opened_on, m.closed_on, today),
        ) {
            // In the rollups but not open today, or the other way round.
            (true, false) => -1,
            (false, true) => 1,
            _ => 0,
        };
        if counted && sign != 0 {
            sums.entry(cell).or_default().add(&c, sign);
        }
    }
    Ok(sums)
}

/// Adds the rollup rows at `res` (within `interior` ranges when given) into `sums`.
async fn read_rollups(
    conn: &impl ConnectionTrait,
    res: u8,
    interior: Option<&[CellRange]>,
    sums: &mut BTreeMap<i64, Sum>,
) -> Result<()> {
    let backend = conn.get_database_backend();
    let chunks: Vec<Option<&[CellRange]>> = match interior {
        None => vec![None],
        Some([]) => Vec::new(),
        Some(r) => r.chunks(VALUES_PER_QUERY).map(Some).collect(),
    };
    for chunk in chunks {
        for (table, columns) in [
            ("site_rollups", &FIGURE_COLUMNS[..]),
            (
                "site_rollup_sadd",
                &["sex", "age_min", "age_max", "count", "entries"][..],
            ),
        ] {
            // The range bounds are integers computed here, written into the statement rather
            // than bound: thousands of bound values cost more than the index seeks.
            let columns: Vec<String> = columns.iter().map(|c| format!("t.{c}")).collect();
            let columns = columns.join(", ");
            let sql = match chunk {
                None => {
                    format!("SELECT t.cell, {columns} FROM {table} t WHERE t.resolution = {res}")
                }
                Some(ranges) => {
                    let mut values = String::with_capacity(ranges.len() * 44);
                    for (i, r) in ranges.iter().enumerate() {
                        if i > 0 {
                            values.push(',');
                        }
                        values.push_str(&format!("({},{})", r.lo, r.hi));
                    }
                    // CROSS JOIN: SQLite (3.51 on) otherwise scans the resolution's rows
                    // and tests each against every range, 200x slower than a seek per range.
                    format!(
                        "SELECT t.cell, {columns} FROM (VALUES {values}) AS r CROSS JOIN {table} t WHERE t.resolution = {res} AND t.cell BETWEEN r.column1 AND r.column2"
                    )
                }
            };
            let query = Statement::from_string(backend, sql);
            for row in conn.query_all_raw(query).await? {
                let cell: i64 = row.try_get("", "cell")?;
                let sum = sums.entry(cell).or_default();
                if table == "site_rollups" {
                    for (i, c) in FIGURE_COLUMNS.iter().enumerate() {
                        sum.figures[i] += row.try_get::<i64>("", c)?;
                    }
                } else {
                    let sex: String = row.try_get("", "sex")?;
                    let age_min: i16 = row.try_get("", "age_min")?;
                    let age_max: i16 = row.try_get("", "age_max")?;
                    let e = sum
                        .sadd
                        .entry((decode(&sex)?, age_min, (age_max >= 0).then_some(age_max)))
                        .or_default();
                    e[0] += row.try_get::<i64>("", "count")?;
                    e[1] += row.try_get::<i64>("", "entries")?;
                }
            }
        }
    }
    Ok(())
}
