//! The stock ledger over GraphQL: balances (at any date, with days of cover), movements,
//! and the writes: receipts, dispatches, adjustments, losses, transfers and corrections.

use async_graphql::{Context, InputObject, Object, SimpleObject};
use camptrack_domain::Invalid;
use camptrack_domain::access::Write;
use camptrack_domain::error::Errors;
use camptrack_domain::stock::{self, MAX_LINE_QUANTITY, StockCode};
use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use uuid::Uuid;

use super::batch::{self as batch_answer, BatchResult};
use super::catalogue::ItemNode;
use super::connection::{Conn, connection};
use super::context::{self, list_cost};
use super::distributions::DistributionNode;
use super::enums::{ItemCategory, MovementKind};
use super::error::{self, OrGql};
use super::organisations::{self as org_gql, OrganisationNode};
use super::scalars::BigInt;
use super::warehouses::{WarehouseFilterInput, WarehouseNode};
use crate::storage::balances::{self, Balance, BalanceFilter, BalancePage};
use crate::storage::batch::{self, Outcome};
use crate::storage::stock::{
    self as ledger, CorrectionDraft, Movement, MovementDraft, MovementFilter, Particulars,
    TransferDraft,
};
use crate::storage::{catalogue, distributions, organisations, warehouses};

/// The balance of one item in one warehouse at the end of a day.
#[derive(Debug, Clone)]
pub struct BalanceNode {
    balance: Balance,
    as_of: NaiveDate,
}

#[Object(name = "StockBalance")]
impl BalanceNode {
    /// The warehouse.
    async fn warehouse(&self, ctx: &Context<'_>) -> async_graphql::Result<WarehouseNode> {
        warehouses::get(
            context::db(ctx),
            context::scope(ctx)?,
            self.balance.warehouse_id,
        )
        .await
        .gql()
        .map(WarehouseNode)
    }
    /// The item.
    async fn item(&self, ctx: &Context<'_>) -> async_graphql::Result<ItemNode> {
        catalogue::get_item(context::db(ctx), self.balance.item_id)
            .await
            .gql()
            .map(ItemNode)
    }
    /// The day the balance is for (at its end, UTC).
    async fn as_of(&self) -> NaiveDate {
        self.as_of
    }
    /// Base units on hand: the sum of every movement up to the end of `asOf`.
    async fn quantity(&self) -> BigInt {
        BigInt(self.balance.quantity)
    }
    /// Base units dispatched (`DISPATCH` and `TRANSFER_OUT`, net of corrections) in the
    /// cover window ending with `asOf`.
    async fn dispatched_in_window(&self) -> BigInt {
        BigInt(self.balance.dispatched)
    }
    /// The days-of-cover window, in days.
    async fn cover_window_days(&self) -> i32 {
        i32::try_from(self.balance.window_days).unwrap_or(i32::MAX)
    }
    /// Average base units dispatched per day over the window.
    async fn average_daily_dispatch(&self) -> f64 {
        self.balance.average_daily_dispatch()
    }
    /// Days the balance lasts at the average daily dispatch; null (unknown) when nothing
    /// was dispatched in the window.
    async fn days_of_cover(&self) -> Option<f64> {
        self.balance.days_of_cover()
    }
}

/// A movement in the stock ledger. Movements are never edited: a correction is another
/// movement that reverses this one (`correctedBy`).
#[derive(Debug, Clone)]
pub struct MovementNode(pub Movement);

#[Object(name = "StockMovement")]
impl MovementNode {
    /// Server id.
    async fn id(&self) -> Uuid {
        self.0.id
    }
    /// The client UUID of the operation that wrote it (on its first movement).
    async fn client_uuid(&self) -> Option<Uuid> {
        self.0.client_uuid
    }
    /// The warehouse.
    async fn warehouse(&self, ctx: &Context<'_>) -> async_graphql::Result<WarehouseNode> {
        warehouses::get(context::db(ctx), context::scope(ctx)?, self.0.warehouse_id)
            .await
            .gql()
            .map(WarehouseNode)
    }
    /// The item.
    async fn item(&self, ctx: &Context<'_>) -> async_graphql::Result<ItemNode> {
        catalogue::get_item(context::db(ctx), self.0.item_id)
            .await
            .gql()
            .map(ItemNode)
    }
    /// Kind.
    async fn kind(&self) -> MovementKind {
        self.0.kind.into()
    }
    /// Signed base units: positive in, negative out (a correction has the opposite sign of
    /// the movement it reverses).
    async fn quantity(&self) -> i32 {
        i32::try_from(self.0.quantity).unwrap_or(i32::MAX)
    }
    /// When the stock moved.
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }
    /// Why.
    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }
    /// Waybill, goods received note or other document.
    async fn document_ref(&self) -> Option<&str> {
        self.0.document_ref.as_deref()
    }
    /// Project code.
    async fn project_code(&self) -> Option<&str> {
        self.0.project_code.as_deref()
    }
    /// Donor.
    async fn donor_organisation(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<OrganisationNode>> {
        organisation(ctx, self.0.donor_org_id).await
    }
    /// The organisation the stock came from or went to.
    async fn counterparty_organisation(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<OrganisationNode>> {
        organisation(ctx, self.0.counterparty_org_id).await
    }
    /// The other warehouse of a transfer.
    async fn counterparty_warehouse(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<WarehouseNode>> {
        match self.0.counterparty_warehouse_id {
            Some(id) => warehouses::by_ids(context::db(ctx), context::scope(ctx)?, &[id])
                .await
                .gql()
                .map(|mut w| w.pop().map(WarehouseNode)),
            None => Ok(None),
        }
    }
    /// Shared by the two legs of a transfer.
    async fn transfer_id(&self) -> Option<Uuid> {
        self.0.transfer_id
    }
    /// The movement this one reverses.
    async fn corrects(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<MovementNode>> {
        match self.0.corrects_id {
            Some(id) => ledger::get(context::db(ctx), context::scope(ctx)?, id)
                .await
                .gql()
                .map(|m| Some(MovementNode(m))),
            None => Ok(None),
        }
    }
    /// The movement that reverses this one, if it was corrected.
    async fn corrected_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<MovementNode>> {
        let filter = MovementFilter {
            corrects_id: Some(self.0.id),
            ..MovementFilter::default()
        };
        let page = crate::storage::page::PageRequest {
            first: 1,
            after: None,
            with_total: false,
        };
        ledger::list(context::db(ctx), context::scope(ctx)?, &filter, &page)
            .await
            .gql()
            .map(|p| p.items.into_iter().next().map(MovementNode))
    }
    /// The distribution that wrote it.
    async fn distribution(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<DistributionNode>> {
        match self.0.distribution_id {
            Some(id) => {
                match distributions::get(context::db(ctx), context::scope(ctx)?, id).await {
                    Ok(d) => Ok(Some(DistributionNode(d))),
                    Err(crate::storage::StorageError::NotFound { .. }) => Ok(None),
                    Err(e) => Err(error::storage(e)),
                }
            }
            None => Ok(None),
        }
    }
    /// The account that recorded it.
    async fn recorded_by(&self) -> Uuid {
        self.0.recorded_by
    }
    /// When it was recorded (server clock).
    async fn recorded_at(&self) -> DateTime<Utc> {
        self.0.recorded_at
    }
    /// When the device captured it (device clock; the server's receipt time when the
    /// device did not say).
    async fn captured_at(&self) -> DateTime<Utc> {
        self.0.device.captured_at
    }
    /// When the server received it (server clock).
    async fn received_at(&self) -> DateTime<Utc> {
        self.0.recorded_at
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
}

async fn organisation(
    ctx: &Context<'_>,
    id: Option<Uuid>,
) -> async_graphql::Result<Option<OrganisationNode>> {
    match id {
        Some(id) => organisations::get(context::db(ctx), id)
            .await
            .gql()
            .map(|o| Some(OrganisationNode(o))),
        None => Ok(None),
    }
}

/// Filters for movement lists.
#[derive(Debug, InputObject, Default)]
pub struct MovementFilterInput {
    /// Only this warehouse's.
    pub warehouse_id: Option<Uuid>,
    /// Only this item's (code).
    pub item_code: Option<String>,
    /// Only these kinds.
    #[graphql(default)]
    pub kinds: Vec<MovementKind>,
    /// Only movements on or after this day (UTC).
    pub from: Option<NaiveDate>,
    /// Only movements on or before this day (UTC).
    pub to: Option<NaiveDate>,
    /// Only in this organisation's warehouses (code).
    pub organisation_code: Option<String>,
    /// Only those this distribution wrote.
    pub distribution_id: Option<Uuid>,
}

impl MovementFilterInput {
    /// Resolves codes to ids; unknown codes are a `BAD_USER_INPUT`.
    pub async fn resolve(self, ctx: &Context<'_>) -> async_graphql::Result<MovementFilter> {
        let mut errors = Errors::default();
        let organisation_id = org_gql::code_to_id(
            ctx,
            &mut errors,
            "filter.organisationCode",
            self.organisation_code.as_deref(),
        )
        .await?;
        let item_id = item_id(
            ctx,
            &mut errors,
            "filter.itemCode",
            self.item_code.as_deref(),
        )
        .await?;
        errors.finish(()).gql()?;
        Ok(MovementFilter {
            warehouse_id: self.warehouse_id,
            item_id,
            kinds: self.kinds.into_iter().map(Into::into).collect(),
            from: self.from,
            to: self.to,
            organisation_id,
            distribution_id: self.distribution_id,
            corrects_id: None,
        })
    }
}

async fn item_id(
    ctx: &Context<'_>,
    errors: &mut Errors,
    path: &str,
    code: Option<&str>,
) -> async_graphql::Result<Option<Uuid>> {
    let Some(code) = code else {
        return Ok(None);
    };
    match catalogue::get_item_by_code(context::db(ctx), code).await {
        Ok(item) => Ok(Some(item.id)),
        Err(crate::storage::StorageError::NotFound { .. }) => {
            errors.add(path, format!("no item {code} in the catalogue"));
            Ok(None)
        }
        Err(e) => Err(error::storage(e)),
    }
}

/// Filters for balance lists.
#[derive(Debug, InputObject, Default)]
pub struct BalanceFilterInput {
    /// Only this warehouse.
    pub warehouse_id: Option<Uuid>,
    /// Only warehouses matching this.
    pub warehouses: Option<WarehouseFilterInput>,
    /// Only this item (code).
    pub item_code: Option<String>,
    /// Only items of these categories.
    #[graphql(default)]
    pub categories: Vec<ItemCategory>,
    /// Leave out zero balances.
    #[graphql(default)]
    pub non_zero: bool,
}

/// One page of movements, for top-level and nested lists.
pub(super) async fn movements_page(
    ctx: &Context<'_>,
    filter: MovementFilter,
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<Conn<MovementNode>> {
    let scope = context::scope(ctx)?;
    let page = context::page_request(ctx, first, after.as_deref())?;
    let items = ledger::list(context::db(ctx), scope, &filter, &page)
        .await
        .gql()?;
    Ok(connection(
        items,
        page.after.is_some(),
        |m| m.id.to_string(),
        MovementNode,
    ))
}

/// One page of balances, for top-level and nested lists. Cursors are
/// `<warehouse id>.<item id>`.
pub(super) async fn balances_page(
    ctx: &Context<'_>,
    filter: BalanceFilter,
    cover_window_days: i32,
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<Conn<BalanceNode>> {
    let scope = context::scope(ctx)?;
    let plain = context::page_request(ctx, first, None)?;
    let after_key = match after.as_deref() {
        Some(c) => Some(
            c.split_once('.')
                .and_then(|(w, i)| Some((Uuid::parse_str(w).ok()?, Uuid::parse_str(i).ok()?)))
                .ok_or_else(|| {
                    error::invalid(&Invalid::one(
                        "after",
                        format!("`{c}` is not a cursor from this list"),
                    ))
                })?,
        ),
        None => None,
    };
    let window_days = u32::try_from(cover_window_days).unwrap_or(0);
    let page = BalancePage {
        first: plain.first,
        after: after_key,
        with_total: plain.with_total,
        window_days,
    };
    let as_of = filter.as_of.unwrap_or_else(|| Utc::now().date_naive());
    let items = balances::list(context::db(ctx), scope, &filter, &page)
        .await
        .gql()?;
    Ok(connection(
        items,
        after_key.is_some(),
        |b| format!("{}.{}", b.warehouse_id, b.item_id),
        |balance| BalanceNode { balance, as_of },
    ))
}

/// Reason, document, project, donor and counterparty of a movement.
#[derive(Debug, Clone, InputObject, Default)]
pub struct ParticularsInput {
    /// Why (free text, at most 500 characters).
    pub reason: Option<String>,
    /// Waybill, goods received note or other document (at most 100 characters).
    pub document_ref: Option<String>,
    /// Project code (at most 50 characters).
    pub project_code: Option<String>,
    /// Donor organisation's code.
    pub donor_organisation_code: Option<String>,
    /// Code of the organisation the stock came from (receipts) or went to (dispatches).
    pub counterparty_organisation_code: Option<String>,
}

/// A receipt, dispatch, adjustment or loss.
#[derive(Debug, InputObject)]
pub struct StockMovementInput {
    /// Generated by the client once per movement; resending it is recognised.
    pub client_uuid: Uuid,
    /// The warehouse.
    pub warehouse_id: Uuid,
    /// The item's code.
    pub item_code: String,
    /// `RECEIPT`, `DISPATCH`, `ADJUSTMENT` or `LOSS` (transfers: `transferStock`).
    pub kind: MovementKind,
    /// Base units, positive (the kind gives the sign); an `ADJUSTMENT` is signed.
    pub quantity: i32,
    /// When the stock moved (not in the future).
    pub occurred_at: DateTime<Utc>,
    /// When the device captured it (device clock, kept to the millisecond); the server's
    /// receipt time when omitted. Far ahead of the server clock: stored, `needsReview`.
    pub captured_at: Option<DateTime<Utc>>,
    /// Reason, document, project, donor, counterparty.
    #[graphql(flatten)]
    pub particulars: ParticularsInput,
}

/// A transfer between two warehouses.
#[derive(Debug, InputObject)]
pub struct TransferInput {
    /// Generated by the client once per transfer.
    pub client_uuid: Uuid,
    /// The warehouse the stock leaves.
    pub from_warehouse_id: Uuid,
    /// The warehouse the stock reaches.
    pub to_warehouse_id: Uuid,
    /// The item's code.
    pub item_code: String,
    /// Base units, positive.
    pub quantity: i32,
    /// When the stock moved.
    pub occurred_at: DateTime<Utc>,
    /// When the device captured it (device clock, kept to the millisecond); the server's
    /// receipt time when omitted. Far ahead of the server clock: stored, `needsReview`.
    pub captured_at: Option<DateTime<Utc>>,
    /// Reason, document, project, donor.
    #[graphql(flatten)]
    pub particulars: ParticularsInput,
}

/// A correction of a movement.
#[derive(Debug, InputObject)]
pub struct CorrectionInput {
    /// Generated by the client once per correction.
    pub client_uuid: Uuid,
    /// The movement to reverse (either leg of a transfer reverses both).
    pub movement_id: Uuid,
    /// Why (required).
    pub reason: String,
    /// When the device captured it (device clock, kept to the millisecond); the server's
    /// receipt time when omitted. Far ahead of the server clock: stored, `needsReview`.
    pub captured_at: Option<DateTime<Utc>>,
}

fn check_text(errors: &mut Errors, path: &str, value: Option<&str>, max: usize) -> Option<String> {
    let value = value.map(str::trim).filter(|v| !v.is_empty())?;
    if value.chars().count() > max {
        errors.add(path, format!("must be at most {max} characters"));
    }
    Some(value.to_owned())
}

fn check_when(errors: &mut Errors, at: DateTime<Utc>) -> DateTime<Utc> {
    let now = Utc::now();
    if at > now + chrono::TimeDelta::days(1) {
        errors.add("occurredAt", format!("{at} is in the future"));
    }
    if at.date_naive() < NaiveDate::from_ymd_opt(1990, 1, 1).unwrap_or(NaiveDate::MIN) {
        errors.add("occurredAt", format!("{at} is before 1990"));
    }
    at.trunc_subsecs(6)
}

/// A device's capture time, kept to the millisecond.
fn capture(at: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    at.map(|t| t.trunc_subsecs(3))
}

impl StockMovementInput {
    /// The draft to record, or every problem with its path (`Ok(Err(..))`); `Err` only for
    /// a server fault.
    pub async fn check(
        self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Result<MovementDraft, Invalid>> {
        let mut errors = Errors::default();
        let kind: camptrack_domain::codes::MovementKind = self.kind.into();
        if !kind.recorded_alone() {
            errors.add(
                "kind",
                "record transfers with transferStock: both legs are written together",
            );
        }
        let item_code = errors.take("itemCode", StockCode::parse("", &self.item_code));
        let quantity = stock::signed_quantity(&mut errors, "quantity", kind, self.quantity.into());
        let occurred_at = check_when(&mut errors, self.occurred_at);
        let particulars = self.particulars.parse(ctx, &mut errors).await?;
        Ok(errors.finish(item_code).and_then(|item_code| {
            let item_code = item_code.ok_or_else(|| Invalid::one("itemCode", "required"))?;
            Ok(MovementDraft {
                client_uuid: self.client_uuid,
                warehouse_id: self.warehouse_id,
                item_code,
                kind,
                quantity,
                occurred_at,
                particulars,
                captured_at: capture(self.captured_at),
            })
        }))
    }
}

impl ParticularsInput {
    async fn parse(
        self,
        ctx: &Context<'_>,
        errors: &mut Errors,
    ) -> async_graphql::Result<Particulars> {
        let reason = check_text(errors, "reason", self.reason.as_deref(), 500);
        let document_ref = check_text(errors, "documentRef", self.document_ref.as_deref(), 100);
        let project_code = check_text(errors, "projectCode", self.project_code.as_deref(), 50);
        let donor_org_id = org_gql::code_to_id(
            ctx,
            errors,
            "donorOrganisationCode",
            self.donor_organisation_code.as_deref(),
        )
        .await?;
        let counterparty_org_id = org_gql::code_to_id(
            ctx,
            errors,
            "counterpartyOrganisationCode",
            self.counterparty_organisation_code.as_deref(),
        )
        .await?;
        Ok(Particulars {
            reason,
            document_ref,
            project_code,
            donor_org_id,
            counterparty_org_id,
        })
    }
}

/// What a stock write did.
#[derive(Debug, SimpleObject)]
pub struct StockOperationResult {
    /// The movements written (or, for a replay, stored), in order.
    pub movements: Vec<MovementNode>,
    /// True when this was an identical replay of an operation already stored: nothing was
    /// written.
    pub duplicate: bool,
}

impl From<ledger::Recorded> for StockOperationResult {
    fn from(r: ledger::Recorded) -> Self {
        Self {
            movements: r.movements.into_iter().map(MovementNode).collect(),
            duplicate: r.duplicate,
        }
    }
}

/// Stock queries: raw stock is visible to admins and coordinators (all) and partners
/// (their own organisation's warehouses); enumerators see none.
#[derive(Debug, Default)]
pub struct StockQuery;

#[Object]
impl StockQuery {
    /// Balances per warehouse and item at the end of `asOf` (today by default), summed
    /// from the ledger, in (warehouse, item) order, with days of cover over the
    /// `coverWindowDays` days ending with `asOf`.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn stock_balances(
        &self,
        ctx: &Context<'_>,
        filter: Option<BalanceFilterInput>,
        as_of: Option<NaiveDate>,
        #[graphql(default = 30)] cover_window_days: i32,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<BalanceNode>> {
        let f = filter.unwrap_or_default();
        let mut errors = Errors::default();
        let item_id = item_id(ctx, &mut errors, "filter.itemCode", f.item_code.as_deref()).await?;
        errors.finish(()).gql()?;
        let warehouses = match f.warehouses {
            Some(w) => w.resolve(ctx).await?,
            None => Default::default(),
        };
        let filter = BalanceFilter {
            warehouse_id: f.warehouse_id,
            warehouses,
            item_id,
            categories: f.categories.into_iter().map(Into::into).collect(),
            as_of,
            non_zero: f.non_zero,
        };
        balances_page(ctx, filter, cover_window_days, first, after).await
    }

    /// Movements the caller may see, in recording order.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn stock_movements(
        &self,
        ctx: &Context<'_>,
        filter: Option<MovementFilterInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<MovementNode>> {
        let filter = filter.unwrap_or_default().resolve(ctx).await?;
        movements_page(ctx, filter, first, after).await
    }

    /// One movement the caller may see.
    async fn stock_movement(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
    ) -> async_graphql::Result<MovementNode> {
        ledger::get(context::db(ctx), context::scope(ctx)?, id)
            .await
            .gql()
            .map(MovementNode)
    }
}

/// Stock mutations (partners in their own warehouses; coordinators anywhere).
#[derive(Debug, Default)]
pub struct StockMutation;

#[Object]
impl StockMutation {
    /// Records a receipt, dispatch, adjustment or loss. An outflow that would take the
    /// balance below zero at any time from `occurredAt` on is refused (`BAD_USER_INPUT` at
    /// `quantity`, naming the item, the balance and the shortfall). Replaying the same
    /// `clientUuid` with the same content answers the stored movement, `duplicate: true`.
    async fn record_stock_movement(
        &self,
        ctx: &Context<'_>,
        input: StockMovementInput,
    ) -> async_graphql::Result<StockOperationResult> {
        let caller = context::caller(ctx)?;
        context::scope(ctx)?.require(Write::Stock).gql()?;
        let draft = input.check(ctx).await?.gql()?;
        ledger::record(
            context::db(ctx),
            caller,
            draft,
            &context::submit_options(ctx),
        )
        .await
        .gql()
        .map(Into::into)
    }

    /// Records a batch of receipts, dispatches, adjustments and losses made offline (at
    /// most the configured batch limit). Each item is answered on its own, in input order:
    /// `ACCEPTED`, `DUPLICATE` (an identical resend), `CONFLICT` (its `clientUuid` holds
    /// other content: `conflictingFields` names what differs), `REJECTED` (field paths
    /// such as `items.2.quantity`; an outflow the balance cannot cover names the item, the
    /// balance and the shortfall) or `RETRY`. Items are written in order, each in its own
    /// transaction: one bad item never fails the others, a receipt earlier in the batch
    /// can cover a dispatch later in it, and every accepted item is committed before the
    /// answer is sent.
    async fn record_stock_movements(
        &self,
        ctx: &Context<'_>,
        items: Vec<StockMovementInput>,
    ) -> async_graphql::Result<BatchResult<MovementNode>> {
        let caller = context::caller(ctx)?;
        context::scope(ctx)?.require(Write::Stock).gql()?;
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
                    Ok(Ok(draft)) => ledger::record_item(db, caller, draft, options).await,
                }
            }
        })
        .await;
        Ok(batch_answer::answer(
            outcomes,
            client_uuids,
            |m| m.client_uuid.unwrap_or_default(),
            MovementNode,
        ))
    }

    /// Moves stock between two warehouses: a `TRANSFER_OUT` and a `TRANSFER_IN` written
    /// together, refused if the source would go below zero.
    async fn transfer_stock(
        &self,
        ctx: &Context<'_>,
        input: TransferInput,
    ) -> async_graphql::Result<StockOperationResult> {
        let caller = context::caller(ctx)?;
        context::scope(ctx)?.require(Write::Stock).gql()?;
        let mut errors = Errors::default();
        let item_code = errors.take("itemCode", StockCode::parse("", &input.item_code));
        let quantity = stock::quantity(
            &mut errors,
            "quantity",
            input.quantity.into(),
            1,
            MAX_LINE_QUANTITY,
        );
        let occurred_at = check_when(&mut errors, input.occurred_at);
        if input.from_warehouse_id == input.to_warehouse_id {
            errors.add("toWarehouseId", "a transfer goes to another warehouse");
        }
        let particulars = input.particulars.parse(ctx, &mut errors).await?;
        let item_code = errors
            .finish(item_code)
            .gql()?
            .expect("an item code when no error was recorded");
        let draft = TransferDraft {
            client_uuid: input.client_uuid,
            from_warehouse_id: input.from_warehouse_id,
            to_warehouse_id: input.to_warehouse_id,
            item_code,
            quantity,
            occurred_at,
            particulars,
            captured_at: capture(input.captured_at),
        };
        ledger::transfer(
            context::db(ctx),
            caller,
            draft,
            &context::submit_options(ctx),
        )
        .await
        .gql()
        .map(Into::into)
    }

    /// Corrects a movement by appending its reversal (same warehouse, item, kind and date,
    /// opposite quantity, linked to it); either leg of a transfer reverses both. Refused if
    /// the reversal would take a balance below zero.
    async fn correct_stock_movement(
        &self,
        ctx: &Context<'_>,
        input: CorrectionInput,
    ) -> async_graphql::Result<StockOperationResult> {
        let caller = context::caller(ctx)?;
        context::scope(ctx)?.require(Write::Stock).gql()?;
        let mut errors = Errors::default();
        let reason = check_text(&mut errors, "reason", Some(&input.reason), 500);
        if reason.is_none() {
            errors.add("reason", "say why the movement is corrected");
        }
        errors.finish(()).gql()?;
        let draft = CorrectionDraft {
            client_uuid: input.client_uuid,
            movement_id: input.movement_id,
            reason: reason.unwrap_or_default(),
            captured_at: capture(input.captured_at),
        };
        ledger::correct(
            context::db(ctx),
            caller,
            draft,
            &context::submit_options(ctx),
        )
        .await
        .gql()
        .map(Into::into)
    }
}
