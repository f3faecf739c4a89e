//! Displacement aggregates: totals, hexagon maps, admin breakdowns and trends, for any area,
//! scoped by role through the same predicate builder as the lists. Partners see groups
//! below the configured number of households as suppressed, never as zero.

use async_graphql::{Context, Enum, Json, Object, SimpleObject};
use camptrack_geo::{Cell, Resolution};
use chrono::{Datelike, Days, Months, NaiveDate};
use serde_json::json;

use super::area::{self, AreaInput};
use super::context;
use super::enums::Sex;
use super::error::{self, OrGql, code, coded};
use super::scalars::{BigInt, H3Cell, Location};
use crate::storage::area::{ResolvedArea, sites_in};
use crate::storage::displacement::{self, Period, Snapshot, Totals, today};
use crate::storage::rollups;
use crate::storage::rounds;
use camptrack_geo::PreparedArea;
use sea_orm::Condition;

/// Most points a trend may have.
const MAX_TREND_POINTS: usize = 1000;

/// Figures of a group of sites.
#[derive(Debug, SimpleObject)]
pub struct Figures {
    /// Sites open at the date.
    pub sites: i32,
    /// Of those, sites with a counted assessment on or before the date.
    pub assessed_sites: i32,
    /// Whether the counts are withheld because the group is below the minimum number of
    /// households shown to this caller.
    pub suppressed: bool,
    /// Displaced households.
    pub households: Option<BigInt>,
    /// Displaced individuals.
    pub individuals: Option<BigInt>,
    /// Arrivals in the 3 months before each site's latest visit.
    pub arrivals_last_3_months: Option<BigInt>,
    /// Departures in the 3 months before each site's latest visit.
    pub departures_last_3_months: Option<BigInt>,
    /// Sex and age totals per exact band (bands are never merged).
    pub sadd: Option<Vec<SaddTotal>>,
}

/// People of one sex in one exact age band.
#[derive(Debug, SimpleObject)]
pub struct SaddTotal {
    /// Sex.
    pub sex: Sex,
    /// Youngest age in the band.
    pub age_min: i32,
    /// Oldest age in the band; null when open.
    pub age_max: Option<i32>,
    /// People.
    pub count: BigInt,
}

fn figures(ctx: &Context<'_>, t: &Totals) -> async_graphql::Result<Figures> {
    let caller = context::caller(ctx)?;
    let suppressed = caller.role.sees_suppressed_figures()
        && t.households < context::policy(ctx).min_households_shown;
    let shown = |v: i64| (!suppressed).then_some(BigInt(v));
    let sites = |v: i64| i32::try_from(v).unwrap_or(i32::MAX);
    Ok(Figures {
        sites: sites(t.sites),
        assessed_sites: sites(t.assessed_sites),
        suppressed,
        households: shown(t.households),
        individuals: shown(t.individuals),
        arrivals_last_3_months: shown(t.arrivals),
        departures_last_3_months: shown(t.departures),
        sadd: (!suppressed).then(|| {
            t.sadd
                .iter()
                .map(|r| SaddTotal {
                    sex: r.sex.into(),
                    age_min: r.age_min.into(),
                    age_max: r.age_max.map(i32::from),
                    count: BigInt(r.count),
                })
                .collect()
        }),
    })
}

/// One hexagon of a map.
#[derive(Debug, SimpleObject)]
pub struct CellFigures {
    /// The cell.
    pub cell: H3Cell,
    /// Its centre.
    pub center: Location,
    /// Its boundary, a closed ring.
    pub boundary: Vec<Location>,
    /// The figures of the sites whose point lies in it.
    pub figures: Figures,
}

/// A hexagon map.
#[derive(Debug, SimpleObject)]
pub struct HexMap {
    /// The cells' resolution.
    pub resolution: i32,
    /// Cells holding at least one open site.
    pub cells: Vec<CellFigures>,
    /// The same as a GeoJSON FeatureCollection of hexagons with their figures as properties.
    pub geojson: Json<serde_json::Value>,
}

/// Figures of one admin area.
#[derive(Debug, SimpleObject)]
pub struct AdminFigures {
    /// The p-code; null groups the sites without one at this level.
    pub pcode: Option<String>,
    /// The figures.
    pub figures: Figures,
}

/// How a trend is divided.
#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
pub enum TrendInterval {
    /// ISO weeks, Monday to Sunday.
    Week,
    /// Calendar months.
    Month,
    /// Assessment rounds: each round's coverage window.
    Round,
}

/// One point of a trend: the figures at the end of the period.
#[derive(Debug, SimpleObject)]
pub struct TrendPoint {
    /// First day of the period.
    pub period_start: NaiveDate,
    /// Last day of the period (clamped to `to`): the figures are those at its end.
    pub period_end: NaiveDate,
    /// The round, for `ROUND` trends.
    pub round_number: Option<i32>,
    /// The figures (SADD is not included in trends).
    pub figures: Figures,
}

async fn snapshot(
    ctx: &Context<'_>,
    area: Option<ResolvedArea>,
    as_of: Option<NaiveDate>,
) -> async_graphql::Result<Snapshot> {
    let scope = context::scope(ctx)?;
    let db = context::db(ctx);
    let sites = sites_in(db, scope, area.as_ref(), Condition::all())
        .await
        .gql()?;
    displacement::snapshot(db, sites, as_of, today())
        .await
        .gql()
}

async fn resolve(
    ctx: &Context<'_>,
    area: Option<AreaInput>,
) -> async_graphql::Result<Option<ResolvedArea>> {
    Ok(match area {
        Some(input) => Some(area::resolve(ctx, input).await?),
        None => None,
    })
}

/// The area rollups can answer for: today's figures, a caller who sees every site, and no
/// area or a geometric one. `Some(None)` means all sites.
fn rollup_area<'a>(
    ctx: &Context<'_>,
    area: Option<&'a ResolvedArea>,
    as_of: Option<NaiveDate>,
) -> async_graphql::Result<Option<Option<&'a PreparedArea>>> {
    if as_of.is_some() || !context::scope(ctx)?.sees_every_site() {
        return Ok(None);
    }
    Ok(match area {
        None => Some(None),
        Some(ResolvedArea::Geo(covered)) => Some(Some(&covered.area)),
        Some(ResolvedArea::Pcode(_)) => None,
    })
}

fn cell_feature(cell: Cell, f: &Figures) -> serde_json::Value {
    let mut feature = camptrack_geo::cell_feature(cell);
    if let Some(props) = feature
        .get_mut("properties")
        .and_then(serde_json::Value::as_object_mut)
    {
        props.insert("sites".into(), json!(f.sites));
        props.insert("suppressed".into(), json!(f.suppressed));
        props.insert("households".into(), json!(f.households.map(|c| c.0)));
        props.insert("individuals".into(), json!(f.individuals.map(|c| c.0)));
    }
    feature
}

/// Displacement queries.
#[derive(Debug, Default)]
pub struct DisplacementQuery;

#[Object]
impl DisplacementQuery {
    /// Displaced households and individuals in an area (all the caller's sites when no area
    /// is given) at `asOf` (the current figures when omitted): each open site's latest
    /// counted assessment on or before that day, summed; never a sum across rounds.
    async fn displacement(
        &self,
        ctx: &Context<'_>,
        area: Option<AreaInput>,
        as_of: Option<NaiveDate>,
    ) -> async_graphql::Result<Figures> {
        let area = resolve(ctx, area).await?;
        if let Some(target) = rollup_area(ctx, area.as_ref(), as_of)? {
            let db = context::db(ctx);
            if let Some(totals) = rollups::totals(db, target, today()).await.gql()? {
                return figures(ctx, &totals);
            }
        }
        let snapshot = snapshot(ctx, area, as_of).await?;
        figures(ctx, &snapshot.total())
    }

    /// The same per H3 cell at `resolution` (0-15), for hexagon maps. A site is in the cell
    /// that contains its point at that resolution.
    async fn displacement_by_cell(
        &self,
        ctx: &Context<'_>,
        area: Option<AreaInput>,
        resolution: i32,
        as_of: Option<NaiveDate>,
    ) -> async_graphql::Result<HexMap> {
        let res = u8::try_from(resolution)
            .ok()
            .and_then(|r| Resolution::new(r).ok())
            .ok_or_else(|| {
                error::invalid(&camptrack_domain::Invalid::one(
                    "resolution",
                    "must be an H3 resolution, 0 to 15",
                ))
            })?;
        let area = resolve(ctx, area).await?;
        let mut groups = None;
        if rollups::RESOLUTIONS.contains(&res.get())
            && let Some(target) = rollup_area(ctx, area.as_ref(), as_of)?
        {
            let db = context::db(ctx);
            groups = rollups::by_cell(db, target, res.get(), today())
                .await
                .gql()?;
        }
        let groups = match groups {
            Some(g) => g,
            None => snapshot(ctx, area, as_of)
                .await?
                .group_by(|s| Some(s.location.cell_at(res).as_i64())),
        };
        let mut cells = Vec::with_capacity(groups.len());
        let mut features = Vec::with_capacity(groups.len());
        for (value, totals) in &groups {
            let cell = Cell::try_from(*value).map_err(|e| error::storage(error::geo(&e)))?;
            let f = figures(ctx, totals)?;
            features.push(cell_feature(cell, &f));
            cells.push(CellFigures {
                cell: H3Cell(cell),
                center: cell.center().into(),
                boundary: cell.boundary().into_iter().map(Location::from).collect(),
                figures: f,
            });
        }
        Ok(HexMap {
            resolution,
            cells,
            geojson: Json(json!({ "type": "FeatureCollection", "features": features })),
        })
    }

    /// The same per admin area at `level` (0-3), by the p-codes on the sites.
    async fn displacement_by_admin(
        &self,
        ctx: &Context<'_>,
        area: Option<AreaInput>,
        level: i32,
        as_of: Option<NaiveDate>,
    ) -> async_graphql::Result<Vec<AdminFigures>> {
        let level = usize::try_from(level)
            .ok()
            .filter(|l| *l <= 3)
            .ok_or_else(|| {
                error::invalid(&camptrack_domain::Invalid::one(
                    "level",
                    "sites carry p-codes for levels 0 to 3",
                ))
            })?;
        let snapshot = snapshot(ctx, resolve(ctx, area).await?, as_of).await?;
        snapshot
            .group_by(|s| Some(s.admin[level].clone()))
            .into_iter()
            .map(|(pcode, totals)| {
                Ok(AdminFigures {
                    pcode,
                    figures: figures(ctx, &totals)?,
                })
            })
            .collect()
    }

    /// A series of figures from `from` to `to`, each point by the latest-per-site rule at
    /// the end of its period.
    async fn displacement_trend(
        &self,
        ctx: &Context<'_>,
        area: Option<AreaInput>,
        interval: TrendInterval,
        from: NaiveDate,
        to: NaiveDate,
    ) -> async_graphql::Result<Vec<TrendPoint>> {
        if to < from {
            return Err(error::invalid(&camptrack_domain::Invalid::one(
                "to",
                format!("{to} is before from {from}"),
            )));
        }
        let scope = context::scope(ctx)?;
        let db = context::db(ctx);
        let periods: Vec<(Period, Option<i32>)> = match interval {
            TrendInterval::Week => calendar(
                from,
                to,
                |d| d - Days::new(u64::from(d.weekday().num_days_from_monday())),
                |d| d + Days::new(7),
            ),
            TrendInterval::Month => calendar(
                from,
                to,
                |d| d.with_day(1).unwrap_or(d),
                |d| d + Months::new(1),
            ),
            TrendInterval::Round => rounds::all(db)
                .await
                .gql()?
                .into_iter()
                .filter(|r| r.ends_on >= from && r.starts_on <= to)
                .map(|r| {
                    (
                        Period {
                            start: r.starts_on,
                            end: r.ends_on.min(to),
                        },
                        Some(r.number),
                    )
                })
                .collect(),
        };
        if periods.len() > MAX_TREND_POINTS {
            return Err(coded(
                code::LIMIT_EXCEEDED,
                format!(
                    "a trend has at most {MAX_TREND_POINTS} points; use a longer interval or a shorter span"
                ),
            ));
        }
        let area = match area {
            Some(input) => Some(area::resolve(ctx, input).await?),
            None => None,
        };
        let sites = sites_in(db, scope, area.as_ref(), Condition::all())
            .await
            .gql()?;
        let just_periods: Vec<Period> = periods.iter().map(|(p, _)| *p).collect();
        let totals = displacement::trend(db, &sites, &just_periods).await.gql()?;
        periods
            .into_iter()
            .zip(totals)
            .map(|((period, round_number), t)| {
                Ok(TrendPoint {
                    period_start: period.start,
                    period_end: period.end,
                    round_number,
                    figures: figures(ctx, &t)?,
                })
            })
            .collect()
    }
}

/// Calendar periods covering `from..=to`: each starts at `start_of(day)` and the next one at
/// `next(start)`; the last ends at `to`. Stops early past the point limit.
fn calendar(
    from: NaiveDate,
    to: NaiveDate,
    start_of: impl Fn(NaiveDate) -> NaiveDate,
    next: impl Fn(NaiveDate) -> NaiveDate,
) -> Vec<(Period, Option<i32>)> {
    let mut out = Vec::new();
    let mut start = start_of(from);
    while start <= to && out.len() <= MAX_TREND_POINTS {
        let following = next(start);
        let end = following.pred_opt().unwrap_or(following).min(to);
        out.push((
            Period {
                start: start.max(from),
                end,
            },
            None,
        ));
        start = following;
    }
    out
}
