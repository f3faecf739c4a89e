//! The delivery worker `serve` runs in the background: every interval it feeds each
//! active webhook from the change log (with its owner's scope) and attempts the due
//! deliveries, a few at a time. It stops when the server shuts down; a delivery it was
//! attempting then is retried after its lease (at-least-once).

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use sea_orm::DatabaseConnection;
use tokio::sync::watch;
use uuid::Uuid;

use super::WebhookSettings;
use super::guard;
use super::payload::{self, EventType};
use super::sign;
use crate::storage::scope::Scope;
use crate::storage::webhook_deliveries::{
    self as deliveries, Claimed, FeedTarget, NewDelivery, Outcome,
};
use crate::storage::{Result, changes};

/// Changes read per page when feeding a webhook.
const FEED_PAGE: u64 = 200;
/// Pages fed per webhook per round, so one busy webhook cannot starve the others.
const FEED_PAGES_PER_ROUND: usize = 10;
/// Longest response excerpt kept, in bytes.
const EXCERPT_BYTES: usize = 256;

/// Runs until `stop` turns true or its sender is dropped.
pub async fn run(
    db: DatabaseConnection,
    settings: WebhookSettings,
    mut stop: watch::Receiver<bool>,
) {
    tracing::info!(
        interval_ms = settings.interval.as_millis() as u64,
        "webhook worker started"
    );
    loop {
        if *stop.borrow() {
            break;
        }
        if let Err(err) = round(&db, &settings, &stop).await {
            tracing::warn!(error = %err, "webhook worker round failed; retrying next round");
        }
        tokio::select! {
            changed = stop.changed() => if changed.is_err() || *stop.borrow() { break },
            () = tokio::time::sleep(settings.interval) => {}
        }
    }
    tracing::info!("webhook worker stopped");
}

/// One round: feed every active webhook, then attempt what is due until nothing is.
pub async fn round(
    db: &DatabaseConnection,
    settings: &WebhookSettings,
    stop: &watch::Receiver<bool>,
) -> Result<()> {
    let targets = deliveries::active(db).await?;
    if targets.is_empty() {
        return Ok(());
    }
    for target in targets {
        if let Err(err) = feed(db, settings, target).await {
            tracing::warn!(error = %err, "feeding a webhook failed");
        }
    }
    let lease = chrono::TimeDelta::from_std(settings.lease()).unwrap_or(chrono::TimeDelta::MAX);
    while !*stop.borrow() && deliveries::any_due(db).await? {
        let claimed = deliveries::claim(db, lease, settings.concurrency.max(1) as u64).await?;
        if claimed.is_empty() {
            break;
        }
        let outcomes = join_all(claimed.iter().map(|c| attempt(settings, c))).await;
        for (c, outcome) in claimed.iter().zip(outcomes) {
            let wait = settings.backoff(u32::try_from(c.attempt).unwrap_or(1));
            let retry_at = crate::storage::now()
                + chrono::TimeDelta::from_std(wait).unwrap_or(chrono::TimeDelta::MAX);
            let disable_after = chrono::TimeDelta::from_std(settings.disable_after)
                .unwrap_or(chrono::TimeDelta::MAX);
            deliveries::finish(db, c, &outcome, retry_at, disable_after).await?;
        }
    }
    Ok(())
}

/// Queues the changes a webhook has not seen yet, as its owner may see them.
async fn feed(
    db: &DatabaseConnection,
    settings: &WebhookSettings,
    target: FeedTarget,
) -> Result<()> {
    let Some(owner) = deliveries::owner(db, target.owner_account_id).await? else {
        return deliveries::disable(
            db,
            target.id,
            "the owner account is disabled; an administrator can re-enable it".to_owned(),
        )
        .await;
    };
    let scope = Scope::of(&owner);
    let mut cursor = target.cursor;
    for _ in 0..FEED_PAGES_PER_ROUND {
        let page = changes::read(db, scope, cursor, FEED_PAGE, target.area.as_ref()).await?;
        if page.next == cursor && page.changes.is_empty() {
            break;
        }
        let items = page
            .changes
            .iter()
            .filter_map(|change| {
                let event = EventType::of_change(change).filter(|e| target.events.contains(e))?;
                let id = Uuid::now_v7();
                Some(NewDelivery {
                    id,
                    cursor: change.cursor,
                    event_type: event,
                    entity_id: change.entity_id.clone(),
                    payload: payload::body(id, event, change).to_string(),
                })
            })
            .collect();
        if !deliveries::enqueue(
            db,
            target.id,
            cursor,
            page.next,
            items,
            settings.max_attempts,
        )
        .await?
        {
            break;
        }
        cursor = page.next;
        if !page.has_more {
            break;
        }
    }
    Ok(())
}

/// Sends one attempt: checks the URL again (DNS can change), connects only to the
/// addresses checked, signs, and keeps the start of the answer. No transaction is open.
pub async fn attempt(settings: &WebhookSettings, claimed: &Claimed) -> Outcome {
    let started_at = crate::storage::now();
    let clock = Instant::now();
    let result = send(settings, claimed).await;
    let duration_ms = i32::try_from(clock.elapsed().as_millis()).unwrap_or(i32::MAX);
    match result {
        Ok((status, excerpt)) => Outcome {
            started_at,
            duration_ms,
            status_code: Some(i32::from(status)),
            error: (!(200..300).contains(&status))
                .then(|| format!("the receiver answered HTTP {status}")),
            response_excerpt: excerpt,
        },
        Err(error) => Outcome {
            started_at,
            duration_ms,
            status_code: None,
            error: Some(error),
            response_excerpt: None,
        },
    }
}

async fn send(
    settings: &WebhookSettings,
    claimed: &Claimed,
) -> std::result::Result<(u16, Option<String>), String> {
    let target = guard::check(&claimed.url, &settings.allow_nets, settings.timeout)
        .await
        .map_err(|reason| format!("refused: {reason}"))?;
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .connect_timeout(settings.timeout)
        .timeout(settings.timeout)
        .user_agent(concat!("camptrack-webhooks/", env!("CARGO_PKG_VERSION")));
    if let Some(host) = &target.host {
        builder = builder.resolve_to_addrs(host, &target.addrs);
    }
    let client = builder.build().map_err(|e| format!("client: {e}"))?;
    let id = claimed.delivery_id.to_string();
    let timestamp = chrono::Utc::now().timestamp();
    let signature = claimed
        .secrets
        .iter()
        .map(|s| sign::sign(s, &id, timestamp, claimed.payload.as_bytes()))
        .collect::<Vec<_>>()
        .join(" ");
    let response = client
        .post(target.url)
        .header("content-type", "application/json")
        .header("webhook-id", &id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(claimed.payload.clone())
        .send()
        .await
        .map_err(describe)?;
    let status = response.status().as_u16();
    let excerpt = excerpt(response, settings.timeout).await;
    Ok((status, excerpt))
}

/// The first bytes of the answer, as text; the rest is never read into memory.
async fn excerpt(mut response: reqwest::Response, limit: Duration) -> Option<String> {
    let mut bytes = Vec::new();
    let read = async {
        while bytes.len() < EXCERPT_BYTES {
            match response.chunk().await {
                Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
                _ => break,
            }
        }
    };
    let _ = tokio::time::timeout(limit, read).await;
    bytes.truncate(EXCERPT_BYTES);
    let text = String::from_utf8_lossy(&bytes).into_owned();
    (!text.is_empty()).then_some(text)
}

fn describe(err: reqwest::Error) -> String {
    if err.is_timeout() {
        "timed out waiting for the receiver".to_owned()
    } else if err.is_connect() {
        "could not connect to the receiver".to_owned()
    } else {
        format!("request failed: {err}")
    }
}
