//! Webhook deliveries: queueing change-log entries per webhook, claiming due deliveries,
//! recording each attempt, and the history users read.
//!
//! # Several processes, one database
//! - Feeding: a worker reads the change log from the webhook's cursor outside any write,
//!   then in one short write transaction moves the cursor only if it is still where it
//!   read from (compare-and-set) and inserts the deliveries; a change is also unique per
//!   webhook. Two processes feeding the same webhook therefore queue each change once.
//! - Claiming: a short write transaction picks due deliveries (`FOR UPDATE SKIP LOCKED` on
//!   PostgreSQL; SQLite's `BEGIN IMMEDIATE` serialises claimers), counts the attempt and
//!   leases the row (`locked_until`) past the attempt's time limit. Only the oldest
//!   pending delivery of a webhook is ever claimable, so a webhook's events go out one at
//!   a time, in change-log order.
//! - Finishing: after the HTTP call (never inside a transaction), a second short
//!   transaction records the attempt, guarded by the attempt number it claimed, so a
//!   worker whose lease ran out cannot overwrite a later attempt.

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionSession,
};
use uuid::Uuid;

use super::changes::Cursor;
use super::entities::{webhook, webhook_attempt, webhook_delivery};
use super::page::{self, Page, PageRequest};
use super::scope::Scope;
use super::webhooks::{self, WebhookStatus};
use super::{Result, StorageError, Writer, accounts, audit, db};
use crate::auth::{AccountArea, Caller};
use crate::webhooks::payload::EventType;

/// Delivery states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Waiting for its first or next attempt.
    Pending,
    /// A receiver answered 2xx.
    Delivered,
    /// Every attempt failed; `redeliverWebhookDelivery` queues it again.
    Failed,
}

impl DeliveryStatus {
    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Delivered => "DELIVERED",
            Self::Failed => "FAILED",
        }
    }

    fn parse(code: &str) -> Self {
        match code {
            "DELIVERED" => Self::Delivered,
            "FAILED" => Self::Failed,
            _ => Self::Pending,
        }
    }
}

/// A webhook to feed: where it stands in the change log and what it follows.
#[derive(Debug, Clone)]
pub struct FeedTarget {
    /// The webhook.
    pub id: Uuid,
    /// The account whose scope it reads with.
    pub owner_account_id: Uuid,
    /// Its position in the change log.
    pub cursor: Cursor,
    /// Event types it follows.
    pub events: Vec<EventType>,
    /// Its area, if any.
    pub area: Option<AccountArea>,
}

/// Active webhooks, to feed.
pub async fn active(conn: &impl ConnectionTrait) -> Result<Vec<FeedTarget>> {
    webhook::Entity::find()
        .filter(webhook::Column::Status.eq(WebhookStatus::Active.code()))
        .order_by_asc(webhook::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(|m| {
            Ok(FeedTarget {
                area: webhooks::area_of(&m)?,
                events: webhooks::events_of(&m),
                cursor: Cursor::from_parts(m.cursor_xid, m.cursor_seq),
                id: m.id,
                owner_account_id: m.owner_account_id,
            })
        })
        .collect()
}

/// The caller a webhook acts as: its owner, as the account is now; `None` when the
/// account is disabled.
pub async fn owner(conn: &impl ConnectionTrait, account_id: Uuid) -> Result<Option<Caller>> {
    let account = accounts::get(conn, account_id).await?;
    Ok(account.disabled_at.is_none().then(|| account.into_caller()))
}

/// One change to deliver, with its body already built.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    /// The event id (`webhook-id`), the same on every attempt.
    pub id: Uuid,
    /// The change's position.
    pub cursor: Cursor,
    /// Its event type.
    pub event_type: EventType,
    /// The record's id.
    pub entity_id: String,
    /// The JSON body.
    pub payload: String,
}

/// Moves `webhook_id`'s cursor from `from` to `to` and queues `items`, if the cursor is
/// still at `from` and the webhook active; `false` when another process got there first.
pub async fn enqueue(
    db: &impl Writer,
    webhook_id: Uuid,
    from: Cursor,
    to: Cursor,
    items: Vec<NewDelivery>,
    max_attempts: u32,
) -> Result<bool> {
    let txn = db::begin_write(db).await?;
    let (fx, fs) = from.parts();
    let (tx, ts) = to.parts();
    let moved = webhook::Entity::update_many()
        .col_expr(webhook::Column::CursorXid, Expr::value(tx))
        .col_expr(webhook::Column::CursorSeq, Expr::value(ts))
        .filter(webhook::Column::Id.eq(webhook_id))
        .filter(webhook::Column::CursorXid.eq(fx))
        .filter(webhook::Column::CursorSeq.eq(fs))
        .filter(webhook::Column::Status.eq(WebhookStatus::Active.code()))
        .exec(&txn)
        .await?
        .rows_affected;
    if moved != 1 {
        return Ok(false);
    }
    let now = super::now();
    let attempts = i32::try_from(std::cmp::max(max_attempts, 1)).unwrap_or(i32::MAX);
    if !items.is_empty() {
        let rows = items.into_iter().map(|d| {
            let (xid, seq) = d.cursor.parts();
            webhook_delivery::ActiveModel {
                id: Set(d.id),
                webhook_id: Set(webhook_id),
                change_xid: Set(xid),
                change_seq: Set(seq),
                event_type: Set(d.event_type.code()),
                entity_id: Set(d.entity_id),
                payload: Set(d.payload),
                status: Set(DeliveryStatus::Pending.code().to_owned()),
                attempts: Set(0),
                attempts_left: Set(attempts),
                next_attempt_at: Set(now),
                locked_until: Set(None),
                last_status_code: Set(None),
                last_error: Set(None),
                created_at: Set(now),
                delivered_at: Set(None),
            }
        });
        webhook_delivery::Entity::insert_many(rows)
            .on_conflict_do_nothing_on([
                webhook_delivery::Column::WebhookId,
                webhook_delivery::Column::ChangeXid,
                webhook_delivery::Column::ChangeSeq,
            ])
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(true)
}

/// Stops delivering to a webhook and says why.
pub async fn disable(db: &impl Writer, webhook_id: Uuid, reason: String) -> Result<()> {
    let txn = db::begin_write(db).await?;
    webhook::Entity::update_many()
        .col_expr(
            webhook::Column::Status,
            Expr::value(WebhookStatus::Disabled.code()),
        )
        .col_expr(webhook::Column::DisabledReason, Expr::value(reason.clone()))
        .col_expr(webhook::Column::UpdatedAt, Expr::value(super::now()))
        .filter(webhook::Column::Id.eq(webhook_id))
        .filter(webhook::Column::Status.eq(WebhookStatus::Active.code()))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        None,
        audit::Change {
            action: "webhook.disable",
            entity: "webhook",
            entity_id: webhook_id.to_string(),
            before: None,
            after: Some(serde_json::json!({ "status": "DISABLED", "disabledReason": reason })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// A delivery reserved for one attempt by this worker.
#[derive(Clone)]
pub struct Claimed {
    /// The delivery (and event) id.
    pub delivery_id: Uuid,
    /// Its webhook.
    pub webhook_id: Uuid,
    /// This attempt's number, from 1.
    pub attempt: i32,
    /// Attempts left after this one.
    pub attempts_left: i32,
    /// Where to send it.
    pub url: String,
    /// Secrets to sign with (the current one, and a rotated-out one in its grace period).
    pub secrets: Vec<String>,
    /// The body.
    pub payload: String,
}

impl std::fmt::Debug for Claimed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Claimed")
            .field("delivery_id", &self.delivery_id)
            .field("attempt", &self.attempt)
            .finish_non_exhaustive()
    }
}

/// Whether any delivery may be due, read without a write lock, so an idle worker never
/// takes SQLite's write lock just to find nothing.
pub async fn any_due(conn: &impl ConnectionTrait) -> Result<bool> {
    use webhook_delivery::Column as D;
    Ok(webhook_delivery::Entity::find()
        .select_only()
        .column(D::Id)
        .filter(D::Status.eq(DeliveryStatus::Pending.code()))
        .filter(D::NextAttemptAt.lte(super::now()))
        .limit(1)
        .into_tuple::<Uuid>()
        .one(conn)
        .await?
        .is_some())
}

/// Reserves up to `limit` due deliveries for `lease`: the oldest pending delivery of each
/// active webhook whose next attempt is due and which no other worker holds.
pub async fn claim(db: &impl Writer, lease: TimeDelta, limit: u64) -> Result<Vec<Claimed>> {
    use webhook_delivery::Column as D;
    let txn = db::begin_write(db).await?;
    let now = super::now();
    let active = Query::select()
        .column(webhook::Column::Id)
        .from(webhook::Entity)
        .and_where(webhook::Column::Status.eq(WebhookStatus::Active.code()))
        .to_owned();
    // Only a webhook's oldest pending delivery: events go out in change-log order.
    let oldest = Expr::cust(
        "NOT EXISTS (SELECT 1 FROM webhook_deliveries e \
         WHERE e.webhook_id = webhook_deliveries.webhook_id AND e.status = 'PENDING' \
         AND (e.change_xid < webhook_deliveries.change_xid \
         OR (e.change_xid = webhook_deliveries.change_xid \
         AND e.change_seq < webhook_deliveries.change_seq)))",
    );
    let mut due = webhook_delivery::Entity::find()
        .select_only()
        .column(D::Id)
        .filter(D::Status.eq(DeliveryStatus::Pending.code()))
        .filter(D::NextAttemptAt.lte(now))
        .filter(
            Condition::any()
                .add(D::LockedUntil.is_null())
                .add(D::LockedUntil.lte(now)),
        )
        .filter(D::WebhookId.in_subquery(active))
        .filter(oldest)
        .order_by_asc(D::NextAttemptAt)
        .order_by_asc(D::Id)
        .limit(limit);
    if txn.get_database_backend() == DbBackend::Postgres {
        due = due.lock_with_behavior(
            sea_orm::sea_query::LockType::Update,
            sea_orm::sea_query::LockBehavior::SkipLocked,
        );
    }
    let ids: Vec<Uuid> = due.into_tuple().all(&txn).await?;
    if ids.is_empty() {
        txn.commit().await?;
        return Ok(Vec::new());
    }
    webhook_delivery::Entity::update_many()
        .col_expr(D::LockedUntil, Expr::value(now + lease))
        .col_expr(D::Attempts, Expr::col(D::Attempts).add(1))
        .col_expr(D::AttemptsLeft, Expr::col(D::AttemptsLeft).sub(1))
        .filter(D::Id.is_in(ids.clone()))
        .exec(&txn)
        .await?;
    let rows = webhook_delivery::Entity::find()
        .filter(D::Id.is_in(ids))
        .all(&txn)
        .await?;
    let hooks = webhook::Entity::find()
        .filter(webhook::Column::Id.is_in(rows.iter().map(|r| r.webhook_id)))
        .all(&txn)
        .await?;
    txn.commit().await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let hook = hooks.iter().find(|h| h.id == r.webhook_id)?;
            let mut secrets = vec![hook.secret.clone()];
            if let (Some(old), Some(until)) = (&hook.previous_secret, hook.previous_secret_until)
                && until > now
            {
                secrets.push(old.clone());
            }
            Some(Claimed {
                delivery_id: r.id,
                webhook_id: r.webhook_id,
                attempt: r.attempts,
                attempts_left: r.attempts_left,
                url: hook.url.clone(),
                secrets,
                payload: r.payload,
            })
        })
        .collect())
}

/// What one attempt came to.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// How long it took.
    pub duration_ms: i32,
    /// The receiver's HTTP status, if it answered.
    pub status_code: Option<i32>,
    /// Why it failed (refused URL, connection, timeout, non-2xx).
    pub error: Option<String>,
    /// The start of the response body.
    pub response_excerpt: Option<String>,
}

impl Outcome {
    /// Whether the receiver took the event (a 2xx answer).
    pub fn succeeded(&self) -> bool {
        self.status_code.is_some_and(|s| (200..300).contains(&s))
    }
}

/// Records the attempt `claimed` made: delivered, to be retried at `retry_at`, or failed
/// for good when no attempts are left. A webhook that has failed without a success for
/// `disable_after` is disabled. Nothing happens if the claim is stale (another worker
/// took the delivery after this lease ran out, or the webhook was deleted).
pub async fn finish(
    db: &impl Writer,
    claimed: &Claimed,
    outcome: &Outcome,
    retry_at: DateTime<Utc>,
    disable_after: TimeDelta,
) -> Result<()> {
    use webhook_delivery::Column as D;
    let txn = db::begin_write(db).await?;
    let now = super::now();
    let ok = outcome.succeeded();
    let status = if ok {
        DeliveryStatus::Delivered
    } else if claimed.attempts_left <= 0 {
        DeliveryStatus::Failed
    } else {
        DeliveryStatus::Pending
    };
    let mut update = webhook_delivery::Entity::update_many()
        .col_expr(D::Status, Expr::value(status.code()))
        .col_expr(D::LockedUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(D::LastStatusCode, Expr::value(outcome.status_code))
        .col_expr(D::LastError, Expr::value(outcome.error.clone()));
    if ok {
        update = update.col_expr(D::DeliveredAt, Expr::value(now));
    } else if status == DeliveryStatus::Pending {
        update = update.col_expr(D::NextAttemptAt, Expr::value(retry_at));
    }
    let updated = update
        .filter(D::Id.eq(claimed.delivery_id))
        .filter(D::Attempts.eq(claimed.attempt))
        .filter(D::Status.eq(DeliveryStatus::Pending.code()))
        .exec(&txn)
        .await?
        .rows_affected;
    if updated != 1 {
        txn.commit().await?;
        return Ok(());
    }
    webhook_attempt::Entity::insert(webhook_attempt::ActiveModel {
        id: Set(Uuid::now_v7()),
        delivery_id: Set(claimed.delivery_id),
        webhook_id: Set(claimed.webhook_id),
        number: Set(claimed.attempt),
        started_at: Set(outcome.started_at),
        duration_ms: Set(outcome.duration_ms),
        status_code: Set(outcome.status_code),
        error: Set(outcome.error.clone()),
        response_excerpt: Set(outcome.response_excerpt.clone()),
    })
    .exec_without_returning(&txn)
    .await?;
    let health = webhook::Entity::update_many().filter(webhook::Column::Id.eq(claimed.webhook_id));
    if ok {
        health
            .col_expr(
                webhook::Column::FailingSince,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .exec(&txn)
            .await?;
    } else {
        health
            .col_expr(webhook::Column::FailingSince, Expr::value(now))
            .filter(webhook::Column::FailingSince.is_null())
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    if !ok && disable_after > TimeDelta::zero() {
        let hook = webhook::Entity::find_by_id(claimed.webhook_id)
            .one(db)
            .await?;
        if let Some(since) = hook.and_then(|h| h.failing_since)
            && now - since >= disable_after
        {
            disable(
                db,
                claimed.webhook_id,
                format!(
                    "every delivery failed since {} (last: {}); fix the receiver, then resumeWebhook",
                    since.to_rfc3339(),
                    outcome.error.as_deref().unwrap_or("no answer"),
                ),
            )
            .await?;
        }
    }
    Ok(())
}

/// A delivery as users see it.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The event id (`webhook-id`).
    pub id: Uuid,
    /// Its webhook.
    pub webhook_id: Uuid,
    /// The event type.
    pub event_type: String,
    /// The record it is about.
    pub entity_id: String,
    /// State.
    pub status: DeliveryStatus,
    /// Attempts made.
    pub attempts: i32,
    /// When the next attempt is due (pending deliveries).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The last answer's HTTP status.
    pub last_status_code: Option<i32>,
    /// The last failure.
    pub last_error: Option<String>,
    /// When queued.
    pub created_at: DateTime<Utc>,
    /// When a receiver took it.
    pub delivered_at: Option<DateTime<Utc>>,
    /// The body sent.
    pub payload: String,
}

impl From<webhook_delivery::Model> for Delivery {
    fn from(m: webhook_delivery::Model) -> Self {
        let status = DeliveryStatus::parse(&m.status);
        Self {
            id: m.id,
            webhook_id: m.webhook_id,
            event_type: m.event_type,
            entity_id: m.entity_id,
            status,
            attempts: m.attempts,
            next_attempt_at: (status == DeliveryStatus::Pending).then_some(m.next_attempt_at),
            last_status_code: m.last_status_code,
            last_error: m.last_error,
            created_at: m.created_at,
            delivered_at: m.delivered_at,
            payload: m.payload,
        }
    }
}

/// One attempt as users see it.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// Its number, from 1.
    pub number: i32,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// How long it took.
    pub duration_ms: i32,
    /// The receiver's HTTP status.
    pub status_code: Option<i32>,
    /// Why it failed.
    pub error: Option<String>,
    /// The start of the response body.
    pub response_excerpt: Option<String>,
}

/// Deliveries of a webhook the caller may see, oldest first, optionally of one status.
pub async fn list(
    conn: &impl ConnectionTrait,
    scope: Scope<'_>,
    webhook_id: Uuid,
    status: Option<DeliveryStatus>,
    page: &PageRequest,
) -> Result<Page<Delivery>> {
    webhooks::get(conn, scope, webhook_id).await?;
    let mut query =
        webhook_delivery::Entity::find().filter(webhook_delivery::Column::WebhookId.eq(webhook_id));
    if let Some(status) = status {
        query = query.filter(webhook_delivery::Column::Status.eq(status.code()));
    }
    Ok(page::fetch(conn, query, webhook_delivery::Column::Id, page)
        .await?
        .map(Delivery::from))
}

/// The attempts of deliveries `ids`, by delivery, in order.
pub async fn attempts(conn: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<(Uuid, Attempt)>> {
    Ok(webhook_attempt::Entity::find()
        .filter(webhook_attempt::Column::DeliveryId.is_in(ids.iter().copied()))
        .order_by_asc(webhook_attempt::Column::DeliveryId)
        .order_by_asc(webhook_attempt::Column::Number)
        .all(conn)
        .await?
        .into_iter()
        .map(|a| {
            (
                a.delivery_id,
                Attempt {
                    number: a.number,
                    started_at: a.started_at,
                    duration_ms: a.duration_ms,
                    status_code: a.status_code,
                    error: a.error,
                    response_excerpt: a.response_excerpt,
                },
            )
        })
        .collect())
}

/// Queues a delivery again (same event id and body) with `max_attempts` fresh attempts,
/// due now.
pub async fn redeliver(
    db: &impl Writer,
    scope: Scope<'_>,
    id: Uuid,
    max_attempts: u32,
) -> Result<Delivery> {
    use webhook_delivery::Column as D;
    scope.require(camptrack_domain::access::Write::Webhooks)?;
    let txn = db::begin_write(db).await?;
    let stored = webhook_delivery::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| StorageError::not_found("webhook delivery", id))?;
    if webhooks::get(&txn, scope, stored.webhook_id).await.is_err() {
        return Err(StorageError::not_found("webhook delivery", id));
    }
    let attempts = i32::try_from(std::cmp::max(max_attempts, 1)).unwrap_or(i32::MAX);
    webhook_delivery::Entity::update_many()
        .col_expr(D::Status, Expr::value(DeliveryStatus::Pending.code()))
        .col_expr(D::AttemptsLeft, Expr::value(attempts))
        .col_expr(D::NextAttemptAt, Expr::value(super::now()))
        .filter(D::Id.eq(id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        Some(scope.caller()),
        audit::Change {
            action: "webhook.redeliver",
            entity: "webhook_delivery",
            entity_id: id.to_string(),
            before: Some(serde_json::json!({ "status": stored.status })),
            after: Some(serde_json::json!({ "status": "PENDING" })),
        },
    )
    .await?;
    let after = webhook_delivery::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| StorageError::not_found("webhook delivery", id))?;
    txn.commit().await?;
    Ok(after.into())
}
