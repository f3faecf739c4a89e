//! The app that submitted an assessment (from the `X-Client-App` or `User-Agent` header),
//! beside the device id, capture time and receipt time the table already keeps.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum SiteAssessments {
    Table,
    ClientApp,
    ClientAppVersion,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite takes one added column per ALTER TABLE.
        for column in [
            SiteAssessments::ClientApp,
            SiteAssessments::ClientAppVersion,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(SiteAssessments::Table)
                        .add_column(string_null(column))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            SiteAssessments::ClientApp,
            SiteAssessments::ClientAppVersion,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(SiteAssessments::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
