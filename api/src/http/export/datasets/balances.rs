//! `stock-balances`: per warehouse and item, summed from the ledger at `asOf` (today when
//! omitted), with days of cover, as the `stockBalances` list shows them.

use camptrack_domain::codes::ItemCategory;
use chrono::NaiveDate;
use uuid::Uuid;

use super::super::format::{Column, Val};
use super::super::params::Params;
use super::super::{Batch, Cx, Dataset};
use super::lookup::{self, ItemInfo};
use crate::storage::Result;
use crate::storage::balances::{self, Balance, BalanceFilter, BalancePage};
use crate::storage::scope::Scope;

/// The balances dataset.
#[derive(Debug)]
pub struct Balances;

/// Its filters.
#[derive(Debug)]
pub struct Filter {
    balances: BalanceFilter,
    window_days: u32,
}

/// One balance with the codes it names.
#[derive(Debug)]
pub struct Row {
    b: Balance,
    as_of: Option<NaiveDate>,
    warehouse: Option<String>,
    item: Option<ItemInfo>,
}

impl Dataset for Balances {
    type Row = Row;
    type Filter = Filter;
    type Cursor = (Uuid, Uuid);
    const NAME: &'static str = "stock-balances";
    const GEOJSON: bool = false;

    fn allowed(scope: Scope<'_>) -> bool {
        scope.reads_stock()
    }

    async fn filter(params: &mut Params, cx: &Cx) -> Result<Filter> {
        let non_zero = match params.one("nonZero").as_deref() {
            None | Some("false") => false,
            Some("true") => true,
            Some(other) => {
                params.refuse("nonZero", format!("`{other}` is not true or false"));
                false
            }
        };
        let filter = BalanceFilter {
            warehouse_id: params.uuid("warehouseId"),
            warehouses: Default::default(),
            item_id: lookup::item_id(&cx.db, params, "itemCode").await?,
            categories: params.codes::<ItemCategory>("categories"),
            as_of: params.date("asOf"),
            non_zero,
        };
        Ok(Filter {
            balances: filter,
            window_days: params
                .parsed("coverWindowDays", "a number of days")
                .unwrap_or(30),
        })
    }

    fn columns(_: &Filter) -> Vec<Column<Row>> {
        vec![
            Column::new(
                "warehouse",
                "Warehouse",
                "#loc+code+warehouse",
                |r: &Row| Val::text(r.warehouse.as_ref()),
            ),
            Column::new("itemCode", "Item code", "#item+code", |r: &Row| {
                Val::text(r.item.as_ref().map(|i| &i.code))
            }),
            Column::new("itemName", "Item name", "#item+name", |r: &Row| {
                Val::text(r.item.as_ref().map(|i| &i.name))
            }),
            Column::new("unit", "Unit", "#item+unit", |r: &Row| {
                Val::text(r.item.as_ref().map(|i| &i.unit))
            }),
            Column::new("quantity", "Balance", "#value+balance", |r: &Row| {
                Val::Int(r.b.quantity)
            }),
            Column::new(
                "dispatched",
                "Dispatched in window",
                "#value+dispatched",
                |r: &Row| Val::Int(r.b.dispatched),
            ),
            Column::new(
                "daysOfCover",
                "Days of cover",
                "#indicator+days_of_cover",
                |r: &Row| r.b.days_of_cover().map_or(Val::Null, Val::Float),
            ),
            Column::new("asOf", "As of", "#date+reported", |r: &Row| {
                Val::text(Some(
                    r.as_of.unwrap_or_else(crate::storage::displacement::today),
                ))
            }),
        ]
    }

    async fn page(
        cx: &Cx,
        filter: &Filter,
        after: Option<(Uuid, Uuid)>,
    ) -> Result<Batch<Row, (Uuid, Uuid)>> {
        let page = balances::list(
            &cx.db,
            cx.scope(),
            &filter.balances,
            &BalancePage {
                first: cx.page_rows,
                after,
                with_total: false,
                window_days: filter.window_days,
            },
        )
        .await?;
        let next = if page.has_next {
            page.items.last().map(|b| (b.warehouse_id, b.item_id))
        } else {
            None
        };
        let items = &page.items;
        let stores =
            lookup::warehouse_codes(&cx.db, cx.scope(), items.iter().map(|b| b.warehouse_id))
                .await?;
        let catalogue = lookup::items(&cx.db, items.iter().map(|b| b.item_id)).await?;
        let rows = page
            .items
            .into_iter()
            .map(|b| Row {
                warehouse: stores.get(&b.warehouse_id).cloned(),
                item: catalogue.get(&b.item_id).cloned(),
                as_of: filter.balances.as_of,
                b,
            })
            .collect();
        Ok((rows, next))
    }
}
