//! Warehouses: queries, mutations and their GraphQL types, with their balances and
//! movements nested.

use async_graphql::{Context, InputObject, Object};
use camptrack_domain::access::Write;
use camptrack_domain::error::Errors;
use camptrack_domain::pcode::PCode;
use camptrack_domain::site::check_name;
use camptrack_domain::stock::StockCode;
use camptrack_geo::Coordinates;
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::connection::{Conn, connection};
use super::context::{self, list_cost};
use super::error::{self, OrGql};
use super::organisations::{self as org_gql, OrganisationNode};
use super::scalars::{H3Cell, Location};
use super::stock::{BalanceNode, MovementFilterInput, MovementNode, balances_page, movements_page};
use crate::storage::balances::BalanceFilter;
use crate::storage::organisations;
use crate::storage::warehouses::{self, Warehouse, WarehouseDraft, WarehouseFilter};

/// A warehouse: an organisation's store of items.
#[derive(Debug, Clone)]
pub struct WarehouseNode(pub Warehouse);

#[Object(name = "Warehouse")]
impl WarehouseNode {
    /// Server id.
    async fn id(&self) -> Uuid {
        self.0.id
    }
    /// Unique code, e.g. `WH-MAIDUGURI-01`.
    async fn code(&self) -> &str {
        &self.0.code
    }
    /// Name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The organisation that runs it and owns its stock.
    async fn organisation(&self, ctx: &Context<'_>) -> async_graphql::Result<OrganisationNode> {
        organisations::get(context::db(ctx), self.0.organisation_id)
            .await
            .gql()
            .map(OrganisationNode)
    }
    /// Its point.
    async fn location(&self) -> Location {
        self.0.location.into()
    }
    /// Resolution-15 H3 cell of the point.
    async fn cell(&self) -> H3Cell {
        H3Cell(self.0.cell)
    }
    /// Country p-code.
    async fn admin0_pcode(&self) -> &str {
        &self.0.admin0_pcode
    }
    /// Admin1 p-code.
    async fn admin1_pcode(&self) -> Option<&str> {
        self.0.admin1_pcode.as_deref()
    }
    /// Admin2 p-code.
    async fn admin2_pcode(&self) -> Option<&str> {
        self.0.admin2_pcode.as_deref()
    }
    /// Admin3 p-code.
    async fn admin3_pcode(&self) -> Option<&str> {
        self.0.admin3_pcode.as_deref()
    }
    /// Whether it is a hub supplying other warehouses.
    async fn is_hub(&self) -> bool {
        self.0.is_hub
    }
    /// Storage capacity in cubic metres.
    async fn capacity_m3(&self) -> Option<f64> {
        self.0.capacity_m3
    }
    /// Its balances per item at the end of `asOf` (today by default), if the caller may
    /// see its stock; `coverWindowDays` sets the days-of-cover window.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn balances(
        &self,
        ctx: &Context<'_>,
        as_of: Option<NaiveDate>,
        #[graphql(default = 30)] cover_window_days: i32,
        #[graphql(default)] non_zero: bool,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<BalanceNode>> {
        let filter = BalanceFilter {
            warehouse_id: Some(self.0.id),
            as_of,
            non_zero,
            ..BalanceFilter::default()
        };
        balances_page(ctx, filter, cover_window_days, first, after).await
    }
    /// Its movements, if the caller may see its stock, in recording order.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn movements(
        &self,
        ctx: &Context<'_>,
        filter: Option<MovementFilterInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<MovementNode>> {
        let mut filter = match filter {
            Some(f) => f.resolve(ctx).await?,
            None => Default::default(),
        };
        filter.warehouse_id = Some(self.0.id);
        movements_page(ctx, filter, first, after).await
    }
    /// Version for optimistic concurrency.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// When created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A warehouse's fields.
#[derive(Debug, InputObject)]
pub struct WarehouseInput {
    /// Unique code: 2-40 letters, digits and single dashes.
    pub code: String,
    /// Name.
    pub name: String,
    /// The organisation that runs it; partners may omit it (their own) and may name only
    /// their own.
    pub organisation_code: Option<String>,
    /// Latitude in degrees.
    pub lat: f64,
    /// Longitude in degrees.
    pub lon: f64,
    /// Country p-code (ISO3).
    pub admin0_pcode: String,
    /// Admin1 p-code.
    pub admin1_pcode: Option<String>,
    /// Admin2 p-code.
    pub admin2_pcode: Option<String>,
    /// Admin3 p-code.
    pub admin3_pcode: Option<String>,
    /// Whether it is a hub.
    #[graphql(default)]
    pub is_hub: bool,
    /// Storage capacity in cubic metres.
    pub capacity_m3: Option<f64>,
}

impl WarehouseInput {
    async fn parse(self, ctx: &Context<'_>) -> async_graphql::Result<WarehouseDraft> {
        let mut errors = Errors::default();
        let code = errors.take("code", StockCode::parse("", &self.code));
        check_name(&mut errors, "name", &self.name, 200);
        let location = Coordinates::new(self.lat, self.lon)
            .map_err(|e| errors.add(e.field(), e.to_string()))
            .ok();
        let mut pcode = |path: &str, raw: Option<&str>| {
            raw.and_then(|p| errors.take(path, PCode::parse("", p)))
                .map(|p| p.to_string())
        };
        let admin0 = pcode("admin0Pcode", Some(&self.admin0_pcode));
        let admin1 = pcode("admin1Pcode", self.admin1_pcode.as_deref());
        let admin2 = pcode("admin2Pcode", self.admin2_pcode.as_deref());
        let admin3 = pcode("admin3Pcode", self.admin3_pcode.as_deref());
        if let Some(c) = self.capacity_m3
            && !(c.is_finite() && c > 0.0 && c <= 1.0e7)
        {
            errors.add(
                "capacityM3",
                "must be a positive number of cubic metres up to 10,000,000",
            );
        }
        let organisation_id = org_gql::code_to_id(
            ctx,
            &mut errors,
            "organisationCode",
            self.organisation_code.as_deref(),
        )
        .await?;
        errors.finish(()).gql()?;
        let (Some(code), Some(location), Some(admin0)) = (code, location, admin0) else {
            unreachable!("errors were recorded for every missing value");
        };
        Ok(WarehouseDraft {
            code,
            name: self.name.trim().to_owned(),
            organisation_id,
            location,
            admin0_pcode: admin0,
            admin1_pcode: admin1,
            admin2_pcode: admin2,
            admin3_pcode: admin3,
            is_hub: self.is_hub,
            capacity_m3: self.capacity_m3,
        })
    }
}

/// Filters for `warehouses`.
#[derive(Debug, InputObject, Default)]
pub struct WarehouseFilterInput {
    /// Only this organisation's (code).
    pub organisation_code: Option<String>,
    /// Only hubs (`true`) or only non-hubs (`false`).
    pub is_hub: Option<bool>,
    /// Only warehouses with this p-code at any admin level.
    pub admin_pcode: Option<String>,
}

impl WarehouseFilterInput {
    /// Resolves codes to ids; an unknown organisation is a `BAD_USER_INPUT`.
    pub async fn resolve(self, ctx: &Context<'_>) -> async_graphql::Result<WarehouseFilter> {
        let mut errors = Errors::default();
        let organisation_id = org_gql::code_to_id(
            ctx,
            &mut errors,
            "filter.organisationCode",
            self.organisation_code.as_deref(),
        )
        .await?;
        errors.finish(()).gql()?;
        Ok(WarehouseFilter {
            organisation_id,
            is_hub: self.is_hub,
            admin_pcode: self.admin_pcode.map(|p| p.trim().to_ascii_uppercase()),
        })
    }
}

/// Warehouse queries.
#[derive(Debug, Default)]
pub struct WarehouseQuery;

#[Object]
impl WarehouseQuery {
    /// Warehouses the caller may see (partners and enumerators: their own organisation's),
    /// in creation order.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn warehouses(
        &self,
        ctx: &Context<'_>,
        filter: Option<WarehouseFilterInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<WarehouseNode>> {
        let scope = context::scope(ctx)?;
        let page = context::page_request(ctx, first, after.as_deref())?;
        let filter = filter.unwrap_or_default().resolve(ctx).await?;
        let items = warehouses::list(context::db(ctx), scope, &filter, &page)
            .await
            .gql()?;
        Ok(connection(
            items,
            page.after.is_some(),
            |w| w.id.to_string(),
            WarehouseNode,
        ))
    }

    /// One warehouse by id or by code.
    async fn warehouse(
        &self,
        ctx: &Context<'_>,
        id: Option<Uuid>,
        code: Option<String>,
    ) -> async_graphql::Result<WarehouseNode> {
        let scope = context::scope(ctx)?;
        let db = context::db(ctx);
        match (id, code) {
            (Some(id), None) => warehouses::get(db, scope, id).await,
            (None, Some(code)) => warehouses::get_by_code(db, scope, &code).await,
            _ => {
                return Err(error::invalid(&camptrack_domain::Invalid::one(
                    "id",
                    "give exactly one of id or code",
                )));
            }
        }
        .gql()
        .map(WarehouseNode)
    }
}

/// Warehouse mutations (partners for their own organisation, coordinators for any).
#[derive(Debug, Default)]
pub struct WarehouseMutation;

#[Object]
impl WarehouseMutation {
    /// Registers a warehouse.
    async fn create_warehouse(
        &self,
        ctx: &Context<'_>,
        input: WarehouseInput,
    ) -> async_graphql::Result<WarehouseNode> {
        let scope = context::scope(ctx)?;
        scope.require(Write::Warehouses).gql()?;
        let draft = input.parse(ctx).await?;
        warehouses::create(context::db(ctx), scope, draft)
            .await
            .gql()
            .map(WarehouseNode)
    }

    /// Replaces a warehouse's fields; `version` is the one you last read. Its organisation
    /// never changes.
    async fn update_warehouse(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        version: i32,
        input: WarehouseInput,
    ) -> async_graphql::Result<WarehouseNode> {
        let scope = context::scope(ctx)?;
        scope.require(Write::Warehouses).gql()?;
        let draft = input.parse(ctx).await?;
        warehouses::update(context::db(ctx), scope, id, version, draft)
            .await
            .gql()
            .map(WarehouseNode)
    }
}
