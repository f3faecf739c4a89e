//! Per-cell rollups of the sites' current figures (design.md, "Large areas: per-cell
//! rollups"): each site's geometric H3 cell at resolutions 5, 7 and 9 (the hexagon holding
//! its point, `latlng_to_cell`, not an ancestor of its resolution-15 cell), the arrivals and
//! departures of its current assessment, and the sums per (resolution, cell) of every site
//! not closed. SADD sums are kept per exact band in their own table; an open band's
//! `age_max` is stored as -1 there so the band can be part of the key, and `entries` counts
//! the site rows adding to a band (a band is shown while it is above zero).
//!
//! Rows written before this migration have NULL cells: the server fills them and rebuilds
//! the rollups when it starts (`storage::rollups::backfill`), since H3 is not in SQL.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

const COLUMNS: [&str; 5] = [
    "cell_r5",
    "cell_r7",
    "cell_r9",
    "current_arrivals",
    "current_departures",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for column in COLUMNS {
            db.execute_unprepared(&format!("ALTER TABLE sites ADD COLUMN {column} BIGINT"))
                .await?;
        }
        for res in [5, 7, 9] {
            db.execute_unprepared(&format!(
                "CREATE INDEX sites_cell_r{res} ON sites (cell_r{res})"
            ))
            .await?;
        }
        db.execute_unprepared("CREATE INDEX sites_opened_on ON sites (opened_on)")
            .await?;
        db.execute_unprepared("CREATE INDEX sites_closed_on ON sites (closed_on)")
            .await?;
        db.execute_unprepared(
            "CREATE TABLE site_rollups (
                resolution SMALLINT NOT NULL,
                cell BIGINT NOT NULL,
                sites BIGINT NOT NULL,
                assessed_sites BIGINT NOT NULL,
                households BIGINT NOT NULL,
                individuals BIGINT NOT NULL,
                arrivals BIGINT NOT NULL,
                departures BIGINT NOT NULL,
                PRIMARY KEY (resolution, cell)
            )",
        )
        .await?;
        db.execute_unprepared(
            "CREATE TABLE site_rollup_sadd (
                resolution SMALLINT NOT NULL,
                cell BIGINT NOT NULL,
                sex TEXT NOT NULL,
                age_min SMALLINT NOT NULL,
                age_max SMALLINT NOT NULL,
                count BIGINT NOT NULL,
                entries BIGINT NOT NULL,
                PRIMARY KEY (resolution, cell, sex, age_min, age_max)
            )",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP TABLE site_rollup_sadd").await?;
        db.execute_unprepared("DROP TABLE site_rollups").await?;
        db.execute_unprepared("DROP INDEX sites_closed_on").await?;
        db.execute_unprepared("DROP INDEX sites_opened_on").await?;
        for res in [5, 7, 9] {
            db.execute_unprepared(&format!("DROP INDEX sites_cell_r{res}"))
                .await?;
        }
        for column in COLUMNS {
            db.execute_unprepared(&format!("ALTER TABLE sites DROP COLUMN {column}"))
                .await?;
        }
        Ok(())
    }
}
