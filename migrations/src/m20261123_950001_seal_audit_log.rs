//! Makes the audit log tamper-evident: every entry records the order it committed in
//! (`xid`), and a background sealer chains entries by hash in that order in `audit_seal`
//! (see `api/src/storage/seal.rs`). On PostgreSQL triggers refuse `UPDATE` and `DELETE`
//! on both tables; nothing in camptrack updates or deletes them.
//!
//! `audit_log.xid` is the writing transaction's id on PostgreSQL (`pg_current_xact_id()`)
//! and a number one past the largest so far on SQLite (taken under the write lock, so it is
//! commit order there). Entries written before this migration get 0 and seal first, by id.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    Xid,
}

#[derive(DeriveIden)]
enum AuditSeal {
    Table,
    Position,
    EntryId,
    EntryXid,
    Hash,
    SealedAt,
}

const PG_TRIGGERS: &str = r"
CREATE FUNCTION camptrack_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION camptrack_append_only();
CREATE TRIGGER audit_seal_append_only BEFORE UPDATE OR DELETE ON audit_seal
    FOR EACH ROW EXECUTE FUNCTION camptrack_append_only();
";

const PG_DROP_TRIGGERS: &str = r"
DROP TRIGGER IF EXISTS audit_seal_append_only ON audit_seal;
DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log;
DROP FUNCTION IF EXISTS camptrack_append_only();
";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The default only fills rows written before this migration; writers bind it.
        manager
            .alter_table(
                Table::alter()
                    .table(AuditLog::Table)
                    .add_column(big_integer(AuditLog::Xid).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("audit_log_order")
                    .table(AuditLog::Table)
                    .col(AuditLog::Xid)
                    .col(AuditLog::Id)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuditSeal::Table)
                    .col(big_integer(AuditSeal::Position).primary_key())
                    .col(uuid(AuditSeal::EntryId).unique_key())
                    .col(big_integer(AuditSeal::EntryXid))
                    .col(string_len(AuditSeal::Hash, 64))
                    .col(timestamp_with_time_zone(AuditSeal::SealedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("audit_seal_entry")
                            .from(AuditSeal::Table, AuditSeal::EntryId)
                            .to(AuditLog::Table, AuditLog::Id),
                    )
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(PG_TRIGGERS)
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(PG_DROP_TRIGGERS)
                .await?;
        }
        manager
            .drop_table(Table::drop().table(AuditSeal::Table).to_owned())
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("audit_log_order")
                    .table(AuditLog::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(AuditLog::Table)
                    .drop_column(AuditLog::Xid)
                    .to_owned(),
            )
            .await
    }
}
