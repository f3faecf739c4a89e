//! The audit log's hash chain: a background sealer appends one `audit_seal` row per audit
//! entry, in commit order, each holding SHA-256 over the previous link's hash and a
//! canonical encoding of the entry ([`entry_hash`]). Changing, removing or inserting an
//! entry anywhere before the head breaks every later link; [`verify`] finds the first.
//!
//! # Order and exclusion
//!
//! Entries are sealed in `(xid, id)` order (see `audit::record` for `xid`). On PostgreSQL
//! the sealer only reads entries whose transaction id lies below the change log's commit
//! bound (`changes::PG_COMMIT_BOUND`): every transaction below that bound has ended,
//! so no entry can appear below it later and the order is final (the same rule as the
//! change log, `changes.rs`). On SQLite the sealer holds the write lock (`BEGIN IMMEDIATE`)
//! so nothing commits while it reads. Writers never wait for the sealer and never take a
//! global lock: they only append.
//!
//! One sealer at a time across processes: on PostgreSQL each round runs under
//! `pg_try_advisory_xact_lock` (a second server skips the round instead of queueing); on
//! SQLite under the write lock. `audit_seal.position` (primary key) and `entry_id` (unique)
//! make a double seal fail rather than fork the chain.
//!
//! What it does not defend against: someone who can write the database can rewrite the
//! whole chain from some point on, or drop its newest links. Keep a copy of the head hash
//! (`camptrack audit verify` prints it) outside the database, e.g. in the backup log.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::Result;
use super::entities::{audit_log, audit_seal};

/// The advisory lock key of the sealer on PostgreSQL ("camptrack audit seal").
const SEAL_LOCK: i64 = 0x6361_6d70_7365_616c;

/// The hash before the first link.
pub const GENESIS: [u8; 32] = [0; 32];

/// Entries sealed per transaction.
const BATCH: u64 = 500;

/// SHA-256 over `prev` and the canonical encoding of `entry`: a version tag, then each
/// field as a presence byte, a big-endian `u64` length and its bytes, in a fixed order. Ids
/// are lowercase hyphenated UUIDs, the time RFC 3339 UTC with microseconds, JSON with object
/// keys sorted and no whitespace, so both backends and a copy between them agree.
pub fn entry_hash(prev: &[u8; 32], entry: &audit_log::Model) -> [u8; 32] {
    fn field(hasher: &mut Sha256, value: Option<&[u8]>) {
        match value {
            None => hasher.update([0]),
            Some(bytes) => {
                hasher.update([1]);
                hasher.update((bytes.len() as u64).to_be_bytes());
                hasher.update(bytes);
            }
        }
    }
    let mut hasher = Sha256::new();
    hasher.update(b"camptrack-audit-v1");
    hasher.update(prev);
    field(
        &mut hasher,
        Some(entry.id.hyphenated().to_string().as_bytes()),
    );
    field(&mut hasher, Some(timestamp(&entry.at).as_bytes()));
    field(
        &mut hasher,
        entry
            .actor_account_id
            .map(|a| a.hyphenated().to_string())
            .as_deref()
            .map(str::as_bytes),
    );
    field(&mut hasher, Some(entry.action.as_bytes()));
    field(&mut hasher, Some(entry.entity.as_bytes()));
    field(&mut hasher, Some(entry.entity_id.as_bytes()));
    field(
        &mut hasher,
        entry.before.as_ref().map(canonical_json).as_deref(),
    );
    field(
        &mut hasher,
        entry.after.as_ref().map(canonical_json).as_deref(),
    );
    field(&mut hasher, entry.request_id.as_deref().map(str::as_bytes));
    hasher.finalize().into()
}

fn timestamp(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// JSON with object keys sorted and no whitespace.
pub(crate) fn canonical_json(value: &Value) -> Vec<u8> {
    fn write(value: &Value, out: &mut String) {
        match value {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                out.push('{');
                for (i, key) in keys.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Value::String(key.clone()).to_string());
                    out.push(':');
                    write(&map[key], out);
                }
                out.push('}');
            }
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(item, out);
                }
                out.push(']');
            }
            scalar => out.push_str(&scalar.to_string()),
        }
    }
    let mut out = String::new();
    write(value, &mut out);
    out.into_bytes()
}

fn parse_hash(hex_hash: &str) -> Option<[u8; 32]> {
    let mut out = [0; 32];
    hex::decode_to_slice(hex_hash, &mut out).ok()?;
    Some(out)
}

/// Seals every entry that is safely committed, in batches. Returns how many it sealed, or
/// `None` when another sealer holds the lock (it will seal them).
pub async fn seal_pending(db: &DatabaseConnection) -> Result<Option<u64>> {
    let mut total = 0;
    loop {
        let Some(sealed) = seal_batch(db).await? else {
            return Ok((total > 0).then_some(total));
        };
        total += sealed;
        if sealed < BATCH {
            return Ok(Some(total));
        }
    }
}

/// Seals up to [`BATCH`] entries in one transaction; `None` when another sealer is at work.
async fn seal_batch(db: &DatabaseConnection) -> Result<Option<u64>> {
    use audit_log::Column as L;
    let postgres = db.get_database_backend() == DbBackend::Postgres;
    let txn = super::db::begin_write(db).await?;
    if postgres {
        let locked = txn
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_try_advisory_xact_lock($1) AS locked",
                [SEAL_LOCK.into()],
            ))
            .await?
            .map(|row| row.try_get::<bool>("", "locked"))
            .transpose()?
            .unwrap_or(false);
        if !locked {
            txn.rollback().await?;
            return Ok(None);
        }
    }
    let head = audit_seal::Entity::find()
        .order_by_desc(audit_seal::Column::Position)
        .one(&txn)
        .await?;
    let (mut position, mut prev) = match &head {
        Some(h) => (
            h.position,
            parse_hash(&h.hash).ok_or_else(|| bad_seal(h.position))?,
        ),
        None => (0, GENESIS),
    };
    let mut query = audit_log::Entity::find();
    if let Some(h) = &head {
        query = query.filter(
            Condition::any().add(L::Xid.gt(h.entry_xid)).add(
                Condition::all()
                    .add(L::Xid.eq(h.entry_xid))
                    .add(L::Id.gt(h.entry_id)),
            ),
        );
    }
    if postgres {
        query = query.filter(Expr::cust(format!(
            "xid < {}",
            super::changes::PG_COMMIT_BOUND
        )));
    }
    let entries = query
        .order_by_asc(L::Xid)
        .order_by_asc(L::Id)
        .limit(BATCH)
        .all(&txn)
        .await?;
    let sealed = entries.len() as u64;
    if !entries.is_empty() {
        let now = super::now();
        let mut insert = Query::insert()
            .into_table(audit_seal::Entity)
            .columns([
                audit_seal::Column::Position,
                audit_seal::Column::EntryId,
                audit_seal::Column::EntryXid,
                audit_seal::Column::Hash,
                audit_seal::Column::SealedAt,
            ])
            .to_owned();
        for entry in &entries {
            position += 1;
            prev = entry_hash(&prev, entry);
            insert.values_panic([
                Expr::val(position),
                Expr::val(entry.id),
                Expr::val(entry.xid),
                Expr::val(hex::encode(prev)),
                Expr::val(now),
            ]);
        }
        txn.execute(&insert).await?;
    }
    txn.commit().await?;
    Ok(Some(sealed))
}

fn bad_seal(position: i64) -> super::StorageError {
    super::StorageError::Db(sea_orm::DbErr::Type(format!(
        "audit_seal position {position} holds a malformed hash"
    )))
}

/// Runs the sealer every `every` until the task is dropped; failures are logged and
/// retried on the next tick (the database may be briefly away).
pub async fn run_sealer(db: DatabaseConnection, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match seal_pending(&db).await {
            Ok(Some(n)) if n > 0 => tracing::debug!(sealed = n, "audit entries sealed"),
            Ok(_) => {}
            Err(err) => tracing::warn!(error = %err, "audit sealer failed; retrying"),
        }
    }
}

/// How far the chain reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainStatus {
    /// Entries in the audit log.
    pub entries: u64,
    /// Links in the chain.
    pub sealed: u64,
    /// The newest link's hash (hex), if any.
    pub head: Option<String>,
}

/// Counts entries and links.
pub async fn status(conn: &impl ConnectionTrait) -> Result<ChainStatus> {
    let entries = audit_log::Entity::find().count(conn).await?;
    let sealed = audit_seal::Entity::find().count(conn).await?;
    let head = audit_seal::Entity::find()
        .order_by_desc(audit_seal::Column::Position)
        .one(conn)
        .await?
        .map(|h| h.hash);
    Ok(ChainStatus {
        entries,
        sealed,
        head,
    })
}

/// The first broken link found by [`verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Broken {
    /// Link `position` is missing (the links before and after it exist).
    MissingLink {
        /// The missing position.
        position: i64,
    },
    /// Link `position` names an entry that is no longer in the log.
    MissingEntry {
        /// The link's position.
        position: i64,
        /// The entry it sealed.
        entry_id: Uuid,
    },
    /// The entry at `position` (or an earlier one) was changed: its hash differs.
    HashMismatch {
        /// The link's position.
        position: i64,
        /// The entry it seals.
        entry_id: Uuid,
        /// The hash recomputed from the entry and the previous link.
        expected: String,
        /// The hash stored in the link.
        found: String,
    },
    /// An entry that sorts before the newest link was never sealed: it was inserted
    /// afterwards, or its link was removed.
    Unsealed {
        /// The entry.
        entry_id: Uuid,
    },
}

impl fmt::Display for Broken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingLink { position } => write!(f, "link {position} is missing"),
            Self::MissingEntry { position, entry_id } => write!(
                f,
                "link {position}: entry {entry_id} is missing from the audit log"
            ),
            Self::HashMismatch {
                position,
                entry_id,
                expected,
                found,
            } => write!(
                f,
                "link {position}: entry {entry_id} does not match its seal: expected hash {expected}, found {found}"
            ),
            Self::Unsealed { entry_id } => write!(
                f,
                "entry {entry_id} lies before the newest link but is not sealed"
            ),
        }
    }
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Links checked.
    pub checked: u64,
    /// Entries not sealed yet (newer than the head; the sealer will get to them).
    pub pending: u64,
    /// The newest link's hash, when the chain holds.
    pub head: Option<String>,
    /// The first broken link, if any.
    pub broken: Option<Broken>,
}

/// Walks the chain from the first link, recomputing every hash, and reports the first
/// broken link; then checks that no entry before the head is left unsealed.
pub async fn verify(conn: &impl ConnectionTrait) -> Result<Verification> {
    use audit_log::Column as L;
    let mut prev = GENESIS;
    let mut expected_position = 1_i64;
    let mut last: Option<audit_seal::Model> = None;
    let mut checked = 0_u64;
    loop {
        let links = audit_seal::Entity::find()
            .filter(audit_seal::Column::Position.gte(expected_position))
            .order_by_asc(audit_seal::Column::Position)
            .limit(BATCH)
            .all(conn)
            .await?;
        if links.is_empty() {
            break;
        }
        let entries: std::collections::HashMap<Uuid, audit_log::Model> = audit_log::Entity::find()
            .filter(L::Id.is_in(links.iter().map(|l| l.entry_id)))
            .all(conn)
            .await?
            .into_iter()
            .map(|e| (e.id, e))
            .collect();
        for link in links {
            let broken = if link.position != expected_position {
                Some(Broken::MissingLink {
                    position: expected_position,
                })
            } else {
                match entries.get(&link.entry_id) {
                    None => Some(Broken::MissingEntry {
                        position: link.position,
                        entry_id: link.entry_id,
                    }),
                    Some(entry) => {
                        let hash = entry_hash(&prev, entry);
                        let expected = hex::encode(hash);
                        if expected == link.hash {
                            prev = hash;
                            None
                        } else {
                            Some(Broken::HashMismatch {
                                position: link.position,
                                entry_id: link.entry_id,
                                expected,
                                found: link.hash.clone(),
                            })
                        }
                    }
                }
            };
            if let Some(broken) = broken {
                return Ok(Verification {
                    checked,
                    pending: 0,
                    head: None,
                    broken: Some(broken),
                });
            }
            checked += 1;
            expected_position += 1;
            last = Some(link);
        }
    }
    // Every entry up to the head's (xid, id) must be sealed: as many entries as links.
    let (pending, broken) = match &last {
        None => (audit_log::Entity::find().count(conn).await?, None),
        Some(head) => {
            let upto = Condition::any().add(L::Xid.lt(head.entry_xid)).add(
                Condition::all()
                    .add(L::Xid.eq(head.entry_xid))
                    .add(L::Id.lte(head.entry_id)),
            );
            let before_head = audit_log::Entity::find()
                .filter(upto.clone())
                .count(conn)
                .await?;
            let total = audit_log::Entity::find().count(conn).await?;
            let broken = if before_head == checked {
                None
            } else {
                first_unsealed(conn, upto).await?
            };
            (total - before_head, broken)
        }
    };
    Ok(Verification {
        checked,
        pending,
        head: broken.is_none().then(|| last.map(|l| l.hash)).flatten(),
        broken,
    })
}

/// The first entry matching `upto` that has no link.
async fn first_unsealed(conn: &impl ConnectionTrait, upto: Condition) -> Result<Option<Broken>> {
    use audit_log::Column as L;
    let sealed = Query::select()
        .column(audit_seal::Column::EntryId)
        .from(audit_seal::Entity)
        .to_owned();
    Ok(audit_log::Entity::find()
        .filter(upto)
        .filter(L::Id.not_in_subquery(sealed))
        .order_by_asc(L::Xid)
        .order_by_asc(L::Id)
        .one(conn)
        .await?
        .map(|e| Broken::Unsealed { entry_id: e.id }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(before: Option<Value>) -> audit_log::Model {
        audit_log::Model {
            id: Uuid::from_u128(7),
            at: DateTime::parse_from_rfc3339("2024-01-20T09:41:00.123456Z")
                .expect("time")
                .with_timezone(&Utc),
            actor_account_id: None,
            action: "site.update".into(),
            entity: "site".into(),
            entity_id: "x".into(),
            before,
            after: None,
            request_id: None,
            xid: 3,
        }
    }

    #[test]
    fn key_order_does_not_change_the_hash_but_content_does() {
        let a = entry(Some(serde_json::json!({"a": 1, "b": [1.5, "é"]})));
        let b = entry(Some(
            serde_json::from_str(r#"{ "b": [1.5, "é"], "a": 1 }"#).expect("json"),
        ));
        assert_eq!(entry_hash(&GENESIS, &a), entry_hash(&GENESIS, &b));
        let c = entry(Some(serde_json::json!({"a": 2, "b": [1.5, "é"]})));
        assert_ne!(entry_hash(&GENESIS, &a), entry_hash(&GENESIS, &c));
        assert_ne!(entry_hash(&GENESIS, &a), entry_hash(&[1; 32], &a));
        // Absent is not the same as empty.
        let mut d = entry(None);
        let mut e = entry(None);
        d.request_id = Some(String::new());
        e.request_id = None;
        assert_ne!(entry_hash(&GENESIS, &d), entry_hash(&GENESIS, &e));
    }

    #[test]
    fn the_time_is_encoded_to_the_microsecond() {
        assert_eq!(
            timestamp(&entry(None).at),
            "2024-01-20T09:41:00.123456Z".to_owned()
        );
    }
}
