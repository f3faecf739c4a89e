//! Admin areas (OCHA COD-AB): p-code, level, parent, names and an optional boundary.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::{Set, Unchanged};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionSession,
};
use serde_json::json;

use super::changes::{self, EntityKind, Operation};
use super::entities::admin_area;
use super::{Result, StorageError, Writer, audit, db};
use crate::auth::Caller;

/// An admin area as the API shows it.
#[derive(Debug, Clone)]
pub struct AdminArea {
    /// P-code, e.g. `NG002021`.
    pub pcode: String,
    /// Admin level, 0 (country) to 5.
    pub level: i16,
    /// The parent area's p-code.
    pub parent_pcode: Option<String>,
    /// English name.
    pub name_en: String,
    /// French name.
    pub name_fr: Option<String>,
    /// Boundary as a GeoJSON Polygon or MultiPolygon.
    pub polygon: Option<serde_json::Value>,
    /// Optimistic-concurrency version.
    pub version: i32,
    /// When last changed.
    pub updated_at: DateTime<Utc>,
}

/// The new state of an admin area, validated.
#[derive(Debug, Clone)]
pub struct AdminAreaDraft {
    /// P-code.
    pub pcode: String,
    /// Level 0-5.
    pub level: i16,
    /// Parent p-code (must exist and be one level up).
    pub parent_pcode: Option<String>,
    /// English name.
    pub name_en: String,
    /// French name.
    pub name_fr: Option<String>,
    /// Boundary GeoJSON, already checked.
    pub polygon: Option<serde_json::Value>,
}

impl From<admin_area::Model> for AdminArea {
    fn from(m: admin_area::Model) -> Self {
        Self {
            pcode: m.pcode,
            level: m.level,
            parent_pcode: m.parent_pcode,
            name_en: m.name_en,
            name_fr: m.name_fr,
            polygon: m.polygon,
            version: m.version,
            updated_at: m.updated_at,
        }
    }
}

impl AdminArea {
    fn audit_json(&self) -> serde_json::Value {
        json!({
            "pcode": self.pcode, "level": self.level, "parentPcode": self.parent_pcode,
            "nameEn": self.name_en, "nameFr": self.name_fr,
            "hasPolygon": self.polygon.is_some(), "version": self.version,
        })
    }
}

async fn check_parent(conn: &impl ConnectionTrait, draft: &AdminAreaDraft) -> Result<()> {
    match (&draft.parent_pcode, draft.level) {
        (None, 0) => Ok(()),
        (None, _) => Err(camptrack_domain::Invalid::one(
            "parentPcode",
            "areas below level 0 need a parent",
        )
        .into()),
        (Some(_), 0) => Err(camptrack_domain::Invalid::one(
            "parentPcode",
            "a level-0 area (a country) has no parent",
        )
        .into()),
        (Some(parent), level) => {
            let parent_area = get(conn, parent).await.map_err(|e| match e {
                StorageError::NotFound { .. } => {
                    camptrack_domain::Invalid::one("parentPcode", format!("no admin area {parent}"))
                        .into()
                }
                other => other,
            })?;
            if parent_area.level + 1 == level {
                Ok(())
            } else {
                Err(camptrack_domain::Invalid::one(
                    "parentPcode",
                    format!(
                        "{parent} is level {}, so its children are level {}",
                        parent_area.level,
                        parent_area.level + 1
                    ),
                )
                .into())
            }
        }
    }
}

/// Creates an admin area.
pub async fn create(
    db: &impl Writer,
    actor: Option<&Caller>,
    draft: AdminAreaDraft,
) -> Result<AdminArea> {
    super::scope::require_actor(actor, camptrack_domain::access::Write::AdminAreas)?;
    let txn = db::begin_write(db).await?;
    check_parent(&txn, &draft).await?;
    let now = super::now();
    let model = admin_area::Entity::insert(admin_area::ActiveModel {
        pcode: Set(draft.pcode),
        level: Set(draft.level),
        parent_pcode: Set(draft.parent_pcode),
        name_en: Set(draft.name_en),
        name_fr: Set(draft.name_fr),
        polygon: Set(draft.polygon),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_with_returning(&txn)
    .await
    .map_err(|e| super::taken(e, "p-code"))?;
    let area = AdminArea::from(model);
    changes::append(
        &txn,
        changes::Entry {
            entity: EntityKind::AdminArea,
            entity_id: area.pcode.clone(),
            operation: Operation::Create,
            after: None,
            before: None,
        },
    )
    .await?;
    audit::record(
        &txn,
        actor,
        audit::Change {
            action: "admin_area.create",
            entity: "admin_area",
            entity_id: area.pcode.clone(),
            before: None,
            after: Some(area.audit_json()),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(area)
}

/// Replaces an admin area's names, parent and boundary if `version` is still current.
pub async fn update(
    db: &impl Writer,
    actor: &Caller,
    version: i32,
    draft: AdminAreaDraft,
) -> Result<AdminArea> {
    super::scope::require_actor(Some(actor), camptrack_domain::access::Write::AdminAreas)?;
    let txn = db::begin_write(db).await?;
    let before = get(&txn, &draft.pcode).await?;
    super::check_version("admin area", &before.pcode, before.version, version, || {
        before.audit_json()
    })?;
    check_parent(&txn, &draft).await?;
    let model = admin_area::Entity::update(admin_area::ActiveModel {
        pcode: Unchanged(draft.pcode),
        level: Set(draft.level),
        parent_pcode: Set(draft.parent_pcode),
        name_en: Set(draft.name_en),
        name_fr: Set(draft.name_fr),
        polygon: Set(draft.polygon),
        version: Set(version + 1),
        updated_at: Set(super::now()),
        ..Default::default()
    })
    .validate()?
    .filter(admin_area::Column::Version.eq(version))
    .exec(&txn)
    .await
    .map_err(|e| super::taken(e, "p-code"))?;
    let after = AdminArea::from(model);
    changes::append(
        &txn,
        changes::Entry {
            entity: EntityKind::AdminArea,
            entity_id: after.pcode.clone(),
            operation: Operation::Update,
            after: None,
            before: None,
        },
    )
    .await?;
    audit::record(
        &txn,
        Some(actor),
        audit::Change {
            action: "admin_area.update",
            entity: "admin_area",
            entity_id: after.pcode.clone(),
            before: Some(before.audit_json()),
            after: Some(after.audit_json()),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// The admin area with `pcode`.
pub async fn get(conn: &impl ConnectionTrait, pcode: &str) -> Result<AdminArea> {
    admin_area::Entity::find_by_id(pcode.to_owned())
        .one(conn)
        .await?
        .map(AdminArea::from)
        .ok_or_else(|| StorageError::not_found("admin area", pcode))
}

/// Filters for listing admin areas.
#[derive(Debug, Default)]
pub struct AdminAreaFilter {
    /// Only this level.
    pub level: Option<i16>,
    /// Only children of this p-code.
    pub parent_pcode: Option<String>,
}

/// Admin areas ordered by p-code, keyset-paginated by p-code.
pub async fn list(
    conn: &impl ConnectionTrait,
    filter: &AdminAreaFilter,
    first: u64,
    after: Option<&str>,
) -> Result<(Vec<AdminArea>, bool)> {
    let mut query = admin_area::Entity::find().order_by_asc(admin_area::Column::Pcode);
    if let Some(level) = filter.level {
        query = query.filter(admin_area::Column::Level.eq(level));
    }
    if let Some(parent) = &filter.parent_pcode {
        query = query.filter(admin_area::Column::ParentPcode.eq(parent.clone()));
    }
    if let Some(after) = after {
        query = query.filter(admin_area::Column::Pcode.gt(after.to_owned()));
    }
    let mut rows = query.limit(first + 1).all(conn).await?;
    let has_next = rows.len() as u64 > first;
    rows.truncate(usize::try_from(first).unwrap_or(usize::MAX));
    Ok((rows.into_iter().map(AdminArea::from).collect(), has_next))
}
