//! Per-page lookups of the codes rows name (organisations, sites, warehouses, items, kits):
//! one query per kind per page, so memory follows the page, not the export.

use std::collections::HashMap;

use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::storage::scope::Scope;
use crate::storage::sites::Site;
use crate::storage::{Result, catalogue, organisations, sites, warehouses};

/// Organisation codes by id.
pub async fn organisation_codes(
    conn: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Option<Uuid>>,
) -> Result<HashMap<Uuid, String>> {
    let ids = distinct(ids.into_iter().flatten());
    Ok(organisations::by_ids(conn, &ids)
        .await?
        .into_iter()
        .map(|o| (o.id, o.code))
        .collect())
}

/// Sites the caller may see, by id.
pub async fn sites(
    conn: &impl ConnectionTrait,
    scope: Scope<'_>,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<HashMap<Uuid, Site>> {
    let ids = distinct(ids);
    Ok(sites::by_ids(conn, scope, &ids)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect())
}

/// Warehouse codes the caller may see, by id.
pub async fn warehouse_codes(
    conn: &impl ConnectionTrait,
    scope: Scope<'_>,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<HashMap<Uuid, String>> {
    let ids = distinct(ids);
    Ok(warehouses::by_ids(conn, scope, &ids)
        .await?
        .into_iter()
        .map(|w| (w.id, w.code))
        .collect())
}

/// An item's code, English name and unit.
#[derive(Debug, Clone)]
pub struct ItemInfo {
    /// Code.
    pub code: String,
    /// English name.
    pub name: String,
    /// Unit.
    pub unit: String,
}

/// Items by id.
pub async fn items(
    conn: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<HashMap<Uuid, ItemInfo>> {
    let ids = distinct(ids);
    Ok(catalogue::items_by_ids(conn, &ids)
        .await?
        .into_iter()
        .map(|i| {
            (
                i.id,
                ItemInfo {
                    code: i.code,
                    name: i.name_en,
                    unit: i.unit.to_string(),
                },
            )
        })
        .collect())
}

/// Kit codes by id.
pub async fn kit_codes(
    conn: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<HashMap<Uuid, String>> {
    let ids = distinct(ids);
    Ok(catalogue::kits_by_ids(conn, &ids)
        .await?
        .into_iter()
        .map(|k| (k.id, k.code))
        .collect())
}

fn distinct(ids: impl IntoIterator<Item = Uuid>) -> Vec<Uuid> {
    let mut v: Vec<Uuid> = ids.into_iter().collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// The organisation code for an id given by the caller as a code, or a recorded refusal.
pub async fn organisation_id(
    conn: &impl ConnectionTrait,
    params: &mut super::super::params::Params,
    name: &str,
) -> Result<Option<Uuid>> {
    let Some(code) = params.one(name) else {
        return Ok(None);
    };
    match organisations::get_by_code(conn, &code.to_ascii_uppercase()).await {
        Ok(o) => Ok(Some(o.id)),
        Err(crate::storage::StorageError::NotFound { .. }) => {
            params.refuse(name, format!("no organisation {code}"));
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// The item id for an item code given by the caller, or a recorded refusal.
pub async fn item_id(
    conn: &impl ConnectionTrait,
    params: &mut super::super::params::Params,
    name: &str,
) -> Result<Option<Uuid>> {
    let Some(code) = params.one(name) else {
        return Ok(None);
    };
    match catalogue::get_item_by_code(conn, &code).await {
        Ok(i) => Ok(Some(i.id)),
        Err(crate::storage::StorageError::NotFound { .. }) => {
            params.refuse(name, format!("no item {code} in the catalogue"));
            Ok(None)
        }
        Err(e) => Err(e),
    }
}
