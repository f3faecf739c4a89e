//! Sites: queries, mutations and their GraphQL types.

use async_graphql::{Context, InputObject, Object, SimpleObject};
use camptrack_domain::access::Write;
use camptrack_domain::error::Errors;
use camptrack_domain::pcode::PCode;
use camptrack_domain::site::{SiteCode, SiteShape, check_name};
use camptrack_geo::Coordinates;
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::area::AreaInput;
use super::assessments::{AssessmentFilterInput, AssessmentNode, SaddRowOutput};
use super::connection::{Conn, connection};
use super::context::{self, list_cost};
use super::distributions::{DistributionFilterInput, DistributionNode, distributions_page};
use super::enums::{FormalStatus, ManagementType, OperationalStatus, SiteType};
use super::error::{self, OrGql};
use super::organisations::OrganisationNode;
use super::scalars::{H3Cell, Location};
use crate::storage::assessments;
use crate::storage::organisations;
use crate::storage::sites::{self, Closure, Site, SiteDraft, SiteFilter, SitePatch};

/// A camp or camp-like site.
#[derive(Debug, Clone)]
pub struct SiteNode {
    /// The site.
    pub site: Site,
    /// Its distance from the centre of a `near` area.
    pub distance_m: Option<f64>,
}

impl From<Site> for SiteNode {
    fn from(site: Site) -> Self {
        Self {
            site,
            distance_m: None,
        }
    }
}

/// A site's current figures, from its latest counted assessment. For partners, figures of
/// sites below the configured number of households are suppressed (null, `suppressed`).
#[derive(Debug, SimpleObject)]
pub struct SiteFigures {
    /// Whether the figures are withheld to protect a small population.
    pub suppressed: bool,
    /// Households.
    pub households: Option<i32>,
    /// Individuals.
    pub individuals: Option<i32>,
    /// Sex- and age-disaggregated counts.
    pub sadd: Option<Vec<SaddRowOutput>>,
    /// The visit date of the assessment they come from.
    pub assessed_on: Option<NaiveDate>,
    /// The assessment they come from.
    pub assessment_id: Option<Uuid>,
}

#[Object(name = "Site")]
impl SiteNode {
    /// Server id.
    async fn id(&self) -> Uuid {
        self.site.id
    }
    /// Unique code, e.g. `CCCM-SO1101-0001`.
    async fn code(&self) -> &str {
        &self.site.code
    }
    /// Name.
    async fn name(&self) -> &str {
        &self.site.name
    }
    /// CCCM site type.
    async fn site_type(&self) -> SiteType {
        self.site.site_type.into()
    }
    /// Operational status.
    async fn operational_status(&self) -> OperationalStatus {
        self.site.operational_status.into()
    }
    /// Formal status.
    async fn formal_status(&self) -> FormalStatus {
        self.site.formal_status.into()
    }
    /// Registered point; it decides which areas the site is in.
    async fn location(&self) -> Location {
        self.site.location.into()
    }
    /// Resolution-15 H3 cell of the point.
    async fn cell(&self) -> H3Cell {
        H3Cell(self.site.cell)
    }
    /// Country p-code.
    async fn admin0_pcode(&self) -> &str {
        &self.site.admin0_pcode
    }
    /// Admin1 p-code.
    async fn admin1_pcode(&self) -> Option<&str> {
        self.site.admin1_pcode.as_deref()
    }
    /// Admin2 p-code.
    async fn admin2_pcode(&self) -> Option<&str> {
        self.site.admin2_pcode.as_deref()
    }
    /// Admin3 p-code.
    async fn admin3_pcode(&self) -> Option<&str> {
        self.site.admin3_pcode.as_deref()
    }
    /// Site management agency.
    async fn management_organisation(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<OrganisationNode>> {
        match self.site.management_org_id {
            Some(id) => organisations::get(context::db(ctx), id)
                .await
                .gql()
                .map(|o| Some(OrganisationNode(o))),
            None => Ok(None),
        }
    }
    /// Kind of site management.
    async fn management_type(&self) -> Option<ManagementType> {
        self.site.management_type.map(Into::into)
    }
    /// Planned capacity (individuals).
    async fn capacity(&self) -> Option<i32> {
        self.site.capacity.and_then(|c| i32::try_from(c).ok())
    }
    /// Area in square metres.
    async fn area_m2(&self) -> Option<f64> {
        self.site.area_m2
    }
    /// Opening date.
    async fn opened_on(&self) -> Option<NaiveDate> {
        self.site.opened_on
    }
    /// Closing date.
    async fn closed_on(&self) -> Option<NaiveDate> {
        self.site.closed_on
    }
    /// Current figures from the latest counted assessment.
    async fn current(&self, ctx: &Context<'_>) -> async_graphql::Result<SiteFigures> {
        let scope = context::scope(ctx)?;
        let c = &self.site.current;
        let shown =
            scope.sees_site_figures(c.households, context::policy(ctx).min_households_shown);
        let count = |v: i64| i32::try_from(v).ok();
        Ok(SiteFigures {
            suppressed: !shown,
            households: shown.then(|| count(c.households)).flatten(),
            individuals: shown.then(|| count(c.individuals)).flatten(),
            sadd: shown.then(|| c.sadd.iter().map(SaddRowOutput::from).collect()),
            assessed_on: c.assessed_on,
            assessment_id: if scope.caller().role.reads_everything() {
                c.assessment_id
            } else {
                None
            },
        })
    }
    /// The site's assessments the caller may see.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn assessments(
        &self,
        ctx: &Context<'_>,
        filter: Option<AssessmentFilterInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<AssessmentNode>> {
        let scope = context::scope(ctx)?;
        let page = context::page_request(ctx, first, after.as_deref())?;
        let mut filter = match filter {
            Some(f) => f.resolve(ctx).await?,
            None => assessments::AssessmentFilter::default(),
        };
        filter.site_id = Some(self.site.id);
        let items = assessments::list(context::db(ctx), scope, &filter, &page)
            .await
            .gql()?;
        Ok(connection(
            items,
            page.after.is_some(),
            |a| a.id.to_string(),
            AssessmentNode,
        ))
    }
    /// Great-circle distance in metres from the centre of the `near` area the list was
    /// asked for; null otherwise.
    async fn distance_meters(&self) -> Option<f64> {
        self.distance_m
    }
    /// The site's distributions the caller may see.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn distributions(
        &self,
        ctx: &Context<'_>,
        filter: Option<DistributionFilterInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<DistributionNode>> {
        let mut filter = filter.unwrap_or_default().resolve(ctx).await?;
        filter.site_id = Some(self.site.id);
        distributions_page(ctx, filter, first, after).await
    }
    /// Version for optimistic concurrency (site fields only).
    async fn version(&self) -> i32 {
        self.site.version
    }
    /// When created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.site.created_at
    }
    /// When last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.site.updated_at
    }
}

/// A site's registrable fields.
#[derive(Debug, InputObject)]
pub struct SiteInput {
    /// Unique code, e.g. `CCCM-SO1101-0001`.
    pub code: String,
    /// Name.
    pub name: String,
    /// CCCM site type.
    pub site_type: SiteType,
    /// Formal status.
    pub formal_status: FormalStatus,
    /// Latitude in degrees.
    pub lat: f64,
    /// Longitude in degrees.
    pub lon: f64,
    /// Country p-code (ISO3), e.g. `NGA`.
    pub admin0_pcode: String,
    /// Admin1 p-code.
    pub admin1_pcode: Option<String>,
    /// Admin2 p-code.
    pub admin2_pcode: Option<String>,
    /// Admin3 p-code.
    pub admin3_pcode: Option<String>,
    /// Site management agency's code.
    pub management_organisation_code: Option<String>,
    /// Kind of site management.
    pub management_type: Option<ManagementType>,
    /// Planned capacity (individuals).
    pub capacity: Option<i32>,
    /// Area in square metres.
    pub area_m2: Option<f64>,
    /// Opening date.
    pub opened_on: Option<NaiveDate>,
}

impl SiteInput {
    async fn parse(self, ctx: &Context<'_>) -> async_graphql::Result<SiteDraft> {
        let mut errors = Errors::default();
        let code = errors.take("code", SiteCode::parse("", &self.code));
        check_name(&mut errors, "name", &self.name, 200);
        let location = match Coordinates::new(self.lat, self.lon) {
            Ok(c) => Some(c),
            Err(e) => {
                errors.add(e.field(), e.to_string());
                None
            }
        };
        let mut pcode = |path: &str, raw: &Option<String>| {
            raw.as_ref()
                .and_then(|p| errors.take(path, PCode::parse("", p)))
                .map(|p| p.to_string())
        };
        let admin0 = pcode("admin0Pcode", &Some(self.admin0_pcode.clone()));
        let admin1 = pcode("admin1Pcode", &self.admin1_pcode);
        let admin2 = pcode("admin2Pcode", &self.admin2_pcode);
        let admin3 = pcode("admin3Pcode", &self.admin3_pcode);
        SiteShape {
            capacity: self.capacity.map(i64::from),
            area_m2: self.area_m2,
            opened_on: self.opened_on,
            closed_on: None,
        }
        .check(&mut errors);
        let management_org_id = match &self.management_organisation_code {
            Some(code) => match organisations::get_by_code(
                context::db(ctx),
                &code.trim().to_ascii_uppercase(),
            )
            .await
            {
                Ok(org) => Some(org.id),
                Err(crate::storage::StorageError::NotFound { .. }) => {
                    errors.add(
                        "managementOrganisationCode",
                        format!("no organisation {code}"),
                    );
                    None
                }
                Err(e) => return Err(error::storage(e)),
            },
            None => None,
        };
        errors.finish(()).gql()?;
        let (Some(code), Some(location), Some(admin0)) = (code, location, admin0) else {
            unreachable!("errors were recorded for every missing value");
        };
        Ok(SiteDraft {
            code,
            name: self.name.trim().to_owned(),
            site_type: self.site_type.into(),
            formal_status: self.formal_status.into(),
            location,
            admin0_pcode: admin0,
            admin1_pcode: admin1,
            admin2_pcode: admin2,
            admin3_pcode: admin3,
            management_org_id,
            management_type: self.management_type.map(Into::into),
            capacity: self.capacity.map(i64::from),
            area_m2: self.area_m2,
            opened_on: self.opened_on,
        })
    }
}

/// Filters for `sites`.
#[derive(Debug, InputObject, Default)]
pub struct SiteFilterInput {
    /// Only these site types.
    #[graphql(default)]
    pub site_types: Vec<SiteType>,
    /// Only these operational statuses.
    #[graphql(default)]
    pub operational_statuses: Vec<OperationalStatus>,
    /// Only sites with this p-code at any admin level.
    pub admin_pcode: Option<String>,
    /// Only sites managed by this organisation (code).
    pub management_organisation_code: Option<String>,
}

/// The ways a site stops operating.
#[derive(Debug, async_graphql::Enum, Clone, Copy, PartialEq, Eq)]
pub enum SiteClosureStatus {
    /// Closed.
    Closed,
    /// Its population moved to another site.
    Relocated,
    /// Merged into another site.
    Merged,
}

/// A cursor of an area list: the id, preceded by the distance in millimetres for `near`.
fn area_cursor(id: Uuid, distance_m: Option<f64>) -> String {
    match distance_m {
        Some(d) => format!("{}:{id}", (d * 1000.0).round()),
        None => id.to_string(),
    }
}

fn parse_area_cursor(cursor: &str) -> async_graphql::Result<sites::AreaCursor> {
    let bad = || {
        error::invalid(&camptrack_domain::Invalid::one(
            "after",
            format!("`{cursor}` is not a cursor from this list"),
        ))
    };
    match cursor.split_once(':') {
        Some((mm, id)) => Ok(sites::AreaCursor {
            distance_mm: Some(mm.parse().map_err(|_| bad())?),
            id: Uuid::parse_str(id).map_err(|_| bad())?,
        }),
        None => Ok(sites::AreaCursor {
            distance_mm: None,
            id: Uuid::parse_str(cursor).map_err(|_| bad())?,
        }),
    }
}

/// Site queries.
#[derive(Debug, Default)]
pub struct SiteQuery;

#[Object]
impl SiteQuery {
    /// Sites the caller may see, in creation order; within `area` when given, and ordered
    /// by distance (with `distanceMeters`) when the area is `near` a point.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn sites(
        &self,
        ctx: &Context<'_>,
        area: Option<AreaInput>,
        filter: Option<SiteFilterInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<SiteNode>> {
        let scope = context::scope(ctx)?;
        let in_area = area.is_some();
        let page =
            context::page_request(ctx, first, if in_area { None } else { after.as_deref() })?;
        let db = context::db(ctx);
        let f = filter.unwrap_or_default();
        let management_org_id = match &f.management_organisation_code {
            Some(code) => Some(
                organisations::get_by_code(db, &code.to_ascii_uppercase())
                    .await
                    .gql()?
                    .id,
            ),
            None => None,
        };
        let filter = SiteFilter {
            site_types: f.site_types.into_iter().map(Into::into).collect(),
            statuses: f.operational_statuses.into_iter().map(Into::into).collect(),
            admin_pcode: f.admin_pcode.map(|p| p.trim().to_ascii_uppercase()),
            management_org_id,
        };
        if let Some(area) = area {
            let area = super::area::resolve(ctx, area).await?;
            let cursor = after.as_deref().map(parse_area_cursor).transpose()?;
            let items = sites::list_in_area(db, scope, &area, &filter, &page, cursor)
                .await
                .gql()?;
            return Ok(connection(
                items,
                after.is_some(),
                |(s, d)| area_cursor(s.id, *d),
                |(site, distance_m)| SiteNode { site, distance_m },
            ));
        }
        let items = sites::list(db, scope, &filter, &page).await.gql()?;
        Ok(connection(
            items,
            page.after.is_some(),
            |s| s.id.to_string(),
            SiteNode::from,
        ))
    }

    /// One site by id or by code.
    async fn site(
        &self,
        ctx: &Context<'_>,
        id: Option<Uuid>,
        code: Option<String>,
    ) -> async_graphql::Result<SiteNode> {
        let scope = context::scope(ctx)?;
        let db = context::db(ctx);
        match (id, code) {
            (Some(id), None) => sites::get(db, scope, id).await,
            (None, Some(code)) => sites::get_by_code(db, scope, code.trim()).await,
            _ => {
                return Err(error::invalid(&camptrack_domain::Invalid::one(
                    "id",
                    "give exactly one of id or code",
                )));
            }
        }
        .gql()
        .map(SiteNode::from)
    }
}

/// Site mutations (coordinators).
#[derive(Debug, Default)]
pub struct SiteMutation;

#[Object]
impl SiteMutation {
    /// Registers a site (open, without figures until its first assessment).
    async fn create_site(
        &self,
        ctx: &Context<'_>,
        input: SiteInput,
    ) -> async_graphql::Result<SiteNode> {
        let scope = context::scope(ctx)?;
        scope.require(Write::Sites).gql()?;
        let draft = input.parse(ctx).await?;
        sites::create(context::db(ctx), Some(scope.caller()), draft)
            .await
            .gql()
            .map(SiteNode::from)
    }

    /// Replaces a site's fields; `version` is the one you last read, a stale one is a
    /// `CONFLICT` carrying the stored site in `extensions.current`.
    async fn update_site(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        version: i32,
        input: SiteInput,
    ) -> async_graphql::Result<SiteNode> {
        let scope = context::scope(ctx)?;
        scope.require(Write::Sites).gql()?;
        let draft = input.parse(ctx).await?;
        let patch = SitePatch {
            draft: Some(draft),
            ..SitePatch::default()
        };
        sites::update(context::db(ctx), scope.caller(), id, version, patch)
            .await
            .gql()
            .map(SiteNode::from)
    }

    /// Closes, relocates or merges a site as of `closedOn`.
    async fn close_site(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        version: i32,
        status: SiteClosureStatus,
        closed_on: NaiveDate,
    ) -> async_graphql::Result<SiteNode> {
        let scope = context::scope(ctx)?;
        scope.require(Write::Sites).gql()?;
        let status = match status {
            SiteClosureStatus::Closed => camptrack_domain::codes::OperationalStatus::Closed,
            SiteClosureStatus::Relocated => camptrack_domain::codes::OperationalStatus::Relocated,
            SiteClosureStatus::Merged => camptrack_domain::codes::OperationalStatus::Merged,
        };
        let patch = SitePatch {
            closure: Some(Closure { status, closed_on }),
            ..SitePatch::default()
        };
        sites::update(context::db(ctx), scope.caller(), id, version, patch)
            .await
            .gql()
            .map(SiteNode::from)
    }

    /// Reopens a closed site.
    async fn reopen_site(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        version: i32,
    ) -> async_graphql::Result<SiteNode> {
        let scope = context::scope(ctx)?;
        scope.require(Write::Sites).gql()?;
        let patch = SitePatch {
            reopen: true,
            ..SitePatch::default()
        };
        sites::update(context::db(ctx), scope.caller(), id, version, patch)
            .await
            .gql()
            .map(SiteNode::from)
    }
}
