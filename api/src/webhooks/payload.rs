//! The events a webhook receives, built from change-log entries: the event type a receiver
//! subscribes to and the JSON body it is sent.
//!
//! A body is built once, when the change is queued, and stored: every retry and redelivery
//! sends the same bytes under the same `webhook-id`. Its `data` is the record as the
//! webhook's owner could read it when the change was queued (which may already include a
//! later edit; that edit has its own event too).

use camptrack_domain::stock::Goods;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::storage::assessments::Assessment;
use crate::storage::changes::{
    Change, ChangeState, EntityKind, Operation, Record, TombstoneReason,
};
use crate::storage::distributions::Distribution;
use crate::storage::stock::Movement;

/// The kinds of record a webhook can follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// Site assessments.
    Assessment,
    /// Distributions.
    Distribution,
    /// Stock movements.
    StockMovement,
}

/// What happened to the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventAction {
    /// Created (a submission, a recording, a movement).
    Created,
    /// Changed (edited, reviewed, status changed).
    Updated,
    /// Gone from the owner's view: deleted, or no longer in the webhook's area or the
    /// owner's reach (e.g. a distribution reassigned to another organisation).
    Deleted,
}

/// An event type, e.g. `distribution.created`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EventType {
    /// The record kind.
    pub kind: EventKind,
    /// What happened.
    pub action: EventAction,
}

impl EventType {
    /// Every event type.
    pub const ALL: [Self; 9] = {
        use EventAction::*;
        use EventKind::*;
        [
            Self::of(Assessment, Created),
            Self::of(Assessment, Updated),
            Self::of(Assessment, Deleted),
            Self::of(Distribution, Created),
            Self::of(Distribution, Updated),
            Self::of(Distribution, Deleted),
            Self::of(StockMovement, Created),
            Self::of(StockMovement, Updated),
            Self::of(StockMovement, Deleted),
        ]
    };

    const fn of(kind: EventKind, action: EventAction) -> Self {
        Self { kind, action }
    }

    /// The type's name in bodies and storage, e.g. `stock_movement.created`.
    pub fn code(self) -> String {
        let kind = match self.kind {
            EventKind::Assessment => "assessment",
            EventKind::Distribution => "distribution",
            EventKind::StockMovement => "stock_movement",
        };
        let action = match self.action {
            EventAction::Created => "created",
            EventAction::Updated => "updated",
            EventAction::Deleted => "deleted",
        };
        format!("{kind}.{action}")
    }

    /// Parses [`Self::code`].
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.code() == code)
    }

    /// The event a change is, if it is about a kind webhooks follow.
    pub fn of_change(change: &Change) -> Option<Self> {
        let kind = match change.entity {
            EntityKind::Assessment => EventKind::Assessment,
            EntityKind::Distribution => EventKind::Distribution,
            EntityKind::StockMovement => EventKind::StockMovement,
            _ => return None,
        };
        let action = match (&change.state, change.operation) {
            (ChangeState::Tombstone(_), _) => EventAction::Deleted,
            (_, Operation::Create | Operation::Submit) => EventAction::Created,
            _ => EventAction::Updated,
        };
        Some(Self { kind, action })
    }
}

/// The body of the event `id` for `change`: `{"id", "type", "timestamp", "data"}` in the
/// Standard Webhooks shape.
pub fn body(id: Uuid, event: EventType, change: &Change) -> Value {
    let data = match &change.state {
        ChangeState::Live(Record::Assessment(a)) => assessment(a),
        ChangeState::Live(Record::Distribution(d)) => distribution(d),
        ChangeState::Live(Record::StockMovement(m)) => movement(m),
        ChangeState::Live(_) => json!({ "id": change.entity_id }),
        ChangeState::Tombstone(reason) => json!({
            "id": change.entity_id,
            "reason": match reason {
                TombstoneReason::Deleted => "DELETED",
                TombstoneReason::LeftArea => "LEFT_SCOPE",
                TombstoneReason::Closed => "SITE_CLOSED",
                TombstoneReason::Merged => "SITE_MERGED",
                TombstoneReason::Relocated => "SITE_RELOCATED",
            },
        }),
    };
    json!({
        "id": id,
        "type": event.code(),
        "timestamp": change.at,
        "data": data,
    })
}

fn assessment(a: &Assessment) -> Value {
    json!({
        "id": a.id,
        "clientUuid": a.client_uuid,
        "siteId": a.site_id,
        "organisationId": a.organisation_id,
        "roundNumber": a.content.round_number,
        "assessedOn": a.content.assessed_on,
        "figures": a.content.figures,
        "originAdmin1Pcode": a.content.origin_admin1_pcode,
        "originAdmin2Pcode": a.content.origin_admin2_pcode,
        "reviewStatus": a.review_status.to_string(),
        "capturedAt": a.captured_at,
        "receivedAt": a.received_at,
        "version": a.version,
        "updatedAt": a.updated_at,
    })
}

fn distribution(d: &Distribution) -> Value {
    let lines: Vec<Value> = d
        .lines
        .iter()
        .map(|l| {
            let (kind, id) = match l.goods {
                Goods::Item(id) => ("itemId", id),
                Goods::Kit(id) => ("kitId", id),
            };
            json!({ kind: id, "distributed": l.distributed, "lost": l.lost })
        })
        .collect();
    json!({
        "id": d.id,
        "clientUuid": d.client_uuid,
        "siteId": d.site_id,
        "implementingOrgId": d.implementing_org_id,
        "fundingOrgId": d.funding_org_id,
        "projectCode": d.project_code,
        "startsOn": d.starts_on,
        "endsOn": d.ends_on,
        "modality": d.modality.to_string(),
        "status": d.status.to_string(),
        "households": d.reached.households,
        "individuals": d.reached.individuals,
        "sadd": d.reached.sadd,
        "noShows": d.reached.no_shows,
        "lines": lines,
        "sourceWarehouseId": d.source_warehouse_id,
        "version": d.version,
        "createdAt": d.created_at,
        "updatedAt": d.updated_at,
    })
}

fn movement(m: &Movement) -> Value {
    json!({
        "id": m.id,
        "clientUuid": m.client_uuid,
        "warehouseId": m.warehouse_id,
        "itemId": m.item_id,
        "kind": m.kind.to_string(),
        "quantity": m.quantity,
        "occurredAt": m.occurred_at,
        "reason": m.reason,
        "documentRef": m.document_ref,
        "projectCode": m.project_code,
        "transferId": m.transfer_id,
        "correctsId": m.corrects_id,
        "distributionId": m.distribution_id,
        "recordedAt": m.recorded_at,
    })
}

#[cfg(test)]
mod tests {
    use super::EventType;

    #[test]
    fn event_types_round_trip() {
        for t in EventType::ALL {
            assert_eq!(EventType::parse(&t.code()), Some(t));
        }
        assert_eq!(EventType::parse("site.created"), None);
    }
}
