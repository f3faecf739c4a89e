//! Live updates: subscriptions to new and changed assessments, distributions and stock
//! movements, served over WebSocket (`graphql-transport-ws`) at `/graphql/ws`.
//!
//! Each subscription follows the change log from its own cursor (the latest change when it
//! starts, or `after`), reads it when this process's [`LiveHub`] wakes it or when its poll
//! interval passes, and delivers each change the caller may see (the same scope as the
//! lists) in the area it asked for, as the record is at delivery.

use std::collections::VecDeque;
use std::time::Duration;

use async_graphql::{Context, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use futures_util::Stream;
use futures_util::stream::{self, StreamExt};
use tokio::sync::watch;

use super::area::{self, AreaInput};
use super::assessments::AssessmentNode;
use super::context;
use super::distributions::DistributionNode;
use super::error::{self, OrGql, code};
use super::stock::MovementNode;
use super::sync::ChangeOperation;
use crate::auth::Caller;
use crate::live::LiveHub;
use crate::storage::area::ResolvedArea;
use crate::storage::changes::{self, Cursor, Operation};
use crate::storage::live::{self, LiveEvent, LiveKind, LiveRecord};
use crate::storage::scope::Scope;

/// Log rows read at a time.
const ROWS_PER_READ: u64 = 200;

/// How soon to look again when committed changes wait behind an open transaction: this,
/// doubling while they keep waiting, up to the poll interval.
const PENDING_RETRY: Duration = Duration::from_millis(50);

/// A new or changed assessment.
#[derive(Debug, SimpleObject)]
pub struct AssessmentEvent {
    /// Its position in the change log: pass it as `after` to resume after it.
    pub cursor: String,
    /// What the write did.
    pub operation: ChangeOperation,
    /// When it was written (server clock).
    pub changed_at: DateTime<Utc>,
    /// The assessment as it is now.
    pub assessment: AssessmentNode,
}

/// A new or changed distribution.
#[derive(Debug, SimpleObject)]
pub struct DistributionEvent {
    /// Its position in the change log: pass it as `after` to resume after it.
    pub cursor: String,
    /// What the write did.
    pub operation: ChangeOperation,
    /// When it was written (server clock).
    pub changed_at: DateTime<Utc>,
    /// The distribution as it is now.
    pub distribution: DistributionNode,
}

/// A new stock movement.
#[derive(Debug, SimpleObject)]
pub struct StockMovementEvent {
    /// Its position in the change log: pass it as `after` to resume after it.
    pub cursor: String,
    /// What the write did.
    pub operation: ChangeOperation,
    /// When it was written (server clock).
    pub changed_at: DateTime<Utc>,
    /// The movement.
    pub stock_movement: MovementNode,
}

/// Live updates.
#[derive(Debug, Default)]
pub struct LiveSubscription;

#[Subscription]
impl LiveSubscription {
    /// Assessments as they are submitted, edited and reviewed, oldest first, each once, for
    /// sites in `area` (the site's registered point decides), scoped like `assessments`
    /// (partners: their own organisation's; enumerators: their area). Starts with the next
    /// change, or after `after` (the `cursor` of the last event received) so a client that
    /// reconnects misses nothing.
    async fn assessment_changes(
        &self,
        ctx: &Context<'_>,
        area: Option<AreaInput>,
        after: Option<String>,
    ) -> async_graphql::Result<impl Stream<Item = AssessmentEvent> + use<>> {
        let events = follow(ctx, LiveKind::Assessment, area, after).await?;
        Ok(events.filter_map(|e| async move {
            let LiveRecord::Assessment(a) = e.record else {
                return None;
            };
            Some(AssessmentEvent {
                cursor: e.cursor.to_string(),
                operation: e.operation.into(),
                changed_at: e.at,
                assessment: AssessmentNode(*a),
            })
        }))
    }

    /// Distributions as they are planned, changed and completed, for sites in `area`,
    /// scoped like `distributions` (partners: those their organisation implements;
    /// enumerators: their area). `after` as in `assessmentChanges`.
    async fn distribution_changes(
        &self,
        ctx: &Context<'_>,
        area: Option<AreaInput>,
        after: Option<String>,
    ) -> async_graphql::Result<impl Stream<Item = DistributionEvent> + use<>> {
        let events = follow(ctx, LiveKind::Distribution, area, after).await?;
        Ok(events.filter_map(|e| async move {
            let LiveRecord::Distribution(d) = e.record else {
                return None;
            };
            Some(DistributionEvent {
                cursor: e.cursor.to_string(),
                operation: e.operation.into(),
                changed_at: e.at,
                distribution: DistributionNode(*d),
            })
        }))
    }

    /// Stock movements as they are recorded, at warehouses in `area`, scoped like
    /// `stockMovements` (partners: their own organisation's warehouses; enumerators never
    /// read stock and receive nothing). `after` as in `assessmentChanges`.
    async fn stock_movement_changes(
        &self,
        ctx: &Context<'_>,
        area: Option<AreaInput>,
        after: Option<String>,
    ) -> async_graphql::Result<impl Stream<Item = StockMovementEvent> + use<>> {
        let events = follow(ctx, LiveKind::StockMovement, area, after).await?;
        Ok(events.filter_map(|e| async move {
            let LiveRecord::StockMovement(m) = e.record else {
                return None;
            };
            Some(StockMovementEvent {
                cursor: e.cursor.to_string(),
                operation: e.operation.into(),
                changed_at: e.at,
                stock_movement: MovementNode(*m),
            })
        }))
    }
}

/// Where one subscription is in the log, and what it waits on.
struct Follower {
    hub: LiveHub,
    caller: Caller,
    kind: LiveKind,
    area: Option<ResolvedArea>,
    cursor: Cursor,
    ready: VecDeque<LiveEvent>,
    wake: watch::Receiver<u64>,
    /// Whether the last read found everything readable (wait before reading again).
    caught_up: bool,
    /// How long to wait next while committed changes wait behind an older open
    /// transaction (`None` when none do).
    pending: Option<Duration>,
}

/// Checks the subscription's arguments and starts following the log.
async fn follow(
    ctx: &Context<'_>,
    kind: LiveKind,
    area: Option<AreaInput>,
    after: Option<String>,
) -> async_graphql::Result<impl Stream<Item = LiveEvent> + use<>> {
    let caller = context::caller(ctx)?.clone();
    let hub = ctx.data_opt::<LiveHub>().cloned().ok_or_else(|| {
        error::coded(
            code::BAD_USER_INPUT,
            "subscriptions are served over WebSocket at /graphql/ws (graphql-transport-ws)",
        )
    })?;
    let area = match area {
        Some(input) => Some(area::resolve(ctx, input).await?),
        None => None,
    };
    let cursor = match after.as_deref() {
        Some(raw) => Cursor::parse(raw).ok_or_else(|| {
            error::invalid(&camptrack_domain::Invalid::one(
                "after",
                format!("`{raw}` is not a cursor from an event of this subscription"),
            ))
        })?,
        None => changes::head(hub.db()).await.gql()?,
    };
    let follower = Follower {
        wake: hub.receiver(),
        hub,
        caller,
        kind,
        area,
        cursor,
        ready: VecDeque::new(),
        caught_up: false,
        pending: None,
    };
    Ok(stream::unfold(follower, |mut f| async move {
        loop {
            if let Some(event) = f.ready.pop_front() {
                return Some((event, f));
            }
            if f.caught_up {
                let wait = f
                    .pending
                    .unwrap_or(f.hub.poll_interval())
                    .min(f.hub.poll_interval());
                tokio::select! {
                    _ = f.wake.changed() => {}
                    () = tokio::time::sleep(wait) => {}
                }
            }
            // Wakes from here on lead to another read.
            f.wake.borrow_and_update();
            match live::read(
                f.hub.db(),
                Scope::of(&f.caller),
                f.kind,
                f.cursor,
                ROWS_PER_READ,
                f.area.as_ref(),
            )
            .await
            {
                Ok(page) => {
                    f.cursor = page.next;
                    f.ready.extend(page.events);
                    f.caught_up = !page.has_more;
                    f.pending = page
                        .pending
                        .then(|| f.pending.map_or(PENDING_RETRY, |w| w.saturating_mul(2)));
                }
                Err(err) => {
                    // Keep the cursor and try again at the next poll: a database blip
                    // delays delivery, it does not end the subscription.
                    tracing::warn!(error = %err, "live updates: reading the change log failed");
                    f.caught_up = true;
                    f.pending = None;
                }
            }
        }
    }))
}

impl From<Operation> for ChangeOperation {
    fn from(op: Operation) -> Self {
        match op {
            Operation::Create => Self::Create,
            Operation::Update => Self::Update,
            Operation::Close => Self::Close,
            Operation::Reopen => Self::Reopen,
            Operation::Submit => Self::Submit,
            Operation::Review => Self::Review,
            Operation::Status => Self::Status,
        }
    }
}
