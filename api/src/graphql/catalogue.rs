//! The item catalogue and kits: readable by every account, edited by coordinators.

use async_graphql::{Context, InputObject, Object};
use camptrack_domain::error::Errors;
use camptrack_domain::site::check_name;
use camptrack_domain::stock::{self, MAX_KIT_QUANTITY, MAX_LINES, MAX_PACK_SIZE, StockCode};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::connection::{Conn, connection};
use super::context::{self, list_cost};
use super::enums::{ItemCategory, ItemUnit};
use super::error::{self, OrGql};
use crate::storage::catalogue::{self, Item, ItemDraft, ItemFilter, Kit, KitContent, KitDraft};

/// A catalogue item. Every stock quantity of it is a whole number of its base `unit`.
#[derive(Debug, Clone)]
pub struct ItemNode(pub Item);

#[Object(name = "Item")]
impl ItemNode {
    /// Server id.
    async fn id(&self) -> Uuid {
        self.0.id
    }
    /// Unique code, e.g. `BLANKET` (HXL `#item+code`).
    async fn code(&self) -> &str {
        &self.0.code
    }
    /// English name (HXL `#item+name`).
    async fn name_en(&self) -> &str {
        &self.0.name_en
    }
    /// French name.
    async fn name_fr(&self) -> &str {
        &self.0.name_fr
    }
    /// Base unit (HXL `#item+unit`).
    async fn unit(&self) -> ItemUnit {
        self.0.unit.into()
    }
    /// Shelter, NFI or WASH.
    async fn category(&self) -> ItemCategory {
        self.0.category.into()
    }
    /// Base units per pack (bale, carton).
    async fn pack_size(&self) -> i32 {
        self.0.pack_size
    }
    /// Version for optimistic concurrency.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// When last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A kit: items handed out together as one unit.
#[derive(Debug, Clone)]
pub struct KitNode(pub Kit);

/// One item of a kit.
#[derive(Debug, Clone)]
pub struct KitItemNode(pub KitContent);

#[Object(name = "KitItem")]
impl KitItemNode {
    /// The item.
    async fn item(&self) -> ItemNode {
        ItemNode(self.0.item.clone())
    }
    /// Base units of it in one kit.
    async fn quantity(&self) -> i32 {
        self.0.quantity
    }
}

#[Object(name = "Kit")]
impl KitNode {
    /// Server id.
    async fn id(&self) -> Uuid {
        self.0.id
    }
    /// Unique code, e.g. `NFI-KIT-STD`.
    async fn code(&self) -> &str {
        &self.0.code
    }
    /// English name.
    async fn name_en(&self) -> &str {
        &self.0.name_en
    }
    /// French name.
    async fn name_fr(&self) -> &str {
        &self.0.name_fr
    }
    /// Its items, in item-code order.
    async fn items(&self) -> Vec<KitItemNode> {
        self.0.contents.iter().cloned().map(KitItemNode).collect()
    }
    /// Version for optimistic concurrency.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// When last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// An item's fields.
#[derive(Debug, InputObject)]
pub struct ItemInput {
    /// Unique code: 2-40 letters, digits and single dashes.
    pub code: String,
    /// English name.
    pub name_en: String,
    /// French name.
    pub name_fr: String,
    /// Base unit.
    pub unit: ItemUnit,
    /// Category.
    pub category: ItemCategory,
    /// Base units per pack.
    #[graphql(default = 1)]
    pub pack_size: i32,
}

impl ItemInput {
    fn parse(self) -> Result<ItemDraft, camptrack_domain::Invalid> {
        let mut errors = Errors::default();
        let code = errors.take("code", StockCode::parse("", &self.code));
        check_name(&mut errors, "nameEn", &self.name_en, 200);
        check_name(&mut errors, "nameFr", &self.name_fr, 200);
        let pack = stock::quantity(
            &mut errors,
            "packSize",
            self.pack_size.into(),
            1,
            MAX_PACK_SIZE,
        );
        let draft = code.map(|code| ItemDraft {
            code,
            name_en: self.name_en.trim().to_owned(),
            name_fr: self.name_fr.trim().to_owned(),
            unit: self.unit.into(),
            category: self.category.into(),
            pack_size: i32::try_from(pack).unwrap_or(1),
        });
        errors
            .finish(draft)
            .map(|d| d.expect("a code when no error was recorded"))
    }
}

/// One item of a kit.
#[derive(Debug, InputObject)]
pub struct KitItemInput {
    /// The item's code.
    pub item_code: String,
    /// Base units of it in one kit.
    pub quantity: i32,
}

/// A kit's fields.
#[derive(Debug, InputObject)]
pub struct KitInput {
    /// Unique code.
    pub code: String,
    /// English name.
    pub name_en: String,
    /// French name.
    pub name_fr: String,
    /// Its items (at least one, no repeats).
    pub items: Vec<KitItemInput>,
}

impl KitInput {
    fn parse(self) -> Result<KitDraft, camptrack_domain::Invalid> {
        let mut errors = Errors::default();
        let code = errors.take("code", StockCode::parse("", &self.code));
        check_name(&mut errors, "nameEn", &self.name_en, 200);
        check_name(&mut errors, "nameFr", &self.name_fr, 200);
        if self.items.is_empty() || self.items.len() > MAX_LINES {
            errors.add("items", format!("a kit holds 1 to {MAX_LINES} items"));
        }
        let mut contents: Vec<(StockCode, i32)> = Vec::new();
        for (i, it) in self.items.iter().enumerate() {
            let q = stock::quantity(
                &mut errors,
                &format!("items.{i}.quantity"),
                it.quantity.into(),
                1,
                MAX_KIT_QUANTITY,
            );
            if let Some(c) = errors.take(
                &format!("items.{i}.itemCode"),
                StockCode::parse("", &it.item_code),
            ) {
                if contents.iter().any(|(seen, _)| *seen == c) {
                    errors.add(
                        format!("items.{i}.itemCode"),
                        format!("{c} is listed twice"),
                    );
                }
                contents.push((c, i32::try_from(q).unwrap_or(1)));
            }
        }
        let draft = code.map(|code| KitDraft {
            code,
            name_en: self.name_en.trim().to_owned(),
            name_fr: self.name_fr.trim().to_owned(),
            contents,
        });
        errors
            .finish(draft)
            .map(|d| d.expect("a code when no error was recorded"))
    }
}

/// Catalogue queries (any account).
#[derive(Debug, Default)]
pub struct CatalogueQuery;

#[Object]
impl CatalogueQuery {
    /// Catalogue items, in creation order.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn items(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] categories: Vec<ItemCategory>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<ItemNode>> {
        context::caller(ctx)?;
        let page = context::page_request(ctx, first, after.as_deref())?;
        let filter = ItemFilter {
            categories: categories.into_iter().map(Into::into).collect(),
        };
        let items = catalogue::list_items(context::db(ctx), &filter, &page)
            .await
            .gql()?;
        Ok(connection(
            items,
            page.after.is_some(),
            |i| i.id.to_string(),
            ItemNode,
        ))
    }

    /// One item by id or by code.
    async fn item(
        &self,
        ctx: &Context<'_>,
        id: Option<Uuid>,
        code: Option<String>,
    ) -> async_graphql::Result<ItemNode> {
        context::caller(ctx)?;
        let db = context::db(ctx);
        match (id, code) {
            (Some(id), None) => catalogue::get_item(db, id).await,
            (None, Some(code)) => catalogue::get_item_by_code(db, &code).await,
            _ => {
                return Err(error::invalid(&camptrack_domain::Invalid::one(
                    "id",
                    "give exactly one of id or code",
                )));
            }
        }
        .gql()
        .map(ItemNode)
    }

    /// Kits, in creation order.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn kits(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<KitNode>> {
        context::caller(ctx)?;
        let page = context::page_request(ctx, first, after.as_deref())?;
        let kits = catalogue::list_kits(context::db(ctx), &page).await.gql()?;
        Ok(connection(
            kits,
            page.after.is_some(),
            |k| k.id.to_string(),
            KitNode,
        ))
    }

    /// One kit by id or by code.
    async fn kit(
        &self,
        ctx: &Context<'_>,
        id: Option<Uuid>,
        code: Option<String>,
    ) -> async_graphql::Result<KitNode> {
        context::caller(ctx)?;
        let db = context::db(ctx);
        match (id, code) {
            (Some(id), None) => catalogue::get_kit(db, id).await,
            (None, Some(code)) => catalogue::get_kit_by_code(db, &code).await,
            _ => {
                return Err(error::invalid(&camptrack_domain::Invalid::one(
                    "id",
                    "give exactly one of id or code",
                )));
            }
        }
        .gql()
        .map(KitNode)
    }
}

/// Catalogue mutations (coordinators).
#[derive(Debug, Default)]
pub struct CatalogueMutation;

#[Object]
impl CatalogueMutation {
    /// Adds an item to the catalogue.
    async fn create_item(
        &self,
        ctx: &Context<'_>,
        input: ItemInput,
    ) -> async_graphql::Result<ItemNode> {
        let scope = context::scope(ctx)?;
        scope
            .require(camptrack_domain::access::Write::Catalogue)
            .gql()?;
        let draft = input.parse().gql()?;
        catalogue::create_item(context::db(ctx), scope, draft)
            .await
            .gql()
            .map(ItemNode)
    }

    /// Replaces an item's fields; `version` is the one you last read.
    async fn update_item(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        version: i32,
        input: ItemInput,
    ) -> async_graphql::Result<ItemNode> {
        let scope = context::scope(ctx)?;
        scope
            .require(camptrack_domain::access::Write::Catalogue)
            .gql()?;
        let draft = input.parse().gql()?;
        catalogue::update_item(context::db(ctx), scope, id, version, draft)
            .await
            .gql()
            .map(ItemNode)
    }

    /// Adds a kit.
    async fn create_kit(
        &self,
        ctx: &Context<'_>,
        input: KitInput,
    ) -> async_graphql::Result<KitNode> {
        let scope = context::scope(ctx)?;
        scope
            .require(camptrack_domain::access::Write::Catalogue)
            .gql()?;
        let draft = input.parse().gql()?;
        catalogue::create_kit(context::db(ctx), scope, draft)
            .await
            .gql()
            .map(KitNode)
    }

    /// Replaces a kit's fields and contents; `version` is the one you last read. Stock
    /// already dispatched for the kit stays as recorded.
    async fn update_kit(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        version: i32,
        input: KitInput,
    ) -> async_graphql::Result<KitNode> {
        let scope = context::scope(ctx)?;
        scope
            .require(camptrack_domain::access::Write::Catalogue)
            .gql()?;
        let draft = input.parse().gql()?;
        catalogue::update_kit(context::db(ctx), scope, id, version, draft)
            .await
            .gql()
            .map(KitNode)
    }
}
