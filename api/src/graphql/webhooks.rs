//! Webhooks: registering partners' URLs, their delivery history, and redelivery.

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject};
use camptrack_domain::Invalid;
use camptrack_domain::access::Write;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::connection::{Conn, connection};
use super::context::{self, list_cost};
use super::error::{self, OrGql};
use super::scalars::H3Cell;
use super::sync::SyncAreaInput;
use crate::storage::webhook_deliveries::{self as deliveries, Attempt, Delivery, DeliveryStatus};
use crate::storage::webhooks::{self, Webhook, WebhookDraft, WebhookStatus, WithSecret};
use crate::webhooks::guard;
use crate::webhooks::payload::{EventAction, EventKind, EventType};

/// An event a webhook can receive: a record kind and what happened to it, as the change
/// log records it. `*_DELETED` means the record left the webhook's view (deleted, out of
/// its area, or no longer the owner's to read).
#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
pub enum WebhookEvent {
    /// `assessment.created`
    AssessmentCreated,
    /// `assessment.updated` (edited or reviewed)
    AssessmentUpdated,
    /// `assessment.deleted`
    AssessmentDeleted,
    /// `distribution.created`
    DistributionCreated,
    /// `distribution.updated` (edited or status changed)
    DistributionUpdated,
    /// `distribution.deleted`
    DistributionDeleted,
    /// `stock_movement.created`
    StockMovementCreated,
    /// `stock_movement.updated`
    StockMovementUpdated,
    /// `stock_movement.deleted`
    StockMovementDeleted,
}

impl From<WebhookEvent> for EventType {
    fn from(e: WebhookEvent) -> Self {
        use EventAction::*;
        use EventKind::*;
        let (kind, action) = match e {
            WebhookEvent::AssessmentCreated => (Assessment, Created),
            WebhookEvent::AssessmentUpdated => (Assessment, Updated),
            WebhookEvent::AssessmentDeleted => (Assessment, Deleted),
            WebhookEvent::DistributionCreated => (Distribution, Created),
            WebhookEvent::DistributionUpdated => (Distribution, Updated),
            WebhookEvent::DistributionDeleted => (Distribution, Deleted),
            WebhookEvent::StockMovementCreated => (StockMovement, Created),
            WebhookEvent::StockMovementUpdated => (StockMovement, Updated),
            WebhookEvent::StockMovementDeleted => (StockMovement, Deleted),
        };
        EventType { kind, action }
    }
}

impl From<EventType> for WebhookEvent {
    fn from(t: EventType) -> Self {
        use EventAction::*;
        use EventKind::*;
        match (t.kind, t.action) {
            (Assessment, Created) => Self::AssessmentCreated,
            (Assessment, Updated) => Self::AssessmentUpdated,
            (Assessment, Deleted) => Self::AssessmentDeleted,
            (Distribution, Created) => Self::DistributionCreated,
            (Distribution, Updated) => Self::DistributionUpdated,
            (Distribution, Deleted) => Self::DistributionDeleted,
            (StockMovement, Created) => Self::StockMovementCreated,
            (StockMovement, Updated) => Self::StockMovementUpdated,
            (StockMovement, Deleted) => Self::StockMovementDeleted,
        }
    }
}

/// Whether a webhook is delivered to.
#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "WebhookStatus")]
pub enum WebhookStatusGql {
    /// Changes are queued and delivered.
    Active,
    /// Paused: nothing is queued or sent; resuming catches up from where it stopped.
    Paused,
    /// Disabled by camptrack after failing for too long (`disabledReason` says why);
    /// resuming catches up like a pause.
    Disabled,
}

impl From<WebhookStatus> for WebhookStatusGql {
    fn from(s: WebhookStatus) -> Self {
        match s {
            WebhookStatus::Active => Self::Active,
            WebhookStatus::Paused => Self::Paused,
            WebhookStatus::Disabled => Self::Disabled,
        }
    }
}

/// A delivery's state.
#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "WebhookDeliveryStatus")]
pub enum DeliveryStatusGql {
    /// Waiting for its first or next attempt.
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Every attempt failed.
    Failed,
}

impl From<DeliveryStatus> for DeliveryStatusGql {
    fn from(s: DeliveryStatus) -> Self {
        match s {
            DeliveryStatus::Pending => Self::Pending,
            DeliveryStatus::Delivered => Self::Delivered,
            DeliveryStatus::Failed => Self::Failed,
        }
    }
}

impl From<DeliveryStatusGql> for DeliveryStatus {
    fn from(s: DeliveryStatusGql) -> Self {
        match s {
            DeliveryStatusGql::Pending => Self::Pending,
            DeliveryStatusGql::Delivered => Self::Delivered,
            DeliveryStatusGql::Failed => Self::Failed,
        }
    }
}

/// A webhook's area.
#[derive(Debug, SimpleObject)]
pub struct WebhookArea {
    /// H3 cells, any resolution.
    pub cells: Vec<H3Cell>,
    /// Admin p-codes, any level.
    pub pcodes: Vec<String>,
}

/// A registered webhook. Its secret is shown only by `createWebhook` and
/// `rotateWebhookSecret`.
#[derive(Debug, Clone)]
pub struct WebhookNode(pub Webhook);

#[Object(name = "Webhook")]
impl WebhookNode {
    /// Id.
    async fn id(&self) -> Uuid {
        self.0.id
    }
    /// Where events are POSTed.
    async fn url(&self) -> &str {
        &self.0.url
    }
    /// A note for people.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// Event types delivered.
    async fn events(&self) -> Vec<WebhookEvent> {
        self.0.events.iter().map(|e| (*e).into()).collect()
    }
    /// Only records in this area; none means everywhere the owner sees.
    async fn area(&self) -> Option<WebhookArea> {
        self.0.area.as_ref().map(|a| WebhookArea {
            cells: a.cells.iter().copied().map(H3Cell).collect(),
            pcodes: a.pcodes.iter().map(ToString::to_string).collect(),
        })
    }
    /// Whether it is delivered to.
    async fn status(&self) -> WebhookStatusGql {
        self.0.status.into()
    }
    /// Why camptrack disabled it.
    async fn disabled_reason(&self) -> Option<&str> {
        self.0.disabled_reason.as_deref()
    }
    /// Since when every attempt has failed (none while deliveries succeed).
    async fn failing_since(&self) -> Option<DateTime<Utc>> {
        self.0.failing_since
    }
    /// The account it acts as: it receives what this account may read.
    async fn owner_account_id(&self) -> Uuid {
        self.0.owner_account_id
    }
    /// The owner's organisation.
    async fn organisation_id(&self) -> Option<Uuid> {
        self.0.organisation_id
    }
    /// Version.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// When registered.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// Its deliveries, oldest first, optionally of one status.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn deliveries(
        &self,
        ctx: &Context<'_>,
        status: Option<DeliveryStatusGql>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<DeliveryNode>> {
        let scope = context::scope(ctx)?;
        let page = context::page_request(ctx, first, after.as_deref())?;
        let db = context::db(ctx);
        let items = deliveries::list(db, scope, self.0.id, status.map(Into::into), &page)
            .await
            .gql()?;
        let ids: Vec<Uuid> = items.items.iter().map(|d| d.id).collect();
        let mut attempts: std::collections::HashMap<Uuid, Vec<Attempt>> = Default::default();
        for (id, attempt) in deliveries::attempts(db, &ids).await.gql()? {
            attempts.entry(id).or_default().push(attempt);
        }
        Ok(connection(
            items,
            page.after.is_some(),
            |d| d.id.to_string(),
            |d| {
                let mine = attempts.get(&d.id).cloned().unwrap_or_default();
                DeliveryNode(d, mine)
            },
        ))
    }
}

/// One event queued for a webhook, with its attempts.
#[derive(Debug, Clone)]
pub struct DeliveryNode(pub Delivery, pub Vec<Attempt>);

#[Object(name = "WebhookDelivery")]
impl DeliveryNode {
    /// The event id, sent as `webhook-id` and in the body's `id`: the same on every
    /// attempt and redelivery, so receivers de-duplicate on it.
    async fn id(&self) -> Uuid {
        self.0.id
    }
    /// The event type, e.g. `distribution.created`.
    async fn event_type(&self) -> &str {
        &self.0.event_type
    }
    /// The record it is about.
    async fn entity_id(&self) -> &str {
        &self.0.entity_id
    }
    /// State.
    async fn status(&self) -> DeliveryStatusGql {
        self.0.status.into()
    }
    /// Attempts made so far.
    async fn attempt_count(&self) -> i32 {
        self.0.attempts
    }
    /// When the next attempt is due (pending deliveries).
    async fn next_attempt_at(&self) -> Option<DateTime<Utc>> {
        self.0.next_attempt_at
    }
    /// The last answer's HTTP status.
    async fn last_status_code(&self) -> Option<i32> {
        self.0.last_status_code
    }
    /// The last failure.
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }
    /// When it was queued.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When the receiver took it.
    async fn delivered_at(&self) -> Option<DateTime<Utc>> {
        self.0.delivered_at
    }
    /// The JSON body sent (the same bytes on every attempt).
    async fn payload(&self) -> &str {
        &self.0.payload
    }
    /// Every attempt, in order.
    async fn attempts(&self) -> Vec<AttemptNode> {
        self.1.iter().cloned().map(AttemptNode).collect()
    }
}

/// One attempt to deliver an event.
#[derive(Debug, Clone)]
pub struct AttemptNode(pub Attempt);

#[Object(name = "WebhookAttempt")]
impl AttemptNode {
    /// Its number, from 1.
    async fn number(&self) -> i32 {
        self.0.number
    }
    /// When it started.
    async fn started_at(&self) -> DateTime<Utc> {
        self.0.started_at
    }
    /// How long it took, in milliseconds.
    async fn duration_ms(&self) -> i32 {
        self.0.duration_ms
    }
    /// The receiver's HTTP status, if it answered.
    async fn status_code(&self) -> Option<i32> {
        self.0.status_code
    }
    /// Why it failed: refused URL, connection, timeout or a non-2xx answer.
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }
    /// The first 256 bytes of the answer.
    async fn response_excerpt(&self) -> Option<&str> {
        self.0.response_excerpt.as_deref()
    }
}

/// A webhook with its signing secret, shown only this once.
#[derive(SimpleObject)]
pub struct WebhookWithSecret {
    /// The webhook.
    pub webhook: WebhookNode,
    /// The signing secret (`whsec_...`): keep it; camptrack shows it only now.
    pub secret: String,
}

// The secret never reaches a log through `Debug`.
impl std::fmt::Debug for WebhookWithSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookWithSecret")
            .field("webhook", &self.webhook)
            .finish_non_exhaustive()
    }
}

impl From<WithSecret> for WebhookWithSecret {
    fn from(w: WithSecret) -> Self {
        Self {
            webhook: WebhookNode(w.webhook),
            secret: w.secret,
        }
    }
}

/// A webhook to register.
#[derive(Debug, InputObject)]
pub struct CreateWebhookInput {
    /// `http` or `https` URL; its host must resolve to public addresses (unless an
    /// administrator allow-listed the network).
    pub url: String,
    /// A note for people (at most 200 characters).
    pub description: Option<String>,
    /// Event types to receive; at least one.
    pub events: Vec<WebhookEvent>,
    /// Only records in this area (sites, and warehouses for stock movements).
    pub area: Option<SyncAreaInput>,
}

/// Webhook queries.
#[derive(Debug, Default)]
pub struct WebhookQuery;

#[Object]
impl WebhookQuery {
    /// Webhooks you may manage (partners: your organisation's), in registration order.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn webhooks(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<WebhookNode>> {
        let scope = context::scope(ctx)?;
        let page = context::page_request(ctx, first, after.as_deref())?;
        let items = webhooks::list(context::db(ctx), scope, &page).await.gql()?;
        Ok(connection(
            items,
            page.after.is_some(),
            |w| w.id.to_string(),
            WebhookNode,
        ))
    }

    /// One webhook.
    async fn webhook(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<WebhookNode> {
        let scope = context::scope(ctx)?;
        webhooks::get(context::db(ctx), scope, id)
            .await
            .gql()
            .map(WebhookNode)
    }
}

/// Webhook mutations (admins, coordinators and partners).
#[derive(Debug, Default)]
pub struct WebhookMutation;

#[Object]
impl WebhookMutation {
    /// Registers a webhook acting as you: it receives the chosen events for what you may
    /// read, from now on. The answer carries the signing secret, shown only this once.
    async fn create_webhook(
        &self,
        ctx: &Context<'_>,
        input: CreateWebhookInput,
    ) -> async_graphql::Result<WebhookWithSecret> {
        let scope = context::scope(ctx)?;
        scope.require(Write::Webhooks).gql()?;
        let settings = &context::policy(ctx).webhooks;
        guard::check(&input.url, &settings.allow_nets, settings.timeout)
            .await
            .map_err(|reason| error::invalid(&Invalid::one("url", reason)))?;
        let area = input.area.map(SyncAreaInput::parse).transpose().gql()?;
        let draft = WebhookDraft {
            url: input.url.trim().to_owned(),
            description: input.description,
            events: input.events.into_iter().map(Into::into).collect(),
            area,
        };
        webhooks::create(context::db(ctx), scope, draft)
            .await
            .gql()
            .map(Into::into)
    }

    /// Stops delivering to a webhook until `resumeWebhook`.
    async fn pause_webhook(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
    ) -> async_graphql::Result<WebhookNode> {
        let scope = context::scope(ctx)?;
        webhooks::set_paused(context::db(ctx), scope, id, true)
            .await
            .gql()
            .map(WebhookNode)
    }

    /// Resumes a paused or disabled webhook; it catches up on the changes it missed.
    async fn resume_webhook(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
    ) -> async_graphql::Result<WebhookNode> {
        let scope = context::scope(ctx)?;
        webhooks::set_paused(context::db(ctx), scope, id, false)
            .await
            .gql()
            .map(WebhookNode)
    }

    /// Deletes a webhook with its queued deliveries and history; answers its id.
    async fn delete_webhook(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Uuid> {
        let scope = context::scope(ctx)?;
        webhooks::delete(context::db(ctx), scope, id)
            .await
            .gql()
            .map(|w| w.id)
    }

    /// Issues a new signing secret, shown only this once; for 24 hours deliveries carry
    /// signatures with both the new and the old secret.
    async fn rotate_webhook_secret(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
    ) -> async_graphql::Result<WebhookWithSecret> {
        let scope = context::scope(ctx)?;
        webhooks::rotate_secret(context::db(ctx), scope, id)
            .await
            .gql()
            .map(Into::into)
    }

    /// Queues a delivery again, same event id and body, with fresh attempts, due now.
    async fn redeliver_webhook_delivery(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
    ) -> async_graphql::Result<DeliveryNode> {
        let scope = context::scope(ctx)?;
        let max = context::policy(ctx).webhooks.max_attempts;
        let db = context::db(ctx);
        let delivery = deliveries::redeliver(db, scope, id, max).await.gql()?;
        let attempts = deliveries::attempts(db, &[id]).await.gql()?;
        Ok(DeliveryNode(
            delivery,
            attempts.into_iter().map(|(_, a)| a).collect(),
        ))
    }
}
