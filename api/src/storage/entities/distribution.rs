//! The `distributions` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "distributions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub client_uuid: Uuid,
    pub content_hash: String,
    pub site_id: Uuid,
    pub implementing_org_id: Uuid,
    pub funding_org_id: Option<Uuid>,
    pub project_code: Option<String>,
    pub starts_on: Date,
    pub ends_on: Option<Date>,
    pub modality: String,
    pub status: String,
    pub households: i64,
    pub individuals: i64,
    pub no_shows: i64,
    #[sea_orm(column_type = "JsonBinary")]
    pub sadd: Json,
    pub source_warehouse_id: Option<Uuid>,
    pub recorded_by: Uuid,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub captured_at: DateTimeUtc,
    pub device_id: Option<String>,
    pub client_app: Option<String>,
    pub client_app_version: Option<String>,
    pub review_note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
