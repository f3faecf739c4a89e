//! Warehouses: an organisation's stores of items, located like sites.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::m20261123_000001_create_reference::Organisations;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
pub(crate) enum Warehouses {
    Table,
    Id,
    Code,
    Name,
    OrganisationId,
    Lat,
    Lon,
    Cell,
    Admin0Pcode,
    Admin1Pcode,
    Admin2Pcode,
    Admin3Pcode,
    IsHub,
    CapacityM3,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Warehouses::Table)
                    .col(pk_uuid(Warehouses::Id))
                    .col(string_uniq(Warehouses::Code))
                    .col(string(Warehouses::Name))
                    .col(uuid(Warehouses::OrganisationId))
                    .col(double(Warehouses::Lat))
                    .col(double(Warehouses::Lon))
                    .col(big_integer(Warehouses::Cell))
                    .col(string(Warehouses::Admin0Pcode))
                    .col(string_null(Warehouses::Admin1Pcode))
                    .col(string_null(Warehouses::Admin2Pcode))
                    .col(string_null(Warehouses::Admin3Pcode))
                    .col(boolean(Warehouses::IsHub))
                    .col(double_null(Warehouses::CapacityM3))
                    .col(integer(Warehouses::Version))
                    .col(timestamp_with_time_zone(Warehouses::CreatedAt))
                    .col(timestamp_with_time_zone(Warehouses::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Warehouses::Table, Warehouses::OrganisationId)
                            .to(Organisations::Table, Organisations::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("warehouses_organisation", Warehouses::OrganisationId),
            ("warehouses_cell", Warehouses::Cell),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Warehouses::Table)
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Warehouses::Table).to_owned())
            .await
    }
}
