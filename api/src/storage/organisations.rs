//! Organisations: UN agencies, NGOs, government bodies, donors.

use camptrack_domain::codes::OrganisationType;
use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::{Set, Unchanged};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionSession};
use serde_json::json;
use uuid::Uuid;

use super::entities::organisation;
use super::page::{self, Page, PageRequest};
use super::{Result, StorageError, Writer, audit, db, decode};
use crate::auth::Caller;

/// An organisation as the API shows it.
#[derive(Debug, Clone)]
pub struct Organisation {
    /// Server id.
    pub id: Uuid,
    /// Short unique code, e.g. `IOM`.
    pub code: String,
    /// Full name.
    pub name: String,
    /// Acronym, if different from the code.
    pub acronym: Option<String>,
    /// Kind of organisation.
    pub org_type: OrganisationType,
    /// Optimistic-concurrency version.
    pub version: i32,
    /// When created.
    pub created_at: DateTime<Utc>,
    /// When last changed.
    pub updated_at: DateTime<Utc>,
}

/// A new organisation or the new state of one, validated.
#[derive(Debug, Clone)]
pub struct OrganisationDraft {
    /// Unique code (upper-case letters, digits, dashes).
    pub code: String,
    /// Full name.
    pub name: String,
    /// Acronym.
    pub acronym: Option<String>,
    /// Kind.
    pub org_type: OrganisationType,
}

impl TryFrom<organisation::Model> for Organisation {
    type Error = StorageError;
    fn try_from(m: organisation::Model) -> Result<Self> {
        Ok(Self {
            org_type: decode(&m.org_type)?,
            id: m.id,
            code: m.code,
            name: m.name,
            acronym: m.acronym,
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

impl Organisation {
    fn audit_json(&self) -> serde_json::Value {
        json!({ "code": self.code, "name": self.name, "acronym": self.acronym, "type": self.org_type, "version": self.version })
    }
}

/// Creates an organisation.
pub async fn create(
    db: &impl Writer,
    actor: &Caller,
    draft: OrganisationDraft,
) -> Result<Organisation> {
    super::scope::require_actor(Some(actor), camptrack_domain::access::Write::Organisations)?;
    let txn = db::begin_write(db).await?;
    let now = super::now();
    let model = organisation::Entity::insert(organisation::ActiveModel {
        id: Set(Uuid::now_v7()),
        code: Set(draft.code),
        name: Set(draft.name),
        acronym: Set(draft.acronym),
        org_type: Set(draft.org_type.to_string()),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_with_returning(&txn)
    .await
    .map_err(|e| super::taken(e, "organisation code"))?;
    let org = Organisation::try_from(model)?;
    audit::record(
        &txn,
        Some(actor),
        audit::Change {
            action: "organisation.create",
            entity: "organisation",
            entity_id: org.id.to_string(),
            before: None,
            after: Some(org.audit_json()),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(org)
}

/// Replaces an organisation's fields if `version` is still current.
pub async fn update(
    db: &impl Writer,
    actor: &Caller,
    id: Uuid,
    version: i32,
    draft: OrganisationDraft,
) -> Result<Organisation> {
    super::scope::require_actor(Some(actor), camptrack_domain::access::Write::Organisations)?;
    let txn = db::begin_write(db).await?;
    let before = get(&txn, id).await?;
    super::check_version(
        "organisation",
        &before.code,
        before.version,
        version,
        || before.audit_json(),
    )?;
    let model = organisation::Entity::update(organisation::ActiveModel {
        id: Unchanged(id),
        code: Set(draft.code),
        name: Set(draft.name),
        acronym: Set(draft.acronym),
        org_type: Set(draft.org_type.to_string()),
        version: Set(version + 1),
        created_at: Unchanged(before.created_at),
        updated_at: Set(super::now()),
    })
    .validate()?
    .filter(organisation::Column::Version.eq(version))
    .exec(&txn)
    .await
    .map_err(|e| super::taken(e, "organisation code"))?;
    let after = Organisation::try_from(model)?;
    audit::record(
        &txn,
        Some(actor),
        audit::Change {
            action: "organisation.update",
            entity: "organisation",
            entity_id: id.to_string(),
            before: Some(before.audit_json()),
            after: Some(after.audit_json()),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// The organisation with `id`.
pub async fn get(conn: &impl ConnectionTrait, id: Uuid) -> Result<Organisation> {
    organisation::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| StorageError::not_found("organisation", id))?
        .try_into()
}

/// The organisation with `code`.
pub async fn get_by_code(conn: &impl ConnectionTrait, code: &str) -> Result<Organisation> {
    organisation::Entity::find()
        .filter(organisation::Column::Code.eq(code))
        .one(conn)
        .await?
        .ok_or_else(|| StorageError::not_found("organisation", code))?
        .try_into()
}

/// Organisations by creation order.
pub async fn list(conn: &impl ConnectionTrait, page: &PageRequest) -> Result<Page<Organisation>> {
    page::fetch(
        conn,
        organisation::Entity::find(),
        organisation::Column::Id,
        page,
    )
    .await?
    .try_map(Organisation::try_from)
}

/// Organisations by id, for batch loading.
pub async fn by_ids(conn: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<Organisation>> {
    organisation::Entity::find()
        .filter(organisation::Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await?
        .into_iter()
        .map(Organisation::try_from)
        .collect()
}

/// The id of the organisation with `code` (any case, trimmed), or `None` when no code is
/// given; an unknown code is recorded in `errors` at `path`.
pub async fn code_to_id(
    conn: &impl ConnectionTrait,
    errors: &mut camptrack_domain::error::Errors,
    path: &str,
    code: Option<&str>,
) -> Result<Option<Uuid>> {
    let Some(code) = code else {
        return Ok(None);
    };
    match get_by_code(conn, &code.trim().to_ascii_uppercase()).await {
        Ok(org) => Ok(Some(org.id)),
        Err(StorageError::NotFound { .. }) => {
            errors.add(path, format!("no organisation {code}"));
            Ok(None)
        }
        Err(e) => Err(e),
    }
}
