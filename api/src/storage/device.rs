//! Facts about the device behind a field submission (assessments, distributions, stock
//! movements): its clock's capture time, its id, the app that sent it, and a review flag
//! when the device clock runs far ahead of the server's. The server clock's receipt time
//! is kept by each record kind beside these.

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};

use crate::auth::ClientApp;

/// How a submission is received: the submitting app, and how far ahead of the server
/// clock a device clock may be before the submission is flagged for review.
#[derive(Debug, Clone)]
pub struct SubmitOptions {
    /// The app and device the request came from.
    pub client: ClientApp,
    /// A `capturedAt` later than the server clock plus this is accepted but flagged
    /// (with a note): the device clock is probably wrong.
    pub future_tolerance: TimeDelta,
}

impl Default for SubmitOptions {
    fn default() -> Self {
        Self {
            client: ClientApp::default(),
            future_tolerance: TimeDelta::days(1),
        }
    }
}

/// What is stored about the device beside a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceFacts {
    /// When the device captured the record (its clock; the server's when not sent).
    pub captured_at: DateTime<Utc>,
    /// The device's id (`X-Device-Id`, unless the record names one itself).
    pub device_id: Option<String>,
    /// The app that sent it.
    pub client_app: Option<String>,
    /// That app's version.
    pub client_app_version: Option<String>,
    /// Set when the record needs a look: the device clock was far ahead.
    pub review_note: Option<String>,
}

impl SubmitOptions {
    /// The device facts of a record received `now` with the capture time `sent` (if any)
    /// and the device id the record named itself (if any). A capture time more than the
    /// tolerance ahead of `now` is kept as sent, never refused, and noted for review.
    pub fn facts(
        &self,
        sent: Option<DateTime<Utc>>,
        device_id: Option<String>,
        now: DateTime<Utc>,
    ) -> DeviceFacts {
        let captured_at = sent.unwrap_or(now);
        // A device clock far ahead is kept, never refused: the record is real, its time is not.
        let review_note = (captured_at > now + self.future_tolerance).then(|| {
            format!(
                "capturedAt {} is ahead of the server clock ({}) by more than {} hours; check the device clock",
                captured_at.to_rfc3339_opts(SecondsFormat::Secs, true),
                now.to_rfc3339_opts(SecondsFormat::Secs, true),
                self.future_tolerance.num_hours()
            )
        });
        DeviceFacts {
            captured_at,
            device_id: device_id.or_else(|| self.client.device_id.clone()),
            client_app: self.client.name.clone(),
            client_app_version: self.client.version.clone(),
            review_note,
        }
    }

    /// The facts of a record the server writes on its own (a distribution's dispatches
    /// take the facts of the distribution write instead): captured now, by this request.
    pub fn now(&self, now: DateTime<Utc>) -> DeviceFacts {
        self.facts(None, None, now)
    }
}
