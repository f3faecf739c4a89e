//! Distributions: items and kits handed to households at a site. Completing an in-kind
//! distribution that names a source warehouse writes its dispatches (kits expanded into
//! items; losses as `LOSS`) in the same transaction, under the ledger's never-below-zero
//! rule; cancelling a completed one writes their reversal.

use camptrack_domain::Invalid;
use camptrack_domain::access::Write;
use camptrack_domain::codes::{DistributionModality, DistributionStatus, MovementKind, Role};
use camptrack_domain::error::Errors;
use camptrack_domain::sadd::SaddRow;
use camptrack_domain::stock::{Goods, Line, MAX_LINE_QUANTITY, Reached, StockCode, expand};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::ActiveValue::{Set, Unchanged};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    TransactionSession,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::batch::{Outcome, changed_fields};
use super::changes::{self, EntityKind, Operation, Placement};
use super::device::{DeviceFacts, SubmitOptions};
use super::entities::{distribution, distribution_line, site, stock_movement};
use super::page::{self, Page, PageRequest};
use super::scope::Scope;
use super::stock::{self, Entry, Movement, Particulars};
use super::{Result, StorageError, Writer, audit, catalogue, db, decode, decode_json, warehouses};
use crate::auth::Caller;

/// What a distribution reports, as the client sent it (validated; codes not yet resolved).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DistributionContent {
    /// The site.
    pub site_id: Uuid,
    /// Implementing organisation; `None` means the caller's own.
    pub implementing_org_id: Option<Uuid>,
    /// Funding organisation (donor).
    pub funding_org_id: Option<Uuid>,
    /// Project code.
    pub project_code: Option<String>,
    /// First day.
    pub starts_on: NaiveDate,
    /// Last day, for distributions over several days.
    pub ends_on: Option<NaiveDate>,
    /// In kind, cash or voucher.
    pub modality: DistributionModality,
    /// State.
    pub status: DistributionStatus,
    /// Households reached.
    pub households: u32,
    /// Individuals reached.
    pub individuals: u32,
    /// SADD of the individuals reached.
    pub sadd: Vec<SaddRow>,
    /// Registered households that did not come.
    pub no_shows: u32,
    /// Lines: item or kit codes with units distributed and lost.
    #[serde(serialize_with = "lines_json")]
    pub lines: Vec<Line<StockCode>>,
    /// Where in-kind stock comes from.
    pub source_warehouse_id: Option<Uuid>,
}

/// Lines in the canonical input, for the replay hash.
fn lines_json<S: serde::Serializer>(
    lines: &[Line<StockCode>],
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    use serde::Serialize;
    let lines: Vec<Value> = lines
        .iter()
        .map(|l| {
            let (kind, code) = match &l.goods {
                Goods::Item(c) => ("item", c.as_str()),
                Goods::Kit(c) => ("kit", c.as_str()),
            };
            json!({ kind: code, "distributed": l.distributed, "lost": l.lost })
        })
        .collect();
    lines.serialize(s)
}

/// A new distribution: its client-generated id, its content and when the device captured
/// it.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DistributionDraft {
    /// Client-generated UUID; a replay with the same id is recognised.
    pub client_uuid: Uuid,
    /// What it reports.
    pub content: DistributionContent,
    /// When the device captured it (device clock); the server's receipt time when absent.
    /// Part of the replay hash only when sent, so drafts without it hash as before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub captured_at: Option<DateTime<Utc>>,
}

/// A stored line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredLine {
    /// The item or kit.
    pub goods: Goods<Uuid>,
    /// Units distributed.
    pub distributed: i64,
    /// Units lost or damaged.
    pub lost: i64,
}

/// A stored distribution.
#[derive(Debug, Clone)]
pub struct Distribution {
    /// Server id.
    pub id: Uuid,
    /// Client-generated id.
    pub client_uuid: Uuid,
    /// The site.
    pub site_id: Uuid,
    /// Implementing organisation.
    pub implementing_org_id: Uuid,
    /// Funding organisation.
    pub funding_org_id: Option<Uuid>,
    /// Project code.
    pub project_code: Option<String>,
    /// First day.
    pub starts_on: NaiveDate,
    /// Last day.
    pub ends_on: Option<NaiveDate>,
    /// Modality.
    pub modality: DistributionModality,
    /// State.
    pub status: DistributionStatus,
    /// People reached.
    pub reached: Reached,
    /// Lines in order.
    pub lines: Vec<StoredLine>,
    /// Source warehouse.
    pub source_warehouse_id: Option<Uuid>,
    /// The recording account.
    pub recorded_by: Uuid,
    /// Version: 1 when recorded, +1 on every change.
    pub version: i32,
    /// When recorded: the server clock's receipt time.
    pub created_at: DateTime<Utc>,
    /// The device that recorded it: capture time (device clock), device id, app, and a
    /// review note when the device clock was far ahead.
    pub device: DeviceFacts,
    /// When last changed.
    pub updated_at: DateTime<Utc>,
}

/// What a recording did.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The stored distribution.
    pub distribution: Distribution,
    /// Whether it was already stored (an identical replay); nothing was written.
    pub duplicate: bool,
}

impl Distribution {
    fn snapshot(&self) -> Value {
        let lines: Vec<Value> = self
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
            "id": self.id, "clientUuid": self.client_uuid, "siteId": self.site_id,
            "implementingOrgId": self.implementing_org_id, "fundingOrgId": self.funding_org_id,
            "projectCode": self.project_code, "startsOn": self.starts_on, "endsOn": self.ends_on,
            "modality": self.modality, "status": self.status,
            "households": self.reached.households, "individuals": self.reached.individuals,
            "sadd": self.reached.sadd, "noShows": self.reached.no_shows,
            "lines": lines, "sourceWarehouseId": self.source_warehouse_id, "version": self.version,
        })
    }

    /// When its stock leaves the warehouse: the end of its last day (UTC), so that stock
    /// received on that day is counted.
    fn dispatched_at(&self) -> DateTime<Utc> {
        let last = self.ends_on.unwrap_or(self.starts_on);
        stock::start_of(last.succ_opt().unwrap_or(last)) - chrono::TimeDelta::microseconds(1)
    }
}

fn from_row(m: distribution::Model, lines: Vec<distribution_line::Model>) -> Result<Distribution> {
    let count = |v: i64| {
        u32::try_from(v).map_err(|e| StorageError::Db(sea_orm::DbErr::Type(e.to_string())))
    };
    let lines = lines
        .into_iter()
        .map(|l| {
            let goods = match (l.item_id, l.kit_id) {
                (Some(item), None) => Goods::Item(item),
                (None, Some(kit)) => Goods::Kit(kit),
                _ => {
                    return Err(StorageError::Db(sea_orm::DbErr::Type(
                        "a distribution line names neither one item nor one kit".to_owned(),
                    )));
                }
            };
            Ok(StoredLine {
                goods,
                distributed: l.quantity_distributed,
                lost: l.quantity_lost,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let sadd: Vec<SaddRow> = decode_json(m.sadd)?;
    Ok(Distribution {
        reached: Reached {
            households: count(m.households)?,
            individuals: count(m.individuals)?,
            sadd,
            no_shows: count(m.no_shows)?,
        },
        modality: decode(&m.modality)?,
        status: decode(&m.status)?,
        id: m.id,
        client_uuid: m.client_uuid,
        site_id: m.site_id,
        implementing_org_id: m.implementing_org_id,
        funding_org_id: m.funding_org_id,
        project_code: m.project_code,
        starts_on: m.starts_on,
        ends_on: m.ends_on,
        lines,
        source_warehouse_id: m.source_warehouse_id,
        recorded_by: m.recorded_by,
        version: m.version,
        created_at: m.created_at,
        device: DeviceFacts {
            captured_at: m.captured_at,
            device_id: m.device_id,
            client_app: m.client_app,
            client_app_version: m.client_app_version,
            review_note: m.review_note,
        },
        updated_at: m.updated_at,
    })
}

async fn hydrate(
    conn: &impl ConnectionTrait,
    rows: Vec<distribution::Model>,
) -> Result<Vec<Distribution>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut lines = distribution_line::Entity::find()
        .filter(distribution_line::Column::DistributionId.is_in(ids))
        .order_by_asc(distribution_line::Column::LineNo)
        .all(conn)
        .await?;
    rows.into_iter()
        .map(|row| {
            let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut lines)
                .into_iter()
                .partition(|l| l.distribution_id == row.id);
            lines = rest;
            from_row(row, mine)
        })
        .collect()
}

async fn one(conn: &impl ConnectionTrait, row: distribution::Model) -> Result<Distribution> {
    Ok(hydrate(conn, vec![row]).await?.remove(0))
}

fn hash_of(draft: &DistributionDraft) -> String {
    let canonical = serde_json::to_string(draft).unwrap_or_default();
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

/// Records a distribution. An identical replay of a stored client UUID answers the stored
/// record (`duplicate`), writing nothing; the same UUID with other content is a conflict.
pub async fn record(
    db: &impl Writer,
    caller: &Caller,
    draft: DistributionDraft,
) -> Result<Recorded> {
    record_with(db, caller, draft, &SubmitOptions::default()).await
}

/// [`record`], keeping the device facts (capture time, device id, app) and flagging a
/// device clock far ahead for review.
pub async fn record_with(
    db: &impl Writer,
    caller: &Caller,
    draft: DistributionDraft,
    options: &SubmitOptions,
) -> Result<Recorded> {
    let scope = Scope::of(caller);
    scope.require(Write::Distributions)?;
    match record_once(db, scope, &draft, options).await {
        // Two identical recordings raced past the replay check; the loser now finds the
        // winner's record and answers as a replay.
        Err(StorageError::Conflict { .. }) if stored(db, draft.client_uuid).await?.is_some() => {
            record_once(db, scope, &draft, options).await
        }
        other => other,
    }
}

/// One item of a batch: accepted, an identical replay (duplicate), a conflict naming the
/// fields that differ from the stored record, rejected, or to be retried.
pub async fn record_item(
    db: &impl Writer,
    caller: &Caller,
    draft: DistributionDraft,
    options: &SubmitOptions,
) -> Outcome<Distribution> {
    let client_uuid = draft.client_uuid;
    let sent = serde_json::to_value(&draft).unwrap_or_default();
    match record_with(db, caller, draft, options).await {
        Ok(r) if r.duplicate => Outcome::Duplicate(r.distribution),
        Ok(r) => Outcome::Accepted(r.distribution),
        Err(StorageError::Conflict { message, current }) => {
            // The stored record only when the caller may see it (the conflict then carries
            // its snapshot); another organisation's record stays unnamed.
            let stored = match current {
                Some(_) => by_client_uuid(db, Scope::of(caller), client_uuid).await,
                None => Ok(None),
            };
            let fields = match &stored {
                Ok(Some(d)) => replay_form(db, d)
                    .await
                    .map(|form| changed_fields(&form, &fill_defaults(sent, &form))),
                Ok(None) => Ok(Vec::new()),
                Err(_) => Ok(Vec::new()),
            };
            match (stored, fields) {
                (Ok(current), Ok(fields)) => Outcome::Conflict {
                    message,
                    fields,
                    current,
                },
                (Err(e), _) | (_, Err(e)) => Outcome::from_error(e),
            }
        }
        Err(e) => Outcome::from_error(e),
    }
}

/// `sent` with what the server filled in when the device left it out (the implementing
/// organisation, the capture time) taken from `stored`, so a conflict names only what the
/// device sent differently.
fn fill_defaults(mut sent: Value, stored: &Value) -> Value {
    if sent["content"]["implementingOrgId"].is_null() {
        sent["content"]["implementingOrgId"] = stored["content"]["implementingOrgId"].clone();
    }
    if sent["capturedAt"].is_null() {
        sent["capturedAt"] = stored["capturedAt"].clone();
    }
    sent
}

/// A stored distribution in the shape of the draft that records it (codes for its lines),
/// to compare with a draft sent again.
async fn replay_form(conn: &impl ConnectionTrait, d: &Distribution) -> Result<Value> {
    let mut lines = Vec::with_capacity(d.lines.len());
    for l in &d.lines {
        let (kind, code) = match l.goods {
            Goods::Item(id) => ("item", catalogue::get_item(conn, id).await?.code),
            Goods::Kit(id) => ("kit", catalogue::get_kit(conn, id).await?.code),
        };
        lines.push(json!({ kind: code, "distributed": l.distributed, "lost": l.lost }));
    }
    let content = DistributionContent {
        site_id: d.site_id,
        implementing_org_id: Some(d.implementing_org_id),
        funding_org_id: d.funding_org_id,
        project_code: d.project_code.clone(),
        starts_on: d.starts_on,
        ends_on: d.ends_on,
        modality: d.modality,
        status: d.status,
        households: d.reached.households,
        individuals: d.reached.individuals,
        sadd: d.reached.sadd.clone(),
        no_shows: d.reached.no_shows,
        lines: Vec::new(),
        source_warehouse_id: d.source_warehouse_id,
    };
    let mut content = serde_json::to_value(content).unwrap_or_default();
    content["lines"] = Value::Array(lines);
    Ok(json!({
        "clientUuid": d.client_uuid,
        "content": content,
        "capturedAt": d.device.captured_at,
    }))
}

/// The distribution recorded with `client_uuid`, if the caller may see it.
pub async fn by_client_uuid(
    conn: &impl ConnectionTrait,
    scope: Scope<'_>,
    client_uuid: Uuid,
) -> Result<Option<Distribution>> {
    let row = distribution::Entity::find()
        .filter(distribution::Column::ClientUuid.eq(client_uuid))
        .filter(scope.distributions())
        .one(conn)
        .await?;
    match row {
        Some(row) => Ok(Some(one(conn, row).await?)),
        None => Ok(None),
    }
}

/// What the server holds for each client UUID, in the order asked: the stored
/// distribution when the caller may see it (its scope, or it recorded it itself), else
/// `None`, which is all a caller learns about another organisation's record.
pub async fn statuses(
    conn: &impl ConnectionTrait,
    scope: Scope<'_>,
    client_uuids: &[Uuid],
) -> Result<Vec<(Uuid, Option<Distribution>)>> {
    let rows = distribution::Entity::find()
        .filter(distribution::Column::ClientUuid.is_in(client_uuids.iter().copied()))
        .filter(
            Condition::any()
                .add(scope.distributions())
                .add(distribution::Column::RecordedBy.eq(scope.caller().account_id)),
        )
        .all(conn)
        .await?;
    let held: std::collections::HashMap<Uuid, Distribution> = hydrate(conn, rows)
        .await?
        .into_iter()
        .map(|d| (d.client_uuid, d))
        .collect();
    Ok(super::batch::in_asked_order(client_uuids, &held))
}

/// Distributions by id that the caller may see (for the change log).
pub(super) async fn by_ids(
    conn: &impl ConnectionTrait,
    scope: Scope<'_>,
    ids: &[Uuid],
) -> Result<Vec<Distribution>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = distribution::Entity::find()
        .filter(distribution::Column::Id.is_in(ids.iter().copied()))
        .filter(scope.distributions())
        .all(conn)
        .await?;
    hydrate(conn, rows).await
}

/// Where a distribution is, for the change log: its site's placement, owned by its
/// implementing organisation.
async fn placement(conn: &impl ConnectionTrait, d: &Distribution) -> Result<Placement> {
    let site = site::Entity::find_by_id(d.site_id)
        .one(conn)
        .await?
        .ok_or_else(|| StorageError::not_found("site", d.site_id))?;
    Ok(Placement::owned(&site, d.implementing_org_id))
}

/// Appends the change-log row of a write of `after` (and where it was `before`).
async fn log_change(
    conn: &impl ConnectionTrait,
    operation: Operation,
    before: Option<&Distribution>,
    after: &Distribution,
) -> Result<()> {
    let before = match before {
        Some(b) => Some(placement(conn, b).await?),
        None => None,
    };
    changes::append(
        conn,
        changes::Entry {
            entity: EntityKind::Distribution,
            entity_id: after.id.to_string(),
            operation,
            after: Some(placement(conn, after).await?),
            before,
        },
    )
    .await
}

/// Appends a change-log row for every distribution at a site that moved (in the site's
/// transaction), so that devices whose area it entered or left receive them, or their
/// tombstones.
pub(super) async fn site_moved(
    conn: &impl ConnectionTrait,
    before: &site::Model,
    after: &site::Model,
) -> Result<()> {
    let at_site = distribution::Entity::find()
        .filter(distribution::Column::SiteId.eq(after.id))
        .order_by_asc(distribution::Column::Id)
        .all(conn)
        .await?;
    for d in at_site {
        changes::append(
            conn,
            changes::Entry {
                entity: EntityKind::Distribution,
                entity_id: d.id.to_string(),
                operation: Operation::Update,
                after: Some(Placement::owned(after, d.implementing_org_id)),
                before: Some(Placement::owned(before, d.implementing_org_id)),
            },
        )
        .await?;
    }
    Ok(())
}

async fn stored(
    conn: &impl ConnectionTrait,
    client_uuid: Uuid,
) -> Result<Option<distribution::Model>> {
    Ok(distribution::Entity::find()
        .filter(distribution::Column::ClientUuid.eq(client_uuid))
        .one(conn)
        .await?)
}

async fn record_once(
    db: &impl Writer,
    scope: Scope<'_>,
    draft: &DistributionDraft,
    options: &SubmitOptions,
) -> Result<Recorded> {
    let hash = hash_of(draft);
    let txn = db::begin_write(db).await?;
    if let Some(row) = stored(&txn, draft.client_uuid).await? {
        let visible = distribution::Entity::find_by_id(row.id)
            .filter(scope.distributions())
            .one(&txn)
            .await?
            .is_some();
        let same = row.content_hash == hash;
        let current = one(&txn, row).await?;
        if visible && same {
            return Ok(Recorded {
                distribution: current,
                duplicate: true,
            });
        }
        return Err(StorageError::Conflict {
            message: format!(
                "client UUID {} is already used by a stored distribution with different content; edit it with updateDistribution, or use a new UUID",
                draft.client_uuid
            ),
            current: visible.then(|| current.snapshot()),
        });
    }
    if draft.content.status == DistributionStatus::Cancelled {
        return Err(Invalid::one(
            "status",
            "record a distribution as planned, ongoing or completed",
        )
        .into());
    }
    let resolved = resolve(&txn, scope, &draft.content).await?;
    let now = super::now();
    let id = Uuid::now_v7();
    let device = options.facts(draft.captured_at, None, now);
    distribution::Entity::insert(distribution::ActiveModel {
        id: Set(id),
        client_uuid: Set(draft.client_uuid),
        content_hash: Set(hash),
        recorded_by: Set(scope.caller().account_id),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        captured_at: Set(device.captured_at),
        device_id: Set(device.device_id),
        client_app: Set(device.client_app),
        client_app_version: Set(device.client_app_version),
        review_note: Set(device.review_note),
        ..columns(&draft.content, &resolved)
    })
    .exec_without_returning(&txn)
    .await?;
    write_lines(&txn, id, &resolved.lines).await?;
    let after = one(&txn, get_row(&txn, id).await?).await?;
    log_change(&txn, Operation::Create, None, &after).await?;
    if after.status == DistributionStatus::Completed {
        dispatch(&txn, scope.caller(), &after).await?;
    }
    audit::record(
        &txn,
        Some(scope.caller()),
        audit::Change {
            action: "distribution.record",
            entity: "distribution",
            entity_id: id.to_string(),
            before: None,
            after: Some(after.snapshot()),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(Recorded {
        distribution: after,
        duplicate: false,
    })
}

/// A draft's references, checked against the caller's reach.
struct Resolved {
    implementing_org_id: Uuid,
    lines: Vec<Line<Uuid>>,
}

async fn resolve(
    txn: &impl ConnectionTrait,
    scope: Scope<'_>,
    c: &DistributionContent,
) -> Result<Resolved> {
    let caller = scope.caller();
    let mut errors = Errors::default();
    let site = site::Entity::find_by_id(c.site_id)
        .filter(scope.sites())
        .one(txn)
        .await?;
    if !site.is_some_and(|s| scope.site_in_area(&s)) {
        errors.add(
            "siteId",
            format!("no site {} that you may record distributions at", c.site_id),
        );
    }
    let implementing_org_id = match (c.implementing_org_id, caller.organisation_id) {
        (Some(org), Some(own)) if org != own && !caller.role.reads_everything() => {
            errors.add(
                "implementingOrganisationCode",
                format!(
                    "a {} records distributions as its own organisation",
                    caller.role
                ),
            );
            own
        }
        (Some(org), _) => org,
        (None, Some(own)) => own,
        (None, None) => {
            errors.add(
                "implementingOrganisationCode",
                "name the implementing organisation",
            );
            Uuid::nil()
        }
    };
    if let Some(source) = c.source_warehouse_id {
        match warehouses::writable(txn, scope, "sourceWarehouseId", source).await {
            Ok(_) => {}
            Err(StorageError::Invalid(Invalid(found))) => {
                for f in found {
                    errors.add(f.path, f.reason);
                }
            }
            Err(e) => return Err(e),
        }
    }
    let mut lines = Vec::with_capacity(c.lines.len());
    for (i, line) in c.lines.iter().enumerate() {
        let goods = match &line.goods {
            Goods::Item(code) => {
                catalogue::item_for(txn, &format!("lines.{i}.itemCode"), code.as_str())
                    .await
                    .map(|item| Goods::Item(item.id))
            }
            Goods::Kit(code) => {
                catalogue::kit_for(txn, &format!("lines.{i}.kitCode"), code.as_str())
                    .await
                    .map(|kit| Goods::Kit(kit.id))
            }
        };
        match goods {
            Ok(goods) => lines.push(Line {
                goods,
                distributed: line.distributed,
                lost: line.lost,
            }),
            Err(StorageError::Invalid(Invalid(found))) => {
                for f in found {
                    errors.add(f.path, f.reason);
                }
            }
            Err(e) => return Err(e),
        }
    }
    errors
        .finish(Resolved {
            implementing_org_id,
            lines,
        })
        .map_err(Into::into)
}

fn columns(c: &DistributionContent, r: &Resolved) -> distribution::ActiveModel {
    distribution::ActiveModel {
        site_id: Set(c.site_id),
        implementing_org_id: Set(r.implementing_org_id),
        funding_org_id: Set(c.funding_org_id),
        project_code: Set(c.project_code.clone()),
        starts_on: Set(c.starts_on),
        ends_on: Set(c.ends_on),
        modality: Set(c.modality.to_string()),
        status: Set(c.status.to_string()),
        households: Set(c.households.into()),
        individuals: Set(c.individuals.into()),
        no_shows: Set(c.no_shows.into()),
        sadd: Set(json!(c.sadd)),
        source_warehouse_id: Set(c.source_warehouse_id),
        ..Default::default()
    }
}

async fn write_lines(txn: &impl ConnectionTrait, id: Uuid, lines: &[Line<Uuid>]) -> Result<()> {
    distribution_line::Entity::delete_many()
        .filter(distribution_line::Column::DistributionId.eq(id))
        .exec(txn)
        .await?;
    if lines.is_empty() {
        return Ok(());
    }
    let rows = lines.iter().enumerate().map(|(i, l)| {
        let (item, kit) = match l.goods {
            Goods::Item(item) => (Some(item), None),
            Goods::Kit(kit) => (None, Some(kit)),
        };
        distribution_line::ActiveModel {
            distribution_id: Set(id),
            line_no: Set(i16::try_from(i).unwrap_or(i16::MAX)),
            item_id: Set(item),
            kit_id: Set(kit),
            quantity_distributed: Set(l.distributed),
            quantity_lost: Set(l.lost),
        }
    });
    distribution_line::Entity::insert_many(rows)
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

/// Writes the dispatches (and losses) of a completed in-kind distribution with a source
/// warehouse, kits expanded into items, refused if any balance would go below zero.
async fn dispatch(
    txn: &impl ConnectionTrait,
    caller: &Caller,
    d: &Distribution,
) -> Result<Vec<Movement>> {
    let Some(source) = d.source_warehouse_id else {
        return Ok(Vec::new());
    };
    if d.modality != DistributionModality::InKind {
        return Ok(Vec::new());
    }
    let mut contents = std::collections::BTreeMap::new();
    for line in &d.lines {
        if let Goods::Kit(kit) = line.goods {
            let k = catalogue::get_kit(txn, kit).await?;
            contents.insert(
                kit,
                k.contents
                    .iter()
                    .map(|c| (c.item.id, i64::from(c.quantity)))
                    .collect::<Vec<_>>(),
            );
        }
    }
    let lines: Vec<Line<Uuid>> = d
        .lines
        .iter()
        .map(|l| Line {
            goods: l.goods,
            distributed: l.distributed,
            lost: l.lost,
        })
        .collect();
    let outflows = expand(&lines, |kit| {
        contents.get(&kit).cloned().unwrap_or_default()
    });
    let at = d.dispatched_at();
    let particulars = Particulars {
        reason: Some(format!("distribution {}", d.id)),
        document_ref: None,
        project_code: d.project_code.clone(),
        donor_org_id: d.funding_org_id,
        counterparty_org_id: Some(d.implementing_org_id),
    };
    let mut entries = Vec::new();
    let mut too_much = Errors::default();
    for (item, out) in outflows {
        for (kind, quantity, field) in [
            (
                MovementKind::Dispatch,
                out.distributed,
                "quantityDistributed",
            ),
            (MovementKind::Loss, out.lost, "quantityLost"),
        ] {
            if quantity > MAX_LINE_QUANTITY {
                too_much.add(
                    format!("lines.{}.{field}", out.first_line),
                    format!("this takes {quantity} base units of one item; at most {MAX_LINE_QUANTITY} per item"),
                );
            } else if quantity > 0 {
                entries.push(Entry {
                    particulars: particulars.clone(),
                    distribution_id: Some(d.id),
                    device: Some(d.device.clone()),
                    ..Entry::new(
                        source,
                        item,
                        kind,
                        -quantity,
                        at,
                        format!("lines.{}.{field}", out.first_line),
                    )
                });
            }
        }
    }
    too_much.finish(())?;
    stock::append(
        txn,
        caller,
        "stockMovement.distribute",
        super::now(),
        entries,
    )
    .await
}

/// Reverses the stock a completed distribution took, linking each reversal to its movement.
async fn reverse(
    txn: &impl ConnectionTrait,
    caller: &Caller,
    d: &Distribution,
) -> Result<Vec<Movement>> {
    let taken = stock_movement::Entity::find()
        .filter(stock_movement::Column::DistributionId.eq(d.id))
        .filter(stock_movement::Column::CorrectsId.is_null())
        .order_by_asc(stock_movement::Column::Id)
        .all(txn)
        .await?;
    let mut entries = Vec::new();
    for m in taken {
        let kind: MovementKind = decode(&m.kind)?;
        entries.push(Entry {
            particulars: Particulars {
                reason: Some(format!("distribution {} cancelled", d.id)),
                document_ref: None,
                project_code: m.project_code.clone(),
                donor_org_id: m.donor_org_id,
                counterparty_org_id: m.counterparty_org_id,
            },
            corrects_id: Some(m.id),
            distribution_id: Some(d.id),
            ..Entry::new(
                m.warehouse_id,
                m.item_id,
                kind,
                -m.quantity,
                m.occurred_at,
                "status",
            )
        });
    }
    stock::append(txn, caller, "stockMovement.reverse", super::now(), entries).await
}

async fn get_row(conn: &impl ConnectionTrait, id: Uuid) -> Result<distribution::Model> {
    distribution::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| StorageError::not_found("distribution", id))
}

/// Loads a distribution the caller may see and change, checking `version`.
async fn editable(
    txn: &impl ConnectionTrait,
    scope: Scope<'_>,
    id: Uuid,
    version: i32,
) -> Result<Distribution> {
    let row = distribution::Entity::find_by_id(id)
        .filter(scope.distributions())
        .one(txn)
        .await?
        .ok_or_else(|| StorageError::not_found("distribution", id))?;
    let caller = scope.caller();
    if caller.role == Role::Enumerator && Some(row.implementing_org_id) != caller.organisation_id {
        return Err(StorageError::Forbidden(
            "enumerators change only their own organisation's distributions".to_owned(),
        ));
    }
    let current = one(txn, row).await?;
    super::check_version("distribution", id, current.version, version, || {
        current.snapshot()
    })?;
    Ok(current)
}

/// Replaces a planned or ongoing distribution's content if `version` is still current;
/// moving it to `COMPLETED` writes its dispatches.
pub async fn update(
    db: &impl Writer,
    caller: &Caller,
    id: Uuid,
    version: i32,
    content: DistributionContent,
) -> Result<Distribution> {
    let scope = Scope::of(caller);
    scope.require(Write::Distributions)?;
    let txn = db::begin_write(db).await?;
    let before = editable(&txn, scope, id, version).await?;
    if !before.status.is_open() || !before.status.may_become(content.status) {
        return Err(Invalid::one(
            "status",
            format!(
                "a {} distribution cannot be edited into {}; only planned and ongoing ones are edited (cancel with setDistributionStatus)",
                before.status, content.status
            ),
        )
        .into());
    }
    let resolved = resolve(&txn, scope, &content).await?;
    distribution::Entity::update(distribution::ActiveModel {
        id: Unchanged(id),
        version: Set(version + 1),
        updated_at: Set(super::now()),
        ..columns(&content, &resolved)
    })
    .validate()?
    .filter(distribution::Column::Version.eq(version))
    .exec(&txn)
    .await
    .map_err(|e| super::taken(e, "client UUID"))?;
    write_lines(&txn, id, &resolved.lines).await?;
    let after = one(&txn, get_row(&txn, id).await?).await?;
    log_change(&txn, Operation::Update, Some(&before), &after).await?;
    if after.status == DistributionStatus::Completed {
        dispatch(&txn, caller, &after).await?;
    }
    finish(txn, caller, "distribution.update", &before, after).await
}

/// Moves a distribution to `status` if `version` is still current: completing writes its
/// dispatches, cancelling a completed one writes their reversal.
pub async fn set_status(
    db: &impl Writer,
    caller: &Caller,
    id: Uuid,
    version: i32,
    status: DistributionStatus,
) -> Result<Distribution> {
    let scope = Scope::of(caller);
    scope.require(Write::Distributions)?;
    let txn = db::begin_write(db).await?;
    let before = editable(&txn, scope, id, version).await?;
    if before.status == status || !before.status.may_become(status) {
        return Err(Invalid::one(
            "status",
            format!("a {} distribution cannot become {status}", before.status),
        )
        .into());
    }
    if status == DistributionStatus::Completed {
        let today = Utc::now().date_naive();
        let last = before.ends_on.unwrap_or(before.starts_on);
        if last > today + chrono::Days::new(1) {
            return Err(Invalid::one(
                "status",
                format!("it ends on {last}, in the future: complete it once it is over"),
            )
            .into());
        }
    }
    distribution::Entity::update(distribution::ActiveModel {
        id: Unchanged(id),
        status: Set(status.to_string()),
        version: Set(version + 1),
        updated_at: Set(super::now()),
        ..Default::default()
    })
    .validate()?
    .filter(distribution::Column::Version.eq(version))
    .exec(&txn)
    .await
    .map_err(|e| super::taken(e, "client UUID"))?;
    let after = one(&txn, get_row(&txn, id).await?).await?;
    log_change(&txn, Operation::Status, Some(&before), &after).await?;
    match (before.status, status) {
        (_, DistributionStatus::Completed) => {
            dispatch(&txn, caller, &after).await?;
        }
        (DistributionStatus::Completed, DistributionStatus::Cancelled) => {
            reverse(&txn, caller, &after).await?;
        }
        _ => {}
    }
    finish(txn, caller, "distribution.status", &before, after).await
}

async fn finish(
    txn: impl ConnectionTrait + TransactionSession,
    caller: &Caller,
    action: &str,
    before: &Distribution,
    after: Distribution,
) -> Result<Distribution> {
    audit::record(
        &txn,
        Some(caller),
        audit::Change {
            action,
            entity: "distribution",
            entity_id: after.id.to_string(),
            before: Some(before.snapshot()),
            after: Some(after.snapshot()),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// Filters for distribution lists.
#[derive(Debug, Default, Clone)]
pub struct DistributionFilter {
    /// Only at this site.
    pub site_id: Option<Uuid>,
    /// Only by this implementing organisation.
    pub implementing_org_id: Option<Uuid>,
    /// Only funded by this organisation.
    pub funding_org_id: Option<Uuid>,
    /// Only in these states.
    pub statuses: Vec<DistributionStatus>,
    /// Only of these modalities.
    pub modalities: Vec<DistributionModality>,
    /// Only those running on or after this day.
    pub from: Option<NaiveDate>,
    /// Only those starting on or before this day.
    pub to: Option<NaiveDate>,
    /// Only at sites with this p-code at any admin level.
    pub admin_pcode: Option<String>,
    /// Only drawing on this warehouse.
    pub source_warehouse_id: Option<Uuid>,
    /// Only at sites in an area (see `area::site_id_condition`).
    pub in_area: Option<Condition>,
}

/// The column holding a distribution's site, for area conditions.
pub fn site_id_column() -> impl ColumnTrait {
    distribution::Column::SiteId
}

impl DistributionFilter {
    fn condition(&self) -> Condition {
        let mut cond = Condition::all();
        if let Some(area) = &self.in_area {
            cond = cond.add(area.clone());
        }
        if let Some(s) = self.site_id {
            cond = cond.add(distribution::Column::SiteId.eq(s));
        }
        if let Some(o) = self.implementing_org_id {
            cond = cond.add(distribution::Column::ImplementingOrgId.eq(o));
        }
        if let Some(o) = self.funding_org_id {
            cond = cond.add(distribution::Column::FundingOrgId.eq(o));
        }
        if !self.statuses.is_empty() {
            cond = cond.add(
                distribution::Column::Status.is_in(self.statuses.iter().map(ToString::to_string)),
            );
        }
        if !self.modalities.is_empty() {
            cond = cond.add(
                distribution::Column::Modality
                    .is_in(self.modalities.iter().map(ToString::to_string)),
            );
        }
        if let Some(from) = self.from {
            // Running on or after `from`: it ends (or, single-day, starts) on or after it.
            cond = cond.add(
                Condition::any()
                    .add(distribution::Column::EndsOn.gte(from))
                    .add(
                        Condition::all()
                            .add(distribution::Column::EndsOn.is_null())
                            .add(distribution::Column::StartsOn.gte(from)),
                    ),
            );
        }
        if let Some(to) = self.to {
            cond = cond.add(distribution::Column::StartsOn.lte(to));
        }
        if let Some(w) = self.source_warehouse_id {
            cond = cond.add(distribution::Column::SourceWarehouseId.eq(w));
        }
        if let Some(p) = &self.admin_pcode {
            cond = cond.add(
                distribution::Column::SiteId.in_subquery(super::scope::site_ids_with_pcode(p)),
            );
        }
        cond
    }
}

/// Distributions the caller may see, filtered, in recording order.
pub async fn list(
    conn: &impl ConnectionTrait,
    scope: Scope<'_>,
    filter: &DistributionFilter,
    page: &PageRequest,
) -> Result<Page<Distribution>> {
    list_since(conn, scope, filter, None, page).await
}

/// [`list`], restricted to distributions whose `updated_at` (recording, edit or status
/// change) is at or after `since` when given: the incremental pulls of exports.
pub async fn list_since(
    conn: &impl ConnectionTrait,
    scope: Scope<'_>,
    filter: &DistributionFilter,
    since: Option<DateTime<Utc>>,
    page: &PageRequest,
) -> Result<Page<Distribution>> {
    let mut query = distribution::Entity::find()
        .filter(scope.distributions())
        .filter(filter.condition());
    if let Some(since) = since {
        query = query.filter(distribution::Column::UpdatedAt.gte(since));
    }
    let mut page = page::fetch(conn, query, distribution::Column::Id, page).await?;
    let items = hydrate(conn, std::mem::take(&mut page.items)).await?;
    Ok(page.with_items(items))
}

/// The distribution with `id`, if the caller may see it; otherwise not found.
pub async fn get(conn: &impl ConnectionTrait, scope: Scope<'_>, id: Uuid) -> Result<Distribution> {
    let row = distribution::Entity::find_by_id(id)
        .filter(scope.distributions())
        .one(conn)
        .await?
        .ok_or_else(|| StorageError::not_found("distribution", id))?;
    one(conn, row).await
}
