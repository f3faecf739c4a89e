//! What every resolver reads from the request context: the caller, the database, limits.

use async_graphql::Context;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::error::{code, coded};
use crate::auth::Caller;
use crate::storage::page::PageRequest;
use crate::storage::scope::Scope;

/// Limits and policy the schema enforces, from configuration.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Largest `first` a list accepts.
    pub max_page_size: u32,
    /// Page size when `first` is not given.
    pub default_page_size: u32,
    /// Partners see site and cell figures only from this many households up.
    pub min_households_shown: i64,
    /// Most items in one batch mutation or status query.
    pub max_batch_items: usize,
    /// How far a device clock may run ahead before a submission is flagged.
    pub future_capture_tolerance: chrono::TimeDelta,
    /// How webhooks are checked and delivered (the URL allow-list, attempts).
    pub webhooks: crate::webhooks::WebhookSettings,
}

/// The app and device the request came from (empty when the request named none).
pub fn client_app(ctx: &Context<'_>) -> crate::auth::ClientApp {
    ctx.data_opt::<crate::auth::ClientApp>()
        .cloned()
        .unwrap_or_default()
}

/// How this request's field submissions are received: the app and device from its
/// headers, and the clock tolerance from the policy.
pub fn submit_options(ctx: &Context<'_>) -> crate::storage::device::SubmitOptions {
    crate::storage::device::SubmitOptions {
        client: client_app(ctx),
        future_tolerance: policy(ctx).future_capture_tolerance,
    }
}

/// Refuses a list of `len` items over the batch limit with `LIMIT_EXCEEDED`.
pub fn check_batch(ctx: &Context<'_>, field: &str, len: usize) -> async_graphql::Result<()> {
    let max = policy(ctx).max_batch_items;
    if len > max {
        return Err(coded(
            code::LIMIT_EXCEEDED,
            format!("{field}: at most {max} items per request, got {len}; split the batch"),
        ));
    }
    Ok(())
}

/// The authenticated caller, or `UNAUTHENTICATED`.
pub fn caller<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Caller> {
    ctx.data_opt::<Caller>().ok_or_else(|| {
        coded(
            code::UNAUTHENTICATED,
            "send `Authorization: Bearer <token>`; ask an administrator for a token",
        )
    })
}

/// The caller's scope, or `UNAUTHENTICATED`.
pub fn scope<'a>(ctx: &Context<'a>) -> async_graphql::Result<Scope<'a>> {
    caller(ctx).map(Scope::of)
}

/// The database.
pub fn db<'a>(ctx: &Context<'a>) -> &'a DatabaseConnection {
    ctx.data_unchecked::<DatabaseConnection>()
}

/// This process's cache of live tokens, to clear when a token or account stops working.
pub fn tokens<'a>(ctx: &Context<'a>) -> &'a crate::auth::TokenCache {
    ctx.data_unchecked::<std::sync::Arc<crate::auth::TokenCache>>()
}

/// The configured policy.
pub fn policy<'a>(ctx: &Context<'a>) -> &'a Policy {
    ctx.data_unchecked::<Policy>()
}

/// Checks `first`/`after` and whether `totalCount` was selected.
pub fn page_request(
    ctx: &Context<'_>,
    first: Option<i32>,
    after: Option<&str>,
) -> async_graphql::Result<PageRequest> {
    let policy = policy(ctx);
    let first = match first {
        None => policy.default_page_size,
        Some(n) if n < 1 => {
            return Err(super::error::invalid(&camptrack_domain::Invalid::one(
                "first",
                "must be at least 1",
            )));
        }
        Some(n) if n.unsigned_abs() > policy.max_page_size => {
            return Err(coded(
                code::LIMIT_EXCEEDED,
                format!("first: at most {} items per page", policy.max_page_size),
            ));
        }
        Some(n) => n.unsigned_abs(),
    };
    let after = after
        .map(|c| {
            Uuid::parse_str(c).map_err(|_| {
                super::error::invalid(&camptrack_domain::Invalid::one(
                    "after",
                    format!("`{c}` is not a cursor from this list"),
                ))
            })
        })
        .transpose()?;
    Ok(PageRequest {
        first: first.into(),
        after,
        with_total: ctx.look_ahead().field("totalCount").exists(),
    })
}

/// The complexity of a list field: `first` items of `child` each.
pub fn list_cost(first: Option<i32>, child: usize) -> usize {
    usize::try_from(first.unwrap_or(50).max(1))
        .unwrap_or(1)
        .saturating_mul(child.max(1))
}
