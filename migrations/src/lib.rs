//! camptrack's schema as reversible migrations, one file per change, named by time. The
//! same migrations build SQLite and PostgreSQL databases.
//!
//! Conventions (design.md, "PostgreSQL is not SQLite"): ids are UUIDs and timestamps are
//! bound from Rust, never database defaults; H3 cells are `BIGINT` resolution-15 indexes;
//! code-list values are stored as their text codes.

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_create_reference;
mod m20261123_000002_create_sites_and_assessments;
mod m20261123_000003_create_audit_log;
mod m20261123_050001_create_sites_cell_covering_index;
mod m20261123_100001_create_catalogue;
mod m20261123_100002_create_warehouses;
mod m20261123_100003_create_distributions;
mod m20261123_100004_create_stock_movements;
mod m20261123_200001_create_change_log;
mod m20261123_200002_add_assessment_client_app;
mod m20261123_300001_create_openrosa;
mod m20261123_400001_add_ledger_device_facts;
mod m20261123_400002_change_log_owners_and_catalogue;
mod m20261123_750001_create_webhooks;
mod m20261123_800001_create_site_rollups;
mod m20261123_950001_seal_audit_log;
mod m20261123_960001_cover_rollup_cell_indexes;

/// Applies camptrack's migrations in order.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_create_reference::Migration),
            Box::new(m20261123_000002_create_sites_and_assessments::Migration),
            Box::new(m20261123_000003_create_audit_log::Migration),
            Box::new(m20261123_050001_create_sites_cell_covering_index::Migration),
            Box::new(m20261123_100001_create_catalogue::Migration),
            Box::new(m20261123_100002_create_warehouses::Migration),
            Box::new(m20261123_100003_create_distributions::Migration),
            Box::new(m20261123_100004_create_stock_movements::Migration),
            Box::new(m20261123_200001_create_change_log::Migration),
            Box::new(m20261123_200002_add_assessment_client_app::Migration),
            Box::new(m20261123_300001_create_openrosa::Migration),
            Box::new(m20261123_400001_add_ledger_device_facts::Migration),
            Box::new(m20261123_400002_change_log_owners_and_catalogue::Migration),
            Box::new(m20261123_750001_create_webhooks::Migration),
            Box::new(m20261123_800001_create_site_rollups::Migration),
            Box::new(m20261123_950001_seal_audit_log::Migration),
            Box::new(m20261123_960001_cover_rollup_cell_indexes::Migration),
        ]
    }
}
