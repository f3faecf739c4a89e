//! The stock ledger: append-only signed movements. Receipts, dispatches, adjustments and
//! losses are single movements; a transfer is two written together; a correction reverses
//! the movement(s) it corrects. No movement is ever edited or deleted.
//!
//! The rule (design.md): a movement dated t is refused if the balance of its warehouse and
//! item would go below zero at any time from t on. Every write appends its movements, then
//! checks the lowest running balance from each new outflow's date on, in the same
//! transaction. Writers of one (warehouse, item) are serialised first: on SQLite by
//! `BEGIN IMMEDIATE`, on PostgreSQL (READ COMMITTED, where check-then-insert oversells) by
//! `pg_advisory_xact_lock` per (warehouse, item), taken in sorted key order so that writers
//! locking several items (kits) never deadlock.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

use camptrack_domain::Invalid;
use camptrack_domain::access::Write;
use camptrack_domain::codes::MovementKind;
use camptrack_domain::stock::{StockCode, lowest_running_balance};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Statement, TransactionSession,
};
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::batch::{Outcome, changed_fields};
use super::changes::{self, EntityKind, Operation, Placement};
use super::device::{DeviceFacts, SubmitOptions};
use super::entities::{item, stock_movement, warehouse};
use super::page::{self, Page, PageRequest};
use super::scope::Scope;
use super::{Result, StorageError, Writer, audit, catalogue, db, decode, warehouses};
use crate::auth::Caller;

/// The SQL of a balance: a sum cast to `BIGINT` (PostgreSQL's `SUM(bigint)` is NUMERIC).
pub(super) const SUM_QUANTITY: &str = "CAST(SUM(quantity) AS BIGINT)";

/// A stored movement.
#[derive(Debug, Clone)]
pub struct Movement {
    /// Server id (UUIDv7).
    pub id: Uuid,
    /// The client UUID of the operation that wrote it, on its first movement.
    pub client_uuid: Option<Uuid>,
    /// The warehouse.
    pub warehouse_id: Uuid,
    /// The item.
    pub item_id: Uuid,
    /// What kind of movement.
    pub kind: MovementKind,
    /// Signed base units: positive in, negative out.
    pub quantity: i64,
    /// When the stock moved.
    pub occurred_at: DateTime<Utc>,
    /// Why, in words.
    pub reason: Option<String>,
    /// Waybill, goods received note or other document.
    pub document_ref: Option<String>,
    /// Project code.
    pub project_code: Option<String>,
    /// Donor organisation.
    pub donor_org_id: Option<Uuid>,
    /// The organisation stock came from or went to.
    pub counterparty_org_id: Option<Uuid>,
    /// The warehouse stock came from or went to (transfers).
    pub counterparty_warehouse_id: Option<Uuid>,
    /// Shared by the movements of one transfer (the id of its outgoing leg).
    pub transfer_id: Option<Uuid>,
    /// The movement this one reverses.
    pub corrects_id: Option<Uuid>,
    /// The distribution that wrote it.
    pub distribution_id: Option<Uuid>,
    /// The account that recorded it.
    pub recorded_by: Uuid,
    /// When it was recorded: the server clock's receipt time.
    pub recorded_at: DateTime<Utc>,
    /// The device that recorded it: capture time (device clock), device id, app, and a
    /// review note when the device clock was far ahead.
    pub device: DeviceFacts,
}

impl TryFrom<stock_movement::Model> for Movement {
    type Error = StorageError;
    fn try_from(m: stock_movement::Model) -> Result<Self> {
        Ok(Self {
            kind: decode(&m.kind)?,
            id: m.id,
            client_uuid: m.client_uuid,
            warehouse_id: m.warehouse_id,
            item_id: m.item_id,
            quantity: m.quantity,
            occurred_at: m.occurred_at,
            reason: m.reason,
            document_ref: m.document_ref,
            project_code: m.project_code,
            donor_org_id: m.donor_org_id,
            counterparty_org_id: m.counterparty_org_id,
            counterparty_warehouse_id: m.counterparty_warehouse_id,
            transfer_id: m.transfer_id,
            corrects_id: m.corrects_id,
            distribution_id: m.distribution_id,
            recorded_by: m.recorded_by,
            recorded_at: m.recorded_at,
            device: DeviceFacts {
                captured_at: m.captured_at,
                device_id: m.device_id,
                client_app: m.client_app,
                client_app_version: m.client_app_version,
                review_note: m.review_note,
            },
        })
    }
}

impl Movement {
    fn audit_json(&self) -> serde_json::Value {
        json!({
            "id": self.id, "clientUuid": self.client_uuid, "warehouseId": self.warehouse_id,
            "itemId": self.item_id, "kind": self.kind, "quantity": self.quantity,
            "occurredAt": self.occurred_at, "reason": self.reason, "documentRef": self.document_ref,
            "projectCode": self.project_code, "donorOrgId": self.donor_org_id,
            "counterpartyOrgId": self.counterparty_org_id,
            "counterpartyWarehouseId": self.counterparty_warehouse_id,
            "transferId": self.transfer_id, "correctsId": self.corrects_id,
            "distributionId": self.distribution_id,
        })
    }
}

/// What a ledger write did.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The movements of the operation, in the order written.
    pub movements: Vec<Movement>,
    /// Whether it was already stored (an identical replay); nothing was written.
    pub duplicate: bool,
}

/// Where a movement's stock came from or went to, and why.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Particulars {
    /// Why, in words.
    pub reason: Option<String>,
    /// Waybill, GRN or other document.
    pub document_ref: Option<String>,
    /// Project code.
    pub project_code: Option<String>,
    /// Donor organisation.
    pub donor_org_id: Option<Uuid>,
    /// Organisation the stock came from or went to.
    pub counterparty_org_id: Option<Uuid>,
}

/// A receipt, dispatch, adjustment or loss, as the client sent it (validated).
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MovementDraft {
    /// Client-generated UUID; a replay with the same id is recognised.
    pub client_uuid: Uuid,
    /// The warehouse.
    pub warehouse_id: Uuid,
    /// The item's code.
    pub item_code: StockCode,
    /// Kind (not a transfer leg).
    pub kind: MovementKind,
    /// Signed base units (the kind's sign already applied).
    pub quantity: i64,
    /// When the stock moved.
    pub occurred_at: DateTime<Utc>,
    /// Reason, document, project, donor, counterparty.
    #[serde(flatten)]
    pub particulars: Particulars,
    /// When the device captured it (device clock); the server's receipt time when absent.
    /// Part of the replay hash only when sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub captured_at: Option<DateTime<Utc>>,
}

/// A transfer between two warehouses, as the client sent it (validated).
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TransferDraft {
    /// Client-generated UUID.
    pub client_uuid: Uuid,
    /// The warehouse the stock leaves.
    pub from_warehouse_id: Uuid,
    /// The warehouse the stock reaches.
    pub to_warehouse_id: Uuid,
    /// The item's code.
    pub item_code: StockCode,
    /// Base units moved (positive).
    pub quantity: i64,
    /// When the stock moved.
    pub occurred_at: DateTime<Utc>,
    /// Reason, document, project, donor.
    #[serde(flatten)]
    pub particulars: Particulars,
    /// When the device captured it (device clock); the server's receipt time when absent.
    /// Part of the replay hash only when sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub captured_at: Option<DateTime<Utc>>,
}

/// A correction: reverses a movement (both legs of a transfer).
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CorrectionDraft {
    /// Client-generated UUID.
    pub client_uuid: Uuid,
    /// The movement to reverse.
    pub movement_id: Uuid,
    /// Why it is corrected.
    pub reason: String,
    /// When the device captured it (device clock); the server's receipt time when absent.
    /// Part of the replay hash only when sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub captured_at: Option<DateTime<Utc>>,
}

fn hash_of(draft: &impl serde::Serialize) -> String {
    let canonical = serde_json::to_string(draft).unwrap_or_default();
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

/// A movement about to be appended.
#[derive(Debug, Clone)]
pub(super) struct Entry {
    pub id: Uuid,
    pub client_uuid: Option<Uuid>,
    pub content_hash: Option<String>,
    pub warehouse_id: Uuid,
    pub item_id: Uuid,
    pub kind: MovementKind,
    pub quantity: i64,
    pub occurred_at: DateTime<Utc>,
    pub particulars: Particulars,
    pub counterparty_warehouse_id: Option<Uuid>,
    pub transfer_id: Option<Uuid>,
    pub corrects_id: Option<Uuid>,
    pub distribution_id: Option<Uuid>,
    /// The device facts; `None` for a movement the server writes on its own (captured
    /// when recorded, no device).
    pub device: Option<DeviceFacts>,
    /// The input field to blame if this movement would take a balance below zero.
    pub blame: String,
}

impl Entry {
    pub(super) fn new(
        warehouse_id: Uuid,
        item_id: Uuid,
        kind: MovementKind,
        quantity: i64,
        occurred_at: DateTime<Utc>,
        blame: impl Into<String>,
    ) -> Self {
        Self {
            id: Uuid::now_v7(),
            client_uuid: None,
            content_hash: None,
            warehouse_id,
            item_id,
            kind,
            quantity,
            occurred_at,
            particulars: Particulars::default(),
            counterparty_warehouse_id: None,
            transfer_id: None,
            corrects_id: None,
            distribution_id: None,
            device: None,
            blame: blame.into(),
        }
    }
}

/// The advisory-lock key of one (warehouse, item): 64 bits of a SHA-256 of both ids.
fn lock_key(warehouse_id: Uuid, item_id: Uuid) -> i64 {
    let digest = Sha256::new()
        .chain_update(warehouse_id.as_bytes())
        .chain_update(item_id.as_bytes())
        .finalize();
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

/// Serialises writers of the given (warehouse, item) pairs until the transaction ends. On
/// PostgreSQL: one transaction-scoped advisory lock per pair, in ascending key order (two
/// writers locking overlapping sets always meet in the same order, so neither waits on the
/// other while holding what it needs). On SQLite the write transaction (`BEGIN IMMEDIATE`)
/// already holds the database's only write lock.
pub(super) async fn lock_pairs(
    txn: &impl ConnectionTrait,
    pairs: impl IntoIterator<Item = (Uuid, Uuid)>,
) -> Result<()> {
    if txn.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let keys: BTreeSet<i64> = pairs.into_iter().map(|(w, i)| lock_key(w, i)).collect();
    for key in keys {
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1)",
            [key.into()],
        ))
        .await?;
    }
    Ok(())
}

/// The lowest running balance of (warehouse, item) from `from` on: the balance at `from`
/// (every movement at or before it) and after each later instant.
async fn lowest_from(
    conn: &impl ConnectionTrait,
    warehouse_id: Uuid,
    item_id: Uuid,
    from: DateTime<Utc>,
) -> Result<i64> {
    let pair = Condition::all()
        .add(stock_movement::Column::WarehouseId.eq(warehouse_id))
        .add(stock_movement::Column::ItemId.eq(item_id));
    let opening: Option<i64> = stock_movement::Entity::find()
        .select_only()
        .column_as(Expr::cust(SUM_QUANTITY), "total")
        .filter(pair.clone())
        .filter(stock_movement::Column::OccurredAt.lte(from))
        .into_tuple::<Option<i64>>()
        .one(conn)
        .await?
        .flatten();
    let later: Vec<i64> = stock_movement::Entity::find()
        .select_only()
        .column_as(Expr::cust(SUM_QUANTITY), "total")
        .filter(pair)
        .filter(stock_movement::Column::OccurredAt.gt(from))
        .group_by(stock_movement::Column::OccurredAt)
        .order_by_asc(stock_movement::Column::OccurredAt)
        .into_tuple::<i64>()
        .all(conn)
        .await?;
    Ok(lowest_running_balance(opening.unwrap_or(0), later))
}

/// Appends `entries`, received at `recorded_at` (server clock), in the caller's
/// transaction after locking the pairs they take stock from, refuses them if any balance
/// would go below zero from their date on, and records an audit entry and a change-log
/// row per movement.
pub(super) async fn append(
    txn: &impl ConnectionTrait,
    caller: &Caller,
    action: &str,
    recorded_at: DateTime<Utc>,
    entries: Vec<Entry>,
) -> Result<Vec<Movement>> {
    // Per (warehouse, item) the entries take stock from: the earliest outflow's date, the
    // base units taken out, and the field to blame.
    let mut outflows: BTreeMap<(Uuid, Uuid), (DateTime<Utc>, i64, String)> = BTreeMap::new();
    for e in entries.iter().filter(|e| e.quantity < 0) {
        let slot = outflows.entry((e.warehouse_id, e.item_id)).or_insert((
            e.occurred_at,
            0,
            e.blame.clone(),
        ));
        slot.0 = slot.0.min(e.occurred_at);
        slot.1 -= e.quantity;
    }
    lock_pairs(txn, outflows.keys().copied()).await?;
    let models: Vec<stock_movement::ActiveModel> = entries
        .iter()
        .map(|e| {
            let device = e.device.clone().unwrap_or(DeviceFacts {
                captured_at: recorded_at,
                device_id: None,
                client_app: None,
                client_app_version: None,
                review_note: None,
            });
            stock_movement::ActiveModel {
                id: Set(e.id),
                client_uuid: Set(e.client_uuid),
                content_hash: Set(e.content_hash.clone()),
                warehouse_id: Set(e.warehouse_id),
                item_id: Set(e.item_id),
                kind: Set(e.kind.to_string()),
                quantity: Set(e.quantity),
                occurred_at: Set(e.occurred_at),
                reason: Set(e.particulars.reason.clone()),
                document_ref: Set(e.particulars.document_ref.clone()),
                project_code: Set(e.particulars.project_code.clone()),
                donor_org_id: Set(e.particulars.donor_org_id),
                counterparty_org_id: Set(e.particulars.counterparty_org_id),
                counterparty_warehouse_id: Set(e.counterparty_warehouse_id),
                transfer_id: Set(e.transfer_id),
                corrects_id: Set(e.corrects_id),
                distribution_id: Set(e.distribution_id),
                recorded_by: Set(caller.account_id),
                recorded_at: Set(recorded_at),
                captured_at: Set(device.captured_at),
                device_id: Set(device.device_id),
                client_app: Set(device.client_app),
                client_app_version: Set(device.client_app_version),
                review_note: Set(device.review_note),
            }
        })
        .collect();
    if models.is_empty() {
        return Ok(Vec::new());
    }
    stock_movement::Entity::insert_many(models)
        .exec_without_returning(txn)
        .await
        .map_err(|e| super::taken(e, "client UUID or correction"))?;
    let mut short = Vec::new();
    for (&(warehouse_id, item_id), (from, requested, blame)) in &outflows {
        let lowest = lowest_from(txn, warehouse_id, item_id, *from).await?;
        if lowest < 0 {
            short.push(
                shortfall(txn, warehouse_id, item_id, *from, *requested, lowest, blame).await?,
            );
        }
    }
    if !short.is_empty() {
        return Err(Invalid(short).into());
    }
    let ids: Vec<Uuid> = entries.iter().map(|e| e.id).collect();
    let mut stored = stock_movement::Entity::find()
        .filter(stock_movement::Column::Id.is_in(ids.clone()))
        .all(txn)
        .await?
        .into_iter()
        .map(Movement::try_from)
        .collect::<Result<Vec<_>>>()?;
    stored.sort_by_key(|m| ids.iter().position(|id| *id == m.id));
    let stores: BTreeMap<Uuid, warehouse::Model> = warehouse::Entity::find()
        .filter(warehouse::Column::Id.is_in(stored.iter().map(|m| m.warehouse_id)))
        .all(txn)
        .await?
        .into_iter()
        .map(|w| (w.id, w))
        .collect();
    for m in &stored {
        // Placed at its warehouse (point and p-codes), owned by the warehouse's
        // organisation: delta sync hands it only to who may read that stock.
        changes::append(
            txn,
            changes::Entry {
                entity: EntityKind::StockMovement,
                entity_id: m.id.to_string(),
                operation: Operation::Create,
                after: stores.get(&m.warehouse_id).map(Placement::of_warehouse),
                before: None,
            },
        )
        .await?;
        audit::record(
            txn,
            Some(caller),
            audit::Change {
                action,
                entity: "stockMovement",
                entity_id: m.id.to_string(),
                before: None,
                after: Some(m.audit_json()),
            },
        )
        .await?;
    }
    Ok(stored)
}

/// The error for a balance that would go below zero: names the item, the warehouse, the
/// balance available from `from` on, what was asked and the shortfall.
async fn shortfall(
    conn: &impl ConnectionTrait,
    warehouse_id: Uuid,
    item_id: Uuid,
    from: DateTime<Utc>,
    requested: i64,
    lowest: i64,
    blame: &str,
) -> Result<camptrack_domain::FieldError> {
    let item = item::Entity::find_by_id(item_id).one(conn).await?;
    let store = warehouse::Entity::find_by_id(warehouse_id)
        .one(conn)
        .await?;
    let (code, unit) = item.map_or((item_id.to_string(), String::new()), |i| (i.code, i.unit));
    let store = store.map_or(warehouse_id.to_string(), |w| w.code);
    let short = -lowest;
    let available = (requested - short).max(0);
    Ok(camptrack_domain::FieldError::new(
        blame,
        format!(
            "not enough {code} in warehouse {store}: the balance is {available} {unit} from {} on, {requested} requested, short by {short}",
            from.format("%Y-%m-%d %H:%M:%S UTC"),
        ),
    ))
}

/// Runs `attempt`; if it lost a race to an identical replay (a conflict while the client
/// UUID is now stored), runs it once more, when it answers as a replay.
async fn with_replay_retry<F, Fut>(
    db: &impl Writer,
    client_uuid: Uuid,
    mut attempt: F,
) -> Result<Recorded>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Recorded>>,
{
    match attempt().await {
        Err(StorageError::Conflict { .. })
            if stored_operation(db, client_uuid).await?.is_some() =>
        {
            attempt().await
        }
        other => other,
    }
}

async fn stored_operation(
    conn: &impl ConnectionTrait,
    client_uuid: Uuid,
) -> Result<Option<stock_movement::Model>> {
    Ok(stock_movement::Entity::find()
        .filter(stock_movement::Column::ClientUuid.eq(client_uuid))
        .one(conn)
        .await?)
}

/// The stored operation of `client_uuid`: `Some` for an identical replay the caller may
/// see, a conflict for the same UUID with other content, `None` when new.
async fn replay(
    conn: &impl ConnectionTrait,
    scope: Scope<'_>,
    client_uuid: Uuid,
    hash: &str,
) -> Result<Option<Recorded>> {
    let Some(stored) = stored_operation(conn, client_uuid).await? else {
        return Ok(None);
    };
    let visible = stock_movement::Entity::find_by_id(stored.id)
        .filter(scope.stock())
        .one(conn)
        .await?
        .is_some();
    let group = operation(conn, &stored).await?;
    if visible && stored.content_hash.as_deref() == Some(hash) {
        return Ok(Some(Recorded {
            movements: group,
            duplicate: true,
        }));
    }
    Err(StorageError::Conflict {
        message: format!(
            "client UUID {client_uuid} is already used by a stock operation with different content; use a new UUID for a new operation"
        ),
        current: visible.then(|| json!(group.iter().map(Movement::audit_json).collect::<Vec<_>>())),
    })
}

/// Every movement written by the operation `first` began: the legs of its transfer.
async fn operation(
    conn: &impl ConnectionTrait,
    first: &stock_movement::Model,
) -> Result<Vec<Movement>> {
    match first.transfer_id {
        Some(transfer) => stock_movement::Entity::find()
            .filter(stock_movement::Column::TransferId.eq(transfer))
            .order_by_asc(stock_movement::Column::Id)
            .all(conn)
            .await?
            .into_iter()
            .map(Movement::try_from)
            .collect(),
        None => Ok(vec![Movement::try_from(first.clone())?]),
    }
}

/// Records a receipt, dispatch, adjustment or loss. An identical replay of a stored client
/// UUID answers the stored movement (`duplicate`); the same UUID with other content is a
/// conflict.
pub async fn record(
    db: &impl Writer,
    caller: &Caller,
    draft: MovementDraft,
    options: &SubmitOptions,
) -> Result<Recorded> {
    let scope = Scope::of(caller);
    scope.require(Write::Stock)?;
    if !draft.kind.recorded_alone() {
        return Err(Invalid::one(
            "kind",
            "record transfers with transferStock: both legs are written together",
        )
        .into());
    }
    with_replay_retry(db, draft.client_uuid, || {
        record_once(db, scope, &draft, options)
    })
    .await
}

async fn record_once(
    db: &impl Writer,
    scope: Scope<'_>,
    draft: &MovementDraft,
    options: &SubmitOptions,
) -> Result<Recorded> {
    let hash = hash_of(draft);
    let txn = db::begin_write(db).await?;
    if let Some(done) = replay(&txn, scope, draft.client_uuid, &hash).await? {
        return Ok(done);
    }
    let store = warehouses::writable(&txn, scope, "warehouseId", draft.warehouse_id).await?;
    let item = catalogue::item_for(&txn, "itemCode", draft.item_code.as_str()).await?;
    let now = super::now();
    let entry = Entry {
        client_uuid: Some(draft.client_uuid),
        content_hash: Some(hash),
        particulars: draft.particulars.clone(),
        device: Some(options.facts(draft.captured_at, None, now)),
        ..Entry::new(
            store.id,
            item.id,
            draft.kind,
            draft.quantity,
            draft.occurred_at,
            "quantity",
        )
    };
    let movements = append(
        &txn,
        scope.caller(),
        "stockMovement.record",
        now,
        vec![entry],
    )
    .await?;
    txn.commit().await?;
    Ok(Recorded {
        movements,
        duplicate: false,
    })
}

/// One item of a batch of movements: accepted, an identical replay (duplicate), a
/// conflict naming the fields that differ from the stored movement, rejected (an oversell
/// names the item, the balance and the shortfall), or to be retried.
pub async fn record_item(
    db: &impl Writer,
    caller: &Caller,
    draft: MovementDraft,
    options: &SubmitOptions,
) -> Outcome<Movement> {
    let client_uuid = draft.client_uuid;
    let sent = serde_json::to_value(&draft).unwrap_or_default();
    match record(db, caller, draft, options).await {
        Ok(r) => match r.movements.into_iter().next() {
            Some(m) if r.duplicate => Outcome::Duplicate(m),
            Some(m) => Outcome::Accepted(m),
            None => Outcome::from_error(StorageError::Db(sea_orm::DbErr::Custom(
                "a stock operation stored no movement".to_owned(),
            ))),
        },
        Err(StorageError::Conflict { message, current }) => {
            // The stored movement only when the caller may see it; another organisation's
            // stays unnamed.
            let stored = match current {
                Some(_) => by_client_uuid(db, Scope::of(caller), client_uuid).await,
                None => Ok(None),
            };
            let stored = match stored {
                Ok(stored) => stored,
                Err(e) => return Outcome::from_error(e),
            };
            let fields = match &stored {
                Some(m) => match replay_form(db, m).await {
                    Ok(form) => {
                        let mut sent = sent;
                        if sent["capturedAt"].is_null() {
                            sent["capturedAt"] = form["capturedAt"].clone();
                        }
                        changed_fields(&form, &sent)
                    }
                    Err(e) => return Outcome::from_error(e),
                },
                None => Vec::new(),
            };
            Outcome::Conflict {
                message,
                fields,
                current: stored,
            }
        }
        Err(e) => Outcome::from_error(e),
    }
}

/// A stored movement in the shape of the draft that records it, to compare with a draft
/// sent again.
async fn replay_form(conn: &impl ConnectionTrait, m: &Movement) -> Result<serde_json::Value> {
    let item = catalogue::get_item(conn, m.item_id).await?;
    Ok(json!({
        "clientUuid": m.client_uuid, "warehouseId": m.warehouse_id, "itemCode": item.code,
        "kind": m.kind, "quantity": m.quantity, "occurredAt": m.occurred_at,
        "reason": m.reason, "documentRef": m.document_ref, "projectCode": m.project_code,
        "donorOrgId": m.donor_org_id, "counterpartyOrgId": m.counterparty_org_id,
        "capturedAt": m.device.captured_at,
    }))
}

/// The first movement of the operation recorded with `client_uuid`, if the caller may see
/// it.
pub async fn by_client_uuid(
    conn: &impl ConnectionTrait,
    scope: Scope<'_>,
    client_uuid: Uuid,
) -> Result<Option<Movement>> {
    stock_movement::Entity::find()
        .filter(stock_movement::Column::ClientUuid.eq(client_uuid))
        .filter(scope.stock())
        .one(conn)
        .await?
        .map(Movement::try_from)
        .transpose()
}

/// What the server holds for each client UUID, in the order asked: the movements of the
/// stock operation recorded with it when the caller may see them (its scope, or it
/// recorded them itself), else `None`, which is all a caller learns about another
/// organisation's stock.
pub async fn statuses(
    conn: &impl ConnectionTrait,
    scope: Scope<'_>,
    client_uuids: &[Uuid],
) -> Result<Vec<(Uuid, Option<Vec<Movement>>)>> {
    let rows = stock_movement::Entity::find()
        .filter(stock_movement::Column::ClientUuid.is_in(client_uuids.iter().copied()))
        .filter(
            Condition::any()
                .add(scope.stock())
                .add(stock_movement::Column::RecordedBy.eq(scope.caller().account_id)),
        )
        .all(conn)
        .await?;
    let mut held = std::collections::HashMap::new();
    for row in rows {
        if let Some(client_uuid) = row.client_uuid {
            held.insert(client_uuid, operation(conn, &row).await?);
        }
    }
    Ok(super::batch::in_asked_order(client_uuids, &held))
}

/// Movements by id that the caller may see (for the change log).
pub(super) async fn by_ids(
    conn: &impl ConnectionTrait,
    scope: Scope<'_>,
    ids: &[Uuid],
) -> Result<Vec<Movement>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    stock_movement::Entity::find()
        .filter(stock_movement::Column::Id.is_in(ids.iter().copied()))
        .filter(scope.stock())
        .all(conn)
        .await?
        .into_iter()
        .map(Movement::try_from)
        .collect()
}

/// Moves stock from one warehouse to another: a `TRANSFER_OUT` and a `TRANSFER_IN` written
/// in one transaction, sharing a transfer id. Both warehouses must be ones the caller may
/// move stock in.
pub async fn transfer(
    db: &impl Writer,
    caller: &Caller,
    draft: TransferDraft,
    options: &SubmitOptions,
) -> Result<Recorded> {
    let scope = Scope::of(caller);
    scope.require(Write::Stock)?;
    if draft.from_warehouse_id == draft.to_warehouse_id {
        return Err(Invalid::one("toWarehouseId", "a transfer goes to another warehouse").into());
    }
    with_replay_retry(db, draft.client_uuid, || {
        transfer_once(db, scope, &draft, options)
    })
    .await
}

async fn transfer_once(
    db: &impl Writer,
    scope: Scope<'_>,
    draft: &TransferDraft,
    options: &SubmitOptions,
) -> Result<Recorded> {
    let hash = hash_of(draft);
    let txn = db::begin_write(db).await?;
    if let Some(done) = replay(&txn, scope, draft.client_uuid, &hash).await? {
        return Ok(done);
    }
    let from =
        warehouses::writable(&txn, scope, "fromWarehouseId", draft.from_warehouse_id).await?;
    let to = warehouses::writable(&txn, scope, "toWarehouseId", draft.to_warehouse_id).await?;
    let item = catalogue::item_for(&txn, "itemCode", draft.item_code.as_str()).await?;
    let now = super::now();
    let device = options.facts(draft.captured_at, None, now);
    let out = Entry {
        client_uuid: Some(draft.client_uuid),
        content_hash: Some(hash),
        particulars: draft.particulars.clone(),
        counterparty_warehouse_id: Some(to.id),
        device: Some(device.clone()),
        ..Entry::new(
            from.id,
            item.id,
            MovementKind::TransferOut,
            -draft.quantity,
            draft.occurred_at,
            "quantity",
        )
    };
    let incoming = Entry {
        particulars: draft.particulars.clone(),
        counterparty_warehouse_id: Some(from.id),
        device: Some(device),
        transfer_id: Some(out.id),
        ..Entry::new(
            to.id,
            item.id,
            MovementKind::TransferIn,
            draft.quantity,
            draft.occurred_at,
            "quantity",
        )
    };
    let out = Entry {
        transfer_id: Some(out.id),
        ..out
    };
    let movements = append(
        &txn,
        scope.caller(),
        "stockMovement.transfer",
        now,
        vec![out, incoming],
    )
    .await?;
    txn.commit().await?;
    Ok(Recorded {
        movements,
        duplicate: false,
    })
}

/// Corrects a movement by appending its reversal: same warehouse, item, kind and date,
/// opposite quantity, linked to it. Correcting either leg of a transfer reverses both.
/// A movement is corrected at most once; corrections and a distribution's movements are
/// not corrected here (record a new movement; cancel the distribution).
pub async fn correct(
    db: &impl Writer,
    caller: &Caller,
    draft: CorrectionDraft,
    options: &SubmitOptions,
) -> Result<Recorded> {
    let scope = Scope::of(caller);
    scope.require(Write::Stock)?;
    with_replay_retry(db, draft.client_uuid, || {
        correct_once(db, scope, &draft, options)
    })
    .await
}

async fn correct_once(
    db: &impl Writer,
    scope: Scope<'_>,
    draft: &CorrectionDraft,
    options: &SubmitOptions,
) -> Result<Recorded> {
    let hash = hash_of(draft);
    let txn = db::begin_write(db).await?;
    if let Some(done) = replay(&txn, scope, draft.client_uuid, &hash).await? {
        return Ok(done);
    }
    let target = stock_movement::Entity::find_by_id(draft.movement_id)
        .filter(scope.stock())
        .one(&txn)
        .await?
        .ok_or_else(|| {
            Invalid::one(
                "movementId",
                format!("no movement {} that you may correct", draft.movement_id),
            )
        })?;
    warehouses::writable(&txn, scope, "movementId", target.warehouse_id).await?;
    if target.corrects_id.is_some() {
        return Err(Invalid::one(
            "movementId",
            "this movement is itself a correction; record a new movement instead",
        )
        .into());
    }
    if let Some(distribution) = target.distribution_id {
        return Err(Invalid::one(
            "movementId",
            format!("this movement belongs to distribution {distribution}: cancel the distribution to return its stock"),
        )
        .into());
    }
    let legs: Vec<stock_movement::Model> = match target.transfer_id {
        Some(t) => {
            stock_movement::Entity::find()
                .filter(stock_movement::Column::TransferId.eq(t))
                .order_by_asc(stock_movement::Column::Id)
                .all(&txn)
                .await?
        }
        None => vec![target.clone()],
    };
    for leg in &legs {
        if let Some(by) = stock_movement::Entity::find()
            .filter(stock_movement::Column::CorrectsId.eq(leg.id))
            .one(&txn)
            .await?
        {
            return Err(StorageError::Conflict {
                message: format!("movement {} is already corrected by {}", leg.id, by.id),
                current: Some(Movement::try_from(by)?.audit_json()),
            });
        }
    }
    let mut entries = Vec::new();
    let group = Uuid::now_v7();
    let now = super::now();
    let device = options.facts(draft.captured_at, None, now);
    for (i, leg) in legs.iter().enumerate() {
        let kind: MovementKind = decode(&leg.kind)?;
        let mut entry = Entry::new(
            leg.warehouse_id,
            leg.item_id,
            kind,
            -leg.quantity,
            leg.occurred_at,
            "movementId",
        );
        if i == 0 {
            entry.id = group;
            entry.client_uuid = Some(draft.client_uuid);
            entry.content_hash = Some(hash.clone());
        }
        entry.particulars = Particulars {
            reason: Some(draft.reason.clone()),
            document_ref: leg.document_ref.clone(),
            project_code: leg.project_code.clone(),
            donor_org_id: leg.donor_org_id,
            counterparty_org_id: leg.counterparty_org_id,
        };
        entry.counterparty_warehouse_id = leg.counterparty_warehouse_id;
        entry.corrects_id = Some(leg.id);
        entry.device = Some(device.clone());
        entry.transfer_id = (legs.len() > 1).then_some(group);
        entries.push(entry);
    }
    let movements = append(&txn, scope.caller(), "stockMovement.correct", now, entries).await?;
    txn.commit().await?;
    Ok(Recorded {
        movements,
        duplicate: false,
    })
}

/// Filters for movement lists.
#[derive(Debug, Default, Clone)]
pub struct MovementFilter {
    /// Only this warehouse's.
    pub warehouse_id: Option<Uuid>,
    /// Only this item's.
    pub item_id: Option<Uuid>,
    /// Only these kinds.
    pub kinds: Vec<MovementKind>,
    /// Only movements on or after this day (UTC).
    pub from: Option<NaiveDate>,
    /// Only movements on or before this day (UTC).
    pub to: Option<NaiveDate>,
    /// Only in this organisation's warehouses.
    pub organisation_id: Option<Uuid>,
    /// Only those a distribution wrote.
    pub distribution_id: Option<Uuid>,
    /// Only the corrections of this movement.
    pub corrects_id: Option<Uuid>,
}

/// The first instant of `day` (UTC).
pub(super) fn start_of(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(chrono::NaiveTime::MIN).and_utc()
}

impl MovementFilter {
    fn condition(&self) -> Condition {
        let mut cond = Condition::all();
        if let Some(w) = self.warehouse_id {
            cond = cond.add(stock_movement::Column::WarehouseId.eq(w));
        }
        if let Some(i) = self.item_id {
            cond = cond.add(stock_movement::Column::ItemId.eq(i));
        }
        if !self.kinds.is_empty() {
            cond = cond.add(
                stock_movement::Column::Kind.is_in(self.kinds.iter().map(ToString::to_string)),
            );
        }
        if let Some(from) = self.from {
            cond = cond.add(stock_movement::Column::OccurredAt.gte(start_of(from)));
        }
        if let Some(to) = self.to.and_then(|d| d.succ_opt()) {
            cond = cond.add(stock_movement::Column::OccurredAt.lt(start_of(to)));
        }
        if let Some(org) = self.organisation_id {
            let owned = sea_orm::sea_query::Query::select()
                .column(warehouse::Column::Id)
                .from(warehouse::Entity)
                .and_where(warehouse::Column::OrganisationId.eq(org))
                .to_owned();
            cond = cond.add(stock_movement::Column::WarehouseId.in_subquery(owned));
        }
        if let Some(d) = self.distribution_id {
            cond = cond.add(stock_movement::Column::DistributionId.eq(d));
        }
        if let Some(c) = self.corrects_id {
            cond = cond.add(stock_movement::Column::CorrectsId.eq(c));
        }
        cond
    }
}

/// Movements the caller may see, filtered, in recording order.
pub async fn list(
    conn: &impl ConnectionTrait,
    scope: Scope<'_>,
    filter: &MovementFilter,
    page: &PageRequest,
) -> Result<Page<Movement>> {
    list_since(conn, scope, filter, None, page).await
}

/// [`list`], restricted to movements recorded (`recorded_at`, the server clock; movements
/// are never edited) at or after `since` when given: the incremental pulls of exports.
pub async fn list_since(
    conn: &impl ConnectionTrait,
    scope: Scope<'_>,
    filter: &MovementFilter,
    since: Option<DateTime<Utc>>,
    page: &PageRequest,
) -> Result<Page<Movement>> {
    let mut query = stock_movement::Entity::find()
        .filter(scope.stock())
        .filter(filter.condition());
    if let Some(since) = since {
        query = query.filter(stock_movement::Column::RecordedAt.gte(since));
    }
    page::fetch(conn, query, stock_movement::Column::Id, page)
        .await?
        .try_map(Movement::try_from)
}

/// The movement with `id`, if the caller may see it.
pub async fn get(conn: &impl ConnectionTrait, scope: Scope<'_>, id: Uuid) -> Result<Movement> {
    stock_movement::Entity::find_by_id(id)
        .filter(scope.stock())
        .one(conn)
        .await?
        .ok_or_else(|| StorageError::not_found("stock movement", id))?
        .try_into()
}
