//! `displacement-by-cell` and `displacement-by-admin`: the aggregates of the
//! `displacementByCell` and `displacementByAdmin` queries (each open site's latest counted
//! assessment at `asOf`, summed per group), with the same partner suppression. Groups are
//! computed as the queries compute them and written in one page.

use camptrack_geo::{Cell, Resolution};
use chrono::NaiveDate;

use super::super::format::{self, Band, Column, Geometry, Val};
use super::super::params::Params;
use super::super::{Batch, Cx, Dataset};
use crate::storage::area::{ResolvedArea, sites_in};
use crate::storage::displacement::{self, Totals, today};
use crate::storage::{Result, StorageError};

/// Figures per H3 cell at a resolution.
#[derive(Debug)]
pub struct ByCell;

/// Figures per admin area at a level.
#[derive(Debug)]
pub struct ByAdmin;

/// The filters of both.
#[derive(Debug)]
pub struct Filter<G> {
    area: Option<ResolvedArea>,
    as_of: Option<NaiveDate>,
    group: G,
    bands: Vec<Band>,
}

/// One group's figures.
#[derive(Debug)]
pub struct Row<K> {
    key: K,
    totals: Totals,
    shown: bool,
}

impl<K> Row<K> {
    fn figure(&self, v: i64) -> Val {
        if self.shown { Val::Int(v) } else { Val::Null }
    }
}

fn figure_columns<K: Send + Sync + 'static>(bands: &[Band]) -> Vec<Column<Row<K>>> {
    let mut c = vec![
        Column::new("sites", "Open sites", "#loc+count", |r: &Row<K>| {
            Val::Int(r.totals.sites)
        }),
        Column::new(
            "assessedSites",
            "Assessed sites",
            "#loc+count+assessed",
            |r: &Row<K>| Val::Int(r.totals.assessed_sites),
        ),
        Column::new(
            "suppressed",
            "Figures suppressed",
            "#meta+suppressed",
            |r: &Row<K>| Val::Bool(!r.shown),
        ),
        Column::new(
            "households",
            "IDP households",
            "#affected+idps+hh",
            |r: &Row<K>| r.figure(r.totals.households),
        ),
        Column::new(
            "individuals",
            "IDP individuals",
            "#affected+idps+ind",
            |r: &Row<K>| r.figure(r.totals.individuals),
        ),
        Column::new(
            "arrivalsLast3Months",
            "Arrivals (3 months)",
            "#affected+idps+arrivals",
            |r: &Row<K>| r.figure(r.totals.arrivals),
        ),
        Column::new(
            "departuresLast3Months",
            "Departures (3 months)",
            "#affected+idps+departures",
            |r: &Row<K>| r.figure(r.totals.departures),
        ),
    ];
    for band in bands {
        let b = *band;
        c.push(Column::new(
            band.key(),
            format!("SADD {}", band.label()),
            format!("#affected+idps{}", band.hxl_attributes()),
            move |r: &Row<K>| {
                if !r.shown {
                    return Val::Null;
                }
                r.totals
                    .sadd
                    .iter()
                    .find(|t| {
                        t.sex == b.sex
                            && t.age_min == i16::from(b.age_min)
                            && t.age_max == b.age_max.map(i16::from)
                    })
                    .map_or(Val::Null, |t| Val::Int(t.count))
            },
        ));
    }
    c
}

async fn filter<G>(params: &mut Params, cx: &Cx, group: G) -> Result<Filter<G>> {
    Ok(Filter {
        area: params.area(&cx.db).await?,
        as_of: params.date("asOf"),
        group,
        bands: format::default_bands(),
    })
}

async fn groups<K: Ord, G>(
    cx: &Cx,
    filter: &Filter<G>,
    key: impl Fn(&crate::storage::area::LocatedSite) -> Option<K>,
) -> Result<Vec<Row<K>>> {
    let scope = cx.scope();
    let sites = sites_in(
        &cx.db,
        scope,
        filter.area.as_ref(),
        sea_orm::Condition::all(),
    )
    .await?;
    let snapshot = displacement::snapshot(&cx.db, sites, filter.as_of, today()).await?;
    Ok(snapshot
        .group_by(key)
        .into_iter()
        .map(|(key, totals)| Row {
            shown: scope.sees_site_figures(totals.households, cx.min_households),
            key,
            totals,
        })
        .collect())
}

impl Dataset for ByCell {
    type Row = Row<Cell>;
    type Filter = Filter<Resolution>;
    type Cursor = ();
    const NAME: &'static str = "displacement-by-cell";
    const GEOJSON: bool = true;

    async fn filter(params: &mut Params, cx: &Cx) -> Result<Self::Filter> {
        let res = params
            .parsed::<u8>("resolution", "an H3 resolution, 0 to 15")
            .and_then(|r| Resolution::new(r).ok());
        let Some(res) = res else {
            return Err(camptrack_domain::Invalid::one(
                "resolution",
                "give an H3 resolution, 0 to 15",
            )
            .into());
        };
        filter(params, cx, res).await
    }

    fn columns(filter: &Self::Filter) -> Vec<Column<Self::Row>> {
        let mut c = vec![Column::new(
            "cell",
            "H3 cell",
            "#geo+h3",
            |r: &Self::Row| Val::text(Some(r.key)),
        )];
        c.extend(figure_columns(&filter.bands));
        c
    }

    fn geometry(row: &Self::Row) -> Geometry {
        Geometry::Cell(row.key)
    }

    async fn page(cx: &Cx, filter: &Self::Filter, _: Option<()>) -> Result<Batch<Self::Row, ()>> {
        let res = filter.group;
        let rows = groups(cx, filter, |s| Some(s.location.cell_at(res).as_i64())).await?;
        let rows = rows
            .into_iter()
            .map(|r| {
                Cell::try_from(r.key)
                    .map(|key| Row {
                        key,
                        totals: r.totals,
                        shown: r.shown,
                    })
                    .map_err(|e| StorageError::Db(sea_orm::DbErr::Type(e.to_string())))
            })
            .collect::<Result<_>>()?;
        Ok((rows, None))
    }
}

impl Dataset for ByAdmin {
    type Row = Row<Option<String>>;
    type Filter = Filter<usize>;
    type Cursor = ();
    const NAME: &'static str = "displacement-by-admin";
    const GEOJSON: bool = false;

    async fn filter(params: &mut Params, cx: &Cx) -> Result<Self::Filter> {
        let level = params
            .parsed::<usize>("level", "an admin level, 0 to 3")
            .filter(|l| *l <= 3);
        let Some(level) = level else {
            return Err(camptrack_domain::Invalid::one(
                "level",
                "give an admin level: sites carry p-codes for levels 0 to 3",
            )
            .into());
        };
        filter(params, cx, level).await
    }

    fn columns(filter: &Self::Filter) -> Vec<Column<Self::Row>> {
        let hxl = match filter.group {
            0 => "#country+code".to_owned(),
            l => format!("#adm{l}+code"),
        };
        let mut c = vec![Column::new(
            "pcode",
            format!("Admin{} p-code", filter.group),
            hxl,
            |r: &Self::Row| Val::text(r.key.as_ref()),
        )];
        c.extend(figure_columns(&filter.bands));
        c
    }

    async fn page(cx: &Cx, filter: &Self::Filter, _: Option<()>) -> Result<Batch<Self::Row, ()>> {
        let level = filter.group;
        Ok((
            groups(cx, filter, |s| Some(s.admin[level].clone())).await?,
            None,
        ))
    }
}
