//! Warehouses: an organisation's stores, located by a point and its resolution-15 cell.

use camptrack_domain::Invalid;
use camptrack_domain::access::Write;
use camptrack_domain::stock::StockCode;
use camptrack_geo::{Cell, Coordinates};
use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::{Set, Unchanged};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, TransactionSession,
};
use serde_json::json;
use uuid::Uuid;

use super::entities::warehouse;
use super::page::{self, Page, PageRequest};
use super::scope::Scope;
use super::{Result, StorageError, Writer, audit, db};

/// A warehouse as the API shows it.
#[derive(Debug, Clone)]
pub struct Warehouse {
    /// Server id.
    pub id: Uuid,
    /// Unique code, e.g. `WH-MAIDUGURI-01`.
    pub code: String,
    /// Name.
    pub name: String,
    /// The organisation that runs it and owns its stock.
    pub organisation_id: Uuid,
    /// Its point.
    pub location: Coordinates,
    /// Resolution-15 H3 cell of the point.
    pub cell: Cell,
    /// Country p-code.
    pub admin0_pcode: String,
    /// Admin1 p-code.
    pub admin1_pcode: Option<String>,
    /// Admin2 p-code.
    pub admin2_pcode: Option<String>,
    /// Admin3 p-code.
    pub admin3_pcode: Option<String>,
    /// Whether it is a hub supplying other warehouses.
    pub is_hub: bool,
    /// Storage capacity in cubic metres.
    pub capacity_m3: Option<f64>,
    /// Optimistic-concurrency version.
    pub version: i32,
    /// When created.
    pub created_at: DateTime<Utc>,
    /// When last changed.
    pub updated_at: DateTime<Utc>,
}

/// A new warehouse or the new state of one, validated.
#[derive(Debug, Clone)]
pub struct WarehouseDraft {
    /// Unique code.
    pub code: StockCode,
    /// Name.
    pub name: String,
    /// Owner; `None` means the caller's own organisation.
    pub organisation_id: Option<Uuid>,
    /// Point.
    pub location: Coordinates,
    /// Country p-code.
    pub admin0_pcode: String,
    /// Admin1 p-code.
    pub admin1_pcode: Option<String>,
    /// Admin2 p-code.
    pub admin2_pcode: Option<String>,
    /// Admin3 p-code.
    pub admin3_pcode: Option<String>,
    /// Hub flag.
    pub is_hub: bool,
    /// Capacity in m3.
    pub capacity_m3: Option<f64>,
}

impl TryFrom<warehouse::Model> for Warehouse {
    type Error = StorageError;
    fn try_from(m: warehouse::Model) -> Result<Self> {
        let bad =
            |e: camptrack_geo::GeoError| StorageError::Db(sea_orm::DbErr::Type(e.to_string()));
        Ok(Self {
            location: Coordinates::new(m.lat, m.lon).map_err(bad)?,
            cell: Cell::try_from(m.cell).map_err(bad)?,
            id: m.id,
            code: m.code,
            name: m.name,
            organisation_id: m.organisation_id,
            admin0_pcode: m.admin0_pcode,
            admin1_pcode: m.admin1_pcode,
            admin2_pcode: m.admin2_pcode,
            admin3_pcode: m.admin3_pcode,
            is_hub: m.is_hub,
            capacity_m3: m.capacity_m3,
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

impl Warehouse {
    pub(super) fn audit_json(&self) -> serde_json::Value {
        json!({
            "code": self.code, "name": self.name, "organisationId": self.organisation_id,
            "lat": self.location.lat(), "lon": self.location.lon(), "cell": self.cell.as_i64(),
            "admin0Pcode": self.admin0_pcode, "admin1Pcode": self.admin1_pcode,
            "admin2Pcode": self.admin2_pcode, "admin3Pcode": self.admin3_pcode,
            "isHub": self.is_hub, "capacityM3": self.capacity_m3, "version": self.version,
        })
    }
}

/// The owner a draft names, checked against the caller: partners keep warehouses only
/// for their own organisation; admins and coordinators must name one.
fn owner(scope: Scope<'_>, draft: &WarehouseDraft) -> Result<Uuid> {
    let caller = scope.caller();
    match (draft.organisation_id, caller.organisation_id) {
        (Some(org), _) if scope.writes_for(org) => Ok(org),
        (Some(_), _) => Err(Invalid::one(
            "organisationCode",
            "partners keep warehouses only for their own organisation",
        )
        .into()),
        (None, Some(own)) => Ok(own),
        (None, None) => Err(Invalid::one(
            "organisationCode",
            "name the organisation that runs the warehouse",
        )
        .into()),
    }
}

fn fields(draft: &WarehouseDraft, organisation_id: Uuid) -> warehouse::ActiveModel {
    warehouse::ActiveModel {
        code: Set(draft.code.as_str().to_owned()),
        name: Set(draft.name.clone()),
        organisation_id: Set(organisation_id),
        lat: Set(draft.location.lat()),
        lon: Set(draft.location.lon()),
        cell: Set(draft.location.cell().as_i64()),
        admin0_pcode: Set(draft.admin0_pcode.clone()),
        admin1_pcode: Set(draft.admin1_pcode.clone()),
        admin2_pcode: Set(draft.admin2_pcode.clone()),
        admin3_pcode: Set(draft.admin3_pcode.clone()),
        is_hub: Set(draft.is_hub),
        capacity_m3: Set(draft.capacity_m3),
        ..Default::default()
    }
}

/// Creates a warehouse.
pub async fn create(
    db: &impl Writer,
    scope: Scope<'_>,
    draft: WarehouseDraft,
) -> Result<Warehouse> {
    scope.require(Write::Warehouses)?;
    let organisation_id = owner(scope, &draft)?;
    let txn = db::begin_write(db).await?;
    super::organisations::get(&txn, organisation_id).await?;
    let now = super::now();
    let model = warehouse::Entity::insert(warehouse::ActiveModel {
        id: Set(Uuid::now_v7()),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..fields(&draft, organisation_id)
    })
    .exec_with_returning(&txn)
    .await
    .map_err(|e| super::taken(e, "warehouse code"))?;
    let created = Warehouse::try_from(model)?;
    audit::record(
        &txn,
        Some(scope.caller()),
        audit::Change {
            action: "warehouse.create",
            entity: "warehouse",
            entity_id: created.id.to_string(),
            before: None,
            after: Some(created.audit_json()),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// Replaces a warehouse's fields if `version` is still current. Its organisation never
/// changes: the stock in it is that organisation's.
pub async fn update(
    db: &impl Writer,
    scope: Scope<'_>,
    id: Uuid,
    version: i32,
    draft: WarehouseDraft,
) -> Result<Warehouse> {
    scope.require(Write::Warehouses)?;
    let txn = db::begin_write(db).await?;
    let before = get(&txn, scope, id).await?;
    if !scope.writes_for(before.organisation_id) {
        return Err(StorageError::not_found("warehouse", id));
    }
    super::check_version("warehouse", &before.code, before.version, version, || {
        before.audit_json()
    })?;
    if draft
        .organisation_id
        .is_some_and(|org| org != before.organisation_id)
    {
        return Err(Invalid::one(
            "organisationCode",
            "a warehouse's organisation cannot change: transfer its stock to another warehouse instead",
        )
        .into());
    }
    let model = warehouse::Entity::update(warehouse::ActiveModel {
        id: Unchanged(id),
        version: Set(version + 1),
        updated_at: Set(super::now()),
        ..fields(&draft, before.organisation_id)
    })
    .validate()?
    .filter(warehouse::Column::Version.eq(version))
    .exec(&txn)
    .await
    .map_err(|e| super::taken(e, "warehouse code"))?;
    let after = Warehouse::try_from(model)?;
    audit::record(
        &txn,
        Some(scope.caller()),
        audit::Change {
            action: "warehouse.update",
            entity: "warehouse",
            entity_id: id.to_string(),
            before: Some(before.audit_json()),
            after: Some(after.audit_json()),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// The warehouse with `id`, if the caller may see it.
pub async fn get(conn: &impl ConnectionTrait, scope: Scope<'_>, id: Uuid) -> Result<Warehouse> {
    warehouse::Entity::find_by_id(id)
        .filter(scope.warehouses())
        .one(conn)
        .await?
        .ok_or_else(|| StorageError::not_found("warehouse", id))?
        .try_into()
}

/// The warehouse with `code`, if the caller may see it.
pub async fn get_by_code(
    conn: &impl ConnectionTrait,
    scope: Scope<'_>,
    code: &str,
) -> Result<Warehouse> {
    warehouse::Entity::find()
        .filter(warehouse::Column::Code.eq(code.trim().to_ascii_uppercase()))
        .filter(scope.warehouses())
        .one(conn)
        .await?
        .ok_or_else(|| StorageError::not_found("warehouse", code))?
        .try_into()
}

/// The warehouse with `id` if the caller may move stock in it, else a field error at
/// `path` that does not tell whether it exists.
pub(super) async fn writable(
    conn: &impl ConnectionTrait,
    scope: Scope<'_>,
    path: &str,
    id: Uuid,
) -> Result<Warehouse> {
    let refuse = || {
        Invalid::one(
            path,
            format!("no warehouse {id} that you may move stock in"),
        )
    };
    match get(conn, scope, id).await {
        Ok(w) if scope.writes_for(w.organisation_id) => Ok(w),
        Ok(_) | Err(StorageError::NotFound { .. }) => Err(refuse().into()),
        Err(e) => Err(e),
    }
}

/// Warehouses by id the caller may see, for nested fields.
pub async fn by_ids(
    conn: &impl ConnectionTrait,
    scope: Scope<'_>,
    ids: &[Uuid],
) -> Result<Vec<Warehouse>> {
    warehouse::Entity::find()
        .filter(warehouse::Column::Id.is_in(ids.iter().copied()))
        .filter(scope.warehouses())
        .all(conn)
        .await?
        .into_iter()
        .map(Warehouse::try_from)
        .collect()
}

/// Filters for warehouse lists.
#[derive(Debug, Default, Clone)]
pub struct WarehouseFilter {
    /// Only this organisation's.
    pub organisation_id: Option<Uuid>,
    /// Only hubs (`true`) or only non-hubs (`false`).
    pub is_hub: Option<bool>,
    /// Only warehouses with this p-code at any admin level.
    pub admin_pcode: Option<String>,
}

impl WarehouseFilter {
    pub(super) fn condition(&self) -> Condition {
        let mut cond = Condition::all();
        if let Some(org) = self.organisation_id {
            cond = cond.add(warehouse::Column::OrganisationId.eq(org));
        }
        if let Some(hub) = self.is_hub {
            cond = cond.add(warehouse::Column::IsHub.eq(hub));
        }
        if let Some(p) = &self.admin_pcode {
            cond = cond.add(super::scope::pcode_at_any_level(
                &[
                    warehouse::Column::Admin0Pcode,
                    warehouse::Column::Admin1Pcode,
                    warehouse::Column::Admin2Pcode,
                    warehouse::Column::Admin3Pcode,
                ],
                p,
            ));
        }
        cond
    }
}

/// Warehouses the caller may see, filtered, in creation order.
pub async fn list(
    conn: &impl ConnectionTrait,
    scope: Scope<'_>,
    filter: &WarehouseFilter,
    page: &PageRequest,
) -> Result<Page<Warehouse>> {
    let query = warehouse::Entity::find()
        .filter(scope.warehouses())
        .filter(filter.condition());
    page::fetch(conn, query, warehouse::Column::Id, page)
        .await?
        .try_map(Warehouse::try_from)
}
