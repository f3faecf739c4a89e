//! Device facts on distributions and stock movements, as assessments keep them: when the
//! device captured the record (its clock), its device id, the app and version that sent
//! it, and a review note when the device clock was far ahead of the server's (the record is
//! kept, flagged). The server clock's receipt time is the existing `created_at`
//! (distributions) and `recorded_at` (movements).
//!
//! `captured_at` is nullable in the table (SQLite cannot add a NOT NULL column without a
//! default, and design.md binds timestamps from Rust, never from database defaults); rows
//! written before this migration get their receipt time copied in, and every write since
//! binds it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Distributions {
    Table,
    CreatedAt,
}

#[derive(DeriveIden)]
enum StockMovements {
    Table,
    RecordedAt,
}

#[derive(DeriveIden)]
enum DeviceFacts {
    CapturedAt,
    DeviceId,
    ClientApp,
    ClientAppVersion,
    ReviewNote,
}

fn columns() -> [ColumnDef; 5] {
    [
        timestamp_with_time_zone_null(DeviceFacts::CapturedAt),
        string_null(DeviceFacts::DeviceId),
        string_null(DeviceFacts::ClientApp),
        string_null(DeviceFacts::ClientAppVersion),
        text_null(DeviceFacts::ReviewNote),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite takes one added column per ALTER TABLE.
        for table in [
            Distributions::Table.into_iden(),
            StockMovements::Table.into_iden(),
        ] {
            for mut column in columns() {
                manager
                    .alter_table(
                        Table::alter()
                            .table(table.clone())
                            .add_column(&mut column)
                            .to_owned(),
                    )
                    .await?;
            }
        }
        let db = manager.get_connection();
        db.execute(
            &Query::update()
                .table(Distributions::Table)
                .value(DeviceFacts::CapturedAt, Expr::col(Distributions::CreatedAt))
                .to_owned(),
        )
        .await?;
        db.execute(
            &Query::update()
                .table(StockMovements::Table)
                .value(
                    DeviceFacts::CapturedAt,
                    Expr::col(StockMovements::RecordedAt),
                )
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Distributions::Table.into_iden(),
            StockMovements::Table.into_iden(),
        ] {
            for column in [
                DeviceFacts::CapturedAt,
                DeviceFacts::DeviceId,
                DeviceFacts::ClientApp,
                DeviceFacts::ClientAppVersion,
                DeviceFacts::ReviewNote,
            ] {
                manager
                    .alter_table(
                        Table::alter()
                            .table(table.clone())
                            .drop_column(column)
                            .to_owned(),
                    )
                    .await?;
            }
        }
        Ok(())
    }
}
