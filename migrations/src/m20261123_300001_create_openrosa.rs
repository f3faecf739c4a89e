//! OpenRosa: the raw XML of every submission a device sent (accepted or not), and the
//! media attached to accepted ones, both in the database so every camptrack process agrees.
//!
//! An accepted submission holds its `(form_id, accepted_instance_id)` pair, unique: one
//! instance per form, ever. Rejected submissions leave `accepted_instance_id` null (NULLs
//! are distinct in both SQLite and PostgreSQL), so any number of them are kept.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::m20261123_000001_create_reference::Organisations;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum OpenrosaSubmissions {
    Table,
    Id,
    FormId,
    FormVersion,
    InstanceId,
    AcceptedInstanceId,
    DeprecatedId,
    Xml,
    XmlSha256,
    XmlSize,
    Status,
    HttpStatus,
    Error,
    AccountId,
    OrganisationId,
    RecordKind,
    RecordId,
    RecordVersion,
    ReceivedAt,
}

#[derive(DeriveIden)]
enum OpenrosaAttachments {
    Table,
    Id,
    SubmissionId,
    Filename,
    ContentType,
    Bytes,
    Sha256,
    Size,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OpenrosaSubmissions::Table)
                    .col(pk_uuid(OpenrosaSubmissions::Id))
                    .col(string_null(OpenrosaSubmissions::FormId))
                    .col(string_null(OpenrosaSubmissions::FormVersion))
                    .col(string_null(OpenrosaSubmissions::InstanceId))
                    .col(string_null(OpenrosaSubmissions::AcceptedInstanceId))
                    .col(string_null(OpenrosaSubmissions::DeprecatedId))
                    .col(blob(OpenrosaSubmissions::Xml))
                    .col(string(OpenrosaSubmissions::XmlSha256))
                    .col(big_integer(OpenrosaSubmissions::XmlSize))
                    .col(string(OpenrosaSubmissions::Status))
                    .col(small_integer(OpenrosaSubmissions::HttpStatus))
                    .col(text_null(OpenrosaSubmissions::Error))
                    .col(uuid(OpenrosaSubmissions::AccountId))
                    .col(uuid_null(OpenrosaSubmissions::OrganisationId))
                    .col(string_null(OpenrosaSubmissions::RecordKind))
                    .col(uuid_null(OpenrosaSubmissions::RecordId))
                    .col(integer_null(OpenrosaSubmissions::RecordVersion))
                    .col(timestamp_with_time_zone(OpenrosaSubmissions::ReceivedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                OpenrosaSubmissions::Table,
                                OpenrosaSubmissions::OrganisationId,
                            )
                            .to(Organisations::Table, Organisations::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("openrosa_submissions_accepted")
                    .table(OpenrosaSubmissions::Table)
                    .col(OpenrosaSubmissions::FormId)
                    .col(OpenrosaSubmissions::AcceptedInstanceId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "openrosa_submissions_instance",
                vec![OpenrosaSubmissions::InstanceId],
            ),
            (
                "openrosa_submissions_deprecated",
                vec![OpenrosaSubmissions::DeprecatedId],
            ),
            (
                "openrosa_submissions_record",
                vec![OpenrosaSubmissions::RecordId],
            ),
            (
                "openrosa_submissions_organisation",
                vec![OpenrosaSubmissions::OrganisationId],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(OpenrosaSubmissions::Table);
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(OpenrosaAttachments::Table)
                    .col(pk_uuid(OpenrosaAttachments::Id))
                    .col(uuid(OpenrosaAttachments::SubmissionId))
                    .col(string(OpenrosaAttachments::Filename))
                    .col(string(OpenrosaAttachments::ContentType))
                    .col(blob(OpenrosaAttachments::Bytes))
                    .col(string(OpenrosaAttachments::Sha256))
                    .col(big_integer(OpenrosaAttachments::Size))
                    .col(timestamp_with_time_zone(OpenrosaAttachments::CreatedAt))
                    .col(timestamp_with_time_zone(OpenrosaAttachments::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                OpenrosaAttachments::Table,
                                OpenrosaAttachments::SubmissionId,
                            )
                            .to(OpenrosaSubmissions::Table, OpenrosaSubmissions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("openrosa_attachments_file")
                    .table(OpenrosaAttachments::Table)
                    .col(OpenrosaAttachments::SubmissionId)
                    .col(OpenrosaAttachments::Filename)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            OpenrosaAttachments::Table.into_iden(),
            OpenrosaSubmissions::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
