//! The owning organisation of a change-log row's record, after and before the write: a
//! distribution's implementing organisation, a stock movement's warehouse's organisation.
//! Delta sync hands a partner only rows about its own organisation's records (and a record
//! that stopped being its own, as a tombstone), decided in SQL before any row is read.
//!
//! The catalogue joins delta sync here: one `CREATE` row per item and kit already stored
//! (the seeded ones), so that a device syncing from the start receives the whole catalogue.
//! On PostgreSQL the rows carry this migration's transaction id, like any write, so they
//! sort after every cursor already handed out.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum ChangeLog {
    Table,
    OrgId,
    PrevOrgId,
    Xid,
    At,
    Entity,
    EntityId,
    Operation,
}

#[derive(DeriveIden, Clone, Copy)]
enum Items {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Kits {
    Table,
    Id,
}

/// One `CREATE` row per stored row of `table`, in id order.
async fn log_existing(
    manager: &SchemaManager<'_>,
    table: impl IntoIden + Clone + 'static,
    id: impl IntoIden + Clone + 'static,
    entity: &str,
) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let backend = manager.get_database_backend();
    let rows = db
        .query_all(
            &Query::select()
                .column(id.clone())
                .from(table)
                .order_by(id, Order::Asc)
                .to_owned(),
        )
        .await?;
    let at = {
        use chrono::SubsecRound;
        chrono::Utc::now().trunc_subsecs(6)
    };
    for row in rows {
        let id: uuid::Uuid = row.try_get_by_index(0)?;
        let xid = match backend {
            sea_orm::DbBackend::Postgres => Expr::cust("pg_current_xact_id()::text::bigint"),
            _ => Expr::val(0_i64),
        };
        db.execute(
            &Query::insert()
                .into_table(ChangeLog::Table)
                .columns([
                    ChangeLog::Xid,
                    ChangeLog::At,
                    ChangeLog::Entity,
                    ChangeLog::EntityId,
                    ChangeLog::Operation,
                ])
                .values_panic([
                    xid,
                    Expr::val(at),
                    Expr::val(entity),
                    Expr::val(id.to_string()),
                    Expr::val("CREATE"),
                ])
                .to_owned(),
        )
        .await?;
    }
    Ok(())
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
        log_existing(manager, Items::Table, Items::Id, "item").await?;
        log_existing(manager, Kits::Table, Kits::Id, "kit").await
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
