//! Storage: sea-orm entities and concrete query functions over SQLite or PostgreSQL.
//!
//! Functions take `&impl ConnectionTrait` when they compose inside a caller's transaction,
//! and `&impl Writer` when they open their own write transaction (a top-level transaction
//! on a pool, a savepoint inside a caller's transaction). Writes record
//! their audit entry in the same transaction. Nothing here knows about HTTP or GraphQL.

pub mod accounts;
pub mod admin_areas;
pub mod area;
pub mod assessments;
pub mod audit;
pub mod balances;
pub mod batch;
pub mod catalogue;
pub mod changes;
pub mod copy;
pub mod db;
pub mod device;
pub mod displacement;
pub mod distributions;
mod entities;
mod error;
pub mod exports;
pub mod import;
pub mod insight;
pub mod live;
pub mod openrosa;
pub mod organisations;
pub mod page;
pub mod rollups;
pub mod rounds;
pub mod scope;
pub mod seal;
pub mod sites;
pub mod stock;
pub mod warehouses;
pub mod webhook_deliveries;
pub mod webhooks;

use std::str::FromStr;

use sea_orm::DbErr;

pub use error::{Result, StorageError, check_version};

/// What a write function runs on: the pool (it begins a transaction) or a caller's
/// transaction (it begins a savepoint), so writes compose into larger transactions.
pub trait Writer: sea_orm::TransactionTrait + sea_orm::ConnectionTrait {}

impl<T: sea_orm::TransactionTrait + sea_orm::ConnectionTrait> Writer for T {}

/// The server clock, to the microsecond: PostgreSQL keeps microseconds, so SQLite is given
/// the same precision and both backends store identical timestamps.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound;
    chrono::Utc::now().trunc_subsecs(6)
}

/// The `n`th (from 1) bound-value placeholder of a hand-written statement.
fn placeholder(backend: sea_orm::DbBackend, n: usize) -> String {
    match backend {
        sea_orm::DbBackend::Postgres => format!("${n}"),
        _ => "?".to_owned(),
    }
}

/// Parses a code stored as text back into its code list; an unknown code is a database
/// fault, not the caller's.
fn decode<T: FromStr>(stored: &str) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    stored
        .parse()
        .map_err(|e: T::Err| StorageError::Db(DbErr::Type(e.to_string())))
}

/// Decodes a JSON column into `T`; a mismatch is a database fault.
fn decode_json<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T> {
    serde_json::from_value(value).map_err(|e| StorageError::Db(DbErr::Json(e.to_string())))
}

/// Maps a unique-key violation to a conflict naming `what` is taken, and a lost
/// optimistic-concurrency race to a conflict.
fn taken(err: DbErr, what: &str) -> StorageError {
    match err {
        DbErr::RecordNotUpdated => {
            StorageError::conflict("the record was changed by someone else; read it again")
        }
        err => match StorageError::from(err) {
            StorageError::Conflict { current, .. } => StorageError::Conflict {
                message: format!("that {what} is already taken"),
                current,
            },
            other => other,
        },
    }
}
