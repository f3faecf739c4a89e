//! Coordinator insight: gap queries and the 4W roll-up, for any area, scoped by role.
//! Resolvers check the input, call one storage function in `storage::insight`, and map
//! its page; partners see site and group figures below the configured number of
//! households as `suppressed` (null counts, never zero), like the displacement aggregates.

use std::collections::BTreeSet;

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Enum, InputObject, Object, OutputType, SimpleObject};
use camptrack_domain::Invalid;
use camptrack_domain::insight::{self as rules, LookBack, SpikeTest};
use camptrack_geo::Resolution;
use chrono::NaiveDate;
use uuid::Uuid;

use super::area::{self, AreaInput};
use super::connection::{Conn, connection};
use super::context::{self, list_cost};
use super::enums::{DistributionModality, DistributionStatus, Sector};
use super::error::{self, OrGql};
use super::organisations::OrganisationNode;
use super::scalars::{BigInt, H3Cell};
use super::sites::SiteNode;
use crate::storage::area::ResolvedArea;
use crate::storage::displacement::today;
use crate::storage::insight::activities::{self, Dimension, RollUp};
use crate::storage::insight::gaps::{self, Population};
use crate::storage::insight::needs::{self, Grouping};
use crate::storage::insight::{GoodsFilter, Keyset, coverage, flows};
use crate::storage::page::Page;
use crate::storage::{organisations, sites};

/// Which distributed goods count: any given narrows the others.
#[derive(Debug, Default, InputObject)]
pub struct GoodsInput {
    /// An item, given on its own or inside a kit.
    pub item_code: Option<String>,
    /// A kit.
    pub kit_code: Option<String>,
    /// A sector: `WASH` for goods whose items are all WASH items, `SHELTER_NFI` for the
    /// rest of the catalogue.
    pub sector: Option<Sector>,
}

impl From<Option<GoodsInput>> for GoodsFilter {
    fn from(g: Option<GoodsInput>) -> Self {
        let g = g.unwrap_or_default();
        Self {
            item_code: g.item_code.map(|c| c.trim().to_ascii_uppercase()),
            kit_code: g.kit_code.map(|c| c.trim().to_ascii_uppercase()),
            sector: g.sector.map(Into::into),
        }
    }
}

/// A site's population at the date asked: its latest counted assessment on or before it.
#[derive(Debug, SimpleObject)]
pub struct InsightFigures {
    /// Whether the counts are withheld (partners, below the minimum households shown).
    pub suppressed: bool,
    /// The visit date of the assessment the figures come from.
    pub assessed_on: Option<NaiveDate>,
    /// Households.
    pub households: Option<BigInt>,
    /// Individuals.
    pub individuals: Option<BigInt>,
}

/// Whether the caller sees counts of a group or site of `households`.
fn shown(ctx: &Context<'_>, households: i64) -> async_graphql::Result<bool> {
    Ok(context::scope(ctx)?
        .sees_site_figures(households, context::policy(ctx).min_households_shown))
}

fn figures(
    ctx: &Context<'_>,
    p: Option<Population>,
) -> async_graphql::Result<Option<InsightFigures>> {
    let Some(p) = p else { return Ok(None) };
    let shown = shown(ctx, p.households)?;
    Ok(Some(InsightFigures {
        suppressed: !shown,
        assessed_on: Some(p.assessed_on),
        households: shown.then_some(BigInt(p.households)),
        individuals: shown.then_some(BigInt(p.individuals)),
    }))
}

/// A site with no distribution in the window.
#[derive(Debug, SimpleObject)]
pub struct UndistributedSite {
    /// The site.
    pub site: SiteNode,
    /// Its population at `asOf`; null when never assessed by then.
    pub population: Option<InsightFigures>,
    /// The last day of its last matching distribution on or before `asOf`; null: none ever.
    pub last_distribution_on: Option<NaiveDate>,
}

/// A site not assessed within the window.
#[derive(Debug, SimpleObject)]
pub struct StaleSite {
    /// The site.
    pub site: SiteNode,
    /// Whether it has no counted assessment on or before `asOf` at all.
    pub never_assessed: bool,
    /// Days from its latest counted visit to `asOf`; null when never assessed.
    pub days_since_assessed: Option<i32>,
    /// Its population at `asOf` (from that visit); null when never assessed.
    pub population: Option<InsightFigures>,
}

/// Which rule made the arrivals a spike.
#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "camptrack_domain::insight::SpikeRule")]
pub enum SpikeRule {
    /// The arrivals exceed `threshold`.
    Threshold,
    /// The arrivals exceed `multiple` times the previous counted assessment's arrivals.
    Multiple,
}

/// A site whose latest arrivals figure is a spike.
#[derive(Debug, SimpleObject)]
pub struct ArrivalSpike {
    /// The site.
    pub site: SiteNode,
    /// The rules that fired.
    pub rules: Vec<SpikeRule>,
    /// Its population at the latest counted visit on or before `asOf`.
    pub population: InsightFigures,
    /// Arrivals in the 3 months before that visit (null when suppressed).
    pub arrivals_last_3_months: Option<BigInt>,
    /// The previous counted visit, if any.
    pub previous_assessed_on: Option<NaiveDate>,
    /// Its arrivals (null when unreported or suppressed).
    pub previous_arrivals_last_3_months: Option<BigInt>,
}

/// How needs versus reached are grouped.
#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
pub enum NeedsGrouping {
    /// One row per site.
    Site,
    /// One row per H3 cell at `resolution` (the cell containing each site's point).
    Cell,
    /// One row per admin p-code at `level` (0-3) on the sites.
    Admin,
}

/// Needs versus reached in one site, cell or admin area.
#[derive(Debug, SimpleObject)]
pub struct NeedsReached {
    /// The site (`SITE` grouping).
    pub site: Option<SiteNode>,
    /// The cell (`CELL` grouping).
    pub cell: Option<H3Cell>,
    /// The p-code (`ADMIN` grouping); null groups sites without one at the level.
    pub pcode: Option<String>,
    /// Sites open at `to` in the group.
    pub sites: i32,
    /// Whether the counts are withheld (partners, group below the minimum households).
    pub suppressed: bool,
    /// Displaced households (latest counted assessment on or before `to`).
    pub households: Option<BigInt>,
    /// Households in need of NFIs: the households of sites whose latest counted assessment
    /// on or before `to` ranks `NFI` among its first three priority needs.
    pub households_in_need: Option<BigInt>,
    /// Households reached by `COMPLETED` or `ONGOING` distributions running on any day from
    /// `from` to `to` (as each distribution reports them; every organisation's).
    pub households_reached: Option<BigInt>,
    /// Individuals reached by those distributions.
    pub individuals_reached: Option<BigInt>,
    /// Households in need minus households reached, never below 0.
    pub gap: Option<BigInt>,
}

/// One organisation's reach at a multi-partner site.
#[derive(Debug, SimpleObject)]
pub struct OrganisationReach {
    /// The implementing organisation.
    pub organisation: OrganisationNode,
    /// Its distributions at the site in the period.
    pub distributions: i32,
    /// Whether its counts are withheld (partners, below the minimum households shown).
    pub suppressed: bool,
    /// Households it reports reached.
    pub households: Option<BigInt>,
    /// Individuals it reports reached.
    pub individuals: Option<BigInt>,
}

/// A site reached by more than one organisation in the period.
#[derive(Debug, SimpleObject)]
pub struct MultiPartnerSite {
    /// The site.
    pub site: SiteNode,
    /// Its population at `to`; null when never assessed by then.
    pub population: Option<InsightFigures>,
    /// The organisations, each with its reported reach.
    pub organisations: Vec<OrganisationReach>,
    /// Whether the double-counting figures are withheld (partners, fewer reported
    /// households than the minimum).
    pub suppressed: bool,
    /// Households reached, summed over the organisations.
    pub households_reported: Option<BigInt>,
    /// At most this many households are counted twice: the sum minus the largest
    /// organisation's figure.
    pub households_double_counted_at_most: Option<BigInt>,
    /// At least this many are counted twice: the sum minus the site's households, when
    /// the organisations report more than live there (0 otherwise).
    pub households_double_counted_at_least: Option<BigInt>,
}

/// Households and individuals from one origin admin area in one host admin area.
#[derive(Debug, SimpleObject)]
pub struct DisplacementFlow {
    /// The majority origin p-code at the level; null when not reported.
    pub origin_pcode: Option<String>,
    /// The host p-code at the level (the site's); null when the site has none.
    pub host_pcode: Option<String>,
    /// Sites contributing.
    pub sites: i32,
    /// Whether the counts are withheld (partners, below the minimum households shown).
    pub suppressed: bool,
    /// Households.
    pub households: Option<BigInt>,
    /// Individuals.
    pub individuals: Option<BigInt>,
}

/// What a 4W row may be grouped by.
#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
pub enum ActivityDimension {
    /// Who: the implementing organisation.
    ImplementingOrganisation,
    /// Who: the funding organisation.
    FundingOrganisation,
    /// The project code.
    Project,
    /// What: the sector of each line's goods.
    Sector,
    /// What: each line's item or kit code.
    Goods,
    /// What: the activity, i.e. the modality (in-kind, cash or voucher distribution).
    Modality,
    /// The distribution status.
    Status,
    /// Where: the site's admin1 p-code.
    #[graphql(name = "ADMIN1")]
    Admin1,
    /// Where: the site's admin2 p-code.
    #[graphql(name = "ADMIN2")]
    Admin2,
    /// Where: the H3 cell of the site's point at `resolution`.
    Cell,
    /// When: the month of the first day.
    Month,
}

impl From<ActivityDimension> for Dimension {
    fn from(d: ActivityDimension) -> Self {
        match d {
            ActivityDimension::ImplementingOrganisation => Self::ImplementingOrganisation,
            ActivityDimension::FundingOrganisation => Self::FundingOrganisation,
            ActivityDimension::Project => Self::Project,
            ActivityDimension::Sector => Self::Sector,
            ActivityDimension::Goods => Self::Goods,
            ActivityDimension::Modality => Self::Modality,
            ActivityDimension::Status => Self::Status,
            ActivityDimension::Admin1 => Self::Admin1,
            ActivityDimension::Admin2 => Self::Admin2,
            ActivityDimension::Cell => Self::Cell,
            ActivityDimension::Month => Self::Month,
        }
    }
}

/// Sums of a 4W row or of all rows.
#[derive(Debug, SimpleObject)]
pub struct ActivityMeasures {
    /// Distributions.
    pub distributions: i32,
    /// Distinct sites.
    pub sites: i32,
    /// Households reached (each distribution counted once per row).
    pub households_reached: BigInt,
    /// Individuals reached.
    pub individuals_reached: BigInt,
    /// Units distributed (items or whole kits); only when grouped by `GOODS`.
    pub quantity_distributed: Option<BigInt>,
    /// First day of the earliest distribution.
    pub first_day: Option<NaiveDate>,
    /// Last day of the latest distribution.
    pub last_day: Option<NaiveDate>,
}

impl From<activities::Measures> for ActivityMeasures {
    fn from(m: activities::Measures) -> Self {
        let int = |v: i64| i32::try_from(v).unwrap_or(i32::MAX);
        Self {
            distributions: int(m.distributions),
            sites: int(m.sites),
            households_reached: BigInt(m.households),
            individuals_reached: BigInt(m.individuals),
            quantity_distributed: m.quantity.map(BigInt),
            first_day: m.first_day,
            last_day: m.last_day,
        }
    }
}

/// One 4W row: the grouped values (null for dimensions not grouped by) and the sums.
#[derive(Debug, SimpleObject)]
pub struct Activity {
    /// Implementing organisation code.
    pub implementing_organisation_code: Option<String>,
    /// Funding organisation code.
    pub funding_organisation_code: Option<String>,
    /// Project code.
    pub project_code: Option<String>,
    /// Sector.
    pub sector: Option<Sector>,
    /// Item or kit code.
    pub goods_code: Option<String>,
    /// Modality (the activity).
    pub modality: Option<DistributionModality>,
    /// Status.
    pub status: Option<DistributionStatus>,
    /// Admin1 p-code.
    pub admin1_pcode: Option<String>,
    /// Admin2 p-code.
    pub admin2_pcode: Option<String>,
    /// H3 cell.
    pub cell: Option<H3Cell>,
    /// First day of the month.
    pub month: Option<NaiveDate>,
    /// The sums.
    pub measures: ActivityMeasures,
}

/// The 4W connection's extra fields.
#[derive(Debug, SimpleObject)]
pub struct ActivityTotals {
    /// Rows over all pages.
    pub total_count: Option<i32>,
    /// The totals over every distribution in the roll-up (each counted once).
    pub totals: ActivityMeasures,
}

fn keyset(
    ctx: &Context<'_>,
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<Keyset> {
    let page = context::page_request(ctx, first, None)?;
    Ok(Keyset {
        first: usize::try_from(page.first).unwrap_or(usize::MAX),
        after,
    })
}

async fn resolve(
    ctx: &Context<'_>,
    input: Option<AreaInput>,
) -> async_graphql::Result<Option<ResolvedArea>> {
    match input {
        Some(a) => Ok(Some(area::resolve(ctx, a).await?)),
        None => Ok(None),
    }
}

fn resolution(value: Option<i32>) -> async_graphql::Result<Resolution> {
    value
        .and_then(|r| u8::try_from(r).ok())
        .and_then(|r| Resolution::new(r).ok())
        .ok_or_else(|| {
            error::invalid(&Invalid::one(
                "resolution",
                "must be an H3 resolution, 0 to 15",
            ))
        })
}

fn period(from: NaiveDate, to: NaiveDate) -> async_graphql::Result<(NaiveDate, NaiveDate)> {
    rules::period(from, to).gql()
}

/// Loads the page's sites (in page order) and builds a connection of `node(row, site)`.
async fn with_sites<R, T: OutputType>(
    ctx: &Context<'_>,
    page: Page<R>,
    had_after: bool,
    site_of: impl Fn(&R) -> Uuid,
    node: impl Fn(R, SiteNode) -> async_graphql::Result<T>,
) -> async_graphql::Result<Conn<T>> {
    let ids: Vec<Uuid> = page.items.iter().map(&site_of).collect();
    let mut loaded: std::collections::BTreeMap<Uuid, sites::Site> =
        sites::by_ids(context::db(ctx), context::scope(ctx)?, &ids)
            .await
            .gql()?
            .into_iter()
            .map(|s| (s.id, s))
            .collect();
    let mut items = Vec::with_capacity(page.items.len());
    for row in page.items {
        let id = site_of(&row);
        let site = loaded
            .remove(&id)
            .ok_or_else(|| error::storage(crate::storage::StorageError::not_found("site", id)))?;
        items.push((id, node(row, SiteNode::from(site))?));
    }
    let page = Page {
        items,
        has_next: page.has_next,
        total: page.total,
    };
    Ok(connection(
        page,
        had_after,
        |(id, _)| id.to_string(),
        |(_, n)| n,
    ))
}

/// Coordinator insight queries.
#[derive(Debug, Default)]
pub struct InsightQuery;

#[Object]
impl InsightQuery {
    /// Sites open at `asOf` (today when omitted) in the area with no `COMPLETED` or
    /// `ONGOING` distribution (of the goods, when given) running on any day from `asOf`
    /// minus `days` to `asOf`, with their population at `asOf`. Every organisation's
    /// distributions count. Ordered by site id.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    #[expect(clippy::too_many_arguments, reason = "GraphQL arguments")]
    async fn sites_without_distribution(
        &self,
        ctx: &Context<'_>,
        area: Option<AreaInput>,
        as_of: Option<NaiveDate>,
        days: i32,
        goods: Option<GoodsInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<UndistributedSite>> {
        let scope = context::scope(ctx)?;
        let look = LookBack::new(as_of.unwrap_or_else(today), days.into(), "days").gql()?;
        let keyset = keyset(ctx, first, after)?;
        let area = resolve(ctx, area).await?;
        let page = gaps::undistributed(
            context::db(ctx),
            scope,
            area.as_ref(),
            look,
            &goods.into(),
            &keyset,
        )
        .await
        .gql()?;
        with_sites(
            ctx,
            page,
            keyset.after.is_some(),
            |r| r.site_id,
            |r, site| {
                Ok(UndistributedSite {
                    site,
                    population: figures(ctx, r.population)?,
                    last_distribution_on: r.last_distribution_on,
                })
            },
        )
        .await
    }

    /// Households in need of NFIs versus households reached, per site, H3 cell
    /// (`resolution`) or admin area (`level`), over the sites open at `to`. A site's
    /// households are in need of NFIs when its latest counted assessment on or before `to`
    /// ranks `NFI` among its first three priority needs (assessments are site-level: all
    /// or none of its households). Reached: households reported by `COMPLETED` or
    /// `ONGOING` distributions (of the goods, when given; every organisation's) running on
    /// any day from `from` to `to`. Ordered by site id, cell or p-code.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    #[expect(clippy::too_many_arguments, reason = "GraphQL arguments")]
    async fn needs_vs_reached(
        &self,
        ctx: &Context<'_>,
        area: Option<AreaInput>,
        from: NaiveDate,
        to: NaiveDate,
        group_by: NeedsGrouping,
        resolution: Option<i32>,
        level: Option<i32>,
        goods: Option<GoodsInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<NeedsReached>> {
        let scope = context::scope(ctx)?;
        let span = period(from, to)?;
        let grouping = match group_by {
            NeedsGrouping::Site => Grouping::Site,
            NeedsGrouping::Cell => Grouping::Cell(self::resolution(resolution)?),
            NeedsGrouping::Admin => Grouping::Admin(admin_level(level.ok_or_else(|| {
                error::invalid(&Invalid::one(
                    "level",
                    "give the admin level (0 to 3) to group by",
                ))
            })?)?),
        };
        let keyset = keyset(ctx, first, after)?;
        let area = resolve(ctx, area).await?;
        let page = needs::needs_vs_reached(
            context::db(ctx),
            scope,
            area.as_ref(),
            span,
            grouping,
            &goods.into(),
            &keyset,
        )
        .await
        .gql()?;
        let node =
            |r: needs::NeedsRow, site: Option<SiteNode>| -> async_graphql::Result<NeedsReached> {
                let shown = shown(ctx, r.households)?;
                let count = |v: i64| shown.then_some(BigInt(v));
                Ok(NeedsReached {
                    site,
                    cell: match grouping {
                        Grouping::Cell(_) => r.key.parse::<camptrack_geo::Cell>().ok().map(H3Cell),
                        _ => None,
                    },
                    pcode: match grouping {
                        Grouping::Admin(_) if !r.key.is_empty() => Some(r.key.clone()),
                        _ => None,
                    },
                    sites: i32::try_from(r.sites).unwrap_or(i32::MAX),
                    suppressed: !shown,
                    households: count(r.households),
                    households_in_need: count(r.households_in_need),
                    households_reached: count(r.households_reached),
                    individuals_reached: count(r.individuals_reached),
                    gap: count(r.gap),
                })
            };
        if grouping == Grouping::Site {
            let had_after = keyset.after.is_some();
            return with_sites(
                ctx,
                page,
                had_after,
                |r| r.key.parse().unwrap_or_default(),
                |r, site| node(r, Some(site)),
            )
            .await;
        }
        let page =
            page.try_map(|r| Ok::<_, async_graphql::Error>((r.key.clone(), node(r, None)?)))?;
        Ok(connection(
            page,
            keyset.after.is_some(),
            |(k, _)| k.clone(),
            |(_, n)| n,
        ))
    }

    /// Sites open at `asOf` (today when omitted) in the area whose latest counted
    /// assessment on or before `asOf` is older than `asOf` minus `days`, or which have none
    /// (`neverAssessed`). Ordered by site id.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn stale_sites(
        &self,
        ctx: &Context<'_>,
        area: Option<AreaInput>,
        as_of: Option<NaiveDate>,
        days: i32,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<StaleSite>> {
        let scope = context::scope(ctx)?;
        let look = LookBack::new(as_of.unwrap_or_else(today), days.into(), "days").gql()?;
        let keyset = keyset(ctx, first, after)?;
        let area = resolve(ctx, area).await?;
        let page = gaps::stale(context::db(ctx), scope, area.as_ref(), look, &keyset)
            .await
            .gql()?;
        with_sites(
            ctx,
            page,
            keyset.after.is_some(),
            |r| r.site_id,
            |r, site| {
                Ok(StaleSite {
                    site,
                    never_assessed: r.population.is_none(),
                    days_since_assessed: r.days_since.and_then(|d| i32::try_from(d).ok()),
                    population: figures(ctx, r.population)?,
                })
            },
        )
        .await
    }

    /// Sites open at `asOf` (today when omitted) whose latest counted assessment on or
    /// before it reports arrivals (3 months) above `threshold`, or above `multiple` times
    /// the previous counted assessment's arrivals (give either or both; `rules` says which
    /// fired). Unreported arrivals never fire; a previous figure of 0 makes any arrivals a
    /// `MULTIPLE` spike. Ordered by site id.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    #[expect(clippy::too_many_arguments, reason = "GraphQL arguments")]
    async fn arrival_spikes(
        &self,
        ctx: &Context<'_>,
        area: Option<AreaInput>,
        as_of: Option<NaiveDate>,
        threshold: Option<i32>,
        multiple: Option<f64>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<ArrivalSpike>> {
        let scope = context::scope(ctx)?;
        let test = SpikeTest::new(threshold.map(i64::from), multiple).gql()?;
        let keyset = keyset(ctx, first, after)?;
        let area = resolve(ctx, area).await?;
        let page = gaps::spikes(
            context::db(ctx),
            scope,
            area.as_ref(),
            as_of.unwrap_or_else(today),
            test,
            &keyset,
        )
        .await
        .gql()?;
        with_sites(
            ctx,
            page,
            keyset.after.is_some(),
            |r| r.site_id,
            |r, site| {
                let population = figures(ctx, Some(r.population))?.unwrap_or(InsightFigures {
                    suppressed: true,
                    assessed_on: None,
                    households: None,
                    individuals: None,
                });
                let shown = !population.suppressed;
                Ok(ArrivalSpike {
                    site,
                    rules: r.rules.into_iter().map(Into::into).collect(),
                    population,
                    arrivals_last_3_months: shown.then_some(BigInt(r.arrivals)),
                    previous_assessed_on: r.previous_assessed_on,
                    previous_arrivals_last_3_months: r
                        .previous_arrivals
                        .filter(|_| shown)
                        .map(BigInt),
                })
            },
        )
        .await
    }

    /// Sites in the area where `COMPLETED` or `ONGOING` distributions running on any day
    /// from `from` to `to` come from two or more implementing organisations (a
    /// double-counting risk), naming the organisations with what each reports. camptrack
    /// keeps no household lists, so the overlap is bounded, not known: see
    /// `householdsDoubleCountedAtMost` and `...AtLeast`. Ordered by site id.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn multi_partner_coverage(
        &self,
        ctx: &Context<'_>,
        area: Option<AreaInput>,
        from: NaiveDate,
        to: NaiveDate,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<MultiPartnerSite>> {
        let scope = context::scope(ctx)?;
        let span = period(from, to)?;
        let keyset = keyset(ctx, first, after)?;
        let area = resolve(ctx, area).await?;
        let db = context::db(ctx);
        let page = coverage::multi_partner(db, scope, area.as_ref(), span, &keyset)
            .await
            .gql()?;
        let org_ids: Vec<Uuid> = page
            .items
            .iter()
            .flat_map(|r| r.organisations.iter().map(|o| o.organisation_id))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let orgs: std::collections::BTreeMap<Uuid, organisations::Organisation> =
            organisations::by_ids(db, &org_ids)
                .await
                .gql()?
                .into_iter()
                .map(|o| (o.id, o))
                .collect();
        with_sites(
            ctx,
            page,
            keyset.after.is_some(),
            |r| r.site_id,
            |r, site| {
                let mut reach = Vec::new();
                for o in &r.organisations {
                    let Some(org) = orgs.get(&o.organisation_id) else {
                        continue;
                    };
                    let shown = shown(ctx, o.households)?;
                    reach.push(OrganisationReach {
                        organisation: OrganisationNode(org.clone()),
                        distributions: i32::try_from(o.distributions).unwrap_or(i32::MAX),
                        suppressed: !shown,
                        households: shown.then_some(BigInt(o.households)),
                        individuals: shown.then_some(BigInt(o.individuals)),
                    });
                }
                let d = r.double_counting;
                let shown = shown(ctx, d.reported)?;
                Ok(MultiPartnerSite {
                    site,
                    population: figures(ctx, r.population)?,
                    organisations: reach,
                    suppressed: !shown,
                    households_reported: shown.then_some(BigInt(d.reported)),
                    households_double_counted_at_most: shown.then_some(BigInt(d.at_most)),
                    households_double_counted_at_least: shown.then_some(BigInt(d.at_least)),
                })
            },
        )
        .await
    }

    /// Displaced households and individuals by origin admin area (the majority origin
    /// p-code at `level` on each site's latest counted assessment on or before `asOf`) and
    /// host admin area (the site's p-code at `level`), over the sites open at `asOf`
    /// (today when omitted) with such an assessment. `level` is 1 or 2, the levels
    /// assessments record origins at. Ordered by origin then host (cursor `origin|host`).
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn displacement_flows(
        &self,
        ctx: &Context<'_>,
        area: Option<AreaInput>,
        as_of: Option<NaiveDate>,
        level: i32,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<DisplacementFlow>> {
        let scope = context::scope(ctx)?;
        let level = admin_level(level).and_then(|l| {
            if l <= 2 {
                Ok(l)
            } else {
                Err(error::invalid(&Invalid::one(
                    "level",
                    "origins are recorded at admin levels 1 and 2",
                )))
            }
        })?;
        let keyset = keyset(ctx, first, after)?;
        let area = resolve(ctx, area).await?;
        let page = flows::flows(
            context::db(ctx),
            scope,
            area.as_ref(),
            as_of.unwrap_or_else(today),
            level,
            &keyset,
        )
        .await
        .gql()?;
        let page = page.try_map(|f| {
            let shown = shown(ctx, f.households)?;
            Ok::<_, async_graphql::Error>((
                f.key(),
                DisplacementFlow {
                    origin_pcode: f.origin,
                    host_pcode: f.host,
                    sites: i32::try_from(f.sites).unwrap_or(i32::MAX),
                    suppressed: !shown,
                    households: shown.then_some(BigInt(f.households)),
                    individuals: shown.then_some(BigInt(f.individuals)),
                },
            ))
        })?;
        Ok(connection(
            page,
            keyset.after.is_some(),
            |(k, _)| k.clone(),
            |(_, n)| n,
        ))
    }

    /// The 4W/5W roll-up of distributions running on any day from `from` to `to` at sites
    /// in the area: who (implementing, funding organisation), what (sector, goods,
    /// modality), where (admin1, admin2, H3 cell at `resolution`), when (month), status,
    /// and for whom (households and individuals reached), grouped by `groupBy` (none: one
    /// row), with `totals` over every distribution (each counted once). Rows are the
    /// distributions the caller may read: partners their own organisation's only, enumerators
    /// those in their area; every status unless `statuses` is given. Ordered by the grouped
    /// values (cursor: the values joined with `|`).
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    #[expect(clippy::too_many_arguments, reason = "GraphQL arguments")]
    async fn activities(
        &self,
        ctx: &Context<'_>,
        area: Option<AreaInput>,
        from: NaiveDate,
        to: NaiveDate,
        #[graphql(default)] group_by: Vec<ActivityDimension>,
        resolution: Option<i32>,
        #[graphql(default)] statuses: Vec<DistributionStatus>,
        goods: Option<GoodsInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, Activity, ActivityTotals>> {
        let scope = context::scope(ctx)?;
        let span = period(from, to)?;
        let by: BTreeSet<Dimension> = group_by.into_iter().map(Into::into).collect();
        let resolution = if by.contains(&Dimension::Cell) {
            Some(self::resolution(resolution)?)
        } else {
            None
        };
        let roll_up = RollUp {
            period: span,
            by,
            resolution,
            statuses: statuses.into_iter().map(Into::into).collect(),
            goods: goods.into(),
        };
        let keyset = keyset(ctx, first, after)?;
        let area = resolve(ctx, area).await?;
        let (page, totals) =
            activities::activities(context::db(ctx), scope, area.as_ref(), &roll_up, &keyset)
                .await
                .gql()?;
        let mut conn = Connection::with_additional_fields(
            keyset.after.is_some(),
            page.has_next,
            ActivityTotals {
                total_count: page.total.map(|t| i32::try_from(t).unwrap_or(i32::MAX)),
                totals: totals.into(),
            },
        );
        conn.edges.extend(page.items.into_iter().map(|r| {
            let g = r.group;
            Edge::new(
                r.key,
                Activity {
                    implementing_organisation_code: g.implementing.map(|o| o.1),
                    funding_organisation_code: g.funding.map(|o| o.1),
                    project_code: g.project,
                    sector: g.sector.map(Into::into),
                    goods_code: g.goods,
                    modality: g.modality.map(Into::into),
                    status: g.status.map(Into::into),
                    admin1_pcode: g.admin1,
                    admin2_pcode: g.admin2,
                    cell: g.cell.map(H3Cell),
                    month: g.month,
                    measures: r.measures.into(),
                },
            )
        }));
        Ok(conn)
    }
}

/// Checks an admin level (0-3).
fn admin_level(level: i32) -> async_graphql::Result<usize> {
    usize::try_from(level)
        .ok()
        .filter(|l| *l <= 3)
        .ok_or_else(|| {
            error::invalid(&Invalid::one(
                "level",
                "sites carry p-codes for levels 0 to 3",
            ))
        })
}
