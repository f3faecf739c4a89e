//! The `warehouses` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "warehouses")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub organisation_id: Uuid,
    pub lat: f64,
    pub lon: f64,
    pub cell: i64,
    pub admin0_pcode: String,
    pub admin1_pcode: Option<String>,
    pub admin2_pcode: Option<String>,
    pub admin3_pcode: Option<String>,
    pub is_hub: bool,
    pub capacity_m3: Option<f64>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
