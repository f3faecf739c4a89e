//! `activities`: the 4W/5W roll-up of the `activities` query, with its arguments as
//! parameters (`from`, `to`, `groupBy`, `statuses`, `goods.itemCode`, `goods.kitCode`,
//! `goods.sector`, `resolution`, `area.*`) and the same scope (the distributions the caller
//! may read as rows, so no figures are suppressed, as in GraphQL). One column per grouped
//! dimension, then the sums. Pages are read through the storage keyset (the row key).

use std::collections::BTreeSet;

use camptrack_domain::codes::{DistributionStatus, Sector};
use camptrack_geo::Resolution;

use super::super::format::{Column, Val};
use super::super::params::Params;
use super::super::{Batch, Cx, Dataset};
use crate::storage::Result;
use crate::storage::area::ResolvedArea;
use crate::storage::insight::Keyset;
use crate::storage::insight::activities::{self, ActivityRow, Dimension, RollUp};

/// `activities`.
#[derive(Debug)]
pub struct Activities;

/// The roll-up asked for.
#[derive(Debug)]
pub struct Filter {
    area: Option<ResolvedArea>,
    roll_up: RollUp,
}

/// A `groupBy` value, named as GraphQL's `ActivityDimension`.
fn dimension(code: &str) -> Option<Dimension> {
    Some(match code {
        "IMPLEMENTING_ORGANISATION" => Dimension::ImplementingOrganisation,
        "FUNDING_ORGANISATION" => Dimension::FundingOrganisation,
        "PROJECT" => Dimension::Project,
        "SECTOR" => Dimension::Sector,
        "GOODS" => Dimension::Goods,
        "MODALITY" => Dimension::Modality,
        "STATUS" => Dimension::Status,
        "ADMIN1" => Dimension::Admin1,
        "ADMIN2" => Dimension::Admin2,
        "CELL" => Dimension::Cell,
        "MONTH" => Dimension::Month,
        _ => return None,
    })
}

/// The column of a grouped dimension.
fn dimension_column(dim: Dimension) -> Column<ActivityRow> {
    type R = ActivityRow;
    match dim {
        Dimension::ImplementingOrganisation => Column::new(
            "implementingOrganisationCode",
            "Implementing organisation",
            "#org+impl",
            |r: &R| Val::text(r.group.implementing.as_ref().map(|o| &o.1)),
        ),
        Dimension::FundingOrganisation => Column::new(
            "fundingOrganisationCode",
            "Funding organisation",
            "#org+funder",
            |r: &R| Val::text(r.group.funding.as_ref().map(|o| &o.1)),
        ),
        Dimension::Project => Column::new(
            "projectCode",
            "Project code",
            "#activity+project+code",
            |r: &R| Val::text(r.group.project.as_ref()),
        ),
        Dimension::Sector => Column::new("sector", "Sector", "#sector+cluster+code", |r: &R| {
            Val::text(r.group.sector)
        }),
        Dimension::Goods => Column::new("goodsCode", "Item or kit code", "#item+code", |r: &R| {
            Val::text(r.group.goods.as_ref())
        }),
        Dimension::Modality => Column::new("modality", "Activity", "#activity+name", |r: &R| {
            Val::text(r.group.modality)
        }),
        Dimension::Status => Column::new("status", "Status", "#status", |r: &R| {
            Val::text(r.group.status)
        }),
        Dimension::Admin1 => Column::new("admin1Pcode", "Admin1 p-code", "#adm1+code", |r: &R| {
            Val::text(r.group.admin1.as_ref())
        }),
        Dimension::Admin2 => Column::new("admin2Pcode", "Admin2 p-code", "#adm2+code", |r: &R| {
            Val::text(r.group.admin2.as_ref())
        }),
        Dimension::Cell => Column::new("cell", "H3 cell", "#geo+h3", |r: &R| {
            Val::text(r.group.cell)
        }),
        Dimension::Month => Column::new("month", "Month", "#date+month", |r: &R| {
            Val::text(r.group.month)
        }),
    }
}

impl Dataset for Activities {
    type Row = ActivityRow;
    type Filter = Filter;
    type Cursor = String;
    const NAME: &'static str = "activities";
    const GEOJSON: bool = false;

    async fn filter(params: &mut Params, cx: &Cx) -> Result<Self::Filter> {
        let area = params.area(&cx.db).await?;
        let from = params.date("from");
        let to = params.date("to");
        let mut by = BTreeSet::new();
        for code in params.list("groupBy") {
            match dimension(&code.to_ascii_uppercase()) {
                Some(d) => {
                    by.insert(d);
                }
                None => params.refuse(
                    "groupBy",
                    format!(
                        "`{code}` is not a dimension: IMPLEMENTING_ORGANISATION, FUNDING_ORGANISATION, PROJECT, SECTOR, GOODS, MODALITY, STATUS, ADMIN1, ADMIN2, CELL, MONTH"
                    ),
                ),
            }
        }
        let statuses = params.codes::<DistributionStatus>("statuses");
        let goods = crate::storage::insight::GoodsFilter {
            item_code: params.one("goods.itemCode").map(|c| c.to_ascii_uppercase()),
            kit_code: params.one("goods.kitCode").map(|c| c.to_ascii_uppercase()),
            sector: params.codes::<Sector>("goods.sector").into_iter().next(),
        };
        let resolution = params
            .parsed::<u8>("resolution", "an H3 resolution, 0 to 15")
            .and_then(|r| Resolution::new(r).ok());
        if by.contains(&Dimension::Cell) && resolution.is_none() {
            params.refuse("resolution", "must be an H3 resolution, 0 to 15");
        }
        let period = match (from, to) {
            (Some(from), Some(to)) => match camptrack_domain::insight::period(from, to) {
                Ok(p) => Some(p),
                Err(e) => {
                    for f in e.0 {
                        params.refuse(&f.path, f.reason);
                    }
                    None
                }
            },
            _ => {
                if from.is_none() {
                    params.refuse("from", "give the first day (YYYY-MM-DD)");
                }
                if to.is_none() {
                    params.refuse("to", "give the last day (YYYY-MM-DD)");
                }
                None
            }
        };
        // A refused period is reported by `Params::finish`; this one is never read.
        let period = period.unwrap_or((chrono::NaiveDate::MIN, chrono::NaiveDate::MIN));
        let resolution = resolution.filter(|_| by.contains(&Dimension::Cell));
        Ok(Filter {
            area,
            roll_up: RollUp {
                period,
                by,
                resolution,
                statuses,
                goods,
            },
        })
    }

    fn columns(filter: &Self::Filter) -> Vec<Column<Self::Row>> {
        type R = ActivityRow;
        let mut c: Vec<Column<R>> = filter
            .roll_up
            .by
            .iter()
            .map(|d| dimension_column(*d))
            .collect();
        c.extend([
            Column::new(
                "distributions",
                "Distributions",
                "#activity+count",
                |r: &R| Val::Int(r.measures.distributions),
            ),
            Column::new("sites", "Sites", "#loc+count", |r: &R| {
                Val::Int(r.measures.sites)
            }),
            Column::new(
                "householdsReached",
                "Households reached",
                "#reached+hh",
                |r: &R| Val::Int(r.measures.households),
            ),
            Column::new(
                "individualsReached",
                "Individuals reached",
                "#reached+ind",
                |r: &R| Val::Int(r.measures.individuals),
            ),
            Column::new(
                "quantityDistributed",
                "Quantity distributed",
                "#value",
                |r: &R| Val::int(r.measures.quantity),
            ),
            Column::new("firstDay", "First day", "#date+start", |r: &R| {
                Val::text(r.measures.first_day)
            }),
            Column::new("lastDay", "Last day", "#date+end", |r: &R| {
                Val::text(r.measures.last_day)
            }),
        ]);
        c
    }

    async fn page(
        cx: &Cx,
        f: &Self::Filter,
        after: Option<String>,
    ) -> Result<Batch<Self::Row, String>> {
        let keyset = Keyset {
            first: usize::try_from(cx.page_rows).unwrap_or(usize::MAX),
            after,
        };
        let (page, _) =
            activities::activities(&cx.db, cx.scope(), f.area.as_ref(), &f.roll_up, &keyset)
                .await?;
        let next = page
            .items
            .last()
            .map(|r| r.key.clone())
            .filter(|_| page.has_next);
        Ok((page.items, next))
    }
}
