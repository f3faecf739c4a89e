//! Webhooks: signed, at-least-once deliveries of the change log to partners' URLs.
//!
//! Registration lives in `storage::webhooks` (and GraphQL); this module holds what runs
//! outside a request: the SSRF [`guard`], the [`sign`]ature, the event [`payload`] and the
//! background [`worker`] that `serve` starts. Every step that needs agreement between
//! camptrack processes (each webhook's cursor, which delivery is due, who is attempting it)
//! is kept in the database; see `storage::webhook_deliveries`.

pub mod guard;
pub mod payload;
pub mod sign;
pub mod worker;

use std::time::Duration;

pub use guard::Net;

/// How webhooks are delivered, from configuration.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// Whether this process runs the delivery worker.
    pub enabled: bool,
    /// Networks a webhook URL may resolve to although they are not public.
    pub allow_nets: Vec<Net>,
    /// How often the worker looks for new changes and due deliveries.
    pub interval: Duration,
    /// Attempts per delivery before it is marked failed.
    pub max_attempts: u32,
    /// Delay before the first retry; doubled for each further one.
    pub backoff_base: Duration,
    /// Longest delay between retries.
    pub backoff_max: Duration,
    /// Time limit of one attempt (connect, send, and read the response).
    pub timeout: Duration,
    /// A webhook failing without a success for this long is disabled.
    pub disable_after: Duration,
    /// Deliveries attempted at once by one worker.
    pub concurrency: usize,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        crate::config::ServeArgs::default().webhook_settings()
    }
}

impl WebhookSettings {
    /// The delay before attempt `attempt + 1` after `attempt` failed attempts: the base
    /// doubled per failure, capped, with "full jitter" in its upper half so that many
    /// failing deliveries do not retry in step.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .backoff_base
            .saturating_mul(1_u32 << attempt.saturating_sub(1).min(20))
            .min(self.backoff_max);
        let half = exp / 2;
        let jitter = {
            use rand::TryRngCore;
            let draw = rand::rngs::OsRng.try_next_u32().unwrap_or(u32::MAX / 2);
            f64::from(draw) / f64::from(u32::MAX)
        };
        half + half.mul_f64(jitter)
    }

    /// How long a claimed delivery stays reserved for its worker: past the attempt's
    /// time limit, so no other process retries it while it may still be in flight.
    pub fn lease(&self) -> Duration {
        self.timeout.saturating_mul(2) + Duration::from_secs(5)
    }
}
