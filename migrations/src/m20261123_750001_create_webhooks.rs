//! Webhooks: partners' registered URLs, the events queued for each (one row per change-log
//! row a webhook may see, keyed by the change's position so a change is queued once), and
//! every delivery attempt.
//!
//! Each webhook keeps its own cursor into the change log (`cursor_xid`, `cursor_seq`);
//! deliveries are claimed by workers through `next_attempt_at` and a lease
//! (`locked_until`), so several camptrack processes can share the work.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::m20261123_000001_create_reference::Organisations;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Webhooks {
    Table,
    Id,
    OwnerAccountId,
    OrganisationId,
    Url,
    Description,
    Secret,
    PreviousSecret,
    PreviousSecretUntil,
    Events,
    AreaCells,
    AreaPcodes,
    Status,
    DisabledReason,
    CursorXid,
    CursorSeq,
    FailingSince,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    WebhookId,
    ChangeXid,
    ChangeSeq,
    EventType,
    EntityId,
    Payload,
    Status,
    Attempts,
    AttemptsLeft,
    NextAttemptAt,
    LockedUntil,
    LastStatusCode,
    LastError,
    CreatedAt,
    DeliveredAt,
}

#[derive(DeriveIden)]
enum WebhookAttempts {
    Table,
    Id,
    DeliveryId,
    WebhookId,
    Number,
    StartedAt,
    DurationMs,
    StatusCode,
    Error,
    ResponseExcerpt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Webhooks::Table)
                    .col(pk_uuid(Webhooks::Id))
                    .col(uuid(Webhooks::OwnerAccountId))
                    .col(uuid_null(Webhooks::OrganisationId))
                    .col(text(Webhooks::Url))
                    .col(string_null(Webhooks::Description))
                    .col(string(Webhooks::Secret))
                    .col(string_null(Webhooks::PreviousSecret))
                    .col(timestamp_with_time_zone_null(Webhooks::PreviousSecretUntil))
                    .col(text(Webhooks::Events))
                    .col(text_null(Webhooks::AreaCells))
                    .col(text_null(Webhooks::AreaPcodes))
                    .col(string(Webhooks::Status))
                    .col(text_null(Webhooks::DisabledReason))
                    .col(big_integer(Webhooks::CursorXid))
                    .col(big_integer(Webhooks::CursorSeq))
                    .col(timestamp_with_time_zone_null(Webhooks::FailingSince))
                    .col(integer(Webhooks::Version))
                    .col(timestamp_with_time_zone(Webhooks::CreatedAt))
                    .col(timestamp_with_time_zone(Webhooks::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Webhooks::Table, Webhooks::OwnerAccountId)
                            .to(Accounts::Table, Accounts::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Webhooks::Table, Webhooks::OrganisationId)
                            .to(Organisations::Table, Organisations::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("webhooks_organisation")
                    .table(Webhooks::Table)
                    .col(Webhooks::OrganisationId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookDeliveries::Table)
                    .col(pk_uuid(WebhookDeliveries::Id))
                    .col(uuid(WebhookDeliveries::WebhookId))
                    .col(big_integer(WebhookDeliveries::ChangeXid))
                    .col(big_integer(WebhookDeliveries::ChangeSeq))
                    .col(string(WebhookDeliveries::EventType))
                    .col(string(WebhookDeliveries::EntityId))
                    .col(text(WebhookDeliveries::Payload))
                    .col(string(WebhookDeliveries::Status))
                    .col(integer(WebhookDeliveries::Attempts))
                    .col(integer(WebhookDeliveries::AttemptsLeft))
                    .col(timestamp_with_time_zone(WebhookDeliveries::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(
                        WebhookDeliveries::LockedUntil,
                    ))
                    .col(integer_null(WebhookDeliveries::LastStatusCode))
                    .col(text_null(WebhookDeliveries::LastError))
                    .col(timestamp_with_time_zone(WebhookDeliveries::CreatedAt))
                    .col(timestamp_with_time_zone_null(
                        WebhookDeliveries::DeliveredAt,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from(WebhookDeliveries::Table, WebhookDeliveries::WebhookId)
                            .to(Webhooks::Table, Webhooks::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // A change is queued once per webhook, whichever process fed it.
        manager
            .create_index(
                Index::create()
                    .name("webhook_deliveries_change")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::WebhookId)
                    .col(WebhookDeliveries::ChangeXid)
                    .col(WebhookDeliveries::ChangeSeq)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // The workers' scan: pending deliveries by due time.
        manager
            .create_index(
                Index::create()
                    .name("webhook_deliveries_due")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::Status)
                    .col(WebhookDeliveries::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookAttempts::Table)
                    .col(pk_uuid(WebhookAttempts::Id))
                    .col(uuid(WebhookAttempts::DeliveryId))
                    .col(uuid(WebhookAttempts::WebhookId))
                    .col(integer(WebhookAttempts::Number))
                    .col(timestamp_with_time_zone(WebhookAttempts::StartedAt))
                    .col(integer(WebhookAttempts::DurationMs))
                    .col(integer_null(WebhookAttempts::StatusCode))
                    .col(text_null(WebhookAttempts::Error))
                    .col(text_null(WebhookAttempts::ResponseExcerpt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(WebhookAttempts::Table, WebhookAttempts::DeliveryId)
                            .to(WebhookDeliveries::Table, WebhookDeliveries::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("webhook_attempts_delivery")
                    .table(WebhookAttempts::Table)
                    .col(WebhookAttempts::DeliveryId)
                    .col(WebhookAttempts::Number)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            WebhookAttempts::Table.into_iden(),
            WebhookDeliveries::Table.into_iden(),
            Webhooks::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
