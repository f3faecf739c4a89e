//! Keyset pagination: stable order by id (UUIDv7, so creation order), cursor = last id.

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
};
use uuid::Uuid;

use super::Result;

/// What page a client asked for.
#[derive(Debug, Clone)]
pub struct PageRequest {
    /// How many items at most (already checked against the maximum page size).
    pub first: u64,
    /// Items after this id.
    pub after: Option<Uuid>,
    /// Whether to count all matching items.
    pub with_total: bool,
}

/// One page of items.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The items, in order.
    pub items: Vec<T>,
    /// Whether more items follow.
    pub has_next: bool,
    /// All matching items, when asked for.
    pub total: Option<u64>,
}

impl<T> Page<T> {
    /// The same page with each item converted.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            has_next: self.has_next,
            total: self.total,
        }
    }

    /// The same page with other items (converted in bulk, e.g. loaded with their children).
    pub fn with_items<U>(&self, items: Vec<U>) -> Page<U> {
        Page {
            items,
            has_next: self.has_next,
            total: self.total,
        }
    }

    /// The same page with each item converted fallibly.
    pub fn try_map<U, E>(
        self,
        f: impl FnMut(T) -> std::result::Result<U, E>,
    ) -> std::result::Result<Page<U>, E> {
        Ok(Page {
            items: self
                .items
                .into_iter()
                .map(f)
                .collect::<std::result::Result<_, _>>()?,
            has_next: self.has_next,
            total: self.total,
        })
    }
}

/// Fetches one page of `query` ordered by `id`.
pub async fn fetch<E, C>(
    conn: &impl ConnectionTrait,
    query: Select<E>,
    id: C,
    page: &PageRequest,
) -> Result<Page<E::Model>>
where
    E: EntityTrait,
    E::Model: Sync,
    C: ColumnTrait,
{
    let total = if page.with_total {
        Some(query.clone().count(conn).await?)
    } else {
        None
    };
    let mut query = query.order_by_asc(id);
    if let Some(after) = page.after {
        query = query.filter(id.gt(after));
    }
    let mut items = query.limit(page.first + 1).all(conn).await?;
    let has_next = items.len() as u64 > page.first;
    items.truncate(usize::try_from(page.first).unwrap_or(usize::MAX));
    Ok(Page {
        items,
        has_next,
        total,
    })
}
