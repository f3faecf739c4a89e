//! Delta sync for devices: what changed in their area since a cursor, from the change log.

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject};
use camptrack_domain::codes::ALL_LISTS;
use camptrack_domain::error::Errors;
use camptrack_domain::pcode::PCode;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::admin_areas::AdminAreaNode;
use super::assessments::AssessmentNode;
use super::catalogue::{ItemNode, KitNode};
use super::context;
use super::distributions::DistributionNode;
use super::error::OrGql;
use super::rounds::RoundNode;
use super::scalars::H3Cell;
use super::sites::SiteNode;
use super::stock::MovementNode;
use crate::auth::AccountArea;
use crate::storage::changes::{
    self, ChangeState, Cursor, EntityKind, Operation, Record, TombstoneReason,
};

/// The kind of record a change is about.
#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
pub enum ChangeEntity {
    /// A site (`site` holds it).
    Site,
    /// An assessment round (`round`).
    Round,
    /// An admin area, reference data (`adminArea`).
    AdminArea,
    /// A site assessment (`assessment`); the site's current figures may have changed too.
    Assessment,
    /// A distribution (`distribution`).
    Distribution,
    /// A stock movement (`stockMovement`): only for who reads raw stock.
    StockMovement,
    /// A catalogue item (`item`).
    Item,
    /// A kit (`kit`).
    Kit,
}

/// What the write did.
#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
pub enum ChangeOperation {
    /// Created.
    Create,
    /// Fields changed (a site may also have moved).
    Update,
    /// A site was closed, relocated or merged.
    Close,
    /// A site was reopened.
    Reopen,
    /// An assessment was submitted.
    Submit,
    /// An assessment was reviewed.
    Review,
    /// A distribution's status changed (completed, cancelled, ...).
    Status,
}

/// Why a record must be removed from the device.
#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
pub enum TombstoneKind {
    /// The site is closed.
    Closed,
    /// The site was merged into another.
    Merged,
    /// The site's population was relocated.
    Relocated,
    /// The record is no longer in your area (it moved, or your area changed).
    LeftArea,
    /// The record no longer exists.
    Deleted,
}

/// One change. Apply changes in order: a live record replaces the device's copy (insert or
/// update by `entityId`), a tombstone removes it.
#[derive(Debug)]
pub struct ChangeNode(changes::Change);

#[Object(name = "Change")]
impl ChangeNode {
    /// This change's position in the log.
    async fn cursor(&self) -> String {
        self.0.cursor.to_string()
    }
    /// The kind of record.
    async fn entity(&self) -> ChangeEntity {
        match self.0.entity {
            EntityKind::Site => ChangeEntity::Site,
            EntityKind::Round => ChangeEntity::Round,
            EntityKind::AdminArea => ChangeEntity::AdminArea,
            EntityKind::Assessment => ChangeEntity::Assessment,
            EntityKind::Distribution => ChangeEntity::Distribution,
            EntityKind::StockMovement => ChangeEntity::StockMovement,
            EntityKind::Item => ChangeEntity::Item,
            EntityKind::Kit => ChangeEntity::Kit,
        }
    }
    /// The record's id (the p-code for admin areas).
    async fn entity_id(&self) -> &str {
        &self.0.entity_id
    }
    /// What the write did.
    async fn operation(&self) -> ChangeOperation {
        match self.0.operation {
            Operation::Create => ChangeOperation::Create,
            Operation::Update => ChangeOperation::Update,
            Operation::Close => ChangeOperation::Close,
            Operation::Reopen => ChangeOperation::Reopen,
            Operation::Submit => ChangeOperation::Submit,
            Operation::Review => ChangeOperation::Review,
            Operation::Status => ChangeOperation::Status,
        }
    }
    /// When it was written (server clock).
    async fn changed_at(&self) -> DateTime<Utc> {
        self.0.at
    }
    /// Set when the device must remove the record; the record fields are then null.
    async fn tombstone(&self) -> Option<TombstoneKind> {
        match self.0.state {
            ChangeState::Live(_) => None,
            ChangeState::Tombstone(reason) => Some(match reason {
                TombstoneReason::Closed => TombstoneKind::Closed,
                TombstoneReason::Merged => TombstoneKind::Merged,
                TombstoneReason::Relocated => TombstoneKind::Relocated,
                TombstoneReason::LeftArea => TombstoneKind::LeftArea,
                TombstoneReason::Deleted => TombstoneKind::Deleted,
            }),
        }
    }
    /// The site as it is now (entity `SITE`, not a tombstone).
    async fn site(&self) -> Option<SiteNode> {
        match &self.0.state {
            ChangeState::Live(Record::Site(s)) => Some(SiteNode::from((**s).clone())),
            _ => None,
        }
    }
    /// The round as it is now (entity `ROUND`).
    async fn round(&self) -> Option<RoundNode> {
        match &self.0.state {
            ChangeState::Live(Record::Round(r)) => Some(RoundNode(r.clone())),
            _ => None,
        }
    }
    /// The admin area as it is now (entity `ADMIN_AREA`).
    async fn admin_area(&self) -> Option<AdminAreaNode> {
        match &self.0.state {
            ChangeState::Live(Record::AdminArea(a)) => Some(AdminAreaNode((**a).clone())),
            _ => None,
        }
    }
    /// The assessment as it is now (entity `ASSESSMENT`, not a tombstone).
    async fn assessment(&self) -> Option<AssessmentNode> {
        match &self.0.state {
            ChangeState::Live(Record::Assessment(a)) => Some(AssessmentNode((**a).clone())),
            _ => None,
        }
    }
    /// The distribution as it is now (entity `DISTRIBUTION`, not a tombstone).
    async fn distribution(&self) -> Option<DistributionNode> {
        match &self.0.state {
            ChangeState::Live(Record::Distribution(d)) => Some(DistributionNode((**d).clone())),
            _ => None,
        }
    }
    /// The stock movement (entity `STOCK_MOVEMENT`, not a tombstone).
    async fn stock_movement(&self) -> Option<MovementNode> {
        match &self.0.state {
            ChangeState::Live(Record::StockMovement(m)) => Some(MovementNode((**m).clone())),
            _ => None,
        }
    }
    /// The catalogue item as it is now (entity `ITEM`).
    async fn item(&self) -> Option<ItemNode> {
        match &self.0.state {
            ChangeState::Live(Record::Item(i)) => Some(ItemNode((**i).clone())),
            _ => None,
        }
    }
    /// The kit as it is now (entity `KIT`).
    async fn kit(&self) -> Option<KitNode> {
        match &self.0.state {
            ChangeState::Live(Record::Kit(k)) => Some(KitNode((**k).clone())),
            _ => None,
        }
    }
}

/// A page of changes.
#[derive(Debug, SimpleObject)]
pub struct ChangeFeed {
    /// Changes in log order.
    pub changes: Vec<ChangeNode>,
    /// Pass this as `since` next time. Store it only after applying `changes`.
    pub next_cursor: String,
    /// Whether more changes are waiting: ask again with `nextCursor` right away.
    pub has_more: bool,
    /// Version of the code lists; when it differs from the one the device holds, fetch
    /// `codeLists` again.
    pub code_lists_version: String,
}

/// An area to sync: sites whose point lies in one of the cells (their resolution-15
/// descendants) or whose admin0-3 p-code is one of the p-codes.
#[derive(Debug, Default, InputObject)]
pub struct SyncAreaInput {
    /// H3 cells, any resolution.
    #[graphql(default)]
    pub cells: Vec<H3Cell>,
    /// Admin p-codes, any level.
    #[graphql(default)]
    pub pcodes: Vec<String>,
}

impl SyncAreaInput {
    /// The area as an account area; p-code errors name `area.pcodes.N`.
    pub(crate) fn parse(self) -> Result<AccountArea, camptrack_domain::Invalid> {
        let mut errors = Errors::default();
        let pcodes = self
            .pcodes
            .iter()
            .enumerate()
            .filter_map(|(i, p)| errors.take(&format!("area.pcodes.{i}"), PCode::parse("", p)))
            .collect();
        errors.finish(AccountArea {
            cells: self.cells.into_iter().map(|c| c.0).collect(),
            pcodes,
        })
    }
}

/// A digest of every code list's codes, in order: changes when a list changes.
fn code_lists_version() -> String {
    let mut hash = Sha256::new();
    for list in ALL_LISTS {
        hash.update(list.name.as_bytes());
        for value in list.values {
            hash.update(b"\x1f");
            hash.update(value.code.as_bytes());
            hash.update(value.label_en.as_bytes());
            hash.update(value.label_fr.as_bytes());
        }
        hash.update(b"\x1e");
    }
    hex::encode(&hash.finalize()[..8])
}

/// Sync queries.
#[derive(Debug, Default)]
pub struct SyncQuery;

#[Object]
impl SyncQuery {
    /// What changed since `since` (a `nextCursor` from an earlier answer; omit or `"0"` for
    /// everything), oldest first: sites, rounds, admin areas, assessments, distributions,
    /// catalogue items and kits, and (for who reads raw stock) stock movements, each as it
    /// is now or as a tombstone. Distributions and assessments are scoped exactly as their
    /// lists (enumerators: at sites in their area; partners: their own organisation's);
    /// stock movements go to admins, coordinators and partners for their own warehouses. An enumerator bound to an area always gets its own area
    /// (`area` is ignored); others get `area` when given, else everything they may see.
    /// Changes are delivered exactly once and in commit order, also while others write.
    #[graphql(complexity = "context::list_cost(first, child_complexity)")]
    async fn changes(
        &self,
        ctx: &Context<'_>,
        since: Option<String>,
        first: Option<i32>,
        area: Option<SyncAreaInput>,
    ) -> async_graphql::Result<ChangeFeed> {
        let scope = context::scope(ctx)?;
        let page = context::page_request(ctx, first, None)?;
        let since = match since.as_deref() {
            None => Cursor::START,
            Some(raw) => Cursor::parse(raw).ok_or_else(|| {
                super::error::invalid(&camptrack_domain::Invalid::one(
                    "since",
                    format!("`{raw}` is not a cursor from `changes`"),
                ))
            })?,
        };
        let area = area.map(SyncAreaInput::parse).transpose().gql()?;
        let feed = changes::read(context::db(ctx), scope, since, page.first, area.as_ref())
            .await
            .gql()?;
        Ok(ChangeFeed {
            changes: feed.changes.into_iter().map(ChangeNode).collect(),
            next_cursor: feed.next.to_string(),
            has_more: feed.has_more,
            code_lists_version: code_lists_version(),
        })
    }
}
