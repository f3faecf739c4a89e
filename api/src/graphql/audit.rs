//! The audit log, readable by admins and coordinators.

use async_graphql::{Context, Json, Object};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::connection::{Conn, connection};
use super::context::{self, list_cost};
use super::error::{OrGql, code, coded};
use crate::storage::audit::{self, AuditEntry, AuditFilter};

/// One audited write.
#[derive(Debug, Clone)]
pub struct AuditEntryNode(pub AuditEntry);

#[Object(name = "AuditEntry")]
impl AuditEntryNode {
    /// Entry id.
    async fn id(&self) -> Uuid {
        self.0.id
    }
    /// When.
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
    /// Who (account id); null for the system.
    async fn actor_account_id(&self) -> Option<Uuid> {
        self.0.actor_account_id
    }
    /// What, e.g. `site.update`.
    async fn action(&self) -> &str {
        &self.0.action
    }
    /// Kind of record.
    async fn entity(&self) -> &str {
        &self.0.entity
    }
    /// The record's id or code.
    async fn entity_id(&self) -> &str {
        &self.0.entity_id
    }
    /// The record before.
    async fn before(&self) -> Option<Json<serde_json::Value>> {
        self.0.before.clone().map(Json)
    }
    /// The record after.
    async fn after(&self) -> Option<Json<serde_json::Value>> {
        self.0.after.clone().map(Json)
    }
}

/// Audit queries.
#[derive(Debug, Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// The audit log, oldest first (admins and coordinators).
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        entity: Option<String>,
        entity_id: Option<String>,
        actor_account_id: Option<Uuid>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<AuditEntryNode>> {
        if !context::caller(ctx)?.role.reads_everything() {
            return Err(coded(
                code::FORBIDDEN,
                "only administrators and coordinators read the audit log",
            ));
        }
        let page = context::page_request(ctx, first, after.as_deref())?;
        let filter = AuditFilter {
            entity,
            entity_id,
            actor_account_id,
        };
        let items = audit::list(context::db(ctx), &filter, &page).await.gql()?;
        Ok(connection(
            items,
            page.after.is_some(),
            |e| e.id.to_string(),
            AuditEntryNode,
        ))
    }
}
