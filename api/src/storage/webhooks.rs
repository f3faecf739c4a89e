//! Webhook registrations: create, list, pause, resume, delete, rotate the secret. Who may
//! see and manage which webhook is [`Scope::webhooks`]; every change is audited (never
//! with the secret).
//!
//! A webhook acts as its owner account: the worker reads the change log with the owner's
//! scope, so a partner's webhook carries only what that partner may read.

use camptrack_domain::access::Write;
use camptrack_domain::pcode::PCode;
use camptrack_geo::Cell;
use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::{Set, Unchanged};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionSession};
use serde_json::json;
use uuid::Uuid;

use super::entities::webhook;
use super::page::{self, Page, PageRequest};
use super::scope::Scope;
use super::{Result, StorageError, Writer, audit, changes, db};
use crate::auth::AccountArea;
use crate::webhooks::payload::EventType;

/// How long a rotated-out secret still signs deliveries beside the new one, so receivers
/// can switch without dropping events.
pub const PREVIOUS_SECRET_GRACE: chrono::TimeDelta = chrono::TimeDelta::hours(24);

/// Whether a webhook is being delivered to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookStatus {
    /// Changes are queued and delivered.
    Active,
    /// Paused by a user: nothing is queued or sent; resuming catches up from where it
    /// stopped.
    Paused,
    /// Stopped by camptrack after failing for too long (see `disabled_reason`); resuming
    /// catches up like a pause.
    Disabled,
}

impl WebhookStatus {
    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Active => "ACTIVE",
            Self::Paused => "PAUSED",
            Self::Disabled => "DISABLED",
        }
    }

    fn parse(code: &str) -> Result<Self> {
        Ok(match code {
            "ACTIVE" => Self::Active,
            "PAUSED" => Self::Paused,
            "DISABLED" => Self::Disabled,
            other => {
                return Err(StorageError::Db(sea_orm::DbErr::Type(format!(
                    "unknown webhook status {other}"
                ))));
            }
        })
    }
}

/// A webhook as the API shows it (never its secret).
#[derive(Debug, Clone)]
pub struct Webhook {
    /// Id.
    pub id: Uuid,
    /// The account it acts as.
    pub owner_account_id: Uuid,
    /// The owner's organisation (none for admins and coordinators without one).
    pub organisation_id: Option<Uuid>,
    /// Where events are POSTed.
    pub url: String,
    /// A note for people.
    pub description: Option<String>,
    /// Event types delivered.
    pub events: Vec<EventType>,
    /// Only records in this area (none: everywhere the owner sees).
    pub area: Option<AccountArea>,
    /// Whether it is delivered to.
    pub status: WebhookStatus,
    /// Why camptrack disabled it.
    pub disabled_reason: Option<String>,
    /// Since when every attempt failed (none while it works).
    pub failing_since: Option<DateTime<Utc>>,
    /// Optimistic-concurrency version.
    pub version: i32,
    /// When registered.
    pub created_at: DateTime<Utc>,
    /// When last changed.
    pub updated_at: DateTime<Utc>,
}

/// A new webhook, validated (its URL already passed the SSRF guard).
#[derive(Debug, Clone)]
pub struct WebhookDraft {
    /// The URL.
    pub url: String,
    /// A note.
    pub description: Option<String>,
    /// Event types; at least one.
    pub events: Vec<EventType>,
    /// Optional area.
    pub area: Option<AccountArea>,
}

/// A webhook and its secret, shown once (at creation and rotation).
pub struct WithSecret {
    /// The webhook.
    pub webhook: Webhook,
    /// `whsec_...`: the signing secret.
    pub secret: String,
}

// The secret never reaches a log through `Debug`.
impl std::fmt::Debug for WithSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WithSecret")
            .field("webhook", &self.webhook)
            .finish_non_exhaustive()
    }
}

pub(super) fn join<T: ToString>(items: &[T]) -> Option<String> {
    (!items.is_empty()).then(|| {
        items
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",")
    })
}

/// The stored area of a webhook row.
pub(super) fn area_of(m: &webhook::Model) -> Result<Option<AccountArea>> {
    let bad = |e: String| StorageError::Db(sea_orm::DbErr::Type(e));
    let split = |s: &Option<String>| -> Vec<String> {
        s.as_deref()
            .unwrap_or("")
            .split(',')
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let cells = split(&m.area_cells)
        .iter()
        .map(|c| c.parse::<Cell>().map_err(|e| bad(e.to_string())))
        .collect::<Result<Vec<_>>>()?;
    let pcodes = split(&m.area_pcodes)
        .iter()
        .map(|p| PCode::parse("", p).map_err(|e| bad(e.to_string())))
        .collect::<Result<Vec<_>>>()?;
    let area = AccountArea { cells, pcodes };
    Ok(area.is_bound().then_some(area))
}

/// The stored event types of a webhook row.
pub(super) fn events_of(m: &webhook::Model) -> Vec<EventType> {
    m.events.split(',').filter_map(EventType::parse).collect()
}

impl TryFrom<webhook::Model> for Webhook {
    type Error = StorageError;
    fn try_from(m: webhook::Model) -> Result<Self> {
        Ok(Self {
            area: area_of(&m)?,
            events: events_of(&m),
            status: WebhookStatus::parse(&m.status)?,
            id: m.id,
            owner_account_id: m.owner_account_id,
            organisation_id: m.organisation_id,
            url: m.url,
            description: m.description,
            disabled_reason: m.disabled_reason,
            failing_since: m.failing_since,
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

impl Webhook {
    fn audit_json(&self) -> serde_json::Value {
        json!({
            "url": self.url,
            "description": self.description,
            "events": self.events.iter().map(|e| e.code()).collect::<Vec<_>>(),
            "areaCells": self.area.as_ref().map(|a| a.cells.iter().map(ToString::to_string).collect::<Vec<_>>()),
            "areaPcodes": self.area.as_ref().map(|a| a.pcodes.iter().map(ToString::to_string).collect::<Vec<_>>()),
            "status": self.status.code(),
            "ownerAccountId": self.owner_account_id,
            "organisationId": self.organisation_id,
            "version": self.version,
        })
    }
}

/// Registers a webhook owned by the caller; it receives changes committed from now on.
pub async fn create(db: &impl Writer, scope: Scope<'_>, draft: WebhookDraft) -> Result<WithSecret> {
    scope.require(Write::Webhooks)?;
    let caller = scope.caller();
    if draft.events.is_empty() {
        return Err(
            camptrack_domain::Invalid::one("events", "name at least one event type").into(),
        );
    }
    if draft
        .description
        .as_ref()
        .is_some_and(|d| d.chars().count() > 200)
    {
        return Err(camptrack_domain::Invalid::one("description", "at most 200 characters").into());
    }
    let secret = crate::webhooks::sign::new_secret();
    let txn = db::begin_write(db).await?;
    let (xid, seq) = changes::head(&txn).await?.parts();
    let now = super::now();
    let mut events = draft.events.clone();
    events.dedup();
    let area = draft.area.filter(AccountArea::is_bound);
    let model = webhook::Entity::insert(webhook::ActiveModel {
        id: Set(Uuid::now_v7()),
        owner_account_id: Set(caller.account_id),
        organisation_id: Set(caller.organisation_id),
        url: Set(draft.url),
        description: Set(draft.description),
        secret: Set(secret.clone()),
        previous_secret: Set(None),
        previous_secret_until: Set(None),
        events: Set(events
            .iter()
            .map(|e| e.code())
            .collect::<Vec<_>>()
            .join(",")),
        area_cells: Set(area.as_ref().and_then(|a| join(&a.cells))),
        area_pcodes: Set(area.as_ref().and_then(|a| join(&a.pcodes))),
        status: Set(WebhookStatus::Active.code().to_owned()),
        disabled_reason: Set(None),
        cursor_xid: Set(xid),
        cursor_seq: Set(seq),
        failing_since: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_with_returning(&txn)
    .await?;
    let created = Webhook::try_from(model)?;
    audit::record(
        &txn,
        Some(caller),
        audit::Change {
            action: "webhook.create",
            entity: "webhook",
            entity_id: created.id.to_string(),
            before: None,
            after: Some(created.audit_json()),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(WithSecret {
        webhook: created,
        secret,
    })
}

/// The webhook with `id`, if the caller may see it.
pub async fn get(conn: &impl ConnectionTrait, scope: Scope<'_>, id: Uuid) -> Result<Webhook> {
    model(conn, scope, id).await?.try_into()
}

async fn model(conn: &impl ConnectionTrait, scope: Scope<'_>, id: Uuid) -> Result<webhook::Model> {
    scope.require(Write::Webhooks)?;
    webhook::Entity::find_by_id(id)
        .filter(scope.webhooks())
        .one(conn)
        .await?
        .ok_or_else(|| StorageError::not_found("webhook", id))
}

/// Webhooks the caller may see, in registration order.
pub async fn list(
    conn: &impl ConnectionTrait,
    scope: Scope<'_>,
    page: &PageRequest,
) -> Result<Page<Webhook>> {
    scope.require(Write::Webhooks)?;
    let query = webhook::Entity::find().filter(scope.webhooks());
    page::fetch(conn, query, webhook::Column::Id, page)
        .await?
        .try_map(Webhook::try_from)
}

/// Pauses (`paused`) or resumes a webhook. Resuming a paused or disabled webhook clears
/// its failure state; it then catches up from where it stopped.
pub async fn set_paused(
    db: &impl Writer,
    scope: Scope<'_>,
    id: Uuid,
    paused: bool,
) -> Result<Webhook> {
    let status = if paused {
        WebhookStatus::Paused
    } else {
        WebhookStatus::Active
    };
    change(
        db,
        scope,
        id,
        if paused {
            "webhook.pause"
        } else {
            "webhook.resume"
        },
        |m| webhook::ActiveModel {
            status: Set(status.code().to_owned()),
            disabled_reason: Set(None),
            failing_since: Set(if paused { m.failing_since } else { None }),
            ..Default::default()
        },
    )
    .await
}

/// Replaces the secret; the old one keeps signing beside it for [`PREVIOUS_SECRET_GRACE`].
pub async fn rotate_secret(db: &impl Writer, scope: Scope<'_>, id: Uuid) -> Result<WithSecret> {
    let secret = crate::webhooks::sign::new_secret();
    let new = secret.clone();
    let webhook = change(db, scope, id, "webhook.rotate_secret", move |m| {
        webhook::ActiveModel {
            secret: Set(new),
            previous_secret: Set(Some(m.secret.clone())),
            previous_secret_until: Set(Some(super::now() + PREVIOUS_SECRET_GRACE)),
            ..Default::default()
        }
    })
    .await?;
    Ok(WithSecret { webhook, secret })
}

async fn change(
    db: &impl Writer,
    scope: Scope<'_>,
    id: Uuid,
    action: &str,
    fields: impl FnOnce(&webhook::Model) -> webhook::ActiveModel,
) -> Result<Webhook> {
    let txn = db::begin_write(db).await?;
    let stored = model(&txn, scope, id).await?;
    let before = Webhook::try_from(stored.clone())?;
    let model = webhook::Entity::update(webhook::ActiveModel {
        id: Unchanged(id),
        version: Set(stored.version + 1),
        updated_at: Set(super::now()),
        ..fields(&stored)
    })
    .validate()?
    .filter(webhook::Column::Version.eq(stored.version))
    .exec(&txn)
    .await
    .map_err(|e| super::taken(e, "webhook"))?;
    let after = Webhook::try_from(model)?;
    audit::record(
        &txn,
        Some(scope.caller()),
        audit::Change {
            action,
            entity: "webhook",
            entity_id: id.to_string(),
            before: Some(before.audit_json()),
            after: Some(after.audit_json()),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// Deletes a webhook with its queued deliveries and their history.
pub async fn delete(db: &impl Writer, scope: Scope<'_>, id: Uuid) -> Result<Webhook> {
    let txn = db::begin_write(db).await?;
    let before = get(&txn, scope, id).await?;
    webhook::Entity::delete_many()
        .filter(webhook::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        Some(scope.caller()),
        audit::Change {
            action: "webhook.delete",
            entity: "webhook",
            entity_id: id.to_string(),
            before: Some(before.audit_json()),
            after: None,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(before)
}
