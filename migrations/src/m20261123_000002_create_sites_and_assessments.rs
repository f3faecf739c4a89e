//! Sites, site assessments with their SADD rows, and every earlier version of an assessment.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::m20261123_000001_create_reference::{Organisations, Rounds};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
pub(crate) enum Sites {
    Table,
    Id,
    Code,
    Name,
    SiteType,
    OperationalStatus,
    FormalStatus,
    Lat,
    Lon,
    Cell,
    Admin0Pcode,
    Admin1Pcode,
    Admin2Pcode,
    Admin3Pcode,
    ManagementOrgId,
    ManagementType,
    Capacity,
    AreaM2,
    OpenedOn,
    ClosedOn,
    CurrentAssessmentId,
    CurrentAssessedOn,
    CurrentHouseholds,
    CurrentIndividuals,
    CurrentSadd,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SiteAssessments {
    Table,
    Id,
    ClientUuid,
    ContentHash,
    SiteId,
    RoundId,
    RoundNumber,
    AssessedOn,
    Households,
    Individuals,
    Arrivals3m,
    Departures3m,
    OriginAdmin1Pcode,
    OriginAdmin2Pcode,
    DisplacementReasons,
    ShelterType,
    ShelterConditions,
    Services,
    PriorityNeeds,
    Vulnerabilities,
    Indicators,
    CapturedLat,
    CapturedLon,
    CapturedCell,
    CapturedAt,
    ReceivedAt,
    SubmittedBy,
    OrganisationId,
    DeviceId,
    ReviewStatus,
    ReviewNote,
    ReviewedBy,
    ReviewedAt,
    Version,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AssessmentSadd {
    Table,
    AssessmentId,
    Sex,
    AgeMin,
    AgeMax,
    Count,
}

#[derive(DeriveIden)]
enum AssessmentVersions {
    Table,
    Id,
    AssessmentId,
    Version,
    Snapshot,
    ChangedFields,
    ChangedBy,
    ChangedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Sites::Table)
                    .col(pk_uuid(Sites::Id))
                    .col(string_uniq(Sites::Code))
                    .col(string(Sites::Name))
                    .col(string(Sites::SiteType))
                    .col(string(Sites::OperationalStatus))
                    .col(string(Sites::FormalStatus))
                    .col(double(Sites::Lat))
                    .col(double(Sites::Lon))
                    .col(big_integer(Sites::Cell))
                    .col(string(Sites::Admin0Pcode))
                    .col(string_null(Sites::Admin1Pcode))
                    .col(string_null(Sites::Admin2Pcode))
                    .col(string_null(Sites::Admin3Pcode))
                    .col(uuid_null(Sites::ManagementOrgId))
                    .col(string_null(Sites::ManagementType))
                    .col(big_integer_null(Sites::Capacity))
                    .col(double_null(Sites::AreaM2))
                    .col(date_null(Sites::OpenedOn))
                    .col(date_null(Sites::ClosedOn))
                    .col(uuid_null(Sites::CurrentAssessmentId))
                    .col(date_null(Sites::CurrentAssessedOn))
                    .col(big_integer(Sites::CurrentHouseholds))
                    .col(big_integer(Sites::CurrentIndividuals))
                    .col(json_binary(Sites::CurrentSadd))
                    .col(integer(Sites::Version))
                    .col(timestamp_with_time_zone(Sites::CreatedAt))
                    .col(timestamp_with_time_zone(Sites::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Sites::Table, Sites::ManagementOrgId)
                            .to(Organisations::Table, Organisations::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("sites_cell", Sites::Cell),
            ("sites_admin1", Sites::Admin1Pcode),
            ("sites_admin2", Sites::Admin2Pcode),
            ("sites_admin3", Sites::Admin3Pcode),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Sites::Table)
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(SiteAssessments::Table)
                    .col(pk_uuid(SiteAssessments::Id))
                    .col(uuid_uniq(SiteAssessments::ClientUuid))
                    .col(string(SiteAssessments::ContentHash))
                    .col(uuid(SiteAssessments::SiteId))
                    .col(uuid(SiteAssessments::RoundId))
                    .col(integer(SiteAssessments::RoundNumber))
                    .col(date(SiteAssessments::AssessedOn))
                    .col(big_integer(SiteAssessments::Households))
                    .col(big_integer(SiteAssessments::Individuals))
                    .col(big_integer_null(SiteAssessments::Arrivals3m))
                    .col(big_integer_null(SiteAssessments::Departures3m))
                    .col(string_null(SiteAssessments::OriginAdmin1Pcode))
                    .col(string_null(SiteAssessments::OriginAdmin2Pcode))
                    .col(json_binary(SiteAssessments::DisplacementReasons))
                    .col(string_null(SiteAssessments::ShelterType))
                    .col(json_binary(SiteAssessments::ShelterConditions))
                    .col(json_binary(SiteAssessments::Services))
                    .col(json_binary(SiteAssessments::PriorityNeeds))
                    .col(json_binary(SiteAssessments::Vulnerabilities))
                    .col(json_binary(SiteAssessments::Indicators))
                    .col(double_null(SiteAssessments::CapturedLat))
                    .col(double_null(SiteAssessments::CapturedLon))
                    .col(big_integer_null(SiteAssessments::CapturedCell))
                    .col(timestamp_with_time_zone(SiteAssessments::CapturedAt))
                    .col(timestamp_with_time_zone(SiteAssessments::ReceivedAt))
                    .col(uuid(SiteAssessments::SubmittedBy))
                    .col(uuid_null(SiteAssessments::OrganisationId))
                    .col(string_null(SiteAssessments::DeviceId))
                    .col(string(SiteAssessments::ReviewStatus))
                    .col(string_null(SiteAssessments::ReviewNote))
                    .col(uuid_null(SiteAssessments::ReviewedBy))
                    .col(timestamp_with_time_zone_null(SiteAssessments::ReviewedAt))
                    .col(integer(SiteAssessments::Version))
                    .col(timestamp_with_time_zone(SiteAssessments::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(SiteAssessments::Table, SiteAssessments::SiteId)
                            .to(Sites::Table, Sites::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(SiteAssessments::Table, SiteAssessments::RoundId)
                            .to(Rounds::Table, Rounds::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // The "latest" order of design.md, walked per site in index order.
        manager
            .create_index(
                Index::create()
                    .name("site_assessments_latest")
                    .table(SiteAssessments::Table)
                    .col(SiteAssessments::SiteId)
                    .col(SiteAssessments::AssessedOn)
                    .col(SiteAssessments::RoundNumber)
                    .col(SiteAssessments::CapturedAt)
                    .col(SiteAssessments::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("site_assessments_organisation")
                    .table(SiteAssessments::Table)
                    .col(SiteAssessments::OrganisationId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AssessmentSadd::Table)
                    .col(uuid(AssessmentSadd::AssessmentId))
                    .col(string(AssessmentSadd::Sex))
                    .col(small_integer(AssessmentSadd::AgeMin))
                    .col(small_integer_null(AssessmentSadd::AgeMax))
                    .col(big_integer(AssessmentSadd::Count))
                    .primary_key(
                        Index::create()
                            .col(AssessmentSadd::AssessmentId)
                            .col(AssessmentSadd::Sex)
                            .col(AssessmentSadd::AgeMin),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(AssessmentSadd::Table, AssessmentSadd::AssessmentId)
                            .to(SiteAssessments::Table, SiteAssessments::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AssessmentVersions::Table)
                    .col(pk_uuid(AssessmentVersions::Id))
                    .col(uuid(AssessmentVersions::AssessmentId))
                    .col(integer(AssessmentVersions::Version))
                    .col(json_binary(AssessmentVersions::Snapshot))
                    .col(json_binary(AssessmentVersions::ChangedFields))
                    .col(uuid_null(AssessmentVersions::ChangedBy))
                    .col(timestamp_with_time_zone(AssessmentVersions::ChangedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(AssessmentVersions::Table, AssessmentVersions::AssessmentId)
                            .to(SiteAssessments::Table, SiteAssessments::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("assessment_versions_version")
                    .table(AssessmentVersions::Table)
                    .col(AssessmentVersions::AssessmentId)
                    .col(AssessmentVersions::Version)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AssessmentVersions::Table.into_iden(),
            AssessmentSadd::Table.into_iden(),
            SiteAssessments::Table.into_iden(),
            Sites::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
