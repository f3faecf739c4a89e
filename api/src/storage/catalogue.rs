//! The item catalogue and kits: what stock is counted in. Readable by every account,
//! edited by coordinators; seeded with the common shelter/NFI items by a migration.

use camptrack_domain::access::Write;
use camptrack_domain::codes::{ItemCategory, ItemUnit};
use camptrack_domain::stock::StockCode;
use camptrack_domain::{FieldError, Invalid};
use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::{Set, Unchanged};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    TransactionSession,
};
use serde_json::json;
use uuid::Uuid;

use super::changes::{self, EntityKind, Operation};
use super::entities::{item, kit, kit_item, stock_movement};
use super::page::{self, Page, PageRequest};
use super::scope::Scope;
use super::{Result, StorageError, Writer, audit, db, decode};

/// A catalogue item.
#[derive(Debug, Clone)]
pub struct Item {
    /// Server id.
    pub id: Uuid,
    /// Unique code, e.g. `BLANKET`.
    pub code: String,
    /// English name.
    pub name_en: String,
    /// French name.
    pub name_fr: String,
    /// Base unit every quantity of it is counted in.
    pub unit: ItemUnit,
    /// Shelter, NFI or WASH.
    pub category: ItemCategory,
    /// Base units per pack (bale, carton).
    pub pack_size: i32,
    /// Optimistic-concurrency version.
    pub version: i32,
    /// When last changed.
    pub updated_at: DateTime<Utc>,
}

/// A new item or the new state of one, validated.
#[derive(Debug, Clone)]
pub struct ItemDraft {
    /// Unique code.
    pub code: StockCode,
    /// English name.
    pub name_en: String,
    /// French name.
    pub name_fr: String,
    /// Base unit.
    pub unit: ItemUnit,
    /// Category.
    pub category: ItemCategory,
    /// Base units per pack.
    pub pack_size: i32,
}

/// A kit: items handed out together as one unit.
#[derive(Debug, Clone)]
pub struct Kit {
    /// Server id.
    pub id: Uuid,
    /// Unique code, e.g. `NFI-KIT-STD`.
    pub code: String,
    /// English name.
    pub name_en: String,
    /// French name.
    pub name_fr: String,
    /// Its items with base units per kit, in item-code order.
    pub contents: Vec<KitContent>,
    /// Optimistic-concurrency version.
    pub version: i32,
    /// When last changed.
    pub updated_at: DateTime<Utc>,
}

/// One item of a kit.
#[derive(Debug, Clone)]
pub struct KitContent {
    /// The item.
    pub item: Item,
    /// Base units of it in one kit.
    pub quantity: i32,
}

/// A new kit or the new state of one, validated (item codes are checked on write).
#[derive(Debug, Clone)]
pub struct KitDraft {
    /// Unique code.
    pub code: StockCode,
    /// English name.
    pub name_en: String,
    /// French name.
    pub name_fr: String,
    /// (item code, base units per kit), no repeats.
    pub contents: Vec<(StockCode, i32)>,
}

impl TryFrom<item::Model> for Item {
    type Error = StorageError;
    fn try_from(m: item::Model) -> Result<Self> {
        Ok(Self {
            unit: decode(&m.unit)?,
            category: decode(&m.category)?,
            id: m.id,
            code: m.code,
            name_en: m.name_en,
            name_fr: m.name_fr,
            pack_size: m.pack_size,
            version: m.version,
            updated_at: m.updated_at,
        })
    }
}

impl Item {
    fn audit_json(&self) -> serde_json::Value {
        json!({ "code": self.code, "nameEn": self.name_en, "nameFr": self.name_fr, "unit": self.unit, "category": self.category, "packSize": self.pack_size, "version": self.version })
    }
}

impl Kit {
    fn audit_json(&self) -> serde_json::Value {
        let items: Vec<_> = self
            .contents
            .iter()
            .map(|c| json!({ "itemCode": c.item.code, "quantity": c.quantity }))
            .collect();
        json!({ "code": self.code, "nameEn": self.name_en, "nameFr": self.name_fr, "items": items, "version": self.version })
    }
}

/// Creates an item (coordinators).
pub async fn create_item(db: &impl Writer, scope: Scope<'_>, draft: ItemDraft) -> Result<Item> {
    scope.require(Write::Catalogue)?;
    let txn = db::begin_write(db).await?;
    let now = super::now();
    let model = item::Entity::insert(item::ActiveModel {
        id: Set(Uuid::now_v7()),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..item_fields(&draft)
    })
    .exec_with_returning(&txn)
    .await
    .map_err(|e| super::taken(e, "item code"))?;
    let created = Item::try_from(model)?;
    changes::append(
        &txn,
        changes::Entry {
            entity: EntityKind::Item,
            entity_id: created.id.to_string(),
            operation: Operation::Create,
            after: None,
            before: None,
        },
    )
    .await?;
    audit::record(
        &txn,
        Some(scope.caller()),
        audit::Change {
            action: "item.create",
            entity: "item",
            entity_id: created.id.to_string(),
            before: None,
            after: Some(created.audit_json()),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

fn item_fields(d: &ItemDraft) -> item::ActiveModel {
    item::ActiveModel {
        code: Set(d.code.as_str().to_owned()),
        name_en: Set(d.name_en.clone()),
        name_fr: Set(d.name_fr.clone()),
        unit: Set(d.unit.to_string()),
        category: Set(d.category.to_string()),
        pack_size: Set(d.pack_size),
        ..Default::default()
    }
}

/// Replaces an item's fields if `version` is still current. The unit of an item that has
/// stock movements cannot change: its quantities are counted in it.
pub async fn update_item(
    db: &impl Writer,
    scope: Scope<'_>,
    id: Uuid,
    version: i32,
    draft: ItemDraft,
) -> Result<Item> {
    scope.require(Write::Catalogue)?;
    let txn = db::begin_write(db).await?;
    let before = get_item(&txn, id).await?;
    super::check_version("item", &before.code, before.version, version, || {
        before.audit_json()
    })?;
    if before.unit != draft.unit {
        let moved = stock_movement::Entity::find()
            .filter(stock_movement::Column::ItemId.eq(id))
            .one(&txn)
            .await?
            .is_some();
        if moved {
            return Err(Invalid::one(
                "unit",
                format!(
                    "{} already has stock counted in {}; create a new item for another unit",
                    before.code, before.unit
                ),
            )
            .into());
        }
    }
    let model = item::Entity::update(item::ActiveModel {
        id: Unchanged(id),
        version: Set(version + 1),
        updated_at: Set(super::now()),
        ..item_fields(&draft)
    })
    .validate()?
    .filter(item::Column::Version.eq(version))
    .exec(&txn)
    .await
    .map_err(|e| super::taken(e, "item code"))?;
    let after = Item::try_from(model)?;
    changes::append(
        &txn,
        changes::Entry {
            entity: EntityKind::Item,
            entity_id: id.to_string(),
            operation: Operation::Update,
            after: None,
            before: None,
        },
    )
    .await?;
    audit::record(
        &txn,
        Some(scope.caller()),
        audit::Change {
            action: "item.update",
            entity: "item",
            entity_id: id.to_string(),
            before: Some(before.audit_json()),
            after: Some(after.audit_json()),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// The item with `id`.
pub async fn get_item(conn: &impl ConnectionTrait, id: Uuid) -> Result<Item> {
    item::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| StorageError::not_found("item", id))?
        .try_into()
}

/// The item with `code` (any case).
pub async fn get_item_by_code(conn: &impl ConnectionTrait, code: &str) -> Result<Item> {
    item::Entity::find()
        .filter(item::Column::Code.eq(code.trim().to_ascii_uppercase()))
        .one(conn)
        .await?
        .ok_or_else(|| StorageError::not_found("item", code))?
        .try_into()
}

/// Items by id, for nested fields.
pub async fn items_by_ids(conn: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<Item>> {
    item::Entity::find()
        .filter(item::Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await?
        .into_iter()
        .map(Item::try_from)
        .collect()
}

/// The item with `code`, or a field error at `path` naming it.
pub(super) async fn item_for(conn: &impl ConnectionTrait, path: &str, code: &str) -> Result<Item> {
    match get_item_by_code(conn, code).await {
        Err(StorageError::NotFound { .. }) => {
            Err(Invalid::one(path, format!("no item {code} in the catalogue")).into())
        }
        other => other,
    }
}

/// Filters for item lists.
#[derive(Debug, Default, Clone)]
pub struct ItemFilter {
    /// Only these categories.
    pub categories: Vec<ItemCategory>,
}

/// Items, in creation order.
pub async fn list_items(
    conn: &impl ConnectionTrait,
    filter: &ItemFilter,
    page: &PageRequest,
) -> Result<Page<Item>> {
    let mut cond = Condition::all();
    if !filter.categories.is_empty() {
        cond = cond
            .add(item::Column::Category.is_in(filter.categories.iter().map(ToString::to_string)));
    }
    page::fetch(
        conn,
        item::Entity::find().filter(cond),
        item::Column::Id,
        page,
    )
    .await?
    .try_map(Item::try_from)
}

/// Creates a kit (coordinators).
pub async fn create_kit(db: &impl Writer, scope: Scope<'_>, draft: KitDraft) -> Result<Kit> {
    scope.require(Write::Catalogue)?;
    let txn = db::begin_write(db).await?;
    let contents = resolve_contents(&txn, &draft).await?;
    let now = super::now();
    let id = Uuid::now_v7();
    kit::Entity::insert(kit::ActiveModel {
        id: Set(id),
        code: Set(draft.code.as_str().to_owned()),
        name_en: Set(draft.name_en.clone()),
        name_fr: Set(draft.name_fr.clone()),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_without_returning(&txn)
    .await
    .map_err(|e| super::taken(e, "kit code"))?;
    write_contents(&txn, id, &contents).await?;
    let created = get_kit(&txn, id).await?;
    changes::append(
        &txn,
        changes::Entry {
            entity: EntityKind::Kit,
            entity_id: id.to_string(),
            operation: Operation::Create,
            after: None,
            before: None,
        },
    )
    .await?;
    audit::record(
        &txn,
        Some(scope.caller()),
        audit::Change {
            action: "kit.create",
            entity: "kit",
            entity_id: id.to_string(),
            before: None,
            after: Some(created.audit_json()),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// Replaces a kit's fields and contents if `version` is still current. Stock already
/// dispatched for the kit stays as it was recorded.
pub async fn update_kit(
    db: &impl Writer,
    scope: Scope<'_>,
    id: Uuid,
    version: i32,
    draft: KitDraft,
) -> Result<Kit> {
    scope.require(Write::Catalogue)?;
    let txn = db::begin_write(db).await?;
    let before = get_kit(&txn, id).await?;
    super::check_version("kit", &before.code, before.version, version, || {
        before.audit_json()
    })?;
    let contents = resolve_contents(&txn, &draft).await?;
    kit::Entity::update(kit::ActiveModel {
        id: Unchanged(id),
        code: Set(draft.code.as_str().to_owned()),
        name_en: Set(draft.name_en.clone()),
        name_fr: Set(draft.name_fr.clone()),
        version: Set(version + 1),
        updated_at: Set(super::now()),
        ..Default::default()
    })
    .validate()?
    .filter(kit::Column::Version.eq(version))
    .exec(&txn)
    .await
    .map_err(|e| super::taken(e, "kit code"))?;
    kit_item::Entity::delete_many()
        .filter(kit_item::Column::KitId.eq(id))
        .exec(&txn)
        .await?;
    write_contents(&txn, id, &contents).await?;
    let after = get_kit(&txn, id).await?;
    changes::append(
        &txn,
        changes::Entry {
            entity: EntityKind::Kit,
            entity_id: id.to_string(),
            operation: Operation::Update,
            after: None,
            before: None,
        },
    )
    .await?;
    audit::record(
        &txn,
        Some(scope.caller()),
        audit::Change {
            action: "kit.update",
            entity: "kit",
            entity_id: id.to_string(),
            before: Some(before.audit_json()),
            after: Some(after.audit_json()),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

async fn resolve_contents(
    conn: &impl ConnectionTrait,
    draft: &KitDraft,
) -> Result<Vec<(Uuid, i32)>> {
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for (i, (code, quantity)) in draft.contents.iter().enumerate() {
        match item_for(conn, &format!("items.{i}.itemCode"), code.as_str()).await {
            Ok(item) => out.push((item.id, *quantity)),
            Err(StorageError::Invalid(Invalid(mut e))) => errors.append(&mut e),
            Err(e) => return Err(e),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(Invalid(errors).into())
    }
}

async fn write_contents(
    conn: &impl ConnectionTrait,
    kit_id: Uuid,
    contents: &[(Uuid, i32)],
) -> Result<()> {
    kit_item::Entity::insert_many(contents.iter().map(|&(item_id, quantity)| {
        kit_item::ActiveModel {
            kit_id: Set(kit_id),
            item_id: Set(item_id),
            quantity: Set(quantity),
        }
    }))
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

async fn hydrate_kits(conn: &impl ConnectionTrait, rows: Vec<kit::Model>) -> Result<Vec<Kit>> {
    let ids: Vec<Uuid> = rows.iter().map(|k| k.id).collect();
    let contents = kit_item::Entity::find()
        .filter(kit_item::Column::KitId.is_in(ids))
        .all(conn)
        .await?;
    let item_ids: Vec<Uuid> = contents.iter().map(|c| c.item_id).collect();
    let items = items_by_ids(conn, &item_ids).await?;
    Ok(rows
        .into_iter()
        .map(|k| {
            let mut mine: Vec<KitContent> = contents
                .iter()
                .filter(|c| c.kit_id == k.id)
                .filter_map(|c| {
                    let item = items.iter().find(|i| i.id == c.item_id)?.clone();
                    Some(KitContent {
                        item,
                        quantity: c.quantity,
                    })
                })
                .collect();
            mine.sort_by(|a, b| a.item.code.cmp(&b.item.code));
            Kit {
                id: k.id,
                code: k.code,
                name_en: k.name_en,
                name_fr: k.name_fr,
                contents: mine,
                version: k.version,
                updated_at: k.updated_at,
            }
        })
        .collect())
}

/// The kit with `id`.
pub async fn get_kit(conn: &impl ConnectionTrait, id: Uuid) -> Result<Kit> {
    let row = kit::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| StorageError::not_found("kit", id))?;
    Ok(hydrate_kits(conn, vec![row]).await?.remove(0))
}

/// The kit with `code` (any case).
pub async fn get_kit_by_code(conn: &impl ConnectionTrait, code: &str) -> Result<Kit> {
    let row = kit::Entity::find()
        .filter(kit::Column::Code.eq(code.trim().to_ascii_uppercase()))
        .one(conn)
        .await?
        .ok_or_else(|| StorageError::not_found("kit", code))?;
    Ok(hydrate_kits(conn, vec![row]).await?.remove(0))
}

/// Kits by id, for nested fields.
pub async fn kits_by_ids(conn: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<Kit>> {
    let rows = kit::Entity::find()
        .filter(kit::Column::Id.is_in(ids.iter().copied()))
        .order_by_asc(kit::Column::Id)
        .all(conn)
        .await?;
    hydrate_kits(conn, rows).await
}

/// The kit with `code`, or a field error at `path` naming it.
pub(super) async fn kit_for(conn: &impl ConnectionTrait, path: &str, code: &str) -> Result<Kit> {
    match get_kit_by_code(conn, code).await {
        Err(StorageError::NotFound { .. }) => Err(Invalid::from(FieldError::new(
            path,
            format!("no kit {code} in the catalogue"),
        ))
        .into()),
        other => other,
    }
}

/// Kits, in creation order.
pub async fn list_kits(conn: &impl ConnectionTrait, page: &PageRequest) -> Result<Page<Kit>> {
    let mut page = page::fetch(conn, kit::Entity::find(), kit::Column::Id, page).await?;
    let items = hydrate_kits(conn, std::mem::take(&mut page.items)).await?;
    Ok(page.with_items(items))
}
