//! The owning organisation of a change-log row's record, after and before the write: a
//! distribution's implementing organisation, a stock movement's warehouse's organisation.
//! Delta sync hands a partner only rows about its own organisation's records (and a record
//! that stopped being its own, as a tombstone), decided in SQL before any row is read.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum ChangeLog {
    Table,
    OrgId,
    PrevOrgId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [ChangeLog::OrgId, ChangeLog::PrevOrgId] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ChangeLog::Table)
                        .add_column(uuid_null(column))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [ChangeLog::OrgId, ChangeLog::PrevOrgId] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ChangeLog::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
