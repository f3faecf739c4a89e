//! Distributions: record, edit, complete and cancel them, and read them back.

use async_graphql::{Context, InputObject, Object, SimpleObject};
use camptrack_domain::Invalid;
use camptrack_domain::assessment;
use camptrack_domain::error::Errors;
use camptrack_domain::sadd::SaddRow;
use camptrack_domain::stock::{
    self, DistributionShape, Goods, Line, MAX_LINE_QUANTITY, Reached, StockCode,
};
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::assessments::{SaddInput, SaddRowOutput};
use super::batch::{self as batch_answer, BatchResult};
use super::catalogue::{ItemNode, KitNode};
use super::connection::{Conn, connection};
use super::context::{self, list_cost};
use super::enums::{DistributionModality, DistributionStatus};
use super::error::{self, OrGql};
use super::organisations::{self as org_gql, OrganisationNode};
use super::sites::SiteNode;
use super::stock::{MovementNode, movements_page};
use super::warehouses::WarehouseNode;
use crate::storage::batch::{self, Outcome};
use crate::storage::distributions::{
    self, Distribution, DistributionContent, DistributionDraft, DistributionFilter, StoredLine,
};
use crate::storage::stock::MovementFilter;
use crate::storage::{catalogue, organisations, sites, warehouses};

/// A distribution: items or kits (or cash, vouchers) handed to households at a site.
#[derive(Debug, Clone)]
pub struct DistributionNode(pub Distribution);

/// One line of a distribution: an item or a kit.
#[derive(Debug, Clone)]
pub struct DistributionLineNode(pub StoredLine);

#[Object(name = "DistributionLine")]
impl DistributionLineNode {
    /// The item, when the line is an item.
    async fn item(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ItemNode>> {
        match self.0.goods {
            Goods::Item(id) => catalogue::get_item(context::db(ctx), id)
                .await
                .gql()
                .map(|i| Some(ItemNode(i))),
            Goods::Kit(_) => Ok(None),
        }
    }
    /// The kit, when the line is a kit.
    async fn kit(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<KitNode>> {
        match self.0.goods {
            Goods::Kit(id) => catalogue::get_kit(context::db(ctx), id)
                .await
                .gql()
                .map(|k| Some(KitNode(k))),
            Goods::Item(_) => Ok(None),
        }
    }
    /// Units (items, or whole kits) handed to households.
    async fn quantity_distributed(&self) -> i32 {
        i32::try_from(self.0.distributed).unwrap_or(i32::MAX)
    }
    /// Units lost or damaged during the distribution.
    async fn quantity_lost(&self) -> i32 {
        i32::try_from(self.0.lost).unwrap_or(i32::MAX)
    }
}

fn count(v: u32) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

#[Object(name = "Distribution")]
impl DistributionNode {
    /// Server id.
    async fn id(&self) -> Uuid {
        self.0.id
    }
    /// The client-generated id it was recorded with.
    async fn client_uuid(&self) -> Uuid {
        self.0.client_uuid
    }
    /// The site.
    async fn site(&self, ctx: &Context<'_>) -> async_graphql::Result<SiteNode> {
        sites::get(context::db(ctx), context::scope(ctx)?, self.0.site_id)
            .await
            .gql()
            .map(SiteNode::from)
    }
    /// The site's id.
    async fn site_id(&self) -> Uuid {
        self.0.site_id
    }
    /// Implementing organisation (HXL `#org+impl`).
    async fn implementing_organisation(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<OrganisationNode> {
        organisations::get(context::db(ctx), self.0.implementing_org_id)
            .await
            .gql()
            .map(OrganisationNode)
    }
    /// Funding organisation (HXL `#org+funder`).
    async fn funding_organisation(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<OrganisationNode>> {
        match self.0.funding_org_id {
            Some(id) => organisations::get(context::db(ctx), id)
                .await
                .gql()
                .map(|o| Some(OrganisationNode(o))),
            None => Ok(None),
        }
    }
    /// Project code.
    async fn project_code(&self) -> Option<&str> {
        self.0.project_code.as_deref()
    }
    /// First day (HXL `#date+start`).
    async fn starts_on(&self) -> NaiveDate {
        self.0.starts_on
    }
    /// Last day, for distributions over several days (HXL `#date+end`).
    async fn ends_on(&self) -> Option<NaiveDate> {
        self.0.ends_on
    }
    /// In kind, cash or voucher (HXL `#modality`).
    async fn modality(&self) -> DistributionModality {
        self.0.modality.into()
    }
    /// State (HXL `#status`).
    async fn status(&self) -> DistributionStatus {
        self.0.status.into()
    }
    /// Households reached (HXL `#reached+hh`).
    async fn households(&self) -> i32 {
        count(self.0.reached.households)
    }
    /// Individuals reached (HXL `#reached+ind`).
    async fn individuals(&self) -> i32 {
        count(self.0.reached.individuals)
    }
    /// Sex- and age-disaggregated individuals reached.
    async fn sadd(&self) -> Vec<SaddRowOutput> {
        self.0
            .reached
            .sadd
            .iter()
            .map(SaddRowOutput::from)
            .collect()
    }
    /// Registered households that did not come.
    async fn no_shows(&self) -> i32 {
        count(self.0.reached.no_shows)
    }
    /// The lines, in order.
    async fn lines(&self) -> Vec<DistributionLineNode> {
        self.0
            .lines
            .iter()
            .copied()
            .map(DistributionLineNode)
            .collect()
    }
    /// Where in-kind stock comes from (null when not named, or not visible to the caller).
    async fn source_warehouse(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<WarehouseNode>> {
        match self.0.source_warehouse_id {
            Some(id) => warehouses::by_ids(context::db(ctx), context::scope(ctx)?, &[id])
                .await
                .gql()
                .map(|mut w| w.pop().map(WarehouseNode)),
            None => Ok(None),
        }
    }
    /// The stock movements it wrote (dispatches, losses, their reversals), if the caller
    /// may see that stock.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn movements(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<MovementNode>> {
        let filter = MovementFilter {
            distribution_id: Some(self.0.id),
            ..MovementFilter::default()
        };
        movements_page(ctx, filter, first, after).await
    }
    /// The recording account's id.
    async fn recorded_by(&self) -> Uuid {
        self.0.recorded_by
    }
    /// Version: 1 when recorded, +1 on every change.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// When recorded (server clock).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When the device captured it (device clock; the server's receipt time when the
    /// device did not say).
    async fn captured_at(&self) -> DateTime<Utc> {
        self.0.device.captured_at
    }
    /// When the server received it (server clock).
    async fn received_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// The device's id (`X-Device-Id`).
    async fn device_id(&self) -> Option<&str> {
        self.0.device.device_id.as_deref()
    }
    /// The app that sent it (`X-Client-App`, else `User-Agent`).
    async fn client_app(&self) -> Option<&str> {
        self.0.device.client_app.as_deref()
    }
    /// That app's version.
    async fn client_app_version(&self) -> Option<&str> {
        self.0.device.client_app_version.as_deref()
    }
    /// True when it needs a look: `capturedAt` was further ahead of the server clock than
    /// the tolerance (the device clock is probably wrong). It is stored all the same.
    async fn needs_review(&self) -> bool {
        self.0.device.review_note.is_some()
    }
    /// Why it needs a look.
    async fn review_note(&self) -> Option<&str> {
        self.0.device.review_note.as_deref()
    }

    /// When last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// One line of a distribution: give exactly one of `itemCode` and `kitCode`.
#[derive(Debug, Clone, InputObject)]
pub struct DistributionLineInput {
    /// An item's code.
    pub item_code: Option<String>,
    /// A kit's code.
    pub kit_code: Option<String>,
    /// Units (items, or whole kits) handed to households.
    pub quantity_distributed: i32,
    /// Units lost or damaged during the distribution.
    #[graphql(default)]
    pub quantity_lost: i32,
}

/// What a distribution reports.
#[derive(Debug, Clone, InputObject)]
pub struct DistributionContentInput {
    /// The site.
    pub site_id: Uuid,
    /// Implementing organisation's code; partners and enumerators may omit it (their own)
    /// and may name only their own. Required for admins and coordinators.
    pub implementing_organisation_code: Option<String>,
    /// Funding organisation's code.
    pub funding_organisation_code: Option<String>,
    /// Project code.
    pub project_code: Option<String>,
    /// First day.
    pub starts_on: NaiveDate,
    /// Last day, for distributions over several days.
    pub ends_on: Option<NaiveDate>,
    /// In kind, cash or voucher.
    pub modality: DistributionModality,
    /// State; `COMPLETED` with a source warehouse writes the dispatches.
    pub status: DistributionStatus,
    /// Households reached.
    #[graphql(default)]
    pub households: i32,
    /// Individuals reached.
    #[graphql(default)]
    pub individuals: i32,
    /// Sex- and age-disaggregated individuals reached; a partial set is allowed.
    #[graphql(default)]
    pub sadd: Vec<SaddInput>,
    /// Registered households that did not come.
    #[graphql(default)]
    pub no_shows: i32,
    /// Lines: items or kits with quantities.
    #[graphql(default)]
    pub lines: Vec<DistributionLineInput>,
    /// Where in-kind stock comes from; without one, no stock moves.
    pub source_warehouse_id: Option<Uuid>,
}

/// A new distribution.
#[derive(Debug, Clone, InputObject)]
pub struct DistributionInput {
    /// Generated by the client once per distribution; resending the same distribution is
    /// recognised and answered with the stored record, writing nothing.
    pub client_uuid: Uuid,
    /// When the device captured it (device clock, kept to the millisecond); the server's
    /// receipt time when omitted. Far ahead of the server clock: stored, `needsReview`.
    pub captured_at: Option<DateTime<Utc>>,
    /// What it reports.
    #[graphql(flatten)]
    pub content: DistributionContentInput,
}

impl DistributionInput {
    /// The draft to record, or every problem with its path (`Ok(Err(..))`); `Err` only for
    /// a server fault.
    pub async fn check(
        self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Result<DistributionDraft, Invalid>> {
        use chrono::SubsecRound;
        Ok(self
            .content
            .check(ctx)
            .await?
            .map(|content| DistributionDraft {
                client_uuid: self.client_uuid,
                content,
                captured_at: self.captured_at.map(|t| t.trunc_subsecs(3)),
            }))
    }
}

impl DistributionContentInput {
    /// Checks every field, reporting all problems at once with their paths.
    pub async fn parse(self, ctx: &Context<'_>) -> async_graphql::Result<DistributionContent> {
        self.parse_in(context::db(ctx)).await.gql()
    }

    /// [`Self::parse`], with the problems as a value (`Ok(Err(..))`) and only server
    /// faults as an error, for batches.
    pub async fn check(
        self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Result<DistributionContent, Invalid>> {
        match self.parse_in(context::db(ctx)).await {
            Ok(content) => Ok(Ok(content)),
            Err(crate::storage::StorageError::Invalid(invalid)) => Ok(Err(invalid)),
            Err(other) => Err(error::storage(other)),
        }
    }

    /// [`Self::parse`] against a database connection (organisation codes are looked up
    /// there), for ways in other than GraphQL (OpenRosa).
    pub async fn parse_in(
        self,
        db: &impl sea_orm::ConnectionTrait,
    ) -> Result<DistributionContent, crate::storage::StorageError> {
        let mut errors = Errors::default();
        let n = |errors: &mut Errors, path: &str, v: i32| assessment::count(errors, path, v.into());
        let households = n(&mut errors, "households", self.households);
        let individuals = n(&mut errors, "individuals", self.individuals);
        let no_shows = n(&mut errors, "noShows", self.no_shows);
        let mut sadd = Vec::with_capacity(self.sadd.len());
        for (i, r) in self.sadd.iter().enumerate() {
            let age = |errors: &mut Errors, field: &str, v: i32| {
                u8::try_from(v).unwrap_or_else(|_| {
                    errors.add(format!("sadd.{i}.{field}"), format!("{v} is not an age"));
                    0
                })
            };
            let age_min = age(&mut errors, "ageMin", r.age_min);
            let age_max = r.age_max.map(|v| age(&mut errors, "ageMax", v));
            let count = n(&mut errors, &format!("sadd.{i}.count"), r.count);
            sadd.push(SaddRow {
                sex: r.sex.into(),
                age_min,
                age_max,
                count,
            });
        }
        // Lines keep their input index: a line whose item or kit is unreadable is checked
        // under a placeholder unique to it, and a refused quantity as 1, so that every
        // problem is reported once, at its own path.
        let mut checked: Vec<Line<Result<StockCode, usize>>> = Vec::with_capacity(self.lines.len());
        let mut lines = Vec::with_capacity(self.lines.len());
        for (i, l) in self.lines.iter().enumerate() {
            let quantity = |errors: &mut Errors, field: &str, raw: i32| {
                let raw = i64::from(raw);
                if (0..=MAX_LINE_QUANTITY).contains(&raw) {
                    raw
                } else {
                    stock::quantity(
                        errors,
                        &format!("lines.{i}.{field}"),
                        raw,
                        0,
                        MAX_LINE_QUANTITY,
                    );
                    1
                }
            };
            let distributed = quantity(&mut errors, "quantityDistributed", l.quantity_distributed);
            let lost = quantity(&mut errors, "quantityLost", l.quantity_lost);
            let goods = match (&l.item_code, &l.kit_code) {
                (Some(code), None) => errors
                    .take(&format!("lines.{i}.itemCode"), StockCode::parse("", code))
                    .map(Goods::Item),
                (None, Some(code)) => errors
                    .take(&format!("lines.{i}.kitCode"), StockCode::parse("", code))
                    .map(Goods::Kit),
                _ => {
                    errors.add(
                        format!("lines.{i}.itemCode"),
                        "give exactly one of itemCode and kitCode",
                    );
                    None
                }
            };
            let placeholder = match &goods {
                Some(Goods::Item(c)) => Goods::Item(Ok(c.clone())),
                Some(Goods::Kit(c)) => Goods::Kit(Ok(c.clone())),
                None => Goods::Item(Err(i)),
            };
            checked.push(Line {
                goods: placeholder,
                distributed,
                lost,
            });
            if let Some(goods) = goods {
                lines.push(Line {
                    goods,
                    distributed,
                    lost,
                });
            }
        }
        let reached = Reached {
            households,
            individuals,
            sadd,
            no_shows,
        };
        DistributionShape {
            starts_on: self.starts_on,
            ends_on: self.ends_on,
            status: self.status.into(),
            modality: self.modality.into(),
            has_source: self.source_warehouse_id.is_some(),
            lines: &checked,
            reached: &reached,
        }
        .check(&mut errors, Utc::now().date_naive());
        let project_code = self
            .project_code
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty());
        if project_code.is_some_and(|p| p.chars().count() > 50) {
            errors.add("projectCode", "must be at most 50 characters");
        }
        let implementing_org_id = organisations::code_to_id(
            db,
            &mut errors,
            "implementingOrganisationCode",
            self.implementing_organisation_code.as_deref(),
        )
        .await?;
        let funding_org_id = organisations::code_to_id(
            db,
            &mut errors,
            "fundingOrganisationCode",
            self.funding_organisation_code.as_deref(),
        )
        .await?;
        errors.finish(())?;
        Ok(DistributionContent {
            site_id: self.site_id,
            implementing_org_id,
            funding_org_id,
            project_code: project_code.map(str::to_owned),
            starts_on: self.starts_on,
            ends_on: self.ends_on,
            modality: self.modality.into(),
            status: self.status.into(),
            households: reached.households,
            individuals: reached.individuals,
            sadd: reached.sadd,
            no_shows: reached.no_shows,
            lines,
            source_warehouse_id: self.source_warehouse_id,
        })
    }
}

/// Filters for distribution lists.
#[derive(Debug, Clone, InputObject, Default)]
pub struct DistributionFilterInput {
    /// Only at this site.
    pub site_id: Option<Uuid>,
    /// Only by this implementing organisation (code).
    pub implementing_organisation_code: Option<String>,
    /// Only funded by this organisation (code).
    pub funding_organisation_code: Option<String>,
    /// Only in these states.
    #[graphql(default)]
    pub statuses: Vec<DistributionStatus>,
    /// Only of these modalities.
    #[graphql(default)]
    pub modalities: Vec<DistributionModality>,
    /// Only those running on or after this day.
    pub from: Option<NaiveDate>,
    /// Only those starting on or before this day.
    pub to: Option<NaiveDate>,
    /// Only at sites with this p-code at any admin level.
    pub admin_pcode: Option<String>,
    /// Only those drawing on this warehouse.
    pub source_warehouse_id: Option<Uuid>,
}

impl DistributionFilterInput {
    /// Resolves codes to ids; unknown codes are a `BAD_USER_INPUT`.
    pub async fn resolve(self, ctx: &Context<'_>) -> async_graphql::Result<DistributionFilter> {
        let mut errors = Errors::default();
        let implementing_org_id = org_gql::code_to_id(
            ctx,
            &mut errors,
            "filter.implementingOrganisationCode",
            self.implementing_organisation_code.as_deref(),
        )
        .await?;
        let funding_org_id = org_gql::code_to_id(
            ctx,
            &mut errors,
            "filter.fundingOrganisationCode",
            self.funding_organisation_code.as_deref(),
        )
        .await?;
        errors.finish(()).gql()?;
        Ok(DistributionFilter {
            site_id: self.site_id,
            implementing_org_id,
            funding_org_id,
            statuses: self.statuses.into_iter().map(Into::into).collect(),
            modalities: self.modalities.into_iter().map(Into::into).collect(),
            from: self.from,
            to: self.to,
            admin_pcode: self.admin_pcode.map(|p| p.trim().to_ascii_uppercase()),
            source_warehouse_id: self.source_warehouse_id,
            in_area: None,
        })
    }
}

/// One page of distributions, for top-level and nested lists.
pub(super) async fn distributions_page(
    ctx: &Context<'_>,
    filter: DistributionFilter,
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<Conn<DistributionNode>> {
    let scope = context::scope(ctx)?;
    let page = context::page_request(ctx, first, after.as_deref())?;
    let items = distributions::list(context::db(ctx), scope, &filter, &page)
        .await
        .gql()?;
    Ok(connection(
        items,
        page.after.is_some(),
        |d| d.id.to_string(),
        DistributionNode,
    ))
}

/// What `recordDistribution` did.
#[derive(Debug, SimpleObject)]
pub struct RecordDistributionResult {
    /// The stored distribution.
    pub distribution: DistributionNode,
    /// True when this was an identical replay of a distribution already stored: nothing
    /// was written.
    pub duplicate: bool,
}

/// Distribution queries: admins and coordinators see all, partners their own
/// organisation's, enumerators those at sites in their area.
#[derive(Debug, Default)]
pub struct DistributionQuery;

#[Object]
impl DistributionQuery {
    /// Distributions the caller may see, in recording order.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn distributions(
        &self,
        ctx: &Context<'_>,
        area: Option<super::area::AreaInput>,
        filter: Option<DistributionFilterInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<DistributionNode>> {
        let mut filter = filter.unwrap_or_default().resolve(ctx).await?;
        if let Some(area) = area {
            let area = super::area::resolve(ctx, area).await?;
            let column = distributions::site_id_column();
            filter.in_area = Some(
                crate::storage::area::site_id_condition(context::db(ctx), &area, column)
                    .await
                    .gql()?,
            );
        }
        distributions_page(ctx, filter, first, after).await
    }

    /// One distribution the caller may see.
    async fn distribution(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
    ) -> async_graphql::Result<DistributionNode> {
        distributions::get(context::db(ctx), context::scope(ctx)?, id)
            .await
            .gql()
            .map(DistributionNode)
    }
}

/// Distribution mutations (partners and enumerators as their own organisation;
/// enumerators at sites in their area; coordinators for any organisation).
#[derive(Debug, Default)]
pub struct DistributionMutation;

#[Object]
impl DistributionMutation {
    /// Records a distribution. Recorded as `COMPLETED`, in kind, with a source warehouse, it
    /// writes its dispatches (kits expanded into items, losses as `LOSS`), refused with
    /// `BAD_USER_INPUT` naming the item, the balance and the shortfall when the stock is
    /// not there; nothing is written then. Replaying the same `clientUuid` with the same
    /// content answers the stored record with `duplicate: true`.
    async fn record_distribution(
        &self,
        ctx: &Context<'_>,
        input: DistributionInput,
    ) -> async_graphql::Result<RecordDistributionResult> {
        let caller = context::caller(ctx)?;
        context::scope(ctx)?
            .require(camptrack_domain::access::Write::Distributions)
            .gql()?;
        let draft = input.check(ctx).await?.gql()?;
        let recorded = distributions::record_with(
            context::db(ctx),
            caller,
            draft,
            &context::submit_options(ctx),
        )
        .await
        .gql()?;
        Ok(RecordDistributionResult {
            distribution: DistributionNode(recorded.distribution),
            duplicate: recorded.duplicate,
        })
    }

    /// Records a batch of distributions made offline (at most the configured batch
    /// limit). Each item is answered on its own, in input order: `ACCEPTED`, `DUPLICATE`
    /// (an identical resend), `CONFLICT` (its `clientUuid` holds other content:
    /// `conflictingFields` names what differs), `REJECTED` (field paths such as
    /// `items.2.lines.0.quantityDistributed`; an oversell names the item, the balance and
    /// the shortfall) or `RETRY`. One bad item never fails the others, and every accepted
    /// item is committed before the answer is sent.
    async fn submit_distributions(
        &self,
        ctx: &Context<'_>,
        items: Vec<DistributionInput>,
    ) -> async_graphql::Result<BatchResult<DistributionNode>> {
        let caller = context::caller(ctx)?;
        context::scope(ctx)?
            .require(camptrack_domain::access::Write::Distributions)
            .gql()?;
        context::check_batch(ctx, "items", items.len())?;
        let db = context::db(ctx);
        let options = context::submit_options(ctx);
        let client_uuids = items.iter().map(|i| Some(i.client_uuid)).collect();
        let outcomes = batch::run(items, |input| {
            let options = &options;
            async move {
                match input.check(ctx).await {
                    Err(e) => Outcome::Retry(e.message),
                    Ok(Err(invalid)) => Outcome::Rejected(invalid),
                    Ok(Ok(draft)) => distributions::record_item(db, caller, draft, options).await,
                }
            }
        })
        .await;
        Ok(batch_answer::answer(
            outcomes,
            client_uuids,
            |d| d.client_uuid,
            DistributionNode,
        ))
    }

    /// Replaces a planned or ongoing distribution's content; `version` is the one you last
    /// read. Moving it to `COMPLETED` writes its dispatches.
    async fn update_distribution(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        version: i32,
        input: DistributionContentInput,
    ) -> async_graphql::Result<DistributionNode> {
        let caller = context::caller(ctx)?;
        context::scope(ctx)?
            .require(camptrack_domain::access::Write::Distributions)
            .gql()?;
        let content = input.parse(ctx).await?;
        distributions::update(context::db(ctx), caller, id, version, content)
            .await
            .gql()
            .map(DistributionNode)
    }

    /// Moves a distribution forward (`ONGOING`, `COMPLETED`: writes its dispatches) or
    /// cancels it (`CANCELLED`: a completed one's stock is returned by reversing movements).
    async fn set_distribution_status(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        version: i32,
        status: DistributionStatus,
    ) -> async_graphql::Result<DistributionNode> {
        let caller = context::caller(ctx)?;
        distributions::set_status(context::db(ctx), caller, id, version, status.into())
            .await
            .map_err(error::storage)
            .map(DistributionNode)
    }
}
