//! The change log: one row per write of a site, round, admin area, assessment,
//! distribution, stock movement, catalogue item or kit, appended in the writing transaction, read by devices from a cursor (delta sync). The same log is
//! what subscriptions and webhooks will read.
//!
//! # Why `(xid, seq)` and the `xmin` bound
//!
//! A bare sequence is not commit order on PostgreSQL: transaction A takes number 10,
//! transaction B takes 11 and commits first; a reader that passes 11 never comes back for
//! 10. So each row also records its transaction's id (`pg_current_xact_id()`, a 64-bit
//! `xid8` kept as `BIGINT`), rows are read in `(xid, seq)` order, and a reader only reads
//! rows whose `xid` is below the commit bound ([`PG_COMMIT_BOUND`]): the oldest transaction
//! still running in this database, or the next id to be handed out when none is. Every
//! transaction with a smaller id has finished (committed or rolled back), so its rows are
//! all visible to the reader's snapshot and no row can appear below that bound later. Any
//! transaction still running, or starting later, has an id at or above the bound, so its
//! rows sort after every cursor a reader was handed. Delivery is therefore gap-free and
//! exactly-once, and writers never wait for each other (no lock is held to commit).
//! The cost: a transaction left open in this database delays (never loses) delivery of
//! later changes until it ends, so keep `idle_in_transaction_session_timeout` set on the
//! server. Transactions of other databases on the same server cannot write this log, so the
//! bound leaves them out (the cluster-wide `pg_snapshot_xmin` would let a long report in
//! another database stall every reader here).
//!
//! SQLite has one writer at a time (every write holds the database write lock to commit),
//! so `seq` alone is commit order there; `xid` is 0 and no bound is needed.
//!
//! Rows carry the site's location (cell and admin p-codes) after and before the write, so
//! an area filter finds both records that entered and records that left the area; stock
//! movements carry their warehouse's location. Rows about records owned by an organisation
//! (distributions: the implementing organisation; movements: the warehouse's) carry the
//! owner after and before the write, so a partner is handed only rows about its own
//! records, and a tombstone for one that stopped being its own.

use std::collections::{HashMap, HashSet};
use std::fmt;

use camptrack_domain::codes::{OperationalStatus, Role};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    AccessMode, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbBackend,
    EntityTrait, IsolationLevel, QueryFilter, QueryOrder, QuerySelect, TransactionOptions,
    TransactionTrait,
};
use uuid::Uuid;

use super::admin_areas::AdminArea;
use super::assessments::{self, Assessment};
use super::catalogue::{self, Item, Kit};
use super::distributions::{self, Distribution};
use super::entities::{admin_area, change_log, round, site, warehouse};
use super::rounds::Round;
use super::scope::{self, Scope};
use super::sites::Site;
use super::stock::{self, Movement};
use super::{Result, StorageError};
use crate::auth::AccountArea;

/// The kind of record a change is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntityKind {
    /// A site.
    Site,
    /// An assessment round.
    Round,
    /// An admin area (reference data).
    AdminArea,
    /// A site assessment.
    Assessment,
    /// A distribution.
    Distribution,
    /// A stock movement.
    StockMovement,
    /// A catalogue item.
    Item,
    /// A kit.
    Kit,
}

impl EntityKind {
    fn code(self) -> &'static str {
        match self {
            Self::Site => "site",
            Self::Round => "round",
            Self::AdminArea => "admin_area",
            Self::Assessment => "assessment",
            Self::Distribution => "distribution",
            Self::StockMovement => "stock_movement",
            Self::Item => "item",
            Self::Kit => "kit",
        }
    }

    fn parse(code: &str) -> Result<Self> {
        Ok(match code {
            "site" => Self::Site,
            "round" => Self::Round,
            "admin_area" => Self::AdminArea,
            "assessment" => Self::Assessment,
            "distribution" => Self::Distribution,
            "stock_movement" => Self::StockMovement,
            "item" => Self::Item,
            "kit" => Self::Kit,
            other => return Err(bad_row(format!("unknown change entity {other}"))),
        })
    }
}

/// What a write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// A record was created.
    Create,
    /// A record's fields changed.
    Update,
    /// A site was closed, relocated or merged.
    Close,
    /// A closed site was reopened.
    Reopen,
    /// An assessment was submitted.
    Submit,
    /// An assessment was reviewed.
    Review,
    /// A distribution's status changed (completed, cancelled, ...).
    Status,
}

impl Operation {
    fn code(self) -> &'static str {
        match self {
            Self::Create => "CREATE",
            Self::Update => "UPDATE",
            Self::Close => "CLOSE",
            Self::Reopen => "REOPEN",
            Self::Submit => "SUBMIT",
            Self::Review => "REVIEW",
            Self::Status => "STATUS",
        }
    }

    pub(super) fn parse(code: &str) -> Result<Self> {
        Ok(match code {
            "CREATE" => Self::Create,
            "UPDATE" => Self::Update,
            "CLOSE" => Self::Close,
            "REOPEN" => Self::Reopen,
            "SUBMIT" => Self::Submit,
            "REVIEW" => Self::Review,
            "STATUS" => Self::Status,
            other => return Err(bad_row(format!("unknown change operation {other}"))),
        })
    }
}

fn bad_row(message: String) -> StorageError {
    StorageError::Db(sea_orm::DbErr::Type(message))
}

/// Where a record is (its site's or warehouse's point and p-codes), and which organisation
/// owns it, as the change log keeps them for area and ownership filters.
#[derive(Debug, Clone, Default)]
pub(super) struct Placement {
    cell: Option<i64>,
    admin: [Option<String>; 4],
    owner: Option<Uuid>,
}

impl Placement {
    /// The placement of a site row.
    pub(super) fn of(site: &site::Model) -> Self {
        Self {
            cell: Some(site.cell),
            admin: [
                Some(site.admin0_pcode.clone()),
                site.admin1_pcode.clone(),
                site.admin2_pcode.clone(),
                site.admin3_pcode.clone(),
            ],
            owner: None,
        }
    }

    /// The placement of a record of `owner`'s at `site` (a distribution).
    pub(super) fn owned(site: &site::Model, owner: Uuid) -> Self {
        Self {
            owner: Some(owner),
            ..Self::of(site)
        }
    }

    /// The placement of a record at a warehouse (a stock movement): the warehouse's point
    /// and p-codes, owned by the warehouse's organisation.
    pub(super) fn of_warehouse(store: &warehouse::Model) -> Self {
        Self {
            cell: Some(store.cell),
            admin: [
                Some(store.admin0_pcode.clone()),
                store.admin1_pcode.clone(),
                store.admin2_pcode.clone(),
                store.admin3_pcode.clone(),
            ],
            owner: Some(store.organisation_id),
        }
    }
}

/// One write to append.
#[derive(Debug)]
pub(super) struct Entry {
    /// The kind of record.
    pub entity: EntityKind,
    /// Its id (p-code for admin areas).
    pub entity_id: String,
    /// What was done.
    pub operation: Operation,
    /// The record's placement after the write (sites, assessments, distributions,
    /// movements; none for reference data and the catalogue).
    pub after: Option<Placement>,
    /// The site's placement before the write, when it may have moved.
    pub before: Option<Placement>,
}

/// Appends `entry` inside the writer's transaction: it commits or vanishes with the write.
pub(super) async fn append(conn: &impl ConnectionTrait, entry: Entry) -> Result<()> {
    append_all(conn, vec![entry]).await
}

/// Entries per multi-row INSERT (17 bound values each).
const ENTRIES_PER_INSERT: usize = 1_000;

/// [`append`] for many entries (a bulk import), in their order, with one notification.
pub(super) async fn append_all(conn: &impl ConnectionTrait, entries: Vec<Entry>) -> Result<()> {
    use change_log::Column as C;
    if entries.is_empty() {
        return Ok(());
    }
    let at = super::now();
    let mut entries = entries.into_iter().peekable();
    while entries.peek().is_some() {
        let mut insert = Query::insert();
        insert.into_table(change_log::Entity).columns([
            C::Xid,
            C::At,
            C::Entity,
            C::EntityId,
            C::Operation,
            C::Cell,
            C::Admin0Pcode,
            C::Admin1Pcode,
            C::Admin2Pcode,
            C::Admin3Pcode,
            C::PrevCell,
            C::PrevAdmin0Pcode,
            C::PrevAdmin1Pcode,
            C::PrevAdmin2Pcode,
            C::PrevAdmin3Pcode,
            C::OrgId,
            C::PrevOrgId,
        ]);
        for entry in entries.by_ref().take(ENTRIES_PER_INSERT) {
            // The writer's transaction id on PostgreSQL (the top-level one, also inside a
            // savepoint); SQLite's single writer needs none.
            let xid = match conn.get_database_backend() {
                DbBackend::Postgres => Expr::cust("pg_current_xact_id()::text::bigint"),
                _ => Expr::val(0_i64),
            };
            let after = entry.after.unwrap_or_default();
            let before = entry.before.unwrap_or_default();
            let [a0, a1, a2, a3] = after.admin;
            let [b0, b1, b2, b3] = before.admin;
            insert.values_panic([
                xid,
                Expr::val(at),
                Expr::val(entry.entity.code()),
                Expr::val(entry.entity_id),
                Expr::val(entry.operation.code()),
                Expr::val(after.cell),
                Expr::val(a0),
                Expr::val(a1),
                Expr::val(a2),
                Expr::val(a3),
                Expr::val(before.cell),
                Expr::val(b0),
                Expr::val(b1),
                Expr::val(b2),
                Expr::val(b3),
                Expr::val(after.owner),
                Expr::val(before.owner),
            ]);
        }
        conn.execute(&insert).await?;
    }
    super::live::notify(conn).await
}

/// A position in the change log. Clients see it as an opaque string; `"0"` is the start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cursor {
    xid: i64,
    seq: i64,
}

impl Cursor {
    /// The position before every change.
    pub const START: Self = Self { xid: 0, seq: 0 };

    /// Parses a cursor handed out by [`read`]; `"0"` and `""` are the start.
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        if raw.is_empty() || raw == "0" {
            return Some(Self::START);
        }
        let (xid, seq) = raw.split_once('.')?;
        let cursor = Self {
            xid: xid.parse().ok()?,
            seq: seq.parse().ok()?,
        };
        (cursor.xid >= 0 && cursor.seq >= 0).then_some(cursor)
    }

    /// The position as `(xid, seq)`, for readers that keep it in columns (webhooks).
    pub fn parts(self) -> (i64, i64) {
        (self.xid, self.seq)
    }

    /// The position stored as `(xid, seq)` by [`Self::parts`].
    pub fn from_parts(xid: i64, seq: i64) -> Self {
        Self { xid, seq }
    }

    pub(super) fn of(row: &change_log::Model) -> Self {
        Self {
            xid: row.xid,
            seq: row.seq,
        }
    }

    /// Rows after this position.
    pub(super) fn after(self) -> Condition {
        use change_log::Column as C;
        Condition::any().add(C::Xid.gt(self.xid)).add(
            Condition::all()
                .add(C::Xid.eq(self.xid))
                .add(C::Seq.gt(self.seq)),
        )
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == Self::START {
            f.write_str("0")
        } else {
            write!(f, "{}.{}", self.xid, self.seq)
        }
    }
}

/// Why a record should leave the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TombstoneReason {
    /// The site is closed.
    Closed,
    /// The site was merged into another.
    Merged,
    /// The site's population was relocated.
    Relocated,
    /// The record is no longer in the area (moved, or the caller's area changed), or no
    /// longer the caller's to see (a distribution reassigned to another organisation).
    LeftArea,
    /// The record no longer exists.
    Deleted,
}

/// A record as it is now.
#[derive(Debug, Clone)]
pub enum Record {
    /// A site.
    Site(Box<Site>),
    /// A round.
    Round(Round),
    /// An admin area.
    AdminArea(Box<AdminArea>),
    /// An assessment.
    Assessment(Box<Assessment>),
    /// A distribution.
    Distribution(Box<Distribution>),
    /// A stock movement.
    StockMovement(Box<Movement>),
    /// A catalogue item.
    Item(Box<Item>),
    /// A kit.
    Kit(Box<Kit>),
}

/// What a device should do with a change: keep the record as it now is, or drop it.
#[derive(Debug, Clone)]
pub enum ChangeState {
    /// Store or replace the record.
    Live(Record),
    /// Remove the record.
    Tombstone(TombstoneReason),
}

/// One change as a device receives it.
#[derive(Debug, Clone)]
pub struct Change {
    /// Its position; resuming from it skips it.
    pub cursor: Cursor,
    /// The kind of record.
    pub entity: EntityKind,
    /// The record's id (p-code for admin areas).
    pub entity_id: String,
    /// What the write did.
    pub operation: Operation,
    /// When it was written (server clock).
    pub at: DateTime<Utc>,
    /// The record as it is now, or a tombstone.
    pub state: ChangeState,
}

/// A page of changes.
#[derive(Debug, Clone)]
pub struct ChangePage {
    /// Changes in log order.
    pub changes: Vec<Change>,
    /// Where to resume: past every change in this page and every skipped row.
    pub next: Cursor,
    /// Whether more changes are already available.
    pub has_more: bool,
}

/// Reads up to `first` changes after `since` for the caller's sync area (see
/// [`Scope::sync_area`]), each resolved to the record as it is now or a tombstone.
pub async fn read(
    db: &DatabaseConnection,
    scope: Scope<'_>,
    since: Cursor,
    first: u64,
    asked_area: Option<&AccountArea>,
) -> Result<ChangePage> {
    use change_log::Column as C;
    let area = scope.sync_area(asked_area);
    let postgres = db.get_database_backend() == DbBackend::Postgres;
    // One snapshot for the page, the bound and the records it resolves to.
    let txn = db
        .begin_with_options(TransactionOptions {
            isolation_level: postgres.then_some(IsolationLevel::RepeatableRead),
            access_mode: postgres.then_some(AccessMode::ReadOnly),
            ..TransactionOptions::default()
        })
        .await?;
    let committed = committed(db.get_database_backend());
    let mut rows = change_log::Entity::find()
        .filter(since.after())
        .filter(committed.clone())
        .filter(scope.change_log(area))
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
        // Nothing more for this area below the bound: skip past rows filtered out too.
        change_log::Entity::find()
            .filter(committed)
            .order_by_desc(C::Xid)
            .order_by_desc(C::Seq)
            .one(&txn)
            .await?
            .map_or(since, |row| Cursor::of(&row).max(since))
    };
    let changes = resolve(&txn, scope, area, rows).await?;
    txn.commit().await?;
    Ok(ChangePage {
        changes,
        next,
        has_more,
    })
}

/// Change-log rows safely committed: below [`PG_COMMIT_BOUND`] on PostgreSQL; all rows on
/// SQLite, whose single writer commits in `seq` order.
pub fn committed(backend: DbBackend) -> Condition {
    match backend {
        DbBackend::Postgres => Condition::all().add(Expr::cust(format!("xid < {PG_COMMIT_BOUND}"))),
        _ => Condition::all(),
    }
}

/// PostgreSQL's commit bound, as a SQL expression: every change-log row with a smaller
/// `xid` was written by a transaction that has ended. It is the smallest id still running
/// in the reader's snapshot, leaving out only ids positively seen running in a backend of
/// another database (which cannot write this database's log; an id not found in
/// `pg_stat_activity`, such as a prepared transaction's, counts as this database's), or the
/// snapshot's `xmax` (the next id to be handed out) when none remains. `xid8` values are
/// matched to `pg_stat_activity`'s 32-bit `backend_xid` modulo 2^32: two running
/// transactions never share those bits.
pub const PG_COMMIT_BOUND: &str = "(SELECT COALESCE(\
    (SELECT MIN(x::text::bigint) FROM pg_snapshot_xip(snap.s) AS x \
      WHERE x::text::bigint % 4294967296 NOT IN (\
        SELECT backend_xid::text::bigint FROM pg_stat_activity \
         WHERE backend_xid IS NOT NULL AND datname IS NOT NULL \
           AND datname <> current_database())), \
    pg_snapshot_xmax(snap.s)::text::bigint) \
  FROM (SELECT pg_current_snapshot() AS s) AS snap)";

/// A position past every change committed so far (PostgreSQL: below the commit bound, so
/// changes of transactions still running come after it), for a reader that starts now.
pub async fn head(conn: &impl ConnectionTrait) -> Result<Cursor> {
    use sea_orm::{FromQueryResult, Statement};
    #[derive(FromQueryResult)]
    struct Bound {
        xid: i64,
        seq: i64,
    }
    let backend = conn.get_database_backend();
    let sql = match backend {
        // Every transaction below the bound has ended; rows of one at or above it sort later.
        DbBackend::Postgres => {
            format!("SELECT {PG_COMMIT_BOUND} - 1 AS xid, 9223372036854775807 AS seq")
        }
        _ => "SELECT 0 AS xid, COALESCE(MAX(seq), 0) AS seq FROM change_log".to_owned(),
    };
    let bound = Bound::find_by_statement(Statement::from_string(backend, sql))
        .one(conn)
        .await?
        .map_or(Cursor::START, |b| Cursor {
            xid: b.xid.max(0),
            seq: b.seq.max(0),
        });
    Ok(bound)
}

/// Turns log rows into changes: each record as it is now, or a tombstone.
async fn resolve(
    conn: &impl ConnectionTrait,
    scope: Scope<'_>,
    area: Option<&AccountArea>,
    rows: Vec<change_log::Model>,
) -> Result<Vec<Change>> {
    let mut ids: HashMap<EntityKind, HashSet<String>> = HashMap::new();
    for row in &rows {
        ids.entry(EntityKind::parse(&row.entity)?)
            .or_default()
            .insert(row.entity_id.clone());
    }
    let uuids = |kind| -> Vec<Uuid> {
        ids.get(&kind)
            .into_iter()
            .flatten()
            .filter_map(|id| Uuid::parse_str(id).ok())
            .collect()
    };
    let assessments: HashMap<Uuid, Assessment> =
        assessments::by_ids(conn, scope, &uuids(EntityKind::Assessment))
            .await?
            .into_iter()
            .map(|a| (a.id, a))
            .collect();
    let distributions: HashMap<Uuid, Distribution> =
        distributions::by_ids(conn, scope, &uuids(EntityKind::Distribution))
            .await?
            .into_iter()
            .map(|d| (d.id, d))
            .collect();
    let movements: HashMap<Uuid, Movement> =
        stock::by_ids(conn, scope, &uuids(EntityKind::StockMovement))
            .await?
            .into_iter()
            .map(|m| (m.id, m))
            .collect();
    let stores: HashMap<Uuid, warehouse::Model> = warehouse::Entity::find()
        .filter(warehouse::Column::Id.is_in(movements.values().map(|m| m.warehouse_id)))
        .all(conn)
        .await?
        .into_iter()
        .map(|w| (w.id, w))
        .collect();
    let items: HashMap<Uuid, Item> = catalogue::items_by_ids(conn, &uuids(EntityKind::Item))
        .await?
        .into_iter()
        .map(|i| (i.id, i))
        .collect();
    let kits: HashMap<Uuid, Kit> = catalogue::kits_by_ids(conn, &uuids(EntityKind::Kit))
        .await?
        .into_iter()
        .map(|k| (k.id, k))
        .collect();
    let mut site_ids = uuids(EntityKind::Site);
    site_ids.extend(assessments.values().map(|a| a.site_id));
    site_ids.extend(distributions.values().map(|d| d.site_id));
    let sites: HashMap<Uuid, site::Model> = site::Entity::find()
        .filter(site::Column::Id.is_in(site_ids))
        .filter(scope.sites())
        .all(conn)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let rounds: HashMap<String, round::Model> = round::Entity::find()
        .filter(round::Column::Id.is_in(uuids(EntityKind::Round)))
        .all(conn)
        .await?
        .into_iter()
        .map(|r| (r.id.to_string(), r))
        .collect();
    let areas: HashMap<String, admin_area::Model> = admin_area::Entity::find()
        .filter(
            admin_area::Column::Pcode.is_in(
                ids.get(&EntityKind::AdminArea)
                    .into_iter()
                    .flatten()
                    .cloned(),
            ),
        )
        .all(conn)
        .await?
        .into_iter()
        .map(|a| (a.pcode.clone(), a))
        .collect();
    // A site is on the device when the caller may see it and it lies in the sync area.
    let placed = |id: &Uuid| -> Option<&site::Model> {
        sites
            .get(id)
            .filter(|s| scope.site_in_area(s) && area.is_none_or(|a| scope::site_in(a, s)))
    };
    let mut changes = Vec::with_capacity(rows.len());
    for row in rows {
        let entity = EntityKind::parse(&row.entity)?;
        let state = match entity {
            EntityKind::Site => {
                let id = Uuid::parse_str(&row.entity_id).map_err(|e| bad_row(e.to_string()))?;
                match placed(&id) {
                    None => ChangeState::Tombstone(TombstoneReason::LeftArea),
                    Some(s) => match super::decode::<OperationalStatus>(&s.operational_status)? {
                        OperationalStatus::Open => {
                            ChangeState::Live(Record::Site(Box::new(Site::try_from(s.clone())?)))
                        }
                        OperationalStatus::Closed => {
                            ChangeState::Tombstone(TombstoneReason::Closed)
                        }
                        OperationalStatus::Merged => {
                            ChangeState::Tombstone(TombstoneReason::Merged)
                        }
                        OperationalStatus::Relocated => {
                            ChangeState::Tombstone(TombstoneReason::Relocated)
                        }
                    },
                }
            }
            EntityKind::Assessment => {
                let id = Uuid::parse_str(&row.entity_id).map_err(|e| bad_row(e.to_string()))?;
                match assessments.get(&id) {
                    Some(a) if placed(&a.site_id).is_some() => {
                        ChangeState::Live(Record::Assessment(Box::new(a.clone())))
                    }
                    // Its site left the area: the device had it and must drop it.
                    Some(_) => ChangeState::Tombstone(TombstoneReason::LeftArea),
                    // An enumerator sees assessments by area only, so an invisible one has
                    // left its area; anyone else never saw it (another organisation's):
                    // say nothing, not even its id.
                    None if scope.caller().role == Role::Enumerator => {
                        ChangeState::Tombstone(TombstoneReason::LeftArea)
                    }
                    None => continue,
                }
            }
            // The log rows read are already limited to distributions that were in the
            // caller's view before or after the write (`Scope::change_log`), so one no longer
            // in view is a tombstone: the device may hold it.
            EntityKind::Distribution => match distributions.get(&row_uuid(&row)?) {
                Some(d) if placed(&d.site_id).is_some() => {
                    ChangeState::Live(Record::Distribution(Box::new(d.clone())))
                }
                _ => ChangeState::Tombstone(TombstoneReason::LeftArea),
            },
            // Movements are never edited or deleted, and a warehouse never changes
            // organisation: a readable row is a visible movement, unless its warehouse
            // moved out of the area asked for.
            EntityKind::StockMovement => match movements.get(&row_uuid(&row)?) {
                Some(m)
                    if area.is_none_or(|a| {
                        stores
                            .get(&m.warehouse_id)
                            .is_some_and(|w| scope::warehouse_in(a, w))
                    }) =>
                {
                    ChangeState::Live(Record::StockMovement(Box::new(m.clone())))
                }
                Some(_) => ChangeState::Tombstone(TombstoneReason::LeftArea),
                None => continue,
            },
            EntityKind::Item => match items.get(&row_uuid(&row)?) {
                Some(i) => ChangeState::Live(Record::Item(Box::new(i.clone()))),
                None => ChangeState::Tombstone(TombstoneReason::Deleted),
            },
            EntityKind::Kit => match kits.get(&row_uuid(&row)?) {
                Some(k) => ChangeState::Live(Record::Kit(Box::new(k.clone()))),
                None => ChangeState::Tombstone(TombstoneReason::Deleted),
            },
            EntityKind::Round => match rounds.get(&row.entity_id) {
                Some(r) => ChangeState::Live(Record::Round(Round::from(r.clone()))),
                None => ChangeState::Tombstone(TombstoneReason::Deleted),
            },
            EntityKind::AdminArea => match areas.get(&row.entity_id) {
                Some(a) => {
                    ChangeState::Live(Record::AdminArea(Box::new(AdminArea::from(a.clone()))))
                }
                None => ChangeState::Tombstone(TombstoneReason::Deleted),
            },
        };
        changes.push(Change {
            cursor: Cursor::of(&row),
            entity,
            entity_id: row.entity_id,
            operation: Operation::parse(&row.operation)?,
            at: row.at,
            state,
        });
    }
    Ok(changes)
}

fn row_uuid(row: &change_log::Model) -> Result<Uuid> {
    Uuid::parse_str(&row.entity_id).map_err(|e| bad_row(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::Cursor;

    #[test]
    fn cursors_round_trip_and_zero_is_the_start() {
        assert_eq!(Cursor::parse("0"), Some(Cursor::START));
        assert_eq!(Cursor::parse(""), Some(Cursor::START));
        let c = Cursor::parse("812.44").expect("cursor");
        assert_eq!(c.to_string(), "812.44");
        assert!(c > Cursor::parse("811.900").expect("cursor"));
        assert_eq!(Cursor::parse("12"), None);
        assert_eq!(Cursor::parse("-1.3"), None);
        assert_eq!(Cursor::parse("a.b"), None);
    }
}
