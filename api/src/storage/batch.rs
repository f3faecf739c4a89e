//! Batches of field submissions: how each item ended, and the runner that gives every item
//! its own transaction.
//!
//! Every item is written by an ordinary single-record write function that opens and
//! commits its own write transaction (`db::begin_write`). So items are independent (a
//! failed statement, a refused item or a lost race aborts only its own transaction, on
//! PostgreSQL and SQLite alike), every accepted item is committed before the next one
//! starts and therefore before the response is sent, and no lock outlives one item (two
//! devices sending overlapping batches never deadlock on each other's client UUIDs).
//!
//! To batch another kind of record (distributions, stock movements): write its
//! `*_item(db, caller, draft) -> Outcome<Record>` beside its single write, mapping an
//! identical replay to [`Outcome::Duplicate`], a reused client UUID or a stale version to
//! [`Outcome::Conflict`] and everything else with [`Outcome::from_error`]; then call
//! [`run`] from a resolver and map the outcomes with `graphql::batch`.

use std::future::Future;

use camptrack_domain::Invalid;

use super::StorageError;

/// How one item of a batch ended.
#[derive(Debug, Clone)]
pub enum Outcome<T> {
    /// Stored now.
    Accepted(T),
    /// Already stored with the same content (an identical replay): the stored record.
    Duplicate(T),
    /// The client UUID is taken by other content, or the version sent is stale.
    Conflict {
        /// What collided, in words.
        message: String,
        /// Dotted paths of the fields that differ between what was sent and what is stored.
        fields: Vec<String>,
        /// The stored record, when the caller may see it.
        current: Option<T>,
    },
    /// Refused: every field that is wrong, paths relative to the item.
    Rejected(Invalid),
    /// Not stored because of a server-side problem (database unavailable, internal
    /// error): nothing of the item was written; send it again later.
    Retry(String),
}

impl<T> Outcome<T> {
    /// Classifies an error of a single-record write. Conflicts without item-specific
    /// detail keep only their message; server faults are logged here and become `Retry`.
    pub fn from_error(err: StorageError) -> Self {
        match err {
            StorageError::Invalid(invalid) => Self::Rejected(invalid),
            StorageError::NotFound { entity, id } => {
                Self::Rejected(Invalid::one("", format!("{entity} {id} not found")))
            }
            StorageError::Forbidden(message) | StorageError::Limit(message) => {
                Self::Rejected(Invalid::one("", message))
            }
            StorageError::Conflict { message, .. } => Self::Conflict {
                message,
                fields: Vec::new(),
                current: None,
            },
            StorageError::Unavailable(cause) => {
                tracing::warn!(error = %cause, "database unavailable during a batch item");
                Self::Retry(retry_message("the database is unavailable right now"))
            }
            StorageError::Db(cause) => {
                tracing::error!(error = %cause, "database error during a batch item");
                Self::Retry(retry_message("internal error"))
            }
        }
    }

    /// The stored record the outcome carries, if any.
    pub fn record(&self) -> Option<&T> {
        match self {
            Self::Accepted(r) | Self::Duplicate(r) => Some(r),
            Self::Conflict { current, .. } => current.as_ref(),
            Self::Rejected(_) | Self::Retry(_) => None,
        }
    }
}

/// Dotted paths of the leaves that differ between two snapshots (version excluded).
pub(super) fn changed_fields(before: &serde_json::Value, after: &serde_json::Value) -> Vec<String> {
    fn walk(path: &str, a: &serde_json::Value, b: &serde_json::Value, out: &mut Vec<String>) {
        match (a, b) {
            (serde_json::Value::Object(a), serde_json::Value::Object(b)) => {
                let keys: std::collections::BTreeSet<_> = a.keys().chain(b.keys()).collect();
                for key in keys {
                    let child = if path.is_empty() {
                        key.clone()
                    } else {
                        format!("{path}.{key}")
                    };
                    walk(
                        &child,
                        a.get(key).unwrap_or(&serde_json::Value::Null),
                        b.get(key).unwrap_or(&serde_json::Value::Null),
                        out,
                    );
                }
            }
            (a, b) if a != b => out.push(path.to_owned()),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk("", before, after, &mut out);
    out.retain(|p| p != "version");
    out
}

fn retry_message(what: &str) -> String {
    let request = crate::telemetry::current_request_id().unwrap_or_default();
    format!("{what}; nothing of this item was stored, send it again later (request {request})")
}

/// Writes `items` one after another with `write`, each in its own transaction (the write
/// function opens and commits it), and answers every item in input order.
pub async fn run<I, T, F, Fut>(items: impl IntoIterator<Item = I>, mut write: F) -> Vec<Outcome<T>>
where
    F: FnMut(I) -> Fut,
    Fut: Future<Output = Outcome<T>>,
{
    let mut outcomes = Vec::new();
    for item in items {
        outcomes.push(write(item).await);
    }
    outcomes
}

/// What the server holds for each asked client UUID, in the order asked (a UUID asked twice
/// is answered twice): `None` where it holds nothing the caller may see.
pub(super) fn in_asked_order<T: Clone>(
    asked: &[uuid::Uuid],
    held: &std::collections::HashMap<uuid::Uuid, T>,
) -> Vec<(uuid::Uuid, Option<T>)> {
    asked.iter().map(|u| (*u, held.get(u).cloned())).collect()
}
