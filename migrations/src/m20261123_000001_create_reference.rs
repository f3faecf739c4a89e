//! Organisations, accounts, API tokens, admin areas and assessment rounds.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
pub(crate) enum Organisations {
    Table,
    Id,
    Code,
    Name,
    Acronym,
    OrgType,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
    Name,
    Role,
    OrganisationId,
    AreaCells,
    AreaPcodes,
    DisabledAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    AccountId,
    Name,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    LastUsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum AdminAreas {
    Table,
    Pcode,
    Level,
    ParentPcode,
    NameEn,
    NameFr,
    Polygon,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub(crate) enum Rounds {
    Table,
    Id,
    Number,
    Name,
    StartsOn,
    EndsOn,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Organisations::Table)
                    .col(pk_uuid(Organisations::Id))
                    .col(string_uniq(Organisations::Code))
                    .col(string(Organisations::Name))
                    .col(string_null(Organisations::Acronym))
                    .col(string(Organisations::OrgType))
                    .col(integer(Organisations::Version))
                    .col(timestamp_with_time_zone(Organisations::CreatedAt))
                    .col(timestamp_with_time_zone(Organisations::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Accounts::Table)
                    .col(pk_uuid(Accounts::Id))
                    .col(string(Accounts::Name))
                    .col(string(Accounts::Role))
                    .col(uuid_null(Accounts::OrganisationId))
                    .col(json_binary(Accounts::AreaCells))
                    .col(json_binary(Accounts::AreaPcodes))
                    .col(timestamp_with_time_zone_null(Accounts::DisabledAt))
                    .col(timestamp_with_time_zone(Accounts::CreatedAt))
                    .col(timestamp_with_time_zone(Accounts::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Accounts::Table, Accounts::OrganisationId)
                            .to(Organisations::Table, Organisations::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ApiTokens::Table)
                    .col(pk_uuid(ApiTokens::Id))
                    .col(uuid(ApiTokens::AccountId))
                    .col(string(ApiTokens::Name))
                    .col(string_uniq(ApiTokens::TokenHash))
                    .col(timestamp_with_time_zone(ApiTokens::CreatedAt))
                    .col(timestamp_with_time_zone_null(ApiTokens::ExpiresAt))
                    .col(timestamp_with_time_zone_null(ApiTokens::LastUsedAt))
                    .col(timestamp_with_time_zone_null(ApiTokens::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ApiTokens::Table, ApiTokens::AccountId)
                            .to(Accounts::Table, Accounts::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("api_tokens_account")
                    .table(ApiTokens::Table)
                    .col(ApiTokens::AccountId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AdminAreas::Table)
                    .col(string(AdminAreas::Pcode).primary_key())
                    .col(small_integer(AdminAreas::Level))
                    .col(string_null(AdminAreas::ParentPcode))
                    .col(string(AdminAreas::NameEn))
                    .col(string_null(AdminAreas::NameFr))
                    .col(json_binary_null(AdminAreas::Polygon))
                    .col(integer(AdminAreas::Version))
                    .col(timestamp_with_time_zone(AdminAreas::CreatedAt))
                    .col(timestamp_with_time_zone(AdminAreas::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(AdminAreas::Table, AdminAreas::ParentPcode)
                            .to(AdminAreas::Table, AdminAreas::Pcode),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("admin_areas_parent")
                    .table(AdminAreas::Table)
                    .col(AdminAreas::ParentPcode)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Rounds::Table)
                    .col(pk_uuid(Rounds::Id))
                    .col(integer_uniq(Rounds::Number))
                    .col(string(Rounds::Name))
                    .col(date(Rounds::StartsOn))
                    .col(date(Rounds::EndsOn))
                    .col(timestamp_with_time_zone(Rounds::CreatedAt))
                    .col(timestamp_with_time_zone(Rounds::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Rounds::Table.into_iden(),
            AdminAreas::Table.into_iden(),
            ApiTokens::Table.into_iden(),
            Accounts::Table.into_iden(),
            Organisations::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
