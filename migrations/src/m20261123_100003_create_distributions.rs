//! Distributions and their lines (an item or a kit, quantities distributed and lost).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::m20261123_000001_create_reference::Organisations;
use crate::m20261123_000002_create_sites_and_assessments::Sites;
use crate::m20261123_100001_create_catalogue::{Items, Kits};
use crate::m20261123_100002_create_warehouses::Warehouses;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
pub(crate) enum Distributions {
    Table,
    Id,
    ClientUuid,
    ContentHash,
    SiteId,
    ImplementingOrgId,
    FundingOrgId,
    ProjectCode,
    StartsOn,
    EndsOn,
    Modality,
    Status,
    Households,
    Individuals,
    NoShows,
    Sadd,
    SourceWarehouseId,
    RecordedBy,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum DistributionLines {
    Table,
    DistributionId,
    LineNo,
    ItemId,
    KitId,
    QuantityDistributed,
    QuantityLost,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Distributions::Table)
                    .col(pk_uuid(Distributions::Id))
                    .col(uuid_uniq(Distributions::ClientUuid))
                    .col(string(Distributions::ContentHash))
                    .col(uuid(Distributions::SiteId))
                    .col(uuid(Distributions::ImplementingOrgId))
                    .col(uuid_null(Distributions::FundingOrgId))
                    .col(string_null(Distributions::ProjectCode))
                    .col(date(Distributions::StartsOn))
                    .col(date_null(Distributions::EndsOn))
                    .col(string(Distributions::Modality))
                    .col(string(Distributions::Status))
                    .col(big_integer(Distributions::Households))
                    .col(big_integer(Distributions::Individuals))
                    .col(big_integer(Distributions::NoShows))
                    .col(json_binary(Distributions::Sadd))
                    .col(uuid_null(Distributions::SourceWarehouseId))
                    .col(uuid(Distributions::RecordedBy))
                    .col(integer(Distributions::Version))
                    .col(timestamp_with_time_zone(Distributions::CreatedAt))
                    .col(timestamp_with_time_zone(Distributions::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Distributions::Table, Distributions::SiteId)
                            .to(Sites::Table, Sites::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Distributions::Table, Distributions::ImplementingOrgId)
                            .to(Organisations::Table, Organisations::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Distributions::Table, Distributions::FundingOrgId)
                            .to(Organisations::Table, Organisations::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Distributions::Table, Distributions::SourceWarehouseId)
                            .to(Warehouses::Table, Warehouses::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "distributions_site",
                vec![Distributions::SiteId, Distributions::StartsOn],
            ),
            (
                "distributions_implementing",
                vec![Distributions::ImplementingOrgId],
            ),
            ("distributions_starts_on", vec![Distributions::StartsOn]),
        ] {
            let mut index = Index::create();
            index.name(name).table(Distributions::Table);
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(DistributionLines::Table)
                    .col(uuid(DistributionLines::DistributionId))
                    .col(small_integer(DistributionLines::LineNo))
                    .col(uuid_null(DistributionLines::ItemId))
                    .col(uuid_null(DistributionLines::KitId))
                    .col(big_integer(DistributionLines::QuantityDistributed))
                    .col(big_integer(DistributionLines::QuantityLost))
                    .primary_key(
                        Index::create()
                            .col(DistributionLines::DistributionId)
                            .col(DistributionLines::LineNo),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(DistributionLines::Table, DistributionLines::DistributionId)
                            .to(Distributions::Table, Distributions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(DistributionLines::Table, DistributionLines::ItemId)
                            .to(Items::Table, Items::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(DistributionLines::Table, DistributionLines::KitId)
                            .to(Kits::Table, Kits::Id),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            DistributionLines::Table.into_iden(),
            Distributions::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
