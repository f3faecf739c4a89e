//! Covering indexes on the rollup cells (resolutions 5, 7 and 9): the edge of an area query
//! reads the id, point and open days of every site in its edge hexagons, and through the
//! plain cell indexes each of those was a lookup of the whole (wide) site row. Measured at
//! 100k sites: the edge of a polygon holding 10% of the sites was most of the query's time
//! (BENCHMARKS.md). PostgreSQL carries the extra columns with `INCLUDE`; SQLite has no
//! `INCLUDE`, so they go into the key there. They replace the plain cell indexes.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

/// What the edge read selects besides the cell.
const COVERED: &str = "id, lat, lon, opened_on, closed_on";

const RESOLUTIONS: [u8; 3] = [5, 7, 9];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for res in RESOLUTIONS {
            let create = match manager.get_database_backend() {
                DbBackend::Postgres => format!(
                    "CREATE INDEX sites_cell_r{res}_covering ON sites (cell_r{res}) INCLUDE ({COVERED})"
                ),
                _ => format!(
                    "CREATE INDEX sites_cell_r{res}_covering ON sites (cell_r{res}, {COVERED})"
                ),
            };
            db.execute_unprepared(&create).await?;
            db.execute_unprepared(&format!("DROP INDEX sites_cell_r{res}"))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for res in RESOLUTIONS {
            db.execute_unprepared(&format!(
                "CREATE INDEX sites_cell_r{res} ON sites (cell_r{res})"
            ))
            .await?;
            db.execute_unprepared(&format!("DROP INDEX sites_cell_r{res}_covering"))
                .await?;
        }
        Ok(())
    }
}
