//! The `change_log` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "change_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub seq: i64,
    pub xid: i64,
    pub at: DateTimeUtc,
    pub entity: String,
    pub entity_id: String,
    pub operation: String,
    pub cell: Option<i64>,
    pub admin0_pcode: Option<String>,
    pub admin1_pcode: Option<String>,
    pub admin2_pcode: Option<String>,
    pub admin3_pcode: Option<String>,
    pub prev_cell: Option<i64>,
    pub prev_admin0_pcode: Option<String>,
    pub prev_admin1_pcode: Option<String>,
    pub prev_admin2_pcode: Option<String>,
    pub prev_admin3_pcode: Option<String>,
    pub org_id: Option<Uuid>,
    pub prev_org_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
