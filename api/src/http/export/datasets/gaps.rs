//! `sites-without-distribution`, `stale-sites` and `arrival-spikes`: the rows of the
//! `sitesWithoutDistribution`, `staleSites` and `arrivalSpikes` queries, with their
//! arguments as parameters (`asOf`, `days`, `goods.itemCode`, `goods.kitCode`,
//! `goods.sector`, `threshold`, `multiple`, `area.*`) and the same partner suppression
//! (`suppressed` true, counts empty). Pages are read through the storage keyset (site id).

use std::collections::BTreeMap;

use camptrack_domain::Invalid;
use camptrack_domain::codes::Sector;
use camptrack_domain::insight::{LookBack, SpikeRule, SpikeTest};
use chrono::NaiveDate;
use uuid::Uuid;

use super::super::format::{Column, Val};
use super::super::params::Params;
use super::super::{Batch, Cx, Dataset};
use crate::storage::Result;
use crate::storage::area::ResolvedArea;
use crate::storage::displacement::today;
use crate::storage::insight::gaps::{self, Population};
use crate::storage::insight::{GoodsFilter, Keyset};
use crate::storage::page::Page;
use crate::storage::sites::{self, Site};

/// `sites-without-distribution`.
#[derive(Debug)]
pub struct Undistributed;

/// `stale-sites`.
#[derive(Debug)]
pub struct Stale;

/// `arrival-spikes`.
#[derive(Debug)]
pub struct Spikes;

/// One gap row: the site, its figures at `asOf` (shown or not) and the dataset's details.
#[derive(Debug)]
pub struct Row<T> {
    site: Site,
    population: Option<Population>,
    shown: bool,
    detail: T,
}

impl<T> Row<T> {
    fn figure(&self, f: impl Fn(&Population) -> i64) -> Val {
        match self.population.as_ref() {
            Some(p) if self.shown => Val::Int(f(p)),
            _ => Val::Null,
        }
    }
}

/// The look-back window of the two `days` datasets.
#[derive(Debug)]
pub struct LookFilter {
    area: Option<ResolvedArea>,
    look: LookBack,
    goods: GoodsFilter,
}

/// The spike test.
#[derive(Debug)]
pub struct SpikeFilter {
    area: Option<ResolvedArea>,
    as_of: NaiveDate,
    test: SpikeTest,
}

/// Records every problem of `r` in `params`.
fn take<T>(params: &mut Params, r: std::result::Result<T, Invalid>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(e) => {
            for f in e.0 {
                params.refuse(&f.path, f.reason);
            }
            None
        }
    }
}

async fn look_filter(params: &mut Params, cx: &Cx, with_goods: bool) -> Result<LookFilter> {
    let area = params.area(&cx.db).await?;
    let as_of = params.date("asOf").unwrap_or_else(today);
    let days = params.parsed::<i64>("days", "a whole number of days");
    let look = match days {
        Some(d) => take(params, LookBack::new(as_of, d, "days")),
        None => {
            params.refuse("days", "give the look-back window in days");
            None
        }
    };
    let goods = if with_goods {
        GoodsFilter {
            item_code: params.one("goods.itemCode").map(|c| c.to_ascii_uppercase()),
            kit_code: params.one("goods.kitCode").map(|c| c.to_ascii_uppercase()),
            sector: params.codes::<Sector>("goods.sector").into_iter().next(),
        }
    } else {
        GoodsFilter::default()
    };
    // A refused `days` is reported by `Params::finish`; this window is never read.
    let look = match look {
        Some(l) => l,
        None => LookBack::new(as_of, 0, "days")?,
    };
    Ok(LookFilter { area, look, goods })
}

/// Loads the page's sites and decides what the caller sees of each.
async fn rows<R, T>(
    cx: &Cx,
    page: Page<R>,
    split: impl Fn(R) -> (Uuid, Option<Population>, T),
) -> Result<Batch<Row<T>, String>> {
    let next = page.has_next;
    let parts: Vec<(Uuid, Option<Population>, T)> = page.items.into_iter().map(split).collect();
    let ids: Vec<Uuid> = parts.iter().map(|p| p.0).collect();
    let scope = cx.scope();
    let mut loaded: BTreeMap<Uuid, Site> = sites::by_ids(&cx.db, scope, &ids)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let cursor = ids.last().map(Uuid::to_string).filter(|_| next);
    let mut out = Vec::with_capacity(parts.len());
    for (id, population, detail) in parts {
        let site = loaded
            .remove(&id)
            .ok_or_else(|| crate::storage::StorageError::not_found("site", id))?;
        let shown = population
            .as_ref()
            .is_some_and(|p| scope.sees_site_figures(p.households, cx.min_households));
        out.push(Row {
            site,
            population,
            shown,
            detail,
        });
    }
    Ok((out, cursor))
}

fn keyset(cx: &Cx, after: Option<String>) -> Keyset {
    Keyset {
        first: usize::try_from(cx.page_rows).unwrap_or(usize::MAX),
        after,
    }
}

/// The site and figure columns every gap dataset starts with.
fn site_columns<T: Send + Sync + 'static>() -> Vec<Column<Row<T>>> {
    vec![
        Column::new("siteId", "Site id", "#loc+id", |r: &Row<T>| {
            Val::text(Some(r.site.id))
        }),
        Column::new("siteCode", "Site code", "#loc+code", |r: &Row<T>| {
            Val::text(Some(&r.site.code))
        }),
        Column::new("siteName", "Site name", "#loc+name", |r: &Row<T>| {
            Val::text(Some(&r.site.name))
        }),
        Column::new(
            "admin1Pcode",
            "Admin1 p-code",
            "#adm1+code",
            |r: &Row<T>| Val::text(r.site.admin1_pcode.as_ref()),
        ),
        Column::new(
            "admin2Pcode",
            "Admin2 p-code",
            "#adm2+code",
            |r: &Row<T>| Val::text(r.site.admin2_pcode.as_ref()),
        ),
        Column::new(
            "assessedOn",
            "Assessed on",
            "#date+assessed",
            |r: &Row<T>| Val::text(r.population.as_ref().map(|p| p.assessed_on)),
        ),
        Column::new(
            "suppressed",
            "Figures suppressed",
            "#meta+suppressed",
            |r: &Row<T>| Val::Bool(r.population.is_some() && !r.shown),
        ),
        Column::new(
            "households",
            "IDP households",
            "#affected+idps+hh",
            |r: &Row<T>| r.figure(|p| p.households),
        ),
        Column::new(
            "individuals",
            "IDP individuals",
            "#affected+idps+ind",
            |r: &Row<T>| r.figure(|p| p.individuals),
        ),
    ]
}

impl Dataset for Undistributed {
    type Row = Row<Option<NaiveDate>>;
    type Filter = LookFilter;
    type Cursor = String;
    const NAME: &'static str = "sites-without-distribution";
    const GEOJSON: bool = false;

    async fn filter(params: &mut Params, cx: &Cx) -> Result<Self::Filter> {
        look_filter(params, cx, true).await
    }

    fn columns(_: &Self::Filter) -> Vec<Column<Self::Row>> {
        let mut c = site_columns();
        c.push(Column::new(
            "lastDistributionOn",
            "Last distribution on",
            "#date+distribution",
            |r: &Self::Row| Val::text(r.detail),
        ));
        c
    }

    async fn page(
        cx: &Cx,
        f: &Self::Filter,
        after: Option<String>,
    ) -> Result<Batch<Self::Row, String>> {
        let page = gaps::undistributed(
            &cx.db,
            cx.scope(),
            f.area.as_ref(),
            f.look,
            &f.goods,
            &keyset(cx, after),
        )
        .await?;
        rows(cx, page, |r| {
            (r.site_id, r.population, r.last_distribution_on)
        })
        .await
    }
}

impl Dataset for Stale {
    type Row = Row<Option<i64>>;
    type Filter = LookFilter;
    type Cursor = String;
    const NAME: &'static str = "stale-sites";
    const GEOJSON: bool = false;

    async fn filter(params: &mut Params, cx: &Cx) -> Result<Self::Filter> {
        look_filter(params, cx, false).await
    }

    fn columns(_: &Self::Filter) -> Vec<Column<Self::Row>> {
        let mut c = site_columns();
        c.push(Column::new(
            "neverAssessed",
            "Never assessed",
            "#meta+never_assessed",
            |r: &Self::Row| Val::Bool(r.population.is_none()),
        ));
        c.push(Column::new(
            "daysSinceAssessed",
            "Days since assessed",
            "#value+days",
            |r: &Self::Row| Val::int(r.detail),
        ));
        c
    }

    async fn page(
        cx: &Cx,
        f: &Self::Filter,
        after: Option<String>,
    ) -> Result<Batch<Self::Row, String>> {
        let page = gaps::stale(
            &cx.db,
            cx.scope(),
            f.area.as_ref(),
            f.look,
            &keyset(cx, after),
        )
        .await?;
        rows(cx, page, |r| (r.site_id, r.population, r.days_since)).await
    }
}

/// An arrivals spike's details.
#[derive(Debug)]
pub struct SpikeDetail {
    arrivals: i64,
    previous_assessed_on: Option<NaiveDate>,
    previous_arrivals: Option<i64>,
    rules: Vec<SpikeRule>,
}

impl Dataset for Spikes {
    type Row = Row<SpikeDetail>;
    type Filter = SpikeFilter;
    type Cursor = String;
    const NAME: &'static str = "arrival-spikes";
    const GEOJSON: bool = false;

    async fn filter(params: &mut Params, cx: &Cx) -> Result<Self::Filter> {
        let area = params.area(&cx.db).await?;
        let as_of = params.date("asOf").unwrap_or_else(today);
        let threshold = params.parsed::<i64>("threshold", "a whole number");
        let multiple = params.parsed::<f64>("multiple", "a number");
        let test = take(params, SpikeTest::new(threshold, multiple));
        let test = match test {
            Some(t) => t,
            // Refused above: reported by `Params::finish`, never read.
            None => SpikeTest::new(Some(0), None)?,
        };
        Ok(SpikeFilter { area, as_of, test })
    }

    fn columns(_: &Self::Filter) -> Vec<Column<Self::Row>> {
        let mut c = site_columns();
        c.push(Column::new(
            "rules",
            "Rules fired",
            "#meta+rules",
            |r: &Self::Row| {
                let rules: Vec<&str> = r
                    .detail
                    .rules
                    .iter()
                    .map(|rule| match rule {
                        SpikeRule::Threshold => "THRESHOLD",
                        SpikeRule::Multiple => "MULTIPLE",
                    })
                    .collect();
                Val::Text(rules.join(","))
            },
        ));
        c.push(Column::new(
            "arrivalsLast3Months",
            "Arrivals (3 months)",
            "#affected+idps+arrivals",
            |r: &Self::Row| r.figure(|_| r.detail.arrivals),
        ));
        c.push(Column::new(
            "previousAssessedOn",
            "Previous assessed on",
            "#date+assessed+previous",
            |r: &Self::Row| Val::text(r.detail.previous_assessed_on),
        ));
        c.push(Column::new(
            "previousArrivalsLast3Months",
            "Previous arrivals (3 months)",
            "#affected+idps+arrivals+previous",
            |r: &Self::Row| {
                if r.shown {
                    Val::int(r.detail.previous_arrivals)
                } else {
                    Val::Null
                }
            },
        ));
        c
    }

    async fn page(
        cx: &Cx,
        f: &Self::Filter,
        after: Option<String>,
    ) -> Result<Batch<Self::Row, String>> {
        let page = gaps::spikes(
            &cx.db,
            cx.scope(),
            f.area.as_ref(),
            f.as_of,
            f.test,
            &keyset(cx, after),
        )
        .await?;
        rows(cx, page, |r| {
            (
                r.site_id,
                Some(r.population),
                SpikeDetail {
                    arrivals: r.arrivals,
                    previous_assessed_on: r.previous_assessed_on,
                    previous_arrivals: r.previous_arrivals,
                    rules: r.rules,
                },
            )
        })
        .await
    }
}
