//! Assessment rounds: a number and a coverage window.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::ActiveValue::{Set, Unchanged};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionSession};
use serde_json::json;
use uuid::Uuid;

use super::changes::{self, EntityKind, Operation};
use super::entities::round;
use super::page::{self, Page, PageRequest};
use super::{Result, StorageError, Writer, audit, db};
use crate::auth::Caller;

/// A round as the API shows it.
#[derive(Debug, Clone)]
pub struct Round {
    /// Server id.
    pub id: Uuid,
    /// Round number, unique.
    pub number: i32,
    /// Name, e.g. "Round 12 (Borno)".
    pub name: String,
    /// First day of the coverage window.
    pub starts_on: NaiveDate,
    /// Last day of the coverage window.
    pub ends_on: NaiveDate,
    /// When last changed.
    pub updated_at: DateTime<Utc>,
}

/// A round's fields, validated.
#[derive(Debug, Clone)]
pub struct RoundDraft {
    /// Round number.
    pub number: i32,
    /// Name.
    pub name: String,
    /// Window start.
    pub starts_on: NaiveDate,
    /// Window end.
    pub ends_on: NaiveDate,
}

impl From<round::Model> for Round {
    fn from(m: round::Model) -> Self {
        Self {
            id: m.id,
            number: m.number,
            name: m.name,
            starts_on: m.starts_on,
            ends_on: m.ends_on,
            updated_at: m.updated_at,
        }
    }
}

fn audit_json(r: &Round) -> serde_json::Value {
    json!({ "number": r.number, "name": r.name, "startsOn": r.starts_on, "endsOn": r.ends_on })
}

/// Creates a round.
pub async fn create(db: &impl Writer, actor: Option<&Caller>, draft: RoundDraft) -> Result<Round> {
    super::scope::require_actor(actor, camptrack_domain::access::Write::Rounds)?;
    let txn = db::begin_write(db).await?;
    let now = super::now();
    let model = round::Entity::insert(round::ActiveModel {
        id: Set(Uuid::now_v7()),
        number: Set(draft.number),
        name: Set(draft.name),
        starts_on: Set(draft.starts_on),
        ends_on: Set(draft.ends_on),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_with_returning(&txn)
    .await
    .map_err(|e| super::taken(e, "round number"))?;
    let created = Round::from(model);
    changes::append(
        &txn,
        changes::Entry {
            entity: EntityKind::Round,
            entity_id: created.id.to_string(),
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
            action: "round.create",
            entity: "round",
            entity_id: created.id.to_string(),
            before: None,
            after: Some(audit_json(&created)),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// Renames a round or moves its window (its number never changes: assessments carry it).
pub async fn update(
    db: &impl Writer,
    actor: &Caller,
    number: i32,
    name: String,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
) -> Result<Round> {
    super::scope::require_actor(Some(actor), camptrack_domain::access::Write::Rounds)?;
    let txn = db::begin_write(db).await?;
    let before = get_by_number(&txn, number).await?;
    let model = round::Entity::update(round::ActiveModel {
        id: Unchanged(before.id),
        name: Set(name),
        starts_on: Set(starts_on),
        ends_on: Set(ends_on),
        updated_at: Set(super::now()),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    let after = Round::from(model);
    changes::append(
        &txn,
        changes::Entry {
            entity: EntityKind::Round,
            entity_id: after.id.to_string(),
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
            action: "round.update",
            entity: "round",
            entity_id: after.id.to_string(),
            before: Some(audit_json(&before)),
            after: Some(audit_json(&after)),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// The round numbered `number`.
pub async fn get_by_number(conn: &impl ConnectionTrait, number: i32) -> Result<Round> {
    round::Entity::find()
        .filter(round::Column::Number.eq(number))
        .one(conn)
        .await?
        .map(Round::from)
        .ok_or_else(|| StorageError::not_found("round", number))
}

/// Every round, by number.
pub async fn all(conn: &impl ConnectionTrait) -> Result<Vec<Round>> {
    use sea_orm::QueryOrder;
    Ok(round::Entity::find()
        .order_by_asc(round::Column::Number)
        .all(conn)
        .await?
        .into_iter()
        .map(Round::from)
        .collect())
}

/// Rounds by creation order.
pub async fn list(conn: &impl ConnectionTrait, page: &PageRequest) -> Result<Page<Round>> {
    Ok(
        page::fetch(conn, round::Entity::find(), round::Column::Id, page)
            .await?
            .map(Round::from),
    )
}
