//! Who is calling: bearer tokens and the caller they resolve to.

mod cache;
mod token;

use camptrack_domain::codes::Role;
use camptrack_domain::pcode::PCode;
use camptrack_geo::Cell;
use uuid::Uuid;

pub use cache::TokenCache;
pub use token::{TokenSecret, hash_token};

/// The authenticated account behind a request.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The account's id.
    pub account_id: Uuid,
    /// The account's display name.
    pub name: String,
    /// The account's role.
    pub role: Role,
    /// The account's organisation (always set for partners and enumerators).
    pub organisation_id: Option<Uuid>,
    /// The area an enumerator is bound to; empty when unbound.
    pub area: AccountArea,
}

/// An account's assigned area: H3 cells (their resolution-15 descendants) and p-codes
/// (sites whose admin0-3 p-code equals one of them). Empty means unbound.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountArea {
    /// Assigned cells, any resolution.
    pub cells: Vec<Cell>,
    /// Assigned admin areas.
    pub pcodes: Vec<PCode>,
}

impl AccountArea {
    /// Whether the account is bound to an area at all.
    pub fn is_bound(&self) -> bool {
        !(self.cells.is_empty() && self.pcodes.is_empty())
    }
}

/// Why a token was not accepted. Telling a holder of a real token that it expired or was
/// revoked helps them and no one else: guessing a token is not made easier by it.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No token has this value.
    #[error("the token is unknown: check that it was copied whole")]
    InvalidToken,
    /// The token was revoked.
    #[error("the token was revoked; ask an administrator for a new one")]
    Revoked,
    /// The token is past its expiry time.
    #[error("the token expired at {0}; ask an administrator for a new one")]
    Expired(chrono::DateTime<chrono::Utc>),
    /// The token's account is disabled.
    #[error("the account of this token is disabled")]
    AccountDisabled,
    /// The `Authorization` header is not `Bearer <token>`.
    #[error("the Authorization header must be `Bearer <token>`")]
    Malformed,
}

impl AuthError {
    /// A stable word for `extensions.reason`.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::InvalidToken => "UNKNOWN_TOKEN",
            Self::Revoked => "REVOKED",
            Self::Expired(_) => "EXPIRED",
            Self::AccountDisabled => "ACCOUNT_DISABLED",
            Self::Malformed => "MALFORMED",
        }
    }
}

/// The app and device a request comes from, as its headers say: `X-Client-App: NAME/VERSION`
/// (else the first product of `User-Agent`) and `X-Device-Id`. Kept on submitted records;
/// never used to decide access.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientApp {
    /// App name, e.g. `ODK Collect`.
    pub name: Option<String>,
    /// App version, e.g. `2024.2`.
    pub version: Option<String>,
    /// Device id from `X-Device-Id`, used when a submission names none itself.
    pub device_id: Option<String>,
}

impl ClientApp {
    /// Reads the headers' values (`None` for a missing or non-text header). Values are
    /// trimmed and cut to 100 characters; control characters are dropped.
    ///
    /// ```
    /// use camptrack::auth::ClientApp;
    /// let app = ClientApp::from_headers(Some("ODK Collect/2024.2"), Some("okhttp/4.12"), None);
    /// assert_eq!(app.name.as_deref(), Some("ODK Collect"));
    /// assert_eq!(app.version.as_deref(), Some("2024.2"));
    /// let ua = ClientApp::from_headers(None, Some("CampForms/3.1.0 (Android 14)"), Some("tab-7"));
    /// assert_eq!((ua.name.as_deref(), ua.version.as_deref()), (Some("CampForms"), Some("3.1.0")));
    /// assert_eq!(ua.device_id.as_deref(), Some("tab-7"));
    /// ```
    pub fn from_headers(
        client_app: Option<&str>,
        user_agent: Option<&str>,
        device_id: Option<&str>,
    ) -> Self {
        let clean = |v: &str| -> Option<String> {
            let v: String = v
                .trim()
                .chars()
                .filter(|c| !c.is_control())
                .take(100)
                .collect();
            (!v.trim().is_empty()).then(|| v.trim().to_owned())
        };
        let split = |product: &str| match product.rsplit_once('/') {
            Some((name, version)) => (clean(name), clean(version)),
            None => (clean(product), None),
        };
        let (name, version) = match (client_app.and_then(clean), user_agent.and_then(clean)) {
            (Some(app), _) => split(&app),
            (None, Some(ua)) => split(ua.split_whitespace().next().unwrap_or_default()),
            (None, None) => (None, None),
        };
        Self {
            name,
            version,
            device_id: device_id.and_then(clean),
        }
    }
}
