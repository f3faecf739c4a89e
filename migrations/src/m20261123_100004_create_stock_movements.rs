//! The stock ledger: signed movements, append-only. Balances are sums over it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::m20261123_000001_create_reference::Organisations;
use crate::m20261123_100001_create_catalogue::Items;
use crate::m20261123_100002_create_warehouses::Warehouses;
use crate::m20261123_100003_create_distributions::Distributions;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum StockMovements {
    Table,
    Id,
    ClientUuid,
    ContentHash,
    WarehouseId,
    ItemId,
    Kind,
    Quantity,
    OccurredAt,
    Reason,
    DocumentRef,
    ProjectCode,
    DonorOrgId,
    CounterpartyOrgId,
    CounterpartyWarehouseId,
    TransferId,
    CorrectsId,
    DistributionId,
    RecordedBy,
    RecordedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let org_fk = |col: StockMovements| {
            ForeignKey::create()
                .from(StockMovements::Table, col)
                .to(Organisations::Table, Organisations::Id)
                .to_owned()
        };
        manager
            .create_table(
                Table::create()
                    .table(StockMovements::Table)
                    .col(pk_uuid(StockMovements::Id))
                    // Unique but optional: the second leg of a transfer and the dispatches of
                    // a distribution are written under their operation's client UUID.
                    .col(uuid_null(StockMovements::ClientUuid).unique_key())
                    .col(string_null(StockMovements::ContentHash))
                    .col(uuid(StockMovements::WarehouseId))
                    .col(uuid(StockMovements::ItemId))
                    .col(string(StockMovements::Kind))
                    .col(big_integer(StockMovements::Quantity))
                    .col(timestamp_with_time_zone(StockMovements::OccurredAt))
                    .col(string_null(StockMovements::Reason))
                    .col(string_null(StockMovements::DocumentRef))
                    .col(string_null(StockMovements::ProjectCode))
                    .col(uuid_null(StockMovements::DonorOrgId))
                    .col(uuid_null(StockMovements::CounterpartyOrgId))
                    .col(uuid_null(StockMovements::CounterpartyWarehouseId))
                    .col(uuid_null(StockMovements::TransferId))
                    .col(uuid_null(StockMovements::CorrectsId).unique_key())
                    .col(uuid_null(StockMovements::DistributionId))
                    .col(uuid(StockMovements::RecordedBy))
                    .col(timestamp_with_time_zone(StockMovements::RecordedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(StockMovements::Table, StockMovements::WarehouseId)
                            .to(Warehouses::Table, Warehouses::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(StockMovements::Table, StockMovements::ItemId)
                            .to(Items::Table, Items::Id),
                    )
                    .foreign_key(&mut org_fk(StockMovements::DonorOrgId))
                    .foreign_key(&mut org_fk(StockMovements::CounterpartyOrgId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                StockMovements::Table,
                                StockMovements::CounterpartyWarehouseId,
                            )
                            .to(Warehouses::Table, Warehouses::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(StockMovements::Table, StockMovements::CorrectsId)
                            .to(StockMovements::Table, StockMovements::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(StockMovements::Table, StockMovements::DistributionId)
                            .to(Distributions::Table, Distributions::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // Balances and the never-below-zero check walk one (warehouse, item) in time order.
        manager
            .create_index(
                Index::create()
                    .name("stock_movements_ledger")
                    .table(StockMovements::Table)
                    .col(StockMovements::WarehouseId)
                    .col(StockMovements::ItemId)
                    .col(StockMovements::OccurredAt)
                    .col(StockMovements::Quantity)
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            (
                "stock_movements_distribution",
                StockMovements::DistributionId,
            ),
            ("stock_movements_transfer", StockMovements::TransferId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(StockMovements::Table)
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(StockMovements::Table).to_owned())
            .await
    }
}
