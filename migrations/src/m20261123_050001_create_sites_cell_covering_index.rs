//! A covering index for area scans: the resolution-15 cell first, then every column an area
//! query reads, so interior ranges and boundary fetches never touch the table. PostgreSQL
//! carries the extra columns with `INCLUDE`; SQLite has no `INCLUDE` (and sea-query drops it),
//! so they go into the key there. It replaces the plain cell index.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

const COVERED: &str = "id, lat, lon, admin0_pcode, admin1_pcode, admin2_pcode, admin3_pcode, opened_on, closed_on, current_assessment_id";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let create = match manager.get_database_backend() {
            DbBackend::Postgres => {
                format!("CREATE INDEX sites_cell_covering ON sites (cell) INCLUDE ({COVERED})")
            }
            _ => format!("CREATE INDEX sites_cell_covering ON sites (cell, {COVERED})"),
        };
        db.execute_unprepared(&create).await?;
        db.execute_unprepared("DROP INDEX sites_cell").await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("CREATE INDEX sites_cell ON sites (cell)")
            .await?;
        db.execute_unprepared("DROP INDEX sites_cell_covering")
            .await?;
        Ok(())
    }
}
