//! The GraphQL schema: one merged query and mutation root built from feature modules.
//! Resolvers are thin: read the caller and input, call one storage function, map the result.

pub mod accounts;
pub mod admin_areas;
pub mod area;
pub mod assessments;
pub mod audit;
pub mod batch;
pub mod catalogue;
pub mod connection;
pub mod context;
pub mod displacement;
pub mod distributions;
pub mod enums;
pub mod error;
pub mod insight;
pub mod live;
pub mod openrosa;
pub mod organisations;
pub mod reference;
pub mod rounds;
pub mod scalars;
pub mod sites;
pub mod stock;
pub mod sync;
pub mod warehouses;
pub mod webhooks;

use std::sync::Arc;

use async_graphql::{MergedObject, MergedSubscription, Schema};
use sea_orm::DatabaseConnection;

pub use context::Policy;

use crate::auth::TokenCache;

/// The query root.
#[derive(Debug, Default, MergedObject)]
pub struct Query(
    reference::ReferenceQuery,
    organisations::OrganisationQuery,
    accounts::AccountQuery,
    admin_areas::AdminAreaQuery,
    rounds::RoundQuery,
    sites::SiteQuery,
    assessments::AssessmentQuery,
    catalogue::CatalogueQuery,
    warehouses::WarehouseQuery,
    stock::StockQuery,
    distributions::DistributionQuery,
    audit::AuditQuery,
    displacement::DisplacementQuery,
    insight::InsightQuery,
    sync::SyncQuery,
    openrosa::OpenRosaQuery,
    webhooks::WebhookQuery,
);

/// The mutation root.
#[derive(Debug, Default, MergedObject)]
pub struct Mutation(
    organisations::OrganisationMutation,
    accounts::AccountMutation,
    admin_areas::AdminAreaMutation,
    rounds::RoundMutation,
    sites::SiteMutation,
    assessments::AssessmentMutation,
    catalogue::CatalogueMutation,
    warehouses::WarehouseMutation,
    stock::StockMutation,
    distributions::DistributionMutation,
    webhooks::WebhookMutation,
);

/// The subscription root (served over WebSocket at `/graphql/ws`).
#[derive(Debug, Default, MergedSubscription)]
pub struct Subscription(live::LiveSubscription);

/// camptrack's schema.
pub type CamptrackSchema = Schema<Query, Mutation, Subscription>;

/// Limits every request is held to.
#[derive(Debug, Clone)]
pub struct SchemaLimits {
    /// Deepest selection nesting accepted.
    pub max_depth: usize,
    /// Highest complexity accepted (lists cost `first` times their items).
    pub max_complexity: usize,
    /// Whether introspection is served.
    pub introspection: bool,
}

/// Builds the schema over `db` with `policy` and `limits`; revocations clear `tokens`.
pub fn schema(
    db: DatabaseConnection,
    policy: Policy,
    limits: &SchemaLimits,
    tokens: Arc<TokenCache>,
) -> CamptrackSchema {
    let mut builder = Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
    .data(db)
    .data(policy)
    .data(crate::storage::area::AreaCache::default())
    .data(tokens)
    .limit_depth(limits.max_depth)
    .limit_complexity(limits.max_complexity);
    if !limits.introspection {
        builder = builder.disable_introspection();
    }
    builder.finish()
}

/// The schema's SDL, for the snapshot test and for clients generating code.
pub fn sdl() -> String {
    Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
    .finish()
    .sdl()
}
