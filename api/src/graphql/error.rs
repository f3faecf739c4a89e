//! Maps every lower-layer error to a GraphQL error with `extensions.code`. Internal causes
//! are logged with the request id and never sent to clients.

use async_graphql::{ErrorExtensions, Value as GqlValue};
use camptrack_domain::Invalid;
use camptrack_geo::GeoError;

use crate::storage::StorageError;

/// The `extensions.code` values clients can rely on.
pub mod code {
    /// The input is wrong; `extensions.fields` says where and why.
    pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
    /// No valid token was presented.
    pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
    /// The caller's role may not do this.
    pub const FORBIDDEN: &str = "FORBIDDEN";
    /// No such record the caller may see.
    pub const NOT_FOUND: &str = "NOT_FOUND";
    /// The write collides with stored state; `extensions.current` holds the stored record.
    pub const CONFLICT: &str = "CONFLICT";
    /// The request exceeds a configured limit.
    pub const LIMIT_EXCEEDED: &str = "LIMIT_EXCEEDED";
    /// The server is saturated or its database unreachable right now; nothing was done.
    /// Sent with HTTP 503 and `Retry-After`: retry the same request later.
    pub const UNAVAILABLE: &str = "UNAVAILABLE";
    /// Something failed on the server; `extensions.requestId` identifies it in the logs.
    pub const INTERNAL: &str = "INTERNAL";
}

/// A GraphQL error with `code` and a message.
pub fn coded(code: &'static str, message: impl Into<String>) -> async_graphql::Error {
    async_graphql::Error::new(message).extend_with(|_, e| e.set("code", code))
}

/// A `BAD_USER_INPUT` error listing every field that is wrong.
pub fn invalid(err: &Invalid) -> async_graphql::Error {
    let fields: Vec<GqlValue> = err
        .0
        .iter()
        .map(|f| {
            let mut obj = async_graphql::indexmap::IndexMap::new();
            obj.insert(
                async_graphql::Name::new("field"),
                GqlValue::from(f.path.clone()),
            );
            obj.insert(
                async_graphql::Name::new("reason"),
                GqlValue::from(f.reason.clone()),
            );
            GqlValue::Object(obj)
        })
        .collect();
    let first = err.0.first().map(|f| f.path.clone()).unwrap_or_default();
    async_graphql::Error::new(err.to_string()).extend_with(|_, e| {
        e.set("code", code::BAD_USER_INPUT);
        e.set("field", first.clone());
        e.set("fields", GqlValue::List(fields.clone()));
    })
}

/// The error for a refused coordinate, cell or area.
pub fn geo(err: &GeoError) -> StorageError {
    if err.is_limit() {
        StorageError::Limit(err.to_string())
    } else {
        Invalid::one(err.field(), err.to_string()).into()
    }
}

/// Converts a storage error; internal causes are logged here, once.
pub fn storage(err: StorageError) -> async_graphql::Error {
    let request_id = crate::telemetry::current_request_id().unwrap_or_default();
    match err {
        StorageError::Invalid(e) => invalid(&e),
        StorageError::NotFound { entity, id } => {
            coded(code::NOT_FOUND, format!("{entity} {id} not found"))
        }
        StorageError::Forbidden(m) => coded(code::FORBIDDEN, m),
        StorageError::Conflict { message, current } => async_graphql::Error::new(message)
            .extend_with(|_, e| {
                e.set("code", code::CONFLICT);
                if let Some(current) = &current
                    && let Ok(v) = GqlValue::from_json(current.clone())
                {
                    e.set("current", v);
                }
            }),
        StorageError::Limit(m) => coded(code::LIMIT_EXCEEDED, m),
        StorageError::Unavailable(cause) => {
            tracing::warn!(error = %cause, "database unavailable");
            coded(
                code::UNAVAILABLE,
                format!("the database is unavailable right now; try again shortly (request {request_id})"),
            )
            .extend_with(|_, e| e.set("requestId", request_id.clone()))
        }
        StorageError::Db(cause) => {
            tracing::error!(error = %cause, "database error");
            coded(
                code::INTERNAL,
                format!("internal error (request {request_id})"),
            )
            .extend_with(|_, e| e.set("requestId", request_id.clone()))
        }
    }
}

/// Lets resolvers use `?` on storage results.
pub trait OrGql<T> {
    /// Maps the error into a GraphQL error.
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T> OrGql<T> for Result<T, StorageError> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(storage)
    }
}

impl<T> OrGql<T> for Result<T, Invalid> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(|e| invalid(&e))
    }
}
