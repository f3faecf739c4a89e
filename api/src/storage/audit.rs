//! The append-only audit log. Every write calls [`record`] inside its own transaction, so
//! a write and its audit entry commit or vanish together.

use chrono::Utc;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter};
use serde_json::Value;
use uuid::Uuid;

use super::Result;
use super::entities::audit_log;
use super::page::{Page, PageRequest};
use crate::auth::Caller;

/// One audit entry as readers see it.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    /// Entry id (UUIDv7: time-ordered).
    pub id: Uuid,
    /// When the write committed (server clock).
    pub at: chrono::DateTime<Utc>,
    /// Who wrote; `None` for the system (migrations, demo loader).
    pub actor_account_id: Option<Uuid>,
    /// What was done, e.g. `site.update`.
    pub action: String,
    /// The kind of record.
    pub entity: String,
    /// The record's id or code.
    pub entity_id: String,
    /// The record before the write.
    pub before: Option<Value>,
    /// The record after the write.
    pub after: Option<Value>,
}

/// A write to record.
#[derive(Debug)]
pub struct Change<'a> {
    /// What was done, e.g. `site.update`.
    pub action: &'a str,
    /// The kind of record.
    pub entity: &'a str,
    /// The record's id or code.
    pub entity_id: String,
    /// The record before the write.
    pub before: Option<Value>,
    /// The record after the write.
    pub after: Option<Value>,
}

/// Appends `change`, made by `actor`, to the log, with its commit order (`xid`): the
/// writer's transaction id on PostgreSQL, one past the largest so far on SQLite (whose
/// writers hold the write lock here). The sealer ([`super::seal`]) chains it later.
pub async fn record(
    conn: &impl ConnectionTrait,
    actor: Option<&Caller>,
    change: Change<'_>,
) -> Result<()> {
    use audit_log::Column as C;
    let xid = match conn.get_database_backend() {
        DbBackend::Postgres => Expr::cust("pg_current_xact_id()::text::bigint"),
        _ => Expr::cust("(SELECT COALESCE(MAX(xid), 0) + 1 FROM audit_log)"),
    };
    let insert = Query::insert()
        .into_table(audit_log::Entity)
        .columns([
            C::Id,
            C::At,
            C::ActorAccountId,
            C::Action,
            C::Entity,
            C::EntityId,
            C::Before,
            C::After,
            C::RequestId,
            C::Xid,
        ])
        .values_panic([
            Expr::val(Uuid::now_v7()),
            Expr::val(super::now()),
            Expr::val(actor.map(|c| c.account_id)),
            Expr::val(change.action),
            Expr::val(change.entity),
            Expr::val(change.entity_id),
            Expr::val(change.before),
            Expr::val(change.after),
            Expr::val(crate::telemetry::current_request_id()),
            xid,
        ])
        .to_owned();
    conn.execute(&insert).await?;
    Ok(())
}

/// Filters for reading the log.
#[derive(Debug, Default)]
pub struct AuditFilter {
    /// Only entries about this kind of record.
    pub entity: Option<String>,
    /// Only entries about this record.
    pub entity_id: Option<String>,
    /// Only entries by this account.
    pub actor_account_id: Option<Uuid>,
}

/// Reads the log, oldest first.
pub async fn list(
    conn: &impl ConnectionTrait,
    filter: &AuditFilter,
    page: &PageRequest,
) -> Result<Page<AuditEntry>> {
    let mut query = audit_log::Entity::find();
    if let Some(entity) = &filter.entity {
        query = query.filter(audit_log::Column::Entity.eq(entity.clone()));
    }
    if let Some(id) = &filter.entity_id {
        query = query.filter(audit_log::Column::EntityId.eq(id.clone()));
    }
    if let Some(actor) = filter.actor_account_id {
        query = query.filter(audit_log::Column::ActorAccountId.eq(actor));
    }
    let page = super::page::fetch(conn, query, audit_log::Column::Id, page).await?;
    Ok(page.map(|m| AuditEntry {
        id: m.id,
        at: m.at,
        actor_account_id: m.actor_account_id,
        action: m.action,
        entity: m.entity,
        entity_id: m.entity_id,
        before: m.before,
        after: m.after,
    }))
}
