//! Sites in an area, exactly: interior cover ranges are taken from the cell index without a
//! test, rows in boundary ranges are fetched and tested against the area itself, and admin
//! areas without a polygon fall back to the p-code columns.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use camptrack_geo::{
    Area, Cell, CellRange, Coordinates, Cover, CoverLimits, GeoError, PreparedArea,
};
use chrono::NaiveDate;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DbErr, Iden, QueryResult};
use uuid::Uuid;

use super::admin_areas;
use super::entities::site;
use super::scope::{SITE_ADMIN_COLUMNS, Scope, pcode_at_any_level, site_ids_with_pcode};
use super::{Result, StorageError};

/// An area ready to query.
#[derive(Debug, Clone)]
pub enum ResolvedArea {
    /// A geometric area (cells, box, polygon, radius, or an admin area's polygon).
    Geo(Arc<Covered>),
    /// An admin area without a polygon: sites whose admin0-3 p-code is this one.
    Pcode(String),
}

/// A checked area with its cover, computed when first asked for (a query the rollups
/// answer never needs it).
#[derive(Debug)]
pub struct Covered {
    /// The area, with its exact test.
    pub area: PreparedArea,
    cover: OnceLock<Cover>,
}

impl Covered {
    /// Its cover: interior and boundary ranges of resolution-15 cells.
    pub fn cover(&self) -> &Cover {
        self.cover.get_or_init(|| self.area.cover())
    }
}

impl ResolvedArea {
    /// Checks `area`.
    pub fn geo(area: Area, limits: &CoverLimits) -> Result<Self, GeoError> {
        let area = area.prepare(limits)?;
        Ok(Self::Geo(Arc::new(Covered {
            area,
            cover: OnceLock::new(),
        })))
    }

    /// The point of an admin-polygon or geometric area test, for `near` ordering.
    pub fn near_center(&self) -> Option<Coordinates> {
        match self {
            Self::Geo(c) => match c.area.area() {
                Area::Near { center, .. } => Some(*center),
                _ => None,
            },
            Self::Pcode(_) => None,
        }
    }
}

/// Covers computed before: admin-area polygons keyed by p-code and the area's version, so a
/// changed polygon is covered anew and every process agrees (the version is read from the
/// database); and cell lists, which dashboards and devices name again and again (a cell's
/// hexagon never changes), at most [`MAX_CELL_LISTS`] of them, forgotten all at once when full.
#[derive(Debug, Default)]
pub struct AreaCache {
    admin: Mutex<HashMap<String, (i32, Arc<Covered>)>>,
    cells: Mutex<HashMap<Vec<Cell>, Arc<Covered>>>,
}

/// Cell lists whose covers are kept (each a few kilobytes for a handful of cells).
const MAX_CELL_LISTS: usize = 1_024;

fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl AreaCache {
    fn get(&self, pcode: &str, version: i32) -> Option<Arc<Covered>> {
        locked(&self.admin)
            .get(pcode)
            .filter(|(v, _)| *v == version)
            .map(|(_, c)| Arc::clone(c))
    }

    fn put(&self, pcode: &str, version: i32, covered: Arc<Covered>) {
        locked(&self.admin).insert(pcode.to_owned(), (version, covered));
    }
}

/// The area of the H3 cells `cells` (in any order, repeats allowed), its cover cached: the
/// cover of one resolution-7 cell took most of a `sites(area: cell)` request's time.
pub fn cell_area(
    cache: &AreaCache,
    mut cells: Vec<Cell>,
    limits: &CoverLimits,
) -> std::result::Result<ResolvedArea, GeoError> {
    cells.sort_unstable();
    cells.dedup();
    if let Some(covered) = locked(&cache.cells).get(&cells) {
        return Ok(ResolvedArea::Geo(Arc::clone(covered)));
    }
    let geo = ResolvedArea::geo(Area::cells(cells.clone()), limits)?;
    if let ResolvedArea::Geo(covered) = &geo {
        let mut map = locked(&cache.cells);
        if map.len() >= MAX_CELL_LISTS {
            map.clear();
        }
        map.insert(cells, Arc::clone(covered));
    }
    Ok(geo)
}

/// The area of admin area `pcode`: its polygon's cover (cached), or its p-code.
pub async fn admin_area(
    conn: &impl ConnectionTrait,
    cache: &AreaCache,
    pcode: &str,
    limits: &CoverLimits,
) -> Result<ResolvedArea> {
    let area = admin_areas::get(conn, pcode).await.map_err(|e| match e {
        StorageError::NotFound { .. } => {
            camptrack_domain::Invalid::one("area.adminPcode", format!("no admin area {pcode}"))
                .into()
        }
        other => other,
    })?;
    let Some(polygon) = &area.polygon else {
        return Ok(ResolvedArea::Pcode(area.pcode));
    };
    if let Some(covered) = cache.get(&area.pcode, area.version) {
        return Ok(ResolvedArea::Geo(covered));
    }
    // A stored polygon was checked when it was saved, so it only fails here if the limits
    // were tightened since; say so rather than hiding the area.
    let geo = Area::from_geojson(polygon, limits)
        .and_then(|a| ResolvedArea::geo(a, limits))
        .map_err(|e| {
            StorageError::Limit(format!(
                "admin area {pcode}'s polygon no longer fits the configured limits: {e}"
            ))
        })?;
    if let ResolvedArea::Geo(covered) = &geo {
        cache.put(&area.pcode, area.version, Arc::clone(covered));
    }
    Ok(geo)
}

/// A site located for aggregation and area lists.
#[derive(Debug, Clone)]
pub struct LocatedSite {
    /// Site id.
    pub id: Uuid,
    /// Registered point.
    pub location: Coordinates,
    /// Admin p-codes, levels 0 to 3.
    pub admin: [Option<String>; 4],
    /// Opening date.
    pub opened_on: Option<NaiveDate>,
    /// Closing date.
    pub closed_on: Option<NaiveDate>,
    /// Its latest counted assessment.
    pub current_assessment_id: Option<Uuid>,
}

impl LocatedSite {
    /// Whether the site is open on `day`: opened on or before it, not closed on or before it.
    pub fn is_open_on(&self, day: NaiveDate) -> bool {
        is_open_on(self.opened_on, self.closed_on, day)
    }
}

/// Whether a site opened on `opened` and closed on `closed` is open on `day`: opened on or
/// before it, not closed on or before it.
pub fn is_open_on(opened: Option<NaiveDate>, closed: Option<NaiveDate>, day: NaiveDate) -> bool {
    opened.is_none_or(|o| o <= day) && closed.is_none_or(|c| c > day)
}

/// Every site the caller may see that matches `filter` and lies in `area` (all of the
/// caller's sites when `area` is `None`), ordered by id.
pub async fn sites_in(
    conn: &impl ConnectionTrait,
    scope: Scope<'_>,
    area: Option<&ResolvedArea>,
    filter: Condition,
) -> Result<Vec<LocatedSite>> {
    let base = Condition::all().add(scope.sites()).add(filter);
    let mut sites = match area {
        None => fetch(conn, base, None).await?,
        Some(ResolvedArea::Pcode(pcode)) => {
            let by_pcode = pcode_at_any_level(&SITE_ADMIN_COLUMNS, pcode);
            fetch(conn, base.add(by_pcode), None).await?
        }
        Some(ResolvedArea::Geo(covered)) => {
            let mut sites = fetch(conn, base.clone(), Some(&covered.cover().interior)).await?;
            let boundary = fetch(conn, base, Some(&covered.cover().boundary)).await?;
            sites.extend(
                boundary
                    .into_iter()
                    .filter(|s| covered.area.contains(&s.location)),
            );
            sites
        }
    };
    sites.sort_by_key(|s| s.id);
    Ok(sites)
}

/// The sites in `area` as a SQL condition on a site-id column (`column IN (...)`): interior
/// ranges as a subquery over the cell index, boundary sites tested here and listed by id,
/// p-codes as a subquery. Scoping is the caller's to add.
pub async fn site_id_condition(
    conn: &impl ConnectionTrait,
    area: &ResolvedArea,
    column: impl ColumnTrait,
) -> Result<Condition> {
    match area {
        ResolvedArea::Pcode(pcode) => {
            Ok(Condition::all().add(column.in_subquery(site_ids_with_pcode(pcode))))
        }
        ResolvedArea::Geo(covered) => {
            let mut any = Condition::any();
            for chunk in covered.cover().interior.chunks(RANGES_PER_QUERY) {
                let mut ids = Query::select();
                ids.column((site::Entity, site::Column::Id));
                join_ranges(&mut ids, chunk);
                any = any.add(column.in_subquery(ids));
            }
            let boundary = fetch(conn, Condition::all(), Some(&covered.cover().boundary)).await?;
            let inside: Vec<Uuid> = boundary
                .into_iter()
                .filter(|s| covered.area.contains(&s.location))
                .map(|s| s.id)
                .collect();
            for chunk in inside.chunks(1000) {
                any = any.add(column.is_in(chunk.iter().copied()));
            }
            // An empty `any` matches nothing, as an area with no sites should.
            Ok(if any.is_empty() {
                Condition::all().add(Expr::cust("1 = 0"))
            } else {
                any
            })
        }
    }
}

/// Ranges per statement: two bound values each, well under SQLite's and PostgreSQL's limits.
const RANGES_PER_QUERY: usize = 4000;

/// Fetches located sites matching `cond`, within `ranges` when given.
async fn fetch(
    conn: &impl ConnectionTrait,
    cond: Condition,
    ranges: Option<&[CellRange]>,
) -> Result<Vec<LocatedSite>> {
    let backend = conn.get_database_backend();
    let mut out = Vec::new();
    let chunks: Vec<Option<&[CellRange]>> = match ranges {
        None => vec![None],
        Some(r) => r.chunks(RANGES_PER_QUERY).map(Some).collect(),
    };
    for chunk in chunks {
        let mut query = select_located();
        query.cond_where(cond.clone());
        if let Some(ranges) = chunk {
            join_ranges(&mut query, ranges);
        } else {
            query.from(site::Entity);
        }
        for row in conn.query_all_raw(backend.build(&query)).await? {
            out.push(located(&row)?);
        }
    }
    Ok(out)
}

/// Makes `query` read the sites whose cell lies in one of `ranges`: a seek per range from
/// a VALUES list, never a chain of ORs. CROSS JOIN fixes the join order on SQLite, whose
/// planner may otherwise scan the sites and test each against every range; PostgreSQL plans
/// it as any inner join.
fn join_ranges(query: &mut SelectStatement, ranges: &[CellRange]) {
    let r = Alias::new("r");
    query
        .from_values(ranges.iter().map(|c| (c.lo, c.hi)), r.clone())
        .cross_join(site::Entity)
        .and_where(Expr::col((site::Entity, site::Column::Cell)).between(
            Expr::col((r.clone(), Alias::new("column1"))),
            Expr::col((r, Alias::new("column2"))),
        ));
}

fn select_located() -> SelectStatement {
    let mut query = Query::select();
    for column in [
        site::Column::Id,
        site::Column::Lat,
        site::Column::Lon,
        site::Column::Admin0Pcode,
        site::Column::Admin1Pcode,
        site::Column::Admin2Pcode,
        site::Column::Admin3Pcode,
        site::Column::OpenedOn,
        site::Column::ClosedOn,
        site::Column::CurrentAssessmentId,
    ] {
        query.column((site::Entity, column));
    }
    query
}

fn located(row: &QueryResult) -> Result<LocatedSite> {
    let col = |c: site::Column| c.to_string();
    let get_err = |e: DbErr| StorageError::Db(e);
    let lat: f64 = row.try_get("", &col(site::Column::Lat)).map_err(get_err)?;
    let lon: f64 = row.try_get("", &col(site::Column::Lon)).map_err(get_err)?;
    Ok(LocatedSite {
        id: row.try_get("", &col(site::Column::Id)).map_err(get_err)?,
        location: Coordinates::new(lat, lon)
            .map_err(|e| StorageError::Db(DbErr::Type(e.to_string())))?,
        admin: [
            Some(
                row.try_get("", &col(site::Column::Admin0Pcode))
                    .map_err(get_err)?,
            ),
            row.try_get("", &col(site::Column::Admin1Pcode))
                .map_err(get_err)?,
            row.try_get("", &col(site::Column::Admin2Pcode))
                .map_err(get_err)?,
            row.try_get("", &col(site::Column::Admin3Pcode))
                .map_err(get_err)?,
        ],
        opened_on: row
            .try_get("", &col(site::Column::OpenedOn))
            .map_err(get_err)?,
        closed_on: row
            .try_get("", &col(site::Column::ClosedOn))
            .map_err(get_err)?,
        current_assessment_id: row
            .try_get("", &col(site::Column::CurrentAssessmentId))
            .map_err(get_err)?,
    })
}

#[cfg(test)]
mod tests {
    use camptrack_geo::Resolution;

    use super::*;

    fn cell(lat: f64) -> Cell {
        let res = Resolution::new(7).expect("resolution");
        Coordinates::new(lat, 30.0).expect("point").cell_at(res)
    }

    fn covered(area: ResolvedArea) -> Arc<Covered> {
        match area {
            ResolvedArea::Geo(c) => c,
            ResolvedArea::Pcode(p) => panic!("a cell list is geometric, not {p}"),
        }
    }

    #[test]
    fn a_cell_list_is_covered_once_whatever_its_order_and_the_cache_stays_bounded() {
        let cache = AreaCache::default();
        let limits = CoverLimits::default();
        let (a, b) = (cell(1.0), cell(2.0));
        let first = covered(cell_area(&cache, vec![a, b], &limits).expect("area"));
        let again = covered(cell_area(&cache, vec![b, a, b], &limits).expect("area"));
        assert!(Arc::ptr_eq(&first, &again), "same cells, same cover");
        let other = covered(cell_area(&cache, vec![a], &limits).expect("area"));
        assert!(!Arc::ptr_eq(&first, &other), "other cells, another cover");
        let inside = Coordinates::new(2.0, 30.0).expect("point");
        assert!(first.area.contains(&inside) && !other.area.contains(&inside));
        for i in 0..MAX_CELL_LISTS * 2 {
            cell_area(
                &cache,
                vec![cell(f64::from(u16::try_from(i).unwrap_or(0)) * 0.01)],
                &limits,
            )
            .expect("area");
            assert!(locked(&cache.cells).len() <= MAX_CELL_LISTS);
        }
    }
}
