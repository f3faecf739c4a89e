//! The commit-ordered change log that delta sync (and later subscriptions and webhooks)
//! reads: one row per write of a site, round, admin area or assessment, with the site's
//! location before and after so that area filters see records arrive and leave.
//!
//! Rows are read in `(xid, seq)` order. `seq` is a plain auto-increment number; `xid` is
//! the writing transaction's id on PostgreSQL (`pg_current_xact_id()`) and 0 on SQLite,
//! whose writers are serialised. See `api/src/storage/changes.rs` for why a reader stays
//! below `pg_snapshot_xmin(pg_current_snapshot())` and never reads by `seq` alone.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum ChangeLog {
    Table,
    Seq,
    Xid,
    At,
    Entity,
    EntityId,
    Operation,
    Cell,
    Admin0Pcode,
    Admin1Pcode,
    Admin2Pcode,
    Admin3Pcode,
    PrevCell,
    PrevAdmin0Pcode,
    PrevAdmin1Pcode,
    PrevAdmin2Pcode,
    PrevAdmin3Pcode,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ChangeLog::Table)
                    .col(big_pk_auto(ChangeLog::Seq))
                    .col(big_integer(ChangeLog::Xid))
                    .col(timestamp_with_time_zone(ChangeLog::At))
                    .col(string(ChangeLog::Entity))
                    .col(string(ChangeLog::EntityId))
                    .col(string(ChangeLog::Operation))
                    .col(big_integer_null(ChangeLog::Cell))
                    .col(string_null(ChangeLog::Admin0Pcode))
                    .col(string_null(ChangeLog::Admin1Pcode))
                    .col(string_null(ChangeLog::Admin2Pcode))
                    .col(string_null(ChangeLog::Admin3Pcode))
                    .col(big_integer_null(ChangeLog::PrevCell))
                    .col(string_null(ChangeLog::PrevAdmin0Pcode))
                    .col(string_null(ChangeLog::PrevAdmin1Pcode))
                    .col(string_null(ChangeLog::PrevAdmin2Pcode))
                    .col(string_null(ChangeLog::PrevAdmin3Pcode))
                    .to_owned(),
            )
            .await?;
        // The read order: (xid, seq). Readers walk it from a cursor.
        manager
            .create_index(
                Index::create()
                    .name("change_log_order")
                    .table(ChangeLog::Table)
                    .col(ChangeLog::Xid)
                    .col(ChangeLog::Seq)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ChangeLog::Table).to_owned())
            .await
    }
}
