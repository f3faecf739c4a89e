//! The storage layer's one error type: what went wrong, classified for the API.

use camptrack_domain::Invalid;
use sea_orm::{DbErr, SqlErr};

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The input breaks a rule; each field error names the field.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// The record does not exist, or the caller may not know that it does.
    #[error("{entity} {id} not found")]
    NotFound {
        /// What kind of record.
        entity: &'static str,
        /// The id or code asked for.
        id: String,
    },
    /// The caller may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The write collides with the stored state (stale version, taken code, changed replay).
    #[error("{message}")]
    Conflict {
        /// What collided, in words.
        message: String,
        /// The stored record as the client should see it, when there is one.
        current: Option<serde_json::Value>,
    },
    /// The request asks for more than the configured limits allow.
    #[error("{0}")]
    Limit(String),
    /// The database could not be reached in time (pool exhausted or database down).
    #[error("database unavailable: {0}")]
    Unavailable(DbErr),
    /// Anything else the database said; logged, never shown to clients.
    #[error("database error: {0}")]
    Db(DbErr),
}

impl StorageError {
    /// A `NotFound` for `entity` with `id`.
    pub fn not_found(entity: &'static str, id: impl ToString) -> Self {
        Self::NotFound {
            entity,
            id: id.to_string(),
        }
    }

    /// A `Conflict` without a current record.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::Conflict {
            message: message.into(),
            current: None,
        }
    }
}

/// Checks an optimistic-concurrency version: a stale `asked` version is a conflict that
/// names the record and carries its stored form, so the client can show both.
pub fn check_version(
    entity: &str,
    name: impl std::fmt::Display,
    stored: i32,
    asked: i32,
    current: impl FnOnce() -> serde_json::Value,
) -> Result<()> {
    if stored == asked {
        Ok(())
    } else {
        Err(StorageError::Conflict {
            message: format!(
                "{entity} {name} is at version {stored}, not {asked}: someone changed it since you read it; read it again and reapply your change"
            ),
            current: Some(current()),
        })
    }
}

impl From<DbErr> for StorageError {
    fn from(err: DbErr) -> Self {
        match &err {
            DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => Self::Unavailable(err),
            _ if storage_fault(&err) => Self::Unavailable(err),
            _ => match err.sql_err() {
                Some(SqlErr::UniqueConstraintViolation(_)) => {
                    Self::conflict("a record with the same unique key already exists")
                }
                Some(SqlErr::ForeignKeyConstraintViolation(_)) => {
                    Self::conflict("the record refers to something that does not exist")
                }
                _ => Self::Db(err),
            },
        }
    }
}

/// Whether the database refused for want of somewhere to write: a full disk, a read-only
/// file or file system (SQLite), no space left (PostgreSQL). The client's request was fine
/// and may succeed later, so it is reported as the database being unavailable; the log
/// line carries the cause for the operator.
fn storage_fault(err: &DbErr) -> bool {
    const FAULTS: [&str; 6] = [
        "database or disk is full",
        "readonly database",
        "disk I/O error",
        "No space left on device",
        "could not extend file",
        "Read-only file system",
    ];
    let text = err.to_string();
    FAULTS.iter().any(|fault| text.contains(fault))
}

/// Result of a storage operation.
pub type Result<T, E = StorageError> = std::result::Result<T, E>;
