//! `sites`: the registered sites the caller may see, with their current figures (suppressed
//! for partners below the threshold, as in the `sites` list).

use camptrack_domain::codes::{OperationalStatus, SiteType};
use camptrack_geo::Coordinates;
use chrono::{DateTime, Utc};
use sea_orm::Condition;
use uuid::Uuid;

use super::super::format::{self, Band, Column, Geometry, Val};
use super::super::params::Params;
use super::super::{Batch, Cx, Dataset};
use super::lookup;
use crate::storage::Result;
use crate::storage::area::site_id_condition;
use crate::storage::sites::{self, Site, SiteFilter};

/// The sites dataset.
#[derive(Debug)]
pub struct Sites;

/// Its filters.
#[derive(Debug)]
pub struct Filter {
    sites: SiteFilter,
    in_area: Option<Condition>,
    near: Option<Coordinates>,
    since: Option<DateTime<Utc>>,
    bands: Vec<Band>,
}

/// One site, with whether the caller sees its figures.
#[derive(Debug)]
pub struct Row {
    site: Site,
    shown: bool,
    manager: Option<String>,
    distance_m: Option<f64>,
}

impl Row {
    fn figure(&self, v: i64) -> Val {
        if self.shown { Val::Int(v) } else { Val::Null }
    }
}

impl Dataset for Sites {
    type Row = Row;
    type Filter = Filter;
    type Cursor = Uuid;
    const NAME: &'static str = "sites";
    const GEOJSON: bool = true;

    async fn filter(params: &mut Params, cx: &Cx) -> Result<Filter> {
        let area = params.area(&cx.db).await?;
        let in_area = match &area {
            Some(a) => Some(site_id_condition(&cx.db, a, sites::site_id_column()).await?),
            None => None,
        };
        let filter = SiteFilter {
            site_types: params.codes::<SiteType>("siteTypes"),
            statuses: params.codes::<OperationalStatus>("operationalStatuses"),
            admin_pcode: params.pcode("adminPcode"),
            management_org_id: lookup::organisation_id(
                &cx.db,
                params,
                "managementOrganisationCode",
            )
            .await?,
        };
        Ok(Filter {
            sites: filter,
            in_area,
            near: area.as_ref().and_then(|a| a.near_center()),
            since: params.updated_since(),
            bands: format::default_bands(),
        })
    }

    fn columns(filter: &Filter) -> Vec<Column<Row>> {
        let mut c = vec![
            Column::new("id", "Site id", "#loc+id", |r: &Row| {
                Val::text(Some(r.site.id))
            }),
            Column::new("code", "Site code", "#loc+code", |r: &Row| {
                Val::Text(r.site.code.clone())
            }),
            Column::new("name", "Site name", "#loc+name", |r: &Row| {
                Val::Text(r.site.name.clone())
            }),
            Column::new("siteType", "Site type", "#loc+type", |r: &Row| {
                Val::text(Some(r.site.site_type))
            }),
            Column::new(
                "operationalStatus",
                "Operational status",
                "#status+operational",
                |r: &Row| Val::text(Some(r.site.operational_status)),
            ),
            Column::new(
                "formalStatus",
                "Formal status",
                "#status+formal",
                |r: &Row| Val::text(Some(r.site.formal_status)),
            ),
            Column::new("lat", "Latitude", "#geo+lat", |r: &Row| {
                Val::Float(r.site.location.lat())
            }),
            Column::new("lon", "Longitude", "#geo+lon", |r: &Row| {
                Val::Float(r.site.location.lon())
            }),
            Column::new("cell", "H3 cell (res 15)", "#geo+h3", |r: &Row| {
                Val::text(Some(r.site.cell))
            }),
            Column::new("admin0Pcode", "Country", "#country+code", |r: &Row| {
                Val::Text(r.site.admin0_pcode.clone())
            }),
            Column::new("admin1Pcode", "Admin1 p-code", "#adm1+code", |r: &Row| {
                Val::text(r.site.admin1_pcode.as_ref())
            }),
            Column::new("admin2Pcode", "Admin2 p-code", "#adm2+code", |r: &Row| {
                Val::text(r.site.admin2_pcode.as_ref())
            }),
            Column::new("admin3Pcode", "Admin3 p-code", "#adm3+code", |r: &Row| {
                Val::text(r.site.admin3_pcode.as_ref())
            }),
            Column::new(
                "managementOrganisation",
                "Site management agency",
                "#org+code+management",
                |r: &Row| Val::text(r.manager.as_ref()),
            ),
            Column::new(
                "managementType",
                "Management type",
                "#org+type+management",
                |r: &Row| Val::text(r.site.management_type),
            ),
            Column::new(
                "capacity",
                "Capacity (individuals)",
                "#capacity+ind",
                |r: &Row| Val::int(r.site.capacity),
            ),
            Column::new("areaM2", "Area (m2)", "#loc+area_m2", |r: &Row| {
                r.site.area_m2.map_or(Val::Null, Val::Float)
            }),
            Column::new("openedOn", "Opened on", "#date+start", |r: &Row| {
                Val::text(r.site.opened_on)
            }),
            Column::new("closedOn", "Closed on", "#date+end", |r: &Row| {
                Val::text(r.site.closed_on)
            }),
            Column::new(
                "suppressed",
                "Figures suppressed",
                "#meta+suppressed",
                |r: &Row| Val::Bool(!r.shown),
            ),
            Column::new(
                "households",
                "IDP households",
                "#affected+idps+hh",
                |r: &Row| r.figure(r.site.current.households),
            ),
            Column::new(
                "individuals",
                "IDP individuals",
                "#affected+idps+ind",
                |r: &Row| r.figure(r.site.current.individuals),
            ),
            Column::new("assessedOn", "Assessed on", "#date+reported", |r: &Row| {
                Val::text(r.site.current.assessed_on)
            }),
        ];
        c.extend(format::band_columns(
            &filter.bands,
            "#affected+idps",
            |r: &Row| r.shown.then_some(r.site.current.sadd.as_slice()),
        ));
        c.push(Column::new(
            "sadd",
            "SADD (all bands)",
            "#affected+idps+sadd",
            |r: &Row| {
                if r.shown {
                    format::sadd_text(&r.site.current.sadd)
                } else {
                    Val::Null
                }
            },
        ));
        c.push(Column::new(
            "updatedAt",
            "Updated at",
            "#date+updated",
            |r: &Row| Val::Text(r.site.updated_at.to_rfc3339()),
        ));
        if filter.near.is_some() {
            c.push(Column::new(
                "distanceMeters",
                "Distance (m)",
                "#geo+distance",
                |r: &Row| r.distance_m.map_or(Val::Null, Val::Float),
            ));
        }
        c
    }

    fn geometry(row: &Row) -> Geometry {
        Geometry::Point(row.site.location)
    }

    async fn page(cx: &Cx, filter: &Filter, after: Option<Uuid>) -> Result<Batch<Row, Uuid>> {
        let page = sites::list_since(
            &cx.db,
            cx.scope(),
            &filter.sites,
            filter.in_area.clone(),
            filter.since,
            &cx.page(after),
        )
        .await?;
        let next = if page.has_next {
            page.items.last().map(|s| s.id)
        } else {
            None
        };
        let managers =
            lookup::organisation_codes(&cx.db, page.items.iter().map(|s| s.management_org_id))
                .await?;
        let scope = cx.scope();
        let rows = page
            .items
            .into_iter()
            .map(|site| Row {
                shown: scope.sees_site_figures(site.current.households, cx.min_households),
                manager: site
                    .management_org_id
                    .and_then(|id| managers.get(&id).cloned()),
                distance_m: filter.near.map(|c| c.distance_m(&site.location)),
                site,
            })
            .collect();
        Ok((rows, next))
    }
}
