//! `assessments`: the raw site assessments the caller may see (all for admins and
//! coordinators, its own organisation's for partners, its area's for enumerators), as the
//! `assessments` list shows them.

use camptrack_domain::codes::ReviewStatus;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::super::format::{self, Band, Column, Geometry, Val};
use super::super::params::Params;
use super::super::{Batch, Cx, Dataset};
use super::lookup;
use crate::storage::Result;
use crate::storage::area::site_id_condition;
use crate::storage::assessments::{self, Assessment, AssessmentFilter};
use crate::storage::sites::Site;

/// The assessments dataset.
#[derive(Debug)]
pub struct Assessments;

/// Its filters.
#[derive(Debug)]
pub struct Filter {
    assessments: AssessmentFilter,
    since: Option<DateTime<Utc>>,
    bands: Vec<Band>,
}

/// One assessment with its site's code and location (when the caller sees the site).
#[derive(Debug)]
pub struct Row {
    a: Assessment,
    site: Option<Site>,
    organisation: Option<String>,
}

fn joined<T: ToString>(v: &[T]) -> Val {
    if v.is_empty() {
        Val::Null
    } else {
        Val::Text(
            v.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" "),
        )
    }
}

impl Dataset for Assessments {
    type Row = Row;
    type Filter = Filter;
    type Cursor = Uuid;
    const NAME: &'static str = "assessments";
    const GEOJSON: bool = true;

    async fn filter(params: &mut Params, cx: &Cx) -> Result<Filter> {
        let in_area = match params.area(&cx.db).await? {
            Some(a) => Some(site_id_condition(&cx.db, &a, assessments::site_id_column()).await?),
            None => None,
        };
        let filter = AssessmentFilter {
            site_id: params.uuid("siteId"),
            round_number: params.parsed("roundNumber", "a round number"),
            assessed_from: params.date("assessedFrom"),
            assessed_to: params.date("assessedTo"),
            organisation_id: lookup::organisation_id(&cx.db, params, "organisationCode").await?,
            review_statuses: params.codes::<ReviewStatus>("reviewStatuses"),
            admin_pcode: params.pcode("adminPcode"),
            in_area,
        };
        Ok(Filter {
            assessments: filter,
            since: params.updated_since(),
            bands: format::default_bands(),
        })
    }

    fn columns(filter: &Filter) -> Vec<Column<Row>> {
        let mut c = vec![
            Column::new("id", "Assessment id", "#meta+id", |r: &Row| {
                Val::text(Some(r.a.id))
            }),
            Column::new("siteId", "Site id", "#loc+id", |r: &Row| {
                Val::text(Some(r.a.site_id))
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
            Column::new("roundNumber", "Round", "#round+code", |r: &Row| {
                Val::Int(r.a.content.round_number.into())
            }),
            Column::new("assessedOn", "Assessed on", "#date+reported", |r: &Row| {
                Val::text(Some(r.a.content.assessed_on))
            }),
            Column::new("organisation", "Organisation", "#org+code", |r: &Row| {
                Val::text(r.organisation.as_ref())
            }),
            Column::new(
                "reviewStatus",
                "Review status",
                "#status+review",
                |r: &Row| Val::text(Some(r.a.review_status)),
            ),
            Column::new(
                "households",
                "IDP households",
                "#affected+idps+hh",
                |r: &Row| Val::Int(r.a.content.figures.households.into()),
            ),
            Column::new(
                "individuals",
                "IDP individuals",
                "#affected+idps+ind",
                |r: &Row| Val::Int(r.a.content.figures.individuals.into()),
            ),
            Column::new(
                "arrivalsLast3Months",
                "Arrivals (3 months)",
                "#affected+idps+arrivals",
                |r: &Row| Val::int(r.a.content.figures.arrivals_3m),
            ),
            Column::new(
                "departuresLast3Months",
                "Departures (3 months)",
                "#affected+idps+departures",
                |r: &Row| Val::int(r.a.content.figures.departures_3m),
            ),
            Column::new(
                "originAdmin1Pcode",
                "Origin admin1 p-code",
                "#adm1+origin+code",
                |r: &Row| Val::text(r.a.content.origin_admin1_pcode.as_ref()),
            ),
            Column::new(
                "displacementReasons",
                "Displacement reasons",
                "#cause+type",
                |r: &Row| joined(&r.a.content.figures.displacement_reasons),
            ),
            Column::new(
                "priorityNeeds",
                "Priority needs",
                "#need+priority",
                |r: &Row| joined(&r.a.content.figures.priority_needs),
            ),
            Column::new("shelterType", "Shelter type", "#shelter+type", |r: &Row| {
                Val::text(r.a.content.shelter_type)
            }),
        ];
        c.extend(format::band_columns(
            &filter.bands,
            "#affected+idps",
            |r: &Row| Some(r.a.content.figures.sadd.as_slice()),
        ));
        c.push(Column::new(
            "sadd",
            "SADD (all bands)",
            "#affected+idps+sadd",
            |r: &Row| format::sadd_text(&r.a.content.figures.sadd),
        ));
        c.push(Column::new(
            "capturedAt",
            "Captured at",
            "#date+captured",
            |r: &Row| Val::Text(r.a.captured_at.to_rfc3339()),
        ));
        c.push(Column::new(
            "receivedAt",
            "Received at",
            "#date+received",
            |r: &Row| Val::Text(r.a.received_at.to_rfc3339()),
        ));
        c.push(Column::new(
            "version",
            "Version",
            "#meta+version",
            |r: &Row| Val::Int(r.a.version.into()),
        ));
        c.push(Column::new(
            "updatedAt",
            "Updated at",
            "#date+updated",
            |r: &Row| Val::Text(r.a.updated_at.to_rfc3339()),
        ));
        c
    }

    fn geometry(row: &Row) -> Geometry {
        row.site
            .as_ref()
            .map_or(Geometry::None, |s| Geometry::Point(s.location))
    }

    async fn page(cx: &Cx, filter: &Filter, after: Option<Uuid>) -> Result<Batch<Row, Uuid>> {
        let page = assessments::list_since(
            &cx.db,
            cx.scope(),
            &filter.assessments,
            filter.since,
            &cx.page(after),
        )
        .await?;
        let next = if page.has_next {
            page.items.last().map(|a| a.id)
        } else {
            None
        };
        let mut sites =
            lookup::sites(&cx.db, cx.scope(), page.items.iter().map(|a| a.site_id)).await?;
        let orgs = lookup::organisation_codes(&cx.db, page.items.iter().map(|a| a.organisation_id))
            .await?;
        let rows = page
            .items
            .into_iter()
            .map(|a| Row {
                site: sites.get(&a.site_id).cloned(),
                organisation: a.organisation_id.and_then(|o| orgs.get(&o).cloned()),
                a,
            })
            .collect();
        sites.clear();
        Ok((rows, next))
    }
}
