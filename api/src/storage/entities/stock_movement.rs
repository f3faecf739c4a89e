//! The `stock_movements` table: the ledger.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "stock_movements")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub client_uuid: Option<Uuid>,
    pub content_hash: Option<String>,
    pub warehouse_id: Uuid,
    pub item_id: Uuid,
    pub kind: String,
    pub quantity: i64,
    pub occurred_at: DateTimeUtc,
    pub reason: Option<String>,
    pub document_ref: Option<String>,
    pub project_code: Option<String>,
    pub donor_org_id: Option<Uuid>,
    pub counterparty_org_id: Option<Uuid>,
    pub counterparty_warehouse_id: Option<Uuid>,
    pub transfer_id: Option<Uuid>,
    pub corrects_id: Option<Uuid>,
    pub distribution_id: Option<Uuid>,
    pub recorded_by: Uuid,
    pub recorded_at: DateTimeUtc,
    pub captured_at: DateTimeUtc,
    pub device_id: Option<String>,
    pub client_app: Option<String>,
    pub client_app_version: Option<String>,
    pub review_note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
