//! Live updates: what subscriptions read from the change log.
//!
//! A subscription keeps its own [`Cursor`] and reads the log from it with [`read`], under
//! the same rules as delta sync ([`super::changes`]): in `(xid, seq)` order, and on
//! PostgreSQL only below the commit bound ([`super::changes::committed`]), so nothing committed
//! late is ever skipped. Every row is resolved to the record as it is now under the
//! caller's [`Scope`] (the same predicates as the lists), then tested against the area the
//! subscription asked for by the record's site (or, for stock, warehouse) point.
//!
//! Writers announce their changes with [`notify`]: on PostgreSQL a `NOTIFY` in the writer's
//! own transaction, delivered to every listening process only when it commits. A
//! notification only wakes readers early; readers also poll, so a lost one only delays.

use std::collections::{HashMap, HashSet};

use camptrack_geo::Coordinates;
use chrono::{DateTime, Utc};
use sea_orm::{
    AccessMode, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    IsolationLevel, QueryFilter, QueryOrder, QuerySelect, TransactionOptions, TransactionTrait,
};
use uuid::Uuid;

use super::Result;
use super::area::ResolvedArea;
use super::assessments::{self, Assessment};
use super::changes::{Cursor, Operation, committed};
use super::distributions::{self, Distribution};
use super::entities::{change_log, site, warehouse};
use super::scope::Scope;
use super::stock::{self, Movement};

/// The PostgreSQL channel writers notify and readers listen on.
pub const CHANNEL: &str = "camptrack_changes";

/// Tells listening processes that the log grew. On PostgreSQL the notification is queued in
/// the writer's transaction and delivered only if it commits (several in one transaction
/// are folded into one); SQLite runs in one process, which wakes its readers itself.
pub(super) async fn notify(conn: &impl ConnectionTrait) -> Result<()> {
    if conn.get_database_backend() == DbBackend::Postgres {
        conn.execute_unprepared(&format!("NOTIFY {CHANNEL}"))
            .await?;
    }
    Ok(())
}

/// The records a subscription follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveKind {
    /// Site assessments.
    Assessment,
    /// Distributions.
    Distribution,
    /// Stock movements.
    StockMovement,
}

impl LiveKind {
    fn code(self) -> &'static str {
        match self {
            Self::Assessment => "assessment",
            Self::Distribution => "distribution",
            Self::StockMovement => "stock_movement",
        }
    }
}

/// A record as it is now.
#[derive(Debug, Clone)]
pub enum LiveRecord {
    /// An assessment.
    Assessment(Box<Assessment>),
    /// A distribution.
    Distribution(Box<Distribution>),
    /// A stock movement.
    StockMovement(Box<Movement>),
}

/// One change delivered to a subscriber.
#[derive(Debug, Clone)]
pub struct LiveEvent {
    /// Its position in the log: resuming after it skips it.
    pub cursor: Cursor,
    /// What the write did.
    pub operation: Operation,
    /// When it was written (server clock).
    pub at: DateTime<Utc>,
    /// The record as it is now.
    pub record: LiveRecord,
}

/// What one read found.
#[derive(Debug, Clone)]
pub struct LivePage {
    /// Events in log order.
    pub events: Vec<LiveEvent>,
    /// Where to read next: past every row read, delivered or not.
    pub next: Cursor,
    /// Whether more rows are already readable: read again at once.
    pub has_more: bool,
    /// Whether committed rows exist that are not yet safe to read (an older transaction is
    /// still open on PostgreSQL): read again soon rather than at the next poll.
    pub pending: bool,
}

/// Reads up to `first` rows of `kind` after `since` and turns those the caller may see, in
/// `area` when given, into events.
pub async fn read(
    db: &DatabaseConnection,
    scope: Scope<'_>,
    kind: LiveKind,
    since: Cursor,
    first: u64,
    area: Option<&ResolvedArea>,
) -> Result<LivePage> {
    use change_log::Column as C;
    let backend = db.get_database_backend();
    let postgres = backend == DbBackend::Postgres;
    // One snapshot for the rows, the bound and the records they resolve to.
    let txn = db
        .begin_with_options(TransactionOptions {
            isolation_level: postgres.then_some(IsolationLevel::RepeatableRead),
            access_mode: postgres.then_some(AccessMode::ReadOnly),
            ..TransactionOptions::default()
        })
        .await?;
    let mut rows = change_log::Entity::find()
        .filter(since.after())
        .filter(committed(backend))
        .filter(C::Entity.eq(kind.code()))
        .filter(scope.change_log(scope.sync_area(None)))
        .order_by_asc(C::Xid)
        .order_by_asc(C::Seq)
        .limit(first.saturating_add(1))
        .all(&txn)
        .await?;
    let has_more = rows.len() as u64 > first;
    rows.truncate(usize::try_from(first).unwrap_or(usize::MAX));
    let next = if has_more {
        rows.last().map_or(since, Cursor::of)
    } else {
        // Nothing more of ours below the bound: skip past everyone else's rows too.
        change_log::Entity::find()
            .filter(committed(backend))
            .order_by_desc(C::Xid)
            .order_by_desc(C::Seq)
            .one(&txn)
            .await?
            .map_or(since, |row| Cursor::of(&row).max(since))
    };
    let pending = postgres
        && !has_more
        && change_log::Entity::find()
            .filter(next.after())
            .filter(C::Entity.eq(kind.code()))
            .one(&txn)
            .await?
            .is_some();
    let events = resolve(&txn, scope, kind, area, rows).await?;
    txn.commit().await?;
    Ok(LivePage {
        events,
        next,
        has_more,
        pending,
    })
}

/// The records behind `rows` that the caller may see now and that lie in `area`.
async fn resolve(
    conn: &impl ConnectionTrait,
    scope: Scope<'_>,
    kind: LiveKind,
    area: Option<&ResolvedArea>,
    rows: Vec<change_log::Model>,
) -> Result<Vec<LiveEvent>> {
    let ids: Vec<Uuid> = rows
        .iter()
        .filter_map(|r| Uuid::parse_str(&r.entity_id).ok())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let records: HashMap<Uuid, LiveRecord> = match kind {
        LiveKind::Assessment => {
            let found = assessments::by_ids(conn, scope, &ids).await?;
            let sites = sites_in_area(conn, scope, area, found.iter().map(|a| a.site_id)).await?;
            found
                .into_iter()
                .filter(|a| sites.contains(&a.site_id))
                .map(|a| (a.id, LiveRecord::Assessment(Box::new(a))))
                .collect()
        }
        LiveKind::Distribution => {
            let found = distributions::by_ids(conn, scope, &ids).await?;
            let sites = sites_in_area(conn, scope, area, found.iter().map(|d| d.site_id)).await?;
            found
                .into_iter()
                .filter(|d| sites.contains(&d.site_id))
                .map(|d| (d.id, LiveRecord::Distribution(Box::new(d))))
                .collect()
        }
        LiveKind::StockMovement => {
            let found = stock::by_ids(conn, scope, &ids).await?;
            let stores =
                warehouses_in_area(conn, scope, area, found.iter().map(|m| m.warehouse_id)).await?;
            found
                .into_iter()
                .filter(|m| stores.contains(&m.warehouse_id))
                .map(|m| (m.id, LiveRecord::StockMovement(Box::new(m))))
                .collect()
        }
    };
    let mut events = Vec::with_capacity(records.len());
    for row in rows {
        let Some(record) = Uuid::parse_str(&row.entity_id)
            .ok()
            .and_then(|id| records.get(&id))
        else {
            continue;
        };
        events.push(LiveEvent {
            cursor: Cursor::of(&row),
            operation: Operation::parse(&row.operation)?,
            at: row.at,
            record: record.clone(),
        });
    }
    Ok(events)
}

/// Of `ids`, the sites the caller may see whose registered point lies in `area`.
async fn sites_in_area(
    conn: &impl ConnectionTrait,
    scope: Scope<'_>,
    area: Option<&ResolvedArea>,
    ids: impl Iterator<Item = Uuid>,
) -> Result<HashSet<Uuid>> {
    let ids: HashSet<Uuid> = ids.collect();
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let sites = site::Entity::find()
        .filter(site::Column::Id.is_in(ids))
        .filter(scope.sites())
        .all(conn)
        .await?;
    Ok(ids_in_area(
        area,
        sites.iter().map(|s| {
            let admin = [
                Some(&s.admin0_pcode),
                s.admin1_pcode.as_ref(),
                s.admin2_pcode.as_ref(),
                s.admin3_pcode.as_ref(),
            ];
            (s.id, s.lat, s.lon, admin)
        }),
    ))
}

/// Of `ids`, the warehouses the caller may see whose point lies in `area`.
async fn warehouses_in_area(
    conn: &impl ConnectionTrait,
    scope: Scope<'_>,
    area: Option<&ResolvedArea>,
    ids: impl Iterator<Item = Uuid>,
) -> Result<HashSet<Uuid>> {
    let ids: HashSet<Uuid> = ids.collect();
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let warehouses = warehouse::Entity::find()
        .filter(warehouse::Column::Id.is_in(ids))
        .filter(scope.warehouses())
        .all(conn)
        .await?;
    Ok(ids_in_area(
        area,
        warehouses.iter().map(|w| {
            let admin = [
                Some(&w.admin0_pcode),
                w.admin1_pcode.as_ref(),
                w.admin2_pcode.as_ref(),
                w.admin3_pcode.as_ref(),
            ];
            (w.id, w.lat, w.lon, admin)
        }),
    ))
}

/// Of located records (id, latitude, longitude, admin p-codes), the ids in `area` (all of
/// them without an area).
fn ids_in_area<'a>(
    area: Option<&ResolvedArea>,
    points: impl Iterator<Item = (Uuid, f64, f64, [Option<&'a String>; 4])>,
) -> HashSet<Uuid> {
    points
        .filter(|&(_, lat, lon, admin)| area.is_none_or(|a| contains(a, lat, lon, admin)))
        .map(|(id, ..)| id)
        .collect()
}

/// Whether a point with these admin p-codes lies in `area`, by the rule the area lists use:
/// the exact geometric test, or for an admin area without a polygon its p-code at any level.
fn contains(area: &ResolvedArea, lat: f64, lon: f64, admin: [Option<&String>; 4]) -> bool {
    match area {
        ResolvedArea::Geo(covered) => {
            Coordinates::new(lat, lon).is_ok_and(|point| covered.area.contains(&point))
        }
        ResolvedArea::Pcode(pcode) => admin.into_iter().flatten().any(|p| p == pcode),
    }
}
