//! The `openrosa_submissions` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "openrosa_submissions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub form_id: Option<String>,
    pub form_version: Option<String>,
    pub instance_id: Option<String>,
    pub accepted_instance_id: Option<String>,
    pub deprecated_id: Option<String>,
    #[sea_orm(column_type = "Blob")]
    pub xml: Vec<u8>,
    pub xml_sha256: String,
    pub xml_size: i64,
    pub status: String,
    pub http_status: i16,
    pub error: Option<String>,
    pub account_id: Uuid,
    pub organisation_id: Option<Uuid>,
    pub record_kind: Option<String>,
    pub record_id: Option<Uuid>,
    pub record_version: Option<i32>,
    pub received_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
