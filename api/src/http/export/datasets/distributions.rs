//! `distributions`: the distributions the caller may see (all for admins and coordinators,
//! those its organisation implements for partners, its area's for enumerators), one row per
//! distribution with its lines as text (`CODE:distributed` joined by `; `).

use camptrack_domain::codes::{DistributionModality, DistributionStatus};
use camptrack_domain::stock::Goods;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::super::format::{self, Band, Column, Geometry, Val};
use super::super::params::Params;
use super::super::{Batch, Cx, Dataset};
use super::lookup;
use crate::storage::Result;
use crate::storage::area::site_id_condition;
use crate::storage::distributions::{self, Distribution, DistributionFilter};
use crate::storage::sites::Site;

/// The distributions dataset.
#[derive(Debug)]
pub struct Distributions;

/// Its filters.
#[derive(Debug)]
pub struct Filter {
    distributions: DistributionFilter,
    since: Option<DateTime<Utc>>,
    bands: Vec<Band>,
}

/// One distribution with the codes it names.
#[derive(Debug)]
pub struct Row {
    d: Distribution,
    site: Option<Site>,
    implementer: Option<String>,
    funder: Option<String>,
    lines: String,
}

impl Dataset for Distributions {
    type Row = Row;
    type Filter = Filter;
    type Cursor = Uuid;
    const NAME: &'static str = "distributions";
    const GEOJSON: bool = true;

    async fn filter(params: &mut Params, cx: &Cx) -> Result<Filter> {
        let in_area = match params.area(&cx.db).await? {
            Some(a) => Some(site_id_condition(&cx.db, &a, distributions::site_id_column()).await?),
            None => None,
        };
        let filter = DistributionFilter {
            site_id: params.uuid("siteId"),
            implementing_org_id: lookup::organisation_id(
                &cx.db,
                params,
                "implementingOrganisationCode",
            )
            .await?,
            funding_org_id: lookup::organisation_id(&cx.db, params, "fundingOrganisationCode")
                .await?,
            statuses: params.codes::<DistributionStatus>("statuses"),
            modalities: params.codes::<DistributionModality>("modalities"),
            from: params.date("from"),
            to: params.date("to"),
            admin_pcode: params.pcode("adminPcode"),
            source_warehouse_id: params.uuid("sourceWarehouseId"),
            in_area,
        };
        Ok(Filter {
            distributions: filter,
            since: params.updated_since(),
            bands: format::default_bands(),
        })
    }

    fn columns(filter: &Filter) -> Vec<Column<Row>> {
        let mut c = vec![
            Column::new("id", "Distribution id", "#activity+id", |r: &Row| {
                Val::text(Some(r.d.id))
            }),
            Column::new("siteId", "Site id", "#loc+id", |r: &Row| {
                Val::text(Some(r.d.site_id))
            }),
            Column::new("siteCode", "Site code", "#loc+code", |r: &Row| {
                Val::text(r.site.as_ref().map(|s| &s.code))
            }),
            Column::new("siteName", "Site name", "#loc+name", |r: &Row| {
                Val::text(r.site.as_ref().map(|s| &s.name))
            }),
            Column::new("admin1Pcode", "Admin1 p-code", "#adm1+code", |r: &Row| {
                Val::text(r.site.as_ref().and_then(|s| s.admin1_pcode.as_ref()))
            }),
            Column::new("admin2Pcode", "Admin2 p-code", "#adm2+code", |r: &Row| {
                Val::text(r.site.as_ref().and_then(|s| s.admin2_pcode.as_ref()))
            }),
            Column::new(
                "implementingOrganisation",
                "Implementing organisation",
                "#org+impl",
                |r: &Row| Val::text(r.implementer.as_ref()),
            ),
            Column::new(
                "fundingOrganisation",
                "Funding organisation",
                "#org+funder",
                |r: &Row| Val::text(r.funder.as_ref()),
            ),
            Column::new(
                "projectCode",
                "Project code",
                "#activity+code",
                |r: &Row| Val::text(r.d.project_code.as_ref()),
            ),
            Column::new("startsOn", "Starts on", "#date+start", |r: &Row| {
                Val::text(Some(r.d.starts_on))
            }),
            Column::new("endsOn", "Ends on", "#date+end", |r: &Row| {
                Val::text(r.d.ends_on)
            }),
            Column::new("modality", "Modality", "#modality", |r: &Row| {
                Val::text(Some(r.d.modality))
            }),
            Column::new("status", "Status", "#status", |r: &Row| {
                Val::text(Some(r.d.status))
            }),
            Column::new(
                "households",
                "Households reached",
                "#reached+hh",
                |r: &Row| Val::Int(r.d.reached.households.into()),
            ),
            Column::new(
                "individuals",
                "Individuals reached",
                "#reached+ind",
                |r: &Row| Val::Int(r.d.reached.individuals.into()),
            ),
            Column::new("noShows", "No-shows", "#reached+hh+noshow", |r: &Row| {
                Val::Int(r.d.reached.no_shows.into())
            }),
            Column::new(
                "items",
                "Items (code:quantity)",
                "#item+code+value",
                |r: &Row| {
                    if r.lines.is_empty() {
                        Val::Null
                    } else {
                        Val::Text(r.lines.clone())
                    }
                },
            ),
        ];
        c.extend(format::band_columns(
            &filter.bands,
            "#reached",
            |r: &Row| Some(r.d.reached.sadd.as_slice()),
        ));
        c.push(Column::new(
            "sadd",
            "SADD (all bands)",
            "#reached+sadd",
            |r: &Row| format::sadd_text(&r.d.reached.sadd),
        ));
        c.push(Column::new(
            "version",
            "Version",
            "#meta+version",
            |r: &Row| Val::Int(r.d.version.into()),
        ));
        c.push(Column::new(
            "updatedAt",
            "Updated at",
            "#date+updated",
            |r: &Row| Val::Text(r.d.updated_at.to_rfc3339()),
        ));
        c
    }

    fn geometry(row: &Row) -> Geometry {
        row.site
            .as_ref()
            .map_or(Geometry::None, |s| Geometry::Point(s.location))
    }

    async fn page(cx: &Cx, filter: &Filter, after: Option<Uuid>) -> Result<Batch<Row, Uuid>> {
        let page = distributions::list_since(
            &cx.db,
            cx.scope(),
            &filter.distributions,
            filter.since,
            &cx.page(after),
        )
        .await?;
        let next = if page.has_next {
            page.items.last().map(|d| d.id)
        } else {
            None
        };
        let items = &page.items;
        let sites = lookup::sites(&cx.db, cx.scope(), items.iter().map(|d| d.site_id)).await?;
        let orgs = lookup::organisation_codes(
            &cx.db,
            items
                .iter()
                .flat_map(|d| [Some(d.implementing_org_id), d.funding_org_id]),
        )
        .await?;
        let mut item_ids = Vec::new();
        let mut kit_ids = Vec::new();
        for line in items.iter().flat_map(|d| &d.lines) {
            match line.goods {
                Goods::Item(id) => item_ids.push(id),
                Goods::Kit(id) => kit_ids.push(id),
            }
        }
        let item_codes = lookup::items(&cx.db, item_ids).await?;
        let kit_codes = lookup::kit_codes(&cx.db, kit_ids).await?;
        let rows = page
            .items
            .into_iter()
            .map(|d| {
                let lines = d
                    .lines
                    .iter()
                    .map(|l| {
                        let code = match l.goods {
                            Goods::Item(id) => item_codes.get(&id).map(|i| i.code.clone()),
                            Goods::Kit(id) => kit_codes.get(&id).cloned(),
                        };
                        format!("{}:{}", code.unwrap_or_default(), l.distributed)
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
                Row {
                    site: sites.get(&d.site_id).cloned(),
                    implementer: orgs.get(&d.implementing_org_id).cloned(),
                    funder: d.funding_org_id.and_then(|o| orgs.get(&o).cloned()),
                    lines,
                    d,
                }
            })
            .collect();
        Ok((rows, next))
    }
}
