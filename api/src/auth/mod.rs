//! Who is calling: bearer tokens and the caller they resolve to.

mod token;

use camptrack_domain::codes::Role;
use camptrack_domain::pcode::PCode;
use camptrack_geo::Cell;
use uuid::Uuid;

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

/// Why a token was not accepted. Deliberately vague towards the client.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No such token, or revoked, or expired, or its account disabled.
    #[error("the token is unknown, revoked or expired")]
    InvalidToken,
    /// The `Authorization` header is not `Bearer <token>`.
    #[error("the Authorization header must be `Bearer <token>`")]
    Malformed,
}
