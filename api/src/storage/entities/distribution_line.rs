//! The `distribution_lines` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "distribution_lines")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub distribution_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub line_no: i16,
    pub item_id: Option<Uuid>,
    pub kit_id: Option<Uuid>,
    pub quantity_distributed: i64,
    pub quantity_lost: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
