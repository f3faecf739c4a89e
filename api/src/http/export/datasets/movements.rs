//! `stock-movements`: the ledger the caller may see (all for admins and coordinators, its
//! own organisation's warehouses' for partners; enumerators read no stock).

use camptrack_domain::codes::MovementKind;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::super::format::{Column, Val};
use super::super::params::Params;
use super::super::{Batch, Cx, Dataset};
use super::lookup::{self, ItemInfo};
use crate::storage::Result;
use crate::storage::scope::Scope;
use crate::storage::stock::{self, Movement, MovementFilter};

/// The stock movements dataset.
#[derive(Debug)]
pub struct Movements;

/// Its filters.
#[derive(Debug)]
pub struct Filter {
    movements: MovementFilter,
    since: Option<DateTime<Utc>>,
}

/// One movement with the codes it names.
#[derive(Debug)]
pub struct Row {
    m: Movement,
    warehouse: Option<String>,
    item: Option<ItemInfo>,
    donor: Option<String>,
}

impl Dataset for Movements {
    type Row = Row;
    type Filter = Filter;
    type Cursor = Uuid;
    const NAME: &'static str = "stock-movements";
    const GEOJSON: bool = false;

    fn allowed(scope: Scope<'_>) -> bool {
        scope.reads_stock()
    }

    async fn filter(params: &mut Params, cx: &Cx) -> Result<Filter> {
        let filter = MovementFilter {
            warehouse_id: params.uuid("warehouseId"),
            item_id: lookup::item_id(&cx.db, params, "itemCode").await?,
            kinds: params.codes::<MovementKind>("kinds"),
            from: params.date("from"),
            to: params.date("to"),
            organisation_id: lookup::organisation_id(&cx.db, params, "organisationCode").await?,
            distribution_id: params.uuid("distributionId"),
            corrects_id: None,
        };
        Ok(Filter {
            movements: filter,
            since: params.updated_since(),
        })
    }

    fn columns(_: &Filter) -> Vec<Column<Row>> {
        vec![
            Column::new("id", "Movement id", "#meta+id", |r: &Row| {
                Val::text(Some(r.m.id))
            }),
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
            Column::new("kind", "Kind", "#activity+type", |r: &Row| {
                Val::text(Some(r.m.kind))
            }),
            Column::new("quantity", "Quantity (signed)", "#value", |r: &Row| {
                Val::Int(r.m.quantity)
            }),
            Column::new("occurredAt", "Occurred at", "#date+occurred", |r: &Row| {
                Val::Text(r.m.occurred_at.to_rfc3339())
            }),
            Column::new("reason", "Reason", "#description+reason", |r: &Row| {
                Val::text(r.m.reason.as_ref())
            }),
            Column::new("documentRef", "Document", "#meta+document", |r: &Row| {
                Val::text(r.m.document_ref.as_ref())
            }),
            Column::new(
                "projectCode",
                "Project code",
                "#activity+code",
                |r: &Row| Val::text(r.m.project_code.as_ref()),
            ),
            Column::new("donor", "Donor", "#org+funder", |r: &Row| {
                Val::text(r.donor.as_ref())
            }),
            Column::new(
                "distributionId",
                "Distribution id",
                "#activity+id",
                |r: &Row| Val::text(r.m.distribution_id),
            ),
            Column::new(
                "correctsId",
                "Corrects movement",
                "#meta+corrects",
                |r: &Row| Val::text(r.m.corrects_id),
            ),
            Column::new("recordedAt", "Recorded at", "#date+recorded", |r: &Row| {
                Val::Text(r.m.recorded_at.to_rfc3339())
            }),
        ]
    }

    async fn page(cx: &Cx, filter: &Filter, after: Option<Uuid>) -> Result<Batch<Row, Uuid>> {
        let page = stock::list_since(
            &cx.db,
            cx.scope(),
            &filter.movements,
            filter.since,
            &cx.page(after),
        )
        .await?;
        let next = if page.has_next {
            page.items.last().map(|m| m.id)
        } else {
            None
        };
        let items = &page.items;
        let stores =
            lookup::warehouse_codes(&cx.db, cx.scope(), items.iter().map(|m| m.warehouse_id))
                .await?;
        let catalogue = lookup::items(&cx.db, items.iter().map(|m| m.item_id)).await?;
        let donors =
            lookup::organisation_codes(&cx.db, items.iter().map(|m| m.donor_org_id)).await?;
        let rows = page
            .items
            .into_iter()
            .map(|m| Row {
                warehouse: stores.get(&m.warehouse_id).cloned(),
                item: catalogue.get(&m.item_id).cloned(),
                donor: m.donor_org_id.and_then(|d| donors.get(&d).cloned()),
                m,
            })
            .collect();
        Ok((rows, next))
    }
}
