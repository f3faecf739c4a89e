//! Balances: per warehouse and item, at any date, summed from the ledger (never stored),
//! with days of cover from the recent dispatches.

use camptrack_domain::codes::{ItemCategory, MovementKind};
use camptrack_domain::stock::days_of_cover;
use chrono::NaiveDate;
use sea_orm::sea_query::{Alias, Expr, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait,
};
use uuid::Uuid;

use super::entities::{item, stock_movement, warehouse};
use super::page::Page;
use super::scope::Scope;
use super::stock::{SUM_QUANTITY, start_of};
use super::warehouses::WarehouseFilter;
use super::{Result, StorageError};

/// Most days a days-of-cover window may span.
pub const MAX_COVER_WINDOW_DAYS: u32 = 3_660;

/// The balance of one item in one warehouse at a date.
#[derive(Debug, Clone, PartialEq)]
pub struct Balance {
    /// The warehouse.
    pub warehouse_id: Uuid,
    /// The item.
    pub item_id: Uuid,
    /// Base units on hand at the end of the day asked for.
    pub quantity: i64,
    /// Base units dispatched (net of corrections) in the cover window ending that day.
    pub dispatched: i64,
    /// The cover window, in days.
    pub window_days: u32,
}

impl Balance {
    /// Average base units dispatched per day over the window.
    pub fn average_daily_dispatch(&self) -> f64 {
        self.dispatched.max(0) as f64 / f64::from(self.window_days.max(1))
    }

    /// Days the balance lasts at the average daily dispatch; `None` without dispatches.
    pub fn days_of_cover(&self) -> Option<f64> {
        days_of_cover(self.quantity, self.dispatched, self.window_days)
    }
}

/// Which balances, at which date.
#[derive(Debug, Clone, Default)]
pub struct BalanceFilter {
    /// Only this warehouse.
    pub warehouse_id: Option<Uuid>,
    /// Only warehouses matching this.
    pub warehouses: WarehouseFilter,
    /// Only this item.
    pub item_id: Option<Uuid>,
    /// Only items of these categories.
    pub categories: Vec<ItemCategory>,
    /// At the end of this day (UTC); today when `None`.
    pub as_of: Option<NaiveDate>,
    /// Leave out items whose balance is zero.
    pub non_zero: bool,
}

/// One page of balances, keyed by (warehouse id, item id).
#[derive(Debug, Clone)]
pub struct BalancePage {
    /// How many at most.
    pub first: u64,
    /// Balances after this (warehouse id, item id).
    pub after: Option<(Uuid, Uuid)>,
    /// Whether to count all matching balances.
    pub with_total: bool,
    /// The days-of-cover window.
    pub window_days: u32,
}

impl BalanceFilter {
    fn condition(&self, scope: Scope<'_>) -> Condition {
        let mut cond = Condition::all().add(scope.stock());
        if let Some(w) = self.warehouse_id {
            cond = cond.add(stock_movement::Column::WarehouseId.eq(w));
        }
        let stores = self.warehouses.condition();
        if !stores.is_empty() {
            let matching = Query::select()
                .column(warehouse::Column::Id)
                .from(warehouse::Entity)
                .cond_where(stores)
                .to_owned();
            cond = cond.add(stock_movement::Column::WarehouseId.in_subquery(matching));
        }
        if let Some(i) = self.item_id {
            cond = cond.add(stock_movement::Column::ItemId.eq(i));
        }
        if !self.categories.is_empty() {
            let matching = Query::select()
                .column(item::Column::Id)
                .from(item::Entity)
                .and_where(
                    item::Column::Category.is_in(self.categories.iter().map(ToString::to_string)),
                )
                .to_owned();
            cond = cond.add(stock_movement::Column::ItemId.in_subquery(matching));
        }
        let end = self
            .as_of
            .unwrap_or_else(|| chrono::Utc::now().date_naive())
            .succ_opt()
            .map(start_of);
        if let Some(end) = end {
            cond = cond.add(stock_movement::Column::OccurredAt.lt(end));
        }
        cond
    }
}

/// Balances the caller may see (its stock scope), at the filter's date, in (warehouse,
/// item) id order, each with its dispatches over the cover window.
pub async fn list(
    conn: &impl ConnectionTrait,
    scope: Scope<'_>,
    filter: &BalanceFilter,
    page: &BalancePage,
) -> Result<Page<Balance>> {
    if page.window_days == 0 || page.window_days > MAX_COVER_WINDOW_DAYS {
        return Err(camptrack_domain::Invalid::one(
            "coverWindowDays",
            format!("must be between 1 and {MAX_COVER_WINDOW_DAYS} days"),
        )
        .into());
    }
    let cond = filter.condition(scope);
    let mut grouped = stock_movement::Entity::find()
        .select_only()
        .column(stock_movement::Column::WarehouseId)
        .column(stock_movement::Column::ItemId)
        .column_as(Expr::cust(SUM_QUANTITY), "balance")
        .filter(cond)
        .group_by(stock_movement::Column::WarehouseId)
        .group_by(stock_movement::Column::ItemId);
    if filter.non_zero {
        grouped = grouped.having(Expr::cust(format!("{SUM_QUANTITY} <> 0")));
    }
    let total = if page.with_total {
        let counted = Query::select()
            .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
            .from_subquery(grouped.clone().into_query(), Alias::new("g"))
            .to_owned();
        let row = conn.query_one(&counted).await?;
        let n: i64 = match row {
            Some(r) => r.try_get("", "n")?,
            None => 0,
        };
        Some(u64::try_from(n).unwrap_or(0))
    } else {
        None
    };
    let mut query = grouped;
    if let Some((w, i)) = page.after {
        query = query.filter(
            Condition::any()
                .add(stock_movement::Column::WarehouseId.gt(w))
                .add(
                    Condition::all()
                        .add(stock_movement::Column::WarehouseId.eq(w))
                        .add(stock_movement::Column::ItemId.gt(i)),
                ),
        );
    }
    let mut rows: Vec<(Uuid, Uuid, i64)> = query
        .order_by_asc(stock_movement::Column::WarehouseId)
        .order_by_asc(stock_movement::Column::ItemId)
        .limit(page.first + 1)
        .into_tuple()
        .all(conn)
        .await?;
    let has_next = rows.len() as u64 > page.first;
    rows.truncate(usize::try_from(page.first).unwrap_or(usize::MAX));
    let dispatched = dispatched(conn, &rows, filter.as_of, page.window_days).await?;
    let items = rows
        .into_iter()
        .map(|(warehouse_id, item_id, quantity)| Balance {
            warehouse_id,
            item_id,
            quantity,
            dispatched: dispatched
                .iter()
                .find(|(w, i, _)| (*w, *i) == (warehouse_id, item_id))
                .map_or(0, |(_, _, d)| *d),
            window_days: page.window_days,
        })
        .collect();
    Ok(Page {
        items,
        has_next,
        total,
    })
}

/// Base units dispatched (`DISPATCH` and `TRANSFER_OUT`, net of their corrections) per
/// (warehouse, item) of `rows` in the `window_days` days ending with `as_of`.
async fn dispatched(
    conn: &impl ConnectionTrait,
    rows: &[(Uuid, Uuid, i64)],
    as_of: Option<NaiveDate>,
    window_days: u32,
) -> Result<Vec<(Uuid, Uuid, i64)>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let last = as_of.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let (Some(end), Some(start)) = (
        last.succ_opt(),
        last.checked_sub_days(chrono::Days::new(u64::from(window_days) - 1)),
    ) else {
        return Err(StorageError::Invalid(camptrack_domain::Invalid::one(
            "asOf",
            "is out of range",
        )));
    };
    let warehouses: Vec<Uuid> = rows.iter().map(|r| r.0).collect();
    let items: Vec<Uuid> = rows.iter().map(|r| r.1).collect();
    let sums: Vec<(Uuid, Uuid, i64)> = stock_movement::Entity::find()
        .select_only()
        .column(stock_movement::Column::WarehouseId)
        .column(stock_movement::Column::ItemId)
        .column_as(Expr::cust(SUM_QUANTITY), "out")
        .filter(stock_movement::Column::WarehouseId.is_in(warehouses))
        .filter(stock_movement::Column::ItemId.is_in(items))
        .filter(stock_movement::Column::Kind.is_in([
            MovementKind::Dispatch.to_string(),
            MovementKind::TransferOut.to_string(),
        ]))
        .filter(stock_movement::Column::OccurredAt.gte(start_of(start)))
        .filter(stock_movement::Column::OccurredAt.lt(start_of(end)))
        .group_by(stock_movement::Column::WarehouseId)
        .group_by(stock_movement::Column::ItemId)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(sums.into_iter().map(|(w, i, q)| (w, i, -q)).collect())
}
