//! The `admin_areas` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "admin_areas")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub pcode: String,
    pub level: i16,
    pub parent_pcode: Option<String>,
    pub name_en: String,
    pub name_fr: Option<String>,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub polygon: Option<Json>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
