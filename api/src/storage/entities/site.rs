//! The `sites` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "sites")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub site_type: String,
    pub operational_status: String,
    pub formal_status: String,
    pub lat: f64,
    pub lon: f64,
    pub cell: i64,
    pub admin0_pcode: String,
    pub admin1_pcode: Option<String>,
    pub admin2_pcode: Option<String>,
    pub admin3_pcode: Option<String>,
    pub management_org_id: Option<Uuid>,
    pub management_type: Option<String>,
    pub capacity: Option<i64>,
    pub area_m2: Option<f64>,
    pub opened_on: Option<Date>,
    pub closed_on: Option<Date>,
    pub current_assessment_id: Option<Uuid>,
    pub current_assessed_on: Option<Date>,
    pub current_households: i64,
    pub current_individuals: i64,
    #[sea_orm(column_type = "JsonBinary")]
    pub current_sadd: Json,
    pub cell_r5: Option<i64>,
    pub cell_r7: Option<i64>,
    pub cell_r9: Option<i64>,
    pub current_arrivals: Option<i64>,
    pub current_departures: Option<i64>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
