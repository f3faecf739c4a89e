//! Batch answers: one result per item, in input order, with a status a device can act on.
//!
//! [`ItemResult`] and [`BatchResult`] are generic over the record's node type; each record
//! kind names its concrete types (`AssessmentItemResult`/`AssessmentBatchResult`,
//! `DistributionItemResult`/`DistributionBatchResult`,
//! `StockMovementItemResult`/`StockMovementBatchResult`) with a `#[graphql(concrete(...))]`
//! line below, and its resolver builds the answer with [`answer`] from the outcomes of
//! `storage::batch::run`.

use async_graphql::{Enum, OutputType, SimpleObject};
use camptrack_domain::Invalid;
use uuid::Uuid;

use super::assessments::AssessmentNode;
use super::distributions::DistributionNode;
use super::stock::MovementNode;
use crate::storage::batch::Outcome;

/// How one item of a batch ended. Only `RETRY` items should be sent again.
#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
pub enum ItemStatus {
    /// Stored now. `record` is the stored record.
    Accepted,
    /// Already stored with identical content (a resend): `record` is the stored record.
    /// Treat it exactly like `ACCEPTED`.
    Duplicate,
    /// The client UUID is already used by other content, or the version sent is stale:
    /// nothing was written. `record` is the stored record (when you may see it) and
    /// `conflictingFields` names what differs; show both to the user and let them decide.
    Conflict,
    /// Refused: `errors` lists every wrong field (`items.3.sadd.2.ageMax`; an oversell
    /// names the item, the balance and the shortfall at the quantity that takes too much).
    /// Resending it unchanged will be refused again; fix it first.
    Rejected,
    /// Not stored because of a server-side problem; nothing of it was written. Send the
    /// item again later, unchanged.
    Retry,
}

/// One wrong field of an item.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(name = "ItemFieldError")]
pub struct ItemFieldError {
    /// Dotted path from the top of the request, e.g. `items.3.sadd.2.ageMax`.
    pub field: String,
    /// What is wrong.
    pub reason: String,
}

/// The answer for one item of a batch.
#[derive(Debug, SimpleObject)]
#[graphql(concrete(name = "AssessmentItemResult", params(AssessmentNode)))]
#[graphql(concrete(name = "DistributionItemResult", params(DistributionNode)))]
#[graphql(concrete(name = "StockMovementItemResult", params(MovementNode)))]
pub struct ItemResult<T: OutputType> {
    /// The item's position in the request, from 0.
    pub index: i32,
    /// The client UUID the item carried (for edits by id, the stored record's, if known).
    pub client_uuid: Option<Uuid>,
    /// How it ended.
    pub status: ItemStatus,
    /// The stored record: for `ACCEPTED` and `DUPLICATE`, and for `CONFLICT` when you may
    /// see it.
    pub record: Option<T>,
    /// For `REJECTED`: every wrong field.
    pub errors: Vec<ItemFieldError>,
    /// For `CONFLICT`: dotted paths of the fields that differ between what you sent and
    /// what is stored (e.g. `content.households`).
    pub conflicting_fields: Vec<String>,
    /// For `CONFLICT`, `REJECTED` and `RETRY`: what happened, in words.
    pub message: Option<String>,
}

/// The answer to a batch: one result per item, in input order, and counts per status.
#[derive(Debug, SimpleObject)]
#[graphql(concrete(name = "AssessmentBatchResult", params(AssessmentNode)))]
#[graphql(concrete(name = "DistributionBatchResult", params(DistributionNode)))]
#[graphql(concrete(name = "StockMovementBatchResult", params(MovementNode)))]
pub struct BatchResult<T: OutputType>
where
    ItemResult<T>: OutputType,
{
    /// One result per item, in input order.
    pub items: Vec<ItemResult<T>>,
    /// Items stored now.
    pub accepted: i32,
    /// Items that were already stored identically.
    pub duplicates: i32,
    /// Items in conflict with the stored record.
    pub conflicts: i32,
    /// Items refused for their content.
    pub rejected: i32,
    /// Items to send again later.
    pub retry: i32,
}

/// Builds the answer from outcomes, their client UUIDs and a node constructor. Field
/// paths of rejected items are placed under `items.N`.
pub fn answer<R, T: OutputType>(
    outcomes: Vec<Outcome<R>>,
    client_uuids: Vec<Option<Uuid>>,
    record_uuid: impl Fn(&R) -> Uuid,
    node: impl Fn(R) -> T,
) -> BatchResult<T>
where
    ItemResult<T>: OutputType,
{
    let mut result = BatchResult {
        items: Vec::with_capacity(outcomes.len()),
        accepted: 0,
        duplicates: 0,
        conflicts: 0,
        rejected: 0,
        retry: 0,
    };
    for (index, (outcome, sent_uuid)) in outcomes.into_iter().zip(client_uuids).enumerate() {
        let client_uuid = sent_uuid.or_else(|| outcome.record().map(&record_uuid));
        let prefix = format!("items.{index}");
        let mut item = ItemResult {
            index: i32::try_from(index).unwrap_or(i32::MAX),
            client_uuid,
            status: ItemStatus::Accepted,
            record: None,
            errors: Vec::new(),
            conflicting_fields: Vec::new(),
            message: None,
        };
        match outcome {
            Outcome::Accepted(r) => {
                result.accepted += 1;
                item.record = Some(node(r));
            }
            Outcome::Duplicate(r) => {
                result.duplicates += 1;
                item.status = ItemStatus::Duplicate;
                item.record = Some(node(r));
            }
            Outcome::Conflict {
                message,
                fields,
                current,
            } => {
                result.conflicts += 1;
                item.status = ItemStatus::Conflict;
                item.record = current.map(&node);
                item.conflicting_fields = fields;
                item.message = Some(message);
            }
            Outcome::Rejected(invalid) => {
                result.rejected += 1;
                item.status = ItemStatus::Rejected;
                let invalid = Invalid(invalid.0.into_iter().map(|e| e.under(&prefix)).collect());
                item.message = Some(invalid.to_string());
                item.errors = invalid
                    .0
                    .into_iter()
                    .map(|e| ItemFieldError {
                        field: e.path,
                        reason: e.reason,
                    })
                    .collect();
            }
            Outcome::Retry(message) => {
                result.retry += 1;
                item.status = ItemStatus::Retry;
                item.message = Some(message);
            }
        }
        result.items.push(item);
    }
    result
}
