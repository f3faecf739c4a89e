//! Relay connections with `totalCount`, built from storage pages.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{OutputType, SimpleObject};

use crate::storage::page::Page;

/// Extra connection fields.
#[derive(Debug, SimpleObject)]
pub struct Totals {
    /// How many items match, over all pages (computed only when asked for).
    pub total_count: Option<i32>,
}

/// A connection of `T` with string cursors.
pub type Conn<T> = Connection<String, T, Totals>;

/// Builds a connection; each item's cursor comes from `cursor`.
pub fn connection<S, T: OutputType>(
    page: Page<S>,
    had_after: bool,
    cursor: impl Fn(&S) -> String,
    node: impl Fn(S) -> T,
) -> Conn<T> {
    let total_count = page.total.map(|t| i32::try_from(t).unwrap_or(i32::MAX));
    let mut conn =
        Connection::with_additional_fields(had_after, page.has_next, Totals { total_count });
    conn.edges.extend(
        page.items
            .into_iter()
            .map(|item| Edge::new(cursor(&item), node(item))),
    );
    conn
}
