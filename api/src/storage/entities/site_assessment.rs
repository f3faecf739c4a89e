//! The `site_assessments` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "site_assessments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub client_uuid: Uuid,
    pub content_hash: String,
    pub site_id: Uuid,
    pub round_id: Uuid,
    pub round_number: i32,
    pub assessed_on: Date,
    pub households: i64,
    pub individuals: i64,
    pub arrivals3m: Option<i64>,
    pub departures3m: Option<i64>,
    pub origin_admin1_pcode: Option<String>,
    pub origin_admin2_pcode: Option<String>,
    #[sea_orm(column_type = "JsonBinary")]
    pub displacement_reasons: Json,
    pub shelter_type: Option<String>,
    #[sea_orm(column_type = "JsonBinary")]
    pub shelter_conditions: Json,
    #[sea_orm(column_type = "JsonBinary")]
    pub services: Json,
    #[sea_orm(column_type = "JsonBinary")]
    pub priority_needs: Json,
    #[sea_orm(column_type = "JsonBinary")]
    pub vulnerabilities: Json,
    #[sea_orm(column_type = "JsonBinary")]
    pub indicators: Json,
    pub captured_lat: Option<f64>,
    pub captured_lon: Option<f64>,
    pub captured_cell: Option<i64>,
    pub captured_at: DateTimeUtc,
    pub received_at: DateTimeUtc,
    pub submitted_by: Uuid,
    pub organisation_id: Option<Uuid>,
    pub device_id: Option<String>,
    pub review_status: String,
    pub review_note: Option<String>,
    pub reviewed_by: Option<Uuid>,
    pub reviewed_at: Option<DateTimeUtc>,
    pub version: i32,
    pub updated_at: DateTimeUtc,
    pub client_app: Option<String>,
    pub client_app_version: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
